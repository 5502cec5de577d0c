/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An MSB-first bit writer with the AV1 descriptors.
 */

#include "bit_writer.h"

namespace daedalus::av1 {

namespace {

/* FloorLog2(x) for x > 0 (spec section 4.7). */
unsigned int floorLog2(uint32_t x)
{
	unsigned int s = 0;

	while (x > 1) {
		x >>= 1;
		s++;
	}
	return s;
}

} /* namespace */

void BitWriter::writeSu(int32_t value, unsigned int n)
{
	if (n == 0 || n > 32) {
		fail();
		return;
	}

	const int64_t limit = int64_t(1) << (n - 1);
	if (value < -limit || value >= limit) {
		fail();
		return;
	}

	const uint64_t mask = (uint64_t(1) << n) - 1;
	writeBits(static_cast<uint32_t>(static_cast<uint64_t>(int64_t(value)) & mask), n);
}

void BitWriter::writeNs(uint32_t value, uint32_t n)
{
	if (n == 0 || value >= n) {
		fail();
		return;
	}

	/* w bits hold n; the first m values take w - 1 bits, the rest w. */
	const unsigned int w = floorLog2(n) + 1;
	const uint64_t m = (uint64_t(1) << w) - n;

	if (value < m) {
		writeBits(value, w - 1);
	} else {
		const uint64_t v = value + m;
		writeBits(static_cast<uint32_t>(v >> 1), w - 1);
		writeBits(static_cast<uint32_t>(v & 1), 1);
	}
}

void BitWriter::writeLe(uint32_t value, unsigned int bytes)
{
	if (!byteAligned() || bytes == 0 || bytes > 4 ||
	    (bytes < 4 && (value >> (8 * bytes)) != 0)) {
		fail();
		return;
	}

	for (unsigned int i = 0; i < bytes; i++)
		writeBits((value >> (8 * i)) & 0xff, 8);
}

void BitWriter::writeUvlc(uint32_t value)
{
	if (value == UINT32_MAX) {
		fail();
		return;
	}

	/* value + 1 = (1 << leadingZeros) + the bits after the marker. */
	const uint32_t v = value + 1;
	const unsigned int leadingZeros = floorLog2(v);

	writeBits(0, leadingZeros);
	writeBits(1, 1);
	writeBits(v - (uint32_t(1) << leadingZeros), leadingZeros);
}

void BitWriter::writeLeb128(uint64_t value)
{
	if (!byteAligned() || value >= (uint64_t(1) << 56)) {
		fail();
		return;
	}

	std::vector<uint8_t> bytes;
	appendLeb128(&bytes, value);
	writeBytes(bytes.data(), bytes.size());
}

size_t leb128Size(uint64_t value)
{
	size_t size = 1;

	while (value >= 0x80) {
		value >>= 7;
		size++;
	}
	return size;
}

void appendLeb128(std::vector<uint8_t> *out, uint64_t value)
{
	do {
		uint8_t byte = value & 0x7f;
		value >>= 7;
		if (value)
			byte |= 0x80;
		out->push_back(byte);
	} while (value);
}

} /* namespace daedalus::av1 */
