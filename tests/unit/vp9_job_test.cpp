/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP9 through the daemon's job path, exactly as kernel jobs arrive: one
 * frame per OUTPUT buffer (superframes split), memfd buffers, one CAPTURE
 * picture per request, hidden alt-ref frames included.
 */

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>
#include <memory>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavutil/opt.h>
}

#include "ffmpeg_decoder.h"
#include "job_processor.h"
#include "picture_writer.h"
#include "test_buffers.h"

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

struct BsfDeleter {
	void operator()(AVBSFContext *bsf) const { av_bsf_free(&bsf); }
};

struct Vp9Frame {
	std::vector<uint8_t> data;
	bool shown;
};

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
		read(); /* reserved_zero */
	if (read()) /* show_existing_frame */
		return true;
	read(); /* frame_type */
	return read();
}

void fillPattern(AVFrame *frame, int index)
{
	for (int y = 0; y < frame->height; y++)
		for (int x = 0; x < frame->width; x++) {
			/* A square moving over a still gradient. */
			bool square = x >= 10 + 4 * index && x < 50 + 4 * index &&
				      y >= 20 + index && y < 60 + index;
			frame->data[0][y * frame->linesize[0] + x] = square ? 235
									    : (x + y * 2) & 0xff;
		}
	for (int y = 0; y < (frame->height + 1) / 2; y++)
		for (int x = 0; x < (frame->width + 1) / 2; x++) {
			frame->data[1][y * frame->linesize[1] + x] = 128 + ((x - y) & 31);
			frame->data[2][y * frame->linesize[2] + x] = 128 - ((x + y) & 31);
		}
}

/*
 * Encode kFrames frames with hidden alt-ref frames and split the superframes.
 * Returns an empty vector (and sets @skip) when the encoder is missing.
 */
