// SPDX-License-Identifier: MIT
/*
 * Sealed items, KFS1 (userspace/lib/seal.c, docs/protocol.md section 4):
 * both algorithms round trip, and every change to the blob, the policy or
 * the names is refused.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"
#include "test_util.h"

#define REGION	"eu-west/prod"
#define ITEM	"db/main-password"

FIXTURE(seal)
{
	uint8_t kec[32], kec_pub[32], kw[32];
	uint8_t policy[KF_POLICY_MAX];
	size_t policy_len;
	uint8_t key[48];
	uint8_t blob1[KF_SEALED_HEADER + 48 + KF_TAG_SIZE];	/* alg 1 */
	uint8_t blob2[KF_SEALED_HEADER + 48 + KF_TAG_SIZE];	/* alg 2 */
	size_t len1, len2;
};

FIXTURE_SETUP(seal)
{
	struct kf_policy p;

	memset(&p, 0, sizeof(p));
	p.key_type = KF_KEY_USER;
	strcpy(p.description, "db-password");
	p.key_size = sizeof(self->key);
	ASSERT_EQ(0, kf_policy_encode(&p, self->policy, sizeof(self->policy),
				      &self->policy_len));
	ASSERT_EQ(0, kf_x25519_keygen(self->kec, self->kec_pub));
	ASSERT_EQ(0, kf_random(self->kw, sizeof(self->kw)));
	ASSERT_EQ(0, kf_random(self->key, sizeof(self->key)));
	ASSERT_EQ(0, kf_seal_to_kec(self->blob1, sizeof(self->blob1),
				    &self->len1, self->kec_pub, REGION, ITEM,
				    self->policy, self->policy_len, self->key,
				    sizeof(self->key)));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(self->blob2, sizeof(self->blob2),
					   &self->len2, self->kw, REGION, ITEM,
					   self->policy, self->policy_len,
					   self->key, sizeof(self->key)));
}

FIXTURE_TEARDOWN(seal)
{
	kf_wipe(self->kec, 32);
	kf_wipe(self->kw, 32);
}

static int unseal(const uint8_t *kec, const uint8_t *kw, const char *region,
		  const char *item, const uint8_t *policy, size_t policy_len,
		  const uint8_t *blob, size_t len, uint8_t *out,
		  size_t *out_len)
{
	uint8_t key[KF_ITEM_KEY_MAX];
	size_t n = 0;
	int ret;

	ret = kf_unseal(key, sizeof(key), &n, kec, kw, region, item, policy,
			policy_len, blob, len);
	if (!ret && out) {
		memcpy(out, key, n);
		*out_len = n;
	}
	kf_wipe(key, sizeof(key));
	return ret;
}

TEST_F(seal, layout)
{
	static const uint8_t zero[8];
	uint8_t kid[8];

	kf_kid(self->kec_pub, kid);
	ASSERT_EQ(KF_SEALED_HEADER + sizeof(self->key) + KF_TAG_SIZE,
		  self->len1);
	ASSERT_EQ(0, memcmp(self->blob1, "KFS1\x01\0\0\0", 8));
	ASSERT_MEM(kid, self->blob1 + 8, 8);
	ASSERT_EQ(self->len1, self->len2);
	ASSERT_EQ(0, memcmp(self->blob2, "KFS1\x02\0\0\0", 8));
	ASSERT_MEM(zero, self->blob2 + 8, 8);
	/* the key itself appears nowhere */
	ASSERT_EQ(NULL, memmem(self->blob1, self->len1, self->key, 8));
	ASSERT_EQ(NULL, memmem(self->blob2, self->len2, self->key, 8));
}

TEST_F(seal, round_trip)
{
	uint8_t out[KF_ITEM_KEY_MAX];
	size_t n;

	ASSERT_EQ(0, unseal(self->kec, NULL, REGION, ITEM, self->policy,
			    self->policy_len, self->blob1, self->len1, out,
			    &n));
	ASSERT_EQ(sizeof(self->key), n);
	ASSERT_MEM(self->key, out, n);
	ASSERT_EQ(0, unseal(NULL, self->kw, REGION, ITEM, self->policy,
			    self->policy_len, self->blob2, self->len2, out,
			    &n));
	ASSERT_EQ(sizeof(self->key), n);
	ASSERT_MEM(self->key, out, n);
}

