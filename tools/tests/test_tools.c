// SPDX-License-Identifier: MIT
/*
 * The owner's and the administrator's tools, and the store's own rules:
 * keyferry-seal's output opens to the key it was given, the sealed-item
 * file refuses what it does not understand, keyferry-admin's JSON, schema
 * versions, and the rate limiter's windows.
 */
#include "kf_test.h"
#include "tools/common/repo_impl.h"
#include "tools/common/sealfile.h"

FIXTURE(tools) {
	char dir[64];
	char db[128];
	uint8_t kec_priv[32], kec_pub[32];
	char kec_b64[64];
};

FIXTURE_SETUP(tools)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/kftools.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/repo.db", self->dir);
	ASSERT_EQ(0, kf_x25519_keygen(self->kec_priv, self->kec_pub));
	kf_base64_encode(self->kec_b64, sizeof(self->kec_b64), self->kec_pub,
			 32);
}

/* A server this test started, killed whatever way the test ends. */
static pid_t repo_pid;

FIXTURE_TEARDOWN(tools)
{
	char cmd[128];

	if (repo_pid > 0) {
		kill(repo_pid, SIGKILL);
		waitpid(repo_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", self->dir);
}

/* Run a tool with its standard output into a file of the fixture's. */
static int run_out(const char *out, int (*fn)(int, char **),
		   const char *line)
{
	char buf[1024], *argv[64], *save, *t;
	int argc = 0, fd, saved, ret;

	snprintf(buf, sizeof(buf), "%s", line);
	for (t = strtok_r(buf, " ", &save); t && argc < 63;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	fflush(stdout);
	saved = dup(1);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	ret = fn(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return ret;
}

static char *slurp(const char *path)
{
	uint8_t *buf;
	size_t len;

	return kf_read_file(path, 1 << 20, &buf, &len) ? NULL : (char *)buf;
}

TEST_F(tools, seal_generate_escrow_and_open)
{
	static struct kf_sealfile sf;
	char out[160], esc[160];
	uint8_t key[KF_ITEM_KEY_MAX], *clear;
	struct kf_policy p;
	struct stat sb;
	size_t len, clen;

	snprintf(out, sizeof(out), "%s/x.sealed", self->dir);
	snprintf(esc, sizeof(esc), "%s/x.key", self->dir);
	ASSERT_EQ(0, SEAL("--region eu --item x --to-kec %s --generate 48 "
			  "--with-key-out %s --type fscrypt --description x "
			  "--timeout 1h --not-after +1d --perm 0x3f010000 "
			  "--out %s", self->kec_b64, esc, out));
	ASSERT_EQ(0, stat(esc, &sb));
	ASSERT_EQ(0600, sb.st_mode & 0777);
	ASSERT_EQ(0, kf_sealfile_read(out, &sf));
	ASSERT_STREQ("eu", sf.region);
	ASSERT_STREQ("x", sf.item);
	ASSERT_EQ(0, kf_policy_decode(&p, sf.policy, sf.policy_len));
	ASSERT_EQ(KF_KEY_FSCRYPT, p.key_type);
	ASSERT_EQ(48, p.key_size);
	ASSERT_EQ(3600, p.timeout);
	ASSERT_TRUE(p.has_perm);
	ASSERT_EQ(0x3f010000, p.perm);
	ASSERT_LT((uint64_t)kf_now(), p.not_after);
	ASSERT_EQ(0, kf_unseal(key, sizeof(key), &len, self->kec_priv, NULL,
			       "eu", "x", sf.policy, sf.policy_len, sf.sealed,
			       sf.sealed_len));
	ASSERT_EQ(0, kf_read_file(esc, 4096, &clear, &clen));
	ASSERT_EQ(48, clen);
	ASSERT_EQ(48, len);
	ASSERT_EQ(0, memcmp(key, clear, 48));
	free(clear);
	/* Bound to region and name: another name does not open it. */
	ASSERT_NE(0, kf_unseal(key, sizeof(key), &len, self->kec_priv, NULL,
			       "eu", "y", sf.policy, sf.policy_len, sf.sealed,
			       sf.sealed_len));
}

TEST_F(tools, seal_refuses_bad_input)
{
	char in[160];

	snprintf(in, sizeof(in), "%s/k", self->dir);
	ASSERT_EQ(0, kf_write_file(in, "0123456789", 10, 0600));
	/* Usage errors: 2. */
	ASSERT_EQ(2, SEAL("--region eu --item x --key %s --type logon",
			  in));				/* no recipient */
	ASSERT_EQ(2, SEAL("--region eu --item x --to-kec %s --key %s "
			  "--generate 5 --type logon --description x",
			  self->kec_b64, in));		/* two sources */
	ASSERT_EQ(2, SEAL("--region e!u --item x --to-kec %s --key %s "
			  "--type logon --description x", self->kec_b64, in));
	ASSERT_EQ(2, SEAL("--region eu --item x --to-kec %s --key %s "
			  "--type blob --description x", self->kec_b64, in));
	ASSERT_EQ(2, SEAL("--region eu --item x --to-kec %s --key %s "
			  "--type logon --description x --not-after "
			  "tomorrow", self->kec_b64, in));
	/* Refused later: 1. */
	ASSERT_EQ(1, SEAL("--region eu --item x --to-kec AAAA --key %s "
			  "--type logon --description x", in));
	ASSERT_EQ(1, SEAL("--region eu --item x --to-kec %s --key %s "
			  "--type fscrypt --description x", self->kec_b64,
			  in));		/* fscrypt keys are 16 to 64 bytes */
	ASSERT_EQ(1, SEAL("--region eu --item x --to-kec %s --key %s/none "
			  "--type logon --description x", self->kec_b64,
			  self->dir));
}

static int write_text(const char *dir, const char *text, char *path)
{
	snprintf(path, 160, "%s/f.sealed", dir);
	return kf_write_file(path, text, strlen(text), 0600);
}

TEST_F(tools, sealfile_refuses_what_it_does_not_understand)
{
	static struct kf_sealfile sf;
	char good[160], path[160], *text, *p;

	snprintf(good, sizeof(good), "%s/g.sealed", self->dir);
	ASSERT_EQ(0, SEAL("--region eu --item g --to-kec %s --generate 32 "
			  "--type logon --description g --out %s",
			  self->kec_b64, good));
	ASSERT_EQ(0, kf_sealfile_read(good, &sf));
	text = slurp(good);
	ASSERT_NE(NULL, text);

	ASSERT_EQ(0, write_text(self->dir, "keyferry-sealed-item 2\n", path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));
	ASSERT_EQ(0, write_text(self->dir, "keyferry-sealed-item 1\n"
				"region: eu\nitem: g\n", path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));	/* missing */
	p = strstr(text, "item: g");
	p[0] = 'X';					/* unknown field */
	ASSERT_EQ(0, write_text(self->dir, text, path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));
	p[0] = 'i';
	p = strstr(text, "sealed: ") + 8;
	p[0] = p[0] == 'A' ? 'B' : 'A';			/* not KFS1 */
	ASSERT_EQ(0, write_text(self->dir, text, path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));
	free(text);
}

TEST_F(tools, admin_json_and_exit_codes)
{
	char out[160], *text;
	int rc;

	snprintf(out, sizeof(out), "%s/out", self->dir);
	ASSERT_EQ(0, ADMIN(self, "region add eu"));
	ASSERT_EQ(1, ADMIN(self, "region add eu"));		/* exists */
	ASSERT_EQ(2, ADMIN(self, "region add b@d!"));
	ASSERT_EQ(2, ADMIN(self, "nonsense x"));
	ASSERT_EQ(1, ADMIN(self, "group add nowhere g"));	/* no region */
	ASSERT_EQ(2, ADMIN(self, "dataset add eu d --rate 5"));
	ASSERT_EQ(1, ADMIN(self, "dataset add eu d --allow machine:x"));
	ASSERT_EQ(0, ADMIN(self, "dataset add eu d --rate 5/1m --allow "
			   "group:g"));
	rc = run_out(out, kf_admin_main, "a --db /nonexistent/dir/x.db --json "
		     "region list");
	ASSERT_EQ(1, rc);
	snprintf(out, sizeof(out), "%s/out", self->dir);
	{
		char line[300];

		snprintf(line, sizeof(line), "a --db %s --json dataset list",
			 self->db);
		ASSERT_EQ(0, run_out(out, kf_admin_main, line));
	}
	text = slurp(out);
	ASSERT_NE(NULL, text);
	ASSERT_NE(NULL, strstr(text, "{\"region\":\"eu\",\"name\":\"d\","
			       "\"not_before\":0,\"not_after\":0,"
			       "\"rate_count\":5,\"rate_period\":60,"
			       "\"allow\":\"group:g\"}\n"));
	free(text);
}

TEST_F(tools, schema_is_versioned)
{
	struct kf_store *st;
	char sql[200];
	sqlite3 *db;

	ASSERT_EQ(0, kf_store_open(&st, self->db, KF_STORE_CREATE));
	ASSERT_EQ(1, kf_store_schema_version(st));
	kf_store_close(st);
	/* Reopening migrates nothing and loses nothing. */
	ASSERT_EQ(0, kf_store_open(&st, self->db, 0));
	ASSERT_EQ(1, kf_store_schema_version(st));
	kf_store_close(st);
	/* A store from the future is refused, not half-understood. */
	ASSERT_EQ(SQLITE_OK, sqlite3_open(self->db, &db));
	snprintf(sql, sizeof(sql), "PRAGMA user_version = 99");
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, sql, NULL, NULL, NULL));
	sqlite3_close(db);
	ASSERT_EQ(-EPROTO, kf_store_open(&st, self->db, 0));
	/* Without CREATE a missing store is an error, not a new file. */
	snprintf(sql, sizeof(sql), "%s/none.db", self->dir);
	ASSERT_NE(0, kf_store_open(&st, sql, 0));
}

/* build/bin/<name> next to this test's build/tests/host/, or NULL. */
static const char *tool_path(const char *name, char *buf, size_t cap)
{
	char self_path[512];
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	char *p;

	if (n <= 0)
		return NULL;
	self_path[n] = 0;
	p = strstr(self_path, "/tests/host/");
	if (!p)
		return NULL;
	*p = 0;
	snprintf(buf, cap, "%s/bin/%s", self_path, name);
	return access(buf, X_OK) ? NULL : buf;
}

static pid_t spawn_repo(const char *bin, const char *db, const char *key,
			int *errfd)
{
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* Nothing of ours open: a test runner waits for its pipes. */
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execl(bin, bin, "--db", db, "--key", key, "--port", "0",
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	*errfd = pfd[0];
	repo_pid = pid;
	return pid;
}

TEST_F(tools, the_server_binary_serves_and_stops_on_sigterm)
{
	char bin[600], key[160], log[512] = "";
	struct kf_serverkey *k;
	struct kf_client c;
	struct kf_store *st;
	unsigned int port = 0;
	char tok[80], *at;
	size_t got = 0;
	ssize_t n;
	int fd, status, i;
	pid_t pid;

	if (!tool_path("keyferry-repo", bin, sizeof(bin)))
		SKIP(return, "build/bin/keyferry-repo not built");
	snprintf(key, sizeof(key), "%s/repo.key", self->dir);
	ASSERT_EQ(0, kf_serverkey_generate(key));
	ASSERT_EQ(0, kf_store_open(&st, self->db, KF_STORE_CREATE));
	ASSERT_EQ(0, kf_store_region_add(st, "eu"));
	ASSERT_EQ(0, kf_store_token_create(st, "eu", NULL, 60, tok,
					   sizeof(tok)));
	kf_store_close(st);
	pid = spawn_repo(bin, self->db, key, &fd);
	ASSERT_LT(0, pid);
	/* "keyferry-repo: serving on 127.0.0.1:PORT" */
	for (i = 0; i < 100 && !port; i++) {
		n = read(fd, log + got, sizeof(log) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		log[got] = 0;
		at = strstr(log, "serving on 127.0.0.1:");
		if (at && strchr(at, '\n'))
			port = (unsigned int)atoi(at + 21);
	}
	ASSERT_NE(0, port);
	ASSERT_EQ(0, kf_serverkey_load(&k, key));
	ASSERT_EQ(0, kf_client_init(&c, (uint16_t)port, kf_serverkey_public(k)));
	kf_serverkey_free(k);
	ASSERT_EQ(0, kf_client_enroll(&c, "eu", "h", tok, &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	ASSERT_EQ(0, kf_client_fetch(&c, "x", &reply));
	ASSERT_EQ(KF_STATUS_NO_ITEM, reply.status);
	kf_client_wipe(&c);
	ASSERT_EQ(0, kill(pid, SIGTERM));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	repo_pid = 0;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	close(fd);
	/* A key file others may read: refused, exit status 1. */
	ASSERT_EQ(0, chmod(key, 0644));
	pid = spawn_repo(bin, self->db, key, &fd);
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	repo_pid = 0;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(1, WEXITSTATUS(status));
	close(fd);
}

TEST(ratelimit_windows)
{
	struct kf_ratelimit *rl = kf_ratelimit_new();
	int i;

	ASSERT_NE(NULL, rl);
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(kf_ratelimit_take(rl, 1, 1, 3, 60, 1000));
	ASSERT_FALSE(kf_ratelimit_take(rl, 1, 1, 3, 60, 1059));
	/* Per entity and per data set. */
	ASSERT_TRUE(kf_ratelimit_take(rl, 2, 1, 3, 60, 1059));
	ASSERT_TRUE(kf_ratelimit_take(rl, 1, 2, 3, 60, 1059));
	/* The next window forgives. */
	ASSERT_TRUE(kf_ratelimit_take(rl, 1, 1, 3, 60, 1060));
	/* Many entities: bounded, still correct. */
	for (i = 0; i < 100000; i++)
		ASSERT_TRUE(kf_ratelimit_take(rl, 1000 + i, 1, 1, 60, 2000));
	ASSERT_FALSE(kf_ratelimit_take(rl, 1000, 1, 1, 60, 2000));
	kf_ratelimit_free(rl);
}

TEST_HARNESS_MAIN
