// SPDX-License-Identifier: MIT
/*
 * The identity blob on disk, and the passphrase seat's stretching.
 *
 * The blob is opaque to the helper except for its header (docs/kernel.md):
 * the seat byte and, for a passphrase blob, the scrypt parameters, which
 * the helper needs to stretch the passphrase before the module can open
 * the blob.  The helper never sees the state inside.
 *
 * Stretching runs here, in userspace, because the kernel has no memory-hard
 * KDF: scrypt (OpenSSL 3.0's EVP_KDF "SCRYPT"; Debian 12's OpenSSL has no
 * Argon2).  The module gets the 32-byte result, never the passphrase.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "identity_file.h"
#include "keyferry.h"

#define KF_BLOB_HEADER 50

static int kf_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int kf_fsync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int kf_identity_write(const char *path, const uint8_t *blob, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%s", path);
	/* The state directory, private to root, when it is not there yet. */
	if (mkdir(dirname(dir), 0700) && errno != EEXIST)
		return -errno;
	unlink(tmp);	/* a leftover of a write cut short */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = kf_write_all(fd, blob, len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return kf_fsync_dir(path);
}

int kf_identity_read(const char *path, uint8_t *blob, size_t cap, size_t *len)
{
	size_t got = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (got == cap) {
			uint8_t extra;

			n = read(fd, &extra, 1);
			if (n > 0)
				ret = -EFBIG;
			break;
		}
		n = read(fd, blob + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return ret;
}

uint8_t kf_identity_blob_seat(const uint8_t *blob, size_t len)
{
	if (len < KF_BLOB_HEADER || memcmp(blob, "KFI1", 4))
		return 0;
	return blob[4];
}

const uint8_t *kf_identity_blob_kdf(const uint8_t *blob, size_t len)
{
	if (kf_identity_blob_seat(blob, len) != KEYFERRY_SEAT_PASSPHRASE ||
	    len < KF_BLOB_HEADER + KEYFERRY_KDF_PARAMS_SIZE ||
	    ((size_t)blob[48] << 8 | blob[49]) != KEYFERRY_KDF_PARAMS_SIZE)
		return NULL;
	return blob + KF_BLOB_HEADER;
}

static void kf_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t kf_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* salt (16), log2 N (1), r (4), p (4), reserved (3) */
int kf_kdf_params_new(uint8_t params[KEYFERRY_KDF_PARAMS_SIZE], unsigned int log2n)
{
	memset(params, 0, KEYFERRY_KDF_PARAMS_SIZE);
	if (kf_random(params, 16))
		return -EIO;
	params[16] = (uint8_t)log2n;
	kf_put_be32(params + 17, KF_SCRYPT_R);
	kf_put_be32(params + 21, KF_SCRYPT_P);
	return 0;
}

int kf_passphrase_stretch(uint8_t key[KEYFERRY_SEAT_KEY_SIZE], const char *pass,
			  size_t pass_len, const uint8_t params[KEYFERRY_KDF_PARAMS_SIZE])
{
	uint64_t n, maxmem = (uint64_t)1 << 32;
	uint32_t r = kf_get_be32(params + 17), p = kf_get_be32(params + 21);
	OSSL_PARAM op[7], *o = op;
	EVP_KDF_CTX *ctx;
	EVP_KDF *kdf;
	int ret = -EIO;

	if (params[16] < 1 || params[16] > 30)
		return -EINVAL;
	n = (uint64_t)1 << params[16];
	kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	if (!kdf)
		return -ENOSYS;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!ctx)
		return -ENOMEM;
	*o++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass,
						 pass_len);
	*o++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)params, 16);
	*o++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*o++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*o++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*o++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	*o = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, key, KEYFERRY_SEAT_KEY_SIZE, op) == 1)
		ret = 0;
	EVP_KDF_CTX_free(ctx);
	return ret;
}

int kf_passphrase_read(const char *path, char *buf, size_t cap, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t n;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)cap, f)) {
		if (f != stdin)
			fclose(f);
		return -ENODATA;
	}
	if (f != stdin)
		fclose(f);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (!n)
		return -ENODATA;
	*len = n;
	return 0;
}

int kf_pcrs_parse(const char *s, uint32_t *mask)
{
	char *end;

	*mask = 0;
	if (!*s)
		return -EINVAL;
	for (;;) {
		unsigned long n = strtoul(s, &end, 10);

		if (end == s || n > 23)
			return -EINVAL;
		*mask |= 1u << n;
		if (!*end)
			return 0;
		if (*end != ',')
			return -EINVAL;
		s = end + 1;
	}
}

const char *kf_pcrs_format(uint32_t mask)
{
	static char buf[96];
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 24; i++)
		if (mask & (1u << i))
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%d",
						 used ? "," : "", i);
	return buf;
}
