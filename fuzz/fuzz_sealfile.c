// SPDX-License-Identifier: MIT
/*
 * The sealed-item file (tools/formats/sealfile.h), which keyferry-admin
 * reads from whoever hands an item over.  A file that reads must write
 * back to a file that reads to the same item.
 */
#include "fuzz/fuzz.h"
#include "tools/cli/cli.h"
#include "tools/formats/sealfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct kf_sealfile *f, const struct kf_sealfile *g)
{
	return !strcmp(f->region, g->region) && !strcmp(f->item, g->item) &&
	       f->policy_len == g->policy_len &&
	       !memcmp(f->policy, g->policy, f->policy_len) &&
	       f->sealed_len == g->sealed_len &&
	       !memcmp(f->sealed, g->sealed, f->sealed_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kf_sealfile f, g;
	const char *path = fuzz_file(data, size);

	if (kf_sealfile_read(path, &f))
		return 0;
	if (unlink(path) || kf_sealfile_write(path, &f) ||
	    kf_sealfile_read(path, &g) || !same(&f, &g))
		fuzz_fail(FUZZ_WHERE);
	return 0;
}
