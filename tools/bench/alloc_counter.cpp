/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Interposed memory calls, counted and forwarded to glibc (__libc_* for the
 * malloc family, the system calls for mmap/munmap).
 */

#include "alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>

#include <execinfo.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern "C" {
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void __libc_free(void *ptr);
}

namespace {

std::atomic<uint64_t> allocations{ 0 };
std::atomic<uint64_t> mmaps{ 0 };
std::atomic<uint64_t> munmaps{ 0 };

std::atomic<bool> tracing{ false };
thread_local bool inTrace = false;

void count(std::atomic<uint64_t> &counter)
{
	counter.fetch_add(1, std::memory_order_relaxed);
	if (!tracing.load(std::memory_order_relaxed) || inTrace)
		return;
	/* backtrace() may allocate the first time: not traced again. */
	inTrace = true;
	void *frames[24];
	const int n = backtrace(frames, 24);
	static const char separator[] = "--- allocation:\n";
	if (write(2, separator, sizeof(separator) - 1) >= 0)
		backtrace_symbols_fd(frames, n, 2);
	inTrace = false;
}

} /* namespace */

namespace daedalus::bench {

AllocCounts allocCounts()
{
	return { allocations.load(std::memory_order_relaxed), mmaps.load(std::memory_order_relaxed),
		 munmaps.load(std::memory_order_relaxed) };
}

void traceAllocations(bool on)
{
	tracing = on;
}

} /* namespace daedalus::bench */

extern "C" {

void *malloc(size_t size)
{
	count(allocations);
	return __libc_malloc(size);
}

void *calloc(size_t count_, size_t size)
{
	count(allocations);
	return __libc_calloc(count_, size);
}

void *realloc(void *ptr, size_t size)
{
	count(allocations);
	return __libc_realloc(ptr, size);
}

void free(void *ptr)
{
	__libc_free(ptr);
}

void *memalign(size_t alignment, size_t size)
{
	count(allocations);
	return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
	count(allocations);
	return __libc_memalign(alignment, size);
}

int posix_memalign(void **ptr, size_t alignment, size_t size)
{
	if (alignment % sizeof(void *) || (alignment & (alignment - 1)))
		return EINVAL;
	count(allocations);
	void *p = __libc_memalign(alignment, size);
	if (!p && size)
		return ENOMEM;
	*ptr = p;
	return 0;
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
	count(mmaps);
	long ret = syscall(SYS_mmap, addr, length, prot, flags, fd, offset);
	return reinterpret_cast<void *>(ret);
}

int munmap(void *addr, size_t length)
{
	count(munmaps);
	return static_cast<int>(syscall(SYS_munmap, addr, length));
}

} /* extern "C" */
