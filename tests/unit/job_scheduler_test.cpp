/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's workers (JobScheduler): each key's tasks in order and one at
 * a time, different keys at once, never more threads than asked, every
 * busy key in turn, and a clean end.
 */

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "job_scheduler.h"

using namespace daedalus;
using namespace std::chrono_literals;

namespace {

/* A one-shot event with a bounded wait, so that a failing test cannot hang. */
class Event
{
public:
	void set()
	{
		std::lock_guard<std::mutex> locker(lock_);
		set_ = true;
		cond_.notify_all();
	}
	bool wait(std::chrono::milliseconds timeout = 10s)
	{
		std::unique_lock<std::mutex> locker(lock_);
		return cond_.wait_for(locker, timeout, [this] { return set_; });
	}

private:
	std::mutex lock_;
	std::condition_variable cond_;
	bool set_ = false;
};

TEST(JobScheduler, EachKeysTasksInOrderOneAtATime)
{
	constexpr unsigned int kKeys = 3;
	constexpr unsigned int kTasks = 500;
	std::vector<unsigned int> order[kKeys];
	std::atomic<int> running[kKeys] = {};
	std::atomic<bool> overlap = false;

	{
		JobScheduler scheduler(4);
		EXPECT_EQ(scheduler.workers(), 4u);
		for (unsigned int i = 0; i < kTasks; i++) {
			for (unsigned int k = 0; k < kKeys; k++) {
				scheduler.submit(k, [&, i, k] {
					if (running[k]++ != 0)
						overlap = true;
					/* Unsynchronised on purpose: a key's tasks never overlap.
					 */
					order[k].push_back(i);
					running[k]--;
				});
			}
		}
		scheduler.drain();
		EXPECT_EQ(scheduler.pending(), 0u);
	}

	EXPECT_FALSE(overlap);
	for (unsigned int k = 0; k < kKeys; k++) {
		ASSERT_EQ(order[k].size(), kTasks);
		for (unsigned int i = 0; i < kTasks; i++)
			ASSERT_EQ(order[k][i], i) << "key " << k;
	}
}

TEST(JobScheduler, DifferentKeysRunAtOnce)
{
	JobScheduler scheduler(2);
	Event aStarted, bStarted;
	std::atomic<bool> aSawB = false, bSawA = false;

	/* Each task waits for the other to have started: only at once can both see it. */
	scheduler.submit(1, [&] {
		aStarted.set();
		aSawB = bStarted.wait();
	});
	scheduler.submit(2, [&] {
		bStarted.set();
		bSawA = aStarted.wait();
	});
	scheduler.drain();
	EXPECT_TRUE(aSawB);
	EXPECT_TRUE(bSawA);
}

TEST(JobScheduler, NeverMoreThanItsWorkers)
{
	constexpr unsigned int kWorkers = 2;
	std::atomic<unsigned int> now = 0, most = 0;

	JobScheduler scheduler(kWorkers);
	for (unsigned int k = 0; k < 8; k++) {
		for (unsigned int i = 0; i < 3; i++) {
			scheduler.submit(k, [&] {
				unsigned int n = ++now;
				unsigned int seen = most.load();
				while (n > seen && !most.compare_exchange_weak(seen, n))
					;
				std::this_thread::sleep_for(5ms);
				now--;
			});
		}
	}
	scheduler.drain();
	EXPECT_LE(most.load(), kWorkers);
	EXPECT_EQ(most.load(), kWorkers) << "the workers never ran together";
}

TEST(JobScheduler, BusyKeysTakeTurns)
{
	/* One worker: a key with many tasks queued does not hold it. */
	JobScheduler scheduler(1);
	Event firstRunning, bQueued;
	std::mutex lock;
	std::vector<char> order;
	auto record = [&](char c) {
		std::lock_guard<std::mutex> locker(lock);
		order.push_back(c);
	};

	scheduler.submit(1, [&] {
		firstRunning.set();
		bQueued.wait();
		record('a');
	});
	for (int i = 0; i < 5; i++)
		scheduler.submit(1, [&] { record('a'); });
	ASSERT_TRUE(firstRunning.wait());
	scheduler.submit(2, [&] { record('b'); });
	bQueued.set();
	scheduler.drain();

	ASSERT_EQ(order.size(), 7u);
	EXPECT_EQ(order[0], 'a');
	EXPECT_EQ(order[1], 'b') << "the second key waited for the first one's queue";
}

TEST(JobScheduler, NoWorkersRunsInSubmit)
{
	JobScheduler scheduler(0);
	EXPECT_EQ(scheduler.workers(), 0u);
	std::thread::id ran;
	scheduler.submit(5, [&] { ran = std::this_thread::get_id(); });
	EXPECT_EQ(ran, std::this_thread::get_id());
	EXPECT_EQ(scheduler.pending(), 0u);
}

TEST(JobScheduler, IdleWorkerFetchesAndRunsWhatItFetched)
{
	/* The daemon's way: an idle worker waits for work in the hook, then runs it itself. */
	constexpr int kTasks = 50;
	std::mutex lock;
	int fetched = 0, sameThread = 0, ran = 0, inHook = 0, mostInHook = 0;
	Event done;
	thread_local std::thread::id fetcher;

	JobScheduler scheduler(3);
	scheduler.setIdleHook([&] {
		std::unique_lock<std::mutex> locker(lock);
		mostInHook = std::max(mostInHook, ++inHook);
		int n = fetched < kTasks ? ++fetched : 0;
		locker.unlock();
		if (n) {
			fetcher = std::this_thread::get_id();
			scheduler.submit(n, [&] {
				std::lock_guard<std::mutex> l(lock);
				sameThread += fetcher == std::this_thread::get_id();
				if (++ran == kTasks)
					done.set();
			});
		} else {
			std::this_thread::sleep_for(1ms);
		}
		locker.lock();
		inHook--;
	});
	ASSERT_TRUE(done.wait());
	scheduler.drain();
	std::lock_guard<std::mutex> locker(lock);
	EXPECT_EQ(ran, kTasks);
	EXPECT_EQ(sameThread, kTasks) << "a fetched task was handed to another worker";
	EXPECT_EQ(mostInHook, 1) << "two workers waited for work at once";
}

TEST(JobScheduler, EndWaitsForRunningAndDropsTheRest)
{
	std::atomic<bool> firstDone = false, secondRan = false;
	Event started;
	auto held = std::make_shared<int>(0);
	{
		JobScheduler scheduler(1);
		scheduler.submit(1, [&] {
			started.set();
			std::this_thread::sleep_for(50ms);
			firstDone = true;
		});
		scheduler.submit(1, [&, held] { secondRan = true; });
		ASSERT_TRUE(started.wait());
	}
	EXPECT_TRUE(firstDone);
	EXPECT_FALSE(secondRan);
	/* The dropped task's captures were released. */
	EXPECT_EQ(held.use_count(), 1);
}

} /* namespace */
