// SPDX-License-Identifier: GPL-2.0
/*
 * Known-answer tests, run at load in a debug build (KEYFERRY_DEBUG):
 *   - RFC 9180 appendix A.2.1 (HPKE mode_base) and A.2.3 (mode_auth, what
 *     items use): seal with the vector's fixed ephemeral (and sender key)
 *     must give its enc and ct; open must give its pt; a flipped bit, or in
 *     mode_auth another sender's public key, must not open;
 *   - the cacophony Noise_IK_25519_ChaChaPoly_SHA256 vector for the
 *     initiator (message 1 from the fixed ephemeral, message 2 read,
 *     handshake hash);
 *   - keyferry's own sealed items, version 2, made by libkeyferry: the
 *     header parser reads the alg, kids and version, the policy parser the
 *     policy, item.c's info is the vector's, and the alg 1 item (HPKE
 *     mode_auth from the vector's Ko) and the alg 2 item (under its Kw) open
 *     to their keys.
 * The vectors are shared with the userspace unit tests.  A failure fails
 * the load.  Runs before netlink is registered, so nothing else runs.
 */
#include <crypto/kpp.h>
#include <crypto/algapi.h>
#include "keyferry.h"
#include "../vectors/keyferry_vectors.h"

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
			   NULL, NULL, &info, 1, kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
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
		ret = kf_hpke_open(c, pt, skr, pkr, NULL, kf_vec_hpke_enc, &info, 1,
				   kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
				   kf_vec_hpke_ct, KF_VEC_HPKE_CT_LEN);
	if (!ret)
		ret = kf_check("HPKE pt", pt, kf_vec_hpke_pt, sizeof(pt));
	/* and a flipped bit of the ciphertext must not open */
	if (!ret) {
		u8 bad[KF_VEC_HPKE_CT_LEN];

		memcpy(bad, kf_vec_hpke_ct, sizeof(bad));
		bad[0] ^= 1;
		if (kf_hpke_open(c, pt, skr, pkr, NULL, kf_vec_hpke_enc, &info, 1,
				 kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN, bad,
				 sizeof(bad)) != -EBADMSG) {
			pr_err(KF_LOG_PREFIX "self-test: HPKE opened a forgery\n");
			ret = -EBADMSG;
		}
	}
	kf_x25519_free(skr);
	return ret;
}

/* A.2.3: seal with skE and skS gives enc and ct; open with pkS gives pt. */
static int kf_selftest_hpke_auth(struct kf_crypto *c)
{
	struct kf_buf info = { kf_vec_hpke_info, KF_VEC_HPKE_INFO_LEN };
	u8 enc[KEYFERRY_KEY_SIZE], pks[KEYFERRY_KEY_SIZE];
	u8 ct[KF_VEC_HPKE_AUTH_CT_LEN], pt[KF_VEC_HPKE_PT_LEN];
	struct crypto_kpp *skr, *sks;
	int ret;

	BUILD_BUG_ON(sizeof(kf_vec_hpke_auth_ct) != sizeof(kf_vec_hpke_pt) + KF_TAG_SIZE);
	sks = kf_x25519_new(kf_vec_hpke_auth_sk_s);
	if (IS_ERR(sks))
		return PTR_ERR(sks);
	ret = kf_x25519_public(sks, pks);
	if (!ret)
		ret = kf_check("HPKE auth pkS", pks, kf_vec_hpke_auth_pk_s, sizeof(pks));
	if (!ret)
		ret = kf_hpke_seal(c, enc, ct, kf_vec_hpke_auth_pk_r,
				   kf_vec_hpke_auth_sk_e, sks, pks, &info, 1,
				   kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
				   kf_vec_hpke_pt, KF_VEC_HPKE_PT_LEN);
	kf_x25519_free(sks);
	if (!ret)
		ret = kf_check("HPKE auth enc", enc, kf_vec_hpke_auth_enc, sizeof(enc));
	if (!ret)
		ret = kf_check("HPKE auth ct", ct, kf_vec_hpke_auth_ct, sizeof(ct));
	if (ret)
		return ret;

	skr = kf_x25519_new(kf_vec_hpke_auth_sk_r);
	if (IS_ERR(skr))
		return PTR_ERR(skr);
	ret = kf_hpke_open(c, pt, skr, kf_vec_hpke_auth_pk_r, kf_vec_hpke_auth_pk_s,
			   kf_vec_hpke_auth_enc, &info, 1, kf_vec_hpke_aad,
			   KF_VEC_HPKE_AAD_LEN, kf_vec_hpke_auth_ct,
			   KF_VEC_HPKE_AUTH_CT_LEN);
	if (!ret)
		ret = kf_check("HPKE auth pt", pt, kf_vec_hpke_pt, sizeof(pt));
	/* another sender's key (here pkE) must not authenticate */
	if (!ret && kf_hpke_open(c, pt, skr, kf_vec_hpke_auth_pk_r,
				 kf_vec_hpke_auth_pk_e, kf_vec_hpke_auth_enc,
				 &info, 1, kf_vec_hpke_aad, KF_VEC_HPKE_AAD_LEN,
				 kf_vec_hpke_auth_ct,
				 KF_VEC_HPKE_AUTH_CT_LEN) != -EBADMSG) {
		pr_err(KF_LOG_PREFIX "self-test: HPKE auth opened with another sender's key\n");
		ret = -EBADMSG;
	}
	kf_x25519_free(skr);
	return ret;
}

