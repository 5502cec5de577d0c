/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NV12 and P010 picture writers.
 */

#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "picture_writer.h"

using namespace daedalus;

namespace {

constexpr uint8_t kUntouched = 0xee;

/* A synthetic 4:2:0 picture with distinct values everywhere. */
struct TestPicture {
	TestPicture(uint32_t w, uint32_t h, uint32_t padding)
	{
		width = w;
		height = h;
		cw = (w + 1) / 2;
		ch = (h + 1) / 2;
		strides[0] = w + padding;
		strides[1] = strides[2] = cw + padding;
		planes[0].assign(strides[0] * h, 0xff);
		planes[1].assign(strides[1] * ch, 0xff);
		planes[2].assign(strides[2] * ch, 0xff);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				planes[0][y * strides[0] + x] = (x * 7 + y * 13) & 0xff;
		for (uint32_t y = 0; y < ch; y++)
			for (uint32_t x = 0; x < cw; x++) {
				planes[1][y * strides[1] + x] = (x * 3 + y * 5 + 1) & 0xff;
				planes[2][y * strides[2] + x] = (x * 11 + y * 17 + 2) & 0xff;
			}
	}

	Picture420 view() const
	{
		Picture420 picture;
		picture.width = width;
		picture.height = height;
		for (int i = 0; i < 3; i++) {
			picture.planes[i] = planes[i].data();
			picture.strides[i] = strides[i];
		}
		return picture;
	}

	/* The NV12 image the writer must produce, byte for byte. */
	std::vector<uint8_t> expected(uint32_t stride, uint32_t capHeight, size_t size) const
	{
		std::vector<uint8_t> out(size, kUntouched);
		for (uint32_t y = 0; y < height; y++)
			for (uint32_t x = 0; x < width; x++)
				out[y * stride + x] = planes[0][y * strides[0] + x];
		size_t chroma = size_t{ stride } * capHeight;
		for (uint32_t y = 0; y < ch; y++)
			for (uint32_t x = 0; x < cw; x++) {
				out[chroma + y * stride + 2 * x] = planes[1][y * strides[1] + x];
				out[chroma + y * stride + 2 * x + 1] =
					planes[2][y * strides[2] + x];
			}
		return out;
	}

