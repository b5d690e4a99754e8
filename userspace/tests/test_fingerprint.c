// SPDX-License-Identifier: MIT
/*
 * The Kec fingerprint (userspace/lib/fingerprint.c, docs/protocol.md
 * section 2.1): its exact text for a known key, the forms an operator may
 * type, and refusals.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"
#include "vectors/keyferry_vectors.h"
#include "test_util.h"

/*
 * SHA-256("keyferry/2 kec" || pkRm of RFC 9180 A.2.3), computed apart
 * (Python's hashlib), grouped by four hex digits.
 */
#define FP_PKR	"dc74-ff5e-4559-18b4-3abc-ecc0-e575-fa83-" \
		"0fed-a90a-cee8-3399-ebfe-94e7-ff86-a40e"

TEST(known_key)
{
	char fp[KF_FINGERPRINT_LEN + 1];

	memset(fp, 'x', sizeof(fp));
	kf_kec_fingerprint(fp, kf_vec_hpke_auth_pk_r);
	ASSERT_EQ(KF_FINGERPRINT_LEN, strlen(fp));
	ASSERT_STREQ(FP_PKR, fp);
	ASSERT_TRUE(kf_kec_fingerprint_matches(kf_vec_hpke_auth_pk_r, fp));
}

/*
 * The Kei fingerprint: SHA-256("keyferry/2 kei" || the same key), computed
 * apart (Python's hashlib): another label, so never the Kec's text.
 */
#define FP_KEI_PKR	"9ce8-8cde-1d61-c30b-9e83-a606-8de3-1c25-" \
			"24dd-a5a3-7f4e-ef66-0a11-436e-2138-2a2f"

TEST(kei_fingerprint)
{
	char fp[KF_FINGERPRINT_LEN + 1];

	kf_kei_fingerprint(fp, kf_vec_hpke_auth_pk_r);
	ASSERT_STREQ(FP_KEI_PKR, fp);
	ASSERT_TRUE(kf_kei_fingerprint_matches(kf_vec_hpke_auth_pk_r, FP_KEI_PKR));
	ASSERT_FALSE(kf_kei_fingerprint_matches(kf_vec_hpke_auth_pk_r, FP_PKR));
	ASSERT_FALSE(kf_kec_fingerprint_matches(kf_vec_hpke_auth_pk_r, FP_KEI_PKR));
	ASSERT_FALSE(kf_kei_fingerprint_matches(kf_vec_hpke_auth_pk_s, FP_KEI_PKR));
}

TEST(typed_forms)
{
	ASSERT_TRUE(kf_kec_fingerprint_matches(kf_vec_hpke_auth_pk_r,
		"dc74ff5e455918b43abcecc0e575fa830feda90acee83399ebfe94e7ff86a40e"));
	ASSERT_TRUE(kf_kec_fingerprint_matches(kf_vec_hpke_auth_pk_r,
		"DC74-FF5E-4559-18B4-3ABC-ECC0-E575-FA83-"
		"0FED-A90A-CEE8-3399-EBFE-94E7-FF86-A40E"));
	ASSERT_TRUE(kf_kec_fingerprint_matches(kf_vec_hpke_auth_pk_r,
		"dc:74:ff:5e:45:59:18:b4:3a:bc:ec:c0:e5:75:fa:83:"
		"0f:ed:a9:0a:ce:e8:33:99:eb:fe:94:e7:ff:86:a4:0e"));
}

TEST(refusals)
{
	char fp[KF_FINGERPRINT_LEN + 1], bad[KF_FINGERPRINT_LEN + 8];
	uint8_t out[32], other[32];
	size_t i;

	/* another key: the sender key of the same vector */
	ASSERT_FALSE(kf_kec_fingerprint_matches(kf_vec_hpke_auth_pk_s,
						FP_PKR));
	kf_kec_fingerprint(fp, kf_vec_hpke_auth_pk_s);
	ASSERT_STRNE(FP_PKR, fp);
	/* each digit changed */
	for (i = 0; i < strlen(FP_PKR); i++) {
		strcpy(bad, FP_PKR);
		if (bad[i] == '-')
			continue;
		bad[i] = bad[i] == '0' ? '1' : '0';
		ASSERT_FALSE(kf_kec_fingerprint_matches(kf_vec_hpke_auth_pk_r,
							bad));
	}
	/* too short, too long, not hex, empty */
	strcpy(bad, FP_PKR);
	bad[strlen(bad) - 1] = '\0';
	ASSERT_EQ(-EINVAL, kf_fingerprint_parse(out, bad));
	strcpy(bad, FP_PKR "0");
	ASSERT_EQ(-EINVAL, kf_fingerprint_parse(out, bad));
	strcpy(bad, FP_PKR);
	bad[0] = 'g';
	ASSERT_EQ(-EINVAL, kf_fingerprint_parse(out, bad));
	strcpy(bad, FP_PKR);
	bad[4] = ' ';
	ASSERT_EQ(-EINVAL, kf_fingerprint_parse(out, bad));
	ASSERT_EQ(-EINVAL, kf_fingerprint_parse(out, ""));
	ASSERT_EQ(-EINVAL, kf_fingerprint_parse(out, NULL));
	ASSERT_FALSE(kf_kec_fingerprint_matches(kf_vec_hpke_auth_pk_r, ""));
	/* what it parses to is the hash itself */
	ASSERT_EQ(0, kf_fingerprint_parse(out, FP_PKR));
	ASSERT_EQ(0, kf_sha256(other, "keyferry/2 kec", 14,
			       kf_vec_hpke_auth_pk_r, 32));
	ASSERT_MEM(other, out, 32);
}

TEST_HARNESS_MAIN
