// SPDX-License-Identifier: MIT
/*
 * The outer layer (docs/protocol.md section 3): the two handshake messages
 * of Noise_IK_25519_ChaChaPoly_SHA256, revision 34, and nothing after them
 * (Split() is never called).  The raw functions run the Noise tokens only,
 * for the published test vectors; the kf_noise_initiator_* and
 * kf_noise_responder_* functions add keyferry's routing header and
 * prologue.
 *
 *   IK:  <- s
 *        ...
 *        -> e, es, s, ss
 *        <- e, ee, se
 *
 * On failure every function wipes the whole state (only a NULL argument
 * leaves it alone): a transfer is never retried.  After the last message
 * (read2 / write2) the secrets are wiped and only h (the handshake hash) and
 * the public keys stay, for the caller to look at; kf_noise_wipe() clears
 * the rest.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "keyferry.h"

#define PROTOCOL_NAME	"Noise_IK_25519_ChaChaPoly_SHA256"
#define HASHLEN		32
#define MSG_VERSION	KF_PROTOCOL_VERSION
#define HDR_LEN		16	/* type, version, reserved, index, kid */
/* Noise bodies: e || enc(s) || enc(payload), and e || enc(payload) */
#define RAW1_MIN	(KF_KEY_SIZE + KF_KEY_SIZE + KF_TAG_SIZE + KF_TAG_SIZE)
#define RAW2_MIN	(KF_KEY_SIZE + KF_TAG_SIZE)

/* The name is exactly HASHLEN bytes, so h is the name itself (section 5.2). */
_Static_assert(sizeof(PROTOCOL_NAME) - 1 == HASHLEN, "protocol name length");

void kf_noise_wipe(struct kf_noise *n)
{
	kf_wipe(n, sizeof(*n));
}

/* After the last message: keep h and the public keys, nothing secret. */
static void forget_secrets(struct kf_noise *st)
{
	kf_wipe(st->ck, sizeof(st->ck));
	kf_wipe(st->k, sizeof(st->k));
	kf_wipe(st->e_priv, sizeof(st->e_priv));
	kf_wipe(st->s_priv, sizeof(st->s_priv));
	st->has_k = false;
	st->n = 0;
}

/* ---- SymmetricState (Noise section 5.2) -------------------------------- */

static int mix_hash(struct kf_noise *st, const uint8_t *data, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int outl = 0;
	int ret = -EIO;

	if (!md)
		return -ENOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, st->h, HASHLEN) == 1 &&
	    (!len || EVP_DigestUpdate(md, data, len) == 1) &&
	    EVP_DigestFinal_ex(md, st->h, &outl) == 1 && outl == HASHLEN)
		ret = 0;
	EVP_MD_CTX_free(md);
	return ret;
}

/*
 * MixKey(ikm): ck, k = HKDF(ck, ikm, 2).  Noise's HKDF with an empty info
 * is RFC 5869's: output1 || output2 = Expand(Extract(ck, ikm), "", 64).
 */
static int mix_key(struct kf_noise *st, const uint8_t ikm[KF_KEY_SIZE])
{
	uint8_t prk[HASHLEN], out[2 * HASHLEN];
	int ret;

	ret = kf_hkdf_extract(prk, st->ck, HASHLEN, ikm, KF_KEY_SIZE);
	if (!ret)
		ret = kf_hkdf_expand(out, sizeof(out), prk, NULL, 0);
	if (!ret) {
		memcpy(st->ck, out, HASHLEN);
		memcpy(st->k, out + HASHLEN, HASHLEN);
		st->has_k = true;
		st->n = 0;
	}
	kf_wipe(prk, sizeof(prk));
	kf_wipe(out, sizeof(out));
	return ret;
}

/* MixKey(DH(priv, pub)); -EBADMSG for a low-order pub */
/* MixKey(DH(ours, theirs)); our public half is known, so pass it on. */
static int mix_dh(struct kf_noise *st, const uint8_t priv[KF_KEY_SIZE],
		  const uint8_t our_pub[KF_KEY_SIZE], const uint8_t pub[KF_KEY_SIZE])
{
	uint8_t dh[KF_KEY_SIZE];
	int ret;

	ret = kf_x25519_with_public(dh, priv, our_pub, pub);
	if (!ret)
		ret = mix_key(st, dh);
	kf_wipe(dh, sizeof(dh));
	return ret;
}

