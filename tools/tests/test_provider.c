// SPDX-License-Identifier: MIT
/*
 * Providers (keyferry-provider, docs/operations.md section 11), with a
 * real repository and real providers on loopback, and the library's host
 * (tools/client/) whose own checks run as kf_unseal() with the owner key
 * it pinned.
 *
 * - A host enrolls through a relay and through a secure provider (both
 *   relay the enrollment), and fetches through either: through the relay
 *   from the repository, through the secure provider from its copy, under
 *   the provider's own key.  A provider decides as the repository does,
 *   item by item, refusals included.
 * - The relay holds no key and no store, refuses to be given either, and
 *   logs nothing of what it carries; it fails over between repositories.
 * - The secure provider, with everything it has (its key, its copy with
 *   every sealed item, the hosts' public keys), cannot read an item nor
 *   mint one the host accepts.
 * - A revocation at the repository reaches the provider within its
 *   bound; with the repository gone it serves its copy until the bound,
 *   then refuses with "internal error", and serves again when the
 *   repository is back.  A provider the repository retired is refused at
 *   once, and refuses its hosts; a host that retired the provider's key
 *   from its pins refuses what that key says.
 * - The channel: an unknown provider key gets an authenticated refusal, a
 *   replayed exchange a 409, a report that does not chain is refused
 *   whole; host and provider messages are not accepted on each other's
 *   endpoints.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kf_test.h"
#include "tools/provider/provider.h"
#include "tools/sync/sync.h"

/* A provider under test: its key, its store, the running process. */
struct pv {
	char key[160];
	uint8_t pub[KF_KEY_SIZE];
	char store[256];
	struct kf_provider *p;
	uint16_t port;
};

static int pv_key(struct kf_env *e, const char *name, struct pv *v)
{
	struct kf_serverkey *k;

	memset(v, 0, sizeof(*v));
	snprintf(v->key, sizeof(v->key), "%s/%s.key", e->dir, name);
	if (kf_serverkey_generate(v->key) || kf_serverkey_load(&k, v->key))
		return -1;
	memcpy(v->pub, kf_serverkey_public(k), KF_KEY_SIZE);
	kf_serverkey_free(k);
	return 0;
}

/* A secure provider of the env's repository (at repo_port). */
static int pv_start(struct kf_env *e, struct pv *v, uint16_t repo_port,
		    unsigned int poll, unsigned int max_stale)
{
	static char url[64];
	struct kf_provider_config cfg = { 0 };

	if (!v->store[0]) {
		if (!test_pg_url())
			snprintf(v->store, sizeof(v->store), "%s/%s.db",
				 e->dir, strrchr(v->key, '/') + 1);
		else if (test_store_name(e->dir, v->store, sizeof(v->store)))
			return -1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u",
		 (unsigned int)repo_port);
	cfg.upstreams[0] = url;
	cfg.n_upstreams = 1;
	memcpy(cfg.repository_key, e->kd_pub, KF_KEY_SIZE);
	cfg.poll = poll;
	cfg.max_stale = max_stale;
	cfg.upstream_timeout = 5;
	cfg.server.db_path = v->store;
	cfg.server.key_paths[0] = v->key;
	cfg.server.n_keys = 1;
	cfg.server.conn_timeout = 5;
	/* every host is 127.0.0.1, and /metrics on a port of its own */
	cfg.server.rate_count = -1;
	cfg.server.metrics_listen = "127.0.0.1:0";
	if (kf_provider_start(&v->p, &cfg))
		return -1;
	v->port = kf_provider_port(v->p);
	return 0;
}

static void pv_stop(struct pv *v)
{
	kf_provider_stop(v->p);
	v->p = NULL;
}

/* A relay in front of these repositories. */
static struct kf_provider *relay_start(const uint16_t *ports, unsigned int n)
{
	static char urls[KF_PROVIDER_MAX_UPSTREAMS][64];
	struct kf_provider_config cfg = { .relay = true };
	struct kf_provider *p;
	unsigned int i;

	for (i = 0; i < n; i++) {
		snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%u",
			 (unsigned int)ports[i]);
		cfg.upstreams[i] = urls[i];
	}
	cfg.n_upstreams = n;
	cfg.upstream_timeout = 5;
	cfg.server.conn_timeout = 5;
	/* every host is 127.0.0.1, and /metrics on a port of its own */
	cfg.server.rate_count = -1;
	cfg.server.metrics_listen = "127.0.0.1:0";
	return kf_provider_start(&p, &cfg) ? NULL : p;
}

/* Enroll a new host as eu/name through the server at port (the
 * enrollment addressed to the repository's key); tok gets the token.
 * It awaits the authority's approval. */
static int enroll_tok(struct kf_env *e, struct kf_client *c, uint16_t port,
		      const char *name, char tok[80])
{
	if (kf_client_init(c, port, e->kd_pub) ||
	    make_token(e, "eu", NULL, tok) ||
	    kf_client_enroll(c, "eu", name, tok, &reply))
		return -1;
	return (int)reply.status;
}

static int enroll_pending_at(struct kf_env *e, struct kf_client *c,
			     uint16_t port, const char *name)
{
	char tok[80];

	return enroll_tok(e, c, port, name, tok);
}

/* The same, then approved by the authority (two members). */
static int enroll_at(struct kf_env *e, struct kf_client *c, uint16_t port,
		     const char *name)
{
	int ret = enroll_pending_at(e, c, port, name);

	if (ret)
		return ret;
	return STATEMENT(e, "approve eu %s", name) ? -1 : 0;
}

/* Fetch item through the provider, under its key. */
static int fetch_at(struct kf_client *c, const struct pv *v, const char *item)
{
	if (kf_client_use(c, v->pub, v->port) ||
	    kf_client_fetch(c, item, &reply))
		return -1;
	return (int)reply.status;
}

