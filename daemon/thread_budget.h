/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon-wide bound on decoder threads.
 *
 * Each context's decoder gets its threads from one budget (--max-threads,
 * default twice the online CPUs): at most min(per-context cap, what is
 * left), at least 1. A decoder of 1 thread starts none of its own (it
 * decodes on the daemon's thread: libavcodec thread_count 1, libdav1d
 * n_threads 1) and costs nothing; a decoder of N > 1 threads costs N, an
 * upper bound of what the engines start (libavcodec slice threading N - 1
 * workers, libdav1d N). The threads go back to the budget when the
 * decoder is destroyed, so that the daemon never runs more than
 * 1 + budget threads, however many contexts are open.
 *
 * The daemon's workers (JobScheduler) create and destroy decoders at
 * once: the budget is locked.
 */

#pragma once

#include <algorithm>
#include <mutex>
#include <utility>

namespace daedalus {

class ThreadBudget;

/* The threads granted to one decoder; gives them back when destroyed. */
class ThreadGrant
{
public:
	ThreadGrant() = default;
	~ThreadGrant() { release(); }

	ThreadGrant(const ThreadGrant &) = delete;
	ThreadGrant &operator=(const ThreadGrant &) = delete;
	ThreadGrant(ThreadGrant &&other) noexcept
		: budget_(std::exchange(other.budget_, nullptr)),
		  threads_(std::exchange(other.threads_, 1))
	{
	}
	ThreadGrant &operator=(ThreadGrant &&other) noexcept
	{
		if (this != &other) {
			release();
			budget_ = std::exchange(other.budget_, nullptr);
			threads_ = std::exchange(other.threads_, 1);
		}
		return *this;
	}

	/* Threads the decoder may run, at least 1 (1: none of its own). */
	unsigned int threads() const { return threads_; }

	/* Give the threads back now. */
	inline void release();

private:
	friend class ThreadBudget;
	ThreadGrant(ThreadBudget *budget, unsigned int threads) : budget_(budget), threads_(threads)
	{
	}

	ThreadBudget *budget_ = nullptr;
	unsigned int threads_ = 1;
};

class ThreadBudget
{
public:
	explicit ThreadBudget(unsigned int total) : total_(total), left_(total) {}

	ThreadBudget(const ThreadBudget &) = delete;
	ThreadBudget &operator=(const ThreadBudget &) = delete;

	/* min(@wanted, left), at least 1; only a grant of more than 1 is charged. */
	ThreadGrant acquire(unsigned int wanted)
	{
		std::lock_guard<std::mutex> locker(lock_);
		unsigned int threads = std::max(1u, std::min(wanted, left_));
		if (threads == 1)
			return ThreadGrant(nullptr, 1);
		left_ -= threads;
		return ThreadGrant(this, threads);
	}

	unsigned int total() const { return total_; }
	unsigned int left() const
	{
		std::lock_guard<std::mutex> locker(lock_);
		return left_;
	}

private:
	friend class ThreadGrant;
	void giveBack(unsigned int threads)
	{
		std::lock_guard<std::mutex> locker(lock_);
		left_ += threads;
	}

	mutable std::mutex lock_;
	unsigned int total_;
	unsigned int left_;
};

void ThreadGrant::release()
{
	if (budget_)
		budget_->giveBack(threads_);
	budget_ = nullptr;
	threads_ = 1;
}

/* Online CPUs (sysconf(_SC_NPROCESSORS_ONLN)), at least 1. */
unsigned int onlineCpus();

} /* namespace daedalus */
