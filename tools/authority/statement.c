// SPDX-License-Identifier: MIT
/*
 * Statements (protocol.md 8.2): a region, its place in the region's
 * chain of statements (sequence number and the id of the one before), when
 * it was made and until when it may be submitted, and its operations.
 * The chain is what stops a statement from being applied twice or in
 * another order than the authority signed them: a statement applies only
 * right after the one it names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/authority/authority.h"

static int header_field(struct kf_statement *st, uint16_t t,
			const uint8_t *v, size_t n)
{
	switch (t) {
	case KF_S_VERSION:
		if (n != 1 || v[0] != 1)
			return -EPROTO;
		st->version = 1;
		return 0;
	case KF_S_REGION:
		return kf_field_name(st->region, v, n);
	case KF_S_PREVIOUS:
		if (n != KF_ID_SIZE)
			return -EPROTO;
		memcpy(st->previous, v, n);
		return 0;
	case KF_S_SEQUENCE:
		return kf_field_u64(&st->sequence, v, n);
	case KF_S_ISSUED:
		return kf_field_u64(&st->issued, v, n);
	case KF_S_EXPIRES:
		return kf_field_u64(&st->expires, v, n);
	default:
		return -EPROTO;
	}
}

static bool zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* What the header's fields mean together. */
static int check_header(const struct kf_statement *st, char *why, size_t cap)
{
	if (!st->sequence) {
		snprintf(why, cap, "statement: sequence numbers start at 1");
		return -EPROTO;
	}
	if ((st->sequence == 1) != zero(st->previous, KF_ID_SIZE)) {
		snprintf(why, cap, "statement: the previous id is zero for the "
			 "first statement of a region, and only for it");
		return -EPROTO;
	}
	if (st->expires <= st->issued ||
	    st->expires - st->issued > KF_STATEMENT_LIFETIME_MAX) {
		snprintf(why, cap, "statement: it must expire after it is "
			 "issued, within %d days", KF_STATEMENT_LIFETIME_MAX /
			 86400);
		return -EPROTO;
	}
	if (!st->n_ops) {
		snprintf(why, cap, "statement: it has no operation");
		return -EPROTO;
	}
	return 0;
}

int kf_statement_decode(struct kf_statement *st, const uint8_t *body,
			size_t len, char *why, size_t cap)
{
	static __thread struct kf_op op;
	struct kf_tlv_reader r;
	const uint8_t *v;
	unsigned int seen = 0;
	uint16_t t;
	size_t n;
	int rc;

	memset(st, 0, sizeof(*st));
	kf_tlv_reader_init(&r, body, len, 1u << KF_S_OPERATION);
	while ((rc = kf_tlv_next(&r, &t, &v, &n)) == 1) {
		if (t == KF_S_OPERATION) {
			if (!st->n_ops)
				st->ops = v - 4;	/* its header too */
			if (st->n_ops == KF_OPS_MAX) {
				snprintf(why, cap, "statement: more than %d "
					 "operations", KF_OPS_MAX);
				return -EPROTO;
			}
			if (kf_op_decode(&op, v, n, why, cap))
				return -EPROTO;
			st->n_ops++;
			st->ops_len = (size_t)(v + n - st->ops);
		} else if (header_field(st, t, v, n)) {
			snprintf(why, cap, "statement: field %u is malformed",
				 (unsigned int)t);
			return -EPROTO;
		}
		seen |= 1u << t;
	}
	if (rc || (seen | 1u << KF_S_OPERATION) != 0xfe) {
		snprintf(why, cap, "statement: malformed, or a field is "
			 "missing");
		return -EPROTO;
	}
	return check_header(st, why, cap);
}

void kf_op_iter_init(struct kf_op_iter *it, const struct kf_statement *st)
{
	kf_tlv_reader_init(&it->r, st->ops, st->ops_len,
			   1u << KF_S_OPERATION);
	/* The records before them are out of this view: start low. */
}

int kf_op_next(struct kf_op_iter *it, struct kf_op *op)
{
	char why[8];
	const uint8_t *v;
	uint16_t t;
	size_t n;
	int rc = kf_tlv_next(&it->r, &t, &v, &n);

	if (rc != 1)
		return rc;
	/* Decoded once already by kf_statement_decode(): cannot fail. */
	return t == KF_S_OPERATION && !kf_op_decode(op, v, n, why, sizeof(why))
	       ? 1 : -EPROTO;
}

void kf_statement_begin(struct kf_tlv_writer *w, const struct kf_statement *st)
{
	kf_tlv_put_u8(w, KF_S_VERSION, 1);
	kf_tlv_put_str(w, KF_S_REGION, st->region);
	kf_tlv_put_u64(w, KF_S_SEQUENCE, st->sequence);
	kf_tlv_put(w, KF_S_PREVIOUS, st->previous, KF_ID_SIZE);
	kf_tlv_put_u64(w, KF_S_ISSUED, st->issued);
	kf_tlv_put_u64(w, KF_S_EXPIRES, st->expires);
}
