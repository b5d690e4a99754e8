// SPDX-License-Identifier: MIT
/*
 * The repository's HTTP front: libmicrohttpd with an internal thread pool
 * (one thread per core, epoll), bounded bodies, connection timeouts, an
 * absolute deadline per request (deadline.c), a cap on the connections of
 * one address and a per-connection memory limit, so that garbage, huge or
 * slow clients cost a connection slot and nothing else; and a token bucket
 * per address (addrlimit.c) before any cryptography or database work.
 * Providers run it too, with their hooks (repo.h): a relay forwards every
 * request, a secure provider answers the transfers addressed to its keys
 * from its copy and forwards the rest; the limits are the same at their
 * edge.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/cli/cli.h"
#include "tools/repo/internal.h"
#include "tools/sync/sync.h"

/* One request's state: its body, read in pieces. */
struct req {
	size_t len, cap;
	bool too_large;
	uint8_t body[];
};

/* The admin endpoint takes a statement with its certificates and list. */
static bool admin_url(const char *url)
{
	return !strcmp(url, "/v1/admin/submit");
}

static size_t body_max(const char *url)
{
	return admin_url(url) ? KF_SUBMISSION_MAX : KF_MESSAGE_MAX;
}

static void store_destroy(void *p)
{
	kf_store_close(p);
}

struct kf_store *kf_repo_store(struct kf_repo *r)
{
	struct kf_store *st = pthread_getspecific(r->store_key);

	if (st || !r->cfg.db_path)
		return st;
	if (kf_store_open(&st, r->cfg.db_path, KF_STORE_SERVER))
		return NULL;
	kf_store_set_actor(st, "repo");
	pthread_setspecific(r->store_key, st);
	return st;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, const void *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned int status,
			    const char *msg)
{
	return reply(c, status, "text/plain; charset=utf-8", msg, strlen(msg));
}

/* GET /v1/regions/...: what the authority published, what members read. */
static enum MHD_Result admin_get(struct kf_repo *r, struct MHD_Connection *c,
				 const char *url)
{
	static __thread uint8_t buf[1 << 20];
	const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
							"after");
	char msg[KF_NAME_MAX * 2 + 64];
	size_t len = 0;
	int http = kf_repo_admin_get(r, url, after, buf, sizeof(buf), &len,
				     msg, sizeof(msg));

	if (http == MHD_HTTP_OK)
		return reply(c, MHD_HTTP_OK, "application/octet-stream", buf,
			     len);
	if (http == MHD_HTTP_NOT_FOUND)
		kf_metrics_refusal(KF_REFUSE_NOT_FOUND);
	return text(c, (unsigned int)http, msg);
}

/*
 * The authority's endpoints (statements in, what they made out) are the
 * repository's alone: a provider's copy holds none of the chain, and a
 * submission belongs where it is applied (docs/operations.md 11.8).
 */
static enum MHD_Result not_here(struct MHD_Connection *c)
{
	kf_metrics_refusal(KF_REFUSE_NOT_FOUND);
	return text(c, MHD_HTTP_NOT_FOUND, "a provider does not serve the "
		    "authority's endpoints: ask the repository\n");
}

/* /metrics is not here: it has a listener of its own (metrics.c). */
static enum MHD_Result do_get(struct kf_repo *r, struct MHD_Connection *c,
			      const char *url)
{
	static __thread char buf[KF_STATUS_TEXT_MAX + 2];
	struct kf_store *st;

	if (!strncmp(url, "/v1/regions/", 12))
		return r->cfg.forward ? not_here(c) : admin_get(r, c, url);
	/* A query, not only a connection: a database server may be gone. */
	if (!strcmp(url, "/healthz")) {
		if (!r->cfg.db_path)	/* a relay has no store */
			return text(c, MHD_HTTP_OK, "ok\n");
		st = kf_repo_store(r);
		/* Twice: a connection idle across a restart of the database
		 * fails its first query and reconnects for the next. */
		if (!st || (kf_store_schema_version(st) < 0 &&
			    kf_store_schema_version(st) < 0))
			return text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "store unavailable\n");
		if (r->cfg.usable && !r->cfg.usable(r->cfg.ctx, buf,
						    sizeof(buf) - 1))
			return text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				    strcat(buf, "\n"));
		return text(c, MHD_HTTP_OK, "ok\n");
	}
	kf_metrics_refusal(KF_REFUSE_NOT_FOUND);
	return text(c, MHD_HTTP_NOT_FOUND, "no such endpoint\n");
}

