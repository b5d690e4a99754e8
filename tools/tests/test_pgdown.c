// SPDX-License-Identifier: MIT
/*
 * PostgreSQL stopped, restarted or killed under the repository: its
 * transfers fail with an authenticated "internal error", it recovers by
 * itself when the database is back, and nothing is half-written: every
 * answered delivery has its record and the audit chain verifies.  On a
 * PostgreSQL cluster of the test's own with PostgreSQL's real durability
 * settings (tools/tests/pg-cluster ... durable), since the test stops and
 * kills it.  Runs only in the PostgreSQL pass.
 */
#include "kf_test.h"

FIXTURE(pgdown) {
	char dir[64], pg[96], script[512];
	struct kf_env env;
	struct kf_client host;
	pid_t fetcher;
};

/* tools/tests/pg-cluster CMD DIR [ARG] on the test's cluster; 0 if it
 * succeeded.  out (if any) gets its first line of output. */
static int cluster(const char *script, const char *cmd, const char *pg,
		   const char *arg, char *out, size_t cap)
{
	char line[1024];
	size_t n;
	FILE *f;

	snprintf(line, sizeof(line), "%s %s %s %s", script, cmd, pg,
		 arg ? arg : "");
	/* "e": PostgreSQL, started through it, must not keep our end. */
	f = popen(line, "re");
	if (!f)
		return -1;
	n = fread(line, 1, sizeof(line) - 1, f);
	line[n] = 0;
	if (out) {
		line[strcspn(line, "\n")] = 0;
		if (strlen(line) >= cap)
			line[0] = 0;	/* never a cut URL */
		memcpy(out, line, strlen(line) + 1);
	}
	return pclose(f) ? -1 : 0;
}

FIXTURE_SETUP(pgdown)
{
	const char *top = getenv("KEYFERRY_TOP");
	struct kf_serverkey *k;
	uint8_t key[32];
	char keyfile[160];

	memset(&self->env, 0, sizeof(self->env));
	if (!test_pg())
		SKIP(return, "PostgreSQL only (the PostgreSQL pass runs it)");
	snprintf(self->script, sizeof(self->script),
		 "%s/tools/tests/pg-cluster", top ? top : ".");
	ASSERT_EQ(0, access(self->script, X_OK));
	/* In the directory selftests/run-all gives each test binary, which
	 * stops any cluster left there if the harness kills the test. */
	if (!getcwd(self->dir, sizeof(self->dir) - 20) ||
	    strlen(self->dir) > 40)
		snprintf(self->dir, sizeof(self->dir), "/tmp");
	strcat(self->dir, "/kfpgdown.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chmod(self->dir, 0755));
	snprintf(self->pg, sizeof(self->pg), "%s/pg", self->dir);
	ASSERT_EQ(0, cluster(self->script, "start", self->pg, "durable",
			     self->env.db, sizeof(self->env.db)));
	ASSERT_EQ(0, strncmp(self->env.db, "postgresql://", 13));

	snprintf(self->env.dir, sizeof(self->env.dir), "%s", self->dir);
	snprintf(self->env.key, sizeof(self->env.key), "%s/repo.key",
		 self->dir);
	ASSERT_EQ(0, kf_serverkey_generate(self->env.key));
	ASSERT_EQ(0, kf_serverkey_load(&k, self->env.key));
	memcpy(self->env.kd_pub, kf_serverkey_public(k), KF_KEY_SIZE);
	kf_serverkey_free(k);
	ASSERT_EQ(0, kf_store_open(&self->env.st, self->env.db,
				   KF_STORE_CREATE));
	kf_store_set_actor(self->env.st, "test");
	/* The region, made by its authority's first statement. */
	ASSERT_EQ(0, env_authority(&self->env));
	self->env.cfg.rate_count = -1;	/* the fetch loop is one address */
	ASSERT_EQ(0, env_start(&self->env, 5));
	ASSERT_EQ(0, ADMIN(&self->env, "submit %s/genesis.sub", self->env.dir));
	/* The data owner's key, which the authority allows (as env_setup). */
	ASSERT_EQ(0, env_owner_key(&self->env));
	ASSERT_EQ(0, env_allow_owner(&self->env));
	ASSERT_EQ(0, enroll_new(&self->env, &self->host, "host1"));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks"));
	ASSERT_EQ(0, kf_random(key, sizeof(key)));
	ASSERT_EQ(0, write_key(&self->env, "k1", key, sizeof(key), keyfile,
			       sizeof(keyfile)));
	ASSERT_EQ(0, put_item(&self->env, &self->host, "disk1", "disks",
			      "host1", keyfile, 1));
}

FIXTURE_TEARDOWN(pgdown)
{
	if (self->fetcher > 0) {
		kill(self->fetcher, SIGKILL);
		waitpid(self->fetcher, NULL, 0);
	}
	if (!self->dir[0])
		return;
	kf_client_wipe(&self->host);
	kf_repo_stop(self->env.repo);
	self->env.repo = NULL;
	kf_store_close(self->env.st);
	self->env.st = NULL;
	cluster(self->script, "stop", self->pg, NULL, NULL, 0);
	env_teardown(&self->env);
}

static int healthz(struct kf_env *e)
{
	struct kf_httpc h;
	uint8_t out[64];
	size_t len;
	int status = -1;

	kf_httpc_init(&h, e->port, 5000);
	if (kf_httpc_request(&h, "GET", "/healthz", NULL, 0, &status, out,
			     sizeof(out), &len))
		status = -1;
	kf_httpc_close(&h);
	return status;
}

static int fetch(struct kf_client *c)
{
	if (kf_client_fetch(c, "disk1", &reply))
		return -1;
	return (int)reply.status;
}

/* Stopping and starting PostgreSQL with fsync takes seconds here. */
TEST_F_TIMEOUT(pgdown, stopped_it_fails_authenticated_and_recovers_by_itself,
	       120)
{
	int64_t rows, bad;

	if (!test_pg())
		SKIP(return, "PostgreSQL only");

	ASSERT_EQ(KF_STATUS_OK, fetch(&self->host));
	ASSERT_EQ(0, cluster(self->script, "stop", self->pg, NULL, NULL, 0));
	/* An authenticated refusal, twice: nothing was delivered. */
	ASSERT_EQ(KF_STATUS_INTERNAL, fetch(&self->host));
	ASSERT_EQ(0, reply.n_items);
	ASSERT_EQ(KF_STATUS_INTERNAL, fetch(&self->host));
	ASSERT_EQ(1, ADMIN(&self->env, "region list"));
	ASSERT_EQ(503, healthz(&self->env));
	ASSERT_EQ(0, cluster(self->script, "start", self->pg, "durable", NULL,
			     0));
	/* The repository was not touched: its next transfer works. */
	ASSERT_EQ(KF_STATUS_OK, fetch(&self->host));
	ASSERT_EQ(200, healthz(&self->env));
	ASSERT_EQ(0, ADMIN(&self->env, "region list"));
	kf_store_close(self->env.st);
	ASSERT_EQ(0, kf_store_open(&self->env.st, self->env.db, 0));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	/* The two deliveries have their records; the refusals never got
	 * theirs in (the store they go to was down). */
	ASSERT_EQ(2, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " op = 'transfer' AND result = 'ok'"));
	ASSERT_EQ(0, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " op = 'transfer' AND result <> 'ok'"));
}

