/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The other side: the client library's client (Chromium's way by default)
 * on a DecodeDevice, timing only the device's decode(): the daemon's job
 * path in-process (JobRunnerDevice: the module stand-in, memfd buffers)
 * or a V4L2 node. The client's own work (parsing, controls, the I420
 * conversion and md5 of what it shows) is outside the clock: an
 * application does it, or its like, whichever decoder it uses.
 */

#pragma once

#include <memory>
#include <string>

#include "bench_input.h"
#include "client.h"
#include "decode_device.h"
#include "decoder.h"
#include "plain_decoder.h"

namespace daedalus::bench {

struct JobTiming : Timing {
	unsigned int jobs = 0;
	/*
	 * In-process only: the time and memory calls of the daemon's part of
	 * each job (JobProcessor::handleMessage), without the module stand-in.
	 */
	double daemonSeconds = 0;
	AllocCounts daemonCounts;
	/* In-process only: the buffers the daemon mapped (each once). */
	size_t mappedBuffers = 0;
};

/*
 * Decode @clip in-process through the daemon's job path. With @companion,
 * run one packet of that plain loop after each job (outside the job's
 * time), and the rest at the end. With @traceJob, print a backtrace of each
 * allocation of that job's daemon part (counted from 1).
 */
JobTiming jobPathDecode(const Clip &clip, client::ClientStyle style, const DecoderConfig &config,
			PlainLoop *companion = nullptr, unsigned int traceJob = 0);

/*
 * Decode @clip through the V4L2 node @device (empty: the first stateless
 * decoder offering the codec). With @hold, the stream stays open (buffers
 * allocated, the daemon's context alive) until stdin ends.
 */
JobTiming nodeDecode(const Clip &clip, client::ClientStyle style, const std::string &device,
		     bool hold);

} /* namespace daedalus::bench */
