// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: formats, ioctls, vb2 queues and request validation of the
 * stateless decoder node.
 *
 * Copyright (C) 2026 The daedalus-v4l2 authors
 */

#include <linux/dma-buf.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-dma-contig.h>
#include <media/videobuf2-dma-sg.h>

#include "daedalus.h"

/* The first format of a bit depth is its default. */
static const struct daedalus_decoded_fmt daedalus_decoded_fmts[] = {
	{ .fourcc = V4L2_PIX_FMT_NV12, .bit_depth = 8 },
	{ .fourcc = V4L2_PIX_FMT_P010, .bit_depth = 10 },
};

static const struct daedalus_coded_fmt *daedalus_find_coded_fmt(u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < daedalus_num_coded_fmts; i++)
		if (daedalus_coded_fmts[i].fourcc == fourcc)
			return &daedalus_coded_fmts[i];
	return NULL;
}

/*
 * The @index-th CAPTURE format offered for streams of @bit_depth (the
 * daemon does not convert between bit depths), or NULL.
 */
static const struct daedalus_decoded_fmt *
daedalus_decoded_fmt(unsigned int bit_depth, unsigned int index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daedalus_decoded_fmts); i++) {
		if (daedalus_decoded_fmts[i].bit_depth != bit_depth)
			continue;
		if (!index--)
			return &daedalus_decoded_fmts[i];
	}
	return NULL;
}

static bool daedalus_is_decoded_fourcc(struct daedalus_ctx *ctx, u32 fourcc)
{
	const struct daedalus_decoded_fmt *fmt;
	unsigned int i;

	for (i = 0; (fmt = daedalus_decoded_fmt(ctx->bit_depth, i)); i++)
		if (fmt->fourcc == fourcc)
			return true;
	return false;
}

/*
 * Size of the OUTPUT buffers: what the client asks for, or a default big
 * enough for an intra frame of that size, within the module's limits.
 */
static u32 daedalus_coded_sizeimage(u32 requested, u32 width, u32 height)
{
	u32 size = requested;

	if (!size)
		size = max(DAEDALUS_MIN_CODED_SIZE, width * height * 3 / 2);
	return clamp(size, PAGE_SIZE, DAEDALUS_MAX_CODED_SIZE);
}

/*
 * CAPTURE layout: the coded size rounded up to the codec's block size,
 * luma lines then interleaved chroma lines with the same stride.
 */
static void daedalus_fill_decoded(struct v4l2_pix_format_mplane *pix_mp,
				  u32 fourcc,
				  const struct daedalus_coded_fmt *desc,
				  u32 width, u32 height)
{
	width = ALIGN(width, desc->align);
	height = ALIGN(height, desc->align);
	v4l2_fill_pixfmt_mp(pix_mp, fourcc, width, height);
	pix_mp->field = V4L2_FIELD_NONE;
}

static void daedalus_init_fmt(struct v4l2_format *f, enum v4l2_buf_type type,
			      u32 fourcc)
{
	memset(f, 0, sizeof(*f));
	f->type = type;
	f->fmt.pix_mp.pixelformat = fourcc;
	f->fmt.pix_mp.field = V4L2_FIELD_NONE;
	f->fmt.pix_mp.colorspace = V4L2_COLORSPACE_REC709;
	f->fmt.pix_mp.ycbcr_enc = V4L2_YCBCR_ENC_DEFAULT;
	f->fmt.pix_mp.quantization = V4L2_QUANTIZATION_DEFAULT;
	f->fmt.pix_mp.xfer_func = V4L2_XFER_FUNC_DEFAULT;
}

/*
 * The CAPTURE format follows the OUTPUT format (size and colorimetry) and
 * the stream's bit depth.
 */
