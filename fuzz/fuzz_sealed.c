// SPDX-License-Identifier: MIT
/*
 * A sealed item (docs/protocol.md section 4): header and opening, with the
 * harness's fixed Kec and owner key (alg 1) or unwrapping key (alg 2).  Input: one byte
 * choosing the key, two bytes of policy length, the policy, the sealed
 * blob.  An item that opens must give a key of the length its header
 * implies.
 */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t key[KF_ITEM_KEY_MAX], ko_pub[KF_KEY_SIZE];
	static bool ready;
	struct kf_binding b = { FUZZ_REGION, FUZZ_ITEM, NULL, 0 };
	size_t plen, key_len = 0;
	bool wrap;
	int ret;

	if (!ready && kf_x25519_public(fuzz_ko_priv, ko_pub))
		abort();
	ready = true;

	if (size < 3)
		return 0;
	wrap = data[0] & 1;
	plen = (size_t)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	if (plen > size)
		return 0;
	b.policy = data;
	b.policy_len = plen;
	ret = kf_unseal(key, sizeof(key), &key_len, NULL,
			wrap ? NULL : fuzz_kec_priv, wrap ? NULL : ko_pub,
			wrap ? fuzz_kw : NULL, &b, data + plen, size - plen);
	if (!ret && key_len != size - plen - KF_SEALED_MIN)
		fuzz_fail(FUZZ_WHERE);
	kf_wipe(key, key_len);
	return 0;
}
