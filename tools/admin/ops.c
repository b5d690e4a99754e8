// SPDX-License-Identifier: MIT
/*
 * keyferry-admin prepare: the operations on the region itself, its
 * groups, data sets and owners, enrollment tokens and audit anchors (the
 * entities' approvals and revocations are in entity.c, item requests in
 * item.c).  Each builds its operation from the command line, refusing
 * what does not fit it with a message naming the argument.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tools/admin/prepare.h"
#include "tools/cli/cli.h"

#define F(x)	(1u << (x))

static int one_op(const char *region, bool first, struct kf_op *op,
		  struct kf_prep_opts *o)
{
	struct kf_draft *d = kf_draft_begin(region, first, o);

	if (!d || kf_draft_op(d, op))
		return 1;
	return kf_draft_finish(d, o);
}

static int args(int argc, int n, const char *usage)
{
	if (argc == n)
		return 0;
	kf_err("prepare %s", usage);
	return -EINVAL;
}

/* prepare region R / prepare authority R: --threshold K --member N=KEY... */
int kf_prepare_authority(int argc, char **argv, struct kf_prep_opts *o)
{
	bool first = !strcmp(argv[0], "region");
	static struct kf_op op;
	struct kf_authority a = { 0 };
	char why[200];

	if (args(argc, 2, first ? "region R --threshold K --member NAME=KEY..."
		 : "authority R --threshold K --member NAME=KEY...") ||
	    kf_parse_name("region", argv[1]))
		return 2;
	a.threshold = o->threshold < 0 ? 0 : (uint8_t)o->threshold;
	a.n = o->n_members;
	memcpy(a.m, o->members, sizeof(a.m));
	if (kf_authority_check(&a, why, sizeof(why))) {
		kf_err("--threshold, --member: %s", why);
		return 2;
	}
	memset(&op, 0, sizeof(op));
	op.code = first ? KF_OP_REGION_CREATE : KF_OP_AUTHORITY_SET;
	op.present = F(KF_F_THRESHOLD);
	op.threshold = a.threshold;
	op.n_members = a.n;
	memcpy(op.members, a.m, sizeof(op.members));
	return one_op(argv[1], first, &op, o);
}

/*
 * prepare token R [--entity NAME] [--ttl 24h] [--token-out FILE]: the
 * token is made here, shown once, and only its SHA-256 goes into the
 * statement (which the repository keeps and anyone may read).
 */
int kf_prepare_token(int argc, char **argv, struct kf_prep_opts *o)
{
	static struct kf_op op;
	unsigned int hlen = 32;
	uint8_t raw[32];
	char tok[65];
	int ret;

	if (args(argc, 2, "token R [--entity NAME] [--ttl 24h]") ||
	    kf_parse_name("region", argv[1]))
		return 2;
	memset(&op, 0, sizeof(op));
	op.code = KF_OP_TOKEN_ISSUE;
	op.present = F(KF_F_KEY) | F(KF_F_NOT_AFTER);
	if (o->entity) {
		op.present |= F(KF_F_NAME);
		snprintf(op.name, sizeof(op.name), "%s", o->entity);
	}
	op.not_after = (uint64_t)kf_now() + o->ttl;
	if (kf_random(raw, sizeof(raw)))
		return 1;
	kf_hex(tok, raw, sizeof(raw));
	kf_wipe(raw, sizeof(raw));
	if (EVP_Digest(tok, 64, op.key, &hlen, EVP_sha256(), NULL) != 1)
		return 1;
	ret = o->token_out ? kf_write_file(o->token_out, tok, 64, 0600) : 0;
	if (ret)
		kf_err("--token-out %s: %s", o->token_out, strerror(-ret));
	else
		ret = one_op(argv[1], false, &op, o);
	if (!ret && kf_admin_json)
		printf("{\"token\":\"%s\"}\n", tok);
	else if (!ret)
		printf("one-time enrollment token (shown once; it works once "
		       "the statement is applied): %s\n", tok);
	kf_wipe(tok, sizeof(tok));
	return ret ? 1 : 0;
}

/* "a,b,c" into a list of names. */
static int names(const char *what, const char *list,
		 char (*out)[KF_NAME_MAX + 1], unsigned int max,
		 unsigned int *n)
{
	char buf[8192], *t, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == max || kf_parse_name(what, t))
			return -EINVAL;
		snprintf(out[(*n)++], KF_NAME_MAX + 1, "%s", t);
	}
	return 0;
}

