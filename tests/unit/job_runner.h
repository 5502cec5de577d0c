/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stand-in for the kernel module in front of a JobProcessor: it owns
 * OUTPUT and CAPTURE buffers (memfds standing in for dma-bufs) with ids as
 * the module gives them, builds each job message as the module does (every
 * job carries fresh fds of its buffers), and frees buffers it replaces.
 */

#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "av1_client.h"
#include "control_set.h"
#include "decode_device.h"
#include "decoder.h"
#include "h264_client.h"
#include "job_processor.h"
#include "test_buffers.h"

namespace daedalus::test {

class JobRunner
{
public:
	JobRunner(uint32_t codec, const DecoderConfig &config, uint64_t ctxId = 1);
	/*
	 * Context @ctxId of @processor, which several runners may share (as
	 * the contexts of one daemon); it must outlive the runner.
	 */
	JobRunner(uint32_t codec, JobProcessor &processor, uint64_t ctxId);
	~JobRunner();

	/* (Re)allocate @count OUTPUT buffers of @size bytes. */
	bool setOutputBuffers(unsigned int count, size_t size);

	/*
	 * (Re)allocate @count NV12 CAPTURE buffers of @width x @height, lines
	 * of @stride bytes.
	 */
	bool setCaptureBuffers(unsigned int count, uint32_t width, uint32_t height,
			       uint32_t stride);

	/*
	 * Run one job: @bitstream goes into the next OUTPUT buffer, the picture
	 * into CAPTURE buffer @capture. Returns the job's status.
	 */
	int run(std::span<const uint8_t> bitstream, const ControlAreaBuilder &controls,
		unsigned int capture, uint64_t timestamp, uint32_t flags = 0);

	/* DAEDALUS_MSG_CTX_RESET, as after OUTPUT STREAMOFF. */
	void reset();

	unsigned int captureCount() const { return capture_.size(); }
	std::span<const uint8_t> capture(unsigned int index) const;
	uint32_t captureWidth() const { return capWidth_; }
	uint32_t captureHeight() const { return capHeight_; }
	uint32_t captureStride() const { return stride_; }

	JobProcessor &processor() { return processor_; }

	/*
	 * Called with each job message (its fds not to be used), the control
	 * area and the OUTPUT bytes before the processor handles it: the fuzz
	 * seed writer records what clients make the module send.
	 */
	using JobObserver =
		std::function<void(const daedalus_msg &msg, std::span<const uint8_t> area,
				   std::span<const uint8_t> bitstream)>;
	void setObserver(JobObserver observer) { observer_ = std::move(observer); }

private:
	struct Buffer {
		uint64_t id;
		std::unique_ptr<MemfdBuffer> memory;
	};

	bool allocate(std::vector<Buffer> *buffers, unsigned int count, size_t size);
	void release(std::vector<Buffer> *buffers);

	uint32_t codec_;
	uint64_t ctxId_;
	std::unique_ptr<JobProcessor> ownProcessor_;
	JobProcessor &processor_;

	std::vector<Buffer> output_;
	std::vector<Buffer> capture_;
	unsigned int nextOutput_ = 0;
	uint32_t capWidth_ = 0;
	uint32_t capHeight_ = 0;
	uint32_t stride_ = 0;

	uint64_t nextId_ = 1;
	uint64_t seqno_ = 0;
	JobObserver observer_;
};

/*
 * The job path as the client library's DecodeDevice, standing in for the
 * module in front of the daemon: the CAPTURE layout the module gives (coded
 * size rounded up to 16, lines of 64-byte multiples), a reset on every
 * (re)configuration as STREAMOFF sends one, and the last value of every
 * control kept as the kernel keeps them, all of them sent with each job.
 * Integer controls (DECODE_MODE, START_CODE) stay with the module.
 */
class JobRunnerDevice : public client::DecodeDevice
{
public:
	explicit JobRunnerDevice(const DecoderConfig &config) : config_(config) {}

	int configure(const client::StreamFormat &format) override;
	const client::CaptureFormat &captureFormat() const override { return captureFormat_; }
	unsigned int captureCount() const override;
	int decode(const client::DecodeRequest &request) override;
	std::span<const uint8_t> capture(unsigned int index) const override;
	int reset() override;
	const std::string &failure() const override { return failure_; }

	JobRunner *runner() { return runner_.get(); }

private:
	struct Value {
		std::vector<uint8_t> payload;
		uint32_t elems;
	};

	DecoderConfig config_;
	std::unique_ptr<JobRunner> runner_;
	client::CaptureFormat captureFormat_;
	std::map<uint32_t, Value> controls_;
	std::string failure_;
};

/* The client library's clients on the job path in-process. */
client::H264RunResult runH264Client(const std::vector<uint8_t> &stream, client::ClientStyle style,
				    const DecoderConfig &config,
				    const client::H264ClientOptions &options = {});
client::Av1RunResult runAv1Client(const std::vector<std::vector<uint8_t>> &units,
				  client::ClientStyle style, const DecoderConfig &config,
				  const client::Av1ClientOptions &options = {});

} /* namespace daedalus::test */
