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
 * hash; `keyferry-admin audit verify` prints it for operators to keep.)
 * The oldest records may be pruned (audit_prune.c): the chain then starts
 * at the prune point, whose hash the next record's prev must be.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

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

/*
 * The head of the chain: the last record's seq and hash (0 and zeroes for
 * an empty log).  Read once per transaction: the write lock the
 * transaction holds keeps every other writer out, so the head moves only
 * by our own appends, which update the copy.
 */
static int audit_head(struct kf_store *st)
{
	static const char last[] =
		"SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
	struct kf_stmt *s;
	int rc;

	if (st->head_known)
		return 0;
	s = kf_sql(st, last);
	if (!s)
		return -EIO;
	st->head_seq = 0;
	memset(st->head_hash, 0, sizeof(st->head_hash));
	rc = kf_step(s);
	if (rc == KF_ROW) {
		st->head_seq = kf_col_int64(s, 0);
		kf_col_blob(s, 1, st->head_hash, sizeof(st->head_hash));
	}
	kf_reset(s);
	if (rc != KF_ROW && rc != KF_DONE)
		return rc;
	st->head_known = st->in_tx;
	return 0;
}

int kf_audit_append(struct kf_store *st, const char *op, const char *subject,
		    const char *result, const char *detail)
{
	return kf_audit_append_as(st, st->actor, op, subject, result, detail);
}

int kf_audit_append_as(struct kf_store *st, const char *actor, const char *op,
		       const char *subject, const char *result,
		       const char *detail)
{
	static const char ins[] =
		"INSERT INTO audit(seq, ts, actor, op, subject, result, detail,"
		" prev, hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	struct kf_audit_rec r = {
		.ts = kf_now(), .actor = actor, .op = op,
		.subject = subject ? subject : "", .result = result,
		.detail = detail ? detail : "",
	};
	struct kf_stmt *s;
	int ret = audit_head(st);

	if (ret)
		return ret;
	r.seq = st->head_seq + 1;
	memcpy(r.prev, st->head_hash, sizeof(r.prev));
	st->head_known = false;		/* until this record is in */
	kf_audit_hash(&r, r.prev, r.hash);
	s = kf_sql(st, ins);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, r.seq);
	kf_bind_int64(s, 2, r.ts);
	kf_bind_text(s, 3, r.actor);
	kf_bind_text(s, 4, r.op);
	kf_bind_text(s, 5, r.subject);
	kf_bind_text(s, 6, r.result);
	kf_bind_text(s, 7, r.detail);
	kf_bind_blob(s, 8, r.prev, 32);
	kf_bind_blob(s, 9, r.hash, 32);
	ret = kf_sql_done(st, s);
	/* Under the write lock nobody else can append: say so if it happens,
	 * rather than let the caller report its own record as a duplicate. */
	if (ret == -EEXIST) {
		kf_err("audit: record %lld exists already: the log moved under "
		       "a write transaction", (long long)r.seq);
		ret = -EIO;
	}
	if (!ret && st->in_tx) {
		st->head_seq = r.seq;
		memcpy(st->head_hash, r.hash, sizeof(st->head_hash));
		st->head_known = true;
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

/* Records a page of the walk holds: a backend may hold a page in memory. */
#define AUDIT_PAGE 4096

/* One page from seq since on: how many records, or a negative errno. */
static int64_t audit_page(struct kf_store *st, int64_t since, int64_t limit,
			  int64_t *next,
			  int (*cb)(void *ctx, const struct kf_audit_rec *r),
			  void *ctx)
{
	struct kf_stmt *s = kf_sql(st, audit_select);
	struct kf_audit_rec r;
	int64_t n = 0;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, since);
	kf_bind_int64(s, 2, limit);
	while ((rc = kf_step(s)) == KF_ROW) {
		n++;
		r.seq = kf_col_int64(s, 0);
		r.ts = kf_col_int64(s, 1);
		r.actor = kf_col_str(s, 2);
		r.op = kf_col_str(s, 3);
		r.subject = kf_col_str(s, 4);
		r.result = kf_col_str(s, 5);
		r.detail = kf_col_str(s, 6);
		memset(r.prev, 0, 32);
		memset(r.hash, 0, 32);
		/* A wrong-sized hash stays zero-padded and fails to verify. */
		if (kf_col_bytes(s, 7) == 32)
			kf_col_blob(s, 7, r.prev, 32);
		if (kf_col_bytes(s, 8) == 32)
			kf_col_blob(s, 8, r.hash, 32);
		*next = r.seq + 1;
		ret = cb(ctx, &r);
		if (ret)
			break;
	}
	if (!ret && rc != KF_DONE)
		ret = rc;
	kf_reset(s);
	return ret ? ret : n;
}

