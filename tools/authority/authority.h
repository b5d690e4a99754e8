/* SPDX-License-Identifier: MIT */
/*
 * The region authority's objects (docs/protocol.md section 8): signed
 * statements, entity certificates, revocation lists and item requests,
 * their canonical encoding, and their verification against an authority
 * set (k of n Ed25519 public keys).  Used by the repository (which
 * verifies every statement before it takes effect), keyferry-admin (which
 * prepares, signs, submits and verifies them), keyferry-seal and any
 * other relying party (which verifies certificates and revocation lists
 * with the authority's public keys alone).
 *
 * Nothing here touches the network or the store.  Functions return 0 or a
 * negative errno; those that judge an object (decode, verify) also write a
 * one-line reason naming what is wrong into why (cap bytes), for the
 * message a refusal carries.
 */
#ifndef KF_TOOLS_AUTHORITY_H
#define KF_TOOLS_AUTHORITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyferry.h"

#define KF_MEMBER_NAME_MAX	32	/* [A-Za-z0-9._-] */
#define KF_MEMBERS_MAX		16	/* n of an authority set */
#define KF_SIG_SIZE		64	/* Ed25519 */
#define KF_ID_SIZE		32	/* SHA-256 */
/* A body fits one TLV record with up to 16 signatures beside it. */
#define KF_BODY_MAX		60000
#define KF_OPS_MAX		32	/* operations in one statement */
#define KF_READERS_MAX		32	/* entities (and groups) reading a data set */
#define KF_ADMINS_MAX		16	/* groups administering a data set */
#define KF_REASON_MAX		255
#define KF_TOKEN_HASH_SIZE	32
/* A statement may be submitted for at most this long after it was made. */
#define KF_STATEMENT_LIFETIME_MAX	(30 * 86400)
/* How far ahead of the repository's clock ISSUED may be. */
#define KF_CLOCK_SKEW		300
/* A submission: a statement, a certificate per approval, a list. */
#define KF_SUBMISSION_MAX	(256 * 1024)

/* n bytes (at most 8) as a big-endian integer, as the TLV fields hold them. */
static inline uint64_t kf_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* A TLV field's value as a name or a 64-bit integer, or -EPROTO (fields.c). */
int kf_field_name(char *out, const uint8_t *v, size_t n);
int kf_field_u64(uint64_t *out, const uint8_t *v, size_t n);

/* ---- keys, members, authority sets ------------------------------------ */

struct kf_member {
	char name[KF_MEMBER_NAME_MAX + 1];
	uint8_t pub[KF_KEY_SIZE];	/* Ed25519 */
};

/*
 * A set of signers with its threshold: a region's authority, or a group's
 * administrators.  Members are kept sorted by name, names and keys unique.
 * sequence/statement say which statement made the set current (the
 * authority file records them; 0 when unknown).
 */
struct kf_authority {
	char region[KF_NAME_MAX + 1];
	uint8_t threshold;
	unsigned int n;
	struct kf_member m[KF_MEMBERS_MAX];
	uint64_t sequence;
	uint8_t statement[KF_ID_SIZE];
};

bool kf_member_name_valid(const char *s);
/* Sort by name and check: 1 <= threshold <= n <= 16, unique names, keys. */
int kf_authority_check(struct kf_authority *a, char *why, size_t cap);
const struct kf_member *kf_authority_find(const struct kf_authority *a,
					  const uint8_t pub[KF_KEY_SIZE]);
bool kf_authority_equal(const struct kf_authority *a,
			const struct kf_authority *b);	/* set and threshold */

/* The authority file (authset.c): text, see docs/operations.md. */
int kf_authority_read(const char *path, struct kf_authority *a);
int kf_authority_write(const char *path, const struct kf_authority *a);

/* Ed25519 (RFC 8032, pure) through OpenSSL (ed25519.c). */
int kf_ed25519_public(const uint8_t seed[32], uint8_t pub[KF_KEY_SIZE]);
int kf_ed25519_sign(const uint8_t seed[32], const uint8_t *msg, size_t len,
		    uint8_t sig[KF_SIG_SIZE]);
