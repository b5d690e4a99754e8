// SPDX-License-Identifier: GPL-2.0
/*
 * Known-answer tests, run at load in a debug build (KEYFERRY_DEBUG): the
 * RFC 9180 appendix A.2.1 vector for HPKE (seal with the vector's fixed
 * ephemeral must give its enc and ct; open must give its pt) and the
 * cacophony Noise_IK_25519_ChaChaPoly_SHA256 vector for the initiator
 * (message 1 from the fixed ephemeral, message 2 read, handshake hash).
 * The vectors are shared with the userspace unit tests.  A failure fails
 * the load.  Runs before netlink is registered, so nothing else runs.
 */
#include <crypto/kpp.h>
#include <crypto/algapi.h>
#include "keyferry.h"
#include "../selftests/vectors/keyferry_vectors.h"

static int kf_check(const char *what, const u8 *got, const u8 *want,
		    size_t len)
{
	if (!memcmp(got, want, len))
		return 0;
	pr_err(KF_LOG_PREFIX "self-test: %s differs from the vector\n", what);
	return -EBADMSG;
}

static int kf_selftest_hpke(struct kf_crypto *c)
{
	struct kf_buf info = { kf_vec_hpke_info, KF_VEC_HPKE_INFO_LEN };
	u8 enc[KEYFERRY_KEY_SIZE], pkr[KEYFERRY_KEY_SIZE];
	u8 ct[KF_VEC_HPKE_CT_LEN], pt[KF_VEC_HPKE_PT_LEN];
	struct crypto_kpp *skr;
	int ret;

	BUILD_BUG_ON(sizeof(kf_vec_hpke_ct) != sizeof(kf_vec_hpke_pt) + KF_TAG_SIZE);
	ret = kf_hpke_seal(c, enc, ct, kf_vec_hpke_pk_r, kf_vec_hpke_sk_e,
			   &info, 1, kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
			   kf_vec_hpke_pt, KF_VEC_HPKE_PT_LEN);
	if (ret)
		return ret;
	ret = kf_check("HPKE enc", enc, kf_vec_hpke_enc, sizeof(enc));
	if (!ret)
		ret = kf_check("HPKE ct", ct, kf_vec_hpke_ct, sizeof(ct));
	if (ret)
		return ret;

	skr = kf_x25519_new(kf_vec_hpke_sk_r);
	if (IS_ERR(skr))
		return PTR_ERR(skr);
	ret = kf_x25519_public(skr, pkr);
	if (!ret)
		ret = kf_check("HPKE pkR", pkr, kf_vec_hpke_pk_r, sizeof(pkr));
	if (!ret)
		ret = kf_hpke_open(c, pt, skr, pkr, kf_vec_hpke_enc, &info, 1,
				   kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
				   kf_vec_hpke_ct, KF_VEC_HPKE_CT_LEN);
	if (!ret)
		ret = kf_check("HPKE pt", pt, kf_vec_hpke_pt, sizeof(pt));
	/* and a flipped bit of the ciphertext must not open */
	if (!ret) {
		u8 bad[KF_VEC_HPKE_CT_LEN];

		memcpy(bad, kf_vec_hpke_ct, sizeof(bad));
		bad[0] ^= 1;
		if (kf_hpke_open(c, pt, skr, pkr, kf_vec_hpke_enc, &info, 1,
				 kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN, bad,
				 sizeof(bad)) != -EBADMSG) {
			pr_err(KF_LOG_PREFIX "self-test: HPKE opened a forgery\n");
			ret = -EBADMSG;
		}
	}
	kf_x25519_free(skr);
	return ret;
}

static int kf_selftest_noise(struct kf_crypto *c)
{
	u8 m1[KF_VEC_NOISE_IK_CIPHERTEXT1_LEN], p2[KF_VEC_NOISE_IK_PAYLOAD2_LEN];
	u8 s_pub[KEYFERRY_KEY_SIZE];
	struct kf_noise st = { };
	struct crypto_kpp *s;
	int ret;

	BUILD_BUG_ON(KF_NOISE_MSG1_LEN(KF_VEC_NOISE_IK_PAYLOAD1_LEN) !=
		     KF_VEC_NOISE_IK_CIPHERTEXT1_LEN);
	BUILD_BUG_ON(KF_VEC_NOISE_IK_CIPHERTEXT2_LEN !=
		     KEYFERRY_KEY_SIZE + KF_VEC_NOISE_IK_PAYLOAD2_LEN + KF_TAG_SIZE);
	s = kf_x25519_new(kf_vec_noise_ik_init_static);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = kf_x25519_public(s, s_pub);
	if (ret)
		goto out;
	ret = kf_noise_write1(c, &st, kf_vec_noise_ik_prologue,
			      KF_VEC_NOISE_IK_PROLOGUE_LEN, s, s_pub,
			      kf_vec_noise_ik_init_remote_static,
			      kf_vec_noise_ik_init_ephemeral,
			      kf_vec_noise_ik_payload1,
			      KF_VEC_NOISE_IK_PAYLOAD1_LEN, m1);
	if (ret)
		goto out;
	ret = kf_check("Noise message 1", m1, kf_vec_noise_ik_ciphertext1,
		       sizeof(m1));
	if (ret)
		goto out;
	ret = kf_noise_read2(c, &st, s, kf_vec_noise_ik_ciphertext2,
			     KF_VEC_NOISE_IK_CIPHERTEXT2_LEN, p2);
	if (ret)
		goto out;
	ret = kf_check("Noise message 2 payload", p2, kf_vec_noise_ik_payload2,
		       sizeof(p2));
#ifdef KF_VEC_NOISE_IK_HANDSHAKE_HASH_LEN
	if (!ret)
		ret = kf_check("Noise handshake hash", st.h,
			       kf_vec_noise_ik_handshake_hash, KF_HASH_SIZE);
#endif
out:
	kf_noise_wipe(&st);
	kf_x25519_free(s);
	return ret;
}

int kf_selftest(void)
{
	struct kf_crypto c;
	int ret;

	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	ret = kf_selftest_hpke(&c);
	if (ret)
		pr_err(KF_LOG_PREFIX "self-test: HPKE RFC 9180 A.2.1 failed: %d\n",
		       ret);
	if (!ret) {
		ret = kf_selftest_noise(&c);
		if (ret)
			pr_err(KF_LOG_PREFIX "self-test: Noise IK vector failed: %d\n",
			       ret);
	}
	kf_crypto_free(&c);
	if (!ret)
		pr_info(KF_LOG_PREFIX "self-test: HPKE and Noise IK vectors pass\n");
	return ret;
}
