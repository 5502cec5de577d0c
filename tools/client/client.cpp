/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the stateless clients share.
 */

#include "client.h"

namespace daedalus::client {

const char *styleName(ClientStyle style)
{
	switch (style) {
	case ClientStyle::GStreamer:
		return "gstreamer";
	case ClientStyle::Ffmpeg:
		return "ffmpeg";
	case ClientStyle::Chromium:
		return "chromium";
	}
	return "?";
}

void PictureOutput::startPass(unsigned int pass)
{
	pass_ = pass;
	md5_ = std::make_unique<Md5>();
}

void PictureOutput::finishPass()
{
	result_->passMd5s.push_back(md5_->hex());
	if (result_->passMd5s.size() == 1)
		result_->md5 = result_->passMd5s[0];
}

void PictureOutput::show(std::span<const uint8_t> i420, uint32_t width, uint32_t height)
{
	if (sinkStopped_)
		return;
	md5_->update(i420);
	result_->shown++;
	if (pass_ == 0 && options_.onPicture && !options_.onPicture({ i420, width, height }))
		sinkStopped_ = true;
}

void PictureOutput::requestDone(int status)
{
	const unsigned int request = result_->requests++;
	result_->statuses.push_back(status);
	if (status != 0 && !result_->failedJobs++) {
		result_->firstFailure = status;
		result_->firstFailedRequest = result_->requests;
	}
	if (options_.onRequest)
		options_.onRequest(request, status);
	if (options_.maxRequests && result_->requests >= options_.maxRequests)
		limitReached_ = true;
}

} /* namespace daedalus::client */
