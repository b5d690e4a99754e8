// SPDX-License-Identifier: MIT
/*
 * HPKE (RFC 9180), only what keyferry uses: mode_base and mode_auth,
 * DHKEM(X25519, HKDF-SHA256) 0x0020, HKDF-SHA256 0x0001, ChaCha20Poly1305
 * 0x0003, and a single Seal/Open at sequence number 0 (the nonce is then
 * base_nonce).  Version 2 seals items in mode_auth (the owner's key
 * authenticates them); mode_base stays for its published vectors.
 * OpenSSL 3.0 has no HPKE API, so this composes its X25519, HKDF and AEAD
 * exactly as the RFC's pseudocode does; section numbers refer to the RFC.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyferry.h"

#define HPKE_NH		32	/* Nh: HKDF-SHA256 output */
#define HPKE_NSECRET	32	/* Nsecret of DHKEM(X25519) */
#define HPKE_NK		32	/* Nk of ChaCha20Poly1305 */
#define HPKE_NN		12	/* Nn */
#define HPKE_MODE_BASE	0x00
#define HPKE_MODE_AUTH	0x02

static const uint8_t version_label[7] = "HPKE-v1";
/* suite_id = "KEM" || I2OSP(kem_id, 2), for the KEM's own derivations */
static const uint8_t kem_suite[5] = { 'K', 'E', 'M', 0x00, 0x20 };
/* suite_id = "HPKE" || kem_id || kdf_id || aead_id, for the key schedule */
static const uint8_t hpke_suite[10] = {
	'H', 'P', 'K', 'E', 0x00, 0x20, 0x00, 0x01, 0x00, 0x03,
};

struct bytes {
	const void *p;
	size_t n;
};

/* Concatenate parts into a fresh buffer; the caller clear-frees it. */
static uint8_t *concat(const struct bytes *parts, size_t count, size_t *len)
{
	size_t i, total = 0, off = 0;
	uint8_t *buf;

	for (i = 0; i < count; i++)
		total += parts[i].n;
	buf = OPENSSL_malloc(total ? total : 1);
	if (!buf)
		return NULL;
	for (i = 0; i < count; i++) {
		if (parts[i].n)
			memcpy(buf + off, parts[i].p, parts[i].n);
		off += parts[i].n;
	}
	*len = total;
	return buf;
}

/* LabeledExtract(salt, label, ikm), section 4 */
static int labeled_extract(uint8_t prk[HPKE_NH], const uint8_t *suite,
			   size_t suite_len, const uint8_t *salt,
			   size_t salt_len, const char *label,
			   const uint8_t *ikm, size_t ikm_len)
{
	struct bytes parts[] = {
		{ version_label, sizeof(version_label) },
		{ suite, suite_len },
		{ label, strlen(label) },
		{ ikm, ikm_len },
	};
	size_t len;
	uint8_t *labeled_ikm = concat(parts, 4, &len);
	int ret;

	if (!labeled_ikm)
		return -ENOMEM;
	ret = kf_hkdf_extract(prk, salt, salt_len, labeled_ikm, len);
	OPENSSL_clear_free(labeled_ikm, len);
	return ret;
}

/* LabeledExpand(prk, label, info, L), section 4 */
static int labeled_expand(uint8_t *out, size_t out_len, const uint8_t *suite,
			  size_t suite_len, const uint8_t prk[HPKE_NH],
			  const char *label, const uint8_t *info,
			  size_t info_len)
{
	uint8_t l2[2] = { (uint8_t)(out_len >> 8), (uint8_t)out_len };
	struct bytes parts[] = {
		{ l2, 2 },
		{ version_label, sizeof(version_label) },
		{ suite, suite_len },
		{ label, strlen(label) },
		{ info, info_len },
	};
	size_t len;
	uint8_t *labeled_info = concat(parts, 5, &len);
	int ret;

	if (!labeled_info)
		return -ENOMEM;
	ret = kf_hkdf_expand(out, out_len, prk, labeled_info, len);
	OPENSSL_clear_free(labeled_info, len);
	return ret;
}

