/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Owners of kernel resources: a file descriptor and a memory mapping.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

namespace daedalus::client {

/* The single owner of a file descriptor. */
class UniqueFD
{
public:
	UniqueFD() = default;
	explicit UniqueFD(int fd) : fd_(fd) {}
	~UniqueFD() { reset(); }

	UniqueFD(const UniqueFD &) = delete;
	UniqueFD &operator=(const UniqueFD &) = delete;

	UniqueFD(UniqueFD &&other) noexcept : fd_(other.release()) {}
	UniqueFD &operator=(UniqueFD &&other) noexcept
	{
		reset(other.release());
		return *this;
	}

	int get() const { return fd_; }
	bool isValid() const { return fd_ >= 0; }

	[[nodiscard]] int release() { return std::exchange(fd_, -1); }

	void reset(int fd = -1)
	{
		const int old = std::exchange(fd_, fd);
		if (old >= 0)
			::close(old);
	}

private:
	int fd_ = -1;
};

/* The single owner of a memory mapping. */
class MappedMemory
{
public:
	MappedMemory() = default;
	MappedMemory(void *address, size_t length)
		: address_(static_cast<uint8_t *>(address)), length_(length)
	{
	}
	~MappedMemory() { reset(); }

	MappedMemory(const MappedMemory &) = delete;
	MappedMemory &operator=(const MappedMemory &) = delete;

	MappedMemory(MappedMemory &&other) noexcept
		: address_(std::exchange(other.address_, nullptr)),
		  length_(std::exchange(other.length_, 0))
	{
	}
	MappedMemory &operator=(MappedMemory &&other) noexcept
	{
		reset();
		address_ = std::exchange(other.address_, nullptr);
		length_ = std::exchange(other.length_, 0);
		return *this;
	}

	bool isValid() const { return address_ != nullptr; }
	std::span<uint8_t> data() const { return { address_, length_ }; }

	void reset()
	{
		if (address_)
			munmap(address_, length_);
		address_ = nullptr;
		length_ = 0;
	}

private:
	uint8_t *address_ = nullptr;
	size_t length_ = 0;
};

} /* namespace daedalus::client */
