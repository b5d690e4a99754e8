// SPDX-License-Identifier: MIT
/*
 * The distributor and the network as adversaries (issues 10 and 11),
 * each with everything it really has: the repository's database, its
 * server key, the public keys it stores, the sealed items, and every
 * message 1 that crossed the network.
 *
 * - A repository that swaps an entity's stored Kec-pub for its own gets
 *   nothing: keyferry-seal refuses with the fingerprint the operator read
 *   on the host (--expect-kec), and with --require-verified.
 * - It cannot mint an item the host accepts, nor present an old version
 *   as new; it cannot store a version not higher than the one it holds.
 * - A replayed or reordered message 1 is refused (HTTP 409, no message 2)
 *   before any database write: no audit record, no rate-limit spend, in
 *   this process, after a restart, and at another repository on the same
 *   database.
 * - An entity cannot tell an item that does not exist from one it may not
 *   have: the answers are the same bytes.
 *
 * The host is the library's (tools/client/); the host's own checks run as
 * kf_unseal() with the owner key it pinned.  The kernel's are in the VM
 * tests.
 */
#include <pthread.h>

#include "kf_test.h"
#include "tools/formats/sealfile.h"

FIXTURE(hostile) {
	struct kf_env env;
	struct kf_client host;
	char keyfile[160];
	uint8_t key[32];
};

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0, env_setup(&self->env, 5));
	ASSERT_EQ(0, enroll_new(&self->env, &self->host, "host1"));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks"));
	ASSERT_EQ(0, kf_random(self->key, sizeof(self->key)));
	ASSERT_EQ(0, write_key(&self->env, "k1", self->key, sizeof(self->key),
			       self->keyfile, sizeof(self->keyfile)));
}

FIXTURE_TEARDOWN(hostile)
{
	kf_client_wipe(&self->host);
	env_teardown(&self->env);
}

