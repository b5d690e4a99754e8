// SPDX-License-Identifier: MIT
/*
 * The provider's way to its repositories: one HTTP POST, to each
 * repository in turn until one answers, over libcurl with a kept-alive
 * connection per thread (the server's worker threads forward requests,
 * the synchroniser has its own).
 *
 * As the host's helper does, a repository that answered speaks for all:
 * only one that could not be reached, timed out, or answered 502, 503 or
 * 504 (a proxy or a store down in front of it) sends the request on to
 * the next.  The bytes go as they came; nothing here reads them.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/provider/internal.h"

struct sink {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
};

static size_t sink_write(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	if (s->len + len > s->cap) {
		s->overflow = true;
		return 0;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return len;
}

static void curl_destroy(void *p)
{
	curl_easy_cleanup(p);
}

int kf_upstream_init(struct kf_upstream *u)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	if (pthread_key_create(&u->curl_key, curl_destroy)) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	u->headers = curl_slist_append(NULL,
				       "Content-Type: application/octet-stream");
	/* No "Expect: 100-continue" round trip before a body. */
	if (u->headers)
		u->headers = curl_slist_append(u->headers, "Expect:");
	if (!u->headers) {
		pthread_key_delete(u->curl_key);
		curl_global_cleanup();
		return -ENOMEM;
	}
	u->ready = true;
	return 0;
}

void kf_upstream_fini(struct kf_upstream *u)
{
	CURL *c;

	if (!u->ready)
		return;
	/* This thread's handle; the others went with their threads. */
	c = pthread_getspecific(u->curl_key);
	if (c)
		curl_easy_cleanup(c);
	pthread_setspecific(u->curl_key, NULL);
	pthread_key_delete(u->curl_key);
	curl_slist_free_all(u->headers);
	curl_global_cleanup();
	u->ready = false;
}

/* The calling thread's handle, kept for its connections. */
static CURL *handle(struct kf_upstream *u)
{
	CURL *c = pthread_getspecific(u->curl_key);

	if (c) {
		curl_easy_reset(c);
		return c;
	}
	c = curl_easy_init();
	if (c)
		pthread_setspecific(u->curl_key, c);
	return c;
}

/* One repository: the HTTP status, or -EHOSTUNREACH / -EIO. */
static int post_one(struct kf_upstream *u, CURL *c, const char *base,
		    const char *path, const uint8_t *body, size_t len,
		    struct sink *s)
{
	char url[KF_URL_MAX + 64];
	long status = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, u->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)u->timeout_s * 1000);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	s->len = 0;
	s->overflow = false;
	rc = curl_easy_perform(c);
	if (rc == CURLE_WRITE_ERROR && s->overflow) {
		kf_warn("%s: answered with more than %zu bytes", base, s->cap);
		return -EIO;
	}
	if (rc != CURLE_OK) {
		if (kf_verbose)
			kf_info("%s: %s", base, curl_easy_strerror(rc));
		return -EHOSTUNREACH;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 502 || status == 503 || status == 504)
		return -EHOSTUNREACH;
	return (int)status;
}

int kf_upstream_post(struct kf_upstream *u, const char *path,
		     const uint8_t *body, size_t len, uint8_t *resp,
		     size_t cap, size_t *resp_len)
{
	struct sink s = { .buf = resp, .cap = cap };
	unsigned int i;
	CURL *c = handle(u);
	int ret = -EHOSTUNREACH;

	if (!c)
		return -ENOMEM;
	for (i = 0; i < u->n_urls; i++) {
		ret = post_one(u, c, u->urls[i], path, body, len, &s);
		if (ret != -EHOSTUNREACH)
			break;
	}
	*resp_len = s.len;
	return ret;
}