/* The whole key delivered, opened with the host's Kec and the owner's Ko. */
static bool delivered(struct kf_env *e, struct kf_client *c,
		      const uint8_t *key, size_t len)
{
	uint8_t got[KF_ITEM_KEY_MAX];
	size_t n;

	return reply.status == KF_STATUS_OK && reply.n_items == 1 &&
	       !open_item(e, c, &reply.items[0], got, &n, NULL) && n == len &&
	       !memcmp(got, key, len);
}

static int64_t count_sql(struct kf_env *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int64_t count_sql(struct kf_env *e, const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return raw_count(e, sql);
}

FIXTURE(prov) {
	struct kf_env env;
	struct pv pv;
	struct kf_client host;
	char keyfile[160];
	uint8_t key[32];
	char pub_b64[64];
};

FIXTURE_SETUP(prov)
{
	ASSERT_EQ(0, env_setup(&self->env, 5));
	ASSERT_EQ(0, pv_key(&self->env, "p1", &self->pv));
	kf_base64_encode(self->pub_b64, sizeof(self->pub_b64), self->pv.pub,
			 KF_KEY_SIZE);
	ASSERT_EQ(0, STATEMENT(&self->env, "provider allow eu p1 %s",
			       self->pub_b64));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks"));
	ASSERT_EQ(0, kf_random(self->key, sizeof(self->key)));
	ASSERT_EQ(0, write_key(&self->env, "k1", self->key, sizeof(self->key),
			       self->keyfile, sizeof(self->keyfile)));
}

FIXTURE_TEARDOWN(prov)
{
	if (self->pv.p)
		pv_stop(&self->pv);
	kf_client_wipe(&self->host);
	env_teardown(&self->env);
}

/*
 * The usual start: the provider running (poll, max_stale), host1
 * enrolled through it and pinning its key, disk1 sealed to host1 and in
 * the provider's copy.
 */
static int serve_host1(FIXTURE_DATA(prov) *self, uint16_t repo_port,
		       unsigned int poll, unsigned int max_stale)
{
	struct kf_env *e = &self->env;

	if (pv_start(e, &self->pv, repo_port, poll, max_stale) ||
	    enroll_at(e, &self->host, self->pv.port, "host1") ||
	    kf_client_pin(&self->host, self->pv.pub) ||
	    put_item(e, &self->host, "disk1", "disks", "host1", self->keyfile,
		     1))
		return -1;
	return kf_provider_sync(self->pv.p, 10000);
}

/*
 * The secure provider: the host enrolls through it (relayed to the
 * repository, addressed to the repository's key), pins the provider's
 * key and fetches under it from the provider's copy; the provider's
 * record of the delivery reaches the repository's audit log.
 */
TEST_F(prov, secure_provider_delivers_from_its_copy)
{
	struct kf_env *e = &self->env;

	ASSERT_EQ(0, pv_start(e, &self->pv, e->port, 60, 120));
	ASSERT_EQ(0, enroll_at(e, &self->host, self->pv.port, "host1"));
	ASSERT_EQ(1, count_sql(e, "SELECT count(*) FROM entities WHERE "
			       "name = 'host1'"));
	ASSERT_EQ(0, kf_client_pin(&self->host, self->pv.pub));
	ASSERT_EQ(0, put_item(e, &self->host, "disk1", "disks", "host1",
			      self->keyfile, 1));
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, &self->pv, "disk1"));
	ASSERT_TRUE(delivered(e, &self->host, self->key, 32));
	/* Answered under the provider's key, not relayed: the repository
	 * has no transfer of its own for it... */
	ASSERT_EQ(0, count_sql(e, "SELECT count(*) FROM audit WHERE "
			       "op = 'transfer'"));
	/* ...and holds the provider's record of it after the next round. */
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));
	ASSERT_EQ(1, count_sql(e, "SELECT count(*) FROM audit WHERE "
			       "op = 'provider.transfer' AND actor = "
			       "'provider:p1' AND subject = 'eu/host1' AND "
			       "result = 'ok'"));
	ASSERT_EQ(0, ADMIN(e, "audit verify"));
}


/* Fetch item from the repository itself, under its key. */
static int fetch_repo(struct kf_env *e, struct kf_client *c, const char *item)
{
	if (kf_client_use(c, e->kd_pub, e->port) ||
	    kf_client_fetch(c, item, &reply))
		return -1;
	return (int)reply.status;
}

static bool file_has(const char *path, const char *text)
{
	uint8_t *buf;
	size_t len;
	bool has;

	if (kf_read_file(path, 1 << 20, &buf, &len))
		return false;
	has = memmem(buf, len, text, strlen(text)) != NULL;
	free(buf);
	return has;
}

/*
 * The relay: enrollment and fetch through it, the repository deciding
 * both; the first repository it knows is down, so it fails over.  It
 * takes no key and no store, and its log (verbose) holds nothing of what
 * it carried: not the token, not the host's keys.
 */
