/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's counters, /sys/kernel/debug/keyferry/stats (docs/kernel.md),
 * read whole: every "name value" line, so counters added later are read
 * without an edit.  The gauges (live objects and bytes, transforms, pending
 * transfers, held keys) must come back to where they started once a test
 * tears its state down; the others only ever grow.
 */
#ifndef KEYFERRY_SELFTEST_KFSTATS_H
#define KEYFERRY_SELFTEST_KFSTATS_H

#include <stdbool.h>
#include <stddef.h>

#define KFS_MAX		48
#define KFS_NAME_MAX	32

struct kfs {
	unsigned int n;
	char name[KFS_MAX][KFS_NAME_MAX];
	long value[KFS_MAX];
};

/* 0, or -errno (no debugfs, module not loaded). */
int kfs_read(struct kfs *s);
/* The value of name, or -1 when absent. */
long kfs_get(const struct kfs *s, const char *name);
bool kfs_is_gauge(const char *name);
/*
 * Whether every gauge of a equals b's; otherwise why (the first that
 * differs, "name a -> b") in why.
 */
bool kfs_gauges_equal(const struct kfs *a, const struct kfs *b, char *why,
		      size_t cap);
/* "name value ..." of the gauges, for logs. */
void kfs_format(const struct kfs *s, char *out, size_t cap);
/*
 * Unload the module: 0 when it went and said no "leak at unload" (every
 * accounted block and transform freed), -EBUSY when it said one, or the
 * unload's -errno.
 */
int kfs_unload_clean(void);

#endif /* KEYFERRY_SELFTEST_KFSTATS_H */
