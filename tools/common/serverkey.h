/* SPDX-License-Identifier: MIT */
/*
 * The distributor's static key Kd, behind one small interface so that it
 * can move to a PKCS#11 token later: callers never see the private half,
 * they ask the key to run the responder's side of Noise message 1.
 *
 * The file holds the base64 of the 32-byte X25519 private key and a
 * newline.  It is refused when its group or others may read or write it.
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

/* kf_noise_responder_read1() with this key. */
int kf_serverkey_read1(struct kf_serverkey *k, struct kf_noise *st,
		       uint8_t *payload, size_t cap, size_t *payload_len,
		       uint8_t initiator_static[KF_KEY_SIZE],
		       const uint8_t *msg, size_t len);

#endif /* KF_TOOLS_SERVERKEY_H */
