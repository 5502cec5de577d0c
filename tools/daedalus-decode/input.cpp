/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The input of daedalus-decode.
 */

#include "input.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <dlfcn.h>

extern "C" {
#include <libavformat/avformat.h>
}

#include "frame_utils.h"

namespace daedalus::tools {

namespace {

constexpr uint32_t fourcc(char a, char b, char c, char d)
{
	return uint32_t(uint8_t(a)) | uint32_t(uint8_t(b)) << 8 | uint32_t(uint8_t(c)) << 16 |
	       uint32_t(uint8_t(d)) << 24;
}

/* An Annex B byte stream starting with an H.264 NAL unit. */
bool looksLikeAnnexB(const std::vector<uint8_t> &data)
{
	size_t i = 0;
	while (i < data.size() && i < 64 && data[i] == 0)
		i++;
	if (i < 2 || i >= data.size() || data[i] != 1 || i + 1 >= data.size())
		return false;
	const uint8_t header = data[i + 1];
	const unsigned int type = header & 0x1f;
	/* forbidden_zero_bit, then a type a stream starts with. */
	return !(header & 0x80) &&
	       (type == 1 || type == 5 || type == 6 || type == 7 || type == 8 || type == 9);
}

/*
 * libavformat, loaded when a container needs it. Linked, it and its
 * dependencies (over a hundred libraries) made most of the start-up time,
 * seconds under emulation, for inputs that do not need it.
 */
class AvFormat
{
public:
	AvFormat() = default;
	~AvFormat()
	{
		if (handle_)
			dlclose(handle_);
	}
	AvFormat(const AvFormat &) = delete;
	AvFormat &operator=(const AvFormat &) = delete;

	bool load(std::string *error)
	{
		const char *soname = "libavformat.so." AV_STRINGIFY(LIBAVFORMAT_VERSION_MAJOR);
		handle_ = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
		if (!handle_) {
			*error = std::string("cannot load ") + soname + ": " + dlerror();
			return false;
		}
		/* The packet functions are libavcodec's, a dependency of libavformat. */
		return bind(&openInput, "avformat_open_input", error) &&
		       bind(&findStreamInfo, "avformat_find_stream_info", error) &&
		       bind(&findBestStream, "av_find_best_stream", error) &&
		       bind(&readFrame, "av_read_frame", error) &&
		       bind(&closeInput, "avformat_close_input", error) &&
		       bind(&packetAlloc, "av_packet_alloc", error) &&
		       bind(&packetFree, "av_packet_free", error) &&
		       bind(&packetUnref, "av_packet_unref", error) &&
		       bind(&codecName, "avcodec_get_name", error);
	}

	decltype(&avformat_open_input) openInput = nullptr;
	decltype(&avformat_find_stream_info) findStreamInfo = nullptr;
	decltype(&av_find_best_stream) findBestStream = nullptr;
	decltype(&av_read_frame) readFrame = nullptr;
	decltype(&avformat_close_input) closeInput = nullptr;
	decltype(&av_packet_alloc) packetAlloc = nullptr;
	decltype(&av_packet_free) packetFree = nullptr;
	decltype(&av_packet_unref) packetUnref = nullptr;
	decltype(&avcodec_get_name) codecName = nullptr;

private:
	template<typename F> bool bind(F *function, const char *name, std::string *error)
	{
		*function = reinterpret_cast<F>(dlsym(handle_, name));
		if (!*function)
			*error = std::string("libavformat has no ") + name;
		return *function != nullptr;
	}

