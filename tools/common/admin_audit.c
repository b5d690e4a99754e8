// SPDX-License-Identifier: MIT
/* keyferry-admin: the audit log. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tools/common/admin.h"
#include "tools/common/util.h"

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

struct head {
	uint8_t hash[32];
};

static int keep_head(void *ctx, const struct kf_audit_rec *r)
{
	memcpy(((struct head *)ctx)->hash, r->hash, 32);
	return 0;
}

int kf_admin_audit(struct kf_store *st, int argc, char **argv)
{
	struct head head = { { 0 } };
	int64_t rows, bad;
	char h[65];
	int ret;

	if (!strcmp(argv[0], "show"))
		return audit_show(st, argc, argv);
	if (strcmp(argv[0], "verify")) {
		kf_err("audit: unknown sub-command '%s' (show, verify)",
		       argv[0]);
		return 2;
	}
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
	if (ret)
		return kf_admin_fail("audit verify", ret);
	if (rows)
		kf_store_audit_list(st, rows, 1, keep_head, &head);
	kf_hex(h, head.hash, 32);
	if (kf_admin_json)
		printf("{\"ok\":true,\"rows\":%lld,\"head\":\"%s\"}\n",
		       (long long)rows, h);
	else
		printf("audit chain verifies: %lld records, head %s\n"
		       "(keep the head elsewhere: it proves later that no "
		       "record was cut off the end)\n", (long long)rows, h);
	return 0;
}
