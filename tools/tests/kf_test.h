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
#include <libpq-fe.h>
#include <pthread.h>
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
#include "tools/admin/admin.h"
#include "tools/authority/signer.h"
#include "tools/cli/cli.h"
#include "tools/client/client.h"
#include "tools/formats/keyfile.h"
#include "tools/formats/serverkey.h"
#include "tools/repo/repo.h"
#include "tools/seal/seal.h"
#include "tools/store/store.h"

/* The region's authority in the tests: alice, bob, carol; 2 of 3. */
#define KF_TEST_MEMBERS 3
static const char *const kf_test_member[KF_TEST_MEMBERS] = {
	"alice", "bob", "carol",
};

struct kf_env {
	char dir[64];
	char db[256];
	char key[128];
	struct kf_repo *repo;
	struct kf_repo_config cfg;	/* what env_start() starts it with */
	bool rate_defaults;	/* the server's per-address rate, not none */
	uint16_t port;
	uint16_t metrics_port;
	uint8_t kd_pub[KF_KEY_SIZE];
	char owner[128];	/* the data owner's key file (Ko) */
	uint8_t ko_pub[KF_KEY_SIZE];
	struct kf_store *st;	/* the test's own connection */
	/* The members' key files, their public keys (base64), the
	 * authority file of region eu. */
	char member_key[KF_TEST_MEMBERS][128];
	char member_pub[KF_TEST_MEMBERS][64];
	char authority[128];
	char url[64];
};

/* Replies are large (16 items of up to 4 KiB): one per program. */
static struct kf_reply reply;

/* Seconds on CLOCK_MONOTONIC since t0 (kf_now_ns()). */
static inline double since(uint64_t t0)
{
	return (double)(kf_now_ns() - t0) / 1e9;
}

/*
 * Evaluate cond every 10 ms until it holds or secs have passed on
 * CLOCK_MONOTONIC; true when it held.  A deadline by the clock, not a
 * count of tries that assumes each is quick: CI runs these on a loaded
 * machine.  Wait for the completion signal itself, with several times
 * the nominal time (docs/development.md, "Adding a test").
 */
#define KF_WAIT(cond, secs) ({ \
	uint64_t __t0 = kf_now_ns(); \
	bool __ok; \
	while (!(__ok = (cond)) && since(__t0) < (secs)) \
		usleep(10000); \
	__ok; \
})

/*
 * Which store the tests run on.  selftests/run-all runs every test of
 * tools/tests/ twice: on SQLite files, and with KEYFERRY_TEST_PG set to
 * the URL of a PostgreSQL it started (tools/tests/pg-cluster), where each
 * test gets a fresh schema of its own in that database.
 */
static inline const char *test_pg_url(void)
{
	return getenv("KEYFERRY_TEST_PG");
}

static inline bool test_pg(void)
{
	return test_pg_url() != NULL;
}

/* Run SQL on the database behind the store's back; -1 if it fails. */
static inline int raw_sql_on(const char *db, const char *sql)
{
	PGresult *res;
	PGconn *c;
	sqlite3 *l;
	int rc;

	if (!kf_store_is_url(db)) {
		if (sqlite3_open(db, &l) != SQLITE_OK)
			return -1;
		sqlite3_busy_timeout(l, 5000);
		rc = sqlite3_exec(l, sql, NULL, NULL, NULL);
		sqlite3_close(l);
		return rc == SQLITE_OK ? 0 : -1;
	}
	c = PQconnectdb(db);
	res = PQexec(c, sql);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ||
	     PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
	PQclear(res);
	PQfinish(c);
	return rc;
}

/* The first column of the first row, as a number; -1 on error. */
static inline int64_t raw_count_on(const char *db, const char *sql)
{
	sqlite3_stmt *s;
	PGresult *res;
	int64_t n = -1;
	PGconn *c;
	sqlite3 *l;

	if (!kf_store_is_url(db)) {
		if (sqlite3_open(db, &l) != SQLITE_OK)
			return -1;
		if (sqlite3_prepare_v2(l, sql, -1, &s, NULL) == SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW)
				n = sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
		}
		sqlite3_close(l);
		return n;
	}
	c = PQconnectdb(db);
	res = PQexec(c, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(c);
	return n;
}

/*
 * The name of a new, empty store for a test: dir/repo.db, or a fresh
 * schema in the test cluster, named by the URL with that search_path.
 */
