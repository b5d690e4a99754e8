/* SPDX-License-Identifier: MIT */
/*
 * libkeyferry: the userspace implementation of the keyferry protocol
 * (docs/protocol.md, version 2), on OpenSSL.  It is the distributor's side of the
 * handshake (repository, providers), the owner's sealing, the message
 * encoding, and a Noise initiator for tests.  It shares no code with the
 * kernel's implementation on purpose: the two agree through test vectors
 * and through the QEMU tests that make them talk.
 *
 * Conventions: functions return 0 on success or a negative errno
 * (-EINVAL bad argument, -EMSGSIZE output buffer too small or input
 * truncated, -EPROTO malformed, -EBADMSG authentication failed, -ENOMEM,
 * -EIO an OpenSSL failure).  Every buffer holding a secret is wiped by the
 * function that filled it when it is no longer needed; callers wipe theirs
 * with kf_wipe().  Secrets are compared with kf_equal() (constant time).
 * Nothing here keeps global state; everything is safe to call from several
 * threads on different objects.
 */
#ifndef KEYFERRY_LIB_H
#define KEYFERRY_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KF_PROTOCOL_VERSION	2	/* message headers' version byte */
#define KF_KEY_SIZE		32	/* X25519 keys, Kw */
#define KF_KID_SIZE		8
#define KF_TAG_SIZE		16
#define KF_NONCE_SIZE		32	/* enrollment nonce */
#define KF_NAME_MAX		255
#define KF_OWNER_NAME_MAX	32
#define KF_TOKEN_MAX		256
#define KF_MAX_ITEMS		16
#define KF_MESSAGE_MAX		32768
#define KF_MSG1_MIN		112
#define KF_MSG2_MIN		64
#define KF_POLICY_MAX		1024
#define KF_ITEM_KEY_MAX		4096
#define KF_SEALED_HEADER	64
#define KF_SEALED_MIN		(KF_SEALED_HEADER + KF_TAG_SIZE)
#define KF_SEALED_MAX		(KF_SEALED_HEADER + KF_ITEM_KEY_MAX + KF_TAG_SIZE)
#define KF_STATUS_TEXT_MAX	255
#define KF_TIMESTAMP_SIZE	12	/* TAI64N */
#define KF_VERSION_MAX		((UINT64_C(1) << 63) - 1)	/* item versions */
#define KF_LEASE_MIN		60
#define KF_LEASE_MAX		(UINT32_C(1) << 31)

/* ---- primitives ------------------------------------------------------- */

void kf_wipe(void *p, size_t n);
bool kf_equal(const void *a, const void *b, size_t n);	/* constant time */
int kf_random(void *p, size_t n);
int kf_x25519_keygen(uint8_t priv[KF_KEY_SIZE], uint8_t pub[KF_KEY_SIZE]);
int kf_x25519_public(const uint8_t priv[KF_KEY_SIZE], uint8_t pub[KF_KEY_SIZE]);
/* -EBADMSG when the result is all zero (low-order peer point). */
int kf_x25519(uint8_t out[KF_KEY_SIZE], const uint8_t priv[KF_KEY_SIZE],
	      const uint8_t peer_pub[KF_KEY_SIZE]);
/* The same, when the caller knows priv's public half: saves a scalar multiplication. */
int kf_x25519_with_public(uint8_t out[KF_KEY_SIZE], const uint8_t priv[KF_KEY_SIZE],
			  const uint8_t *pub, const uint8_t peer_pub[KF_KEY_SIZE]);
/* kid(pub) = SHA-256(pub)[0..8] */
void kf_kid(const uint8_t pub[KF_KEY_SIZE], uint8_t kid[KF_KID_SIZE]);
int kf_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len);
/* out_len 1 to 255 * 32, info_len at most 32768 (OpenSSL's limit). */
int kf_hkdf_expand(uint8_t *out, size_t out_len, const uint8_t prk[32],
		   const uint8_t *info, size_t info_len);
/* ChaCha20-Poly1305, RFC 8439. ct holds pt_len + 16 bytes. */
int kf_aead_seal(uint8_t *ct, const uint8_t key[32], const uint8_t nonce[12],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *pt, size_t pt_len);
int kf_aead_open(uint8_t *pt, const uint8_t key[32], const uint8_t nonce[12],
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *ct, size_t ct_len);

