/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalus-decode: decodes a file through a V4L2 stateless decoder node,
 * sending the requests the way Chromium or FFmpeg (or GStreamer) send them,
 * and writes the pictures as raw I420 in display order, or their md5.
 */

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <getopt.h>
#include <linux/videodev2.h>

#include "av1_client.h"
#include "h264_client.h"
#include "input.h"
#include "tamper_device.h"
#include "v4l2_decoder.h"
#include "vp9_client.h"

#ifndef V4L2_PIX_FMT_AV1_FRAME
#define V4L2_PIX_FMT_AV1_FRAME v4l2_fourcc('A', 'V', '1', 'F')
#endif

using namespace daedalus;
using namespace daedalus::client;
using namespace daedalus::tools;

namespace {

constexpr const char *kName = "daedalus-decode";

struct Options {
	std::string device;
	ClientStyle style = ClientStyle::Chromium;
	Codec codec = Codec::Auto;
	unsigned long frames = 0;
	unsigned long timeoutMs = 2000;
	std::string output;
	bool md5 = false;
	bool quiet = false;
	unsigned long passes = 1;
	TamperOptions tamper;
	std::string input;
};

void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTIONS] INPUT\n"
		"Decodes INPUT through a V4L2 stateless decoder node (Request API), sending the\n"
		"requests the way a real client does.\n"
		"\n"
		"  -d, --device PATH   the decoder's video node (default: the first stateless\n"
		"                      decoder that offers the codec, found through the media\n"
		"                      devices' topology)\n"
		"  -m, --mode MODE     the client to imitate: chromium (default), ffmpeg, gstreamer\n"
		"  -c, --codec CODEC   auto (default), h264, vp9, av1\n"
		"  -n, --frames N      stop after N frames\n"
		"  -t, --timeout MS    how long a request may take (default 2000, FFmpeg's limit)\n"
		"  -o, --output FILE   write the frames as raw I420 (yuv420p, no padding), in\n"
		"                      display order\n"
		"      --md5           print the md5 of those raw frames (as fluster computes it)\n"
		"  -q, --quiet         no line per failed request\n"
		"      --passes N      decode the stream N times, with an OUTPUT STREAMOFF (a\n"
		"                      seek) between the passes; frames and md5 are the first\n"
		"                      pass's, requests count every pass (not with --frames)\n"
		"\n"
		"A hostile client (every spoiled request must fail or decode without harm):\n"
		"      --corrupt KIND[:SEED]   spoil the OUTPUT data: truncate, random, bitflip\n"
		"      --tamper-controls KIND  spoil the controls: refs (references to timestamps\n"
		"                      that do not exist), contradict (H.264 PPS naming another\n"
		"                      SPS, VP9/AV1 frames of twice the size), tiles (AV1 tiles\n"
		"                      outside the OUTPUT data), random (random bytes)\n"
		"      --small-format  configure the format at half the stream's size\n"
		"      --skip-requests N  do not send the first N requests (later ones name\n"
		"                      references this context never decoded)\n"
		"      --spoil-every N spoil every Nth request sent (default 1)\n"
		"  -h, --help          this text\n"
		"\n"
		"INPUT: H.264 Annex B (.264, .jsv, .26l), IVF (VP9, AV1), or a container\n"
		"libavformat demuxes (WebM, Matroska, MP4, OBU) holding VP9 or AV1.\n"
		"\n"
		"Prints a summary line on stderr. Exit status: 0 when every request succeeded,\n"
		"1 when a request failed or decoding stopped, 2 for bad arguments. A hostile run\n"
		"prints a 'hostile:' line with the requests sent, spoiled and failed.\n",
		kName);
}

bool parseCount(const char *text, unsigned long *value)
{
	char *end;
	errno = 0;
	*value = strtoul(text, &end, 10);
	return !errno && !*end && *text && *text != '-' && *value > 0;
}