/* The server's answer, or one it had from the repository: binary when 200. */
static enum MHD_Result answer(struct MHD_Connection *c, int http,
			      const uint8_t *out, size_t len)
{
	return reply(c, (unsigned int)http, http == MHD_HTTP_OK ?
		     "application/octet-stream" : "text/plain; charset=utf-8",
		     out, len);
}

/*
 * Whether a provider sends this request on to the repository: a relay,
 * everything; a secure provider, enrollments and the transfers that are
 * not addressed to one of its keys (the message's kid says, which is all
 * it reads of them).
 */
static bool forwarded(struct kf_repo *r, const char *url, struct req *q)
{
	if (!r->cfg.forward)
		return false;
	if (!r->n_keys || strcmp(url, "/v1/transfer"))
		return true;
	return q->len < 16 || !kf_repo_key(r, q->body + 8);
}

static enum MHD_Result forward(struct kf_repo *r, struct MHD_Connection *c,
			       const char *url, struct req *q, uint8_t *out,
			       size_t cap)
{
	size_t len = 0;
	int http = r->cfg.forward(r->cfg.ctx, url, q->body, q->len, out, cap,
				  &len);

	if (http < 0) {
		kf_metrics_refusal(KF_REFUSE_INTERNAL);
		return text(c, MHD_HTTP_BAD_GATEWAY,
			    "no repository reachable\n");
	}
	return answer(c, http, out, len);
}

static enum MHD_Result do_post(struct kf_repo *r, struct MHD_Connection *c,
			       const char *url, struct req *q)
{
	static __thread uint8_t out[KF_MESSAGE_MAX];
	uint8_t nonce[KF_NONCE_SIZE];
	size_t len;
	int http;

	static __thread char msg[512];
	int status;

	if (q->too_large) {
		kf_metrics_refusal(KF_REFUSE_TOO_LARGE);
		snprintf(msg, sizeof(msg), "body larger than %zu bytes\n",
			 q->cap);
		return text(c, MHD_HTTP_CONTENT_TOO_LARGE, msg);
	}
	if (admin_url(url) && r->cfg.forward)
		return not_here(c);
	if (admin_url(url)) {
		status = kf_repo_admin_submit(r, q->body, q->len, msg,
					      sizeof(msg));
		return text(c, (unsigned int)status, msg);
	}
	if (!strcmp(url, "/v1/transfer") || !strcmp(url, "/v1/enroll") ||
	    !strcmp(url, "/v1/enroll/challenge")) {
		if (forwarded(r, url, q))
			return forward(r, c, url, q, out, sizeof(out));
	}
	if (!strcmp(url, "/v1/transfer") || !strcmp(url, "/v1/enroll")) {
		http = kf_repo_handle(r, url[4] == 'e', q->body, q->len, out,
				      sizeof(out), &len);
		return answer(c, http, out, len);
	}
	/* Providers are served by the repository only. */
	if (!strcmp(url, KF_SYNC_PATH) && !r->cfg.forward) {
		http = kf_repo_sync(r, q->body, q->len, out, sizeof(out), &len);
		return answer(c, http, out, len);
	}
	if (!strcmp(url, "/v1/enroll/challenge")) {
		if (kf_challenge_make(r, nonce, kf_now())) {
			kf_metrics_refusal(KF_REFUSE_INTERNAL);
			return text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "cannot make a challenge\n");
		}
		return reply(c, MHD_HTTP_OK, "application/octet-stream", nonce,
			     sizeof(nonce));
	}
	kf_metrics_refusal(KF_REFUSE_NOT_FOUND);
	return text(c, MHD_HTTP_NOT_FOUND, "no such endpoint\n");
}

