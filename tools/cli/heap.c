// SPDX-License-Identifier: MIT
/*
 * The servers' allocator (glibc's malloc), set before any thread starts.
 *
 * Each request thread allocates from an arena of its own.  When a chunk
 * of 64 KiB or more is freed (SQLite's statement journal, for one: a
 * transfer's freshness update opens one, since a trigger watches the
 * entities table), glibc gives the arena's free top back to the kernel
 * if it exceeds the trim threshold, 128 KiB by default: an madvise() and
 * a TLB shootdown of every CPU the process runs on, and the next request
 * faults the pages in again.  In a secure provider that was a tenth to
 * a quarter of its CPU per delivery (docs/performance.md, "The allocator
 * gave memory back on every request").  Keeping up to 2 MiB free at
 * the top of each arena stops it; an arena is never larger than what the
 * threads that share it once held at the same time.
 *
 * An operator's own setting (GLIBC_TUNABLES=glibc.malloc.trim_threshold)
 * wins.  Setting the threshold also stops glibc from raising its mmap
 * threshold (128 KiB) by itself, so larger blocks are mapped and unmapped
 * on their own; the provider's profile after the change shows no mmap(),
 * munmap() or madvise() on the request path.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"

#define KF_TRIM_THRESHOLD (2 << 20)

void kf_heap_for_server(void)
{
	const char *tunables = getenv("GLIBC_TUNABLES");

	if (tunables && strstr(tunables, "malloc.trim_threshold"))
		return;
	if (!mallopt(M_TRIM_THRESHOLD, KF_TRIM_THRESHOLD))
		kf_warn("malloc: cannot set the trim threshold");
}
