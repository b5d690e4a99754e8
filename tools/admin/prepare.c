// SPDX-License-Identifier: MIT
/*
 * keyferry-admin prepare: build a statement at the head of the region's
 * chain (or an item request), then sign, write and submit it as the
 * options say.  A member prepares; each member signs on their own machine
 * (keyferry-admin sign FILE); any member submits.  The options are parsed
 * here once for every operation; each builder takes what it needs and
 * refuses what it does not (ops.c, entity.c, item.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/prepare.h"
#include "tools/cli/cli.h"

struct kf_draft {
	bool item;
	struct kf_head head;
	struct kf_statement hdr;
	struct kf_tlv_writer w;
	uint8_t body[KF_BODY_MAX];
	unsigned int n_certs;
	uint8_t certs[KF_OPS_MAX][512];
	size_t cert_len[KF_OPS_MAX];
	bool has_list;
	uint8_t list[KF_BODY_MAX];
	size_t list_len;
	struct kf_submission sub;
};

/* ---- what the repository says ------------------------------------------ */

static int head_member(struct kf_authority *a, const uint8_t *v, size_t len)
{
	struct kf_tlv_reader r;
	const uint8_t *val;
	uint16_t t;
	size_t n;

	if (a->n == KF_MEMBERS_MAX)
		return -EPROTO;
	kf_tlv_reader_init(&r, v, len, 0);
	while (kf_tlv_next(&r, &t, &val, &n) == 1) {
		if (t == 1 && n <= KF_MEMBER_NAME_MAX) {
			memcpy(a->m[a->n].name, val, n);
			a->m[a->n].name[n] = 0;
		} else if (t == 2 && n == KF_KEY_SIZE) {
			memcpy(a->m[a->n].pub, val, n);
		}
	}
	a->n++;
	return r.error;
}

static int parse_head(struct kf_head *h, const uint8_t *b, size_t len)
{
	struct kf_tlv_reader r;
	const uint8_t *v;
	uint16_t t;
	size_t n;
	int rc, ret = 0;

	kf_tlv_reader_init(&r, b, len, 1u << 6);
	while (!ret && (rc = kf_tlv_next(&r, &t, &v, &n)) == 1) {
		if ((t == 1 || t == 3) && n == 8)
			*(t == 1 ? &h->sequence : &h->audit_seq) = kf_be(v, 8);
		else if ((t == 2 || t == 4) && n == 32)
			memcpy(t == 2 ? h->id : h->audit_hash, v, 32);
		else if (t == 5 && n == 1)
			h->auth.threshold = v[0];
		else if (t == 6)
			ret = head_member(&h->auth, v, n);
		else
			ret = -EPROTO;
	}
	return ret ? ret : r.error;
}

/* GET a path; a 404 is -ENOENT, another refusal is reported. */
static int get(const char *path, struct kf_reply_buf *r)
{
	int ret = kf_admin_get(path, r);

	if (ret)
		return ret;
	if (r->status == 200)
		return 0;
	if (r->status != 404)
		kf_err("%s: the repository says %ld: %s", path, r->status,
		       kf_reply_text(r));
	ret = r->status == 404 ? -ENOENT : -EIO;
	if (ret == -ENOENT)
		kf_err("%s", kf_reply_text(r));
	kf_reply_buf_free(r);
	return ret;
}

int kf_admin_head(const char *region, struct kf_head *h)
{
	struct kf_reply_buf r;
	char path[KF_NAME_MAX + 32];
	int ret;

	memset(h, 0, sizeof(*h));
	snprintf(path, sizeof(path), "/v1/regions/%s/head", region);
	ret = get(path, &r);
	if (ret)
		return ret;
	ret = parse_head(h, r.body, r.len);
	kf_reply_buf_free(&r);
	snprintf(h->auth.region, sizeof(h->auth.region), "%s", region);
	if (ret)
		kf_err("%s: the repository's answer is malformed", path);
	return ret;
}

static int entity_field(struct kf_entity_info *e, uint16_t t,
			const uint8_t *v, size_t n)
{
	switch (t) {
	case 1:
		if (!kf_name_valid((const char *)v, n, KF_NAME_MAX))
			return -EPROTO;
		memcpy(e->name, v, n);
		e->name[n] = 0;
		return 0;
	case 2:
		e->state = n == 1 ? v[0] : 0;
		return n == 1 ? 0 : -EPROTO;
	case 3: case 4:
		if (n != KF_KEY_SIZE)
			return -EPROTO;
		memcpy(t == 3 ? e->kei_pub : e->kec_pub, v, n);
		return 0;
	case 5: case 6: case 7: case 8:
		if (n != 8)
			return -EPROTO;
		if (t == 8)
			e->serial = kf_be(v, 8);
		else
			*(t == 5 ? &e->enrolled : t == 6 ? &e->not_before :
			  &e->not_after) = (int64_t)kf_be(v, 8);
		return 0;
	default:
		return -EPROTO;
	}
}

