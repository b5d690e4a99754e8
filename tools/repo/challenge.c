// SPDX-License-Identifier: MIT
/*
 * Enrollment challenges without the store.
 *
 * A challenge nonce is 32 bytes: the time it was made (8 bytes, unix
 * seconds, big-endian), 8 random bytes, and the first 16 bytes of
 * HMAC-SHA256 over those 16 bytes and a label, with a key derived from the
 * current distributor key (kf_serverkey_derive()).  Making one costs an
 * HMAC and no database write; checking one costs an HMAC per distributor
 * key held, before any database work.  A nonce older than nonce_ttl, from
 * the future, or whose MAC matches no key is refused.
 *
 * Why derived from Kd rather than random in memory: every repository
 * process serving the same key (several in front of one database, or one
 * restarted between a host's challenge and its enrollment) accepts the
 * others' challenges, and nothing new has to be stored or rotated.  The
 * timestamp is authenticated, so expiry needs no rotation of the key; the
 * key lasts as long as Kd, whose theft would be worse anyway.
 *
 * Single use: an authentic, fresh nonce can be sent again until it
 * expires.  The store records each nonce an enrollment consumed, inside
 * the enrollment's own transaction (or its refusal's record), and refuses
 * it the second time (tools/store/enroll.c); checking that list is a read.
 */
#include <errno.h>
#include <string.h>

#include <openssl/hmac.h>

#include "tools/cli/cli.h"
#include "tools/repo/internal.h"

#define CH_TIME		8
#define CH_RANDOM	8
#define CH_MAC		16
#define CH_LABEL	"keyferry/1 enroll challenge"

static int mac(const struct kf_serverkey *k, const uint8_t *msg,
	       uint8_t out[CH_MAC])
{
	uint8_t key[32], full[32], buf[sizeof(CH_LABEL) - 1 + CH_TIME + CH_RANDOM];
	unsigned int len = sizeof(full);
	int ret = kf_serverkey_derive(k, CH_LABEL, key);

	if (ret)
		return ret;
	memcpy(buf, CH_LABEL, sizeof(CH_LABEL) - 1);
	memcpy(buf + sizeof(CH_LABEL) - 1, msg, CH_TIME + CH_RANDOM);
	if (!HMAC(EVP_sha256(), key, sizeof(key), buf, sizeof(buf), full, &len))
		ret = -EIO;
	else
		memcpy(out, full, CH_MAC);
	kf_wipe(key, sizeof(key));
	kf_wipe(full, sizeof(full));
	return ret;
}

int kf_challenge_make(struct kf_repo *r, uint8_t nonce[KF_NONCE_SIZE],
		      int64_t now)
{
	uint64_t t = (uint64_t)now;
	int i, ret;

	for (i = CH_TIME - 1; i >= 0; i--, t >>= 8)
		nonce[i] = (uint8_t)t;
	ret = kf_random(nonce + CH_TIME, CH_RANDOM);
	if (ret)
		return ret;
	return mac(r->keys[0], nonce, nonce + CH_TIME + CH_RANDOM);
}

int kf_challenge_check(struct kf_repo *r, const uint8_t nonce[KF_NONCE_SIZE],
		       int64_t now, int64_t *expires)
{
	uint8_t want[CH_MAC];
	uint64_t made = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < CH_TIME; i++)
		made = made << 8 | nonce[i];
	/* Made in the future (beyond clock steps of a few seconds between
	 * processes) or too long ago. */
	if (made > (uint64_t)now + 5 || made + r->cfg.nonce_ttl < (uint64_t)now)
		return -EPERM;
	for (i = 0; i < r->n_keys; i++) {
		ret = mac(r->keys[i], nonce, want);
		if (ret)
			return ret;
		if (kf_equal(want, nonce + CH_TIME + CH_RANDOM, CH_MAC)) {
			*expires = (int64_t)made + r->cfg.nonce_ttl;
			return 0;
		}
	}
	return -EPERM;
}