/* --read entity:A,group:G into the operation's two lists. */
static int readers(const char *list, struct kf_op *op)
{
	char buf[8192], *t, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strncmp(t, "entity:", 7) &&
		    op->n_read_entities < KF_READERS_MAX &&
		    !kf_parse_name("--read entity", t + 7))
			snprintf(op->read_entities[op->n_read_entities++],
				 KF_NAME_MAX + 1, "%s", t + 7);
		else if (!strncmp(t, "group:", 6) &&
			 op->n_read_groups < KF_READERS_MAX &&
			 !kf_parse_name("--read group", t + 6))
			snprintf(op->read_groups[op->n_read_groups++],
				 KF_NAME_MAX + 1, "%s", t + 6);
		else {
			kf_err("--read: '%s' is not entity:NAME or group:NAME "
			       "(at most %d of each)", t, KF_READERS_MAX);
			return -EINVAL;
		}
	}
	return 0;
}

/* prepare dataset create|change|delete R NAME [policy options] */
int kf_prepare_dataset(int argc, char **argv, struct kf_prep_opts *o)
{
	static struct kf_op op;
	const char *what = argc > 1 ? argv[1] : "";

	if (args(argc, 4, "dataset create|change|delete R NAME [--not-before "
		 "T] [--not-after T] [--rate N/P] [--read entity:X,group:Y] "
		 "[--admin GROUP,...]") || kf_parse_name("region", argv[2]) ||
	    kf_parse_name("data set", argv[3]))
		return 2;
	memset(&op, 0, sizeof(op));
	op.present = F(KF_F_NAME);
	snprintf(op.name, sizeof(op.name), "%s", argv[3]);
	if (!strcmp(what, "delete")) {
		op.code = KF_OP_DATASET_DELETE;
		return one_op(argv[2], false, &op, o);
	}
	if (strcmp(what, "create") && strcmp(what, "change")) {
		kf_err("prepare dataset: create, change or delete");
		return 2;
	}
	op.code = what[1] == 'r' ? KF_OP_DATASET_CREATE : KF_OP_DATASET_CHANGE;
	if (o->has_not_before) {
		op.present |= F(KF_F_NOT_BEFORE);
		op.not_before = (uint64_t)o->not_before;
	}
	if (o->has_not_after) {
		op.present |= F(KF_F_NOT_AFTER);
		op.not_after = (uint64_t)o->not_after;
	}
	if (o->rate_count) {
		op.present |= F(KF_F_RATE_COUNT) | F(KF_F_RATE_PERIOD);
		op.rate_count = o->rate_count;
		op.rate_period = o->rate_period;
	}
	if ((o->read && readers(o->read, &op)) ||
	    (o->admin && names("--admin", o->admin, op.admin_groups,
			       KF_ADMINS_MAX, &op.n_admin_groups)))
		return 2;
	return one_op(argv[2], false, &op, o);
}

/*
 * prepare group create|delete R NAME, group add|remove R GROUP ENTITY,
 * group signers R GROUP --threshold K [--member NAME=KEY...]
 */
int kf_prepare_group(int argc, char **argv, struct kf_prep_opts *o)
{
	static const char usage[] = "group create|delete R NAME, group "
		"add|remove R GROUP ENTITY, group signers R GROUP --threshold "
		"K [--member NAME=KEY]...";
	const char *what = argc > 1 ? argv[1] : "";
	static struct kf_op op;
	bool two = !strcmp(what, "add") || !strcmp(what, "remove");

	memset(&op, 0, sizeof(op));
	if (args(argc, two ? 5 : 4, usage) || kf_parse_name("region", argv[2]) ||
	    kf_parse_name("group", argv[3]) ||
	    (two && kf_parse_name("entity", argv[4])))
		return 2;
	if (!strcmp(what, "create") || !strcmp(what, "delete")) {
		op.code = what[0] == 'c' ? KF_OP_GROUP_CREATE :
			  KF_OP_GROUP_DELETE;
		op.present = F(KF_F_NAME);
		snprintf(op.name, sizeof(op.name), "%s", argv[3]);
	} else if (two) {
		op.code = what[0] == 'a' ? KF_OP_GROUP_ADD : KF_OP_GROUP_REMOVE;
		op.present = F(KF_F_GROUP) | F(KF_F_NAME);
		snprintf(op.group, sizeof(op.group), "%s", argv[3]);
		snprintf(op.name, sizeof(op.name), "%s", argv[4]);
	} else if (!strcmp(what, "signers") && o->threshold >= 0) {
		op.code = KF_OP_GROUP_SIGNERS;
		op.present = F(KF_F_GROUP) | F(KF_F_THRESHOLD);
		snprintf(op.group, sizeof(op.group), "%s", argv[3]);
		op.threshold = (uint8_t)o->threshold;
		op.n_members = o->n_members;
		memcpy(op.members, o->members, sizeof(op.members));
	} else {
		kf_err("prepare %s", usage);
		return 2;
	}
	return one_op(argv[2], false, &op, o);
}

