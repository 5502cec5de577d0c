/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless H.264 client: it parses an Annex B stream with GStreamer's
 * H.264 parser and drives a DecodeDevice (the V4L2 node, or the daemon's job
 * path in-process) the way v4l2slh264dec, FFmpeg's v4l2-request hwaccel or
 * Chromium's V4L2 H.264 delegate do, then puts the CAPTURE pictures in
 * display order.
 *
 *  - one request per picture: per frame, and per field for field pictures;
 *    the OUTPUT buffer holds the slice NAL units of that picture only, with
 *    00 00 01 start codes (ANNEX_B), never SPS, PPS, SEI or AUD; redundant
 *    slices and data partitions are left out;
 *  - controls set in the request: GStreamer sets the SPS when it changes,
 *    the matrix when the stream has one, PPS and DECODE_PARAMS for every
 *    picture; FFmpeg sets SPS, PPS, SCALING_MATRIX (with the flag always on)
 *    and DECODE_PARAMS every time; Chromium as FFmpeg, plus DECODE_MODE
 *    (FRAME_BASED) and START_CODE (ANNEX_B) in every request;
 *  - DECODE_PARAMS with the picture order counts (clause 8.2.1) and a DPB
 *    of the reference pictures from the client's own reference marking
 *    (sliding window, memory management operations, frame number gaps);
 *  - timestamps: GStreamer frame number * 1000 ns, the same for both fields
 *    of a frame; FFmpeg (CAPTURE buffer index + 1) * 1000 ns; Chromium
 *    CAPTURE buffer index * 1000 ns;
 *  - field pairs: the second field goes into the first field's CAPTURE
 *    buffer; GStreamer holds it (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF on the
 *    first field), FFmpeg simply queues it again. Chromium refuses
 *    interlaced streams; its style here holds the buffer as GStreamer does;
 *  - CAPTURE buffers of referenced pictures are not reused (nor queued);
 *  - a new coded size: the stream is configured again (new buffers).
 *
 * Output: the frames (complementary field pairs, frames, unpaired fields),
 * cropped as the SPS says, in display order (picture order count within each
 * coded video sequence), as yuv420p, their md5 as fluster computes it.
 */

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client.h"
#include "decode_device.h"

namespace daedalus::client {

using H264ClientOptions = ClientOptions;

struct H264RunResult : RunResult {
	/* The md5 of each frame shown. */
	std::vector<std::string> frameMd5s;

	unsigned int fieldRequests = 0;
	unsigned int skippedRedundantSlices = 0;
	unsigned int skippedPartitions = 0;
	unsigned int unpairedFields = 0;
};

H264RunResult runH264Client(const std::vector<uint8_t> &stream, ClientStyle style,
			    DecodeDevice &device, const H264ClientOptions &options = {});

} /* namespace daedalus::client */
