// SPDX-License-Identifier: MIT
/*
 * Request and reply payloads (userspace/lib/message.c, docs/protocol.md
 * section 5, version 2): exact encodings, round trips and strict
 * rejections.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"
#include "test_util.h"

#define HDR(t, l)	0x00, (t), 0x00, (l)
/* TAI64N of 2026-01-01T00:00:00.5Z: 2^62 + 10 + 1767225600, 500000000 ns */
#define TS_BYTES	0x40, 0, 0, 0, 0x69, 0x55, 0xb9, 0x0a, \
			0x1d, 0xcd, 0x65, 0x00

static void fetch_request(struct kf_request *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = KF_KIND_FETCH;
	r->n_items = 2;
	strcpy(r->items[0], "db/a");
	strcpy(r->items[1], "tls:b");
	kf_tai64n_from_unix(r->timestamp, 1767225600, 500000000);
}

static void enroll_request(struct kf_request *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = KF_KIND_ENROLL;
	strcpy(r->region, "eu");
	strcpy(r->entity, "host-1");
	memcpy(r->token, "\x00\xfftok", 5);
	r->token_len = 5;
	memset(r->nonce, 0x11, sizeof(r->nonce));
	memset(r->kec_pub, 0x22, sizeof(r->kec_pub));
	kf_tai64n_from_unix(r->timestamp, 1767225600, 500000000);
}

TEST(request_low_order_kec_refused)
{
	struct kf_request r;
	uint8_t buf[512];
	size_t i, len, good_len;

	enroll_request(&r);
	ASSERT_EQ(0, kf_request_encode(&r, buf, sizeof(buf), &good_len));
	for (i = 0; i < TEST_N_LOW_ORDER; i++) {
		memcpy(r.kec_pub, test_low_order[i], 32);
		ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf),
						     &len));
		/* the same bytes made by hand: KEC_PUB comes before the
		 * TIMESTAMP, the last record (4 + 12 bytes) */
		enroll_request(&r);
		ASSERT_EQ(0, kf_request_encode(&r, buf, sizeof(buf), &len));
		memcpy(buf + len - 16 - 32, test_low_order[i], 32);
		ASSERT_EQ(-EPROTO, kf_request_decode(&r, buf, len));
	}
}

TEST(request_fetch_bytes)
{
	static const uint8_t want[] = {
		HDR(1, 1), 0x01,
		HDR(2, 4), 'd', 'b', '/', 'a',
		HDR(2, 5), 't', 'l', 's', ':', 'b',
		HDR(8, 12), TS_BYTES,
	};
	struct kf_request r, q;
	uint8_t buf[256];
	size_t len;

	fetch_request(&r);
	ASSERT_EQ(0, kf_request_encode(&r, buf, sizeof(buf), &len));
	ASSERT_EQ(sizeof(want), len);
	ASSERT_MEM(want, buf, len);
	ASSERT_EQ(0, kf_request_decode(&q, buf, len));
	ASSERT_EQ(0, memcmp(&r, &q, sizeof(r)));
	ASSERT_EQ(-EMSGSIZE, kf_request_encode(&r, buf, len - 1, &len));
}

TEST(request_enroll_round_trip)
{
	struct kf_request r, q;
	uint8_t buf[512];
	size_t len;

	enroll_request(&r);
	ASSERT_EQ(0, kf_request_encode(&r, buf, sizeof(buf), &len));
	ASSERT_EQ((size_t)(5 + 6 + 10 + 9 + 36 + 36 + 16), len);
	ASSERT_EQ(0, kf_request_decode(&q, buf, len));
	ASSERT_EQ(0, memcmp(&r, &q, sizeof(r)));
}

