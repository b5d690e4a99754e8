// SPDX-License-Identifier: MIT
/*
 * A region's chain of statements, as a relying party follows it from the
 * repository while trusting only its authority file: every statement must
 * link to the one before; those up to the one the file was made at are
 * pinned by its id (each id covers the one before), those after it must
 * carry k signatures of the authority as it then stood, which follows
 * each authority.set.  On that walk:
 *   authority update --authority FILE [--out FILE]   the set, now
 *   members R GROUP --authority FILE [--certs DIR]   a group, now
 * so that an owner re-keying a group seals to the members the authority
 * made, not to a list the repository hands out.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/admin/admin.h"
#include "tools/authority/objfile.h"
#include "tools/cli/cli.h"

struct walk {
	struct kf_authority a;		/* the set, as far as followed */
	uint64_t pin;			/* the file's statement */
	uint8_t pin_id[KF_ID_SIZE];
	uint64_t seq;			/* the last statement walked */
	uint8_t id[KF_ID_SIZE];		/* its id */
	int (*cb)(void *ctx, const struct kf_statement *st);
	void *ctx;
};

static int take_set(struct walk *w, const struct kf_op *op, uint64_t seq)
{
	struct kf_authority n = w->a;
	char why[256];

	n.threshold = op->threshold;
	n.n = op->n_members;
	memcpy(n.m, op->members, sizeof(n.m));
	if (kf_authority_check(&n, why, sizeof(why))) {
		kf_err("statement %llu: %s", (unsigned long long)seq, why);
		return -EINVAL;
	}
	w->a = n;
	if (!kf_admin_json && seq > w->pin)
		printf("statement %llu: the authority is now %u of %u\n",
		       (unsigned long long)seq, (unsigned int)n.threshold, n.n);
	return 0;
}

/* One statement: linked to the last, pinned or signed; then the caller's. */
static int step(struct walk *w, const uint8_t *sub, size_t len, uint64_t seq)
{
	static struct kf_submission s;
	static struct kf_op op;
	struct kf_statement st;
	struct kf_signers who;
	struct kf_op_iter it;
	uint8_t id[KF_ID_SIZE];
	char why[256];
	int ret = kf_submission_decode(&s, sub, len, why, sizeof(why));

	if (!ret)
		ret = kf_statement_decode(&st, s.statement.body,
					  s.statement.body_len, why,
					  sizeof(why));
	if (!ret)
		ret = kf_signed_id(&s.statement, id);
	if (!ret && (st.sequence != seq || seq != w->seq + 1 ||
		     memcmp(st.previous, w->id, KF_ID_SIZE) ||
		     strcmp(st.region, w->a.region))) {
		kf_msg(why, sizeof(why), "statement %llu does not follow "
		       "statement %llu of %s", (unsigned long long)seq,
		       (unsigned long long)w->seq, w->a.region);
		ret = -EINVAL;
	}
	if (!ret && seq == w->pin && memcmp(id, w->pin_id, KF_ID_SIZE)) {
		kf_msg(why, sizeof(why), "statement %llu is not the one the "
		       "authority file was made at", (unsigned long long)seq);
		ret = -EINVAL;
	}
	/* After the pin, the authority as it stands must have signed. */
	if (!ret && seq > w->pin)
		ret = kf_signed_verify(&s.statement, &w->a, &who, why,
				       sizeof(why));
	if (ret) {
		kf_err("the repository's chain: %s", why);
		return ret;
	}
	kf_op_iter_init(&it, &st);
	if (seq > w->pin && kf_op_next(&it, &op) == 1 &&
	    op.code == KF_OP_AUTHORITY_SET && take_set(w, &op, seq))
		return -EINVAL;
	w->seq = seq;
	memcpy(w->id, id, KF_ID_SIZE);
	return w->cb ? w->cb(w->ctx, &st) : 0;
}

/*
 * Walk the statements after w->seq (0: from the region's first) to the
 * end the repository reports.  A walk from the first must reach the pin.
 */
