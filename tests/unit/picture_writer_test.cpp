/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NV12 picture writer.
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
	Nv12Image image{ buffer, c.stride, c.capWidth, c.capHeight };

	ASSERT_EQ(writeNv12(picture.view(), image), 0);
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

	Nv12Image narrow{ buffer, 64, 48, 64 };
	EXPECT_EQ(writeNv12(picture.view(), narrow), -EINVAL);
	Nv12Image low{ buffer, 64, 64, 32 };
	EXPECT_EQ(writeNv12(picture.view(), low), -EINVAL);
	/* Nothing written on failure. */
	EXPECT_EQ(buffer, std::vector<uint8_t>(buffer.size(), kUntouched));
}

TEST(Nv12Writer, InconsistentLayout)
{
	TestPicture picture(16, 16, 0);
	std::vector<uint8_t> buffer(nv12Size(32, 16));

	/* Stride shorter than the width. */
	EXPECT_EQ(writeNv12(picture.view(), Nv12Image{ buffer, 15, 16, 16 }), -EINVAL);
	/* Buffer too small for the layout. */
	EXPECT_EQ(writeNv12(picture.view(),
			    Nv12Image{ std::span(buffer).first(nv12Size(16, 16) - 1), 16, 16, 16 }),
		  -EINVAL);
	/* Empty format. */
	EXPECT_EQ(writeNv12(picture.view(), Nv12Image{ buffer, 16, 0, 16 }), -EINVAL);
	EXPECT_EQ(validateNv12(Nv12Image{ buffer, 32, 32, 16 }), 0);
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

} /* namespace */
