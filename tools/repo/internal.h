/* SPDX-License-Identifier: MIT */
/* Internals of the repository server, shared by the files of tools/repo/. */
#ifndef KF_TOOLS_REPO_INTERNAL_H
#define KF_TOOLS_REPO_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

#include "keyferry.h"
#include "tools/formats/serverkey.h"
#include "tools/repo/repo.h"
#include "tools/store/store.h"

/* Refusals before any authenticated reply could be made (HTTP level). */
enum kf_http_refusal {
	KF_REFUSE_MALFORMED,	/* not a message 1 */
	KF_REFUSE_UNKNOWN_KEY,	/* kid names none of our keys */
	KF_REFUSE_HANDSHAKE,	/* Noise failed */
	KF_REFUSE_TOO_LARGE,
	KF_REFUSE_NOT_FOUND,
	KF_REFUSE_METHOD,
	KF_REFUSE_INTERNAL,
	KF_REFUSE_ADDRESS_RATE,	/* 429: the address's token bucket is empty */
	KF_REFUSE_DEADLINE,	/* connection cut at the request deadline */
	KF_REFUSE_REPLAY,	/* message 1's timestamp not newer (409) */
	KF_REFUSE_MAX,
};

/* Refusals of strangers, aggregated into one audit record per interval. */
enum kf_agg {
	KF_AGG_UNKNOWN_ENTITY,
	KF_AGG_MALFORMED,
	KF_AGG_BAD_NONCE,
	KF_AGG_USED_NONCE,
	KF_AGG_UNKNOWN_TOKEN,
	KF_AGG_MAX,
};

struct kf_repo {
	struct kf_repo_config cfg;
	struct kf_serverkey *keys[KF_REPO_MAX_KEYS];
	unsigned int n_keys;
	struct MHD_Daemon *mhd;
	uint16_t port;
	struct MHD_Daemon *metrics_mhd;	/* --metrics-listen, or NULL */
	uint16_t metrics_port;
	struct kf_addrlimit *al;	/* NULL: no per-address rate */
	struct kf_deadline *dl;
	struct kf_refusals *refusals;
	pthread_key_t store_key;
	/*
	 * The connection of the write path (transfers, enrollments, nonces),
	 * shared by the threads.  Safe because it is only used inside store
	 * write transactions, which the store serializes with its write lock;
	 * and worth it because its page cache stays warm, where a connection
	 * per thread would find its cache emptied by every other thread's
	 * commit and read its pages again.
	 */
	struct kf_store *writer;
	/* The first authority of each region the operator lets this
	 * repository create (--authority): region.create must match one. */
	struct kf_authority pins[KF_REPO_MAX_AUTHORITIES];
	unsigned int n_pins;
	/* Group commit of the transfers on the writer (batch.c). */
	struct kf_batch *batch;
	struct kf_ratelimit *rl;
	struct kf_freshness *fresh;
	pthread_t housekeeper;	/* checkpoints, aggregated refusals */
	bool has_housekeeper;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;
};

/* The calling thread's store connection (reads), opened on first use. */
struct kf_store *kf_repo_store(struct kf_repo *r);

/* Message 1 in, message 2 out (transfer.c).  Returns the HTTP
 * status; resp/resp_len is the body. */
int kf_repo_handle(struct kf_repo *r, bool enroll, const uint8_t *msg,
		   size_t len, uint8_t *resp, size_t cap, size_t *resp_len);
/* The key of ours whose kid this is, or NULL. */
struct kf_serverkey *kf_repo_key(struct kf_repo *r, const uint8_t *kid);

/* A provider's exchange (sync.c, docs/protocol.md section 11): the HTTP
 * status; resp/resp_len is the body. */
int kf_repo_sync(struct kf_repo *r, const uint8_t *msg, size_t len,
		 uint8_t *resp, size_t cap, size_t *resp_len);

/* Enrollment challenges, stateless (challenge.c): -EPERM when forged,
 * from the future or expired; *expires is when it stops being valid. */
int kf_challenge_make(struct kf_repo *r, uint8_t nonce[KF_NONCE_SIZE],
		      int64_t now);
int kf_challenge_check(struct kf_repo *r, const uint8_t nonce[KF_NONCE_SIZE],
		       int64_t now, int64_t *expires);

/* Requests per address, a token bucket (addrlimit.c): count per period
 * seconds, burst at once.  NULL on bad arguments or no memory. */
struct sockaddr;
struct kf_addrlimit *kf_addrlimit_new(unsigned int count, unsigned int period,
				      unsigned int burst);