static int walk(struct walk *w)
{
	char path[KF_NAME_MAX + 64];
	struct kf_reply_buf r;
	uint64_t seq;
	size_t off, len;
	int ret = 0;

	while (!ret) {
		snprintf(path, sizeof(path), "/v1/regions/%s/statements?"
			 "after=%llu", w->a.region, (unsigned long long)w->seq);
		ret = kf_admin_get(path, &r);
		if (ret)
			break;
		if (r.status != 200) {
			kf_err("%s: %ld: %s", path, r.status, kf_reply_text(&r));
			ret = -EIO;
		}
		for (off = 0; !ret && off < r.len; off += 12 + len) {
			len = 0;
			if (r.len - off < 12) {
				ret = -EPROTO;
				break;
			}
			seq = kf_be(r.body + off, 8);
			len = (size_t)kf_be(r.body + off + 8, 4);
			if (r.len - off - 12 < len)
				ret = -EPROTO;
			else
				ret = step(w, r.body + off + 12, len, seq);
		}
		len = r.len;
		kf_reply_buf_free(&r);
		if (!len)
			break;
	}
	if (ret == -EPROTO)
		kf_err("%s: the repository's answer is malformed", path);
	if (!ret && w->seq < w->pin) {
		kf_err("the repository's chain of %s ends at statement %llu, "
		       "before the authority file's (%llu)", w->a.region,
		       (unsigned long long)w->seq,
		       (unsigned long long)w->pin);
		ret = -EINVAL;
	}
	return ret;
}

static int walk_init(struct walk *w, const char *file, bool from_first)
{
	memset(w, 0, sizeof(*w));
	if (kf_authority_read(file, &w->a))
		return -EINVAL;
	w->pin = w->a.sequence;
	memcpy(w->pin_id, w->a.statement, KF_ID_SIZE);
	if (!from_first) {
		w->seq = w->pin;
		memcpy(w->id, w->pin_id, KF_ID_SIZE);
	}
	return 0;
}

int kf_admin_authority_update(const char *file, const char *out)
{
	struct walk w;
	uint64_t start;

	if (walk_init(&w, file, false))
		return 1;
	start = w.seq;
	if (walk(&w))
		return 1;
	w.a.sequence = w.seq;
	memcpy(w.a.statement, w.id, KF_ID_SIZE);
	if (!kf_admin_json)
		printf("%s: followed statements %llu to %llu\n", w.a.region,
		       (unsigned long long)start, (unsigned long long)w.seq);
	return kf_authority_write(out ? out : file, &w.a) ? 1 : 0;
}

/* ---- members R GROUP ------------------------------------------------------ */

struct group {
	const char *name;
	char (*members)[KF_NAME_MAX + 1];
	unsigned int n, cap;
	char (*revoked)[KF_NAME_MAX + 1];
	unsigned int n_revoked, cap_revoked;
};

static int find(char (*list)[KF_NAME_MAX + 1], unsigned int n,
		const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return (int)i;
	return -1;
}

static int add(char (**list)[KF_NAME_MAX + 1], unsigned int *n,
	       unsigned int *cap, const char *name)
{
	void *grown;

	if (find(*list, *n, name) >= 0)
		return 0;
	if (*n == *cap) {
		grown = realloc(*list, (*cap ? 2 * *cap : 64) *
				sizeof((*list)[0]));
		if (!grown)
			return -ENOMEM;
		*list = grown;
		*cap = *cap ? 2 * *cap : 64;
	}
	snprintf((*list)[(*n)++], KF_NAME_MAX + 1, "%s", name);
	return 0;
}