/* ChaChaPoly nonce: 32 bits of zeros, then n as 64-bit little-endian */
static void noise_nonce(uint8_t nonce[12], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++, n >>= 8)
		nonce[4 + i] = n & 0xff;
}

/* EncryptAndHash: a key is always set where IK encrypts. */
static int encrypt_and_hash(struct kf_noise *st, uint8_t *out,
			    const uint8_t *pt, size_t len)
{
	uint8_t nonce[12];
	int ret;

	if (!st->has_k || st->n == UINT64_MAX)
		return -EINVAL;
	noise_nonce(nonce, st->n);
	ret = kf_aead_seal(out, st->k, nonce, st->h, HASHLEN, pt, len);
	if (ret)
		return ret;
	st->n++;
	return mix_hash(st, out, len + KF_TAG_SIZE);
}

static int decrypt_and_hash(struct kf_noise *st, uint8_t *out,
			    const uint8_t *ct, size_t len)
{
	uint8_t nonce[12];
	int ret;

	if (!st->has_k || st->n == UINT64_MAX)
		return -EINVAL;
	noise_nonce(nonce, st->n);
	ret = kf_aead_open(out, st->k, nonce, st->h, HASHLEN, ct, len);
	if (ret)
		return ret;
	st->n++;
	return mix_hash(st, ct, len);
}

/*
 * Initialize(IK, prologue, rs): h = ck = protocol name, MixHash(prologue),
 * then the pre-message "<- s": MixHash(responder's static public key).
 */
static int handshake_init(struct kf_noise *st, const uint8_t *prologue,
			  size_t prologue_len, const uint8_t rs[KF_KEY_SIZE])
{
	int ret;

	memset(st, 0, sizeof(*st));
	memcpy(st->h, PROTOCOL_NAME, HASHLEN);
	memcpy(st->ck, PROTOCOL_NAME, HASHLEN);
	ret = mix_hash(st, prologue, prologue_len);
	if (!ret)
		ret = mix_hash(st, rs, KF_KEY_SIZE);
	return ret;
}

/* Our ephemeral: the one given (test vectors) or a fresh one. */
static int set_ephemeral(struct kf_noise *st, const uint8_t *eph_priv)
{
	if (!eph_priv)
		return kf_x25519_keygen(st->e_priv, st->e_pub);
	memcpy(st->e_priv, eph_priv, KF_KEY_SIZE);
	return kf_x25519_public(st->e_priv, st->e_pub);
}

/* ---- raw handshake messages ---------------------------------------------- */

static bool bufs_ok(const void *p, size_t len)
{
	return p || !len;
}

/* -> e, es, s, ss, payload */
int kf_noise_raw_write1(struct kf_noise *st, uint8_t *out, size_t cap,
			size_t *len, const uint8_t *prologue, size_t prologue_len,
			const uint8_t s_priv[KF_KEY_SIZE],
			const uint8_t rs[KF_KEY_SIZE], const uint8_t *eph_priv,
			const uint8_t *payload, size_t payload_len)
{
	uint8_t *p = out;
	int ret;

	if (!st || !out || !len || !s_priv || !rs ||
	    !bufs_ok(prologue, prologue_len) || !bufs_ok(payload, payload_len))
		return -EINVAL;
	if (payload_len > KF_MESSAGE_MAX || cap < RAW1_MIN + payload_len) {
		kf_noise_wipe(st);
		return -EMSGSIZE;
	}
	ret = handshake_init(st, prologue, prologue_len, rs);
	if (ret)
		goto fail;
	memcpy(st->rs, rs, KF_KEY_SIZE);
	memcpy(st->s_priv, s_priv, KF_KEY_SIZE);
	ret = kf_x25519_public(s_priv, st->s_pub);
	if (!ret)
		ret = set_ephemeral(st, eph_priv);
	if (ret)
		goto fail;
	memcpy(p, st->e_pub, KF_KEY_SIZE);				/* e */
	ret = mix_hash(st, st->e_pub, KF_KEY_SIZE);
	if (!ret)
		ret = mix_dh(st, st->e_priv, st->e_pub, st->rs);			/* es */
	p += KF_KEY_SIZE;
	if (!ret)
		ret = encrypt_and_hash(st, p, st->s_pub, KF_KEY_SIZE);	/* s */
	p += KF_KEY_SIZE + KF_TAG_SIZE;
	if (!ret)
		ret = mix_dh(st, st->s_priv, st->s_pub, st->rs);			/* ss */
	if (!ret)
		ret = encrypt_and_hash(st, p, payload, payload_len);
	if (ret)
		goto fail;
	*len = RAW1_MIN + payload_len;
	return 0;
fail:
	kf_noise_wipe(st);
	kf_wipe(out, cap < RAW1_MIN + payload_len ? cap : RAW1_MIN + payload_len);
	return ret;
}

