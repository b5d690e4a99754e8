// SPDX-License-Identifier: MIT
/* keyferry list: what the module installed and tracks; never a secret. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fetch.h"

static int print_json(const struct kf_installed_key *k, void *arg)
{
	unsigned int *n = arg;

	/* Descriptions and names are restricted to [A-Za-z0-9._:@/-]. */
	printf("%s{\"serial\":%d,\"type\":\"%s\",\"description\":\"%s\",\"owner\":\"%s\","
	       "\"item\":\"%s\",\"version\":%llu,\"expiry\":%llu,\"renew_by\":%llu}",
	       (*n)++ ? "," : "", k->serial, kf_key_type_name(k->type), k->description,
	       k->owner, k->item, (unsigned long long)k->version,
	       (unsigned long long)k->expiry, (unsigned long long)k->renew_by);
	return 0;
}

static int print_line(const struct kf_installed_key *k, void *arg)
{
	kf_print_installed(k);
	return 0;
}

int kf_cmd_list(int argc, char **argv)
{
	unsigned int n = 0;
	struct kf_genl g;
	bool json;
	int ret;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json"))) {
		fprintf(stderr, "usage: keyferry list [--json]\n");
		return KF_EXIT_USAGE;
	}
	json = argc == 2;
	ret = kf_open_module(&g);
	if (ret)
		return ret;
	if (json)
		printf("[");
	ret = kf_genl_key_list(&g, json ? print_json : print_line, &n);
	if (json)
		printf("]\n");
	if (ret)
		ret = kf_report_kernel_error("list", &g, ret);
	kf_genl_close(&g);
	return ret;
}
