// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: module, device registration, formats and controls, open and
 * release of the video node.
 *
 * Copyright (C) 2026 The daedalus-v4l2 authors
 */

#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>

#include "daedalus.h"

unsigned int daedalus_job_timeout_ms = 500;
module_param_named(job_timeout_ms, daedalus_job_timeout_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "time the daemon has to answer a job before it fails (ms)");

unsigned int daedalus_debug;
module_param_named(debug, daedalus_debug, uint, 0644);
MODULE_PARM_DESC(debug, "log every job (0/1)");

unsigned int daedalus_max_contexts = 64;
module_param_named(max_contexts, daedalus_max_contexts, uint, 0644);
MODULE_PARM_DESC(max_contexts,
		 "contexts that decode (from their first CAPTURE STREAMON to their close) at once; STREAMON fails with EBUSY past it");

/* 64 streams of 1920x1088: what the daemon's memory is sized for. */
unsigned int daedalus_max_pixels = 64 * 1920 * 1088;
module_param_named(max_pixels, daedalus_max_pixels, uint, 0644);
MODULE_PARM_DESC(max_pixels,
		 "CAPTURE pixels of all decoding contexts together; STREAMON fails with EBUSY past it");

/* Chromium and GStreamer queue a few requests ahead; FFmpeg waits for each. */
unsigned int daedalus_max_inflight = 4;
module_param_named(max_inflight, daedalus_max_inflight, uint, 0644);
MODULE_PARM_DESC(max_inflight,
		 "jobs of one context the daemon may hold at once (1-32): a client's queued requests are decoded without waiting for each other");

int daedalus_dma_contig = -1;
module_param_named(dma_contig, daedalus_dma_contig, int, 0644);
MODULE_PARM_DESC(dma_contig,
		 "buffer memory of contexts opened from now on: 1 physically contiguous (dma-contig), 0 pages (dma-sg), -1 contiguous if the kernel has CMA (default)");

/*
 * For tests only: the first context id, to show that ids do not wrap at 32
 * bits and that the module refuses to reuse one at 64.
 */
static u64 daedalus_first_ctx_id = 1;
module_param_named(first_ctx_id, daedalus_first_ctx_id, ullong, 0444);
MODULE_PARM_DESC(first_ctx_id, "the id of the first context (testing only)");

#define DAEDALUS_FRMSIZE(max_w, max_h) {			\
	.min_width = 16, .max_width = (max_w), .step_width = 1,	\
	.min_height = 16, .max_height = (max_h), .step_height = 1, }

const struct daedalus_coded_fmt daedalus_coded_fmts[] = {
	{
		.fourcc = V4L2_PIX_FMT_H264_SLICE,
		.codec = DAEDALUS_CODEC_H264,
		.frmsize = DAEDALUS_FRMSIZE(4096, 2304),
		.align = 16,
		.seq_ctrl = V4L2_CID_STATELESS_H264_SPS,
	},
	{
		.fourcc = V4L2_PIX_FMT_VP9_FRAME,
		.codec = DAEDALUS_CODEC_VP9,
		.frmsize = DAEDALUS_FRMSIZE(4096, 2304),
		.align = 16,
		.seq_ctrl = V4L2_CID_STATELESS_VP9_FRAME,
	},
	{
		.fourcc = V4L2_PIX_FMT_AV1_FRAME,
		.codec = DAEDALUS_CODEC_AV1,
		.frmsize = DAEDALUS_FRMSIZE(4096, 2304),
		.align = 16,
		.seq_ctrl = V4L2_CID_STATELESS_AV1_SEQUENCE,
	},
	{
		.fourcc = V4L2_PIX_FMT_VP8_FRAME,
		.codec = DAEDALUS_CODEC_VP8,
		.frmsize = DAEDALUS_FRMSIZE(4096, 2304),
		.align = 16,
	},
};

const unsigned int daedalus_num_coded_fmts = ARRAY_SIZE(daedalus_coded_fmts);

/*
 * A control whose value travels with each job: daedalus_try_ctrl() checks
 * it beyond what the control framework checks.
 */
#define DAEDALUS_CTRL(ctrl_id, c)					\
	{								\
		.cfg = { .id = (ctrl_id), .ops = &daedalus_ctrl_ops },	\
		.codec = (c), .to_daemon = true,			\
	}

/* A control whose value decides the CAPTURE formats (bit depth). */
#define DAEDALUS_SEQ_CTRL(ctrl_id, c)	DAEDALUS_CTRL(ctrl_id, c)

