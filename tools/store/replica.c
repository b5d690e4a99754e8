// SPDX-License-Identifier: MIT
/*
 * Replication to secure providers (store.h): the repository hands out
 * the rows of a provider's regions a page at a time; a provider replaces
 * its copy with a whole set of them in one transaction.
 *
 * The copy holds exactly the rows the transfer reads
 * (kf_store_entity_by_kei(), kf_store_fetch()), with the repository's
 * ids, so that the provider runs the repository's own transfer code on
 * it and decides as the repository would.  A column that those reads
 * start to use must be added to both the SELECT and the INSERT of its
 * table below; tools/tests/test_provider.c compares the two decisions
 * item by item.
 *
 * Rows are read in the order of their key, one table after the other,
 * LIMIT rows per statement, so that no statement holds a large result.
 * The repository reads a page inside the write transaction of its
 * exchange with the provider, which every change to these tables also
 * takes: a page is one state, and sync_generation, read in the same
 * transaction, tells the provider whether the pages it gathers are of
 * the same one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

#define LIMIT 256

/* The provider's regions, in every SELECT: ?1 is the provider's key. */
#define SCOPE "(SELECT region_id FROM providers WHERE pub = ?1 AND retired = 0)"

struct table {
	const char *types;	/* kf_replica_types() */
	unsigned int keys;	/* key columns, at the front */
	const char *select;	/* ?1 provider, ?2 ?3 after this key, ?4 limit */
	const char *insert;	/* ?1 .. ?n the columns */
};

static const struct table tables[KF_REPLICA_TABLES + 1] = {
	[KF_REPLICA_REGIONS] = { "iti", 1,
		"SELECT id, name, created FROM regions WHERE id IN " SCOPE
		" AND id > ?2 AND ?3 = ?3 ORDER BY id LIMIT ?4",
		"INSERT INTO regions(id, name, created) VALUES(?1, ?2, ?3)" },
	/* not_after: the end of the authority's certificate. */
	[KF_REPLICA_ENTITIES] = { "iitbbiiiii", 1,
		"SELECT id, region_id, name, kei_pub, kec_pub, state, enrolled,"
		" revoked, valid_from, not_after FROM entities"
		" WHERE region_id IN " SCOPE
		" AND id > ?2 AND ?3 = ?3 ORDER BY id LIMIT ?4",
		"INSERT INTO entities(id, region_id, name, kei_pub, kec_pub,"
		" state, enrolled, revoked, valid_from, not_after)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)" },
	[KF_REPLICA_GROUPS] = { "iiti", 1,
		"SELECT id, region_id, name, created FROM groups"
		" WHERE region_id IN " SCOPE
		" AND id > ?2 AND ?3 = ?3 ORDER BY id LIMIT ?4",
		"INSERT INTO groups(id, region_id, name, created)"
		" VALUES(?1, ?2, ?3, ?4)" },
	[KF_REPLICA_MEMBERS] = { "ii", 2,
		"SELECT entity_id, group_id FROM group_members WHERE group_id IN"
		" (SELECT id FROM groups WHERE region_id IN " SCOPE ")"
		" AND (entity_id > ?2 OR (entity_id = ?2 AND group_id > ?3))"
		" ORDER BY entity_id, group_id LIMIT ?4",
		"INSERT INTO group_members(entity_id, group_id) VALUES(?1, ?2)" },
	/* The list of a data set travels in its row (kf_dataset_allow_add). */
	[KF_REPLICA_DATASETS] = { "iitiiiiit", 1,
		"SELECT d.id, d.region_id, d.name, d.not_before, d.not_after,"
		" d.rate_count, d.rate_period, d.created, (SELECT"
		" group_concat(a.kind || ':' || a.name, ',') FROM dataset_allow a"
		" WHERE a.dataset_id = d.id) FROM datasets d"
		" WHERE d.region_id IN " SCOPE
		" AND d.id > ?2 AND ?3 = ?3 ORDER BY d.id LIMIT ?4",
		"INSERT INTO datasets(id, region_id, name, not_before, not_after,"
		" rate_count, rate_period, created)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" },
	/*
	 * Of each item and recipient, the newest version only: the one a
	 * transfer can choose.  An entity's copy of a group's item
	 * (via_group_id: served only while the entity is in that group) is
	 * a recipient of its own, so that an older copy of the entity's own
	 * stays in the copy for when it leaves the group.
	 */
	[KF_REPLICA_ITEMS] = { "iiitiiibbii", 1,
		"SELECT i.id, i.region_id, i.dataset_id, i.name, i.version,"
		" i.entity_id, i.group_id, i.policy, i.sealed, i.created,"
		" i.via_group_id"
		" FROM items i WHERE i.region_id IN " SCOPE
		" AND i.id > ?2 AND ?3 = ?3 AND NOT EXISTS(SELECT 1 FROM items j"
		"  WHERE j.region_id = i.region_id AND j.name = i.name"
		"  AND j.version > i.version AND ((j.entity_id = i.entity_id"
		"  AND coalesce(j.via_group_id, 0) = coalesce(i.via_group_id, 0))"
		"  OR j.group_id = i.group_id))"
		" ORDER BY i.id LIMIT ?4",
		"INSERT INTO items(id, region_id, dataset_id, name, version,"
		" entity_id, group_id, policy, sealed, created, via_group_id)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)" },
};

