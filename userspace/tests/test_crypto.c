// SPDX-License-Identifier: MIT
/*
 * The primitives (userspace/lib/crypto.c) against their RFCs' vectors, and
 * the strictness of the base64 helpers.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"
#include "vectors/keyferry_vectors.h"
#include "test_util.h"

/* RFC 7748 section 6.1 */
static const uint8_t alice_priv[32] = {
	0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72,
	0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
	0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
};
static const uint8_t alice_pub[32] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc,
	0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
	0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
};
static const uint8_t bob_priv[32] = {
	0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b,
	0x83, 0x80, 0x0e, 0xe6, 0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd,
	0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb,
};
static const uint8_t bob_pub[32] = {
	0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2,
	0xec, 0xe4, 0x35, 0x37, 0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d,
	0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f,
};
static const uint8_t shared_ab[32] = {
	0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1, 0x72, 0x8e, 0x3b, 0xf4,
	0x80, 0x35, 0x0f, 0x25, 0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1, 0x9e, 0x33,
	0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42,
};

TEST(x25519_rfc7748)
{
	uint8_t pub[32], out[32];

	ASSERT_EQ(0, kf_x25519_public(alice_priv, pub));
	ASSERT_MEM(alice_pub, pub, 32);
	ASSERT_EQ(0, kf_x25519_public(bob_priv, pub));
	ASSERT_MEM(bob_pub, pub, 32);
	ASSERT_EQ(0, kf_x25519(out, alice_priv, bob_pub));
	ASSERT_MEM(shared_ab, out, 32);
	ASSERT_EQ(0, kf_x25519(out, bob_priv, alice_pub));
	ASSERT_MEM(shared_ab, out, 32);
}

TEST(x25519_low_order_refused)
{
	uint8_t out[32];
	size_t i;

	for (i = 0; i < TEST_N_LOW_ORDER; i++) {
		memset(out, 0xaa, sizeof(out));
		ASSERT_EQ(-EBADMSG, kf_x25519(out, alice_priv,
					      test_low_order[i]));
		ASSERT_TRUE(test_all_zero(out, sizeof(out)));
	}
}

TEST(x25519_keygen)
{
	uint8_t a[32], ap[32], b[32], bp[32], s1[32], s2[32];

	ASSERT_EQ(0, kf_x25519_keygen(a, ap));
	ASSERT_EQ(0, kf_x25519_keygen(b, bp));
	ASSERT_NE(0, memcmp(a, b, 32));
	ASSERT_EQ(0, kf_x25519(s1, a, bp));
	ASSERT_EQ(0, kf_x25519(s2, b, ap));
	ASSERT_MEM(s1, s2, 32);
}

TEST(kid)
{
	/* SHA-256 of the Noise vector's responder public key, first 8 bytes */
	static const uint8_t zero_pub[32];
	/* SHA-256 of 32 zero bytes = 66687aadf862bd77... */
	static const uint8_t zero_kid[8] = {
		0x66, 0x68, 0x7a, 0xad, 0xf8, 0x62, 0xbd, 0x77,
	};
	uint8_t kid[8], kid2[8];

	kf_kid(zero_pub, kid);
	ASSERT_MEM(zero_kid, kid, 8);
	kf_kid(kf_vec_noise_ik_init_remote_static, kid);
	kf_kid(kf_vec_hpke_pk_r, kid2);
	ASSERT_NE(0, memcmp(kid, kid2, 8));
}

TEST(hkdf_rfc5869_case1)
{
	static const uint8_t ikm[22] = {
		0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
		0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
		0x0b, 0x0b,
	};
	static const uint8_t salt[13] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
		0x0a, 0x0b, 0x0c,
	};
	static const uint8_t info[10] = {
		0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
	};
	static const uint8_t prk_want[32] = {
		0x07, 0x77, 0x09, 0x36, 0x2c, 0x2e, 0x32, 0xdf, 0x0d, 0xdc,
		0x3f, 0x0d, 0xc4, 0x7b, 0xba, 0x63, 0x90, 0xb6, 0xc7, 0x3b,
		0xb5, 0x0f, 0x9c, 0x31, 0x22, 0xec, 0x84, 0x4a, 0xd7, 0xc2,
		0xb3, 0xe5,
	};
	static const uint8_t okm_want[42] = {
		0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43,
		0x4f, 0x64, 0xd0, 0x36, 0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90,
		0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56, 0xec, 0xc4,
		0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18,
		0x58, 0x65,
	};
	static uint8_t big[32769];
	uint8_t prk[32], okm[42];

	ASSERT_EQ(0, kf_hkdf_extract(prk, salt, sizeof(salt), ikm,
				     sizeof(ikm)));
	ASSERT_MEM(prk_want, prk, 32);
	ASSERT_EQ(0, kf_hkdf_expand(okm, sizeof(okm), prk, info,
				    sizeof(info)));
	ASSERT_MEM(okm_want, okm, 42);
	ASSERT_EQ(-EINVAL, kf_hkdf_expand(okm, 255 * 32 + 1, prk, info, 1));
	ASSERT_EQ(-EINVAL, kf_hkdf_expand(okm, 0, prk, info, 1));
	ASSERT_EQ(0, kf_hkdf_expand(okm, 32, prk, big, 32768));
	ASSERT_EQ(-EINVAL, kf_hkdf_expand(okm, 32, prk, big, 32769));
}

TEST(hkdf_empty_salt_is_zeros)
{
	static const uint8_t zeros[32];
	uint8_t a[32], b[32];

	ASSERT_EQ(0, kf_hkdf_extract(a, NULL, 0, zeros, 7));
	ASSERT_EQ(0, kf_hkdf_extract(b, zeros, 32, zeros, 7));
	ASSERT_MEM(a, b, 32);
}