const struct daedalus_ctrl_desc daedalus_ctrl_descs[] = {
	DAEDALUS_SEQ_CTRL(V4L2_CID_STATELESS_H264_SPS, DAEDALUS_CODEC_H264),
	DAEDALUS_CTRL(V4L2_CID_STATELESS_H264_PPS, DAEDALUS_CODEC_H264),
	DAEDALUS_CTRL(V4L2_CID_STATELESS_H264_SCALING_MATRIX,
		      DAEDALUS_CODEC_H264),
	DAEDALUS_CTRL(V4L2_CID_STATELESS_H264_DECODE_PARAMS,
		      DAEDALUS_CODEC_H264),
	DAEDALUS_CTRL(V4L2_CID_STATELESS_H264_SLICE_PARAMS,
		      DAEDALUS_CODEC_H264),
	DAEDALUS_CTRL(V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
		      DAEDALUS_CODEC_H264),
	{
		/* The daemon decodes whole pictures: pinned like hantro's. */
		.cfg = {
			.id = V4L2_CID_STATELESS_H264_DECODE_MODE,
			.min = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED,
			.max = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED,
			.def = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED,
		},
		.codec = DAEDALUS_CODEC_H264,
	},
	{
		.cfg = {
			.id = V4L2_CID_STATELESS_H264_START_CODE,
			.min = V4L2_STATELESS_H264_START_CODE_ANNEX_B,
			.max = V4L2_STATELESS_H264_START_CODE_ANNEX_B,
			.def = V4L2_STATELESS_H264_START_CODE_ANNEX_B,
		},
		.codec = DAEDALUS_CODEC_H264,
	},
	{
		/* Profiles, for clients that enumerate them (Chromium). */
		.cfg = {
			.id = V4L2_CID_MPEG_VIDEO_H264_PROFILE,
			.min = V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE,
			.max = V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_10,
			.menu_skip_mask =
				BIT(V4L2_MPEG_VIDEO_H264_PROFILE_EXTENDED),
			.def = V4L2_MPEG_VIDEO_H264_PROFILE_MAIN,
		},
		.codec = DAEDALUS_CODEC_H264,
	},
	DAEDALUS_SEQ_CTRL(V4L2_CID_STATELESS_VP9_FRAME, DAEDALUS_CODEC_VP9),
	DAEDALUS_CTRL(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
		      DAEDALUS_CODEC_VP9),
	{
		.cfg = {
			.id = V4L2_CID_MPEG_VIDEO_VP9_PROFILE,
			.min = V4L2_MPEG_VIDEO_VP9_PROFILE_0,
			.max = V4L2_MPEG_VIDEO_VP9_PROFILE_2,
			/* 4:2:0 only: profiles 0 (8-bit) and 2 (10-bit) */
			.menu_skip_mask = BIT(V4L2_MPEG_VIDEO_VP9_PROFILE_1),
			.def = V4L2_MPEG_VIDEO_VP9_PROFILE_0,
		},
		.codec = DAEDALUS_CODEC_VP9,
	},
	DAEDALUS_SEQ_CTRL(V4L2_CID_STATELESS_AV1_SEQUENCE, DAEDALUS_CODEC_AV1),
	DAEDALUS_CTRL(V4L2_CID_STATELESS_AV1_FRAME, DAEDALUS_CODEC_AV1),
	{
		.cfg = {
			.id = V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
			.ops = &daedalus_ctrl_ops,
			.dims = { V4L2_AV1_MAX_TILE_COUNT },
		},
		.codec = DAEDALUS_CODEC_AV1,
		.to_daemon = true,
	},
	DAEDALUS_CTRL(V4L2_CID_STATELESS_AV1_FILM_GRAIN, DAEDALUS_CODEC_AV1),
	{
		.cfg = {
			.id = V4L2_CID_MPEG_VIDEO_AV1_PROFILE,
			.min = V4L2_MPEG_VIDEO_AV1_PROFILE_MAIN,
			.max = V4L2_MPEG_VIDEO_AV1_PROFILE_MAIN,
			.def = V4L2_MPEG_VIDEO_AV1_PROFILE_MAIN,
		},
		.codec = DAEDALUS_CODEC_AV1,
	},
	DAEDALUS_CTRL(V4L2_CID_STATELESS_VP8_FRAME, DAEDALUS_CODEC_VP8),
	{
		.cfg = {
			.id = V4L2_CID_MPEG_VIDEO_VP8_PROFILE,
			.min = V4L2_MPEG_VIDEO_VP8_PROFILE_0,
			.max = V4L2_MPEG_VIDEO_VP8_PROFILE_3,
			.def = V4L2_MPEG_VIDEO_VP8_PROFILE_0,
		},
		.codec = DAEDALUS_CODEC_VP8,
	},
};

