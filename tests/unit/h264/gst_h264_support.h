/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test support around GStreamer's H.264 parser (gstreamer-codecparsers), the
 * parser GStreamer's v4l2slh264dec fills the V4L2 controls from: splitting
 * byte streams and filling the controls the way v4l2slh264dec does (both from
 * the client library, tools/client/h264_controls.h), and comparing parsed
 * parameter sets field by field.
 */

#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <gst/codecparsers/gsth264parser.h>
#include <linux/v4l2-controls.h>

#include "h264_controls.h"

namespace daedalus::h264::test {

/* The parser and the controls as v4l2slh264dec fills them: the client library's. */
using GstParser = client::H264NalParser;
using Controls = client::H264Controls;
using client::fillControls;
using client::fillSps;
using client::splitNalUnits;

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
