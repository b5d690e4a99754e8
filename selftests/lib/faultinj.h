/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's fault injection (Documentation/fault-injection), for the
 * debug kernel: failslab and fail_page_alloc.  Two ways to use it:
 *
 *   - fail-nth (/proc/thread-self/fail-nth): the Nth allocation site the
 *     calling thread reaches in the kernel fails, once.  Writing N before a
 *     request and reading it back after says whether the fault happened;
 *     N = 1, 2, ... until it does not walks every allocation of a path.
 *   - a probability, with task-filter set, applied only while this thread's
 *     make-it-fail is 1: random failures, several per request.
 *
 * Both are set up to fail sleeping allocations too (GFP_KERNEL, which is
 * what the module uses; the kernel's defaults ignore them) and any order of
 * page, and to print nothing (printing each fault is slow under TCG).
 * Debian's kernels have no fault injection: fi_available() says so.
 */
#ifndef KEYFERRY_SELFTEST_FAULTINJ_H
#define KEYFERRY_SELFTEST_FAULTINJ_H

#include <stdbool.h>

/* NULL when usable, else why not (for a SKIP). */
const char *fi_unavailable(void);
/* The knobs as described above, no fault armed; 0 or -errno. */
int fi_setup(void);
/* Arm the Nth allocation of this thread (the one that called fi_setup). */
int fi_nth_arm(unsigned int n);
/*
 * Disarm; what was left of the count: 0 when the armed fault happened.
 * Armed with a large N, N minus this is how many sites the thread reached.
 */
unsigned int fi_nth_disarm(void);
/* Random failures at this rate (percent) while fi_task(true). */
int fi_probability(unsigned int percent);
int fi_task(bool on);
/* Everything back to the kernel's defaults less the noise: nothing fails. */
void fi_reset(void);

#endif /* KEYFERRY_SELFTEST_FAULTINJ_H */
