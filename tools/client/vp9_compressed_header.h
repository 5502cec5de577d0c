/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VP9 compressed header (VP9 bitstream specification 6.3), parsed into
 * the V4L2_CID_STATELESS_VP9_COMPRESSED_HDR control: probability updates as
 * the control carries them (inv_map_table[deltaProb] for the coefficient,
 * mode and partition probabilities, the new value for the motion vector
 * ones, 0 for no update) and the reference mode, which belongs to
 * V4L2_CID_STATELESS_VP9_FRAME. GStreamer's public VP9 parser stops at the
 * uncompressed header; its v4l2 decoder gets this from a private one.
 */

#pragma once

#include <cstdint>
#include <span>

#include <linux/v4l2-controls.h>

namespace daedalus::client {

/* What the compressed header depends on in the uncompressed header. */
struct Vp9FrameInfo {
	bool intraOnly; /* a key frame or an intra-only frame */
	bool lossless;
	bool allowHighPrecisionMv;
	bool switchableInterpFilter;
	/* ref_frame_sign_bias of LAST, GOLDEN and ALTREF. */
	bool signBias[3];
};

/*
 * Parse the compressed header @data (first_partition_size bytes). Returns
 * false if it is too short or its marker bit is set.
 */
bool parseVp9CompressedHeader(std::span<const uint8_t> data, const Vp9FrameInfo &info,
			      v4l2_ctrl_vp9_compressed_hdr *header, uint8_t *referenceMode);

} /* namespace daedalus::client */
