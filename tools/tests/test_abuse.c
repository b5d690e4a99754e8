// SPDX-License-Identifier: MIT
/*
 * The repository against strangers (issue 11): each test plays a hostile
 * client with what such a client really has (the repository's public key,
 * fresh keys of its own, as many connections and loopback addresses as it
 * likes) and shows what it can no longer do: make the repository write,
 * run its cryptography faster than a per-address rate, hold its
 * connections by trickling bytes, hold every slot from a few addresses, or
 * replay an enrollment challenge.  And the audit log's retention: a prune
 * that keeps the rest of the chain verifiable.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "kf_test.h"

FIXTURE(abuse) {
	struct kf_env env;
	struct kf_client host;
};

FIXTURE_SETUP(abuse)
{
	ASSERT_EQ(0, env_setup(&self->env, 5));
	/* The server's own defaults here: they are what is tested. */
	self->env.rate_defaults = true;
	self->env.cfg.rate_count = 0;
	ASSERT_EQ(0, env_restart(&self->env));
	ASSERT_EQ(0, enroll_new(&self->env, &self->host, "h"));
}

FIXTURE_TEARDOWN(abuse)
{
	kf_client_wipe(&self->host);
	env_teardown(&self->env);
}

/*
 * A number that moves when anyone commits a write, and only then: on
 * SQLite the data_version of a connection the test keeps open (*db), on
 * PostgreSQL the next transaction id (a transaction that only reads is
 * given none; one that writes, or locks the audit chain, is).
 */
