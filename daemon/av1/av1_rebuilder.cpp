/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rebuilds a decodable AV1 temporal unit from the V4L2 stateless AV1
 * controls. Section numbers refer to the AV1 Bitstream & Decoding Process
 * Specification.
 */

#include "av1_rebuilder.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "bit_writer.h"

namespace daedalus::av1 {

namespace {

constexpr unsigned int kObuSequenceHeader = 1;
constexpr unsigned int kObuTemporalDelimiter = 2;
constexpr unsigned int kObuFrameHeader = 3;
constexpr unsigned int kObuTileGroup = 4;

constexpr unsigned int kRefsPerFrame = 7;
constexpr unsigned int kPrimaryRefNone = 7;
constexpr uint8_t kAllFrames = 0xff;

constexpr unsigned int kSuperresNum = 8;
constexpr unsigned int kSuperresDenomMin = 9;
constexpr unsigned int kSuperresDenomBits = 3;

constexpr unsigned int kMaxTileWidth = 4096;
constexpr unsigned int kMaxTileArea = 4096 * 2304;
constexpr unsigned int kMaxTileRows = 64;
constexpr unsigned int kMaxTileCols = 64;

constexpr int kWarpedModelPrecBits = 16;
constexpr int kGmAbsTransBits = 12;
constexpr int kGmAbsTransOnlyBits = 9;
constexpr int kGmAbsAlphaBits = 12;
constexpr int kGmAlphaPrecBits = 15;
constexpr int kGmTransPrecBits = 6;
constexpr int kGmTransOnlyPrecBits = 3;

/* seq_level_idx 31: no level constraints. */
constexpr unsigned int kSeqLevelMaxParameters = 31;

constexpr unsigned int kSegmentationFeatureBits[kSegLvlMax] = { 8, 6, 6, 6, 6, 3, 0, 0 };
constexpr bool kSegmentationFeatureSigned[kSegLvlMax] = { true, true,  true,  true,
							  true, false, false, false };
constexpr int kSegmentationFeatureMax[kSegLvlMax] = { 255, 63, 63, 63, 63, 7, 0, 0 };

/* INTRA, LAST, LAST2, LAST3, GOLDEN, BWDREF, ALTREF2, ALTREF (section 7.20). */
constexpr std::array<int8_t, kTotalRefsPerFrame> kDefaultLoopFilterRefDeltas = { 1,  0, 0,  0,
										 -1, 0, -1, -1 };

/* lr_type as coded for each enum v4l2_av1_frame_restoration_type (Remap_Lr_Type inverted). */
constexpr uint32_t kLrTypeCode[4] = { 0, 2, 3, 1 };

using GmParams = std::array<std::array<int32_t, 6>, kTotalRefsPerFrame>;

constexpr bool has(uint32_t flags, uint32_t flag)
{
	return (flags & flag) != 0;
}

/*
 * The value of an enum field as the client wrote it: any 32-bit value, which
 * must not be loaded as the enum type before it is known to be valid.
 */
template<typename E> uint32_t rawEnum(const E &field)
{
	static_assert(sizeof(E) == sizeof(uint32_t));
	uint32_t value;
	memcpy(&value, &field, sizeof(value));
	return value;
}

/* Number of bits that hold @value, at least 1. */
unsigned int bitsFor(uint32_t value)
{
	unsigned int n = 1;

	while (n < 32 && (value >> n) != 0)
		n++;
	return n;
}

/* The smallest k such that blkSize << k >= target (section 5.9.16). */
unsigned int tileLog2(uint32_t blkSize, uint32_t target)
{
	unsigned int k = 0;

	while ((uint64_t(blkSize) << k) < target)
		k++;
	return k;
}

GmParams defaultGmParams()
{
	GmParams params{};

	for (auto &p : params)
		p = { 0, 0, 1 << kWarpedModelPrecBits, 0, 0, 1 << kWarpedModelPrecBits };
	return params;
}

/* The inverse of inverse_recenter() (section 5.9.28). */
uint32_t recenter(int32_t r, int32_t v)
{
	if (v > 2 * r)
		return v;
	if (v >= r)
		return uint32_t(v - r) << 1;
	return (uint32_t(r - v) << 1) - 1;
}

/* The writer side of decode_subexp( numSyms ) (section 5.9.27). */
void writeSubexp(BitWriter &bw, uint32_t value, uint32_t numSyms)
{
	unsigned int i = 0;
	uint32_t mk = 0;
	const unsigned int k = 3;

	for (;;) {
		const unsigned int b2 = i ? k + i - 1 : k;
		const uint32_t a = uint32_t(1) << b2;

		if (numSyms <= mk + 3 * a) {
			bw.writeNs(value - mk, numSyms - mk);
			return;
		}
		if (value >= mk + a) {
			bw.writeBit(1);
			i++;
			mk += a;
		} else {
			bw.writeBit(0);
			bw.writeBits(value - mk, b2);
			return;
		}
	}
}

/* The writer side of decode_signed_subexp_with_ref( low, high, r ) (section 5.9.26). */
void writeSignedSubexpWithRef(BitWriter &bw, int32_t low, int32_t high, int32_t r, int32_t value)
{
	const int32_t mx = high - low;
	const int32_t v = value - low;
	r -= low;

	if ((r << 1) <= mx)
		writeSubexp(bw, recenter(r, v), mx);
	else
		writeSubexp(bw, recenter(mx - 1 - r, mx - 1 - v), mx);
}

/* What AV1_SEQUENCE says, with the derived values the frame header needs. */
struct Sequence {
	const v4l2_ctrl_av1_sequence &ctrl;
	bool monochrome;
	bool subsamplingX;
	bool subsamplingY;
	unsigned int numPlanes;
	bool enableOrderHint;
	unsigned int orderHintBits;
	bool use128x128;
	unsigned int frameWidthBits;
	unsigned int frameHeightBits;

	explicit Sequence(const v4l2_ctrl_av1_sequence &seq)
		: ctrl(seq), monochrome(has(seq.flags, V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME)),
		  subsamplingX(has(seq.flags, V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X)),
		  subsamplingY(has(seq.flags, V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y)),
		  numPlanes(monochrome ? 1 : 3),
		  enableOrderHint(has(seq.flags, V4L2_AV1_SEQUENCE_FLAG_ENABLE_ORDER_HINT)),
		  orderHintBits(enableOrderHint ? seq.order_hint_bits : 0),
		  use128x128(has(seq.flags, V4L2_AV1_SEQUENCE_FLAG_USE_128X128_SUPERBLOCK)),
		  frameWidthBits(bitsFor(seq.max_frame_width_minus_1)),
		  frameHeightBits(bitsFor(seq.max_frame_height_minus_1))
	{
	}

	bool flag(uint32_t f) const { return has(ctrl.flags, f); }

	/* get_relative_dist() (section 5.9.3). */
	int relativeDist(uint32_t a, uint32_t b) const
	{
		if (!enableOrderHint)
			return 0;
		const int32_t diff = int32_t(a) - int32_t(b);
		const int32_t m = 1 << (orderHintBits - 1);
		return (diff & (m - 1)) - (diff & m);
	}
};

/* The tile layout as the frame header will code it (section 5.9.15). */
struct TileLayout {
	bool uniform = false;
	unsigned int colsLog2 = 0;
	unsigned int rowsLog2 = 0;
	/* Uniform spacing: the log2 values the increment flags start from and may reach. */
	unsigned int minColsLog2 = 0;
	unsigned int maxColsLog2 = 0;
	unsigned int minRowsLog2 = 0;
	unsigned int maxRowsLog2 = 0;
	unsigned int cols = 0;
	unsigned int rows = 0;
	/* Superblock starts, cols + 1 and rows + 1 entries. */
	std::array<uint32_t, kMaxTileCols + 1> colStarts{};
	std::array<uint32_t, kMaxTileRows + 1> rowStarts{};
	uint32_t sbCols = 0;
	uint32_t sbRows = 0;
	uint32_t maxTileWidthSb = 0;
	uint32_t maxTileHeightSb = 0;
};

class FrameBuilder
{
public:
	FrameBuilder(const Sequence &seq, const v4l2_ctrl_av1_frame &frame,
		     const v4l2_ctrl_av1_film_grain *filmGrain,
		     const std::array<ReferenceSlot, kNumRefFrames> &slots,
		     std::vector<std::span<const uint8_t>> *tileData, std::string *error)
		: seq_(seq), f_(frame), fg_(filmGrain), slots_(slots), error_(error),
		  tileData_(*tileData)
	{
	}

