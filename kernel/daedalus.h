/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daedalus-v4l2: a V4L2 stateless decoder whose decoding is done by a
 * user-space daemon.
 *
 * Copyright (C) 2026 The daedalus-v4l2 authors
 */
#ifndef _DAEDALUS_H_
#define _DAEDALUS_H_

#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <media/media-device.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-device.h>
#include <media/v4l2-mem2mem.h>
#include <media/videobuf2-v4l2.h>

#include <uapi/daedalus-v4l2.h>

#include "daedalus-compat.h"

#define DAEDALUS_CARD		"daedalus-v4l2"

/* OUTPUT buffers: at least this big, and never bigger than the limit. */
#define DAEDALUS_MIN_CODED_SIZE	(256U * 1024U)
#define DAEDALUS_MAX_CODED_SIZE	(64U * 1024U * 1024U)

/* The largest CAPTURE plane: the largest frame in P010 (2 bytes, 4:2:0). */
#define DAEDALUS_MAX_PICTURE_SIZE	(4096U * 2304U * 3U)

/* The largest control area one job can need (checked per job). */
#define DAEDALUS_MAX_CTRL_BYTES	(64 * 1024)

extern unsigned int daedalus_job_timeout_ms;
extern unsigned int daedalus_debug;
extern unsigned int daedalus_max_contexts;
extern unsigned int daedalus_max_pixels;
extern unsigned int daedalus_max_inflight;
extern int daedalus_dma_contig;

/* The most jobs of one context the daemon may hold (max_inflight). */
#define DAEDALUS_MAX_INFLIGHT	32

