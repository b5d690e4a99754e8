// SPDX-License-Identifier: MIT
/*
 * The repository's side of a transfer or an enrollment: read message 1,
 * decide, answer with message 2.  Every answer after a completed Noise
 * message 1 is authenticated, refusals included, so a host can show why
 * it was refused and nobody in between can forge a refusal.  Every
 * decision is audited before the answer leaves.
 */
#include <errno.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "tools/common/repo_impl.h"
#include "tools/common/util.h"

#define OFF_TYPE	0
#define OFF_KID		8

/* Large and per request: thread-local rather than on the stack. */
struct work {
	struct kf_noise noise;
	struct kf_request rq;
	struct kf_reply rp;
	struct kf_fetch f;
	struct kf_entity e;
	uint8_t payload[KF_MESSAGE_MAX];
	char detail[KF_MAX_ITEMS * (KF_NAME_MAX + 24)];
	char subject[2 * KF_NAME_MAX + 2];
};
static __thread struct work w;

static struct kf_serverkey *pick_key(struct kf_repo *r, const uint8_t *msg)
{
	unsigned int i;

	for (i = 0; i < r->n_keys; i++)
		if (!memcmp(kf_serverkey_kid(r->keys[i]), msg + OFF_KID,
			    KF_KID_SIZE))
			return r->keys[i];
	return NULL;
}

