// SPDX-License-Identifier: MIT
/*
 * Sealed items, KFS2 (userspace/lib/seal.c, docs/protocol.md section 4):
 * the fixed vectors of vectors/ are reproduced and opened by the
 * specification's formulas, both algorithms round trip, and every change
 * to the blob, the policy, the names, the version or the owner is refused.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"
#include "vectors/keyferry_vectors.h"
#include "test_util.h"

#define REGION	"eu-west/prod"
#define ITEM	"db/main-password"
#define VERSION	42

FIXTURE(seal)
{
	uint8_t kec[32], kec_pub[32], ko[32], ko_pub[32], kw[32];
	uint8_t policy[KF_POLICY_MAX];
	size_t policy_len;
	struct kf_binding b;
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
	p.key_size = sizeof(self->key);
	ASSERT_EQ(0, kf_policy_encode(&p, self->policy, sizeof(self->policy),
				      &self->policy_len));
	self->b.region = REGION;
	self->b.item = ITEM;
	self->b.policy = self->policy;
	self->b.policy_len = self->policy_len;
	ASSERT_EQ(0, kf_x25519_keygen(self->kec, self->kec_pub));
	ASSERT_EQ(0, kf_x25519_keygen(self->ko, self->ko_pub));
	ASSERT_EQ(0, kf_random(self->kw, sizeof(self->kw)));
	ASSERT_EQ(0, kf_random(self->key, sizeof(self->key)));
	ASSERT_EQ(0, kf_seal_to_kec(self->blob1, sizeof(self->blob1),
				    &self->len1, self->kec_pub, self->ko, NULL,
				    &self->b, VERSION, self->key,
				    sizeof(self->key)));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(self->blob2, sizeof(self->blob2),
					   &self->len2, self->kw, NULL,
					   &self->b, VERSION, self->key,
					   sizeof(self->key)));
}

FIXTURE_TEARDOWN(seal)
{
	kf_wipe(self->kec, 32);
	kf_wipe(self->ko, 32);
	kf_wipe(self->kw, 32);
}

/* Open with the given keys and binding; the key goes to out if given. */
static int unseal(const uint8_t *kec, const uint8_t *ko_pub, const uint8_t *kw,
		  const char *region, const char *item, const uint8_t *policy,
		  size_t policy_len, const uint8_t *blob, size_t len,
		  uint8_t *out, size_t *out_len)
{
	struct kf_binding b = { region, item, policy, policy_len };
	uint8_t key[KF_ITEM_KEY_MAX];
	size_t n = 0;
	int ret;

	ret = kf_unseal(key, sizeof(key), &n, NULL, kec, ko_pub, kw, &b, blob,
			len);
	if (!ret && out) {
		memcpy(out, key, n);
		*out_len = n;
	}
	kf_wipe(key, sizeof(key));
	return ret;
}

#define OPEN1(self, blob, len) \
	unseal((self)->kec, (self)->ko_pub, NULL, REGION, ITEM, \
	       (self)->policy, (self)->policy_len, blob, len, NULL, NULL)
#define OPEN2(self, blob, len) \
	unseal(NULL, NULL, (self)->kw, REGION, ITEM, (self)->policy, \
	       (self)->policy_len, blob, len, NULL, NULL)

TEST_F(seal, layout)
{
	static const uint8_t zero[8];
	uint8_t kid[8], ver[8] = { 0, 0, 0, 0, 0, 0, 0, VERSION };

	ASSERT_EQ(KF_SEALED_HEADER + sizeof(self->key) + KF_TAG_SIZE,
		  self->len1);
	ASSERT_EQ(0, memcmp(self->blob1, "KFS2\x01\0\0\0", 8));
	kf_kid(self->kec_pub, kid);
	ASSERT_MEM(kid, self->blob1 + 8, 8);
	kf_kid(self->ko_pub, kid);
	ASSERT_MEM(kid, self->blob1 + 16, 8);
	ASSERT_MEM(ver, self->blob1 + 24, 8);
	ASSERT_EQ(self->len1, self->len2);
	ASSERT_EQ(0, memcmp(self->blob2, "KFS2\x02\0\0\0", 8));
	ASSERT_MEM(zero, self->blob2 + 8, 8);
	ASSERT_MEM(zero, self->blob2 + 16, 8);
	ASSERT_MEM(ver, self->blob2 + 24, 8);
	/* the key itself appears nowhere */
	ASSERT_EQ(NULL, memmem(self->blob1, self->len1, self->key, 8));
	ASSERT_EQ(NULL, memmem(self->blob2, self->len2, self->key, 8));
}

