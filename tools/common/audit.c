// SPDX-License-Identifier: MIT
/*
 * The audit log: append-only and hash-chained.
 *
 * Each record's hash is SHA-256(prev hash || canonical record), where the
 * canonical record is seq and ts as 8-byte big-endian integers followed by
 * actor, op, subject, result and detail, each as a 4-byte big-endian
 * length and its bytes.  The first record's prev is 32 zero bytes.
 * Changing, removing or inserting a record breaks the chain at that seq.
 * (Truncating the tail is only detectable against a copy of the last
 * hash; `keyferry-admin audit show` prints it for operators to keep.)
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "tools/common/store_impl.h"
#include "tools/common/util.h"

static void put_u64(EVP_MD_CTX *md, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	EVP_DigestUpdate(md, b, 8);
}

static void put_str(EVP_MD_CTX *md, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint8_t b[4] = { n >> 24, n >> 16, n >> 8, n };

	EVP_DigestUpdate(md, b, 4);
	if (n)
		EVP_DigestUpdate(md, s, n);
}

void kf_audit_hash(const struct kf_audit_rec *r, const uint8_t prev[32],
		   uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 32;

	/* Allocation failure: an all-zero hash never verifies, which is the
	 * safe way to fail here. */
	memset(out, 0, 32);
	if (!md)
		return;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(md, prev, 32);
		put_u64(md, (uint64_t)r->seq);
		put_u64(md, (uint64_t)r->ts);
		put_str(md, r->actor);
		put_str(md, r->op);
		put_str(md, r->subject);
		put_str(md, r->result);
		put_str(md, r->detail);
		EVP_DigestFinal_ex(md, out, &len);
	}
	EVP_MD_CTX_free(md);
}

int kf_audit_append(struct kf_store *st, const char *op, const char *subject,
		    const char *result, const char *detail)
{
	static const char last[] =
		"SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
	static const char ins[] =
		"INSERT INTO audit(seq, ts, actor, op, subject, result, detail,"
		" prev, hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	struct kf_audit_rec r = {
		.seq = 1, .ts = kf_now(), .actor = st->actor, .op = op,
		.subject = subject ? subject : "", .result = result,
		.detail = detail ? detail : "",
	};
	sqlite3_stmt *s = kf_sql(st, last);
	int rc, ret;

	if (!s)
		return -EIO;
	memset(r.prev, 0, sizeof(r.prev));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r.seq = sqlite3_column_int64(s, 0) + 1;
		kf_col_blob(s, 1, r.prev, sizeof(r.prev));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return kf_sql_err(st, "audit head");
	kf_audit_hash(&r, r.prev, r.hash);
	s = kf_sql(st, ins);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, r.seq);
	sqlite3_bind_int64(s, 2, r.ts);
	sqlite3_bind_text(s, 3, r.actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r.op, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r.subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r.result, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, r.detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, r.prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, r.hash, 32, SQLITE_STATIC);
	ret = kf_sql_done(st, s);
	/* Under the write lock nobody else can append: say so if it happens,
	 * rather than let the caller report its own record as a duplicate. */
	if (ret == -EEXIST) {
		kf_err("audit: record %lld exists already: the log moved under "
		       "a write transaction", (long long)r.seq);
		ret = -EIO;
	}
	return ret;
}

int kf_store_write_begin(struct kf_store *st)
{
	return kf_tx_begin(st);
}

int kf_store_write_end(struct kf_store *st, int ret)
{
	return kf_tx_end(st, ret);
}

int kf_store_audit_in(struct kf_store *st, const char *op,
		      const char *subject, const char *result,
		      const char *detail)
{
	return kf_audit_append(st, op, subject, result, detail);
}

int kf_store_audit(struct kf_store *st, const char *op, const char *subject,
		   const char *result, const char *detail)
{
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	return kf_tx_end(st, kf_audit_append(st, op, subject, result, detail));
}

static const char audit_select[] =
	"SELECT seq, ts, actor, op, subject, result, detail, prev, hash"
	" FROM audit WHERE seq >= ?1 ORDER BY seq LIMIT ?2";

static int audit_walk(struct kf_store *st, int64_t since, int64_t limit,
		      int (*cb)(void *ctx, const struct kf_audit_rec *r),
		      void *ctx)
{
	sqlite3_stmt *s = kf_sql(st, audit_select);
	struct kf_audit_rec r;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : INT64_MAX);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.seq = sqlite3_column_int64(s, 0);
		r.ts = sqlite3_column_int64(s, 1);
		r.actor = (const char *)sqlite3_column_text(s, 2);
		r.op = (const char *)sqlite3_column_text(s, 3);
		r.subject = (const char *)sqlite3_column_text(s, 4);
		r.result = (const char *)sqlite3_column_text(s, 5);
		r.detail = (const char *)sqlite3_column_text(s, 6);
		memset(r.prev, 0, 32);
		memset(r.hash, 0, 32);
		/* A wrong-sized hash stays zero-padded and fails to verify. */
		if (sqlite3_column_bytes(s, 7) == 32)
			kf_col_blob(s, 7, r.prev, 32);
		if (sqlite3_column_bytes(s, 8) == 32)
			kf_col_blob(s, 8, r.hash, 32);
		ret = cb(ctx, &r);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = kf_sql_err(st, "audit");
	sqlite3_reset(s);
	return ret;
}

int kf_store_audit_list(struct kf_store *st, int64_t since, int64_t limit,
			int (*cb)(void *ctx, const struct kf_audit_rec *r),
			void *ctx)
{
	return audit_walk(st, since, limit, cb, ctx);
}

struct verify_ctx {
	int64_t rows;
	int64_t bad;
	uint8_t prev[32];
};

static int verify_one(void *ctx, const struct kf_audit_rec *r)
{
	struct verify_ctx *v = ctx;
	uint8_t h[32];

	kf_audit_hash(r, v->prev, h);
	/* seq must be contiguous: a removed row breaks it even if the
	 * attacker rehashed everything after it... which they cannot do
	 * without also matching the head kept elsewhere, see above. */
	if (r->seq != v->rows + 1 || memcmp(r->prev, v->prev, 32) ||
	    memcmp(r->hash, h, 32)) {
		v->bad = r->seq;
		return -EBADMSG;
	}
	memcpy(v->prev, h, 32);
	v->rows++;
	return 0;
}

int kf_store_audit_verify(struct kf_store *st, int64_t *rows, int64_t *bad)
{
	struct verify_ctx v = { 0 };
	int ret;

	/* One read transaction, so the chain is walked at one snapshot. */
	ret = kf_sql_exec(st, "BEGIN");
	if (ret)
		return ret;
	ret = audit_walk(st, 0, 0, verify_one, &v);
	kf_sql_exec(st, "COMMIT");
	*rows = v.rows;
	*bad = v.bad;
	return ret;
}
