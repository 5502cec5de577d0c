/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fuzz targets' scripts: reading and writing.
 */

#include "fuzz_script.h"

#include <algorithm>
#include <cstring>

namespace daedalus::fuzz {

template<typename T> T ScriptReader::get()
{
	uint8_t raw[sizeof(T)] = {};
	const size_t n = std::min(sizeof(T), data_.size() - pos_);
	memcpy(raw, data_.data() + pos_, n);
	pos_ += n;

	T value = 0;
	for (size_t i = 0; i < sizeof(T); i++)
		value |= static_cast<T>(static_cast<T>(raw[i]) << (8 * i));
	return value;
}

std::span<const uint8_t> ScriptReader::bytes(uint32_t count)
{
	const size_t n = std::min<size_t>(count, data_.size() - pos_);
	std::span<const uint8_t> out = data_.subspan(pos_, n);
	pos_ += n;
	return out;
}

uint32_t ScriptReader::codec()
{
	pos_ = 0;
	return kCodecs[get<uint8_t>() % kCodecs.size()];
}

bool ScriptReader::next(Record *record)
{
	if (pos_ == 0)
		get<uint8_t>(); /* the header */
	if (pos_ >= data_.size())
		return false;

	*record = {};
	record->op = static_cast<Op>(get<uint8_t>() % 5);
	switch (record->op) {
	case Op::Job: {
		JobRecord &job = record->job;
		job.ctx = get<uint8_t>();
		job.src = get<uint8_t>();
		job.dst = get<uint8_t>();
		job.flags = get<uint32_t>();
		job.timestamp = get<uint64_t>();
		job.width = get<uint16_t>();
		job.height = get<uint16_t>();
		job.capWidth = get<uint16_t>();
		job.capHeight = get<uint16_t>();
		job.capFormat = get<uint8_t>();
		job.stride = get<uint16_t>();
		job.srcOffset = get<uint32_t>();
		job.dstOffset = get<uint32_t>();
		job.ctrlCount = get<uint16_t>();
		job.ctrlArea = bytes(std::min(get<uint32_t>(), kMaxCtrlBytes));
		job.bitstream = bytes(std::min(get<uint32_t>(), kMaxBitstream));
		record->ctx = job.ctx;
		break;
	}
	case Op::BufFree:
		record->ctx = get<uint8_t>();
		record->buffer = get<uint8_t>();
		break;
	case Op::Reset:
	case Op::Close:
		record->ctx = get<uint8_t>();
		break;
	case Op::Codec:
		record->codec = kCodecs[get<uint8_t>() % kCodecs.size()];
		break;
	}
	return true;
}

namespace {

uint8_t codecIndex(uint32_t codec)
{
	const auto it = std::find(kCodecs.begin(), kCodecs.end(), codec);
	return it == kCodecs.end() ? 0 : it - kCodecs.begin();
}

} /* namespace */

ScriptWriter::ScriptWriter(uint32_t codec)
{
	put<uint8_t>(codecIndex(codec));
}

void ScriptWriter::codec(uint32_t codec)
{
	put<uint8_t>(static_cast<uint8_t>(Op::Codec));
	put<uint8_t>(codecIndex(codec));
}

void ScriptWriter::append(const std::vector<uint8_t> &other)
{
	if (other.empty())
		return;
	put<uint8_t>(static_cast<uint8_t>(Op::Codec));
	put<uint8_t>(other[0] % kCodecs.size());
	data_.insert(data_.end(), other.begin() + 1, other.end());
}

template<typename T> void ScriptWriter::put(T value)
{
	for (size_t i = 0; i < sizeof(T); i++)
		data_.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void ScriptWriter::job(const JobRecord &job)
{
	put<uint8_t>(static_cast<uint8_t>(Op::Job));
	put<uint8_t>(job.ctx);
	put<uint8_t>(job.src);
	put<uint8_t>(job.dst);
	put<uint32_t>(job.flags);
	put<uint64_t>(job.timestamp);
	put<uint16_t>(job.width);
	put<uint16_t>(job.height);
	put<uint16_t>(job.capWidth);
	put<uint16_t>(job.capHeight);
	put<uint8_t>(job.capFormat);
	put<uint16_t>(job.stride);
	put<uint32_t>(job.srcOffset);
	put<uint32_t>(job.dstOffset);
	put<uint16_t>(job.ctrlCount);
	put<uint32_t>(job.ctrlArea.size());
	data_.insert(data_.end(), job.ctrlArea.begin(), job.ctrlArea.end());
	put<uint32_t>(job.bitstream.size());
	data_.insert(data_.end(), job.bitstream.begin(), job.bitstream.end());
}

void ScriptWriter::op(Op op, uint8_t ctx, uint8_t buffer)
{
	put<uint8_t>(static_cast<uint8_t>(op));
	put<uint8_t>(ctx);
	if (op == Op::BufFree)
		put<uint8_t>(buffer);
}

} /* namespace daedalus::fuzz */
