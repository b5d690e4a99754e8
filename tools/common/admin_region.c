// SPDX-License-Identifier: MIT
/* keyferry-admin: regions, groups, enrollment tokens, the server key. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/admin.h"
#include "tools/common/serverkey.h"
#include "tools/common/util.h"

static int print_region(void *ctx, const struct kf_region *r)
{
	char t[32];

	kf_fmt_time(t, sizeof(t), r->created);
	if (kf_admin_json) {
		printf("{\"name\":");
		kf_json_str(r->name);
		printf(",\"created\":%lld,\"entities\":%lld}\n",
		       (long long)r->created, (long long)r->entities);
	} else {
		printf("%-24s created %s, %lld active entities\n", r->name, t,
		       (long long)r->entities);
	}
	return 0;
}

int kf_admin_region(struct kf_store *st, int argc, char **argv)
{
	int ret;

	if (!strcmp(argv[0], "add")) {
		if (kf_admin_need(argc, 2, "region add") ||
		    kf_parse_name("region", argv[1]))
			return 2;
		ret = kf_store_region_add(st, argv[1]);
		return ret ? kf_admin_fail(argv[1], ret) : 0;
	}
	if (!strcmp(argv[0], "list")) {
		ret = kf_store_region_list(st, print_region, NULL);
		return ret ? kf_admin_fail("region list", ret) : 0;
	}
	kf_err("region: unknown sub-command '%s' (add, list)", argv[0]);
	return 2;
}

static int print_public(const char *path)
{
	struct kf_serverkey *k;
	char b64[64], kid[2 * KF_KID_SIZE + 1];

	if (kf_serverkey_load(&k, path))
		return -EINVAL;
	kf_base64_encode(b64, sizeof(b64), kf_serverkey_public(k), KF_KEY_SIZE);
	kf_hex(kid, kf_serverkey_kid(k), KF_KID_SIZE);
	kf_serverkey_free(k);
	if (kf_admin_json) {
		printf("\"repository_public_key\":\"%s\",\"kid\":\"%s\"", b64,
		       kid);
	} else {
		printf("repository public key (pin it on the host): %s\n", b64);
		printf("repository key id: %s\n", kid);
	}
	return 0;
}

static int token_create(struct kf_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", 1, NULL, 'r' }, { "entity", 1, NULL, 'e' },
		{ "ttl", 1, NULL, 't' }, { "key", 1, NULL, 'k' }, { 0 }
	};
	const char *region = NULL, *entity = NULL, *keys[4];
	unsigned int n_keys = 0, i;
	uint64_t ttl = 86400;
	char tok[80];
	int o, ret = 0;

	while ((o = getopt_long(argc, argv, "r:e:t:k:", opts, NULL)) != -1) {
		if ((o == 'r' && kf_parse_name("--region", optarg)) ||
		    (o == 'e' && kf_parse_name("--entity", optarg)) ||
		    (o == 't' && kf_parse_duration("--ttl", optarg, &ttl)) ||
		    o == '?')
			return 2;
		if (o == 'r')
			region = optarg;
		else if (o == 'e')
			entity = optarg;
		else if (o == 'k' && n_keys == KF_ARRAY_SIZE(keys)) {
			kf_err("--key: at most %zu keys", KF_ARRAY_SIZE(keys));
			return 2;
		} else if (o == 'k')
			keys[n_keys++] = optarg;
	}
	if (!region || optind != argc) {
		kf_err("token create: --region is required");
		return 2;
	}
	/* The key the server runs with (/etc/default/keyferry-repo). */
	if (!n_keys && getenv("KEYFERRY_KEY"))
		keys[n_keys++] = getenv("KEYFERRY_KEY");
	/* Check the key files before a token exists that nobody can use. */
	for (i = 0; i < n_keys; i++) {
		struct kf_serverkey *k;

		if (kf_serverkey_load(&k, keys[i]))
			return 1;
		kf_serverkey_free(k);
	}
	ret = kf_store_token_create(st, region, entity, ttl, tok, sizeof(tok));
	if (ret)
		return kf_admin_fail(region, ret);
	if (kf_admin_json)
		printf("{\"token\":\"%s\",\"region\":\"%s\",\"ttl\":%llu,"
		       "\"keys\":[", tok, region, (unsigned long long)ttl);
	else
		printf("one-time enrollment token (shown once): %s\n", tok);
	/* The keys the host pins: the current one and, ahead of a
	 * rotation, the next (docs/operations.md). */
	for (i = 0; !ret && i < n_keys; i++) {
		if (kf_admin_json)
			printf("%s{", i ? "," : "");
		ret = print_public(keys[i]);
		if (kf_admin_json)
			printf("}");
	}
	if (kf_admin_json)
		printf("]}\n");
	kf_wipe(tok, sizeof(tok));
	return ret ? 1 : 0;
}

