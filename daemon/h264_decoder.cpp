/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The H.264 backend.
 */

#include "h264_decoder.h"

#include <cerrno>
#include <cstring>
#include <span>

#include "h264/h264_param_sets.h"
#include "log.h"

namespace daedalus {

LOG_DEFINE_CATEGORY(H264)

namespace {

template<typename T> bool sameBytes(const T &a, const T &b)
{
	return memcmp(&a, &b, sizeof(T)) == 0;
}

/* Whether the Annex B data @data hold a slice NAL unit (types 1 and 5). */
bool hasSlice(std::span<const uint8_t> data)
{
	for (size_t i = 0; i + 3 < data.size(); i++) {
		if (data[i] || data[i + 1] || data[i + 2] != 1)
			continue;
		const unsigned int type = data[i + 3] & 0x1f;
		if (type == 1 || type == 5)
			return true;
		i += 2;
	}
	return false;
}

} /* namespace */

H264Decoder::H264Decoder(uint64_t ctxId) : FfmpegDecoder(ctxId, "H.264")
{
	/* Frame number gaps allocate the missing frames in the same packet. */
	severalPicturesPerPacket_ = true;
}

int H264Decoder::create(uint64_t ctxId, const DecoderConfig &config,
			std::unique_ptr<Decoder> *decoder)
{
	std::unique_ptr<H264Decoder> h264(new H264Decoder(ctxId));
	h264->firstField_.reset(av_frame_alloc());
	if (!h264->firstField_)
		return -ENOMEM;

	int ret = h264->init(AV_CODEC_ID_H264, config);
	if (ret < 0)
		return ret;

	*decoder = std::move(h264);
	return 0;
}

void H264Decoder::configure(AVCodecContext *codec)
{
	/*
	 * Every packet is a picture the client wants, decoded: skip nothing
	 * (non-reference pictures, pictures before the first key frame, loop
	 * filter). The picture is taken from get_buffer2, so what libavcodec
	 * outputs (and when) does not matter; still, let it output everything
	 * it decodes rather than hide pictures it considers broken.
	 */
	codec->skip_frame = AVDISCARD_NONE;
	codec->skip_loop_filter = AVDISCARD_NONE;
	codec->skip_idct = AVDISCARD_NONE;
	codec->flags |= AV_CODEC_FLAG_OUTPUT_CORRUPT;
	codec->flags2 |= AV_CODEC_FLAG2_SHOW_ALL;
	/* The rebuilt SPS has no cropping; the client crops. */
	codec->apply_cropping = 0;
}

int H264Decoder::rebuildParameterSets(const DecodeJob &job)
{
	const auto *sps = job.controls.get<v4l2_ctrl_h264_sps>(V4L2_CID_STATELESS_H264_SPS);
	const auto *pps = job.controls.get<v4l2_ctrl_h264_pps>(V4L2_CID_STATELESS_H264_PPS);
	if (!sps || !pps) {
		LOG_CTX(H264, Error, job.ctxId)
			<< "job " << job.params.seqno << ": no " << (sps ? "PPS" : "SPS")
			<< " control (or one of the wrong size)";
		return -EINVAL;
	}

	const bool hasMatrix = pps->flags & V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
	const auto *matrix = job.controls.get<v4l2_ctrl_h264_scaling_matrix>(
		V4L2_CID_STATELESS_H264_SCALING_MATRIX);
	if (hasMatrix && !matrix) {
		LOG_CTX(H264, Error, job.ctxId)
			<< "job " << job.params.seqno
			<< ": the PPS uses a scaling matrix but there is no SCALING_MATRIX control";
		return -EINVAL;
	}

	/* Most jobs carry the parameter sets of the job before. */
	if (current_.valid && sameBytes(current_.sps, *sps) && sameBytes(current_.pps, *pps) &&
	    current_.hasMatrix == hasMatrix && (!hasMatrix || sameBytes(current_.matrix, *matrix)))
		return 0;

	current_.valid = false;
	current_.spsNal.clear();
	current_.ppsNal.clear();

	int ret = h264::writeSps(*sps, &current_.spsNal);
	if (ret == 0)
		ret = h264::writePps(*pps, *sps, hasMatrix ? matrix : nullptr, &current_.ppsNal);
	if (ret < 0) {
		LOG_CTX(H264, Error, job.ctxId)
			<< "job " << job.params.seqno << ": cannot rebuild "
			<< (current_.spsNal.empty() ? "the SPS" : "the PPS") << " (SPS "
			<< unsigned{ sps->seq_parameter_set_id } << ", PPS "
			<< unsigned{ pps->pic_parameter_set_id } << ", profile "
			<< unsigned{ sps->profile_idc } << "): "
			<< (ret == -EOPNOTSUPP ? "slice groups (FMO) are not supported"
					       : "the controls are invalid");
		return ret == -EOPNOTSUPP ? -EOPNOTSUPP : -EINVAL;
	}

	current_.sps = *sps;
	current_.pps = *pps;
	current_.hasMatrix = hasMatrix;
	if (hasMatrix)
		current_.matrix = *matrix;
	current_.valid = true;

	LOG_CTX(H264, Debug, job.ctxId)
		<< "job " << job.params.seqno << ": parameter sets SPS "
		<< unsigned{ sps->seq_parameter_set_id } << " (" << current_.spsNal.size()
		<< " bytes), PPS " << unsigned{ pps->pic_parameter_set_id } << " ("
		<< current_.ppsNal.size() << " bytes)";
	return 0;
}

int H264Decoder::preparePacket(const DecodeJob &job, AVPacket *packet)
{
	const auto *params = job.controls.get<v4l2_ctrl_h264_decode_params>(
		V4L2_CID_STATELESS_H264_DECODE_PARAMS);
	if (!params) {
		LOG_CTX(H264, Error, job.ctxId)
			<< "job " << job.params.seqno
			<< ": no DECODE_PARAMS control (or one of the wrong size)";
		return -EINVAL;
	}
	jobFlags_ = params->flags;
	jobFrameNum_ = params->frame_num;
	jobHasSlices_ = hasSlice(job.bitstream);

	int ret = rebuildParameterSets(job);
	if (ret < 0)
		return ret;

	/*
	 * libavcodec keeps the parameter sets it has seen: send them only when
	 * they differ from what it holds under the same id. A new SPS may make
	 * libavcodec drop the PPSs that use it, so its PPS is sent again too.
	 */
	const uint32_t spsId = current_.sps.seq_parameter_set_id;
	const uint32_t ppsId = current_.pps.pic_parameter_set_id;
	auto sps = sentSps_.find(spsId);
	const bool sendSps = sps == sentSps_.end() || sps->second != current_.spsNal;
	auto pps = sentPps_.find(ppsId);
	const bool sendPps = sendSps || pps == sentPps_.end() ||
			     pps->second.ppsNal != current_.ppsNal ||
			     pps->second.spsNal != current_.spsNal;

	size_t size = job.bitstream.size();
	if (sendSps)
		size += current_.spsNal.size();
	if (sendPps)
		size += current_.ppsNal.size();
	if (size > INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
		return -EINVAL;

	/*
	 * A copy: libavcodec wants zeroed padding after the data, and the
	 * client must not be able to change the bitstream while it is parsed.
	 */
	ret = allocatePacket(packet, size);
	if (ret < 0)
		return ret;

	uint8_t *data = packet->data;
	if (sendSps) {
		memcpy(data, current_.spsNal.data(), current_.spsNal.size());
		data += current_.spsNal.size();
		sentSps_[spsId] = current_.spsNal;
	}
	if (sendPps) {
		memcpy(data, current_.ppsNal.data(), current_.ppsNal.size());
		data += current_.ppsNal.size();
		sentPps_[ppsId] = { current_.ppsNal, current_.spsNal };
	}
	memcpy(data, job.bitstream.data(), job.bitstream.size());

	if (sendSps || sendPps)
		LOG_CTX(H264, Debug, job.ctxId)
			<< "job " << job.params.seqno << ": packet starts with "
			<< (sendSps ? "SPS and PPS" : "PPS");
	return 0;
}

const AVFrame *H264Decoder::selectPicture(const DecodeJob &job, const AVFrame *allocated,
					  const AVFrame *, unsigned int libavErrors, int *status)
{
	const bool field = jobFlags_ & V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC;
	const bool bottom = jobFlags_ & V4L2_H264_DECODE_PARAM_FLAG_BOTTOM_FIELD;
	const AVFrame *picture = allocated;
	bool secondField = false;

	if (allocated) {
		av_frame_unref(firstField_.get());
		awaitingSecondField_ = false;
		/* A first field: the second one is decoded into the same picture. */
		if (field && av_frame_ref(firstField_.get(), allocated) == 0) {
			firstFieldBottom_ = bottom;
			firstFieldFrameNum_ = jobFrameNum_;
			firstFieldFailed_ = libavErrors != 0;
			awaitingSecondField_ = true;
		}
	} else if (field && awaitingSecondField_ && firstFieldBottom_ != bottom &&
		   firstFieldFrameNum_ == jobFrameNum_ && jobHasSlices_) {
		/*
		 * The second field, decoded into the first field's picture: the
		 * whole frame is written again. The reference goes with the
		 * next picture.
		 */
		secondField = true;
		awaitingSecondField_ = false;
		picture = firstField_.get();
	}

	/*
	 * libavcodec conceals what it cannot decode and carries on; the
	 * client must learn that this picture is broken.
	 */
	if (libavErrors) {
		LOG_CTX(H264, Error, job.ctxId)
			<< "job " << job.params.seqno << " (" << job.bitstream.size()
			<< " bytes, frame_num " << jobFrameNum_ << "): libavcodec reported "
			<< libavErrors << " error(s) decoding the picture";
		*status = -EIO;
		return nullptr;
	}

	if (secondField && firstFieldFailed_) {
		LOG_CTX(H264, Error, job.ctxId)
			<< "job " << job.params.seqno << ": second field of frame_num "
			<< jobFrameNum_ << ", whose first field failed";
		*status = -EIO;
		return nullptr;
	}

	if (!picture) {
		LOG_CTX(H264, Error, job.ctxId)
			<< "job " << job.params.seqno << " (" << job.bitstream.size() << " bytes, "
			<< (field ? (bottom ? "bottom field" : "top field") : "frame")
			<< ", frame_num " << jobFrameNum_ << ") decoded no picture"
			<< (field && awaitingSecondField_
				    ? " (and is not the second field of the picture before)"
				    : "");
		*status = -EINVAL;
		return nullptr;
	}

	if (secondField)
		LOG_CTX(H264, Debug, job.ctxId) << "job " << job.params.seqno
						<< ": second field of frame_num " << jobFrameNum_;
	return picture;
}

void H264Decoder::decodeFailed(const DecodeJob &)
{
	/* libavcodec may have rejected the parameter sets: send them again. */
	forgetSentParameterSets();
	/* If this was the first field of a pair, its second cannot be right. */
	firstFieldFailed_ = true;
}

void H264Decoder::forgetSentParameterSets()
{
	sentSps_.clear();
	sentPps_.clear();
}

void H264Decoder::reset()
{
	FfmpegDecoder::reset();
	av_frame_unref(firstField_.get());
	awaitingSecondField_ = false;
	forgetSentParameterSets();
}

} /* namespace daedalus */
