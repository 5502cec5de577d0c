// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: the bridge to the decoding daemon.
 *
 * The module schedules its own jobs; the m2m core only keeps the buffer
 * queues. Its job model (one job at a time per m2m device, the next one
 * started when the last one finished) would make every context wait for
 * every other one and each picture for the one before it. Instead, as
 * MediaTek's stateless decoder hands a picture from its LAT stage to its core
 * stage before the picture is done, daedalus_feed() takes an OUTPUT and a
 * CAPTURE buffer out of their queues as soon as both are there and the
 * context has fewer than max_inflight jobs with the daemon: contexts decode
 * in parallel, and a client that queues ahead has its requests decoded
 * without a round trip between them. A context's jobs are queued for the
 * daemon, fetched and answered in their order.
 *
 * A job starts in daedalus_job_start(): the request's controls are copied,
 * the buffers' dma-bufs referenced, and the job is queued for the daemon
 * with a watchdog armed. It ends exactly once, by whoever claims it first
 * under the bridge lock:
 *  - the daemon's answer (DAEDALUS_IOC_COMPLETE),
 *  - the watchdog (the daemon is stalled or slow),
 *  - the daemon going away (its file is released),
 *  - STREAMOFF or the close of the context (daedalus_bridge_ctx_cancel()).
 * The claimer returns the buffers, which completes the request; everyone
 * else does nothing. Without a daemon a job fails at once.
 *
 * The watchdog counts a job's time from when the daemon can work on it: a
 * job the daemon has not fetched fails once the daemon has fetched nothing
 * for job_timeout_ms; a fetched job has job_timeout_ms from when it is the
 * oldest of its context (the ones before it answered), and from
 * DAEDALUS_IOC_BEGIN_WRITE as long again to write the picture and answer.
 * Once the daemon has begun to write, the CAPTURE buffer is its own:
 * neither the watchdog nor a cancel may give the buffer back while the
 * daemon could still write into it. A
 * daemon that overruns that last period is hung, like a hardware block that
 * does not come back: the watchdog kills it, and the job fails when the
 * daemon's file is released, after its mappings are gone.
 *
 * Copyright (C) 2026 The daedalus-v4l2 authors
 */

#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "daedalus.h"
#include "trace.h"

static struct daedalus_dev *daedalus_misc_to_dev(struct file *file)
{
	struct miscdevice *misc = file->private_data;

	return container_of(misc, struct daedalus_dev, bridge.misc);
}

u64 daedalus_bridge_new_buf_id(struct daedalus_dev *dev)
{
	struct daedalus_bridge *br = &dev->bridge;
	u64 id;

	spin_lock(&br->lock);
	id = ++br->next_buf_id;
	spin_unlock(&br->lock);
	return id;
}

bool daedalus_bridge_attached(struct daedalus_dev *dev)
{
	struct daedalus_bridge *br = &dev->bridge;
	bool attached;

	spin_lock(&br->lock);
	attached = br->daemon;
	spin_unlock(&br->lock);
	return attached;
}

/* ---------------------------------------------------------------------
 * Job objects
 */

static void daedalus_job_release(struct kref *ref)
{
	struct daedalus_job_obj *job =
		container_of(ref, struct daedalus_job_obj, ref);
	unsigned int q, p;

	for (q = 0; q < 2; q++)
		for (p = 0; p < DAEDALUS_MAX_PLANES; p++)
			if (job->dbufs[q][p])
				dma_buf_put(job->dbufs[q][p]);
	kvfree(job);
}

static void daedalus_job_put(struct daedalus_job_obj *job)
{
	kref_put(&job->ref, daedalus_job_release);
}

static void daedalus_job_watchdog(struct work_struct *work);

/*
 * The controls of @ctx's codec that travel with its jobs, as they stand now.
 * Their sizes (the length of a dynamic array) and values are stable only
 * under the handler lock, which the caller holds across sizing and copying.
 */
static bool daedalus_job_ctrl(struct daedalus_ctx *ctx, unsigned int i)
{
	const struct daedalus_ctrl_desc *d = &daedalus_ctrl_descs[i];

	return d->to_daemon && ctx->ctrls[i] &&
	       d->codec == ctx->coded_desc->codec;
}

static u32 daedalus_ctrl_bytes(struct daedalus_ctx *ctx)
{
	u32 bytes = 0;
	unsigned int i;

	lockdep_assert_held(ctx->hdl.lock);

	for (i = 0; i < DAEDALUS_NUM_CTRL_DESCS; i++) {
		struct v4l2_ctrl *ctrl = ctx->ctrls[i];

		if (!daedalus_job_ctrl(ctx, i))
			continue;
		bytes += sizeof(struct daedalus_ctrl) +
			 ALIGN(ctrl->elems * ctrl->elem_size,
			       DAEDALUS_CTRL_ALIGN);
	}
	return bytes;
}

/* Copies the control records into @job, at most @job->ctrl_bytes. */
static void daedalus_job_copy_ctrls(struct daedalus_job_obj *job,
				    struct daedalus_ctx *ctx)
{
	unsigned int i;
	u32 off = 0;

	lockdep_assert_held(ctx->hdl.lock);

	for (i = 0; i < DAEDALUS_NUM_CTRL_DESCS; i++) {
		struct v4l2_ctrl *ctrl = ctx->ctrls[i];
		struct daedalus_ctrl *rec;
		u32 size, padded;

		if (!daedalus_job_ctrl(ctx, i))
			continue;

		size = ctrl->elems * ctrl->elem_size;
		padded = ALIGN(size, DAEDALUS_CTRL_ALIGN);
		if (WARN_ON_ONCE(sizeof(*rec) + padded > job->ctrl_bytes - off))
			break;
		rec = (struct daedalus_ctrl *)(job->ctrls + off);
		rec->id = ctrl->id;
		rec->size = size;
		rec->elems = ctrl->elems;
		rec->reserved = 0;
		memcpy(rec + 1, ctrl->p_cur.p, size);
		memset((u8 *)(rec + 1) + size, 0, padded - size);
		off += sizeof(*rec) + padded;
		job->desc.ctrl_count++;
	}
	job->desc.ctrl_bytes = off;
}

