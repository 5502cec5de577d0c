/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless VP9 client.
 */

#include "vp9_client.h"

#include <array>
#include <cstring>

#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif
#include <gst/codecparsers/gstvp9parser.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>

#include "request_loop.h"
#include "vp9_compressed_header.h"

namespace daedalus::client {

namespace {

static_assert(RequestLoop::kSlots == GST_VP9_REF_FRAMES);

class Vp9Client
{
public:
	Vp9Client(ClientStyle style, DecodeDevice &device, const Vp9ClientOptions &options)
		: loop_(style, device, options, &result_, "frame")
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
	bool fail(const std::string &why) { return loop_.fail(why); }
	void restart();
	bool decodePass(const std::vector<std::vector<uint8_t>> &packets);
	bool processFrame(std::span<const uint8_t> data);
	void pastIndependence();
	void updateState(const GstVp9FrameHdr &h);
	v4l2_ctrl_vp9_frame fillFrame(const GstVp9FrameHdr &h, uint8_t referenceMode) const;

	Vp9RunResult result_;
	RequestLoop loop_;
	GstVp9Parser *parser_ = nullptr;

	/* What the uncompressed header only updates: kept as a decoder keeps it. */
	std::array<int8_t, 4> refDeltas_;
	std::array<int8_t, 2> modeDeltas_;
	bool segAbsDelta_ = false;
	std::array<GstVp9SegmentationInfoData, GST_VP9_MAX_SEGMENTS> segData_;
	std::array<uint8_t, GST_VP9_SEG_TREE_PROBS> segTreeProbs_;
	std::array<uint8_t, GST_VP9_PREDICTION_PROBS> segPredProbs_;
};

Vp9RunResult Vp9Client::run(const std::vector<std::vector<uint8_t>> &packets)
{
	loop_.run(packets, [this] { restart(); }, [this, &packets] { return decodePass(packets); });
	return result_;
}

bool Vp9Client::decodePass(const std::vector<std::vector<uint8_t>> &packets)
{
	for (const std::vector<uint8_t> &packet : packets) {
		if (loop_.stopped() || packet.empty())
			continue;

		GstVp9SuperframeInfo info;
		if (gst_vp9_parser_parse_superframe_info(parser_, &info, packet.data(),
							 packet.size()) != GST_VP9_PARSER_OK)
			return fail("broken superframe index");
		result_.superframes += info.frames_in_superframe > 1;

		size_t offset = 0;
		for (unsigned int i = 0; i < info.frames_in_superframe; i++) {
			const size_t size = info.frame_sizes[i];
			if (size > packet.size() - offset)
				return fail("superframe index beyond the packet");
			if (loop_.stopped())
				break;
			if (size && !processFrame({ packet.data() + offset, size }))
				return false;
			offset += size;
			loop_.nextUnit();
		}
	}
	return true;
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
	loop_.clearSlots();
}

/* 8.4.1 setup_past_independence, for what the client keeps. */
void Vp9Client::pastIndependence()
{
	refDeltas_ = { 1, 0, -1, -1 };
	modeDeltas_ = { 0, 0 };
	segAbsDelta_ = false;
	memset(segData_.data(), 0, sizeof(segData_));
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
		f.last_frame_ts = loop_.slot(h.ref_frame_indices[0]).timestamp;
		f.golden_frame_ts = loop_.slot(h.ref_frame_indices[1]).timestamp;
		f.alt_frame_ts = loop_.slot(h.ref_frame_indices[2]).timestamp;
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

bool Vp9Client::processFrame(std::span<const uint8_t> data)
{
	GstVp9FrameHdr h;
	if (gst_vp9_parser_parse_frame_header(parser_, &h, data.data(), data.size()) !=
	    GST_VP9_PARSER_OK)
		return fail("the frame header does not parse");

	if (h.show_existing_frame) {
		/* The client's business: show the slot's picture again. */
		result_.showExisting++;
		const Frame &frame = loop_.slot(h.frame_to_show).picture;
		if (!frame)
			return fail("show_existing_frame of an empty slot");
		loop_.show(frame);
		return true;
	}

	if (h.profile != GST_VP9_PROFILE_0 || parser_->bit_depth != 8)
		return fail("profile " + std::to_string(h.profile) + ", " +
			    std::to_string(parser_->bit_depth) +
			    "-bit: only profile 0 (8-bit 4:2:0) is decoded");

	const bool key = h.frame_type == GST_VP9_KEY_FRAME;
	const bool intra = key || h.intra_only;
	if (intra && (h.width != loop_.width() || h.height != loop_.height())) {
		if (!loop_.configure(V4L2_PIX_FMT_VP9_FRAME, h.width, h.height))
			return false;
	}
	if (!loop_.width())
		return fail("the stream does not start with a key frame");
	const CaptureFormat &format = loop_.captureFormat();
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

	const Control controls[] = {
		Control::of(V4L2_CID_STATELESS_VP9_FRAME, fillFrame(h, referenceMode)),
		Control::of(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, compressed),
	};

	Slot decoded;
	if (!loop_.decode({ data.begin(), data.end() }, controls, h.width, h.height, &decoded))
		return false;
	loop_.refresh(key ? 0xff : h.refresh_frame_flags, decoded);

	if (h.show_frame)
		loop_.show(decoded.picture);
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
