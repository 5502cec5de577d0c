/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP8 and VP9 test streams for the job path tests (vp9_job_test,
 * vpx_job_test): encoded here with libvpx through libavcodec, alt-ref
 * frames never shown included, one frame per OUTPUT buffer (VP9 superframes
 * split); and the reference, a plain libavcodec decode of the same frames
 * converted into the CAPTURE layout by code independent of the daemon's.
 */

#pragma once

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace daedalus::test {

/* One frame as a job carries it, and whether a player shows it. */
struct VpxFrame {
	std::vector<uint8_t> data;
	bool shown;
};

/*
 * What a stream is made of: a moving square over a still gradient, @frames
 * frames of @width x @height in @pixelFormat (yuv420p; VP9 also
 * yuv420p10le, profile 2), by the libavcodec @encoder ("libvpx",
 * "libvpx-vp9") of @codec.
 */
struct VpxStream {
	const char *encoder;
	AVCodecID codec;
	AVPixelFormat pixelFormat;
	int width;
	int height;
	int frames;
};

/* show_frame of a VP8 frame: bit 4 of the frame tag. */
bool vp8ShowFrame(const std::vector<uint8_t> &frame);
/* show_frame of a VP9 frame (show_existing_frame counts as shown). */
bool vp9ShowFrame(const std::vector<uint8_t> &frame);

/*
 * Encode @stream with alt-ref frames (VP9: hidden ones in superframes,
 * split here; VP8 makes them only in two-pass encoding). Empty, with @skip
 * set, without the encoder; what went wrong in libavcodec calls is added to
 * @errors.
 */
std::vector<VpxFrame> encodeVpxStream(const VpxStream &stream, std::string *skip,
				      std::string *errors);

/*
 * The CAPTURE layout of @frame: NV12, or P010 (@p010, from a 16-bit
 * frame), @stride bytes per line, @height luma lines, bytes beyond the
 * picture @fill.
 */
std::vector<uint8_t> toCapture(const AVFrame *frame, uint32_t stride, uint32_t height, bool p010,
			       uint8_t fill);

/*
 * A plain libavcodec decode of @frames: the pictures shown, in order, in
 * the CAPTURE layout of toCapture(). The decoded frames must be in
 * @stream's pixel format; problems are added to @errors.
 */
std::vector<std::vector<uint8_t>> referenceDecode(const VpxStream &stream,
						  const std::vector<VpxFrame> &frames,
						  uint32_t stride, uint32_t height, bool p010,
						  uint8_t fill, std::string *errors);

} /* namespace daedalus::test */
