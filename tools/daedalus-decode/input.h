/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input of daedalus-decode: an H.264 Annex B byte stream (.264, .jsv,
 * .26l), an IVF file (VP9, AV1), or anything libavformat demuxes (WebM,
 * Matroska, MP4, AV1 OBU streams) holding VP9 or AV1. libavformat only
 * demuxes: parsing is GStreamer's, decoding the decoder node's.
 */

#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace daedalus::tools {

enum class Codec {
	Auto,
	H264,
	Vp9,
	Av1,
};

const char *codecName(Codec codec);
/* Codec::Auto when @name is none of auto, h264, vp9, av1; false then. */
bool parseCodec(const std::string &name, Codec *codec);

struct Input {
	Codec codec = Codec::Auto;
	/* "Annex B", "IVF", or the libavformat demuxer's name. */
	std::string container;
	/* H.264: the byte stream. */
	std::vector<uint8_t> stream;
	/* VP9: frames or superframes; AV1: temporal units. */
	std::vector<std::vector<uint8_t>> units;
};

/*
 * Read @path, of codec @codec or, with Codec::Auto, whatever it holds.
 * Returns 0, or a negative errno with @error set.
 */
int readInput(const std::string &path, Codec codec, Input *input, std::string *error);

} /* namespace daedalus::tools */
