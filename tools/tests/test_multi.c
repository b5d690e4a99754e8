// SPDX-License-Identifier: MIT
/*
 * Several repositories on one store, each in a process of its own with
 * its own connections, as an operator runs them behind a load balancer:
 * a host fails over from one to the other, a revocation submitted to
 * one reaches both at their next transfer, a kill -9 of one under
 * load loses no committed record while the other keeps serving and the
 * audit chain verifies, the distributor key is rotated one instance at a
 * time, and concurrent transfers share commits (group commit).  Run on
 * both backends (kf_test.h); PostgreSQL is what operators use for this.
 */
#include "kf_test.h"

FIXTURE(multi) {
	struct kf_env env;
	struct kf_client host;
	char keyfile[160];
	pid_t a, b;
	uint16_t port_a, port_b;
};

/* Processes a test forked, killed whatever way the test ends. */
static pid_t children[4];

static void reap(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

static uint16_t start(struct kf_env *e, const char *const *keys,
		      unsigned int n, pid_t *pid)
{
	return start_repo_process(e->db, keys, n, pid);
}

FIXTURE_SETUP(multi)
{
	const char *keys[] = { self->env.key };
	uint8_t key[32];

	ASSERT_EQ(0, env_setup(&self->env, 5));
	ASSERT_EQ(0, enroll_new(&self->env, &self->host, "host1"));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks"));
	ASSERT_EQ(0, kf_random(key, sizeof(key)));
	ASSERT_EQ(0, write_key(&self->env, "k1", key, sizeof(key),
			       self->keyfile, sizeof(self->keyfile)));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 1));
	/* The in-process repository gives way to two processes. */
	kf_repo_stop(self->env.repo);
	self->env.repo = NULL;
	self->port_a = start(&self->env, keys, 1, &self->a);
	self->port_b = start(&self->env, keys, 1, &self->b);
	ASSERT_NE(0, self->port_a);
	ASSERT_NE(0, self->port_b);
	/* The authority submits to A (any instance would do). */
	snprintf(self->env.url, sizeof(self->env.url), "http://127.0.0.1:%u",
		 (unsigned int)self->port_a);
}

FIXTURE_TEARDOWN(multi)
{
	unsigned int i;

	reap(&self->a);
	reap(&self->b);
	for (i = 0; i < KF_ARRAY_SIZE(children); i++)
		reap(&children[i]);
	kf_client_wipe(&self->host);
	env_teardown(&self->env);
}

/* One transfer of item through the repository at port: its status, or
 * -1 when no authenticated answer came back. */
static int fetch_at(struct kf_client *c, uint16_t port, const char *item)
{
	kf_httpc_close(&c->http);
	c->http.port = port;
	if (kf_client_fetch(c, item, &reply))
		return -1;
	return (int)reply.status;
}

TEST_F(multi, a_host_fails_over_and_a_revocation_reaches_both)
{
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_a, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_b, "disk1"));
	/* What one learns (an item put after both started), both serve. */
	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", self->keyfile, 2));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_a, "disk1"));
	ASSERT_EQ(2, item_version(&reply.items[0]));
	/* A goes away: the host's next transfer goes to B. */
	reap(&self->a);
	ASSERT_EQ(-1, fetch_at(&self->host, self->port_a, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_b, "disk1"));
	ASSERT_EQ(2, item_version(&reply.items[0]));
	/* Revoked through B: refused by B at once, and by a new A. */
	snprintf(self->env.url, sizeof(self->env.url), "http://127.0.0.1:%u",
		 (unsigned int)self->port_b);
	ASSERT_EQ(0, STATEMENT(&self->env, "revoke eu host1 --reason x"));
	ASSERT_EQ(KF_STATUS_REVOKED, fetch_at(&self->host, self->port_b,
					      "disk1"));
	{
		const char *keys[] = { self->env.key };

		self->port_a = start(&self->env, keys, 1, &self->a);
	}
	ASSERT_EQ(KF_STATUS_REVOKED, fetch_at(&self->host, self->port_a,
					      "disk1"));
	ASSERT_EQ(0, ADMIN(&self->env, "audit verify"));
}

/*
 * B has served the host, so it remembers the host's entity (its id, with
 * the timestamp: tools/repo/freshness.c) and takes its next fetch
 * straight to the transaction.  A revocation through A still reaches B at
 * that next fetch: the transaction reads the entity's row again.
 */
