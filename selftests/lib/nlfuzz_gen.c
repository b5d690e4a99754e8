// SPDX-License-Identifier: GPL-2.0
/*
 * Messages generated from a family's policies: for each attribute a value
 * of its kind, mostly at or just past the policy's bounds, sometimes of
 * the wrong length or the wrong kind; attributes left out, repeated or
 * unknown; nests nested, empty, or holding thousands of elements.  With
 * valid set, only values the policy accepts.
 */
#include <string.h>

#include "nlfuzz_internal.h"

/* Values to try on X25519 keys: zero, one, p - 1, p, p + 1, low order. */
static const uint8_t nlf_points[][32] = {
	{ 0 },
	{ 1 },
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	  0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	  0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
	{ 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
	  0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
	  0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 },
};

#define NLF_N_POINTS (sizeof(nlf_points) / sizeof(nlf_points[0]))

/* The characters of names (docs/protocol.md section 1). */
static const char nlf_name_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@/-";

static unsigned int nlf_int_size(uint8_t kind)
{
	switch (kind) {
	case NL_ATTR_TYPE_U8:
	case NL_ATTR_TYPE_S8:
		return 1;
	case NL_ATTR_TYPE_U16:
	case NL_ATTR_TYPE_S16:
		return 2;
	case NL_ATTR_TYPE_U32:
	case NL_ATTR_TYPE_S32:
		return 4;
	default:
		return 8;
	}
}

static bool nlf_kind_signed(uint8_t kind)
{
	return kind >= NL_ATTR_TYPE_S8 && kind <= NL_ATTR_TYPE_S64;
}

/* A value inside the policy's range, or (not valid) near or past it. */
static uint64_t nlf_int_value(struct nlf *f, const struct gf_attr *at,
			      bool valid)
{
	uint64_t lo = at->umin, hi = at->umax;

	if (nlf_kind_signed(at->kind)) {
		lo = (uint64_t)at->smin;
		hi = (uint64_t)at->smax;
	}
	if (at->has_mask)
		return valid || nlf_chance(f, 70) ? nlf_rand(f) & at->mask :
						    nlf_rand(f) | ~at->mask;
	if (!at->has_range)
		return nlf_chance(f, 50) ? nlf_below(f, 4) : nlf_rand(f);
	switch (nlf_below(f, valid ? 4 : 9)) {
	case 0:
		return lo;
	case 1:
		return hi;
	case 2:
	case 3:
		/* two's complement: the same sum for signed ranges */
		if (hi - lo == UINT64_MAX)
			return nlf_rand(f);
		return lo + nlf_rand(f) % (hi - lo + 1);
	case 4:
		return lo - 1;
	case 5:
		return hi + 1;
	case 6:
		return 0;
	case 7:
		return ~0ULL;
	default:
		return nlf_rand(f);
	}
}

static void nlf_gen_int(struct nlf *f, struct nlb *b, const struct gf_attr *at,
			bool valid)
{
	unsigned int size = nlf_int_size(at->kind);
	const struct nlf_blob *d = nlf_dict_pick(f, at->type);
	uint64_t v = nlf_int_value(f, at, valid);
	uint8_t buf[16];

	if (d && d->len == size && nlf_chance(f, 25)) {
		nlb_attr(b, at->type, d->data, d->len);
		return;
	}
	memcpy(buf, &v, sizeof(v));	/* little-endian: the low bytes first */
	if (!valid && nlf_chance(f, 8))
		size = nlf_below(f, 13);	/* the wrong length */
	else if (size > 8)
		size = 8;
	memset(buf + 8, 0, sizeof(buf) - 8);
	nlb_attr(b, at->type, buf, size);
}

static size_t nlf_pick_len(struct nlf *f, const struct gf_attr *at, bool valid,
			   size_t dflt_max)
{
	size_t lo = at->min_len, hi = at->max_len ? at->max_len : dflt_max;

	if (hi < lo)
		hi = lo;
	switch (nlf_below(f, valid ? 4 : 8)) {
	case 0:
		return lo ? lo : 1;
	case 1:
		return hi;
	case 2:
	case 3:
		return lo + nlf_below(f, (uint32_t)(hi - lo + 1));
	case 4:
		return lo ? lo - 1 : 0;
	case 5:
		return hi + 1;
	case 6:
		return 0;
	default:
		return nlf_below(f, 2 * (uint32_t)hi + 64);
	}
}

