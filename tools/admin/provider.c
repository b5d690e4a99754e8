// SPDX-License-Identifier: MIT
/*
 * keyferry-admin provider list: the secure providers the regions'
 * authorities allowed (docs/operations.md section 11), read from a store.
 * Allowing and retiring one is a statement (prepare provider).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tools/admin/admin.h"
#include "tools/cli/cli.h"

static int print_provider(void *ctx, const struct kf_provider_info *p)
{
	char pub[64], kid_hex[2 * KF_KID_SIZE + 1], t[32];
	uint8_t kid[KF_KID_SIZE];

	kf_base64_encode(pub, sizeof(pub), p->pub, KF_KEY_SIZE);
	kf_kid(p->pub, kid);
	kf_hex(kid_hex, kid, sizeof(kid));
	if (kf_admin_json) {
		printf("{\"name\":");
		kf_json_str(p->name);
		printf(",\"public_key\":\"%s\",\"kid\":\"%s\",\"regions\":", pub,
		       kid_hex);
		kf_json_str(p->regions);
		printf(",\"retired_in\":");
		kf_json_str(p->retired_in);
		printf(",\"synced\":%lld,\"reported_seq\":%lld}\n",
		       (long long)p->synced, (long long)p->reported_seq);
		return 0;
	}
	kf_fmt_time(t, sizeof(t), p->synced);
	printf("%s key %s (kid %s) serves %s%s%s; last exchange %s, audit "
	       "records in up to %lld\n", p->name, pub, kid_hex,
	       p->regions[0] ? p->regions : "no region",
	       p->retired_in[0] ? ", retired in " : "", p->retired_in, t,
	       (long long)p->reported_seq);
	return 0;
}

int kf_admin_provider(struct kf_store *st, int argc, char **argv)
{
	int ret;

	if (!strcmp(argv[0], "allow") || !strcmp(argv[0], "retire")) {
		kf_err("provider %s: the region's authority decides: "
		       "keyferry-admin prepare provider %s R NAME KEY", argv[0],
		       argv[0]);
		return 2;
	}
	if (!strcmp(argv[0], "list")) {
		ret = kf_store_provider_list(st, print_provider, NULL);
		return ret ? kf_admin_fail("provider list", ret) : 0;
	}
	kf_err("provider: unknown sub-command '%s' (list)",
	       argv[0]);
	return 2;
}
