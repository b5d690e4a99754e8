// SPDX-License-Identifier: MIT
/*
 * keyferry-admin: the region authority's tool.  Members prepare signed
 * statements, sign them on their own machines and submit them to the
 * repository's admin endpoint (--repository); relying parties fetch and
 * verify what the authority published; operators look at a store read
 * only (--db) and verify its audit log against the authority.  Nothing
 * here writes to a store: every change is a statement the repository
 * checks.  Output is for people, or JSON with --json.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/admin/admin.h"
#include "tools/cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: keyferry-admin [--repository URL] [--store PATH|URL] [--json] COMMAND\n"
"A member's key (offline):\n"
"  key generate FILE | key show FILE\n"
"Statements (at the head the repository reports; --out FILE for the other\n"
"members, [--expires 72h] [--sign KEYFILE]... [--submit]):\n"
"  prepare region R --threshold K --member NAME=KEY...  (the first)\n"
"  prepare authority R --threshold K --member NAME=KEY...\n"
"  prepare token R [--entity NAME] [--ttl 24h] [--token-out FILE]\n"
"  pending R                                   (entities awaiting approval)\n"
"  prepare approve R NAME... [--not-before T] [--not-after T] [--expect-kec KEC]\n"
"  prepare revoke R NAME... [--reason TEXT] [--next-update 30d]\n"
"  prepare dataset create|change R NAME [--not-before T] [--not-after T]\n"
"          [--rate N/PERIOD] [--read entity:X,group:Y,...] [--admin GROUP,...]\n"
"  prepare dataset delete R NAME | prepare group create|delete R NAME\n"
"  prepare group add|remove R GROUP ENTITY\n"
"  prepare group signers R GROUP --threshold K [--member NAME=KEY]...\n"
"  prepare owner allow|retire R OWNER KO-PUB\n"
"  prepare provider allow|retire R NAME KP-PUB\n"
"  prepare anchor R [--next-update 30d]\n"
"  prepare item put SEALED-FILE --dataset DS [--entity E] [--group G]\n"
"  prepare item delete R NAME [--entity E | --group G] [--version N]\n"
"  show FILE [--authority AUTHFILE] | submit FILE...\n"
"  sign FILE --key KEYFILE [--authority AUTHFILE]\n"
"What the authority published (relying parties):\n"
"  fetch certificate R NAME --out FILE | fetch revocations R --out FILE\n"
"  verify --authority AUTHFILE FILE...\n"
"  authority export FIRST-STATEMENT-FILE --out AUTHFILE\n"
"  authority update --authority AUTHFILE [--out FILE]\n"
"  members R GROUP --authority AUTHFILE [--certs DIR]  (as statements made it)\n"
"A store, read only (--store, or --db):\n"
"  region list | token list | group list | statement list R\n"
"  entity list [--region R] | entity show R NAME\n"
"  dataset list [--region R] | item list [--region R] | provider list\n"
"  audit show [--since SEQ] [--limit N]\n"
"  audit verify [--head SEQ:HASH] [--authority AUTHFILE [--anchor FILE]...\n"
"               [--max-age D]]\n"
"The distributor's audit retention (writes the store, and records itself):\n"
"  audit prune (--before TIME | --older-than DURATION)\n"
"The distributor's key: serverkey generate FILE | serverkey show-public FILE\n"
"--repository defaults to $KEYFERRY_REPOSITORY; --store (an SQLite file or\n"
"postgresql://...) to $KEYFERRY_STORE, $KEYFERRY_DB, else\n"
"/var/lib/keyferry/repo.db.\n");
}

/* Commands that need no store; argv[0] is the command itself or, for
 * those with sub-commands, the sub-command. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool sub;
} plain[] = {
	{ "key", kf_admin_key, true },
	{ "prepare", kf_admin_prepare, false },
	{ "show", kf_admin_show, false },
	{ "sign", kf_admin_sign, false },
	{ "submit", kf_admin_submit, false },
	{ "fetch", kf_admin_fetch, true },
	{ "verify", kf_admin_verify, false },
	{ "authority", kf_admin_authority, true },
	{ "members", kf_admin_members, false },
	{ "pending", kf_admin_pending, false },
	{ "serverkey", kf_admin_serverkey, true },
};

/* Commands on a store, opened read only. */
static const struct {
	const char *name;
	int (*fn)(struct kf_store *st, int argc, char **argv);
} on_store[] = {
	{ "region", kf_admin_region },
	{ "token", kf_admin_token },
	{ "entity", kf_admin_entity },
	{ "group", kf_admin_group },
	{ "dataset", kf_admin_dataset },
	{ "item", kf_admin_item },
	{ "provider", kf_admin_provider },
	{ "audit", kf_admin_audit },
	{ "statement", kf_admin_audit },
};

