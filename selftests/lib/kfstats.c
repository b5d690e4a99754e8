// SPDX-License-Identifier: GPL-2.0
/* The module's counters (kfstats.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kfstats.h"
#include "vm.h"

#define KFS_PATH "/sys/kernel/debug/keyferry/stats"

/*
 * The counters that only ever grow (stats.c: "monotonic"); every other
 * line is a gauge.  A new monotonic counter belongs here.
 */
static const char *const kfs_monotonic[] = {
	"transfers_begun", "transfers_finished", "transfers_expired",
	"keys_installed", "keys_ended", "refusals",
};

int kfs_read(struct kfs *s)
{
	char line[128];
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen(KFS_PATH, "r");
	if (!f)
		return -errno;
	while (s->n < KFS_MAX && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %ld", s->name[s->n], &s->value[s->n]) == 2)
			s->n++;
	fclose(f);
	return s->n ? 0 : -EIO;
}

long kfs_get(const struct kfs *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->value[i];
	return -1;
}

bool kfs_is_gauge(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(kfs_monotonic) / sizeof(kfs_monotonic[0]); i++)
		if (!strcmp(name, kfs_monotonic[i]))
			return false;
	return true;
}

bool kfs_gauges_equal(const struct kfs *a, const struct kfs *b, char *why,
		      size_t cap)
{
	unsigned int i;

	if (why && cap)
		why[0] = '\0';
	for (i = 0; i < a->n; i++) {
		long vb = kfs_get(b, a->name[i]);

		if (!kfs_is_gauge(a->name[i]) || vb == a->value[i])
			continue;
		if (why)
			snprintf(why, cap, "%s %ld -> %ld", a->name[i],
				 a->value[i], vb);
		return false;
	}
	return a->n == b->n;
}

void kfs_format(const struct kfs *s, char *out, size_t cap)
{
	size_t used = 0;
	unsigned int i;

	if (cap)
		out[0] = '\0';
	for (i = 0; i < s->n && used < cap; i++) {
		int n;

		if (!kfs_is_gauge(s->name[i]))
			continue;
		n = snprintf(out + used, cap - used, "%s%s %ld", used ? ", " : "",
			     s->name[i], s->value[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* How many times the module said it leaked, in the kernel log so far. */
static long kfs_leak_reports(void)
{
	char out[64];

	if (kf_vm_run(out, sizeof(out),
		      "dmesg | grep -c 'keyferry: leak at unload'") < 0)
		return -1;
	return strtol(out, NULL, 10);
}

int kfs_unload_clean(void)
{
	long before = kfs_leak_reports();
	int ret = kf_vm_unload();

	if (ret)
		return ret;
	return kfs_leak_reports() == before ? 0 : -EBUSY;
}
