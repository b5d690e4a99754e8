// SPDX-License-Identifier: MIT
/*
 * The reply payload of message 2 (docs/protocol.md section 5.2), as the
 * userspace host (tests, bench, a provider's client) decodes it.  What
 * decodes must encode back to exactly its bytes.
 */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kf_reply rp;
	static uint8_t out[KF_MESSAGE_MAX];
	size_t len;

	if (kf_reply_decode(&rp, data, size))
		return 0;
	if (kf_reply_encode(&rp, out, sizeof(out), &len))
		fuzz_fail(FUZZ_WHERE);
	fuzz_same(data, size, out, len, "reply");
	return 0;
}