/*
 * alg 2 by hand, from the spec's formulas with OpenSSL directly: prk =
 * HKDF-Extract(salt, Kw), k = HKDF-Expand(prk, "keyferry/1 wrap" 0 info,
 * 32), ChaCha20-Poly1305(k, zero nonce, policy, key).
 */
TEST_F(seal, wrap_matches_spec)
{
	static const char info[] = "keyferry/1 wrap\0keyferry/1 item\0"
				   REGION "\0" ITEM;
	static const uint8_t nonce[12];
	uint8_t prk[32], k[32], ct[sizeof(self->key) + 16];

	ASSERT_EQ(0, kf_hkdf_extract(prk, self->blob2 + 16, 32, self->kw, 32));
	ASSERT_EQ(0, kf_hkdf_expand(k, 32, prk, (const uint8_t *)info,
				    sizeof(info) - 1));
	ASSERT_EQ(0, kf_aead_seal(ct, k, nonce, self->policy,
				  self->policy_len, self->key,
				  sizeof(self->key)));
	ASSERT_MEM(ct, self->blob2 + 48, sizeof(ct));
}

/* alg 1 opened by plain HPKE with the spec's info and aad. */
TEST_F(seal, hpke_matches_spec)
{
	static const char info[] = "keyferry/1 item\0" REGION "\0" ITEM;
	uint8_t out[sizeof(self->key)];

	ASSERT_EQ(0, kf_hpke_open(out, self->kec, self->blob1 + 16,
				  (const uint8_t *)info, sizeof(info) - 1,
				  self->policy, self->policy_len,
				  self->blob1 + 48, self->len1 - 48));
	ASSERT_MEM(self->key, out, sizeof(out));
}

TEST_F(seal, every_bit_flip_of_blob_refused)
{
	size_t i, byte;
	int want;

	for (i = 0; i < 8 * self->len1; i++) {
		byte = i / 8;
		want = byte < 8 ? -EPROTO : byte < 16 ? -EKEYREJECTED :
		       -EBADMSG;
		self->blob1[byte] ^= 1 << (i % 8);
		ASSERT_EQ(want, unseal(self->kec, NULL, REGION, ITEM,
				       self->policy, self->policy_len,
				       self->blob1, self->len1, NULL, NULL));
		self->blob1[byte] ^= 1 << (i % 8);
	}
	for (i = 0; i < 8 * self->len2; i++) {
		byte = i / 8;
		/* a non-zero kid is malformed for alg 2 */
		want = byte < 16 ? -EPROTO : -EBADMSG;
		self->blob2[byte] ^= 1 << (i % 8);
		ASSERT_EQ(want, unseal(NULL, self->kw, REGION, ITEM,
				       self->policy, self->policy_len,
				       self->blob2, self->len2, NULL, NULL));
		self->blob2[byte] ^= 1 << (i % 8);
	}
}

TEST_F(seal, every_bit_flip_of_policy_refused)
{
	size_t i;

	for (i = 0; i < 8 * self->policy_len; i++) {
		self->policy[i / 8] ^= 1 << (i % 8);
		ASSERT_EQ(-EBADMSG, unseal(self->kec, NULL, REGION, ITEM,
					   self->policy, self->policy_len,
					   self->blob1, self->len1, NULL,
					   NULL));
		ASSERT_EQ(-EBADMSG, unseal(NULL, self->kw, REGION, ITEM,
					   self->policy, self->policy_len,
					   self->blob2, self->len2, NULL,
					   NULL));
		self->policy[i / 8] ^= 1 << (i % 8);
	}
	/* a shorter or longer policy too */
	ASSERT_EQ(-EBADMSG, unseal(self->kec, NULL, REGION, ITEM,
				   self->policy, self->policy_len - 1,
				   self->blob1, self->len1, NULL, NULL));
	ASSERT_EQ(-EBADMSG, unseal(NULL, self->kw, REGION, ITEM, self->policy,
				   self->policy_len + 1, self->blob2,
				   self->len2, NULL, NULL));
}

