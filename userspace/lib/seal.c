// SPDX-License-Identifier: MIT
/*
 * Sealed items, "KFS1" (docs/protocol.md section 4): the inner layer, made
 * by the owner, opened only by the host.
 *
 *   alg 1: HPKE base to Kec-pub, info and aad as below;
 *   alg 2: prk = HKDF-Extract(salt, Kw),
 *          k = HKDF-Expand(prk, "keyferry/1 wrap" || 0x00 || info, 32),
 *          ChaCha20-Poly1305(k, 12 zero bytes, aad, key).
 *
 *   info = "keyferry/1 item" || 0x00 || region || 0x00 || item
 *   aad  = the policy bytes, as delivered
 *
 * Sealing does not interpret the policy: it binds whatever bytes it is
 * given (kf_policy_encode() makes valid ones; tests use odd ones to check
 * that a host refuses them).
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"

#define SEAL_MAGIC		"KFS1"
#define SEAL_ALG_HPKE		1
#define SEAL_ALG_WRAP		2
#define SEAL_OFF_ALG		4
#define SEAL_OFF_KID		8
#define SEAL_OFF_ENC		16
#define INFO_PREFIX		"keyferry/1 item"
#define WRAP_PREFIX		"keyferry/1 wrap"
/* both prefixes, two separators, two names: the longest info there is */
#define WRAP_INFO_MAX		(sizeof(WRAP_PREFIX) + sizeof(INFO_PREFIX) + \
				 2 * KF_NAME_MAX + 1)

static const uint8_t zero_nonce[12];

/*
 * Write "keyferry/1 item" 0 region 0 item at buf (WRAP_INFO_MAX bytes);
 * the names must be valid, so no separator can hide inside one.
 */
static int item_info(uint8_t *buf, size_t *len, const char *region,
		     const char *item)
{
	size_t rn, in, off = 0;

	if (!region || !item)
		return -EINVAL;
	rn = strnlen(region, KF_NAME_MAX + 1);
	in = strnlen(item, KF_NAME_MAX + 1);
	if (!kf_name_valid(region, rn, KF_NAME_MAX) ||
	    !kf_name_valid(item, in, KF_NAME_MAX))
		return -EINVAL;
	memcpy(buf, INFO_PREFIX, sizeof(INFO_PREFIX) - 1);
	off += sizeof(INFO_PREFIX) - 1;
	buf[off++] = 0x00;
	memcpy(buf + off, region, rn);
	off += rn;
	buf[off++] = 0x00;
	memcpy(buf + off, item, in);
	*len = off + in;
	return 0;
}

/* k = HKDF-Expand(HKDF-Extract(salt, Kw), "keyferry/1 wrap" 0 info, 32) */
static int wrap_key(uint8_t k[32], const uint8_t kw[KF_KEY_SIZE],
		    const uint8_t salt[32], const uint8_t *info,
		    size_t info_len)
{
	uint8_t prk[32], winfo[WRAP_INFO_MAX];
	size_t off = sizeof(WRAP_PREFIX) - 1;
	int ret;

	memcpy(winfo, WRAP_PREFIX, off);
	winfo[off++] = 0x00;
	memcpy(winfo + off, info, info_len);
	ret = kf_hkdf_extract(prk, salt, 32, kw, KF_KEY_SIZE);
	if (!ret)
		ret = kf_hkdf_expand(k, 32, prk, winfo, off + info_len);
	kf_wipe(prk, sizeof(prk));
	return ret;
}

static void seal_header(uint8_t *out, uint8_t alg, const uint8_t *kid)
{
	memcpy(out, SEAL_MAGIC, 4);
	out[SEAL_OFF_ALG] = alg;
	memset(out + SEAL_OFF_ALG + 1, 0, 3);
	if (kid)
		memcpy(out + SEAL_OFF_KID, kid, KF_KID_SIZE);
	else
		memset(out + SEAL_OFF_KID, 0, KF_KID_SIZE);
}

/* The checks both sealers share; fills info. */
static int seal_prepare(uint8_t *info, size_t *info_len, uint8_t *out,
			size_t cap, size_t *out_len, const char *region,
			const char *item, const uint8_t *policy,
			size_t policy_len, const uint8_t *key, size_t key_len)
{
	if (!out || !out_len || (!policy && policy_len) ||
	    policy_len > KF_POLICY_MAX || (!key && key_len) ||
	    key_len > KF_ITEM_KEY_MAX)
		return -EINVAL;
	if (cap < KF_SEALED_HEADER + key_len + KF_TAG_SIZE)
		return -EMSGSIZE;
	return item_info(info, info_len, region, item);
}