static int64_t write_mark(struct kf_env *e, sqlite3 **db)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (test_pg())
		return raw_count(e, "SELECT txid_snapshot_xmax("
				 "txid_current_snapshot())");
	if (!*db && sqlite3_open(e->db, db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(*db, "PRAGMA data_version", -1, &s, NULL))
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* A stranger: fresh keys, from a loopback address of its own. */
static int stranger(struct kf_env *e, struct kf_client *c, const char *from)
{
	if (kf_client_init(c, e->port, e->kd_pub))
		return -1;
	return from ? kf_httpc_set_source(&c->http, from) : 0;
}

/* An enrollment request with the given nonce and token. */
static int enroll_with(struct kf_client *c, const char *name,
		       const uint8_t nonce[KF_NONCE_SIZE], const char *tok,
		       struct kf_reply *rp)
{
	static struct kf_request rq;
	int http;

	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_ENROLL;
	strcpy(rq.region, "eu");
	snprintf(rq.entity, sizeof(rq.entity), "%s", name);
	rq.token_len = strlen(tok);
	memcpy(rq.token, tok, rq.token_len);
	memcpy(rq.nonce, nonce, KF_NONCE_SIZE);
	memcpy(rq.kec_pub, c->kec_pub, KF_KEY_SIZE);
	return kf_client_exchange(c, "/v1/enroll", &rq, rp, &http);
}

static int metric(struct kf_env *e, const char *line)
{
	static char out[16384];
	struct kf_httpc m;
	size_t len;
	int status, ret;

	kf_httpc_init(&m, e->metrics_port, 5000);
	ret = kf_httpc_request(&m, "GET", "/metrics", NULL, 0, &status,
			       (uint8_t *)out, sizeof(out) - 1, &len);
	kf_httpc_close(&m);
	if (ret || status != 200)
		return -1;
	out[len] = 0;
	return strstr(out, line) ? 1 : 0;
}

/*
 * Strangers used to make the repository write: each challenge was a
 * transaction, each message 1 from a fresh Kei an audit row under the
 * single writer.  Now none of them commits anything; their refusals are
 * counted and written as one aggregated record per kind.
 */
TEST_F(abuse, strangers_make_no_database_write)
{
	static uint8_t msg[KF_MESSAGE_MAX];
	uint8_t nonce[KF_NONCE_SIZE], junk[16];
	struct kf_client c;
	struct kf_noise ns;
	size_t mlen;
	int64_t before;
	sqlite3 *db = NULL;
	int i, status;
	char sql[256];

	self->env.cfg.rate_count = -1;	/* many requests from 127.0.0.1 */
	self->env.cfg.refusal_interval = 3600;
	ASSERT_EQ(0, env_restart(&self->env));
	before = write_mark(&self->env, &db);
	ASSERT_LE(0, before);
	for (i = 0; i < 30; i++) {
		/* A fresh Kei: the handshake completes, the entity is unknown. */
		ASSERT_EQ(0, stranger(&self->env, &c, NULL));
		ASSERT_EQ(0, kf_client_fetch(&c, "disk", &reply));
		ASSERT_EQ(KF_STATUS_UNKNOWN_ENTITY, reply.status);
		kf_client_wipe(&c);
	}
	ASSERT_EQ(0, stranger(&self->env, &c, NULL));
	for (i = 0; i < 10; i++) {
		/* A handshake around a payload that is not a request. */
		memset(junk, 0xee, sizeof(junk));
		ASSERT_EQ(0, kf_noise_initiator_write1(&ns, msg, sizeof(msg),
						       &mlen, c.kei_priv,
						       c.kd_pub, NULL, junk,
						       sizeof(junk)));
		kf_noise_wipe(&ns);
		ASSERT_EQ(0, kf_httpc_request(&c.http, "POST", "/v1/transfer",
					      msg, mlen, &status, msg,
					      sizeof(msg), &mlen));
		ASSERT_EQ(200, status);
	}
	for (i = 0; i < 10; i++) {
		/* Challenges cost nothing to ask for, and write nothing. */
		ASSERT_EQ(0, kf_client_challenge(&c, nonce));
		nonce[31] ^= 1;		/* forged */
		ASSERT_EQ(0, enroll_with(&c, "x", nonce, "not-a-token", &reply));
		ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);
		ASSERT_NE(NULL, strstr(reply.message, "nonce"));
		nonce[31] ^= 1;		/* genuine, but no such token */
		ASSERT_EQ(0, enroll_with(&c, "x", nonce, "not-a-token", &reply));
		ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);
		ASSERT_STREQ("unknown token", reply.message);
	}
	kf_client_wipe(&c);
	/* Nothing was committed by anyone. */
	ASSERT_EQ(before, write_mark(&self->env, &db));
	sqlite3_close(db);
	/* Each kind is one record, written when the interval ends (here:
	 * when the server stops). */
	kf_repo_stop(self->env.repo);
	self->env.repo = NULL;
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE "
			       "op = 'transfer' AND subject = '*' AND result = "
			       "'unknown_entity' AND detail LIKE "
			       "'aggregated count=30 %'"));
	ASSERT_EQ(1, raw_count(&self->env, "SELECT count(*) FROM audit WHERE "
			       "op = 'transfer' AND subject = '*' AND result = "
			       "'bad_request' AND detail LIKE "
			       "'aggregated count=10 %'"));
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE op = "
		 "'enroll' AND subject = '*' AND result = 'bad_token' AND ("
		 "detail LIKE 'aggregated count=10 %%why=nonce unknown or "
		 "expired %%' OR detail LIKE 'aggregated count=10 %%why=unknown "
		 "token %%')");
	ASSERT_EQ(2, raw_count(&self->env, sql));
	ASSERT_EQ(0, raw_count(&self->env, "SELECT count(*) FROM audit WHERE "
			       "subject LIKE 'kei:%'"));
	ASSERT_EQ(0, ADMIN(&self->env, "audit verify"));
}

/* The refusals of a known entity are still its own records. */
TEST_F(abuse, a_known_entity_is_still_audited_one_by_one)
{
	ASSERT_EQ(0, kf_client_fetch(&self->host, "nothing", &reply));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, reply.status);
	ASSERT_EQ(0, kf_client_fetch(&self->host, "nothing", &reply));
	ASSERT_EQ(2, raw_count(&self->env, "SELECT count(*) FROM audit WHERE "
			       "op = 'transfer' AND subject = 'eu/h' AND "
			       "result = 'no_item'"));
}

/*
 * More messages 1 from one address than its bucket holds get 429 with
 * Retry-After, before any cryptography or database work (the server
 * counts no handshake for them); another address is not affected.
 */
