// SPDX-License-Identifier: MIT
/*
 * The primitives of docs/protocol.md section 1, each a thin wrapper over
 * OpenSSL 3.0: X25519, HKDF-SHA256 (RFC 5869), ChaCha20-Poly1305 (RFC 8439),
 * SHA-256 for kids (base64 for keys in files is in base64.c).  Nothing here
 * implements a primitive by hand; the wrappers only fix the parameters,
 * check lengths and turn OpenSSL's 1/0 into 0/-errno.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "keyferry.h"

void kf_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

bool kf_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int kf_random(void *p, size_t n)
{
	if (!p || n > INT_MAX)
		return -EINVAL;
	if (n && RAND_bytes(p, (int)n) != 1)
		return -EIO;
	return 0;
}

/* ---- X25519 -------------------------------------------------------------- */

int kf_x25519_public(const uint8_t priv[KF_KEY_SIZE], uint8_t pub[KF_KEY_SIZE])
{
	EVP_PKEY *pkey;
	size_t len = KF_KEY_SIZE;
	int ret = 0;

	if (!priv || !pub)
		return -EINVAL;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
					    KF_KEY_SIZE);
	if (!pkey)
		return -EIO;
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1 ||
	    len != KF_KEY_SIZE)
		ret = -EIO;
	EVP_PKEY_free(pkey);	/* clears the private key it copied */
	return ret;
}

int kf_x25519_keygen(uint8_t priv[KF_KEY_SIZE], uint8_t pub[KF_KEY_SIZE])
{
	int ret;

	/*
	 * Any 32 random bytes are a valid X25519 private key: the function
	 * clamps the scalar itself (RFC 7748 section 5).
	 */
	ret = kf_random(priv, KF_KEY_SIZE);
	if (!ret)
		ret = kf_x25519_public(priv, pub);
	if (ret)
		kf_wipe(priv, KF_KEY_SIZE);
	return ret;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)	/* no early exit: p may be a secret */
		acc |= p[i];
	return acc == 0;
}

/*
 * Our key as OpenSSL wants it.  Given the public half too, OpenSSL takes
 * it as it is; given only the private half, it computes the public half,
 * a scalar multiplication as costly as the DH itself.
 */
static EVP_PKEY *x25519_key(const uint8_t priv[KF_KEY_SIZE], const uint8_t *pub)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	if (!pub)
		return EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
						    KF_KEY_SIZE);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY,
						      (void *)priv, KF_KEY_SIZE);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      (void *)pub, KF_KEY_SIZE);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int kf_x25519_with_public(uint8_t out[KF_KEY_SIZE], const uint8_t priv[KF_KEY_SIZE],
			  const uint8_t *pub, const uint8_t peer_pub[KF_KEY_SIZE])
{
	EVP_PKEY *key = NULL, *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = KF_KEY_SIZE;
	int ret = -EIO;

	if (!out || !priv || !peer_pub)
		return -EINVAL;
	key = x25519_key(priv, pub);
	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub,
					   KF_KEY_SIZE);
	if (!key || !peer)
		goto out;
	ctx = EVP_PKEY_CTX_new(key, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1)
		goto out;
	/*
	 * Once the keys are set up, OpenSSL refuses to derive only when the
	 * result is all zero (a low-order peer point): the peer's fault.
	 */
	if (EVP_PKEY_derive(ctx, out, &len) != 1 || len != KF_KEY_SIZE) {
		ret = -EBADMSG;
		goto out;
	}
	ret = all_zero(out, KF_KEY_SIZE) ? -EBADMSG : 0;
out:
	if (ret)
		kf_wipe(out, KF_KEY_SIZE);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(key);	/* clears the private key it copied */
	return ret;
}

int kf_x25519(uint8_t out[KF_KEY_SIZE], const uint8_t priv[KF_KEY_SIZE],
	      const uint8_t peer_pub[KF_KEY_SIZE])
{
	return kf_x25519_with_public(out, priv, NULL, peer_pub);
}

int kf_sha256(uint8_t out[32], const void *a, size_t a_len, const void *b,
	      size_t b_len)
{
	unsigned int len = 0;
	EVP_MD_CTX *ctx;
	int ret = -EIO;

	if (!out || (!a && a_len) || (!b && b_len))
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, a, a_len) == 1 &&
	    (!b_len || EVP_DigestUpdate(ctx, b, b_len) == 1) &&
	    EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == 32)
		ret = 0;
	EVP_MD_CTX_free(ctx);
	return ret;
}

void kf_kid(const uint8_t pub[KF_KEY_SIZE], uint8_t kid[KF_KID_SIZE])
{
	uint8_t md[32];

	/*
	 * SHA-256 of 32 bytes fails only if OpenSSL is broken; a zero kid
	 * then matches no key a peer could name, so the caller fails closed.
	 */
	if (kf_sha256(md, pub, KF_KEY_SIZE, NULL, 0))
		memset(md, 0, sizeof(md));
	memcpy(kid, md, KF_KID_SIZE);
}

/* ---- HKDF-SHA256 (RFC 5869) --------------------------------------------- */

