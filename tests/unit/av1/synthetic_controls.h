/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hand-made AV1 control sets for the rebuilder tests: a shown key frame and
 * an inter frame after it, each with one tile in an OUTPUT buffer that also
 * holds bytes that are not tile data.
 */

#pragma once

#include <cstdint>
#include <linux/v4l2-controls.h>
#include <vector>

#include "av1_rebuilder.h"

namespace daedalus::av1::test {

struct Controls {
	v4l2_ctrl_av1_sequence seq{};
	v4l2_ctrl_av1_frame frame{};
	std::vector<v4l2_ctrl_av1_tile_group_entry> tiles;
	std::vector<uint8_t> buffer;

	v4l2_ctrl_av1_film_grain filmGrain{};
	bool hasFilmGrain = false;

	int rebuild(Av1Rebuilder &rebuilder, std::vector<uint8_t> *tu) const
	{
		return rebuilder.rebuild(seq, frame, tiles, hasFilmGrain ? &filmGrain : nullptr,
					 buffer, tu);
	}

	int rebuild(Av1Rebuilder &rebuilder, uint64_t timestamp, std::vector<uint8_t> *tu) const
	{
		return rebuilder.rebuild(seq, frame, tiles, hasFilmGrain ? &filmGrain : nullptr,
					 buffer, timestamp, tu);
	}
};

inline uint32_t miUnits(uint32_t pixels)
{
	return 2 * ((pixels + 7) >> 3);
}

/* A shown key frame of @width x @height with one tile of @tileSize bytes. */
inline Controls keyFrame(uint32_t width = 352, uint32_t height = 288, uint32_t tileSize = 37)
{
	Controls c;

	c.seq.flags = V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT |
		      V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF |
		      V4L2_AV1_SEQUENCE_FLAG_ENABLE_REF_FRAME_MVS |
		      V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X | V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y;
	c.seq.seq_profile = 0;
	c.seq.order_hint_bits = 7;
	c.seq.bit_depth = 8;
	c.seq.max_frame_width_minus_1 = width - 1;
	c.seq.max_frame_height_minus_1 = height - 1;

	v4l2_ctrl_av1_frame &f = c.frame;
	f.frame_type = V4L2_AV1_KEY_FRAME;
	f.flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME;
	f.frame_width_minus_1 = width - 1;
	f.frame_height_minus_1 = height - 1;
	f.upscaled_width = width;
	f.render_width_minus_1 = width - 1;
	f.render_height_minus_1 = height - 1;
	f.superres_denom = 8;
	f.primary_ref_frame = 7;
	f.refresh_frame_flags = 0xff;
	f.tx_mode = V4L2_AV1_TX_MODE_SELECT;
	f.quantization.base_q_idx = 100;
	f.loop_filter.level[0] = 10;
	f.loop_filter.level[1] = 12;
	f.loop_filter.flags = V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED;
	f.tile_info.tile_cols = 1;
	f.tile_info.tile_rows = 1;
	f.tile_info.mi_col_starts[1] = miUnits(width);
	f.tile_info.mi_row_starts[1] = miUnits(height);
	f.tile_info.flags = V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING;
	for (unsigned int i = 0; i < V4L2_AV1_REFS_PER_FRAME; i++)
		f.ref_frame_idx[i] = 0;

	/* Some bytes that are not tile data, then the tile. */
	c.buffer.assign(10, 0xee);
	for (uint32_t i = 0; i < tileSize; i++)
		c.buffer.push_back(uint8_t(i * 7 + 1));
	c.tiles.push_back({ 10, tileSize, 0, 0 });
	return c;
}

/* An inter frame after keyFrame(): every reference slot 0, refreshes slot 0. */
inline Controls interFrame(uint32_t orderHint)
{
	Controls c = keyFrame();
	v4l2_ctrl_av1_frame &f = c.frame;
	f.frame_type = V4L2_AV1_INTER_FRAME;
	f.flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME;
	f.order_hint = orderHint;
	f.primary_ref_frame = 0;
	f.refresh_frame_flags = 0x01;
	f.interpolation_filter = V4L2_AV1_INTERPOLATION_FILTER_SWITCHABLE;
	for (unsigned int i = 1; i < V4L2_AV1_TOTAL_REFS_PER_FRAME; i++)
		f.order_hints[i] = 0;
	return c;
}

} /* namespace daedalus::av1::test */