TEST_F(prov, relay_forwards_fails_over_and_holds_nothing)
{
	struct kf_env *e = &self->env;
	struct kf_provider_config bad = { .relay = true };
	uint16_t ports[2] = { 1, e->port };	/* nobody listens on port 1 */
	struct kf_provider *relay;
	char tok[80], log[200], b64[64], hex[65];
	int saved, fd;

	/* A relay holds nothing: it refuses a key and a store. */
	bad.upstreams[0] = "http://127.0.0.1:1";
	bad.n_upstreams = 1;
	bad.server.key_paths[0] = self->pv.key;
	bad.server.n_keys = 1;
	ASSERT_EQ(-EINVAL, kf_provider_start(&relay, &bad));

	snprintf(log, sizeof(log), "%s/relay.log", e->dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	kf_verbose = 1;
	relay = relay_start(ports, 2);
	ASSERT_NE(NULL, relay);
	ASSERT_EQ(0, enroll_tok(e, &self->host, kf_provider_port(relay),
				"host1", tok));
	ASSERT_EQ(0, STATEMENT(e, "approve eu host1"));
	ASSERT_EQ(0, put_item(e, &self->host, "disk1", "disks", "host1",
			      self->keyfile, 1));
	ASSERT_EQ(KF_STATUS_OK, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_TRUE(delivered(e, &self->host, self->key, 32));
	kf_provider_stop(relay);
	kf_verbose = 0;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	/* The repository decided, and saw the transfer. */
	ASSERT_EQ(1, count_sql(e, "SELECT count(*) FROM audit WHERE op = "
			       "'transfer' AND subject = 'eu/host1' AND "
			       "result = 'ok'"));
	ASSERT_EQ(1, count_sql(e, "SELECT count(*) FROM audit WHERE op = "
			       "'enroll' AND subject = 'eu/host1'"));
	/* It did log (the failover), and nothing it carried. */
	ASSERT_TRUE(file_has(log, "127.0.0.1:1"));
	ASSERT_FALSE(file_has(log, tok));
	kf_base64_encode(b64, sizeof(b64), self->host.kec_pub, KF_KEY_SIZE);
	ASSERT_FALSE(file_has(log, b64));
	kf_hex(hex, self->host.kei_pub, KF_KEY_SIZE);
	ASSERT_FALSE(file_has(log, hex));
}

/*
 * The provider decides as the repository does: the same status, the
 * same message and the same sealed item for every host and item, over
 * groups, data sets' lists and windows, rate limits, revocation, an
 * entity not valid yet, versions, and an item that does not exist.
 */
TEST_F(prov, provider_decides_as_the_repository)
{
	static const char *const names[] = { "a", "b", "c", "d" };
	static const char *const items[] = { "x1", "gi", "ei", "ci", "ri",
					     "ri", "ai", "vi", "none" };
	static struct kf_client hosts[4];
	static struct kf_reply at_repo;
	struct kf_env *e = &self->env;
	unsigned int h, i, checked = 0;

	ASSERT_EQ(0, pv_start(e, &self->pv, e->port, 60, 120));
	for (h = 0; h < 4; h++) {
		/* d: approved below, valid only from an hour on */
		ASSERT_EQ(0, h < 3 ? enroll_at(e, &hosts[h], e->port, names[h]) :
			  enroll_pending_at(e, &hosts[h], e->port, names[h]));
		ASSERT_EQ(0, kf_client_pin(&hosts[h], self->pv.pub));
	}
	ASSERT_EQ(0, STATEMENT(e, "group create eu g"));
	ASSERT_EQ(0, STATEMENT(e, "group add eu g a"));
	ASSERT_EQ(0, STATEMENT(e, "dataset create eu grp --read group:g"));
	ASSERT_EQ(0, STATEMENT(e, "dataset create eu ent --read entity:b"));
	ASSERT_EQ(0, STATEMENT(e, "dataset create eu closed --not-after "
			       "2020-01-01T00:00:00Z"));
	ASSERT_EQ(0, STATEMENT(e, "dataset create eu rated --rate 1/1h"));
	ASSERT_EQ(0, put_item(e, &hosts[0], "x1", "disks", "a", self->keyfile,
			      1));
	ASSERT_EQ(0, put_item(e, &hosts[0], "x1", "disks", "a", self->keyfile,
			      2));
	/* a group's item, sealed to a's Kec: the test's shortcut */
	ASSERT_EQ(0, put_item_for(e, &hosts[0], "gi", "grp", "group", "g",
				  self->keyfile, 1));
	ASSERT_EQ(0, put_item(e, &hosts[1], "ei", "ent", "b", self->keyfile,
			      1));
	ASSERT_EQ(0, put_item(e, &hosts[0], "ci", "closed", "a",
			      self->keyfile, 1));
	ASSERT_EQ(0, put_item(e, &hosts[1], "ri", "rated", "b", self->keyfile,
			      1));
	ASSERT_EQ(0, put_item(e, &hosts[0], "ai", "ent", "a", self->keyfile,
			      1));
	/* a's copy of a group's item, in a data set every entity reads:
	 * served while a is in g */
	ASSERT_EQ(0, put_item_for(e, &hosts[0], "vi", "disks", "entity",
				  "a --group g", self->keyfile, 1));
	ASSERT_EQ(0, STATEMENT(e, "revoke eu c"));
	ASSERT_EQ(0, STATEMENT(e, "approve eu d --not-before +1h"));
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));

	for (h = 0; h < 4; h++) {
		for (i = 0; i < KF_ARRAY_SIZE(items); i++) {
			ASSERT_LE(0, fetch_repo(e, &hosts[h], items[i]));
			at_repo = reply;
			ASSERT_LE(0, fetch_at(&hosts[h], &self->pv, items[i]));
			ASSERT_EQ(at_repo.status, reply.status);
			ASSERT_STREQ(at_repo.message, reply.message);
			ASSERT_EQ(at_repo.n_items, reply.n_items);
			if (reply.n_items) {
				ASSERT_EQ(at_repo.items[0].sealed_len,
					  reply.items[0].sealed_len);
				ASSERT_EQ(0, memcmp(at_repo.items[0].sealed,
						    reply.items[0].sealed,
						    reply.items[0].sealed_len));
				ASSERT_EQ(0, memcmp(at_repo.items[0].policy,
						    reply.items[0].policy,
						    reply.items[0].policy_len));
			}
			checked++;
		}
	}
	ASSERT_EQ(36u, checked);
	/* and what was decided covers the cases it should */
	ASSERT_EQ(0, fetch_at(&hosts[0], &self->pv, "x1"));
	ASSERT_EQ(2u, item_version(&reply.items[0]));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&hosts[0], &self->pv, "gi"));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_at(&hosts[1], &self->pv,
						    "gi"));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_at(&hosts[0], &self->pv,
						    "ci"));
	ASSERT_EQ(KF_STATUS_RATE_LIMITED, fetch_at(&hosts[1], &self->pv,
						   "ri"));
	ASSERT_EQ(KF_STATUS_REVOKED, fetch_at(&hosts[2], &self->pv, "x1"));
	ASSERT_EQ(KF_STATUS_NOT_VALID, fetch_at(&hosts[3], &self->pv, "x1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&hosts[0], &self->pv, "vi"));
	/* a leaves g: neither g's item nor a's copy of it, there or here */
	ASSERT_EQ(0, STATEMENT(e, "group remove eu g a"));
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(KF_STATUS_NOT_AVAILABLE,
			  fetch_repo(e, &hosts[0], items[1 + 6 * i]));
		ASSERT_EQ(KF_STATUS_NOT_AVAILABLE,
			  fetch_at(&hosts[0], &self->pv, items[1 + 6 * i]));
	}
	for (h = 0; h < 4; h++)
		kf_client_wipe(&hosts[h]);
}

