/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the files of keyferry.ko.  One file per
 * responsibility:
 *
 *   main.c      load and unload, in dependency order
 *   stats.c     accounted allocations and the debugfs counters
 *   crypto.c    thin wrappers over the kernel crypto API (X25519 kpp,
 *               hmac(sha256), sha256, rfc7539(chacha20,poly1305), HKDF)
 *   noise.c     Noise_IK_25519_ChaChaPoly_SHA256, initiator side
 *   hpke.c      RFC 9180 mode_auth (mode_base too, for its vector): open,
 *               and seal for the self-test
 *   tlv.c       the strict TLV parser of docs/protocol.md section 5, names
 *   message.c   reply payloads, status codes, sealed item headers
 *   policy.c    the owner's policy (section 6) and the key's lifetime
 *   item.c      one item of a fetch reply: its checks in order, opened
 *   owner.c     the owner keys pinned for the entity's region
 *   versions.c  the version records: highest version installed per item
 *   keyring.c   the module keyring, installs, unwrapping keys, tracking of
 *               installed keys, their lifetimes and their revocation
 *   transfer.c  pending transfers, TRANSFER_BEGIN/FINISH, the collector
 *   entity.c    the host's entity: keys, state, replacement, revocation
 *   identity.c  the identity blob: export and import of the entity's
 *               state sealed by a seat of trust
 *   tpm.c       the TPM 2.0 seat: seal/unseal, the epoch counters
 *   tpm_cmd.c   TPM 2.0 command marshalling, bounds-checked responses
 *   netlink.c   the generic netlink family, privilege, events
 *   selftest.c  known-answer tests at load (debug build only)
 *
 * Locking: one mutex, kf_lock (entity.c), protects all the module's state:
 * the entity (its pinned keys included), pending transfers, version
 * records, unwrapping keys and the tracked installed keys.  Functions
 * documented "kf_lock held" assert it with lockdep.  It is a mutex because
 * crypto and keyring calls sleep; nothing takes it in atomic context.
 * Generic netlink serialises our handlers too (the family is not
 * parallel_ops), but the collector (a delayed work) and module unload run
 * outside genl_mutex, hence the lock.
 *
 * Time: lifetimes are counted in CLOCK_BOOTTIME seconds
 * (ktime_get_boottime_seconds), which no process can set and which counts
 * suspend; wall-clock (unix) seconds are used only where the owner's
 * policy speaks unix time (NOT_BEFORE, NOT_AFTER) and for display.
 */
#ifndef _KEYFERRY_H
#define _KEYFERRY_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/key.h>
#include "../uapi/linux/keyferry.h"

#define KF_LOG_PREFIX "keyferry: "

struct netlink_ext_ack;

#define KF_KID_SIZE		8
#define KF_HASH_SIZE		32
#define KF_TAG_SIZE		16
#define KF_AEAD_NONCE_SIZE	12
#define KF_MSG1_HEADER		16
#define KF_MSG1_MIN		112
#define KF_MSG2_MIN		64
#define KF_POLICY_MAX		1024
#define KF_ITEM_KEY_MAX		4096
#define KF_SEALED_HEADER	64
#define KF_SEALED_MIN		(KF_SEALED_HEADER + KF_TAG_SIZE)
#define KF_SEALED_MAX		(KF_SEALED_HEADER + KF_ITEM_KEY_MAX + KF_TAG_SIZE)
#define KF_STATUS_TEXT_MAX	255
#define KF_MAX_UNWRAP_KEYS	64
#define KF_MAX_TRACKED_KEYS	1024
#define KF_PROTOCOL_VERSION	2
#define KF_PROLOGUE		"keyferry/2"
#define KF_TAI64N_SIZE		12
/* info = "keyferry/2 item" 0 region 0 item 0 u64(version), section 4 */
#define KF_ITEM_INFO_MAX	(15 + 1 + KEYFERRY_NAME_MAX + 1 + \
				 KEYFERRY_NAME_MAX + 1 + 8)
