// SPDX-License-Identifier: MIT
/*
 * The TLV writer and strict reader (userspace/lib/tlv.c) and the name
 * alphabet (docs/protocol.md sections 1 and 5).
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"
#include "test_util.h"

TEST(writer_bytes)
{
	static const uint8_t want[] = {
		0x00, 0x01, 0x00, 0x01, 0x07,
		0x00, 0x02, 0x00, 0x02, 0x12, 0x34,
		0x00, 0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
		0x00, 0x04, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
		0x07, 0x08,
		0x01, 0x05, 0x00, 0x03, 'a', '/', 'b',
		0xff, 0xff, 0x00, 0x00,
	};
	uint8_t buf[64];
	struct kf_tlv_writer w;

	kf_tlv_init(&w, buf, sizeof(buf));
	kf_tlv_put_u8(&w, 1, 7);
	kf_tlv_put_u16(&w, 2, 0x1234);
	kf_tlv_put_u32(&w, 3, 0xdeadbeef);
	kf_tlv_put_u64(&w, 4, 0x0102030405060708ull);
	kf_tlv_put_str(&w, 0x105, "a/b");
	kf_tlv_put(&w, 0xffff, NULL, 0);
	ASSERT_EQ((long)sizeof(want), kf_tlv_finish(&w));
	ASSERT_MEM(want, buf, sizeof(want));
}

TEST(writer_sticky_errors)
{
	uint8_t buf[8], big[70000] = { 0 };
	struct kf_tlv_writer w;

	kf_tlv_init(&w, buf, sizeof(buf));
	kf_tlv_put_u32(&w, 1, 1);
	ASSERT_EQ(8, kf_tlv_finish(&w));
	kf_tlv_put_u8(&w, 2, 1);		/* does not fit */
	ASSERT_EQ(-EMSGSIZE, kf_tlv_finish(&w));
	kf_tlv_init(&w, buf, 0);
	kf_tlv_put(&w, 1, NULL, 0);		/* does not fit either */
	ASSERT_EQ(-EMSGSIZE, kf_tlv_finish(&w));

	kf_tlv_init(&w, big, sizeof(big));
	kf_tlv_put(&w, 1, big, 65536);		/* longer than a length says */
	ASSERT_EQ(-EINVAL, kf_tlv_finish(&w));
	kf_tlv_put(&w, 2, big, 1);		/* the first error stays */
	ASSERT_EQ(-EINVAL, kf_tlv_finish(&w));

	kf_tlv_init(&w, big, sizeof(big));
	kf_tlv_put(&w, 0, big, 1);		/* type 0 does not exist */
	ASSERT_EQ(-EINVAL, kf_tlv_finish(&w));
	kf_tlv_init(&w, big, sizeof(big));
	kf_tlv_put_str(&w, 1, NULL);
	ASSERT_EQ(-EINVAL, kf_tlv_finish(&w));
	kf_tlv_init(&w, big, sizeof(big));
	kf_tlv_put(&w, 1, big, 65535);
	ASSERT_EQ(65539, kf_tlv_finish(&w));
}

/* Read everything; the number of records, or the error. */
static int read_all(const uint8_t *buf, size_t len, uint64_t repeatable)
{
	struct kf_tlv_reader r;
	const uint8_t *v;
	uint16_t type;
	size_t n;
	int ret, count = 0;

	kf_tlv_reader_init(&r, buf, len, repeatable);
	while ((ret = kf_tlv_next(&r, &type, &v, &n)) > 0)
		count++;
	return ret ? ret : count;
}

TEST(reader_values)
{
	static const uint8_t in[] = {
		0x00, 0x01, 0x00, 0x01, 0x07,
		0x00, 0x02, 0x00, 0x00,
		0x00, 0x02, 0x00, 0x02, 'h', 'i',
		0x00, 0x09, 0x00, 0x00,
	};
	struct kf_tlv_reader r;
	const uint8_t *v;
	uint16_t type;
	size_t n;

	kf_tlv_reader_init(&r, in, sizeof(in), 1u << 2);
	ASSERT_EQ(1, kf_tlv_next(&r, &type, &v, &n));
	ASSERT_EQ(1, type);
	ASSERT_EQ(1u, n);
	ASSERT_EQ(7, v[0]);
	ASSERT_EQ(1, kf_tlv_next(&r, &type, &v, &n));
	ASSERT_EQ(2, type);
	ASSERT_EQ(0u, n);
	ASSERT_EQ(1, kf_tlv_next(&r, &type, &v, &n));
	ASSERT_EQ(2, type);
	ASSERT_EQ(2u, n);
	ASSERT_EQ(0, memcmp(v, "hi", 2));
	ASSERT_EQ(1, kf_tlv_next(&r, &type, &v, &n));
	ASSERT_EQ(9, type);
	ASSERT_EQ(0, kf_tlv_next(&r, &type, &v, &n));
	ASSERT_EQ(0, kf_tlv_next(&r, &type, &v, &n));
	ASSERT_EQ(0, read_all(NULL, 0, 0));
}

