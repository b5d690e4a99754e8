// SPDX-License-Identifier: MIT
/*
 * Every HTTP handler of the repository (tools/repo/server.c and what it
 * calls), through libmicrohttpd itself: each input is the bytes a client
 * sends on one connection to the server on loopback, then half-closed; the
 * harness reads what the server answers until it closes, or says nothing
 * more for 150 ms (libmicrohttpd 0.9.75 sometimes misses a client's
 * half-close after pipelined requests and keeps the connection until its
 * timeout, which the deadline bounds: tests/test_abuse.c), and closes.  A
 * real store and key (fuzz/repo.h).  Every response must be HTTP/1.x with
 * a status the server sends.
 *
 * (A socket pair handed over with MHD_add_connection() would save the TCP
 * handshake, but libmicrohttpd 0.9.75 then neither noticed the peer's
 * half-close nor timed the connection out.)
 */
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "fuzz/repo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kf_repo *repo;

/* Statuses the repository's handlers (the admin endpoint's 403, 409 and
 * 422 included) and libmicrohttpd may send; never 500, an internal error. */
static bool expected_status(int s)
{
	static const int ok[] = { 200, 400, 403, 404, 405, 408, 409, 413, 414,
				  417, 422, 429, 431, 501, 503, 505 };
	unsigned int i;

	for (i = 0; i < KF_ARRAY_SIZE(ok); i++)
		if (s == ok[i])
			return true;
	return false;
}

/* Read the answer until the server closes or pauses; check each status. */
static void drain(int fd)
{
	static char buf[1 << 17];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t have = 0;
	ssize_t n;
	char *at;
	int status;

	for (;;) {
		if (poll(&p, 1, 150) != 1)
			break;
		n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have == sizeof(buf) - 1)
			have = 0;	/* only the heads matter */
	}
	buf[have] = 0;
	for (at = buf; (at = strstr(at, "HTTP/1.")); at += 7) {
		if (sscanf(at, "HTTP/1.%*d %d", &status) == 1 &&
		    !expected_status(status))
			fuzz_fail("repo_http: unexpected status");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;

	if (!repo) {
		repo = repo_start();
		if (!repo)
			abort();
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(kf_repo_port(repo));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fuzz_fail("repo_http: cannot connect to the server");
	/* The server may answer and close before reading it all. */
	if (size && send(fd, data, size, MSG_NOSIGNAL) < 0) {
		close(fd);
		return 0;
	}
	shutdown(fd, SHUT_WR);
	drain(fd);
	close(fd);
	return 0;
}
