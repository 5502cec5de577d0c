/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes the fuzz targets' seed corpus: what the project's clients make the
 * module send to the daemon for the first requests of the conformance
 * vectors (and of the VP9 IVF files given), one script per stream and
 * client style, in fuzz_script.h's form. Some seeds put the requests in
 * contexts with ids above 2^32, into P010 CAPTURE buffers (10-bit streams),
 * or change the codec of a context midway.
 *
 *   make_fuzz_seeds OUTDIR [VP9.ivf...]
 *
 * The vectors tree is $DAEDALUS_VECTORS; without it only the VP9 files make
 * seeds. Prints the number of seeds written.
 */

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <linux/videodev2.h>

#include "av1_client.h"
#include "conformance_support.h"
#include "fuzz_script.h"
#include "h264_client.h"
#include "job_runner.h"
#include "vp9_client.h"

using namespace daedalus;
namespace fs = std::filesystem;

namespace {

/* Requests recorded per stream: enough for references and a few frame types. */
constexpr unsigned int kRequests = 6;
/* Streams whose frames are larger than this make poor seeds. */
constexpr size_t kMaxSeed = 512 * 1024;

/* The module stand-in, recording each job it hands to the processor. */
class RecordingDevice : public test::JobRunnerDevice
{
public:
	/*
	 * @ctx: the script's context (fuzz::contextId()); @p010: CAPTURE in
	 * P010 (lines twice as long) instead of NV12.
	 */
	explicit RecordingDevice(uint32_t codec, uint8_t ctx = 0, bool p010 = false)
		: JobRunnerDevice(DecoderConfig{ 1 }), script_(codec), ctx_(ctx), p010_(p010)
	{
	}

	int configure(const client::StreamFormat &format) override
	{
		int ret = JobRunnerDevice::configure(format);
		if (ret == 0)
			runner()->setObserver([this](const daedalus_msg &msg,
						     std::span<const uint8_t> area,
						     std::span<const uint8_t> bitstream) {
				record(msg, area, bitstream);
			});
		return ret;
	}

	int reset() override
	{
		script_.op(fuzz::Op::Reset, ctx_);
		return JobRunnerDevice::reset();
	}

	const std::vector<uint8_t> &data() const { return script_.data(); }

private:
	void record(const daedalus_msg &msg, std::span<const uint8_t> area,
		    std::span<const uint8_t> bitstream)
	{
		const daedalus_job &job = msg.job;
		fuzz::JobRecord rec;
		rec.ctx = ctx_;
		rec.src = job.src.index;
		rec.dst = job.dst.index;
		rec.flags = job.flags;
		rec.timestamp = job.timestamp;
		rec.width = job.width;
		rec.height = job.height;
		rec.capWidth = job.cap_width;
		rec.capHeight = job.cap_height;
		rec.stride = job.dst.planes[0].stride * (p010_ ? 2 : 1);
		rec.capFormat = p010_ ? 1 : 0;
		rec.ctrlCount = job.ctrl_count;
		rec.ctrlArea = area.first(job.ctrl_bytes);
		rec.bitstream = bitstream;
		script_.job(rec);
	}