static int raw_read1(struct kf_noise *st, uint8_t *payload, size_t cap,
		     size_t *payload_len, const uint8_t *prologue,
		     size_t prologue_len, const uint8_t s_priv[KF_KEY_SIZE],
		     const uint8_t *s_pub, const uint8_t *in, size_t len);

int kf_noise_raw_read1(struct kf_noise *st, uint8_t *payload, size_t cap,
		       size_t *payload_len, const uint8_t *prologue,
		       size_t prologue_len, const uint8_t s_priv[KF_KEY_SIZE],
		       const uint8_t *in, size_t len)
{
	return raw_read1(st, payload, cap, payload_len, prologue, prologue_len,
			 s_priv, NULL, in, len);
}

/* s_pub NULL: computed from s_priv. */
static int raw_read1(struct kf_noise *st, uint8_t *payload, size_t cap,
		     size_t *payload_len, const uint8_t *prologue,
		     size_t prologue_len, const uint8_t s_priv[KF_KEY_SIZE],
		     const uint8_t *s_pub, const uint8_t *in, size_t len)
{
	const uint8_t *p = in;
	uint8_t pub[KF_KEY_SIZE];
	size_t n;
	int ret;

	if (!st || !payload_len || !s_priv || !in ||
	    !bufs_ok(prologue, prologue_len))
		return -EINVAL;
	ret = -EMSGSIZE;
	if (len < RAW1_MIN)
		goto fail;
	n = len - RAW1_MIN;
	if ((!payload && n) || cap < n)
		goto fail;
	if (s_pub) {
		memcpy(pub, s_pub, KF_KEY_SIZE);
		ret = 0;
	} else {
		ret = kf_x25519_public(s_priv, pub);
	}
	if (!ret)	/* the pre-message "<- s" is our own static key */
		ret = handshake_init(st, prologue, prologue_len, pub);
	if (ret)
		goto fail;
	memcpy(st->s_priv, s_priv, KF_KEY_SIZE);
	memcpy(st->s_pub, pub, KF_KEY_SIZE);
	memcpy(st->re, p, KF_KEY_SIZE);					/* e */
	ret = mix_hash(st, st->re, KF_KEY_SIZE);
	if (!ret)
		ret = mix_dh(st, st->s_priv, st->s_pub, st->re);			/* es */
	p += KF_KEY_SIZE;
	if (!ret)
		ret = decrypt_and_hash(st, st->rs, p,
				       KF_KEY_SIZE + KF_TAG_SIZE);	/* s */
	p += KF_KEY_SIZE + KF_TAG_SIZE;
	if (!ret)
		ret = mix_dh(st, st->s_priv, st->s_pub, st->rs);			/* ss */
	if (!ret)
		ret = decrypt_and_hash(st, payload, p, n + KF_TAG_SIZE);
	if (ret)
		goto fail;
	/* The responder's static key has done its part (es, ss). */
	kf_wipe(st->s_priv, sizeof(st->s_priv));
	*payload_len = n;
	return 0;
fail:
	kf_noise_wipe(st);
	/* what went wrong in the message itself is one error, as specified */
	if (ret == -EIO || ret == -ENOMEM || ret == -EMSGSIZE)
		return ret;
	return -EBADMSG;
}

