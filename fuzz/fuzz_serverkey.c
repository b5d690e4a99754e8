// SPDX-License-Identifier: MIT
/*
 * The distributor's key file (tools/formats/serverkey.h), mode 0600.  A
 * file that loads holds a key whose kid is that of its public half.
 */
#include "fuzz/fuzz.h"
#include "tools/formats/serverkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_serverkey *k;
	uint8_t kid[KF_KID_SIZE];

	if (kf_serverkey_load(&k, fuzz_file(data, size)))
		return 0;
	kf_kid(kf_serverkey_public(k), kid);
	if (memcmp(kid, kf_serverkey_kid(k), sizeof(kid)))
		fuzz_fail(FUZZ_WHERE);
	kf_serverkey_free(k);
	return 0;
}
