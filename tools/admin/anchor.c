// SPDX-License-Identifier: MIT
/*
 * keyferry-admin audit verify --authority FILE: the store checked by
 * someone who trusts only the authority's public keys.
 *
 * 1. The region's statements are applied, one by one, to an empty store
 *    in memory: each must follow the one before and carry the signatures
 *    of the authority as it then stood, from the region's first statement
 *    on; the one the authority file was made at must be the file's.
 * 2. What the authority controls in the real store (members, approved and
 *    revoked entities, certificates, groups, data sets, owner keys,
 *    tokens, lists) must be exactly what the statements made in memory:
 *    a row written behind the authority's back shows as a difference.
 * 3. Every statement has its record in the audit log and every such
 *    record its statement; every anchor the authority signed names a
 *    record of this log with the hash it has here.  The hash chain makes
 *    any change before an anchor change that record's hash.  After a
 *    prune (tools/store/audit_prune.c) the records of the oldest
 *    statements may be gone, and anchors of pruned records are not
 *    checked; one of the prune point is checked against its hash.
 * 4. The anchors the operator kept (--anchor FILE) are in the chain, so
 *    a history cut short before them is found; and the newest anchor is
 *    younger than --max-age, so a history cut after the last anchor shows
 *    too, within that time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/admin.h"
#include "tools/admin/prepare.h"
#include "tools/cli/cli.h"

#define MAX_ANCHORS 4096

struct anchor {
	uint64_t seq;		/* of the statement */
	uint64_t audit_seq;
	uint8_t audit_hash[32];
	uint64_t issued;
};

struct check {
	struct kf_store *real, *mem;
	const struct kf_authority *trust;
	uint64_t n;			/* statements applied */
	bool pinned;			/* the file's statement was met */
	uint8_t (*ids)[KF_ID_SIZE];	/* by sequence - 1 */
	size_t ids_cap;
	struct anchor anchors[MAX_ANCHORS];
	unsigned int n_anchors;
	uint64_t audit_records;		/* authority.statement records */
	uint64_t first_recorded;	/* the oldest statement they name */
	struct kf_audit_span span;	/* where the log starts (pruned) */
	int failed;
};

static int fail(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct check *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kf_err("audit verify: %s", msg);
	c->failed++;
	return -EBADMSG;
}

static void note_anchors(struct check *c, const struct kf_statement *st)
{
	static struct kf_op op;
	struct kf_op_iter it;

	kf_op_iter_init(&it, st);
	while (kf_op_next(&it, &op) == 1) {
		if (op.code != KF_OP_AUDIT_ANCHOR ||
		    c->n_anchors == MAX_ANCHORS)
			continue;
		c->anchors[c->n_anchors++] = (struct anchor){
			.seq = st->sequence, .audit_seq = op.audit_seq,
			.issued = st->issued };
		memcpy(c->anchors[c->n_anchors - 1].audit_hash, op.audit_hash,
		       32);
	}
}

/* The authority file's statement: its id, and the set it made current. */
static int pin(struct check *c, uint64_t seq)
{
	struct kf_authority a;
	uint8_t id[KF_ID_SIZE];
	uint64_t head;

	if (seq != c->trust->sequence)
		return 0;
	c->pinned = true;
	if (memcmp(c->ids[seq - 1], c->trust->statement, KF_ID_SIZE))
		return fail(c, "statement %s#%llu is not the one the authority "
			    "file was made at: this history was rewritten",
			    c->trust->region, (unsigned long long)seq);
	if (kf_store_authority(c->mem, c->trust->region, &a, &head, id) ||
	    !kf_authority_equal(&a, c->trust))
		return fail(c, "after statement %s#%llu the authority is not "
			    "the one of the authority file", c->trust->region,
			    (unsigned long long)seq);
	return 0;
}

static int apply(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	static struct kf_submission sub;
	static struct kf_submit s;
	struct kf_statement st;
	struct check *c = ctx;
	char why[256];
	void *grown;

	memset(&s, 0, sizeof(s));
	if (kf_submission_decode(&sub, raw, len, why, sizeof(why)) ||
	    !sub.has_statement ||
	    kf_statement_decode(&st, sub.statement.body,
				sub.statement.body_len, why, sizeof(why)))
		return fail(c, "statement %llu in the store is malformed",
			    (unsigned long long)seq);
	s.sub = &sub;
	s.raw = raw;
	s.raw_len = len;
	s.replay = true;
	if (st.sequence != seq || kf_store_submit(c->mem, &s))
		return fail(c, "statement %s#%llu does not hold: %s",
			    c->trust->region, (unsigned long long)seq,
			    s.why[0] ? s.why : "its sequence is not its place");
	if (seq > c->ids_cap) {
		grown = realloc(c->ids, 2 * seq * KF_ID_SIZE);
		if (!grown)
			return -ENOMEM;
		c->ids = grown;
		c->ids_cap = 2 * seq;
	}
	memcpy(c->ids[seq - 1], s.id, KF_ID_SIZE);
	c->n = seq;
	note_anchors(c, &st);
	return pin(c, seq);
}

