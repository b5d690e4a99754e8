/* SPDX-License-Identifier: MIT */
/*
 * A host's side of the protocol in userspace, for tests and the load
 * generator: the library's Noise initiator over kf_httpc.  A real host
 * keeps Kei and Kec in keyferry.ko; here they are plain memory.
 */
#ifndef KF_TOOLS_CLIENT_H
#define KF_TOOLS_CLIENT_H

#include "keyferry.h"
#include "tools/client/httpc.h"

/* Distributor keys a host pins, as keyferry.ko does. */
#define KF_CLIENT_PINS 4

struct kf_client {
	struct kf_httpc http;
	uint8_t kei_priv[KF_KEY_SIZE], kei_pub[KF_KEY_SIZE];
	uint8_t kec_priv[KF_KEY_SIZE], kec_pub[KF_KEY_SIZE];
	uint8_t kd_pub[KF_KEY_SIZE];		/* the key it addresses */
	uint8_t pins[KF_CLIENT_PINS][KF_KEY_SIZE];
	unsigned int n_pins;
	uint8_t last_ts[KF_TIMESTAMP_SIZE];	/* the last request's */
};

/* Fresh Kei and Kec, talking to the repository on 127.0.0.1:port, whose
 * key kd_pub it pins and addresses. */
int kf_client_init(struct kf_client *c, uint16_t port,
		   const uint8_t kd_pub[KF_KEY_SIZE]);
void kf_client_wipe(struct kf_client *c);
/*
 * Pins: add a distributor key (-ENOSPC past KF_CLIENT_PINS, -EEXIST),
 * retire one (-ENOENT), and address a pinned one at a port from now on
 * (-EKEYREJECTED for a key not pinned, as the module's TRANSFER_BEGIN).
 */
int kf_client_pin(struct kf_client *c, const uint8_t pub[KF_KEY_SIZE]);
int kf_client_unpin(struct kf_client *c, const uint8_t pub[KF_KEY_SIZE]);
int kf_client_use(struct kf_client *c, const uint8_t pub[KF_KEY_SIZE],
		  uint16_t port);

int kf_client_challenge(struct kf_client *c, uint8_t nonce[KF_NONCE_SIZE]);
/*
 * Message 1 carrying rq to path, message 2 decoded into rp.  rq gets the
 * client's next timestamp, greater than every one it sent before, as a
 * host's secure processor does (docs/protocol.md section 3.3).  Returns
 * 0 when an authenticated reply came back (rp->status says what it is),
 * a negative errno otherwise; *http is the HTTP status when there was
 * one (-EPROTO with *http 409: the repository took it for a replay).
 * -EKEYREJECTED, with nothing sent, when the key it addressed was
 * unpinned since (tests may also set kd_pub directly).
 */
int kf_client_exchange(struct kf_client *c, const char *path,
		       struct kf_request *rq, struct kf_reply *rp, int *http);
/* Challenge, then enroll as region/entity with token. */
int kf_client_enroll(struct kf_client *c, const char *region,
		     const char *entity, const char *token,
		     struct kf_reply *rp);
/* Fetch one item. */
int kf_client_fetch(struct kf_client *c, const char *item,
		    struct kf_reply *rp);

#endif /* KF_TOOLS_CLIENT_H */
