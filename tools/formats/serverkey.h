/* SPDX-License-Identifier: MIT */
/*
 * The distributor's static key Kd, behind one small interface so that it
 * can move to a PKCS#11 token later: callers never see the private half,
 * they ask the key to run the responder's side of Noise message 1.
 *
 * The file is a key file (keyfile.h): the base64 of the 32-byte X25519
 * private key and a newline, refused when its group or others may read or
 * write it.
 */
#ifndef KF_TOOLS_SERVERKEY_H
#define KF_TOOLS_SERVERKEY_H

#include <stddef.h>
#include <stdint.h>

#include "keyferry.h"

struct kf_serverkey;

int kf_serverkey_load(struct kf_serverkey **out, const char *path);
/* Create a fresh key file, mode 0600; refuses to overwrite. */
int kf_serverkey_generate(const char *path);
void kf_serverkey_free(struct kf_serverkey *k);

const uint8_t *kf_serverkey_public(const struct kf_serverkey *k);
const uint8_t *kf_serverkey_kid(const struct kf_serverkey *k);

/*
 * A 32-byte secret of the repository's own, derived from this key for one
 * purpose named by label (HKDF-SHA256: extract with the salt
 * "keyferry/1 serverkey derive", expand with label), for MACs the
 * repository checks itself, such as its enrollment challenges.  Every
 * process holding the same key derives the same secret; it lasts as long
 * as the key; the caller wipes it.
 */
int kf_serverkey_derive(const struct kf_serverkey *k, const char *label,
			uint8_t out[32]);

/* kf_noise_responder_read1() with this key. */
int kf_serverkey_read1(struct kf_serverkey *k, struct kf_noise *st,
		       uint8_t *payload, size_t cap, size_t *payload_len,
		       uint8_t initiator_static[KF_KEY_SIZE],
		       const uint8_t *msg, size_t len);

/*
 * The provider's channel to the repository (docs/protocol.md section 11)
 * with this key: the repository reads a provider's message 1, a provider
 * writes one to the repository's key rs.
 */
int kf_serverkey_sync_read1(struct kf_serverkey *k, struct kf_noise *st,
			    uint8_t *payload, size_t cap, size_t *payload_len,
			    uint8_t initiator_static[KF_KEY_SIZE],
			    const uint8_t *msg, size_t len);
int kf_serverkey_sync_write1(struct kf_serverkey *k, struct kf_noise *st,
			     uint8_t *msg, size_t cap, size_t *len,
			     const uint8_t rs[KF_KEY_SIZE],
			     const uint8_t *payload, size_t payload_len);

#endif /* KF_TOOLS_SERVERKEY_H */
