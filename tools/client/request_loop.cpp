/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The request loop of the VP9 and AV1 clients.
 */

#include "request_loop.h"

#include <algorithm>

#include "frame_utils.h"

namespace daedalus::client {

namespace {

/* Eight reference slots, the picture being decoded and one to spare. */
constexpr unsigned int kCaptureBuffers = 10;
constexpr size_t kMinOutputSize = 256 * 1024;

} /* namespace */

RequestLoop::RequestLoop(ClientStyle style, DecodeDevice &device, const ClientOptions &options,
			 RunResult *result, const char *unit)
	: style_(style), device_(device), options_(options), result_(result),
	  output_(options_, result), unitName_(unit)
{
}

void RequestLoop::run(const std::vector<std::vector<uint8_t>> &inputs,
		      const std::function<void()> &restart, const std::function<bool()> &pass)
{
	for (const std::vector<uint8_t> &input : inputs)
		largestInput_ = std::max(largestInput_, input.size());

	for (unsigned int n = 0; n < std::max(options_.passes, 1u); n++) {
		if (n) {
			if (device_.reset() < 0) {
				fail("cannot reset the decoder: " + device_.failure());
				return;
			}
			restart();
		}
		output_.startPass(n);
		unit_ = 0;
		if (!pass())
			return;
		output_.finishPass();
		if (output_.stopped())
			return;
	}
}

bool RequestLoop::fail(const std::string &why)
{
	if (result_->error.empty())
		result_->error = unitName_ + (" " + std::to_string(unit_)) + ": " + why;
	return false;
}

void RequestLoop::clearSlots(bool garbageTimestamps)
{
	for (unsigned int i = 0; i < kSlots; i++)
		slots_[i] = { nullptr, garbageTimestamps ? 0xffffffffull - i : 0,
			      Slot::kNoCapture };
}

void RequestLoop::refresh(unsigned int mask, const Slot &slot)
{
	for (unsigned int i = 0; i < kSlots; i++) {
		if (mask & (1 << i))
			slots_[i] = slot;
	}
}

bool RequestLoop::configure(uint32_t codec, uint32_t width, uint32_t height)
{
	StreamFormat format;
	format.codec = codec;
	format.width = width;
	format.height = height;
	format.outputSize =
		std::max({ kMinOutputSize, largestInput_, size_t{ width } * height * 3 / 2 });
	format.captureCount = kCaptureBuffers;
	if (device_.configure(format) < 0)
		return fail("cannot configure the decoder for " + std::to_string(width) + "x" +
			    std::to_string(height) + ": " + device_.failure());

	const CaptureFormat &capture = device_.captureFormat();
	if (capture.width < width || capture.height < height)
		return fail("the decoder's CAPTURE format (" + std::to_string(capture.width) + "x" +
			    std::to_string(capture.height) + ") is smaller than the stream");

	width_ = width;
	height_ = height;
	/* A new stream: the slots' pictures are gone from the decoder. */
	for (Slot &slot : slots_)
		slot.capture = Slot::kNoCapture;
	nextCapture_ = 0;
	return true;
}

unsigned int RequestLoop::allocateCapture()
{
	const unsigned int count = device_.captureCount();
	for (unsigned int i = 0; i < count; i++) {
		const unsigned int index = (nextCapture_ + i) % count;
		if (std::any_of(slots_.begin(), slots_.end(),
				[index](const Slot &slot) { return slot.capture == index; }))
			continue;
		nextCapture_ = (index + 1) % count;
		return index;
	}
	return nextCapture_++ % count;
}

uint64_t RequestLoop::timestampFor(unsigned int capture) const
{
	switch (style_) {
	case ClientStyle::GStreamer:
		return uint64_t{ result_->requests } * 1000;
	case ClientStyle::Ffmpeg:
		return (uint64_t{ capture } + 1) * 1000;
	case ClientStyle::Chromium:
	default:
		return uint64_t{ capture } * 1000;
	}
}

bool RequestLoop::decode(std::vector<uint8_t> data, std::span<const Control> controls,
			 uint32_t width, uint32_t height, Slot *decoded)
{
	const unsigned int capture = allocateCapture();
	const uint64_t timestamp = timestampFor(capture);

	if (options_.tamper)
		options_.tamper(result_->requests, &data);

	const int status = device_.decode({ data, controls, capture, timestamp });
	output_.requestDone(status);
	if (!device_.failure().empty())
		return fail("request " + std::to_string(result_->requests) + ": " +
			    device_.failure());

	const CaptureFormat &format = device_.captureFormat();
	Frame picture = std::make_shared<const Picture420>(
		Picture420{ nv12ToI420(device_.capture(capture), format.stride, format.height, 0, 0,
				       width, height),
			    width, height });
	if (picture->i420.empty())
		return fail("the frame does not fit the CAPTURE buffer");

	*decoded = { std::move(picture), timestamp, capture };
	return true;
}

} /* namespace daedalus::client */
