/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests of the SPS/PPS rebuilder with hand-made controls, each parsed back
 * with GStreamer's H.264 parser.
 */

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "gst_h264_support.h"
#include "h264/h264_param_sets.h"

namespace daedalus::h264::test {
namespace {

v4l2_ctrl_h264_sps mainSps()
{
	v4l2_ctrl_h264_sps sps{};
	sps.profile_idc = 77;
	sps.constraint_set_flags = V4L2_H264_SPS_CONSTRAINT_SET1_FLAG;
	sps.level_idc = 40;
	sps.seq_parameter_set_id = 0;
	sps.chroma_format_idc = 1;
	sps.log2_max_frame_num_minus4 = 4;
	sps.pic_order_cnt_type = 0;
	sps.log2_max_pic_order_cnt_lsb_minus4 = 6;
	sps.max_num_ref_frames = 4;
	sps.pic_width_in_mbs_minus1 = 119;
	sps.pic_height_in_map_units_minus1 = 67;
	sps.flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY | V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;
	return sps;
}

v4l2_ctrl_h264_pps mainPps()
{
	v4l2_ctrl_h264_pps pps{};
	pps.pic_parameter_set_id = 0;
	pps.seq_parameter_set_id = 0;
	pps.num_ref_idx_l0_default_active_minus1 = 2;
	pps.flags = V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE |
		    V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT;
	return pps;
}

v4l2_ctrl_h264_scaling_matrix flatMatrix()
{
	v4l2_ctrl_h264_scaling_matrix m;
	std::memset(&m, 16, sizeof(m));
	return m;
}

/* Deterministic pseudo-random scaling lists, entries 1..255. */
v4l2_ctrl_h264_scaling_matrix randomMatrix(uint32_t seed)
{
	v4l2_ctrl_h264_scaling_matrix m;
	auto next = [&seed]() {
		seed = seed * 1664525 + 1013904223;
		return static_cast<uint8_t>(1 + (seed >> 24) % 255);
	};
	for (auto &list : m.scaling_list_4x4)
		for (auto &v : list)
			v = next();
	for (auto &list : m.scaling_list_8x8)
		for (auto &v : list)
			v = next();
	return m;
}

/* Rebuild SPS and PPS and parse them back; false on any failure. */
bool rebuild(const v4l2_ctrl_h264_sps &sps, const v4l2_ctrl_h264_pps &pps,
	     const v4l2_ctrl_h264_scaling_matrix *matrix, GstH264SPS *gstSps, GstH264PPS *gstPps,
	     std::vector<uint8_t> *nals = nullptr)
{
	std::vector<uint8_t> out;
	int ret = writeParameterSets(sps, pps, matrix, &out);
	EXPECT_EQ(ret, 0);
	if (ret)
		return false;
	if (nals)
		*nals = out;
	return parseRebuilt(out, gstSps, gstPps);
}

void expectSpsMatchesControl(const v4l2_ctrl_h264_sps &c, const GstH264SPS &s)
{
	EXPECT_EQ(s.profile_idc, c.profile_idc);
	const unsigned int constraints = s.constraint_set0_flag | s.constraint_set1_flag << 1 |
					 s.constraint_set2_flag << 2 | s.constraint_set3_flag << 3 |
					 s.constraint_set4_flag << 4 | s.constraint_set5_flag << 5;
	EXPECT_EQ(constraints, c.constraint_set_flags);
	EXPECT_EQ(s.level_idc, c.level_idc);
	EXPECT_EQ(s.id, c.seq_parameter_set_id);
	EXPECT_EQ(s.chroma_format_idc, c.chroma_format_idc);
	EXPECT_EQ(s.bit_depth_luma_minus8, c.bit_depth_luma_minus8);
	EXPECT_EQ(s.bit_depth_chroma_minus8, c.bit_depth_chroma_minus8);
	EXPECT_EQ(s.separate_colour_plane_flag,
		  !!(c.flags & V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE));
	EXPECT_EQ(s.qpprime_y_zero_transform_bypass_flag,
		  !!(c.flags & V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS));
	EXPECT_EQ(s.log2_max_frame_num_minus4, c.log2_max_frame_num_minus4);
	EXPECT_EQ(s.pic_order_cnt_type, c.pic_order_cnt_type);
	if (c.pic_order_cnt_type == 0) {
		EXPECT_EQ(s.log2_max_pic_order_cnt_lsb_minus4, c.log2_max_pic_order_cnt_lsb_minus4);
	}
	if (c.pic_order_cnt_type == 1) {
		EXPECT_EQ(s.delta_pic_order_always_zero_flag,
			  !!(c.flags & V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO));
		EXPECT_EQ(s.offset_for_non_ref_pic, c.offset_for_non_ref_pic);
		EXPECT_EQ(s.offset_for_top_to_bottom_field, c.offset_for_top_to_bottom_field);
		EXPECT_EQ(s.num_ref_frames_in_pic_order_cnt_cycle,
			  c.num_ref_frames_in_pic_order_cnt_cycle);
		for (unsigned int i = 0; i < c.num_ref_frames_in_pic_order_cnt_cycle; i++)
			EXPECT_EQ(s.offset_for_ref_frame[i], c.offset_for_ref_frame[i]) << i;
	}
	EXPECT_EQ(s.num_ref_frames, c.max_num_ref_frames);
	EXPECT_EQ(s.gaps_in_frame_num_value_allowed_flag,
		  !!(c.flags & V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED));
	EXPECT_EQ(s.pic_width_in_mbs_minus1, c.pic_width_in_mbs_minus1);
	EXPECT_EQ(s.pic_height_in_map_units_minus1, c.pic_height_in_map_units_minus1);
	EXPECT_EQ(s.frame_mbs_only_flag, !!(c.flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY));
	EXPECT_EQ(s.mb_adaptive_frame_field_flag,
		  !!(c.flags & V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD));
	EXPECT_EQ(s.direct_8x8_inference_flag,
		  !!(c.flags & V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE));
	EXPECT_EQ(s.frame_cropping_flag, 0);
	EXPECT_EQ(s.vui_parameters_present_flag, 0);
	EXPECT_EQ(s.scaling_matrix_present_flag, 0);
}

void expectPpsMatchesControl(const v4l2_ctrl_h264_pps &c, const GstH264PPS &p)
{
	EXPECT_EQ(p.id, c.pic_parameter_set_id);
	EXPECT_EQ(p.sequence->id, c.seq_parameter_set_id);
	EXPECT_EQ(p.entropy_coding_mode_flag, !!(c.flags & V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE));
	EXPECT_EQ(p.pic_order_present_flag,
		  !!(c.flags & V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT));
	EXPECT_EQ(p.num_slice_groups_minus1, 0u);
	EXPECT_EQ(p.num_ref_idx_l0_active_minus1, c.num_ref_idx_l0_default_active_minus1);
	EXPECT_EQ(p.num_ref_idx_l1_active_minus1, c.num_ref_idx_l1_default_active_minus1);
	EXPECT_EQ(p.weighted_pred_flag, !!(c.flags & V4L2_H264_PPS_FLAG_WEIGHTED_PRED));
	EXPECT_EQ(p.weighted_bipred_idc, c.weighted_bipred_idc);
	EXPECT_EQ(p.pic_init_qp_minus26, c.pic_init_qp_minus26);
	EXPECT_EQ(p.pic_init_qs_minus26, c.pic_init_qs_minus26);
	EXPECT_EQ(p.chroma_qp_index_offset, c.chroma_qp_index_offset);
	EXPECT_EQ(static_cast<int8_t>(p.second_chroma_qp_index_offset),
		  c.second_chroma_qp_index_offset);
	EXPECT_EQ(p.deblocking_filter_control_present_flag,
		  !!(c.flags & V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT));
	EXPECT_EQ(p.constrained_intra_pred_flag,
		  !!(c.flags & V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED));
	EXPECT_EQ(p.redundant_pic_cnt_present_flag,
		  !!(c.flags & V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT));
	EXPECT_EQ(p.transform_8x8_mode_flag, !!(c.flags & V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE));
}

/* The effective lists GStreamer parsed, in raster order, against @m. */
void expectListsMatch(const v4l2_ctrl_h264_scaling_matrix &m, const GstH264PPS &p,
		      unsigned int num8x8)
{
	for (unsigned int i = 0; i < 6; i++) {
		uint8_t raster[16];
		gst_h264_quant_matrix_4x4_get_raster_from_zigzag(raster, p.scaling_lists_4x4[i]);
		EXPECT_EQ(std::vector<int>(raster, raster + 16),
			  std::vector<int>(m.scaling_list_4x4[i], m.scaling_list_4x4[i] + 16))
			<< "4x4 list " << i;
	}
	for (unsigned int i = 0; i < num8x8; i++) {
		uint8_t raster[64];
		gst_h264_quant_matrix_8x8_get_raster_from_zigzag(raster, p.scaling_lists_8x8[i]);
		EXPECT_EQ(std::vector<int>(raster, raster + 64),
			  std::vector<int>(m.scaling_list_8x8[i], m.scaling_list_8x8[i] + 64))
			<< "8x8 list " << i;
	}
}

/* The zig-zag scan generated by walking the anti-diagonals. */
template<unsigned int N> std::array<uint8_t, N * N> zigzag()
{
	std::array<uint8_t, N * N> scan{};
	unsigned int i = 0;
	for (unsigned int d = 0; d < 2 * N - 1; d++) {
		/* Odd diagonals run down-left (x falling), even ones up-right. */
		for (unsigned int k = 0; k <= d; k++) {
			const unsigned int x = d % 2 ? d - k : k;
			const unsigned int y = d - x;
			if (x < N && y < N)
				scan[i++] = static_cast<uint8_t>(x + N * y);
		}
	}
	return scan;
}

TEST(H264ParamSets, ZigzagTables)
{
	const auto scan4 = zigzag<4>();
	const auto scan8 = zigzag<8>();
	EXPECT_TRUE(std::equal(scan4.begin(), scan4.end(), kZigzag4x4));
	EXPECT_TRUE(std::equal(scan8.begin(), scan8.end(), kZigzag8x8));

	/* Scan positions 1 and 2: right first, then down-left (Figure 8-8). */
	EXPECT_EQ(kZigzag4x4[1], 1);
	EXPECT_EQ(kZigzag4x4[2], 4);
	EXPECT_EQ(kZigzag8x8[2], 8);

	/* GStreamer's conversion agrees: position i lands on kZigzag[i]. */
	uint8_t zz4[16], raster4[16], zz8[64], raster8[64];
	for (unsigned int i = 0; i < 16; i++)
		zz4[i] = i;
	for (unsigned int i = 0; i < 64; i++)
		zz8[i] = i;
	gst_h264_quant_matrix_4x4_get_raster_from_zigzag(raster4, zz4);
	gst_h264_quant_matrix_8x8_get_raster_from_zigzag(raster8, zz8);
	for (unsigned int i = 0; i < 16; i++)
		EXPECT_EQ(raster4[kZigzag4x4[i]], i);
	for (unsigned int i = 0; i < 64; i++)
		EXPECT_EQ(raster8[kZigzag8x8[i]], i);
}

TEST(H264ParamSets, LayoutOfTheOutput)
{
	std::vector<uint8_t> out{ 0xee };
	ASSERT_EQ(writeParameterSets(mainSps(), mainPps(), nullptr, &out), 0);

	/* Appended after what was there; SPS first, 4-byte start codes. */
	ASSERT_GT(out.size(), 12u);
	EXPECT_EQ(out[0], 0xee);
	EXPECT_EQ(std::vector<uint8_t>(out.begin() + 1, out.begin() + 6),
		  (std::vector<uint8_t>{ 0x00, 0x00, 0x00, 0x01, 0x67 }));
	const uint8_t ppsStart[] = { 0x00, 0x00, 0x00, 0x01, 0x68 };
	auto it = std::search(out.begin() + 6, out.end(), ppsStart, ppsStart + 5);
	ASSERT_NE(it, out.end());

	/* writeSps() + writePps() make the same bytes. */
	std::vector<uint8_t> separate{ 0xee };
	ASSERT_EQ(writeSps(mainSps(), &separate), 0);
	ASSERT_EQ(writePps(mainPps(), mainSps(), nullptr, &separate), 0);
	EXPECT_EQ(out, separate);
}

TEST(H264ParamSets, MainProfile)
{
	const v4l2_ctrl_h264_sps sps = mainSps();
	const v4l2_ctrl_h264_pps pps = mainPps();
	GstH264SPS s;
	GstH264PPS p;
	ASSERT_TRUE(rebuild(sps, pps, nullptr, &s, &p));
	expectSpsMatchesControl(sps, s);
	expectPpsMatchesControl(pps, p);
	EXPECT_EQ(s.width, 1920);
	EXPECT_EQ(s.height, 1088);
	EXPECT_EQ(p.pic_scaling_matrix_present_flag, 0);
	gst_h264_pps_clear(&p);
}

TEST(H264ParamSets, HighProfileFieldsIgnoredForMainProfile)
{
	/* Not in a Main profile SPS: the bitstream implies 4:2:0, 8 bits. */
	v4l2_ctrl_h264_sps sps = mainSps();
	sps.chroma_format_idc = 0;
	sps.bit_depth_luma_minus8 = 2;
	sps.flags |= V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS;

	std::vector<uint8_t> a, b;
	ASSERT_EQ(writeSps(sps, &a), 0);
	ASSERT_EQ(writeSps(mainSps(), &b), 0);
	EXPECT_EQ(a, b);
}

TEST(H264ParamSets, High444AllSpsFields)
{
	v4l2_ctrl_h264_sps sps{};
	sps.profile_idc = 244;
	sps.constraint_set_flags = 0x3f;
	sps.level_idc = 52;
	sps.seq_parameter_set_id = 31;
	sps.chroma_format_idc = 3;
	sps.bit_depth_luma_minus8 = 6;
	sps.bit_depth_chroma_minus8 = 4;
	sps.log2_max_frame_num_minus4 = 12;
	sps.pic_order_cnt_type = 1;
	sps.num_ref_frames_in_pic_order_cnt_cycle = 255;
	for (unsigned int i = 0; i < 255; i++)
		sps.offset_for_ref_frame[i] = static_cast<int32_t>(i * 2654435761u);
	sps.offset_for_ref_frame[0] = INT32_MAX;
	sps.offset_for_ref_frame[1] = INT32_MIN + 1;
	sps.offset_for_ref_frame[2] = 0;
	sps.offset_for_non_ref_pic = -123456;
	sps.offset_for_top_to_bottom_field = 654321;
	sps.max_num_ref_frames = 16;
	sps.pic_width_in_mbs_minus1 = 511;
	sps.pic_height_in_map_units_minus1 = 143;
	sps.flags = V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE |
		    V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS |
		    V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO |
		    V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED |
		    V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD |
		    V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;

	v4l2_ctrl_h264_pps pps{};
	pps.pic_parameter_set_id = 255;
	pps.seq_parameter_set_id = 31;
	pps.num_ref_idx_l0_default_active_minus1 = 31;
	pps.num_ref_idx_l1_default_active_minus1 = 31;
	pps.weighted_bipred_idc = 2;
	pps.pic_init_qp_minus26 = -(26 + 36);
	pps.pic_init_qs_minus26 = 25;
	pps.chroma_qp_index_offset = -12;
	pps.second_chroma_qp_index_offset = 12;
	pps.flags = 0xff & ~V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;

	GstH264SPS s;
	GstH264PPS p;
	ASSERT_TRUE(rebuild(sps, pps, nullptr, &s, &p));
	expectSpsMatchesControl(sps, s);
	expectPpsMatchesControl(pps, p);
	EXPECT_EQ(s.chroma_array_type, 0) << "separate colour planes";
	EXPECT_EQ(s.height, 144 * 16 * 2) << "field map units";
	gst_h264_pps_clear(&p);
}

TEST(H264ParamSets, PicOrderCntTypes)
{
	for (unsigned int type = 0; type <= 2; type++) {
		v4l2_ctrl_h264_sps sps = mainSps();
		sps.pic_order_cnt_type = type;
		sps.log2_max_pic_order_cnt_lsb_minus4 = type == 0 ? 12 : 0;
		if (type == 1) {
			sps.num_ref_frames_in_pic_order_cnt_cycle = 3;
			sps.offset_for_ref_frame[0] = 2;
			sps.offset_for_ref_frame[1] = -7;
			sps.offset_for_ref_frame[2] = 1000;
			sps.offset_for_non_ref_pic = -1;
			sps.offset_for_top_to_bottom_field = 1;
		}
		/* Interlaced, so that the frame/field flags are exercised too. */
		sps.flags = V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;

		std::vector<uint8_t> out;
		ASSERT_EQ(writeSps(sps, &out), 0);
		GstH264SPS s;
		ASSERT_TRUE(parseRebuilt(out, &s, nullptr)) << "type " << type;
		expectSpsMatchesControl(sps, s);
	}
}

TEST(H264ParamSets, NoExtensionUnlessNeeded)
{
	const v4l2_ctrl_h264_sps sps = mainSps();
	v4l2_ctrl_h264_pps pps = mainPps();
	pps.chroma_qp_index_offset = -3;
	pps.second_chroma_qp_index_offset = -3;

	std::vector<uint8_t> plain, flat;
	ASSERT_EQ(writePps(pps, sps, nullptr, &plain), 0);

	/* A flat matrix is no matrix: not even the extension is written. */
	v4l2_ctrl_h264_pps withMatrix = pps;
	withMatrix.flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
	const v4l2_ctrl_h264_scaling_matrix m = flatMatrix();
	ASSERT_EQ(writePps(withMatrix, sps, &m, &flat), 0);
	EXPECT_EQ(plain, flat);

	GstH264SPS s;
	GstH264PPS p;
	ASSERT_TRUE(rebuild(sps, withMatrix, &m, &s, &p));
	EXPECT_EQ(p.pic_scaling_matrix_present_flag, 0);
	EXPECT_EQ(p.transform_8x8_mode_flag, 0);
	EXPECT_EQ(static_cast<int8_t>(p.second_chroma_qp_index_offset), -3);
	expectListsMatch(m, p, 0);
	gst_h264_pps_clear(&p);
}

TEST(H264ParamSets, ExtensionForSecondChromaQpOffsetAlone)
{
	v4l2_ctrl_h264_sps sps = mainSps();
	sps.profile_idc = 100;
	v4l2_ctrl_h264_pps pps = mainPps();
	pps.chroma_qp_index_offset = 2;
	pps.second_chroma_qp_index_offset = -5;

	GstH264SPS s;
	GstH264PPS p;
	ASSERT_TRUE(rebuild(sps, pps, nullptr, &s, &p));
	expectPpsMatchesControl(pps, p);
	EXPECT_EQ(p.pic_scaling_matrix_present_flag, 0);
	gst_h264_pps_clear(&p);
}

TEST(H264ParamSets, Transform8x8WithoutMatrix)
{
	v4l2_ctrl_h264_sps sps = mainSps();
	sps.profile_idc = 100;
	v4l2_ctrl_h264_pps pps = mainPps();
	pps.flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;

	GstH264SPS s;
	GstH264PPS p;
	ASSERT_TRUE(rebuild(sps, pps, nullptr, &s, &p));
	expectPpsMatchesControl(pps, p);
	EXPECT_EQ(p.pic_scaling_matrix_present_flag, 0);
	expectListsMatch(flatMatrix(), p, 2);
	gst_h264_pps_clear(&p);
}

TEST(H264ParamSets, ScalingMatrices)
{
	struct Case {
		unsigned int profile;
		unsigned int chromaFormat;
		bool transform8x8;
		unsigned int num8x8;
	};
	const Case cases[] = {
		{ 100, 1, true, 2 }, { 100, 1, false, 0 }, { 100, 0, true, 2 },
		{ 122, 2, true, 2 }, { 244, 3, true, 6 },  { 244, 3, false, 0 },
	};

	uint32_t seed = 1;
	for (const Case &c : cases) {
		SCOPED_TRACE("profile " + std::to_string(c.profile) + " chroma " +
			     std::to_string(c.chromaFormat) + " 8x8 " +
			     std::to_string(c.transform8x8));

		v4l2_ctrl_h264_sps sps = mainSps();
		sps.profile_idc = c.profile;
		sps.chroma_format_idc = c.chromaFormat;
		v4l2_ctrl_h264_pps pps = mainPps();
		pps.flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
		if (c.transform8x8)
			pps.flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;

		v4l2_ctrl_h264_scaling_matrix m = randomMatrix(seed++);
		/* Lists the picture cannot use may hold anything, zeros too. */
		for (unsigned int i = c.num8x8; i < 6; i++)
			std::memset(m.scaling_list_8x8[i], 0, 64);

		GstH264SPS s;
		GstH264PPS p;
		ASSERT_TRUE(rebuild(sps, pps, &m, &s, &p));
		expectPpsMatchesControl(pps, p);
		EXPECT_EQ(p.pic_scaling_matrix_present_flag, 1);
		expectListsMatch(m, p, c.num8x8);
		gst_h264_pps_clear(&p);
	}
}

/*
 * Lists that exercise the delta coding: the wrap-around of delta_scale, the
 * early end of a list (nextScale = 0, "repeat the last value"), which must
 * never happen at the first entry (there it means "default list").
 */
TEST(H264ParamSets, ScalingListCoding)
{
	v4l2_ctrl_h264_sps sps = mainSps();
	sps.profile_idc = 100;
	v4l2_ctrl_h264_pps pps = mainPps();
	pps.flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT |
		     V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;

	v4l2_ctrl_h264_scaling_matrix m = flatMatrix();
	/* Constant lists: one value, then "repeat". */
	std::memset(m.scaling_list_4x4[0], 255, 16);
	std::memset(m.scaling_list_4x4[1], 1, 16);
	std::memset(m.scaling_list_4x4[2], 8, 16);
	/* Extremes in turn: delta_scale wraps both ways. */
	for (unsigned int i = 0; i < 16; i++)
		m.scaling_list_4x4[3][kZigzag4x4[i]] = i % 2 ? 1 : 255;
	/* A tail of one repeated entry: cheaper written out than cut. */
	for (unsigned int i = 0; i < 16; i++)
		m.scaling_list_4x4[4][kZigzag4x4[i]] = i < 15 ? 20 + i : 34;
	/* A long tail of 200 after a ramp. */
	for (unsigned int i = 0; i < 64; i++)
		m.scaling_list_8x8[0][kZigzag8x8[i]] = i < 10 ? 6 + 4 * i : 200;
	/* The default Intra 8x8 list must not be mistaken for "use default". */
	std::memset(m.scaling_list_8x8[1], 6, 64);

	GstH264SPS s;
	GstH264PPS p;
	std::vector<uint8_t> nals;
	ASSERT_TRUE(rebuild(sps, pps, &m, &s, &p, &nals));
	expectListsMatch(m, p, 2);
	gst_h264_pps_clear(&p);

	/* Runs are cut short: far below 8 lists of one bit per entry. */
	EXPECT_LT(nals.size(), 200u);
}

TEST(H264ParamSets, Errors)
{
	const v4l2_ctrl_h264_sps sps = mainSps();
	const v4l2_ctrl_h264_pps pps = mainPps();
	const v4l2_ctrl_h264_scaling_matrix m = randomMatrix(7);
	std::vector<uint8_t> out{ 1, 2, 3 };
	const std::vector<uint8_t> before = out;

	v4l2_ctrl_h264_pps fmo = pps;
	fmo.num_slice_groups_minus1 = 1;
	EXPECT_EQ(writeParameterSets(sps, fmo, nullptr, &out), -EOPNOTSUPP);
	EXPECT_EQ(writePps(fmo, sps, nullptr, &out), -EOPNOTSUPP);

	v4l2_ctrl_h264_pps otherSps = pps;
	otherSps.seq_parameter_set_id = 1;
	EXPECT_EQ(writeParameterSets(sps, otherSps, nullptr, &out), -EINVAL);

	v4l2_ctrl_h264_pps needsMatrix = pps;
	needsMatrix.flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
	EXPECT_EQ(writeParameterSets(sps, needsMatrix, nullptr, &out), -EINVAL);

	v4l2_ctrl_h264_scaling_matrix zero = m;
	zero.scaling_list_4x4[5][15] = 0;
	EXPECT_EQ(writeParameterSets(sps, needsMatrix, &zero, &out), -EINVAL);
	v4l2_ctrl_h264_pps needs8x8 = needsMatrix;
	needs8x8.flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;
	zero = m;
	zero.scaling_list_8x8[1][0] = 0;
	EXPECT_EQ(writeParameterSets(sps, needs8x8, &zero, &out), -EINVAL);

	v4l2_ctrl_h264_sps bad = sps;
	bad.seq_parameter_set_id = 32;
	EXPECT_EQ(writeSps(bad, &out), -EINVAL);
	bad = sps;
	bad.pic_order_cnt_type = 3;
	EXPECT_EQ(writeSps(bad, &out), -EINVAL);
	bad = sps;
	bad.profile_idc = 100;
	bad.chroma_format_idc = 4;
	EXPECT_EQ(writeSps(bad, &out), -EINVAL);
	EXPECT_EQ(writeParameterSets(bad, pps, nullptr, &out), -EINVAL);

	v4l2_ctrl_h264_pps badPps = pps;
	badPps.weighted_bipred_idc = 3;
	EXPECT_EQ(writePps(badPps, sps, nullptr, &out), -EINVAL);
	badPps = pps;
	badPps.pic_init_qp_minus26 = -27; /* 8-bit luma: -26 at most */
	EXPECT_EQ(writePps(badPps, sps, nullptr, &out), -EINVAL);
	badPps = pps;
	badPps.chroma_qp_index_offset = 13;
	EXPECT_EQ(writePps(badPps, sps, nullptr, &out), -EINVAL);

	EXPECT_EQ(out, before) << "nothing appended on error";

	/* Zeros in the 8x8 lists matter only with transform 8x8. */
	zero = m;
	zero.scaling_list_8x8[0][0] = 0;
	EXPECT_EQ(writeParameterSets(sps, needsMatrix, &zero, &out), 0);
}

} /* namespace */
} /* namespace daedalus::h264::test */
