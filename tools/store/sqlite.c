// SPDX-License-Identifier: MIT
/*
 * The SQLite backend: connection, pragmas, statements, transactions,
 * checkpoints (driver.h).  A store named by a path is an SQLite file.
 *
 * WAL with synchronous=NORMAL: a committed transaction is in the WAL file
 * before COMMIT returns, so killing the process (even with SIGKILL) loses
 * nothing committed; only a power loss may lose the last transactions,
 * never corrupt the database.  Operators who want power-loss durability
 * too set KEYFERRY_SYNC=FULL.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

struct lite {
	sqlite3 *db;
	uint64_t busy_since;	/* ns, when the current wait for a lock began */
};

static sqlite3 *db_of(struct kf_store *st)
{
	return ((struct lite *)st->conn)->db;
}

/* The errno for the connection's last error, logged unless expected. */
static int lite_err(struct kf_store *st, const char *what)
{
	int code = sqlite3_extended_errcode(db_of(st));

	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) {
		kf_warn("store: %s: database is busy", what);
		return -EBUSY;
	}
	/* A duplicate is the caller's to explain ("already exists"); any
	 * other broken constraint is a fault, and says which one. */
	if (code == SQLITE_CONSTRAINT_UNIQUE ||
	    code == SQLITE_CONSTRAINT_PRIMARYKEY)
		return -EEXIST;
	kf_err("store: %s: %s", what, sqlite3_errmsg(db_of(st)));
	return -EIO;
}

static int lite_prepare(struct kf_store *st, struct kf_stmt *s)
{
	sqlite3_stmt *p;

	if (sqlite3_prepare_v3(db_of(st), s->sql, -1,
			       SQLITE_PREPARE_PERSISTENT, &p, NULL) != SQLITE_OK)
		return lite_err(st, s->sql);
	s->impl = p;
	return 0;
}

static void lite_finalize(struct kf_stmt *s)
{
	sqlite3_finalize(s->impl);
	s->impl = NULL;
}

static void lite_bind(struct kf_stmt *s)
{
	sqlite3_stmt *p = s->impl;
	const struct kf_param *a;
	unsigned int i;

	for (i = 0; i < s->n_params; i++) {
		a = &s->params[i];
		if (a->is_null) {
			sqlite3_bind_null(p, (int)i + 1);
			continue;
		}
		switch (a->type) {
		case KF_PARAM_INT:
			sqlite3_bind_int64(p, (int)i + 1, a->i);
			break;
		case KF_PARAM_TEXT:
			sqlite3_bind_text(p, (int)i + 1, a->p, (int)a->n,
					  SQLITE_STATIC);
			break;
		case KF_PARAM_BLOB:
			sqlite3_bind_blob(p, (int)i + 1, a->p, (int)a->n,
					  SQLITE_STATIC);
			break;
		case KF_PARAM_NULL:
			sqlite3_bind_null(p, (int)i + 1);
			break;
		}
	}
}

static int lite_step(struct kf_stmt *s)
{
	int rc;

	if (!s->started)
		lite_bind(s);
	rc = sqlite3_step(s->impl);
	if (rc == SQLITE_ROW)
		return KF_ROW;
	if (rc == SQLITE_DONE)
		return KF_DONE;
	return lite_err(s->st, s->sql);
}

static void lite_reset(struct kf_stmt *s)
{
	sqlite3_reset(s->impl);
	sqlite3_clear_bindings(s->impl);
}

static int64_t lite_col_int64(struct kf_stmt *s, int col)
{
	return sqlite3_column_int64(s->impl, col);
}

static const void *lite_col_value(struct kf_stmt *s, int col, size_t *len)
{
	const void *v;

	if (sqlite3_column_type(s->impl, col) == SQLITE_NULL) {
		*len = 0;
		return NULL;
	}
	if (sqlite3_column_type(s->impl, col) == SQLITE_BLOB)
		v = sqlite3_column_blob(s->impl, col);
	else
		v = sqlite3_column_text(s->impl, col);
	*len = (size_t)sqlite3_column_bytes(s->impl, col);
	/* A zero-length blob is NULL to sqlite3_column_blob(), not to us. */
	return v ? v : "";
}

static int64_t lite_changes(struct kf_store *st)
{
	return sqlite3_changes64(db_of(st));
}

static int lite_exec(struct kf_store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db_of(st), sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	if (msg) {
		kf_err("store: %s", msg);
		sqlite3_free(msg);
	}
	return lite_err(st, "exec");
}

/* Through cached statements: a transfer begins and commits thousands of
 * times a second. */
static int run_cached(struct kf_store *st, const char *sql)
{
	struct kf_stmt *s = kf_sql(st, sql);

	return s ? kf_sql_done(st, s) : -EIO;
}

static const char sql_begin_immediate[] = "BEGIN IMMEDIATE";
static const char sql_begin[] = "BEGIN";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

/* IMMEDIATE: take the write lock now, so the busy timeout applies here
 * and not in the middle of the transaction. */
static int lite_begin(struct kf_store *st)
{
	return run_cached(st, sql_begin_immediate);
}

static int lite_commit(struct kf_store *st)
{
	return run_cached(st, sql_commit);
}

static void lite_rollback(struct kf_store *st)
{
	run_cached(st, sql_rollback);
}

static int lite_read_begin(struct kf_store *st)
{
	return run_cached(st, sql_begin);
}

static void lite_read_end(struct kf_store *st)
{
	run_cached(st, sql_commit);
}

