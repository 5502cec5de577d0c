// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: the bridge to the decoding daemon.
 *
 * A job starts in device_run(): the request's controls are copied, the
 * buffers' dma-bufs referenced, and the job is queued for the daemon with a
 * watchdog armed. It ends exactly once, by whoever claims it first under the
 * bridge lock:
 *  - the daemon's answer (DAEDALUS_IOC_COMPLETE),
 *  - the watchdog (the daemon is stalled or slow),
 *  - the daemon going away (its file is released),
 *  - the m2m core aborting it (STREAMOFF, close of the context).
 * The claimer completes the request; everyone else does nothing. Without a
 * daemon a job fails at once.
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

/* Size of the control records of @ctx's codec as they stand now. */
static u32 daedalus_ctrl_bytes(struct daedalus_ctx *ctx)
{
	u32 bytes = 0;
	unsigned int i;

	for (i = 0; i < daedalus_num_ctrl_descs; i++) {
		const struct daedalus_ctrl_desc *d = &daedalus_ctrl_descs[i];
		struct v4l2_ctrl *ctrl;

		if (!d->to_daemon || d->codec != ctx->coded_desc->codec)
			continue;
		ctrl = v4l2_ctrl_find(&ctx->hdl, d->cfg.id);
		if (!ctrl)
			continue;
		bytes += sizeof(struct daedalus_ctrl) +
			 ALIGN(ctrl->elems * ctrl->elem_size,
			       DAEDALUS_CTRL_ALIGN);
	}
	return bytes;
}

/* Copies the current control values of @ctx's codec into @job. */
static void daedalus_job_copy_ctrls(struct daedalus_job_obj *job,
				    struct daedalus_ctx *ctx)
{
	unsigned int i;
	u32 off = 0;

	for (i = 0; i < daedalus_num_ctrl_descs; i++) {
		const struct daedalus_ctrl_desc *d = &daedalus_ctrl_descs[i];
		struct daedalus_ctrl *rec;
		struct v4l2_ctrl *ctrl;
		u32 size;

		if (!d->to_daemon || d->codec != ctx->coded_desc->codec)
			continue;
		ctrl = v4l2_ctrl_find(&ctx->hdl, d->cfg.id);
		if (!ctrl)
			continue;

		size = ctrl->elems * ctrl->elem_size;
		rec = (struct daedalus_ctrl *)(job->ctrls + off);
		rec->id = ctrl->id;
		rec->size = size;
		rec->elems = ctrl->elems;
		rec->reserved = 0;
		memcpy(rec + 1, ctrl->p_cur.p, size);
		memset((u8 *)(rec + 1) + size, 0,
		       ALIGN(size, DAEDALUS_CTRL_ALIGN) - size);
		off += sizeof(*rec) + ALIGN(size, DAEDALUS_CTRL_ALIGN);
		job->desc.ctrl_count++;
	}
	job->ctrl_bytes = off;
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
				db = vb->vb2_queue->mem_ops->get_dmabuf(vb,
						vb->planes[i].mem_priv, O_RDWR);
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
		    struct vb2_v4l2_buffer *dst)
{
	const struct v4l2_pix_format_mplane *coded = &ctx->coded_fmt.fmt.pix_mp;
	const struct v4l2_pix_format_mplane *dec = &ctx->decoded_fmt.fmt.pix_mp;
	struct daedalus_job_obj *job;
	u32 ctrl_bytes;
	int ret;

	ctrl_bytes = daedalus_ctrl_bytes(ctx);
	if (WARN_ON_ONCE(ctrl_bytes > DAEDALUS_MAX_CTRL_BYTES))
		return ERR_PTR(-E2BIG);

	job = kvzalloc(struct_size(job, ctrls, ctrl_bytes), GFP_KERNEL);
	if (!job)
		return ERR_PTR(-ENOMEM);

	kref_init(&job->ref);
	job->queued = ktime_get();
	INIT_LIST_HEAD(&job->msg.node);
	job->msg.type = DAEDALUS_MSG_JOB;
	job->dev = ctx->dev;
	job->ctx = ctx;
	INIT_DELAYED_WORK(&job->watchdog, daedalus_job_watchdog);

	job->desc.timestamp = src->vb2_buf.timestamp;
	job->desc.ctx_id = ctx->id;
	job->desc.codec = coded->pixelformat;
	if (src->flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF)
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

