/* SPDX-License-Identifier: MIT */
/*
 * libkeyferry: the userspace implementation of the keyferry protocol
 * (docs/protocol.md), on OpenSSL.  It is the distributor's side of the
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

#define KF_KEY_SIZE		32	/* X25519 keys, Kw */
#define KF_KID_SIZE		8
#define KF_TAG_SIZE		16
#define KF_NONCE_SIZE		32	/* enrollment nonce */
#define KF_NAME_MAX		255
#define KF_DESCRIPTION_MAX	128
#define KF_TOKEN_MAX		256
#define KF_MAX_ITEMS		16
#define KF_MESSAGE_MAX		32768
#define KF_MSG1_MIN		112
#define KF_MSG2_MIN		64
#define KF_POLICY_MAX		1024
#define KF_ITEM_KEY_MAX		4096
#define KF_SEALED_HEADER	48
#define KF_SEALED_MIN		(KF_SEALED_HEADER + KF_TAG_SIZE)
#define KF_SEALED_MAX		(KF_SEALED_HEADER + KF_ITEM_KEY_MAX + KF_TAG_SIZE)
#define KF_STATUS_TEXT_MAX	255

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

/* ---- HPKE, RFC 9180 mode_base, DHKEM(X25519, HKDF-SHA256),
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

bool kf_name_valid(const char *s, size_t len, size_t max);

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

struct kf_policy {
	uint8_t key_type;
	char description[KF_DESCRIPTION_MAX + 1];
	uint16_t key_size;
	bool has_perm;
	uint32_t perm;
	uint32_t timeout;		/* 0 = none */
	uint64_t not_before;		/* 0 = none */
	uint64_t not_after;		/* 0 = none */
	char unwrap_key[KF_DESCRIPTION_MAX + 1];	/* "" = sealed to Kec */
};

int kf_policy_encode(const struct kf_policy *p, uint8_t *buf, size_t cap,
		     size_t *len);
int kf_policy_decode(struct kf_policy *p, const uint8_t *buf, size_t len);

/* ---- sealed items (section 4) --------------------------------------------- */

/* out holds KF_SEALED_HEADER + key_len + KF_TAG_SIZE bytes. */
int kf_seal_to_kec(uint8_t *out, size_t cap, size_t *out_len,
		   const uint8_t kec_pub[KF_KEY_SIZE],
		   const char *region, const char *item,
		   const uint8_t *policy, size_t policy_len,
		   const uint8_t *key, size_t key_len);
int kf_seal_to_unwrap_key(uint8_t *out, size_t cap, size_t *out_len,
			  const uint8_t kw[KF_KEY_SIZE],
			  const char *region, const char *item,
			  const uint8_t *policy, size_t policy_len,
			  const uint8_t *key, size_t key_len);
/* The recipient's side, for tests and tools; kw or kec_priv, the other NULL. */
int kf_unseal(uint8_t *key, size_t cap, size_t *key_len,
	      const uint8_t *kec_priv, const uint8_t *kw,
	      const char *region, const char *item,
	      const uint8_t *policy, size_t policy_len,
	      const uint8_t *sealed, size_t sealed_len);

/* ---- request and reply payloads (section 5) ------------------------------- */

enum kf_kind { KF_KIND_FETCH = 1, KF_KIND_ENROLL = 2 };

enum kf_status {
	KF_STATUS_OK = 0,
	KF_STATUS_UNKNOWN_ENTITY = 1,
	KF_STATUS_REVOKED = 2,
	KF_STATUS_NOT_VALID = 3,
	KF_STATUS_FORBIDDEN = 4,
	KF_STATUS_NO_ITEM = 5,
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
};

int kf_request_encode(const struct kf_request *r, uint8_t *buf, size_t cap,
		      size_t *len);
int kf_request_decode(struct kf_request *r, const uint8_t *buf, size_t len);

struct kf_reply_item {
	char name[KF_NAME_MAX + 1];
	uint64_t version;
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
 * eph_priv NULL means a fresh ephemeral; prologue NULL means "keyferry/1".
 */
int kf_noise_initiator_write1(struct kf_noise *st, uint8_t *msg, size_t cap,
			      size_t *len,
			      const uint8_t s_priv[KF_KEY_SIZE],
			      const uint8_t rs[KF_KEY_SIZE],
			      const uint8_t *eph_priv,
			      const uint8_t *payload, size_t payload_len);
int kf_noise_initiator_read2(struct kf_noise *st, uint8_t *payload, size_t cap,
			     size_t *payload_len,
			     const uint8_t *msg, size_t len);

/*
 * Responder (distributor side): read message 1 with the distributor's
 * static private key, learning the initiator's static public key (Kei-pub)
 * and the request payload, then write message 2.  -EKEYREJECTED when the
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
