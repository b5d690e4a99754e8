// SPDX-License-Identifier: MIT
/*
 * HPKE (userspace/lib/hpke.c) against RFC 9180 appendix A.2.1 (mode_base)
 * and A.2.3 (mode_auth), then the ways a ciphertext must be refused.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"
#include "vectors/keyferry_vectors.h"
#include "test_util.h"

TEST(derive_keypair_vector)
{
	uint8_t sk[32], pk[32];

	ASSERT_EQ(0, kf_hpke_derive_keypair(sk, pk, kf_vec_hpke_ikm_e,
					    KF_VEC_HPKE_IKM_E_LEN));
	ASSERT_MEM(kf_vec_hpke_sk_e, sk, 32);
	ASSERT_MEM(kf_vec_hpke_pk_e, pk, 32);
	ASSERT_EQ(0, kf_hpke_derive_keypair(sk, pk, kf_vec_hpke_ikm_r,
					    KF_VEC_HPKE_IKM_R_LEN));
	ASSERT_MEM(kf_vec_hpke_sk_r, sk, 32);
	ASSERT_MEM(kf_vec_hpke_pk_r, pk, 32);
}

TEST(setup_sender_vector)
{
	struct kf_hpke_context ctx;
	uint8_t enc[32];

	ASSERT_EQ(0, kf_hpke_setup_base_s(&ctx, enc, kf_vec_hpke_pk_r,
					  kf_vec_hpke_sk_e, kf_vec_hpke_info,
					  KF_VEC_HPKE_INFO_LEN));
	ASSERT_MEM(kf_vec_hpke_enc, enc, KF_VEC_HPKE_ENC_LEN);
	ASSERT_MEM(kf_vec_hpke_key, ctx.key, KF_VEC_HPKE_KEY_LEN);
	ASSERT_MEM(kf_vec_hpke_base_nonce, ctx.base_nonce,
		   KF_VEC_HPKE_BASE_NONCE_LEN);
	ASSERT_MEM(kf_vec_hpke_exporter_secret, ctx.exporter_secret,
		   KF_VEC_HPKE_EXPORTER_SECRET_LEN);
}

TEST(setup_recipient_vector)
{
	struct kf_hpke_context ctx;

	ASSERT_EQ(0, kf_hpke_setup_base_r(&ctx, kf_vec_hpke_sk_r,
					  kf_vec_hpke_enc, kf_vec_hpke_info,
					  KF_VEC_HPKE_INFO_LEN));
	ASSERT_MEM(kf_vec_hpke_key, ctx.key, KF_VEC_HPKE_KEY_LEN);
	ASSERT_MEM(kf_vec_hpke_base_nonce, ctx.base_nonce,
		   KF_VEC_HPKE_BASE_NONCE_LEN);
	ASSERT_MEM(kf_vec_hpke_exporter_secret, ctx.exporter_secret,
		   KF_VEC_HPKE_EXPORTER_SECRET_LEN);
}

TEST(seal_vector)
{
	uint8_t enc[32], ct[KF_VEC_HPKE_CT_LEN];

	ASSERT_EQ(KF_VEC_HPKE_PT_LEN + 16, KF_VEC_HPKE_CT_LEN);
	ASSERT_EQ(0, kf_hpke_seal(enc, ct, kf_vec_hpke_pk_r, kf_vec_hpke_sk_e,
				  kf_vec_hpke_info, KF_VEC_HPKE_INFO_LEN,
				  kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
				  kf_vec_hpke_pt, KF_VEC_HPKE_PT_LEN));
	ASSERT_MEM(kf_vec_hpke_enc, enc, 32);
	ASSERT_MEM(kf_vec_hpke_ct, ct, KF_VEC_HPKE_CT_LEN);
}

TEST(open_vector)
{
	uint8_t pt[KF_VEC_HPKE_PT_LEN];

	ASSERT_EQ(0, kf_hpke_open(pt, kf_vec_hpke_sk_r, kf_vec_hpke_enc,
				  kf_vec_hpke_info, KF_VEC_HPKE_INFO_LEN,
				  kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
				  kf_vec_hpke_ct, KF_VEC_HPKE_CT_LEN));
	ASSERT_MEM(kf_vec_hpke_pt, pt, KF_VEC_HPKE_PT_LEN);
}

static int open_vec(const uint8_t *enc, const uint8_t *sk,
		    const uint8_t *info, size_t info_len,
		    const uint8_t *aad, size_t aad_len,
		    const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
	return kf_hpke_open(pt, sk, enc, info, info_len, aad, aad_len, ct,
			    ct_len);
}

TEST(every_bit_flip_refused)
{
	uint8_t ct[KF_VEC_HPKE_CT_LEN], enc[32], info[KF_VEC_HPKE_INFO_LEN];
	uint8_t aad[KF_VEC_HPKE_AAD_LEN], pt[KF_VEC_HPKE_CT_LEN];
	size_t i;

	memcpy(ct, kf_vec_hpke_ct, sizeof(ct));
	memcpy(enc, kf_vec_hpke_enc, sizeof(enc));
	memcpy(info, kf_vec_hpke_info, sizeof(info));
	memcpy(aad, kf_vec_hpke_aad, sizeof(aad));
	for (i = 0; i < 8 * sizeof(ct); i++) {
		ct[i / 8] ^= 1 << (i % 8);
		memset(pt, 0xaa, sizeof(pt));
		ASSERT_EQ(-EBADMSG, open_vec(enc, kf_vec_hpke_sk_r, info,
					     sizeof(info), aad, sizeof(aad),
					     ct, sizeof(ct), pt));
		/* nothing unauthenticated is left behind */
		ASSERT_TRUE(test_all_zero(pt, KF_VEC_HPKE_PT_LEN));
		ct[i / 8] ^= 1 << (i % 8);
	}
	for (i = 0; i < 8 * sizeof(enc); i++) {
		enc[i / 8] ^= 1 << (i % 8);
		ASSERT_EQ(-EBADMSG, open_vec(enc, kf_vec_hpke_sk_r, info,
					     sizeof(info), aad, sizeof(aad),
					     ct, sizeof(ct), pt));
		enc[i / 8] ^= 1 << (i % 8);
	}
	for (i = 0; i < 8 * sizeof(info); i++) {
		info[i / 8] ^= 1 << (i % 8);
		ASSERT_EQ(-EBADMSG, open_vec(enc, kf_vec_hpke_sk_r, info,
					     sizeof(info), aad, sizeof(aad),
					     ct, sizeof(ct), pt));
		info[i / 8] ^= 1 << (i % 8);
	}
	for (i = 0; i < 8 * sizeof(aad); i++) {
		aad[i / 8] ^= 1 << (i % 8);
		ASSERT_EQ(-EBADMSG, open_vec(enc, kf_vec_hpke_sk_r, info,
					     sizeof(info), aad, sizeof(aad),
					     ct, sizeof(ct), pt));
		aad[i / 8] ^= 1 << (i % 8);
	}
	/* and the untouched inputs still open */
	ASSERT_EQ(0, open_vec(enc, kf_vec_hpke_sk_r, info, sizeof(info), aad,
			      sizeof(aad), ct, sizeof(ct), pt));
}

