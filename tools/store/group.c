// SPDX-License-Identifier: MIT
/* The store's authority groups and their members. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

int kf_store_group_add(struct kf_store *st, const char *region,
		       const char *name)
{
	static const char sql[] =
		"INSERT INTO groups(region_id, name, created) VALUES(?1, ?2, ?3)";
	char subject[2 * KF_NAME_MAX + 2];
	struct kf_stmt *s;
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
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, name);
	kf_bind_int64(s, 3, kf_now());
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
	struct kf_stmt *s;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	s = kf_sql(st, sql);
	if (!s)
		return kf_tx_end(st, -EIO);
	kf_bind_text(s, 1, region);
	kf_bind_text(s, 2, group);
	kf_bind_text(s, 3, entity);
	ret = kf_sql_done(st, s);
	if (!ret && kf_changes(st) != 1)
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
	struct kf_stmt *s = kf_sql(st, sql);
	int ret = 0;

	if (!s)
		return -EIO;
	kf_bind_text(s, 1, region);
	while (!ret && kf_step(s) == KF_ROW)
		ret = cb(ctx, kf_col_str(s, 0),
			 kf_col_str(s, 1),
			 kf_col_str(s, 2));
	kf_reset(s);
	return ret;
}

/* ---- what statements do to groups (submit.c) ----------------------------- */

static int group_id(struct kf_store *st, int64_t rid, const char *name,
		    int64_t *gid)
{
	static const char sql[] =
		"SELECT id FROM groups WHERE region_id = ?1 AND name = ?2";

	return kf_lookup_id(st, sql, rid, name, gid);
}

int kf_group_create_tx(struct kf_store *st, int64_t rid, const char *name,
		       char *why, size_t cap)
{
	static const char sql[] =
		"INSERT INTO groups(region_id, name, created) VALUES(?1, ?2, ?3)";
	struct kf_stmt *s = kf_sql(st, sql);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, name);
	kf_bind_int64(s, 3, kf_now());
	ret = kf_sql_done(st, s);
	if (ret == -EEXIST)
		snprintf(why, cap, "group.create %s: the group exists", name);
	return ret;
}

/* How many rows refer to the group: data sets naming it, its items. */
static int group_uses(struct kf_store *st, int64_t rid, int64_t gid,
		      const char *name, int64_t *n)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM dataset_allow a JOIN datasets d"
		"  ON d.id = a.dataset_id WHERE d.region_id = ?1"
		"  AND a.kind = 'group' AND a.name = ?3)"
		" + (SELECT count(*) FROM dataset_admins a JOIN datasets d"
		"  ON d.id = a.dataset_id WHERE d.region_id = ?1 AND a.name = ?3)"
		" + (SELECT count(*) FROM items WHERE group_id = ?2"
		"  OR via_group_id = ?2)";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_int64(s, 2, gid);
	kf_bind_text(s, 3, name);
	rc = kf_step(s);
	if (rc == KF_ROW)
		*n = kf_col_int64(s, 0);
	kf_reset(s);
	return rc == KF_ROW ? 0 : rc < 0 ? rc : -EIO;
}

int kf_group_delete_tx(struct kf_store *st, int64_t rid, const char *name,
		       char *why, size_t cap)
{
	static const char *const sql[] = {
		"DELETE FROM group_members WHERE group_id = ?1",
		"DELETE FROM group_signers WHERE group_id = ?1",
		"DELETE FROM groups WHERE id = ?1",
	};
	struct kf_stmt *s;
	int64_t gid, uses = 0;
	unsigned int i;
	int ret = group_id(st, rid, name, &gid);

	if (!ret)
		ret = group_uses(st, rid, gid, name, &uses);
	if (ret == -ENOENT)
		snprintf(why, cap, "group.delete %s: no such group", name);
	if (ret)
		return ret;
	if (uses) {
		snprintf(why, cap, "group.delete %s: %lld data set entries or "
			 "items still name it", name, (long long)uses);
		return -EINVAL;
	}
	for (i = 0; !ret && i < KF_ARRAY_SIZE(sql); i++) {
		s = kf_sql(st, sql[i]);
		if (!s)
			return -EIO;
		kf_bind_int64(s, 1, gid);
		ret = kf_sql_done(st, s);
	}
	return ret;
}