TEST_F(seal, header_decodes_without_any_key)
{
	struct kf_sealed_header h;
	uint8_t kid[8];

	ASSERT_EQ(0, kf_sealed_header_decode(&h, self->blob1, self->len1));
	ASSERT_EQ(KF_SEAL_HPKE, h.alg);
	ASSERT_EQ(VERSION, h.version);
	ASSERT_EQ(sizeof(self->key), h.key_len);
	kf_kid(self->kec_pub, kid);
	ASSERT_MEM(kid, h.recipient_kid, 8);
	kf_kid(self->ko_pub, kid);
	ASSERT_MEM(kid, h.owner_kid, 8);
	ASSERT_EQ(0, kf_sealed_header_decode(&h, self->blob2, self->len2));
	ASSERT_EQ(KF_SEAL_WRAP, h.alg);
	ASSERT_EQ(VERSION, h.version);
	ASSERT_TRUE(test_all_zero(h.recipient_kid, 8));
	ASSERT_TRUE(test_all_zero(h.owner_kid, 8));
}

TEST_F(seal, header_refusals)
{
	struct kf_sealed_header h;
	size_t i;

	/* magic, reserved, alg: each byte */
	for (i = 0; i < 8; i++) {
		if (i == 4)
			continue;
		self->blob1[i] ^= 0x01;
		ASSERT_EQ(-EPROTO, kf_sealed_header_decode(&h, self->blob1,
							   self->len1));
		ASSERT_EQ(0, h.version);	/* nothing half-filled */
		self->blob1[i] ^= 0x01;
	}
	/* only 1 and 2 exist, and 2 with this header's kids is malformed */
	for (i = 0; i < 256; i++) {
		self->blob1[4] = (uint8_t)i;
		ASSERT_EQ(i == 1 ? 0 : -EPROTO,
			  kf_sealed_header_decode(&h, self->blob1,
						  self->len1));
	}
	self->blob1[4] = 1;
	/* versions: 0 and from 2^63 on are malformed */
	memset(self->blob1 + 24, 0, 8);
	ASSERT_EQ(-EPROTO, kf_sealed_header_decode(&h, self->blob1,
						   self->len1));
	self->blob1[24] = 0x80;
	ASSERT_EQ(-EPROTO, kf_sealed_header_decode(&h, self->blob1,
						   self->len1));
	memset(self->blob1 + 24, 0xff, 8);
	self->blob1[24] = 0x7f;
	ASSERT_EQ(0, kf_sealed_header_decode(&h, self->blob1, self->len1));
	ASSERT_EQ(KF_VERSION_MAX, h.version);
	/* alg 2 names no key */
	self->blob2[8] = 1;
	ASSERT_EQ(-EPROTO, kf_sealed_header_decode(&h, self->blob2,
						   self->len2));
	self->blob2[8] = 0;
	self->blob2[23] = 1;
	ASSERT_EQ(-EPROTO, kf_sealed_header_decode(&h, self->blob2,
						   self->len2));
	self->blob2[23] = 0;
	/* sizes */
	ASSERT_EQ(-EPROTO, kf_sealed_header_decode(&h, self->blob2,
						   KF_SEALED_MIN - 1));
	ASSERT_EQ(0, kf_sealed_header_decode(&h, self->blob2, KF_SEALED_MIN));
	ASSERT_EQ(0, h.key_len);
	ASSERT_EQ(-EPROTO, kf_sealed_header_decode(&h, self->blob2,
						   KF_SEALED_MAX + 1));
	ASSERT_EQ(-EINVAL, kf_sealed_header_decode(&h, NULL, 100));
}

TEST_F(seal, round_trip)
{
	struct kf_binding b = self->b;
	uint8_t out[KF_ITEM_KEY_MAX];
	uint64_t version = 0;
	size_t n;

	ASSERT_EQ(0, kf_unseal(out, sizeof(out), &n, &version, self->kec,
			       self->ko_pub, NULL, &b, self->blob1,
			       self->len1));
	ASSERT_EQ(sizeof(self->key), n);
	ASSERT_MEM(self->key, out, n);
	ASSERT_EQ(VERSION, version);
	version = 0;
	ASSERT_EQ(0, kf_unseal(out, sizeof(out), &n, &version, NULL, NULL,
			       self->kw, &b, self->blob2, self->len2));
	ASSERT_EQ(sizeof(self->key), n);
	ASSERT_MEM(self->key, out, n);
	ASSERT_EQ(VERSION, version);
}