/* an unwrapping key is held as "<owner>:<item>" */
#define KF_HELD_NAME_MAX	(KEYFERRY_OWNER_NAME_MAX + 1 + KEYFERRY_NAME_MAX)

extern struct mutex kf_lock;

/* ---- stats.c: every allocation of the module is accounted ------------- */
struct kf_stats {
	long bytes;		/* bytes allocated by kf_zalloc, not yet freed */
	long objects;		/* blocks allocated by kf_zalloc, not yet freed */
	long tfms;		/* crypto transforms allocated, not yet freed */
	long transfers_begun;
	long transfers_finished;
	long transfers_expired;
	long keys_installed;
	long keys_ended;	/* revoked or wiped by the module */
	long refusals;
};

void *kf_zalloc(size_t size);
void kf_free(void *p);		/* wipes, then frees; NULL is fine */
void kf_stat_tfm(int delta);
void kf_stat_count(long *counter);
void kf_stats_get(struct kf_stats *st);
extern struct kf_stats kf_counters;
int kf_stats_init(void);
void kf_stats_exit(void);

/* ---- crypto.c ------------------------------------------------------------ */
/* A piece of a message that is hashed or authenticated as one string. */
struct kf_buf {
	const void *p;
	size_t len;
};

/*
 * Per-operation transforms: allocated by whoever runs a handshake step and
 * freed (crypto_destroy_tfm wipes with kfree_sensitive) when it ends, so no
 * keyed transform outlives its use and none is shared between threads.
 */
struct kf_crypto {
	struct crypto_shash *hmac;
	struct crypto_shash *sha256;
	struct crypto_aead *aead;
};

int kf_crypto_alloc(struct kf_crypto *c);
void kf_crypto_free(struct kf_crypto *c);
int kf_sha256(struct kf_crypto *c, u8 out[KF_HASH_SIZE],
	      const struct kf_buf *parts, unsigned int n);
void kf_kid(struct kf_crypto *c, const u8 pub[KEYFERRY_KEY_SIZE],
	    u8 kid[KF_KID_SIZE]);
int kf_hmac(struct kf_crypto *c, u8 out[KF_HASH_SIZE], const u8 *key,
	    size_t key_len, const struct kf_buf *parts, unsigned int n);
int kf_hkdf_extract(struct kf_crypto *c, u8 prk[KF_HASH_SIZE],
		    const u8 *salt, size_t salt_len,
		    const struct kf_buf *ikm, unsigned int n);
int kf_hkdf_expand(struct kf_crypto *c, u8 *out, size_t out_len,
		   const u8 prk[KF_HASH_SIZE],
		   const struct kf_buf *info, unsigned int n);
/* ChaCha20-Poly1305: seal writes in_len + 16 bytes, open in_len - 16. */
int kf_aead_seal(struct kf_crypto *c, u8 *out, const u8 key[32],
		 const u8 nonce[KF_AEAD_NONCE_SIZE], const u8 *aad,
		 size_t aad_len, const u8 *in, size_t in_len);
int kf_aead_open(struct kf_crypto *c, u8 *out, const u8 key[32],
		 const u8 nonce[KF_AEAD_NONCE_SIZE], const u8 *aad,
		 size_t aad_len, const u8 *in, size_t in_len);

/* X25519: a private key lives only in the ctx of its kpp transform. */
struct crypto_kpp *kf_x25519_new(const u8 *secret);	/* NULL: random */
void kf_x25519_free(struct crypto_kpp *tfm);
int kf_x25519_public(struct crypto_kpp *tfm, u8 pub[KEYFERRY_KEY_SIZE]);
/* -EBADMSG when the result is all zero (a low-order peer point). */
int kf_x25519(struct crypto_kpp *tfm, u8 out[KEYFERRY_KEY_SIZE],
	      const u8 peer[KEYFERRY_KEY_SIZE]);