TEST_F(seal, other_names_refused)
{
	static const char *const names[][2] = {
		{ REGION, "db/main-passwore" },
		{ "eu-west/prod2", ITEM },
		{ ITEM, REGION },		/* swapped */
		{ "eu-west", "prod/" ITEM },	/* same bytes, moved separator */
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ASSERT_EQ(-EBADMSG, unseal(self->kec, NULL, names[i][0],
					   names[i][1], self->policy,
					   self->policy_len, self->blob1,
					   self->len1, NULL, NULL));
		ASSERT_EQ(-EBADMSG, unseal(NULL, self->kw, names[i][0],
					   names[i][1], self->policy,
					   self->policy_len, self->blob2,
					   self->len2, NULL, NULL));
	}
	ASSERT_EQ(-EINVAL, unseal(self->kec, NULL, "bad name", ITEM,
				  self->policy, self->policy_len, self->blob1,
				  self->len1, NULL, NULL));
	ASSERT_EQ(-EINVAL, unseal(self->kec, NULL, REGION, "", self->policy,
				  self->policy_len, self->blob1, self->len1,
				  NULL, NULL));
}

TEST_F(seal, truncated_or_extended_refused)
{
	uint8_t longer[sizeof(self->blob1) + 1];
	size_t n;

	for (n = 0; n < self->len1; n++) {
		ASSERT_EQ(n < KF_SEALED_MIN ? -EPROTO : -EBADMSG,
			  unseal(self->kec, NULL, REGION, ITEM, self->policy,
				 self->policy_len, self->blob1, n, NULL, NULL));
		ASSERT_EQ(n < KF_SEALED_MIN ? -EPROTO : -EBADMSG,
			  unseal(NULL, self->kw, REGION, ITEM, self->policy,
				 self->policy_len, self->blob2, n, NULL, NULL));
	}
	memcpy(longer, self->blob1, self->len1);
	longer[self->len1] = 0;
	ASSERT_EQ(-EBADMSG, unseal(self->kec, NULL, REGION, ITEM, self->policy,
				   self->policy_len, longer, self->len1 + 1,
				   NULL, NULL));
}

TEST_F(seal, wrong_keys_refused)
{
	uint8_t other[32], other_pub[32], kid[8];

	ASSERT_EQ(0, kf_x25519_keygen(other, other_pub));
	/* sealed to another Kec: its kid says so */
	ASSERT_EQ(-EKEYREJECTED, unseal(other, NULL, REGION, ITEM,
					self->policy, self->policy_len,
					self->blob1, self->len1, NULL, NULL));
	/* and a forged kid does not help */
	kf_kid(other_pub, kid);
	memcpy(self->blob1 + 8, kid, 8);
	ASSERT_EQ(-EBADMSG, unseal(other, NULL, REGION, ITEM, self->policy,
				   self->policy_len, self->blob1, self->len1,
				   NULL, NULL));
	/* another unwrapping key */
	ASSERT_EQ(-EBADMSG, unseal(NULL, other, REGION, ITEM, self->policy,
				   self->policy_len, self->blob2, self->len2,
				   NULL, NULL));
	/* the other kind of key than the blob's algorithm */
	ASSERT_EQ(-ENOKEY, unseal(NULL, self->kw, REGION, ITEM, self->policy,
				  self->policy_len, self->blob1, self->len1,
				  NULL, NULL));
	ASSERT_EQ(-ENOKEY, unseal(self->kec, NULL, REGION, ITEM, self->policy,
				  self->policy_len, self->blob2, self->len2,
				  NULL, NULL));
	/* exactly one key */
	ASSERT_EQ(-EINVAL, unseal(NULL, NULL, REGION, ITEM, self->policy,
				  self->policy_len, self->blob1, self->len1,
				  NULL, NULL));
	ASSERT_EQ(-EINVAL, unseal(self->kec, self->kw, REGION, ITEM,
				  self->policy, self->policy_len, self->blob1,
				  self->len1, NULL, NULL));
	kf_wipe(other, 32);
}