static inline int test_store_name(const char *dir, char *out, size_t cap)
{
	static unsigned int n;
	const char *base = test_pg_url();
	char schema[64], sql[256];

	if (!base) {
		snprintf(out, cap, "%s/repo.db", dir);
		return 0;
	}
	snprintf(schema, sizeof(schema), "kft_%d_%u", (int)getpid(), ++n);
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; "
		 "CREATE SCHEMA %s", schema, schema);
	if (raw_sql_on(base, sql))
		return -1;
	snprintf(out, cap, "%s&options=-csearch_path%%3D%s", base, schema);
	return 0;
}

/* The data owner's key Ko, in e->dir (tests that make their own env
 * get it at their first put_item()). */
static inline int env_owner_key(struct kf_env *e)
{
	snprintf(e->owner, sizeof(e->owner), "%s/owner.key", e->dir);
	return kf_keyfile_generate(e->owner, e->ko_pub);
}


/*
 * The repository with e->cfg, the defaults but for: the test's store and
 * key, the idle timeout, /metrics on a port of its own choosing (the
 * default 7371 may be taken by another test run on this machine), and no
 * per-address rate unless the test sets one or asks for the server's
 * (every test client comes from 127.0.0.1, many of them quickly).  A test
 * changes e->cfg and calls env_restart() for other settings (server keys
 * and authority files of its own included: the test's are the default).
 */
static inline int env_start(struct kf_env *e, unsigned int timeout)
{
	if (!e->cfg.rate_count && !e->rate_defaults)
		e->cfg.rate_count = -1;
	e->cfg.db_path = e->db;
	if (!e->cfg.n_keys) {
		e->cfg.key_paths[0] = e->key;
		e->cfg.n_keys = 1;
	}
	e->cfg.conn_timeout = timeout;
	if (!e->cfg.n_authorities) {
		e->cfg.authority_paths[0] = e->authority;
		e->cfg.n_authorities = 1;
	}
	if (!e->cfg.metrics_listen)
		e->cfg.metrics_listen = "127.0.0.1:0";
	if (kf_repo_start(&e->repo, &e->cfg))
		return -1;
	e->port = kf_repo_port(e->repo);
	e->metrics_port = kf_repo_metrics_port(e->repo);
	snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%u",
		 (unsigned int)e->port);
	return 0;
}

static inline int env_restart(struct kf_env *e)
{
	kf_repo_stop(e->repo);
	e->repo = NULL;
	return env_start(e, e->cfg.conn_timeout);
}