/*
 * References the dma-buf of each plane of @vb into @dbufs and describes the
 * planes in @out. MMAP buffers are exported once and the export is kept
 * until the buffer is cleaned up.
 */
static int daedalus_job_add_buf(struct daedalus_job_obj *job,
				struct vb2_buffer *vb, struct dma_buf **dbufs,
				struct daedalus_buffer *out, bool capture,
				const struct v4l2_pix_format_mplane *pix_mp)
{
	struct daedalus_buf *buf = daedalus_vb2_to_buf(vb);
	unsigned int i;

	if (vb->num_planes > DAEDALUS_MAX_PLANES)
		return -EINVAL;

	out->id = buf->id;
	out->index = vb->index;
	out->num_planes = vb->num_planes;

	for (i = 0; i < vb->num_planes; i++) {
		struct daedalus_plane *plane = &out->planes[i];
		struct dma_buf *db = buf->dbufs[i];

		if (!db) {
			if (vb->memory == VB2_MEMORY_DMABUF) {
				db = vb->planes[i].dbuf;
				get_dma_buf(db);
			} else {
				/* The daemon only reads the bitstream. */
				db = vb->vb2_queue->mem_ops->get_dmabuf(vb,
						vb->planes[i].mem_priv,
						capture ? O_RDWR : O_RDONLY);
				if (IS_ERR_OR_NULL(db))
					return db ? PTR_ERR(db) : -EINVAL;
			}
			buf->dbufs[i] = db;
		}
		get_dma_buf(db);
		dbufs[i] = db;

		plane->fd = -1;
		plane->length = db->size;
		plane->offset = vb->planes[i].data_offset;
		if (capture) {
			plane->bytesused = pix_mp->plane_fmt[i].sizeimage;
			plane->stride = pix_mp->plane_fmt[i].bytesperline;
		} else {
			plane->bytesused = vb2_get_plane_payload(vb, i) -
					   vb->planes[i].data_offset;
			plane->stride = 0;
		}
		if (plane->offset > plane->length ||
		    plane->bytesused > plane->length - plane->offset)
			return -EINVAL;
	}
	return 0;
}

static struct daedalus_job_obj *
daedalus_job_create(struct daedalus_ctx *ctx, struct vb2_v4l2_buffer *src,
		    struct vb2_v4l2_buffer *dst, bool hold)
{
	const struct v4l2_pix_format_mplane *coded = &ctx->coded_fmt.fmt.pix_mp;
	const struct v4l2_pix_format_mplane *dec = &ctx->decoded_fmt.fmt.pix_mp;
	struct daedalus_job_obj *job;
	u32 ctrl_bytes;
	int ret;

	/* Sized and copied in one hold of the lock: daedalus_ctrl_bytes() */
	mutex_lock(ctx->hdl.lock);
	ctrl_bytes = daedalus_ctrl_bytes(ctx);
	if (WARN_ON_ONCE(ctrl_bytes > DAEDALUS_MAX_CTRL_BYTES)) {
		mutex_unlock(ctx->hdl.lock);
		return ERR_PTR(-E2BIG);
	}
	job = kvzalloc(struct_size(job, ctrls, ctrl_bytes), GFP_KERNEL);
	if (!job) {
		mutex_unlock(ctx->hdl.lock);
		return ERR_PTR(-ENOMEM);
	}
	job->ctrl_bytes = ctrl_bytes;
	daedalus_job_copy_ctrls(job, ctx);
	mutex_unlock(ctx->hdl.lock);

	kref_init(&job->ref);
	job->queued = ktime_get();
	INIT_LIST_HEAD(&job->msg.node);
	INIT_LIST_HEAD(&job->ctx_node);
	job->src = src;
	job->dst = dst;
	job->hold = hold;
	job->msg.type = DAEDALUS_MSG_JOB;
	job->dev = ctx->dev;
	job->ctx = ctx;
	INIT_DELAYED_WORK(&job->watchdog, daedalus_job_watchdog);

	job->desc.timestamp = src->vb2_buf.timestamp;
	job->desc.ctx_id = ctx->id;
	job->desc.codec = coded->pixelformat;
	if (hold)
		job->desc.flags |= DAEDALUS_JOB_FL_HOLD_CAPTURE;
	job->desc.sequence = dst->sequence;
	job->desc.width = coded->width;
	job->desc.height = coded->height;
	job->desc.cap_fourcc = dec->pixelformat;
	job->desc.cap_width = dec->width;
	job->desc.cap_height = dec->height;
	job->desc.colorspace = dec->colorspace;
	job->desc.xfer_func = dec->xfer_func;
	job->desc.ycbcr_enc = dec->ycbcr_enc;
	job->desc.quantization = dec->quantization;

	ret = daedalus_job_add_buf(job, &src->vb2_buf, job->dbufs[0],
				   &job->desc.src, false, coded);
	if (!ret)
		ret = daedalus_job_add_buf(job, &dst->vb2_buf, job->dbufs[1],
					   &job->desc.dst, true, dec);
	if (ret) {
		daedalus_job_put(job);
		return ERR_PTR(ret);
	}
	return job;
}

/*
 * (Re)arms the watchdog of @job to fire at @deadline (jiffies, in the
 * future). Every armed watchdog holds a reference; one that was already
 * running when it is moved finds the deadline ahead of it and does nothing.
 */
