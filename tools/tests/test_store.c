// SPDX-License-Identifier: MIT
/*
 * The store on its own, through store.h, on whichever backend this run
 * uses (kf_test.h): exact errors, refused changes that leave nothing
 * behind, values that come back byte for byte, and the audit chain under
 * writers in several processes at once, each with its own connection.
 */
#include "kf_test.h"

FIXTURE(store) {
	char dir[64];
	char db[256];
	struct kf_store *st;
};

FIXTURE_SETUP(store)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/kfstore.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, test_store_name(self->dir, self->db, sizeof(self->db)));
	ASSERT_EQ(0, kf_store_open(&self->st, self->db, KF_STORE_CREATE));
	kf_store_set_actor(self->st, "test");
	ASSERT_EQ(0, kf_store_region_add(self->st, "eu"));
}

FIXTURE_TEARDOWN(store)
{
	char cmd[128];

	kf_store_close(self->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", self->dir);
}

static int64_t audit_rows(struct kf_store *st)
{
	int64_t rows = -1, bad = 0;

	if (kf_store_audit_verify(st, &rows, &bad))
		return -1;
	return rows;
}

/*
 * A sealed blob's header of protocol version 2 (alg 2: no kids to
 * compute) with this version, in front of whatever the caller put after
 * it: what the store reads the version from.
 */
static void sealed_header(uint8_t *sealed, uint64_t version)
{
	memset(sealed, 0, 32);
	memcpy(sealed, "KFS2\x02", 5);
	kf_put_be(sealed + 24, version, 8);
}

static int count_cb(void *ctx, const struct kf_dataset *d)
{
	(*(int *)ctx)++;
	return 0;
}

TEST_F(store, errors_are_exact_and_change_nothing)
{
	struct kf_dataset d = { 0 };
	struct kf_item it = { 0 };
	char tok[80];
	int n = 0;

	ASSERT_EQ(1, audit_rows(self->st));
	ASSERT_EQ(-EEXIST, kf_store_region_add(self->st, "eu"));
	ASSERT_EQ(-ENOENT, kf_store_entity_revoke(self->st, "eu", "nobody",
						  NULL));
	ASSERT_EQ(-ENOENT, kf_store_token_create(self->st, "us", NULL, 60, tok,
						 sizeof(tok)));
	ASSERT_EQ(-ENOENT, kf_store_group_member_add(self->st, "eu", "g",
						     "nobody"));
	snprintf(d.region, sizeof(d.region), "us");
	snprintf(d.name, sizeof(d.name), "disks");
	ASSERT_EQ(-ENOENT, kf_store_dataset_add(self->st, &d));
	/* A bad allow list after the data set's own row: all rolled back. */
	snprintf(d.region, sizeof(d.region), "eu");
	snprintf(d.allow, sizeof(d.allow), "entity:a,planet:b");
	ASSERT_EQ(-EINVAL, kf_store_dataset_add(self->st, &d));
	ASSERT_EQ(0, kf_store_dataset_list(self->st, NULL, count_cb, &n));
	ASSERT_EQ(0, n);
	snprintf(it.region, sizeof(it.region), "eu");
	snprintf(it.dataset, sizeof(it.dataset), "disks");
	snprintf(it.name, sizeof(it.name), "k");
	snprintf(it.recipient, sizeof(it.recipient), "nobody");
	/* not a sealed item of version 2: refused before any look-up */
	ASSERT_EQ(-EPROTO, kf_store_item_put(self->st, &it));
	it.sealed_len = KF_SEALED_MIN + 16;
	sealed_header(it.sealed, 1);
	ASSERT_EQ(-ENOENT, kf_store_item_put(self->st, &it));
	ASSERT_EQ(-ENOENT, kf_store_item_delete(self->st, "eu", "k", NULL, 0));
	/* Only the region's own record: no refusal left a trace. */
	ASSERT_EQ(1, audit_rows(self->st));
}

static int item_cb(void *ctx, const struct kf_item *it)
{
	memcpy(ctx, it, sizeof(*it));
	return 0;
}

TEST_F(store, values_come_back_byte_for_byte)
{
	static struct kf_item it, got;
	static struct kf_fetch f;
	struct kf_enroll_req rq = { 0 };
	uint8_t nonce[KF_NONCE_SIZE], kei[32], kec[32];
	struct kf_dataset d = { 0 };
	struct kf_entity e;
	char tok[80], why[128];
	unsigned int i;

	/* Every byte value, zeroes and high bits included. */
	for (i = 0; i < 32; i++) {
		kei[i] = (uint8_t)(i * 8);
		kec[i] = (uint8_t)(255 - i);
	}
	memset(nonce, 0, sizeof(nonce));
	ASSERT_EQ(0, kf_store_token_create(self->st, "eu", NULL, 60, tok,
					   sizeof(tok)));
	rq.token = (const uint8_t *)tok;
	rq.token_len = strlen(tok);
	rq.nonce = nonce;
	rq.nonce_expires = kf_now() + 60;
	rq.region = "eu";
	rq.entity = "h1";
	rq.kei_pub = kei;
	rq.kec_pub = kec;
	ASSERT_EQ(0, kf_store_enroll(self->st, &rq, why, sizeof(why)));
	ASSERT_EQ(0, kf_store_entity_by_kei(self->st, kei, &e));
	ASSERT_STREQ("h1", e.name);
	ASSERT_STREQ("eu", e.region);
	ASSERT_EQ(0, memcmp(e.kec_pub, kec, 32));
	/* 64-bit integers, beyond 32 bits and negative. */
	ASSERT_EQ(0, kf_store_entity_set_valid_from(self->st, "eu", "h1",
						    (int64_t)1 << 40));
	ASSERT_EQ(0, kf_store_entity_get(self->st, "eu", "h1", &e));
	ASSERT_EQ((int64_t)1 << 40, e.valid_from);
	ASSERT_EQ(0, kf_store_entity_set_valid_from(self->st, "eu", "h1", -5));
	ASSERT_EQ(0, kf_store_entity_get(self->st, "eu", "h1", &e));
	ASSERT_EQ(-5, e.valid_from);

	snprintf(d.region, sizeof(d.region), "eu");
	snprintf(d.name, sizeof(d.name), "disks");
	d.not_after = (int64_t)1 << 35;
	ASSERT_EQ(0, kf_store_dataset_add(self->st, &d));
	snprintf(it.region, sizeof(it.region), "eu");
	snprintf(it.dataset, sizeof(it.dataset), "disks");
	snprintf(it.name, sizeof(it.name), "k");
	snprintf(it.recipient, sizeof(it.recipient), "h1");
	it.policy_len = 7;
	memcpy(it.policy, "\x00\x01\x00\xff\x80\x00\x7f", 7);
	it.sealed_len = sizeof(it.sealed);
	for (i = 0; i < it.sealed_len; i++)
		it.sealed[i] = (uint8_t)(i * 7 + 3);
	sealed_header(it.sealed, 1);
	ASSERT_EQ(0, kf_store_item_put(self->st, &it));
	ASSERT_EQ(1, it.version);
	ASSERT_LT(0, it.id);
	/* The version is the sealed item's, and only goes up. */
	sealed_header(it.sealed, 2);
	ASSERT_EQ(0, kf_store_item_put(self->st, &it));
	ASSERT_EQ(2, it.version);
	ASSERT_EQ(-ESTALE, kf_store_item_put(self->st, &it));
	ASSERT_EQ(2, it.newest);
	sealed_header(it.sealed, 1);
	ASSERT_EQ(-ESTALE, kf_store_item_put(self->st, &it));
	ASSERT_EQ(2, it.newest);
	sealed_header(it.sealed, 2);
	ASSERT_EQ(0, kf_store_fetch(self->st, &e, "k", &f));
	ASSERT_EQ(2, f.version);
	ASSERT_EQ(7, f.policy_len);
	ASSERT_EQ(0, memcmp(f.policy, it.policy, 7));
	ASSERT_EQ(it.sealed_len, f.sealed_len);
	ASSERT_EQ(0, memcmp(f.sealed, it.sealed, it.sealed_len));
	ASSERT_EQ((int64_t)1 << 35, f.ds.not_after);
	ASSERT_TRUE(f.allowed);
	ASSERT_EQ(-ENOENT, kf_store_fetch(self->st, &e, "none", &f));
	ASSERT_EQ(0, kf_store_item_list(self->st, "eu", item_cb, &got));
	ASSERT_EQ(2, got.version);
	ASSERT_FALSE(got.to_group);
	ASSERT_STREQ("h1", got.recipient);
	ASSERT_EQ(it.sealed_len, got.sealed_len);
	ASSERT_EQ(0, memcmp(got.owner_kid, it.sealed + 16, 8));
	/* Deleting one version leaves the other. */
	ASSERT_EQ(0, kf_store_item_delete(self->st, "eu", "k", "h1", 2));
	ASSERT_EQ(0, kf_store_fetch(self->st, &e, "k", &f));
	ASSERT_EQ(1, f.version);
	/* Enrolled, awaiting the authority's approval: not active. */
	ASSERT_EQ(KF_ENTITY_PENDING, e.state);
	ASSERT_EQ(0, kf_store_entity_count(self->st));
	ASSERT_EQ(0, kf_store_entity_revoke(self->st, "eu", "h1", "test"));
	ASSERT_EQ(0, kf_store_entity_get(self->st, "eu", "h1", &e));
	ASSERT_EQ(KF_ENTITY_REVOKED, e.state);
	ASSERT_EQ(10, audit_rows(self->st));
}

/* ---- several processes ------------------------------------------------- */

#define WRITERS 4
#define PER_WRITER 150

/* A process of its own, with its connection: regions w<i>-<n>. */
static pid_t writer(const char *db, int i)
{
	struct kf_store *st;
	char name[32];
	pid_t pid = fork();
	int n;

	if (pid)
		return pid;
	if (kf_store_open(&st, db, 0))
		_exit(1);
	kf_store_set_actor(st, "writer");
	for (n = 0; n < PER_WRITER; n++) {
		snprintf(name, sizeof(name), "w%d-%d", i, n);
		if (kf_store_region_add(st, name))
			_exit(2);
		/* And a record alone, the transfer path's kind. */
		if (kf_store_audit(st, "transfer", name, "ok", NULL))
			_exit(3);
	}
	kf_store_close(st);
	_exit(0);
}

TEST_F(store, writers_in_several_processes_keep_one_chain)
{
	pid_t pids[WRITERS];
	int i, status;

	for (i = 0; i < WRITERS; i++)
		pids[i] = writer(self->db, i);
	for (i = 0; i < WRITERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	/* Every record there once, seq 1..N without a gap, one chain. */
	ASSERT_EQ(1 + 2 * WRITERS * PER_WRITER, audit_rows(self->st));
	ASSERT_EQ(1 + 2 * WRITERS * PER_WRITER,
		  raw_count_on(self->db, "SELECT max(seq) FROM audit"));
	ASSERT_EQ(1 + WRITERS * PER_WRITER,
		  raw_count_on(self->db, "SELECT count(*) FROM regions"));
}

/*
 * A write transaction holds the chain: another process's change waits
 * for it and is recorded after it, never between its look-up and its
 * record.  Waiting is shown by order, on the one CLOCK_MONOTONIC of both
 * processes: the child's change, begun while the parent holds the
 * transaction, ends only after the parent began to end it (a wall-clock
 * minimum for the wait failed whenever the child was slow to wake).
 */
TEST_F(store, a_write_transaction_holds_the_chain)
{
	struct kf_store *other;
	uint64_t t0, t_end, t_done;
	int p[2], ready[2], status;
	char c = 0;
	pid_t pid;

	/* Forked before the transaction: the child must not inherit the
	 * process's writer lock taken. */
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	if (pid == 0) {
		if (kf_store_open(&other, self->db, 0))
			_exit(1);
		kf_store_set_actor(other, "other");
		/* Connected; now until the parent holds its transaction. */
		if (write(ready[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
			_exit(1);
		/* when the change began, then when it was done */
		t0 = kf_now_ns();
		if (write(ready[1], &t0, sizeof(t0)) != sizeof(t0))
			_exit(1);
		if (kf_store_region_add(other, "later"))
			_exit(2);
		t_done = kf_now_ns();
		_exit(write(ready[1], &t_done, sizeof(t_done)) == sizeof(t_done) ? 0 : 1);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, kf_store_write_begin(self->st));
	ASSERT_EQ(1, write(p[1], &c, 1));
	/* the child's change has begun: give it time to reach the lock */
	ASSERT_EQ(sizeof(t0), read(ready[0], &t0, sizeof(t0)));
	usleep(400000);
	ASSERT_EQ(0, kf_store_audit_in(self->st, "transfer", "first", "ok",
				       NULL));
	t_end = kf_now_ns();
	ASSERT_EQ(0, kf_store_write_end(self->st, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(sizeof(t_done), read(ready[0], &t_done, sizeof(t_done)));
	TH_LOG("the other process's change took %.0f ms",
	       (double)(t_done - t0) / 1e6);
	ASSERT_LE(t_end, t_done);
	ASSERT_EQ(2, raw_count_on(self->db, "SELECT seq FROM audit"
				  " WHERE subject = 'first'"));
	ASSERT_EQ(3, raw_count_on(self->db, "SELECT seq FROM audit"
				  " WHERE subject = 'later'"));
	ASSERT_EQ(3, audit_rows(self->st));
	close(p[0]);
	close(p[1]);
	close(ready[0]);
	close(ready[1]);
}

/*
 * An audit record that cannot be written fails its whole transaction, as
 * a transfer's batch ends it (with the first error): the records before
 * it in the same transaction are not in either, the chain verifies, and
 * the store's connection serves the next transaction as before (on
 * PostgreSQL, a failed statement leaves the transaction aborted until it
 * rolls back).  The record is refused by a trigger planted behind the
 * store's back.
 */
TEST_F(store, a_record_that_fails_fails_its_transaction)
{
	static const char lite_trigger[] =
		"CREATE TRIGGER planted BEFORE INSERT ON audit"
		" WHEN NEW.subject = 'doomed'"
		" BEGIN SELECT RAISE(ABORT, 'planted'); END";
	static const char pg_trigger[] =
		"CREATE FUNCTION planted() RETURNS trigger LANGUAGE plpgsql AS"
		" $$BEGIN IF NEW.subject = 'doomed' THEN"
		" RAISE EXCEPTION 'planted'; END IF; RETURN NEW; END$$;"
		" CREATE TRIGGER planted BEFORE INSERT ON audit"
		" FOR EACH ROW EXECUTE FUNCTION planted()";
	int64_t before = audit_rows(self->st);
	int ret;

	ASSERT_LT(0, before);
	ASSERT_EQ(0, raw_sql_on(self->db, test_pg() ? pg_trigger :
				lite_trigger));
	ASSERT_EQ(0, kf_store_write_begin(self->st));
	ASSERT_EQ(0, kf_store_audit_in(self->st, "transfer", "first", "ok",
				       NULL));
	ret = kf_store_audit_in(self->st, "transfer", "doomed", "ok", NULL);
	ASSERT_EQ(-EIO, ret);
	ASSERT_EQ(-EIO, kf_store_write_end(self->st, ret));
	ASSERT_EQ(before, audit_rows(self->st));
	ASSERT_EQ(0, raw_count_on(self->db, "SELECT count(*) FROM audit"
				  " WHERE subject = 'first'"));
	/* The connection is whole: the next transactions go through. */
	ASSERT_EQ(0, kf_store_audit(self->st, "transfer", "after", "ok", NULL));
	ASSERT_EQ(0, kf_store_write_begin(self->st));
	ASSERT_EQ(0, kf_store_audit_in(self->st, "transfer", "a", "ok", NULL));
	ASSERT_EQ(0, kf_store_audit_in(self->st, "transfer", "b", "ok", NULL));
	ASSERT_EQ(0, kf_store_write_end(self->st, 0));
	ASSERT_EQ(before + 3, audit_rows(self->st));
	ASSERT_EQ(before + 3, raw_count_on(self->db, "SELECT max(seq)"
					   " FROM audit"));
}

TEST_HARNESS_MAIN
