// SPDX-License-Identifier: MIT
/*
 * Enrollment in the store: one-time tokens (only their SHA-256 is kept,
 * so a copy of the database cannot enroll anything), the challenge nonces
 * enrollments consumed, and the enrollment transaction itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

#define TOKEN_BYTES 32

static int sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned int len = 32;

	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int kf_store_token_create(struct kf_store *st, const char *region,
			  const char *entity, uint64_t ttl, char *tok,
			  size_t cap)
{
	static const char sql[] =
		"INSERT INTO tokens(hash, region_id, entity, created, expires)"
		" VALUES(?1, ?2, ?3, ?4, ?5)";
	uint8_t raw[TOKEN_BYTES], hash[32];
	char id[17], detail[400];
	struct kf_stmt *s;
	int64_t rid, now = kf_now();
	int ret;

	if (cap < 2 * TOKEN_BYTES + 1)
		return -EINVAL;
	ret = kf_random(raw, sizeof(raw));
	if (ret)
		return ret;
	kf_hex(tok, raw, sizeof(raw));
	kf_wipe(raw, sizeof(raw));
	ret = sha256(tok, 2 * TOKEN_BYTES, hash);
	if (ret)
		goto out;
	ret = kf_tx_begin(st);
	if (ret)
		goto out;
	ret = kf_region_id(st, region, &rid);
	s = ret ? NULL : kf_sql(st, sql);
	if (!ret && !s)
		ret = -EIO;
	if (!ret) {
		kf_bind_blob(s, 1, hash, 32);
		kf_bind_int64(s, 2, rid);
		kf_bind_text(s, 3, entity);
		kf_bind_int64(s, 4, now);
		kf_bind_int64(s, 5, now + (int64_t)ttl);
		ret = kf_sql_done(st, s);
	}
	kf_hex(id, hash, 8);
	snprintf(detail, sizeof(detail), "token=%s entity=%s ttl=%llu", id,
		 entity ? entity : "*", (unsigned long long)ttl);
	if (!ret)
		ret = kf_audit_append(st, "admin.token.create", region, "ok",
				      detail);
	ret = kf_tx_end(st, ret);
out:
	if (ret)
		kf_wipe(tok, cap);
	return ret;
}

int kf_store_token_list(struct kf_store *st,
			int (*cb)(void *ctx, const struct kf_token_info *t),
			void *ctx)
{
	static const char sql[] =
		"SELECT t.hash, r.name, coalesce(t.entity, ''), t.created,"
		" t.expires, t.used, coalesce(e.name, '')"
		" FROM tokens t JOIN regions r ON r.id = t.region_id"
		" LEFT JOIN entities e ON e.id = t.used_by ORDER BY t.created";
	struct kf_stmt *s = kf_sql(st, sql);
	struct kf_token_info t;
	uint8_t hash[32];
	int ret = 0;

	if (!s)
		return -EIO;
	while (!ret && kf_step(s) == KF_ROW) {
		memset(hash, 0, sizeof(hash));
		kf_col_blob(s, 0, hash, sizeof(hash));
		kf_hex(t.id, hash, 8);
		kf_col_text(s, 1, t.region, sizeof(t.region));
		kf_col_text(s, 2, t.entity, sizeof(t.entity));
		t.created = kf_col_int64(s, 3);
		t.expires = kf_col_int64(s, 4);
		t.used = kf_col_int64(s, 5);
		kf_col_text(s, 6, t.used_by, sizeof(t.used_by));
		ret = cb(ctx, &t);
	}
	kf_reset(s);
	return ret;
}

/*
 * A challenge nonce is made and checked by the repository without the
 * store (tools/repo/challenge.c); the store only remembers the nonces that
 * enrollments consumed, until they expire, so that none is used twice.
 * Expired ones are forgotten in the same transaction.
 */