	int prepare(std::span<const v4l2_ctrl_av1_tile_group_entry> tiles,
		    std::span<const uint8_t> outputBuffer);
	int writeSequenceHeader(BitWriter &bw);
	int writeFrameHeader(BitWriter &bw);
	void writeTileGroup(std::vector<uint8_t> *out) const;
	void updateSlots(std::array<ReferenceSlot, kNumRefFrames> *slots,
			 std::optional<uint64_t> timestamp) const;

private:
	int fail(const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	bool flag(uint32_t f) const { return has(f_.flags, f); }

	int prepareSizes();
	int prepareTiles(std::span<const v4l2_ctrl_av1_tile_group_entry> tiles,
			 std::span<const uint8_t> outputBuffer);
	int prepareSegmentation();
	int prepareLoopFilter();
	int prepareGlobalMotion();
	int prepareFilmGrain();
	bool skipModeAllowed() const;

	void writeColorConfig(BitWriter &bw);
	void writeFrameSize(BitWriter &bw);
	void writeRenderSize(BitWriter &bw);
	void writeTileInfo(BitWriter &bw);
	void writeQuantizationParams(BitWriter &bw);
	void writeSegmentationParams(BitWriter &bw);
	void writeLoopFilterParams(BitWriter &bw);
	void writeCdefParams(BitWriter &bw);
	void writeLrParams(BitWriter &bw);
	void writeGlobalMotionParams(BitWriter &bw);
	void writeFilmGrainParams(BitWriter &bw);

	const Sequence &seq_;
	const v4l2_ctrl_av1_frame &f_;
	const v4l2_ctrl_av1_film_grain *fg_;
	const std::array<ReferenceSlot, kNumRefFrames> &slots_;
	std::string *error_;

	uint32_t frameType_ = 0;
	uint32_t interpolationFilter_ = 0;
	uint32_t txMode_ = 0;
	std::array<uint32_t, 3> lrType_{};
	bool frameIsIntra_ = false;
	bool showFrame_ = false;
	bool showableFrame_ = false;
	bool errorResilient_ = false;
	bool allowScreenContentTools_ = false;
	bool forceIntegerMv_ = false;
	bool allowIntrabc_ = false;
	bool allowHighPrecisionMv_ = false;
	unsigned int primaryRefFrame_ = kPrimaryRefNone;
	uint8_t refreshFrameFlags_ = 0;
	std::array<unsigned int, kRefsPerFrame> refFrameIdx_{};

	uint32_t upscaledWidth_ = 0;
	uint32_t frameWidth_ = 0;
	uint32_t frameHeight_ = 0;
	uint32_t renderWidth_ = 0;
	uint32_t renderHeight_ = 0;
	bool useSuperres_ = false;
	bool frameSizeOverride_ = false;
	uint32_t miCols_ = 0;
	uint32_t miRows_ = 0;

	TileLayout tiles_;
	/* Tile data in tile order (the rebuilder's, reused from frame to frame). */
	std::vector<std::span<const uint8_t>> &tileData_;
	unsigned int tileSizeBytes_ = 1;

	bool segEnabled_ = false;
	bool segUpdateMap_ = false;
	bool segTemporalUpdate_ = false;
	bool segUpdateData_ = false;
	std::array<uint8_t, kMaxSegments> featureEnabled_{};
	std::array<std::array<int16_t, kSegLvlMax>, kMaxSegments> featureData_{};
	bool codedLossless_ = false;
	bool allLossless_ = false;

	bool deltaQPresent_ = false;
	bool deltaLfPresent_ = false;
	std::array<int8_t, kTotalRefsPerFrame> lfRefDeltas_{};
	std::array<int8_t, 2> lfModeDeltas_{};

	unsigned int lrUnitShift_ = 0;
	unsigned int lrUvShift_ = 0;

	GmParams prevGmParams_{};
	GmParams gmParams_{};
	std::array<unsigned int, kTotalRefsPerFrame> gmType_{};

	bool applyGrain_ = false;
	bool updateGrain_ = false;
};

int FrameBuilder::fail(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*error_ = buf;
	return -EINVAL;
}

int FrameBuilder::prepare(std::span<const v4l2_ctrl_av1_tile_group_entry> tiles,
			  std::span<const uint8_t> outputBuffer)
{
	const v4l2_ctrl_av1_sequence &s = seq_.ctrl;

	/* The sequence. */
	if (s.seq_profile > 2)
		return fail("seq_profile %u is not defined", s.seq_profile);
	if (s.bit_depth != 8 && s.bit_depth != 10 && (s.bit_depth != 12 || s.seq_profile != 2))
		return fail("bit depth %u is not allowed in profile %u", s.bit_depth,
			    s.seq_profile);
	if (s.seq_profile == 1 && seq_.monochrome)
		return fail("profile 1 has no monochrome");
	if (!seq_.monochrome) {
		bool subX, subY;
		if (s.seq_profile == 0) {
			subX = subY = true;
		} else if (s.seq_profile == 1) {
			subX = subY = false;
		} else if (s.bit_depth == 12) {
			subX = seq_.subsamplingX;
			subY = subX && seq_.subsamplingY;
		} else {
			subX = true;
			subY = false;
		}
		if (subX != seq_.subsamplingX || subY != seq_.subsamplingY)
			return fail("subsampling %u,%u is not allowed in profile %u",
				    seq_.subsamplingX, seq_.subsamplingY, s.seq_profile);
	}
	if (seq_.enableOrderHint && (s.order_hint_bits < 1 || s.order_hint_bits > 8))
		return fail("order_hint_bits %u out of range", s.order_hint_bits);

	/* Frame type and the flags that decide which syntax elements exist. */
	frameType_ = rawEnum(f_.frame_type);
	if (frameType_ > V4L2_AV1_SWITCH_FRAME)
		return fail("frame_type %u is not defined", frameType_);
	frameIsIntra_ = frameType_ == V4L2_AV1_KEY_FRAME || frameType_ == V4L2_AV1_INTRA_ONLY_FRAME;
	showFrame_ = flag(V4L2_AV1_FRAME_FLAG_SHOW_FRAME);
	if (seq_.flag(V4L2_AV1_SEQUENCE_FLAG_STILL_PICTURE) &&
	    (frameType_ != V4L2_AV1_KEY_FRAME || !showFrame_))
		return fail("a still picture must be a shown key frame");
	showableFrame_ = showFrame_ ? frameType_ != V4L2_AV1_KEY_FRAME
				    : flag(V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME);
	if (frameType_ == V4L2_AV1_SWITCH_FRAME || (frameType_ == V4L2_AV1_KEY_FRAME && showFrame_))
		errorResilient_ = true;
	else
		errorResilient_ = flag(V4L2_AV1_FRAME_FLAG_ERROR_RESILIENT_MODE);

	allowScreenContentTools_ = flag(V4L2_AV1_FRAME_FLAG_ALLOW_SCREEN_CONTENT_TOOLS);
	/* For intra frames the bit is coded but force_integer_mv is 1 anyway. */
	forceIntegerMv_ = allowScreenContentTools_ && flag(V4L2_AV1_FRAME_FLAG_FORCE_INTEGER_MV);

	if (seq_.enableOrderHint && (f_.order_hint >> seq_.orderHintBits) != 0)
		return fail("order_hint %u needs more than %u bits", f_.order_hint,
			    seq_.orderHintBits);

	if (frameIsIntra_ || errorResilient_) {
		primaryRefFrame_ = kPrimaryRefNone;
	} else {
		if (f_.primary_ref_frame > kPrimaryRefNone)
			return fail("primary_ref_frame %u out of range", f_.primary_ref_frame);
		primaryRefFrame_ = f_.primary_ref_frame;
	}

	if (frameType_ == V4L2_AV1_SWITCH_FRAME || (frameType_ == V4L2_AV1_KEY_FRAME && showFrame_))
		refreshFrameFlags_ = kAllFrames;
	else
		refreshFrameFlags_ = f_.refresh_frame_flags;
	if (frameType_ == V4L2_AV1_INTRA_ONLY_FRAME && refreshFrameFlags_ == kAllFrames)
		return fail("an intra-only frame cannot refresh every slot");

	if (!frameIsIntra_) {
		for (unsigned int i = 0; i < kRefsPerFrame; i++) {
			const int idx = f_.ref_frame_idx[i];
			if (idx < 0 || idx >= int(kNumRefFrames))
				return fail("ref_frame_idx[%u] = %d out of range", i, idx);
			if (!slots_[idx].valid)
				return fail("ref_frame_idx[%u] names slot %d, which holds no frame",
					    i, idx);
			refFrameIdx_[i] = idx;
		}
		allowHighPrecisionMv_ = !forceIntegerMv_ &&
					flag(V4L2_AV1_FRAME_FLAG_ALLOW_HIGH_PRECISION_MV);
		interpolationFilter_ = rawEnum(f_.interpolation_filter);
		if (interpolationFilter_ > V4L2_AV1_INTERPOLATION_FILTER_SWITCHABLE)
			return fail("interpolation_filter %u is not defined", interpolationFilter_);
	}

	int ret = prepareSizes();
	if (ret)
		return ret;

	if (flag(V4L2_AV1_FRAME_FLAG_ALLOW_INTRABC)) {
		if (!frameIsIntra_ || !allowScreenContentTools_ || upscaledWidth_ != frameWidth_)
			return fail("allow_intrabc without screen content tools on an unscaled "
				    "intra frame");
		allowIntrabc_ = true;
	}

	ret = prepareTiles(tiles, outputBuffer);
	if (ret)
		return ret;

	/* Quantization (section 5.9.12). */
	const v4l2_av1_quantization &q = f_.quantization;
	for (int8_t delta :
	     { q.delta_q_y_dc, q.delta_q_u_dc, q.delta_q_u_ac, q.delta_q_v_dc, q.delta_q_v_ac }) {
		if (delta < -64 || delta > 63)
			return fail("quantizer delta %d out of range", delta);
	}
	if (seq_.numPlanes == 1 &&
	    (q.delta_q_u_dc || q.delta_q_u_ac || q.delta_q_v_dc || q.delta_q_v_ac))
		return fail("chroma quantizer deltas on a monochrome sequence");
	if (!seq_.flag(V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q) &&
	    (q.delta_q_v_dc != q.delta_q_u_dc || q.delta_q_v_ac != q.delta_q_u_ac))
		return fail("V quantizer deltas differ from U without separate_uv_delta_q");
	if (has(q.flags, V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX)) {
		if (q.qm_y > 15 || q.qm_u > 15 || q.qm_v > 15)
			return fail("quantizer matrix level out of range");
		if (!seq_.flag(V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q) && q.qm_v != q.qm_u)
			return fail("qm_v differs from qm_u without separate_uv_delta_q");
	}

	ret = prepareSegmentation();
	if (ret)
		return ret;

	/* Delta quantizer and delta loop filter (sections 5.9.17, 5.9.18). */
	deltaQPresent_ = has(q.flags, V4L2_AV1_QUANTIZATION_FLAG_DELTA_Q_PRESENT);
	if (deltaQPresent_ && q.base_q_idx == 0)
		return fail("delta_q_present with base_q_idx 0");
	if (q.delta_q_res > 3)
		return fail("delta_q_res %u out of range", q.delta_q_res);
	deltaLfPresent_ = deltaQPresent_ && !allowIntrabc_ &&
			  has(f_.loop_filter.flags, V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_PRESENT);
	if (f_.loop_filter.delta_lf_res > 3)
		return fail("delta_lf_res %u out of range", f_.loop_filter.delta_lf_res);

	/* CodedLossless and AllLossless (section 5.9.2). */
	codedLossless_ = true;
	for (unsigned int i = 0; i < kMaxSegments; i++) {
		int qindex = q.base_q_idx;
		if (segEnabled_ && (featureEnabled_[i] & (1 << V4L2_AV1_SEG_LVL_ALT_Q)))
			qindex = std::clamp(qindex + featureData_[i][V4L2_AV1_SEG_LVL_ALT_Q], 0,
					    255);
		const bool lossless = qindex == 0 && !q.delta_q_y_dc && !q.delta_q_u_ac &&
				      !q.delta_q_u_dc && !q.delta_q_v_ac && !q.delta_q_v_dc;
		if (!lossless)
			codedLossless_ = false;
	}
	allLossless_ = codedLossless_ && frameWidth_ == upscaledWidth_;

	txMode_ = rawEnum(f_.tx_mode);
	if (txMode_ > V4L2_AV1_TX_MODE_SELECT)
		return fail("tx_mode %u is not defined", txMode_);
	if (!codedLossless_ && txMode_ == V4L2_AV1_TX_MODE_ONLY_4X4)
		return fail("tx_mode ONLY_4X4 is only possible on a lossless frame");

	ret = prepareLoopFilter();
	if (ret)
		return ret;

	/* CDEF (section 5.9.19). */
	const v4l2_av1_cdef &cdef = f_.cdef;
	if (cdef.damping_minus_3 > 3 || cdef.bits > 3)
		return fail("cdef damping or bits out of range");
	for (unsigned int i = 0; i < (1u << cdef.bits); i++) {
		if (cdef.y_pri_strength[i] > 15 || cdef.uv_pri_strength[i] > 15 ||
		    cdef.y_sec_strength[i] > 4 || cdef.uv_sec_strength[i] > 4)
			return fail("cdef strength %u out of range", i);
	}

	/* Loop restoration (section 5.9.20). */
	const v4l2_av1_loop_restoration &lr = f_.loop_restoration;
	bool usesLr = false;
	bool usesChromaLr = false;
	for (unsigned int i = 0; i < seq_.numPlanes; i++) {
		lrType_[i] = rawEnum(lr.frame_restoration_type[i]);
		if (lrType_[i] > V4L2_AV1_FRAME_RESTORE_SWITCHABLE)
			return fail("frame_restoration_type[%u] %u is not defined", i, lrType_[i]);
		if (lrType_[i] != V4L2_AV1_FRAME_RESTORE_NONE) {
			usesLr = true;
			if (i > 0)
				usesChromaLr = true;
		}
	}
	if (usesLr) {
		/* The sizes are final; lr_unit_shift is the final shift (0..2). */
		const uint32_t size0 = lr.loop_restoration_size[0];
		if (size0 == 64 || size0 == 128 || size0 == 256)
			lrUnitShift_ = size0 == 64 ? 0 : size0 == 128 ? 1 : 2;
		else
			lrUnitShift_ = lr.lr_unit_shift;
		if (lrUnitShift_ > 2 || (seq_.use128x128 && lrUnitShift_ == 0))
			return fail("loop restoration unit shift %u out of range", lrUnitShift_);

		const uint32_t size1 = lr.loop_restoration_size[1];
		if (size1 && (size1 == size0 || size1 * 2 == size0))
			lrUvShift_ = size1 == size0 ? 0 : 1;
		else
			lrUvShift_ = lr.lr_uv_shift;
		if (!(seq_.subsamplingX && seq_.subsamplingY && usesChromaLr))
			lrUvShift_ = 0;
		if (lrUvShift_ > 1)
			return fail("lr_uv_shift %u out of range", lrUvShift_);
	}

	ret = prepareGlobalMotion();
	if (ret)
		return ret;

	/* Skip mode (section 5.9.22). */
	if (flag(V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT) && !skipModeAllowed())
		return fail("skip_mode_present, but the reference order hints allow no skip mode");

	return prepareFilmGrain();
}

int FrameBuilder::prepareSizes()
{
	const v4l2_ctrl_av1_sequence &s = seq_.ctrl;

	frameWidth_ = f_.frame_width_minus_1 + 1;
	frameHeight_ = f_.frame_height_minus_1 + 1;
	useSuperres_ = flag(V4L2_AV1_FRAME_FLAG_USE_SUPERRES);
	if (useSuperres_ && !seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES))
		return fail("use_superres without enable_superres");