/* Base64 (RFC 4648, with padding) for keys in files and on command lines. */
int kf_base64_encode(char *out, size_t cap, const uint8_t *in, size_t len);
int kf_base64_decode(uint8_t *out, size_t cap, size_t *len, const char *in);
int kf_key_from_base64(uint8_t key[KF_KEY_SIZE], const char *in);

/* SHA-256 of a || b (b may be NULL with b_len 0). */
int kf_sha256(uint8_t out[32], const void *a, size_t a_len, const void *b,
	      size_t b_len);

/* ---- HPKE, RFC 9180 mode_base and mode_auth, DHKEM(X25519, HKDF-SHA256),
 *      HKDF-SHA256, ChaCha20Poly1305; single shot at sequence 0 ---------- */

/* eph_priv: NULL for a fresh ephemeral; a fixed one for test vectors. */
int kf_hpke_seal(uint8_t enc[KF_KEY_SIZE], uint8_t *ct,
		 const uint8_t pkr[KF_KEY_SIZE], const uint8_t *eph_priv,
		 const uint8_t *info, size_t info_len,
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *pt, size_t pt_len);
int kf_hpke_open(uint8_t *pt, const uint8_t skr[KF_KEY_SIZE],
		 const uint8_t enc[KF_KEY_SIZE],
		 const uint8_t *info, size_t info_len,
		 const uint8_t *aad, size_t aad_len,
		 const uint8_t *ct, size_t ct_len);

/*
 * The pieces of the above, exposed for the RFC 9180 test vectors and for
 * tools: DeriveKeyPair (section 7.1.3), and SetupBaseS / SetupBaseR (5.1.1)
 * giving the context's key, base_nonce and exporter_secret.  Callers wipe
 * the context with kf_wipe().  The shared secret itself is never exposed.
 */
struct kf_hpke_context {
	uint8_t key[32];
	uint8_t base_nonce[12];
	uint8_t exporter_secret[32];
};

int kf_hpke_derive_keypair(uint8_t priv[KF_KEY_SIZE], uint8_t pub[KF_KEY_SIZE],
			   const uint8_t *ikm, size_t ikm_len);
int kf_hpke_setup_base_s(struct kf_hpke_context *ctx, uint8_t enc[KF_KEY_SIZE],
			 const uint8_t pkr[KF_KEY_SIZE], const uint8_t *eph_priv,
			 const uint8_t *info, size_t info_len);
int kf_hpke_setup_base_r(struct kf_hpke_context *ctx,
			 const uint8_t skr[KF_KEY_SIZE],
			 const uint8_t enc[KF_KEY_SIZE],
			 const uint8_t *info, size_t info_len);

/*
 * mode_auth (RFC 9180 5.1.3): the sender authenticates with its static
 * key skS (AuthEncap, 4.1), the recipient names the sender's public key
 * pkS it expects (AuthDecap).  A recipient given another pkS than the
 * sender's derives another key, so Open fails (-EBADMSG): that is the
 * authentication.  -EINVAL when pkR is of small order on the sender's
 * side; -EBADMSG when enc or pkS is on the recipient's.
 */
int kf_hpke_setup_auth_s(struct kf_hpke_context *ctx, uint8_t enc[KF_KEY_SIZE],
			 const uint8_t pkr[KF_KEY_SIZE], const uint8_t *eph_priv,
			 const uint8_t sks[KF_KEY_SIZE],
			 const uint8_t *info, size_t info_len);
int kf_hpke_setup_auth_r(struct kf_hpke_context *ctx,
			 const uint8_t skr[KF_KEY_SIZE],
			 const uint8_t enc[KF_KEY_SIZE],
			 const uint8_t pks[KF_KEY_SIZE],
			 const uint8_t *info, size_t info_len);
/* Setup, then one Seal / Open at sequence 0, in mode_auth. */
int kf_hpke_seal_auth(uint8_t enc[KF_KEY_SIZE], uint8_t *ct,
		      const uint8_t pkr[KF_KEY_SIZE], const uint8_t *eph_priv,
		      const uint8_t sks[KF_KEY_SIZE],
		      const uint8_t *info, size_t info_len,
		      const uint8_t *aad, size_t aad_len,
		      const uint8_t *pt, size_t pt_len);
int kf_hpke_open_auth(uint8_t *pt, const uint8_t skr[KF_KEY_SIZE],
		      const uint8_t enc[KF_KEY_SIZE],
		      const uint8_t pks[KF_KEY_SIZE],
		      const uint8_t *info, size_t info_len,
		      const uint8_t *aad, size_t aad_len,
		      const uint8_t *ct, size_t ct_len);