static int replay(struct check *c)
{
	uint64_t done;
	int ret;

	do {
		done = c->n;
		ret = kf_store_statements(c->real, c->trust->region, c->n, 256,
					  apply, c);
	} while (!ret && c->n > done);
	if (ret)
		return ret;
	if (!c->n)
		return fail(c, "region %s has no statements in this store",
			    c->trust->region);
	if (!c->pinned)
		return fail(c, "the store's chain of %s ends at statement %llu, "
			    "before the one the authority file was made at "
			    "(%llu): statements were cut off",
			    c->trust->region, (unsigned long long)c->n,
			    (unsigned long long)c->trust->sequence);
	return 0;
}

/* ---- 2. the store against the statements ---------------------------------- */

struct lines {
	char **v;
	size_t n, cap;
};

static int add_line(void *ctx, const char *line)
{
	struct lines *l = ctx;
	char **grown;

	if (l->n == l->cap) {
		grown = realloc(l->v, (l->cap ? 2 * l->cap : 1024) *
				sizeof(*l->v));
		if (!grown)
			return -ENOMEM;
		l->v = grown;
		l->cap = l->cap ? 2 * l->cap : 1024;
	}
	l->v[l->n] = strdup(line);
	return l->v[l->n++] ? 0 : -ENOMEM;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_lines(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int compare(struct check *c)
{
	struct lines real = { 0 }, made = { 0 };
	size_t i = 0, j = 0;
	unsigned int shown = 0;
	int d, ret;

	ret = kf_store_authority_dump(c->real, c->trust->region, add_line,
				      &real);
	if (!ret)
		ret = kf_store_authority_dump(c->mem, c->trust->region,
					      add_line, &made);
	if (!ret) {
		qsort(real.v, real.n, sizeof(char *), by_text);
		qsort(made.v, made.n, sizeof(char *), by_text);
	}
	while (!ret && (i < real.n || j < made.n)) {
		d = i == real.n ? 1 : j == made.n ? -1 :
		    strcmp(real.v[i], made.v[j]);
		if (!d) {
			i++;
			j++;
			continue;
		}
		if (shown++ < 8)
			fail(c, "%s: %s", d < 0 ? "in the store but made by no "
			     "statement" : "made by the statements but not in "
			     "the store", d < 0 ? real.v[i] : made.v[j]);
		else
			c->failed++;
		if (d < 0)
			i++;
		else
			j++;
	}
	free_lines(&real);
	free_lines(&made);
	return ret;
}

/* ---- 3. the audit log and the statements ----------------------------------- */

static int one_record(void *ctx, const struct kf_audit_rec *r)
{
	struct check *c = ctx;
	char prefix[KF_NAME_MAX + 2], id[2 * KF_ID_SIZE + 1];
	unsigned long long seq;
	const char *p;

	if (strcmp(r->op, "authority.statement"))
		return 0;
	snprintf(prefix, sizeof(prefix), "%s#", c->trust->region);
	if (strncmp(r->subject, prefix, strlen(prefix)))
		return 0;
	c->audit_records++;
	seq = strtoull(r->subject + strlen(prefix), NULL, 10);
	if (seq && (!c->first_recorded || seq < c->first_recorded))
		c->first_recorded = seq;
	p = strstr(r->detail, "id=");
	if (!seq || seq > c->n || !p) {
		fail(c, "audit record %lld names statement %s, which the store "
		     "does not hold", (long long)r->seq, r->subject);
		return 0;
	}
	kf_hex(id, c->ids[seq - 1], KF_ID_SIZE);
	if (strncmp(p + 3, id, 2 * KF_ID_SIZE))
		fail(c, "audit record %lld names another statement %s than the "
		     "store holds", (long long)r->seq, r->subject);
	return 0;
}

/*
 * The statements whose records the log holds: all of them, or, when the
 * log was pruned (tools/store/audit_prune.c), the newest ones from some
 * statement on, each once: the pruned ones are the oldest.
 */
static uint64_t expected_records(const struct check *c)
{
	if (!c->span.pruned_seq)
		return c->n;
	if (!c->first_recorded)
		return 0;	/* every statement's record was pruned */
	return c->n - c->first_recorded + 1;
}

/* An anchor's record: its hash, the prune point's when it is that one. */
static int anchored_hash(struct check *c, uint64_t audit_seq, uint8_t h[32])
{
	if ((int64_t)audit_seq == c->span.pruned_seq) {
		memcpy(h, c->span.pruned_hash, 32);
		return 0;
	}
	return kf_store_audit_hash(c->real, (int64_t)audit_seq, h);
}

static int records(struct check *c)
{
	uint8_t h[32];
	unsigned int i;
	int ret = kf_store_audit_span(c->real, &c->span);

	if (!ret)
		ret = kf_store_audit_list(c->real, 0, 0, one_record, c);
	if (ret)
		return ret;
	if (c->audit_records != expected_records(c))
		fail(c, "the audit log records %llu statements of %s, the store "
		     "holds %llu%s", (unsigned long long)c->audit_records,
		     c->trust->region, (unsigned long long)c->n,
		     c->span.pruned_seq ? " (beyond those pruned)" : "");
	for (i = 0; i < c->n_anchors; i++) {
		/* Pruned: nothing is left to compare it with. */
		if ((int64_t)c->anchors[i].audit_seq < c->span.pruned_seq)
			continue;
		ret = anchored_hash(c, c->anchors[i].audit_seq, h);
		if (ret && ret != -ENOENT)
			return ret;
		if (ret || memcmp(h, c->anchors[i].audit_hash, 32))
			fail(c, "the anchor of statement %llu vouches for audit "
			     "record %llu, which %s", (unsigned long long)
			     c->anchors[i].seq, (unsigned long long)
			     c->anchors[i].audit_seq, ret ? "is gone" :
			     "has another hash now: the log was rewritten");
	}
	return 0;
}

/* ---- 4. anchors kept elsewhere, and their age ------------------------------ */

static int kept(struct check *c, const char *file)
{
	static struct kf_submission s;
	struct kf_statement st;
	uint8_t *raw = NULL, id[KF_ID_SIZE];
	int ret = kf_admin_load_statement(file, &s, &raw, &st, id);

	if (ret || strcmp(st.region, c->trust->region)) {
		free(raw);
		return fail(c, "%s: not a statement of %s", file,
			    c->trust->region);
	}
	if (st.sequence > c->n || memcmp(c->ids[st.sequence - 1], id, 32))
		fail(c, "%s: statement %s#%llu you kept is not in this store: "
		     "its history was cut short or rewritten", file, st.region,
		     (unsigned long long)st.sequence);
	free(raw);
	return 0;
}

static void age(struct check *c, uint64_t max_age)
{
	uint64_t newest = 0;
	unsigned int i;
	char t[32];

	for (i = 0; i < c->n_anchors; i++)
		if (c->anchors[i].issued > newest)
			newest = c->anchors[i].issued;
	if (!newest)
		fail(c, "%s has no anchor (keyferry-admin prepare anchor)",
		     c->trust->region);
	else if ((uint64_t)kf_now() - newest > max_age)
		fail(c, "the newest anchor of %s is from %s, older than "
		     "--max-age: the log after it may have been cut",
		     c->trust->region, kf_fmt_time(t, sizeof(t),
						   (int64_t)newest));
}

int kf_admin_audit_authority(struct kf_store *st, const char *authfile,
			     const char *const *anchors, unsigned int n,
			     uint64_t max_age)
{
	static struct check c;
	struct kf_authority trust;
	unsigned int i;
	int ret = kf_authority_read(authfile, &trust);

	if (ret)
		return 1;
	memset(&c, 0, sizeof(c));
	c.real = st;
	c.trust = &trust;
	ret = kf_store_open(&c.mem, ":memory:", KF_STORE_CREATE);
	if (!ret)
		ret = replay(&c);
	if (!ret)
		ret = compare(&c);
	if (!ret)
		ret = records(&c);
	for (i = 0; !ret && i < n; i++)
		ret = kept(&c, anchors[i]);
	if (!ret && max_age)
		age(&c, max_age);
	kf_store_close(c.mem);
	free(c.ids);
	if (ret && !c.failed)
		kf_err("audit verify: %s", strerror(-ret));
	if (ret || c.failed)
		return 1;
	if (kf_admin_json)
		printf("{\"region\":\"%s\",\"statements\":%llu,\"anchors\":%u}"
		       "\n", trust.region, (unsigned long long)c.n,
		       c.n_anchors);
	else
		printf("region %s: %llu statements hold under its authority, "
		       "the store is what they made, %u anchor%s hold%s\n",
		       trust.region, (unsigned long long)c.n, c.n_anchors,
		       c.n_anchors == 1 ? "" : "s",
		       c.n_anchors == 1 ? "s" : "");
	return 0;
}
