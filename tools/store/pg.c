// SPDX-License-Identifier: MIT
/*
 * The PostgreSQL backend (driver.h), on libpq.  A store named by a URL,
 * postgresql://..., is a PostgreSQL database; several repositories and
 * administrators may use it at once, from several machines.
 *
 * Statements are prepared once per connection, with the parameter types
 * of their first binding (int8, text, bytea; NULL leaves the type to the
 * server), and run with binary parameters and results.  A statement's
 * whole result is fetched at its first step; kf_step() then walks it.
 *
 * Serialisation: every write transaction begins by locking the one row of
 * audit_chain (SELECT ... FOR UPDATE) and holds it until it commits or
 * rolls back, as SQLite's BEGIN IMMEDIATE holds its write lock.  So the
 * audit chain has one writer at a time across every process and machine,
 * the records' order is the order in which the decisions they record
 * were made (a transfer's look-ups run after the lock, so a revocation
 * is either before its record or after it), and nothing can deadlock:
 * the lock is always the first one a writer takes.  Reads do not take
 * it.  The lock waits at most lock_timeout (5 s), then -EBUSY.
 *
 * A lost connection (the server restarted, the network failed) fails
 * what was running on it with -EIO; the next transaction or statement
 * outside a transaction reconnects first and prepares its statements
 * again, so the repository recovers by itself when the server is back.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

/* Type OIDs of pg_type.h that we bind and read. */
#define BOOLOID		16
#define BYTEAOID	17
#define INT8OID		20
#define INT2OID		21
#define INT4OID		23
#define TEXTOID		25

struct pg {
	PGconn *conn;
	/* Bumped at each reconnection: statements prepared on an older
	 * connection are prepared again. */
	unsigned int gen;
	unsigned int n_names;	/* statement names handed out */
	int64_t changes;
	uint64_t quiet_until;	/* ns: no new "cannot reconnect" before */
};

struct pgstmt {
	char name[16];
	unsigned int gen;	/* of the connection it was prepared on; 0 none */
	char *text;		/* the SQL with $N for ?N */
	PGresult *res;
	int row, rows;
	uint64_t ints[KF_STMT_PARAMS];	/* int8 parameters, big-endian */
};

static struct pg *pg_of(struct kf_store *st)
{
	return st->conn;
}

static bool is_sqlstate(const PGresult *res, const char *code)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s && !strcmp(s, code);
}

/* The errno for a failed result (res may be NULL), logged unless expected. */
static int pg_err(struct kf_store *st, const PGresult *res, const char *what)
{
	const char *msg = res ? PQresultErrorMessage(res) : "";
	PGconn *c = pg_of(st)->conn;

	if (!msg[0])
		msg = PQerrorMessage(c);
	if (is_sqlstate(res, "23505"))
		return -EEXIST;	/* the caller's to explain */
	if (is_sqlstate(res, "55P03") || is_sqlstate(res, "40001") ||
	    is_sqlstate(res, "40P01") || is_sqlstate(res, "57014")) {
		kf_warn("store: %s: database is busy: %s", what, msg);
		return -EBUSY;
	}
	if (PQstatus(c) == CONNECTION_BAD)
		kf_err("store: %s: connection lost: %s", what, msg);
	else
		kf_err("store: %s: %s", what, msg);
	return -EIO;
}

/* Run a simple query (one or several statements, no parameters). */
static int run(struct kf_store *st, const char *sql)
{
	PGresult *res = PQexec(pg_of(st)->conn, sql);
	ExecStatusType t = PQresultStatus(res);
	int ret = 0;

	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
		ret = pg_err(st, res, sql);
	PQclear(res);
	return ret;
}

/* Settings of every connection of ours (see the header comment). */
static int session_setup(struct kf_store *st)
{
	int ret = run(st, "SET lock_timeout = '5s'; SET TIME ZONE 'UTC'");

	if (!ret && (st->flags & KF_STORE_READONLY))
		ret = run(st, "SET default_transaction_read_only = on");
	return ret;
}

/*
 * Make sure the connection is up before a new piece of work; never
 * called inside a transaction, which a reconnection would silently lose.
 */