/* Big-endian integers of n bytes (n at most 8), as everything on the wire. */
uint64_t kf_get_be(const uint8_t *p, size_t n);
void kf_put_be(uint8_t *p, uint64_t v, size_t n);

/* ---- TLV (docs/protocol.md section 5) ---------------------------------- */

struct kf_tlv_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int error;		/* sticky: first failure */
};

void kf_tlv_init(struct kf_tlv_writer *w, uint8_t *buf, size_t cap);
void kf_tlv_put(struct kf_tlv_writer *w, uint16_t type, const void *v, size_t n);
void kf_tlv_put_u8(struct kf_tlv_writer *w, uint16_t type, uint8_t v);
void kf_tlv_put_u16(struct kf_tlv_writer *w, uint16_t type, uint16_t v);
void kf_tlv_put_u32(struct kf_tlv_writer *w, uint16_t type, uint32_t v);
void kf_tlv_put_u64(struct kf_tlv_writer *w, uint16_t type, uint64_t v);
void kf_tlv_put_str(struct kf_tlv_writer *w, uint16_t type, const char *s);
/* Returns the length written or the sticky negative errno. */
long kf_tlv_finish(const struct kf_tlv_writer *w);

/* A name (section 1): 1 to max bytes of [A-Za-z0-9._:@/-]. */
bool kf_name_valid(const char *s, size_t len, size_t max);
/* An owner name: 1 to 32 bytes of [A-Za-z0-9._-] (no ':', section 1). */
bool kf_owner_name_valid(const char *s, size_t len);

/*
 * The strict reader.  It enforces the container rules of section 5 that do
 * not depend on the record types: strictly ascending types, a type repeated
 * only when its bit is set in `repeatable' (bit t for type t, so repeats are
 * consecutive by construction), no type 0, no record overrunning the
 * container and no trailing bytes.  Which types exist, which are required
 * and their lengths are the caller's to check.  kf_tlv_next() returns 1 with
 * the next record, 0 at the exact end, -EPROTO when malformed (and keeps
 * returning it).
 */
struct kf_tlv_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;
	uint32_t last_type;	/* 0 before the first record */
	uint64_t repeatable;
	int error;
};

void kf_tlv_reader_init(struct kf_tlv_reader *r, const uint8_t *buf,
			size_t len, uint64_t repeatable);
int kf_tlv_next(struct kf_tlv_reader *r, uint16_t *type, const uint8_t **value,
		size_t *len);

/* ---- policy (section 6) -------------------------------------------------- */

enum kf_key_type {
	KF_KEY_LOGON = 1,
	KF_KEY_USER = 2,
	KF_KEY_FSCRYPT = 3,
	KF_KEY_UNWRAP = 4,
};

/*
 * The owner's rules for one item.  There is no description: the host
 * derives it from the owner's name and the item's (section 4.1).  Zero
 * means "none" for every optional field, and the encoder leaves those
 * records out, so that a policy has one encoding.
 */
struct kf_policy {
	uint8_t key_type;
	uint16_t key_size;
	bool has_perm;
	uint32_t perm;
	uint32_t timeout;		/* seconds; 0 = none */
	uint64_t not_before;		/* unix seconds; 0 = none */
	uint64_t not_after;		/* unix seconds; 0 = none */
	char unwrap_key[KF_NAME_MAX + 1];	/* item name; "" = sealed to Kec */
	uint32_t lease;			/* 60 to 2^31 seconds; 0 = none */
	uint32_t grace;			/* seconds, only with a lease */
};

/* -EINVAL for a policy a host would refuse. */
int kf_policy_encode(const struct kf_policy *p, uint8_t *buf, size_t cap,
		     size_t *len);
/* -EPROTO when malformed, -EOPNOTSUPP for a record or key type unknown. */
int kf_policy_decode(struct kf_policy *p, const uint8_t *buf, size_t len);

/* ---- sealed items, KFS2 (section 4) ---------------------------------------- */

enum kf_seal_alg { KF_SEAL_HPKE = 1, KF_SEAL_WRAP = 2 };

/*
 * What an item is bound to besides its version: info holds region and
 * item name, the aad is the policy bytes exactly as delivered.
 */
struct kf_binding {
	const char *region;
	const char *item;
	const uint8_t *policy;
	size_t policy_len;
};