TEST(request_encode_refusals)
{
	struct kf_request r;
	uint8_t buf[8192];
	unsigned int i;
	size_t len;

	fetch_request(&r);
	r.kind = 3;
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	fetch_request(&r);
	r.n_items = 0;
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	r.n_items = KF_MAX_ITEMS + 1;
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	fetch_request(&r);
	strcpy(r.items[1], r.items[0]);
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	strcpy(r.items[1], "a b");
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	enroll_request(&r);
	r.token_len = 0;
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	r.token_len = KF_TOKEN_MAX + 1;
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	enroll_request(&r);
	r.region[0] = '\0';
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	enroll_request(&r);
	r.n_items = 1;
	strcpy(r.items[0], "x");
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	/* a timestamp is required, and must be TAI64N */
	fetch_request(&r);
	memset(r.timestamp, 0, sizeof(r.timestamp));
	ASSERT_EQ(0, kf_request_encode(&r, buf, sizeof(buf), &len));
	r.timestamp[11] = 0;
	r.timestamp[8] = 0x3b;		/* 10^9 ns = 0x3b9aca00 */
	r.timestamp[9] = 0x9a;
	r.timestamp[10] = 0xca;
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	fetch_request(&r);
	r.timestamp[0] = 0x80;		/* a reserved label */
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	enroll_request(&r);
	r.timestamp[0] = 0x80;
	ASSERT_EQ(-EINVAL, kf_request_encode(&r, buf, sizeof(buf), &len));
	/* 16 distinct items of 255 bytes fit, in order */
	memset(&r, 0, sizeof(r));
	r.kind = KF_KIND_FETCH;
	r.n_items = KF_MAX_ITEMS;
	for (i = 0; i < KF_MAX_ITEMS; i++) {
		memset(r.items[i], 'a', KF_NAME_MAX);
		r.items[i][0] = (char)('a' + i);
	}
	ASSERT_EQ(0, kf_request_encode(&r, buf, sizeof(buf), &len));
	ASSERT_EQ((size_t)(5 + KF_MAX_ITEMS * (4 + KF_NAME_MAX) + 16), len);
}

static int req_decode(const uint8_t *buf, size_t len)
{
	struct kf_request r;

	return kf_request_decode(&r, buf, len);
}

#define KIND_F		HDR(1, 1), 1
#define KIND_E		HDR(1, 1), 2
#define ITEM_A		HDR(2, 1), 'a'
#define ITEM_B		HDR(2, 1), 'b'
#define REGION		HDR(3, 1), 'r'
#define ENTITY		HDR(4, 1), 'e'
#define TOKEN		HDR(5, 1), 0
#define B32		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define NONCE		HDR(6, 32), B32
/* the base point, u = 9: a usable public key */
#define KEC		HDR(7, 32), 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define TS		HDR(8, 12), TS_BYTES

