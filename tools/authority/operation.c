// SPDX-License-Identifier: MIT
/*
 * The operations a statement carries (protocol.md 8.3): one nested
 * TLV record each, its fields drawn from one table of field types, and
 * for each operation code the fields it requires and allows.  A decoded
 * operation is well formed: every name valid, lists in ascending order
 * without repeats, thresholds within their sets, windows not inverted.
 * Whether it can apply (the entity exists, the group is empty...) is the
 * repository's to judge against its store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/authority/authority.h"

#define F(x)	(1u << (x))
#define DATASET_FIELDS	(F(KF_F_NOT_BEFORE) | F(KF_F_NOT_AFTER) | \
			 F(KF_F_RATE_COUNT) | F(KF_F_RATE_PERIOD) | \
			 F(KF_F_READ_ENTITY) | F(KF_F_READ_GROUP) | \
			 F(KF_F_ADMIN_GROUP))
#define REPEATABLE	(F(KF_F_MEMBER) | F(KF_F_READ_ENTITY) | \
			 F(KF_F_READ_GROUP) | F(KF_F_ADMIN_GROUP))

static const struct {
	const char *name;
	uint32_t required, optional;
} ops[KF_OP_MAX + 1] = {
	[KF_OP_REGION_CREATE] = { "region.create",
		F(KF_F_THRESHOLD) | F(KF_F_MEMBER), 0 },
	[KF_OP_AUTHORITY_SET] = { "authority.set",
		F(KF_F_THRESHOLD) | F(KF_F_MEMBER), 0 },
	[KF_OP_TOKEN_ISSUE] = { "token.issue",
		F(KF_F_KEY) | F(KF_F_NOT_AFTER), F(KF_F_NAME) },
	[KF_OP_ENTITY_APPROVE] = { "entity.approve",
		F(KF_F_NAME) | F(KF_F_OBJECT_ID), 0 },
	[KF_OP_ENTITY_REVOKE] = { "entity.revoke",
		F(KF_F_NAME), F(KF_F_REASON) },
	[KF_OP_DATASET_CREATE] = { "dataset.create",
		F(KF_F_NAME), DATASET_FIELDS },
	[KF_OP_DATASET_CHANGE] = { "dataset.change",
		F(KF_F_NAME), DATASET_FIELDS },
	[KF_OP_DATASET_DELETE] = { "dataset.delete", F(KF_F_NAME), 0 },
	[KF_OP_GROUP_CREATE] = { "group.create", F(KF_F_NAME), 0 },
	[KF_OP_GROUP_DELETE] = { "group.delete", F(KF_F_NAME), 0 },
	[KF_OP_GROUP_ADD] = { "group.add", F(KF_F_GROUP) | F(KF_F_NAME), 0 },
	[KF_OP_GROUP_REMOVE] = { "group.remove",
		F(KF_F_GROUP) | F(KF_F_NAME), 0 },
	[KF_OP_GROUP_SIGNERS] = { "group.signers",
		F(KF_F_GROUP) | F(KF_F_THRESHOLD), F(KF_F_MEMBER) },
	[KF_OP_OWNER_ALLOW] = { "owner.allow", F(KF_F_NAME) | F(KF_F_KEY), 0 },
	[KF_OP_OWNER_RETIRE] = { "owner.retire",
		F(KF_F_NAME) | F(KF_F_KEY), 0 },
	[KF_OP_REVOCATIONS] = { "revocations.publish",
		F(KF_F_OBJECT_ID) | F(KF_F_NUMBER), 0 },
	[KF_OP_AUDIT_ANCHOR] = { "audit.anchor",
		F(KF_F_AUDIT_SEQ) | F(KF_F_AUDIT_HASH), 0 },
	[KF_OP_PROVIDER_ALLOW] = { "provider.allow",
		F(KF_F_NAME) | F(KF_F_KEY), 0 },
	[KF_OP_PROVIDER_RETIRE] = { "provider.retire",
		F(KF_F_NAME) | F(KF_F_KEY), 0 },
};

const char *kf_op_name(uint16_t code)
{
	return code >= 1 && code <= KF_OP_MAX ? ops[code].name : NULL;
}

/* Names compare as bytes, a prefix first: the order of ascending lists. */
static int name_cmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

