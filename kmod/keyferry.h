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
 *   hpke.c      RFC 9180 base mode (open; seal for the self-test)
 *   tlv.c       the strict TLV parser of docs/protocol.md section 5
 *   message.c   handshake message headers, request and reply payloads,
 *               sealed item headers (sections 3, 4, 5)
 *   policy.c    the owner's policy (section 6)
 *   keyring.c   the module keyring, installs, unwrapping keys, tracking
 *   transfer.c  pending transfers and TRANSFER_BEGIN/FINISH
 *   entity.c    the host's entity keys and state
 *   netlink.c   the generic netlink family
 *   selftest.c  known-answer tests at load (debug build only)
 *
 * Locking: one mutex, kf_lock (entity.c), protects all the module's state:
 * the entity, pending transfers, unwrapping keys and the tracked installed
 * keys.  Functions documented "kf_lock held" assert it with lockdep.  It is
 * a mutex because crypto and keyring calls sleep; nothing takes it in
 * atomic context.  Generic netlink serialises our handlers too (the family
 * is not parallel_ops), but the garbage collector (a delayed work) and
 * module unload run outside genl_mutex, hence the lock.
 */
#ifndef _KEYFERRY_H
#define _KEYFERRY_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/key.h>
#include "../uapi/linux/keyferry.h"

#define KF_LOG_PREFIX "keyferry: "

#define KF_KID_SIZE		8
#define KF_HASH_SIZE		32
#define KF_TAG_SIZE		16
#define KF_AEAD_NONCE_SIZE	12
#define KF_MSG1_HEADER		16
#define KF_MSG1_MIN		112
#define KF_MSG2_MIN		64
#define KF_POLICY_MAX		1024
#define KF_ITEM_KEY_MAX		4096
#define KF_SEALED_HEADER	48
#define KF_SEALED_MIN		(KF_SEALED_HEADER + KF_TAG_SIZE)
#define KF_SEALED_MAX		(KF_SEALED_HEADER + KF_ITEM_KEY_MAX + KF_TAG_SIZE)
#define KF_STATUS_TEXT_MAX	255
#define KF_MAX_UNWRAP_KEYS	64
#define KF_MAX_TRACKED_KEYS	1024
#define KF_PROLOGUE		"keyferry/1"

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
int kf_hpke_open(struct kf_crypto *c, u8 *pt, struct crypto_kpp *skr,
		 const u8 pkr[KEYFERRY_KEY_SIZE], const u8 enc[KEYFERRY_KEY_SIZE],
		 const struct kf_buf *info, unsigned int n_info,
		 const u8 *aad, size_t aad_len, const u8 *ct, size_t ct_len);
int kf_hpke_seal(struct kf_crypto *c, u8 enc[KEYFERRY_KEY_SIZE], u8 *ct,
		 const u8 pkr[KEYFERRY_KEY_SIZE], const u8 *eph_priv,
		 const struct kf_buf *info, unsigned int n_info,
		 const u8 *aad, size_t aad_len, const u8 *pt, size_t pt_len);

/* ---- tlv.c -------------------------------------------------------------- */
#define KF_TLV_REQUIRED	0x01
#define KF_TLV_MULTI	0x02	/* repeatable, consecutive */
#define KF_TLV_NAME	0x04	/* value is a name (1..255, charset) */
#define KF_TLV_DESC	0x08	/* value is a description (1..128) */

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
bool kf_name_valid(const u8 *s, size_t len, size_t max);
/* Append a record; returns the new length or -EMSGSIZE. */
int kf_tlv_put(u8 *buf, size_t cap, size_t *pos, u16 type, const void *v,
	       size_t n);