/* prepare owner allow|retire R OWNER KO-PUB */
int kf_prepare_owner(int argc, char **argv, struct kf_prep_opts *o)
{
	static struct kf_op op;

	memset(&op, 0, sizeof(op));
	if (args(argc, 5, "owner allow|retire R OWNER KEY") ||
	    kf_parse_name("region", argv[2]))
		return 2;
	if ((strcmp(argv[1], "allow") && strcmp(argv[1], "retire")) ||
	    !kf_member_name_valid(argv[3]) ||
	    kf_key_from_base64(op.key, argv[4])) {
		kf_err("prepare owner allow|retire R OWNER KEY: an owner name "
		       "of [A-Za-z0-9._-] and the base64 of its X25519 key "
		       "(keyferry-seal owner-key show)");
		return 2;
	}
	op.code = argv[1][0] == 'a' ? KF_OP_OWNER_ALLOW : KF_OP_OWNER_RETIRE;
	op.present = F(KF_F_NAME) | F(KF_F_KEY);
	snprintf(op.name, sizeof(op.name), "%s", argv[3]);
	return one_op(argv[2], false, &op, o);
}

/*
 * prepare provider allow|retire R NAME KP-PUB: a secure provider, by the
 * distributor key its hosts pin, may serve the region (or no longer).
 */
int kf_prepare_provider(int argc, char **argv, struct kf_prep_opts *o)
{
	static struct kf_op op;

	memset(&op, 0, sizeof(op));
	if (args(argc, 5, "provider allow|retire R NAME KEY") ||
	    kf_parse_name("region", argv[2]))
		return 2;
	if ((strcmp(argv[1], "allow") && strcmp(argv[1], "retire")) ||
	    !kf_member_name_valid(argv[3]) ||
	    kf_key_from_base64(op.key, argv[4])) {
		kf_err("prepare provider allow|retire R NAME KEY: a provider "
		       "name of [A-Za-z0-9._-] and the base64 of its "
		       "distributor key (keyferry-admin serverkey show-public "
		       "on the provider)");
		return 2;
	}
	op.code = argv[1][0] == 'a' ? KF_OP_PROVIDER_ALLOW :
				      KF_OP_PROVIDER_RETIRE;
	op.present = F(KF_F_NAME) | F(KF_F_KEY);
	snprintf(op.name, sizeof(op.name), "%s", argv[3]);
	return one_op(argv[2], false, &op, o);
}

/*
 * prepare anchor R [--next-update 30d]: the authority vouches for the
 * audit log up to its head as the repository reports it now, and signs
 * the revocation list again (a relying party refuses a list past its
 * next update): the periodic signing session does both.
 */
int kf_prepare_anchor(int argc, char **argv, struct kf_prep_opts *o)
{
	static struct kf_op op;
	struct kf_draft *d;

	if (args(argc, 2, "anchor R [--next-update 30d]") ||
	    kf_parse_name("region", argv[1]))
		return 2;
	d = kf_draft_begin(argv[1], false, o);
	if (!d)
		return 1;
	memset(&op, 0, sizeof(op));
	op.code = KF_OP_AUDIT_ANCHOR;
	op.present = F(KF_F_AUDIT_SEQ) | F(KF_F_AUDIT_HASH);
	op.audit_seq = kf_draft_head(d)->audit_seq;
	memcpy(op.audit_hash, kf_draft_head(d)->audit_hash, 32);
	if (!op.audit_seq) {
		kf_err("prepare anchor: the repository's audit log is empty");
		return 1;
	}
	if (kf_draft_op(d, &op) || kf_next_revocations(d, o, NULL, 0))
		return 1;
	return kf_draft_finish(d, o);
}
