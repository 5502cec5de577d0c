/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AV1 rebuilder against the conformance vectors.
 *
 * For every vector of the AV1-TEST-VECTORS and CHROMIUM-8bit suites, and
 * of the 10-bit ones too (the daemon's target is 8-bit; 10-bit exercises more
 * syntax):
 *
 *  1. GStreamer's AV1 parser walks the stream the way v4l2slav1dec does
 *     (GstAV1Decoder + gstv4l2codecav1dec.c): one request per frame, the
 *     OUTPUT buffer holding the frame's OBU payloads without OBU headers, the
 *     tile offsets pointing into it, the controls filled from the parsed
 *     headers. Show-existing frames are the client's business and never
 *     reach the rebuilder.
 *  2. The rebuilder turns each request into a temporal unit. The same frame
 *     is rebuilt a second time from a Chromium-style buffer (the whole
 *     temporal unit, offsets absolute in it); both results must be equal.
 *  3. A second GStreamer parser reads the rebuilt temporal units and every
 *     frame header value that decoding depends on is compared with the
 *     original parse.
 *  4. libdav1d decodes the rebuilt temporal units (one picture per request,
 *     invisible frames included); the pictures the client would show are
 *     hashed (md5 of yuv420p or yuv420p10le frames, as fluster does) and compared with the
 *     suite's expected md5. libdav1d decoding the original file gives a
 *     second reference that checks the harness itself.
 *
 * The vectors are found through $DAEDALUS_VECTORS (a fluster resource tree,
 * by default the one the build was configured with, conformance_support.h);
 * without them the tests skip. $DAEDALUS_AV1_VECTOR=<substring> runs only matching vectors.
 */

#define GST_USE_UNSTABLE_API

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

#include <dav1d/dav1d.h>
#include <gst/codecparsers/gstav1parser.h>
#include <linux/v4l2-controls.h>

#include "av1_rebuilder.h"
#include "conformance_support.h"
#include "gst_controls.h"

using daedalus::av1::Av1Rebuilder;
using namespace daedalus::av1::test;
using namespace daedalus::test;

namespace {

/* ------------------------------------------------------------------------ */
/* Pictures and hashes */

/*
 * One output picture as yuv420p (8-bit) or yuv420p10le (more) bytes, which is
 * what fluster hashes.
 */
using Frame = std::shared_ptr<const std::vector<uint8_t>>;

Frame toI420(const Dav1dPicture &pic)
{
	auto bytes = std::make_shared<std::vector<uint8_t>>();
	const size_t sampleSize = pic.p.bpc > 8 ? 2 : 1;
	const int w = pic.p.w;
	const int h = pic.p.h;
	const int cw = (w + 1) >> 1;
	const int ch = (h + 1) >> 1;

	bytes->reserve((size_t(w) * h + 2 * size_t(cw) * ch) * sampleSize);
	const uint8_t *y = static_cast<const uint8_t *>(pic.data[0]);
	for (int row = 0; row < h; row++) {
		const uint8_t *line = y + row * pic.stride[0];
		bytes->insert(bytes->end(), line, line + w * sampleSize);
	}

	for (int plane = 1; plane <= 2; plane++) {
		if (pic.p.layout == DAV1D_PIXEL_LAYOUT_I400) {
			/* Mid-grey chroma, as a conversion to 4:2:0 writes it. */
			const uint16_t grey = 1 << (pic.p.bpc - 1);
			for (size_t i = 0; i < size_t(cw) * ch; i++) {
				bytes->push_back(grey & 0xff);
				if (sampleSize == 2)
					bytes->push_back(grey >> 8);
			}
			continue;
		}
		const uint8_t *c = static_cast<const uint8_t *>(pic.data[plane]);
		const int xdec = pic.p.layout != DAV1D_PIXEL_LAYOUT_I444;
		const int ydec = pic.p.layout == DAV1D_PIXEL_LAYOUT_I420;
		/* 4:2:2 and 4:4:4 are subsampled to 4:2:0 by picking samples. */
		for (int row = 0; row < ch; row++) {
			const uint8_t *line = c + (row << (1 - ydec)) * pic.stride[1];
			for (int col = 0; col < cw; col++) {
				const uint8_t *sample = line + (col << (1 - xdec)) * sampleSize;
				bytes->insert(bytes->end(), sample, sample + sampleSize);
			}
		}
	}
	return bytes;
}

/* ------------------------------------------------------------------------ */
/* libdav1d */

class Dav1dDecoder
{
public:
	~Dav1dDecoder()
	{
		if (ctx_)
			dav1d_close(&ctx_);
	}

