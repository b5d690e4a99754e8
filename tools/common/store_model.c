// SPDX-License-Identifier: MIT
/* The store's model: regions, entities, groups, data sets and items. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/common/store_impl.h"
#include "tools/common/util.h"

const char *kf_store_entity_state_name(int state)
{
	switch (state) {
	case KF_ENTITY_ACTIVE: return "active";
	case KF_ENTITY_REVOKED: return "revoked";
	default: return "unknown";
	}
}

/* ---- regions ---------------------------------------------------------- */

int kf_store_region_add(struct kf_store *st, const char *name)
{
	static const char sql[] =
		"INSERT INTO regions(name, created) VALUES(?1, ?2)";
	sqlite3_stmt *s;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, kf_now());
	ret = kf_sql_done(st, s);
	if (!ret)
		ret = kf_audit_append(st, "admin.region.add", name, "ok", NULL);
	return kf_tx_end(st, ret);
}

int kf_store_region_list(struct kf_store *st,
			 int (*cb)(void *ctx, const struct kf_region *r),
			 void *ctx)
{
	static const char sql[] =
		"SELECT r.id, r.name, r.created, (SELECT count(*) FROM entities e"
		" WHERE e.region_id = r.id AND e.state = 1)"
		" FROM regions r ORDER BY r.name";
	sqlite3_stmt *s = kf_sql(st, sql);
	struct kf_region r;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	while (!ret && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(s, 0);
		kf_col_text(s, 1, r.name, sizeof(r.name));
		r.created = sqlite3_column_int64(s, 2);
		r.entities = sqlite3_column_int64(s, 3);
		ret = cb(ctx, &r);
	}
	sqlite3_reset(s);
	return ret;
}

/* ---- entities --------------------------------------------------------- */

#define ENTITY_COLS \
	"SELECT e.id, e.region_id, r.name, e.name, e.kei_pub, e.kec_pub," \
	" e.state, e.enrolled, e.revoked, e.valid_from" \
	" FROM entities e JOIN regions r ON r.id = e.region_id "

static void entity_row(sqlite3_stmt *s, struct kf_entity *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(s, 0);
	e->region_id = sqlite3_column_int64(s, 1);
	kf_col_text(s, 2, e->region, sizeof(e->region));
	kf_col_text(s, 3, e->name, sizeof(e->name));
	kf_col_blob(s, 4, e->kei_pub, KF_KEY_SIZE);
	kf_col_blob(s, 5, e->kec_pub, KF_KEY_SIZE);
	e->state = sqlite3_column_int(s, 6);
	e->enrolled = sqlite3_column_int64(s, 7);
	e->revoked = sqlite3_column_int64(s, 8);
	e->valid_from = sqlite3_column_int64(s, 9);
}

static int entity_one(struct kf_store *st, sqlite3_stmt *s,
		      struct kf_entity *e)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		entity_row(s, e);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : kf_sql_err(st, "entity");
}

int kf_store_entity_by_kei(struct kf_store *st,
			   const uint8_t kei_pub[KF_KEY_SIZE],
			   struct kf_entity *e)
{
	static const char sql[] = ENTITY_COLS "WHERE e.kei_pub = ?1";
	sqlite3_stmt *s = kf_sql(st, sql);

	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, kei_pub, KF_KEY_SIZE, SQLITE_STATIC);
	return entity_one(st, s, e);
}

int kf_store_entity_get(struct kf_store *st, const char *region,
			const char *name, struct kf_entity *e)
{
	static const char sql[] =
		ENTITY_COLS "WHERE r.name = ?1 AND e.name = ?2";
	sqlite3_stmt *s = kf_sql(st, sql);

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	return entity_one(st, s, e);
}

