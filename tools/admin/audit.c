// SPDX-License-Identifier: MIT
/* keyferry-admin: the audit log. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tools/admin/admin.h"
#include "tools/cli/cli.h"

static int print_rec(void *ctx, const struct kf_audit_rec *r)
{
	char t[32], h[65];

	kf_hex(h, r->hash, 32);
	if (kf_admin_json) {
		printf("{\"seq\":%lld,\"ts\":%lld,\"actor\":", (long long)r->seq,
		       (long long)r->ts);
		kf_json_str(r->actor);
		printf(",\"op\":");
		kf_json_str(r->op);
		printf(",\"subject\":");
		kf_json_str(r->subject);
		printf(",\"result\":");
		kf_json_str(r->result);
		printf(",\"detail\":");
		kf_json_str(r->detail);
		printf(",\"hash\":\"%s\"}\n", h);
		return 0;
	}
	kf_fmt_time(t, sizeof(t), r->ts);
	printf("%6lld %s %-12s %-22s %-28s %s %s\n", (long long)r->seq, t,
	       r->actor, r->op, r->subject, r->result, r->detail);
	return 0;
}

static int audit_show(struct kf_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", 1, NULL, 's' }, { "limit", 1, NULL, 'l' }, { 0 }
	};
	uint64_t since = 0, limit = 0;
	int o, ret;

	while ((o = getopt_long(argc, argv, "s:l:", opts, NULL)) != -1) {
		if ((o == 's' && kf_parse_u64("--since", optarg, 0, INT64_MAX,
					      &since)) ||
		    (o == 'l' && kf_parse_u64("--limit", optarg, 1, INT64_MAX,
					      &limit)) || o == '?')
			return 2;
	}
	ret = kf_store_audit_list(st, (int64_t)since, (int64_t)limit,
				  print_rec, NULL);
	return ret ? kf_admin_fail("audit show", ret) : 0;
}

/* "SEQ:HEX": a head kept from an earlier `audit verify` or prune. */
static int parse_head(const char *s, int64_t *seq, uint8_t hash[32])
{
	char num[24], hex[65];
	const char *colon = strchr(s, ':');
	uint64_t v;
	unsigned int i, b;

	if (!colon || colon - s >= (long)sizeof(num) || strlen(colon + 1) != 64)
		goto bad;
	snprintf(num, sizeof(num), "%.*s", (int)(colon - s), s);
	if (kf_parse_u64("--head", num, 1, INT64_MAX, &v))
		return -EINVAL;
	snprintf(hex, sizeof(hex), "%s", colon + 1);
	for (i = 0; i < 32; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			goto bad;
		hash[i] = (uint8_t)b;
	}
	*seq = (int64_t)v;
	return 0;
bad:
	kf_err("--head: '%s' is not SEQ:HASH (64 hex digits)", s);
	return -EINVAL;
}

struct found {
	int64_t seq;
	uint8_t hash[32];
	bool seen;
};

static int find_rec(void *ctx, const struct kf_audit_rec *r)
{
	struct found *f = ctx;

	f->seen = r->seq == f->seq;
	memcpy(f->hash, r->hash, 32);
	return 0;
}

/*
 * A head kept earlier: still in the chain with the same hash, or the prune
 * point itself; a head older than the prune point cannot be linked any
 * more (audit_prune.c), which is said, and is a failure.
 */
static int check_head(struct kf_store *st, const struct kf_audit_span *sp,
		      int64_t seq, const uint8_t hash[32])
{
	struct found f = { .seq = seq };
	int ret;

	if (seq < sp->pruned_seq) {
		kf_err("audit verify --head: record %lld was pruned (the log "
		       "starts after %lld): only a copy of the pruned records "
		       "can link that head to the prune point",
		       (long long)seq, (long long)sp->pruned_seq);
		return 1;
	}
	if (seq == sp->pruned_seq) {
		f.seen = true;
		memcpy(f.hash, sp->pruned_hash, 32);
	} else {
		ret = kf_store_audit_list(st, seq, 1, find_rec, &f);
		if (ret)
			return kf_admin_fail("audit verify", ret);
	}
	if (!f.seen) {
		kf_err("audit verify --head: record %lld is not in the log (it "
		       "ends at %lld): records were cut off the end",
		       (long long)seq, (long long)sp->head_seq);
		return 1;
	}
	if (memcmp(f.hash, hash, 32)) {
		kf_err("audit verify --head: record %lld's hash differs from "
		       "the head kept: the log was rewritten", (long long)seq);
		return 1;
	}
	return 0;
}

