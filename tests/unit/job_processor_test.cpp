/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The job path with messages as the kernel sends them: every job answered
 * once, bad numbers rejected with a clear error, buffers and contexts
 * released when the kernel says so.
 */

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "job_processor.h"
#include "picture_writer.h"
#include "test_buffers.h"

#ifndef V4L2_PIX_FMT_AV1_FRAME
#define V4L2_PIX_FMT_AV1_FRAME v4l2_fourcc('A', 'V', '1', 'F')
#endif

using namespace daedalus;
using namespace daedalus::test;

namespace {

constexpr uint32_t kWidth = 64;
constexpr uint32_t kHeight = 48;
constexpr uint32_t kCaptureSize = nv12Size(kWidth, kHeight);
constexpr uint8_t kUntouched = 0xee;

size_t countOccurrences(const std::string &haystack, const std::string &needle)
{
	size_t count = 0;
	for (size_t pos = haystack.find(needle); pos != std::string::npos;
	     pos = haystack.find(needle, pos + 1))
		count++;
	return count;
}

class JobProcessorTest : public testing::Test
{
protected:
	void SetUp() override
	{
		ASSERT_TRUE(output_.isValid());
		ASSERT_TRUE(capture_.isValid());
		memset(output_.data().data(), 0x55, output_.size());
		memset(capture_.data().data(), kUntouched, capture_.size());
		fdsBefore_ = openFdCount();
	}

	/*
	 * A job that is valid as far as the job path can tell, with fds for its
	 * planes as the kernel sends them (or without, to test that case).
	 */
	daedalus_msg job(uint32_t codec, uint64_t ctxId = 1, bool withFds = true)
	{
		JobParams params;
		params.seqno = ++seqno_;
		params.ctxId = ctxId;
		params.codec = codec;
		params.capWidth = kWidth;
		params.capHeight = kHeight;
		daedalus_buffer src = makeBuffer(100 + ctxId, 0, withFds ? output_.dupFd() : -1,
						 output_.size(), 1000);
		daedalus_buffer dst = makeBuffer(200 + ctxId, 0, withFds ? capture_.dupFd() : -1,
						 capture_.size(), kCaptureSize, 0, kWidth);
		return makeJobMessage(params, src, dst, &controls_);
	}

	/* Run @msg, check that it was answered, return the status. */
	int run(const daedalus_msg &msg)
	{
		daedalus_result result;
		memset(&result, 0x77, sizeof(result));
		EXPECT_TRUE(processor_.handleMessage(msg, controls_.area(), &result));
		EXPECT_EQ(result.seqno, msg.job.seqno);
		if (result.status < 0) {
			EXPECT_EQ(result.num_planes, 0u);
		}
		return result.status;
	}

	/*
	 * What a job that failed in its decoder leaves: black (Y 16, CbCr 128)
	 * in the picture, never an earlier picture or part of one.
	 */
	bool captureBlack() const
	{
		const size_t luma = size_t{ kWidth } * kHeight;
		for (size_t i = 0; i < capture_.size(); i++)
			if (capture_.data()[i] != (i < luma ? 16 : 128))
				return false;
		return true;
	}

	bool captureUntouched() const
	{
		for (uint8_t byte : capture_.data())
			if (byte != kUntouched)
				return false;
		return true;
	}