	/* @oneByOne: one picture per frame, invisible frames included. */
	int open(bool oneByOne)
	{
		Dav1dSettings s;
		dav1d_default_settings(&s);
		s.n_threads = 1;
		s.max_frame_delay = 1;
		s.apply_grain = 1;
		s.output_invisible_frames = oneByOne;
		/* A client shows the highest spatial layer only. */
		s.all_layers = oneByOne;
		return dav1d_open(&ctx_, &s);
	}

	int decode(const std::vector<uint8_t> &chunk, std::vector<Frame> *out)
	{
		Dav1dData data{};
		uint8_t *buf = dav1d_data_create(&data, chunk.size());
		if (!buf)
			return -ENOMEM;
		memcpy(buf, chunk.data(), chunk.size());

		int ret = 0;
		while (data.sz > 0) {
			ret = dav1d_send_data(ctx_, &data);
			if (ret < 0 && ret != DAV1D_ERR(EAGAIN))
				break;
			ret = drain(out);
			if (ret < 0)
				break;
		}
		if (data.sz > 0)
			dav1d_data_unref(&data);
		return ret < 0 ? ret : 0;
	}

	int drain(std::vector<Frame> *out)
	{
		for (;;) {
			Dav1dPicture pic{};
			const int ret = dav1d_get_picture(ctx_, &pic);
			if (ret == DAV1D_ERR(EAGAIN))
				return 0;
			if (ret < 0)
				return ret;
			out->push_back(toI420(pic));
			dav1d_picture_unref(&pic);
		}
	}

private:
	Dav1dContext *ctx_ = nullptr;
};

/* ------------------------------------------------------------------------ */
/* The client side: GStreamer's flow, one request per frame */

struct VectorResult {
	bool ok = false;
	std::string why;
	std::string md5;
	std::string originalMd5;
	unsigned int requests = 0;
	unsigned int shown = 0;
	unsigned int showExisting = 0;
	unsigned int showExistingKey = 0;
	unsigned int replayedShowExisting = 0;
};

class Client
{
public:
	Client() : parser_(gst_av1_parser_new()), checkParser_(gst_av1_parser_new()) {}
	~Client()
	{
		gst_av1_parser_free(parser_);
		gst_av1_parser_free(checkParser_);
	}
	Client(const Client &) = delete;
	Client &operator=(const Client &) = delete;

	/* Decode @tus; false with result->why on the first failure. */
	bool run(const std::vector<std::vector<uint8_t>> &tus, VectorResult *result)
	{
		result_ = result;
		if (decoder_.open(true) < 0)
			return fail("dav1d_open failed");

		for (const std::vector<uint8_t> &tu : tus) {
			tu_ = &tu;
			if (!processTemporalUnit(tu))
				return false;
			tuIndex_++;
		}
		result->md5 = md5_.hex();
		return true;
	}

private:
	bool fail(const std::string &why)
	{
		std::ostringstream s;
		s << "temporal unit " << tuIndex_ << ", request " << result_->requests << ": "
		  << why;
		result_->why = s.str();
		return false;
	}

	bool processTemporalUnit(const std::vector<uint8_t> &tu)
	{
		size_t offset = 0;
		while (offset < tu.size()) {
			GstAV1OBU obu;
			guint32 consumed = 0;
			GstAV1ParserResult res = gst_av1_parser_identify_one_obu(
				parser_, tu.data() + offset, tu.size() - offset, &obu, &consumed);
			if (res == GST_AV1_PARSER_DROP) {
				offset += consumed;
				continue;
			}
			if (res != GST_AV1_PARSER_OK)
				return fail("cannot identify an OBU");

			if (!processObu(obu))
				return false;
			offset += consumed;
		}
		return true;
	}

