// SPDX-License-Identifier: MIT
/*
 * The region authority against the real repository over HTTP on
 * loopback (issue 12): with 2 of 3 members, one signature does not
 * approve, revoke or change a data set and two do; strangers, other
 * regions' signatures, replays, stale and expired statements are refused
 * with a reason and change nothing; a relying party checks certificates
 * and the revocation list with the authority's keys alone; and someone
 * who owns the database and the server key, but no member's key, cannot
 * approve, revoke, change a policy or rewrite or cut the audit log
 * without audit verify --authority failing.
 */
#include "kf_test.h"
#include "tools/authority/objfile.h"
#include "tools/formats/sealfile.h"

FIXTURE(auth) {
	struct kf_env env;
	struct kf_client host;
	char file[160];
};

FIXTURE_SETUP(auth)
{
	ASSERT_EQ(0, env_setup(&self->env, 5));
	snprintf(self->file, sizeof(self->file), "%s/s.sub", self->env.dir);
	ASSERT_EQ(0, enroll_pending(&self->env, &self->host, "host1"));
}

static void reap(void);

FIXTURE_TEARDOWN(auth)
{
	reap();
	kf_client_wipe(&self->host);
	env_teardown(&self->env);
}

/* Prepare into a file, signed by the members in 'who', not submitted. */
static int prepare_signed(struct kf_env *e, unsigned int who,
			  const char *file, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int prepare_signed(struct kf_env *e, unsigned int who,
			  const char *file, const char *fmt, ...)
{
	char op[1024], keys[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(op, sizeof(op), fmt, ap);
	va_end(ap);
	return ADMIN(e, "prepare %s%s --out %s", op,
		     sign_opts(e, who, keys, sizeof(keys)), file);
}

/* POST a submission file's bytes as they are: the HTTP status, the text. */
static int post_bytes(struct kf_env *e, const uint8_t *b, size_t len,
		      char *text, size_t cap)
{
	static uint8_t resp[4096];
	struct kf_httpc h;
	size_t rlen = 0;
	int status = 0;

	kf_httpc_init(&h, e->port, 5000);
	if (kf_httpc_request(&h, "POST", "/v1/admin/submit", b, len, &status,
			     resp, sizeof(resp) - 1, &rlen))
		status = -1;
	kf_httpc_close(&h);
	resp[rlen < sizeof(resp) ? rlen : sizeof(resp) - 1] = 0;
	kf_msg(text, cap, "%s", (char *)resp);
	return status;
}

static int post_file(struct kf_env *e, const char *file, char *text,
		     size_t cap)
{
	uint8_t *b;
	size_t len;
	int status;

	if (kf_objfile_read(file, KF_FILE_SUBMISSION, &b, &len))
		return -1;
	status = post_bytes(e, b, len, text, cap);
	free(b);
	return status;
}

static int64_t statements(struct kf_env *e)
{
	return raw_count(e, "SELECT count(*) FROM statements");
}

static int64_t audit_rows(struct kf_env *e)
{
	return raw_count(e, "SELECT count(*) FROM audit");
}

/* A blob literal in the store's SQL. */
static const char *blob(const uint8_t *b, size_t n, char *out, size_t cap)
{
	char hex[129];

	kf_hex(hex, b, n);
	snprintf(out, cap, test_pg() ? "'\\x%s'::bytea" : "x'%s'", hex);
	return out;
}

/* A tool's main with its standard output into the file out. */
static int run_out(const char *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int run_out(const char *out, const char *fmt, ...)
{
	char line[2048], *argv[64], *save, *t;
	int argc = 0, fd, saved, ret;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (t = strtok_r(line, " ", &save); t && argc < 63;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	fflush(stdout);
	saved = dup(1);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	ret = kf_admin_main(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return ret;
}

static int fetch_status(struct kf_client *c, const char *item)
{
	if (kf_client_fetch(c, item, &reply))
		return -1;
	return (int)reply.status;
}

TEST_F(auth, one_signature_does_nothing_two_do)
{
	char text[512], out[160], kec[64];
	uint8_t *list;
	size_t len;
	int64_t n = statements(&self->env), a;

	/* Approval: pending until two members sign. */
	ASSERT_EQ(KF_STATUS_NOT_VALID, fetch_status(&self->host, "x"));
	ASSERT_NE(NULL, strstr(reply.message, "awaits the authority's "
			       "approval"));
	snprintf(out, sizeof(out), "%s/pending", self->env.dir);
	ASSERT_EQ(0, run_out(out, "keyferry-admin --repository %s --json "
			     "pending eu", self->env.url));
	ASSERT_EQ(0, kf_read_file(out, 4096, &list, &len));
	kf_base64_encode(kec, sizeof(kec), self->host.kec_pub, 32);
	ASSERT_NE(NULL, strstr((char *)list, kec));
	ASSERT_EQ(0, strncmp((char *)list, "{\"name\":\"host1\"", 15));
	free(list);
	ASSERT_EQ(0, prepare_signed(&self->env, 1, self->file,
				    "approve eu host1"));
	a = audit_rows(&self->env);
	ASSERT_EQ(403, post_file(&self->env, self->file, text, sizeof(text)));
	ASSERT_STREQ("1 signature of 2 needed (authority of eu: 2 of 3 "
		     "members)\n", text);
	ASSERT_EQ(n, statements(&self->env));
	ASSERT_EQ(a, audit_rows(&self->env));
	ASSERT_EQ(KF_STATUS_NOT_VALID, fetch_status(&self->host, "x"));
	/* bob signs the same file: now it applies. */
	ASSERT_EQ(0, ADMIN(&self->env, "sign %s --key %s", self->file,
			   self->env.member_key[1]));
	ASSERT_EQ(200, post_file(&self->env, self->file, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "signed by "));
	ASSERT_NE(NULL, strstr(text, "alice"));
	ASSERT_NE(NULL, strstr(text, "bob"));
	ASSERT_EQ(n + 1, statements(&self->env));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_status(&self->host, "x"));
	/* The records name who signed. */
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE"
			       " op = 'entity.approve' AND subject = "
			       "'eu/host1' AND actor IN ('authority:alice+bob',"
			       " 'authority:bob+alice')"));

	/* A data set's policy: one signature changes nothing. */
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks"));
	ASSERT_EQ(1, statement_by(&self->env, 4, "dataset change eu disks "
				  "--read entity:nobody"));
	ASSERT_EQ(0, raw_count(&self->env, "SELECT count(*) FROM "
			       "dataset_allow"));
	ASSERT_EQ(0, statement_by(&self->env, 6, "dataset change eu disks "
				  "--read entity:nobody"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM "
			       "dataset_allow WHERE name = 'nobody'"));

	/* Revocation: one signature is not enough either. */
	ASSERT_EQ(1, statement_by(&self->env, 2, "revoke eu host1"));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_status(&self->host, "x"));
	ASSERT_EQ(0, statement_by(&self->env, 5, "revoke eu host1"));
	ASSERT_EQ(KF_STATUS_REVOKED, fetch_status(&self->host, "x"));
}

TEST_F(auth, strangers_and_forgeries_are_refused)
{
	char stranger[160], text[512];
	int64_t n, a;

	snprintf(stranger, sizeof(stranger), "%s/mallory.key",
		 self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "key generate %s", stranger));
	ASSERT_EQ(0, prepare_signed(&self->env, 1, self->file,
				    "approve eu host1"));
	ASSERT_EQ(0, ADMIN(&self->env, "sign %s --key %s", self->file,
			   stranger));
	n = statements(&self->env);
	a = audit_rows(&self->env);
	ASSERT_EQ(403, post_file(&self->env, self->file, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "which is not a member of the authority "
			       "of eu"));
	/* Even beside two members' signatures. */
	ASSERT_EQ(0, ADMIN(&self->env, "sign %s --key %s", self->file,
			   self->env.member_key[2]));
	ASSERT_EQ(403, post_file(&self->env, self->file, text, sizeof(text)));
	ASSERT_EQ(n, statements(&self->env));
	ASSERT_EQ(a, audit_rows(&self->env));
	ASSERT_EQ(KF_STATUS_NOT_VALID, fetch_status(&self->host, "x"));
	/* Unsigned. */
	ASSERT_EQ(0, prepare_signed(&self->env, 0, self->file,
				    "approve eu host1"));
	ASSERT_EQ(403, post_file(&self->env, self->file, text, sizeof(text)));
	ASSERT_STREQ("0 signatures of 2 needed (authority of eu: 2 of 3 "
		     "members)\n", text);
	/* Not a submission at all. */
	ASSERT_EQ(400, post_bytes(&self->env, (const uint8_t *)"garbage", 7,
				  text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "submission: malformed"));
	ASSERT_EQ(n, statements(&self->env));
}

