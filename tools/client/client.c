// SPDX-License-Identifier: MIT
/* A host's side of the protocol in userspace (see client.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/client/client.h"

int kf_client_init(struct kf_client *c, uint16_t port,
		   const uint8_t kd_pub[KF_KEY_SIZE])
{
	int ret;

	kf_httpc_init(&c->http, port, 10000);
	memcpy(c->kd_pub, kd_pub, KF_KEY_SIZE);
	memcpy(c->pins[0], kd_pub, KF_KEY_SIZE);
	c->n_pins = 1;
	memset(c->last_ts, 0, sizeof(c->last_ts));
	ret = kf_x25519_keygen(c->kei_priv, c->kei_pub);
	if (!ret)
		ret = kf_x25519_keygen(c->kec_priv, c->kec_pub);
	return ret;
}

void kf_client_wipe(struct kf_client *c)
{
	kf_httpc_close(&c->http);
	kf_wipe(c->kei_priv, sizeof(c->kei_priv));
	kf_wipe(c->kec_priv, sizeof(c->kec_priv));
}

static int pin_index(const struct kf_client *c, const uint8_t pub[KF_KEY_SIZE])
{
	unsigned int i;

	for (i = 0; i < c->n_pins; i++)
		if (!memcmp(c->pins[i], pub, KF_KEY_SIZE))
			return (int)i;
	return -1;
}

int kf_client_pin(struct kf_client *c, const uint8_t pub[KF_KEY_SIZE])
{
	if (pin_index(c, pub) >= 0)
		return -EEXIST;
	if (c->n_pins == KF_CLIENT_PINS)
		return -ENOSPC;
	memcpy(c->pins[c->n_pins++], pub, KF_KEY_SIZE);
	return 0;
}

int kf_client_unpin(struct kf_client *c, const uint8_t pub[KF_KEY_SIZE])
{
	int i = pin_index(c, pub);

	if (i < 0)
		return -ENOENT;
	memmove(c->pins[i], c->pins[i + 1],
		(c->n_pins - (unsigned int)i - 1) * KF_KEY_SIZE);
	c->n_pins--;
	if (!memcmp(c->kd_pub, pub, KF_KEY_SIZE))
		memset(c->kd_pub, 0, KF_KEY_SIZE);
	return 0;
}

int kf_client_use(struct kf_client *c, const uint8_t pub[KF_KEY_SIZE],
		  uint16_t port)
{
	if (pin_index(c, pub) < 0)
		return -EKEYREJECTED;
	memcpy(c->kd_pub, pub, KF_KEY_SIZE);
	if (port != c->http.port) {
		kf_httpc_close(&c->http);
		kf_httpc_init(&c->http, port, c->http.timeout_ms);
	}
	return 0;
}

int kf_client_challenge(struct kf_client *c, uint8_t nonce[KF_NONCE_SIZE])
{
	uint8_t buf[64];
	size_t len;
	int status, ret;

	ret = kf_httpc_request(&c->http, "POST", "/v1/enroll/challenge", NULL,
			       0, &status, buf, sizeof(buf), &len);
	if (ret)
		return ret;
	if (status != 200 || len != KF_NONCE_SIZE)
		return -EPROTO;
	memcpy(nonce, buf, KF_NONCE_SIZE);
	return 0;
}

int kf_client_exchange(struct kf_client *c, const char *path,
		       struct kf_request *rq, struct kf_reply *rp, int *http)
{
	static __thread uint8_t payload[KF_MESSAGE_MAX], msg[KF_MESSAGE_MAX];
	static const uint8_t none[KF_KEY_SIZE];
	struct kf_noise st;
	size_t plen, mlen;
	int ret;

	*http = 0;
	if (!memcmp(c->kd_pub, none, KF_KEY_SIZE))
		return -EKEYREJECTED;	/* the key it addressed was unpinned */
	kf_tai64n_next(rq->timestamp, c->last_ts);
	ret = kf_request_encode(rq, payload, sizeof(payload), &plen);
	if (ret)
		return ret;
	ret = kf_noise_initiator_write1(&st, msg, sizeof(msg), &mlen,
					c->kei_priv, c->kd_pub, NULL, payload,
					plen);
	if (ret)
		goto out;
	ret = kf_httpc_request(&c->http, "POST", path, msg, mlen, http, msg,
			       sizeof(msg), &mlen);
	if (ret)
		goto out;
	if (*http != 200 || mlen > sizeof(msg)) {
		ret = -EPROTO;
		goto out;
	}
	ret = kf_noise_initiator_read2(&st, payload, sizeof(payload), &plen,
				       msg, mlen);
	if (!ret)
		ret = kf_reply_decode(rp, payload, plen);
out:
	kf_noise_wipe(&st);
	return ret;
}

int kf_client_enroll(struct kf_client *c, const char *region,
		     const char *entity, const char *token,
		     struct kf_reply *rp)
{
	static __thread struct kf_request rq;
	int http, ret;

	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_ENROLL;
	snprintf(rq.region, sizeof(rq.region), "%s", region);
	snprintf(rq.entity, sizeof(rq.entity), "%s", entity);
	rq.token_len = strlen(token);
	if (rq.token_len > sizeof(rq.token))
		return -EINVAL;
	memcpy(rq.token, token, rq.token_len);
	memcpy(rq.kec_pub, c->kec_pub, KF_KEY_SIZE);
	ret = kf_client_challenge(c, rq.nonce);
	if (!ret)
		ret = kf_client_exchange(c, "/v1/enroll", &rq, rp, &http);
	kf_wipe(&rq, sizeof(rq));
	return ret;
}

int kf_client_fetch(struct kf_client *c, const char *item,
		    struct kf_reply *rp)
{
	static __thread struct kf_request rq;
	int http;

	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	rq.n_items = 1;
	snprintf(rq.items[0], sizeof(rq.items[0]), "%s", item);
	return kf_client_exchange(c, "/v1/transfer", &rq, rp, &http);
}