static_assert(ARRAY_SIZE(daedalus_ctrl_descs) == DAEDALUS_NUM_CTRL_DESCS);

/*
 * The bit depth a sequence control (H.264 SPS, VP9 frame, AV1 sequence)
 * says, or 0 when it is not such a control.
 */
unsigned int daedalus_seq_bit_depth(u32 id, union v4l2_ctrl_ptr ptr)
{
	switch (id) {
	case V4L2_CID_STATELESS_H264_SPS:
		return ptr.p_h264_sps->bit_depth_luma_minus8 + 8;
	case V4L2_CID_STATELESS_VP9_FRAME:
		return ptr.p_vp9_frame->bit_depth;
	case V4L2_CID_STATELESS_AV1_SEQUENCE:
		return ptr.p_av1_sequence->bit_depth;
	default:
		return 0;
	}
}

/* Whether @id is a control daedalus_seq_bit_depth() reads. */
static bool daedalus_is_seq_ctrl(u32 id)
{
	return id == V4L2_CID_STATELESS_H264_SPS ||
	       id == V4L2_CID_STATELESS_VP9_FRAME ||
	       id == V4L2_CID_STATELESS_AV1_SEQUENCE;
}

/* The largest frame any OUTPUT format accepts. */
static bool daedalus_frame_too_big(u32 width, u32 height)
{
	const struct v4l2_frmsize_stepwise *max =
		&daedalus_coded_fmts[0].frmsize;

	return width > max->max_width || height > max->max_height;
}

/*
 * H.264 as hantro and rkvdec check it: 4:0:0 or 4:2:0 (the CAPTURE formats
 * are 4:2:0), the same bit depth for luma and chroma, no more reference
 * frames than the DPB holds, and, while H.264 is the
 * OUTPUT format, a picture no larger than that format (rounded up to whole
 * macroblocks): its CAPTURE buffers are made for that size.
 */
static int daedalus_try_h264_sps(struct daedalus_ctx *ctx,
				 const struct v4l2_ctrl_h264_sps *sps)
{
	const struct v4l2_pix_format_mplane *coded = &ctx->coded_fmt.fmt.pix_mp;
	u32 width, height;

	if (sps->chroma_format_idc > 1)
		return -EINVAL;
	if (sps->bit_depth_chroma_minus8 != sps->bit_depth_luma_minus8)
		return -EINVAL;
	/* The framework allows 32; the DPB (and DECODE_PARAMS) holds 16. */
	if (sps->max_num_ref_frames > V4L2_H264_NUM_DPB_ENTRIES)
		return -EINVAL;

	width = (sps->pic_width_in_mbs_minus1 + 1) * 16;
	height = (sps->pic_height_in_map_units_minus1 + 1) * 16;
	if (!(sps->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY))
		height *= 2;
	if (daedalus_frame_too_big(width, height))
		return -EINVAL;
	if (ctx->coded_desc && ctx->coded_desc->codec == DAEDALUS_CODEC_H264 &&
	    (width > ALIGN(coded->width, 16) ||
	     height > ALIGN(coded->height, 16)))
		return -EINVAL;
	return 0;
}

/* Profiles 0 and 2 only (4:2:0), frames within the decoder's limits. */
static int daedalus_try_vp9_frame(const struct v4l2_ctrl_vp9_frame *frame)
{
	if (frame->profile != 0 && frame->profile != 2)
		return -EINVAL;
	if (daedalus_frame_too_big(frame->frame_width_minus_1 + 1,
				   frame->frame_height_minus_1 + 1))
		return -EINVAL;
	return 0;
}

/* Main profile only (4:2:0 and 4:0:0), as the profile menu says. */
static int daedalus_try_av1_sequence(const struct v4l2_ctrl_av1_sequence *seq)
{
	if (seq->seq_profile != 0)
		return -EINVAL;
	if (daedalus_frame_too_big(seq->max_frame_width_minus_1 + 1,
				   seq->max_frame_height_minus_1 + 1))
		return -EINVAL;
	return 0;
}