int kf_admin_entity_decode(struct kf_entity_info *e, const uint8_t *b,
			   size_t len)
{
	struct kf_tlv_reader rd;
	const uint8_t *v;
	uint16_t t;
	size_t n;
	int rc, ret = 0;

	memset(e, 0, sizeof(*e));
	kf_tlv_reader_init(&rd, b, len, 0);
	while (!ret && (rc = kf_tlv_next(&rd, &t, &v, &n)) == 1)
		ret = entity_field(e, t, v, n);
	return ret ? ret : rd.error;
}

int kf_admin_entity_info(const char *region, const char *name,
			 struct kf_entity_info *e)
{
	char path[2 * KF_NAME_MAX + 32];
	struct kf_reply_buf r;
	int ret;

	snprintf(path, sizeof(path), "/v1/regions/%s/entities/%s", region,
		 name);
	ret = get(path, &r);
	if (ret)
		return ret;
	ret = kf_admin_entity_decode(e, r.body, r.len);
	kf_reply_buf_free(&r);
	if (ret || strcmp(e->name, name)) {
		kf_err("%s: the repository's answer is malformed", path);
		return -EPROTO;
	}
	return 0;
}

int kf_admin_last_list(const char *region, uint8_t **buf, size_t *len)
{
	char path[KF_NAME_MAX + 32];
	struct kf_reply_buf r;
	int ret;

	snprintf(path, sizeof(path), "/v1/regions/%s/revocations", region);
	ret = kf_admin_get(path, &r);
	if (ret)
		return ret;
	if (r.status != 200) {
		ret = r.status == 404 ? -ENOENT : -EIO;
		if (ret == -EIO)
			kf_err("%s: the repository says %ld: %s", path,
			       r.status, kf_reply_text(&r));
		kf_reply_buf_free(&r);
		return ret;
	}
	*buf = r.body;
	*len = r.len;
	return 0;
}

/* ---- the draft ------------------------------------------------------------ */

struct kf_draft *kf_draft_begin(const char *region, bool first,
				const struct kf_prep_opts *o)
{
	static struct kf_draft d;
	int64_t now = kf_now();

	memset(&d, 0, sizeof(d));
	if (!first && kf_admin_head(region, &d.head))
		return NULL;
	snprintf(d.hdr.region, sizeof(d.hdr.region), "%s", region);
	d.hdr.sequence = d.head.sequence + 1;
	memcpy(d.hdr.previous, d.head.id, KF_ID_SIZE);
	d.hdr.issued = (uint64_t)now;
	d.hdr.expires = (uint64_t)now + o->expires;
	kf_tlv_init(&d.w, d.body, sizeof(d.body));
	kf_statement_begin(&d.w, &d.hdr);
	return &d;
}

const struct kf_statement *kf_draft_header(const struct kf_draft *d)
{
	return &d->hdr;
}

const struct kf_head *kf_draft_head(const struct kf_draft *d)
{
	return &d->head;
}

int kf_draft_op(struct kf_draft *d, struct kf_op *op)
{
	char why[256];
	int ret = kf_op_put(&d->w, op, why, sizeof(why));

	if (ret)
		kf_err("%s", why);
	else
		d->hdr.n_ops++;
	return ret;
}

int kf_draft_certificate(struct kf_draft *d, const struct kf_certificate *c,
			 uint8_t id[KF_ID_SIZE])
{
	struct kf_signed *s;
	int ret;

	if (d->n_certs == KF_OPS_MAX)
		return -ENOSPC;
	ret = kf_certificate_encode(c, d->certs[d->n_certs],
				    sizeof(d->certs[0]),
				    &d->cert_len[d->n_certs]);
	if (ret)
		return ret;
	s = &d->sub.certs[d->n_certs];
	s->kind = KF_OBJ_CERTIFICATE;
	s->body = d->certs[d->n_certs];
	s->body_len = d->cert_len[d->n_certs];
	d->n_certs++;
	d->sub.n_certs = d->n_certs;
	return kf_signed_id(s, id);
}

static int by_entity(const void *a, const void *b)
{
	return strcmp(((const struct kf_revocation *)a)->entity,
		      ((const struct kf_revocation *)b)->entity);
}

