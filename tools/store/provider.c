// SPDX-License-Identifier: MIT
/*
 * The store's providers: which provider (by the distributor key its
 * hosts pin) a region allowed or retired, the list of them, and what one
 * exchange with a provider reads and writes on the repository's side (its
 * key, its request timestamp, the audit records it reports,
 * docs/protocol.md section 11).  A provider's name and key go together in
 * every region: one key, one name, the one its reported audit records
 * carry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

/* The name a key goes by, "" when it has none yet. */
static int channel_name(struct kf_store *st, const uint8_t pub[32], char *name,
			size_t cap)
{
	static const char sql[] =
		"SELECT name FROM provider_channels WHERE pub = ?1";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, pub, 32);
	name[0] = 0;
	rc = kf_step(s);
	if (rc == KF_ROW)
		kf_col_text(s, 0, name, cap);
	kf_reset(s);
	return rc == KF_ROW || rc == KF_DONE ? 0 : rc;
}

/* The key's channel, named: made, or checked against the name given. */
static int channel_for(struct kf_store *st, const char *name,
		       const uint8_t pub[32], char *why, size_t cap)
{
	static const char ins[] =
		"INSERT INTO provider_channels(pub, name) VALUES(?1, ?2)";
	char had[KF_NAME_MAX + 1];
	struct kf_stmt *s;
	int ret = channel_name(st, pub, had, sizeof(had));

	if (ret)
		return ret;
	if (had[0] && strcmp(had, name)) {
		snprintf(why, cap, "provider.allow %s: that key is provider "
			 "%s's", name, had);
		return -EEXIST;
	}
	if (had[0])
		return 0;
	s = kf_sql(st, ins);
	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, pub, 32);
	kf_bind_text(s, 2, name);
	ret = kf_sql_done(st, s);
	if (ret == -EEXIST)
		snprintf(why, cap, "provider.allow %s: that name is another "
			 "key's", name);
	return ret;
}

int kf_provider_key_tx(struct kf_store *st, int64_t rid, const char *name,
		       const uint8_t pub[32], bool allow, int64_t now,
		       char *why, size_t cap)
{
	static const char ins[] =
		"INSERT INTO providers(region_id, pub, allowed)"
		" VALUES(?1, ?2, ?3)";
	static const char ret_[] =
		"UPDATE providers SET retired = ?3 WHERE region_id = ?1"
		" AND pub = ?2 AND retired = 0 AND pub IN (SELECT pub FROM"
		" provider_channels WHERE name = ?4)";
	struct kf_stmt *s;
	int ret = allow ? channel_for(st, name, pub, why, cap) : 0;

	if (ret)
		return ret;
	s = kf_sql(st, allow ? ins : ret_);
	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, rid);
	kf_bind_blob(s, 2, pub, 32);
	kf_bind_int64(s, 3, now);
	if (!allow)
		kf_bind_text(s, 4, name);
	ret = kf_sql_done(st, s);
	if (ret == -EEXIST) {
		/* A retired key stays retired: it may have been stolen. */
		snprintf(why, cap, "provider.allow %s: that key was allowed in "
			 "this region before (and may be retired)", name);
		return ret;
	}
	if (!ret && !allow && kf_changes(st) != 1) {
		snprintf(why, cap, "provider.retire %s: no such allowed key of "
			 "that provider in this region", name);
		return -ENOENT;
	}
	return ret;
}

#define CHANNEL_COLS \
	"SELECT c.name, c.pub, c.synced, c.reported_seq, c.reported_hash," \
	" coalesce((SELECT group_concat(r.name, ',') FROM providers p" \
	"  JOIN regions r ON r.id = p.region_id" \
	"  WHERE p.pub = c.pub AND p.retired = 0), '')," \
	" coalesce((SELECT group_concat(r.name, ',') FROM providers p" \
	"  JOIN regions r ON r.id = p.region_id" \
	"  WHERE p.pub = c.pub AND p.retired <> 0), '')" \
	" FROM provider_channels c "

