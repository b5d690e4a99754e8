/* SPDX-License-Identifier: MIT */
/*
 * The repository's store: regions, entities, groups, data sets, items,
 * enrollment tokens and nonces, and the hash-chained audit log.
 *
 * The interface is narrow on purpose so that a PostgreSQL backend can sit
 * behind it: callers never see SQL, every mutating call is one transaction
 * that also appends its audit record (the change and its record commit
 * together or not at all), and reads return plain structs.  One struct
 * kf_store is one connection: use it from one thread at a time (the
 * server keeps one per worker thread).
 *
 * Returns 0 or a negative errno: -ENOENT not found, -EEXIST already there,
 * -EPERM refused (token, nonce), -EINVAL bad argument, -EBUSY locked for
 * longer than the busy timeout, -EIO a database error (logged),
 * -EBADMSG audit chain broken.
 */
#ifndef KF_TOOLS_STORE_H
#define KF_TOOLS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyferry.h"

struct kf_store;

#define KF_STORE_CREATE		0x1	/* create the database if missing */
#define KF_STORE_READONLY	0x2
#define KF_STORE_SERVER		0x4	/* a connection of keyferry-repo: a page
					 * cache for a big store's hot pages */

int kf_store_open(struct kf_store **out, const char *path, unsigned int flags);
void kf_store_close(struct kf_store *st);
int kf_store_schema_version(struct kf_store *st);
/* Copy the write-ahead log into the database without blocking writers. */
/*
 * Copy the write-ahead log into the database with st while writer (another
 * connection of this process) holds the write lock, so that no commit can
 * run meanwhile (see store_sqlite.c: nothing else ever checkpoints while
 * others may write).  keyferry-repo calls it from a thread of its own.
 */
int kf_store_checkpoint(struct kf_store *st, struct kf_store *writer);

/*
 * A write transaction around several calls: look-ups, then
 * kf_store_audit_in() appends records to it; kf_store_write_end() commits
 * when ret is 0, else rolls back, and returns ret or the commit's error.
 * The transfer uses it so that its decision and its record are one
 * transaction.  Writers of one process queue on a mutex (not on SQLite's
 * busy handler); keep these short.
 */
int kf_store_write_begin(struct kf_store *st);
int kf_store_write_end(struct kf_store *st, int ret);
int kf_store_audit_in(struct kf_store *st, const char *op,
		      const char *subject, const char *result,
		      const char *detail);

/* Who did it, for the audit log ("admin:root", "repo", ...). */
void kf_store_set_actor(struct kf_store *st, const char *actor);

/* ---- regions -------------------------------------------------------- */
struct kf_region {
	int64_t id;
	char name[KF_NAME_MAX + 1];
	int64_t created;
	int64_t entities;	/* active entities, filled by list */
};
int kf_store_region_add(struct kf_store *st, const char *name);
int kf_store_region_list(struct kf_store *st,
			 int (*cb)(void *ctx, const struct kf_region *r),
			 void *ctx);

/* ---- entities ------------------------------------------------------- */
enum kf_entity_state {
	KF_ENTITY_ACTIVE = 1,
	KF_ENTITY_REVOKED = 2,
};

struct kf_entity {
	int64_t id;
	int64_t region_id;
	char region[KF_NAME_MAX + 1];
	char name[KF_NAME_MAX + 1];
	uint8_t kei_pub[KF_KEY_SIZE];
	uint8_t kec_pub[KF_KEY_SIZE];
	int state;
	int64_t enrolled;
	int64_t revoked;
	int64_t valid_from;	/* 0 = from enrollment */
};
const char *kf_store_entity_state_name(int state);

int kf_store_entity_by_kei(struct kf_store *st,
			   const uint8_t kei_pub[KF_KEY_SIZE],
			   struct kf_entity *e);
int kf_store_entity_get(struct kf_store *st, const char *region,
			const char *name, struct kf_entity *e);
int kf_store_entity_list(struct kf_store *st, const char *region,
			 int (*cb)(void *ctx, const struct kf_entity *e),
			 void *ctx);
int kf_store_entity_revoke(struct kf_store *st, const char *region,
			   const char *name, const char *reason);
int kf_store_entity_set_valid_from(struct kf_store *st, const char *region,
				   const char *name, int64_t valid_from);
int64_t kf_store_entity_count(struct kf_store *st);	/* active; <0 error */

/* ---- groups (authority groups) ---------------------------------------- */
int kf_store_group_add(struct kf_store *st, const char *region,
		       const char *name);
int kf_store_group_member_add(struct kf_store *st, const char *region,
			      const char *group, const char *entity);
int kf_store_group_list(struct kf_store *st, const char *region,
			int (*cb)(void *ctx, const char *region,
				  const char *group, const char *members),
			void *ctx);