int kf_store_entity_list(struct kf_store *st, const char *region,
			 int (*cb)(void *ctx, const struct kf_entity *e),
			 void *ctx)
{
	static const char sql[] = ENTITY_COLS
		"WHERE ?1 IS NULL OR r.name = ?1 ORDER BY r.name, e.name";
	sqlite3_stmt *s = kf_sql(st, sql);
	struct kf_entity e;
	int rc = SQLITE_DONE, ret = 0;

	if (!s)
		return -EIO;
	if (region)
		sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	while (!ret && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		entity_row(s, &e);
		ret = cb(ctx, &e);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = kf_sql_err(st, "entity list");
	sqlite3_reset(s);
	return ret;
}

static int entity_update(struct kf_store *st, const char *op,
			 const char *region, const char *name,
			 const char *sql, int64_t arg, const char *detail)
{
	char subject[2 * KF_NAME_MAX + 2];
	sqlite3_stmt *s;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, arg);
	ret = kf_sql_done(st, s);
	if (!ret && sqlite3_changes(st->db) != 1)
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
		"UPDATE entities SET state = 2, revoked = ?3 WHERE state = 1"
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
	sqlite3_stmt *s = kf_sql(st, sql);
	int64_t n = -EIO;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	if (s)
		sqlite3_reset(s);
	return n;
}

/* ---- groups ----------------------------------------------------------- */

int kf_store_group_add(struct kf_store *st, const char *region,
		       const char *name)
{
	static const char sql[] =
		"INSERT INTO groups(region_id, name, created) VALUES(?1, ?2, ?3)";
	char subject[2 * KF_NAME_MAX + 2];
	sqlite3_stmt *s;
	int64_t rid;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	ret = kf_region_id(st, region, &rid);
	if (ret)
		return kf_tx_end(st, ret);
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, kf_now());
	ret = kf_sql_done(st, s);
	snprintf(subject, sizeof(subject), "%s/%s", region, name);
	if (!ret)
		ret = kf_audit_append(st, "admin.group.add", subject, "ok", NULL);
	return kf_tx_end(st, ret);
}

int kf_store_group_member_add(struct kf_store *st, const char *region,
			      const char *group, const char *entity)
{
	static const char sql[] =
		"INSERT INTO group_members(entity_id, group_id)"
		" SELECT e.id, g.id FROM regions r"
		" JOIN entities e ON e.region_id = r.id AND e.name = ?3"
		" JOIN groups g ON g.region_id = r.id AND g.name = ?2"
		" WHERE r.name = ?1";
	char subject[2 * KF_NAME_MAX + 2];
	sqlite3_stmt *s;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, entity, -1, SQLITE_STATIC);
	ret = kf_sql_done(st, s);
	if (!ret && sqlite3_changes(st->db) != 1)
		ret = -ENOENT;
	snprintf(subject, sizeof(subject), "%s/%s", region, group);
	if (!ret)
		ret = kf_audit_append(st, "admin.group.member.add", subject,
				      "ok", entity);
	return kf_tx_end(st, ret);
}

int kf_store_group_list(struct kf_store *st, const char *region,
			int (*cb)(void *ctx, const char *region,
				  const char *group, const char *members),
			void *ctx)
{
	static const char sql[] =
		"SELECT r.name, g.name, coalesce((SELECT group_concat(e.name, ',')"
		" FROM group_members m JOIN entities e ON e.id = m.entity_id"
		" WHERE m.group_id = g.id), '')"
		" FROM groups g JOIN regions r ON r.id = g.region_id"
		" WHERE ?1 IS NULL OR r.name = ?1 ORDER BY r.name, g.name";
	sqlite3_stmt *s = kf_sql(st, sql);
	int ret = 0;

	if (!s)
		return -EIO;
	if (region)
		sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	while (!ret && sqlite3_step(s) == SQLITE_ROW)
		ret = cb(ctx, (const char *)sqlite3_column_text(s, 0),
			 (const char *)sqlite3_column_text(s, 1),
			 (const char *)sqlite3_column_text(s, 2));
	sqlite3_reset(s);
	return ret;
}

/* ---- data sets -------------------------------------------------------- */

