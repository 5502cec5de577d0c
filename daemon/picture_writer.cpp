/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writing decoded pictures into CAPTURE buffers.
 *
 * This file is built with -O3 (see CMakeLists.txt) so that the chroma
 * interleave is vectorised also where -O2 does not vectorise.
 */

#include "picture_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace daedalus {

void interleaveChroma(uint8_t *__restrict dst, const uint8_t *__restrict cb,
		      const uint8_t *__restrict cr, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		dst[2 * i] = cb[i];
		dst[2 * i + 1] = cr[i];
	}
}

int validateNv12(const Nv12Image &image)
{
	if (!image.width || !image.height || image.stride < image.width)
		return -EINVAL;
	if (nv12Size(image.stride, image.height) > image.data.size())
		return -EINVAL;
	return 0;
}

int writeNv12(const Picture420 &picture, const Nv12Image &image)
{
	if (validateNv12(image) < 0)
		return -EINVAL;
	if (!picture.width || !picture.height || picture.width > image.width ||
	    picture.height > image.height)
		return -EINVAL;
	for (const uint8_t *plane : picture.planes) {
		if (!plane)
			return -EINVAL;
	}

	uint8_t *luma = image.data.data();
	for (uint32_t y = 0; y < picture.height; y++)
		memcpy(luma + size_t{ y } * image.stride,
		       picture.planes[0] + y * picture.strides[0], picture.width);

	uint8_t *chroma = luma + size_t{ image.stride } * image.height;
	uint32_t chromaWidth = (picture.width + 1) / 2;
	uint32_t chromaHeight = (picture.height + 1) / 2;
	for (uint32_t y = 0; y < chromaHeight; y++)
		interleaveChroma(chroma + size_t{ y } * image.stride,
				 picture.planes[1] + y * picture.strides[1],
				 picture.planes[2] + y * picture.strides[2], chromaWidth);

	return 0;
}

void fillBlack(const Nv12Image &image)
{
	const size_t luma = size_t{ image.stride } * image.height;
	const size_t total =
		std::min<size_t>(nv12Size(image.stride, image.height), image.data.size());
	memset(image.data.data(), 16, std::min(luma, total));
	if (total > luma)
		memset(image.data.data() + luma, 128, total - luma);
}

} /* namespace daedalus */
