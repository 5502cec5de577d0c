/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the control area parser and the stream rebuilders alone,
 * without the decoding libraries, so that many more inputs run per second
 * than through the whole job path (fuzz_job.cpp). Same scripts.
 *
 * H.264: SPS, PPS and scaling matrix controls to parameter set NAL units.
 * AV1: sequence, frame, tile group entries and film grain to a temporal
 * unit, with the rebuilder's reference slots carried from job to job as in
 * the daemon (reset by a reset or close of the context).
 *
 * Checked beyond the sanitizers: a successful rebuild writes something, a
 * failed one says why.
 */

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <linux/v4l2-controls.h>

#include "av1/av1_rebuilder.h"
#include "control_set.h"
#include "fuzz_script.h"
#include "h264/h264_param_sets.h"

using namespace daedalus;
using namespace daedalus::fuzz;

namespace {

void check(bool condition, const char *what)
{
	if (!condition) {
		fprintf(stderr, "%s\n", what);
		abort();
	}
}

void rebuildH264(const ControlSet &controls)
{
	const auto *sps = controls.get<v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_H264_SPS);
	const auto *pps = controls.get<v4l2_ctrl_h264_pps>(V4L2_CID_STATELESS_H264_PPS);
	const auto *matrix =
		controls.get<v4l2_ctrl_h264_scaling_matrix>(V4L2_CID_STATELESS_H264_SCALING_MATRIX);
	if (!sps || !pps)
		return;

	std::vector<uint8_t> out;
	if (h264::writeParameterSets(*sps, *pps, matrix, &out) == 0)
		check(out.size() >= 8, "H.264: parameter sets written empty");
}

void rebuildAv1(const ControlSet &controls, const JobRecord &job, av1::Av1Rebuilder *rebuilder)
{
	const auto *sequence =
		controls.get<v4l2_ctrl_av1_sequence>(V4L2_CID_STATELESS_AV1_SEQUENCE);
	const auto *frame = controls.get<v4l2_ctrl_av1_frame>(V4L2_CID_STATELESS_AV1_FRAME);
	const auto *grain =
		controls.get<v4l2_ctrl_av1_film_grain>(V4L2_CID_STATELESS_AV1_FILM_GRAIN);
	const auto tiles = controls.getArray<v4l2_ctrl_av1_tile_group_entry>(
		V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY);
	if (!sequence || !frame)
		return;

	std::vector<uint8_t> unit;
	if (rebuilder->rebuild(*sequence, *frame, tiles, grain, job.bitstream, job.timestamp,
			       &unit) == 0)
		check(!unit.empty(), "AV1: temporal unit written empty");
	else
		check(!rebuilder->error().empty(), "AV1: rebuild failed without a reason");
}

} /* namespace */

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ScriptReader script({ data, size });
	const uint32_t codec = script.codec();

	/* The control area starts aligned, as the daemon's FETCH area does. */
	std::vector<uint64_t> area(kMaxCtrlBytes / sizeof(uint64_t));
	auto rebuilder = std::make_unique<av1::Av1Rebuilder>();

	Record record;
	unsigned int records = 0;
	while (script.next(&record) && records++ < 256) {
		if (record.op == Op::Reset || record.op == Op::Close) {
			rebuilder->reset();
			continue;
		}
		if (record.op != Op::Job)
			continue;

		const JobRecord &job = record.job;
		memcpy(area.data(), job.ctrlArea.data(), job.ctrlArea.size());
		ControlSet controls;
		if (controls.parse({ reinterpret_cast<const uint8_t *>(area.data()),
				     job.ctrlArea.size() },
				   job.ctrlCount) < 0)
			continue;

		if (codec == V4L2_PIX_FMT_H264_SLICE)
			rebuildH264(controls);
		else if (codec == V4L2_PIX_FMT_AV1_FRAME)
			rebuildAv1(controls, job, rebuilder.get());
	}
	return 0;
}
