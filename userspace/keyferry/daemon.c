// SPDX-License-Identifier: MIT
/*
 * keyferry daemon: keeps the configured items installed.
 *
 * Each item is fetched at start, then again renew_margin seconds before the
 * key it delivered expires or its owner's lease ends (whichever is first:
 * every delivery renews the lease), or at once when the module reports that
 * key ended.  A failed fetch is retried after retry_min seconds, doubling up
 * to retry_max, each delay spread by +-25% jitter so that a fleet whose
 * repository comes back does not return all at once.  Repositories are
 * tried in the configured order (relay.c).  SIGHUP reloads the
 * configuration (a bad one is refused and the old one kept); SIGTERM and
 * SIGINT stop.  Logs go to stderr, with journal priority prefixes when
 * stderr is the journal.
 *
 * The module ends keys by itself (their lifetime, a lapsed lease, the
 * entity's revocation) and says so on its events group; the daemon logs
 * each one (kf_daemon_key_ended).  A key ended for good, its lease lapsed
 * or its entity revoked, has its consumers torn down: the teardown entries
 * of the configuration for its item (teardown.h: dm-crypt volumes closed
 * and their keys wiped, fscrypt keys removed), since they copied the key
 * and revoking it does not stop them.  A key at the end of its TIMEOUT or
 * NOT_AFTER is fetched again instead (a renewal, when the owner has one).
 * After the entity's revocation (an event, or a fetch refused as revoked)
 * every teardown entry runs and nothing more is fetched.
 *
 * After each fetch cycle the daemon saves the identity to the configured
 * file when the module's state changed since the blob it holds (a new
 * version installed, the entity revoked...; autosave.c), unless the
 * configuration says identity-autosave = no.
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
#include "identity_file.h"
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
	bool revoked;			/* the module said: entity revoked */
	uint64_t saved_gen;		/* state generation of the blob on disk */
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

/* Close what uses item's key (NULL: every item's), as configured. */
static void kf_daemon_teardown(struct kf_daemon *d, const char *item, const char *why)
{
	char msg[512];
	unsigned int i;

	for (i = 0; i < d->cfg.n_teardowns; i++) {
		const struct kf_teardown *t = &d->cfg.teardowns[i];

		if (item && strcmp(t->item, item))
			continue;
		if (kf_teardown_run(t, msg, sizeof(msg)))
			kf_log(d, 2, "teardown %s (%s) failed: %s", t->item, why, msg);
		else
			kf_log(d, 4, "teardown %s (%s): %s", t->item, why, msg);
	}
}

