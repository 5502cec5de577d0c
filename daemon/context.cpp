/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A decoding context.
 */

#include "context.h"

#include <cerrno>

#include "log.h"

namespace daedalus {

LOG_DEFINE_CATEGORY(Context)

int Context::decode(const DecodeJob &job)
{
	if (!codec_ || codec_->fourcc != job.params.codec) {
		const CodecEntry *codec = findCodec(codecs_, job.params.codec);
		if (!codec) {
			LOG_CTX(Context, Error, id_)
				<< "job " << job.params.seqno << ": no decoder for OUTPUT format "
				<< fourccString(job.params.codec).str;
			return -EINVAL;
		}

		if (codec_)
			LOG_CTX(Context, Info, id_) << "OUTPUT format changed from " << codec_->name
						    << " to " << codec->name;

		decoder_.reset();
		codec_ = nullptr;

		std::unique_ptr<Decoder> decoder;
		int ret = codec->create(id_, config_, &decoder);
		if (ret < 0) {
			LOG_CTX(Context, Error, id_) << "cannot create the " << codec->name
						     << " decoder: " << errorString(ret);
			return ret;
		}

		LOG_CTX(Context, Debug, id_) << codec->name << " decoder created";
		codec_ = codec;
		decoder_ = std::move(decoder);
	}

	return decoder_->decode(job);
}

void Context::reset()
{
	if (decoder_)
		decoder_->reset();
}

} /* namespace daedalus */