/*
 * A second region with the same three members: its statements apply to it
 * alone, and its signatures do not carry over to the same change of eu.
 */
TEST_F(auth, another_regions_signatures_are_refused)
{
	static struct kf_submission us, eu;
	char usfile[160], usauth[160], text[512];
	uint8_t *ub = NULL, *eb = NULL, buf[8192];
	size_t ul, el, len;
	int64_t n;

	snprintf(usfile, sizeof(usfile), "%s/us.sub", self->env.dir);
	snprintf(usauth, sizeof(usauth), "%s/us.authority", self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "prepare region us --threshold 2 "
			   "--member alice=%s --member bob=%s --member carol=%s "
			   "--sign %s --sign %s --out %s",
			   self->env.member_pub[0], self->env.member_pub[1],
			   self->env.member_pub[2], self->env.member_key[0],
			   self->env.member_key[1], usfile));
	ASSERT_EQ(0, ADMIN(&self->env, "authority export %s --out %s", usfile,
			   usauth));
	/* The repository takes region us only once it is told to. */
	ASSERT_EQ(403, post_file(&self->env, usfile, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "this repository does not take region "
			       "us"));
	self->env.cfg.authority_paths[1] = usauth;
	self->env.cfg.n_authorities = 2;
	ASSERT_EQ(0, env_restart(&self->env));
	ASSERT_EQ(200, post_file(&self->env, usfile, text, sizeof(text)));

	/* eu is at statement 3 (first, token, nothing else): make both
	 * regions' next statement the same change. */
	ASSERT_EQ(0, STATEMENT(&self->env, "group create us g"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group create us h"));
	ASSERT_EQ(0, prepare_signed(&self->env, 3, usfile,
				    "group create us web"));
	ASSERT_EQ(0, prepare_signed(&self->env, 0, self->file,
				    "group create eu web"));
	ASSERT_EQ(0, kf_objfile_read(usfile, KF_FILE_SUBMISSION, &ub, &ul));
	ASSERT_EQ(0, kf_objfile_read(self->file, KF_FILE_SUBMISSION, &eb,
				     &el));
	ASSERT_EQ(0, kf_submission_decode(&us, ub, ul, text, sizeof(text)));
	ASSERT_EQ(0, kf_submission_decode(&eu, eb, el, text, sizeof(text)));
	/* Graft us's signatures onto eu's statement. */
	memcpy(eu.statement.sigs, us.statement.sigs, sizeof(us.statement.sigs));
	eu.statement.n_sigs = us.statement.n_sigs;
	ASSERT_EQ(0, kf_submission_encode(&eu, buf, sizeof(buf), &len));
	n = statements(&self->env);
	ASSERT_EQ(403, post_bytes(&self->env, buf, len, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "does not verify"));
	ASSERT_EQ(n, statements(&self->env));
	/* The us statement applies to us, and eu has no group web. */
	ASSERT_EQ(200, post_file(&self->env, usfile, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "applied statement us#4"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM groups g JOIN"
			       " regions r ON r.id = g.region_id WHERE"
			       " g.name = 'web' AND r.name = 'us'"));
	ASSERT_EQ(0, raw_count(&self->env, "SELECT count(*) FROM groups g JOIN"
			       " regions r ON r.id = g.region_id WHERE"
			       " g.name = 'web' AND r.name = 'eu'"));
	free(ub);
	free(eb);
}

TEST_F(auth, replayed_stale_and_expired_statements_are_refused)
{
	char second[160], text[512];
	int64_t n, a;

	ASSERT_EQ(0, prepare_signed(&self->env, 3, self->file,
				    "approve eu host1"));
	ASSERT_EQ(200, post_file(&self->env, self->file, text, sizeof(text)));
	n = statements(&self->env);
	a = audit_rows(&self->env);
	/* The same statement again. */
	ASSERT_EQ(409, post_file(&self->env, self->file, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "was applied already"));
	/* Two prepared at the same head: the second is stale once the first
	 * applied (and would need preparing again). */
	snprintf(second, sizeof(second), "%s/second.sub", self->env.dir);
	ASSERT_EQ(0, prepare_signed(&self->env, 3, self->file,
				    "group create eu a"));
	ASSERT_EQ(0, prepare_signed(&self->env, 3, second,
				    "group create eu b"));
	ASSERT_EQ(200, post_file(&self->env, self->file, text, sizeof(text)));
	ASSERT_EQ(409, post_file(&self->env, second, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "is stale: the region is at statement"));
	ASSERT_EQ(0, raw_count(&self->env, "SELECT count(*) FROM groups "
			       "WHERE name = 'b'"));
	/* Expired before it was submitted. */
	ASSERT_EQ(0, ADMIN(&self->env, "prepare group create eu c --expires 1 "
			   "--sign %s --sign %s --out %s",
			   self->env.member_key[0], self->env.member_key[1],
			   self->file));
	sleep(2);
	ASSERT_EQ(422, post_file(&self->env, self->file, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "expired at"));
	/* Refusals changed nothing. */
	ASSERT_EQ(n + 1, statements(&self->env));
	ASSERT_EQ(a + 2, audit_rows(&self->env));	/* group a's two */
}

TEST_F(auth, a_relying_party_needs_only_the_authority_keys)
{
	char cert1[160], cert2[160], list[160];
	struct kf_client host2;
	struct kf_certificate c;
	struct kf_authority a;
	uint8_t *b;
	size_t len;
	char why[256];

	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu host1"));
	ASSERT_EQ(0, enroll_new(&self->env, &host2, "host2"));
	ASSERT_EQ(0, STATEMENT(&self->env, "revoke eu host2"));
	snprintf(cert1, sizeof(cert1), "%s/host1.cert", self->env.dir);
	snprintf(cert2, sizeof(cert2), "%s/host2.cert", self->env.dir);
	snprintf(list, sizeof(list), "%s/eu.revocations", self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "fetch certificate eu host1 --out %s",
			   cert1));
	ASSERT_EQ(0, ADMIN(&self->env, "fetch certificate eu host2 --out %s",
			   cert2));
	ASSERT_EQ(0, ADMIN(&self->env, "fetch revocations eu --out %s", list));
	ASSERT_EQ(0, ADMIN(&self->env, "verify --authority %s %s %s",
			   self->env.authority, cert1, list));
	ASSERT_EQ(1, ADMIN(&self->env, "verify --authority %s %s %s",
			   self->env.authority, cert2, list));
	/* The library function, with the authority file and the bytes. */
	ASSERT_EQ(0, kf_authority_read(self->env.authority, &a));
	ASSERT_EQ(0, kf_objfile_read(cert1, KF_FILE_CERTIFICATE, &b, &len));
	ASSERT_EQ(0, kf_verify_certificate(&a, b, len, kf_now(), &c, why,
					   sizeof(why)));
	ASSERT_EQ(0, memcmp(c.kec_pub, self->host.kec_pub, KF_KEY_SIZE));
	ASSERT_EQ(0, memcmp(c.kei_pub, self->host.kei_pub, KF_KEY_SIZE));
	/* A Kec-pub swapped in the certificate no longer verifies. */
	b[len / 2] ^= 1;
	ASSERT_NE(0, kf_verify_certificate(&a, b, len, kf_now(), &c, why,
					   sizeof(why)));
	free(b);
	kf_client_wipe(&host2);
}