/* Transfers in a loop; the count of delivered ones goes on the pipe. */
static pid_t fetch_loop(const struct kf_client *host, uint16_t port,
			int p[2])
{
	struct kf_client c = *host;
	pid_t pid = fork();
	int i, ok = 0;

	if (pid)
		return pid;
	kf_httpc_init(&c.http, port, 5000);
	for (i = 0; i < 200000; i++) {
		if (kf_client_fetch(&c, "disk1", &reply))
			_exit(1);
		if (reply.status == KF_STATUS_INTERNAL)
			continue;	/* the database is away */
		if (reply.status != KF_STATUS_OK || reply.n_items != 1)
			_exit(2);
		ok++;
		if (write(p[1], &ok, sizeof(ok)) != sizeof(ok))
			_exit(1);
	}
	_exit(0);
}

/*
 * PostgreSQL's crash recovery, with fsync, takes seconds here, more on a
 * loaded machine: the waits are by the clock, within a test bound of 300 s.
 */
static bool fetcher_stopped(pid_t *fetcher)
{
	int status;

	if (waitpid(*fetcher, &status, WNOHANG) != *fetcher)
		return false;
	fprintf(stderr, "# the client stopped: status %d, reply %u %s\n", status,
		reply.status, reply.message);
	*fetcher = 0;
	return true;
}

TEST_F_TIMEOUT(pgdown, killed_under_load_it_loses_nothing_and_recovers, 300)
{
	int p[2], ok = 0, before;
	int64_t rows, bad;

	if (!test_pg())
		SKIP(return, "PostgreSQL only");

	/* Close-on-exec: the PostgreSQL we restart must not inherit the
	 * write end, or the last drain never sees the end of it. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, fcntl(p[0], F_SETFL, O_NONBLOCK));
	self->fetcher = fetch_loop(&self->host, self->env.port, p);
	KF_WAIT((drain(p[0], &ok), ok >= 30), 60);
	ASSERT_LE(30, ok);
	/* PostgreSQL dies in the middle of the repository's transactions. */
	ASSERT_EQ(0, cluster(self->script, "kill", self->pg, NULL, NULL, 0));
	usleep(200000);
	drain(p[0], &ok);
	before = ok;
	ASSERT_EQ(0, cluster(self->script, "start", self->pg, "durable", NULL,
			     0));
	KF_WAIT((drain(p[0], &ok), ok >= before + 30 || fetcher_stopped(&self->fetcher)), 180);
	ASSERT_LE(before + 30, ok);	/* recovered by itself */
	if (self->fetcher > 0) {
		kill(self->fetcher, SIGKILL);
		waitpid(self->fetcher, NULL, 0);
		self->fetcher = 0;
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, 0);
	drain(p[0], &ok);
	close(p[0]);
	TH_LOG("%d deliveries, %d of them before the kill", ok, before);
	kf_store_close(self->env.st);
	ASSERT_EQ(0, kf_store_open(&self->env.st, self->env.db, 0));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_LE(ok, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
				" op = 'transfer' AND result = 'ok'"));
}

TEST_HARNESS_MAIN
