/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daedalus-v4l2: tracepoints of a job's life.
 *
 *   echo 1 > /sys/kernel/tracing/events/daedalus_v4l2/enable
 *   cat /sys/kernel/tracing/trace_pipe
 *
 * Copyright (C) 2026 The daedalus-v4l2 authors
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM daedalus_v4l2

#if !defined(_DAEDALUS_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _DAEDALUS_TRACE_H_

#include <linux/tracepoint.h>

TRACE_EVENT(daedalus_job_queue,
	    TP_PROTO(u64 ctx_id, u64 seqno, u32 codec, u32 width, u32 height,
		     u64 timestamp),
	    TP_ARGS(ctx_id, seqno, codec, width, height, timestamp),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(u64, seqno)
			     __field(u32, codec)
			     __field(u32, width)
			     __field(u32, height)
			     __field(u64, timestamp)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->seqno = seqno;
			   __entry->codec = codec;
			   __entry->width = width;
			   __entry->height = height;
			   __entry->timestamp = timestamp;),
	    TP_printk("ctx=%llu job=%llu codec=%c%c%c%c size=%ux%u ts=%llu",
		      __entry->ctx_id, __entry->seqno,
		      __entry->codec & 0xff, (__entry->codec >> 8) & 0xff,
		      (__entry->codec >> 16) & 0xff, __entry->codec >> 24,
		      __entry->width, __entry->height, __entry->timestamp)
);

TRACE_EVENT(daedalus_job_fetch,
	    TP_PROTO(u64 ctx_id, u64 seqno, u32 ctrl_bytes),
	    TP_ARGS(ctx_id, seqno, ctrl_bytes),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(u64, seqno)
			     __field(u32, ctrl_bytes)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->seqno = seqno;
			   __entry->ctrl_bytes = ctrl_bytes;),
	    TP_printk("ctx=%llu job=%llu ctrl_bytes=%u", __entry->ctx_id,
		      __entry->seqno, __entry->ctrl_bytes)
);

/* @end is enum daedalus_end: who ended the job. */
TRACE_EVENT(daedalus_job_end,
	    TP_PROTO(u64 ctx_id, u64 seqno, int status, unsigned int end,
		     u32 latency_us),
	    TP_ARGS(ctx_id, seqno, status, end, latency_us),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(u64, seqno)
			     __field(int, status)
			     __field(unsigned int, end)
			     __field(u32, latency_us)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->seqno = seqno;
			   __entry->status = status;
			   __entry->end = end;
			   __entry->latency_us = latency_us;),
	    TP_printk("ctx=%llu job=%llu status=%d by=%s latency_us=%u",
		      __entry->ctx_id, __entry->seqno, __entry->status,
		      __print_symbolic(__entry->end,
				       { DAEDALUS_END_ANSWER, "answer" },
				       { DAEDALUS_END_WATCHDOG, "watchdog" },
				       { DAEDALUS_END_DETACH, "detach" },
				       { DAEDALUS_END_ABORT, "abort" },
				       { DAEDALUS_END_NO_DAEMON, "no-daemon" },
				       { DAEDALUS_END_FETCH, "fetch-error" }),
		      __entry->latency_us)
);

TRACE_EVENT(daedalus_daemon,
	    TP_PROTO(bool attached, pid_t pid, unsigned int failed),
	    TP_ARGS(attached, pid, failed),
	    TP_STRUCT__entry(__field(bool, attached)
			     __field(pid_t, pid)
			     __field(unsigned int, failed)),
	    TP_fast_assign(__entry->attached = attached;
			   __entry->pid = pid;
			   __entry->failed = failed;),
	    TP_printk("%s pid=%d failed_jobs=%u",
		      __entry->attached ? "attach" : "detach", __entry->pid,
		      __entry->failed)
);

#endif /* _DAEDALUS_TRACE_H_ */

/* An out-of-tree module: this folder is on the include path (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