/* Run keyferry-seal with its standard error into the file err. */
static int seal_err(const char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int seal_err(const char *err, const char *fmt, ...)
{
	char line[2048];
	int fd, saved, ret;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fflush(stderr);
	saved = dup(2);
	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	ret = run_tool(kf_seal_main, "keyferry-seal %s", line);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return ret;
}

static bool file_has(const char *path, const char *text)
{
	uint8_t *buf;
	size_t len;
	bool has;

	if (kf_read_file(path, 1 << 16, &buf, &len))
		return false;
	has = strstr((char *)buf, text) != NULL;
	free(buf);
	return has;
}

/* The Kec-pub the repository's database says host1 has, in base64. */
static void stored_kec(struct kf_env *e, char out[64])
{
	struct kf_entity ent;

	memset(&ent, 0, sizeof(ent));
	kf_store_entity_get(e->st, "eu", "host1", &ent);
	kf_base64_encode(out, 64, ent.kec_pub, KF_KEY_SIZE);
}

/*
 * Issue 10, "it can read keys": the repository puts its own key where the
 * owner looks up the host's, and would receive every key sealed after.
 */
TEST_F(hostile, swapped_kec_is_refused_by_the_fingerprint)
{
	uint8_t evil[32], evil_pub[32], got[KF_ITEM_KEY_MAX];
	char kec[64], fp[KF_FINGERPRINT_LEN + 1], sql[200], hex[65];
	char err[160], out[160];
	static struct kf_sealfile sf;
	struct kf_binding b;
	size_t len;

	snprintf(err, sizeof(err), "%s/err", self->env.dir);
	snprintf(out, sizeof(out), "%s/x.sealed", self->env.dir);
	/* What the operator read on the host: `keyferry status`. */
	kf_kec_fingerprint(fp, self->host.kec_pub);
	/* The repository swaps the stored Kec-pub for its own. */
	ASSERT_EQ(0, kf_x25519_keygen(evil, evil_pub));
	kf_hex(hex, evil_pub, 32);
	snprintf(sql, sizeof(sql), BY_BACKEND("UPDATE entities SET kec_pub = "
		 "x'%s' WHERE name = 'host1'", "UPDATE entities SET kec_pub = "
		 "'\\x%s'::bytea WHERE name = 'host1'"), hex);
	ASSERT_EQ(0, raw_sql(&self->env, sql));
	/* The owner takes the Kec-pub where it always did: the database. */
	stored_kec(&self->env, kec);

	/* With the fingerprint: refused, naming both, nothing written. */
	ASSERT_EQ(1, seal_err(err, "--region eu --item x --version 1 "
			      "--to-kec %s --owner-key %s --expect-kec %s "
			      "--key %s --type logon --out %s", kec,
			      self->env.owner, fp, self->keyfile, out));
	ASSERT_TRUE(file_has(err, "--expect-kec: the Kec-pub given has "
			     "fingerprint"));
	ASSERT_TRUE(file_has(err, fp));
	ASSERT_NE(0, access(out, F_OK));
	/* Refusing every unverified key: refused too. */
	ASSERT_EQ(1, seal_err(err, "--region eu --item x --version 1 "
			      "--to-kec %s --owner-key %s --require-verified "
			      "--key %s --type logon --out %s", kec,
			      self->env.owner, self->keyfile, out));
	ASSERT_TRUE(file_has(err, "--require-verified"));
	ASSERT_NE(0, access(out, F_OK));

	/*
	 * Without either, the tool warns, and the attack is real: the
	 * repository opens the key with its own private half.  That is
	 * what the check above stands between.
	 */
	ASSERT_EQ(0, seal_err(err, "--region eu --item x --version 1 "
			      "--to-kec %s --owner-key %s --key %s "
			      "--type logon --out %s", kec, self->env.owner,
			      self->keyfile, out));
	ASSERT_TRUE(file_has(err, "WARNING: sealing to a Kec-pub nobody "
			     "verified"));
	ASSERT_EQ(0, kf_sealfile_read(out, &sf));
	b = (struct kf_binding){ "eu", "x", sf.policy, sf.policy_len };
	ASSERT_EQ(0, kf_unseal(got, sizeof(got), &len, NULL, evil,
			       self->env.ko_pub, NULL, &b, sf.sealed,
			       sf.sealed_len));
	ASSERT_EQ(0, memcmp(got, self->key, 32));
	kf_wipe(evil, sizeof(evil));
}

/*
 * Issue 10, "it can mint items": with the host's Kec-pub (public) and
 * its own store, the repository seals a key of its choosing and delivers
 * it.  The host, which pinned the owner's Ko, refuses it.
 */
TEST_F(hostile, minted_item_is_refused_by_the_host)
{
	uint8_t mine[32], mine_pub[32], chosen[32], got[KF_ITEM_KEY_MAX];
	uint8_t kid[KF_KID_SIZE];
	static struct kf_item it;
	struct kf_policy p = { .key_type = KF_KEY_USER, .key_size = 32 };
	struct kf_binding b;
	size_t len;

	ASSERT_EQ(0, kf_x25519_keygen(mine, mine_pub));
	memset(chosen, 0x41, sizeof(chosen));
	memset(&it, 0, sizeof(it));
	strcpy(it.region, "eu");
	strcpy(it.dataset, "disks");
	strcpy(it.name, "disk1");
	strcpy(it.recipient, "host1");
	ASSERT_EQ(0, kf_policy_encode(&p, it.policy, sizeof(it.policy),
				      &it.policy_len));
	b = (struct kf_binding){ "eu", "disk1", it.policy, it.policy_len };
	ASSERT_EQ(0, kf_seal_to_kec(it.sealed, sizeof(it.sealed),
				    &it.sealed_len, self->host.kec_pub, mine,
				    NULL, &b, 1000, chosen, sizeof(chosen)));
	ASSERT_EQ(0, kf_store_item_put(self->env.st, &it));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	/* delivered, and refused: not by the owner the host pinned */
	ASSERT_EQ(-EKEYREJECTED, open_item(&self->env, &self->host,
					   &reply.items[0], got, &len, NULL));
	/* naming the owner's kid in the header does not help */
	kf_kid(self->env.ko_pub, kid);
	memcpy(reply.items[0].sealed + 16, kid, KF_KID_SIZE);
	ASSERT_EQ(-EBADMSG, open_item(&self->env, &self->host,
				      &reply.items[0], got, &len, NULL));
	/* nor sealing in mode_base, as version 1 did */
	ASSERT_EQ(0, kf_hpke_seal(reply.items[0].sealed + 32,
				  reply.items[0].sealed + 64,
				  self->host.kec_pub, NULL, NULL, 0,
				  it.policy, it.policy_len, chosen, 32));
	ASSERT_EQ(-EBADMSG, open_item(&self->env, &self->host,
				      &reply.items[0], got, &len, NULL));
	kf_wipe(mine, sizeof(mine));
}

/* Store version `version` of disk1 for host1 through the store alone. */
static int store_version(struct kf_env *e, struct kf_client *c,
			 uint64_t version)
{
	struct kf_policy p = { .key_type = KF_KEY_LOGON, .key_size = 32 };
	static struct kf_item it;
	uint8_t ko[KF_KEY_SIZE], key[32] = { 1 };
	struct kf_binding b;
	int ret;

	memset(&it, 0, sizeof(it));
	strcpy(it.region, "eu");
	strcpy(it.dataset, "disks");
	strcpy(it.name, "disk1");
	strcpy(it.recipient, "host1");
	ret = kf_policy_encode(&p, it.policy, sizeof(it.policy),
			       &it.policy_len);
	b = (struct kf_binding){ "eu", "disk1", it.policy, it.policy_len };
	if (!ret)
		ret = kf_keyfile_read(e->owner, ko);
	if (!ret)
		ret = kf_seal_to_kec(it.sealed, sizeof(it.sealed),
				     &it.sealed_len, c->kec_pub, ko, NULL, &b,
				     version, key, sizeof(key));
	kf_wipe(ko, sizeof(ko));
	if (!ret)
		ret = kf_store_item_put(e->st, &it);
	/* on refusal, the store names the newest version it holds */
	if (ret == -ESTALE && it.newest != 5)
		ret = -EINVAL;
	return ret;
}

/*
 * Issue 10, "it can roll back": the version is the owner's, read from the
 * sealed header; the repository refuses to store one that is not higher
 * than the newest it holds, naming both; and relabelling an old item as
 * new in its database gives the host a blob that does not open.
 */
TEST_F(hostile, rollback_is_refused)
{
	uint8_t got[KF_ITEM_KEY_MAX];
	char err[160];
	uint64_t version;
	struct kf_client other;
	size_t len;
	int fd, saved;

	ASSERT_EQ(0, enroll_new(&self->env, &other, "host2"));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 5));
	snprintf(err, sizeof(err), "%s/err", self->env.dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	/* lower, and equal: refused; nothing stored */
	ASSERT_EQ(1, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 4));
	ASSERT_EQ(1, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 5));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ASSERT_TRUE(file_has(err, "disk1: version 4 is not higher than "
			     "version 5, the newest held for entity host1"));
	ASSERT_TRUE(file_has(err, "disk1: version 5 is not higher than "
			     "version 5"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM items"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " op = 'admin.item.put'"));
	/* each recipient has its own sequence */
	ASSERT_EQ(0, put_item(&self->env, &other, "disk1", "disks", "host2",
			      self->keyfile, 1));
	/* the store refuses it too, whoever calls it */
	ASSERT_EQ(-ESTALE, store_version(&self->env, &self->host, 3));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM items WHERE"
			       " name = 'disk1' AND entity_id = (SELECT id FROM"
			       " entities WHERE name = 'host1')"));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 6));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(6, item_version(&reply.items[0]));
	/*
	 * The repository serves version 5's blob labelled as 6, the version
	 * field of its header rewritten: the version is in the key
	 * schedule, so the host cannot open it.
	 */
	ASSERT_EQ(0, raw_sql(&self->env, "DELETE FROM items WHERE version = 6"));
	ASSERT_EQ(0, raw_sql(&self->env, BY_BACKEND(
		"UPDATE items SET version = 6, sealed = substr(sealed, 1, 31)"
		" || x'06' || substr(sealed, 33) WHERE version = 5",
		"UPDATE items SET version = 6, sealed = substr(sealed, 1, 31)"
		" || '\\x06'::bytea || substr(sealed, 33) WHERE version = 5")));
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(6, item_version(&reply.items[0]));
	ASSERT_EQ(-EBADMSG, open_item(&self->env, &self->host,
				      &reply.items[0], got, &len, &version));
	kf_client_wipe(&other);
}