/* The info of docs/protocol.md section 4, written out by hand. */
static size_t spec_info(uint8_t *buf, const char *region, const char *item,
			uint64_t version)
{
	size_t off = 0;
	int i;

	memcpy(buf, "keyferry/2 item", 15);
	off = 15;
	buf[off++] = 0;
	memcpy(buf + off, region, strlen(region));
	off += strlen(region);
	buf[off++] = 0;
	memcpy(buf + off, item, strlen(item));
	off += strlen(item);
	buf[off++] = 0;
	for (i = 7; i >= 0; i--)
		buf[off++] = (uint8_t)(version >> (8 * i));
	return off;
}

/* alg 1 opened by plain HPKE mode_auth with the spec's info and aad. */
TEST_F(seal, hpke_matches_spec)
{
	uint8_t info[600], out[sizeof(self->key)];
	size_t n = spec_info(info, REGION, ITEM, VERSION);

	ASSERT_EQ(0, kf_hpke_open_auth(out, self->kec, self->blob1 + 32,
				       self->ko_pub, info, n, self->policy,
				       self->policy_len, self->blob1 + 64,
				       self->len1 - 64));
	ASSERT_MEM(self->key, out, sizeof(out));
}

/*
 * alg 2 by hand, from the spec's formulas: prk = HKDF-Extract(salt, Kw),
 * k = HKDF-Expand(prk, "keyferry/2 wrap" 0 info, 32),
 * ChaCha20-Poly1305(k, zero nonce, policy, key).
 */
TEST_F(seal, wrap_matches_spec)
{
	static const uint8_t nonce[12];
	uint8_t winfo[600], prk[32], k[32], ct[sizeof(self->key) + 16];
	size_t n;

	memcpy(winfo, "keyferry/2 wrap", 15);
	winfo[15] = 0;
	n = 16 + spec_info(winfo + 16, REGION, ITEM, VERSION);
	ASSERT_EQ(0, kf_hkdf_extract(prk, self->blob2 + 32, 32, self->kw, 32));
	ASSERT_EQ(0, kf_hkdf_expand(k, 32, prk, winfo, n));
	ASSERT_EQ(0, kf_aead_seal(ct, k, nonce, self->policy,
				  self->policy_len, self->key,
				  sizeof(self->key)));
	ASSERT_MEM(ct, self->blob2 + 64, sizeof(ct));
}

TEST_F(seal, every_bit_flip_of_blob_refused)
{
	size_t i, byte;
	int want;

	for (i = 0; i < 8 * self->len1; i++) {
		byte = i / 8;
		/* magic, alg, reserved; recipient kid; owner kid; version
		 * (its top bit makes it malformed, the others change info) */
		want = byte < 8 ? -EPROTO : byte < 16 ? -ENOKEY :
		       byte < 24 ? -EKEYREJECTED :
		       i == 24 * 8 + 7 ? -EPROTO : -EBADMSG;
		self->blob1[byte] ^= 1 << (i % 8);
		ASSERT_EQ(want, OPEN1(self, self->blob1, self->len1));
		self->blob1[byte] ^= 1 << (i % 8);
	}
	for (i = 0; i < 8 * self->len2; i++) {
		byte = i / 8;
		/* a non-zero kid is malformed for alg 2 */
		want = byte < 24 ? -EPROTO : i == 24 * 8 + 7 ? -EPROTO :
		       -EBADMSG;
		self->blob2[byte] ^= 1 << (i % 8);
		/* alg 2 ^ 3 = 1 is HPKE, which needs a Kec we do not give */
		if (byte == 4 && self->blob2[4] == KF_SEAL_HPKE)
			want = -ENOKEY;
		ASSERT_EQ(want, OPEN2(self, self->blob2, self->len2));
		self->blob2[byte] ^= 1 << (i % 8);
	}
	ASSERT_EQ(0, OPEN1(self, self->blob1, self->len1));
	ASSERT_EQ(0, OPEN2(self, self->blob2, self->len2));
}

