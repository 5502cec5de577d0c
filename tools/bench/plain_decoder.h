/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The baseline: a plain decode loop of the same library the daemon uses
 * (libavcodec for H.264 and VP9, libdav1d for AV1), as an application
 * decoding in-process runs it: packets in, pictures out and dropped.
 */

#pragma once

#include <memory>
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

/*
 * The loop, one packet at a time, so that it can run interleaved with the
 * job path (a packet here after each job there): both sides then meet the
 * same load from the rest of the machine. Only the calls' own time counts.
 */
class PlainLoop
{
public:
	/* A loop over @clip with @threads threads (0: the library picks). */
	static std::unique_ptr<PlainLoop> create(const Clip &clip, unsigned int threads,
						 Threading threading);
	virtual ~PlainLoop() = default;

	/* Decode the next packet; false when none is left (or on error). */
	bool step();
	/* Decode what is left and drain the decoder; closes it. */
	void finish();

	const Timing &timing() const { return timing_; }

protected:
	explicit PlainLoop(const Clip &clip) : clip_(clip) {}

	virtual void open(unsigned int threads, Threading threading) = 0;
	virtual void decode(size_t packet) = 0;
	virtual void close() = 0;

	const Clip &clip_;
	Timing timing_;

private:
	class Clock;

	unsigned int threads_ = 0;
	Threading threading_ = Threading::Daemon;
	size_t next_ = 0;
	bool closed_ = false;
};

/* Decode @clip with @threads threads (0: the library picks), all at once. */
Timing plainDecode(const Clip &clip, unsigned int threads, Threading threading);

/* Monotonic and process CPU clocks, in seconds. */
double wallClock();
double cpuClock();

} /* namespace daedalus::bench */
