// SPDX-License-Identifier: MIT
/*
 * Ed25519 (RFC 8032, the pure variant: no pre-hash, no context) through
 * OpenSSL 3.0's EVP interface.  These wrappers only fix the algorithm and
 * the sizes; OpenSSL does the arithmetic and refuses non-canonical
 * signatures (S >= L).  Checked against RFC 8032 section 7.1's vectors.
 */
#include <errno.h>

#include <openssl/evp.h>

#include "tools/authority/authority.h"

int kf_ed25519_public(const uint8_t seed[32], uint8_t pub[KF_KEY_SIZE])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						   seed, 32);
	size_t len = KF_KEY_SIZE;
	int ret = 0;

	if (!k)
		return -EIO;
	if (EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 ||
	    len != KF_KEY_SIZE)
		ret = -EIO;
	EVP_PKEY_free(k);	/* clears the seed it copied */
	return ret;
}

int kf_ed25519_sign(const uint8_t seed[32], const uint8_t *msg, size_t len,
		    uint8_t sig[KF_SIG_SIZE])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						   seed, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t slen = KF_SIG_SIZE;
	int ret = -EIO;

	if (k && md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(md, sig, &slen, msg, len) == 1 &&
	    slen == KF_SIG_SIZE)
		ret = 0;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ret;
}

int kf_ed25519_verify(const uint8_t pub[KF_KEY_SIZE], const uint8_t *msg,
		      size_t len, const uint8_t sig[KF_SIG_SIZE])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
						  pub, KF_KEY_SIZE);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ret = -EBADMSG;

	/* A public key OpenSSL refuses verifies nothing. */
	if (k && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestVerify(md, sig, KF_SIG_SIZE, msg, len) == 1)
		ret = 0;
	if (!md)
		ret = -ENOMEM;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ret;
}
