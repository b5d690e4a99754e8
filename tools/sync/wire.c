// SPDX-License-Identifier: MIT
/* The provider channel's payloads, byte by byte (sync.h). */
#include <errno.h>
#include <string.h>

#include "tools/sync/sync.h"

enum { RQ_TIMESTAMP = 1, RQ_HELD, RQ_GATHERING, RQ_RECORD };
enum { REC_SEQ = 1, REC_TIME, REC_OP, REC_SUBJECT, REC_RESULT, REC_DETAIL,
       REC_HASH };
enum { RP_STATUS = 1, RP_MESSAGE, RP_GENERATION, RP_REPORTED, RP_ROW,
       RP_NEXT };
enum { ROW_TABLE = 1, ROW_VALUE };

#define BIT(t)		(UINT64_C(1) << (t))
#define GEN_SIZE	(16 + 8)
#define CURSOR_SIZE	(1 + 8 + 8)
/* The longest detail a repository's transfer record has, and room. */
#define DETAIL_MAX	8192

const char *kf_sync_status_name(uint32_t status)
{
	switch (status) {
	case KF_SYNC_OK: return "ok";
	case KF_SYNC_UNKNOWN: return "unknown provider";
	case KF_SYNC_RETIRED: return "provider retired";
	case KF_SYNC_BAD_REQUEST: return "bad request";
	case KF_SYNC_INTERNAL: return "repository internal error";
	default: return "unknown status";
	}
}

/* ---- fixed fields -------------------------------------------------------- */

static void put_gen(uint8_t *b, const struct kf_generation *g)
{
	memcpy(b, g->store, 16);
	kf_put_be(b + 16, (uint64_t)g->value, 8);
}

static void get_gen(struct kf_generation *g, const uint8_t *b)
{
	memcpy(g->store, b, 16);
	g->value = (int64_t)kf_get_be(b + 16, 8);
}

static void put_cursor(uint8_t *b, const struct kf_cursor *c)
{
	b[0] = c->table;
	kf_put_be(b + 1, (uint64_t)c->k1, 8);
	kf_put_be(b + 9, (uint64_t)c->k2, 8);
}

static int get_cursor(struct kf_cursor *c, const uint8_t *b)
{
	c->table = b[0];
	c->k1 = (int64_t)kf_get_be(b + 1, 8);
	c->k2 = (int64_t)kf_get_be(b + 9, 8);
	/* Past the last table is the end, which is never sent. */
	return c->table >= KF_REPLICA_REGIONS &&
	       c->table <= KF_REPLICA_TABLES ? 0 : -EPROTO;
}

/* ---- the request ----------------------------------------------------------- */

static bool field_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n >= 1 && n <= max;
}

static int put_record(struct kf_tlv_writer *w, const struct kf_audit_rec *r)
{
	uint8_t buf[4 * 8 + 3 * KF_SYNC_FIELD_MAX + DETAIL_MAX + 64];
	struct kf_tlv_writer n;
	long len;

	if (r->seq < 1 || !field_ok(r->op, KF_SYNC_FIELD_MAX) ||
	    !field_ok(r->subject, KF_SYNC_FIELD_MAX) ||
	    !field_ok(r->result, KF_SYNC_FIELD_MAX) ||
	    strlen(r->detail) > DETAIL_MAX)
		return -EINVAL;
	kf_tlv_init(&n, buf, sizeof(buf));
	kf_tlv_put_u64(&n, REC_SEQ, (uint64_t)r->seq);
	kf_tlv_put_u64(&n, REC_TIME, (uint64_t)r->ts);
	kf_tlv_put_str(&n, REC_OP, r->op);
	kf_tlv_put_str(&n, REC_SUBJECT, r->subject);
	kf_tlv_put_str(&n, REC_RESULT, r->result);
	if (r->detail[0])
		kf_tlv_put_str(&n, REC_DETAIL, r->detail);
	kf_tlv_put(&n, REC_HASH, r->hash, 32);
	len = kf_tlv_finish(&n);
	if (len < 0)
		return (int)len;
	kf_tlv_put(w, RQ_RECORD, buf, (size_t)len);
	return kf_tlv_finish(w) < 0 ? (int)kf_tlv_finish(w) : 0;
}

