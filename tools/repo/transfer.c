// SPDX-License-Identifier: MIT
/*
 * The repository's side of a transfer or an enrollment: read message 1,
 * decide, answer with message 2.  Every answer after a completed Noise
 * message 1 is authenticated, refusals included, so a host can show why
 * it was refused and nobody in between can forge a refusal.  Every
 * decision about a known entity or token is audited before the answer
 * leaves; refusals of strangers (an unknown Kei, a request that does not
 * decode, a bad nonce, an unknown token), which anyone can make with a
 * fresh key, are decided with reads only and aggregated (refusals.c), so
 * that strangers never make the repository write.
 *
 * Two exceptions, by design.  A replayed (or reordered) fetch, whose
 * TIMESTAMP is not newer than the last one accepted from its Kei, is
 * refused with HTTP 409 before any database write: no decision, no
 * audit record, no rate-limit spend (docs/protocol.md section 3.3).  And
 * an item that does not exist and one the entity may not have get the
 * same answer, "not available", so that an entity cannot list a region's
 * item names; the audit record keeps the true reason.
 */
#include <errno.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/repo/internal.h"

#define OFF_TYPE	0
#define OFF_VERSION	1
#define OFF_KID		8

/* Large and per request: thread-local rather than on the stack. */
struct work {
	struct kf_noise noise;
	struct kf_request rq;
	struct kf_reply rp;
	struct kf_fetch f;
	struct kf_entity e;
	uint8_t payload[KF_MESSAGE_MAX];
	char detail[KF_MAX_ITEMS * (KF_NAME_MAX + 24) + 64];
	char subject[2 * KF_NAME_MAX + 2];
	const char *reason;	/* audit result when not the status's label */
	bool replayed;		/* message 1's timestamp was not newer */
	bool ts_accepted;	/* ...and was, and the store took it */
};
static __thread struct work w;

struct kf_serverkey *kf_repo_key(struct kf_repo *r, const uint8_t *kid)
{
	unsigned int i;

	for (i = 0; i < r->n_keys; i++)
		if (!memcmp(kf_serverkey_kid(r->keys[i]), kid, KF_KID_SIZE))
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
	w.reason = NULL;
	va_start(ap, fmt);
	vsnprintf(w.rp.message, sizeof(w.rp.message), fmt, ap);
	va_end(ap);
}

/*
 * The same answer for every item the entity cannot have, whatever the
 * reason; only the audit record (result, and the detail) says which.
 */
static void not_available(const char *item, const char *reason)
{
	size_t off = strlen(w.detail);

	refuse(KF_STATUS_NOT_AVAILABLE, "item %s is not available to this "
	       "entity", item);
	w.reason = reason;
	snprintf(w.detail + off, sizeof(w.detail) - off, " refused=%s",
		 item);
}

/*
 * A secure provider decides only on a recent enough copy of the
 * repository's rows (docs/operations.md section 11); past its bound it
 * refuses everyone, before any look-up.
 */
static int copy_stale(struct kf_repo *r, const uint8_t *kei)
{
	char why[KF_STATUS_TEXT_MAX + 1], kid[2 * KF_KID_SIZE + 1];
	uint8_t k[KF_KID_SIZE];

	if (!r->cfg.usable || r->cfg.usable(r->cfg.ctx, why, sizeof(why)))
		return 0;
	kf_kid(kei, k);
	kf_hex(kid, k, sizeof(k));
	snprintf(w.subject, sizeof(w.subject), "kei:%s", kid);
	refuse(KF_STATUS_INTERNAL, "%s", why);
	w.reason = "stale";
	return -1;
}

/*
 * The entity's own state: known, fresh, not revoked, valid now.  w.e holds
 * the row fetch() read before the transaction; freshness (docs/protocol.md
 * section 3.3) is the transaction's first write, and the same statement
 * reads the row again under the write lock, so that a revocation is
 * either before this decision or after it.  A known entity's message
 * counts, whatever its state: replaying a revoked host's request must not
 * make us decide again.  A replay writes nothing.
 */
