/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The project's MSB-first bit writer (include/daedalus/bit_writer.h) with
 * the AV1 descriptors (spec section 4.10): f(n), su(n), ns(n), le(n),
 * uvlc() and leb128(), plus trailing_bits() and byte_alignment().
 *
 * A value that does not fit its descriptor is not written; the writer
 * remembers the failure instead (ok() turns false and stays false), so a
 * caller can emit a whole header and check once at the end.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <daedalus/bit_writer.h>

namespace daedalus::av1 {

/*
 * f(n) is writeBits(), trailing_bits() writeTrailingBits(), byte_alignment()
 * byteAlign(); writeBytes() copies bytes, byte aligned only.
 */
class BitWriter : public daedalus::BitWriter
{
public:
	void writeBit(bool bit) { writeBits(bit ? 1 : 0, 1); }

	/* su(n): @value in n-bit two's complement; n in 1..32. */
	void writeSu(int32_t value, unsigned int n);

	/* ns(n): @value in [0, n) with the non-symmetric code; n >= 1. */
	void writeNs(uint32_t value, uint32_t n);

	/* le(n): @value as @bytes little-endian bytes; byte aligned only. */
	void writeLe(uint32_t value, unsigned int bytes);

	/* uvlc(): Exp-Golomb style code; any 32-bit value but UINT32_MAX. */
	void writeUvlc(uint32_t value);

	/* leb128(): little-endian base 128, at most 8 bytes; byte aligned. */
	void writeLeb128(uint64_t value);
};

/* The number of bytes leb128() takes for @value (1..10). */
size_t leb128Size(uint64_t value);

/* Append @value as leb128() to @out; always succeeds for 56-bit values. */
void appendLeb128(std::vector<uint8_t> *out, uint64_t value);

} /* namespace daedalus::av1 */
