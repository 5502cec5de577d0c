/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP8 and 10-bit VP9 (profile 2) through the daemon's job path, as kernel
 * jobs arrive: one frame per OUTPUT buffer, one CAPTURE picture per request,
 * frames never shown (VP8 alt-ref frames with show_frame = 0, VP9 hidden
 * alt-refs) included. Streams are encoded here with libvpx; every shown
 * picture must be the one a plain libavcodec decode of the same frames gives,
 * in NV12 (VP8) or P010 (VP9 profile 2).
 */

#include <cstring>
#include <gtest/gtest.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

#include "ffmpeg_decoder.h"
#include "job_processor.h"
#include "picture_writer.h"
#include "test_buffers.h"

using namespace daedalus;
using namespace daedalus::test;

namespace {

constexpr int kWidth = 181;
constexpr int kHeight = 101;
constexpr int kFrames = 30;
constexpr uint32_t kCapWidth = 192;
constexpr uint32_t kCapHeight = 112;
constexpr uint8_t kUntouched = 0xee;

struct BsfDeleter {
	void operator()(AVBSFContext *bsf) const { av_bsf_free(&bsf); }
};

struct Frame {
	std::vector<uint8_t> data;
	bool shown;
};

/* What a stream is made of and how its pictures are laid out. */
struct Flavour {
	const char *encoder;
	AVCodecID codec;
	uint32_t outputFourcc;
	AVPixelFormat pixelFormat;
	CaptureFormat capture;
	uint32_t stride;
};

const Flavour kVp8{ "libvpx",		AV_CODEC_ID_VP8,     V4L2_PIX_FMT_VP8_FRAME,
		    AV_PIX_FMT_YUV420P, CaptureFormat::Nv12, 512 };
const Flavour kVp9Profile2{ "libvpx-vp9",	    AV_CODEC_ID_VP9,	 V4L2_PIX_FMT_VP9_FRAME,
			    AV_PIX_FMT_YUV420P10LE, CaptureFormat::P010, 512 };

/* show_frame of a VP8 frame: bit 4 of the frame tag. */
bool vp8ShowFrame(const std::vector<uint8_t> &frame)
{
	return !frame.empty() && (frame[0] >> 4) & 1;
}

/* show_frame of a VP9 frame (show_existing_frame counts as shown). */
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
		read();
	if (read()) /* show_existing_frame */
		return true;
	read(); /* frame_type */
	return read();
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

/*
 * Encode kFrames frames with alt-ref frames (hidden ones in VP9 superframes,
 * split here; VP8 makes them only in two-pass encoding: @pass 1 fills
 * @stats, pass 2 uses them). Returns an empty vector (and sets @skip)
 * without the encoder.
 */
std::vector<Frame> encodePass(const Flavour &flavour, int pass, std::string *stats,
			      std::string *skip)
{
	const AVCodec *codec = avcodec_find_encoder_by_name(flavour.encoder);
	if (!codec) {
		*skip = std::string("libavcodec has no ") + flavour.encoder + " encoder";
		return {};
	}

	/* The second pass's statistics are the caller's to free (stats_in), after the encoder. */
	std::unique_ptr<char, void (*)(void *)> statsIn(nullptr, av_free);
	AVCodecContextPtr enc(avcodec_alloc_context3(codec));
	enc->width = kWidth;
	enc->height = kHeight;
	enc->pix_fmt = flavour.pixelFormat;
	enc->time_base = { 1, 30 };
	enc->framerate = { 30, 1 };
	enc->gop_size = 100;
	enc->bit_rate = 300000;
	if (flavour.codec == AV_CODEC_ID_VP9)
		enc->profile = 2;
	if (pass == 1)
		enc->flags |= AV_CODEC_FLAG_PASS1;
	if (pass == 2) {
		enc->flags |= AV_CODEC_FLAG_PASS2;
		statsIn.reset(av_strdup(stats->c_str()));
		enc->stats_in = statsIn.get();
	}
	/* Alt-ref frames need look-ahead; VP9 makes them in realtime mode (see vp9_job_test). */
	av_opt_set_int(enc->priv_data, "auto-alt-ref", 1, 0);
	av_opt_set_int(enc->priv_data, "lag-in-frames", 16, 0);
	if (flavour.codec == AV_CODEC_ID_VP9) {
		av_opt_set(enc->priv_data, "deadline", "realtime", 0);
		av_opt_set_int(enc->priv_data, "cpu-used", 6, 0);
	}
	if (avcodec_open2(enc.get(), codec, nullptr) < 0) {
		*skip = std::string("cannot open the ") + flavour.encoder + " encoder for " +
			av_get_pix_fmt_name(flavour.pixelFormat);
		return {};
	}

	std::unique_ptr<AVBSFContext, BsfDeleter> bsf;
	if (flavour.codec == AV_CODEC_ID_VP9) {
		AVBSFContext *raw = nullptr;
		EXPECT_EQ(av_bsf_alloc(av_bsf_get_by_name("vp9_superframe_split"), &raw), 0);
		bsf.reset(raw);
		avcodec_parameters_from_context(bsf->par_in, enc.get());
		EXPECT_EQ(av_bsf_init(bsf.get()), 0);
	}

	std::vector<Frame> frames;
	AVPacketPtr packet(av_packet_alloc());
	AVFramePtr frame(av_frame_alloc());
	frame->width = kWidth;
	frame->height = kHeight;
	frame->format = flavour.pixelFormat;
	EXPECT_EQ(av_frame_get_buffer(frame.get(), 0), 0);

	auto keep = [&](const AVPacket *p) {
		std::vector<uint8_t> data(p->data, p->data + p->size);
		bool shown = flavour.codec == AV_CODEC_ID_VP9 ? vp9ShowFrame(data)
							      : vp8ShowFrame(data);
		frames.push_back({ std::move(data), shown });
	};
	auto drain = [&]() {
		while (avcodec_receive_packet(enc.get(), packet.get()) == 0) {
			if (!bsf) {
				keep(packet.get());
				av_packet_unref(packet.get());
				continue;
			}
			EXPECT_EQ(av_bsf_send_packet(bsf.get(), packet.get()), 0);
			while (av_bsf_receive_packet(bsf.get(), packet.get()) == 0) {
				keep(packet.get());
				av_packet_unref(packet.get());
			}
		}
	};

	for (int i = 0; i < kFrames; i++) {
		EXPECT_EQ(av_frame_make_writable(frame.get()), 0);
		fillPattern(frame.get(), i);
		frame->pts = i;
		EXPECT_EQ(avcodec_send_frame(enc.get(), frame.get()), 0);
		drain();
	}
	avcodec_send_frame(enc.get(), nullptr);
	drain();
	if (pass == 1 && enc->stats_out)
		*stats = enc->stats_out;
	return frames;
}

std::vector<Frame> encodeStream(const Flavour &flavour, std::string *skip)
{
	if (flavour.codec == AV_CODEC_ID_VP9)
		return encodePass(flavour, 0, nullptr, skip);
	/* The first pass gives statistics, no frames. */
	std::string stats;
	encodePass(flavour, 1, &stats, skip);
	if (!skip->empty())
		return {};
	if (stats.empty()) {
		*skip = "no first-pass statistics from libvpx";
		return {};
	}
	return encodePass(flavour, 2, &stats, skip);
}

/* An independent conversion of a decoded frame into the CAPTURE layout, the reference. */
std::vector<uint8_t> toCapture(const Flavour &flavour, const AVFrame *frame)
{
	const uint32_t stride = flavour.stride;
	std::vector<uint8_t> out(nv12Size(stride, kCapHeight), kUntouched);
	const bool p010 = flavour.capture == CaptureFormat::P010;
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
			size_t pos = size_t{ stride } * kCapHeight + y * stride + 2 * sample * x;
			put(pos, frame->data[1] + y * frame->linesize[1], x);
			put(pos + sample, frame->data[2] + y * frame->linesize[2], x);
		}
	return out;
}