/*
 * The owner's tool is such a relying party: it seals only to a Kec-pub
 * the authority certified, for the entity meant, not revoked.  A
 * repository that swaps a Kec-pub (in the entity's row, in the served
 * certificate) or hands out another entity's certificate gets nothing
 * sealed to a key of its choosing.
 */
TEST_F(auth, the_owner_seals_only_to_a_certified_kec)
{
	char cert1[160], cert2[160], list[160], out[160], keyfile[160];
	static struct kf_sealfile sf;
	uint8_t key[32], got[64], *b;
	struct kf_binding bd;
	struct kf_client host2;
	uint64_t v = 0;
	size_t len;
	char hex[80], sql[300];

	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu host1"));
	ASSERT_EQ(0, enroll_new(&self->env, &host2, "host2"));
	ASSERT_EQ(0, STATEMENT(&self->env, "revoke eu host2"));
	snprintf(cert1, sizeof(cert1), "%s/host1.cert", self->env.dir);
	snprintf(cert2, sizeof(cert2), "%s/host2.cert", self->env.dir);
	snprintf(list, sizeof(list), "%s/eu.revocations", self->env.dir);
	snprintf(out, sizeof(out), "%s/k.sealed", self->env.dir);
	ASSERT_EQ(0, kf_random(key, sizeof(key)));
	ASSERT_EQ(0, write_key(&self->env, "k", key, sizeof(key), keyfile,
			       sizeof(keyfile)));
	ASSERT_EQ(0, ADMIN(&self->env, "fetch certificate eu host1 --out %s",
			   cert1));
	ASSERT_EQ(0, ADMIN(&self->env, "fetch certificate eu host2 --out %s",
			   cert2));
	ASSERT_EQ(0, ADMIN(&self->env, "fetch revocations eu --out %s", list));
	ASSERT_EQ(0, SEAL("--region eu --item k --version 1 --owner-key %s "
			  "--cert %s --authority %s --revocations %s --entity "
			  "host1 --key %s --type logon --out %s",
			  self->env.owner, cert1, self->env.authority, list,
			  keyfile, out));
	ASSERT_EQ(0, kf_sealfile_read(out, &sf));
	bd.region = "eu";
	bd.item = "k";
	bd.policy = sf.policy;
	bd.policy_len = sf.policy_len;
	ASSERT_EQ(0, kf_unseal(got, sizeof(got), &len, &v, self->host.kec_priv,
			       self->env.ko_pub, NULL, &bd, sf.sealed,
			       sf.sealed_len));
	ASSERT_EQ(1, v);
	ASSERT_EQ(0, memcmp(got, key, 32));
	/* Revoked; another entity's certificate; a key given on trust that
	 * is not the certified one. */
	ASSERT_EQ(1, SEAL("--region eu --item k --version 1 --owner-key %s "
			  "--cert %s --authority %s --revocations %s --key %s "
			  "--type logon --out %s", self->env.owner, cert2,
			  self->env.authority, list, keyfile, out));
	ASSERT_EQ(1, SEAL("--region eu --item k --version 1 --owner-key %s "
			  "--cert %s --authority %s --entity host9 --key %s "
			  "--type logon --out %s", self->env.owner, cert1,
			  self->env.authority, keyfile, out));
	/* The repository swaps host1's Kec-pub for its own, in the entity
	 * and in the certificate it serves: the certificate fails. */
	snprintf(sql, sizeof(sql), "UPDATE entities SET kec_pub = %s WHERE "
		 "name = 'host1'", blob(host2.kec_pub, 32, hex, sizeof(hex)));
	ASSERT_EQ(0, raw_sql(&self->env, sql));
	ASSERT_EQ(0, kf_objfile_read(cert1, KF_FILE_CERTIFICATE, &b, &len));
	ASSERT_NE(NULL, memmem(b, len, self->host.kec_pub, 32));
	memcpy(memmem(b, len, self->host.kec_pub, 32), host2.kec_pub, 32);
	ASSERT_EQ(0, kf_objfile_write(cert1, KF_FILE_CERTIFICATE, "", b, len));
	free(b);
	ASSERT_EQ(1, SEAL("--region eu --item k --version 1 --owner-key %s "
			  "--cert %s --authority %s --key %s --type logon "
			  "--out %s", self->env.owner, cert1,
			  self->env.authority, keyfile, out));
	kf_client_wipe(&host2);
}

