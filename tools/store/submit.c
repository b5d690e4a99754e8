// SPDX-License-Identifier: MIT
/*
 * Applying a signed statement (docs/protocol.md section 8): the one
 * way the authority's decisions reach the store.  Everything happens in
 * one write transaction: the region's chain is checked (the statement is
 * the next one, or it is refused as stale or replayed), the signatures are
 * verified against the authority as it stands, each operation is applied
 * in order, the certificates and the revocation list the statement names
 * are checked and kept, the statement is kept as it was submitted, and
 * the audit log gets one record for the statement and one per operation,
 * naming the members who signed.  Any refusal rolls all of it back.
 *
 * The transaction holds the store's write lock, so the head of the chain
 * cannot move between the check and the commit; two members submitting
 * at once get one statement applied and the other refused as stale.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

struct apply {
	struct kf_store *st;
	struct kf_submit *s;
	const struct kf_submission *sub;
	struct kf_statement stmt;
	struct kf_authority auth;	/* the set the statement is judged by */
	struct kf_signers who;
	int64_t rid;
	bool cert_used[KF_OPS_MAX];
	bool list_used;
	bool revokes;
	struct kf_op op;		/* the operation being applied */
};

#define WHY(a, ...) kf_msg((a)->s->why, sizeof((a)->s->why), __VA_ARGS__)

static int statement_time(struct apply *a)
{
	char t[32];

	if (a->s->replay)
		return 0;
	if (a->s->now >= (int64_t)a->stmt.expires) {
		kf_fmt_time(t, sizeof(t), (int64_t)a->stmt.expires);
		WHY(a, "statement %s#%llu expired at %s", a->stmt.region,
		    (unsigned long long)a->stmt.sequence, t);
		return -EKEYEXPIRED;
	}
	if ((int64_t)a->stmt.issued > a->s->now + KF_CLOCK_SKEW) {
		WHY(a, "statement %s#%llu is issued in the future (check the "
		    "clocks)", a->stmt.region,
		    (unsigned long long)a->stmt.sequence);
		return -EINVAL;
	}
	return 0;
}

/* The statement at seq of the region, if any, is this one: a replay. */
static int applied_already(struct apply *a, uint64_t seq)
{
	static const char sql[] =
		"SELECT id FROM statements WHERE region_id = ?1 AND seq = ?2";
	struct kf_stmt *q = kf_sql(a->st, sql);
	uint8_t id[32] = { 0 };
	int rc;

	if (!q)
		return -EIO;
	kf_bind_int64(q, 1, a->rid);
	kf_bind_int64(q, 2, (int64_t)seq);
	rc = kf_step(q);
	if (rc == KF_ROW)
		kf_col_blob(q, 0, id, sizeof(id));
	kf_reset(q);
	if (rc < 0)
		return rc;
	return rc == KF_ROW && !memcmp(id, a->s->id, 32);
}

/* The first statement of a region: it creates it, with its authority. */
static int genesis(struct apply *a)
{
	const struct kf_authority *pin = a->s->pin;
	struct kf_op_iter it;
	int ret;

	kf_op_iter_init(&it, &a->stmt);
	if (a->stmt.n_ops != 1 || kf_op_next(&it, &a->op) != 1 ||
	    a->op.code != KF_OP_REGION_CREATE) {
		WHY(a, "statement %s#1: a region's first statement creates it "
		    "(region.create) and does nothing else", a->stmt.region);
		return -EINVAL;
	}
	memset(&a->auth, 0, sizeof(a->auth));
	snprintf(a->auth.region, sizeof(a->auth.region), "%s", a->stmt.region);
	a->auth.threshold = a->op.threshold;
	a->auth.n = a->op.n_members;
	memcpy(a->auth.m, a->op.members, sizeof(a->op.members));
	ret = kf_authority_check(&a->auth, a->s->why, sizeof(a->s->why));
	if (ret)
		return ret;
	if (a->s->replay)
		return 0;
	if (!pin || strcmp(pin->region, a->stmt.region)) {
		WHY(a, "this repository does not take region %s: start it with "
		    "--authority FILE for that region", a->stmt.region);
		return -EPERM;
	}
	if (!kf_authority_equal(pin, &a->auth) ||
	    (pin->sequence == 1 && memcmp(pin->statement, a->s->id, 32))) {
		WHY(a, "region %s: this is not the first authority the "
		    "repository was started with (--authority)",
		    a->stmt.region);
		return -EPERM;
	}
	return 0;
}

