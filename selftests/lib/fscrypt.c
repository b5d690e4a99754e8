// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "fscrypt.h"

static int kf_fscrypt_add(const char *mountpoint, struct fscrypt_add_key_arg *arg,
			  uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
	int fd, ret = 0;

	fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	arg->key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	if (ioctl(fd, FS_IOC_ADD_ENCRYPTION_KEY, arg) < 0)
		ret = -errno;
	else
		memcpy(identifier, arg->key_spec.u.identifier, FSCRYPT_KEY_IDENTIFIER_SIZE);
	close(fd);
	return ret;
}

int kf_fscrypt_add_key_by_serial(const char *mountpoint, int32_t serial,
				 uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
	struct fscrypt_add_key_arg arg;

	memset(&arg, 0, sizeof(arg));
	arg.key_id = serial;
	return kf_fscrypt_add(mountpoint, &arg, identifier);
}

int kf_fscrypt_add_raw_key(const char *mountpoint, const uint8_t *raw, size_t len,
			   uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
	struct fscrypt_add_key_arg *arg = calloc(1, sizeof(*arg) + len);
	int ret;

	if (!arg)
		return -ENOMEM;
	arg->raw_size = len;
	memcpy(arg->raw, raw, len);
	ret = kf_fscrypt_add(mountpoint, arg, identifier);
	explicit_bzero(arg, sizeof(*arg) + len);
	free(arg);
	return ret;
}

int kf_fscrypt_set_policy(const char *dir,
			  const uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
	struct fscrypt_policy_v2 policy = {
		.version = FSCRYPT_POLICY_V2,
		.contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS,
		.filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS,
		.flags = FSCRYPT_POLICY_FLAGS_PAD_32,
	};
	int fd, ret = 0;

	memcpy(policy.master_key_identifier, identifier, FSCRYPT_KEY_IDENTIFIER_SIZE);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_SET_ENCRYPTION_POLICY, &policy) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int kf_fscrypt_remove_key(const char *mountpoint,
			  const uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
	struct fscrypt_remove_key_arg arg;
	int fd, ret = 0;

	memset(&arg, 0, sizeof(arg));
	arg.key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	memcpy(arg.key_spec.u.identifier, identifier, FSCRYPT_KEY_IDENTIFIER_SIZE);
	fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_REMOVE_ENCRYPTION_KEY, &arg) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