/* Header and policy of a vector item; info built as item.c builds it. */
static int kf_selftest_item(const u8 *blob, size_t len,
			    const u8 *policy, size_t policy_len, const char *item,
			    u64 version, u8 alg, const u8 *want_info,
			    size_t want_info_len, struct kf_sealed *s,
			    struct kf_policy *pol, u8 *info, size_t *info_len)
{
	int ret;

	ret = kf_sealed_parse(blob, len, s);
	if (ret || s->alg != alg || s->version != version) {
		pr_err(KF_LOG_PREFIX "self-test: sealed item %s: header misread\n", item);
		return -EBADMSG;
	}
	ret = kf_policy_parse(policy, policy_len, pol);
	if (ret) {
		pr_err(KF_LOG_PREFIX "self-test: sealed item %s: policy refused\n", item);
		return ret;
	}
	*info_len = kf_item_info(info, KF_VEC_SEALED_REGION, item, version);
	if (!want_info)		/* the vector does not list it */
		return 0;
	if (*info_len != want_info_len) {
		pr_err(KF_LOG_PREFIX "self-test: sealed item %s: info length differs\n", item);
		return -EBADMSG;
	}
	return kf_check("sealed item info", info, want_info, want_info_len);
}

/* keyferry's sealed items, version 2: alg 1 (mode_auth) and alg 2. */
static int kf_selftest_sealed(struct kf_crypto *c)
{
	u8 kid[KF_KID_SIZE], key1[KF_VEC_SEALED1_KEY_LEN], key2[KF_VEC_SEALED2_KEY_LEN];
	struct kf_buf info_buf;
	struct crypto_kpp *skr;
	struct kf_policy pol;
	struct kf_sealed s;
	size_t info_len;
	u8 *info;
	int ret;

	info = kf_zalloc(KF_ITEM_INFO_MAX);
	if (!info)
		return -ENOMEM;
	ret = kf_selftest_item(kf_vec_sealed1, KF_VEC_SEALED1_LEN,
			       kf_vec_sealed1_policy, KF_VEC_SEALED1_POLICY_LEN,
			       KF_VEC_SEALED1_ITEM, KF_VEC_SEALED1_VERSION,
			       KF_SEAL_HPKE, kf_vec_sealed1_info,
			       KF_VEC_SEALED1_INFO_LEN, &s, &pol, info, &info_len);
	if (!ret && (pol.lease != 86400 || pol.grace != 3600 || pol.key_size != 32)) {
		pr_err(KF_LOG_PREFIX "self-test: sealed item 1 policy misread\n");
		ret = -EBADMSG;
	}
	kf_kid(c, kf_vec_hpke_auth_pk_r, kid);
	if (!ret)
		ret = kf_check("sealed item 1 recipient kid", s.kid, kid, KF_KID_SIZE);
	kf_kid(c, kf_vec_hpke_auth_pk_s, kid);
	if (!ret)
		ret = kf_check("sealed item 1 owner kid", s.owner_kid, kid, KF_KID_SIZE);
	if (ret)
		goto out;
	skr = kf_x25519_new(kf_vec_hpke_auth_sk_r);
	if (IS_ERR(skr)) {
		ret = PTR_ERR(skr);
		goto out;
	}
	info_buf = (struct kf_buf){ info, info_len };
	ret = kf_hpke_open(c, key1, skr, kf_vec_hpke_auth_pk_r, kf_vec_hpke_auth_pk_s,
			   s.enc, &info_buf, 1, kf_vec_sealed1_policy,
			   KF_VEC_SEALED1_POLICY_LEN, s.ct, s.ct_len);
	kf_x25519_free(skr);
	if (!ret)
		ret = kf_check("sealed item 1 key", key1, kf_vec_sealed1_key, sizeof(key1));
	if (ret)
		goto out;

	ret = kf_selftest_item(kf_vec_sealed2, KF_VEC_SEALED2_LEN,
			       kf_vec_sealed2_policy, KF_VEC_SEALED2_POLICY_LEN,
			       KF_VEC_SEALED2_ITEM, KF_VEC_SEALED2_VERSION,
			       KF_SEAL_WRAP, NULL, 0, &s, &pol, info, &info_len);
	if (!ret && strcmp(pol.unwrap_key, "group-kw")) {
		pr_err(KF_LOG_PREFIX "self-test: sealed item 2 UNWRAP_KEY misread\n");
		ret = -EBADMSG;
	}
	if (!ret)
		ret = kf_wrap_open(c, key2, kf_vec_sealed2_kw, &s, info, info_len,
				   kf_vec_sealed2_policy, KF_VEC_SEALED2_POLICY_LEN);
	if (!ret)
		ret = kf_check("sealed item 2 key", key2, kf_vec_sealed2_key, sizeof(key2));
out:
	kf_free(info);
	if (ret)
		pr_err(KF_LOG_PREFIX "self-test: keyferry sealed item v2 vector failed: %d\n", ret);
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
		ret = kf_selftest_hpke_auth(&c);
		if (ret)
			pr_err(KF_LOG_PREFIX "self-test: HPKE RFC 9180 A.2.3 failed: %d\n",
			       ret);
	}
	if (!ret)
		ret = kf_selftest_sealed(&c);
	if (!ret) {
		ret = kf_selftest_noise(&c);
		if (ret)
			pr_err(KF_LOG_PREFIX "self-test: Noise IK vector failed: %d\n",
			       ret);
	}
	kf_crypto_free(&c);
	if (!ret)
		pr_info(KF_LOG_PREFIX "self-test: HPKE (A.2.1, A.2.3), Noise IK and sealed item v2 vectors pass\n");
	return ret;
}