TEST(aead)
{
	static const uint8_t key[32] = { 1 }, nonce[12] = { 2 };
	uint8_t pt[64], ct[64 + 16], out[64];
	size_t i;

	ASSERT_EQ(0, kf_random(pt, sizeof(pt)));
	ASSERT_EQ(0, kf_aead_seal(ct, key, nonce, pt, 5, pt, sizeof(pt)));
	ASSERT_EQ(0, kf_aead_open(out, key, nonce, pt, 5, ct, sizeof(ct)));
	ASSERT_MEM(pt, out, sizeof(pt));
	for (i = 0; i < 8 * sizeof(ct); i++) {
		ct[i / 8] ^= 1 << (i % 8);
		ASSERT_EQ(-EBADMSG, kf_aead_open(out, key, nonce, pt, 5, ct,
						 sizeof(ct)));
		ct[i / 8] ^= 1 << (i % 8);
	}
	ASSERT_EQ(-EBADMSG, kf_aead_open(out, key, nonce, pt, 4, ct,
					 sizeof(ct)));
	ASSERT_EQ(-EBADMSG, kf_aead_open(out, key, nonce, pt, 5, ct, 15));
	/* empty plaintext: the tag alone */
	ASSERT_EQ(0, kf_aead_seal(ct, key, nonce, NULL, 0, NULL, 0));
	ASSERT_EQ(0, kf_aead_open(NULL, key, nonce, NULL, 0, ct, 16));
	/* in place */
	memcpy(out, pt, sizeof(pt));
	ASSERT_EQ(0, kf_aead_seal(ct, key, nonce, NULL, 0, pt, sizeof(pt)));
	ASSERT_EQ(0, kf_aead_open(ct, key, nonce, NULL, 0, ct, sizeof(ct)));
	ASSERT_MEM(out, ct, sizeof(pt));
}

TEST(equal_and_wipe)
{
	uint8_t a[8] = { 1, 2, 3 }, b[8] = { 1, 2, 3 };

	ASSERT_TRUE(kf_equal(a, b, 8));
	b[7] = 1;
	ASSERT_FALSE(kf_equal(a, b, 8));
	kf_wipe(b, 8);
	ASSERT_TRUE(test_all_zero(b, 8));
	kf_wipe(NULL, 8);
}

TEST(base64)
{
	static const uint8_t data[5] = { 'h', 'e', 'l', 'l', 'o' };
	char out[16];
	uint8_t buf[16];
	size_t len;

	ASSERT_EQ(0, kf_base64_encode(out, sizeof(out), data, 5));
	ASSERT_STREQ("aGVsbG8=", out);
	ASSERT_EQ(-EMSGSIZE, kf_base64_encode(out, 8, data, 5));
	ASSERT_EQ(0, kf_base64_encode(out, 9, data, 5));
	ASSERT_EQ(0, kf_base64_decode(buf, sizeof(buf), &len, "aGVsbG8="));
	ASSERT_EQ(5u, len);
	ASSERT_MEM(data, buf, 5);
	ASSERT_EQ(0, kf_base64_decode(buf, sizeof(buf), &len, "aGVsbA=="));
	ASSERT_EQ(4u, len);
	ASSERT_EQ(0, kf_base64_decode(buf, sizeof(buf), &len, "aGVs"));
	ASSERT_EQ(3u, len);
	ASSERT_EQ(0, kf_base64_decode(buf, sizeof(buf), &len, ""));
	ASSERT_EQ(0u, len);
	ASSERT_EQ(-EMSGSIZE, kf_base64_decode(buf, 4, &len, "aGVsbG8="));
}

TEST(base64_strict)
{
	static const char *const bad[] = {
		"aGVsbG8",	/* no padding */
		"aGVsbG9=",	/* non-zero bits under the padding */
		"aGVsbB==",	/* same, two pad characters */
		"aGVsb===",	/* three pad characters */
		"aGV=bG8=",	/* padding in the middle */
		" aGVsbG8=",	/* whitespace */
		"aGVsbG8=\n",
		"aGVs\nbG8=",
		"aGVsbG8-",	/* base64url alphabet */
		"aGVs_G8=",
		"====",
		"aGVsbG8=aGVs",	/* data after padding */
	};
	uint8_t buf[32];
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(-EINVAL, kf_base64_decode(buf, sizeof(buf), &len,
						    bad[i]));
	}
}

TEST(key_from_base64)
{
	uint8_t key[32], back[32], big[33];
	char b64[64];

	ASSERT_EQ(0, kf_base64_encode(b64, sizeof(b64), alice_pub, 32));
	ASSERT_EQ(0, kf_key_from_base64(key, b64));
	ASSERT_MEM(alice_pub, key, 32);
	/* 31 and 33 bytes are not keys */
	ASSERT_EQ(0, kf_base64_encode(b64, sizeof(b64), alice_pub, 31));
	ASSERT_EQ(-EINVAL, kf_key_from_base64(back, b64));
	memcpy(big, shared_ab, 32);
	big[32] = 0x42;
	ASSERT_EQ(0, kf_base64_encode(b64, sizeof(b64), big, 33));
	ASSERT_EQ(44u, strlen(b64));
	ASSERT_EQ(-EINVAL, kf_key_from_base64(back, b64));
	ASSERT_EQ(-EINVAL, kf_key_from_base64(back, "not base64"));
}

TEST_HARNESS_MAIN