int kf_sync_request_encode(const struct kf_sync_request *req,
			   int (*next_record)(void *ctx,
					      struct kf_audit_rec *rec),
			   void *ctx, uint8_t *buf, size_t cap, size_t *len,
			   unsigned int *taken)
{
	uint8_t b[GEN_SIZE + CURSOR_SIZE];
	struct kf_tlv_writer w;
	struct kf_audit_rec rec;
	size_t before;
	long n;
	int ret;

	*taken = 0;
	if (cap > KF_SYNC_REQUEST_MAX)
		cap = KF_SYNC_REQUEST_MAX;
	kf_tlv_init(&w, buf, cap);
	kf_tlv_put(&w, RQ_TIMESTAMP, req->timestamp, KF_TIMESTAMP_SIZE);
	if (req->has_held) {
		put_gen(b, &req->held);
		kf_tlv_put(&w, RQ_HELD, b, GEN_SIZE);
	}
	if (req->gathering) {
		put_gen(b, &req->gather);
		put_cursor(b + GEN_SIZE, &req->cursor);
		kf_tlv_put(&w, RQ_GATHERING, b, GEN_SIZE + CURSOR_SIZE);
	}
	if (kf_tlv_finish(&w) < 0)
		return (int)kf_tlv_finish(&w);
	while (next_record && *taken < KF_SYNC_RECORDS_MAX) {
		ret = next_record(ctx, &rec);
		if (ret < 0)
			return ret;
		if (!ret)
			break;
		before = w.len;
		ret = put_record(&w, &rec);
		if (ret == -EMSGSIZE && *taken) {
			/* no room for this one: it goes next time */
			w.len = before;
			w.error = 0;
			break;
		}
		if (ret)
			return ret;
		(*taken)++;
	}
	n = kf_tlv_finish(&w);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

/* A string field into the arena, NUL-terminated. */
static const char *arena_str(char **arena, const uint8_t *v, size_t n,
			     size_t min, size_t max)
{
	char *s = *arena;

	if (n < min || n > max || memchr(v, 0, n))
		return NULL;
	memcpy(s, v, n);
	s[n] = 0;
	*arena += n + 1;
	return s;
}

static int get_record(struct kf_audit_rec *r, char **arena, const uint8_t *buf,
		      size_t len)
{
	struct kf_tlv_reader rd;
	const uint8_t *v;
	uint64_t seen = 0;
	uint16_t t;
	size_t n;
	int ret;

	memset(r, 0, sizeof(*r));
	r->detail = "";
	kf_tlv_reader_init(&rd, buf, len, 0);
	while ((ret = kf_tlv_next(&rd, &t, &v, &n)) == 1) {
		seen |= BIT(t);
		switch (t) {
		case REC_SEQ:
		case REC_TIME:
			if (n != 8)
				return -EPROTO;
			if (t == REC_SEQ)
				r->seq = (int64_t)kf_get_be(v, 8);
			else
				r->ts = (int64_t)kf_get_be(v, 8);
			break;
		case REC_OP:
		case REC_SUBJECT:
		case REC_RESULT:
		case REC_DETAIL: {
			const char *f = arena_str(arena, v, n, 1, t == REC_DETAIL ?
						  DETAIL_MAX : KF_SYNC_FIELD_MAX);

			if (!f)
				return -EPROTO;
			if (t == REC_OP)
				r->op = f;
			else if (t == REC_SUBJECT)
				r->subject = f;
			else if (t == REC_RESULT)
				r->result = f;
			else
				r->detail = f;
			break;
		}
		case REC_HASH:
			if (n != 32)
				return -EPROTO;
			memcpy(r->hash, v, 32);
			break;
		default:
			return -EPROTO;
		}
	}
	if (ret < 0)
		return ret;
	if ((seen & (BIT(REC_SEQ) | BIT(REC_TIME) | BIT(REC_OP) |
		     BIT(REC_SUBJECT) | BIT(REC_RESULT) | BIT(REC_HASH))) !=
	    (BIT(REC_SEQ) | BIT(REC_TIME) | BIT(REC_OP) | BIT(REC_SUBJECT) |
	     BIT(REC_RESULT) | BIT(REC_HASH)) || r->seq < 1)
		return -EPROTO;
	return 0;
}

/* The fields of a request before its records (decode). */
static int request_field(struct kf_sync_request *req, uint16_t t,
			 const uint8_t *v, size_t n)
{
	switch (t) {
	case RQ_TIMESTAMP:
		if (n != KF_TIMESTAMP_SIZE || !kf_tai64n_valid(v))
			return -EPROTO;
		memcpy(req->timestamp, v, n);
		return 0;
	case RQ_HELD:
		if (n != GEN_SIZE)
			return -EPROTO;
		req->has_held = true;
		get_gen(&req->held, v);
		return 0;
	case RQ_GATHERING:
		if (n != GEN_SIZE + CURSOR_SIZE)
			return -EPROTO;
		req->gathering = true;
		get_gen(&req->gather, v);
		return get_cursor(&req->cursor, v + GEN_SIZE);
	default:
		return -EPROTO;
	}
}

int kf_sync_request_decode(struct kf_sync_request *req, const uint8_t *buf,
			   size_t len)
{
	struct kf_tlv_reader rd;
	char *arena = req->arena;
	const uint8_t *v;
	bool has_ts = false;
	uint16_t t;
	size_t n;
	int ret;

	req->has_held = req->gathering = false;
	req->n_records = 0;
	if (len > KF_SYNC_REQUEST_MAX)
		return -EPROTO;
	kf_tlv_reader_init(&rd, buf, len, BIT(RQ_RECORD));
	while ((ret = kf_tlv_next(&rd, &t, &v, &n)) == 1) {
		if (t != RQ_RECORD) {
			ret = request_field(req, t, v, n);
			has_ts |= t == RQ_TIMESTAMP;
		} else if (req->n_records == KF_SYNC_RECORDS_MAX) {
			ret = -EPROTO;
		} else {
			ret = get_record(&req->records[req->n_records++],
					 &arena, v, n);
		}
		if (ret)
			return -EPROTO;
	}
	if (ret < 0 || !has_ts)
		return -EPROTO;
	return 0;
}

/* ---- the reply --------------------------------------------------------------- */

void kf_sync_reply_begin(struct kf_sync_reply_writer *rw, uint8_t *buf,
			 size_t cap, uint32_t status, const char *message,
			 const struct kf_generation *gen, int64_t reported)
{
	uint8_t b[GEN_SIZE];

	if (cap > KF_SYNC_REPLY_MAX)
		cap = KF_SYNC_REPLY_MAX;
	kf_tlv_init(&rw->w, buf, cap);
	rw->rows = 0;
	kf_tlv_put_u32(&rw->w, RP_STATUS, status);
	if (message && message[0])
		kf_tlv_put(&rw->w, RP_MESSAGE, message,
			   strnlen(message, KF_STATUS_TEXT_MAX));
	if (gen) {
		put_gen(b, gen);
		kf_tlv_put(&rw->w, RP_GENERATION, b, GEN_SIZE);
	}
	kf_tlv_put_u64(&rw->w, RP_REPORTED, (uint64_t)reported);
	/* what NEXT will need at the end */
	rw->room = cap > rw->w.len + 4 + CURSOR_SIZE ?
		   cap - 4 - CURSOR_SIZE : rw->w.len;
}

static size_t row_size(const struct kf_row *row)
{
	size_t n = 4 + 4 + 1;
	unsigned int i;

	for (i = 0; i < row->n; i++)
		n += 4 + (row->v[i].null ? 0 : row->v[i].p ? row->v[i].n : 8);
	return n;
}

int kf_sync_reply_row(struct kf_sync_reply_writer *rw,
		      const struct kf_row *row)
{
	const char *types = kf_replica_types(row->table);
	size_t size = row_size(row), start;
	uint8_t b[8];
	unsigned int i;

	if (!types || row->n != strlen(types) || size > 0xffff + 4) {
		rw->w.error = -EINVAL;
		return 0;
	}
	if (rw->w.error || rw->w.len + size > rw->room)
		return 1;
	/* The ROW header, then its records in place. */
	start = rw->w.len;
	kf_tlv_put(&rw->w, RP_ROW, NULL, 0);
	kf_tlv_put_u8(&rw->w, ROW_TABLE, row->table);
	for (i = 0; i < row->n; i++) {
		if (row->v[i].null) {
			kf_tlv_put(&rw->w, ROW_VALUE, NULL, 0);
		} else if (types[i] == 'i') {
			kf_put_be(b, (uint64_t)row->v[i].i, 8);
			kf_tlv_put(&rw->w, ROW_VALUE, b, 8);
		} else {
			kf_tlv_put(&rw->w, ROW_VALUE, row->v[i].p,
				   row->v[i].n);
		}
	}
	if (rw->w.error)
		return 0;
	kf_put_be(rw->w.buf + start + 2, rw->w.len - start - 4, 2);
	rw->rows++;
	return 0;
}

long kf_sync_reply_end(struct kf_sync_reply_writer *rw,
		       const struct kf_cursor *next)
{
	uint8_t b[CURSOR_SIZE];

	if (next) {
		put_cursor(b, next);
		kf_tlv_put(&rw->w, RP_NEXT, b, CURSOR_SIZE);
	}
	return kf_tlv_finish(&rw->w);
}

/* One ROW's records, checked against its table's columns. */
static int get_row(struct kf_row *row, uint8_t *scratch, const uint8_t *buf,
		   size_t len)
{
	struct kf_tlv_reader rd;
	const char *types = NULL;
	const uint8_t *v;
	uint16_t t;
	size_t n;
	int ret;

	row->n = 0;
	kf_tlv_reader_init(&rd, buf, len, BIT(ROW_VALUE));
	while ((ret = kf_tlv_next(&rd, &t, &v, &n)) == 1) {
		if (t == ROW_TABLE) {
			if (n != 1 || !(types = kf_replica_types(v[0])))
				return -EPROTO;
			row->table = v[0];
			continue;
		}
		if (t != ROW_VALUE || !types || row->n == strlen(types))
			return -EPROTO;
		memset(&row->v[row->n], 0, sizeof(row->v[0]));
		if (!n) {
			row->v[row->n].null = true;
		} else if (types[row->n] == 'i') {
			if (n != 8)
				return -EPROTO;
			row->v[row->n].i = (int64_t)kf_get_be(v, 8);
		} else {
			/* a copy with a NUL after it, for text columns */
			if (scratch) {
				memcpy(scratch, v, n);
				scratch[n] = 0;
				row->v[row->n].p = scratch;
				scratch += n + 1;
			} else {
				row->v[row->n].p = v;
			}
			row->v[row->n].n = n;
		}
		row->n++;
	}
	if (ret < 0 || !types || row->n != strlen(types))
		return -EPROTO;
	return 0;
}

static int reply_field(struct kf_sync_reply *rp, uint16_t t, const uint8_t *v,
		       size_t n)
{
	switch (t) {
	case RP_STATUS:
		if (n != 4)
			return -EPROTO;
		rp->status = (uint32_t)kf_get_be(v, 4);
		return 0;
	case RP_MESSAGE:
		if (!n || n > KF_STATUS_TEXT_MAX || memchr(v, 0, n))
			return -EPROTO;
		memcpy(rp->message, v, n);
		rp->message[n] = 0;
		return 0;
	case RP_GENERATION:
		if (n != GEN_SIZE)
			return -EPROTO;
		rp->has_gen = true;
		get_gen(&rp->gen, v);
		return 0;
	case RP_REPORTED:
		if (n != 8)
			return -EPROTO;
		rp->reported = (int64_t)kf_get_be(v, 8);
		return rp->reported < 0 ? -EPROTO : 0;
	case RP_NEXT:
		if (n != CURSOR_SIZE)
			return -EPROTO;
		rp->has_next = true;
		return get_cursor(&rp->next, v);
	default:
		return -EPROTO;
	}
}

int kf_sync_reply_decode(struct kf_sync_reply *rp, const uint8_t *buf,
			 size_t len)
{
	struct kf_tlv_reader rd;
	struct kf_row row;
	const uint8_t *v;
	uint64_t seen = 0;
	uint16_t t;
	size_t n;
	int ret;

	memset(rp, 0, sizeof(*rp));
	kf_tlv_reader_init(&rd, buf, len, BIT(RP_ROW));
	while ((ret = kf_tlv_next(&rd, &t, &v, &n)) == 1) {
		seen |= BIT(t);
		if (t != RP_ROW) {
			ret = reply_field(rp, t, v, n);
		} else {
			if (!rp->rows)
				rp->rows = v - 4;
			rp->rows_len = (size_t)(v + n - rp->rows);
			rp->n_rows++;
			ret = get_row(&row, NULL, v, n);
		}
		if (ret)
			return -EPROTO;
	}
	if (ret < 0 || !(seen & BIT(RP_STATUS)) || !(seen & BIT(RP_REPORTED)))
		return -EPROTO;
	/* Rows come only with an ok and a generation they are of. */
	if ((rp->n_rows || rp->has_next) &&
	    (rp->status != KF_SYNC_OK || !rp->has_gen))
		return -EPROTO;
	if (rp->status == KF_SYNC_OK && !rp->has_gen)
		return -EPROTO;
	return 0;
}

void kf_sync_rows_init(struct kf_sync_rows *it, const uint8_t *rows,
		       size_t len)
{
	kf_tlv_reader_init(&it->r, rows, len, BIT(RP_ROW));
}

int kf_sync_rows_next(struct kf_sync_rows *it, struct kf_row *row)
{
	const uint8_t *v;
	uint16_t t;
	size_t n;
	int ret = kf_tlv_next(&it->r, &t, &v, &n);

	if (ret <= 0)
		return ret;
	if (t != RP_ROW || get_row(row, it->scratch, v, n))
		return -EPROTO;
	return 1;
}
