/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The job path.
 */

#include "job_processor.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

namespace daedalus {

LOG_DEFINE_CATEGORY(Job)

unsigned int threadBudgetSize(const DecoderConfig &config)
{
	if (config.maxThreads == DecoderConfig::kAutoMaxThreads || config.maxThreads < 0)
		return 2 * onlineCpus();
	return static_cast<unsigned int>(config.maxThreads);
}

JobProcessor::JobProcessor(const DecoderConfig &config, std::span<const CodecEntry> codecs)
	: config_(config), codecs_(codecs), threadBudget_(threadBudgetSize(config))
{
}

int openDumpDirectory(const std::string &path, UniqueFD *dir, std::string *why)
{
	UniqueFD fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	if (!fd.isValid()) {
		int err = -errno;
		*why = err == -ELOOP || err == -ENOTDIR ? "not a directory (or a symlink)"
							: errorString(err);
		return err;
	}

	struct stat st;
	if (fstat(fd.get(), &st) < 0) {
		int err = -errno;
		*why = errorString(err);
		return err;
	}
	if (st.st_uid != geteuid()) {
		*why = "owned by uid " + std::to_string(st.st_uid) + ", not by the daemon's uid " +
		       std::to_string(geteuid());
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned int>(st.st_mode & 07777));
		*why = std::string("writable by group or others (mode ") + mode + ")";
		return -EPERM;
	}

	*dir = std::move(fd);
	return 0;
}

bool JobProcessor::handleMessage(const daedalus_msg &msg, std::span<const uint8_t> ctrlArea,
				 daedalus_result *result)
{
	switch (msg.type) {
	case DAEDALUS_MSG_JOB:
		runJob(msg.job, ctrlArea, result);
		return true;
	case DAEDALUS_MSG_CTX_CLOSE:
		closeContext(msg.ctx_id);
		return false;
	case DAEDALUS_MSG_BUF_FREE:
		freeBuffer(msg.ctx_id, msg.buf_id);
		return false;
	case DAEDALUS_MSG_CTX_RESET:
		resetContext(msg.ctx_id);
		return false;
	default:
		LOG_CTX(Job, Warn, msg.ctx_id) << "ignoring message of unknown type " << msg.type;
		return false;
	}
}