static int pg_ready(struct kf_store *st)
{
	struct pg *p = pg_of(st);

	if (PQstatus(p->conn) == CONNECTION_OK)
		return 0;
	PQreset(p->conn);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		/* Every request tries; the log says it every 10 s. */
		if (kf_now_ns() >= p->quiet_until) {
			kf_err("store: cannot reconnect: %s",
			       PQerrorMessage(p->conn));
			p->quiet_until = kf_now_ns() + 10000000000ull;
		}
		return -EIO;
	}
	p->gen++;
	kf_info("store: reconnected to PostgreSQL");
	return session_setup(st);
}

/* ?N -> $N, outside quoted strings and names. */
static char *translate(const char *sql)
{
	char *out = malloc(strlen(sql) + 1), *o = out;
	char quote = 0;

	if (!out)
		return NULL;
	for (; *sql; sql++) {
		if (quote && *sql == quote)
			quote = 0;
		else if (!quote && (*sql == '\'' || *sql == '"'))
			quote = *sql;
		*o++ = (!quote && *sql == '?') ? '$' : *sql;
	}
	*o = 0;
	return out;
}

static int pg_prepare(struct kf_store *st, struct kf_stmt *s)
{
	struct pgstmt *q = calloc(1, sizeof(*q));
	struct pg *p = pg_of(st);

	if (!q)
		return -ENOMEM;
	q->text = translate(s->sql);
	if (!q->text) {
		free(q);
		return -ENOMEM;
	}
	snprintf(q->name, sizeof(q->name), "kf%u", ++p->n_names);
	s->impl = q;
	return 0;
}

static void pg_finalize(struct kf_stmt *s)
{
	struct pgstmt *q = s->impl;

	if (!q)
		return;
	PQclear(q->res);
	free(q->text);
	free(q);
	s->impl = NULL;
}

/* Prepare on this connection, with the types of the parameters now bound. */
static int server_prepare(struct kf_stmt *s)
{
	static const Oid oids[] = {
		[KF_PARAM_NULL] = 0, [KF_PARAM_INT] = INT8OID,
		[KF_PARAM_TEXT] = TEXTOID, [KF_PARAM_BLOB] = BYTEAOID,
	};
	struct pg *p = pg_of(s->st);
	struct pgstmt *q = s->impl;
	Oid types[KF_STMT_PARAMS];
	PGresult *res;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < s->n_params; i++)
		types[i] = oids[s->params[i].type];
	res = PQprepare(p->conn, q->name, q->text, (int)s->n_params, types);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		q->gen = p->gen;
	else
		ret = pg_err(s->st, res, s->sql);
	PQclear(res);
	return ret;
}

static int execute(struct kf_stmt *s)
{
	struct pg *p = pg_of(s->st);
	struct pgstmt *q = s->impl;
	const char *values[KF_STMT_PARAMS];
	int lengths[KF_STMT_PARAMS], formats[KF_STMT_PARAMS];
	const struct kf_param *a;
	ExecStatusType t;
	unsigned int i;
	int ret;

	if (!s->st->in_tx) {
		ret = pg_ready(s->st);
		if (ret)
			return ret;
	}
	if (q->gen != p->gen) {
		ret = server_prepare(s);
		if (ret)
			return ret;
	}
	for (i = 0; i < s->n_params; i++) {
		a = &s->params[i];
		formats[i] = 1;
		lengths[i] = (int)a->n;
		values[i] = a->p;
		if (a->type == KF_PARAM_NULL || a->is_null) {
			values[i] = NULL;
		} else if (a->type == KF_PARAM_INT) {
			q->ints[i] = htobe64((uint64_t)a->i);
			values[i] = (const char *)&q->ints[i];
			lengths[i] = 8;
		} else if (!values[i]) {
			values[i] = "";	/* an empty blob, not NULL */
		}
	}
	PQclear(q->res);
	q->res = PQexecPrepared(p->conn, q->name, (int)s->n_params, values,
				lengths, formats, 1);
	t = PQresultStatus(q->res);
	if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK) {
		ret = pg_err(s->st, q->res, s->sql);
		PQclear(q->res);
		q->res = NULL;
		return ret;
	}
	p->changes = strtoll(PQcmdTuples(q->res), NULL, 10);
	q->rows = PQntuples(q->res);
	q->row = -1;
	return 0;
}

