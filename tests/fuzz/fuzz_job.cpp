/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the daemon's whole job path (message checks, buffer import,
 * control parsing, the stream rebuilders, libavcodec/libdav1d, the picture
 * writer) on scripts of messages (fuzz_script.h) as the module sends them.
 *
 * The module is trusted for what it knows for certain: every plane's fd is
 * a buffer of the given length (memfds here). Everything else in the
 * messages comes from the input: sizes, offsets, strides, formats, flags,
 * timestamps, the control records and the bitstream.
 *
 * Checked beyond the sanitizers: every job gets an answer with its seqno,
 * and no file descriptor outlives the input (the processor owns the fds of
 * every message and must close them, whatever happens to the job). The
 * write gate (BEGIN_WRITE) is asked at most once per job; a job with flag
 * bit 31 set has ended in the module meanwhile: its gate refuses (-ENOENT),
 * the job's answer must be that error and its CAPTURE bytes (the first
 * 64 KiB of its plane) untouched.
 */

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <linux/videodev2.h>
#include <memory>
#include <vector>

#include "fuzz_script.h"
#include "job_processor.h"
#include "picture_writer.h"
#include "test_buffers.h"

using namespace daedalus;
using namespace daedalus::fuzz;

namespace {

/*
 * OUTPUT buffers hold a bitstream; CAPTURE buffers up to the largest CAPTURE
 * format the module allows, 4096x2304, in P010 (memfds: only the pages a job
 * touches are allocated).
 */
constexpr size_t kOutputSize = kMaxBitstream + 64 * 1024;
constexpr size_t kCaptureSize = nv12Size(2 * 4096, 2304);

struct Buffers {
	std::vector<std::unique_ptr<test::MemfdBuffer>> output;
	std::vector<std::unique_ptr<test::MemfdBuffer>> capture;
	unsigned int fdsAtRest = 0;
};

Buffers *buffers()
{
	static Buffers *b = [] {
		auto *all = new Buffers;
		for (unsigned int i = 0; i < kOutputBuffers; i++)
			all->output.push_back(std::make_unique<test::MemfdBuffer>(kOutputSize));
		for (unsigned int i = 0; i < kCaptureBuffers; i++)
			all->capture.push_back(std::make_unique<test::MemfdBuffer>(kCaptureSize));
		all->fdsAtRest = test::openFdCount();
		return all;
	}();
	return b;
}

/* Buffer ids as the module gives them: per context, OUTPUT then CAPTURE. */
uint64_t bufferId(uint8_t ctx, unsigned int index)
{
	return uint64_t{ contextIndex(ctx) } * 16 + index + 1;
}

uint32_t captureFourcc(uint8_t format)
{
	switch (format) {
	case 0:
		return V4L2_PIX_FMT_NV12;
	case 1:
		return V4L2_PIX_FMT_P010;
	default:
		return v4l2_fourcc('X', 'X', 'X', 'X');
	}
}

daedalus_msg jobMessage(uint32_t codec, uint64_t seqno, const JobRecord &rec, Buffers *all)
{
	const uint8_t ctx = rec.ctx;
	const unsigned int src = rec.src % kOutputBuffers;
	const unsigned int dst = rec.dst % kCaptureBuffers;
	test::MemfdBuffer &out = *all->output[src];
	test::MemfdBuffer &cap = *all->capture[dst];

	/* The bitstream at its offset, where it fits (the processor checks). */
	const uint32_t srcOffset = rec.srcOffset % kOutputSize;
	if (srcOffset + rec.bitstream.size() <= out.size())
		memcpy(out.data().data() + srcOffset, rec.bitstream.data(), rec.bitstream.size());

	const uint32_t dstOffset = rec.dstOffset % kCaptureSize;
	const uint64_t picture = nv12Size(rec.stride, rec.capHeight);
	const uint32_t dstBytes =
		static_cast<uint32_t>(std::min<uint64_t>(picture, kCaptureSize - dstOffset));

	test::JobParams params;
	params.seqno = seqno;
	params.ctxId = contextId(ctx);
	params.codec = codec;
	params.capFourcc = captureFourcc(rec.capFormat);
	params.capWidth = rec.capWidth;
	params.capHeight = rec.capHeight;
	params.timestamp = rec.timestamp;
	params.flags = rec.flags;

	daedalus_msg msg = test::makeJobMessage(
		params,
		test::makeBuffer(bufferId(ctx, src), src, out.dupFd(), out.size(),
				 rec.bitstream.size(), srcOffset),
		test::makeBuffer(bufferId(ctx, kOutputBuffers + dst), dst, cap.dupFd(), cap.size(),
				 dstBytes, dstOffset, rec.stride),
		nullptr);
	msg.job.width = rec.width;
	msg.job.height = rec.height;
	msg.job.ctrl_count = rec.ctrlCount;
	msg.job.ctrl_bytes = rec.ctrlArea.size();
	return msg;
}

} /* namespace */

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Buffers *all = buffers();
	ScriptReader script({ data, size });
	uint32_t codec = script.codec();

	/* The control area starts aligned, as the daemon's FETCH area does. */
	std::vector<uint64_t> area(kMaxCtrlBytes / sizeof(uint64_t));

	{
		JobProcessor processor(DecoderConfig{ 1 });
		/* The job being run: whether its gate refuses, how often it was asked. */
		bool refuse = false;
		unsigned int asked = 0;
		processor.setWriteGateOpener([&](uint64_t) {
			asked++;
			return refuse ? -ENOENT : 0;
		});
		Record record;
		uint64_t seqno = 0;
		unsigned int records = 0;
		while (script.next(&record) && records++ < 64) {
			const uint64_t ctx = contextId(record.ctx);
			daedalus_result result;
			switch (record.op) {
			case Op::Job: {
				daedalus_msg msg = jobMessage(codec, ++seqno, record.job, all);
				memcpy(area.data(), record.job.ctrlArea.data(),
				       record.job.ctrlArea.size());
				std::span<const uint8_t> ctrl(
					reinterpret_cast<const uint8_t *>(area.data()),
					record.job.ctrlArea.size());

				refuse = record.job.flags & (1u << 31);
				asked = 0;
				const daedalus_plane &plane = msg.job.dst.planes[0];
				std::span<const uint8_t> dst =
					all->capture[record.job.dst % kCaptureBuffers]
						->data()
						.subspan(plane.offset,
							 std::min<size_t>(plane.bytesused,
									  64 * 1024));
				std::vector<uint8_t> before;
				if (refuse)
					before.assign(dst.begin(), dst.end());

				if (!processor.handleMessage(msg, ctrl, &result) ||
				    result.seqno != seqno) {
					fprintf(stderr, "job %llu: no answer with its seqno\n",
						static_cast<unsigned long long>(seqno));
					abort();
				}
				if (asked > 1 || (refuse && asked && result.status != -ENOENT) ||
				    (refuse &&
				     !std::equal(before.begin(), before.end(), dst.begin()))) {
					fprintf(stderr,
						"job %llu: write gate asked %u times, status %d, "
						"CAPTURE %s\n",
						static_cast<unsigned long long>(seqno), asked,
						result.status,
						refuse ? "written behind a refused gate" : "ok");
					abort();
				}
				break;
			}
			case Op::Reset:
				processor.handleMessage(test::makeMessage(DAEDALUS_MSG_CTX_RESET,
									  ctx),
							{}, &result);
				break;
			case Op::BufFree:
				processor.handleMessage(
					test::makeMessage(
						DAEDALUS_MSG_BUF_FREE, ctx,
						bufferId(record.ctx,
							 record.buffer % (kOutputBuffers +
									  kCaptureBuffers))),
					{}, &result);
				break;
			case Op::Close:
				processor.handleMessage(test::makeMessage(DAEDALUS_MSG_CTX_CLOSE,
									  ctx),
							{}, &result);
				break;
			case Op::Codec:
				codec = record.codec;
				break;
			}
		}
	}

	if (test::openFdCount() != all->fdsAtRest) {
		fprintf(stderr, "file descriptors leaked: %u open, %u before\n",
			test::openFdCount(), all->fdsAtRest);
		abort();
	}
	return 0;
}
