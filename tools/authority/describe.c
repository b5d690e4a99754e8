// SPDX-License-Identifier: MIT
/*
 * What a signed object says, in words, for the people who sign it: each
 * member reads this before adding a signature (keyferry-admin show,
 * sign), and it is written as comments into the files they pass around.
 * Keys are shown in full: a member compares a Kec-pub with what the host
 * itself shows before approving it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tools/authority/describe.h"
#include "tools/cli/cli.h"

struct out {
	char *buf;
	size_t cap, off;
	const char *prefix;
};

static void line(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void line(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->off >= o->cap)
		return;
	n = snprintf(o->buf + o->off, o->cap - o->off, "%s", o->prefix);
	o->off += n > 0 ? (size_t)n : 0;
	if (o->off >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->cap - o->off, fmt, ap);
	va_end(ap);
	o->off += n > 0 ? (size_t)n : 0;
	if (o->off < o->cap - 1)
		o->buf[o->off++] = '\n';
	if (o->off < o->cap)
		o->buf[o->off] = 0;
}

static const char *b64(const uint8_t *k, char *out)
{
	kf_base64_encode(out, 64, k, KF_KEY_SIZE);
	return out;
}

static const char *when(uint64_t t, char *out)
{
	return kf_fmt_time(out, 32, (int64_t)t);
}

static void describe_op(struct out *o, const struct kf_op *op)
{
	char k[64], t1[32], t2[32], id[17];
	unsigned int i;

	kf_hex(id, op->object_id, 8);
	switch (op->code) {
	case KF_OP_REGION_CREATE: case KF_OP_AUTHORITY_SET:
	case KF_OP_GROUP_SIGNERS:
		if (op->code == KF_OP_GROUP_SIGNERS)
			line(o, "  %s %s: %u of %u", kf_op_name(op->code),
			     op->group, (unsigned int)op->threshold,
			     op->n_members);
		else
			line(o, "  %s: %u of %u members",
			     kf_op_name(op->code),
			     (unsigned int)op->threshold, op->n_members);
		for (i = 0; i < op->n_members; i++)
			line(o, "    member %s %s", op->members[i].name,
			     b64(op->members[i].pub, k));
		return;
	case KF_OP_TOKEN_ISSUE:
		kf_hex(t2, op->key, 8);
		line(o, "  token.issue %s... for %s, until %s", t2,
		     KF_HAS(op, KF_F_NAME) ? op->name : "any entity",
		     when(op->not_after, t1));
		return;
	case KF_OP_ENTITY_APPROVE:
		line(o, "  entity.approve %s with certificate %s...", op->name,
		     id);
		return;
	case KF_OP_ENTITY_REVOKE:
		line(o, "  entity.revoke %s%s%s", op->name,
		     op->reason[0] ? ": " : "", op->reason);
		return;
	case KF_OP_DATASET_CREATE: case KF_OP_DATASET_CHANGE:
		line(o, "  %s %s: window %s..%s, rate %u/%us",
		     kf_op_name(op->code), op->name, when(op->not_before, t1),
		     when(op->not_after, t2), op->rate_count, op->rate_period);
		for (i = 0; i < op->n_read_entities; i++)
			line(o, "    read by entity %s", op->read_entities[i]);
		for (i = 0; i < op->n_read_groups; i++)
			line(o, "    read by group %s", op->read_groups[i]);
		if (!op->n_read_entities && !op->n_read_groups)
			line(o, "    read by every entity of the region");
		for (i = 0; i < op->n_admin_groups; i++)
			line(o, "    administered by group %s",
			     op->admin_groups[i]);
		return;
	case KF_OP_GROUP_ADD: case KF_OP_GROUP_REMOVE:
		line(o, "  %s %s %s %s", kf_op_name(op->code), op->name,
		     op->code == KF_OP_GROUP_ADD ? "to" : "from", op->group);
		return;
	case KF_OP_OWNER_ALLOW: case KF_OP_OWNER_RETIRE:
	case KF_OP_PROVIDER_ALLOW: case KF_OP_PROVIDER_RETIRE:
		line(o, "  %s %s %s", kf_op_name(op->code), op->name,
		     b64(op->key, k));
		return;
	case KF_OP_REVOCATIONS:
		line(o, "  revocations.publish list %llu (%s...)",
		     (unsigned long long)op->number, id);
		return;
	case KF_OP_AUDIT_ANCHOR:
		kf_hex(t2, op->audit_hash, 8);
		line(o, "  audit.anchor: the audit log up to record %llu "
		     "(hash %s...)", (unsigned long long)op->audit_seq, t2);
		return;
	default:
		line(o, "  %s %s", kf_op_name(op->code), op->name);
	}
}

static void describe_statement(struct out *o, const struct kf_signed *s)
{
	struct kf_statement st;
	struct kf_op_iter it;
	static __thread struct kf_op op;
	char t1[32], t2[32], why[200];

	if (kf_statement_decode(&st, s->body, s->body_len, why, sizeof(why))) {
		line(o, "statement: malformed: %s", why);
		return;
	}
	line(o, "statement %s#%llu, issued %s, to be submitted before %s:",
	     st.region, (unsigned long long)st.sequence, when(st.issued, t1),
	     when(st.expires, t2));
	kf_op_iter_init(&it, &st);
	while (kf_op_next(&it, &op) == 1)
		describe_op(o, &op);
}

static void describe_certificate(struct out *o, const struct kf_signed *s)
{
	struct kf_certificate c;
	char k[64], t1[32], t2[32], why[200];

	if (kf_certificate_decode(&c, s->body, s->body_len, why, sizeof(why))) {
		line(o, "certificate: malformed: %s", why);
		return;
	}
	line(o, "certificate %s/%s, serial %llu, valid %s to %s:", c.region,
	     c.entity, (unsigned long long)c.serial, when(c.not_before, t1),
	     when(c.not_after, t2));
	line(o, "  Kei-pub %s", b64(c.kei_pub, k));
	line(o, "  Kec-pub %s", b64(c.kec_pub, k));
}

static void describe_list(struct out *o, const struct kf_signed *s)
{
	struct kf_revocation_iter it;
	struct kf_revocations l;
	struct kf_revocation e;
	char t1[32], t2[32], why[200];

	if (kf_revocations_decode(&l, s->body, s->body_len, why, sizeof(why))) {
		line(o, "revocation list: malformed: %s", why);
		return;
	}
	line(o, "revocation list %s #%llu of %s, next by %s, %u entr%s%s",
	     l.region, (unsigned long long)l.number, when(l.this_update, t1),
	     when(l.next_update, t2), l.n, l.n == 1 ? "y" : "ies",
	     l.n ? ":" : "");
	kf_revocation_iter_init(&it, &l);
	while (kf_revocation_next(&it, &e) == 1)
		line(o, "  %s revoked %s", e.entity, when(e.revoked, t1));
}

static void describe_item(struct out *o, const struct kf_signed *s)
{
	struct kf_item_request r;
	char t[32], why[200];

	if (kf_item_request_decode(&r, s->body, s->body_len, why, sizeof(why))) {
		line(o, "item request: malformed: %s", why);
		return;
	}
	if (r.action == KF_ITEM_PUT)
		line(o, "item request %s: put %s (%zu sealed bytes) in data set "
		     "%s for %s%s%s%s%s, before %s", r.region, r.item,
		     r.sealed_len, r.dataset, r.entity[0] ? "entity " : "",
		     r.entity, r.entity[0] && r.group[0] ? " as a member of " :
		     "", r.group[0] ? "group " : "", r.group,
		     when(r.expires, t));
	else
		line(o, "item request %s: delete %s (version %llu, 0 = all) "
		     "for %s, before %s", r.region, r.item,
		     (unsigned long long)r.item_version,
		     r.entity[0] ? r.entity : r.group[0] ? r.group : "anyone",
		     when(r.expires, t));
}

static void describe_signers(struct out *o, const struct kf_signed *s,
			     const struct kf_authority *a)
{
	const struct kf_member *m;
	char k[64];
	unsigned int i;

	if (!s->n_sigs)
		line(o, "  not signed yet");
	for (i = 0; i < s->n_sigs; i++) {
		m = a ? kf_authority_find(a, s->sigs[i].signer) : NULL;
		line(o, "  signed by %s%s%s", m ? m->name : "key ",
		     m ? "" : b64(s->sigs[i].signer, k),
		     a && !m ? " (not a member)" : "");
	}
}

size_t kf_describe(const struct kf_signed *s, const struct kf_authority *a,
		   const char *prefix, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap, .prefix = prefix };

	buf[0] = 0;
	switch (s->kind) {
	case KF_OBJ_STATEMENT: describe_statement(&o, s); break;
	case KF_OBJ_CERTIFICATE: describe_certificate(&o, s); break;
	case KF_OBJ_REVOCATIONS: describe_list(&o, s); break;
	case KF_OBJ_ITEM_REQUEST: describe_item(&o, s); break;
	}
	describe_signers(&o, s, a);
	return o.off;
}

size_t kf_describe_submission(struct kf_submission *sub,
			      const struct kf_authority *a, const char *prefix,
			      char *buf, size_t cap)
{
	struct kf_signed *objs[KF_OPS_MAX + 3];
	unsigned int n = kf_submission_objects(sub, objs, KF_OPS_MAX + 3), i;
	size_t off = 0;

	buf[0] = 0;
	for (i = 0; i < n && off < cap; i++)
		off += kf_describe(objs[i], a, prefix, buf + off, cap - off);
	return off;
}
