/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP8 and 10-bit VP9 (profile 2) through the daemon's job path, as kernel
 * jobs arrive: one frame per OUTPUT buffer, one CAPTURE picture per request,
 * frames never shown (VP8 alt-ref frames with show_frame = 0, VP9 hidden
 * alt-refs) included. Streams are encoded here with libvpx; every shown
 * picture must be the one a plain libavcodec decode of the same frames gives,
 * in NV12 (VP8) or P010 (VP9 profile 2).
 */

#include <cstring>
#include <gtest/gtest.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>
#include <memory>
#include <string>
#include <vector>

#include "job_processor.h"
#include "picture_writer.h"
#include "test_buffers.h"
#include "vpx_streams.h"

using namespace daedalus;
using namespace daedalus::test;

namespace {

constexpr int kWidth = 181;
constexpr int kHeight = 101;
constexpr int kFrames = 30;
constexpr uint32_t kCapWidth = 192;
constexpr uint32_t kCapHeight = 112;
constexpr uint8_t kUntouched = 0xee;

/* What a stream is made of and how its pictures are laid out. */
struct Flavour {
	VpxStream stream;
	uint32_t outputFourcc;
	CaptureFormat capture;
	uint32_t stride;
};

const Flavour kVp8{ { "libvpx", AV_CODEC_ID_VP8, AV_PIX_FMT_YUV420P, kWidth, kHeight, kFrames },
		    V4L2_PIX_FMT_VP8_FRAME,
		    CaptureFormat::Nv12,
		    512 };
const Flavour kVp9Profile2{ { "libvpx-vp9", AV_CODEC_ID_VP9, AV_PIX_FMT_YUV420P10LE, kWidth,
			      kHeight, kFrames },
			    V4L2_PIX_FMT_VP9_FRAME,
			    CaptureFormat::P010,
			    512 };

class VpxJobTest : public testing::TestWithParam<const Flavour *>
{
protected:
	void SetUp() override
	{
		flavour_ = GetParam();
		std::string skip, errors;
		frames_ = encodeVpxStream(flavour_->stream, &skip, &errors);
		EXPECT_EQ(errors, "");
		if (frames_.empty())
			GTEST_SKIP() << skip;
		reference_ = referenceDecode(flavour_->stream, frames_, flavour_->stride,
					     kCapHeight, flavour_->capture == CaptureFormat::P010,
					     kUntouched, &errors);
		EXPECT_EQ(errors, "");

		if (flavour_->stream.codec == AV_CODEC_ID_VP9) {
			v4l2_ctrl_vp9_frame vp9{};
			vp9.profile = 2;
			vp9.bit_depth = 10;
			controls_.add(V4L2_CID_STATELESS_VP9_FRAME, vp9);
			controls_.add(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
				      v4l2_ctrl_vp9_compressed_hdr{});
		} else {
			/* The buffer carries the whole frame; the control is redundant. */
			controls_.add(V4L2_CID_STATELESS_VP8_FRAME, v4l2_ctrl_vp8_frame{});
		}
	}

	/* @frame as the next job into a CAPTURE buffer of @format; the picture into @picture. */
	int runFrame(const std::vector<uint8_t> &frame, std::vector<uint8_t> *picture,
		     CaptureFormat format)
	{
		unsigned int slot = seqno_ % std::size(output_);
		MemfdBuffer &src = *output_[slot];
		MemfdBuffer &dst = *capture_[slot];
		const uint32_t size = nv12Size(flavour_->stride, kCapHeight);
		EXPECT_LE(frame.size(), src.size());
		memcpy(src.data().data(), frame.data(), frame.size());
		memset(dst.data().data(), kUntouched, dst.size());

		JobParams params;
		params.seqno = ++seqno_;
		params.ctxId = 3;
		params.codec = flavour_->outputFourcc;
		params.capFourcc = format == CaptureFormat::P010 ? V4L2_PIX_FMT_P010
								 : V4L2_PIX_FMT_NV12;
		params.capWidth = kCapWidth;
		params.capHeight = kCapHeight;
		params.timestamp = seqno_ * 1000;

		daedalus_msg msg = makeJobMessage(
			params, makeBuffer(100 + slot, slot, src.dupFd(), src.size(), frame.size()),
			makeBuffer(200 + slot, slot, dst.dupFd(), dst.size(), size, 0,
				   flavour_->stride),
			&controls_);
		daedalus_result result;
		EXPECT_TRUE(processor_.handleMessage(msg, controls_.area(), &result));
		picture->assign(dst.data().begin(), dst.data().begin() + size);
		return result.status;
	}