/*
 * The provider as the adversary, with everything it has: its own key,
 * its copy (every sealed item, the hosts' public keys).  It cannot open
 * the host's item; an item it seals itself to the host's Kec, under a
 * higher version, served with an authentic message 2 under its key, is
 * refused by the host, which pinned the owner's key.
 */
TEST_F(prov, provider_cannot_read_or_mint)
{
	struct kf_env *e = &self->env;
	uint8_t kp[32], mine[32], mine_pub[32], chosen[32];
	uint8_t got[KF_ITEM_KEY_MAX], kid[KF_KID_SIZE], kec[32];
	uint8_t sealed[KF_SEALED_MAX];
	uint8_t policy[KF_POLICY_MAX];
	struct kf_policy pol = { .key_type = KF_KEY_LOGON, .key_size = 32 };
	char hex[2 * KF_SEALED_MAX + 1], sql[2 * KF_SEALED_MAX + 200];
	struct kf_binding b;
	size_t len, plen;
	struct kf_store *copy;
	struct kf_entity ent;
	static struct kf_fetch f;

	ASSERT_EQ(0, serve_host1(self, e->port, 60, 120));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, &self->pv, "disk1"));
	ASSERT_TRUE(delivered(e, &self->host, self->key, 32));

	/* What it has: its private key, and its copy. */
	ASSERT_EQ(0, kf_keyfile_read(self->pv.key, kp));
	ASSERT_EQ(0, kf_store_open(&copy, self->pv.store, 0));
	ASSERT_EQ(0, kf_store_entity_get(copy, "eu", "host1", &ent));
	memcpy(kec, ent.kec_pub, 32);
	ASSERT_EQ(0, kf_store_fetch(copy, &ent, "disk1", &f));
	kf_store_close(copy);
	/* It cannot open the item with its key: sealed to the host's Kec. */
	b = (struct kf_binding){ "eu", "disk1", f.policy, f.policy_len };
	ASSERT_EQ(-ENOKEY, kf_unseal(got, sizeof(got), &len, NULL, kp,
				     e->ko_pub, NULL, &b, f.sealed,
				     f.sealed_len));

	/* It mints: a key of its choosing, to the host's Kec, as owner. */
	ASSERT_EQ(0, kf_x25519_keygen(mine, mine_pub));
	memset(chosen, 0x41, sizeof(chosen));
	ASSERT_EQ(0, kf_policy_encode(&pol, policy, sizeof(policy), &plen));
	b = (struct kf_binding){ "eu", "disk1", policy, plen };
	ASSERT_EQ(0, kf_seal_to_kec(sealed, sizeof(sealed), &len, kec, mine,
				    NULL, &b, 1000, chosen, sizeof(chosen)));
	kf_hex(hex, sealed, len);
	snprintf(sql, sizeof(sql), BY_BACKEND("UPDATE items SET version = "
		 "1000, sealed = x'%s' WHERE name = 'disk1'", "UPDATE items "
		 "SET version = 1000, sealed = '\\x%s'::bytea WHERE name = "
		 "'disk1'"), hex);
	ASSERT_EQ(0, raw_sql_on(self->pv.store, sql));
	kf_hex(hex, policy, plen);
	snprintf(sql, sizeof(sql), BY_BACKEND("UPDATE items SET policy = "
		 "x'%s' WHERE name = 'disk1'", "UPDATE items SET policy = "
		 "'\\x%s'::bytea WHERE name = 'disk1'"), hex);
	ASSERT_EQ(0, raw_sql_on(self->pv.store, sql));
	/* Delivered, under the provider's key, with status ok... */
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, &self->pv, "disk1"));
	ASSERT_EQ(1000u, item_version(&reply.items[0]));
	/* ...and refused by the host: not sealed by the owner it pinned. */
	ASSERT_EQ(-EKEYREJECTED, open_item(e, &self->host, &reply.items[0],
					   got, &len, NULL));
	/* naming the owner's kid in the header does not help */
	kf_kid(e->ko_pub, kid);
	memcpy(reply.items[0].sealed + 16, kid, KF_KID_SIZE);
	ASSERT_EQ(-EBADMSG, open_item(e, &self->host, &reply.items[0], got,
				      &len, NULL));
	kf_wipe(kp, sizeof(kp));
	kf_wipe(mine, sizeof(mine));
}

