/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The H.264 backend (V4L2_PIX_FMT_H264_SLICE) on libavcodec.
 *
 * Stateless clients put only the slice NAL units of one picture (of one
 * field, for field pictures) into the OUTPUT buffer; the parameter sets
 * arrive as controls. The packet libavcodec decodes is the SPS and PPS
 * rebuilt from the job's controls followed by the OUTPUT buffer as it is.
 * libavcodec keeps parameter sets across packets, so they go into the packet
 * only when they differ from the ones it last received with the same id.
 *
 * libavcodec decodes each packet completely inside avcodec_send_packet()
 * (no frame threads), into the frame it allocates through get_buffer2. The
 * second field of a field pair is decoded into the first field's frame and
 * allocates nothing: the backend keeps the first field's picture and writes
 * the whole frame again after the second field (GStreamer holds the CAPTURE
 * buffer for it, FFmpeg queues the same buffer again).
 */

#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <linux/v4l2-controls.h>

#include "ffmpeg_decoder.h"

namespace daedalus {

class H264Decoder : public FfmpegDecoder
{
public:
	static int create(uint64_t ctxId, const DecoderConfig &config,
			  std::unique_ptr<Decoder> *decoder);

	void reset() override;

protected:
	explicit H264Decoder(uint64_t ctxId);

	void configure(AVCodecContext *codec) override;
	int preparePacket(const DecodeJob &job, AVPacket *packet) override;
	const AVFrame *selectPicture(const DecodeJob &job, const AVFrame *allocated,
				     const AVFrame *received, unsigned int libavErrors,
				     int *status) override;
	void decodeFailed(const DecodeJob &job) override;

private:
	/* The parameter sets of the last job, rebuilt from its controls. */
	struct ParameterSets {
		bool valid = false;
		v4l2_ctrl_h264_sps sps;
		v4l2_ctrl_h264_pps pps;
		bool hasMatrix;
		v4l2_ctrl_h264_scaling_matrix matrix;
		std::vector<uint8_t> spsNal;
		std::vector<uint8_t> ppsNal;
	};

	/* A PPS as libavcodec received it, and the SPS it was parsed with. */
	struct SentPps {
		std::vector<uint8_t> ppsNal;
		std::vector<uint8_t> spsNal;
	};

	int rebuildParameterSets(const DecodeJob &job);
	void forgetSentParameterSets();

	ParameterSets current_;
	/* What libavcodec holds, by seq_parameter_set_id and pic_parameter_set_id. */
	std::map<uint32_t, std::vector<uint8_t>> sentSps_;
	std::map<uint32_t, SentPps> sentPps_;

	/*
	 * The flags and frame_num of the job being decoded (DECODE_PARAMS),
	 * and whether its OUTPUT data hold slices.
	 */
	uint32_t jobFlags_ = 0;
	uint32_t jobFrameNum_ = 0;
	bool jobHasSlices_ = false;

	/*
	 * The picture of the last first field, whether its job failed, and
	 * whether its second field is still to come.
	 */
	AVFramePtr firstField_;
	bool firstFieldBottom_ = false;
	uint32_t firstFieldFrameNum_ = 0;
	bool firstFieldFailed_ = false;
	bool awaitingSecondField_ = false;
};

} /* namespace daedalus */
