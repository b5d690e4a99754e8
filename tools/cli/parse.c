// SPDX-License-Identifier: MIT
/*
 * Numbers, durations, times and names from the command line, each refusal
 * a message naming the field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyferry.h"
#include "tools/cli/cli.h"

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

int kf_parse_rate(const char *field, const char *s, uint32_t *count,
		  uint32_t *period)
{
	char buf[64], *slash;
	uint64_t n, p;

	snprintf(buf, sizeof(buf), "%s", s ? s : "");
	slash = strchr(buf, '/');
	if (!slash) {
		kf_err("%s: '%s' is not N/PERIOD (like 10/1h)", field, buf);
		return -EINVAL;
	}
	*slash = 0;
	if (kf_parse_u64(field, buf, 1, UINT32_MAX, &n) ||
	    kf_parse_duration(field, slash + 1, &p))
		return -EINVAL;
	if (!p || p > UINT32_MAX) {
		kf_err("%s: the period is 1 s to %u s", field, UINT32_MAX);
		return -EINVAL;
	}
	*count = (uint32_t)n;
	*period = (uint32_t)p;
	return 0;
}

int kf_parse_name(const char *field, const char *s)
{
	if (s && kf_name_valid(s, strlen(s), KF_NAME_MAX))
		return 0;
	kf_err("%s: '%s' is not a name (1 to 255 of [A-Za-z0-9._:@/-])",
	       field, s ? s : "");
	return -EINVAL;
}