/* -EKEYREJECTED when peer is a low-order point (no usable DH with it). */
int kf_x25519_check(struct crypto_kpp *tfm, const u8 peer[KEYFERRY_KEY_SIZE]);

/* ---- noise.c ---------------------------------------------------------- */
struct kf_noise {
	u8 h[KF_HASH_SIZE];
	u8 ck[KF_HASH_SIZE];
	u8 k[KF_HASH_SIZE];
	u64 n;
	struct crypto_kpp *e;		/* the initiator's ephemeral */
	u8 e_pub[KEYFERRY_KEY_SIZE];
	u8 rs[KEYFERRY_KEY_SIZE];
};

/* Raw handshake tokens (no keyferry header), also used by the self-test. */
int kf_noise_write1(struct kf_crypto *c, struct kf_noise *st,
		    const u8 *prologue, size_t prologue_len,
		    struct crypto_kpp *s, const u8 s_pub[KEYFERRY_KEY_SIZE],
		    const u8 rs[KEYFERRY_KEY_SIZE], const u8 *eph_priv,
		    const u8 *payload, size_t payload_len, u8 *out);
int kf_noise_read2(struct kf_crypto *c, struct kf_noise *st,
		   struct crypto_kpp *s, const u8 *in, size_t in_len,
		   u8 *payload);
void kf_noise_wipe(struct kf_noise *st);
#define KF_NOISE_MSG1_LEN(payload_len) (32 + 48 + (payload_len) + KF_TAG_SIZE)

/* ---- hpke.c ------------------------------------------------------------- */
/*
 * Single-shot HPKE at sequence number 0.  pks (the sender's public key)
 * selects mode_auth (AuthDecap); NULL is mode_base.  -EBADMSG: it does not
 * authenticate (ciphertext, aad, info or sender), or a low-order point.
 */
int kf_hpke_open(struct kf_crypto *c, u8 *pt, struct crypto_kpp *skr,
		 const u8 pkr[KEYFERRY_KEY_SIZE], const u8 *pks,
		 const u8 enc[KEYFERRY_KEY_SIZE],
		 const struct kf_buf *info, unsigned int n_info,
		 const u8 *aad, size_t aad_len, const u8 *ct, size_t ct_len);
/* For the self-test: sks NULL is mode_base, else mode_auth from sks/pks. */
int kf_hpke_seal(struct kf_crypto *c, u8 enc[KEYFERRY_KEY_SIZE], u8 *ct,
		 const u8 pkr[KEYFERRY_KEY_SIZE], const u8 *eph_priv,
		 struct crypto_kpp *sks, const u8 *pks,
		 const struct kf_buf *info, unsigned int n_info,
		 const u8 *aad, size_t aad_len, const u8 *pt, size_t pt_len);

/* ---- tlv.c -------------------------------------------------------------- */
#define KF_TLV_REQUIRED	0x01
#define KF_TLV_MULTI	0x02	/* repeatable, consecutive */
#define KF_TLV_NAME	0x04	/* value is a name (1..255, charset) */

struct kf_tlv_rule {
	u16 min;
	u16 max;
	u8 flags;
};

struct kf_tlv_field {
	const u8 *val;		/* first record's value, NULL if absent */
	u16 len;		/* first record's length */
	u16 count;
};

/* fields[] and rules[] have max_type + 1 entries; entry 0 is unused. */
int kf_tlv_parse(const u8 *buf, size_t len, const struct kf_tlv_rule *rules,
		 unsigned int max_type, struct kf_tlv_field *fields,
		 int unknown_err);
/* Record number idx (0-based) of a repeatable field. */
void kf_tlv_nth(const struct kf_tlv_field *f, unsigned int idx,
		const u8 **val, u16 *len);
/* Region, entity and item names: 1..max bytes of [A-Za-z0-9._:@/-]. */
bool kf_name_valid(const u8 *s, size_t len, size_t max);
/* Owner names: 1..32 bytes of [A-Za-z0-9._-] (no ':'). */
bool kf_owner_name_valid(const u8 *s, size_t len);
/* Append a record; returns the new length or -EMSGSIZE. */
int kf_tlv_put(u8 *buf, size_t cap, size_t *pos, u16 type, const void *v,
	       size_t n);

