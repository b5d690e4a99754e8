// SPDX-License-Identifier: MIT
/*
 * The Kec fingerprint (docs/protocol.md section 2.1): how an owner checks,
 * out of band, that the Kec-pub it is about to seal to is the one the
 * host's secure processor made, and not one the distributor put in its
 * database.  SHA-256 over a label and the key, all 256 bits, in hex
 * grouped by four digits so that a person can compare it.  The Kei
 * fingerprint is the same with its own label: what `keyferry replace`
 * asks for, to name the identity it is about to throw away.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "keyferry.h"

#define FP_LABEL_KEC	"keyferry/2 kec"
#define FP_LABEL_KEI	"keyferry/2 kei"
#define FP_BYTES	32

static void fingerprint_bytes(uint8_t md[FP_BYTES], const char *label,
			      const uint8_t pub[KF_KEY_SIZE])
{
	/* Fails only if OpenSSL is broken: zeros then match no typed text
	 * that came from a working host. */
	if (kf_sha256(md, label, strlen(label), pub, KF_KEY_SIZE))
		memset(md, 0, FP_BYTES);
}

static void fingerprint_text(char out[KF_FINGERPRINT_LEN + 1], const char *label,
			     const uint8_t pub[KF_KEY_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[FP_BYTES];
	size_t i, o = 0;

	fingerprint_bytes(md, label, pub);
	for (i = 0; i < FP_BYTES; i++) {
		if (i && !(i % 2))
			out[o++] = '-';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 0xf];
	}
	out[o] = '\0';
}

void kf_kec_fingerprint(char out[KF_FINGERPRINT_LEN + 1],
			const uint8_t kec_pub[KF_KEY_SIZE])
{
	fingerprint_text(out, FP_LABEL_KEC, kec_pub);
}

void kf_kei_fingerprint(char out[KF_FINGERPRINT_LEN + 1],
			const uint8_t kei_pub[KF_KEY_SIZE])
{
	fingerprint_text(out, FP_LABEL_KEI, kei_pub);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kf_fingerprint_parse(uint8_t out[32], const char *text)
{
	size_t digits = 0;
	int v;

	if (!out || !text)
		return -EINVAL;
	for (; *text; text++) {
		if (*text == '-' || *text == ':')
			continue;
		v = hex_value(*text);
		if (v < 0 || digits == 2 * FP_BYTES)
			return -EINVAL;
		if (digits % 2)
			out[digits / 2] |= (uint8_t)v;
		else
			out[digits / 2] = (uint8_t)(v << 4);
		digits++;
	}
	return digits == 2 * FP_BYTES ? 0 : -EINVAL;
}

static bool fingerprint_matches(const char *label, const uint8_t pub[KF_KEY_SIZE],
				const char *text)
{
	uint8_t want[FP_BYTES], md[FP_BYTES];

	if (kf_fingerprint_parse(want, text))
		return false;
	fingerprint_bytes(md, label, pub);
	return kf_equal(md, want, FP_BYTES);
}

bool kf_kec_fingerprint_matches(const uint8_t kec_pub[KF_KEY_SIZE],
				const char *text)
{
	return fingerprint_matches(FP_LABEL_KEC, kec_pub, text);
}

bool kf_kei_fingerprint_matches(const uint8_t kei_pub[KF_KEY_SIZE],
				const char *text)
{
	return fingerprint_matches(FP_LABEL_KEI, kei_pub, text);
}
