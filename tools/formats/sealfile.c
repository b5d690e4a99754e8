// SPDX-License-Identifier: MIT
/* The sealed-item file (see sealfile.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/formats/sealfile.h"

#define B64_CAP(n) (((n) + 2) / 3 * 4 + 1)

int kf_sealfile_write(const char *path, const struct kf_sealfile *f)
{
	static char pol[B64_CAP(KF_POLICY_MAX)], blob[B64_CAP(KF_SEALED_MAX)];
	static char out[sizeof(pol) + sizeof(blob) + 2 * KF_NAME_MAX + 128];
	int n;

	if (kf_base64_encode(pol, sizeof(pol), f->policy, f->policy_len) < 0 ||
	    kf_base64_encode(blob, sizeof(blob), f->sealed, f->sealed_len) < 0)
		return -EINVAL;
	n = snprintf(out, sizeof(out),
		     KF_SEALFILE_MAGIC "\nregion: %s\nitem: %s\npolicy: %s\n"
		     "sealed: %s\n", f->region, f->item, pol, blob);
	if (n < 0 || n >= (int)sizeof(out))
		return -EMSGSIZE;
	if (!strcmp(path, "-"))
		return fwrite(out, 1, (size_t)n, stdout) == (size_t)n ? 0 : -EIO;
	return kf_write_file(path, out, (size_t)n, 0644);
}

/* Bit of *seen per field: each must be there exactly once. */
static unsigned int field_bit(const char *name)
{
	static const char *const names[] = { "region", "item", "policy",
					     "sealed" };
	unsigned int i;

	for (i = 0; i < KF_ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return 1u << i;
	return 0;
}

static int field(const char *path, const char *name, const char *value,
		 struct kf_sealfile *f, unsigned int *seen)
{
	unsigned int bit = field_bit(name);
	size_t len;

	/* Two values for one field: which one the owner meant is unknown. */
	if (*seen & bit) {
		kf_err("%s: field '%s' given twice", path, name);
		return -EINVAL;
	}
	if (!strcmp(name, "region") || !strcmp(name, "item")) {
		if (!kf_name_valid(value, strlen(value), KF_NAME_MAX)) {
			kf_err("%s: %s: '%s' is not a valid name", path, name,
			       value);
			return -EINVAL;
		}
		snprintf(name[0] == 'r' ? f->region : f->item, KF_NAME_MAX + 1,
			 "%s", value);
		*seen |= name[0] == 'r' ? 1 : 2;
		return 0;
	}
	if (!strcmp(name, "policy")) {
		if (kf_base64_decode(f->policy, sizeof(f->policy), &len,
				     value) < 0)
			goto bad64;
		f->policy_len = len;
		*seen |= 4;
		return 0;
	}
	if (!strcmp(name, "sealed")) {
		if (kf_base64_decode(f->sealed, sizeof(f->sealed), &len,
				     value) < 0)
			goto bad64;
		f->sealed_len = len;
		*seen |= 8;
		return 0;
	}
	kf_err("%s: unknown field '%s'", path, name);
	return -EINVAL;
bad64:
	kf_err("%s: %s: not base64 of at most the allowed size", path, name);
	return -EINVAL;
}

static int check(const char *path, const struct kf_sealfile *f)
{
	struct kf_sealed_header h;
	struct kf_policy p;

	if (kf_policy_decode(&p, f->policy, f->policy_len)) {
		kf_err("%s: policy: malformed policy bytes", path);
		return -EINVAL;
	}
	if (kf_sealed_header_decode(&h, f->sealed, f->sealed_len)) {
		kf_err("%s: sealed: not a keyferry sealed item of version 2",
		       path);
		return -EINVAL;
	}
	if ((h.alg == KF_SEAL_WRAP) != (p.unwrap_key[0] != 0)) {
		kf_err("%s: sealed: algorithm %u does not match the policy's "
		       "unwrap key", path, h.alg);
		return -EINVAL;
	}
	if (h.key_len != p.key_size) {
		kf_err("%s: sealed: holds %zu bytes, the policy says %u", path,
		       h.key_len, p.key_size);
		return -EINVAL;
	}
	return 0;
}

int kf_sealfile_read(const char *path, struct kf_sealfile *f)
{
	char *text, *line, *save, *colon;
	unsigned int seen = 0;
	uint8_t *buf;
	size_t len;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = kf_read_file(path, 64 * 1024, &buf, &len);
	if (ret) {
		kf_err("%s: %s", path, strerror(-ret));
		return ret;
	}
	text = (char *)buf;
	line = strtok_r(text, "\n", &save);
	if (line && !strcmp(line, "keyferry-sealed-item 1")) {
		kf_err("%s: a sealed item of protocol version 1: seal it again "
		       "with this keyferry-seal", path);
		ret = -EINVAL;
		goto out;
	}
	if (!line || strcmp(line, KF_SEALFILE_MAGIC)) {
		kf_err("%s: not a sealed-item file (first line must be '%s')",
		       path, KF_SEALFILE_MAGIC);
		ret = -EINVAL;
		goto out;
	}
	while (!ret && (line = strtok_r(NULL, "\n", &save))) {
		colon = strstr(line, ": ");
		if (!colon) {
			kf_err("%s: line '%.40s' is not 'field: value'", path,
			       line);
			ret = -EINVAL;
			break;
		}
		*colon = 0;
		ret = field(path, line, colon + 2, f, &seen);
	}
	if (!ret && seen != 15) {
		kf_err("%s: missing field (region, item, policy and sealed are "
		       "required)", path);
		ret = -EINVAL;
	}
	if (!ret)
		ret = check(path, f);
out:
	free(buf);
	return ret;
}
