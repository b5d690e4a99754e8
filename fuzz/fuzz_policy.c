// SPDX-License-Identifier: MIT
/*
 * The owner's policy (docs/protocol.md section 6), as the library decodes
 * it (keyferry-seal, keyferry-admin, the tests).  A policy that decodes
 * must re-encode to bytes that decode to the same policy and encode to
 * themselves.  The encoder is stricter than the decoder on one documented
 * point (an empty validity window, which a host accepts and then never
 * installs), and the decoder accepts an optional record that says "none"
 * (TIMEOUT, NOT_BEFORE or NOT_AFTER of 0), which the encoder leaves out:
 * both as the kernel does, so a policy's bytes are canonical only as the
 * encoder writes them (docs/development.md, fuzzing findings).
 */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[KF_POLICY_MAX + 64], again[KF_POLICY_MAX + 64];
	struct kf_policy p, q;
	size_t len, len2;

	if (kf_policy_decode(&p, data, size))
		return 0;
	if (kf_policy_encode(&p, out, sizeof(out), &len)) {
		if (!p.not_before || !p.not_after || p.not_after >= p.not_before)
			fuzz_fail("policy: decodes but does not encode");
		return 0;
	}
	if (kf_policy_decode(&q, out, len) || memcmp(&p, &q, sizeof(p)) ||
	    kf_policy_encode(&q, again, sizeof(again), &len2))
		fuzz_fail("policy: re-encoded bytes decode differently");
	fuzz_same(out, len, again, len2, "policy");
	return 0;
}