int kf_group_member_tx(struct kf_store *st, int64_t rid, const char *group,
		       const char *entity, bool add, char *why, size_t cap)
{
	static const char ins[] =
		"INSERT INTO group_members(entity_id, group_id)"
		" SELECT e.id, ?3 FROM entities e WHERE e.region_id = ?1"
		" AND e.name = ?2 AND e.state = 1";
	static const char del[] =
		"DELETE FROM group_members WHERE group_id = ?3 AND entity_id ="
		" (SELECT id FROM entities WHERE region_id = ?1 AND name = ?2)";
	const char *op = add ? "group.add" : "group.remove";
	struct kf_stmt *s;
	int64_t gid;
	int ret = group_id(st, rid, group, &gid);

	if (ret == -ENOENT)
		snprintf(why, cap, "%s %s: no group %s", op, entity, group);
	if (ret)
		return ret;
	s = kf_sql(st, add ? ins : del);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, entity);
	kf_bind_int64(s, 3, gid);
	ret = kf_sql_done(st, s);
	if (ret == -EEXIST)
		snprintf(why, cap, "group.add %s: already in %s", entity, group);
	if (!ret && kf_changes(st) != 1) {
		snprintf(why, cap, add ? "group.add %s: no approved entity of "
			 "that name" : "group.remove %s: not in %s", entity,
			 group);
		ret = add ? -ENOENT : -EINVAL;
	}
	return ret;
}

int kf_group_signers_tx(struct kf_store *st, int64_t rid, const char *group,
			uint8_t threshold, const struct kf_member *m,
			unsigned int n, char *why, size_t cap)
{
	static const char clear[] = "DELETE FROM group_signers WHERE group_id = ?1";
	static const char ins[] =
		"INSERT INTO group_signers(group_id, name, pub) VALUES(?1, ?2, ?3)";
	static const char thr[] = "UPDATE groups SET threshold = ?2 WHERE id = ?1";
	struct kf_stmt *s;
	unsigned int i;
	int64_t gid;
	int ret = group_id(st, rid, group, &gid);

	if (ret == -ENOENT)
		snprintf(why, cap, "group.signers: no group %s", group);
	if (ret)
		return ret;
	s = kf_sql(st, clear);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, gid);
	ret = kf_sql_done(st, s);
	for (i = 0; !ret && i < n; i++) {
		s = kf_sql(st, ins);
		if (!s)
			return -EIO;
		kf_bind_int64(s, 1, gid);
		kf_bind_text(s, 2, m[i].name);
		kf_bind_blob(s, 3, m[i].pub, KF_KEY_SIZE);
		ret = kf_sql_done(st, s);
	}
	s = ret ? NULL : kf_sql(st, thr);
	if (!ret && !s)
		return -EIO;
	if (!ret) {
		kf_bind_int64(s, 1, gid);
		kf_bind_int64(s, 2, threshold);
		ret = kf_sql_done(st, s);
	}
	return ret;
}

int kf_group_signers_load(struct kf_store *st, int64_t rid, const char *group,
			  struct kf_authority *a)
{
	static const char thr[] =
		"SELECT id, threshold FROM groups WHERE region_id = ?1"
		" AND name = ?2";
	static const char mem[] =
		"SELECT name, pub FROM group_signers WHERE group_id = ?1"
		" ORDER BY name";
	struct kf_stmt *s = kf_sql(st, thr);
	int64_t gid = 0;
	int rc;

	if (!s)
		return -EIO;
	memset(a, 0, sizeof(*a));
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, group);
	rc = kf_step(s);
	if (rc == KF_ROW) {
		gid = kf_col_int64(s, 0);
		a->threshold = (uint8_t)kf_col_int64(s, 1);
	}
	kf_reset(s);
	if (rc != KF_ROW)
		return rc == KF_DONE ? -ENOENT : rc;
	if (!a->threshold)
		return -ENOKEY;
	snprintf(a->region, sizeof(a->region), "group %s", group);
	s = kf_sql(st, mem);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, gid);
	while ((rc = kf_step(s)) == KF_ROW && a->n < KF_MEMBERS_MAX) {
		kf_col_text(s, 0, a->m[a->n].name, sizeof(a->m[0].name));
		kf_col_blob(s, 1, a->m[a->n].pub, KF_KEY_SIZE);
		a->n++;
	}
	kf_reset(s);
	return rc < 0 ? rc : 0;
}
