/* SPDX-License-Identifier: MIT */
/*
 * The store's backend interface: what the per-noun files of tools/store/
 * (region.c, entity.c, ..., audit.c) use to talk to a database, whichever
 * it is.  store.c implements the calls below once; a backend (sqlite.c,
 * later pg.c) fills in struct kf_driver.  Nothing outside tools/store/
 * includes this.
 *
 * The model is SQLite's, since that is what the store was written
 * against: a statement is prepared once per connection and cached, its
 * parameters are bound, it is stepped row by row, its columns are read,
 * and it is reset for the next use.  Write transactions are taken with
 * kf_tx_begin() and ended with kf_tx_end().
 *
 * SQL is written once, in the dialect both backends understand:
 * parameters are ?1, ?2, ... (a backend that numbers them otherwise
 * translates); integers are 64-bit; a new row's id comes back with
 * "INSERT ... RETURNING id" (SQLite >= 3.35, PostgreSQL), never from a
 * last-insert-rowid call; text compares byte by byte.  Where the dialects
 * really differ (DDL, above all), a migration gives a text per backend
 * (migrate.c).
 *
 * Converting code written against the old SQLite internals is mechanical:
 *
 *   old (sqlite3_*)                          new (this file)
 *   sqlite3_stmt *s = kf_sql(st, sql);       struct kf_stmt *s = kf_sql(st, sql);
 *   sqlite3_bind_int64(s, i, v);             kf_bind_int64(s, i, v);
 *   sqlite3_bind_text(s, i, t, -1, STATIC);  kf_bind_text(s, i, t);  (NULL binds NULL)
 *   sqlite3_bind_blob(s, i, p, n, STATIC);   kf_bind_blob(s, i, p, n);
 *   rc = sqlite3_step(s);                    rc = kf_step(s);
 *     SQLITE_ROW / SQLITE_DONE / other         KF_ROW / KF_DONE / a negative errno,
 *     then kf_sql_err(st, "what")              already logged and mapped (no kf_sql_err)
 *   sqlite3_column_int64(s, c), _int()       kf_col_int64(s, c)
 *   sqlite3_column_text(s, c)                kf_col_str(s, c)   (NULL for SQL NULL)
 *   sqlite3_column_bytes(s, c)               kf_col_bytes(s, c)
 *   kf_col_text(s, c, out, cap),             unchanged (copying helpers)
 *   kf_col_blob(s, c, out, cap)
 *   sqlite3_reset(s)                         kf_reset(s)
 *   sqlite3_changes(st->db)                  kf_changes(st)
 *   sqlite3_last_insert_rowid(st->db)        "INSERT ... RETURNING id", then
 *                                            kf_step() == KF_ROW and kf_col_int64(s, 0)
 *   kf_sql_done(), kf_sql_exec(),            unchanged
 *   kf_tx_begin(), kf_tx_end()
 *   "BEGIN" ... "COMMIT" around reads        kf_read_begin(st) ... kf_read_end(st)
 *   PRAGMA user_version                      kf_store_schema_version() (migrate.c)
 *
 * Rules that keep a file correct on every backend:
 * - Bind a parameter with the same type every time a statement is used:
 *   a backend declares the types when it first prepares.  Bind a NULL
 *   with its type too (kf_bind_text(s, i, NULL) is a NULL text), never
 *   by leaving the parameter unbound: "?1 IS NULL" tells PostgreSQL
 *   nothing of ?1's type.
 * - Pointers given to kf_bind_text()/kf_bind_blob() must stay valid until
 *   the statement is reset (kf_reset(), kf_sql_done(), or kf_sql() again).
 * - Strings and blobs from kf_col_str()/kf_col_blob() are valid until the
 *   next kf_step() or kf_reset() of that statement; copy what you keep.
 * - Do not run a statement while stepping through another's rows only to
 *   feed it back into the same loop's query: finish or copy first (a
 *   backend may hold the whole result, or only one row).
 * - In a write transaction, take row-level decisions with the look-ups in
 *   that transaction (kf_tx_begin() already holds the audit chain, the one
 *   lock every writer takes first, so nothing deadlocks).
 */
#ifndef KF_TOOLS_STORE_DRIVER_H
#define KF_TOOLS_STORE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/store/store.h"

#define KF_ROW	1
#define KF_DONE	0

/* Parameters a statement may have (?1 .. ?16). */
#define KF_STMT_PARAMS 16

enum kf_param_type {
	KF_PARAM_NULL = 0,
	KF_PARAM_INT,
	KF_PARAM_TEXT,
	KF_PARAM_BLOB,
};

