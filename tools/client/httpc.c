// SPDX-License-Identifier: MIT
/* A minimal HTTP/1.1 client for tests and the load generator. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tools/client/httpc.h"

void kf_httpc_init(struct kf_httpc *c, uint16_t port, int timeout_ms)
{
	c->fd = -1;
	c->port = port;
	c->source = 0;
	c->timeout_ms = timeout_ms;
	c->have = 0;
	c->head[0] = 0;
}

int kf_httpc_set_source(struct kf_httpc *c, const char *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, addr, &a) != 1)
		return -EINVAL;
	c->source = a.s_addr;
	return 0;
}

int kf_httpc_connect(struct kf_httpc *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1;

	kf_httpc_close(c);
	sa.sin_port = htons(c->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->source) {
		struct sockaddr_in src = { .sin_family = AF_INET };

		src.sin_addr.s_addr = c->source;
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src))) {
			int ret = -errno;

			kf_httpc_close(c);
			return ret;
		}
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int ret = -errno;

		kf_httpc_close(c);
		return ret;
	}
	return 0;
}

void kf_httpc_close(struct kf_httpc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->have = 0;
}

static int wait_fd(struct kf_httpc *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int r;

	do
		r = poll(&p, 1, c->timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

int kf_httpc_send_raw(struct kf_httpc *c, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;
	int ret;

	while (n) {
		ret = wait_fd(c, POLLOUT);
		if (ret)
			return ret;
		w = send(c->fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fill(struct kf_httpc *c)
{
	ssize_t r;
	int ret;

	if (c->have == sizeof(c->buf))
		return -EMSGSIZE;
	ret = wait_fd(c, POLLIN);
	if (ret)
		return ret;
	r = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ECONNRESET;
	c->have += (size_t)r;
	return 0;
}

static long header_length(const uint8_t *buf, size_t hdr_len)
{
	const char *p = (const char *)buf, *end = p + hdr_len;
	static const char name[] = "\r\ncontent-length:";

	for (; p + sizeof(name) - 1 < end; p++)
		if (!strncasecmp(p, name, sizeof(name) - 1))
			return strtol(p + sizeof(name) - 1, NULL, 10);
	return -1;
}

int kf_httpc_read_response(struct kf_httpc *c, int *status, uint8_t *resp,
			   size_t cap, size_t *resp_len)
{
	uint8_t *hdr_end = NULL;
	size_t hdr_len, total;
	long body;
	int ret;

	while (!(c->have >= 4 &&
		 (hdr_end = memmem(c->buf, c->have, "\r\n\r\n", 4)))) {
		ret = fill(c);
		if (ret)
			return ret;
	}
	hdr_len = (size_t)(hdr_end - c->buf) + 4;
	snprintf(c->head, sizeof(c->head), "%.*s",
		 (int)(hdr_len < sizeof(c->head) ? hdr_len - 2 :
		       sizeof(c->head) - 1), (const char *)c->buf);
	if (sscanf((const char *)c->buf, "HTTP/1.%*d %d", status) != 1)
		return -EPROTO;
	body = header_length(c->buf, hdr_len);
	if (body < 0 || (size_t)body > sizeof(c->buf) - hdr_len)
		return -EPROTO;
	total = hdr_len + (size_t)body;
	while (c->have < total) {
		ret = fill(c);
		if (ret)
			return ret;
	}
	*resp_len = (size_t)body;
	memcpy(resp, c->buf + hdr_len, (size_t)body < cap ? (size_t)body : cap);
	memmove(c->buf, c->buf + total, c->have - total);
	c->have -= total;
	return 0;
}

const char *kf_httpc_header(const struct kf_httpc *c, const char *name,
			    char *out, size_t cap)
{
	const char *p = c->head, *end;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (strncasecmp(p, name, n) || p[n] != ':')
			continue;
		p += n + 1;
		while (*p == ' ')
			p++;
		end = strstr(p, "\r\n");
		snprintf(out, cap, "%.*s", (int)(end ? end - p : (long)strlen(p)),
			 p);
		return out;
	}
	return NULL;
}

static int once(struct kf_httpc *c, const char *method, const char *path,
		const void *body, size_t len, int *status, uint8_t *resp,
		size_t cap, size_t *resp_len)
{
	char head[256];
	int n, ret;

	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Content-Type: application/octet-stream\r\n"
		     "Content-Length: %zu\r\n\r\n", method, path, len);
	if (n < 0 || n >= (int)sizeof(head))
		return -EINVAL;
	if (len && len < 4096) {
		/* One segment for small bodies: saves a syscall and a
		 * round of Nagle-less packets per request. */
		uint8_t one[4352];

		memcpy(one, head, (size_t)n);
		memcpy(one + n, body, len);
		ret = kf_httpc_send_raw(c, one, (size_t)n + len);
	} else {
		ret = kf_httpc_send_raw(c, head, (size_t)n);
		if (!ret && len)
			ret = kf_httpc_send_raw(c, body, len);
	}
	if (ret)
		return ret;
	return kf_httpc_read_response(c, status, resp, cap, resp_len);
}

int kf_httpc_request(struct kf_httpc *c, const char *method, const char *path,
		     const void *body, size_t len, int *status, uint8_t *resp,
		     size_t cap, size_t *resp_len)
{
	int ret;

	if (c->fd < 0) {
		ret = kf_httpc_connect(c);
		if (ret)
			return ret;
	}
	ret = once(c, method, path, body, len, status, resp, cap, resp_len);
	if (ret == -ECONNRESET || ret == -EPIPE) {
		/* The server closed the kept-alive connection: once more. */
		ret = kf_httpc_connect(c);
		if (!ret)
			ret = once(c, method, path, body, len, status, resp,
				   cap, resp_len);
	}
	return ret;
}