/* ---- the hostile repository ------------------------------------------- */

struct chain {
	struct kf_audit_rec r[512];
	char text[512][5][600];
	unsigned int n;
};

static int collect(void *ctx, const struct kf_audit_rec *r)
{
	struct chain *c = ctx;
	unsigned int i = c->n;

	if (i == 512)
		return -ENOSPC;
	c->r[i] = *r;
	snprintf(c->text[i][0], 600, "%s", r->actor);
	snprintf(c->text[i][1], 600, "%s", r->op);
	snprintf(c->text[i][2], 600, "%s", r->subject);
	snprintf(c->text[i][3], 600, "%s", r->result);
	snprintf(c->text[i][4], 600, "%s", r->detail);
	c->r[i].actor = c->text[i][0];
	c->r[i].op = c->text[i][1];
	c->r[i].subject = c->text[i][2];
	c->r[i].result = c->text[i][3];
	c->r[i].detail = c->text[i][4];
	c->n++;
	return 0;
}

/*
 * What a writer of the database can always do to an unkeyed chain: after
 * changing records, compute every hash again from the first on.  The plain
 * chain then verifies; only the authority's anchors can tell.
 */
static int rechain(struct kf_env *e)
{
	static struct chain c;
	char sql[512], h[80], p[80];
	uint8_t prev[32] = { 0 };
	unsigned int i;

	c.n = 0;
	if (kf_store_audit_list(e->st, 0, 0, collect, &c))
		return -1;
	for (i = 0; i < c.n; i++) {
		kf_audit_hash(&c.r[i], prev, c.r[i].hash);
		snprintf(sql, sizeof(sql), "UPDATE audit SET prev = %s, hash = "
			 "%s WHERE seq = %lld", blob(prev, 32, p, sizeof(p)),
			 blob(c.r[i].hash, 32, h, sizeof(h)),
			 (long long)c.r[i].seq);
		memcpy(prev, c.r[i].hash, 32);
		if (raw_sql(e, sql))
			return -1;
	}
	return 0;
}

/* audit verify, as someone who trusts only the authority file. */
static int verify(struct kf_env *e, const char *extra)
{
	return ADMIN(e, "audit verify --authority %s %s", e->authority, extra);
}

TEST_F(auth, owning_the_database_and_server_key_is_not_enough)
{
	char kept[160], with_kept[200], sql[300], lit[80];
	struct kf_client host2;
	uint8_t carol[32];
	int64_t rows, bad;

	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu host1"));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks --read "
			       "entity:host1 --rate 10/1h"));
	ASSERT_EQ(0, enroll_pending(&self->env, &host2, "host2"));
	/* The periodic anchor: its file is kept by a member, elsewhere. */
	snprintf(kept, sizeof(kept), "%s/anchor-kept.sub", self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "prepare anchor eu --sign %s --sign %s "
			   "--out %s", self->env.member_key[0],
			   self->env.member_key[2], kept));
	ASSERT_EQ(0, ADMIN(&self->env, "submit %s", kept));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_status(&self->host, "x"));
	snprintf(with_kept, sizeof(with_kept), "--anchor %s --max-age 1d",
		 kept);
	/* The attacker has the server's key and its database; the server
	 * is stopped while it works on the rows.  Untouched, all verifies. */
	kf_repo_stop(self->env.repo);
	self->env.repo = NULL;
	ASSERT_EQ(0, verify(&self->env, with_kept));

	/* Approve host2 behind the authority's back: the chain is intact,
	 * but the authority's statements never made host2 approved. */
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE entities SET state = 1 WHERE "
			     "name = 'host2'"));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(1, verify(&self->env, with_kept));
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE entities SET state = 3 WHERE "
			     "name = 'host2'"));
	ASSERT_EQ(0, verify(&self->env, with_kept));

	/* Revoke host1. */
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE entities SET state = 2, "
			     "revoked = 5 WHERE name = 'host1'"));
	ASSERT_EQ(1, verify(&self->env, with_kept));
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE entities SET state = 1, "
			     "revoked = 0 WHERE name = 'host1'"));

	/* Change the data set's policy; add a reader; replace a member. */
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE datasets SET rate_count = 0"));
	ASSERT_EQ(1, verify(&self->env, with_kept));
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE datasets SET rate_count = 10"));
	ASSERT_EQ(0, raw_sql(&self->env, "INSERT INTO dataset_allow(dataset_id,"
			     " kind, name) SELECT id, 'entity', 'host2' FROM "
			     "datasets"));
	ASSERT_EQ(1, verify(&self->env, with_kept));
	ASSERT_EQ(0, raw_sql(&self->env, "DELETE FROM dataset_allow WHERE name "
			     "= 'host2'"));
	memset(carol, 0x44, sizeof(carol));
	snprintf(sql, sizeof(sql), "UPDATE authority_members SET pub = %s "
		 "WHERE name = 'carol'", blob(carol, 32, lit, sizeof(lit)));
	ASSERT_EQ(0, raw_sql(&self->env, sql));
	ASSERT_EQ(1, verify(&self->env, with_kept));
	ASSERT_EQ(0, kf_key_from_base64(carol, self->env.member_pub[2]));
	snprintf(sql, sizeof(sql), "UPDATE authority_members SET pub = %s "
		 "WHERE name = 'carol'", blob(carol, 32, lit, sizeof(lit)));
	ASSERT_EQ(0, raw_sql(&self->env, sql));
	ASSERT_EQ(0, verify(&self->env, with_kept));	/* all undone */

	/* Edit a record before the anchor and compute the chain again: the
	 * plain chain verifies, the anchor does not. */
	ASSERT_EQ(0, raw_sql(&self->env, BY_BACKEND(
		"DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete",
		"DROP TRIGGER audit_no_update ON audit; DROP TRIGGER "
		"audit_no_delete ON audit")));
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE audit SET detail = 'nothing "
			     "to see' WHERE op = 'enroll'"));
	ASSERT_EQ(0, rechain(&self->env));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(1, verify(&self->env, with_kept));

	/* Cut everything from the anchor on, statements and all: what is
	 * left is consistent and anchorless, but the anchor a member kept is
	 * not there, and no anchor is younger than a day. */
	ASSERT_EQ(0, raw_sql(&self->env, "DELETE FROM audit WHERE seq >= "
			     "(SELECT max(seq) FROM audit WHERE op = "
			     "'authority.statement'); DELETE FROM "
			     "revocation_lists; DELETE FROM statements WHERE "
			     "seq = (SELECT max(seq) FROM statements); UPDATE "
			     "regions SET head_seq = head_seq - 1, head_id = "
			     "(SELECT id FROM statements s WHERE s.region_id = "
			     "regions.id AND s.seq = regions.head_seq - 1) "
			     "WHERE name = 'eu'"));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(0, verify(&self->env, ""));
	ASSERT_EQ(1, verify(&self->env, with_kept));
	ASSERT_EQ(1, verify(&self->env, "--max-age 1d"));
	kf_client_wipe(&host2);
}