/* ---- replays of message 1 (issue 11) ------------------------------------ */

struct captured {
	uint8_t msg[KF_MESSAGE_MAX];
	size_t len;
	struct kf_noise st;
};

/* A fetch of item by c, as the host's module would write it. */
static int capture_fetch(struct kf_client *c, const char *item,
			 struct captured *cap)
{
	static struct kf_request rq;
	uint8_t payload[512];
	size_t plen;
	int ret;

	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	rq.n_items = 1;
	snprintf(rq.items[0], sizeof(rq.items[0]), "%s", item);
	kf_tai64n_next(rq.timestamp, c->last_ts);
	ret = kf_request_encode(&rq, payload, sizeof(payload), &plen);
	if (!ret)
		ret = kf_noise_initiator_write1(&cap->st, cap->msg,
						sizeof(cap->msg), &cap->len,
						c->kei_priv, c->kd_pub, NULL,
						payload, plen);
	return ret;
}

/* Post message 1; *status gets the reply's status when it is a message 2. */
static int post_msg1(struct kf_httpc *h, struct captured *cap,
		     uint32_t *status, char *text, size_t text_cap)
{
	static uint8_t resp[KF_MESSAGE_MAX], payload[KF_MESSAGE_MAX];
	size_t len, plen;
	int http;

	*status = 0xffffffff;
	text[0] = 0;
	if (kf_httpc_request(h, "POST", "/v1/transfer", cap->msg, cap->len,
			     &http, resp, sizeof(resp), &len))
		return -1;
	if (http != 200) {
		snprintf(text, text_cap, "%.*s", (int)len, (char *)resp);
		return http;
	}
	if (kf_noise_initiator_read2(&cap->st, payload, sizeof(payload),
				     &plen, resp, len) ||
	    kf_reply_decode(&reply, payload, plen))
		return -1;
	*status = reply.status;
	return http;
}

