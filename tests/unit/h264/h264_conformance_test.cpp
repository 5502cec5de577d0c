/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Round trip of every SPS and PPS of the JVT H.264 conformance streams:
 * GStreamer's parser parses the original, the controls are filled the way
 * GStreamer's v4l2slh264dec fills them, the rebuilder writes new NAL units,
 * GStreamer parses those, and every decoding-relevant field must match,
 * including the effective scaling lists after the fall-back rules.
 *
 * The streams are looked up in $DAEDALUS_VECTORS (default: shared/vectors
 * next to the repository), in resources/JVT-AVC_V1 and resources/JVT-FR-EXT.
 */

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "conformance_streams.h"
#include "gst_h264_support.h"
#include "h264/h264_param_sets.h"

namespace fs = std::filesystem;

namespace daedalus::h264::test {
namespace {

struct Stats {
	unsigned int streams = 0;
	unsigned int sps = 0;
	unsigned int pps = 0;
	std::set<std::vector<uint8_t>> distinctSps;
	std::set<std::vector<uint8_t>> distinctPps;
	unsigned int ppsWithFmo = 0;
	unsigned int ppsWithMatrix = 0;
	unsigned int ppsWithSpsMatrix = 0;
	unsigned int ppsWithTransform8x8 = 0;
	unsigned int spsWithCropping = 0;
	unsigned int spsWithVui = 0;
	unsigned int spsHigh = 0;
	unsigned int spsInterlaced = 0;
	unsigned int spsPocType1 = 0;
	unsigned int parseFailures = 0;
	unsigned int skippedUnits = 0;
};

bool isFlat(const GstH264PPS &pps)
{
	for (const auto &list : pps.scaling_lists_4x4)
		if (std::any_of(std::begin(list), std::end(list), [](guint8 v) { return v != 16; }))
			return false;
	if (pps.transform_8x8_mode_flag) {
		const unsigned int n = pps.sequence->chroma_format_idc == 3 ? 6 : 2;
		for (unsigned int i = 0; i < n; i++)
			if (std::any_of(std::begin(pps.scaling_lists_8x8[i]),
					std::end(pps.scaling_lists_8x8[i]),
					[](guint8 v) { return v != 16; }))
				return false;
	}
	return true;
}

void roundTripSps(const GstH264SPS &orig, const std::string &what)
{
	std::vector<uint8_t> out;
	ASSERT_EQ(writeSps(fillSps(orig), &out), 0) << what;

	GstH264SPS rebuilt;
	if (!parseRebuilt(out, &rebuilt, nullptr)) {
		ADD_FAILURE() << what << ": rebuilt SPS does not parse";
		return;
	}
	expectSameSps(orig, rebuilt, what);
	gst_h264_sps_clear(&rebuilt);
}

/* Returns false if the PPS cannot be rebuilt on purpose (slice groups). */
bool roundTripPps(const GstH264PPS &orig, const std::string &what)
{
	const Controls c = fillControls(orig);
	std::vector<uint8_t> out;
	const int ret = writeParameterSets(c.sps, c.pps, c.hasMatrix ? &c.matrix : nullptr, &out);

	if (orig.num_slice_groups_minus1 > 0) {
		EXPECT_EQ(ret, -EOPNOTSUPP) << what << ": slice groups";
		return false;
	}
	EXPECT_EQ(ret, 0) << what;
	if (ret)
		return true;

	GstH264SPS sps;
	GstH264PPS pps;
	if (!parseRebuilt(out, &sps, &pps)) {
		ADD_FAILURE() << what << ": rebuilt SPS/PPS do not parse";
		return true;
	}
	expectSameSps(*orig.sequence, sps, what + " (SPS)");
	expectSamePps(orig, pps, what);
	gst_h264_pps_clear(&pps);
	gst_h264_sps_clear(&sps);
	return true;
}

void roundTripStream(const fs::path &path, Stats *stats)
{
	std::vector<uint8_t> data;
	readFile(path, &data);
	const std::string name = path.filename().string();
	GstParser parser;
	unsigned int nSps = 0, nPps = 0;

	for (GstH264NalUnit &nalu : splitNalUnits(parser.get(), data)) {
		const std::vector<uint8_t> bytes(data.begin() + nalu.offset,
						 data.begin() + nalu.offset + nalu.size);

		if (nalu.type == GST_H264_NAL_SPS) {
			GstH264SPS sps;
			if (gst_h264_parser_parse_sps(parser.get(), &nalu, &sps) !=
			    GST_H264_PARSER_OK) {
				stats->parseFailures++;
				continue;
			}
			const std::string what = name + " SPS #" + std::to_string(nSps++);
			roundTripSps(sps, what);
			stats->sps++;
			stats->distinctSps.insert(bytes);
			stats->spsWithCropping += sps.frame_cropping_flag;
			stats->spsWithVui += sps.vui_parameters_present_flag;
			stats->spsHigh += sps.profile_idc >= 100;
			stats->spsInterlaced += !sps.frame_mbs_only_flag;
			stats->spsPocType1 += sps.pic_order_cnt_type == 1;
			EXPECT_EQ(gst_h264_parser_update_sps(parser.get(), &sps),
				  GST_H264_PARSER_OK);
			gst_h264_sps_clear(&sps);
		} else if (nalu.type == GST_H264_NAL_PPS) {
			GstH264PPS pps;
			if (gst_h264_parser_parse_pps(parser.get(), &nalu, &pps) !=
			    GST_H264_PARSER_OK) {
				stats->parseFailures++;
				continue;
			}
			const std::string what = name + " PPS #" + std::to_string(nPps++);
			if (roundTripPps(pps, what)) {
				stats->pps++;
				stats->distinctPps.insert(bytes);
				stats->ppsWithMatrix += !isFlat(pps);
				stats->ppsWithSpsMatrix +=
					pps.sequence->scaling_matrix_present_flag &&
					!pps.pic_scaling_matrix_present_flag;
				stats->ppsWithTransform8x8 += pps.transform_8x8_mode_flag;
			} else {
				stats->ppsWithFmo++;
			}
			EXPECT_EQ(gst_h264_parser_update_pps(parser.get(), &pps),
				  GST_H264_PARSER_OK);
			gst_h264_pps_clear(&pps);
		} else if (nalu.type == GST_H264_NAL_SUBSET_SPS) {
			stats->skippedUnits++;
		}
	}

	stats->streams++;
	std::cout << "  " << name << ": " << nSps << " SPS, " << nPps << " PPS\n";
}

TEST(H264ParamSetsConformance, RoundTripThroughGStreamerParser)
{
	const fs::path root = vectorsDir();
	const std::vector<fs::path> streams = conformanceStreams(root);
	if (streams.empty())
		GTEST_SKIP() << "no JVT-AVC_V1 or JVT-FR-EXT streams under " << root
			     << "; set DAEDALUS_VECTORS to the vectors directory";

	Stats stats;
	std::cout << "Round-tripping the parameter sets of " << streams.size() << " streams from "
		  << root << "\n";
	for (const fs::path &path : streams) {
		SCOPED_TRACE(path.string());
		roundTripStream(path, &stats);
	}

	std::cout
		<< "Round-tripped " << stats.sps << " SPS (" << stats.distinctSps.size()
		<< " distinct) and " << stats.pps << " PPS (" << stats.distinctPps.size()
		<< " distinct) from " << stats.streams << " streams\n"
		<< "  PPS refused for slice groups (FMO, -EOPNOTSUPP): " << stats.ppsWithFmo << "\n"
		<< "  PPS with a non-flat matrix: " << stats.ppsWithMatrix
		<< " (lists from the SPS only: " << stats.ppsWithSpsMatrix << ")\n"
		<< "  PPS with transform 8x8: " << stats.ppsWithTransform8x8 << "\n"
		<< "  SPS of High profiles: " << stats.spsHigh
		<< ", interlaced: " << stats.spsInterlaced << ", POC type 1: " << stats.spsPocType1
		<< "\n"
		<< "  SPS whose cropping / VUI was dropped: " << stats.spsWithCropping << " / "
		<< stats.spsWithVui << "\n"
		<< "  units GStreamer could not parse: " << stats.parseFailures
		<< ", subset SPS skipped: " << stats.skippedUnits << "\n";

	EXPECT_GT(stats.sps, 0u);
	EXPECT_GT(stats.pps, 0u);
	EXPECT_EQ(stats.parseFailures, 0u);
}

} /* namespace */
} /* namespace daedalus::h264::test */
