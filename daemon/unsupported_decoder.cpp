/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A backend that refuses every job.
 */

#include "unsupported_decoder.h"

#include <cerrno>

#include "log.h"

namespace daedalus {

LOG_DEFINE_CATEGORY(Decoder)

int UnsupportedDecoder::decode(const DecodeJob &)
{
	if (!reported_) {
		LOG_CTX(Decoder, Error, ctxId_)
			<< reason_ << ": failing every job of this context with EOPNOTSUPP";
		reported_ = true;
	}
	return -EOPNOTSUPP;
}

} /* namespace daedalus */
