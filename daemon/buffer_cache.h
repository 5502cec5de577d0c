/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's mappings of the V4L2 buffers (dma-bufs) of every context.
 *
 * Every job carries a dma-buf fd for each plane of its buffers. The first
 * time the cache sees a buffer id it maps each plane and keeps the mapping
 * (and that fd, needed for DMA_BUF_IOCTL_SYNC) until the kernel says the
 * memory is gone; the fds of later jobs are only closed. A buffer id never
 * names other memory while the module is loaded.
 */

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include <uapi/daedalus-v4l2.h>

#include <daedalus/unique_fd.h>

namespace daedalus {

enum class BufferDirection {
	Output, /* bitstream, read by the daemon */
	Capture, /* picture, written by the daemon */
};

const char *directionName(BufferDirection direction);

/*
 * DMA_BUF_IOCTL_SYNC on @fd with @flags (DMA_BUF_SYNC_*). Retries on EINTR and
 * EAGAIN; a descriptor that is not a dma-buf (ENOTTY, e.g. a memfd in tests)
 * needs no synchronisation and succeeds. Returns 0 or -errno.
 */
int dmaBufSync(int fd, uint64_t flags);

/* The fds a message carries for one buffer, owned by the daemon from now on. */
using PlaneFds = std::array<UniqueFD, DAEDALUS_MAX_PLANES>;

/*
 * Take ownership of the fds in @buf (only for the first num_planes planes,
 * only fd >= 0), so that they are closed whatever happens to the job.
 */
PlaneFds takePlaneFds(const daedalus_buffer &buf);

/* One plane mapped into the daemon: owns the fd and the mapping. */
class MappedPlane
{
public:
	MappedPlane() = default;
	~MappedPlane();

	MappedPlane(const MappedPlane &) = delete;
	MappedPlane &operator=(const MappedPlane &) = delete;
	MappedPlane(MappedPlane &&other) noexcept;
	MappedPlane &operator=(MappedPlane &&other) noexcept;

	/* mmap @length bytes of @fd with @prot. Returns 0 or -errno. */
	int map(UniqueFD fd, uint32_t length, int prot);

	int fd() const { return fd_.get(); }
	std::span<uint8_t> data() const { return { data_, length_ }; }

private:
	void unmap();

	UniqueFD fd_;
	uint8_t *data_ = nullptr;
	size_t length_ = 0;
};

class MappedBuffer
{
public:
	MappedBuffer(uint64_t id, uint32_t index, BufferDirection direction)
		: id_(id), index_(index), direction_(direction)
	{
	}

	uint64_t id() const { return id_; }
	uint32_t index() const { return index_; }
	BufferDirection direction() const { return direction_; }

	unsigned int numPlanes() const { return planes_.size(); }
	std::span<uint8_t> plane(unsigned int i) const { return planes_[i].data(); }
	const MappedPlane &mappedPlane(unsigned int i) const { return planes_[i]; }

	/*
	 * Bracket CPU access: READ for OUTPUT, WRITE for CAPTURE. Returns 0 or
	 * -errno; endCpuAccess() is only needed after a successful begin.
	 */
	int beginCpuAccess() const;
	void endCpuAccess() const;

private:
	friend class BufferCache;

	uint64_t syncFlags() const;

	uint64_t id_;
	uint32_t index_;
	BufferDirection direction_;
	std::vector<MappedPlane> planes_;
};

/* Begins CPU access in the constructor, ends it (if begun) in the destructor. */
class CpuAccess
{
public:
	explicit CpuAccess(const MappedBuffer &buffer) : buffer_(buffer)
	{
		status_ = buffer_.beginCpuAccess();
	}
	~CpuAccess()
	{
		if (status_ == 0)
			buffer_.endCpuAccess();
	}

	CpuAccess(const CpuAccess &) = delete;
	CpuAccess &operator=(const CpuAccess &) = delete;

	int status() const { return status_; }

private:
	const MappedBuffer &buffer_;
	int status_;
};

class BufferCache
{
public:
	/*
	 * Make buffer @buf of context @ctxId available. A buffer seen before
	 * keeps its mapping (it must still be described the same way); a new
	 * one is mapped from @fds (taken with takePlaneFds()), which must hold
	 * an fd for every plane. Returns 0 and sets @buffer, -EBADF when a new
	 * buffer comes without fds, -EINVAL when the description is
	 * inconsistent, or the mmap error. @fds not used stay with the caller.
	 */
	int import(uint64_t ctxId, const daedalus_buffer &buf, BufferDirection direction,
		   PlaneFds &fds, const MappedBuffer **buffer);

	const MappedBuffer *find(uint64_t ctxId, uint64_t id) const;

	/* Unmap one buffer. Returns false when it was not mapped. */
	bool release(uint64_t ctxId, uint64_t id);
	/* Unmap every buffer of a context; returns how many there were. */
	size_t releaseContext(uint64_t ctxId);

	size_t size() const
	{
		std::lock_guard<std::mutex> locker(lock_);
		return buffers_.size();
	}

private:
	using Key = std::pair<uint64_t, uint64_t>;

	int map(const daedalus_buffer &buf, BufferDirection direction, PlaneFds &fds,
		std::unique_ptr<MappedBuffer> *buffer);

	/*
	 * The workers of different contexts import and release at once. A
	 * MappedBuffer stays where it is until its own context releases it
	 * (in that context's order, after its jobs), so the pointers handed
	 * out need no lock.
	 */
	mutable std::mutex lock_;
	std::map<Key, std::unique_ptr<MappedBuffer>> buffers_;
};

} /* namespace daedalus */
