/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers for the unit tests.
 */

#include "test_buffers.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/mman.h>
#include <unistd.h>

namespace daedalus::test {

MemfdBuffer::MemfdBuffer(size_t size) : size_(size)
{
	fd_.reset(memfd_create("daedalus-test", MFD_CLOEXEC));
	if (!fd_.isValid() || ftruncate(fd_.get(), size) < 0)
		return;

	void *addr = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
	if (addr != MAP_FAILED)
		data_ = static_cast<uint8_t *>(addr);
}

MemfdBuffer::~MemfdBuffer()
{
	if (data_)
		munmap(data_, size_);
}

int MemfdBuffer::dupFd() const
{
	return fcntl(fd_.get(), F_DUPFD_CLOEXEC, 3);
}

unsigned int openFdCount()
{
	DIR *dir = opendir("/proc/self/fd");
	if (!dir)
		return 0;

	unsigned int count = 0;
	while (struct dirent *entry = readdir(dir)) {
		if (entry->d_name[0] != '.')
			count++;
	}
	closedir(dir);
	/* Without the directory's own descriptor. */
	return count - 1;
}

daedalus_buffer makeBuffer(uint64_t id, uint32_t index, int fd, uint32_t length, uint32_t bytesused,
			   uint32_t offset, uint32_t stride)
{
	daedalus_buffer buf = {};
	buf.id = id;
	buf.index = index;
	buf.num_planes = 1;
	buf.planes[0].fd = fd;
	buf.planes[0].length = length;
	buf.planes[0].offset = offset;
	buf.planes[0].bytesused = bytesused;
	buf.planes[0].stride = stride;
	return buf;
}

daedalus_msg makeJobMessage(const JobParams &params, const daedalus_buffer &src,
			    const daedalus_buffer &dst, const ControlAreaBuilder *controls)
{
	daedalus_msg msg = {};
	msg.type = DAEDALUS_MSG_JOB;
	msg.ctx_id = params.ctxId;

	daedalus_job &job = msg.job;
	job.seqno = params.seqno;
	job.timestamp = params.timestamp;
	job.flags = params.flags;
	job.ctx_id = params.ctxId;
	job.codec = params.codec;
	job.cap_fourcc = params.capFourcc ? params.capFourcc : V4L2_PIX_FMT_NV12;
	job.cap_width = params.capWidth;
	job.cap_height = params.capHeight;
	job.width = params.capWidth;
	job.height = params.capHeight;
	job.sequence = params.seqno;
	if (controls) {
		job.ctrl_bytes = controls->bytes();
		job.ctrl_count = controls->count();
	}
	job.src = src;
	job.dst = dst;
	return msg;
}

daedalus_msg makeMessage(daedalus_msg_type type, uint64_t ctxId, uint64_t bufId)
{
	daedalus_msg msg = {};
	msg.type = type;
	msg.ctx_id = ctxId;
	msg.buf_id = bufId;
	return msg;
}

} /* namespace daedalus::test */