int kf_draft_revocations(struct kf_draft *d, const struct kf_revocations *l,
			 struct kf_revocation *entries, unsigned int n,
			 uint8_t id[KF_ID_SIZE])
{
	struct kf_tlv_writer w;
	unsigned int i;
	long len;

	qsort(entries, n, sizeof(entries[0]), by_entity);
	kf_tlv_init(&w, d->list, sizeof(d->list));
	kf_revocations_begin(&w, l);
	for (i = 0; i < n; i++)
		kf_revocation_put(&w, &entries[i]);
	len = kf_tlv_finish(&w);
	if (len < 0) {
		kf_err("the revocation list is larger than %d bytes",
		       KF_BODY_MAX);
		return (int)len;
	}
	d->list_len = (size_t)len;
	d->has_list = true;
	d->sub.has_revocations = true;
	d->sub.revocations = (struct kf_signed){
		.kind = KF_OBJ_REVOCATIONS, .body = d->list,
		.body_len = d->list_len };
	return kf_signed_id(&d->sub.revocations, id);
}

struct kf_draft *kf_draft_item(const struct kf_item_request *r)
{
	static struct kf_draft d;
	size_t len;

	memset(&d, 0, sizeof(d));
	d.item = true;
	if (kf_item_request_encode(r, d.body, sizeof(d.body), &len)) {
		kf_err("the item request does not fit %d bytes", KF_BODY_MAX);
		return NULL;
	}
	snprintf(d.hdr.region, sizeof(d.hdr.region), "%s", r->region);
	d.sub.has_item = true;
	d.sub.item = (struct kf_signed){ .kind = KF_OBJ_ITEM_REQUEST,
					 .body = d.body, .body_len = len };
	return &d;
}

int kf_draft_finish(struct kf_draft *d, const struct kf_prep_opts *o)
{
	long n;
	int ret;

	if (!d->item) {
		n = kf_tlv_finish(&d->w);
		if (n < 0) {
			kf_err("the statement is larger than %d bytes",
			       KF_BODY_MAX);
			return 1;
		}
		d->sub.has_statement = true;
		d->sub.statement = (struct kf_signed){
			.kind = KF_OBJ_STATEMENT, .body = d->body,
			.body_len = (size_t)n };
	}
	ret = kf_admin_sign_all(&d->sub, o->keys, o->n_keys);
	if (!ret && o->out)
		ret = kf_admin_write(o->out, &d->sub);
	if (ret)
		return 1;
	if (!o->submit) {
		if (!kf_admin_json)
			printf("prepared %s in %s: %u signature%s so far; each "
			       "member signs it (keyferry-admin sign %s --key "
			       "FILE), then one submits it\n", d->item ?
			       "an item request" : "a statement", o->out,
			       d->item ? d->sub.item.n_sigs :
			       d->sub.statement.n_sigs,
			       (d->item ? d->sub.item.n_sigs :
				d->sub.statement.n_sigs) == 1 ? "" : "s",
			       o->out);
		return 0;
	}
	return kf_admin_send(&d->sub);
}

/* ---- options -------------------------------------------------------------- */

static int parse_member(const char *s, struct kf_prep_opts *o)
{
	const char *eq = strchr(s, '=');
	struct kf_member *m;
	size_t n;

	if (o->n_members == KF_MEMBERS_MAX) {
		kf_err("--member: at most %d", KF_MEMBERS_MAX);
		return -EINVAL;
	}
	m = &o->members[o->n_members];
	n = eq ? (size_t)(eq - s) : 0;
	if (!eq || n > KF_MEMBER_NAME_MAX) {
		kf_err("--member: '%s' is not NAME=PUBLIC-KEY", s);
		return -EINVAL;
	}
	memcpy(m->name, s, n);
	m->name[n] = 0;
	if (!kf_member_name_valid(m->name) ||
	    kf_key_from_base64(m->pub, eq + 1)) {
		kf_err("--member: '%s': a name of [A-Za-z0-9._-] and the "
		       "base64 of a 32-byte key (keyferry-admin key show)", s);
		return -EINVAL;
	}
	o->n_members++;
	return 0;
}

static int parse_rate(const char *s, struct kf_prep_opts *o)
{
	return kf_parse_rate("--rate", s, &o->rate_count, &o->rate_period);
}

