/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daedalus-bench: how fast the daemon's job path decodes, against a plain
 * decode loop of the same library in the same run. A benchmark, not a test:
 * it prints figures and never fails on them. tests/bench/run drives it (on
 * the host and in the guest) and writes docs/benchmarks.md.
 *
 * Every figure is measured against its baseline in the same process, the
 * two sides alternating, and the median of several runs is printed: the
 * machines it runs on are shared and noisy. Besides the table, each result
 * is printed as one "@name key=value ..." line for scripts.
 */

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <getopt.h>
#include <unistd.h>

extern "C" {
#include <dav1d/dav1d.h>
#include <libavcodec/avcodec.h>
#include <libavutil/mem.h>
}

#include "bench_input.h"
#include "job_path.h"
#include "picture_writer.h"
#include "plain_decoder.h"
#include "test_buffers.h"

using namespace daedalus;
using namespace daedalus::bench;

namespace {

constexpr const char *kName = "daedalus-bench";

struct Options {
	unsigned int threads = 2;
	unsigned int reps = 3;
	unsigned int frames = 0;
	client::ClientStyle style = client::ClientStyle::Chromium;
	std::string device;
	bool hold = false;
	unsigned int traceJob = 0;
	Threading threading = Threading::Daemon;
	std::vector<std::string> clips;
};

void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s COMMAND [OPTIONS] CLIP...\n"
		"\n"
		"Commands:\n"
		"  jobpath   the daemon's job path in-process (client library, module stand-in,\n"
		"            memfd buffers) against a plain libavcodec/libdav1d decode loop of\n"
		"            the same packets with the same threads; then the picture writer\n"
		"            against memcpy on a 1080p picture\n"
		"  overhead  time per job through the V4L2 node against the same client on the\n"
		"            job path in-process (run where the node and the daemon are)\n"
		"  plain     the plain decode loop alone: time per frame\n"
		"  node      decode through the V4L2 node once (--hold: keep the stream open)\n"
		"\n"
		"Options:\n"
		"  -t, --threads N   decoder threads on both sides (default 2; 0: the library's choice)\n"
		"  -r, --reps N      runs per side, alternating; the median is printed (default 3)\n"
		"  -n, --frames N    the clips' first N frames only (default: all)\n"
		"  -m, --mode MODE   the client to imitate: chromium (default), ffmpeg, gstreamer\n"
		"  -d, --device DEV  the decoder's video node (default: the first that offers the codec)\n"
		"      --hold        node: keep the stream open until stdin ends\n"
		"      --frame-threads  plain: the library's default threading (libavcodec frame\n"
		"                    threads, libdav1d frames in flight), not the daemon's\n"
		"      --trace-allocs N  jobpath: print where the allocations of job N (from 1) of\n"
		"                    the daemon's part come from (one run, no table)\n"
		"  -h, --help        this text\n",
		kName);
}

int parseOptions(int argc, char **argv, Options *options)
{
	enum { OptHold = 256, OptTrace, OptFrameThreads };
	static const option longOptions[] = {
		{ "threads", required_argument, nullptr, 't' },
		{ "reps", required_argument, nullptr, 'r' },
		{ "frames", required_argument, nullptr, 'n' },
		{ "mode", required_argument, nullptr, 'm' },
		{ "device", required_argument, nullptr, 'd' },
		{ "hold", no_argument, nullptr, OptHold },
		{ "trace-allocs", required_argument, nullptr, OptTrace },
		{ "frame-threads", no_argument, nullptr, OptFrameThreads },
		{ "help", no_argument, nullptr, 'h' },
		{ nullptr, 0, nullptr, 0 },
	};

	auto number = [](const char *text, unsigned int *value) {
		char *end;
		errno = 0;
		unsigned long n = strtoul(text, &end, 10);
		if (errno || *end || !*text || *text == '-' || n > 1000000)
			return false;
		*value = n;
		return true;
	};

	int c;
	while ((c = getopt_long(argc, argv, "t:r:n:m:d:h", longOptions, nullptr)) != -1) {
		switch (c) {
		case 't':
			if (!number(optarg, &options->threads))
				return 2;
			break;
		case 'r':
			if (!number(optarg, &options->reps) || !options->reps)
				return 2;
			break;
		case 'n':
			if (!number(optarg, &options->frames))
				return 2;
			break;
		case 'm': {
			const std::string mode = optarg;
			if (mode == "chromium")
				options->style = client::ClientStyle::Chromium;
			else if (mode == "ffmpeg")
				options->style = client::ClientStyle::Ffmpeg;
			else if (mode == "gstreamer")
				options->style = client::ClientStyle::GStreamer;
			else
				return 2;
			break;
		}
		case 'd':
			options->device = optarg;
			break;
		case OptHold:
			options->hold = true;
			break;
		case OptFrameThreads:
			options->threading = Threading::Library;
			break;
		case OptTrace:
			if (!number(optarg, &options->traceJob))
				return 2;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return 2;
		}
	}
	for (int i = optind; i < argc; i++)
		options->clips.push_back(argv[i]);
	if (options->clips.empty())
		return 2;
	return 0;
}

