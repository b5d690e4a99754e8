// SPDX-License-Identifier: MIT
/*
 * The repository's side of the provider channel (docs/protocol.md
 * section 11): POST /v1/provider/sync.
 *
 * A secure provider authenticates with the distributor key its hosts
 * pin (the Noise initiator's static key); the repository serves it only
 * when that key is a provider it knows and has not retired, and only
 * the rows of the regions that provider is allowed.  One exchange is one
 * write transaction: the provider's request timestamp (a replayed
 * request gets 409 and changes nothing, as a host's does), the audit
 * records it reports (checked against its chain, then appended to ours,
 * with its name as the actor), the store's generation, and a page of
 * rows when the provider's copy is not of that generation.  The
 * transaction is what every change to those rows takes too, so a page
 * is of one state.
 *
 * Every answer after a completed handshake is authenticated, refusals
 * included.  An unknown or retired provider's request is audited; an
 * exchange that only found the provider current, or carried its records
 * (audited themselves), adds no record of its own.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/repo/internal.h"
#include "tools/sync/sync.h"

#define TYPE_SYNC1	3

/* Large and per request: thread-local rather than on the stack. */
struct sync_work {
	struct kf_noise noise;
	struct kf_sync_request rq;
	struct kf_provider_info p;
	struct kf_sync_reply_writer rw;
	struct kf_generation gen;
	uint8_t payload[KF_MESSAGE_MAX];
	uint8_t out[KF_MESSAGE_MAX];
	uint8_t from[KF_KEY_SIZE];
	uint32_t status;
	char message[KF_STATUS_TEXT_MAX + 1];
	bool replayed;
	unsigned int rows;
};
static __thread struct sync_work sw;

static int http_text(enum kf_http_refusal why, int http, const char *text,
		     uint8_t *resp, size_t cap, size_t *resp_len)
{
	kf_metrics_refusal(why);
	*resp_len = (size_t)snprintf((char *)resp, cap, "%s\n", text);
	return http;
}

