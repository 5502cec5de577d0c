/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the stateless clients (h264_client, vp9_client, av1_client) share:
 * which real client they imitate, their options and results, and the
 * output of the pictures they show.
 */

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "frame_utils.h"

namespace daedalus::client {

/*
 * The real client whose requests are imitated. Per codec, see the client's
 * header; in short:
 *
 *  - GStreamer (v4l2codecs): timestamps frame number * 1000 ns; H.264 SPS
 *    only when it changes, field pairs with a held CAPTURE buffer; AV1 OBU
 *    payloads;
 *  - FFmpeg (v4l2-request hwaccel): every control in every request;
 *    timestamps (CAPTURE buffer index + 1) * 1000 ns; H.264 second fields
 *    re-queue the first field's CAPTURE buffer; AV1 OBU payloads;
 *  - Chromium (V4L2 stateless delegates): timestamps CAPTURE buffer
 *    index * 1000 ns, so 0 is a valid reference; H.264 DECODE_MODE and
 *    START_CODE in every request; AV1 the whole temporal unit, garbage
 *    timestamps for empty reference slots.
 */
enum class ClientStyle {
	GStreamer,
	Ffmpeg,
	Chromium,
};

const char *styleName(ClientStyle style);

/* A picture shown, as yuv420p (I420) without padding. */
struct Picture {
	std::span<const uint8_t> i420;
	uint32_t width;
	uint32_t height;
};

struct ClientOptions {
	/*
	 * Decode the stream this many times, with a reset (as after OUTPUT
	 * STREAMOFF) between the passes.
	 */
	unsigned int passes = 1;
	/* Stop after this many requests (0: never). */
	unsigned int maxRequests = 0;
	/* Called with the OUTPUT data of each request (counted from 0) before it runs. */
	std::function<void(unsigned int request, std::vector<uint8_t> *data)> tamper;
	/* Called with the status of each request (counted from 0) after it ran. */
	std::function<void(unsigned int request, int status)> onRequest;
	/*
	 * Called with each picture shown, in display order (the first pass
	 * only); returning false stops decoding.
	 */
	std::function<bool(const Picture &picture)> onPicture;
};

struct RunResult {
	/* A problem of the stream, the client or the device, not of one request. */
	std::string error;

	/* The md5 of the pictures shown in the first pass, and in each pass. */
	std::string md5;
	std::vector<std::string> passMd5s;
	/* The status of each request. */
	std::vector<int> statuses;

	unsigned int requests = 0;
	/* Pictures shown (first pass). */
	unsigned int shown = 0;
	unsigned int failedJobs = 0;
	/* The status of the first failed request and its number (from 1). */
	int firstFailure = 0;
	unsigned int firstFailedRequest = 0;
};

/*
 * The pictures a client shows: their md5 per pass, the options' callback,
 * the counts in the result.
 */
class PictureOutput
{
public:
	PictureOutput(const ClientOptions &options, RunResult *result)
		: options_(options), result_(result)
	{
	}

	void startPass(unsigned int pass);
	/* Records the pass's md5 in the result. */
	void finishPass();

	/* A picture shown; ignored once the callback asked to stop. */
	void show(std::span<const uint8_t> i420, uint32_t width, uint32_t height);
	/* A request ran: record its status. */
	void requestDone(int status);

	/* The callback asked to stop, or the request limit is reached. */
	bool stopped() const { return sinkStopped_ || limitReached_; }

private:
	const ClientOptions &options_;
	RunResult *result_;
	std::unique_ptr<Md5> md5_;
	unsigned int pass_ = 0;
	bool sinkStopped_ = false;
	bool limitReached_ = false;
};

} /* namespace daedalus::client */
