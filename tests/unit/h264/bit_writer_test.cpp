/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests of the H.264 bit writer: u(n), ue(v), se(v), trailing bits and NAL
 * unit packaging with emulation prevention.
 */

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "h264/bit_writer.h"

using daedalus::h264::appendNalUnit;
using daedalus::h264::BitWriter;

namespace {

/* The first @bits bits of @data as '0'/'1' characters. */
std::string bitString(const std::vector<uint8_t> &data, size_t bits)
{
	std::string s;

	for (size_t i = 0; i < bits; i++)
		s += (data[i / 8] >> (7 - i % 8)) & 1 ? '1' : '0';
	return s;
}

std::string ueString(uint32_t value)
{
	BitWriter bw;
	bw.writeUe(value);
	EXPECT_TRUE(bw.ok());
	return bitString(bw.data(), bw.bitPosition());
}

std::string seString(int32_t value)
{
	BitWriter bw;
	bw.writeSe(value);
	EXPECT_TRUE(bw.ok());
	return bitString(bw.data(), bw.bitPosition());
}

std::vector<uint8_t> nal(unsigned int refIdc, unsigned int type, std::vector<uint8_t> rbsp)
{
	std::vector<uint8_t> out;
	EXPECT_EQ(appendNalUnit(&out, refIdc, type, rbsp), 0);
	return out;
}

TEST(H264BitWriter, FixedLengthBits)
{
	BitWriter bw;
	bw.writeBits(0x5, 3);
	bw.writeFlag(true);
	bw.writeBits(0, 4);
	bw.writeBits(0xdeadbeef, 32);
	bw.writeBits(1, 1);
	EXPECT_TRUE(bw.ok());
	EXPECT_EQ(bw.bitPosition(), 41u);
	EXPECT_EQ(bw.data(), (std::vector<uint8_t>{ 0xb0, 0xde, 0xad, 0xbe, 0xef, 0x80 }));
}

TEST(H264BitWriter, OversizedValueFailsAndIsNotWritten)
{
	BitWriter bw;
	bw.writeBits(4, 2);
	EXPECT_FALSE(bw.ok());
	EXPECT_EQ(bw.bitPosition(), 0u);
	bw.writeBits(0, 33);
	EXPECT_FALSE(bw.ok());
	bw.writeBits(1, 1);
	EXPECT_FALSE(bw.ok()) << "a failure sticks";

	bw.clear();
	EXPECT_TRUE(bw.ok());
	EXPECT_EQ(bw.bitPosition(), 0u);
	EXPECT_TRUE(bw.data().empty());
}

/* Table 9-2 of H.264, and the ends of the range. */
TEST(H264BitWriter, UnsignedExpGolomb)
{
	EXPECT_EQ(ueString(0), "1");
	EXPECT_EQ(ueString(1), "010");
	EXPECT_EQ(ueString(2), "011");
	EXPECT_EQ(ueString(3), "00100");
	EXPECT_EQ(ueString(6), "00111");
	EXPECT_EQ(ueString(7), "0001000");
	EXPECT_EQ(ueString(14), "0001111");
	EXPECT_EQ(ueString(15), "000010000");
	EXPECT_EQ(ueString(254), "000000011111111");
	EXPECT_EQ(ueString(255), "00000000100000000");

	/* 2^32 - 2: codeNum + 1 = 2^32 - 1 takes 32 bits after 31 zeros. */
	EXPECT_EQ(ueString(UINT32_MAX - 1), std::string(31, '0') + std::string(32, '1'));
	/* 2^32 - 1: codeNum + 1 = 2^32 takes 33 bits after 32 zeros. */
	EXPECT_EQ(ueString(UINT32_MAX), std::string(32, '0') + "1" + std::string(32, '0'));
}

/* Table 9-3 of H.264, and the ends of the range. */
TEST(H264BitWriter, SignedExpGolomb)
{
	EXPECT_EQ(seString(0), "1");
	EXPECT_EQ(seString(1), "010");
	EXPECT_EQ(seString(-1), "011");
	EXPECT_EQ(seString(2), "00100");
	EXPECT_EQ(seString(-2), "00101");
	EXPECT_EQ(seString(3), "00110");
	EXPECT_EQ(seString(-3), "00111");
	EXPECT_EQ(seString(4), "0001000");
	EXPECT_EQ(seString(-128), ueString(256));
	EXPECT_EQ(seString(127), ueString(253));
	EXPECT_EQ(seString(INT32_MAX), ueString(UINT32_MAX - 2));
	EXPECT_EQ(seString(INT32_MIN + 1), ueString(UINT32_MAX - 1));

	/* -2^31 would be codeNum 2^32, one more than any ue(v) value. */
	BitWriter bw;
	bw.writeSe(INT32_MIN);
	EXPECT_FALSE(bw.ok());
	EXPECT_EQ(bw.bitPosition(), 0u);
}

TEST(H264BitWriter, TrailingBits)
{
	BitWriter bw;
	bw.writeTrailingBits();
	EXPECT_EQ(bw.data(), std::vector<uint8_t>{ 0x80 });

	bw.clear();
	bw.writeBits(0x7f, 7);
	bw.writeTrailingBits();
	EXPECT_EQ(bw.data(), std::vector<uint8_t>{ 0xff });

	/* Byte-aligned already: a whole byte 0x80 follows. */
	bw.clear();
	bw.writeBits(0x12, 8);
	bw.writeTrailingBits();
	EXPECT_EQ(bw.data(), (std::vector<uint8_t>{ 0x12, 0x80 }));
	EXPECT_TRUE(bw.byteAligned());

	bw.clear();
	bw.writeBits(0, 3);
	bw.writeTrailingBits();
	EXPECT_EQ(bw.data(), std::vector<uint8_t>{ 0x10 });
	EXPECT_EQ(bw.bitPosition(), 8u);
}

TEST(H264NalUnit, StartCodeAndHeader)
{
	EXPECT_EQ(nal(3, 7, { 0x42, 0x80 }),
		  (std::vector<uint8_t>{ 0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0x80 }));
	EXPECT_EQ(nal(3, 8, { 0xce }),
		  (std::vector<uint8_t>{ 0x00, 0x00, 0x00, 0x01, 0x68, 0xce }));
	EXPECT_EQ(nal(0, 1, { 0x80 }),
		  (std::vector<uint8_t>{ 0x00, 0x00, 0x00, 0x01, 0x01, 0x80 }));

	std::vector<uint8_t> out{ 0xaa };
	EXPECT_EQ(appendNalUnit(&out, 4, 7, std::vector<uint8_t>{ 0x80 }), -EINVAL);
	EXPECT_EQ(appendNalUnit(&out, 3, 32, std::vector<uint8_t>{ 0x80 }), -EINVAL);
	EXPECT_EQ(out, std::vector<uint8_t>{ 0xaa }) << "nothing appended on error";

	/* Appends: what was there stays. */
	EXPECT_EQ(appendNalUnit(&out, 2, 5, std::vector<uint8_t>{ 0x88 }), 0);
	EXPECT_EQ(out, (std::vector<uint8_t>{ 0xaa, 0x00, 0x00, 0x00, 0x01, 0x45, 0x88 }));
}

TEST(H264NalUnit, EmulationPrevention)
{
	const std::vector<uint8_t> hdr{ 0x00, 0x00, 0x00, 0x01, 0x68 };
	auto body = [&](std::vector<uint8_t> rbsp) {
		std::vector<uint8_t> out = nal(3, 8, rbsp);
		EXPECT_TRUE(std::equal(hdr.begin(), hdr.end(), out.begin()));
		return std::vector<uint8_t>(out.begin() + hdr.size(), out.end());
	};

	/* 00 00 followed by 00, 01, 02 or 03 gets a 03 in between. */
	for (uint8_t b = 0; b <= 3; b++) {
		EXPECT_EQ(body({ 0x00, 0x00, b, 0x80 }),
			  (std::vector<uint8_t>{ 0x00, 0x00, 0x03, b, 0x80 }))
			<< "byte " << int(b);
	}
	/* ... but not 04 and above. */
	EXPECT_EQ(body({ 0x00, 0x00, 0x04, 0x80 }),
		  (std::vector<uint8_t>{ 0x00, 0x00, 0x04, 0x80 }));
	EXPECT_EQ(body({ 0x00, 0x00, 0xff }), (std::vector<uint8_t>{ 0x00, 0x00, 0xff }));

	/* The counting restarts after an inserted byte. */
	EXPECT_EQ(body({ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80 }),
		  (std::vector<uint8_t>{ 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x00, 0x80 }));
	EXPECT_EQ(body({ 0x00, 0x00, 0x00, 0x00, 0x01 }),
		  (std::vector<uint8_t>{ 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x01 }));

	/* A single zero, or zeros broken by a non-zero byte, need nothing. */
	EXPECT_EQ(body({ 0x00, 0x01, 0x00, 0x01, 0x80 }),
		  (std::vector<uint8_t>{ 0x00, 0x01, 0x00, 0x01, 0x80 }));
	EXPECT_EQ(body({ 0x12, 0x00, 0x00, 0x05 }),
		  (std::vector<uint8_t>{ 0x12, 0x00, 0x00, 0x05 }));

	/* The header byte does not count as a zero, nor do start code bytes. */
	EXPECT_EQ(body({ 0x00, 0x03, 0x80 }), (std::vector<uint8_t>{ 0x00, 0x03, 0x80 }));

	/* An RBSP ending in a zero byte (cabac_zero_word) ends with 03. */
	EXPECT_EQ(body({ 0x80, 0x00, 0x00 }), (std::vector<uint8_t>{ 0x80, 0x00, 0x00, 0x03 }));
	EXPECT_EQ(body({ 0x80, 0x00 }), (std::vector<uint8_t>{ 0x80, 0x00, 0x03 }));
}

/* No start code prefix may appear inside a NAL unit, whatever the payload. */
TEST(H264NalUnit, NoStartCodeEmulationForAnyPayload)
{
	std::vector<uint8_t> rbsp;
	uint32_t seed = 1;
	for (unsigned int i = 0; i < 100000; i++) {
		seed = seed * 1103515245 + 12345;
		/* Mostly zeros and small values: the hard cases. */
		const unsigned int r = (seed >> 16) & 0xff;
		rbsp.push_back(r < 160 ? 0 : r < 224 ? r & 3 : r);
	}
	rbsp.push_back(0x80);

	std::vector<uint8_t> out = nal(3, 8, rbsp);
	size_t removed = 0;
	std::vector<uint8_t> unescaped;
	unsigned int zeros = 0;
	for (size_t i = 5; i < out.size(); i++) {
		const uint8_t b = out[i];
		ASSERT_FALSE(zeros >= 2 && b <= 0x02) << "start code emulation at " << i;
		if (zeros >= 2 && b == 0x03) {
			removed++;
			zeros = 0;
			continue;
		}
		unescaped.push_back(b);
		zeros = b == 0 ? zeros + 1 : 0;
	}
	EXPECT_EQ(unescaped, rbsp);
	EXPECT_GT(removed, 0u);
}

} /* namespace */
