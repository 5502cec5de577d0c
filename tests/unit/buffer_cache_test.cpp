/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The buffer cache, against memfd buffers standing in for dma-bufs.
 */

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/dma-buf.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buffer_cache.h"
#include "test_buffers.h"

using namespace daedalus;
using namespace daedalus::test;

namespace {

/* What the job path does: take the fds, then import. */
int importBuffer(BufferCache &cache, uint64_t ctxId, const daedalus_buffer &buf,
		 BufferDirection direction, const MappedBuffer **mapped)
{
	PlaneFds fds = takePlaneFds(buf);
	return cache.import(ctxId, buf, direction, fds, mapped);
}

TEST(DmaBufSync, MemfdNeedsNoSync)
{
	MemfdBuffer memfd(4096);
	ASSERT_TRUE(memfd.isValid());
	EXPECT_EQ(dmaBufSync(memfd.fd(), DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), 0);
	EXPECT_EQ(dmaBufSync(memfd.fd(), DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ), 0);
	EXPECT_EQ(dmaBufSync(-1, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), -EBADF);
}

TEST(BufferCache, MapOnceAndReuse)
{
	MemfdBuffer memfd(8192);
	ASSERT_TRUE(memfd.isValid());
	memfd.data()[100] = 42;

	unsigned int fdsBefore = openFdCount();

	BufferCache cache;
	const MappedBuffer *mapped = nullptr;
	daedalus_buffer first = makeBuffer(7, 0, memfd.dupFd(), 8192, 8192);
	ASSERT_EQ(importBuffer(cache, 1, first, BufferDirection::Capture, &mapped), 0);
	ASSERT_NE(mapped, nullptr);
	EXPECT_EQ(mapped->id(), 7u);
	EXPECT_EQ(mapped->numPlanes(), 1u);
	ASSERT_EQ(mapped->plane(0).size(), 8192u);
	EXPECT_EQ(mapped->plane(0)[100], 42);
	/* The cache keeps the fd for DMA_BUF_IOCTL_SYNC. */
	EXPECT_EQ(openFdCount(), fdsBefore + 1);

	/* CAPTURE is mapped writable, and shared with the buffer's owner. */
	mapped->plane(0)[200] = 99;
	EXPECT_EQ(memfd.data()[200], 99);

	/* Later jobs carry new fds of the same memory: same mapping, fd closed. */
	const MappedBuffer *again = nullptr;
	daedalus_buffer later = makeBuffer(7, 0, memfd.dupFd(), 8192, 8192);
	ASSERT_EQ(importBuffer(cache, 1, later, BufferDirection::Capture, &again), 0);
	EXPECT_EQ(again, mapped);
	EXPECT_EQ(again->plane(0).data(), mapped->plane(0).data());
	EXPECT_EQ(cache.size(), 1u);
	EXPECT_EQ(openFdCount(), fdsBefore + 1);

	/* A known buffer needs no fd at all. */
	ASSERT_EQ(importBuffer(cache, 1, makeBuffer(7, 0, -1, 8192, 8192), BufferDirection::Capture,
			       &again),
		  0);
	EXPECT_EQ(again, mapped);

	{
		CpuAccess access(*again);
		EXPECT_EQ(access.status(), 0);
	}

	EXPECT_TRUE(cache.release(1, 7));
	EXPECT_FALSE(cache.release(1, 7));
	EXPECT_EQ(cache.size(), 0u);
	EXPECT_EQ(openFdCount(), fdsBefore);
}

TEST(BufferCache, OutputIsReadOnly)
{
	MemfdBuffer memfd(4096);
	BufferCache cache;
	const MappedBuffer *mapped = nullptr;
	ASSERT_EQ(importBuffer(cache, 1, makeBuffer(1, 0, memfd.dupFd(), 4096, 10),
			       BufferDirection::Output, &mapped),
		  0);

	/*
	 * OUTPUT is mapped PROT_READ: a write faults (a plain SIGSEGV, or an
	 * abort from a sanitizer that catches it); the child never exits 0.
	 */
	auto faulted = [](int status) { return !WIFEXITED(status) || WEXITSTATUS(status) != 0; };
	EXPECT_EXIT(
		{
			mapped->plane(0)[0] = 1;
			_exit(0);
		},
		faulted, "");
}

TEST(BufferCache, UnknownBuffer)
{
	BufferCache cache;
	const MappedBuffer *mapped = nullptr;
	EXPECT_EQ(importBuffer(cache, 1, makeBuffer(5, 0, -1, 4096, 4096), BufferDirection::Output,
			       &mapped),
		  -EBADF);
	EXPECT_EQ(mapped, nullptr);

	/* Buffers are per context. */
	MemfdBuffer memfd(4096);
	ASSERT_EQ(importBuffer(cache, 1, makeBuffer(5, 0, memfd.dupFd(), 4096, 4096),
			       BufferDirection::Output, &mapped),
		  0);
	EXPECT_EQ(importBuffer(cache, 2, makeBuffer(5, 0, -1, 4096, 4096), BufferDirection::Output,
			       &mapped),
		  -EBADF);
}

TEST(BufferCache, Inconsistent)
{
	MemfdBuffer memfd(4096);
	BufferCache cache;
	const MappedBuffer *mapped = nullptr;
	unsigned int fdsBefore = openFdCount();

	/* Longer than the memory: touching it would raise SIGBUS. */
	EXPECT_EQ(importBuffer(cache, 1, makeBuffer(1, 0, memfd.dupFd(), 8192, 10),
			       BufferDirection::Output, &mapped),
		  -EINVAL);
	/* Empty plane. */
	EXPECT_EQ(importBuffer(cache, 1, makeBuffer(1, 0, memfd.dupFd(), 0, 0),
			       BufferDirection::Output, &mapped),
		  -EINVAL);
	/* No planes, too many planes. */
	daedalus_buffer none = makeBuffer(1, 0, -1, 4096, 10);
	none.num_planes = 0;
	EXPECT_EQ(importBuffer(cache, 1, none, BufferDirection::Output, &mapped), -EINVAL);
	none.num_planes = DAEDALUS_MAX_PLANES + 1;
	EXPECT_EQ(importBuffer(cache, 1, none, BufferDirection::Output, &mapped), -EINVAL);
	/* A bogus negative fd. */
	EXPECT_EQ(importBuffer(cache, 1, makeBuffer(1, 0, -7, 4096, 10), BufferDirection::Output,
			       &mapped),
		  -EINVAL);
	/* Not a file that can be mapped. */
	int pipeFds[2];
	ASSERT_EQ(pipe2(pipeFds, O_CLOEXEC), 0);
	close(pipeFds[1]);
	EXPECT_LT(importBuffer(cache, 1, makeBuffer(1, 0, pipeFds[0], 4096, 10),
			       BufferDirection::Output, &mapped),
		  0);

	/* Every fd handed over was closed, mapped or not. */
	EXPECT_EQ(openFdCount(), fdsBefore);
	EXPECT_EQ(cache.size(), 0u);

	/* Known, but described differently or used in the other direction. */
	ASSERT_EQ(importBuffer(cache, 1, makeBuffer(1, 0, memfd.dupFd(), 4096, 10),
			       BufferDirection::Output, &mapped),
		  0);
	EXPECT_EQ(importBuffer(cache, 1, makeBuffer(1, 0, -1, 2048, 10), BufferDirection::Output,
			       &mapped),
		  -EINVAL);
	EXPECT_EQ(importBuffer(cache, 1, makeBuffer(1, 0, -1, 4096, 10), BufferDirection::Capture,
			       &mapped),
		  -EINVAL);
	EXPECT_EQ(importBuffer(cache, 1, makeBuffer(1, 0, -1, 4096, 10), BufferDirection::Output,
			       &mapped),
		  0);
}

TEST(BufferCache, MultiPlane)
{
	MemfdBuffer planes[3] = { MemfdBuffer(4096), MemfdBuffer(8192), MemfdBuffer(4096) };
	daedalus_buffer buf = {};
	buf.id = 3;
	buf.num_planes = 3;
	for (int i = 0; i < 3; i++) {
		buf.planes[i].fd = planes[i].dupFd();
		buf.planes[i].length = planes[i].size();
		planes[i].data()[0] = i + 1;
	}

	BufferCache cache;
	const MappedBuffer *mapped = nullptr;
	ASSERT_EQ(importBuffer(cache, 1, buf, BufferDirection::Capture, &mapped), 0);
	ASSERT_EQ(mapped->numPlanes(), 3u);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(mapped->plane(i).size(), planes[i].size());
		EXPECT_EQ(mapped->plane(i)[0], i + 1);
	}

