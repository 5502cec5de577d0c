/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless VP9 client.
 */

#include "vp9_client.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif
#include <gst/codecparsers/gstvp9parser.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>

#include "frame_utils.h"
#include "vp9_compressed_header.h"

namespace daedalus::client {

namespace {

/* Eight reference slots, the picture being decoded and one to spare. */
constexpr unsigned int kCaptureBuffers = 10;
constexpr size_t kMinOutputSize = 256 * 1024;
constexpr unsigned int kNoCapture = ~0u;
constexpr unsigned int kSlots = GST_VP9_REF_FRAMES;

/* A decoded picture as yuv420p, kept while a reference slot holds it. */
struct Picture420 {
	std::vector<uint8_t> i420;
	uint32_t width;
	uint32_t height;
};

using Frame = std::shared_ptr<const Picture420>;

class Vp9Client
{
public:
	Vp9Client(ClientStyle style, DecodeDevice &device, const Vp9ClientOptions &options)
		: style_(style), device_(device), options_(options), output_(options_, &result_)
	{
		restart();
	}

	~Vp9Client()
	{
		if (parser_)
			gst_vp9_parser_free(parser_);
	}

	Vp9RunResult run(const std::vector<std::vector<uint8_t>> &packets);

private:
	bool fail(const std::string &why)
	{
		if (result_.error.empty())
			result_.error = "frame " + std::to_string(frameIndex_) + ": " + why;
		return false;
	}
	void restart();
	bool configure(uint32_t width, uint32_t height);
	bool processFrame(std::span<const uint8_t> data);
	void pastIndependence();
	void updateState(const GstVp9FrameHdr &h);
	v4l2_ctrl_vp9_frame fillFrame(const GstVp9FrameHdr &h, uint8_t referenceMode) const;
	uint64_t timestampFor(unsigned int capture);
	unsigned int allocateCapture();

	ClientStyle style_;
	DecodeDevice &device_;
	Vp9ClientOptions options_;
	GstVp9Parser *parser_ = nullptr;
	Vp9RunResult result_;
	PictureOutput output_;

	size_t largestPacket_ = 0;
	uint32_t width_ = 0;
	uint32_t height_ = 0;
	unsigned int frameIndex_ = 0;
	uint64_t frameNumber_ = 0;

	/* What the uncompressed header only updates: kept as a decoder keeps it. */
	std::array<int8_t, 4> refDeltas_;
	std::array<int8_t, 2> modeDeltas_;
	bool segAbsDelta_ = false;
	std::array<GstVp9SegmentationInfoData, GST_VP9_MAX_SEGMENTS> segData_;
	std::array<uint8_t, GST_VP9_SEG_TREE_PROBS> segTreeProbs_;
	std::array<uint8_t, GST_VP9_PREDICTION_PROBS> segPredProbs_;