static void channel_row(struct kf_stmt *s, struct kf_provider_info *p)
{
	memset(p, 0, sizeof(*p));
	kf_col_text(s, 0, p->name, sizeof(p->name));
	kf_col_blob(s, 1, p->pub, KF_KEY_SIZE);
	p->synced = kf_col_int64(s, 2);
	p->reported_seq = kf_col_int64(s, 3);
	if (kf_col_bytes(s, 4) == 32)
		kf_col_blob(s, 4, p->reported_hash, 32);
	kf_col_text(s, 5, p->regions, sizeof(p->regions));
	kf_col_text(s, 6, p->retired_in, sizeof(p->retired_in));
}

int kf_store_provider_list(struct kf_store *st,
			   int (*cb)(void *ctx, const struct kf_provider_info *p),
			   void *ctx)
{
	static const char sql[] = CHANNEL_COLS "ORDER BY c.name";
	struct kf_stmt *s = kf_sql(st, sql);
	struct kf_provider_info p;
	int rc = KF_DONE, ret = 0;

	if (!s)
		return -EIO;
	while (!ret && (rc = kf_step(s)) == KF_ROW) {
		channel_row(s, &p);
		ret = cb(ctx, &p);
	}
	if (!ret && rc != KF_DONE)
		ret = rc;
	kf_reset(s);
	return ret;
}

/* provider allow|retire as one transaction of their own, with its record. */
static int key_change(struct kf_store *st, const char *region,
		      const char *name, const uint8_t pub[32], bool allow,
		      char *why, size_t cap)
{
	char subject[2 * KF_NAME_MAX + 2];
	int64_t rid;
	int ret = kf_tx_begin(st);

	if (ret)
		return ret;
	ret = kf_region_id(st, region, &rid);
	if (!ret)
		ret = kf_provider_key_tx(st, rid, name, pub, allow, kf_now(),
					 why, cap);
	snprintf(subject, sizeof(subject), "%s/%s", region, name);
	if (!ret)
		ret = kf_audit_append(st, allow ? "admin.provider.allow" :
				      "admin.provider.retire", subject, "ok",
				      NULL);
	return kf_tx_end(st, ret);
}

int kf_store_provider_allow(struct kf_store *st, const char *region,
			    const char *name, const uint8_t pub[32],
			    char *why, size_t cap)
{
	return key_change(st, region, name, pub, true, why, cap);
}

int kf_store_provider_retire(struct kf_store *st, const char *region,
			     const char *name, const uint8_t pub[32],
			     char *why, size_t cap)
{
	return key_change(st, region, name, pub, false, why, cap);
}

int kf_store_provider_by_pub(struct kf_store *st,
			     const uint8_t pub[KF_KEY_SIZE],
			     struct kf_provider_info *p)
{
	static const char sql[] = CHANNEL_COLS "WHERE c.pub = ?1";
	struct kf_stmt *s = kf_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, pub, KF_KEY_SIZE);
	rc = kf_step(s);
	if (rc == KF_ROW)
		channel_row(s, p);
	kf_reset(s);
	if (rc == KF_ROW)
		return 0;
	return rc == KF_DONE ? -ENOENT : rc;
}

int kf_store_provider_accept_timestamp(struct kf_store *st,
				       const uint8_t pub[KF_KEY_SIZE],
				       const uint8_t ts[KF_TIMESTAMP_SIZE])
{
	/* As for entities: compare and update in one statement. */
	static const char sql[] =
		"UPDATE provider_channels SET last_timestamp = ?2 WHERE"
		" pub = ?1 AND (last_timestamp IS NULL OR last_timestamp < ?2)";
	struct kf_stmt *s = kf_sql(st, sql);
	int ret;

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, pub, KF_KEY_SIZE);
	kf_bind_blob(s, 2, ts, KF_TIMESTAMP_SIZE);
	ret = kf_sql_done(st, s);
	if (!ret && kf_changes(st) != 1)
		ret = -ESTALE;
	return ret;
}

