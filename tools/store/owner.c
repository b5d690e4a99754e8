// SPDX-License-Identifier: MIT
/*
 * Owner keys allowed in a region (owner.allow / owner.retire): the
 * X25519 keys Ko-pub whose items the region takes, each with its owner's
 * name.  The repository refuses to store an item whose sealed header
 * names an owner key (its kid) the region does not allow, or retired.
 */
#include <errno.h>
#include <stdio.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

int kf_owner_key_tx(struct kf_store *st, int64_t rid, const char *owner,
		    const uint8_t pub[32], bool allow, char *why, size_t cap)
{
	static const char ins[] =
		"INSERT INTO owner_keys(region_id, name, pub, kid)"
		" VALUES(?1, ?2, ?3, ?4)";
	static const char ret_[] =
		"UPDATE owner_keys SET retired = 1 WHERE region_id = ?1"
		" AND name = ?2 AND pub = ?3 AND retired = 0";
	uint8_t kid[KF_KID_SIZE];
	struct kf_stmt *s = kf_sql(st, allow ? ins : ret_);
	int ret;

	if (!s)
		return -EIO;
	kf_kid(pub, kid);
	kf_bind_int64(s, 1, rid);
	kf_bind_text(s, 2, owner);
	kf_bind_blob(s, 3, pub, 32);
	if (allow)
		kf_bind_blob(s, 4, kid, sizeof(kid));
	ret = kf_sql_done(st, s);
	if (ret == -EEXIST) {
		/* A retired key stays retired: it may have been stolen. */
		snprintf(why, cap, "owner.allow %s: that key was allowed "
			 "before (and may be retired)", owner);
		return ret;
	}
	if (!ret && !allow && kf_changes(st) != 1) {
		snprintf(why, cap, "owner.retire %s: no such allowed key of "
			 "that owner", owner);
		return -ENOENT;
	}
	return ret;
}