static int parse_opt(int c, struct kf_prep_opts *o)
{
	uint64_t v;

	switch (c) {
	case 'o': o->out = optarg; return 0;
	case 'x': return kf_parse_duration("--expires", optarg, &o->expires);
	case 's':
		if (o->n_keys == KF_SIGN_KEYS_MAX) {
			kf_err("--sign: at most %d keys", KF_SIGN_KEYS_MAX);
			return -EINVAL;
		}
		o->keys[o->n_keys++] = optarg;
		return 0;
	case 'S': o->submit = true; return 0;
	case 'T': o->token_out = optarg; return 0;
	case 'k':
		if (kf_parse_u64("--threshold", optarg, 0, KF_MEMBERS_MAX, &v))
			return -EINVAL;
		o->threshold = (int)v;
		return 0;
	case 'm': return parse_member(optarg, o);
	case 'e': o->entity = optarg; return kf_parse_name("--entity", optarg);
	case 'g': o->group = optarg; return kf_parse_name("--group", optarg);
	case 'd': o->dataset = optarg;
		return kf_parse_name("--dataset", optarg);
	case 't': return kf_parse_duration("--ttl", optarg, &o->ttl);
	case 'b': o->has_not_before = true;
		return kf_parse_time("--not-before", optarg, &o->not_before);
	case 'a': o->has_not_after = true;
		return kf_parse_time("--not-after", optarg, &o->not_after);
	case 'K': o->expect_kec = optarg; return 0;
	case 'r': o->reason = optarg; return 0;
	case 'n': return kf_parse_duration("--next-update", optarg,
					   &o->next_update);
	case 'R': return parse_rate(optarg, o);
	case 'A': o->read = optarg; return 0;
	case 'M': o->admin = optarg; return 0;
	case 'v': return kf_parse_u64("--version", optarg, 1, INT64_MAX,
				      &o->version);
	default: return -EINVAL;
	}
}

static int parse_opts(int argc, char **argv, struct kf_prep_opts *o)
{
	static const struct option opts[] = {
		{ "out", 1, NULL, 'o' }, { "expires", 1, NULL, 'x' },
		{ "sign", 1, NULL, 's' }, { "submit", 0, NULL, 'S' },
		{ "token-out", 1, NULL, 'T' }, { "threshold", 1, NULL, 'k' },
		{ "member", 1, NULL, 'm' }, { "entity", 1, NULL, 'e' },
		{ "group", 1, NULL, 'g' }, { "dataset", 1, NULL, 'd' },
		{ "ttl", 1, NULL, 't' }, { "not-before", 1, NULL, 'b' },
		{ "not-after", 1, NULL, 'a' }, { "expect-kec", 1, NULL, 'K' },
		{ "reason", 1, NULL, 'r' }, { "next-update", 1, NULL, 'n' },
		{ "rate", 1, NULL, 'R' }, { "read", 1, NULL, 'A' },
		{ "admin", 1, NULL, 'M' }, { "version", 1, NULL, 'v' },
		{ 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->expires = 72 * 3600;
	o->threshold = -1;
	o->ttl = 86400;
	o->next_update = 30 * 86400;
	while ((c = getopt_long(argc, argv, "o:x:s:ST:k:m:e:g:d:t:b:a:K:r:"
				"n:R:A:M:v:", opts, NULL)) != -1)
		if (c == '?' || parse_opt(c, o))
			return -EINVAL;
	if (!o->expires || o->expires > KF_STATEMENT_LIFETIME_MAX) {
		kf_err("--expires: 1 s to %d days",
		       KF_STATEMENT_LIFETIME_MAX / 86400);
		return -EINVAL;
	}
	if (!o->out && !o->submit) {
		kf_err("prepare: --out FILE (for the other members to sign) "
		       "or --submit");
		return -EINVAL;
	}
	return 0;
}

int kf_admin_prepare(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv, struct kf_prep_opts *o);
	} builders[] = {
		{ "region", kf_prepare_authority },
		{ "authority", kf_prepare_authority },
		{ "token", kf_prepare_token },
		{ "approve", kf_prepare_approve },
		{ "revoke", kf_prepare_revoke },
		{ "dataset", kf_prepare_dataset },
		{ "group", kf_prepare_group },
		{ "owner", kf_prepare_owner },
		{ "provider", kf_prepare_provider },
		{ "anchor", kf_prepare_anchor },
		{ "item", kf_prepare_item },
	};
	static struct kf_prep_opts o;
	unsigned int i;

	if (argc < 2) {
		kf_err("prepare: which operation? (region, authority, token, "
		       "approve, revoke, dataset, group, owner, anchor, item)");
		return 2;
	}
	if (parse_opts(argc, argv, &o))
		return 2;
	/* getopt moved the operation and its arguments to the end. */
	argc -= optind;
	argv += optind;
	for (i = 0; argc > 0 && i < KF_ARRAY_SIZE(builders); i++)
		if (!strcmp(argv[0], builders[i].name))
			return builders[i].fn(argc, argv, &o);
	kf_err("prepare: unknown operation '%s'", argc > 0 ? argv[0] : "");
	return 2;
}
