// SPDX-License-Identifier: MIT
/* The store's items: put, delete, list, and the transfer's look-up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/common/store_impl.h"
#include "tools/common/util.h"

static int lookup_id(struct kf_store *st, const char *sql, int64_t rid,
		     const char *name, int64_t *id)
{
	sqlite3_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : kf_sql_err(st, sql);
}

static const char q_dataset[] =
	"SELECT id FROM datasets WHERE region_id = ?1 AND name = ?2";
static const char q_entity[] =
	"SELECT id FROM entities WHERE region_id = ?1 AND name = ?2";
static const char q_group[] =
	"SELECT id FROM groups WHERE region_id = ?1 AND name = ?2";

static int next_version(struct kf_store *st, int64_t rid, const char *name,
			uint64_t *v)
{
	static const char sql[] =
		"SELECT coalesce(max(version), 0) + 1 FROM items"
		" WHERE region_id = ?1 AND name = ?2";
	int64_t n = 1;
	int ret = lookup_id(st, sql, rid, name, &n);

	*v = (uint64_t)n;
	return ret;
}

static int item_insert(struct kf_store *st, struct kf_item *it, int64_t rid,
		       int64_t ds, int64_t rcp)
{
	static const char sql[] =
		"INSERT INTO items(region_id, dataset_id, name, version,"
		" entity_id, group_id, policy, sealed, created)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	sqlite3_stmt *s = kf_sql(st, sql);
	int ret;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, rid);
	sqlite3_bind_int64(s, 2, ds);
	sqlite3_bind_text(s, 3, it->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (int64_t)it->version);
	if (it->to_group)
		sqlite3_bind_int64(s, 6, rcp);
	else
		sqlite3_bind_int64(s, 5, rcp);
	sqlite3_bind_blob(s, 7, it->policy, (int)it->policy_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, it->sealed, (int)it->sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, kf_now());
	ret = kf_sql_done(st, s);
	if (!ret)
		it->id = sqlite3_last_insert_rowid(st->db);
	return ret;
}

int kf_store_item_put(struct kf_store *st, struct kf_item *it)
{
	char subject[2 * KF_NAME_MAX + 2], detail[600];
	int64_t rid, ds, rcp;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	ret = kf_region_id(st, it->region, &rid);
	if (!ret)
		ret = lookup_id(st, q_dataset, rid, it->dataset, &ds);
	if (!ret)
		ret = lookup_id(st, it->to_group ? q_group : q_entity, rid,
				it->recipient, &rcp);
	if (!ret && !it->version)
		ret = next_version(st, rid, it->name, &it->version);
	if (!ret)
		ret = item_insert(st, it, rid, ds, rcp);
	snprintf(subject, sizeof(subject), "%s/%s", it->region, it->name);
	snprintf(detail, sizeof(detail), "version=%llu dataset=%s %s=%s",
		 (unsigned long long)it->version, it->dataset,
		 it->to_group ? "group" : "entity", it->recipient);
	if (!ret)
		ret = kf_audit_append(st, "admin.item.put", subject, "ok",
				      detail);
	return kf_tx_end(st, ret);
}

int kf_store_item_delete(struct kf_store *st, const char *region,
			 const char *name, const char *recipient,
			 uint64_t version)
{
	static const char sql[] =
		"DELETE FROM items WHERE region_id = (SELECT id FROM regions"
		" WHERE name = ?1) AND name = ?2 AND (?3 = 0 OR version = ?3)"
		" AND (?4 IS NULL OR entity_id IN (SELECT id FROM entities"
		" WHERE name = ?4 AND region_id = items.region_id) OR group_id IN"
		" (SELECT id FROM groups WHERE name = ?4 AND"
		" region_id = items.region_id))";
	char subject[2 * KF_NAME_MAX + 2], detail[400];
	sqlite3_stmt *s;
	int ret = kf_tx_begin(st);
	int n = 0;

	if (ret)
		return ret;
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)version);
	if (recipient)
		sqlite3_bind_text(s, 4, recipient, -1, SQLITE_STATIC);
	ret = kf_sql_done(st, s);
	if (!ret)
		n = sqlite3_changes(st->db);
	if (!ret && !n)
		ret = -ENOENT;
	snprintf(subject, sizeof(subject), "%s/%s", region, name);
	snprintf(detail, sizeof(detail), "version=%llu recipient=%s rows=%d",
		 (unsigned long long)version, recipient ? recipient : "*", n);
	if (!ret)
		ret = kf_audit_append(st, "admin.item.delete", subject, "ok",
				      detail);
	return kf_tx_end(st, ret);
}

int kf_store_item_list(struct kf_store *st, const char *region,
		       int (*cb)(void *ctx, const struct kf_item *it),
		       void *ctx)
{
	static const char sql[] =
		"SELECT i.id, r.name, d.name, i.name, i.version,"
		" i.group_id IS NOT NULL, coalesce(e.name, g.name),"
		" i.policy, length(i.sealed), i.created"
		" FROM items i JOIN regions r ON r.id = i.region_id"
		" JOIN datasets d ON d.id = i.dataset_id"
		" LEFT JOIN entities e ON e.id = i.entity_id"
		" LEFT JOIN groups g ON g.id = i.group_id"
		" WHERE ?1 IS NULL OR r.name = ?1"
		" ORDER BY r.name, i.name, i.version";
	sqlite3_stmt *s = kf_sql(st, sql);
	static __thread struct kf_item it;	/* large: keep off the stack */
	int ret = 0;

	if (!s)
		return -EIO;
	if (region)
		sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	while (!ret && sqlite3_step(s) == SQLITE_ROW) {
		memset(&it, 0, sizeof(it));
		it.id = sqlite3_column_int64(s, 0);
		kf_col_text(s, 1, it.region, sizeof(it.region));
		kf_col_text(s, 2, it.dataset, sizeof(it.dataset));
		kf_col_text(s, 3, it.name, sizeof(it.name));
		it.version = (uint64_t)sqlite3_column_int64(s, 4);
		it.to_group = sqlite3_column_int(s, 5);
		kf_col_text(s, 6, it.recipient, sizeof(it.recipient));
		it.policy_len = kf_col_blob(s, 7, it.policy, sizeof(it.policy));
		it.sealed_len = (size_t)sqlite3_column_int64(s, 8);
		it.created = sqlite3_column_int64(s, 9);
		ret = cb(ctx, &it);
	}
	sqlite3_reset(s);
	return ret;
}