static int record_nonce(struct kf_store *st, const uint8_t *nonce,
			int64_t expires, bool or_ignore)
{
	static const char purge[] = "DELETE FROM used_nonces WHERE expires < ?1";
	static const char ins[] =
		"INSERT INTO used_nonces(nonce, expires) VALUES(?1, ?2)";
	static const char ins_ignore[] =
		"INSERT INTO used_nonces(nonce, expires) VALUES(?1, ?2)"
		" ON CONFLICT(nonce) DO NOTHING";
	struct kf_stmt *s = kf_sql(st, purge);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, kf_now());
	ret = kf_sql_done(st, s);
	if (ret)
		return ret;
	s = kf_sql(st, or_ignore ? ins_ignore : ins);
	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, nonce, KF_NONCE_SIZE);
	kf_bind_int64(s, 2, expires);
	ret = kf_sql_done(st, s);
	return ret == -EEXIST ? -EPERM : ret;
}

/* 1 when the look-up of key finds a row, 0 (KF_DONE) when not, or an errno. */
static int exists(struct kf_store *st, const char *sql, const void *key,
		  size_t len)
{
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, key, len);
	rc = kf_step(s);
	kf_reset(s);
	return rc == KF_ROW ? 1 : rc;
}

int kf_store_enroll_precheck(struct kf_store *st,
			     const struct kf_enroll_req *rq, char *why,
			     size_t why_cap)
{
	static const char used[] = "SELECT 1 FROM used_nonces WHERE nonce = ?1";
	static const char token[] = "SELECT 1 FROM tokens WHERE hash = ?1";
	uint8_t hash[32];
	int ret;

	ret = exists(st, used, rq->nonce, KF_NONCE_SIZE);
	if (ret == 1) {
		snprintf(why, why_cap, "nonce already used");
		return -EPERM;
	}
	if (ret)
		return ret;
	ret = sha256(rq->token, rq->token_len, hash);
	if (!ret)
		ret = exists(st, token, hash, sizeof(hash));
	if (ret == KF_DONE) {
		snprintf(why, why_cap, "unknown token");
		return -EPERM;
	}
	return ret == 1 ? 0 : ret;
}

static int check_token(struct kf_store *st, const struct kf_enroll_req *rq,
		       const uint8_t hash[32], int64_t *rid, char *why,
		       size_t cap)
{
	static const char sql[] =
		"SELECT t.region_id, r.name, t.entity, t.expires, t.used"
		" FROM tokens t JOIN regions r ON r.id = t.region_id"
		" WHERE t.hash = ?1";
	struct kf_stmt *s = kf_sql(st, sql);
	const char *region, *entity;
	int rc, ret = -EPERM;

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, hash, 32);
	rc = kf_step(s);
	if (rc != KF_ROW) {
		snprintf(why, cap, "unknown token");
		goto out;
	}
	*rid = kf_col_int64(s, 0);
	region = kf_col_str(s, 1);
	entity = kf_col_str(s, 2);
	if (kf_col_int64(s, 4))
		snprintf(why, cap, "token already used");
	else if (kf_col_int64(s, 3) < kf_now())
		snprintf(why, cap, "token expired");
	else if (strcmp(region, rq->region))
		snprintf(why, cap, "token is for another region");
	else if (entity && strcmp(entity, rq->entity))
		snprintf(why, cap, "token is for another entity");
	else
		ret = 0;
out:
	kf_reset(s);
	if (rc != KF_ROW && rc != KF_DONE)
		return rc;
	return ret;
}

