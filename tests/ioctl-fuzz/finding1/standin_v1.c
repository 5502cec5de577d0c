// SPDX-License-Identifier: BSD-2-Clause
/*
 * A protocol 1 stand-in daemon for the module of commit 66306c2 (before the
 * fix of issue 14's finding 1), which builds jobs only when a daemon is
 * attached: attaches, takes every message, closes the job's fds and fails
 * every job with EIO at once. Built by tests/ioctl-fuzz/finding1/reproduce
 * against that commit's protocol header; not part of the project's build.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "uapi/daedalus-v4l2.h"

static void close_planes(const struct daedalus_buffer *b)
{
	for (unsigned int i = 0; i < b->num_planes && i < DAEDALUS_MAX_PLANES; i++)
		if (b->planes[i].fd >= 0)
			close(b->planes[i].fd);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 60;
	int fd = open("/dev/" DAEDALUS_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	struct daedalus_attach at = {
		.version = DAEDALUS_PROTOCOL_VERSION,
		.msg_size = sizeof(struct daedalus_msg),
		.result_size = sizeof(struct daedalus_result),
	};
	unsigned long msgs = 0, jobs = 0;
	time_t end;
	void *area;

	if (fd < 0 || ioctl(fd, DAEDALUS_IOC_ATTACH, &at)) {
		perror("standin_v1: attach");
		return 1;
	}
	area = malloc(at.max_ctrl_bytes);
	if (!area)
		return 1;
	printf("standin_v1: attached, max_ctrl_bytes=%u\n", at.max_ctrl_bytes);
	fflush(stdout);

	for (end = time(NULL) + seconds; time(NULL) < end;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct daedalus_result r = { 0 };
		struct daedalus_msg m;

		if (poll(&p, 1, 200) <= 0)
			continue;
		memset(&m, 0, sizeof(m));
		m.ctrl_ptr = (unsigned long)area;
		m.ctrl_size = at.max_ctrl_bytes;
		if (ioctl(fd, DAEDALUS_IOC_FETCH, &m))
			continue;
		msgs++;
		if (m.type != DAEDALUS_MSG_JOB)
			continue;
		jobs++;
		close_planes(&m.job.src);
		close_planes(&m.job.dst);
		r.seqno = m.job.seqno;
		r.status = -EIO;
		ioctl(fd, DAEDALUS_IOC_COMPLETE, &r);
	}
	printf("standin_v1: %lu messages, %lu jobs\n", msgs, jobs);
	return 0;
}
