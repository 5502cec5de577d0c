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

		/* The old decoder's threads go back to the budget before the new one asks. */
		decoder_.reset();
		threads_.release();
		codec_ = nullptr;

		const unsigned int wanted = config_.threads ? config_.threads : onlineCpus();
		ThreadGrant threads = budget_.acquire(wanted);
		DecoderConfig config = config_;
		config.threads = threads.threads();

		std::unique_ptr<Decoder> decoder;
		int ret = codec->create(id_, config, &decoder);
		if (ret < 0) {
			LOG_CTX(Context, Error, id_) << "cannot create the " << codec->name
						     << " decoder: " << errorString(ret);
			return ret;
		}

		LOG_CTX(Context, Debug, id_)
			<< codec->name << " decoder created with " << config.threads
			<< (config.threads == 1 ? " thread (the daemon's own)" : " threads")
			<< " of " << wanted << " wanted; thread budget " << budget_.left() << " of "
			<< budget_.total() << " left";
		codec_ = codec;
		threads_ = std::move(threads);
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
