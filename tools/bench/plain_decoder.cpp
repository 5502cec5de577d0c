/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The plain decode loop.
 */

#include "plain_decoder.h"

#include <cstring>
#include <ctime>
#include <memory>

extern "C" {
#include <dav1d/dav1d.h>
#include <libavcodec/avcodec.h>
}

namespace daedalus::bench {

double wallClock()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double cpuClock()
{
	timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

namespace {

struct Clock {
	double wall = wallClock();
	double cpu = cpuClock();
	AllocCounts counts = allocCounts();

	void stop(Timing *timing) const
	{
		timing->seconds = wallClock() - wall;
		timing->cpuSeconds = cpuClock() - cpu;
		timing->counts = allocCounts() - counts;
	}
};

/*
 * The packets as libavcodec wants them (zeroed padding), made before the
 * clock starts: the demuxer's work is not the decoder's.
 */
std::vector<AVPacket *> makePackets(const Clip &clip)
{
	std::vector<AVPacket *> packets;
	for (const auto &data : clip.packets) {
		AVPacket *packet = av_packet_alloc();
		if (!packet || av_new_packet(packet, data.size()) < 0) {
			av_packet_free(&packet);
			break;
		}
		memcpy(packet->data, data.data(), data.size());
		packets.push_back(packet);
	}
	return packets;
}

Timing decodeLibavcodec(const Clip &clip, unsigned int threads, Threading threading)
{
	Timing timing;
	const AVCodecID id = clip.codec == tools::Codec::H264 ? AV_CODEC_ID_H264 : AV_CODEC_ID_VP9;
	const AVCodec *codec = avcodec_find_decoder(id);
	if (!codec) {
		timing.error = "libavcodec has no decoder for the clip";
		return timing;
	}

	std::vector<AVPacket *> packets = makePackets(clip);
	AVFrame *frame = av_frame_alloc();

	const Clock clock;
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	ctx->thread_count = threads;
	ctx->thread_type = threading == Threading::Daemon ? FF_THREAD_SLICE
							  : FF_THREAD_FRAME | FF_THREAD_SLICE;
	int ret = avcodec_open2(ctx, codec, nullptr);
	if (ret < 0)
		timing.error = "cannot open libavcodec's decoder";

	auto receive = [&]() {
		while (avcodec_receive_frame(ctx, frame) >= 0) {
			if (!timing.frames++) {
				timing.width = frame->width;
				timing.height = frame->height;
			}
			av_frame_unref(frame);
		}
	};
	for (size_t i = 0; ret >= 0 && i <= packets.size(); i++) {
		/* The last round drains. */
		ret = avcodec_send_packet(ctx, i < packets.size() ? packets[i] : nullptr);
		if (ret == AVERROR(EAGAIN))
			ret = 0;
		receive();
	}
	avcodec_free_context(&ctx);
	clock.stop(&timing);

	av_frame_free(&frame);
	for (AVPacket *packet : packets)
		av_packet_free(&packet);
	return timing;
}

Timing decodeDav1d(const Clip &clip, unsigned int threads, Threading threading)
{
	Timing timing;
	Dav1dSettings settings;
	dav1d_default_settings(&settings);
	settings.n_threads = threads;
	/* The daemon's: one frame in flight. 0 lets libdav1d choose. */
	settings.max_frame_delay = threading == Threading::Daemon ? 1 : 0;
	/* As the daemon: film grain applied (the clips have none). */
	settings.apply_grain = 1;

	const Clock clock;
	Dav1dContext *ctx = nullptr;
	if (dav1d_open(&ctx, &settings) < 0) {
		timing.error = "cannot open libdav1d";
		return timing;
	}

	auto drain = [&]() {
		for (;;) {
			Dav1dPicture picture{};
			const int ret = dav1d_get_picture(ctx, &picture);
			if (ret < 0)
				return ret;
			if (!timing.frames++) {
				timing.width = picture.p.w;
				timing.height = picture.p.h;
			}
			dav1d_picture_unref(&picture);
		}
	};

	for (const auto &unit : clip.packets) {
		Dav1dData data{};
		uint8_t *buffer = dav1d_data_create(&data, unit.size());
		if (!buffer) {
			timing.error = "out of memory";
			break;
		}
		memcpy(buffer, unit.data(), unit.size());
		while (data.sz > 0) {
			int ret = dav1d_send_data(ctx, &data);
			if (ret < 0 && ret != DAV1D_ERR(EAGAIN)) {
				timing.error = "libdav1d failed";
				break;
			}
			ret = drain();
			if (ret != DAV1D_ERR(EAGAIN)) {
				timing.error = "libdav1d failed";
				break;
			}
		}
		if (data.sz > 0)
			dav1d_data_unref(&data);
		if (!timing.error.empty())
			break;
	}
	/* The pictures still in flight: with no data left, libdav1d drains. */
	if (timing.error.empty())
		drain();
	dav1d_close(&ctx);
	clock.stop(&timing);
	return timing;
}

} /* namespace */

Timing plainDecode(const Clip &clip, unsigned int threads, Threading threading)
{
	if (clip.codec == tools::Codec::Av1)
		return decodeDav1d(clip, threads, threading);
	return decodeLibavcodec(clip, threads, threading);
}

} /* namespace daedalus::bench */
