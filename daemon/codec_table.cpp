/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Which backend decodes which OUTPUT format.
 */

#include <linux/videodev2.h>

#include "av1_decoder.h"
#include "decoder.h"
#include "ffmpeg_decoder.h"
#include "h264_decoder.h"

#ifndef V4L2_PIX_FMT_AV1_FRAME
/* uAPI headers older than Linux 6.5 (Debian 12's) lack the AV1 format. */
#define V4L2_PIX_FMT_AV1_FRAME v4l2_fourcc('A', 'V', '1', 'F')
#endif

namespace daedalus {

namespace {

int createVp9(uint64_t ctxId, const DecoderConfig &config, std::unique_ptr<Decoder> *decoder)
{
	return FfmpegDecoder::create(ctxId, "VP9", AV_CODEC_ID_VP9, config, decoder);
}

/*
 * The OUTPUT buffer holds the whole frame (frame tag, first partition, DCT
 * partitions), as V4L2_PIX_FMT_VP8_FRAME defines; libavcodec keeps the
 * last/golden/alt-ref slots itself, and a frame with show_frame = 0 is
 * still allocated (and written) for its request.
 */
int createVp8(uint64_t ctxId, const DecoderConfig &config, std::unique_ptr<Decoder> *decoder)
{
	return FfmpegDecoder::create(ctxId, "VP8", AV_CODEC_ID_VP8, config, decoder);
}

const CodecEntry codecTable[] = {
	{ V4L2_PIX_FMT_H264_SLICE, "H.264", H264Decoder::create },
	{ V4L2_PIX_FMT_VP9_FRAME, "VP9", createVp9 },
	{ V4L2_PIX_FMT_AV1_FRAME, "AV1", Av1Decoder::create },
	{ V4L2_PIX_FMT_VP8_FRAME, "VP8", createVp8 },
};

} /* namespace */

std::span<const CodecEntry> defaultCodecTable()
{
	return codecTable;
}

const CodecEntry *findCodec(std::span<const CodecEntry> table, uint32_t fourcc)
{
	for (const CodecEntry &entry : table) {
		if (entry.fourcc == fourcc)
			return &entry;
	}
	return nullptr;
}

FourccString fourccString(uint32_t fourcc)
{
	FourccString s;
	for (int i = 0; i < 4; i++) {
		char c = (fourcc >> (8 * i)) & 0xff;
		s.str[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	s.str[4] = '\0';
	return s;
}

} /* namespace daedalus */
