/* SPDX-License-Identifier: MIT */
/*
 * The identity blob on disk and the passphrase seat's stretching: what the
 * helper does around IDENTITY_EXPORT and IDENTITY_IMPORT (identity.c).
 */
#ifndef KEYFERRY_IDENTITY_FILE_H
#define KEYFERRY_IDENTITY_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/keyferry.h"

#define KF_IDENTITY_PATH	"/var/lib/keyferry/identity"
#define KF_SCRYPT_LOG2N		17	/* 128 MiB with r = 8 */
#define KF_SCRYPT_R		8
#define KF_SCRYPT_P		1

/*
 * Write len bytes to path so that a crash at any point leaves either the
 * old file or the new one, whole: a temporary file in the same directory,
 * fsync, rename over path, fsync of the directory.  0 or -errno.
 */
int kf_identity_write(const char *path, const uint8_t *blob, size_t len);
/* Read at most cap bytes; -EFBIG when the file is longer. */
int kf_identity_read(const char *path, uint8_t *blob, size_t cap, size_t *len);

/* The seat a blob says it is sealed by, 0 when it is no identity blob. */
uint8_t kf_identity_blob_seat(const uint8_t *blob, size_t len);
/* A passphrase blob's scrypt parameters, or NULL. */
const uint8_t *kf_identity_blob_kdf(const uint8_t *blob, size_t len);

/* New scrypt parameters: a random salt, log2 N, r, p (docs/kernel.md). */
int kf_kdf_params_new(uint8_t params[KEYFERRY_KDF_PARAMS_SIZE], unsigned int log2n);
/* The passphrase stretched with params: the SEAT_KEY the module takes. */
int kf_passphrase_stretch(uint8_t key[KEYFERRY_SEAT_KEY_SIZE], const char *pass,
			  size_t pass_len, const uint8_t params[KEYFERRY_KDF_PARAMS_SIZE]);
/* Read a passphrase from path ("-": standard input), one line. */
int kf_passphrase_read(const char *path, char *buf, size_t cap, size_t *len);

/* "0,7,16" <-> a mask of PCRs 0..23; -EINVAL for anything else. */
int kf_pcrs_parse(const char *s, uint32_t *mask);
const char *kf_pcrs_format(uint32_t mask);	/* a static buffer */

struct kf_genl;
struct kf_config;

/* One save: what it is asked (seat...), then what it did or where it failed. */
struct kf_identity_save {
	uint8_t seat;
	const uint32_t *pcrs;		/* TPM, first save only */
	const uint8_t *seat_key;	/* passphrase, first save only */
	const uint8_t *kdf;
	enum { KF_SAVE_EXPORT, KF_SAVE_WRITE, KF_SAVE_COMMIT } stage;
	size_t len;
	uint64_t epoch;
	uint64_t state_gen;		/* the generation the blob holds */
};

/*
 * IDENTITY_EXPORT, the blob written to path whole or not at all, then for
 * a TPM blob IDENTITY_COMMIT.  0, or -errno with s->stage the step that
 * failed (the module's reason, for EXPORT and COMMIT, in g->ext_msg).
 */
int kf_identity_save_to(struct kf_genl *g, const char *path, struct kf_identity_save *s);

/*
 * After a fetch (keyferry fetch, keyferry daemon): save the identity to
 * cfg->identity when cfg has one and identity-autosave is on, the module's
 * identity has a seat of trust, and its state generation differs from
 * *known (the generation of the blob last saved; 0: unknown, then the
 * module's SEALED_GEN).  1 saved (*known updated), 0 nothing to do, or
 * -errno; msg says what happened, naming the file.
 */
int kf_identity_autosave(struct kf_genl *g, const struct kf_config *cfg, uint64_t *known,
			 char *msg, size_t cap);
/*
 * At the daemon's start: when the module holds no entity and path exists,
 * load the TPM blob in it.  0 when there was nothing to do or it loaded;
 * else -errno with the reason in msg (a passphrase blob needs a person:
 * `keyferry identity load --passphrase-file -`).
 */
int kf_identity_restore(struct kf_genl *g, const char *path, char *msg, size_t cap);

#endif /* KEYFERRY_IDENTITY_FILE_H */
