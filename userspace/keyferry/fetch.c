// SPDX-License-Identifier: MIT
/*
 * keyferry fetch: ask the repository for items and let the module install
 * them.  Prints one line per installed key: serial, type, description.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "fetch.h"
#include "identity_file.h"

static void fetch_usage(void)
{
	fprintf(stderr,
		"usage: keyferry fetch [--config FILE] [--repository URL...] [--keyring K]\n"
		"                      (--all | ITEM...)\n"
		"  K: module (default), session, user, process, thread or a keyring serial\n");
}

static void kf_when(char *out, size_t cap, uint64_t unix_secs)
{
	time_t t = (time_t)unix_secs;
	struct tm tm;

	snprintf(out, cap, "never");
	if (unix_secs && gmtime_r(&t, &tm))
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void kf_print_installed(const struct kf_installed_key *k)
{
	char when[32], renew[48] = "";

	kf_when(when, sizeof(when), k->expiry);
	if (k->renew_by) {
		snprintf(renew, sizeof(renew), " renew-by=");
		kf_when(renew + strlen(renew), sizeof(renew) - strlen(renew), k->renew_by);
	}
	printf("%d %s %s item=%s owner=%s version=%llu expires=%s%s\n", k->serial,
	       kf_key_type_name(k->type), k->description, k->item, k->owner,
	       (unsigned long long)k->version, when, renew);
}

/*
 * Whether a provider's failure sends the fetch on to the next distributor:
 * it could not be reached or answered no message 2, it said "internal
 * error" (a provider whose copy is past its bound does), or this host does
 * not pin its key (a configuration to fix, said in err).  Any other
 * authenticated answer is the distributors' word, and final.
 */
static bool try_next(const struct kf_relay *relay, int ret)
{
	return relay->stage == KF_RELAY_NETWORK ||
	       (relay->stage == KF_RELAY_FINISH && ret == -EREMOTEIO) ||
	       (relay->stage == KF_RELAY_BEGIN && ret == -EKEYREJECTED);
}

/* The providers first, each a transfer of its own addressed to its key. */
static int kf_fetch_providers(struct kf_genl *g, const struct kf_config *cfg,
			      struct kf_transfer_begin *begin,
			      struct kf_installed *out, char *err, size_t errlen)
{
	unsigned int i;
	int ret = -EHOSTUNREACH;

	for (i = 0; i < cfg->n_providers; i++) {
		const char *url = cfg->providers[i].url;
		struct kf_relay relay = {
			.repositories = &url,
			.n_repositories = 1,
			.timeout = cfg->timeout,
			.keyring = cfg->keyring,
		};

		begin->distributor_key = cfg->providers[i].key;
		ret = kf_relay_transfer(g, &relay, begin, "/v1/transfer", out);
		begin->distributor_key = NULL;
		if (ret && !try_next(&relay, ret))
			snprintf(err, errlen, "%s", relay.error);
		if (!ret || !try_next(&relay, ret))
			return ret;
		fprintf(stderr, "keyferry: provider %s: %s; trying the next "
			"distributor\n", url, relay.error);
		snprintf(err, errlen, "provider %s: %s", url, relay.error);
	}
	return -EHOSTUNREACH;
}

int kf_fetch_items(struct kf_genl *g, const struct kf_config *cfg,
		   const char *const *items, unsigned int n_items,
		   struct kf_installed *out, char *err, size_t errlen)
{
	const char *repos[KF_MAX_REPOSITORIES];
	struct kf_relay relay = {
		.repositories = repos,
		.n_repositories = cfg->n_repositories,
		.timeout = cfg->timeout,
		.keyring = cfg->keyring,
	};
	struct kf_transfer_begin begin = { .kind = KEYFERRY_TRANSFER_FETCH };
	unsigned int i;
	int ret;

	for (i = 0; i < cfg->n_repositories; i++)
		repos[i] = cfg->repositories[i];
	begin.n_items = n_items;
	for (i = 0; i < n_items; i++)
		begin.items[i] = items[i];
	ret = kf_fetch_providers(g, cfg, &begin, out, err, errlen);
	if (ret != -EHOSTUNREACH || !cfg->n_repositories)
		return ret;
	/* The repositories, under the first key pinned (theirs). */
	ret = kf_relay_transfer(g, &relay, &begin, "/v1/transfer", out);
	if (ret)
		snprintf(err, errlen, "%s", relay.error);
	if (ret && relay.stage == KF_RELAY_NETWORK)
		return -EHOSTUNREACH;
	return ret;
}