static int pg_step(struct kf_stmt *s)
{
	struct pgstmt *q = s->impl;
	int ret;

	if (!s->started) {
		ret = execute(s);
		if (ret)
			return ret;
	}
	if (!q->res || q->row + 1 >= q->rows)
		return KF_DONE;
	q->row++;
	return KF_ROW;
}

static void pg_reset(struct kf_stmt *s)
{
	struct pgstmt *q = s->impl;

	PQclear(q->res);
	q->res = NULL;
	q->row = q->rows = 0;
}

static bool have_value(struct kf_stmt *s, int col)
{
	struct pgstmt *q = s->impl;

	return q->res && q->row >= 0 && q->row < q->rows &&
	       col < PQnfields(q->res) && !PQgetisnull(q->res, q->row, col);
}

static int64_t pg_col_int64(struct kf_stmt *s, int col)
{
	struct pgstmt *q = s->impl;
	const uint8_t *v;
	uint64_t x = 0;
	int i, n;

	if (!have_value(s, col))
		return 0;
	v = (const uint8_t *)PQgetvalue(q->res, q->row, col);
	n = PQgetlength(q->res, q->row, col);
	switch (PQftype(q->res, col)) {
	case INT8OID:
	case INT4OID:
	case INT2OID:
		/* Big-endian, sign-extended from the first byte. */
		for (i = 0; i < n; i++)
			x = (x << 8) | v[i];
		if (n < 8 && n > 0 && (v[0] & 0x80))
			x |= ~0ull << (8 * n);
		return (int64_t)x;
	case BOOLOID:
		return n == 1 && v[0];
	default:
		return strtoll((const char *)v, NULL, 10);
	}
}

static const void *pg_col_value(struct kf_stmt *s, int col, size_t *len)
{
	struct pgstmt *q = s->impl;

	*len = 0;
	if (!have_value(s, col))
		return NULL;
	/* libpq ends every value with a NUL, binary ones too. */
	*len = (size_t)PQgetlength(q->res, q->row, col);
	return PQgetvalue(q->res, q->row, col);
}

static int64_t pg_changes(struct kf_store *st)
{
	return pg_of(st)->changes;
}

static int pg_exec(struct kf_store *st, const char *sql)
{
	int ret = st->in_tx ? 0 : pg_ready(st);

	return ret ? ret : run(st, sql);
}

static void pg_rollback(struct kf_store *st);

/*
 * The chain's head, from the last result of pg_begin()'s query (text
 * format): the last record's seq and hash, or 0 and zeroes for an empty
 * log, as audit.c would read it.
 */
static int head_from(struct kf_store *st, PGresult *res)
{
	unsigned char *hash;
	size_t len;

	st->head_seq = 0;
	memset(st->head_hash, 0, sizeof(st->head_hash));
	if (PQntuples(res) == 0)
		goto known;
	if (PQnfields(res) != 2)
		return -EIO;
	st->head_seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	hash = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 1),
			       &len);
	if (!hash)
		return -ENOMEM;
	/* A wrong-sized hash stays zero, as audit.c reads it: the chain
	 * breaks at the next record, which verification shows. */
	if (len == sizeof(st->head_hash))
		memcpy(st->head_hash, hash, len);
	PQfreemem(hash);
known:
	st->head_known = true;
	return 0;
}

/*
 * Begin with the chain's lock (see the header comment), then read the
 * chain's head: three statements, one round trip.  Each statement of a
 * simple query takes its own snapshot (READ COMMITTED), so the head is
 * read once the lock is ours, and no other writer can move it before we
 * commit; audit.c takes it from here instead of asking again.
 */
static int begin_query(struct kf_store *st)
{
	static const char sql[] =
		"BEGIN; SELECT 1 FROM audit_chain WHERE id = 1 FOR UPDATE;"
		" SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
	PGresult *res = PQexec(pg_of(st)->conn, sql);
	int ret;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		ret = pg_err(st, res, "BEGIN");
	else
		ret = head_from(st, res);
	PQclear(res);
	return ret;
}