TEST(request_decode_rejections)
{
	static const uint8_t fetch[] = { KIND_F, ITEM_A, ITEM_B, TS };
	static const uint8_t enroll[] = { KIND_E, REGION, ENTITY, TOKEN, NONCE,
					  KEC, TS };
	static const uint8_t no_kind[] = { ITEM_A, TS };
	static const uint8_t bad_kind[] = { HDR(1, 1), 3, ITEM_A, TS };
	static const uint8_t kind_len[] = { HDR(1, 2), 0, 1, ITEM_A, TS };
	static const uint8_t no_items[] = { KIND_F, TS };
	static const uint8_t dup_item[] = { KIND_F, ITEM_A, ITEM_A, TS };
	static const uint8_t bad_item[] = { KIND_F, HDR(2, 1), '!', TS };
	static const uint8_t empty_item[] = { KIND_F, HDR(2, 0), TS };
	static const uint8_t fetch_region[] = { KIND_F, ITEM_A, REGION, TS };
	static const uint8_t enroll_item[] = { KIND_E, ITEM_A, REGION, ENTITY,
					       TOKEN, NONCE, KEC, TS };
	static const uint8_t no_nonce[] = { KIND_E, REGION, ENTITY, TOKEN,
					    KEC, TS };
	static const uint8_t no_kec[] = { KIND_E, REGION, ENTITY, TOKEN,
					  NONCE, TS };
	static const uint8_t no_token[] = { KIND_E, REGION, ENTITY, NONCE,
					    KEC, TS };
	static const uint8_t empty_token[] = { KIND_E, REGION, ENTITY,
					       HDR(5, 0), NONCE, KEC, TS };
	static const uint8_t short_nonce[] = { KIND_E, REGION, ENTITY, TOKEN,
					       HDR(6, 31), B32, TS };
	static const uint8_t order[] = { KIND_E, ENTITY, REGION, TOKEN, NONCE,
					 KEC, TS };
	static const uint8_t unknown[] = { KIND_F, ITEM_A, TS, HDR(9, 0) };
	static const uint8_t trailing[] = { KIND_F, ITEM_A, TS, 0 };
	static const uint8_t overrun[] = { KIND_F, HDR(2, 2), 'a' };
	static const uint8_t not_consec[] = { KIND_F, ITEM_A, HDR(3, 1), 'r',
					      ITEM_B, TS };
	static const uint8_t dup_kind[] = { KIND_F, KIND_F, ITEM_A, TS };
	static const uint8_t dup_region[] = { KIND_E, REGION, REGION, ENTITY,
					      TOKEN, NONCE, KEC, TS };
	/* version 2: the timestamp is required, of both kinds */
	static const uint8_t fetch_no_ts[] = { KIND_F, ITEM_A, ITEM_B };
	static const uint8_t enroll_no_ts[] = { KIND_E, REGION, ENTITY, TOKEN,
						NONCE, KEC };
	static const uint8_t ts_len[] = { KIND_F, ITEM_A, HDR(8, 8), B32 };
	static const uint8_t ts_ns[] = { KIND_F, ITEM_A, HDR(8, 12), 0x40, 0,
					 0, 0, 0, 0, 0, 0, 0x3b, 0x9a, 0xca,
					 0x00 };
	static const uint8_t ts_label[] = { KIND_F, ITEM_A, HDR(8, 12), 0x80,
					    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t dup_ts[] = { KIND_F, ITEM_A, TS, TS };
	static const uint8_t ts_first[] = { TS, KIND_F, ITEM_A };

	ASSERT_EQ(0, req_decode(fetch, sizeof(fetch)));
	ASSERT_EQ(0, req_decode(enroll, sizeof(enroll)));
	ASSERT_EQ(-EPROTO, req_decode(fetch, 0));
	ASSERT_EQ(-EPROTO, req_decode(no_kind, sizeof(no_kind)));
	ASSERT_EQ(-EPROTO, req_decode(bad_kind, sizeof(bad_kind)));
	ASSERT_EQ(-EPROTO, req_decode(kind_len, sizeof(kind_len)));
	ASSERT_EQ(-EPROTO, req_decode(no_items, sizeof(no_items)));
	ASSERT_EQ(-EPROTO, req_decode(dup_item, sizeof(dup_item)));
	ASSERT_EQ(-EPROTO, req_decode(bad_item, sizeof(bad_item)));
	ASSERT_EQ(-EPROTO, req_decode(empty_item, sizeof(empty_item)));
	ASSERT_EQ(-EPROTO, req_decode(fetch_region, sizeof(fetch_region)));
	ASSERT_EQ(-EPROTO, req_decode(enroll_item, sizeof(enroll_item)));
	ASSERT_EQ(-EPROTO, req_decode(no_nonce, sizeof(no_nonce)));
	ASSERT_EQ(-EPROTO, req_decode(no_kec, sizeof(no_kec)));
	ASSERT_EQ(-EPROTO, req_decode(no_token, sizeof(no_token)));
	ASSERT_EQ(-EPROTO, req_decode(empty_token, sizeof(empty_token)));
	ASSERT_EQ(-EPROTO, req_decode(short_nonce, sizeof(short_nonce)));
	ASSERT_EQ(-EPROTO, req_decode(order, sizeof(order)));
	ASSERT_EQ(-EPROTO, req_decode(unknown, sizeof(unknown)));
	ASSERT_EQ(-EPROTO, req_decode(trailing, sizeof(trailing)));
	ASSERT_EQ(-EPROTO, req_decode(overrun, sizeof(overrun)));
	ASSERT_EQ(-EPROTO, req_decode(not_consec, sizeof(not_consec)));
	ASSERT_EQ(-EPROTO, req_decode(dup_kind, sizeof(dup_kind)));
	ASSERT_EQ(-EPROTO, req_decode(dup_region, sizeof(dup_region)));
	ASSERT_EQ(-EPROTO, req_decode(fetch_no_ts, sizeof(fetch_no_ts)));
	ASSERT_EQ(-EPROTO, req_decode(enroll_no_ts, sizeof(enroll_no_ts)));
	ASSERT_EQ(-EPROTO, req_decode(ts_len, sizeof(ts_len)));
	ASSERT_EQ(-EPROTO, req_decode(ts_ns, sizeof(ts_ns)));
	ASSERT_EQ(-EPROTO, req_decode(ts_label, sizeof(ts_label)));
	ASSERT_EQ(-EPROTO, req_decode(dup_ts, sizeof(dup_ts)));
	ASSERT_EQ(-EPROTO, req_decode(ts_first, sizeof(ts_first)));
}

TEST(request_too_many_items)
{
	static const uint8_t ts[] = { TS };
	uint8_t buf[5 + 17 * 5 + sizeof(ts)];
	size_t i, off = 0;

	buf[off++] = 0, buf[off++] = 1, buf[off++] = 0, buf[off++] = 1;
	buf[off++] = 1;
	for (i = 0; i < 17; i++) {
		buf[off++] = 0, buf[off++] = 2, buf[off++] = 0, buf[off++] = 1;
		buf[off++] = (uint8_t)('a' + i);
	}
	memcpy(buf + off, ts, sizeof(ts));
	/* 16 items and the timestamp... */
	memmove(buf + off - 5, ts, sizeof(ts));
	ASSERT_EQ(0, req_decode(buf, off - 5 + sizeof(ts)));
	/* ...but not 17 */
	buf[off - 5] = 0, buf[off - 4] = 2, buf[off - 3] = 0;
	buf[off - 2] = 1, buf[off - 1] = 'q';
	memcpy(buf + off, ts, sizeof(ts));
	ASSERT_EQ(-EPROTO, req_decode(buf, off + sizeof(ts)));
}

/* The one request record that is not the same as in version 1. */
TEST(request_timestamp_round_trip)
{
	struct kf_request r, q;
	uint8_t buf[256];
	int64_t sec;
	uint32_t ns;
	size_t len;

	fetch_request(&r);
	kf_tai64n_now(r.timestamp);
	ASSERT_EQ(0, kf_request_encode(&r, buf, sizeof(buf), &len));
	ASSERT_EQ(0, kf_request_decode(&q, buf, len));
	ASSERT_MEM(r.timestamp, q.timestamp, KF_TIMESTAMP_SIZE);
	ASSERT_EQ(0, kf_tai64n_to_unix(q.timestamp, &sec, &ns));
	ASSERT_LT(1767225600, sec);	/* after 2026 began */
}

/* ---- replies ---------------------------------------------------------------- */

static void ok_reply(struct kf_reply *r)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->n_items = 2;
	for (i = 0; i < 2; i++) {
		struct kf_reply_item *it = &r->items[i];

		strcpy(it->name, i ? "b" : "a");
		it->policy_len = 3;
		memset(it->policy, 'p', 3);
		it->sealed_len = KF_SEALED_MIN;
		memset(it->sealed, (int)i, KF_SEALED_MIN);
	}
}