TEST_F(abuse, one_address_is_rate_limited_before_any_work)
{
	struct kf_client c, other;
	char ra[16];
	int i, http, ok = 0, limited = 0;
	static struct kf_request rq;

	self->env.cfg.rate_count = 1;
	self->env.cfg.rate_period = 3600;
	self->env.cfg.rate_burst = 5;
	ASSERT_EQ(0, env_restart(&self->env));
	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	rq.n_items = 1;
	strcpy(rq.items[0], "disk");
	for (i = 0; i < 12; i++) {
		ASSERT_EQ(0, stranger(&self->env, &c, "127.0.0.3"));
		if (kf_client_exchange(&c, "/v1/transfer", &rq, &reply,
				       &http) == 0) {
			ASSERT_EQ(KF_STATUS_UNKNOWN_ENTITY, reply.status);
			ok++;
		} else {
			ASSERT_EQ(429, http);
			ASSERT_NE(NULL, kf_httpc_header(&c.http, "Retry-After",
							ra, sizeof(ra)));
			/* One token an hour: the next one in an hour. */
			ASSERT_STREQ("3600", ra);
			limited++;
		}
		kf_client_wipe(&c);
	}
	ASSERT_EQ(5, ok);
	ASSERT_EQ(7, limited);
	/* Only the 5 let in were handshakes; the 7 were refused before. */
	ASSERT_EQ(1, metric(&self->env, "keyferry_transfers_total{kind=\"fetch\","
			    "result=\"unknown_entity\"} 5\n"));
	ASSERT_EQ(1, metric(&self->env, "keyferry_refusals_total{reason="
			    "\"address_rate_limited\"} 7\n"));
	/* Another address has its own bucket. */
	ASSERT_EQ(0, stranger(&self->env, &other, "127.0.0.4"));
	ASSERT_EQ(0, kf_client_fetch(&other, "disk", &reply));
	ASSERT_EQ(KF_STATUS_UNKNOWN_ENTITY, reply.status);
	kf_client_wipe(&other);
}

/* With the defaults (20/s, burst 40), a burst of 100 is cut short. */
TEST_F(abuse, the_default_rate_cuts_a_flood)
{
	struct kf_client c;
	uint8_t nonce[KF_NONCE_SIZE];
	int i, ok = 0;

	ASSERT_EQ(0, stranger(&self->env, &c, "127.0.0.5"));
	for (i = 0; i < 100; i++)
		ok += kf_client_challenge(&c, nonce) == 0;
	kf_client_wipe(&c);
	TH_LOG("%d of 100 challenges from one address answered", ok);
	ASSERT_LE(40, ok);
	ASSERT_GT(60, ok);
}

/*
 * A challenge is stateless, yet used once: the enrollment that consumes
 * it records it in its own transaction, a replay is refused; it expires;
 * a forged one is refused; and one made before a restart of the server
 * (or by another server with the same key) still serves.
 */
