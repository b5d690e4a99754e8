// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "http.h"

struct kf_sink {
	struct kf_http_reply *reply;
	size_t max;
	int overflow;
};

int kf_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

/* Collects the body, refusing to grow past the limit. */
static size_t kf_sink_write(char *data, size_t size, size_t n, void *arg)
{
	struct kf_sink *s = arg;
	struct kf_http_reply *r = s->reply;
	size_t len = size * n;
	uint8_t *grown;

	if (r->len + len > s->max) {
		s->overflow = 1;
		return 0;
	}
	grown = realloc(r->body, r->len + len + 1);
	if (!grown)
		return 0;
	r->body = grown;
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

void kf_http_reply_free(struct kf_http_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
	reply->len = 0;
}

static int kf_curl_error(CURLcode rc, struct kf_http_reply *reply, const char *url)
{
	snprintf(reply->error, sizeof(reply->error), "%.200s: %s", url, curl_easy_strerror(rc));
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
		return -EHOSTUNREACH;
	default:
		return -EIO;
	}
}

int kf_http_post(const char *base_url, const char *path, const void *body,
		 size_t len, size_t max_reply, long timeout_secs,
		 struct kf_http_reply *reply)
{
	struct kf_sink sink = { .reply = reply, .max = max_reply };
	struct curl_slist *headers = NULL;
	char url[1024];
	CURLcode rc;
	CURL *curl;
	int ret = 0;

	memset(reply, 0, sizeof(*reply));
	if (snprintf(url, sizeof(url), "%s%s", base_url, path) >= (int)sizeof(url)) {
		snprintf(reply->error, sizeof(reply->error), "repository URL too long");
		return -EINVAL;
	}
	curl = curl_easy_init();
	if (!curl)
		return -ENOMEM;
	headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, kf_sink_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout_secs < 5 ? timeout_secs : 5L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_secs);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	/* Only http and https; never follow a redirect somewhere else. */
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "keyferry/" KEYFERRY_VERSION);

	rc = curl_easy_perform(curl);
	if (sink.overflow) {
		snprintf(reply->error, sizeof(reply->error),
			 "%.200s: reply larger than %zu bytes", url, max_reply);
		ret = -EMSGSIZE;
	} else if (rc != CURLE_OK) {
		ret = kf_curl_error(rc, reply, url);
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
		if (reply->status < 200 || reply->status > 299) {
			snprintf(reply->error, sizeof(reply->error), "%.200s: HTTP %ld%s%.*s", url,
				 reply->status, reply->len ? ": " : "",
				 (int)(reply->len > 120 ? 120 : reply->len),
				 reply->body ? (const char *)reply->body : "");
			ret = reply->status >= 500 ? -EHOSTUNREACH : -EREMOTEIO;
		}
	}
	if (ret)
		kf_http_reply_free(reply);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return ret;
}