static void print_verified(int64_t rows, const struct kf_audit_span *sp,
			   bool hint)
{
	char h[65], p[65];

	kf_hex(h, sp->head_hash, 32);
	kf_hex(p, sp->pruned_hash, 32);
	if (kf_admin_json) {
		printf("{\"ok\":true,\"rows\":%lld,\"head_seq\":%lld,"
		       "\"head\":\"%s\",\"pruned_through\":%lld,"
		       "\"pruned_hash\":\"%s\"}\n", (long long)rows,
		       (long long)sp->head_seq, h, (long long)sp->pruned_seq,
		       sp->pruned_seq ? p : "");
		return;
	}
	printf("audit chain verifies: %lld records, head %lld:%s\n",
	       (long long)rows, (long long)sp->head_seq, h);
	if (sp->pruned_seq)
		printf("pruned through record %lld, whose hash %s the chain "
		       "starts from\n", (long long)sp->pruned_seq, p);
	if (hint)
		printf("(keep the head elsewhere: it proves later that no "
		       "record was cut off the end; check it with audit verify "
		       "--head SEQ:HASH,\n or verify against the authority's "
		       "anchors: --authority FILE)\n");
}

static int print_statement(void *ctx, uint64_t seq, const uint8_t *raw,
			   size_t len)
{
	static struct kf_submission sub;
	struct kf_statement st;
	char why[256], t[32], id[2 * KF_ID_SIZE + 1];
	uint8_t bin[KF_ID_SIZE];

	if (kf_submission_decode(&sub, raw, len, why, sizeof(why)) ||
	    kf_statement_decode(&st, sub.statement.body,
				sub.statement.body_len, why, sizeof(why)) ||
	    kf_signed_id(&sub.statement, bin)) {
		printf("%llu malformed\n", (unsigned long long)seq);
		return 0;
	}
	kf_hex(id, bin, KF_ID_SIZE);
	kf_fmt_time(t, sizeof(t), (int64_t)st.issued);
	if (kf_admin_json)
		printf("{\"sequence\":%llu,\"id\":\"%s\",\"issued\":%llu,"
		       "\"operations\":%u,\"signatures\":%u}\n",
		       (unsigned long long)seq, id,
		       (unsigned long long)st.issued, st.n_ops,
		       sub.statement.n_sigs);
	else
		printf("%s#%llu %s issued %s, %u operation%s, %u signature%s\n",
		       st.region, (unsigned long long)seq, id, t, st.n_ops,
		       st.n_ops == 1 ? "" : "s", sub.statement.n_sigs,
		       sub.statement.n_sigs == 1 ? "" : "s");
	*(uint64_t *)ctx = seq;
	return 0;
}

/* statement list R: the region's chain as the store holds it. */
static int statement_list(struct kf_store *st, int argc, char **argv)
{
	uint64_t last = 0, done;
	int ret;

	if (argc != 3 || strcmp(argv[1], "list") ||
	    kf_parse_name("region", argv[2])) {
		kf_err("statement list R");
		return 2;
	}
	do {
		done = last;
		ret = kf_store_statements(st, argv[2], last, 256,
					  print_statement, &last);
	} while (!ret && last > done);
	return ret ? kf_admin_fail("statement list", ret) : 0;
}

struct verify_opts {
	int64_t head_seq;	/* --head, 0: none */
	uint8_t head[32];
	const char *authority;
	const char *anchors[16];
	unsigned int n_anchors;
	uint64_t max_age;
};

static int verify_opts(int argc, char **argv, struct verify_opts *v)
{
	static const struct option opts[] = {
		{ "authority", 1, NULL, 'a' }, { "anchor", 1, NULL, 'A' },
		{ "max-age", 1, NULL, 'm' }, { "head", 1, NULL, 'H' }, { 0 }
	};
	int o;

	memset(v, 0, sizeof(*v));
	while ((o = getopt_long(argc, argv, "a:A:m:H:", opts, NULL)) != -1) {
		if (o == 'H') {
			if (parse_head(optarg, &v->head_seq, v->head))
				return -EINVAL;
		} else if (o == 'a') {
			v->authority = optarg;
		} else if (o == 'A' && v->n_anchors < 16) {
			v->anchors[v->n_anchors++] = optarg;
		} else if (o != 'm' ||
			   kf_parse_duration("--max-age", optarg, &v->max_age)) {
			return -EINVAL;
		}
	}
	if ((v->n_anchors || v->max_age) && !v->authority) {
		kf_err("audit verify: --anchor and --max-age go with "
		       "--authority");
		return -EINVAL;
	}
	return optind == argc ? 0 : -EINVAL;
}

