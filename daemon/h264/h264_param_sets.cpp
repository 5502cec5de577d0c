/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rebuilding H.264 SPS and PPS NAL units from the V4L2 stateless controls.
 *
 * The controls carry every syntax element that changes how slices decode,
 * so the rebuilt units decode exactly like the originals. They are not
 * bit-identical to them, because V4L2 loses some information; each loss and
 * the choice made for it:
 *
 * - Frame cropping: not carried. No cropping is written. Cropping does not
 *   change decoding, and the client crops (it knows the display size from
 *   its own parse of the stream). The decoder thus outputs the full coded
 *   size, which is what the CAPTURE buffer is sized for.
 *
 * - VUI: not carried. No VUI is written. VUI does not change the decoded
 *   samples. It does change libavcodec's output timing: without
 *   bitstream_restriction (max_num_reorder_frames), libavcodec assumes the
 *   reorder depth the level allows (ff_h264_decode_seq_parameter_set derives
 *   num_reorder_frames from level_max_dpb_mbs), so pictures leave
 *   avcodec_receive_frame() later than with the original VUI, and colour
 *   description and timing metadata are missing from the AVFrame. Neither
 *   matters to us: the daemon must hand back the picture decoded from each
 *   request in decode order anyway, which it gets by tracking get_buffer2()
 *   while the packet is decoded (see stateless-clients.md), not from the
 *   frames libavcodec returns; the client has its own colour and timing
 *   information. (A larger assumed delay is also the safe direction: a
 *   too-small one makes libavcodec drop out-of-order pictures.) What does
 *   delay the decoding itself is frame threading, VUI or not: with it, a
 *   packet's picture is decoded after later packets arrive, so the daemon
 *   must decode H.264 without frame threads to finish each request alone.
 *
 * - Where scaling lists came from (SPS or PPS, explicit, default or by a
 *   fall-back rule): the SCALING_MATRIX control holds only the final lists
 *   that apply to the picture. The SPS is written without lists, and the PPS
 *   carries all lists the picture can use, explicitly, so that no fall-back
 *   rule of the decoder can change them. A matrix that is flat 16 everywhere
 *   is written as no matrix at all (the flat default).
 *
 * - Slice groups (FMO, Baseline profile only): the PPS control has
 *   num_slice_groups_minus1 but not the slice group map, so a PPS with
 *   slice groups cannot be rebuilt: -EOPNOTSUPP. libavcodec does not decode
 *   FMO either.
 *
 * - Fields that do not exist for a profile: for profiles without
 *   chroma_format_idc in the SPS (V4L2_H264_SPS_HAS_CHROMA_FORMAT), the
 *   bitstream implies 4:2:0, 8 bits and no transform bypass, whatever the
 *   control says; those control fields are ignored (the kernel resets them
 *   anyway). Likewise mb_adaptive_frame_field_flag when frame_mbs_only_flag
 *   is set and separate_colour_plane_flag when chroma_format_idc != 3.
 *
 * - PPS extension (transform_8x8_mode_flag, scaling lists,
 *   second_chroma_qp_index_offset): V4L2 does not say whether the original
 *   PPS had it. It is written only when a value differs from what its
 *   absence implies (transform 8x8 on, a non-flat matrix, or a
 *   second_chroma_qp_index_offset different from chroma_qp_index_offset).
 *   Valid Baseline, Main and Extended streams therefore never get one
 *   (libavcodec would even skip it for those profiles when a
 *   constraint_set0..2 flag is set: more_rbsp_data_in_pps()).
 *
 * - reserved_zero_2bits, nal_ref_idc of the original parameter set NAL
 *   units, SPS extensions (type 13) and subset SPS (type 15, MVC/SVC): not
 *   carried and not decoding-relevant for the base view; zero, 3, and none.
 */

#include "h264/h264_param_sets.h"

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <span>

#include "h264/bit_writer.h"