struct kf_param {
	enum kf_param_type type;	/* NULL: never bound, type unknown */
	bool is_null;		/* bound as NULL of this type */
	int64_t i;
	const void *p;		/* text (NUL-terminated) or blob, not owned */
	size_t n;		/* blob length, text length without the NUL */
};

/*
 * A cached statement: the parameters bound since its last reset, and the
 * backend's prepared form.  Lives in its store's cache until the store
 * closes.
 */
struct kf_stmt {
	struct kf_store *st;
	const char *sql;	/* the literal; the cache's key */
	unsigned int n_params;	/* the highest ?N in sql */
	struct kf_param params[KF_STMT_PARAMS];
	bool started;		/* stepped since the last reset */
	void *impl;		/* the backend's (sqlite3_stmt, ...) */
};

/* ---- what the store files use (store.c) ------------------------------ */

/* The cached statement for this SQL literal, reset; NULL on error (logged). */
struct kf_stmt *kf_sql(struct kf_store *st, const char *sql);
void kf_bind_int64(struct kf_stmt *s, int idx, int64_t v);
void kf_bind_null_int64(struct kf_stmt *s, int idx);	/* a NULL integer */
void kf_bind_text(struct kf_stmt *s, int idx, const char *t);
void kf_bind_blob(struct kf_stmt *s, int idx, const void *p, size_t n);
/* KF_ROW, KF_DONE or a negative errno (logged; see store.h for which). */
int kf_step(struct kf_stmt *s);
void kf_reset(struct kf_stmt *s);
int64_t kf_col_int64(struct kf_stmt *s, int col);
const char *kf_col_str(struct kf_stmt *s, int col);
size_t kf_col_bytes(struct kf_stmt *s, int col);
void kf_col_text(struct kf_stmt *s, int col, char *out, size_t cap);
size_t kf_col_blob(struct kf_stmt *s, int col, uint8_t *out, size_t cap);
/* Step to completion a statement whose rows are not wanted, and reset it. */
int kf_sql_done(struct kf_store *st, struct kf_stmt *s);
/* Rows changed by the connection's last INSERT, UPDATE or DELETE. */
int64_t kf_changes(struct kf_store *st);
/* Run SQL text without parameters (several statements allowed). */
int kf_sql_exec(struct kf_store *st, const char *sql);

/*
 * A write transaction.  Writers of one process queue on a mutex, and
 * across processes on the backend's lock (SQLite's write lock; on
 * PostgreSQL the audit chain's row); either way kf_tx_begin() holds it
 * until kf_tx_end().  Commit if ret is 0, else roll back; returns ret or
 * the commit's error.
 */
int kf_tx_begin(struct kf_store *st);
int kf_tx_end(struct kf_store *st, int ret);
/* A read-only transaction: every read in it sees one snapshot. */
int kf_read_begin(struct kf_store *st);
void kf_read_end(struct kf_store *st);

/* ---- what a backend provides ----------------------------------------- */

struct kf_driver {
	const char *name;
	/* Connect to where (a path, a URL); set st->conn. */
	int (*open)(struct kf_store *st, const char *where, unsigned int flags);
	void (*close)(struct kf_store *st);
	/* s->sql and s->n_params are set; fill s->impl. */
	int (*prepare)(struct kf_store *st, struct kf_stmt *s);
	void (*finalize)(struct kf_stmt *s);
	/* Bind s->params on the first step after a reset; one row per call. */
	int (*step)(struct kf_stmt *s);
	void (*reset)(struct kf_stmt *s);
	int64_t (*col_int64)(struct kf_stmt *s, int col);
	/* NULL for SQL NULL; *len its length (text: without the NUL). */
	const void *(*col_value)(struct kf_stmt *s, int col, size_t *len);
	int64_t (*changes)(struct kf_store *st);
	int (*exec)(struct kf_store *st, const char *sql);
	/* Take the write lock (see kf_tx_begin()), commit, roll back.
	 * begin() may also read the audit chain's head under the lock,
	 * setting head_seq, head_hash and head_known (pg.c: the same
	 * round trip); else audit.c reads it at the first append. */
	int (*begin)(struct kf_store *st);
	int (*commit)(struct kf_store *st);
	void (*rollback)(struct kf_store *st);
	int (*read_begin)(struct kf_store *st);
	void (*read_end)(struct kf_store *st);
	/* Migrations: a transaction that serialises migrators, the version. */
	int (*migrate_begin)(struct kf_store *st);
	int (*schema_version)(struct kf_store *st);
	int (*set_schema_version)(struct kf_store *st, int version);
	/* Optional (NULL: nothing to do). */
	int (*checkpoint)(struct kf_store *st, struct kf_store *writer);
};

extern const struct kf_driver kf_sqlite_driver;
extern const struct kf_driver kf_pg_driver;

#endif /* KF_TOOLS_STORE_DRIVER_H */