int parseOptions(int argc, char **argv, Options *options)
{
	enum {
		OptMd5 = 256,
		OptPasses,
		OptCorrupt,
		OptTamperControls,
		OptSmallFormat,
		OptSkipRequests,
		OptSpoilEvery,
	};
	static const option longOptions[] = {
		{ "device", required_argument, nullptr, 'd' },
		{ "mode", required_argument, nullptr, 'm' },
		{ "codec", required_argument, nullptr, 'c' },
		{ "frames", required_argument, nullptr, 'n' },
		{ "timeout", required_argument, nullptr, 't' },
		{ "output", required_argument, nullptr, 'o' },
		{ "md5", no_argument, nullptr, OptMd5 },
		{ "quiet", no_argument, nullptr, 'q' },
		{ "passes", required_argument, nullptr, OptPasses },
		{ "corrupt", required_argument, nullptr, OptCorrupt },
		{ "tamper-controls", required_argument, nullptr, OptTamperControls },
		{ "small-format", no_argument, nullptr, OptSmallFormat },
		{ "skip-requests", required_argument, nullptr, OptSkipRequests },
		{ "spoil-every", required_argument, nullptr, OptSpoilEvery },
		{ "help", no_argument, nullptr, 'h' },
		{ nullptr, 0, nullptr, 0 },
	};

	int c;
	while ((c = getopt_long(argc, argv, "d:m:c:n:t:o:qh", longOptions, nullptr)) != -1) {
		switch (c) {
		case 'd':
			options->device = optarg;
			break;
		case 'm': {
			const std::string mode = optarg;
			if (mode == "chromium") {
				options->style = ClientStyle::Chromium;
			} else if (mode == "ffmpeg") {
				options->style = ClientStyle::Ffmpeg;
			} else if (mode == "gstreamer") {
				options->style = ClientStyle::GStreamer;
			} else {
				fprintf(stderr,
					"%s: unknown mode '%s' (chromium, ffmpeg, gstreamer)\n",
					kName, optarg);
				return 2;
			}
			break;
		}
		case 'c':
			if (!parseCodec(optarg, &options->codec)) {
				fprintf(stderr, "%s: unknown codec '%s' (auto, h264, vp9, av1)\n",
					kName, optarg);
				return 2;
			}
			break;
		case 'n':
			if (!parseCount(optarg, &options->frames)) {
				fprintf(stderr, "%s: --frames wants a positive number, not '%s'\n",
					kName, optarg);
				return 2;
			}
			break;
		case 't':
			if (!parseCount(optarg, &options->timeoutMs)) {
				fprintf(stderr, "%s: --timeout wants milliseconds, not '%s'\n",
					kName, optarg);
				return 2;
			}
			break;
		case 'o':
			options->output = optarg;
			break;
		case OptMd5:
			options->md5 = true;
			break;
		case 'q':
			options->quiet = true;
			break;
		case OptPasses:
			if (!parseCount(optarg, &options->passes)) {
				fprintf(stderr, "%s: --passes wants a positive number, not '%s'\n",
					kName, optarg);
				return 2;
			}
			break;
		case OptCorrupt: {
			const std::string spec = optarg;
			const size_t colon = spec.find(':');
			unsigned long seed = 1;
			if (!parseDataTamper(spec.substr(0, colon), &options->tamper.data) ||
			    (colon != std::string::npos &&
			     !parseCount(spec.c_str() + colon + 1, &seed))) {
				fprintf(stderr,
					"%s: --corrupt wants truncate, random or bitflip, and a "
					"positive seed after ':', not '%s'\n",
					kName, optarg);
				return 2;
			}
			options->tamper.seed = static_cast<uint32_t>(seed);
			break;
		}
		case OptTamperControls:
			if (!parseControlTamper(optarg, &options->tamper.controls)) {
				fprintf(stderr,
					"%s: --tamper-controls wants refs, contradict, tiles or "
					"random, not '%s'\n",
					kName, optarg);
				return 2;
			}
			break;
		case OptSmallFormat:
			options->tamper.smallFormat = true;
			break;
		case OptSkipRequests: {
			unsigned long count;
			if (!parseCount(optarg, &count)) {
				fprintf(stderr,
					"%s: --skip-requests wants a positive number, not '%s'\n",
					kName, optarg);
				return 2;
			}
			options->tamper.skipRequests = static_cast<unsigned int>(count);
			break;
		}
		case OptSpoilEvery: {
			unsigned long every;
			if (!parseCount(optarg, &every)) {
				fprintf(stderr,
					"%s: --spoil-every wants a positive number, not '%s'\n",
					kName, optarg);
				return 2;
			}
			options->tamper.every = static_cast<unsigned int>(every);
			break;
		}
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: one INPUT file, please (--help)\n", kName);
		return 2;
	}
	options->input = argv[optind];
	return 0;
}

uint32_t codecFourcc(Codec codec)
{
	switch (codec) {
	case Codec::H264:
		return V4L2_PIX_FMT_H264_SLICE;
	case Codec::Vp9:
		return V4L2_PIX_FMT_VP9_FRAME;
	case Codec::Av1:
		return V4L2_PIX_FMT_AV1_FRAME;
	default:
		return 0;
	}
}

std::string fourccText(uint32_t fourcc)
{
	std::string text;
	for (unsigned int i = 0; i < 4; i++)
		text += static_cast<char>((fourcc >> (8 * i)) & 0xff);
	return text;
}

/* The decoder to use: --device's, or the first that offers @fourcc. */
std::unique_ptr<V4l2Decoder> openDecoder(const std::string &device, uint32_t fourcc,
					 std::string *error)
{
	std::vector<DecoderNode> nodes;
	if (!device.empty()) {
		DecoderNode node;
		if (findDecoder(device, &node, error) < 0)
			return nullptr;
		nodes.push_back(node);
	} else {
		nodes = findDecoders();
		if (nodes.empty()) {
			*error = "no stateless decoder found (no media device with a "
				 "PROC_VIDEO_DECODER entity; is the module loaded?)";
			return nullptr;
		}
	}

	std::string refusals;
	for (const DecoderNode &node : nodes) {
		auto decoder = std::make_unique<V4l2Decoder>(node);
		if (decoder->open() < 0) {
			refusals += "; " + decoder->failure();
			continue;
		}
		if (decoder->offersCodec(fourcc))
			return decoder;
		refusals += "; " + node.video + " (" + decoder->card() + ") does not offer " +
			    fourccText(fourcc);
	}
	*error = "no decoder for " + fourccText(fourcc) + refusals;
	return nullptr;
}

} /* namespace */

