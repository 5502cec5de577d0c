/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless AV1 client.
 */

#include "av1_client.h"

#include <cstring>

#include <gst/codecparsers/gstav1parser.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>

#include "av1_controls.h"
#include "request_loop.h"

#ifndef V4L2_PIX_FMT_AV1_FRAME
#define V4L2_PIX_FMT_AV1_FRAME v4l2_fourcc('A', 'V', '1', 'F')
#endif

namespace daedalus::client {

namespace {

static_assert(RequestLoop::kSlots == GST_AV1_NUM_REF_FRAMES);

class Av1Client
{
public:
	Av1Client(ClientStyle style, DecodeDevice &device, const Av1ClientOptions &options)
		: style_(style), loop_(style, device, options, &result_, "temporal unit")
	{
		restart();
	}

	~Av1Client()
	{
		if (parser_)
			gst_av1_parser_free(parser_);
	}

	Av1RunResult run(const std::vector<std::vector<uint8_t>> &units);

private:
	bool fail(const std::string &why) { return loop_.fail(why); }
	bool done() const { return loop_.stopped(); }
	void restart();
	bool decodePass(const std::vector<std::vector<uint8_t>> &units);

	bool processObu(GstAV1OBU &obu);
	bool frameHeader(const GstAV1FrameHeaderOBU &header, const GstAV1OBU &obu);
	bool tileGroup(const GstAV1TileGroupOBU &group, const GstAV1OBU &obu);
	bool submit();
	bool highestLayer(unsigned int spatialId) const;
	void output(const Frame &frame, unsigned int spatialId);

	ClientStyle style_;
	Av1RunResult result_;
	RequestLoop loop_;
	GstAV1Parser *parser_ = nullptr;

	const std::vector<uint8_t> *unit_ = nullptr;

	v4l2_ctrl_av1_sequence sequence_{};
	bool haveSequence_ = false;
	uint32_t operatingPointIdc_ = 0;

	bool inFrame_ = false;
	GstAV1FrameHeaderOBU header_{};
	unsigned int spatialId_ = 0;
	v4l2_ctrl_av1_frame frame_{};
	v4l2_ctrl_av1_film_grain filmGrain_{};
	std::vector<uint8_t> payloads_;
	std::vector<v4l2_ctrl_av1_tile_group_entry> entries_;
	std::vector<v4l2_ctrl_av1_tile_group_entry> unitEntries_;
};

Av1RunResult Av1Client::run(const std::vector<std::vector<uint8_t>> &units)
{
	loop_.run(units, [this] { restart(); }, [this, &units] { return decodePass(units); });
	return result_;
}

bool Av1Client::decodePass(const std::vector<std::vector<uint8_t>> &units)
{
	for (const std::vector<uint8_t> &unit : units) {
		unit_ = &unit;
		size_t offset = 0;
		while (offset < unit.size() && !done()) {
			GstAV1OBU obu;
			guint32 consumed = 0;
			const GstAV1ParserResult res = gst_av1_parser_identify_one_obu(
				parser_, unit.data() + offset, unit.size() - offset, &obu,
				&consumed);
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
		if (done())
			break;
		loop_.nextUnit();
	}
	return true;
}

void Av1Client::restart()
{
	/* A new parser and empty slots, as after a seek. */
	if (parser_)
		gst_av1_parser_free(parser_);
	parser_ = gst_av1_parser_new();
	haveSequence_ = false;
	inFrame_ = false;
	/* Garbage timestamps, as Chromium sends for slots it has not filled. */
	loop_.clearSlots(style_ == ClientStyle::Chromium);
}

bool Av1Client::processObu(GstAV1OBU &obu)
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

		/* CAPTURE buffers for the largest frame of the sequence. */
		if (sh.max_frame_width_minus_1 + 1u != loop_.width() ||
		    sh.max_frame_height_minus_1 + 1u != loop_.height())
			return loop_.configure(V4L2_PIX_FMT_AV1_FRAME,
					       sh.max_frame_width_minus_1 + 1,
					       sh.max_frame_height_minus_1 + 1);
		return true;
	}
	case GST_AV1_OBU_TEMPORAL_DELIMITER:
		gst_av1_parser_parse_temporal_delimiter_obu(parser_, &obu);
		return true;
	case GST_AV1_OBU_FRAME_HEADER: {
		GstAV1FrameHeaderOBU fh;
		if (gst_av1_parser_parse_frame_header_obu(parser_, &obu, &fh) != GST_AV1_PARSER_OK)
			return fail("frame header does not parse");
		return frameHeader(fh, obu);
	}
	case GST_AV1_OBU_FRAME: {
		GstAV1FrameOBU frame;
		if (gst_av1_parser_parse_frame_obu(parser_, &obu, &frame) != GST_AV1_PARSER_OK)
			return fail("frame does not parse");
		if (!frameHeader(frame.frame_header, obu))
			return false;
		return tileGroup(frame.tile_group, obu);
	}
	case GST_AV1_OBU_TILE_GROUP: {
		GstAV1TileGroupOBU group;
		if (gst_av1_parser_parse_tile_group_obu(parser_, &obu, &group) != GST_AV1_PARSER_OK)
			return fail("tile group does not parse");
		return tileGroup(group, obu);
	}
	default:
		return true;
	}
}