/* ---- message.c ---------------------------------------------------------- */
struct kf_reply_item {
	const u8 *name;
	u16 name_len;
	const u8 *policy;
	u16 policy_len;
	const u8 *sealed;
	u16 sealed_len;
};

struct kf_reply {
	u32 status;
	unsigned int n_items;
	struct kf_reply_item items[KEYFERRY_MAX_ITEMS];
	const u8 *entity;
	u16 entity_len;
};

/* A KFS2 sealed item's header (section 4), pointing into the blob. */
struct kf_sealed {
	u8 alg;
	const u8 *kid;		/* alg 1: kid(Kec-pub); alg 2: zero */
	const u8 *owner_kid;	/* alg 1: kid(Ko-pub); alg 2: zero */
	u64 version;		/* 1 .. 2^63 - 1 */
	const u8 *enc;		/* HPKE enc or alg 2 salt, 32 bytes */
	const u8 *ct;
	size_t ct_len;
};

#define KF_SEAL_HPKE	1
#define KF_SEAL_WRAP	2

int kf_reply_parse(const u8 *buf, size_t len, struct kf_reply *r);
int kf_status_errno(u32 status);
#define KF_STATUS_REVOKED 2
int kf_sealed_parse(const u8 *buf, size_t len, struct kf_sealed *s);

/* ---- policy.c ----------------------------------------------------------- */
struct kf_policy {
	u8 key_type;
	u16 key_size;
	bool has_perm;
	u32 perm;
	u32 timeout;
	u64 not_before;
	u64 not_after;
	char unwrap_key[KEYFERRY_NAME_MAX + 1];	/* item name; "" = none */
	u32 lease;				/* 0 = none */
	u32 grace;
};

/* How long a key lives from its installation (section 6, "Lifetime"). */
struct kf_lifetime {
	u64 secs;		/* 0: no end */
	u64 lease;		/* renew within; 0: no lease */
	bool by_lease;		/* secs is the lease plus grace */
};

int kf_policy_parse(const u8 *buf, size_t len, struct kf_policy *p);
int kf_policy_check(const struct kf_policy *p, size_t key_len, time64_t now);
key_perm_t kf_policy_perm(const struct kf_policy *p);
void kf_policy_lifetime(const struct kf_policy *p, time64_t now,
			struct kf_lifetime *lt);

/* ---- owner.c ------------------------------------------------------------ */
struct kf_owner {
	char name[KEYFERRY_OWNER_NAME_MAX + 1];
	u8 pub[KEYFERRY_KEY_SIZE];
	u8 kid[KF_KID_SIZE];
};

struct netlink_ext_ack;
/* kf_lock held: the pinned key whose kid this is, or NULL. */
const struct kf_owner *kf_owner_find_kid(const u8 kid[KF_KID_SIZE]);
int kf_owner_add(const char *name, const u8 pub[KEYFERRY_KEY_SIZE],
		 struct netlink_ext_ack *extack);
int kf_owner_retire(const u8 pub[KEYFERRY_KEY_SIZE],
		    struct netlink_ext_ack *extack);

/* ---- versions.c ---------------------------------------------------------- */
/*
 * The version records: per (owner name, item name), the highest version
 * this identity installed.  Self-contained, so that the host identity's
 * export can save them (kf_versions_for_each) and its import restore them
 * (a kf_version_set, then kf_versions_install).  Everything here but the
 * set's functions (a set is its maker's alone) runs with kf_lock held.
 */
struct kf_version_record {
	char owner[KEYFERRY_OWNER_NAME_MAX + 1];
	char item[KEYFERRY_NAME_MAX + 1];
	u64 version;
};

