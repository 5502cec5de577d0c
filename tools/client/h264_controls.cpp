/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The H.264 stateless controls from GStreamer's H.264 parser.
 */

#include "h264_controls.h"

namespace daedalus::client {

std::vector<GstH264NalUnit> splitNalUnits(GstH264NalParser *parser, std::span<const uint8_t> stream)
{
	std::vector<GstH264NalUnit> nalus;
	guint offset = 0;

	while (offset < stream.size()) {
		GstH264NalUnit nalu{};
		const GstH264ParserResult res = gst_h264_parser_identify_nalu(
			parser, stream.data(), offset, stream.size(), &nalu);

		if (res == GST_H264_PARSER_OK || res == GST_H264_PARSER_NO_NAL_END) {
			nalus.push_back(nalu);
			if (res == GST_H264_PARSER_NO_NAL_END)
				break;
			offset = nalu.offset + nalu.size;
		} else if (res == GST_H264_PARSER_BROKEN_DATA && nalu.size > 0) {
			/* A unit GStreamer cannot identify (too short): skip it. */
			offset = nalu.offset + nalu.size;
		} else {
			break;
		}
	}

	return nalus;
}

v4l2_ctrl_h264_sps fillSps(const GstH264SPS &sps)
{
	v4l2_ctrl_h264_sps ctrl{};

	ctrl.profile_idc = sps.profile_idc;
	ctrl.constraint_set_flags =
		(sps.constraint_set0_flag ? V4L2_H264_SPS_CONSTRAINT_SET0_FLAG : 0) |
		(sps.constraint_set1_flag ? V4L2_H264_SPS_CONSTRAINT_SET1_FLAG : 0) |
		(sps.constraint_set2_flag ? V4L2_H264_SPS_CONSTRAINT_SET2_FLAG : 0) |
		(sps.constraint_set3_flag ? V4L2_H264_SPS_CONSTRAINT_SET3_FLAG : 0) |
		(sps.constraint_set4_flag ? V4L2_H264_SPS_CONSTRAINT_SET4_FLAG : 0) |
		(sps.constraint_set5_flag ? V4L2_H264_SPS_CONSTRAINT_SET5_FLAG : 0);
	ctrl.level_idc = sps.level_idc;
	ctrl.seq_parameter_set_id = sps.id;
	ctrl.chroma_format_idc = sps.chroma_format_idc;
	ctrl.bit_depth_luma_minus8 = sps.bit_depth_luma_minus8;
	ctrl.bit_depth_chroma_minus8 = sps.bit_depth_chroma_minus8;
	ctrl.log2_max_frame_num_minus4 = sps.log2_max_frame_num_minus4;
	ctrl.pic_order_cnt_type = sps.pic_order_cnt_type;
	ctrl.log2_max_pic_order_cnt_lsb_minus4 = sps.log2_max_pic_order_cnt_lsb_minus4;
	ctrl.max_num_ref_frames = sps.num_ref_frames;
	ctrl.num_ref_frames_in_pic_order_cnt_cycle = sps.num_ref_frames_in_pic_order_cnt_cycle;
	for (unsigned int i = 0; i < sps.num_ref_frames_in_pic_order_cnt_cycle; i++)
		ctrl.offset_for_ref_frame[i] = sps.offset_for_ref_frame[i];
	ctrl.offset_for_non_ref_pic = sps.offset_for_non_ref_pic;
	ctrl.offset_for_top_to_bottom_field = sps.offset_for_top_to_bottom_field;
	ctrl.pic_width_in_mbs_minus1 = sps.pic_width_in_mbs_minus1;
	ctrl.pic_height_in_map_units_minus1 = sps.pic_height_in_map_units_minus1;
	ctrl.flags =
		(sps.separate_colour_plane_flag ? V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE : 0) |
		(sps.qpprime_y_zero_transform_bypass_flag
			 ? V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS
			 : 0) |
		(sps.delta_pic_order_always_zero_flag
			 ? V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO
			 : 0) |
		(sps.gaps_in_frame_num_value_allowed_flag
			 ? V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED
			 : 0) |
		(sps.frame_mbs_only_flag ? V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY : 0) |
		(sps.mb_adaptive_frame_field_flag ? V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD
						  : 0) |
		(sps.direct_8x8_inference_flag ? V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE : 0);

	return ctrl;
}

H264Controls fillControls(const GstH264PPS &pps)
{
	const GstH264SPS &sps = *pps.sequence;
	H264Controls c{};

	c.sps = fillSps(sps);
	c.hasMatrix = sps.scaling_matrix_present_flag || pps.pic_scaling_matrix_present_flag;

	c.pps.pic_parameter_set_id = pps.id;
	c.pps.seq_parameter_set_id = sps.id;
	c.pps.num_slice_groups_minus1 = pps.num_slice_groups_minus1;
	c.pps.num_ref_idx_l0_default_active_minus1 = pps.num_ref_idx_l0_active_minus1;
	c.pps.num_ref_idx_l1_default_active_minus1 = pps.num_ref_idx_l1_active_minus1;
	c.pps.weighted_bipred_idc = pps.weighted_bipred_idc;
	c.pps.pic_init_qp_minus26 = pps.pic_init_qp_minus26;
	c.pps.pic_init_qs_minus26 = pps.pic_init_qs_minus26;
	c.pps.chroma_qp_index_offset = pps.chroma_qp_index_offset;
	/* GStreamer keeps this signed value in a guint8. */
	c.pps.second_chroma_qp_index_offset =
		static_cast<int8_t>(pps.second_chroma_qp_index_offset);
	c.pps.flags =
		(pps.entropy_coding_mode_flag ? V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE : 0) |
		(pps.pic_order_present_flag
			 ? V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT
			 : 0) |
		(pps.weighted_pred_flag ? V4L2_H264_PPS_FLAG_WEIGHTED_PRED : 0) |
		(pps.deblocking_filter_control_present_flag
			 ? V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT
			 : 0) |
		(pps.constrained_intra_pred_flag ? V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED : 0) |
		(pps.redundant_pic_cnt_present_flag ? V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT
						    : 0) |
		(pps.transform_8x8_mode_flag ? V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE : 0) |
		(c.hasMatrix ? V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT : 0);

	if (c.hasMatrix) {
		for (unsigned int i = 0; i < 6; i++)
			gst_h264_quant_matrix_4x4_get_raster_from_zigzag(
				c.matrix.scaling_list_4x4[i], pps.scaling_lists_4x4[i]);

		const unsigned int n = sps.chroma_format_idc == 3 ? 6 : 2;
		for (unsigned int i = 0; i < n; i++)
			gst_h264_quant_matrix_8x8_get_raster_from_zigzag(
				c.matrix.scaling_list_8x8[i], pps.scaling_lists_8x8[i]);
	}

	return c;
}

} /* namespace daedalus::client */
