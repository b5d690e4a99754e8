// SPDX-License-Identifier: MIT
/*
 * Schema migrations.  PRAGMA user_version is the schema version; each
 * migration runs in its own transaction with the version bump, so a crash
 * leaves the database at one version or the next, never in between.
 * Append new migrations; never edit a released one.
 */
#include <errno.h>
#include <stdio.h>

#include "tools/common/store_impl.h"
#include "tools/common/util.h"

static const char *const migrations[] = {
	/* 1: the initial model. */
	"CREATE TABLE regions("
	" id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE entities("
	" id INTEGER PRIMARY KEY,"
	" region_id INTEGER NOT NULL REFERENCES regions(id),"
	" name TEXT NOT NULL, kei_pub BLOB NOT NULL UNIQUE,"
	" kec_pub BLOB NOT NULL, state INTEGER NOT NULL,"
	" enrolled INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,"
	" valid_from INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE(region_id, name));"
	"CREATE TABLE groups("
	" id INTEGER PRIMARY KEY,"
	" region_id INTEGER NOT NULL REFERENCES regions(id),"
	" name TEXT NOT NULL, created INTEGER NOT NULL,"
	" UNIQUE(region_id, name));"
	"CREATE TABLE group_members("
	" entity_id INTEGER NOT NULL REFERENCES entities(id),"
	" group_id INTEGER NOT NULL REFERENCES groups(id),"
	" PRIMARY KEY(entity_id, group_id)) WITHOUT ROWID;"
	"CREATE TABLE datasets("
	" id INTEGER PRIMARY KEY,"
	" region_id INTEGER NOT NULL REFERENCES regions(id),"
	" name TEXT NOT NULL,"
	" not_before INTEGER NOT NULL DEFAULT 0,"
	" not_after INTEGER NOT NULL DEFAULT 0,"
	" rate_count INTEGER NOT NULL DEFAULT 0,"
	" rate_period INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" UNIQUE(region_id, name));"
	"CREATE TABLE dataset_allow("
	" dataset_id INTEGER NOT NULL REFERENCES datasets(id),"
	" kind TEXT NOT NULL CHECK(kind IN ('entity', 'group')),"
	" name TEXT NOT NULL,"
	" PRIMARY KEY(dataset_id, kind, name)) WITHOUT ROWID;"
	"CREATE TABLE items("
	" id INTEGER PRIMARY KEY,"
	" region_id INTEGER NOT NULL REFERENCES regions(id),"
	" dataset_id INTEGER NOT NULL REFERENCES datasets(id),"
	" name TEXT NOT NULL, version INTEGER NOT NULL,"
	" entity_id INTEGER REFERENCES entities(id),"
	" group_id INTEGER REFERENCES groups(id),"
	" policy BLOB NOT NULL, sealed BLOB NOT NULL,"
	" created INTEGER NOT NULL,"
	" CHECK((entity_id IS NULL) != (group_id IS NULL)));"
	"CREATE INDEX items_name ON items(region_id, name, version);"
	"CREATE UNIQUE INDEX items_entity ON items(entity_id, name, version);"
	"CREATE UNIQUE INDEX items_group ON items(group_id, name, version);"
	"CREATE INDEX items_dataset ON items(dataset_id);"
	"CREATE TABLE tokens("
	" hash BLOB PRIMARY KEY,"
	" region_id INTEGER NOT NULL REFERENCES regions(id),"
	" entity TEXT, created INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" used INTEGER NOT NULL DEFAULT 0,"
	" used_by INTEGER REFERENCES entities(id));"
	"CREATE TABLE nonces(nonce BLOB PRIMARY KEY, expires INTEGER NOT NULL);"
	"CREATE TABLE audit("
	" seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	" actor TEXT NOT NULL, op TEXT NOT NULL, subject TEXT NOT NULL,"
	" result TEXT NOT NULL, detail TEXT NOT NULL,"
	" prev BLOB NOT NULL, hash BLOB NOT NULL);"
	/* Append-only: refuse changes through SQLite itself.  Someone with the
	 * file can still drop these; the hash chain is what catches that. */
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
};

int kf_store_migrate(struct kf_store *st)
{
	int version = kf_store_schema_version(st);
	char sql[64];
	int ret, i;

	if (version < 0)
		return version;
	if (version > (int)KF_ARRAY_SIZE(migrations)) {
		kf_err("store: schema version %d is newer than this program "
		       "(%zu)", version, KF_ARRAY_SIZE(migrations));
		return -EPROTO;
	}
	for (i = version; i < (int)KF_ARRAY_SIZE(migrations); i++) {
		ret = kf_sql_exec(st, "BEGIN IMMEDIATE");
		if (ret)
			return ret;
		/* Another process may have migrated while we waited. */
		if (kf_store_schema_version(st) > i) {
			kf_sql_exec(st, "COMMIT");
			continue;
		}
		ret = kf_sql_exec(st, migrations[i]);
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", i + 1);
		if (!ret)
			ret = kf_sql_exec(st, sql);
		if (ret) {
			kf_sql_exec(st, "ROLLBACK");
			return ret;
		}
		ret = kf_sql_exec(st, "COMMIT");
		if (ret)
			return ret;
	}
	return 0;
}
