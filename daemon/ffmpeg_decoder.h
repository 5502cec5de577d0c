/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A backend on libavcodec.
 *
 * libavcodec returns pictures in display order and never returns some of
 * them (VP9 frames with show_frame = 0), but request N's CAPTURE buffer must
 * hold the picture decoded from packet N. The backend therefore tracks the
 * frame libavcodec allocates (get_buffer2) while packet N is decoded, drains
 * avcodec_receive_frame() so that the packet really is decoded, and writes
 * that picture. Frame threading would decode packets asynchronously, so
 * only slice threading is used.
 */

#pragma once

#include <atomic>
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
}

#include "decoder.h"

namespace daedalus {

struct AVCodecContextDeleter {
	void operator()(AVCodecContext *ctx) const { avcodec_free_context(&ctx); }
};
struct AVPacketDeleter {
	void operator()(AVPacket *packet) const { av_packet_free(&packet); }
};
struct AVFrameDeleter {
	void operator()(AVFrame *frame) const { av_frame_free(&frame); }
};
struct AVBufferRefDeleter {
	void operator()(AVBufferRef *buffer) const { av_buffer_unref(&buffer); }
};

using AVCodecContextPtr = std::unique_ptr<AVCodecContext, AVCodecContextDeleter>;
using AVPacketPtr = std::unique_ptr<AVPacket, AVPacketDeleter>;
using AVFramePtr = std::unique_ptr<AVFrame, AVFrameDeleter>;
using AVBufferRefPtr = std::unique_ptr<AVBufferRef, AVBufferRefDeleter>;

/* A libavcodec error as a negative errno (-EIO for non-errno errors). */
int averrorToErrno(int err);
/* Text of a libavcodec error. */
std::string averrorString(int err);

/* Route libavcodec's own messages into the daemon's log (once per process). */
void installFfmpegLogHandler();

class FfmpegDecoder : public Decoder
{
public:
	/*
	 * A decoder of @codecId for context @ctxId; @name is the codec's name
	 * in logs. Returns 0 or a negative errno.
	 */
	static int create(uint64_t ctxId, const char *name, AVCodecID codecId,
			  const DecoderConfig &config, std::unique_ptr<Decoder> *decoder);

	~FfmpegDecoder() override;

	int decode(const DecodeJob &job) override;
	void reset() override;

	uint64_t ctxId() const { return ctxId_; }

	/* The decoder that owns @avctx, or nullptr when it is not one of ours. */
	static FfmpegDecoder *fromContext(const AVCodecContext *avctx);

	/*
	 * libavcodec logged an error for this decoder. Called from the log
	 * callback, possibly on one of libavcodec's slice threads.
	 */
	void noteLibavError() { libavErrors_++; }

protected:
	FfmpegDecoder(uint64_t ctxId, const char *name);

	int init(AVCodecID codecId, const DecoderConfig &config);

	/* Set codec options before the codec is opened. The default sets none. */
	virtual void configure([[maybe_unused]] AVCodecContext *codec) {}

	/*
	 * Fill @packet (empty on entry) with the data libavcodec decodes for
	 * @job. The default copies the OUTPUT bitstream as it is (with the
	 * padding libavcodec needs). Stream rebuilders override this.
	 */
	virtual int preparePacket(const DecodeJob &job, AVPacket *packet);

	/*
	 * Give @packet (empty) a buffer of @size bytes followed by zeroed
	 * padding, as av_new_packet() does; the last job's buffer is reused
	 * when libavcodec holds no reference to it any more, so that jobs do
	 * not allocate. Returns 0 or a negative errno.
	 */
	int allocatePacket(AVPacket *packet, size_t size);

	/*
	 * The picture to write for @job once its packet is decoded. @allocated
	 * is the last frame libavcodec allocated while decoding the packet,
	 * @received the last frame avcodec_receive_frame() returned; either
	 * may be nullptr. @libavErrors counts the errors libavcodec logged
	 * meanwhile. Return the picture, or nullptr after logging why there is
	 * none (the job fails with @status, -EINVAL by default). The default
	 * takes @allocated, else @received (a packet that only shows an
	 * existing picture), and ignores logged errors.
	 */
	virtual const AVFrame *selectPicture(const DecodeJob &job, const AVFrame *allocated,
					     const AVFrame *received, unsigned int libavErrors,
					     int *status);

	/*
	 * Called when the packet of @job could not be prepared or libavcodec
	 * failed to decode it, after the failure was logged.
	 */
	virtual void decodeFailed([[maybe_unused]] const DecodeJob &job) {}

	const char *name() const { return name_; }
	AVCodecContext *codecContext() const { return codec_.get(); }

	/* Whether a packet may allocate several pictures (frame number gaps). */
	bool severalPicturesPerPacket_ = false;

private:
	static int getBuffer2(AVCodecContext *avctx, AVFrame *frame, int flags);

	int writePicture(const DecodeJob &job, const AVFrame *frame);

	uint64_t ctxId_;
	const char *name_;

	AVCodecContextPtr codec_;
	AVPacketPtr packet_;
	/* The buffer of the last job's packet, for allocatePacket(). */
	AVBufferRefPtr spareBuffer_;
	/* The last frame avcodec_receive_frame() returned for this job. */
	AVFramePtr received_;
	/* Where avcodec_receive_frame() writes. */
	AVFramePtr output_;
	/* A reference to the last frame allocated while this job's packet was decoded. */
	AVFramePtr allocated_;
	unsigned int allocations_ = 0;
	bool tracking_ = false;
	std::atomic<unsigned int> libavErrors_ = 0;
};

} /* namespace daedalus */
