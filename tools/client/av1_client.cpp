/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless AV1 client.
 */

#include "av1_client.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>

#include <gst/codecparsers/gstav1parser.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>

#include "av1_controls.h"
#include "frame_utils.h"

#ifndef V4L2_PIX_FMT_AV1_FRAME
#define V4L2_PIX_FMT_AV1_FRAME v4l2_fourcc('A', 'V', '1', 'F')
#endif

namespace daedalus::client {

namespace {

/* Eight reference slots, the picture being decoded and one to spare. */
constexpr unsigned int kCaptureBuffers = 10;
constexpr size_t kMinOutputSize = 256 * 1024;
constexpr unsigned int kNoCapture = ~0u;

/* A decoded picture as yuv420p, kept while a reference slot holds it. */
struct Picture420 {
	std::vector<uint8_t> i420;
	uint32_t width;
	uint32_t height;
};

using Frame = std::shared_ptr<const Picture420>;

class Av1Client
{
public:
	Av1Client(ClientStyle style, DecodeDevice &device, const Av1ClientOptions &options)
		: style_(style), device_(device), options_(options), output_(options_, &result_)
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
	bool fail(const std::string &why)
	{
		if (result_.error.empty())
			result_.error = "temporal unit " + std::to_string(unitIndex_) + ": " + why;
		return false;
	}
	bool done() const { return output_.stopped(); }
	void restart();
	bool configure(const GstAV1SequenceHeaderOBU &sequence);

	bool processObu(GstAV1OBU &obu);
	bool frameHeader(const GstAV1FrameHeaderOBU &header, const GstAV1OBU &obu);
	bool tileGroup(const GstAV1TileGroupOBU &group, const GstAV1OBU &obu);
	bool submit();
	bool highestLayer(unsigned int spatialId) const;
	void output(const Frame &frame, unsigned int spatialId);
	unsigned int allocateCapture();

	ClientStyle style_;
	DecodeDevice &device_;
	Av1ClientOptions options_;
	GstAV1Parser *parser_ = nullptr;
	Av1RunResult result_;
	PictureOutput output_;
	/* The largest OUTPUT payload of the stream. */
	size_t largestUnit_ = 0;
	/* The frame size the device is configured for. */
	uint32_t maxWidth_ = 0;
	uint32_t maxHeight_ = 0;

	const std::vector<uint8_t> *unit_ = nullptr;
	unsigned int unitIndex_ = 0;

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

	/* The client's view of the reference slots. */
	std::array<Frame, GST_AV1_NUM_REF_FRAMES> slots_;
	std::array<uint64_t, GST_AV1_NUM_REF_FRAMES> slotTimestamps_;
	std::array<unsigned int, GST_AV1_NUM_REF_FRAMES> slotCaptures_;
	unsigned int nextCapture_ = 0;
};

Av1RunResult Av1Client::run(const std::vector<std::vector<uint8_t>> &units)
{
	for (const std::vector<uint8_t> &unit : units)
		largestUnit_ = std::max(largestUnit_, unit.size());

	for (unsigned int pass = 0; pass < std::max(options_.passes, 1u); pass++) {
		if (pass) {
			if (device_.reset() < 0) {
				fail("cannot reset the decoder: " + device_.failure());
				return result_;
			}
			restart();
		}
		output_.startPass(pass);
		unitIndex_ = 0;

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
				if (res != GST_AV1_PARSER_OK) {
					fail("cannot identify an OBU");
					return result_;
				}
				if (!processObu(obu))
					return result_;
				offset += consumed;
			}
			if (done())
				break;
			unitIndex_++;
		}
		output_.finishPass();
		if (done())
			break;
	}
	return result_;
}

