// SPDX-License-Identifier: MIT
/*
 * keyferry enroll: the design's "simple enrollment".  The module makes Kei
 * and Kec; the helper fetches a nonce from the repository and relays the
 * module's enroll message (token, nonce and Kec-pub inside the encrypted,
 * Kei-authenticated message 1).  The helper never sees a private key.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "keyferry.h"
#include "relay.h"

static void enroll_usage(void)
{
	fprintf(stderr,
		"usage: keyferry enroll --repository URL [--repository URL...] --region REGION\n"
		"                       --name ENTITY --token TOKEN --distributor-key BASE64\n"
		"                       [--distributor-key BASE64...] [--replace]\n");
}

int kf_cmd_enroll(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repository", required_argument, NULL, 'r' },
		{ "region", required_argument, NULL, 'g' },
		{ "name", required_argument, NULL, 'n' },
		{ "token", required_argument, NULL, 't' },
		{ "distributor-key", required_argument, NULL, 'k' },
		{ "replace", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	const char *repos[8], *region = NULL, *name = NULL, *token = NULL;
	uint8_t dkeys[KEYFERRY_MAX_DISTRIBUTOR_KEYS][KEYFERRY_KEY_SIZE];
	uint8_t kei[KEYFERRY_KEY_SIZE], kec[KEYFERRY_KEY_SIZE];
	uint8_t nonce[KEYFERRY_NONCE_SIZE];
	struct kf_relay relay = { .repositories = repos, .timeout = 30 };
	struct kf_transfer_begin begin = { .kind = KEYFERRY_TRANSFER_ENROLL };
	struct kf_installed out;
	unsigned int n_keys = 0;
	bool replace = false;
	struct kf_genl g;
	char b64[64];
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (relay.n_repositories >= 8) {
				fprintf(stderr, "keyferry enroll: --repository: at most 8\n");
				return KF_EXIT_USAGE;
			}
			repos[relay.n_repositories++] = optarg;
			break;
		case 'g':
			region = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'k':
			if (n_keys >= KEYFERRY_MAX_DISTRIBUTOR_KEYS ||
			    kf_key_from_base64(dkeys[n_keys], optarg)) {
				fprintf(stderr, "keyferry enroll: --distributor-key \"%s\": "
					"not a base64 32-byte key (or more than %d)\n",
					optarg, KEYFERRY_MAX_DISTRIBUTOR_KEYS);
				return KF_EXIT_USAGE;
			}
			n_keys++;
			break;
		case 'R':
			replace = true;
			break;
		default:
			enroll_usage();
			return KF_EXIT_USAGE;
		}
	}
	if (optind != argc || !relay.n_repositories || !region || !name || !token || !n_keys) {
		enroll_usage();
		return KF_EXIT_USAGE;
	}
	if (strlen(token) > KEYFERRY_TOKEN_MAX) {
		fprintf(stderr, "keyferry enroll: --token: longer than %d bytes\n",
			KEYFERRY_TOKEN_MAX);
		return KF_EXIT_USAGE;
	}
	ret = kf_open_module(&g);
	if (ret)
		return ret;
	ret = kf_genl_entity_create(&g, region, name, (const uint8_t (*)[KEYFERRY_KEY_SIZE])dkeys,
				    n_keys, replace, kei, kec);
	if (ret) {
		if (ret == -EEXIST)
			fprintf(stderr, "keyferry enroll: this host already has an entity; "
				"--replace makes new keys (the old ones are gone for good)\n");
		ret = kf_report_kernel_error("enroll: create the entity keys", &g, ret);
		goto out;
	}
	ret = kf_relay_challenge(&relay, nonce);
	if (ret) {
		fprintf(stderr, "keyferry enroll: %s\n", relay.error);
		ret = KF_EXIT_DISTRIBUTOR;
		goto out;
	}
	begin.token = (const uint8_t *)token;
	begin.token_len = strlen(token);
	begin.nonce = nonce;
	ret = kf_relay_transfer(&g, &relay, &begin, "/v1/enroll", &out);
	if (ret) {
		fprintf(stderr, "keyferry enroll: %s\n", relay.error);
		ret = relay.stage == KF_RELAY_NETWORK ? KF_EXIT_DISTRIBUTOR : KF_EXIT_KERNEL;
		goto out;
	}
	kf_base64_encode(b64, sizeof(b64), kei, sizeof(kei));
	printf("enrolled \"%s\" in region \"%s\" at %s\nidentity key %s\n", name, region,
	       relay.repository, b64);
	ret = KF_EXIT_OK;
out:
	kf_genl_close(&g);
	return ret;
}
