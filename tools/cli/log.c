// SPDX-License-Identifier: MIT
/* Messages to stderr, each prefixed with the program's name. */
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"

/* A copy: the tests run tools in-process with argv in a stack buffer. */
static char progname[64] = "keyferry";
int kf_verbose;

void kf_set_progname(const char *name)
{
	const char *slash = strrchr(name, '/');

	snprintf(progname, sizeof(progname), "%s", slash ? slash + 1 : name);
}

static void vmsg(const char *level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vmsg(const char *level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write so lines from several threads do not interleave. */
	fprintf(stderr, "%s: %s%s\n", progname, level, line);
}

void kf_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void kf_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void kf_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}