/*
 * Where the statement stands in its region's chain; sets a->rid and the
 * authority it is judged by.  A first statement creates the region here.
 */
static int judge_chain(struct apply *a)
{
	uint64_t head = 0;
	uint8_t head_id[32];
	int ret = kf_region_id(a->st, a->stmt.region, &a->rid);

	if (ret && ret != -ENOENT)
		return ret;
	if (ret == -ENOENT && a->stmt.sequence != 1) {
		WHY(a, "no region %s", a->stmt.region);
		return -ENOENT;
	}
	if (ret == -ENOENT) {
		ret = genesis(a);
		if (!ret)
			ret = kf_region_create_tx(a->st, a->stmt.region,
						  &a->rid);
		return ret ? ret : kf_authority_save(a->st, a->rid, &a->auth);
	}
	ret = kf_authority_load(a->st, a->rid, &a->auth, &head, head_id);
	if (ret == -ENOKEY) {
		WHY(a, "region %s was made before it had an authority",
		    a->stmt.region);
		return -EPERM;
	}
	if (ret)
		return ret;
	if (a->stmt.sequence <= head) {
		ret = applied_already(a, a->stmt.sequence);
		if (ret < 0)
			return ret;
		if (ret) {
			WHY(a, "statement %s#%llu was applied already",
			    a->stmt.region,
			    (unsigned long long)a->stmt.sequence);
			return -EALREADY;
		}
	}
	if (a->stmt.sequence != head + 1 ||
	    memcmp(a->stmt.previous, head_id, 32)) {
		WHY(a, "statement %s#%llu is stale: the region is at statement "
		    "%llu, and this one does not follow it; prepare it again",
		    a->stmt.region, (unsigned long long)a->stmt.sequence,
		    (unsigned long long)head);
		return -ESTALE;
	}
	return 0;
}

static const struct kf_signed *find_cert(struct apply *a, unsigned int *idx)
{
	uint8_t id[32];
	unsigned int i;

	for (i = 0; i < a->sub->n_certs; i++) {
		if (a->cert_used[i] || kf_signed_id(&a->sub->certs[i], id) ||
		    memcmp(id, a->op.object_id, 32))
			continue;
		*idx = i;
		return &a->sub->certs[i];
	}
	return NULL;
}

static int approve(struct apply *a)
{
	static __thread uint8_t buf[KF_BODY_MAX + 2048];
	const struct kf_signed *o;
	struct kf_certificate c;
	struct kf_signers who;
	unsigned int idx;
	size_t len;
	int ret;

	o = find_cert(a, &idx);
	if (!o) {
		WHY(a, "entity.approve %s: the submission has no certificate "
		    "with the id it names", a->op.name);
		return -EINVAL;
	}
	ret = kf_certificate_decode(&c, o->body, o->body_len, a->s->why,
				    sizeof(a->s->why));
	if (ret)
		return ret;
	if (strcmp(c.region, a->stmt.region) || strcmp(c.entity, a->op.name)) {
		WHY(a, "entity.approve %s: the certificate is for %s/%s",
		    a->op.name, c.region, c.entity);
		return -EINVAL;
	}
	ret = kf_signed_verify(o, &a->auth, &who, a->s->why,
			       sizeof(a->s->why));
	if (ret)
		return ret;
	a->cert_used[idx] = true;
	ret = kf_signed_encode(o, buf, sizeof(buf), &len);
	if (!ret)
		ret = kf_entity_approve_tx(a->st, a->rid, &c, a->op.object_id,
					   buf, len, a->s->replay, a->s->why,
					   sizeof(a->s->why));
	return ret;
}

struct expect {
	struct kf_revocation_iter it;
	char why[200];
	int bad;
};

