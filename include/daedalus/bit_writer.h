/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An MSB-first bit writer: what the H.264 and AV1 rebuilders' writers
 * (daemon/h264, daemon/av1) have in common, their descriptors on top.
 *
 * A value that does not fit is not written; the writer remembers the
 * failure instead (ok() turns false and stays false until clear()), so a
 * caller can emit a whole header and check once at the end.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace daedalus {

class BitWriter
{
public:
	/* The @n low bits of @value, most significant first; n <= 32. */
	void writeBits(uint32_t value, unsigned int n)
	{
		if (n > 32 || (n < 32 && (value >> n) != 0)) {
			fail();
			return;
		}

		for (unsigned int i = n; i-- > 0;) {
			if ((bits_ & 7) == 0)
				data_.push_back(0);
			if ((value >> i) & 1)
				data_.back() |= 0x80 >> (bits_ & 7);
			bits_++;
		}
	}

	/* Zero bits up to a byte boundary. */
	void byteAlign()
	{
		while (!byteAligned())
			writeBits(0, 1);
	}

	/* A one bit, then zero bits up to a byte boundary (H.264 and AV1 alike). */
	void writeTrailingBits()
	{
		writeBits(1, 1);
		byteAlign();
	}

	/* Copy @size bytes; byte aligned only. */
	void writeBytes(const uint8_t *data, size_t size)
	{
		if (!byteAligned()) {
			fail();
			return;
		}
		data_.insert(data_.end(), data, data + size);
		bits_ += 8 * size;
	}

	size_t bitPosition() const { return bits_; }
	bool byteAligned() const { return (bits_ & 7) == 0; }
	bool ok() const { return ok_; }

	/* The bytes written so far; the last one is zero-padded. */
	const std::vector<uint8_t> &data() const { return data_; }

	/* Empty, and ok() again. */
	void clear()
	{
		data_.clear();
		bits_ = 0;
		ok_ = true;
	}

protected:
	/* A value did not fit its descriptor. */
	void fail() { ok_ = false; }

private:
	std::vector<uint8_t> data_;
	size_t bits_ = 0;
	bool ok_ = true;
};

} /* namespace daedalus */