TEST_F(abuse, challenges_are_single_use_expire_and_survive_a_restart)
{
	uint8_t nonce[KF_NONCE_SIZE], old[KF_NONCE_SIZE];
	struct kf_client a, b, d;
	char tok[80];

	/*
	 * A TTL of an hour where the challenge must be good (a loaded machine
	 * may take seconds between a challenge and its use), 3 s where it must
	 * have expired.
	 */
	self->env.cfg.nonce_ttl = 3600;
	ASSERT_EQ(0, env_restart(&self->env));
	ASSERT_EQ(0, stranger(&self->env, &a, NULL));
	ASSERT_EQ(0, kf_client_challenge(&a, nonce));
	ASSERT_EQ(0, make_token(&self->env, "eu", NULL, tok));
	ASSERT_EQ(0, enroll_with(&a, "a", nonce, tok, &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	/* Recorded by the enrollment (the fixture's host made the first). */
	ASSERT_EQ(2, raw_count(&self->env, "SELECT count(*) FROM used_nonces"));
	/* Replayed, with another key and another good token. */
	ASSERT_EQ(0, stranger(&self->env, &b, NULL));
	ASSERT_EQ(0, make_token(&self->env, "eu", NULL, tok));
	ASSERT_EQ(0, enroll_with(&b, "b", nonce, tok, &reply));
	ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);
	ASSERT_STREQ("nonce already used", reply.message);
	/* Expired: 5 s after it was made, whatever the machine's pace. */
	self->env.cfg.nonce_ttl = 3;
	ASSERT_EQ(0, env_restart(&self->env));
	kf_httpc_init(&b.http, self->env.port, 5000);
	ASSERT_EQ(0, kf_client_challenge(&b, nonce));
	sleep(5);
	ASSERT_EQ(0, enroll_with(&b, "b", nonce, tok, &reply));
	ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);
	ASSERT_STREQ("nonce unknown, used or expired", reply.message);
	/* Made before a restart: still good. */
	self->env.cfg.nonce_ttl = 3600;
	ASSERT_EQ(0, kf_client_challenge(&b, old));
	ASSERT_EQ(0, env_restart(&self->env));
	kf_httpc_init(&b.http, self->env.port, 5000);
	ASSERT_EQ(0, enroll_with(&b, "b", old, tok, &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	/* Time and random bytes of our making, a MAC of someone else's. */
	ASSERT_EQ(0, stranger(&self->env, &d, NULL));
	ASSERT_EQ(0, kf_client_challenge(&d, nonce));
	ASSERT_EQ(0, kf_random(nonce + 16, 16));
	ASSERT_EQ(0, make_token(&self->env, "eu", NULL, tok));
	ASSERT_EQ(0, enroll_with(&d, "d", nonce, tok, &reply));
	ASSERT_EQ(KF_STATUS_BAD_TOKEN, reply.status);
	kf_client_wipe(&a);
	kf_client_wipe(&b);
	kf_client_wipe(&d);
}

/* A connection sending the beginning of a request, a byte at a time. */
static int open_trickle(uint16_t port, const char *from)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sockaddr_in src = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	inet_pton(AF_INET, from, &src.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, "P", 1, MSG_NOSIGNAL) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Closed by the server: readable with nothing to read, or reset. */
static bool closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/*
 * Slow clients that send a byte every 500 ms (well inside the idle
 * timeout) are cut at the 3 s deadline whatever their pace, while a
 * normal client is served all along, and a kept-alive connection that
 * completes its requests lives on past the deadline.  Cut no sooner than
 * the deadline, and no later than three times it (a loaded machine sees
 * the cut late); the idle timeout is 10 s so that a stall of this process
 * cannot pass for the deadline.
 */
TEST_F(abuse, trickling_clients_are_cut_at_the_deadline)
{
	static const char req[] = "POST /v1/transfer HTTP/1.1\r\nHost: x\r\n"
				  "Content-Length: 200\r\n\r\n";
	uint64_t t0, cut_at[8] = { 0 };
	struct kf_client normal;
	int fds[8], i, step, n_cut = 0, served = 0, keepalive_fd;

	self->env.cfg.request_deadline = 3;
	self->env.cfg.conn_timeout = 10;	/* idle */
	ASSERT_EQ(0, env_restart(&self->env));
	normal = self->host;
	kf_httpc_init(&normal.http, self->env.port, 5000);
	ASSERT_EQ(0, kf_httpc_set_source(&normal.http, "127.0.0.6"));
	ASSERT_EQ(0, kf_client_fetch(&normal, "x", &reply));
	keepalive_fd = normal.http.fd;
	t0 = kf_now_ns();
	for (i = 0; i < 8; i++) {
		fds[i] = open_trickle(self->env.port, "127.0.0.7");
		ASSERT_LE(0, fds[i]);
	}
	/* until all are cut and the kept-alive client outlived the deadline; 30 s by the clock */
	for (step = 0; (n_cut < 8 || since(t0) < 5) && since(t0) < 30; step++) {
		usleep(500000);
		for (i = 0; i < 8; i++) {
			if (cut_at[i])
				continue;
			if (closed(fds[i]) ||
			    send(fds[i], req + 1 + (step + 1) % (sizeof(req) - 2), 1,
				 MSG_NOSIGNAL) != 1) {
				cut_at[i] = kf_now_ns() - t0;
				n_cut++;
			}
		}
		/* The normal client, on its kept-alive connection. */
		if (kf_client_fetch(&normal, "x", &reply) == 0 &&
		    reply.status == KF_STATUS_NOT_AVAILABLE)
			served++;
	}
	for (i = 0; i < 8; i++) {
		TH_LOG("slow client %d cut after %.1f s", i,
		       (double)cut_at[i] / 1e9);
		ASSERT_NE(0, cut_at[i]);
		ASSERT_LE(2900000000ull, cut_at[i]);
		ASSERT_GE(9000000000ull, cut_at[i]);
		close(fds[i]);
	}
	ASSERT_EQ(step, served);
	/* Its requests completed every 500 ms: never past the deadline. */
	ASSERT_EQ(keepalive_fd, normal.http.fd);
	kf_httpc_close(&normal.http);
	ASSERT_EQ(1, metric(&self->env, "keyferry_refusals_total{reason="
			    "\"request_deadline\"} 8\n"));
}

/*
 * "Four clients sending a byte every 9 s hold every connection slot":
 * with the default limits (1024 connections, 32 per address), four
 * addresses opening 300 connections each keep 32 each; a fifth address is
 * served.
 */
/* How many of each address's connections are open; true when none holds more than max. */
static bool held_at_most(int fds[4][300], int open_now[4], int max)
{
	bool ok = true;
	int a, i;

	for (a = 0; a < 4; a++) {
		open_now[a] = 0;
		for (i = 0; i < 300; i++)
			open_now[a] += fds[a][i] >= 0 && !closed(fds[a][i]);
		ok &= open_now[a] <= max;
	}
	return ok;
}

TEST_F(abuse, four_addresses_cannot_hold_every_slot)
{
	static int fds[4][300];
	static const char *from[4] = { "127.0.0.11", "127.0.0.12",
				       "127.0.0.13", "127.0.0.14" };
	struct rlimit rl;
	struct kf_client c;
	int a, i, open_now[4] = { 0 };

	/* Client and server sockets in one process. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = rl.rlim_max;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_LE(4000, rl.rlim_cur);
	for (a = 0; a < 4; a++)
		for (i = 0; i < 300; i++)
			fds[a][i] = open_trickle(self->env.port, from[a]);
	/* until the server has accepted and cut the excess: 30 s by the clock */
	KF_WAIT(held_at_most(fds, open_now, 32), 30);
	for (a = 0; a < 4; a++) {
		TH_LOG("%s holds %d connections", from[a], open_now[a]);
		ASSERT_EQ(32, open_now[a]);
	}
	c = self->host;
	kf_httpc_init(&c.http, self->env.port, 5000);
	ASSERT_EQ(0, kf_httpc_set_source(&c.http, "127.0.0.15"));
	ASSERT_EQ(0, kf_client_fetch(&c, "x", &reply));
	ASSERT_EQ(KF_STATUS_NOT_AVAILABLE, reply.status);
	kf_httpc_close(&c.http);
	for (a = 0; a < 4; a++)
		for (i = 0; i < 300; i++)
			if (fds[a][i] >= 0)
				close(fds[a][i]);
}

/* ---- audit retention ---------------------------------------------------- */

struct head {
	int64_t seq;
	char hex[65];
};

static int last_head(void *ctx, const struct kf_audit_rec *r)
{
	struct head *h = ctx;

	h->seq = r->seq;
	kf_hex(h->hex, r->hash, 32);
	return 0;
}

/*
 * Prune the records older than a point in time: the prune is audited, the
 * rest verifies from the prune point, a head kept after the point can
 * still be checked, one before it cannot (and says so), and the prune
 * point can be neither moved nor bypassed without the verification
 * failing.
 */
TEST_F(abuse, audit_prune_keeps_the_chain_verifiable)
{
	struct kf_audit_span sp;
	struct head early = { 0 }, mid = { 0 };
	int64_t rows, bad, n_before, cut;
	char sql[256];
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, kf_client_fetch(&self->host, "old", &reply));
	ASSERT_EQ(0, kf_store_audit_list(self->env.st, 2, 1, last_head,
					 &early));
	n_before = raw_count(&self->env, "SELECT max(seq) FROM audit");
	sleep(2);
	cut = kf_now();
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, kf_client_fetch(&self->host, "new", &reply));
	ASSERT_EQ(0, kf_store_audit_list(self->env.st, n_before + 2, 1,
					 last_head, &mid));
	/* Not in the future; not nothing. */
	ASSERT_EQ(1, ADMIN(&self->env, "audit prune --before +1h"));
	ASSERT_EQ(2, ADMIN(&self->env, "audit prune"));
	ASSERT_EQ(0, ADMIN(&self->env, "audit prune --before %lld",
			   (long long)cut));
	ASSERT_EQ(0, kf_store_audit_span(self->env.st, &sp));
	ASSERT_EQ(n_before, sp.pruned_seq);
	ASSERT_EQ(0, raw_count(&self->env, "SELECT count(*) FROM audit WHERE "
			       "op = 'transfer' AND detail LIKE 'items=old%'"));
	ASSERT_EQ(3, raw_count(&self->env, "SELECT count(*) FROM audit WHERE "
			       "op = 'transfer' AND detail LIKE 'items=new%'"));
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE op = "
		 "'admin.audit.prune' AND detail LIKE 'through=%lld hash=%% "
		 "records=%lld before=%lld'", (long long)n_before,
		 (long long)n_before, (long long)cut);
	ASSERT_EQ(1, raw_count(&self->env, sql));
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(sp.head_seq - n_before, rows);
	ASSERT_EQ(0, ADMIN(&self->env, "audit verify"));
	/* Heads kept earlier: after the prune point, checkable... */
	ASSERT_EQ(0, ADMIN(&self->env, "audit verify --head %lld:%s",
			   (long long)mid.seq, mid.hex));
	mid.hex[0] = mid.hex[0] == '0' ? '1' : '0';
	ASSERT_EQ(1, ADMIN(&self->env, "audit verify --head %lld:%s",
			   (long long)mid.seq, mid.hex));
	/* ...before it, not any more, and it says so. */
	ASSERT_EQ(1, ADMIN(&self->env, "audit verify --head %lld:%s",
			   (long long)early.seq, early.hex));
	/* Pruning again with nothing older changes nothing. */
	ASSERT_EQ(0, ADMIN(&self->env, "audit prune --before %lld",
			   (long long)cut - 100));
	ASSERT_EQ(0, kf_store_audit_span(self->env.st, &sp));
	ASSERT_EQ(n_before, sp.pruned_seq);

	/* SQLite refuses removing a record past the point, or moving the
	 * point back. */
	ASSERT_NE(0, raw_sql(&self->env, "DELETE FROM audit WHERE seq = (SELECT"
			     " max(seq) FROM audit)"));
	ASSERT_NE(0, raw_sql(&self->env, "UPDATE audit_pruned SET seq = 1"));
	ASSERT_NE(0, raw_sql(&self->env, "DELETE FROM audit_pruned"));
}