u64 kf_version_get(const char *owner, const char *item);	/* 0: none */
unsigned int kf_version_count(void);
/* For an install: a record for (owner, item), preallocated when new. */
int kf_version_reserve(const char *owner, const char *item, void **spare);
/* Cannot fail: raise (or create, from the spare) the record. */
void kf_version_commit(const char *owner, const char *item, u64 version,
		       void **spare);
void kf_version_spare_free(void **spare);
int kf_versions_for_each(int (*fn)(const struct kf_version_record *r,
				   void *arg), void *arg);
void kf_versions_flush(void);

struct kf_version_set {
	struct list_head list;
	unsigned int n;
};

void kf_version_set_init(struct kf_version_set *set);
int kf_version_set_add(struct kf_version_set *set,
		       const struct kf_version_record *r);
void kf_version_set_free(struct kf_version_set *set);
void kf_versions_install(struct kf_version_set *set);

/* ---- keyring.c ---------------------------------------------------------- */
/* When the module ends a key, and what userspace is told. */
struct kf_life {
	time64_t end;		/* CLOCK_BOOTTIME seconds; 0: no end */
	bool by_lease;		/* end is the lease's, plus grace */
	time64_t expiry;	/* end in unix seconds, for display; 0: none */
	time64_t renew_by;	/* lease end in unix seconds; 0: no lease */
};

/* One opened item, verified, waiting to be installed. */
struct kf_staged {
	struct kf_policy pol;
	u8 *key;		/* kf_zalloc'd, wiped by kf_staged_release */
	size_t key_len;
	char owner[KEYFERRY_OWNER_NAME_MAX + 1];
	char item[KEYFERRY_NAME_MAX + 1];
	u64 version;
	/* filled by kf_keys_install */
	key_serial_t serial;
	struct kf_life life;
	struct key *k;		/* the installed key, referenced */
	struct key *displaced;	/* the earlier key its link displaces, or NULL */
	void *spare;		/* preallocated store entry (unwrap/tracking) */
	void *vspare;		/* preallocated version record */
};

/* What KEY_LIST and the events say about one key (never its secret). */
struct kf_key_info {
	key_serial_t serial;
	u8 type;
	char description[KEYFERRY_DESCRIPTION_MAX + 1];
	char owner[KEYFERRY_OWNER_NAME_MAX + 1];
	char item[KEYFERRY_NAME_MAX + 1];
	u64 version;
	time64_t expiry;
	time64_t renew_by;
};

int kf_keyring_init(void);
void kf_keyring_exit(void);
key_serial_t kf_keyring_serial(void);
struct key *kf_keyring_get(void);	/* the module keyring, referenced */
int kf_keys_install(struct key *keyring, struct kf_staged *st,
		    unsigned int n);
void kf_staged_release(struct kf_staged *st);
void kf_staged_info(const struct kf_staged *st, struct kf_key_info *ki);
/*
 * alg 2: call try(owner, kw, arg) for each unwrapping key of that item
 * name (the one staged earlier in this reply, then those held, one per
 * owner) until it returns something other than -EBADMSG; -ENOKEY when
 * there is none.  kf_lock held.
 */
int kf_unwrap_try(const char *item, const struct kf_staged *st,
		  unsigned int n_staged,
		  int (*try)(const char *owner, const u8 *kw, void *arg),
		  void *arg);
unsigned int kf_unwrap_count(void);
unsigned int kf_tracked_count(void);
void kf_unwrap_flush(void);
/* Revoke the keys identity gen installed, wipe unwrapping keys; the count. */
unsigned int kf_keys_revoke_all(u64 gen);
time64_t kf_keyring_gc(time64_t now);	/* next deadline, 0 = none */
/* KEY_LIST: entry idx (tracked keys, then unwrap keys); -ENOENT past end. */
int kf_key_info_get(unsigned long idx, struct kf_key_info *ki);

/* ---- entity.c ---------------------------------------------------------- */
/*
 * The entity's private scalars (and, for a passphrase seat, the stretched
 * passphrase), in one kf_zalloc'ed block so that they are wiped when freed
 * and never sit in a structure that is copied around.
 */