static int check_entity(struct kf_store *st, const uint8_t *kei, int64_t now)
{
	char kid[2 * KF_KID_SIZE + 1];
	uint8_t k[KF_KID_SIZE];
	int ret = kf_store_entity_accept(st, w.e.id, kei, w.rq.timestamp, &w.e);

	/* By name once a row was read (here or before, by fetch()). */
	if (w.e.name[0] && ret != -ENOENT) {
		snprintf(w.subject, sizeof(w.subject), "%s/%s", w.e.region,
			 w.e.name);
	} else {
		kf_kid(kei, k);
		kf_hex(kid, k, sizeof(k));
		snprintf(w.subject, sizeof(w.subject), "kei:%s", kid);
	}
	if (ret == -ENOENT) {
		refuse(KF_STATUS_UNKNOWN_ENTITY, "%s", "unknown entity");
		return -1;
	}
	if (ret == -ESTALE) {
		w.replayed = true;
		return -1;
	}
	if (ret) {
		refuse(KF_STATUS_INTERNAL, "%s", "store unavailable");
		return -1;
	}
	w.ts_accepted = true;
	if (w.e.state == KF_ENTITY_REVOKED) {
		refuse(KF_STATUS_REVOKED, "entity %s is revoked", w.e.name);
		return -1;
	}
	if (w.e.state == KF_ENTITY_PENDING) {
		refuse(KF_STATUS_NOT_VALID, "entity %s awaits the authority's "
		       "approval", w.e.name);
		return -1;
	}
	if (w.e.state != KF_ENTITY_ACTIVE) {
		refuse(KF_STATUS_INTERNAL, "entity %s is in no known state",
		       w.e.name);
		return -1;
	}
	if (w.e.valid_from && now < w.e.valid_from) {
		refuse(KF_STATUS_NOT_VALID, "entity %s is not valid yet",
		       w.e.name);
		return -1;
	}
	/* The authority's certificate ends here: a new approval renews it. */
	if (w.e.not_after && now >= w.e.not_after) {
		refuse(KF_STATUS_NOT_VALID, "the certificate of entity %s "
		       "expired", w.e.name);
		return -1;
	}
	return 0;
}

/* The data set's repository-side policy for this entity, now. */
static int check_dataset(struct kf_repo *r, const char *item, int64_t now)
{
	const struct kf_dataset *d = &w.f.ds;

	if (!w.f.allowed) {
		not_available(item, "dataset_not_allowed");
		return -1;
	}
	if ((d->not_before && now < d->not_before) ||
	    (d->not_after && now > d->not_after)) {
		not_available(item, "dataset_window");
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
		not_available(item, "no_item");
		return -1;
	}
	if (ret == -EACCES) {
		not_available(item, "not_sealed_for_entity");
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
	memcpy(ri->policy, w.f.policy, w.f.policy_len);
	ri->policy_len = w.f.policy_len;
	memcpy(ri->sealed, w.f.sealed, w.f.sealed_len);
	ri->sealed_len = w.f.sealed_len;
	return 0;
}

/* Bytes an item adds to message 2: its TLV and the nested ones. */
static size_t item_wire_size(const struct kf_reply_item *ri)
{
	return 4 + 4 + strlen(ri->name) + 4 + ri->policy_len + 4 +
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

	if (copy_stale(r, kei) || check_entity(st, kei, now))
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
		/* which version left, for the audit record */
		off += (size_t)snprintf(w.detail + off, sizeof(w.detail) - off,
					"@%llu",
					(unsigned long long)w.f.version);
		size += item_wire_size(&w.rp.items[i]);
		if (size > KF_MESSAGE_MAX) {
			refuse(KF_STATUS_BAD_REQUEST, "the reply would exceed "
			       "%d bytes: ask for fewer items at once",
			       KF_MESSAGE_MAX);
			return;
		}
	}
}

/* A stranger's refusal: counted, aggregated, never a write of its own. */
static void refuse_stranger(struct kf_repo *r, enum kf_agg kind,
			    const uint8_t *kei, uint32_t status,
			    const char *why)
{
	kf_refusals_note(r->refusals, kind, kei);
	refuse(status, "%s", why);
}

