/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rebuilds a decodable AV1 temporal unit from the V4L2 stateless AV1
 * controls of one request.
 *
 * What a client puts in the OUTPUT buffer differs per client (GStreamer:
 * concatenated OBU payloads without OBU headers; Chromium: the whole temporal
 * unit), so the buffer is never parsed. Only the tile data is taken from it,
 * at the offsets of the TILE_GROUP_ENTRY control. Everything else is written
 * from the controls:
 *
 *   OBU_TEMPORAL_DELIMITER
 *   OBU_SEQUENCE_HEADER   from AV1_SEQUENCE (one operating point, no timing
 *                         or decoder model info, no frame ids, screen
 *                         content tools and integer mv chosen per frame)
 *   OBU_FRAME_HEADER      from AV1_FRAME and AV1_FILM_GRAIN (explicit
 *                         ref_frame_idx, explicit frame sizes, full loop
 *                         filter deltas, tile layout derived from the tile
 *                         starts)
 *   OBU_TILE_GROUP        every tile of the frame, in tile order
 *
 * every OBU with obu_has_size_field = 1. The result is equivalent to the
 * original frame for a decoder, not bit-identical to it.
 *
 * Some syntax elements are coded relative to decoder state that the controls
 * do not carry (global motion parameters are coded against the primary
 * reference frame's, ref_order_hint[] and skip mode depend on the order hints
 * held in the reference slots, coded-lossless needs the segmentation
 * parameters a frame inherits). The rebuilder therefore mirrors the spec's
 * reference frame update process (section 7.20) for the eight slots. It must
 * see every frame the decoder it feeds sees, in decode order; call reset()
 * whenever that decoder is flushed or recreated.
 *
 * A client handles show_existing_frame itself and never submits it, but
 * showing an existing key frame also refreshes every slot with it (section
 * 7.21), which the decoder must learn about. Given the CAPTURE timestamp of
 * each request, the rebuilder recognises that case from
 * reference_frame_ts[]: every slot naming the timestamp of a showable key
 * frame that the slots do not all hold. It then puts that show_existing_frame
 * in front of the frame, as a temporal unit of its own, and the decoder
 * outputs one more picture (precedingPictures()); the request's picture is
 * always the last one.
 *
 * Use with libdav1d: one rebuild() per request, in the order the requests
 * run; dav1d_send_data() the temporal unit to a context opened with
 * output_invisible_frames = 1 (max_frame_delay = 1 keeps it synchronous) and
 * drain dav1d_get_picture(): the last picture is the request's, shown or not.
 * Every temporal unit carries the same sequence header while AV1_SEQUENCE
 * stays the same, so libdav1d keeps its references; a new one starts a new
 * sequence, as in the original stream. After a failed decode the two may
 * disagree about the slots until the next shown key frame; reset() and a
 * dav1d_flush() put them back in step.
 *
 * Not thread-safe; one instance per stream.
 */

#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <linux/v4l2-controls.h>

#include "bit_writer.h"

namespace daedalus::av1 {

inline constexpr unsigned int kNumRefFrames = 8;
inline constexpr unsigned int kTotalRefsPerFrame = 8;
inline constexpr unsigned int kMaxSegments = 8;
inline constexpr unsigned int kSegLvlMax = 8;

/*
 * What the reference frame update process saves for one slot and a later
 * frame header depends on.
 */
struct ReferenceSlot {
	bool valid = false;
	uint8_t frameType = 0;
	uint32_t orderHint = 0;
	uint32_t upscaledWidth = 0;
	uint32_t frameWidth = 0;
	uint32_t frameHeight = 0;
	uint32_t renderWidth = 0;
	uint32_t renderHeight = 0;
	/* SavedGmParams, indexed by reference frame (LAST_FRAME..ALTREF_FRAME). */
	std::array<std::array<int32_t, 6>, kTotalRefsPerFrame> gmParams{};
	/* SavedLoopFilterRefDeltas and SavedLoopFilterModeDeltas. */
	std::array<int8_t, kTotalRefsPerFrame> loopFilterRefDeltas{};
	std::array<int8_t, 2> loopFilterModeDeltas{};
	/* SavedFeatureEnabled (bit j of [i]: feature j of segment i), SavedFeatureData. */
	std::array<uint8_t, kMaxSegments> featureEnabled{};
	std::array<std::array<int16_t, kSegLvlMax>, kMaxSegments> featureData{};
	/* Whether film grain parameters were saved with the frame. */
	bool filmGrainApplied = false;
	/* RefShowableFrame: a show_existing_frame may still show it. */
	bool showable = false;
	/* The CAPTURE timestamp of the request that decoded the frame, if known. */
	std::optional<uint64_t> timestamp;
};

class Av1Rebuilder
{
public:
	Av1Rebuilder();

	/*
	 * Write the temporal unit of one frame into @temporalUnit (replacing
	 * its contents) and update the reference slots as the decoder will.
	 *
	 * @tiles are the TILE_GROUP_ENTRY elements, every tile of the frame
	 * exactly once, in any order; each tile_offset is absolute in
	 * @outputBuffer. @filmGrain may be null (no film grain applied).
	 *
	 * @timestamp is the request's CAPTURE timestamp (struct v4l2_buffer
	 * timestamp in ns, what reference_frame_ts[] holds); without it the
	 * rebuilder cannot notice show-existing key frames.
	 *
	 * Returns 0, or -EINVAL when the controls are inconsistent or do not
	 * describe a frame this rebuilder can express (error() says why); the
	 * slots are unchanged on error.
	 */
	int rebuild(const v4l2_ctrl_av1_sequence &sequence, const v4l2_ctrl_av1_frame &frame,
		    std::span<const v4l2_ctrl_av1_tile_group_entry> tiles,
		    const v4l2_ctrl_av1_film_grain *filmGrain,
		    std::span<const uint8_t> outputBuffer, std::optional<uint64_t> timestamp,
		    std::vector<uint8_t> *temporalUnit);

	int rebuild(const v4l2_ctrl_av1_sequence &sequence, const v4l2_ctrl_av1_frame &frame,
		    std::span<const v4l2_ctrl_av1_tile_group_entry> tiles,
		    const v4l2_ctrl_av1_film_grain *filmGrain,
		    std::span<const uint8_t> outputBuffer, std::vector<uint8_t> *temporalUnit)
	{
		return rebuild(sequence, frame, tiles, filmGrain, outputBuffer, std::nullopt,
			       temporalUnit);
	}

	/*
	 * Pictures the decoder outputs for the last temporal unit before the
	 * picture of the frame itself: 1 when a show-existing key frame was
	 * put in front of it, else 0.
	 */
	unsigned int precedingPictures() const { return precedingPictures_; }

	/* Forget every reference slot (a new stream or a flushed decoder). */
	void reset();

	const ReferenceSlot &slot(unsigned int index) const { return slots_[index]; }

	/* Why the last rebuild() failed. */
	const std::string &error() const { return error_; }

private:
	int findShownKeyFrame(const v4l2_ctrl_av1_frame &frame) const;

	std::array<ReferenceSlot, kNumRefFrames> slots_;
	std::string error_;
	unsigned int precedingPictures_ = 0;

	/* Scratch space of rebuild(), kept so that frames after the first allocate nothing. */
	BitWriter sequenceHeader_;
	BitWriter frameHeader_;
	std::vector<std::span<const uint8_t>> tileData_;
};

} /* namespace daedalus::av1 */
