/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless AV1 client in-process.
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

#include "conformance_support.h"
#include "gst_controls.h"
#include "job_runner.h"

#ifndef V4L2_PIX_FMT_AV1_FRAME
#define V4L2_PIX_FMT_AV1_FRAME v4l2_fourcc('A', 'V', '1', 'F')
#endif

namespace daedalus::test {

using av1::test::fillFilmGrain;
using av1::test::fillFrame;
using av1::test::fillSequence;

bool readIvf(const std::vector<uint8_t> &file, std::vector<std::vector<uint8_t>> *units)
{
	if (file.size() < 32 || memcmp(file.data(), "DKIF", 4) != 0)
		return false;

	const size_t headerSize = file[6] | (file[7] << 8);
	size_t pos = headerSize;
	while (pos + 12 <= file.size()) {
		const size_t size = file[pos] | (file[pos + 1] << 8) | (file[pos + 2] << 16) |
				    (size_t(file[pos + 3]) << 24);
		pos += 12;
		if (size > file.size() - pos)
			return false;
		units->emplace_back(file.begin() + pos, file.begin() + pos + size);
		pos += size;
	}
	return true;
}

namespace {

/* Eight reference slots, the picture being decoded and one to spare. */
constexpr unsigned int kCaptureBuffers = 10;
constexpr unsigned int kOutputBuffers = 3;
constexpr unsigned int kNoCapture = ~0u;

using Frame = std::shared_ptr<const std::vector<uint8_t>>;

class Av1Client
{
public:
	Av1Client(Av1Layout layout, const DecoderConfig &config, const Av1ClientOptions &options)
		: layout_(layout), runner_(V4L2_PIX_FMT_AV1_FRAME, config), options_(options)
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
		result_.error = "temporal unit " + std::to_string(unitIndex_) + ": " + why;
		return false;
	}
	bool done() const
	{
		return options_.maxRequests && result_.requests >= options_.maxRequests;
	}
	void restart();

	bool processObu(GstAV1OBU &obu);
	bool frameHeader(const GstAV1FrameHeaderOBU &header, const GstAV1OBU &obu);
	bool tileGroup(const GstAV1TileGroupOBU &group, const GstAV1OBU &obu);
	bool submit();
	bool highestLayer(unsigned int spatialId) const;
	void output(const Frame &frame, unsigned int spatialId);
	unsigned int allocateCapture();

	template<typename T> void set(uint32_t id, const T *values, uint32_t count = 1)
	{
		const auto *bytes = reinterpret_cast<const uint8_t *>(values);
		auto &control = controls_[id];
		control.first.assign(bytes, bytes + sizeof(T) * count);
		control.second = count;
	}

	Av1Layout layout_;
	JobRunner runner_;
	Av1ClientOptions options_;
	GstAV1Parser *parser_ = nullptr;
	Av1RunResult result_;
	std::unique_ptr<Md5> md5_;

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

	/* The last value of every control (payload, elements), as the kernel keeps them. */
	std::map<uint32_t, std::pair<std::vector<uint8_t>, uint32_t>> controls_;
};

Av1RunResult Av1Client::run(const std::vector<std::vector<uint8_t>> &units)
{
	size_t largest = 0;
	for (const std::vector<uint8_t> &unit : units)
		largest = std::max(largest, unit.size());
	if (!runner_.setOutputBuffers(kOutputBuffers, std::max<size_t>(256 * 1024, largest))) {
		result_.error = "cannot allocate OUTPUT buffers";
		return result_;
	}

	for (unsigned int pass = 0; pass < std::max(options_.passes, 1u); pass++) {
		if (pass) {
			runner_.reset();
			restart();
		}
		md5_ = std::make_unique<Md5>();
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
		result_.passMd5s.push_back(md5_->hex());
	}

	result_.md5 = result_.passMd5s[0];
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
		slotTimestamps_[i] = layout_ == Av1Layout::Chromium ? 0xffffffffull - i : 0;
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
		const uint32_t width = alignUp(sh.max_frame_width_minus_1 + 1, 16);
		const uint32_t height = alignUp(sh.max_frame_height_minus_1 + 1, 16);
		if (width != runner_.captureWidth() || height != runner_.captureHeight()) {
			if (!runner_.setCaptureBuffers(kCaptureBuffers, width, height,
						       alignUp(width, 64)))
				return fail("cannot allocate CAPTURE buffers");
			slotCaptures_.fill(kNoCapture);
		}
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
	md5_->update(*frame);
	result_.shown++;
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
	for (unsigned int i = 0; i < GST_AV1_NUM_REF_FRAMES; i++)
		frame_.reference_frame_ts[i] = slotTimestamps_[i];
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
	for (unsigned int i = 0; i < kCaptureBuffers; i++) {
		const unsigned int index = (nextCapture_ + i) % kCaptureBuffers;
		if (std::find(slotCaptures_.begin(), slotCaptures_.end(), index) !=
		    slotCaptures_.end())
			continue;
		nextCapture_ = (index + 1) % kCaptureBuffers;
		return index;
	}
	return nextCapture_++ % kCaptureBuffers;
}

bool Av1Client::submit()
{
	inFrame_ = false;

	const unsigned int capture = allocateCapture();
	const uint64_t timestamp = layout_ == Av1Layout::GStreamer
					   ? uint64_t{ result_.requests } * 1000
					   : uint64_t{ capture } * 1000;
	const bool chromium = layout_ == Av1Layout::Chromium;
	const auto &entries = chromium ? unitEntries_ : entries_;

	set(V4L2_CID_STATELESS_AV1_SEQUENCE, &sequence_);
	set(V4L2_CID_STATELESS_AV1_FRAME, &frame_);
	set(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, entries.data(), entries.size());
	set(V4L2_CID_STATELESS_AV1_FILM_GRAIN, &filmGrain_);
	ControlAreaBuilder area;
	for (const auto &[id, control] : controls_)
		area.add(id, control.first.data(), control.first.size(), control.second);

	std::vector<uint8_t> data = chromium ? *unit_ : payloads_;
	if (options_.tamper)
		options_.tamper(result_.requests, &data);

	const int status = runner_.run(data, area, capture, timestamp);
	result_.statuses.push_back(status);
	result_.requests++;
	if (status != 0 && !result_.failedJobs++) {
		result_.firstFailure = status;
		result_.firstFailedRequest = result_.requests;
	}

	/* The picture, at the frame size (after superres). */
	const Frame picture = std::make_shared<const std::vector<uint8_t>>(nv12ToI420(
		runner_.capture(capture), runner_.captureStride(), runner_.captureHeight(), 0, 0,
		frame_.upscaled_width, frame_.frame_height_minus_1 + 1));

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

Av1RunResult runAv1Client(const std::vector<std::vector<uint8_t>> &units, Av1Layout layout,
			  const DecoderConfig &config, const Av1ClientOptions &options)
{
	Av1Client client(layout, config, options);
	return client.run(units);
}

} /* namespace daedalus::test */