/*
 * audit prune --before TIME | --older-than DURATION: the records older
 * than that go; the prune is itself a record, and the chain verifies from
 * the prune point on (tools/store/audit_prune.c).
 */
static int audit_prune(struct kf_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "before", 1, NULL, 'b' }, { "older-than", 1, NULL, 'o' },
		{ 0 }
	};
	struct kf_audit_prune p;
	struct kf_audit_span sp;
	int64_t before = -1, now = kf_now();
	uint64_t age;
	char h[65], t[32];
	int o, ret;

	while ((o = getopt_long(argc, argv, "b:o:", opts, NULL)) != -1) {
		if (o == 'b' && !kf_parse_time("--before", optarg, &before))
			continue;
		if (o == 'o' && !kf_parse_duration("--older-than", optarg,
						   &age)) {
			before = now - (int64_t)(age < (uint64_t)now ? age : 0);
			continue;
		}
		return 2;
	}
	if (before < 0 || optind != argc) {
		kf_err("audit prune: --before TIME or --older-than DURATION");
		return 2;
	}
	/* Pruning what has just happened is a slip, not retention. */
	if (before > now) {
		kf_err("audit prune: --before %s is in the future",
		       kf_fmt_time(t, sizeof(t), before));
		return 1;
	}
	ret = kf_store_audit_prune(st, before, &p);
	if (!ret)
		ret = kf_store_audit_span(st, &sp);
	if (ret)
		return kf_admin_fail("audit prune", ret);
	kf_hex(h, sp.head_hash, 32);
	if (kf_admin_json)
		printf("{\"pruned\":%lld,\"through\":%lld,\"head_seq\":%lld,"
		       "\"head\":\"%s\"}\n", (long long)p.records,
		       (long long)sp.pruned_seq, (long long)sp.head_seq, h);
	else if (!p.records)
		printf("nothing older than %s\n", kf_fmt_time(t, sizeof(t),
							       before));
	else
		printf("pruned %lld records, through record %lld; the log now "
		       "ends at %lld:%s\n(keep this head: earlier ones before "
		       "record %lld cannot be checked any more)\n",
		       (long long)p.records, (long long)sp.pruned_seq,
		       (long long)sp.head_seq, h, (long long)sp.pruned_seq);
	return 0;
}

static int audit_verify(struct kf_store *st, int argc, char **argv)
{
	struct kf_audit_span sp;
	struct verify_opts v;
	int64_t rows, bad;
	int ret;

	if (verify_opts(argc, argv, &v))
		return 2;
	ret = kf_store_audit_verify(st, &rows, &bad);
	if (ret == -EBADMSG) {
		if (kf_admin_json)
			printf("{\"ok\":false,\"rows\":%lld,\"first_bad\":%lld}\n",
			       (long long)rows, (long long)bad);
		kf_err("audit verify: chain broken at record %lld (%lld "
		       "records before it verify)", (long long)bad,
		       (long long)rows);
		return 1;
	}
	if (!ret)
		ret = kf_store_audit_span(st, &sp);
	if (ret)
		return kf_admin_fail("audit verify", ret);
	if (v.head_seq && check_head(st, &sp, v.head_seq, v.head))
		return 1;
	print_verified(rows, &sp, !v.authority);
	if (!v.authority)
		return 0;
	return kf_admin_audit_authority(st, v.authority, v.anchors,
					v.n_anchors, v.max_age);
}

int kf_admin_audit(struct kf_store *st, int argc, char **argv)
{
	if (!strcmp(argv[0], "statement"))
		return statement_list(st, argc, argv);
	if (!strcmp(argv[0], "show"))
		return audit_show(st, argc, argv);
	if (!strcmp(argv[0], "verify"))
		return audit_verify(st, argc, argv);
	if (!strcmp(argv[0], "prune"))
		return audit_prune(st, argc, argv);
	kf_err("audit: unknown sub-command '%s' (show, verify, prune)",
	       argv[0]);
	return 2;
}
