/* SPDX-License-Identifier: MIT */
/*
 * keyferry-provider: the design's provider tier (docs/operations.md
 * section 11), between a repository and its hosts.
 *
 * A relay forwards the hosts' requests to the repositories and holds
 * nothing: no key, no store.  A secure provider holds its own
 * distributor key, which the hosts pin; it keeps a copy of its regions'
 * rows (sealed items, entities, their validity) that it obtains from the
 * repository over the provider channel, answers the hosts' transfers
 * itself from that copy with the repository's own transfer code, and
 * relays enrollments.  Its copy is refreshed every poll seconds; past
 * max_stale seconds without a successful exchange it refuses every
 * transfer, so a revocation at the repository reaches it within
 * max_stale seconds whatever happens to the network.
 */
#ifndef KF_TOOLS_PROVIDER_H
#define KF_TOOLS_PROVIDER_H

#include <stdbool.h>
#include <stdint.h>

#include "keyferry.h"
#include "tools/repo/repo.h"

#define KF_PROVIDER_MAX_UPSTREAMS 8
#define KF_URL_MAX 512

struct kf_provider_config {
	bool relay;
	/* The repositories, in the order to try them ("http://host:port"). */
	const char *upstreams[KF_PROVIDER_MAX_UPSTREAMS];
	unsigned int n_upstreams;
	/* Secure only: the repository's public key, which the channel
	 * authenticates it by (its first --key). */
	uint8_t repository_key[KF_KEY_SIZE];
	unsigned int poll;		/* seconds between rounds, 5 */
	unsigned int max_stale;		/* seconds a copy is good for, 60 */
	unsigned int upstream_timeout;	/* seconds per request, 10 */
	/*
	 * The server: listen address, port, threads, limits as the
	 * repository's; db_path is its copy (secure), key_paths its keys
	 * (the first is the one it authenticates with).  The hooks are the
	 * provider's own.
	 */
	struct kf_repo_config server;
};

struct kf_provider;

int kf_provider_start(struct kf_provider **out,
		      const struct kf_provider_config *cfg);
uint16_t kf_provider_port(const struct kf_provider *p);
uint16_t kf_provider_metrics_port(const struct kf_provider *p);	/* 0: none */
/* Wake the synchroniser for a round now (enrollments do it). */
void kf_provider_kick(struct kf_provider *p);
/* Run a round now and wait for it: 0 when it succeeded, else why. */
int kf_provider_sync(struct kf_provider *p, unsigned int timeout_ms);
/* Seconds since its copy was last confirmed current; -1: never. */
int64_t kf_provider_age(struct kf_provider *p);
void kf_provider_stop(struct kf_provider *p);

/* keyferry-provider's command line (cmdline.c); main.c only calls it. */
int kf_provider_main(int argc, char **argv);

#endif /* KF_TOOLS_PROVIDER_H */
