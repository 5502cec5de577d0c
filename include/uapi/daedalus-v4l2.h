/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * daedalus-v4l2: the protocol between the kernel module and the decoding
 * daemon.
 *
 * The module exposes a character device, /dev/daedalus-v4l2. Exactly one
 * daemon may attach to it. The daemon polls the device; when it is readable,
 * DAEDALUS_IOC_FETCH hands over one message (a decode job, or news about a
 * context or a buffer). The daemon answers each job with DAEDALUS_IOC_COMPLETE.
 *
 * The CAPTURE buffer of a job may be written only between a successful
 * DAEDALUS_IOC_BEGIN_WRITE for that job and its DAEDALUS_IOC_COMPLETE: once
 * the watchdog or the client has ended a job its buffer is back with the
 * client, and BEGIN_WRITE fails with -ENOENT. A daemon that has begun writing
 * and does not answer within the job timeout is treated like a hung hardware
 * block: the module kills it and fails the job when its file is released,
 * which is after its mappings are gone.
 *
 * Pixels and bitstream never travel through this interface: a job names its
 * OUTPUT (bitstream) and CAPTURE (picture) buffers by a 64-bit id and carries
 * a dma-buf file descriptor for each of their planes, installed in the daemon
 * by DAEDALUS_IOC_FETCH. The daemon owns those fds and closes them. It maps
 * each buffer once, the first time it sees its id, and keeps the mapping
 * until DAEDALUS_MSG_BUF_FREE or DAEDALUS_MSG_CTX_CLOSE tells it the memory
 * is gone; later fds of a buffer it has mapped are simply closed.
 *
 * The control values that apply to the job's request travel in a
 * daemon-provided area as a sequence of records (struct daedalus_ctrl),
 * each followed by the control's payload, laid out exactly as the V4L2
 * stateless control structures of <linux/v4l2-controls.h>.
 *
 * All structures have fixed-width fields and explicit padding; their sizes
 * are checked at compile time on both sides and at attach time.
 */
#ifndef _UAPI_DAEDALUS_V4L2_H
#define _UAPI_DAEDALUS_V4L2_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DAEDALUS_PROTOCOL_VERSION	2
#define DAEDALUS_DEVICE_NAME		"daedalus-v4l2"

#define DAEDALUS_MAX_PLANES		4

/* Every control record and its payload start at a multiple of this. */
#define DAEDALUS_CTRL_ALIGN		8

/**
 * struct daedalus_attach - DAEDALUS_IOC_ATTACH argument
 * @version: in: DAEDALUS_PROTOCOL_VERSION of the daemon; out: the module's
 * @msg_size: in: sizeof(struct daedalus_msg) as the daemon knows it
 * @result_size: in: sizeof(struct daedalus_result) as the daemon knows it
 * @max_ctrl_bytes: out: the largest control area a job can need; the
 *	daemon's area passed to DAEDALUS_IOC_FETCH must be at least this big
 * @job_timeout_ms: out: how long the module waits for the daemon to fetch a
 *	job, and then for its answer, before it fails the job
 * @max_contexts: out: how many contexts the module lets decode at once (a
 *	context decodes from its first CAPTURE STREAMON to its close); the
 *	daemon may size its budgets by it
 * @reserved: must be zero
 */
struct daedalus_attach {
	__u32 version;
	__u32 msg_size;
	__u32 result_size;
	__u32 max_ctrl_bytes;
	__u32 job_timeout_ms;
	__u32 max_contexts;
	__u32 reserved[2];
};

/**
 * struct daedalus_ctrl - header of one control record in the control area
 * @id: the V4L2 control id (V4L2_CID_STATELESS_*)
 * @size: bytes of payload following this header (elems * element size)
 * @elems: number of elements (1 for a plain compound control, the current
 *	length for a dynamic array)
 * @reserved: zero
 *
 * The next record starts at the next multiple of DAEDALUS_CTRL_ALIGN after
 * the payload.
 */
struct daedalus_ctrl {
	__u32 id;
	__u32 size;
	__u32 elems;
	__u32 reserved;
};