/* A name appended to an ascending list of them. */
static int put_list(char (*list)[KF_NAME_MAX + 1], unsigned int *count,
		    unsigned int max, const uint8_t *v, size_t n)
{
	if (*count == max || kf_field_name(list[*count], v, n))
		return -EPROTO;
	if (*count && name_cmp(list[*count - 1], list[*count]) >= 0)
		return -EPROTO;
	(*count)++;
	return 0;
}

static int put_member(struct kf_op *op, const uint8_t *v, size_t len)
{
	struct kf_member *m = &op->members[op->n_members];
	struct kf_tlv_reader r;
	const uint8_t *val;
	unsigned int seen = 0;
	uint16_t t;
	size_t n;
	int rc;

	if (op->n_members == KF_MEMBERS_MAX)
		return -EPROTO;
	kf_tlv_reader_init(&r, v, len, 0);
	while ((rc = kf_tlv_next(&r, &t, &val, &n)) == 1) {
		if (t == 1 && n >= 1 && n <= KF_MEMBER_NAME_MAX) {
			memcpy(m->name, val, n);
			m->name[n] = 0;
			if (!kf_member_name_valid(m->name))
				return -EPROTO;
		} else if (t == 2 && n == KF_KEY_SIZE) {
			memcpy(m->pub, val, n);
		} else {
			return -EPROTO;
		}
		seen |= F(t);
	}
	if (rc || seen != (F(1) | F(2)))
		return -EPROTO;
	if (op->n_members && strcmp(op->members[op->n_members - 1].name,
				    m->name) >= 0)
		return -EPROTO;
	op->n_members++;
	return 0;
}

static bool printable(const uint8_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return false;
	return n > 0;
}

static int put_field(struct kf_op *op, uint16_t t, const uint8_t *v, size_t n)
{
	switch (t) {
	case KF_F_CODE:
		if (n != 2)
			return -EPROTO;
		op->code = (uint16_t)kf_be(v, 2);
		return kf_op_name(op->code) ? 0 : -EPROTO;
	case KF_F_NAME: return kf_field_name(op->name, v, n);
	case KF_F_GROUP: return kf_field_name(op->group, v, n);
	case KF_F_THRESHOLD:
		if (n != 1)
			return -EPROTO;
		op->threshold = v[0];
		return 0;
	case KF_F_MEMBER: return put_member(op, v, n);
	case KF_F_OBJECT_ID: case KF_F_KEY: case KF_F_AUDIT_HASH:
		if (n != 32)
			return -EPROTO;
		memcpy(t == KF_F_OBJECT_ID ? op->object_id : t == KF_F_KEY ?
		       op->key : op->audit_hash, v, 32);
		return 0;
	case KF_F_NOT_BEFORE:
		return kf_field_u64(&op->not_before, v, n);
	case KF_F_NOT_AFTER:
		return kf_field_u64(&op->not_after, v, n);
	case KF_F_NUMBER:
		return kf_field_u64(&op->number, v, n);
	case KF_F_AUDIT_SEQ:
		return kf_field_u64(&op->audit_seq, v, n);
	case KF_F_RATE_COUNT: case KF_F_RATE_PERIOD:
		if (n != 4)
			return -EPROTO;
		*(t == KF_F_RATE_COUNT ? &op->rate_count : &op->rate_period) =
			(uint32_t)kf_be(v, 4);
		return 0;
	case KF_F_READ_ENTITY:
		return put_list(op->read_entities, &op->n_read_entities,
				KF_READERS_MAX, v, n);
	case KF_F_READ_GROUP:
		return put_list(op->read_groups, &op->n_read_groups,
				KF_READERS_MAX, v, n);
	case KF_F_ADMIN_GROUP:
		return put_list(op->admin_groups, &op->n_admin_groups,
				KF_ADMINS_MAX, v, n);
	case KF_F_REASON:
		if (n > KF_REASON_MAX || !printable(v, n))
			return -EPROTO;
		memcpy(op->reason, v, n);
		op->reason[n] = 0;
		return 0;
	default:
		return -EPROTO;
	}
}

