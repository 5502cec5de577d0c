/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A backend for a codec the daemon cannot decode yet: fails every job with
 * -EOPNOTSUPP, and says why once per context. Never writes a picture.
 */

#pragma once

#include <string>

#include "decoder.h"

namespace daedalus {

class UnsupportedDecoder : public Decoder
{
public:
	UnsupportedDecoder(uint32_t ctxId, std::string reason)
		: ctxId_(ctxId), reason_(std::move(reason))
	{
	}

	int decode(const DecodeJob &job) override;
	void reset() override {}

private:
	uint32_t ctxId_;
	std::string reason_;
	bool reported_ = false;
};

} /* namespace daedalus */
