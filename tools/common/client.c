// SPDX-License-Identifier: MIT
/* A host's side of the protocol in userspace (see client.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/common/client.h"

int kf_client_init(struct kf_client *c, uint16_t port,
		   const uint8_t kd_pub[KF_KEY_SIZE])
{
	int ret;

	kf_httpc_init(&c->http, port, 10000);
	memcpy(c->kd_pub, kd_pub, KF_KEY_SIZE);
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
		       const struct kf_request *rq, struct kf_reply *rp,
		       int *http)
{
	static __thread uint8_t payload[KF_MESSAGE_MAX], msg[KF_MESSAGE_MAX];
	struct kf_noise st;
	size_t plen, mlen;
	int ret;

	*http = 0;
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
