// SPDX-License-Identifier: MIT
/*
 * fscrypt teardown: FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS for the key of
 * a directory.  Nobody in userspace knows that key's identifier in advance
 * (it is derived from the key itself, which userspace never sees), but the
 * directory's v2 policy carries it: read the policy, remove that key.
 * The kernel then wipes its copy and evicts the files' cached contents;
 * files still open keep theirs until closed (reported as busy).  The
 * removal is asked through a directory outside the encrypted tree: an fd
 * on the encrypted directory itself would keep it busy.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fscrypt.h>

#include "teardown.h"

static int kf_fscrypt_identifier(int fd, const char *dir,
				 __u8 id[FSCRYPT_KEY_IDENTIFIER_SIZE],
				 char *msg, size_t msglen)
{
	struct fscrypt_get_policy_ex_arg arg;

	memset(&arg, 0, sizeof(arg));
	arg.policy_size = sizeof(arg.policy);
	if (ioctl(fd, FS_IOC_GET_ENCRYPTION_POLICY_EX, &arg) < 0) {
		int ret = -errno;

		snprintf(msg, msglen, "fscrypt %s: %s", dir, ret == -ENODATA ?
			 "not an encrypted directory" : strerror(-ret));
		return ret;
	}
	if (arg.policy.version != FSCRYPT_POLICY_V2) {
		snprintf(msg, msglen, "fscrypt %s: a v1 policy, whose keys keyferry never "
			 "delivers", dir);
		return -EMEDIUMTYPE;
	}
	memcpy(id, arg.policy.v2.master_key_identifier, FSCRYPT_KEY_IDENTIFIER_SIZE);
	return 0;
}

/*
 * The nearest ancestor of dir not encrypted with the key id (its policy
 * differs, or it has none), on the same filesystem: open, or -errno.
 */
static int kf_fscrypt_outside(const char *dir, const __u8 id[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
	char path[PATH_MAX], *p = path, junk[256];
	__u8 other[FSCRYPT_KEY_IDENTIFIER_SIZE];
	int fd;

	snprintf(path, sizeof(path), "%s", dir);
	for (;;) {
		p = dirname(p);
		fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (!strcmp(p, "/") ||
		    kf_fscrypt_identifier(fd, p, other, junk, sizeof(junk)) ||
		    memcmp(other, id, FSCRYPT_KEY_IDENTIFIER_SIZE))
			return fd;
		close(fd);
	}
}

int kf_teardown_fscrypt(const char *dir, char *msg, size_t msglen)
{
	struct fscrypt_remove_key_arg arg;
	int fd, ret;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(msg, msglen, "fscrypt %s: %s", dir, strerror(-ret));
		return ret;
	}
	memset(&arg, 0, sizeof(arg));
	arg.key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	ret = kf_fscrypt_identifier(fd, dir, arg.key_spec.u.identifier, msg, msglen);
	close(fd);
	if (ret)
		return ret;
	fd = kf_fscrypt_outside(dir, arg.key_spec.u.identifier);
	if (fd < 0) {
		snprintf(msg, msglen, "fscrypt %s: its parent: %s", dir, strerror(-fd));
		return fd;
	}
	if (ioctl(fd, FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS, &arg) < 0) {
		ret = -errno;
		if (ret == -ENOKEY) {
			snprintf(msg, msglen, "fscrypt %s: key already removed", dir);
			ret = 0;
		} else {
			snprintf(msg, msglen, "fscrypt %s: removing the key: %s", dir,
				 strerror(-ret));
		}
		goto out;
	}
	if (arg.removal_status_flags & FSCRYPT_KEY_REMOVAL_STATUS_FLAG_FILES_BUSY)
		snprintf(msg, msglen, "fscrypt %s: key removed; files still open keep "
			 "their contents until closed", dir);
	else
		snprintf(msg, msglen, "fscrypt %s: key removed", dir);
out:
	close(fd);
	return ret;
}