/*
 * Audit retention under an authority: the oldest records go (statements'
 * and an anchor's among them), and audit verify --authority still checks
 * what is left; a statement's record removed after the prune point, or a
 * record the kept anchor vouches for rewritten, is still caught.
 */
TEST_F(auth, an_audit_prune_leaves_the_authority_check_intact)
{
	char old_anchor[160], kept[160], with_kept[200];
	int64_t cut;

	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu host1"));
	snprintf(old_anchor, sizeof(old_anchor), "%s/anchor-old.sub",
		 self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "prepare anchor eu --sign %s --sign %s "
			   "--out %s", self->env.member_key[0],
			   self->env.member_key[1], old_anchor));
	ASSERT_EQ(0, ADMIN(&self->env, "submit %s", old_anchor));
	sleep(2);
	cut = kf_now();
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks"));
	snprintf(kept, sizeof(kept), "%s/anchor-kept.sub", self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "prepare anchor eu --sign %s --sign %s "
			   "--out %s", self->env.member_key[0],
			   self->env.member_key[2], kept));
	ASSERT_EQ(0, ADMIN(&self->env, "submit %s", kept));
	snprintf(with_kept, sizeof(with_kept), "--anchor %s --max-age 1d",
		 kept);
	ASSERT_EQ(0, verify(&self->env, with_kept));
	ASSERT_EQ(0, ADMIN(&self->env, "audit prune --before %lld",
			   (long long)cut));
	/* The statements' records before the cut are gone, the rest stay. */
	ASSERT_LT(0, raw_count(&self->env, "SELECT seq FROM audit_pruned"));
	ASSERT_EQ(0, verify(&self->env, with_kept));
	ASSERT_EQ(0, verify(&self->env, ""));
	/* A statement's record after the prune point goes missing: the chain
	 * from the prune point breaks, and the check says so. */
	kf_repo_stop(self->env.repo);
	self->env.repo = NULL;
	ASSERT_EQ(0, raw_sql(&self->env, BY_BACKEND(
		"DROP TRIGGER audit_no_delete",
		"DROP TRIGGER audit_no_delete ON audit")));
	ASSERT_EQ(0, raw_sql(&self->env, "DELETE FROM audit WHERE seq = (SELECT"
			     " min(seq) FROM audit WHERE op = "
			     "'authority.statement')"));
	ASSERT_EQ(1, verify(&self->env, with_kept));
}

/* ---- rotating a member ---------------------------------------------- */

/*
 * carol leaves, dave joins (2 of 3 still): the current authority signs
 * the change; from the next statement on carol's signature counts for
 * nothing and dave's does; a holder of the old authority file follows the
 * chain to the new set; certificates count only current members' keys.
 */
TEST_F(auth, rotating_a_member)
{
	char dave[160], pub[64], newauth[160], cert[160], text[512];
	struct kf_authority a, b;
	struct kf_signer *k;

	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu host1"));	/* alice+bob */
	snprintf(cert, sizeof(cert), "%s/host1.cert", self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "fetch certificate eu host1 --out %s",
			   cert));
	snprintf(dave, sizeof(dave), "%s/dave.key", self->env.dir);
	ASSERT_EQ(0, kf_signer_generate(dave));
	ASSERT_EQ(0, kf_signer_load(&k, dave));
	kf_base64_encode(pub, sizeof(pub), kf_signer_public(k), KF_KEY_SIZE);
	kf_signer_free(k);
	/* One member cannot change the authority. */
	ASSERT_EQ(1, statement_by(&self->env, 4, "authority eu --threshold 2 "
				  "--member alice=%s --member bob=%s --member "
				  "dave=%s", self->env.member_pub[0],
				  self->env.member_pub[1], pub));
	ASSERT_EQ(0, statement_by(&self->env, 5, "authority eu --threshold 2 "
				  "--member alice=%s --member bob=%s --member "
				  "dave=%s", self->env.member_pub[0],
				  self->env.member_pub[1], pub));
	/* carol's signature is a stranger's now; dave's counts. */
	ASSERT_EQ(0, prepare_signed(&self->env, 5, self->file,
				    "group create eu web"));
	ASSERT_EQ(403, post_file(&self->env, self->file, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "not a member"));
	ASSERT_EQ(0, prepare_signed(&self->env, 1, self->file,
				    "group create eu web"));
	ASSERT_EQ(0, ADMIN(&self->env, "sign %s --key %s", self->file, dave));
	ASSERT_EQ(200, post_file(&self->env, self->file, text, sizeof(text)));
	/* The old file, followed along the chain, becomes the new set. */
	snprintf(newauth, sizeof(newauth), "%s/eu-new.authority",
		 self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "authority update --authority %s --out "
			   "%s", self->env.authority, newauth));
	ASSERT_EQ(0, kf_authority_read(newauth, &b));
	ASSERT_EQ(3, b.n);
	ASSERT_STREQ("dave", b.m[2].name);
	ASSERT_EQ(0, kf_authority_read(self->env.authority, &a));
	ASSERT_LT(a.sequence, b.sequence);
	/* host1's certificate (alice and bob) still verifies; the audit
	 * holds against the first file and against the new one. */
	ASSERT_EQ(0, ADMIN(&self->env, "verify --authority %s %s", newauth,
			   cert));
	ASSERT_EQ(0, ADMIN(&self->env, "audit verify --authority %s",
			   self->env.authority));
	ASSERT_EQ(0, ADMIN(&self->env, "audit verify --authority %s", newauth));
	/* A forged chain is not followed: a statement rewritten in the
	 * store breaks the links the update checks. */
	ASSERT_EQ(0, raw_sql(&self->env, "UPDATE statements SET submission = "
			     "(SELECT submission FROM statements WHERE seq = 2)"
			     " WHERE seq = 4"));
	ASSERT_EQ(1, ADMIN(&self->env, "authority update --authority %s --out "
			   "%s/x.authority", self->env.authority,
			   self->env.dir));
}

