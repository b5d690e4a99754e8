// SPDX-License-Identifier: MIT
/*
 * Sealed items, "KFS2" (docs/protocol.md section 4): the inner layer, made
 * by the owner, opened only by the host.
 *
 *   0  "KFS2"   4 alg   5 reserved (3)   8 recipient kid   16 owner kid
 *   24 version (u64)   32 enc or salt (32)   64 ciphertext || tag
 *
 *   alg 1: HPKE mode_auth from Ko to Kec-pub, info and aad as below;
 *   alg 2: prk = HKDF-Extract(salt, Kw),
 *          k = HKDF-Expand(prk, "keyferry/2 wrap" || 0x00 || info, 32),
 *          ChaCha20-Poly1305(k, 12 zero bytes, aad, key).
 *
 *   info = "keyferry/2 item" || 0x00 || region || 0x00 || item
 *          || 0x00 || u64(version)
 *   aad  = the policy bytes, as delivered
 *
 * The header's fields are not authenticated by themselves; each is bound
 * some other way: the version through info, the kids because another key
 * than the one they name cannot open the blob, the algorithm because each
 * derives its key differently.
 *
 * Sealing does not interpret the policy: it binds whatever bytes it is
 * given (kf_policy_encode() makes valid ones; tests use odd ones to check
 * that a host refuses them).
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"

#define SEAL_MAGIC		"KFS2"
#define SEAL_OFF_ALG		4
#define SEAL_OFF_RCPT		8
#define SEAL_OFF_OWNER		16
#define SEAL_OFF_VERSION	24
#define SEAL_OFF_ENC		32
#define INFO_PREFIX		"keyferry/2 item"
#define WRAP_PREFIX		"keyferry/2 wrap"
/* prefix, three separators, two names, the version */
#define INFO_MAX		(sizeof(INFO_PREFIX) - 1 + 3 + \
				 2 * KF_NAME_MAX + 8)
/* the wrap prefix and its separator before the info */
#define WRAP_INFO_MAX		(sizeof(WRAP_PREFIX) + INFO_MAX)

static const uint8_t zero_nonce[12];
static const uint8_t zero_kid[KF_KID_SIZE];

static bool version_ok(uint64_t version)
{
	return version >= 1 && version <= KF_VERSION_MAX;
}

/*
 * Write info at buf (INFO_MAX bytes); the names must be valid, so no
 * separator can hide inside one, and the version closes it at a fixed
 * length, so nothing can follow.
 */
static int item_info(uint8_t *buf, size_t *len, const struct kf_binding *b,
		     uint64_t version)
{
	size_t rn, in, off = 0;

	if (!b->region || !b->item || !version_ok(version))
		return -EINVAL;
	rn = strnlen(b->region, KF_NAME_MAX + 1);
	in = strnlen(b->item, KF_NAME_MAX + 1);
	if (!kf_name_valid(b->region, rn, KF_NAME_MAX) ||
	    !kf_name_valid(b->item, in, KF_NAME_MAX))
		return -EINVAL;
	memcpy(buf, INFO_PREFIX, sizeof(INFO_PREFIX) - 1);
	off += sizeof(INFO_PREFIX) - 1;
	buf[off++] = 0x00;
	memcpy(buf + off, b->region, rn);
	off += rn;
	buf[off++] = 0x00;
	memcpy(buf + off, b->item, in);
	off += in;
	buf[off++] = 0x00;
	kf_put_be(buf + off, version, 8);
	*len = off + 8;
	return 0;
}

/* k = HKDF-Expand(HKDF-Extract(salt, Kw), "keyferry/2 wrap" 0 info, 32) */
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

static void seal_header(uint8_t *out, uint8_t alg, const uint8_t *rcpt_kid,
			const uint8_t *owner_kid, uint64_t version)
{
	memcpy(out, SEAL_MAGIC, 4);
	out[SEAL_OFF_ALG] = alg;
	memset(out + SEAL_OFF_ALG + 1, 0, 3);
	memcpy(out + SEAL_OFF_RCPT, rcpt_kid ? rcpt_kid : zero_kid,
	       KF_KID_SIZE);
	memcpy(out + SEAL_OFF_OWNER, owner_kid ? owner_kid : zero_kid,
	       KF_KID_SIZE);
	kf_put_be(out + SEAL_OFF_VERSION, version, 8);
}

