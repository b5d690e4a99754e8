// SPDX-License-Identifier: GPL-2.0
/*
 * HPKE (RFC 9180) with DHKEM(X25519, HKDF-SHA256) (0x0020), HKDF-SHA256
 * (0x0001) and ChaCha20Poly1305 (0x0003), single shot at sequence number 0
 * (docs/protocol.md section 4, alg 1).
 *
 * mode_auth (0x02) is what the protocol uses: the owner's static key Ko
 * authenticates the item (AuthEncap/AuthDecap, RFC 9180 section 4.1:
 * dh = DH(skE, pkR) || DH(skS, pkR), kem_context = enc || pkR || pkS), so
 * only a holder of a pinned Ko-priv can make an item this host opens.
 * mode_base (0x00) is kept for RFC 9180 A.2.1, the self-test's other
 * vector; the two differ only in the DH inputs, the KEM context and the
 * mode byte of the key schedule.  Open is what the host does with an item
 * sealed to Kec; seal exists for the self-test (the RFC's vectors fix the
 * sender's ephemeral key).
 *
 * Every intermediate secret (dh, eae_prk, shared_secret, secret, key,
 * base_nonce) is on the stack of one call and zeroed before it returns.
 */
#include <crypto/kpp.h>
#include "keyferry.h"

#define KF_HPKE_NONCE_SIZE	12
#define KF_HPKE_MODE_BASE	0x00
#define KF_HPKE_MODE_AUTH	0x02
#define KF_HPKE_LABELED_MAX	4	/* ikm or info pieces */

static const u8 kf_hpke_v1[] = { 'H', 'P', 'K', 'E', '-', 'v', '1' };
static const u8 kf_suite_kem[] = { 'K', 'E', 'M', 0x00, 0x20 };
static const u8 kf_suite_hpke[] = { 'H', 'P', 'K', 'E', 0x00, 0x20,
				    0x00, 0x01, 0x00, 0x03 };

struct kf_suite {
	const u8 *id;
	size_t len;
};

static const struct kf_suite kf_kem = { kf_suite_kem, sizeof(kf_suite_kem) };
static const struct kf_suite kf_hpke = { kf_suite_hpke, sizeof(kf_suite_hpke) };

/* The DH results and KEM context of one Encap/Decap (base or auth). */
struct kf_kem_in {
	u8 dh[2 * KEYFERRY_KEY_SIZE];
	size_t dh_len;
	u8 ctx[3 * KEYFERRY_KEY_SIZE];
	size_t ctx_len;
	u8 mode;
};

