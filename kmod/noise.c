// SPDX-License-Identifier: GPL-2.0
/*
 * Noise_IK_25519_ChaChaPoly_SHA256 (Noise revision 34), the initiator's
 * side only: the host writes message 1 and reads message 2 (docs/protocol.md
 * section 3).  The symmetric state follows section 5 of the Noise
 * specification; HKDF is RFC 5869 over hmac(sha256) with empty info, which
 * is exactly Noise's HKDF.  Split() is never called.
 *
 * Lifetimes: a struct kf_noise lives in one pending transfer (kf_lock) from
 * kf_noise_write1() to kf_noise_read2(); kf_noise_wipe() frees the
 * ephemeral's kpp transform and zeroes the chaining key, hash and key.
 */
#include <crypto/kpp.h>
#include "keyferry.h"

static const char kf_noise_name[] = "Noise_IK_25519_ChaChaPoly_SHA256";

static int kf_mix_hash(struct kf_crypto *c, struct kf_noise *st,
		       const void *data, size_t len)
{
	struct kf_buf parts[2] = { { st->h, KF_HASH_SIZE }, { data, len } };

	return kf_sha256(c, st->h, parts, 2);
}

static int kf_mix_key(struct kf_crypto *c, struct kf_noise *st,
		      const u8 ikm[KEYFERRY_KEY_SIZE])
{
	struct kf_buf in = { ikm, KEYFERRY_KEY_SIZE };
	u8 prk[KF_HASH_SIZE], out[2 * KF_HASH_SIZE];
	int ret;

	ret = kf_hkdf_extract(c, prk, st->ck, KF_HASH_SIZE, &in, 1);
	if (!ret)
		ret = kf_hkdf_expand(c, out, sizeof(out), prk, NULL, 0);
	if (!ret) {
		memcpy(st->ck, out, KF_HASH_SIZE);
		memcpy(st->k, out + KF_HASH_SIZE, KF_HASH_SIZE);
		st->n = 0;
	}
	memzero_explicit(prk, sizeof(prk));
	memzero_explicit(out, sizeof(out));
	return ret;
}

static void kf_noise_nonce(u8 nonce[KF_AEAD_NONCE_SIZE], u64 n)
{
	__le64 le = cpu_to_le64(n);

	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, sizeof(le));
}

static int kf_encrypt_and_hash(struct kf_crypto *c, struct kf_noise *st,
			       u8 *out, const u8 *p, size_t len)
{
	u8 nonce[KF_AEAD_NONCE_SIZE];
	int ret;

	kf_noise_nonce(nonce, st->n);
	ret = kf_aead_seal(c, out, st->k, nonce, st->h, KF_HASH_SIZE, p, len);
	if (ret)
		return ret;
	st->n++;
	return kf_mix_hash(c, st, out, len + KF_TAG_SIZE);
}

static int kf_decrypt_and_hash(struct kf_crypto *c, struct kf_noise *st,
			       u8 *out, const u8 *in, size_t len)
{
	u8 nonce[KF_AEAD_NONCE_SIZE];
	int ret;

	kf_noise_nonce(nonce, st->n);
	ret = kf_aead_open(c, out, st->k, nonce, st->h, KF_HASH_SIZE, in, len);
	if (ret)
		return ret;
	st->n++;
	return kf_mix_hash(c, st, in, len);
}

/* A DH result, mixed into the chaining key, then wiped. */
static int kf_mix_dh(struct kf_crypto *c, struct kf_noise *st,
		     struct crypto_kpp *priv, const u8 pub[KEYFERRY_KEY_SIZE])
{
	u8 dh[KEYFERRY_KEY_SIZE];
	int ret;

	ret = kf_x25519(priv, dh, pub);
	if (!ret)
		ret = kf_mix_key(c, st, dh);
	memzero_explicit(dh, sizeof(dh));
	return ret;
}

