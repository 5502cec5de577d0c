/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The shared MSB-first bit writer (include/daedalus/bit_writer.h); the H.264
 * and AV1 descriptors on top of it have their own tests (h264/, av1/).
 */

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include <daedalus/bit_writer.h>

using daedalus::BitWriter;

namespace {

using Bytes = std::vector<uint8_t>;

TEST(BitWriter, MostSignificantBitFirstAcrossBytes)
{
	BitWriter bw;
	bw.writeBits(0b101, 3);
	bw.writeBits(0b11111, 5);
	EXPECT_TRUE(bw.byteAligned());
	bw.writeBits(1, 1);
	EXPECT_FALSE(bw.byteAligned());
	bw.writeBits(0x1234, 13);
	EXPECT_EQ(bw.bitPosition(), 22u);
	/* 10111111 | 1, then 1001000110100 -> bf c8 d0 (the last byte zero-padded) */
	EXPECT_EQ(bw.data(), (Bytes{ 0xbf, 0xc8, 0xd0 }));
	EXPECT_TRUE(bw.ok());
}

TEST(BitWriter, ThirtyTwoBitsAndZeroBits)
{
	BitWriter bw;
	bw.writeBits(0, 0);
	EXPECT_EQ(bw.bitPosition(), 0u);
	EXPECT_TRUE(bw.data().empty());
	bw.writeBits(0xdeadbeef, 32);
	bw.writeBits(0x5, 4);
	EXPECT_EQ(bw.data(), (Bytes{ 0xde, 0xad, 0xbe, 0xef, 0x50 }));
	EXPECT_TRUE(bw.ok());
}

TEST(BitWriter, ValueTooWideIsNotWrittenAndFailureSticks)
{
	BitWriter bw;
	bw.writeBits(1, 1);
	bw.writeBits(4, 2);
	EXPECT_FALSE(bw.ok());
	EXPECT_EQ(bw.bitPosition(), 1u);
	bw.writeBits(0, 33);
	EXPECT_EQ(bw.bitPosition(), 1u);
	/* Later writes still happen; ok() stays false. */
	bw.writeBits(1, 1);
	EXPECT_EQ(bw.bitPosition(), 2u);
	EXPECT_EQ(bw.data(), (Bytes{ 0xc0 }));
	EXPECT_FALSE(bw.ok());

	bw.clear();
	EXPECT_TRUE(bw.ok());
	EXPECT_EQ(bw.bitPosition(), 0u);
	EXPECT_TRUE(bw.data().empty());
}

TEST(BitWriter, TrailingBitsAndAlignment)
{
	BitWriter bw;
	bw.writeBits(0b101, 3);
	bw.writeTrailingBits();
	EXPECT_EQ(bw.data(), (Bytes{ 0xb0 }));
	/* Aligned already: a whole byte of trailing bits. */
	bw.writeTrailingBits();
	EXPECT_EQ(bw.data(), (Bytes{ 0xb0, 0x80 }));

	/* byteAlign() adds nothing when aligned, zero bits otherwise. */
	bw.byteAlign();
	EXPECT_EQ(bw.bitPosition(), 16u);
	bw.writeBits(1, 1);
	bw.byteAlign();
	EXPECT_EQ(bw.bitPosition(), 24u);
	EXPECT_EQ(bw.data(), (Bytes{ 0xb0, 0x80, 0x80 }));
	EXPECT_TRUE(bw.ok());
}

TEST(BitWriter, BytesOnlyWhenAligned)
{
	const uint8_t bytes[] = { 0x01, 0x02, 0x03 };
	BitWriter bw;
	bw.writeBits(0xaa, 8);
	bw.writeBytes(bytes, sizeof(bytes));
	EXPECT_EQ(bw.bitPosition(), 32u);
	EXPECT_EQ(bw.data(), (Bytes{ 0xaa, 0x01, 0x02, 0x03 }));
	EXPECT_TRUE(bw.ok());

	bw.writeBits(1, 1);
	bw.writeBytes(bytes, sizeof(bytes));
	EXPECT_FALSE(bw.ok());
	EXPECT_EQ(bw.bitPosition(), 33u);
}

} /* namespace */