bool Av1Client::highestLayer(unsigned int spatialId) const
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

void Av1Client::output(const Frame &frame, unsigned int spatialId)
{
	if (!highestLayer(spatialId))
		return;
	loop_.show(frame);
}

bool Av1Client::frameHeader(const GstAV1FrameHeaderOBU &header, const GstAV1OBU &obu)
{
	if (!haveSequence_)
		return fail("frame before a sequence header");

	if (header.show_existing_frame) {
		/* The client's business: show the slot, refresh all with a key frame. */
		result_.showExisting++;
		const Slot slot = loop_.slot(header.frame_to_show_map_idx);
		if (!slot.picture)
			return fail("show_existing_frame of an empty slot");
		output(slot.picture, obu.header.obu_spatial_id);
		if (header.frame_type == GST_AV1_KEY_FRAME) {
			GstAV1FrameHeaderOBU copy = header;
			gst_av1_parser_reference_frame_update(parser_, &copy);
			loop_.refresh(0xff, slot);
		}
		return true;
	}

	header_ = header;
	spatialId_ = obu.header.obu_spatial_id;
	frame_ = fillFrame(header);
	filmGrain_ = fillFilmGrain(header.film_grain_params);
	payloads_.clear();
	entries_.clear();
	unitEntries_.clear();
	inFrame_ = true;
	return true;
}

bool Av1Client::tileGroup(const GstAV1TileGroupOBU &group, const GstAV1OBU &obu)
{
	if (!inFrame_)
		return fail("tile group without a frame header");

	/* GStreamer: OBU payloads back to back; Chromium: the temporal unit. */
	const uint32_t base = payloads_.size();
	const uint32_t unitBase = obu.data - unit_->data();
	for (unsigned int i = group.tg_start; i <= group.tg_end; i++) {
		const GstAV1TileGroupOBUEntry &e = group.entry[i];
		entries_.push_back({ base + e.tile_offset, e.tile_size, e.tile_row, e.tile_col });
		unitEntries_.push_back(
			{ unitBase + e.tile_offset, e.tile_size, e.tile_row, e.tile_col });
	}
	payloads_.insert(payloads_.end(), obu.data, obu.data + obu.obu_size);

	if (group.tg_end == group.num_tiles - 1)
		return submit();
	return true;
}

bool Av1Client::submit()
{
	inFrame_ = false;

	if (!loop_.width())
		return fail("no decoder configured");

	const bool chromium = style_ == ClientStyle::Chromium;
	const std::vector<v4l2_ctrl_av1_tile_group_entry> &entries = chromium ? unitEntries_
									      : entries_;

	for (unsigned int i = 0; i < GST_AV1_NUM_REF_FRAMES; i++)
		frame_.reference_frame_ts[i] = loop_.slot(i).timestamp;

	const Control controls[] = {
		Control::of(V4L2_CID_STATELESS_AV1_SEQUENCE, sequence_),
		Control::of(V4L2_CID_STATELESS_AV1_FRAME, frame_),
		Control::array(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
			       std::span<const v4l2_ctrl_av1_tile_group_entry>(entries)),
		Control::of(V4L2_CID_STATELESS_AV1_FILM_GRAIN, filmGrain_),
	};

	/* The picture, at the frame size (after superres). */
	Slot decoded;
	if (!loop_.decode(chromium ? *unit_ : payloads_, controls, frame_.upscaled_width,
			  frame_.frame_height_minus_1 + 1, &decoded))
		return false;

	loop_.refresh(header_.refresh_frame_flags, decoded);
	gst_av1_parser_reference_frame_update(parser_, &header_);

	if (header_.show_frame)
		output(decoded.picture, spatialId_);
	return true;
}

} /* namespace */

Av1RunResult runAv1Client(const std::vector<std::vector<uint8_t>> &units, ClientStyle style,
			  DecodeDevice &device, const Av1ClientOptions &options)
{
	Av1Client client(style, device, options);
	return client.run(units);
}

} /* namespace daedalus::client */
