/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A distributor's HTTP side for the VM tests, on 127.0.0.1: a forked
 * process that answers each POST (one per connection) with what the
 * test's function makes of its body, so a test can stand where a
 * repository stands, hostile or not, for the real helper (keyferry fetch,
 * keyferry daemon).
 */
#ifndef KEYFERRY_SELFTEST_HTTPD_H
#define KEYFERRY_SELFTEST_HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The reply body for req into out (cap bytes); 0, or an HTTP status. */
typedef int (*httpd_answer_fn)(const uint8_t *req, size_t len, uint8_t *out, size_t cap,
			       size_t *out_len, void *arg);

/* Listening before it returns: the server's pid, or -1. */
pid_t httpd_start(int port, httpd_answer_fn answer, void *arg);
void httpd_stop(pid_t pid);

#endif /* KEYFERRY_SELFTEST_HTTPD_H */
