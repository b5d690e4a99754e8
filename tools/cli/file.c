// SPDX-License-Identifier: MIT
/* Whole files: read into memory (or from stdin), written atomically. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyferry.h"
#include "tools/cli/cli.h"

static int read_fd(int fd, size_t max, uint8_t **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap + 1), *nb;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > max)
				goto too_big;
			nb = malloc(cap * 2 + 1);
			if (!nb)
				goto nomem;
			memcpy(nb, buf, n);
			kf_wipe(buf, n);	/* may hold a key */
			free(buf);
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			kf_wipe(buf, n);
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			goto too_big;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
too_big:
	kf_wipe(buf, n);
	free(buf);
	return -EFBIG;
nomem:
	kf_wipe(buf, n);
	free(buf);
	return -ENOMEM;
}

int kf_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	int fd, ret;

	if (!strcmp(path, "-"))
		return read_fd(0, max, out, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read_fd(fd, max, out, len);
	close(fd);
	return ret;
}

int kf_write_file(const char *path, const void *buf, size_t len,
		  unsigned int mode)
{
	char tmp[PATH_MAX];
	const uint8_t *p = buf;
	int fd, ret = 0;
	ssize_t w;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode))
		goto fail;
	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd))
		goto fail;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path)) {
		ret = -errno;
		unlink(tmp);
		return ret;
	}
	return 0;
fail:
	ret = -errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}
