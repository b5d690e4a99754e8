// SPDX-License-Identifier: GPL-2.0
/* The fault injection knobs (faultinj.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultinj.h"

#define FI_DEBUGFS	"/sys/kernel/debug/"
#define FI_NTH		"/proc/thread-self/fail-nth"
#define FI_TASK		"/proc/thread-self/make-it-fail"

static const char *const fi_kinds[] = { "failslab", "fail_page_alloc" };

/*
 * This thread's fail-nth and make-it-fail, opened once: while a fault is
 * armed, an open() would itself reach allocations and take the fault.
 * pread/pwrite on them allocate nothing.
 */
static int fi_nth_fd = -1, fi_task_fd = -1;

static int fi_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Write value to knob of every kind that has it. */
static int fi_knob(const char *knob, const char *value)
{
	char path[128];
	unsigned int i;
	int ret = 0, r;

	for (i = 0; i < sizeof(fi_kinds) / sizeof(fi_kinds[0]); i++) {
		snprintf(path, sizeof(path), FI_DEBUGFS "%s/%s", fi_kinds[i], knob);
		if (access(path, F_OK))
			continue;
		r = fi_write(path, value);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

const char *fi_unavailable(void)
{
	if (access(FI_DEBUGFS "failslab", F_OK) ||
	    access(FI_DEBUGFS "fail_page_alloc", F_OK))
		return "no failslab/fail_page_alloc in debugfs (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)";
	if (access(FI_NTH, F_OK))
		return "no " FI_NTH " (CONFIG_FAULT_INJECTION)";
	return NULL;
}

static int fi_pwrite(int fd, const char *v)
{
	if (fd < 0)
		return -EBADF;
	return pwrite(fd, v, strlen(v), 0) < 0 ? -errno : 0;
}

int fi_setup(void)
{
	int ret;

	if (fi_nth_fd < 0)
		fi_nth_fd = open(FI_NTH, O_RDWR | O_CLOEXEC);
	if (fi_task_fd < 0)
		fi_task_fd = open(FI_TASK, O_RDWR | O_CLOEXEC);
	if (fi_nth_fd < 0 || fi_task_fd < 0)
		return -errno;
	fi_reset();
	ret = fi_knob("ignore-gfp-wait", "N");
	if (!ret)
		ret = fi_knob("ignore-gfp-highmem", "N");
	if (!ret)
		ret = fi_knob("min-order", "0");
	if (!ret)
		ret = fi_knob("verbose", "0");
	return ret;
}

int fi_nth_arm(unsigned int n)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", n);
	return fi_pwrite(fi_nth_fd, v);
}

unsigned int fi_nth_disarm(void)
{
	char v[16] = "";
	ssize_t n;

	if (fi_nth_fd < 0)
		return 0;
	n = pread(fi_nth_fd, v, sizeof(v) - 1, 0);
	fi_pwrite(fi_nth_fd, "0");
	return n > 0 ? (unsigned int)strtoul(v, NULL, 10) : 0;
}

int fi_probability(unsigned int percent)
{
	char v[16];
	int ret;

	snprintf(v, sizeof(v), "%u", percent);
	ret = fi_knob("task-filter", "Y");
	if (!ret)
		ret = fi_knob("interval", "1");
	if (!ret)
		ret = fi_knob("times", "-1");
	if (!ret)
		ret = fi_knob("space", "0");
	if (!ret)
		ret = fi_knob("probability", v);
	return ret;
}

int fi_task(bool on)
{
	return fi_pwrite(fi_task_fd, on ? "1" : "0");
}

void fi_reset(void)
{
	fi_task(false);
	fi_knob("probability", "0");
	fi_knob("times", "1");
	fi_knob("task-filter", "N");
	fi_knob("ignore-gfp-wait", "Y");
	fi_knob("ignore-gfp-highmem", "Y");
	fi_knob("min-order", "1");
	fi_nth_disarm();
}