/* A plain libavcodec decode of the same frames: the shown pictures, in order. */
std::vector<std::vector<uint8_t>> referenceDecode(const Flavour &flavour,
						  const std::vector<Frame> &frames)
{
	std::vector<std::vector<uint8_t>> pictures;
	AVCodecContextPtr dec(avcodec_alloc_context3(avcodec_find_decoder(flavour.codec)));
	dec->thread_count = 1;
	EXPECT_EQ(avcodec_open2(dec.get(), dec->codec, nullptr), 0);

	AVPacketPtr packet(av_packet_alloc());
	AVFramePtr frame(av_frame_alloc());
	auto receive = [&]() {
		while (avcodec_receive_frame(dec.get(), frame.get()) == 0) {
			EXPECT_EQ(frame->format, flavour.pixelFormat);
			pictures.push_back(toCapture(flavour, frame.get()));
			av_frame_unref(frame.get());
		}
	};
	for (const Frame &f : frames) {
		EXPECT_EQ(av_new_packet(packet.get(), f.data.size()), 0);
		memcpy(packet->data, f.data.data(), f.data.size());
		EXPECT_EQ(avcodec_send_packet(dec.get(), packet.get()), 0);
		av_packet_unref(packet.get());
		receive();
	}
	avcodec_send_packet(dec.get(), nullptr);
	receive();
	return pictures;
}

class VpxJobTest : public testing::TestWithParam<const Flavour *>
{
protected:
	void SetUp() override
	{
		flavour_ = GetParam();
		std::string skip;
		frames_ = encodeStream(*flavour_, &skip);
		if (frames_.empty())
			GTEST_SKIP() << skip;
		reference_ = referenceDecode(*flavour_, frames_);

		if (flavour_->codec == AV_CODEC_ID_VP9) {
			v4l2_ctrl_vp9_frame vp9{};
			vp9.profile = 2;
			vp9.bit_depth = 10;
			controls_.add(V4L2_CID_STATELESS_VP9_FRAME, vp9);
			controls_.add(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
				      v4l2_ctrl_vp9_compressed_hdr{});
		} else {
			/* The buffer carries the whole frame; the control is redundant. */
			controls_.add(V4L2_CID_STATELESS_VP8_FRAME, v4l2_ctrl_vp8_frame{});
		}
	}

