// SPDX-License-Identifier: MIT
/* keyferry-admin: entities. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/prepare.h"
#include "tools/cli/cli.h"

static void print_json(const struct kf_entity *e, const char *kei,
		       const char *kec)
{
	printf("{\"region\":");
	kf_json_str(e->region);
	printf(",\"name\":");
	kf_json_str(e->name);
	printf(",\"state\":\"%s\",\"kei_pub\":\"%s\",\"kec_pub\":\"%s\","
	       "\"enrolled\":%lld,\"revoked\":%lld,\"valid_from\":%lld}\n",
	       kf_store_entity_state_name(e->state), kei, kec,
	       (long long)e->enrolled, (long long)e->revoked,
	       (long long)e->valid_from);
}

static int print_entity(void *ctx, const struct kf_entity *e)
{
	char kei[64], kec[64], t1[32], t2[32], t3[32];
	bool full = ctx != NULL;

	kf_base64_encode(kei, sizeof(kei), e->kei_pub, KF_KEY_SIZE);
	kf_base64_encode(kec, sizeof(kec), e->kec_pub, KF_KEY_SIZE);
	if (kf_admin_json) {
		print_json(e, kei, kec);
		return 0;
	}
	kf_fmt_time(t1, sizeof(t1), e->enrolled);
	kf_fmt_time(t2, sizeof(t2), e->revoked);
	kf_fmt_time(t3, sizeof(t3), e->valid_from);
	if (!full) {
		printf("%s/%s %s enrolled %s\n", e->region, e->name,
		       kf_store_entity_state_name(e->state), t1);
		return 0;
	}
	/* Not the Kec fingerprint: that one the owner reads on the host,
	 * since what this database says is exactly what it checks. */
	printf("entity:     %s/%s\nstate:      %s\nenrolled:   %s\n"
	       "revoked:    %s\nvalid from: %s\nKei-pub:    %s\n"
	       "Kec-pub:    %s  (seal to this: keyferry-seal --to-kec, with\n"
	       "            --expect-kec and the fingerprint `keyferry status`"
	       " shows on the host)\n",
	       e->region, e->name, kf_store_entity_state_name(e->state), t1, t2, t3,
	       kei, kec);
	return 0;
}

static int entity_list(struct kf_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", 1, NULL, 'r' }, { 0 }
	};
	const char *region = NULL;
	int o, ret;

	while ((o = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (o != 'r' || kf_parse_name("--region", optarg))
			return 2;
		region = optarg;
	}
	ret = kf_store_entity_list(st, region, print_entity, NULL);
	return ret ? kf_admin_fail("entity list", ret) : 0;
}

int kf_admin_entity(struct kf_store *st, int argc, char **argv)
{
	struct kf_entity e;
	int ret;

	if (!strcmp(argv[0], "list"))
		return entity_list(st, argc, argv);
	if (!strcmp(argv[0], "show")) {
		if (kf_admin_need(argc, 3, "entity show"))
			return 2;
		ret = kf_store_entity_get(st, argv[1], argv[2], &e);
		if (ret)
			return kf_admin_fail(argv[2], ret);
		return print_entity(&e, &e);
	}
	kf_err("entity: unknown sub-command '%s' (list, show; approvals and "
	       "revocations are statements: keyferry-admin prepare approve, "
	       "revoke)", argv[0]);
	return 2;
}

/* ---- prepare approve, prepare revoke --------------------------------------- */

static int check_kec(const struct kf_entity_info *e, const char *expect)
{
	uint8_t want[KF_KEY_SIZE];

	if (!expect)
		return 0;
	if (kf_key_from_base64(want, expect)) {
		kf_err("--expect-kec: not the base64 of a 32-byte key");
		return -EINVAL;
	}
	if (!kf_equal(want, e->kec_pub, KF_KEY_SIZE)) {
		kf_err("%s: the repository holds another Kec-pub than the one "
		       "expected (--expect-kec): do not approve it", e->name);
		return -EPERM;
	}
	return 0;
}

static int serial(uint64_t *s)
{
	int ret;

	do {
		ret = kf_random(s, sizeof(*s));
		*s &= INT64_MAX;	/* 63 bits: the store keeps it signed */
	} while (!ret && !*s);
	return ret;
}