	if (useSuperres_) {
		const unsigned int denom = f_.superres_denom;
		if (denom < kSuperresDenomMin ||
		    denom >= kSuperresDenomMin + (1 << kSuperresDenomBits))
			return fail("superres_denom %u out of range", denom);
		upscaledWidth_ = f_.upscaled_width;
		const uint32_t downscaled = (upscaledWidth_ * kSuperresNum + denom / 2) / denom;
		if (downscaled != frameWidth_)
			return fail("upscaled_width %u with denominator %u is not %u wide",
				    upscaledWidth_, denom, frameWidth_);
	} else {
		/* Some clients leave upscaled_width 0 without super-resolution. */
		if (f_.upscaled_width && f_.upscaled_width != frameWidth_)
			return fail("upscaled_width %u differs from the frame width %u without "
				    "super-resolution",
				    f_.upscaled_width, frameWidth_);
		upscaledWidth_ = frameWidth_;
	}

	if (upscaledWidth_ - 1 > s.max_frame_width_minus_1 ||
	    frameHeight_ - 1 > s.max_frame_height_minus_1)
		return fail("frame %ux%u exceeds the sequence maximum %ux%u", upscaledWidth_,
			    frameHeight_, s.max_frame_width_minus_1 + 1,
			    s.max_frame_height_minus_1 + 1);

	renderWidth_ = f_.render_width_minus_1 + 1;
	renderHeight_ = f_.render_height_minus_1 + 1;

	if (frameType_ == V4L2_AV1_SWITCH_FRAME)
		frameSizeOverride_ = true;
	else
		frameSizeOverride_ = flag(V4L2_AV1_FRAME_FLAG_FRAME_SIZE_OVERRIDE) ||
				     upscaledWidth_ != s.max_frame_width_minus_1 + 1u ||
				     frameHeight_ != s.max_frame_height_minus_1 + 1u;

