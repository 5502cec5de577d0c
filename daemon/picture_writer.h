/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writing decoded pictures into CAPTURE buffers.
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace daedalus {

/*
 * A decoded 4:2:0 picture in three planes (Y, Cb, Cr), any line size (in
 * bytes). @bitDepth 8: one byte per sample; 9 to 16: one native-endian
 * 16-bit word per sample holding a @bitDepth-bit value (libavcodec's
 * yuv420p10, libdav1d's 10-bit pictures).
 */
struct Picture420 {
	uint32_t width = 0;
	uint32_t height = 0;
	const uint8_t *planes[3] = {};
	ptrdiff_t strides[3] = {};
	unsigned int bitDepth = 8;
};

/* The CAPTURE formats the daemon writes. */
enum class CaptureFormat {
	/* V4L2_PIX_FMT_NV12: 8-bit samples. */
	Nv12,
	/* V4L2_PIX_FMT_P010: 16-bit little-endian words, the 10-bit value in the top bits. */
	P010,
};

/*
 * A single-plane semi-planar CAPTURE buffer (NV12 or P010): the Y plane is
 * @stride * @height bytes, followed by (height + 1) / 2 lines of interleaved
 * CbCr with the same stride. @width and @height are the CAPTURE format's (at
 * least the picture's).
 */
struct CaptureImage {
	CaptureFormat format = CaptureFormat::Nv12;
	std::span<uint8_t> data;
	uint32_t stride = 0;
	uint32_t width = 0;
	uint32_t height = 0;
};

/* Bytes of an NV12 or P010 image of @height lines of @stride bytes. */
constexpr uint64_t nv12Size(uint32_t stride, uint32_t height)
{
	return uint64_t{ stride } * height + uint64_t{ stride } * ((height + 1) / 2);
}

/* Bytes per sample of @format. */
constexpr uint32_t bytesPerSample(CaptureFormat format)
{
	return format == CaptureFormat::P010 ? 2 : 1;
}

/* The bit depth of the pictures @format holds. */
constexpr unsigned int captureBitDepth(CaptureFormat format)
{
	return format == CaptureFormat::P010 ? 10 : 8;
}

/* "NV12", "P010". */
const char *captureFormatName(CaptureFormat format);

/*
 * Why writePicture() failed with @status, for logs: the picture's size or
 * bit depth against the image's.
 */
struct WriteError {
	char text[160];
};
WriteError writeErrorText(int status, const Picture420 &picture, const CaptureImage &image);

/* Check that @image is a consistent layout. Returns 0 or -EINVAL. */
int validateCapture(const CaptureImage &image);

/*
 * Write @picture into the top-left corner of @image, leaving the rest of the
 * buffer untouched: 8-bit pictures into NV12, 10-bit ones into P010.
 * Returns 0, -EINVAL when the layout is inconsistent or the picture does not
 * fit, -EPROTO when the picture's bit depth is not the format's.
 */
int writePicture(const Picture420 &picture, const CaptureImage &image);

/*
 * Fill @image with black (limited range: Y 16, Cb and Cr 128, or their
 * 10-bit values in P010): what a failed job leaves in its CAPTURE buffer
 * instead of an earlier picture or part of one. @image must have passed
 * validation (validateCapture()).
 */
void fillBlack(const CaptureImage &image);

/* dst[2i] = cb[i], dst[2i + 1] = cr[i] for i < @count. */
void interleaveChroma(uint8_t *dst, const uint8_t *cb, const uint8_t *cr, size_t count);

/* The same for 10-bit samples into P010 words (value << 6). */
void interleaveChroma10(uint16_t *dst, const uint16_t *cb, const uint16_t *cr, size_t count);

/* dst[i] = src[i] << 6 for i < @count: 10-bit samples into P010 words. */
void shiftLuma10(uint16_t *dst, const uint16_t *src, size_t count);

} /* namespace daedalus */
