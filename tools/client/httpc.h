/* SPDX-License-Identifier: MIT */
/*
 * A minimal HTTP/1.1 client over one kept-alive TCP connection, for the
 * tests and the load generator: it must cost little CPU next to the
 * server it measures, and tests need to send deliberately broken requests,
 * which a full client library would refuse to.  Not for production hosts
 * (their helper uses libcurl).
 */
#ifndef KF_TOOLS_HTTPC_H
#define KF_TOOLS_HTTPC_H

#include <stddef.h>
#include <stdint.h>

struct kf_httpc {
	int fd;
	uint16_t port;
	uint32_t source;	/* local IPv4 address (network order), 0: any */
	int timeout_ms;
	char head[1024];	/* the last response's header, NUL-ended */
	uint8_t buf[65536];	/* response header and body */
	size_t have;		/* bytes of the next response already read */
};

void kf_httpc_init(struct kf_httpc *c, uint16_t port, int timeout_ms);
int kf_httpc_connect(struct kf_httpc *c);
/* Connect from this local address (127.0.0.2, ...: tests playing several
 * clients on loopback); -EINVAL when it is not an IPv4 address. */
int kf_httpc_set_source(struct kf_httpc *c, const char *addr);
/* The value of a header of the last response into out, or NULL. */
const char *kf_httpc_header(const struct kf_httpc *c, const char *name,
			    char *out, size_t cap);
void kf_httpc_close(struct kf_httpc *c);

/*
 * One request; reconnects once if the kept-alive connection was closed.
 * On success *status is the HTTP status and the body is copied to resp
 * (truncated to cap; *resp_len is the full length).
 */
int kf_httpc_request(struct kf_httpc *c, const char *method, const char *path,
		     const void *body, size_t len, int *status, uint8_t *resp,
		     size_t cap, size_t *resp_len);

/* Send raw bytes on the connection (for broken-request tests). */
int kf_httpc_send_raw(struct kf_httpc *c, const void *p, size_t n);
/* Read one response after kf_httpc_send_raw(). */
int kf_httpc_read_response(struct kf_httpc *c, int *status, uint8_t *resp,
			   size_t cap, size_t *resp_len);

#endif /* KF_TOOLS_HTTPC_H */