#define daedalus_dbg(dev, fmt, ...)					\
	do {								\
		if (daedalus_debug)					\
			v4l2_info(&(dev)->v4l2_dev, fmt, ##__VA_ARGS__);\
	} while (0)

enum daedalus_codec {
	DAEDALUS_CODEC_H264,
	DAEDALUS_CODEC_VP9,
	DAEDALUS_CODEC_AV1,
	DAEDALUS_CODEC_VP8,
	DAEDALUS_CODEC_COUNT,
};

/**
 * struct daedalus_coded_fmt - an OUTPUT (bitstream) format
 * @fourcc: the V4L2 pixel format
 * @codec: the codec it carries
 * @frmsize: the sizes the decoder accepts
 * @align: CAPTURE width and height are rounded up to a multiple of this
 * @seq_ctrl: the control that says the stream's bit depth, or 0 (8-bit only)
 */
struct daedalus_coded_fmt {
	u32 fourcc;
	enum daedalus_codec codec;
	struct v4l2_frmsize_stepwise frmsize;
	unsigned int align;
	u32 seq_ctrl;
};

/**
 * struct daedalus_ctrl_desc - a control the decoder exposes
 * @cfg: its configuration
 * @codec: the codec it belongs to
 * @to_daemon: whether its value travels with each job of that codec
 */
struct daedalus_ctrl_desc {
	struct v4l2_ctrl_config cfg;
	enum daedalus_codec codec;
	bool to_daemon;
};

/**
 * struct daedalus_decoded_fmt - a CAPTURE (picture) format
 * @fourcc: the V4L2 pixel format
 * @bit_depth: the bit depth of the streams it is offered for
 */
struct daedalus_decoded_fmt {
	u32 fourcc;
	unsigned int bit_depth;
};

extern const struct daedalus_coded_fmt daedalus_coded_fmts[];
extern const unsigned int daedalus_num_coded_fmts;
/* The number of entries of daedalus_ctrl_descs[] (checked at build time). */
#define DAEDALUS_NUM_CTRL_DESCS	19

extern const struct daedalus_ctrl_desc daedalus_ctrl_descs[];

/* Who ended a job: the trace event daedalus_job_end names it. */
enum daedalus_end {
	DAEDALUS_END_ANSWER,
	DAEDALUS_END_WATCHDOG,
	DAEDALUS_END_DETACH,
	DAEDALUS_END_ABORT,
	DAEDALUS_END_NO_DAEMON,
	DAEDALUS_END_FETCH,
};

/* Latencies kept per device and per context, for the status file. */
#define DAEDALUS_LAT_SAMPLES	256

/**
 * struct daedalus_stats - what became of the jobs of a device or a context
 * @jobs: jobs started (device_run)
 * @done: jobs the daemon answered with success
 * @failed: jobs that failed (daemon error, detach, cancel, no daemon)
 * @timed_out: jobs the watchdog ended
 * @no_daemon: jobs failed at once because no daemon was attached
 * @max_inflight: the most jobs that were with the daemon at once (of the
 *	context; of all contexts together for the device)
 * @lat_count: decoded jobs whose latency was recorded, in all
 * @lat_us: the latencies (queue to answer, microseconds) of the last
 *	%DAEDALUS_LAT_SAMPLES decoded jobs, a ring indexed by @lat_count
 */
struct daedalus_stats {
	u64 jobs;
	u64 done;
	u64 failed;
	u64 timed_out;
	u64 no_daemon;
	u32 max_inflight;
	u64 lat_count;
	u32 lat_us[DAEDALUS_LAT_SAMPLES];
};

/**
 * struct daedalus_qmsg - an entry of the bridge's message queue
 * @node: entry in the bridge's queue (or, for a fetched job, inflight) list
 * @type: enum daedalus_msg_type
 */
struct daedalus_qmsg {
	struct list_head node;
	u32 type;
};

/**
 * struct daedalus_event - news for the daemon about a context or a buffer
 * @msg: the queue entry (type CTX_CLOSE, CTX_RESET or BUF_FREE)
 * @embedded: part of its context (CTX_RESET), never freed on its own
 * @ctx_id: the context
 * @buf_id: the buffer (BUF_FREE)
 *
 * Events that tear something down (CTX_CLOSE, BUF_FREE) are allocated with
 * what they are about, so that none is ever lost to a failed allocation.
 */
struct daedalus_event {
	struct daedalus_qmsg msg;
	bool embedded;
	u64 ctx_id;
	u64 buf_id;
};

/**
 * struct daedalus_bridge - the character device the daemon attaches to
 * @misc: the character device, /dev/daedalus-v4l2
 * @wq: the workqueue of job watchdogs; drained at module exit
 * @lock: protects all fields below
 * @daemon: the file of the attached daemon, or NULL
 * @daemon_tgid: the thread group of the process that attached it (for the
 *	kill of a daemon hung while it writes a picture)
 * @daemon_killed: the watchdog has killed the attached daemon
 * @generation: incremented at each attach and detach
 * @next_seqno: the number of the last job queued
 * @next_buf_id: the last buffer id handed out
 * @queue: messages (jobs and events) the daemon has not fetched yet
 * @inflight: jobs fetched by the daemon and not answered yet
 * @last_fetch: when the daemon last fetched a message (jiffies): jobs it has
 *	not fetched yet wait without a deadline while it fetches
 * @waitq: woken when @queue gains a message or the daemon detaches
 * @daemon_pid: the process id of the attached daemon (0 when detached)
 * @daemon_comm: its command name
 * @attaches: how many times a daemon attached
 * @stats: counters, for the status tool and the tests
 * @njobs: the jobs of all contexts that have not ended
 * @decoding: the contexts that decode, against daedalus_max_contexts
 * @pixels: the pixels of the CAPTURE formats of the contexts that decode,
 *	against daedalus_max_pixels
 * @debugfs: the module's debugfs folder (status file)
 */
struct daedalus_bridge {
	struct miscdevice misc;
	struct workqueue_struct *wq;
	spinlock_t lock; /* protects the fields below */
	struct file *daemon;
	struct pid *daemon_tgid;
	bool daemon_killed;
	u32 generation;
	u64 next_seqno;
	u64 next_buf_id;
	struct list_head queue;
	struct list_head inflight;
	unsigned long last_fetch;
	wait_queue_head_t waitq;
	pid_t daemon_pid;
	char daemon_comm[TASK_COMM_LEN];
	u64 attaches;
	struct daedalus_stats stats;
	unsigned int njobs;
	unsigned int decoding;
	u64 pixels;
	struct dentry *debugfs;
};

/**
 * struct daedalus_dev - the decoder device
 * @pdev: the platform device everything hangs from
 * @v4l2_dev: the V4L2 device
 * @vfd: the video node
 * @mdev: the media device
 * @m2m_dev: the mem2mem device: the contexts' buffer queues (the module
 *	schedules jobs itself, see daedalus_feed())
 * @dev_mutex: serialises the ioctls of the video node that do not touch a
 *	queue (formats, controls) and open/release
 * @next_ctx_id: the id of the next context (protected by @dev_mutex)
 * @ctxs: the open contexts (protected by @dev_mutex)
 * @num_ctxs: how many contexts are open (protected by @dev_mutex)
 * @bridge: the daemon side
 */
struct daedalus_dev {
	struct platform_device *pdev;
	struct v4l2_device v4l2_dev;
	struct video_device vfd;
	struct media_device mdev;
	struct v4l2_m2m_dev *m2m_dev;
	struct mutex dev_mutex; /* node ioctls that touch no queue */
	u64 next_ctx_id;
	struct list_head ctxs;
	unsigned int num_ctxs;
	struct daedalus_bridge bridge;
};

/**
 * struct daedalus_ctx - one open file of the video node
 * @fh: the V4L2 file handle (with the m2m context)
 * @dev: the device
 * @id: the context id the daemon sees, never reused while the module is
 *	loaded
 * @hdl: the controls
 * @ctrls: the controls of @hdl by their index in daedalus_ctrl_descs[],
 *	looked up once at open
 * @vb_mutex: serialises the queue ioctls of this context
 * @coded_fmt: the OUTPUT format
 * @coded_desc: the description of the OUTPUT format
 * @decoded_fmt: the CAPTURE format
 * @bit_depth: the bit depth of the stream as the sequence controls of the
 *	OUTPUT format's codec say; picks the CAPTURE formats offered
 * @out_seq: OUTPUT sequence counter
 * @cap_seq: CAPTURE sequence counter
 * @sent_gen: the bridge generation in which a job of this context was last
 *	queued for the daemon (protected by the bridge lock)
 * @feed_lock: serialises the taking of buffers into jobs (daedalus_feed())
 *	with STREAMON/STREAMOFF; protects @streaming, @held_dst, @flush
 * @feed_work: runs daedalus_feed() after a job ended (a slot is free)
 * @streaming: which queues stream (bit 0 OUTPUT, bit 1 CAPTURE)
 * @held_dst: the CAPTURE buffer kept for the next slice or field of its
 *	picture (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF); it stays in its queue
 * @flush: V4L2_DEC_CMD_FLUSH asked for @held_dst back
 * @jobs: the context's jobs that have not ended, oldest first (protected
 *	by the bridge lock)
 * @njobs: how many (protected by the bridge lock)
 * @hold_inflight: a job writing into @held_dst has not ended (protected by
 *	the bridge lock)
 * @jobs_wq: woken when a job of the context ends
 * @node: entry in the device's list of contexts (protected by its dev_mutex)
 * @stats: what became of this context's jobs (protected by the bridge lock)
 * @decoding: the context holds one of the bridge's decoding contexts, from
 *	its first CAPTURE STREAMON to its close (protected by the bridge lock)
 * @pixels: the pixels this context holds of the bridge's budget: its CAPTURE
 *	format at its last STREAMON (protected by the bridge lock)
 * @reset_ev: the CTX_RESET event, queued at most once at a time (its node is
 *	protected by the bridge lock)
 * @close_ev: the CTX_CLOSE event, allocated at open, queued or freed at
 *	release
 */
struct daedalus_ctx {
	struct v4l2_fh fh;
	struct daedalus_dev *dev;
	u64 id;
	struct v4l2_ctrl_handler hdl;
	struct v4l2_ctrl *ctrls[DAEDALUS_NUM_CTRL_DESCS];
	struct mutex vb_mutex; /* the queue ioctls of this context */
	struct v4l2_format coded_fmt;
	const struct daedalus_coded_fmt *coded_desc;
	struct v4l2_format decoded_fmt;
	unsigned int bit_depth;
	u32 out_seq;
	u32 cap_seq;
	u32 sent_gen;
	struct mutex feed_lock; /* taking buffers into jobs */
	struct work_struct feed_work;
	unsigned int streaming;
	struct vb2_v4l2_buffer *held_dst;
	bool flush;
	struct list_head jobs;
	unsigned int njobs;
	bool hold_inflight;
	wait_queue_head_t jobs_wq;
	struct list_head node;
	struct daedalus_stats stats;
	bool decoding;
	u64 pixels;
	struct daedalus_event reset_ev;
	struct daedalus_event *close_ev;
};

/**
 * struct daedalus_buf - a vb2 buffer of the decoder
 * @m2m: the mem2mem buffer (must be first)
 * @id: the identity of its memory, as the daemon sees it
 * @dbufs: the dma-bufs of its planes, exported (MMAP) or referenced
 *	(DMABUF) when the buffer is first used in a job; put at cleanup
 * @sent_gen: the bridge generation in which a job using this buffer was last
 *	queued for the daemon
 * @free_ev: the BUF_FREE event, allocated with the buffer, queued or freed
 *	at cleanup
 */
struct daedalus_buf {
	struct v4l2_m2m_buffer m2m;
	u64 id;
	struct dma_buf *dbufs[DAEDALUS_MAX_PLANES];
	u32 sent_gen;
	struct daedalus_event *free_ev;
};

/*
 * QUEUED -> FETCHED -> WRITING -> FINISHED; any state but WRITING may go
 * straight to FINISHED. In WRITING the daemon owns the CAPTURE buffer: only
 * its answer or its death ends the job.
 */
enum daedalus_job_state {
	DAEDALUS_JOB_QUEUED,
	DAEDALUS_JOB_FETCHED,
	DAEDALUS_JOB_WRITING,
	DAEDALUS_JOB_FINISHED,
};

/**
 * struct daedalus_job_obj - a decode job on its way through the daemon
 * @ref: references: the bridge (until finished), the watchdog (while armed),
 *	a FETCH in progress
 * @msg: the queue entry (type JOB)
 * @ctx_node: entry in its context's list of jobs (protected by the bridge
 *	lock)
 * @src: the OUTPUT buffer, taken out of its queue until the job ends
 * @dst: the CAPTURE buffer, taken out of its queue (or, with @hold, kept in
 *	it as the context's held buffer) until the job ends
 * @hold: the CAPTURE buffer stays for the next slice or field
 * @state: where the job is (protected by the bridge lock)
 * @queued: when device_run() queued it
 * @deadline: when the watchdog fails the job (jiffies; moved at FETCH and
 *	BEGIN_WRITE; protected by the bridge lock)
 * @dev: the device (outlives every job)
 * @ctx: the context; only dereferenced by whoever finishes the job
 * @watchdog: fails the job when the daemon does not answer in time
 * @desc: the job as the daemon sees it (fds are filled at FETCH time)
 * @dbufs: references to the dma-bufs of the OUTPUT ([0]) and CAPTURE ([1])
 *	planes, from which FETCH installs the daemon's fds
 * @ctrl_bytes: bytes used in @ctrls
 * @ctrls: the control records of the job's request
 */
struct daedalus_job_obj {
	struct kref ref;
	struct daedalus_qmsg msg;
	struct list_head ctx_node;
	struct vb2_v4l2_buffer *src;
	struct vb2_v4l2_buffer *dst;
	bool hold;
	enum daedalus_job_state state;
	ktime_t queued;
	unsigned long deadline;
	struct daedalus_dev *dev;
	struct daedalus_ctx *ctx;
	struct delayed_work watchdog;
	struct daedalus_job desc;
	struct dma_buf *dbufs[2][DAEDALUS_MAX_PLANES];
	u32 ctrl_bytes;
	u8 ctrls[] __aligned(DAEDALUS_CTRL_ALIGN);
};

static inline struct daedalus_ctx *daedalus_file_to_ctx(struct file *file)
{
	return container_of(file->private_data, struct daedalus_ctx, fh);
}

static inline struct daedalus_buf *daedalus_vb2_to_buf(struct vb2_buffer *vb)
{
	return container_of(to_vb2_v4l2_buffer(vb), struct daedalus_buf,
			    m2m.vb);
}

/* daedalus-video.c */
extern const struct v4l2_ioctl_ops daedalus_ioctl_ops;
int daedalus_queue_init(void *priv, struct vb2_queue *src_vq,
			struct vb2_queue *dst_vq);
struct daedalus_ctx *daedalus_request_ctx(struct media_request *req);
int daedalus_request_validate(struct media_request *req);
void daedalus_set_default_formats(struct daedalus_ctx *ctx);
int daedalus_set_bit_depth(struct daedalus_ctx *ctx, unsigned int bit_depth);
unsigned int daedalus_ctrl_bit_depth(struct daedalus_ctx *ctx);

/* daedalus-core.c */
extern const struct v4l2_ctrl_ops daedalus_ctrl_ops;
unsigned int daedalus_seq_bit_depth(u32 id, union v4l2_ctrl_ptr ptr);

/* daedalus-bridge.c */
int daedalus_bridge_init(struct daedalus_dev *dev);
void daedalus_bridge_exit(struct daedalus_dev *dev);
void daedalus_feed(struct daedalus_ctx *ctx);
void daedalus_feed_work(struct work_struct *work);
void daedalus_bridge_ctx_cancel(struct daedalus_ctx *ctx);
void daedalus_bridge_buf_freed(struct daedalus_ctx *ctx,
			       struct daedalus_buf *buf);
int daedalus_bridge_ctx_init(struct daedalus_ctx *ctx);
void daedalus_bridge_ctx_reset(struct daedalus_ctx *ctx);
void daedalus_bridge_ctx_close(struct daedalus_ctx *ctx);
int daedalus_bridge_buf_init(struct daedalus_buf *buf);
int daedalus_bridge_reserve(struct daedalus_ctx *ctx, u64 pixels);
u64 daedalus_bridge_new_buf_id(struct daedalus_dev *dev);
bool daedalus_bridge_attached(struct daedalus_dev *dev);

/* daedalus-debugfs.c */
void daedalus_debugfs_init(struct daedalus_dev *dev);
void daedalus_debugfs_exit(struct daedalus_dev *dev);

#endif /* _DAEDALUS_H_ */