static void daedalus_reset_decoded_fmt(struct daedalus_ctx *ctx)
{
	const struct v4l2_pix_format_mplane *coded = &ctx->coded_fmt.fmt.pix_mp;
	struct v4l2_pix_format_mplane *pix_mp = &ctx->decoded_fmt.fmt.pix_mp;
	u32 fourcc = daedalus_decoded_fmt(ctx->bit_depth, 0)->fourcc;

	daedalus_init_fmt(&ctx->decoded_fmt, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
			  fourcc);
	daedalus_fill_decoded(pix_mp, fourcc, ctx->coded_desc, coded->width,
			      coded->height);
	pix_mp->colorspace = coded->colorspace;
	pix_mp->xfer_func = coded->xfer_func;
	pix_mp->ycbcr_enc = coded->ycbcr_enc;
	pix_mp->quantization = coded->quantization;
}

/*
 * The bit depth the sequence control of the OUTPUT format's codec holds now
 * (8 for codecs without one).
 */
static unsigned int daedalus_current_bit_depth(struct daedalus_ctx *ctx)
{
	struct v4l2_ctrl *ctrl;
	unsigned int depth;

	if (!ctx->coded_desc->seq_ctrl)
		return 8;
	ctrl = v4l2_ctrl_find(&ctx->hdl, ctx->coded_desc->seq_ctrl);
	if (!ctrl)
		return 8;
	v4l2_ctrl_lock(ctrl);
	depth = daedalus_seq_bit_depth(ctrl->id, ctrl->p_cur);
	v4l2_ctrl_unlock(ctrl);
	/* try_ctrl refuses other depths; never a CAPTURE format of none. */
	return daedalus_decoded_fmt(depth, 0) ? depth : 8;
}

/*
 * The sequence control of the stream says @bit_depth: offer the CAPTURE
 * formats of that depth, the first one as the new CAPTURE format. Not while
 * CAPTURE buffers exist: the client must renegotiate first.
 */
