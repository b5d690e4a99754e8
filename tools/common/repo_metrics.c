// SPDX-License-Identifier: MIT
/*
 * The repository's metrics, in Prometheus text format.  Counters are
 * process-wide relaxed atomics: a scrape may see one transfer counted in
 * the total and not yet in the histogram, which Prometheus tolerates.
 */
#include <stdio.h>

#include "tools/common/repo_impl.h"

#define N_STATUS 10
static const double bucket_s[] = {
	0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1.0,
};
#define N_BUCKETS (sizeof(bucket_s) / sizeof(bucket_s[0]))

static uint64_t transfers[2][N_STATUS];	/* [enroll][status] */
static uint64_t hist[N_BUCKETS + 1];
static uint64_t lat_sum_ns, lat_count;
static uint64_t refusals[KF_REFUSE_MAX];

const char *kf_status_label(uint32_t status)
{
	static const char *const label[N_STATUS] = {
		"ok", "unknown_entity", "revoked", "not_valid", "forbidden",
		"no_item", "rate_limited", "bad_token", "bad_request",
		"internal",
	};

	return status < N_STATUS ? label[status] : "invalid";
}

static const char *const refusal_name[KF_REFUSE_MAX] = {
	[KF_REFUSE_MALFORMED] = "malformed_message",
	[KF_REFUSE_UNKNOWN_KEY] = "unknown_repository_key",
	[KF_REFUSE_HANDSHAKE] = "handshake_failed",
	[KF_REFUSE_TOO_LARGE] = "too_large",
	[KF_REFUSE_NOT_FOUND] = "not_found",
	[KF_REFUSE_METHOD] = "bad_method",
	[KF_REFUSE_INTERNAL] = "internal",
};

static void add(uint64_t *c, uint64_t v)
{
	__atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void kf_metrics_transfer(bool enroll, uint32_t status, uint64_t ns)
{
	double s = (double)ns / 1e9;
	unsigned int i;

	if (status >= N_STATUS)
		status = KF_STATUS_INTERNAL;
	add(&transfers[enroll][status], 1);
	for (i = 0; i < N_BUCKETS && s > bucket_s[i]; i++)
		;
	add(&hist[i], 1);
	add(&lat_sum_ns, ns);
	add(&lat_count, 1);
}

void kf_metrics_refusal(enum kf_http_refusal why)
{
	if (why < KF_REFUSE_MAX)
		add(&refusals[why], 1);
}

#define OUT(...) do { \
	int n_ = snprintf(buf + off, cap > off ? cap - off : 0, __VA_ARGS__); \
	if (n_ > 0) \
		off += (size_t)n_; \
} while (0)

static size_t render_transfers(char *buf, size_t cap, size_t off)
{
	unsigned int k, s;

	OUT("# HELP keyferry_transfers_total Completed handshakes by kind and "
	    "result.\n# TYPE keyferry_transfers_total counter\n");
	for (k = 0; k < 2; k++)
		for (s = 0; s < N_STATUS; s++)
			OUT("keyferry_transfers_total{kind=\"%s\",result=\"%s\"} "
			    "%llu\n", k ? "enroll" : "fetch", kf_status_label(s),
			    (unsigned long long)get(&transfers[k][s]));
	OUT("# HELP keyferry_refusals_total Requests refused, by reason "
	    "(authenticated refusals and HTTP-level ones).\n"
	    "# TYPE keyferry_refusals_total counter\n");
	for (s = 1; s < N_STATUS; s++)
		OUT("keyferry_refusals_total{reason=\"%s\"} %llu\n",
		    kf_status_label(s), (unsigned long long)
		    (get(&transfers[0][s]) + get(&transfers[1][s])));
	for (s = 0; s < KF_REFUSE_MAX; s++)
		OUT("keyferry_refusals_total{reason=\"%s\"} %llu\n",
		    refusal_name[s], (unsigned long long)get(&refusals[s]));
	return off;
}

static size_t render_latency(char *buf, size_t cap, size_t off)
{
	uint64_t cum = 0;
	unsigned int i;

	OUT("# HELP keyferry_transfer_seconds Time from message 1 received to "
	    "message 2 ready.\n# TYPE keyferry_transfer_seconds histogram\n");
	for (i = 0; i < N_BUCKETS; i++) {
		cum += get(&hist[i]);
		OUT("keyferry_transfer_seconds_bucket{le=\"%g\"} %llu\n",
		    bucket_s[i], (unsigned long long)cum);
	}
	cum += get(&hist[N_BUCKETS]);
	OUT("keyferry_transfer_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)cum);
	OUT("keyferry_transfer_seconds_sum %.9f\n",
	    (double)get(&lat_sum_ns) / 1e9);
	OUT("keyferry_transfer_seconds_count %llu\n",
	    (unsigned long long)get(&lat_count));
	return off;
}

size_t kf_metrics_render(struct kf_repo *r, char *buf, size_t cap)
{
	struct kf_store *st = kf_repo_store(r);
	int64_t n = st ? kf_store_entity_count(st) : -1;
	size_t off = 0;

	off = render_transfers(buf, cap, off);
	off = render_latency(buf, cap, off);
	OUT("# HELP keyferry_enrolled_entities Active enrolled entities.\n"
	    "# TYPE keyferry_enrolled_entities gauge\n"
	    "keyferry_enrolled_entities %lld\n", (long long)n);
	return off < cap ? off : cap;
}
