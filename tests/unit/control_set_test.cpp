/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control-area parser.
 */

#include <cstring>
#include <gtest/gtest.h>
#include <linux/v4l2-controls.h>
#include <vector>

#include <uapi/daedalus-v4l2.h>

#include "control_set.h"

using namespace daedalus;

namespace {

/* Raw records, as a buggy or hostile kernel could write them. */
class RawArea
{
public:
	void header(uint32_t id, uint32_t size, uint32_t elems, uint32_t reserved = 0)
	{
		daedalus_ctrl ctrl = { id, size, elems, reserved };
		append(&ctrl, sizeof(ctrl));
	}
	void bytes(size_t count, uint8_t value = 0xab)
	{
		std::vector<uint8_t> data(count, value);
		append(data.data(), count);
	}
	void pad()
	{
		while (size_ % DAEDALUS_CTRL_ALIGN)
			bytes(1, 0);
	}

	std::span<const uint8_t> area(size_t offset = 0) const
	{
		return { reinterpret_cast<const uint8_t *>(storage_) + offset, size_ - offset };
	}

private:
	void append(const void *data, size_t count)
	{
		ASSERT_LE(size_ + count, sizeof(storage_) - 8);
		memcpy(reinterpret_cast<uint8_t *>(storage_) + size_, data, count);
		size_ += count;
	}

	uint64_t storage_[512] = {};
	size_t size_ = 0;
};

TEST(ControlSet, Empty)
{
	ControlSet set;
	EXPECT_EQ(set.parse({}, 0), 0);
	EXPECT_TRUE(set.empty());
	EXPECT_EQ(set.get<v4l2_ctrl_vp9_frame>(V4L2_CID_STATELESS_VP9_FRAME), nullptr);
}

TEST(ControlSet, TypedAccess)
{
	v4l2_ctrl_vp9_frame frame = {};
	frame.frame_width_minus_1 = 351;
	frame.frame_height_minus_1 = 287;
	v4l2_ctrl_h264_decode_params decode = {};
	decode.frame_num = 7;

	ControlAreaBuilder builder;
	builder.add(V4L2_CID_STATELESS_VP9_FRAME, frame);
	builder.add(V4L2_CID_STATELESS_H264_DECODE_PARAMS, decode);
	/* An odd-sized payload so that the next record needs padding. */
	uint8_t odd[3] = { 1, 2, 3 };
	builder.add(0x1234, odd, sizeof(odd), 3);
	builder.add(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, v4l2_ctrl_vp9_compressed_hdr{});
	EXPECT_EQ(builder.bytes() % DAEDALUS_CTRL_ALIGN, 0u);

	ControlSet set;
	ASSERT_EQ(set.parse(builder.area(), builder.count()), 0);
	EXPECT_EQ(set.size(), 4u);

	const auto *vp9 = set.get<v4l2_ctrl_vp9_frame>(V4L2_CID_STATELESS_VP9_FRAME);
	ASSERT_NE(vp9, nullptr);
	EXPECT_EQ(vp9->frame_width_minus_1, 351);
	EXPECT_EQ(vp9->frame_height_minus_1, 287);
	EXPECT_EQ(reinterpret_cast<uintptr_t>(vp9) % DAEDALUS_CTRL_ALIGN, 0u);

	const auto *h264 =
		set.get<v4l2_ctrl_h264_decode_params>(V4L2_CID_STATELESS_H264_DECODE_PARAMS);
	ASSERT_NE(h264, nullptr);
	EXPECT_EQ(h264->frame_num, 7);

	std::span<const uint8_t> bytes = set.getArray<uint8_t>(0x1234);
	ASSERT_EQ(bytes.size(), 3u);
	EXPECT_EQ(bytes[2], 3);

	EXPECT_NE(set.get<v4l2_ctrl_vp9_compressed_hdr>(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR),
		  nullptr);

	/* Absent, or present with the wrong size. */
	EXPECT_EQ(set.get<v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_H264_SPS), nullptr);
	EXPECT_EQ(set.get<v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_VP9_FRAME), nullptr);
	EXPECT_TRUE(set.getArray<uint32_t>(0x1234).empty());
}

