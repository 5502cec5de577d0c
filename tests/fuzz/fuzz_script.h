/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input of the fuzz targets: a script of messages as the kernel module
 * sends them to the daemon, in a compact form a fuzzer mutates well.
 *
 *   header:  u8 codec (index into kCodecs)
 *   records: u8 op, then by op (op % 5):
 *     0 job:       u8 ctx, u8 src, u8 dst, u32 flags, u64 timestamp,
 *                  u16 width, u16 height, u16 cap_width, u16 cap_height,
 *                  u8 cap_format, u16 stride, u32 src_offset, u32 dst_offset,
 *                  u16 ctrl_count, u32 ctrl_bytes, ctrl_bytes bytes (the
 *                  control area), u32 length, length bytes (the bitstream)
 *     1 reset:     u8 ctx
 *     2 buf_free:  u8 ctx, u8 buffer (0-2 OUTPUT, 3-6 CAPTURE)
 *     3 close:     u8 ctx
 *     4 codec:     u8 codec (index into kCodecs): the OUTPUT format of the
 *                  jobs that follow, in every context (a context that had
 *                  jobs changes codec, as after S_FMT)
 *
 * The u8 ctx picks one of 128 context ids (contextId()): 64-bit, some
 * above 2^32 and near 2^64, as a module that has been loaded long (or with
 * its debug parameter) gives them. cap_format is 0: NV12, 1: P010, anything
 * else: the fourcc 'XXXX' (a format the daemon does not write).
 *
 * Integers are little-endian. A record cut short by the end of the input
 * is read with zeros; sizes are bounded (kMaxCtrlBytes, kMaxBitstream).
 * The seed writer (make_fuzz_seeds) turns what the project's clients make
 * the module send for conformance vectors into such scripts.
 */

#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include <linux/videodev2.h>

namespace daedalus::fuzz {

inline constexpr std::array<uint32_t, 3> kCodecs = {
	V4L2_PIX_FMT_H264_SLICE,
	V4L2_PIX_FMT_VP9_FRAME,
	V4L2_PIX_FMT_AV1_FRAME,
};

inline constexpr uint32_t kMaxCtrlBytes = 64 * 1024;
inline constexpr uint32_t kMaxBitstream = 1024 * 1024;
inline constexpr unsigned int kOutputBuffers = 3;
inline constexpr unsigned int kCaptureBuffers = 4;

enum class Op : uint8_t {
	Job = 0,
	Reset = 1,
	BufFree = 2,
	Close = 3,
	Codec = 4,
};

/* The context id of a script's u8 ctx: 32 ids from each of 4 bases. */
constexpr uint64_t contextId(uint8_t ctx)
{
	constexpr uint64_t kBases[4] = {
		1,
		/* Across 2^32: ids a 32-bit field would truncate onto the low ones. */
		0xfffffff0,
		uint64_t{ 1 } << 40,
		UINT64_MAX - 31,
	};
	return kBases[(ctx >> 5) & 3] + (ctx & 31);
}

/* The index of a context among contextId()'s 128. */
constexpr uint8_t contextIndex(uint8_t ctx)
{
	return ctx & 0x7f;
}

struct JobRecord {
	uint8_t ctx = 0;
	uint8_t src = 0;
	uint8_t dst = 0;
	uint32_t flags = 0;
	uint64_t timestamp = 0;
	uint16_t width = 0;
	uint16_t height = 0;
	uint16_t capWidth = 0;
	uint16_t capHeight = 0;
	/* 0: NV12, 1: P010, anything else: the fourcc 'XXXX' (not written by the daemon). */
	uint8_t capFormat = 0;
	uint16_t stride = 0;
	uint32_t srcOffset = 0;
	uint32_t dstOffset = 0;
	uint16_t ctrlCount = 0;
	std::span<const uint8_t> ctrlArea;
	std::span<const uint8_t> bitstream;
};

struct Record {
	Op op = Op::Job;
	uint8_t ctx = 0;
	uint8_t buffer = 0;
	/* Op::Codec: the fourcc. */
	uint32_t codec = 0;
	JobRecord job;
};

class ScriptReader
{
public:
	explicit ScriptReader(std::span<const uint8_t> data) : data_(data) {}

	/* The codec's fourcc (V4L2_PIX_FMT_*). */
	uint32_t codec();
	/* The next record; false at the end of the input. */
	bool next(Record *record);

private:
	template<typename T> T get();
	std::span<const uint8_t> bytes(uint32_t count);

	std::span<const uint8_t> data_;
	size_t pos_ = 0;
};

class ScriptWriter
{
public:
	explicit ScriptWriter(uint32_t codec);

	void job(const JobRecord &job);
	void op(Op op, uint8_t ctx, uint8_t buffer = 0);
	/* Op::Codec: @codec (a fourcc of kCodecs) from now on. */
	void codec(uint32_t codec);
	/* The records of @other (a whole script, header included), after an Op::Codec of its codec.
	 */
	void append(const std::vector<uint8_t> &other);

	const std::vector<uint8_t> &data() const { return data_; }

private:
	template<typename T> void put(T value);

	std::vector<uint8_t> data_;
};

} /* namespace daedalus::fuzz */
