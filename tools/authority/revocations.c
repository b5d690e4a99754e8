// SPDX-License-Identifier: MIT
/*
 * Revocation lists (protocol.md 8.5): the region's revoked entities
 * whose certificates have not yet expired, numbered, with the time of
 * this list and the time by which the authority will have signed the
 * next.  A relying party refuses a list past its next update, so a
 * repository cannot keep serving an old list that misses a revocation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/authority/authority.h"

enum {
	L_VERSION = 1, L_REGION, L_NUMBER, L_THIS_UPDATE, L_NEXT_UPDATE,
	L_ENTRY,
};
enum { N_ENTITY = 1, N_KEI_PUB, N_REVOKED, N_NOT_AFTER };

static int entry_decode(struct kf_revocation *e, const uint8_t *v, size_t len)
{
	struct kf_tlv_reader r;
	const uint8_t *val;
	unsigned int seen = 0;
	uint16_t t;
	size_t n;
	int rc;

	memset(e, 0, sizeof(*e));
	kf_tlv_reader_init(&r, v, len, 0);
	while ((rc = kf_tlv_next(&r, &t, &val, &n)) == 1) {
		if (t == N_ENTITY && kf_name_valid((const char *)val, n,
						   KF_NAME_MAX)) {
			memcpy(e->entity, val, n);
			e->entity[n] = 0;
		} else if (t == N_KEI_PUB && n == KF_KEY_SIZE) {
			memcpy(e->kei_pub, val, n);
		} else if ((t == N_REVOKED || t == N_NOT_AFTER) && n == 8) {
			*(t == N_REVOKED ? &e->revoked : &e->not_after) =
				kf_be(val, 8);
		} else {
			return -EPROTO;
		}
		seen |= 1u << t;
	}
	return rc == 0 && seen == 0x1e ? 0 : -EPROTO;
}

static int header_field(struct kf_revocations *l, uint16_t t,
			const uint8_t *v, size_t n)
{
	switch (t) {
	case L_VERSION:
		l->version = n == 1 ? v[0] : 0;
		return l->version == 1 ? 0 : -EPROTO;
	case L_REGION:
		return kf_field_name(l->region, v, n);
	case L_NUMBER:
		return kf_field_u64(&l->number, v, n);
	case L_THIS_UPDATE:
		return kf_field_u64(&l->this_update, v, n);
	case L_NEXT_UPDATE:
		return kf_field_u64(&l->next_update, v, n);
	default:
		return -EPROTO;
	}
}

int kf_revocations_decode(struct kf_revocations *l, const uint8_t *body,
			  size_t len, char *why, size_t cap)
{
	struct kf_revocation e;
	struct kf_tlv_reader r;
	char last[KF_NAME_MAX + 1] = "";
	const uint8_t *v;
	unsigned int seen = 0;
	uint16_t t;
	size_t n;
	int rc;

	memset(l, 0, sizeof(*l));
	kf_tlv_reader_init(&r, body, len, 1u << L_ENTRY);
	while ((rc = kf_tlv_next(&r, &t, &v, &n)) == 1) {
		if (t != L_ENTRY) {
			if (header_field(l, t, v, n))
				goto bad;
		} else {
			/* Ascending entity names, each once: canonical. */
			if (entry_decode(&e, v, n) ||
			    (l->n && strcmp(last, e.entity) >= 0))
				goto bad;
			snprintf(last, sizeof(last), "%s", e.entity);
			if (!l->n)
				l->entries = v - 4;
			l->entries_len = (size_t)(v + n - l->entries);
			l->n++;
		}
		seen |= 1u << t;
	}
	if (rc || (seen | 1u << L_ENTRY) != 0x7e || !l->number ||
	    l->next_update <= l->this_update)
		goto bad;
	return 0;
bad:
	snprintf(why, cap, "revocation list: malformed, a field missing, "
		 "entries out of order, or next update not after this one");
	return -EPROTO;
}

void kf_revocation_iter_init(struct kf_revocation_iter *it,
			     const struct kf_revocations *l)
{
	kf_tlv_reader_init(&it->r, l->entries, l->entries_len, 1u << L_ENTRY);
}

int kf_revocation_next(struct kf_revocation_iter *it, struct kf_revocation *e)
{
	const uint8_t *v;
	uint16_t t;
	size_t n;
	int rc = kf_tlv_next(&it->r, &t, &v, &n);

	if (rc != 1)
		return rc;
	return t == L_ENTRY && !entry_decode(e, v, n) ? 1 : -EPROTO;
}

void kf_revocations_begin(struct kf_tlv_writer *w,
			  const struct kf_revocations *l)
{
	kf_tlv_put_u8(w, L_VERSION, 1);
	kf_tlv_put_str(w, L_REGION, l->region);
	kf_tlv_put_u64(w, L_NUMBER, l->number);
	kf_tlv_put_u64(w, L_THIS_UPDATE, l->this_update);
	kf_tlv_put_u64(w, L_NEXT_UPDATE, l->next_update);
}

void kf_revocation_put(struct kf_tlv_writer *w, const struct kf_revocation *e)
{
	uint8_t buf[4 * 4 + KF_NAME_MAX + KF_KEY_SIZE + 16];
	struct kf_tlv_writer ew;
	long n;

	kf_tlv_init(&ew, buf, sizeof(buf));
	kf_tlv_put_str(&ew, N_ENTITY, e->entity);
	kf_tlv_put(&ew, N_KEI_PUB, e->kei_pub, KF_KEY_SIZE);
	kf_tlv_put_u64(&ew, N_REVOKED, e->revoked);
	kf_tlv_put_u64(&ew, N_NOT_AFTER, e->not_after);
	n = kf_tlv_finish(&ew);
	if (n < 0)
		w->error = w->error ?: (int)n;
	else
		kf_tlv_put(w, L_ENTRY, buf, (size_t)n);
}