/* ---- the transfer's look-up ------------------------------------------- */

static int item_exists(struct kf_store *st, int64_t rid, const char *name)
{
	static const char sql[] =
		"SELECT 1 FROM items WHERE region_id = ?1 AND name = ?2 LIMIT 1";
	int64_t one;
	int ret = lookup_id(st, sql, rid, name, &one);

	return ret == 0 ? -EACCES : ret;
}

static int dataset_allows(struct kf_store *st, int64_t ds,
			  const struct kf_entity *e, bool *allowed)
{
	static const char sql[] =
		"SELECT NOT EXISTS(SELECT 1 FROM dataset_allow"
		"  WHERE dataset_id = ?1)"
		" OR EXISTS(SELECT 1 FROM dataset_allow WHERE dataset_id = ?1"
		"  AND kind = 'entity' AND name = ?2)"
		" OR EXISTS(SELECT 1 FROM dataset_allow a JOIN groups g"
		"  ON g.name = a.name AND g.region_id = ?4"
		"  JOIN group_members m ON m.group_id = g.id AND m.entity_id = ?3"
		"  WHERE a.dataset_id = ?1 AND a.kind = 'group')";
	sqlite3_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, ds);
	sqlite3_bind_text(s, 2, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, e->id);
	sqlite3_bind_int64(s, 4, e->region_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*allowed = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : kf_sql_err(st, "dataset allow");
}

int kf_store_fetch(struct kf_store *st, const struct kf_entity *e,
		   const char *name, struct kf_fetch *f)
{
	static const char sql[] =
		"SELECT i.version, i.policy, i.sealed, d.id, d.name,"
		" d.not_before, d.not_after, d.rate_count, d.rate_period"
		" FROM items i JOIN datasets d ON d.id = i.dataset_id"
		" WHERE i.region_id = ?1 AND i.name = ?2 AND (i.entity_id = ?3"
		"  OR i.group_id IN (SELECT group_id FROM group_members"
		"  WHERE entity_id = ?3))"
		" ORDER BY i.version DESC LIMIT 1";
	sqlite3_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, e->region_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, e->id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		f->version = (uint64_t)sqlite3_column_int64(s, 0);
		f->policy_len = kf_col_blob(s, 1, f->policy, sizeof(f->policy));
		f->sealed_len = kf_col_blob(s, 2, f->sealed, sizeof(f->sealed));
		f->ds.id = sqlite3_column_int64(s, 3);
		snprintf(f->ds.region, sizeof(f->ds.region), "%s", e->region);
		kf_col_text(s, 4, f->ds.name, sizeof(f->ds.name));
		f->ds.not_before = sqlite3_column_int64(s, 5);
		f->ds.not_after = sqlite3_column_int64(s, 6);
		f->ds.rate_count = (uint32_t)sqlite3_column_int64(s, 7);
		f->ds.rate_period = (uint32_t)sqlite3_column_int64(s, 8);
		f->ds.allow[0] = 0;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return item_exists(st, e->region_id, name);
	if (rc != SQLITE_ROW)
		return kf_sql_err(st, "fetch");
	return dataset_allows(st, f->ds.id, e, &f->allowed);
}