	/* compute_image_size() (section 5.9.9). */
	miCols_ = 2 * ((frameWidth_ + 7) >> 3);
	miRows_ = 2 * ((frameHeight_ + 7) >> 3);
	return 0;
}

/*
 * Convert the tile starts of the control (in 4x4 units) to superblocks:
 * @count starts, the first 0, strictly increasing, each on a superblock
 * boundary and inside the frame. @out gets count + 1 entries, the last being
 * @sbCount.
 */
bool startsToSuperblocks(const __u32 *miStarts, unsigned int count, unsigned int sbShift,
			 uint32_t sbCount, uint32_t *out)
{
	for (unsigned int i = 0; i < count; i++) {
		const uint32_t mi = miStarts[i];
		if (mi & ((1u << sbShift) - 1))
			return false;
		out[i] = mi >> sbShift;
		if ((i == 0 && out[i] != 0) || (i > 0 && out[i] <= out[i - 1]) || out[i] >= sbCount)
			return false;
	}
	out[count] = sbCount;
	return true;
}

/*
 * The log2 value in [minLog2, maxLog2] whose uniform spacing of @sbCount
 * superblocks yields exactly @starts (count + 1 entries), or -1.
 */
int uniformLog2(const uint32_t *starts, unsigned int count, uint32_t sbCount, unsigned int minLog2,
		unsigned int maxLog2)
{
	for (unsigned int log2 = minLog2; log2 <= maxLog2; log2++) {
		const uint32_t size = (sbCount + (1u << log2) - 1) >> log2;
		const uint32_t n = (sbCount + size - 1) / size;
		if (n != count)
			continue;

		bool match = true;
		for (unsigned int i = 0; i < count && match; i++)
			match = starts[i] == i * size;
		if (match)
			return log2;
	}
	return -1;
}

int FrameBuilder::prepareTiles(std::span<const v4l2_ctrl_av1_tile_group_entry> tiles,
			       std::span<const uint8_t> outputBuffer)
{
	const v4l2_av1_tile_info &ti = f_.tile_info;
	TileLayout &t = tiles_;

	const unsigned int sbShift = seq_.use128x128 ? 5 : 4;
	const unsigned int sbSize = sbShift + 2;
	t.sbCols = (miCols_ + (1u << sbShift) - 1) >> sbShift;
	t.sbRows = (miRows_ + (1u << sbShift) - 1) >> sbShift;
	t.maxTileWidthSb = kMaxTileWidth >> sbSize;
	uint32_t maxTileAreaSb = kMaxTileArea >> (2 * sbSize);
	const unsigned int minLog2TileCols = tileLog2(t.maxTileWidthSb, t.sbCols);
	const unsigned int maxLog2TileCols = tileLog2(1, std::min(t.sbCols, kMaxTileCols));
	const unsigned int maxLog2TileRows = tileLog2(1, std::min(t.sbRows, kMaxTileRows));
	const unsigned int minLog2Tiles =
		std::max(minLog2TileCols, tileLog2(maxTileAreaSb, t.sbRows * t.sbCols));

	if (ti.tile_cols < 1 || ti.tile_cols > kMaxTileCols || ti.tile_rows < 1 ||
	    ti.tile_rows > kMaxTileRows)
		return fail("%ux%u tiles out of range", ti.tile_cols, ti.tile_rows);
	t.cols = ti.tile_cols;
	t.rows = ti.tile_rows;

	if (!startsToSuperblocks(ti.mi_col_starts, t.cols, sbShift, t.sbCols, t.colStarts.data()))
		return fail("mi_col_starts do not describe %u tile columns of %u superblocks",
			    t.cols, t.sbCols);
	if (!startsToSuperblocks(ti.mi_row_starts, t.rows, sbShift, t.sbRows, t.rowStarts.data()))
		return fail("mi_row_starts do not describe %u tile rows of %u superblocks", t.rows,
			    t.sbRows);

	/* Uniform spacing when some log2 pair reproduces the layout. */
	const int colsLog2 =
		uniformLog2(t.colStarts.data(), t.cols, t.sbCols, minLog2TileCols, maxLog2TileCols);
	if (colsLog2 >= 0) {
		const unsigned int minLog2TileRows =
			minLog2Tiles > unsigned(colsLog2) ? minLog2Tiles - colsLog2 : 0;
		const int rowsLog2 = uniformLog2(t.rowStarts.data(), t.rows, t.sbRows,
						 minLog2TileRows, maxLog2TileRows);
		if (rowsLog2 >= 0) {
			t.uniform = true;
			t.colsLog2 = colsLog2;
			t.rowsLog2 = rowsLog2;
			t.minColsLog2 = minLog2TileCols;
			t.maxColsLog2 = maxLog2TileCols;
			t.minRowsLog2 = minLog2TileRows;
			t.maxRowsLog2 = maxLog2TileRows;
		}
	}

	if (!t.uniform) {
		uint32_t widestTileSb = 0;
		for (unsigned int i = 0; i < t.cols; i++) {
			const uint32_t width = t.colStarts[i + 1] - t.colStarts[i];
			if (width > t.maxTileWidthSb)
				return fail("tile column %u is %u superblocks wide, more than %u",
					    i, width, t.maxTileWidthSb);
			widestTileSb = std::max(widestTileSb, width);
		}
		if (minLog2Tiles > 0)
			maxTileAreaSb = (t.sbRows * t.sbCols) >> (minLog2Tiles + 1);
		else
			maxTileAreaSb = t.sbRows * t.sbCols;
		t.maxTileHeightSb = std::max(maxTileAreaSb / widestTileSb, 1u);
		for (unsigned int i = 0; i < t.rows; i++) {
			const uint32_t height = t.rowStarts[i + 1] - t.rowStarts[i];
			if (height > t.maxTileHeightSb)
				return fail("tile row %u is %u superblocks high, more than %u", i,
					    height, t.maxTileHeightSb);
		}
		t.colsLog2 = tileLog2(1, t.cols);
		t.rowsLog2 = tileLog2(1, t.rows);
	}

	const unsigned int numTiles = t.cols * t.rows;
	if (ti.context_update_tile_id >= numTiles)
		return fail("context_update_tile_id %u with %u tiles", ti.context_update_tile_id,
			    numTiles);

	/* Every tile exactly once, inside the OUTPUT buffer. */
	if (tiles.size() != numTiles)
		return fail("%zu tile group entries for %u tiles", tiles.size(), numTiles);

	tileData_.assign(numTiles, {});
	uint32_t maxSize = 0;
	for (const v4l2_ctrl_av1_tile_group_entry &e : tiles) {
		if (e.tile_row >= t.rows || e.tile_col >= t.cols)
			return fail("tile %u,%u outside the %ux%u layout", e.tile_row, e.tile_col,
				    t.rows, t.cols);
		const unsigned int index = e.tile_row * t.cols + e.tile_col;
		if (!tileData_[index].empty())
			return fail("tile %u,%u appears twice", e.tile_row, e.tile_col);
		if (e.tile_size == 0 || e.tile_offset > outputBuffer.size() ||
		    e.tile_size > outputBuffer.size() - e.tile_offset)
			return fail("tile %u,%u (%u bytes at %u) outside the %zu-byte buffer",
				    e.tile_row, e.tile_col, e.tile_size, e.tile_offset,
				    outputBuffer.size());
		tileData_[index] = outputBuffer.subspan(e.tile_offset, e.tile_size);
		if (index + 1 < numTiles)
			maxSize = std::max(maxSize, e.tile_size - 1);
	}

	/* The smallest tile_size_bytes that holds every tile_size_minus_1. */
	tileSizeBytes_ = 1;
	while (tileSizeBytes_ < 4 && (maxSize >> (8 * tileSizeBytes_)) != 0)
		tileSizeBytes_++;

	return 0;
}

int FrameBuilder::prepareSegmentation()
{
	const v4l2_av1_segmentation &seg = f_.segmentation;

	segEnabled_ = has(seg.flags, V4L2_AV1_SEGMENTATION_FLAG_ENABLED);
	if (!segEnabled_) {
		/* Features off; the decoder saves zeros (section 5.9.14). */
		featureEnabled_.fill(0);
		for (auto &d : featureData_)
			d.fill(0);
		return 0;
	}

	if (primaryRefFrame_ == kPrimaryRefNone) {
		segUpdateMap_ = true;
		segTemporalUpdate_ = false;
		segUpdateData_ = true;
	} else {
		segUpdateMap_ = has(seg.flags, V4L2_AV1_SEGMENTATION_FLAG_UPDATE_MAP);
		segTemporalUpdate_ = segUpdateMap_ &&
				     has(seg.flags, V4L2_AV1_SEGMENTATION_FLAG_TEMPORAL_UPDATE);
		segUpdateData_ = has(seg.flags, V4L2_AV1_SEGMENTATION_FLAG_UPDATE_DATA);
	}

	if (!segUpdateData_) {
		/* Inherited from the primary reference frame (load_previous()). */
		const ReferenceSlot &ref = slots_[refFrameIdx_[primaryRefFrame_]];
		featureEnabled_ = ref.featureEnabled;
		featureData_ = ref.featureData;
		return 0;
	}

	for (unsigned int i = 0; i < kMaxSegments; i++) {
		featureEnabled_[i] = seg.feature_enabled[i];
		for (unsigned int j = 0; j < kSegLvlMax; j++) {
			if (!(featureEnabled_[i] & (1 << j))) {
				featureData_[i][j] = 0;
				continue;
			}
			const int limit = kSegmentationFeatureMax[j];
			featureData_[i][j] =
				std::clamp<int>(seg.feature_data[i][j],
						kSegmentationFeatureSigned[j] ? -limit : 0, limit);
		}
	}
	return 0;
}

int FrameBuilder::prepareLoopFilter()
{
	const v4l2_av1_loop_filter &lf = f_.loop_filter;

	if (codedLossless_ || allowIntrabc_) {
		/* No loop filter syntax; the deltas are reset (section 5.9.11). */
		lfRefDeltas_ = kDefaultLoopFilterRefDeltas;
		lfModeDeltas_ = { 0, 0 };
		return 0;
	}

	for (unsigned int i = 0; i < 4; i++) {
		if (lf.level[i] > 63)
			return fail("loop filter level[%u] %u out of range", i, lf.level[i]);
	}
	if (lf.sharpness > 7)
		return fail("loop filter sharpness %u out of range", lf.sharpness);

	if (has(lf.flags, V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED) &&
	    has(lf.flags, V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE)) {
		/* The control holds final values: code every one of them. */
		for (unsigned int i = 0; i < kTotalRefsPerFrame; i++) {
			if (lf.ref_deltas[i] < -64 || lf.ref_deltas[i] > 63)
				return fail("loop filter ref_deltas[%u] %d out of range", i,
					    lf.ref_deltas[i]);
			lfRefDeltas_[i] = lf.ref_deltas[i];
		}
		for (unsigned int i = 0; i < 2; i++) {
			if (lf.mode_deltas[i] < -64 || lf.mode_deltas[i] > 63)
				return fail("loop filter mode_deltas[%u] %d out of range", i,
					    lf.mode_deltas[i]);
			lfModeDeltas_[i] = lf.mode_deltas[i];
		}
	} else if (primaryRefFrame_ == kPrimaryRefNone) {
		lfRefDeltas_ = kDefaultLoopFilterRefDeltas;
		lfModeDeltas_ = { 0, 0 };
	} else {
		const ReferenceSlot &ref = slots_[refFrameIdx_[primaryRefFrame_]];
		lfRefDeltas_ = ref.loopFilterRefDeltas;
		lfModeDeltas_ = ref.loopFilterModeDeltas;
	}
	return 0;
}

int FrameBuilder::prepareGlobalMotion()
{
	const v4l2_av1_global_motion &gm = f_.global_motion;

	gmParams_ = defaultGmParams();
	gmType_.fill(V4L2_AV1_WARP_MODEL_IDENTITY);
	if (primaryRefFrame_ == kPrimaryRefNone)
		prevGmParams_ = defaultGmParams();
	else
		prevGmParams_ = slots_[refFrameIdx_[primaryRefFrame_]].gmParams;

	if (frameIsIntra_)
		return 0;

	for (unsigned int ref = V4L2_AV1_REF_LAST_FRAME; ref <= V4L2_AV1_REF_ALTREF_FRAME; ref++) {
		const uint32_t type = rawEnum(gm.type[ref]);
		if (type > V4L2_AV1_WARP_MODEL_AFFINE)
			return fail("global motion type %u of reference %u is not defined", type,
				    ref);
		gmType_[ref] = type;
		if (type == V4L2_AV1_WARP_MODEL_IDENTITY)
			continue;

		std::array<int32_t, 6> &p = gmParams_[ref];
		if (type >= V4L2_AV1_WARP_MODEL_ROTZOOM) {
			p[2] = gm.params[ref][2];
			p[3] = gm.params[ref][3];
			if (type == V4L2_AV1_WARP_MODEL_AFFINE) {
				p[4] = gm.params[ref][4];
				p[5] = gm.params[ref][5];
			} else {
				p[4] = -p[3];
				p[5] = p[2];
			}
		}
		p[0] = gm.params[ref][0];
		p[1] = gm.params[ref][1];

		/* Every coded parameter must be representable (section 5.9.25). */
		for (unsigned int idx = 0; idx < 6; idx++) {
			if (idx >= 4 && type != V4L2_AV1_WARP_MODEL_AFFINE)
				continue;
			if (idx >= 2 && type == V4L2_AV1_WARP_MODEL_TRANSLATION)
				continue;
			int absBits = kGmAbsAlphaBits;
			int precBits = kGmAlphaPrecBits;
			if (idx < 2) {
				if (type == V4L2_AV1_WARP_MODEL_TRANSLATION) {
					absBits = kGmAbsTransOnlyBits - !allowHighPrecisionMv_;
					precBits = kGmTransOnlyPrecBits - !allowHighPrecisionMv_;
				} else {
					absBits = kGmAbsTransBits;
					precBits = kGmTransPrecBits;
				}
			}
			const int precDiff = kWarpedModelPrecBits - precBits;
			const int32_t round = (idx % 3) == 2 ? (1 << kWarpedModelPrecBits) : 0;
			const int32_t mx = 1 << absBits;
			const int64_t coded = (int64_t(p[idx]) - round) >> precDiff;
			if ((coded << precDiff) + round != p[idx] || coded < -mx || coded > mx)
				return fail(
					"global motion parameter %u of reference %u (%d) is not "
					"codable",
					idx, ref, p[idx]);
		}
	}
	return 0;
}

int FrameBuilder::prepareFilmGrain()
{
	if (!seq_.flag(V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT) ||
	    (!showFrame_ && !showableFrame_) || !fg_ ||
	    !has(fg_->flags, V4L2_AV1_FILM_GRAIN_FLAG_APPLY_GRAIN))
		return 0;

	const v4l2_ctrl_av1_film_grain &g = *fg_;
	applyGrain_ = true;
	updateGrain_ = frameType_ != V4L2_AV1_INTER_FRAME ||
		       has(g.flags, V4L2_AV1_FILM_GRAIN_FLAG_UPDATE_GRAIN);

	if (!updateGrain_) {
		/* load_grain_params() from a slot this frame references. */
		const unsigned int idx = g.film_grain_params_ref_idx;
		if (std::find(refFrameIdx_.begin(), refFrameIdx_.end(), idx) == refFrameIdx_.end())
			return fail("film_grain_params_ref_idx %u is not a reference of the frame",
				    idx);
		return 0;
	}

	if (g.num_y_points > 14 || g.num_cb_points > 10 || g.num_cr_points > 10)
		return fail("too many film grain scaling points");
	if (g.grain_scaling_minus_8 > 3 || g.ar_coeff_lag > 3 || g.ar_coeff_shift_minus_6 > 3 ||
	    g.grain_scale_shift > 3 || g.cb_offset > 511 || g.cr_offset > 511)
		return fail("film grain parameter out of range");
	return 0;
}

bool FrameBuilder::skipModeAllowed() const
{
	if (frameIsIntra_ || !flag(V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT) || !seq_.enableOrderHint)
		return false;

	int forwardIdx = -1;
	int backwardIdx = -1;
	uint32_t forwardHint = 0;
	uint32_t backwardHint = 0;

	for (unsigned int i = 0; i < kRefsPerFrame; i++) {
		const uint32_t refHint = slots_[refFrameIdx_[i]].orderHint;
		if (seq_.relativeDist(refHint, f_.order_hint) < 0) {
			if (forwardIdx < 0 || seq_.relativeDist(refHint, forwardHint) > 0) {
				forwardIdx = i;
				forwardHint = refHint;
			}
		} else if (seq_.relativeDist(refHint, f_.order_hint) > 0) {
			if (backwardIdx < 0 || seq_.relativeDist(refHint, backwardHint) < 0) {
				backwardIdx = i;
				backwardHint = refHint;
			}
		}
	}

	if (forwardIdx < 0)
		return false;
	if (backwardIdx >= 0)
		return true;

	for (unsigned int i = 0; i < kRefsPerFrame; i++) {
		const uint32_t refHint = slots_[refFrameIdx_[i]].orderHint;
		if (seq_.relativeDist(refHint, forwardHint) < 0)
			return true;
	}
	return false;
}

int FrameBuilder::writeSequenceHeader(BitWriter &bw)
{
	const v4l2_ctrl_av1_sequence &s = seq_.ctrl;

	/* sequence_header_obu() (section 5.5). */
	bw.writeBits(s.seq_profile, 3);
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_STILL_PICTURE));
	bw.writeBit(0); /* reduced_still_picture_header */
	bw.writeBit(0); /* timing_info_present_flag */
	bw.writeBit(0); /* initial_display_delay_present_flag */
	bw.writeBits(0, 5); /* operating_points_cnt_minus_1 */
	bw.writeBits(0, 12); /* operating_point_idc[0]: every layer */
	bw.writeBits(kSeqLevelMaxParameters, 5);
	bw.writeBit(0); /* seq_tier[0] */

