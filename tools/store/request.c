// SPDX-License-Identifier: MIT
/*
 * Item requests (docs/protocol.md 8.6): an owner's sealed item put into
 * a data set, or items deleted, signed by the region's authority or by the
 * administrators of a group that administers the data set.  One write
 * transaction: the signatures are judged against the sets as they stand,
 * the request's id is recorded (a replay finds it there), the item goes
 * in or out, and the audit record names the signers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

struct request {
	struct kf_store *st;
	struct kf_submit *s;
	struct kf_item_request r;
	int64_t rid;
	bool ok;			/* a set accepted the signatures */
	char tried[160];		/* the groups tried, for the refusal */
	char who[sizeof(((struct kf_submit *)0)->signers) + 64];
};

#define WHY(q, ...) kf_msg((q)->s->why, sizeof((q)->s->why), __VA_ARGS__)

/* One group administering the data set: do its administrators sign? */
static int try_group(void *ctx, const char *group)
{
	struct request *q = ctx;
	struct kf_authority a;
	struct kf_signers w;
	char why[200], names[sizeof(q->s->signers)];
	size_t off = strlen(q->tried);

	if (q->ok)
		return 0;
	snprintf(q->tried + off, sizeof(q->tried) - off, "%s%s",
		 off ? ", " : "", group);
	if (kf_group_signers_load(q->st, q->rid, group, &a))
		return 0;	/* a group without administrators */
	if (kf_signed_verify(&q->s->sub->item, &a, &w, why, sizeof(why)))
		return 0;
	kf_signers_join(&w, names, sizeof(names));
	snprintf(q->s->signers, sizeof(q->s->signers), "%s", names);
	snprintf(q->who, sizeof(q->who), "group:%s:%s", group, names);
	q->ok = true;
	return 0;
}

/* The data sets the request touches: a put's, or those of the items a
 * delete removes. */
static int each_dataset(struct request *q,
			int (*cb)(struct request *q, const char *ds))
{
	static const char sql[] =
		"SELECT DISTINCT d.name FROM items i JOIN datasets d"
		" ON d.id = i.dataset_id WHERE i.region_id = ?1 AND i.name = ?2";
	char names[8][KF_NAME_MAX + 1];
	unsigned int n = 0, i;
	struct kf_stmt *s;
	int rc, ret = 0;

	if (q->r.action == KF_ITEM_PUT)
		return cb(q, q->r.dataset);
	s = kf_sql(q->st, sql);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, q->rid);
	kf_bind_text(s, 2, q->r.item);
	while ((rc = kf_step(s)) == KF_ROW && n < KF_ARRAY_SIZE(names))
		kf_col_text(s, 0, names[n++], sizeof(names[0]));
	kf_reset(s);
	if (rc < 0)
		return rc;
	if (rc == KF_ROW || !n)		/* in more than 8 data sets: */
		return cb(q, "");	/* the region's authority only */
	for (i = 0; !ret && i < n; i++)
		ret = cb(q, names[i]);
	return ret;
}

/* Administrators of a group administering this data set sign. */
static int admins_sign(struct request *q, const char *ds)
{
	int ret;

	q->ok = false;
	if (!ds[0])
		return -EPERM;
	ret = kf_dataset_admins(q->st, q->rid, ds, try_group, q);
	return ret ? ret : q->ok ? 0 : -EPERM;
}

static int authorize(struct request *q)
{
	struct kf_authority a;
	struct kf_signers w;
	uint64_t head;
	uint8_t hid[32];
	int ret = kf_authority_load(q->st, q->rid, &a, &head, hid);

	if (ret && ret != -ENOKEY)
		return ret;
	if (!ret) {
		ret = kf_signed_verify(&q->s->sub->item, &a, &w, q->s->why,
				       sizeof(q->s->why));
		if (ret == -EBADMSG)
			return ret;	/* a member's signature is bad */
		if (!ret) {
			kf_signers_join(&w, q->s->signers,
					sizeof(q->s->signers));
			snprintf(q->who, sizeof(q->who), "authority:%s",
				 q->s->signers);
			return 0;
		}
	}
	ret = each_dataset(q, admins_sign);
	if (ret == -EPERM)
		WHY(q, "item request: neither %u of the authority of %s nor "
		    "the administrators of a group administering its data set "
		    "(%s) signed it", (unsigned int)a.threshold, q->r.region,
		    q->tried[0] ? q->tried : "none");
	return ret;
}

static int record_request(struct request *q)
{
	static const char purge[] = "DELETE FROM item_requests WHERE expires < ?1";
	static const char ins[] =
		"INSERT INTO item_requests(id, expires) VALUES(?1, ?2)";
	struct kf_stmt *s = kf_sql(q->st, purge);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, q->s->now);
	ret = kf_sql_done(q->st, s);
	s = ret ? NULL : kf_sql(q->st, ins);
	if (!ret && !s)
		return -EIO;
	if (!ret) {
		kf_bind_blob(s, 1, q->s->id, KF_ID_SIZE);
		kf_bind_int64(s, 2, (int64_t)q->r.expires);
		ret = kf_sql_done(q->st, s);
	}
	if (ret == -EEXIST) {
		WHY(q, "item request applied already");
		ret = -EALREADY;
	}
	return ret;
}

/*
 * An item sealed by an owner (alg 1 of a version 2 sealed item) names its
 * owner's key by kid: the region must allow that key, not retired.
 */
