// SPDX-License-Identifier: MIT
/* keyferry-admin: regions, groups, enrollment tokens, the server key. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/admin.h"
#include "tools/cli/cli.h"
#include "tools/formats/serverkey.h"

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

	if (!strcmp(argv[0], "list")) {
		ret = kf_store_region_list(st, print_region, NULL);
		return ret ? kf_admin_fail("region list", ret) : 0;
	}
	kf_err("region: unknown sub-command '%s' (list; a region is made by "
	       "its first statement: keyferry-admin prepare region)", argv[0]);
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

	if (!strcmp(argv[0], "list")) {
		ret = kf_store_token_list(st, print_token, NULL);
		return ret ? kf_admin_fail("token list", ret) : 0;
	}
	kf_err("token: unknown sub-command '%s' (list; tokens are issued by "
	       "statements: keyferry-admin prepare token)", argv[0]);
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

	if (!strcmp(argv[0], "list")) {
		ret = kf_store_group_list(st, NULL, print_group, NULL);
		return ret ? kf_admin_fail("group list", ret) : 0;
	}
	kf_err("group: unknown sub-command '%s' (list; changes are "
	       "statements: keyferry-admin prepare group)", argv[0]);
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