	bw.writeBits(seq_.frameWidthBits - 1, 4);
	bw.writeBits(seq_.frameHeightBits - 1, 4);
	bw.writeBits(s.max_frame_width_minus_1, seq_.frameWidthBits);
	bw.writeBits(s.max_frame_height_minus_1, seq_.frameHeightBits);
	bw.writeBit(0); /* frame_id_numbers_present_flag */
	bw.writeBit(seq_.use128x128);
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_FILTER_INTRA));
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTRA_EDGE_FILTER));
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_INTERINTRA_COMPOUND));
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_MASKED_COMPOUND));
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_WARPED_MOTION));
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_DUAL_FILTER));
	bw.writeBit(seq_.enableOrderHint);
	if (seq_.enableOrderHint) {
		bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_JNT_COMP));
		bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_REF_FRAME_MVS));
	}
	/* seq_choose_screen_content_tools, seq_choose_integer_mv: SELECT both. */
	bw.writeBit(1);
	bw.writeBit(1);
	if (seq_.enableOrderHint)
		bw.writeBits(seq_.orderHintBits - 1, 3);
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES));
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF));
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION));
	writeColorConfig(bw);
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT));
	bw.writeTrailingBits();

	return bw.ok() ? 0 : fail("sequence header field out of range");
}

void FrameBuilder::writeColorConfig(BitWriter &bw)
{
	const v4l2_ctrl_av1_sequence &s = seq_.ctrl;

	/* color_config() (section 5.5.2), without a colour description. */
	bw.writeBit(s.bit_depth > 8); /* high_bitdepth */
	if (s.seq_profile == 2 && s.bit_depth > 8)
		bw.writeBit(s.bit_depth == 12); /* twelve_bit */
	if (s.seq_profile != 1)
		bw.writeBit(seq_.monochrome);
	bw.writeBit(0); /* color_description_present_flag */

	const bool colorRange = seq_.flag(V4L2_AV1_SEQUENCE_FLAG_COLOR_RANGE);
	if (seq_.monochrome) {
		bw.writeBit(colorRange);
		return;
	}

	bw.writeBit(colorRange);
	if (s.seq_profile == 2 && s.bit_depth == 12) {
		bw.writeBit(seq_.subsamplingX);
		if (seq_.subsamplingX)
			bw.writeBit(seq_.subsamplingY);
	}
	if (seq_.subsamplingX && seq_.subsamplingY)
		bw.writeBits(0, 2); /* chroma_sample_position: CSP_UNKNOWN */
	bw.writeBit(seq_.flag(V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q));
}