/* DeriveKeyPair(ikm) for X25519, section 7.1.3 */
int kf_hpke_derive_keypair(uint8_t priv[KF_KEY_SIZE], uint8_t pub[KF_KEY_SIZE],
			   const uint8_t *ikm, size_t ikm_len)
{
	uint8_t dkp_prk[HPKE_NH];
	int ret;

	if (!priv || !pub || (!ikm && ikm_len))
		return -EINVAL;
	ret = labeled_extract(dkp_prk, kem_suite, sizeof(kem_suite), NULL, 0,
			      "dkp_prk", ikm, ikm_len);
	if (!ret)
		ret = labeled_expand(priv, KF_KEY_SIZE, kem_suite,
				     sizeof(kem_suite), dkp_prk, "sk", NULL, 0);
	if (!ret)
		ret = kf_x25519_public(priv, pub);
	if (ret)
		kf_wipe(priv, KF_KEY_SIZE);
	kf_wipe(dkp_prk, sizeof(dkp_prk));
	return ret;
}

/*
 * ExtractAndExpand(dh, kem_context), section 4.1: dh is DH(skE, pkR) and,
 * in mode_auth, DH(skS, pkR) after it; kem_context = enc || pkRm, and
 * || pkSm in mode_auth (pks NULL in mode_base).
 */
static int extract_and_expand(uint8_t shared[HPKE_NSECRET],
			      const uint8_t *dh, size_t dh_len,
			      const uint8_t enc[KF_KEY_SIZE],
			      const uint8_t pkr[KF_KEY_SIZE],
			      const uint8_t *pks)
{
	uint8_t eae_prk[HPKE_NH], kem_context[3 * KF_KEY_SIZE];
	size_t ctx_len = 2 * KF_KEY_SIZE;
	int ret;

	memcpy(kem_context, enc, KF_KEY_SIZE);
	memcpy(kem_context + KF_KEY_SIZE, pkr, KF_KEY_SIZE);
	if (pks) {
		memcpy(kem_context + ctx_len, pks, KF_KEY_SIZE);
		ctx_len += KF_KEY_SIZE;
	}
	ret = labeled_extract(eae_prk, kem_suite, sizeof(kem_suite), NULL, 0,
			      "eae_prk", dh, dh_len);
	if (!ret)
		ret = labeled_expand(shared, HPKE_NSECRET, kem_suite,
				     sizeof(kem_suite), eae_prk,
				     "shared_secret", kem_context, ctx_len);
	kf_wipe(eae_prk, sizeof(eae_prk));
	return ret;
}

/*
 * Encap(pkR), or AuthEncap(pkR, skS) when sks is given, section 4.1, with
 * an optional fixed ephemeral for vectors.
 */
static int encap(uint8_t shared[HPKE_NSECRET], uint8_t enc[KF_KEY_SIZE],
		 const uint8_t pkr[KF_KEY_SIZE], const uint8_t *eph_priv,
		 const uint8_t *sks)
{
	uint8_t ske[KF_KEY_SIZE], dh[2 * KF_KEY_SIZE], pks[KF_KEY_SIZE];
	size_t dh_len = KF_KEY_SIZE;
	int ret;

	if (eph_priv) {
		memcpy(ske, eph_priv, KF_KEY_SIZE);
		ret = kf_x25519_public(ske, enc);
	} else {
		ret = kf_x25519_keygen(ske, enc);
	}
	if (ret)
		goto out;
	ret = kf_x25519(dh, ske, pkr);
	if (!ret && sks) {
		ret = kf_x25519(dh + KF_KEY_SIZE, sks, pkr);
		dh_len += KF_KEY_SIZE;
		if (!ret)
			ret = kf_x25519_public(sks, pks);
	}
	if (ret == -EBADMSG)
		ret = -EINVAL;	/* the recipient key we were given is bad */
	if (!ret)
		ret = extract_and_expand(shared, dh, dh_len, enc, pkr,
					 sks ? pks : NULL);
out:
	kf_wipe(ske, sizeof(ske));
	kf_wipe(dh, sizeof(dh));
	return ret;
}

/*
 * Decap(enc, skR), or AuthDecap(enc, skR, pkS) when pks is given,
 * section 4.1; -EBADMSG for a low-order enc or pkS.
 */
