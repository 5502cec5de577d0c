/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AV1 backend (V4L2_PIX_FMT_AV1_FRAME) on libdav1d.
 *
 * What a client puts in the OUTPUT buffer differs per client (GStreamer:
 * OBU payloads without headers; Chromium: the whole temporal unit), so the
 * buffer is never parsed: the Av1Rebuilder writes a temporal unit from the
 * job's controls and the tiles at the offsets TILE_GROUP_ENTRY names.
 *
 * libdav1d runs with one frame in flight (max_frame_delay = 1) and outputs
 * invisible frames too, so each temporal unit yields its pictures before
 * dav1d_send_data() and the following dav1d_get_picture() calls return. The
 * request's picture is the last one; a show-existing key frame the rebuilder
 * replays in front of it yields one more, which is dropped. Film grain is
 * applied to the picture written (the reference frames stay without it).
 */

#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "av1_rebuilder.h"
#include "decoder.h"

struct Dav1dContext;
struct Dav1dPicture;

namespace daedalus {

class Av1Decoder : public Decoder
{
public:
	static int create(uint64_t ctxId, const DecoderConfig &config,
			  std::unique_ptr<Decoder> *decoder);

	~Av1Decoder() override;

	int decode(const DecodeJob &job) override;
	void reset() override;

private:
	explicit Av1Decoder(uint64_t ctxId) : ctxId_(ctxId) {}

	int init(const DecoderConfig &config);
	int decodeTemporalUnit(const DecodeJob &job, Dav1dPicture *picture, unsigned int *pictures);
	int writePicture(const DecodeJob &job, const Dav1dPicture &picture);
	/* Put libdav1d and the rebuilder's reference slots back in step. */
	void restart();

	uint64_t ctxId_;
	Dav1dContext *dav1d_ = nullptr;
	av1::Av1Rebuilder rebuilder_;
	std::vector<uint8_t> temporalUnit_;
	/* Mid-grey chroma samples for monochrome pictures. */
	std::vector<uint8_t> grey_;
};

} /* namespace daedalus */