const char *kf_replica_types(unsigned int table)
{
	if (table < KF_REPLICA_REGIONS || table > KF_REPLICA_TABLES)
		return NULL;
	return tables[table].types;
}

int kf_store_generation(struct kf_store *st, struct kf_generation *g)
{
	static const char sql[] =
		"SELECT store, value FROM sync_generation WHERE id = 1";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	memset(g, 0, sizeof(*g));
	rc = kf_step(s);
	if (rc == KF_ROW) {
		kf_col_blob(s, 0, g->store, sizeof(g->store));
		g->value = kf_col_int64(s, 1);
	}
	kf_reset(s);
	if (rc == KF_ROW)
		return 0;
	return rc == KF_DONE ? -EIO : rc;
}

/* ---- the repository's side: pages of rows ------------------------------ */

static void read_row(struct kf_stmt *s, unsigned int table, struct kf_row *r)
{
	const char *types = tables[table].types;
	unsigned int c;
	size_t n;

	r->table = (uint8_t)table;
	r->n = (unsigned int)strlen(types);
	for (c = 0; c < r->n; c++) {
		memset(&r->v[c], 0, sizeof(r->v[c]));
		if (types[c] == 'i') {
			r->v[c].null = !kf_col_str(s, (int)c);
			r->v[c].i = kf_col_int64(s, (int)c);
			continue;
		}
		r->v[c].p = (const uint8_t *)kf_col_str(s, (int)c);
		n = kf_col_bytes(s, (int)c);
		r->v[c].null = !r->v[c].p || !n;	/* empty is NULL */
		r->v[c].n = r->v[c].null ? 0 : n;
	}
}

/*
 * At most LIMIT rows of one table after cur's key: 1 when cb had no
 * room, 0 when the statement gave fewer than LIMIT rows (the table is
 * done) or LIMIT rows all taken (*more set), a negative errno.
 */
static int table_page(struct kf_store *st, const uint8_t *provider,
		      struct kf_cursor *cur, bool *more,
		      int (*cb)(void *ctx, const struct kf_row *row),
		      void *ctx)
{
	const struct table *t = &tables[cur->table];
	struct kf_stmt *s = kf_sql(st, t->select);
	static __thread struct kf_row row;
	unsigned int rows = 0;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, provider, KF_KEY_SIZE);
	kf_bind_int64(s, 2, cur->k1);
	kf_bind_int64(s, 3, cur->k2);
	kf_bind_int64(s, 4, LIMIT);
	while ((rc = kf_step(s)) == KF_ROW) {
		rows++;
		read_row(s, cur->table, &row);
		ret = cb(ctx, &row);
		if (ret)
			break;
		cur->k1 = row.v[0].i;
		cur->k2 = t->keys == 2 ? row.v[1].i : 0;
	}
	if (!ret && rc != KF_DONE)
		ret = rc;
	kf_reset(s);
	*more = !ret && rows == LIMIT;
	return ret;
}

int kf_store_replica_rows(struct kf_store *st,
			  const uint8_t provider[KF_KEY_SIZE],
			  struct kf_cursor *cur,
			  int (*cb)(void *ctx, const struct kf_row *row),
			  void *ctx)
{
	bool more;
	int ret;

	if (cur->table < KF_REPLICA_REGIONS)
		return -EINVAL;
	while (cur->table <= KF_REPLICA_TABLES) {
		ret = table_page(st, provider, cur, &more, cb, ctx);
		if (ret)
			return ret < 0 ? ret : 0;
		if (more)
			continue;
		cur->table++;
		cur->k1 = cur->k2 = 0;
	}
	return 0;
}

