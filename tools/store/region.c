// SPDX-License-Identifier: MIT
/* The store's regions. */
#include <errno.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

int kf_store_region_add(struct kf_store *st, const char *name)
{
	static const char sql[] =
		"INSERT INTO regions(name, created) VALUES(?1, ?2)";
	struct kf_stmt *s;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	kf_bind_text(s, 1, name);
	kf_bind_int64(s, 2, kf_now());
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
	struct kf_stmt *s = kf_sql(st, sql);
	struct kf_region r;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	while (!ret && (rc = kf_step(s)) == KF_ROW) {
		r.id = kf_col_int64(s, 0);
		kf_col_text(s, 1, r.name, sizeof(r.name));
		r.created = kf_col_int64(s, 2);
		r.entities = kf_col_int64(s, 3);
		ret = cb(ctx, &r);
	}
	kf_reset(s);
	return ret;
}

int kf_region_id(struct kf_store *st, const char *name, int64_t *id)
{
	static const char sql[] = "SELECT id FROM regions WHERE name=?1";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, name);
	rc = kf_step(s);
	if (rc == KF_ROW)
		*id = kf_col_int64(s, 0);
	kf_reset(s);
	if (rc == KF_ROW)
		return 0;
	return rc == KF_DONE ? -ENOENT : rc;
}

int kf_lookup_id(struct kf_store *st, const char *sql, int64_t rid,
		 const char *name, int64_t *id)
{
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, name);
	rc = kf_step(s);
	if (rc == KF_ROW)
		*id = kf_col_int64(s, 0);
	kf_reset(s);
	if (rc == KF_ROW)
		return 0;
	return rc == KF_DONE ? -ENOENT : rc;
}