TEST_F(multi, a_revocation_through_one_reaches_the_other_that_knows_the_host)
{
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_a, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_b, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_b, "disk1"));
	snprintf(self->env.url, sizeof(self->env.url), "http://127.0.0.1:%u",
		 (unsigned int)self->port_a);
	ASSERT_EQ(0, STATEMENT(&self->env, "revoke eu host1 --reason x"));
	ASSERT_EQ(KF_STATUS_REVOKED, fetch_at(&self->host, self->port_b,
					      "disk1"));
	ASSERT_EQ(KF_STATUS_REVOKED, fetch_at(&self->host, self->port_a,
					      "disk1"));
	ASSERT_EQ(0, ADMIN(&self->env, "audit verify"));
}

/*
 * A host of its own, enrolled through the repository at e->port, with a
 * disk1 sealed to it.  Concurrent load comes from several hosts: one
 * host's transfers carry increasing timestamps, and a repository refuses
 * one that arrives after a later one (protocol.md section 3.3), as a
 * real host's secure processor expects.
 */
static int new_host(struct kf_env *e, struct kf_client *c, const char *name,
		    const char *keyfile)
{
	if (enroll_new(e, c, name))
		return -1;
	return put_item(e, c, "disk1", "disks", name, keyfile, 1);
}

TEST_F(multi, kill_9_of_one_under_load_loses_nothing_and_the_other_serves)
{
	int pa[2], pb[2], got_a = -1, got_b = -1, before;
	struct kf_client other;
	int64_t rows, bad;

	self->env.port = self->port_b;
	ASSERT_EQ(0, new_host(&self->env, &other, "host2", self->keyfile));
	ASSERT_EQ(0, pipe(pa));
	ASSERT_EQ(0, pipe(pb));
	ASSERT_EQ(0, fcntl(pa[0], F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, fcntl(pb[0], F_SETFL, O_NONBLOCK));
	children[0] = fork_fetcher(&self->host, self->port_a, "disk1",
				   KF_STATUS_OK, pa);
	children[1] = fork_fetcher(&other, self->port_b, "disk1",
				   KF_STATUS_OK, pb);
	/* 60 s by the clock: a loaded machine answers slowly, not wrongly */
	KF_WAIT((drain(pa[0], &got_a), drain(pb[0], &got_b), got_a >= 30 && got_b >= 30), 60);
	ASSERT_LE(30, got_a);
	/* A dies in the middle of whatever it is doing. */
	reap(&self->a);
	before = got_b;
	KF_WAIT((drain(pb[0], &got_b), got_b >= before + 30), 60);
	ASSERT_LE(before + 30, got_b);	/* B kept serving */
	reap(&children[1]);
	reap(&children[0]);
	close(pa[1]);
	close(pb[1]);
	fcntl(pa[0], F_SETFL, 0);
	fcntl(pb[0], F_SETFL, 0);
	drain(pa[0], &got_a);
	drain(pb[0], &got_b);
	TH_LOG("%d transfers answered by A, %d by B", got_a + 1, got_b + 1);
	/* Every answered transfer of either has its record; one chain. */
	ASSERT_LE(got_a + 1 + got_b + 1,
		  raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			    " op = 'transfer' AND result = 'ok'"));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	close(pa[0]);
	close(pb[0]);
	kf_client_wipe(&other);
}

TEST_F(multi, distributor_key_rotation_one_instance_at_a_time)
{
	const char *both[2], *only_new[1];
	char newkey[160];
	struct kf_serverkey *k;
	struct kf_client y = self->host;	/* the same host, pinned to new */

	snprintf(newkey, sizeof(newkey), "%s/new.key", self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "serverkey generate %s", newkey));
	ASSERT_EQ(0, kf_serverkey_load(&k, newkey));
	memcpy(y.kd_pub, kf_serverkey_public(k), KF_KEY_SIZE);
	kf_serverkey_free(k);
	kf_httpc_init(&y.http, self->port_a, 5000);
	both[0] = self->env.key;
	both[1] = newkey;
	only_new[0] = newkey;
	/* Before: the old key everywhere; the new one nowhere yet. */
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_b, "disk1"));
	ASSERT_EQ(-1, fetch_at(&y, self->port_b, "disk1"));
	/* 1. A restarts with both keys: B still old only. */
	reap(&self->a);
	self->port_a = start(&self->env, both, 2, &self->a);
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_a, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&y, self->port_a, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_b, "disk1"));
	ASSERT_EQ(-1, fetch_at(&y, self->port_b, "disk1"));
	/* 2. B too: every host is served by every instance. */
	reap(&self->b);
	self->port_b = start(&self->env, both, 2, &self->b);
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_b, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&y, self->port_b, "disk1"));
	/* 3. The old key retired, one instance at a time. */
	reap(&self->a);
	self->port_a = start(&self->env, only_new, 1, &self->a);
	ASSERT_EQ(-1, fetch_at(&self->host, self->port_a, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&y, self->port_a, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&self->host, self->port_b, "disk1"));
	reap(&self->b);
	self->port_b = start(&self->env, only_new, 1, &self->b);
	ASSERT_EQ(-1, fetch_at(&self->host, self->port_b, "disk1"));
	ASSERT_EQ(KF_STATUS_OK, fetch_at(&y, self->port_b, "disk1"));
	kf_httpc_close(&y.http);
}

