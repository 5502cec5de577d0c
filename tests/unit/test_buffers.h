/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers for the unit tests: memfd buffers standing in for dma-bufs, and
 * messages built as the kernel builds them.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <uapi/daedalus-v4l2.h>

#include "control_set.h"
#include <daedalus/unique_fd.h>

namespace daedalus::test {

/* A memfd of @size bytes, mapped read/write into the test. */
class MemfdBuffer
{
public:
	explicit MemfdBuffer(size_t size);
	~MemfdBuffer();

	MemfdBuffer(const MemfdBuffer &) = delete;
	MemfdBuffer &operator=(const MemfdBuffer &) = delete;

	bool isValid() const { return data_ != nullptr; }
	int fd() const { return fd_.get(); }
	size_t size() const { return size_; }
	std::span<uint8_t> data() const { return { data_, size_ }; }

	/* A new descriptor of the memory, to hand over in a message. */
	int dupFd() const;

private:
	UniqueFD fd_;
	uint8_t *data_ = nullptr;
	size_t size_;
};

/* Open file descriptors of this process. */
unsigned int openFdCount();

/* A single-plane buffer description. */
daedalus_buffer makeBuffer(uint64_t id, uint32_t index, int fd, uint32_t length, uint32_t bytesused,
			   uint32_t offset = 0, uint32_t stride = 0);

struct JobParams {
	uint64_t seqno = 1;
	uint64_t ctxId = 1;
	uint32_t codec = 0;
	uint32_t capFourcc = 0; /* 0: NV12 */
	uint32_t capWidth = 0;
	uint32_t capHeight = 0;
	uint64_t timestamp = 0;
	uint32_t flags = 0; /* DAEDALUS_JOB_FL_* */
};

/* A DAEDALUS_MSG_JOB message; @controls may be nullptr. */
daedalus_msg makeJobMessage(const JobParams &params, const daedalus_buffer &src,
			    const daedalus_buffer &dst, const ControlAreaBuilder *controls);

daedalus_msg makeMessage(daedalus_msg_type type, uint64_t ctxId, uint64_t bufId = 0);

} /* namespace daedalus::test */