	daedalus_job_copy_ctrls(job, ctx);
	return job;
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
	if (job->ctx->job == job)
		job->ctx->job = NULL;
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

/* Completes the request of @ctx's current job. */
static void daedalus_run_done(struct daedalus_ctx *ctx, int status,
			      const struct daedalus_result *res)
{
	enum vb2_buffer_state state = VB2_BUF_STATE_DONE;
	struct vb2_v4l2_buffer *dst;
	unsigned int i;

	dst = v4l2_m2m_next_dst_buf(ctx->fh.m2m_ctx);
	if (status) {
		state = VB2_BUF_STATE_ERROR;
	} else if (dst && res) {
		struct vb2_buffer *vb = &dst->vb2_buf;
		unsigned int n = min(vb->num_planes, res->num_planes);

		for (i = 0; i < n; i++)
			if (res->bytesused[i] &&
			    res->bytesused[i] <= vb2_plane_size(vb, i))
				vb2_set_plane_payload(vb, i, res->bytesused[i]);
	}
	v4l2_m2m_buf_done_and_job_finish(ctx->dev->m2m_dev, ctx->fh.m2m_ctx,
					 state);
}

/* The claimer of @job ends it; drops the bridge's reference. */
static void daedalus_job_finish(struct daedalus_job_obj *job, int status,
				const struct daedalus_result *res)
{
	if (cancel_delayed_work(&job->watchdog))
		daedalus_job_put(job);
	daedalus_run_done(job->ctx, status, res);
	daedalus_job_put(job);
}

static void daedalus_job_watchdog(struct work_struct *work)
{
	struct daedalus_job_obj *job =
		container_of(to_delayed_work(work), struct daedalus_job_obj,
			     watchdog);
	struct daedalus_bridge *br = &job->dev->bridge;
	bool claimed;

	spin_lock(&br->lock);
	claimed = daedalus_job_claim(br, job);
	if (claimed)
		daedalus_job_account(br, job, -ETIMEDOUT,
				     DAEDALUS_END_WATCHDOG);
	spin_unlock(&br->lock);

	if (claimed) {
		dev_warn_ratelimited(&job->dev->pdev->dev,
				     "job %llu of context %u: no answer from the daemon in %u ms\n",
				     job->desc.seqno, job->desc.ctx_id,
				     daedalus_job_timeout_ms);
		daedalus_job_finish(job, -ETIMEDOUT, NULL);
	}
	/* The watchdog's own reference. */
	daedalus_job_put(job);
}

/* ---------------------------------------------------------------------
 * m2m callbacks
 */

void daedalus_device_run(void *priv)
{
	struct daedalus_ctx *ctx = priv;
	struct daedalus_dev *dev = ctx->dev;
	struct daedalus_bridge *br = &dev->bridge;
	struct vb2_v4l2_buffer *src, *dst;
	struct daedalus_job_obj *job;
	struct media_request *req;

	src = v4l2_m2m_next_src_buf(ctx->fh.m2m_ctx);
	dst = v4l2_m2m_next_dst_buf(ctx->fh.m2m_ctx);
	req = src->vb2_buf.req_obj.req;

	/* The controls of this request become the current values. */
	if (req)
		v4l2_ctrl_request_setup(req, &ctx->hdl);

	v4l2_m2m_buf_copy_metadata(src, dst, true);
	src->sequence = ctx->out_seq++;
	dst->sequence = ctx->cap_seq++;
	dst->field = V4L2_FIELD_NONE;

	job = daedalus_job_create(ctx, src, dst);

	if (req)
		v4l2_ctrl_request_complete(req, &ctx->hdl);

	if (IS_ERR(job)) {
		dev_err_ratelimited(&dev->pdev->dev,
				    "context %u: cannot prepare job: %ld\n",
				    ctx->id, PTR_ERR(job));
		daedalus_run_done(ctx, PTR_ERR(job), NULL);
		return;
	}

	spin_lock(&br->lock);
	br->stats.jobs++;
	ctx->stats.jobs++;
	if (!br->daemon) {
		daedalus_job_account(br, job, -ENODEV, DAEDALUS_END_NO_DAEMON);
		spin_unlock(&br->lock);
		dev_warn_ratelimited(&dev->pdev->dev,
				     "context %u: no daemon attached, failing the request\n",
				     ctx->id);
		daedalus_job_put(job);
		daedalus_run_done(ctx, -ENODEV, NULL);
		return;
	}

	job->desc.seqno = ++br->next_seqno;
	job->state = DAEDALUS_JOB_QUEUED;
	list_add_tail(&job->msg.node, &br->queue);
	ctx->job = job;
	ctx->sent_gen = br->generation;
	daedalus_vb2_to_buf(&src->vb2_buf)->sent_gen = br->generation;
	daedalus_vb2_to_buf(&dst->vb2_buf)->sent_gen = br->generation;

	kref_get(&job->ref);
	queue_delayed_work(br->wq, &job->watchdog,
			   msecs_to_jiffies(daedalus_job_timeout_ms));
	trace_daedalus_job_queue(ctx->id, job->desc.seqno, job->desc.codec,
				 job->desc.width, job->desc.height,
				 job->desc.timestamp);
	spin_unlock(&br->lock);

	daedalus_dbg(dev, "context %u: job %llu queued (ts %llu)\n", ctx->id,
		     job->desc.seqno, job->desc.timestamp);
	wake_up_interruptible(&br->waitq);
}

void daedalus_job_abort(void *priv)
{
	struct daedalus_ctx *ctx = priv;
	struct daedalus_bridge *br = &ctx->dev->bridge;
	struct daedalus_job_obj *job;
	bool claimed = false;

	spin_lock(&br->lock);
	job = ctx->job;
	if (job) {
		claimed = daedalus_job_claim(br, job);
		if (claimed)
			daedalus_job_account(br, job, -ECANCELED,
					     DAEDALUS_END_ABORT);
	}
	spin_unlock(&br->lock);

	if (claimed)
		daedalus_job_finish(job, -ECANCELED, NULL);
}

/* ---------------------------------------------------------------------
 * Events for the daemon
 */

static void daedalus_queue_event(struct daedalus_bridge *br, u32 gen,
				 u32 type, u32 ctx_id, u64 buf_id)
{
	struct daedalus_event *ev;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return;
	ev->msg.type = type;
	ev->ctx_id = ctx_id;
	ev->buf_id = buf_id;

	spin_lock(&br->lock);
	/* Only news about what the attached daemon has seen. */
	if (!br->daemon || gen != br->generation) {
		spin_unlock(&br->lock);
		kfree(ev);
		return;
	}
	list_add_tail(&ev->msg.node, &br->queue);
	spin_unlock(&br->lock);
	wake_up_interruptible(&br->waitq);
}

void daedalus_bridge_buf_freed(struct daedalus_ctx *ctx,
			       struct daedalus_buf *buf)
{
	if (buf->sent_gen)
		daedalus_queue_event(&ctx->dev->bridge, buf->sent_gen,
				     DAEDALUS_MSG_BUF_FREE, ctx->id, buf->id);
	buf->sent_gen = 0;
}

void daedalus_bridge_ctx_event(struct daedalus_ctx *ctx, u32 type)
{
	if (ctx->sent_gen)
		daedalus_queue_event(&ctx->dev->bridge, ctx->sent_gen, type,
				     ctx->id, 0);
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
	      memchr_inv(arg.reserved, 0, sizeof(arg.reserved));

	arg.version = DAEDALUS_PROTOCOL_VERSION;
	arg.max_ctrl_bytes = DAEDALUS_MAX_CTRL_BYTES;
	arg.job_timeout_ms = daedalus_job_timeout_ms;
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
	pid_t pid;

	spin_lock(&br->lock);
	br->daemon = NULL;
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
			list_del(&msg->node);
			kfree(container_of(msg, struct daedalus_event, msg));
		}
	}
	trace_daedalus_daemon(false, pid, failed);
	spin_unlock(&br->lock);

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
		spin_unlock(&br->lock);
		ev = container_of(qmsg, struct daedalus_event, msg);
		memset(&msg.job, 0, sizeof(msg.job));
		msg.type = ev->msg.type;
		msg.ctx_id = ev->ctx_id;
		msg.buf_id = ev->buf_id;
		kfree(ev);
		return copy_to_user(umsg, &msg, sizeof(msg)) ? -EFAULT : 0;
	}

	job = container_of(qmsg, struct daedalus_job_obj, msg);
	job->state = DAEDALUS_JOB_FETCHED;
	list_add_tail(&job->msg.node, &br->inflight);
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

