/* SPDX-License-Identifier: MIT */
/*
 * Teardown of a delivered key's consumers.  dm-crypt and fscrypt copy the
 * key when they start using it (into the crypt target, into the
 * filesystem's master key), so revoking the keyring key leaves them
 * working; when the module ends a key for good (the entity is revoked, its
 * lease lapsed), the daemon runs what the operator configured for it:
 *
 *   teardown = ITEM dm-crypt NAME    the dm-crypt device NAME
 *   teardown = ITEM fscrypt DIR      the fscrypt key of directory DIR
 *
 * `keyferry teardown` runs the same by hand.
 */
#ifndef KEYFERRY_TEARDOWN_H
#define KEYFERRY_TEARDOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "uapi/linux/keyferry.h"

#define KF_MAX_TEARDOWNS	64
#define KF_TEARDOWN_TARGET_MAX	256	/* a path; dm names are shorter (128) */

enum kf_teardown_kind {
	KF_TEARDOWN_DM_CRYPT = 1,
	KF_TEARDOWN_FSCRYPT,
};

struct kf_teardown {
	char item[KEYFERRY_NAME_MAX + 1];
	enum kf_teardown_kind kind;
	char target[KF_TEARDOWN_TARGET_MAX];
};

/* "ITEM dm-crypt NAME" or "ITEM fscrypt /DIR"; -EINVAL with why. */
int kf_teardown_parse(const char *value, struct kf_teardown *t, char *why, size_t whylen);
const char *kf_teardown_kind_name(enum kf_teardown_kind kind);

/*
 * Close the dm-crypt device name: suspend it (flushing and freezing its
 * filesystem), wipe the key from the crypt target ("key wipe"), replace
 * the table by one that fails every I/O and resume (the crypt target is
 * destroyed, its copy of the key with it), drop the page cache, remove the
 * device (deferred to its last close while it is open, e.g. mounted).
 * 0 (what happened in msg), or -errno with the step that failed in msg.
 * A device that does not exist is already closed: 0.
 */
int kf_teardown_dm_crypt(const char *name, char *msg, size_t msglen);

/*
 * Remove the fscrypt key that encrypts dir (its v2 policy names it) for
 * every user of the filesystem.  0 (msg says whether files were still
 * open, whose contents stay readable until closed), or -errno and why.
 */
int kf_teardown_fscrypt(const char *dir, char *msg, size_t msglen);

/* Run one entry; 0 or -errno, msg says what happened. */
int kf_teardown_run(const struct kf_teardown *t, char *msg, size_t msglen);

#endif /* KEYFERRY_TEARDOWN_H */