namespace daedalus::h264 {

/* clang-format off */
const uint8_t kZigzag4x4[16] = {
	0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15,
};

const uint8_t kZigzag8x8[64] = {
	0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};
/* clang-format on */

namespace {

constexpr unsigned int kNalRefIdc = 3;

/* Profiles whose SPS carries chroma_format_idc and the bit depths (7.3.2.1.1). */
bool hasChromaFormat(const v4l2_ctrl_h264_sps &sps)
{
	switch (sps.profile_idc) {
	case 100:
	case 110:
	case 122:
	case 244:
	case 44:
	case 83:
	case 86:
	case 118:
	case 128:
	case 138:
	case 139:
	case 134:
	case 135:
		return true;
	default:
		return false;
	}
}

/* The values the bitstream implies for a profile without them. */
unsigned int chromaFormatIdc(const v4l2_ctrl_h264_sps &sps)
{
	return hasChromaFormat(sps) ? sps.chroma_format_idc : 1;
}

unsigned int bitDepthLumaMinus8(const v4l2_ctrl_h264_sps &sps)
{
	return hasChromaFormat(sps) ? sps.bit_depth_luma_minus8 : 0;
}

/*
 * Semantic ranges of 7.4.2.1.1, the ones the kernel's control validation
 * also enforces; the syntax could carry more, but no decoder would accept it.
 */
int validateSps(const v4l2_ctrl_h264_sps &sps)
{
	if (sps.seq_parameter_set_id > 31)
		return -EINVAL;
	if (sps.pic_order_cnt_type > 2 || sps.log2_max_frame_num_minus4 > 12 ||
	    sps.log2_max_pic_order_cnt_lsb_minus4 > 12 || sps.max_num_ref_frames > 16)
		return -EINVAL;
	if (hasChromaFormat(sps) && (sps.chroma_format_idc > 3 || sps.bit_depth_luma_minus8 > 6 ||
				     sps.bit_depth_chroma_minus8 > 6))
		return -EINVAL;
	return 0;
}

int validatePps(const v4l2_ctrl_h264_pps &pps, const v4l2_ctrl_h264_sps &sps)
{
	if (pps.num_slice_groups_minus1 != 0)
		return -EOPNOTSUPP;
	if (pps.seq_parameter_set_id != sps.seq_parameter_set_id)
		return -EINVAL;
	if (pps.num_ref_idx_l0_default_active_minus1 > 31 ||
	    pps.num_ref_idx_l1_default_active_minus1 > 31 || pps.weighted_bipred_idc > 2)
		return -EINVAL;

	const int qpBdOffsetY = 6 * static_cast<int>(bitDepthLumaMinus8(sps));
	if (pps.pic_init_qp_minus26 < -(26 + qpBdOffsetY) || pps.pic_init_qp_minus26 > 25)
		return -EINVAL;
	if (pps.pic_init_qs_minus26 < -26 || pps.pic_init_qs_minus26 > 25)
		return -EINVAL;
	if (pps.chroma_qp_index_offset < -12 || pps.chroma_qp_index_offset > 12 ||
	    pps.second_chroma_qp_index_offset < -12 || pps.second_chroma_qp_index_offset > 12)
		return -EINVAL;
	return 0;
}

/* The scaling lists a PPS must carry: all 4x4 ones, and @num8x8 8x8 ones. */
template<typename Pred>
bool allEntries(const v4l2_ctrl_h264_scaling_matrix &matrix, unsigned int num8x8, Pred pred)
{
	for (const auto &list : matrix.scaling_list_4x4) {
		if (!std::all_of(std::begin(list), std::end(list), pred))
			return false;
	}
	for (unsigned int i = 0; i < num8x8; i++) {
		const auto &list = matrix.scaling_list_8x8[i];
		if (!std::all_of(std::begin(list), std::end(list), pred))
			return false;
	}
	return true;
}

/* delta_scale for a step from @last to @next, wrapped into -128..127. */
int32_t deltaScale(unsigned int last, unsigned int next)
{
	int32_t delta = static_cast<int32_t>(next) - static_cast<int32_t>(last);

	if (delta > 127)
		delta -= 256;
	else if (delta < -128)
		delta += 256;
	return delta;
}

/* Bits of se(v) for @value. */
unsigned int seBits(int32_t value)
{
	const uint64_t codeNum = value > 0 ? 2 * uint64_t(value) - 1
					   : 2 * uint64_t(-int64_t(value));
	unsigned int len = 0;

	while (((codeNum + 1) >> len) != 0)
		len++;
	return 2 * len - 1;
}

/*
 * scaling_list() (7.3.2.1.1.1) for the raster-order list @raster, written in
 * zig-zag order @scan, every entry explicit (no entry is zero). A trailing
 * run of entries equal to their predecessor is cut short with nextScale = 0
 * ("repeat the last value to the end") when that takes fewer bits; at j = 0
 * nextScale = 0 would mean "use the default list", so the cut is never there.
 */
void writeScalingList(BitWriter *bw, std::span<const uint8_t> raster, const uint8_t *scan)
{
	const size_t size = raster.size();

	/* The run [runStart, size) repeats the entry at runStart - 1. */
	size_t runStart = size;
	while (runStart > 1 && raster[scan[runStart - 1]] == raster[scan[runStart - 2]])
		runStart--;

	size_t end = size;
	unsigned int last = 8;
	if (runStart < size) {
		const unsigned int lastInList = raster[scan[runStart - 1]];
		/* Each entry of the run costs one bit, se(0). */
		if (seBits(deltaScale(lastInList, 0)) < size - runStart)
			end = runStart;
	}

	for (size_t j = 0; j < end; j++) {
		const unsigned int next = raster[scan[j]];
		bw->writeSe(deltaScale(last, next));
		last = next;
	}

	if (end < size)
		bw->writeSe(deltaScale(last, 0));
}

int buildSps(const v4l2_ctrl_h264_sps &sps, std::vector<uint8_t> *out)
{
	int ret = validateSps(sps);
	if (ret)
		return ret;

	BitWriter bw;

	bw.writeBits(sps.profile_idc, 8);
	for (unsigned int i = 0; i < 6; i++)
		bw.writeFlag(sps.constraint_set_flags & (1u << i));
	bw.writeBits(0, 2); /* reserved_zero_2bits */
	bw.writeBits(sps.level_idc, 8);
	bw.writeUe(sps.seq_parameter_set_id);

	if (hasChromaFormat(sps)) {
		bw.writeUe(sps.chroma_format_idc);
		if (sps.chroma_format_idc == 3)
			bw.writeFlag(sps.flags & V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE);
		bw.writeUe(sps.bit_depth_luma_minus8);
		bw.writeUe(sps.bit_depth_chroma_minus8);
		bw.writeFlag(sps.flags & V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS);
		/* seq_scaling_matrix_present_flag: the lists go into the PPS. */
		bw.writeFlag(false);
	}

	bw.writeUe(sps.log2_max_frame_num_minus4);
	bw.writeUe(sps.pic_order_cnt_type);
	if (sps.pic_order_cnt_type == 0) {
		bw.writeUe(sps.log2_max_pic_order_cnt_lsb_minus4);
	} else if (sps.pic_order_cnt_type == 1) {
		bw.writeFlag(sps.flags & V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO);
		bw.writeSe(sps.offset_for_non_ref_pic);
		bw.writeSe(sps.offset_for_top_to_bottom_field);
		bw.writeUe(sps.num_ref_frames_in_pic_order_cnt_cycle);
		for (unsigned int i = 0; i < sps.num_ref_frames_in_pic_order_cnt_cycle; i++)
			bw.writeSe(sps.offset_for_ref_frame[i]);
	}

	bw.writeUe(sps.max_num_ref_frames);
	bw.writeFlag(sps.flags & V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED);
	bw.writeUe(sps.pic_width_in_mbs_minus1);
	bw.writeUe(sps.pic_height_in_map_units_minus1);

	const bool frameMbsOnly = sps.flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
	bw.writeFlag(frameMbsOnly);
	if (!frameMbsOnly)
		bw.writeFlag(sps.flags & V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD);
	bw.writeFlag(sps.flags & V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE);

	/* frame_cropping_flag and vui_parameters_present_flag: see the top. */
	bw.writeFlag(false);
	bw.writeFlag(false);
	bw.writeTrailingBits();

	if (!bw.ok())
		return -EINVAL;
	return appendNalUnit(out, kNalRefIdc, kNalUnitTypeSps, bw.data());
}

int buildPps(const v4l2_ctrl_h264_pps &pps, const v4l2_ctrl_h264_sps &sps,
	     const v4l2_ctrl_h264_scaling_matrix *matrix, std::vector<uint8_t> *out)
{
	int ret = validateSps(sps);
	if (ret)
		return ret;
	ret = validatePps(pps, sps);
	if (ret)
		return ret;

	const bool transform8x8 = pps.flags & V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;

	/*
	 * Scaling lists in the PPS: 6 4x4 lists, then with transform 8x8
	 * 2 8x8 lists (Intra Y, Inter Y), or 6 for 4:4:4. V4L2 orders both
	 * arrays as the bitstream does (4x4: Intra Y, Cb, Cr, Inter Y, Cb,
	 * Cr; 8x8: Intra Y, Inter Y, Intra Cb, Inter Cb, Intra Cr, Inter Cr).
	 */
	const unsigned int num8x8 = transform8x8 ? (chromaFormatIdc(sps) == 3 ? 6 : 2) : 0;
	bool writeLists = false;
	if (pps.flags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT) {
		if (!matrix)
			return -EINVAL;

		/* A zero weight cannot be coded: it is no valid matrix. */
		if (!allEntries(*matrix, num8x8, [](uint8_t v) { return v != 0; }))
			return -EINVAL;
		writeLists = !allEntries(*matrix, num8x8, [](uint8_t v) { return v == 16; });
	}

	const bool extension = transform8x8 || writeLists ||
			       pps.second_chroma_qp_index_offset != pps.chroma_qp_index_offset;

	BitWriter bw;

	bw.writeUe(pps.pic_parameter_set_id);
	bw.writeUe(pps.seq_parameter_set_id);
	bw.writeFlag(pps.flags & V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE);
	bw.writeFlag(pps.flags & V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT);
	bw.writeUe(0); /* num_slice_groups_minus1 */
	bw.writeUe(pps.num_ref_idx_l0_default_active_minus1);
	bw.writeUe(pps.num_ref_idx_l1_default_active_minus1);
	bw.writeFlag(pps.flags & V4L2_H264_PPS_FLAG_WEIGHTED_PRED);
	bw.writeBits(pps.weighted_bipred_idc, 2);
	bw.writeSe(pps.pic_init_qp_minus26);
	bw.writeSe(pps.pic_init_qs_minus26);
	bw.writeSe(pps.chroma_qp_index_offset);
	bw.writeFlag(pps.flags & V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT);
	bw.writeFlag(pps.flags & V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED);
	bw.writeFlag(pps.flags & V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT);

	if (extension) {
		bw.writeFlag(transform8x8);
		bw.writeFlag(writeLists); /* pic_scaling_matrix_present_flag */
		if (writeLists) {
			for (const auto &list : matrix->scaling_list_4x4) {
				bw.writeFlag(true); /* pic_scaling_list_present_flag */
				writeScalingList(&bw, list, kZigzag4x4);
			}
			for (unsigned int i = 0; i < num8x8; i++) {
				bw.writeFlag(true);
				writeScalingList(&bw, matrix->scaling_list_8x8[i], kZigzag8x8);
			}
		}
		bw.writeSe(pps.second_chroma_qp_index_offset);
	}

	bw.writeTrailingBits();

	if (!bw.ok())
		return -EINVAL;
	return appendNalUnit(out, kNalRefIdc, kNalUnitTypePps, bw.data());
}

} /* namespace */

int writeSps(const v4l2_ctrl_h264_sps &sps, std::vector<uint8_t> *out)
{
	std::vector<uint8_t> nal;
	int ret = buildSps(sps, &nal);
	if (ret)
		return ret;

	out->insert(out->end(), nal.begin(), nal.end());
	return 0;
}

int writePps(const v4l2_ctrl_h264_pps &pps, const v4l2_ctrl_h264_sps &sps,
	     const v4l2_ctrl_h264_scaling_matrix *matrix, std::vector<uint8_t> *out)
{
	std::vector<uint8_t> nal;
	int ret = buildPps(pps, sps, matrix, &nal);
	if (ret)
		return ret;

	out->insert(out->end(), nal.begin(), nal.end());
	return 0;
}

int writeParameterSets(const v4l2_ctrl_h264_sps &sps, const v4l2_ctrl_h264_pps &pps,
		       const v4l2_ctrl_h264_scaling_matrix *matrix, std::vector<uint8_t> *out)
{
	std::vector<uint8_t> nals;
	int ret = buildSps(sps, &nals);
	if (ret)
		return ret;
	ret = buildPps(pps, sps, matrix, &nals);
	if (ret)
		return ret;

	out->insert(out->end(), nals.begin(), nals.end());
	return 0;
}

} /* namespace daedalus::h264 */