static int decap(uint8_t shared[HPKE_NSECRET], const uint8_t enc[KF_KEY_SIZE],
		 const uint8_t skr[KF_KEY_SIZE], const uint8_t *pks)
{
	uint8_t pkr[KF_KEY_SIZE], dh[2 * KF_KEY_SIZE];
	size_t dh_len = KF_KEY_SIZE;
	int ret;

	ret = kf_x25519_public(skr, pkr);
	if (!ret)
		ret = kf_x25519_with_public(dh, skr, pkr, enc);
	if (!ret && pks) {
		ret = kf_x25519_with_public(dh + KF_KEY_SIZE, skr, pkr, pks);
		dh_len += KF_KEY_SIZE;
	}
	if (!ret)
		ret = extract_and_expand(shared, dh, dh_len, enc, pkr, pks);
	kf_wipe(dh, sizeof(dh));
	return ret;
}

/*
 * KeySchedule(mode, shared_secret, info, "", ""), section 5.1: mode_base
 * and mode_auth differ only in the mode byte, neither has a PSK.
 */
static int key_schedule(struct kf_hpke_context *ctx, uint8_t mode,
			const uint8_t shared[HPKE_NSECRET],
			const uint8_t *info, size_t info_len)
{
	uint8_t context[1 + 2 * HPKE_NH], secret[HPKE_NH];
	int ret;

	context[0] = mode;
	ret = labeled_extract(context + 1, hpke_suite, sizeof(hpke_suite),
			      NULL, 0, "psk_id_hash", NULL, 0);
	if (!ret)
		ret = labeled_extract(context + 1 + HPKE_NH, hpke_suite,
				      sizeof(hpke_suite), NULL, 0, "info_hash",
				      info, info_len);
	if (!ret)	/* the "salt" is shared_secret, the ikm the empty psk */
		ret = labeled_extract(secret, hpke_suite, sizeof(hpke_suite),
				      shared, HPKE_NSECRET, "secret", NULL, 0);
	if (!ret)
		ret = labeled_expand(ctx->key, HPKE_NK, hpke_suite,
				     sizeof(hpke_suite), secret, "key",
				     context, sizeof(context));
	if (!ret)
		ret = labeled_expand(ctx->base_nonce, HPKE_NN, hpke_suite,
				     sizeof(hpke_suite), secret, "base_nonce",
				     context, sizeof(context));
	if (!ret)
		ret = labeled_expand(ctx->exporter_secret, HPKE_NH, hpke_suite,
				     sizeof(hpke_suite), secret, "exp",
				     context, sizeof(context));
	if (ret)
		kf_wipe(ctx, sizeof(*ctx));
	kf_wipe(secret, sizeof(secret));
	return ret;
}

int kf_hpke_setup_base_s(struct kf_hpke_context *ctx, uint8_t enc[KF_KEY_SIZE],
			 const uint8_t pkr[KF_KEY_SIZE], const uint8_t *eph_priv,
			 const uint8_t *info, size_t info_len)
{
	uint8_t shared[HPKE_NSECRET];
	int ret;

	if (!ctx || !enc || !pkr || (!info && info_len))
		return -EINVAL;
	ret = encap(shared, enc, pkr, eph_priv, NULL);
	if (!ret)
		ret = key_schedule(ctx, HPKE_MODE_BASE, shared, info, info_len);
	kf_wipe(shared, sizeof(shared));
	return ret;
}

int kf_hpke_setup_base_r(struct kf_hpke_context *ctx,
			 const uint8_t skr[KF_KEY_SIZE],
			 const uint8_t enc[KF_KEY_SIZE],
			 const uint8_t *info, size_t info_len)
{
	uint8_t shared[HPKE_NSECRET];
	int ret;

	if (!ctx || !skr || !enc || (!info && info_len))
		return -EINVAL;
	ret = decap(shared, enc, skr, NULL);
	if (!ret)
		ret = key_schedule(ctx, HPKE_MODE_BASE, shared, info, info_len);
	kf_wipe(shared, sizeof(shared));
	return ret;
}

/* SetupAuthS(pkR, info, skS), section 5.1.3 */
int kf_hpke_setup_auth_s(struct kf_hpke_context *ctx, uint8_t enc[KF_KEY_SIZE],
			 const uint8_t pkr[KF_KEY_SIZE], const uint8_t *eph_priv,
			 const uint8_t sks[KF_KEY_SIZE],
			 const uint8_t *info, size_t info_len)
{
	uint8_t shared[HPKE_NSECRET];
	int ret;

	if (!ctx || !enc || !pkr || !sks || (!info && info_len))
		return -EINVAL;
	ret = encap(shared, enc, pkr, eph_priv, sks);
	if (!ret)
		ret = key_schedule(ctx, HPKE_MODE_AUTH, shared, info, info_len);
	kf_wipe(shared, sizeof(shared));
	return ret;
}