static inline int run_tool(int (*fn)(int, char **), const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The members' keys, the region's first statement and its authority
 * file, made offline as members would. */
static inline int env_authority(struct kf_env *e)
{
	struct kf_signer *k;
	char genesis[160];
	unsigned int i;

	for (i = 0; i < KF_TEST_MEMBERS; i++) {
		snprintf(e->member_key[i], sizeof(e->member_key[i]), "%s/%s.key",
			 e->dir, kf_test_member[i]);
		if (kf_signer_generate(e->member_key[i]) ||
		    kf_signer_load(&k, e->member_key[i]))
			return -1;
		kf_base64_encode(e->member_pub[i], sizeof(e->member_pub[i]),
				 kf_signer_public(k), KF_KEY_SIZE);
		kf_signer_free(k);
	}
	snprintf(genesis, sizeof(genesis), "%s/genesis.sub", e->dir);
	snprintf(e->authority, sizeof(e->authority), "%s/eu.authority",
		 e->dir);
	if (run_tool(kf_admin_main, "keyferry-admin prepare region eu "
		     "--threshold 2 --member alice=%s --member bob=%s --member "
		     "carol=%s --sign %s --sign %s --out %s", e->member_pub[0],
		     e->member_pub[1], e->member_pub[2], e->member_key[0],
		     e->member_key[1], genesis))
		return -1;
	return run_tool(kf_admin_main, "keyferry-admin authority export %s "
			"--out %s", genesis, e->authority);
}

static inline int statement_by(struct kf_env *e, unsigned int who,
			       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The region's authority allows the env's owner key as owner ops. */
static inline int env_allow_owner(struct kf_env *e)
{
	char b64[64];

	kf_base64_encode(b64, sizeof(b64), e->ko_pub, KF_KEY_SIZE);
	return statement_by(e, 3, "owner allow eu ops %s", b64);
}

static inline int env_setup(struct kf_env *e, unsigned int timeout)
{
	struct kf_serverkey *k;

	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/kftest.XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	if (test_store_name(e->dir, e->db, sizeof(e->db)))
		return -1;
	snprintf(e->key, sizeof(e->key), "%s/repo.key", e->dir);
	if (kf_serverkey_generate(e->key) || kf_serverkey_load(&k, e->key))
		return -1;
	memcpy(e->kd_pub, kf_serverkey_public(k), KF_KEY_SIZE);
	kf_serverkey_free(k);
	if (env_owner_key(e))
		return -1;
	if (kf_store_open(&e->st, e->db, KF_STORE_CREATE))
		return -1;
	kf_store_set_actor(e->st, "test");
	if (env_authority(e) || env_start(e, timeout))
		return -1;
	/* The region exists once its first statement is submitted; the
	 * authority then allows the data owner's key (protocol version 2:
	 * the items it seals name it). */
	if (run_tool(kf_admin_main, "keyferry-admin --repository %s submit "
		     "%s/genesis.sub", e->url, e->dir))
		return -1;
	return env_allow_owner(e);
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

/*
 * A repository in a process of its own on store db with these keys (the
 * first current), on an ephemeral port written to the pipe; it serves
 * until killed.  Fork it before the parent holds any store transaction.
 */
static inline pid_t fork_repo(const char *db, const char *const *keys,
			      unsigned int n_keys, unsigned int threads,
			      int pipefd[2])
{
	struct kf_repo_config cfg = { 0 };
	struct kf_repo *r;
	uint16_t port;
	unsigned int i;
	pid_t pid = fork();

	if (pid)
		return pid;
	cfg.db_path = db;
	for (i = 0; i < n_keys; i++)
		cfg.key_paths[i] = keys[i];
	cfg.n_keys = n_keys;
	cfg.threads = threads;
	/* Tests load it from one address, and run several at once. */
	cfg.rate_count = -1;
	cfg.metrics_listen = "off";
	if (kf_repo_start(&r, &cfg))
		_exit(1);
	port = kf_repo_port(r);
	if (write(pipefd[1], &port, sizeof(port)) != sizeof(port))
		_exit(1);
	for (;;)
		pause();
}

/* fork_repo() and wait for its port; 0 if it did not start. */
static inline uint16_t start_repo_process(const char *db,
					  const char *const *keys,
					  unsigned int n_keys, pid_t *pid)
{
	uint16_t port = 0;
	int p[2];

	if (pipe(p))
		return 0;
	*pid = fork_repo(db, keys, n_keys, 0, p);
	/* our write end closed first: a child that failed is an end of file */
	close(p[1]);
	if (*pid < 0 || read(p[0], &port, sizeof(port)) != sizeof(port))
		port = 0;
	close(p[0]);
	return port;
}

/*
 * A process of its own that fetches item through port in a loop while
 * every answer has status want; each answered transfer's number goes on
 * the pipe.
 */
static inline pid_t fork_fetcher(const struct kf_client *host, uint16_t port,
				 const char *item, uint32_t want,
				 int pipefd[2])
{
	struct kf_client c = *host;
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	kf_httpc_init(&c.http, port, 5000);
	for (i = 0; i < 100000; i++) {
		if (kf_client_fetch(&c, item, &reply) || reply.status != want)
			_exit(1);
		if (write(pipefd[1], &i, sizeof(i)) != sizeof(i))
			_exit(1);
	}
	_exit(0);
}

/* Read what a non-blocking pipe holds now, keeping the last int. */
static inline void drain(int fd, int *last)
{
	int v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		*last = v;
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

/* keyferry-admin on the env's store (read only) and repository. */
#define ADMIN(e, fmt, ...) \
	run_tool(kf_admin_main, "keyferry-admin --db %s --repository %s " fmt, \
		 (e)->db, (e)->url, ##__VA_ARGS__)

/* " --sign KEYFILE" for each member in 'who' (bit 0 alice, 1 bob, 2 carol). */
static inline const char *sign_opts(struct kf_env *e, unsigned int who,
				    char *buf, size_t cap)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < KF_TEST_MEMBERS; i++)
		if (who & (1u << i))
			off += (size_t)snprintf(buf + off, cap - off,
						" --sign %s", e->member_key[i]);
	return buf;
}

/* "prepare OPERATION...", signed by the members in 'who' and submitted:
 * keyferry-admin's exit status. */
static inline int statement_by(struct kf_env *e, unsigned int who,
			       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int statement_by(struct kf_env *e, unsigned int who,
			       const char *fmt, ...)
{
	char op[1024], keys[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(op, sizeof(op), fmt, ap);
	va_end(ap);
	return ADMIN(e, "prepare %s%s --submit", op,
		     sign_opts(e, who, keys, sizeof(keys)));
}

/* The same, signed by two members: what the authority decides. */
#define STATEMENT(e, fmt, ...) statement_by(e, 3, fmt, ##__VA_ARGS__)
#define SEAL(fmt, ...) run_tool(kf_seal_main, "keyferry-seal " fmt, \
				##__VA_ARGS__)

/* A new token for region (entity may be NULL), issued by the authority. */
static inline int make_token(struct kf_env *e, const char *region,
			     const char *entity, char tok[80])
{
	char path[160];
	uint8_t *buf;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/token", e->dir);
	unlink(path);
	if (entity)
		ret = STATEMENT(e, "token %s --entity %s --token-out %s", region,
				entity, path);
	else
		ret = STATEMENT(e, "token %s --token-out %s", region, path);
	if (ret || kf_read_file(path, 79, &buf, &len))
		return -1;
	memcpy(tok, buf, len);
	tok[len] = 0;
	kf_wipe(buf, len);
	free(buf);
	return 0;
}

/* A client with fresh keys, enrolled as eu/name: pending, not approved. */
static inline int enroll_pending(struct kf_env *e, struct kf_client *c,
				 const char *name)
{
	char tok[80];

	if (kf_client_init(c, e->port, e->kd_pub) ||
	    make_token(e, "eu", NULL, tok) ||
	    kf_client_enroll(c, "eu", name, tok, &reply))
		return -1;
	return (int)reply.status;
}

/* The same, then approved by two members; the enrollment's status. */
static inline int enroll_new(struct kf_env *e, struct kf_client *c,
			     const char *name)
{
	int ret = enroll_pending(e, c, name);

	if (ret)
		return ret;
	return STATEMENT(e, "approve eu %s", name) ? -1 : 0;
}


/*
 * Seal the key in keyfile to the client's Kec as version `version` of
 * item in eu, as the owner does (its key, and the fingerprint it read on
 * the host), and store it in ds for rcp, an "entity" or a "group".
 * Returns keyferry-admin's exit status, or -1 when sealing failed.
 */
static inline int put_item_for(struct kf_env *e, struct kf_client *c,
			       const char *item, const char *ds,
			       const char *kind, const char *rcp,
			       const char *keyfile, uint64_t version)
{
	char kec[64], path[160], fp[KF_FINGERPRINT_LEN + 1];

	if (!e->owner[0] && env_owner_key(e))
		return -1;
	kf_base64_encode(kec, sizeof(kec), c->kec_pub, KF_KEY_SIZE);
	kf_kec_fingerprint(fp, c->kec_pub);
	snprintf(path, sizeof(path), "%s/%s.%llu.sealed", e->dir, item,
		 (unsigned long long)version);
	if (SEAL("--region eu --item %s --version %llu --to-kec %s "
		 "--owner-key %s --expect-kec %s --key %s --type logon "
		 "--out %s", item, (unsigned long long)version, kec, e->owner,
		 fp, keyfile, path))
		return -1;
	return STATEMENT(e, "item put %s --dataset %s --%s %s", path, ds,
			 kind, rcp);
}

static inline int put_item(struct kf_env *e, struct kf_client *c,
			   const char *item, const char *ds, const char *rcp,
			   const char *keyfile, uint64_t version)
{
	return put_item_for(e, c, item, ds, "entity", rcp, keyfile, version);
}

/* Open a delivered item alg 1 with the client's Kec and the env's Ko. */
static inline int open_item(struct kf_env *e, struct kf_client *c,
			    const struct kf_reply_item *it, uint8_t *key,
			    size_t *len, uint64_t *version)
{
	struct kf_binding b = { "eu", it->name, it->policy, it->policy_len };

	return kf_unseal(key, KF_ITEM_KEY_MAX, len, version, c->kec_priv,
			 e->ko_pub, NULL, &b, it->sealed, it->sealed_len);
}

/* The version in a delivered item's sealed header, 0 if malformed. */
static inline uint64_t item_version(const struct kf_reply_item *it)
{
	struct kf_sealed_header h;

	return kf_sealed_header_decode(&h, it->sealed, it->sealed_len) ? 0 :
	       h.version;
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
	return raw_sql_on(e->db, sql);
}

static inline int64_t raw_count(struct kf_env *e, const char *sql)
{
	return raw_count_on(e->db, sql);
}

/* SQL that differs between the backends: the one for this run's. */
#define BY_BACKEND(sqlite, pg) (test_pg() ? (pg) : (sqlite))

#endif /* KF_TOOLS_TEST_H */
