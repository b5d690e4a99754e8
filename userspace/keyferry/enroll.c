// SPDX-License-Identifier: MIT
/*
 * keyferry enroll and keyferry replace: the design's "simple enrollment".
 * The module makes Kei and Kec and pins the distributor's and the owners'
 * public keys; the helper fetches a nonce from the repository and relays
 * the module's enroll message (token, nonce and Kec-pub inside the
 * encrypted, Kei-authenticated message 1).  The helper never sees a
 * private key.
 *
 * enroll refuses when the host has an identity.  replace makes a new one in
 * its place, and only when told the current identity's Kei fingerprint
 * (as keyferry status shows it): the module also insists on it
 * (CONFIRM_KEI), so that no script run twice, or on the wrong host, throws
 * an identity away.  Replacing is the only way out of a revocation.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "keyferry.h"
#include "relay.h"

struct kf_enroll_opts {
	const char *repos[KF_MAX_REPOSITORIES];
	struct kf_relay relay;
	const char *region, *name, *token, *confirm, *config_path;
	uint8_t dkeys[KEYFERRY_MAX_DISTRIBUTOR_KEYS][KEYFERRY_KEY_SIZE];
	unsigned int n_dkeys;
	struct kf_owner_key owners[KEYFERRY_MAX_OWNER_KEYS];
	unsigned int n_owners;
};

static void enroll_usage(const char *cmd)
{
	fprintf(stderr,
		"usage: keyferry %s %s--repository URL [--repository URL...]\n"
		"                       --region REGION --name ENTITY --token TOKEN\n"
		"                       --distributor-key BASE64 [--distributor-key BASE64...]\n"
		"                       [--owner NAME=BASE64...] [--config FILE]\n", cmd,
		strcmp(cmd, "replace") ? "" : "--confirm-kei FINGERPRINT\n                       ");
}

static int kf_add_owner(struct kf_enroll_opts *o, const char *text, const char *where)
{
	char why[200];
	unsigned int i;

	if (o->n_owners >= KEYFERRY_MAX_OWNER_KEYS) {
		fprintf(stderr, "keyferry enroll: %s: more than %d owner keys\n", where,
			KEYFERRY_MAX_OWNER_KEYS);
		return KF_EXIT_USAGE;
	}
	if (kf_parse_owner(text, &o->owners[o->n_owners], why, sizeof(why))) {
		fprintf(stderr, "keyferry enroll: %s: %s\n", where, why);
		return KF_EXIT_USAGE;
	}
	for (i = 0; i < o->n_owners; i++)
		if (!memcmp(o->owners[i].key, o->owners[o->n_owners].key, KEYFERRY_KEY_SIZE))
			return 0;	/* the same key from the file and the command line */
	o->n_owners++;
	return 0;
}

static int kf_enroll_parse(int argc, char **argv, struct kf_enroll_opts *o)
{
	static const struct option opts[] = {
		{ "repository", required_argument, NULL, 'r' },
		{ "region", required_argument, NULL, 'g' },
		{ "name", required_argument, NULL, 'n' },
		{ "token", required_argument, NULL, 't' },
		{ "distributor-key", required_argument, NULL, 'k' },
		{ "owner", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "confirm-kei", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->relay.n_repositories >= KF_MAX_REPOSITORIES) {
				fprintf(stderr, "keyferry enroll: --repository: at most %d\n",
					KF_MAX_REPOSITORIES);
				return KF_EXIT_USAGE;
			}
			o->repos[o->relay.n_repositories++] = optarg;
			break;
		case 'g':
			o->region = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 't':
			o->token = optarg;
			break;
		case 'k':
			if (o->n_dkeys >= KEYFERRY_MAX_DISTRIBUTOR_KEYS ||
			    kf_key_from_base64(o->dkeys[o->n_dkeys], optarg)) {
				fprintf(stderr, "keyferry enroll: --distributor-key \"%s\": "
					"not a base64 32-byte key (or more than %d)\n",
					optarg, KEYFERRY_MAX_DISTRIBUTOR_KEYS);
				return KF_EXIT_USAGE;
			}
			o->n_dkeys++;
			break;
		case 'o':
			ret = kf_add_owner(o, optarg, "--owner");
			if (ret)
				return ret;
			break;
		case 'c':
			o->config_path = optarg;
			break;
		case 'K':
			o->confirm = optarg;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || !o->relay.n_repositories || !o->region || !o->name ||
	    !o->token || !o->n_dkeys)
		return -1;
	if (strlen(o->token) > KEYFERRY_TOKEN_MAX) {
		fprintf(stderr, "keyferry enroll: --token: longer than %d bytes\n",
			KEYFERRY_TOKEN_MAX);
		return KF_EXIT_USAGE;
	}
	return 0;
}