static int dataset_allow_add(struct kf_store *st, int64_t ds, const char *list)
{
	static const char sql[] =
		"INSERT INTO dataset_allow(dataset_id, kind, name)"
		" VALUES(?1, ?2, ?3)";
	char buf[sizeof(((struct kf_dataset *)0)->allow)], *tok, *save, *colon;
	sqlite3_stmt *s;
	int ret;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		colon = strchr(tok, ':');
		if (!colon)
			return -EINVAL;
		*colon = 0;
		if ((strcmp(tok, "entity") && strcmp(tok, "group")) ||
		    !kf_name_valid(colon + 1, strlen(colon + 1), KF_NAME_MAX))
			return -EINVAL;
		s = kf_sql(st, sql);
		if (!s)
			return -EIO;
		sqlite3_bind_int64(s, 1, ds);
		sqlite3_bind_text(s, 2, tok, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, colon + 1, -1, SQLITE_STATIC);
		ret = kf_sql_done(st, s);
		if (ret)
			return ret;
	}
	return 0;
}

int kf_store_dataset_add(struct kf_store *st, const struct kf_dataset *d)
{
	static const char sql[] =
		"INSERT INTO datasets(region_id, name, not_before, not_after,"
		" rate_count, rate_period, created)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	char subject[2 * KF_NAME_MAX + 2], detail[1200];
	sqlite3_stmt *s;
	int64_t rid;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	ret = kf_region_id(st, d->region, &rid);
	if (ret)
		return kf_tx_end(st, ret);
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_text(s, 2, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, d->not_before);
	sqlite3_bind_int64(s, 4, d->not_after);
	sqlite3_bind_int64(s, 5, d->rate_count);
	sqlite3_bind_int64(s, 6, d->rate_period);
	sqlite3_bind_int64(s, 7, kf_now());
	ret = kf_sql_done(st, s);
	if (!ret)
		ret = dataset_allow_add(st, sqlite3_last_insert_rowid(st->db),
					d->allow);
	snprintf(subject, sizeof(subject), "%s/%s", d->region, d->name);
	snprintf(detail, sizeof(detail),
		 "not_before=%lld not_after=%lld rate=%u/%us allow=%s",
		 (long long)d->not_before, (long long)d->not_after,
		 d->rate_count, d->rate_period, d->allow[0] ? d->allow : "*");
	if (!ret)
		ret = kf_audit_append(st, "admin.dataset.add", subject, "ok",
				      detail);
	return kf_tx_end(st, ret);
}

int kf_store_dataset_list(struct kf_store *st, const char *region,
			  int (*cb)(void *ctx, const struct kf_dataset *d),
			  void *ctx)
{
	static const char sql[] =
		"SELECT d.id, r.name, d.name, d.not_before, d.not_after,"
		" d.rate_count, d.rate_period, coalesce((SELECT"
		" group_concat(a.kind || ':' || a.name, ',') FROM dataset_allow a"
		" WHERE a.dataset_id = d.id), '')"
		" FROM datasets d JOIN regions r ON r.id = d.region_id"
		" WHERE ?1 IS NULL OR r.name = ?1 ORDER BY r.name, d.name";
	sqlite3_stmt *s = kf_sql(st, sql);
	struct kf_dataset d;
	int ret = 0;

	if (!s)
		return -EIO;
	if (region)
		sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	while (!ret && sqlite3_step(s) == SQLITE_ROW) {
		d.id = sqlite3_column_int64(s, 0);
		kf_col_text(s, 1, d.region, sizeof(d.region));
		kf_col_text(s, 2, d.name, sizeof(d.name));
		d.not_before = sqlite3_column_int64(s, 3);
		d.not_after = sqlite3_column_int64(s, 4);
		d.rate_count = (uint32_t)sqlite3_column_int64(s, 5);
		d.rate_period = (uint32_t)sqlite3_column_int64(s, 6);
		kf_col_text(s, 7, d.allow, sizeof(d.allow));
		ret = cb(ctx, &d);
	}
	sqlite3_reset(s);
	return ret;
}
