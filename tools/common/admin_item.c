// SPDX-License-Identifier: MIT
/* keyferry-admin: data sets and items. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/admin.h"
#include "tools/common/sealfile.h"
#include "tools/common/util.h"

static int parse_rate(const char *s, struct kf_dataset *d)
{
	char buf[64], *slash;
	uint64_t n, p;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash) {
		kf_err("--rate: '%s' is not N/PERIOD (like 10/1h)", s);
		return -EINVAL;
	}
	*slash = 0;
	if (kf_parse_u64("--rate count", buf, 1, UINT32_MAX, &n) ||
	    kf_parse_duration("--rate period", slash + 1, &p))
		return -EINVAL;
	if (!p || p > UINT32_MAX) {
		kf_err("--rate period: 1 s to %u s", UINT32_MAX);
		return -EINVAL;
	}
	d->rate_count = (uint32_t)n;
	d->rate_period = (uint32_t)p;
	return 0;
}

static int dataset_opt(int o, struct kf_dataset *d)
{
	switch (o) {
	case 'b': return kf_parse_time("--not-before", optarg, &d->not_before);
	case 'a': return kf_parse_time("--not-after", optarg, &d->not_after);
	case 'r': return parse_rate(optarg, d);
	case 'A':
		if (strlen(optarg) >= sizeof(d->allow)) {
			kf_err("--allow: longer than %zu bytes",
			       sizeof(d->allow) - 1);
			return -EINVAL;
		}
		snprintf(d->allow, sizeof(d->allow), "%s", optarg);
		return 0;
	default: return -EINVAL;
	}
}

static int dataset_add(struct kf_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "not-before", 1, NULL, 'b' }, { "not-after", 1, NULL, 'a' },
		{ "rate", 1, NULL, 'r' }, { "allow", 1, NULL, 'A' }, { 0 }
	};
	static struct kf_dataset d;
	int o, ret;

	memset(&d, 0, sizeof(d));
	while ((o = getopt_long(argc, argv, "b:a:r:A:", opts, NULL)) != -1)
		if (dataset_opt(o, &d))
			return 2;
	if (argc - optind != 2 || kf_parse_name("region", argv[optind]) ||
	    kf_parse_name("data set", argv[optind + 1])) {
		kf_err("dataset add: expects REGION NAME");
		return 2;
	}
	snprintf(d.region, sizeof(d.region), "%s", argv[optind]);
	snprintf(d.name, sizeof(d.name), "%s", argv[optind + 1]);
	ret = kf_store_dataset_add(st, &d);
	if (ret == -EINVAL) {
		kf_err("--allow: '%s' is not a list of entity:NAME and "
		       "group:NAME", d.allow);
		return 1;
	}
	if (ret == -ENOENT) {
		kf_err("dataset add: no region %s", d.region);
		return 1;
	}
	return ret ? kf_admin_fail(d.name, ret) : 0;
}

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

	if (!strcmp(argv[0], "add"))
		return dataset_add(st, argc, argv);
	if (!strcmp(argv[0], "list")) {
		region = region_opt(argc, argv, &bad);
		if (bad)
			return 2;
		ret = kf_store_dataset_list(st, region, print_dataset, NULL);
		return ret ? kf_admin_fail("dataset list", ret) : 0;
	}
	kf_err("dataset: unknown sub-command '%s' (add, list)", argv[0]);
	return 2;
}

static int item_put(struct kf_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dataset", 1, NULL, 'd' }, { "entity", 1, NULL, 'e' },
		{ "group", 1, NULL, 'g' }, { "version", 1, NULL, 'v' }, { 0 }
	};
	static struct kf_sealfile sf;
	static struct kf_item it;
	const char *ds = NULL, *rcp = NULL;
	int o, ret;

	memset(&it, 0, sizeof(it));
	while ((o = getopt_long(argc, argv, "d:e:g:v:", opts, NULL)) != -1) {
		if (o == 'd')
			ds = optarg;
		else if (o == 'e' || o == 'g') {
			if (rcp) {
				kf_err("item put: one --entity or --group");
				return 2;
			}
			rcp = optarg;
			it.to_group = o == 'g';
		} else if (o != 'v' || kf_parse_u64("--version", optarg, 1,
						     INT64_MAX, &it.version))
			return 2;
	}
	if (argc - optind != 1 || !ds || !rcp) {
		kf_err("item put: expects FILE --dataset DS (--entity E | "
		       "--group G)");
		return 2;
	}
	if (kf_sealfile_read(argv[optind], &sf))
		return 1;
	snprintf(it.region, sizeof(it.region), "%s", sf.region);
	snprintf(it.name, sizeof(it.name), "%s", sf.item);
	snprintf(it.dataset, sizeof(it.dataset), "%s", ds);
	snprintf(it.recipient, sizeof(it.recipient), "%s", rcp);
	memcpy(it.policy, sf.policy, sf.policy_len);
	it.policy_len = sf.policy_len;
	memcpy(it.sealed, sf.sealed, sf.sealed_len);
	it.sealed_len = sf.sealed_len;
	ret = kf_store_item_put(st, &it);
	if (ret == -ENOENT)
		kf_err("item put: region %s, data set %s or %s %s not found",
		       it.region, ds, it.to_group ? "group" : "entity", rcp);
	else if (ret == -EEXIST)
		kf_err("item put: %s version %llu for %s exists", it.name,
		       (unsigned long long)it.version, rcp);
	else if (ret)
		kf_admin_fail("item put", ret);
	else if (kf_admin_json)
		printf("{\"item\":\"%s\",\"version\":%llu}\n", it.name,
		       (unsigned long long)it.version);
	else
		printf("stored %s/%s version %llu for %s %s\n", it.region,
		       it.name, (unsigned long long)it.version,
		       it.to_group ? "group" : "entity", rcp);
	return ret ? 1 : 0;
}

static int print_item(void *ctx, const struct kf_item *it)
{
	struct kf_policy p;

	if (kf_policy_decode(&p, it->policy, it->policy_len))
		memset(&p, 0, sizeof(p));
	if (kf_admin_json) {
		printf("{\"region\":");
		kf_json_str(it->region);
		printf(",\"name\":");
		kf_json_str(it->name);
		printf(",\"version\":%llu,\"dataset\":",
		       (unsigned long long)it->version);
		kf_json_str(it->dataset);
		printf(",\"%s\":", it->to_group ? "group" : "entity");
		kf_json_str(it->recipient);
		printf(",\"key_type\":%u,\"description\":", p.key_type);
		kf_json_str(p.description);
		printf(",\"key_size\":%u,\"sealed_bytes\":%zu}\n", p.key_size,
		       it->sealed_len);
		return 0;
	}
	printf("%s/%s v%llu dataset %s for %s %s: type %u '%s' %u bytes%s%s\n",
	       it->region, it->name, (unsigned long long)it->version,
	       it->dataset, it->to_group ? "group" : "entity", it->recipient,
	       p.key_type, p.description, p.key_size,
	       p.unwrap_key[0] ? " under " : "", p.unwrap_key);
	return 0;
}

static int item_delete(struct kf_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "recipient", 1, NULL, 'r' }, { "version", 1, NULL, 'v' },
		{ 0 }
	};
	const char *rcp = NULL;
	uint64_t version = 0;
	int o, ret;

	while ((o = getopt_long(argc, argv, "r:v:", opts, NULL)) != -1) {
		if (o == 'r')
			rcp = optarg;
		else if (o != 'v' || kf_parse_u64("--version", optarg, 1,
						     INT64_MAX, &version))
			return 2;
	}
	if (argc - optind != 2) {
		kf_err("item delete: expects REGION NAME");
		return 2;
	}
	ret = kf_store_item_delete(st, argv[optind], argv[optind + 1], rcp,
				   version);
	return ret ? kf_admin_fail(argv[optind + 1], ret) : 0;
}

int kf_admin_item(struct kf_store *st, int argc, char **argv)
{
	const char *region;
	int bad, ret;

	if (!strcmp(argv[0], "put"))
		return item_put(st, argc, argv);
	if (!strcmp(argv[0], "delete"))
		return item_delete(st, argc, argv);
	if (!strcmp(argv[0], "list")) {
		region = region_opt(argc, argv, &bad);
		if (bad)
			return 2;
		ret = kf_store_item_list(st, region, print_item, NULL);
		return ret ? kf_admin_fail("item list", ret) : 0;
	}
	kf_err("item: unknown sub-command '%s' (put, list, delete)", argv[0]);
	return 2;
}