int daedalus_set_bit_depth(struct daedalus_ctx *ctx, unsigned int bit_depth)
{
	struct vb2_queue *vq;

	if (bit_depth == ctx->bit_depth)
		return 0;
	if (!daedalus_decoded_fmt(bit_depth, 0))
		return -EINVAL;

	vq = v4l2_m2m_get_vq(ctx->fh.m2m_ctx,
			     V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	if (vb2_is_busy(vq))
		return -EBUSY;

	ctx->bit_depth = bit_depth;
	daedalus_reset_decoded_fmt(ctx);
	return 0;
}

void daedalus_set_default_formats(struct daedalus_ctx *ctx)
{
	struct v4l2_pix_format_mplane *pix_mp = &ctx->coded_fmt.fmt.pix_mp;

	ctx->coded_desc = &daedalus_coded_fmts[0];
	daedalus_init_fmt(&ctx->coded_fmt, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE,
			  ctx->coded_desc->fourcc);
	pix_mp->width = 320;
	pix_mp->height = 240;
	pix_mp->num_planes = 1;
	pix_mp->plane_fmt[0].sizeimage =
		daedalus_coded_sizeimage(0, pix_mp->width, pix_mp->height);
	ctx->bit_depth = daedalus_current_bit_depth(ctx);
	daedalus_reset_decoded_fmt(ctx);
}

static int daedalus_querycap(struct file *file, void *priv,
			     struct v4l2_capability *cap)
{
	/*
	 * The platform driver's name, which the media device reports as its
	 * driver: clients pair the video node with its media device by this
	 * field (Chromium does, as with hantro's "hantro-vpu" on both).
	 */
	strscpy(cap->driver, DAEDALUS_CARD, sizeof(cap->driver));
	strscpy(cap->card, DAEDALUS_CARD, sizeof(cap->card));
	snprintf(cap->bus_info, sizeof(cap->bus_info), "platform:%s",
		 DAEDALUS_CARD);
	return 0;
}

static int daedalus_enum_fmt_vid_out(struct file *file, void *priv,
				     struct v4l2_fmtdesc *f)
{
	if (f->index >= daedalus_num_coded_fmts)
		return -EINVAL;
	f->pixelformat = daedalus_coded_fmts[f->index].fourcc;
	return 0;
}

static int daedalus_enum_fmt_vid_cap(struct file *file, void *priv,
				     struct v4l2_fmtdesc *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	const struct daedalus_decoded_fmt *fmt;

	fmt = daedalus_decoded_fmt(ctx->bit_depth, f->index);
	if (!fmt)
		return -EINVAL;
	f->pixelformat = fmt->fourcc;
	return 0;
}

static int daedalus_enum_framesizes(struct file *file, void *priv,
				    struct v4l2_frmsizeenum *fsize)
{
	const struct daedalus_coded_fmt *desc;

	if (fsize->index)
		return -EINVAL;
	desc = daedalus_find_coded_fmt(fsize->pixel_format);
	if (!desc)
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	fsize->stepwise = desc->frmsize;
	return 0;
}

static int daedalus_g_fmt_vid_out(struct file *file, void *priv,
				  struct v4l2_format *f)
{
	f->fmt.pix_mp = daedalus_file_to_ctx(file)->coded_fmt.fmt.pix_mp;
	return 0;
}

static int daedalus_g_fmt_vid_cap(struct file *file, void *priv,
				  struct v4l2_format *f)
{
	f->fmt.pix_mp = daedalus_file_to_ctx(file)->decoded_fmt.fmt.pix_mp;
	return 0;
}

static int daedalus_try_fmt_vid_out(struct file *file, void *priv,
				    struct v4l2_format *f)
{
	struct v4l2_pix_format_mplane *pix_mp = &f->fmt.pix_mp;
	const struct daedalus_coded_fmt *desc;

	desc = daedalus_find_coded_fmt(pix_mp->pixelformat);
	if (!desc) {
		desc = &daedalus_coded_fmts[0];
		pix_mp->pixelformat = desc->fourcc;
	}

	v4l2_apply_frmsize_constraints(&pix_mp->width, &pix_mp->height,
				       &desc->frmsize);
	pix_mp->field = V4L2_FIELD_NONE;
	pix_mp->num_planes = 1;
	pix_mp->flags = 0;
	pix_mp->plane_fmt[0].bytesperline = 0;
	pix_mp->plane_fmt[0].sizeimage =
		daedalus_coded_sizeimage(pix_mp->plane_fmt[0].sizeimage,
					 pix_mp->width, pix_mp->height);
	return 0;
}

static int daedalus_try_fmt_vid_cap(struct file *file, void *priv,
				    struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	const struct v4l2_pix_format_mplane *coded = &ctx->coded_fmt.fmt.pix_mp;
	struct v4l2_pix_format_mplane *pix_mp = &f->fmt.pix_mp;

	if (!daedalus_is_decoded_fourcc(ctx, pix_mp->pixelformat))
		pix_mp->pixelformat =
			daedalus_decoded_fmt(ctx->bit_depth, 0)->fourcc;

	/* The decoder does not scale: the size is the coded size. */
	daedalus_fill_decoded(pix_mp, pix_mp->pixelformat, ctx->coded_desc,
			      coded->width, coded->height);
	pix_mp->flags = 0;
	pix_mp->colorspace = coded->colorspace;
	pix_mp->xfer_func = coded->xfer_func;
	pix_mp->ycbcr_enc = coded->ycbcr_enc;
	pix_mp->quantization = coded->quantization;
	return 0;
}

static void daedalus_copy_colorimetry(struct v4l2_pix_format_mplane *to,
				      const struct v4l2_pix_format_mplane *from)
{
	to->colorspace = from->colorspace;
	to->xfer_func = from->xfer_func;
	to->ycbcr_enc = from->ycbcr_enc;
	to->quantization = from->quantization;
}

static int daedalus_s_fmt_vid_out(struct file *file, void *priv,
				  struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct v4l2_m2m_ctx *m2m_ctx = ctx->fh.m2m_ctx;
	struct v4l2_pix_format_mplane *cur = &ctx->coded_fmt.fmt.pix_mp;
	struct v4l2_pix_format_mplane *pix_mp = &f->fmt.pix_mp;
	struct vb2_queue *vq, *peer_vq;
	int ret;

	ret = daedalus_try_fmt_vid_out(file, priv, f);
	if (ret)
		return ret;

	/*
	 * As hantro does, OUTPUT buffers, even streaming ones, do not stop a
	 * new format for the same codec (the stateless decoder interface's
	 * dynamic resolution change; GStreamer also sets the same format
	 * again when only the colorimetry changed). The buffers keep their
	 * size, so sizeimage does too. A new codec needs them freed first.
	 */
	vq = v4l2_m2m_get_vq(m2m_ctx, f->type);
	if (vb2_is_busy(vq)) {
		if (pix_mp->pixelformat != cur->pixelformat)
			return -EBUSY;
		pix_mp->plane_fmt[0].sizeimage = cur->plane_fmt[0].sizeimage;
	}

	/*
	 * With CAPTURE buffers allocated, only a change that keeps the
	 * CAPTURE format is allowed (stateless decoder interface); the
	 * colorimetry still passes to it.
	 */
	peer_vq = v4l2_m2m_get_vq(m2m_ctx, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	if (vb2_is_busy(peer_vq) &&
	    (pix_mp->pixelformat != cur->pixelformat ||
	     pix_mp->width != cur->width || pix_mp->height != cur->height))
		return -EBUSY;

	ctx->coded_desc = daedalus_find_coded_fmt(pix_mp->pixelformat);
	*cur = *pix_mp;
	if (!vb2_is_busy(peer_vq)) {
		/* The new codec's sequence control may say another depth. */
		ctx->bit_depth = daedalus_current_bit_depth(ctx);
		daedalus_reset_decoded_fmt(ctx);
	} else {
		daedalus_copy_colorimetry(&ctx->decoded_fmt.fmt.pix_mp, pix_mp);
	}
	return 0;
}

static int daedalus_s_fmt_vid_cap(struct file *file, void *priv,
				  struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct v4l2_pix_format_mplane *cur = &ctx->decoded_fmt.fmt.pix_mp;
	struct v4l2_pix_format_mplane *pix_mp = &f->fmt.pix_mp;
	struct vb2_queue *vq;
	unsigned int i;
	int ret;

	ret = daedalus_try_fmt_vid_cap(file, priv, f);
	if (ret)
		return ret;

	/*
	 * With buffers allocated, setting the format they were made for is
	 * accepted (a client renegotiating after a colorimetry change does
	 * that); any other format needs them freed first.
	 */
	vq = v4l2_m2m_get_vq(ctx->fh.m2m_ctx, f->type);
	if (vb2_is_busy(vq)) {
		if (pix_mp->pixelformat != cur->pixelformat ||
		    pix_mp->width != cur->width ||
		    pix_mp->height != cur->height ||
		    pix_mp->num_planes != cur->num_planes)
			return -EBUSY;
		for (i = 0; i < pix_mp->num_planes; i++)
			if (pix_mp->plane_fmt[i].sizeimage !=
			    cur->plane_fmt[i].sizeimage ||
			    pix_mp->plane_fmt[i].bytesperline !=
			    cur->plane_fmt[i].bytesperline)
				return -EBUSY;
	}

	*cur = *pix_mp;
	return 0;
}

/*
 * Buffers become jobs when both queues have one (daedalus_feed()), not when
 * the m2m core would run a job: after the m2m helpers, feed the context.
 */
static int daedalus_qbuf(struct file *file, void *priv,
			 struct v4l2_buffer *buf)
{
	int ret = v4l2_m2m_ioctl_qbuf(file, priv, buf);

	if (!ret)
		daedalus_feed(daedalus_file_to_ctx(file));
	return ret;
}

/*
 * REQBUFS hands back the buffers still in queued requests (queued, never
 * streamed) with vb2's mmap_lock held, and completing their requests' controls
 * takes the control handler's lock, which S_EXT_CTRLS holds while it reads
 * user memory (the mm's mmap_lock, which mmap() holds when it takes vb2's
 * mmap_lock): a lock cycle, which lockdep found under the ioctl fuzzer. The
 * cancel a STREAMOFF makes, which vb2 runs without its mmap_lock, goes first;
 * the queue lock and the media device's request lock, which this ioctl holds,
 * keep new requests out until vb2 has the queue.
 */
static int daedalus_reqbufs(struct file *file, void *priv,
			    struct v4l2_requestbuffers *rb)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct vb2_queue *vq = v4l2_m2m_get_vq(ctx->fh.m2m_ctx, rb->type);

	bool memory = rb->memory == V4L2_MEMORY_MMAP ||
		      rb->memory == V4L2_MEMORY_DMABUF;

	if (vq && vq->type == rb->type && vq->supports_requests &&
	    !vb2_is_streaming(vq) && memory)
		vb2_streamoff(vq, rb->type);
	return v4l2_m2m_ioctl_reqbufs(file, priv, rb);
}

static int daedalus_streamon(struct file *file, void *priv,
			     enum v4l2_buf_type type)
{
	int ret = v4l2_m2m_ioctl_streamon(file, priv, type);

	if (!ret)
		daedalus_feed(daedalus_file_to_ctx(file));
	return ret;
}

/*
 * V4L2_DEC_CMD_FLUSH: the last queued OUTPUT buffer no longer holds its
 * CAPTURE buffer; without one, the held CAPTURE buffer goes back once its
 * last job has ended.
 */
static int daedalus_decoder_cmd(struct file *file, void *priv,
				struct v4l2_decoder_cmd *dc)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct vb2_v4l2_buffer *out_vb;
	int ret;

	ret = v4l2_m2m_ioctl_stateless_try_decoder_cmd(file, priv, dc);
	if (ret)
		return ret;

	mutex_lock(&ctx->feed_lock);
	out_vb = v4l2_m2m_last_src_buf(ctx->fh.m2m_ctx);
	if (out_vb)
		out_vb->flags &= ~V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
	else if (ctx->held_dst)
		ctx->flush = true;
	mutex_unlock(&ctx->feed_lock);

	daedalus_feed(ctx);
	return 0;
}