	MemfdBuffer output_{ 4096 };
	MemfdBuffer capture_{ kCaptureSize };
	ControlAreaBuilder controls_;
	JobProcessor processor_;
	uint64_t seqno_ = 0;
	unsigned int fdsBefore_ = 0;
};

TEST_F(JobProcessorTest, CodecJobsWithoutControlsFail)
{
	testing::internal::CaptureStderr();
	EXPECT_EQ(run(job(V4L2_PIX_FMT_H264_SLICE, 1)), -EINVAL);
	EXPECT_EQ(run(job(V4L2_PIX_FMT_H264_SLICE, 1)), -EINVAL);
	EXPECT_EQ(run(job(V4L2_PIX_FMT_H264_SLICE, 2)), -EINVAL);
	EXPECT_EQ(run(job(V4L2_PIX_FMT_AV1_FRAME, 3)), -EINVAL);
	EXPECT_EQ(run(job(V4L2_PIX_FMT_AV1_FRAME, 3, false)), -EINVAL);
	std::string log = testing::internal::GetCapturedStderr();

	/* Each failure says why, naming the context. */
	EXPECT_EQ(countOccurrences(log, "ctx 1: job 1: no DECODE_PARAMS control"), 1u) << log;
	EXPECT_EQ(countOccurrences(log, "ctx 1: job 2: no DECODE_PARAMS control"), 1u) << log;
	EXPECT_EQ(countOccurrences(log, "ctx 2: job 3: no DECODE_PARAMS control"), 1u) << log;
	EXPECT_EQ(countOccurrences(log, "ctx 3: job 4: no AV1_SEQUENCE control"), 1u) << log;
	EXPECT_EQ(countOccurrences(log, "ctx 3: job 5: no AV1_SEQUENCE control"), 1u) << log;

	/* Never a garbage or an earlier picture. */
	EXPECT_TRUE(captureBlack());
	EXPECT_EQ(processor_.contextCount(), 3u);

	/* One mapping (and fd) per buffer; the fds of later jobs were closed. */
	EXPECT_EQ(processor_.buffers().size(), 6u);
	EXPECT_EQ(openFdCount(), fdsBefore_ + 6);
}

TEST_F(JobProcessorTest, UnknownBufferIsEbadf)
{
	EXPECT_EQ(run(job(V4L2_PIX_FMT_VP9_FRAME, 1, /* withFds */ false)), -EBADF);
	EXPECT_EQ(openFdCount(), fdsBefore_);
}

TEST_F(JobProcessorTest, UnknownCodec)
{
	EXPECT_EQ(run(job(v4l2_fourcc('X', 'Y', 'Z', '1'))), -EINVAL);
	EXPECT_TRUE(captureBlack());
}

TEST_F(JobProcessorTest, BadOutputNumbers)
{
	daedalus_msg msg = job(V4L2_PIX_FMT_VP9_FRAME);
	msg.job.src.planes[0].offset = 4000;
	msg.job.src.planes[0].bytesused = 97;
	EXPECT_EQ(run(msg), -EINVAL);

	/* The buffers were mapped all the same. */
	msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.src.planes[0].offset = 0xffffffff;
	msg.job.src.planes[0].bytesused = 2;
	EXPECT_EQ(run(msg), -EINVAL);

	msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.src.planes[0].bytesused = 0;
	EXPECT_EQ(run(msg), -EINVAL);

	msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.src.planes[0].bytesused = 4097;
	EXPECT_EQ(run(msg), -EINVAL);

	EXPECT_TRUE(captureUntouched());
}

TEST_F(JobProcessorTest, BadCaptureNumbers)
{
	daedalus_msg msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.dst.planes[0].stride = kWidth - 1;
	EXPECT_EQ(run(msg), -EINVAL);

	msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.dst.planes[0].stride = kWidth * 2;
	EXPECT_EQ(run(msg), -EINVAL);

	msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.dst.planes[0].bytesused = kCaptureSize - 1;
	EXPECT_EQ(run(msg), -EINVAL);

	msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.dst.planes[0].offset = 1;
	EXPECT_EQ(run(msg), -EINVAL);

	msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.cap_height = 0x80000000;
	EXPECT_EQ(run(msg), -EINVAL);

	msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.cap_fourcc = V4L2_PIX_FMT_YUV420;
	EXPECT_EQ(run(msg), -EINVAL);

	EXPECT_TRUE(captureUntouched());
}

TEST_F(JobProcessorTest, SameBufferBothWays)
{
	daedalus_msg msg = job(V4L2_PIX_FMT_VP9_FRAME);
	msg.job.dst.id = msg.job.src.id;
	EXPECT_EQ(run(msg), -EINVAL);
	/* The fds of a rejected job are closed, not leaked. */
	EXPECT_EQ(openFdCount(), fdsBefore_);
}

TEST_F(JobProcessorTest, BadControlArea)
{
	v4l2_ctrl_vp9_frame frame = {};
	controls_.add(V4L2_CID_STATELESS_VP9_FRAME, frame);

	daedalus_msg msg = job(V4L2_PIX_FMT_VP9_FRAME);
	msg.job.ctrl_count = 2;
	EXPECT_EQ(run(msg), -EINVAL);

	msg = job(V4L2_PIX_FMT_VP9_FRAME, 1);
	msg.job.ctrl_bytes = controls_.bytes() + 8;
	EXPECT_EQ(run(msg), -EINVAL);

	EXPECT_TRUE(captureUntouched());
}

TEST_F(JobProcessorTest, BufferFreeAndContextClose)
{
	testing::internal::CaptureStderr();
	EXPECT_EQ(run(job(V4L2_PIX_FMT_H264_SLICE, 1)), -EINVAL);
	EXPECT_EQ(run(job(V4L2_PIX_FMT_H264_SLICE, 2)), -EINVAL);
	testing::internal::GetCapturedStderr();
	EXPECT_EQ(processor_.buffers().size(), 4u);
	EXPECT_EQ(openFdCount(), fdsBefore_ + 4);

	daedalus_result result;
	EXPECT_FALSE(
		processor_.handleMessage(makeMessage(DAEDALUS_MSG_BUF_FREE, 1, 101), {}, &result));
	EXPECT_EQ(processor_.buffers().size(), 3u);
	EXPECT_EQ(openFdCount(), fdsBefore_ + 3);
	EXPECT_EQ(run(job(V4L2_PIX_FMT_H264_SLICE, 1, /* withFds */ false)), -EBADF);

	/* A reset keeps buffers and context. */
	EXPECT_FALSE(processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_RESET, 2), {}, &result));
	EXPECT_EQ(processor_.buffers().size(), 3u);
	EXPECT_TRUE(processor_.hasContext(2));

	EXPECT_FALSE(processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_CLOSE, 1), {}, &result));
	EXPECT_FALSE(processor_.hasContext(1));
	EXPECT_TRUE(processor_.hasContext(2));
	EXPECT_EQ(processor_.buffers().size(), 2u);

	EXPECT_FALSE(processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_CLOSE, 2), {}, &result));
	EXPECT_EQ(processor_.contextCount(), 0u);
	EXPECT_EQ(processor_.buffers().size(), 0u);
	EXPECT_EQ(openFdCount(), fdsBefore_);

	/* Messages about unknown contexts and buffers are harmless. */
	EXPECT_FALSE(processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_CLOSE, 9), {}, &result));
	EXPECT_FALSE(processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_RESET, 9), {}, &result));
	EXPECT_FALSE(
		processor_.handleMessage(makeMessage(DAEDALUS_MSG_BUF_FREE, 9, 1), {}, &result));
	EXPECT_FALSE(processor_.handleMessage(makeMessage(static_cast<daedalus_msg_type>(99), 9),
					      {}, &result));
}