static void daedalus_job_arm_at(struct daedalus_bridge *br,
				struct daedalus_job_obj *job,
				unsigned long deadline)
{
	lockdep_assert_held(&br->lock);

	job->deadline = deadline;
	if (!mod_delayed_work(br->wq, &job->watchdog,
			      max_t(long, (long)(deadline - jiffies), 1)))
		kref_get(&job->ref);
}

/* (Re)arms the watchdog of @job to fire job_timeout_ms from now. */
static void daedalus_job_arm(struct daedalus_bridge *br,
			     struct daedalus_job_obj *job)
{
	unsigned long timeout = msecs_to_jiffies(daedalus_job_timeout_ms);

	daedalus_job_arm_at(br, job, jiffies + timeout);
}

/* The oldest job of @ctx that has not ended, or NULL. */
static struct daedalus_job_obj *daedalus_ctx_oldest(struct daedalus_ctx *ctx)
{
	struct daedalus_job_obj *job;

	lockdep_assert_held(&ctx->dev->bridge.lock);

	list_for_each_entry(job, &ctx->jobs, ctx_node)
		if (job->state != DAEDALUS_JOB_FINISHED)
			return job;
	return NULL;
}

/* ---------------------------------------------------------------------
 * Ending a job: claim, then finish
 */

/* Takes @job from whoever else could end it. Returns false if too late. */
static bool daedalus_job_claim(struct daedalus_bridge *br,
			       struct daedalus_job_obj *job)
{
	lockdep_assert_held(&br->lock);

	if (job->state == DAEDALUS_JOB_FINISHED)
		return false;
	list_del_init(&job->msg.node);
	job->state = DAEDALUS_JOB_FINISHED;
	return true;
}

static void daedalus_stats_end(struct daedalus_stats *s, int status,
			       enum daedalus_end end, u32 latency_us)
{
	if (end == DAEDALUS_END_WATCHDOG) {
		s->timed_out++;
	} else if (status) {
		s->failed++;
		if (end == DAEDALUS_END_NO_DAEMON)
			s->no_daemon++;
	} else {
		s->done++;
		s->lat_us[s->lat_count++ % DAEDALUS_LAT_SAMPLES] = latency_us;
	}
}

/*
 * Counts the end of @job, which the caller has claimed (or never queued), in
 * the device's and its context's statistics.
 */
static void daedalus_job_account(struct daedalus_bridge *br,
				 struct daedalus_job_obj *job, int status,
				 enum daedalus_end end)
{
	s64 us = ktime_us_delta(ktime_get(), job->queued);
	u32 latency_us = clamp_t(s64, us, 0, U32_MAX);

	lockdep_assert_held(&br->lock);

	daedalus_stats_end(&br->stats, status, end, latency_us);
	daedalus_stats_end(&job->ctx->stats, status, end, latency_us);
	trace_daedalus_job_end(job->desc.ctx_id, job->desc.seqno, status, end,
			       latency_us);
}

/*
 * Gives the buffers of a job back: the CAPTURE buffer first (unless it is
 * held for the next slice or field), then the OUTPUT buffer, whose return
 * completes the request and wakes whoever polls it.
 */
static void daedalus_bufs_done(struct vb2_v4l2_buffer *src,
			       struct vb2_v4l2_buffer *dst, bool hold,
			       int status, const struct daedalus_result *res)
{
	enum vb2_buffer_state state = VB2_BUF_STATE_DONE;
	unsigned int i;

	if (status) {
		state = VB2_BUF_STATE_ERROR;
	} else if (res && !hold) {
		struct vb2_buffer *vb = &dst->vb2_buf;
		unsigned int n = min(vb->num_planes, res->num_planes);

		for (i = 0; i < n; i++)
			if (res->bytesused[i] &&
			    res->bytesused[i] <= vb2_plane_size(vb, i))
				vb2_set_plane_payload(vb, i, res->bytesused[i]);
	}
	if (!hold)
		v4l2_m2m_buf_done(dst, state);
	v4l2_m2m_buf_done(src, state);
}

/*
 * The claimer of @job ends it: returns its buffers, frees its slot (and
 * feeds the context), drops the bridge's reference. After the context's job
 * count drops, under the lock, nothing of the context is touched: a
 * STREAMOFF or close waiting for its jobs may go on.
 */
static void daedalus_job_finish(struct daedalus_job_obj *job, int status,
				const struct daedalus_result *res)
{
	struct daedalus_ctx *ctx = job->ctx;
	struct daedalus_bridge *br = &job->dev->bridge;
	struct daedalus_job_obj *next;

	if (cancel_delayed_work(&job->watchdog))
		daedalus_job_put(job);
	daedalus_bufs_done(job->src, job->dst, job->hold, status, res);

	spin_lock(&br->lock);
	list_del_init(&job->ctx_node);
	ctx->njobs--;
	br->njobs--;
	if (job->hold)
		ctx->hold_inflight = false;
	/* The next job's time to decode starts now. */
	next = daedalus_ctx_oldest(ctx);
	if (next && next->state == DAEDALUS_JOB_FETCHED)
		daedalus_job_arm(br, next);
	queue_work(br->wq, &ctx->feed_work);
	wake_up(&ctx->jobs_wq);
	spin_unlock(&br->lock);

	daedalus_job_put(job);
}

