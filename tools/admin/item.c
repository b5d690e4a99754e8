// SPDX-License-Identifier: MIT
/* keyferry-admin: data sets and items. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/prepare.h"
#include "tools/cli/cli.h"
#include "tools/formats/sealfile.h"

static int print_dataset(void *ctx, const struct kf_dataset *d)
{
	char nb[32], na[32];

	kf_fmt_time(nb, sizeof(nb), d->not_before);
	kf_fmt_time(na, sizeof(na), d->not_after);
	if (kf_admin_json) {
		printf("{\"region\":");
		kf_json_str(d->region);
		printf(",\"name\":");
		kf_json_str(d->name);
		printf(",\"not_before\":%lld,\"not_after\":%lld,"
		       "\"rate_count\":%u,\"rate_period\":%u,\"allow\":",
		       (long long)d->not_before, (long long)d->not_after,
		       d->rate_count, d->rate_period);
		kf_json_str(d->allow);
		printf("}\n");
		return 0;
	}
	printf("%s/%s window %s..%s rate %s%u/%us allow %s\n", d->region,
	       d->name, nb, na, d->rate_count ? "" : "unlimited ",
	       d->rate_count, d->rate_period, d->allow[0] ? d->allow : "*");
	return 0;
}

static const char *region_opt(int argc, char **argv, int *bad)
{
	static const struct option opts[] = {
		{ "region", 1, NULL, 'r' }, { 0 }
	};
	const char *region = NULL;
	int o;

	*bad = 0;
	while ((o = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (o != 'r' || kf_parse_name("--region", optarg))
			*bad = 1;
		region = optarg;
	}
	return region;
}

int kf_admin_dataset(struct kf_store *st, int argc, char **argv)
{
	const char *region;
	int bad, ret;

	if (!strcmp(argv[0], "list")) {
		region = region_opt(argc, argv, &bad);
		if (bad)
			return 2;
		ret = kf_store_dataset_list(st, region, print_dataset, NULL);
		return ret ? kf_admin_fail("dataset list", ret) : 0;
	}
	kf_err("dataset: unknown sub-command '%s' (list; changes are "
	       "statements: keyferry-admin prepare dataset)", argv[0]);
	return 2;
}

static const char *key_type_name(uint8_t t)
{
	static const char *const names[] = { "?", "logon", "user", "fscrypt",
					     "unwrap" };

	return t < KF_ARRAY_SIZE(names) ? names[t] : "?";
}

static void print_item_json(const struct kf_item *it,
			    const struct kf_policy *p, const char *owner)
{
	printf("{\"region\":");
	kf_json_str(it->region);
	printf(",\"name\":");
	kf_json_str(it->name);
	printf(",\"version\":%llu,\"dataset\":",
	       (unsigned long long)it->version);
	kf_json_str(it->dataset);
	printf(",\"%s\":", it->to_group ? "group" : "entity");
	kf_json_str(it->recipient);
	printf(",\"key_type\":\"%s\",\"key_size\":%u,\"owner_kid\":\"%s\","
	       "\"unwrap_key\":", key_type_name(p->key_type), p->key_size,
	       owner);
	kf_json_str(p->unwrap_key);
	printf(",\"lease\":%u,\"grace\":%u,\"sealed_bytes\":%zu}\n",
	       p->lease, p->grace, it->sealed_len);
}

static int print_item(void *ctx, const struct kf_item *it)
{
	static const uint8_t zero[KF_KID_SIZE];
	char owner[2 * KF_KID_SIZE + 1] = "-";
	struct kf_policy p;

	if (kf_policy_decode(&p, it->policy, it->policy_len))
		memset(&p, 0, sizeof(p));
	/* alg 2 names no owner key: its owner is the unwrapping key's */
	if (memcmp(it->owner_kid, zero, KF_KID_SIZE))
		kf_hex(owner, it->owner_kid, KF_KID_SIZE);
	if (kf_admin_json) {
		print_item_json(it, &p, owner);
		return 0;
	}
	printf("%s/%s v%llu dataset %s for %s %s: %s %u bytes, %s%s%s\n",
	       it->region, it->name, (unsigned long long)it->version,
	       it->dataset, it->to_group ? "group" : "entity", it->recipient,
	       key_type_name(p.key_type), p.key_size,
	       p.unwrap_key[0] ? "under " : "owner kid ",
	       p.unwrap_key[0] ? p.unwrap_key : owner,
	       p.lease ? " (leased)" : "");
	return 0;
}