static int insert_entity(struct kf_store *st, const struct kf_enroll_req *rq,
			 int64_t rid, const uint8_t hash[32])
{
	static const char ins[] =
		"INSERT INTO entities(region_id, name, kei_pub, kec_pub, state,"
		" enrolled) VALUES(?1, ?2, ?3, ?4, 3, ?5) RETURNING id";
	static const char use[] =
		"UPDATE tokens SET used = ?2, used_by = ?3 WHERE hash = ?1";
	struct kf_stmt *s = kf_sql(st, ins);
	int64_t id = 0;
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, rq->entity);
	kf_bind_blob(s, 3, rq->kei_pub, KF_KEY_SIZE);
	kf_bind_blob(s, 4, rq->kec_pub, KF_KEY_SIZE);
	kf_bind_int64(s, 5, kf_now());
	ret = kf_step(s);
	if (ret == KF_ROW)
		id = kf_col_int64(s, 0);
	kf_reset(s);
	if (ret != KF_ROW)
		return ret < 0 ? ret : -EIO;
	s = kf_sql(st, use);
	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, hash, 32);
	kf_bind_int64(s, 2, kf_now());
	kf_bind_int64(s, 3, id);
	return kf_sql_done(st, s);
}

/*
 * A refusal's record, after the rollback of the refused change: it
 * consumes the nonce too, so that a refused request cannot be replayed
 * into another decision.
 */
static void audit_refusal(struct kf_store *st, const struct kf_enroll_req *rq,
			  const char *subject, const char *why,
			  const char *detail)
{
	int ret = kf_tx_begin(st);

	if (ret)
		return;
	ret = record_nonce(st, rq->nonce, rq->nonce_expires, true);
	if (!ret)
		ret = kf_audit_append(st, "enroll", subject, why, detail);
	kf_tx_end(st, ret);
}

int kf_store_enroll(struct kf_store *st, const struct kf_enroll_req *rq,
		    char *why, size_t why_cap)
{
	char subject[2 * KF_NAME_MAX + 2], detail[128], kid[17];
	uint8_t hash[32], k[KF_KID_SIZE];
	int64_t rid = 0;
	int ret;

	snprintf(why, why_cap, "internal error");
	ret = sha256(rq->token, rq->token_len, hash);
	if (ret)
		return ret;
	ret = kf_tx_begin(st);
	if (ret)
		return ret;
	ret = record_nonce(st, rq->nonce, rq->nonce_expires, false);
	if (ret == -EPERM)
		snprintf(why, why_cap, "nonce already used");
	if (!ret)
		ret = check_token(st, rq, hash, &rid, why, why_cap);
	if (!ret) {
		ret = insert_entity(st, rq, rid, hash);
		if (ret == -EEXIST)
			snprintf(why, why_cap,
				 "entity name or identity key already enrolled");
	}
	snprintf(subject, sizeof(subject), "%s/%s", rq->region, rq->entity);
	kf_kid(rq->kei_pub, k);
	kf_hex(kid, k, sizeof(k));
	snprintf(detail, sizeof(detail), "kei=%s", kid);
	if (!ret) {
		snprintf(why, why_cap, "ok");
		ret = kf_audit_append(st, "enroll", subject, "ok", detail);
	}
	ret = kf_tx_end(st, ret);
	/* A refusal is recorded after the rollback, in its own transaction,
	 * so that the record survives while the refused change does not. */
	if (ret == -EPERM || ret == -EEXIST)
		audit_refusal(st, rq, subject, why, detail);
	else if (ret)
		kf_store_audit(st, "enroll", subject, why, detail);
	return ret;
}

int kf_token_issue_tx(struct kf_store *st, int64_t rid, const uint8_t hash[32],
		      const char *entity, int64_t expires, char *why,
		      size_t cap)
{
	static const char sql[] =
		"INSERT INTO tokens(hash, region_id, entity, created, expires)"
		" VALUES(?1, ?2, ?3, ?4, ?5)";
	struct kf_stmt *s = kf_sql(st, sql);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, hash, 32);
	kf_bind_int64(s, 2, rid);
	kf_bind_text(s, 3, entity);	/* NULL: any entity name */
	kf_bind_int64(s, 4, kf_now());
	kf_bind_int64(s, 5, expires);
	ret = kf_sql_done(st, s);
	if (ret == -EEXIST)
		snprintf(why, cap, "token.issue: that token was issued already");
	return ret;
}
