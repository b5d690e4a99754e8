/* SPDX-License-Identifier: MIT */
/*
 * An authority member's signing key, behind one small interface so that
 * it can move into a PKCS#11 token: callers never see the private half,
 * they ask the key for its public half and for signatures.
 *
 * Today a key is a file holding the base64 of a 32-byte Ed25519 seed
 * (RFC 8032), readable by its owner only (tools/formats/keyfile.h); the
 * seed lives in a locked page that core dumps leave out.
 */
#ifndef KF_TOOLS_SIGNER_H
#define KF_TOOLS_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "tools/authority/authority.h"

struct kf_signer;

int kf_signer_load(struct kf_signer **out, const char *path);
/* A fresh key into a new file (mode 0600); never overwrites. */
int kf_signer_generate(const char *path);
void kf_signer_free(struct kf_signer *k);

const uint8_t *kf_signer_public(const struct kf_signer *k);
int kf_signer_sign(struct kf_signer *k, const uint8_t *msg, size_t len,
		   uint8_t sig[KF_SIG_SIZE]);
/* Sign the object (its label, 0x00, its body) and add the signature. */
int kf_signer_sign_object(struct kf_signer *k, struct kf_signed *obj);

#endif /* KF_TOOLS_SIGNER_H */
