/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fscrypt as a consumer of delivered keys, for VM tests: a v2 policy on an
 * ext4 directory, its key added by the serial of an fscrypt-provisioning
 * key (FS_IOC_ADD_ENCRYPTION_KEY with key_id), so the raw key never
 * passes through userspace.
 */
#ifndef KEYFERRY_SELFTEST_FSCRYPT_H
#define KEYFERRY_SELFTEST_FSCRYPT_H

#include <stdint.h>
#include <linux/fscrypt.h>

/* Add the key behind serial to the filesystem of dir; identifier out. */
int kf_fscrypt_add_key_by_serial(const char *mountpoint, int32_t serial,
				 uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE]);
/* Add a raw key given in clear (the owner's view, for comparison). */
int kf_fscrypt_add_raw_key(const char *mountpoint, const uint8_t *raw, size_t len,
			   uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE]);
int kf_fscrypt_set_policy(const char *dir,
			  const uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE]);
int kf_fscrypt_remove_key(const char *mountpoint,
			  const uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE]);

#endif /* KEYFERRY_SELFTEST_FSCRYPT_H */
