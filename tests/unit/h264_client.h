/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless H.264 client in-process: it parses an Annex B stream with
 * GStreamer's H.264 parser and drives the daemon's job path (through a
 * JobRunner) the way v4l2slh264dec does, or the way FFmpeg's v4l2-request
 * hwaccel does, then puts the CAPTURE pictures in display order.
 *
 *  - one request per picture: per frame, and per field for field pictures;
 *    the OUTPUT buffer holds the slice NAL units of that picture only, with
 *    00 00 01 start codes (ANNEX_B), never SPS, PPS, SEI or AUD; redundant
 *    slices and data partitions are left out;
 *  - SPS, PPS, SCALING_MATRIX and DECODE_PARAMS controls. GStreamer sets the
 *    SPS when it changes, the matrix when the stream has one, PPS and
 *    DECODE_PARAMS for every picture; FFmpeg sets all of them every time,
 *    with the matrix flag always on. The job carries, like the kernel's, the
 *    last value of every control (SLICE_PARAMS and PRED_WEIGHTS included);
 *  - DECODE_PARAMS with the picture order counts (clause 8.2.1) and a DPB
 *    of the reference pictures from the client's own reference marking
 *    (sliding window, memory management operations, frame number gaps);
 *  - timestamps: GStreamer frame number * 1000, the same for both fields of
 *    a frame; FFmpeg CAPTURE buffer index + 1;
 *  - field pairs: the second field goes into the first field's CAPTURE
 *    buffer; GStreamer holds it (DAEDALUS_JOB_FL_HOLD_CAPTURE on the first
 *    field), FFmpeg simply queues it again;
 *  - CAPTURE buffers of referenced pictures are not reused.
 *
 * Output: the frames (complementary field pairs, frames, unpaired fields),
 * cropped as the SPS says, in display order (picture order count within each
 * coded video sequence), as yuv420p, their md5 as fluster computes it.
 */

#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "decoder.h"

namespace daedalus::test {

enum class H264ClientStyle {
	GStreamer,
	Ffmpeg,
};

struct H264ClientOptions {
	/*
	 * Decode the stream this many times, with DAEDALUS_MSG_CTX_RESET (as
	 * after OUTPUT STREAMOFF) between the passes.
	 */
	unsigned int passes = 1;
	/* Called with the OUTPUT data of each request (counted from 0) before it runs. */
	std::function<void(unsigned int request, std::vector<uint8_t> *data)> tamper;
};

struct H264RunResult {
	/* A problem of the stream or the harness, not of the daemon. */
	std::string error;

	/*
	 * The md5 of all frames of the first pass in display order, of each
	 * pass, and of each frame.
	 */
	std::string md5;
	std::vector<std::string> passMd5s;
	std::vector<std::string> frameMd5s;
	/* The status of each job. */
	std::vector<int> statuses;

	unsigned int requests = 0;
	unsigned int fieldRequests = 0;
	unsigned int failedJobs = 0;
	/* The status of the first failed job and its request number. */
	int firstFailure = 0;
	unsigned int firstFailedRequest = 0;
	unsigned int skippedRedundantSlices = 0;
	unsigned int skippedPartitions = 0;
	unsigned int unpairedFields = 0;
};

H264RunResult runH264Client(const std::vector<uint8_t> &stream, H264ClientStyle style,
			    const DecoderConfig &config, const H264ClientOptions &options = {});

} /* namespace daedalus::test */
