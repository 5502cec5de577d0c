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

namespace daedalus {

/*
 * One decode job with every number checked: @bitstream lies inside the
 * OUTPUT mapping, @capture inside the CAPTURE mapping and is a consistent
 * NV12 or P010 layout of the CAPTURE format's size. CPU access to both buffers is
 * open while decode() runs.
 */
struct DecodeJob {
	uint32_t ctxId;
	/* The job as the kernel sent it (timestamps, flags, formats). */
	const daedalus_job &params;
	/* The OUTPUT buffer's bytes from plane offset, bytesused long. */
	std::span<const uint8_t> bitstream;
	/* The controls of the job's request. */
	const ControlSet &controls;
	/* Where the picture goes (V4L2_PIX_FMT_NV12 or P010, single plane). */
	CaptureImage capture;
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
	/* Threads per decoder, 0: let the engine choose. */
	unsigned int threads = 0;
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
	int (*create)(uint32_t ctxId, const DecoderConfig &config,
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
