/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP9 through the daemon's job path, exactly as kernel jobs arrive: one
 * frame per OUTPUT buffer (superframes split), memfd buffers, one CAPTURE
 * picture per request, hidden alt-ref frames included.
 */

#include <algorithm>
#include <atomic>
#include <cmath>
#include <gtest/gtest.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>
#include <memory>
#include <vector>

#include "job_processor.h"
#include "job_scheduler.h"
#include "picture_writer.h"
#include "test_buffers.h"
#include "vpx_streams.h"

using namespace daedalus;
using namespace daedalus::test;

namespace {

/* Odd sizes, in a larger CAPTURE buffer with a wider stride. */
constexpr int kWidth = 181;
constexpr int kHeight = 101;
constexpr int kFrames = 30;
constexpr uint32_t kCapWidth = 192;
constexpr uint32_t kCapHeight = 112;
constexpr uint32_t kStride = 256;
constexpr uint32_t kCaptureSize = nv12Size(kStride, kCapHeight);
constexpr uint8_t kUntouched = 0xee;

const VpxStream kStream{
	"libvpx-vp9", AV_CODEC_ID_VP9, AV_PIX_FMT_YUV420P, kWidth, kHeight, kFrames
};

/* Encode kFrames frames with hidden alt-ref frames and split the superframes. */
std::vector<VpxFrame> encodeStream(std::string *skip)
{
	std::string errors;
	std::vector<VpxFrame> frames = encodeVpxStream(kStream, skip, &errors);
	EXPECT_EQ(errors, "");
	return frames;
}

/* PSNR of the luma picture areas of two NV12 images. */
double lumaPsnr(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b)
{
	double sse = 0;
	for (int y = 0; y < kHeight; y++)
		for (int x = 0; x < kWidth; x++) {
			int d = a[y * kStride + x] - b[y * kStride + x];
			sse += d * d;
		}
	if (sse == 0)
		return 100;
	return 10 * log10(255.0 * 255.0 * kWidth * kHeight / sse);
}

/* A plain libavcodec decode of the same frames: the shown pictures, in order, in NV12. */
std::vector<std::vector<uint8_t>> referenceDecode(const std::vector<VpxFrame> &frames)
{
	std::string errors;
	std::vector<std::vector<uint8_t>> pictures = test::referenceDecode(
		kStream, frames, kStride, kCapHeight, false, kUntouched, &errors);
	EXPECT_EQ(errors, "");
	return pictures;
}

class Vp9JobTest : public testing::Test
{
protected:
	static void SetUpTestSuite()
	{
		frames_ = new std::vector<VpxFrame>(encodeStream(&skip_));
		if (!frames_->empty())
			reference_ =
				new std::vector<std::vector<uint8_t>>(referenceDecode(*frames_));
	}

	static void TearDownTestSuite()
	{
		delete frames_;
		delete reference_;
		frames_ = nullptr;
		reference_ = nullptr;
	}

	void SetUp() override
	{
		if (frames_->empty())
			GTEST_SKIP() << skip_;

		for (auto &buffer : output_)
			ASSERT_TRUE(buffer->isValid());
		for (auto &buffer : capture_)
			ASSERT_TRUE(buffer->isValid());

		/* A VP9_FRAME control of zeroes: the buffer carries everything. */
		controls_.add(V4L2_CID_STATELESS_VP9_FRAME, v4l2_ctrl_vp9_frame{});
		controls_.add(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
			      v4l2_ctrl_vp9_compressed_hdr{});
	}

	/*
	 * Send @frame as the next job, as the kernel would: OUTPUT and CAPTURE
	 * buffers rotate, every job carries new fds of its buffers.
	 * Returns the job's status; the CAPTURE content is copied to @picture.
	 */
	int runFrame(const std::vector<uint8_t> &frame, std::vector<uint8_t> *picture,
		     uint32_t capWidth = kCapWidth, uint32_t capHeight = kCapHeight)
	{
		unsigned int out = seqno_ % std::size(output_);
		unsigned int cap = seqno_ % std::size(capture_);
		MemfdBuffer &src = *output_[out];
		MemfdBuffer &dst = *capture_[cap];

		/* The bitstream at an offset, as a client may queue it. */
		constexpr uint32_t kOffset = 64;
		EXPECT_LE(frame.size() + kOffset, src.size());
		memset(src.data().data(), 0, src.size());
		memcpy(src.data().data() + kOffset, frame.data(), frame.size());
		memset(dst.data().data(), kUntouched, dst.size());

		JobParams params;
		params.seqno = ++seqno_;
		params.ctxId = 7;
		params.codec = V4L2_PIX_FMT_VP9_FRAME;
		params.capWidth = capWidth;
		params.capHeight = capHeight;
		params.timestamp = seqno_ * 1000;

		daedalus_msg msg = makeJobMessage(params,
						  makeBuffer(1000 + out, out, src.dupFd(),
							     src.size(), frame.size(), kOffset),
						  makeBuffer(2000 + cap, cap, dst.dupFd(),
							     dst.size(), kCaptureSize, 0, kStride),
						  &controls_);

		daedalus_result result;
		EXPECT_TRUE(processor_.handleMessage(msg, controls_.area(), &result));
		EXPECT_EQ(result.seqno, msg.job.seqno);
		if (result.status == 0) {
			EXPECT_EQ(result.num_planes, 1u);
			EXPECT_EQ(result.bytesused[0], kCaptureSize);
		}

		picture->assign(dst.data().begin(), dst.data().begin() + kCaptureSize);
		return result.status;
	}

