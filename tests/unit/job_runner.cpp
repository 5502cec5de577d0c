/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stand-in for the kernel module in front of a JobProcessor.
 */

#include "job_runner.h"

#include <cstring>

#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>

#include "frame_utils.h"
#include "picture_writer.h"

namespace daedalus::test {

JobRunner::JobRunner(uint32_t codec, const DecoderConfig &config, uint64_t ctxId)
	: codec_(codec), ctxId_(ctxId), ownProcessor_(std::make_unique<JobProcessor>(config)),
	  processor_(*ownProcessor_)
{
}

JobRunner::JobRunner(uint32_t codec, JobProcessor &processor, uint64_t ctxId)
	: codec_(codec), ctxId_(ctxId), processor_(processor)
{
	/* Buffer ids never repeat in a module: each runner gets ids of its own. */
	static uint64_t nextRange = 0;
	nextRange += uint64_t{ 1 } << 20;
	nextId_ = nextRange;
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

	if (observer_)
		observer_(msg, controls.area(), bitstream);

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

int JobRunnerDevice::configure(const client::StreamFormat &format)
{
	if (runner_ && runner_->captureCount()) {
		/* STREAMOFF: the module resets the daemon's context. */
		runner_->reset();
	}
	if (!runner_) {
		runner_ = std::make_unique<JobRunner>(format.codec, config_);
		/* The kernel's defaults of the H.264 controls the daemon gets. */
		if (format.codec == V4L2_PIX_FMT_H264_SLICE) {
			auto zero = [this](uint32_t id, size_t size) {
				controls_[id] = { std::vector<uint8_t>(size), 1 };
			};
			zero(V4L2_CID_STATELESS_H264_SPS, sizeof(v4l2_ctrl_h264_sps));
			zero(V4L2_CID_STATELESS_H264_PPS, sizeof(v4l2_ctrl_h264_pps));
			zero(V4L2_CID_STATELESS_H264_SCALING_MATRIX,
			     sizeof(v4l2_ctrl_h264_scaling_matrix));
			zero(V4L2_CID_STATELESS_H264_DECODE_PARAMS,
			     sizeof(v4l2_ctrl_h264_decode_params));
			zero(V4L2_CID_STATELESS_H264_SLICE_PARAMS,
			     sizeof(v4l2_ctrl_h264_slice_params));
			zero(V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
			     sizeof(v4l2_ctrl_h264_pred_weights));
		}
	}

	const uint32_t width = client::alignUp(format.width, 16);
	const uint32_t height = client::alignUp(format.height, 16);
	const uint32_t stride = client::alignUp(width, 64);
	if (!runner_->setOutputBuffers(format.outputCount, format.outputSize)) {
		failure_ = "cannot allocate OUTPUT buffers";
		return -ENOMEM;
	}
	if (!runner_->setCaptureBuffers(format.captureCount, width, height, stride)) {
		failure_ = "cannot allocate CAPTURE buffers";
		return -ENOMEM;
	}
	captureFormat_ = { width, height, stride };
	return 0;
}

unsigned int JobRunnerDevice::captureCount() const
{
	return runner_ ? runner_->captureCount() : 0;
}

int JobRunnerDevice::decode(const client::DecodeRequest &request)
{
	if (!runner_)
		return -ENODEV;

	for (const client::Control &control : request.controls) {
		if (!control.payload.empty())
			controls_[control.id] = { control.payload, control.elems };
	}
	ControlAreaBuilder area;
	for (const auto &[id, value] : controls_)
		area.add(id, value.payload.data(), value.payload.size(), value.elems);

	return runner_->run(request.data, area, request.capture, request.timestamp,
			    request.holdCapture ? DAEDALUS_JOB_FL_HOLD_CAPTURE : 0);
}

std::span<const uint8_t> JobRunnerDevice::capture(unsigned int index) const
{
	return runner_->capture(index);
}

int JobRunnerDevice::reset()
{
	if (runner_)
		runner_->reset();
	return 0;
}

client::H264RunResult runH264Client(const std::vector<uint8_t> &stream, client::ClientStyle style,
				    const DecoderConfig &config,
				    const client::H264ClientOptions &options)
{
	JobRunnerDevice device(config);
	return client::runH264Client(stream, style, device, options);
}

client::Av1RunResult runAv1Client(const std::vector<std::vector<uint8_t>> &units,
				  client::ClientStyle style, const DecoderConfig &config,
				  const client::Av1ClientOptions &options)
{
	JobRunnerDevice device(config);
	return client::runAv1Client(units, style, device, options);
}

} /* namespace daedalus::test */