/* ---- groups ---------------------------------------------------------- */

struct owner {
	struct kf_env *e;
	char cert[KF_TEST_MEMBERS + 2][160];
};

/*
 * The owner seals version 1 of item, with its key, to entity's certified
 * Kec (unwrap: a group key).
 */
static int seal_to(struct kf_env *e, const char *entity, const char *item,
		   const char *keyfile, const char *type, const char *out)
{
	char cert[160];

	snprintf(cert, sizeof(cert), "%s/%s.cert", e->dir, entity);
	if (ADMIN(e, "fetch certificate eu %s --out %s", entity, cert))
		return -1;
	return SEAL("--region eu --item %s --version 1 --owner-key %s --cert "
		    "%s --authority %s --entity %s --key %s --type %s --out %s",
		    item, e->owner, cert, e->authority, entity, keyfile, type,
		    out);
}

/* The owner seals version `version` of item under the group key in kwfile. */
static int seal_under(struct kf_env *e, const char *item, const char *kwfile,
		      const char *keyfile, int version, const char *out)
{
	return SEAL("--region eu --item %s --version %d --unwrap-key-file %s "
		    "--unwrap-key web-kw --key %s --type logon --out %s",
		    item, version, kwfile, keyfile, out);
}

static int open_under(const struct kf_reply_item *it, const uint8_t kw[32],
		      uint8_t *key, size_t *len)
{
	struct kf_binding b = { "eu", it->name, it->policy, it->policy_len };

	return kf_unseal(key, 64, len, NULL, NULL, NULL, kw, &b, it->sealed,
			 it->sealed_len);
}

static int open_kec(const struct kf_env *e, const struct kf_client *c,
		    const struct kf_reply_item *it, uint8_t *key, size_t *len)
{
	struct kf_binding b = { "eu", it->name, it->policy, it->policy_len };

	return kf_unseal(key, 64, len, NULL, c->kec_priv, e->ko_pub, NULL, &b,
			 it->sealed, it->sealed_len);
}

/*
 * A group's key is an unwrap item the owner seals to each member's
 * certified Kec, stored as that member's copy of the group's item; the
 * group's data is sealed under it.  A member removed gets neither at
 * once; the owner then makes a new key, seals it to the members left and
 * the data under it, and the removed member has nothing of the new.
 */
TEST_F(auth, a_removed_member_gets_nothing_new_after_rekeying)
{
	uint8_t kw1[32], kw2[32], data1[32], data2[32], got[64], kw[64];
	char kwf1[160], kwf2[160], d1[160], d2[160], out[160], b64[64];
	char certs[160], list[160];
	struct kf_client host2;
	uint64_t old_version;
	uint8_t *names;
	size_t len;

	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu host1"));
	ASSERT_EQ(0, enroll_new(&self->env, &host2, "host2"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group create eu web"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group add eu web host1"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group add eu web host2"));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks --read "
			       "group:web"));
	/* The group key, version 1, to both; the data under it. */
	ASSERT_EQ(0, kf_random(kw1, 32));
	ASSERT_EQ(0, kf_random(data1, 32));
	kf_base64_encode(b64, sizeof(b64), kw1, 32);
	ASSERT_EQ(0, write_key(&self->env, "kw1", kw1, 32, kwf1, sizeof(kwf1)));
	ASSERT_EQ(0, write_key(&self->env, "kw1.b64", b64, strlen(b64), out,
			       sizeof(out)));
	ASSERT_EQ(0, write_key(&self->env, "d1", data1, 32, d1, sizeof(d1)));
	snprintf(out, sizeof(out), "%s/x.sealed", self->env.dir);
	ASSERT_EQ(0, seal_to(&self->env, "host1", "web-kw", kwf1, "unwrap",
			     out));
	ASSERT_EQ(0, STATEMENT(&self->env, "item put %s --dataset disks "
			       "--entity host1 --group web", out));
	ASSERT_EQ(0, seal_to(&self->env, "host2", "web-kw", kwf1, "unwrap",
			     out));
	ASSERT_EQ(0, STATEMENT(&self->env, "item put %s --dataset disks "
			       "--entity host2 --group web", out));
	snprintf(kwf1, sizeof(kwf1), "%s/kw1.b64", self->env.dir);
	ASSERT_EQ(0, seal_under(&self->env, "tls", kwf1, d1, 1, out));
	ASSERT_EQ(0, STATEMENT(&self->env, "item put %s --dataset disks "
			       "--group web", out));
	ASSERT_EQ(KF_STATUS_OK, fetch_status(&host2, "web-kw"));
	ASSERT_EQ(0, open_kec(&self->env, &host2, &reply.items[0], kw, &len));
	ASSERT_EQ(0, memcmp(kw, kw1, 32));
	ASSERT_EQ(KF_STATUS_OK, fetch_status(&host2, "tls"));
	ASSERT_EQ(0, open_under(&reply.items[0], kw1, got, &len));
	ASSERT_EQ(0, memcmp(got, data1, 32));

	/* The authority removes host2: at once, nothing of the group's. */
	ASSERT_EQ(0, STATEMENT(&self->env, "group remove eu web host2"));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_status(&host2, "web-kw"));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_status(&host2, "tls"));
	ASSERT_EQ(KF_STATUS_OK, fetch_status(&self->host, "web-kw"));
	old_version = item_version(&reply.items[0]);

	/* The owner rekeys: a new key to the members left, as the
	 * authority's statements made the group (the repository slipping
	 * host2 back into its table changes nothing of that), each to its
	 * verified certificate; then the data under it. */
	ASSERT_EQ(0, raw_sql(&self->env, "INSERT INTO group_members(entity_id,"
			     " group_id) SELECT e.id, g.id FROM entities e, "
			     "groups g WHERE e.name = 'host2' AND g.name = "
			     "'web'"));
	snprintf(certs, sizeof(certs), "%s/web", self->env.dir);
	snprintf(list, sizeof(list), "%s/members", self->env.dir);
	ASSERT_EQ(0, run_out(list, "keyferry-admin --repository %s members eu "
			     "web --authority %s --certs %s", self->env.url,
			     self->env.authority, certs));
	ASSERT_EQ(0, kf_read_file(list, 4096, &names, &len));
	ASSERT_STREQ("host1\n", (char *)names);
	free(names);
	ASSERT_EQ(0, raw_sql(&self->env, "DELETE FROM group_members WHERE "
			     "entity_id = (SELECT id FROM entities WHERE name ="
			     " 'host2')"));
	ASSERT_EQ(0, kf_random(kw2, 32));
	ASSERT_EQ(0, kf_random(data2, 32));
	ASSERT_EQ(0, write_key(&self->env, "kw2", kw2, 32, kwf2, sizeof(kwf2)));
	ASSERT_EQ(0, write_key(&self->env, "d2", data2, 32, d2, sizeof(d2)));
	ASSERT_EQ(0, SEAL("--region eu --item web-kw --version 2 --owner-key "
			  "%s --cert %s/host1.cert --authority %s --entity "
			  "host1 --key %s --type unwrap --out %s",
			  self->env.owner, certs, self->env.authority, kwf2,
			  out));
	ASSERT_EQ(0, STATEMENT(&self->env, "item put %s --dataset disks "
			       "--entity host1 --group web", out));
	kf_base64_encode(b64, sizeof(b64), kw2, 32);
	ASSERT_EQ(0, write_key(&self->env, "kw2.b64", b64, strlen(b64), kwf2,
			       sizeof(kwf2)));
	ASSERT_EQ(0, seal_under(&self->env, "tls", kwf2, d2, 2, out));
	ASSERT_EQ(0, STATEMENT(&self->env, "item put %s --dataset disks "
			       "--group web", out));
	ASSERT_EQ(KF_STATUS_OK, fetch_status(&self->host, "web-kw"));
	ASSERT_LT(old_version, item_version(&reply.items[0]));	/* new key */
	ASSERT_EQ(0, open_kec(&self->env, &self->host, &reply.items[0], kw, &len));
	ASSERT_EQ(0, memcmp(kw, kw2, 32));
	ASSERT_EQ(KF_STATUS_OK, fetch_status(&self->host, "tls"));
	ASSERT_EQ(0, open_under(&reply.items[0], kw2, got, &len));
	ASSERT_EQ(0, memcmp(got, data2, 32));
	/* What the removed member still holds (kw1) opens nothing new. */
	ASSERT_NE(0, open_under(&reply.items[0], kw1, got, &len));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_status(&host2, "tls"));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_status(&host2, "web-kw"));
	kf_client_wipe(&host2);
}