/* What the fields mean together, once each is well formed. */
static int check_values(const struct kf_op *op, char *why, size_t cap)
{
	const char *name = kf_op_name(op->code);

	switch (op->code) {
	case KF_OP_REGION_CREATE: case KF_OP_AUTHORITY_SET:
		if (op->threshold < 1 || op->threshold > op->n_members)
			goto threshold;
		break;
	case KF_OP_GROUP_SIGNERS:
		if ((op->threshold == 0) != (op->n_members == 0) ||
		    op->threshold > op->n_members)
			goto threshold;
		break;
	case KF_OP_DATASET_CREATE: case KF_OP_DATASET_CHANGE:
		if (!!KF_HAS(op, KF_F_RATE_COUNT) !=
		    !!KF_HAS(op, KF_F_RATE_PERIOD) ||
		    (KF_HAS(op, KF_F_RATE_COUNT) &&
		     (!op->rate_count || !op->rate_period))) {
			snprintf(why, cap, "%s: a rate is a count and a period, "
				 "both at least 1", name);
			return -EPROTO;
		}
		if (op->not_before && op->not_after &&
		    op->not_before >= op->not_after) {
			snprintf(why, cap, "%s: not-before is not before "
				 "not-after", name);
			return -EPROTO;
		}
		break;
	case KF_OP_OWNER_ALLOW: case KF_OP_OWNER_RETIRE:
	case KF_OP_PROVIDER_ALLOW: case KF_OP_PROVIDER_RETIRE:
		if (!kf_member_name_valid(op->name)) {
			snprintf(why, cap, "%s: %s name '%s' is not 1 to 32 "
				 "of [A-Za-z0-9._-]", name,
				 op->code >= KF_OP_PROVIDER_ALLOW ? "provider" :
				 "owner", op->name);
			return -EPROTO;
		}
		break;
	case KF_OP_REVOCATIONS:
		if (!op->number)
			goto zero;
		break;
	case KF_OP_AUDIT_ANCHOR:
		if (!op->audit_seq)
			goto zero;
		break;
	}
	return 0;
threshold:
	snprintf(why, cap, "%s: threshold %u does not fit %u member%s", name,
		 (unsigned int)op->threshold, op->n_members,
		 op->n_members == 1 ? "" : "s");
	return -EPROTO;
zero:
	snprintf(why, cap, "%s: a number starts at 1", name);
	return -EPROTO;
}

int kf_op_decode(struct kf_op *op, const uint8_t *v, size_t len, char *why,
		 size_t cap)
{
	struct kf_tlv_reader r;
	uint32_t allowed;
	const uint8_t *val;
	uint16_t t;
	size_t n;
	int rc;

	memset(op, 0, sizeof(*op));
	kf_tlv_reader_init(&r, v, len, REPEATABLE);
	while ((rc = kf_tlv_next(&r, &t, &val, &n)) == 1) {
		if (t > KF_F_AUDIT_HASH || put_field(op, t, val, n)) {
			snprintf(why, cap, "operation %s: field %u is "
				 "malformed", kf_op_name(op->code) ?: "?",
				 (unsigned int)t);
			return -EPROTO;
		}
		op->present |= F(t);
	}
	if (rc || !(op->present & F(KF_F_CODE))) {
		snprintf(why, cap, "an operation is malformed");
		return -EPROTO;
	}
	allowed = ops[op->code].required | ops[op->code].optional | F(KF_F_CODE);
	if ((op->present & ops[op->code].required) != ops[op->code].required ||
	    (op->present & ~allowed)) {
		snprintf(why, cap, "operation %s: fields missing or not "
			 "allowed", kf_op_name(op->code));
		return -EPROTO;
	}
	return check_values(op, why, cap);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct kf_member *)a)->name,
		      ((const struct kf_member *)b)->name);
}

static int names_cmp(const void *a, const void *b)
{
	return name_cmp(a, b);
}

static void put_names(struct kf_tlv_writer *w, uint16_t t,
		      char (*list)[KF_NAME_MAX + 1], unsigned int n)
{
	unsigned int i;

	qsort(list, n, sizeof(list[0]), names_cmp);
	for (i = 0; i < n; i++)
		kf_tlv_put_str(w, t, list[i]);
}

static void put_members(struct kf_tlv_writer *w, struct kf_op *op)
{
	uint8_t buf[8 + KF_MEMBER_NAME_MAX + KF_KEY_SIZE];
	struct kf_tlv_writer mw;
	unsigned int i;
	long n;

	qsort(op->members, op->n_members, sizeof(op->members[0]), by_name);
	for (i = 0; i < op->n_members; i++) {
		kf_tlv_init(&mw, buf, sizeof(buf));
		kf_tlv_put_str(&mw, 1, op->members[i].name);
		kf_tlv_put(&mw, 2, op->members[i].pub, KF_KEY_SIZE);
		n = kf_tlv_finish(&mw);
		if (n < 0)
			w->error = w->error ?: (int)n;
		else
			kf_tlv_put(w, KF_F_MEMBER, buf, (size_t)n);
	}
}