TEST(truncated_and_extended_refused)
{
	uint8_t ct[KF_VEC_HPKE_CT_LEN + 1], pt[KF_VEC_HPKE_CT_LEN];
	size_t n;

	memcpy(ct, kf_vec_hpke_ct, KF_VEC_HPKE_CT_LEN);
	ct[KF_VEC_HPKE_CT_LEN] = 0;
	for (n = 0; n < KF_VEC_HPKE_CT_LEN; n++)
		ASSERT_EQ(-EBADMSG, open_vec(kf_vec_hpke_enc, kf_vec_hpke_sk_r,
					     kf_vec_hpke_info,
					     KF_VEC_HPKE_INFO_LEN,
					     kf_vec_hpke_aad,
					     KF_VEC_HPKE_AAD_LEN, ct, n, pt));
	ASSERT_EQ(-EBADMSG, open_vec(kf_vec_hpke_enc, kf_vec_hpke_sk_r,
				     kf_vec_hpke_info, KF_VEC_HPKE_INFO_LEN,
				     kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN, ct,
				     sizeof(ct), pt));
}

TEST(wrong_key_refused)
{
	uint8_t sk[32], pk[32], pt[KF_VEC_HPKE_CT_LEN];

	ASSERT_EQ(0, kf_x25519_keygen(sk, pk));
	ASSERT_EQ(-EBADMSG, open_vec(kf_vec_hpke_enc, sk, kf_vec_hpke_info,
				     KF_VEC_HPKE_INFO_LEN, kf_vec_hpke_aad,
				     KF_VEC_HPKE_AAD_LEN, kf_vec_hpke_ct,
				     KF_VEC_HPKE_CT_LEN, pt));
}