/*
 * Fetch through the provider every 100 ms until it answers REVOKED, or
 * secs pass (by the clock); in *last_ok when the last transfer it served
 * was sent, in *took when REVOKED came, both in seconds after t0.  An
 * "internal error" (its copy older than its bound, the syncer being late
 * on a loaded machine) refuses too, and the polling goes on.
 */
static int until_revoked(struct kf_client *c, const struct pv *v, const char *item,
			 uint64_t t0, double secs, double *last_ok, double *took)
{
	double sent;
	int st;

	do {
		sent = since(t0);
		st = fetch_at(c, v, item);
		*took = since(t0);
		if (st == KF_STATUS_OK)
			*last_ok = sent;
		if (st == KF_STATUS_REVOKED)
			return st;
		usleep(100000);
	} while (*took < secs);
	return st;
}

/*
 * A revocation at the repository reaches the provider within its bound
 * (max_stale: 4 s here, polling every second), and the provider's record
 * of the refusal reaches the repository.  The bound is on what it serves:
 * no transfer sent more than 4 s after the revocation was committed is
 * delivered, however slow the machine (a request's own duration is not
 * counted, it was checked when it arrived); REVOKED may come later than
 * that on a loaded machine (30 s).
 */
TEST_F(prov, revocation_reaches_the_provider_within_its_bound)
{
	struct kf_env *e = &self->env;
	double last_ok = -1, took = 0;
	uint64_t t0;

	ASSERT_EQ(0, serve_host1(self, e->port, 1, 4));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, &self->pv, "disk1"));
	ASSERT_EQ(0, STATEMENT(e, "revoke eu host1"));
	t0 = kf_now_ns();
	ASSERT_EQ(KF_STATUS_REVOKED, until_revoked(&self->host, &self->pv, "disk1", t0, 30,
						   &last_ok, &took));
	TH_LOG("last delivery sent %.1f s after the revocation, REVOKED after %.1f s",
	       last_ok, took);
	ASSERT_LE(last_ok, 4.0);
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));
	ASSERT_LE(1, count_sql(e, "SELECT count(*) FROM audit WHERE op = "
			       "'provider.transfer' AND subject = 'eu/host1' "
			       "AND result = 'revoked'"));
}

/* A free loopback port, for a repository that must come back on it. */
static uint16_t free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* The repository in a process of its own on port: kill -9 takes it. */
static pid_t repo_process(struct kf_env *e, uint16_t port)
{
	struct kf_repo_config cfg = { 0 };
	struct kf_repo *r;
	int p[2];
	char c = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		cfg.db_path = e->db;
		cfg.key_paths[0] = e->key;
		cfg.n_keys = 1;
		cfg.port = port;
		cfg.rate_count = -1;
		cfg.metrics_listen = "off";
		if (kf_repo_start(&r, &cfg))
			_exit(1);
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	/* our write end closed first: a child that failed is an end of file */
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static int healthz(uint16_t port, char *body, size_t cap)
{
	struct kf_httpc h;
	size_t len = 0;
	int status = 0;

	kf_httpc_init(&h, port, 5000);
	if (kf_httpc_request(&h, "GET", "/healthz", NULL, 0, &status,
			     (uint8_t *)body, cap - 1, &len))
		status = -1;
	body[len < cap ? len : cap - 1] = 0;
	kf_httpc_close(&h);
	return status;
}

/*
 * The repository goes away: the provider serves its copy until its
 * bound (3 s), then refuses every transfer with "internal error" and
 * says why; /healthz says so too.  The repository comes back: the
 * provider serves again.
 */
TEST_F(prov, unreachable_repository_copy_served_until_the_bound)
{
	struct kf_env *e = &self->env;
	uint16_t port = free_port();
	char body[300];
	pid_t pid;
	int status;

	ASSERT_NE(0, port);
	pid = repo_process(e, port);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, serve_host1(self, port, 1, 3));
	ASSERT_EQ(200, healthz(self->pv.port, body, sizeof(body)));

	/* a round just done, so the copy is fresh whatever the syncer's pace */
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* Within the bound: served from the copy. */
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, &self->pv, "disk1"));
	ASSERT_TRUE(delivered(e, &self->host, self->key, 32));
	ASSERT_NE(0, kf_provider_sync(self->pv.p, 10000));
	/* Past it: refused, saying why. */
	while (kf_provider_age(self->pv.p) <= 3)
		usleep(100000);
	ASSERT_EQ(KF_STATUS_INTERNAL, fetch_at(&self->host, &self->pv,
					       "disk1"));
	ASSERT_NE(NULL, strstr(reply.message, "more than its bound of 3 s"));
	ASSERT_EQ(503, healthz(self->pv.port, body, sizeof(body)));
	ASSERT_NE(NULL, strstr(body, "more than its bound"));

	/* Back: served again. */
	pid = repo_process(e, port);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, &self->pv, "disk1"));
	ASSERT_TRUE(delivered(e, &self->host, self->key, 32));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/*
 * The repository retires the provider: its next exchange is refused,
 * and from then on it refuses its hosts, without waiting for its bound.
 */
TEST_F(prov, retired_provider_is_refused_and_refuses)
{
	struct kf_env *e = &self->env;

	ASSERT_EQ(0, serve_host1(self, e->port, 60, 120));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, &self->pv, "disk1"));
	ASSERT_EQ(0, STATEMENT(e, "provider retire eu p1 %s",
			       self->pub_b64));
	ASSERT_EQ(-EACCES, kf_provider_sync(self->pv.p, 10000));
	ASSERT_EQ(KF_STATUS_INTERNAL, fetch_at(&self->host, &self->pv,
					       "disk1"));
	ASSERT_NE(NULL, strstr(reply.message, "provider p1 is retired"));
	ASSERT_EQ(1, count_sql(e, "SELECT count(*) FROM audit WHERE op = "
			       "'provider.sync' AND result = 'retired'"));
	/* For good: it cannot be allowed the region again. */
	ASSERT_EQ(1, STATEMENT(e, "provider allow eu p1 %s",
			       self->pub_b64));
}