/* The checks both sealers share; fills info. */
static int seal_prepare(uint8_t *info, size_t *info_len, uint8_t *out,
			size_t cap, size_t *out_len,
			const struct kf_binding *b, uint64_t version,
			const uint8_t *key, size_t key_len)
{
	if (!out || !out_len || !b || (!b->policy && b->policy_len) ||
	    b->policy_len > KF_POLICY_MAX || !key || !key_len ||
	    key_len > KF_ITEM_KEY_MAX)
		return -EINVAL;
	if (cap < KF_SEALED_HEADER + key_len + KF_TAG_SIZE)
		return -EMSGSIZE;
	return item_info(info, info_len, b, version);
}

int kf_seal_to_kec(uint8_t *out, size_t cap, size_t *out_len,
		   const uint8_t kec_pub[KF_KEY_SIZE],
		   const uint8_t ko_priv[KF_KEY_SIZE], const uint8_t *eph_priv,
		   const struct kf_binding *b, uint64_t version,
		   const uint8_t *key, size_t key_len)
{
	uint8_t info[INFO_MAX], rcpt_kid[KF_KID_SIZE], owner_kid[KF_KID_SIZE];
	uint8_t ko_pub[KF_KEY_SIZE];
	size_t info_len;
	int ret;

	if (!kec_pub || !ko_priv)
		return -EINVAL;
	ret = seal_prepare(info, &info_len, out, cap, out_len, b, version, key,
			   key_len);
	if (!ret)
		ret = kf_x25519_public(ko_priv, ko_pub);
	if (ret)
		return ret;
	kf_kid(kec_pub, rcpt_kid);
	kf_kid(ko_pub, owner_kid);
	seal_header(out, KF_SEAL_HPKE, rcpt_kid, owner_kid, version);
	ret = kf_hpke_seal_auth(out + SEAL_OFF_ENC, out + KF_SEALED_HEADER,
				kec_pub, eph_priv, ko_priv, info, info_len,
				b->policy, b->policy_len, key, key_len);
	if (ret) {
		kf_wipe(out, KF_SEALED_HEADER + key_len + KF_TAG_SIZE);
		return ret;
	}
	*out_len = KF_SEALED_HEADER + key_len + KF_TAG_SIZE;
	return 0;
}

int kf_seal_to_unwrap_key(uint8_t *out, size_t cap, size_t *out_len,
			  const uint8_t kw[KF_KEY_SIZE], const uint8_t *salt,
			  const struct kf_binding *b, uint64_t version,
			  const uint8_t *key, size_t key_len)
{
	uint8_t info[INFO_MAX], k[32];
	size_t info_len;
	int ret;

	if (!kw)
		return -EINVAL;
	ret = seal_prepare(info, &info_len, out, cap, out_len, b, version, key,
			   key_len);
	if (ret)
		return ret;
	seal_header(out, KF_SEAL_WRAP, NULL, NULL, version);
	/* A fresh salt makes k single-use, which makes the zero nonce safe. */
	if (salt)
		memcpy(out + SEAL_OFF_ENC, salt, 32);
	else
		ret = kf_random(out + SEAL_OFF_ENC, 32);
	if (!ret)
		ret = wrap_key(k, kw, out + SEAL_OFF_ENC, info, info_len);
	if (!ret)
		ret = kf_aead_seal(out + KF_SEALED_HEADER, k, zero_nonce,
				   b->policy, b->policy_len, key, key_len);
	kf_wipe(k, sizeof(k));
	if (ret) {
		kf_wipe(out, KF_SEALED_HEADER + key_len + KF_TAG_SIZE);
		return ret;
	}
	*out_len = KF_SEALED_HEADER + key_len + KF_TAG_SIZE;
	return 0;
}

