// SPDX-License-Identifier: MIT
/*
 * The teardown entries of keyferry.conf, and `keyferry teardown`, which
 * runs them by hand (an operator closing a host's volumes, or checking a
 * configuration before relying on it).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "keyferry.h"
#include "teardown.h"

static const char *const kf_teardown_kinds[] = {
	[KF_TEARDOWN_DM_CRYPT] = "dm-crypt",
	[KF_TEARDOWN_FSCRYPT] = "fscrypt",
};

const char *kf_teardown_kind_name(enum kf_teardown_kind kind)
{
	return kind == KF_TEARDOWN_DM_CRYPT || kind == KF_TEARDOWN_FSCRYPT ?
	       kf_teardown_kinds[kind] : "?";
}

/* The next word of *s (blank-separated), its length; *s moves past it. */
static size_t kf_word(const char **s, const char **word)
{
	size_t n;

	*s += strspn(*s, " \t");
	*word = *s;
	n = strcspn(*s, " \t");
	*s += n;
	return n;
}

int kf_teardown_parse(const char *value, struct kf_teardown *t, char *why, size_t whylen)
{
	const char *s = value, *item, *kind, *target;
	size_t n_item, n_kind, n_target;

	memset(t, 0, sizeof(*t));
	n_item = kf_word(&s, &item);
	n_kind = kf_word(&s, &kind);
	n_target = kf_word(&s, &target);
	s += strspn(s, " \t");
	if (!n_target || *s) {
		snprintf(why, whylen, "teardown \"%s\": expected ITEM dm-crypt NAME or "
			 "ITEM fscrypt DIR", value);
		return -EINVAL;
	}
	if (!kf_name_valid(item, n_item, KEYFERRY_NAME_MAX)) {
		snprintf(why, whylen, "teardown: item \"%.*s\" is not a valid name",
			 (int)n_item, item);
		return -EINVAL;
	}
	memcpy(t->item, item, n_item);
	if (n_kind == 8 && !memcmp(kind, "dm-crypt", 8)) {
		t->kind = KF_TEARDOWN_DM_CRYPT;
		if (n_target >= 128 || memchr(target, '/', n_target)) {
			snprintf(why, whylen, "teardown %s: dm-crypt \"%.*s\" is not a "
				 "device-mapper name (as in /dev/mapper/NAME)", t->item,
				 (int)n_target, target);
			return -EINVAL;
		}
	} else if (n_kind == 7 && !memcmp(kind, "fscrypt", 7)) {
		t->kind = KF_TEARDOWN_FSCRYPT;
		if (target[0] != '/' || n_target >= KF_TEARDOWN_TARGET_MAX) {
			snprintf(why, whylen, "teardown %s: fscrypt \"%.*s\" is not an "
				 "absolute directory path", t->item, (int)n_target, target);
			return -EINVAL;
		}
	} else {
		snprintf(why, whylen, "teardown %s: \"%.*s\" is not dm-crypt or fscrypt",
			 t->item, (int)n_kind, kind);
		return -EINVAL;
	}
	memcpy(t->target, target, n_target);
	return 0;
}

int kf_teardown_run(const struct kf_teardown *t, char *msg, size_t msglen)
{
	if (t->kind == KF_TEARDOWN_DM_CRYPT)
		return kf_teardown_dm_crypt(t->target, msg, msglen);
	return kf_teardown_fscrypt(t->target, msg, msglen);
}

static void teardown_usage(void)
{
	fprintf(stderr,
		"usage: keyferry teardown [--config FILE] ITEM...|--all\n"
		"Close what the configuration's teardown entries name for these items\n"
		"(dm-crypt: suspend, key wipe, error table, remove; fscrypt: remove the key).\n");
}

static bool teardown_wanted(const char *item, bool all, char **items, int n)
{
	int i;

	if (all)
		return true;
	for (i = 0; i < n; i++)
		if (!strcmp(items[i], item))
			return true;
	return false;
}

int kf_cmd_teardown(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = KF_CONFIG_PATH;
	char err[512], msg[512];
	struct kf_config *cfg;
	bool all = false;
	unsigned int i, done = 0;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c') {
			path = optarg;
		} else if (c == 'a') {
			all = true;
		} else {
			teardown_usage();
			return KF_EXIT_USAGE;
		}
	}
	if (all == (optind < argc)) {
		teardown_usage();
		return KF_EXIT_USAGE;
	}
	cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return KF_EXIT_LOCAL;
	if (kf_config_load(cfg, path, err, sizeof(err))) {
		fprintf(stderr, "keyferry teardown: %s\n", err);
		free(cfg);
		return KF_EXIT_USAGE;
	}
	for (i = 0; i < cfg->n_teardowns; i++) {
		const struct kf_teardown *t = &cfg->teardowns[i];

		if (!teardown_wanted(t->item, all, argv + optind, argc - optind))
			continue;
		done++;
		if (kf_teardown_run(t, msg, sizeof(msg))) {
			fprintf(stderr, "keyferry teardown: %s: %s\n", t->item, msg);
			ret = KF_EXIT_LOCAL;
		} else {
			printf("%s: %s\n", t->item, msg);
		}
	}
	if (!done) {
		fprintf(stderr, "keyferry teardown: %s has no teardown entry for %s\n", path,
			all ? "any item" : "these items");
		ret = KF_EXIT_USAGE;
	}
	free(cfg);
	return ret;
}
