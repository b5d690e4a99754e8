// SPDX-License-Identifier: MIT
/* A member's signing key from a file (see signer.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/authority/signer.h"
#include "tools/formats/keyfile.h"

struct kf_signer {
	uint8_t seed[32];
	uint8_t pub[KF_KEY_SIZE];
};

void kf_signer_free(struct kf_signer *k)
{
	kf_keypage_free(k, sizeof(*k));
}

int kf_signer_load(struct kf_signer **out, const char *path)
{
	struct kf_signer *k = kf_keypage_alloc(sizeof(*k));
	int ret = -ENOMEM;

	*out = NULL;
	if (!k)
		return ret;
	ret = kf_keyfile_read(path, k->seed);
	if (!ret)
		ret = kf_ed25519_public(k->seed, k->pub);
	if (ret) {
		kf_signer_free(k);
		return ret;
	}
	*out = k;
	return 0;
}

int kf_signer_generate(const char *path)
{
	uint8_t seed[32];
	int ret = kf_random(seed, sizeof(seed));

	if (!ret)
		ret = kf_keyfile_create(path, seed);
	kf_wipe(seed, sizeof(seed));
	return ret;
}

const uint8_t *kf_signer_public(const struct kf_signer *k)
{
	return k->pub;
}

int kf_signer_sign(struct kf_signer *k, const uint8_t *msg, size_t len,
		   uint8_t sig[KF_SIG_SIZE])
{
	return kf_ed25519_sign(k->seed, msg, len, sig);
}

int kf_signer_sign_object(struct kf_signer *k, struct kf_signed *obj)
{
	struct kf_signature sig;
	uint8_t *msg;
	size_t len;
	int ret = kf_signed_message(obj, &msg, &len);

	if (ret)
		return ret;
	memcpy(sig.signer, k->pub, KF_KEY_SIZE);
	ret = kf_signer_sign(k, msg, len, sig.value);
	free(msg);
	if (!ret)
		ret = kf_signed_add(obj, &sig);
	return ret;
}