	uint32_t width, height, cw, ch;
	uint32_t strides[3];
	std::vector<uint8_t> planes[3];
};

struct Case {
	uint32_t width, height, padding;
	uint32_t capWidth, capHeight, stride;
};

void PrintTo(const Case &c, std::ostream *os)
{
	*os << c.width << "x" << c.height << " (source padding " << c.padding << ") in "
	    << c.capWidth << "x" << c.capHeight << ", stride " << c.stride;
}

class Nv12WriterTest : public testing::TestWithParam<Case>
{
};

TEST_P(Nv12WriterTest, ExactBytes)
{
	const Case &c = GetParam();
	TestPicture picture(c.width, c.height, c.padding);

	size_t size = nv12Size(c.stride, c.capHeight) + 64;
	std::vector<uint8_t> buffer(size, kUntouched);
	CaptureImage image{ CaptureFormat::Nv12, buffer, c.stride, c.capWidth, c.capHeight };

	ASSERT_EQ(writePicture(picture.view(), image), 0);
	EXPECT_EQ(buffer, picture.expected(c.stride, c.capHeight, size));
}

INSTANTIATE_TEST_SUITE_P(Sizes, Nv12WriterTest,
			 testing::Values(Case{ 16, 16, 0, 16, 16, 16 }, /* exact fit */
					 Case{ 853, 479, 5, 864, 480, 864 }, /* odd in larger */
					 Case{ 853, 479, 0, 864, 480, 1024 }, /* wide stride */
					 Case{ 1, 1, 0, 16, 16, 16 }, /* smallest */
					 Case{ 33, 17, 31, 48, 32, 64 }, /* odd, padded source */
					 Case{ 100, 3, 2, 100, 3, 128 }), /* odd CAPTURE height */
			 [](const testing::TestParamInfo<Case> &info) {
				 const Case &c = info.param;
				 return std::to_string(c.width) + "x" + std::to_string(c.height) +
					"_in_" + std::to_string(c.capWidth) + "x" +
					std::to_string(c.capHeight) + "_stride" +
					std::to_string(c.stride);
			 });

TEST(Nv12Writer, PictureLargerThanCapture)
{
	TestPicture picture(64, 64, 0);
	std::vector<uint8_t> buffer(nv12Size(64, 64), kUntouched);

	CaptureImage narrow{ CaptureFormat::Nv12, buffer, 64, 48, 64 };
	EXPECT_EQ(writePicture(picture.view(), narrow), -EINVAL);
	CaptureImage low{ CaptureFormat::Nv12, buffer, 64, 64, 32 };
	EXPECT_EQ(writePicture(picture.view(), low), -EINVAL);
	/* Nothing written on failure. */
	EXPECT_EQ(buffer, std::vector<uint8_t>(buffer.size(), kUntouched));
}

TEST(Nv12Writer, InconsistentLayout)
{
	TestPicture picture(16, 16, 0);
	std::vector<uint8_t> buffer(nv12Size(32, 16));

	/* Stride shorter than the width. */
	EXPECT_EQ(writePicture(picture.view(),
			       CaptureImage{ CaptureFormat::Nv12, buffer, 15, 16, 16 }),
		  -EINVAL);
	/* Buffer too small for the layout. */
	EXPECT_EQ(writePicture(picture.view(),
			       CaptureImage{ CaptureFormat::Nv12,
					     std::span(buffer).first(nv12Size(16, 16) - 1), 16, 16,
					     16 }),
		  -EINVAL);
	/* Empty format. */
	EXPECT_EQ(writePicture(picture.view(),
			       CaptureImage{ CaptureFormat::Nv12, buffer, 16, 0, 16 }),
		  -EINVAL);
	EXPECT_EQ(validateCapture(CaptureImage{ CaptureFormat::Nv12, buffer, 32, 32, 16 }), 0);
}

TEST(Nv12Writer, Interleave)
{
	std::vector<uint8_t> cb(1000), cr(1000);
	for (size_t i = 0; i < cb.size(); i++) {
		cb[i] = i & 0xff;
		cr[i] = (i * 7) & 0xff;
	}
	/* Every length, also those that end in the middle of a vector. */
	for (size_t count : { 0, 1, 7, 15, 16, 17, 31, 33, 64, 999, 1000 }) {
		std::vector<uint8_t> out(2 * count + 1, kUntouched);
		interleaveChroma(out.data(), cb.data(), cr.data(), count);
		for (size_t i = 0; i < count; i++) {
			ASSERT_EQ(out[2 * i], cb[i]) << count;
			ASSERT_EQ(out[2 * i + 1], cr[i]) << count;
		}
		EXPECT_EQ(out[2 * count], kUntouched);
	}
}

/* A synthetic 10-bit 4:2:0 picture (16-bit samples), values over the whole 10-bit range. */
struct TestPicture10 {
	TestPicture10(uint32_t w, uint32_t h, uint32_t padding)
	{
		width = w;
		height = h;
		cw = (w + 1) / 2;
		ch = (h + 1) / 2;
		strides[0] = w + padding;
		strides[1] = strides[2] = cw + padding;
		planes[0].assign(strides[0] * h, 0xffff);
		planes[1].assign(strides[1] * ch, 0xffff);
		planes[2].assign(strides[2] * ch, 0xffff);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				planes[0][y * strides[0] + x] = (x * 37 + y * 13) & 0x3ff;
		for (uint32_t y = 0; y < ch; y++)
			for (uint32_t x = 0; x < cw; x++) {
				planes[1][y * strides[1] + x] = (x * 29 + y * 5 + 1) & 0x3ff;
				planes[2][y * strides[2] + x] = (x * 11 + y * 171 + 2) & 0x3ff;
			}
	}

	Picture420 view() const
	{
		Picture420 picture;
		picture.width = width;
		picture.height = height;
		picture.bitDepth = 10;
		for (int i = 0; i < 3; i++) {
			picture.planes[i] = reinterpret_cast<const uint8_t *>(planes[i].data());
			picture.strides[i] = strides[i] * 2;
		}
		return picture;
	}

	/* The P010 image the writer must produce, byte for byte (little endian). */
	std::vector<uint8_t> expected(uint32_t stride, uint32_t capHeight, size_t size) const
	{
		std::vector<uint8_t> out(size, kUntouched);
		auto put = [&](size_t at, uint16_t sample) {
			const uint16_t word = sample << 6;
			out[at] = word & 0xff;
			out[at + 1] = word >> 8;
		};
		for (uint32_t y = 0; y < height; y++)
			for (uint32_t x = 0; x < width; x++)
				put(y * stride + 2 * x, planes[0][y * strides[0] + x]);
		size_t chroma = size_t{ stride } * capHeight;
		for (uint32_t y = 0; y < ch; y++)
			for (uint32_t x = 0; x < cw; x++) {
				put(chroma + y * stride + 4 * x, planes[1][y * strides[1] + x]);
				put(chroma + y * stride + 4 * x + 2, planes[2][y * strides[2] + x]);
			}
		return out;
	}