/*
 * Rights beyond "may fetch": an entity in several groups reads the data
 * sets of each; a group's administrators (their own keys, their own
 * threshold) put and delete items of the data sets that name the group
 * as administering them, and of no other.
 */
TEST_F(auth, groups_read_and_administer_data_sets)
{
	char dave[160], pub[64], out[160], keyfile[160], text[512];
	uint8_t key[32];
	struct kf_signer *k;

	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu host1"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group create eu web"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group create eu db"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group create eu ops"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group add eu web host1"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group add eu db host1"));
	snprintf(dave, sizeof(dave), "%s/dave.key", self->env.dir);
	ASSERT_EQ(0, kf_signer_generate(dave));
	ASSERT_EQ(0, kf_signer_load(&k, dave));
	kf_base64_encode(pub, sizeof(pub), kf_signer_public(k), KF_KEY_SIZE);
	kf_signer_free(k);
	ASSERT_EQ(0, STATEMENT(&self->env, "group signers eu ops --threshold 1 "
			       "--member dave=%s", pub));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu web-disks --read "
			       "group:web --admin ops"));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu db-disks --read "
			       "group:db"));
	/* dave, alone, puts an item into the data set ops administers. */
	ASSERT_EQ(0, kf_random(key, sizeof(key)));
	ASSERT_EQ(0, write_key(&self->env, "k", key, 32, keyfile,
			       sizeof(keyfile)));
	snprintf(out, sizeof(out), "%s/w.sealed", self->env.dir);
	ASSERT_EQ(0, seal_to(&self->env, "host1", "w", keyfile, "logon", out));
	ASSERT_EQ(0, ADMIN(&self->env, "prepare item put %s --dataset web-disks"
			   " --entity host1 --sign %s --submit", out, dave));
	/* ...but not into one it does not administer. */
	ASSERT_EQ(0, seal_to(&self->env, "host1", "d", keyfile, "logon", out));
	ASSERT_EQ(0, ADMIN(&self->env, "prepare item put %s --dataset db-disks "
			   "--entity host1 --sign %s --out %s/req.sub", out,
			   dave, self->env.dir));
	snprintf(out, sizeof(out), "%s/req.sub", self->env.dir);
	ASSERT_EQ(403, post_file(&self->env, out, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "nor the administrators of a group "
			       "administering its data set (none)"));
	/* Two members may, for any data set; a replay is refused. */
	ASSERT_EQ(0, ADMIN(&self->env, "sign %s --key %s", out,
			   self->env.member_key[0]));
	ASSERT_EQ(403, post_file(&self->env, out, text, sizeof(text)));
	snprintf(out, sizeof(out), "%s/d.sealed", self->env.dir);
	ASSERT_EQ(0, seal_to(&self->env, "host1", "d", keyfile, "logon", out));
	ASSERT_EQ(0, ADMIN(&self->env, "prepare item put %s --dataset db-disks "
			   "--entity host1 --sign %s --sign %s --out %s/req2.sub",
			   out, self->env.member_key[0],
			   self->env.member_key[1], self->env.dir));
	snprintf(out, sizeof(out), "%s/req2.sub", self->env.dir);
	ASSERT_EQ(200, post_file(&self->env, out, text, sizeof(text)));
	ASSERT_EQ(409, post_file(&self->env, out, text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "applied already"));
	/* One entity, two groups, a data set of each. */
	ASSERT_EQ(KF_STATUS_OK, fetch_status(&self->host, "w"));
	ASSERT_EQ(KF_STATUS_OK, fetch_status(&self->host, "d"));
	/* The audit names who put them. */
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE "
			       "op = 'admin.item.put' AND actor = "
			       "'group:ops:dave'"));
	/* A group still named by a data set cannot be deleted. */
	ASSERT_EQ(1, STATEMENT(&self->env, "group delete eu ops"));
	ASSERT_EQ(0, STATEMENT(&self->env, "group remove eu db host1"));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_status(&self->host, "d"));
	ASSERT_EQ(KF_STATUS_OK, fetch_status(&self->host, "w"));
}

/* ---- owner keys -------------------------------------------------------- */

/*
 * An item request for a version 2 sealed item (its header names the
 * owner key by kid; the repository reads only the header), signed by
 * alice and bob, as bytes to POST.
 */
