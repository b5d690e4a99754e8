// SPDX-License-Identifier: MIT
/*
 * keyferry daemon: keeps the configured items installed.
 *
 * Each item is fetched at start, then again renew_margin seconds before the
 * key it delivered expires, or at once when the module reports that key
 * expired.  A failed fetch is retried after retry_min seconds, doubling up
 * to retry_max, each delay spread by +-25% jitter so that a fleet whose
 * repository comes back does not return all at once.  Repositories are
 * tried in the configured order (relay.c).  SIGHUP reloads the
 * configuration (a bad one is refused and the old one kept); SIGTERM and
 * SIGINT stop.  Logs go to stderr, with journal priority prefixes when
 * stderr is the journal.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "cli.h"
#include "fetch.h"
#include "keyferry.h"

#define KF_NEVER ((time_t)1 << 62)

struct kf_daemon_item {
	char name[KEYFERRY_NAME_MAX + 1];
	time_t due;
	unsigned int failures;
};

struct kf_daemon {
	const char *config_path;
	struct kf_config cfg;
	struct kf_daemon_item items[KF_MAX_CONFIG_ITEMS];
	unsigned int n_items;
	struct kf_genl g;
	struct nl_sock *events;
	bool journal;
};

static volatile sig_atomic_t kf_reload, kf_stop;

static void kf_on_signal(int sig)
{
	if (sig == SIGHUP)
		kf_reload = 1;
	else
		kf_stop = 1;
}

__attribute__((format(printf, 3, 4)))
static void kf_log(const struct kf_daemon *d, int prio, const char *fmt, ...)
{
	va_list ap;

	if (d->journal)
		fprintf(stderr, "<%d>", prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* min(retry_max, retry_min * 2^(failures-1)), then +-25% jitter. */
static time_t kf_backoff(const struct kf_config *cfg, unsigned int failures)
{
	unsigned int shift = failures > 1 ? failures - 1 : 0;
	double delay = cfg->retry_min;
	unsigned int r;

	while (shift-- && delay < cfg->retry_max)
		delay *= 2;
	if (delay > cfg->retry_max)
		delay = cfg->retry_max;
	if (kf_random(&r, sizeof(r)))
		r = (unsigned int)rand();
	delay *= 0.75 + 0.5 * ((double)r / (double)UINT32_MAX);
	return delay < 1 ? 1 : (time_t)delay;
}

/* Keep the schedule of items that stay; new ones are due now. */
static void kf_daemon_set_items(struct kf_daemon *d, const struct kf_config *cfg)
{
	struct kf_daemon_item old[KF_MAX_CONFIG_ITEMS];
	unsigned int i, j, n_old = d->n_items;

	memcpy(old, d->items, sizeof(old));
	d->n_items = 0;
	for (i = 0; i < cfg->n_items; i++) {
		struct kf_daemon_item *it = &d->items[d->n_items++];

		memset(it, 0, sizeof(*it));
		snprintf(it->name, sizeof(it->name), "%s", cfg->items[i]);
		for (j = 0; j < n_old; j++)
			if (!strcmp(old[j].name, it->name))
				*it = old[j];
	}
}

static void kf_daemon_fetch(struct kf_daemon *d, struct kf_daemon_item *it, time_t now)
{
	const char *name = it->name;
	struct kf_installed out;
	uint64_t expiry = 0;
	char err[600];
	unsigned int i;
	int ret;

	ret = kf_fetch_items(&d->g, &d->cfg, &name, 1, &out, err, sizeof(err));
	if (ret) {
		it->failures++;
		it->due = now + kf_backoff(&d->cfg, it->failures);
		kf_log(d, 3, "fetch %s failed (%s): %s; retry in %lld s", it->name,
		       ret == -EHOSTUNREACH ? "no repository reachable" : "refused", err,
		       (long long)(it->due - now));
		return;
	}
	it->failures = 0;
	for (i = 0; i < out.n; i++) {
		kf_log(d, 6, "installed %s: serial %d, %s %s, version %llu", out.keys[i].item,
		       out.keys[i].serial, kf_key_type_name(out.keys[i].type),
		       out.keys[i].description, (unsigned long long)out.keys[i].version);
		if (out.keys[i].expiry && (!expiry || out.keys[i].expiry < expiry))
			expiry = out.keys[i].expiry;
	}
	if (!expiry) {
		it->due = KF_NEVER;
		return;
	}
	/* Renew renew_margin before expiry, but never sooner than retry_min. */
	it->due = (time_t)expiry - (time_t)d->cfg.renew_margin;
	if (it->due < now + (time_t)d->cfg.retry_min)
		it->due = now + d->cfg.retry_min;
	kf_log(d, 6, "%s: renewal in %lld s", it->name, (long long)(it->due - now));
}

