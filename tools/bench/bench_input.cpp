/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A clip for both sides of the benchmark.
 */

#include "bench_input.h"

#include <algorithm>
#include <cerrno>
#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace daedalus::bench {

namespace {

struct ParserDeleter {
	void operator()(AVCodecParserContext *parser) const { av_parser_close(parser); }
};
struct ContextDeleter {
	void operator()(AVCodecContext *ctx) const { avcodec_free_context(&ctx); }
};

/*
 * Split an Annex B byte stream into access units with libavcodec's H.264
 * parser, as FFmpeg's raw H.264 demuxer does. The units are the stream's
 * bytes in order, back to back.
 */
int splitAccessUnits(const std::vector<uint8_t> &stream, std::vector<std::vector<uint8_t>> *units,
		     std::string *error)
{
	std::unique_ptr<AVCodecParserContext, ParserDeleter> parser(
		av_parser_init(AV_CODEC_ID_H264));
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	std::unique_ptr<AVCodecContext, ContextDeleter> ctx(codec ? avcodec_alloc_context3(codec)
								  : nullptr);
	if (!parser || !ctx) {
		*error = "libavcodec has no H.264 parser";
		return -ENOSYS;
	}

	const uint8_t *data = stream.data();
	size_t left = stream.size();
	for (;;) {
		uint8_t *out = nullptr;
		int outSize = 0;
		const int size = static_cast<int>(std::min<size_t>(left, 1 << 20));
		int used = av_parser_parse2(parser.get(), ctx.get(), &out, &outSize, data, size,
					    AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
		if (used < 0) {
			*error = "the H.264 parser failed";
			return -EINVAL;
		}
		data += used;
		left -= used;
		if (outSize > 0)
			units->emplace_back(out, out + outSize);
		if (!size && !outSize)
			break;
	}

	size_t total = 0;
	for (const auto &unit : *units)
		total += unit.size();
	if (total != stream.size()) {
		*error = "the access units are not the whole stream";
		return -EINVAL;
	}
	return 0;
}

} /* namespace */

int readClip(const std::string &path, unsigned int frames, Clip *clip, std::string *error)
{
	tools::Input input;
	int ret = tools::readInput(path, tools::Codec::Auto, &input, error);
	if (ret < 0)
		return ret;

	clip->path = path;
	clip->codec = input.codec;
	if (input.codec == tools::Codec::H264) {
		ret = splitAccessUnits(input.stream, &clip->packets, error);
		if (ret < 0)
			return ret;
	} else {
		clip->packets = std::move(input.units);
	}

	if (frames && clip->packets.size() > frames)
		clip->packets.resize(frames);
	if (clip->packets.empty()) {
		*error = path + " holds no frames";
		return -EINVAL;
	}
	if (input.codec == tools::Codec::H264) {
		for (const auto &unit : clip->packets)
			clip->stream.insert(clip->stream.end(), unit.begin(), unit.end());
	}
	return 0;
}

} /* namespace daedalus::bench */
