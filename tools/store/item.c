// SPDX-License-Identifier: MIT
/* The store's items: put, delete, list, and the transfer's look-up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

static const char q_dataset[] =
	"SELECT id FROM datasets WHERE region_id = ?1 AND name = ?2";
static const char q_entity[] =
	"SELECT id FROM entities WHERE region_id = ?1 AND name = ?2";
static const char q_group[] =
	"SELECT id FROM groups WHERE region_id = ?1 AND name = ?2";

/*
 * The newest version held for this item and recipient (0 for none): a
 * put must go above it, so that the repository never serves an older
 * version than it did (docs/protocol.md section 4.1).
 */
static int newest_version(struct kf_store *st, int64_t rid, const char *name,
			  bool to_group, int64_t rcp, uint64_t *v)
{
	static const char q_ent[] =
		"SELECT coalesce(max(version), 0) FROM items"
		" WHERE region_id = ?1 AND name = ?2 AND entity_id = ?3";
	static const char q_grp[] =
		"SELECT coalesce(max(version), 0) FROM items"
		" WHERE region_id = ?1 AND name = ?2 AND group_id = ?3";
	struct kf_stmt *s = kf_sql(st, to_group ? q_grp : q_ent);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, name);
	kf_bind_int64(s, 3, rcp);
	rc = kf_step(s);
	if (rc == KF_ROW)
		*v = (uint64_t)kf_col_int64(s, 0);
	kf_reset(s);
	if (rc == KF_ROW)
		return 0;
	return rc == KF_DONE ? -EIO : rc;	/* max() always has a row */
}

static int item_insert(struct kf_store *st, struct kf_item *it, int64_t rid,
		       int64_t ds, int64_t rcp, int64_t via)
{
	static const char sql[] =
		"INSERT INTO items(region_id, dataset_id, name, version,"
		" entity_id, group_id, policy, sealed, created, via_group_id)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id";
	struct kf_stmt *s = kf_sql(st, sql);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_int64(s, 2, ds);
	kf_bind_text(s, 3, it->name);
	kf_bind_int64(s, 4, (int64_t)it->version);
	if (it->to_group)
		kf_bind_int64(s, 6, rcp);
	else
		kf_bind_int64(s, 5, rcp);
	kf_bind_blob(s, 7, it->policy, it->policy_len);
	kf_bind_blob(s, 8, it->sealed, it->sealed_len);
	kf_bind_int64(s, 9, kf_now());
	if (via)
		kf_bind_int64(s, 10, via);
	ret = kf_step(s);
	if (ret == KF_ROW)
		it->id = kf_col_int64(s, 0);
	kf_reset(s);
	return ret == KF_ROW ? 0 : ret < 0 ? ret : -EIO;
}

int kf_item_put_tx(struct kf_store *st, struct kf_item *it)
{
	char subject[2 * KF_NAME_MAX + 2], detail[900];
	struct kf_sealed_header h;
	int64_t rid, ds, rcp, via = 0;
	int ret;

	/* The version is the owner's, bound inside the blob: read it there. */
	if (kf_sealed_header_decode(&h, it->sealed, it->sealed_len))
		return -EPROTO;
	it->version = h.version;
	it->newest = 0;
	ret = kf_region_id(st, it->region, &rid);
	if (!ret)
		ret = kf_lookup_id(st, q_dataset, rid, it->dataset, &ds);
	if (!ret)
		ret = kf_lookup_id(st, it->to_group ? q_group : q_entity, rid,
				it->recipient, &rcp);
	/* An entity's copy of a group's item (a group key sealed to it). */
	if (!ret && it->via_group[0] && !it->to_group)
		ret = kf_lookup_id(st, q_group, rid, it->via_group, &via);
	if (!ret)
		ret = newest_version(st, rid, it->name, it->to_group, rcp,
				     &it->newest);
	if (!ret && it->version <= it->newest)
		ret = -ESTALE;
	if (!ret)
		ret = item_insert(st, it, rid, ds, rcp, via);
	snprintf(subject, sizeof(subject), "%s/%s", it->region, it->name);
	snprintf(detail, sizeof(detail), "version=%llu dataset=%s %s=%s%s%s",
		 (unsigned long long)it->version, it->dataset,
		 it->to_group ? "group" : "entity", it->recipient,
		 via ? " via group " : "", via ? it->via_group : "");
	if (!ret)
		ret = kf_audit_append(st, "admin.item.put", subject, "ok",
				      detail);
	return ret;
}

int kf_store_item_put(struct kf_store *st, struct kf_item *it)
{
	int ret = kf_tx_begin(st);

	return ret ? ret : kf_tx_end(st, kf_item_put_tx(st, it));
}

int kf_item_delete_tx(struct kf_store *st, const char *region,
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
	struct kf_stmt *s = kf_sql(st, sql);
	int ret, n = 0;

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, region);
	kf_bind_text(s, 2, name);
	kf_bind_int64(s, 3, (int64_t)version);
	kf_bind_text(s, 4, recipient);
	ret = kf_sql_done(st, s);
	if (!ret)
		n = (int)kf_changes(st);
	if (!ret && !n)
		ret = -ENOENT;
	snprintf(subject, sizeof(subject), "%s/%s", region, name);
	snprintf(detail, sizeof(detail), "version=%llu recipient=%s rows=%d",
		 (unsigned long long)version, recipient ? recipient : "*", n);
	if (!ret)
		ret = kf_audit_append(st, "admin.item.delete", subject, "ok",
				      detail);
	return ret;
}

