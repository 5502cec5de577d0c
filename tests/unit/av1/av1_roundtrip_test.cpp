/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hand-made controls through the rebuilder and back through GStreamer's AV1
 * parser: every value must come back as it went in, in the units the
 * controls use (remapped cdef strengths, final loop filter deltas, global
 * motion coded against the primary reference frame, ...).
 */

#define GST_USE_UNSTABLE_API

#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include <gst/codecparsers/gstav1parser.h>
#include <linux/v4l2-controls.h>

#include "av1_rebuilder.h"
#include "gst_controls.h"
#include "synthetic_controls.h"

using namespace daedalus::av1;
using namespace daedalus::av1::test;

namespace {

class RoundTrip
{
public:
	RoundTrip() : parser_(gst_av1_parser_new()) {}
	~RoundTrip() { gst_av1_parser_free(parser_); }
	RoundTrip(const RoundTrip &) = delete;
	RoundTrip &operator=(const RoundTrip &) = delete;

	/*
	 * Rebuild @c, parse the result and fill the controls again from what
	 * the parser read, into @parsed.
	 */
	testing::AssertionResult run(const Controls &c, v4l2_ctrl_av1_frame *parsed,
				     v4l2_ctrl_av1_film_grain *grain = nullptr)
	{
		std::vector<uint8_t> tu;
		if (c.rebuild(rebuilder_, &tu))
			return testing::AssertionFailure() << "rebuild: " << rebuilder_.error();

		GstAV1FrameHeaderOBU fh{};
		bool haveHeader = false;
		bool haveTiles = false;
		size_t offset = 0;
		while (offset < tu.size()) {
			GstAV1OBU obu;
			guint32 consumed = 0;
			if (gst_av1_parser_identify_one_obu(parser_, tu.data() + offset,
							    tu.size() - offset, &obu,
							    &consumed) != GST_AV1_PARSER_OK)
				return testing::AssertionFailure()
				       << "unidentified OBU at " << offset;

			GstAV1ParserResult res = GST_AV1_PARSER_OK;
			switch (obu.obu_type) {
			case GST_AV1_OBU_TEMPORAL_DELIMITER:
				res = gst_av1_parser_parse_temporal_delimiter_obu(parser_, &obu);
				break;
			case GST_AV1_OBU_SEQUENCE_HEADER: {
				GstAV1SequenceHeaderOBU sh;
				res = gst_av1_parser_parse_sequence_header_obu(parser_, &obu, &sh);
				if (res == GST_AV1_PARSER_OK) {
					const v4l2_ctrl_av1_sequence again = fillSequence(sh);
					if (memcmp(&again, &c.seq, sizeof(again)) != 0)
						return testing::AssertionFailure()
						       << "the sequence header differs";
				}
				break;
			}
			case GST_AV1_OBU_FRAME_HEADER:
				res = gst_av1_parser_parse_frame_header_obu(parser_, &obu, &fh);
				haveHeader = true;
				break;
			case GST_AV1_OBU_TILE_GROUP: {
				GstAV1TileGroupOBU tg;
				res = gst_av1_parser_parse_tile_group_obu(parser_, &obu, &tg);
				if (res == GST_AV1_PARSER_OK) {
					if (tg.tg_start != 0 ||
					    size_t(tg.tg_end) + 1 != c.tiles.size())
						return testing::AssertionFailure()
						       << "the tile group misses tiles";
					for (const v4l2_ctrl_av1_tile_group_entry &e : c.tiles) {
						const unsigned int n =
							e.tile_row * c.frame.tile_info.tile_cols +
							e.tile_col;
						const GstAV1TileGroupOBUEntry &r = tg.entry[n];
						if (r.tile_size != e.tile_size ||
						    memcmp(obu.data + r.tile_offset,
							   c.buffer.data() + e.tile_offset,
							   e.tile_size) != 0)
							return testing::AssertionFailure()
							       << "tile " << n << " differs";
					}
				}
				haveTiles = true;
				break;
			}
			default:
				return testing::AssertionFailure()
				       << "unexpected OBU type " << obu.obu_type;
			}
			if (res != GST_AV1_PARSER_OK)
				return testing::AssertionFailure()
				       << "OBU type " << obu.obu_type << " does not parse: " << res;
			offset += consumed;
		}
		if (!haveHeader || !haveTiles)
			return testing::AssertionFailure() << "no frame header or no tiles";

		gst_av1_parser_reference_frame_update(parser_, &fh);
		header_ = fh;
		*parsed = fillFrame(fh);
		if (grain)
			*grain = fillFilmGrain(fh.film_grain_params);
		return testing::AssertionSuccess();
	}