/*
 * Whether anyone committed since `since`: on SQLite a connection's
 * PRAGMA data_version changes when another connection commits; on
 * PostgreSQL the entity row's xmin changes with its last update, and
 * the audit rows are counted apart.
 */
struct commits {
	sqlite3 *db;
	int64_t v;
};

static int64_t commit_mark(struct kf_env *e, struct commits *c)
{
	sqlite3_stmt *s;

	if (test_pg())
		return raw_count(e, "SELECT xmin::text::bigint FROM entities "
				 "WHERE name = 'host1'");
	if (!c->db && sqlite3_open(e->db, &c->db))
		return -1;
	if (sqlite3_prepare_v2(c->db, "PRAGMA data_version", -1, &s, NULL))
		return -1;
	c->v = -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		c->v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return c->v;
}

static int64_t audit_rows(struct kf_env *e)
{
	return raw_count(e, "SELECT count(*) FROM audit");
}

TEST_F(hostile, replayed_message_1_is_refused_before_any_write)
{
	static struct captured cap, old, rep;
	struct commits cm = { 0 };
	int64_t rows, mark, changes;
	struct kf_httpc h;
	uint32_t status;
	char text[256];
	int i;

	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu slow --rate "
			       "3/1h"));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "s1", "slow", "host1",
			      self->keyfile, 1));
	kf_httpc_init(&h, self->env.port, 5000);
	ASSERT_LE(0, commit_mark(&self->env, &cm));

	/* An older message 1, captured, still in flight. */
	ASSERT_EQ(0, capture_fetch(&self->host, "s1", &old));
	/* The host's real fetch: delivered, audited, one of 3 spent. */
	ASSERT_EQ(0, capture_fetch(&self->host, "s1", &cap));
	ASSERT_EQ(200, post_msg1(&h, &cap, &status, text, sizeof(text)));
	ASSERT_EQ(KF_STATUS_OK, status);

	rows = audit_rows(&self->env);
	mark = commit_mark(&self->env, &cm);
	ASSERT_LT(0, mark);
	changes = raw_count(&self->env, "SELECT count(*) FROM entities WHERE"
			    " last_timestamp IS NOT NULL");
	ASSERT_EQ(1, changes);
	/* Replayed five times: 409, a text reason, no message 2. */
	memcpy(rep.msg, cap.msg, cap.len);
	rep.len = cap.len;
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(409, post_msg1(&h, &rep, &status, text,
					 sizeof(text)));
		ASSERT_NE(NULL, strstr(text, "replayed or reordered request"));
	}
	/* The older one, arriving late: reordered, refused the same way. */
	ASSERT_EQ(409, post_msg1(&h, &old, &status, text, sizeof(text)));
	/* Nothing was written: no audit row, no commit by anyone. */
	ASSERT_EQ(rows, audit_rows(&self->env));
	ASSERT_EQ(mark, commit_mark(&self->env, &cm));
	/* And no rate-limit spend: 3 per hour, one spent, two are left. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kf_client_fetch(&self->host, "s1", &reply));
		ASSERT_EQ(KF_STATUS_OK, reply.status);
	}
	ASSERT_EQ(0, kf_client_fetch(&self->host, "s1", &reply));
	ASSERT_EQ(KF_STATUS_RATE_LIMITED, reply.status);
	/* Two ok records and the refusal, from the host's own fetches. */
	ASSERT_EQ(rows + 3, audit_rows(&self->env));
	ASSERT_NE(mark, commit_mark(&self->env, &cm));
	if (cm.db)
		sqlite3_close(cm.db);
	kf_httpc_close(&h);
}