/* SetupAuthR(enc, skR, info, pkS), section 5.1.3 */
int kf_hpke_setup_auth_r(struct kf_hpke_context *ctx,
			 const uint8_t skr[KF_KEY_SIZE],
			 const uint8_t enc[KF_KEY_SIZE],
			 const uint8_t pks[KF_KEY_SIZE],
			 const uint8_t *info, size_t info_len)
{
	uint8_t shared[HPKE_NSECRET];
	int ret;

	if (!ctx || !skr || !enc || !pks || (!info && info_len))
		return -EINVAL;
	ret = decap(shared, enc, skr, pks);
	if (!ret)
		ret = key_schedule(ctx, HPKE_MODE_AUTH, shared, info, info_len);
	kf_wipe(shared, sizeof(shared));
	return ret;
}

/* ContextS.Seal at sequence 0: nonce = base_nonce xor I2OSP(0, Nn) = base_nonce */
static int seal0(struct kf_hpke_context *ctx, uint8_t *ct,
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *pt, size_t pt_len)
{
	int ret = kf_aead_seal(ct, ctx->key, ctx->base_nonce, aad, aad_len, pt,
			       pt_len);

	kf_wipe(ctx, sizeof(*ctx));
	return ret;
}

static int open0(struct kf_hpke_context *ctx, uint8_t *pt,
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *ct, size_t ct_len)
{
	int ret = kf_aead_open(pt, ctx->key, ctx->base_nonce, aad, aad_len, ct,
			       ct_len);

	kf_wipe(ctx, sizeof(*ctx));
	return ret;
}

int kf_hpke_seal(uint8_t enc[KF_KEY_SIZE], uint8_t *ct,
		 const uint8_t pkr[KF_KEY_SIZE], const uint8_t *eph_priv,
		 const uint8_t *info, size_t info_len,
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *pt, size_t pt_len)
{
	struct kf_hpke_context ctx;
	int ret;

	ret = kf_hpke_setup_base_s(&ctx, enc, pkr, eph_priv, info, info_len);
	return ret ? ret : seal0(&ctx, ct, aad, aad_len, pt, pt_len);
}

int kf_hpke_open(uint8_t *pt, const uint8_t skr[KF_KEY_SIZE],
		 const uint8_t enc[KF_KEY_SIZE],
		 const uint8_t *info, size_t info_len,
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *ct, size_t ct_len)
{
	struct kf_hpke_context ctx;
	int ret;

	ret = kf_hpke_setup_base_r(&ctx, skr, enc, info, info_len);
	return ret ? ret : open0(&ctx, pt, aad, aad_len, ct, ct_len);
}

int kf_hpke_seal_auth(uint8_t enc[KF_KEY_SIZE], uint8_t *ct,
		      const uint8_t pkr[KF_KEY_SIZE], const uint8_t *eph_priv,
		      const uint8_t sks[KF_KEY_SIZE],
		      const uint8_t *info, size_t info_len,
		      const uint8_t *aad, size_t aad_len,
		      const uint8_t *pt, size_t pt_len)
{
	struct kf_hpke_context ctx;
	int ret;

	ret = kf_hpke_setup_auth_s(&ctx, enc, pkr, eph_priv, sks, info,
				   info_len);
	return ret ? ret : seal0(&ctx, ct, aad, aad_len, pt, pt_len);
}

int kf_hpke_open_auth(uint8_t *pt, const uint8_t skr[KF_KEY_SIZE],
		      const uint8_t enc[KF_KEY_SIZE],
		      const uint8_t pks[KF_KEY_SIZE],
		      const uint8_t *info, size_t info_len,
		      const uint8_t *aad, size_t aad_len,
		      const uint8_t *ct, size_t ct_len)
{
	struct kf_hpke_context ctx;
	int ret;

	ret = kf_hpke_setup_auth_r(&ctx, skr, enc, pks, info, info_len);
	return ret ? ret : open0(&ctx, pt, aad, aad_len, ct, ct_len);
}
