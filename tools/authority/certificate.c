// SPDX-License-Identifier: MIT
/*
 * Entity certificates (protocol.md 8.4): the authority's binding of an
 * entity's name in a region to its Kei-pub and Kec-pub for a time, the
 * Guardian's binding of the design (section 3.3), checkable by anyone
 * who holds the authority's public keys.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/authority/authority.h"

enum {
	C_VERSION = 1, C_REGION, C_ENTITY, C_KEI_PUB, C_KEC_PUB, C_SERIAL,
	C_NOT_BEFORE, C_NOT_AFTER,
};

int kf_certificate_encode(const struct kf_certificate *c, uint8_t *buf,
			  size_t cap, size_t *len)
{
	struct kf_tlv_writer w;
	long n;

	if (c->not_before >= c->not_after)
		return -EINVAL;
	kf_tlv_init(&w, buf, cap);
	kf_tlv_put_u8(&w, C_VERSION, 1);
	kf_tlv_put_str(&w, C_REGION, c->region);
	kf_tlv_put_str(&w, C_ENTITY, c->entity);
	kf_tlv_put(&w, C_KEI_PUB, c->kei_pub, KF_KEY_SIZE);
	kf_tlv_put(&w, C_KEC_PUB, c->kec_pub, KF_KEY_SIZE);
	kf_tlv_put_u64(&w, C_SERIAL, c->serial);
	kf_tlv_put_u64(&w, C_NOT_BEFORE, c->not_before);
	kf_tlv_put_u64(&w, C_NOT_AFTER, c->not_after);
	n = kf_tlv_finish(&w);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

static int field(struct kf_certificate *c, uint16_t t, const uint8_t *v,
		 size_t n)
{
	switch (t) {
	case C_VERSION:
		c->version = n == 1 ? v[0] : 0;
		return c->version == 1 ? 0 : -EPROTO;
	case C_REGION:
		return kf_field_name(c->region, v, n);
	case C_ENTITY:
		return kf_field_name(c->entity, v, n);
	case C_KEI_PUB: case C_KEC_PUB:
		if (n != KF_KEY_SIZE)
			return -EPROTO;
		memcpy(t == C_KEI_PUB ? c->kei_pub : c->kec_pub, v, n);
		return 0;
	case C_SERIAL:
		return kf_field_u64(&c->serial, v, n);
	case C_NOT_BEFORE:
		return kf_field_u64(&c->not_before, v, n);
	case C_NOT_AFTER:
		return kf_field_u64(&c->not_after, v, n);
	default:
		return -EPROTO;
	}
}

int kf_certificate_decode(struct kf_certificate *c, const uint8_t *body,
			  size_t len, char *why, size_t cap)
{
	struct kf_tlv_reader r;
	const uint8_t *v;
	unsigned int seen = 0;
	uint16_t t;
	size_t n;
	int rc;

	memset(c, 0, sizeof(*c));
	kf_tlv_reader_init(&r, body, len, 0);
	while ((rc = kf_tlv_next(&r, &t, &v, &n)) == 1) {
		if (field(c, t, v, n)) {
			snprintf(why, cap, "certificate: field %u is malformed",
				 (unsigned int)t);
			return -EPROTO;
		}
		seen |= 1u << t;
	}
	if (rc || seen != 0x1fe) {
		snprintf(why, cap, "certificate: malformed, or a field is "
			 "missing");
		return -EPROTO;
	}
	if (c->not_before >= c->not_after) {
		snprintf(why, cap, "certificate: not-before is not before "
			 "not-after");
		return -EPROTO;
	}
	return 0;
}