	/* A new buffer with an fd missing for some plane cannot be mapped. */
	unsigned int fdsBefore = openFdCount();
	buf.id = 4;
	buf.planes[0].fd = planes[0].dupFd();
	buf.planes[1].fd = -1;
	buf.planes[2].fd = planes[2].dupFd();
	EXPECT_EQ(importBuffer(cache, 1, buf, BufferDirection::Capture, &mapped), -EBADF);
	EXPECT_EQ(openFdCount(), fdsBefore);
	EXPECT_EQ(cache.find(1, 4), nullptr);
}

TEST(BufferCache, IdNamesTheFirstMemory)
{
	MemfdBuffer a(4096), b(4096);
	a.data()[0] = 1;
	b.data()[0] = 2;

	BufferCache cache;
	const MappedBuffer *mapped = nullptr;
	ASSERT_EQ(importBuffer(cache, 1, makeBuffer(9, 0, a.dupFd(), 4096, 1),
			       BufferDirection::Output, &mapped),
		  0);
	EXPECT_EQ(mapped->plane(0)[0], 1);

	/* An id never names other memory: the mapping stays, the fd is closed. */
	unsigned int fdsBefore = openFdCount();
	ASSERT_EQ(importBuffer(cache, 1, makeBuffer(9, 0, b.dupFd(), 4096, 1),
			       BufferDirection::Output, &mapped),
		  0);
	EXPECT_EQ(mapped->plane(0)[0], 1);
	EXPECT_EQ(cache.size(), 1u);
	EXPECT_EQ(openFdCount(), fdsBefore);

	/* Once freed, the id can be mapped anew. */
	EXPECT_TRUE(cache.release(1, 9));
	ASSERT_EQ(importBuffer(cache, 1, makeBuffer(9, 0, b.dupFd(), 4096, 1),
			       BufferDirection::Output, &mapped),
		  0);
	EXPECT_EQ(mapped->plane(0)[0], 2);
}

TEST(BufferCache, ReleaseContext)
{
	MemfdBuffer memfd(4096);
	unsigned int fdsBefore = openFdCount();

	BufferCache cache;
	const MappedBuffer *mapped = nullptr;
	for (uint32_t ctx = 1; ctx <= 3; ctx++)
		for (uint64_t id = 1; id <= 4; id++)
			ASSERT_EQ(importBuffer(cache, ctx,
					       makeBuffer(id, 0, memfd.dupFd(), 4096, 1),
					       BufferDirection::Output, &mapped),
				  0);
	EXPECT_EQ(cache.size(), 12u);
	EXPECT_EQ(openFdCount(), fdsBefore + 12);

	EXPECT_EQ(cache.releaseContext(2), 4u);
	EXPECT_EQ(cache.size(), 8u);
	EXPECT_EQ(openFdCount(), fdsBefore + 8);
	EXPECT_NE(cache.find(1, 4), nullptr);
	EXPECT_EQ(cache.find(2, 1), nullptr);
	EXPECT_NE(cache.find(3, 1), nullptr);
	EXPECT_EQ(cache.releaseContext(2), 0u);
}

} /* namespace */