static int audit_walk(struct kf_store *st, int64_t since, int64_t limit,
		      int (*cb)(void *ctx, const struct kf_audit_rec *r),
		      void *ctx)
{
	int64_t left = limit > 0 ? limit : INT64_MAX, page, n;

	do {
		page = left < AUDIT_PAGE ? left : AUDIT_PAGE;
		n = audit_page(st, since, page, &since, cb, ctx);
		if (n < 0)
			return (int)n;
		left -= n;
	} while (n == page && left > 0);
	return 0;
}

int kf_store_audit_list(struct kf_store *st, int64_t since, int64_t limit,
			int (*cb)(void *ctx, const struct kf_audit_rec *r),
			void *ctx)
{
	return audit_walk(st, since, limit, cb, ctx);
}

struct verify_ctx {
	int64_t rows;
	int64_t next;		/* the seq the next record must have */
	int64_t bad;
	uint8_t prev[32];
	char prune_detail[160];	/* how the newest prune record must begin */
	int64_t prune_seq;	/* the newest prune record seen, 0: none */
	bool prune_ok;
};

static int verify_one(void *ctx, const struct kf_audit_rec *r)
{
	struct verify_ctx *v = ctx;
	size_t n = strlen(v->prune_detail);
	uint8_t h[32];

	kf_audit_hash(r, v->prev, h);
	/* seq must be contiguous: a removed row breaks it even if the
	 * attacker rehashed everything after it... which they cannot do
	 * without also matching the head kept elsewhere, see above. */
	if (r->seq != v->next || memcmp(r->prev, v->prev, 32) ||
	    memcmp(r->hash, h, 32)) {
		v->bad = r->seq;
		return -EBADMSG;
	}
	if (!strcmp(r->op, "admin.audit.prune")) {
		v->prune_seq = r->seq;
		v->prune_ok = !strncmp(r->detail, v->prune_detail, n) &&
			      r->detail[n] == ' ';
	}
	memcpy(v->prev, h, 32);
	v->rows++;
	v->next++;
	return 0;
}

/* From the prune point (audit_prune.c), or from the first record. */
static int verify_walk(struct kf_store *st, struct verify_ctx *v)
{
	struct kf_audit_span sp;
	int ret = kf_store_audit_span(st, &sp);

	if (ret)
		return ret;
	v->next = sp.pruned_seq + 1;
	memcpy(v->prev, sp.pruned_hash, 32);
	kf_audit_prune_detail(v->prune_detail, sizeof(v->prune_detail),
			      sp.pruned_seq, sp.pruned_hash);
	ret = audit_walk(st, 0, 0, verify_one, v);
	if (ret)
		return ret;
	/* The prune point is the newest prune record's, nothing else. */
	if (sp.pruned_seq && (!v->prune_seq || !v->prune_ok)) {
		v->bad = v->prune_seq ? v->prune_seq : v->next;
		return -EBADMSG;
	}
	return 0;
}

int kf_store_audit_verify(struct kf_store *st, int64_t *rows, int64_t *bad)
{
	struct verify_ctx v = { 0 };
	int ret;

	/* One read transaction, so the chain is walked at one snapshot. */
	ret = kf_read_begin(st);
	if (ret)
		return ret;
	ret = verify_walk(st, &v);
	kf_read_end(st);
	*rows = v.rows;
	*bad = v.bad;
	return ret;
}

int kf_store_audit_hash(struct kf_store *st, int64_t seq, uint8_t hash[32])
{
	static const char sql[] = "SELECT hash FROM audit WHERE seq = ?1";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, seq);
	rc = kf_step(s);
	memset(hash, 0, 32);
	if (rc == KF_ROW && kf_col_bytes(s, 0) == 32)
		kf_col_blob(s, 0, hash, 32);
	kf_reset(s);
	return rc == KF_ROW ? 0 : rc == KF_DONE ? -ENOENT : rc;
}

int kf_store_audit_head(struct kf_store *st, int64_t *seq, uint8_t hash[32])
{
	int ret = audit_head(st);

	if (ret)
		return ret;
	*seq = st->head_seq;
	memcpy(hash, st->head_hash, 32);
	return 0;
}
