/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's end of /dev/daedalus-v4l2.
 */

#include "daedalus_device.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/ioctl.h>

namespace daedalus {

namespace {

/* Refuse absurd control areas rather than allocating them. */
constexpr uint32_t kMaxControlArea = 64 << 20;

} /* namespace */

int DaedalusDevice::ioctl(unsigned long request, void *arg)
{
	int ret;
	do {
		ret = ::ioctl(fd_.get(), request, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

int DaedalusDevice::open(const std::string &path)
{
	int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	path_ = path;
	fd_.reset(fd);
	return 0;
}

int DaedalusDevice::attach()
{
	daedalus_attach attach = {};
	attach.version = DAEDALUS_PROTOCOL_VERSION;
	attach.msg_size = sizeof(daedalus_msg);
	attach.result_size = sizeof(daedalus_result);

	int ret = ioctl(DAEDALUS_IOC_ATTACH, &attach);
	attach_ = attach;
	if (ret < 0)
		return ret;

	if (attach.max_ctrl_bytes > kMaxControlArea)
		return -E2BIG;

	/* Allocated once, reused by every FETCH. */
	ctrlAreaSize_ = std::max<uint32_t>(attach.max_ctrl_bytes, DAEDALUS_CTRL_ALIGN);
	ctrlArea_.assign((ctrlAreaSize_ + sizeof(uint64_t) - 1) / sizeof(uint64_t), 0);
	return 0;
}

int DaedalusDevice::fetch(daedalus_msg *msg)
{
	/* Reserved fields zero: the module refuses others. */
	*msg = {};
	msg->ctrl_ptr = reinterpret_cast<uintptr_t>(ctrlArea_.data());
	msg->ctrl_size = ctrlAreaSize_;
	return ioctl(DAEDALUS_IOC_FETCH, msg);
}

int DaedalusDevice::beginWrite(uint64_t seqno)
{
	/* The module refuses non-zero reserved fields. */
	daedalus_write write = {};
	write.seqno = seqno;
	return ioctl(DAEDALUS_IOC_BEGIN_WRITE, &write);
}

int DaedalusDevice::complete(const daedalus_result &result)
{
	return ioctl(DAEDALUS_IOC_COMPLETE, const_cast<daedalus_result *>(&result));
}

} /* namespace daedalus */
