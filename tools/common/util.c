// SPDX-License-Identifier: MIT
/* Messages, files, numbers and times for the keyferry tools. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keyferry.h"
#include "tools/common/util.h"

/* A copy: the tests run tools in-process with argv in a stack buffer. */
static char progname[64] = "keyferry";
int kf_verbose;

void kf_set_progname(const char *name)
{
	const char *slash = strrchr(name, '/');

	snprintf(progname, sizeof(progname), "%s", slash ? slash + 1 : name);
}

static void vmsg(const char *level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write so lines from several threads do not interleave. */
	fprintf(stderr, "%s: %s%s\n", progname, level, line);
}

void kf_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void kf_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void kf_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

int64_t kf_now(void)
{
	return (int64_t)time(NULL);
}

uint64_t kf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *kf_fmt_time(char *buf, size_t cap, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || !gmtime_r(&tt, &tm)) {
		snprintf(buf, cap, "-");
		return buf;
	}
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

int kf_parse_u64(const char *field, const char *s, uint64_t min, uint64_t max,
		 uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	kf_err("%s: '%s' is not a number in [%llu, %llu]", field, s ? s : "",
	       (unsigned long long)min, (unsigned long long)max);
	return -EINVAL;
}

int kf_parse_duration(const char *field, const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: goto bad;
	}
	if (*end && end[1])
		goto bad;
	if (v > UINT64_MAX / mult / 2)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	kf_err("%s: '%s' is not a duration (like 30s, 15m, 12h, 7d)", field,
	       s ? s : "");
	return -EINVAL;
}

int kf_parse_time(const char *field, const char *s, int64_t *out)
{
	struct tm tm;
	uint64_t v;
	char *end;

	if (!s || !*s)
		goto bad;
	if (*s == '+') {
		if (kf_parse_duration(field, s + 1, &v))
			return -EINVAL;
		*out = kf_now() + (int64_t)v;
		return 0;
	}
	if (strchr(s, 'T')) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (!end || *end)
			goto bad;
		*out = (int64_t)timegm(&tm);
		return 0;
	}
	if (kf_parse_u64(field, s, 0, INT64_MAX, &v))
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
bad:
	kf_err("%s: '%s' is not a time (unix seconds, +30d, or "
	       "YYYY-MM-DDTHH:MM:SSZ)", field, s ? s : "");
	return -EINVAL;
}

int kf_parse_name(const char *field, const char *s)
{
	if (s && kf_name_valid(s, strlen(s), KF_NAME_MAX))
		return 0;
	kf_err("%s: '%s' is not a name (1 to 255 of [A-Za-z0-9._:@/-])",
	       field, s ? s : "");
	return -EINVAL;
}

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

void kf_hex(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = 0;
}

void kf_json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}
