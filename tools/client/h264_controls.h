/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The H.264 stateless controls from GStreamer's H.264 parser
 * (gstreamer-codecparsers), filled the way GStreamer's v4l2slh264dec fills
 * them, and the parser itself: splitting Annex B byte streams.
 */

#pragma once

#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif

#include <cstdint>
#include <span>
#include <vector>

#include <gst/codecparsers/gsth264parser.h>
#include <linux/v4l2-controls.h>

namespace daedalus::client {

/* Owns a GstH264NalParser, which keeps the SPS and PPS parsed so far. */
class H264NalParser
{
public:
	H264NalParser() : parser_(gst_h264_nal_parser_new()) {}
	~H264NalParser() { gst_h264_nal_parser_free(parser_); }
	H264NalParser(const H264NalParser &) = delete;
	H264NalParser &operator=(const H264NalParser &) = delete;

	GstH264NalParser *get() { return parser_; }

private:
	GstH264NalParser *parser_;
};

/* The NAL units of the Annex B byte stream @stream, found by GStreamer. */
std::vector<GstH264NalUnit> splitNalUnits(GstH264NalParser *parser,
					  std::span<const uint8_t> stream);

/* The controls a stateless client sends for one picture. */
struct H264Controls {
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
H264Controls fillControls(const GstH264PPS &pps);

} /* namespace daedalus::client */
