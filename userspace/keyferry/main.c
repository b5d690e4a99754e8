// SPDX-License-Identifier: MIT
/*
 * keyferry: the host helper.  An untrusted relay between the kernel's
 * secure processor and the distributor; it never handles a key.
 *
 * Exit codes (stable, for scripts): 0 success, 1 usage or configuration
 * error, 2 the module is not loaded, 3 refused (by the module, or by the
 * distributor in an authenticated reply the module checked), 4 no
 * repository could be reached or it answered with an HTTP error, 5 local
 * error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "genl.h"
#include "keyferry.h"
#include "cli.h"
#include "http.h"

static void print_key(const char *label, const uint8_t key[KEYFERRY_KEY_SIZE])
{
	char b64[64];

	if (kf_base64_encode(b64, sizeof(b64), key, KEYFERRY_KEY_SIZE) < 0)
		snprintf(b64, sizeof(b64), "(unprintable)");
	printf("%-20s %s\n", label, b64);
}

static void print_status_json(const struct kf_module_status *st)
{
	char kei[64] = "", kec[64] = "";

	if (st->has_keys) {
		kf_base64_encode(kei, sizeof(kei), st->kei_pub, KEYFERRY_KEY_SIZE);
		kf_base64_encode(kec, sizeof(kec), st->kec_pub, KEYFERRY_KEY_SIZE);
	}
	/* Names are restricted to [A-Za-z0-9._:@/-]: nothing to escape. */
	printf("{\"family_version\":%u,\"module_version\":\"%s\","
	       "\"entity_state\":\"%s\",\"enrolled\":%s,"
	       "\"pending_transfers\":%u,\"installed_keys\":%u,"
	       "\"region\":\"%s\",\"entity\":\"%s\",\"kei_pub\":\"%s\",\"kec_pub\":\"%s\"}\n",
	       st->family_version, st->module_version,
	       kf_genl_entity_state_name(st->entity_state),
	       st->enrolled ? "true" : "false", st->pending_transfers,
	       st->installed_keys, st->region, st->entity_name, kei, kec);
}

static void print_status(const struct kf_module_status *st)
{
	unsigned int i;

	printf("%-20s %u\n", "family version", st->family_version);
	printf("%-20s %s\n", "module version", st->module_version);
	printf("%-20s %s\n", "enrolled", st->enrolled ? "yes" : "no");
	printf("%-20s %s\n", "entity state", kf_genl_entity_state_name(st->entity_state));
	if (st->region[0])
		printf("%-20s %s\n", "region", st->region);
	if (st->entity_name[0])
		printf("%-20s %s\n", "entity", st->entity_name);
	if (st->has_keys) {
		print_key("identity key (Kei)", st->kei_pub);
		print_key("confidentiality (Kec)", st->kec_pub);
	}
	for (i = 0; i < st->n_distributor_keys; i++)
		print_key("pinned distributor", st->distributor_keys[i]);
	printf("%-20s %u\n", "pending transfers", st->pending_transfers);
	printf("%-20s %u\n", "installed keys", st->installed_keys);
}

static int cmd_status(int argc, char **argv)
{
	struct kf_module_status st;
	struct kf_genl g;
	bool json = false;
	int ret;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json"))) {
		fprintf(stderr, "usage: keyferry status [--json]\n");
		return KF_EXIT_USAGE;
	}
	json = argc == 2;
	ret = kf_open_module(&g);
	if (ret)
		return ret;
	ret = kf_genl_get_status(&g, &st);
	if (ret < 0) {
		ret = kf_report_kernel_error("status", &g, ret);
		goto out;
	}
	if (json)
		print_status_json(&st);
	else
		print_status(&st);
out:
	kf_genl_close(&g);
	return ret;
}

static const struct kf_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} kf_commands[] = {
	{ "status", cmd_status, "show the module's state and the host's entity" },
	{ "enroll", kf_cmd_enroll, "make this host's keys and enroll it with a repository" },
	{ "fetch", kf_cmd_fetch, "fetch items and have the module install their keys" },
	{ "list", kf_cmd_list, "list the keys the module installed (never their secrets)" },
	{ "daemon", kf_cmd_daemon, "fetch and renew the configured items, for ever" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: keyferry <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(kf_commands) / sizeof(kf_commands[0]); i++)
		fprintf(out, "  %-10s %s\n", kf_commands[i].name, kf_commands[i].help);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return KF_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("keyferry %s\n", KEYFERRY_VERSION);
		return 0;
	}
	if (kf_http_global_init()) {
		fprintf(stderr, "keyferry: cannot initialise libcurl\n");
		return KF_EXIT_LOCAL;
	}
	for (i = 0; i < sizeof(kf_commands) / sizeof(kf_commands[0]); i++)
		if (!strcmp(argv[1], kf_commands[i].name))
			return kf_commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "keyferry: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return KF_EXIT_USAGE;
}
