/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The baseline: a plain decode loop of the same library the daemon uses
 * (libavcodec for H.264 and VP9, libdav1d for AV1), as an application
 * decoding in-process runs it: packets in, pictures out and dropped.
 */

#pragma once

#include <string>

#include "alloc_counter.h"
#include "bench_input.h"

namespace daedalus::bench {

enum class Threading {
	/*
	 * The daemon's: libavcodec slice threads; libdav1d with one frame in
	 * flight (tile and post-filter threads).
	 */
	Daemon,
	/*
	 * The libraries' defaults for an application: libavcodec frame and
	 * slice threads; libdav1d's automatic frame delay.
	 */
	Library,
};

struct Timing {
	/* Pictures out, wall and process CPU seconds. */
	unsigned int frames = 0;
	/* The size of the first picture (plain loop only). */
	int width = 0;
	int height = 0;
	double seconds = 0;
	double cpuSeconds = 0;
	AllocCounts counts;
	std::string error;
};

/* Decode @clip with @threads threads (0: the library picks). */
Timing plainDecode(const Clip &clip, unsigned int threads, Threading threading);

/* Monotonic and process CPU clocks, in seconds. */
double wallClock();
double cpuClock();

} /* namespace daedalus::bench */
