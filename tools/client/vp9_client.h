/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless VP9 client: it parses VP9 frames (as IVF or WebM carry them,
 * superframes included) with GStreamer's VP9 parser and drives a
 * DecodeDevice the way GStreamer's v4l2slvp9dec, FFmpeg's v4l2-request
 * hwaccel or Chromium's V4L2 VP9 delegate do, and hands on the pictures a
 * player shows.
 *
 *  - one request per frame: superframes are split, frames with
 *    show_existing_frame are never submitted (the client shows the slot's
 *    picture again itself);
 *  - the OUTPUT buffer holds the whole frame (uncompressed header,
 *    compressed header, tiles);
 *  - VP9_FRAME filled from the parsed uncompressed header, with the loop
 *    filter deltas and segmentation features the client keeps across frames
 *    and the reference timestamps of the LAST, GOLDEN and ALTREF slots;
 *    VP9_COMPRESSED_HDR parsed from the compressed header, in every request
 *    (as FFmpeg sends it; GStreamer sends it when the driver has it);
 *  - timestamps: GStreamer frame number * 1000 ns, FFmpeg (CAPTURE buffer
 *    index + 1) * 1000 ns, Chromium CAPTURE buffer index * 1000 ns;
 *  - CAPTURE buffers held by reference slots are not reused (nor queued);
 *  - a key frame (or intra-only frame) of a new size: the stream is
 *    configured again, as GStreamer does on a new sequence.
 *
 * Output: the frames shown (show_frame, show_existing_frame), as yuv420p at
 * the frame size, their md5 as libvpx's --i420 --md5 computes it.
 */

#pragma once

#include <cstdint>
#include <vector>

#include "client.h"
#include "decode_device.h"

namespace daedalus::client {

using Vp9ClientOptions = ClientOptions;

struct Vp9RunResult : RunResult {
	unsigned int superframes = 0;
	unsigned int hidden = 0;
	unsigned int showExisting = 0;
};

/* @packets: VP9 frames or superframes, as a container carries them. */
Vp9RunResult runVp9Client(const std::vector<std::vector<uint8_t>> &packets, ClientStyle style,
			  DecodeDevice &device, const Vp9ClientOptions &options = {});

} /* namespace daedalus::client */