/*
 * After the fetch: save the identity when the module's state moved past
 * the blob last saved or loaded (autosave.c), as the daemon does.  Only
 * when the configuration file was read, which names the file (the boot
 * unit's `keyferry fetch --all` does).  A failed save is said, and does
 * not fail the fetch: the keys are installed.
 */
static void fetch_autosave(struct kf_genl *g, const struct kf_config *cfg)
{
	char msg[700];
	int ret;

	ret = kf_identity_autosave(g, cfg, NULL, msg, sizeof(msg));
	if (ret)
		fprintf(stderr, "keyferry fetch: %s\n", msg);
}

int kf_cmd_fetch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "repository", required_argument, NULL, 'r' },
		{ "keyring", required_argument, NULL, 'k' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *items[KEYFERRY_MAX_ITEMS];
	struct kf_config cfg, cli;
	struct kf_installed out;
	unsigned int i, n_items = 0, start;
	bool all = false, keyring_set = false, config_read = false;
	char err[600];
	struct kf_genl g;
	int c, ret;

	kf_config_defaults(&cli);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'r':
			if (cli.n_repositories >= KF_MAX_REPOSITORIES ||
			    strlen(optarg) >= KF_URL_MAX) {
				fprintf(stderr, "keyferry fetch: --repository: too many or too long\n");
				return KF_EXIT_USAGE;
			}
			strcpy(cli.repositories[cli.n_repositories++], optarg);
			break;
		case 'k':
			if (kf_parse_keyring(optarg, &cli.keyring)) {
				fprintf(stderr, "keyferry fetch: --keyring \"%s\": not a keyring\n", optarg);
				return KF_EXIT_USAGE;
			}
			keyring_set = true;
			break;
		case 'a':
			all = true;
			break;
		default:
			fetch_usage();
			return KF_EXIT_USAGE;
		}
	}
	/* The configuration file is needed for --all, or when no repository is given. */
	kf_config_defaults(&cfg);
	if (config_path || all || !cli.n_repositories) {
		ret = kf_config_load(&cfg, config_path ? config_path : KF_CONFIG_PATH,
				     err, sizeof(err));
		if (ret) {
			fprintf(stderr, "keyferry fetch: %s\n", err);
			return KF_EXIT_USAGE;
		}
		config_read = true;
	}
	if (!config_read)
		cfg.identity[0] = '\0';	/* no file named: nothing saved */
	if (cli.n_repositories) {
		memcpy(cfg.repositories, cli.repositories, sizeof(cli.repositories));
		cfg.n_repositories = cli.n_repositories;
	}
	if (keyring_set)
		cfg.keyring = cli.keyring;
	if (all == (optind < argc)) {
		fetch_usage();
		return KF_EXIT_USAGE;
	}
	for (i = optind; i < (unsigned int)argc; i++) {
		if (n_items >= KEYFERRY_MAX_ITEMS) {
			fprintf(stderr, "keyferry fetch: at most %d items at once\n",
				KEYFERRY_MAX_ITEMS);
			return KF_EXIT_USAGE;
		}
		items[n_items++] = argv[i];
	}
	ret = kf_open_module(&g);
	if (ret)
		return ret;
	if (!all) {
		ret = kf_fetch_items(&g, &cfg, items, n_items, &out, err, sizeof(err));
		goto report;
	}
	/* --all: every configured item, one transfer per item, so one refusal
	 * does not keep the others from being installed. */
	ret = 0;
	for (start = 0; start < cfg.n_items; start++) {
		const char *one = cfg.items[start];
		int r = kf_fetch_items(&g, &cfg, &one, 1, &out, err, sizeof(err));

		if (r) {
			fprintf(stderr, "keyferry fetch: %s: %s\n", one, err);
			ret = ret ? ret : r;
			continue;
		}
		for (i = 0; i < out.n; i++)
			kf_print_installed(&out.keys[i]);
	}
	fetch_autosave(&g, &cfg);
	kf_genl_close(&g);
	return !ret ? KF_EXIT_OK : ret == -EHOSTUNREACH ? KF_EXIT_DISTRIBUTOR : KF_EXIT_KERNEL;

report:
	fetch_autosave(&g, &cfg);
	kf_genl_close(&g);
	if (ret) {
		fprintf(stderr, "keyferry fetch: %s\n", err);
		return ret == -EHOSTUNREACH ? KF_EXIT_DISTRIBUTOR : KF_EXIT_KERNEL;
	}
	for (i = 0; i < out.n; i++)
		kf_print_installed(&out.keys[i]);
	return KF_EXIT_OK;
}