TEST_F(seal, every_bit_flip_of_policy_refused)
{
	size_t i;

	for (i = 0; i < 8 * self->policy_len; i++) {
		self->policy[i / 8] ^= 1 << (i % 8);
		ASSERT_EQ(-EBADMSG, OPEN1(self, self->blob1, self->len1));
		ASSERT_EQ(-EBADMSG, OPEN2(self, self->blob2, self->len2));
		self->policy[i / 8] ^= 1 << (i % 8);
	}
	/* a shorter or longer policy too */
	ASSERT_EQ(-EBADMSG, unseal(self->kec, self->ko_pub, NULL, REGION,
				   ITEM, self->policy, self->policy_len - 1,
				   self->blob1, self->len1, NULL, NULL));
	ASSERT_EQ(-EBADMSG, unseal(NULL, NULL, self->kw, REGION, ITEM,
				   self->policy, self->policy_len + 1,
				   self->blob2, self->len2, NULL, NULL));
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
		ASSERT_EQ(-EBADMSG, unseal(self->kec, self->ko_pub, NULL,
					   names[i][0], names[i][1],
					   self->policy, self->policy_len,
					   self->blob1, self->len1, NULL,
					   NULL));
		ASSERT_EQ(-EBADMSG, unseal(NULL, NULL, self->kw, names[i][0],
					   names[i][1], self->policy,
					   self->policy_len, self->blob2,
					   self->len2, NULL, NULL));
	}
	ASSERT_EQ(-EINVAL, unseal(self->kec, self->ko_pub, NULL, "bad name",
				  ITEM, self->policy, self->policy_len,
				  self->blob1, self->len1, NULL, NULL));
	ASSERT_EQ(-EINVAL, unseal(self->kec, self->ko_pub, NULL, REGION, "",
				  self->policy, self->policy_len, self->blob1,
				  self->len1, NULL, NULL));
}

/*
 * A distributor that rewrites the version in the header, to present an
 * old item as new or a new one as old, gets a blob that does not open:
 * the version is in the key schedule.
 */
TEST_F(seal, version_is_bound)
{
	static const uint64_t others[] = { VERSION - 1, VERSION + 1, 1,
					   KF_VERSION_MAX };
	size_t i;
	int b;

	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		for (b = 0; b < 8; b++) {
			self->blob1[24 + b] = (uint8_t)(others[i] >> (56 - 8 * b));
			self->blob2[24 + b] = self->blob1[24 + b];
		}
		ASSERT_EQ(-EBADMSG, OPEN1(self, self->blob1, self->len1));
		ASSERT_EQ(-EBADMSG, OPEN2(self, self->blob2, self->len2));
	}
}

/*
 * What the owner's key is for: everyone knows Kec-pub (the repository
 * stores it), so anyone can seal to it; only an item the pinned owner
 * sealed opens.
 */
TEST_F(seal, only_the_pinned_owner)
{
	uint8_t mallory[32], mallory_pub[32], forged[sizeof(self->blob1)];
	uint8_t kid[8], out[KF_ITEM_KEY_MAX];
	size_t n;

	ASSERT_EQ(0, kf_x25519_keygen(mallory, mallory_pub));
	ASSERT_EQ(0, kf_seal_to_kec(forged, sizeof(forged), &n, self->kec_pub,
				    mallory, NULL, &self->b, VERSION + 1,
				    self->key, sizeof(self->key)));
	/* the host pins the owner: another owner's kid is refused... */
	ASSERT_EQ(-EKEYREJECTED, OPEN1(self, forged, n));
	/* ...and naming the owner's kid instead does not help */
	kf_kid(self->ko_pub, kid);
	memcpy(forged + 16, kid, 8);
	ASSERT_EQ(-EBADMSG, OPEN1(self, forged, n));
	/* the real owner's item, checked against another pinned key */
	ASSERT_EQ(-EKEYREJECTED, unseal(self->kec, mallory_pub, NULL, REGION,
					ITEM, self->policy, self->policy_len,
					self->blob1, self->len1, out, &n));
	kf_wipe(mallory, 32);
}

TEST_F(seal, truncated_or_extended_refused)
{
	uint8_t longer[sizeof(self->blob1) + 1];
	size_t n;

	for (n = 0; n < self->len1; n++) {
		ASSERT_EQ(n < KF_SEALED_MIN ? -EPROTO : -EBADMSG,
			  OPEN1(self, self->blob1, n));
		ASSERT_EQ(n < KF_SEALED_MIN ? -EPROTO : -EBADMSG,
			  OPEN2(self, self->blob2, n));
	}
	memcpy(longer, self->blob1, self->len1);
	longer[self->len1] = 0;
	ASSERT_EQ(-EBADMSG, OPEN1(self, longer, self->len1 + 1));
}

