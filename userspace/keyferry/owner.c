// SPDX-License-Identifier: MIT
/*
 * keyferry owner add|retire|list: the data owners whose items this host
 * accepts.  The module pins each owner's public key (Ko-pub) under the
 * owner's name, for the entity's region; an item sealed by any other key
 * is refused.  Adding a second key under one name is a rotation (both are
 * accepted); retiring the old one then refuses its items.  Changing the
 * pinned keys needs CAP_SYS_ADMIN; listing them, CAP_NET_ADMIN.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "keyferry.h"

static void owner_usage(void)
{
	fprintf(stderr,
		"usage: keyferry owner add NAME BASE64-KEY\n"
		"       keyferry owner retire BASE64-KEY\n"
		"       keyferry owner list [--json]\n");
}

static int owner_add(struct kf_genl *g, const char *name, const char *key)
{
	struct kf_owner_key o;
	char text[512], why[200];
	int ret;

	snprintf(text, sizeof(text), "%s %s", name, key);
	if (kf_parse_owner(text, &o, why, sizeof(why))) {
		fprintf(stderr, "keyferry owner add: %s\n", why);
		return KF_EXIT_USAGE;
	}
	ret = kf_genl_owner_add(g, o.name, o.key);
	if (ret)
		return kf_report_kernel_error("owner add", g, ret);
	printf("owner %s: key %s pinned\n", o.name, key);
	return KF_EXIT_OK;
}

static int owner_retire(struct kf_genl *g, const char *key)
{
	uint8_t pub[KEYFERRY_KEY_SIZE];
	int ret;

	if (kf_key_from_base64(pub, key)) {
		fprintf(stderr, "keyferry owner retire: \"%s\" is not a base64 32-byte "
			"public key\n", key);
		return KF_EXIT_USAGE;
	}
	ret = kf_genl_owner_retire(g, pub);
	if (ret)
		return kf_report_kernel_error("owner retire", g, ret);
	printf("owner key %s retired: its items are refused from now on\n", key);
	return KF_EXIT_OK;
}

static int owner_list(struct kf_genl *g, bool json)
{
	struct kf_module_status st;
	char b64[64];
	unsigned int i;
	int ret;

	ret = kf_genl_get_status(g, &st);
	if (ret)
		return kf_report_kernel_error("owner list", g, ret);
	if (json)
		printf("[");
	for (i = 0; i < st.n_owners; i++) {
		kf_base64_encode(b64, sizeof(b64), st.owners[i].key, KEYFERRY_KEY_SIZE);
		/* owner names are [A-Za-z0-9._-], base64 needs no escaping */
		if (json)
			printf("%s{\"owner\":\"%s\",\"key\":\"%s\"}", i ? "," : "",
			       st.owners[i].name, b64);
		else
			printf("%s %s\n", st.owners[i].name, b64);
	}
	if (json)
		printf("]\n");
	return KF_EXIT_OK;
}

int kf_cmd_owner(int argc, char **argv)
{
	struct kf_genl g;
	int ret;

	if (argc < 2 ||
	    !((!strcmp(argv[1], "add") && argc == 4) ||
	      (!strcmp(argv[1], "retire") && argc == 3) ||
	      (!strcmp(argv[1], "list") && argc == 2) ||
	      (!strcmp(argv[1], "list") && argc == 3 && !strcmp(argv[2], "--json")))) {
		owner_usage();
		return KF_EXIT_USAGE;
	}
	ret = kf_open_module(&g);
	if (ret)
		return ret;
	if (!strcmp(argv[1], "add"))
		ret = owner_add(&g, argv[2], argv[3]);
	else if (!strcmp(argv[1], "retire"))
		ret = owner_retire(&g, argv[2]);
	else
		ret = owner_list(&g, argc == 3);
	kf_genl_close(&g);
	return ret;
}