TEST_F(seal, low_order_enc_refused)
{
	size_t i;

	for (i = 0; i < TEST_N_LOW_ORDER; i++) {
		memcpy(self->blob1 + 16, test_low_order[i], 32);
		ASSERT_EQ(-EBADMSG, unseal(self->kec, NULL, REGION, ITEM,
					   self->policy, self->policy_len,
					   self->blob1, self->len1, NULL,
					   NULL));
	}
}

TEST_F(seal, reserved_and_alg_checked)
{
	static const uint8_t algs[] = { 0, 3, 0xff };
	size_t i;

	for (i = 5; i < 8; i++) {
		self->blob1[i] = 1;
		ASSERT_EQ(-EPROTO, unseal(self->kec, NULL, REGION, ITEM,
					  self->policy, self->policy_len,
					  self->blob1, self->len1, NULL,
					  NULL));
		self->blob1[i] = 0;
	}
	for (i = 0; i < sizeof(algs); i++) {
		self->blob1[4] = algs[i];
		ASSERT_EQ(-EPROTO, unseal(self->kec, NULL, REGION, ITEM,
					  self->policy, self->policy_len,
					  self->blob1, self->len1, NULL,
					  NULL));
	}
}

TEST_F(seal, output_capacity)
{
	uint8_t out[sizeof(self->key)], blob[sizeof(self->blob1)];
	size_t n;

	ASSERT_EQ(-EMSGSIZE, kf_unseal(out, sizeof(out) - 1, &n, self->kec,
				       NULL, REGION, ITEM, self->policy,
				       self->policy_len, self->blob1,
				       self->len1));
	ASSERT_EQ(-EMSGSIZE, kf_seal_to_kec(blob, sizeof(blob) - 1, &n,
					    self->kec_pub, REGION, ITEM,
					    self->policy, self->policy_len,
					    self->key, sizeof(self->key)));
	ASSERT_EQ(-EMSGSIZE, kf_seal_to_unwrap_key(blob, sizeof(blob) - 1, &n,
						   self->kw, REGION, ITEM,
						   self->policy,
						   self->policy_len, self->key,
						   sizeof(self->key)));
}

TEST(fresh_every_time)
{
	uint8_t kec[32], pub[32], kw[32] = { 7 }, key[16] = { 1 };
	uint8_t a[80], b[80];
	size_t la, lb;

	ASSERT_EQ(0, kf_x25519_keygen(kec, pub));
	ASSERT_EQ(0, kf_seal_to_kec(a, sizeof(a), &la, pub, "r", "i",
				    (const uint8_t *)"p", 1, key, 16));
	ASSERT_EQ(0, kf_seal_to_kec(b, sizeof(b), &lb, pub, "r", "i",
				    (const uint8_t *)"p", 1, key, 16));
	ASSERT_NE(0, memcmp(a + 16, b + 16, 32));	/* enc */
	ASSERT_NE(0, memcmp(a + 48, b + 48, 32));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(a, sizeof(a), &la, kw, "r", "i",
					   (const uint8_t *)"p", 1, key, 16));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(b, sizeof(b), &lb, kw, "r", "i",
					   (const uint8_t *)"p", 1, key, 16));
	ASSERT_NE(0, memcmp(a + 16, b + 16, 32));	/* salt */
	ASSERT_NE(0, memcmp(a + 48, b + 48, 32));
	kf_wipe(kec, 32);
}

