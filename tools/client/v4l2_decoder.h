/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A V4L2 stateless decoder node driven as GStreamer's v4l2codecs and FFmpeg's
 * v4l2-request hwaccel drive it, through the public uAPI only
 * (<linux/videodev2.h>, <linux/media.h>):
 *
 *  - discovery: media devices whose topology (MEDIA_IOC_G_TOPOLOGY) has an
 *    entity of function MEDIA_ENT_F_PROC_VIDEO_DECODER with data links to
 *    I/O entities, whose interface is the video node;
 *  - a stream: S_FMT OUTPUT with the coded size, G_FMT CAPTURE (NV12, set
 *    if the driver proposes another format), REQBUFS MMAP on both queues,
 *    STREAMON;
 *  - a request: OUTPUT buffer filled, controls set with
 *    V4L2_CTRL_WHICH_REQUEST_VAL, OUTPUT and CAPTURE buffers queued,
 *    MEDIA_REQUEST_IOC_QUEUE, poll of the request fd for 2 s (FFmpeg's
 *    limit), DQBUF of both buffers and V4L2_BUF_FLAG_ERROR checked, the
 *    request re-initialised (MEDIA_REQUEST_IOC_REINIT) for reuse.
 *
 * Single- and multi-planar queues are handled; the CAPTURE format must be
 * single-plane NV12.
 */

#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <daedalus/unique_fd.h>

#include "decode_device.h"
#include "mapped_memory.h"

namespace daedalus::client {

/* A decoder's video node and the media device its requests come from. */
struct DecoderNode {
	std::string video;
	std::string media;
	/* The media device's driver and model (MEDIA_IOC_DEVICE_INFO). */
	std::string driver;
	std::string model;
};

/* The stateless decoders of the system, as GStreamer and FFmpeg find them. */
std::vector<DecoderNode> findDecoders();

/*
 * The decoder whose video node is @video (its media device found through
 * the topologies). Returns 0, or a negative errno with @error set.
 */
int findDecoder(const std::string &video, DecoderNode *node, std::string *error);

class V4l2Decoder : public DecodeDevice
{
public:
	explicit V4l2Decoder(const DecoderNode &node);
	~V4l2Decoder() override;

	V4l2Decoder(const V4l2Decoder &) = delete;
	V4l2Decoder &operator=(const V4l2Decoder &) = delete;

	/* Open the nodes and check the capabilities. Returns 0 or a negative errno. */
	int open();

	const DecoderNode &node() const { return node_; }
	const std::string &card() const { return card_; }

	/* Whether ENUM_FMT lists @fourcc on the OUTPUT queue. */
	bool offersCodec(uint32_t fourcc);

	int configure(const StreamFormat &format) override;
	const CaptureFormat &captureFormat() const override { return captureFormat_; }
	unsigned int captureCount() const override { return capture_.size(); }
	int decode(const DecodeRequest &request) override;
	std::span<const uint8_t> capture(unsigned int index) const override;
	int reset() override;
	const std::string &failure() const override { return failure_; }

	/* Why the last request failed, when it failed without failure(). */
	const std::string &lastRequestError() const { return lastRequestError_; }

	/* How long a request may take (FFmpeg waits 2 s). */
	void setRequestTimeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

private:
	struct Buffer {
		MappedMemory memory;
		/* CAPTURE: queued (or held by the driver for a second field). */
		bool queued = false;
	};

	int fail(int ret, const std::string &what);
	int ioctl(unsigned long request, void *arg, int fd = -1);
	int stopStreaming();
	int startStreaming();
	int freeBuffers();
	int allocate(uint32_t type, unsigned int count, std::vector<Buffer> *buffers);
	int setFormats(const StreamFormat &format);
	int queue(uint32_t type, unsigned int index, const DecodeRequest *request, int requestFd);
	int dequeue(uint32_t type, unsigned int expected, bool *error);

	DecoderNode node_;
	std::string card_;
	UniqueFD video_;
	UniqueFD media_;
	bool multiplanar_ = false;
	uint32_t outputType_ = 0;
	uint32_t captureType_ = 0;
	bool streaming_ = false;

	std::vector<Buffer> output_;
	std::vector<Buffer> capture_;
	unsigned int nextOutput_ = 0;
	CaptureFormat captureFormat_;

	/* Requests for reuse (re-initialised), one per OUTPUT buffer. */
	std::vector<UniqueFD> requests_;
	std::chrono::milliseconds timeout_{ 2000 };
	std::string lastRequestError_;
	std::string failure_;
};

} /* namespace daedalus::client */
