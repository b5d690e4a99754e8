// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

int kf_vm_as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* A non-root uid with no capability, as an ordinary user is. */
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(255);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
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
