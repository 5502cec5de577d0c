/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A clip as both sides of the benchmark take it: the container's packets
 * (H.264 access units, split by libavcodec's parser; VP9 frames or
 * superframes and AV1 temporal units as IVF or WebM carry them) for the
 * plain decode loop, and the same first N packets as the client library's
 * clients take them (the byte stream cut after access unit N for H.264).
 */

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "input.h"

namespace daedalus::bench {

struct Clip {
	std::string path;
	tools::Codec codec = tools::Codec::Auto;
	/* One per frame the plain loop sends (H.264: an access unit). */
	std::vector<std::vector<uint8_t>> packets;
	/* H.264: the byte stream of those packets (the clients' input). */
	std::vector<uint8_t> stream;
};

/*
 * Read @path; keep its first @frames packets (0: all). Returns 0, or a
 * negative errno with @error set.
 */
int readClip(const std::string &path, unsigned int frames, Clip *clip, std::string *error);

} /* namespace daedalus::bench */
