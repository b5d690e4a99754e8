// SPDX-License-Identifier: MIT
/* The distributor's static key, from a file (see serverkey.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/common/serverkey.h"
#include "tools/common/util.h"

struct kf_serverkey {
	uint8_t priv[KF_KEY_SIZE];
	uint8_t pub[KF_KEY_SIZE];
	uint8_t kid[KF_KID_SIZE];
};

static struct kf_serverkey *key_alloc(void)
{
	struct kf_serverkey *k;

	/* A page of its own, locked and left out of core dumps. */
	k = mmap(NULL, sizeof(*k), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (k == MAP_FAILED)
		return NULL;
	mlock(k, sizeof(*k));		/* best effort: may exceed RLIMIT */
	madvise(k, sizeof(*k), MADV_DONTDUMP);
	return k;
}

void kf_serverkey_free(struct kf_serverkey *k)
{
	if (!k)
		return;
	kf_wipe(k, sizeof(*k));
	munlock(k, sizeof(*k));
	munmap(k, sizeof(*k));
}

static int check_mode(const char *path, int fd)
{
	struct stat sb;

	if (fstat(fd, &sb))
		return -errno;
	if (!S_ISREG(sb.st_mode)) {
		kf_err("key file %s: not a regular file", path);
		return -EINVAL;
	}
	if (sb.st_mode & 077) {
		kf_err("key file %s: mode %04o lets group or others in; "
		       "chmod 600 it", path, (unsigned int)(sb.st_mode & 07777));
		return -EPERM;
	}
	if (sb.st_uid != geteuid()) {
		kf_err("key file %s: owned by uid %u, not by us (%u)", path,
		       (unsigned int)sb.st_uid, (unsigned int)geteuid());
		return -EPERM;
	}
	return 0;
}

static int parse_key(struct kf_serverkey *k, const char *path, char *text,
		     size_t len)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
		       text[len - 1] == ' '))
		text[--len] = 0;
	if (kf_key_from_base64(k->priv, text)) {
		kf_err("key file %s: not the base64 of a 32-byte key", path);
		return -EINVAL;
	}
	if (kf_x25519_public(k->priv, k->pub))
		return -EIO;
	kf_kid(k->pub, k->kid);
	return 0;
}

int kf_serverkey_load(struct kf_serverkey **out, const char *path)
{
	struct kf_serverkey *k = NULL;
	char text[128];
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		kf_err("key file %s: %s", path, strerror(errno));
		return ret;
	}
	ret = check_mode(path, fd);
	if (ret)
		goto out;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	text[n] = 0;
	ret = -ENOMEM;
	k = key_alloc();
	if (!k)
		goto out;
	ret = parse_key(k, path, text, (size_t)n);
	if (ret) {
		kf_serverkey_free(k);
		k = NULL;
	}
out:
	kf_wipe(text, sizeof(text));
	close(fd);
	*out = k;
	return ret;
}

int kf_serverkey_generate(const char *path)
{
	uint8_t priv[KF_KEY_SIZE], pub[KF_KEY_SIZE];
	char text[64];
	size_t len;
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		kf_err("key file %s: %s", path, strerror(errno));
		return ret;
	}
	ret = kf_x25519_keygen(priv, pub);
	if (!ret && kf_base64_encode(text, sizeof(text) - 1, priv,
				     sizeof(priv)) < 0)
		ret = -EINVAL;
	if (!ret) {
		len = strlen(text);
		text[len++] = '\n';
		if (write(fd, text, len) != (ssize_t)len || fsync(fd))
			ret = -errno ? -errno : -EIO;
	}
	kf_wipe(priv, sizeof(priv));
	kf_wipe(text, sizeof(text));
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		unlink(path);
	return ret;
}

const uint8_t *kf_serverkey_public(const struct kf_serverkey *k)
{
	return k->pub;
}

const uint8_t *kf_serverkey_kid(const struct kf_serverkey *k)
{
	return k->kid;
}

int kf_serverkey_read1(struct kf_serverkey *k, struct kf_noise *st,
		       uint8_t *payload, size_t cap, size_t *payload_len,
		       uint8_t initiator_static[KF_KEY_SIZE],
		       const uint8_t *msg, size_t len)
{
	return kf_noise_responder_read1_keypair(st, payload, cap, payload_len,
						initiator_static, k->priv, k->pub,
						msg, len);
}
