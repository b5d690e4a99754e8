// SPDX-License-Identifier: MIT
/*
 * keyferry-admin's side of the repository's admin endpoint, over libcurl:
 * GET what the authority published or needs, POST a submission.  The
 * repository is not trusted here either: what comes back is checked
 * (signatures) or shown to the members who sign (keys, heads).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "tools/admin/admin.h"
#include "tools/cli/cli.h"

#define REPLY_MAX (4 << 20)
#define TIMEOUT_S 30L

const char *kf_admin_repository;

struct sink {
	uint8_t *buf;
	size_t len;
	bool overflow;
};

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	uint8_t *grown;

	if (s->len + len > REPLY_MAX) {
		s->overflow = true;
		return 0;
	}
	grown = realloc(s->buf, s->len + len + 1);
	if (!grown)
		return 0;
	s->buf = grown;
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	s->buf[s->len] = 0;	/* text replies print as they are */
	return len;
}

static int request(const char *path, const uint8_t *body, size_t len,
		   struct kf_reply_buf *r)
{
	struct curl_slist *hdr = NULL;
	struct sink s = { 0 };
	char url[2048];
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof(*r));
	if (!kf_admin_repository) {
		kf_err("no repository: give --repository URL (or set "
		       "KEYFERRY_REPOSITORY)");
		return -EINVAL;
	}
	if (snprintf(url, sizeof(url), "%s%s", kf_admin_repository, path) >=
	    (int)sizeof(url))
		return -ENAMETOOLONG;
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: "
					"application/octet-stream");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		free(s.buf);
		kf_err("%s: %s", url, s.overflow ? "reply too large" :
		       curl_easy_strerror(rc));
		return -EHOSTUNREACH;
	}
	r->body = s.buf;
	r->len = s.len;
	return 0;
}

int kf_admin_get(const char *path, struct kf_reply_buf *r)
{
	return request(path, NULL, 0, r);
}

int kf_admin_post(const char *path, const uint8_t *body, size_t len,
		  struct kf_reply_buf *r)
{
	return request(path, body, len, r);
}

void kf_reply_buf_free(struct kf_reply_buf *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* A refusal's text, trimmed, for the message that names what failed. */
const char *kf_reply_text(const struct kf_reply_buf *r)
{
	char *end;

	if (!r->body || !r->len)
		return "(no reason given)";
	end = (char *)r->body + r->len;
	while (end > (char *)r->body && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = 0;
	return (const char *)r->body;
}
