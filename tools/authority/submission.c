// SPDX-License-Identifier: MIT
/*
 * Submissions (protocol.md 8.7): what a member sends to the admin
 * endpoint and what members pass each other to sign.  A statement with
 * the certificates its approvals name and the revocation list it
 * publishes; or one item request.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/authority/authority.h"

/* A submission's record types are the kinds of the objects they hold. */
#define B_STATEMENT	KF_OBJ_STATEMENT
#define B_CERTIFICATE	KF_OBJ_CERTIFICATE
#define B_REVOCATIONS	KF_OBJ_REVOCATIONS
#define B_ITEM_REQUEST	KF_OBJ_ITEM_REQUEST

static void put_signed(struct kf_tlv_writer *w, uint16_t t,
		       const struct kf_signed *s)
{
	size_t len;
	int ret;

	if (w->error)
		return;
	/* Encode in place, after room for the record's header. */
	if (w->cap - w->len < 4) {
		w->error = -EMSGSIZE;
		return;
	}
	ret = kf_signed_encode(s, w->buf + w->len + 4, w->cap - w->len - 4,
			       &len);
	if (ret || len > 0xffff) {
		w->error = ret ?: -EMSGSIZE;
		return;
	}
	w->buf[w->len] = t >> 8;
	w->buf[w->len + 1] = t & 0xff;
	w->buf[w->len + 2] = len >> 8;
	w->buf[w->len + 3] = len & 0xff;
	w->len += 4 + len;
}

int kf_submission_encode(const struct kf_submission *s, uint8_t *buf,
			 size_t cap, size_t *len)
{
	struct kf_tlv_writer w;
	unsigned int i;
	long n;

	kf_tlv_init(&w, buf, cap);
	if (s->has_statement)
		put_signed(&w, B_STATEMENT, &s->statement);
	for (i = 0; i < s->n_certs; i++)
		put_signed(&w, B_CERTIFICATE, &s->certs[i]);
	if (s->has_revocations)
		put_signed(&w, B_REVOCATIONS, &s->revocations);
	if (s->has_item)
		put_signed(&w, B_ITEM_REQUEST, &s->item);
	n = kf_tlv_finish(&w);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

int kf_submission_decode(struct kf_submission *s, const uint8_t *buf,
			 size_t len, char *why, size_t cap)
{
	struct kf_tlv_reader r;
	struct kf_signed *o;
	const uint8_t *v;
	uint16_t t;
	size_t n;
	int rc;

	memset(s, 0, sizeof(*s));
	kf_tlv_reader_init(&r, buf, len, 1u << B_CERTIFICATE);
	while ((rc = kf_tlv_next(&r, &t, &v, &n)) == 1) {
		switch (t) {
		case B_STATEMENT:
			s->has_statement = true;
			o = &s->statement;
			break;
		case B_CERTIFICATE:
			if (s->n_certs == KF_OPS_MAX)
				goto bad;
			o = &s->certs[s->n_certs++];
			break;
		case B_REVOCATIONS:
			s->has_revocations = true;
			o = &s->revocations;
			break;
		case B_ITEM_REQUEST:
			s->has_item = true;
			o = &s->item;
			break;
		default:
			goto bad;
		}
		if (kf_signed_decode(o, (uint8_t)t, v, n))
			goto bad;
	}
	if (rc)
		goto bad;
	/* A statement (and what it names), or an item request alone. */
	if (s->has_statement == s->has_item ||
	    (s->has_item && (s->n_certs || s->has_revocations)))
		goto bad;
	return 0;
bad:
	snprintf(why, cap, "submission: malformed (a statement with its "
		 "certificates and revocation list, or one item request)");
	return -EPROTO;
}

unsigned int kf_submission_objects(struct kf_submission *s,
				   struct kf_signed **out, unsigned int max)
{
	unsigned int n = 0, i;

	if (s->has_statement && n < max)
		out[n++] = &s->statement;
	for (i = 0; i < s->n_certs && n < max; i++)
		out[n++] = &s->certs[i];
	if (s->has_revocations && n < max)
		out[n++] = &s->revocations;
	if (s->has_item && n < max)
		out[n++] = &s->item;
	return n;
}
