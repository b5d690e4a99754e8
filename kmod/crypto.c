// SPDX-License-Identifier: GPL-2.0
/*
 * Thin wrappers over the kernel crypto API.  Nothing here implements a
 * primitive: X25519 is the "curve25519" kpp, HMAC and SHA-256 are the
 * "hmac(sha256)" and "sha256" shash, the AEAD is "rfc7539(chacha20,poly1305)"
 * (RFC 8439, 96-bit nonce, 128-bit tag).  HKDF (RFC 5869) is composed from
 * hmac(sha256) because 6.1 has no generic HKDF.
 *
 * Lifetimes: a struct kf_crypto belongs to one operation of one thread
 * and is freed at its end; crypto_free_*() wipes the transform contexts
 * (crypto_destroy_tfm uses kfree_sensitive), so keys set on them do not
 * survive.  A kpp transform holds one X25519 private key in its context and
 * is wiped the same way by kf_x25519_free().  Scatterlists never point at
 * the stack or at netlink data (which may be vmalloc'ed): the AEAD and kpp
 * helpers work in a kf_zalloc'ed bounce buffer, wiped when freed.
 */
#include <linux/scatterlist.h>
#include <crypto/hash.h>
#include <crypto/aead.h>
#include <crypto/kpp.h>
#include <crypto/algapi.h>
#include "keyferry.h"

static const u8 kf_zero32[32];

int kf_crypto_alloc(struct kf_crypto *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(c->hmac)) {
		ret = PTR_ERR(c->hmac);
		c->hmac = NULL;
		goto err;
	}
	kf_stat_tfm(1);
	c->sha256 = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(c->sha256)) {
		ret = PTR_ERR(c->sha256);
		c->sha256 = NULL;
		goto err;
	}
	kf_stat_tfm(1);
	/* A synchronous implementation: we wait anyway, and stay simple. */
	c->aead = crypto_alloc_aead("rfc7539(chacha20,poly1305)", 0,
				    CRYPTO_ALG_ASYNC);
	if (IS_ERR(c->aead)) {
		ret = PTR_ERR(c->aead);
		c->aead = NULL;
		goto err;
	}
	kf_stat_tfm(1);
	ret = crypto_aead_setauthsize(c->aead, KF_TAG_SIZE);
	if (ret)
		goto err;
	return 0;

err:
	pr_err(KF_LOG_PREFIX "crypto transforms unavailable: %d\n", ret);
	kf_crypto_free(c);
	return ret;
}

void kf_crypto_free(struct kf_crypto *c)
{
	if (c->aead) {
		crypto_free_aead(c->aead);
		kf_stat_tfm(-1);
	}
	if (c->sha256) {
		crypto_free_shash(c->sha256);
		kf_stat_tfm(-1);
	}
	if (c->hmac) {
		crypto_free_shash(c->hmac);
		kf_stat_tfm(-1);
	}
	memset(c, 0, sizeof(*c));
}

static int kf_shash_parts(struct crypto_shash *tfm, u8 *out,
			  const struct kf_buf *parts, unsigned int n)
{
	SHASH_DESC_ON_STACK(desc, tfm);
	unsigned int i;
	int ret;

	desc->tfm = tfm;
	ret = crypto_shash_init(desc);
	for (i = 0; !ret && i < n; i++)
		ret = crypto_shash_update(desc, parts[i].p, parts[i].len);
	if (!ret)
		ret = crypto_shash_final(desc, out);
	shash_desc_zero(desc);
	return ret;
}

int kf_sha256(struct kf_crypto *c, u8 out[KF_HASH_SIZE],
	      const struct kf_buf *parts, unsigned int n)
{
	return kf_shash_parts(c->sha256, out, parts, n);
}

/* kid(pub) = SHA-256(pub)[0..8]; on a (never seen) failure, all ones. */
void kf_kid(struct kf_crypto *c, const u8 pub[KEYFERRY_KEY_SIZE],
	    u8 kid[KF_KID_SIZE])
{
	struct kf_buf b = { pub, KEYFERRY_KEY_SIZE };
	u8 h[KF_HASH_SIZE];

	if (kf_sha256(c, h, &b, 1))
		memset(h, 0xff, sizeof(h));
	memcpy(kid, h, KF_KID_SIZE);
}