/* <- e, ee, se, payload (responder) */
int kf_noise_raw_write2(struct kf_noise *st, uint8_t *out, size_t cap,
			size_t *len, const uint8_t *eph_priv,
			const uint8_t *payload, size_t payload_len)
{
	int ret;

	if (!st || !out || !len || !bufs_ok(payload, payload_len))
		return -EINVAL;
	ret = -EINVAL;
	if (!st->has_k)		/* message 1 was not read into this state */
		goto fail;
	ret = -EMSGSIZE;
	if (payload_len > KF_MESSAGE_MAX || cap < RAW2_MIN + payload_len)
		goto fail;
	ret = set_ephemeral(st, eph_priv);
	if (ret)
		goto fail;
	memcpy(out, st->e_pub, KF_KEY_SIZE);				/* e */
	ret = mix_hash(st, st->e_pub, KF_KEY_SIZE);
	if (!ret)
		ret = mix_dh(st, st->e_priv, st->e_pub, st->re);			/* ee */
	if (!ret)
		ret = mix_dh(st, st->e_priv, st->e_pub, st->rs);			/* se */
	if (!ret)
		ret = encrypt_and_hash(st, out + KF_KEY_SIZE, payload,
				       payload_len);
	if (ret)
		goto fail;
	forget_secrets(st);
	*len = RAW2_MIN + payload_len;
	return 0;
fail:
	kf_noise_wipe(st);
	kf_wipe(out, cap < RAW2_MIN + payload_len ? cap : RAW2_MIN + payload_len);
	return ret;
}

/* <- e, ee, se, payload (initiator) */
int kf_noise_raw_read2(struct kf_noise *st, uint8_t *payload, size_t cap,
		       size_t *payload_len, const uint8_t *in, size_t len)
{
	size_t n;
	int ret;

	if (!st || !payload_len || !in)
		return -EINVAL;
	ret = -EINVAL;
	if (!st->has_k)		/* message 1 was not written with this state */
		goto fail;
	ret = -EMSGSIZE;
	if (len < RAW2_MIN)
		goto fail;
	n = len - RAW2_MIN;
	if ((!payload && n) || cap < n)
		goto fail;
	memcpy(st->re, in, KF_KEY_SIZE);				/* e */
	ret = mix_hash(st, st->re, KF_KEY_SIZE);
	if (!ret)
		ret = mix_dh(st, st->e_priv, st->e_pub, st->re);			/* ee */
	if (!ret)
		ret = mix_dh(st, st->s_priv, st->s_pub, st->re);			/* se */
	if (!ret)
		ret = decrypt_and_hash(st, payload, in + KF_KEY_SIZE,
				       n + KF_TAG_SIZE);
	if (ret) {
		if (ret != -EIO && ret != -ENOMEM)
			ret = -EBADMSG;
		goto fail;
	}
	forget_secrets(st);
	*payload_len = n;
	return 0;
fail:
	/* The transfer is over whatever happened: nothing to retry with. */
	kf_noise_wipe(st);
	return ret;
}

/* ---- keyferry messages (sections 3.1 and 3.2) ------------------------------ */

/*
 * A channel: the message types and the prologue.  The host's transfers
 * and the provider's channel to the repository (section 11) differ in
 * both, so that a message of one is never accepted on the other: the
 * header check refuses the type, and were it changed, the prologue (in
 * the handshake hash) makes the handshake fail.
 */
struct channel {
	uint8_t msg1_type, msg2_type;
	const char *prologue;
};

static const struct channel host_channel = { 1, 2, "keyferry/2" };
static const struct channel sync_channel = { 3, 4, "keyferry/2 provider" };

static void put_header(uint8_t *msg, uint8_t type, uint32_t index,
		       const uint8_t kid[KF_KID_SIZE])
{
	msg[0] = type;
	msg[1] = MSG_VERSION;
	msg[2] = 0;
	msg[3] = 0;
	msg[4] = index >> 24;
	msg[5] = (index >> 16) & 0xff;
	msg[6] = (index >> 8) & 0xff;
	msg[7] = index & 0xff;
	memcpy(msg + 8, kid, KF_KID_SIZE);
}

static uint32_t get_index(const uint8_t *msg)
{
	return (uint32_t)msg[4] << 24 | (uint32_t)msg[5] << 16 |
	       (uint32_t)msg[6] << 8 | msg[7];
}

static bool header_ok(const uint8_t *msg, uint8_t type)
{
	return msg[0] == type && msg[1] == MSG_VERSION && !msg[2] && !msg[3];
}