int kf_store_item_delete(struct kf_store *st, const char *region,
			 const char *name, const char *recipient,
			 uint64_t version)
{
	int ret = kf_tx_begin(st);

	return ret ? ret : kf_tx_end(st, kf_item_delete_tx(st, region, name,
							   recipient, version));
}

int kf_store_item_list(struct kf_store *st, const char *region,
		       int (*cb)(void *ctx, const struct kf_item *it),
		       void *ctx)
{
	static const char sql[] =
		"SELECT i.id, r.name, d.name, i.name, i.version,"
		" i.group_id IS NOT NULL, coalesce(e.name, g.name),"
		" i.policy, length(i.sealed), i.created, substr(i.sealed, 17, 8)"
		" FROM items i JOIN regions r ON r.id = i.region_id"
		" JOIN datasets d ON d.id = i.dataset_id"
		" LEFT JOIN entities e ON e.id = i.entity_id"
		" LEFT JOIN groups g ON g.id = i.group_id"
		" WHERE ?1 IS NULL OR r.name = ?1"
		" ORDER BY r.name, i.name, i.version";
	struct kf_stmt *s = kf_sql(st, sql);
	static __thread struct kf_item it;	/* large: keep off the stack */
	int ret = 0;

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, region);
	while (!ret && kf_step(s) == KF_ROW) {
		memset(&it, 0, sizeof(it));
		it.id = kf_col_int64(s, 0);
		kf_col_text(s, 1, it.region, sizeof(it.region));
		kf_col_text(s, 2, it.dataset, sizeof(it.dataset));
		kf_col_text(s, 3, it.name, sizeof(it.name));
		it.version = (uint64_t)kf_col_int64(s, 4);
		it.to_group = kf_col_int64(s, 5);
		kf_col_text(s, 6, it.recipient, sizeof(it.recipient));
		it.policy_len = kf_col_blob(s, 7, it.policy, sizeof(it.policy));
		it.sealed_len = (size_t)kf_col_int64(s, 8);
		it.created = kf_col_int64(s, 9);
		kf_col_blob(s, 10, it.owner_kid, sizeof(it.owner_kid));
		ret = cb(ctx, &it);
	}
	kf_reset(s);
	return ret;
}

/* ---- the transfer's look-up ------------------------------------------- */

static int item_exists(struct kf_store *st, int64_t rid, const char *name)
{
	static const char sql[] =
		"SELECT 1 FROM items WHERE region_id = ?1 AND name = ?2 LIMIT 1";
	int64_t one;
	int ret = kf_lookup_id(st, sql, rid, name, &one);

	return ret == 0 ? -EACCES : ret;
}

int kf_store_fetch(struct kf_store *st, const struct kf_entity *e,
		   const char *name, struct kf_fetch *f)
{
	/* With whether the data set's list names the entity, in the same
	 * statement: one round trip less to a database server. */
	static const char sql[] =
		"SELECT i.version, i.policy, i.sealed, d.id, d.name,"
		" d.not_before, d.not_after, d.rate_count, d.rate_period,"
		" NOT EXISTS(SELECT 1 FROM dataset_allow WHERE dataset_id = d.id)"
		" OR EXISTS(SELECT 1 FROM dataset_allow WHERE dataset_id = d.id"
		"  AND kind = 'entity' AND name = ?4)"
		" OR EXISTS(SELECT 1 FROM dataset_allow a JOIN groups g"
		"  ON g.name = a.name AND g.region_id = ?1"
		"  JOIN group_members m ON m.group_id = g.id AND m.entity_id = ?3"
		"  WHERE a.dataset_id = d.id AND a.kind = 'group')"
		" FROM items i JOIN datasets d ON d.id = i.dataset_id"
		" WHERE i.region_id = ?1 AND i.name = ?2 AND (i.entity_id = ?3"
		"  OR i.group_id IN (SELECT group_id FROM group_members"
		"  WHERE entity_id = ?3))"
		/* A copy for the entity as a member of a group: only while it
		 * is one (a removed member gets nothing of the group's). */
		" AND (i.via_group_id IS NULL OR i.via_group_id IN"
		"  (SELECT group_id FROM group_members WHERE entity_id = ?3))"
		" ORDER BY i.version DESC LIMIT 1";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, e->region_id);
	kf_bind_text(s, 2, name);
	kf_bind_int64(s, 3, e->id);
	kf_bind_text(s, 4, e->name);
	rc = kf_step(s);
	if (rc == KF_ROW) {
		f->version = (uint64_t)kf_col_int64(s, 0);
		f->policy_len = kf_col_blob(s, 1, f->policy, sizeof(f->policy));
		f->sealed_len = kf_col_blob(s, 2, f->sealed, sizeof(f->sealed));
		f->ds.id = kf_col_int64(s, 3);
		snprintf(f->ds.region, sizeof(f->ds.region), "%s", e->region);
		kf_col_text(s, 4, f->ds.name, sizeof(f->ds.name));
		f->ds.not_before = kf_col_int64(s, 5);
		f->ds.not_after = kf_col_int64(s, 6);
		f->ds.rate_count = (uint32_t)kf_col_int64(s, 7);
		f->ds.rate_period = (uint32_t)kf_col_int64(s, 8);
		f->ds.allow[0] = 0;
		f->allowed = kf_col_int64(s, 9) != 0;
	}
	kf_reset(s);
	if (rc == KF_DONE)
		return item_exists(st, e->region_id, name);
	return rc == KF_ROW ? 0 : rc;
}