	bool processObu(GstAV1OBU &obu)
	{
		switch (obu.obu_type) {
		case GST_AV1_OBU_SEQUENCE_HEADER: {
			GstAV1SequenceHeaderOBU sh;
			if (gst_av1_parser_parse_sequence_header_obu(parser_, &obu, &sh) !=
			    GST_AV1_PARSER_OK)
				return fail("sequence header does not parse");
			sequence_ = fillSequence(sh);
			haveSequence_ = true;
			operatingPointIdc_ = sh.operating_points[0].idc;
			return true;
		}
		case GST_AV1_OBU_TEMPORAL_DELIMITER:
			gst_av1_parser_parse_temporal_delimiter_obu(parser_, &obu);
			return true;
		case GST_AV1_OBU_FRAME_HEADER: {
			GstAV1FrameHeaderOBU fh;
			if (gst_av1_parser_parse_frame_header_obu(parser_, &obu, &fh) !=
			    GST_AV1_PARSER_OK)
				return fail("frame header does not parse");
			return frameHeader(fh, obu);
		}
		case GST_AV1_OBU_FRAME: {
			GstAV1FrameOBU frame;
			if (gst_av1_parser_parse_frame_obu(parser_, &obu, &frame) !=
			    GST_AV1_PARSER_OK)
				return fail("frame does not parse");
			if (!frameHeader(frame.frame_header, obu))
				return false;
			return tileGroup(frame.tile_group, obu);
		}
		case GST_AV1_OBU_TILE_GROUP: {
			GstAV1TileGroupOBU tg;
			if (gst_av1_parser_parse_tile_group_obu(parser_, &obu, &tg) !=
			    GST_AV1_PARSER_OK)
				return fail("tile group does not parse");
			return tileGroup(tg, obu);
		}
		default:
			return true;
		}
	}

	/* Whether a client shows a frame of spatial layer @spatialId. */
	bool highestLayer(unsigned int spatialId) const
	{
		if (!operatingPointIdc_)
			return true;
		unsigned int top = 0;
		for (unsigned int s = 0; s < 4; s++) {
			if (operatingPointIdc_ & (1 << (8 + s)))
				top = s;
		}
		return spatialId >= top;
	}

	void output(const Frame &frame, unsigned int spatialId)
	{
		if (!highestLayer(spatialId))
			return;
		md5_.update(*frame);
		result_->shown++;
	}

	bool frameHeader(GstAV1FrameHeaderOBU &fh, const GstAV1OBU &obu)
	{
		if (!haveSequence_)
			return fail("frame before a sequence header");

		if (fh.show_existing_frame) {
			/* The client's business: show the slot, refresh on a key frame. */
			result_->showExisting++;
			const Frame &shown = dpb_[fh.frame_to_show_map_idx];
			if (!shown)
				return fail("show_existing_frame of an empty slot");
			output(shown, obu.header.obu_spatial_id);
			if (fh.frame_type == GST_AV1_KEY_FRAME) {
				result_->showExistingKey++;
				gst_av1_parser_reference_frame_update(parser_, &fh);
				const Frame keep = shown;
				dpb_.fill(keep);
				const uint64_t ts = dpbTimestamps_[fh.frame_to_show_map_idx];
				dpbTimestamps_.fill(ts);
			}
			return true;
		}

		header_ = fh;
		spatialId_ = obu.header.obu_spatial_id;
		frame_ = fillFrame(fh);
		filmGrain_ = fillFilmGrain(fh.film_grain_params);
		/* Timestamps as GStreamer makes them: frame number * 1000. */
		timestamp_ = uint64_t(result_->requests) * 1000;
		for (unsigned int i = 0; i < GST_AV1_NUM_REF_FRAMES; i++)
			frame_.reference_frame_ts[i] = dpbTimestamps_[i];
		bitstream_.clear();
		entries_.clear();
		chromiumEntries_.clear();
		inPicture_ = true;
		return true;
	}

	bool tileGroup(const GstAV1TileGroupOBU &tg, const GstAV1OBU &obu)
	{
		if (!inPicture_)
			return fail("tile group without a frame header");

		/* GStreamer: OBU payloads back to back, offsets into that buffer. */
		const uint32_t base = bitstream_.size();
		/* Chromium: the whole temporal unit, offsets into it. */
		const uint32_t tuBase = obu.data - tu_->data();
		for (unsigned int i = tg.tg_start; i <= tg.tg_end; i++) {
			const GstAV1TileGroupOBUEntry &e = tg.entry[i];
			entries_.push_back(
				{ base + e.tile_offset, e.tile_size, e.tile_row, e.tile_col });
			chromiumEntries_.push_back(
				{ tuBase + e.tile_offset, e.tile_size, e.tile_row, e.tile_col });
		}
		bitstream_.insert(bitstream_.end(), obu.data, obu.data + obu.obu_size);

		if (tg.tg_end == tg.num_tiles - 1)
			return endPicture();
		return true;
	}

