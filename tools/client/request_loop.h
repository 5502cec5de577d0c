/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The request loop of the clients whose references are slots (VP9, AV1):
 * eight reference slots, each holding a decoded picture with the timestamp
 * and the CAPTURE buffer of its request. The loop runs the passes over the
 * stream (a reset between them), configures the device for a frame size,
 * picks a CAPTURE buffer no slot holds and the timestamp the client style
 * gives, runs one request and reads its picture back, refreshes slots and
 * shows pictures. The client parses the stream and fills the controls.
 */

#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "client.h"
#include "decode_device.h"

namespace daedalus::client {

/* A decoded picture as yuv420p, kept while a reference slot holds it. */
struct Picture420 {
	std::vector<uint8_t> i420;
	uint32_t width;
	uint32_t height;
};

using Frame = std::shared_ptr<const Picture420>;

/* A reference slot: a picture, and the timestamp and CAPTURE buffer of its request. */
struct Slot {
	static constexpr unsigned int kNoCapture = ~0u;

	Frame picture;
	uint64_t timestamp = 0;
	unsigned int capture = kNoCapture;
};

class RequestLoop
{
public:
	static constexpr unsigned int kSlots = 8;

	/*
	 * @unit: what the stream's errors are counted in ("frame", "temporal
	 * unit"). @result (the client's, of a type derived from RunResult)
	 * must outlive the loop.
	 */
	RequestLoop(ClientStyle style, DecodeDevice &device, const ClientOptions &options,
		    RunResult *result, const char *unit);

	/*
	 * Decode @inputs as many times as the options say: @pass runs one pass
	 * over them (false: an error, stop), @restart forgets the stream (a new
	 * parser, as after a seek) before each pass but the first, once the
	 * device is reset.
	 */
	void run(const std::vector<std::vector<uint8_t>> &inputs,
		 const std::function<void()> &restart, const std::function<bool()> &pass);

	/* Record the stream's first error, "<unit> <n>: @why"; returns false. */
	bool fail(const std::string &why);
	/* The next unit of the stream (counted from 0 in each pass). */
	void nextUnit() { unit_++; }
	/* The picture callback asked to stop, or the request limit is reached. */
	bool stopped() const { return output_.stopped(); }

	/*
	 * Empty every slot; empty slots' timestamps are 0, or with
	 * @garbageTimestamps what Chromium's AV1 delegate sends for them.
	 */
	void clearSlots(bool garbageTimestamps = false);
	const Slot &slot(unsigned int index) const { return slots_[index]; }
	/* @slot into every slot of @mask (bit i: slot i). */
	void refresh(unsigned int mask, const Slot &slot);

	/*
	 * A new stream of @codec (V4L2_PIX_FMT_*) frames up to @width x
	 * @height: new CAPTURE buffers, none held by a slot. False on failure.
	 */
	bool configure(uint32_t codec, uint32_t width, uint32_t height);
	/* The frame size configured; 0x0 before. */
	uint32_t width() const { return width_; }
	uint32_t height() const { return height_; }
	const CaptureFormat &captureFormat() const { return device_.captureFormat(); }

	/*
	 * One request: @data (tampered with if the options say so) and
	 * @controls, into a CAPTURE buffer no slot holds, timestamped as the
	 * client style does; a failed request is recorded, not an error. The
	 * picture, read back at @width x @height, with the request's timestamp
	 * and CAPTURE buffer into @decoded. False when the device cannot go on
	 * or the picture does not fit.
	 */
	bool decode(std::vector<uint8_t> data, std::span<const Control> controls, uint32_t width,
		    uint32_t height, Slot *decoded);

	/* A picture shown. */
	void show(const Frame &picture)
	{
		output_.show(picture->i420, picture->width, picture->height);
	}

private:
	unsigned int allocateCapture();
	uint64_t timestampFor(unsigned int capture) const;

	ClientStyle style_;
	DecodeDevice &device_;
	ClientOptions options_;
	RunResult *result_;
	PictureOutput output_;
	const char *unitName_;
	unsigned int unit_ = 0;

	/* The largest input of the stream: OUTPUT buffers hold any of them. */
	size_t largestInput_ = 0;
	uint32_t width_ = 0;
	uint32_t height_ = 0;

	/* The client's view of the reference slots. */
	std::array<Slot, kSlots> slots_;
	unsigned int nextCapture_ = 0;
};

} /* namespace daedalus::client */