struct kf_entity_secret {
	u8 kei[KEYFERRY_KEY_SIZE];
	u8 kec[KEYFERRY_KEY_SIZE];
	u8 seat_key[KEYFERRY_SEAT_KEY_SIZE];
};

struct kf_entity {
	u8 state;			/* enum keyferry_entity_state */
	u64 gen;			/* bumped at every ENTITY_CREATE */
	char region[KEYFERRY_NAME_MAX + 1];
	char name[KEYFERRY_NAME_MAX + 1];
	struct crypto_kpp *kei;
	struct crypto_kpp *kec;
	u8 kei_pub[KEYFERRY_KEY_SIZE];
	u8 kec_pub[KEYFERRY_KEY_SIZE];
	u8 kec_kid[KF_KID_SIZE];
	unsigned int n_dkeys;
	u8 dkeys[KEYFERRY_MAX_DISTRIBUTOR_KEYS][KEYFERRY_KEY_SIZE];
	u8 dkids[KEYFERRY_MAX_DISTRIBUTOR_KEYS][KF_KID_SIZE];
	unsigned int n_owners;		/* owner.c */
	struct kf_owner owners[KEYFERRY_MAX_OWNER_KEYS];
	struct kf_entity_secret *secret;	/* kf_zalloc'ed */
	u8 seat;			/* enum keyferry_seat */
	u32 pcrs;			/* TPM seat: the PCRs it is bound to */
	u64 epoch;			/* of the last TPM blob made or imported */
	u8 kdf[KEYFERRY_KDF_PARAMS_SIZE];	/* passphrase seat */
	u64 export_gen;			/* state generation of the last export */
	u64 sealed_gen;			/* ...of the last blob saved or imported */
};

extern struct kf_entity kf_entity;	/* kf_lock */

/*
 * The state generation: raised (kf_lock held) at every change of what an
 * identity blob carries, so that the helper knows when the saved blob is
 * behind the module (docs/kernel.md, "The state generation").  It counts
 * for the module's lifetime, across replacements, and never goes down.
 */
void kf_state_changed(void);
u64 kf_state_gen(void);

struct kf_entity_status {
	u8 state;			/* enum keyferry_entity_state */
	u32 pending_transfers;
	u32 installed_keys;
	u32 version_records;
	key_serial_t keyring;
	char region[KEYFERRY_NAME_MAX + 1];
	char name[KEYFERRY_NAME_MAX + 1];
	u8 kei_pub[KEYFERRY_KEY_SIZE];
	u8 kec_pub[KEYFERRY_KEY_SIZE];
	unsigned int n_dkeys;
	u8 dkeys[KEYFERRY_MAX_DISTRIBUTOR_KEYS][KEYFERRY_KEY_SIZE];
	unsigned int n_owners;
	struct kf_owner owners[KEYFERRY_MAX_OWNER_KEYS];
	u8 seat;
	u32 pcrs;
	u64 epoch;
	u64 state_gen;			/* kf_state_gen() */
	u64 sealed_gen;			/* kf_entity.sealed_gen */
};

struct kf_entity_params {
	const char *region;
	const char *name;
	unsigned int n_dkeys;
	const u8 *dkeys[KEYFERRY_MAX_DISTRIBUTOR_KEYS];
	unsigned int n_owners;
	const char *owner_names[KEYFERRY_MAX_OWNER_KEYS];
	const u8 *owner_keys[KEYFERRY_MAX_OWNER_KEYS];
	bool replace;
	const u8 *confirm_kei;		/* with replace: the current Kei-pub */
};

int kf_entity_init(void);
void kf_entity_exit(void);
void kf_entity_get_status(struct kf_entity_status *st);
int kf_entity_create(const struct kf_entity_params *p,
		     u8 kei_pub[KEYFERRY_KEY_SIZE],
		     u8 kec_pub[KEYFERRY_KEY_SIZE],
		     struct netlink_ext_ack *extack);