/*
 * Only the region's authority allows a provider: one member's signature
 * (of two needed), the repository's administrator on the store, or a
 * statement naming a key another provider's name holds, are refused,
 * and a provider so "allowed" gets nothing (its exchange: unknown).
 * What k members allow is in the statements' chain and its audit.
 */
TEST_F(prov, only_the_authority_allows_a_provider)
{
	struct kf_env *e = &self->env;
	struct pv p3;
	char pub3[64];

	ASSERT_EQ(0, pv_key(e, "p3", &p3));
	kf_base64_encode(pub3, sizeof(pub3), p3.pub, KF_KEY_SIZE);
	ASSERT_NE(0, statement_by(e, 1, "provider allow eu p3 %s", pub3));
	ASSERT_EQ(2, ADMIN(e, "provider allow eu p3 %s", pub3));
	/* p1's key under another name, p1's name for another key */
	ASSERT_NE(0, STATEMENT(e, "provider allow eu p3 %s", self->pub_b64));
	ASSERT_NE(0, STATEMENT(e, "provider allow eu p1 %s", pub3));
	ASSERT_EQ(0, count_sql(e, "SELECT count(*) FROM provider_channels "
			       "WHERE name = 'p3'"));
	ASSERT_EQ(0, pv_start(e, &p3, e->port, 60, 120));
	ASSERT_EQ(-EACCES, kf_provider_sync(p3.p, 10000));
	ASSERT_LE(1, count_sql(e, "SELECT count(*) FROM audit WHERE op = "
			       "'provider.sync' AND result = "
			       "'unknown_provider'"));
	pv_stop(&p3);
	/* k members: allowed, by a statement of the chain */
	ASSERT_EQ(0, STATEMENT(e, "provider allow eu p3 %s", pub3));
	ASSERT_EQ(1, count_sql(e, "SELECT count(*) FROM providers p JOIN "
			       "provider_channels c ON c.pub = p.pub WHERE "
			       "c.name = 'p3' AND p.retired = 0"));
	ASSERT_EQ(0, pv_start(e, &p3, e->port, 60, 120));
	ASSERT_EQ(0, kf_provider_sync(p3.p, 10000));
	pv_stop(&p3);
}

/* One host transfer's raw messages, to play the network with. */
static int raw_msg1(struct kf_client *c, const uint8_t *to,
		    struct kf_noise *st, uint8_t *msg, size_t *len)
{
	static struct kf_request rq;
	uint8_t payload[512];
	size_t plen;

	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	rq.n_items = 1;
	strcpy(rq.items[0], "disk1");
	kf_tai64n_next(rq.timestamp, c->last_ts);
	if (kf_request_encode(&rq, payload, sizeof(payload), &plen))
		return -1;
	return kf_noise_initiator_write1(st, msg, KF_MESSAGE_MAX, len,
					 c->kei_priv, to, NULL, payload, plen);
}

static int post(uint16_t port, const char *path, const uint8_t *body,
		size_t len, uint8_t *out, size_t *out_len)
{
	struct kf_httpc h;
	int status = 0;

	kf_httpc_init(&h, port, 5000);
	if (kf_httpc_request(&h, "POST", path, body, len, &status, out,
			     KF_MESSAGE_MAX, out_len))
		status = -1;
	kf_httpc_close(&h);
	return status;
}

/*
 * The host retires the provider's key from its pins.  It no longer
 * addresses the provider, and what the provider's key says is refused:
 * the provider cannot read a message 1 addressed to another key, and its
 * message 2 of an earlier transfer, recorded, readdressed or not, does
 * not pass for the answer of another distributor.
 */
TEST_F(prov, host_that_retired_the_provider_key_refuses_it)
{
	static uint8_t m1[KF_MESSAGE_MAX], old2[KF_MESSAGE_MAX];
	static uint8_t out[KF_MESSAGE_MAX];
	struct kf_env *e = &self->env;
	uint8_t kp[32], from[32], kid[KF_KID_SIZE];
	struct kf_noise st, rsp, tmp;
	size_t l1, l2, plen;

	ASSERT_EQ(0, serve_host1(self, e->port, 60, 120));
	/* A transfer through the provider, recorded by the network. */
	ASSERT_EQ(0, raw_msg1(&self->host, self->pv.pub, &st, m1, &l1));
	ASSERT_EQ(200, post(self->pv.port, "/v1/transfer", m1, l1, old2, &l2));
	ASSERT_EQ(0, kf_noise_initiator_read2(&st, out, sizeof(out), &plen,
					      old2, l2));

	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, &self->pv, "disk1"));
	ASSERT_EQ(0, kf_client_unpin(&self->host, self->pv.pub));
	ASSERT_EQ(-EKEYREJECTED, kf_client_fetch(&self->host, "disk1",
						 &reply));
	ASSERT_EQ(-EKEYREJECTED, kf_client_use(&self->host, self->pv.pub,
					       self->pv.port));
	/* Through the provider's address, the host now speaks to the
	 * repository's key: the provider relays it, unread. */
	ASSERT_EQ(0, kf_client_use(&self->host, e->kd_pub, self->pv.port));
	ASSERT_EQ(KF_STATUS_OK, kf_client_fetch(&self->host, "disk1", &reply));
	ASSERT_TRUE(delivered(e, &self->host, self->key, 32));

	/* The provider, with its key, cannot read such a message 1... */
	ASSERT_EQ(0, kf_keyfile_read(self->pv.key, kp));
	ASSERT_EQ(0, raw_msg1(&self->host, e->kd_pub, &st, m1, &l1));
	ASSERT_EQ(-EREMCHG, kf_noise_responder_read1(&rsp, out, sizeof(out),
						     &plen, from, kp, m1, l1));
	kf_kid(self->pv.pub, kid);
	memcpy(m1 + 8, kid, KF_KID_SIZE);
	ASSERT_EQ(-EBADMSG, kf_noise_responder_read1(&rsp, out, sizeof(out),
						     &plen, from, kp, m1, l1));
	/* ...and its recorded answer is refused, however it is dressed. */
	tmp = st;
	ASSERT_EQ(-ESRCH, kf_noise_initiator_read2(&tmp, out, sizeof(out),
						   &plen, old2, l2));
	memcpy(old2 + 4, m1 + 4, 4);	/* this transfer's index */
	tmp = st;
	ASSERT_EQ(-EREMCHG, kf_noise_initiator_read2(&tmp, out, sizeof(out),
						     &plen, old2, l2));
	kf_kid(e->kd_pub, kid);
	memcpy(old2 + 8, kid, KF_KID_SIZE);
	ASSERT_EQ(-EBADMSG, kf_noise_initiator_read2(&st, out, sizeof(out),
						     &plen, old2, l2));
	kf_wipe(kp, sizeof(kp));
}