int kf_hmac(struct kf_crypto *c, u8 out[KF_HASH_SIZE], const u8 *key,
	    size_t key_len, const struct kf_buf *parts, unsigned int n)
{
	int ret;

	/* An empty HMAC key equals 32 zero bytes (RFC 2104 pads with 0). */
	if (!key_len) {
		key = kf_zero32;
		key_len = sizeof(kf_zero32);
	}
	ret = crypto_shash_setkey(c->hmac, key, key_len);
	if (ret)
		return ret;
	return kf_shash_parts(c->hmac, out, parts, n);
}

int kf_hkdf_extract(struct kf_crypto *c, u8 prk[KF_HASH_SIZE],
		    const u8 *salt, size_t salt_len,
		    const struct kf_buf *ikm, unsigned int n)
{
	return kf_hmac(c, prk, salt, salt_len, ikm, n);
}

#define KF_HKDF_MAX_INFO 8

int kf_hkdf_expand(struct kf_crypto *c, u8 *out, size_t out_len,
		   const u8 prk[KF_HASH_SIZE],
		   const struct kf_buf *info, unsigned int n)
{
	struct kf_buf parts[KF_HKDF_MAX_INFO + 2];
	u8 t[KF_HASH_SIZE];
	size_t done = 0;
	u8 ctr = 1;
	unsigned int i;
	int ret = 0;

	if (n > KF_HKDF_MAX_INFO || out_len > 255 * KF_HASH_SIZE)
		return -EINVAL;
	while (done < out_len) {
		unsigned int np = 0;
		size_t take;

		/* T(i) = HMAC(prk, T(i-1) || info || i), T(0) empty */
		if (ctr > 1) {
			parts[np].p = t;
			parts[np++].len = KF_HASH_SIZE;
		}
		for (i = 0; i < n; i++)
			parts[np++] = info[i];
		parts[np].p = &ctr;
		parts[np++].len = 1;
		ret = kf_hmac(c, t, prk, KF_HASH_SIZE, parts, np);
		if (ret)
			break;
		take = min_t(size_t, KF_HASH_SIZE, out_len - done);
		memcpy(out + done, t, take);
		done += take;
		ctr++;
	}
	memzero_explicit(t, sizeof(t));
	if (ret)
		memzero_explicit(out, out_len);
	return ret;
}

static int kf_aead_crypt(struct kf_crypto *c, bool enc, u8 *out,
			 const u8 key[32], const u8 nonce[KF_AEAD_NONCE_SIZE],
			 const u8 *aad, size_t aad_len, const u8 *in,
			 size_t in_len)
{
	size_t out_len = enc ? in_len + KF_TAG_SIZE : in_len - KF_TAG_SIZE;
	u8 iv[KF_AEAD_NONCE_SIZE];
	struct aead_request *req;
	struct scatterlist sg;
	DECLARE_CRYPTO_WAIT(wait);
	u8 *buf;
	int ret;

	if (!enc && in_len < KF_TAG_SIZE)
		return -EBADMSG;
	if (aad_len + in_len > KEYFERRY_MESSAGE_MAX + KF_POLICY_MAX)
		return -EMSGSIZE;
	ret = crypto_aead_setkey(c->aead, key, 32);
	if (ret)
		return ret;
	/* Bounce buffer: aad || data (|| room for the tag when sealing). */
	buf = kf_zalloc(aad_len + in_len + KF_TAG_SIZE);
	if (!buf)
		return -ENOMEM;
	req = aead_request_alloc(c->aead, GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_buf;
	}
	memcpy(buf, aad, aad_len);
	memcpy(buf + aad_len, in, in_len);
	memcpy(iv, nonce, sizeof(iv));
	sg_init_one(&sg, buf, aad_len + in_len + KF_TAG_SIZE);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, aad_len);
	aead_request_set_crypt(req, &sg, &sg, in_len, iv);
	ret = crypto_wait_req(enc ? crypto_aead_encrypt(req) :
			      crypto_aead_decrypt(req), &wait);
	if (!ret)
		memcpy(out, buf + aad_len, out_len);
	aead_request_free(req);
out_buf:
	kf_free(buf);
	return ret;
}

int kf_aead_seal(struct kf_crypto *c, u8 *out, const u8 key[32],
		 const u8 nonce[KF_AEAD_NONCE_SIZE], const u8 *aad,
		 size_t aad_len, const u8 *in, size_t in_len)
{
	return kf_aead_crypt(c, true, out, key, nonce, aad, aad_len, in, in_len);
}