static int daedalus_try_av1_frame(const struct v4l2_ctrl_av1_frame *frame)
{
	u32 width = max_t(u32, frame->frame_width_minus_1 + 1,
			  frame->upscaled_width);

	if (daedalus_frame_too_big(width, frame->frame_height_minus_1 + 1))
		return -EINVAL;
	return 0;
}

/*
 * Tiles inside the tile grid and inside the largest OUTPUT buffer; the
 * daemon checks them against the request's own buffer. An empty tile passes
 * here: it is the control's default value, which must stay valid (the
 * daemon fails a job that has one).
 */
static int daedalus_try_av1_tiles(const struct v4l2_ctrl *ctrl)
{
	const struct v4l2_ctrl_av1_tile_group_entry *tile =
		ctrl->p_new.p_av1_tile_group_entry;
	unsigned int i;

	for (i = 0; i < ctrl->new_elems; i++, tile++) {
		if (tile->tile_row >= V4L2_AV1_MAX_TILE_ROWS ||
		    tile->tile_col >= V4L2_AV1_MAX_TILE_COLS ||
		    tile->tile_offset >= DAEDALUS_MAX_CODED_SIZE ||
		    tile->tile_size > DAEDALUS_MAX_CODED_SIZE -
				      tile->tile_offset)
			return -EINVAL;
	}
	return 0;
}

static int daedalus_try_vp8_frame(const struct v4l2_ctrl_vp8_frame *frame)
{
	if (daedalus_frame_too_big(frame->width, frame->height))
		return -EINVAL;
	return 0;
}

/*
 * What the control framework does not check (v4l2-ctrls-core.c checks each
 * field's range): values the decoder cannot honour or that contradict the
 * format, refused with -EINVAL as VIDIOC_S_EXT_CTRLS allows. The daemon
 * fails the jobs whose values contradict each other or the bitstream. The
 * daemon writes 8-bit pictures as NV12 and 10-bit ones as P010.
 */
static int daedalus_try_ctrl(struct v4l2_ctrl *ctrl)
{
	struct daedalus_ctx *ctx = container_of(ctrl->handler,
						struct daedalus_ctx, hdl);
	unsigned int depth = daedalus_seq_bit_depth(ctrl->id, ctrl->p_new);
	int ret = 0;

	/*
	 * Of any codec, not only the OUTPUT format's: S_FMT makes its value the
	 * stream's bit depth later (a depth of 0 once reached S_FMT).
	 */
	if (daedalus_is_seq_ctrl(ctrl->id) && depth != 8 && depth != 10)
		return -EINVAL;

	switch (ctrl->id) {
	case V4L2_CID_STATELESS_H264_SPS:
		ret = daedalus_try_h264_sps(ctx, ctrl->p_new.p_h264_sps);
		break;
	case V4L2_CID_STATELESS_VP9_FRAME:
		ret = daedalus_try_vp9_frame(ctrl->p_new.p_vp9_frame);
		break;
	case V4L2_CID_STATELESS_AV1_SEQUENCE:
		ret = daedalus_try_av1_sequence(ctrl->p_new.p_av1_sequence);
		break;
	case V4L2_CID_STATELESS_AV1_FRAME:
		ret = daedalus_try_av1_frame(ctrl->p_new.p_av1_frame);
		break;
	case V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY:
		ret = daedalus_try_av1_tiles(ctrl);
		break;
	case V4L2_CID_STATELESS_VP8_FRAME:
		ret = daedalus_try_vp8_frame(ctrl->p_new.p_vp8_frame);
		break;
	}
	return ret;
}

/*
 * A sequence control of the OUTPUT format's codec picks the CAPTURE format,
 * as in hantro and rkvdec: the client sets it after the sequence header and
 * then reads the CAPTURE format.
 */
static int daedalus_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct daedalus_ctx *ctx = container_of(ctrl->handler,
						struct daedalus_ctx, hdl);

	/* Still opening: the formats follow from the controls then. */
	if (!ctx->coded_desc || ctx->coded_desc->seq_ctrl != ctrl->id)
		return 0;
	return daedalus_set_bit_depth(ctx,
				      daedalus_seq_bit_depth(ctrl->id,
							     ctrl->p_new));
}

const struct v4l2_ctrl_ops daedalus_ctrl_ops = {
	.try_ctrl = daedalus_try_ctrl,
	.s_ctrl = daedalus_s_ctrl,
};

