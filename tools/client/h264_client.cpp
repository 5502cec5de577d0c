/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stateless H.264 client.
 */

#include "h264_client.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>

#include "frame_utils.h"
#include "h264_controls.h"

namespace daedalus::client {

namespace {

/* Beyond the references: the picture being decoded, a held field, two spare. */
constexpr unsigned int kExtraCaptureBuffers = 4;
/* OUTPUT buffers as GStreamer sizes them: max(256 KiB, the 4:2:0 picture size). */
constexpr size_t kMinOutputSize = 256 * 1024;
/* At most 16 frames precede a frame in decoding order and follow it in output order. */
constexpr size_t kMaxReorder = 16;
constexpr unsigned int kNoCapture = ~0u;

constexpr uint8_t kTopField = V4L2_H264_TOP_FIELD_REF;
constexpr uint8_t kBottomField = V4L2_H264_BOTTOM_FIELD_REF;
constexpr uint8_t kFrame = V4L2_H264_FRAME_REF;

/* What tells the pictures of two slices apart (clause 7.4.1.2.4). */
struct SliceKey {
	uint32_t frameNum;
	uint32_t ppsId;
	bool field;
	bool bottom;
	bool reference;
	bool idr;
	uint32_t idrPicId;
	uint32_t pocType;
	uint32_t pocLsb;
	int32_t deltaPocBottom;
	int32_t deltaPoc[2];

	bool samePicture(const SliceKey &o) const
	{
		if (frameNum != o.frameNum || ppsId != o.ppsId || field != o.field ||
		    bottom != o.bottom || reference != o.reference || idr != o.idr)
			return false;
		if (idr && idrPicId != o.idrPicId)
			return false;
		if (pocType == 0 && (pocLsb != o.pocLsb || deltaPocBottom != o.deltaPocBottom))
			return false;
		if (pocType == 1 && (deltaPoc[0] != o.deltaPoc[0] || deltaPoc[1] != o.deltaPoc[1]))
			return false;
		return true;
	}
};

/* The slices of one picture, with what the client knows about it. */
struct Picture {
	std::vector<uint8_t> data;
	GstH264SliceHdr header;
	GstH264SPS sps;
	/* The controls as GStreamer fills them, and the effective ones (FFmpeg, Chromium). */
	H264Controls gstreamer;
	H264Controls effective;
	uint8_t nalRefIdc;
	bool idr;
	SliceKey key;
};

/* A frame (or field pair) in the client's reference picture marking. */
struct RefFrame {
	unsigned int capture = kNoCapture;
	uint64_t timestamp = 0;
	uint32_t frameNum = 0;
	int32_t topPoc = 0;
	int32_t bottomPoc = 0;
	/* V4L2_H264_*_REF bits of the fields that are short- and long-term references. */
	uint8_t shortTerm = 0;
	uint8_t longTerm = 0;
	uint32_t longTermFrameIdx = 0;
	bool fieldPictures = false;
	/* Inferred for a gap in frame_num: no CAPTURE buffer. */
	bool nonExisting = false;
};

/* A first field waiting for its second field. */
struct PendingField {
	unsigned int capture;
	uint64_t timestamp;
	uint32_t frameNum;
	bool bottom;
	bool reference;
	int32_t poc;
	GstH264SPS sps;
};

struct Poc {
	int32_t top = 0;
	int32_t bottom = 0;
	/* Type 0 bookkeeping. */
	int32_t msb = 0;
	int32_t lsb = 0;
	/* Types 1 and 2. */
	int64_t frameNumOffset = 0;
};

bool hasMmco5(const GstH264SliceHdr &header)
{
	const GstH264DecRefPicMarking &marking = header.dec_ref_pic_marking;
	if (!marking.adaptive_ref_pic_marking_mode_flag)
		return false;
	for (unsigned int i = 0; i < marking.n_ref_pic_marking; i++) {
		if (marking.ref_pic_marking[i].memory_management_control_operation == 5)
			return true;
	}
	return false;
}

/* The controls FFmpeg's v4l2-request hwaccel sends: always a matrix. */
H264Controls fillEffectiveControls(const GstH264PPS &pps)
{
	H264Controls c = fillControls(pps);
	if (!c.hasMatrix) {
		/* The effective lists, flat when the stream has none. */
		for (unsigned int i = 0; i < 6; i++)
			gst_h264_quant_matrix_4x4_get_raster_from_zigzag(
				c.matrix.scaling_list_4x4[i], pps.scaling_lists_4x4[i]);
		const unsigned int n = pps.sequence->chroma_format_idc == 3 ? 6 : 2;
		for (unsigned int i = 0; i < n; i++)
			gst_h264_quant_matrix_8x8_get_raster_from_zigzag(
				c.matrix.scaling_list_8x8[i], pps.scaling_lists_8x8[i]);
		c.hasMatrix = true;
	}
	c.pps.flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
	return c;
}

class H264Client
{
public:
	H264Client(ClientStyle style, DecodeDevice &device, const H264ClientOptions &options)
		: style_(style), options_(options), device_(device), output_(options_, &result_)
	{
	}

