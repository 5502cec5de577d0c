/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AV1 bit writer's descriptors: exact bit patterns from their
 * definitions (AV1 specification section 4.10), round trips through an
 * independent reader, and rejection of values a descriptor cannot hold.
 * The MSB-first writer under them: tests/unit/bit_writer_test.cpp.
 */

#include <cstdint>
#include <gtest/gtest.h>
#include <vector>

#include "bit_reader.h"
#include "bit_writer.h"

using namespace daedalus::av1;
using daedalus::av1::test::BitReader;

namespace {

std::vector<uint8_t> bytes(const BitWriter &bw)
{
	return bw.data();
}

TEST(Av1BitWriter, SignedValuesUseTwosComplement)
{
	BitWriter bw;
	bw.writeSu(-1, 7);
	bw.writeSu(-64, 7);
	bw.writeSu(63, 7);
	bw.writeSu(0, 3);
	EXPECT_TRUE(bw.ok());

	BitReader br(bw.data());
	EXPECT_EQ(br.f(7), 0x7fu);
	EXPECT_EQ(br.f(7), 0x40u);
	EXPECT_EQ(br.f(7), 0x3fu);
	EXPECT_EQ(br.f(3), 0u);
}

TEST(Av1BitWriter, SignedValuesRoundTripAndStayInRange)
{
	for (unsigned int n = 1; n <= 12; n++) {
		const int32_t limit = 1 << (n - 1);
		BitWriter bw;
		for (int32_t v = -limit; v < limit; v++)
			bw.writeSu(v, n);
		ASSERT_TRUE(bw.ok()) << "n " << n;

		BitReader br(bw.data());
		for (int32_t v = -limit; v < limit; v++)
			ASSERT_EQ(br.su(n), v) << "n " << n;

		BitWriter over;
		over.writeSu(limit, n);
		EXPECT_FALSE(over.ok()) << "n " << n;
		BitWriter under;
		under.writeSu(-limit - 1, n);
		EXPECT_FALSE(under.ok()) << "n " << n;
	}

	BitWriter full;
	full.writeSu(INT32_MIN, 32);
	full.writeSu(INT32_MAX, 32);
	ASSERT_TRUE(full.ok());
	BitReader br(full.data());
	EXPECT_EQ(br.su(32), INT32_MIN);
	EXPECT_EQ(br.su(32), INT32_MAX);
}

TEST(Av1BitWriter, NonSymmetricCodeMatchesTheDefinition)
{
	/* ns(5): w = 3, m = 3; 0..2 take two bits, 3 and 4 take three. */
	BitWriter bw;
	for (uint32_t v = 0; v < 5; v++)
		bw.writeNs(v, 5);
	ASSERT_TRUE(bw.ok());
	EXPECT_EQ(bw.bitPosition(), 2u * 3 + 3u * 2);

	BitReader br(bw.data());
	EXPECT_EQ(br.f(2), 0u);
	EXPECT_EQ(br.f(2), 1u);
	EXPECT_EQ(br.f(2), 2u);
	EXPECT_EQ(br.f(3), 0b110u);
	EXPECT_EQ(br.f(3), 0b111u);

	/* ns(1) holds only 0, in no bits at all. */
	BitWriter one;
	one.writeNs(0, 1);
	EXPECT_TRUE(one.ok());
	EXPECT_EQ(one.bitPosition(), 0u);
}

TEST(Av1BitWriter, NonSymmetricCodeRoundTrips)
{
	for (uint32_t n = 1; n <= 300; n++) {
		BitWriter bw;
		for (uint32_t v = 0; v < n; v++)
			bw.writeNs(v, n);
		ASSERT_TRUE(bw.ok()) << "n " << n;

		BitReader br(bw.data());
		for (uint32_t v = 0; v < n; v++)
			ASSERT_EQ(br.ns(n), v) << "n " << n;
		EXPECT_EQ(br.position(), bw.bitPosition());

		BitWriter bad;
		bad.writeNs(n, n);
		EXPECT_FALSE(bad.ok()) << "n " << n;
	}

	BitWriter zero;
	zero.writeNs(0, 0);
	EXPECT_FALSE(zero.ok());
}

TEST(Av1BitWriter, LittleEndianBytes)
{
	BitWriter bw;
	bw.writeLe(0x0403, 2);
	bw.writeLe(0xa1b2c3d4, 4);
	bw.writeLe(7, 1);
	ASSERT_TRUE(bw.ok());
	EXPECT_EQ(bytes(bw), (std::vector<uint8_t>{ 0x03, 0x04, 0xd4, 0xc3, 0xb2, 0xa1, 0x07 }));

	BitWriter wide;
	wide.writeLe(0x10000, 2);
	EXPECT_FALSE(wide.ok());

	BitWriter unaligned;
	unaligned.writeBit(1);
	unaligned.writeLe(1, 1);
	EXPECT_FALSE(unaligned.ok());
}

TEST(Av1BitWriter, UvlcMatchesTheDefinition)
{
	BitWriter bw;
	bw.writeUvlc(0); /* 1 */
	bw.writeUvlc(1); /* 010 */
	bw.writeUvlc(2); /* 011 */
	bw.writeUvlc(3); /* 00100 */
	ASSERT_TRUE(bw.ok());
	EXPECT_EQ(bw.bitPosition(), 12u);
	EXPECT_EQ(bytes(bw), (std::vector<uint8_t>{ 0xa6, 0x40 }));

	const std::vector<uint32_t> values = { 0,	   1,	       2,	  6,   7,
					       8,	   254,	       255,	  256, 65535,
					       0x7fffffff, 0x80000000, 0xfffffffe };
	BitWriter all;
	for (uint32_t v : values)
		all.writeUvlc(v);
	ASSERT_TRUE(all.ok());
	BitReader br(all.data());
	for (uint32_t v : values)
		EXPECT_EQ(br.uvlc(), v);

	/* UINT32_MAX would need 32 leading zeros, which means "overflow". */
	BitWriter max;
	max.writeUvlc(UINT32_MAX);
	EXPECT_FALSE(max.ok());
}

TEST(Av1BitWriter, Leb128)
{
	EXPECT_EQ(leb128Size(0), 1u);
	EXPECT_EQ(leb128Size(127), 1u);
	EXPECT_EQ(leb128Size(128), 2u);
	EXPECT_EQ(leb128Size(16383), 2u);
	EXPECT_EQ(leb128Size(16384), 3u);
	EXPECT_EQ(leb128Size(UINT32_MAX), 5u);

	std::vector<uint8_t> out;
	appendLeb128(&out, 0);
	appendLeb128(&out, 127);
	appendLeb128(&out, 128);
	appendLeb128(&out, 300);
	EXPECT_EQ(out, (std::vector<uint8_t>{ 0x00, 0x7f, 0x80, 0x01, 0xac, 0x02 }));

	const std::vector<uint64_t> values = {
		0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0xffffffff, (uint64_t(1) << 56) - 1
	};
	BitWriter bw;
	for (uint64_t v : values)
		bw.writeLeb128(v);
	ASSERT_TRUE(bw.ok());
	BitReader br(bw.data());
	for (uint64_t v : values) {
		const size_t before = br.position();
		EXPECT_EQ(br.leb128(), v);
		EXPECT_EQ((br.position() - before) / 8, leb128Size(v));
	}

	/* More than eight bytes is not a leb128(). */
	BitWriter big;
	big.writeLeb128(uint64_t(1) << 56);
	EXPECT_FALSE(big.ok());

	BitWriter unaligned;
	unaligned.writeBit(0);
	unaligned.writeLeb128(1);
	EXPECT_FALSE(unaligned.ok());
}

} /* namespace */
