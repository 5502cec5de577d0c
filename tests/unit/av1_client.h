/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless AV1 client in-process: it parses an AV1 stream (IVF) with
 * GStreamer's AV1 parser and drives the daemon's job path (through a
 * JobRunner) the way GStreamer's v4l2slav1dec or Chromium's V4L2 AV1
 * delegate do, and hashes the pictures a player shows.
 *
 *  - one request per frame, never one for show_existing_frame: the client
 *    shows the slot's picture itself (and refreshes every slot with a shown
 *    key frame);
 *  - GStreamer layout: the OUTPUT buffer holds the frame's OBU payloads
 *    back to back, without OBU headers, tile offsets relative to it;
 *    timestamps request number * 1000, empty reference slots 0;
 *  - Chromium layout: the OUTPUT buffer holds the whole temporal unit (other
 *    frames' OBUs included), tile offsets relative to it; timestamps CAPTURE
 *    buffer index * 1000 (0 is a valid timestamp), empty slots garbage;
 *  - AV1_SEQUENCE, AV1_FRAME, AV1_TILE_GROUP_ENTRY (every tile of the frame)
 *    and AV1_FILM_GRAIN in every request, filled as gstv4l2codecav1dec.c
 *    fills them;
 *  - CAPTURE buffers held by reference slots are not reused.
 *
 * Output: the pictures shown (highest spatial layer only), as yuv420p at the
 * frame size, their md5 as fluster computes it.
 */

#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "decoder.h"

namespace daedalus::test {

enum class Av1Layout {
	GStreamer,
	Chromium,
};

struct Av1ClientOptions {
	/* Stop after this many requests (0: never). */
	unsigned int maxRequests = 0;
	/*
	 * Decode the stream this many times, with DAEDALUS_MSG_CTX_RESET (as
	 * after OUTPUT STREAMOFF) between the passes.
	 */
	unsigned int passes = 1;
	/* Called with the OUTPUT data of each request (counted from 0) before it runs. */
	std::function<void(unsigned int request, std::vector<uint8_t> *data)> tamper;
};

struct Av1RunResult {
	/* A problem of the stream or the harness, not of the daemon. */
	std::string error;

	/* The md5 of the pictures shown in the first pass, and in each pass. */
	std::string md5;
	std::vector<std::string> passMd5s;
	/* The status of each job. */
	std::vector<int> statuses;
	unsigned int requests = 0;
	unsigned int shown = 0;
	unsigned int showExisting = 0;
	unsigned int failedJobs = 0;
	int firstFailure = 0;
	unsigned int firstFailedRequest = 0;
};

/* The temporal units of an IVF file; false if it is not one. */
bool readIvf(const std::vector<uint8_t> &file, std::vector<std::vector<uint8_t>> *units);

Av1RunResult runAv1Client(const std::vector<std::vector<uint8_t>> &units, Av1Layout layout,
			  const DecoderConfig &config, const Av1ClientOptions &options = {});

} /* namespace daedalus::test */