/* One revoked entity the store holds: the list's next entry must be it. */
static int expect_entry(void *ctx, const char *name, const uint8_t kei[32],
			int64_t revoked, int64_t not_after)
{
	struct expect *x = ctx;
	struct kf_revocation e = { .revoked = 0 };

	if (kf_revocation_next(&x->it, &e) != 1 || strcmp(e.entity, name) ||
	    memcmp(e.kei_pub, kei, 32) || (int64_t)e.revoked != revoked ||
	    (int64_t)e.not_after != not_after) {
		kf_msg(x->why, sizeof(x->why), "it must list %s (revoked "
			 "%lld, certificate until %lld) where it has %s", name,
			 (long long)revoked, (long long)not_after,
			 e.entity[0] ? e.entity : "nothing");
		x->bad = 1;
		return -EINVAL;
	}
	return 0;
}

/* The list names exactly the region's revoked, still certified entities. */
static int check_entries(struct apply *a, const struct kf_revocations *l)
{
	struct expect x = { .bad = 0 };
	struct kf_revocation e;
	int ret;

	kf_revocation_iter_init(&x.it, l);
	ret = kf_entity_revoked(a->st, a->rid, (int64_t)l->this_update,
				expect_entry, &x);
	if (!ret && kf_revocation_next(&x.it, &e) != 0) {
		kf_msg(x.why, sizeof(x.why), "it lists %s, which is not a "
			 "revoked entity with a valid certificate", e.entity);
		ret = -EINVAL;
	}
	if (ret && (x.bad || ret == -EINVAL))
		WHY(a, "revocations.publish %llu: %s",
		    (unsigned long long)l->number, x.why);
	return ret;
}

static int publish(struct apply *a)
{
	static __thread uint8_t buf[KF_BODY_MAX + 2048];
	const struct kf_signed *o = &a->sub->revocations;
	struct kf_revocations l;
	struct kf_signers who;
	uint8_t id[32];
	uint64_t last;
	size_t len;
	int ret;

	if (!a->sub->has_revocations || kf_signed_id(o, id) ||
	    memcmp(id, a->op.object_id, 32)) {
		WHY(a, "revocations.publish: the submission has no revocation "
		    "list with the id it names");
		return -EINVAL;
	}
	ret = kf_revocations_decode(&l, o->body, o->body_len, a->s->why,
				    sizeof(a->s->why));
	if (ret)
		return ret;
	ret = kf_revocations_last(a->st, a->rid, &last);
	if (ret)
		return ret;
	if (strcmp(l.region, a->stmt.region) || l.number != a->op.number ||
	    l.number != last + 1 || l.this_update != a->stmt.issued) {
		WHY(a, "revocations.publish: the list must be for %s, number "
		    "%llu, with this update = the statement's issue time",
		    a->stmt.region, (unsigned long long)last + 1);
		return -EINVAL;
	}
	ret = kf_signed_verify(o, &a->auth, &who, a->s->why,
			       sizeof(a->s->why));
	if (!ret)
		ret = check_entries(a, &l);
	if (!ret)
		ret = kf_signed_encode(o, buf, sizeof(buf), &len);
	if (!ret)
		ret = kf_revocations_save(a->st, a->rid, l.number, id, buf, len);
	a->list_used = !ret;
	return ret;
}

static int anchor(struct apply *a)
{
	uint8_t h[32];
	int ret;

	/* The verifier checks anchors against the log it walks. */
	if (a->s->replay)
		return 0;
	ret = kf_store_audit_hash(a->st, (int64_t)a->op.audit_seq, h);
	if (ret == -ENOENT || (!ret && memcmp(h, a->op.audit_hash, 32))) {
		WHY(a, "audit.anchor: record %llu %s",
		    (unsigned long long)a->op.audit_seq, ret ?
		    "is not in this audit log" : "has another hash here");
		return -EINVAL;
	}
	return ret;
}

