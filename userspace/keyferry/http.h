/* SPDX-License-Identifier: MIT */
/*
 * The helper's HTTP client (libcurl): it posts opaque handshake messages
 * to a repository and reads the opaque replies.  Nothing it carries can be
 * read or forged by it.
 */
#ifndef KEYFERRY_HTTP_H
#define KEYFERRY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define KF_HTTP_ERROR_MAX 256

struct kf_http_reply {
	long status;			/* HTTP status, 0 when none came */
	uint8_t *body;			/* malloc'd, NUL-terminated for text */
	size_t len;
	char error[KF_HTTP_ERROR_MAX];	/* why, when the call failed */
};

/* Once per process, before threads. */
int kf_http_global_init(void);

/*
 * POST body to base_url + path.  0 when a 2xx reply came, -EHOSTUNREACH
 * when none came (connection refused, timeout: try another repository),
 * -EREMOTEIO for a non-2xx status, -EMSGSIZE for a reply larger than
 * max_reply.  reply->error says why in words in every failing case.
 */
int kf_http_post(const char *base_url, const char *path, const void *body,
		 size_t len, size_t max_reply, long timeout_secs,
		 struct kf_http_reply *reply);
void kf_http_reply_free(struct kf_http_reply *reply);

#endif /* KEYFERRY_HTTP_H */