static int daedalus_init_ctrls(struct daedalus_ctx *ctx)
{
	struct v4l2_ctrl_handler *hdl = &ctx->hdl;
	unsigned int i;
	int ret;

	v4l2_ctrl_handler_init(hdl, DAEDALUS_NUM_CTRL_DESCS);
	for (i = 0; i < DAEDALUS_NUM_CTRL_DESCS; i++) {
		const struct daedalus_ctrl_desc *d = &daedalus_ctrl_descs[i];

		ctx->ctrls[i] = v4l2_ctrl_new_custom(hdl, &d->cfg, NULL);
	}

	ret = hdl->error;
	if (ret) {
		v4l2_err(&ctx->dev->v4l2_dev, "cannot create controls: %d\n",
			 ret);
		v4l2_ctrl_handler_free(hdl);
		return ret;
	}

	ctx->fh.ctrl_handler = hdl;
	return v4l2_ctrl_handler_setup(hdl);
}

static int daedalus_open(struct file *file)
{
	struct daedalus_dev *dev = video_drvdata(file);
	struct daedalus_ctx *ctx;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;

	ret = daedalus_bridge_ctx_init(ctx);
	if (ret) {
		kfree(ctx);
		return ret;
	}

	if (mutex_lock_interruptible(&dev->dev_mutex)) {
		ret = -ERESTARTSYS;
		goto err_free_ctx;
	}

	/* Ids are never reused: the daemon keys everything it keeps by them. */
	if (!dev->next_ctx_id) {
		dev_warn_ratelimited(&dev->pdev->dev,
				     "context ids exhausted: reload the module\n");
		ret = -EOVERFLOW;
		goto err_unlock;
	}

	ctx->dev = dev;
	ctx->id = dev->next_ctx_id++;
	mutex_init(&ctx->vb_mutex);
	mutex_init(&ctx->feed_lock);
	INIT_WORK(&ctx->feed_work, daedalus_feed_work);
	INIT_LIST_HEAD(&ctx->jobs);
	init_waitqueue_head(&ctx->jobs_wq);
	v4l2_fh_init(&ctx->fh, video_devdata(file));
	file->private_data = &ctx->fh;

	ret = daedalus_init_ctrls(ctx);
	if (ret)
		goto err_fh_exit;

	daedalus_set_default_formats(ctx);

	ctx->fh.m2m_ctx = v4l2_m2m_ctx_init(dev->m2m_dev, ctx,
					    daedalus_queue_init);
	if (IS_ERR(ctx->fh.m2m_ctx)) {
		ret = PTR_ERR(ctx->fh.m2m_ctx);
		goto err_free_hdl;
	}
	ctx->fh.m2m_ctx->q_lock = &ctx->vb_mutex;

	v4l2_fh_add(&ctx->fh);
	list_add_tail(&ctx->node, &dev->ctxs);
	dev->num_ctxs++;
	mutex_unlock(&dev->dev_mutex);

	daedalus_dbg(dev, "context %llu opened\n", ctx->id);
	return 0;

err_free_hdl:
	v4l2_ctrl_handler_free(&ctx->hdl);
err_fh_exit:
	v4l2_fh_exit(&ctx->fh);
	mutex_destroy(&ctx->feed_lock);
	mutex_destroy(&ctx->vb_mutex);
err_unlock:
	mutex_unlock(&dev->dev_mutex);
err_free_ctx:
	kfree(ctx->close_ev);
	kfree(ctx);
	return ret;
}

static int daedalus_release(struct file *file)
{
	struct daedalus_dev *dev = video_drvdata(file);
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);

	daedalus_dbg(dev, "context %llu closing: %llu jobs, at most %u with the daemon at once\n",
		     ctx->id, ctx->stats.jobs, ctx->stats.max_inflight);

	mutex_lock(&dev->dev_mutex);
	list_del(&ctx->node);
	dev->num_ctxs--;
	v4l2_fh_del(&ctx->fh);
	/* Fails the jobs still with the daemon and frees the buffers. */
	v4l2_m2m_ctx_release(ctx->fh.m2m_ctx);
	mutex_unlock(&dev->dev_mutex);
	/* Queued by the last jobs' ends; finds nothing streaming. */
	cancel_work_sync(&ctx->feed_work);

	/* Queues CTX_CLOSE and unqueues a CTX_RESET still waiting. */
	daedalus_bridge_ctx_close(ctx);

	/*
	 * The file's control events go first: unsubscribing them looks the
	 * controls up in the handler, which must still be there (found by the
	 * ioctl fuzzer under lockdep: a destroyed handler lock).
	 */
	v4l2_fh_exit(&ctx->fh);
	v4l2_ctrl_handler_free(&ctx->hdl);
	mutex_destroy(&ctx->feed_lock);
	mutex_destroy(&ctx->vb_mutex);
	kfree(ctx);
	return 0;
}