/* The fields of op in type order, as its 'present' bits say. */
static void put_fields(struct kf_tlv_writer *w, struct kf_op *op)
{
	kf_tlv_put_u16(w, KF_F_CODE, op->code);
	if (KF_HAS(op, KF_F_NAME))
		kf_tlv_put_str(w, KF_F_NAME, op->name);
	if (KF_HAS(op, KF_F_GROUP))
		kf_tlv_put_str(w, KF_F_GROUP, op->group);
	if (KF_HAS(op, KF_F_THRESHOLD))
		kf_tlv_put_u8(w, KF_F_THRESHOLD, op->threshold);
	if (KF_HAS(op, KF_F_MEMBER))
		put_members(w, op);
	if (KF_HAS(op, KF_F_OBJECT_ID))
		kf_tlv_put(w, KF_F_OBJECT_ID, op->object_id, KF_ID_SIZE);
	if (KF_HAS(op, KF_F_KEY))
		kf_tlv_put(w, KF_F_KEY, op->key, KF_KEY_SIZE);
	if (KF_HAS(op, KF_F_NOT_BEFORE))
		kf_tlv_put_u64(w, KF_F_NOT_BEFORE, op->not_before);
	if (KF_HAS(op, KF_F_NOT_AFTER))
		kf_tlv_put_u64(w, KF_F_NOT_AFTER, op->not_after);
	if (KF_HAS(op, KF_F_RATE_COUNT))
		kf_tlv_put_u32(w, KF_F_RATE_COUNT, op->rate_count);
	if (KF_HAS(op, KF_F_RATE_PERIOD))
		kf_tlv_put_u32(w, KF_F_RATE_PERIOD, op->rate_period);
	put_names(w, KF_F_READ_ENTITY, op->read_entities, op->n_read_entities);
	put_names(w, KF_F_READ_GROUP, op->read_groups, op->n_read_groups);
	put_names(w, KF_F_ADMIN_GROUP, op->admin_groups, op->n_admin_groups);
	if (KF_HAS(op, KF_F_REASON))
		kf_tlv_put_str(w, KF_F_REASON, op->reason);
	if (KF_HAS(op, KF_F_NUMBER))
		kf_tlv_put_u64(w, KF_F_NUMBER, op->number);
	if (KF_HAS(op, KF_F_AUDIT_SEQ))
		kf_tlv_put_u64(w, KF_F_AUDIT_SEQ, op->audit_seq);
	if (KF_HAS(op, KF_F_AUDIT_HASH))
		kf_tlv_put(w, KF_F_AUDIT_HASH, op->audit_hash, 32);
}

int kf_op_put(struct kf_tlv_writer *w, struct kf_op *op, char *why,
	      size_t cap)
{
	static __thread struct kf_op check;
	static __thread uint8_t buf[KF_BODY_MAX];
	struct kf_tlv_writer ow;
	long n;

	/* Lists carry their own count; say them present when non-empty. */
	if (op->n_members)
		op->present |= F(KF_F_MEMBER);
	if (op->n_read_entities)
		op->present |= F(KF_F_READ_ENTITY);
	if (op->n_read_groups)
		op->present |= F(KF_F_READ_GROUP);
	if (op->n_admin_groups)
		op->present |= F(KF_F_ADMIN_GROUP);
	kf_tlv_init(&ow, buf, sizeof(buf));
	put_fields(&ow, op);
	n = kf_tlv_finish(&ow);
	if (n < 0) {
		snprintf(why, cap, "operation %s: too large",
			 kf_op_name(op->code) ?: "?");
		return (int)n;
	}
	/* What we write, we would accept: check it as a reader would. */
	if (kf_op_decode(&check, buf, (size_t)n, why, cap))
		return -EINVAL;
	kf_tlv_put(w, KF_S_OPERATION, buf, (size_t)n);
	if (w->error)
		snprintf(why, cap, "the statement is too large");
	return w->error;
}