/*
 * The durable half: after a restart (the in-memory table is gone), and at
 * another repository on the same database, the replay is still refused,
 * again with nothing written.
 */
TEST_F(hostile, replay_refused_after_restart_and_elsewhere)
{
	struct kf_repo_config cfg = { 0 };
	static struct captured cap;
	struct kf_repo *second;
	struct kf_httpc h;
	uint32_t status;
	int64_t rows;
	char text[256];

	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 1));
	ASSERT_EQ(0, capture_fetch(&self->host, "disk1", &cap));
	kf_httpc_init(&h, self->env.port, 5000);
	ASSERT_EQ(200, post_msg1(&h, &cap, &status, text, sizeof(text)));
	ASSERT_EQ(KF_STATUS_OK, status);
	kf_httpc_close(&h);
	rows = audit_rows(&self->env);

	/* Another repository on the same database, the same key. */
	cfg.db_path = self->env.db;
	cfg.key_paths[0] = self->env.key;
	cfg.n_keys = 1;
	cfg.metrics_listen = "127.0.0.1:0";	/* not the default's port */
	ASSERT_EQ(0, kf_repo_start(&second, &cfg));
	kf_httpc_init(&h, kf_repo_port(second), 5000);
	ASSERT_EQ(409, post_msg1(&h, &cap, &status, text, sizeof(text)));
	kf_httpc_close(&h);
	kf_repo_stop(second);

	/* The first one, restarted. */
	kf_repo_stop(self->env.repo);
	ASSERT_EQ(0, env_start(&self->env, 5));
	kf_httpc_init(&h, self->env.port, 5000);
	ASSERT_EQ(409, post_msg1(&h, &cap, &status, text, sizeof(text)));
	kf_httpc_close(&h);
	ASSERT_EQ(rows, audit_rows(&self->env));

	/* A fresh fetch still goes through. */
	self->host.http.port = self->env.port;
	kf_httpc_close(&self->host.http);
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
}

/* The same message 1, sent on many connections at once. */
struct racer {
	struct captured *cap;
	uint16_t port;
	int http;
	pthread_t th;
};

static void *race(void *arg)
{
	static __thread uint8_t resp[KF_MESSAGE_MAX];
	struct racer *r = arg;
	struct kf_httpc h;
	size_t len;

	kf_httpc_init(&h, r->port, 10000);
	if (kf_httpc_request(&h, "POST", "/v1/transfer", r->cap->msg,
			     r->cap->len, &r->http, resp, sizeof(resp), &len))
		r->http = -1;
	kf_httpc_close(&h);
	return NULL;
}

/*
 * Replays that race the original, on a repository whose threads share
 * commits: exactly one is decided and recorded, the others get 409, and
 * the batch they shared is not harmed.
 */
TEST_F(hostile, concurrent_replays_decide_once)
{
	static struct captured cap;
	static struct racer r[8];
	struct kf_repo_config cfg = { 0 };
	int64_t rows;
	int i, ok = 0, replays = 0;

	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 1));
	kf_repo_stop(self->env.repo);
	cfg.db_path = self->env.db;
	cfg.key_paths[0] = self->env.key;
	cfg.n_keys = 1;
	cfg.threads = 8;
	cfg.metrics_listen = "127.0.0.1:0";	/* not the default's port */
	ASSERT_EQ(0, kf_repo_start(&self->env.repo, &cfg));
	self->env.port = kf_repo_port(self->env.repo);
	rows = audit_rows(&self->env);
	ASSERT_EQ(0, capture_fetch(&self->host, "disk1", &cap));
	for (i = 0; i < 8; i++) {
		r[i].cap = &cap;
		r[i].port = self->env.port;
		ASSERT_EQ(0, pthread_create(&r[i].th, NULL, race, &r[i]));
	}
	for (i = 0; i < 8; i++) {
		pthread_join(r[i].th, NULL);
		ok += r[i].http == 200;
		replays += r[i].http == 409;
	}
	ASSERT_EQ(1, ok);
	ASSERT_EQ(7, replays);
	ASSERT_EQ(rows + 1, audit_rows(&self->env));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " op = 'transfer' AND result = 'ok'"));
	/* and the host's next fetch goes through */
	self->host.http.port = self->env.port;
	kf_httpc_close(&self->host.http);
	ASSERT_EQ(0, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
}

