// SPDX-License-Identifier: MIT
/*
 * The repository under bad input and faults: garbage, truncated, oversized
 * and slow requests get a clear error and never stop it serving others;
 * a kill -9 in the middle of transfers and admin writes loses no committed
 * record and leaves an audit chain that verifies.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "kf_test.h"

static struct kf_client *enrolled;

FIXTURE(robust) {
	struct kf_env env;
	struct kf_client host;
	struct kf_httpc raw;
};

FIXTURE_SETUP(robust)
{
	char tok[80];

	/* A 1 s idle timeout so that the slow-client tests end quickly. */
	ASSERT_EQ(0, env_setup(&self->env, 1));
	ASSERT_EQ(0, kf_client_init(&self->host, self->env.port,
				    self->env.kd_pub));
	ASSERT_EQ(0, make_token(&self->env, "eu", NULL, tok));
	ASSERT_EQ(0, kf_client_enroll(&self->host, "eu", "h", tok, &reply));
	ASSERT_EQ(KF_STATUS_OK, reply.status);
	kf_httpc_init(&self->raw, self->env.port, 5000);
	enrolled = &self->host;
}

/* Processes a test forked, killed whatever way the test ends. */
static pid_t children[4];

static void reap_children(void)
{
	unsigned int i;

	for (i = 0; i < KF_ARRAY_SIZE(children); i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
		children[i] = 0;
	}
}

FIXTURE_TEARDOWN(robust)
{
	reap_children();
	kf_httpc_close(&self->raw);
	kf_client_wipe(&self->host);
	env_teardown(&self->env);
}

/* The server still answers the enrolled host's transfer (no item "x"). */

static int still_serving(struct kf_env *e)
{
	struct kf_client c = *enrolled;
	int ret;

	kf_httpc_init(&c.http, e->port, 5000);	/* a connection of its own */
	ret = kf_client_fetch(&c, "x", &reply);
	kf_httpc_close(&c.http);
	return ret ? ret : (int)reply.status;
}

static int post(struct kf_httpc *h, const char *path, const void *b,
		size_t n, char *out, size_t cap)
{
	size_t len;
	int status;

	if (kf_httpc_request(h, "POST", path, b, n, &status, (uint8_t *)out,
			     cap - 1, &len))
		return -1;
	out[len < cap ? len : cap - 1] = 0;
	return status;
}

TEST_F(robust, garbage_truncated_and_misaddressed_messages)
{
	static uint8_t msg[KF_MESSAGE_MAX];
	static struct kf_request rq;
	uint8_t payload[256];
	struct kf_noise st;
	size_t plen, mlen;
	char out[256];

	ASSERT_EQ(0, kf_random(msg, 500));
	ASSERT_EQ(400, post(&self->raw, "/v1/transfer", msg, 500, out,
			    sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "not a keyferry message"));
	ASSERT_EQ(400, post(&self->raw, "/v1/transfer", "", 0, out,
			    sizeof(out)));

	/* A real message 1, then broken in several ways. */
	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	rq.n_items = 1;
	strcpy(rq.items[0], "x");
	ASSERT_EQ(0, kf_request_encode(&rq, payload, sizeof(payload), &plen));
	ASSERT_EQ(0, kf_noise_initiator_write1(&st, msg, sizeof(msg), &mlen,
					       self->host.kei_priv,
					       self->host.kd_pub, NULL,
					       payload, plen));
	kf_noise_wipe(&st);
	ASSERT_EQ(400, post(&self->raw, "/v1/transfer", msg, 100, out,
			    sizeof(out)));			/* truncated */
	ASSERT_EQ(400, post(&self->raw, "/v1/transfer", msg, mlen - 1, out,
			    sizeof(out)));			/* tag cut */
	ASSERT_NE(NULL, strstr(out, "handshake failed"));
	msg[60] ^= 1;						/* flipped */
	ASSERT_EQ(400, post(&self->raw, "/v1/transfer", msg, mlen, out,
			    sizeof(out)));
	msg[60] ^= 1;
	msg[8] ^= 1;						/* other kid */
	ASSERT_EQ(400, post(&self->raw, "/v1/transfer", msg, mlen, out,
			    sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "key this repository does not hold"));
	msg[8] ^= 1;
	ASSERT_EQ(200, post(&self->raw, "/v1/transfer", msg, mlen, out,
			    sizeof(out)));			/* intact */
	ASSERT_EQ(404, post(&self->raw, "/v2/nothing", msg, mlen, out,
			    sizeof(out)));
	ASSERT_EQ(KF_STATUS_NO_ITEM, still_serving(&self->env));
}