TEST_F(seal, wrong_keys_refused)
{
	uint8_t other[32], other_pub[32], kid[8];

	ASSERT_EQ(0, kf_x25519_keygen(other, other_pub));
	/* sealed to another Kec: its kid says so */
	ASSERT_EQ(-ENOKEY, unseal(other, self->ko_pub, NULL, REGION, ITEM,
				  self->policy, self->policy_len, self->blob1,
				  self->len1, NULL, NULL));
	/* and a forged kid does not help */
	kf_kid(other_pub, kid);
	memcpy(self->blob1 + 8, kid, 8);
	ASSERT_EQ(-EBADMSG, unseal(other, self->ko_pub, NULL, REGION, ITEM,
				   self->policy, self->policy_len,
				   self->blob1, self->len1, NULL, NULL));
	/* another unwrapping key */
	ASSERT_EQ(-EBADMSG, unseal(NULL, NULL, other, REGION, ITEM,
				   self->policy, self->policy_len,
				   self->blob2, self->len2, NULL, NULL));
	/* the other kind of key than the blob's algorithm */
	ASSERT_EQ(-ENOKEY, unseal(NULL, NULL, self->kw, REGION, ITEM,
				  self->policy, self->policy_len, self->blob1,
				  self->len1, NULL, NULL));
	ASSERT_EQ(-ENOKEY, unseal(self->kec, self->ko_pub, NULL, REGION, ITEM,
				  self->policy, self->policy_len, self->blob2,
				  self->len2, NULL, NULL));
	/* exactly one kind of key, and an owner key with a Kec only */
	ASSERT_EQ(-EINVAL, unseal(NULL, NULL, NULL, REGION, ITEM,
				  self->policy, self->policy_len, self->blob1,
				  self->len1, NULL, NULL));
	ASSERT_EQ(-EINVAL, unseal(self->kec, self->ko_pub, self->kw, REGION,
				  ITEM, self->policy, self->policy_len,
				  self->blob1, self->len1, NULL, NULL));
	ASSERT_EQ(-EINVAL, unseal(self->kec, NULL, NULL, REGION, ITEM,
				  self->policy, self->policy_len, self->blob1,
				  self->len1, NULL, NULL));
	ASSERT_EQ(-EINVAL, unseal(NULL, self->ko_pub, self->kw, REGION, ITEM,
				  self->policy, self->policy_len, self->blob2,
				  self->len2, NULL, NULL));
	kf_wipe(other, 32);
}

TEST_F(seal, low_order_enc_refused)
{
	size_t i;

	for (i = 0; i < TEST_N_LOW_ORDER; i++) {
		memcpy(self->blob1 + 32, test_low_order[i], 32);
		ASSERT_EQ(-EBADMSG, OPEN1(self, self->blob1, self->len1));
	}
}

TEST_F(seal, output_capacity)
{
	uint8_t out[sizeof(self->key)], blob[sizeof(self->blob1)];
	size_t n;

	ASSERT_EQ(-EMSGSIZE, kf_unseal(out, sizeof(out) - 1, &n, NULL,
				       self->kec, self->ko_pub, NULL, &self->b,
				       self->blob1, self->len1));
	ASSERT_EQ(-EMSGSIZE, kf_seal_to_kec(blob, sizeof(blob) - 1, &n,
					    self->kec_pub, self->ko, NULL,
					    &self->b, VERSION, self->key,
					    sizeof(self->key)));
	ASSERT_EQ(-EMSGSIZE, kf_seal_to_unwrap_key(blob, sizeof(blob) - 1, &n,
						   self->kw, NULL, &self->b,
						   VERSION, self->key,
						   sizeof(self->key)));
}

TEST_F(seal, sealer_refusals)
{
	uint8_t blob[sizeof(self->blob1)];
	struct kf_binding b = self->b;
	size_t n;

	/* versions the owner cannot choose */
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n,
					  self->kec_pub, self->ko, NULL, &b, 0,
					  self->key, sizeof(self->key)));
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n,
					  self->kec_pub, self->ko, NULL, &b,
					  KF_VERSION_MAX + 1, self->key,
					  sizeof(self->key)));
	ASSERT_EQ(-EINVAL, kf_seal_to_unwrap_key(blob, sizeof(blob), &n,
						 self->kw, NULL, &b, 0,
						 self->key,
						 sizeof(self->key)));
	/* no owner key, no key, names that are not names */
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n,
					  self->kec_pub, NULL, NULL, &b, 1,
					  self->key, sizeof(self->key)));
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n,
					  self->kec_pub, self->ko, NULL, &b, 1,
					  self->key, 0));
	b.region = "r r";
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n,
					  self->kec_pub, self->ko, NULL, &b, 1,
					  self->key, sizeof(self->key)));
	b.region = REGION;
	b.item = NULL;
	ASSERT_EQ(-EINVAL, kf_seal_to_unwrap_key(blob, sizeof(blob), &n,
						 self->kw, NULL, &b, 1,
						 self->key,
						 sizeof(self->key)));
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n,
					  self->kec_pub, self->ko, NULL, NULL,
					  1, self->key, sizeof(self->key)));
}

