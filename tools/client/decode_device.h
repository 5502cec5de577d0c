/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a stateless client needs of a decoder: formats and buffers for a
 * stream, and one request at a time (OUTPUT data, the controls set in the
 * request, a CAPTURE buffer, a timestamp). V4l2Decoder implements it on a
 * real V4L2 node with the Request API; the unit tests implement it on the
 * daemon's job path in-process.
 *
 * Requests run one at a time: decode() returns when the request has
 * completed and its buffers are back with the client (or held by the driver,
 * for a first field with holdCapture). CAPTURE buffers are therefore never
 * queued while the client keeps them as references.
 */

#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace daedalus::client {

/*
 * One control set in a request: a compound control (@payload, @elems
 * elements for a dynamic array) or, with an empty payload, an integer or
 * menu control (@value).
 */
struct Control {
	uint32_t id = 0;
	std::vector<uint8_t> payload;
	uint32_t elems = 1;
	int32_t value = 0;

	template<typename T> static Control of(uint32_t id, const T &value)
	{
		Control c;
		c.id = id;
		c.payload.resize(sizeof(T));
		memcpy(c.payload.data(), &value, sizeof(T));
		return c;
	}

	template<typename T> static Control array(uint32_t id, std::span<const T> values)
	{
		Control c;
		c.id = id;
		c.payload.resize(values.size_bytes());
		if (!values.empty())
			memcpy(c.payload.data(), values.data(), values.size_bytes());
		c.elems = values.size();
		return c;
	}

	static Control integer(uint32_t id, int32_t value)
	{
		Control c;
		c.id = id;
		c.value = value;
		return c;
	}
};

/* What a stream needs: set with configure() before the first request. */
struct StreamFormat {
	/* V4L2_PIX_FMT_H264_SLICE, V4L2_PIX_FMT_VP9_FRAME, V4L2_PIX_FMT_AV1_FRAME. */
	uint32_t codec = 0;
	/* The coded size (of the largest frame of the sequence). */
	uint32_t width = 0;
	uint32_t height = 0;
	/* The largest OUTPUT payload the client expects. */
	size_t outputSize = 0;
	unsigned int outputCount = 3;
	/* References, the picture being decoded and a few more. */
	unsigned int captureCount = 0;
};

/* The NV12 CAPTURE buffers: @height luma lines of @stride bytes, then chroma. */
struct CaptureFormat {
	uint32_t width = 0;
	uint32_t height = 0;
	uint32_t stride = 0;
};

struct DecodeRequest {
	std::span<const uint8_t> data;
	/* The controls set in this request (earlier values persist in the driver). */
	std::span<const Control> controls;
	unsigned int capture = 0;
	/* Nanoseconds; a whole number of microseconds (V4L2 carries a timeval). */
	uint64_t timestamp = 0;
	/* V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF: the CAPTURE buffer stays for the next field. */
	bool holdCapture = false;
};

class DecodeDevice
{
public:
	virtual ~DecodeDevice() = default;

	/*
	 * Start a stream (again) with @format: new buffers, no references.
	 * Returns 0 or a negative errno (failure() says why).
	 */
	virtual int configure(const StreamFormat &format) = 0;

	virtual const CaptureFormat &captureFormat() const = 0;
	virtual unsigned int captureCount() const = 0;

	/*
	 * Run one request to its end. Returns 0 when the picture was decoded,
	 * a negative errno when the request failed; when failure() is set as
	 * well, the device cannot go on.
	 */
	virtual int decode(const DecodeRequest &request) = 0;

	/* The bytes of CAPTURE buffer @index (valid while it is not queued). */
	virtual std::span<const uint8_t> capture(unsigned int index) const = 0;

	/* Forget references and queued work, as OUTPUT STREAMOFF does (a seek). */
	virtual int reset() = 0;

	/* Why the device cannot go on; empty while it can. */
	virtual const std::string &failure() const = 0;
};

} /* namespace daedalus::client */
