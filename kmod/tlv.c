// SPDX-License-Identifier: GPL-2.0
/*
 * The strict TLV parser of docs/protocol.md section 5: records are type
 * (2 bytes, big-endian), length (2 bytes), value; types strictly ascend,
 * each at most once, except repeatable ones which appear consecutively; an
 * unknown type, a missing required type, a record overrunning the buffer,
 * a length outside the rule, an invalid name and trailing bytes all make
 * the whole buffer malformed.  So a payload has exactly one encoding.
 *
 * No state, no allocation: the fields point into the caller's buffer.
 */
#include <linux/string.h>
#include "keyferry.h"

/*
 * ASCII letters and digits, spelled out: the kernel's isalnum() follows
 * Latin-1 (0xc0..0xff are letters to it), and a name byte >= 0x80 is never
 * valid (docs/protocol.md section 1, as libkeyferry checks it).
 */
static bool kf_ascii_alnum(u8 ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

bool kf_name_valid(const u8 *s, size_t len, size_t max)
{
	size_t i;

	if (!len || len > max)
		return false;
	for (i = 0; i < len; i++) {
		u8 ch = s[i];

		if (!(kf_ascii_alnum(ch) || ch == '.' || ch == '_' || ch == ':' ||
		      ch == '@' || ch == '/' || ch == '-'))
			return false;
	}
	return true;
}

/* No ':' in an owner name: "keyferry:<owner>:<item>" splits at the first. */
bool kf_owner_name_valid(const u8 *s, size_t len)
{
	size_t i;

	if (!len || len > KEYFERRY_OWNER_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!(kf_ascii_alnum(s[i]) || s[i] == '.' || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

/*
 * -EPROTO for any malformation; unknown_err for a type with no rule (the
 * policy refuses those with -EOPNOTSUPP: "not understood").
 */
int kf_tlv_parse(const u8 *buf, size_t len, const struct kf_tlv_rule *rules,
		 unsigned int max_type, struct kf_tlv_field *fields,
		 int unknown_err)
{
	unsigned int last = 0, t;
	size_t pos = 0;

	memset(fields, 0, (max_type + 1) * sizeof(*fields));
	while (pos < len) {
		const struct kf_tlv_rule *r;
		u16 type, vlen;

		if (len - pos < 4)
			return -EPROTO;
		type = get_unaligned_be16(buf + pos);
		vlen = get_unaligned_be16(buf + pos + 2);
		pos += 4;
		if (vlen > len - pos)
			return -EPROTO;
		if (!type || type > max_type || !rules[type].max)
			return unknown_err;
		r = &rules[type];
		if (type < last)
			return -EPROTO;
		if (type == last && !(r->flags & KF_TLV_MULTI))
			return -EPROTO;
		if (vlen < r->min || vlen > r->max)
			return -EPROTO;
		if ((r->flags & KF_TLV_NAME) &&
		    !kf_name_valid(buf + pos, vlen, KEYFERRY_NAME_MAX))
			return -EPROTO;
		if (!fields[type].count) {
			fields[type].val = buf + pos;
			fields[type].len = vlen;
		}
		fields[type].count++;
		last = type;
		pos += vlen;
	}
	for (t = 1; t <= max_type; t++)
		if ((rules[t].flags & KF_TLV_REQUIRED) && !fields[t].count)
			return -EPROTO;
	return 0;
}

/* Repeatable records are consecutive: walk from the first one. */
void kf_tlv_nth(const struct kf_tlv_field *f, unsigned int idx,
		const u8 **val, u16 *len)
{
	const u8 *p = f->val;
	u16 l = f->len;

	while (idx--) {
		p += l;
		l = get_unaligned_be16(p + 2);
		p += 4;
	}
	*val = p;
	*len = l;
}

int kf_tlv_put(u8 *buf, size_t cap, size_t *pos, u16 type, const void *v,
	       size_t n)
{
	if (n > U16_MAX || cap < *pos || cap - *pos < 4 + n)
		return -EMSGSIZE;
	put_unaligned_be16(type, buf + *pos);
	put_unaligned_be16(n, buf + *pos + 2);
	memcpy(buf + *pos + 4, v, n);
	*pos += 4 + n;
	return 0;
}
