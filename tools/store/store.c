// SPDX-License-Identifier: MIT
/*
 * The store's common half: which backend a store name means, the
 * statement cache, parameters, and write transactions.  Everything here
 * is written once for every backend (driver.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

/* ---- backends ----------------------------------------------------------- */

/* A URL names a PostgreSQL database; anything else is an SQLite file. */
static const struct kf_driver *driver_for(const char *where)
{
	if (!strncmp(where, "postgresql://", 13) ||
	    !strncmp(where, "postgres://", 11))
		return &kf_pg_driver;
	return &kf_sqlite_driver;
}

bool kf_store_is_url(const char *where)
{
	return driver_for(where) != &kf_sqlite_driver;
}

bool kf_store_has_checkpoints(struct kf_store *st)
{
	return st->drv->checkpoint != NULL;
}

int kf_store_open(struct kf_store **out, const char *where, unsigned int flags)
{
	struct kf_store *st = calloc(1, sizeof(*st));
	int ret;

	if (!st)
		return -ENOMEM;
	st->drv = driver_for(where);
	st->flags = flags;
	snprintf(st->actor, sizeof(st->actor), "unknown");
	ret = st->drv->open(st, where, flags);
	if (ret)
		goto fail;
	if (!(flags & KF_STORE_READONLY)) {
		ret = kf_store_migrate(st);
		if (ret)
			goto fail;
	}
	*out = st;
	return 0;
fail:
	kf_store_close(st);
	return ret;
}

void kf_store_close(struct kf_store *st)
{
	unsigned int i;

	if (!st)
		return;
	for (i = 0; i < st->n_cache; i++)
		st->drv->finalize(&st->cache[i]);
	if (st->conn)
		st->drv->close(st);
	free(st);
}

void kf_store_set_actor(struct kf_store *st, const char *actor)
{
	snprintf(st->actor, sizeof(st->actor), "%s", actor);
}

int kf_store_schema_version(struct kf_store *st)
{
	return st->drv->schema_version(st);
}

int kf_store_checkpoint(struct kf_store *st, struct kf_store *writer)
{
	if (!st->drv->checkpoint)
		return -EOPNOTSUPP;
	return st->drv->checkpoint(st, writer);
}

/* ---- statements --------------------------------------------------------- */

/* The highest ?N in sql: how many parameters it has. */
static unsigned int count_params(const char *sql)
{
	unsigned int n = 0, v;
	const char *p;
	char quote = 0;

	for (p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			continue;
		}
		if (*p != '?')
			continue;
		v = (unsigned int)strtoul(p + 1, NULL, 10);
		if (v > n)
			n = v;
	}
	return n;
}

static void stmt_clear(struct kf_stmt *s)
{
	memset(s->params, 0, sizeof(s->params));
	s->started = false;
}

struct kf_stmt *kf_sql(struct kf_store *st, const char *sql)
{
	struct kf_stmt *s;
	unsigned int i;

	for (i = 0; i < st->n_cache; i++) {
		s = &st->cache[i];
		if (s->sql == sql) {
			kf_reset(s);
			return s;
		}
	}
	if (st->n_cache == KF_STMT_CACHE) {
		/* Never happens with our fixed set of queries. */
		kf_err("store: statement cache full");
		return NULL;
	}
	s = &st->cache[st->n_cache];
	memset(s, 0, sizeof(*s));
	s->st = st;
	s->sql = sql;
	s->n_params = count_params(sql);
	if (s->n_params > KF_STMT_PARAMS) {
		kf_err("store: %u parameters, at most %d: %s", s->n_params,
		       KF_STMT_PARAMS, sql);
		return NULL;
	}
	if (st->drv->prepare(st, s))
		return NULL;
	st->n_cache++;
	return s;
}

static struct kf_param *param(struct kf_stmt *s, int idx)
{
	if (idx < 1 || idx > (int)s->n_params) {
		/* A bug of ours: the step will see the parameter unbound. */
		kf_err("store: parameter ?%d out of range in: %s", idx, s->sql);
		return NULL;
	}
	return &s->params[idx - 1];
}

void kf_bind_int64(struct kf_stmt *s, int idx, int64_t v)
{
	struct kf_param *p = param(s, idx);

	if (p) {
		memset(p, 0, sizeof(*p));
		p->type = KF_PARAM_INT;
		p->i = v;
	}
}