int FrameBuilder::writeFrameHeader(BitWriter &bw)
{
	/* uncompressed_header() (section 5.9.2). */
	bw.writeBit(0); /* show_existing_frame */
	bw.writeBits(frameType_, 2);
	bw.writeBit(showFrame_);
	if (!showFrame_)
		bw.writeBit(showableFrame_);
	if (!(frameType_ == V4L2_AV1_SWITCH_FRAME ||
	      (frameType_ == V4L2_AV1_KEY_FRAME && showFrame_)))
		bw.writeBit(errorResilient_);
	bw.writeBit(flag(V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE));
	bw.writeBit(allowScreenContentTools_);
	if (allowScreenContentTools_)
		bw.writeBit(flag(V4L2_AV1_FRAME_FLAG_FORCE_INTEGER_MV));
	if (frameType_ != V4L2_AV1_SWITCH_FRAME)
		bw.writeBit(frameSizeOverride_);
	if (seq_.enableOrderHint)
		bw.writeBits(f_.order_hint, seq_.orderHintBits);
	if (!(frameIsIntra_ || errorResilient_))
		bw.writeBits(primaryRefFrame_, 3);

	if (!(frameType_ == V4L2_AV1_SWITCH_FRAME ||
	      (frameType_ == V4L2_AV1_KEY_FRAME && showFrame_)))
		bw.writeBits(refreshFrameFlags_, 8);
	if ((!frameIsIntra_ || refreshFrameFlags_ != kAllFrames) && errorResilient_ &&
	    seq_.enableOrderHint) {
		/* ref_order_hint[]: what the decoder holds, so no slot is dropped. */
		for (unsigned int i = 0; i < kNumRefFrames; i++)
			bw.writeBits(slots_[i].orderHint, seq_.orderHintBits);
	}

	if (frameIsIntra_) {
		writeFrameSize(bw);
		writeRenderSize(bw);
		if (allowScreenContentTools_ && upscaledWidth_ == frameWidth_)
			bw.writeBit(allowIntrabc_);
	} else {
		if (seq_.enableOrderHint)
			bw.writeBit(0); /* frame_refs_short_signaling */
		for (unsigned int i = 0; i < kRefsPerFrame; i++)
			bw.writeBits(refFrameIdx_[i], 3);
		if (frameSizeOverride_ && !errorResilient_) {
			/* frame_size_with_refs(): found_ref = 0 for every reference. */
			for (unsigned int i = 0; i < kRefsPerFrame; i++)
				bw.writeBit(0);
		}
		writeFrameSize(bw);
		writeRenderSize(bw);
		if (!forceIntegerMv_)
			bw.writeBit(allowHighPrecisionMv_);
		if (interpolationFilter_ == V4L2_AV1_INTERPOLATION_FILTER_SWITCHABLE) {
			bw.writeBit(1);
		} else {
			bw.writeBit(0);
			bw.writeBits(interpolationFilter_, 2);
		}
		bw.writeBit(flag(V4L2_AV1_FRAME_FLAG_IS_MOTION_MODE_SWITCHABLE));
		if (!errorResilient_ && seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_REF_FRAME_MVS))
			bw.writeBit(flag(V4L2_AV1_FRAME_FLAG_USE_REF_FRAME_MVS));
	}

	if (!flag(V4L2_AV1_FRAME_FLAG_DISABLE_CDF_UPDATE))
		bw.writeBit(flag(V4L2_AV1_FRAME_FLAG_DISABLE_FRAME_END_UPDATE_CDF));

	writeTileInfo(bw);
	writeQuantizationParams(bw);
	writeSegmentationParams(bw);

	/* delta_q_params(), delta_lf_params(). */
	const v4l2_av1_quantization &q = f_.quantization;
	if (q.base_q_idx > 0)
		bw.writeBit(deltaQPresent_);
	if (deltaQPresent_) {
		bw.writeBits(q.delta_q_res, 2);
		if (!allowIntrabc_)
			bw.writeBit(deltaLfPresent_);
		if (deltaLfPresent_) {
			bw.writeBits(f_.loop_filter.delta_lf_res, 2);
			bw.writeBit(has(f_.loop_filter.flags,
					V4L2_AV1_LOOP_FILTER_FLAG_DELTA_LF_MULTI));
		}
	}

	writeLoopFilterParams(bw);
	writeCdefParams(bw);
	writeLrParams(bw);

	/* read_tx_mode(). */
	if (!codedLossless_)
		bw.writeBit(txMode_ == V4L2_AV1_TX_MODE_SELECT);

	/* frame_reference_mode(), skip_mode_params(). */
	const bool referenceSelect = !frameIsIntra_ && flag(V4L2_AV1_FRAME_FLAG_REFERENCE_SELECT);
	if (!frameIsIntra_)
		bw.writeBit(referenceSelect);
	if (skipModeAllowed())
		bw.writeBit(flag(V4L2_AV1_FRAME_FLAG_SKIP_MODE_PRESENT));

	if (!(frameIsIntra_ || errorResilient_ ||
	      !seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_WARPED_MOTION)))
		bw.writeBit(flag(V4L2_AV1_FRAME_FLAG_ALLOW_WARPED_MOTION));
	bw.writeBit(flag(V4L2_AV1_FRAME_FLAG_REDUCED_TX_SET));

	writeGlobalMotionParams(bw);
	writeFilmGrainParams(bw);
	bw.writeTrailingBits();

	return bw.ok() ? 0 : fail("frame header field out of range");
}

void FrameBuilder::writeFrameSize(BitWriter &bw)
{
	/* frame_size(), superres_params() (sections 5.9.5, 5.9.8). */
	if (frameSizeOverride_) {
		bw.writeBits(upscaledWidth_ - 1, seq_.frameWidthBits);
		bw.writeBits(frameHeight_ - 1, seq_.frameHeightBits);
	}
	if (seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_SUPERRES))
		bw.writeBit(useSuperres_);
	if (useSuperres_)
		bw.writeBits(f_.superres_denom - kSuperresDenomMin, kSuperresDenomBits);
}

void FrameBuilder::writeRenderSize(BitWriter &bw)
{
	/* render_size() (section 5.9.6). */
	const bool different = renderWidth_ != upscaledWidth_ || renderHeight_ != frameHeight_;

	bw.writeBit(different);
	if (different) {
		bw.writeBits(renderWidth_ - 1, 16);
		bw.writeBits(renderHeight_ - 1, 16);
	}
}

void FrameBuilder::writeTileInfo(BitWriter &bw)
{
	const TileLayout &t = tiles_;

	/* tile_info() (section 5.9.15). */
	bw.writeBit(t.uniform);
	if (t.uniform) {
		for (unsigned int log2 = t.minColsLog2; log2 < t.maxColsLog2; log2++) {
			bw.writeBit(log2 < t.colsLog2); /* increment_tile_cols_log2 */
			if (log2 >= t.colsLog2)
				break;
		}
		for (unsigned int log2 = t.minRowsLog2; log2 < t.maxRowsLog2; log2++) {
			bw.writeBit(log2 < t.rowsLog2); /* increment_tile_rows_log2 */
			if (log2 >= t.rowsLog2)
				break;
		}
	} else {
		for (unsigned int i = 0; i < t.cols; i++) {
			const uint32_t maxWidth =
				std::min(t.sbCols - t.colStarts[i], t.maxTileWidthSb);
			bw.writeNs(t.colStarts[i + 1] - t.colStarts[i] - 1, maxWidth);
		}
		for (unsigned int i = 0; i < t.rows; i++) {
			const uint32_t maxHeight =
				std::min(t.sbRows - t.rowStarts[i], t.maxTileHeightSb);
			bw.writeNs(t.rowStarts[i + 1] - t.rowStarts[i] - 1, maxHeight);
		}
	}

	if (t.colsLog2 > 0 || t.rowsLog2 > 0) {
		bw.writeBits(f_.tile_info.context_update_tile_id, t.colsLog2 + t.rowsLog2);
		bw.writeBits(tileSizeBytes_ - 1, 2);
	}
}

void FrameBuilder::writeQuantizationParams(BitWriter &bw)
{
	const v4l2_av1_quantization &q = f_.quantization;

	auto writeDeltaQ = [&bw](int8_t delta) {
		bw.writeBit(delta != 0); /* delta_coded */
		if (delta)
			bw.writeSu(delta, 7);
	};

	/* quantization_params() (section 5.9.12). */
	bw.writeBits(q.base_q_idx, 8);
	writeDeltaQ(q.delta_q_y_dc);
	if (seq_.numPlanes > 1) {
		/* Some clients guess diff_uv_delta; the values decide. */
		bool diffUvDelta = false;
		if (seq_.flag(V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q)) {
			diffUvDelta = q.delta_q_v_dc != q.delta_q_u_dc ||
				      q.delta_q_v_ac != q.delta_q_u_ac;
			bw.writeBit(diffUvDelta);
		}
		writeDeltaQ(q.delta_q_u_dc);
		writeDeltaQ(q.delta_q_u_ac);
		if (diffUvDelta) {
			writeDeltaQ(q.delta_q_v_dc);
			writeDeltaQ(q.delta_q_v_ac);
		}
	}

	const bool usingQmatrix = has(q.flags, V4L2_AV1_QUANTIZATION_FLAG_USING_QMATRIX);
	bw.writeBit(usingQmatrix);
	if (usingQmatrix) {
		bw.writeBits(q.qm_y, 4);
		bw.writeBits(q.qm_u, 4);
		if (seq_.flag(V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q))
			bw.writeBits(q.qm_v, 4);
	}
}

