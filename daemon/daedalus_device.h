/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's end of /dev/daedalus-v4l2.
 */

#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <uapi/daedalus-v4l2.h>

#include <daedalus/unique_fd.h>

namespace daedalus {

class DaedalusDevice
{
public:
	static constexpr const char *kDefaultPath = "/dev/" DAEDALUS_DEVICE_NAME;

	/* Open @path (non-blocking). Returns 0 or -errno. */
	int open(const std::string &path);

	/*
	 * Attach as the device's daemon: exchange the protocol version and
	 * struct sizes, then allocate the control area. Returns 0, -EPROTO
	 * when the module speaks another protocol, -EBUSY when another daemon
	 * is attached, or another -errno.
	 */
	int attach();

	/*
	 * Fetch one message; on a job its controls are in controlArea().
	 * Returns 0, -EAGAIN when there is none, or -errno.
	 */
	int fetch(daedalus_msg *msg);

	/*
	 * Ask for job @seqno's CAPTURE buffer before writing into it. Returns
	 * 0: the buffer may be written until the job is answered; -ENOENT: the
	 * job has ended (watchdog, cancel), the buffer must not be touched; or
	 * another -errno.
	 */
	int beginWrite(uint64_t seqno);

	/* Answer a job. Returns 0 or -errno. */
	int complete(const daedalus_result &result);

	int fd() const { return fd_.get(); }
	const std::string &path() const { return path_; }
	const daedalus_attach &attachInfo() const { return attach_; }

	/* The whole control area given to FETCH. */
	std::span<const uint8_t> controlArea() const
	{
		return { reinterpret_cast<const uint8_t *>(ctrlArea_.data()), ctrlAreaSize_ };
	}

private:
	int ioctl(unsigned long request, void *arg);

	std::string path_;
	UniqueFD fd_;
	daedalus_attach attach_ = {};
	/* 8-byte aligned, as the control records. */
	std::vector<uint64_t> ctrlArea_;
	uint32_t ctrlAreaSize_ = 0;
};

} /* namespace daedalus */