	const Flavour *flavour_ = nullptr;
	std::vector<VpxFrame> frames_;
	std::vector<std::vector<uint8_t>> reference_;
	ControlAreaBuilder controls_;
	JobProcessor processor_{ DecoderConfig{ 1 } };
	uint64_t seqno_ = 0;
	std::unique_ptr<MemfdBuffer> output_[3] = {
		std::make_unique<MemfdBuffer>(256 * 1024),
		std::make_unique<MemfdBuffer>(256 * 1024),
		std::make_unique<MemfdBuffer>(256 * 1024),
	};
	std::unique_ptr<MemfdBuffer> capture_[3] = {
		std::make_unique<MemfdBuffer>(nv12Size(512, kCapHeight)),
		std::make_unique<MemfdBuffer>(nv12Size(512, kCapHeight)),
		std::make_unique<MemfdBuffer>(nv12Size(512, kCapHeight)),
	};
};

TEST_P(VpxJobTest, EveryRequestGetsItsPicture)
{
	unsigned int hidden = 0, shown = 0;
	for (const VpxFrame &frame : frames_) {
		std::vector<uint8_t> picture;
		ASSERT_EQ(runFrame(frame.data, &picture, flavour_->capture), 0);
		/* A hidden frame's picture is written too, but nobody shows it. */
		if (!frame.shown) {
			hidden++;
			EXPECT_NE(picture, std::vector<uint8_t>(picture.size(), kUntouched));
			continue;
		}
		ASSERT_LT(shown, reference_.size());
		EXPECT_EQ(picture, reference_[shown]) << "shown picture " << shown;
		shown++;
	}
	EXPECT_EQ(shown, reference_.size());
	EXPECT_EQ(shown, unsigned{ kFrames });
	/* The stream must test frames that are never shown. */
	EXPECT_GT(hidden, 0u);
}

TEST_P(VpxJobTest, WrongBitDepthFailsCleanly)
{
	/* The CAPTURE format of the other bit depth: refused, the buffer black. */
	const CaptureFormat wrong = flavour_->capture == CaptureFormat::P010 ? CaptureFormat::Nv12
									     : CaptureFormat::P010;
	std::vector<uint8_t> picture;
	testing::internal::CaptureStderr();
	EXPECT_EQ(runFrame(frames_[0].data, &picture, wrong), -EPROTO);
	std::string log = testing::internal::GetCapturedStderr();
	EXPECT_NE(log.find("-bit picture cannot go into the"), std::string::npos) << log;
	const size_t luma = size_t{ flavour_->stride } * kCapHeight;
	ASSERT_EQ(picture.size(), nv12Size(flavour_->stride, kCapHeight));
	for (size_t i = 0; i < picture.size(); i++) {
		if (wrong == CaptureFormat::Nv12) {
			ASSERT_EQ(picture[i], i < luma ? 16 : 128) << "byte " << i;
		} else {
			/* 10-bit 64 and 512 in the top bits of little-endian samples. */
			const uint16_t sample = i < luma ? 64 << 6 : 512 << 6;
			ASSERT_EQ(picture[i], i % 2 ? sample >> 8 : sample & 0xff) << "byte " << i;
		}
	}
}

INSTANTIATE_TEST_SUITE_P(Codecs, VpxJobTest, testing::Values(&kVp8, &kVp9Profile2),
			 [](const testing::TestParamInfo<const Flavour *> &info) {
				 return info.param == &kVp8 ? std::string("Vp8")
							    : std::string("Vp9Profile2");
			 });

} /* namespace */