void kf_addrlimit_free(struct kf_addrlimit *al);
/* now in CLOCK_MONOTONIC ns; when refused, *retry_after in seconds. */
bool kf_addrlimit_take(struct kf_addrlimit *al, const struct sockaddr *sa,
		       uint64_t now, unsigned int *retry_after);

/* The absolute deadline of each request (deadline.c). */
struct MHD_Connection;
struct kf_deadline *kf_deadline_new(unsigned int seconds);
void kf_deadline_free(struct kf_deadline *dl);
/* MHD_OPTION_NOTIFY_CONNECTION's callback, with dl as its closure. */
void kf_deadline_notify(void *cls, struct MHD_Connection *mc,
			void **socket_context,
			enum MHD_ConnectionNotificationCode toe);
void kf_deadline_restart(struct kf_deadline *dl, struct MHD_Connection *mc);

/* Strangers' refusals, aggregated (refusals.c). */
struct kf_refusals *kf_refusals_new(void);
void kf_refusals_free(struct kf_refusals *rf);
void kf_refusals_note(struct kf_refusals *rf, enum kf_agg kind,
		      const uint8_t kei[KF_KEY_SIZE]);
int kf_refusals_flush(struct kf_refusals *rf, struct kf_store *st);

/*
 * The admin endpoint (admin.c).  A submission's body in, the HTTP status
 * out, with the text to answer (what was applied, or why not).  A GET of
 * /v1/regions/...: the status, the body in buf or a text reason in msg.
 */
int kf_repo_admin_submit(struct kf_repo *r, const uint8_t *body, size_t len,
			 char *out, size_t cap);
int kf_repo_admin_get(struct kf_repo *r, const char *url, const char *after,
		      uint8_t *buf, size_t cap, size_t *len, char *msg,
		      size_t msg_cap);

/*
 * Group commit (batch.c): run work(ctx, st) inside a write transaction on
 * st that concurrent callers share; returns once the transaction that
 * holds the work has ended: 0 committed, else the error (work's non-zero
 * return dooms the whole batch).
 */
struct kf_batch *kf_batch_new(void);
void kf_batch_free(struct kf_batch *b);
int kf_batch_run(struct kf_batch *b, struct kf_store *st,
		 int (*work)(void *ctx, struct kf_store *st), void *ctx);
void kf_batch_stats(struct kf_batch *b, uint64_t *batches, uint64_t *batched);

/* Rate limits of data sets, per entity, fixed windows (ratelimit.c). */
struct kf_ratelimit *kf_ratelimit_new(void);
void kf_ratelimit_free(struct kf_ratelimit *rl);
/* true when the entity may have one more delivery from the data set now. */
bool kf_ratelimit_take(struct kf_ratelimit *rl, int64_t entity, int64_t ds,
		       uint32_t count, uint32_t period, int64_t now);

/*
 * Freshness of message 1 in memory (freshness.c): the greatest timestamp
 * accepted per Kei-pub, and the entity's id, bounded, behind the durable
 * ones in the store.
 */
struct kf_freshness *kf_freshness_new(void);
void kf_freshness_free(struct kf_freshness *f);
/* true when ts is not greater than the one remembered for kei; else
 * *entity_id is the entity's id if kei is remembered, 0 if not. */
bool kf_freshness_replayed(struct kf_freshness *f,
			   const uint8_t kei[KF_KEY_SIZE],
			   const uint8_t ts[KF_TIMESTAMP_SIZE],
			   int64_t *entity_id);
/* Remember ts and the entity for kei, once the store has committed ts. */
void kf_freshness_accepted(struct kf_freshness *f,
			   const uint8_t kei[KF_KEY_SIZE],
			   const uint8_t ts[KF_TIMESTAMP_SIZE],
			   int64_t entity_id);

/* Metrics (metrics.c): lock-free counters, Prometheus text. */
/* A status as a metric label and audit result: "ok", "revoked", ... */
const char *kf_status_label(uint32_t status);
void kf_metrics_transfer(bool enroll, uint32_t status, uint64_t ns);
void kf_metrics_refusal(enum kf_http_refusal why);
/* A provider's exchange: its status, and the rows a page carried. */
void kf_metrics_sync(uint32_t status, unsigned int rows);
void kf_metrics_admin(int ret);
size_t kf_metrics_render(struct kf_repo *r, char *buf, size_t cap);
/* GET /metrics on a listener of its own (--metrics-listen). */
int kf_metrics_listen(struct kf_repo *r);
void kf_metrics_stop(struct kf_repo *r);

#endif /* KF_TOOLS_REPO_INTERNAL_H */