void FrameBuilder::writeSegmentationParams(BitWriter &bw)
{
	/* segmentation_params() (section 5.9.14). */
	bw.writeBit(segEnabled_);
	if (!segEnabled_)
		return;

	if (primaryRefFrame_ != kPrimaryRefNone) {
		bw.writeBit(segUpdateMap_);
		if (segUpdateMap_)
			bw.writeBit(segTemporalUpdate_);
		bw.writeBit(segUpdateData_);
	}
	if (!segUpdateData_)
		return;

	for (unsigned int i = 0; i < kMaxSegments; i++) {
		for (unsigned int j = 0; j < kSegLvlMax; j++) {
			const bool enabled = featureEnabled_[i] & (1 << j);
			bw.writeBit(enabled);
			if (!enabled)
				continue;
			const unsigned int bits = kSegmentationFeatureBits[j];
			if (kSegmentationFeatureSigned[j])
				bw.writeSu(featureData_[i][j], 1 + bits);
			else if (bits)
				bw.writeBits(featureData_[i][j], bits);
		}
	}
}

void FrameBuilder::writeLoopFilterParams(BitWriter &bw)
{
	const v4l2_av1_loop_filter &lf = f_.loop_filter;

	/* loop_filter_params() (section 5.9.11). */
	if (codedLossless_ || allowIntrabc_)
		return;

	bw.writeBits(lf.level[0], 6);
	bw.writeBits(lf.level[1], 6);
	if (seq_.numPlanes > 1 && (lf.level[0] || lf.level[1])) {
		bw.writeBits(lf.level[2], 6);
		bw.writeBits(lf.level[3], 6);
	}
	bw.writeBits(lf.sharpness, 3);

	const bool deltaEnabled = has(lf.flags, V4L2_AV1_LOOP_FILTER_FLAG_DELTA_ENABLED);
	bw.writeBit(deltaEnabled);
	if (!deltaEnabled)
		return;

	const bool deltaUpdate = has(lf.flags, V4L2_AV1_LOOP_FILTER_FLAG_DELTA_UPDATE);
	bw.writeBit(deltaUpdate);
	if (!deltaUpdate)
		return;

	for (unsigned int i = 0; i < kTotalRefsPerFrame; i++) {
		bw.writeBit(1); /* update_ref_delta */
		bw.writeSu(lfRefDeltas_[i], 7);
	}
	for (unsigned int i = 0; i < 2; i++) {
		bw.writeBit(1); /* update_mode_delta */
		bw.writeSu(lfModeDeltas_[i], 7);
	}
}

void FrameBuilder::writeCdefParams(BitWriter &bw)
{
	const v4l2_av1_cdef &cdef = f_.cdef;

	/* cdef_params() (section 5.9.19). */
	if (codedLossless_ || allowIntrabc_ || !seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_CDEF))
		return;

	/* Secondary strengths arrive as {0, 1, 2, 4}; 3 is coded for 4. */
	auto secondary = [](uint8_t strength) -> uint32_t { return strength >= 3 ? 3 : strength; };

	bw.writeBits(cdef.damping_minus_3, 2);
	bw.writeBits(cdef.bits, 2);
	for (unsigned int i = 0; i < (1u << cdef.bits); i++) {
		bw.writeBits(cdef.y_pri_strength[i], 4);
		bw.writeBits(secondary(cdef.y_sec_strength[i]), 2);
		if (seq_.numPlanes > 1) {
			bw.writeBits(cdef.uv_pri_strength[i], 4);
			bw.writeBits(secondary(cdef.uv_sec_strength[i]), 2);
		}
	}
}

void FrameBuilder::writeLrParams(BitWriter &bw)
{
	/* lr_params() (section 5.9.20). */
	if (allLossless_ || allowIntrabc_ || !seq_.flag(V4L2_AV1_SEQUENCE_FLAG_ENABLE_RESTORATION))
		return;

	bool usesLr = false;
	bool usesChromaLr = false;
	for (unsigned int i = 0; i < seq_.numPlanes; i++) {
		const uint32_t type = lrType_[i];
		bw.writeBits(kLrTypeCode[type], 2);
		if (type != V4L2_AV1_FRAME_RESTORE_NONE) {
			usesLr = true;
			if (i > 0)
				usesChromaLr = true;
		}
	}
	if (!usesLr)
		return;

	if (seq_.use128x128) {
		bw.writeBits(lrUnitShift_ - 1, 1);
	} else {
		bw.writeBit(lrUnitShift_ > 0);
		if (lrUnitShift_ > 0)
			bw.writeBit(lrUnitShift_ > 1); /* lr_unit_extra_shift */
	}
	if (seq_.subsamplingX && seq_.subsamplingY && usesChromaLr)
		bw.writeBit(lrUvShift_);
}

void FrameBuilder::writeGlobalMotionParams(BitWriter &bw)
{
	/* global_motion_params() (section 5.9.24). */
	if (frameIsIntra_)
		return;

	for (unsigned int ref = V4L2_AV1_REF_LAST_FRAME; ref <= V4L2_AV1_REF_ALTREF_FRAME; ref++) {
		const unsigned int type = gmType_[ref];

		bw.writeBit(type != V4L2_AV1_WARP_MODEL_IDENTITY); /* is_global */
		if (type == V4L2_AV1_WARP_MODEL_IDENTITY)
			continue;
		bw.writeBit(type == V4L2_AV1_WARP_MODEL_ROTZOOM); /* is_rot_zoom */
		if (type != V4L2_AV1_WARP_MODEL_ROTZOOM)
			bw.writeBit(type == V4L2_AV1_WARP_MODEL_TRANSLATION); /* is_translation */

		/* read_global_param() for each coded index, in syntax order. */
		auto writeParam = [&](unsigned int idx) {
			int absBits = kGmAbsAlphaBits;
			int precBits = kGmAlphaPrecBits;
			if (idx < 2) {
				if (type == V4L2_AV1_WARP_MODEL_TRANSLATION) {
					absBits = kGmAbsTransOnlyBits - !allowHighPrecisionMv_;
					precBits = kGmTransOnlyPrecBits - !allowHighPrecisionMv_;
				} else {
					absBits = kGmAbsTransBits;
					precBits = kGmTransPrecBits;
				}
			}
			const int precDiff = kWarpedModelPrecBits - precBits;
			const int32_t round = (idx % 3) == 2 ? (1 << kWarpedModelPrecBits) : 0;
			const int32_t sub = (idx % 3) == 2 ? (1 << precBits) : 0;
			const int32_t mx = 1 << absBits;
			const int32_t r = (prevGmParams_[ref][idx] >> precDiff) - sub;
			const int32_t value = (gmParams_[ref][idx] - round) >> precDiff;
			writeSignedSubexpWithRef(bw, -mx, mx + 1, r, value);
		};

		if (type >= V4L2_AV1_WARP_MODEL_ROTZOOM) {
			writeParam(2);
			writeParam(3);
			if (type == V4L2_AV1_WARP_MODEL_AFFINE) {
				writeParam(4);
				writeParam(5);
			}
		}
		writeParam(0);
		writeParam(1);
	}
}

void FrameBuilder::writeFilmGrainParams(BitWriter &bw)
{
	/* film_grain_params() (section 5.9.30). */
	if (!seq_.flag(V4L2_AV1_SEQUENCE_FLAG_FILM_GRAIN_PARAMS_PRESENT) ||
	    (!showFrame_ && !showableFrame_))
		return;

	bw.writeBit(applyGrain_);
	if (!applyGrain_)
		return;

	const v4l2_ctrl_av1_film_grain &g = *fg_;
	bw.writeBits(g.grain_seed, 16);
	if (frameType_ == V4L2_AV1_INTER_FRAME)
		bw.writeBit(updateGrain_);
	if (!updateGrain_) {
		bw.writeBits(g.film_grain_params_ref_idx, 3);
		return;
	}

	bw.writeBits(g.num_y_points, 4);
	for (unsigned int i = 0; i < g.num_y_points; i++) {
		bw.writeBits(g.point_y_value[i], 8);
		bw.writeBits(g.point_y_scaling[i], 8);
	}

	bool chromaScalingFromLuma = false;
	if (!seq_.monochrome) {
		chromaScalingFromLuma =
			has(g.flags, V4L2_AV1_FILM_GRAIN_FLAG_CHROMA_SCALING_FROM_LUMA);
		bw.writeBit(chromaScalingFromLuma);
	}

	unsigned int numCbPoints = 0;
	unsigned int numCrPoints = 0;
	if (!(seq_.monochrome || chromaScalingFromLuma ||
	      (seq_.subsamplingX && seq_.subsamplingY && g.num_y_points == 0))) {
		numCbPoints = g.num_cb_points;
		numCrPoints = g.num_cr_points;
		bw.writeBits(numCbPoints, 4);
		for (unsigned int i = 0; i < numCbPoints; i++) {
			bw.writeBits(g.point_cb_value[i], 8);
			bw.writeBits(g.point_cb_scaling[i], 8);
		}
		bw.writeBits(numCrPoints, 4);
		for (unsigned int i = 0; i < numCrPoints; i++) {
			bw.writeBits(g.point_cr_value[i], 8);
			bw.writeBits(g.point_cr_scaling[i], 8);
		}
	}

	bw.writeBits(g.grain_scaling_minus_8, 2);
	bw.writeBits(g.ar_coeff_lag, 2);
	const unsigned int numPosLuma = 2 * g.ar_coeff_lag * (g.ar_coeff_lag + 1);
	unsigned int numPosChroma = numPosLuma;
	if (g.num_y_points) {
		numPosChroma = numPosLuma + 1;
		for (unsigned int i = 0; i < numPosLuma; i++)
			bw.writeBits(g.ar_coeffs_y_plus_128[i], 8);
	}
	if (chromaScalingFromLuma || numCbPoints) {
		for (unsigned int i = 0; i < numPosChroma; i++)
			bw.writeBits(g.ar_coeffs_cb_plus_128[i], 8);
	}
	if (chromaScalingFromLuma || numCrPoints) {
		for (unsigned int i = 0; i < numPosChroma; i++)
			bw.writeBits(g.ar_coeffs_cr_plus_128[i], 8);
	}
	bw.writeBits(g.ar_coeff_shift_minus_6, 2);
	bw.writeBits(g.grain_scale_shift, 2);
	if (numCbPoints) {
		bw.writeBits(g.cb_mult, 8);
		bw.writeBits(g.cb_luma_mult, 8);
		bw.writeBits(g.cb_offset, 9);
	}
	if (numCrPoints) {
		bw.writeBits(g.cr_mult, 8);
		bw.writeBits(g.cr_luma_mult, 8);
		bw.writeBits(g.cr_offset, 9);
	}
	bw.writeBit(has(g.flags, V4L2_AV1_FILM_GRAIN_FLAG_OVERLAP));
	bw.writeBit(has(g.flags, V4L2_AV1_FILM_GRAIN_FLAG_CLIP_TO_RESTRICTED_RANGE));
}