static void daedalus_job_watchdog(struct work_struct *work)
{
	struct daedalus_job_obj *job =
		container_of(to_delayed_work(work), struct daedalus_job_obj,
			     watchdog);
	struct daedalus_bridge *br = &job->dev->bridge;
	unsigned long fetch_deadline;
	struct pid *hung = NULL;
	bool claimed = false;

	spin_lock(&br->lock);
	fetch_deadline = br->last_fetch +
			 msecs_to_jiffies(daedalus_job_timeout_ms);
	if (job->state == DAEDALUS_JOB_FINISHED ||
	    time_before(jiffies, job->deadline)) {
		/* Ended, or moved on (FETCH, BEGIN_WRITE) while this ran. */
	} else if (job->state == DAEDALUS_JOB_QUEUED && br->daemon &&
		   time_before(jiffies, fetch_deadline)) {
		/* Behind other jobs, and the daemon is taking them. */
		daedalus_job_arm_at(br, job, fetch_deadline);
	} else if (job->state == DAEDALUS_JOB_FETCHED &&
		   daedalus_ctx_oldest(job->ctx) != job) {
		/* Waits for its context's earlier jobs, timed themselves. */
		daedalus_job_arm(br, job);
	} else if (job->state == DAEDALUS_JOB_WRITING) {
		/* The job ends at detach, once the daemon cannot write. */
		if (br->daemon_tgid && !br->daemon_killed) {
			hung = get_pid(br->daemon_tgid);
			br->daemon_killed = true;
		}
	} else {
		claimed = daedalus_job_claim(br, job);
		if (claimed)
			daedalus_job_account(br, job, -ETIMEDOUT,
					     DAEDALUS_END_WATCHDOG);
	}
	spin_unlock(&br->lock);

	if (claimed) {
		dev_warn_ratelimited(&job->dev->pdev->dev,
				     "job %llu of context %llu: no answer from the daemon in %u ms\n",
				     job->desc.seqno, job->desc.ctx_id,
				     daedalus_job_timeout_ms);
		daedalus_job_finish(job, -ETIMEDOUT, NULL);
	}
	if (hung) {
		dev_err(&job->dev->pdev->dev,
			"job %llu of context %llu: the daemon began writing the picture and did not answer in %u ms: killing it\n",
			job->desc.seqno, job->desc.ctx_id,
			daedalus_job_timeout_ms);
		kill_pid(hung, SIGKILL, 1);
		put_pid(hung);
	}
	/* The watchdog's own reference. */
	daedalus_job_put(job);
}

/* ---------------------------------------------------------------------
 * Scheduling
 */

/*
 * Makes a job of @src and @dst, which the caller has taken out of their
 * queues (@dst stays queued as the held buffer when @hold), and hands it to
 * the daemon, or fails it at once.
 */
static void daedalus_job_start(struct daedalus_ctx *ctx,
			       struct vb2_v4l2_buffer *src,
			       struct vb2_v4l2_buffer *dst, bool hold)
{
	struct daedalus_dev *dev = ctx->dev;
	struct daedalus_bridge *br = &dev->bridge;
	struct daedalus_job_obj *job;
	struct media_request *req;

	lockdep_assert_held(&ctx->feed_lock);

	req = src->vb2_buf.req_obj.req;
	v4l2_m2m_buf_copy_metadata(src, dst, true);
	src->sequence = ctx->out_seq++;
	dst->sequence = ctx->cap_seq++;
	dst->field = V4L2_FIELD_NONE;

	/* The controls of this request become the current values. */
	job = ERR_PTR(req ? v4l2_ctrl_request_setup(req, &ctx->hdl) : 0);
	if (!IS_ERR(job))
		job = daedalus_job_create(ctx, src, dst, hold);

	if (req)
		v4l2_ctrl_request_complete(req, &ctx->hdl);

	if (IS_ERR(job)) {
		dev_err_ratelimited(&dev->pdev->dev,
				    "context %llu: cannot prepare job: %ld\n",
				    ctx->id, PTR_ERR(job));
		daedalus_bufs_done(src, dst, hold, PTR_ERR(job), NULL);
		return;
	}

	spin_lock(&br->lock);
	br->stats.jobs++;
	ctx->stats.jobs++;
	if (!br->daemon) {
		daedalus_job_account(br, job, -ENODEV, DAEDALUS_END_NO_DAEMON);
		spin_unlock(&br->lock);
		dev_warn_ratelimited(&dev->pdev->dev,
				     "context %llu: no daemon attached, failing the request\n",
				     ctx->id);
		daedalus_job_put(job);
		daedalus_bufs_done(src, dst, hold, -ENODEV, NULL);
		return;
	}

	job->desc.seqno = ++br->next_seqno;
	job->state = DAEDALUS_JOB_QUEUED;
	list_add_tail(&job->msg.node, &br->queue);
	list_add_tail(&job->ctx_node, &ctx->jobs);
	ctx->njobs++;
	br->njobs++;
	ctx->stats.max_inflight = max(ctx->stats.max_inflight, ctx->njobs);
	br->stats.max_inflight = max(br->stats.max_inflight, br->njobs);
	if (hold)
		ctx->hold_inflight = true;
	ctx->sent_gen = br->generation;
	daedalus_vb2_to_buf(&src->vb2_buf)->sent_gen = br->generation;
	daedalus_vb2_to_buf(&dst->vb2_buf)->sent_gen = br->generation;

	daedalus_job_arm(br, job);
	trace_daedalus_job_queue(ctx->id, job->desc.seqno, job->desc.codec,
				 job->desc.width, job->desc.height,
				 job->desc.timestamp);
	spin_unlock(&br->lock);

	daedalus_dbg(dev, "context %llu: job %llu queued (ts %llu)\n", ctx->id,
		     job->desc.seqno, job->desc.timestamp);
	wake_up_interruptible(&br->waitq);
}

#define DAEDALUS_STREAMING_BOTH	3U

/*
 * Turns queued buffers into jobs, in their order, while both queues stream
 * and the context has fewer than max_inflight jobs. The slices or fields of
 * one picture (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF) go one at a time: the
 * CAPTURE buffer stays in its queue, held, until an OUTPUT buffer of another
 * timestamp (or V4L2_DEC_CMD_FLUSH) releases it, as
 * v4l2_m2m_buf_done_and_job_finish() would.
 *
 * Called after every QBUF, request queue and STREAMON of the context, and
 * from its feed work when one of its jobs has ended.
 */
