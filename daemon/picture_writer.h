/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writing decoded pictures into CAPTURE buffers.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace daedalus {

/* A decoded 8-bit 4:2:0 picture in three planes (Y, Cb, Cr), any line size. */
struct Picture420 {
	uint32_t width = 0;
	uint32_t height = 0;
	const uint8_t *planes[3] = {};
	ptrdiff_t strides[3] = {};
};

/*
 * A single-plane NV12 CAPTURE buffer: the Y plane is @stride * @height bytes,
 * followed by (height + 1) / 2 lines of interleaved CbCr with the same stride.
 * @width and @height are the CAPTURE format's (at least the picture's).
 */
struct Nv12Image {
	std::span<uint8_t> data;
	uint32_t stride = 0;
	uint32_t width = 0;
	uint32_t height = 0;
};

/* Bytes of an NV12 image of @height lines of @stride bytes. */
constexpr uint64_t nv12Size(uint32_t stride, uint32_t height)
{
	return uint64_t{ stride } * height + uint64_t{ stride } * ((height + 1) / 2);
}

/* Check that @image is a consistent NV12 layout. Returns 0 or -EINVAL. */
int validateNv12(const Nv12Image &image);

/*
 * Write @picture into the top-left corner of @image, leaving the rest of the
 * buffer untouched. Returns 0, or -EINVAL when the layout is inconsistent or
 * the picture does not fit.
 */
int writeNv12(const Picture420 &picture, const Nv12Image &image);

/*
 * Fill @image with black (limited range: Y 16, Cb and Cr 128): what a failed
 * job leaves in its CAPTURE buffer instead of an earlier picture or half of
 * one. @image must have passed validateNv12().
 */
void fillBlack(const Nv12Image &image);

/* dst[2i] = cb[i], dst[2i + 1] = cr[i] for i < @count. */
void interleaveChroma(uint8_t *dst, const uint8_t *cb, const uint8_t *cr, size_t count);

} /* namespace daedalus */