/* ---- group commit ----------------------------------------------------- */

#define LOADERS 8
#define PER_LOADER 60

struct loader {
	struct kf_client c;
	uint16_t port;
	int ok;
	pthread_t th;
};

static void *load(void *arg)
{
	static __thread struct kf_reply rp;
	struct loader *l = arg;
	int i;

	kf_httpc_init(&l->c.http, l->port, 5000);
	for (i = 0; i < PER_LOADER; i++)
		if (!kf_client_fetch(&l->c, "disk1", &rp) &&
		    rp.status == KF_STATUS_OK)
			l->ok++;
	kf_httpc_close(&l->c.http);
	return NULL;
}

static uint64_t metric(struct kf_env *e, const char *name)
{
	static char out[16384];
	struct kf_httpc h;
	char needle[128], *at;
	size_t len;
	int status;

	kf_httpc_init(&h, e->metrics_port, 5000);
	if (kf_httpc_request(&h, "GET", "/metrics", NULL, 0, &status,
			     (uint8_t *)out, sizeof(out) - 1, &len)) {
		kf_httpc_close(&h);
		return 0;
	}
	kf_httpc_close(&h);
	out[len] = 0;
	/* The sample's line, not its HELP or TYPE. */
	snprintf(needle, sizeof(needle), "\n%s ", name);
	at = strstr(out, needle);
	return at ? strtoull(at + strlen(needle), NULL, 10) : 0;
}

/*
 * Concurrent transfers share commits, and each still has its own record
 * before its answer: eight connections on eight server threads.  The
 * test holds the store's write lock while they start, so that they queue
 * for the first batch whatever the machine's scheduling.
 */
TEST_F(multi, concurrent_transfers_share_commits)
{
	static struct loader l[LOADERS];
	struct kf_repo_config cfg = { 0 };
	uint64_t commits, records;
	int64_t rows, bad;
	int i, ok = 0;

	cfg.db_path = self->env.db;
	cfg.key_paths[0] = self->env.key;
	cfg.n_keys = 1;
	cfg.threads = LOADERS;
	cfg.rate_count = -1;		/* eight loaders on one address */
	cfg.metrics_listen = "127.0.0.1:0";
	ASSERT_EQ(0, kf_repo_start(&self->env.repo, &cfg));
	self->env.port = kf_repo_port(self->env.repo);
	self->env.metrics_port = kf_repo_metrics_port(self->env.repo);
	/* A host each: one host's concurrent requests would reach the
	 * repository out of their timestamps' order, and be refused. */
	for (i = 0; i < LOADERS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "load%d", i);
		ASSERT_EQ(0, new_host(&self->env, &l[i].c, name,
				      self->keyfile));
	}
	ASSERT_EQ(0, kf_store_write_begin(self->env.st));
	for (i = 0; i < LOADERS; i++) {
		l[i].port = self->env.port;
		l[i].ok = 0;
		ASSERT_EQ(0, pthread_create(&l[i].th, NULL, load, &l[i]));
	}
	usleep(300000);
	ASSERT_EQ(-EAGAIN, kf_store_write_end(self->env.st, -EAGAIN));
	for (i = 0; i < LOADERS; i++) {
		pthread_join(l[i].th, NULL);
		ok += l[i].ok;
	}
	ASSERT_EQ(LOADERS * PER_LOADER, ok);
	commits = metric(&self->env, "keyferry_transfer_commits_total");
	records = metric(&self->env, "keyferry_transfer_records_total");
	TH_LOG("%llu records in %llu commits", (unsigned long long)records,
	       (unsigned long long)commits);
	ASSERT_EQ(LOADERS * PER_LOADER, records);
	ASSERT_LT(commits, records);
	ASSERT_LT(0, commits);
	ASSERT_EQ(LOADERS * PER_LOADER,
		  raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			    " op = 'transfer' AND result = 'ok'"));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
}

TEST_HARNESS_MAIN
