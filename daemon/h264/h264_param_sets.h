/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rebuilding H.264 sequence and picture parameter set NAL units from the
 * V4L2 stateless controls (struct v4l2_ctrl_h264_sps, v4l2_ctrl_h264_pps and
 * v4l2_ctrl_h264_scaling_matrix).
 *
 * Stateless clients send only the slice NAL units of a picture; the SPS and
 * PPS arrive as controls. A software decoder needs them as NAL units, written
 * in front of the slices. The rebuilt units decode like the originals but
 * are not bit-identical to them: see h264_param_sets.cpp for what the
 * controls lose and what is written instead.
 */

#pragma once

#include <cstdint>
#include <vector>

#include <linux/v4l2-controls.h>

namespace daedalus::h264 {

/* The NAL units written: 4-byte start code, nal_ref_idc 3. */
constexpr unsigned int kNalUnitTypeSps = 7;
constexpr unsigned int kNalUnitTypePps = 8;

/*
 * Append an SPS NAL unit built from @sps to @out. Returns 0, or -EINVAL for
 * values outside the ranges of H.264 clause 7.4.2.1.1 (the ones the kernel's
 * control validation enforces too: seq_parameter_set_id, chroma_format_idc,
 * bit depths, log2_max_frame_num_minus4, pic_order_cnt_type,
 * log2_max_pic_order_cnt_lsb_minus4, max_num_ref_frames) and for values
 * Exp-Golomb cannot code (an offset_for_* of INT32_MIN); @out is unchanged on
 * error.
 */
int writeSps(const v4l2_ctrl_h264_sps &sps, std::vector<uint8_t> *out);

/*
 * Append a PPS NAL unit built from @pps to @out. @sps is the sequence the PPS
 * refers to (profile and chroma format decide which fields and how many
 * scaling lists exist). @matrix is required when @pps has
 * V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT and ignored otherwise.
 *
 * Returns 0, -EOPNOTSUPP for slice groups (FMO: the controls do not carry the
 * slice group map), or -EINVAL for an invalid @sps (as writeSps()), a PPS
 * that does not belong to @sps, a missing matrix, a zero entry in a scaling
 * list that must be written, or values outside the ranges of clause 7.4.2.2
 * (num_ref_idx_l*_default_active_minus1, weighted_bipred_idc, QP and chroma
 * QP offsets). @out is unchanged on error.
 */
int writePps(const v4l2_ctrl_h264_pps &pps, const v4l2_ctrl_h264_sps &sps,
	     const v4l2_ctrl_h264_scaling_matrix *matrix, std::vector<uint8_t> *out);

/*
 * Append the SPS and then the PPS NAL unit to @out: what a decoder needs in
 * front of the slices of one picture. Same arguments and errors as writeSps()
 * and writePps(); @out is unchanged on error.
 */
int writeParameterSets(const v4l2_ctrl_h264_sps &sps, const v4l2_ctrl_h264_pps &pps,
		       const v4l2_ctrl_h264_scaling_matrix *matrix, std::vector<uint8_t> *out);

/*
 * The frame zig-zag scans of clause 8.5.6 (4x4) and 8.5.7 (8x8): entry i is
 * the raster index (x + width * y) of scan position i. Scaling lists always
 * use the frame zig-zag scan, also in field pictures and field macroblocks
 * (the field scan applies to transform coefficients only).
 */
extern const uint8_t kZigzag4x4[16];
extern const uint8_t kZigzag8x8[64];

} /* namespace daedalus::h264 */