double median(std::vector<double> values)
{
	if (values.empty())
		return 0;
	std::sort(values.begin(), values.end());
	const size_t n = values.size();
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double perSecond(unsigned int count, double seconds)
{
	return seconds > 0 ? count / seconds : 0;
}

/*
 * Run @sides @reps times each, alternating (the order reversed every other
 * round, so that neither side always runs first). A side returns false to
 * stop everything.
 */
bool alternate(unsigned int reps, const std::vector<std::function<bool(unsigned int)>> &sides)
{
	for (unsigned int rep = 0; rep < reps; rep++) {
		for (size_t i = 0; i < sides.size(); i++) {
			const size_t side = rep % 2 ? sides.size() - 1 - i : i;
			if (!sides[side](rep))
				return false;
		}
	}
	return true;
}

bool readClipOrSay(const std::string &path, unsigned int frames, Clip *clip)
{
	std::string error;
	if (readClip(path, frames, clip, &error) < 0) {
		fprintf(stderr, "%s: %s\n", kName, error.c_str());
		return false;
	}
	return true;
}

template<typename T> bool check(const T &timing, const char *what, const Clip &clip)
{
	if (timing.error.empty())
		return true;
	fprintf(stderr, "%s: %s of %s: %s\n", kName, what, clip.path.c_str(), timing.error.c_str());
	return false;
}

void printMachine(const Options &options)
{
	printf("@libraries libavcodec=%s dav1d=%s threads=%u reps=%u\n", av_version_info(),
	       dav1d_version(), options.threads, options.reps);
}

/*
 * The picture writer (decoder output -> NV12 CAPTURE) on a 1080p picture in
 * libavcodec's layout, against one memcpy of the same bytes into the same
 * mapped memfd: how close the one copy the daemon adds runs to memory speed.
 */
void benchWriter(unsigned int reps)
{
	const uint32_t width = 1920, height = 1080, captureHeight = 1088;
	const ptrdiff_t lumaStride = 1920 + 64, chromaStride = 960 + 64;
	test::MemfdBuffer capture(nv12Size(width, captureHeight));
	uint8_t *planes[3];
	planes[0] = static_cast<uint8_t *>(av_malloc(lumaStride * height));
	planes[1] = static_cast<uint8_t *>(av_malloc(chromaStride * height / 2));
	planes[2] = static_cast<uint8_t *>(av_malloc(chromaStride * height / 2));
	if (!capture.isValid() || !planes[0] || !planes[1] || !planes[2])
		return;
	memset(planes[0], 100, lumaStride * height);
	memset(planes[1], 110, chromaStride * height / 2);
	memset(planes[2], 120, chromaStride * height / 2);

	Picture420 picture;
	picture.width = width;
	picture.height = height;
	for (unsigned int i = 0; i < 3; i++) {
		picture.planes[i] = planes[i];
		picture.strides[i] = i ? chromaStride : lumaStride;
	}
	CaptureImage image;
	image.data = capture.data();
	image.stride = width;
	image.width = width;
	image.height = captureHeight;

	const size_t bytes = size_t{ width } * height * 3 / 2;
	std::vector<uint8_t> source(bytes, 90);
	std::vector<double> writer, copy;
	/* The first of each warms the mapping up (page faults). */
	for (unsigned int i = 0; i <= std::max(reps, 10u); i++) {
		double start = wallClock();
		writePicture(picture, image);
		if (i)
			writer.push_back(wallClock() - start);
		start = wallClock();
		memcpy(capture.data().data(), source.data(), bytes);
		if (i)
			copy.push_back(wallClock() - start);
	}
	for (uint8_t *plane : planes)
		av_free(plane);

	const double writerMs = median(writer) * 1e3, copyMs = median(copy) * 1e3;
	printf("\npicture writer, 1920x1080 yuv420p -> NV12 (%.1f MB): %.3f ms (%.1f GB/s); "
	       "memcpy of the same bytes: %.3f ms (%.1f GB/s)\n",
	       bytes / 1e6, writerMs, bytes / writerMs / 1e6, copyMs, bytes / copyMs / 1e6);
	printf("@writer width=%u height=%u writer_ms=%.4f memcpy_ms=%.4f\n", width, height,
	       writerMs, copyMs);
}

int commandJobPath(const Options &options)
{
	const DecoderConfig config{ options.threads };
	if (options.traceJob) {
		for (const std::string &path : options.clips) {
			Clip clip;
			if (!readClipOrSay(path, options.frames, &clip))
				return 1;
			JobTiming t = jobPathDecode(clip, options.style, config, nullptr,
						    options.traceJob);
			printf("%s: job %u of %u: %.0f allocations per job on average\n",
			       path.c_str(), options.traceJob, t.jobs,
			       double(t.daemonCounts.allocations) / t.jobs);
		}
		return 0;
	}

	printMachine(options);
	printf("job path in-process (client on JobRunnerDevice) vs plain decode loop, interleaved "
	       "frame by frame, %u thread(s), median of %u runs\n\n",
	       options.threads, options.reps);
	printf("%-5s %-9s %6s  %9s %9s %7s %9s  %11s %9s  %8s %8s %s\n", "codec", "size", "frames",
	       "job fps", "plain fps", "ratio", "cpu ratio", "lib-def fps", "us/job", "allocs/j",
	       "allocs/f", "mmaps");

	for (const std::string &path : options.clips) {
		Clip clip;
		if (!readClipOrSay(path, options.frames, &clip))
			return 1;

		std::vector<double> jobFps, plainFps, libraryFps, ratios, cpuRatios, daemonUs;
		JobTiming lastJob;
		Timing lastPlain;
		/*
		 * The job path and the plain loop interleaved frame by frame (a
		 * packet of the plain loop after each job), then the plain loop
		 * with the library's threading on its own, alternately.
		 */
		bool ok = alternate(
			options.reps,
			{ [&](unsigned int) {
				 std::unique_ptr<PlainLoop> plain = PlainLoop::create(
					 clip, options.threads, Threading::Daemon);
				 lastJob = jobPathDecode(clip, options.style, config, plain.get());
				 lastPlain = plain->timing();
				 jobFps.push_back(perSecond(lastJob.frames, lastJob.seconds));
				 plainFps.push_back(perSecond(lastPlain.frames, lastPlain.seconds));
				 ratios.push_back(
					 plainFps.back() > 0 ? jobFps.back() / plainFps.back() : 0);
				 cpuRatios.push_back(
					 lastJob.cpuSeconds > 0 && lastJob.frames &&
							 lastPlain.frames
						 ? (lastPlain.cpuSeconds / lastPlain.frames) /
							   (lastJob.cpuSeconds / lastJob.frames)
						 : 0);
				 daemonUs.push_back(lastJob.daemonSeconds / lastJob.jobs * 1e6);
				 return check(lastJob, "the job path", clip) &&
					check(lastPlain, "the plain loop", clip);
			 },
			  [&](unsigned int) {
				  Timing t = plainDecode(clip, options.threads, Threading::Library);
				  libraryFps.push_back(perSecond(t.frames, t.seconds));
				  return check(t, "the plain loop", clip);
			  } });
		if (!ok)
			return 1;

		/* The last runs' counts (the same every run). */
		const double allocsJob = double(lastJob.daemonCounts.allocations) / lastJob.jobs;
		const double allocsFrame = double(lastPlain.counts.allocations) / lastPlain.frames;
		const char *codec = tools::codecName(clip.codec);
		char size[32];
		snprintf(size, sizeof(size), "%dx%d", lastPlain.width, lastPlain.height);

		if (lastJob.frames != lastPlain.frames)
			fprintf(stderr,
				"%s: %s: the job path showed %u frames, the plain loop %u\n", kName,
				path.c_str(), lastJob.frames, lastPlain.frames);

		printf("%-5s %-9s %6u  %9.1f %9.1f %7.3f %9.3f  %11.1f %9.0f  %8.1f %8.1f "
		       "%llu/%llu\n",
		       codec, size, lastPlain.frames, median(jobFps), median(plainFps),
		       median(ratios), median(cpuRatios), median(libraryFps), median(daemonUs),
		       allocsJob, allocsFrame,
		       static_cast<unsigned long long>(lastJob.daemonCounts.mmaps),
		       static_cast<unsigned long long>(lastJob.daemonCounts.munmaps));
		printf("@jobpath codec=%s size=%s frames=%u jobs=%u threads=%u reps=%u "
		       "job_fps=%.2f plain_fps=%.2f ratio=%.4f cpu_ratio=%.4f library_fps=%.2f "
		       "daemon_us_per_job=%.1f allocs_per_job=%.2f allocs_per_frame_plain=%.2f "
		       "mmaps=%llu munmaps=%llu buffers=%zu job_fps_all=",
		       codec, size, lastPlain.frames, lastJob.jobs, options.threads, options.reps,
		       median(jobFps), median(plainFps), median(ratios), median(cpuRatios),
		       median(libraryFps), median(daemonUs), allocsJob, allocsFrame,
		       static_cast<unsigned long long>(lastJob.daemonCounts.mmaps),
		       static_cast<unsigned long long>(lastJob.daemonCounts.munmaps),
		       lastJob.mappedBuffers);
		for (size_t i = 0; i < jobFps.size(); i++)
			printf("%s%.1f", i ? "," : "", jobFps[i]);
		printf(" plain_fps_all=");
		for (size_t i = 0; i < plainFps.size(); i++)
			printf("%s%.1f", i ? "," : "", plainFps[i]);
		printf("\n");
		fflush(stdout);
	}
	printf("\njob fps: pictures shown / time in the device's decode() (module stand-in + "
	       "daemon);\nratio: median over the runs of job fps / plain fps of the same run (the two "
	       "interleaved frame by frame); cpu ratio: the same with process CPU time per frame;\nlib-def fps: the plain loop "
	       "with the library's default threading (frame threads);\nus/job: the daemon's part "
	       "of a job (JobProcessor::handleMessage); allocs/j: malloc-family calls in it "
	       "(decoder threads included); allocs/f: the same per frame in the plain loop;\n"
	       "mmaps: mmap/munmap calls in the daemon's part of all jobs (a buffer is mapped "
	       "the first time it is seen)\n");

	benchWriter(options.reps);
	return 0;
}

int commandOverhead(const Options &options)
{
	printMachine(options);
	const DecoderConfig config{ options.threads };
	for (const std::string &path : options.clips) {
		Clip clip;
		if (!readClipOrSay(path, options.frames, &clip))
			return 1;

		std::vector<double> local, node;
		unsigned int jobs = 0;
		bool ok = alternate(options.reps,
				    { [&](unsigned int) {
					     JobTiming t =
						     jobPathDecode(clip, options.style, config);
					     local.push_back(t.seconds / t.jobs * 1e6);
					     jobs = t.jobs;
					     return check(t, "the job path", clip);
				     },
				      [&](unsigned int) {
					      JobTiming t = nodeDecode(clip, options.style,
								       options.device, false);
					      node.push_back(t.jobs ? t.seconds / t.jobs * 1e6 : 0);
					      return check(t, "the node", clip);
				      } });
		if (!ok)
			return 1;
		printf("%s, %u jobs: %.0f us per job through the node, %.0f us in-process: %.0f us "
		       "of overhead per job\n",
		       path.c_str(), jobs, median(node), median(local),
		       median(node) - median(local));
		printf("@overhead codec=%s jobs=%u node_us=%.1f inprocess_us=%.1f overhead_us=%.1f\n",
		       tools::codecName(clip.codec), jobs, median(node), median(local),
		       median(node) - median(local));
	}
	return 0;
}

int commandPlain(const Options &options)
{
	printMachine(options);
	for (const std::string &path : options.clips) {
		Clip clip;
		if (!readClipOrSay(path, options.frames, &clip))
			return 1;
		std::vector<double> ms;
		Timing last;
		bool ok = alternate(options.reps, { [&](unsigned int) {
					    last = plainDecode(clip, options.threads,
							       Threading::Daemon);
					    ms.push_back(last.seconds / last.frames * 1e3);
					    return check(last, "the plain loop", clip);
				    } });
		if (!ok)
			return 1;
		printf("%s: %u frames of %dx%d, %.2f ms per frame\n", path.c_str(), last.frames,
		       last.width, last.height, median(ms));
		printf("@plain codec=%s size=%dx%d frames=%u threading=%s ms_per_frame=%.3f\n",
		       tools::codecName(clip.codec), last.width, last.height, last.frames,
		       options.threading == Threading::Daemon ? "daemon" : "library", median(ms));
	}
	return 0;
}

int commandNode(const Options &options)
{
	for (const std::string &path : options.clips) {
		Clip clip;
		if (!readClipOrSay(path, options.frames, &clip))
			return 1;
		JobTiming t = nodeDecode(clip, options.style, options.device, options.hold);
		if (!check(t, "the node", clip))
			return 1;
		printf("@node codec=%s frames=%u jobs=%u seconds=%.3f fps=%.2f\n",
		       tools::codecName(clip.codec), t.frames, t.jobs, t.seconds,
		       perSecond(t.frames, t.seconds));
	}
	return 0;
}

} /* namespace */

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const std::string command = argv[1];
	if (command == "-h" || command == "--help") {
		usage(stdout);
		return 0;
	}

	Options options;
	if (parseOptions(argc - 1, argv + 1, &options)) {
		usage(stderr);
		return 2;
	}

	if (command == "jobpath")
		return commandJobPath(options);
	if (command == "overhead")
		return commandOverhead(options);
	if (command == "plain")
		return commandPlain(options);
	if (command == "node")
		return commandNode(options);
	fprintf(stderr, "%s: unknown command '%s'\n", kName, command.c_str());
	usage(stderr);
	return 2;
}
