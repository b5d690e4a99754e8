/* SPDX-License-Identifier: MIT */
/*
 * The repository server (the design's Guardian and Transferrer): HTTP on
 * libmicrohttpd, Noise IK responder, the store.  It lives in tools/common
 * so that the tests can run it in their own process (or a forked child);
 * keyferry-repo is its command line.
 */
#ifndef KF_TOOLS_REPO_H
#define KF_TOOLS_REPO_H

#include <stddef.h>
#include <stdint.h>

#define KF_REPO_MAX_KEYS 4

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
};

struct kf_repo;

int kf_repo_start(struct kf_repo **out, const struct kf_repo_config *cfg);
uint16_t kf_repo_port(const struct kf_repo *r);
void kf_repo_stop(struct kf_repo *r);

#endif /* KF_TOOLS_REPO_H */