/* The configuration file's owner keys: --config FILE, or the default if present. */
static int kf_enroll_config_owners(struct kf_enroll_opts *o)
{
	const char *path = o->config_path ? o->config_path : KF_CONFIG_PATH;
	struct kf_config cfg;
	char err[600];
	unsigned int i;
	int ret;

	ret = kf_config_load(&cfg, path, err, sizeof(err));
	if (ret == -ENOENT && !o->config_path)
		return 0;
	if (ret) {
		fprintf(stderr, "keyferry enroll: %s\n", err);
		return KF_EXIT_USAGE;
	}
	for (i = 0; i < cfg.n_owners; i++) {
		char text[KEYFERRY_OWNER_NAME_MAX + 64];

		snprintf(text, sizeof(text), "%s ", cfg.owners[i].name);
		kf_base64_encode(text + strlen(text), sizeof(text) - strlen(text),
				 cfg.owners[i].key, KEYFERRY_KEY_SIZE);
		ret = kf_add_owner(o, text, path);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * replace: the current identity must be the one the operator names.  The
 * kernel checks CONFIRM_KEI too; this check gives the clearer message.
 */
static int kf_check_confirm(struct kf_genl *g, const char *confirm, uint8_t kei[KEYFERRY_KEY_SIZE])
{
	struct kf_module_status st;
	char fpr[KF_FINGERPRINT_LEN + 1];
	int ret;

	ret = kf_genl_get_status(g, &st);
	if (ret)
		return kf_report_kernel_error("replace: read the current identity", g, ret);
	if (!st.has_keys) {
		fprintf(stderr, "keyferry replace: this host has no identity; use keyferry enroll\n");
		return KF_EXIT_USAGE;
	}
	kf_kei_fingerprint(fpr, st.kei_pub);
	if (!kf_kei_fingerprint_matches(st.kei_pub, confirm)) {
		fprintf(stderr, "keyferry replace: --confirm-kei %s is not this host's identity "
			"(Kei fingerprint %s): nothing replaced\n", confirm, fpr);
		return KF_EXIT_USAGE;
	}
	memcpy(kei, st.kei_pub, KEYFERRY_KEY_SIZE);
	return 0;
}

static int kf_enroll_entity(struct kf_genl *g, struct kf_enroll_opts *o,
			    uint8_t kei[KEYFERRY_KEY_SIZE], uint8_t kec[KEYFERRY_KEY_SIZE])
{
	uint8_t old_kei[KEYFERRY_KEY_SIZE];
	struct kf_entity_request req = {
		.region = o->region, .name = o->name,
		.distributor_keys = (const uint8_t (*)[KEYFERRY_KEY_SIZE])o->dkeys,
		.n_distributor_keys = o->n_dkeys,
		.owners = o->owners, .n_owners = o->n_owners,
	};
	int ret;

	if (o->confirm) {
		ret = kf_check_confirm(g, o->confirm, old_kei);
		if (ret)
			return ret;
		req.replace = true;
		req.confirm_kei = old_kei;
	}
	ret = kf_genl_entity_create(g, &req, kei, kec);
	if (ret == -EEXIST)
		fprintf(stderr, "keyferry enroll: this host already has an identity; "
			"keyferry replace --confirm-kei FINGERPRINT makes a new one in its place "
			"(the old one is gone for good)\n");
	if (ret)
		return kf_report_kernel_error(o->confirm ? "replace: make the new identity" :
					      "enroll: create the entity keys", g, ret);
	return 0;
}

static int kf_enroll_run(int argc, char **argv, bool replace)
{
	const char *cmd = replace ? "replace" : "enroll";
	struct kf_enroll_opts *o = calloc(1, sizeof(*o));
	struct kf_transfer_begin begin = { .kind = KEYFERRY_TRANSFER_ENROLL };
	uint8_t kei[KEYFERRY_KEY_SIZE], kec[KEYFERRY_KEY_SIZE];
	uint8_t nonce[KEYFERRY_NONCE_SIZE];
	char fpr[KF_FINGERPRINT_LEN + 1];
	struct kf_installed out;
	struct kf_genl g;
	int ret;

	if (!o)
		return KF_EXIT_LOCAL;
	o->relay.repositories = o->repos;
	o->relay.timeout = 30;
	ret = kf_enroll_parse(argc, argv, o);
	if (!ret && replace != !!o->confirm)
		ret = -1;
	if (!ret)
		ret = kf_enroll_config_owners(o);
	if (ret < 0) {
		enroll_usage(cmd);
		ret = KF_EXIT_USAGE;
	}
	if (ret)
		goto out_free;
	ret = kf_open_module(&g);
	if (ret)
		goto out_free;
	ret = kf_enroll_entity(&g, o, kei, kec);
	if (ret)
		goto out;
	ret = kf_relay_challenge(&o->relay, nonce);
	if (ret) {
		fprintf(stderr, "keyferry %s: %s\n", cmd, o->relay.error);
		ret = KF_EXIT_DISTRIBUTOR;
		goto out;
	}
	begin.token = (const uint8_t *)o->token;
	begin.token_len = strlen(o->token);
	begin.nonce = nonce;
	ret = kf_relay_transfer(&g, &o->relay, &begin, "/v1/enroll", &out);
	if (ret) {
		fprintf(stderr, "keyferry %s: %s\n", cmd, o->relay.error);
		ret = o->relay.stage == KF_RELAY_NETWORK ? KF_EXIT_DISTRIBUTOR : KF_EXIT_KERNEL;
		goto out;
	}
	kf_kei_fingerprint(fpr, kei);
	printf("enrolled \"%s\" in region \"%s\" at %s\n", o->name, o->region,
	       o->relay.repository);
	printf("identity (Kei) fingerprint %s\n", fpr);
	kf_kec_fingerprint(fpr, kec);
	printf("confidentiality (Kec) fingerprint %s\n", fpr);
	printf("owner keys pinned: %u\n", o->n_owners);
	ret = KF_EXIT_OK;
out:
	kf_genl_close(&g);
out_free:
	free(o);
	return ret;
}

int kf_cmd_enroll(int argc, char **argv)
{
	return kf_enroll_run(argc, argv, false);
}

int kf_cmd_replace(int argc, char **argv)
{
	return kf_enroll_run(argc, argv, true);
}
