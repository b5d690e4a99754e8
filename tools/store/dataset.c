// SPDX-License-Identifier: MIT
/* The store's data sets and their repository-side policy. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

int kf_dataset_allow_add(struct kf_store *st, int64_t ds, const char *list)
{
	static const char sql[] =
		"INSERT INTO dataset_allow(dataset_id, kind, name)"
		" VALUES(?1, ?2, ?3)";
	char buf[sizeof(((struct kf_dataset *)0)->allow)], *tok, *save, *colon;
	struct kf_stmt *s;
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
		kf_bind_int64(s, 1, ds);
		kf_bind_text(s, 2, tok);
		kf_bind_text(s, 3, colon + 1);
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
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id";
	char subject[2 * KF_NAME_MAX + 2], detail[1200];
	struct kf_stmt *s;
	int64_t rid, id = 0;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	ret = kf_region_id(st, d->region, &rid);
	if (ret)
		return kf_tx_end(st, ret);
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, d->name);
	kf_bind_int64(s, 3, d->not_before);
	kf_bind_int64(s, 4, d->not_after);
	kf_bind_int64(s, 5, d->rate_count);
	kf_bind_int64(s, 6, d->rate_period);
	kf_bind_int64(s, 7, kf_now());
	ret = kf_step(s);
	if (ret == KF_ROW)
		id = kf_col_int64(s, 0);
	kf_reset(s);
	ret = ret == KF_ROW ? 0 : ret < 0 ? ret : -EIO;
	if (!ret)
		ret = kf_dataset_allow_add(st, id, d->allow);
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
	struct kf_stmt *s = kf_sql(st, sql);
	struct kf_dataset d;
	int ret = 0;

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, region);
	while (!ret && kf_step(s) == KF_ROW) {
		d.id = kf_col_int64(s, 0);
		kf_col_text(s, 1, d.region, sizeof(d.region));
		kf_col_text(s, 2, d.name, sizeof(d.name));
		d.not_before = kf_col_int64(s, 3);
		d.not_after = kf_col_int64(s, 4);
		d.rate_count = (uint32_t)kf_col_int64(s, 5);
		d.rate_period = (uint32_t)kf_col_int64(s, 6);
		kf_col_text(s, 7, d.allow, sizeof(d.allow));
		ret = cb(ctx, &d);
	}
	kf_reset(s);
	return ret;
}

/* ---- what statements do to data sets (submit.c) -------------------------- */

static int dataset_lists(struct kf_store *st, int64_t ds,
			 const struct kf_op *op)
{
	static const char reader[] =
		"INSERT INTO dataset_allow(dataset_id, kind, name)"
		" VALUES(?1, ?2, ?3)";
	static const char admin[] =
		"INSERT INTO dataset_admins(dataset_id, name) VALUES(?1, ?2)";
	const struct {
		const char *kind;
		const char (*names)[KF_NAME_MAX + 1];
		unsigned int n;
	} lists[] = {
		{ "entity", op->read_entities, op->n_read_entities },
		{ "group", op->read_groups, op->n_read_groups },
		{ NULL, op->admin_groups, op->n_admin_groups },
	};
	struct kf_stmt *s;
	unsigned int l, i;
	int ret = 0;

	for (l = 0; l < KF_ARRAY_SIZE(lists); l++) {
		for (i = 0; !ret && i < lists[l].n; i++) {
			s = kf_sql(st, lists[l].kind ? reader : admin);
			if (!s)
				return -EIO;
			kf_bind_int64(s, 1, ds);
			if (lists[l].kind) {
				kf_bind_text(s, 2, lists[l].kind);
				kf_bind_text(s, 3, lists[l].names[i]);
			} else {
				kf_bind_text(s, 2, lists[l].names[i]);
			}
			ret = kf_sql_done(st, s);
		}
	}
	return ret;
}

static int dataset_id(struct kf_store *st, int64_t rid, const char *name,
		      int64_t *ds)
{
	static const char sql[] =
		"SELECT id FROM datasets WHERE region_id = ?1 AND name = ?2";

	return kf_lookup_id(st, sql, rid, name, ds);
}

