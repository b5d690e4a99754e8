// SPDX-License-Identifier: GPL-2.0
/* A test distributor's HTTP side: see httpd.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "httpd.h"
#include "uapi/linux/keyferry.h"

#define HTTPD_CAP (KEYFERRY_MESSAGE_MAX + 4096)

/* Headers and body (Content-Length) into buf; the body's offset in *at. */
static size_t httpd_read(int fd, uint8_t *buf, size_t cap, size_t *at)
{
	size_t len = 0, need = 0;
	const char *cl;
	uint8_t *end;
	ssize_t n;

	while (len < cap && (!need || len < need)) {
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			return 0;
		len += n;
		end = memmem(buf, len, "\r\n\r\n", 4);
		if (!need && end) {
			*at = end + 4 - buf;
			cl = memmem(buf, *at, "Content-Length: ", 16);
			need = *at + (cl ? strtoul(cl + 16, NULL, 10) : 0);
		}
	}
	return len;
}

static void httpd_one(int fd, httpd_answer_fn answer, void *arg, uint8_t *in, uint8_t *out)
{
	size_t len, at = 0, out_len = 0;
	char head[128];
	int status;

	len = httpd_read(fd, in, HTTPD_CAP, &at);
	if (!len)
		return;
	status = answer(in + at, len - at, out, HTTPD_CAP, &out_len, arg);
	if (status)
		out_len = 0;
	snprintf(head, sizeof(head), "HTTP/1.1 %d x\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n", status ? status : 200, out_len);
	if (write(fd, head, strlen(head)) < 0 || (out_len && write(fd, out, out_len) < 0))
		_exit(1);
}

pid_t httpd_start(int port, httpd_answer_fn answer, void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint8_t *in, *out;
	int ls, fd, one = 1;
	pid_t pid;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return -1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 8)) {
		close(ls);
		return -1;
	}
	pid = fork();
	if (pid) {
		close(ls);
		return pid;
	}
	in = malloc(HTTPD_CAP);
	out = malloc(HTTPD_CAP);
	if (!in || !out)
		_exit(1);
	for (;;) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0)
			_exit(1);
		httpd_one(fd, answer, arg, in, out);
		close(fd);
	}
}

void httpd_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
