// SPDX-License-Identifier: MIT
/*
 * The request payload of message 1 (docs/protocol.md section 5.1), which
 * the repository decodes for anyone who completes a handshake.  What
 * decodes must encode back to exactly its bytes (payloads are canonical).
 */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kf_request rq;
	static uint8_t out[KF_MESSAGE_MAX];
	size_t len;

	if (kf_request_decode(&rq, data, size))
		return 0;
	if (kf_request_encode(&rq, out, sizeof(out), &len))
		fuzz_fail(FUZZ_WHERE);
	fuzz_same(data, size, out, len, "request");
	return 0;
}
