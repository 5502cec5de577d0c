/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A decoding context: the daemon's side of one open file of the video node.
 */

#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "decoder.h"

namespace daedalus {

class Context
{
public:
	Context(uint32_t id, const DecoderConfig &config, std::span<const CodecEntry> codecs)
		: id_(id), config_(config), codecs_(codecs)
	{
	}

	uint32_t id() const { return id_; }

	/*
	 * Decode @job with the backend of its OUTPUT format, creating the
	 * backend on the first job (or when the format changed). Returns 0 or
	 * a negative errno.
	 */
	int decode(const DecodeJob &job);

	/* Forget references and stream state; the backend stays. */
	void reset();

private:
	uint32_t id_;
	DecoderConfig config_;
	std::span<const CodecEntry> codecs_;

	const CodecEntry *codec_ = nullptr;
	std::unique_ptr<Decoder> decoder_;
};

} /* namespace daedalus */
