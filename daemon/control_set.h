/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control values of one job: a parsed view of the control area the
 * kernel fills on DAEDALUS_IOC_FETCH (struct daedalus_ctrl records, each
 * followed by its payload, every record 8-byte aligned).
 */

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace daedalus {

class ControlSet
{
public:
	struct Control {
		uint32_t id;
		uint32_t elems;
		std::span<const uint8_t> payload;
	};

	/*
	 * Parse @count records from @area. The area must start at an address
	 * aligned to DAEDALUS_CTRL_ALIGN and be exactly as long as the records
	 * (the padding after the last payload is optional). Returns 0 or
	 * -EINVAL; on error the set is empty. The set points into @area, which
	 * must outlive it.
	 */
	int parse(std::span<const uint8_t> area, uint32_t count);

	void clear() { controls_.clear(); }
	size_t size() const { return controls_.size(); }
	bool empty() const { return controls_.empty(); }
	const std::vector<Control> &controls() const { return controls_; }

	/* The record of control @id, or nullptr. */
	const Control *find(uint32_t id) const;

	/*
	 * The payload of control @id as one T: nullptr when the control is
	 * absent or its payload is not exactly sizeof(T) bytes.
	 */
	template<typename T> const T *get(uint32_t id) const
	{
		const Control *ctrl = find(id);
		if (!ctrl || ctrl->elems != 1 || ctrl->payload.size() != sizeof(T))
			return nullptr;
		return reinterpret_cast<const T *>(ctrl->payload.data());
	}

	/*
	 * The payload of a dynamic-array control @id as elements of T: empty
	 * when the control is absent or its size is not elems * sizeof(T).
	 */
	template<typename T> std::span<const T> getArray(uint32_t id) const
	{
		const Control *ctrl = find(id);
		if (!ctrl || ctrl->payload.size() != size_t{ ctrl->elems } * sizeof(T))
			return {};
		return { reinterpret_cast<const T *>(ctrl->payload.data()), ctrl->elems };
	}

private:
	std::vector<Control> controls_;
};

/*
 * Builds a control area as the kernel lays it out, for tests, benchmarks and
 * anything else that drives the job path in-process.
 */
class ControlAreaBuilder
{
public:
	void add(uint32_t id, const void *payload, uint32_t size, uint32_t elems = 1);

	template<typename T> void add(uint32_t id, const T &value)
	{
		add(id, &value, sizeof(T), 1);
	}

	/* 8-byte aligned storage; the bytes used are bytes(). */
	std::span<const uint8_t> area() const
	{
		return { reinterpret_cast<const uint8_t *>(storage_.data()), bytes_ };
	}
	uint32_t bytes() const { return bytes_; }
	uint32_t count() const { return count_; }

private:
	std::vector<uint64_t> storage_;
	uint32_t bytes_ = 0;
	uint32_t count_ = 0;
};

} /* namespace daedalus */