static int authority_set(struct apply *a)
{
	struct kf_authority n = { .threshold = a->op.threshold,
				  .n = a->op.n_members };

	if (a->stmt.n_ops != 1) {
		WHY(a, "authority.set is the only operation of its statement");
		return -EINVAL;
	}
	snprintf(n.region, sizeof(n.region), "%s", a->stmt.region);
	memcpy(n.m, a->op.members, sizeof(n.m));
	if (kf_authority_check(&n, a->s->why, sizeof(a->s->why)))
		return -EINVAL;
	return kf_authority_save(a->st, a->rid, &n);
}

static int apply_op(struct apply *a, unsigned int i)
{
	struct kf_op *op = &a->op;
	char *why = a->s->why;
	size_t cap = sizeof(a->s->why);
	int ret;

	switch (op->code) {
	case KF_OP_REGION_CREATE:
		if (a->stmt.sequence == 1)
			return 0;	/* judge_chain() made the region */
		WHY(a, "region.create only in a region's first statement");
		return -EINVAL;
	case KF_OP_AUTHORITY_SET:
		return authority_set(a);
	case KF_OP_TOKEN_ISSUE:
		return kf_token_issue_tx(a->st, a->rid, op->key,
					 KF_HAS(op, KF_F_NAME) ? op->name : NULL,
					 (int64_t)op->not_after, why, cap);
	case KF_OP_ENTITY_APPROVE:
		return approve(a);
	case KF_OP_ENTITY_REVOKE:
		a->revokes = true;
		ret = kf_entity_revoke_tx(a->st, a->rid, op->name,
					  (int64_t)a->stmt.issued, why, cap);
		/* Rebuilding: an entity revoked before it was approved
		 * never had a certificate to rebuild it from. */
		return ret == -ENOENT && a->s->replay ? 0 : ret;
	case KF_OP_DATASET_CREATE: case KF_OP_DATASET_CHANGE:
		return kf_dataset_set_tx(a->st, a->rid, op,
					 op->code == KF_OP_DATASET_CHANGE, why,
					 cap);
	case KF_OP_DATASET_DELETE:
		return kf_dataset_delete_tx(a->st, a->rid, op->name, why, cap);
	case KF_OP_GROUP_CREATE:
		return kf_group_create_tx(a->st, a->rid, op->name, why, cap);
	case KF_OP_GROUP_DELETE:
		return kf_group_delete_tx(a->st, a->rid, op->name, why, cap);
	case KF_OP_GROUP_ADD: case KF_OP_GROUP_REMOVE:
		return kf_group_member_tx(a->st, a->rid, op->group, op->name,
					  op->code == KF_OP_GROUP_ADD, why, cap);
	case KF_OP_GROUP_SIGNERS:
		return kf_group_signers_tx(a->st, a->rid, op->group,
					   op->threshold, op->members,
					   op->n_members, why, cap);
	case KF_OP_OWNER_ALLOW: case KF_OP_OWNER_RETIRE:
		return kf_owner_key_tx(a->st, a->rid, op->name, op->key,
				       op->code == KF_OP_OWNER_ALLOW, why, cap);
	case KF_OP_PROVIDER_ALLOW: case KF_OP_PROVIDER_RETIRE:
		return kf_provider_key_tx(a->st, a->rid, op->name, op->key,
					  op->code == KF_OP_PROVIDER_ALLOW,
					  (int64_t)a->stmt.issued, why, cap);
	case KF_OP_REVOCATIONS:
		if (i + 1 != a->stmt.n_ops) {
			WHY(a, "revocations.publish is the last operation of "
			    "its statement");
			return -EINVAL;
		}
		return publish(a);
	case KF_OP_AUDIT_ANCHOR:
		return anchor(a);
	default:
		WHY(a, "unknown operation %u", (unsigned int)op->code);
		return -EPROTO;
	}
}

/* The subject an operation's audit record names. */
static void op_subject(const struct apply *a, char *out, size_t cap)
{
	const struct kf_op *op = &a->op;

	if (KF_HAS(op, KF_F_GROUP))
		snprintf(out, cap, "%s/%s/%s", a->stmt.region, op->group,
			 op->name);
	else if (KF_HAS(op, KF_F_NAME))
		snprintf(out, cap, "%s/%s", a->stmt.region, op->name);
	else
		snprintf(out, cap, "%s", a->stmt.region);
}

