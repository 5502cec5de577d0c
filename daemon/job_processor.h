/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The job path: everything the daemon does with a message fetched from the
 * kernel, without the device. Tests and benchmarks drive it in-process with
 * messages built as the kernel builds them.
 */

#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>

#include <uapi/daedalus-v4l2.h>

#include "buffer_cache.h"
#include "context.h"
#include "control_set.h"
#include "decoder.h"
#include "thread_budget.h"
#include "write_gate.h"
#include <daedalus/unique_fd.h>

namespace daedalus {

class JobProcessor
{
public:
	/*
	 * @config.threads caps the threads of each context's decoder (0: one
	 * per online CPU), @config.maxThreads those of all of them together
	 * (see ThreadBudget).
	 */
	explicit JobProcessor(const DecoderConfig &config = {},
			      std::span<const CodecEntry> codecs = defaultCodecTable());

	JobProcessor(const JobProcessor &) = delete;
	JobProcessor &operator=(const JobProcessor &) = delete;

	/*
	 * Handle one message. @ctrlArea is the control area passed to FETCH
	 * (the job's records are in its first job.ctrl_bytes bytes). For a
	 * DAEDALUS_MSG_JOB, fill @result, which the caller must send with
	 * DAEDALUS_IOC_COMPLETE, and return true; for any other message return
	 * false. Takes ownership of every fd the message carries.
	 *
	 * Messages of different contexts may be handled at once on different
	 * threads; those of one context must come one at a time, in their
	 * order (JobScheduler).
	 */
	bool handleMessage(const daedalus_msg &msg, std::span<const uint8_t> ctrlArea,
			   daedalus_result *result);

	/* Run one job; returns its status (0 or a negative errno). */
	int runJob(const daedalus_job &job, std::span<const uint8_t> ctrlArea,
		   daedalus_result *result);

	/*
	 * What opens each job's WriteGate (DAEDALUS_IOC_BEGIN_WRITE in the
	 * daemon). Without one (the default: tests, benchmarks) the gates are
	 * always open.
	 */
	void setWriteGateOpener(WriteGate::Opener opener) { writeGateOpener_ = std::move(opener); }

	/*
	 * Debugging aid: write every job's control area and OUTPUT bytes to
	 * files in the directory @dir (from openDumpDirectory(); invalid: off,
	 * the default). See dumpJob().
	 */
	void setDumpDir(UniqueFD dir) { dumpDir_ = std::move(dir); }

	const ThreadBudget &threadBudget() const { return threadBudget_; }

	const BufferCache &buffers() const { return buffers_; }
	size_t contextCount() const
	{
		std::lock_guard<std::mutex> locker(contextsLock_);
		return contexts_.size();
	}
	bool hasContext(uint64_t ctxId) const
	{
		std::lock_guard<std::mutex> locker(contextsLock_);
		return contexts_.count(ctxId) != 0;
	}

private:
	int importBuffer(const daedalus_job &job, const daedalus_buffer &buf,
			 BufferDirection direction, PlaneFds &fds, const MappedBuffer **mapped);
	int checkBitstream(const daedalus_job &job, const MappedBuffer &src,
			   std::span<const uint8_t> *bitstream);
	int checkCapture(const daedalus_job &job, const MappedBuffer &dst, CaptureImage *image);

	void dumpJob(const daedalus_job &job, std::span<const uint8_t> ctrlArea,
		     std::span<const uint8_t> bitstream);

	void closeContext(uint64_t ctxId);
	void resetContext(uint64_t ctxId);
	void freeBuffer(uint64_t ctxId, uint64_t bufId);

	DecoderConfig config_;
	std::span<const CodecEntry> codecs_;

	WriteGate::Opener writeGateOpener_;
	/* Declared before the contexts: their decoders give threads back to it. */
	ThreadBudget threadBudget_;

	BufferCache buffers_;
	/*
	 * The map is shared by the workers; a Context is used only by its
	 * own context's worker, which alone creates and destroys it.
	 */
	mutable std::mutex contextsLock_;
	std::map<uint64_t, std::unique_ptr<Context>> contexts_;
	UniqueFD dumpDir_;
	std::atomic<bool> dumpFailed_ = false;
};

/*
 * Open @path as the dump directory: once, with O_DIRECTORY | O_NOFOLLOW
 * (the path itself must not be a symlink), and only when it is owned by the
 * effective uid and not writable by group or others, so that nobody else
 * can plant or swap files in it. Returns 0 and sets @dir, or a negative
 * errno and sets @why to the reason, for the error message.
 */
int openDumpDirectory(const std::string &path, UniqueFD *dir, std::string *why);

/* The decoder-thread budget of @config.maxThreads (kAutoMaxThreads: twice the online CPUs). */
unsigned int threadBudgetSize(const DecoderConfig &config);

} /* namespace daedalus */