/*
 * One old transfer, two seconds, four new ones, and a prune of what is
 * older than the new ones; then the guard against deletes is dropped, as
 * someone with the database file would.  0 when all went as planned.
 */
static int prune_old_then_unguard(struct kf_env *e, struct kf_client *host)
{
	int64_t rows, bad, cut;
	int i;

	if (kf_client_fetch(host, "old", &reply))
		return -1;
	sleep(2);
	cut = kf_now();
	for (i = 0; i < 4; i++)
		if (kf_client_fetch(host, "new", &reply))
			return -1;
	if (ADMIN(e, "audit prune --before %lld", (long long)cut) ||
	    kf_store_audit_verify(e->st, &rows, &bad))
		return -1;
	return raw_sql(e, BY_BACKEND("DROP TRIGGER audit_no_delete; ",
				     "DROP TRIGGER audit_no_delete ON audit; "));
}

/* Someone with the file moves the prune point on to hide records. */
TEST_F(abuse, audit_prune_point_cannot_be_moved_quietly)
{
	int64_t rows, bad;

	ASSERT_EQ(0, prune_old_then_unguard(&self->env, &self->host));
	/* Two more records gone, the point moved onto the second's hash: the
	 * chain from there is intact, but the prune record disagrees. */
	ASSERT_EQ(0, raw_sql(&self->env,
			     "UPDATE audit_pruned SET seq = seq + 2, hash = "
			     "(SELECT hash FROM audit WHERE seq = "
			     "(SELECT seq FROM audit_pruned) + 2)"));
	ASSERT_EQ(0, raw_sql(&self->env, "DELETE FROM audit WHERE seq <= "
			     "(SELECT seq FROM audit_pruned)"));
	ASSERT_EQ(-EBADMSG, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(1, ADMIN(&self->env, "audit verify"));
}

/* A record removed right after the prune point, point left alone. */
TEST_F(abuse, audit_removal_after_a_prune_is_detected)
{
	int64_t rows, bad, first;

	ASSERT_EQ(0, prune_old_then_unguard(&self->env, &self->host));
	first = raw_count(&self->env, "SELECT min(seq) FROM audit");
	ASSERT_EQ(0, raw_sql(&self->env, "DELETE FROM audit WHERE seq = "
			     "(SELECT min(seq) FROM audit)"));
	ASSERT_EQ(-EBADMSG, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(first + 1, bad);
}

TEST_HARNESS_MAIN
