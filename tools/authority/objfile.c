// SPDX-License-Identifier: MIT
/*
 * Files of signed objects, as members and relying parties keep and pass
 * them (docs/protocol.md 8.7): a first line naming what the file holds
 * ("keyferry-submission 1", "keyferry-certificate 1",
 * "keyferry-revocation-list 1"), comment lines starting with '#' (what
 * the file holds, for people; never read back), then the object's bytes
 * in base64, in lines of up to 76 characters.  Text, so that a file can
 * be mailed, pasted, printed and read before it is signed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/authority/objfile.h"
#include "tools/cli/cli.h"

#define LINE 76

int kf_objfile_write(const char *path, const char *magic, const char *notes,
		     const uint8_t *bytes, size_t len)
{
	size_t b64_cap = (len + 2) / 3 * 4 + 1, text_cap, off, i, n;
	char *b64 = malloc(b64_cap), *text;
	int ret = -ENOMEM;

	if (!b64)
		return ret;
	text_cap = strlen(magic) + strlen(notes) + b64_cap + b64_cap / LINE +
		   8;
	text = malloc(text_cap);
	if (!text)
		goto out;
	ret = kf_base64_encode(b64, b64_cap, bytes, len) < 0 ? -EINVAL : 0;
	if (ret)
		goto out;
	off = (size_t)snprintf(text, text_cap, "%s\n%s", magic, notes);
	n = strlen(b64);
	for (i = 0; i < n; i += LINE)
		off += (size_t)snprintf(text + off, text_cap - off, "%.*s\n",
					LINE, b64 + i);
	if (!strcmp(path, "-"))
		ret = fwrite(text, 1, off, stdout) == off ? 0 : -EIO;
	else
		ret = kf_write_file(path, text, off, 0644);
out:
	free(text);
	free(b64);
	return ret;
}

int kf_objfile_kind(const char *path, char *magic, size_t cap)
{
	char line[64];
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		ret = -EINVAL;
	fclose(f);
	if (!ret) {
		line[strcspn(line, "\n")] = 0;
		snprintf(magic, cap, "%s", line);
	}
	return ret;
}

int kf_objfile_read(const char *path, const char *magic, uint8_t **bytes,
		    size_t *len)
{
	char *text, *line, *save, *b64;
	size_t n, off = 0;
	uint8_t *buf;
	int ret;

	*bytes = NULL;
	ret = kf_read_file(path, 4 * KF_SUBMISSION_MAX, &buf, &n);
	if (ret) {
		kf_err("%s: %s", path, strerror(-ret));
		return ret;
	}
	text = (char *)buf;
	b64 = malloc(n + 1);
	if (!b64) {
		free(buf);
		return -ENOMEM;
	}
	line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, magic)) {
		kf_err("%s: not a file of kind \"%s\"", path, magic);
		ret = -EINVAL;
		goto out;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (line[0] == '#' || !line[0])
			continue;
		memcpy(b64 + off, line, strlen(line));
		off += strlen(line);
	}
	b64[off] = 0;
	*bytes = malloc(off / 4 * 3 + 3);
	if (!*bytes) {
		ret = -ENOMEM;
		goto out;
	}
	if (kf_base64_decode(*bytes, off / 4 * 3 + 3, len, b64) < 0) {
		kf_err("%s: the body is not base64", path);
		free(*bytes);
		*bytes = NULL;
		ret = -EINVAL;
	}
out:
	free(b64);
	free(buf);
	return ret;
}
