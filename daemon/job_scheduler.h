/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's workers: tasks keyed by context, each context's tasks run in
 * the order they were submitted and one at a time, different contexts' at
 * once on a bounded number of threads.
 *
 * The module hands the daemon the jobs of every context as they come, and
 * several jobs of one context before the first is answered; a context's
 * jobs must be decoded and answered in their order, and its events
 * (CTX_RESET, CTX_CLOSE, BUF_FREE) must not overtake them. A context whose
 * tasks are ready waits at the back of the line after each task, so that
 * with fewer workers than busy contexts every context gets its turn: a 4K
 * stream cannot hold a worker while a small stream's jobs wait.
 */

#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace daedalus {

class JobScheduler
{
public:
	using Task = std::function<void()>;

	/* @workers threads; 0: every task runs at once in submit(), on the caller's thread. */
	explicit JobScheduler(unsigned int workers);
	/* Waits for the running tasks; tasks not started yet are dropped. */
	~JobScheduler();

	JobScheduler(const JobScheduler &) = delete;
	JobScheduler &operator=(const JobScheduler &) = delete;

	/* Run @task after the tasks of @key submitted before it. */
	void submit(uint64_t key, Task task);

	/* Wait until no task is queued or running (tests). */
	void drain();

	unsigned int workers() const { return static_cast<unsigned int>(threads_.size()); }
	/*
	 * What an idle worker does when no task is ready: one worker at a
	 * time calls @hook, which waits for work (the daemon: poll and FETCH)
	 * and submits it; that worker then runs what it submitted, if it can,
	 * while another idle worker takes its place in the hook. The hook must
	 * return soon once wakeAll() has been called. Set before any submit().
	 */
	void setIdleHook(std::function<void()> hook);
	/* Tasks queued or running. */
	size_t pending() const;

private:
	struct Strand {
		std::deque<Task> tasks;
		bool running = false;
	};

	void work();

	mutable std::mutex lock_;
	std::condition_variable wake_;
	std::condition_variable idle_;
	/* Keys with tasks and no worker, in the order they became ready. */
	std::deque<uint64_t> ready_;
	std::map<uint64_t, Strand> strands_;
	size_t pending_ = 0;
	std::function<void()> idleHook_;
	/* A worker is in the idle hook. */
	bool hooked_ = false;
	bool stopping_ = false;
	std::vector<std::thread> threads_;
};

} /* namespace daedalus */
