// SPDX-License-Identifier: MIT
/*
 * The SQLite store: connection, pragmas, statement cache, transactions.
 *
 * WAL with synchronous=NORMAL: a committed transaction is in the WAL file
 * before COMMIT returns, so killing the process (even with SIGKILL) loses
 * nothing committed; only a power loss may lose the last transactions,
 * never corrupt the database.  Operators who want power-loss durability
 * too set KEYFERRY_SYNC=FULL.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/common/store_impl.h"
#include "tools/common/util.h"

int kf_sql_err(struct kf_store *st, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);

	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) {
		kf_warn("store: %s: database is busy", what);
		return -EBUSY;
	}
	/* A duplicate is the caller's to explain ("already exists"); any
	 * other broken constraint is a fault, and says which one. */
	if (code == SQLITE_CONSTRAINT_UNIQUE ||
	    code == SQLITE_CONSTRAINT_PRIMARYKEY)
		return -EEXIST;
	kf_err("store: %s: %s", what, sqlite3_errmsg(st->db));
	return -EIO;
}

sqlite3_stmt *kf_sql(struct kf_store *st, const char *sql)
{
	sqlite3_stmt *s;
	unsigned int i;

	for (i = 0; i < st->n_cache; i++) {
		if (st->cache[i].sql == sql) {
			s = st->cache[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
			       NULL) != SQLITE_OK) {
		kf_sql_err(st, sql);
		return NULL;
	}
	if (st->n_cache < KF_STMT_CACHE) {
		st->cache[st->n_cache].sql = sql;
		st->cache[st->n_cache].stmt = s;
		st->n_cache++;
	} else {
		/* Never happens with our fixed set of queries; leak-safe anyway. */
		kf_err("store: statement cache full");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

int kf_sql_done(struct kf_store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	int ret = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = kf_sql_err(st, sqlite3_sql(s));
	sqlite3_reset(s);
	return ret;
}

int kf_sql_exec(struct kf_store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	if (msg) {
		kf_err("store: %s", msg);
		sqlite3_free(msg);
	}
	return kf_sql_err(st, "exec");
}

/*
 * Writers of one process queue on this mutex rather than on SQLite's busy
 * handler, which sleeps whole milliseconds between retries: the server's
 * threads would spend more time asleep than writing.  Other processes
 * (keyferry-admin) still meet SQLite's lock and busy timeout.
 */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

int kf_tx_begin(struct kf_store *st)
{
	/* IMMEDIATE: take the write lock now, so the busy timeout applies here
	 * and not in the middle of the transaction. */
	static const char sql[] = "BEGIN IMMEDIATE";
	sqlite3_stmt *s;
	int ret;

	pthread_mutex_lock(&write_lock);
	s = kf_sql(st, sql);
	ret = s ? kf_sql_done(st, s) : -EIO;
	if (ret)
		pthread_mutex_unlock(&write_lock);
	return ret;
}

int kf_tx_end(struct kf_store *st, int ret)
{
	static const char commit[] = "COMMIT";
	static const char rollback[] = "ROLLBACK";
	sqlite3_stmt *s;
	int r;

	if (ret == 0) {
		s = kf_sql(st, commit);
		r = s ? kf_sql_done(st, s) : -EIO;
		if (r == 0)
			goto out;
		ret = r;
	}
	s = kf_sql(st, rollback);
	if (s)
		kf_sql_done(st, s);
out:
	pthread_mutex_unlock(&write_lock);
	return ret;
}

void kf_col_text(sqlite3_stmt *s, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

size_t kf_col_blob(sqlite3_stmt *s, int col, uint8_t *out, size_t cap)
{
	const void *b = sqlite3_column_blob(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	if (n > cap)
		n = cap;
	if (b && n)
		memcpy(out, b, n);
	return n;
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
	struct kf_store *st = arg;
	uint64_t now = kf_now_ns();

	if (tries == 0)
		st->busy_since = now;
	if (now - st->busy_since > BUSY_TIMEOUT_NS)
		return 0;
	usleep(tries < 200 ? 50 : 1000);
	return 1;
}

static int set_pragmas(struct kf_store *st, unsigned int flags)
{
	const char *sync = getenv("KEYFERRY_SYNC");
	char sql[128];
	int ret;

	sqlite3_busy_handler(st->db, busy_wait, st);
	ret = kf_sql_exec(st, "PRAGMA foreign_keys=ON");
	if (ret || (flags & KF_STORE_READONLY))
		return ret;
	ret = kf_sql_exec(st, "PRAGMA journal_mode=WAL");
	if (ret)
		return ret;
	if (!sync || (strcmp(sync, "FULL") && strcmp(sync, "NORMAL")))
		sync = "NORMAL";
	snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", sync);
	ret = kf_sql_exec(st, sql);
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
		ret = kf_sql_exec(st, "PRAGMA wal_autocheckpoint=0");
	/* The server's connections: room for the hot index pages of a big
	 * store (the default 2 MiB holds about 500 pages). */
	if (!ret && (flags & KF_STORE_SERVER))
		ret = kf_sql_exec(st, "PRAGMA cache_size=-32768");
	/* The log is rewritten from its start after each checkpoint; this
	 * only gives back the disk a burst made it grow to. */
	if (!ret)
		ret = kf_sql_exec(st, "PRAGMA journal_size_limit=67108864");
	return ret;
}

int kf_store_checkpoint(struct kf_store *st, struct kf_store *writer)
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
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
				       NULL, NULL);
	kf_tx_end(writer, -EAGAIN);	/* nothing to commit: roll back */
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 :
	       kf_sql_err(st, "checkpoint");
}

int kf_store_open(struct kf_store **out, const char *path, unsigned int flags)
{
	struct kf_store *st = calloc(1, sizeof(*st));
	int oflags = SQLITE_OPEN_NOMUTEX;
	int ret;

	if (!st)
		return -ENOMEM;
	if (flags & KF_STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE;
	if (flags & KF_STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	snprintf(st->actor, sizeof(st->actor), "unknown");
	if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
		kf_err("store: %s: %s", path,
		       st->db ? sqlite3_errmsg(st->db) : "out of memory");
		ret = -ENOENT;
		goto fail;
	}
	ret = set_pragmas(st, flags);
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
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st);
}

void kf_store_set_actor(struct kf_store *st, const char *actor)
{
	snprintf(st->actor, sizeof(st->actor), "%s", actor);
}

int kf_store_schema_version(struct kf_store *st)
{
	static const char sql[] = "PRAGMA user_version";
	sqlite3_stmt *s = kf_sql(st, sql);
	int v = -EIO;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	if (s)
		sqlite3_reset(s);
	return v;
}

int kf_region_id(struct kf_store *st, const char *name, int64_t *id)
{
	static const char sql[] = "SELECT id FROM regions WHERE name=?1";
	sqlite3_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : kf_sql_err(st, "region");
}