/*
 * Whether rec continues the chain at prev: its seq is the next one and
 * its hash is the one its fields and prev give, the provider's local
 * actor being "provider" (tools/provider/).
 */
static bool chains(const struct kf_audit_rec *rec, int64_t seq,
		   const uint8_t prev[32])
{
	struct kf_audit_rec r = *rec;
	uint8_t h[32];

	r.actor = "provider";
	if (r.seq != seq)
		return false;
	kf_audit_hash(&r, prev, h);
	return kf_equal(h, rec->hash, 32);
}

static int report_one(struct kf_store *st, const char *actor,
		      const struct kf_audit_rec *r)
{
	char op[96], detail[2048];

	snprintf(op, sizeof(op), "provider.%s", r->op);
	snprintf(detail, sizeof(detail), "%s%sseq=%lld at=%lld", r->detail,
		 r->detail[0] ? " " : "", (long long)r->seq, (long long)r->ts);
	return kf_audit_append_as(st, actor, op, r->subject, r->result,
				  detail);
}

static int save_reported(struct kf_store *st, struct kf_provider_info *p)
{
	static const char sql[] =
		"UPDATE provider_channels SET reported_seq = ?2,"
		" reported_hash = ?3 WHERE pub = ?1";
	struct kf_stmt *s = kf_sql(st, sql);

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, p->pub, KF_KEY_SIZE);
	kf_bind_int64(s, 2, p->reported_seq);
	kf_bind_blob(s, 3, p->reported_hash, 32);
	return kf_sql_done(st, s);
}

/* The whole report chains on from what we hold: nothing is appended
 * before every record is checked. */
static bool report_chains(const struct kf_provider_info *p,
			  const struct kf_audit_rec *recs, unsigned int n,
			  char *why, size_t why_cap)
{
	static const uint8_t zero[32];
	const uint8_t *prev = p->reported_hash;
	int64_t seq = p->reported_seq;
	unsigned int i;

	if (recs[0].seq == 1) {		/* begun again, or the first */
		prev = zero;
		seq = 0;
	}
	for (i = 0; i < n; i++) {
		if (!chains(&recs[i], seq + 1, prev)) {
			snprintf(why, why_cap, "audit record %lld does not "
				 "follow record %lld of this provider's chain",
				 (long long)recs[i].seq, (long long)seq);
			return false;
		}
		seq++;
		prev = recs[i].hash;
	}
	return true;
}

int kf_store_provider_report(struct kf_store *st, struct kf_provider_info *p,
			     const struct kf_audit_rec *recs, unsigned int n,
			     char *why, size_t why_cap)
{
	char actor[KF_NAME_MAX + 16], detail[64];
	unsigned int i;
	int ret;

	if (!n)
		return 0;
	if (!report_chains(p, recs, n, why, why_cap))
		return -EBADMSG;
	snprintf(actor, sizeof(actor), "provider:%s", p->name);
	if (recs[0].seq == 1 && p->reported_seq) {
		/* Its store was begun again: what it held before is gone. */
		snprintf(detail, sizeof(detail), "previous_seq=%lld",
			 (long long)p->reported_seq);
		ret = kf_audit_append_as(st, actor, "provider.report.restart",
					 p->name, "ok", detail);
		if (ret)
			return ret;
	}
	for (i = 0; i < n; i++) {
		ret = report_one(st, actor, &recs[i]);
		if (ret)
			return ret;
	}
	p->reported_seq = recs[n - 1].seq;
	memcpy(p->reported_hash, recs[n - 1].hash, 32);
	return save_reported(st, p);
}

int kf_store_provider_synced(struct kf_store *st, const struct kf_provider_info *p,
			     int64_t now)
{
	static const char sql[] =
		"UPDATE provider_channels SET synced = ?2 WHERE pub = ?1";
	struct kf_stmt *s = kf_sql(st, sql);

	if (!s)
		return -EIO;
	kf_bind_blob(s, 1, p->pub, KF_KEY_SIZE);
	kf_bind_int64(s, 2, now);
	return kf_sql_done(st, s);
}
