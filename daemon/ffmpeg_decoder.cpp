/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A backend on libavcodec.
 */

#include "ffmpeg_decoder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
}

#include "log.h"

namespace daedalus {

LOG_DEFINE_CATEGORY(FFmpeg)
LOG_DEFINE_CATEGORY(libav)

int averrorToErrno(int err)
{
	/* AVERROR(e) is -e; the FFERRTAG() codes are far outside errno's range. */
	if (err < 0 && err > -4096)
		return err;
	return -EIO;
}

std::string averrorString(int err)
{
	char buf[AV_ERROR_MAX_STRING_SIZE] = {};
	av_strerror(err, buf, sizeof(buf));
	return buf;
}

namespace {

void ffmpegLogCallback(void *avcl, int level, const char *fmt, va_list args)
{
	/* Decoder messages carry the context of the decoder that logs them. */
	FfmpegDecoder *decoder = nullptr;
	if (avcl && *static_cast<const AVClass **>(avcl) == avcodec_get_class())
		decoder = FfmpegDecoder::fromContext(static_cast<AVCodecContext *>(avcl));

	/* Errors count for the job even when they are not logged. */
	if (decoder && level <= AV_LOG_ERROR)
		decoder->noteLibavError();

	LogLevel ours;
	if (level <= AV_LOG_ERROR)
		ours = LogLevel::Warn;
	else if (level <= AV_LOG_WARNING)
		ours = LogLevel::Info;
	else if (level <= AV_LOG_VERBOSE)
		ours = LogLevel::Debug;
	else
		return;
	if (!logEnabled(ours))
		return;

	/* libavcodec may build one line from several calls. */
	thread_local std::string pending;
	thread_local int printPrefix = 1;
	char line[1024];
	av_log_format_line2(avcl, level, fmt, args, line, sizeof(line), &printPrefix);
	pending += line;
	if (pending.empty() || pending.back() != '\n')
		return;
	pending.pop_back();

	std::optional<uint64_t> ctxId;
	if (decoder)
		ctxId = decoder->ctxId();
	LogMessage(_logCategorylibav, ours, ctxId).stream() << pending;
	pending.clear();
}

} /* namespace */

void installFfmpegLogHandler()
{
	static std::once_flag once;
	std::call_once(once, [] { av_log_set_callback(ffmpegLogCallback); });
}

FfmpegDecoder::FfmpegDecoder(uint64_t ctxId, const char *name) : ctxId_(ctxId), name_(name)
{
}

FfmpegDecoder::~FfmpegDecoder() = default;

int FfmpegDecoder::create(uint64_t ctxId, const char *name, AVCodecID codecId,
			  const DecoderConfig &config, std::unique_ptr<Decoder> *decoder)
{
	std::unique_ptr<FfmpegDecoder> ffmpeg(new FfmpegDecoder(ctxId, name));
	int ret = ffmpeg->init(codecId, config);
	if (ret < 0)
		return ret;

	*decoder = std::move(ffmpeg);
	return 0;
}

int FfmpegDecoder::init(AVCodecID codecId, const DecoderConfig &config)
{
	installFfmpegLogHandler();

	const AVCodec *codec = avcodec_find_decoder(codecId);
	if (!codec) {
		LOG_CTX(FFmpeg, Error, ctxId_) << "libavcodec has no " << name_ << " decoder";
		return -ENOSYS;
	}

	codec_.reset(avcodec_alloc_context3(codec));
	packet_.reset(av_packet_alloc());
	received_.reset(av_frame_alloc());
	allocated_.reset(av_frame_alloc());
	output_.reset(av_frame_alloc());
	if (!codec_ || !packet_ || !received_ || !allocated_ || !output_)
		return -ENOMEM;

	codec_->opaque = this;
	codec_->get_buffer2 = getBuffer2;
	/* Frame threading would decode a packet after avcodec_send_packet() returns. */
	codec_->thread_type = FF_THREAD_SLICE;
	/* 1: no slice thread, libavcodec decodes on the caller's thread. */
	codec_->thread_count = std::max(1u, config.threads);
	configure(codec_.get());

	int ret = avcodec_open2(codec_.get(), codec, nullptr);
	if (ret < 0) {
		LOG_CTX(FFmpeg, Error, ctxId_)
			<< "cannot open the " << name_ << " decoder: " << averrorString(ret);
		return averrorToErrno(ret);
	}

	LOG_CTX(FFmpeg, Debug, ctxId_) << name_ << " decoder " << codec->name << " with "
				       << codec_->thread_count << " slice thread(s)";
	return 0;
}

FfmpegDecoder *FfmpegDecoder::fromContext(const AVCodecContext *avctx)
{
	if (avctx->get_buffer2 != getBuffer2)
		return nullptr;
	return static_cast<FfmpegDecoder *>(avctx->opaque);
}

int FfmpegDecoder::getBuffer2(AVCodecContext *avctx, AVFrame *frame, int flags)
{
	auto *self = static_cast<FfmpegDecoder *>(avctx->opaque);

	int ret = avcodec_default_get_buffer2(avctx, frame, flags);
	if (ret < 0 || !self->tracking_)
		return ret;

	/* Keep the picture alive until it has been written. */
	av_frame_unref(self->allocated_.get());
	if (av_frame_ref(self->allocated_.get(), frame) < 0)
		return ret;

	/*
	 * The frame may be allocated at the coded size; the picture is the
	 * size libavcodec set for the frame being decoded.
	 */
	self->allocated_->width = avctx->width;
	self->allocated_->height = avctx->height;
	self->allocations_++;
	return ret;
}

int FfmpegDecoder::preparePacket(const DecodeJob &job, AVPacket *packet)
{
	if (job.bitstream.size() > INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
		return -EINVAL;

	/*
	 * A copy: libavcodec wants zeroed padding after the data, and the
	 * client must not be able to change the bitstream while it is parsed.
	 */
	int ret = allocatePacket(packet, job.bitstream.size());
	if (ret < 0)
		return ret;
	memcpy(packet->data, job.bitstream.data(), job.bitstream.size());
	return 0;
}

int FfmpegDecoder::allocatePacket(AVPacket *packet, size_t size)
{
	if (size > INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
		return -EINVAL;
	const size_t needed = size + AV_INPUT_BUFFER_PADDING_SIZE;

	/* Writable: ours is the only reference, libavcodec let go of it. */
	AVBufferRef *buffer = spareBuffer_.release();
	if (!buffer || !av_buffer_is_writable(buffer) ||
	    static_cast<size_t>(buffer->size) < needed) {
		av_buffer_unref(&buffer);
		/* Some room to grow: a larger picture need not allocate again. */
		const size_t capacity = std::min<size_t>(needed + needed / 2, INT32_MAX);
		buffer = av_buffer_alloc(capacity);
		if (!buffer)
			return -ENOMEM;
	}

	memset(buffer->data + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	packet->buf = buffer;
	packet->data = buffer->data;
	packet->size = static_cast<int>(size);
	return 0;
}

const AVFrame *FfmpegDecoder::selectPicture(const DecodeJob &job, const AVFrame *allocated,
					    const AVFrame *received, unsigned int, int *)
{
	/*
	 * The picture decoded from this packet; or, for a packet that only
	 * shows an existing picture, the picture it shows.
	 */
	if (allocated)
		return allocated;
	if (received)
		return received;

	LOG_CTX(FFmpeg, Error, ctxId_) << name_ << " job " << job.params.seqno << " ("
				       << job.bitstream.size() << " bytes) produced no picture";
	return nullptr;
}

int FfmpegDecoder::decode(const DecodeJob &job)
{
	av_frame_unref(allocated_.get());
	av_frame_unref(received_.get());
	allocations_ = 0;

	int ret = preparePacket(job, packet_.get());
	if (ret < 0) {
		av_packet_unref(packet_.get());
		LOG_CTX(FFmpeg, Error, ctxId_)
			<< name_ << " job " << job.params.seqno
			<< ": cannot prepare the packet: " << errorString(ret);
		decodeFailed(job);
		return ret;
	}
	packet_->pts = static_cast<int64_t>(job.params.timestamp);

	libavErrors_ = 0;
	tracking_ = true;
	ret = avcodec_send_packet(codec_.get(), packet_.get());
	/* libavcodec took a reference of its own (or a copy): keep ours for the next job. */
	spareBuffer_.reset(packet_->buf);
	packet_->buf = nullptr;
	av_packet_unref(packet_.get());

	/* Drain, so that the packet is decoded completely; keep the last frame. */
	while (ret >= 0) {
		ret = avcodec_receive_frame(codec_.get(), output_.get());
		if (ret >= 0) {
			av_frame_unref(received_.get());
			av_frame_move_ref(received_.get(), output_.get());
		}
	}
	tracking_ = false;

	if (ret != AVERROR(EAGAIN)) {
		LOG_CTX(FFmpeg, Error, ctxId_)
			<< name_ << " job " << job.params.seqno << " (" << job.bitstream.size()
			<< " bytes): decoding failed: " << averrorString(ret);
		av_frame_unref(allocated_.get());
		av_frame_unref(received_.get());
		decodeFailed(job);
		return averrorToErrno(ret);
	}

	if (allocations_ > 1) {
		if (severalPicturesPerPacket_)
			LOG_CTX(FFmpeg, Debug, ctxId_)
				<< name_ << " job " << job.params.seqno << " decoded "
				<< allocations_ << " pictures; writing the last";
		else
			LOG_CTX(FFmpeg, Warn, ctxId_)
				<< name_ << " job " << job.params.seqno << " decoded "
				<< allocations_ << " pictures; writing the last";
	}

	int status = -EINVAL;
	const AVFrame *picture = selectPicture(job, allocated_->buf[0] ? allocated_.get() : nullptr,
					       received_->buf[0] ? received_.get() : nullptr,
					       libavErrors_, &status);
	if (picture)
		ret = writePicture(job, picture);
	else
		ret = status;

	av_frame_unref(allocated_.get());
	av_frame_unref(received_.get());
	return ret;
}

int FfmpegDecoder::writePicture(const DecodeJob &job, const AVFrame *frame)
{
	AVPixelFormat format = static_cast<AVPixelFormat>(frame->format);
	unsigned int bitDepth;
	switch (format) {
	case AV_PIX_FMT_YUV420P:
	case AV_PIX_FMT_YUVJ420P:
		bitDepth = 8;
		break;
	case AV_PIX_FMT_YUV420P10LE:
		bitDepth = 10;
		break;
	default: {
		const char *formatName = av_get_pix_fmt_name(format);
		LOG_CTX(FFmpeg, Error, ctxId_)
			<< name_ << " job " << job.params.seqno << ": pictures in "
			<< (formatName ? formatName : "an unknown format")
			<< " are not supported (only 8-bit and 10-bit 4:2:0)";
		return -EOPNOTSUPP;
	}
	}

	if (frame->width <= 0 || frame->height <= 0)
		return -EINVAL;

	Picture420 picture;
	picture.width = frame->width;
	picture.height = frame->height;
	picture.bitDepth = bitDepth;
	for (unsigned int i = 0; i < 3; i++) {
		picture.planes[i] = frame->data[i];
		picture.strides[i] = frame->linesize[i];
	}

	/* The job may have ended meanwhile: then the buffer is not ours any more. */
	int ret = job.writeGate.open();
	if (ret < 0)
		return ret;

	ret = daedalus::writePicture(picture, job.capture);
	if (ret < 0)
		LOG_CTX(FFmpeg, Error, ctxId_) << name_ << " job " << job.params.seqno << ": "
					       << writeErrorText(ret, picture, job.capture).text;
	return ret;
}

void FfmpegDecoder::reset()
{
	avcodec_flush_buffers(codec_.get());
	av_frame_unref(allocated_.get());
	av_frame_unref(received_.get());
}

} /* namespace daedalus */