void daedalus_feed(struct daedalus_ctx *ctx)
{
	struct v4l2_m2m_ctx *m2m_ctx = ctx->fh.m2m_ctx;
	struct daedalus_bridge *br = &ctx->dev->bridge;
	struct vb2_v4l2_buffer *src, *dst;
	unsigned int njobs, max = clamp(daedalus_max_inflight, 1U,
					(unsigned int)DAEDALUS_MAX_INFLIGHT);
	bool held, hold;

	mutex_lock(&ctx->feed_lock);
	while (ctx->streaming == DAEDALUS_STREAMING_BOTH) {
		spin_lock(&br->lock);
		njobs = ctx->njobs;
		held = ctx->hold_inflight;
		spin_unlock(&br->lock);
		if (njobs >= max || held)
			break;

		src = v4l2_m2m_next_src_buf(m2m_ctx);
		if (ctx->held_dst) {
			/* The rest of a held picture after what came before. */
			if (njobs)
				break;
			if (src ? src->vb2_buf.timestamp !=
				  ctx->held_dst->vb2_buf.timestamp :
				  ctx->flush) {
				dst = ctx->held_dst;
				ctx->held_dst = NULL;
				ctx->flush = false;
				v4l2_m2m_dst_buf_remove_by_buf(m2m_ctx, dst);
				v4l2_m2m_buf_done(dst, VB2_BUF_STATE_DONE);
				continue;
			}
		}
		if (!src)
			break;
		dst = ctx->held_dst ?: v4l2_m2m_next_dst_buf(m2m_ctx);
		if (!dst)
			break;
		hold = src->flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
		if (hold && njobs)
			break;

		v4l2_m2m_src_buf_remove_by_buf(m2m_ctx, src);
		if (hold) {
			ctx->held_dst = dst;
		} else {
			v4l2_m2m_dst_buf_remove_by_buf(m2m_ctx, dst);
			ctx->held_dst = NULL;
		}
		daedalus_job_start(ctx, src, dst, hold);
	}
	mutex_unlock(&ctx->feed_lock);
}

void daedalus_feed_work(struct work_struct *work)
{
	daedalus_feed(container_of(work, struct daedalus_ctx, feed_work));
}

static bool daedalus_ctx_idle(struct daedalus_ctx *ctx)
{
	struct daedalus_bridge *br = &ctx->dev->bridge;
	bool idle;

	spin_lock(&br->lock);
	idle = !ctx->njobs;
	spin_unlock(&br->lock);
	return idle;
}

/*
 * STREAMOFF of either queue, or the close of the context (with feed_lock
 * held, so that no job starts meanwhile): fails every job of @ctx, and waits
 * for those whose picture is being written, whose answer (or the daemon's
 * death, see the watchdog) is near.
 */
void daedalus_bridge_ctx_cancel(struct daedalus_ctx *ctx)
{
	struct daedalus_bridge *br = &ctx->dev->bridge;
	struct daedalus_job_obj *job, *tmp;
	LIST_HEAD(claimed);

	lockdep_assert_held(&ctx->feed_lock);

	spin_lock(&br->lock);
	list_for_each_entry(job, &ctx->jobs, ctx_node) {
		if (job->state == DAEDALUS_JOB_WRITING ||
		    !daedalus_job_claim(br, job))
			continue;
		daedalus_job_account(br, job, -ECANCELED, DAEDALUS_END_ABORT);
		list_add_tail(&job->msg.node, &claimed);
	}
	spin_unlock(&br->lock);

	list_for_each_entry_safe(job, tmp, &claimed, msg.node) {
		list_del_init(&job->msg.node);
		daedalus_job_finish(job, -ECANCELED, NULL);
	}

	wait_event(ctx->jobs_wq, daedalus_ctx_idle(ctx));
}

/* ---------------------------------------------------------------------
 * Events for the daemon
 */

static void daedalus_event_free(struct daedalus_event *ev)
{
	if (!ev->embedded)
		kfree(ev);
}

/*
 * Queues @ev for the daemon if it has been given a job of generation @gen
 * (only news about what the attached daemon has seen), else frees it.
 */
static void daedalus_queue_event(struct daedalus_bridge *br, u32 gen,
				 struct daedalus_event *ev)
{
	spin_lock(&br->lock);
	if (!br->daemon || gen != br->generation ||
	    !list_empty(&ev->msg.node)) {
		spin_unlock(&br->lock);
		daedalus_event_free(ev);
		return;
	}
	list_add_tail(&ev->msg.node, &br->queue);
	spin_unlock(&br->lock);
	wake_up_interruptible(&br->waitq);
}

static struct daedalus_event *daedalus_event_alloc(u32 type, u64 ctx_id)
{
	struct daedalus_event *ev = kzalloc(sizeof(*ev), GFP_KERNEL);

	if (!ev)
		return NULL;
	INIT_LIST_HEAD(&ev->msg.node);
	ev->msg.type = type;
	ev->ctx_id = ctx_id;
	return ev;
}

/* At open, before the context has an id: its teardown events. */
int daedalus_bridge_ctx_init(struct daedalus_ctx *ctx)
{
	ctx->close_ev = daedalus_event_alloc(DAEDALUS_MSG_CTX_CLOSE, 0);
	if (!ctx->close_ev)
		return -ENOMEM;
	INIT_LIST_HEAD(&ctx->reset_ev.msg.node);
	ctx->reset_ev.msg.type = DAEDALUS_MSG_CTX_RESET;
	ctx->reset_ev.embedded = true;
	return 0;
}

int daedalus_bridge_buf_init(struct daedalus_buf *buf)
{
	/* The context id is filled in when the event is queued. */
	buf->free_ev = daedalus_event_alloc(DAEDALUS_MSG_BUF_FREE, 0);
	return buf->free_ev ? 0 : -ENOMEM;
}