TEST(sizes)
{
	static uint8_t key[KF_ITEM_KEY_MAX + 1], blob[KF_SEALED_MAX + 1];
	static uint8_t out[KF_ITEM_KEY_MAX];
	uint8_t kec[32], pub[32], kw[32] = { 9 };
	size_t n, m;

	ASSERT_EQ(0, kf_x25519_keygen(kec, pub));
	ASSERT_EQ(0, kf_random(key, sizeof(key)));
	ASSERT_EQ(0, kf_seal_to_kec(blob, sizeof(blob), &n, pub, "r", "i",
				    NULL, 0, key, KF_ITEM_KEY_MAX));
	ASSERT_EQ((size_t)KF_SEALED_MAX, n);
	ASSERT_EQ(0, kf_unseal(out, sizeof(out), &m, kec, NULL, "r", "i",
			       NULL, 0, blob, n));
	ASSERT_EQ((size_t)KF_ITEM_KEY_MAX, m);
	ASSERT_MEM(key, out, m);
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n, pub, "r",
					  "i", NULL, 0, key,
					  KF_ITEM_KEY_MAX + 1));
	ASSERT_EQ(-EINVAL, kf_seal_to_unwrap_key(blob, sizeof(blob), &n, kw,
						 "r", "i", NULL, 0, key,
						 KF_ITEM_KEY_MAX + 1));
	/* an oversized blob is malformed before anything is tried */
	ASSERT_EQ(-EPROTO, kf_unseal(out, sizeof(out), &m, kec, NULL, "r",
				     "i", NULL, 0, blob, KF_SEALED_MAX + 1));
	/* names must be names */
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n, pub, "r r",
					  "i", NULL, 0, key, 16));
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n, pub, "r",
					  NULL, NULL, 0, key, 16));
	kf_wipe(kec, 32);
}

TEST(low_order_recipient_refused)
{
	uint8_t blob[80], key[16] = { 0 };
	size_t i, n;

	for (i = 0; i < TEST_N_LOW_ORDER; i++)
		ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n,
						  test_low_order[i], "r", "i",
						  NULL, 0, key, 16));
}

/* Unwrapping keys nest: a group key sealed to Kec opens a data key. */
TEST(nested_unwrap_keys)
{
	uint8_t kec[32], pub[32], group[32], data_key[32], secret[100];
	uint8_t b1[KF_SEALED_MIN + 32], b2[KF_SEALED_MIN + 32];
	uint8_t b3[KF_SEALED_MIN + 100], out[100], kw[32], kw2[32];
	uint8_t pol1[64], pol2[64], pol3[64];
	size_t l1, l2, l3, p1, p2, p3, n;
	struct kf_policy p;

	ASSERT_EQ(0, kf_x25519_keygen(kec, pub));
	ASSERT_EQ(0, kf_random(group, 32));
	ASSERT_EQ(0, kf_random(data_key, 32));
	ASSERT_EQ(0, kf_random(secret, sizeof(secret)));
	memset(&p, 0, sizeof(p));
	p.key_type = KF_KEY_UNWRAP;
	p.key_size = 32;
	strcpy(p.description, "group");
	ASSERT_EQ(0, kf_policy_encode(&p, pol1, sizeof(pol1), &p1));
	strcpy(p.description, "data");
	strcpy(p.unwrap_key, "group");
	ASSERT_EQ(0, kf_policy_encode(&p, pol2, sizeof(pol2), &p2));
	p.key_type = KF_KEY_LOGON;
	p.key_size = sizeof(secret);
	strcpy(p.description, "secret");
	strcpy(p.unwrap_key, "data");
	ASSERT_EQ(0, kf_policy_encode(&p, pol3, sizeof(pol3), &p3));

	ASSERT_EQ(0, kf_seal_to_kec(b1, sizeof(b1), &l1, pub, "r", "group",
				    pol1, p1, group, 32));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(b2, sizeof(b2), &l2, group, "r",
					   "data", pol2, p2, data_key, 32));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(b3, sizeof(b3), &l3, data_key, "r",
					   "secret", pol3, p3, secret,
					   sizeof(secret)));

	ASSERT_EQ(0, kf_unseal(kw, sizeof(kw), &n, kec, NULL, "r", "group",
			       pol1, p1, b1, l1));
	ASSERT_EQ(0, kf_unseal(kw2, sizeof(kw2), &n, NULL, kw, "r", "data",
			       pol2, p2, b2, l2));
	ASSERT_EQ(0, kf_unseal(out, sizeof(out), &n, NULL, kw2, "r", "secret",
			       pol3, p3, b3, l3));
	ASSERT_EQ(sizeof(secret), n);
	ASSERT_MEM(secret, out, n);
	/* the group key does not open the data directly */
	ASSERT_EQ(-EBADMSG, kf_unseal(out, sizeof(out), &n, NULL, kw, "r",
				      "secret", pol3, p3, b3, l3));
	kf_wipe(kec, 32);
}

TEST_HARNESS_MAIN
