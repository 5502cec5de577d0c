/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless AV1 client: it parses an AV1 stream (temporal units, as IVF
 * carries them) with GStreamer's AV1 parser and drives a DecodeDevice the
 * way GStreamer's v4l2slav1dec, FFmpeg's v4l2-request hwaccel or Chromium's
 * V4L2 AV1 delegate do, and hands on the pictures a player shows.
 *
 *  - one request per frame, never one for show_existing_frame: the client
 *    shows the slot's picture itself (and refreshes every slot with a shown
 *    key frame);
 *  - GStreamer and FFmpeg layout: the OUTPUT buffer holds the frame's OBU
 *    payloads back to back, without OBU headers, tile offsets relative to
 *    it; Chromium layout: the OUTPUT buffer holds the whole temporal unit
 *    (other frames' OBUs included), tile offsets relative to it;
 *  - timestamps: GStreamer request number * 1000 ns, empty reference slots
 *    0; FFmpeg (CAPTURE buffer index + 1) * 1000 ns, empty slots 0; Chromium
 *    CAPTURE buffer index * 1000 ns (0 is a valid timestamp), empty slots
 *    garbage;
 *  - AV1_SEQUENCE, AV1_FRAME, AV1_TILE_GROUP_ENTRY (every tile of the frame)
 *    and AV1_FILM_GRAIN in every request, filled as gstv4l2codecav1dec.c
 *    fills them;
 *  - CAPTURE buffers held by reference slots are not reused (nor queued);
 *  - a sequence header with a new largest frame size: the stream is
 *    configured again.
 *
 * Output: the pictures shown (highest spatial layer only), as yuv420p at the
 * frame size, their md5 as fluster computes it.
 */

#pragma once

#include <cstdint>
#include <vector>

#include "client.h"
#include "decode_device.h"

namespace daedalus::client {

using Av1ClientOptions = ClientOptions;

struct Av1RunResult : RunResult {
	unsigned int showExisting = 0;
};

Av1RunResult runAv1Client(const std::vector<std::vector<uint8_t>> &units, ClientStyle style,
			  DecodeDevice &device, const Av1ClientOptions &options = {});

} /* namespace daedalus::client */