	H264RunResult run(const std::vector<uint8_t> &stream);

private:
	bool runPass(const std::vector<uint8_t> &stream);
	void restart();

	bool fail(const std::string &why)
	{
		if (result_.error.empty())
			result_.error = why;
		return false;
	}
	bool configure(const GstH264SPS &sps);
	std::vector<Control> requestControls(const Picture &picture,
					     const v4l2_ctrl_h264_decode_params &params);

	void startPicture(const GstH264NalUnit &nalu, const GstH264SliceHdr &slice,
			  const SliceKey &key);
	void finishPicture();
	void submit(const Picture &picture);

	Poc computePoc(const Picture &picture) const;
	void updatePocState(const Picture &picture, const Poc &poc, bool mmco5);
	void fillDpb(const Picture &picture, v4l2_ctrl_h264_decode_params *params) const;
	void inferGapFrames(const GstH264SPS &sps, uint32_t frameNum);
	void slidingWindow(const GstH264SPS &sps, uint32_t frameNum);
	void markReferences(const Picture &picture, const Poc &poc, unsigned int capture,
			    uint64_t timestamp, bool secondField, bool firstFieldReference);

	unsigned int allocateCapture();
	void finishPendingField();
	void outputFrame(unsigned int capture, int32_t poc, const GstH264SPS &sps);
	void bump(size_t keep);

	ClientStyle style_;
	H264ClientOptions options_;
	DecodeDevice &device_;
	H264NalParser parser_;
	H264RunResult result_;
	PictureOutput output_;

	/* A pointer, not an optional: GCC 14 warns about the latter. */
	std::unique_ptr<Picture> current_;
	std::optional<PendingField> pending_;

	/* The coded size the device is configured for. */
	uint32_t codedWidth_ = 0;
	uint32_t codedHeight_ = 0;
	/* GStreamer: the SPS the device has. */
	v4l2_ctrl_h264_sps lastSps_{};
	bool spsSent_ = false;

	/* Picture order count state (clause 8.2.1). */
	int32_t prevPocMsb_ = 0;
	int32_t prevPocLsb_ = 0;
	bool prevRefMmco5_ = false;
	bool prevRefBottomField_ = false;
	int32_t prevRefTopPoc_ = 0;
	uint32_t prevFrameNum_ = 0;
	int64_t prevFrameNumOffset_ = 0;
	bool prevMmco5_ = false;

	/* Reference picture marking (clause 8.2.5). */
	std::vector<RefFrame> refs_;
	int64_t maxLongTermFrameIdx_ = -1;
	uint32_t prevRefFrameNum_ = 0;

	unsigned int nextCapture_ = 0;
	uint64_t frameNumber_ = 0;

