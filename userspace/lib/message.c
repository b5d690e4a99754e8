// SPDX-License-Identifier: MIT
/*
 * Request and reply payloads (docs/protocol.md section 5).  Encoders refuse
 * (-EINVAL) anything the decoders would refuse (-EPROTO), so a payload made
 * here is always one a strict peer accepts, and a payload accepted here has
 * exactly one encoding.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"

enum {
	REQ_KIND = 1,
	REQ_ITEM_NAME,
	REQ_REGION,
	REQ_ENTITY,
	REQ_TOKEN,
	REQ_NONCE,
	REQ_KEC_PUB,
	REQ_TIMESTAMP,
};
enum { REP_STATUS = 1, REP_MESSAGE, REP_ITEM, REP_ENTITY };
/* Type 2 (VERSION in version 1) is gone: the version is sealed. */
enum { ITEM_NAME = 1, ITEM_POLICY = 3, ITEM_SEALED = 4 };

#define BIT(t)			(1u << (t))
#define REQ_FETCH_SEEN		(BIT(REQ_KIND) | BIT(REQ_ITEM_NAME) | \
				 BIT(REQ_TIMESTAMP))
#define REQ_ENROLL_SEEN		(BIT(REQ_KIND) | BIT(REQ_REGION) | \
				 BIT(REQ_ENTITY) | BIT(REQ_TOKEN) | \
				 BIT(REQ_NONCE) | BIT(REQ_KEC_PUB) | \
				 BIT(REQ_TIMESTAMP))
#define ITEM_ALL_SEEN		(BIT(ITEM_NAME) | BIT(ITEM_POLICY) | \
				 BIT(ITEM_SEALED))
/* The largest payloads that still fit a message (section 3). */
#define REQUEST_MAX		(KF_MESSAGE_MAX - KF_MSG1_MIN)
#define REPLY_MAX		(KF_MESSAGE_MAX - KF_MSG2_MIN)
#define ITEM_TLV_MAX		(4 + KF_NAME_MAX + 4 + KF_POLICY_MAX + 4 + \
				 KF_SEALED_MAX)

/* ---- status codes (section 5.3) ------------------------------------------ */