	bool endPicture()
	{
		inPicture_ = false;
		result_->requests++;

		const v4l2_ctrl_av1_film_grain *fg = &filmGrain_;
		std::vector<uint8_t> tu;
		int ret = rebuilder_.rebuild(sequence_, frame_, entries_, fg, bitstream_,
					     timestamp_, &tu);
		if (ret)
			return fail("rebuild failed: " + rebuilder_.error());

		/* The buffer layout must not matter. */
		std::vector<uint8_t> chromiumTu;
		ret = chromiumRebuilder_.rebuild(sequence_, frame_, chromiumEntries_, fg, *tu_,
						 timestamp_, &chromiumTu);
		if (ret)
			return fail("rebuild from the whole temporal unit failed: " +
				    chromiumRebuilder_.error());
		if (chromiumTu != tu)
			return fail("the whole-temporal-unit layout rebuilds differently");

		if (!checkRebuilt(tu))
			return false;

		std::vector<Frame> pictures;
		ret = decoder_.decode(tu, &pictures);
		if (ret < 0)
			return fail("dav1d rejects the rebuilt temporal unit: " +
				    std::to_string(ret));
		/* The request's picture is the last one. */
		const size_t expected = 1 + rebuilder_.precedingPictures();
		if (pictures.size() != expected)
			return fail("dav1d returned " + std::to_string(pictures.size()) +
				    " pictures for one request, not " + std::to_string(expected));
		result_->replayedShowExisting += rebuilder_.precedingPictures();

		for (unsigned int i = 0; i < GST_AV1_NUM_REF_FRAMES; i++) {
			if (header_.refresh_frame_flags & (1 << i)) {
				dpb_[i] = pictures.back();
				dpbTimestamps_[i] = timestamp_;
			}
		}
		gst_av1_parser_reference_frame_update(parser_, &header_);

		if (header_.show_frame)
			output(pictures.back(), spatialId_);
		return true;
	}

