// SPDX-License-Identifier: MIT
/* The store's entities: look-ups, listing, revocation, validity. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

const char *kf_store_entity_state_name(int state)
{
	switch (state) {
	case KF_ENTITY_ACTIVE: return "active";
	case KF_ENTITY_REVOKED: return "revoked";
	case KF_ENTITY_PENDING: return "pending";
	default: return "unknown";
	}
}

#define ENTITY_COLS \
	"SELECT e.id, e.region_id, r.name, e.name, e.kei_pub, e.kec_pub," \
	" e.state, e.enrolled, e.revoked, e.valid_from, e.not_after," \
	" e.cert_serial" \
	" FROM entities e JOIN regions r ON r.id = e.region_id "

static void entity_row(struct kf_stmt *s, struct kf_entity *e)
{
	memset(e, 0, sizeof(*e));
	e->id = kf_col_int64(s, 0);
	e->region_id = kf_col_int64(s, 1);
	kf_col_text(s, 2, e->region, sizeof(e->region));
	kf_col_text(s, 3, e->name, sizeof(e->name));
	kf_col_blob(s, 4, e->kei_pub, KF_KEY_SIZE);
	kf_col_blob(s, 5, e->kec_pub, KF_KEY_SIZE);
	e->state = kf_col_int64(s, 6);
	e->enrolled = kf_col_int64(s, 7);
	e->revoked = kf_col_int64(s, 8);
	e->valid_from = kf_col_int64(s, 9);
	e->not_after = kf_col_int64(s, 10);
	e->cert_serial = (uint64_t)kf_col_int64(s, 11);
}

static int entity_one(struct kf_store *st, struct kf_stmt *s,
		      struct kf_entity *e)
{
	int rc = kf_step(s);

	if (rc == KF_ROW)
		entity_row(s, e);
	kf_reset(s);
	if (rc == KF_ROW)
		return 0;
	return rc == KF_DONE ? -ENOENT : rc;
}

int kf_store_entity_by_kei(struct kf_store *st,
			   const uint8_t kei_pub[KF_KEY_SIZE],
			   struct kf_entity *e)
{
	static const char sql[] = ENTITY_COLS "WHERE e.kei_pub = ?1";
	struct kf_stmt *s = kf_sql(st, sql);

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, kei_pub, KF_KEY_SIZE);
	return entity_one(st, s, e);
}

int kf_store_entity_get(struct kf_store *st, const char *region,
			const char *name, struct kf_entity *e)
{
	static const char sql[] =
		ENTITY_COLS "WHERE r.name = ?1 AND e.name = ?2";
	struct kf_stmt *s = kf_sql(st, sql);

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, region);
	kf_bind_text(s, 2, name);
	return entity_one(st, s, e);
}

int kf_store_entity_list(struct kf_store *st, const char *region,
			 int (*cb)(void *ctx, const struct kf_entity *e),
			 void *ctx)
{
	static const char sql[] = ENTITY_COLS
		"WHERE ?1 IS NULL OR r.name = ?1 ORDER BY r.name, e.name";
	struct kf_stmt *s = kf_sql(st, sql);
	struct kf_entity e;
	int rc = KF_DONE, ret = 0;

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, region);
	while (!ret && (rc = kf_step(s)) == KF_ROW) {
		entity_row(s, &e);
		ret = cb(ctx, &e);
	}
	if (!ret && rc != KF_DONE)
		ret = rc;
	kf_reset(s);
	return ret;
}

static int entity_update(struct kf_store *st, const char *op,
			 const char *region, const char *name,
			 const char *sql, int64_t arg, const char *detail)
{
	char subject[2 * KF_NAME_MAX + 2];
	struct kf_stmt *s;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	kf_bind_text(s, 1, region);
	kf_bind_text(s, 2, name);
	kf_bind_int64(s, 3, arg);
	ret = kf_sql_done(st, s);
	if (!ret && kf_changes(st) != 1)
		ret = -ENOENT;
	snprintf(subject, sizeof(subject), "%s/%s", region, name);
	if (!ret)
		ret = kf_audit_append(st, op, subject, "ok", detail);
	return kf_tx_end(st, ret);
}

int kf_store_entity_revoke(struct kf_store *st, const char *region,
			   const char *name, const char *reason)
{
	static const char sql[] =
		"UPDATE entities SET state = 2, revoked = ?3 WHERE state != 2"
		" AND name = ?2 AND region_id = (SELECT id FROM regions"
		" WHERE name = ?1)";

	return entity_update(st, "admin.entity.revoke", region, name, sql,
			     kf_now(), reason);
}

int kf_store_entity_set_valid_from(struct kf_store *st, const char *region,
				   const char *name, int64_t valid_from)
{
	static const char sql[] =
		"UPDATE entities SET valid_from = ?3 WHERE name = ?2 AND"
		" region_id = (SELECT id FROM regions WHERE name = ?1)";
	char detail[32];

	snprintf(detail, sizeof(detail), "valid_from=%lld",
		 (long long)valid_from);
	return entity_update(st, "admin.entity.valid-from", region, name, sql,
			     valid_from, detail);
}

int64_t kf_store_entity_count(struct kf_store *st)
{
	static const char sql[] =
		"SELECT count(*) FROM entities WHERE state = 1";
	struct kf_stmt *s = kf_sql(st, sql);
	int64_t n = -EIO;

	if (s && kf_step(s) == KF_ROW)
		n = kf_col_int64(s, 0);
	if (s)
		kf_reset(s);
	return n;
}

int kf_store_entity_accept(struct kf_store *st, int64_t entity_id,
			   const uint8_t kei_pub[KF_KEY_SIZE],
			   const uint8_t ts[KF_TIMESTAMP_SIZE],
			   struct kf_entity *e)
{
	/* Blobs compare with memcmp(), and TAI64N is big-endian.  The
	 * columns are ENTITY_COLS's, the region's name by a subquery, since
	 * RETURNING sees only the updated table. */
	static const char sql[] =
		"UPDATE entities SET last_timestamp = ?2 WHERE id = ?1 AND"
		" kei_pub = ?3 AND (last_timestamp IS NULL OR last_timestamp < ?2)"
		" RETURNING id, region_id,"
		" (SELECT r.name FROM regions r WHERE r.id = entities.region_id),"
		" name, kei_pub, kec_pub, state, enrolled, revoked, valid_from,"
		" not_after, cert_serial";
	static const char exists[] =
		"SELECT 1 FROM entities WHERE id = ?1 AND kei_pub = ?2";
	struct kf_stmt *s = kf_sql(st, sql);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, entity_id);
	kf_bind_blob(s, 2, ts, KF_TIMESTAMP_SIZE);
	kf_bind_blob(s, 3, kei_pub, KF_KEY_SIZE);
	ret = entity_one(st, s, e);
	if (ret != -ENOENT)
		return ret;
	/* No row updated: a replay, or (rarely) an entity that went. */
	s = kf_sql(st, exists);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, entity_id);
	kf_bind_blob(s, 2, kei_pub, KF_KEY_SIZE);
	ret = kf_step(s);
	kf_reset(s);
	if (ret == KF_ROW)
		return -ESTALE;
	return ret == KF_DONE ? -ENOENT : ret;
}

