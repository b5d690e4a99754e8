/* SPDX-License-Identifier: MIT */
/*
 * The tools' command-line plumbing, shared by every tool and the server:
 * messages (log.c), clocks (time.c), option values (parse.c), whole files
 * (file.c), hex and JSON (text.c), a server's signals (signals.c) and
 * allocator (heap.c).  Nothing here holds state.
 */
#ifndef KF_TOOLS_CLI_H
#define KF_TOOLS_CLI_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* log.c: the program name printed in front of messages. */
void kf_set_progname(const char *name);
void kf_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kf_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int kf_verbose;

/* time.c */
int64_t kf_now(void);		/* unix seconds */
uint64_t kf_now_ns(void);	/* CLOCK_MONOTONIC nanoseconds */
/* "2026-11-24T01:00:00Z"; buf holds at least 32 bytes. 0 prints "-". */
const char *kf_fmt_time(char *buf, size_t cap, int64_t t);

/*
 * parse.c: parse, naming the field in the message on failure: a decimal
 * number in [min, max]; a duration "30", "30s", "15m", "12h", "7d"; a time
 * as unix seconds, "+duration" from now, or "YYYY-MM-DDTHH:MM:SSZ"; a rate
 * "N/PERIOD".
 */
int kf_parse_u64(const char *field, const char *s, uint64_t min, uint64_t max,
		 uint64_t *out);
int kf_parse_duration(const char *field, const char *s, uint64_t *out);
int kf_parse_time(const char *field, const char *s, int64_t *out);
int kf_parse_name(const char *field, const char *s);
/* "N/PERIOD": N (1 to 2^32 - 1) per a duration of 1 s to 2^32 - 1 s. */
int kf_parse_rate(const char *field, const char *s, uint32_t *count,
		  uint32_t *period);

/*
 * file.c: read a whole file (path "-" is stdin) of at most max bytes into
 * a fresh buffer, NUL-terminated for convenience.  The caller wipes and
 * frees it.
 */
int kf_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
/* Write atomically (temp file + rename) with the given mode. */
int kf_write_file(const char *path, const void *buf, size_t len,
		  unsigned int mode);

/*
 * signals.c: a server's foreground life.  Block SIGTERM, SIGINT and
 * SIGHUP (and ignore SIGPIPE) before starting threads; then wait for
 * one that stops it (SIGHUP does not), and return it.
 */
void kf_signals_block(sigset_t *set);
int kf_signals_wait(const sigset_t *set);

/* heap.c: a server's allocator settings, before any thread starts. */
void kf_heap_for_server(void);

/* text.c */
void kf_hex(char *out, const uint8_t *in, size_t len);	/* out: 2*len+1 */
void kf_json_str(const char *s);	/* prints a JSON string to stdout */
/* A message into buf, cut at cap - 1 bytes when longer (reasons given to
 * people, where a cut is better than no message). */
void kf_msg(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* KF_TOOLS_CLI_H */
