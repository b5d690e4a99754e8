/* SPDX-License-Identifier: MIT */
/*
 * Private key files: the base64 of a 32-byte key and a newline, owned by
 * the user that reads it, mode 0600 (group or others may neither read nor
 * write it).  The distributor key (serverkey.c), the authority members'
 * signing keys (tools/authority/signer.c) and the data owner's key Ko
 * (keyferry-seal owner-key) are such files.
 *
 * A key read from a file lives in a page of its own, locked in memory and
 * left out of core dumps (kf_keypage_alloc), and is wiped when freed.
 */
#ifndef KF_TOOLS_KEYFILE_H
#define KF_TOOLS_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

/* Read the 32 bytes of a key file; every refusal is reported (kf_err). */
int kf_keyfile_read(const char *path, uint8_t key[32]);
/* Create path (O_EXCL, mode 0600) holding key; never overwrites. */
int kf_keyfile_create(const char *path, const uint8_t key[32]);
/* Create path holding a fresh X25519 private key; pub (may be NULL) gets
 * its public half. */
int kf_keyfile_generate(const char *path, uint8_t pub[32]);

/* size bytes in a locked, undumpable page of their own; NULL on failure. */
void *kf_keypage_alloc(size_t size);
/* Wipe and unmap what kf_keypage_alloc() gave; NULL is ignored. */
void kf_keypage_free(void *p, size_t size);

#endif /* KF_TOOLS_KEYFILE_H */