	/* The client's view of the reference slots. */
	std::array<Frame, kSlots> slots_;
	std::array<uint64_t, kSlots> slotTimestamps_;
	std::array<unsigned int, kSlots> slotCaptures_;
	unsigned int nextCapture_ = 0;
};

Vp9RunResult Vp9Client::run(const std::vector<std::vector<uint8_t>> &packets)
{
	for (const std::vector<uint8_t> &packet : packets)
		largestPacket_ = std::max(largestPacket_, packet.size());

	for (unsigned int pass = 0; pass < std::max(options_.passes, 1u); pass++) {
		if (pass) {
			if (device_.reset() < 0) {
				fail("cannot reset the decoder: " + device_.failure());
				return result_;
			}
			restart();
		}
		output_.startPass(pass);
		frameIndex_ = 0;

		for (const std::vector<uint8_t> &packet : packets) {
			if (output_.stopped() || packet.empty())
				continue;

			GstVp9SuperframeInfo info;
			if (gst_vp9_parser_parse_superframe_info(parser_, &info, packet.data(),
								 packet.size()) !=
			    GST_VP9_PARSER_OK) {
				fail("broken superframe index");
				return result_;
			}
			result_.superframes += info.frames_in_superframe > 1;

			size_t offset = 0;
			for (unsigned int i = 0; i < info.frames_in_superframe; i++) {
				const size_t size = info.frame_sizes[i];
				if (size > packet.size() - offset) {
					fail("superframe index beyond the packet");
					return result_;
				}
				if (output_.stopped())
					break;
				if (size && !processFrame({ packet.data() + offset, size }))
					return result_;
				offset += size;
				frameIndex_++;
			}
		}
		output_.finishPass();
		if (output_.stopped())
			break;
	}
	return result_;
}

void Vp9Client::restart()
{
	/* A new parser and empty slots, as after a seek. */
	if (parser_)
		gst_vp9_parser_free(parser_);
	parser_ = gst_vp9_parser_new();
	pastIndependence();
	segTreeProbs_.fill(GST_VP9_MAX_PROB);
	segPredProbs_.fill(GST_VP9_MAX_PROB);
	for (unsigned int i = 0; i < kSlots; i++) {
		slots_[i].reset();
		slotTimestamps_[i] = 0;
		slotCaptures_[i] = kNoCapture;
	}
}

/* 8.4.1 setup_past_independence, for what the client keeps. */
void Vp9Client::pastIndependence()
{
	refDeltas_ = { 1, 0, -1, -1 };
	modeDeltas_ = { 0, 0 };
	segAbsDelta_ = false;
	memset(segData_.data(), 0, sizeof(segData_));
}

bool Vp9Client::configure(uint32_t width, uint32_t height)
{
	StreamFormat format;
	format.codec = V4L2_PIX_FMT_VP9_FRAME;
	format.width = width;
	format.height = height;
	format.outputSize =
		std::max({ kMinOutputSize, largestPacket_, size_t{ width } * height * 3 / 2 });
	format.captureCount = kCaptureBuffers;
	if (device_.configure(format) < 0)
		return fail("cannot configure the decoder for " + std::to_string(width) + "x" +
			    std::to_string(height) + ": " + device_.failure());

	const CaptureFormat &capture = device_.captureFormat();
	if (capture.width < width || capture.height < height)
		return fail("the decoder's CAPTURE format (" + std::to_string(capture.width) + "x" +
			    std::to_string(capture.height) + ") is smaller than the stream");

	width_ = width;
	height_ = height;
	slotCaptures_.fill(kNoCapture);
	nextCapture_ = 0;
	return true;
}

void Vp9Client::updateState(const GstVp9FrameHdr &h)
{
	const GstVp9LoopFilter &lf = h.loopfilter;
	if (lf.mode_ref_delta_enabled && lf.mode_ref_delta_update) {
		for (unsigned int i = 0; i < refDeltas_.size(); i++) {
			if (lf.update_ref_deltas[i])
				refDeltas_[i] = lf.ref_deltas[i];
		}
		for (unsigned int i = 0; i < modeDeltas_.size(); i++) {
			if (lf.update_mode_deltas[i])
				modeDeltas_[i] = lf.mode_deltas[i];
		}
	}

	const GstVp9SegmentationInfo &seg = h.segmentation;
	if (seg.enabled && seg.update_map) {
		memcpy(segTreeProbs_.data(), seg.tree_probs, sizeof(seg.tree_probs));
		memcpy(segPredProbs_.data(), seg.pred_probs, sizeof(seg.pred_probs));
	}
	if (seg.enabled && seg.update_data) {
		segAbsDelta_ = seg.abs_delta;
		memcpy(segData_.data(), seg.data, sizeof(seg.data));
	}
}

v4l2_ctrl_vp9_frame Vp9Client::fillFrame(const GstVp9FrameHdr &h, uint8_t referenceMode) const
{
	v4l2_ctrl_vp9_frame f{};
	const bool key = h.frame_type == GST_VP9_KEY_FRAME;
	const bool intra = key || h.intra_only;

	const GstVp9LoopFilter &lf = h.loopfilter;
	memcpy(f.lf.ref_deltas, refDeltas_.data(), sizeof(f.lf.ref_deltas));
	memcpy(f.lf.mode_deltas, modeDeltas_.data(), sizeof(f.lf.mode_deltas));
	f.lf.level = lf.filter_level;
	f.lf.sharpness = lf.sharpness_level;
	f.lf.flags = (lf.mode_ref_delta_enabled ? V4L2_VP9_LOOP_FILTER_FLAG_DELTA_ENABLED : 0) |
		     (lf.mode_ref_delta_update ? V4L2_VP9_LOOP_FILTER_FLAG_DELTA_UPDATE : 0);

	f.quant.base_q_idx = h.quant_indices.y_ac_qi;
	f.quant.delta_q_y_dc = h.quant_indices.y_dc_delta;
	f.quant.delta_q_uv_dc = h.quant_indices.uv_dc_delta;
	f.quant.delta_q_uv_ac = h.quant_indices.uv_ac_delta;

	const GstVp9SegmentationInfo &seg = h.segmentation;
	f.seg.flags =
		(seg.enabled ? V4L2_VP9_SEGMENTATION_FLAG_ENABLED : 0) |
		(seg.enabled && seg.update_map ? V4L2_VP9_SEGMENTATION_FLAG_UPDATE_MAP : 0) |
		(seg.enabled && seg.update_map && seg.temporal_update
			 ? V4L2_VP9_SEGMENTATION_FLAG_TEMPORAL_UPDATE
			 : 0) |
		(seg.enabled && seg.update_data ? V4L2_VP9_SEGMENTATION_FLAG_UPDATE_DATA : 0) |
		(segAbsDelta_ ? V4L2_VP9_SEGMENTATION_FLAG_ABS_OR_DELTA_UPDATE : 0);
	for (unsigned int i = 0; i < GST_VP9_MAX_SEGMENTS; i++) {
		const GstVp9SegmentationInfoData &d = segData_[i];
		f.seg.feature_enabled[i] =
			(d.alternate_quantizer_enabled
				 ? V4L2_VP9_SEGMENT_FEATURE_ENABLED(V4L2_VP9_SEG_LVL_ALT_Q)
				 : 0) |
			(d.alternate_loop_filter_enabled
				 ? V4L2_VP9_SEGMENT_FEATURE_ENABLED(V4L2_VP9_SEG_LVL_ALT_L)
				 : 0) |
			(d.reference_frame_enabled
				 ? V4L2_VP9_SEGMENT_FEATURE_ENABLED(V4L2_VP9_SEG_LVL_REF_FRAME)
				 : 0) |
			(d.reference_skip ? V4L2_VP9_SEGMENT_FEATURE_ENABLED(V4L2_VP9_SEG_LVL_SKIP)
					  : 0);
		f.seg.feature_data[i][V4L2_VP9_SEG_LVL_ALT_Q] = d.alternate_quantizer;
		f.seg.feature_data[i][V4L2_VP9_SEG_LVL_ALT_L] = d.alternate_loop_filter;
		f.seg.feature_data[i][V4L2_VP9_SEG_LVL_REF_FRAME] = d.reference_frame;
	}
	memcpy(f.seg.tree_probs, segTreeProbs_.data(), sizeof(f.seg.tree_probs));
	memcpy(f.seg.pred_probs, segPredProbs_.data(), sizeof(f.seg.pred_probs));

	f.flags = (key ? V4L2_VP9_FRAME_FLAG_KEY_FRAME : 0) |
		  (h.show_frame ? V4L2_VP9_FRAME_FLAG_SHOW_FRAME : 0) |
		  (h.error_resilient_mode ? V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT : 0) |
		  (h.intra_only ? V4L2_VP9_FRAME_FLAG_INTRA_ONLY : 0) |
		  (h.allow_high_precision_mv ? V4L2_VP9_FRAME_FLAG_ALLOW_HIGH_PREC_MV : 0) |
		  (h.refresh_frame_context ? V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX : 0) |
		  (h.frame_parallel_decoding_mode ? V4L2_VP9_FRAME_FLAG_PARALLEL_DEC_MODE : 0) |
		  (parser_->subsampling_x == 1 ? V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING : 0) |
		  (parser_->subsampling_y == 1 ? V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING : 0) |
		  (parser_->color_range == GST_VP9_CR_FULL
			   ? V4L2_VP9_FRAME_FLAG_COLOR_RANGE_FULL_SWING
			   : 0);

	f.compressed_header_size = h.first_partition_size;
	f.uncompressed_header_size = h.frame_header_length_in_bytes;
	f.frame_width_minus_1 = h.width - 1;
	f.frame_height_minus_1 = h.height - 1;
	f.render_width_minus_1 = (h.display_size_enabled ? h.display_width : h.width) - 1;
	f.render_height_minus_1 = (h.display_size_enabled ? h.display_height : h.height) - 1;

	if (!intra) {
		f.last_frame_ts = slotTimestamps_[h.ref_frame_indices[0]];
		f.golden_frame_ts = slotTimestamps_[h.ref_frame_indices[1]];
		f.alt_frame_ts = slotTimestamps_[h.ref_frame_indices[2]];
		f.ref_frame_sign_bias = (h.ref_frame_sign_bias[0] ? V4L2_VP9_SIGN_BIAS_LAST : 0) |
					(h.ref_frame_sign_bias[1] ? V4L2_VP9_SIGN_BIAS_GOLDEN : 0) |
					(h.ref_frame_sign_bias[2] ? V4L2_VP9_SIGN_BIAS_ALT : 0);
		f.interpolation_filter = h.mcomp_filter_type;
	}

	/* reset_frame_context 0 and 1 reset nothing, 2 the frame's context, 3 all. */
	f.reset_frame_context = h.reset_frame_context == 2   ? V4L2_VP9_RESET_FRAME_CTX_SPEC
				: h.reset_frame_context == 3 ? V4L2_VP9_RESET_FRAME_CTX_ALL
							     : V4L2_VP9_RESET_FRAME_CTX_NONE;
	f.frame_context_idx = h.frame_context_idx;
	f.profile = h.profile;
	f.bit_depth = parser_->bit_depth;
	f.tile_cols_log2 = h.log2_tile_columns;
	f.tile_rows_log2 = h.log2_tile_rows;
	f.reference_mode = referenceMode;
	return f;
}

uint64_t Vp9Client::timestampFor(unsigned int capture)
{
	switch (style_) {
	case ClientStyle::GStreamer:
		return frameNumber_++ * 1000;
	case ClientStyle::Ffmpeg:
		return (uint64_t{ capture } + 1) * 1000;
	case ClientStyle::Chromium:
	default:
		return uint64_t{ capture } * 1000;
	}
}

unsigned int Vp9Client::allocateCapture()
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

bool Vp9Client::processFrame(std::span<const uint8_t> data)
{
	GstVp9FrameHdr h;
	if (gst_vp9_parser_parse_frame_header(parser_, &h, data.data(), data.size()) !=
	    GST_VP9_PARSER_OK)
		return fail("the frame header does not parse");

	if (h.show_existing_frame) {
		/* The client's business: show the slot's picture again. */
		result_.showExisting++;
		const Frame &frame = slots_[h.frame_to_show];
		if (!frame)
			return fail("show_existing_frame of an empty slot");
		output_.show(frame->i420, frame->width, frame->height);
		return true;
	}

	if (h.profile != GST_VP9_PROFILE_0 || parser_->bit_depth != 8)
		return fail("profile " + std::to_string(h.profile) + ", " +
			    std::to_string(parser_->bit_depth) +
			    "-bit: only profile 0 (8-bit 4:2:0) is decoded");

	const bool key = h.frame_type == GST_VP9_KEY_FRAME;
	const bool intra = key || h.intra_only;
	if (intra && (h.width != width_ || h.height != height_)) {
		if (!configure(h.width, h.height))
			return false;
	}
	if (!width_)
		return fail("the stream does not start with a key frame");
	const CaptureFormat &format = device_.captureFormat();
	if (h.width > format.width || h.height > format.height)
		return fail("an inter frame of " + std::to_string(h.width) + "x" +
			    std::to_string(h.height) + " is larger than the CAPTURE buffers");

	if (intra || h.error_resilient_mode)
		pastIndependence();
	updateState(h);

	/* The compressed header follows the uncompressed one. */
	const size_t headerEnd = size_t{ h.frame_header_length_in_bytes } + h.first_partition_size;
	if (headerEnd > data.size())
		return fail("the compressed header runs beyond the frame");
	const Vp9FrameInfo info = {
		intra,
		h.lossless_flag != 0,
		h.allow_high_precision_mv != 0,
		!intra && h.mcomp_filter_type == GST_VP9_INTERPOLATION_FILTER_SWITCHABLE,
		{ h.ref_frame_sign_bias[0] != 0, h.ref_frame_sign_bias[1] != 0,
		  h.ref_frame_sign_bias[2] != 0 },
	};
	v4l2_ctrl_vp9_compressed_hdr compressed;
	uint8_t referenceMode;
	if (!parseVp9CompressedHeader(data.subspan(h.frame_header_length_in_bytes,
						   h.first_partition_size),
				      info, &compressed, &referenceMode))
		return fail("the compressed header does not parse");

	const unsigned int capture = allocateCapture();
	const uint64_t timestamp = timestampFor(capture);
	const Control controls[] = {
		Control::of(V4L2_CID_STATELESS_VP9_FRAME, fillFrame(h, referenceMode)),
		Control::of(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, compressed),
	};

	std::vector<uint8_t> bytes(data.begin(), data.end());
	if (options_.tamper)
		options_.tamper(result_.requests, &bytes);

	const int status = device_.decode({ bytes, controls, capture, timestamp });
	output_.requestDone(status);
	if (!device_.failure().empty())
		return fail("request " + std::to_string(result_.requests) + ": " +
			    device_.failure());

	const Frame picture = std::make_shared<const Picture420>(
		Picture420{ nv12ToI420(device_.capture(capture), format.stride, format.height, 0, 0,
				       h.width, h.height),
			    h.width, h.height });
	if (picture->i420.empty())
		return fail("the frame does not fit the CAPTURE buffer");

	const unsigned int refresh = key ? 0xff : h.refresh_frame_flags;
	for (unsigned int i = 0; i < kSlots; i++) {
		if (refresh & (1 << i)) {
			slots_[i] = picture;
			slotTimestamps_[i] = timestamp;
			slotCaptures_[i] = capture;
		}
	}

	if (h.show_frame)
		output_.show(picture->i420, picture->width, picture->height);
	else
		result_.hidden++;
	return true;
}

} /* namespace */

Vp9RunResult runVp9Client(const std::vector<std::vector<uint8_t>> &packets, ClientStyle style,
			  DecodeDevice &device, const Vp9ClientOptions &options)
{
	Vp9Client client(style, device, options);
	return client.run(packets);
}

} /* namespace daedalus::client */
