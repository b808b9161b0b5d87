/*
 * setns(2) applies to the calling thread only, so entering and leaving a
 * namespace around a few syscalls is safe while other threads run their
 * own stacks. The way back is an fd of our own namespace, opened first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "link/netns.h"

#define NETNS_RUN_DIR "/var/run/netns"

int netns_run(const char *netns, int (*fn)(void *ctx), void *ctx)
{
	char path[256];
	int self = -1, target = -1, rc;

	if (!netns)
		return fn(ctx);
	if (!*netns || strchr(netns, '/') ||
	    snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", netns) >= (int)sizeof(path))
		return -EINVAL;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		rc = -errno;
		goto out;
	}
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0 || setns(target, CLONE_NEWNET) < 0) {
		rc = -errno;
		goto out;
	}
	rc = fn(ctx);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Every later socket would land in the wrong namespace: unrecoverable. */
		fprintf(stderr, "usagi: cannot return from netns %s: %s\n", netns, strerror(errno));
		abort();
	}
out:
	if (target >= 0)
		close(target);
	if (self >= 0)
		close(self);
	return rc;
}