TEST(ControlSet, DynamicArray)
{
	v4l2_ctrl_h264_slice_params slices[3] = {};
	slices[2].first_mb_in_slice = 99;

	ControlAreaBuilder builder;
	builder.add(V4L2_CID_STATELESS_H264_SLICE_PARAMS, slices, sizeof(slices), 3);

	ControlSet set;
	ASSERT_EQ(set.parse(builder.area(), builder.count()), 0);

	auto array =
		set.getArray<v4l2_ctrl_h264_slice_params>(V4L2_CID_STATELESS_H264_SLICE_PARAMS);
	ASSERT_EQ(array.size(), 3u);
	EXPECT_EQ(array[2].first_mb_in_slice, 99u);
	/* Three elements are not one. */
	EXPECT_EQ(set.get<v4l2_ctrl_h264_slice_params>(V4L2_CID_STATELESS_H264_SLICE_PARAMS),
		  nullptr);
}

TEST(ControlSet, LastPaddingOptional)
{
	RawArea raw;
	raw.header(1, 4, 1);
	raw.bytes(4);
	raw.pad();
	raw.header(2, 5, 1);
	raw.bytes(5);

	ControlSet set;
	EXPECT_EQ(set.parse(raw.area(), 2), 0);
	EXPECT_EQ(set.size(), 2u);

	raw.pad();
	EXPECT_EQ(set.parse(raw.area(), 2), 0);
	EXPECT_EQ(set.size(), 2u);
}

TEST(ControlSet, Truncated)
{
	RawArea raw;
	raw.header(1, 64, 1);
	raw.bytes(32);

	ControlSet set;
	/* Payload beyond the area. */
	EXPECT_EQ(set.parse(raw.area(), 1), -EINVAL);
	EXPECT_TRUE(set.empty());

	/* Header cut short. */
	EXPECT_EQ(set.parse(raw.area().first(10), 1), -EINVAL);

	/* More records announced than present. */
	RawArea two;
	two.header(1, 8, 1);
	two.bytes(8);
	EXPECT_EQ(set.parse(two.area(), 2), -EINVAL);
	EXPECT_EQ(set.parse(two.area(), 1000000), -EINVAL);
}

TEST(ControlSet, Oversized)
{
	RawArea raw;
	raw.header(1, 0xfffffff0, 1);
	raw.bytes(16);

	ControlSet set;
	EXPECT_EQ(set.parse(raw.area(), 1), -EINVAL);
	EXPECT_TRUE(set.empty());
}

TEST(ControlSet, TrailingBytes)
{
	RawArea raw;
	raw.header(1, 8, 1);
	raw.bytes(8);
	raw.bytes(16);

	ControlSet set;
	EXPECT_EQ(set.parse(raw.area(), 1), -EINVAL);
}

TEST(ControlSet, Misaligned)
{
	RawArea raw;
	raw.bytes(4, 0);
	raw.header(1, 8, 1);
	raw.bytes(8);

	/* An area that does not start at an 8-byte boundary. */
	ControlSet set;
	EXPECT_EQ(set.parse(raw.area(4), 1), -EINVAL);

	/* A record placed right after an odd payload, without padding. */
	RawArea packed;
	packed.header(1, 3, 1);
	packed.bytes(3);
	packed.header(2, 8, 1);
	packed.bytes(8);
	EXPECT_EQ(set.parse(packed.area(), 2), -EINVAL);
	EXPECT_TRUE(set.empty());
}

TEST(ControlSet, BadRecords)
{
	ControlSet set;

	RawArea reserved;
	reserved.header(1, 8, 1, 0xdead);
	reserved.bytes(8);
	EXPECT_EQ(set.parse(reserved.area(), 1), -EINVAL);

	/* Payload not a whole number of elements. */
	RawArea elems;
	elems.header(1, 10, 3);
	elems.bytes(10);
	elems.pad();
	EXPECT_EQ(set.parse(elems.area(), 1), -EINVAL);

	/* The same control twice. */
	RawArea twice;
	twice.header(1, 8, 1);
	twice.bytes(8);
	twice.header(1, 8, 1);
	twice.bytes(8);
	EXPECT_EQ(set.parse(twice.area(), 2), -EINVAL);

	/* An empty dynamic array is fine. */
	RawArea empty;
	empty.header(1, 0, 0);
	ASSERT_EQ(set.parse(empty.area(), 1), 0);
	EXPECT_TRUE(set.getArray<uint32_t>(1).empty());
	EXPECT_NE(set.find(1), nullptr);
}

} /* namespace */
