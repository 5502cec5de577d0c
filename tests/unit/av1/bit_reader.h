/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A test-only AV1 bit reader written from the descriptors of section 4.10 of
 * the AV1 specification, to check the writer against an independent reading.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace daedalus::av1::test {

class BitReader
{
public:
	explicit BitReader(std::span<const uint8_t> data) : data_(data) {}

	bool overrun() const { return overrun_; }
	size_t position() const { return pos_; }

	uint32_t f(unsigned int n)
	{
		uint64_t x = 0;
		for (unsigned int i = 0; i < n; i++) {
			const size_t byte = pos_ >> 3;
			unsigned int bit = 0;
			if (byte < data_.size())
				bit = (data_[byte] >> (7 - (pos_ & 7))) & 1;
			else
				overrun_ = true;
			x = (x << 1) | bit;
			pos_++;
		}
		return static_cast<uint32_t>(x);
	}

	int32_t su(unsigned int n)
	{
		int64_t value = f(n);
		const int64_t signMask = int64_t(1) << (n - 1);
		if (value & signMask)
			value -= 2 * signMask;
		return static_cast<int32_t>(value);
	}

	uint32_t ns(uint32_t n)
	{
		unsigned int w = 0;
		for (uint32_t x = n; x != 0; x >>= 1)
			w++;
		const uint64_t m = (uint64_t(1) << w) - n;
		const uint32_t v = f(w - 1);
		if (v < m)
			return v;
		const uint32_t extraBit = f(1);
		return static_cast<uint32_t>((uint64_t(v) << 1) - m + extraBit);
	}

	uint32_t le(unsigned int n)
	{
		uint32_t t = 0;
		for (unsigned int i = 0; i < n; i++)
			t += f(8) << (i * 8);
		return t;
	}

	uint32_t uvlc()
	{
		unsigned int leadingZeros = 0;
		while (!overrun_ && f(1) == 0)
			leadingZeros++;
		if (leadingZeros >= 32)
			return UINT32_MAX;
		return f(leadingZeros) + ((uint64_t(1) << leadingZeros) - 1);
	}

	uint64_t leb128()
	{
		uint64_t value = 0;
		for (unsigned int i = 0; i < 8; i++) {
			const uint32_t byte = f(8);
			value |= uint64_t(byte & 0x7f) << (i * 7);
			if (!(byte & 0x80))
				break;
		}
		return value;
	}

private:
	std::span<const uint8_t> data_;
	size_t pos_ = 0;
	bool overrun_ = false;
};

} /* namespace daedalus::av1::test */