static int write1(const struct channel *ch, struct kf_noise *st, uint8_t *msg,
		  size_t cap, size_t *len, const uint8_t s_priv[KF_KEY_SIZE],
		  const uint8_t rs[KF_KEY_SIZE], const uint8_t *eph_priv,
		  const uint8_t *payload, size_t payload_len)
{
	uint8_t kid[KF_KID_SIZE];
	uint32_t index = 0;
	size_t n;
	int ret;

	if (!st || !msg || !len || !rs)
		return -EINVAL;
	ret = -EMSGSIZE;
	if (payload_len <= KF_MESSAGE_MAX - KF_MSG1_MIN &&
	    cap >= KF_MSG1_MIN + payload_len)
		ret = kf_random(&index, sizeof(index));
	if (ret) {
		kf_noise_wipe(st);
		return ret;
	}
	kf_kid(rs, kid);
	ret = kf_noise_raw_write1(st, msg + HDR_LEN, cap - HDR_LEN, &n,
				  (const uint8_t *)ch->prologue,
				  strlen(ch->prologue), s_priv, rs, eph_priv,
				  payload, payload_len);
	if (ret)
		return ret;
	st->index = index;
	memcpy(st->kid, kid, KF_KID_SIZE);
	put_header(msg, ch->msg1_type, index, kid);
	*len = HDR_LEN + n;
	return 0;
}

/* The checks of section 3.4 that concern the message, in their order. */
static int read2(const struct channel *ch, struct kf_noise *st,
		 uint8_t *payload, size_t cap, size_t *payload_len,
		 const uint8_t *msg, size_t len)
{
	int ret;

	if (!st || !payload_len || !msg)
		return -EINVAL;
	if (len < KF_MSG2_MIN || len > KF_MESSAGE_MAX)
		ret = -EMSGSIZE;
	else if (!header_ok(msg, ch->msg2_type))
		ret = -EPROTONOSUPPORT;
	else if (get_index(msg) != st->index)
		ret = -ESRCH;
	else if (!kf_equal(msg + 8, st->kid, KF_KID_SIZE))
		ret = -EREMCHG;		/* answered by another distributor key */
	else
		return kf_noise_raw_read2(st, payload, cap, payload_len,
					  msg + HDR_LEN, len - HDR_LEN);
	kf_noise_wipe(st);
	return ret;
}

static int read1(const struct channel *ch, struct kf_noise *st,
		 uint8_t *payload, size_t cap, size_t *payload_len,
		 uint8_t initiator_static[KF_KEY_SIZE],
		 const uint8_t s_priv[KF_KEY_SIZE],
		 const uint8_t s_pub[KF_KEY_SIZE], const uint8_t *msg,
		 size_t len)
{
	uint8_t kid[KF_KID_SIZE];
	int ret = 0;

	if (!st || !payload_len || !initiator_static || !s_priv || !s_pub || !msg)
		return -EINVAL;
	if (len < KF_MSG1_MIN || len > KF_MESSAGE_MAX)
		ret = -EMSGSIZE;
	else if (!header_ok(msg, ch->msg1_type))
		ret = -EPROTONOSUPPORT;
	if (!ret) {
		kf_kid(s_pub, kid);
		if (!kf_equal(msg + 8, kid, KF_KID_SIZE))
			ret = -EREMCHG;	/* for another of our keys */
	}
	if (ret) {
		kf_noise_wipe(st);
		return ret;
	}
	ret = raw_read1(st, payload, cap, payload_len,
			(const uint8_t *)ch->prologue, strlen(ch->prologue),
			s_priv, s_pub, msg + HDR_LEN, len - HDR_LEN);
	if (ret)
		return ret;
	st->index = get_index(msg);
	memcpy(st->kid, kid, KF_KID_SIZE);
	memcpy(initiator_static, st->rs, KF_KEY_SIZE);
	return 0;
}