static int kf_on_event(struct nl_msg *msg, void *arg)
{
	struct kf_daemon *d = arg;
	struct nlattr *tb[KEYFERRY_A_MAX + 1];
	const char *item;
	unsigned int i;
	uint8_t type;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KEYFERRY_A_MAX, NULL) < 0 ||
	    !tb[KEYFERRY_A_EVENT_TYPE] || !tb[KEYFERRY_A_ITEM_NAME])
		return NL_OK;
	type = nla_get_u8(tb[KEYFERRY_A_EVENT_TYPE]);
	item = nla_get_string(tb[KEYFERRY_A_ITEM_NAME]);
	if (type != KEYFERRY_EVENT_EXPIRED)
		return NL_OK;
	for (i = 0; i < d->n_items; i++) {
		if (!strcmp(d->items[i].name, item)) {
			kf_log(d, 5, "%s: the module reports its key expired; fetching", item);
			d->items[i].due = 0;
		}
	}
	return NL_OK;
}

static int kf_daemon_open_events(struct kf_daemon *d)
{
	int grp, ret;

	d->events = nl_socket_alloc();
	if (!d->events)
		return -ENOMEM;
	nl_socket_disable_seq_check(d->events);
	nl_socket_modify_cb(d->events, NL_CB_VALID, NL_CB_CUSTOM, kf_on_event, d);
	ret = genl_connect(d->events);
	if (ret < 0)
		goto err;
	grp = genl_ctrl_resolve_grp(d->events, KEYFERRY_GENL_NAME, KEYFERRY_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(d->events, grp) < 0)
		goto err;
	nl_socket_set_nonblocking(d->events);
	return 0;
err:
	nl_socket_free(d->events);
	d->events = NULL;
	return -EIO;
}

static void kf_daemon_reload(struct kf_daemon *d)
{
	struct kf_config cfg;
	char err[600];

	if (kf_config_load(&cfg, d->config_path, err, sizeof(err))) {
		kf_log(d, 3, "reload refused, keeping the running configuration: %s", err);
		return;
	}
	d->cfg = cfg;
	kf_daemon_set_items(d, &cfg);
	kf_log(d, 6, "configuration reloaded: %u items, %u repositories", cfg.n_items,
	       cfg.n_repositories);
}

static int kf_daemon_run(struct kf_daemon *d)
{
	while (!kf_stop) {
		time_t now = time(NULL), next = KF_NEVER;
		struct pollfd pfd = { .fd = -1, .events = POLLIN };
		unsigned int i;
		int timeout;

		if (kf_reload) {
			kf_reload = 0;
			kf_daemon_reload(d);
		}
		for (i = 0; i < d->n_items && !kf_stop; i++)
			if (d->items[i].due <= now)
				kf_daemon_fetch(d, &d->items[i], now);
		for (i = 0; i < d->n_items; i++)
			if (d->items[i].due < next)
				next = d->items[i].due;
		now = time(NULL);
		timeout = next == KF_NEVER ? 60000 :
			  next <= now ? 0 : (int)((next - now) > 60 ? 60000 : (next - now) * 1000);
		if (d->events)
			pfd.fd = nl_socket_get_fd(d->events);
		if (poll(&pfd, 1, timeout) > 0 && (pfd.revents & POLLIN))
			nl_recvmsgs_default(d->events);
	}
	kf_log(d, 6, "stopping");
	return KF_EXIT_OK;
}

int kf_cmd_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = kf_on_signal };
	struct kf_daemon *d;
	char err[600];
	int c, ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return KF_EXIT_LOCAL;
	d->config_path = KF_CONFIG_PATH;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'c') {
			fprintf(stderr, "usage: keyferry daemon [--config FILE]\n");
			ret = KF_EXIT_USAGE;
			goto out;
		}
		d->config_path = optarg;
	}
	d->journal = getenv("JOURNAL_STREAM") != NULL;
	if (kf_config_load(&d->cfg, d->config_path, err, sizeof(err))) {
		fprintf(stderr, "keyferry daemon: %s\n", err);
		ret = KF_EXIT_USAGE;
		goto out;
	}
	kf_daemon_set_items(d, &d->cfg);
	ret = kf_open_module(&d->g);
	if (ret)
		goto out;
	if (kf_daemon_open_events(d))
		kf_log(d, 4, "cannot listen to the module's events; renewing on schedule only");
	/* No SA_RESTART: a signal must wake poll(). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	kf_log(d, 6, "keyferry daemon started: %u items, %u repositories", d->n_items,
	       d->cfg.n_repositories);
	ret = kf_daemon_run(d);
	if (d->events)
		nl_socket_free(d->events);
	kf_genl_close(&d->g);
out:
	free(d);
	return ret;
}
