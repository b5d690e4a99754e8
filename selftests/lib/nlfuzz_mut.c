// SPDX-License-Identifier: GPL-2.0
/*
 * Mutations: of a real message attribute by attribute (its lengths kept
 * right, so the change reaches the policy and the handler), of a one-shot
 * message's largest attribute bit by bit (a handshake reply with a bit
 * flipped is the typical case), of any bytes headers included (havoc), and
 * of a plain buffer (nlf_mutate_bytes, for payloads a test encrypts).
 */
#include <stddef.h>
#include <string.h>

#include "nlfuzz_internal.h"

/* Split [p, p + len) into attributes, payloads copied to the arena. */
static bool nlf_split(struct nlf *f, const uint8_t *p, size_t len,
		      struct nlf_attrs *l)
{
	const struct nlattr *a;

	l->n = 0;
	nlr_each(a, p, len) {
		struct nlf_attr *x;

		if (l->n == NLF_MAX_ATTRS)
			break;
		x = &l->a[l->n++];
		x->type = a->nla_type;
		x->len = nlr_payload_len(a);
		x->p = nlf_arena(f, x->len);
		if (!x->p)
			return false;
		memcpy(x->p, nlr_payload(a), x->len);
	}
	return true;
}

static void nlf_join(struct nlb *b, const struct nlf_attrs *l)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		nlb_attr(b, l->a[i].type, l->a[i].p, l->a[i].len);
}

/* The policy that describes the attributes of a message for cmd. */
static int nlf_policy_of(const struct gf_family *fam, uint8_t cmd, bool dump)
{
	const struct gf_op *op = gf_op_find(fam, cmd);

	if (!op)
		return -1;
	return dump ? op->dump_policy : op->do_policy;
}

static void nlf_flip_bits(struct nlf *f, uint8_t *p, size_t len,
			  unsigned int bits)
{
	while (len && bits--) {
		size_t bit = nlf_rand(f) % (len * 8);

		p[bit / 8] ^= 1u << (bit % 8);
	}
}

/* A fresh payload for x: generated for its type, or from the dictionary. */
static void nlf_regen(struct nlf *f, struct nlf_attr *x, int policy)
{
	const struct gf_attr *at = gf_attr_find(f->fam, policy,
						x->type & NLA_TYPE_MASK);
	const struct nlf_blob *d = nlf_dict_pick(f, x->type);
	uint8_t *tmp = nlf_arena(f, NLR_MSG_MAX / 2);
	const struct nlattr *a;
	struct nlb b;

	if (d && (!at || nlf_chance(f, 40))) {
		x->p = d->data;		/* read-only from here on */
		x->len = d->len;
		return;
	}
	if (!at || !tmp)
		return;
	nlb_init(&b, tmp, NLR_MSG_MAX / 2);
	nlf_gen_attr(f, &b, at, 1, nlf_chance(f, 50));
	a = nlr_attr_first(tmp, b.len);
	if (b.overflow || !a)
		return;
	x->type = a->nla_type;
	x->p = (uint8_t *)nlr_payload(a);
	x->len = nlr_payload_len(a);
}

static void nlf_mutate_attrs(struct nlf *f, struct nlf_attrs *l, int policy,
			     int depth);

/* Mutate inside a nest: its payload split, mutated and joined again. */
static void nlf_mutate_nest(struct nlf *f, struct nlf_attr *x, int policy,
			    int depth)
{
	const struct gf_attr *at = gf_attr_find(f->fam, policy,
						x->type & NLA_TYPE_MASK);
	struct nlf_attrs *sub = (struct nlf_attrs *)nlf_arena(f, sizeof(*sub));
	uint8_t *out = nlf_arena(f, NLR_MSG_MAX / 2);
	struct nlb b;

	if (!sub || !out || !nlf_split(f, x->p, x->len, sub) || !sub->n)
		return;
	nlf_mutate_attrs(f, sub, at ? at->nested : -1, depth + 1);
	nlb_init(&b, out, NLR_MSG_MAX / 2);
	nlf_join(&b, sub);
	if (b.overflow)
		return;
	x->p = out;
	x->len = b.len;
}

static void nlf_resize(struct nlf *f, struct nlf_attr *x, bool grow)
{
	size_t extra = 1 + nlf_below(f, 16);
	uint8_t *p;

	if (!grow) {
		x->len = x->len ? nlf_below(f, (uint32_t)x->len) : 0;
		return;
	}
	p = nlf_arena(f, x->len + extra);
	if (!p)
		return;
	memcpy(p, x->p, x->len);
	nlf_fill_random(f, p + x->len, extra);
	x->p = p;
	x->len += extra;
}