static size_t owner_item(struct kf_env *e, const uint8_t owner_pub[32],
			 uint8_t *out, size_t cap)
{
	static uint8_t sealed[96], body[1024];
	static struct kf_submission sub;
	struct kf_item_request r = { .action = KF_ITEM_PUT };
	struct kf_signer *k;
	size_t len, olen;
	unsigned int i;

	memset(sealed, 0x5a, sizeof(sealed));
	memcpy(sealed, "KFS2\x01\0\0\0", 8);
	kf_kid(owner_pub, sealed + 16);
	strcpy(r.region, "eu");
	strcpy(r.dataset, "disks");
	strcpy(r.item, "o1");
	strcpy(r.entity, "host1");
	r.issued = (uint64_t)kf_now();
	r.expires = r.issued + 600;
	if (kf_random(r.nonce, sizeof(r.nonce)))
		return 0;
	r.policy = (const uint8_t *)"\x00\x01\x00\x01\x01";
	r.policy_len = 5;
	r.sealed = sealed;
	r.sealed_len = sizeof(sealed);
	if (kf_item_request_encode(&r, body, sizeof(body), &len))
		return 0;
	memset(&sub, 0, sizeof(sub));
	sub.has_item = true;
	sub.item = (struct kf_signed){ .kind = KF_OBJ_ITEM_REQUEST,
				       .body = body, .body_len = len };
	for (i = 0; i < 2; i++) {
		if (kf_signer_load(&k, e->member_key[i]))
			return 0;
		if (kf_signer_sign_object(k, &sub.item))
			len = 0;
		kf_signer_free(k);
	}
	return kf_submission_encode(&sub, out, cap, &olen) ? 0 : olen;
}

/* owner.allow / owner.retire: the region takes an owner's items only while
 * the authority allows its key. */
TEST_F(auth, only_allowed_owner_keys_put_items)
{
	uint8_t priv[32], pub[32], buf[4096];
	char b64[64], text[512];
	size_t len;

	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu host1"));
	ASSERT_EQ(0, STATEMENT(&self->env, "dataset create eu disks"));
	ASSERT_EQ(0, kf_x25519_keygen(priv, pub));
	kf_base64_encode(b64, sizeof(b64), pub, 32);
	len = owner_item(&self->env, pub, buf, sizeof(buf));
	ASSERT_LT(0, len);
	ASSERT_EQ(403, post_bytes(&self->env, buf, len, text, sizeof(text)));
	ASSERT_STREQ("item o1: its owner key is not allowed in region eu\n",
		     text);
	ASSERT_EQ(0, STATEMENT(&self->env, "owner allow eu ops %s", b64));
	len = owner_item(&self->env, pub, buf, sizeof(buf));
	ASSERT_EQ(200, post_bytes(&self->env, buf, len, text, sizeof(text)));
	ASSERT_EQ(0, STATEMENT(&self->env, "owner retire eu ops %s", b64));
	len = owner_item(&self->env, pub, buf, sizeof(buf));
	ASSERT_EQ(403, post_bytes(&self->env, buf, len, text, sizeof(text)));
	ASSERT_STREQ("item o1: its owner key is retired in region eu\n", text);
	/* A retired key stays retired. */
	ASSERT_EQ(1, STATEMENT(&self->env, "owner allow eu ops %s", b64));
	kf_wipe(priv, sizeof(priv));
}

/* ---- kill -9 during approvals ------------------------------------------ */

#define HOSTS 16

static pid_t kids[2];

static void reap(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
		kids[i] = 0;
	}
}

/* Two members approve h0, h1, ... one statement each; every approval the
 * repository acknowledged is reported on the pipe. */
static pid_t fork_approver(struct kf_env *e, int fd)
{
	char keys[512];
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	sign_opts(e, 3, keys, sizeof(keys));
	for (i = 0; i < HOSTS; i++) {
		if (ADMIN(e, "prepare approve eu h%d%s --submit", i, keys))
			_exit(1);
		if (write(fd, &i, sizeof(i)) != sizeof(i))
			_exit(1);
	}
	_exit(0);
}

TEST_F(auth, kill_9_during_approvals_loses_no_statement)
{
	struct kf_client h[HOSTS];
	const char *keys[] = { self->env.key };
	char name[16], kept[160], sql[128];
	int ap[2], i, last = -1, v;
	int64_t n0;
	uint16_t port;

	for (i = 0; i < HOSTS; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		ASSERT_EQ(0, enroll_pending(&self->env, &h[i], name));
	}
	snprintf(kept, sizeof(kept), "%s/anchor.sub", self->env.dir);
	ASSERT_EQ(0, ADMIN(&self->env, "prepare anchor eu --sign %s --sign %s "
			   "--out %s", self->env.member_key[1],
			   self->env.member_key[2], kept));
	ASSERT_EQ(0, ADMIN(&self->env, "submit %s", kept));
	kf_repo_stop(self->env.repo);	/* the forked one takes over */
	self->env.repo = NULL;
	n0 = statements(&self->env);
	ASSERT_EQ(0, pipe(ap));
	port = start_repo_process(self->env.db, keys, 1, &kids[0]);
	ASSERT_NE(0, port);
	snprintf(self->env.url, sizeof(self->env.url), "http://127.0.0.1:%u",
		 (unsigned int)port);
	kids[1] = fork_approver(&self->env, ap[1]);
	close(ap[1]);
	/* Killed in the middle of the approvals, whatever it was doing. */
	while (last < 4 && read(ap[0], &v, sizeof(v)) == sizeof(v))
		last = v;
	usleep(3000);
	reap();
	while (read(ap[0], &v, sizeof(v)) == sizeof(v))
		last = v;
	close(ap[0]);
	TH_LOG("%d approvals acknowledged before the kill", last + 1);
	ASSERT_LE(4, last);
	/* Every acknowledged approval is there, with its statement... */
	for (i = 0; i <= last; i++) {
		snprintf(sql, sizeof(sql), "SELECT state FROM entities WHERE "
			 "name = 'h%d'", i);
		ASSERT_EQ(KF_ENTITY_ACTIVE, raw_count(&self->env, sql));
	}
	/* (one more may have committed, its answer lost in the kill) */
	ASSERT_LE(n0 + last + 1, statements(&self->env));
	ASSERT_GE(n0 + last + 2, statements(&self->env));
	/* ...the chain verifies against the anchor, and it serves again. */
	ASSERT_EQ(0, ADMIN(&self->env, "audit verify --authority %s --anchor "
			   "%s", self->env.authority, kept));
	ASSERT_EQ(0, env_start(&self->env, 5));
	for (i = 0; i < HOSTS; i++) {
		h[i].http.port = self->env.port;
		kf_httpc_close(&h[i].http);
	}
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, fetch_status(&h[0], "x"));
	ASSERT_EQ(0, STATEMENT(&self->env, "approve eu h%d", HOSTS - 1));
	for (i = 0; i < HOSTS; i++)
		kf_client_wipe(&h[i]);
}

TEST_HARNESS_MAIN