TEST(reader_rejections)
{
	static const uint8_t out_of_order[] = {
		0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	};
	static const uint8_t duplicate[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	};
	static const uint8_t not_consecutive[] = {
		0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00,
		0x00, 0x02, 0x00, 0x00,
	};
	static const uint8_t type_zero[] = { 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t overrun[] = { 0x00, 0x01, 0x00, 0x03, 1, 2 };
	static const uint8_t trailing[] = { 0x00, 0x01, 0x00, 0x00, 0x00 };
	static const uint8_t trailing3[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00,
	};
	static const uint8_t big_len[] = { 0x00, 0x01, 0xff, 0xff, 0 };

	ASSERT_EQ(-EPROTO, read_all(out_of_order, sizeof(out_of_order), 0));
	ASSERT_EQ(-EPROTO, read_all(duplicate, sizeof(duplicate), 0));
	ASSERT_EQ(2, read_all(duplicate, sizeof(duplicate), 1u << 1));
	ASSERT_EQ(-EPROTO, read_all(duplicate, sizeof(duplicate), 1u << 2));
	ASSERT_EQ(-EPROTO, read_all(not_consecutive, sizeof(not_consecutive),
				    1u << 2));
	ASSERT_EQ(-EPROTO, read_all(type_zero, sizeof(type_zero), 1));
	ASSERT_EQ(-EPROTO, read_all(overrun, sizeof(overrun), 0));
	ASSERT_EQ(-EPROTO, read_all(trailing, sizeof(trailing), 0));
	ASSERT_EQ(-EPROTO, read_all(trailing3, sizeof(trailing3), 0));
	ASSERT_EQ(-EPROTO, read_all(big_len, sizeof(big_len), 0));
}

TEST(reader_error_is_sticky)
{
	static const uint8_t in[] = {
		0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	};
	struct kf_tlv_reader r;
	const uint8_t *v;
	uint16_t type;
	size_t n;

	kf_tlv_reader_init(&r, in, sizeof(in), 0);
	ASSERT_EQ(1, kf_tlv_next(&r, &type, &v, &n));
	ASSERT_EQ(-EPROTO, kf_tlv_next(&r, &type, &v, &n));
	ASSERT_EQ(-EPROTO, kf_tlv_next(&r, &type, &v, &n));
}

/* Every prefix of a record sequence that cuts a record is refused. */
TEST(reader_truncations)
{
	static const uint8_t in[] = {
		0x00, 0x01, 0x00, 0x03, 1, 2, 3,
		0x00, 0x05, 0x00, 0x02, 4, 5,
	};
	size_t n;

	for (n = 0; n <= sizeof(in); n++) {
		int want = n == 0 ? 0 : n == 7 ? 1 : n == sizeof(in) ? 2 :
			   -EPROTO;

		ASSERT_EQ(want, read_all(in, n, 0));
	}
}

TEST(names)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz0123456789._:@/-";
	static const char *const bad[] = {
		"a b", "a\tb", "a\nb", "a+b", "a=b", "a,b", "a;b", "a\\b",
		"a\"b", "a'b", "a*b", "a?b", "a%b", "a~b", "\xc3\xa9",
	};
	char s[300];
	size_t i;

	ASSERT_TRUE(kf_name_valid(ok, strlen(ok), KF_NAME_MAX));
	ASSERT_TRUE(kf_name_valid("a", 1, 1));
	ASSERT_FALSE(kf_name_valid("", 0, KF_NAME_MAX));
	ASSERT_FALSE(kf_name_valid(NULL, 1, KF_NAME_MAX));
	ASSERT_FALSE(kf_name_valid("ab", 2, 1));
	ASSERT_FALSE(kf_name_valid("a\0b", 3, KF_NAME_MAX));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_FALSE(kf_name_valid(bad[i], strlen(bad[i]), KF_NAME_MAX));
	memset(s, 'x', sizeof(s));
	ASSERT_TRUE(kf_name_valid(s, KF_NAME_MAX, KF_NAME_MAX));
	ASSERT_FALSE(kf_name_valid(s, KF_NAME_MAX + 1, KF_NAME_MAX));
	/* every byte outside the alphabet */
	for (i = 0; i < 256; i++) {
		char c = (char)i;
		bool want = strchr(ok, c) && c;

		ASSERT_EQ(want, kf_name_valid(&c, 1, 1));
	}
}

/* Owner names: 1 to 32 of [A-Za-z0-9._-] (section 1). */
TEST(owner_names)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
	static const char *const bad[] = {
		"a:b", "a/b", "a@b", "a b", "a+b", "\xc3\xa9", "",
	};
	char s[40];
	size_t i;

	ASSERT_TRUE(kf_owner_name_valid(ok, strlen(ok)));
	ASSERT_TRUE(kf_owner_name_valid("ops", 3));
	ASSERT_TRUE(kf_owner_name_valid("db-team_2.eu", 12));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_FALSE(kf_owner_name_valid(bad[i], strlen(bad[i])));
	ASSERT_FALSE(kf_owner_name_valid(NULL, 1));
	memset(s, 'o', sizeof(s));
	ASSERT_TRUE(kf_owner_name_valid(s, KF_OWNER_NAME_MAX));
	ASSERT_FALSE(kf_owner_name_valid(s, KF_OWNER_NAME_MAX + 1));
	ASSERT_EQ(32, KF_OWNER_NAME_MAX);
	/* every byte: the name alphabet less ':', '@' and '/' */
	for (i = 0; i < 256; i++) {
		char c = (char)i;
		bool want = c && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"abcdefghijklmnopqrstuvwxyz"
					"0123456789._-", c);

		ASSERT_EQ(want, kf_owner_name_valid(&c, 1));
	}
}

TEST_HARNESS_MAIN