static int write2(const struct channel *ch, struct kf_noise *st, uint8_t *msg,
		  size_t cap, size_t *len, const uint8_t *eph_priv,
		  const uint8_t *payload, size_t payload_len)
{
	size_t n;
	int ret;

	if (!st || !msg || !len)
		return -EINVAL;
	if (payload_len > KF_MESSAGE_MAX - KF_MSG2_MIN ||
	    cap < KF_MSG2_MIN + payload_len) {
		kf_noise_wipe(st);
		return -EMSGSIZE;
	}
	ret = kf_noise_raw_write2(st, msg + HDR_LEN, cap - HDR_LEN, &n,
				  eph_priv, payload, payload_len);
	if (ret)
		return ret;
	put_header(msg, ch->msg2_type, st->index, st->kid);
	*len = HDR_LEN + n;
	return 0;
}

int kf_noise_initiator_write1(struct kf_noise *st, uint8_t *msg, size_t cap,
			      size_t *len,
			      const uint8_t s_priv[KF_KEY_SIZE],
			      const uint8_t rs[KF_KEY_SIZE],
			      const uint8_t *eph_priv,
			      const uint8_t *payload, size_t payload_len)
{
	return write1(&host_channel, st, msg, cap, len, s_priv, rs, eph_priv,
		      payload, payload_len);
}

int kf_noise_initiator_read2(struct kf_noise *st, uint8_t *payload, size_t cap,
			     size_t *payload_len,
			     const uint8_t *msg, size_t len)
{
	return read2(&host_channel, st, payload, cap, payload_len, msg, len);
}

int kf_noise_responder_read1(struct kf_noise *st, uint8_t *payload, size_t cap,
			     size_t *payload_len,
			     uint8_t initiator_static[KF_KEY_SIZE],
			     const uint8_t s_priv[KF_KEY_SIZE],
			     const uint8_t *msg, size_t len)
{
	uint8_t pub[KF_KEY_SIZE];
	int ret;

	if (!s_priv)
		return -EINVAL;
	ret = kf_x25519_public(s_priv, pub);
	if (ret) {
		kf_noise_wipe(st);
		return ret;
	}
	return kf_noise_responder_read1_keypair(st, payload, cap, payload_len,
						initiator_static, s_priv, pub, msg, len);
}

int kf_noise_responder_read1_keypair(struct kf_noise *st, uint8_t *payload,
				     size_t cap, size_t *payload_len,
				     uint8_t initiator_static[KF_KEY_SIZE],
				     const uint8_t s_priv[KF_KEY_SIZE],
				     const uint8_t s_pub[KF_KEY_SIZE],
				     const uint8_t *msg, size_t len)
{
	return read1(&host_channel, st, payload, cap, payload_len,
		     initiator_static, s_priv, s_pub, msg, len);
}

int kf_noise_responder_write2(struct kf_noise *st, uint8_t *msg, size_t cap,
			      size_t *len, const uint8_t *eph_priv,
			      const uint8_t *payload, size_t payload_len)
{
	return write2(&host_channel, st, msg, cap, len, eph_priv, payload,
		      payload_len);
}

/* ---- the provider's channel to the repository (section 11) ----------------- */

int kf_noise_sync_write1(struct kf_noise *st, uint8_t *msg, size_t cap,
			 size_t *len, const uint8_t s_priv[KF_KEY_SIZE],
			 const uint8_t rs[KF_KEY_SIZE],
			 const uint8_t *payload, size_t payload_len)
{
	return write1(&sync_channel, st, msg, cap, len, s_priv, rs, NULL,
		      payload, payload_len);
}

int kf_noise_sync_read2(struct kf_noise *st, uint8_t *payload, size_t cap,
			size_t *payload_len, const uint8_t *msg, size_t len)
{
	return read2(&sync_channel, st, payload, cap, payload_len, msg, len);
}

int kf_noise_sync_read1(struct kf_noise *st, uint8_t *payload, size_t cap,
			size_t *payload_len,
			uint8_t initiator_static[KF_KEY_SIZE],
			const uint8_t s_priv[KF_KEY_SIZE],
			const uint8_t s_pub[KF_KEY_SIZE],
			const uint8_t *msg, size_t len)
{
	return read1(&sync_channel, st, payload, cap, payload_len,
		     initiator_static, s_priv, s_pub, msg, len);
}

int kf_noise_sync_write2(struct kf_noise *st, uint8_t *msg, size_t cap,
			 size_t *len, const uint8_t *payload,
			 size_t payload_len)
{
	return write2(&sync_channel, st, msg, cap, len, NULL, payload,
		      payload_len);
}