/* -EBADMSG when authentication fails; out is then untouched. */
int kf_aead_open(struct kf_crypto *c, u8 *out, const u8 key[32],
		 const u8 nonce[KF_AEAD_NONCE_SIZE], const u8 *aad,
		 size_t aad_len, const u8 *in, size_t in_len)
{
	return kf_aead_crypt(c, false, out, key, nonce, aad, aad_len, in,
			     in_len);
}

struct crypto_kpp *kf_x25519_new(const u8 *secret)
{
	struct crypto_kpp *tfm;
	int ret;

	tfm = crypto_alloc_kpp("curve25519", 0, 0);
	if (IS_ERR(tfm))
		return tfm;
	kf_stat_tfm(1);
	/* Length 0 makes the implementation generate a random secret. */
	ret = crypto_kpp_set_secret(tfm, secret, secret ? KEYFERRY_KEY_SIZE : 0);
	if (ret) {
		kf_x25519_free(tfm);
		return ERR_PTR(ret);
	}
	return tfm;
}

void kf_x25519_free(struct crypto_kpp *tfm)
{
	if (IS_ERR_OR_NULL(tfm))
		return;
	crypto_free_kpp(tfm);
	kf_stat_tfm(-1);
}

static int kf_kpp_run(struct crypto_kpp *tfm, u8 out[KEYFERRY_KEY_SIZE],
		      const u8 *peer)
{
	struct scatterlist src, dst;
	struct kpp_request *req;
	DECLARE_CRYPTO_WAIT(wait);
	u8 *buf;
	int ret;

	buf = kf_zalloc(2 * KEYFERRY_KEY_SIZE);
	if (!buf)
		return -ENOMEM;
	req = kpp_request_alloc(tfm, GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_buf;
	}
	kpp_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP,
				 crypto_req_done, &wait);
	sg_init_one(&dst, buf + KEYFERRY_KEY_SIZE, KEYFERRY_KEY_SIZE);
	if (peer) {
		memcpy(buf, peer, KEYFERRY_KEY_SIZE);
		sg_init_one(&src, buf, KEYFERRY_KEY_SIZE);
		kpp_request_set_input(req, &src, KEYFERRY_KEY_SIZE);
		kpp_request_set_output(req, &dst, KEYFERRY_KEY_SIZE);
		ret = crypto_wait_req(crypto_kpp_compute_shared_secret(req),
				      &wait);
	} else {
		kpp_request_set_input(req, NULL, 0);
		kpp_request_set_output(req, &dst, KEYFERRY_KEY_SIZE);
		ret = crypto_wait_req(crypto_kpp_generate_public_key(req),
				      &wait);
	}
	kpp_request_free(req);
	if (ret)
		goto out_buf;
	/* All zero: the peer sent a low-order point (RFC 7748 section 6.1). */
	if (!crypto_memneq(buf + KEYFERRY_KEY_SIZE, kf_zero32,
			   KEYFERRY_KEY_SIZE)) {
		ret = -EBADMSG;
		goto out_buf;
	}
	memcpy(out, buf + KEYFERRY_KEY_SIZE, KEYFERRY_KEY_SIZE);
out_buf:
	kf_free(buf);
	return ret;
}

int kf_x25519_public(struct crypto_kpp *tfm, u8 pub[KEYFERRY_KEY_SIZE])
{
	return kf_kpp_run(tfm, pub, NULL);
}

int kf_x25519(struct crypto_kpp *tfm, u8 out[KEYFERRY_KEY_SIZE],
	      const u8 peer[KEYFERRY_KEY_SIZE])
{
	return kf_kpp_run(tfm, out, peer);
}

/*
 * Is peer a key tfm's private key can agree with?  A low-order point (all
 * zero, 1, p - 1, the points of order 8...) gives an all-zero DH output
 * (RFC 7748 section 6.1), which the kpp refuses: every handshake or item
 * with such a pinned key would fail.  -EKEYREJECTED for one.
 */
int kf_x25519_check(struct crypto_kpp *tfm, const u8 peer[KEYFERRY_KEY_SIZE])
{
	u8 ss[KEYFERRY_KEY_SIZE];
	int ret;

	ret = kf_x25519(tfm, ss, peer);
	memzero_explicit(ss, sizeof(ss));
	return ret == -EBADMSG ? -EKEYREJECTED : ret;
}