/* ---- what statements do to entities (submit.c) --------------------------- */

static int entity_lookup(struct kf_store *st, int64_t rid, const char *name,
			 int64_t *id, int *state, uint8_t kei[32],
			 uint8_t kec[32])
{
	static const char sql[] =
		"SELECT id, state, kei_pub, kec_pub FROM entities"
		" WHERE region_id = ?1 AND name = ?2";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, name);
	rc = kf_step(s);
	if (rc == KF_ROW) {
		*id = kf_col_int64(s, 0);
		*state = (int)kf_col_int64(s, 1);
		kf_col_blob(s, 2, kei, 32);
		kf_col_blob(s, 3, kec, 32);
	}
	kf_reset(s);
	return rc == KF_ROW ? 0 : rc == KF_DONE ? -ENOENT : rc;
}

/* Rebuilding a store: the entity as its certificate says it enrolled. */
static int entity_from_cert(struct kf_store *st, int64_t rid,
			    const struct kf_certificate *c, int64_t *id)
{
	static const char ins[] =
		"INSERT INTO entities(region_id, name, kei_pub, kec_pub, state,"
		" enrolled) VALUES(?1, ?2, ?3, ?4, 3, ?5) RETURNING id";
	struct kf_stmt *s = kf_sql(st, ins);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, c->entity);
	kf_bind_blob(s, 3, c->kei_pub, KF_KEY_SIZE);
	kf_bind_blob(s, 4, c->kec_pub, KF_KEY_SIZE);
	kf_bind_int64(s, 5, (int64_t)c->not_before);
	rc = kf_step(s);
	if (rc == KF_ROW)
		*id = kf_col_int64(s, 0);
	kf_reset(s);
	return rc == KF_ROW ? 0 : rc < 0 ? rc : -EIO;
}