TEST_F(robust, malformed_payload_gets_an_authenticated_refusal)
{
	static uint8_t msg[KF_MESSAGE_MAX], payload[64];
	struct kf_noise st;
	size_t mlen, plen;
	int status;

	/* A valid handshake around a payload that is not a request. */
	memset(payload, 0xff, 16);
	ASSERT_EQ(0, kf_noise_initiator_write1(&st, msg, sizeof(msg), &mlen,
					       self->host.kei_priv,
					       self->host.kd_pub, NULL,
					       payload, 16));
	ASSERT_EQ(0, kf_httpc_request(&self->raw, "POST", "/v1/transfer", msg,
				      mlen, &status, msg, sizeof(msg), &mlen));
	ASSERT_EQ(200, status);
	ASSERT_EQ(0, kf_noise_initiator_read2(&st, payload, sizeof(payload),
					      &plen, msg, mlen));
	ASSERT_EQ(0, kf_reply_decode(&reply, payload, plen));
	ASSERT_EQ(KF_STATUS_BAD_REQUEST, reply.status);
	kf_noise_wipe(&st);
}

TEST_F(robust, oversized_bodies_are_refused)
{
	static uint8_t big[KF_MESSAGE_MAX + 100];
	char out[256], head[256];
	size_t len;
	int status;

	ASSERT_EQ(413, post(&self->raw, "/v1/transfer", big, sizeof(big), out,
			    sizeof(out)));
	kf_httpc_close(&self->raw);
	/* Declared huge, never sent: refused on the header alone. */
	ASSERT_EQ(0, kf_httpc_connect(&self->raw));
	snprintf(head, sizeof(head), "POST /v1/transfer HTTP/1.1\r\nHost: x\r\n"
		 "Content-Length: 1000000000\r\n\r\n");
	ASSERT_EQ(0, kf_httpc_send_raw(&self->raw, head, strlen(head)));
	ASSERT_EQ(0, kf_httpc_read_response(&self->raw, &status,
					    (uint8_t *)out, sizeof(out),
					    &len));
	ASSERT_EQ(413, status);
	/* Chunked, with no length up front, and too long. */
	kf_httpc_close(&self->raw);
	ASSERT_EQ(0, kf_httpc_connect(&self->raw));
	snprintf(head, sizeof(head), "POST /v1/transfer HTTP/1.1\r\nHost: x\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n9000\r\n");
	ASSERT_EQ(0, kf_httpc_send_raw(&self->raw, head, strlen(head)));
	ASSERT_EQ(0, kf_httpc_send_raw(&self->raw, big, 0x9000));
	ASSERT_EQ(0, kf_httpc_send_raw(&self->raw, "\r\n0\r\n\r\n", 7));
	ASSERT_EQ(0, kf_httpc_read_response(&self->raw, &status,
					    (uint8_t *)out, sizeof(out),
					    &len));
	ASSERT_EQ(413, status);
	ASSERT_EQ(KF_STATUS_NO_ITEM, still_serving(&self->env));
}

TEST_F(robust, garbage_http_is_refused)
{
	static const char junk[] = "\x16\x03\x01\x02\x00 not http at all\r\n\r\n";
	uint8_t out[256];
	ssize_t n;

	ASSERT_EQ(0, kf_httpc_connect(&self->raw));
	ASSERT_EQ(0, kf_httpc_send_raw(&self->raw, junk, sizeof(junk) - 1));
	/* Either a 400 or a closed connection, and soon. */
	n = recv(self->raw.fd, out, sizeof(out), 0);
	ASSERT_LE(0, n);
	if (n > 0)
		ASSERT_EQ(0, memcmp(out, "HTTP/1.1 400", 12));
	ASSERT_EQ(KF_STATUS_NO_ITEM, still_serving(&self->env));
}

static int open_slow(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	/* Half a request line, then nothing. */
	if (send(fd, "POST /v1/tr", 11, MSG_NOSIGNAL) != 11)
		return -1;
	return fd;
}