/* n_keys: how many keys the module ended, or -1 when not told. */
static void kf_daemon_entity_revoked(struct kf_daemon *d, long n_keys)
{
	unsigned int i;

	for (i = 0; i < d->n_items; i++)
		d->items[i].due = KF_NEVER;
	if (n_keys >= 0)
		kf_log(d, 2, "this entity is revoked by its distributor: the module revoked "
		       "%ld keys", n_keys);
	if (d->revoked)
		return;
	d->revoked = true;
	kf_daemon_teardown(d, NULL, "this entity is revoked");
	kf_log(d, 2, "nothing more is fetched: the host needs keyferry replace and a new "
	       "enrollment");
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
	if (ret == -EKEYREVOKED) {
		kf_log(d, 2, "fetch %s refused: %s", it->name, err);
		kf_daemon_entity_revoked(d, -1);
		return;
	}
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
		const struct kf_installed_key *k = &out.keys[i];

		kf_log(d, 6, "installed %s: serial %d, %s %s, version %llu", k->item,
		       k->serial, kf_key_type_name(k->type), k->description,
		       (unsigned long long)k->version);
		if (k->expiry && (!expiry || k->expiry < expiry))
			expiry = k->expiry;
		if (k->renew_by && (!expiry || k->renew_by < expiry))
			expiry = k->renew_by;
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

/*
 * The module ended key k (EXPIRED, or REVOKED for reason): log it, with
 * what identifies the key to its consumers (the description a dm-crypt
 * table names, the serial); a key ended for good has its item's consumers
 * torn down.  For an entity's revocation that happens once, for every
 * item, in kf_daemon_entity_revoked().
 */
static void kf_daemon_key_ended(struct kf_daemon *d, const struct kf_installed_key *k,
				uint8_t type, uint8_t reason)
{
	kf_log(d, type == KEYFERRY_EVENT_REVOKED ? 2 : 5,
	       "teardown: %s %s (serial %d, item %s of owner %s, version %llu) %s",
	       kf_key_type_name(k->type), k->description, k->serial, k->item, k->owner,
	       (unsigned long long)k->version,
	       type == KEYFERRY_EVENT_EXPIRED ? "reached the end of its lifetime" :
	       reason == KEYFERRY_REVOKE_LEASE ? "was revoked: its lease lapsed" :
	       "was revoked: this entity is revoked");
	if (type == KEYFERRY_EVENT_REVOKED && reason == KEYFERRY_REVOKE_LEASE)
		kf_daemon_teardown(d, k->item, "its lease lapsed");
}

/* The item's schedule after the module ended its key. */
static void kf_daemon_refetch(struct kf_daemon *d, const char *item)
{
	unsigned int i;

	for (i = 0; i < d->n_items; i++)
		if (!strcmp(d->items[i].name, item) && !d->revoked) {
			kf_log(d, 5, "%s: its key ended; fetching", item);
			d->items[i].due = 0;
		}
}

static int kf_on_event(struct nl_msg *msg, void *arg)
{
	struct kf_daemon *d = arg;
	struct nlattr *tb[KEYFERRY_A_MAX + 1];
	struct kf_installed_key k;
	uint8_t type, reason;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KEYFERRY_A_MAX, NULL) < 0 ||
	    !tb[KEYFERRY_A_EVENT_TYPE])
		return NL_OK;
	type = nla_get_u8(tb[KEYFERRY_A_EVENT_TYPE]);
	if (type != KEYFERRY_EVENT_EXPIRED && type != KEYFERRY_EVENT_REVOKED)
		return NL_OK;
	reason = tb[KEYFERRY_A_REVOKE_REASON] ? nla_get_u8(tb[KEYFERRY_A_REVOKE_REASON]) : 0;
	if (!tb[KEYFERRY_A_KEY]) {
		if (type == KEYFERRY_EVENT_REVOKED && reason == KEYFERRY_REVOKE_ENTITY)
			kf_daemon_entity_revoked(d, tb[KEYFERRY_A_REVOKED_KEYS] ?
						 nla_get_u32(tb[KEYFERRY_A_REVOKED_KEYS]) : 0);
		return NL_OK;
	}
	if (kf_genl_parse_key(tb[KEYFERRY_A_KEY], &k))
		return NL_OK;
	kf_daemon_key_ended(d, &k, type, reason);
	if (reason != KEYFERRY_REVOKE_ENTITY)
		kf_daemon_refetch(d, k.item);
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

/*
 * After a fetch cycle: save the identity when the module's state moved
 * past what the file holds (autosave.c).  A failure is logged and tried
 * again after the next fetch cycle; the fetches themselves stand.
 */
static void kf_daemon_autosave(struct kf_daemon *d)
{
	char msg[700];
	int ret;

	ret = kf_identity_autosave(&d->g, &d->cfg, &d->saved_gen, msg, sizeof(msg));
	if (ret < 0)
		kf_log(d, 3, "%s; trying again after the next fetch", msg);
	else if (ret > 0)
		kf_log(d, 6, "%s", msg);
}

/* At start: the file holds what the module last saved or loaded. */
static void kf_daemon_saved_gen_init(struct kf_daemon *d)
{
	struct kf_module_status st;

	if (!kf_genl_get_status(&d->g, &st))
		d->saved_gen = st.sealed_gen;
}

static int kf_daemon_run(struct kf_daemon *d)
{
	while (!kf_stop) {
		time_t now = time(NULL), next = KF_NEVER;
		struct pollfd pfd = { .fd = -1, .events = POLLIN };
		unsigned int i, fetched = 0;
		int timeout;

		if (kf_reload) {
			kf_reload = 0;
			kf_daemon_reload(d);
		}
		for (i = 0; i < d->n_items && !kf_stop; i++)
			if (d->items[i].due <= now) {
				kf_daemon_fetch(d, &d->items[i], now);
				fetched++;
			}
		if (fetched)
			kf_daemon_autosave(d);
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
	/* After a reboot: the identity the TPM sealed, before any fetch. */
	if (kf_identity_restore(&d->g, d->cfg.identity, err, sizeof(err)))
		kf_log(d, 3, "%s", err);
	else if (err[0])
		kf_log(d, 6, "%s", err);
	kf_daemon_saved_gen_init(d);
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
