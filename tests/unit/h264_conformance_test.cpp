/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * H.264 through the daemon's job path, from the JVT conformance streams, the
 * way real clients send them (see h264_client.h): GStreamer's v4l2slh264dec
 * and FFmpeg's v4l2-request hwaccel. The md5 of all output frames in display
 * order must be the fluster suite's.
 *
 * Expected failures: the vectors for which Debian's FFmpeg does not produce
 * the expected output either (MANIFEST.tsv, ffmpeg_5_1_check = differs): the
 * daemon decodes with libavcodec. They are reported, not failed.
 *
 * For a vector that does not match, libavcodec also decodes the original
 * file, and the report says whether its output is the same (the daemon is
 * as good as libavcodec) and how many frames the two have in common.
 *
 * The H264Jobs tests use single vectors for what conformance does not show:
 * a reset, parameter sets sent only when they change, broken and lost
 * pictures failing their jobs without stopping the daemon.
 *
 * $DAEDALUS_H264_VECTOR=<substring> runs only the matching vectors.
 */

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
}

#include "conformance_support.h"
#include "h264_client.h"
#include "job_runner.h"
#include "log.h"

using namespace daedalus;
using namespace daedalus::client;
using namespace daedalus::test;

namespace {

/* libavcodec on the original file: the md5 of its frames, and of each. */
std::string decodeFile(const std::vector<uint8_t> &stream, std::vector<std::string> *frames)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	AVCodecParserContext *parser = av_parser_init(AV_CODEC_ID_H264);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *frame = av_frame_alloc();
	Md5 md5;

	ctx->thread_count = 1;
	if (avcodec_open2(ctx, codec, nullptr) < 0)
		return "avcodec_open2 failed";

	auto drain = [&]() {
		while (avcodec_receive_frame(ctx, frame) == 0) {
			const auto format = static_cast<AVPixelFormat>(frame->format);
			const int size =
				av_image_get_buffer_size(format, frame->width, frame->height, 1);
			std::vector<uint8_t> bytes(size);
			av_image_copy_to_buffer(bytes.data(), size, frame->data, frame->linesize,
						format, frame->width, frame->height, 1);
			md5.update(bytes);
			frames->push_back(Md5::of(bytes));
			av_frame_unref(frame);
		}
	};

