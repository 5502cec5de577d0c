/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stand-in for the kernel module in front of a JobProcessor.
 */

#include "job_runner.h"

#include <cstring>

#include "picture_writer.h"

namespace daedalus::test {

JobRunner::JobRunner(uint32_t codec, const DecoderConfig &config, uint32_t ctxId)
	: codec_(codec), ctxId_(ctxId), processor_(config)
{
}

JobRunner::~JobRunner()
{
	daedalus_result result;
	processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_CLOSE, ctxId_), {}, &result);
}

void JobRunner::release(std::vector<Buffer> *buffers)
{
	daedalus_result result;
	for (const Buffer &buffer : *buffers)
		processor_.handleMessage(makeMessage(DAEDALUS_MSG_BUF_FREE, ctxId_, buffer.id), {},
					 &result);
	buffers->clear();
}

bool JobRunner::allocate(std::vector<Buffer> *buffers, unsigned int count, size_t size)
{
	release(buffers);
	for (unsigned int i = 0; i < count; i++) {
		auto memory = std::make_unique<MemfdBuffer>(size);
		if (!memory->isValid())
			return false;
		buffers->push_back({ nextId_++, std::move(memory) });
	}
	return true;
}

bool JobRunner::setOutputBuffers(unsigned int count, size_t size)
{
	nextOutput_ = 0;
	return allocate(&output_, count, size);
}

bool JobRunner::setCaptureBuffers(unsigned int count, uint32_t width, uint32_t height,
				  uint32_t stride)
{
	capWidth_ = width;
	capHeight_ = height;
	stride_ = stride;
	return allocate(&capture_, count, nv12Size(stride, height));
}

int JobRunner::run(std::span<const uint8_t> bitstream, const ControlAreaBuilder &controls,
		   unsigned int capture, uint64_t timestamp, uint32_t flags)
{
	if (output_.empty() || capture >= capture_.size())
		return -ENOBUFS;

	const unsigned int out = nextOutput_;
	nextOutput_ = (nextOutput_ + 1) % output_.size();
	MemfdBuffer &src = *output_[out].memory;
	MemfdBuffer &dst = *capture_[capture].memory;
	if (bitstream.size() > src.size())
		return -E2BIG;
	memcpy(src.data().data(), bitstream.data(), bitstream.size());

	JobParams params;
	params.seqno = ++seqno_;
	params.ctxId = ctxId_;
	params.codec = codec_;
	params.capWidth = capWidth_;
	params.capHeight = capHeight_;
	params.timestamp = timestamp;
	params.flags = flags;

	daedalus_msg msg = makeJobMessage(
		params, makeBuffer(output_[out].id, out, src.dupFd(), src.size(), bitstream.size()),
		makeBuffer(capture_[capture].id, capture, dst.dupFd(), dst.size(),
			   nv12Size(stride_, capHeight_), 0, stride_),
		&controls);

	daedalus_result result;
	if (!processor_.handleMessage(msg, controls.area(), &result))
		return -EPROTO;
	if (result.seqno != msg.job.seqno)
		return -EPROTO;
	return result.status;
}

void JobRunner::reset()
{
	daedalus_result result;
	processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_RESET, ctxId_), {}, &result);
}

std::span<const uint8_t> JobRunner::capture(unsigned int index) const
{
	return capture_[index].memory->data();
}

} /* namespace daedalus::test */