	fuzz::ScriptWriter script_;
	uint8_t ctx_;
	bool p010_;
};

/* The first seed of each codec, for the seeds that change codec. */
std::vector<std::vector<uint8_t>> firstSeeds;

unsigned int written = 0;

void writeSeed(const fs::path &dir, const std::string &name, const std::vector<uint8_t> &data)
{
	if (data.size() <= 1 || data.size() > kMaxSeed)
		return;
	std::ofstream file(dir / name, std::ios::binary);
	file.write(reinterpret_cast<const char *>(data.data()), data.size());
	if (file)
		written++;
	if (std::none_of(firstSeeds.begin(), firstSeeds.end(),
			 [&](const std::vector<uint8_t> &seed) { return seed[0] == data[0]; }))
		firstSeeds.push_back(data);
}

client::ClientOptions options()
{
	client::ClientOptions opts;
	opts.maxRequests = kRequests;
	return opts;
}

void h264Seeds(const fs::path &dir)
{
	for (const char *suite : { "JVT-AVC_V1", "JVT-FR-EXT" }) {
		for (const test::SuiteVector &v : test::readSuite("h264", suite)) {
			if (v.outputFormat != "yuv420p")
				continue;
			std::vector<uint8_t> stream;
			if (!test::readFile(test::vectorPath(suite, v), &stream))
				continue;
			for (auto style :
			     { client::ClientStyle::GStreamer, client::ClientStyle::Chromium }) {
				RecordingDevice device(V4L2_PIX_FMT_H264_SLICE);
				client::runH264Client(stream, style, device, options());
				writeSeed(dir, "h264-" + v.name + "-" + client::styleName(style),
					  device.data());
			}
		}
	}
}

void av1Seeds(const fs::path &dir)
{
	for (const char *suite : { "AV1-TEST-VECTORS", "CHROMIUM-8bit-AV1-TEST-VECTORS",
				   "CHROMIUM-10bit-AV1-TEST-VECTORS" }) {
		for (const test::SuiteVector &v : test::readSuite("av1", suite)) {
			std::vector<uint8_t> file;
			std::vector<std::vector<uint8_t>> units;
			const bool tenBit = v.outputFormat == "yuv420p10le";
			if ((v.outputFormat != "yuv420p" && !tenBit) ||
			    !test::readFile(test::vectorPath(suite, v), &file) ||
			    !client::readIvf(file, &units))
				continue;
			for (auto style :
			     { client::ClientStyle::GStreamer, client::ClientStyle::Chromium }) {
				RecordingDevice device(V4L2_PIX_FMT_AV1_FRAME, 0, tenBit);
				client::runAv1Client(units, style, device, options());
				writeSeed(dir, "av1-" + v.name + "-" + client::styleName(style),
					  device.data());
			}
		}
	}
}

void vp9Seeds(const fs::path &dir, const std::string &path)
{
	std::vector<uint8_t> file;
	std::vector<std::vector<uint8_t>> packets;
	if (!test::readFile(path, &file) || !client::readIvf(file, &packets)) {
		fprintf(stderr, "make_fuzz_seeds: %s: not an IVF file\n", path.c_str());
		return;
	}
	if (packets.empty() || packets[0].empty())
		return;

	const std::string name = "vp9-" + fs::path(path).stem().string();

	/*
	 * Profile 2 and 3 (profile_high_bit, bit 4 of the first byte): 10 or 12
	 * bits, which the VP9 client does not decode. The daemon's VP9 backend
	 * needs no controls: the jobs are written here, one packet each, into
	 * P010 CAPTURE buffers as the module lays them out (size rounded up to
	 * 16, lines of 64-byte multiples).
	 */
	if (packets[0][0] & 0x10) {
		if (file.size() < 32)
			return;
		const uint16_t width = file[12] | file[13] << 8;
		const uint16_t height = file[14] | file[15] << 8;
		const uint16_t capWidth = (width + 15) & ~15;
		const uint16_t capHeight = (height + 15) & ~15;
		fuzz::ScriptWriter script(V4L2_PIX_FMT_VP9_FRAME);
		for (unsigned int i = 0; i < packets.size() && i < kRequests; i++) {
			fuzz::JobRecord rec;
			rec.src = i % fuzz::kOutputBuffers;
			rec.dst = i % fuzz::kCaptureBuffers;
			rec.timestamp = uint64_t{ i } * 1000;
			rec.width = width;
			rec.height = height;
			rec.capWidth = capWidth;
			rec.capHeight = capHeight;
			rec.capFormat = 1;
			rec.stride = (2 * capWidth + 63) & ~63;
			rec.bitstream = packets[i];
			script.job(rec);
		}
		writeSeed(dir, name + "-p010", script.data());
		return;
	}

	/* Context ids: low; just above 2^32 (0xfffffff0 + 17); 2^40 + 1; near 2^64. */
	for (uint8_t ctx : { 0x00, 0x31, 0x41, 0x7f }) {
		RecordingDevice device(V4L2_PIX_FMT_VP9_FRAME, ctx);
		client::runVp9Client(packets, client::ClientStyle::Ffmpeg, device, options());
		char suffix[16];
		snprintf(suffix, sizeof(suffix), "-ctx%02x", ctx);
		writeSeed(dir, name + (ctx ? suffix : ""), device.data());
	}
}

/*
 * One context whose OUTPUT format changes midway (S_FMT after STREAMOFF):
 * the first seed of each codec after another, in the same context, then the
 * first one again.
 */
void codecChangeSeeds(const fs::path &dir)
{
	if (firstSeeds.empty())
		return;
	const std::vector<std::vector<uint8_t>> seeds = firstSeeds;
	for (size_t i = 0; i < seeds.size(); i++) {
		const std::vector<uint8_t> &first = seeds[i];
		const std::vector<uint8_t> &second = seeds[(i + 1) % seeds.size()];
		fuzz::ScriptWriter script(fuzz::kCodecs[first[0] % fuzz::kCodecs.size()]);
		script.append(first);
		/* With one codec only: its jobs under another codec's name, then back. */
		std::vector<uint8_t> next = second;
		if (seeds.size() == 1)
			next[0] = (first[0] + 1) % fuzz::kCodecs.size();
		script.append(next);
		script.append(first);
		writeSeed(dir, "codec-change-" + std::to_string(i), script.data());
	}
}

} /* namespace */

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: make_fuzz_seeds OUTDIR [VP9.ivf...]\n");
		return 2;
	}
	const fs::path dir = argv[1];
	fs::create_directories(dir);

	h264Seeds(dir);
	av1Seeds(dir);
	for (int i = 2; i < argc; i++)
		vp9Seeds(dir, argv[i]);
	codecChangeSeeds(dir);

	printf("%u seeds in %s\n", written, dir.c_str());
	return written ? 0 : 1;
}
