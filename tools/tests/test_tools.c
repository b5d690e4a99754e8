// SPDX-License-Identifier: MIT
/*
 * The owner's and the administrator's tools, and the store's own rules:
 * keyferry-seal's output opens to the key it was given, it checks whose
 * Kec it seals to, its owner keys, the sealed-item file refuses what it
 * does not understand, keyferry-admin's JSON, schema versions, and the
 * rate limiter's windows.
 */
#include "kf_test.h"
#include "tools/formats/sealfile.h"
#include "tools/repo/internal.h"

FIXTURE(tools) {
	char dir[64];
	char db[256];
	char url[64];		/* a repository nobody listens on */
	uint8_t kec_priv[32], kec_pub[32];
	char kec_b64[64];
	char fp[KF_FINGERPRINT_LEN + 1];	/* of kec_pub */
	char owner[128];			/* owner key file */
	uint8_t ko_pub[32];
};

FIXTURE_SETUP(tools)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/kftools.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, test_store_name(self->dir, self->db, sizeof(self->db)));
	snprintf(self->url, sizeof(self->url), "http://127.0.0.1:1");
	ASSERT_EQ(0, kf_x25519_keygen(self->kec_priv, self->kec_pub));
	kf_base64_encode(self->kec_b64, sizeof(self->kec_b64), self->kec_pub,
			 32);
	kf_kec_fingerprint(self->fp, self->kec_pub);
	snprintf(self->owner, sizeof(self->owner), "%s/owner.key", self->dir);
	ASSERT_EQ(0, kf_keyfile_generate(self->owner,
					 self->ko_pub));
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
	struct kf_sealed_header h;
	struct kf_binding b;
	struct kf_policy p;
	uint64_t version;
	struct stat sb;
	size_t len, clen;

	snprintf(out, sizeof(out), "%s/x.sealed", self->dir);
	snprintf(esc, sizeof(esc), "%s/x.key", self->dir);
	ASSERT_EQ(0, SEAL("--region eu --item x --version 12 --to-kec %s "
			  "--owner-key %s --expect-kec %s --generate 48 "
			  "--with-key-out %s --type fscrypt --timeout 1h "
			  "--not-after +1d --perm 0x3f010000 --lease 1d "
			  "--grace 2h --out %s", self->kec_b64, self->owner,
			  self->fp, esc, out));
	ASSERT_EQ(0, stat(esc, &sb));
	ASSERT_EQ(0600, sb.st_mode & 0777);
	ASSERT_EQ(0, kf_sealfile_read(out, &sf));
	ASSERT_STREQ("eu", sf.region);
	ASSERT_STREQ("x", sf.item);
	ASSERT_EQ(0, kf_policy_decode(&p, sf.policy, sf.policy_len));
	ASSERT_EQ(KF_KEY_FSCRYPT, p.key_type);
	ASSERT_EQ(48, p.key_size);
	ASSERT_EQ(3600, p.timeout);
	ASSERT_EQ(86400, p.lease);
	ASSERT_EQ(7200, p.grace);
	ASSERT_TRUE(p.has_perm);
	ASSERT_EQ(0x3f010000, p.perm);
	ASSERT_LT((uint64_t)kf_now(), p.not_after);
	ASSERT_EQ(0, kf_sealed_header_decode(&h, sf.sealed, sf.sealed_len));
	ASSERT_EQ(12, h.version);
	b = (struct kf_binding){ "eu", "x", sf.policy, sf.policy_len };
	ASSERT_EQ(0, kf_unseal(key, sizeof(key), &len, &version,
			       self->kec_priv, self->ko_pub, NULL, &b,
			       sf.sealed, sf.sealed_len));
	ASSERT_EQ(12, version);
	ASSERT_EQ(0, kf_read_file(esc, 4096, &clear, &clen));
	ASSERT_EQ(48, clen);
	ASSERT_EQ(48, len);
	ASSERT_EQ(0, memcmp(key, clear, 48));
	free(clear);
	/* Bound to region and name: another name does not open it. */
	b.item = "y";
	ASSERT_NE(0, kf_unseal(key, sizeof(key), &len, NULL, self->kec_priv,
			       self->ko_pub, NULL, &b, sf.sealed,
			       sf.sealed_len));
}