int kf_sealed_header_decode(struct kf_sealed_header *h, const uint8_t *sealed,
			    size_t len)
{
	if (!h || !sealed)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	if (len < KF_SEALED_MIN || len > KF_SEALED_MAX ||
	    memcmp(sealed, SEAL_MAGIC, 4) || sealed[5] || sealed[6] ||
	    sealed[7])
		return -EPROTO;
	h->alg = sealed[SEAL_OFF_ALG];
	if (h->alg != KF_SEAL_HPKE && h->alg != KF_SEAL_WRAP)
		return -EPROTO;
	/* alg 2 names no key: the policy's UNWRAP_KEY does */
	if (h->alg == KF_SEAL_WRAP &&
	    (memcmp(sealed + SEAL_OFF_RCPT, zero_kid, KF_KID_SIZE) ||
	     memcmp(sealed + SEAL_OFF_OWNER, zero_kid, KF_KID_SIZE)))
		return -EPROTO;
	h->version = kf_get_be(sealed + SEAL_OFF_VERSION, 8);
	if (!version_ok(h->version))
		return -EPROTO;
	memcpy(h->recipient_kid, sealed + SEAL_OFF_RCPT, KF_KID_SIZE);
	memcpy(h->owner_kid, sealed + SEAL_OFF_OWNER, KF_KID_SIZE);
	h->key_len = len - KF_SEALED_MIN;
	return 0;
}

/*
 * The keys against the header, in the host's order: for the other kind
 * of key, or another Kec, -ENOKEY; by another owner, -EKEYREJECTED.
 */
static int unseal_keys(const struct kf_sealed_header *h,
		       const uint8_t *kec_priv, const uint8_t *ko_pub)
{
	uint8_t pub[KF_KEY_SIZE], kid[KF_KID_SIZE];
	int ret;

	if (h->alg == KF_SEAL_WRAP)
		return kec_priv ? -ENOKEY : 0;
	if (!kec_priv)
		return -ENOKEY;
	ret = kf_x25519_public(kec_priv, pub);
	if (ret)
		return ret;
	kf_kid(pub, kid);
	if (memcmp(kid, h->recipient_kid, KF_KID_SIZE))
		return -ENOKEY;
	kf_kid(ko_pub, kid);
	return memcmp(kid, h->owner_kid, KF_KID_SIZE) ? -EKEYREJECTED : 0;
}

static int unseal_open(uint8_t *key, const struct kf_sealed_header *h,
		       const uint8_t *kec_priv, const uint8_t *ko_pub,
		       const uint8_t *kw, const struct kf_binding *b,
		       const uint8_t *sealed, size_t sealed_len)
{
	uint8_t info[INFO_MAX], k[32];
	size_t info_len;
	int ret;

	ret = item_info(info, &info_len, b, h->version);
	if (ret)
		return ret;
	if (h->alg == KF_SEAL_HPKE)
		return kf_hpke_open_auth(key, kec_priv, sealed + SEAL_OFF_ENC,
					 ko_pub, info, info_len, b->policy,
					 b->policy_len,
					 sealed + KF_SEALED_HEADER,
					 sealed_len - KF_SEALED_HEADER);
	ret = wrap_key(k, kw, sealed + SEAL_OFF_ENC, info, info_len);
	if (!ret)
		ret = kf_aead_open(key, k, zero_nonce, b->policy,
				   b->policy_len, sealed + KF_SEALED_HEADER,
				   sealed_len - KF_SEALED_HEADER);
	kf_wipe(k, sizeof(k));
	return ret;
}

int kf_unseal(uint8_t *key, size_t cap, size_t *key_len, uint64_t *version,
	      const uint8_t *kec_priv, const uint8_t *ko_pub,
	      const uint8_t *kw, const struct kf_binding *b,
	      const uint8_t *sealed, size_t sealed_len)
{
	struct kf_sealed_header h;
	int ret;

	if (!key_len || !sealed || !b || (!b->policy && b->policy_len) ||
	    !kec_priv == !kw || !kec_priv != !ko_pub)
		return -EINVAL;
	ret = kf_sealed_header_decode(&h, sealed, sealed_len);
	if (ret)
		return ret;
	ret = unseal_keys(&h, kec_priv, ko_pub);
	if (ret)
		return ret;
	if (!key || cap < h.key_len)
		return -EMSGSIZE;
	ret = unseal_open(key, &h, kec_priv, ko_pub, kw, b, sealed,
			  sealed_len);
	if (ret)
		return ret;
	*key_len = h.key_len;
	if (version)
		*version = h.version;
	return 0;
}