const struct v4l2_ioctl_ops daedalus_ioctl_ops = {
	.vidioc_querycap = daedalus_querycap,
	.vidioc_enum_framesizes = daedalus_enum_framesizes,

	.vidioc_enum_fmt_vid_cap = daedalus_enum_fmt_vid_cap,
	.vidioc_g_fmt_vid_cap_mplane = daedalus_g_fmt_vid_cap,
	.vidioc_try_fmt_vid_cap_mplane = daedalus_try_fmt_vid_cap,
	.vidioc_s_fmt_vid_cap_mplane = daedalus_s_fmt_vid_cap,

	.vidioc_enum_fmt_vid_out = daedalus_enum_fmt_vid_out,
	.vidioc_g_fmt_vid_out_mplane = daedalus_g_fmt_vid_out,
	.vidioc_try_fmt_vid_out_mplane = daedalus_try_fmt_vid_out,
	.vidioc_s_fmt_vid_out_mplane = daedalus_s_fmt_vid_out,

	.vidioc_reqbufs = daedalus_reqbufs,
	.vidioc_querybuf = v4l2_m2m_ioctl_querybuf,
	.vidioc_qbuf = daedalus_qbuf,
	.vidioc_dqbuf = v4l2_m2m_ioctl_dqbuf,
	.vidioc_prepare_buf = v4l2_m2m_ioctl_prepare_buf,
	.vidioc_create_bufs = v4l2_m2m_ioctl_create_bufs,
	.vidioc_expbuf = v4l2_m2m_ioctl_expbuf,

	.vidioc_streamon = daedalus_streamon,
	.vidioc_streamoff = v4l2_m2m_ioctl_streamoff,

	.vidioc_decoder_cmd = daedalus_decoder_cmd,
	.vidioc_try_decoder_cmd = v4l2_m2m_ioctl_stateless_try_decoder_cmd,

	.vidioc_subscribe_event = v4l2_ctrl_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};

