/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The job path: everything the daemon does with a message fetched from the
 * kernel, without the device. Tests and benchmarks drive it in-process with
 * messages built as the kernel builds them.
 */

#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include <uapi/daedalus-v4l2.h>

#include "buffer_cache.h"
#include "context.h"
#include "control_set.h"
#include "decoder.h"

namespace daedalus {

class JobProcessor
{
public:
	explicit JobProcessor(const DecoderConfig &config = {},
			      std::span<const CodecEntry> codecs = defaultCodecTable())
		: config_(config), codecs_(codecs)
	{
	}

	JobProcessor(const JobProcessor &) = delete;
	JobProcessor &operator=(const JobProcessor &) = delete;

	/*
	 * Handle one message. @ctrlArea is the control area passed to FETCH
	 * (the job's records are in its first job.ctrl_bytes bytes). For a
	 * DAEDALUS_MSG_JOB, fill @result, which the caller must send with
	 * DAEDALUS_IOC_COMPLETE, and return true; for any other message return
	 * false. Takes ownership of every fd the message carries.
	 */
	bool handleMessage(const daedalus_msg &msg, std::span<const uint8_t> ctrlArea,
			   daedalus_result *result);

	/* Run one job; returns its status (0 or a negative errno). */
	int runJob(const daedalus_job &job, std::span<const uint8_t> ctrlArea,
		   daedalus_result *result);

	/*
	 * Debugging aid: write every job's control area and OUTPUT bytes to
	 * files in @dir (empty: off, the default). See dumpJob().
	 */
	void setDumpDir(const std::string &dir) { dumpDir_ = dir; }

	const BufferCache &buffers() const { return buffers_; }
	size_t contextCount() const { return contexts_.size(); }
	bool hasContext(uint32_t ctxId) const { return contexts_.count(ctxId) != 0; }

private:
	int importBuffer(const daedalus_job &job, const daedalus_buffer &buf,
			 BufferDirection direction, PlaneFds &fds, const MappedBuffer **mapped);
	int checkBitstream(const daedalus_job &job, const MappedBuffer &src,
			   std::span<const uint8_t> *bitstream);
	int checkCapture(const daedalus_job &job, const MappedBuffer &dst, CaptureImage *image);

	void dumpJob(const daedalus_job &job, std::span<const uint8_t> ctrlArea,
		     std::span<const uint8_t> bitstream);

	void closeContext(uint32_t ctxId);
	void resetContext(uint32_t ctxId);
	void freeBuffer(uint32_t ctxId, uint64_t bufId);

	DecoderConfig config_;
	std::span<const CodecEntry> codecs_;

	BufferCache buffers_;
	std::map<uint32_t, std::unique_ptr<Context>> contexts_;
	ControlSet controls_;
	std::string dumpDir_;
	bool dumpFailed_ = false;
};

} /* namespace daedalus */
