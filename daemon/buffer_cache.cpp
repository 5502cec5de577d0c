/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's mappings of the V4L2 buffers.
 */

#include "buffer_cache.h"

#include <cerrno>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace daedalus {

const char *directionName(BufferDirection direction)
{
	return direction == BufferDirection::Output ? "OUTPUT" : "CAPTURE";
}

int dmaBufSync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = {};
	sync.flags = flags;

	for (;;) {
		if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) == 0)
			return 0;
		if (errno == EINTR || errno == EAGAIN)
			continue;
		if (errno == ENOTTY)
			return 0;
		return -errno;
	}
}

PlaneFds takePlaneFds(const daedalus_buffer &buf)
{
	PlaneFds fds;
	if (buf.num_planes > DAEDALUS_MAX_PLANES)
		return fds;

	for (unsigned int i = 0; i < buf.num_planes; i++) {
		if (buf.planes[i].fd >= 0)
			fds[i].reset(buf.planes[i].fd);
	}
	return fds;
}

MappedPlane::~MappedPlane()
{
	unmap();
}

MappedPlane::MappedPlane(MappedPlane &&other) noexcept
	: fd_(std::move(other.fd_)), data_(std::exchange(other.data_, nullptr)),
	  length_(std::exchange(other.length_, 0))
{
}

MappedPlane &MappedPlane::operator=(MappedPlane &&other) noexcept
{
	if (this != &other) {
		unmap();
		fd_ = std::move(other.fd_);
		data_ = std::exchange(other.data_, nullptr);
		length_ = std::exchange(other.length_, 0);
	}
	return *this;
}

void MappedPlane::unmap()
{
	if (data_)
		munmap(data_, length_);
	data_ = nullptr;
	length_ = 0;
	fd_.reset();
}

int MappedPlane::map(UniqueFD fd, uint32_t length, int prot)
{
	unmap();

	if (!fd.isValid() || length == 0)
		return -EINVAL;

	/*
	 * Touching a mapping beyond the end of the dma-buf raises SIGBUS: make
	 * sure the memory is as large as the kernel says.
	 */
	off_t size = lseek(fd.get(), 0, SEEK_END);
	if (size < 0)
		return -errno;
	if (static_cast<uint64_t>(size) < length)
		return -EINVAL;

	void *addr = mmap(nullptr, length, prot, MAP_SHARED, fd.get(), 0);
	if (addr == MAP_FAILED)
		return -errno;

	fd_ = std::move(fd);
	data_ = static_cast<uint8_t *>(addr);
	length_ = length;
	return 0;
}

uint64_t MappedBuffer::syncFlags() const
{
	return direction_ == BufferDirection::Output ? DMA_BUF_SYNC_READ : DMA_BUF_SYNC_WRITE;
}

int MappedBuffer::beginCpuAccess() const
{
	for (unsigned int i = 0; i < planes_.size(); i++) {
		int ret = dmaBufSync(planes_[i].fd(), DMA_BUF_SYNC_START | syncFlags());
		if (ret < 0) {
			while (i--)
				dmaBufSync(planes_[i].fd(), DMA_BUF_SYNC_END | syncFlags());
			return ret;
		}
	}
	return 0;
}

void MappedBuffer::endCpuAccess() const
{
	for (const MappedPlane &plane : planes_)
		dmaBufSync(plane.fd(), DMA_BUF_SYNC_END | syncFlags());
}

int BufferCache::map(const daedalus_buffer &buf, BufferDirection direction, PlaneFds &fds,
		     std::unique_ptr<MappedBuffer> *buffer)
{
	int prot = direction == BufferDirection::Output ? PROT_READ : PROT_READ | PROT_WRITE;
	auto mapped = std::make_unique<MappedBuffer>(buf.id, buf.index, direction);

	mapped->planes_.resize(buf.num_planes);
	for (unsigned int i = 0; i < buf.num_planes; i++) {
		int ret = mapped->planes_[i].map(std::move(fds[i]), buf.planes[i].length, prot);
		if (ret < 0)
			return ret;
	}

	*buffer = std::move(mapped);
	return 0;
}

int BufferCache::import(uint64_t ctxId, const daedalus_buffer &buf, BufferDirection direction,
			PlaneFds &fds, const MappedBuffer **buffer)
{
	*buffer = nullptr;

	if (buf.num_planes == 0 || buf.num_planes > DAEDALUS_MAX_PLANES)
		return -EINVAL;
	for (unsigned int i = 0; i < buf.num_planes; i++) {
		if (buf.planes[i].fd < -1)
			return -EINVAL;
	}

	std::unique_lock<std::mutex> locker(lock_);
	auto it = buffers_.find({ ctxId, buf.id });
	if (it != buffers_.end()) {
		const MappedBuffer &cached = *it->second;
		if (cached.direction() != direction || cached.numPlanes() != buf.num_planes)
			return -EINVAL;
		for (unsigned int i = 0; i < buf.num_planes; i++) {
			if (cached.plane(i).size() != buf.planes[i].length)
				return -EINVAL;
		}

		*buffer = &cached;
		return 0;
	}

	for (unsigned int i = 0; i < buf.num_planes; i++) {
		if (!fds[i].isValid())
			return -EBADF;
	}

	/* Only this context's worker maps this buffer: no one adds it meanwhile. */
	locker.unlock();
	std::unique_ptr<MappedBuffer> mapped;
	int ret = map(buf, direction, fds, &mapped);
	if (ret < 0)
		return ret;

	*buffer = mapped.get();
	locker.lock();
	buffers_.emplace(Key{ ctxId, buf.id }, std::move(mapped));
	return 0;
}

const MappedBuffer *BufferCache::find(uint64_t ctxId, uint64_t id) const
{
	std::lock_guard<std::mutex> locker(lock_);
	auto it = buffers_.find({ ctxId, id });
	return it == buffers_.end() ? nullptr : it->second.get();
}

bool BufferCache::release(uint64_t ctxId, uint64_t id)
{
	std::unique_ptr<MappedBuffer> gone;
	{
		std::lock_guard<std::mutex> locker(lock_);
		auto it = buffers_.find({ ctxId, id });
		if (it == buffers_.end())
			return false;
		gone = std::move(it->second);
		buffers_.erase(it);
	}
	/* Unmapped here, outside the lock. */
	return true;
}

size_t BufferCache::releaseContext(uint64_t ctxId)
{
	std::vector<std::unique_ptr<MappedBuffer>> gone;
	{
		std::lock_guard<std::mutex> locker(lock_);
		auto first = buffers_.lower_bound({ ctxId, 0 });
		auto last = buffers_.upper_bound({ ctxId, UINT64_MAX });
		for (auto it = first; it != last; ++it)
			gone.push_back(std::move(it->second));
		buffers_.erase(first, last);
	}
	/* Unmapped here, outside the lock. */
	return gone.size();
}

} /* namespace daedalus */