	/* Parse the rebuilt temporal unit and compare it with the original. */
	bool checkRebuilt(const std::vector<uint8_t> &tu)
	{
		size_t offset = 0;
		unsigned int obus = 0;
		bool sawHeader = false;
		bool sawTiles = false;
		GstAV1FrameHeaderOBU fh;
		/* With a replayed show-existing key frame, a temporal unit of its own first. */
		std::vector<GstAV1OBUType> expected = { GST_AV1_OBU_TEMPORAL_DELIMITER,
							GST_AV1_OBU_SEQUENCE_HEADER };
		if (rebuilder_.precedingPictures())
			expected.insert(expected.end(), { GST_AV1_OBU_FRAME_HEADER,
							  GST_AV1_OBU_TEMPORAL_DELIMITER });
		expected.insert(expected.end(),
				{ GST_AV1_OBU_FRAME_HEADER, GST_AV1_OBU_TILE_GROUP });

		while (offset < tu.size()) {
			GstAV1OBU obu;
			guint32 consumed = 0;
			if (gst_av1_parser_identify_one_obu(checkParser_, tu.data() + offset,
							    tu.size() - offset, &obu,
							    &consumed) != GST_AV1_PARSER_OK)
				return fail("rebuilt OBU " + std::to_string(obus) +
					    " cannot be identified");
			if (obus >= expected.size() || obu.obu_type != expected[obus])
				return fail("rebuilt OBU " + std::to_string(obus) + " has type " +
					    std::to_string(obu.obu_type));
			if (!obu.header.obu_has_size_field)
				return fail("rebuilt OBU without obu_size");

			switch (obu.obu_type) {
			case GST_AV1_OBU_TEMPORAL_DELIMITER:
				gst_av1_parser_parse_temporal_delimiter_obu(checkParser_, &obu);
				break;
			case GST_AV1_OBU_SEQUENCE_HEADER: {
				GstAV1SequenceHeaderOBU sh;
				if (gst_av1_parser_parse_sequence_header_obu(
					    checkParser_, &obu, &sh) != GST_AV1_PARSER_OK)
					return fail("rebuilt sequence header does not parse");
				const v4l2_ctrl_av1_sequence again = fillSequence(sh);
				if (memcmp(&again, &sequence_, sizeof(again)) != 0)
					return fail("rebuilt sequence header differs");
				if (sh.operating_points_cnt_minus_1 != 0 ||
				    sh.operating_points[0].idc != 0 ||
				    sh.frame_id_numbers_present_flag || sh.timing_info_present_flag)
					return fail("rebuilt sequence header is not neutral");
				break;
			}
			case GST_AV1_OBU_FRAME_HEADER:
				if (gst_av1_parser_parse_frame_header_obu(checkParser_, &obu,
									  &fh) != GST_AV1_PARSER_OK)
					return fail("rebuilt frame header does not parse");
				if (fh.show_existing_frame) {
					if (fh.frame_type != GST_AV1_KEY_FRAME || sawHeader)
						return fail("rebuilt show_existing_frame is not "
							    "a key frame's");
					gst_av1_parser_reference_frame_update(checkParser_, &fh);
					break;
				}
				sawHeader = true;
				break;
			case GST_AV1_OBU_TILE_GROUP: {
				GstAV1TileGroupOBU tg;
				if (gst_av1_parser_parse_tile_group_obu(checkParser_, &obu, &tg) !=
				    GST_AV1_PARSER_OK)
					return fail("rebuilt tile group does not parse");
				if (tg.tg_start != 0 || size_t(tg.tg_end) + 1 != entries_.size())
					return fail("rebuilt tile group does not hold every tile");
				for (const v4l2_ctrl_av1_tile_group_entry &e : entries_) {
					const unsigned int n =
						e.tile_row * header_.tile_info.tile_cols +
						e.tile_col;
					const GstAV1TileGroupOBUEntry &r = tg.entry[n];
					if (r.tile_size != e.tile_size ||
					    memcmp(obu.data + r.tile_offset,
						   bitstream_.data() + e.tile_offset,
						   e.tile_size) != 0)
						return fail("rebuilt tile " + std::to_string(n) +
							    " differs");
				}
				sawTiles = true;
				break;
			}
			default:
				break;
			}
			offset += consumed;
			obus++;
		}
		if (!sawHeader || !sawTiles)
			return fail("rebuilt temporal unit lacks a frame header or tiles");

		HeaderDiff diff;
		compareHeaders(header_, fh, diff);
		if (!diff.first().empty())
			return fail("rebuilt frame header differs: " + diff.first());

		gst_av1_parser_reference_frame_update(checkParser_, &fh);
		return true;
	}

	GstAV1Parser *parser_;
	GstAV1Parser *checkParser_;
	Av1Rebuilder rebuilder_;
	Av1Rebuilder chromiumRebuilder_;
	Dav1dDecoder decoder_;
	Md5 md5_;
	VectorResult *result_ = nullptr;
	const std::vector<uint8_t> *tu_ = nullptr;
	unsigned int tuIndex_ = 0;

	v4l2_ctrl_av1_sequence sequence_{};
	bool haveSequence_ = false;
	uint32_t operatingPointIdc_ = 0;

	bool inPicture_ = false;
	GstAV1FrameHeaderOBU header_{};
	unsigned int spatialId_ = 0;
	v4l2_ctrl_av1_frame frame_{};
	v4l2_ctrl_av1_film_grain filmGrain_{};
	std::vector<uint8_t> bitstream_;
	std::vector<v4l2_ctrl_av1_tile_group_entry> entries_;
	std::vector<v4l2_ctrl_av1_tile_group_entry> chromiumEntries_;

	uint64_t timestamp_ = 0;

