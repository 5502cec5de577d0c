/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MappedMemory: the single owner of a memory mapping (mmap).
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <sys/mman.h>

namespace daedalus::client {

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