	/* Every frame through the job path; returns the CAPTURE pictures. */
	std::vector<std::vector<uint8_t>> runStream()
	{
		std::vector<std::vector<uint8_t>> pictures;
		for (const VpxFrame &frame : *frames_) {
			std::vector<uint8_t> picture;
			EXPECT_EQ(runFrame(frame.data, &picture), 0);
			pictures.push_back(std::move(picture));
		}
		return pictures;
	}

	static std::vector<VpxFrame> *frames_;
	static std::vector<std::vector<uint8_t>> *reference_;
	static std::string skip_;

	std::unique_ptr<MemfdBuffer> output_[3] = {
		std::make_unique<MemfdBuffer>(256 * 1024),
		std::make_unique<MemfdBuffer>(256 * 1024),
		std::make_unique<MemfdBuffer>(256 * 1024),
	};
	std::unique_ptr<MemfdBuffer> capture_[4] = {
		std::make_unique<MemfdBuffer>(kCaptureSize + 4096),
		std::make_unique<MemfdBuffer>(kCaptureSize + 4096),
		std::make_unique<MemfdBuffer>(kCaptureSize + 4096),
		std::make_unique<MemfdBuffer>(kCaptureSize + 4096),
	};

	ControlAreaBuilder controls_;
	JobProcessor processor_{ DecoderConfig{ 2 } };
	uint64_t seqno_ = 0;
};

std::vector<VpxFrame> *Vp9JobTest::frames_;
std::vector<std::vector<uint8_t>> *Vp9JobTest::reference_;
std::string Vp9JobTest::skip_;

TEST_F(Vp9JobTest, OnePicturePerFrameIncludingHidden)
{
	const std::vector<VpxFrame> &frames = *frames_;
	size_t shown = 0;
	for (const VpxFrame &frame : frames)
		shown += frame.shown;

	/* The test is only meaningful with hidden alt-ref frames in the stream. */
	ASSERT_EQ(shown, size_t{ kFrames });
	ASSERT_GT(frames.size(), shown) << "the encoder made no hidden frames";
	ASSERT_EQ(reference_->size(), shown);

	unsigned int fdsBefore = openFdCount();
	std::vector<std::vector<uint8_t>> pictures = runStream();
	ASSERT_EQ(pictures.size(), frames.size());

	/* Each buffer mapped once; every other fd closed. */
	EXPECT_EQ(processor_.buffers().size(), std::size(output_) + std::size(capture_));
	EXPECT_EQ(openFdCount(), fdsBefore + std::size(output_) + std::size(capture_));

	size_t next = 0;
	for (size_t i = 0; i < frames.size(); i++) {
		const std::vector<uint8_t> &picture = pictures[i];
		if (frames[i].shown) {
			/* Byte-identical to libavcodec's picture, padding untouched. */
			EXPECT_TRUE(picture == (*reference_)[next])
				<< "shown frame " << next << " (job " << i << ") differs";
			next++;
			continue;
		}

		/*
		 * A hidden alt-ref frame predicts a later shown frame: its picture
		 * must resemble one of the pictures shown after it.
		 */
		double best = 0;
		for (size_t j = next; j < reference_->size(); j++)
			best = std::max(best, lumaPsnr(picture, (*reference_)[j]));
		EXPECT_GT(best, 30.0) << "hidden frame (job " << i << ") is no real picture";

		/* Only the picture area was written. */
		for (uint32_t y = 0; y < kCapHeight; y++)
			for (uint32_t x = kWidth; x < kStride; x++)
				ASSERT_EQ(picture[y * kStride + x], kUntouched) << x << "," << y;
	}
	EXPECT_EQ(next, shown);
}

TEST_F(Vp9JobTest, ResetRestartsTheStream)
{
	std::vector<std::vector<uint8_t>> first = runStream();

	daedalus_result result;
	EXPECT_FALSE(processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_RESET, 7), {}, &result));

	/* After a reset, an inter frame has no references. */
	std::vector<uint8_t> picture;
	testing::internal::CaptureStderr();
	int status = runFrame((*frames_)[1].data, &picture);
	testing::internal::GetCapturedStderr();
	EXPECT_LT(status, 0);

	processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_RESET, 7), {}, &result);
	std::vector<std::vector<uint8_t>> second = runStream();
	ASSERT_EQ(first.size(), second.size());
	for (size_t i = 0; i < first.size(); i++)
		EXPECT_TRUE(first[i] == second[i]) << "job " << i;
}

