// SPDX-License-Identifier: MIT
/*
 * The repository's HTTP front: libmicrohttpd with an internal thread pool
 * (one thread per core, epoll), bounded bodies, connection timeouts and a
 * per-connection memory limit, so that garbage, huge or slow clients cost
 * a connection slot and nothing else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/common/repo_impl.h"
#include "tools/common/util.h"

/* One request's state: its body, read in pieces. */
struct req {
	size_t len;
	bool too_large;
	uint8_t body[KF_MESSAGE_MAX];
};

static void store_destroy(void *p)
{
	kf_store_close(p);
}

struct kf_store *kf_repo_store(struct kf_repo *r)
{
	struct kf_store *st = pthread_getspecific(r->store_key);

	if (st)
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

static enum MHD_Result do_get(struct kf_repo *r, struct MHD_Connection *c,
			      const char *url)
{
	static __thread char buf[16384];
	size_t n;

	if (!strcmp(url, "/healthz"))
		return text(c, MHD_HTTP_OK, kf_repo_store(r) ? "ok\n" :
			    "store unavailable\n");
	if (!strcmp(url, "/metrics")) {
		n = kf_metrics_render(r, buf, sizeof(buf));
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4", buf,
			     n);
	}
	kf_metrics_refusal(KF_REFUSE_NOT_FOUND);
	return text(c, MHD_HTTP_NOT_FOUND, "no such endpoint\n");
}

static enum MHD_Result do_post(struct kf_repo *r, struct MHD_Connection *c,
			       const char *url, struct req *q)
{
	static __thread uint8_t out[KF_MESSAGE_MAX];
	uint8_t nonce[KF_NONCE_SIZE];
	size_t len;
	int http;

	if (q->too_large) {
		kf_metrics_refusal(KF_REFUSE_TOO_LARGE);
		return text(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "body larger than 32768 bytes\n");
	}
	if (!strcmp(url, "/v1/transfer") || !strcmp(url, "/v1/enroll")) {
		http = kf_repo_handle(r, url[4] == 'e', q->body, q->len, out,
				      sizeof(out), &len);
		return reply(c, (unsigned int)http, http == MHD_HTTP_OK ?
			     "application/octet-stream" :
			     "text/plain; charset=utf-8", out, len);
	}
	if (!strcmp(url, "/v1/enroll/challenge")) {
		if (kf_repo_challenge(r, nonce)) {
			kf_metrics_refusal(KF_REFUSE_INTERNAL);
			return text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "store unavailable\n");
		}
		return reply(c, MHD_HTTP_OK, "application/octet-stream", nonce,
			     sizeof(nonce));
	}
	kf_metrics_refusal(KF_REFUSE_NOT_FOUND);
	return text(c, MHD_HTTP_NOT_FOUND, "no such endpoint\n");
}

static bool length_too_large(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl && strtoull(cl, NULL, 10) > KF_MESSAGE_MAX;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct kf_repo *r = cls;
	struct req *q = *con_cls;

	if (!q) {
		if (!strcmp(method, MHD_HTTP_METHOD_GET))
			return do_get(r, c, url);
		if (strcmp(method, MHD_HTTP_METHOD_POST)) {
			kf_metrics_refusal(KF_REFUSE_METHOD);
			return text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "GET or POST only\n");
		}
		/* Refuse a declared oversized body before reading it. */
		if (length_too_large(c)) {
			kf_metrics_refusal(KF_REFUSE_TOO_LARGE);
			return text(c, MHD_HTTP_CONTENT_TOO_LARGE,
				    "body larger than 32768 bytes\n");
		}
		q = malloc(sizeof(*q));
		if (!q)
			return MHD_NO;
		q->len = 0;
		q->too_large = false;
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size) {
		if (q->len + *upload_size > sizeof(q->body))
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
	struct req *q = *con_cls;

	if (q) {
		/* A token travels in enrollment bodies. */
		kf_wipe(q->body, q->len < sizeof(q->body) ? q->len :
			sizeof(q->body));
		free(q);
	}
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	if (!kf_verbose)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	kf_info("http: %s", line);
}

/*
 * Checkpoints the write-ahead log once a second, off the request path: no
 * connection checkpoints on commit (see store_sqlite.c).  A checkpoint
 * runs while the writer holds the write lock, through its two fsync()s, so
 * transfers wait for it: once a second keeps that rare, and the log under
 * a few thousand pages.
 */
static void *checkpointer(void *arg)
{
	struct kf_repo *r = arg;
	struct kf_store *st = NULL;
	struct timespec ts;

	if (kf_store_open(&st, r->cfg.db_path, KF_STORE_SERVER))
		st = NULL;
	pthread_mutex_lock(&r->stop_lock);
	while (!r->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec++;
		pthread_cond_timedwait(&r->stop_cond, &r->stop_lock, &ts);
		if (r->stopping || !st)
			continue;
		pthread_mutex_unlock(&r->stop_lock);
		kf_store_checkpoint(st, r->writer);
		pthread_mutex_lock(&r->stop_lock);
	}
	pthread_mutex_unlock(&r->stop_lock);
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
	if (!c->threads)
		c->threads = n > 0 ? (unsigned int)n : 1;
	if (!c->conn_timeout)
		c->conn_timeout = 10;
	if (!c->conn_limit)
		c->conn_limit = 1024;
	if (!c->per_ip_limit)
		c->per_ip_limit = 256;
	else if (c->per_ip_limit < 0)
		c->per_ip_limit = 0;	/* libmicrohttpd's "no limit" */
	if (!c->mem_limit)
		c->mem_limit = 64 * 1024;
	if (!c->nonce_ttl)
		c->nonce_ttl = 300;
}

static int load_keys(struct kf_repo *r)
{
	unsigned int i;
	int ret;

	if (!r->cfg.n_keys) {
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
	if (ret)
		goto fail;
	/* Open (and migrate) once here, so a bad database fails the start
	 * rather than every request. */
	ret = kf_store_open(&r->writer, r->cfg.db_path,
			    KF_STORE_CREATE | KF_STORE_SERVER);
	if (ret)
		goto fail;
	kf_store_set_actor(r->writer, "repo");
	ret = -ENOMEM;
	r->rl = kf_ratelimit_new();
	if (!r->rl)
		goto fail;
	ret = start_mhd(r);
	if (ret)
		goto fail;
	if (pthread_create(&r->checkpointer, NULL, checkpointer, r) == 0)
		r->has_checkpointer = true;
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

void kf_repo_stop(struct kf_repo *r)
{
	unsigned int i;

	if (!r)
		return;
	if (r->mhd)
		MHD_stop_daemon(r->mhd);
	if (r->has_checkpointer) {
		pthread_mutex_lock(&r->stop_lock);
		r->stopping = true;
		pthread_cond_signal(&r->stop_cond);
		pthread_mutex_unlock(&r->stop_lock);
		pthread_join(r->checkpointer, NULL);
	}
	for (i = 0; i < r->n_keys; i++)
		kf_serverkey_free(r->keys[i]);
	kf_store_close(r->writer);
	kf_ratelimit_free(r->rl);
	/* Worker threads closed their stores as they ended; this thread's
	 * (if it served a request itself) goes now. */
	store_destroy(pthread_getspecific(r->store_key));
	pthread_setspecific(r->store_key, NULL);
	pthread_key_delete(r->store_key);
	free(r);
}
