// SPDX-License-Identifier: MIT
/*
 * Audit retention: removing the oldest records without losing what the
 * chain proves about the rest.
 *
 * A prune removes the records 1..N (or P+1..N after an earlier prune at
 * P) in one transaction that first appends its own record, "admin.audit.
 * prune", whose detail says "through=N hash=<hash of record N> ...", and
 * then moves the prune point (table audit_pruned: N and that hash).  The
 * remaining chain starts at N + 1, whose prev is that hash, so
 * kf_store_audit_verify() checks it from the prune point; and the prune
 * point itself is checked against the newest prune record, which is inside
 * the chain: moving the point (to hide more removed records) breaks the
 * chain or that record.  SQLite refuses deleting a record above the prune
 * point, and moving the point back (migration 2's triggers).
 *
 * What a verifier that kept an earlier head (seq S, hash H) can check:
 * S > N: record S is still there and must still hash to H, which proves
 * every record from N + 1 to S unchanged; S = N: H must be the prune
 * point's hash; S < N: the records that linked S to the prune point are
 * gone, and only a copy of them (a backup, or the log shipped elsewhere)
 * can link H to it.  So keep the head printed by each prune.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

int kf_store_audit_span(struct kf_store *st, struct kf_audit_span *sp)
{
	static const char pruned[] = "SELECT seq, hash FROM audit_pruned";
	static const char head[] =
		"SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
	struct kf_stmt *s;
	int rc;

	memset(sp, 0, sizeof(*sp));
	s = kf_sql(st, pruned);
	if (!s)
		return -EIO;
	rc = kf_step(s);
	if (rc == KF_ROW) {
		sp->pruned_seq = kf_col_int64(s, 0);
		kf_col_blob(s, 1, sp->pruned_hash, 32);
	}
	kf_reset(s);
	if (rc != KF_ROW && rc != KF_DONE)
		return rc;
	s = kf_sql(st, head);
	if (!s)
		return -EIO;
	rc = kf_step(s);
	if (rc == KF_ROW) {
		sp->head_seq = kf_col_int64(s, 0);
		kf_col_blob(s, 1, sp->head_hash, 32);
	}
	kf_reset(s);
	if (rc != KF_ROW && rc != KF_DONE)
		return rc;
	return 0;
}

void kf_audit_prune_detail(char *out, size_t cap, int64_t through,
			   const uint8_t hash[32])
{
	char h[65];

	kf_hex(h, hash, 32);
	snprintf(out, cap, "through=%lld hash=%s", (long long)through, h);
}

/* The newest record older than before, and its hash: what to prune to. */
static int last_before(struct kf_store *st, int64_t before,
		       struct kf_audit_prune *out)
{
	static const char sql[] =
		"SELECT seq, hash FROM audit WHERE ts < ?1"
		" ORDER BY seq DESC LIMIT 1";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, before);
	rc = kf_step(s);
	if (rc == KF_ROW) {
		out->through = kf_col_int64(s, 0);
		kf_col_blob(s, 1, out->hash, 32);
	}
	kf_reset(s);
	if (rc != KF_ROW && rc != KF_DONE)
		return rc;
	return 0;
}

static int move_point(struct kf_store *st, const struct kf_audit_prune *p)
{
	static const char sql[] =
		"INSERT INTO audit_pruned(id, seq, hash, ts) VALUES(1, ?1, ?2, ?3)"
		" ON CONFLICT(id) DO UPDATE SET seq = ?1, hash = ?2, ts = ?3";
	static const char del[] = "DELETE FROM audit WHERE seq <= ?1";
	struct kf_stmt *s = kf_sql(st, sql);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, p->through);
	kf_bind_blob(s, 2, p->hash, 32);
	kf_bind_int64(s, 3, kf_now());
	ret = kf_sql_done(st, s);
	if (ret)
		return ret;
	s = kf_sql(st, del);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, p->through);
	return kf_sql_done(st, s);
}

int kf_store_audit_prune(struct kf_store *st, int64_t before,
			 struct kf_audit_prune *out)
{
	struct kf_audit_span sp;
	char detail[160];
	size_t n;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = kf_tx_begin(st);
	if (ret)
		return ret;
	ret = kf_store_audit_span(st, &sp);
	if (!ret)
		ret = last_before(st, before, out);
	if (ret || !out->through) {
		/* Nothing older than that: nothing changes, nothing to record. */
		memset(out, 0, sizeof(*out));
		return kf_tx_end(st, ret ? ret : -EAGAIN) == -EAGAIN ? 0 : ret;
	}
	out->records = out->through - sp.pruned_seq;
	kf_audit_prune_detail(detail, sizeof(detail), out->through, out->hash);
	n = strlen(detail);
	snprintf(detail + n, sizeof(detail) - n, " records=%lld before=%lld",
		 (long long)out->records, (long long)before);
	/* The record first: it chains to the head that still covers what
	 * goes, then the point moves and the records go. */
	ret = kf_audit_append(st, "admin.audit.prune", "audit", "ok", detail);
	if (!ret)
		ret = move_point(st, out);
	if (ret)
		memset(out, 0, sizeof(*out));
	return kf_tx_end(st, ret);
}