std::vector<Vp9Frame> encodeStream(std::string *skip)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libvpx-vp9");
	if (!codec) {
		*skip = "libavcodec has no libvpx-vp9 encoder";
		return {};
	}

	AVCodecContextPtr enc(avcodec_alloc_context3(codec));
	enc->width = kWidth;
	enc->height = kHeight;
	enc->pix_fmt = AV_PIX_FMT_YUV420P;
	enc->time_base = { 1, 30 };
	enc->framerate = { 30, 1 };
	enc->gop_size = 100;
	enc->bit_rate = 300000;
	/*
	 * Hidden alt-ref frames. libvpx makes them in one-pass encoding only in
	 * realtime mode at speed 5 and above (use_altref_onepass), VBR, with
	 * look-ahead; the first arrives around frame 11 and needs the
	 * following frames to exist.
	 */
	av_opt_set_int(enc->priv_data, "auto-alt-ref", 1, 0);
	av_opt_set_int(enc->priv_data, "lag-in-frames", 16, 0);
	av_opt_set(enc->priv_data, "deadline", "realtime", 0);
	av_opt_set_int(enc->priv_data, "cpu-used", 6, 0);
	if (avcodec_open2(enc.get(), codec, nullptr) < 0) {
		*skip = "cannot open the libvpx-vp9 encoder";
		return {};
	}

	const AVBitStreamFilter *filter = av_bsf_get_by_name("vp9_superframe_split");
	if (!filter) {
		*skip = "libavcodec has no vp9_superframe_split bitstream filter";
		return {};
	}
	AVBSFContext *rawBsf = nullptr;
	EXPECT_EQ(av_bsf_alloc(filter, &rawBsf), 0);
	std::unique_ptr<AVBSFContext, BsfDeleter> bsf(rawBsf);
	avcodec_parameters_from_context(bsf->par_in, enc.get());
	EXPECT_EQ(av_bsf_init(bsf.get()), 0);

	std::vector<Vp9Frame> frames;
	AVPacketPtr packet(av_packet_alloc());
	AVFramePtr frame(av_frame_alloc());
	frame->width = kWidth;
	frame->height = kHeight;
	frame->format = AV_PIX_FMT_YUV420P;
	EXPECT_EQ(av_frame_get_buffer(frame.get(), 0), 0);

	auto drain = [&]() {
		while (avcodec_receive_packet(enc.get(), packet.get()) == 0) {
			EXPECT_EQ(av_bsf_send_packet(bsf.get(), packet.get()), 0);
			while (av_bsf_receive_packet(bsf.get(), packet.get()) == 0) {
				std::vector<uint8_t> data(packet->data,
							  packet->data + packet->size);
				frames.push_back({ data, vp9ShowFrame(data) });
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

/* An independent NV12 conversion of a decoded frame, the reference. */
std::vector<uint8_t> toNv12(const AVFrame *frame)
{
	std::vector<uint8_t> out(kCaptureSize, kUntouched);
	for (int y = 0; y < frame->height; y++)
		for (int x = 0; x < frame->width; x++)
			out[y * kStride + x] = frame->data[0][y * frame->linesize[0] + x];
	for (int y = 0; y < (frame->height + 1) / 2; y++)
		for (int x = 0; x < (frame->width + 1) / 2; x++) {
			size_t pos = kStride * kCapHeight + y * kStride + 2 * x;
			out[pos] = frame->data[1][y * frame->linesize[1] + x];
			out[pos + 1] = frame->data[2][y * frame->linesize[2] + x];
		}
	return out;
}

/* A plain libavcodec decode of the same packets: the shown pictures, in order. */
std::vector<std::vector<uint8_t>> referenceDecode(const std::vector<Vp9Frame> &frames)
{
	std::vector<std::vector<uint8_t>> pictures;
	AVCodecContextPtr dec(avcodec_alloc_context3(avcodec_find_decoder(AV_CODEC_ID_VP9)));
	dec->thread_count = 1;
	EXPECT_EQ(avcodec_open2(dec.get(), dec->codec, nullptr), 0);

	AVPacketPtr packet(av_packet_alloc());
	AVFramePtr frame(av_frame_alloc());
	auto receive = [&]() {
		while (avcodec_receive_frame(dec.get(), frame.get()) == 0) {
			EXPECT_EQ(frame->format, AV_PIX_FMT_YUV420P);
			pictures.push_back(toNv12(frame.get()));
			av_frame_unref(frame.get());
		}
	};

	for (const Vp9Frame &vp9 : frames) {
		EXPECT_EQ(av_new_packet(packet.get(), vp9.data.size()), 0);
		memcpy(packet->data, vp9.data.data(), vp9.data.size());
		EXPECT_EQ(avcodec_send_packet(dec.get(), packet.get()), 0);
		av_packet_unref(packet.get());
		receive();
	}
	avcodec_send_packet(dec.get(), nullptr);
	receive();
	return pictures;
}

class Vp9JobTest : public testing::Test
{
protected:
	static void SetUpTestSuite()
	{
		frames_ = new std::vector<Vp9Frame>(encodeStream(&skip_));
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
		for (const Vp9Frame &frame : *frames_) {
			std::vector<uint8_t> picture;
			EXPECT_EQ(runFrame(frame.data, &picture), 0);
			pictures.push_back(std::move(picture));
		}
		return pictures;
	}

	static std::vector<Vp9Frame> *frames_;
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

std::vector<Vp9Frame> *Vp9JobTest::frames_;
std::vector<std::vector<uint8_t>> *Vp9JobTest::reference_;
std::string Vp9JobTest::skip_;

TEST_F(Vp9JobTest, OnePicturePerFrameIncludingHidden)
{
	const std::vector<Vp9Frame> &frames = *frames_;
	size_t shown = 0;
	for (const Vp9Frame &frame : frames)
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
	std::vector<Vp9Frame> stream(frames_->begin(), frames_->begin() + 5);
	stream.push_back({ showSlot0, true });
	std::vector<std::vector<uint8_t>> reference = referenceDecode(stream);
	ASSERT_EQ(reference.size(), 6u);

	std::vector<uint8_t> picture;
	for (const Vp9Frame &frame : stream)
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

} /* namespace */
