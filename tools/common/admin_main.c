// SPDX-License-Identifier: MIT
/*
 * keyferry-admin: the repository's administration, directly on its store
 * (--db).  Every change is one transaction carrying its audit record.
 * Output is for people, or JSON with --json (one object per line for
 * lists, so that scripts can stream them).
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/common/admin.h"
#include "tools/common/mains.h"
#include "tools/common/util.h"

bool kf_admin_json;

static void usage(FILE *f)
{
	fprintf(f,
"usage: keyferry-admin [--db PATH] [--json] COMMAND ...\n"
"  region add NAME | region list\n"
"  token create --region R [--entity NAME] [--ttl 24h] [--key KEYFILE]...\n"
"  token list\n"
"  entity list [--region R] | entity show R NAME\n"
"  entity revoke R NAME [--reason TEXT] | entity valid-from R NAME TIME\n"
"  group add R NAME | group member add R GROUP ENTITY | group list\n"
"  dataset add R NAME [--not-before T] [--not-after T] [--rate N/PERIOD]\n"
"              [--allow entity:NAME,group:NAME,...]\n"
"  dataset list [--region R]\n"
"  item put FILE --dataset DS (--entity E | --group G) [--version N]\n"
"  item list [--region R] | item delete R NAME [--recipient X] [--version N]\n"
"  audit show [--since SEQ] [--limit N] | audit verify\n"
"  serverkey generate FILE | serverkey show-public FILE\n"
"--db defaults to $KEYFERRY_DB, else /var/lib/keyferry/repo.db; token\n"
"create's --key to $KEYFERRY_KEY (its public half is printed to pin).\n");
}

int kf_admin_fail(const char *what, int ret)
{
	switch (ret) {
	case -ENOENT: kf_err("%s: not found", what); break;
	case -EEXIST: kf_err("%s: already exists", what); break;
	case -EBUSY: kf_err("%s: the database is busy, try again", what); break;
	default: kf_err("%s: %s", what, strerror(-ret)); break;
	}
	return 1;
}

int kf_admin_need(int argc, int n, const char *what)
{
	if (argc == n)
		return 0;
	kf_err("%s: expects %d argument%s", what, n - 1, n == 2 ? "" : "s");
	return -EINVAL;
}

static int open_store(const char *db, struct kf_store **st)
{
	char actor[64];
	struct passwd *pw = getpwuid(getuid());
	int ret = kf_store_open(st, db, KF_STORE_CREATE);

	if (ret) {
		kf_err("--db: %s: cannot open: %s", db, strerror(-ret));
		return ret;
	}
	snprintf(actor, sizeof(actor), "admin:%s", pw ? pw->pw_name : "?");
	kf_store_set_actor(*st, actor);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct kf_store *st, int argc, char **argv);
} commands[] = {
	{ "region", kf_admin_region },
	{ "token", kf_admin_token },
	{ "entity", kf_admin_entity },
	{ "group", kf_admin_group },
	{ "dataset", kf_admin_dataset },
	{ "item", kf_admin_item },
	{ "audit", kf_admin_audit },
};

int kf_admin_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", 1, NULL, 'd' }, { "json", 0, NULL, 'j' },
		{ "help", 0, NULL, 'h' }, { 0 }
	};
	const char *db = getenv("KEYFERRY_DB");
	struct kf_store *st;
	unsigned int i;
	int o, ret;

	kf_set_progname(argv[0]);
	kf_admin_json = false;
	optind = 0;	/* 0: re-initialise getopt fully */
	while ((o = getopt_long(argc, argv, "+d:jh", opts, NULL)) != -1) {
		switch (o) {
		case 'd': db = optarg; break;
		case 'j': kf_admin_json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	/* The server key needs no database. */
	if (!strcmp(argv[0], "serverkey"))
		return kf_admin_serverkey(argc - 1, argv + 1);
	if (!db)
		db = "/var/lib/keyferry/repo.db";
	for (i = 0; i < KF_ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[0], commands[i].name))
			continue;
		if (open_store(db, &st))
			return 1;
		/* Sub-commands parse their own options from argv[1]. */
		optind = 0;	/* 0: glibc re-initialises getopt fully */
		ret = commands[i].fn(st, argc - 1, argv + 1);
		kf_store_close(st);
		return ret;
	}
	kf_err("unknown command '%s'", argv[0]);
	usage(stderr);
	return 2;
}