static int lite_migrate_begin(struct kf_store *st)
{
	return lite_exec(st, "BEGIN IMMEDIATE");
}

static int lite_schema_version(struct kf_store *st)
{
	static const char sql[] = "PRAGMA user_version";
	struct kf_stmt *s = kf_sql(st, sql);
	int v = -EIO;

	if (s && kf_step(s) == KF_ROW)
		v = (int)kf_col_int64(s, 0);
	if (s)
		kf_reset(s);
	return v;
}

static int lite_set_schema_version(struct kf_store *st, int version)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", version);
	return lite_exec(st, sql);
}

#define BUSY_TIMEOUT_NS	(5 * 1000000000ull)

/*
 * Waiting for a lock another program holds (in WAL mode: the write lock).
 * SQLite's own handler sleeps 1, 2, 5, ... up to 100 ms between tries, so
 * a program writing in a loop, which frees the lock for microseconds
 * between its transactions, would keep every other writer out until the
 * timeout.  Short naps first, then longer ones; 5 s in all.
 */
static int busy_wait(void *arg, int tries)
{
	struct lite *l = arg;
	uint64_t now = kf_now_ns();

	if (tries == 0)
		l->busy_since = now;
	if (now - l->busy_since > BUSY_TIMEOUT_NS)
		return 0;
	usleep(tries < 200 ? 50 : 1000);
	return 1;
}

static int set_pragmas(struct kf_store *st, unsigned int flags)
{
	const char *sync = getenv("KEYFERRY_SYNC");
	char sql[128];
	int ret;

	sqlite3_busy_handler(db_of(st), busy_wait, st->conn);
	ret = lite_exec(st, "PRAGMA foreign_keys=ON");
	if (ret || (flags & KF_STORE_READONLY))
		return ret;
	ret = lite_exec(st, "PRAGMA journal_mode=WAL");
	if (ret)
		return ret;
	if (!sync || (strcmp(sync, "FULL") && strcmp(sync, "NORMAL")))
		sync = "NORMAL";
	snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", sync);
	ret = lite_exec(st, sql);
	/*
	 * No checkpoint on commit, in any program: SQLite up to 3.51.2 (Debian
	 * 12 has 3.40.1) can lose committed pages when a passive checkpoint
	 * starts while another connection's commit resets the log (the
	 * "WAL-reset bug", sqlite.org/wal.html).  The only checkpoints are
	 * kf_store_checkpoint()'s, which hold the write lock, and SQLite's own
	 * when the last connection closes, which holds the database
	 * exclusively.  Neither can meet a commit.
	 */
	if (!ret)
		ret = lite_exec(st, "PRAGMA wal_autocheckpoint=0");
	/* The server's connections: room for the hot index pages of a big
	 * store (the default 2 MiB holds about 500 pages). */
	if (!ret && (flags & KF_STORE_SERVER))
		ret = lite_exec(st, "PRAGMA cache_size=-32768");
	/* The log is rewritten from its start after each checkpoint; this
	 * only gives back the disk a burst made it grow to. */
	if (!ret)
		ret = lite_exec(st, "PRAGMA journal_size_limit=67108864");
	return ret;
}

static int lite_checkpoint(struct kf_store *st, struct kf_store *writer)
{
	int ret, rc;

	/*
	 * The writer's empty transaction holds SQLite's write lock for the
	 * whole checkpoint, so no commit (and no reset of the log) can run
	 * meanwhile; this process's writers wait on our mutex rather than on
	 * the busy handler.  (A FULL checkpoint would take the lock itself,
	 * but when it cannot it goes on as a passive one, without it.)  BUSY,
	 * another program writing for longer than the busy timeout, only
	 * means: next time.
	 */
	ret = kf_tx_begin(writer);
	if (ret)
		return ret == -EBUSY ? 0 : ret;
	rc = sqlite3_wal_checkpoint_v2(db_of(st), NULL,
				       SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	kf_tx_end(writer, -EAGAIN);	/* nothing to commit: roll back */
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 :
	       lite_err(st, "checkpoint");
}

static int lite_open(struct kf_store *st, const char *path, unsigned int flags)
{
	struct lite *l = calloc(1, sizeof(*l));
	int oflags = SQLITE_OPEN_NOMUTEX;

	if (!l)
		return -ENOMEM;
	st->conn = l;
	if (flags & KF_STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE;
	if (flags & KF_STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &l->db, oflags, NULL) != SQLITE_OK) {
		kf_err("store: %s: %s", path,
		       l->db ? sqlite3_errmsg(l->db) : "out of memory");
		return -ENOENT;
	}
	return set_pragmas(st, flags);
}

static void lite_close(struct kf_store *st)
{
	struct lite *l = st->conn;

	sqlite3_close(l->db);
	free(l);
	st->conn = NULL;
}

const struct kf_driver kf_sqlite_driver = {
	.name = "sqlite",
	.open = lite_open,
	.close = lite_close,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.step = lite_step,
	.reset = lite_reset,
	.col_int64 = lite_col_int64,
	.col_value = lite_col_value,
	.changes = lite_changes,
	.exec = lite_exec,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	.read_begin = lite_read_begin,
	.read_end = lite_read_end,
	.migrate_begin = lite_migrate_begin,
	.schema_version = lite_schema_version,
	.set_schema_version = lite_set_schema_version,
	.checkpoint = lite_checkpoint,
};
