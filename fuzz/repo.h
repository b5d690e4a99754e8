/* SPDX-License-Identifier: MIT */
/*
 * A repository for the harnesses that fuzz it (fuzz_repo_*.c): a store in
 * a private temporary directory with region "eu", the entity "host" whose
 * Kei is fuzz_kei_priv's (enrolled, so that fetches reach the data sets'
 * policies and the audit), data sets with and without limits, items for it
 * and for a group, a token whose text is FUZZ_TOKEN, and the server on
 * loopback with the harness's distributor key.  Header only.
 */
#ifndef KF_FUZZ_REPO_H
#define KF_FUZZ_REPO_H

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "fuzz/fuzz.h"
#include "tools/cli/cli.h"
#include "tools/repo/internal.h"

static char repo_dir[64];
static struct kf_repo *repo_running;

/*
 * At exit (libFuzzer's end of time): the server stops before OpenSSL's
 * own exit handler frees what its threads use (registered earlier, so run
 * later), then the directory goes.
 */
static void repo_cleanup(void)
{
	char cmd[128];

	kf_repo_stop(repo_running);
	repo_running = NULL;
	if (!repo_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", repo_dir);
	if (system(cmd))
		return;
}

static int repo_sql(const char *db, const char *sql)
{
	sqlite3 *h;
	char *err = NULL;
	int rc;

	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(h, sql, NULL, NULL, &err);
	if (err) {
		fprintf(stderr, "fuzz: %s\n", err);
		sqlite3_free(err);
	}
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The rows of the fixture, in SQL: the store's own schema, our data. */
static int repo_fill(const char *db)
{
	/* KEY_TYPE logon, KEY_SIZE 32; a version 2 header, version 1. */
	static const char pol[] = "0001000101" "0003000200" "20";
	uint8_t kei[KF_KEY_SIZE], kec[KF_KEY_SIZE], th[32], blob[112] = "KFS2\1";
	char sql[4096], hk[65], hc[65], ht[65], hb[2 * sizeof(blob) + 1];
	unsigned int len = 32;

	if (kf_x25519_public(fuzz_kei_priv, kei) ||
	    kf_x25519_public(fuzz_kec_priv, kec) ||
	    EVP_Digest(FUZZ_TOKEN, strlen(FUZZ_TOKEN), th, &len, EVP_sha256(),
		       NULL) != 1)
		return -1;
	kf_hex(hk, kei, 32);
	kf_hex(hc, kec, 32);
	kf_hex(ht, th, 32);
	blob[31] = 1;
	kf_hex(hb, blob, sizeof(blob));	/* a well-formed header, no key */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO entities(region_id, name, kei_pub, kec_pub, state,"
		 " enrolled) VALUES(1, 'host', x'%s', x'%s', 1, 1);"
		 "INSERT INTO groups(region_id, name, created) VALUES(1, 'g', 1);"
		 "INSERT INTO group_members VALUES(1, 1);"
		 "INSERT INTO datasets(region_id, name, created) VALUES(1, 'd', 1);"
		 "INSERT INTO datasets(region_id, name, rate_count, rate_period,"
		 " created) VALUES(1, 'slow', 2, 3600, 1);"
		 "INSERT INTO datasets(region_id, name, not_after, created)"
		 " VALUES(1, 'old', 2, 1);"
		 "INSERT INTO dataset_allow VALUES(3, 'entity', 'nobody');"
		 "INSERT INTO items(region_id, dataset_id, name, version,"
		 " entity_id, policy, sealed, created) VALUES"
		 " (1, 1, 'disk1', 1, 1, x'%s', x'%s', 1),"
		 " (1, 2, 'slow1', 1, 1, x'%s', x'%s', 1),"
		 " (1, 3, 'old1', 1, 1, x'%s', x'%s', 1);"
		 "INSERT INTO items(region_id, dataset_id, name, version,"
		 " group_id, policy, sealed, created) VALUES"
		 " (1, 1, 'shared', 1, 1, x'%s', x'%s', 1);"
		 "INSERT INTO tokens(hash, region_id, entity, created, expires)"
		 " VALUES(x'%s', 1, NULL, 1, 9999999999);", hk, hc, pol, hb,
		 pol, hb, pol, hb, pol, hb, ht);
	return repo_sql(db, sql);
}

/* Start the fixture's repository; NULL (and a message) on failure. */
static struct kf_repo *repo_start(void)
{
	struct kf_repo_config cfg = { 0 };
	struct kf_store *st;
	struct kf_repo *r;
	static char db[96], key[96];
	char b64[64], text[80];

	fuzz_stderr_to_null();
	snprintf(repo_dir, sizeof(repo_dir), "/tmp/kffuzz-repo.XXXXXX");
	if (!mkdtemp(repo_dir))
		return NULL;
	snprintf(db, sizeof(db), "%s/repo.db", repo_dir);
	snprintf(key, sizeof(key), "%s/repo.key", repo_dir);
	if (kf_base64_encode(b64, sizeof(b64), fuzz_kd_priv, KF_KEY_SIZE) < 0)
		return NULL;
	snprintf(text, sizeof(text), "%s\n", b64);
	if (kf_write_file(key, text, strlen(text), 0600) ||
	    kf_store_open(&st, db, KF_STORE_CREATE))
		return NULL;
	kf_store_set_actor(st, "fuzz");
	if (kf_store_region_add(st, "eu")) {
		kf_store_close(st);
		return NULL;
	}
	kf_store_close(st);
	if (repo_fill(db))
		return NULL;
	cfg.db_path = db;
	cfg.key_paths[0] = key;
	cfg.n_keys = 1;
	cfg.threads = 1;
	cfg.metrics_listen = "off";
	cfg.rate_count = -1;		/* every input comes from one address */
	cfg.refusal_interval = 1;
	/* A connection the server holds (libmicrohttpd keeps some half-closed
	 * ones until a timeout) is cut soon; fuzz_repo_http waits for that. */
	cfg.conn_timeout = 2;
	cfg.request_deadline = 2;
	if (kf_repo_start(&r, &cfg))
		return NULL;
	repo_running = r;
	/* After OpenSSL's own exit handler (registered when it was first
	 * used, above), so that it runs before it. */
	OPENSSL_init_crypto(0, NULL);
	atexit(repo_cleanup);
	return r;
}

#endif /* KF_FUZZ_REPO_H */
