// SPDX-License-Identifier: MIT
/*
 * Item requests (protocol.md 8.6): put an owner's sealed item into a
 * data set, or delete items, signed by the region's authority or by the
 * administrators of a group that administers the data set.  They are not
 * part of the region's chain of statements (owners put items often and
 * concurrently); a random nonce and the expiry make each request apply
 * at most once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/authority/authority.h"

enum {
	I_VERSION = 1, I_REGION, I_ISSUED, I_EXPIRES, I_NONCE, I_ACTION,
	I_DATASET, I_ITEM, I_ENTITY, I_GROUP, I_ITEM_VERSION, I_POLICY,
	I_SEALED,
};
#define F(x)	(1u << (x))

int kf_item_request_encode(const struct kf_item_request *r, uint8_t *buf,
			   size_t cap, size_t *len)
{
	struct kf_tlv_writer w;
	long n;

	kf_tlv_init(&w, buf, cap);
	kf_tlv_put_u8(&w, I_VERSION, 1);
	kf_tlv_put_str(&w, I_REGION, r->region);
	kf_tlv_put_u64(&w, I_ISSUED, r->issued);
	kf_tlv_put_u64(&w, I_EXPIRES, r->expires);
	kf_tlv_put(&w, I_NONCE, r->nonce, sizeof(r->nonce));
	kf_tlv_put_u8(&w, I_ACTION, r->action);
	if (r->dataset[0])
		kf_tlv_put_str(&w, I_DATASET, r->dataset);
	kf_tlv_put_str(&w, I_ITEM, r->item);
	if (r->entity[0])
		kf_tlv_put_str(&w, I_ENTITY, r->entity);
	if (r->group[0])
		kf_tlv_put_str(&w, I_GROUP, r->group);
	if (r->item_version)
		kf_tlv_put_u64(&w, I_ITEM_VERSION, r->item_version);
	if (r->policy_len)
		kf_tlv_put(&w, I_POLICY, r->policy, r->policy_len);
	if (r->sealed_len)
		kf_tlv_put(&w, I_SEALED, r->sealed, r->sealed_len);
	n = kf_tlv_finish(&w);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

static char *name_field(struct kf_item_request *r, uint16_t t)
{
	switch (t) {
	case I_REGION: return r->region;
	case I_DATASET: return r->dataset;
	case I_ITEM: return r->item;
	case I_ENTITY: return r->entity;
	case I_GROUP: return r->group;
	default: return NULL;
	}
}

static int field(struct kf_item_request *r, uint16_t t, const uint8_t *v,
		 size_t n)
{
	char *name = name_field(r, t);

	if (name)
		return kf_field_name(name, v, n);
	switch (t) {
	case I_VERSION:
		r->version = n == 1 ? v[0] : 0;
		return r->version == 1 ? 0 : -EPROTO;
	case I_ACTION:
		r->action = n == 1 ? v[0] : 0;
		return r->action == KF_ITEM_PUT || r->action == KF_ITEM_DELETE ?
		       0 : -EPROTO;
	case I_NONCE:
		if (n != sizeof(r->nonce))
			return -EPROTO;
		memcpy(r->nonce, v, n);
		return 0;
	case I_ISSUED:
		return kf_field_u64(&r->issued, v, n);
	case I_EXPIRES:
		return kf_field_u64(&r->expires, v, n);
	case I_ITEM_VERSION:
		return kf_field_u64(&r->item_version, v, n);
	case I_POLICY:
		if (!n || n > KF_POLICY_MAX)
			return -EPROTO;
		r->policy = v;
		r->policy_len = n;
		return 0;
	case I_SEALED:
		if (!n || n > KF_SEALED_MAX)
			return -EPROTO;
		r->sealed = v;
		r->sealed_len = n;
		return 0;
	default:
		return -EPROTO;
	}
}

static int check(const struct kf_item_request *r, uint32_t seen, char *why,
		 size_t cap)
{
	const uint32_t base = F(I_VERSION) | F(I_REGION) | F(I_ISSUED) |
			      F(I_EXPIRES) | F(I_NONCE) | F(I_ACTION) |
			      F(I_ITEM);
	const uint32_t put = F(I_DATASET) | F(I_POLICY) | F(I_SEALED);

	if ((seen & base) != base) {
		snprintf(why, cap, "item request: a field is missing");
		return -EPROTO;
	}
	if (r->action == KF_ITEM_PUT &&
	    ((seen & put) != put || !(seen & (F(I_ENTITY) | F(I_GROUP))))) {
		snprintf(why, cap, "item request: a put names a data set, a "
			 "recipient, a policy and a sealed item");
		return -EPROTO;
	}
	if (r->action == KF_ITEM_DELETE && (seen & put)) {
		snprintf(why, cap, "item request: a delete carries no data "
			 "set, policy or sealed item");
		return -EPROTO;
	}
	if (r->action == KF_ITEM_PUT && (seen & F(I_ITEM_VERSION)) &&
	    !r->item_version) {
		snprintf(why, cap, "item request: versions start at 1");
		return -EPROTO;
	}
	if (r->expires <= r->issued ||
	    r->expires - r->issued > KF_STATEMENT_LIFETIME_MAX) {
		snprintf(why, cap, "item request: it must expire after it is "
			 "issued, within %d days",
			 KF_STATEMENT_LIFETIME_MAX / 86400);
		return -EPROTO;
	}
	return 0;
}

int kf_item_request_decode(struct kf_item_request *r, const uint8_t *body,
			   size_t len, char *why, size_t cap)
{
	struct kf_tlv_reader rd;
	const uint8_t *v;
	uint32_t seen = 0;
	uint16_t t;
	size_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	kf_tlv_reader_init(&rd, body, len, 0);
	while ((rc = kf_tlv_next(&rd, &t, &v, &n)) == 1) {
		if (field(r, t, v, n)) {
			snprintf(why, cap, "item request: field %u is "
				 "malformed", (unsigned int)t);
			return -EPROTO;
		}
		seen |= F(t);
	}
	if (rc) {
		snprintf(why, cap, "item request: malformed");
		return -EPROTO;
	}
	return check(r, seen, why, cap);
}