TEST_F(Vp9JobTest, PictureLargerThanCapture)
{
	std::vector<uint8_t> picture;
	testing::internal::CaptureStderr();
	int status = runFrame((*frames_)[0].data, &picture, 176, 96);
	std::string log = testing::internal::GetCapturedStderr();
	EXPECT_EQ(status, -EINVAL);
	EXPECT_NE(log.find("181x101 picture does not fit the 176x96 NV12 CAPTURE buffer"),
		  std::string::npos)
		<< log;
	/* Black over the 176x96 picture the job had, not an earlier picture. */
	for (size_t i = 0; i < picture.size(); i++) {
		const uint8_t expected = i < kStride * 96    ? 16
					 : i < kStride * 144 ? 128
							     : kUntouched;
		ASSERT_EQ(picture[i], expected) << "byte " << i;
	}

	/* The daemon carries on with the next job. */
	EXPECT_EQ(runFrame((*frames_)[1].data, &picture), 0);
}

TEST_F(Vp9JobTest, ShowExistingFrame)
{
	/*
	 * Clients never send show_existing_frame, but a frame that only shows a
	 * reference is still a picture: the one libavcodec shows for it.
	 */
	const std::vector<uint8_t> showSlot0 = { 0x88 }; /* show_existing_frame, slot 0 */
	std::vector<VpxFrame> stream(frames_->begin(), frames_->begin() + 5);
	stream.push_back({ showSlot0, true });
	std::vector<std::vector<uint8_t>> reference = referenceDecode(stream);
	ASSERT_EQ(reference.size(), 6u);

	std::vector<uint8_t> picture;
	for (const VpxFrame &frame : stream)
		ASSERT_EQ(runFrame(frame.data, &picture), 0);
	EXPECT_TRUE(picture == reference.back());
}

TEST_F(Vp9JobTest, GarbageIsAnErrorNotACrash)
{
	std::vector<uint8_t> garbage(3000);
	for (size_t i = 0; i < garbage.size(); i++)
		garbage[i] = (i * 2654435761u) >> 13;

	std::vector<uint8_t> picture;
	testing::internal::CaptureStderr();
	EXPECT_LT(runFrame(garbage, &picture), 0);
	EXPECT_LT(runFrame(std::vector<uint8_t>(1, 0x82), &picture), 0);
	std::string log = testing::internal::GetCapturedStderr();
	EXPECT_NE(log.find("ERROR"), std::string::npos) << log;

	/* Decoding starts again at the key frame. */
	daedalus_result result;
	processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_RESET, 7), {}, &result);
	EXPECT_EQ(runFrame((*frames_)[0].data, &picture), 0);
}

TEST_F(Vp9JobTest, RefusedWriteGateLeavesCaptureUntouched)
{
	/*
	 * Job 4 ended in the module before its picture was written (watchdog,
	 * cancel): BEGIN_WRITE says -ENOENT and its buffer is the client's
	 * again. The picture is decoded (the stream goes on) but not written.
	 */
	constexpr uint64_t kRefused = 4;
	std::vector<uint64_t> asked;
	processor_.setWriteGateOpener([&](uint64_t seqno) {
		asked.push_back(seqno);
		return seqno == kRefused ? -ENOENT : 0;
	});

	std::vector<std::vector<uint8_t>> pictures;
	std::vector<int> statuses;
	for (const VpxFrame &frame : *frames_) {
		std::vector<uint8_t> picture;
		statuses.push_back(runFrame(frame.data, &picture));
		pictures.push_back(std::move(picture));
	}

	/* Asked once per job, in order, right before writing. */
	ASSERT_EQ(asked.size(), frames_->size());
	for (size_t i = 0; i < asked.size(); i++)
		EXPECT_EQ(asked[i], i + 1);

	for (size_t i = 0; i < statuses.size(); i++) {
		if (i + 1 == kRefused) {
			EXPECT_EQ(statuses[i], -ENOENT);
			EXPECT_TRUE(std::all_of(pictures[i].begin(), pictures[i].end(),
						[](uint8_t b) { return b == kUntouched; }))
				<< "the refused job's CAPTURE buffer was written";
		} else {
			EXPECT_EQ(statuses[i], 0) << "job " << i + 1;
		}
	}

	/* The jobs after it decode as if nothing happened. */
	processor_.setWriteGateOpener({});
	daedalus_result result;
	processor_.handleMessage(makeMessage(DAEDALUS_MSG_CTX_RESET, 7), {}, &result);
	std::vector<std::vector<uint8_t>> again = runStream();
	ASSERT_EQ(again.size(), pictures.size());
	for (size_t i = 0; i < pictures.size(); i++) {
		if (i + 1 != kRefused) {
			EXPECT_TRUE(again[i] == pictures[i]) << "job " << i + 1;
		}
	}
}

} /* namespace */

