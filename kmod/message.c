// SPDX-License-Identifier: GPL-2.0
/*
 * The payloads of docs/protocol.md section 5 (the reply of message 2, its
 * items) and the header of a sealed item (section 4).  Parsers only: they
 * point into the caller's buffer and allocate nothing.  The request of
 * message 1 is built by transfer.c with kf_tlv_put().
 */
#include <linux/string.h>
#include "keyferry.h"

enum {
	KF_R_STATUS = 1,
	KF_R_MESSAGE = 2,
	KF_R_ITEM = 3,
	KF_R_ENTITY_NAME = 4,
	KF_R_MAX = KF_R_ENTITY_NAME,
};

static const struct kf_tlv_rule kf_reply_rules[KF_R_MAX + 1] = {
	[KF_R_STATUS] = { 4, 4, KF_TLV_REQUIRED },
	[KF_R_MESSAGE] = { 0, KF_STATUS_TEXT_MAX, 0 },
	[KF_R_ITEM] = { 1, U16_MAX, KF_TLV_MULTI },
	[KF_R_ENTITY_NAME] = { 1, KEYFERRY_NAME_MAX, KF_TLV_NAME },
};

/* Type 2 (VERSION in version 1) is gone: the owner binds the version. */
enum {
	KF_I_NAME = 1,
	KF_I_POLICY = 3,
	KF_I_SEALED = 4,
	KF_I_MAX = KF_I_SEALED,
};

static const struct kf_tlv_rule kf_item_rules[KF_I_MAX + 1] = {
	[KF_I_NAME] = { 1, KEYFERRY_NAME_MAX, KF_TLV_REQUIRED | KF_TLV_NAME },
	[KF_I_POLICY] = { 1, KF_POLICY_MAX, KF_TLV_REQUIRED },
	[KF_I_SEALED] = { KF_SEALED_MIN, KF_SEALED_MAX, KF_TLV_REQUIRED },
};

/* -EPROTO for anything malformed, items included. */
int kf_reply_parse(const u8 *buf, size_t len, struct kf_reply *r)
{
	struct kf_tlv_field f[KF_R_MAX + 1], fi[KF_I_MAX + 1];
	unsigned int i;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = kf_tlv_parse(buf, len, kf_reply_rules, KF_R_MAX, f, -EPROTO);
	if (ret)
		return ret;
	r->status = get_unaligned_be32(f[KF_R_STATUS].val);
	if (f[KF_R_ITEM].count > KEYFERRY_MAX_ITEMS)
		return -EPROTO;
	if (f[KF_R_ITEM].count && r->status)
		return -EPROTO;
	for (i = 0; i < f[KF_R_ITEM].count; i++) {
		struct kf_reply_item *it = &r->items[i];
		const u8 *v;
		u16 l;

		kf_tlv_nth(&f[KF_R_ITEM], i, &v, &l);
		ret = kf_tlv_parse(v, l, kf_item_rules, KF_I_MAX, fi, -EPROTO);
		if (ret)
			return ret;
		it->name = fi[KF_I_NAME].val;
		it->name_len = fi[KF_I_NAME].len;
		it->policy = fi[KF_I_POLICY].val;
		it->policy_len = fi[KF_I_POLICY].len;
		it->sealed = fi[KF_I_SEALED].val;
		it->sealed_len = fi[KF_I_SEALED].len;
	}
	r->n_items = f[KF_R_ITEM].count;
	if (f[KF_R_ENTITY_NAME].count) {
		r->entity = f[KF_R_ENTITY_NAME].val;
		r->entity_len = f[KF_R_ENTITY_NAME].len;
	}
	return 0;
}

/*
 * Section 5.3; an unknown status is malformed, and so is 5 (version 1's
 * "no such item", folded into 4 so that an entity cannot list names).
 */
int kf_status_errno(u32 status)
{
	static const int map[] = {
		[0] = 0,
		[1] = -EACCES,
		[KF_STATUS_REVOKED] = -EKEYREVOKED,
		[3] = -EKEYEXPIRED,
		[4] = -EACCES,
		[5] = -EPROTO,
		[6] = -EAGAIN,
		[7] = -EPERM,
		[8] = -EPROTO,
		[9] = -EREMOTEIO,
	};

	if (status >= ARRAY_SIZE(map))
		return -EPROTO;
	return map[status];
}

/*
 * The KFS2 header (section 4), checks only (-EPROTO): magic, reserved
 * bytes, algorithm, the zero kids of alg 2, a version in 1 .. 2^63 - 1.
 * Whose keys the kids name is for the caller.
 */
int kf_sealed_parse(const u8 *buf, size_t len, struct kf_sealed *s)
{
	static const u8 zero[2 * KF_KID_SIZE];

	if (len < KF_SEALED_MIN || len > KF_SEALED_MAX)
		return -EPROTO;
	if (memcmp(buf, "KFS2", 4) || buf[5] || buf[6] || buf[7])
		return -EPROTO;
	s->alg = buf[4];
	s->kid = buf + 8;
	s->owner_kid = buf + 16;
	s->version = get_unaligned_be64(buf + 24);
	s->enc = buf + 32;
	s->ct = buf + KF_SEALED_HEADER;
	s->ct_len = len - KF_SEALED_HEADER;
	if (!s->version || s->version > S64_MAX)
		return -EPROTO;
	switch (s->alg) {
	case KF_SEAL_HPKE:
		return 0;
	case KF_SEAL_WRAP:
		/* kids are not secret: memcmp is fine */
		return memcmp(s->kid, zero, sizeof(zero)) ? -EPROTO : 0;
	default:
		return -EPROTO;
	}
}
