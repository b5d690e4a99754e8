/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer harnesses (fuzz/fuzz_*.c) and the program that
 * writes their seed corpora (fuzz/mkseeds.c): fixed keys, so that a seed
 * made once still means something to the harness (a message 1 addressed to
 * the harness's distributor key, an item sealed to its Kec), and an input
 * written to a file for the decoders that read files.
 *
 * Header only: each harness is its own program.  Nothing here is secret;
 * these keys exist only for fuzzing.
 */
#ifndef KF_FUZZ_H
#define KF_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include "keyferry.h"

/* X25519 private keys (any 32 bytes are one) and an unwrapping key. */
static const uint8_t fuzz_kd_priv[KF_KEY_SIZE] = {
	0x4b, 0x64, 0x20, 0x6f, 0x66, 0x20, 0x74, 0x68, 0x65, 0x20, 0x66, 0x75,
	0x7a, 0x7a, 0x65, 0x72, 0x73, 0x2c, 0x20, 0x6e, 0x65, 0x76, 0x65, 0x72,
	0x20, 0x72, 0x65, 0x61, 0x6c, 0x21, 0x21, 0x21,
};
static const uint8_t fuzz_kei_priv[KF_KEY_SIZE] = {
	0x4b, 0x65, 0x69, 0x20, 0x6f, 0x66, 0x20, 0x61, 0x20, 0x66, 0x75, 0x7a,
	0x7a, 0x65, 0x64, 0x20, 0x68, 0x6f, 0x73, 0x74, 0x2c, 0x20, 0x6e, 0x65,
	0x76, 0x65, 0x72, 0x20, 0x72, 0x65, 0x61, 0x6c,
};
static const uint8_t fuzz_kec_priv[KF_KEY_SIZE] = {
	0x4b, 0x65, 0x63, 0x20, 0x6f, 0x66, 0x20, 0x61, 0x20, 0x66, 0x75, 0x7a,
	0x7a, 0x65, 0x64, 0x20, 0x68, 0x6f, 0x73, 0x74, 0x2c, 0x20, 0x6e, 0x65,
	0x76, 0x65, 0x72, 0x20, 0x72, 0x65, 0x61, 0x6c,
};
static const uint8_t fuzz_eph_priv[KF_KEY_SIZE] = {
	0x65, 0x70, 0x68, 0x65, 0x6d, 0x65, 0x72, 0x61, 0x6c, 0x20, 0x6f, 0x66,
	0x20, 0x74, 0x68, 0x65, 0x20, 0x66, 0x75, 0x7a, 0x7a, 0x20, 0x73, 0x65,
	0x65, 0x64, 0x73, 0x2c, 0x20, 0x66, 0x69, 0x78,
};
/* The data owner's key Ko (protocol version 2 seals alg 1 items with it). */
static const uint8_t fuzz_ko_priv[KF_KEY_SIZE] = {
	0x4b, 0x6f, 0x20, 0x6f, 0x66, 0x20, 0x74, 0x68, 0x65, 0x20, 0x66, 0x75,
	0x7a, 0x7a, 0x65, 0x64, 0x20, 0x6f, 0x77, 0x6e, 0x65, 0x72, 0x2c, 0x20,
	0x6e, 0x65, 0x76, 0x65, 0x72, 0x20, 0x21, 0x21,
};
static const uint8_t fuzz_kw[KF_KEY_SIZE] = {
	0x4b, 0x77, 0x20, 0x6f, 0x66, 0x20, 0x74, 0x68, 0x65, 0x20, 0x66, 0x75,
	0x7a, 0x7a, 0x65, 0x72, 0x73, 0x2c, 0x20, 0x75, 0x6e, 0x77, 0x72, 0x61,
	0x70, 0x20, 0x6d, 0x65, 0x20, 0x21, 0x21, 0x21,
};

#define FUZZ_REGION	"eu"
#define FUZZ_ITEM	"disk1"
/* The enrollment token the repository harnesses' store knows. */
#define FUZZ_TOKEN	"fuzz-token-0123456789abcdef0123456789abcdef0123456789abc"

/*
 * libFuzzer's -close_fd_mask=2 closes stderr, so the next socket or file
 * would become fd 2, and a program's messages to stderr would go into it:
 * into a client's connection, for the server.  /dev/null takes fd 2.
 */
static inline void fuzz_stderr_to_null(void)
{
	if (fcntl(2, F_GETFD) < 0 && open("/dev/null", O_WRONLY) != 2)
		abort();
}

/*
 * The input as a file, for the decoders whose interface is a path: one
 * file per process in a private directory (on tmpfs when /dev/shm is
 * there), rewritten for each input and removed when the process ends.
 */
static char fuzz_dir[64], fuzz_path[96];

static inline void fuzz_file_cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	int fd;

	if (!fuzz_dir[0]) {
		fuzz_stderr_to_null();
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/kffuzz.XXXXXX",
			 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
		if (!mkdtemp(fuzz_dir))
			abort();
		snprintf(fuzz_path, sizeof(fuzz_path), "%s/input", fuzz_dir);
		atexit(fuzz_file_cleanup);
	}
	fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	return fuzz_path;
}

/*
 * A finding of the harness's own checks: said on the sanitizers' report
 * stream (libFuzzer keeps it open when -close_fd_mask closes stderr), then
 * a crash, which libFuzzer records with its input.
 */
static inline __attribute__((noreturn)) void fuzz_fail(const char *why)
{
	__sanitizer_report_error_summary(why);
	abort();
}

#define FUZZ_STR2(x) #x
#define FUZZ_STR(x) FUZZ_STR2(x)
/* The check that failed, as file:line, for fuzz_fail(). */
#define FUZZ_WHERE __FILE__ ":" FUZZ_STR(__LINE__) ": check failed"

/* A decoded object must encode back to exactly its input (section 5:
 * payloads are canonical).  A difference is a finding. */
static inline void fuzz_same(const uint8_t *a, size_t alen, const uint8_t *b,
			     size_t blen, const char *what)
{
	char why[128];

	if (alen != blen || memcmp(a, b, alen)) {
		snprintf(why, sizeof(why), "%s: decoded and re-encoded bytes "
			 "differ (%zu bytes in, %zu out)", what, alen, blen);
		fuzz_fail(why);
	}
}

#endif /* KF_FUZZ_H */
