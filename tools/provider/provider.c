// SPDX-License-Identifier: MIT
/*
 * A provider's life (provider.h): the repository's server, run with the
 * provider's hooks (tools/repo/repo.h), and for a secure provider the
 * synchroniser that keeps its copy (syncer.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/provider/internal.h"

static bool usable(void *ctx, char *why, size_t cap)
{
	struct kf_provider *p = ctx;

	return kf_syncer_usable(&p->sync, why, cap);
}

static size_t metrics(void *ctx, char *buf, size_t cap, size_t off)
{
	struct kf_provider *p = ctx;

	return kf_syncer_metrics(&p->sync, buf, cap, off);
}

static void defaults(struct kf_provider_config *c)
{
	if (!c->poll)
		c->poll = 5;
	if (!c->max_stale)
		c->max_stale = 60;
	if (!c->upstream_timeout)
		c->upstream_timeout = 10;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n--)
		acc |= *p++;
	return !acc;
}

/* What each mode needs, and nothing a relay must not hold. */
static int check(const struct kf_provider_config *c)
{
	if (!c->n_upstreams) {
		kf_err("no repository given (--repository)");
		return -EINVAL;
	}
	if (c->relay) {
		if (c->server.db_path || c->server.n_keys) {
			kf_err("a relay holds no store and no key: leave out "
			       "--store and --key");
			return -EINVAL;
		}
		return 0;
	}
	if (!c->server.db_path || !c->server.n_keys ||
	    all_zero(c->repository_key, KF_KEY_SIZE)) {
		kf_err("a secure provider needs --store, --key and "
		       "--repository-key");
		return -EINVAL;
	}
	if (c->max_stale <= c->poll) {
		kf_err("--max-stale (%u s) must be longer than --poll (%u s)",
		       c->max_stale, c->poll);
		return -EINVAL;
	}
	return 0;
}

static int set_upstreams(struct kf_provider *p)
{
	unsigned int i;
	size_t n;

	for (i = 0; i < p->cfg.n_upstreams; i++) {
		n = strlen(p->cfg.upstreams[i]);
		while (n && p->cfg.upstreams[i][n - 1] == '/')
			n--;
		if (!n || n >= KF_URL_MAX) {
			kf_err("--repository: '%s' is not a URL",
			       p->cfg.upstreams[i]);
			return -EINVAL;
		}
		memcpy(p->up.urls[i], p->cfg.upstreams[i], n);
		p->up.urls[i][n] = 0;
	}
	p->up.n_urls = p->cfg.n_upstreams;
	p->up.timeout_s = p->cfg.upstream_timeout;
	return kf_upstream_init(&p->up);
}

/* Its key, the copy, and the thread that keeps the copy. */
static int start_secure(struct kf_provider *p)
{
	int ret = kf_serverkey_load(&p->key, p->cfg.server.key_paths[0]);

	if (ret)
		return ret;
	p->sync.cfg = &p->cfg;
	p->sync.up = &p->up;
	p->sync.key = p->key;
	ret = kf_syncer_start(&p->sync);
	if (ret)
		return ret;
	p->cfg.server.usable = usable;
	p->cfg.server.metrics = metrics;
	return 0;
}

int kf_provider_start(struct kf_provider **out,
		      const struct kf_provider_config *cfg)
{
	struct kf_provider *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	defaults(&p->cfg);
	ret = check(&p->cfg);
	if (!ret)
		ret = set_upstreams(p);
	if (!ret && !p->cfg.relay)
		ret = start_secure(p);
	if (ret)
		goto fail;
	p->cfg.server.forward = kf_provider_forward;
	p->cfg.server.ctx = p;
	ret = kf_repo_start(&p->server, &p->cfg.server);
	if (ret)
		goto fail;
	*out = p;
	return 0;
fail:
	kf_provider_stop(p);
	return ret;
}

uint16_t kf_provider_port(const struct kf_provider *p)
{
	return kf_repo_port(p->server);
}

uint16_t kf_provider_metrics_port(const struct kf_provider *p)
{
	return kf_repo_metrics_port(p->server);
}

void kf_provider_kick(struct kf_provider *p)
{
	kf_syncer_kick(&p->sync);
}

int kf_provider_sync(struct kf_provider *p, unsigned int timeout_ms)
{
	return kf_syncer_round(&p->sync, timeout_ms);
}

int64_t kf_provider_age(struct kf_provider *p)
{
	uint64_t age = kf_syncer_age_ns(&p->sync);

	return age == UINT64_MAX ? -1 : (int64_t)(age / 1000000000ull);
}

void kf_provider_stop(struct kf_provider *p)
{
	if (!p)
		return;
	/* The server first: nothing is forwarded or decided after. */
	kf_repo_stop(p->server);
	kf_syncer_stop(&p->sync);
	kf_upstream_fini(&p->up);
	kf_serverkey_free(p->key);
	free(p);
}