void daedalus_bridge_buf_freed(struct daedalus_ctx *ctx,
			       struct daedalus_buf *buf)
{
	struct daedalus_event *ev = buf->free_ev;

	buf->free_ev = NULL;
	if (!ev)
		return;
	if (!buf->sent_gen) {
		daedalus_event_free(ev);
		return;
	}
	ev->ctx_id = ctx->id;
	ev->buf_id = buf->id;
	daedalus_queue_event(&ctx->dev->bridge, buf->sent_gen, ev);
	buf->sent_gen = 0;
}

/* OUTPUT STREAMOFF: one CTX_RESET waiting is enough. */
void daedalus_bridge_ctx_reset(struct daedalus_ctx *ctx)
{
	ctx->reset_ev.ctx_id = ctx->id;
	if (ctx->sent_gen)
		daedalus_queue_event(&ctx->dev->bridge, ctx->sent_gen,
				     &ctx->reset_ev);
}

/* At release: CTX_CLOSE replaces a CTX_RESET that still waits. */
void daedalus_bridge_ctx_close(struct daedalus_ctx *ctx)
{
	struct daedalus_bridge *br = &ctx->dev->bridge;
	struct daedalus_event *ev = ctx->close_ev;

	spin_lock(&br->lock);
	list_del_init(&ctx->reset_ev.msg.node);
	br->pixels -= ctx->pixels;
	if (ctx->decoding)
		br->decoding--;
	spin_unlock(&br->lock);

	ctx->close_ev = NULL;
	ev->ctx_id = ctx->id;
	if (ctx->sent_gen)
		daedalus_queue_event(br, ctx->sent_gen, ev);
	else
		daedalus_event_free(ev);
}

/*
 * The decoding budget. A context decodes from its first CAPTURE STREAMON
 * until it is closed: the daemon keeps its decoder and pictures all that
 * time. At most daedalus_max_contexts contexts decode at once, and together
 * they hold at most daedalus_max_pixels pixels of CAPTURE format (a context
 * that streams again holds its new size). Past either, STREAMON fails with
 * -EBUSY, as a hardware decoder refuses a stream beyond its capacity.
 */
int daedalus_bridge_reserve(struct daedalus_ctx *ctx, u64 pixels)
{
	struct daedalus_bridge *br = &ctx->dev->bridge;
	unsigned int decoding;
	u64 in_use;
	int ret = 0;

	spin_lock(&br->lock);
	decoding = br->decoding;
	in_use = br->pixels - ctx->pixels;
	if (!ctx->decoding && decoding >= daedalus_max_contexts) {
		ret = -EBUSY;
	} else if (in_use + pixels > daedalus_max_pixels) {
		ret = -ENOSPC;
	} else {
		br->pixels = in_use + pixels;
		ctx->pixels = pixels;
		if (!ctx->decoding)
			br->decoding++;
		ctx->decoding = true;
	}
	spin_unlock(&br->lock);

	if (ret == -EBUSY)
		dev_warn_ratelimited(&ctx->dev->pdev->dev,
				     "context %llu: %u contexts decode already (max_contexts)\n",
				     ctx->id, decoding);
	else if (ret)
		dev_warn_ratelimited(&ctx->dev->pdev->dev,
				     "context %llu: %llu pixels more than the %u allowed to decode at once (max_pixels, %llu in use)\n",
				     ctx->id, pixels, daedalus_max_pixels,
				     in_use);
	return ret ? -EBUSY : 0;
}

/* ---------------------------------------------------------------------
 * The character device
 */

static int daedalus_attach(struct daedalus_bridge *br, struct file *file,
			   struct daedalus_attach __user *uarg)
{
	char comm[TASK_COMM_LEN];
	struct daedalus_attach arg;
	bool bad;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;

	bad = arg.version != DAEDALUS_PROTOCOL_VERSION ||
	      arg.msg_size != sizeof(struct daedalus_msg) ||
	      arg.result_size != sizeof(struct daedalus_result) ||
	      arg.max_contexts ||
	      memchr_inv(arg.reserved, 0, sizeof(arg.reserved));

	arg.version = DAEDALUS_PROTOCOL_VERSION;
	arg.max_ctrl_bytes = DAEDALUS_MAX_CTRL_BYTES;
	arg.job_timeout_ms = daedalus_job_timeout_ms;
	arg.max_contexts = daedalus_max_contexts;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	if (bad)
		return -EPROTO;

	get_task_comm(comm, current);
	spin_lock(&br->lock);
	if (br->daemon) {
		spin_unlock(&br->lock);
		return -EBUSY;
	}
	br->daemon = file;
	br->daemon_tgid = get_pid(task_tgid(current));
	br->daemon_killed = false;
	br->last_fetch = jiffies;
	br->generation++;
	br->attaches++;
	br->daemon_pid = task_tgid_nr(current);
	memcpy(br->daemon_comm, comm, sizeof(comm));
	trace_daedalus_daemon(true, br->daemon_pid, 0);
	spin_unlock(&br->lock);
	return 0;
}

