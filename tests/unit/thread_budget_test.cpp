/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon-wide bound on decoder threads: the budget's arithmetic, then
 * the threads the process really runs with many contexts open (counted in
 * /proc/self/status), for libavcodec (VP9) and libdav1d (AV1).
 */

#include <fstream>
#include <gtest/gtest.h>
#include <linux/videodev2.h>
#include <memory>
#include <string>
#include <vector>

#include "job_processor.h"
#include "job_runner.h"
#include "picture_writer.h"
#include "test_buffers.h"
#include "thread_budget.h"
#include "vpx_streams.h"

#ifndef V4L2_PIX_FMT_AV1_FRAME
#define V4L2_PIX_FMT_AV1_FRAME v4l2_fourcc('A', 'V', '1', 'F')
#endif

using namespace daedalus;
using namespace daedalus::test;

namespace {

constexpr unsigned int kContexts = 64;
constexpr int kWidth = 128;
constexpr int kHeight = 96;

/* Threads of this process, as the kernel counts them. */
unsigned int processThreads()
{
	std::ifstream status("/proc/self/status");
	for (std::string line; std::getline(status, line);)
		if (line.rfind("Threads:", 0) == 0)
			return std::stoul(line.substr(8));
	ADD_FAILURE() << "no Threads: line in /proc/self/status";
	return 0;
}

TEST(ThreadBudget, GrantsWhatIsLeftAtLeastOne)
{
	ThreadBudget budget(6);
	ThreadGrant a = budget.acquire(4);
	EXPECT_EQ(a.threads(), 4u);
	EXPECT_EQ(budget.left(), 2u);
	ThreadGrant b = budget.acquire(4);
	EXPECT_EQ(b.threads(), 2u);
	EXPECT_EQ(budget.left(), 0u);
	/* Exhausted: the daemon's own thread, free. */
	ThreadGrant c = budget.acquire(4);
	EXPECT_EQ(c.threads(), 1u);
	EXPECT_EQ(budget.left(), 0u);

	a.release();
	EXPECT_EQ(budget.left(), 4u);
	{
		/* One thread wanted or one left: none of its own, nothing charged. */
		ThreadGrant d = budget.acquire(1);
		EXPECT_EQ(d.threads(), 1u);
		EXPECT_EQ(budget.left(), 4u);
		ThreadGrant e = budget.acquire(3);
		EXPECT_EQ(budget.left(), 1u);
		ThreadGrant f = budget.acquire(8);
		EXPECT_EQ(f.threads(), 1u);
		EXPECT_EQ(budget.left(), 1u);
	}
	EXPECT_EQ(budget.left(), 4u);

	/* Moved grants are given back once. */
	ThreadGrant moved = std::move(b);
	EXPECT_EQ(moved.threads(), 2u);
	moved = budget.acquire(2);
	EXPECT_EQ(budget.left(), 4u);
	moved = ThreadGrant();
	EXPECT_EQ(budget.left(), 6u);
}

TEST(ThreadBudget, DefaultIsTwiceTheOnlineCpus)
{
	EXPECT_EQ(threadBudgetSize(DecoderConfig{}), 2 * onlineCpus());
	EXPECT_EQ(threadBudgetSize(DecoderConfig{ 0, 0 }), 0u);
	EXPECT_EQ(threadBudgetSize(DecoderConfig{ 0, 5 }), 5u);
	EXPECT_EQ(JobProcessor().threadBudget().total(), 2 * onlineCpus());
}

class ThreadBoundTest : public testing::Test
{
protected:
	static void SetUpTestSuite()
	{
		const VpxStream stream{ "libvpx-vp9", AV_CODEC_ID_VP9, AV_PIX_FMT_YUV420P,
					kWidth,	      kHeight,	       3 };
		std::string errors;
		frames_ = new std::vector<VpxFrame>(encodeVpxStream(stream, &skip_, &errors));
		EXPECT_EQ(errors, "");
	}
	static void TearDownTestSuite()
	{
		delete frames_;
		frames_ = nullptr;
	}

	void SetUp() override
	{
		if (frames_->empty())
			GTEST_SKIP() << skip_;
	}

	/*
	 * kContexts VP9 contexts of one processor (one daemon), ids above 2^32,
	 * each decoding the stream; returns the most threads seen meanwhile.
	 */
	unsigned int openVp9Contexts(JobProcessor &processor,
				     std::vector<std::unique_ptr<JobRunner>> *runners)
	{
		unsigned int most = processThreads();
		for (unsigned int i = 0; i < kContexts; i++) {
			auto runner = std::make_unique<JobRunner>(V4L2_PIX_FMT_VP9_FRAME, processor,
								  (uint64_t{ 1 } << 32) + i);
			EXPECT_TRUE(runner->setOutputBuffers(1, 64 * 1024));
			EXPECT_TRUE(runner->setCaptureBuffers(1, kWidth, kHeight, kWidth));
			ControlAreaBuilder controls;
			for (const VpxFrame &frame : *frames_)
				EXPECT_EQ(runner->run(frame.data, controls, 0, 0), 0)
					<< "context " << i;
			most = std::max(most, processThreads());
			runners->push_back(std::move(runner));
		}
		EXPECT_EQ(processor.contextCount(), kContexts);
		return most;
	}