/*
 * A host's message 1 sent twice to the provider: the second is refused
 * as a replay (409), before any decision.  The provider's key is its
 * own: the repository cannot even read the message, nor can another
 * provider (which relays it, as addressed to a key not its own, and the
 * repository refuses it).
 */
TEST_F(prov, replay_at_the_provider_is_refused)
{
	static uint8_t m1[KF_MESSAGE_MAX], out[KF_MESSAGE_MAX];
	struct kf_env *e = &self->env;
	struct pv p2;
	char pub2[64];
	struct kf_noise st;
	size_t l1, l2;

	ASSERT_EQ(0, pv_start(e, &self->pv, e->port, 60, 120));
	ASSERT_EQ(0, enroll_at(e, &self->host, self->pv.port, "host1"));
	ASSERT_EQ(0, put_item(e, &self->host, "disk1", "disks", "host1",
			      self->keyfile, 1));
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));
	ASSERT_EQ(0, raw_msg1(&self->host, self->pv.pub, &st, m1, &l1));
	kf_noise_wipe(&st);
	ASSERT_EQ(200, post(self->pv.port, "/v1/transfer", m1, l1, out, &l2));
	ASSERT_EQ(409, post(self->pv.port, "/v1/transfer", m1, l1, out, &l2));
	ASSERT_EQ(400, post(e->port, "/v1/transfer", m1, l1, out, &l2));
	out[l2 < 200 ? l2 : 199] = 0;
	ASSERT_NE(NULL, strstr((char *)out, "does not hold"));
	ASSERT_EQ(0, pv_key(e, "p2", &p2));
	kf_base64_encode(pub2, sizeof(pub2), p2.pub, KF_KEY_SIZE);
	ASSERT_EQ(0, STATEMENT(e, "provider allow eu p2 %s", pub2));
	ASSERT_EQ(0, pv_start(e, &p2, e->port, 60, 120));
	ASSERT_EQ(0, kf_provider_sync(p2.p, 10000));
	ASSERT_EQ(400, post(p2.port, "/v1/transfer", m1, l1, out, &l2));
	out[l2 < 200 ? l2 : 199] = 0;
	ASSERT_NE(NULL, strstr((char *)out, "does not hold"));
	pv_stop(&p2);
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));
	/* one decision, reported once */
	ASSERT_EQ(1, count_sql(e, "SELECT count(*) FROM audit WHERE op = "
			       "'provider.transfer' AND subject = 'eu/host1'"));
}

/* One exchange on the channel as the provider with key kp would make it. */
static int channel(struct kf_env *e, const uint8_t *kp,
		   struct kf_sync_request *rq, uint8_t *msg, size_t *mlen,
		   struct kf_sync_reply *rp, uint8_t *payload)
{
	struct kf_noise st;
	unsigned int taken;
	size_t plen;
	int http, ret;

	ret = kf_sync_request_encode(rq, NULL, NULL, payload,
				     KF_SYNC_REQUEST_MAX, &plen, &taken);
	if (!ret)
		ret = kf_noise_sync_write1(&st, msg, KF_MESSAGE_MAX, mlen, kp,
					   e->kd_pub, payload, plen);
	if (ret)
		return ret;
	http = post(e->port, KF_SYNC_PATH, msg, *mlen, payload, &plen);
	if (http != 200) {
		kf_noise_wipe(&st);
		return http;
	}
	ret = kf_noise_sync_read2(&st, payload, KF_MESSAGE_MAX, &plen, payload,
				  plen);
	if (!ret)
		ret = kf_sync_reply_decode(rp, payload, plen);
	return ret ? ret : 200;
}

/*
 * The channel at the repository: a stranger's key gets an authenticated
 * "unknown provider" (and an audit record); the same exchange twice, a
 * 409; a host's message 1 is not a provider's, nor the reverse.
 */