static const struct v4l2_format *daedalus_queue_fmt(struct vb2_queue *vq)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);

	return V4L2_TYPE_IS_OUTPUT(vq->type) ? &ctx->coded_fmt :
					       &ctx->decoded_fmt;
}

static int daedalus_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
				unsigned int *num_planes, unsigned int sizes[],
				struct device *alloc_devs[])
{
	const struct v4l2_pix_format_mplane *pix_mp =
		&daedalus_queue_fmt(vq)->fmt.pix_mp;
	unsigned int max = V4L2_TYPE_IS_OUTPUT(vq->type) ?
			   DAEDALUS_MAX_CODED_SIZE : DAEDALUS_MAX_PICTURE_SIZE;
	unsigned int i;

	/* VIDIOC_CREATE_BUFS: the client's sizes, within the limits. */
	if (*num_planes) {
		if (*num_planes != pix_mp->num_planes)
			return -EINVAL;
		for (i = 0; i < pix_mp->num_planes; i++)
			if (sizes[i] < pix_mp->plane_fmt[i].sizeimage ||
			    sizes[i] > max)
				return -EINVAL;
		return 0;
	}

	*num_planes = pix_mp->num_planes;
	for (i = 0; i < pix_mp->num_planes; i++)
		sizes[i] = pix_mp->plane_fmt[i].sizeimage;
	return 0;
}