static int certificate_insert(struct kf_store *st, int64_t rid, int64_t eid,
			      const struct kf_certificate *c,
			      const uint8_t id[32], const uint8_t *signed_cert,
			      size_t len)
{
	static const char ins[] =
		"INSERT INTO certificates(region_id, serial, entity_id, id,"
		" not_after, signed) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
	static const char upd[] =
		"UPDATE entities SET state = 1, valid_from = ?2, not_after = ?3,"
		" cert_serial = ?4 WHERE id = ?1";
	struct kf_stmt *s = kf_sql(st, ins);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_int64(s, 2, (int64_t)c->serial);
	kf_bind_int64(s, 3, eid);
	kf_bind_blob(s, 4, id, 32);
	kf_bind_int64(s, 5, (int64_t)c->not_after);
	kf_bind_blob(s, 6, signed_cert, len);
	ret = kf_sql_done(st, s);
	s = ret ? NULL : kf_sql(st, upd);
	if (!ret && !s)
		return -EIO;
	if (!ret) {
		kf_bind_int64(s, 1, eid);
		kf_bind_int64(s, 2, (int64_t)c->not_before);
		kf_bind_int64(s, 3, (int64_t)c->not_after);
		kf_bind_int64(s, 4, (int64_t)c->serial);
		ret = kf_sql_done(st, s);
	}
	return ret;
}

int kf_entity_approve_tx(struct kf_store *st, int64_t rid,
			 const struct kf_certificate *c, const uint8_t id[32],
			 const uint8_t *signed_cert, size_t len, bool create,
			 char *why, size_t cap)
{
	uint8_t kei[32], kec[32];
	int64_t eid;
	int state, ret;

	/* Serials are 63-bit: they are stored as signed 64-bit integers. */
	if (!c->serial || c->serial > INT64_MAX) {
		snprintf(why, cap, "entity.approve %s: serial 0 or above 2^63",
			 c->entity);
		return -EINVAL;
	}
	ret = entity_lookup(st, rid, c->entity, &eid, &state, kei, kec);
	if (ret == -ENOENT && create) {
		ret = entity_from_cert(st, rid, c, &eid);
		state = KF_ENTITY_PENDING;
		memcpy(kei, c->kei_pub, 32);
		memcpy(kec, c->kec_pub, 32);
	}
	if (ret == -ENOENT)
		snprintf(why, cap, "entity.approve %s: no such entity has "
			 "enrolled", c->entity);
	if (ret)
		return ret;
	if (state == KF_ENTITY_REVOKED) {
		snprintf(why, cap, "entity.approve %s: the entity is revoked",
			 c->entity);
		return -EINVAL;
	}
	if (memcmp(kei, c->kei_pub, 32) || memcmp(kec, c->kec_pub, 32)) {
		snprintf(why, cap, "entity.approve %s: the certificate's keys "
			 "are not the ones the entity enrolled with",
			 c->entity);
		return -EINVAL;
	}
	ret = certificate_insert(st, rid, eid, c, id, signed_cert, len);
	if (ret == -EEXIST)
		snprintf(why, cap, "entity.approve %s: serial %llu is taken in "
			 "the region", c->entity,
			 (unsigned long long)c->serial);
	return ret;
}

int kf_entity_revoke_tx(struct kf_store *st, int64_t rid, const char *name,
			int64_t when, char *why, size_t cap)
{
	static const char sql[] =
		"UPDATE entities SET state = 2, revoked = ?3"
		" WHERE region_id = ?1 AND name = ?2 AND state != 2";
	uint8_t kei[32], kec[32];
	struct kf_stmt *s = kf_sql(st, sql);
	int64_t eid;
	int state, ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, name);
	kf_bind_int64(s, 3, when);
	ret = kf_sql_done(st, s);
	if (ret || kf_changes(st) == 1)
		return ret;
	ret = entity_lookup(st, rid, name, &eid, &state, kei, kec);
	snprintf(why, cap, "entity.revoke %s: %s", name,
		 ret == -ENOENT ? "no such entity" : "revoked already");
	return ret == -ENOENT ? ret : -EINVAL;
}

int kf_entity_revoked(struct kf_store *st, int64_t rid, int64_t at,
		      int (*cb)(void *ctx, const char *name,
				const uint8_t kei[32], int64_t revoked,
				int64_t not_after),
		      void *ctx)
{
	static const char sql[] =
		"SELECT name, kei_pub, revoked, not_after FROM entities"
		" WHERE region_id = ?1 AND state = 2 AND cert_serial != 0"
		" AND not_after > ?2 ORDER BY name";
	struct kf_stmt *s = kf_sql(st, sql);
	uint8_t kei[32];
	int rc, ret = 0;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_int64(s, 2, at);
	while ((rc = kf_step(s)) == KF_ROW) {
		memset(kei, 0, sizeof(kei));
		kf_col_blob(s, 1, kei, sizeof(kei));
		ret = cb(ctx, kf_col_str(s, 0), kei, kf_col_int64(s, 2),
			 kf_col_int64(s, 3));
		if (ret)
			break;
	}
	kf_reset(s);
	return ret ? ret : rc < 0 ? rc : 0;
}