	const GstAV1FrameHeaderOBU &header() const { return header_; }

private:
	GstAV1Parser *parser_;
	Av1Rebuilder rebuilder_;
	GstAV1FrameHeaderOBU header_{};
};

/* @tiles tiles of @size bytes each, in tile order, for a @cols wide layout. */
void setTiles(Controls &c, unsigned int cols, unsigned int count, uint32_t size = 20)
{
	c.tiles.clear();
	c.buffer.assign(1, 0);
	for (unsigned int t = 0; t < count; t++) {
		c.tiles.push_back({ uint32_t(c.buffer.size()), size, t / cols, t % cols });
		for (uint32_t i = 0; i < size; i++)
			c.buffer.push_back(uint8_t(t + i));
	}
}

TEST(Av1RoundTrip, KeyFrameValues)
{
	RoundTrip rt;
	Controls c = keyFrame();
	v4l2_ctrl_av1_frame &f = c.frame;

	f.flags |= V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE | V4L2_AV1_FRAME_FLAG_REDUCED_TX_SET |
		   V4L2_AV1_FRAME_FLAG_ALLOW_SCREEN_CONTENT_TOOLS;
	f.render_width_minus_1 = 299;
	f.render_height_minus_1 = 199;
	f.order_hint = 0;

	f.quantization.base_q_idx = 201;
	f.quantization.delta_q_y_dc = -64;
	f.quantization.delta_q_u_dc = 63;
	f.quantization.delta_q_u_ac = -1;
	f.quantization.delta_q_v_dc = 63;
	f.quantization.delta_q_v_ac = -1;
	f.quantization.flags = V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX |
			       V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT;
	f.quantization.qm_y = 3;
	f.quantization.qm_u = 9;
	f.quantization.qm_v = 9;
	f.quantization.delta_q_res = 2;

	f.loop_filter.level[0] = 63;
	f.loop_filter.level[1] = 0;
	f.loop_filter.level[2] = 5;
	f.loop_filter.level[3] = 9;
	f.loop_filter.sharpness = 7;
	f.loop_filter.flags = V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED |
			      V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE |
			      V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_PRESENT |
			      V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_MULTI;
	const int8_t refDeltas[8] = { -64, 63, 0, -1, 5, -5, 2, -2 };
	memcpy(f.loop_filter.ref_deltas, refDeltas, sizeof(refDeltas));
	f.loop_filter.mode_deltas[0] = -3;
	f.loop_filter.mode_deltas[1] = 4;
	f.loop_filter.delta_lf_res = 1;

	/* Secondary strengths in the controls' remapped units. */
	f.cdef.damping_minus_3 = 2;
	f.cdef.bits = 2;
	const uint8_t yPri[4] = { 15, 0, 7, 3 };
	const uint8_t ySec[4] = { 0, 1, 2, 4 };
	const uint8_t uvPri[4] = { 1, 2, 3, 14 };
	const uint8_t uvSec[4] = { 4, 2, 1, 0 };
	memcpy(f.cdef.y_pri_strength, yPri, 4);
	memcpy(f.cdef.y_sec_strength, ySec, 4);
	memcpy(f.cdef.uv_pri_strength, uvPri, 4);
	memcpy(f.cdef.uv_sec_strength, uvSec, 4);
	f.tx_mode = V4L2_AV1_TX_MODE_LARGEST;

	v4l2_ctrl_av1_frame p;
	ASSERT_TRUE(rt.run(c, &p));

	EXPECT_EQ(p.frame_type, V4L2_AV1_KEY_FRAME);
	EXPECT_EQ(p.flags & ~V4L2_AV1_FRAME_FLAG_FORCE_INTEGER_MV,
		  f.flags | V4L2_AV1_FRAME_FLAG_ERROR_RESILIENT_MODE |
			  V4L2_AV1_FRAME_FLAG_DISABLE_FRAME_END_UPDATE_CDF);
	EXPECT_EQ(p.render_width_minus_1, 299);
	EXPECT_EQ(p.render_height_minus_1, 199);
	EXPECT_EQ(p.frame_width_minus_1, f.frame_width_minus_1);
	EXPECT_EQ(p.frame_height_minus_1, f.frame_height_minus_1);
	EXPECT_EQ(p.tx_mode, V4L2_AV1_TX_MODE_LARGEST);

	EXPECT_EQ(p.quantization.base_q_idx, 201);
	EXPECT_EQ(p.quantization.delta_q_y_dc, -64);
	EXPECT_EQ(p.quantization.delta_q_u_dc, 63);
	EXPECT_EQ(p.quantization.delta_q_u_ac, -1);
	EXPECT_EQ(p.quantization.delta_q_v_dc, 63);
	EXPECT_EQ(p.quantization.delta_q_v_ac, -1);
	EXPECT_EQ(p.quantization.qm_y, 3);
	EXPECT_EQ(p.quantization.qm_u, 9);
	EXPECT_EQ(p.quantization.qm_v, 9);
	EXPECT_EQ(p.quantization.delta_q_res, 2);
	EXPECT_TRUE(p.quantization.flags & V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT);

	EXPECT_EQ(memcmp(p.loop_filter.level, f.loop_filter.level, 4), 0);
	EXPECT_EQ(p.loop_filter.sharpness, 7);
	EXPECT_EQ(memcmp(p.loop_filter.ref_deltas, refDeltas, 8), 0);
	EXPECT_EQ(p.loop_filter.mode_deltas[0], -3);
	EXPECT_EQ(p.loop_filter.mode_deltas[1], 4);
	EXPECT_EQ(p.loop_filter.flags & 0x0c, f.loop_filter.flags & 0x0c);
	EXPECT_EQ(p.loop_filter.delta_lf_res, 1);

	EXPECT_EQ(p.cdef.damping_minus_3, 2);
	EXPECT_EQ(p.cdef.bits, 2);
	EXPECT_EQ(memcmp(p.cdef.y_pri_strength, yPri, 4), 0);
	EXPECT_EQ(memcmp(p.cdef.y_sec_strength, ySec, 4), 0);
	EXPECT_EQ(memcmp(p.cdef.uv_pri_strength, uvPri, 4), 0);
	EXPECT_EQ(memcmp(p.cdef.uv_sec_strength, uvSec, 4), 0);
}

TEST(Av1RoundTrip, SeparateChromaDeltas)
{
	RoundTrip rt;
	Controls c = keyFrame();
	c.seq.flags |= V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q;
	c.frame.quantization.delta_q_u_dc = 4;
	c.frame.quantization.delta_q_u_ac = -4;
	c.frame.quantization.delta_q_v_dc = -7;
	c.frame.quantization.delta_q_v_ac = 0;
	c.frame.quantization.flags = V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX;
	c.frame.quantization.qm_y = 1;
	c.frame.quantization.qm_u = 2;
	c.frame.quantization.qm_v = 15;

	v4l2_ctrl_av1_frame p;
	ASSERT_TRUE(rt.run(c, &p));
	EXPECT_EQ(p.quantization.delta_q_u_dc, 4);
	EXPECT_EQ(p.quantization.delta_q_u_ac, -4);
	EXPECT_EQ(p.quantization.delta_q_v_dc, -7);
	EXPECT_EQ(p.quantization.delta_q_v_ac, 0);
	EXPECT_EQ(p.quantization.qm_v, 15);
}

TEST(Av1RoundTrip, SegmentationFeatures)
{
	RoundTrip rt;
	Controls c = keyFrame();
	v4l2_av1_segmentation &s = c.frame.segmentation;
	s.flags = V4L2_AV1_SEGMENTATION_FLAG_ENABLED | V4L2_AV1_SEGMENTATION_FLAG_UPDATE_MAP |
		  V4L2_AV1_SEGMENTATION_FLAG_UPDATE_DATA;
	s.feature_enabled[0] = 1 << V4L2_AV1_SEG_LVL_ALT_Q;
	s.feature_data[0][V4L2_AV1_SEG_LVL_ALT_Q] = -100;
	s.feature_enabled[1] = 0x1e;
	s.feature_data[1][1] = 63;
	s.feature_data[1][2] = -63;
	s.feature_data[1][3] = 1;
	s.feature_data[1][4] = -1;
	s.feature_enabled[2] = 1 << V4L2_AV1_SEG_LVL_REF_FRAME;
	s.feature_data[2][V4L2_AV1_SEG_LVL_REF_FRAME] = 7;
	s.feature_enabled[6] = (1 << V4L2_AV1_SEG_LVL_REF_SKIP) |
			       (1 << V4L2_AV1_SEG_LVL_REF_GLOBALMV);
	s.feature_enabled[7] = 1 << V4L2_AV1_SEG_LVL_ALT_Q;
	s.feature_data[7][V4L2_AV1_SEG_LVL_ALT_Q] = 255;

	v4l2_ctrl_av1_frame p;
	ASSERT_TRUE(rt.run(c, &p));
	EXPECT_TRUE(p.segmentation.flags & V4L2_AV1_SEGMENTATION_FLAG_ENABLED);
	EXPECT_TRUE(p.segmentation.flags & V4L2_AV1_SEGMENTATION_FLAG_SEG_ID_PRE_SKIP);
	EXPECT_EQ(p.segmentation.last_active_seg_id, 7);
	EXPECT_EQ(memcmp(p.segmentation.feature_enabled, s.feature_enabled, 8), 0);
	EXPECT_EQ(memcmp(p.segmentation.feature_data, s.feature_data, sizeof(s.feature_data)), 0);
}

TEST(Av1RoundTrip, LosslessFrameHasNoFilters)
{
	RoundTrip rt;
	Controls c = keyFrame();
	c.frame.quantization.base_q_idx = 0;
	c.frame.tx_mode = V4L2_AV1_TX_MODE_ONLY_4X4;
	/* Loop filter and cdef values that must not be coded. */
	c.frame.loop_filter.level[0] = 30;
	c.frame.cdef.bits = 3;

	v4l2_ctrl_av1_frame p;
	ASSERT_TRUE(rt.run(c, &p));
	EXPECT_TRUE(rt.header().coded_lossless);
	EXPECT_EQ(p.tx_mode, V4L2_AV1_TX_MODE_ONLY_4X4);
	EXPECT_EQ(p.loop_filter.level[0], 0);
	EXPECT_EQ(p.cdef.bits, 0);
}

TEST(Av1RoundTrip, LoopRestoration)
{
	for (bool sb128 : { false, true }) {
		RoundTrip rt;
		Controls c = keyFrame();
		c.seq.flags |= V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION;
		if (sb128) {
			c.seq.flags |= V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK;
			c.frame.tile_info.mi_col_starts[1] = miUnits(352);
		}
		v4l2_av1_loop_restoration &lr = c.frame.loop_restoration;
		lr.flags = V4L2_AV1_LOOP_RESTORATION_FLAG_USES_LR |
			   V4L2_AV1_LOOP_RESTORATION_FLAG_USES_CHROMA_LR;
		lr.frame_restoration_type[0] = V4L2_AV1_FRAME_RESTORE_WIENER;
		lr.frame_restoration_type[1] = V4L2_AV1_FRAME_RESTORE_SGRPROJ;
		lr.frame_restoration_type[2] = V4L2_AV1_FRAME_RESTORE_SWITCHABLE;
		lr.lr_unit_shift = sb128 ? 2 : 1;
		lr.lr_uv_shift = 1;
		lr.loop_restoration_size[0] = sb128 ? 256 : 128;
		lr.loop_restoration_size[1] = sb128 ? 128 : 64;
		lr.loop_restoration_size[2] = sb128 ? 128 : 64;

		v4l2_ctrl_av1_frame p;
		ASSERT_TRUE(rt.run(c, &p)) << "sb128 " << sb128;
		for (unsigned int i = 0; i < 3; i++) {
			EXPECT_EQ(p.loop_restoration.frame_restoration_type[i],
				  lr.frame_restoration_type[i])
				<< "sb128 " << sb128 << " plane " << i;
			EXPECT_EQ(p.loop_restoration.loop_restoration_size[i],
				  lr.loop_restoration_size[i])
				<< "sb128 " << sb128 << " plane " << i;
		}
		EXPECT_EQ(p.loop_restoration.lr_unit_shift, lr.lr_unit_shift);
		EXPECT_EQ(p.loop_restoration.lr_uv_shift, 1);
	}
}

TEST(Av1RoundTrip, TileLayouts)
{
	/* 1280x720 in 64x64 superblocks: 20x12. */
	struct Layout {
		const char *what;
		std::vector<uint32_t> colSb;
		std::vector<uint32_t> rowSb;
		bool uniform;
	};
	const Layout layouts[] = {
		{ "uniform 4x2", { 0, 5, 10, 15 }, { 0, 6 }, true },
		{ "uniform 1x1", { 0 }, { 0 }, true },
		{ "uneven 3x2", { 0, 5, 15 }, { 0, 3 }, false },
		{ "one narrow column", { 0, 19 }, { 0 }, false },
		{ "uniform-looking but not", { 0, 10 }, { 0, 5 }, false },
	};

	for (const Layout &l : layouts) {
		RoundTrip rt;
		Controls c = keyFrame(1280, 720);
		v4l2_av1_tile_info &ti = c.frame.tile_info;
		ti.tile_cols = l.colSb.size();
		ti.tile_rows = l.rowSb.size();
		for (size_t i = 0; i < l.colSb.size(); i++)
			ti.mi_col_starts[i] = l.colSb[i] << 4;
		ti.mi_col_starts[l.colSb.size()] = miUnits(1280);
		for (size_t i = 0; i < l.rowSb.size(); i++)
			ti.mi_row_starts[i] = l.rowSb[i] << 4;
		ti.mi_row_starts[l.rowSb.size()] = miUnits(720);
		ti.context_update_tile_id = ti.tile_cols * ti.tile_rows - 1;
		setTiles(c, ti.tile_cols, ti.tile_cols * ti.tile_rows);

		v4l2_ctrl_av1_frame p;
		ASSERT_TRUE(rt.run(c, &p)) << l.what;
		EXPECT_EQ(p.tile_info.tile_cols, ti.tile_cols) << l.what;
		EXPECT_EQ(p.tile_info.tile_rows, ti.tile_rows) << l.what;
		EXPECT_EQ(memcmp(p.tile_info.mi_col_starts, ti.mi_col_starts,
				 (ti.tile_cols + 1) * sizeof(uint32_t)),
			  0)
			<< l.what;
		EXPECT_EQ(memcmp(p.tile_info.mi_row_starts, ti.mi_row_starts,
				 (ti.tile_rows + 1) * sizeof(uint32_t)),
			  0)
			<< l.what;
		EXPECT_EQ(p.tile_info.context_update_tile_id, ti.context_update_tile_id) << l.what;
		EXPECT_EQ(!!(p.tile_info.flags & V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING),
			  l.uniform)
			<< l.what;
	}
}

TEST(Av1RoundTrip, SuperresAndFrameSizeOverride)
{
	RoundTrip rt;
	Controls c = keyFrame(640, 480);
	c.seq.flags |= V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES;
	c.frame.flags |= V4L2_AV1_FRAME_FLAG_USE_SUPERRES;
	/* 352 upscaled, denominator 16: 176 coded. */
	c.frame.upscaled_width = 352;
	c.frame.superres_denom = 16;
	c.frame.frame_width_minus_1 = 175;
	c.frame.frame_height_minus_1 = 287;
	c.frame.render_width_minus_1 = 351;
	c.frame.render_height_minus_1 = 287;
	c.frame.tile_info.mi_col_starts[1] = miUnits(176);
	c.frame.tile_info.mi_row_starts[1] = miUnits(288);

	v4l2_ctrl_av1_frame p;
	ASSERT_TRUE(rt.run(c, &p));
	EXPECT_TRUE(p.flags & V4L2_AV1_FRAME_FLAG_USE_SUPERRES);
	EXPECT_TRUE(p.flags & V4L2_AV1_FRAME_FLAG_FRAME_SIZE_OVERRIDE);
	EXPECT_EQ(p.superres_denom, 16);
	EXPECT_EQ(p.upscaled_width, 352u);
	EXPECT_EQ(p.frame_width_minus_1, 175u);
	EXPECT_EQ(p.frame_height_minus_1, 287u);
	EXPECT_EQ(p.render_width_minus_1, 351);
}

TEST(Av1RoundTrip, FilmGrain)
{
	RoundTrip rt;
	Controls c = keyFrame();
	c.seq.flags |= V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT;
	v4l2_ctrl_av1_film_grain &g = c.filmGrain;
	c.hasFilmGrain = true;
	g.flags = V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN | V4L2_AV1_FILM_GRAIN_FLAG_UPDATE_GRAIN |
		  V4L2_AV1_FILM_GRAIN_FLAG_OVERLAP |
		  V4L2_AV1_FILM_GRAIN_FLAG_CLIP_TO_RESTRICTED_RANGE;
	g.grain_seed = 0xbeef;
	g.num_y_points = 3;
	const uint8_t yValue[3] = { 0, 100, 255 };
	const uint8_t yScaling[3] = { 20, 40, 60 };
	memcpy(g.point_y_value, yValue, 3);
	memcpy(g.point_y_scaling, yScaling, 3);
	g.num_cb_points = 2;
	g.point_cb_value[0] = 10;
	g.point_cb_value[1] = 200;
	g.point_cb_scaling[0] = 7;
	g.point_cb_scaling[1] = 8;
	g.num_cr_points = 1;
	g.point_cr_value[0] = 128;
	g.point_cr_scaling[0] = 99;
	g.grain_scaling_minus_8 = 2;
	g.ar_coeff_lag = 2;
	for (unsigned int i = 0; i < 12; i++)
		g.ar_coeffs_y_plus_128[i] = 100 + i;
	for (unsigned int i = 0; i < 13; i++) {
		g.ar_coeffs_cb_plus_128[i] = 50 + i;
		g.ar_coeffs_cr_plus_128[i] = 200 - i;
	}
	g.ar_coeff_shift_minus_6 = 3;
	g.grain_scale_shift = 1;
	g.cb_mult = 130;
	g.cb_luma_mult = 140;
	g.cb_offset = 300;
	g.cr_mult = 110;
	g.cr_luma_mult = 120;
	g.cr_offset = 511;

	v4l2_ctrl_av1_frame p;
	v4l2_ctrl_av1_film_grain pg;
	ASSERT_TRUE(rt.run(c, &p, &pg));
	EXPECT_EQ(memcmp(&pg, &g, sizeof(g)), 0);
}

TEST(Av1RoundTrip, InterFramesWithGlobalMotionAndSkipMode)
{
	RoundTrip rt;
	v4l2_ctrl_av1_frame p;
	ASSERT_TRUE(rt.run(keyFrame(), &p));

	/* Order hint 4 into slot 0, with global motion of every type. */
	Controls a = interFrame(4);
	a.frame.flags |= V4L2_AV1_FRAME_FLAG_ALLOW_HIGH_PRECISION_MV |
			 V4L2_AV1_FRAME_FLAG_IS_MOTION_MODE_SWITCHABLE |
			 V4L2_AV1_FRAME_FLAG_USE_REF_FRAME_MVS;
	a.frame.primary_ref_frame = 3;
	v4l2_av1_global_motion &gm = a.frame.global_motion;
	gm.type[V4L2_AV1_REF_LAST_FRAME] = V4L2_AV1_WARP_MODEL_ROTZOOM;
	const int32_t rotzoom[6] = { 3 << 10, -(7 << 10), (1 << 16) + 200,
				     -100,    100,	  (1 << 16) + 200 };
	memcpy(gm.params[V4L2_AV1_REF_LAST_FRAME], rotzoom, sizeof(rotzoom));
	gm.type[V4L2_AV1_REF_GOLDEN_FRAME] = V4L2_AV1_WARP_MODEL_AFFINE;
	const int32_t affine[6] = { 11 << 10, 0, (1 << 16) - 60, 20, -40, (1 << 16) + 10 };
	memcpy(gm.params[V4L2_AV1_REF_GOLDEN_FRAME], affine, sizeof(affine));
	gm.type[V4L2_AV1_REF_ALTREF_FRAME] = V4L2_AV1_WARP_MODEL_TRANSLATION;
	const int32_t translation[6] = { 5 << 13, -(2 << 13), 1 << 16, 0, 0, 1 << 16 };
	memcpy(gm.params[V4L2_AV1_REF_ALTREF_FRAME], translation, sizeof(translation));

	ASSERT_TRUE(rt.run(a, &p));
	EXPECT_EQ(p.frame_type, V4L2_AV1_INTER_FRAME);
	EXPECT_EQ(p.primary_ref_frame, 3);
	/* A shown inter frame is showable. */
	EXPECT_EQ(p.flags, a.frame.flags | V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME);
	for (unsigned int ref = 1; ref < 8; ref++) {
		EXPECT_EQ(p.global_motion.type[ref], gm.type[ref]) << "ref " << ref;
		if (gm.type[ref] == V4L2_AV1_WARP_MODEL_IDENTITY)
			continue;
		EXPECT_EQ(memcmp(p.global_motion.params[ref], gm.params[ref], 24), 0)
			<< "ref " << ref;
	}

	/*
	 * Order hint 2 between slot 1 (0) and slot 0 (4): skip mode is
	 * allowed. Global motion is coded against slot 0's, the primary
	 * reference frame's.
	 */
	Controls b = interFrame(2);
	b.frame.flags |= V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT |
			 V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT;
	b.frame.ref_frame_idx[1] = 1;
	b.frame.ref_frame_idx[4] = 1;
	b.frame.primary_ref_frame = 0;
	b.frame.refresh_frame_flags = 0x04;
	b.frame.interpolation_filter = V4L2_AV1_INTERPOLATION_FILTER_EIGHTTAP_SHARP;
	b.frame.global_motion.type[V4L2_AV1_REF_LAST_FRAME] = V4L2_AV1_WARP_MODEL_ROTZOOM;
	const int32_t rotzoom2[6] = {
		2 << 10, -(9 << 10), (1 << 16) + 210, -90, 90, (1 << 16) + 210
	};
	memcpy(b.frame.global_motion.params[V4L2_AV1_REF_LAST_FRAME], rotzoom2, sizeof(rotzoom2));

	ASSERT_TRUE(rt.run(b, &p));
	EXPECT_TRUE(p.flags & V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT);
	EXPECT_EQ(p.interpolation_filter, V4L2_AV1_INTERPOLATION_FILTER_EIGHTTAP_SHARP);
	EXPECT_EQ(memcmp(p.ref_frame_idx, b.frame.ref_frame_idx, 7), 0);
	EXPECT_EQ(memcmp(p.global_motion.params[V4L2_AV1_REF_LAST_FRAME], rotzoom2, 24), 0);
	EXPECT_EQ(p.order_hints[V4L2_AV1_REF_LAST_FRAME], 4u);
	EXPECT_EQ(p.order_hints[V4L2_AV1_REF_LAST2_FRAME], 0u);
}

TEST(Av1RoundTrip, LoopFilterDeltasAreInherited)
{
	RoundTrip rt;
	v4l2_ctrl_av1_frame p;
	Controls key = keyFrame();
	key.frame.loop_filter.flags |= V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE;
	const int8_t deltas[8] = { 1, 0, 0, 17, -1, 0, -1, -1 };
	memcpy(key.frame.loop_filter.ref_deltas, deltas, sizeof(deltas));
	ASSERT_TRUE(rt.run(key, &p));

	/* No update: the primary reference frame's values hold. */
	Controls inter = interFrame(1);
	ASSERT_TRUE(rt.run(inter, &p));
	EXPECT_EQ(memcmp(p.loop_filter.ref_deltas, deltas, sizeof(deltas)), 0);
}

TEST(Av1RoundTrip, ErrorResilientIntraOnlyAndSwitchFrames)
{
	RoundTrip rt;
	v4l2_ctrl_av1_frame p;
	ASSERT_TRUE(rt.run(keyFrame(), &p));

	Controls inter = interFrame(3);
	inter.frame.refresh_frame_flags = 0x04;
	ASSERT_TRUE(rt.run(inter, &p));

	/* ref_order_hint[] must match what the slots hold. */
	Controls intra = keyFrame();
	intra.frame.frame_type = V4L2_AV1_INTRA_ONLY_FRAME;
	intra.frame.flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME |
			    V4L2_AV1_FRAME_FLAG_ERROR_RESILIENT_MODE;
	intra.frame.order_hint = 5;
	intra.frame.refresh_frame_flags = 0x10;
	ASSERT_TRUE(rt.run(intra, &p));
	EXPECT_EQ(p.frame_type, V4L2_AV1_INTRA_ONLY_FRAME);
	EXPECT_EQ(p.refresh_frame_flags, 0x10);
	for (unsigned int i = 0; i < 8; i++)
		EXPECT_EQ(rt.header().ref_order_hint[i], i == 2 ? 3u : 0u) << "slot " << i;

	Controls after = interFrame(6);
	after.frame.ref_frame_idx[0] = 2;
	after.frame.ref_frame_idx[1] = 4;
	ASSERT_TRUE(rt.run(after, &p));
	EXPECT_EQ(p.order_hints[V4L2_AV1_REF_LAST_FRAME], 3u);
	EXPECT_EQ(p.order_hints[V4L2_AV1_REF_LAST2_FRAME], 5u);

	Controls sw = interFrame(7);
	sw.frame.frame_type = V4L2_AV1_SWITCH_FRAME;
	ASSERT_TRUE(rt.run(sw, &p));
	EXPECT_EQ(p.frame_type, V4L2_AV1_SWITCH_FRAME);
	EXPECT_EQ(p.refresh_frame_flags, 0xff);
	EXPECT_TRUE(p.flags & V4L2_AV1_FRAME_FLAG_ERROR_RESILIENT_MODE);
}

} /* namespace */