TEST(fresh_every_time)
{
	uint8_t kec[32], pub[32], ko[32], ko_pub[32], kw[32] = { 7 };
	uint8_t key[16] = { 1 }, a[96], b[96];
	struct kf_binding bd = { "r", "i", (const uint8_t *)"p", 1 };
	size_t la, lb;

	ASSERT_EQ(0, kf_x25519_keygen(kec, pub));
	ASSERT_EQ(0, kf_x25519_keygen(ko, ko_pub));
	ASSERT_EQ(0, kf_seal_to_kec(a, sizeof(a), &la, pub, ko, NULL, &bd, 1,
				    key, 16));
	ASSERT_EQ(0, kf_seal_to_kec(b, sizeof(b), &lb, pub, ko, NULL, &bd, 1,
				    key, 16));
	ASSERT_NE(0, memcmp(a + 32, b + 32, 32));	/* enc */
	ASSERT_NE(0, memcmp(a + 64, b + 64, 32));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(a, sizeof(a), &la, kw, NULL, &bd, 1,
					   key, 16));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(b, sizeof(b), &lb, kw, NULL, &bd, 1,
					   key, 16));
	ASSERT_NE(0, memcmp(a + 32, b + 32, 32));	/* salt */
	ASSERT_NE(0, memcmp(a + 64, b + 64, 32));
	kf_wipe(kec, 32);
	kf_wipe(ko, 32);
}

TEST(sizes)
{
	static uint8_t key[KF_ITEM_KEY_MAX + 1], blob[KF_SEALED_MAX + 1];
	static uint8_t out[KF_ITEM_KEY_MAX];
	uint8_t kec[32], pub[32], ko[32], ko_pub[32], kw[32] = { 9 };
	struct kf_binding b = { "r", "i", NULL, 0 };
	size_t n, m;

	ASSERT_EQ(0, kf_x25519_keygen(kec, pub));
	ASSERT_EQ(0, kf_x25519_keygen(ko, ko_pub));
	ASSERT_EQ(0, kf_random(key, sizeof(key)));
	ASSERT_EQ(0, kf_seal_to_kec(blob, sizeof(blob), &n, pub, ko, NULL, &b,
				    1, key, KF_ITEM_KEY_MAX));
	ASSERT_EQ((size_t)KF_SEALED_MAX, n);
	ASSERT_EQ(4176, KF_SEALED_MAX);
	ASSERT_EQ(0, kf_unseal(out, sizeof(out), &m, NULL, kec, ko_pub, NULL,
			       &b, blob, n));
	ASSERT_EQ((size_t)KF_ITEM_KEY_MAX, m);
	ASSERT_MEM(key, out, m);
	ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n, pub, ko,
					  NULL, &b, 1, key,
					  KF_ITEM_KEY_MAX + 1));
	ASSERT_EQ(-EINVAL, kf_seal_to_unwrap_key(blob, sizeof(blob), &n, kw,
						 NULL, &b, 1, key,
						 KF_ITEM_KEY_MAX + 1));
	/* an oversized blob is malformed before anything is tried */
	ASSERT_EQ(-EPROTO, kf_unseal(out, sizeof(out), &m, NULL, kec, ko_pub,
				     NULL, &b, blob, KF_SEALED_MAX + 1));
	kf_wipe(kec, 32);
	kf_wipe(ko, 32);
}

TEST(low_order_recipient_refused)
{
	uint8_t blob[96], key[16] = { 0 }, ko[32], ko_pub[32];
	struct kf_binding b = { "r", "i", NULL, 0 };
	size_t i, n;

	ASSERT_EQ(0, kf_x25519_keygen(ko, ko_pub));
	for (i = 0; i < TEST_N_LOW_ORDER; i++)
		ASSERT_EQ(-EINVAL, kf_seal_to_kec(blob, sizeof(blob), &n,
						  test_low_order[i], ko, NULL,
						  &b, 1, key, 16));
	kf_wipe(ko, 32);
}

