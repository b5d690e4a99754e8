// SPDX-License-Identifier: MIT
/*
 * The store's side of the region authority: a region's members and
 * threshold, the head of its chain of statements, the statements as they
 * were submitted, certificates and revocation lists, and the canonical
 * dump of everything the authority controls (audit verify compares a
 * store with one rebuilt from its statements).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

int kf_authority_load(struct kf_store *st, int64_t rid, struct kf_authority *a,
		      uint64_t *head_seq, uint8_t head_id[32])
{
	static const char reg[] =
		"SELECT name, threshold, head_seq, head_id FROM regions"
		" WHERE id = ?1";
	static const char mem[] =
		"SELECT name, pub FROM authority_members WHERE region_id = ?1"
		" ORDER BY name";
	struct kf_stmt *s = kf_sql(st, reg);
	int rc;

	if (!s)
		return -EIO;
	memset(a, 0, sizeof(*a));
	kf_bind_int64(s, 1, rid);
	rc = kf_step(s);
	if (rc == KF_ROW) {
		kf_col_text(s, 0, a->region, sizeof(a->region));
		a->threshold = (uint8_t)kf_col_int64(s, 1);
		*head_seq = (uint64_t)kf_col_int64(s, 2);
		memset(head_id, 0, 32);
		kf_col_blob(s, 3, head_id, 32);
	}
	kf_reset(s);
	if (rc != KF_ROW)
		return rc == KF_DONE ? -ENOENT : rc;
	if (!a->threshold)
		return -ENOKEY;
	s = kf_sql(st, mem);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	while ((rc = kf_step(s)) == KF_ROW && a->n < KF_MEMBERS_MAX) {
		kf_col_text(s, 0, a->m[a->n].name, sizeof(a->m[0].name));
		kf_col_blob(s, 1, a->m[a->n].pub, KF_KEY_SIZE);
		a->n++;
	}
	kf_reset(s);
	a->sequence = *head_seq;
	memcpy(a->statement, head_id, 32);
	return rc < 0 ? rc : 0;
}

int kf_authority_save(struct kf_store *st, int64_t rid,
		      const struct kf_authority *a)
{
	static const char clear[] =
		"DELETE FROM authority_members WHERE region_id = ?1";
	static const char ins[] =
		"INSERT INTO authority_members(region_id, name, pub)"
		" VALUES(?1, ?2, ?3)";
	static const char thr[] = "UPDATE regions SET threshold = ?2 WHERE id = ?1";
	struct kf_stmt *s = kf_sql(st, clear);
	unsigned int i;
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	ret = kf_sql_done(st, s);
	for (i = 0; !ret && i < a->n; i++) {
		s = kf_sql(st, ins);
		if (!s)
			return -EIO;
		kf_bind_int64(s, 1, rid);
		kf_bind_text(s, 2, a->m[i].name);
		kf_bind_blob(s, 3, a->m[i].pub, KF_KEY_SIZE);
		ret = kf_sql_done(st, s);
	}
	s = ret ? NULL : kf_sql(st, thr);
	if (!ret && !s)
		return -EIO;
	if (!ret) {
		kf_bind_int64(s, 1, rid);
		kf_bind_int64(s, 2, a->threshold);
		ret = kf_sql_done(st, s);
	}
	return ret;
}

int kf_region_create_tx(struct kf_store *st, const char *name, int64_t *rid)
{
	static const char sql[] =
		"INSERT INTO regions(name, created) VALUES(?1, ?2) RETURNING id";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, name);
	kf_bind_int64(s, 2, kf_now());
	rc = kf_step(s);
	if (rc == KF_ROW)
		*rid = kf_col_int64(s, 0);
	kf_reset(s);
	return rc == KF_ROW ? 0 : rc < 0 ? rc : -EIO;
}

int kf_statement_save(struct kf_store *st, int64_t rid, uint64_t seq,
		      const uint8_t id[32], const char *signers,
		      const uint8_t *submission, size_t len)
{
	static const char ins[] =
		"INSERT INTO statements(region_id, seq, id, signers, submission,"
		" applied) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
	static const char head[] =
		"UPDATE regions SET head_seq = ?2, head_id = ?3 WHERE id = ?1";
	struct kf_stmt *s = kf_sql(st, ins);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_int64(s, 2, (int64_t)seq);
	kf_bind_blob(s, 3, id, 32);
	kf_bind_text(s, 4, signers);
	kf_bind_blob(s, 5, submission, len);
	kf_bind_int64(s, 6, kf_now());
	ret = kf_sql_done(st, s);
	s = ret ? NULL : kf_sql(st, head);
	if (!ret && !s)
		return -EIO;
	if (!ret) {
		kf_bind_int64(s, 1, rid);
		kf_bind_int64(s, 2, (int64_t)seq);
		kf_bind_blob(s, 3, id, 32);
		ret = kf_sql_done(st, s);
	}
	return ret;
}

int kf_revocations_last(struct kf_store *st, int64_t rid, uint64_t *number)
{
	static const char sql[] =
		"SELECT coalesce(max(number), 0) FROM revocation_lists"
		" WHERE region_id = ?1";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	rc = kf_step(s);
	if (rc == KF_ROW)
		*number = (uint64_t)kf_col_int64(s, 0);
	kf_reset(s);
	return rc == KF_ROW ? 0 : rc < 0 ? rc : -EIO;
}

int kf_revocations_save(struct kf_store *st, int64_t rid, uint64_t number,
			const uint8_t id[32], const uint8_t *signed_list,
			size_t len)
{
	static const char sql[] =
		"INSERT INTO revocation_lists(region_id, number, id, signed)"
		" VALUES(?1, ?2, ?3, ?4)";
	struct kf_stmt *s = kf_sql(st, sql);

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_int64(s, 2, (int64_t)number);
	kf_bind_blob(s, 3, id, 32);
	kf_bind_blob(s, 4, signed_list, len);
	return kf_sql_done(st, s);
}

/* ---- reads, for the repository's GET endpoints and the verifier ------ */

