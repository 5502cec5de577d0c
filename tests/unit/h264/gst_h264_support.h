/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test support around GStreamer's H.264 parser (gstreamer-codecparsers), the
 * parser GStreamer's v4l2slh264dec fills the V4L2 controls from: splitting
 * byte streams, filling the controls the way v4l2slh264dec does, and
 * comparing parsed parameter sets field by field.
 */

#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <gst/codecparsers/gsth264parser.h>
#include <linux/v4l2-controls.h>

namespace daedalus::h264::test {

/* Owns a GstH264NalParser, which keeps the SPS and PPS parsed so far. */
class GstParser
{
public:
	GstParser() : parser_(gst_h264_nal_parser_new()) {}
	~GstParser() { gst_h264_nal_parser_free(parser_); }
	GstParser(const GstParser &) = delete;
	GstParser &operator=(const GstParser &) = delete;

	GstH264NalParser *get() { return parser_; }

private:
	GstH264NalParser *parser_;
};

/* The NAL units of the Annex B byte stream @stream, found by GStreamer. */
std::vector<GstH264NalUnit> splitNalUnits(GstH264NalParser *parser,
					  std::span<const uint8_t> stream);

/* The controls a stateless client sends for one picture. */
struct Controls {
	v4l2_ctrl_h264_sps sps;
	v4l2_ctrl_h264_pps pps;
	v4l2_ctrl_h264_scaling_matrix matrix;
	/* Whether a matrix control is sent (and the PPS flag set). */
	bool hasMatrix;
};

/*
 * The controls as GStreamer's v4l2slh264dec fills them from its parse of
 * the PPS @pps and its SPS (pps.sequence): the matrix is sent when the SPS or
 * the PPS has one, as the effective PPS lists turned to raster order, with the
 * 8x8 lists GStreamer does not need (4:2:0 and 4:2:2 chroma) zeroed.
 */
v4l2_ctrl_h264_sps fillSps(const GstH264SPS &sps);
Controls fillControls(const GstH264PPS &pps);

/* Expect equality of every decoding-relevant field; @what names the unit. */
void expectSameSps(const GstH264SPS &expected, const GstH264SPS &actual, const std::string &what);
void expectSamePps(const GstH264PPS &expected, const GstH264PPS &actual, const std::string &what);

/*
 * Parse @nals, an SPS NAL unit and optionally a PPS NAL unit in Annex B
 * format, with a fresh GStreamer parser. Returns false (with a test failure)
 * if GStreamer does not find exactly the expected units or rejects one.
 */
bool parseRebuilt(std::span<const uint8_t> nals, GstH264SPS *sps, GstH264PPS *pps);

} /* namespace daedalus::h264::test */
