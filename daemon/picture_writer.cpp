/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writing decoded pictures into CAPTURE buffers.
 *
 * This file is built with -O3 (see CMakeLists.txt) so that the chroma
 * interleave is vectorised also where -O2 does not vectorise.
 */

#include "picture_writer.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace daedalus {

/* P010 is little-endian; the decoders' 16-bit samples are native-endian. */
static_assert(std::endian::native == std::endian::little, "P010 writer assumes little endian");

namespace {

/* P010 keeps a 10-bit sample in the top bits of its 16-bit word. */
constexpr unsigned int kP010Shift = 6;

} /* namespace */

const char *captureFormatName(CaptureFormat format)
{
	return format == CaptureFormat::P010 ? "P010" : "NV12";
}

WriteError writeErrorText(int status, const Picture420 &picture, const CaptureImage &image)
{
	WriteError error;
	if (status == -EPROTO)
		snprintf(error.text, sizeof(error.text),
			 "a %u-bit picture cannot go into the %s CAPTURE buffer (the client did "
			 "not take the CAPTURE format the sequence calls for)",
			 picture.bitDepth, captureFormatName(image.format));
	else
		snprintf(error.text, sizeof(error.text),
			 "the %ux%u picture does not fit the %ux%u %s CAPTURE buffer",
			 picture.width, picture.height, image.width, image.height,
			 captureFormatName(image.format));
	return error;
}

void interleaveChroma(uint8_t *__restrict dst, const uint8_t *__restrict cb,
		      const uint8_t *__restrict cr, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		dst[2 * i] = cb[i];
		dst[2 * i + 1] = cr[i];
	}
}

void interleaveChroma10(uint16_t *__restrict dst, const uint16_t *__restrict cb,
			const uint16_t *__restrict cr, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		dst[2 * i] = static_cast<uint16_t>(cb[i] << kP010Shift);
		dst[2 * i + 1] = static_cast<uint16_t>(cr[i] << kP010Shift);
	}
}

void shiftLuma10(uint16_t *__restrict dst, const uint16_t *__restrict src, size_t count)
{
	for (size_t i = 0; i < count; i++)
		dst[i] = static_cast<uint16_t>(src[i] << kP010Shift);
}

int validateCapture(const CaptureImage &image)
{
	if (!image.width || !image.height ||
	    image.stride < uint64_t{ image.width } * bytesPerSample(image.format))
		return -EINVAL;
	if (nv12Size(image.stride, image.height) > image.data.size())
		return -EINVAL;
	/* P010 words must be aligned for the 16-bit stores. */
	if (image.format == CaptureFormat::P010 &&
	    (image.stride % 2 || reinterpret_cast<uintptr_t>(image.data.data()) % 2))
		return -EINVAL;
	return 0;
}

namespace {

void writeNv12(const Picture420 &picture, const CaptureImage &image)
{
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
}

const uint16_t *samples16(const uint8_t *plane, ptrdiff_t stride, uint32_t y)
{
	return reinterpret_cast<const uint16_t *>(plane + y * stride);
}

void writeP010(const Picture420 &picture, const CaptureImage &image)
{
	uint8_t *luma = image.data.data();
	for (uint32_t y = 0; y < picture.height; y++)
		shiftLuma10(reinterpret_cast<uint16_t *>(luma + size_t{ y } * image.stride),
			    samples16(picture.planes[0], picture.strides[0], y), picture.width);

	uint8_t *chroma = luma + size_t{ image.stride } * image.height;
	uint32_t chromaWidth = (picture.width + 1) / 2;
	uint32_t chromaHeight = (picture.height + 1) / 2;
	for (uint32_t y = 0; y < chromaHeight; y++)
		interleaveChroma10(
			reinterpret_cast<uint16_t *>(chroma + size_t{ y } * image.stride),
			samples16(picture.planes[1], picture.strides[1], y),
			samples16(picture.planes[2], picture.strides[2], y), chromaWidth);
}

} /* namespace */

int writePicture(const Picture420 &picture, const CaptureImage &image)
{
	if (validateCapture(image) < 0)
		return -EINVAL;
	if (!picture.width || !picture.height || picture.width > image.width ||
	    picture.height > image.height)
		return -EINVAL;
	for (const uint8_t *plane : picture.planes) {
		if (!plane)
			return -EINVAL;
	}
	if (picture.bitDepth != captureBitDepth(image.format))
		return -EPROTO;

	if (image.format == CaptureFormat::P010) {
		/* Source samples must be aligned too (both decoders align far more). */
		for (unsigned int i = 0; i < 3; i++) {
			if (reinterpret_cast<uintptr_t>(picture.planes[i]) % 2 ||
			    picture.strides[i] % 2)
				return -EINVAL;
		}
		writeP010(picture, image);
	} else {
		writeNv12(picture, image);
	}
	return 0;
}

namespace {

void fill16(uint8_t *data, size_t bytes, uint16_t value)
{
	for (size_t i = 0; i + 1 < bytes; i += 2) {
		data[i] = value & 0xff;
		data[i + 1] = value >> 8;
	}
}

} /* namespace */

void fillBlack(const CaptureImage &image)
{
	const size_t luma = size_t{ image.stride } * image.height;
	const size_t total =
		std::min<size_t>(nv12Size(image.stride, image.height), image.data.size());
	const size_t lumaBytes = std::min(luma, total);
	uint8_t *data = image.data.data();
	if (image.format == CaptureFormat::P010) {
		/* 10-bit 64 and 512 in the top bits of little-endian 16-bit samples. */
		fill16(data, lumaBytes, 64 << 6);
		if (total > luma)
			fill16(data + luma, total - luma, 512 << 6);
		return;
	}
	memset(data, 16, lumaBytes);
	if (total > luma)
		memset(data + luma, 128, total - luma);
}

} /* namespace daedalus */
