/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Counts of the memory calls of the whole process (every thread): the
 * malloc family (malloc, calloc, realloc, posix_memalign, aligned_alloc,
 * memalign; libavcodec's av_malloc and C++'s operator new end there) and
 * mmap/munmap called through their symbols (the daemon's buffer mappings;
 * glibc's malloc maps its arenas internally, uncounted). The benchmark
 * interposes these functions (alloc_counter.cpp); they forward to glibc.
 */

#pragma once

#include <cstdint>

namespace daedalus::bench {

struct AllocCounts {
	uint64_t allocations = 0;
	uint64_t mmaps = 0;
	uint64_t munmaps = 0;

	AllocCounts operator-(const AllocCounts &other) const
	{
		return { allocations - other.allocations, mmaps - other.mmaps,
			 munmaps - other.munmaps };
	}
	AllocCounts &operator+=(const AllocCounts &other)
	{
		allocations += other.allocations;
		mmaps += other.mmaps;
		munmaps += other.munmaps;
		return *this;
	}
};

/* The counts since the process started. */
AllocCounts allocCounts();

/*
 * While on, print a backtrace of every allocation (any thread) to stderr:
 * where the allocations of a job come from.
 */
void traceAllocations(bool on);

} /* namespace daedalus::bench */