static void nlf_copy_payload(struct nlf *f, struct nlf_attr *x)
{
	uint8_t *p = nlf_arena(f, x->len);

	if (p) {
		memcpy(p, x->p, x->len);
		x->p = p;
	}
}

static void nlf_mutate_one(struct nlf *f, struct nlf_attrs *l, int policy,
			   int depth)
{
	const struct gf_policy *pol = policy >= 0 ? &f->fam->policy[policy] : NULL;
	struct nlf_attr *x = l->n ? &l->a[nlf_below(f, l->n)] : NULL;
	unsigned int op = nlf_below(f, 11);

	if (!x)
		op = 9;
	switch (op) {
	case 0:		/* flip bits */
		nlf_copy_payload(f, x);
		nlf_flip_bits(f, x->p, x->len, 1 + nlf_below(f, 4));
		break;
	case 1:		/* drop */
		*x = l->a[--l->n];
		break;
	case 2:		/* repeat */
		if (l->n < NLF_MAX_ATTRS)
			l->a[l->n++] = *x;
		break;
	case 3: {	/* swap two */
		struct nlf_attr *y = &l->a[nlf_below(f, l->n)], t = *x;

		*x = *y;
		*y = t;
		break;
	}
	case 4:		/* a new value */
		nlf_regen(f, x, policy);
		break;
	case 5:		/* shorter or longer */
		nlf_resize(f, x, nlf_chance(f, 50));
		break;
	case 6:		/* another type */
		if (pol && pol->n && nlf_chance(f, 70))
			x->type = pol->attr[nlf_below(f, pol->n)].type |
				  (x->type & ~NLA_TYPE_MASK);
		else
			x->type = (uint16_t)nlf_rand(f);
		break;
	case 7:		/* inside a nest */
		if (depth < NLF_DEPTH_MAX)
			nlf_mutate_nest(f, x, policy, depth);
		break;
	case 8:		/* the nest flag */
		x->type ^= NLA_F_NESTED;
		break;
	default:	/* one more attribute of the policy */
		if (pol && pol->n && l->n < NLF_MAX_ATTRS) {
			struct nlf_attr *y = &l->a[l->n++];

			y->type = pol->attr[nlf_below(f, pol->n)].type;
			y->p = NULL;
			y->len = 0;
			nlf_regen(f, y, policy);
		}
		break;
	}
}

static void nlf_mutate_attrs(struct nlf *f, struct nlf_attrs *l, int policy,
			     int depth)
{
	unsigned int n = 1 + nlf_below(f, 3);

	while (n--)
		nlf_mutate_one(f, l, policy, depth);
}

/* The header: command, flags, version, reserved. */
static void nlf_mutate_header(struct nlf *f, struct nlmsghdr *nlh,
			      struct genlmsghdr *g)
{
	const struct gf_family *fam = f->fam;

	switch (nlf_below(f, 4)) {
	case 0:
		g->cmd = fam->n_ops && nlf_chance(f, 80) ?
			 (uint8_t)fam->op[nlf_below(f, fam->n_ops)].cmd :
			 (uint8_t)nlf_rand(f);
		break;
	case 1:
		nlh->nlmsg_flags ^= (uint16_t)(1u << nlf_below(f, 12));
		break;
	case 2:
		g->version = (uint8_t)nlf_rand(f);
		break;
	default:
		g->reserved = (uint16_t)nlf_rand(f);
		break;
	}
}

