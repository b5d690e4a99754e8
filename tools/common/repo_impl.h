/* SPDX-License-Identifier: MIT */
/* Internals of the repository server, shared by its repo_*.c files. */
#ifndef KF_TOOLS_REPO_IMPL_H
#define KF_TOOLS_REPO_IMPL_H

#include <pthread.h>
#include <stdbool.h>

#include "keyferry.h"
#include "tools/common/repo.h"
#include "tools/common/serverkey.h"
#include "tools/common/store.h"

/* Refusals before any authenticated reply could be made (HTTP level). */
enum kf_http_refusal {
	KF_REFUSE_MALFORMED,	/* not a message 1 */
	KF_REFUSE_UNKNOWN_KEY,	/* kid names none of our keys */
	KF_REFUSE_HANDSHAKE,	/* Noise failed */
	KF_REFUSE_TOO_LARGE,
	KF_REFUSE_NOT_FOUND,
	KF_REFUSE_METHOD,
	KF_REFUSE_INTERNAL,
	KF_REFUSE_MAX,
};

struct kf_repo {
	struct kf_repo_config cfg;
	struct kf_serverkey *keys[KF_REPO_MAX_KEYS];
	unsigned int n_keys;
	struct MHD_Daemon *mhd;
	uint16_t port;
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
	struct kf_ratelimit *rl;
	pthread_t checkpointer;
	bool has_checkpointer;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;
};

/* The calling thread's store connection (reads), opened on first use. */
struct kf_store *kf_repo_store(struct kf_repo *r);

/* Message 1 in, message 2 out (repo_transfer.c).  Returns the HTTP
 * status; resp/resp_len is the body. */
int kf_repo_handle(struct kf_repo *r, bool enroll, const uint8_t *msg,
		   size_t len, uint8_t *resp, size_t cap, size_t *resp_len);
int kf_repo_challenge(struct kf_repo *r, uint8_t nonce[KF_NONCE_SIZE]);

/* Rate limits of data sets, per entity, fixed windows (repo_ratelimit.c). */
struct kf_ratelimit *kf_ratelimit_new(void);
void kf_ratelimit_free(struct kf_ratelimit *rl);
/* true when the entity may have one more delivery from the data set now. */
bool kf_ratelimit_take(struct kf_ratelimit *rl, int64_t entity, int64_t ds,
		       uint32_t count, uint32_t period, int64_t now);

/* Metrics (repo_metrics.c): lock-free counters, Prometheus text. */
/* A status as a metric label and audit result: "ok", "no_item", ... */
const char *kf_status_label(uint32_t status);
void kf_metrics_transfer(bool enroll, uint32_t status, uint64_t ns);
void kf_metrics_refusal(enum kf_http_refusal why);
size_t kf_metrics_render(struct kf_repo *r, char *buf, size_t cap);

#endif /* KF_TOOLS_REPO_IMPL_H */