static int owner_allowed(struct request *q)
{
	static const char sql[] =
		"SELECT retired FROM owner_keys WHERE region_id = ?1 AND kid = ?2";
	const uint8_t *h = q->r.sealed;
	struct kf_stmt *s;
	int rc, retired = 0;

	if (q->r.sealed_len < 24 || memcmp(h, "KFS2", 4) || h[4] != 1)
		return 0;
	s = kf_sql(q->st, sql);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, q->rid);
	kf_bind_blob(s, 2, h + 16, KF_KID_SIZE);
	rc = kf_step(s);
	if (rc == KF_ROW)
		retired = (int)kf_col_int64(s, 0);
	kf_reset(s);
	if (rc < 0)
		return rc;
	if (rc == KF_DONE || retired) {
		WHY(q, "item %s: its owner key is %s in region %s", q->r.item,
		    rc == KF_DONE ? "not allowed" : "retired", q->r.region);
		return -EPERM;
	}
	return 0;
}

static int put(struct request *q)
{
	static __thread struct kf_item it;
	int ret = owner_allowed(q);

	if (ret)
		return ret;
	memset(&it, 0, sizeof(it));
	snprintf(it.region, sizeof(it.region), "%s", q->r.region);
	snprintf(it.dataset, sizeof(it.dataset), "%s", q->r.dataset);
	snprintf(it.name, sizeof(it.name), "%s", q->r.item);
	it.to_group = !q->r.entity[0];
	snprintf(it.recipient, sizeof(it.recipient), "%s",
		 it.to_group ? q->r.group : q->r.entity);
	if (!it.to_group)
		snprintf(it.via_group, sizeof(it.via_group), "%s", q->r.group);
	it.version = q->r.item_version;
	memcpy(it.policy, q->r.policy, q->r.policy_len);
	it.policy_len = q->r.policy_len;
	memcpy(it.sealed, q->r.sealed, q->r.sealed_len);
	it.sealed_len = q->r.sealed_len;
	/* the version is the owner's, from the sealed header (item.c) */
	ret = kf_item_put_tx(q->st, &it);
	if (!ret && q->r.item_version && q->r.item_version != it.version) {
		WHY(q, "item put %s: the request says version %llu, the sealed "
		    "item is version %llu", it.name,
		    (unsigned long long)q->r.item_version,
		    (unsigned long long)it.version);
		ret = -EINVAL;
	}
	if (ret == -EPROTO)
		WHY(q, "item put %s: the sealed item's header is malformed",
		    it.name);
	else if (ret == -ESTALE)
		WHY(q, "item put %s: version %llu is not higher than version "
		    "%llu, the newest held for %s %s", it.name,
		    (unsigned long long)it.version,
		    (unsigned long long)it.newest,
		    it.to_group ? "group" : "entity", it.recipient);
	else if (ret == -ENOENT)
		WHY(q, "item put %s: data set %s, %s %s%s%s not found",
		    it.name, it.dataset, it.to_group ? "group" : "entity",
		    it.recipient, it.via_group[0] ? " or group " : "",
		    it.via_group);
	else if (ret == -EEXIST)
		WHY(q, "item put %s: version %llu for %s exists", it.name,
		    (unsigned long long)it.version, it.recipient);
	q->s->sequence = it.version;
	return ret;
}

static int apply(struct request *q)
{
	char old[sizeof(q->st->actor)];
	const char *rcp;
	int ret = kf_region_id(q->st, q->r.region, &q->rid);

	if (ret == -ENOENT)
		WHY(q, "no region %s", q->r.region);
	if (!ret)
		ret = authorize(q);
	if (!ret)
		ret = record_request(q);
	if (ret)
		return ret;
	snprintf(old, sizeof(old), "%s", q->st->actor);
	kf_store_set_actor(q->st, q->who);
	if (q->r.action == KF_ITEM_PUT) {
		ret = put(q);
	} else {
		rcp = q->r.entity[0] ? q->r.entity :
		      q->r.group[0] ? q->r.group : NULL;
		ret = kf_item_delete_tx(q->st, q->r.region, q->r.item, rcp,
					q->r.item_version);
		if (ret == -ENOENT)
			WHY(q, "item delete %s: no such item", q->r.item);
	}
	kf_store_set_actor(q->st, old);
	return ret;
}

int kf_request_apply(struct kf_store *st, struct kf_submit *s)
{
	static __thread struct request q;
	char t[32];
	int ret;

	memset(&q, 0, sizeof(q));
	q.st = st;
	q.s = s;
	ret = kf_item_request_decode(&q.r, s->sub->item.body,
				     s->sub->item.body_len, s->why,
				     sizeof(s->why));
	if (ret)
		return ret;
	if (kf_signed_id(&s->sub->item, s->id))
		return -EIO;
	snprintf(s->region, sizeof(s->region), "%s", q.r.region);
	if (s->now >= (int64_t)q.r.expires) {
		kf_fmt_time(t, sizeof(t), (int64_t)q.r.expires);
		WHY(&q, "item request expired at %s", t);
		return -EKEYEXPIRED;
	}
	if ((int64_t)q.r.issued > s->now + KF_CLOCK_SKEW) {
		WHY(&q, "item request issued in the future (check the clocks)");
		return -EINVAL;
	}
	ret = kf_tx_begin(st);
	if (ret)
		return ret;
	ret = kf_tx_end(st, apply(&q));
	if (ret && !s->why[0])
		WHY(&q, "the store could not apply it: %s", strerror(-ret));
	return ret;
}