/* Returns every buffer the driver holds on @vq, failing their requests. */
static void daedalus_queue_cleanup(struct vb2_queue *vq,
				   enum vb2_buffer_state state)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);
	struct vb2_v4l2_buffer *vbuf;

	for (;;) {
		if (V4L2_TYPE_IS_OUTPUT(vq->type))
			vbuf = v4l2_m2m_src_buf_remove(ctx->fh.m2m_ctx);
		else
			vbuf = v4l2_m2m_dst_buf_remove(ctx->fh.m2m_ctx);
		if (!vbuf)
			break;
		v4l2_ctrl_request_complete(vbuf->vb2_buf.req_obj.req,
					   &ctx->hdl);
		v4l2_m2m_buf_done(vbuf, state);
	}
}

static int daedalus_buf_init(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct daedalus_buf *buf = daedalus_vb2_to_buf(vb);

	buf->id = daedalus_bridge_new_buf_id(ctx->dev);
	memset(buf->dbufs, 0, sizeof(buf->dbufs));
	buf->sent_gen = 0;
	/* Its BUF_FREE event, so that the daemon always hears of its end. */
	return daedalus_bridge_buf_init(buf);
}

static void daedalus_buf_cleanup(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct daedalus_buf *buf = daedalus_vb2_to_buf(vb);
	unsigned int i;

	daedalus_bridge_buf_freed(ctx, buf);
	for (i = 0; i < DAEDALUS_MAX_PLANES; i++) {
		if (buf->dbufs[i])
			dma_buf_put(buf->dbufs[i]);
		buf->dbufs[i] = NULL;
	}
}

static int daedalus_buf_out_validate(struct vb2_buffer *vb)
{
	to_vb2_v4l2_buffer(vb)->field = V4L2_FIELD_NONE;
	return 0;
}