/* Fails every job the daemon holds or has not fetched; drops the events. */
static void daedalus_detach(struct daedalus_dev *dev)
{
	struct daedalus_bridge *br = &dev->bridge;
	struct daedalus_qmsg *msg, *tmp;
	LIST_HEAD(pending);
	LIST_HEAD(claimed);
	unsigned int failed = 0;
	struct pid *tgid;
	pid_t pid;

	spin_lock(&br->lock);
	br->daemon = NULL;
	tgid = br->daemon_tgid;
	br->daemon_tgid = NULL;
	br->generation++;
	pid = br->daemon_pid;
	br->daemon_pid = 0;
	list_splice_init(&br->inflight, &pending);
	list_splice_tail_init(&br->queue, &pending);
	list_for_each_entry_safe(msg, tmp, &pending, node) {
		if (msg->type == DAEDALUS_MSG_JOB) {
			struct daedalus_job_obj *job =
				container_of(msg, struct daedalus_job_obj,
					     msg);

			if (daedalus_job_claim(br, job)) {
				list_add_tail(&job->msg.node, &claimed);
				daedalus_job_account(br, job, -ENODEV,
						     DAEDALUS_END_DETACH);
				failed++;
			}
		} else {
			list_del_init(&msg->node);
			daedalus_event_free(container_of(msg,
							 struct daedalus_event,
							 msg));
		}
	}
	trace_daedalus_daemon(false, pid, failed);
	spin_unlock(&br->lock);
	put_pid(tgid);

	list_for_each_entry_safe(msg, tmp, &claimed, node) {
		list_del_init(&msg->node);
		daedalus_job_finish(container_of(msg, struct daedalus_job_obj,
						 msg), -ENODEV, NULL);
	}

	dev_info(&dev->pdev->dev, "daemon detached, %u pending job(s) failed\n",
		 failed);
	wake_up_interruptible(&br->waitq);
}

static int daedalus_fetch_job(struct daedalus_bridge *br,
			      struct daedalus_job_obj *job,
			      struct daedalus_msg *msg,
			      struct daedalus_msg __user *umsg)
{
	struct daedalus_buffer *bufs[2] = { &msg->job.src, &msg->job.dst };
	int fds[2][DAEDALUS_MAX_PLANES];
	unsigned int q, p;
	int ret = 0;

	memset(fds, 0xff, sizeof(fds));
	msg->type = DAEDALUS_MSG_JOB;
	msg->ctx_id = job->desc.ctx_id;
	msg->buf_id = 0;
	msg->job = job->desc;

	if (msg->ctrl_size < job->ctrl_bytes)
		return -ENOSPC;
	if (copy_to_user(u64_to_user_ptr(msg->ctrl_ptr), job->ctrls,
			 job->ctrl_bytes))
		return -EFAULT;

	for (q = 0; q < 2; q++) {
		for (p = 0; p < bufs[q]->num_planes; p++) {
			ret = get_unused_fd_flags(O_CLOEXEC);
			if (ret < 0)
				goto err_put_fds;
			fds[q][p] = ret;
			bufs[q]->planes[p].fd = ret;
		}
	}

	if (copy_to_user(umsg, msg, sizeof(*msg))) {
		ret = -EFAULT;
		goto err_put_fds;
	}

	/* Past the last failure point: the fds become the daemon's. */
	for (q = 0; q < 2; q++) {
		for (p = 0; p < bufs[q]->num_planes; p++) {
			get_dma_buf(job->dbufs[q][p]);
			fd_install(fds[q][p], job->dbufs[q][p]->file);
		}
	}
	return 0;

err_put_fds:
	for (q = 0; q < 2; q++)
		for (p = 0; p < DAEDALUS_MAX_PLANES; p++)
			if (fds[q][p] >= 0)
				put_unused_fd(fds[q][p]);
	return ret;
}

static int daedalus_fetch(struct daedalus_dev *dev, struct file *file,
			  struct daedalus_msg __user *umsg)
{
	struct daedalus_bridge *br = &dev->bridge;
	struct daedalus_job_obj *job;
	struct daedalus_event *ev;
	struct daedalus_qmsg *qmsg;
	struct daedalus_msg msg;
	bool claimed;
	int ret;

	if (copy_from_user(&msg, umsg, sizeof(msg)))
		return -EFAULT;
	if (memchr_inv(msg.reserved, 0, sizeof(msg.reserved)))
		return -EINVAL;

	for (;;) {
		spin_lock(&br->lock);
		if (br->daemon != file) {
			spin_unlock(&br->lock);
			return -ENOTCONN;
		}
		qmsg = list_first_entry_or_null(&br->queue,
						struct daedalus_qmsg, node);
		if (qmsg)
			break;
		spin_unlock(&br->lock);

		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(br->waitq,
					       !list_empty(&br->queue) ||
					       br->daemon != file);
		if (ret)
			return ret;
	}

	list_del_init(&qmsg->node);
	if (qmsg->type != DAEDALUS_MSG_JOB) {
		br->last_fetch = jiffies;
		/* An embedded event goes with its context: read it now. */
		ev = container_of(qmsg, struct daedalus_event, msg);
		memset(&msg.job, 0, sizeof(msg.job));
		msg.type = ev->msg.type;
		msg.ctx_id = ev->ctx_id;
		msg.buf_id = ev->buf_id;
		spin_unlock(&br->lock);
		daedalus_event_free(ev);
		return copy_to_user(umsg, &msg, sizeof(msg)) ? -EFAULT : 0;
	}

	br->last_fetch = jiffies;
	job = container_of(qmsg, struct daedalus_job_obj, msg);
	job->state = DAEDALUS_JOB_FETCHED;
	list_add_tail(&job->msg.node, &br->inflight);
	/* The daemon has it now: its time to decode starts. */
	daedalus_job_arm(br, job);
	kref_get(&job->ref);
	trace_daedalus_job_fetch(job->desc.ctx_id, job->desc.seqno,
				 job->ctrl_bytes);
	spin_unlock(&br->lock);

	ret = daedalus_fetch_job(br, job, &msg, umsg);
	if (ret) {
		spin_lock(&br->lock);
		claimed = daedalus_job_claim(br, job);
		if (claimed)
			daedalus_job_account(br, job, ret, DAEDALUS_END_FETCH);
		spin_unlock(&br->lock);
		if (claimed)
			daedalus_job_finish(job, ret, NULL);
	}
	daedalus_job_put(job);
	return ret;
}