static const struct v4l2_file_operations daedalus_fops = {
	.owner = THIS_MODULE,
	.open = daedalus_open,
	.release = daedalus_release,
	.poll = v4l2_m2m_fop_poll,
	.unlocked_ioctl = video_ioctl2,
	.mmap = v4l2_m2m_fop_mmap,
};

static const struct video_device daedalus_videodev = {
	.name = DAEDALUS_CARD,
	.vfl_dir = VFL_DIR_M2M,
	.fops = &daedalus_fops,
	.ioctl_ops = &daedalus_ioctl_ops,
	.minor = -1,
	.release = video_device_release_empty,
	.device_caps = V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING,
};

/*
 * The m2m core keeps the buffer queues; the module runs the jobs itself
 * (daedalus_feed()), so the core never has one ready.
 */
static int daedalus_job_ready(void *priv)
{
	return 0;
}

static void daedalus_device_run(void *priv)
{
	WARN_ON_ONCE(1);
}

static const struct v4l2_m2m_ops daedalus_m2m_ops = {
	.device_run = daedalus_device_run,
	.job_ready = daedalus_job_ready,
};

/*
 * A request fd can outlive every other file of the device: the media core
 * frees it through the media device's ops (and reads the media device) when
 * its last reference goes, and does not pin the driver. Each request holds
 * a reference to the module, so the module (and with it the device) stays
 * until the last request is freed; rmmod is refused until then.
 */
static struct media_request *daedalus_request_alloc(struct media_device *mdev)
{
	struct media_request *req;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return NULL;
	/* Allocated through an open media device, which pins the module. */
	__module_get(THIS_MODULE);
	return req;
}

static void daedalus_request_free(struct media_request *req)
{
	kfree(req);
	/* Last: the media core does not come back into the module. */
	module_put(THIS_MODULE);
}

/*
 * Queues the request's objects (v4l2_m2m_request_queue()), then feeds the
 * context of its buffer. The video node's release is serialised with this
 * (the media device's req_queue_mutex), so the context is alive.
 */
static void daedalus_request_queue(struct media_request *req)
{
	struct daedalus_ctx *ctx = daedalus_request_ctx(req);

	v4l2_m2m_request_queue(req);
	if (ctx)
		daedalus_feed(ctx);
}

static const struct media_device_ops daedalus_media_ops = {
	.req_alloc = daedalus_request_alloc,
	.req_free = daedalus_request_free,
	.req_validate = daedalus_request_validate,
	.req_queue = daedalus_request_queue,
};

static void daedalus_v4l2_release(struct v4l2_device *v4l2_dev)
{
	struct daedalus_dev *dev = container_of(v4l2_dev, struct daedalus_dev,
						v4l2_dev);

	v4l2_device_unregister(&dev->v4l2_dev);
	v4l2_m2m_release(dev->m2m_dev);
	media_device_cleanup(&dev->mdev);
	mutex_destroy(&dev->dev_mutex);
	kfree(dev);
}