static int apply_ops(struct apply *a)
{
	char subject[3 * KF_NAME_MAX + 3], detail[KF_NAME_MAX + 40];
	struct kf_op_iter it;
	unsigned int i = 0;
	int rc, ret = 0;

	snprintf(detail, sizeof(detail), "statement %s#%llu", a->stmt.region,
		 (unsigned long long)a->stmt.sequence);
	kf_op_iter_init(&it, &a->stmt);
	while (!ret && (rc = kf_op_next(&it, &a->op)) == 1) {
		ret = apply_op(a, i++);
		op_subject(a, subject, sizeof(subject));
		if (!ret)
			ret = kf_audit_append(a->st, kf_op_name(a->op.code),
					      subject, "ok", detail);
	}
	return ret;
}

/* Every object the submission carries was named by an operation. */
static int all_used(struct apply *a)
{
	unsigned int i;

	for (i = 0; i < a->sub->n_certs; i++) {
		if (!a->cert_used[i]) {
			WHY(a, "the submission carries a certificate no "
			    "entity.approve names");
			return -EINVAL;
		}
	}
	if (a->sub->has_revocations != a->list_used ||
	    (a->revokes && !a->list_used)) {
		WHY(a, a->revokes ? "a statement that revokes publishes the "
		    "new revocation list (revocations.publish)" :
		    "the submission carries a revocation list no "
		    "revocations.publish names");
		return -EINVAL;
	}
	return 0;
}

static int apply(struct apply *a)
{
	char actor[sizeof(a->s->signers) + 16], old[sizeof(a->st->actor)];
	char subject[KF_NAME_MAX + 24], detail[128], id[65];
	int ret = judge_chain(a);

	if (!ret)
		ret = kf_signed_verify(&a->sub->statement, &a->auth, &a->who,
				       a->s->why, sizeof(a->s->why));
	if (ret)
		return ret;
	kf_signers_join(&a->who, a->s->signers, sizeof(a->s->signers));
	/* The members who signed are who did it, in every record. */
	snprintf(old, sizeof(old), "%s", a->st->actor);
	snprintf(actor, sizeof(actor), "authority:%s", a->s->signers);
	kf_store_set_actor(a->st, actor);
	snprintf(subject, sizeof(subject), "%s#%llu", a->stmt.region,
		 (unsigned long long)a->stmt.sequence);
	kf_hex(id, a->s->id, 32);
	snprintf(detail, sizeof(detail), "id=%s ops=%u", id, a->stmt.n_ops);
	ret = kf_audit_append(a->st, "authority.statement", subject, "ok",
			      detail);
	if (!ret)
		ret = apply_ops(a);
	if (!ret)
		ret = all_used(a);
	if (!ret)
		ret = kf_statement_save(a->st, a->rid, a->stmt.sequence,
					a->s->id, a->s->signers, a->s->raw,
					a->s->raw_len);
	kf_store_set_actor(a->st, old);
	return ret;
}

int kf_store_submit(struct kf_store *st, struct kf_submit *s)
{
	static __thread struct apply a;
	int ret;

	s->why[0] = 0;
	s->signers[0] = 0;
	s->sequence = 0;
	if (s->sub->has_item)
		return kf_request_apply(st, s);
	memset(&a, 0, sizeof(a));
	a.st = st;
	a.s = s;
	a.sub = s->sub;
	ret = kf_statement_decode(&a.stmt, s->sub->statement.body,
				  s->sub->statement.body_len, s->why,
				  sizeof(s->why));
	if (!ret)
		ret = kf_signed_id(&s->sub->statement, s->id);
	if (ret)
		return ret == -EPROTO ? ret : -EIO;
	snprintf(s->region, sizeof(s->region), "%s", a.stmt.region);
	s->sequence = a.stmt.sequence;
	ret = statement_time(&a);
	if (ret)
		return ret;
	ret = kf_tx_begin(st);
	if (ret)
		return ret;
	ret = kf_tx_end(st, apply(&a));
	if (ret && !s->why[0])
		WHY(&a, "the store could not apply it: %s", strerror(-ret));
	return ret;
}
