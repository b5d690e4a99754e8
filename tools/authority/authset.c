// SPDX-License-Identifier: MIT
/*
 * Authority sets (k of n Ed25519 keys) and the authority file, the text a
 * region's members and its relying parties keep:
 *
 *   keyferry-authority 1
 *   region: eu
 *   threshold: 2
 *   member: alice <base64 of the Ed25519 public key>
 *   member: bob <...>
 *   established: <sequence> <hex id of the statement that made it current>
 *
 * Lines starting with '#' are comments.  Unknown fields are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/authority/authority.h"
#include "tools/cli/cli.h"

#define MAGIC "keyferry-authority 1"

bool kf_member_name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > KF_MEMBER_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct kf_member *)a)->name,
		      ((const struct kf_member *)b)->name);
}

int kf_authority_check(struct kf_authority *a, char *why, size_t cap)
{
	unsigned int i, j;

	if (a->n < 1 || a->n > KF_MEMBERS_MAX) {
		snprintf(why, cap, "an authority has 1 to %d members, not %u",
			 KF_MEMBERS_MAX, a->n);
		return -EINVAL;
	}
	if (a->threshold < 1 || a->threshold > a->n) {
		snprintf(why, cap, "threshold %u is not between 1 and the %u "
			 "members", (unsigned int)a->threshold, a->n);
		return -EINVAL;
	}
	qsort(a->m, a->n, sizeof(a->m[0]), by_name);
	for (i = 0; i < a->n; i++) {
		if (!kf_member_name_valid(a->m[i].name)) {
			snprintf(why, cap, "member name '%s' is not 1 to %d "
				 "of [A-Za-z0-9._-]", a->m[i].name,
				 KF_MEMBER_NAME_MAX);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(a->m[i].name, a->m[j].name) ||
			    !memcmp(a->m[i].pub, a->m[j].pub, KF_KEY_SIZE)) {
				snprintf(why, cap, "members %s and %s have the "
					 "same name or key", a->m[j].name,
					 a->m[i].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

const struct kf_member *kf_authority_find(const struct kf_authority *a,
					  const uint8_t pub[KF_KEY_SIZE])
{
	unsigned int i;

	for (i = 0; i < a->n; i++)
		if (!memcmp(a->m[i].pub, pub, KF_KEY_SIZE))
			return &a->m[i];
	return NULL;
}

bool kf_authority_equal(const struct kf_authority *a,
			const struct kf_authority *b)
{
	unsigned int i;

	if (a->threshold != b->threshold || a->n != b->n ||
	    strcmp(a->region, b->region))
		return false;
	for (i = 0; i < a->n; i++)	/* both sorted by name */
		if (strcmp(a->m[i].name, b->m[i].name) ||
		    memcmp(a->m[i].pub, b->m[i].pub, KF_KEY_SIZE))
			return false;
	return true;
}

static int hex_decode(uint8_t *out, size_t n, const char *s)
{
	unsigned int v;
	size_t i;

	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]))
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int parse_member(struct kf_authority *a, char *v)
{
	char *sp = strchr(v, ' ');
	struct kf_member *m;

	if (!sp || a->n == KF_MEMBERS_MAX)
		return -EINVAL;
	*sp = 0;
	m = &a->m[a->n];
	if (!kf_member_name_valid(v) || kf_key_from_base64(m->pub, sp + 1))
		return -EINVAL;
	snprintf(m->name, sizeof(m->name), "%s", v);
	a->n++;
	return 0;
}

static int parse_line(struct kf_authority *a, char *line, unsigned int *seen)
{
	char *v = strstr(line, ": ");
	unsigned long long x;
	char *end;

	if (!v)
		return -EINVAL;
	*v = 0;
	v += 2;
	if (!strcmp(line, "region") && kf_name_valid(v, strlen(v),
						      KF_NAME_MAX)) {
		snprintf(a->region, sizeof(a->region), "%s", v);
		*seen |= 1;
		return 0;
	}
	if (!strcmp(line, "threshold")) {
		x = strtoull(v, &end, 10);
		if (*end || end == v || x < 1 || x > KF_MEMBERS_MAX)
			return -EINVAL;
		a->threshold = (uint8_t)x;
		*seen |= 2;
		return 0;
	}
	if (!strcmp(line, "member"))
		return parse_member(a, v);
	if (!strcmp(line, "established")) {
		x = strtoull(v, &end, 10);
		if (end == v || *end != ' ' || !x ||
		    hex_decode(a->statement, KF_ID_SIZE, end + 1))
			return -EINVAL;
		a->sequence = x;
		*seen |= 4;
		return 0;
	}
	return -EINVAL;
}

int kf_authority_read(const char *path, struct kf_authority *a)
{
	char why[160], *line, *save, *text;
	unsigned int seen = 0, no = 0;
	uint8_t *buf;
	size_t len;
	int ret;

	memset(a, 0, sizeof(*a));
	ret = kf_read_file(path, 65536, &buf, &len);
	if (ret) {
		kf_err("authority file %s: %s", path, strerror(-ret));
		return ret;
	}
	text = (char *)buf;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		no++;
		if (line[0] == '#')
			continue;
		if (no == 1 ? strcmp(line, MAGIC) : parse_line(a, line, &seen)) {
			kf_err("authority file %s: line %u is not %s", path,
			       no, no == 1 ? "\"" MAGIC "\"" :
			       "a valid field (region, threshold, member NAME "
			       "KEY, established SEQ ID)");
			ret = -EINVAL;
			goto out;
		}
	}
	if (seen != 7) {
		kf_err("authority file %s: region, threshold and established "
		       "are required", path);
		ret = -EINVAL;
	} else if (kf_authority_check(a, why, sizeof(why))) {
		kf_err("authority file %s: %s", path, why);
		ret = -EINVAL;
	}
out:
	free(buf);
	return ret;
}

int kf_authority_write(const char *path, const struct kf_authority *a)
{
	char text[4096], b64[64], id[2 * KF_ID_SIZE + 1];
	size_t off;
	unsigned int i;

	off = (size_t)snprintf(text, sizeof(text),
			       MAGIC "\nregion: %s\nthreshold: %u\n",
			       a->region, (unsigned int)a->threshold);
	for (i = 0; i < a->n; i++) {
		kf_base64_encode(b64, sizeof(b64), a->m[i].pub, KF_KEY_SIZE);
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"member: %s %s\n", a->m[i].name, b64);
	}
	kf_hex(id, a->statement, KF_ID_SIZE);
	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"established: %llu %s\n",
				(unsigned long long)a->sequence, id);
	if (off >= sizeof(text))
		return -EMSGSIZE;
	if (!strcmp(path, "-"))
		return fwrite(text, 1, off, stdout) == off ? 0 : -EIO;
	return kf_write_file(path, text, off, 0644);
}
