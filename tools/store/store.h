/* SPDX-License-Identifier: MIT */
/*
 * The repository's store: regions, entities, groups, data sets, items,
 * enrollment tokens and used nonces, and the hash-chained audit log.
 *
 * The interface is narrow on purpose so that several backends can sit
 * behind it (driver.h): callers never see SQL, every mutating call is one
 * transaction that also appends its audit record (the change and its
 * record commit together or not at all), and reads return plain structs.  One struct
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
#include "tools/authority/authority.h"

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
 * run meanwhile (see sqlite.c: nothing else ever checkpoints while
 * others may write).  keyferry-repo calls it from a thread of its own.
 */
int kf_store_checkpoint(struct kf_store *st, struct kf_store *writer);
/* Whether the backend wants kf_store_checkpoint() called (SQLite does). */
bool kf_store_has_checkpoints(struct kf_store *st);
/* Whether where names a database server (postgresql://...), not a file. */
bool kf_store_is_url(const char *where);

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
	KF_ENTITY_ACTIVE = 1,	/* approved by the authority */
	KF_ENTITY_REVOKED = 2,
	KF_ENTITY_PENDING = 3,	/* enrolled, awaiting the authority's approval */
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
	int64_t valid_from;	/* 0 = from enrollment; else the certificate's
				 * not-before */
	int64_t not_after;	/* the certificate's; 0 = none */
	uint64_t cert_serial;	/* the current certificate's; 0 = none */
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
/*
 * Freshness of a fetch (docs/protocol.md section 3.3): accept ts as the
 * entity's last request timestamp if it is greater than the one stored,
 * in one statement (compare and update together, so that repositories
 * sharing the database agree), which also returns the entity's row as it
 * is now, under the transaction's write lock: one round trip for both.
 * The entity is named by its id and its Kei-pub together (an id a caller
 * remembered may have gone).  Inside the transfer's write transaction.
 * -ESTALE, and nothing written, when ts is not greater (a replay);
 * -ENOENT when there is no such entity.
 */