TEST(low_order_refused)
{
	uint8_t enc[32], ct[16 + 4], pt[4] = { 1, 2, 3, 4 };
	size_t i;

	for (i = 0; i < TEST_N_LOW_ORDER; i++) {
		/* a recipient refuses an enc of small order */
		ASSERT_EQ(-EBADMSG, kf_hpke_open(pt, kf_vec_hpke_sk_r,
						 test_low_order[i], NULL, 0,
						 NULL, 0, kf_vec_hpke_ct,
						 KF_VEC_HPKE_CT_LEN));
		/* a sender refuses to seal to a recipient key of small order */
		ASSERT_EQ(-EINVAL, kf_hpke_seal(enc, ct, test_low_order[i],
						NULL, NULL, 0, NULL, 0, pt,
						sizeof(pt)));
	}
}

TEST(round_trip)
{
	static const uint8_t info[] = "keyferry/2 item\0r\0i";
	uint8_t sk[32], pk[32], enc[32], enc2[32];
	uint8_t pt[300], ct[sizeof(pt) + 16], ct2[sizeof(pt) + 16];
	uint8_t out[sizeof(pt)];
	size_t n;

	ASSERT_EQ(0, kf_x25519_keygen(sk, pk));
	ASSERT_EQ(0, kf_random(pt, sizeof(pt)));
	for (n = 0; n <= sizeof(pt); n += 75) {
		ASSERT_EQ(0, kf_hpke_seal(enc, ct, pk, NULL, info,
					  sizeof(info) - 1, pt, 7, pt, n));
		ASSERT_EQ(0, kf_hpke_open(out, sk, enc, info, sizeof(info) - 1,
					  pt, 7, ct, n + 16));
		ASSERT_EQ(0, memcmp(pt, out, n));
	}
	/* a fresh ephemeral every time: never the same enc or ciphertext */
	ASSERT_EQ(0, kf_hpke_seal(enc, ct, pk, NULL, NULL, 0, NULL, 0, pt, 32));
	ASSERT_EQ(0, kf_hpke_seal(enc2, ct2, pk, NULL, NULL, 0, NULL, 0, pt,
				  32));
	ASSERT_NE(0, memcmp(enc, enc2, 32));
	ASSERT_NE(0, memcmp(ct, ct2, 48));
	kf_wipe(sk, sizeof(sk));
}

TEST(bad_arguments)
{
	struct kf_hpke_context ctx;
	uint8_t enc[32], ct[32], pt[16] = { 0 };

	ASSERT_EQ(-EINVAL, kf_hpke_seal(enc, ct, NULL, NULL, NULL, 0, NULL, 0,
					pt, 16));
	ASSERT_EQ(-EINVAL, kf_hpke_seal(enc, ct, kf_vec_hpke_pk_r, NULL, NULL,
					5, NULL, 0, pt, 16));
	ASSERT_EQ(-EINVAL, kf_hpke_open(pt, NULL, kf_vec_hpke_enc, NULL, 0,
					NULL, 0, ct, 32));
	ASSERT_EQ(-EINVAL, kf_hpke_setup_base_r(&ctx, kf_vec_hpke_sk_r,
						kf_vec_hpke_enc, NULL, 1));
	ASSERT_EQ(-EINVAL, kf_hpke_derive_keypair(enc, ct, NULL, 3));
}

