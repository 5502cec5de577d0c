/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AV1 stateless controls from GStreamer's AV1 parser
 * (gstreamer-codecparsers), filled the way gstv4l2codecav1dec.c fills them.
 */

#pragma once

#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif

#include <cstdint>
#include <cstring>

#include <gst/codecparsers/gstav1parser.h>
#include <linux/v4l2-controls.h>

namespace daedalus::client {

/* The controls, filled as gstv4l2codecav1dec.c fills them. */

inline uint32_t setIf(bool condition, uint32_t flag)
{
	return condition ? flag : 0;
}

inline v4l2_ctrl_av1_sequence fillSequence(const GstAV1SequenceHeaderOBU &s)
{
	v4l2_ctrl_av1_sequence seq{};
	const GstAV1ColorConfig &cc = s.color_config;

	seq.flags =
		setIf(s.still_picture, V4L2_AV1_SEQUENCE_FLAG_STILL_PICTURE) |
		setIf(s.use_128x128_superblock, V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK) |
		setIf(s.enable_filter_intra, V4L2_AV1_SEQUENCE_FLAG_ENABLE_FILTER_INTRA) |
		setIf(s.enable_intra_edge_filter, V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTRA_EDGE_FILTER) |
		setIf(s.enable_interintra_compound,
		      V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTERINTRA_COMPOUND) |
		setIf(s.enable_masked_compound, V4L2_AV1_SEQUENCE_FLAG_ENABLE_MASKED_COMPOUND) |
		setIf(s.enable_warped_motion, V4L2_AV1_SEQUENCE_FLAG_ENABLE_WARPED_MOTION) |
		setIf(s.enable_dual_filter, V4L2_AV1_SEQUENCE_FLAG_ENABLE_DUAL_FILTER) |
		setIf(s.enable_order_hint, V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT) |
		setIf(s.enable_jnt_comp, V4L2_AV1_SEQUENCE_FLAG_ENABLE_JNT_COMP) |
		setIf(s.enable_ref_frame_mvs, V4L2_AV1_SEQUENCE_FLAG_ENABLE_REF_FRAME_MVS) |
		setIf(s.enable_superres, V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES) |
		setIf(s.enable_cdef, V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF) |
		setIf(s.enable_restoration, V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION) |
		setIf(cc.mono_chrome, V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME) |
		setIf(cc.color_range, V4L2_AV1_SEQUENCE_FLAG_COLOR_RANGE) |
		setIf(cc.subsampling_x, V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X) |
		setIf(cc.subsampling_y, V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y) |
		setIf(s.film_grain_params_present,
		      V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT) |
		setIf(cc.separate_uv_delta_q, V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q);
	seq.seq_profile = s.seq_profile;
	seq.order_hint_bits = s.order_hint_bits;
	seq.bit_depth = s.bit_depth;
	seq.max_frame_width_minus_1 = s.max_frame_width_minus_1;
	seq.max_frame_height_minus_1 = s.max_frame_height_minus_1;
	return seq;
}

inline v4l2_ctrl_av1_frame fillFrame(const GstAV1FrameHeaderOBU &f)
{
	v4l2_ctrl_av1_frame v{};
	const GstAV1TileInfo &ti = f.tile_info;
	const GstAV1QuantizationParams &q = f.quantization_params;
	const GstAV1SegmenationParams &seg = f.segmentation_params;
	const GstAV1LoopFilterParams &lf = f.loop_filter_params;
	const GstAV1CDEFParams &cdef = f.cdef_params;
	const GstAV1LoopRestorationParams &lr = f.loop_restoration_params;
	const GstAV1GlobalMotionParams &gm = f.global_motion_params;

	v.flags =
		setIf(f.show_frame, V4L2_AV1_FRAME_FLAG_SHOW_FRAME) |
		setIf(f.showable_frame, V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME) |
		setIf(f.error_resilient_mode, V4L2_AV1_FRAME_FLAG_ERROR_RESILIENT_MODE) |
		setIf(f.disable_cdf_update, V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE) |
		setIf(f.allow_screen_content_tools,
		      V4L2_AV1_FRAME_FLAG_ALLOW_SCREEN_CONTENT_TOOLS) |
		setIf(f.force_integer_mv, V4L2_AV1_FRAME_FLAG_FORCE_INTEGER_MV) |
		setIf(f.allow_intrabc, V4L2_AV1_FRAME_FLAG_ALLOW_INTRABC) |
		setIf(f.use_superres, V4L2_AV1_FRAME_FLAG_USE_SUPERRES) |
		setIf(f.allow_high_precision_mv, V4L2_AV1_FRAME_FLAG_ALLOW_HIGH_PRECISION_MV) |
		setIf(f.is_motion_mode_switchable, V4L2_AV1_FRAME_FLAG_IS_MOTION_MODE_SWITCHABLE) |
		setIf(f.use_ref_frame_mvs, V4L2_AV1_FRAME_FLAG_USE_REF_FRAME_MVS) |
		setIf(f.disable_frame_end_update_cdf,
		      V4L2_AV1_FRAME_FLAG_DISABLE_FRAME_END_UPDATE_CDF) |
		setIf(f.allow_warped_motion, V4L2_AV1_FRAME_FLAG_ALLOW_WARPED_MOTION) |
		setIf(f.reference_select, V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT) |
		setIf(f.reduced_tx_set, V4L2_AV1_FRAME_FLAG_REDUCED_TX_SET) |
		setIf(f.skip_mode_frame[0] > 0, V4L2_AV1_FRAME_FLAG_SKIP_MODE_ALLOWED) |
		setIf(f.skip_mode_present, V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT) |
		setIf(f.frame_size_override_flag, V4L2_AV1_FRAME_FLAG_FRAME_SIZE_OVERRIDE) |
		setIf(f.buffer_removal_time_present_flag,
		      V4L2_AV1_FRAME_FLAG_BUFFER_REMOVAL_TIME_PRESENT) |
		setIf(f.frame_refs_short_signaling, V4L2_AV1_FRAME_FLAG_FRAME_REFS_SHORT_SIGNALING);

	v.order_hint = f.order_hint;
	v.superres_denom = f.superres_denom;
	v.upscaled_width = f.upscaled_width;
	v.frame_width_minus_1 = f.frame_width - 1;
	v.frame_height_minus_1 = f.frame_height - 1;
	v.render_width_minus_1 = f.render_width - 1;
	v.render_height_minus_1 = f.render_height - 1;
	v.current_frame_id = f.current_frame_id;
	v.primary_ref_frame = f.primary_ref_frame;
	v.refresh_frame_flags = f.refresh_frame_flags;

	v.tile_info.flags =
		setIf(ti.uniform_tile_spacing_flag, V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING);
	v.tile_info.tile_size_bytes = ti.tile_size_bytes;
	v.tile_info.context_update_tile_id = ti.context_update_tile_id;
	v.tile_info.tile_cols = ti.tile_cols;
	v.tile_info.tile_rows = ti.tile_rows;
	static_assert(sizeof(v.tile_info.mi_col_starts) == sizeof(ti.mi_col_starts));
	static_assert(sizeof(v.tile_info.mi_row_starts) == sizeof(ti.mi_row_starts));
	memcpy(v.tile_info.mi_col_starts, ti.mi_col_starts, sizeof(ti.mi_col_starts));
	memcpy(v.tile_info.mi_row_starts, ti.mi_row_starts, sizeof(ti.mi_row_starts));
	memcpy(v.tile_info.width_in_sbs_minus_1, ti.width_in_sbs_minus_1,
	       sizeof(v.tile_info.width_in_sbs_minus_1));
	memcpy(v.tile_info.height_in_sbs_minus_1, ti.height_in_sbs_minus_1,
	       sizeof(v.tile_info.height_in_sbs_minus_1));

	v.quantization.flags = setIf(q.diff_uv_delta, V4L2_AV1_QUANTIZATION_FLAG_DIFF_UV_DELTA) |
			       setIf(q.using_qmatrix, V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX) |
			       setIf(q.delta_q_present, V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT);
	v.quantization.base_q_idx = q.base_q_idx;
	v.quantization.delta_q_y_dc = q.delta_q_y_dc;
	v.quantization.delta_q_u_dc = q.delta_q_u_dc;
	v.quantization.delta_q_u_ac = q.delta_q_u_ac;
	v.quantization.delta_q_v_dc = q.delta_q_v_dc;
	v.quantization.delta_q_v_ac = q.delta_q_v_ac;
	v.quantization.qm_y = q.qm_y;
	v.quantization.qm_u = q.qm_u;
	v.quantization.qm_v = q.qm_v;
	v.quantization.delta_q_res = q.delta_q_res;

	v.segmentation.flags =
		setIf(seg.segmentation_enabled, V4L2_AV1_SEGMENTATION_FLAG_ENABLED) |
		setIf(seg.segmentation_update_map, V4L2_AV1_SEGMENTATION_FLAG_UPDATE_MAP) |
		setIf(seg.segmentation_temporal_update,
		      V4L2_AV1_SEGMENTATION_FLAG_TEMPORAL_UPDATE) |
		setIf(seg.segmentation_update_data, V4L2_AV1_SEGMENTATION_FLAG_UPDATE_DATA) |
		setIf(seg.seg_id_pre_skip, V4L2_AV1_SEGMENTATION_FLAG_SEG_ID_PRE_SKIP);
	v.segmentation.last_active_seg_id = seg.last_active_seg_id;
	for (unsigned int i = 0; i < V4L2_AV1_MAX_SEGMENTS; i++) {
		for (unsigned int j = 0; j < V4L2_AV1_SEG_LVL_MAX; j++) {
			v.segmentation.feature_enabled[i] |= seg.feature_enabled[i][j] << j;
			v.segmentation.feature_data[i][j] = seg.feature_data[i][j];
		}
	}

	v.loop_filter.flags =
		setIf(lf.loop_filter_delta_enabled, V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED) |
		setIf(lf.loop_filter_delta_update, V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE) |
		setIf(lf.delta_lf_present, V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_PRESENT) |
		setIf(lf.delta_lf_multi, V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_MULTI);
	v.loop_filter.sharpness = lf.loop_filter_sharpness;
	v.loop_filter.delta_lf_res = lf.delta_lf_res;
	for (unsigned int i = 0; i < 4; i++)
		v.loop_filter.level[i] = lf.loop_filter_level[i];
	for (unsigned int i = 0; i < V4L2_AV1_TOTAL_REFS_PER_FRAME; i++)
		v.loop_filter.ref_deltas[i] = lf.loop_filter_ref_deltas[i];
	for (unsigned int i = 0; i < 2; i++)
		v.loop_filter.mode_deltas[i] = lf.loop_filter_mode_deltas[i];

	v.cdef.damping_minus_3 = cdef.cdef_damping - 3;
	v.cdef.bits = cdef.cdef_bits;
	for (unsigned int i = 0; i < V4L2_AV1_CDEF_MAX; i++) {
		v.cdef.y_pri_strength[i] = cdef.cdef_y_pri_strength[i];
		v.cdef.y_sec_strength[i] = cdef.cdef_y_sec_strength[i];
		v.cdef.uv_pri_strength[i] = cdef.cdef_uv_pri_strength[i];
		v.cdef.uv_sec_strength[i] = cdef.cdef_uv_sec_strength[i];
	}

	v.loop_restoration.flags =
		setIf(lr.uses_lr, V4L2_AV1_LOOP_RESTORATION_FLAG_USES_LR) |
		setIf(lr.frame_restoration_type[1], V4L2_AV1_LOOP_RESTORATION_FLAG_USES_CHROMA_LR);
	v.loop_restoration.lr_unit_shift = lr.lr_unit_shift;
	v.loop_restoration.lr_uv_shift = lr.lr_uv_shift;
	for (unsigned int i = 0; i < V4L2_AV1_NUM_PLANES_MAX; i++) {
		switch (lr.frame_restoration_type[i]) {
		case GST_AV1_FRAME_RESTORE_NONE:
			v.loop_restoration.frame_restoration_type[i] = V4L2_AV1_FRAME_RESTORE_NONE;
			break;
		case GST_AV1_FRAME_RESTORE_WIENER:
			v.loop_restoration.frame_restoration_type[i] =
				V4L2_AV1_FRAME_RESTORE_WIENER;
			break;
		case GST_AV1_FRAME_RESTORE_SGRPROJ:
			v.loop_restoration.frame_restoration_type[i] =
				V4L2_AV1_FRAME_RESTORE_SGRPROJ;
			break;
		case GST_AV1_FRAME_RESTORE_SWITCHABLE:
			v.loop_restoration.frame_restoration_type[i] =
				V4L2_AV1_FRAME_RESTORE_SWITCHABLE;
			break;
		}
		v.loop_restoration.loop_restoration_size[i] = lr.loop_restoration_size[i];
	}

	for (unsigned int i = 0; i < V4L2_AV1_TOTAL_REFS_PER_FRAME; i++) {
		v.global_motion.flags[i] =
			setIf(gm.is_global[i], V4L2_AV1_GLOBAL_MOTION_FLAG_IS_GLOBAL) |
			setIf(gm.is_rot_zoom[i], V4L2_AV1_GLOBAL_MOTION_FLAG_IS_ROT_ZOOM) |
			setIf(gm.is_translation[i], V4L2_AV1_GLOBAL_MOTION_FLAG_IS_TRANSLATION);
		v.global_motion.type[i] = static_cast<v4l2_av1_warp_model>(gm.gm_type[i]);
		v.global_motion.invalid |= gm.invalid[i] << i;
		for (unsigned int j = 0; j < 6; j++)
			v.global_motion.params[i][j] = gm.gm_params[i][j];
	}

	v.frame_type = static_cast<v4l2_av1_frame_type>(f.frame_type);
	v.interpolation_filter = static_cast<v4l2_av1_interpolation_filter>(f.interpolation_filter);
	v.tx_mode = static_cast<v4l2_av1_tx_mode>(f.tx_mode);

	for (unsigned int i = 0; i < V4L2_AV1_TOTAL_REFS_PER_FRAME; i++) {
		v.order_hints[i] = f.order_hints[i];
		/* Timestamps mean nothing to the rebuilder: make them garbage. */
		v.reference_frame_ts[i] = 0xdead0000u + i;
	}
	for (unsigned int i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++)
		v.ref_frame_idx[i] = f.ref_frame_idx[i];
	v.skip_mode_frame[0] = f.skip_mode_frame[0];
	v.skip_mode_frame[1] = f.skip_mode_frame[1];
	return v;
}

inline v4l2_ctrl_av1_film_grain fillFilmGrain(const GstAV1FilmGrainParams &fg)
{
	v4l2_ctrl_av1_film_grain v{};

	v.flags = setIf(fg.apply_grain, V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN) |
		  setIf(fg.update_grain, V4L2_AV1_FILM_GRAIN_FLAG_UPDATE_GRAIN) |
		  setIf(fg.chroma_scaling_from_luma,
			V4L2_AV1_FILM_GRAIN_FLAG_CHROMA_SCALING_FROM_LUMA) |
		  setIf(fg.overlap_flag, V4L2_AV1_FILM_GRAIN_FLAG_OVERLAP) |
		  setIf(fg.clip_to_restricted_range,
			V4L2_AV1_FILM_GRAIN_FLAG_CLIP_TO_RESTRICTED_RANGE);
	v.grain_seed = fg.grain_seed;
	v.film_grain_params_ref_idx = fg.film_grain_params_ref_idx;
	v.num_y_points = fg.num_y_points;
	v.num_cb_points = fg.num_cb_points;
	v.num_cr_points = fg.num_cr_points;
	v.grain_scaling_minus_8 = fg.grain_scaling_minus_8;
	v.ar_coeff_lag = fg.ar_coeff_lag;
	v.ar_coeff_shift_minus_6 = fg.ar_coeff_shift_minus_6;
	v.grain_scale_shift = fg.grain_scale_shift;
	v.cb_mult = fg.cb_mult;
	v.cb_luma_mult = fg.cb_luma_mult;
	v.cb_offset = fg.cb_offset;
	v.cr_mult = fg.cr_mult;
	v.cr_luma_mult = fg.cr_luma_mult;
	v.cr_offset = fg.cr_offset;
	memcpy(v.point_y_value, fg.point_y_value, sizeof(v.point_y_value));
	memcpy(v.point_y_scaling, fg.point_y_scaling, sizeof(v.point_y_scaling));
	memcpy(v.point_cb_value, fg.point_cb_value, sizeof(v.point_cb_value));
	memcpy(v.point_cb_scaling, fg.point_cb_scaling, sizeof(v.point_cb_scaling));
	memcpy(v.point_cr_value, fg.point_cr_value, sizeof(v.point_cr_value));
	memcpy(v.point_cr_scaling, fg.point_cr_scaling, sizeof(v.point_cr_scaling));
	memcpy(v.ar_coeffs_y_plus_128, fg.ar_coeffs_y_plus_128, sizeof(v.ar_coeffs_y_plus_128));
	memcpy(v.ar_coeffs_cb_plus_128, fg.ar_coeffs_cb_plus_128, sizeof(v.ar_coeffs_cb_plus_128));
	memcpy(v.ar_coeffs_cr_plus_128, fg.ar_coeffs_cr_plus_128, sizeof(v.ar_coeffs_cr_plus_128));
	return v;
}

} /* namespace daedalus::client */