static void do_enroll(struct kf_repo *r, const uint8_t *kei)
{
	struct kf_enroll_req er = {
		.token = w.rq.token, .token_len = w.rq.token_len,
		.nonce = w.rq.nonce, .region = w.rq.region,
		.entity = w.rq.entity, .kei_pub = kei, .kec_pub = w.rq.kec_pub,
	};
	struct kf_store *rs;
	char why[128];
	int ret;

	/* Ours and fresh: an HMAC, before any database work. */
	if (kf_challenge_check(r, w.rq.nonce, kf_now(), &er.nonce_expires)) {
		refuse_stranger(r, KF_AGG_BAD_NONCE, kei, KF_STATUS_BAD_TOKEN,
				"nonce unknown, used or expired");
		return;
	}
	/* Used already, or a token nobody made: reads only. */
	rs = kf_repo_store(r);
	ret = rs ? kf_store_enroll_precheck(rs, &er, why, sizeof(why)) : -EIO;
	if (ret == -EIO && rs)	/* a stale connection: see fetch() */
		ret = kf_store_enroll_precheck(rs, &er, why, sizeof(why));
	if (ret == -EPERM) {
		refuse_stranger(r, strcmp(why, "unknown token") ?
				KF_AGG_USED_NONCE : KF_AGG_UNKNOWN_TOKEN, kei,
				KF_STATUS_BAD_TOKEN, why);
		return;
	}
	if (ret) {
		refuse(KF_STATUS_INTERNAL, "%s", "store unavailable");
		return;
	}
	ret = kf_store_enroll(r->writer, &er, why, sizeof(why));
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

struct fetch_ctx {
	struct kf_repo *r;
	const uint8_t *kei;
};

/*
 * The look-ups and the record, in the batch's transaction (batch.c).  A
 * replay, whose timestamp the store refused without writing anything,
 * adds no record and does not doom the batch.
 */
static int fetch_work(void *ctx, struct kf_store *st)
{
	struct fetch_ctx *c = ctx;

	do_fetch(c->r, st, c->kei);
	if (w.replayed)
		return 0;
	return kf_store_audit_in(st, "transfer", w.subject, w.reason ?
				 w.reason : kf_status_label(w.rp.status),
				 w.detail);
}

/* Record the decision; only then may the answer leave. */
static void audit(struct kf_repo *r, struct kf_store *st, const uint8_t *kei)
{
	struct fetch_ctx c = { .r = r, .kei = kei };

	if (kf_batch_run(r->batch, st, fetch_work, &c)) {
		w.rp.n_items = 0;
		refuse(KF_STATUS_INTERNAL, "%s", "audit log unavailable");
		return;
	}
	/* Committed: the table in memory may take the timestamp now. */
	if (w.ts_accepted)
		kf_freshness_accepted(r->fresh, kei, w.rq.timestamp, w.e.id);
}

/*
 * A fetch: the Kei is looked up with a read first, so that an unknown one
 * is refused without taking the write lock; a known entity's look-ups and
 * the audit record of the decision are then done in a write transaction
 * (a batch's, batch.c), in which its state is read again and its
 * timestamp checked and stored.  A replay this process has already seen
 * is refused without touching the database at all, and an entity whose
 * fetch this process has committed before goes straight to the
 * transaction (its id remembered with its timestamp, freshness.c).
 */
static void fetch(struct kf_repo *r, const uint8_t *kei)
{
	struct kf_store *rs;
	int64_t known;
	int ret;

	if (kf_freshness_replayed(r->fresh, kei, w.rq.timestamp, &known)) {
		w.replayed = true;
		return;
	}
	if (known) {
		memset(&w.e, 0, sizeof(w.e));
		w.e.id = known;
		audit(r, r->writer, kei);
		return;
	}
	rs = kf_repo_store(r);
	ret = rs ? kf_store_entity_by_kei(rs, kei, &w.e) : -EIO;
	/* This thread's reading connection may have sat idle across a
	 * restart of the database: its first query fails, and the next one
	 * reconnects (tools/store/pg.c).  Once more, then. */
	if (ret == -EIO && rs)
		ret = kf_store_entity_by_kei(rs, kei, &w.e);
	if (ret == -ENOENT) {
		refuse_stranger(r, KF_AGG_UNKNOWN_ENTITY, kei,
				KF_STATUS_UNKNOWN_ENTITY, "unknown entity");
		return;
	}
	if (ret) {
		refuse(KF_STATUS_INTERNAL, "%s", "store unavailable");
		return;
	}
	/* The look-ups and the audit record in one transaction, which
	 * concurrent transfers share: the record describes exactly what was
	 * decided, and the commit is paid once for the batch. */
	audit(r, r->writer, kei);
}

static void decide(struct kf_repo *r, bool enroll, const uint8_t *kei,
		   size_t plen)
{
	if (kf_request_decode(&w.rq, w.payload, plen)) {
		refuse_stranger(r, KF_AGG_MALFORMED, kei,
				KF_STATUS_BAD_REQUEST, "malformed request");
		return;
	}
	if ((w.rq.kind == KF_KIND_ENROLL) != enroll) {
		refuse_stranger(r, KF_AGG_MALFORMED, kei,
				KF_STATUS_BAD_REQUEST, enroll ?
				"not an enrollment request" :
				"enroll at /v1/enroll");
		return;
	}
	/* An enrollment's freshness is its one-time nonce (section 3.3). */
	if (enroll)
		do_enroll(r, kei);
	else
		fetch(r, kei);
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

/* Message 1's routing header, before any cryptography: 0, or the HTTP
 * refusal already written to resp. */
static int check_header(const uint8_t *msg, size_t len, uint8_t *resp,
			size_t cap, size_t *resp_len)
{
	if (len < KF_MSG1_MIN || len > KF_MESSAGE_MAX || msg[OFF_TYPE] != 1 ||
	    msg[2] || msg[3])
		return http_refusal(KF_REFUSE_MALFORMED, MHD_HTTP_BAD_REQUEST,
				    "not a keyferry message 1", resp, cap,
				    resp_len);
	if (msg[OFF_VERSION] != KF_PROTOCOL_VERSION)
		return http_refusal(KF_REFUSE_MALFORMED, MHD_HTTP_BAD_REQUEST,
				    "keyferry message 1 of another protocol "
				    "version: this repository speaks version 2",
				    resp, cap, resp_len);
	return 0;
}

/* The per-request state a decision fills, emptied. */
static void work_reset(void)
{
	memset(&w.rp, 0, sizeof(w.rp.status) + sizeof(w.rp.message) +
	       sizeof(w.rp.n_items));
	w.rp.entity[0] = 0;
	w.detail[0] = 0;
	w.reason = NULL;
	w.replayed = false;
	w.ts_accepted = false;
	snprintf(w.subject, sizeof(w.subject), "-");
}

/* A replay gets no message 2 (section 3.3 of the protocol). */
static int replay_refusal(uint8_t *resp, size_t cap, size_t *resp_len)
{
	kf_noise_wipe(&w.noise);
	kf_wipe(&w.rq, sizeof(w.rq));
	return http_refusal(KF_REFUSE_REPLAY, MHD_HTTP_CONFLICT,
			    "replayed or reordered request: its timestamp is "
			    "not newer than the last one accepted from this "
			    "entity; begin a new transfer", resp, cap,
			    resp_len);
}

int kf_repo_handle(struct kf_repo *r, bool enroll, const uint8_t *msg,
		   size_t len, uint8_t *resp, size_t cap, size_t *resp_len)
{
	uint8_t kei[KF_KEY_SIZE];
	uint64_t t0 = kf_now_ns();
	struct kf_serverkey *key;
	size_t plen;
	int http;

	http = check_header(msg, len, resp, cap, resp_len);
	if (http)
		return http;
	key = kf_repo_key(r, msg + OFF_KID);
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
	work_reset();
	/* Audited (or aggregated) before the answer leaves: no delivery
	 * without its record. */
	decide(r, enroll, kei, plen);
	/* The request's plaintext (an enrollment token) is no longer needed. */
	kf_wipe(w.payload, plen);
	if (w.replayed)
		return replay_refusal(resp, cap, resp_len);
	http = answer(resp, cap, resp_len);
	kf_noise_wipe(&w.noise);
	kf_wipe(&w.rq, sizeof(w.rq));
	kf_metrics_transfer(enroll, w.rp.status, kf_now_ns() - t0);
	return http;
}
