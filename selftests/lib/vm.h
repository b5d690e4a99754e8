/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for tests that run inside the test VM (selftests/qemu/init):
 * loading and unloading keyferry.ko, running a command, and running a
 * function with no privilege at all.
 */
#ifndef KEYFERRY_SELFTEST_VM_H
#define KEYFERRY_SELFTEST_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

/* True inside the test VM (KEYFERRY_VM=1); tests skip elsewhere. */
bool kf_vm_inside(void);
/* 0, or -errno; loading an already loaded module is not an error. */
int kf_vm_load(void);
int kf_vm_unload(void);
bool kf_vm_loaded(void);
/* Run a shell command; its exit status, output (if out) truncated to cap. */
int kf_vm_run(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Run fn in a child that dropped to uid/gid 65534 with no capability;
 * returns fn's return value (which must fit in 0..255), or -1.
 */
int kf_vm_as_nobody(int (*fn)(void *), void *arg);
/*
 * Run fn in a child that is still uid 0 and keeps CAP_NET_ADMIN, but has
 * dropped CAP_SYS_ADMIN (effective, permitted, inheritable, bounding set):
 * a daemon given CAP_NET_ADMIN only.  fn's return value (0..255), or -1;
 * 254 when the child could not drop it.
 */
int kf_vm_without_sys_admin(int (*fn)(void *), void *arg);
/*
 * The same as uid/gid 65534 keeping CAP_NET_ADMIN only: the privilege of
 * the helper (it may talk to the module), without CAP_SYS_ADMIN.
 */
int kf_vm_as_net_admin(int (*fn)(void *), void *arg);
/* Unreclaimable slab of the whole kernel, from /proc/meminfo, in kB. */
long kf_vm_slab_unreclaimable_kb(void);
/* name=value from the kernel command line (run-all passes kf.*), or dflt. */
unsigned long long kf_vm_cmdline(const char *name, unsigned long long dflt);
bool kf_vm_cmdline_has(const char *word);
/* How many times needle occurs in hay. */
int kf_vm_count_in(const char *hay, const char *needle);
/*
 * Wait up to secs for the file at path (a daemon's log) to hold `what` at
 * least `times` times; its last contents in out (cap bytes) either way.
 * The deadline is by the clock (KF_VM_WAIT).
 */
bool kf_vm_file_says(const char *path, char *out, size_t cap, const char *what, int times,
		     int secs);
/* CLOCK_MONOTONIC in seconds: for deadlines and measured durations. */
double kf_vm_now(void);

/*
 * Evaluate cond every 250 ms (a try is often a command: polling faster
 * takes the CPU from what is awaited) until it holds or secs have passed
 * on CLOCK_MONOTONIC; true when it held.  A deadline by the clock, not a count of tries: on a
 * loaded TCG guest each try (a command, a transfer) may take seconds, and
 * a wall clock set back by a test does not stretch it.  Wait for
 * the signal of completion itself, not for an earlier one of the same
 * operation, and give a deadline several times what the work nominally
 * takes (docs/development.md, "Adding a test").
 */
#define KF_VM_WAIT(cond, secs) ({ \
	double __end = kf_vm_now() + (secs); \
	bool __ok; \
	while (!(__ok = (cond)) && kf_vm_now() < __end) \
		usleep(250 * 1000); \
	__ok; \
})

#ifdef ASSERT_EQ
/* In a kselftest test: run a command; fail (with its output) unless it exits 0. */
#define RUN_OK(out, ...) do { \
	int __rc = kf_vm_run(out, sizeof(out), __VA_ARGS__); \
	if (__rc) \
		TH_LOG("exit %d: %s", __rc, out); \
	ASSERT_EQ(0, __rc); \
} while (0)
#endif

#endif /* KEYFERRY_SELFTEST_VM_H */
