/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP8 and VP9 test streams for the job path tests.
 */

#include "vpx_streams.h"

#include <cstring>
#include <memory>

extern "C" {
#include <libavcodec/bsf.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

#include "ffmpeg_decoder.h"

namespace daedalus::test {

namespace {

struct BsfDeleter {
	void operator()(AVBSFContext *bsf) const { av_bsf_free(&bsf); }
};

/* Adds "@what failed" to @errors unless @ok. */
void check(bool ok, const char *what, std::string *errors)
{
	if (!ok)
		*errors += std::string(errors->empty() ? "" : "; ") + what + " failed";
}

/* A square moving over a still gradient; 10-bit values for 16-bit formats. */
void fillPattern(AVFrame *frame, int index)
{
	const bool wide = frame->format != AV_PIX_FMT_YUV420P;
	auto put = [&](int plane, int x, int y, unsigned int value8) {
		uint8_t *line = frame->data[plane] + y * frame->linesize[plane];
		if (wide)
			reinterpret_cast<uint16_t *>(line)[x] = (value8 << 2) | (x & 3);
		else
			line[x] = value8;
	};
	for (int y = 0; y < frame->height; y++)
		for (int x = 0; x < frame->width; x++) {
			bool square = x >= 10 + 4 * index && x < 50 + 4 * index &&
				      y >= 20 + index && y < 60 + index;
			put(0, x, y, square ? 235 : (x + y * 2) & 0xff);
		}
	for (int y = 0; y < (frame->height + 1) / 2; y++)
		for (int x = 0; x < (frame->width + 1) / 2; x++) {
			put(1, x, y, 128 + ((x - y) & 31));
			put(2, x, y, 128 - ((x + y) & 31));
		}
}

/* One encoding pass: 0 the only one, 1 fills @stats (no frames), 2 uses them. */
std::vector<VpxFrame> encodePass(const VpxStream &stream, int pass, std::string *stats,
				 std::string *skip, std::string *errors)
{
	const AVCodec *codec = avcodec_find_encoder_by_name(stream.encoder);
	if (!codec) {
		*skip = std::string("libavcodec has no ") + stream.encoder + " encoder";
		return {};
	}
	const bool vp9 = stream.codec == AV_CODEC_ID_VP9;

	/* The second pass's statistics are the caller's to free (stats_in), after the encoder. */
	std::unique_ptr<char, void (*)(void *)> statsIn(nullptr, av_free);
	AVCodecContextPtr enc(avcodec_alloc_context3(codec));
	enc->width = stream.width;
	enc->height = stream.height;
	enc->pix_fmt = stream.pixelFormat;
	enc->time_base = { 1, 30 };
	enc->framerate = { 30, 1 };
	enc->gop_size = 100;
	enc->bit_rate = 300000;
	if (vp9 && stream.pixelFormat != AV_PIX_FMT_YUV420P)
		enc->profile = 2;
	if (pass == 1)
		enc->flags |= AV_CODEC_FLAG_PASS1;
	if (pass == 2) {
		enc->flags |= AV_CODEC_FLAG_PASS2;
		statsIn.reset(av_strdup(stats->c_str()));
		enc->stats_in = statsIn.get();
	}
	/*
	 * Alt-ref frames need look-ahead. libvpx makes VP9's hidden ones in
	 * one-pass encoding only in realtime mode at speed 5 and above
	 * (use_altref_onepass), VBR; the first arrives around frame 11 and
	 * needs the following frames to exist.
	 */
	av_opt_set_int(enc->priv_data, "auto-alt-ref", 1, 0);
	av_opt_set_int(enc->priv_data, "lag-in-frames", 16, 0);
	if (vp9) {
		av_opt_set(enc->priv_data, "deadline", "realtime", 0);
		av_opt_set_int(enc->priv_data, "cpu-used", 6, 0);
	}
	if (avcodec_open2(enc.get(), codec, nullptr) < 0) {
		*skip = std::string("cannot open the ") + stream.encoder + " encoder for " +
			av_get_pix_fmt_name(stream.pixelFormat);
		return {};
	}

	std::unique_ptr<AVBSFContext, BsfDeleter> bsf;
	if (vp9) {
		const AVBitStreamFilter *filter = av_bsf_get_by_name("vp9_superframe_split");
		if (!filter) {
			*skip = "libavcodec has no vp9_superframe_split bitstream filter";
			return {};
		}
		AVBSFContext *raw = nullptr;
		check(av_bsf_alloc(filter, &raw) == 0, "av_bsf_alloc", errors);
		if (!raw)
			return {};
		bsf.reset(raw);
		avcodec_parameters_from_context(bsf->par_in, enc.get());
		check(av_bsf_init(bsf.get()) == 0, "av_bsf_init", errors);
	}

	std::vector<VpxFrame> frames;
	AVPacketPtr packet(av_packet_alloc());
	AVFramePtr frame(av_frame_alloc());
	frame->width = stream.width;
	frame->height = stream.height;
	frame->format = stream.pixelFormat;
	check(av_frame_get_buffer(frame.get(), 0) == 0, "av_frame_get_buffer", errors);

	auto keep = [&](const AVPacket *p) {
		std::vector<uint8_t> data(p->data, p->data + p->size);
		const bool shown = vp9 ? vp9ShowFrame(data) : vp8ShowFrame(data);
		frames.push_back({ std::move(data), shown });
	};
	auto drain = [&]() {
		while (avcodec_receive_packet(enc.get(), packet.get()) == 0) {
			if (!bsf) {
				keep(packet.get());
				av_packet_unref(packet.get());
				continue;
			}
			check(av_bsf_send_packet(bsf.get(), packet.get()) == 0,
			      "av_bsf_send_packet", errors);
			while (av_bsf_receive_packet(bsf.get(), packet.get()) == 0) {
				keep(packet.get());
				av_packet_unref(packet.get());
			}
		}
	};

	for (int i = 0; i < stream.frames; i++) {
		check(av_frame_make_writable(frame.get()) == 0, "av_frame_make_writable", errors);
		fillPattern(frame.get(), i);
		frame->pts = i;
		check(avcodec_send_frame(enc.get(), frame.get()) == 0, "avcodec_send_frame",
		      errors);
		drain();
	}
	avcodec_send_frame(enc.get(), nullptr);
	drain();
	if (pass == 1 && enc->stats_out)
		*stats = enc->stats_out;
	return frames;
}

} /* namespace */

bool vp8ShowFrame(const std::vector<uint8_t> &frame)
{
	return !frame.empty() && (frame[0] >> 4) & 1;
}

bool vp9ShowFrame(const std::vector<uint8_t> &frame)
{
	size_t bit = 0;
	auto read = [&]() {
		unsigned int value = (frame[bit / 8] >> (7 - bit % 8)) & 1;
		bit++;
		return value;
	};
	read(); /* frame_marker */
	read();
	unsigned int profile = read();
	profile |= read() << 1;
	if (profile == 3)
		read(); /* reserved_zero */
	if (read()) /* show_existing_frame */
		return true;
	read(); /* frame_type */
	return read();
}

std::vector<VpxFrame> encodeVpxStream(const VpxStream &stream, std::string *skip,
				      std::string *errors)
{
	if (stream.codec == AV_CODEC_ID_VP9)
		return encodePass(stream, 0, nullptr, skip, errors);
	/* The first pass gives statistics, no frames. */
	std::string stats;
	encodePass(stream, 1, &stats, skip, errors);
	if (!skip->empty())
		return {};
	if (stats.empty()) {
		*skip = "no first-pass statistics from libvpx";
		return {};
	}
	return encodePass(stream, 2, &stats, skip, errors);
}

std::vector<uint8_t> toCapture(const AVFrame *frame, uint32_t stride, uint32_t height, bool p010,
			       uint8_t fill)
{
	std::vector<uint8_t> out(size_t{ stride } * height * 3 / 2, fill);
	auto put = [&](size_t at, const uint8_t *src, int x) {
		if (!p010) {
			out[at] = src[x];
			return;
		}
		const uint16_t word = reinterpret_cast<const uint16_t *>(src)[x] << 6;
		out[at] = word & 0xff;
		out[at + 1] = word >> 8;
	};
	const size_t sample = p010 ? 2 : 1;
	for (int y = 0; y < frame->height; y++)
		for (int x = 0; x < frame->width; x++)
			put(y * stride + sample * x, frame->data[0] + y * frame->linesize[0], x);
	for (int y = 0; y < (frame->height + 1) / 2; y++)
		for (int x = 0; x < (frame->width + 1) / 2; x++) {
			size_t pos = size_t{ stride } * height + y * stride + 2 * sample * x;
			put(pos, frame->data[1] + y * frame->linesize[1], x);
			put(pos + sample, frame->data[2] + y * frame->linesize[2], x);
		}
	return out;
}

std::vector<std::vector<uint8_t>> referenceDecode(const VpxStream &stream,
						  const std::vector<VpxFrame> &frames,
						  uint32_t stride, uint32_t height, bool p010,
						  uint8_t fill, std::string *errors)
{
	std::vector<std::vector<uint8_t>> pictures;
	AVCodecContextPtr dec(avcodec_alloc_context3(avcodec_find_decoder(stream.codec)));
	dec->thread_count = 1;
	check(avcodec_open2(dec.get(), dec->codec, nullptr) == 0, "avcodec_open2", errors);

	AVPacketPtr packet(av_packet_alloc());
	AVFramePtr frame(av_frame_alloc());
	auto receive = [&]() {
		while (avcodec_receive_frame(dec.get(), frame.get()) == 0) {
			check(frame->format == stream.pixelFormat, "the decoded pixel format",
			      errors);
			pictures.push_back(toCapture(frame.get(), stride, height, p010, fill));
			av_frame_unref(frame.get());
		}
	};
	for (const VpxFrame &f : frames) {
		check(av_new_packet(packet.get(), f.data.size()) == 0, "av_new_packet", errors);
		memcpy(packet->data, f.data.data(), f.data.size());
		check(avcodec_send_packet(dec.get(), packet.get()) == 0, "avcodec_send_packet",
		      errors);
		av_packet_unref(packet.get());
		receive();
	}
	avcodec_send_packet(dec.get(), nullptr);
	receive();
	return pictures;
}

} /* namespace daedalus::test */