/**
 * struct daedalus_plane - one plane of a buffer
 * @fd: a dma-buf fd for this plane's memory, installed in the daemon by
 *	DAEDALUS_IOC_FETCH; the daemon owns it and must close it
 * @length: size of the plane's memory (the dma-buf) in bytes
 * @offset: where the plane's data starts in that memory
 * @bytesused: OUTPUT: bytes of bitstream from @offset; CAPTURE: plane size
 * @stride: CAPTURE: bytes per line of the plane's first component; else 0
 * @reserved: zero
 */
struct daedalus_plane {
	__s32 fd;
	__u32 length;
	__u32 offset;
	__u32 bytesused;
	__u32 stride;
	__u32 reserved;
};

/**
 * struct daedalus_buffer - a V4L2 buffer as the daemon sees it
 * @id: identity of the buffer's memory, never reused while the module is
 *	loaded; a new id means new memory (re-allocation, other dma-buf)
 * @index: the V4L2 buffer index (for logs)
 * @num_planes: valid entries in @planes
 * @planes: the planes
 */
struct daedalus_buffer {
	__u64 id;
	__u32 index;
	__u32 num_planes;
	struct daedalus_plane planes[DAEDALUS_MAX_PLANES];
};

/* The CAPTURE buffer is held: the next job of the context (the second field
 * of the same frame) writes into the same buffer.
 */
#define DAEDALUS_JOB_FL_HOLD_CAPTURE	(1U << 0)

/**
 * struct daedalus_job - one decode request
 * @seqno: job number, unique while the module is loaded; echo it in
 *	struct daedalus_result
 * @timestamp: the OUTPUT buffer's timestamp in ns (copied to CAPTURE);
 *	reference controls name pictures by these
 * @ctx_id: the context (an open file of the video node), never reused while
 *	the module is loaded
 * @codec: V4L2 fourcc of the OUTPUT format (V4L2_PIX_FMT_H264_SLICE, ...)
 * @flags: DAEDALUS_JOB_FL_*
 * @ctrl_bytes: bytes used in the control area
 * @ctrl_count: records in the control area
 * @sequence: the context's CAPTURE sequence number of this job
 * @width: OUTPUT format width (coded size as the client set it)
 * @height: OUTPUT format height
 * @cap_fourcc: CAPTURE pixel format (V4L2_PIX_FMT_NV12, ...)
 * @cap_width: CAPTURE format width (multiple of the codec's block size)
 * @cap_height: CAPTURE format height
 * @colorspace: enum v4l2_colorspace of the CAPTURE format
 * @xfer_func: enum v4l2_xfer_func of the CAPTURE format
 * @ycbcr_enc: enum v4l2_ycbcr_encoding of the CAPTURE format
 * @quantization: enum v4l2_quantization of the CAPTURE format
 * @reserved: zero
 * @src: the OUTPUT (bitstream) buffer
 * @dst: the CAPTURE (picture) buffer
 */
struct daedalus_job {
	__u64 seqno;
	__u64 timestamp;
	__u64 ctx_id;
	__u32 codec;
	__u32 flags;
	__u32 ctrl_bytes;
	__u32 ctrl_count;
	__u32 sequence;
	__u32 width;
	__u32 height;
	__u32 cap_fourcc;
	__u32 cap_width;
	__u32 cap_height;
	__u32 colorspace;
	__u32 xfer_func;
	__u32 ycbcr_enc;
	__u32 quantization;
	__u32 reserved[4];
	struct daedalus_buffer src;
	struct daedalus_buffer dst;
};

enum daedalus_msg_type {
	/* a decode job: @job is valid, the control area is filled */
	DAEDALUS_MSG_JOB = 1,
	/* the context @ctx_id was closed: drop its state and buffers */
	DAEDALUS_MSG_CTX_CLOSE = 2,
	/* the memory of buffer @buf_id of context @ctx_id is gone: unmap it */
	DAEDALUS_MSG_BUF_FREE = 3,
	/* decoding of context @ctx_id restarts (OUTPUT STREAMOFF): forget
	 * references and stream state, keep buffers
	 */
	DAEDALUS_MSG_CTX_RESET = 4,
};

