// SPDX-License-Identifier: MIT
/*
 * TAI64N timestamps (docs/protocol.md sections 3.3 and 5.1), as
 * WireGuard's handshake carries them: the label u64(2^62 + 10 + unix
 * seconds), then u32(nanoseconds), big-endian.  The 10 is the TAI-UTC
 * offset of 1972 that the TAI64 convention keeps; what matters here is
 * only that every sender and receiver use the same one, and that the
 * bytes compare like the times they stand for.
 */
#include <string.h>
#include <time.h>

#include "keyferry.h"

#define TAI64_BASE	((UINT64_C(1) << 62) + 10)
#define NSEC_PER_SEC	1000000000u

void kf_tai64n_from_unix(uint8_t ts[KF_TIMESTAMP_SIZE], int64_t sec,
			 uint32_t nsec)
{
	kf_put_be(ts, TAI64_BASE + (uint64_t)sec, 8);
	kf_put_be(ts + 8, nsec, 4);
}

bool kf_tai64n_valid(const uint8_t ts[KF_TIMESTAMP_SIZE])
{
	/* Labels from 2^63 on are reserved by the TAI64 convention. */
	return !(ts[0] & 0x80) && kf_get_be(ts + 8, 4) < NSEC_PER_SEC;
}

int kf_tai64n_to_unix(const uint8_t ts[KF_TIMESTAMP_SIZE], int64_t *sec,
		      uint32_t *nsec)
{
	if (!kf_tai64n_valid(ts))
		return -1;
	*sec = (int64_t)(kf_get_be(ts, 8) - TAI64_BASE);
	*nsec = (uint32_t)kf_get_be(ts + 8, 4);
	return 0;
}

int kf_tai64n_compare(const uint8_t a[KF_TIMESTAMP_SIZE],
		      const uint8_t b[KF_TIMESTAMP_SIZE])
{
	return memcmp(a, b, KF_TIMESTAMP_SIZE);
}

void kf_tai64n_now(uint8_t ts[KF_TIMESTAMP_SIZE])
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	kf_tai64n_from_unix(ts, t.tv_sec, (uint32_t)t.tv_nsec);
}

/* ts + 1 ns, carrying into the seconds */
static void add_one_ns(uint8_t ts[KF_TIMESTAMP_SIZE])
{
	uint32_t ns = (uint32_t)kf_get_be(ts + 8, 4) + 1;

	if (ns == NSEC_PER_SEC) {
		kf_put_be(ts, kf_get_be(ts, 8) + 1, 8);
		ns = 0;
	}
	kf_put_be(ts + 8, ns, 4);
}

void kf_tai64n_next(uint8_t ts[KF_TIMESTAMP_SIZE],
		    uint8_t last[KF_TIMESTAMP_SIZE])
{
	kf_tai64n_now(ts);
	if (kf_tai64n_compare(ts, last) <= 0) {
		memcpy(ts, last, KF_TIMESTAMP_SIZE);
		add_one_ns(ts);
	}
	memcpy(last, ts, KF_TIMESTAMP_SIZE);
}