/* ---- message.c ---------------------------------------------------------- */
struct kf_reply_item {
	const u8 *name;
	u16 name_len;
	u64 version;
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

struct kf_sealed {
	u8 alg;
	const u8 *kid;
	const u8 *enc;		/* HPKE enc or alg 2 salt, 32 bytes */
	const u8 *ct;
	size_t ct_len;
};

#define KF_SEAL_HPKE	1
#define KF_SEAL_WRAP	2

int kf_reply_parse(const u8 *buf, size_t len, struct kf_reply *r);
int kf_status_errno(u32 status);
int kf_sealed_parse(const u8 *buf, size_t len, struct kf_sealed *s);

/* ---- policy.c ----------------------------------------------------------- */
struct kf_policy {
	u8 key_type;
	char description[KEYFERRY_DESCRIPTION_MAX + 1];
	u16 key_size;
	bool has_perm;
	u32 perm;
	u32 timeout;
	u64 not_before;
	u64 not_after;
	char unwrap_key[KEYFERRY_DESCRIPTION_MAX + 1];	/* "" = none */
};

int kf_policy_parse(const u8 *buf, size_t len, struct kf_policy *p);
int kf_policy_check(const struct kf_policy *p, size_t key_len, time64_t now);
key_perm_t kf_policy_perm(const struct kf_policy *p);

/* ---- keyring.c ---------------------------------------------------------- */
/* One opened item, verified, waiting to be installed. */
struct kf_staged {
	struct kf_policy pol;
	u8 *key;		/* kf_zalloc'd, wiped by kf_staged_release */
	size_t key_len;
	char item[KEYFERRY_NAME_MAX + 1];
	u64 version;
	/* filled by kf_keys_install */
	key_serial_t serial;
	time64_t expiry;
	struct key *k;		/* the installed key, referenced */
	void *spare;		/* preallocated store entry (unwrap/tracking) */
};

int kf_keyring_init(void);
void kf_keyring_exit(void);
key_serial_t kf_keyring_serial(void);
struct key *kf_keyring_get(void);	/* the module keyring, referenced */
int kf_keys_install(struct key *keyring, struct kf_staged *st,
		    unsigned int n);
void kf_staged_release(struct kf_staged *st);
/* A held unwrapping key (or one staged in the same reply), kf_lock held. */
const u8 *kf_unwrap_find(const char *desc, const struct kf_staged *st,
			 unsigned int n_staged);
unsigned int kf_unwrap_count(void);
unsigned int kf_tracked_count(void);
void kf_unwrap_flush(void);
time64_t kf_keyring_gc(time64_t now);	/* next deadline, 0 = none */

struct kf_key_info {
	key_serial_t serial;
	u8 type;
	char description[KEYFERRY_DESCRIPTION_MAX + 10];
	char item[KEYFERRY_NAME_MAX + 1];
	u64 version;
	time64_t expiry;
};

/* KEY_LIST: entry idx (tracked keys, then unwrap keys); -ENOENT past end. */
int kf_key_info_get(unsigned long idx, struct kf_key_info *ki);

/* ---- entity.c ---------------------------------------------------------- */
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
};

extern struct kf_entity kf_entity;	/* kf_lock */

struct kf_entity_status {
	u8 state;			/* enum keyferry_entity_state */
	u32 pending_transfers;
	u32 installed_keys;
	key_serial_t keyring;
	char region[KEYFERRY_NAME_MAX + 1];
	char name[KEYFERRY_NAME_MAX + 1];
	u8 kei_pub[KEYFERRY_KEY_SIZE];
	u8 kec_pub[KEYFERRY_KEY_SIZE];
	unsigned int n_dkeys;
	u8 dkeys[KEYFERRY_MAX_DISTRIBUTOR_KEYS][KEYFERRY_KEY_SIZE];
};

struct kf_entity_params {
	const char *region;
	const char *name;
	unsigned int n_dkeys;
	const u8 *dkeys[KEYFERRY_MAX_DISTRIBUTOR_KEYS];
	bool replace;
};

int kf_entity_init(void);
void kf_entity_exit(void);
void kf_entity_get_status(struct kf_entity_status *st);
int kf_entity_create(const struct kf_entity_params *p,
		     u8 kei_pub[KEYFERRY_KEY_SIZE],
		     u8 kec_pub[KEYFERRY_KEY_SIZE]);

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

struct netlink_ext_ack;
int kf_transfer_init(void);
void kf_transfer_exit(void);
int kf_transfer_begin(const struct kf_begin_params *p, u32 *id, u8 **msg,
		      size_t *msg_len, struct netlink_ext_ack *extack);
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
/* Multicast an event; ks may be NULL (then err is reported). */
void kf_event(u8 type, const char *item, const struct kf_staged *ks, int err);
void kf_event_expired(const char *item, const char *desc, u8 key_type);

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