/* Unwrapping keys nest: a group key sealed to Kec opens a data key. */
TEST(nested_unwrap_keys)
{
	uint8_t kec[32], pub[32], ko[32], ko_pub[32], group[32], data_key[32];
	uint8_t secret[100], b1[KF_SEALED_MIN + 32], b2[KF_SEALED_MIN + 32];
	uint8_t b3[KF_SEALED_MIN + 100], out[100], kw[32], kw2[32];
	uint8_t pol1[64], pol2[64], pol3[64];
	struct kf_binding bd1, bd2, bd3;
	size_t l1, l2, l3, p1, p2, p3, n;
	struct kf_policy p;

	ASSERT_EQ(0, kf_x25519_keygen(kec, pub));
	ASSERT_EQ(0, kf_x25519_keygen(ko, ko_pub));
	ASSERT_EQ(0, kf_random(group, 32));
	ASSERT_EQ(0, kf_random(data_key, 32));
	ASSERT_EQ(0, kf_random(secret, sizeof(secret)));
	memset(&p, 0, sizeof(p));
	p.key_type = KF_KEY_UNWRAP;
	p.key_size = 32;
	ASSERT_EQ(0, kf_policy_encode(&p, pol1, sizeof(pol1), &p1));
	strcpy(p.unwrap_key, "group");
	ASSERT_EQ(0, kf_policy_encode(&p, pol2, sizeof(pol2), &p2));
	p.key_type = KF_KEY_LOGON;
	p.key_size = sizeof(secret);
	strcpy(p.unwrap_key, "data");
	ASSERT_EQ(0, kf_policy_encode(&p, pol3, sizeof(pol3), &p3));
	bd1 = (struct kf_binding){ "r", "group", pol1, p1 };
	bd2 = (struct kf_binding){ "r", "data", pol2, p2 };
	bd3 = (struct kf_binding){ "r", "secret", pol3, p3 };

	ASSERT_EQ(0, kf_seal_to_kec(b1, sizeof(b1), &l1, pub, ko, NULL, &bd1,
				    1, group, 32));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(b2, sizeof(b2), &l2, group, NULL,
					   &bd2, 1, data_key, 32));
	ASSERT_EQ(0, kf_seal_to_unwrap_key(b3, sizeof(b3), &l3, data_key, NULL,
					   &bd3, 1, secret, sizeof(secret)));

	ASSERT_EQ(0, kf_unseal(kw, sizeof(kw), &n, NULL, kec, ko_pub, NULL,
			       &bd1, b1, l1));
	ASSERT_EQ(0, kf_unseal(kw2, sizeof(kw2), &n, NULL, NULL, NULL, kw,
			       &bd2, b2, l2));
	ASSERT_EQ(0, kf_unseal(out, sizeof(out), &n, NULL, NULL, NULL, kw2,
			       &bd3, b3, l3));
	ASSERT_EQ(sizeof(secret), n);
	ASSERT_MEM(secret, out, n);
	/* the group key does not open the data directly */
	ASSERT_EQ(-EBADMSG, kf_unseal(out, sizeof(out), &n, NULL, NULL, NULL,
				      kw, &bd3, b3, l3));
	kf_wipe(kec, 32);
	kf_wipe(ko, 32);
}

/* ---- the fixed vectors of vectors/keyferry_vectors.h, section (4) ---- */

TEST(vector1_reproduced)
{
	struct kf_binding b = { KF_VEC_SEALED_REGION, KF_VEC_SEALED1_ITEM,
				kf_vec_sealed1_policy,
				KF_VEC_SEALED1_POLICY_LEN };
	uint8_t blob[KF_VEC_SEALED1_LEN];
	struct kf_policy p, want;
	uint8_t pol[64];
	size_t n;

	/* the policy is the encoding of the rules the comment names */
	memset(&want, 0, sizeof(want));
	want.key_type = KF_KEY_LOGON;
	want.key_size = 32;
	want.lease = 86400;
	want.grace = 3600;
	ASSERT_EQ(0, kf_policy_encode(&want, pol, sizeof(pol), &n));
	ASSERT_EQ(KF_VEC_SEALED1_POLICY_LEN, n);
	ASSERT_MEM(kf_vec_sealed1_policy, pol, n);
	ASSERT_EQ(0, kf_policy_decode(&p, kf_vec_sealed1_policy, n));
	ASSERT_EQ(0, memcmp(&want, &p, sizeof(p)));

	ASSERT_EQ(0, kf_seal_to_kec(blob, sizeof(blob), &n,
				    kf_vec_hpke_auth_pk_r,
				    kf_vec_hpke_auth_sk_s,
				    kf_vec_hpke_auth_sk_e, &b,
				    KF_VEC_SEALED1_VERSION, kf_vec_sealed1_key,
				    KF_VEC_SEALED1_KEY_LEN));
	ASSERT_EQ(KF_VEC_SEALED1_LEN, n);
	ASSERT_MEM(kf_vec_sealed1, blob, n);
}