int JobProcessor::runJob(const daedalus_job &job, std::span<const uint8_t> ctrlArea,
			 daedalus_result *result)
{
	*result = {};
	result->seqno = job.seqno;

	/* The fds are the daemon's now, whatever happens to the job. */
	PlaneFds srcFds = takePlaneFds(job.src);
	PlaneFds dstFds = takePlaneFds(job.dst);

	LOG_CTX(Job, Debug, job.ctx_id)
		<< "job " << job.seqno << " " << fourccString(job.codec).str << " ts "
		<< job.timestamp << ": OUTPUT " << job.src.index << " ("
		<< job.src.planes[0].bytesused << " bytes) -> CAPTURE " << job.dst.index << ", "
		<< job.ctrl_count << " controls";

	auto fail = [&](int status) {
		result->status = status;
		return status;
	};

	if (job.src.id == job.dst.id) {
		LOG_CTX(Job, Error, job.ctx_id) << "job " << job.seqno << ": buffer " << job.src.id
						<< " is both OUTPUT and CAPTURE";
		return fail(-EINVAL);
	}

	/* Map both buffers before anything else can fail: later jobs need them. */
	const MappedBuffer *src = nullptr;
	const MappedBuffer *dst = nullptr;
	int srcRet = importBuffer(job, job.src, BufferDirection::Output, srcFds, &src);
	int dstRet = importBuffer(job, job.dst, BufferDirection::Capture, dstFds, &dst);
	if (srcRet < 0)
		return fail(srcRet);
	if (dstRet < 0)
		return fail(dstRet);

	std::span<const uint8_t> bitstream;
	int ret = checkBitstream(job, *src, &bitstream);
	if (ret < 0)
		return fail(ret);

	CaptureImage capture;
	ret = checkCapture(job, *dst, &capture);
	if (ret < 0)
		return fail(ret);

	/* One per thread: kept from job to job (no allocation), never shared. */
	thread_local ControlSet controls;
	if (job.ctrl_bytes > ctrlArea.size() ||
	    controls.parse(ctrlArea.first(job.ctrl_bytes), job.ctrl_count) < 0) {
		LOG_CTX(Job, Error, job.ctx_id)
			<< "job " << job.seqno << ": malformed control area (" << job.ctrl_count
			<< " records in " << job.ctrl_bytes << " bytes, area of " << ctrlArea.size()
			<< ")";
		return fail(-EINVAL);
	}

	if (dumpDir_.isValid())
		dumpJob(job, ctrlArea.first(job.ctrl_bytes), bitstream);

	Context *context;
	{
		std::lock_guard<std::mutex> locker(contextsLock_);
		std::unique_ptr<Context> &slot = contexts_[job.ctx_id];
		if (!slot) {
			LOG_CTX(Job, Debug, job.ctx_id) << "new context";
			slot = std::make_unique<Context>(job.ctx_id, config_, codecs_,
							 threadBudget_);
		}
		context = slot.get();
	}

	CpuAccess srcAccess(*src);
	CpuAccess dstAccess(*dst);
	if (srcAccess.status() < 0 || dstAccess.status() < 0) {
		ret = srcAccess.status() < 0 ? srcAccess.status() : dstAccess.status();
		LOG_CTX(Job, Error, job.ctx_id)
			<< "job " << job.seqno
			<< ": DMA_BUF_IOCTL_SYNC failed: " << errorString(ret);
		return fail(ret);
	}

	/*
	 * Nothing is written into the CAPTURE buffer before the gate is open:
	 * the module may have ended the job meanwhile (watchdog, cancel), and
	 * then the buffer is the client's again.
	 */
	WriteGate gate(job.seqno, &writeGateOpener_);
	DecodeJob decodeJob{ job.ctx_id, job, bitstream, controls, capture, gate };
	ret = context->decode(decodeJob);
	if (ret < 0) {
		/* Neither an earlier picture nor part of this one goes back to the client. */
		int gateStatus = gate.open();
		if (gateStatus == 0)
			fillBlack(capture);
		else
			ret = gateStatus;
	}
	if (gate.asked() && !gate.isOpen()) {
		if (ret == -ENOENT)
			LOG_CTX(Job, Debug, job.ctx_id)
				<< "job " << job.seqno
				<< " ended before its picture was written (timed out or cancelled);"
				   " CAPTURE buffer untouched";
		else
			LOG_CTX(Job, Error, job.ctx_id)
				<< "job " << job.seqno
				<< ": BEGIN_WRITE failed: " << errorString(ret)
				<< "; CAPTURE buffer untouched";
	}
	if (ret < 0)
		return fail(ret);

	result->status = 0;
	result->num_planes = 1;
	result->bytesused[0] = job.dst.planes[0].bytesused;
	return 0;
}

/*
 * The dump (setDumpDir()): for job N of context C, the control
 * area as fetched (struct daedalus_ctrl records, see ControlSet) in
 * ctx<C>-job<N>.ctrl and the OUTPUT bytes in ctx<C>-job<N>.bin, N being
 * the kernel's sequence number. Only jobs whose buffers and control area
 * pass the checks above reach the dump. Failures are logged once and
 * ignored.
 */