/*
 * The daemon's way with several contexts: their jobs on JobScheduler's
 * workers, at once, through one processor (its buffer cache, context map
 * and thread budget shared), each context's in order; every context's
 * shown pictures byte-identical to libavcodec's, as when decoded alone.
 */
TEST_F(Vp9JobTest, ContextsDecodeAtOnceOnWorkers)
{
	constexpr unsigned int kContexts = 3;
	const std::vector<VpxFrame> &frames = *frames_;

	struct Stream {
		std::vector<std::unique_ptr<MemfdBuffer>> output, capture;
		std::vector<std::vector<uint8_t>> pictures;
		ControlAreaBuilder controls;
		int failures = 0;
	};
	std::vector<Stream> streams(kContexts);
	for (Stream &stream : streams) {
		for (int i = 0; i < 2; i++)
			stream.output.push_back(std::make_unique<MemfdBuffer>(256 * 1024));
		for (int i = 0; i < 3; i++)
			stream.capture.push_back(
				std::make_unique<MemfdBuffer>(kCaptureSize + 4096));
		stream.controls.add(V4L2_CID_STATELESS_VP9_FRAME, v4l2_ctrl_vp9_frame{});
		stream.controls.add(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
				    v4l2_ctrl_vp9_compressed_hdr{});
	}

	JobProcessor processor{ DecoderConfig{ 2 } };
	std::atomic<uint64_t> seqno = 0;
	{
		JobScheduler scheduler(kContexts);
		/* Interleaved as the module queues them: a job of each context in turn. */
		for (size_t f = 0; f < frames.size(); f++) {
			for (unsigned int c = 0; c < kContexts; c++) {
				scheduler.submit(100 + c, [&, f, c] {
					Stream &stream = streams[c];
					const std::vector<uint8_t> &data = frames[f].data;
					unsigned int out = f % stream.output.size();
					unsigned int cap = f % stream.capture.size();
					MemfdBuffer &src = *stream.output[out];
					MemfdBuffer &dst = *stream.capture[cap];
					memcpy(src.data().data(), data.data(), data.size());
					/* The reference's padding: what the writer must not touch.
					 */
					memset(dst.data().data(), kUntouched, dst.size());

					JobParams params;
					params.seqno = ++seqno;
					params.ctxId = 100 + c;
					params.codec = V4L2_PIX_FMT_VP9_FRAME;
					params.capWidth = kCapWidth;
					params.capHeight = kCapHeight;
					params.timestamp = (f + 1) * 1000;
					daedalus_msg msg = makeJobMessage(
						params,
						makeBuffer(1000 * (c + 1) + out, out, src.dupFd(),
							   src.size(), data.size()),
						makeBuffer(1000 * (c + 1) + 500 + cap, cap,
							   dst.dupFd(), dst.size(), kCaptureSize, 0,
							   kStride),
						&stream.controls);
					daedalus_result result;
					processor.handleMessage(msg, stream.controls.area(),
								&result);
					if (result.status)
						stream.failures++;
					stream.pictures.emplace_back(dst.data().begin(),
								     dst.data().begin() +
									     kCaptureSize);
				});
			}
		}
		scheduler.drain();
	}

	EXPECT_EQ(processor.contextCount(), kContexts);
	EXPECT_EQ(processor.buffers().size(), kContexts * (2 + 3));
	for (unsigned int c = 0; c < kContexts; c++) {
		const Stream &stream = streams[c];
		EXPECT_EQ(stream.failures, 0) << "context " << c;
		ASSERT_EQ(stream.pictures.size(), frames.size());
		size_t next = 0;
		for (size_t i = 0; i < frames.size(); i++) {
			if (!frames[i].shown)
				continue;
			EXPECT_TRUE(stream.pictures[i] == (*reference_)[next])
				<< "context " << c << ": shown frame " << next << " differs";
			next++;
		}
	}
}