/* ---- mode_auth, RFC 9180 appendix A.2.3 ------------------------------ */

TEST(auth_derive_keypairs_vector)
{
	uint8_t sk[32], pk[32];

	ASSERT_EQ(0, kf_hpke_derive_keypair(sk, pk, kf_vec_hpke_auth_ikm_e,
					    KF_VEC_HPKE_AUTH_IKM_E_LEN));
	ASSERT_MEM(kf_vec_hpke_auth_sk_e, sk, 32);
	ASSERT_MEM(kf_vec_hpke_auth_pk_e, pk, 32);
	ASSERT_EQ(0, kf_hpke_derive_keypair(sk, pk, kf_vec_hpke_auth_ikm_r,
					    KF_VEC_HPKE_AUTH_IKM_R_LEN));
	ASSERT_MEM(kf_vec_hpke_auth_sk_r, sk, 32);
	ASSERT_MEM(kf_vec_hpke_auth_pk_r, pk, 32);
	ASSERT_EQ(0, kf_hpke_derive_keypair(sk, pk, kf_vec_hpke_auth_ikm_s,
					    KF_VEC_HPKE_AUTH_IKM_S_LEN));
	ASSERT_MEM(kf_vec_hpke_auth_sk_s, sk, 32);
	ASSERT_MEM(kf_vec_hpke_auth_pk_s, pk, 32);
}

static void assert_auth_context(struct __test_metadata *_metadata,
				const struct kf_hpke_context *ctx)
{
	ASSERT_MEM(kf_vec_hpke_auth_key, ctx->key, KF_VEC_HPKE_AUTH_KEY_LEN);
	ASSERT_MEM(kf_vec_hpke_auth_base_nonce, ctx->base_nonce,
		   KF_VEC_HPKE_AUTH_BASE_NONCE_LEN);
	ASSERT_MEM(kf_vec_hpke_auth_exporter_secret, ctx->exporter_secret,
		   KF_VEC_HPKE_AUTH_EXPORTER_SECRET_LEN);
}

TEST(auth_setup_sender_vector)
{
	struct kf_hpke_context ctx;
	uint8_t enc[32];

	ASSERT_EQ(0, kf_hpke_setup_auth_s(&ctx, enc, kf_vec_hpke_auth_pk_r,
					  kf_vec_hpke_auth_sk_e,
					  kf_vec_hpke_auth_sk_s,
					  kf_vec_hpke_info,
					  KF_VEC_HPKE_INFO_LEN));
	ASSERT_MEM(kf_vec_hpke_auth_enc, enc, KF_VEC_HPKE_AUTH_ENC_LEN);
	assert_auth_context(_metadata, &ctx);
}

TEST(auth_setup_recipient_vector)
{
	struct kf_hpke_context ctx;

	ASSERT_EQ(0, kf_hpke_setup_auth_r(&ctx, kf_vec_hpke_auth_sk_r,
					  kf_vec_hpke_auth_enc,
					  kf_vec_hpke_auth_pk_s,
					  kf_vec_hpke_info,
					  KF_VEC_HPKE_INFO_LEN));
	assert_auth_context(_metadata, &ctx);
}