void JobProcessor::dumpJob(const daedalus_job &job, std::span<const uint8_t> ctrlArea,
			   std::span<const uint8_t> bitstream)
{
	const std::string base =
		"ctx" + std::to_string(job.ctx_id) + "-job" + std::to_string(job.seqno);
	auto write = [&](const std::string &name, std::span<const uint8_t> bytes) {
		/*
		 * A new file of the daemon's only: no symlink followed, no file
		 * that exists (planted or from an earlier run) reused, mode 0600
		 * whatever the umask.
		 */
		UniqueFD file(openat(dumpDir_.get(), name.c_str(),
				     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
		int err = file.isValid() && fchmod(file.get(), 0600) == 0 ? 0 : -errno;
		for (size_t done = 0; !err && done < bytes.size();) {
			ssize_t n = ::write(file.get(), bytes.data() + done, bytes.size() - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				err = n < 0 ? -errno : -EIO;
			else
				done += n;
		}
		if (err && !dumpFailed_.exchange(true)) {
			LOG_CTX(Job, Warn, job.ctx_id)
				<< "cannot write " << name << " (dump): " << errorString(err)
				<< "; further failures are not logged";
		}
	};
	write(base + ".ctrl", ctrlArea);
	write(base + ".bin", bitstream);
}

int JobProcessor::importBuffer(const daedalus_job &job, const daedalus_buffer &buf,
			       BufferDirection direction, PlaneFds &fds,
			       const MappedBuffer **mapped)
{
	int ret = buffers_.import(job.ctx_id, buf, direction, fds, mapped);
	if (ret == -EBADF)
		LOG_CTX(Job, Error, job.ctx_id)
			<< "job " << job.seqno << ": " << directionName(direction) << " buffer "
			<< buf.id << " (index " << buf.index
			<< ") is not mapped and came without fds (freed already?)";
	else if (ret < 0)
		LOG_CTX(Job, Error, job.ctx_id)
			<< "job " << job.seqno << ": cannot map " << directionName(direction)
			<< " buffer " << buf.id << " (index " << buf.index << ", " << buf.num_planes
			<< " planes, plane 0 length " << buf.planes[0].length
			<< "): " << errorString(ret);
	return ret;
}

int JobProcessor::checkBitstream(const daedalus_job &job, const MappedBuffer &src,
				 std::span<const uint8_t> *bitstream)
{
	const daedalus_plane &plane = job.src.planes[0];
	std::span<const uint8_t> memory = src.plane(0);

	if (job.src.num_planes != 1 || plane.bytesused == 0 ||
	    uint64_t{ plane.offset } + plane.bytesused > memory.size()) {
		LOG_CTX(Job, Error, job.ctx_id)
			<< "job " << job.seqno << ": bad OUTPUT buffer: " << job.src.num_planes
			<< " planes, " << plane.bytesused << " bytes at offset " << plane.offset
			<< " of " << memory.size();
		return -EINVAL;
	}

	*bitstream = memory.subspan(plane.offset, plane.bytesused);
	return 0;
}

int JobProcessor::checkCapture(const daedalus_job &job, const MappedBuffer &dst,
			       CaptureImage *image)
{
	switch (job.cap_fourcc) {
	case V4L2_PIX_FMT_NV12:
		image->format = CaptureFormat::Nv12;
		break;
	case V4L2_PIX_FMT_P010:
		image->format = CaptureFormat::P010;
		break;
	default:
		LOG_CTX(Job, Error, job.ctx_id)
			<< "job " << job.seqno << ": CAPTURE format "
			<< fourccString(job.cap_fourcc).str << " is not supported (NV12, P010)";
		return -EINVAL;
	}

	const daedalus_plane &plane = job.dst.planes[0];
	std::span<uint8_t> memory = dst.plane(0);

	if (job.dst.num_planes != 1 || uint64_t{ plane.offset } + plane.bytesused > memory.size()) {
		LOG_CTX(Job, Error, job.ctx_id)
			<< "job " << job.seqno << ": bad CAPTURE buffer: " << job.dst.num_planes
			<< " planes, " << plane.bytesused << " bytes at offset " << plane.offset
			<< " of " << memory.size();
		return -EINVAL;
	}

	image->data = memory.subspan(plane.offset, plane.bytesused);
	image->stride = plane.stride;
	image->width = job.cap_width;
	image->height = job.cap_height;

	if (validateCapture(*image) < 0) {
		LOG_CTX(Job, Error, job.ctx_id)
			<< "job " << job.seqno << ": CAPTURE " << job.cap_width << "x"
			<< job.cap_height << " " << captureFormatName(image->format)
			<< " with stride " << plane.stride << " does not fit its plane of "
			<< plane.bytesused << " bytes";
		return -EINVAL;
	}

	return 0;
}

void JobProcessor::closeContext(uint64_t ctxId)
{
	std::unique_ptr<Context> context;
	{
		std::lock_guard<std::mutex> locker(contextsLock_);
		auto it = contexts_.find(ctxId);
		if (it != contexts_.end()) {
			context = std::move(it->second);
			contexts_.erase(it);
		}
	}
	bool known = context != nullptr;
	/* The decoder and its threads go outside the lock. */
	context.reset();
	size_t freed = buffers_.releaseContext(ctxId);
	LOG_CTX(Job, Debug, ctxId) << "closed (" << (known ? "had" : "no") << " decoder, " << freed
				   << " buffers unmapped)";
}

void JobProcessor::resetContext(uint64_t ctxId)
{
	Context *context = nullptr;
	{
		std::lock_guard<std::mutex> locker(contextsLock_);
		auto it = contexts_.find(ctxId);
		if (it != contexts_.end())
			context = it->second.get();
	}
	if (context)
		context->reset();
	LOG_CTX(Job, Debug, ctxId) << "reset";
}

void JobProcessor::freeBuffer(uint64_t ctxId, uint64_t bufId)
{
	if (buffers_.release(ctxId, bufId))
		LOG_CTX(Job, Debug, ctxId) << "buffer " << bufId << " unmapped";
	else
		LOG_CTX(Job, Debug, ctxId) << "buffer " << bufId << " freed (was not mapped)";
}

} /* namespace daedalus */