void kf_entity_revoke(void);	/* kf_lock held */

/* ---- item.c ------------------------------------------------------------- */
int kf_item_open(struct kf_crypto *c, const struct kf_reply_item *it,
		 struct kf_staged *staged, unsigned int idx,
		 struct netlink_ext_ack *extack);
/* The pieces the self-test checks against the sealed-item vectors. */
size_t kf_item_info(u8 *out, const char *region, const char *item, u64 version);
int kf_wrap_open(struct kf_crypto *c, u8 *out, const u8 kw[32],
		 const struct kf_sealed *s, const u8 *info, size_t info_len,
		 const u8 *aad, size_t aad_len);

/*
 * The whole state an identity blob carries (identity.c), kf_zalloc'ed:
 * it holds the private scalars.
 */
struct kf_identity {
	u8 state;
	char region[KEYFERRY_NAME_MAX + 1];
	char name[KEYFERRY_NAME_MAX + 1];
	unsigned int n_dkeys;
	u8 dkeys[KEYFERRY_MAX_DISTRIBUTOR_KEYS][KEYFERRY_KEY_SIZE];
	unsigned int n_owners;
	struct kf_owner owners[KEYFERRY_MAX_OWNER_KEYS];	/* kid unset */
	struct kf_version_set versions;	/* import only: the blob's records */
	struct kf_entity_secret secret;
	u8 seat;
	u32 pcrs;
	u64 epoch;
	u8 kdf[KEYFERRY_KDF_PARAMS_SIZE];
	u64 gen;			/* kf_entity.gen when copied */
	u64 state_gen;			/* kf_state_gen() when copied */
};

/* Copy the entity into id (kf_lock held); -ENOKEY without one. */
int kf_entity_snapshot(struct kf_identity *id);
/*
 * Make id the entity (its keys, state, seat); -EEXIST unless replace.  Sets
 * id->state_gen to the generation the imported state now has.
 */
int kf_entity_install(struct kf_identity *id, bool replace,
		      u8 kei_pub[KEYFERRY_KEY_SIZE],
		      u8 kec_pub[KEYFERRY_KEY_SIZE]);

/* ---- identity.c --------------------------------------------------------- */
#define KF_BLOB_KEY_SIZE	32
#define KF_MAX_UNCOMMITTED	16	/* TPM exports reserved, not committed */
#define KF_TPM_PCRS		0x00ffffff	/* PCRs 0 to 23 */

struct kf_export_params {
	u8 seat;
	bool has_pcrs;
	u32 pcrs;			/* TPM: first export only */
	const u8 *seat_key;		/* passphrase: first export only */
	const u8 *kdf;
};

/* On success *blob is kf_zalloc'ed, the caller frees it. */
int kf_identity_export(const struct kf_export_params *p, u8 **blob,
		       size_t *len, u64 *epoch, u64 *state_gen,
		       struct netlink_ext_ack *extack);
int kf_identity_import(const u8 *blob, size_t len, const u8 *seat_key,
		       bool replace, struct kf_entity_status *st,
		       struct netlink_ext_ack *extack);
int kf_identity_commit(u64 epoch, struct netlink_ext_ack *extack);

/* ---- tpm.c, tpm_cmd.c ------------------------------------------------- */
struct tpm_chip;

/* One command and then its response, in a kf_zalloc'ed page. */
struct kf_tpm_cmd {
	u8 *data;
	size_t len;		/* command bytes written */
	size_t pos;		/* response bytes read */
	size_t end;		/* response length */
	bool overflow;
};

