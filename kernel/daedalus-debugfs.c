// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: the status file, <debugfs>/daedalus-v4l2/status.
 *
 * One record per line, a word naming it and key=value fields, for people and
 * for daedalus-v4l2ctl:
 *
 *   version 1
 *   daemon attached=1 pid=312 comm=daedalus-v4l2d attaches=1
 *   params job_timeout_ms=500
 *   device jobs=.. done=.. failed=.. timed_out=.. no_daemon=.. lat_n=..
 *          lat_p50_us=.. lat_p90_us=.. lat_p99_us=.. lat_max_us=..
 *   context id=3 codec=VP9F width=1920 height=1080 jobs=.. (as device)
 *
 * (each record on one line). Latencies run from device_run() to the
 * daemon's answer, over the last DAEDALUS_LAT_SAMPLES decoded jobs.
 *
 * Copyright (C) 2026 The daedalus-v4l2 authors
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "daedalus.h"

#define DAEDALUS_STATUS_VERSION	1

static int daedalus_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile @p of the @n sorted samples in @lat. */
static u32 daedalus_percentile(const u32 *lat, unsigned int n, unsigned int p)
{
	unsigned int rank = DIV_ROUND_UP(n * p, 100);

	return lat[rank ? rank - 1 : 0];
}

/*
 * Prints @s, a copy taken under the bridge lock; @lat is scratch space for
 * DAEDALUS_LAT_SAMPLES latencies.
 */
static void daedalus_show_stats(struct seq_file *m,
				const struct daedalus_stats *s, u32 *lat)
{
	unsigned int n = min_t(u64, s->lat_count, DAEDALUS_LAT_SAMPLES);

	seq_printf(m, " jobs=%llu done=%llu failed=%llu timed_out=%llu no_daemon=%llu max_inflight=%u lat_n=%u",
		   s->jobs, s->done, s->failed, s->timed_out, s->no_daemon,
		   s->max_inflight, n);
	if (!n) {
		seq_putc(m, '\n');
		return;
	}
	memcpy(lat, s->lat_us, n * sizeof(*lat));
	sort(lat, n, sizeof(*lat), daedalus_cmp_u32, NULL);
	seq_printf(m, " lat_p50_us=%u lat_p90_us=%u lat_p99_us=%u lat_max_us=%u\n",
		   daedalus_percentile(lat, n, 50),
		   daedalus_percentile(lat, n, 90),
		   daedalus_percentile(lat, n, 99), lat[n - 1]);
}

static int daedalus_status_show(struct seq_file *m, void *unused)
{
	struct daedalus_dev *dev = m->private;
	struct daedalus_bridge *br = &dev->bridge;
	char comm[TASK_COMM_LEN];
	struct daedalus_stats *s;
	struct daedalus_ctx *ctx;
	unsigned int decoding, njobs;
	u64 attaches, pixels;
	pid_t pid;
	u32 *lat;
	int ret;

	/* A snapshot of the statistics, and scratch space to sort. */
	s = kmalloc(sizeof(*s), GFP_KERNEL);
	lat = kmalloc_array(DAEDALUS_LAT_SAMPLES, sizeof(*lat), GFP_KERNEL);
	if (!s || !lat) {
		ret = -ENOMEM;
		goto out;
	}

	spin_lock(&br->lock);
	decoding = br->decoding;
	pixels = br->pixels;
	njobs = br->njobs;
	pid = br->daemon_pid;
	attaches = br->attaches;
	memcpy(comm, br->daemon_comm, sizeof(comm));
	*s = br->stats;
	spin_unlock(&br->lock);

	seq_printf(m, "version %u\n", DAEDALUS_STATUS_VERSION);
	if (pid)
		seq_printf(m, "daemon attached=1 pid=%d comm=%s attaches=%llu\n",
			   pid, comm, attaches);
	else
		seq_printf(m, "daemon attached=0 attaches=%llu\n", attaches);
	seq_printf(m, "params job_timeout_ms=%u max_contexts=%u max_pixels=%u max_inflight=%u\n",
		   daedalus_job_timeout_ms, daedalus_max_contexts,
		   daedalus_max_pixels, daedalus_max_inflight);
	seq_printf(m, "budget decoding=%u pixels=%llu inflight=%u\n", decoding,
		   pixels, njobs);
	seq_puts(m, "device");
	daedalus_show_stats(m, s, lat);

	/* The contexts' formats are stable under dev_mutex. */
	ret = mutex_lock_interruptible(&dev->dev_mutex);
	if (ret)
		goto out;
	list_for_each_entry(ctx, &dev->ctxs, node) {
		const struct v4l2_pix_format_mplane *pix =
			&ctx->coded_fmt.fmt.pix_mp;
		u32 fcc = pix->pixelformat;

		spin_lock(&br->lock);
		*s = ctx->stats;
		spin_unlock(&br->lock);

		seq_printf(m, "context id=%llu codec=%c%c%c%c width=%u height=%u",
			   ctx->id, fcc & 0xff, (fcc >> 8) & 0xff,
			   (fcc >> 16) & 0xff, fcc >> 24, pix->width,
			   pix->height);
		daedalus_show_stats(m, s, lat);
	}
	mutex_unlock(&dev->dev_mutex);
out:
	kfree(lat);
	kfree(s);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(daedalus_status);

void daedalus_debugfs_init(struct daedalus_dev *dev)
{
	struct daedalus_bridge *br = &dev->bridge;

	/* Failures are not fatal: the decoder works without its status. */
	br->debugfs = debugfs_create_dir(DAEDALUS_CARD, NULL);
	debugfs_create_file("status", 0444, br->debugfs, dev,
			    &daedalus_status_fops);
}

void daedalus_debugfs_exit(struct daedalus_dev *dev)
{
	debugfs_remove_recursive(dev->bridge.debugfs);
	dev->bridge.debugfs = NULL;
}
