// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vm.h"

bool kf_vm_inside(void)
{
	const char *v = getenv("KEYFERRY_VM");

	return v && !strcmp(v, "1");
}

bool kf_vm_loaded(void)
{
	struct stat st;

	return stat("/sys/module/keyferry", &st) == 0;
}

int kf_vm_load(void)
{
	const char *ko = getenv("KEYFERRY_KO");
	int fd, ret = 0;

	if (!ko)
		ko = "/opt/keyferry/keyferry.ko";
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
		ret = -errno;
	close(fd);
	return ret;
}

int kf_vm_unload(void)
{
	if (syscall(SYS_delete_module, "keyferry", O_NONBLOCK) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

int kf_vm_run(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[4096];
	size_t used = 0;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (out && cap)
		out[0] = '\0';
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && cap) {
		while (used + 1 < cap) {
			size_t n = fread(out + used, 1, cap - 1 - used, p);

			if (!n)
				break;
			used += n;
		}
		out[used] = '\0';
	}
	/* Drain what did not fit so the command is not killed by SIGPIPE. */
	while (fgetc(p) != EOF)
		;
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run fn in a child that first gave up privilege with drop(); fn's value. */
static int kf_vm_in_child(int (*drop)(void), int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (drop())
			_exit(255);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Drop CAP_SYS_ADMIN from every set of this process; keep the rest. */
static int kf_drop_sys_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	const uint32_t bit = 1u << (CAP_SYS_ADMIN % 32);
	const int i = CAP_SYS_ADMIN / 32;

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) ||
	    syscall(SYS_capget, &h, d))
		return -1;
	d[i].effective &= ~bit;
	d[i].permitted &= ~bit;
	d[i].inheritable &= ~bit;
	if (syscall(SYS_capset, &h, d) || syscall(SYS_capget, &h, d))
		return -1;
	/* what the test relies on: NET_ADMIN kept, SYS_ADMIN gone */
	if ((d[i].effective & bit) ||
	    !(d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))))
		return -1;
	return 0;
}

int kf_vm_without_sys_admin(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (kf_drop_sys_admin())
			_exit(254);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A non-root uid with no capability, as an ordinary user is. */
static int kf_vm_drop_all(void)
{
	return setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	       setresuid(65534, 65534, 65534);
}

/* Keep only the capabilities in keep (a bit per CAP_*), effective too. */
static int kf_vm_caps(uint64_t keep)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct c[2] = { };

	c[0].effective = c[0].permitted = (uint32_t)keep;
	c[1].effective = c[1].permitted = (uint32_t)(keep >> 32);
	return (int)syscall(SYS_capset, &h, c);
}

/*
 * The same uid, but CAP_NET_ADMIN kept: the permitted set survives the uid
 * change (KEEPCAPS), then is cut down to that one.
 */
static int kf_vm_drop_to_net_admin(void)
{
	return prctl(PR_SET_KEEPCAPS, 1) || kf_vm_drop_all() ||
	       kf_vm_caps(1ULL << CAP_NET_ADMIN);
}

int kf_vm_as_nobody(int (*fn)(void *), void *arg)
{
	return kf_vm_in_child(kf_vm_drop_all, fn, arg);
}

int kf_vm_as_net_admin(int (*fn)(void *), void *arg)
{
	return kf_vm_in_child(kf_vm_drop_to_net_admin, fn, arg);
}

long kf_vm_slab_unreclaimable_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static bool kf_vm_cmdline_read(char *buf, size_t cap)
{
	FILE *f = fopen("/proc/cmdline", "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)cap, f) != NULL;
	fclose(f);
	return ok;
}

/* The value after " name=" (or at the start), or NULL. */
static const char *kf_vm_cmdline_find(const char *line, const char *name)
{
	size_t n = strlen(name);
	const char *p = line;

	while ((p = strstr(p, name))) {
		if ((p == line || p[-1] == ' ') && p[n] == '=')
			return p + n + 1;
		p += n;
	}
	return NULL;
}

unsigned long long kf_vm_cmdline(const char *name, unsigned long long dflt)
{
	char line[4096];
	const char *v;

	if (!kf_vm_cmdline_read(line, sizeof(line)))
		return dflt;
	v = kf_vm_cmdline_find(line, name);
	return v ? strtoull(v, NULL, 0) : dflt;
}

bool kf_vm_cmdline_has(const char *word)
{
	char line[4096];
	size_t n = strlen(word);
	const char *p;

	if (!kf_vm_cmdline_read(line, sizeof(line)))
		return false;
	for (p = line; (p = strstr(p, word)); p += n)
		if ((p == line || p[-1] == ' ') &&
		    (!p[n] || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

int kf_vm_count_in(const char *hay, const char *needle)
{
	int n = 0;

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

double kf_vm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool kf_vm_file_has(const char *path, char *out, size_t cap, const char *what,
			   int times)
{
	kf_vm_run(out, cap, "cat %s", path);
	return kf_vm_count_in(out, what) >= times;
}

bool kf_vm_file_says(const char *path, char *out, size_t cap, const char *what, int times,
		     int secs)
{
	return KF_VM_WAIT(kf_vm_file_has(path, out, cap, what, times), secs);
}