/*
 * alg 1: HPKE mode_auth from the owner's Ko to Kec-pub.  eph_priv: NULL
 * for a fresh ephemeral, fixed only for test vectors.  version: 1 to
 * KF_VERSION_MAX, chosen by the owner.  out holds KF_SEALED_HEADER +
 * key_len + KF_TAG_SIZE bytes; key_len is 1 to KF_ITEM_KEY_MAX.
 */
int kf_seal_to_kec(uint8_t *out, size_t cap, size_t *out_len,
		   const uint8_t kec_pub[KF_KEY_SIZE],
		   const uint8_t ko_priv[KF_KEY_SIZE], const uint8_t *eph_priv,
		   const struct kf_binding *b, uint64_t version,
		   const uint8_t *key, size_t key_len);
/* alg 2: under the unwrapping key Kw; salt: NULL for a fresh one. */
int kf_seal_to_unwrap_key(uint8_t *out, size_t cap, size_t *out_len,
			  const uint8_t kw[KF_KEY_SIZE], const uint8_t *salt,
			  const struct kf_binding *b, uint64_t version,
			  const uint8_t *key, size_t key_len);

/*
 * The header alone, checked exactly, without opening anything: what the
 * repository reads (version, kids) from a blob it cannot open.  -EPROTO
 * when malformed (size, magic, alg, reserved bytes, a non-zero kid for
 * alg 2, version 0 or above KF_VERSION_MAX).
 */
struct kf_sealed_header {
	uint8_t alg;			/* enum kf_seal_alg */
	uint8_t recipient_kid[KF_KID_SIZE];	/* alg 2: zero */
	uint8_t owner_kid[KF_KID_SIZE];		/* alg 2: zero */
	uint64_t version;
	size_t key_len;			/* of the sealed key */
};
int kf_sealed_header_decode(struct kf_sealed_header *h, const uint8_t *sealed,
			    size_t len);

/*
 * The recipient's side, for tests and tools.  alg 1: kec_priv and ko_pub
 * (the pinned owner key), kw NULL; alg 2: kw, the others NULL.  In the
 * host's order (section 3.4): -EPROTO malformed header, -ENOKEY sealed to
 * another Kec or for the other kind of key, -EKEYREJECTED by another owner
 * than ko_pub's, -EBADMSG does not open.  *version (may be NULL) gets the
 * header's version, which the key schedule has authenticated.
 */
int kf_unseal(uint8_t *key, size_t cap, size_t *key_len, uint64_t *version,
	      const uint8_t *kec_priv, const uint8_t *ko_pub,
	      const uint8_t *kw, const struct kf_binding *b,
	      const uint8_t *sealed, size_t sealed_len);

/* ---- Kec fingerprint (section 2.1) ----------------------------------------- */

/*
 * SHA-256("keyferry/2 kec" || Kec-pub) in lowercase hex, 16 groups of 4
 * digits joined by '-': what `keyferry status` shows on the host and
 * keyferry-seal --expect-kec compares.
 */
#define KF_FINGERPRINT_LEN	79
void kf_kec_fingerprint(char out[KF_FINGERPRINT_LEN + 1],
			const uint8_t kec_pub[KF_KEY_SIZE]);
/*
 * Parse a fingerprint as an operator may type it: hex digits in either
 * case, '-' or ':' between them ignored; exactly 32 bytes.  -EINVAL else.
 */
int kf_fingerprint_parse(uint8_t out[32], const char *text);
/* Whether kec_pub has the fingerprint given as text; false if malformed. */
bool kf_kec_fingerprint_matches(const uint8_t kec_pub[KF_KEY_SIZE],
				const char *text);
/*
 * The Kei fingerprint: SHA-256("keyferry/2 kei" || Kei-pub), the same
 * format; it names an identity (keyferry replace --confirm-kei).
 */
void kf_kei_fingerprint(char out[KF_FINGERPRINT_LEN + 1],
			const uint8_t kei_pub[KF_KEY_SIZE]);
bool kf_kei_fingerprint_matches(const uint8_t kei_pub[KF_KEY_SIZE],
				const char *text);

/* ---- TAI64N timestamps (section 5.1) ---------------------------------------- */

/*
 * u64(2^62 + 10 + unix seconds) || u32(nanoseconds): big-endian, so that
 * comparing the 12 bytes with memcmp() orders them in time.
 */
void kf_tai64n_from_unix(uint8_t ts[KF_TIMESTAMP_SIZE], int64_t sec,
			 uint32_t nsec);
int kf_tai64n_to_unix(const uint8_t ts[KF_TIMESTAMP_SIZE], int64_t *sec,
		      uint32_t *nsec);
