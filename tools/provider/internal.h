/* SPDX-License-Identifier: MIT */
/* Internals of keyferry-provider, shared by the files of tools/provider/. */
#ifndef KF_TOOLS_PROVIDER_INTERNAL_H
#define KF_TOOLS_PROVIDER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "tools/formats/serverkey.h"
#include "tools/provider/provider.h"
#include "tools/store/store.h"
#include "tools/sync/sync.h"

/* The repositories, tried in order (upstream.c). */
struct kf_upstream {
	char urls[KF_PROVIDER_MAX_UPSTREAMS][KF_URL_MAX];
	unsigned int n_urls;
	unsigned int timeout_s;
	pthread_key_t curl_key;		/* each thread's CURL handle */
	struct curl_slist *headers;
	bool ready;
};

int kf_upstream_init(struct kf_upstream *u);
void kf_upstream_fini(struct kf_upstream *u);
/*
 * POST body to path at the first repository that answers: its HTTP
 * status, its body in resp; -EHOSTUNREACH when none could be reached,
 * -EIO when one answered with more than cap bytes.
 */
int kf_upstream_post(struct kf_upstream *u, const char *path,
		     const uint8_t *body, size_t len, uint8_t *resp,
		     size_t cap, size_t *resp_len);

/*
 * The synchroniser (syncer.c): a thread that keeps the copy current and
 * reports the provider's audit records, one round every poll seconds.
 *
 * Locking: lock guards the wake-up (kick, stopping) only.  The state the
 * transfer path reads (fresh_ns, refused) is written by the thread
 * alone and read with atomics.
 */
struct kf_syncer {
	const struct kf_provider_config *cfg;
	struct kf_upstream *up;
	struct kf_serverkey *key;	/* the provider's current key */
	struct kf_store *st;		/* its own connection to the copy */
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	bool kick, stopping;
	/* Rounds begun and ended, and how the last one ended (under lock). */
	uint64_t begun, ended;
	int last_ret;

	/* CLOCK_MONOTONIC ns when the last successful round began; 0 never. */
	uint64_t fresh_ns;
	/* The repository refused this provider (unknown, retired): its
	 * copy is not to be used until a round succeeds again. */
	int refused;
	char refusal[KF_STATUS_TEXT_MAX + 1];

	/* What the copy is, and the timestamps of the provider's requests. */
	struct kf_replica_state state;
	uint8_t last_ts[KF_TIMESTAMP_SIZE];

	/* Pages of a copy being gathered: their ROW records, end to end. */
	bool gathering;
	struct kf_generation gather;
	struct kf_cursor cursor;
	uint8_t *stage;
	size_t stage_len, stage_cap;

	/* For /metrics (relaxed atomics). */
	uint64_t rounds_ok, rounds_failed, applied;
	int64_t backlog;
};

int kf_syncer_start(struct kf_syncer *s);
void kf_syncer_stop(struct kf_syncer *s);
void kf_syncer_kick(struct kf_syncer *s);
/* A round begun after the call, and how it ended; -ETIME past timeout_ms. */
int kf_syncer_round(struct kf_syncer *s, unsigned int timeout_ms);
/* What the server's hooks ask (repo.h): usable(), metrics(). */
bool kf_syncer_usable(struct kf_syncer *s, char *why, size_t cap);
size_t kf_syncer_metrics(struct kf_syncer *s, char *buf, size_t cap,
			 size_t off);
/* Nanoseconds since the copy was last confirmed; UINT64_MAX: never. */
uint64_t kf_syncer_age_ns(struct kf_syncer *s);

struct kf_provider {
	struct kf_provider_config cfg;
	struct kf_upstream up;
	struct kf_syncer sync;
	struct kf_serverkey *key;
	struct kf_repo *server;
};

/* The server's forward hook (forward.c), ctx the provider. */
int kf_provider_forward(void *ctx, const char *path, const uint8_t *body,
			size_t len, uint8_t *resp, size_t cap,
			size_t *resp_len);

#endif /* KF_TOOLS_PROVIDER_INTERNAL_H */