std::vector<uint8_t> readFile(const std::string &path)
{
	std::vector<uint8_t> bytes;
	FILE *file = fopen(path.c_str(), "rb");
	if (!file)
		return bytes;
	uint8_t chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), file)) > 0)
		bytes.insert(bytes.end(), chunk, chunk + n);
	fclose(file);
	return bytes;
}

TEST_F(JobProcessorTest, DumpWritesControlsAndBitstream)
{
	char dir[] = "/tmp/daedalus-dump-XXXXXX";
	ASSERT_NE(mkdtemp(dir), nullptr);

	v4l2_ctrl_av1_sequence sequence = {};
	sequence.bit_depth = 8;
	controls_.add(V4L2_CID_STATELESS_AV1_SEQUENCE, sequence);
	for (size_t i = 0; i < output_.size(); i++)
		output_.data()[i] = static_cast<uint8_t>(i * 7);

	/* Off by default: nothing written. */
	testing::internal::CaptureStderr();
	run(job(V4L2_PIX_FMT_AV1_FRAME, 3));
	const std::string base = std::string(dir) + "/ctx3-job";
	EXPECT_TRUE(readFile(base + "1.ctrl").empty());

	/* On: the control area as fetched and the OUTPUT bytes, per context and job. */
	UniqueFD dirFd;
	std::string why;
	ASSERT_EQ(openDumpDirectory(dir, &dirFd, &why), 0) << why;
	processor_.setDumpDir(std::move(dirFd));
	/* Files of mode 0600 whatever the umask. */
	const mode_t umaskBefore = umask(0);
	const daedalus_msg msg = job(V4L2_PIX_FMT_AV1_FRAME, 3);
	EXPECT_EQ(run(msg), -EINVAL);
	umask(umaskBefore);
	testing::internal::GetCapturedStderr();

	struct stat st;
	ASSERT_EQ(stat((base + "2.bin").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0600u);

	const std::vector<uint8_t> ctrl = readFile(base + "2.ctrl");
	const std::vector<uint8_t> bin = readFile(base + "2.bin");
	EXPECT_EQ(ctrl, std::vector<uint8_t>(controls_.area().begin(), controls_.area().end()));
	ASSERT_EQ(bin.size(), msg.job.src.planes[0].bytesused);
	EXPECT_TRUE(std::equal(bin.begin(), bin.end(),
			       output_.data().begin() + msg.job.src.planes[0].offset));

	ControlSet parsed;
	ASSERT_EQ(parsed.parse(ctrl, msg.job.ctrl_count), 0);
	ASSERT_NE(parsed.get<v4l2_ctrl_av1_sequence>(V4L2_CID_STATELESS_AV1_SEQUENCE), nullptr);

	for (const char *suffix : { "2.ctrl", "2.bin" })
		unlink((base + suffix).c_str());
	EXPECT_EQ(rmdir(dir), 0);
}

/* A temporary directory of mode 0700, removed with what is in it. */
class TempDir
{
public:
	TempDir()
	{
		char path[] = "/tmp/daedalus-dump-XXXXXX";
		if (mkdtemp(path))
			path_ = path;
	}
	~TempDir()
	{
		if (!path_.empty())
			std::filesystem::remove_all(path_);
	}
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

TEST(DumpDirectory, RefusesUnsafeDirectories)
{
	TempDir dir;
	ASSERT_FALSE(dir.path().empty());
	UniqueFD fd;
	std::string why;

	/* The daemon's own, 0700 (mkdtemp) or 0755: accepted. */
	EXPECT_EQ(openDumpDirectory(dir.path(), &fd, &why), 0) << why;
	EXPECT_TRUE(fd.isValid());
	ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
	EXPECT_EQ(openDumpDirectory(dir.path(), &fd, &why), 0) << why;

	/* Writable by others or by the group: anyone there could plant files. */
	for (mode_t mode : { 0777, 0757, 0775, 01777 }) {
		ASSERT_EQ(chmod(dir.path().c_str(), mode), 0);
		UniqueFD refused;
		why.clear();
		EXPECT_EQ(openDumpDirectory(dir.path(), &refused, &why), -EPERM) << mode;
		EXPECT_FALSE(refused.isValid());
		EXPECT_NE(why.find("writable by group or others"), std::string::npos) << why;
	}
	ASSERT_EQ(chmod(dir.path().c_str(), 0700), 0);

	/* A symlink to a good directory: refused (O_NOFOLLOW). */
	const std::string link = dir.path() + "/link";
	const std::string sub = dir.path() + "/sub";
	ASSERT_EQ(mkdir(sub.c_str(), 0700), 0);
	ASSERT_EQ(symlink(sub.c_str(), link.c_str()), 0);
	UniqueFD refused;
	/* Linux says ENOTDIR for O_DIRECTORY | O_NOFOLLOW on a symlink, ELOOP without O_DIRECTORY.
	 */
	const int ret = openDumpDirectory(link, &refused, &why);
	EXPECT_TRUE(ret == -ENOTDIR || ret == -ELOOP) << ret;
	EXPECT_NE(why.find("symlink"), std::string::npos) << why;
	EXPECT_FALSE(refused.isValid());

	/* Not a directory. */
	const std::string file = dir.path() + "/file";
	ASSERT_EQ(close(creat(file.c_str(), 0600)), 0);
	EXPECT_EQ(openDumpDirectory(file, &refused, &why), -ENOTDIR);
	EXPECT_EQ(openDumpDirectory(dir.path() + "/missing", &refused, &why), -ENOENT);

	/* Owned by another user (needs root to make one). */
	if (geteuid() == 0) {
		ASSERT_EQ(chown(sub.c_str(), 12345, 12345), 0);
		why.clear();
		EXPECT_EQ(openDumpDirectory(sub, &refused, &why), -EPERM);
		EXPECT_NE(why.find("owned by uid 12345"), std::string::npos) << why;
	}
}

TEST_F(JobProcessorTest, DumpNeverFollowsAPlantedSymlink)
{
	TempDir dir;
	TempDir elsewhere;
	ASSERT_FALSE(dir.path().empty());
	ASSERT_FALSE(elsewhere.path().empty());

	/* A symlink where the dump's next file goes, to a file it must not touch. */
	const std::string victim = elsewhere.path() + "/victim";
	{
		FILE *file = fopen(victim.c_str(), "w");
		ASSERT_NE(file, nullptr);
		fputs("precious", file);
		fclose(file);
	}
	const std::string base = dir.path() + "/ctx3-job1";
	ASSERT_EQ(symlink(victim.c_str(), (base + ".ctrl").c_str()), 0);
	/* And a file that exists already: not reused either. */
	ASSERT_EQ(close(creat((base + ".bin").c_str(), 0644)), 0);

	UniqueFD fd;
	std::string why;
	ASSERT_EQ(openDumpDirectory(dir.path(), &fd, &why), 0) << why;
	processor_.setDumpDir(std::move(fd));

	testing::internal::CaptureStderr();
	EXPECT_EQ(run(job(V4L2_PIX_FMT_AV1_FRAME, 3)), -EINVAL);
	/* The next job's files are new: written. */
	EXPECT_EQ(run(job(V4L2_PIX_FMT_AV1_FRAME, 3)), -EINVAL);
	const std::string log = testing::internal::GetCapturedStderr();

	EXPECT_EQ(readFile(victim),
		  std::vector<uint8_t>({ 'p', 'r', 'e', 'c', 'i', 'o', 'u', 's' }));
	EXPECT_TRUE(readFile(base + ".bin").empty());
	struct stat st;
	ASSERT_EQ(lstat((base + ".ctrl").c_str(), &st), 0);
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	/* Logged once, the job itself unaffected. */
	EXPECT_EQ(countOccurrences(log, "(dump)"), 1u) << log;
	EXPECT_EQ(readFile(dir.path() + "/ctx3-job2.bin").size(), 1000u);
}

TEST_F(JobProcessorTest, RefusedWriteGateLeavesCaptureUntouched)
{
	/* The module's answer when the job has ended (watchdog, cancel). */
	std::vector<uint64_t> asked;
	processor_.setWriteGateOpener([&](uint64_t seqno) {
		asked.push_back(seqno);
		return -ENOENT;
	});

	/* A decode that fails: no black fill into a buffer that is not ours. */
	testing::internal::CaptureStderr();
	const daedalus_msg msg = job(V4L2_PIX_FMT_AV1_FRAME);
	EXPECT_EQ(run(msg), -ENOENT);
	testing::internal::GetCapturedStderr();
	EXPECT_TRUE(captureUntouched());
	EXPECT_EQ(asked, std::vector<uint64_t>{ msg.job.seqno });

	/* Open: the same failure is filled black, the gate asked once per job. */
	processor_.setWriteGateOpener([&](uint64_t seqno) {
		asked.push_back(seqno);
		return 0;
	});
	testing::internal::CaptureStderr();
	const daedalus_msg next = job(V4L2_PIX_FMT_AV1_FRAME);
	EXPECT_EQ(run(next), -EINVAL);
	testing::internal::GetCapturedStderr();
	EXPECT_TRUE(captureBlack());
	EXPECT_EQ(asked, (std::vector<uint64_t>{ msg.job.seqno, next.job.seqno }));

	/* Jobs refused before decoding never ask: nothing to write. */
	testing::internal::CaptureStderr();
	EXPECT_EQ(run(job(V4L2_PIX_FMT_AV1_FRAME, 2, false)), -EBADF);
	testing::internal::GetCapturedStderr();
	EXPECT_EQ(asked.size(), 2u);
}

} /* namespace */