static const struct {
	const char *name;
	int err;
} statuses[] = {
	[KF_STATUS_OK] = { "ok", 0 },
	[KF_STATUS_UNKNOWN_ENTITY] = { "unknown entity", -EACCES },
	[KF_STATUS_REVOKED] = { "entity revoked", -EKEYREVOKED },
	[KF_STATUS_NOT_VALID] = { "entity not valid now", -EKEYEXPIRED },
	[KF_STATUS_NOT_AVAILABLE] = { "item not available", -EACCES },
	/* 5: "no such item" in version 1, never sent since (section 5.3) */
	[KF_STATUS_RATE_LIMITED] = { "rate limited", -EAGAIN },
	[KF_STATUS_BAD_TOKEN] = { "bad enrollment token or nonce", -EPERM },
	[KF_STATUS_BAD_REQUEST] = { "bad request", -EPROTO },
	[KF_STATUS_INTERNAL] = { "distributor internal error", -EREMOTEIO },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define N_STATUSES	ARRAY_SIZE(statuses)

/* A status this version sends and understands (5 no longer is one). */
static bool status_known(uint64_t status)
{
	return status < N_STATUSES && statuses[status].name;
}

const char *kf_status_name(uint32_t status)
{
	return status_known(status) ? statuses[status].name : "unknown status";
}

int kf_status_errno(uint32_t status)
{
	return status_known(status) ? statuses[status].err : -EPROTO;
}

/* ---- helpers ------------------------------------------------------------------ */

/* A C string that is a valid name of at most max bytes. */
static bool str_name_ok(const char *s, size_t max)
{
	return kf_name_valid(s, strnlen(s, max + 1), max);
}

static int copy_name(char *dst, const uint8_t *v, size_t n, size_t max)
{
	if (!kf_name_valid((const char *)v, n, max))
		return -EPROTO;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/*
 * Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF) without NUL, which could not survive the C string.
 */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, k, more;
	uint32_t cp, min;

	while (i < n) {
		uint8_t c = s[i++];

		if (!c)
			return false;
		if (c < 0x80)
			continue;
		/* the lead byte gives the length and the smallest value */
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			min = 0x10000;
		} else {
			return false;
		}
		cp = c & (0x3f >> more);
		if (n - i < more)
			return false;
		for (k = 0; k < more; k++, i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/*
 * A Kec-pub nothing could ever be sealed to: a point of small order, which
 * any clamped scalar (a multiple of 8) sends to zero.
 */
static bool key_usable(const uint8_t pub[KF_KEY_SIZE])
{
	static const uint8_t scalar[KF_KEY_SIZE] = { 8 };
	uint8_t out[KF_KEY_SIZE];
	int ret = kf_x25519(out, scalar, pub);

	kf_wipe(out, sizeof(out));
	return ret == 0;
}

static bool name_listed(char names[][KF_NAME_MAX + 1], unsigned int n,
			const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static long finish(struct kf_tlv_writer *w, size_t *len)
{
	long n = kf_tlv_finish(w);

	if (n >= 0)
		*len = (size_t)n;
	return n < 0 ? n : 0;
}

/* ---- request (section 5.1) ---------------------------------------------------- */

static int request_check(const struct kf_request *r)
{
	char seen[KF_MAX_ITEMS][KF_NAME_MAX + 1];
	unsigned int i;

	if (!kf_tai64n_valid(r->timestamp))
		return -EINVAL;
	if (r->kind == KF_KIND_ENROLL)
		return !r->n_items && str_name_ok(r->region, KF_NAME_MAX) &&
		       str_name_ok(r->entity, KF_NAME_MAX) &&
		       r->token_len >= 1 && r->token_len <= KF_TOKEN_MAX &&
		       key_usable(r->kec_pub) ? 0 : -EINVAL;
	if (r->kind != KF_KIND_FETCH || !r->n_items ||
	    r->n_items > KF_MAX_ITEMS)
		return -EINVAL;
	/* A repeated name could never get one reply item per request. */
	for (i = 0; i < r->n_items; i++) {
		if (!str_name_ok(r->items[i], KF_NAME_MAX) ||
		    name_listed(seen, i, r->items[i]))
			return -EINVAL;
		strcpy(seen[i], r->items[i]);
	}
	return 0;
}

int kf_request_encode(const struct kf_request *r, uint8_t *buf, size_t cap,
		      size_t *len)
{
	struct kf_tlv_writer w;
	unsigned int i;
	int ret;

	if (!r || !buf || !len)
		return -EINVAL;
	ret = request_check(r);
	if (ret)
		return ret;
	kf_tlv_init(&w, buf, cap < REQUEST_MAX ? cap : REQUEST_MAX);
	kf_tlv_put_u8(&w, REQ_KIND, r->kind);
	if (r->kind == KF_KIND_FETCH) {
		for (i = 0; i < r->n_items; i++)
			kf_tlv_put_str(&w, REQ_ITEM_NAME, r->items[i]);
	} else {
		kf_tlv_put_str(&w, REQ_REGION, r->region);
		kf_tlv_put_str(&w, REQ_ENTITY, r->entity);
		kf_tlv_put(&w, REQ_TOKEN, r->token, r->token_len);
		kf_tlv_put(&w, REQ_NONCE, r->nonce, KF_NONCE_SIZE);
		kf_tlv_put(&w, REQ_KEC_PUB, r->kec_pub, KF_KEY_SIZE);
	}
	kf_tlv_put(&w, REQ_TIMESTAMP, r->timestamp, KF_TIMESTAMP_SIZE);
	return (int)finish(&w, len);
}

/*
 * Feed each record of a payload to fn, in order, under the strict TLV
 * rules (repeatable: the types that may repeat); the types met go into
 * *seen, for the caller's check of which records a message must have.
 */
static int decode_records(const uint8_t *buf, size_t len, uint32_t repeatable,
			  int (*fn)(void *obj, uint16_t type, const uint8_t *v, size_t n),
			  void *obj, uint32_t *seen)
{
	struct kf_tlv_reader rd;
	const uint8_t *v;
	uint16_t type;
	size_t n;
	int ret;

	*seen = 0;
	kf_tlv_reader_init(&rd, buf, len, repeatable);
	while ((ret = kf_tlv_next(&rd, &type, &v, &n)) > 0) {
		ret = fn(obj, type, v, n);
		if (ret)
			return ret;
		*seen |= BIT(type);
	}
	return ret;
}

static int request_record(void *obj, uint16_t type, const uint8_t *v, size_t n)
{
	struct kf_request *r = obj;
	char name[KF_NAME_MAX + 1];

	switch (type) {
	case REQ_KIND:
		if (n != 1 || (v[0] != KF_KIND_FETCH && v[0] != KF_KIND_ENROLL))
			return -EPROTO;
		r->kind = v[0];
		return 0;
	case REQ_ITEM_NAME:
		if (r->n_items == KF_MAX_ITEMS ||
		    copy_name(name, v, n, KF_NAME_MAX) ||
		    name_listed(r->items, r->n_items, name))
			return -EPROTO;
		strcpy(r->items[r->n_items++], name);
		return 0;
	case REQ_REGION:
		return copy_name(r->region, v, n, KF_NAME_MAX);
	case REQ_ENTITY:
		return copy_name(r->entity, v, n, KF_NAME_MAX);
	case REQ_TOKEN:
		if (n < 1 || n > KF_TOKEN_MAX)
			return -EPROTO;
		memcpy(r->token, v, n);
		r->token_len = n;
		return 0;
	case REQ_NONCE:
		if (n != KF_NONCE_SIZE)
			return -EPROTO;
		memcpy(r->nonce, v, n);
		return 0;
	case REQ_KEC_PUB:
		if (n != KF_KEY_SIZE || !key_usable(v))
			return -EPROTO;
		memcpy(r->kec_pub, v, n);
		return 0;
	case REQ_TIMESTAMP:
		if (n != KF_TIMESTAMP_SIZE || !kf_tai64n_valid(v))
			return -EPROTO;
		memcpy(r->timestamp, v, n);
		return 0;
	}
	return -EPROTO;
}

int kf_request_decode(struct kf_request *r, const uint8_t *buf, size_t len)
{
	uint32_t seen;
	int ret;

	if (!r || (!buf && len))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (len > REQUEST_MAX)
		return -EPROTO;
	ret = decode_records(buf, len, BIT(REQ_ITEM_NAME), request_record, r, &seen);
	if (ret)
		goto fail;
	/* Exactly the records of the kind: required ones, no others. */
	ret = -EPROTO;
	if (r->kind == KF_KIND_FETCH && seen != REQ_FETCH_SEEN)
		goto fail;
	if (r->kind == KF_KIND_ENROLL && seen != REQ_ENROLL_SEEN)
		goto fail;
	if (!r->kind)
		goto fail;
	return 0;
fail:
	kf_wipe(r, sizeof(*r));
	return ret;
}

/* ---- reply (section 5.2) ------------------------------------------------------ */

static bool item_ok(const struct kf_reply_item *it)
{
	return str_name_ok(it->name, KF_NAME_MAX) &&
	       it->policy_len >= 1 && it->policy_len <= KF_POLICY_MAX &&
	       it->sealed_len >= KF_SEALED_MIN &&
	       it->sealed_len <= KF_SEALED_MAX;
}

/*
 * Which records go with which status: items only on success of a fetch,
 * the entity name only on success of an enrollment, and a success is
 * exactly one of the two.
 */
static bool reply_shape_ok(uint32_t status, unsigned int n_items,
			   bool has_entity)
{
	if (status != KF_STATUS_OK)
		return !n_items && !has_entity;
	return !n_items != !has_entity;
}

static int reply_check(const struct kf_reply *r)
{
	char seen[KF_MAX_ITEMS][KF_NAME_MAX + 1];
	size_t mlen = strnlen(r->message, KF_STATUS_TEXT_MAX + 1);
	unsigned int i;

	if (!status_known(r->status) || mlen > KF_STATUS_TEXT_MAX ||
	    !utf8_ok((const uint8_t *)r->message, mlen) ||
	    r->n_items > KF_MAX_ITEMS)
		return -EINVAL;
	if (r->entity[0] && !str_name_ok(r->entity, KF_NAME_MAX))
		return -EINVAL;
	if (!reply_shape_ok(r->status, r->n_items, r->entity[0]))
		return -EINVAL;
	for (i = 0; i < r->n_items; i++) {
		if (!item_ok(&r->items[i]) ||
		    name_listed(seen, i, r->items[i].name))
			return -EINVAL;
		strcpy(seen[i], r->items[i].name);
	}
	return 0;
}

static int item_encode(struct kf_tlv_writer *w, const struct kf_reply_item *it)
{
	uint8_t buf[ITEM_TLV_MAX];
	struct kf_tlv_writer iw;
	long n;

	kf_tlv_init(&iw, buf, sizeof(buf));
	kf_tlv_put_str(&iw, ITEM_NAME, it->name);
	kf_tlv_put(&iw, ITEM_POLICY, it->policy, it->policy_len);
	kf_tlv_put(&iw, ITEM_SEALED, it->sealed, it->sealed_len);
	n = kf_tlv_finish(&iw);
	if (n < 0)
		return (int)n;
	kf_tlv_put(w, REP_ITEM, buf, (size_t)n);
	return 0;
}

int kf_reply_encode(const struct kf_reply *r, uint8_t *buf, size_t cap,
		    size_t *len)
{
	struct kf_tlv_writer w;
	unsigned int i;
	int ret;

	if (!r || !buf || !len)
		return -EINVAL;
	ret = reply_check(r);
	if (ret)
		return ret;
	kf_tlv_init(&w, buf, cap < REPLY_MAX ? cap : REPLY_MAX);
	kf_tlv_put_u32(&w, REP_STATUS, r->status);
	if (r->message[0])
		kf_tlv_put_str(&w, REP_MESSAGE, r->message);
	for (i = 0; i < r->n_items && !ret; i++)
		ret = item_encode(&w, &r->items[i]);
	if (ret)
		return ret;
	if (r->entity[0])
		kf_tlv_put_str(&w, REP_ENTITY, r->entity);
	return (int)finish(&w, len);
}

static int item_record(struct kf_reply_item *it, uint16_t type,
		       const uint8_t *v, size_t n)
{
	switch (type) {
	case ITEM_NAME:
		return copy_name(it->name, v, n, KF_NAME_MAX);
	case ITEM_POLICY:
		if (n < 1 || n > KF_POLICY_MAX)
			return -EPROTO;
		memcpy(it->policy, v, n);
		it->policy_len = n;
		return 0;
	case ITEM_SEALED:
		if (n < KF_SEALED_MIN || n > KF_SEALED_MAX)
			return -EPROTO;
		memcpy(it->sealed, v, n);
		it->sealed_len = n;
		return 0;
	}
	return -EPROTO;
}

static int item_decode(struct kf_reply_item *it, const uint8_t *buf,
		       size_t len)
{
	struct kf_tlv_reader rd;
	const uint8_t *v;
	uint32_t seen = 0;
	uint16_t type;
	size_t n;
	int ret;

	kf_tlv_reader_init(&rd, buf, len, 0);
	while ((ret = kf_tlv_next(&rd, &type, &v, &n)) > 0) {
		ret = item_record(it, type, v, n);
		if (ret)
			return ret;
		seen |= BIT(type);
	}
	if (ret)
		return ret;
	return seen == ITEM_ALL_SEEN ? 0 : -EPROTO;
}

static int reply_record(void *obj, uint16_t type, const uint8_t *v, size_t n)
{
	struct kf_reply *r = obj;
	struct kf_reply_item *it;
	unsigned int i;

	switch (type) {
	case REP_STATUS:
		if (n != 4 || !status_known(kf_get_be(v, 4)))
			return -EPROTO;
		r->status = (uint32_t)kf_get_be(v, 4);
		return 0;
	case REP_MESSAGE:
		/* Empty would be the same as absent: not canonical. */
		if (n < 1 || n > KF_STATUS_TEXT_MAX || !utf8_ok(v, n))
			return -EPROTO;
		memcpy(r->message, v, n);
		r->message[n] = '\0';
		return 0;
	case REP_ITEM:
		if (r->n_items == KF_MAX_ITEMS)
			return -EPROTO;
		it = &r->items[r->n_items];
		if (item_decode(it, v, n))
			return -EPROTO;
		for (i = 0; i < r->n_items; i++)
			if (!strcmp(r->items[i].name, it->name))
				return -EPROTO;
		r->n_items++;
		return 0;
	case REP_ENTITY:
		return copy_name(r->entity, v, n, KF_NAME_MAX);
	}
	return -EPROTO;
}

int kf_reply_decode(struct kf_reply *r, const uint8_t *buf, size_t len)
{
	uint32_t seen;
	int ret;

	if (!r || (!buf && len))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (len > REPLY_MAX)
		return -EPROTO;
	ret = decode_records(buf, len, BIT(REP_ITEM), reply_record, r, &seen);
	if (ret)
		goto fail;
	ret = -EPROTO;
	if (!(seen & BIT(REP_STATUS)) ||
	    !reply_shape_ok(r->status, r->n_items, seen & BIT(REP_ENTITY)))
		goto fail;
	return 0;
fail:
	memset(r, 0, sizeof(*r));
	return ret;
}
