/* SPDX-License-Identifier: MIT */
/*
 * The repository server (the design's Guardian and Transferrer): HTTP on
 * libmicrohttpd, Noise IK responder, the store.  The tests run it in their
 * own process (or a forked child); keyferry-repo is its command line.
 * keyferry-provider (tools/provider/) runs the same server with the hooks
 * of kf_repo_config: what a distributor does is written once.
 */
#ifndef KF_TOOLS_REPO_H
#define KF_TOOLS_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KF_REPO_MAX_KEYS 4
#define KF_REPO_MAX_AUTHORITIES 64

struct kf_repo_config {
	const char *db_path;
	/* The first key is current; the others still answer during a
	 * rotation, chosen by the kid in message 1. */
	const char *key_paths[KF_REPO_MAX_KEYS];
	unsigned int n_keys;
	const char *bind_addr;		/* default 127.0.0.1 */
	uint16_t port;			/* 0: an ephemeral port */
	unsigned int threads;		/* 0: one per core */
	unsigned int conn_timeout;	/* seconds idle before closing, 10 */
	unsigned int conn_limit;	/* 1024 */
	/* Connections from one address: a slow client cannot take every
	 * slot.  0 = default 256; -1 = no limit (behind a proxy). */
	int per_ip_limit;
	size_t mem_limit;		/* per connection, 64 KiB */
	unsigned int nonce_ttl;		/* enrollment challenge, 300 s */
	/*
	 * A provider's (tools/provider/), all NULL for a repository.  A
	 * secure provider runs this server on its copy of the repository's
	 * rows (db_path) with its own keys; a relay, without either.
	 *
	 * forward: a request this server does not answer itself (all of a
	 * relay's; a secure provider's enrollments and the transfers not
	 * addressed to its keys), sent on to the repository: the HTTP
	 * status it answered with and its body in resp, or a negative
	 * errno when no repository answered.
	 * usable: whether the copy is recent enough to decide on; when not,
	 * why (transfers get "internal error", section 5.3 of the protocol).
	 * metrics: its own lines for /metrics, from off on; the new end.
	 */
	int (*forward)(void *ctx, const char *path, const uint8_t *body,
		       size_t len, uint8_t *resp, size_t cap,
		       size_t *resp_len);
	bool (*usable)(void *ctx, char *why, size_t cap);
	size_t (*metrics)(void *ctx, char *buf, size_t cap, size_t off);
	void *ctx;
	/* Seconds a connection has, from its accept or its previous
	 * response, to have its next request read and answered: 10. */
	unsigned int request_deadline;
	/* Requests from one address: rate_count per rate_period
	 * seconds, rate_burst at once (a token bucket), checked before any
	 * crypto or database work.  0 = defaults 20 per 1 s, burst 40;
	 * rate_count -1 = no limit (behind a proxy). */
	int rate_count;
	unsigned int rate_period;
	unsigned int rate_burst;
	/* "ADDR:PORT" of the /metrics listener; NULL = "127.0.0.1:7371",
	 * "off" = none.  /metrics is never served on the transfer one. */
	const char *metrics_listen;
	/* Seconds between the aggregated records of strangers' refusals. */
	unsigned int refusal_interval;	/* 60 */
	/* Authority files (docs/operations.md): each region this repository
	 * may create, with the first authority it must be created with. */
	const char *authority_paths[KF_REPO_MAX_AUTHORITIES];
	unsigned int n_authorities;
};

struct kf_repo;

int kf_repo_start(struct kf_repo **out, const struct kf_repo_config *cfg);
uint16_t kf_repo_port(const struct kf_repo *r);
uint16_t kf_repo_metrics_port(const struct kf_repo *r);	/* 0: none */
void kf_repo_stop(struct kf_repo *r);

/* keyferry-repo's command line (cmdline.c); main.c only calls it. */
int kf_repo_main(int argc, char **argv);
/* --per-ip-rate's "N/PERIOD", or 0 for no limit, into c (cmdline.c;
 * keyferry-provider's too). */
int kf_repo_parse_rate(const char *s, struct kf_repo_config *c);

#endif /* KF_TOOLS_REPO_H */