/*
 * The one change keyferry-admin still makes on the store itself: audit
 * retention, the distributor's own housekeeping (not the authority's: it
 * changes nothing the authority controls, and its record stays in the
 * chain, so the authority's next anchor covers it).
 */
static bool writes_store(int argc, char **argv)
{
	return argc > 1 && !strcmp(argv[0], "audit") &&
	       !strcmp(argv[1], "prune");
}

static int run_on_store(const char *db, unsigned int i, int argc,
			char **argv)
{
	bool writes = writes_store(argc, argv);
	struct passwd *pw = getpwuid(getuid());
	struct kf_store *st;
	char actor[64];
	int ret = kf_store_open(&st, db, writes ? 0 : KF_STORE_READONLY);

	if (ret) {
		/* A URL may carry a password: never print it. */
		kf_err("--store: %s: cannot open: %s", kf_store_is_url(db) ?
		       "the PostgreSQL store" : db, strerror(-ret));
		return 1;
	}
	snprintf(actor, sizeof(actor), "admin:%s", pw ? pw->pw_name : "?");
	kf_store_set_actor(st, actor);
	optind = 0;	/* 0: glibc re-initialises getopt fully */
	/* "statement list R" is the audit's view of the chain. */
	if (!strcmp(on_store[i].name, "statement"))
		ret = on_store[i].fn(st, argc, argv);
	else
		ret = on_store[i].fn(st, argc - 1, argv + 1);
	kf_store_close(st);
	return ret;
}

int kf_admin_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", 1, NULL, 'd' }, { "db", 1, NULL, 'd' },
		{ "repository", 1, NULL, 'r' }, { "json", 0, NULL, 'j' },
		{ "help", 0, NULL, 'h' }, { 0 }
	};
	const char *db = getenv("KEYFERRY_STORE");
	unsigned int i;
	int o;

	kf_set_progname(argv[0]);
	kf_admin_json = false;
	kf_admin_repository = getenv("KEYFERRY_REPOSITORY");
	optind = 0;	/* 0: re-initialise getopt fully */
	while ((o = getopt_long(argc, argv, "+d:r:jh", opts, NULL)) != -1) {
		switch (o) {
		case 'd': db = optarg; break;
		case 'r': kf_admin_repository = optarg; break;
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
	for (i = 0; i < KF_ARRAY_SIZE(plain); i++) {
		if (strcmp(argv[0], plain[i].name))
			continue;
		optind = 0;	/* sub-commands parse their own options */
		return plain[i].sub ? plain[i].fn(argc - 1, argv + 1) :
		       plain[i].fn(argc, argv);
	}
	if (!db)
		db = getenv("KEYFERRY_DB");
	for (i = 0; i < KF_ARRAY_SIZE(on_store); i++)
		if (!strcmp(argv[0], on_store[i].name))
			return run_on_store(db ? db : "/var/lib/keyferry/repo.db",
					    i, argc, argv);
	kf_err("unknown command '%s'", argv[0]);
	usage(stderr);
	return 2;
}