	/* Frames waiting for display. */
	struct DisplayFrame {
		int32_t poc;
		uint32_t width;
		uint32_t height;
		std::vector<uint8_t> i420;
	};
	std::vector<DisplayFrame> display_;
};

H264RunResult H264Client::run(const std::vector<uint8_t> &stream)
{
	for (unsigned int pass = 0; pass < std::max(options_.passes, 1u); pass++) {
		if (pass)
			restart();
		output_.startPass(pass);
		if (!runPass(stream))
			break;
		output_.finishPass();
		if (output_.stopped())
			break;
	}
	return result_;
}

void H264Client::restart()
{
	/* As after OUTPUT STREAMOFF: the decoder and the client start again. */
	if (device_.reset() < 0)
		fail("cannot reset the decoder: " + device_.failure());
	pending_.reset();
	refs_.clear();
	maxLongTermFrameIdx_ = -1;
	prevRefFrameNum_ = 0;
	prevPocMsb_ = 0;
	prevPocLsb_ = 0;
	prevRefMmco5_ = false;
	prevFrameNum_ = 0;
	prevFrameNumOffset_ = 0;
	prevMmco5_ = false;
}

bool H264Client::runPass(const std::vector<uint8_t> &stream)
{
	for (GstH264NalUnit &nalu : splitNalUnits(parser_.get(), stream)) {
		if (!result_.error.empty() || output_.stopped())
			break;

		switch (nalu.type) {
		case GST_H264_NAL_SPS: {
			finishPicture();
			GstH264SPS sps;
			if (gst_h264_parser_parse_sps(parser_.get(), &nalu, &sps) ==
			    GST_H264_PARSER_OK) {
				gst_h264_parser_update_sps(parser_.get(), &sps);
				gst_h264_sps_clear(&sps);
			}
			break;
		}
		case GST_H264_NAL_PPS: {
			finishPicture();
			GstH264PPS pps;
			if (gst_h264_parser_parse_pps(parser_.get(), &nalu, &pps) ==
			    GST_H264_PARSER_OK) {
				gst_h264_parser_update_pps(parser_.get(), &pps);
				gst_h264_pps_clear(&pps);
			}
			break;
		}
		case GST_H264_NAL_SLICE:
		case GST_H264_NAL_SLICE_IDR: {
			GstH264SliceHdr slice;
			if (gst_h264_parser_parse_slice_hdr(parser_.get(), &nalu, &slice, TRUE,
							    TRUE) != GST_H264_PARSER_OK)
				return fail("GStreamer cannot parse a slice header");
			/* Neither GStreamer nor libavcodec decodes redundant pictures. */
			if (slice.redundant_pic_cnt > 0) {
				result_.skippedRedundantSlices++;
				break;
			}

			const GstH264SPS &sps = *slice.pps->sequence;
			const SliceKey key = {
				slice.frame_num,
				static_cast<uint32_t>(slice.pps->id),
				slice.field_pic_flag != 0,
				slice.bottom_field_flag != 0,
				nalu.ref_idc != 0,
				nalu.idr_pic_flag != 0,
				slice.idr_pic_id,
				sps.pic_order_cnt_type,
				slice.pic_order_cnt_lsb,
				slice.delta_pic_order_cnt_bottom,
				{ slice.delta_pic_order_cnt[0], slice.delta_pic_order_cnt[1] },
			};
			if (!current_ || !current_->key.samePicture(key)) {
				finishPicture();
				startPicture(nalu, slice, key);
			}

			/* ANNEX_B: each NAL unit behind a 00 00 01 start code. */
			current_->data.insert(current_->data.end(), { 0x00, 0x00, 0x01 });
			current_->data.insert(current_->data.end(), nalu.data + nalu.offset,
					      nalu.data + nalu.offset + nalu.size);
			break;
		}
		case GST_H264_NAL_SLICE_DPA:
		case GST_H264_NAL_SLICE_DPB:
		case GST_H264_NAL_SLICE_DPC:
			/* Data partitioning (Extended profile): no client sends it. */
			result_.skippedPartitions++;
			break;
		case GST_H264_NAL_SEI:
		case GST_H264_NAL_AU_DELIMITER:
		case GST_H264_NAL_SEQ_END:
		case GST_H264_NAL_STREAM_END:
			/* These start a new access unit. */
			finishPicture();
			break;
		default:
			break;
		}
	}

	if (!output_.stopped())
		finishPicture();
	finishPendingField();
	bump(0);
	return result_.error.empty();
}

void H264Client::startPicture(const GstH264NalUnit &nalu, const GstH264SliceHdr &slice,
			      const SliceKey &key)
{
	current_ = std::make_unique<Picture>();
	Picture &picture = *current_;
	picture.header = slice;
	picture.header.pps = nullptr;
	picture.sps = *slice.pps->sequence;
	picture.gstreamer = fillControls(*slice.pps);
	picture.effective = fillEffectiveControls(*slice.pps);
	picture.nalRefIdc = nalu.ref_idc;
	picture.idr = nalu.idr_pic_flag;
	picture.key = key;
}

void H264Client::finishPicture()
{
	if (!current_)
		return;
	submit(*current_);
	current_.reset();
}

Poc H264Client::computePoc(const Picture &picture) const
{
	const GstH264SPS &sps = picture.sps;
	const GstH264SliceHdr &h = picture.header;
	const bool field = h.field_pic_flag;
	const bool bottom = h.bottom_field_flag;
	Poc poc;

	if (sps.pic_order_cnt_type == 0) {
		int32_t prevMsb = prevPocMsb_;
		int32_t prevLsb = prevPocLsb_;
		if (picture.idr) {
			prevMsb = 0;
			prevLsb = 0;
		} else if (prevRefMmco5_) {
			prevMsb = 0;
			prevLsb = prevRefBottomField_ ? 0 : prevRefTopPoc_;
		}

		const int32_t maxLsb = 1 << (sps.log2_max_pic_order_cnt_lsb_minus4 + 4);
		const int32_t lsb = h.pic_order_cnt_lsb;
		if (lsb < prevLsb && prevLsb - lsb >= maxLsb / 2)
			poc.msb = prevMsb + maxLsb;
		else if (lsb > prevLsb && lsb - prevLsb > maxLsb / 2)
			poc.msb = prevMsb - maxLsb;
		else
			poc.msb = prevMsb;
		poc.lsb = lsb;

		if (!field) {
			poc.top = poc.msb + lsb;
			poc.bottom = poc.top + h.delta_pic_order_cnt_bottom;
		} else if (!bottom) {
			poc.top = poc.msb + lsb;
		} else {
			poc.bottom = poc.msb + lsb;
		}
		return poc;
	}

	const int64_t maxFrameNum = sps.max_frame_num;
	const int64_t prevOffset = prevMmco5_ ? 0 : prevFrameNumOffset_;
	if (picture.idr)
		poc.frameNumOffset = 0;
	else if (prevFrameNum_ > h.frame_num)
		poc.frameNumOffset = prevOffset + maxFrameNum;
	else
		poc.frameNumOffset = prevOffset;

	if (sps.pic_order_cnt_type == 1) {
		const unsigned int cycle = sps.num_ref_frames_in_pic_order_cnt_cycle;
		int64_t absFrameNum = cycle ? poc.frameNumOffset + h.frame_num : 0;
		if (!picture.nalRefIdc && absFrameNum > 0)
			absFrameNum--;

		int64_t expected = 0;
		if (absFrameNum > 0) {
			int64_t deltaPerCycle = 0;
			for (unsigned int i = 0; i < cycle; i++)
				deltaPerCycle += sps.offset_for_ref_frame[i];
			const int64_t cycleCount = (absFrameNum - 1) / cycle;
			const int64_t inCycle = (absFrameNum - 1) % cycle;
			expected = cycleCount * deltaPerCycle;
			for (int64_t i = 0; i <= inCycle; i++)
				expected += sps.offset_for_ref_frame[i];
		}
		if (!picture.nalRefIdc)
			expected += sps.offset_for_non_ref_pic;

		if (!field) {
			poc.top = expected + h.delta_pic_order_cnt[0];
			poc.bottom = poc.top + sps.offset_for_top_to_bottom_field +
				     h.delta_pic_order_cnt[1];
		} else if (!bottom) {
			poc.top = expected + h.delta_pic_order_cnt[0];
		} else {
			poc.bottom = expected + sps.offset_for_top_to_bottom_field +
				     h.delta_pic_order_cnt[0];
		}
		return poc;
	}

	int64_t temp;
	if (picture.idr)
		temp = 0;
	else if (!picture.nalRefIdc)
		temp = 2 * (poc.frameNumOffset + h.frame_num) - 1;
	else
		temp = 2 * (poc.frameNumOffset + h.frame_num);
	if (!field || !bottom)
		poc.top = temp;
	if (!field || bottom)
		poc.bottom = temp;
	return poc;
}

void H264Client::updatePocState(const Picture &picture, const Poc &poc, bool mmco5)
{
	const GstH264SliceHdr &h = picture.header;
	if (picture.nalRefIdc) {
		prevRefMmco5_ = mmco5;
		prevRefBottomField_ = h.field_pic_flag && h.bottom_field_flag;
		prevRefTopPoc_ = poc.top;
		prevPocMsb_ = poc.msb;
		prevPocLsb_ = poc.lsb;
	}
	prevFrameNum_ = mmco5 ? 0 : h.frame_num;
	prevFrameNumOffset_ = poc.frameNumOffset;
	prevMmco5_ = mmco5;
}

void H264Client::fillDpb(const Picture &picture, v4l2_ctrl_h264_decode_params *params) const
{
	unsigned int n = 0;
	for (const RefFrame &ref : refs_) {
		if (ref.nonExisting || n == V4L2_H264_NUM_DPB_ENTRIES)
			continue;
		v4l2_h264_dpb_entry &entry = params->dpb[n++];
		entry.reference_ts = ref.timestamp;
		entry.frame_num = ref.frameNum;
		entry.pic_num = ref.longTerm ? ref.longTermFrameIdx
				: ref.frameNum > picture.header.frame_num
					? ref.frameNum - picture.sps.max_frame_num
					: ref.frameNum;
		entry.fields = ref.shortTerm | ref.longTerm;
		entry.top_field_order_cnt = ref.topPoc;
		entry.bottom_field_order_cnt = ref.bottomPoc;
		entry.flags = V4L2_H264_DPB_ENTRY_FLAG_VALID | V4L2_H264_DPB_ENTRY_FLAG_ACTIVE |
			      (ref.longTerm ? V4L2_H264_DPB_ENTRY_FLAG_LONG_TERM : 0) |
			      (ref.fieldPictures ? V4L2_H264_DPB_ENTRY_FLAG_FIELD : 0);
	}
}

void H264Client::slidingWindow(const GstH264SPS &sps, uint32_t frameNum)
{
	unsigned int shortFrames = 0, longFrames = 0;
	for (const RefFrame &ref : refs_) {
		shortFrames += ref.shortTerm != 0;
		longFrames += ref.longTerm != 0;
	}
	if (!shortFrames || shortFrames + longFrames < std::max(sps.num_ref_frames, 1u))
		return;

	/* Forget the short-term frame with the smallest FrameNumWrap. */
	RefFrame *oldest = nullptr;
	int64_t oldestWrap = 0;
	for (RefFrame &ref : refs_) {
		if (!ref.shortTerm)
			continue;
		const int64_t wrap = ref.frameNum > frameNum
					     ? int64_t{ ref.frameNum } - sps.max_frame_num
					     : int64_t{ ref.frameNum };
		if (!oldest || wrap < oldestWrap) {
			oldest = &ref;
			oldestWrap = wrap;
		}
	}
	oldest->shortTerm = 0;
	std::erase_if(refs_, [](const RefFrame &r) { return !r.shortTerm && !r.longTerm; });
}

void H264Client::inferGapFrames(const GstH264SPS &sps, uint32_t frameNum)
{
	const uint32_t maxFrameNum = sps.max_frame_num;
	if (!sps.gaps_in_frame_num_value_allowed_flag || !maxFrameNum ||
	    frameNum == prevRefFrameNum_ || frameNum == (prevRefFrameNum_ + 1) % maxFrameNum)
		return;

	for (uint32_t n = (prevRefFrameNum_ + 1) % maxFrameNum; n != frameNum;
	     n = (n + 1) % maxFrameNum) {
		slidingWindow(sps, n);
		RefFrame frame;
		frame.frameNum = n;
		frame.shortTerm = kFrame;
		frame.nonExisting = true;
		refs_.push_back(frame);
		prevRefFrameNum_ = n;
	}
}

void H264Client::markReferences(const Picture &picture, const Poc &poc, unsigned int capture,
				uint64_t timestamp, bool secondField, bool firstFieldReference)
{
	const GstH264SPS &sps = picture.sps;
	const GstH264SliceHdr &h = picture.header;
	const GstH264DecRefPicMarking &marking = h.dec_ref_pic_marking;
	const bool field = h.field_pic_flag;
	const uint8_t parity = !field ? kFrame : h.bottom_field_flag ? kBottomField : kTopField;
	const int64_t maxFrameNum = sps.max_frame_num;

	bool currentLong = false;
	uint32_t currentLongIdx = 0;

	auto frameNumWrap = [&](const RefFrame &ref) {
		return ref.frameNum > h.frame_num ? int64_t{ ref.frameNum } - maxFrameNum
						  : int64_t{ ref.frameNum };
	};
	/* The field bits of @ref that PicNum (or LongTermPicNum) @num names. */
	auto named = [&](uint8_t bits, int64_t base, int64_t num) -> uint8_t {
		if (!field)
			return bits == kFrame && base == num ? kFrame : 0;
		uint8_t found = 0;
		for (uint8_t bit : { kTopField, kBottomField }) {
			if ((bits & bit) && 2 * base + (bit == parity ? 1 : 0) == num)
				found |= bit;
		}
		return found;
	};
	auto isCurrentFrame = [&](const RefFrame &ref) {
		return secondField && ref.capture == capture;
	};

	if (picture.idr) {
		refs_.clear();
		if (marking.long_term_reference_flag) {
			currentLong = true;
			maxLongTermFrameIdx_ = 0;
		} else {
			maxLongTermFrameIdx_ = -1;
		}
	} else if (marking.adaptive_ref_pic_marking_mode_flag) {
		const int64_t currPicNum = field ? 2 * int64_t{ h.frame_num } + 1 : h.frame_num;
		for (unsigned int i = 0; i < marking.n_ref_pic_marking; i++) {
			const GstH264RefPicMarking &op = marking.ref_pic_marking[i];
			switch (op.memory_management_control_operation) {
			case 1: {
				const int64_t picNumX =
					currPicNum -
					(int64_t{ op.difference_of_pic_nums_minus1 } + 1);
				for (RefFrame &ref : refs_)
					ref.shortTerm &=
						~named(ref.shortTerm, frameNumWrap(ref), picNumX);
				break;
			}
			case 2:
				for (RefFrame &ref : refs_)
					ref.longTerm &= ~named(ref.longTerm, ref.longTermFrameIdx,
							       op.long_term_pic_num);
				break;
			case 3: {
				const int64_t picNumX =
					currPicNum -
					(int64_t{ op.difference_of_pic_nums_minus1 } + 1);
				for (RefFrame &ref : refs_) {
					const uint8_t bits =
						named(ref.shortTerm, frameNumWrap(ref), picNumX);
					if (!bits)
						continue;
					for (RefFrame &other : refs_) {
						if (&other != &ref &&
						    other.longTermFrameIdx ==
							    op.long_term_frame_idx)
							other.longTerm = 0;
					}
					if (ref.longTerm &&
					    ref.longTermFrameIdx != op.long_term_frame_idx)
						ref.longTerm = 0;
					ref.shortTerm &= ~bits;
					ref.longTerm |= bits;
					ref.longTermFrameIdx = op.long_term_frame_idx;
				}
				break;
			}
			case 4:
				maxLongTermFrameIdx_ =
					int64_t{ op.max_long_term_frame_idx_plus1 } - 1;
				for (RefFrame &ref : refs_) {
					if (int64_t{ ref.longTermFrameIdx } > maxLongTermFrameIdx_)
						ref.longTerm = 0;
				}
				break;
			case 5:
				refs_.clear();
				maxLongTermFrameIdx_ = -1;
				break;
			case 6:
				currentLong = true;
				currentLongIdx = op.long_term_frame_idx;
				for (RefFrame &ref : refs_) {
					if (!isCurrentFrame(ref) &&
					    ref.longTermFrameIdx == currentLongIdx)
						ref.longTerm = 0;
				}
				break;
			default:
				break;
			}
		}
	} else if (!(secondField && firstFieldReference)) {
		slidingWindow(sps, h.frame_num);
	}

	std::erase_if(refs_, [](const RefFrame &r) { return !r.shortTerm && !r.longTerm; });

	auto frame = std::find_if(refs_.begin(), refs_.end(), isCurrentFrame);
	if (frame == refs_.end()) {
		refs_.push_back({});
		frame = refs_.end() - 1;
		frame->capture = capture;
		frame->timestamp = timestamp;
		frame->frameNum = h.frame_num;
		frame->fieldPictures = field;
	}
	if (!field || !h.bottom_field_flag)
		frame->topPoc = poc.top;
	if (!field || h.bottom_field_flag)
		frame->bottomPoc = poc.bottom;
	if (currentLong) {
		frame->longTerm |= parity;
		frame->longTermFrameIdx = currentLongIdx;
	} else {
		frame->shortTerm |= parity;
	}

	prevRefFrameNum_ = hasMmco5(h) ? 0 : h.frame_num;
}

unsigned int H264Client::allocateCapture()
{
	const unsigned int count = device_.captureCount();
	for (unsigned int i = 0; i < count; i++) {
		const unsigned int index = (nextCapture_ + i) % count;
		const bool referenced =
			std::any_of(refs_.begin(), refs_.end(),
				    [index](const RefFrame &ref) { return ref.capture == index; });
		if (referenced || (pending_ && pending_->capture == index))
			continue;
		nextCapture_ = (index + 1) % count;
		return index;
	}
	return nextCapture_++ % count;
}

bool H264Client::configure(const GstH264SPS &sps)
{
	StreamFormat format;
	format.codec = V4L2_PIX_FMT_H264_SLICE;
	format.width = sps.width;
	format.height = sps.height;
	format.outputSize =
		std::max(kMinOutputSize, size_t{ format.width } * format.height * 3 / 2);
	format.captureCount = std::max(sps.num_ref_frames, 1u) + kExtraCaptureBuffers;
	if (device_.configure(format) < 0)
		return fail("cannot configure the decoder for " + std::to_string(format.width) +
			    "x" + std::to_string(format.height) + ": " + device_.failure());

	const CaptureFormat &capture = device_.captureFormat();
	if (capture.width < format.width || capture.height < format.height)
		return fail("the decoder's CAPTURE format (" + std::to_string(capture.width) + "x" +
			    std::to_string(capture.height) + ") is smaller than the stream");

	codedWidth_ = format.width;
	codedHeight_ = format.height;
	/* GStreamer sends the SPS again with a new sequence. */
	spsSent_ = false;
	return true;
}

std::vector<Control> H264Client::requestControls(const Picture &picture,
						 const v4l2_ctrl_h264_decode_params &params)
{
	std::vector<Control> controls;

	if (style_ == ClientStyle::GStreamer) {
		const H264Controls &c = picture.gstreamer;
		if (!spsSent_ || memcmp(&lastSps_, &c.sps, sizeof(c.sps))) {
			controls.push_back(Control::of(V4L2_CID_STATELESS_H264_SPS, c.sps));
			lastSps_ = c.sps;
			spsSent_ = true;
		}
		controls.push_back(Control::of(V4L2_CID_STATELESS_H264_PPS, c.pps));
		if (c.hasMatrix)
			controls.push_back(
				Control::of(V4L2_CID_STATELESS_H264_SCALING_MATRIX, c.matrix));
	} else {
		const H264Controls &c = picture.effective;
		controls.push_back(Control::of(V4L2_CID_STATELESS_H264_SPS, c.sps));
		controls.push_back(Control::of(V4L2_CID_STATELESS_H264_PPS, c.pps));
		controls.push_back(Control::of(V4L2_CID_STATELESS_H264_SCALING_MATRIX, c.matrix));
	}
	controls.push_back(Control::of(V4L2_CID_STATELESS_H264_DECODE_PARAMS, params));

	if (style_ == ClientStyle::Chromium) {
		/* Chromium does not ask the driver: it sets both menus in every request. */
		controls.push_back(Control::integer(V4L2_CID_STATELESS_H264_DECODE_MODE,
						    V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED));
		controls.push_back(Control::integer(V4L2_CID_STATELESS_H264_START_CODE,
						    V4L2_STATELESS_H264_START_CODE_ANNEX_B));
	}
	return controls;
}

void H264Client::submit(const Picture &picture)
{
	const GstH264SPS &sps = picture.sps;
	const GstH264SliceHdr &h = picture.header;
	const bool field = h.field_pic_flag;
	const bool bottom = h.bottom_field_flag;

	/* A new coded size or a bigger DPB: a new stream, as after a source change. */
	if (uint32_t(sps.width) != codedWidth_ || uint32_t(sps.height) != codedHeight_ ||
	    device_.captureCount() < std::max(sps.num_ref_frames, 1u) + kExtraCaptureBuffers) {
		finishPendingField();
		bump(0);
		refs_.clear();
		nextCapture_ = 0;
		if (!configure(sps))
			return;
	}

	const bool secondField = field && pending_ && pending_->bottom != bottom &&
				 pending_->frameNum == h.frame_num && !picture.idr &&
				 pending_->reference == (picture.nalRefIdc != 0);
	const bool firstFieldReference = secondField && pending_->reference;
	if (pending_ && !secondField)
		finishPendingField();

	if (!picture.idr && !secondField)
		inferGapFrames(sps, h.frame_num);

	Poc poc = computePoc(picture);
	const bool mmco5 = picture.nalRefIdc && hasMmco5(h);
	if ((picture.idr || mmco5) && !secondField) {
		/* A new coded video sequence: everything before it is shown first. */
		bump(0);
	}

	v4l2_ctrl_h264_decode_params params{};
	params.nal_ref_idc = picture.nalRefIdc;
	params.frame_num = h.frame_num;
	params.top_field_order_cnt = !field || !bottom ? poc.top : 0;
	params.bottom_field_order_cnt = !field || bottom ? poc.bottom : 0;
	params.idr_pic_id = h.idr_pic_id;
	params.pic_order_cnt_lsb = h.pic_order_cnt_lsb;
	params.delta_pic_order_cnt_bottom = h.delta_pic_order_cnt_bottom;
	params.delta_pic_order_cnt0 = h.delta_pic_order_cnt[0];
	params.delta_pic_order_cnt1 = h.delta_pic_order_cnt[1];
	params.dec_ref_pic_marking_bit_size = h.dec_ref_pic_marking.bit_size;
	params.pic_order_cnt_bit_size = h.pic_order_cnt_bit_size;
	params.slice_group_change_cycle = h.slice_group_change_cycle;
	params.flags = (picture.idr ? V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC : 0) |
		       (field ? V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC : 0) |
		       (bottom ? V4L2_H264_DECODE_PARAM_FLAG_BOTTOM_FIELD : 0) |
		       (GST_H264_IS_P_SLICE(&h) || GST_H264_IS_SP_SLICE(&h)
				? V4L2_H264_DECODE_PARAM_FLAG_PFRAME
				: 0) |
		       (GST_H264_IS_B_SLICE(&h) ? V4L2_H264_DECODE_PARAM_FLAG_BFRAME : 0);
	fillDpb(picture, &params);

	const unsigned int capture = secondField ? pending_->capture : allocateCapture();
	uint64_t timestamp;
	/* The first of two fields: GStreamer (and Chromium's style) hold the CAPTURE buffer. */
	const bool hold = style_ != ClientStyle::Ffmpeg && field && !secondField;
	switch (style_) {
	case ClientStyle::GStreamer:
		timestamp = secondField ? pending_->timestamp : frameNumber_++ * 1000;
		break;
	case ClientStyle::Ffmpeg:
		timestamp = (uint64_t{ capture } + 1) * 1000;
		break;
	case ClientStyle::Chromium:
	default:
		timestamp = uint64_t{ capture } * 1000;
		break;
	}

	const std::vector<Control> controls = requestControls(picture, params);

	const std::vector<uint8_t> *data = &picture.data;
	std::vector<uint8_t> tampered;
	if (options_.tamper) {
		tampered = picture.data;
		options_.tamper(result_.requests, &tampered);
		data = &tampered;
	}

	const int status = device_.decode({ *data, controls, capture, timestamp, hold });
	result_.fieldRequests += field;
	output_.requestDone(status);
	if (!device_.failure().empty()) {
		fail("request " + std::to_string(result_.requests) + ": " + device_.failure());
		return;
	}

	if (mmco5) {
		/* The picture's counts become relative to itself (clause 8.2.1). */
		const int32_t temp = !field   ? std::min(poc.top, poc.bottom)
				     : bottom ? poc.bottom
					      : poc.top;
		poc.top -= temp;
		poc.bottom -= temp;
	}
	if (picture.nalRefIdc)
		markReferences(picture, poc, capture, timestamp, secondField, firstFieldReference);
	updatePocState(picture, poc, mmco5);

	if (!field) {
		outputFrame(capture, std::min(poc.top, poc.bottom), sps);
	} else if (secondField) {
		outputFrame(capture, std::min(pending_->poc, bottom ? poc.bottom : poc.top), sps);
		pending_.reset();
	} else {
		pending_ = PendingField{ capture,
					 timestamp,
					 h.frame_num,
					 bottom,
					 picture.nalRefIdc != 0,
					 bottom ? poc.bottom : poc.top,
					 sps };
	}
}

void H264Client::finishPendingField()
{
	if (!pending_)
		return;
	/* An unpaired field: shown as a frame with whatever the other field holds. */
	result_.unpairedFields++;
	outputFrame(pending_->capture, pending_->poc, pending_->sps);
	pending_.reset();
}

void H264Client::outputFrame(unsigned int capture, int32_t poc, const GstH264SPS &sps)
{
	uint32_t x = 0, y = 0, width = sps.width, height = sps.height;
	if (sps.frame_cropping_flag) {
		x = sps.crop_rect_x;
		y = sps.crop_rect_y;
		width = sps.crop_rect_width;
		height = sps.crop_rect_height;
	}
	const CaptureFormat &format = device_.captureFormat();
	std::vector<uint8_t> i420 = nv12ToI420(device_.capture(capture), format.stride,
					       format.height, x, y, width, height);
	if (i420.empty()) {
		fail("the picture does not fit the CAPTURE buffer");
		return;
	}
	display_.push_back({ poc, width, height, std::move(i420) });
	bump(kMaxReorder);
}

void H264Client::bump(size_t keep)
{
	while (display_.size() > keep) {
		auto first = std::min_element(display_.begin(), display_.end(),
					      [](const DisplayFrame &a, const DisplayFrame &b) {
						      return a.poc < b.poc;
					      });
		output_.show(first->i420, first->width, first->height);
		result_.frameMd5s.push_back(Md5::of(first->i420));
		display_.erase(first);
	}
}

} /* namespace */

H264RunResult runH264Client(const std::vector<uint8_t> &stream, ClientStyle style,
			    DecodeDevice &device, const H264ClientOptions &options)
{
	H264Client client(style, device, options);
	return client.run(stream);
}

} /* namespace daedalus::client */