/*
 * keyferry-seal to the fixture's Kec with its owner key, the rest of the
 * command line from fmt, its standard error into the file err.
 */
static int run_err(struct _test_data_tools *self, const char *err,
		   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int run_err(struct _test_data_tools *self, const char *err,
		   const char *fmt, ...)
{
	char line[1024], rest[600];
	int fd, saved, ret;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "keyferry-seal --region eu --item x "
		 "--version 1 --to-kec %s --owner-key %s %s", self->kec_b64,
		 self->owner, rest);
	fflush(stderr);
	saved = dup(2);
	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	ret = run_out("/dev/null", kf_seal_main, line);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return ret;
}

/* keyferry-seal's refusals: exit status 2 for usage, 1 later. */
#define SEAL_OK(extra, ...) \
	SEAL("--region eu --item x --version 1 --to-kec %s --owner-key %s " \
	     extra, self->kec_b64, self->owner, ##__VA_ARGS__)

TEST_F(tools, seal_refuses_bad_input)
{
	char in[160];

	snprintf(in, sizeof(in), "%s/k", self->dir);
	ASSERT_EQ(0, kf_write_file(in, "0123456789", 10, 0600));
	ASSERT_EQ(0, SEAL_OK("--key %s --type logon --out %s/ok", in,
			     self->dir));
	/* Usage errors: 2. */
	ASSERT_EQ(2, SEAL("--region eu --item x --version 1 --key %s "
			  "--type logon", in));		/* no recipient */
	ASSERT_EQ(2, SEAL_OK("--key %s --generate 5 --type logon", in));
	ASSERT_EQ(2, SEAL("--region e!u --item x --version 1 --to-kec %s "
			  "--owner-key %s --key %s --type logon",
			  self->kec_b64, self->owner, in));
	ASSERT_EQ(2, SEAL_OK("--key %s --type blob", in));
	ASSERT_EQ(2, SEAL_OK("--key %s --type logon --not-after tomorrow",
			     in));
	/* version 2: no version, a version the owner cannot choose, no
	 * owner key, a description, a grace without a lease, a lease out
	 * of range */
	ASSERT_EQ(2, SEAL("--region eu --item x --to-kec %s --owner-key %s "
			  "--key %s --type logon", self->kec_b64, self->owner,
			  in));
	ASSERT_EQ(2, SEAL("--region eu --item x --version 0 --to-kec %s "
			  "--owner-key %s --key %s --type logon",
			  self->kec_b64, self->owner, in));
	ASSERT_EQ(2, SEAL("--region eu --item x --version 9223372036854775808 "
			  "--to-kec %s --owner-key %s --key %s --type logon",
			  self->kec_b64, self->owner, in));
	ASSERT_EQ(2, SEAL("--region eu --item x --version 1 --to-kec %s "
			  "--key %s --type logon", self->kec_b64, in));
	ASSERT_EQ(2, SEAL_OK("--key %s --type logon --description x", in));
	ASSERT_EQ(2, SEAL_OK("--key %s --type logon --grace 1h", in));
	ASSERT_EQ(2, SEAL_OK("--key %s --type logon --lease 59", in));
	/* Refused later: 1. */
	ASSERT_EQ(1, SEAL("--region eu --item x --version 1 --to-kec AAAA "
			  "--owner-key %s --key %s --type logon", self->owner,
			  in));
	ASSERT_EQ(1, SEAL_OK("--key %s --type fscrypt", in));
	ASSERT_EQ(1, SEAL_OK("--key %s/none --type logon", self->dir));
	ASSERT_EQ(1, SEAL("--region eu --item x --version 1 --to-kec %s "
			  "--owner-key %s/none --key %s --type logon",
			  self->kec_b64, self->dir, in));
}

/*
 * Each refusal about whose key this is has its own message; the warning
 * without --expect-kec is loud and names the fingerprint.
 */
TEST_F(tools, seal_verifies_the_kec)
{
	char in[160], err[160], other_fp[KF_FINGERPRINT_LEN + 1], *text;
	uint8_t other[32], other_pub[32];

	snprintf(in, sizeof(in), "%s/k", self->dir);
	snprintf(err, sizeof(err), "%s/err", self->dir);
	ASSERT_EQ(0, kf_write_file(in, "0123456789", 10, 0600));
	ASSERT_EQ(0, kf_x25519_keygen(other, other_pub));
	kf_kec_fingerprint(other_fp, other_pub);
	kf_wipe(other, 32);

	ASSERT_EQ(0, run_err(self, err, "--expect-kec %s --key %s --type logon "
			     "--out %s/a", self->fp, in, self->dir));
	text = slurp(err);
	ASSERT_EQ(NULL, strstr(text, "WARNING"));
	free(text);

	ASSERT_EQ(1, run_err(self, err, "--expect-kec %s --key %s --type logon "
			     "--out %s/b", other_fp, in, self->dir));
	text = slurp(err);
	ASSERT_NE(NULL, strstr(text, "--expect-kec: the Kec-pub given has "
			       "fingerprint"));
	ASSERT_NE(NULL, strstr(text, self->fp));
	ASSERT_NE(NULL, strstr(text, other_fp));
	free(text);

	ASSERT_EQ(1, run_err(self, err, "--expect-kec 12-34 --key %s --type logon",
			     in));
	text = slurp(err);
	ASSERT_NE(NULL, strstr(text, "is not a fingerprint"));
	free(text);

	ASSERT_EQ(1, run_err(self, err, "--require-verified --key %s --type logon",
			     in));
	text = slurp(err);
	ASSERT_NE(NULL, strstr(text, "--require-verified: nothing verifies"));
	free(text);

	ASSERT_EQ(0, run_err(self, err, "--key %s --type logon --out %s/c", in,
			     self->dir));
	text = slurp(err);
	ASSERT_NE(NULL, strstr(text, "WARNING: sealing to a Kec-pub nobody "
			       "verified"));
	ASSERT_NE(NULL, strstr(text, self->fp));
	free(text);
	/* nothing was written by the refusals */
	snprintf(err, sizeof(err), "%s/b", self->dir);
	ASSERT_NE(0, access(err, F_OK));
}

TEST_F(tools, owner_key_generate_and_show)
{
	char path[160], out[160], line[300], *text, *shown;
	char want[64];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/ko", self->dir);
	snprintf(out, sizeof(out), "%s/out", self->dir);
	snprintf(line, sizeof(line), "keyferry-seal owner-key generate %s",
		 path);
	ASSERT_EQ(0, run_out(out, kf_seal_main, line));
	ASSERT_EQ(0, stat(path, &sb));
	ASSERT_EQ(0600, sb.st_mode & 0777);
	text = slurp(out);
	ASSERT_NE(NULL, text);
	ASSERT_EQ(45, strlen(text));		/* base64 of 32 bytes, \n */
	snprintf(line, sizeof(line), "keyferry-seal owner-key show %s", path);
	ASSERT_EQ(0, run_out(out, kf_seal_main, line));
	shown = slurp(out);
	ASSERT_STREQ(text, shown);
	free(text);
	free(shown);
	/* the fixture's key shows its public half */
	kf_base64_encode(want, sizeof(want), self->ko_pub, 32);
	strcat(want, "\n");
	snprintf(line, sizeof(line), "keyferry-seal owner-key show %s",
		 self->owner);
	ASSERT_EQ(0, run_out(out, kf_seal_main, line));
	text = slurp(out);
	ASSERT_STREQ(want, text);
	free(text);
	/* never over an existing file; refused when others may read it */
	snprintf(line, sizeof(line), "keyferry-seal owner-key generate %s",
		 path);
	ASSERT_EQ(1, run_out(out, kf_seal_main, line));
	ASSERT_EQ(0, chmod(path, 0640));
	snprintf(line, sizeof(line), "keyferry-seal owner-key show %s", path);
	ASSERT_EQ(1, run_out(out, kf_seal_main, line));
	ASSERT_EQ(0, chmod(self->owner, 0604));
	ASSERT_EQ(1, SEAL_OK("--expect-kec %s --generate 16 --type logon "
			     "--out %s/z", self->fp, self->dir));
	ASSERT_EQ(2, run_out(out, kf_seal_main,
			     "keyferry-seal owner-key rotate x"));
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
	ASSERT_EQ(0, SEAL("--region eu --item g --version 1 --to-kec %s "
			  "--owner-key %s --expect-kec %s --generate 32 "
			  "--type logon --out %s", self->kec_b64, self->owner,
			  self->fp, good));
	ASSERT_EQ(0, kf_sealfile_read(good, &sf));
	text = slurp(good);
	ASSERT_NE(NULL, text);
	ASSERT_EQ(0, strncmp(text, "keyferry-sealed-item 2\n", 23));

	ASSERT_EQ(0, write_text(self->dir, "keyferry-sealed-item 3\n", path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));
	/* a file of protocol version 1 */
	memcpy(text + 21, "1", 1);
	ASSERT_EQ(0, write_text(self->dir, text, path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));
	memcpy(text + 21, "2", 1);
	ASSERT_EQ(0, write_text(self->dir, "keyferry-sealed-item 2\n"
				"region: eu\nitem: g\n", path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));	/* missing */
	p = strstr(text, "item: g");
	p[0] = 'X';					/* unknown field */
	ASSERT_EQ(0, write_text(self->dir, text, path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));
	p[0] = 'i';
	p = strstr(text, "sealed: ") + 8;
	p[0] = p[0] == 'A' ? 'B' : 'A';			/* not KFS2 */
	ASSERT_EQ(0, write_text(self->dir, text, path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));
	p[0] = p[0] == 'A' ? 'B' : 'A';
	free(text);
	/* A field given twice (found by fuzz_sealfile): which value the
	 * owner meant is unknown, so the file is refused, not half-read. */
	text = slurp(good);
	ASSERT_NE(NULL, text);
	ASSERT_EQ(0, write_text(self->dir, text, path));
	ASSERT_EQ(0, kf_sealfile_read(path, &sf));
	text = realloc(text, strlen(text) + 32);
	ASSERT_NE(NULL, text);
	strcat(text, "item: other\n");
	ASSERT_EQ(0, write_text(self->dir, text, path));
	ASSERT_EQ(-EINVAL, kf_sealfile_read(path, &sf));
	free(text);
}

TEST_F(tools, admin_json_and_exit_codes)
{
	struct kf_dataset d = { .rate_count = 5, .rate_period = 60 };
	char out[160], line[300], key[160], pub[64], *text;
	struct kf_store *st;
	int rc;

	snprintf(out, sizeof(out), "%s/out", self->dir);
	snprintf(key, sizeof(key), "%s/a.key", self->dir);
	ASSERT_EQ(0, ADMIN(self, "key generate %s", key));
	snprintf(line, sizeof(line), "a --json key show %s", key);
	ASSERT_EQ(0, run_out(out, kf_admin_main, line));
	text = slurp(out);
	ASSERT_NE(NULL, text);
	ASSERT_EQ(0, strncmp(text, "{\"public_key\":\"", 15));
	snprintf(pub, sizeof(pub), "%.44s", text + 15);
	free(text);
	/* Usage errors: 2. */
	ASSERT_EQ(0, kf_store_open(&st, self->db, KF_STORE_CREATE));
	kf_store_close(st);
	ASSERT_EQ(2, ADMIN(self, "nonsense x"));
	ASSERT_EQ(2, ADMIN(self, "region add eu"));	/* a statement now */
	ASSERT_EQ(2, ADMIN(self, "prepare approve eu h"));	/* no --out */
	ASSERT_EQ(2, ADMIN(self, "prepare region b@d! --threshold 1 --member "
			   "alice=%s --out %s", pub, out));
	ASSERT_EQ(2, ADMIN(self, "prepare region eu --threshold 2 --member "
			   "alice=%s --out %s", pub, out));
	ASSERT_EQ(2, ADMIN(self, "prepare dataset create eu d --rate 5 --out "
			   "%s", out));
	ASSERT_EQ(2, ADMIN(self, "prepare dataset create eu d --read "
			   "machine:x --out %s", out));
	/* Refused later: 1 (no repository answers, no such store). */
	ASSERT_EQ(1, ADMIN(self, "prepare approve eu h --out %s", out));
	rc = run_out(out, kf_admin_main, "a --db /nonexistent/dir/x.db --json "
		     "region list");
	ASSERT_EQ(1, rc);
	/* JSON, one object a line: a data set made in the store directly. */
	ASSERT_EQ(0, kf_store_open(&st, self->db, KF_STORE_CREATE));
	ASSERT_EQ(0, kf_store_region_add(st, "eu"));
	snprintf(d.region, sizeof(d.region), "eu");
	snprintf(d.name, sizeof(d.name), "d");
	snprintf(d.allow, sizeof(d.allow), "group:g");
	ASSERT_EQ(0, kf_store_dataset_add(st, &d));
	kf_store_close(st);
	snprintf(line, sizeof(line), "a --db %s --json dataset list", self->db);
	ASSERT_EQ(0, run_out(out, kf_admin_main, line));
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

	ASSERT_EQ(0, kf_store_open(&st, self->db, KF_STORE_CREATE));
	ASSERT_EQ(5, kf_store_schema_version(st));
	kf_store_close(st);
	/* Reopening migrates nothing and loses nothing. */
	ASSERT_EQ(0, kf_store_open(&st, self->db, 0));
	ASSERT_EQ(5, kf_store_schema_version(st));
	kf_store_close(st);
	/* A store from the future is refused, not half-understood. */
	ASSERT_EQ(0, raw_sql_on(self->db, BY_BACKEND(
		"PRAGMA user_version = 99",
		"UPDATE schema_version SET version = 99")));
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
		      "--metrics-listen", "127.0.0.1:0", (char *)NULL);
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
	/* Enrolled, not approved: served nothing yet. */
	ASSERT_EQ(0, kf_client_fetch(&c, "x", &reply));
	ASSERT_EQ(KF_STATUS_NOT_VALID, reply.status);
	ASSERT_NE(NULL, strstr(reply.message, "awaits the authority's "
			       "approval"));
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

/*
 * A field of a line of `make bench`'s medians: the number after key
 * ("server CPU"), or before it when before is set ("deliveries/s");
 * -1 when the line has no such field.
 */
static double bench_field(const char *line, const char *key, bool before)
{
	const char *at = strstr(line, key);
	const char *p;

	if (!at)
		return -1;
	if (!before)
		return strtod(at + strlen(key), NULL);
	for (p = at; p > line && p[-1] == ' '; p--)
		;
	while (p > line && p[-1] != ' ')
		p--;
	return strtod(p, NULL);
}

/*
 * `make bench` end to end, shortened (one window of a second, two
 * connections, a store of 100 items): every set-up delivers without an
 * error and every figure of its medians is there and not zero, so that
 * a figure that stops being measured (as the records per commit once
 * did, printing 0.0) fails here rather than in a run nobody checks.
 * Once, on the SQLite pass: the script starts its own PostgreSQL.
 *
 * It takes about 18 s here: the harness's default limit of 30 s killed
 * it on a slower machine (CI).  Five minutes, which also leaves room for
 * the bench's own waits for its servers (a minute at most each).
 */
FIXTURE(bench) {};
FIXTURE_SETUP(bench) {}
FIXTURE_TEARDOWN(bench) {}

TEST_F_TIMEOUT(bench, prints_every_figure, 300)
{
	/*
	 * Each set-up's median line, with the figure only it has and the
	 * least it may be.  The repository behind the provider works a few
	 * ms in a window of a second, and /proc counts CPU in 10 ms ticks:
	 * its share may read 0, so it must only be there.
	 */
	static const struct {
		const char *name, *own;
		double least;
	} setups[] = {
		{ "lite", NULL, 0 }, { "pg", "db CPU", 1e-9 },
		{ "pga", "db CPU", 1e-9 }, { "pg2", "db CPU", 1e-9 },
		{ "prov", "repo CPU", 0 },
	};
	static const char *const positive[] = { "server CPU", "crypto-only",
		"records/commit", "client CPU", "switches" };
	const char *top = getenv("KEYFERRY_TOP"), *bin = getenv("KEYFERRY_BIN");
	const char *figure;
	char cmd[2048], line[1024], here[512];
	unsigned int seen = 0, windows = 0, grown = 0, i, j;
	size_t n;
	bool medians = false;
	FILE *f;

	if (test_pg())
		SKIP(return, "once, on the SQLite pass");
	if (!top || !bin)
		SKIP(return, "KEYFERRY_TOP and KEYFERRY_BIN unset (make check sets them)");
	/*
	 * The bench's directory inside ours (make check's temporary one).
	 * When the harness kills a test whose time ran out, it kills the
	 * test's process group: the script and its servers, but not the
	 * PostgreSQL that pg_ctl started in a session of its own.  Here,
	 * selftests/run-all finds that cluster and stops it.
	 */
	ASSERT_NE(NULL, getcwd(here, sizeof(here)));
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && BIN='%s' BENCH_TMPDIR='%s' BENCH_DURATION=1 "
		 "BENCH_REPEAT=1 BENCH_CONCURRENCY=2 BENCH_ITEMS=100 "
		 "BENCH_STEPS=100 tools/bench/run 2>&1", top, bin, here);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stderr);
		if (strstr(line, "errors ")) {
			windows++;
			EXPECT_EQ(0, bench_field(line, "errors ", false))
				TH_LOG("%s", line);
		}
		if (!strncmp(line, "== ", 3))
			medians = !strncmp(line, "== medians", 10);
		/* Part 2: the store grown to 100 items, each backend. */
		if (!strncmp(line, "lite-100 ", 9) ||
		    !strncmp(line, "pg-100 ", 7)) {
			grown++;
			EXPECT_LT(0, bench_field(line, "deliveries/s", true))
				TH_LOG("%s", line);
		}
		if (!medians)
			continue;
		for (i = 0; i < ARRAY_SIZE(setups); i++) {
			n = strlen(setups[i].name);
			if (strncmp(line, setups[i].name, n) || line[n] != ' ')
				continue;
			seen |= 1u << i;
			EXPECT_LT(0, bench_field(line, "deliveries/s", true))
				TH_LOG("%s", line);
			for (j = 0; j < ARRAY_SIZE(positive); j++) {
				figure = positive[j];
				EXPECT_LT(0, bench_field(line, figure, false))
					TH_LOG("%s: %s", figure, line);
			}
			/* A share, 0 on a machine the set-up keeps busy. */
			EXPECT_LE(0, bench_field(line, "idle", false))
				TH_LOG("%s", line);
			if (setups[i].own)
				EXPECT_LE(setups[i].least,
					  bench_field(line, setups[i].own,
						      false))
					TH_LOG("%s", line);
		}
	}
	ASSERT_EQ(0, pclose(f));
	EXPECT_EQ((1u << ARRAY_SIZE(setups)) - 1, seen);
	/* Part 1's five set-ups printed a window each. */
	EXPECT_EQ(5, windows);
	EXPECT_EQ(2, grown);
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