int kf_seal_to_kec(uint8_t *out, size_t cap, size_t *out_len,
		   const uint8_t kec_pub[KF_KEY_SIZE],
		   const char *region, const char *item,
		   const uint8_t *policy, size_t policy_len,
		   const uint8_t *key, size_t key_len)
{
	uint8_t info[WRAP_INFO_MAX], kid[KF_KID_SIZE];
	size_t info_len;
	int ret;

	if (!kec_pub)
		return -EINVAL;
	ret = seal_prepare(info, &info_len, out, cap, out_len, region, item,
			   policy, policy_len, key, key_len);
	if (ret)
		return ret;
	kf_kid(kec_pub, kid);
	seal_header(out, SEAL_ALG_HPKE, kid);
	ret = kf_hpke_seal(out + SEAL_OFF_ENC, out + KF_SEALED_HEADER, kec_pub,
			   NULL, info, info_len, policy, policy_len, key,
			   key_len);
	if (ret) {
		kf_wipe(out, KF_SEALED_HEADER + key_len + KF_TAG_SIZE);
		return ret;
	}
	*out_len = KF_SEALED_HEADER + key_len + KF_TAG_SIZE;
	return 0;
}

int kf_seal_to_unwrap_key(uint8_t *out, size_t cap, size_t *out_len,
			  const uint8_t kw[KF_KEY_SIZE],
			  const char *region, const char *item,
			  const uint8_t *policy, size_t policy_len,
			  const uint8_t *key, size_t key_len)
{
	uint8_t info[WRAP_INFO_MAX], k[32];
	size_t info_len;
	int ret;

	if (!kw)
		return -EINVAL;
	ret = seal_prepare(info, &info_len, out, cap, out_len, region, item,
			   policy, policy_len, key, key_len);
	if (ret)
		return ret;
	seal_header(out, SEAL_ALG_WRAP, NULL);
	/* A fresh salt makes k single-use, which makes the zero nonce safe. */
	ret = kf_random(out + SEAL_OFF_ENC, 32);
	if (!ret)
		ret = wrap_key(k, kw, out + SEAL_OFF_ENC, info, info_len);
	if (!ret)
		ret = kf_aead_seal(out + KF_SEALED_HEADER, k, zero_nonce,
				   policy, policy_len, key, key_len);
	kf_wipe(k, sizeof(k));
	if (ret) {
		kf_wipe(out, KF_SEALED_HEADER + key_len + KF_TAG_SIZE);
		return ret;
	}
	*out_len = KF_SEALED_HEADER + key_len + KF_TAG_SIZE;
	return 0;
}

/*
 * The header of a sealed blob, checked exactly: -EPROTO when malformed,
 * -ENOKEY when it is sealed for the other kind of key than the caller has,
 * -EKEYREJECTED when it is sealed to another Kec.
 */
static int unseal_header(const uint8_t *sealed, size_t sealed_len,
			 const uint8_t *kec_priv)
{
	static const uint8_t zero_kid[KF_KID_SIZE];
	uint8_t pub[KF_KEY_SIZE], kid[KF_KID_SIZE];
	uint8_t alg;
	int ret;

	if (sealed_len < KF_SEALED_MIN || sealed_len > KF_SEALED_MAX ||
	    memcmp(sealed, SEAL_MAGIC, 4) || sealed[5] || sealed[6] ||
	    sealed[7])
		return -EPROTO;
	alg = sealed[SEAL_OFF_ALG];
	if (alg == SEAL_ALG_WRAP)
		return memcmp(sealed + SEAL_OFF_KID, zero_kid, KF_KID_SIZE) ?
			-EPROTO : kec_priv ? -ENOKEY : 0;
	if (alg != SEAL_ALG_HPKE)
		return -EPROTO;
	if (!kec_priv)
		return -ENOKEY;
	ret = kf_x25519_public(kec_priv, pub);
	if (ret)
		return ret;
	kf_kid(pub, kid);
	return memcmp(kid, sealed + SEAL_OFF_KID, KF_KID_SIZE) ?
		-EKEYREJECTED : 0;
}

int kf_unseal(uint8_t *key, size_t cap, size_t *key_len,
	      const uint8_t *kec_priv, const uint8_t *kw,
	      const char *region, const char *item,
	      const uint8_t *policy, size_t policy_len,
	      const uint8_t *sealed, size_t sealed_len)
{
	uint8_t info[WRAP_INFO_MAX], k[32];
	size_t info_len, n;
	int ret;

	if (!key_len || !sealed || (!policy && policy_len) ||
	    !kec_priv == !kw)
		return -EINVAL;
	ret = item_info(info, &info_len, region, item);
	if (ret)
		return ret;
	ret = unseal_header(sealed, sealed_len, kec_priv);
	if (ret)
		return ret;
	n = sealed_len - KF_SEALED_MIN;
	if ((!key && n) || cap < n)
		return -EMSGSIZE;
	if (kec_priv) {
		ret = kf_hpke_open(key, kec_priv, sealed + SEAL_OFF_ENC, info,
				   info_len, policy, policy_len,
				   sealed + KF_SEALED_HEADER,
				   sealed_len - KF_SEALED_HEADER);
	} else {
		ret = wrap_key(k, kw, sealed + SEAL_OFF_ENC, info, info_len);
		if (!ret)
			ret = kf_aead_open(key, k, zero_nonce, policy,
					   policy_len,
					   sealed + KF_SEALED_HEADER,
					   sealed_len - KF_SEALED_HEADER);
		kf_wipe(k, sizeof(k));
	}
	if (ret)
		return ret;
	*key_len = n;
	return 0;
}
