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

/* Adds the time and memory calls of its scope to a Timing. */
class PlainLoop::Clock
{
public:
	explicit Clock(Timing *timing) : timing_(timing) {}
	~Clock()
	{
		timing_->seconds += wallClock() - wall_;
		timing_->cpuSeconds += cpuClock() - cpu_;
		timing_->counts += allocCounts() - counts_;
	}

private:
	Timing *timing_;
	double wall_ = wallClock();
	double cpu_ = cpuClock();
	AllocCounts counts_ = allocCounts();
};

bool PlainLoop::step()
{
	if (closed_ || next_ >= clip_.packets.size() || !timing_.error.empty())
		return false;
	Clock clock(&timing_);
	if (next_ == 0)
		open(threads_, threading_);
	if (timing_.error.empty())
		decode(next_);
	next_++;
	return timing_.error.empty();
}

void PlainLoop::finish()
{
	while (step()) {
	}
	if (closed_)
		return;
	Clock clock(&timing_);
	if (next_ == 0)
		open(threads_, threading_);
	close();
	closed_ = true;
}

namespace {

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

class LibavcodecLoop : public PlainLoop
{
public:
	explicit LibavcodecLoop(const Clip &clip)
		: PlainLoop(clip), packets_(makePackets(clip)), frame_(av_frame_alloc())
	{
	}
	~LibavcodecLoop() override
	{
		avcodec_free_context(&ctx_);
		av_frame_free(&frame_);
		for (AVPacket *packet : packets_)
			av_packet_free(&packet);
	}

protected:
	void open(unsigned int threads, Threading threading) override
	{
		const AVCodecID id = clip_.codec == tools::Codec::H264 ? AV_CODEC_ID_H264
								       : AV_CODEC_ID_VP9;
		const AVCodec *codec = avcodec_find_decoder(id);
		ctx_ = codec ? avcodec_alloc_context3(codec) : nullptr;
		if (!ctx_ || packets_.size() != clip_.packets.size() || !frame_) {
			timing_.error = "no libavcodec decoder for the clip, or no memory";
			return;
		}
		ctx_->thread_count = threads;
		ctx_->thread_type = threading == Threading::Daemon
					    ? FF_THREAD_SLICE
					    : FF_THREAD_FRAME | FF_THREAD_SLICE;
		if (avcodec_open2(ctx_, codec, nullptr) < 0)
			timing_.error = "cannot open libavcodec's decoder";
	}

	void decode(size_t packet) override { send(packets_[packet]); }

	void close() override
	{
		if (ctx_ && timing_.error.empty())
			send(nullptr);
		avcodec_free_context(&ctx_);
	}

private:
	void send(const AVPacket *packet)
	{
		int ret = avcodec_send_packet(ctx_, packet);
		if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF) {
			timing_.error = "libavcodec failed";
			return;
		}
		while (avcodec_receive_frame(ctx_, frame_) >= 0) {
			if (!timing_.frames++) {
				timing_.width = frame_->width;
				timing_.height = frame_->height;
			}
			av_frame_unref(frame_);
		}
	}

	std::vector<AVPacket *> packets_;
	AVFrame *frame_;
	AVCodecContext *ctx_ = nullptr;
};

class Dav1dLoop : public PlainLoop
{
public:
	explicit Dav1dLoop(const Clip &clip) : PlainLoop(clip) {}
	~Dav1dLoop() override
	{
		if (ctx_)
			dav1d_close(&ctx_);
	}

protected:
	void open(unsigned int threads, Threading threading) override
	{
		Dav1dSettings settings;
		dav1d_default_settings(&settings);
		settings.n_threads = threads;
		/* The daemon's: one frame in flight. 0 lets libdav1d choose. */
		settings.max_frame_delay = threading == Threading::Daemon ? 1 : 0;
		/* As the daemon: film grain applied (the clips have none). */
		settings.apply_grain = 1;
		if (dav1d_open(&ctx_, &settings) < 0) {
			ctx_ = nullptr;
			timing_.error = "cannot open libdav1d";
		}
	}

	void decode(size_t packet) override
	{
		const auto &unit = clip_.packets[packet];
		Dav1dData data{};
		uint8_t *buffer = dav1d_data_create(&data, unit.size());
		if (!buffer) {
			timing_.error = "out of memory";
			return;
		}
		memcpy(buffer, unit.data(), unit.size());
		while (data.sz > 0 && timing_.error.empty()) {
			int ret = dav1d_send_data(ctx_, &data);
			if (ret < 0 && ret != DAV1D_ERR(EAGAIN))
				timing_.error = "libdav1d failed";
			else
				drain();
		}
		if (data.sz > 0)
			dav1d_data_unref(&data);
	}

	void close() override
	{
		/* The pictures still in flight: with no data left, libdav1d drains. */
		if (ctx_ && timing_.error.empty())
			drain();
		if (ctx_)
			dav1d_close(&ctx_);
	}

private:
	void drain()
	{
		for (;;) {
			Dav1dPicture picture{};
			const int ret = dav1d_get_picture(ctx_, &picture);
			if (ret == DAV1D_ERR(EAGAIN))
				return;
			if (ret < 0) {
				timing_.error = "libdav1d failed";
				return;
			}
			if (!timing_.frames++) {
				timing_.width = picture.p.w;
				timing_.height = picture.p.h;
			}
			dav1d_picture_unref(&picture);
		}
	}

	Dav1dContext *ctx_ = nullptr;
};

} /* namespace */

std::unique_ptr<PlainLoop> PlainLoop::create(const Clip &clip, unsigned int threads,
					     Threading threading)
{
	std::unique_ptr<PlainLoop> loop;
	if (clip.codec == tools::Codec::Av1)
		loop.reset(new Dav1dLoop(clip));
	else
		loop.reset(new LibavcodecLoop(clip));
	loop->threads_ = threads;
	loop->threading_ = threading;
	return loop;
}

Timing plainDecode(const Clip &clip, unsigned int threads, Threading threading)
{
	std::unique_ptr<PlainLoop> loop = PlainLoop::create(clip, threads, threading);
	loop->finish();
	return loop->timing();
}

} /* namespace daedalus::bench */