/* Opened by the specification's formulas, not by kf_unseal(). */
TEST(vector1_opens_by_the_spec)
{
	uint8_t info[128], kid[8], out[KF_VEC_SEALED1_KEY_LEN];
	size_t n = spec_info(info, KF_VEC_SEALED_REGION, KF_VEC_SEALED1_ITEM,
			     KF_VEC_SEALED1_VERSION);

	ASSERT_EQ(KF_VEC_SEALED1_INFO_LEN, n);
	ASSERT_MEM(kf_vec_sealed1_info, info, n);
	ASSERT_EQ(0, memcmp(kf_vec_sealed1, "KFS2\x01\0\0\0", 8));
	kf_kid(kf_vec_hpke_auth_pk_r, kid);
	ASSERT_MEM(kid, kf_vec_sealed1 + 8, 8);
	kf_kid(kf_vec_hpke_auth_pk_s, kid);
	ASSERT_MEM(kid, kf_vec_sealed1 + 16, 8);
	ASSERT_EQ(0, memcmp(kf_vec_sealed1 + 24, "\0\0\0\0\0\0\0\x07", 8));
	/* enc is the published pkEm, since the ephemeral is skEm */
	ASSERT_MEM(kf_vec_hpke_auth_pk_e, kf_vec_sealed1 + 32, 32);
	ASSERT_EQ(0, kf_hpke_open_auth(out, kf_vec_hpke_auth_sk_r,
				       kf_vec_sealed1 + 32,
				       kf_vec_hpke_auth_pk_s, info, n,
				       kf_vec_sealed1_policy,
				       KF_VEC_SEALED1_POLICY_LEN,
				       kf_vec_sealed1 + 64,
				       KF_VEC_SEALED1_LEN - 64));
	ASSERT_MEM(kf_vec_sealed1_key, out, sizeof(out));
}

TEST(vector2_reproduced_and_opens_by_the_spec)
{
	struct kf_binding b = { KF_VEC_SEALED_REGION, KF_VEC_SEALED2_ITEM,
				kf_vec_sealed2_policy,
				KF_VEC_SEALED2_POLICY_LEN };
	static const uint8_t nonce[12];
	uint8_t blob[KF_VEC_SEALED2_LEN], winfo[128], prk[32], k[32];
	uint8_t out[KF_VEC_SEALED2_KEY_LEN];
	struct kf_policy p;
	size_t n;

	ASSERT_EQ(0, kf_policy_decode(&p, kf_vec_sealed2_policy,
				      KF_VEC_SEALED2_POLICY_LEN));
	ASSERT_EQ(KF_KEY_USER, p.key_type);
	ASSERT_EQ(KF_VEC_SEALED2_KEY_LEN, p.key_size);
	ASSERT_STREQ("group-kw", p.unwrap_key);
	ASSERT_EQ(0, kf_seal_to_unwrap_key(blob, sizeof(blob), &n,
					   kf_vec_sealed2_kw,
					   kf_vec_sealed2_salt, &b,
					   KF_VEC_SEALED2_VERSION,
					   kf_vec_sealed2_key,
					   KF_VEC_SEALED2_KEY_LEN));
	ASSERT_EQ(KF_VEC_SEALED2_LEN, n);
	ASSERT_MEM(kf_vec_sealed2, blob, n);
	/* by hand */
	memcpy(winfo, "keyferry/2 wrap", 15);
	winfo[15] = 0;
	n = 16 + spec_info(winfo + 16, KF_VEC_SEALED_REGION,
			   KF_VEC_SEALED2_ITEM, KF_VEC_SEALED2_VERSION);
	ASSERT_MEM(kf_vec_sealed2_salt, kf_vec_sealed2 + 32, 32);
	ASSERT_EQ(0, kf_hkdf_extract(prk, kf_vec_sealed2_salt, 32,
				     kf_vec_sealed2_kw, 32));
	ASSERT_EQ(0, kf_hkdf_expand(k, 32, prk, winfo, n));
	ASSERT_EQ(0, kf_aead_open(out, k, nonce, kf_vec_sealed2_policy,
				  KF_VEC_SEALED2_POLICY_LEN,
				  kf_vec_sealed2 + 64,
				  KF_VEC_SEALED2_LEN - 64));
	ASSERT_MEM(kf_vec_sealed2_key, out, sizeof(out));
}

TEST_HARNESS_MAIN
