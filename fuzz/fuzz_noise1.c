// SPDX-License-Identifier: MIT
/*
 * Noise IK message 1 as the distributor reads it (docs/protocol.md 3.1),
 * with the harness's fixed distributor key: the first bytes of every
 * request anyone on the network can send.  A message that is read must
 * name the key's kid and yield a payload no longer than the message.
 */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t kd_pub[KF_KEY_SIZE], kd_kid[KF_KID_SIZE];
static bool have_kd;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t payload[KF_MESSAGE_MAX];
	uint8_t kei[KF_KEY_SIZE];
	struct kf_noise st;
	size_t plen = 0;
	int ret;

	if (!have_kd) {
		if (kf_x25519_public(fuzz_kd_priv, kd_pub))
			fuzz_fail(FUZZ_WHERE);
		kf_kid(kd_pub, kd_kid);
		have_kd = true;
	}
	ret = kf_noise_responder_read1_keypair(&st, payload, sizeof(payload),
					       &plen, kei, fuzz_kd_priv, kd_pub,
					       data, size);
	if (!ret && (size < KF_MSG1_MIN || memcmp(data + 8, kd_kid, 8) ||
		     plen != size - KF_MSG1_MIN))
		fuzz_fail(FUZZ_WHERE);
	kf_noise_wipe(&st);
	kf_wipe(payload, plen);
	return 0;
}