int kf_store_authority(struct kf_store *st, const char *region,
		       struct kf_authority *a, uint64_t *head_seq,
		       uint8_t head_id[KF_ID_SIZE])
{
	int64_t rid;
	int ret = kf_region_id(st, region, &rid);

	return ret ? ret : kf_authority_load(st, rid, a, head_seq, head_id);
}

int kf_store_statements(struct kf_store *st, const char *region,
			uint64_t after, unsigned int max,
			int (*cb)(void *ctx, uint64_t seq, const uint8_t *sub,
				  size_t len),
			void *ctx)
{
	static const char sql[] =
		"SELECT s.seq, s.submission FROM statements s"
		" JOIN regions r ON r.id = s.region_id"
		" WHERE r.name = ?1 AND s.seq > ?2 ORDER BY s.seq LIMIT ?3";
	struct kf_stmt *s = kf_sql(st, sql);
	size_t len;
	const void *p;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, region);
	kf_bind_int64(s, 2, (int64_t)after);
	kf_bind_int64(s, 3, max);
	while ((rc = kf_step(s)) == KF_ROW) {
		p = st->drv->col_value(s, 1, &len);	/* valid until the next step */
		ret = cb(ctx, (uint64_t)kf_col_int64(s, 0), p, len);
		if (ret)
			break;
	}
	kf_reset(s);
	return ret ? ret : rc < 0 ? rc : 0;
}

static int one_blob(struct kf_store *st, struct kf_stmt *s, uint8_t *buf,
		    size_t cap, size_t *len)
{
	int rc = kf_step(s);

	if (rc == KF_ROW) {
		*len = kf_col_bytes(s, 0);
		if (*len > cap)
			rc = -EMSGSIZE;
		else
			kf_col_blob(s, 0, buf, cap);
	}
	kf_reset(s);
	return rc == KF_ROW ? 0 : rc == KF_DONE ? -ENOENT : rc;
}

int kf_store_certificate(struct kf_store *st, const char *region,
			 const char *entity, uint8_t *buf, size_t cap,
			 size_t *len)
{
	static const char sql[] =
		"SELECT c.signed FROM entities e JOIN regions r"
		" ON r.id = e.region_id JOIN certificates c"
		" ON c.region_id = e.region_id AND c.serial = e.cert_serial"
		" WHERE r.name = ?1 AND e.name = ?2 AND e.cert_serial != 0";
	struct kf_stmt *s = kf_sql(st, sql);

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, region);
	kf_bind_text(s, 2, entity);
	return one_blob(st, s, buf, cap, len);
}

int kf_store_revocations(struct kf_store *st, const char *region,
			 uint8_t *buf, size_t cap, size_t *len)
{
	static const char sql[] =
		"SELECT l.signed FROM revocation_lists l JOIN regions r"
		" ON r.id = l.region_id WHERE r.name = ?1"
		" ORDER BY l.number DESC LIMIT 1";
	struct kf_stmt *s = kf_sql(st, sql);

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, region);
	return one_blob(st, s, buf, cap, len);
}