TEST_F(robust, slowloris_costs_a_slot_and_then_its_connection)
{
	struct pollfd p;
	uint64_t t0;
	int fds[64], i;
	char c;

	for (i = 0; i < 64; i++) {
		fds[i] = open_slow(self->env.port);
		ASSERT_LE(0, fds[i]);
	}
	/* Others are served while the slow ones hang... */
	ASSERT_EQ(KF_STATUS_NO_ITEM, still_serving(&self->env));
	/* ...and the slow ones are dropped by the idle timeout (1 s). */
	t0 = kf_now_ns();
	for (i = 0; i < 64; i++) {
		p.fd = fds[i];
		p.events = POLLIN;
		ASSERT_EQ(1, poll(&p, 1, 5000));
		ASSERT_GE(0, recv(fds[i], &c, 1, 0));
		close(fds[i]);
	}
	ASSERT_GT(5000000000ull, kf_now_ns() - t0);
	ASSERT_EQ(KF_STATUS_NO_ITEM, still_serving(&self->env));
}

TEST_F(robust, one_address_cannot_take_every_slot)
{
	int fds[300], i, n = 0, refused = 0;
	uint64_t t0;
	char c;

	/* 256 connections per address by default; the rest are closed at
	 * once, so the other addresses keep their slots. */
	for (i = 0; i < 300; i++) {
		fds[i] = open_slow(self->env.port);
		if (fds[i] >= 0)
			n++;
	}
	t0 = kf_now_ns();
	for (i = 256; i < 300; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		int left = 3000 - (int)((kf_now_ns() - t0) / 1000000);

		if (fds[i] >= 0 && poll(&p, 1, left > 0 ? left : 0) == 1 &&
		    recv(fds[i], &c, 1, 0) <= 0)
			refused++;
	}
	TH_LOG("%d connected, %d of the last 44 closed at once", n, refused);
	ASSERT_LT(40, refused);
	for (i = 0; i < 300; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

TEST_F(robust, healthz_and_metrics)
{
	char out[16384];
	size_t len;
	int status;

	ASSERT_EQ(0, kf_client_fetch(&self->host, "x", &reply));
	ASSERT_EQ(0, kf_httpc_request(&self->raw, "GET", "/healthz", NULL, 0,
				      &status, (uint8_t *)out, sizeof(out),
				      &len));
	ASSERT_EQ(200, status);
	ASSERT_EQ(0, kf_httpc_request(&self->raw, "GET", "/metrics", NULL, 0,
				      &status, (uint8_t *)out,
				      sizeof(out) - 1, &len));
	ASSERT_EQ(200, status);
	out[len] = 0;
	ASSERT_NE(NULL, strstr(out, "keyferry_transfers_total{kind=\"fetch\","
			       "result=\"no_item\"} 1\n"));
	ASSERT_NE(NULL, strstr(out, "keyferry_transfers_total{kind=\"enroll\","
			       "result=\"ok\"} 1\n"));
	ASSERT_NE(NULL, strstr(out, "keyferry_enrolled_entities 1\n"));
	ASSERT_NE(NULL, strstr(out, "keyferry_transfer_seconds_count 2\n"));
	ASSERT_NE(NULL, strstr(out, "keyferry_refusals_total{reason="
			       "\"no_item\"} 1\n"));
	ASSERT_EQ(0, kf_httpc_request(&self->raw, "PUT", "/metrics", NULL, 0,
				      &status, (uint8_t *)out, sizeof(out),
				      &len));
	ASSERT_EQ(405, status);
}

/* ---- checkpoints -------------------------------------------------------- */

/*
 * SQLite's WAL-reset bug (store_sqlite.c): no connection may checkpoint
 * when it commits; only the server does, holding the write lock.  Only a
 * checkpoint writes the database file in WAL mode, so with the server
 * stopped the file must not change, however much is committed.
 */
TEST_F(robust, commits_leave_checkpoints_to_the_server)
{
	struct stat before, after;
	char name[32];
	int i;

	kf_repo_stop(self->env.repo);	/* and its checkpoints */
	self->env.repo = NULL;
	ASSERT_EQ(0, stat(self->env.db, &before));
	/* About 3 pages a commit: past SQLite's default of a checkpoint
	 * every 1000 pages of log. */
	for (i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		ASSERT_EQ(0, kf_store_region_add(self->env.st, name));
	}
	ASSERT_EQ(0, stat(self->env.db, &after));
	EXPECT_EQ(before.st_size, after.st_size);
	EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	/* The server's own checkpoint, on its way out, does write it. */
	ASSERT_EQ(0, env_start(&self->env, 1));
	kf_repo_stop(self->env.repo);
	self->env.repo = NULL;
	ASSERT_EQ(0, stat(self->env.db, &after));
	EXPECT_LT(before.st_size, after.st_size);
}

/* ---- kill -9 ------------------------------------------------------------ */

static pid_t fork_server(struct kf_env *e, int pipefd[2])
{
	struct kf_repo_config cfg = { 0 };
	struct kf_repo *r;
	uint16_t port;
	pid_t pid = fork();

	if (pid)
		return pid;
	cfg.db_path = e->db;
	cfg.key_paths[0] = e->key;
	cfg.n_keys = 1;
	if (kf_repo_start(&r, &cfg))
		_exit(1);
	port = kf_repo_port(r);
	if (write(pipefd[1], &port, sizeof(port)) != sizeof(port))
		_exit(1);
	for (;;)
		pause();
}

/* Admin writes in a loop; each success is reported on the pipe. */
static pid_t fork_admin(struct kf_env *e, int pipefd[2])
{
	struct kf_store *st;
	char name[32];
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	if (kf_store_open(&st, e->db, 0))
		_exit(1);
	kf_store_set_actor(st, "admin:test");
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		if (kf_store_region_add(st, name))
			_exit(1);
		if (write(pipefd[1], &i, sizeof(i)) != sizeof(i))
			_exit(1);
	}
	_exit(0);
}

/* Transfers in a loop; each answered one is reported on the pipe. */
static pid_t fork_fetcher(const struct kf_client *host, uint16_t port,
			  int pipefd[2])
{
	struct kf_client c = *host;
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	kf_httpc_init(&c.http, port, 5000);
	for (i = 0; i < 100000; i++) {
		if (kf_client_fetch(&c, "x", &reply) ||
		    reply.status != KF_STATUS_NO_ITEM)
			_exit(1);
		if (write(pipefd[1], &i, sizeof(i)) != sizeof(i))
			_exit(1);
	}
	_exit(0);
}

/* Read what the pipe holds now, keeping the last value. */
static void drain(int fd, int *last)
{
	int v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		*last = v;
}

TEST_F(robust, kill_9_loses_no_committed_record)
{
	int sp[2], ap[2], fp[2], i, last = -1, answered = -1;
	uint16_t port;
	int64_t rows, bad, n;
	char sql[128];

	kf_repo_stop(self->env.repo);	/* the forked one takes over */
	self->env.repo = NULL;
	ASSERT_EQ(0, pipe(sp));
	ASSERT_EQ(0, pipe(ap));
	ASSERT_EQ(0, pipe(fp));
	children[0] = fork_server(&self->env, sp);
	ASSERT_EQ(sizeof(port), read(sp[0], &port, sizeof(port)));
	children[1] = fork_admin(&self->env, ap);
	children[2] = fork_fetcher(&self->host, port, fp);
	/* Drained as we go, so the writers never wait on a full pipe. */
	ASSERT_EQ(0, fcntl(ap[0], F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, fcntl(fp[0], F_SETFL, O_NONBLOCK));
	/* Until both have done some work (bounded: a loaded machine is slow). */
	for (i = 0; i < 500 && (answered < 50 || last < 50); i++) {
		usleep(10000);
		drain(ap[0], &last);
		drain(fp[0], &answered);
	}
	/* All die in the middle of whatever they are writing. */
	reap_children();
	close(ap[1]);
	close(fp[1]);
	fcntl(ap[0], F_SETFL, 0);
	fcntl(fp[0], F_SETFL, 0);
	drain(ap[0], &last);
	drain(fp[0], &answered);
	TH_LOG("%d transfers answered, %d admin writes confirmed",
	       answered + 1, last + 1);
	ASSERT_LT(10, answered);
	ASSERT_LT(10, last);
	/* Every answered transfer and every confirmed write is there. */
	ASSERT_LE(answered + 1, raw_count(&self->env, "SELECT count(*) FROM "
					  "audit WHERE op = 'transfer'"));
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM regions WHERE name ="
		 " 'r%d'", last);
	ASSERT_EQ(1, raw_count(&self->env, sql));
	n = raw_count(&self->env, "SELECT count(*) FROM regions");
	ASSERT_LE(last + 2, n);		/* eu, r0..r<last> at least */
	ASSERT_EQ(0, kf_store_audit_verify(self->env.st, &rows, &bad));
	ASSERT_EQ(0, raw_sql(&self->env, "PRAGMA integrity_check"));
	/* And it starts again. */
	ASSERT_EQ(0, env_start(&self->env, 1));
	ASSERT_EQ(KF_STATUS_NO_ITEM, still_serving(&self->env));
}

TEST_HARNESS_MAIN