int main(int argc, char **argv)
{
	Options options;
	int ret = parseOptions(argc, argv, &options);
	if (ret)
		return ret;

	Input input;
	std::string error;
	if (readInput(options.input, options.codec, &input, &error) < 0) {
		fprintf(stderr, "%s: %s\n", kName, error.c_str());
		return 1;
	}

	const uint32_t fourcc = codecFourcc(input.codec);
	std::unique_ptr<V4l2Decoder> decoder = openDecoder(options.device, fourcc, &error);
	if (!decoder) {
		fprintf(stderr, "%s: %s\n", kName, error.c_str());
		return 1;
	}

	decoder->setRequestTimeout(std::chrono::milliseconds(options.timeoutMs));

	FILE *output = nullptr;
	if (!options.output.empty()) {
		output = fopen(options.output.c_str(), "wb");
		if (!output) {
			fprintf(stderr, "%s: cannot write %s: %s\n", kName, options.output.c_str(),
				strerror(errno));
			return 1;
		}
	}

	const TamperOptions &tamper = options.tamper;
	const bool hostile = tamper.data != DataTamper::None ||
			     tamper.controls != ControlTamper::None || tamper.smallFormat ||
			     tamper.skipRequests;
	TamperDevice device(*decoder, tamper);

	unsigned long frames = 0;
	bool writeFailed = false;
	ClientOptions clientOptions;
	clientOptions.passes = static_cast<unsigned int>(options.passes);
	clientOptions.onPicture = [&](const Picture &picture) {
		frames++;
		if (output && !writeFailed &&
		    fwrite(picture.i420.data(), 1, picture.i420.size(), output) !=
			    picture.i420.size())
			writeFailed = true;
		return !writeFailed && (!options.frames || frames < options.frames);
	};
	clientOptions.onRequest = [&](unsigned int request, int status) {
		if (status == 0 || options.quiet || !decoder->failure().empty())
			return;
		const std::string &why = decoder->lastRequestError();
		fprintf(stderr, "%s: request %u failed: %s\n", kName, request + 1,
			why.empty() ? strerror(-status) : why.c_str());
	};

	const auto start = std::chrono::steady_clock::now();
	RunResult result;
	switch (input.codec) {
	case Codec::H264:
		result = runH264Client(input.stream, options.style, device, clientOptions);
		break;
	case Codec::Vp9:
		result = runVp9Client(input.units, options.style, device, clientOptions);
		break;
	case Codec::Av1:
		result = runAv1Client(input.units, options.style, device, clientOptions);
		break;
	default:
		break;
	}
	const double seconds =
		std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

	if (output && fclose(output) != 0)
		writeFailed = true;
	if (writeFailed) {
		fprintf(stderr, "%s: cannot write %s: %s\n", kName, options.output.c_str(),
			strerror(errno));
		return 1;
	}

	if (!result.error.empty())
		fprintf(stderr, "%s: stopped: %s\n", kName, result.error.c_str());
	fprintf(stderr,
		"%s: %lu frames, %u requests, %u failed, %.2f s, %.1f fps (%s %s from %s, %s "
		"mode, %s)\n",
		kName, frames, result.requests, result.failedJobs, seconds,
		seconds > 0 ? frames / seconds : 0.0, codecName(input.codec), options.input.c_str(),
		input.container.c_str(), styleName(options.style), decoder->node().video.c_str());
	if (hostile)
		fprintf(stderr,
			"hostile: %u requests sent, %u spoiled, %u of them failed, %u failed in "
			"all, %u not sent\n",
			device.sent(), device.spoiled(), device.spoiledFailed(), result.failedJobs,
			device.skipped());
	if (options.md5)
		printf("%s  %s\n", result.md5.c_str(), options.input.c_str());

	return result.error.empty() && !result.failedJobs ? 0 : 1;
}