int kf_admin_item(struct kf_store *st, int argc, char **argv)
{
	const char *region;
	int bad, ret;

	if (!strcmp(argv[0], "list")) {
		region = region_opt(argc, argv, &bad);
		if (bad)
			return 2;
		ret = kf_store_item_list(st, region, print_item, NULL);
		return ret ? kf_admin_fail("item list", ret) : 0;
	}
	kf_err("item: unknown sub-command '%s' (list; puts and deletes are "
	       "item requests: keyferry-admin prepare item)", argv[0]);
	return 2;
}

/* ---- prepare item put, prepare item delete --------------------------------- */

static int item_request(struct kf_item_request *r, const char *region,
			const char *item, struct kf_prep_opts *o)
{
	int64_t now = kf_now();

	snprintf(r->region, sizeof(r->region), "%s", region);
	snprintf(r->item, sizeof(r->item), "%s", item);
	if (o->entity)
		snprintf(r->entity, sizeof(r->entity), "%s", o->entity);
	if (o->group)
		snprintf(r->group, sizeof(r->group), "%s", o->group);
	r->issued = (uint64_t)now;
	r->expires = (uint64_t)now + o->expires;
	r->item_version = o->version;
	return kf_random(r->nonce, sizeof(r->nonce));
}

/*
 * prepare item put SEALED-FILE --dataset DS (--entity E | --group G |
 * --entity E --group G) [--version N]: the owner's sealed item into a
 * data set, for an entity, a group, or an entity as a member of a group
 * (its copy of the group's key: served only while it is a member).
 * prepare item delete R NAME [--entity E | --group G] [--version N].
 * Signed by the region's authority or by administrators of a group the
 * data set names as administering it.
 */
int kf_prepare_item(int argc, char **argv, struct kf_prep_opts *o)
{
	static struct kf_item_request r;
	static struct kf_sealfile sf;
	struct kf_draft *d;

	memset(&r, 0, sizeof(r));
	if (argc == 3 && !strcmp(argv[1], "put")) {
		if (!o->dataset || (!o->entity && !o->group)) {
			kf_err("prepare item put FILE --dataset DS (--entity E "
			       "and/or --group G)");
			return 2;
		}
		if (kf_sealfile_read(argv[2], &sf))
			return 1;
		r.action = KF_ITEM_PUT;
		snprintf(r.dataset, sizeof(r.dataset), "%s", o->dataset);
		r.policy = sf.policy;
		r.policy_len = sf.policy_len;
		r.sealed = sf.sealed;
		r.sealed_len = sf.sealed_len;
		if (item_request(&r, sf.region, sf.item, o))
			return 1;
	} else if (argc == 4 && !strcmp(argv[1], "delete") &&
		   !kf_parse_name("region", argv[2]) &&
		   !kf_parse_name("item", argv[3]) && !o->dataset) {
		r.action = KF_ITEM_DELETE;
		if (item_request(&r, argv[2], argv[3], o))
			return 1;
	} else {
		kf_err("prepare item put FILE --dataset DS (--entity E, --group "
		       "G) [--version N] | item delete R NAME [--entity E | "
		       "--group G] [--version N]");
		return 2;
	}
	d = kf_draft_item(&r);
	return d ? kf_draft_finish(d, o) : 1;
}