	std::vector<uint8_t> padded(stream);
	padded.resize(stream.size() + AV_INPUT_BUFFER_PADDING_SIZE, 0);
	const uint8_t *data = padded.data();
	int left = static_cast<int>(stream.size());
	bool flushing = false;
	for (;;) {
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
	return md5.hex();
}

/* How many elements @a and @b have in common, counting repeats. */
size_t commonCount(std::vector<std::string> a, std::vector<std::string> b)
{
	std::sort(a.begin(), a.end());
	std::sort(b.begin(), b.end());
	std::vector<std::string> common;
	std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
	return common.size();
}

const char *clientName(ClientStyle style)
{
	return style == ClientStyle::GStreamer ? "GStreamer" : "FFmpeg";
}

void runSuite(const char *suite, ClientStyle style)
{
	const std::vector<SuiteVector> vectors = readSuite("h264", suite);
	if (vectors.empty())
		GTEST_SKIP() << "no " << suite << " suite under " << vectorsDir()
			     << " (set DAEDALUS_VECTORS to the conformance vectors)";

	const auto ffmpegCheck = readManifestColumn("ffmpeg_5_1_check");
	const char *filter = getenv("DAEDALUS_H264_VECTOR");
	/* Threads as the daemon has them by default on a small machine. */
	const DecoderConfig config{ 2 };

	unsigned int tried = 0, matched = 0, expectedFailures = 0, unexpectedPasses = 0;
	unsigned int missing = 0, requests = 0;
	std::vector<std::string> failures;
	const auto start = std::chrono::steady_clock::now();

	for (const SuiteVector &v : vectors) {
		if (v.outputFormat != "yuv420p")
			continue;
		if (filter && *filter && v.name.find(filter) == std::string::npos)
			continue;

		std::vector<uint8_t> stream;
		if (!readFile(vectorPath(suite, v), &stream)) {
			missing++;
			continue;
		}
		tried++;

		const auto check = ffmpegCheck.find(std::string(suite) + "/" + v.name);
		const bool expectedFailure = check != ffmpegCheck.end() &&
					     check->second == "differs";

		const H264RunResult r = runH264Client(stream, style, config);
		requests += r.requests;
		const bool ok = r.error.empty() && r.md5 == v.md5;

		std::string why;
		if (!r.error.empty()) {
			why = r.error;
		} else if (!ok) {
			std::vector<std::string> reference;
			const std::string referenceMd5 = decodeFile(stream, &reference);
			why = "md5 " + r.md5 + " of " + std::to_string(r.frameMd5s.size()) +
			      " frames, expected " + v.md5 + "; libavcodec on the file: " +
			      (referenceMd5 == v.md5   ? "matches"
			       : referenceMd5 == r.md5 ? "the same md5"
						       : "differs too") +
			      ", " + std::to_string(commonCount(r.frameMd5s, reference)) +
			      " of its " + std::to_string(reference.size()) + " frames in common";
		}
		if (r.failedJobs)
			why += (why.empty() ? "" : "; ") + std::to_string(r.failedJobs) +
			       " failed jobs, the first (request " +
			       std::to_string(r.firstFailedRequest) + ") with status " +
			       std::to_string(r.firstFailure);

		const char *verdict = ok		? (expectedFailure ? "XPASS" : "MATCH")
				      : expectedFailure ? "XFAIL"
							: "MISMATCH";
		printf("[ %-8s ] %s: %u requests (%u fields, %u unpaired), %zu frames%s%s%s\n",
		       verdict, v.name.c_str(), r.requests, r.fieldRequests, r.unpairedFields,
		       r.frameMd5s.size(),
		       r.skippedRedundantSlices ? ", redundant slices left out" : "",
		       why.empty() ? "" : " -- ", why.c_str());
		fflush(stdout);

		if (ok) {
			matched++;
			unexpectedPasses += expectedFailure;
		} else if (expectedFailure) {
			expectedFailures++;
		} else {
			failures.push_back(v.name + ": " + why);
		}
	}

	const double seconds =
		std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	printf("%s (%s client): %u of %u vectors match the expected md5, %u expected failures "
	       "(FFmpeg differs too), %u unexpected passes, %u files missing; %u requests in "
	       "%.1f s\n",
	       suite, clientName(style), matched, tried, expectedFailures, unexpectedPasses,
	       missing, requests, seconds);

	if (tried == 0)
		GTEST_SKIP() << "no " << suite << " vector to run"
			     << (filter && *filter ? " matching DAEDALUS_H264_VECTOR" : "");
	for (const std::string &failure : failures)
		ADD_FAILURE() << failure;
}

TEST(H264Conformance, JvtAvcV1)
{
	runSuite("JVT-AVC_V1", ClientStyle::GStreamer);
}

TEST(H264Conformance, JvtFrExt)
{
	runSuite("JVT-FR-EXT", ClientStyle::GStreamer);
}

TEST(H264Conformance, JvtAvcV1FfmpegClient)
{
	runSuite("JVT-AVC_V1", ClientStyle::Ffmpeg);
}

TEST(H264Conformance, JvtFrExtFfmpegClient)
{
	runSuite("JVT-FR-EXT", ClientStyle::Ffmpeg);
}

} /* namespace */