/*
 * The address's token bucket, before the body is even read: a refused
 * request costs a hash look-up.  429 says when to come back.
 */
static bool rate_limited(struct kf_repo *r, struct MHD_Connection *c,
			 enum MHD_Result *ret)
{
	const union MHD_ConnectionInfo *info;
	struct MHD_Response *resp;
	unsigned int wait;
	char secs[16];
	static const char msg[] = "too many requests from this address\n";

	if (!r->al)
		return false;
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (kf_addrlimit_take(r->al, info ? info->client_addr : NULL,
			      kf_now_ns(), &wait))
		return false;
	kf_metrics_refusal(KF_REFUSE_ADDRESS_RATE);
	*ret = MHD_NO;
	resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return true;
	snprintf(secs, sizeof(secs), "%u", wait ? wait : 1);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	*ret = MHD_queue_response(c, MHD_HTTP_TOO_MANY_REQUESTS, resp);
	MHD_destroy_response(resp);
	return true;
}

static bool length_too_large(struct MHD_Connection *c, size_t max)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl && strtoull(cl, NULL, 10) > max;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct kf_repo *r = cls;
	struct req *q = *con_cls;
	enum MHD_Result ret;

	if (!q) {
		/* Every request of an address counts, whatever it asks:
		 * each may cost cryptography or a database look-up. */
		if (rate_limited(r, c, &ret))
			return ret;
		if (!strcmp(method, MHD_HTTP_METHOD_GET))
			return do_get(r, c, url);
		if (strcmp(method, MHD_HTTP_METHOD_POST)) {
			kf_metrics_refusal(KF_REFUSE_METHOD);
			return text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "GET or POST only\n");
		}
		/* Refuse a declared oversized body before reading it. */
		if (length_too_large(c, body_max(url))) {
			kf_metrics_refusal(KF_REFUSE_TOO_LARGE);
			return text(c, MHD_HTTP_CONTENT_TOO_LARGE,
				    admin_url(url) ?
				    "body larger than 262144 bytes\n" :
				    "body larger than 32768 bytes\n");
		}
		q = malloc(sizeof(*q) + body_max(url));
		if (!q)
			return MHD_NO;
		q->len = 0;
		q->cap = body_max(url);
		q->too_large = false;
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size) {
		if (q->len + *upload_size > q->cap)
			q->too_large = true;
		else
			memcpy(q->body + q->len, upload, *upload_size);
		q->len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	return do_post(r, c, url, q);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct kf_repo *r = cls;
	struct req *q = *con_cls;

	/* Answered: a kept-alive connection's next request starts afresh. */
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		kf_deadline_restart(r->dl, c);
	if (q) {
		/* A token travels in enrollment bodies. */
		kf_wipe(q->body, q->len < q->cap ? q->len : q->cap);
		free(q);
	}
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	if (!kf_verbose)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	kf_info("http: %s", line);
}

/*
 * Housekeeping, off the request path, in one thread of its own:
 *
 * - checkpoints SQLite's write-ahead log once a second (no connection
 *   checkpoints on commit, see tools/store/sqlite.c).  A checkpoint runs
 *   while the writer holds the write lock, through its two fsync()s, so
 *   transfers wait for it: once a second keeps that rare, and the log
 *   under a few thousand pages;
 * - writes the aggregated records of strangers' refusals (refusals.c)
 *   every refusal_interval seconds, and once more on the way out.
 */
static void *housekeeper(void *arg)
{
	struct kf_repo *r = arg;
	struct kf_store *st = NULL;
	struct timespec ts;
	unsigned int tick = 0;

	/* Only SQLite has checkpoints to make (PostgreSQL makes its own). */
	if (!kf_store_has_checkpoints(r->writer) ||
	    kf_store_open(&st, r->cfg.db_path, KF_STORE_SERVER))
		st = NULL;
	pthread_mutex_lock(&r->stop_lock);
	while (!r->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec++;
		pthread_cond_timedwait(&r->stop_cond, &r->stop_lock, &ts);
		if (r->stopping)
			continue;
		pthread_mutex_unlock(&r->stop_lock);
		if (++tick % r->cfg.refusal_interval == 0)
			kf_refusals_flush(r->refusals, r->writer);
		if (st)
			kf_store_checkpoint(st, r->writer);
		pthread_mutex_lock(&r->stop_lock);
	}
	pthread_mutex_unlock(&r->stop_lock);
	kf_refusals_flush(r->refusals, r->writer);
	if (st)
		kf_store_checkpoint(st, r->writer);
	kf_store_close(st);
	return NULL;
}