static void nlf_gen_string(struct nlf *f, struct nlb *b,
			   const struct gf_attr *at, bool valid)
{
	bool nul = at->kind == NL_ATTR_TYPE_NUL_STRING;
	const struct nlf_blob *d = nlf_dict_pick(f, at->type);
	uint8_t buf[1024];
	size_t len, i;
	unsigned int style = nlf_below(f, 10);

	if (d && d->len < sizeof(buf) && nlf_chance(f, 30)) {
		nlb_attr(b, at->type, d->data, d->len);
		return;
	}
	len = nlf_pick_len(f, at, valid, 300);
	if (len >= sizeof(buf) - 1)
		len = sizeof(buf) - 2;
	for (i = 0; i < len; i++) {
		if (valid || style < 8)
			buf[i] = nlf_name_chars[nlf_below(f, sizeof(nlf_name_chars) - 1)];
		else if (style == 8)
			buf[i] = 0x20 + nlf_below(f, 0x5f);
		else
			buf[i] = (uint8_t)nlf_rand(f);
	}
	if (!valid && len && nlf_chance(f, 5))
		buf[nlf_below(f, (uint32_t)len)] = '\0';
	if (nul && (valid || nlf_chance(f, 90)))
		buf[len++] = '\0';
	nlb_attr(b, at->type, buf, len);
}

static void nlf_gen_binary(struct nlf *f, struct nlb *b,
			   const struct gf_attr *at, bool valid)
{
	const struct nlf_blob *d = nlf_dict_pick(f, at->type);
	size_t len;
	uint8_t *buf;

	if (d && nlf_chance(f, 35) &&
	    (!valid || ((!at->min_len || d->len >= at->min_len) &&
			(!at->max_len || d->len <= at->max_len)))) {
		nlb_attr(b, at->type, d->data, d->len);
		return;
	}
	len = nlf_pick_len(f, at, valid, 512);
	if (!valid && nlf_chance(f, 2))
		len = 40000 + nlf_below(f, 20000);	/* very large */
	if (len > 0xffff - NLA_HDRLEN)
		len = 0xffff - NLA_HDRLEN;
	buf = nlf_arena(f, len);
	if (!buf)
		return;
	if (len == 32 && nlf_chance(f, 30))
		memcpy(buf, nlf_points[nlf_below(f, NLF_N_POINTS)], 32);
	else if (nlf_chance(f, 10))
		memset(buf, nlf_chance(f, 50) ? 0 : 0xff, len);
	else
		nlf_fill_random(f, buf, len);
	nlb_attr(b, at->type, buf, len);
}

/* "Huge": one element of the nested policy repeated until the message is big. */
static void nlf_gen_huge(struct nlf *f, struct nlb *b, const struct gf_attr *at,
			 int depth)
{
	const struct gf_policy *p = &f->fam->policy[at->nested];
	const struct gf_attr *el = &p->attr[nlf_below(f, p->n)];
	unsigned int n = 50 + nlf_below(f, 3000), i;

	for (i = 0; i < n && b->len < b->cap / 2 && !b->overflow; i++)
		nlf_gen_attr(f, b, el, depth + 1, false);
}

static void nlf_gen_nested(struct nlf *f, struct nlb *b,
			   const struct gf_attr *at, int depth, bool valid)
{
	bool known = at->nested >= 0 && at->nested < (int)f->fam->n_policies &&
		     f->fam->policy[at->nested].n;
	uint16_t type = at->type;
	size_t nest;

	if (valid || nlf_chance(f, 90))
		type |= NLA_F_NESTED;
	nest = nlb_nest_start(b, type);
	if (depth >= NLF_DEPTH_MAX || (!valid && nlf_chance(f, 5))) {
		/* empty */
	} else if (known && !valid && nlf_chance(f, 4)) {
		nlf_gen_huge(f, b, at, depth);
	} else if (at->kind == NL_ATTR_TYPE_NESTED_ARRAY) {
		unsigned int i, n = 1 + nlf_below(f, 4);

		for (i = 1; i <= n; i++) {
			size_t el = nlb_nest_start(b, i | NLA_F_NESTED);

			nlf_gen_attrs(f, b, known ? at->nested : -1, depth + 1,
				      valid);
			nlb_nest_end(b, el);
		}
	} else {
		nlf_gen_attrs(f, b, known ? at->nested : -1, depth + 1, valid);
	}
	nlb_nest_end(b, nest);
}

void nlf_gen_attr(struct nlf *f, struct nlb *b, const struct gf_attr *at,
		  int depth, bool valid)
{
	uint8_t kind = at->kind;

	if (!valid && nlf_chance(f, 4))
		kind = NL_ATTR_TYPE_BINARY;	/* the wrong kind of value */
	switch (kind) {
	case NL_ATTR_TYPE_FLAG:
		if (!valid && nlf_chance(f, 8)) {
			uint32_t junk = (uint32_t)nlf_rand(f);

			nlb_attr(b, at->type, &junk, 1 + nlf_below(f, 4));
		} else {
			nlb_attr(b, at->type, NULL, 0);
		}
		break;
	case NL_ATTR_TYPE_STRING:
	case NL_ATTR_TYPE_NUL_STRING:
		nlf_gen_string(f, b, at, valid);
		break;
	case NL_ATTR_TYPE_NESTED:
	case NL_ATTR_TYPE_NESTED_ARRAY:
		nlf_gen_nested(f, b, at, depth, valid);
		break;
	case NL_ATTR_TYPE_BITFIELD32: {
		uint32_t bf[2] = { (uint32_t)nlf_rand(f), (uint32_t)nlf_rand(f) };

		if (valid || nlf_chance(f, 60)) {
			bf[0] &= (uint32_t)at->mask;
			bf[1] &= (uint32_t)at->mask;
		}
		nlb_attr(b, at->type, bf, sizeof(bf));
		break;
	}
	case NL_ATTR_TYPE_BINARY:
		nlf_gen_binary(f, b, at, valid);
		break;
	default:
		nlf_gen_int(f, b, at, valid);
		break;
	}
}

