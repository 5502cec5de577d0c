/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's workers.
 */

#include "job_scheduler.h"

#include <system_error>
#include <utility>

namespace daedalus {

namespace {

/*
 * This thread is a worker in the idle hook: the first key it submits that
 * no worker runs is kept for it (not put in the ready line), so that it
 * runs that task itself once the hook returns, with no hand-over.
 */
thread_local bool inIdleHook = false;
thread_local bool hasHandoff = false;
thread_local uint64_t handoffKey = 0;

} /* namespace */

JobScheduler::JobScheduler(unsigned int workers)
{
	threads_.reserve(workers);
	for (unsigned int i = 0; i < workers; i++) {
		try {
			threads_.emplace_back([this] { work(); });
		} catch (const std::system_error &) {
			/* Out of threads (TasksMax): the daemon goes on with fewer. */
			if (threads_.empty())
				throw;
			break;
		}
	}
}

JobScheduler::~JobScheduler()
{
	{
		std::lock_guard<std::mutex> locker(lock_);
		stopping_ = true;
	}
	/* A worker in the idle hook comes back once the hook's owner has woken it. */
	wake_.notify_all();
	for (std::thread &thread : threads_)
		thread.join();
}

void JobScheduler::submit(uint64_t key, Task task)
{
	if (threads_.empty()) {
		task();
		return;
	}

	{
		std::lock_guard<std::mutex> locker(lock_);
		Strand &strand = strands_[key];
		strand.tasks.push_back(std::move(task));
		pending_++;
		/*
		 * A strand is in ready_ exactly when it has tasks and no worker,
		 * but for the one kept for the worker in the hook.
		 */
		if (strand.running || strand.tasks.size() != 1)
			return;
		if (inIdleHook && !hasHandoff) {
			hasHandoff = true;
			handoffKey = key;
			return;
		}
		ready_.push_back(key);
	}
	wake_.notify_one();
}

void JobScheduler::drain()
{
	std::unique_lock<std::mutex> locker(lock_);
	idle_.wait(locker, [this] { return pending_ == 0; });
}

void JobScheduler::setIdleHook(std::function<void()> hook)
{
	{
		std::lock_guard<std::mutex> locker(lock_);
		idleHook_ = std::move(hook);
	}
	wake_.notify_all();
}

size_t JobScheduler::pending() const
{
	std::lock_guard<std::mutex> locker(lock_);
	return pending_;
}

void JobScheduler::work()
{
	std::unique_lock<std::mutex> locker(lock_);
	for (;;) {
		wake_.wait(locker, [this] {
			return stopping_ || !ready_.empty() || (idleHook_ && !hooked_);
		});
		if (stopping_)
			return;

		if (ready_.empty()) {
			/* Nothing to run: wait for work in the hook, one worker at a time. */
			hooked_ = true;
			locker.unlock();
			inIdleHook = true;
			idleHook_();
			inIdleHook = false;
			locker.lock();
			hooked_ = false;
			/* Another worker takes the hook; this one runs what it brought. */
			wake_.notify_one();
			if (!hasHandoff)
				continue;
		}

		uint64_t key;
		if (hasHandoff) {
			key = handoffKey;
			hasHandoff = false;
		} else {
			key = ready_.front();
			ready_.pop_front();
		}
		Strand &strand = strands_[key];
		Task task = std::move(strand.tasks.front());
		strand.tasks.pop_front();
		strand.running = true;

		locker.unlock();
		task();
		/* Whatever the task held goes before the next one of its key. */
		task = nullptr;
		locker.lock();

		/* std::map references stay valid while other keys come and go. */
		strand.running = false;
		if (!strand.tasks.empty())
			ready_.push_back(key);
		else
			strands_.erase(key);
		if (--pending_ == 0)
			idle_.notify_all();
		if (!ready_.empty())
			wake_.notify_one();
	}
}

} /* namespace daedalus */