TEST(auth_seal_and_open_vector)
{
	uint8_t enc[32], ct[KF_VEC_HPKE_AUTH_CT_LEN], pt[KF_VEC_HPKE_PT_LEN];

	ASSERT_EQ(KF_VEC_HPKE_PT_LEN + 16, KF_VEC_HPKE_AUTH_CT_LEN);
	ASSERT_EQ(0, kf_hpke_seal_auth(enc, ct, kf_vec_hpke_auth_pk_r,
				       kf_vec_hpke_auth_sk_e,
				       kf_vec_hpke_auth_sk_s,
				       kf_vec_hpke_info, KF_VEC_HPKE_INFO_LEN,
				       kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
				       kf_vec_hpke_pt, KF_VEC_HPKE_PT_LEN));
	ASSERT_MEM(kf_vec_hpke_auth_enc, enc, 32);
	ASSERT_MEM(kf_vec_hpke_auth_ct, ct, KF_VEC_HPKE_AUTH_CT_LEN);
	ASSERT_EQ(0, kf_hpke_open_auth(pt, kf_vec_hpke_auth_sk_r,
				       kf_vec_hpke_auth_enc,
				       kf_vec_hpke_auth_pk_s,
				       kf_vec_hpke_info, KF_VEC_HPKE_INFO_LEN,
				       kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
				       kf_vec_hpke_auth_ct,
				       KF_VEC_HPKE_AUTH_CT_LEN));
	ASSERT_MEM(kf_vec_hpke_pt, pt, KF_VEC_HPKE_PT_LEN);
}

static int open_auth_vec(const uint8_t *pks, const uint8_t *ct, size_t len)
{
	uint8_t pt[KF_VEC_HPKE_AUTH_CT_LEN];

	return kf_hpke_open_auth(pt, kf_vec_hpke_auth_sk_r,
				 kf_vec_hpke_auth_enc, pks, kf_vec_hpke_info,
				 KF_VEC_HPKE_INFO_LEN, kf_vec_hpke_aad,
				 KF_VEC_HPKE_AAD_LEN, ct, len);
}

/*
 * What mode_auth is for: someone who knows only public keys (pkR, pkS)
 * cannot make a ciphertext the recipient accepts as the sender's.
 */
TEST(auth_only_the_sender_can_seal)
{
	uint8_t forger[32], forger_pub[32], enc[32];
	uint8_t ct[KF_VEC_HPKE_AUTH_CT_LEN], pt[KF_VEC_HPKE_PT_LEN];

	ASSERT_EQ(0, kf_x25519_keygen(forger, forger_pub));
	/* mode_base to pkR, opened as mode_auth from pkS */
	ASSERT_EQ(0, kf_hpke_seal(enc, ct, kf_vec_hpke_auth_pk_r, NULL,
				  kf_vec_hpke_info, KF_VEC_HPKE_INFO_LEN,
				  kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
				  kf_vec_hpke_pt, KF_VEC_HPKE_PT_LEN));
	ASSERT_EQ(-EBADMSG, kf_hpke_open_auth(pt, kf_vec_hpke_auth_sk_r, enc,
					      kf_vec_hpke_auth_pk_s,
					      kf_vec_hpke_info,
					      KF_VEC_HPKE_INFO_LEN,
					      kf_vec_hpke_aad,
					      KF_VEC_HPKE_AAD_LEN, ct,
					      sizeof(ct)));
	ASSERT_TRUE(test_all_zero(pt, sizeof(pt)));
	/* mode_auth with the forger's own static key */
	ASSERT_EQ(0, kf_hpke_seal_auth(enc, ct, kf_vec_hpke_auth_pk_r, NULL,
				       forger, kf_vec_hpke_info,
				       KF_VEC_HPKE_INFO_LEN, kf_vec_hpke_aad,
				       KF_VEC_HPKE_AAD_LEN, kf_vec_hpke_pt,
				       KF_VEC_HPKE_PT_LEN));
	ASSERT_EQ(-EBADMSG, kf_hpke_open_auth(pt, kf_vec_hpke_auth_sk_r, enc,
					      kf_vec_hpke_auth_pk_s,
					      kf_vec_hpke_info,
					      KF_VEC_HPKE_INFO_LEN,
					      kf_vec_hpke_aad,
					      KF_VEC_HPKE_AAD_LEN, ct,
					      sizeof(ct)));
	/* and it opens for a recipient who expects the forger: the key
	 * decides, nothing else */
	ASSERT_EQ(0, kf_hpke_open_auth(pt, kf_vec_hpke_auth_sk_r, enc,
				       forger_pub, kf_vec_hpke_info,
				       KF_VEC_HPKE_INFO_LEN, kf_vec_hpke_aad,
				       KF_VEC_HPKE_AAD_LEN, ct, sizeof(ct)));
	/* the published ciphertext, expected from another sender */
	ASSERT_EQ(-EBADMSG, open_auth_vec(forger_pub, kf_vec_hpke_auth_ct,
					  KF_VEC_HPKE_AUTH_CT_LEN));
	/* and as mode_base: the modes do not mix */
	ASSERT_EQ(-EBADMSG, kf_hpke_open(pt, kf_vec_hpke_auth_sk_r,
					 kf_vec_hpke_auth_enc,
					 kf_vec_hpke_info,
					 KF_VEC_HPKE_INFO_LEN, kf_vec_hpke_aad,
					 KF_VEC_HPKE_AAD_LEN,
					 kf_vec_hpke_auth_ct,
					 KF_VEC_HPKE_AUTH_CT_LEN));
	kf_wipe(forger, sizeof(forger));
}