static void refuse(uint32_t status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void refuse(uint32_t status, const char *fmt, ...)
{
	va_list ap;

	sw.status = status;
	va_start(ap, fmt);
	vsnprintf(sw.message, sizeof(sw.message), fmt, ap);
	va_end(ap);
}

static int add_row(void *ctx, const struct kf_row *row)
{
	(void)ctx;
	return kf_sync_reply_row(&sw.rw, row);
}

static bool same_gen(const struct kf_generation *a,
		     const struct kf_generation *b)
{
	return !memcmp(a->store, b->store, sizeof(a->store)) &&
	       a->value == b->value;
}

/* A page of rows, unless the provider's copy is current. */
static int page(struct kf_store *st)
{
	struct kf_cursor cur = { KF_REPLICA_REGIONS, 0, 0 };
	bool from_start;
	int ret;

	if (sw.rq.has_held && same_gen(&sw.rq.held, &sw.gen))
		return 0;
	from_start = !sw.rq.gathering || !same_gen(&sw.rq.gather, &sw.gen);
	if (!from_start)
		cur = sw.rq.cursor;
	ret = kf_store_replica_rows(st, sw.p.pub, &cur, add_row, NULL);
	if (ret)
		return ret;
	if (sw.rw.w.error)
		return sw.rw.w.error;
	sw.rows = sw.rw.rows;
	if (from_start) {
		char detail[sizeof(sw.p.regions) + 64];

		snprintf(detail, sizeof(detail), "generation=%lld regions=%s",
			 (long long)sw.gen.value,
			 sw.p.regions[0] ? sw.p.regions : "-");
		ret = kf_store_audit_in(st, "provider.sync", sw.p.name, "ok",
					detail);
	}
	/* More to come from where this page ended. */
	if (!ret && cur.table <= KF_REPLICA_TABLES)
		kf_sync_reply_end(&sw.rw, &cur);
	else if (!ret)
		kf_sync_reply_end(&sw.rw, NULL);
	return ret;
}

/* Who it is: known, active. 0, or the refusal (audited). */
static int check_provider(struct kf_store *st)
{
	char subject[64], hex[2 * KF_KID_SIZE + 1];
	uint8_t kid[KF_KID_SIZE];
	int ret = kf_store_provider_by_pub(st, sw.from, &sw.p);

	if (ret == -ENOENT) {
		kf_kid(sw.from, kid);
		kf_hex(hex, kid, sizeof(kid));
		snprintf(subject, sizeof(subject), "kid:%s", hex);
		refuse(KF_SYNC_UNKNOWN, "%s", "unknown provider");
		return kf_store_audit_in(st, "provider.sync", subject,
					 "unknown_provider", NULL) ?: 1;
	}
	if (ret)
		return ret;
	if (!sw.p.regions[0]) {
		refuse(KF_SYNC_RETIRED, "provider %s is retired (it serves no "
		       "region)", sw.p.name);
		return kf_store_audit_in(st, "provider.sync", sw.p.name,
					 "retired", NULL) ?: 1;
	}
	return 0;
}

/* The exchange's work inside the write transaction: 0 to commit. */
static int exchange(struct kf_store *st)
{
	char why[160];
	int ret = check_provider(st);

	if (ret)
		return ret > 0 ? 0 : ret;
	ret = kf_store_provider_accept_timestamp(st, sw.p.pub,
						 sw.rq.timestamp);
	if (ret == -ESTALE) {
		sw.replayed = true;
		return ret;	/* rolls back: nothing is written */
	}
	if (!ret)
		ret = kf_store_provider_report(st, &sw.p, sw.rq.records,
					       sw.rq.n_records, why,
					       sizeof(why));
	if (ret == -EBADMSG) {
		/* Its records are refused, and so is everything else. */
		refuse(KF_SYNC_BAD_REQUEST, "%s", why);
		ret = kf_store_audit_in(st, "provider.report", sw.p.name,
					"bad_chain", why);
		return ret;
	}
	if (!ret)
		ret = kf_store_generation(st, &sw.gen);
	if (!ret)
		ret = kf_store_provider_synced(st, &sw.p, kf_now());
	if (ret)
		return ret;
	kf_sync_reply_begin(&sw.rw, sw.payload, sizeof(sw.payload), KF_SYNC_OK,
			    NULL, &sw.gen, sw.p.reported_seq);
	return page(st);
}

/*
 * The report is checked whole before anything is appended, so that a
 * record that does not chain leaves only the refusal's own record.
 */
static int decide(struct kf_repo *r)
{
	struct kf_store *st = r->writer;
	int ret;

	if (!st) {
		refuse(KF_SYNC_INTERNAL, "%s", "store unavailable");
		return 0;
	}
	ret = kf_store_write_begin(st);
	if (ret) {
		refuse(KF_SYNC_INTERNAL, "%s", "store unavailable");
		return 0;
	}
	ret = exchange(st);
	ret = kf_store_write_end(st, ret);
	if (sw.replayed)
		return -ESTALE;
	if (ret) {
		refuse(KF_SYNC_INTERNAL, "%s", "store unavailable");
		/* a refusal's head only: no rows of a rolled-back page */
		sw.rows = 0;
	}
	return 0;
}

/* Message 2 of the exchange, authenticated, whatever its status. */
static int answer(uint8_t *resp, size_t cap, size_t *resp_len)
{
	long n;

	if (sw.status != KF_SYNC_OK)
		kf_sync_reply_begin(&sw.rw, sw.payload, sizeof(sw.payload),
				    sw.status, sw.message, NULL,
				    sw.p.reported_seq);
	if (sw.status != KF_SYNC_OK)
		kf_sync_reply_end(&sw.rw, NULL);
	n = kf_tlv_finish(&sw.rw.w);
	if (n < 0 || kf_noise_sync_write2(&sw.noise, resp, cap, resp_len,
					  sw.payload, (size_t)n))
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	return MHD_HTTP_OK;
}

static void work_reset(void)
{
	sw.status = KF_SYNC_OK;
	sw.message[0] = 0;
	sw.replayed = false;
	sw.rows = 0;
	memset(&sw.p, 0, sizeof(sw.p));
}

int kf_repo_sync(struct kf_repo *r, const uint8_t *msg, size_t len,
		 uint8_t *resp, size_t cap, size_t *resp_len)
{
	struct kf_serverkey *key;
	size_t plen;
	int http;

	if (len < KF_MSG1_MIN || len > KF_MESSAGE_MAX || msg[0] != TYPE_SYNC1 ||
	    msg[1] != KF_PROTOCOL_VERSION || msg[2] || msg[3])
		return http_text(KF_REFUSE_MALFORMED, MHD_HTTP_BAD_REQUEST,
				 "not a provider's message 1 of protocol "
				 "version 2", resp, cap, resp_len);
	key = kf_repo_key(r, msg + 8);
	if (!key)
		return http_text(KF_REFUSE_UNKNOWN_KEY, MHD_HTTP_BAD_REQUEST,
				 "message 1 is addressed to a key this "
				 "repository does not hold", resp, cap,
				 resp_len);
	if (kf_serverkey_sync_read1(key, &sw.noise, sw.out, sizeof(sw.out),
				    &plen, sw.from, msg, len)) {
		kf_noise_wipe(&sw.noise);
		return http_text(KF_REFUSE_HANDSHAKE, MHD_HTTP_BAD_REQUEST,
				 "handshake failed", resp, cap, resp_len);
	}
	work_reset();
	if (kf_sync_request_decode(&sw.rq, sw.out, plen))
		refuse(KF_SYNC_BAD_REQUEST, "%s", "malformed request");
	else if (decide(r) == -ESTALE) {
		kf_noise_wipe(&sw.noise);
		return http_text(KF_REFUSE_REPLAY, MHD_HTTP_CONFLICT,
				 "replayed or reordered request: its timestamp "
				 "is not newer than this provider's last",
				 resp, cap, resp_len);
	}
	http = answer(resp, cap, resp_len);
	kf_noise_wipe(&sw.noise);
	kf_metrics_sync(sw.status, sw.rows);
	return http;
}