/* An attribute no policy has: number 0, just past the maximum, or anything. */
static void nlf_gen_unknown(struct nlf *f, struct nlb *b, int policy)
{
	uint32_t max = f->fam->maxattr;
	uint16_t type;
	uint8_t buf[16];
	size_t len = nlf_below(f, sizeof(buf) + 1);

	switch (nlf_below(f, 4)) {
	case 0:
		type = 0;
		break;
	case 1:
		type = (uint16_t)(max + 1 + nlf_below(f, 4));
		break;
	case 2:
		type = (uint16_t)(1 + nlf_below(f, max ? max : 1));
		break;
	default:
		type = (uint16_t)nlf_rand(f);
		break;
	}
	nlf_fill_random(f, buf, len);
	nlb_attr(b, type, buf, len);
}

void nlf_gen_attrs(struct nlf *f, struct nlb *b, int policy, int depth,
		   bool valid)
{
	const struct gf_policy *p;
	unsigned int order[GF_MAX_POLICY_ATTRS], i, n = 0, mode;

	if (policy < 0 || policy >= (int)f->fam->n_policies) {
		if (!valid)
			for (i = nlf_below(f, 3); i; i--)
				nlf_gen_unknown(f, b, policy);
		return;
	}
	p = &f->fam->policy[policy];
	mode = nlf_below(f, 100);
	for (i = 0; i < p->n; i++)
		if (mode >= 10 && (mode < 35 || nlf_chance(f, 50)))
			order[n++] = i;
	if (nlf_chance(f, 20))
		for (i = n; i > 1; i--) {
			unsigned int j = nlf_below(f, i), t = order[i - 1];

			order[i - 1] = order[j];
			order[j] = t;
		}
	for (i = 0; i < n && !b->overflow; i++)
		nlf_gen_attr(f, b, &p->attr[order[i]], depth, valid);
	if (valid || !p->n)
		return;
	if (nlf_chance(f, 10))		/* the same attribute twice */
		nlf_gen_attr(f, b, &p->attr[nlf_below(f, p->n)], depth, false);
	if (nlf_chance(f, 6))
		nlf_gen_unknown(f, b, policy);
}

/* A whole request for one of the family's operations (or any command). */
void nlf_gen_message(struct nlf *f, struct nlb *b, uint32_t seq)
{
	const struct gf_family *fam = f->fam;
	const struct gf_op *op = NULL;
	uint16_t flags = NLM_F_REQUEST;
	uint8_t cmd, version = (uint8_t)fam->version;
	bool dump = false;

	if (fam->n_ops && nlf_chance(f, 95)) {
		op = &fam->op[nlf_below(f, fam->n_ops)];
		cmd = (uint8_t)op->cmd;
		dump = (op->flags & GENL_CMD_CAP_DUMP) &&
		       (!(op->flags & GENL_CMD_CAP_DO) || nlf_chance(f, 50));
		if (!(op->flags & GENL_CMD_CAP_DUMP) && nlf_chance(f, 5))
			dump = true;
	} else {
		cmd = (uint8_t)nlf_rand(f);
	}
	if (nlf_chance(f, 2))
		flags = 0;
	if (nlf_chance(f, 70))
		flags |= NLM_F_ACK;
	if (dump)
		flags |= NLM_F_DUMP;
	if (nlf_chance(f, 5))
		flags |= (uint16_t)(nlf_rand(f) & 0x0ff8);
	if (nlf_chance(f, 10))
		version = (uint8_t)nlf_rand(f);
	nlb_genl(b, fam->id, flags, seq, cmd, version);
	if (nlf_chance(f, 4) && b->len >= NLMSG_HDRLEN + GENL_HDRLEN)
		b->buf[NLMSG_HDRLEN + 2] = (uint8_t)(1 + nlf_below(f, 255));
	if (op)
		nlf_gen_attrs(f, b, dump ? op->dump_policy : op->do_policy, 0,
			      false);
	else
		nlf_gen_attrs(f, b, -1, 0, false);
	nlb_end(b);
}