/*
 * prepare approve R NAME... [--not-before T] [--not-after T]
 * [--expect-kec KEC]: a certificate per entity, made from the keys the
 * repository holds for it; every member who signs sees them in full and
 * should compare the Kec-pub with what the host shows (keyferry status).
 */
int kf_prepare_approve(int argc, char **argv, struct kf_prep_opts *o)
{
	static struct kf_entity_info e;
	static struct kf_op op;
	struct kf_certificate c;
	struct kf_draft *d;
	int i;

	if (argc < 3 || kf_parse_name("region", argv[1])) {
		kf_err("prepare approve R NAME... [--not-before T] "
		       "[--not-after T] [--expect-kec KEC]");
		return 2;
	}
	if (o->expect_kec && argc != 3) {
		kf_err("--expect-kec: one entity at a time");
		return 2;
	}
	if (argc - 2 > KF_OPS_MAX) {
		kf_err("prepare approve: at most %d entities at once",
		       KF_OPS_MAX);
		return 2;
	}
	d = kf_draft_begin(argv[1], false, o);
	if (!d)
		return 1;
	for (i = 2; i < argc; i++) {
		if (kf_parse_name("entity", argv[i]) ||
		    kf_admin_entity_info(argv[1], argv[i], &e) ||
		    check_kec(&e, o->expect_kec))
			return 1;
		if (e.state == KF_ENTITY_REVOKED) {
			kf_err("%s: revoked", argv[i]);
			return 1;
		}
		memset(&c, 0, sizeof(c));
		snprintf(c.region, sizeof(c.region), "%s", argv[1]);
		snprintf(c.entity, sizeof(c.entity), "%s", e.name);
		memcpy(c.kei_pub, e.kei_pub, KF_KEY_SIZE);
		memcpy(c.kec_pub, e.kec_pub, KF_KEY_SIZE);
		c.not_before = o->has_not_before ? (uint64_t)o->not_before :
			       kf_draft_header(d)->issued;
		c.not_after = o->has_not_after ? (uint64_t)o->not_after :
			      c.not_before + 365 * 86400ull;
		if (c.not_after <= c.not_before) {
			kf_err("--not-after: not after --not-before");
			return 2;
		}
		memset(&op, 0, sizeof(op));
		op.code = KF_OP_ENTITY_APPROVE;
		op.present = 1u << KF_F_NAME | 1u << KF_F_OBJECT_ID;
		snprintf(op.name, sizeof(op.name), "%s", e.name);
		if (serial(&c.serial) ||
		    kf_draft_certificate(d, &c, op.object_id) ||
		    kf_draft_op(d, &op))
			return 1;
	}
	return kf_draft_finish(d, o);
}

/*
 * The next revocation list: the last one's entries whose certificates are
 * still valid at this update, and adds.  It is made here, from what the
 * repository serves, and the members who sign it read every entry: the
 * repository applies it only if it names exactly the region's revoked,
 * certified entities.
 */
int kf_next_revocations(struct kf_draft *d, const struct kf_prep_opts *o,
			struct kf_revocation *adds, unsigned int n_adds)
{
	static struct kf_revocation entries[1024];
	struct kf_revocations last = { .number = 0 }, next = { .number = 0 };
	const struct kf_statement *h = kf_draft_header(d);
	struct kf_revocation_iter it;
	static struct kf_op op;
	struct kf_signed s;
	char why[200];
	unsigned int n = 0, i;
	uint8_t *buf = NULL;
	size_t len;
	int ret = kf_admin_last_list(h->region, &buf, &len);

	if (ret && ret != -ENOENT)
		return ret;
	if (!ret && (kf_signed_decode(&s, KF_OBJ_REVOCATIONS, buf, len) ||
		     kf_revocations_decode(&last, s.body, s.body_len, why,
					   sizeof(why)))) {
		kf_err("the repository's revocation list is malformed");
		free(buf);
		return -EPROTO;
	}
	if (!ret) {
		kf_revocation_iter_init(&it, &last);
		while (n < KF_ARRAY_SIZE(entries) &&
		       kf_revocation_next(&it, &entries[n]) == 1)
			if (entries[n].not_after > h->issued)
				n++;
	}
	free(buf);
	for (i = 0; i < n_adds && n < KF_ARRAY_SIZE(entries); i++)
		entries[n++] = adds[i];
	snprintf(next.region, sizeof(next.region), "%s", h->region);
	next.number = last.number + 1;
	next.this_update = h->issued;
	next.next_update = h->issued + o->next_update;
	memset(&op, 0, sizeof(op));
	op.code = KF_OP_REVOCATIONS;
	op.present = 1u << KF_F_OBJECT_ID | 1u << KF_F_NUMBER;
	op.number = next.number;
	ret = kf_draft_revocations(d, &next, entries, n, op.object_id);
	return ret ? ret : kf_draft_op(d, &op);
}

