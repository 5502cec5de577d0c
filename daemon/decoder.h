/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The codec backend interface and the table that picks a backend for the
 * OUTPUT format of a context.
 *
 * A backend turns the bitstream of one job into one picture written into the
 * job's CAPTURE buffer. Swapping the engine of one codec (FFmpeg, dav1d, a
 * stream rebuilder in front of either) means changing one table entry.
 */

#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include <uapi/daedalus-v4l2.h>

#include "control_set.h"
#include "picture_writer.h"
#include "write_gate.h"

namespace daedalus {

/*
 * One decode job with every number checked: @bitstream lies inside the
 * OUTPUT mapping, @capture inside the CAPTURE mapping and is a consistent
 * NV12 or P010 layout of the CAPTURE format's size. CPU access to both buffers is
 * open while decode() runs; @capture may be written only once @writeGate is
 * open.
 */
struct DecodeJob {
	uint64_t ctxId;
	/* The job as the kernel sent it (timestamps, flags, formats). */
	const daedalus_job &params;
	/* The OUTPUT buffer's bytes from plane offset, bytesused long. */
	std::span<const uint8_t> bitstream;
	/* The controls of the job's request. */
	const ControlSet &controls;
	/* Where the picture goes (V4L2_PIX_FMT_NV12 or P010, single plane). */
	CaptureImage capture;
	/*
	 * Open it right before the first write into capture, and write
	 * nothing unless it returned 0 (its error is then the job's).
	 */
	WriteGate &writeGate;
};

class Decoder
{
public:
	virtual ~Decoder() = default;

	/*
	 * Decode @job and write the picture decoded from its bitstream (shown
	 * or not) into job.capture. Returns 0 or a negative errno; the job then
	 * fails but the decoder stays usable.
	 */
	virtual int decode(const DecodeJob &job) = 0;

	/* Forget references and stream state (DAEDALUS_MSG_CTX_RESET). */
	virtual void reset() = 0;
};

struct DecoderConfig {
	/*
	 * Given to the job path: threads of one context's decoder at most, 0:
	 * one per online CPU. Given to a backend (CodecEntry::create): the
	 * threads the thread budget granted it, at least 1; 1 means none of
	 * its own, the engine decodes on the caller's thread.
	 */
	unsigned int threads = 0;
	/*
	 * Decoder threads of all contexts together at most (the thread
	 * budget, see ThreadBudget), kAutoMaxThreads: twice the online CPUs.
	 * Only the job path reads it.
	 */
	static constexpr int kAutoMaxThreads = -1;
	int maxThreads = kAutoMaxThreads;
};

struct CodecEntry {
	/* V4L2 fourcc of the OUTPUT format (V4L2_PIX_FMT_VP9_FRAME, ...). */
	uint32_t fourcc;
	/* Short name for logs. */
	const char *name;
	/*
	 * Make a decoder for context @ctxId. Returns 0 and sets @decoder, or a
	 * negative errno (after logging why).
	 */
	int (*create)(uint64_t ctxId, const DecoderConfig &config,
		      std::unique_ptr<Decoder> *decoder);
};

/* The daemon's backends, one per supported OUTPUT format. */
std::span<const CodecEntry> defaultCodecTable();

/* The entry of @table for @fourcc, or nullptr. */
const CodecEntry *findCodec(std::span<const CodecEntry> table, uint32_t fourcc);

/* "VP9F" and the like, for logs. */
struct FourccString {
	char str[5];
};
FourccString fourccString(uint32_t fourcc);

} /* namespace daedalus */
