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
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "http.h"

static const struct kf_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} kf_commands[] = {
	{ "status", kf_cmd_status, "show the module's state and the host's entity" },
	{ "enroll", kf_cmd_enroll, "make this host's keys and enroll it with a repository" },
	{ "replace", kf_cmd_replace, "make a new identity in place of this host's, and enroll it" },
	{ "owner", kf_cmd_owner, "add, retire or list the owner keys this host accepts items from" },
	{ "fetch", kf_cmd_fetch, "fetch items and have the module install their keys" },
	{ "list", kf_cmd_list, "list the keys the module installed (never their secrets)" },
	{ "daemon", kf_cmd_daemon, "fetch and renew the configured items, for ever" },
	{ "identity", kf_cmd_identity, "save or load the host's identity, sealed by a TPM or a passphrase" },
	{ "teardown", kf_cmd_teardown, "close the volumes and directories that use these items' keys" },
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