/* LabeledExtract(salt, label, ikm) over up to KF_HPKE_LABELED_MAX pieces. */
static int kf_labeled_extract(struct kf_crypto *c, u8 prk[KF_HASH_SIZE],
			      const struct kf_suite *s, const u8 *salt,
			      size_t salt_len, const char *label,
			      const struct kf_buf *ikm, unsigned int n)
{
	struct kf_buf parts[3 + KF_HPKE_LABELED_MAX] = {
		{ kf_hpke_v1, sizeof(kf_hpke_v1) },
		{ s->id, s->len },
		{ label, strlen(label) },
	};
	unsigned int i;

	if (n > KF_HPKE_LABELED_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		parts[3 + i] = ikm[i];
	return kf_hkdf_extract(c, prk, salt, salt_len, parts, 3 + n);
}

/* LabeledExpand(prk, label, info, L) */
static int kf_labeled_expand(struct kf_crypto *c, u8 *out, size_t out_len,
			     const struct kf_suite *s, const u8 prk[KF_HASH_SIZE],
			     const char *label, const u8 *info, size_t info_len)
{
	__be16 l = cpu_to_be16(out_len);
	struct kf_buf parts[5] = {
		{ &l, sizeof(l) },
		{ kf_hpke_v1, sizeof(kf_hpke_v1) },
		{ s->id, s->len },
		{ label, strlen(label) },
		{ info, info_len },
	};

	return kf_hkdf_expand(c, out, out_len, prk, parts, 5);
}

/* ExtractAndExpand(dh, kem_context) */
static int kf_kem_shared(struct kf_crypto *c, u8 ss[KF_HASH_SIZE],
			 const struct kf_kem_in *in)
{
	struct kf_buf ikm = { in->dh, in->dh_len };
	u8 prk[KF_HASH_SIZE];
	int ret;

	ret = kf_labeled_extract(c, prk, &kf_kem, NULL, 0, "eae_prk", &ikm, 1);
	if (!ret)
		ret = kf_labeled_expand(c, ss, KF_HASH_SIZE, &kf_kem, prk,
					"shared_secret", in->ctx, in->ctx_len);
	memzero_explicit(prk, sizeof(prk));
	return ret;
}

/* KeySchedule(mode, shared_secret, info, psk = "", psk_id = "") */
static int kf_key_schedule(struct kf_crypto *c, u8 mode,
			   const u8 ss[KF_HASH_SIZE],
			   const struct kf_buf *info, unsigned int n_info,
			   u8 key[32], u8 nonce[KF_HPKE_NONCE_SIZE])
{
	u8 ksc[1 + 2 * KF_HASH_SIZE], secret[KF_HASH_SIZE];
	int ret;

	ksc[0] = mode;
	ret = kf_labeled_extract(c, ksc + 1, &kf_hpke, NULL, 0, "psk_id_hash",
				 NULL, 0);
	if (!ret)
		ret = kf_labeled_extract(c, ksc + 1 + KF_HASH_SIZE, &kf_hpke,
					 NULL, 0, "info_hash", info, n_info);
	if (!ret)
		ret = kf_labeled_extract(c, secret, &kf_hpke, ss, KF_HASH_SIZE,
					 "secret", NULL, 0);
	if (!ret)
		ret = kf_labeled_expand(c, key, 32, &kf_hpke, secret, "key",
					ksc, sizeof(ksc));
	if (!ret)
		ret = kf_labeled_expand(c, nonce, KF_HPKE_NONCE_SIZE, &kf_hpke,
					secret, "base_nonce", ksc, sizeof(ksc));
	memzero_explicit(secret, sizeof(secret));
	return ret;
}

/* From the KEM's inputs to the AEAD key and base nonce (seal and open). */
static int kf_hpke_derive(struct kf_crypto *c, const struct kf_kem_in *in,
			  const struct kf_buf *info, unsigned int n_info,
			  u8 key[32], u8 nonce[KF_HPKE_NONCE_SIZE])
{
	u8 ss[KF_HASH_SIZE];
	int ret;

	ret = kf_kem_shared(c, ss, in);
	if (!ret)
		ret = kf_key_schedule(c, in->mode, ss, info, n_info, key, nonce);
	memzero_explicit(ss, sizeof(ss));
	return ret;
}

/* kem_context = enc || pkR (|| pkS in mode_auth) */
static void kf_kem_context(struct kf_kem_in *in, const u8 *enc, const u8 *pkr,
			   const u8 *pks)
{
	memcpy(in->ctx, enc, KEYFERRY_KEY_SIZE);
	memcpy(in->ctx + KEYFERRY_KEY_SIZE, pkr, KEYFERRY_KEY_SIZE);
	in->ctx_len = 2 * KEYFERRY_KEY_SIZE;
	in->mode = KF_HPKE_MODE_BASE;
	if (pks) {
		memcpy(in->ctx + in->ctx_len, pks, KEYFERRY_KEY_SIZE);
		in->ctx_len += KEYFERRY_KEY_SIZE;
		in->mode = KF_HPKE_MODE_AUTH;
	}
}

/*
 * SetupBaseR(enc, skR, info), or with pks SetupAuthR(enc, skR, info, pkS),
 * then Open(aad, ct) at sequence 0.  pt receives ct_len - 16 bytes.
 */
int kf_hpke_open(struct kf_crypto *c, u8 *pt, struct crypto_kpp *skr,
		 const u8 pkr[KEYFERRY_KEY_SIZE], const u8 *pks,
		 const u8 enc[KEYFERRY_KEY_SIZE],
		 const struct kf_buf *info, unsigned int n_info,
		 const u8 *aad, size_t aad_len, const u8 *ct, size_t ct_len)
{
	u8 key[32], nonce[KF_HPKE_NONCE_SIZE];
	struct kf_kem_in in;
	int ret;

	kf_kem_context(&in, enc, pkr, pks);
	in.dh_len = KEYFERRY_KEY_SIZE;
	ret = kf_x25519(skr, in.dh, enc);		/* DH(skR, pkE) */
	if (!ret && pks) {
		in.dh_len += KEYFERRY_KEY_SIZE;		/* DH(skR, pkS) */
		ret = kf_x25519(skr, in.dh + KEYFERRY_KEY_SIZE, pks);
	}
	if (!ret)
		ret = kf_hpke_derive(c, &in, info, n_info, key, nonce);
	if (!ret)
		ret = kf_aead_open(c, pt, key, nonce, aad, aad_len, ct, ct_len);
	memzero_explicit(&in, sizeof(in));
	memzero_explicit(key, sizeof(key));
	memzero_explicit(nonce, sizeof(nonce));
	return ret;
}

/*
 * SetupBaseS(pkR, info), or with sks SetupAuthS(pkR, info, skS), with a
 * given ephemeral (NULL: random), then Seal(aad, pt).
 */
int kf_hpke_seal(struct kf_crypto *c, u8 enc[KEYFERRY_KEY_SIZE], u8 *ct,
		 const u8 pkr[KEYFERRY_KEY_SIZE], const u8 *eph_priv,
		 struct crypto_kpp *sks, const u8 *pks,
		 const struct kf_buf *info, unsigned int n_info,
		 const u8 *aad, size_t aad_len, const u8 *pt, size_t pt_len)
{
	u8 key[32], nonce[KF_HPKE_NONCE_SIZE];
	struct crypto_kpp *e;
	struct kf_kem_in in;
	int ret;

	if (!sks != !pks)
		return -EINVAL;
	e = kf_x25519_new(eph_priv);
	if (IS_ERR(e))
		return PTR_ERR(e);
	ret = kf_x25519_public(e, enc);
	in.dh_len = KEYFERRY_KEY_SIZE;
	if (!ret)
		ret = kf_x25519(e, in.dh, pkr);		/* DH(skE, pkR) */
	kf_x25519_free(e);
	if (!ret && sks) {
		in.dh_len += KEYFERRY_KEY_SIZE;		/* DH(skS, pkR) */
		ret = kf_x25519(sks, in.dh + KEYFERRY_KEY_SIZE, pkr);
	}
	kf_kem_context(&in, enc, pkr, pks);
	if (!ret)
		ret = kf_hpke_derive(c, &in, info, n_info, key, nonce);
	if (!ret)
		ret = kf_aead_seal(c, ct, key, nonce, aad, aad_len, pt, pt_len);
	memzero_explicit(&in, sizeof(in));
	memzero_explicit(key, sizeof(key));
	memzero_explicit(nonce, sizeof(nonce));
	return ret;
}
