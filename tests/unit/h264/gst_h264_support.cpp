/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test support around GStreamer's H.264 parser.
 */

#include "gst_h264_support.h"

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace daedalus::h264::test {

#define EXPECT_FIELD(field)                                                                        \
	EXPECT_EQ(int64_t(expected.field), int64_t(actual.field)) << what << ": " #field

void expectSameSps(const GstH264SPS &expected, const GstH264SPS &actual, const std::string &what)
{
	EXPECT_FIELD(id);
	EXPECT_FIELD(profile_idc);
	EXPECT_FIELD(constraint_set0_flag);
	EXPECT_FIELD(constraint_set1_flag);
	EXPECT_FIELD(constraint_set2_flag);
	EXPECT_FIELD(constraint_set3_flag);
	EXPECT_FIELD(constraint_set4_flag);
	EXPECT_FIELD(constraint_set5_flag);
	EXPECT_FIELD(level_idc);
	EXPECT_FIELD(chroma_format_idc);
	EXPECT_FIELD(separate_colour_plane_flag);
	EXPECT_FIELD(bit_depth_luma_minus8);
	EXPECT_FIELD(bit_depth_chroma_minus8);
	EXPECT_FIELD(qpprime_y_zero_transform_bypass_flag);
	EXPECT_FIELD(log2_max_frame_num_minus4);
	EXPECT_FIELD(pic_order_cnt_type);
	if (expected.pic_order_cnt_type == 0) {
		EXPECT_FIELD(log2_max_pic_order_cnt_lsb_minus4);
	}
	if (expected.pic_order_cnt_type == 1) {
		EXPECT_FIELD(delta_pic_order_always_zero_flag);
		EXPECT_FIELD(offset_for_non_ref_pic);
		EXPECT_FIELD(offset_for_top_to_bottom_field);
		EXPECT_FIELD(num_ref_frames_in_pic_order_cnt_cycle);
		for (unsigned int i = 0; i < expected.num_ref_frames_in_pic_order_cnt_cycle; i++)
			EXPECT_FIELD(offset_for_ref_frame[i]) << " [" << i << "]";
	}
	EXPECT_FIELD(num_ref_frames);
	EXPECT_FIELD(gaps_in_frame_num_value_allowed_flag);
	EXPECT_FIELD(pic_width_in_mbs_minus1);
	EXPECT_FIELD(pic_height_in_map_units_minus1);
	EXPECT_FIELD(frame_mbs_only_flag);
	if (!expected.frame_mbs_only_flag) {
		EXPECT_FIELD(mb_adaptive_frame_field_flag);
	}
	EXPECT_FIELD(direct_8x8_inference_flag);

	/* What the parser derives from them. */
	EXPECT_FIELD(chroma_array_type);
	EXPECT_FIELD(max_frame_num);
	EXPECT_FIELD(width);
	EXPECT_FIELD(height);

	/*
	 * Not compared, on purpose: frame cropping and VUI (not carried by
	 * V4L2, not written) and the SPS scaling lists (the effective lists
	 * are written into the PPS; expectSamePps() compares those).
	 */
}

namespace {

template<size_t N>
void expectSameList(const guint8 (&expected)[N], const guint8 (&actual)[N], const std::string &what)
{
	std::vector<int> e(expected, expected + N), a(actual, actual + N);
	EXPECT_EQ(e, a) << what;
}

} /* namespace */

void expectSamePps(const GstH264PPS &expected, const GstH264PPS &actual, const std::string &what)
{
	EXPECT_FIELD(id);
	EXPECT_FIELD(sequence->id);
	EXPECT_FIELD(entropy_coding_mode_flag);
	EXPECT_FIELD(pic_order_present_flag);
	EXPECT_FIELD(num_slice_groups_minus1);
	EXPECT_FIELD(num_ref_idx_l0_active_minus1);
	EXPECT_FIELD(num_ref_idx_l1_active_minus1);
	EXPECT_FIELD(weighted_pred_flag);
	EXPECT_FIELD(weighted_bipred_idc);
	EXPECT_FIELD(pic_init_qp_minus26);
	EXPECT_FIELD(pic_init_qs_minus26);
	EXPECT_FIELD(chroma_qp_index_offset);
	EXPECT_FIELD(deblocking_filter_control_present_flag);
	EXPECT_FIELD(constrained_intra_pred_flag);
	EXPECT_FIELD(redundant_pic_cnt_present_flag);
	EXPECT_FIELD(transform_8x8_mode_flag);
	EXPECT_FIELD(second_chroma_qp_index_offset);

	/*
	 * The effective lists, after the fall-back rules of both units: the
	 * 4x4 ones always, the 8x8 ones the picture can use.
	 */
	for (unsigned int i = 0; i < 6; i++)
		expectSameList(expected.scaling_lists_4x4[i], actual.scaling_lists_4x4[i],
			       what + ": scaling_lists_4x4[" + std::to_string(i) + "]");
	if (expected.transform_8x8_mode_flag) {
		const unsigned int n = expected.sequence->chroma_format_idc == 3 ? 6 : 2;
		for (unsigned int i = 0; i < n; i++)
			expectSameList(expected.scaling_lists_8x8[i], actual.scaling_lists_8x8[i],
				       what + ": scaling_lists_8x8[" + std::to_string(i) + "]");
	}
}

#undef EXPECT_FIELD

bool parseRebuilt(std::span<const uint8_t> nals, GstH264SPS *sps, GstH264PPS *pps)
{
	GstParser parser;
	std::vector<GstH264NalUnit> units = splitNalUnits(parser.get(), nals);

	const size_t expectedUnits = pps ? 2 : 1;
	EXPECT_EQ(units.size(), expectedUnits) << "NAL units found in the rebuilt data";
	if (units.size() != expectedUnits)
		return false;

	/* Units start at a 4-byte start code, nal_ref_idc 3. */
	EXPECT_EQ(units[0].sc_offset, 0u);
	EXPECT_EQ(units[0].offset, 4u);
	EXPECT_EQ(units[0].type, GST_H264_NAL_SPS);
	EXPECT_EQ(units[0].ref_idc, 3);

	GstH264ParserResult res = gst_h264_parser_parse_sps(parser.get(), &units[0], sps);
	EXPECT_EQ(res, GST_H264_PARSER_OK) << "GStreamer rejects the rebuilt SPS";
	if (res != GST_H264_PARSER_OK)
		return false;

	if (!pps)
		return true;

	EXPECT_EQ(nals[units[1].sc_offset], 0x00) << "4-byte start code";
	EXPECT_EQ(units[1].offset, units[1].sc_offset + 4);
	EXPECT_EQ(units[1].type, GST_H264_NAL_PPS);
	EXPECT_EQ(units[1].ref_idc, 3);

	res = gst_h264_parser_update_sps(parser.get(), sps);
	EXPECT_EQ(res, GST_H264_PARSER_OK);
	if (res != GST_H264_PARSER_OK)
		return false;

	res = gst_h264_parser_parse_pps(parser.get(), &units[1], pps);
	EXPECT_EQ(res, GST_H264_PARSER_OK) << "GStreamer rejects the rebuilt PPS";
	if (res != GST_H264_PARSER_OK)
		return false;

	/*
	 * pps->sequence points into the parser, which dies here: point it to
	 * the caller's copy instead.
	 */
	pps->sequence = sps;
	return true;
}

} /* namespace daedalus::h264::test */