/* prepare revoke R NAME... [--reason TEXT] [--next-update 30d] */
int kf_prepare_revoke(int argc, char **argv, struct kf_prep_opts *o)
{
	static struct kf_revocation adds[KF_OPS_MAX];
	static struct kf_entity_info e;
	static struct kf_op op;
	struct kf_draft *d;
	unsigned int n = 0;
	int i;

	if (argc < 3 || argc - 2 > KF_OPS_MAX - 1 ||
	    kf_parse_name("region", argv[1])) {
		kf_err("prepare revoke R NAME... (at most %d) [--reason TEXT] "
		       "[--next-update 30d]", KF_OPS_MAX - 1);
		return 2;
	}
	d = kf_draft_begin(argv[1], false, o);
	if (!d)
		return 1;
	for (i = 2; i < argc; i++) {
		if (kf_parse_name("entity", argv[i]) ||
		    kf_admin_entity_info(argv[1], argv[i], &e))
			return 1;
		memset(&op, 0, sizeof(op));
		op.code = KF_OP_ENTITY_REVOKE;
		op.present = 1u << KF_F_NAME;
		snprintf(op.name, sizeof(op.name), "%s", e.name);
		if (o->reason) {
			op.present |= 1u << KF_F_REASON;
			snprintf(op.reason, sizeof(op.reason), "%s", o->reason);
		}
		if (kf_draft_op(d, &op))
			return 1;
		/* Listed when a relying party could be shown a certificate. */
		if (!e.serial || e.not_after <=
		    (int64_t)kf_draft_header(d)->issued)
			continue;
		memset(&adds[n], 0, sizeof(adds[n]));
		snprintf(adds[n].entity, sizeof(adds[n].entity), "%s", e.name);
		memcpy(adds[n].kei_pub, e.kei_pub, KF_KEY_SIZE);
		adds[n].revoked = kf_draft_header(d)->issued;
		adds[n].not_after = (uint64_t)e.not_after;
		n++;
	}
	if (kf_next_revocations(d, o, adds, n))
		return 1;
	return kf_draft_finish(d, o);
}

/*
 * keyferry-admin pending R: the region's entities awaiting approval, as
 * the repository reports them, with the keys a member compares with what
 * each host shows before approving it.
 */
int kf_admin_pending(int argc, char **argv)
{
	char path[KF_NAME_MAX + 32], kec[64], t[32];
	static struct kf_entity_info e;
	struct kf_tlv_reader rd;
	struct kf_reply_buf r;
	const uint8_t *v;
	uint16_t type;
	size_t n;
	int rc, ret;

	if (argc != 2 || kf_parse_name("region", argv[1])) {
		kf_err("pending R");
		return 2;
	}
	snprintf(path, sizeof(path), "/v1/regions/%s/pending", argv[1]);
	ret = kf_admin_get(path, &r);
	if (ret)
		return 1;
	if (r.status != 200) {
		kf_err("%s: %ld: %s", path, r.status, kf_reply_text(&r));
		kf_reply_buf_free(&r);
		return 1;
	}
	kf_tlv_reader_init(&rd, r.body, r.len, 1u << 1);
	while ((rc = kf_tlv_next(&rd, &type, &v, &n)) == 1) {
		if (type != 1 || kf_admin_entity_decode(&e, v, n))
			break;
		kf_base64_encode(kec, sizeof(kec), e.kec_pub, KF_KEY_SIZE);
		kf_fmt_time(t, sizeof(t), e.enrolled);
		if (kf_admin_json) {
			printf("{\"name\":");
			kf_json_str(e.name);
			printf(",\"kec_pub\":\"%s\",\"enrolled\":%lld}\n", kec,
			       (long long)e.enrolled);
		} else {
			printf("%s enrolled %s Kec-pub %s\n", e.name, t, kec);
		}
	}
	kf_reply_buf_free(&r);
	if (rc) {
		kf_err("%s: the repository's answer is malformed", path);
		return 1;
	}
	return 0;
}