static void defaults(struct kf_repo_config *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (!c->bind_addr)
		c->bind_addr = "127.0.0.1";
	/* A thread waits for a database server's answers and commits
	 * without using its core: on PostgreSQL, more threads keep the cores
	 * busy and give the group commit transfers to share. */
	if (!c->threads)
		c->threads = (n > 0 ? (unsigned int)n : 1) *
			     (c->db_path && kf_store_is_url(c->db_path) ? 8 : 1);
	if (!c->conn_timeout)
		c->conn_timeout = 10;
	if (!c->conn_limit)
		c->conn_limit = 1024;
	if (!c->per_ip_limit)
		c->per_ip_limit = 32;
	else if (c->per_ip_limit < 0)
		c->per_ip_limit = 0;	/* libmicrohttpd's "no limit" */
	if (!c->mem_limit)
		c->mem_limit = 64 * 1024;
	if (!c->nonce_ttl)
		c->nonce_ttl = 300;
	if (!c->request_deadline)
		c->request_deadline = 10;
	if (!c->rate_count) {
		c->rate_count = 20;
		c->rate_period = 1;
	}
	if (!c->rate_period)
		c->rate_period = 1;
	if (!c->rate_burst)
		c->rate_burst = c->rate_count > 0 ? 2 * (unsigned int)c->rate_count
						  : 1;
	if (!c->metrics_listen)
		c->metrics_listen = "127.0.0.1:7371";
	if (!c->refusal_interval)
		c->refusal_interval = 60;
}

/* The authority files: the regions this repository may create. */
static int load_pins(struct kf_repo *r)
{
	unsigned int i, j;
	int ret;

	for (i = 0; i < r->cfg.n_authorities; i++) {
		ret = kf_authority_read(r->cfg.authority_paths[i],
					&r->pins[i]);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (!strcmp(r->pins[i].region, r->pins[j].region)) {
				kf_err("--authority: region %s given twice",
				       r->pins[i].region);
				return -EINVAL;
			}
		}
		r->n_pins++;
	}
	return 0;
}

static int load_keys(struct kf_repo *r)
{
	unsigned int i;
	int ret;

	if (!r->cfg.n_keys && r->cfg.db_path) {
		kf_err("no key file given (--key)");
		return -EINVAL;
	}
	for (i = 0; i < r->cfg.n_keys; i++) {
		ret = kf_serverkey_load(&r->keys[i], r->cfg.key_paths[i]);
		if (ret)
			return ret;
		r->n_keys++;
	}
	return 0;
}

/*
 * Open (and migrate) the store once here, so that a bad database fails
 * the start rather than every request.  A repository never runs on a
 * provider's copy, which the provider replaces whole; a provider runs
 * only on one (tools/provider/ made it so).
 */
static int open_writer(struct kf_repo *r)
{
	int ret = kf_store_open(&r->writer, r->cfg.db_path,
				KF_STORE_CREATE | KF_STORE_SERVER);

	if (ret)
		return ret;
	kf_store_set_actor(r->writer, r->cfg.forward ? "provider" : "repo");
	ret = kf_store_is_replica(r->writer);
	if (ret < 0)
		return ret;
	if (ret != !!r->cfg.forward) {
		kf_err("store: %s", ret ? "this store is a provider's copy of "
		       "a repository's: a repository needs a store of its own" :
		       "a provider needs a store of its own, made by "
		       "keyferry-provider");
		return -EINVAL;
	}
	return 0;
}

