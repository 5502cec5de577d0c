/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The gate in front of a job's CAPTURE buffer.
 *
 * The daemon may write a job's CAPTURE buffer only between a successful
 * DAEDALUS_IOC_BEGIN_WRITE for the job and its DAEDALUS_IOC_COMPLETE: once
 * the module's watchdog or the client has ended the job, the buffer is the
 * client's again and BEGIN_WRITE fails with -ENOENT. The job path makes one
 * WriteGate per job; whoever is about to write the buffer first (a backend's
 * picture writer, the black fill of a failed job) calls open(), and writes
 * nothing unless it returned 0. The gate asks its opener once per job and
 * remembers the answer.
 */

#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace daedalus {

class WriteGate
{
public:
	/* Asks for job @seqno; returns 0 or a negative errno (DaedalusDevice::beginWrite). */
	using Opener = std::function<int(uint64_t seqno)>;

	/* A gate without opener is always open (tests, benchmarks: no module). */
	WriteGate(uint64_t seqno, const Opener *opener) : seqno_(seqno), opener_(opener) {}

	WriteGate(const WriteGate &) = delete;
	WriteGate &operator=(const WriteGate &) = delete;

	/*
	 * Returns 0 when the buffer may be written until the job is answered,
	 * or the negative errno the opener returned (-ENOENT: the job ended,
	 * the buffer must not be touched). Asks the opener on the first call
	 * only.
	 */
	int open()
	{
		if (!status_)
			status_ = opener_ && *opener_ ? (*opener_)(seqno_) : 0;
		return *status_;
	}

	/* Whether open() was called (and what it returned). */
	bool asked() const { return status_.has_value(); }
	bool isOpen() const { return status_ && *status_ == 0; }

	uint64_t seqno() const { return seqno_; }

private:
	uint64_t seqno_;
	const Opener *opener_;
	std::optional<int> status_;
};

} /* namespace daedalus */