void kf_bind_null_int64(struct kf_stmt *s, int idx)
{
	struct kf_param *p = param(s, idx);

	if (p) {
		memset(p, 0, sizeof(*p));
		p->type = KF_PARAM_INT;
		p->is_null = true;
	}
}

void kf_bind_text(struct kf_stmt *s, int idx, const char *t)
{
	struct kf_param *p = param(s, idx);

	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	p->type = KF_PARAM_TEXT;
	p->is_null = !t;
	p->p = t;
	p->n = t ? strlen(t) : 0;
}

void kf_bind_blob(struct kf_stmt *s, int idx, const void *b, size_t n)
{
	struct kf_param *p = param(s, idx);

	if (p) {
		memset(p, 0, sizeof(*p));
		p->type = KF_PARAM_BLOB;
		p->p = b;
		p->n = n;
	}
}

int kf_step(struct kf_stmt *s)
{
	int ret = s->st->drv->step(s);

	s->started = true;
	return ret;
}

void kf_reset(struct kf_stmt *s)
{
	s->st->drv->reset(s);
	stmt_clear(s);
}

int64_t kf_col_int64(struct kf_stmt *s, int col)
{
	return s->st->drv->col_int64(s, col);
}

const char *kf_col_str(struct kf_stmt *s, int col)
{
	size_t n;

	return s->st->drv->col_value(s, col, &n);
}

size_t kf_col_bytes(struct kf_stmt *s, int col)
{
	size_t n = 0;

	if (!s->st->drv->col_value(s, col, &n))
		return 0;
	return n;
}

void kf_col_text(struct kf_stmt *s, int col, char *out, size_t cap)
{
	const char *t = kf_col_str(s, col);

	snprintf(out, cap, "%s", t ? t : "");
}

size_t kf_col_blob(struct kf_stmt *s, int col, uint8_t *out, size_t cap)
{
	size_t n = 0;
	const void *b = s->st->drv->col_value(s, col, &n);

	if (!b)
		return 0;
	if (n > cap)
		n = cap;
	if (n)
		memcpy(out, b, n);
	return n;
}

int kf_sql_done(struct kf_store *st, struct kf_stmt *s)
{
	int ret = kf_step(s);

	kf_reset(s);
	return ret < 0 ? ret : 0;
}

int64_t kf_changes(struct kf_store *st)
{
	return st->drv->changes(st);
}

int kf_sql_exec(struct kf_store *st, const char *sql)
{
	return st->drv->exec(st, sql);
}

/* ---- transactions ------------------------------------------------------- */

/*
 * Writers of one process queue on this lock rather than on the backend's:
 * SQLite's busy handler sleeps between retries, so the server's threads
 * would spend more time asleep than writing; and the server's writer
 * connection is shared by its threads, which is safe only because it is
 * used under this lock.  A flag under a mutex rather than the mutex
 * itself, because the thread that ends a transaction need not be the one
 * that began it (the repository's group commit, tools/repo/batch.c).
 */
static pthread_mutex_t write_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t write_free = PTHREAD_COND_INITIALIZER;
static bool write_held;

static void write_lock(void)
{
	pthread_mutex_lock(&write_mutex);
	while (write_held)
		pthread_cond_wait(&write_free, &write_mutex);
	write_held = true;
	pthread_mutex_unlock(&write_mutex);
}

static void write_unlock(void)
{
	pthread_mutex_lock(&write_mutex);
	write_held = false;
	pthread_cond_signal(&write_free);
	pthread_mutex_unlock(&write_mutex);
}

int kf_tx_begin(struct kf_store *st)
{
	int ret;

	write_lock();
	/* A driver that reads the chain's head with its lock says so. */
	st->head_known = false;
	ret = st->drv->begin(st);
	if (ret) {
		st->head_known = false;
		write_unlock();
		return ret;
	}
	st->in_tx = true;
	return 0;
}

int kf_tx_end(struct kf_store *st, int ret)
{
	if (ret == 0)
		ret = st->drv->commit(st);
	if (ret)
		st->drv->rollback(st);
	st->in_tx = false;
	st->head_known = false;
	write_unlock();
	return ret;
}

int kf_read_begin(struct kf_store *st)
{
	return st->drv->read_begin(st);
}

void kf_read_end(struct kf_store *st)
{
	st->drv->read_end(st);
}
