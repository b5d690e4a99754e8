// SPDX-License-Identifier: MIT
/* The distributor's static key, from a file (see serverkey.h). */
#include <errno.h>
#include <string.h>

#include "tools/formats/keyfile.h"
#include "tools/formats/serverkey.h"

struct kf_serverkey {
	uint8_t priv[KF_KEY_SIZE];
	uint8_t pub[KF_KEY_SIZE];
	uint8_t kid[KF_KID_SIZE];
};

void kf_serverkey_free(struct kf_serverkey *k)
{
	kf_keypage_free(k, sizeof(*k));
}

int kf_serverkey_load(struct kf_serverkey **out, const char *path)
{
	struct kf_serverkey *k = kf_keypage_alloc(sizeof(*k));
	int ret = -ENOMEM;

	*out = NULL;
	if (!k)
		return ret;
	ret = kf_keyfile_read(path, k->priv);
	if (!ret && kf_x25519_public(k->priv, k->pub))
		ret = -EIO;
	if (ret) {
		kf_serverkey_free(k);
		return ret;
	}
	kf_kid(k->pub, k->kid);
	*out = k;
	return 0;
}

int kf_serverkey_generate(const char *path)
{
	return kf_keyfile_generate(path, NULL);
}

const uint8_t *kf_serverkey_public(const struct kf_serverkey *k)
{
	return k->pub;
}

const uint8_t *kf_serverkey_kid(const struct kf_serverkey *k)
{
	return k->kid;
}

int kf_serverkey_derive(const struct kf_serverkey *k, const char *label,
			uint8_t out[32])
{
	static const char salt[] = "keyferry/1 serverkey derive";
	uint8_t prk[32];
	int ret;

	ret = kf_hkdf_extract(prk, (const uint8_t *)salt, sizeof(salt) - 1,
			      k->priv, KF_KEY_SIZE);
	if (!ret)
		ret = kf_hkdf_expand(out, 32, prk, (const uint8_t *)label,
				     strlen(label));
	kf_wipe(prk, sizeof(prk));
	return ret;
}

int kf_serverkey_read1(struct kf_serverkey *k, struct kf_noise *st,
		       uint8_t *payload, size_t cap, size_t *payload_len,
		       uint8_t initiator_static[KF_KEY_SIZE],
		       const uint8_t *msg, size_t len)
{
	return kf_noise_responder_read1_keypair(st, payload, cap, payload_len,
						initiator_static, k->priv, k->pub,
						msg, len);
}

int kf_serverkey_sync_read1(struct kf_serverkey *k, struct kf_noise *st,
			    uint8_t *payload, size_t cap, size_t *payload_len,
			    uint8_t initiator_static[KF_KEY_SIZE],
			    const uint8_t *msg, size_t len)
{
	return kf_noise_sync_read1(st, payload, cap, payload_len,
				   initiator_static, k->priv, k->pub, msg, len);
}

int kf_serverkey_sync_write1(struct kf_serverkey *k, struct kf_noise *st,
			     uint8_t *msg, size_t cap, size_t *len,
			     const uint8_t rs[KF_KEY_SIZE],
			     const uint8_t *payload, size_t payload_len)
{
	return kf_noise_sync_write1(st, msg, cap, len, k->priv, rs, payload,
				    payload_len);
}