	static std::vector<VpxFrame> *frames_;
	static std::string skip_;
};

std::vector<VpxFrame> *ThreadBoundTest::frames_;
std::string ThreadBoundTest::skip_;

TEST_F(ThreadBoundTest, ManyVp9ContextsStayWithinTheBudget)
{
	/* 4 threads per context wanted, 6 in all: 4 + 2, then the daemon's thread. */
	constexpr int kBudget = 6;
	const unsigned int before = processThreads();
	JobProcessor processor(DecoderConfig{ 4, kBudget });
	std::vector<std::unique_ptr<JobRunner>> runners;
	const unsigned int most = openVp9Contexts(processor, &runners);

	printf("VP9: %u contexts, %u threads before, at most %u with a budget of %d\n", kContexts,
	       before, most, kBudget);
	EXPECT_LE(most, before + kBudget);
	/* libavcodec did start slice threads for the first contexts. */
	EXPECT_GT(most, before);
	EXPECT_EQ(processor.threadBudget().left(), 0u);

	/* CTX_CLOSE gives the threads back (and libavcodec ends them). */
	runners.clear();
	EXPECT_EQ(processor.contextCount(), 0u);
	EXPECT_EQ(processor.threadBudget().left(), unsigned{ kBudget });
	EXPECT_EQ(processThreads(), before);
}

TEST_F(ThreadBoundTest, OneThreadMeansNoneOfTheEngines)
{
	/* A budget of 0: every VP9 decoder on the caller's thread (thread_count 1). */
	const unsigned int before = processThreads();
	JobProcessor processor(DecoderConfig{ 0, 0 });
	std::vector<std::unique_ptr<JobRunner>> runners;
	const unsigned int most = openVp9Contexts(processor, &runners);
	EXPECT_EQ(most, before);
	runners.clear();

	/*
	 * libdav1d (n_threads 1, max_frame_delay 1) too: its decoders are made
	 * by the first job of each context (which fails here: no controls).
	 */
	MemfdBuffer output(4096);
	MemfdBuffer capture(nv12Size(kWidth, kHeight));
	auto av1Job = [&](JobProcessor &p, uint64_t ctxId, uint64_t seqno) {
		JobParams params;
		params.seqno = seqno;
		params.ctxId = ctxId;
		params.codec = V4L2_PIX_FMT_AV1_FRAME;
		params.capWidth = kWidth;
		params.capHeight = kHeight;
		daedalus_msg msg =
			makeJobMessage(params, makeBuffer(1, 0, output.dupFd(), output.size(), 100),
				       makeBuffer(2, 0, capture.dupFd(), capture.size(),
						  capture.size(), 0, kWidth),
				       nullptr);
		daedalus_result result;
		EXPECT_TRUE(p.handleMessage(msg, {}, &result));
		EXPECT_EQ(result.status, -EINVAL);
	};
	testing::internal::CaptureStderr();
	for (uint64_t i = 0; i < kContexts; i++)
		av1Job(processor, (uint64_t{ 1 } << 32) + i, i + 1);
	EXPECT_EQ(processor.contextCount(), kContexts);
	EXPECT_EQ(processThreads(), before);

	/* With threads to spare, libdav1d starts some: within the budget. */
	constexpr int kBudget = 5;
	JobProcessor threaded(DecoderConfig{ 4, kBudget });
	for (uint64_t i = 0; i < kContexts; i++)
		av1Job(threaded, i + 1, i + 1);
	testing::internal::GetCapturedStderr();
	const unsigned int threads = processThreads();
	printf("AV1: %u contexts, %u threads before, %u with a budget of %d\n", kContexts, before,
	       threads, kBudget);
	EXPECT_GT(threads, before);
	EXPECT_LE(threads, before + kBudget);
}

TEST_F(ThreadBoundTest, CodecChangeGivesTheThreadsBack)
{
	JobProcessor processor(DecoderConfig{ 3, 3 });
	JobRunner vp9(V4L2_PIX_FMT_VP9_FRAME, processor, 9);
	ASSERT_TRUE(vp9.setOutputBuffers(1, 64 * 1024));
	ASSERT_TRUE(vp9.setCaptureBuffers(1, kWidth, kHeight, kWidth));
	ControlAreaBuilder controls;
	ASSERT_EQ(vp9.run((*frames_)[0].data, controls, 0, 0), 0);
	EXPECT_EQ(processor.threadBudget().left(), 0u);

	/* The same context, now AV1 (S_FMT on OUTPUT): the VP9 decoder's threads go back first. */
	JobRunner av1(V4L2_PIX_FMT_AV1_FRAME, processor, 9);
	ASSERT_TRUE(av1.setOutputBuffers(1, 4096));
	ASSERT_TRUE(av1.setCaptureBuffers(1, kWidth, kHeight, kWidth));
	const unsigned int before = processThreads();
	testing::internal::CaptureStderr();
	EXPECT_EQ(av1.run(std::vector<uint8_t>(100), controls, 0, 0), -EINVAL);
	const std::string log = testing::internal::GetCapturedStderr();
	EXPECT_NE(log.find("OUTPUT format changed from VP9 to AV1"), std::string::npos) << log;
	/* libdav1d got the 3 threads (not 1: they were back in the budget). */
	EXPECT_EQ(processor.threadBudget().left(), 0u);
	EXPECT_LE(processThreads(), before + 1);
}

} /* namespace */