/*
 * -> e, es, s, ss (message 1, without keyferry's header).  out receives
 * KF_NOISE_MSG1_LEN(payload_len) bytes.  eph_priv is NULL (fresh, from the
 * kernel's RNG) except in the self-test.
 */
int kf_noise_write1(struct kf_crypto *c, struct kf_noise *st,
		    const u8 *prologue, size_t prologue_len,
		    struct crypto_kpp *s, const u8 s_pub[KEYFERRY_KEY_SIZE],
		    const u8 rs[KEYFERRY_KEY_SIZE], const u8 *eph_priv,
		    const u8 *payload, size_t payload_len, u8 *out)
{
	int ret;

	BUILD_BUG_ON(sizeof(kf_noise_name) - 1 != KF_HASH_SIZE);
	memset(st, 0, sizeof(*st));
	memcpy(st->h, kf_noise_name, KF_HASH_SIZE);
	memcpy(st->ck, st->h, KF_HASH_SIZE);
	memcpy(st->rs, rs, KEYFERRY_KEY_SIZE);
	ret = kf_mix_hash(c, st, prologue, prologue_len);
	if (ret)
		goto err;
	ret = kf_mix_hash(c, st, rs, KEYFERRY_KEY_SIZE);
	if (ret)
		goto err;

	/* e */
	st->e = kf_x25519_new(eph_priv);
	if (IS_ERR(st->e)) {
		ret = PTR_ERR(st->e);
		st->e = NULL;
		goto err;
	}
	ret = kf_x25519_public(st->e, st->e_pub);
	if (ret)
		goto err;
	memcpy(out, st->e_pub, KEYFERRY_KEY_SIZE);
	ret = kf_mix_hash(c, st, st->e_pub, KEYFERRY_KEY_SIZE);
	if (ret)
		goto err;
	/* es */
	ret = kf_mix_dh(c, st, st->e, rs);
	if (ret)
		goto err;
	/* s */
	ret = kf_encrypt_and_hash(c, st, out + KEYFERRY_KEY_SIZE, s_pub,
				  KEYFERRY_KEY_SIZE);
	if (ret)
		goto err;
	/* ss */
	ret = kf_mix_dh(c, st, s, rs);
	if (ret)
		goto err;
	/* payload */
	ret = kf_encrypt_and_hash(c, st, out + 2 * KEYFERRY_KEY_SIZE + KF_TAG_SIZE,
				  payload, payload_len);
	if (ret)
		goto err;
	return 0;

err:
	kf_noise_wipe(st);
	return ret;
}

/*
 * <- e, ee, se (message 2, without keyferry's header).  payload receives
 * in_len - 48 bytes.  Any failure, a low-order e included, is -EBADMSG
 * unless it is a local error (-ENOMEM and the like).  The state is spent
 * either way; the caller wipes it.
 */
int kf_noise_read2(struct kf_crypto *c, struct kf_noise *st,
		   struct crypto_kpp *s, const u8 *in, size_t in_len,
		   u8 *payload)
{
	const u8 *re = in;
	int ret;

	if (in_len < KEYFERRY_KEY_SIZE + KF_TAG_SIZE || !st->e)
		return -EBADMSG;
	ret = kf_mix_hash(c, st, re, KEYFERRY_KEY_SIZE);
	if (ret)
		return ret;
	/* ee, se: the initiator's DH(e, re) and DH(s, re) */
	ret = kf_mix_dh(c, st, st->e, re);
	if (ret)
		return ret;
	ret = kf_mix_dh(c, st, s, re);
	if (ret)
		return ret;
	return kf_decrypt_and_hash(c, st, payload, in + KEYFERRY_KEY_SIZE,
				   in_len - KEYFERRY_KEY_SIZE);
}

void kf_noise_wipe(struct kf_noise *st)
{
	kf_x25519_free(st->e);
	memzero_explicit(st, sizeof(*st));
}