	uint32_t width, height, cw, ch;
	uint32_t strides[3];
	std::vector<uint16_t> planes[3];
};

class P010WriterTest : public testing::TestWithParam<Case>
{
};

TEST_P(P010WriterTest, ExactBytes)
{
	const Case &c = GetParam();
	TestPicture10 picture(c.width, c.height, c.padding);

	/* Stride in bytes: two per sample. */
	const uint32_t stride = 2 * c.stride;
	size_t size = nv12Size(stride, c.capHeight) + 64;
	std::vector<uint8_t> buffer(size, kUntouched);
	CaptureImage image{ CaptureFormat::P010, buffer, stride, c.capWidth, c.capHeight };

	ASSERT_EQ(writePicture(picture.view(), image), 0);
	EXPECT_EQ(buffer, picture.expected(stride, c.capHeight, size));
}

INSTANTIATE_TEST_SUITE_P(Sizes, P010WriterTest,
			 testing::Values(Case{ 16, 16, 0, 16, 16, 16 }, /* exact fit */
					 Case{ 853, 479, 5, 864, 480, 864 }, /* odd in larger */
					 Case{ 1, 1, 0, 16, 16, 16 }, /* smallest */
					 Case{ 33, 17, 31, 48, 32, 64 }, /* odd, padded source */
					 Case{ 100, 3, 2, 100, 3, 128 }), /* odd CAPTURE height */
			 [](const testing::TestParamInfo<Case> &info) {
				 const Case &c = info.param;
				 return std::to_string(c.width) + "x" + std::to_string(c.height) +
					"_in_" + std::to_string(c.capWidth) + "x" +
					std::to_string(c.capHeight) + "_stride" +
					std::to_string(2 * c.stride);
			 });

TEST(P010Writer, BitDepthMustMatchTheFormat)
{
	TestPicture picture8(16, 16, 0);
	TestPicture10 picture10(16, 16, 0);
	std::vector<uint8_t> buffer(nv12Size(32, 16), kUntouched);

	/* An 8-bit picture into P010, a 10-bit one into NV12: refused, nothing written. */
	EXPECT_EQ(writePicture(picture8.view(),
			       CaptureImage{ CaptureFormat::P010, buffer, 32, 16, 16 }),
		  -EPROTO);
	EXPECT_EQ(writePicture(picture10.view(),
			       CaptureImage{ CaptureFormat::Nv12, buffer, 32, 16, 16 }),
		  -EPROTO);
	EXPECT_EQ(buffer, std::vector<uint8_t>(buffer.size(), kUntouched));
}

TEST(P010Writer, InconsistentLayout)
{
	TestPicture10 picture(16, 16, 0);
	std::vector<uint8_t> buffer(nv12Size(64, 16));

	/* A stride of one byte per sample is too short for P010. */
	EXPECT_EQ(writePicture(picture.view(),
			       CaptureImage{ CaptureFormat::P010, buffer, 16, 16, 16 }),
		  -EINVAL);
	EXPECT_EQ(validateCapture(CaptureImage{ CaptureFormat::P010, buffer, 31, 16, 16 }),
		  -EINVAL);
	/* Odd strides cannot hold 16-bit words. */
	EXPECT_EQ(validateCapture(CaptureImage{ CaptureFormat::P010, buffer, 33, 16, 16 }),
		  -EINVAL);
	EXPECT_EQ(validateCapture(CaptureImage{ CaptureFormat::P010, buffer, 32, 16, 16 }), 0);
	/* Buffer too small for the layout. */
	EXPECT_EQ(validateCapture(CaptureImage{ CaptureFormat::P010,
						std::span(buffer).first(nv12Size(32, 16) - 1), 32,
						16, 16 }),
		  -EINVAL);
}

TEST(P010Writer, ShiftAndInterleave)
{
	std::vector<uint16_t> y(1000), cb(1000), cr(1000);
	for (size_t i = 0; i < cb.size(); i++) {
		y[i] = (i * 3) & 0x3ff;
		cb[i] = i & 0x3ff;
		cr[i] = (i * 7) & 0x3ff;
	}
	for (size_t count : { 0, 1, 7, 15, 16, 17, 31, 33, 64, 999, 1000 }) {
		std::vector<uint16_t> luma(count + 1, 0xeeee), chroma(2 * count + 1, 0xeeee);
		shiftLuma10(luma.data(), y.data(), count);
		interleaveChroma10(chroma.data(), cb.data(), cr.data(), count);
		for (size_t i = 0; i < count; i++) {
			ASSERT_EQ(luma[i], y[i] << 6) << count;
			ASSERT_EQ(chroma[2 * i], cb[i] << 6) << count;
			ASSERT_EQ(chroma[2 * i + 1], cr[i] << 6) << count;
		}
		EXPECT_EQ(luma[count], 0xeeee);
		EXPECT_EQ(chroma[2 * count], 0xeeee);
	}
}

} /* namespace */