namespace {

bool loadVector(const char *suite, const std::string &name, SuiteVector *vector,
		std::vector<uint8_t> *stream)
{
	for (const SuiteVector &v : readSuite("h264", suite)) {
		if (v.name == name && readFile(vectorPath(suite, v), stream)) {
			*vector = v;
			return true;
		}
	}
	return false;
}

size_t countOccurrences(const std::string &haystack, const std::string &needle)
{
	size_t count = 0;
	for (size_t pos = haystack.find(needle); pos != std::string::npos;
	     pos = haystack.find(needle, pos + 1))
		count++;
	return count;
}

/* Field pairs, MBAFF frames and several PPSs, twice, with a reset between. */
TEST(H264Jobs, ResetRestartsTheStream)
{
	SuiteVector v;
	std::vector<uint8_t> stream;
	if (!loadVector("JVT-AVC_V1", "CAPAMA3_Sand_F", &v, &stream))
		GTEST_SKIP() << "no CAPAMA3_Sand_F under " << vectorsDir();

	H264ClientOptions options;
	options.passes = 2;
	const H264RunResult r =
		runH264Client(stream, ClientStyle::GStreamer, DecoderConfig{ 2 }, options);
	ASSERT_TRUE(r.error.empty()) << r.error;
	ASSERT_EQ(r.passMd5s.size(), 2u);
	EXPECT_EQ(r.passMd5s[0], v.md5);
	EXPECT_EQ(r.passMd5s[1], v.md5);
	EXPECT_EQ(r.failedJobs, 0u);
}

/*
 * The parameter sets go to libavcodec when they change, not with every
 * picture, whether the client sets the controls each time (FFmpeg) or not.
 */
TEST(H264Jobs, ParameterSetsOnlyWhenTheyChange)
{
	SuiteVector v;
	std::vector<uint8_t> stream;
	if (!loadVector("JVT-AVC_V1", "MPS_MW_A", &v, &stream))
		GTEST_SKIP() << "no MPS_MW_A under " << vectorsDir();

	/* SPS and PPS NAL units in the stream: an upper bound for the packets that need them. */
	size_t parameterSets = 0;
	for (size_t i = 0; i + 3 < stream.size(); i++) {
		if (stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1) {
			const unsigned int type = stream[i + 3] & 0x1f;
			parameterSets += type == 7 || type == 8;
		}
	}

	for (ClientStyle style : { ClientStyle::GStreamer, ClientStyle::Ffmpeg }) {
		SCOPED_TRACE(clientName(style));
		const LogLevel level = logLevel();
		setLogLevel(LogLevel::Debug);
		testing::internal::CaptureStderr();
		const H264RunResult r = runH264Client(stream, style, DecoderConfig{ 1 });
		const std::string log = testing::internal::GetCapturedStderr();
		setLogLevel(level);

		ASSERT_TRUE(r.error.empty()) << r.error;
		EXPECT_EQ(r.md5, v.md5);
		const size_t sent = countOccurrences(log, "packet starts with");
		EXPECT_GE(sent, 1u);
		EXPECT_LE(sent, parameterSets) << "of " << r.requests << " requests";
		printf("%s client: parameter sets in %zu of %u packets (%zu in the stream)\n",
		       clientName(style), sent, r.requests, parameterSets);
	}
}

/* Garbage in a picture's slices fails its job, says why, and decoding goes on. */
TEST(H264Jobs, BrokenSliceFailsItsJob)
{
	SuiteVector v;
	std::vector<uint8_t> stream;
	if (!loadVector("JVT-AVC_V1", "BA1_Sony_D", &v, &stream))
		GTEST_SKIP() << "no BA1_Sony_D under " << vectorsDir();

	H264ClientOptions options;
	options.passes = 2;
	options.tamper = [](unsigned int request, std::vector<uint8_t> *data) {
		if (request != 3)
			return;
		/* Keep the start code, NAL header and the start of the slice header. */
		for (size_t i = 8; i < data->size(); i++)
			(*data)[i] = (i * 2654435761u) >> 13;
	};
	testing::internal::CaptureStderr();
	const H264RunResult r =
		runH264Client(stream, ClientStyle::GStreamer, DecoderConfig{ 2 }, options);
	const std::string log = testing::internal::GetCapturedStderr();

	ASSERT_TRUE(r.error.empty()) << r.error;
	ASSERT_GT(r.statuses.size(), 4u);
	EXPECT_EQ(r.statuses[2], 0);
	EXPECT_LT(r.statuses[3], 0);
	EXPECT_NE(log.find("job 4 ("), std::string::npos) << log;
	/* The daemon goes on; after a reset the stream decodes exactly. */
	ASSERT_EQ(r.passMd5s.size(), 2u);
	EXPECT_EQ(r.passMd5s[1], v.md5);
	EXPECT_EQ(r.statuses.back(), 0);
}

/*
 * A request whose data decode to no picture fails, as does the second field
 * of a picture whose first field failed: no stale or repeated picture.
 */
TEST(H264Jobs, LostFieldFailsNotRepeats)
{
	SuiteVector v;
	std::vector<uint8_t> stream;
	if (!loadVector("JVT-AVC_V1", "CVFI1_SVA_C", &v, &stream))
		GTEST_SKIP() << "no CVFI1_SVA_C under " << vectorsDir();

	/*
	 * Requests 2 and 3 are the fields of the second frame: the second
	 * field is lost (the request holds an access unit delimiter only).
	 */
	H264ClientOptions options;
	options.passes = 2;
	options.tamper = [](unsigned int request, std::vector<uint8_t> *data) {
		if (request == 3)
			*data = { 0x00, 0x00, 0x01, 0x09, 0x10 };
	};
	testing::internal::CaptureStderr();
	const H264RunResult r =
		runH264Client(stream, ClientStyle::GStreamer, DecoderConfig{ 2 }, options);
	const std::string log = testing::internal::GetCapturedStderr();

	ASSERT_TRUE(r.error.empty()) << r.error;
	ASSERT_GT(r.statuses.size(), 4u);
	EXPECT_EQ(r.statuses[2], 0);
	EXPECT_LT(r.statuses[3], 0);
	EXPECT_NE(log.find("job 4 (5 bytes): decoding failed"), std::string::npos) << log;
	/* Never "decoded no picture" for a second field decoded into its first. */
	EXPECT_EQ(log.find("decoded no picture"), std::string::npos) << log;

	/* The daemon goes on; after a reset the stream decodes exactly. */
	ASSERT_EQ(r.passMd5s.size(), 2u);
	EXPECT_EQ(r.passMd5s[1], v.md5);
	EXPECT_EQ(r.statuses.back(), 0);
}

} /* namespace */
