/* SPDX-License-Identifier: MIT */
/*
 * Shared by the distributor's host tests (tools/tests/test_*.c): a
 * temporary directory with a store and a server key, the repository
 * running in the test's process on an ephemeral loopback port, and the
 * tools run in-process.  Header only: each test_*.c is its own program.
 */
#ifndef KF_TOOLS_TEST_H
#define KF_TOOLS_TEST_H

#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <kselftest_harness.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keyferry.h"
#include "tools/common/client.h"
#include "tools/common/mains.h"
#include "tools/common/repo.h"
#include "tools/common/serverkey.h"
#include "tools/common/store.h"
#include "tools/common/util.h"

struct kf_env {
	char dir[64];
	char db[128];
	char key[128];
	struct kf_repo *repo;
	uint16_t port;
	uint8_t kd_pub[KF_KEY_SIZE];
	struct kf_store *st;	/* the test's own connection */
};

/* Replies are large (16 items of up to 4 KiB): one per program. */
static struct kf_reply reply;

static inline int env_start(struct kf_env *e, unsigned int timeout)
{
	struct kf_repo_config cfg = { 0 };

	cfg.db_path = e->db;
	cfg.key_paths[0] = e->key;
	cfg.n_keys = 1;
	cfg.conn_timeout = timeout;
	if (kf_repo_start(&e->repo, &cfg))
		return -1;
	e->port = kf_repo_port(e->repo);
	return 0;
}

static inline int env_setup(struct kf_env *e, unsigned int timeout)
{
	struct kf_serverkey *k;

	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/kftest.XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	snprintf(e->db, sizeof(e->db), "%s/repo.db", e->dir);
	snprintf(e->key, sizeof(e->key), "%s/repo.key", e->dir);
	if (kf_serverkey_generate(e->key) || kf_serverkey_load(&k, e->key))
		return -1;
	memcpy(e->kd_pub, kf_serverkey_public(k), KF_KEY_SIZE);
	kf_serverkey_free(k);
	if (kf_store_open(&e->st, e->db, KF_STORE_CREATE))
		return -1;
	kf_store_set_actor(e->st, "test");
	if (kf_store_region_add(e->st, "eu"))
		return -1;
	return env_start(e, timeout);
}

static inline void env_teardown(struct kf_env *e)
{
	char cmd[128];

	kf_repo_stop(e->repo);
	kf_store_close(e->st);
	if (e->dir[0] && !getenv("KF_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
		if (system(cmd))
			fprintf(stderr, "# could not remove %s\n", e->dir);
	}
}

/* Split a command line on spaces and run a tool's main in-process. */
static inline int run_tool(int (*fn)(int, char **), const char *fmt, ...)
{
	char line[2048], *argv[64], *save, *t;
	int argc = 0, ret, saved;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (t = strtok_r(line, " ", &save); t && argc < 63;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	fflush(stdout);
	/* The tools print for people; keep TAP output clean. */
	saved = dup(1);
	ret = open("/dev/null", O_WRONLY);
	dup2(ret, 1);
	close(ret);
	ret = fn(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return ret;
}

#define ADMIN(e, fmt, ...) \
	run_tool(kf_admin_main, "keyferry-admin --db %s " fmt, (e)->db, \
		 ##__VA_ARGS__)
#define SEAL(fmt, ...) run_tool(kf_seal_main, "keyferry-seal " fmt, \
				##__VA_ARGS__)

/* A new token for region (entity may be NULL). */
static inline int make_token(struct kf_env *e, const char *region,
			     const char *entity, char tok[80])
{
	return kf_store_token_create(e->st, region, entity, 3600, tok, 80);
}

/* A client with fresh keys, enrolled as eu/name; returns the status. */
static inline int enroll_new(struct kf_env *e, struct kf_client *c,
			     const char *name)
{
	char tok[80];

	if (kf_client_init(c, e->port, e->kd_pub) ||
	    make_token(e, "eu", NULL, tok) ||
	    kf_client_enroll(c, "eu", name, tok, &reply))
		return -1;
	return (int)reply.status;
}

/* Seal `key` to the client's Kec as item in eu and store it in ds. */
static inline int put_item(struct kf_env *e, struct kf_client *c,
			   const char *item, const char *ds, const char *rcp,
			   const char *keyfile)
{
	char kec[64], path[160];

	kf_base64_encode(kec, sizeof(kec), c->kec_pub, KF_KEY_SIZE);
	snprintf(path, sizeof(path), "%s/%s.sealed", e->dir, item);
	if (SEAL("--region eu --item %s --to-kec %s --key %s --type logon "
		 "--description %s --out %s", item, kec, keyfile, item, path))
		return -1;
	return ADMIN(e, "item put %s --dataset %s --entity %s", path, ds, rcp);
}

static inline int write_key(struct kf_env *e, const char *name,
			    const void *key, size_t len, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", e->dir, name);
	return kf_write_file(path, key, len, 0600);
}

/* Run SQL on the database behind the repository's back. */
static inline int raw_sql(struct kf_env *e, const char *sql)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(e->db, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static inline int64_t raw_count(struct kf_env *e, const char *sql)
{
	sqlite3_stmt *s;
	sqlite3 *db;
	int64_t n = -1;

	if (sqlite3_open(e->db, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

#endif /* KF_TOOLS_TEST_H */