	std::array<Frame, GST_AV1_NUM_REF_FRAMES> dpb_;
	/* Empty slots name no request (GStreamer sends 0, Chromium garbage). */
	std::array<uint64_t, GST_AV1_NUM_REF_FRAMES> dpbTimestamps_ = {
		~0ull, ~1ull, ~2ull, ~3ull, ~4ull, ~5ull, ~6ull, ~7ull
	};
};

/* libdav1d on the original file, the way a plain player decodes it. */
bool decodeOriginal(const std::vector<std::vector<uint8_t>> &tus, std::string *md5Hex)
{
	Dav1dDecoder decoder;
	Md5 md5;
	std::vector<Frame> pictures;

	if (decoder.open(false) < 0)
		return false;
	for (const std::vector<uint8_t> &tu : tus) {
		if (decoder.decode(tu, &pictures) < 0)
			return false;
	}
	if (decoder.drain(&pictures) < 0)
		return false;
	for (const Frame &f : pictures)
		md5.update(*f);
	*md5Hex = md5.hex();
	return true;
}

/* ------------------------------------------------------------------------ */

/* Every vector of @suite whose output format is @format ("yuv420p", "yuv420p10le"). */
void runSuite(const char *suite, const std::string &format)
{
	const std::string dir = vectorsDir();
	const std::string suiteFile = dir + "/test_suites/av1/" + suite + ".json";
	if (!std::filesystem::is_regular_file(suiteFile))
		GTEST_SKIP() << "no conformance vectors at " << dir
			     << " (set DAEDALUS_VECTORS to a fluster resource tree)";

	const char *filter = getenv("DAEDALUS_AV1_VECTOR");
	const std::vector<SuiteVector> vectors = readSuite("av1", suite);
	ASSERT_FALSE(vectors.empty()) << "no vectors in " << suiteFile;

	unsigned int tried = 0;
	unsigned int matched = 0;
	unsigned int originalMatched = 0;
	unsigned int missing = 0;
	std::vector<std::string> failures;

	for (const SuiteVector &v : vectors) {
		if (v.outputFormat != format)
			continue;
		if (filter && *filter && v.name.find(filter) == std::string::npos)
			continue;

		std::vector<uint8_t> file;
		if (!readFile(vectorPath(suite, v), &file)) {
			missing++;
			continue;
		}

		tried++;
		VectorResult result;
		std::vector<std::vector<uint8_t>> tus;
		if (!readIvf(file, &tus)) {
			result.why = "not an IVF file (OBU and Annex B input is not handled)";
		} else {
			decodeOriginal(tus, &result.originalMd5);
			Client client;
			if (client.run(tus, &result)) {
				if (result.md5 == v.md5)
					result.ok = true;
				else if (result.md5 == result.originalMd5)
					result.why =
						"md5 " + result.md5 +
						" equals libdav1d on the original file but not "
						"the suite's " +
						v.md5;
				else
					result.why = "md5 " + result.md5 +
						     " differs from the suite's " + v.md5 +
						     " (libdav1d on the original file: " +
						     result.originalMd5 + ")";
			}
		}

		if (result.originalMd5 == v.md5)
			originalMatched++;
		if (result.ok) {
			matched++;
		} else {
			failures.push_back(v.name + ": " + result.why);
		}
		printf("[ %-8s ] %s: %u requests, %u shown, %u show-existing (%u key, %u replayed)%s%s\n",
		       result.ok ? "MATCH" : "MISMATCH", v.name.c_str(), result.requests,
		       result.shown, result.showExisting, result.showExistingKey,
		       result.replayedShowExisting, result.ok ? "" : " -- ",
		       result.ok ? "" : result.why.c_str());
	}

	printf("%s: %u of %u %s vectors match the expected md5 (%u files missing); "
	       "libdav1d on the original files: %u\n",
	       suite, matched, tried, format.c_str(), missing, originalMatched);
	if (tried == 0 && filter && *filter)
		GTEST_SKIP() << "no " << suite << " vector matches DAEDALUS_AV1_VECTOR=" << filter;
	if (tried == 0)
		GTEST_SKIP() << "none of the " << suite << " vectors are present under " << dir;

	for (const std::string &f : failures)
		ADD_FAILURE() << f;
}

TEST(Av1Vectors, AomTestVectors)
{
	runSuite("AV1-TEST-VECTORS", "yuv420p");
}

TEST(Av1Vectors, AomTestVectors10bit)
{
	runSuite("AV1-TEST-VECTORS", "yuv420p10le");
}

TEST(Av1Vectors, Chromium8bitTestVectors)
{
	runSuite("CHROMIUM-8bit-AV1-TEST-VECTORS", "yuv420p");
}

TEST(Av1Vectors, Chromium10bitTestVectors)
{
	runSuite("CHROMIUM-10bit-AV1-TEST-VECTORS", "yuv420p10le");
}

} /* namespace */
