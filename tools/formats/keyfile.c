// SPDX-License-Identifier: MIT
/* Private key files and the memory keys live in (see keyfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyferry.h"
#include "tools/cli/cli.h"
#include "tools/formats/keyfile.h"

void *kf_keypage_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	mlock(p, size);		/* best effort: may exceed RLIMIT_MEMLOCK */
	madvise(p, size, MADV_DONTDUMP);
	return p;
}

void kf_keypage_free(void *p, size_t size)
{
	if (!p)
		return;
	kf_wipe(p, size);
	munlock(p, size);
	munmap(p, size);
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

int kf_keyfile_read(const char *path, uint8_t key[32])
{
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
		kf_err("key file %s: %s", path, strerror(errno));
		goto out;
	}
	text[n] = 0;
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' ||
		     text[n - 1] == ' '))
		text[--n] = 0;
	if (kf_key_from_base64(key, text)) {
		kf_err("key file %s: not the base64 of a 32-byte key", path);
		ret = -EINVAL;
	}
out:
	kf_wipe(text, sizeof(text));
	close(fd);
	return ret;
}

int kf_keyfile_create(const char *path, const uint8_t key[32])
{
	char text[64];
	size_t len;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		kf_err("key file %s: %s", path, strerror(errno));
		return ret;
	}
	if (kf_base64_encode(text, sizeof(text) - 1, key, 32) < 0)
		ret = -EINVAL;
	if (!ret) {
		len = strlen(text);
		text[len++] = '\n';
		if (write(fd, text, len) != (ssize_t)len || fsync(fd))
			ret = errno ? -errno : -EIO;
	}
	kf_wipe(text, sizeof(text));
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		unlink(path);
	return ret;
}

int kf_keyfile_generate(const char *path, uint8_t pub[32])
{
	uint8_t *priv = kf_keypage_alloc(KF_KEY_SIZE);
	uint8_t p[KF_KEY_SIZE];
	int ret;

	if (!priv)
		return -ENOMEM;
	ret = kf_x25519_keygen(priv, p);
	if (!ret)
		ret = kf_keyfile_create(path, priv);
	kf_keypage_free(priv, KF_KEY_SIZE);
	if (!ret && pub)
		memcpy(pub, p, KF_KEY_SIZE);
	return ret;
}
