// SPDX-License-Identifier: MIT
/* keyferry-admin: entities. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tools/common/admin.h"
#include "tools/common/util.h"

static void print_json(const struct kf_entity *e, const char *kei,
		       const char *kec)
{
	printf("{\"region\":");
	kf_json_str(e->region);
	printf(",\"name\":");
	kf_json_str(e->name);
	printf(",\"state\":\"%s\",\"kei_pub\":\"%s\",\"kec_pub\":\"%s\","
	       "\"enrolled\":%lld,\"revoked\":%lld,\"valid_from\":%lld}\n",
	       kf_store_entity_state_name(e->state), kei, kec,
	       (long long)e->enrolled, (long long)e->revoked,
	       (long long)e->valid_from);
}

static int print_entity(void *ctx, const struct kf_entity *e)
{
	char kei[64], kec[64], t1[32], t2[32], t3[32];
	bool full = ctx != NULL;

	kf_base64_encode(kei, sizeof(kei), e->kei_pub, KF_KEY_SIZE);
	kf_base64_encode(kec, sizeof(kec), e->kec_pub, KF_KEY_SIZE);
	if (kf_admin_json) {
		print_json(e, kei, kec);
		return 0;
	}
	kf_fmt_time(t1, sizeof(t1), e->enrolled);
	kf_fmt_time(t2, sizeof(t2), e->revoked);
	kf_fmt_time(t3, sizeof(t3), e->valid_from);
	if (!full) {
		printf("%s/%s %s enrolled %s\n", e->region, e->name,
		       kf_store_entity_state_name(e->state), t1);
		return 0;
	}
	printf("entity:     %s/%s\nstate:      %s\nenrolled:   %s\n"
	       "revoked:    %s\nvalid from: %s\nKei-pub:    %s\n"
	       "Kec-pub:    %s  (seal to this: keyferry-seal --to-kec)\n",
	       e->region, e->name, kf_store_entity_state_name(e->state), t1, t2, t3,
	       kei, kec);
	return 0;
}

static int entity_list(struct kf_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", 1, NULL, 'r' }, { 0 }
	};
	const char *region = NULL;
	int o, ret;

	while ((o = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (o != 'r' || kf_parse_name("--region", optarg))
			return 2;
		region = optarg;
	}
	ret = kf_store_entity_list(st, region, print_entity, NULL);
	return ret ? kf_admin_fail("entity list", ret) : 0;
}

static int entity_revoke(struct kf_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", 1, NULL, 'R' }, { 0 }
	};
	const char *reason = "";
	int o, ret;

	while ((o = getopt_long(argc, argv, "R:", opts, NULL)) != -1) {
		if (o != 'R')
			return 2;
		reason = optarg;
	}
	if (argc - optind != 2) {
		kf_err("entity revoke: expects REGION NAME");
		return 2;
	}
	ret = kf_store_entity_revoke(st, argv[optind], argv[optind + 1],
				     reason);
	if (ret == -ENOENT)
		kf_err("%s/%s: no such active entity", argv[optind],
		       argv[optind + 1]);
	return ret ? 1 : 0;
}

int kf_admin_entity(struct kf_store *st, int argc, char **argv)
{
	struct kf_entity e;
	int64_t t;
	int ret;

	if (!strcmp(argv[0], "list"))
		return entity_list(st, argc, argv);
	if (!strcmp(argv[0], "revoke"))
		return entity_revoke(st, argc, argv);
	if (!strcmp(argv[0], "show")) {
		if (kf_admin_need(argc, 3, "entity show"))
			return 2;
		ret = kf_store_entity_get(st, argv[1], argv[2], &e);
		if (ret)
			return kf_admin_fail(argv[2], ret);
		return print_entity(&e, &e);
	}
	if (!strcmp(argv[0], "valid-from")) {
		if (kf_admin_need(argc, 4, "entity valid-from") ||
		    kf_parse_time("valid-from", argv[3], &t))
			return 2;
		ret = kf_store_entity_set_valid_from(st, argv[1], argv[2], t);
		return ret ? kf_admin_fail(argv[2], ret) : 0;
	}
	kf_err("entity: unknown sub-command '%s' (list, show, revoke, "
	       "valid-from)", argv[0]);
	return 2;
}
