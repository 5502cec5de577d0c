/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A hostile client: a DecodeDevice that spoils what a real client sends
 * before it reaches the decoder underneath, so that the requests of a
 * hostile stream travel the same path (V4L2 node, Request API) as a player's.
 *
 *  - the OUTPUT data: truncated, replaced with random bytes, or with bits
 *    flipped;
 *  - the controls: reference timestamps that name no picture, frames or
 *    parameter sets that contradict each other, AV1 tiles outside the
 *    OUTPUT buffer, random bytes in every compound control;
 *  - the format: configured at half the stream's size, so every frame is
 *    larger than the CAPTURE buffers;
 *  - the first requests not sent at all (the client believes them decoded):
 *    the later ones name references this context never decoded, which the
 *    same stream in another context may well have.
 *
 * Every spoiled request must fail with an error or decode without harm.
 */

#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "decode_device.h"

namespace daedalus::client {

enum class DataTamper {
	None,
	Truncate,
	Random,
	Bitflip,
};

enum class ControlTamper {
	None,
	/* Reference timestamps that no picture has. */
	Refs,
	/* H.264 PPS naming another SPS; VP9/AV1/VP8 frames of another size. */
	Contradict,
	/* AV1 tiles past the end of the OUTPUT data. */
	Tiles,
	/* Random bytes in every compound control of the request. */
	Random,
};

struct TamperOptions {
	DataTamper data = DataTamper::None;
	ControlTamper controls = ControlTamper::None;
	/* Configure the format at half the stream's size. */
	bool smallFormat = false;
	/* Requests not sent (reported as decoded to the client). */
	unsigned int skipRequests = 0;
	/* Spoil every Nth request sent (1: each one). */
	unsigned int every = 1;
	uint32_t seed = 1;
};

/* "truncate", "random", "bitflip"; false for anything else. */
bool parseDataTamper(const std::string &name, DataTamper *tamper);
/* "refs", "contradict", "tiles", "random"; false for anything else. */
bool parseControlTamper(const std::string &name, ControlTamper *tamper);

class TamperDevice : public DecodeDevice
{
public:
	TamperDevice(DecodeDevice &device, const TamperOptions &options);

	int configure(const StreamFormat &format) override;
	/*
	 * With smallFormat, the stream's size (the real stride): the client
	 * goes on, and its own bounds checks refuse a picture that does not fit.
	 */
	const CaptureFormat &captureFormat() const override;
	unsigned int captureCount() const override { return device_.captureCount(); }
	int decode(const DecodeRequest &request) override;
	std::span<const uint8_t> capture(unsigned int index) const override
	{
		return device_.capture(index);
	}
	int reset() override { return device_.reset(); }
	const std::string &failure() const override { return device_.failure(); }

	/* Requests sent to the device, spoiled ones, and how those ended. */
	unsigned int sent() const { return sent_; }
	unsigned int spoiled() const { return spoiled_; }
	unsigned int spoiledFailed() const { return spoiledFailed_; }
	unsigned int skipped() const { return skipped_; }

private:
	void spoilData(std::vector<uint8_t> *data);
	void spoilControl(Control *control, size_t dataSize);

	DecodeDevice &device_;
	TamperOptions options_;
	StreamFormat asked_;
	mutable CaptureFormat claimed_;
	std::mt19937 random_;
	unsigned int requests_ = 0;
	unsigned int sent_ = 0;
	unsigned int spoiled_ = 0;
	unsigned int spoiledFailed_ = 0;
	unsigned int skipped_ = 0;
};

} /* namespace daedalus::client */