void FrameBuilder::writeTileGroup(std::vector<uint8_t> *out) const
{
	/* tile_group_obu() (section 5.11.1): all tiles, no tile start and end. */
	const size_t numTiles = tileData_.size();
	size_t payloadSize = numTiles > 1 ? 1 : 0;
	for (size_t i = 0; i < numTiles; i++)
		payloadSize += tileData_[i].size() + (i + 1 < numTiles ? tileSizeBytes_ : 0);

	out->push_back(uint8_t(kObuTileGroup << 3 | 0x02));
	appendLeb128(out, payloadSize);
	out->reserve(out->size() + payloadSize);

	/* tile_start_and_end_present_flag = 0, then byte_alignment(). */
	if (numTiles > 1)
		out->push_back(0);

	for (size_t i = 0; i < numTiles; i++) {
		const std::span<const uint8_t> tile = tileData_[i];
		if (i + 1 < numTiles) {
			const uint32_t sizeMinus1 = tile.size() - 1;
			for (unsigned int b = 0; b < tileSizeBytes_; b++)
				out->push_back((sizeMinus1 >> (8 * b)) & 0xff);
		}
		out->insert(out->end(), tile.begin(), tile.end());
	}
}

void FrameBuilder::updateSlots(std::array<ReferenceSlot, kNumRefFrames> *slots,
			       std::optional<uint64_t> timestamp) const
{
	/* A shown key frame invalidates every slot first (section 5.9.2). */
	if (frameType_ == V4L2_AV1_KEY_FRAME && showFrame_) {
		for (ReferenceSlot &slot : *slots) {
			slot.valid = false;
			slot.orderHint = 0;
		}
	}

	/* The reference frame update process (section 7.20). */
	for (unsigned int i = 0; i < kNumRefFrames; i++) {
		if (!(refreshFrameFlags_ & (1 << i)))
			continue;

		ReferenceSlot &slot = (*slots)[i];
		slot.valid = true;
		slot.frameType = frameType_;
		slot.orderHint = seq_.enableOrderHint ? f_.order_hint : 0;
		slot.upscaledWidth = upscaledWidth_;
		slot.frameWidth = frameWidth_;
		slot.frameHeight = frameHeight_;
		slot.renderWidth = renderWidth_;
		slot.renderHeight = renderHeight_;
		slot.gmParams = gmParams_;
		slot.loopFilterRefDeltas = lfRefDeltas_;
		slot.loopFilterModeDeltas = lfModeDeltas_;
		slot.featureEnabled = featureEnabled_;
		slot.featureData = featureData_;
		slot.filmGrainApplied = applyGrain_;
		slot.showable = showableFrame_;
		slot.timestamp = timestamp;
	}
}

} /* namespace */

Av1Rebuilder::Av1Rebuilder()
{
	reset();
}

void Av1Rebuilder::reset()
{
	for (ReferenceSlot &slot : slots_) {
		slot = ReferenceSlot{};
		slot.gmParams = defaultGmParams();
		slot.loopFilterRefDeltas = kDefaultLoopFilterRefDeltas;
	}
	error_.clear();
	precedingPictures_ = 0;
}

/*
 * The slot of the showable key frame that a show_existing_frame, handled by
 * the client, has copied into every slot since the last request; -1 if
 * there is none. The sign: every reference_frame_ts[] names that frame's
 * request, and the slots do not all hold it yet.
 */
int Av1Rebuilder::findShownKeyFrame(const v4l2_ctrl_av1_frame &frame) const
{
	const uint64_t ts = frame.reference_frame_ts[0];
	for (unsigned int i = 1; i < kNumRefFrames; i++) {
		if (frame.reference_frame_ts[i] != ts)
			return -1;
	}

	int found = -1;
	bool allHoldIt = true;
	for (unsigned int i = 0; i < kNumRefFrames; i++) {
		const ReferenceSlot &slot = slots_[i];
		const bool holdsIt = slot.valid && slot.timestamp && *slot.timestamp == ts;
		if (holdsIt && slot.frameType == V4L2_AV1_KEY_FRAME && slot.showable)
			found = i;
		allHoldIt = allHoldIt && holdsIt;
	}
	return allHoldIt ? -1 : found;
}

int Av1Rebuilder::rebuild(const v4l2_ctrl_av1_sequence &sequence, const v4l2_ctrl_av1_frame &frame,
			  std::span<const v4l2_ctrl_av1_tile_group_entry> tiles,
			  const v4l2_ctrl_av1_film_grain *filmGrain,
			  std::span<const uint8_t> outputBuffer, std::optional<uint64_t> timestamp,
			  std::vector<uint8_t> *temporalUnit)
{
	const Sequence seq(sequence);

	error_.clear();
	precedingPictures_ = 0;

	/*
	 * A shown key frame resets every slot anyway; before any other frame,
	 * replay a show-existing key frame the client handled (section 7.21:
	 * every slot becomes a copy of it, which may be shown no more).
	 */
	std::array<ReferenceSlot, kNumRefFrames> slots = slots_;
	int existing = -1;
	if (timestamp && !(rawEnum(frame.frame_type) == V4L2_AV1_KEY_FRAME &&
			   (frame.flags & V4L2_AV1_FRAME_FLAG_SHOW_FRAME)))
		existing = findShownKeyFrame(frame);
	if (existing >= 0) {
		const ReferenceSlot shown = slots[existing];
		for (ReferenceSlot &slot : slots) {
			slot = shown;
			slot.showable = false;
		}
	}

	FrameBuilder builder(seq, frame, filmGrain, slots, &tileData_, &error_);

	int ret = builder.prepare(tiles, outputBuffer);
	if (ret)
		return ret;

	BitWriter &sequenceHeader = sequenceHeader_;
	sequenceHeader.clear();
	ret = builder.writeSequenceHeader(sequenceHeader);
	if (ret)
		return ret;

	BitWriter &frameHeader = frameHeader_;
	frameHeader.clear();
	ret = builder.writeFrameHeader(frameHeader);
	if (ret)
		return ret;

	std::vector<uint8_t> &out = *temporalUnit;
	out.clear();
	out.reserve(outputBuffer.size() + 64);

	/* obu_header(): type, obu_extension_flag = 0, obu_has_size_field = 1. */
	out.push_back(kObuTemporalDelimiter << 3 | 0x02);
	out.push_back(0);

	out.push_back(kObuSequenceHeader << 3 | 0x02);
	appendLeb128(&out, sequenceHeader.data().size());
	out.insert(out.end(), sequenceHeader.data().begin(), sequenceHeader.data().end());

	if (existing >= 0) {
		/*
		 * show_existing_frame = 1, frame_to_show_map_idx, trailing bits;
		 * then a temporal unit of its own for the frame.
		 */
		out.push_back(kObuFrameHeader << 3 | 0x02);
		out.push_back(1);
		out.push_back(uint8_t(0x80 | existing << 4 | 0x08));
		out.push_back(kObuTemporalDelimiter << 3 | 0x02);
		out.push_back(0);
	}

	out.push_back(kObuFrameHeader << 3 | 0x02);
	appendLeb128(&out, frameHeader.data().size());
	out.insert(out.end(), frameHeader.data().begin(), frameHeader.data().end());

	builder.writeTileGroup(&out);

	builder.updateSlots(&slots, timestamp);
	slots_ = slots;
	precedingPictures_ = existing >= 0 ? 1 : 0;
	return 0;
}

} /* namespace daedalus::av1 */