/**
 * struct daedalus_msg - DAEDALUS_IOC_FETCH argument
 * @type: out: enum daedalus_msg_type
 * @ctrl_size: in: size in bytes of the control area, at least max_ctrl_bytes
 * @ctx_id: out: the context the message is about
 * @buf_id: out: DAEDALUS_MSG_BUF_FREE: the buffer
 * @ctrl_ptr: in: user address of the control area
 * @reserved: in: must be zero (-EINVAL otherwise)
 * @job: out: DAEDALUS_MSG_JOB: the job
 */
struct daedalus_msg {
	__u32 type;
	__u32 ctrl_size;
	__u64 ctx_id;
	__u64 buf_id;
	__u64 ctrl_ptr;
	__u32 reserved[2];
	struct daedalus_job job;
};

/**
 * struct daedalus_result - DAEDALUS_IOC_COMPLETE argument
 * @seqno: the job's seqno
 * @status: 0 when the picture was written, else a negative errno; the
 *	request then completes with its buffers marked ERROR
 * @num_planes: entries of @bytesused that are valid (0: full planes)
 * @bytesused: bytes written per CAPTURE plane
 * @reserved: must be zero (-EINVAL otherwise)
 *
 * A status of 0 is accepted only after a successful DAEDALUS_IOC_BEGIN_WRITE
 * of the job: otherwise the job fails (-EIO) and COMPLETE returns -EINVAL.
 */
struct daedalus_result {
	__u64 seqno;
	__s32 status;
	__u32 num_planes;
	__u32 bytesused[DAEDALUS_MAX_PLANES];
	__u32 reserved[2];
};

/**
 * struct daedalus_write - DAEDALUS_IOC_BEGIN_WRITE argument
 * @seqno: the job whose CAPTURE buffer the daemon is about to write
 * @reserved: must be zero
 *
 * Returns 0: the buffer is the daemon's until it answers the job; -ENOENT:
 * the job has ended already (watchdog, cancel), the buffer must not be
 * touched and the answer is not needed.
 */
struct daedalus_write {
	__u64 seqno;
	__u32 reserved[2];
};

#define DAEDALUS_IOC_MAGIC	0xDA
#define DAEDALUS_IOC_ATTACH \
	_IOWR(DAEDALUS_IOC_MAGIC, 0, struct daedalus_attach)
#define DAEDALUS_IOC_FETCH \
	_IOWR(DAEDALUS_IOC_MAGIC, 1, struct daedalus_msg)
#define DAEDALUS_IOC_COMPLETE \
	_IOW(DAEDALUS_IOC_MAGIC, 2, struct daedalus_result)
#define DAEDALUS_IOC_BEGIN_WRITE \
	_IOW(DAEDALUS_IOC_MAGIC, 3, struct daedalus_write)

/* The layout is part of the protocol: both builds check it. */
#if defined(__KERNEL__)
#include <linux/build_bug.h>
#elif !defined(__cplusplus)
#include <assert.h>
#endif
#define DAEDALUS_ASSERT_SIZE(type, size) \
	static_assert(sizeof(type) == (size), "layout of " #type)
DAEDALUS_ASSERT_SIZE(struct daedalus_attach, 32);
DAEDALUS_ASSERT_SIZE(struct daedalus_ctrl, 16);
DAEDALUS_ASSERT_SIZE(struct daedalus_plane, 24);
DAEDALUS_ASSERT_SIZE(struct daedalus_buffer, 112);
DAEDALUS_ASSERT_SIZE(struct daedalus_job, 320);
DAEDALUS_ASSERT_SIZE(struct daedalus_msg, 360);
DAEDALUS_ASSERT_SIZE(struct daedalus_result, 40);
DAEDALUS_ASSERT_SIZE(struct daedalus_write, 16);

#endif /* _UAPI_DAEDALUS_V4L2_H */