/* The data set's lists are replaced whole: a change restates them all. */
static int dataset_clear(struct kf_store *st, int64_t ds)
{
	static const char *const sql[] = {
		"DELETE FROM dataset_allow WHERE dataset_id = ?1",
		"DELETE FROM dataset_admins WHERE dataset_id = ?1",
	};
	struct kf_stmt *s;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < KF_ARRAY_SIZE(sql); i++) {
		s = kf_sql(st, sql[i]);
		if (!s)
			return -EIO;
		kf_bind_int64(s, 1, ds);
		ret = kf_sql_done(st, s);
	}
	return ret;
}

int kf_dataset_set_tx(struct kf_store *st, int64_t rid, const struct kf_op *op,
		      bool change, char *why, size_t cap)
{
	static const char ins[] =
		"INSERT INTO datasets(region_id, name, not_before, not_after,"
		" rate_count, rate_period, created)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id";
	static const char upd[] =
		"UPDATE datasets SET not_before = ?3, not_after = ?4,"
		" rate_count = ?5, rate_period = ?6 WHERE region_id = ?1"
		" AND name = ?2 RETURNING id";
	const char *what = change ? "dataset.change" : "dataset.create";
	struct kf_stmt *s = kf_sql(st, change ? upd : ins);
	int64_t ds = 0;
	int rc, ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, op->name);
	kf_bind_int64(s, 3, (int64_t)op->not_before);
	kf_bind_int64(s, 4, (int64_t)op->not_after);
	kf_bind_int64(s, 5, op->rate_count);
	kf_bind_int64(s, 6, op->rate_period);
	if (!change)
		kf_bind_int64(s, 7, kf_now());
	rc = kf_step(s);
	if (rc == KF_ROW)
		ds = kf_col_int64(s, 0);
	kf_reset(s);
	ret = rc == KF_ROW ? 0 : rc == KF_DONE ? -ENOENT : rc;
	if (ret == -EEXIST || ret == -ENOENT) {
		snprintf(why, cap, "%s %s: %s", what, op->name,
			 ret == -EEXIST ? "the data set exists" :
			 "no such data set");
		return ret;
	}
	if (!ret && change)
		ret = dataset_clear(st, ds);
	return ret ? ret : dataset_lists(st, ds, op);
}

int kf_dataset_delete_tx(struct kf_store *st, int64_t rid, const char *name,
			 char *why, size_t cap)
{
	static const char items[] =
		"SELECT count(*) FROM items WHERE dataset_id = ?1";
	static const char del[] = "DELETE FROM datasets WHERE id = ?1";
	struct kf_stmt *s;
	int64_t ds, n = 0;
	int rc, ret = dataset_id(st, rid, name, &ds);

	if (ret == -ENOENT)
		snprintf(why, cap, "dataset.delete %s: no such data set", name);
	if (ret)
		return ret;
	s = kf_sql(st, items);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, ds);
	rc = kf_step(s);
	if (rc == KF_ROW)
		n = kf_col_int64(s, 0);
	kf_reset(s);
	if (rc != KF_ROW)
		return rc < 0 ? rc : -EIO;
	if (n) {
		snprintf(why, cap, "dataset.delete %s: it holds %lld items; "
			 "delete them first", name, (long long)n);
		return -EINVAL;
	}
	ret = dataset_clear(st, ds);
	s = ret ? NULL : kf_sql(st, del);
	if (!ret && !s)
		return -EIO;
	if (!ret) {
		kf_bind_int64(s, 1, ds);
		ret = kf_sql_done(st, s);
	}
	return ret;
}

int kf_dataset_admins(struct kf_store *st, int64_t rid, const char *dataset,
		      int (*cb)(void *ctx, const char *group), void *ctx)
{
	static const char sql[] =
		"SELECT a.name FROM dataset_admins a JOIN datasets d"
		" ON d.id = a.dataset_id WHERE d.region_id = ?1 AND d.name = ?2"
		" ORDER BY a.name";
	char names[KF_ADMINS_MAX][KF_NAME_MAX + 1];
	struct kf_stmt *s = kf_sql(st, sql);
	unsigned int n = 0, i;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, dataset);
	/* Copied out first: the callback runs look-ups of its own. */
	while ((rc = kf_step(s)) == KF_ROW && n < KF_ADMINS_MAX)
		kf_col_text(s, 0, names[n++], sizeof(names[0]));
	kf_reset(s);
	if (rc < 0)
		return rc;
	for (i = 0; !ret && i < n; i++)
		ret = cb(ctx, names[i]);
	return ret;
}