/* ---- data sets and their repository-side policy ------------------------ */
struct kf_dataset {
	int64_t id;
	char region[KF_NAME_MAX + 1];
	char name[KF_NAME_MAX + 1];
	int64_t not_before;	/* 0 = none */
	int64_t not_after;	/* 0 = none */
	uint32_t rate_count;	/* 0 = unlimited */
	uint32_t rate_period;	/* seconds */
	char allow[1024];	/* "entity:a,group:g"; "" = every entity */
};
/* allow: comma-separated "entity:NAME" / "group:NAME", NULL = everyone. */
int kf_store_dataset_add(struct kf_store *st, const struct kf_dataset *d);
int kf_store_dataset_list(struct kf_store *st, const char *region,
			  int (*cb)(void *ctx, const struct kf_dataset *d),
			  void *ctx);

/* ---- items ---------------------------------------------------------- */
struct kf_item {
	int64_t id;
	char region[KF_NAME_MAX + 1];
	char dataset[KF_NAME_MAX + 1];
	char name[KF_NAME_MAX + 1];
	uint64_t version;	/* 0 on put = next version */
	bool to_group;
	char recipient[KF_NAME_MAX + 1];	/* entity or group name */
	uint8_t policy[KF_POLICY_MAX];
	size_t policy_len;
	uint8_t sealed[KF_SEALED_MAX];
	size_t sealed_len;
	int64_t created;
};
/* Sets it->version and it->id. */
int kf_store_item_put(struct kf_store *st, struct kf_item *it);
int kf_store_item_delete(struct kf_store *st, const char *region,
			 const char *name, const char *recipient,
			 uint64_t version);
int kf_store_item_list(struct kf_store *st, const char *region,
		       int (*cb)(void *ctx, const struct kf_item *it),
		       void *ctx);

/*
 * The transfer's look-up: the newest version of the item called name in
 * the entity's region, sealed to the entity or to a group it belongs to,
 * with its data set's policy and whether that policy names the entity.
 * -ENOENT: no item of that name in the region; -EACCES: there is, but
 * none for this entity.
 */
struct kf_fetch {
	uint64_t version;
	uint8_t policy[KF_POLICY_MAX];
	size_t policy_len;
	uint8_t sealed[KF_SEALED_MAX];
	size_t sealed_len;
	struct kf_dataset ds;	/* allow[] not filled */
	bool allowed;		/* entity is on the data set's list */
};
int kf_store_fetch(struct kf_store *st, const struct kf_entity *e,
		   const char *name, struct kf_fetch *f);

/* ---- enrollment ------------------------------------------------------- */
/*
 * Create a one-time token for region (optionally only for entity name),
 * valid for ttl seconds.  The token's text goes to tok (NUL-terminated,
 * cap >= 65, 64 hex digits); only its SHA-256 is stored.
 */
int kf_store_token_create(struct kf_store *st, const char *region,
			  const char *entity, uint64_t ttl, char *tok,
			  size_t cap);
struct kf_token_info {
	char id[17];		/* hex prefix of the hash, for listing */
	char region[KF_NAME_MAX + 1];
	char entity[KF_NAME_MAX + 1];
	int64_t created, expires, used;
	char used_by[KF_NAME_MAX + 1];
};
int kf_store_token_list(struct kf_store *st,
			int (*cb)(void *ctx, const struct kf_token_info *t),
			void *ctx);

int kf_store_nonce_add(struct kf_store *st, const uint8_t nonce[KF_NONCE_SIZE],
		       int64_t expires);

/*
 * Enroll: consume the nonce and the token, bind the entity name in the
 * token's region to Kei-pub and Kec-pub, all in one transaction.
 * -EPERM: bad, used or expired token or nonce (why says which);
 * -EEXIST: the name or the Kei is already enrolled.
 */
struct kf_enroll_req {
	const uint8_t *token;
	size_t token_len;
	const uint8_t *nonce;
	const char *region;
	const char *entity;
	const uint8_t *kei_pub;
	const uint8_t *kec_pub;
};
int kf_store_enroll(struct kf_store *st, const struct kf_enroll_req *rq,
		    char *why, size_t why_cap);

/* ---- audit ---------------------------------------------------------- */
struct kf_audit_rec {
	int64_t seq;
	int64_t ts;
	const char *actor;
	const char *op;		/* "enroll", "transfer", "admin.region.add" */
	const char *subject;	/* "region/entity" or an item */
	const char *result;	/* "ok" or a refusal reason */
	const char *detail;
	uint8_t prev[32];
	uint8_t hash[32];
};
/* Appends one record in its own transaction. */
int kf_store_audit(struct kf_store *st, const char *op, const char *subject,
		   const char *result, const char *detail);
int kf_store_audit_list(struct kf_store *st, int64_t since, int64_t limit,
			int (*cb)(void *ctx, const struct kf_audit_rec *r),
			void *ctx);
/*
 * Walk the whole chain.  -EBADMSG with *bad = the first broken seq when a
 * record was changed, removed or inserted.
 */
int kf_store_audit_verify(struct kf_store *st, int64_t *rows, int64_t *bad);

/* The canonical bytes of a record and its chained hash (audit.c). */
void kf_audit_hash(const struct kf_audit_rec *r, const uint8_t prev[32],
		   uint8_t out[32]);

#endif /* KF_TOOLS_STORE_H */
