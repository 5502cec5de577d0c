/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parsing of the control area.
 */

#include "control_set.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <uapi/daedalus-v4l2.h>

namespace daedalus {

namespace {

constexpr size_t alignUp(size_t value)
{
	return (value + DAEDALUS_CTRL_ALIGN - 1) & ~size_t{ DAEDALUS_CTRL_ALIGN - 1 };
}

} /* namespace */

int ControlSet::parse(std::span<const uint8_t> area, uint32_t count)
{
	controls_.clear();

	if (reinterpret_cast<uintptr_t>(area.data()) % DAEDALUS_CTRL_ALIGN)
		return -EINVAL;
	/* Each record needs at least its header: reject absurd counts early. */
	if (count > area.size() / sizeof(daedalus_ctrl))
		return -EINVAL;

	controls_.reserve(count);

	size_t offset = 0;
	for (uint32_t i = 0; i < count; i++) {
		if (area.size() - offset < sizeof(daedalus_ctrl))
			goto invalid;

		daedalus_ctrl header;
		memcpy(&header, area.data() + offset, sizeof(header));
		offset += sizeof(header);

		if (header.size > area.size() - offset)
			goto invalid;
		if (header.reserved != 0)
			goto invalid;
		/* The payload is a whole number of elements. */
		if (header.elems ? header.size % header.elems : header.size)
			goto invalid;
		if (find(header.id))
			goto invalid;

		controls_.push_back({ header.id, header.elems, area.subspan(offset, header.size) });

		offset += header.size;
		/* The last record's padding may be left out. */
		offset = std::min(alignUp(offset), area.size());
	}

	if (offset != area.size())
		goto invalid;

	return 0;

invalid:
	controls_.clear();
	return -EINVAL;
}

const ControlSet::Control *ControlSet::find(uint32_t id) const
{
	for (const Control &ctrl : controls_) {
		if (ctrl.id == id)
			return &ctrl;
	}
	return nullptr;
}

void ControlAreaBuilder::add(uint32_t id, const void *payload, uint32_t size, uint32_t elems)
{
	size_t start = bytes_;
	size_t end = alignUp(start + sizeof(daedalus_ctrl) + size);
	storage_.resize(end / sizeof(uint64_t), 0);

	uint8_t *base = reinterpret_cast<uint8_t *>(storage_.data());
	daedalus_ctrl header = { id, size, elems, 0 };
	memcpy(base + start, &header, sizeof(header));
	if (size)
		memcpy(base + start + sizeof(header), payload, size);

	bytes_ = end;
	count_++;
}

} /* namespace daedalus */