/* Well formed: nanoseconds below 10^9, label below 2^63. */
bool kf_tai64n_valid(const uint8_t ts[KF_TIMESTAMP_SIZE]);
/* <0, 0, >0 as a is before, equal to, after b. */
int kf_tai64n_compare(const uint8_t a[KF_TIMESTAMP_SIZE],
		      const uint8_t b[KF_TIMESTAMP_SIZE]);
/* The wall clock now (CLOCK_REALTIME). */
void kf_tai64n_now(uint8_t ts[KF_TIMESTAMP_SIZE]);
/*
 * The next timestamp of a sender: now, or last plus one nanosecond when
 * the clock has not moved past last; last is updated.  A zero last (12
 * zero bytes) is "none yet".
 */
void kf_tai64n_next(uint8_t ts[KF_TIMESTAMP_SIZE],
		    uint8_t last[KF_TIMESTAMP_SIZE]);

/* ---- request and reply payloads (section 5) ------------------------------- */

enum kf_kind { KF_KIND_FETCH = 1, KF_KIND_ENROLL = 2 };

enum kf_status {
	KF_STATUS_OK = 0,
	KF_STATUS_UNKNOWN_ENTITY = 1,
	KF_STATUS_REVOKED = 2,
	KF_STATUS_NOT_VALID = 3,
	KF_STATUS_NOT_AVAILABLE = 4,	/* no such item, or forbidden */
	/* 5, "no such item" in version 1, is never sent (section 5.3) */
	KF_STATUS_RATE_LIMITED = 6,
	KF_STATUS_BAD_TOKEN = 7,
	KF_STATUS_BAD_REQUEST = 8,
	KF_STATUS_INTERNAL = 9,
};
const char *kf_status_name(uint32_t status);
/*
 * The host's errno for a status (section 5.3): 0, a negative errno, or
 * -EPROTO for an unknown status.
 */
int kf_status_errno(uint32_t status);

struct kf_request {
	uint8_t kind;
	unsigned int n_items;
	char items[KF_MAX_ITEMS][KF_NAME_MAX + 1];
	char region[KF_NAME_MAX + 1];
	char entity[KF_NAME_MAX + 1];
	uint8_t token[KF_TOKEN_MAX];
	size_t token_len;
	uint8_t nonce[KF_NONCE_SIZE];
	uint8_t kec_pub[KF_KEY_SIZE];
	uint8_t timestamp[KF_TIMESTAMP_SIZE];	/* both kinds */
};

int kf_request_encode(const struct kf_request *r, uint8_t *buf, size_t cap,
		      size_t *len);
int kf_request_decode(struct kf_request *r, const uint8_t *buf, size_t len);

struct kf_reply_item {
	char name[KF_NAME_MAX + 1];
	/* no version: it is in the sealed header (kf_sealed_header_decode) */
	uint8_t policy[KF_POLICY_MAX];
	size_t policy_len;
	uint8_t sealed[KF_SEALED_MAX];
	size_t sealed_len;
};

struct kf_reply {
	uint32_t status;
	char message[KF_STATUS_TEXT_MAX + 1];	/* "" = none */
	unsigned int n_items;
	struct kf_reply_item items[KF_MAX_ITEMS];
	char entity[KF_NAME_MAX + 1];		/* "" = none (enroll replies) */
};

int kf_reply_encode(const struct kf_reply *r, uint8_t *buf, size_t cap,
		    size_t *len);
int kf_reply_decode(struct kf_reply *r, const uint8_t *buf, size_t len);

/* ---- Noise IK handshake (section 3) ---------------------------------------- */

struct kf_noise {
	uint8_t h[32];
	uint8_t ck[32];
	uint8_t k[32];
	bool has_k;
	uint64_t n;
	uint8_t e_priv[KF_KEY_SIZE];
	uint8_t e_pub[KF_KEY_SIZE];
	uint8_t s_priv[KF_KEY_SIZE];
	uint8_t s_pub[KF_KEY_SIZE];
	uint8_t rs[KF_KEY_SIZE];	/* remote static */
	uint8_t re[KF_KEY_SIZE];	/* remote ephemeral */
	uint32_t index;			/* sender index of message 1 */
	uint8_t kid[KF_KID_SIZE];	/* kid of the distributor key */
};

void kf_noise_wipe(struct kf_noise *n);