static int pg_begin(struct kf_store *st)
{
	int ret = pg_ready(st);

	if (ret)
		return ret;
	ret = begin_query(st);
	/* A connection that died while idle: once more, on a new one. */
	if (ret == -EIO && PQstatus(pg_of(st)->conn) == CONNECTION_BAD &&
	    !pg_ready(st))
		ret = begin_query(st);
	if (ret)
		pg_rollback(st);
	return ret;
}

static int pg_commit(struct kf_store *st)
{
	PGresult *res = PQexec(pg_of(st)->conn, "COMMIT");
	int ret = 0;

	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK. */
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = pg_err(st, res, "COMMIT");
	else if (strcmp(PQcmdStatus(res), "COMMIT")) {
		kf_err("store: COMMIT rolled back a failed transaction");
		ret = -EIO;
	}
	PQclear(res);
	return ret;
}

static void pg_rollback(struct kf_store *st)
{
	if (PQstatus(pg_of(st)->conn) == CONNECTION_OK &&
	    PQtransactionStatus(pg_of(st)->conn) != PQTRANS_IDLE)
		run(st, "ROLLBACK");
}

static int pg_read_begin(struct kf_store *st)
{
	return pg_exec(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

static void pg_read_end(struct kf_store *st)
{
	run(st, "COMMIT");
}

/* Migrators queue on an advisory lock: the tables may not exist yet. */
static int pg_migrate_begin(struct kf_store *st)
{
	return pg_exec(st, "BEGIN; SELECT pg_advisory_xact_lock(7370)");
}

static int pg_schema_version(struct kf_store *st)
{
	static const char exists[] =
		"SELECT to_regclass('schema_version') IS NOT NULL";
	static const char version[] =
		"SELECT coalesce(max(version), 0) FROM schema_version";
	struct kf_stmt *s = kf_sql(st, exists);
	int ret;

	if (!s)
		return -EIO;
	ret = kf_step(s);
	if (ret == KF_ROW && !kf_col_int64(s, 0))
		ret = 0;	/* a new database */
	else if (ret == KF_ROW)
		ret = 1;
	kf_reset(s);
	if (ret <= 0)
		return ret;
	s = kf_sql(st, version);
	if (!s)
		return -EIO;
	ret = kf_step(s);
	if (ret == KF_ROW)
		ret = (int)kf_col_int64(s, 0);
	else if (ret == KF_DONE)
		ret = -EIO;
	kf_reset(s);
	return ret;
}

static int pg_set_schema_version(struct kf_store *st, int version)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "CREATE TABLE IF NOT EXISTS schema_version(version BIGINT"
		 " NOT NULL); DELETE FROM schema_version;"
		 " INSERT INTO schema_version VALUES(%d)", version);
	return run(st, sql);
}

/* Notices ("relation exists, skipping") are not for the operator. */
static void quiet(void *arg, const char *msg)
{
}

static int pg_open(struct kf_store *st, const char *url, unsigned int flags)
{
	struct pg *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	st->conn = p;
	p->gen = 1;
	p->conn = PQconnectdb(url);
	if (!p->conn)
		return -ENOMEM;
	if (PQstatus(p->conn) != CONNECTION_OK) {
		/* The message names the host and why; never the password. */
		kf_err("store: cannot connect to PostgreSQL: %s",
		       PQerrorMessage(p->conn));
		return -ECONNREFUSED;
	}
	PQsetNoticeProcessor(p->conn, quiet, NULL);
	return session_setup(st);
}

static void pg_close(struct kf_store *st)
{
	struct pg *p = st->conn;

	PQfinish(p->conn);
	free(p);
	st->conn = NULL;
}

const struct kf_driver kf_pg_driver = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.step = pg_step,
	.reset = pg_reset,
	.col_int64 = pg_col_int64,
	.col_value = pg_col_value,
	.changes = pg_changes,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.read_begin = pg_read_begin,
	.read_end = pg_read_end,
	.migrate_begin = pg_migrate_begin,
	.schema_version = pg_schema_version,
	.set_schema_version = pg_set_schema_version,
};