void Av1Client::restart()
{
	/* A new parser and empty slots, as after a seek. */
	if (parser_)
		gst_av1_parser_free(parser_);
	parser_ = gst_av1_parser_new();
	haveSequence_ = false;
	inFrame_ = false;
	for (unsigned int i = 0; i < GST_AV1_NUM_REF_FRAMES; i++) {
		slots_[i].reset();
		/* Garbage, as Chromium sends for slots it has not filled. */
		slotTimestamps_[i] = style_ == ClientStyle::Chromium ? 0xffffffffull - i : 0;
		slotCaptures_[i] = kNoCapture;
	}
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
		if (sh.max_frame_width_minus_1 + 1u != maxWidth_ ||
		    sh.max_frame_height_minus_1 + 1u != maxHeight_)
			return configure(sh);
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

bool Av1Client::configure(const GstAV1SequenceHeaderOBU &sequence)
{
	StreamFormat format;
	format.codec = V4L2_PIX_FMT_AV1_FRAME;
	format.width = sequence.max_frame_width_minus_1 + 1;
	format.height = sequence.max_frame_height_minus_1 + 1;
	format.outputSize = std::max(
		{ kMinOutputSize, largestUnit_, size_t{ format.width } * format.height * 3 / 2 });
	format.captureCount = kCaptureBuffers;
	if (device_.configure(format) < 0)
		return fail("cannot configure the decoder for " + std::to_string(format.width) +
			    "x" + std::to_string(format.height) + ": " + device_.failure());

	const CaptureFormat &capture = device_.captureFormat();
	if (capture.width < format.width || capture.height < format.height)
		return fail("the decoder's CAPTURE format (" + std::to_string(capture.width) + "x" +
			    std::to_string(capture.height) + ") is smaller than the stream");

	maxWidth_ = format.width;
	maxHeight_ = format.height;
	/* A new stream: the slots' pictures are gone from the decoder. */
	slotCaptures_.fill(kNoCapture);
	nextCapture_ = 0;
	return true;
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
	output_.show(frame->i420, frame->width, frame->height);
}

bool Av1Client::frameHeader(const GstAV1FrameHeaderOBU &header, const GstAV1OBU &obu)
{
	if (!haveSequence_)
		return fail("frame before a sequence header");

	if (header.show_existing_frame) {
		/* The client's business: show the slot, refresh all with a key frame. */
		result_.showExisting++;
		const unsigned int slot = header.frame_to_show_map_idx;
		if (!slots_[slot])
			return fail("show_existing_frame of an empty slot");
		output(slots_[slot], obu.header.obu_spatial_id);
		if (header.frame_type == GST_AV1_KEY_FRAME) {
			GstAV1FrameHeaderOBU copy = header;
			gst_av1_parser_reference_frame_update(parser_, &copy);
			slots_.fill(Frame(slots_[slot]));
			slotTimestamps_.fill(uint64_t(slotTimestamps_[slot]));
			slotCaptures_.fill(unsigned(slotCaptures_[slot]));
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

unsigned int Av1Client::allocateCapture()
{
	const unsigned int count = device_.captureCount();
	for (unsigned int i = 0; i < count; i++) {
		const unsigned int index = (nextCapture_ + i) % count;
		if (std::find(slotCaptures_.begin(), slotCaptures_.end(), index) !=
		    slotCaptures_.end())
			continue;
		nextCapture_ = (index + 1) % count;
		return index;
	}
	return nextCapture_++ % count;
}

bool Av1Client::submit()
{
	inFrame_ = false;

	if (!maxWidth_)
		return fail("no decoder configured");

	const unsigned int capture = allocateCapture();
	uint64_t timestamp;
	switch (style_) {
	case ClientStyle::GStreamer:
		timestamp = uint64_t{ result_.requests } * 1000;
		break;
	case ClientStyle::Ffmpeg:
		timestamp = (uint64_t{ capture } + 1) * 1000;
		break;
	case ClientStyle::Chromium:
	default:
		timestamp = uint64_t{ capture } * 1000;
		break;
	}
	const bool chromium = style_ == ClientStyle::Chromium;
	const std::vector<v4l2_ctrl_av1_tile_group_entry> &entries = chromium ? unitEntries_
									      : entries_;

	for (unsigned int i = 0; i < GST_AV1_NUM_REF_FRAMES; i++)
		frame_.reference_frame_ts[i] = slotTimestamps_[i];

	const Control controls[] = {
		Control::of(V4L2_CID_STATELESS_AV1_SEQUENCE, sequence_),
		Control::of(V4L2_CID_STATELESS_AV1_FRAME, frame_),
		Control::array(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
			       std::span<const v4l2_ctrl_av1_tile_group_entry>(entries)),
		Control::of(V4L2_CID_STATELESS_AV1_FILM_GRAIN, filmGrain_),
	};

	std::vector<uint8_t> data = chromium ? *unit_ : payloads_;
	if (options_.tamper)
		options_.tamper(result_.requests, &data);

	const int status = device_.decode({ data, controls, capture, timestamp });
	output_.requestDone(status);
	if (!device_.failure().empty())
		return fail("request " + std::to_string(result_.requests) + ": " +
			    device_.failure());

	/* The picture, at the frame size (after superres). */
	const uint32_t width = frame_.upscaled_width;
	const uint32_t height = frame_.frame_height_minus_1 + 1;
	const CaptureFormat &format = device_.captureFormat();
	const Frame picture = std::make_shared<const Picture420>(
		Picture420{ nv12ToI420(device_.capture(capture), format.stride, format.height, 0, 0,
				       width, height),
			    width, height });
	if (picture->i420.empty())
		return fail("the frame does not fit the CAPTURE buffer");

	for (unsigned int i = 0; i < GST_AV1_NUM_REF_FRAMES; i++) {
		if (header_.refresh_frame_flags & (1 << i)) {
			slots_[i] = picture;
			slotTimestamps_[i] = timestamp;
			slotCaptures_[i] = capture;
		}
	}
	gst_av1_parser_reference_frame_update(parser_, &header_);

	if (header_.show_frame)
		output(picture, spatialId_);
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