bool nlf_mutate_message(struct nlf *f, struct nlb *b, const struct nlf_blob *seed,
			uint32_t seq)
{
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	struct nlf_attrs *l = (struct nlf_attrs *)nlf_arena(f, sizeof(*l));
	struct nlmsghdr nlh;
	struct genlmsghdr g;
	int policy;

	if (!l || seed->len < hdr)
		return false;
	memcpy(&nlh, seed->data, sizeof(nlh));
	memcpy(&g, seed->data + NLMSG_HDRLEN, sizeof(g));
	policy = nlf_policy_of(f->fam, g.cmd,
			       (nlh.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
	if (!nlf_split(f, seed->data + hdr, seed->len - hdr, l))
		return false;
	if (nlf_chance(f, 15))
		nlf_mutate_header(f, &nlh, &g);
	else
		nlf_mutate_attrs(f, l, policy, 0);
	nlb_genl(b, nlh.nlmsg_type, nlh.nlmsg_flags, seq, g.cmd, g.version);
	if (b->len >= hdr)
		memcpy(b->buf + NLMSG_HDRLEN, &g, sizeof(g));
	nlf_join(b, l);
	nlb_end(b);
	return !b->overflow;
}

/*
 * A one-shot message with a few bits of its largest attribute flipped
 * (most of the time), or mutated like any other.
 */
void nlf_flip_message(struct nlf *f, struct nlb *b, const struct nlf_blob *seed,
		      uint32_t seq)
{
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	const struct nlattr *a, *big = NULL;
	uint8_t *p;

	if (nlf_chance(f, 30) && nlf_mutate_message(f, b, seed, seq))
		return;
	b->len = 0;
	b->overflow = false;
	nlb_raw(b, seed->data, seed->len);
	if (b->overflow || seed->len <= hdr)
		return;
	nlr_each(a, b->buf + hdr, b->len - hdr)
		if (!big || a->nla_len > big->nla_len)
			big = a;
	if (!big)
		return;
	p = (uint8_t *)nlr_payload(big);
	nlf_flip_bits(f, p, nlr_payload_len(big), 1 + nlf_below(f, 3));
}

static void nlf_havoc_bytes(struct nlf *f, struct nlb *b, unsigned int r)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)b->buf;

	if (r < 40) {
		nlf_flip_bits(f, b->buf, b->len, 1 + nlf_below(f, 8));
	} else if (r < 55) {
		static const uint32_t lens[] = { 0, 1, 15, 16, 19, 20, 0xffffffff };

		nlh->nlmsg_len = nlf_chance(f, 50) ?
				 lens[nlf_below(f, sizeof(lens) / sizeof(lens[0]))] :
				 (uint32_t)(b->len + nlf_below(f, 9) - 4);
	} else if (r < 75) {
		b->len = nlf_below(f, (uint32_t)b->len);
	} else if (r < 85) {
		size_t n = 1 + nlf_below(f, 32);

		if (b->len + n <= b->cap) {
			nlf_fill_random(f, b->buf + b->len, n);
			b->len += n;
		}
	} else if (b->len > NLMSG_HDRLEN + GENL_HDRLEN + 4) {
		/* an attribute header's length, somewhere */
		size_t off = NLMSG_HDRLEN + GENL_HDRLEN +
			     4 * nlf_below(f, (uint32_t)(b->len - NLMSG_HDRLEN -
							 GENL_HDRLEN) / 4);
		uint16_t v = (uint16_t)nlf_rand(f);

		if (off + 2 <= b->len)
			memcpy(b->buf + off, &v, sizeof(v));
	}
}

/* Bytes changed anywhere: lengths, headers, truncation, garbage after. */
void nlf_havoc(struct nlf *f, struct nlb *b)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)b->buf;
	unsigned int r = nlf_below(f, 100);
	uint16_t type = nlh->nlmsg_type;

	if (b->len < NLMSG_HDRLEN)
		return;
	nlf_havoc_bytes(f, b, r);
	/* other families are not ours to fuzz: the type stays */
	if (b->len >= offsetof(struct nlmsghdr, nlmsg_flags))
		nlh->nlmsg_type = type;
}

size_t nlf_mutate_bytes(struct nlf *f, uint8_t *buf, size_t len, size_t cap)
{
	unsigned int n = 1 + nlf_below(f, 3);

	while (n--) {
		size_t pos = len ? nlf_below(f, (uint32_t)len) : 0;
		size_t chunk = 1 + nlf_below(f, 16);

		switch (nlf_below(f, 8)) {
		case 0:
		case 1:
			nlf_flip_bits(f, buf, len, 1 + nlf_below(f, 4));
			break;
		case 2: {	/* an interesting byte */
			static const uint8_t v[] = { 0, 1, 0x7f, 0x80, 0xff };

			if (len)
				buf[pos] = v[nlf_below(f, sizeof(v))];
			break;
		}
		case 3:		/* a big-endian 16-bit field, nudged */
			if (pos + 2 <= len) {
				uint16_t x = (uint16_t)(buf[pos] << 8 | buf[pos + 1]);

				x += nlf_chance(f, 50) ? 1 : -1;
				buf[pos] = x >> 8;
				buf[pos + 1] = (uint8_t)x;
			}
			break;
		case 4:		/* truncate */
			len = pos;
			break;
		case 5:		/* delete a chunk */
			if (pos + chunk <= len) {
				memmove(buf + pos, buf + pos + chunk,
					len - pos - chunk);
				len -= chunk;
			}
			break;
		case 6:		/* duplicate a chunk */
			if (pos + chunk <= len && len + chunk <= cap) {
				memmove(buf + pos + chunk, buf + pos, len - pos);
				len += chunk;
			}
			break;
		default:	/* random bytes inserted */
			if (len + chunk <= cap) {
				memmove(buf + pos + chunk, buf + pos, len - pos);
				nlf_fill_random(f, buf + pos, chunk);
				len += chunk;
			}
			break;
		}
	}
	return len;
}