/* ---- the provider's side: its own store ------------------------------ */

int kf_store_is_replica(struct kf_store *st)
{
	static const char sql[] = "SELECT count(*) FROM replica_state";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;
	int64_t n = 0;

	if (!s)
		return -EIO;
	rc = kf_step(s);
	if (rc == KF_ROW)
		n = kf_col_int64(s, 0);
	kf_reset(s);
	if (rc != KF_ROW)
		return rc < 0 ? rc : -EIO;
	return n > 0;
}

int kf_store_replica_init(struct kf_store *st)
{
	static const char regions[] = "SELECT count(*) FROM regions";
	static const char ins[] =
		"INSERT INTO replica_state(id, generation, synced, reported_seq)"
		" VALUES(1, 0, 0, 0)";
	struct kf_stmt *s;
	int64_t n = -1;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	ret = kf_store_is_replica(st);
	if (ret)
		return kf_tx_end(st, ret < 0 ? ret : 0);
	s = kf_sql(st, regions);
	if (s && kf_step(s) == KF_ROW)
		n = kf_col_int64(s, 0);
	if (s)
		kf_reset(s);
	if (n)
		return kf_tx_end(st, n < 0 ? -EIO : -EEXIST);
	s = kf_sql(st, ins);
	ret = s ? kf_sql_done(st, s) : -EIO;
	if (!ret)
		ret = kf_audit_append(st, "replica.init", "-", "ok", NULL);
	return kf_tx_end(st, ret);
}

int kf_store_replica_state(struct kf_store *st, struct kf_replica_state *rs)
{
	static const char sql[] =
		"SELECT store, generation, synced, reported_seq"
		" FROM replica_state WHERE id = 1";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	memset(rs, 0, sizeof(*rs));
	rc = kf_step(s);
	if (rc == KF_ROW) {
		kf_col_blob(s, 0, rs->gen.store, sizeof(rs->gen.store));
		rs->gen.value = kf_col_int64(s, 1);
		rs->synced = kf_col_int64(s, 2);
		rs->reported_seq = kf_col_int64(s, 3);
	}
	kf_reset(s);
	if (rc == KF_ROW)
		return 0;
	return rc == KF_DONE ? -ENOENT : rc;
}

int kf_store_replica_set(struct kf_store *st, int64_t synced,
			 int64_t reported_seq)
{
	static const char sql[] =
		"UPDATE replica_state SET synced = ?1, reported_seq = ?2"
		" WHERE id = 1";
	struct kf_stmt *s;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	kf_bind_int64(s, 1, synced);
	kf_bind_int64(s, 2, reported_seq);
	return kf_tx_end(st, kf_sql_done(st, s));
}

/* Children first, for the foreign keys. */
static const char *const wipe[] = {
	"DELETE FROM items", "DELETE FROM dataset_allow",
	"DELETE FROM datasets", "DELETE FROM group_members",
	"DELETE FROM groups", "DELETE FROM entities", "DELETE FROM regions",
};

/* Keep the entities' last request timestamps aside, then drop every row. */
static int replica_clear(struct kf_store *st)
{
	static const char keep[] =
		"INSERT INTO replica_timestamps(kei_pub, last_timestamp)"
		" SELECT kei_pub, last_timestamp FROM entities"
		" WHERE last_timestamp IS NOT NULL";
	static const char forget[] = "DELETE FROM replica_timestamps";
	const char *const steps[] = { forget, keep };
	struct kf_stmt *s;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < KF_ARRAY_SIZE(steps); i++) {
		s = kf_sql(st, steps[i]);
		ret = s ? kf_sql_done(st, s) : -EIO;
	}
	for (i = 0; !ret && i < KF_ARRAY_SIZE(wipe); i++) {
		s = kf_sql(st, wipe[i]);
		ret = s ? kf_sql_done(st, s) : -EIO;
	}
	return ret;
}

