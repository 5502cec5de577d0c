/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An MSB-first bit writer with the H.264 descriptors, and NAL unit packaging.
 */

#include "h264/bit_writer.h"

#include <cerrno>

namespace daedalus::h264 {

void BitWriter::writeUe(uint32_t value)
{
	/*
	 * codeNum + 1 written in len bits, behind len - 1 zero bits. For
	 * UINT32_MAX, codeNum + 1 takes 33 bits: write its top bit separately.
	 */
	const uint64_t code = uint64_t(value) + 1;
	unsigned int len = 0;

	while ((code >> len) != 0)
		len++;

	for (unsigned int zeros = len - 1; zeros > 0;) {
		const unsigned int n = zeros > 32 ? 32 : zeros;
		writeBits(0, n);
		zeros -= n;
	}

	if (len > 32) {
		writeBits(1, 1);
		len--;
	}
	writeBits(static_cast<uint32_t>(code & ((uint64_t(1) << len) - 1)), len);
}

void BitWriter::writeSe(int32_t value)
{
	/* Table 9-3: k > 0 maps to 2k - 1, k <= 0 to -2k. */
	const int64_t k = value;
	const uint64_t codeNum = k > 0 ? uint64_t(2 * k - 1) : uint64_t(-2 * k);

	/* -2^31 maps to 2^32, one more than ue(v) of 32 bits can carry. */
	if (codeNum > UINT32_MAX) {
		fail();
		return;
	}
	writeUe(static_cast<uint32_t>(codeNum));
}

int appendNalUnit(std::vector<uint8_t> *out, unsigned int nalRefIdc, unsigned int nalUnitType,
		  std::span<const uint8_t> rbsp)
{
	if (nalRefIdc > 3 || nalUnitType > 31)
		return -EINVAL;

	out->reserve(out->size() + 5 + rbsp.size() + rbsp.size() / 2);
	out->insert(out->end(), { 0x00, 0x00, 0x00, 0x01 });
	out->push_back(static_cast<uint8_t>(nalRefIdc << 5 | nalUnitType));

	unsigned int zeros = 0;
	for (uint8_t byte : rbsp) {
		if (zeros == 2 && byte <= 0x03) {
			out->push_back(0x03);
			zeros = 0;
		}
		out->push_back(byte);
		zeros = byte == 0x00 ? zeros + 1 : 0;
	}

	/*
	 * An RBSP may end in a zero byte only with cabac_zero_words; the NAL
	 * unit then ends with 0x03 so that no zero byte precedes the next
	 * start code.
	 */
	if (!rbsp.empty() && rbsp.back() == 0x00)
		out->push_back(0x03);

	return 0;
}

} /* namespace daedalus::h264 */