	void *handle_ = nullptr;
};

std::string averror(int ret)
{
	char text[AV_ERROR_MAX_STRING_SIZE] = {};
	av_strerror(ret, text, sizeof(text));
	return text;
}

/* The video packets of a container, demuxed by libavformat. */
int demux(const std::string &path, Codec codec, Input *input, std::string *error)
{
	AvFormat av;
	if (!av.load(error)) {
		*error = path + " is neither Annex B H.264 nor IVF, and " + *error;
		return -ENOTSUP;
	}

	AVFormatContext *raw = nullptr;
	int ret = av.openInput(&raw, path.c_str(), nullptr, nullptr);
	if (ret < 0) {
		*error = path +
			 ": neither Annex B H.264 nor IVF, and libavformat cannot open it (" +
			 averror(ret) + ")";
		return -EINVAL;
	}
	auto closeInput = [&av](AVFormatContext *context) { av.closeInput(&context); };
	std::unique_ptr<AVFormatContext, decltype(closeInput)> context(raw, closeInput);
	ret = av.findStreamInfo(context.get(), nullptr);
	if (ret < 0) {
		*error = path + ": " + averror(ret);
		return -EINVAL;
	}
	const int index = av.findBestStream(context.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
	if (index < 0) {
		*error = path + ": no video stream";
		return -EINVAL;
	}
	const AVCodecParameters *par = context->streams[index]->codecpar;

	Codec found;
	switch (par->codec_id) {
	case AV_CODEC_ID_VP9:
		found = Codec::Vp9;
		break;
	case AV_CODEC_ID_AV1:
		found = Codec::Av1;
		break;
	case AV_CODEC_ID_H264:
		*error = path + ": H.264 in " + context->iformat->name +
			 ": give an Annex B byte stream (ffmpeg -i INPUT -c copy -bsf:v "
			 "h264_mp4toannexb OUT.264)";
		return -ENOTSUP;
	default:
		*error = path + ": a " + av.codecName(par->codec_id) +
			 " stream, not H.264, VP9 or AV1";
		return -ENOTSUP;
	}
	if (codec != Codec::Auto && codec != found) {
		*error = path + " holds " + codecName(found) + ", not " + codecName(codec);
		return -EINVAL;
	}
	input->codec = found;
	input->container = context->iformat->name;

	auto freePacket = [&av](AVPacket *packet) { av.packetFree(&packet); };
	std::unique_ptr<AVPacket, decltype(freePacket)> packet(av.packetAlloc(), freePacket);
	if (!packet) {
		*error = "out of memory";
		return -ENOMEM;
	}
	while ((ret = av.readFrame(context.get(), packet.get())) >= 0) {
		if (packet->stream_index == index && packet->size > 0)
			input->units.emplace_back(packet->data, packet->data + packet->size);
		av.packetUnref(packet.get());
	}
	if (ret != AVERROR_EOF) {
		*error = path + ": " + averror(ret);
		return -EIO;
	}

	/*
	 * AV1 in MP4 or Matroska: the sequence header may live in the av1C
	 * configuration record only (its configOBUs follow 4 bytes of header).
	 */
	if (found == Codec::Av1 && !input->units.empty() && par->extradata_size > 4 &&
	    par->extradata[0] == 0x81) {
		std::vector<uint8_t> &first = input->units.front();
		first.insert(first.begin(), par->extradata + 4,
			     par->extradata + par->extradata_size);
	}
	return 0;
}

} /* namespace */

const char *codecName(Codec codec)
{
	switch (codec) {
	case Codec::Auto:
		return "auto";
	case Codec::H264:
		return "h264";
	case Codec::Vp9:
		return "vp9";
	case Codec::Av1:
		return "av1";
	}
	return "?";
}

bool parseCodec(const std::string &name, Codec *codec)
{
	for (Codec c : { Codec::Auto, Codec::H264, Codec::Vp9, Codec::Av1 }) {
		if (name == codecName(c)) {
			*codec = c;
			return true;
		}
	}
	return false;
}

int readInput(const std::string &path, Codec codec, Input *input, std::string *error)
{
	std::vector<uint8_t> data;
	errno = 0;
	if (!client::readFile(path, &data)) {
		const int ret = errno ? -errno : -EIO;
		*error = "cannot read " + path + ": " + strerror(-ret);
		return ret;
	}
	if (data.empty()) {
		*error = path + " is empty";
		return -EINVAL;
	}

	uint32_t ivfFourcc = 0;
	std::vector<std::vector<uint8_t>> units;
	if (client::readIvf(data, &units, &ivfFourcc)) {
		Codec found;
		if (ivfFourcc == fourcc('A', 'V', '0', '1')) {
			found = Codec::Av1;
		} else if (ivfFourcc == fourcc('V', 'P', '9', '0')) {
			found = Codec::Vp9;
		} else {
			*error = path + ": an IVF file of neither VP9 nor AV1";
			return -ENOTSUP;
		}
		if (codec != Codec::Auto && codec != found) {
			*error = path + " holds " + codecName(found) + ", not " + codecName(codec);
			return -EINVAL;
		}
		input->codec = found;
		input->container = "IVF";
		input->units = std::move(units);
		return 0;
	}

	if (codec == Codec::H264 || (codec == Codec::Auto && looksLikeAnnexB(data))) {
		input->codec = Codec::H264;
		input->container = "Annex B";
		input->stream = std::move(data);
		return 0;
	}

	return demux(path, codec, input, error);
}

} /* namespace daedalus::tools */