/*
 * One HKDF step through EVP_KDF "HKDF", in mode EXTRACT_ONLY (key = ikm,
 * salt) or EXPAND_ONLY (key = prk, info), so each half stays usable on its
 * own as HPKE and Noise need.
 */
static int hkdf(int mode, uint8_t *out, size_t out_len,
		const uint8_t *key, size_t key_len,
		const uint8_t *salt, size_t salt_len,
		const uint8_t *info, size_t info_len)
{
	static const uint8_t empty[1];
	OSSL_PARAM params[6], *p = params;
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx = NULL;
	int ret = -EIO;

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	if (!kdf)
		return -EIO;
	kctx = EVP_KDF_CTX_new(kdf);
	if (!kctx)
		goto out;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	/* OpenSSL wants a non-NULL pointer even for an empty key. */
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
			(void *)(key_len ? key : empty), key_len);
	if (salt_len)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, salt_len);
	if (info_len)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, info_len);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		ret = 0;
out:
	EVP_KDF_CTX_free(kctx);	/* cleanses the copies of the key */
	EVP_KDF_free(kdf);
	if (ret)
		kf_wipe(out, out_len);
	return ret;
}

int kf_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len)
{
	if (!prk || (!salt && salt_len) || (!ikm && ikm_len))
		return -EINVAL;
	/*
	 * An absent salt is HashLen zeros (RFC 5869 2.2): HMAC pads a short
	 * key with zeros, so an empty salt gives the same PRK.
	 */
	return hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, prk, 32, ikm, ikm_len,
		    salt, salt_len, NULL, 0);
}

/* OpenSSL 3.0's HKDF takes at most this much info; keyferry needs < 600. */
#define HKDF_INFO_MAX	32768

int kf_hkdf_expand(uint8_t *out, size_t out_len, const uint8_t prk[32],
		   const uint8_t *info, size_t info_len)
{
	if (!out || !prk || (!info && info_len) || !out_len ||
	    out_len > 255 * 32 || info_len > HKDF_INFO_MAX)
		return -EINVAL;
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, out, out_len, prk, 32,
		    NULL, 0, info, info_len);
}

/* ---- ChaCha20-Poly1305 (RFC 8439) --------------------------------------- */

static int aead_init(EVP_CIPHER_CTX **ctx, int enc, const uint8_t key[32],
		     const uint8_t nonce[12], const uint8_t *aad,
		     size_t aad_len)
{
	int outl;

	*ctx = EVP_CIPHER_CTX_new();
	if (!*ctx)
		return -ENOMEM;
	if (EVP_CipherInit_ex(*ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL,
			      enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(*ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(*ctx, NULL, NULL, key, nonce, enc) != 1)
		return -EIO;
	if (aad_len && EVP_CipherUpdate(*ctx, NULL, &outl, aad,
					(int)aad_len) != 1)
		return -EIO;
	return 0;
}

static bool aead_args_ok(const void *out, const uint8_t *key,
			 const uint8_t *nonce, const uint8_t *aad,
			 size_t aad_len, const void *in, size_t in_len)
{
	return key && nonce && (aad || !aad_len) && (in || !in_len) &&
	       (out || !in_len) && aad_len <= INT_MAX &&
	       in_len <= INT_MAX - KF_TAG_SIZE;
}

int kf_aead_seal(uint8_t *ct, const uint8_t key[32], const uint8_t nonce[12],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *pt, size_t pt_len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t tag[KF_TAG_SIZE];
	int outl, ret;

	if (!ct || !aead_args_ok(ct, key, nonce, aad, aad_len, pt, pt_len))
		return -EINVAL;
	ret = aead_init(&ctx, 1, key, nonce, aad, aad_len);
	if (ret)
		goto out;
	ret = -EIO;
	if (pt_len && EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)pt_len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, tag, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, KF_TAG_SIZE,
				ct + pt_len) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int kf_aead_open(uint8_t *pt, const uint8_t key[32], const uint8_t nonce[12],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *ct, size_t ct_len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t tag[KF_TAG_SIZE];
	size_t pt_len;
	int outl, ret;

	if (!ct || ct_len < KF_TAG_SIZE)
		return ct ? -EBADMSG : -EINVAL;	/* no tag: not authentic */
	pt_len = ct_len - KF_TAG_SIZE;
	if (!aead_args_ok(pt, key, nonce, aad, aad_len, ct, pt_len))
		return -EINVAL;
	/* Copy the tag first: pt may overlap ct. */
	memcpy(tag, ct + pt_len, KF_TAG_SIZE);
	ret = aead_init(&ctx, 0, key, nonce, aad, aad_len);
	if (ret)
		goto out;
	ret = -EIO;
	if (pt_len && EVP_DecryptUpdate(ctx, pt, &outl, ct, (int)pt_len) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, KF_TAG_SIZE,
				tag) != 1)
		goto out;
	/* The tag is checked here; the stream cipher has nothing left. */
	ret = EVP_DecryptFinal_ex(ctx, tag, &outl) == 1 ? 0 : -EBADMSG;
out:
	/* Plaintext that did not authenticate is never handed out. */
	if (ret)
		kf_wipe(pt, pt_len);
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}