/*
 * Initiator (host side, for tests): write message 1 addressed to rs.
 * eph_priv NULL means a fresh ephemeral.  The prologue is "keyferry/2".
 */
int kf_noise_initiator_write1(struct kf_noise *st, uint8_t *msg, size_t cap,
			      size_t *len,
			      const uint8_t s_priv[KF_KEY_SIZE],
			      const uint8_t rs[KF_KEY_SIZE],
			      const uint8_t *eph_priv,
			      const uint8_t *payload, size_t payload_len);
/* The host's checks of section 3.4 on the message; -EREMCHG from another Kd. */
int kf_noise_initiator_read2(struct kf_noise *st, uint8_t *payload, size_t cap,
			     size_t *payload_len,
			     const uint8_t *msg, size_t len);

/*
 * Responder (distributor side): read message 1 with the distributor's
 * static private key, learning the initiator's static public key (Kei-pub)
 * and the request payload, then write message 2.  -EREMCHG when the
 * message's kid is not kid(s_priv's public key).
 */
int kf_noise_responder_read1(struct kf_noise *st, uint8_t *payload, size_t cap,
			     size_t *payload_len,
			     uint8_t initiator_static[KF_KEY_SIZE],
			     const uint8_t s_priv[KF_KEY_SIZE],
			     const uint8_t *msg, size_t len);
/* The same with the static key's public half given (no recomputation). */
int kf_noise_responder_read1_keypair(struct kf_noise *st, uint8_t *payload,
				     size_t cap, size_t *payload_len,
				     uint8_t initiator_static[KF_KEY_SIZE],
				     const uint8_t s_priv[KF_KEY_SIZE],
				     const uint8_t s_pub[KF_KEY_SIZE],
				     const uint8_t *msg, size_t len);
int kf_noise_responder_write2(struct kf_noise *st, uint8_t *msg, size_t cap,
			      size_t *len, const uint8_t *eph_priv,
			      const uint8_t *payload, size_t payload_len);

/*
 * The provider's channel to the repository (docs/protocol.md section 11):
 * the same two messages, with types 3 and 4 and the prologue "keyferry/2
 * provider", so that a message of one channel is never accepted on the
 * other.  The provider is the initiator, with the distributor key its
 * hosts pin as its static key; the repository is the responder, and
 * learns which provider it serves from the initiator's static key.
 */
int kf_noise_sync_write1(struct kf_noise *st, uint8_t *msg, size_t cap,
			 size_t *len, const uint8_t s_priv[KF_KEY_SIZE],
			 const uint8_t rs[KF_KEY_SIZE],
			 const uint8_t *payload, size_t payload_len);
int kf_noise_sync_read2(struct kf_noise *st, uint8_t *payload, size_t cap,
			size_t *payload_len, const uint8_t *msg, size_t len);
int kf_noise_sync_read1(struct kf_noise *st, uint8_t *payload, size_t cap,
			size_t *payload_len,
			uint8_t initiator_static[KF_KEY_SIZE],
			const uint8_t s_priv[KF_KEY_SIZE],
			const uint8_t s_pub[KF_KEY_SIZE],
			const uint8_t *msg, size_t len);
int kf_noise_sync_write2(struct kf_noise *st, uint8_t *msg, size_t cap,
			 size_t *len, const uint8_t *payload,
			 size_t payload_len);

/*
 * Lower level, for the Noise test vectors, which use their own prologue
 * and carry no keyferry header: run the raw handshake tokens only.
 */
int kf_noise_raw_write1(struct kf_noise *st, uint8_t *out, size_t cap,
			size_t *len, const uint8_t *prologue, size_t prologue_len,
			const uint8_t s_priv[KF_KEY_SIZE],
			const uint8_t rs[KF_KEY_SIZE], const uint8_t *eph_priv,
			const uint8_t *payload, size_t payload_len);
int kf_noise_raw_read1(struct kf_noise *st, uint8_t *payload, size_t cap,
		       size_t *payload_len, const uint8_t *prologue,
		       size_t prologue_len, const uint8_t s_priv[KF_KEY_SIZE],
		       const uint8_t *in, size_t len);
int kf_noise_raw_write2(struct kf_noise *st, uint8_t *out, size_t cap,
			size_t *len, const uint8_t *eph_priv,
			const uint8_t *payload, size_t payload_len);
int kf_noise_raw_read2(struct kf_noise *st, uint8_t *payload, size_t cap,
		       size_t *payload_len, const uint8_t *in, size_t len);

#endif /* KEYFERRY_LIB_H */