static int daedalus_buf_prepare(struct vb2_buffer *vb)
{
	const struct v4l2_pix_format_mplane *pix_mp =
		&daedalus_queue_fmt(vb->vb2_queue)->fmt.pix_mp;
	unsigned int i;

	if (vb->num_planes != pix_mp->num_planes)
		return -EINVAL;

	for (i = 0; i < pix_mp->num_planes; i++) {
		if (vb2_plane_size(vb, i) < pix_mp->plane_fmt[i].sizeimage)
			return -EINVAL;
		if (V4L2_TYPE_IS_CAPTURE(vb->vb2_queue->type))
			vb2_set_plane_payload(vb, i,
					      pix_mp->plane_fmt[i].sizeimage);
	}

	if (V4L2_TYPE_IS_OUTPUT(vb->vb2_queue->type) &&
	    !vb2_get_plane_payload(vb, 0))
		return -EINVAL;
	return 0;
}

static void daedalus_buf_queue(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_m2m_buf_queue(ctx->fh.m2m_ctx, to_vb2_v4l2_buffer(vb));
}

static void daedalus_buf_request_complete(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_ctrl_request_complete(vb->req_obj.req, &ctx->hdl);
}

/* The bit of @vq in daedalus_ctx.streaming. */
static unsigned int daedalus_queue_bit(struct vb2_queue *vq)
{
	return V4L2_TYPE_IS_OUTPUT(vq->type) ? 1 : 2;
}

static int daedalus_start_streaming(struct vb2_queue *vq, unsigned int count)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);
	const struct v4l2_pix_format_mplane *dec = &ctx->decoded_fmt.fmt.pix_mp;
	int ret;

	if (V4L2_TYPE_IS_CAPTURE(vq->type)) {
		/* A stream the decoder has no capacity for fails here. */
		ret = daedalus_bridge_reserve(ctx,
					      (u64)dec->width * dec->height);
		if (ret) {
			daedalus_queue_cleanup(vq, VB2_BUF_STATE_QUEUED);
			return ret;
		}
	}

	mutex_lock(&ctx->feed_lock);
	if (V4L2_TYPE_IS_OUTPUT(vq->type))
		ctx->out_seq = 0;
	else
		ctx->cap_seq = 0;
	ctx->streaming |= daedalus_queue_bit(vq);
	mutex_unlock(&ctx->feed_lock);
	return 0;
}

static void daedalus_stop_streaming(struct vb2_queue *vq)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);

	/* No job starts from here on; the ones with the daemon end. */
	mutex_lock(&ctx->feed_lock);
	ctx->streaming &= ~daedalus_queue_bit(vq);
	daedalus_bridge_ctx_cancel(ctx);
	if (V4L2_TYPE_IS_CAPTURE(vq->type)) {
		/* Goes back with the rest of the queue. */
		ctx->held_dst = NULL;
		ctx->flush = false;
	}
	mutex_unlock(&ctx->feed_lock);

	daedalus_queue_cleanup(vq, VB2_BUF_STATE_ERROR);

	/* A new stream (seek, new sequence) starts without references. */
	if (V4L2_TYPE_IS_OUTPUT(vq->type))
		daedalus_bridge_ctx_reset(ctx);
}

static const struct vb2_ops daedalus_qops = {
	.queue_setup = daedalus_queue_setup,
	.buf_init = daedalus_buf_init,
	.buf_cleanup = daedalus_buf_cleanup,
	.buf_out_validate = daedalus_buf_out_validate,
	.buf_prepare = daedalus_buf_prepare,
	.buf_queue = daedalus_buf_queue,
	.buf_request_complete = daedalus_buf_request_complete,
	.start_streaming = daedalus_start_streaming,
	.stop_streaming = daedalus_stop_streaming,
	DAEDALUS_VB2_WAIT_OPS
};

/*
 * The buffers' memory. Physically contiguous (dma-contig) where the kernel
 * has CMA, as on a Raspberry Pi, whose display and GPU import only
 * contiguous dma-bufs; else scattered pages (dma-sg): without CMA or an
 * IOMMU, as in Debian's amd64 kernel, contiguous buffers stop at the page
 * allocator's largest block (4 MiB), less than a 4K picture, while the
 * importers there (GPUs behind their own MMU or an IOMMU) take page lists.
 * The dma_contig parameter overrides it for contexts opened later.
 */
