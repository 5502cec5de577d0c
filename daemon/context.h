/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A decoding context: the daemon's side of one open file of the video node.
 */

#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "decoder.h"
#include "thread_budget.h"

namespace daedalus {

class Context
{
public:
	/*
	 * Each decoder of the context takes its threads from @budget (at most
	 * config.threads, 0: one per online CPU) and gives them back when it
	 * is destroyed.
	 */
	Context(uint64_t id, const DecoderConfig &config, std::span<const CodecEntry> codecs,
		ThreadBudget &budget)
		: id_(id), config_(config), codecs_(codecs), budget_(budget)
	{
	}

	uint64_t id() const { return id_; }

	/*
	 * Decode @job with the backend of its OUTPUT format, creating the
	 * backend on the first job (or when the format changed). Returns 0 or
	 * a negative errno.
	 */
	int decode(const DecodeJob &job);

	/* Forget references and stream state; the backend stays. */
	void reset();

private:
	uint64_t id_;
	DecoderConfig config_;
	std::span<const CodecEntry> codecs_;

	ThreadBudget &budget_;

	const CodecEntry *codec_ = nullptr;
	/* The decoder's threads: declared first, given back after the decoder is gone. */
	ThreadGrant threads_;
	std::unique_ptr<Decoder> decoder_;
};

} /* namespace daedalus */
