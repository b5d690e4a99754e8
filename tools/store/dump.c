// SPDX-License-Identifier: MIT
/*
 * What a region's authority controls, as canonical lines: audit verify
 * rebuilds a store from the region's statements alone and compares the
 * two dumps, so that a change made behind the authority's back (a row
 * written straight into the database) shows as a difference.  Only what
 * statements decide is dumped: not items (their owners make them), not
 * entities never approved (enrollment makes them; one approved, or served
 * as if it were, is dumped), not when things happened.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/store/internal.h"

struct dump {
	struct kf_store *st;
	int64_t rid;
	int (*cb)(void *ctx, const char *line);
	void *ctx;
	char line[2048];
};

/* A column as text: integers in decimal, blobs in hex, text as is. */
static size_t col(struct kf_stmt *s, int c, char type, char *out, size_t cap)
{
	uint8_t b[64];
	size_t n;

	switch (type) {
	case 'i':
		return (size_t)snprintf(out, cap, "%lld",
					(long long)kf_col_int64(s, c));
	case 'x':
		n = kf_col_blob(s, c, b, sizeof(b));
		if (2 * n + 1 > cap)
			return 0;
		kf_hex(out, b, n);
		return 2 * n;
	default:
		return (size_t)snprintf(out, cap, "%s", kf_col_str(s, c) ?: "");
	}
}

/*
 * Run sql (?1 = the region's id) and hand each row on as one line: the
 * tag, then each column as 'fmt' says (i integer, x hex, t text).
 */
static int rows(struct dump *d, const char *sql, const char *tag,
		const char *fmt)
{
	struct kf_stmt *s = kf_sql(d->st, sql);
	size_t off, cap = sizeof(d->line);
	unsigned int c;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	kf_bind_int64(s, 1, d->rid);
	while ((rc = kf_step(s)) == KF_ROW) {
		off = (size_t)snprintf(d->line, cap, "%s", tag);
		for (c = 0; fmt[c] && off < cap - 1; c++) {
			d->line[off++] = ' ';
			off += col(s, (int)c, fmt[c], d->line + off, cap - off);
		}
		d->line[off < cap ? off : cap - 1] = 0;
		ret = d->cb(d->ctx, d->line);
		if (ret)
			break;
	}
	kf_reset(s);
	return ret ? ret : rc < 0 ? rc : 0;
}

static const char q_region[] =
	"SELECT threshold, head_seq, head_id FROM regions WHERE id = ?1";
static const char q_members[] =
	"SELECT name, pub FROM authority_members WHERE region_id = ?1"
	" ORDER BY name";
static const char q_statements[] =
	"SELECT seq, id, signers FROM statements WHERE region_id = ?1"
	" ORDER BY seq";
static const char q_entities[] =
	"SELECT name, state, kei_pub, kec_pub, valid_from, not_after,"
	" cert_serial, revoked FROM entities WHERE region_id = ?1"
	" AND (state = 1 OR cert_serial != 0) ORDER BY name";
static const char q_certificates[] =
	"SELECT c.serial, c.id, e.name, c.not_after FROM certificates c"
	" JOIN entities e ON e.id = c.entity_id WHERE c.region_id = ?1"
	" ORDER BY c.serial";
static const char q_lists[] =
	"SELECT number, id FROM revocation_lists WHERE region_id = ?1"
	" ORDER BY number";
static const char q_tokens[] =
	"SELECT hash, coalesce(entity, ''), expires FROM tokens"
	" WHERE region_id = ?1 ORDER BY hash";
static const char q_groups[] =
	"SELECT name, threshold FROM groups WHERE region_id = ?1"
	" ORDER BY name";
static const char q_group_signers[] =
	"SELECT g.name, s.name, s.pub FROM group_signers s"
	" JOIN groups g ON g.id = s.group_id WHERE g.region_id = ?1"
	" ORDER BY g.name, s.name";
static const char q_group_members[] =
	"SELECT g.name, e.name FROM group_members m"
	" JOIN groups g ON g.id = m.group_id JOIN entities e"
	" ON e.id = m.entity_id WHERE g.region_id = ?1 ORDER BY g.name, e.name";
static const char q_datasets[] =
	"SELECT name, not_before, not_after, rate_count, rate_period"
	" FROM datasets WHERE region_id = ?1 ORDER BY name";
static const char q_readers[] =
	"SELECT d.name, a.kind, a.name FROM dataset_allow a"
	" JOIN datasets d ON d.id = a.dataset_id WHERE d.region_id = ?1"
	" ORDER BY d.name, a.kind, a.name";
static const char q_admins[] =
	"SELECT d.name, a.name FROM dataset_admins a"
	" JOIN datasets d ON d.id = a.dataset_id WHERE d.region_id = ?1"
	" ORDER BY d.name, a.name";
static const char q_owners[] =
	"SELECT name, pub, retired FROM owner_keys WHERE region_id = ?1"
	" ORDER BY name, pub";

int kf_store_authority_dump(struct kf_store *st, const char *region,
			    int (*cb)(void *ctx, const char *line), void *ctx)
{
	static const struct {
		const char *sql, *tag, *fmt;
	} tables[] = {
		{ q_region, "authority", "iix" },
		{ q_members, "member", "tx" },
		{ q_statements, "statement", "ixt" },
		{ q_entities, "entity", "tixxiiii" },
		{ q_certificates, "certificate", "ixti" },
		{ q_lists, "revocations", "ix" },
		{ q_tokens, "token", "xti" },
		{ q_groups, "group", "ti" },
		{ q_group_signers, "group-signer", "ttx" },
		{ q_group_members, "group-member", "tt" },
		{ q_datasets, "dataset", "tiiii" },
		{ q_readers, "dataset-reader", "ttt" },
		{ q_admins, "dataset-admin", "tt" },
		{ q_owners, "owner", "txi" },
	};
	struct dump d = { .st = st, .cb = cb, .ctx = ctx };
	unsigned int i;
	int ret = kf_region_id(st, region, &d.rid);

	for (i = 0; !ret && i < KF_ARRAY_SIZE(tables); i++)
		ret = rows(&d, tables[i].sql, tables[i].tag, tables[i].fmt);
	return ret;
}