int kf_tpm_cmd_init(struct kf_tpm_cmd *c, u16 tag, u32 cc);
void kf_tpm_cmd_reset(struct kf_tpm_cmd *c, u16 tag, u32 cc);
void kf_tpm_cmd_free(struct kf_tpm_cmd *c);
void kf_tpm_put(struct kf_tpm_cmd *c, const void *p, size_t n);
void kf_tpm_put_u8(struct kf_tpm_cmd *c, u8 v);
void kf_tpm_put_u16(struct kf_tpm_cmd *c, u16 v);
void kf_tpm_put_u32(struct kf_tpm_cmd *c, u32 v);
void kf_tpm_put_2b(struct kf_tpm_cmd *c, const void *p, u16 n);
size_t kf_tpm_size_begin(struct kf_tpm_cmd *c);
void kf_tpm_size_end(struct kf_tpm_cmd *c, size_t at);
void kf_tpm_put_auth(struct kf_tpm_cmd *c, u32 session);
int kf_tpm_transmit(struct tpm_chip *chip, struct kf_tpm_cmd *c);
int kf_tpm_get(struct kf_tpm_cmd *c, const u8 **p, size_t n);
int kf_tpm_get_u16(struct kf_tpm_cmd *c, u16 *v);
int kf_tpm_get_u32(struct kf_tpm_cmd *c, u32 *v);
int kf_tpm_get_2b(struct kf_tpm_cmd *c, const u8 **p, u16 *n);
int kf_tpm_get_2b_whole(struct kf_tpm_cmd *c, const u8 **p, size_t *n);
int kf_tpm_get_param_size(struct kf_tpm_cmd *c);

bool kf_tpm_present(void);
int kf_tpm_seal(const u8 key[KF_BLOB_KEY_SIZE], u32 pcrs, u8 *out, size_t cap,
		size_t *out_len);
int kf_tpm_unseal(const u8 *sealed, size_t len, u32 pcrs,
		  u8 key[KF_BLOB_KEY_SIZE]);
int kf_tpm_epoch_reserve(u64 *epoch);
int kf_tpm_epoch_check(u64 epoch);
int kf_tpm_epoch_commit(u64 epoch);

/* ---- transfer.c ----------------------------------------------------- */
struct kf_begin_params {
	u8 kind;
	unsigned int n_items;
	const char *items[KEYFERRY_MAX_ITEMS];
	const u8 *token;
	size_t token_len;
	const u8 *nonce;
	const u8 *dkey;			/* NULL: the first pinned key */
};

/* What TRANSFER_FINISH reports; err_item names the item a refusal is about */
struct kf_finish_result {
	u8 kind;
	unsigned int n_keys;
	struct kf_staged *keys;		/* kf_zalloc'd, n_keys entries */
	char err_item[KEYFERRY_NAME_MAX + 1];
};

int kf_transfer_init(void);
void kf_transfer_exit(void);
int kf_transfer_begin(const struct kf_begin_params *p, u32 *id, u8 **msg,
		      size_t *msg_len, struct netlink_ext_ack *extack);
void kf_transfer_cancel(u32 id);
int kf_transfer_finish(u32 id, const u8 *msg, size_t len, struct key *keyring,
		       struct kf_finish_result *res,
		       struct netlink_ext_ack *extack);
void kf_finish_result_release(struct kf_finish_result *res);
unsigned int kf_transfer_pending(void);
void kf_transfer_flush(void);	/* kf_lock held */
void kf_gc_kick(void);

/* ---- netlink.c ---------------------------------------------------------- */
int kf_netlink_init(void);
void kf_netlink_exit(void);
/* Multicast events; kf_lock held.  INSTALLED (ks) or REFUSED (err). */
void kf_event(u8 type, const char *item, const struct kf_staged *ks, int err);
/* EXPIRED, or REVOKED with its reason, about one key. */
void kf_event_key(u8 type, u8 reason, const struct kf_key_info *ki);
/* The last REVOKED event of an entity revocation: how many keys ended. */
void kf_event_entity_revoked(unsigned int n_keys);

/* ---- selftest.c --------------------------------------------------------- */
#ifdef KEYFERRY_DEBUG
int kf_selftest(void);
#else
static inline int kf_selftest(void)
{
	return 0;
}
#endif

#endif /* _KEYFERRY_H */
