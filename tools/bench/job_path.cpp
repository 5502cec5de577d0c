/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client library's clients on a timed DecodeDevice.
 */

#include "job_path.h"

#include <chrono>
#include <cstdio>
#include <iostream>

#include <linux/videodev2.h>

#include "av1_client.h"
#include "h264_client.h"
#include "job_runner.h"
#include "v4l2_decoder.h"
#include "vp9_client.h"

#ifndef V4L2_PIX_FMT_AV1_FRAME
#define V4L2_PIX_FMT_AV1_FRAME v4l2_fourcc('A', 'V', '1', 'F')
#endif

namespace daedalus::bench {

namespace {

/* Forwards to @inner, timing decode(). */
class TimedDevice : public client::DecodeDevice
{
public:
	TimedDevice(client::DecodeDevice &inner, JobTiming *timing,
		    test::JobRunnerDevice *runnerDevice = nullptr, PlainLoop *companion = nullptr,
		    unsigned int traceJob = 0)
		: inner_(inner), timing_(timing), runnerDevice_(runnerDevice),
		  companion_(companion), traceJob_(traceJob)
	{
	}

	int configure(const client::StreamFormat &format) override
	{
		int ret = inner_.configure(format);
		if (ret == 0 && runnerDevice_ && runnerDevice_->runner()) {
			/* Called just before the processor handles the job's message. */
			runnerDevice_->runner()->setObserver([this](const daedalus_msg &,
								    std::span<const uint8_t>,
								    std::span<const uint8_t>) {
				daemonStart_ = wallClock();
				daemonCounts_ = allocCounts();
				if (timing_->jobs + 1 == traceJob_)
					traceAllocations(true);
			});
		}
		return ret;
	}
	const client::CaptureFormat &captureFormat() const override
	{
		return inner_.captureFormat();
	}
	unsigned int captureCount() const override { return inner_.captureCount(); }

	int decode(const client::DecodeRequest &request) override
	{
		const double wall = wallClock();
		const double cpu = cpuClock();
		const AllocCounts counts = allocCounts();
		daemonStart_ = 0;

		int ret = inner_.decode(request);
		traceAllocations(false);

		const double end = wallClock();
		timing_->seconds += end - wall;
		timing_->cpuSeconds += cpuClock() - cpu;
		timing_->counts += allocCounts() - counts;
		timing_->jobs++;
		if (daemonStart_) {
			timing_->daemonSeconds += end - daemonStart_;
			timing_->daemonCounts += allocCounts() - daemonCounts_;
		}
		if (companion_)
			companion_->step();
		return ret;
	}

	std::span<const uint8_t> capture(unsigned int index) const override
	{
		return inner_.capture(index);
	}
	int reset() override { return inner_.reset(); }
	const std::string &failure() const override { return inner_.failure(); }

private:
	client::DecodeDevice &inner_;
	JobTiming *timing_;
	test::JobRunnerDevice *runnerDevice_;
	PlainLoop *companion_;
	unsigned int traceJob_;
	double daemonStart_ = 0;
	AllocCounts daemonCounts_;
};

void runClient(const Clip &clip, client::ClientStyle style, client::DecodeDevice &device,
	       JobTiming *timing)
{
	client::ClientOptions options;
	options.onPicture = [&](const client::Picture &) {
		timing->frames++;
		return true;
	};

	client::RunResult result;
	switch (clip.codec) {
	case tools::Codec::H264:
		result = client::runH264Client(clip.stream, style, device, options);
		break;
	case tools::Codec::Vp9:
		result = client::runVp9Client(clip.packets, style, device, options);
		break;
	case tools::Codec::Av1:
		result = client::runAv1Client(clip.packets, style, device, options);
		break;
	default:
		timing->error = "unknown codec";
		return;
	}
	if (!result.error.empty())
		timing->error = result.error;
	else if (result.failedJobs)
		timing->error = std::to_string(result.failedJobs) + " of " +
				std::to_string(result.requests) +
				" requests failed (first: " + std::to_string(result.firstFailure) +
				")";
}

uint32_t codecFourcc(tools::Codec codec)
{
	switch (codec) {
	case tools::Codec::H264:
		return V4L2_PIX_FMT_H264_SLICE;
	case tools::Codec::Vp9:
		return V4L2_PIX_FMT_VP9_FRAME;
	case tools::Codec::Av1:
		return V4L2_PIX_FMT_AV1_FRAME;
	default:
		return 0;
	}
}

std::unique_ptr<client::V4l2Decoder> openNode(const std::string &device, uint32_t fourcc,
					      std::string *error)
{
	std::vector<client::DecoderNode> nodes;
	if (!device.empty()) {
		client::DecoderNode node;
		if (client::findDecoder(device, &node, error) < 0)
			return nullptr;
		nodes.push_back(node);
	} else {
		nodes = client::findDecoders();
	}
	for (const client::DecoderNode &node : nodes) {
		auto decoder = std::make_unique<client::V4l2Decoder>(node);
		if (decoder->open() == 0 && decoder->offersCodec(fourcc))
			return decoder;
	}
	*error = "no stateless decoder offers the clip's codec";
	return nullptr;
}

} /* namespace */

JobTiming jobPathDecode(const Clip &clip, client::ClientStyle style, const DecoderConfig &config,
			PlainLoop *companion, unsigned int traceJob)
{
	JobTiming timing;
	test::JobRunnerDevice runner(config);
	TimedDevice device(runner, &timing, &runner, companion, traceJob);
	runClient(clip, style, device, &timing);
	if (companion)
		companion->finish();
	if (runner.runner())
		timing.mappedBuffers = runner.runner()->processor().buffers().size();
	return timing;
}

JobTiming nodeDecode(const Clip &clip, client::ClientStyle style, const std::string &device,
		     bool hold)
{
	JobTiming timing;
	std::unique_ptr<client::V4l2Decoder> node =
		openNode(device, codecFourcc(clip.codec), &timing.error);
	if (!node)
		return timing;

	/* A benchmark under emulation, not a test of the client's patience. */
	node->setRequestTimeout(std::chrono::seconds(30));
	TimedDevice timed(*node, &timing);
	runClient(clip, style, timed, &timing);

	if (hold) {
		printf("holding %s open (%u frames decoded); close stdin to end\n",
		       node->node().video.c_str(), timing.frames);
		fflush(stdout);
		std::string line;
		while (std::getline(std::cin, line)) {
		}
	}
	return timing;
}

} /* namespace daedalus::bench */