/*
 * An entity limited to 1 per hour by one data set must stay limited while
 * many others take from a data set with a 1-second window: their calls
 * used to judge every entry of their hash bucket by their own period and
 * recycle the hour-long window as if it had ended (issue 11).
 */
TEST(ratelimit_keeps_other_data_sets_windows)
{
	struct kf_ratelimit *rl = kf_ratelimit_new();
	int i;

	ASSERT_NE(NULL, rl);
	ASSERT_TRUE(kf_ratelimit_take(rl, 1, 7, 1, 3600, 1000));
	ASSERT_FALSE(kf_ratelimit_take(rl, 1, 7, 1, 3600, 1001));
	/* 100000 pairs over 4096 buckets: every bucket is visited. */
	for (i = 0; i < 100000; i++)
		ASSERT_TRUE(kf_ratelimit_take(rl, 10 + i, 8, 5, 1, 1002));
	ASSERT_FALSE(kf_ratelimit_take(rl, 1, 7, 1, 3600, 1003));
	ASSERT_FALSE(kf_ratelimit_take(rl, 1, 7, 1, 3600, 4599));
	ASSERT_TRUE(kf_ratelimit_take(rl, 1, 7, 1, 3600, 4600));
	kf_ratelimit_free(rl);
}

TEST_HARNESS_MAIN