static void refuse(uint32_t status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The message is cut at 255 bytes as the protocol wants; names are long. */
static void refuse(uint32_t status, const char *fmt, ...)
{
	va_list ap;

	w.rp.status = status;
	w.rp.n_items = 0;
	va_start(ap, fmt);
	vsnprintf(w.rp.message, sizeof(w.rp.message), fmt, ap);
	va_end(ap);
}

/* The entity's own state: known, not revoked, valid now. */
static int check_entity(struct kf_store *st, const uint8_t *kei, int64_t now)
{
	char kid[2 * KF_KID_SIZE + 1];
	uint8_t k[KF_KID_SIZE];
	int ret = kf_store_entity_by_kei(st, kei, &w.e);

	if (ret == -ENOENT) {
		kf_kid(kei, k);
		kf_hex(kid, k, sizeof(k));
		snprintf(w.subject, sizeof(w.subject), "kei:%s", kid);
		refuse(KF_STATUS_UNKNOWN_ENTITY, "%s", "unknown entity");
		return -1;
	}
	if (ret) {
		refuse(KF_STATUS_INTERNAL, "%s", "store unavailable");
		return -1;
	}
	snprintf(w.subject, sizeof(w.subject), "%s/%s", w.e.region, w.e.name);
	if (w.e.state != KF_ENTITY_ACTIVE) {
		refuse(KF_STATUS_REVOKED, "entity %s is revoked", w.e.name);
		return -1;
	}
	if (w.e.valid_from && now < w.e.valid_from) {
		refuse(KF_STATUS_NOT_VALID, "entity %s is not valid yet",
		       w.e.name);
		return -1;
	}
	return 0;
}

/* The data set's repository-side policy for this entity, now. */
static int check_dataset(struct kf_repo *r, const char *item, int64_t now)
{
	const struct kf_dataset *d = &w.f.ds;

	if (!w.f.allowed) {
		refuse(KF_STATUS_FORBIDDEN,
		       "data set %s does not allow this entity", d->name);
		return -1;
	}
	if ((d->not_before && now < d->not_before) ||
	    (d->not_after && now > d->not_after)) {
		refuse(KF_STATUS_FORBIDDEN, "data set %s is outside its "
		       "validity window", d->name);
		return -1;
	}
	if (d->rate_count &&
	    !kf_ratelimit_take(r->rl, w.e.id, d->id, d->rate_count,
			       d->rate_period, now)) {
		refuse(KF_STATUS_RATE_LIMITED, "rate limit of data set %s",
		       d->name);
		return -1;
	}
	return 0;
}

static int add_item(struct kf_repo *r, struct kf_store *st, const char *item,
		    int64_t now)
{
	struct kf_reply_item *ri;
	int ret = kf_store_fetch(st, &w.e, item, &w.f);

	if (ret == -ENOENT) {
		refuse(KF_STATUS_NO_ITEM, "no item %s", item);
		return -1;
	}
	if (ret == -EACCES) {
		refuse(KF_STATUS_FORBIDDEN, "item %s is not for this entity",
		       item);
		return -1;
	}
	if (ret) {
		refuse(KF_STATUS_INTERNAL, "%s", "store unavailable");
		return -1;
	}
	if (check_dataset(r, item, now))
		return -1;
	ri = &w.rp.items[w.rp.n_items++];
	memcpy(ri->name, item, sizeof(ri->name));	/* same size, NUL-ended */
	ri->version = w.f.version;
	memcpy(ri->policy, w.f.policy, w.f.policy_len);
	ri->policy_len = w.f.policy_len;
	memcpy(ri->sealed, w.f.sealed, w.f.sealed_len);
	ri->sealed_len = w.f.sealed_len;
	return 0;
}

/* Bytes an item adds to message 2: its TLV and the nested ones. */
static size_t item_wire_size(const struct kf_reply_item *ri)
{
	return 4 + 4 + strlen(ri->name) + 4 + 8 + 4 + ri->policy_len + 4 +
	       ri->sealed_len;
}

static bool requested_twice(unsigned int i)
{
	unsigned int j;

	for (j = 0; j < i; j++)
		if (!strcmp(w.rq.items[j], w.rq.items[i]))
			return true;
	return false;
}

static void do_fetch(struct kf_repo *r, struct kf_store *st, const uint8_t *kei)
{
	/* Message 2's header, tag, and a STATUS record. */
	size_t off = 0, size = KF_MSG2_MIN + 8;
	int64_t now = kf_now();
	unsigned int i;

	if (check_entity(st, kei, now))
		return;
	for (i = 0; i < w.rq.n_items; i++) {
		off += (size_t)snprintf(w.detail + off, sizeof(w.detail) - off,
					"%s%s", i ? "," : "items=",
					w.rq.items[i]);
		if (requested_twice(i)) {
			refuse(KF_STATUS_BAD_REQUEST, "item %s requested twice",
			       w.rq.items[i]);
			return;
		}
		if (add_item(r, st, w.rq.items[i], now))
			return;
		size += item_wire_size(&w.rp.items[i]);
		if (size > KF_MESSAGE_MAX) {
			refuse(KF_STATUS_BAD_REQUEST, "the reply would exceed "
			       "%d bytes: ask for fewer items at once",
			       KF_MESSAGE_MAX);
			return;
		}
	}
}

static void do_enroll(struct kf_store *st, const uint8_t *kei)
{
	struct kf_enroll_req er = {
		.token = w.rq.token, .token_len = w.rq.token_len,
		.nonce = w.rq.nonce, .region = w.rq.region,
		.entity = w.rq.entity, .kei_pub = kei, .kec_pub = w.rq.kec_pub,
	};
	char why[128];
	int ret = kf_store_enroll(st, &er, why, sizeof(why));

	/* The store audited it, refusal or not. */
	if (ret == -EPERM)
		refuse(KF_STATUS_BAD_TOKEN, "%s", why);
	else if (ret == -EEXIST)
		refuse(KF_STATUS_BAD_REQUEST, "%s", why);
	else if (ret)
		refuse(KF_STATUS_INTERNAL, "%s", "store unavailable");
	else
		memcpy(w.rp.entity, w.rq.entity, sizeof(w.rp.entity));
}

/*
 * Decide; returns whether an audit record is still to be written (a
 * request refused before any look-up).  Enrollments and fetches write
 * their own, in the transaction that decided.
 */
static bool decide(struct kf_repo *r, struct kf_store *st, bool enroll,
		   const uint8_t *kei, size_t plen)
{
	if (kf_request_decode(&w.rq, w.payload, plen)) {
		refuse(KF_STATUS_BAD_REQUEST, "%s", "malformed request");
		return true;
	}
	if ((w.rq.kind == KF_KIND_ENROLL) != enroll) {
		refuse(KF_STATUS_BAD_REQUEST, "%s", enroll ?
		       "not an enrollment request" : "enroll at /v1/enroll");
		return true;
	}
	if (enroll) {
		do_enroll(st, kei);
		return false;
	}
	/* The look-ups and the audit record in one transaction: the record
	 * describes exactly what was decided, and it costs one transaction. */
	if (kf_store_write_begin(st)) {
		refuse(KF_STATUS_INTERNAL, "%s", "store unavailable");
		return true;
	}
	do_fetch(r, st, kei);
	if (kf_store_write_end(st, kf_store_audit_in(st, "transfer",
			w.subject, kf_status_label(w.rp.status), w.detail))) {
		w.rp.n_items = 0;
		refuse(KF_STATUS_INTERNAL, "%s", "audit log unavailable");
	}
	return false;
}

static int answer(uint8_t *resp, size_t cap, size_t *resp_len)
{
	size_t plen;
	int ret;

	ret = kf_reply_encode(&w.rp, w.payload, sizeof(w.payload), &plen);
	if (ret) {
		/* Cannot happen with our own limits; say so authenticated. */
		memset(&w.rp, 0, sizeof(w.rp));
		refuse(KF_STATUS_INTERNAL, "%s", "reply too large");
		ret = kf_reply_encode(&w.rp, w.payload, sizeof(w.payload),
				      &plen);
		if (ret)
			return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	ret = kf_noise_responder_write2(&w.noise, resp, cap, resp_len, NULL,
					w.payload, plen);
	return ret ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_OK;
}

static int http_refusal(enum kf_http_refusal why, int http, const char *text,
			uint8_t *resp, size_t cap, size_t *resp_len)
{
	kf_metrics_refusal(why);
	*resp_len = (size_t)snprintf((char *)resp, cap, "%s\n", text);
	return http;
}

int kf_repo_handle(struct kf_repo *r, bool enroll, const uint8_t *msg,
		   size_t len, uint8_t *resp, size_t cap, size_t *resp_len)
{
	uint8_t kei[KF_KEY_SIZE];
	uint64_t t0 = kf_now_ns();
	struct kf_serverkey *key;
	struct kf_store *st;
	size_t plen;
	bool audit;
	int http;

	if (len < KF_MSG1_MIN || len > KF_MESSAGE_MAX || msg[OFF_TYPE] != 1 ||
	    msg[1] != 1 || msg[2] || msg[3])
		return http_refusal(KF_REFUSE_MALFORMED, MHD_HTTP_BAD_REQUEST,
				    "not a keyferry message 1", resp, cap,
				    resp_len);
	key = pick_key(r, msg);
	if (!key)
		return http_refusal(KF_REFUSE_UNKNOWN_KEY, MHD_HTTP_BAD_REQUEST,
				    "message 1 is addressed to a key this "
				    "repository does not hold", resp, cap,
				    resp_len);
	if (kf_serverkey_read1(key, &w.noise, w.payload, sizeof(w.payload),
			       &plen, kei, msg, len)) {
		kf_noise_wipe(&w.noise);
		return http_refusal(KF_REFUSE_HANDSHAKE, MHD_HTTP_BAD_REQUEST,
				    "handshake failed", resp, cap, resp_len);
	}
	st = r->writer;	/* only inside write transactions, see repo_impl.h */
	memset(&w.rp, 0, sizeof(w.rp.status) + sizeof(w.rp.message) +
	       sizeof(w.rp.n_items));
	w.rp.entity[0] = 0;
	w.detail[0] = 0;
	snprintf(w.subject, sizeof(w.subject), "-");
	if (!st) {
		refuse(KF_STATUS_INTERNAL, "%s", "store unavailable");
		audit = false;
	} else {
		audit = decide(r, st, enroll, kei, plen);
	}
	/* The request's plaintext (an enrollment token) is no longer needed. */
	kf_wipe(w.payload, plen);
	/* Audited before the answer leaves: no delivery without its record. */
	if (audit && kf_store_audit(st, "transfer", w.subject,
				    kf_status_label(w.rp.status), w.detail)) {
		w.rp.n_items = 0;
		refuse(KF_STATUS_INTERNAL, "%s", "audit log unavailable");
	}
	http = answer(resp, cap, resp_len);
	kf_noise_wipe(&w.noise);
	kf_wipe(&w.rq, sizeof(w.rq));
	kf_metrics_transfer(enroll, w.rp.status, kf_now_ns() - t0);
	return http;
}

int kf_repo_challenge(struct kf_repo *r, uint8_t nonce[KF_NONCE_SIZE])
{
	int ret = kf_random(nonce, KF_NONCE_SIZE);

	if (ret)
		return ret;
	/* The shared writer: kf_store_nonce_add() is one transaction. */
	return kf_store_nonce_add(r->writer, nonce,
				  kf_now() + r->cfg.nonce_ttl);
}
