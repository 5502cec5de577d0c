/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UniqueFD: the single owner of a file descriptor, for the daemon, the client
 * library (tools/client) and the tests alike.
 */

#pragma once

#include <unistd.h>
#include <utility>

namespace daedalus {

class UniqueFD
{
public:
	UniqueFD() = default;
	explicit UniqueFD(int fd) : fd_(fd) {}
	~UniqueFD() { reset(); }

	UniqueFD(const UniqueFD &) = delete;
	UniqueFD &operator=(const UniqueFD &) = delete;

	UniqueFD(UniqueFD &&other) noexcept : fd_(other.release()) {}
	UniqueFD &operator=(UniqueFD &&other) noexcept
	{
		reset(other.release());
		return *this;
	}

	int get() const { return fd_; }
	bool isValid() const { return fd_ >= 0; }

	/* Give up ownership without closing. */
	[[nodiscard]] int release() { return std::exchange(fd_, -1); }

	/* Close the current descriptor (if any) and own @fd instead. */
	void reset(int fd = -1)
	{
		const int old = std::exchange(fd_, fd);
		if (old >= 0)
			::close(old);
	}

private:
	int fd_ = -1;
};

} /* namespace daedalus */