TEST_F(prov, channel_refuses_strangers_replays_and_the_wrong_messages)
{
	static uint8_t msg[KF_MESSAGE_MAX], payload[KF_MESSAGE_MAX];
	static struct kf_sync_request rq;
	static struct kf_sync_reply rp;
	struct kf_env *e = &self->env;
	uint8_t kp[32], stranger[32], pub[32], last[12] = { 0 };
	size_t mlen, l2;
	struct kf_noise st;

	ASSERT_EQ(0, kf_keyfile_read(self->pv.key, kp));
	ASSERT_EQ(0, kf_x25519_keygen(stranger, pub));
	memset(&rq, 0, sizeof(rq));
	kf_tai64n_next(rq.timestamp, last);
	ASSERT_EQ(200, channel(e, stranger, &rq, msg, &mlen, &rp, payload));
	ASSERT_EQ(KF_SYNC_UNKNOWN, rp.status);
	ASSERT_STREQ("unknown provider", rp.message);
	ASSERT_EQ(0, rp.n_rows);
	ASSERT_EQ(1, count_sql(e, "SELECT count(*) FROM audit WHERE op = "
			       "'provider.sync' AND result = "
			       "'unknown_provider'"));

	kf_tai64n_next(rq.timestamp, last);
	ASSERT_EQ(200, channel(e, kp, &rq, msg, &mlen, &rp, payload));
	ASSERT_EQ(KF_SYNC_OK, rp.status);
	ASSERT_LT(0, rp.n_rows);	/* region eu, its data set */
	ASSERT_FALSE(rp.has_next);
	ASSERT_EQ(409, post(e->port, KF_SYNC_PATH, msg, mlen, payload, &l2));

	/* the channels do not cross */
	ASSERT_EQ(400, post(e->port, "/v1/transfer", msg, mlen, payload,
			    &l2));
	ASSERT_EQ(0, enroll_at(e, &self->host, e->port, "host1"));
	ASSERT_EQ(0, raw_msg1(&self->host, e->kd_pub, &st, msg, &mlen));
	kf_noise_wipe(&st);
	ASSERT_EQ(400, post(e->port, KF_SYNC_PATH, msg, mlen, payload, &l2));
	kf_wipe(kp, sizeof(kp));
	kf_wipe(stranger, sizeof(stranger));
}

static int one_record(void *ctx, struct kf_audit_rec *rec)
{
	struct kf_audit_rec *r = ctx;

	if (!r->seq)
		return 0;
	*rec = *r;
	r->seq = 0;
	return 1;
}

/*
 * A report whose record does not follow the provider's chain (here, a
 * record whose hash is not its own) is refused whole: an authenticated
 * "bad request" naming it, one record of the refusal, nothing of it in
 * the repository's log, and no rows.
 */
TEST_F(prov, report_that_does_not_chain_is_refused)
{
	static uint8_t msg[KF_MESSAGE_MAX], payload[KF_MESSAGE_MAX];
	static struct kf_sync_request rq;
	static struct kf_sync_reply rp;
	struct kf_env *e = &self->env;
	struct kf_audit_rec rec = {
		.seq = 1, .ts = 1, .actor = "provider", .op = "transfer",
		.subject = "eu/host1", .result = "ok", .detail = "",
	};
	uint8_t kp[32], last[12] = { 0 };
	struct kf_noise st;
	unsigned int taken;
	size_t plen, mlen;
	int http;

	ASSERT_EQ(0, kf_keyfile_read(self->pv.key, kp));
	memset(&rq, 0, sizeof(rq));
	kf_tai64n_next(rq.timestamp, last);
	memset(rec.hash, 0x5a, 32);
	ASSERT_EQ(0, kf_sync_request_encode(&rq, one_record, &rec, payload,
					    KF_SYNC_REQUEST_MAX, &plen,
					    &taken));
	ASSERT_EQ(1u, taken);
	ASSERT_EQ(0, kf_noise_sync_write1(&st, msg, sizeof(msg), &mlen, kp,
					  e->kd_pub, payload, plen));
	http = post(e->port, KF_SYNC_PATH, msg, mlen, payload, &plen);
	ASSERT_EQ(200, http);
	ASSERT_EQ(0, kf_noise_sync_read2(&st, payload, sizeof(payload), &plen,
					 payload, plen));
	ASSERT_EQ(0, kf_sync_reply_decode(&rp, payload, plen));
	ASSERT_EQ(KF_SYNC_BAD_REQUEST, rp.status);
	ASSERT_NE(NULL, strstr(rp.message, "audit record 1 does not follow"));
	ASSERT_EQ(0, rp.n_rows);
	ASSERT_EQ(0, count_sql(e, "SELECT count(*) FROM audit WHERE op = "
			       "'provider.transfer'"));
	ASSERT_EQ(1, count_sql(e, "SELECT count(*) FROM audit WHERE op = "
			       "'provider.report' AND result = 'bad_chain'"));
	ASSERT_EQ(0, count_sql(e, "SELECT reported_seq FROM "
			       "provider_channels"));
	kf_wipe(kp, sizeof(kp));
}

/*
 * A repository's store and a provider's copy are not interchangeable: a
 * provider refuses a store with regions of its own (it would replace
 * them), a repository a provider's copy.
 */
TEST_F(prov, stores_are_not_interchangeable)
{
	struct kf_env *e = &self->env;
	struct kf_repo_config cfg = { 0 };
	struct kf_repo *r;

	ASSERT_NE(0, (snprintf(self->pv.store, sizeof(self->pv.store), "%s",
			       e->db), pv_start(e, &self->pv, e->port, 60,
						120)));
	self->pv.p = NULL;
	self->pv.store[0] = 0;
	ASSERT_EQ(0, pv_start(e, &self->pv, e->port, 60, 120));
	ASSERT_EQ(0, kf_provider_sync(self->pv.p, 10000));
	cfg.db_path = self->pv.store;
	cfg.key_paths[0] = e->key;
	cfg.n_keys = 1;
	ASSERT_EQ(-EINVAL, kf_repo_start(&r, &cfg));
	/* and the provider's own log verifies */
	ASSERT_EQ(0, run_tool(kf_admin_main, "keyferry-admin --store %s audit "
			      "verify", self->pv.store));
}

TEST_HARNESS_MAIN
