/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AV1 rebuilder without a real parser: the OBU layout of the temporal
 * unit, the neutral sequence header bit by bit, the tile group assembly,
 * the reference slots and the rejection of inconsistent controls.
 * (av1_roundtrip_test.cpp checks the frame header against GStreamer's
 * parser.)
 */

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <gtest/gtest.h>
#include <linux/v4l2-controls.h>
#include <optional>
#include <vector>

#include "av1_rebuilder.h"
#include "bit_reader.h"
#include "synthetic_controls.h"

using namespace daedalus::av1;
using namespace daedalus::av1::test;

namespace {

struct Obu {
	unsigned int type;
	bool extension;
	bool hasSize;
	std::vector<uint8_t> payload;
};

/* Split a temporal unit into OBUs; fails the test on a malformed one. */
std::vector<Obu> splitObus(const std::vector<uint8_t> &tu)
{
	std::vector<Obu> obus;
	size_t pos = 0;

	while (pos < tu.size()) {
		BitReader br(std::span<const uint8_t>(tu).subspan(pos));
		EXPECT_EQ(br.f(1), 0u) << "obu_forbidden_bit";
		Obu obu;
		obu.type = br.f(4);
		obu.extension = br.f(1);
		obu.hasSize = br.f(1);
		br.f(1);
		const uint64_t size = br.leb128();
		pos += br.position() / 8;
		if (br.overrun() || size > tu.size() - pos) {
			ADD_FAILURE() << "OBU at " << pos << " overruns the temporal unit";
			break;
		}
		obu.payload.assign(tu.begin() + pos, tu.begin() + pos + size);
		pos += size;
		obus.push_back(obu);
	}
	return obus;
}

TEST(Av1Rebuilder, TemporalUnitLayout)
{
	Av1Rebuilder rebuilder;
	const Controls c = keyFrame();
	std::vector<uint8_t> tu = { 1, 2, 3 };

	ASSERT_EQ(c.rebuild(rebuilder, &tu), 0) << rebuilder.error();
	const std::vector<Obu> obus = splitObus(tu);
	ASSERT_EQ(obus.size(), 4u);

	/* Temporal delimiter, sequence header, frame header, tile group. */
	const unsigned int types[] = { 2, 1, 3, 4 };
	for (size_t i = 0; i < obus.size(); i++) {
		EXPECT_EQ(obus[i].type, types[i]) << "OBU " << i;
		EXPECT_FALSE(obus[i].extension) << "OBU " << i;
		EXPECT_TRUE(obus[i].hasSize) << "OBU " << i;
	}
	EXPECT_TRUE(obus[0].payload.empty());
	EXPECT_FALSE(obus[2].payload.empty());

	/* One tile: the tile group is the tile data, verbatim. */
	const std::vector<uint8_t> tile(c.buffer.begin() + 10, c.buffer.end());
	EXPECT_EQ(obus[3].payload, tile);
}

TEST(Av1Rebuilder, SequenceHeaderIsNeutral)
{
	Av1Rebuilder rebuilder;
	Controls c = keyFrame(1920, 1080);
	c.seq.flags |= V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK |
		       V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES | V4L2_AV1_SEQUENCE_FLAG_COLOR_RANGE |
		       V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT;
	c.frame.tile_info.mi_col_starts[1] = miUnits(1920);
	c.frame.tile_info.mi_row_starts[1] = miUnits(1080);
	std::vector<uint8_t> tu;

	ASSERT_EQ(c.rebuild(rebuilder, &tu), 0) << rebuilder.error();
	const std::vector<Obu> obus = splitObus(tu);
	ASSERT_GE(obus.size(), 2u);

	/* sequence_header_obu(), section 5.5. */
	BitReader br(obus[1].payload);
	EXPECT_EQ(br.f(3), 0u) << "seq_profile";
	EXPECT_EQ(br.f(1), 0u) << "still_picture";
	EXPECT_EQ(br.f(1), 0u) << "reduced_still_picture_header";
	EXPECT_EQ(br.f(1), 0u) << "timing_info_present_flag";
	EXPECT_EQ(br.f(1), 0u) << "initial_display_delay_present_flag";
	EXPECT_EQ(br.f(5), 0u) << "operating_points_cnt_minus_1";
	EXPECT_EQ(br.f(12), 0u) << "operating_point_idc[0]";
	const uint32_t level = br.f(5);
	EXPECT_EQ(level, 31u) << "seq_level_idx[0]";
	if (level > 7) {
		EXPECT_EQ(br.f(1), 0u) << "seq_tier[0]";
	}
	const unsigned int widthBits = br.f(4) + 1;
	const unsigned int heightBits = br.f(4) + 1;
	EXPECT_EQ(widthBits, 11u);
	EXPECT_EQ(heightBits, 11u);
	EXPECT_EQ(br.f(widthBits), 1919u);
	EXPECT_EQ(br.f(heightBits), 1079u);
	EXPECT_EQ(br.f(1), 0u) << "frame_id_numbers_present_flag";
	EXPECT_EQ(br.f(1), 1u) << "use_128x128_superblock";
	EXPECT_EQ(br.f(1), 0u) << "enable_filter_intra";
	EXPECT_EQ(br.f(1), 0u) << "enable_intra_edge_filter";
	EXPECT_EQ(br.f(1), 0u) << "enable_interintra_compound";
	EXPECT_EQ(br.f(1), 0u) << "enable_masked_compound";
	EXPECT_EQ(br.f(1), 0u) << "enable_warped_motion";
	EXPECT_EQ(br.f(1), 0u) << "enable_dual_filter";
	EXPECT_EQ(br.f(1), 1u) << "enable_order_hint";
	EXPECT_EQ(br.f(1), 0u) << "enable_jnt_comp";
	EXPECT_EQ(br.f(1), 1u) << "enable_ref_frame_mvs";
	EXPECT_EQ(br.f(1), 1u) << "seq_choose_screen_content_tools";
	EXPECT_EQ(br.f(1), 1u) << "seq_choose_integer_mv";
	EXPECT_EQ(br.f(3), 6u) << "order_hint_bits_minus_1";
	EXPECT_EQ(br.f(1), 1u) << "enable_superres";
	EXPECT_EQ(br.f(1), 1u) << "enable_cdef";
	EXPECT_EQ(br.f(1), 0u) << "enable_restoration";
	/* color_config(), section 5.5.2. */
	EXPECT_EQ(br.f(1), 0u) << "high_bitdepth";
	EXPECT_EQ(br.f(1), 0u) << "mono_chrome";
	EXPECT_EQ(br.f(1), 0u) << "color_description_present_flag";
	EXPECT_EQ(br.f(1), 1u) << "color_range";
	EXPECT_EQ(br.f(2), 0u) << "chroma_sample_position";
	EXPECT_EQ(br.f(1), 0u) << "separate_uv_delta_q";
	EXPECT_EQ(br.f(1), 1u) << "film_grain_params_present";
	/* trailing_bits(). */
	EXPECT_EQ(br.f(1), 1u) << "trailing_one_bit";
	while (br.position() % 8)
		EXPECT_EQ(br.f(1), 0u) << "trailing_zero_bit";
	EXPECT_EQ(br.position(), 8 * obus[1].payload.size());
}

TEST(Av1Rebuilder, TilesInTileOrderWithLittleEndianSizes)
{
	Av1Rebuilder rebuilder;
	/* 512x256 in 64x64 superblocks: 8x4, two uniform tile columns and rows. */
	Controls c = keyFrame(512, 256);
	c.frame.tile_info.tile_cols = 2;
	c.frame.tile_info.tile_rows = 2;
	c.frame.tile_info.mi_col_starts[1] = 64;
	c.frame.tile_info.mi_col_starts[2] = 128;
	c.frame.tile_info.mi_row_starts[1] = 32;
	c.frame.tile_info.mi_row_starts[2] = 64;

	/* Tiles 0..3 with these sizes, stored in the buffer in reverse order. */
	const uint32_t sizes[4] = { 300, 5, 70000, 9 };
	c.buffer.assign(3, 0);
	c.tiles.clear();
	std::vector<std::vector<uint8_t>> data(4);
	for (int t = 3; t >= 0; t--) {
		for (uint32_t i = 0; i < sizes[t]; i++)
			data[t].push_back(uint8_t(t * 31 + i));
		c.tiles.push_back(
			{ uint32_t(c.buffer.size()), sizes[t], uint32_t(t / 2), uint32_t(t % 2) });
		c.buffer.insert(c.buffer.end(), data[t].begin(), data[t].end());
	}
	std::swap(c.tiles[0], c.tiles[2]);

	std::vector<uint8_t> tu;
	ASSERT_EQ(c.rebuild(rebuilder, &tu), 0) << rebuilder.error();
	const std::vector<Obu> obus = splitObus(tu);
	ASSERT_EQ(obus.size(), 4u);

	/*
	 * tile_start_and_end_present_flag = 0 and byte alignment, then
	 * tile_size_minus_1 in the fewest bytes that hold 69999 (3), except
	 * for the last tile.
	 */
	const std::vector<uint8_t> &p = obus[3].payload;
	BitReader br(p);
	EXPECT_EQ(br.f(8), 0u);
	size_t pos = 1;
	for (unsigned int t = 0; t < 4; t++) {
		if (t < 3) {
			EXPECT_EQ(br.le(3), sizes[t] - 1) << "tile " << t;
			pos += 3;
		}
		ASSERT_LE(pos + sizes[t], p.size());
		EXPECT_TRUE(std::equal(data[t].begin(), data[t].end(), p.begin() + pos))
			<< "tile " << t;
		pos += sizes[t];
		for (uint32_t i = 0; i < sizes[t]; i++)
			br.f(8);
	}
	EXPECT_EQ(pos, p.size());
}

TEST(Av1Rebuilder, OutputDoesNotDependOnTheBufferLayout)
{
	Av1Rebuilder a;
	Av1Rebuilder b;
	const Controls c = keyFrame();
	Controls moved = c;
	moved.buffer.insert(moved.buffer.begin(), 1000, 0x55);
	moved.buffer.insert(moved.buffer.end(), 17, 0x66);
	moved.tiles[0].tile_offset += 1000;

	std::vector<uint8_t> tuA, tuB;
	ASSERT_EQ(c.rebuild(a, &tuA), 0) << a.error();
	ASSERT_EQ(moved.rebuild(b, &tuB), 0) << b.error();
	EXPECT_EQ(tuA, tuB);
}

TEST(Av1Rebuilder, ReferenceSlotsFollowRefreshFlags)
{
	Av1Rebuilder rebuilder;
	std::vector<uint8_t> tu;

	for (unsigned int i = 0; i < kNumRefFrames; i++)
		EXPECT_FALSE(rebuilder.slot(i).valid);

	ASSERT_EQ(keyFrame().rebuild(rebuilder, &tu), 0) << rebuilder.error();
	for (unsigned int i = 0; i < kNumRefFrames; i++) {
		const ReferenceSlot &s = rebuilder.slot(i);
		EXPECT_TRUE(s.valid);
		EXPECT_EQ(s.frameType, V4L2_AV1_KEY_FRAME);
		EXPECT_EQ(s.orderHint, 0u);
		EXPECT_EQ(s.upscaledWidth, 352u);
		EXPECT_EQ(s.frameHeight, 288u);
		/* Defaults of setup_past_independence(). */
		EXPECT_EQ(s.loopFilterRefDeltas[0], 1);
		EXPECT_EQ(s.loopFilterRefDeltas[4], -1);
		EXPECT_EQ(s.gmParams[1][2], 1 << 16);
	}

	Controls inter = interFrame(5);
	inter.frame.refresh_frame_flags = 0x06;
	inter.frame.loop_filter.flags |= V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE;
	inter.frame.loop_filter.ref_deltas[1] = 3;
	inter.frame.loop_filter.mode_deltas[1] = -2;
	inter.frame.global_motion.type[2] = V4L2_AV1_WARP_MODEL_TRANSLATION;
	/* Translation without high precision: multiples of 1 << 14. */
	inter.frame.global_motion.params[2][0] = 3 << 14;
	inter.frame.global_motion.params[2][1] = -(5 << 14);
	ASSERT_EQ(inter.rebuild(rebuilder, &tu), 0) << rebuilder.error();

	for (unsigned int i = 0; i < kNumRefFrames; i++) {
		const ReferenceSlot &s = rebuilder.slot(i);
		const bool refreshed = i == 1 || i == 2;
		EXPECT_TRUE(s.valid);
		EXPECT_EQ(s.frameType, refreshed ? V4L2_AV1_INTER_FRAME : V4L2_AV1_KEY_FRAME);
		EXPECT_EQ(s.orderHint, refreshed ? 5u : 0u);
		EXPECT_EQ(s.loopFilterRefDeltas[1], refreshed ? 3 : 0);
		EXPECT_EQ(s.loopFilterModeDeltas[1], refreshed ? -2 : 0);
		EXPECT_EQ(s.gmParams[2][0], refreshed ? 3 << 14 : 0);
		EXPECT_EQ(s.gmParams[2][1], refreshed ? -(5 << 14) : 0);
		EXPECT_EQ(s.gmParams[2][2], 1 << 16);
	}

	/* A hidden key frame refreshes its slots only. */
	Controls hidden = keyFrame();
	hidden.frame.flags = V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME;
	hidden.frame.order_hint = 9;
	hidden.frame.refresh_frame_flags = 0x80;
	ASSERT_EQ(hidden.rebuild(rebuilder, &tu), 0) << rebuilder.error();
	EXPECT_EQ(rebuilder.slot(7).orderHint, 9u);
	EXPECT_EQ(rebuilder.slot(1).orderHint, 5u);
	EXPECT_TRUE(rebuilder.slot(1).valid);

	rebuilder.reset();
	for (unsigned int i = 0; i < kNumRefFrames; i++)
		EXPECT_FALSE(rebuilder.slot(i).valid);
}

TEST(Av1Rebuilder, ReplaysShowExistingKeyFrames)
{
	Av1Rebuilder rebuilder;
	std::vector<uint8_t> tu;

	/* Request 0: a key frame in every slot. */
	Controls key = keyFrame();
	ASSERT_EQ(key.rebuild(rebuilder, 0, &tu), 0) << rebuilder.error();
	EXPECT_EQ(rebuilder.precedingPictures(), 0u);

	/* Request 1000: a hidden, showable key frame in slot 3. */
	Controls hidden = keyFrame();
	hidden.frame.flags = V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME;
	hidden.frame.order_hint = 8;
	hidden.frame.refresh_frame_flags = 0x08;
	ASSERT_EQ(hidden.rebuild(rebuilder, 1000, &tu), 0) << rebuilder.error();

	/* Request 2000: an inter frame in slot 5, the slots as the client has them. */
	Controls inter = interFrame(1);
	inter.frame.refresh_frame_flags = 0x20;
	for (unsigned int i = 0; i < 8; i++)
		inter.frame.reference_frame_ts[i] = i == 3 ? 1000 : 0;
	ASSERT_EQ(inter.rebuild(rebuilder, 2000, &tu), 0) << rebuilder.error();
	EXPECT_EQ(rebuilder.precedingPictures(), 0u);

	/*
	 * The client showed the hidden key frame, which took every slot:
	 * request 3000 names it everywhere. Without a timestamp the rebuilder
	 * cannot tell, with mixed timestamps nothing happened.
	 */
	Controls next = interFrame(9);
	next.frame.refresh_frame_flags = 0x01;
	for (unsigned int i = 0; i < 8; i++)
		next.frame.reference_frame_ts[i] = 1000;
	{
		Av1Rebuilder copy = rebuilder;
		ASSERT_EQ(next.rebuild(copy, &tu), 0) << copy.error();
		EXPECT_EQ(copy.precedingPictures(), 0u);
		EXPECT_EQ(copy.slot(5).orderHint, 1u);

		Controls mixed = next;
		mixed.frame.reference_frame_ts[6] = 2000;
		Av1Rebuilder other = rebuilder;
		ASSERT_EQ(mixed.rebuild(other, 3000, &tu), 0) << other.error();
		EXPECT_EQ(other.precedingPictures(), 0u);
	}

	ASSERT_EQ(next.rebuild(rebuilder, 3000, &tu), 0) << rebuilder.error();
	EXPECT_EQ(rebuilder.precedingPictures(), 1u);

	/* TD, SH, show_existing_frame of slot 3, then TD, FH, TG. */
	const std::vector<Obu> obus = splitObus(tu);
	ASSERT_EQ(obus.size(), 6u);
	const unsigned int types[] = { 2, 1, 3, 2, 3, 4 };
	for (size_t i = 0; i < obus.size(); i++)
		EXPECT_EQ(obus[i].type, types[i]) << "OBU " << i;
	EXPECT_EQ(obus[2].payload, (std::vector<uint8_t>{ 0x80 | 3 << 4 | 0x08 }));

	/* Every slot a copy of the key frame, no longer showable, but slot 0. */
	for (unsigned int i = 0; i < 8; i++) {
		const ReferenceSlot &slot = rebuilder.slot(i);
		EXPECT_EQ(slot.orderHint, i == 0 ? 9u : 8u) << "slot " << i;
		EXPECT_EQ(slot.timestamp, std::optional<uint64_t>(i == 0 ? 3000 : 1000))
			<< "slot " << i;
		EXPECT_EQ(slot.frameType, i == 0 ? V4L2_AV1_INTER_FRAME : V4L2_AV1_KEY_FRAME);
		if (i) {
			EXPECT_FALSE(slot.showable) << "slot " << i;
		}
	}

	/* Once the slots hold it, nothing more to replay. */
	Controls after = interFrame(10);
	after.frame.refresh_frame_flags = 0x02;
	for (unsigned int i = 0; i < 8; i++)
		after.frame.reference_frame_ts[i] = i == 0 ? 3000 : 1000;
	ASSERT_EQ(after.rebuild(rebuilder, 4000, &tu), 0) << rebuilder.error();
	EXPECT_EQ(rebuilder.precedingPictures(), 0u);
}

TEST(Av1Rebuilder, RejectsInconsistentControls)
{
	struct Case {
		const char *what;
		std::function<void(Controls &)> mutate;
	};
	const Case cases[] = {
		{ "tile beyond the buffer", [](Controls &c) { c.tiles[0].tile_size += 1; } },
		{ "tile offset beyond the buffer",
		  [](Controls &c) { c.tiles[0].tile_offset = 0xfffffff0; } },
		{ "empty tile", [](Controls &c) { c.tiles[0].tile_size = 0; } },
		{ "no tile", [](Controls &c) { c.tiles.clear(); } },
		{ "tile twice", [](Controls &c) { c.tiles.push_back(c.tiles[0]); } },
		{ "tile outside the layout", [](Controls &c) { c.tiles[0].tile_col = 1; } },
		{ "tile start off a superblock",
		  [](Controls &c) {
			  c.frame.tile_info.tile_cols = 2;
			  c.frame.tile_info.mi_col_starts[1] = 8;
			  c.frame.tile_info.mi_col_starts[2] = miUnits(352);
			  c.tiles.push_back({ 10, 1, 0, 1 });
		  } },
		{ "no tile columns", [](Controls &c) { c.frame.tile_info.tile_cols = 0; } },
		{ "frame larger than the sequence",
		  [](Controls &c) { c.frame.frame_width_minus_1 = 400; } },
		{ "12 bits in profile 0", [](Controls &c) { c.seq.bit_depth = 12; } },
		{ "undefined frame type",
		  [](Controls &c) { c.frame.frame_type = v4l2_av1_frame_type(4); } },
		{ "order hint wider than order_hint_bits",
		  [](Controls &c) { c.frame.order_hint = 128; } },
		{ "cdef secondary strength 5",
		  [](Controls &c) { c.frame.cdef.y_sec_strength[0] = 5; } },
		{ "inter frame before any reference", [](Controls &c) { c = interFrame(1); } },
		{ "intra-only frame refreshing every slot",
		  [](Controls &c) {
			  c.frame.frame_type = V4L2_AV1_INTRA_ONLY_FRAME;
			  c.frame.refresh_frame_flags = 0xff;
		  } },
		{ "upscaled width without super-resolution",
		  [](Controls &c) { c.frame.upscaled_width = 300; } },
		{ "loop filter level 64", [](Controls &c) { c.frame.loop_filter.level[1] = 64; } },
		{ "delta_q_present on a lossless base",
		  [](Controls &c) {
			  c.frame.quantization.base_q_idx = 0;
			  c.frame.quantization.flags = V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT;
		  } },
	};

	for (const Case &tc : cases) {
		Av1Rebuilder rebuilder;
		Controls c = keyFrame();
		tc.mutate(c);
		std::vector<uint8_t> tu;
		EXPECT_EQ(c.rebuild(rebuilder, &tu), -EINVAL) << tc.what;
		EXPECT_FALSE(rebuilder.error().empty()) << tc.what;
		for (unsigned int i = 0; i < kNumRefFrames; i++)
			EXPECT_FALSE(rebuilder.slot(i).valid) << tc.what;
	}
}

/* Controls from a buggy or hostile client: never a crash, only -EINVAL. */
TEST(Av1Rebuilder, SurvivesGarbageControls)
{
	uint64_t state = 0x9e3779b97f4a7c15ull;
	auto random = [&state]() {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		return state;
	};
	auto scramble = [&random](void *data, size_t size, unsigned int count) {
		uint8_t *bytes = static_cast<uint8_t *>(data);
		for (unsigned int i = 0; i < count; i++)
			bytes[random() % size] = random();
	};

	Av1Rebuilder rebuilder;
	std::vector<uint8_t> tu;
	unsigned int accepted = 0;

	for (unsigned int i = 0; i < 20000; i++) {
		Controls c = i % 3 ? interFrame(i % 100) : keyFrame();
		if (i % 50 == 0) {
			ASSERT_EQ(keyFrame().rebuild(rebuilder, &tu), 0);
			continue;
		}
		if (i % 7 == 0) {
			scramble(&c.frame, sizeof(c.frame), sizeof(c.frame));
			scramble(&c.seq, sizeof(c.seq), 4);
		} else {
			scramble(&c.frame, sizeof(c.frame), 1 + random() % 6);
		}
		if (i % 5 == 0) {
			c.hasFilmGrain = true;
			c.seq.flags |= V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT;
			scramble(&c.filmGrain, sizeof(c.filmGrain), sizeof(c.filmGrain));
		}
		if (i % 11 == 0)
			scramble(c.tiles.data(), sizeof(c.tiles[0]), 2);

		const int ret = c.rebuild(rebuilder, random() % 4000, &tu);
		ASSERT_TRUE(ret == 0 || ret == -EINVAL) << "iteration " << i << ": " << ret;
		if (ret == 0) {
			accepted++;
			ASSERT_GE(splitObus(tu).size(), 4u) << "iteration " << i;
		} else {
			ASSERT_FALSE(rebuilder.error().empty()) << "iteration " << i;
		}
	}
	/* Small changes to a valid frame are often still valid. */
	EXPECT_GT(accepted, 1000u);
}

TEST(Av1Rebuilder, FailureLeavesTheSlotsAlone)
{
	Av1Rebuilder rebuilder;
	std::vector<uint8_t> tu;
	ASSERT_EQ(keyFrame().rebuild(rebuilder, &tu), 0) << rebuilder.error();

	Controls bad = interFrame(3);
	bad.tiles[0].tile_size = 10000;
	EXPECT_EQ(bad.rebuild(rebuilder, &tu), -EINVAL);
	for (unsigned int i = 0; i < kNumRefFrames; i++) {
		EXPECT_TRUE(rebuilder.slot(i).valid);
		EXPECT_EQ(rebuilder.slot(i).orderHint, 0u);
		EXPECT_EQ(rebuilder.slot(i).frameType, V4L2_AV1_KEY_FRAME);
	}

	/* And the rebuilder recovers with consistent controls. */
	EXPECT_EQ(interFrame(3).rebuild(rebuilder, &tu), 0) << rebuilder.error();
	EXPECT_TRUE(rebuilder.error().empty());
}

} /* namespace */