/* 0 when valid, -EBADMSG when not. */
int kf_ed25519_verify(const uint8_t pub[KF_KEY_SIZE], const uint8_t *msg,
		      size_t len, const uint8_t sig[KF_SIG_SIZE]);

/* ---- signed objects (envelope.c) ------------------------------------------ */

enum kf_object_kind {
	KF_OBJ_STATEMENT = 1,
	KF_OBJ_CERTIFICATE = 2,
	KF_OBJ_REVOCATIONS = 3,
	KF_OBJ_ITEM_REQUEST = 4,
};

struct kf_signature {
	uint8_t signer[KF_KEY_SIZE];
	uint8_t value[KF_SIG_SIZE];
};

/*
 * A body and its signatures, sorted by signer key.  body points into the
 * buffer the object was decoded from (or built in): it lives as long as
 * that buffer.
 */
struct kf_signed {
	uint8_t kind;
	const uint8_t *body;
	size_t body_len;
	unsigned int n_sigs;
	struct kf_signature sigs[KF_MEMBERS_MAX];
};

const char *kf_object_label(uint8_t kind);	/* "keyferry/2 statement" */
/* What is signed: label || 0x00 || body, in a buffer the caller frees. */
int kf_signed_message(const struct kf_signed *s, uint8_t **msg, size_t *len);
/* id = SHA-256(label || 0x00 || body) */
int kf_signed_id(const struct kf_signed *s, uint8_t id[KF_ID_SIZE]);
int kf_signed_encode(const struct kf_signed *s, uint8_t *buf, size_t cap,
		     size_t *len);
int kf_signed_decode(struct kf_signed *s, uint8_t kind, const uint8_t *buf,
		     size_t len);
/* Add sig (replacing the same signer's), keeping the order. */
int kf_signed_add(struct kf_signed *s, const struct kf_signature *sig);

/*
 * The names of who signed, for audit records ("alice+bob"); filled by
 * kf_signed_verify().
 */
struct kf_signers {
	unsigned int n;
	char names[KF_MEMBERS_MAX][KF_MEMBER_NAME_MAX + 1];
};
void kf_signers_join(const struct kf_signers *w, char *out, size_t cap);

/*
 * Every signature is by a member of a and verifies, and there are at
 * least a->threshold of them.  -EPERM: too few, or a signer is not a
 * member; -EBADMSG: a signature does not verify.
 */
int kf_signed_verify(const struct kf_signed *s, const struct kf_authority *a,
		     struct kf_signers *who, char *why, size_t cap);

/* ---- statements (statement.c, operation.c) ---------------------------- */

enum kf_op_code {
	KF_OP_REGION_CREATE = 1,
	KF_OP_AUTHORITY_SET = 2,
	KF_OP_TOKEN_ISSUE = 3,
	KF_OP_ENTITY_APPROVE = 4,
	KF_OP_ENTITY_REVOKE = 5,
	KF_OP_DATASET_CREATE = 6,
	KF_OP_DATASET_CHANGE = 7,
	KF_OP_DATASET_DELETE = 8,
	KF_OP_GROUP_CREATE = 9,
	KF_OP_GROUP_DELETE = 10,
	KF_OP_GROUP_ADD = 11,
	KF_OP_GROUP_REMOVE = 12,
	KF_OP_GROUP_SIGNERS = 13,
	KF_OP_OWNER_ALLOW = 14,
	KF_OP_OWNER_RETIRE = 15,
	KF_OP_REVOCATIONS = 16,
	KF_OP_AUDIT_ANCHOR = 17,
	KF_OP_PROVIDER_ALLOW = 18,
	KF_OP_PROVIDER_RETIRE = 19,
	KF_OP_MAX = 19,
};
/* "entity.approve", ... ; NULL for an unknown code. */
const char *kf_op_name(uint16_t code);

/* The fields of an operation; which ones an operation has: 'present',
 * bit t for field type t (protocol.md 8.3). */
