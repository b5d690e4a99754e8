// SPDX-License-Identifier: MIT
/*
 * TLV records (docs/protocol.md section 5): type (2 bytes), length
 * (2 bytes), value, big-endian.  The writer has a sticky error so that an
 * encoder can put all its records and check once; the reader is strict so
 * that every payload has exactly one encoding.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"

#define TLV_HEADER	4

uint64_t kf_get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

void kf_put_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n--) {
		p[n] = v & 0xff;
		v >>= 8;
	}
}

void kf_tlv_init(struct kf_tlv_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->error = 0;
}

void kf_tlv_put(struct kf_tlv_writer *w, uint16_t type, const void *v, size_t n)
{
	if (w->error)
		return;
	if (!type || n > 0xffff || (!v && n)) {
		w->error = -EINVAL;
		return;
	}
	if (w->cap - w->len < TLV_HEADER + n) {
		w->error = -EMSGSIZE;
		return;
	}
	w->buf[w->len++] = type >> 8;
	w->buf[w->len++] = type & 0xff;
	w->buf[w->len++] = n >> 8;
	w->buf[w->len++] = n & 0xff;
	if (n)
		memcpy(w->buf + w->len, v, n);
	w->len += n;
}

void kf_tlv_put_u8(struct kf_tlv_writer *w, uint16_t type, uint8_t v)
{
	kf_tlv_put(w, type, &v, 1);
}

void kf_tlv_put_u16(struct kf_tlv_writer *w, uint16_t type, uint16_t v)
{
	uint8_t b[2];

	kf_put_be(b, v, sizeof(b));
	kf_tlv_put(w, type, b, sizeof(b));
}

void kf_tlv_put_u32(struct kf_tlv_writer *w, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	kf_put_be(b, v, sizeof(b));
	kf_tlv_put(w, type, b, sizeof(b));
}

void kf_tlv_put_u64(struct kf_tlv_writer *w, uint16_t type, uint64_t v)
{
	uint8_t b[8];

	kf_put_be(b, v, sizeof(b));
	kf_tlv_put(w, type, b, sizeof(b));
}

void kf_tlv_put_str(struct kf_tlv_writer *w, uint16_t type, const char *s)
{
	if (!s) {
		if (!w->error)
			w->error = -EINVAL;
		return;
	}
	kf_tlv_put(w, type, s, strlen(s));
}

long kf_tlv_finish(const struct kf_tlv_writer *w)
{
	return w->error ? w->error : (long)w->len;
}

/* [A-Za-z0-9._:@/-], the alphabet of names (section 1) */
static bool name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
	       c == '@' || c == '/' || c == '-';
}

bool kf_name_valid(const char *s, size_t len, size_t max)
{
	size_t i;

	if (!s || !len || len > max)
		return false;
	for (i = 0; i < len; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

/* [A-Za-z0-9._-]: no ':', which separates owner and item in descriptions */
static bool owner_char(char c)
{
	return name_char(c) && c != ':' && c != '@' && c != '/';
}

bool kf_owner_name_valid(const char *s, size_t len)
{
	size_t i;

	if (!s || !len || len > KF_OWNER_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!owner_char(s[i]))
			return false;
	return true;
}

void kf_tlv_reader_init(struct kf_tlv_reader *r, const uint8_t *buf,
			size_t len, uint64_t repeatable)
{
	r->buf = buf;
	r->len = buf ? len : 0;
	r->off = 0;
	r->last_type = 0;
	r->repeatable = repeatable;
	r->error = 0;
}

static int tlv_fail(struct kf_tlv_reader *r)
{
	r->error = -EPROTO;
	return r->error;
}

int kf_tlv_next(struct kf_tlv_reader *r, uint16_t *type, const uint8_t **value,
		size_t *len)
{
	size_t left, n;
	uint16_t t;

	if (r->error)
		return r->error;
	left = r->len - r->off;
	if (!left)
		return 0;
	/* A partial header is trailing bytes; a long value an overrun. */
	if (left < TLV_HEADER)
		return tlv_fail(r);
	t = (uint16_t)(r->buf[r->off] << 8 | r->buf[r->off + 1]);
	n = (size_t)r->buf[r->off + 2] << 8 | r->buf[r->off + 3];
	if (n > left - TLV_HEADER)
		return tlv_fail(r);
	/*
	 * Strictly ascending, except that a repeatable type may follow
	 * itself; together these make repeats consecutive.
	 */
	if (!t || t < r->last_type)
		return tlv_fail(r);
	if (t == r->last_type && (t >= 64 || !(r->repeatable >> t & 1)))
		return tlv_fail(r);
	r->last_type = t;
	*type = t;
	*value = r->buf + r->off + TLV_HEADER;
	*len = n;
	r->off += TLV_HEADER + n;
	return 1;
}
