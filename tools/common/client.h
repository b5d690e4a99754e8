/* SPDX-License-Identifier: MIT */
/*
 * A host's side of the protocol in userspace, for tests and the load
 * generator: the library's Noise initiator over kf_httpc.  A real host
 * keeps Kei and Kec in keyferry.ko; here they are plain memory.
 */
#ifndef KF_TOOLS_CLIENT_H
#define KF_TOOLS_CLIENT_H

#include "keyferry.h"
#include "tools/common/httpc.h"

struct kf_client {
	struct kf_httpc http;
	uint8_t kei_priv[KF_KEY_SIZE], kei_pub[KF_KEY_SIZE];
	uint8_t kec_priv[KF_KEY_SIZE], kec_pub[KF_KEY_SIZE];
	uint8_t kd_pub[KF_KEY_SIZE];
};

/* Fresh Kei and Kec, talking to the repository on 127.0.0.1:port. */
int kf_client_init(struct kf_client *c, uint16_t port,
		   const uint8_t kd_pub[KF_KEY_SIZE]);
void kf_client_wipe(struct kf_client *c);

int kf_client_challenge(struct kf_client *c, uint8_t nonce[KF_NONCE_SIZE]);
/*
 * Message 1 carrying rq to path, message 2 decoded into rp.  Returns 0
 * when an authenticated reply came back (rp->status says what it is), a
 * negative errno otherwise; *http is the HTTP status when there was one.
 */
int kf_client_exchange(struct kf_client *c, const char *path,
		       const struct kf_request *rq, struct kf_reply *rp,
		       int *http);
/* Challenge, then enroll as region/entity with token. */
int kf_client_enroll(struct kf_client *c, const char *region,
		     const char *entity, const char *token,
		     struct kf_reply *rp);
/* Fetch one item. */
int kf_client_fetch(struct kf_client *c, const char *item,
		    struct kf_reply *rp);

#endif /* KF_TOOLS_CLIENT_H */
