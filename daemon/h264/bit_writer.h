/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The project's MSB-first bit writer (include/daedalus/bit_writer.h) with
 * the H.264 descriptors (ITU-T H.264 clause 7.2): u(n), ue(v), se(v) and
 * rbsp_trailing_bits(), and the packaging of an RBSP into an Annex B NAL
 * unit (clause 7.3.1 and B.1).
 *
 * A value that does not fit its descriptor is not written; the writer
 * remembers the failure instead (ok() turns false and stays false), so a
 * caller can emit a whole parameter set and check once at the end.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <daedalus/bit_writer.h>

namespace daedalus::h264 {

/* u(n) is writeBits(), rbsp_trailing_bits() writeTrailingBits(). */
class BitWriter : public daedalus::BitWriter
{
public:
	void writeFlag(bool flag) { writeBits(flag ? 1 : 0, 1); }

	/* ue(v): unsigned Exp-Golomb code (clause 9.1); any 32-bit value. */
	void writeUe(uint32_t value);

	/* se(v): signed Exp-Golomb code (clause 9.1.1); any 32-bit value. */
	void writeSe(int32_t value);
};

/*
 * Append to @out a 4-byte Annex B start code (00 00 00 01), the one-byte NAL
 * unit header (forbidden_zero_bit 0, @nalRefIdc in 0..3, @nalUnitType in
 * 0..31) and @rbsp with emulation prevention bytes inserted (clause 7.4.1:
 * 0x03 in front of any byte 0x00..0x03 that follows two zero bytes, and after
 * a final zero byte). Returns 0, or -EINVAL for out-of-range header values.
 */
int appendNalUnit(std::vector<uint8_t> *out, unsigned int nalRefIdc, unsigned int nalUnitType,
		  std::span<const uint8_t> rbsp);

} /* namespace daedalus::h264 */