/* A row's value well formed for its column, to bind. */
static int bind_value(struct kf_stmt *s, int idx, char type,
		      const struct kf_value *v)
{
	if (type == 'i') {
		if (v->null)
			kf_bind_null_int64(s, idx);
		else
			kf_bind_int64(s, idx, v->i);
		return 0;
	}
	if (v->null)
		return -EPROTO;		/* no text or blob column is empty */
	if (type == 'b') {
		kf_bind_blob(s, idx, v->p, v->n);
		return 0;
	}
	/* Text travels without its NUL: the caller made it a C string. */
	if (memchr(v->p, 0, v->n) || v->p[v->n])
		return -EPROTO;
	kf_bind_text(s, idx, (const char *)v->p);
	return 0;
}

static int insert_row(struct kf_store *st, const struct kf_row *r)
{
	const struct table *t;
	struct kf_stmt *s;
	unsigned int c, cols;
	const char *allow = NULL;
	int ret = 0;

	if (r->table < KF_REPLICA_REGIONS || r->table > KF_REPLICA_TABLES)
		return -EPROTO;
	t = &tables[r->table];
	cols = (unsigned int)strlen(t->types);
	if (r->n != cols)
		return -EPROTO;
	if (r->table == KF_REPLICA_DATASETS) {
		/* the list is not a column of the table */
		cols--;
		allow = r->v[cols].null ? "" : (const char *)r->v[cols].p;
	}
	s = kf_sql(st, t->insert);
	if (!s)
		return -EIO;
	for (c = 0; !ret && c < cols; c++)
		ret = bind_value(s, (int)c + 1, t->types[c], &r->v[c]);
	if (!ret)
		ret = kf_sql_done(st, s);
	else
		kf_reset(s);
	if (!ret && allow) {
		if (!r->v[cols].null && (memchr(r->v[cols].p, 0, r->v[cols].n) ||
					 r->v[cols].p[r->v[cols].n]))
			return -EPROTO;
		ret = kf_dataset_allow_add(st, r->v[0].i, allow);
	}
	return ret;
}

/* The timestamps back on the entities that are still there. */
static int replica_restore(struct kf_store *st)
{
	static const char back[] =
		"UPDATE entities SET last_timestamp = (SELECT t.last_timestamp"
		" FROM replica_timestamps t WHERE t.kei_pub = entities.kei_pub)"
		" WHERE kei_pub IN (SELECT kei_pub FROM replica_timestamps)";
	static const char forget[] = "DELETE FROM replica_timestamps";
	struct kf_stmt *s = kf_sql(st, back);
	int ret = s ? kf_sql_done(st, s) : -EIO;

	if (!ret) {
		s = kf_sql(st, forget);
		ret = s ? kf_sql_done(st, s) : -EIO;
	}
	return ret;
}

static int replica_state_set(struct kf_store *st,
			     const struct kf_generation *g, int64_t synced)
{
	static const char sql[] =
		"UPDATE replica_state SET store = ?1, generation = ?2,"
		" synced = ?3 WHERE id = 1";
	struct kf_stmt *s = kf_sql(st, sql);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, g->store, sizeof(g->store));
	kf_bind_int64(s, 2, g->value);
	kf_bind_int64(s, 3, synced);
	ret = kf_sql_done(st, s);
	if (!ret && kf_changes(st) != 1)
		ret = -ENOENT;		/* not a provider's store */
	return ret;
}

int kf_store_replica_apply(struct kf_store *st,
			   int (*next)(void *ctx, struct kf_row *row),
			   void *ctx, const struct kf_generation *g,
			   int64_t synced)
{
	static __thread struct kf_row row;
	unsigned int counts[KF_REPLICA_TABLES + 1] = { 0 };
	char detail[160];
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	ret = replica_state_set(st, g, synced);
	if (!ret)
		ret = replica_clear(st);
	while (!ret && (ret = next(ctx, &row)) == 1) {
		ret = insert_row(st, &row);
		if (!ret)
			counts[row.table]++;
	}
	if (!ret)
		ret = replica_restore(st);
	snprintf(detail, sizeof(detail), "generation=%lld regions=%u "
		 "entities=%u groups=%u members=%u datasets=%u items=%u",
		 (long long)g->value, counts[KF_REPLICA_REGIONS],
		 counts[KF_REPLICA_ENTITIES], counts[KF_REPLICA_GROUPS],
		 counts[KF_REPLICA_MEMBERS], counts[KF_REPLICA_DATASETS],
		 counts[KF_REPLICA_ITEMS]);
	if (!ret)
		ret = kf_audit_append(st, "sync.apply", "-", "ok", detail);
	return kf_tx_end(st, ret);
}