TEST(auth_every_bit_flip_refused)
{
	uint8_t ct[KF_VEC_HPKE_AUTH_CT_LEN], pks[32];
	size_t i;

	memcpy(ct, kf_vec_hpke_auth_ct, sizeof(ct));
	memcpy(pks, kf_vec_hpke_auth_pk_s, sizeof(pks));
	for (i = 0; i < 8 * sizeof(ct); i++) {
		ct[i / 8] ^= 1 << (i % 8);
		ASSERT_EQ(-EBADMSG, open_auth_vec(pks, ct, sizeof(ct)));
		ct[i / 8] ^= 1 << (i % 8);
	}
	for (i = 0; i < 8 * sizeof(pks); i++) {
		pks[i / 8] ^= 1 << (i % 8);
		ASSERT_EQ(-EBADMSG, open_auth_vec(pks, ct, sizeof(ct)));
		pks[i / 8] ^= 1 << (i % 8);
	}
	ASSERT_EQ(0, open_auth_vec(pks, ct, sizeof(ct)));
}

TEST(auth_low_order_refused)
{
	struct kf_hpke_context ctx;
	uint8_t enc[32], ct[20], pt[4] = { 1, 2, 3, 4 };
	size_t i;

	for (i = 0; i < TEST_N_LOW_ORDER; i++) {
		/* a recipient refuses a sender key or an enc of small order */
		ASSERT_EQ(-EBADMSG, open_auth_vec(test_low_order[i],
						  kf_vec_hpke_auth_ct,
						  KF_VEC_HPKE_AUTH_CT_LEN));
		ASSERT_EQ(-EBADMSG, kf_hpke_setup_auth_r(&ctx,
					kf_vec_hpke_auth_sk_r,
					test_low_order[i],
					kf_vec_hpke_auth_pk_s, NULL, 0));
		/* a sender refuses a recipient key of small order */
		ASSERT_EQ(-EINVAL, kf_hpke_seal_auth(enc, ct,
						     test_low_order[i], NULL,
						     kf_vec_hpke_auth_sk_s,
						     NULL, 0, NULL, 0, pt,
						     sizeof(pt)));
	}
}

TEST(auth_bad_arguments)
{
	struct kf_hpke_context ctx;
	uint8_t enc[32];

	ASSERT_EQ(-EINVAL, kf_hpke_setup_auth_s(&ctx, enc,
						kf_vec_hpke_auth_pk_r, NULL,
						NULL, NULL, 0));
	ASSERT_EQ(-EINVAL, kf_hpke_setup_auth_r(&ctx, kf_vec_hpke_auth_sk_r,
						kf_vec_hpke_auth_enc, NULL,
						NULL, 0));
	ASSERT_EQ(-EINVAL, kf_hpke_setup_auth_r(&ctx, kf_vec_hpke_auth_sk_r,
						kf_vec_hpke_auth_enc,
						kf_vec_hpke_auth_pk_s, NULL,
						2));
}

TEST_HARNESS_MAIN
