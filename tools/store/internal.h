/* SPDX-License-Identifier: MIT */
/*
 * Internals of the store, shared by the files of tools/store/.  Nothing
 * outside the store includes this.
 */
#ifndef KF_TOOLS_STORE_INTERNAL_H
#define KF_TOOLS_STORE_INTERNAL_H

#include "tools/store/driver.h"
#include "tools/store/store.h"

#define KF_STMT_CACHE 160

/* One connection; used by one thread at a time (see store.h). */
struct kf_store {
	const struct kf_driver *drv;
	void *conn;		/* the backend's connection */
	unsigned int flags;	/* KF_STORE_* it was opened with */
	char actor[64];
	/* Prepared statements, keyed by the address of their SQL literal. */
	struct kf_stmt cache[KF_STMT_CACHE];
	unsigned int n_cache;
	bool in_tx;		/* inside kf_tx_begin() .. kf_tx_end() */
	/* The audit chain's head as this transaction left it (audit.c):
	 * records appended in one transaction read it only once. */
	bool head_known;
	int64_t head_seq;
	uint8_t head_hash[32];
};

/* region.c: a region's id by its name, -ENOENT when there is none. */
int kf_region_id(struct kf_store *st, const char *name, int64_t *id);
/* The first column of sql (?1 = a region's id, ?2 = a name) as an id. */
int kf_lookup_id(struct kf_store *st, const char *sql, int64_t rid,
		 const char *name, int64_t *id);

/*
 * The changes a statement makes (submit.c applies them), each inside the
 * caller's write transaction, each saying in why (cap bytes) why it cannot
 * apply: -ENOENT something named does not exist, -EEXIST it does already,
 * -EINVAL it cannot apply for another reason.  None writes an audit
 * record: submit.c writes one per operation, naming the signers.
 */
struct kf_authority;
struct kf_certificate;

/* authority.c: a region's authority set and the head of its chain. */
int kf_authority_load(struct kf_store *st, int64_t rid, struct kf_authority *a,
		      uint64_t *head_seq, uint8_t head_id[32]);
int kf_authority_save(struct kf_store *st, int64_t rid,
		      const struct kf_authority *a);
int kf_region_create_tx(struct kf_store *st, const char *name, int64_t *rid);
int kf_statement_save(struct kf_store *st, int64_t rid, uint64_t seq,
		      const uint8_t id[32], const char *signers,
		      const uint8_t *submission, size_t len);
/* The last revocation list's number (0: none yet). */
int kf_revocations_last(struct kf_store *st, int64_t rid, uint64_t *number);
int kf_revocations_save(struct kf_store *st, int64_t rid, uint64_t number,
			const uint8_t id[32], const uint8_t *signed_list,
			size_t len);

/* entity.c */
int kf_entity_approve_tx(struct kf_store *st, int64_t rid,
			 const struct kf_certificate *c, const uint8_t id[32],
			 const uint8_t *signed_cert, size_t len, bool create,
			 char *why, size_t cap);
int kf_entity_revoke_tx(struct kf_store *st, int64_t rid, const char *name,
			int64_t when, char *why, size_t cap);
/* The revoked entities holding a certificate valid after 'at', by name. */
int kf_entity_revoked(struct kf_store *st, int64_t rid, int64_t at,
		      int (*cb)(void *ctx, const char *name,
				const uint8_t kei[32], int64_t revoked,
				int64_t not_after),
		      void *ctx);

/* enroll.c */
int kf_token_issue_tx(struct kf_store *st, int64_t rid, const uint8_t hash[32],
		      const char *entity, int64_t expires, char *why,
		      size_t cap);

/* group.c */
int kf_group_create_tx(struct kf_store *st, int64_t rid, const char *name,
		       char *why, size_t cap);
int kf_group_delete_tx(struct kf_store *st, int64_t rid, const char *name,
		       char *why, size_t cap);
int kf_group_member_tx(struct kf_store *st, int64_t rid, const char *group,
		       const char *entity, bool add, char *why, size_t cap);
int kf_group_signers_tx(struct kf_store *st, int64_t rid, const char *group,
			uint8_t threshold, const struct kf_member *m,
			unsigned int n, char *why, size_t cap);
/* A group's administrators as an authority set; -ENOKEY: none. */
int kf_group_signers_load(struct kf_store *st, int64_t rid, const char *group,
			  struct kf_authority *a);

/* dataset.c: create (change false) or replace the policy (change true). */
struct kf_op;
int kf_dataset_set_tx(struct kf_store *st, int64_t rid, const struct kf_op *op,
		      bool change, char *why, size_t cap);
int kf_dataset_delete_tx(struct kf_store *st, int64_t rid, const char *name,
			 char *why, size_t cap);
/* The groups that administer a data set, one call each. */
int kf_dataset_admins(struct kf_store *st, int64_t rid, const char *dataset,
		      int (*cb)(void *ctx, const char *group), void *ctx);

/* item.c: put and delete inside the caller's transaction, with their
 * audit records. */
int kf_item_put_tx(struct kf_store *st, struct kf_item *it);
int kf_item_delete_tx(struct kf_store *st, const char *region,
		      const char *name, const char *recipient,
		      uint64_t version);

/* request.c: an item request (kf_store_submit() hands it on). */
int kf_request_apply(struct kf_store *st, struct kf_submit *s);

/* owner.c */
int kf_owner_key_tx(struct kf_store *st, int64_t rid, const char *owner,
		    const uint8_t pub[32], bool allow, char *why, size_t cap);
/* audit.c: inside a transaction, append one audit record. */
int kf_audit_append(struct kf_store *st, const char *op, const char *subject,
		    const char *result, const char *detail);
/* provider.c: provider.allow (allow) and provider.retire in region rid. */
int kf_provider_key_tx(struct kf_store *st, int64_t rid, const char *name,
		       const uint8_t pub[32], bool allow, int64_t now,
		       char *why, size_t cap);
/* The same, in another actor's name (a provider's reported records). */
int kf_audit_append_as(struct kf_store *st, const char *actor, const char *op,
		       const char *subject, const char *result,
		       const char *detail);
/* dataset.c: a data set's list, "entity:NAME,group:NAME", into the store. */
int kf_dataset_allow_add(struct kf_store *st, int64_t ds, const char *list);
/* migrate.c */
int kf_store_migrate(struct kf_store *st);

#endif /* KF_TOOLS_STORE_INTERNAL_H */