	/* @frame as the next job into a CAPTURE buffer of @format; the picture into @picture. */
	int runFrame(const std::vector<uint8_t> &frame, std::vector<uint8_t> *picture,
		     CaptureFormat format)
	{
		unsigned int slot = seqno_ % std::size(output_);
		MemfdBuffer &src = *output_[slot];
		MemfdBuffer &dst = *capture_[slot];
		const uint32_t size = nv12Size(flavour_->stride, kCapHeight);
		EXPECT_LE(frame.size(), src.size());
		memcpy(src.data().data(), frame.data(), frame.size());
		memset(dst.data().data(), kUntouched, dst.size());

		JobParams params;
		params.seqno = ++seqno_;
		params.ctxId = 3;
		params.codec = flavour_->outputFourcc;
		params.capFourcc = format == CaptureFormat::P010 ? V4L2_PIX_FMT_P010
								 : V4L2_PIX_FMT_NV12;
		params.capWidth = kCapWidth;
		params.capHeight = kCapHeight;
		params.timestamp = seqno_ * 1000;

		daedalus_msg msg = makeJobMessage(
			params, makeBuffer(100 + slot, slot, src.dupFd(), src.size(), frame.size()),
			makeBuffer(200 + slot, slot, dst.dupFd(), dst.size(), size, 0,
				   flavour_->stride),
			&controls_);
		daedalus_result result;
		EXPECT_TRUE(processor_.handleMessage(msg, controls_.area(), &result));
		picture->assign(dst.data().begin(), dst.data().begin() + size);
		return result.status;
	}

	const Flavour *flavour_ = nullptr;
	std::vector<Frame> frames_;
	std::vector<std::vector<uint8_t>> reference_;
	ControlAreaBuilder controls_;
	JobProcessor processor_{ DecoderConfig{ 1 } };
	uint64_t seqno_ = 0;
	std::unique_ptr<MemfdBuffer> output_[3] = {
		std::make_unique<MemfdBuffer>(256 * 1024),
		std::make_unique<MemfdBuffer>(256 * 1024),
		std::make_unique<MemfdBuffer>(256 * 1024),
	};
	std::unique_ptr<MemfdBuffer> capture_[3] = {
		std::make_unique<MemfdBuffer>(nv12Size(512, kCapHeight)),
		std::make_unique<MemfdBuffer>(nv12Size(512, kCapHeight)),
		std::make_unique<MemfdBuffer>(nv12Size(512, kCapHeight)),
	};
};

TEST_P(VpxJobTest, EveryRequestGetsItsPicture)
{
	unsigned int hidden = 0, shown = 0;
	for (const Frame &frame : frames_) {
		std::vector<uint8_t> picture;
		ASSERT_EQ(runFrame(frame.data, &picture, flavour_->capture), 0);
		/* A hidden frame's picture is written too, but nobody shows it. */
		if (!frame.shown) {
			hidden++;
			EXPECT_NE(picture, std::vector<uint8_t>(picture.size(), kUntouched));
			continue;
		}
		ASSERT_LT(shown, reference_.size());
		EXPECT_EQ(picture, reference_[shown]) << "shown picture " << shown;
		shown++;
	}
	EXPECT_EQ(shown, reference_.size());
	EXPECT_EQ(shown, unsigned{ kFrames });
	/* The stream must test frames that are never shown. */
	EXPECT_GT(hidden, 0u);
}

TEST_P(VpxJobTest, WrongBitDepthFailsCleanly)
{
	/* The CAPTURE format of the other bit depth: refused, the buffer black. */
	const CaptureFormat wrong = flavour_->capture == CaptureFormat::P010 ? CaptureFormat::Nv12
									     : CaptureFormat::P010;
	std::vector<uint8_t> picture;
	testing::internal::CaptureStderr();
	EXPECT_EQ(runFrame(frames_[0].data, &picture, wrong), -EPROTO);
	std::string log = testing::internal::GetCapturedStderr();
	EXPECT_NE(log.find("-bit picture cannot go into the"), std::string::npos) << log;
	const size_t luma = size_t{ flavour_->stride } * kCapHeight;
	ASSERT_EQ(picture.size(), nv12Size(flavour_->stride, kCapHeight));
	for (size_t i = 0; i < picture.size(); i++) {
		if (wrong == CaptureFormat::Nv12) {
			ASSERT_EQ(picture[i], i < luma ? 16 : 128) << "byte " << i;
		} else {
			/* 10-bit 64 and 512 in the top bits of little-endian samples. */
			const uint16_t sample = i < luma ? 64 << 6 : 512 << 6;
			ASSERT_EQ(picture[i], i % 2 ? sample >> 8 : sample & 0xff) << "byte " << i;
		}
	}
}

INSTANTIATE_TEST_SUITE_P(Codecs, VpxJobTest, testing::Values(&kVp8, &kVp9Profile2),
			 [](const testing::TestParamInfo<const Flavour *> &info) {
				 return info.param == &kVp8 ? std::string("Vp8")
							    : std::string("Vp9Profile2");
			 });

} /* namespace */