static int daedalus_register(struct daedalus_dev *dev)
{
	const int function = MEDIA_ENT_F_PROC_VIDEO_DECODER;
	struct video_device *vfd = &dev->vfd;
	int ret;

	ret = v4l2_device_register(&dev->pdev->dev, &dev->v4l2_dev);
	if (ret)
		return ret;
	dev->v4l2_dev.release = daedalus_v4l2_release;

	dev->m2m_dev = v4l2_m2m_init(&daedalus_m2m_ops);
	if (IS_ERR(dev->m2m_dev)) {
		ret = PTR_ERR(dev->m2m_dev);
		goto err_unreg_v4l2;
	}

	dev->mdev.dev = &dev->pdev->dev;
	strscpy(dev->mdev.model, DAEDALUS_CARD, sizeof(dev->mdev.model));
	strscpy(dev->mdev.bus_info, "platform:" DAEDALUS_CARD,
		sizeof(dev->mdev.bus_info));
	media_device_init(&dev->mdev);
	dev->mdev.ops = &daedalus_media_ops;
	dev->v4l2_dev.mdev = &dev->mdev;

	*vfd = daedalus_videodev;
	vfd->lock = &dev->dev_mutex;
	vfd->v4l2_dev = &dev->v4l2_dev;
	video_set_drvdata(vfd, dev);

	ret = video_register_device(vfd, VFL_TYPE_VIDEO, -1);
	if (ret)
		goto err_release_m2m;

	ret = v4l2_m2m_register_media_controller(dev->m2m_dev, vfd, function);
	if (ret)
		goto err_unreg_video;

	ret = media_device_register(&dev->mdev);
	if (ret)
		goto err_unreg_mc;

	v4l2_info(&dev->v4l2_dev, "decoder registered as /dev/video%d\n",
		  vfd->num);
	return 0;

err_unreg_mc:
	v4l2_m2m_unregister_media_controller(dev->m2m_dev);
err_unreg_video:
	video_unregister_device(vfd);
err_release_m2m:
	media_device_cleanup(&dev->mdev);
	v4l2_m2m_release(dev->m2m_dev);
err_unreg_v4l2:
	dev->v4l2_dev.release = NULL;
	v4l2_device_unregister(&dev->v4l2_dev);
	return ret;
}

/* No new open of the nodes after this; dev stays until daedalus_put(). */
static void daedalus_unregister(struct daedalus_dev *dev)
{
	media_device_unregister(&dev->mdev);
	v4l2_m2m_unregister_media_controller(dev->m2m_dev);
	video_unregister_device(&dev->vfd);
}

static void daedalus_put(struct daedalus_dev *dev)
{
	/* The last reference frees dev, see daedalus_v4l2_release(). */
	v4l2_device_put(&dev->v4l2_dev);
}

static int daedalus_probe(struct platform_device *pdev)
{
	struct daedalus_dev *dev;
	int ret;

	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	mutex_init(&dev->dev_mutex);
	INIT_LIST_HEAD(&dev->ctxs);
	dev->next_ctx_id = daedalus_first_ctx_id ?: 1;
	dev->pdev = pdev;

	ret = daedalus_bridge_init(dev);
	if (ret)
		goto err_free;

	ret = daedalus_register(dev);
	if (ret)
		goto err_bridge;

	platform_set_drvdata(pdev, dev);
	return 0;

err_bridge:
	daedalus_bridge_exit(dev);
err_free:
	mutex_destroy(&dev->dev_mutex);
	kfree(dev);
	return ret;
}

/*
 * Only at module unload (the driver cannot be unbound through sysfs), when
 * no file of the video node, the media device or the bridge is open: each
 * pins the module. The nodes go first, then the bridge, then dev.
 */
static void daedalus_remove(struct platform_device *pdev)
{
	struct daedalus_dev *dev = platform_get_drvdata(pdev);

	daedalus_unregister(dev);
	daedalus_bridge_exit(dev);
	daedalus_put(dev);
}

static struct platform_driver daedalus_driver = {
	.probe = daedalus_probe,
	DAEDALUS_PLATFORM_REMOVE(daedalus_remove)
	.driver = {
		.name = DAEDALUS_CARD,
		/* remove() is safe only when nothing is open: see there. */
		.suppress_bind_attrs = true,
	},
};

static struct platform_device *daedalus_pdev;

static int __init daedalus_init(void)
{
	int ret;

	ret = platform_driver_register(&daedalus_driver);
	if (ret)
		return ret;

	daedalus_pdev = platform_device_register_simple(DAEDALUS_CARD,
							PLATFORM_DEVID_NONE,
							NULL, 0);
	if (IS_ERR(daedalus_pdev)) {
		platform_driver_unregister(&daedalus_driver);
		return PTR_ERR(daedalus_pdev);
	}
	return 0;
}

static void __exit daedalus_exit(void)
{
	platform_device_unregister(daedalus_pdev);
	platform_driver_unregister(&daedalus_driver);
}

module_init(daedalus_init);
module_exit(daedalus_exit);

DAEDALUS_IMPORT_DMA_BUF_NS();
MODULE_DESCRIPTION("Stateless V4L2 decoder backed by a user-space daemon");
MODULE_AUTHOR("The daedalus-v4l2 authors");
MODULE_LICENSE("GPL");
