/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VP9 compressed header, after the VP9 bitstream specification 6.3
 * (syntax) and 9.2 (the boolean decoder).
 */

#include "vp9_compressed_header.h"

#include <array>
#include <cstring>

namespace daedalus::client {

namespace {

/* 9.2: the boolean decoder, one bit at a time as the specification reads it. */
class BoolDecoder
{
public:
	explicit BoolDecoder(std::span<const uint8_t> data) : data_(data) {}

	bool init()
	{
		if (data_.empty())
			return false;
		value_ = readBits(8);
		maxBits_ = 8 * data_.size() - 8;
		/* The marker bit must be 0. */
		return !read(128);
	}

	bool read(uint8_t probability)
	{
		const uint32_t split = 1 + (((range_ - 1) * probability) >> 8);
		bool bit;
		if (value_ < split) {
			range_ = split;
			bit = false;
		} else {
			range_ -= split;
			value_ -= split;
			bit = true;
		}
		while (range_ < 128) {
			uint32_t next = 0;
			if (maxBits_ > 0) {
				next = readBits(1);
				maxBits_--;
			}
			range_ *= 2;
			value_ = (value_ << 1) + next;
		}
		return bit;
	}

	/* L(n) */
	uint32_t literal(unsigned int bits)
	{
		uint32_t x = 0;
		for (unsigned int i = 0; i < bits; i++)
			x = 2 * x + read(128);
		return x;
	}

private:
	uint32_t readBits(unsigned int n)
	{
		uint32_t x = 0;
		for (unsigned int i = 0; i < n; i++) {
			const size_t byte = position_ / 8;
			const uint32_t bit =
				byte < data_.size() ? (data_[byte] >> (7 - position_ % 8)) & 1 : 0;
			x = (x << 1) | bit;
			position_++;
		}
		return x;
	}

	std::span<const uint8_t> data_;
	size_t position_ = 0;
	size_t maxBits_ = 0;
	uint32_t value_ = 0;
	uint32_t range_ = 255;
};

/*
 * 6.3.5: inv_map_table. The first 20 entries are 7 + 13 * i, then come the
 * other values from 1 to 253 in order; the last entry repeats 253.
 */
constexpr std::array<uint8_t, 255> makeInvMapTable()
{
	std::array<uint8_t, 255> table{};
	unsigned int n = 0;
	for (unsigned int i = 0; i < 20; i++)
		table[n++] = 7 + 13 * i;
	for (unsigned int v = 1; v <= 253; v++) {
		if (v >= 7 && (v - 7) % 13 == 0)
			continue;
		table[n++] = v;
	}
	while (n < table.size())
		table[n++] = 253;
	return table;
}

constexpr std::array<uint8_t, 255> kInvMapTable = makeInvMapTable();

static_assert(kInvMapTable[0] == 7 && kInvMapTable[19] == 254 && kInvMapTable[20] == 1 &&
	      kInvMapTable[253] == 253 && kInvMapTable[254] == 253);

class Parser
{
public:
	Parser(std::span<const uint8_t> data, v4l2_ctrl_vp9_compressed_hdr *header)
		: bd_(data), h_(*header)
	{
	}

	bool parse(const Vp9FrameInfo &info, uint8_t *referenceMode)
	{
		memset(&h_, 0, sizeof(h_));
		if (!bd_.init())
			return false;

		readTxMode(info);
		if (h_.tx_mode == V4L2_VP9_TX_MODE_SELECT)
			txModeProbs();
		readCoefProbs();
		for (uint8_t &p : h_.skip)
			diffUpdateProb(&p);

		*referenceMode = V4L2_VP9_REFERENCE_MODE_SINGLE_REFERENCE;
		if (info.intraOnly)
			return true;

		for (auto &probs : h_.inter_mode)
			for (uint8_t &p : probs)
				diffUpdateProb(&p);
		if (info.switchableInterpFilter) {
			for (auto &probs : h_.interp_filter)
				for (uint8_t &p : probs)
					diffUpdateProb(&p);
		}
		for (uint8_t &p : h_.is_inter)
			diffUpdateProb(&p);

		*referenceMode = frameReferenceMode(info);
		frameReferenceModeProbs(*referenceMode);

		for (auto &probs : h_.y_mode)
			for (uint8_t &p : probs)
				diffUpdateProb(&p);
		for (auto &probs : h_.partition)
			for (uint8_t &p : probs)
				diffUpdateProb(&p);
		mvProbs(info);
		return true;
	}

private:
	/* 6.3.4 diff_update_prob: the update as the control carries it. */
	void diffUpdateProb(uint8_t *update)
	{
		if (bd_.read(252))
			*update = kInvMapTable[decodeTermSubexp()];
	}

	/* 6.3.6 decode_term_subexp */
	unsigned int decodeTermSubexp()
	{
		if (!bd_.literal(1))
			return bd_.literal(4);
		if (!bd_.literal(1))
			return bd_.literal(4) + 16;
		if (!bd_.literal(1))
			return bd_.literal(5) + 32;
		const unsigned int v = bd_.literal(7);
		if (v < 65)
			return v + 64;
		const unsigned int bit = bd_.literal(1);
		return (v << 1) - 1 + bit;
	}

