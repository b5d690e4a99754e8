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
/* Unreclaimable slab of the whole kernel, from /proc/meminfo, in kB. */
long kf_vm_slab_unreclaimable_kb(void);

#endif /* KEYFERRY_SELFTEST_VM_H */