int kf_store_entity_accept(struct kf_store *st, int64_t entity_id,
			   const uint8_t kei_pub[KF_KEY_SIZE],
			   const uint8_t ts[KF_TIMESTAMP_SIZE],
			   struct kf_entity *e);

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
	uint64_t version;	/* the owner's, from the sealed header */
	uint64_t newest;	/* put refused with -ESTALE: the newest held */
	bool to_group;
	char recipient[KF_NAME_MAX + 1];	/* entity or group name */
	/* An entity's copy of a group's item (its group key): served to the
	 * entity only while it is in this group.  "" = none. */
	char via_group[KF_NAME_MAX + 1];
	uint8_t policy[KF_POLICY_MAX];
	size_t policy_len;
	uint8_t sealed[KF_SEALED_MAX];	/* not filled by list */
	size_t sealed_len;
	uint8_t owner_kid[KF_KID_SIZE];	/* filled by list; alg 2: zero */
	int64_t created;
};
/*
 * Store an item with the version its sealed header carries (the owner
 * chose it; the repository never does) and set it->version and it->id.
 * -EPROTO: the blob's header is malformed; -ESTALE: that version is not
 * higher than the newest held for this item and recipient (it->newest).
 */
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
 * none for this entity.  (The entity is told neither: both are "not
 * available"; the audit log keeps which.)
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

/*
 * Enroll: consume the nonce and the token, bind the entity name in the
 * token's region to Kei-pub and Kec-pub, all in one transaction.
 * -EPERM: bad, used or expired token, or a nonce already used (why says
 * which); -EEXIST: the name or the Kei is already enrolled.  The nonce is
 * one the repository made and checked (its MAC and expiry, see
 * tools/repo/challenge.c); the store keeps the nonces enrollments used
 * until nonce_expires, so that each opens one decision only: the
 * enrollment, or the record of its refusal.
 */
struct kf_enroll_req {
	const uint8_t *token;
	size_t token_len;
	const uint8_t *nonce;
	int64_t nonce_expires;
	const char *region;
	const char *entity;
	const uint8_t *kei_pub;
	const uint8_t *kec_pub;
};
int kf_store_enroll(struct kf_store *st, const struct kf_enroll_req *rq,
		    char *why, size_t why_cap);
/*
 * Reads only, before any write: -EPERM when the nonce was used already or
 * the token is unknown (why says which), so that the repository refuses
 * them without a write (and aggregates their records); 0 when
 * kf_store_enroll() is to decide.
 */
int kf_store_enroll_precheck(struct kf_store *st,
			     const struct kf_enroll_req *rq, char *why,
			     size_t why_cap);

/* ---- the region authority (authority.c, submit.c) ---------------------- */
/*
 * A region's authority and the head of its chain of statements.
 * -ENOENT: no such region; -ENOKEY: a region made before the authority.
 */
int kf_store_authority(struct kf_store *st, const char *region,
		       struct kf_authority *a, uint64_t *head_seq,
		       uint8_t head_id[KF_ID_SIZE]);

/*
 * Verify a submission and apply it, all in one write transaction with
 * its audit records (docs/operations.md section 10 lists the checks in
 * order).  The one way the repository changes what its authority
 * controls; the direct calls of this header (region, token, group, data
 * set, item, revoke) remain for the bench and the tests.
 *
 * Returns 0, or with why filled: -EPROTO malformed; -ENOENT the region
 * (or something an operation names) does not exist; -EPERM signatures
 * short of the threshold, a stranger's, or a first authority this
 * repository was not told to accept; -EBADMSG a signature that does not
 * verify; -ESTALE not the next statement of the region; -EALREADY
 * applied already (a replay); -EKEYEXPIRED expired; -EEXIST, -EINVAL an
 * operation that cannot apply; or a store error.
 */
struct kf_submit {
	/* in */
	const struct kf_submission *sub;
	const uint8_t *raw;		/* the submission's bytes, kept as is */
	size_t raw_len;
	int64_t now;
	/* The region's first authority as the operator configured it
	 * (keyferry-repo --authority); region.create is refused without. */
	const struct kf_authority *pin;
	/* Rebuilding a store from its statements (audit verify): no clock,
	 * no pin, entities come from their certificates, anchors are the
	 * verifier's to check. */
	bool replay;
	/* out */
	char region[KF_NAME_MAX + 1];
	uint64_t sequence;		/* a statement's */
	uint8_t id[KF_ID_SIZE];		/* the statement's or item request's */
	char signers[KF_MEMBERS_MAX * (KF_MEMBER_NAME_MAX + 1) + 1];
	char why[256];
};
int kf_store_submit(struct kf_store *st, struct kf_submit *s);

/* The region's statements after sequence 'after', at most max, in order:
 * each as the submission it came in. */
int kf_store_statements(struct kf_store *st, const char *region,
			uint64_t after, unsigned int max,
			int (*cb)(void *ctx, uint64_t seq, const uint8_t *sub,
				  size_t len),
			void *ctx);
/* The entity's current certificate, the region's last revocation list,
 * signed, as the authority made them.  -ENOENT: none. */
int kf_store_certificate(struct kf_store *st, const char *region,
			 const char *entity, uint8_t *buf, size_t cap,
			 size_t *len);
int kf_store_revocations(struct kf_store *st, const char *region,
			 uint8_t *buf, size_t cap, size_t *len);
/*
 * What the authority controls in a region, one canonical line at a time
 * (members, entities it approved or revoked, groups, data sets, owner
 * keys, tokens, statements): two stores that went through the same
 * statements give the same lines.
 */
int kf_store_authority_dump(struct kf_store *st, const char *region,
			    int (*cb)(void *ctx, const char *line), void *ctx);

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
 * Walk the whole chain, from the prune point when the log was pruned.
 * -EBADMSG with *bad = the first broken seq when a record was changed,
 * removed or inserted, or the seq of the newest prune record when the
 * prune point disagrees with it.  *rows: the records there are.
 */
int kf_store_audit_verify(struct kf_store *st, int64_t *rows, int64_t *bad);

/* The last record's seq and hash (0 and zeros: an empty log). */
int kf_store_audit_head(struct kf_store *st, int64_t *seq, uint8_t hash[32]);
/* The hash of record seq; -ENOENT when there is none. */
int kf_store_audit_hash(struct kf_store *st, int64_t seq, uint8_t hash[32]);
/*
 * Retention (audit_prune.c): remove every record older than before (unix
 * seconds), in one transaction that appends an "admin.audit.prune" record
 * and moves the prune point to the last record removed.  Nothing older:
 * out->records = 0 and nothing changes.  The chain stays verifiable from
 * the prune point; see audit_prune.c for what an earlier head still proves.
 */
struct kf_audit_prune {
	int64_t through;	/* the last record removed */
	int64_t records;	/* how many this prune removed */
	uint8_t hash[32];	/* record through's hash: the new prune point */
};
int kf_store_audit_prune(struct kf_store *st, int64_t before,
			 struct kf_audit_prune *out);

/* Where the log starts (the prune point, 0 when never pruned) and ends. */
struct kf_audit_span {
	int64_t pruned_seq;
	uint8_t pruned_hash[32];
	int64_t head_seq;	/* 0: empty */
	uint8_t head_hash[32];
};
int kf_store_audit_span(struct kf_store *st, struct kf_audit_span *sp);
/* "through=N hash=HEX": how a prune record names its prune point. */
void kf_audit_prune_detail(char *out, size_t cap, int64_t through,
			   const uint8_t hash[32]);

/* The canonical bytes of a record and its chained hash (audit.c). */
void kf_audit_hash(const struct kf_audit_rec *r, const uint8_t prev[32],
		   uint8_t out[32]);

/* ---- providers (provider.c) ------------------------------------------- */
/*
 * The secure providers a region allowed (docs/operations.md section 11),
 * each known by the distributor key its hosts pin, which is also the key
 * it authenticates with to the repository.
 */
struct kf_provider_info {
	char name[KF_NAME_MAX + 1];
	uint8_t pub[KF_KEY_SIZE];
	char regions[1024];	/* allowed and not retired: "eu,us" */
	char retired_in[1024];	/* retired */
	int64_t synced;		/* its last exchange, unix seconds */
	int64_t reported_seq;	/* its audit records held up to this one */
	uint8_t reported_hash[32];	/* that record's hash; zero for none */
};

int kf_store_provider_list(struct kf_store *st,
			   int (*cb)(void *ctx, const struct kf_provider_info *p),
			   void *ctx);
/*
 * Allow the provider called name, by its key, in region, or retire it
 * there (for good), each one transaction with its record.  -EEXIST and
 * why: the key goes by another name, the name is another key's, or the
 * key was allowed there before; -ENOENT: no such region, or (retire) no
 * such allowed key of that name there.
 */
int kf_store_provider_allow(struct kf_store *st, const char *region,
			    const char *name, const uint8_t pub[KF_KEY_SIZE],
			    char *why, size_t cap);
int kf_store_provider_retire(struct kf_store *st, const char *region,
			     const char *name, const uint8_t pub[KF_KEY_SIZE],
			     char *why, size_t cap);

/*
 * The repository's side of one exchange with a provider, inside one
 * write transaction (kf_store_write_begin()): the provider by its key
 * (-ENOENT: never allowed anywhere; its regions may be none: retired),
 * its request's timestamp (-ESTALE when not newer than its last, as for
 * hosts), the audit records it reports, its last exchange.
 */
int kf_store_provider_by_pub(struct kf_store *st,
			     const uint8_t pub[KF_KEY_SIZE],
			     struct kf_provider_info *p);
int kf_store_provider_accept_timestamp(struct kf_store *st,
				       const uint8_t pub[KF_KEY_SIZE],
				       const uint8_t ts[KF_TIMESTAMP_SIZE]);
/*
 * Append the provider's records, each as a record of ours (actor
 * "provider:NAME", op "provider." and its op), after checking that they
 * continue the chain of those it reported before: recs[i].prev is
 * ignored and recomputed, recs[i].hash must match (the provider's own
 * chain, its actor being "provider").  A chain begun again from its
 * first record (a provider whose store was lost) is taken, and recorded
 * as such.  -EBADMSG with why filled when it does not chain; nothing is
 * appended then.
 */
int kf_store_provider_report(struct kf_store *st, struct kf_provider_info *p,
			     const struct kf_audit_rec *recs, unsigned int n,
			     char *why, size_t why_cap);
int kf_store_provider_synced(struct kf_store *st,
			     const struct kf_provider_info *p, int64_t now);

/* ---- replication to providers (replica.c) ------------------------------ */
/*
 * A secure provider holds a copy (a replica) of its regions' rows, the
 * rows the repository's transfer reads: regions, entities, groups and
 * members, data sets with their lists, and of the items the newest
 * version per item and recipient.  The repository hands them out a page
 * at a time (kf_store_replica_rows()); the provider replaces its copy
 * with all of them at once (kf_store_replica_apply()), and answers hosts
 * from it with the same code as the repository.  Nothing in it is
 * secret: public keys, names, policies and sealed items.
 */
enum kf_replica_table {
	KF_REPLICA_REGIONS = 1,
	KF_REPLICA_ENTITIES,
	KF_REPLICA_GROUPS,
	KF_REPLICA_MEMBERS,
	KF_REPLICA_DATASETS,
	KF_REPLICA_ITEMS,
	KF_REPLICA_TABLES = KF_REPLICA_ITEMS,
};

#define KF_REPLICA_COLS 11

/* A column's value: an integer, or bytes (text without its NUL). */
struct kf_value {
	bool null;
	int64_t i;
	const uint8_t *p;
	size_t n;
};

struct kf_row {
	uint8_t table;		/* enum kf_replica_table */
	unsigned int n;
	struct kf_value v[KF_REPLICA_COLS];
};

/*
 * The columns of a table as a string of types, one letter per column:
 * 'i' integer, 't' text, 'b' blob; NULL for no such table.  A row's
 * first one (members: two) columns are its key.
 */
const char *kf_replica_types(unsigned int table);

/* What a store's replicated rows are at: its id, and the change count. */
struct kf_generation {
	uint8_t store[16];
	int64_t value;
};
int kf_store_generation(struct kf_store *st, struct kf_generation *g);

/*
 * The position after a row: rows of `table` with a greater key, then
 * every row of the tables after it.  { KF_REPLICA_REGIONS, 0, 0 } is
 * the beginning; a table past KF_REPLICA_TABLES, the end.
 */
struct kf_cursor {
	uint8_t table;
	int64_t k1, k2;
};

/*
 * The provider's rows from *cur on, to cb one by one, until cb returns
 * 1 (no room: *cur is left after the last row cb took) or the rows end
 * (*cur past the last table).  Values point into the store's buffers,
 * valid during the call only.  0, or a negative errno.
 */
int kf_store_replica_rows(struct kf_store *st,
			  const uint8_t provider[KF_KEY_SIZE],
			  struct kf_cursor *cur,
			  int (*cb)(void *ctx, const struct kf_row *row),
			  void *ctx);

/* A provider's store: what it holds. */
struct kf_replica_state {
	struct kf_generation gen;	/* value 0: nothing yet */
	int64_t synced;		/* when the last round began, unix seconds */
	int64_t reported_seq;	/* own audit records the repository holds */
};
/*
 * Make st a provider's store, or check that it is one: -EEXIST when it
 * holds regions of its own (a repository's store: never replaced).
 */
int kf_store_replica_init(struct kf_store *st);
/* Whether st is a provider's store (a repository refuses to run on one). */
int kf_store_is_replica(struct kf_store *st);
int kf_store_replica_state(struct kf_store *st, struct kf_replica_state *s);
int kf_store_replica_set(struct kf_store *st, int64_t synced,
			 int64_t reported_seq);
/*
 * Replace every replicated row with the rows next() gives (1 with a row,
 * 0 at the end, a negative errno), all in one transaction with its audit
 * record, keeping the entities' last request timestamps; g and synced
 * become the state.  Nothing changes on any error.
 */
int kf_store_replica_apply(struct kf_store *st,
			   int (*next)(void *ctx, struct kf_row *row),
			   void *ctx, const struct kf_generation *g,
			   int64_t synced);

#endif /* KF_TOOLS_STORE_H */