struct kf_op {
	uint16_t code;
	uint32_t present;
	char name[KF_NAME_MAX + 1];
	char group[KF_NAME_MAX + 1];
	uint8_t threshold;
	unsigned int n_members;
	struct kf_member members[KF_MEMBERS_MAX];
	uint8_t object_id[KF_ID_SIZE];
	uint8_t key[KF_KEY_SIZE];
	uint64_t not_before, not_after;
	uint32_t rate_count, rate_period;
	unsigned int n_read_entities, n_read_groups, n_admin_groups;
	char read_entities[KF_READERS_MAX][KF_NAME_MAX + 1];
	char read_groups[KF_READERS_MAX][KF_NAME_MAX + 1];
	char admin_groups[KF_ADMINS_MAX][KF_NAME_MAX + 1];
	char reason[KF_REASON_MAX + 1];
	uint64_t number;
	uint64_t audit_seq;
	uint8_t audit_hash[32];
};

/* Field types of an OPERATION record (protocol.md 8.3). */
enum kf_op_field {
	KF_F_CODE = 1, KF_F_NAME, KF_F_GROUP, KF_F_THRESHOLD, KF_F_MEMBER,
	KF_F_OBJECT_ID, KF_F_KEY, KF_F_NOT_BEFORE, KF_F_NOT_AFTER,
	KF_F_RATE_COUNT, KF_F_RATE_PERIOD, KF_F_READ_ENTITY, KF_F_READ_GROUP,
	KF_F_ADMIN_GROUP, KF_F_REASON, KF_F_NUMBER, KF_F_AUDIT_SEQ,
	KF_F_AUDIT_HASH,
};
#define KF_HAS(op, f)	((op)->present & (1u << (f)))

/* Encode one operation as an OPERATION record into w; checks its fields. */
int kf_op_put(struct kf_tlv_writer *w, struct kf_op *op, char *why,
	      size_t cap);
/* Decode and check one OPERATION record's value. */
int kf_op_decode(struct kf_op *op, const uint8_t *v, size_t len, char *why,
		 size_t cap);

/* Record types of a statement body (protocol.md 8.2). */
enum kf_statement_field {
	KF_S_VERSION = 1, KF_S_REGION, KF_S_SEQUENCE, KF_S_PREVIOUS,
	KF_S_ISSUED, KF_S_EXPIRES, KF_S_OPERATION,
};

struct kf_statement {
	uint8_t version;		/* 1 */
	char region[KF_NAME_MAX + 1];
	uint64_t sequence;		/* 1 for the region's first */
	uint8_t previous[KF_ID_SIZE];	/* id of sequence - 1; zeros for 1 */
	uint64_t issued, expires;
	unsigned int n_ops;
	const uint8_t *ops;		/* the OPERATION records, in the body */
	size_t ops_len;
};

/*
 * Decode a statement body and every operation in it (so that a statement
 * that decodes holds only well-formed operations).
 */
int kf_statement_decode(struct kf_statement *st, const uint8_t *body,
			size_t len, char *why, size_t cap);
/* Walk the operations of a decoded statement: 1 with the next, 0 at end. */
struct kf_op_iter {
	struct kf_tlv_reader r;
};
void kf_op_iter_init(struct kf_op_iter *it, const struct kf_statement *st);
int kf_op_next(struct kf_op_iter *it, struct kf_op *op);

/* Build a body: the header records, then kf_op_put() each operation. */
void kf_statement_begin(struct kf_tlv_writer *w, const struct kf_statement *st);

/* ---- certificates (certificate.c) ------------------------------------- */

struct kf_certificate {
	uint8_t version;		/* 1 */
	char region[KF_NAME_MAX + 1];
	char entity[KF_NAME_MAX + 1];
	uint8_t kei_pub[KF_KEY_SIZE];
	uint8_t kec_pub[KF_KEY_SIZE];
	uint64_t serial;
	uint64_t not_before, not_after;
};

int kf_certificate_encode(const struct kf_certificate *c, uint8_t *buf,
			  size_t cap, size_t *len);
int kf_certificate_decode(struct kf_certificate *c, const uint8_t *body,
			  size_t len, char *why, size_t cap);

/* ---- revocation lists (revocations.c) ---------------------------------- */

