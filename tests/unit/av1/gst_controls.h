/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test helpers around GStreamer's AV1 parser: the V4L2 controls filled from
 * parsed headers the way gstv4l2codecav1dec.c fills them, and a comparison
 * of two parsed frame headers on every value decoding depends on.
 */

#pragma once

#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>

#include <gst/codecparsers/gstav1parser.h>
#include <linux/v4l2-controls.h>

#include "av1_controls.h"

namespace daedalus::av1::test {

/* The controls, filled as gstv4l2codecav1dec.c fills them: the client library's. */
using client::fillFilmGrain;
using client::fillFrame;
using client::fillSequence;

/* Comparing a rebuilt frame header with the original. */

class HeaderDiff
{
public:
	template<typename T> void check(const char *name, const T &original, const T &rebuilt)
	{
		if (original == rebuilt || !first_.empty())
			return;
		std::ostringstream s;
		s << name << ": original " << +original << ", rebuilt " << +rebuilt;
		first_ = s.str();
	}

	const std::string &first() const { return first_; }

private:
	std::string first_;
};

#define CHECK_FIELD(diff, a, b, field) (diff).check(#field, (a).field, (b).field)

inline void compareHeaders(const GstAV1FrameHeaderOBU &a, const GstAV1FrameHeaderOBU &b,
			   HeaderDiff &d)
{
	CHECK_FIELD(d, a, b, frame_type);
	CHECK_FIELD(d, a, b, show_frame);
	CHECK_FIELD(d, a, b, showable_frame);
	CHECK_FIELD(d, a, b, error_resilient_mode);
	CHECK_FIELD(d, a, b, disable_cdf_update);
	CHECK_FIELD(d, a, b, allow_screen_content_tools);
	CHECK_FIELD(d, a, b, force_integer_mv);
	CHECK_FIELD(d, a, b, order_hint);
	CHECK_FIELD(d, a, b, primary_ref_frame);
	CHECK_FIELD(d, a, b, refresh_frame_flags);
	CHECK_FIELD(d, a, b, allow_intrabc);
	CHECK_FIELD(d, a, b, upscaled_width);
	CHECK_FIELD(d, a, b, frame_width);
	CHECK_FIELD(d, a, b, frame_height);
	CHECK_FIELD(d, a, b, render_width);
	CHECK_FIELD(d, a, b, render_height);
	CHECK_FIELD(d, a, b, use_superres);
	CHECK_FIELD(d, a, b, superres_denom);
	CHECK_FIELD(d, a, b, disable_frame_end_update_cdf);
	if (!a.frame_is_intra) {
		for (unsigned int i = 0; i < GST_AV1_REFS_PER_FRAME; i++)
			CHECK_FIELD(d, a, b, ref_frame_idx[i]);
		for (unsigned int i = 0; i < GST_AV1_NUM_REF_FRAMES; i++) {
			CHECK_FIELD(d, a, b, order_hints[i]);
			CHECK_FIELD(d, a, b, ref_frame_sign_bias[i]);
		}
		CHECK_FIELD(d, a, b, allow_high_precision_mv);
		CHECK_FIELD(d, a, b, interpolation_filter);
		CHECK_FIELD(d, a, b, is_motion_mode_switchable);
		CHECK_FIELD(d, a, b, use_ref_frame_mvs);
	}

	const GstAV1TileInfo &ta = a.tile_info;
	const GstAV1TileInfo &tb = b.tile_info;
	CHECK_FIELD(d, ta, tb, tile_cols);
	CHECK_FIELD(d, ta, tb, tile_rows);
	CHECK_FIELD(d, ta, tb, context_update_tile_id);
	for (unsigned int i = 0; i <= ta.tile_cols && i <= GST_AV1_MAX_TILE_COLS; i++)
		CHECK_FIELD(d, ta, tb, mi_col_starts[i]);
	for (unsigned int i = 0; i <= ta.tile_rows && i <= GST_AV1_MAX_TILE_ROWS; i++)
		CHECK_FIELD(d, ta, tb, mi_row_starts[i]);

	const GstAV1QuantizationParams &qa = a.quantization_params;
	const GstAV1QuantizationParams &qb = b.quantization_params;
	CHECK_FIELD(d, qa, qb, base_q_idx);
	CHECK_FIELD(d, qa, qb, delta_q_y_dc);
	CHECK_FIELD(d, qa, qb, delta_q_u_dc);
	CHECK_FIELD(d, qa, qb, delta_q_u_ac);
	CHECK_FIELD(d, qa, qb, delta_q_v_dc);
	CHECK_FIELD(d, qa, qb, delta_q_v_ac);
	CHECK_FIELD(d, qa, qb, using_qmatrix);
	if (qa.using_qmatrix) {
		CHECK_FIELD(d, qa, qb, qm_y);
		CHECK_FIELD(d, qa, qb, qm_u);
		CHECK_FIELD(d, qa, qb, qm_v);
	}
	CHECK_FIELD(d, qa, qb, delta_q_present);
	CHECK_FIELD(d, qa, qb, delta_q_res);

	const GstAV1SegmenationParams &sa = a.segmentation_params;
	const GstAV1SegmenationParams &sb = b.segmentation_params;
	CHECK_FIELD(d, sa, sb, segmentation_enabled);
	CHECK_FIELD(d, sa, sb, segmentation_update_map);
	CHECK_FIELD(d, sa, sb, segmentation_temporal_update);
	CHECK_FIELD(d, sa, sb, seg_id_pre_skip);
	CHECK_FIELD(d, sa, sb, last_active_seg_id);
	for (unsigned int i = 0; i < GST_AV1_MAX_SEGMENTS; i++) {
		for (unsigned int j = 0; j < GST_AV1_SEG_LVL_MAX; j++) {
			CHECK_FIELD(d, sa, sb, feature_enabled[i][j]);
			CHECK_FIELD(d, sa, sb, feature_data[i][j]);
		}
	}

	CHECK_FIELD(d, a, b, coded_lossless);
	CHECK_FIELD(d, a, b, all_lossless);

	const GstAV1LoopFilterParams &la = a.loop_filter_params;
	const GstAV1LoopFilterParams &lb = b.loop_filter_params;
	for (unsigned int i = 0; i < 4; i++)
		CHECK_FIELD(d, la, lb, loop_filter_level[i]);
	CHECK_FIELD(d, la, lb, loop_filter_sharpness);
	CHECK_FIELD(d, la, lb, loop_filter_delta_enabled);
	for (unsigned int i = 0; i < GST_AV1_TOTAL_REFS_PER_FRAME; i++)
		CHECK_FIELD(d, la, lb, loop_filter_ref_deltas[i]);
	for (unsigned int i = 0; i < 2; i++)
		CHECK_FIELD(d, la, lb, loop_filter_mode_deltas[i]);
	CHECK_FIELD(d, la, lb, delta_lf_present);
	CHECK_FIELD(d, la, lb, delta_lf_res);
	CHECK_FIELD(d, la, lb, delta_lf_multi);

	const GstAV1CDEFParams &ca = a.cdef_params;
	const GstAV1CDEFParams &cb = b.cdef_params;
	CHECK_FIELD(d, ca, cb, cdef_damping);
	CHECK_FIELD(d, ca, cb, cdef_bits);
	for (unsigned int i = 0; i < (1u << ca.cdef_bits) && i < GST_AV1_CDEF_MAX; i++) {
		CHECK_FIELD(d, ca, cb, cdef_y_pri_strength[i]);
		CHECK_FIELD(d, ca, cb, cdef_y_sec_strength[i]);
		CHECK_FIELD(d, ca, cb, cdef_uv_pri_strength[i]);
		CHECK_FIELD(d, ca, cb, cdef_uv_sec_strength[i]);
	}

	const GstAV1LoopRestorationParams &ra = a.loop_restoration_params;
	const GstAV1LoopRestorationParams &rb = b.loop_restoration_params;
	CHECK_FIELD(d, ra, rb, uses_lr);
	for (unsigned int i = 0; i < GST_AV1_MAX_NUM_PLANES; i++) {
		CHECK_FIELD(d, ra, rb, frame_restoration_type[i]);
		if (ra.uses_lr)
			CHECK_FIELD(d, ra, rb, loop_restoration_size[i]);
	}

	CHECK_FIELD(d, a, b, tx_mode);
	CHECK_FIELD(d, a, b, reference_select);
	CHECK_FIELD(d, a, b, skip_mode_present);
	CHECK_FIELD(d, a, b, allow_warped_motion);
	CHECK_FIELD(d, a, b, reduced_tx_set);

	const GstAV1GlobalMotionParams &ga = a.global_motion_params;
	const GstAV1GlobalMotionParams &gb = b.global_motion_params;
	for (unsigned int i = GST_AV1_REF_LAST_FRAME; i <= GST_AV1_REF_ALTREF_FRAME; i++) {
		CHECK_FIELD(d, ga, gb, gm_type[i]);
		for (unsigned int j = 0; j < 6; j++)
			CHECK_FIELD(d, ga, gb, gm_params[i][j]);
	}

	const GstAV1FilmGrainParams &fa = a.film_grain_params;
	const GstAV1FilmGrainParams &fb = b.film_grain_params;
	CHECK_FIELD(d, fa, fb, apply_grain);
	if (fa.apply_grain) {
		CHECK_FIELD(d, fa, fb, grain_seed);
		CHECK_FIELD(d, fa, fb, num_y_points);
		for (unsigned int i = 0; i < fa.num_y_points; i++) {
			CHECK_FIELD(d, fa, fb, point_y_value[i]);
			CHECK_FIELD(d, fa, fb, point_y_scaling[i]);
		}
		CHECK_FIELD(d, fa, fb, chroma_scaling_from_luma);
		CHECK_FIELD(d, fa, fb, num_cb_points);
		for (unsigned int i = 0; i < fa.num_cb_points; i++) {
			CHECK_FIELD(d, fa, fb, point_cb_value[i]);
			CHECK_FIELD(d, fa, fb, point_cb_scaling[i]);
		}
		CHECK_FIELD(d, fa, fb, num_cr_points);
		for (unsigned int i = 0; i < fa.num_cr_points; i++) {
			CHECK_FIELD(d, fa, fb, point_cr_value[i]);
			CHECK_FIELD(d, fa, fb, point_cr_scaling[i]);
		}
		CHECK_FIELD(d, fa, fb, grain_scaling_minus_8);
		CHECK_FIELD(d, fa, fb, ar_coeff_lag);
		for (unsigned int i = 0; i < GST_AV1_MAX_NUM_POS_LUMA; i++) {
			CHECK_FIELD(d, fa, fb, ar_coeffs_y_plus_128[i]);
			CHECK_FIELD(d, fa, fb, ar_coeffs_cb_plus_128[i]);
			CHECK_FIELD(d, fa, fb, ar_coeffs_cr_plus_128[i]);
		}
		CHECK_FIELD(d, fa, fb, ar_coeff_shift_minus_6);
		CHECK_FIELD(d, fa, fb, grain_scale_shift);
		CHECK_FIELD(d, fa, fb, cb_mult);
		CHECK_FIELD(d, fa, fb, cb_luma_mult);
		CHECK_FIELD(d, fa, fb, cb_offset);
		CHECK_FIELD(d, fa, fb, cr_mult);
		CHECK_FIELD(d, fa, fb, cr_luma_mult);
		CHECK_FIELD(d, fa, fb, cr_offset);
		CHECK_FIELD(d, fa, fb, overlap_flag);
		CHECK_FIELD(d, fa, fb, clip_to_restricted_range);
	}
}

} /* namespace daedalus::av1::test */
