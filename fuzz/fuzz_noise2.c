// SPDX-License-Identifier: MIT
/*
 * Noise IK message 2 as the userspace initiator reads it (docs/protocol.md
 * 3.2): the tests', the bench's and a provider's host side.  Each input is
 * read against a message 1 written with fixed keys and ephemeral, so the
 * seeds (replies made by the harness's responder) stay valid.
 */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[KF_MESSAGE_MAX], payload[KF_MESSAGE_MAX];
	static const uint8_t req[] = { 0, 1, 0, 1, 1, 0, 2, 0, 1, 'x' };
	uint8_t kd_pub[KF_KEY_SIZE];
	struct kf_noise st;
	size_t mlen, plen = 0;
	int ret;

	if (kf_x25519_public(fuzz_kd_priv, kd_pub) ||
	    kf_noise_initiator_write1(&st, msg, sizeof(msg), &mlen,
				      fuzz_kei_priv, kd_pub, fuzz_eph_priv,
				      req, sizeof(req)))
		fuzz_fail(FUZZ_WHERE);
	ret = kf_noise_initiator_read2(&st, payload, sizeof(payload), &plen,
				       data, size);
	if (!ret && (size < KF_MSG2_MIN || plen != size - KF_MSG2_MIN))
		fuzz_fail(FUZZ_WHERE);
	kf_noise_wipe(&st);
	return 0;
}
