/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's workers.
 */

#include "job_scheduler.h"

#include <system_error>
#include <utility>

namespace daedalus {

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
		/* A strand is in ready_ exactly when it has tasks and no worker. */
		if (!strand.running && strand.tasks.size() == 1)
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
			idleHook_();
			locker.lock();
			hooked_ = false;
			/* This worker runs what it brought; another one takes the hook. */
			wake_.notify_one();
			continue;
		}

		uint64_t key = ready_.front();
		ready_.pop_front();
		Strand &strand = strands_[key];
		Task task = std::move(strand.tasks.front());
		strand.tasks.pop_front();
		strand.running = true;
		running_++;

		locker.unlock();
		task();
		/* Whatever the task held goes before the next one of its key. */
		task = nullptr;
		locker.lock();

		/* std::map references stay valid while other keys come and go. */
		strand.running = false;
		running_--;
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