static int start_mhd(struct kf_repo *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;

	sa.sin_port = htons(r->cfg.port);
	if (inet_pton(AF_INET, r->cfg.bind_addr, &sa.sin_addr) != 1) {
		kf_err("--listen: '%s' is not an IPv4 address",
		       r->cfg.bind_addr);
		return -EINVAL;
	}
	r->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, r,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, r->cfg.threads,
		MHD_OPTION_CONNECTION_TIMEOUT, r->cfg.conn_timeout,
		MHD_OPTION_CONNECTION_LIMIT, r->cfg.conn_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)r->cfg.per_ip_limit,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, r->cfg.mem_limit,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
		MHD_OPTION_NOTIFY_COMPLETED, completed, r,
		MHD_OPTION_NOTIFY_CONNECTION, kf_deadline_notify, r->dl,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, r,
		MHD_OPTION_END);
	if (!r->mhd) {
		kf_err("cannot listen on %s:%u", r->cfg.bind_addr,
		       (unsigned int)r->cfg.port);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(r->mhd, MHD_DAEMON_INFO_BIND_PORT);
	r->port = info ? info->port : r->cfg.port;
	return 0;
}

int kf_repo_start(struct kf_repo **out, const struct kf_repo_config *cfg)
{
	struct kf_repo *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	defaults(&r->cfg);
	pthread_mutex_init(&r->stop_lock, NULL);
	pthread_cond_init(&r->stop_cond, NULL);
	if (pthread_key_create(&r->store_key, store_destroy)) {
		free(r);
		return -ENOMEM;
	}
	ret = load_keys(r);
	if (!ret)
		ret = load_pins(r);
	if (!ret && r->cfg.db_path)
		ret = open_writer(r);
	if (ret)
		goto fail;
	ret = -ENOMEM;
	r->rl = kf_ratelimit_new();
	r->fresh = kf_freshness_new();
	r->batch = kf_batch_new();
	r->refusals = kf_refusals_new();
	r->dl = kf_deadline_new(r->cfg.request_deadline);
	if (!r->rl || !r->fresh || !r->batch || !r->refusals || !r->dl)
		goto fail;
	if (r->cfg.rate_count > 0) {
		r->al = kf_addrlimit_new((unsigned int)r->cfg.rate_count,
					 r->cfg.rate_period, r->cfg.rate_burst);
		if (!r->al)
			goto fail;
	}
	ret = start_mhd(r);
	if (!ret)
		ret = kf_metrics_listen(r);
	if (ret)
		goto fail;
	/* A relay has no store to keep. */
	if (r->writer &&
	    pthread_create(&r->housekeeper, NULL, housekeeper, r) == 0)
		r->has_housekeeper = true;
	*out = r;
	return 0;
fail:
	kf_repo_stop(r);
	return ret;
}

uint16_t kf_repo_port(const struct kf_repo *r)
{
	return r->port;
}

uint16_t kf_repo_metrics_port(const struct kf_repo *r)
{
	return r->metrics_port;
}

void kf_repo_stop(struct kf_repo *r)
{
	unsigned int i;

	if (!r)
		return;
	/* The daemons first: their connections close, and with them their
	 * deadlines' entries. */
	if (r->mhd)
		MHD_stop_daemon(r->mhd);
	kf_metrics_stop(r);
	kf_deadline_free(r->dl);
	if (r->has_housekeeper) {
		pthread_mutex_lock(&r->stop_lock);
		r->stopping = true;
		pthread_cond_signal(&r->stop_cond);
		pthread_mutex_unlock(&r->stop_lock);
		pthread_join(r->housekeeper, NULL);
	}
	for (i = 0; i < r->n_keys; i++)
		kf_serverkey_free(r->keys[i]);
	kf_store_close(r->writer);
	kf_ratelimit_free(r->rl);
	kf_freshness_free(r->fresh);
	kf_addrlimit_free(r->al);
	kf_refusals_free(r->refusals);
	kf_batch_free(r->batch);
	/* Worker threads closed their stores as they ended; this thread's
	 * (if it served a request itself) goes now. */
	store_destroy(pthread_getspecific(r->store_key));
	pthread_setspecific(r->store_key, NULL);
	pthread_key_delete(r->store_key);
	free(r);
}