TEST(reply_bytes)
{
	static const uint8_t head[] = {
		HDR(1, 4), 0, 0, 0, 0,
		0x00, 0x03, 0x00, 4 + 1 + 4 + 3 + 4 + KF_SEALED_MIN,
		HDR(1, 1), 'a',
		HDR(3, 3), 'p', 'p', 'p',
		HDR(4, KF_SEALED_MIN),
	};
	struct kf_reply r;
	static struct kf_reply q;
	uint8_t buf[1024];
	size_t len;

	ok_reply(&r);
	ASSERT_EQ(0, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ASSERT_EQ((size_t)(8 + 2 * (4 + 5 + 7 + 4 + KF_SEALED_MIN)), len);
	ASSERT_MEM(head, buf, sizeof(head));
	ASSERT_EQ(0, kf_reply_decode(&q, buf, len));
	ASSERT_EQ(0, memcmp(&r, &q, sizeof(r)));
}

TEST(reply_refusal_and_enroll)
{
	static struct kf_reply r, q;
	uint8_t buf[1024];
	size_t len;

	memset(&r, 0, sizeof(r));
	r.status = KF_STATUS_REVOKED;
	strcpy(r.message, "revoked on 2026-01-01 \xe2\x9c\x97");
	ASSERT_EQ(0, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ASSERT_EQ(0, kf_reply_decode(&q, buf, len));
	ASSERT_EQ(0, memcmp(&r, &q, sizeof(r)));

	memset(&r, 0, sizeof(r));
	strcpy(r.entity, "host-1");
	ASSERT_EQ(0, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ASSERT_EQ((size_t)(8 + 10), len);
	ASSERT_EQ(0, kf_reply_decode(&q, buf, len));
	ASSERT_STREQ("host-1", q.entity);
	ASSERT_EQ(0u, q.n_items);
}

TEST(reply_encode_refusals)
{
	static struct kf_reply r;
	uint8_t buf[2048];
	size_t len;

	ok_reply(&r);
	r.status = 10;
	ASSERT_EQ(-EINVAL, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ok_reply(&r);
	r.status = KF_STATUS_NOT_AVAILABLE;	/* items only on success */
	ASSERT_EQ(-EINVAL, kf_reply_encode(&r, buf, sizeof(buf), &len));
	memset(&r, 0, sizeof(r));
	r.status = 5;			/* gone in version 2 */
	ASSERT_EQ(-EINVAL, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ok_reply(&r);
	strcpy(r.entity, "e");		/* items or entity, not both */
	ASSERT_EQ(-EINVAL, kf_reply_encode(&r, buf, sizeof(buf), &len));
	memset(&r, 0, sizeof(r));	/* success with neither */
	ASSERT_EQ(-EINVAL, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ok_reply(&r);
	strcpy(r.items[1].name, "a");	/* the same item twice */
	ASSERT_EQ(-EINVAL, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ok_reply(&r);
	r.items[0].sealed_len = KF_SEALED_MIN - 1;
	ASSERT_EQ(-EINVAL, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ok_reply(&r);
	r.items[0].policy_len = 0;
	ASSERT_EQ(-EINVAL, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ok_reply(&r);
	strcpy(r.message, "\xc3\x28");	/* not UTF-8 */
	ASSERT_EQ(-EINVAL, kf_reply_encode(&r, buf, sizeof(buf), &len));
	ok_reply(&r);
	ASSERT_EQ(-EMSGSIZE, kf_reply_encode(&r, buf, 100, &len));
}

static int rep_decode(const uint8_t *buf, size_t len)
{
	static struct kf_reply r;

	return kf_reply_decode(&r, buf, len);
}

#define STATUS(s)	HDR(1, 4), 0, 0, 0, (s)
#define B16		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define SEALED80	HDR(4, 80), B32, B32, B16
#define ITEM_REC(n)	HDR(3, 5 + 5 + 84), HDR(1, 1), (n), HDR(3, 1), 'p', \
			SEALED80

TEST(reply_decode_rejections)
{
	static const uint8_t ok[] = { STATUS(0), ITEM_REC('a'), ITEM_REC('b') };
	static const uint8_t refusal[] = { STATUS(4), HDR(2, 2), 'n', 'o' };
	static const uint8_t no_status[] = { ITEM_REC('a') };
	static const uint8_t bad_status[] = { STATUS(10) };
	/* "no such item" of version 1: never sent, so malformed */
	static const uint8_t status5[] = { STATUS(5), HDR(2, 2), 'n', 'o' };
	static const uint8_t status_len[] = { HDR(1, 2), 0, 0, ITEM_REC('a') };
	static const uint8_t items_on_refusal[] = { STATUS(4), ITEM_REC('a') };
	static const uint8_t entity_on_refusal[] = { STATUS(1), HDR(4, 1),
						     'e' };
	static const uint8_t empty_ok[] = { STATUS(0) };
	static const uint8_t both[] = { STATUS(0), ITEM_REC('a'), HDR(4, 1),
					'e' };
	static const uint8_t dup_item[] = { STATUS(0), ITEM_REC('a'),
					    ITEM_REC('a') };
	static const uint8_t empty_msg[] = { STATUS(4), HDR(2, 0) };
	static const uint8_t bad_utf8[] = { STATUS(4), HDR(2, 2), 0xc0, 0x80 };
	static const uint8_t nul_msg[] = { STATUS(4), HDR(2, 1), 0 };
	static const uint8_t surrogate[] = { STATUS(4), HDR(2, 3), 0xed, 0xa0,
					     0x80 };
	static const uint8_t item_no_sealed[] = {
		STATUS(0), HDR(3, 5 + 5), HDR(1, 1), 'a', HDR(3, 1), 'p',
	};
	static const uint8_t item_short_sealed[] = {
		STATUS(0), HDR(3, 5 + 5 + 83), HDR(1, 1), 'a', HDR(3, 1), 'p',
		HDR(4, 79), B32, B32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0,
	};
	/* version 1's VERSION record: unknown in version 2 */
	static const uint8_t item_version[] = {
		STATUS(0), HDR(3, 5 + 12 + 5 + 84), HDR(1, 1), 'a',
		HDR(2, 8), 0, 0, 0, 0, 0, 0, 0, 1, HDR(3, 1), 'p', SEALED80,
	};
	static const uint8_t item_unknown[] = {
		STATUS(0), HDR(3, 5 + 5 + 84 + 4), HDR(1, 1), 'a',
		HDR(3, 1), 'p', SEALED80, HDR(5, 0),
	};
	static const uint8_t item_trailing[] = {
		STATUS(0), HDR(3, 5 + 5 + 84 + 1), HDR(1, 1), 'a',
		HDR(3, 1), 'p', SEALED80, 0,
	};
	static const uint8_t unknown[] = { STATUS(4), HDR(5, 0) };
	static const uint8_t trailing[] = { STATUS(4), 0, 0 };
	static const uint8_t order[] = { HDR(2, 1), 'x', STATUS(4) };
	static const uint8_t dup_status[] = { STATUS(4), STATUS(4) };
	static const uint8_t dup_entity[] = { STATUS(0), HDR(4, 1), 'e',
					      HDR(4, 1), 'e' };
	static const uint8_t dup_item_name[] = {
		STATUS(0), HDR(3, 5 + 5 + 5 + 84), HDR(1, 1), 'a',
		HDR(1, 1), 'b', HDR(3, 1), 'p', SEALED80,
	};

	ASSERT_EQ(0, rep_decode(ok, sizeof(ok)));
	ASSERT_EQ(0, rep_decode(refusal, sizeof(refusal)));
	ASSERT_EQ(-EPROTO, rep_decode(ok, 0));
	ASSERT_EQ(-EPROTO, rep_decode(no_status, sizeof(no_status)));
	ASSERT_EQ(-EPROTO, rep_decode(bad_status, sizeof(bad_status)));
	ASSERT_EQ(-EPROTO, rep_decode(status5, sizeof(status5)));
	ASSERT_EQ(-EPROTO, rep_decode(status_len, sizeof(status_len)));
	ASSERT_EQ(-EPROTO, rep_decode(items_on_refusal,
				      sizeof(items_on_refusal)));
	ASSERT_EQ(-EPROTO, rep_decode(entity_on_refusal,
				      sizeof(entity_on_refusal)));
	ASSERT_EQ(-EPROTO, rep_decode(empty_ok, sizeof(empty_ok)));
	ASSERT_EQ(-EPROTO, rep_decode(both, sizeof(both)));
	ASSERT_EQ(-EPROTO, rep_decode(dup_item, sizeof(dup_item)));
	ASSERT_EQ(-EPROTO, rep_decode(empty_msg, sizeof(empty_msg)));
	ASSERT_EQ(-EPROTO, rep_decode(bad_utf8, sizeof(bad_utf8)));
	ASSERT_EQ(-EPROTO, rep_decode(nul_msg, sizeof(nul_msg)));
	ASSERT_EQ(-EPROTO, rep_decode(surrogate, sizeof(surrogate)));
	ASSERT_EQ(-EPROTO, rep_decode(item_no_sealed, sizeof(item_no_sealed)));
	ASSERT_EQ(-EPROTO, rep_decode(item_short_sealed,
				      sizeof(item_short_sealed)));
	ASSERT_EQ(-EPROTO, rep_decode(item_version, sizeof(item_version)));
	ASSERT_EQ(-EPROTO, rep_decode(item_unknown, sizeof(item_unknown)));
	ASSERT_EQ(-EPROTO, rep_decode(item_trailing, sizeof(item_trailing)));
	ASSERT_EQ(-EPROTO, rep_decode(unknown, sizeof(unknown)));
	ASSERT_EQ(-EPROTO, rep_decode(trailing, sizeof(trailing)));
	ASSERT_EQ(-EPROTO, rep_decode(order, sizeof(order)));
	ASSERT_EQ(-EPROTO, rep_decode(dup_status, sizeof(dup_status)));
	ASSERT_EQ(-EPROTO, rep_decode(dup_entity, sizeof(dup_entity)));
	ASSERT_EQ(-EPROTO, rep_decode(dup_item_name, sizeof(dup_item_name)));
}

/* A cut inside a record is always refused (a cut between records can be
 * a shorter valid reply: the Noise layer authenticates the length). */
TEST(reply_truncations)
{
	static const uint8_t ok[] = { STATUS(0), ITEM_REC('a'), ITEM_REC('b') };
	size_t n, one = 8 + 4 + 94;

	for (n = 0; n < sizeof(ok); n++)
		ASSERT_EQ(n == one ? 0 : -EPROTO, rep_decode(ok, n));
}

TEST(status_table)
{
	static const int want[] = {
		0, -EACCES, -EKEYREVOKED, -EKEYEXPIRED, -EACCES, -EPROTO,
		-EAGAIN, -EPERM, -EPROTO, -EREMOTEIO,
	};
	uint32_t s;

	for (s = 0; s < 10; s++) {
		ASSERT_EQ(want[s], kf_status_errno(s));
		/* 5, "no such item", is not a status any more */
		if (s == 5) {
			ASSERT_STREQ("unknown status", kf_status_name(s));
		} else {
			ASSERT_STRNE("unknown status", kf_status_name(s));
		}
	}
	ASSERT_STREQ("item not available", kf_status_name(4));
	ASSERT_EQ(-EPROTO, kf_status_errno(10));
	ASSERT_EQ(-EPROTO, kf_status_errno(0xffffffff));
	ASSERT_STREQ("unknown status", kf_status_name(10));
	ASSERT_STREQ("ok", kf_status_name(0));
}

TEST_HARNESS_MAIN