static int print_token(void *ctx, const struct kf_token_info *t)
{
	char c[32], e[32], u[32];

	kf_fmt_time(c, sizeof(c), t->created);
	kf_fmt_time(e, sizeof(e), t->expires);
	kf_fmt_time(u, sizeof(u), t->used);
	if (kf_admin_json) {
		printf("{\"id\":\"%s\",\"region\":", t->id);
		kf_json_str(t->region);
		printf(",\"entity\":");
		kf_json_str(t->entity);
		printf(",\"created\":%lld,\"expires\":%lld,\"used\":%lld,"
		       "\"used_by\":", (long long)t->created,
		       (long long)t->expires, (long long)t->used);
		kf_json_str(t->used_by);
		printf("}\n");
	} else {
		printf("%s region %s entity %s created %s expires %s used %s%s%s\n",
		       t->id, t->region, t->entity[0] ? t->entity : "*", c, e,
		       u, t->used_by[0] ? " by " : "", t->used_by);
	}
	return 0;
}

int kf_admin_token(struct kf_store *st, int argc, char **argv)
{
	int ret;

	if (!strcmp(argv[0], "create"))
		return token_create(st, argc, argv);
	if (!strcmp(argv[0], "list")) {
		ret = kf_store_token_list(st, print_token, NULL);
		return ret ? kf_admin_fail("token list", ret) : 0;
	}
	kf_err("token: unknown sub-command '%s' (create, list)", argv[0]);
	return 2;
}

static int print_group(void *ctx, const char *region, const char *group,
		       const char *members)
{
	if (kf_admin_json) {
		printf("{\"region\":");
		kf_json_str(region);
		printf(",\"group\":");
		kf_json_str(group);
		printf(",\"members\":");
		kf_json_str(members);
		printf("}\n");
	} else {
		printf("%s/%s: %s\n", region, group, members);
	}
	return 0;
}

int kf_admin_group(struct kf_store *st, int argc, char **argv)
{
	int ret;

	if (!strcmp(argv[0], "add")) {
		if (kf_admin_need(argc, 3, "group add") ||
		    kf_parse_name("region", argv[1]) ||
		    kf_parse_name("group", argv[2]))
			return 2;
		ret = kf_store_group_add(st, argv[1], argv[2]);
		if (ret == -ENOENT) {
			kf_err("group add: no region %s", argv[1]);
			return 1;
		}
		return ret ? kf_admin_fail(argv[2], ret) : 0;
	}
	if (!strcmp(argv[0], "member") && argc == 5 &&
	    !strcmp(argv[1], "add")) {
		ret = kf_store_group_member_add(st, argv[2], argv[3], argv[4]);
		return ret ? kf_admin_fail("region, group or entity", ret) : 0;
	}
	if (!strcmp(argv[0], "list")) {
		ret = kf_store_group_list(st, NULL, print_group, NULL);
		return ret ? kf_admin_fail("group list", ret) : 0;
	}
	kf_err("group: expected add R NAME, member add R GROUP ENTITY, list");
	return 2;
}

int kf_admin_serverkey(int argc, char **argv)
{
	int ret;

	if (argc != 2) {
		kf_err("serverkey: expected generate FILE or show-public FILE");
		return 2;
	}
	if (!strcmp(argv[0], "generate")) {
		ret = kf_serverkey_generate(argv[1]);
		if (ret)
			return 1;
	} else if (strcmp(argv[0], "show-public")) {
		kf_err("serverkey: unknown sub-command '%s'", argv[0]);
		return 2;
	}
	if (kf_admin_json)
		printf("{");
	ret = print_public(argv[1]);
	if (kf_admin_json)
		printf("}\n");
	return ret ? 1 : 0;
}
