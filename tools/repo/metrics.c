// SPDX-License-Identifier: MIT
/*
 * The repository's metrics, in Prometheus text format, served on a
 * listener of their own (--metrics-listen, loopback by default): they tell
 * who is refused and how often, which is the operator's to know, not the
 * network's.  Counters are process-wide relaxed atomics: a scrape may see
 * one transfer counted in the total and not yet in the histogram, which
 * Prometheus tolerates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"

#include "tools/repo/internal.h"

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
static uint64_t syncs[N_STATUS], sync_rows;
static uint64_t admin_applied, admin_refused;

const char *kf_status_label(uint32_t status)
{
	static const char *const label[N_STATUS] = {
		"ok", "unknown_entity", "revoked", "not_valid",
		"not_available", NULL, "rate_limited", "bad_token",
		"bad_request", "internal",
	};

	return status < N_STATUS && label[status] ? label[status] : "invalid";
}

/* Status 5 ("no such item" in version 1) is never sent any more. */
static bool status_sent(unsigned int s)
{
	return s != 5;
}

static const char *const refusal_name[KF_REFUSE_MAX] = {
	[KF_REFUSE_MALFORMED] = "malformed_message",
	[KF_REFUSE_UNKNOWN_KEY] = "unknown_repository_key",
	[KF_REFUSE_HANDSHAKE] = "handshake_failed",
	[KF_REFUSE_TOO_LARGE] = "too_large",
	[KF_REFUSE_NOT_FOUND] = "not_found",
	[KF_REFUSE_METHOD] = "bad_method",
	[KF_REFUSE_INTERNAL] = "internal",
	[KF_REFUSE_ADDRESS_RATE] = "address_rate_limited",
	[KF_REFUSE_DEADLINE] = "request_deadline",
	[KF_REFUSE_REPLAY] = "replayed_request",
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

void kf_metrics_sync(uint32_t status, unsigned int rows)
{
	if (status >= N_STATUS)
		status = KF_STATUS_INTERNAL;
	add(&syncs[status], 1);
	add(&sync_rows, rows);
}

void kf_metrics_refusal(enum kf_http_refusal why)
{
	if (why < KF_REFUSE_MAX)
		add(&refusals[why], 1);
}

void kf_metrics_admin(int ret)
{
	add(ret ? &admin_refused : &admin_applied, 1);
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
	for (k = 0; k < 2; k++) {
		for (s = 0; s < N_STATUS; s++) {
			if (!status_sent(s))
				continue;
			OUT("keyferry_transfers_total{kind=\"%s\",result=\"%s\"}"
			    " %llu\n", k ? "enroll" : "fetch",
			    kf_status_label(s),
			    (unsigned long long)get(&transfers[k][s]));
		}
	}
	OUT("# HELP keyferry_refusals_total Requests refused, by reason "
	    "(authenticated refusals and HTTP-level ones).\n"
	    "# TYPE keyferry_refusals_total counter\n");
	for (s = 1; s < N_STATUS; s++)
		if (status_sent(s))
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

static size_t render_sync(char *buf, size_t cap, size_t off)
{
	unsigned int s;

	OUT("# HELP keyferry_provider_syncs_total Providers' exchanges with "
	    "this repository, by result.\n"
	    "# TYPE keyferry_provider_syncs_total counter\n");
	for (s = 0; s < N_STATUS; s++)
		if (get(&syncs[s]))
			OUT("keyferry_provider_syncs_total{result=\"%s\"} "
			    "%llu\n", s == 1 ? "unknown_provider" : s == 2 ?
			    "retired" : kf_status_label(s),
			    (unsigned long long)get(&syncs[s]));
	OUT("# HELP keyferry_provider_sync_rows_total Rows sent to providers.\n"
	    "# TYPE keyferry_provider_sync_rows_total counter\n"
	    "keyferry_provider_sync_rows_total %llu\n",
	    (unsigned long long)get(&sync_rows));
	return off;
}

size_t kf_metrics_render(struct kf_repo *r, char *buf, size_t cap)
{
	struct kf_store *st = kf_repo_store(r);
	int64_t n = st ? kf_store_entity_count(st) : -1;
	size_t off = 0;

	uint64_t commits = 0, batched = 0;

	if (r->batch)
		kf_batch_stats(r->batch, &commits, &batched);
	off = render_transfers(buf, cap, off);
	off = render_latency(buf, cap, off);
	OUT("# HELP keyferry_admin_submissions_total Signed statements and "
	    "item requests submitted, by result.\n"
	    "# TYPE keyferry_admin_submissions_total counter\n"
	    "keyferry_admin_submissions_total{result=\"applied\"} %llu\n"
	    "keyferry_admin_submissions_total{result=\"refused\"} %llu\n",
	    (unsigned long long)get(&admin_applied),
	    (unsigned long long)get(&admin_refused));
	OUT("# HELP keyferry_transfer_commits_total Store transactions that "
	    "carried transfers' audit records (group commit).\n"
	    "# TYPE keyferry_transfer_commits_total counter\n"
	    "keyferry_transfer_commits_total %llu\n"
	    "# HELP keyferry_transfer_records_total Transfers' audit records "
	    "in them.\n# TYPE keyferry_transfer_records_total counter\n"
	    "keyferry_transfer_records_total %llu\n",
	    (unsigned long long)commits, (unsigned long long)batched);
	OUT("# HELP keyferry_enrolled_entities Active enrolled entities.\n"
	    "# TYPE keyferry_enrolled_entities gauge\n"
	    "keyferry_enrolled_entities %lld\n", (long long)n);
	off = render_sync(buf, cap, off);
	if (r->cfg.metrics)
		off = r->cfg.metrics(r->cfg.ctx, buf, cap, off);
	return off < cap ? off : cap;
}

/* ---- the listener ----------------------------------------------------- */

static enum MHD_Result metrics_handler(void *cls, struct MHD_Connection *c,
				       const char *url, const char *method,
				       const char *version, const char *upload,
				       size_t *upload_size, void **con_cls)
{
	static const char not_found[] = "no such endpoint\n";
	static __thread char buf[16384];
	struct kf_repo *r = cls;
	struct MHD_Response *resp;
	unsigned int status = MHD_HTTP_OK;
	enum MHD_Result ret;
	size_t n;

	if (strcmp(method, MHD_HTTP_METHOD_GET) || strcmp(url, "/metrics")) {
		status = MHD_HTTP_NOT_FOUND;
		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1,
						       (void *)not_found,
						       MHD_RESPMEM_PERSISTENT);
	} else {
		n = kf_metrics_render(r, buf, sizeof(buf));
		resp = MHD_create_response_from_buffer(n, buf,
						       MHD_RESPMEM_MUST_COPY);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ?
				"text/plain; version=0.0.4" :
				"text/plain; charset=utf-8");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* "ADDR:PORT" or "ADDR" (port 7371), IPv4. */
static int parse_listen(const char *s, struct sockaddr_in *sa)
{
	char addr[64];
	const char *colon = strrchr(s, ':');
	uint64_t port = 7371;
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	if (n >= sizeof(addr))
		goto bad;
	memcpy(addr, s, n);
	addr[n] = 0;
	if (colon && kf_parse_u64("--metrics-listen port", colon + 1, 0, 65535,
				  &port))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa->sin_addr) == 1)
		return 0;
bad:
	kf_err("--metrics-listen: '%s' is not ADDR:PORT (IPv4) or off", s);
	return -EINVAL;
}

int kf_metrics_listen(struct kf_repo *r)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;
	int ret;

	if (!strcmp(r->cfg.metrics_listen, "off"))
		return 0;
	ret = parse_listen(r->cfg.metrics_listen, &sa);
	if (ret)
		return ret;
	/* One thread, few connections: a scraper or two. */
	r->metrics_mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ERROR_LOG, 0, NULL, NULL, metrics_handler, r,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_TIMEOUT, r->cfg.conn_timeout,
		MHD_OPTION_CONNECTION_LIMIT, 16,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
		MHD_OPTION_END);
	if (!r->metrics_mhd) {
		kf_err("cannot listen on %s for /metrics (--metrics-listen)",
		       r->cfg.metrics_listen);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(r->metrics_mhd, MHD_DAEMON_INFO_BIND_PORT);
	r->metrics_port = info ? info->port : ntohs(sa.sin_port);
	return 0;
}

void kf_metrics_stop(struct kf_repo *r)
{
	if (r->metrics_mhd)
		MHD_stop_daemon(r->metrics_mhd);
	r->metrics_mhd = NULL;
}