struct kf_revocation {
	char entity[KF_NAME_MAX + 1];
	uint8_t kei_pub[KF_KEY_SIZE];
	uint64_t revoked;		/* unix seconds */
	uint64_t not_after;		/* of the entity's last certificate */
};

struct kf_revocations {
	uint8_t version;		/* 1 */
	char region[KF_NAME_MAX + 1];
	uint64_t number;		/* 1, 2, ... */
	uint64_t this_update, next_update;
	unsigned int n;
	const uint8_t *entries;		/* the ENTRY records, in the body */
	size_t entries_len;
};

int kf_revocations_decode(struct kf_revocations *l, const uint8_t *body,
			  size_t len, char *why, size_t cap);
/* Walk the entries: 1 with the next, 0 at the end. */
struct kf_revocation_iter {
	struct kf_tlv_reader r;
};
void kf_revocation_iter_init(struct kf_revocation_iter *it,
			     const struct kf_revocations *l);
int kf_revocation_next(struct kf_revocation_iter *it, struct kf_revocation *e);
/* Header records, then kf_revocation_put() each entry in name order. */
void kf_revocations_begin(struct kf_tlv_writer *w,
			  const struct kf_revocations *l);
void kf_revocation_put(struct kf_tlv_writer *w, const struct kf_revocation *e);

/* ---- item requests (itemreq.c) ---------------------------------------- */

enum kf_item_action { KF_ITEM_PUT = 1, KF_ITEM_DELETE = 2 };

struct kf_item_request {
	uint8_t version;		/* 1 */
	char region[KF_NAME_MAX + 1];
	uint64_t issued, expires;
	uint8_t nonce[16];
	uint8_t action;
	char dataset[KF_NAME_MAX + 1];	/* put */
	char item[KF_NAME_MAX + 1];
	char entity[KF_NAME_MAX + 1];	/* "" = none */
	char group[KF_NAME_MAX + 1];	/* "" = none */
	uint64_t item_version;		/* delete: 0 = every version */
	const uint8_t *policy;		/* put, in the body */
	size_t policy_len;
	const uint8_t *sealed;		/* put, in the body */
	size_t sealed_len;
};

int kf_item_request_encode(const struct kf_item_request *r, uint8_t *buf,
			   size_t cap, size_t *len);
int kf_item_request_decode(struct kf_item_request *r, const uint8_t *body,
			   size_t len, char *why, size_t cap);

/* ---- submissions (submission.c) ----------------------------------------- */

/*
 * What a member submits: a statement with the certificates its approvals
 * name and the revocation list it publishes, or an item request.
 */
struct kf_submission {
	bool has_statement;
	struct kf_signed statement;
	unsigned int n_certs;
	struct kf_signed certs[KF_OPS_MAX];
	bool has_revocations;
	struct kf_signed revocations;
	bool has_item;
	struct kf_signed item;
};

int kf_submission_encode(const struct kf_submission *s, uint8_t *buf,
			 size_t cap, size_t *len);
int kf_submission_decode(struct kf_submission *s, const uint8_t *buf,
			 size_t len, char *why, size_t cap);
/* Every signed object of s, in order, for signing or showing them all. */
unsigned int kf_submission_objects(struct kf_submission *s,
				   struct kf_signed **out, unsigned int max);

/* ---- relying parties (relying.c) ---------------------------------------- */

/*
 * A certificate's envelope: signed by the authority (a), for a's region,
 * valid at now.  c gets its fields.
 */
int kf_verify_certificate(const struct kf_authority *a, const uint8_t *buf,
			  size_t len, int64_t now, struct kf_certificate *c,
			  char *why, size_t cap);
/*
 * A revocation list's envelope: signed by a, for a's region, not stale
 * (now <= NEXT_UPDATE).  buf must outlive l (its entries point into it).
 */
int kf_verify_revocations(const struct kf_authority *a, const uint8_t *buf,
			  size_t len, int64_t now, struct kf_revocations *l,
			  char *why, size_t cap);
/* Whether the list names the certificate's entity (by name or Kei). */
bool kf_revocations_lists(const struct kf_revocations *l,
			  const struct kf_certificate *c);

#endif /* KF_TOOLS_AUTHORITY_H */