/* A revoked host's old request, replayed, is not decided (nor audited)
 * again either. */
TEST_F(hostile, revoked_hosts_replay_writes_nothing)
{
	static struct captured cap;
	struct kf_httpc h;
	uint32_t status;
	int64_t rows;
	char text[256];

	ASSERT_EQ(0, STATEMENT(&self->env, "revoke eu host1"));
	ASSERT_EQ(0, capture_fetch(&self->host, "disk1", &cap));
	kf_httpc_init(&h, self->env.port, 5000);
	ASSERT_EQ(200, post_msg1(&h, &cap, &status, text, sizeof(text)));
	ASSERT_EQ(KF_STATUS_REVOKED, status);
	rows = audit_rows(&self->env);
	ASSERT_EQ(409, post_msg1(&h, &cap, &status, text, sizeof(text)));
	ASSERT_EQ(rows, audit_rows(&self->env));
	kf_httpc_close(&h);
}

/* ---- what an entity learns about items (issue 11) ------------------------ */

/* The whole authenticated reply to a fetch of item, as bytes. */
static int reply_bytes(struct kf_client *c, const char *item, uint8_t *out,
		       size_t cap, size_t *len)
{
	static struct captured m;
	static uint8_t resp[KF_MESSAGE_MAX];
	size_t rlen;
	int http;

	if (capture_fetch(c, item, &m) ||
	    kf_httpc_request(&c->http, "POST", "/v1/transfer", m.msg, m.len,
			     &http, resp, sizeof(resp), &rlen) || http != 200)
		return -1;
	return kf_noise_initiator_read2(&m.st, out, cap, len, resp, rlen);
}

TEST_F(hostile, missing_and_forbidden_items_look_the_same)
{
	uint8_t none[512], forbidden[512], not_allowed[512];
	size_t n1, n2, n3;
	struct kf_client other;

	ASSERT_EQ(0, enroll_new(&self->env, &other, "host2"));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu locked --read "
			       "entity:host9"));
	/* "secret" sealed to host1 only; host2 asks for it... */
	ASSERT_EQ(0, put_item(&self->env, &self->host, "secret", "disks",
			      "host1", self->keyfile, 1));
	ASSERT_EQ(0, reply_bytes(&other, "secret", forbidden,
				 sizeof(forbidden), &n2));
	/* ...then it is sealed to host2 in a data set that does not allow
	 * it, and asked again... */
	ASSERT_EQ(0, put_item(&self->env, &other, "secret", "locked",
			      "host2", self->keyfile, 2));
	ASSERT_EQ(0, reply_bytes(&other, "secret", not_allowed,
				 sizeof(not_allowed), &n3));
	/* ...then nothing of that name exists at all. */
	ASSERT_EQ(0, raw_sql(&self->env, "DELETE FROM items"));
	ASSERT_EQ(0, reply_bytes(&other, "secret", none, sizeof(none), &n1));
	/* The same plaintext reply, to the byte. */
	ASSERT_EQ(n1, n2);
	ASSERT_EQ(n1, n3);
	ASSERT_EQ(0, memcmp(none, forbidden, n1));
	ASSERT_EQ(0, memcmp(none, not_allowed, n1));
	ASSERT_EQ(0, kf_reply_decode(&reply, none, n1));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, reply.status);
	/* The audit log keeps the true reasons. */
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " subject = 'eu/host2' AND"
			       " result = 'not_sealed_for_entity'"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " subject = 'eu/host2' AND"
			       " result = 'dataset_not_allowed'"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " subject = 'eu/host2' AND result = 'no_item'"));
	kf_client_wipe(&other);
}

TEST_HARNESS_MAIN
