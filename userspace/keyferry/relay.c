// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "relay.h"

/* Post to each repository in turn until one answers with a 2xx. */
static int kf_relay_post(struct kf_relay *relay, const char *path,
			 const void *body, size_t len, size_t max_reply,
			 struct kf_http_reply *reply)
{
	int ret = -EHOSTUNREACH;
	unsigned int i;

	relay->repository = NULL;
	for (i = 0; i < relay->n_repositories; i++) {
		ret = kf_http_post(relay->repositories[i], path, body, len, max_reply,
				   relay->timeout, reply);
		if (!ret) {
			relay->repository = relay->repositories[i];
			return 0;
		}
		snprintf(relay->error, sizeof(relay->error), "%s", reply->error);
		/* A repository that answered with a refusal speaks for all. */
		if (ret != -EHOSTUNREACH)
			break;
	}
	if (!relay->n_repositories)
		snprintf(relay->error, sizeof(relay->error), "no repository configured");
	relay->stage = KF_RELAY_NETWORK;
	return ret;
}

int kf_relay_challenge(struct kf_relay *relay, uint8_t nonce[KEYFERRY_NONCE_SIZE])
{
	struct kf_http_reply reply;
	int ret;

	ret = kf_relay_post(relay, "/v1/enroll/challenge", "", 0, 4096, &reply);
	if (ret)
		return ret;
	if (reply.len != KEYFERRY_NONCE_SIZE) {
		snprintf(relay->error, sizeof(relay->error),
			 "%s: enroll challenge is %zu bytes, not %d", relay->repository,
			 reply.len, KEYFERRY_NONCE_SIZE);
		kf_http_reply_free(&reply);
		relay->stage = KF_RELAY_NETWORK;
		return -EPROTO;
	}
	memcpy(nonce, reply.body, KEYFERRY_NONCE_SIZE);
	kf_http_reply_free(&reply);
	return 0;
}

/*
 * A repository answers 409 when message 1's TIMESTAMP is not newer than the
 * last one it accepted from this entity (docs/protocol.md 3.3): a replay,
 * or another transfer of this host that overtook this one.  The module's
 * next message 1 carries a newer timestamp, so the transfer is begun anew
 * (as WireGuard does with a handshake initiation).  A wall clock set back
 * stays refused until it passes the last accepted timestamp, which
 * retrying at once cannot help: after KF_RELAY_TRIES the 409 is the answer.
 */
#define KF_RELAY_TRIES	3
#define KF_HTTP_CONFLICT	409

/* One transfer; *reordered when the repository answered 409. */
static int kf_relay_once(struct kf_genl *g, struct kf_relay *relay,
			 const struct kf_transfer_begin *begin, const char *path,
			 struct kf_message *msg1, struct kf_installed *out,
			 bool *reordered)
{
	struct kf_http_reply reply;
	int ret;

	*reordered = false;
	relay->stage = KF_RELAY_OK;
	relay->error[0] = '\0';
	ret = kf_genl_transfer_begin(g, begin, msg1);
	if (ret) {
		relay->stage = KF_RELAY_BEGIN;
		snprintf(relay->error, sizeof(relay->error), "the module refused to begin: %s%s%s",
			 strerror(-ret), g->ext_msg[0] ? ": " : "", g->ext_msg);
		return ret;
	}
	ret = kf_relay_post(relay, path, msg1->data, msg1->len, KEYFERRY_MESSAGE_MAX, &reply);
	if (ret) {
		*reordered = ret == -EREMOTEIO && reply.status == KF_HTTP_CONFLICT;
		kf_genl_transfer_abandon(g, msg1->transfer_id);
		return ret;
	}
	ret = kf_genl_transfer_finish(g, msg1->transfer_id, reply.body, reply.len,
				      relay->keyring, out);
	kf_http_reply_free(&reply);
	if (ret) {
		relay->stage = KF_RELAY_FINISH;
		snprintf(relay->error, sizeof(relay->error), "%s%s%s", strerror(-ret),
			 g->ext_msg[0] ? ": " : "", g->ext_msg);
	}
	return ret;
}

int kf_relay_transfer(struct kf_genl *g, struct kf_relay *relay,
		      const struct kf_transfer_begin *begin, const char *path,
		      struct kf_installed *out)
{
	struct kf_message *msg1;
	bool reordered = true;
	unsigned int try;
	int ret = 0;

	msg1 = malloc(sizeof(*msg1));
	if (!msg1)
		return -ENOMEM;
	for (try = 0; try < KF_RELAY_TRIES && reordered; try++) {
		ret = kf_relay_once(g, relay, begin, path, msg1, out, &reordered);
		relay->reordered += reordered;
	}
	free(msg1);
	return ret;
}