	/* 6.3.17 update_mv_prob: the new probability itself. */
	void updateMvProb(uint8_t *update)
	{
		if (bd_.read(252))
			*update = (bd_.literal(7) << 1) | 1;
	}

	/* 6.3.1 */
	void readTxMode(const Vp9FrameInfo &info)
	{
		if (info.lossless) {
			h_.tx_mode = V4L2_VP9_TX_MODE_ONLY_4X4;
			return;
		}
		h_.tx_mode = bd_.literal(2);
		if (h_.tx_mode == V4L2_VP9_TX_MODE_ALLOW_32X32)
			h_.tx_mode += bd_.literal(1);
	}

	/* 6.3.2 */
	void txModeProbs()
	{
		for (auto &probs : h_.tx8)
			for (uint8_t &p : probs)
				diffUpdateProb(&p);
		for (auto &probs : h_.tx16)
			for (uint8_t &p : probs)
				diffUpdateProb(&p);
		for (auto &probs : h_.tx32)
			for (uint8_t &p : probs)
				diffUpdateProb(&p);
	}

	/* 6.3.7 */
	void readCoefProbs()
	{
		/* tx_mode_to_biggest_tx_size */
		static const unsigned int biggest[] = { 0, 1, 2, 3, 3 };
		for (unsigned int txSize = 0; txSize <= biggest[h_.tx_mode]; txSize++) {
			if (!bd_.literal(1))
				continue;
			for (unsigned int i = 0; i < 2; i++)
				for (unsigned int j = 0; j < 2; j++)
					for (unsigned int k = 0; k < 6; k++)
						for (unsigned int l = 0; l < (k == 0 ? 3u : 6u);
						     l++)
							for (unsigned int m = 0; m < 3; m++)
								diffUpdateProb(
									&h_.coef[txSize][i][j][k][l]
										[m]);
		}
	}

	/* 6.3.12 */
	uint8_t frameReferenceMode(const Vp9FrameInfo &info)
	{
		bool compoundAllowed = false;
		for (unsigned int i = 1; i < 3; i++) {
			if (info.signBias[i] != info.signBias[0])
				compoundAllowed = true;
		}
		if (!compoundAllowed || !bd_.literal(1))
			return V4L2_VP9_REFERENCE_MODE_SINGLE_REFERENCE;
		return bd_.literal(1) ? V4L2_VP9_REFERENCE_MODE_SELECT
				      : V4L2_VP9_REFERENCE_MODE_COMPOUND_REFERENCE;
	}

	/* 6.3.13 */
	void frameReferenceModeProbs(uint8_t mode)
	{
		if (mode == V4L2_VP9_REFERENCE_MODE_SELECT) {
			for (uint8_t &p : h_.comp_mode)
				diffUpdateProb(&p);
		}
		if (mode != V4L2_VP9_REFERENCE_MODE_COMPOUND_REFERENCE) {
			for (auto &probs : h_.single_ref) {
				diffUpdateProb(&probs[0]);
				diffUpdateProb(&probs[1]);
			}
		}
		if (mode != V4L2_VP9_REFERENCE_MODE_SINGLE_REFERENCE) {
			for (uint8_t &p : h_.comp_ref)
				diffUpdateProb(&p);
		}
	}

	/* 6.3.16 */
	void mvProbs(const Vp9FrameInfo &info)
	{
		v4l2_vp9_mv_probs &mv = h_.mv;
		for (uint8_t &p : mv.joint)
			updateMvProb(&p);
		for (unsigned int i = 0; i < 2; i++) {
			updateMvProb(&mv.sign[i]);
			for (uint8_t &p : mv.classes[i])
				updateMvProb(&p);
			updateMvProb(&mv.class0_bit[i]);
			for (uint8_t &p : mv.bits[i])
				updateMvProb(&p);
		}
		for (unsigned int i = 0; i < 2; i++) {
			for (auto &probs : mv.class0_fr[i])
				for (uint8_t &p : probs)
					updateMvProb(&p);
			for (uint8_t &p : mv.fr[i])
				updateMvProb(&p);
		}
		if (info.allowHighPrecisionMv) {
			for (unsigned int i = 0; i < 2; i++) {
				updateMvProb(&mv.class0_hp[i]);
				updateMvProb(&mv.hp[i]);
			}
		}
	}

	BoolDecoder bd_;
	v4l2_ctrl_vp9_compressed_hdr &h_;
};

} /* namespace */

bool parseVp9CompressedHeader(std::span<const uint8_t> data, const Vp9FrameInfo &info,
			      v4l2_ctrl_vp9_compressed_hdr *header, uint8_t *referenceMode)
{
	Parser parser(data, header);
	return parser.parse(info, referenceMode);
}

} /* namespace daedalus::client */