static const struct vb2_mem_ops *daedalus_mem_ops(void)
{
	int contig = READ_ONCE(daedalus_dma_contig);

	if (contig < 0)
		contig = IS_ENABLED(CONFIG_DMA_CMA);
	return contig ? &vb2_dma_contig_memops : &vb2_dma_sg_memops;
}

static int daedalus_init_vq(struct daedalus_ctx *ctx, struct vb2_queue *vq,
			    enum v4l2_buf_type type,
			    const struct vb2_mem_ops *mem_ops)
{
	vq->type = type;
	vq->io_modes = VB2_MMAP | VB2_DMABUF;
	vq->drv_priv = ctx;
	vq->buf_struct_size = sizeof(struct daedalus_buf);
	vq->ops = &daedalus_qops;
	vq->mem_ops = mem_ops;
	vq->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	vq->lock = &ctx->vb_mutex;
	vq->dev = ctx->dev->v4l2_dev.dev;
	/*
	 * A buffer the client sized beyond what the DMA allocator can give
	 * (64 MiB OUTPUT buffers without CMA) fails REQBUFS with ENOMEM; it
	 * must not make the page allocator warn.
	 */
	vq->gfp_flags = __GFP_NOWARN;
	if (V4L2_TYPE_IS_OUTPUT(type)) {
		vq->supports_requests = true;
		vq->subsystem_flags |=
			VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF;
	}
	return vb2_queue_init(vq);
}

int daedalus_queue_init(void *priv, struct vb2_queue *src_vq,
			struct vb2_queue *dst_vq)
{
	const struct vb2_mem_ops *mem_ops = daedalus_mem_ops();
	struct daedalus_ctx *ctx = priv;
	int ret;

	ret = daedalus_init_vq(ctx, src_vq, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE,
			       mem_ops);
	if (ret)
		return ret;
	return daedalus_init_vq(ctx, dst_vq,
				V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, mem_ops);
}

/* The context of the first buffer of @req, or NULL. */
struct daedalus_ctx *daedalus_request_ctx(struct media_request *req)
{
	struct media_request_object *obj;

	list_for_each_entry(obj, &req->objects, list) {
		if (vb2_request_object_is_buffer(obj)) {
			struct vb2_buffer *vb;

			vb = container_of(obj, struct vb2_buffer, req_obj);
			return vb2_get_drv_priv(vb->vb2_queue);
		}
	}
	return NULL;
}

int daedalus_request_validate(struct media_request *req)
{
	struct daedalus_ctx *ctx = daedalus_request_ctx(req);
	struct media_request_object *obj;
	unsigned int count;

	if (!ctx)
		return -ENOENT;

	/* Without a daemon nothing can decode: refuse, do not pretend. */
	if (!daedalus_bridge_attached(ctx->dev)) {
		dev_warn_ratelimited(&ctx->dev->pdev->dev,
				     "context %llu: no daemon attached, request refused\n",
				     ctx->id);
		return -ENODEV;
	}

	count = vb2_request_buffer_cnt(req);
	if (!count)
		return -ENOENT;
	if (count > 1)
		return -EINVAL;

	/*
	 * Every object must be the context's own: its OUTPUT buffer, its
	 * controls. A request that mixes in the controls of another open
	 * file would be completed by neither context.
	 */
	list_for_each_entry(obj, &req->objects, list) {
		if (vb2_request_object_is_buffer(obj) ||
		    obj->priv == &ctx->hdl)
			continue;
		dev_dbg(&ctx->dev->pdev->dev,
			"context %llu: request holds another context's controls\n",
			ctx->id);
		return -EINVAL;
	}

	return vb2_request_validate(req);
}
