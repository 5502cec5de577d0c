/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rebuilt parameter sets must decode exactly like the originals with the
 * decoder the daemon uses. For every JVT conformance stream, libavcodec
 * decodes the original stream and a copy in which each SPS and PPS NAL unit
 * is replaced by the one rebuilt from the controls GStreamer would send
 * (no cropping, no VUI, all scaling lists explicit in the PPS); the decoded
 * pictures must be identical.
 *
 * Cropping is turned off in both decodes (the rebuilt SPS has none, the
 * client crops). Output is compared as the sequence of pictures; with the
 * VUI gone libavcodec may output later (see h264_param_sets.cpp), never in
 * another order for these streams.
 */

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
}

#include "conformance_streams.h"
#include "gst_h264_support.h"
#include "h264/h264_param_sets.h"

namespace fs = std::filesystem;

namespace daedalus::h264::test {
namespace {

/* A picture: its size, format and a 64-bit FNV-1a hash of its samples. */
struct Picture {
	int width, height, format;
	uint64_t hash;
	bool operator==(const Picture &) const = default;
};

uint64_t fnv1a(const std::vector<uint8_t> &data)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint8_t b : data) {
		h ^= b;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Decode the Annex B stream @stream with libavcodec, one thread, no cropping. */
std::vector<Picture> decode(const std::vector<uint8_t> &stream, std::string *error)
{
	std::vector<Picture> pictures;
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	AVCodecParserContext *parser = av_parser_init(AV_CODEC_ID_H264);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *frame = av_frame_alloc();

	ctx->thread_count = 1;
	ctx->apply_cropping = 0;
	if (avcodec_open2(ctx, codec, nullptr) < 0) {
		*error = "avcodec_open2 failed";
		return pictures;
	}

	auto drain = [&]() {
		while (avcodec_receive_frame(ctx, frame) == 0) {
			const auto fmt = static_cast<AVPixelFormat>(frame->format);
			const int size =
				av_image_get_buffer_size(fmt, frame->width, frame->height, 1);
			std::vector<uint8_t> buf(size);
			av_image_copy_to_buffer(buf.data(), size, frame->data, frame->linesize, fmt,
						frame->width, frame->height, 1);
			pictures.push_back(
				{ frame->width, frame->height, frame->format, fnv1a(buf) });
			av_frame_unref(frame);
		}
	};

	/* The parser needs padded input. */
	std::vector<uint8_t> padded(stream);
	padded.resize(stream.size() + AV_INPUT_BUFFER_PADDING_SIZE, 0);

	const uint8_t *data = padded.data();
	int left = static_cast<int>(stream.size());
	bool flushing = false;
	while (true) {
		uint8_t *out = nullptr;
		int outSize = 0;
		const int used = av_parser_parse2(parser, ctx, &out, &outSize,
						  flushing ? nullptr : data, flushing ? 0 : left,
						  AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
		if (!flushing) {
			data += used;
			left -= used;
		}
		if (outSize > 0) {
			pkt->data = out;
			pkt->size = outSize;
			/* Errors in a picture show as a differing hash; keep going. */
			avcodec_send_packet(ctx, pkt);
			drain();
		}
		if (flushing && outSize == 0)
			break;
		if (left == 0)
			flushing = true;
	}
	avcodec_send_packet(ctx, nullptr);
	drain();

	av_frame_free(&frame);
	av_packet_free(&pkt);
	av_parser_close(parser);
	avcodec_free_context(&ctx);
	return pictures;
}

/*
 * @stream with every SPS and PPS replaced by its rebuilt version. Returns
 * false with @why set if a unit cannot be rebuilt (slice groups).
 */
bool rebuildStream(const std::vector<uint8_t> &stream, std::vector<uint8_t> *out, std::string *why)
{
	GstParser parser;

	for (GstH264NalUnit &nalu : splitNalUnits(parser.get(), stream)) {
		if (nalu.type == GST_H264_NAL_SPS) {
			GstH264SPS sps;
			if (gst_h264_parser_parse_sps(parser.get(), &nalu, &sps) !=
			    GST_H264_PARSER_OK) {
				*why = "GStreamer cannot parse an SPS";
				return false;
			}
			const int ret = writeSps(fillSps(sps), out);
			gst_h264_parser_update_sps(parser.get(), &sps);
			gst_h264_sps_clear(&sps);
			if (ret) {
				*why = "writeSps() failed";
				return false;
			}
		} else if (nalu.type == GST_H264_NAL_PPS) {
			GstH264PPS pps;
			if (gst_h264_parser_parse_pps(parser.get(), &nalu, &pps) !=
			    GST_H264_PARSER_OK) {
				*why = "GStreamer cannot parse a PPS";
				return false;
			}
			const Controls c = fillControls(pps);
			const int ret =
				writePps(c.pps, c.sps, c.hasMatrix ? &c.matrix : nullptr, out);
			gst_h264_parser_update_pps(parser.get(), &pps);
			gst_h264_pps_clear(&pps);
			if (ret) {
				*why = ret == -EOPNOTSUPP ? "slice groups" : "writePps() failed";
				return false;
			}
		} else {
			out->insert(out->end(), { 0x00, 0x00, 0x00, 0x01 });
			out->insert(out->end(), stream.begin() + nalu.offset,
				    stream.begin() + nalu.offset + nalu.size);
		}
	}
	return true;
}

TEST(H264ParamSetsDecode, RebuiltParameterSetsDecodeIdentically)
{
	const fs::path root = vectorsDir();
	const std::vector<fs::path> streams = conformanceStreams(root);
	if (streams.empty())
		GTEST_SKIP() << "no JVT-AVC_V1 or JVT-FR-EXT streams under " << root
			     << "; set DAEDALUS_VECTORS to the vectors directory";

	/* "Increasing reorder buffer" and the like are expected here. */
	av_log_set_level(AV_LOG_ERROR);

	unsigned int identical = 0, skipped = 0, pictures = 0;
	for (const fs::path &path : streams) {
		const std::string name = path.filename().string();
		SCOPED_TRACE(name);

		std::vector<uint8_t> original;
		readFile(path, &original);
		std::vector<uint8_t> rebuilt;
		std::string why;
		if (!rebuildStream(original, &rebuilt, &why)) {
			EXPECT_EQ(why, "slice groups") << name;
			std::cout << "  " << name << ": skipped (" << why << ")\n";
			skipped++;
			continue;
		}

		std::string error;
		const std::vector<Picture> a = decode(original, &error);
		const std::vector<Picture> b = decode(rebuilt, &error);
		ASSERT_TRUE(error.empty()) << error;

		EXPECT_FALSE(a.empty()) << name << ": libavcodec decodes nothing";
		if (a == b) {
			identical++;
			pictures += a.size();
			std::cout << "  " << name << ": " << a.size() << " pictures identical\n";
			continue;
		}

		size_t same = 0;
		while (same < std::min(a.size(), b.size()) && a[same] == b[same])
			same++;
		ADD_FAILURE()
			<< name << ": original decodes to " << a.size() << " pictures, rebuilt to "
			<< b.size() << "; first difference at " << same;
	}

	std::cout << "Decoded " << identical << " streams (" << pictures
		  << " pictures) identically with rebuilt SPS/PPS; " << skipped << " skipped\n";
	EXPECT_GT(identical, 0u);
}

/*
 * x264 High 10 (4:2:0 10-bit, B-frames, 8x8 transform, CABAC) encoded here:
 * the rebuilt SPS carries the bit depths and the PPS the 10-bit QP range.
 */
std::vector<uint8_t> encodeHigh10(std::string *skip)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	if (!codec) {
		*skip = "libavcodec has no libx264 encoder";
		return {};
	}
	AVCodecContext *enc = avcodec_alloc_context3(codec);
	enc->width = 176;
	enc->height = 144;
	enc->pix_fmt = AV_PIX_FMT_YUV420P10LE;
	enc->time_base = { 1, 25 };
	enc->gop_size = 12;
	enc->max_b_frames = 2;
	av_opt_set(enc->priv_data, "preset", "fast", 0);
	av_opt_set(enc->priv_data, "profile", "high10", 0);
	/* Negative chroma QP offsets reach below zero only with 10-bit's QP range. */
	av_opt_set(enc->priv_data, "x264-params", "chroma-qp-offset=-4", 0);
	std::vector<uint8_t> stream;
	if (avcodec_open2(enc, codec, nullptr) < 0) {
		*skip = "libx264 cannot encode 10-bit High 10";
		avcodec_free_context(&enc);
		return {};
	}

	AVFrame *frame = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	frame->width = enc->width;
	frame->height = enc->height;
	frame->format = enc->pix_fmt;
	EXPECT_EQ(av_frame_get_buffer(frame, 0), 0);
	auto drain = [&]() {
		while (avcodec_receive_packet(enc, pkt) == 0) {
			stream.insert(stream.end(), pkt->data, pkt->data + pkt->size);
			av_packet_unref(pkt);
		}
	};
	for (int i = 0; i < 20; i++) {
		EXPECT_EQ(av_frame_make_writable(frame), 0);
		for (int p = 0; p < 3; p++) {
			const int w = p ? (frame->width + 1) / 2 : frame->width;
			const int h = p ? (frame->height + 1) / 2 : frame->height;
			for (int y = 0; y < h; y++) {
				auto *line = reinterpret_cast<uint16_t *>(frame->data[p] +
									  y * frame->linesize[p]);
				for (int x = 0; x < w; x++)
					line[x] = (x * (p + 3) + y * 5 + i * 7 + ((x * y) % 13)) &
						  0x3ff;
			}
		}
		frame->pts = i;
		EXPECT_EQ(avcodec_send_frame(enc, frame), 0);
		drain();
	}
	avcodec_send_frame(enc, nullptr);
	drain();
	av_packet_free(&pkt);
	av_frame_free(&frame);
	avcodec_free_context(&enc);
	return stream;
}

TEST(H264ParamSetsDecode, RebuiltHigh10ParameterSetsDecodeIdentically)
{
	av_log_set_level(AV_LOG_ERROR);
	std::string skip;
	const std::vector<uint8_t> original = encodeHigh10(&skip);
	if (original.empty())
		GTEST_SKIP() << skip;

	std::vector<uint8_t> rebuilt;
	std::string why;
	ASSERT_TRUE(rebuildStream(original, &rebuilt, &why)) << why;

	std::string error;
	const std::vector<Picture> a = decode(original, &error);
	const std::vector<Picture> b = decode(rebuilt, &error);
	ASSERT_TRUE(error.empty()) << error;
	ASSERT_EQ(a.size(), 20u);
	EXPECT_EQ(a.front().format, AV_PIX_FMT_YUV420P10LE);
	EXPECT_EQ(a, b);
}

} /* namespace */
} /* namespace daedalus::h264::test */