/* The fetched job @seqno, or NULL. */
static struct daedalus_job_obj *
daedalus_find_inflight(struct daedalus_bridge *br, u64 seqno)
{
	struct daedalus_job_obj *job;

	lockdep_assert_held(&br->lock);

	list_for_each_entry(job, &br->inflight, msg.node)
		if (job->desc.seqno == seqno)
			return job;
	return NULL;
}

static int daedalus_begin_write(struct daedalus_dev *dev, struct file *file,
				struct daedalus_write __user *uarg)
{
	struct daedalus_bridge *br = &dev->bridge;
	struct daedalus_job_obj *job;
	struct daedalus_write arg;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (memchr_inv(arg.reserved, 0, sizeof(arg.reserved)))
		return -EINVAL;

	spin_lock(&br->lock);
	if (br->daemon != file) {
		ret = -ENOTCONN;
		goto out;
	}
	job = daedalus_find_inflight(br, arg.seqno);
	/*
	 * Gone, or its time is up (the watchdog is about to end it): the
	 * buffer is not the daemon's to write.
	 */
	if (!job || job->state != DAEDALUS_JOB_FETCHED ||
	    time_after_eq(jiffies, job->deadline)) {
		ret = -ENOENT;
		goto out;
	}
	job->state = DAEDALUS_JOB_WRITING;
	daedalus_job_arm(br, job);
out:
	spin_unlock(&br->lock);
	return ret;
}

static int daedalus_complete(struct daedalus_dev *dev, struct file *file,
			     struct daedalus_result __user *ures)
{
	struct daedalus_bridge *br = &dev->bridge;
	struct daedalus_job_obj *job;
	struct daedalus_result res;
	bool wrote;
	int status;

	if (copy_from_user(&res, ures, sizeof(res)))
		return -EFAULT;
	if (res.num_planes > DAEDALUS_MAX_PLANES ||
	    memchr_inv(res.reserved, 0, sizeof(res.reserved)))
		return -EINVAL;
	status = res.status;
	if (status > 0 || status < -MAX_ERRNO)
		status = -EIO;

	spin_lock(&br->lock);
	if (br->daemon != file) {
		spin_unlock(&br->lock);
		return -ENOTCONN;
	}
	job = daedalus_find_inflight(br, res.seqno);
	wrote = job && job->state == DAEDALUS_JOB_WRITING;
	/* Not there: it was failed already (late answer), or never was. */
	if (!job || !daedalus_job_claim(br, job)) {
		spin_unlock(&br->lock);
		return -ENOENT;
	}
	/* A picture no one was allowed to write is no picture. */
	if (!status && !wrote)
		status = -EIO;
	daedalus_job_account(br, job, status, DAEDALUS_END_ANSWER);
	spin_unlock(&br->lock);

	daedalus_dbg(dev, "context %llu: job %llu answered: %d\n",
		     job->desc.ctx_id, job->desc.seqno, status);
	daedalus_job_finish(job, status, status ? NULL : &res);
	return !res.status && !wrote ? -EINVAL : 0;
}

static long daedalus_misc_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	struct daedalus_dev *dev = daedalus_misc_to_dev(file);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case DAEDALUS_IOC_ATTACH:
		return daedalus_attach(&dev->bridge, file, uarg);
	case DAEDALUS_IOC_FETCH:
		return daedalus_fetch(dev, file, uarg);
	case DAEDALUS_IOC_COMPLETE:
		return daedalus_complete(dev, file, uarg);
	case DAEDALUS_IOC_BEGIN_WRITE:
		return daedalus_begin_write(dev, file, uarg);
	default:
		return -ENOTTY;
	}
}

static __poll_t daedalus_misc_poll(struct file *file, poll_table *wait)
{
	struct daedalus_dev *dev = daedalus_misc_to_dev(file);
	struct daedalus_bridge *br = &dev->bridge;
	__poll_t mask = 0;

	poll_wait(file, &br->waitq, wait);

	spin_lock(&br->lock);
	if (br->daemon != file)
		mask = EPOLLERR;
	else if (!list_empty(&br->queue))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock(&br->lock);
	return mask;
}

static int daedalus_misc_release(struct inode *inode, struct file *file)
{
	struct daedalus_dev *dev = daedalus_misc_to_dev(file);
	struct daedalus_bridge *br = &dev->bridge;
	bool attached;

	spin_lock(&br->lock);
	attached = br->daemon == file;
	spin_unlock(&br->lock);

	if (attached)
		daedalus_detach(dev);
	return 0;
}

static const struct file_operations daedalus_misc_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.release = daedalus_misc_release,
	.unlocked_ioctl = daedalus_misc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = daedalus_misc_poll,
};

int daedalus_bridge_init(struct daedalus_dev *dev)
{
	struct daedalus_bridge *br = &dev->bridge;
	int ret;

	spin_lock_init(&br->lock);
	INIT_LIST_HEAD(&br->queue);
	INIT_LIST_HEAD(&br->inflight);
	init_waitqueue_head(&br->waitq);

	br->wq = alloc_workqueue("daedalus_v4l2", WQ_UNBOUND, 0);
	if (!br->wq)
		return -ENOMEM;

	br->misc.minor = MISC_DYNAMIC_MINOR;
	br->misc.name = DAEDALUS_DEVICE_NAME;
	br->misc.fops = &daedalus_misc_fops;
	br->misc.mode = 0600;
	br->misc.parent = &dev->pdev->dev;

	ret = misc_register(&br->misc);
	if (ret) {
		destroy_workqueue(br->wq);
		return ret;
	}
	daedalus_debugfs_init(dev);
	return 0;
}

void daedalus_bridge_exit(struct daedalus_dev *dev)
{
	struct daedalus_bridge *br = &dev->bridge;

	daedalus_debugfs_exit(dev);
	misc_deregister(&br->misc);
	/* Waits for the last watchdogs to drop their references. */
	destroy_workqueue(br->wq);
}
