/* SPDX-License-Identifier: MIT */
/*
 * Preparing a submission (prepare.c): a statement at the head of its
 * region's chain, with the certificates and revocation list its
 * operations name, or an item request; then, as the options say, signed
 * with the keys given, written to a file for the other members, and
 * submitted.  The builders of each kind of operation (ops.c, entity.c,
 * item.c) fill a draft through these calls.
 */
#ifndef KF_TOOLS_ADMIN_PREPARE_H
#define KF_TOOLS_ADMIN_PREPARE_H

#include "tools/admin/admin.h"

#define KF_SIGN_KEYS_MAX KF_MEMBERS_MAX

/* The options every prepare sub-command takes, and each one's own. */
struct kf_prep_opts {
	const char *out;		/* the file for the other members */
	uint64_t expires;		/* seconds from now, default 72 h */
	const char *keys[KF_SIGN_KEYS_MAX];	/* --sign */
	unsigned int n_keys;
	bool submit;
	const char *token_out;
	/* the operation's own */
	int threshold;			/* -1: not given */
	unsigned int n_members;
	struct kf_member members[KF_MEMBERS_MAX];
	const char *entity, *group, *dataset, *reason, *expect_kec;
	const char *read, *admin;
	uint64_t ttl, next_update, version;
	int64_t not_before, not_after;
	bool has_not_before, has_not_after;
	uint32_t rate_count, rate_period;
};

/* What the repository says about its region's chain (GET .../head). */
struct kf_head {
	uint64_t sequence;
	uint8_t id[KF_ID_SIZE];
	uint64_t audit_seq;
	uint8_t audit_hash[32];
	struct kf_authority auth;
};
int kf_admin_head(const char *region, struct kf_head *h);

/* A pending or approved entity as the repository holds it. */
struct kf_entity_info {
	char name[KF_NAME_MAX + 1];
	int state;
	uint8_t kei_pub[KF_KEY_SIZE], kec_pub[KF_KEY_SIZE];
	int64_t enrolled, not_before, not_after;
	uint64_t serial;
};
int kf_admin_entity_info(const char *region, const char *name,
			 struct kf_entity_info *e);
int kf_admin_entity_decode(struct kf_entity_info *e, const uint8_t *b,
			   size_t len);
/* The region's last revocation list, signed; -ENOENT: none yet.  The
 * caller frees *buf. */
int kf_admin_last_list(const char *region, uint8_t **buf, size_t *len);

struct kf_draft;
/* Start a statement for region: at the head the repository reports
 * (first: the region's first statement, needing no repository). */
struct kf_draft *kf_draft_begin(const char *region, bool first,
				const struct kf_prep_opts *o);
const struct kf_statement *kf_draft_header(const struct kf_draft *d);
const struct kf_head *kf_draft_head(const struct kf_draft *d);
int kf_draft_op(struct kf_draft *d, struct kf_op *op);
/* A certificate body into the draft; its id into id. */
int kf_draft_certificate(struct kf_draft *d, const struct kf_certificate *c,
			 uint8_t id[KF_ID_SIZE]);
/* The revocation list: header and entries (sorted by name here). */
int kf_draft_revocations(struct kf_draft *d, const struct kf_revocations *l,
			 struct kf_revocation *entries, unsigned int n,
			 uint8_t id[KF_ID_SIZE]);
/* Start an item request instead of a statement. */
struct kf_draft *kf_draft_item(const struct kf_item_request *r);
/* Sign, write and submit as o says; the exit status. */
int kf_draft_finish(struct kf_draft *d, const struct kf_prep_opts *o);

/* The list the next statement publishes: the last one's entries still
 * certified at this_update, plus adds. */
int kf_next_revocations(struct kf_draft *d, const struct kf_prep_opts *o,
			struct kf_revocation *adds, unsigned int n_adds);

/* sign.c: sign every object with each key file; write a submission file
 * (its description as comments); send one to the repository (the exit
 * status, the repository's answer printed). */
int kf_admin_sign_all(struct kf_submission *s, const char *const *keys,
		      unsigned int n);
int kf_admin_write(const char *path, struct kf_submission *s);
int kf_admin_send(struct kf_submission *s);

/* A submission file into s, *raw holding what s points into (the caller
 * frees it, also on failure); _statement: one that holds a statement, st
 * decoded and id its id.  What is wrong is said, naming the file. */
int kf_admin_load(const char *path, struct kf_submission *s, uint8_t **raw);
int kf_admin_load_statement(const char *path, struct kf_submission *s,
			    uint8_t **raw, struct kf_statement *st,
			    uint8_t id[KF_ID_SIZE]);

/* The builders: argv[0] is the operation ("approve", "group", ...). */
int kf_prepare_authority(int argc, char **argv, struct kf_prep_opts *o);
int kf_prepare_token(int argc, char **argv, struct kf_prep_opts *o);
int kf_prepare_dataset(int argc, char **argv, struct kf_prep_opts *o);
int kf_prepare_group(int argc, char **argv, struct kf_prep_opts *o);
int kf_prepare_owner(int argc, char **argv, struct kf_prep_opts *o);
int kf_prepare_provider(int argc, char **argv, struct kf_prep_opts *o);
int kf_prepare_anchor(int argc, char **argv, struct kf_prep_opts *o);
int kf_prepare_approve(int argc, char **argv, struct kf_prep_opts *o);
int kf_prepare_revoke(int argc, char **argv, struct kf_prep_opts *o);
int kf_prepare_item(int argc, char **argv, struct kf_prep_opts *o);

#endif /* KF_TOOLS_ADMIN_PREPARE_H */