static int daedalus_complete(struct daedalus_dev *dev, struct file *file,
			     struct daedalus_result __user *ures)
{
	struct daedalus_bridge *br = &dev->bridge;
	struct daedalus_job_obj *job = NULL, *it;
	struct daedalus_result res;
	int status;

	if (copy_from_user(&res, ures, sizeof(res)))
		return -EFAULT;
	if (res.num_planes > DAEDALUS_MAX_PLANES)
		return -EINVAL;
	status = res.status;
	if (status > 0 || status < -MAX_ERRNO)
		status = -EIO;

	spin_lock(&br->lock);
	if (br->daemon != file) {
		spin_unlock(&br->lock);
		return -ENOTCONN;
	}
	list_for_each_entry(it, &br->inflight, msg.node) {
		if (it->desc.seqno == res.seqno) {
			job = it;
			break;
		}
	}
	/* Not there: it was failed already (late answer), or never was. */
	if (!job || !daedalus_job_claim(br, job)) {
		spin_unlock(&br->lock);
		return -ENOENT;
	}
	daedalus_job_account(br, job, status, DAEDALUS_END_ANSWER);
	spin_unlock(&br->lock);

	daedalus_dbg(dev, "context %u: job %llu answered: %d\n",
		     job->desc.ctx_id, job->desc.seqno, status);
	daedalus_job_finish(job, status, &res);
	return 0;
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
