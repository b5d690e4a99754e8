// SPDX-License-Identifier: MIT
/*
 * The repository's admin endpoint (docs/operations.md section 10): members
 * of a region's authority submit signed statements and item requests,
 * and anyone reads what the authority published (certificates, the
 * revocation list, the chain of statements) or what it needs to prepare
 * the next statement (the head, a pending entity's keys).
 *
 * Nothing here trusts the sender: a submission takes effect only when its
 * signatures pass the store's checks (kf_store_submit()), and what the GET
 * endpoints hand out is either signed by the authority or public (keys,
 * names).  The repository's own key has no say in any of it.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/repo/internal.h"

/* ---- POST /v1/admin/submit ------------------------------------------------ */

static int http_status(int ret)
{
	switch (ret) {
	case 0: return MHD_HTTP_OK;
	case -EPROTO: return MHD_HTTP_BAD_REQUEST;
	case -EPERM: case -EBADMSG: return MHD_HTTP_FORBIDDEN;
	case -ESTALE: case -EALREADY: return MHD_HTTP_CONFLICT;
	case -ENOENT: case -EEXIST: case -EINVAL: case -EKEYEXPIRED:
		return MHD_HTTP_UNPROCESSABLE_CONTENT;
	case -EBUSY: return MHD_HTTP_SERVICE_UNAVAILABLE;
	default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

static const struct kf_authority *pin_for(struct kf_repo *r,
					  const struct kf_submission *sub)
{
	struct kf_statement st;
	char why[8];
	unsigned int i;

	if (!sub->has_statement ||
	    kf_statement_decode(&st, sub->statement.body,
				sub->statement.body_len, why, sizeof(why)))
		return NULL;
	for (i = 0; i < r->n_pins; i++)
		if (!strcmp(r->pins[i].region, st.region))
			return &r->pins[i];
	return NULL;
}

int kf_repo_admin_submit(struct kf_repo *r, const uint8_t *body, size_t len,
			 char *out, size_t cap)
{
	static __thread struct kf_submission sub;
	static __thread struct kf_submit s;
	char id[2 * KF_ID_SIZE + 1];
	int ret;

	memset(&s, 0, sizeof(s));
	ret = kf_submission_decode(&sub, body, len, s.why, sizeof(s.why));
	if (!ret) {
		s.sub = &sub;
		s.raw = body;
		s.raw_len = len;
		s.now = kf_now();
		s.pin = pin_for(r, &sub);
		/* The shared writer: kf_store_submit() is one transaction. */
		ret = r->writer ? kf_store_submit(r->writer, &s) : -EIO;
	}
	kf_hex(id, s.id, KF_ID_SIZE);
	if (!ret && sub.has_statement)
		kf_msg(out, cap, "applied statement %s#%llu %s, signed by %s\n",
		       s.region, (unsigned long long)s.sequence, id, s.signers);
	else if (!ret)
		kf_msg(out, cap, "applied item request %s, signed by %s\n", id,
		       s.signers);
	else
		kf_msg(out, cap, "%s\n", s.why[0] ? s.why : strerror(-ret));
	kf_metrics_admin(ret);
	if (ret)
		kf_info("admin: refused a submission: %s",
			s.why[0] ? s.why : strerror(-ret));
	return http_status(ret);
}

/* ---- GET /v1/regions/R/... ------------------------------------------------ */

enum { H_SEQUENCE = 1, H_ID, H_AUDIT_SEQ, H_AUDIT_HASH, H_THRESHOLD,
       H_MEMBER };

/* The head of the region's chain, its authority, the audit log's head. */
static int get_head(struct kf_store *st, const char *region, uint8_t *buf,
		    size_t cap, size_t *len)
{
	uint8_t id[KF_ID_SIZE], mb[8 + KF_MEMBER_NAME_MAX + KF_KEY_SIZE];
	uint8_t audit_hash[32];
	struct kf_tlv_writer w, m;
	struct kf_authority a;
	int64_t audit_seq, n;
	uint64_t seq;
	unsigned int i;
	int ret = kf_store_authority(st, region, &a, &seq, id);

	if (!ret)
		ret = kf_store_audit_head(st, &audit_seq, audit_hash);
	if (ret)
		return ret;
	kf_tlv_init(&w, buf, cap);
	kf_tlv_put_u64(&w, H_SEQUENCE, seq);
	kf_tlv_put(&w, H_ID, id, KF_ID_SIZE);
	kf_tlv_put_u64(&w, H_AUDIT_SEQ, (uint64_t)audit_seq);
	kf_tlv_put(&w, H_AUDIT_HASH, audit_hash, 32);
	kf_tlv_put_u8(&w, H_THRESHOLD, a.threshold);
	for (i = 0; i < a.n; i++) {
		kf_tlv_init(&m, mb, sizeof(mb));
		kf_tlv_put_str(&m, 1, a.m[i].name);
		kf_tlv_put(&m, 2, a.m[i].pub, KF_KEY_SIZE);
		kf_tlv_put(&w, H_MEMBER, mb, (size_t)kf_tlv_finish(&m));
	}
	n = kf_tlv_finish(&w);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

enum { E_NAME = 1, E_STATE, E_KEI_PUB, E_KEC_PUB, E_ENROLLED, E_NOT_BEFORE,
       E_NOT_AFTER, E_SERIAL };

static void put_entity(struct kf_tlv_writer *w, const struct kf_entity *e)
{
	kf_tlv_put_str(w, E_NAME, e->name);
	kf_tlv_put_u8(w, E_STATE, (uint8_t)e->state);
	kf_tlv_put(w, E_KEI_PUB, e->kei_pub, KF_KEY_SIZE);
	kf_tlv_put(w, E_KEC_PUB, e->kec_pub, KF_KEY_SIZE);
	kf_tlv_put_u64(w, E_ENROLLED, (uint64_t)e->enrolled);
	kf_tlv_put_u64(w, E_NOT_BEFORE, (uint64_t)e->valid_from);
	kf_tlv_put_u64(w, E_NOT_AFTER, (uint64_t)e->not_after);
	kf_tlv_put_u64(w, E_SERIAL, e->cert_serial);
}

static int get_entity(struct kf_store *st, const char *region,
		      const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	struct kf_tlv_writer w;
	struct kf_entity e;
	long n;
	int ret = kf_store_entity_get(st, region, name, &e);

	if (ret)
		return ret;
	kf_tlv_init(&w, buf, cap);
	put_entity(&w, &e);
	n = kf_tlv_finish(&w);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

struct pending {
	struct kf_tlv_writer w;
	unsigned int n;
};

#define PENDING_MAX 1000

static int add_pending(void *ctx, const struct kf_entity *e)
{
	struct pending *p = ctx;
	uint8_t buf[512];
	struct kf_tlv_writer w;

	if (e->state != KF_ENTITY_PENDING || p->n == PENDING_MAX)
		return 0;
	kf_tlv_init(&w, buf, sizeof(buf));
	put_entity(&w, e);
	kf_tlv_put(&p->w, 1, buf, (size_t)kf_tlv_finish(&w));
	p->n++;
	return 0;
}

/* The region's entities awaiting approval (the first 1000), for prepare. */
static int get_pending(struct kf_store *st, const char *region, uint8_t *buf,
		       size_t cap, size_t *len)
{
	struct pending p = { .n = 0 };
	long n;
	int ret;

	kf_tlv_init(&p.w, buf, cap);
	ret = kf_store_entity_list(st, region, add_pending, &p);
	n = kf_tlv_finish(&p.w);
	if (ret || n < 0)
		return ret ? ret : (int)n;
	*len = (size_t)n;
	return 0;
}

struct chain {
	uint8_t *buf;
	size_t cap, len;
};

/* u64 sequence, u32 length, the submission: a statement with what it named. */
static int add_statement(void *ctx, uint64_t seq, const uint8_t *sub,
			 size_t len)
{
	struct chain *c = ctx;
	int i;

	if (c->cap - c->len < 12 + len)
		return c->len ? 1 : -EMSGSIZE;	/* next time, from here */
	for (i = 7; i >= 0; i--)
		c->buf[c->len++] = (uint8_t)(seq >> (8 * i));
	for (i = 3; i >= 0; i--)
		c->buf[c->len++] = (uint8_t)(len >> (8 * i));
	memcpy(c->buf + c->len, sub, len);
	c->len += len;
	return 0;
}

static int get_statements(struct kf_store *st, const char *region,
			  uint64_t after, uint8_t *buf, size_t cap,
			  size_t *len)
{
	struct chain c = { .buf = buf, .cap = cap };
	struct kf_authority a;
	uint8_t id[KF_ID_SIZE];
	uint64_t seq;
	int ret = kf_store_authority(st, region, &a, &seq, id);

	if (!ret)
		ret = kf_store_statements(st, region, after, 64, add_statement,
					  &c);
	if (ret < 0)
		return ret;
	*len = c.len;
	return 0;
}

/* /v1/regions/R/what[/name[/certificate]]: split, names checked. */
static int split(const char *url, char *region, char *what, char *name,
		 char *sub)
{
	char buf[4 * (KF_NAME_MAX + 1)], *parts[4], *save, *t;
	int n = 0;

	region[0] = what[0] = name[0] = sub[0] = 0;
	if (strncmp(url, "/v1/regions/", 12) || strlen(url) >= sizeof(buf))
		return -ENOENT;
	snprintf(buf, sizeof(buf), "%s", url + 12);
	for (t = strtok_r(buf, "/", &save); t && n < 4;
	     t = strtok_r(NULL, "/", &save))
		parts[n++] = t;
	if (t || n < 2 || !kf_name_valid(parts[0], strlen(parts[0]),
					 KF_NAME_MAX))
		return -ENOENT;
	snprintf(region, KF_NAME_MAX + 1, "%s", parts[0]);
	snprintf(what, 32, "%s", parts[1]);
	if (n > 2) {
		if (!kf_name_valid(parts[2], strlen(parts[2]), KF_NAME_MAX))
			return -ENOENT;
		snprintf(name, KF_NAME_MAX + 1, "%s", parts[2]);
	}
	if (n > 3)
		snprintf(sub, 32, "%s", parts[3]);
	return 0;
}

int kf_repo_admin_get(struct kf_repo *r, const char *url, const char *after,
		      uint8_t *buf, size_t cap, size_t *len, char *msg,
		      size_t msg_cap)
{
	char region[KF_NAME_MAX + 1], what[32], name[KF_NAME_MAX + 1];
	char sub[32];
	struct kf_store *st = kf_repo_store(r);
	uint64_t from = 0;
	int ret = split(url, region, what, name, sub);

	if (ret) {
		kf_msg(msg, msg_cap, "no such endpoint\n");
		return MHD_HTTP_NOT_FOUND;
	}
	if (!st) {
		kf_msg(msg, msg_cap, "store unavailable\n");
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	if (after && kf_parse_u64("after", after, 0, INT64_MAX, &from))
		ret = -EINVAL;
	else if (!strcmp(what, "head") && !name[0])
		ret = get_head(st, region, buf, cap, len);
	else if (!strcmp(what, "statements") && !name[0])
		ret = get_statements(st, region, from, buf, cap, len);
	else if (!strcmp(what, "revocations") && !name[0])
		ret = kf_store_revocations(st, region, buf, cap, len);
	else if (!strcmp(what, "pending") && !name[0])
		ret = get_pending(st, region, buf, cap, len);
	else if (!strcmp(what, "entities") && name[0] && !sub[0])
		ret = get_entity(st, region, name, buf, cap, len);
	else if (!strcmp(what, "entities") && name[0] &&
		 !strcmp(sub, "certificate"))
		ret = kf_store_certificate(st, region, name, buf, cap, len);
	else
		ret = -EOPNOTSUPP;
	switch (ret) {
	case 0:
		return MHD_HTTP_OK;
	case -EOPNOTSUPP:
		kf_msg(msg, msg_cap, "no such endpoint\n");
		return MHD_HTTP_NOT_FOUND;
	case -ENOENT: case -ENOKEY:
		kf_msg(msg, msg_cap, "%s/%s%s%s: %s\n", region, what,
		       name[0] ? "/" : "", name, ret == -ENOKEY ?
		       "the region has no authority" : "not found");
		return MHD_HTTP_NOT_FOUND;
	case -EINVAL:
		kf_msg(msg, msg_cap, "after: not a sequence number\n");
		return MHD_HTTP_BAD_REQUEST;
	default:
		kf_msg(msg, msg_cap, "store unavailable\n");
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
}