/* What a statement does to the group's membership. */
static int membership(void *ctx, const struct kf_statement *st)
{
	static struct kf_op op;
	struct group *g = ctx;
	struct kf_op_iter it;
	int i, ret = 0;

	kf_op_iter_init(&it, st);
	while (!ret && kf_op_next(&it, &op) == 1) {
		if ((op.code == KF_OP_GROUP_CREATE ||
		     op.code == KF_OP_GROUP_DELETE) && !strcmp(op.name, g->name))
			g->n = 0;
		else if (op.code == KF_OP_GROUP_ADD &&
			 !strcmp(op.group, g->name))
			ret = add(&g->members, &g->n, &g->cap, op.name);
		else if (op.code == KF_OP_GROUP_REMOVE &&
			 !strcmp(op.group, g->name) &&
			 (i = find(g->members, g->n, op.name)) >= 0)
			memmove(g->members[i], g->members[i + 1],
				(g->n-- - (unsigned int)i - 1) *
				sizeof(g->members[0]));
		else if (op.code == KF_OP_ENTITY_REVOKE)
			ret = add(&g->revoked, &g->n_revoked,
				  &g->cap_revoked, op.name);
	}
	return ret;
}

/* A member's certificate, verified against the authority now, to DIR. */
static int certify(const struct kf_authority *a, const char *member,
		   const char *dir)
{
	char path[2 * KF_NAME_MAX + 64], why[256], out[KF_NAME_MAX + 256];
	struct kf_certificate c;
	struct kf_reply_buf r;
	int ret;

	snprintf(path, sizeof(path), "/v1/regions/%s/entities/%s/certificate",
		 a->region, member);
	ret = kf_admin_get(path, &r);
	if (ret)
		return ret;
	if (r.status != 200) {
		kf_err("%s: %ld: %s", path, r.status, kf_reply_text(&r));
		ret = -ENOENT;
	} else if (kf_verify_certificate(a, r.body, r.len, kf_now(), &c, why,
					 sizeof(why)) ||
		   strcmp(c.entity, member)) {
		kf_err("%s: %s", member, strcmp(c.entity, member) ? "the "
		       "repository served another entity's certificate" : why);
		ret = -EPERM;
	} else {
		snprintf(out, sizeof(out), "%s/%s.cert", dir, member);
		ret = kf_objfile_write(out, KF_FILE_CERTIFICATE, "", r.body,
				       r.len);
	}
	kf_reply_buf_free(&r);
	return ret;
}

/*
 * keyferry-admin members R GROUP --authority FILE [--certs DIR]: the
 * group's members (not revoked) as the authority's statements made them;
 * with --certs, each one's certificate, verified, into DIR/NAME.cert.
 */
int kf_admin_members(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "authority", 1, NULL, 'a' }, { "certs", 1, NULL, 'c' },
		{ 0 }
	};
	struct group g = { 0 };
	const char *file = NULL, *dir = NULL;
	unsigned int i;
	struct walk w;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "a:c:", opts, NULL)) != -1) {
		if (c == 'a')
			file = optarg;
		else if (c == 'c')
			dir = optarg;
		else
			return 2;
	}
	if (!file || argc - optind != 2 || kf_parse_name("group",
							 argv[optind + 1])) {
		kf_err("members R GROUP --authority AUTHORITY-FILE [--certs "
		       "DIR]");
		return 2;
	}
	if (walk_init(&w, file, true))
		return 1;
	if (strcmp(w.a.region, argv[optind])) {
		kf_err("--authority: %s is the authority of %s", file,
		       w.a.region);
		return 2;
	}
	if (dir && mkdir(dir, 0755) && errno != EEXIST) {
		kf_err("--certs %s: %s", dir, strerror(errno));
		return 1;
	}
	g.name = argv[optind + 1];
	w.cb = membership;
	w.ctx = &g;
	ret = walk(&w);
	for (i = 0; !ret && i < g.n; i++) {
		if (find(g.revoked, g.n_revoked, g.members[i]) >= 0)
			continue;
		if (dir)
			ret = certify(&w.a, g.members[i], dir);
		if (!ret)
			printf("%s\n", g.members[i]);
	}
	free(g.members);
	free(g.revoked);
	return ret ? 1 : 0;
}
