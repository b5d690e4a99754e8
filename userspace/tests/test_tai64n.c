// SPDX-License-Identifier: MIT
/*
 * TAI64N timestamps (userspace/lib/tai64n.c, docs/protocol.md section
 * 5.1): exact bytes, order, validity, and the sender's strictly increasing
 * sequence.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "keyferry.h"
#include "test_util.h"

TEST(exact_bytes)
{
	/* 2026-01-01T00:00:00.5Z: label 2^62 + 10 + 1767225600 */
	static const uint8_t want[12] = {
		0x40, 0, 0, 0, 0x69, 0x55, 0xb9, 0x0a, 0x1d, 0xcd, 0x65, 0x00,
	};
	/* the unix epoch: label 2^62 + 10 */
	static const uint8_t epoch[12] = {
		0x40, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0,
	};
	uint8_t ts[12];
	int64_t sec;
	uint32_t ns;

	kf_tai64n_from_unix(ts, 1767225600, 500000000);
	ASSERT_MEM(want, ts, 12);
	ASSERT_EQ(0, kf_tai64n_to_unix(ts, &sec, &ns));
	ASSERT_EQ(1767225600, sec);
	ASSERT_EQ(500000000, ns);
	kf_tai64n_from_unix(ts, 0, 0);
	ASSERT_MEM(epoch, ts, 12);
}

TEST(order_is_byte_order)
{
	uint8_t a[12], b[12];

	kf_tai64n_from_unix(a, 1767225600, 999999999);
	kf_tai64n_from_unix(b, 1767225601, 0);
	ASSERT_GT(0, kf_tai64n_compare(a, b));
	ASSERT_LT(0, kf_tai64n_compare(b, a));
	ASSERT_EQ(0, kf_tai64n_compare(a, a));
	kf_tai64n_from_unix(b, 1767225600, 999999998);
	ASSERT_LT(0, kf_tai64n_compare(a, b));
	ASSERT_GT(0, memcmp(b, a, 12));
}

TEST(validity)
{
	uint8_t ts[12];
	int64_t sec;
	uint32_t ns;

	kf_tai64n_from_unix(ts, 1767225600, 999999999);
	ASSERT_TRUE(kf_tai64n_valid(ts));
	kf_tai64n_from_unix(ts, 1767225600, 1000000000);
	ASSERT_FALSE(kf_tai64n_valid(ts));
	ASSERT_NE(0, kf_tai64n_to_unix(ts, &sec, &ns));
	kf_tai64n_from_unix(ts, 1767225600, 0);
	ts[0] = 0x80;
	ASSERT_FALSE(kf_tai64n_valid(ts));
	memset(ts, 0, 12);	/* before TAI64's 1970: odd, but well formed */
	ASSERT_TRUE(kf_tai64n_valid(ts));
}

TEST(now_is_now)
{
	uint8_t ts[12];
	int64_t sec;
	uint32_t ns;
	time_t t = time(NULL);
	struct timespec after;

	kf_tai64n_now(ts);
	/*
	 * Between two readings of the clock, however long the machine stalled
	 * (the second one as fine as kf_tai64n_now's: time() may lag it).
	 */
	clock_gettime(CLOCK_REALTIME, &after);
	ASSERT_EQ(0, kf_tai64n_to_unix(ts, &sec, &ns));
	ASSERT_LE(t, sec);
	ASSERT_GE(after.tv_sec, sec);
}

TEST(next_always_increases)
{
	uint8_t last[12] = { 0 }, prev[12], ts[12];
	int64_t sec;
	uint32_t ns;
	int i;

	kf_tai64n_next(ts, last);
	ASSERT_MEM(ts, last, 12);
	for (i = 0; i < 10000; i++) {
		memcpy(prev, ts, 12);
		kf_tai64n_next(ts, last);
		ASSERT_LT(0, kf_tai64n_compare(ts, prev));
		ASSERT_MEM(ts, last, 12);
	}
	/* a clock behind the last timestamp: one nanosecond more */
	kf_tai64n_from_unix(last, 4102444800, 999999999);	/* 2100 */
	kf_tai64n_next(ts, last);
	ASSERT_EQ(0, kf_tai64n_to_unix(ts, &sec, &ns));
	ASSERT_EQ(4102444801, sec);
	ASSERT_EQ(0, ns);
	ASSERT_MEM(ts, last, 12);
}

TEST_HARNESS_MAIN
