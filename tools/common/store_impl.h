/* SPDX-License-Identifier: MIT */
/*
 * Internals of the SQLite store, shared by its files (store_*.c, audit.c).
 * Nothing outside the store includes this.
 */
#ifndef KF_TOOLS_STORE_IMPL_H
#define KF_TOOLS_STORE_IMPL_H

#include <sqlite3.h>

#include "tools/common/store.h"

#define KF_STMT_CACHE 64

struct kf_store {
	sqlite3 *db;
	char actor[64];
	/* Prepared statements, keyed by the address of their SQL literal. */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[KF_STMT_CACHE];
	unsigned int n_cache;
	uint64_t busy_since;	/* ns, when the current wait for a lock began */
};

/* A cached, reset statement for this SQL literal; NULL on error (logged). */
sqlite3_stmt *kf_sql(struct kf_store *st, const char *sql);
/* Step to completion a statement that returns no row. */
int kf_sql_done(struct kf_store *st, sqlite3_stmt *s);
int kf_sql_err(struct kf_store *st, const char *what);
int kf_sql_exec(struct kf_store *st, const char *sql);

int kf_tx_begin(struct kf_store *st);
/* Commit if ret is 0, else roll back; returns ret or the commit's error. */
int kf_tx_end(struct kf_store *st, int ret);

void kf_col_text(sqlite3_stmt *s, int col, char *out, size_t cap);
size_t kf_col_blob(sqlite3_stmt *s, int col, uint8_t *out, size_t cap);

int kf_region_id(struct kf_store *st, const char *name, int64_t *id);
/* Inside a transaction: append one audit record. */
int kf_audit_append(struct kf_store *st, const char *op, const char *subject,
		    const char *result, const char *detail);
int kf_store_migrate(struct kf_store *st);

#endif /* KF_TOOLS_STORE_IMPL_H */
