// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's state: its generator, seeds and dictionary, and the choice
 * of a strategy for each message (nlfuzz.h).
 */
#include <stdlib.h>
#include <string.h>

#include "nlfuzz_internal.h"

struct nlf *nlf_new(const struct gf_family *fam, uint64_t seed)
{
	struct nlf *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->arena = malloc(NLF_ARENA_SIZE);
	if (!f->arena) {
		free(f);
		return NULL;
	}
	f->fam = fam;
	f->rng = seed ? seed : 1;
	return f;
}

static void nlf_blob_free(struct nlf_blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

void nlf_free(struct nlf *f)
{
	unsigned int i, j;

	if (!f)
		return;
	for (i = 0; i < NLF_SEEDS; i++)
		nlf_blob_free(&f->seed[i]);
	for (i = 0; i < NLF_ONESHOTS; i++)
		nlf_blob_free(&f->oneshot[i]);
	for (i = 0; i < NLF_DICT_TYPES; i++)
		for (j = 0; j < NLF_DICT_WAYS; j++)
			nlf_blob_free(&f->dict[i][j]);
	free(f->arena);
	free(f);
}

const struct gf_family *nlf_family(const struct nlf *f)
{
	return f->fam;
}

/* splitmix64: small, fast, and the same sequence everywhere. */
uint64_t nlf_rand(struct nlf *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t nlf_below(struct nlf *f, uint32_t n)
{
	return n ? (uint32_t)(nlf_rand(f) % n) : 0;
}

void nlf_reseed(struct nlf *f)
{
	f->rng = nlf_rand(f);
}

bool nlf_chance(struct nlf *f, unsigned int percent)
{
	return nlf_below(f, 100) < percent;
}

void nlf_fill_random(struct nlf *f, uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)nlf_rand(f);
}

uint8_t *nlf_arena(struct nlf *f, size_t len)
{
	uint8_t *p;

	if (f->arena_used + len > NLF_ARENA_SIZE)
		return NULL;
	p = f->arena + f->arena_used;
	f->arena_used += len;
	return p;
}

static bool nlf_blob_set(struct nlf_blob *b, const void *data, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		return false;
	memcpy(p, data, len);
	free(b->data);
	b->data = p;
	b->len = len;
	return true;
}

/* FNV-1a over the message less its seq and portid (bytes 8 to 15). */
static uint64_t nlf_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i >= 8 && i < 16)
			continue;
		h = (h ^ p[i]) * 0x100000001b3ULL;
	}
	return h;
}

void nlf_seed_add(struct nlf *f, const void *msg, size_t len, bool oneshot)
{
	unsigned int i, slot;
	uint64_t h;

	if (len < NLMSG_HDRLEN + GENL_HDRLEN || len > NLR_MSG_MAX)
		return;
	if (oneshot) {
		slot = (f->oneshot_head + f->n_oneshots) % NLF_ONESHOTS;
		if (f->n_oneshots == NLF_ONESHOTS) {	/* drop the oldest */
			f->oneshot_head = (f->oneshot_head + 1) % NLF_ONESHOTS;
			f->n_oneshots--;
		}
		if (nlf_blob_set(&f->oneshot[slot], msg, len))
			f->n_oneshots++;
		return;
	}
	h = nlf_hash(msg, len);
	for (i = 0; i < f->n_seeds; i++)
		if (f->seed_hash[i] == h)
			return;
	slot = f->n_seeds < NLF_SEEDS ? f->n_seeds : nlf_below(f, NLF_SEEDS);
	if (!nlf_blob_set(&f->seed[slot], msg, len))
		return;
	f->seed_hash[slot] = h;
	if (slot == f->n_seeds)
		f->n_seeds++;
}

unsigned int nlf_seed_count(const struct nlf *f, bool oneshot)
{
	return oneshot ? f->n_oneshots : f->n_seeds;
}

/* ---- the dictionary ----------------------------------------------------- */

static void nlf_dict_add(struct nlf *f, uint16_t type, const void *p,
			 size_t len)
{
	unsigned int i, slot;

	if (type >= NLF_DICT_TYPES || len > NLF_DICT_VALUE_MAX)
		return;
	for (i = 0; i < NLF_DICT_WAYS; i++)
		if (f->dict[type][i].data && f->dict[type][i].len == len &&
		    !memcmp(f->dict[type][i].data, p, len))
			return;
	slot = f->dict_next[type]++ % NLF_DICT_WAYS;
	nlf_blob_set(&f->dict[type][slot], p, len);
}

const struct nlf_blob *nlf_dict_pick(struct nlf *f, uint16_t type)
{
	unsigned int n;

	type &= NLA_TYPE_MASK;
	if (type >= NLF_DICT_TYPES)
		return NULL;
	n = f->dict_next[type] < NLF_DICT_WAYS ? f->dict_next[type] :
						 NLF_DICT_WAYS;
	if (!n)
		return NULL;
	return &f->dict[type][nlf_below(f, n)];
}

static void nlf_harvest_attrs(struct nlf *f, const void *p, size_t len,
			      int depth)
{
	const struct nlattr *a;

	nlr_each(a, p, len) {
		nlf_dict_add(f, nlr_type(a), nlr_payload(a), nlr_payload_len(a));
		/* The kernel marks what nla_nest_start() made. */
		if ((a->nla_type & NLA_F_NESTED) && depth < NLF_DEPTH_MAX)
			nlf_harvest_attrs(f, nlr_payload(a), nlr_payload_len(a),
					  depth + 1);
	}
}

void nlf_harvest(struct nlf *f, const struct nlmsghdr *nlh)
{
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	if (nlh->nlmsg_len <= hdr || nlh->nlmsg_type != f->fam->id)
		return;
	nlf_harvest_attrs(f, (const uint8_t *)nlh + hdr, nlh->nlmsg_len - hdr, 0);
}

/* ---- choosing what to send ---------------------------------------------- */

bool nlf_well_formed(const struct gf_family *fam, const uint8_t *buf,
		     size_t len, int *cmd, bool *dump)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct genlmsghdr *g;
	const struct gf_op *op;

	*cmd = -1;
	*dump = false;
	if (len < NLMSG_HDRLEN + GENL_HDRLEN)
		return false;
	g = (const struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	*cmd = g->cmd;
	*dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (nlh->nlmsg_len != len || nlh->nlmsg_type != fam->id ||
	    !(nlh->nlmsg_flags & NLM_F_REQUEST) || g->reserved)
		return false;
	op = gf_op_find(fam, g->cmd);
	if (!op)
		return false;
	return op->flags & (*dump ? GENL_CMD_CAP_DUMP : GENL_CMD_CAP_DO);
}

static void nlf_oneshot_take(struct nlf *f, struct nlf_blob *out)
{
	*out = f->oneshot[f->oneshot_head];
	f->oneshot[f->oneshot_head].data = NULL;
	f->oneshot[f->oneshot_head].len = 0;
	f->oneshot_head = (f->oneshot_head + 1) % NLF_ONESHOTS;
	f->n_oneshots--;
}

/* One message by one of the single-message strategies. */
static enum nlf_how nlf_one(struct nlf *f, struct nlb *b, uint32_t seq)
{
	unsigned int r = nlf_below(f, 100);
	struct nlf_blob shot;
	enum nlf_how how;

	if (r < 30 && f->n_oneshots) {
		nlf_oneshot_take(f, &shot);
		if (nlf_chance(f, 40)) {
			nlb_raw(b, shot.data, shot.len);
			how = NLF_ONESHOT;
		} else {
			nlf_flip_message(f, b, &shot, seq);
			how = NLF_ONESHOT_FLIP;
		}
		nlf_blob_free(&shot);
		return how;
	}
	if (r < 65 && f->n_seeds &&
	    nlf_mutate_message(f, b, &f->seed[nlf_below(f, f->n_seeds)], seq))
		return NLF_MUTATE;
	b->len = 0;
	b->overflow = false;
	nlf_gen_message(f, b, seq);
	return NLF_GEN;
}

void nlf_next(struct nlf *f, struct nlf_case *c, uint32_t seq)
{
	unsigned int i, n;
	struct nlb b;

	f->arena_used = 0;
	nlb_init(&b, c->buf, sizeof(c->buf));
	if (nlf_chance(f, 4)) {
		n = 2 + nlf_below(f, 3);
		for (i = 0; i < n && !b.overflow; i++) {
			struct nlb one;

			nlb_init(&one, b.buf + b.len, b.cap - b.len);
			nlf_one(f, &one, seq + i);
			b.len += one.len;
		}
		c->how = NLF_BATCH;
	} else {
		c->how = nlf_one(f, &b, seq);
		if (nlf_chance(f, 12)) {
			nlf_havoc(f, &b);
			c->how = NLF_HAVOC;
		}
	}
	c->len = b.len;
	c->well_formed = nlf_well_formed(f->fam, c->buf, c->len, &c->cmd,
					 &c->dump);
}

size_t nlf_generate_valid(struct nlf *f, uint8_t *buf, size_t cap,
			  uint32_t cmd, uint32_t seq)
{
	const struct gf_op *op = gf_op_find(f->fam, cmd);
	bool dump = op && !(op->flags & GENL_CMD_CAP_DO);
	struct nlb b;

	f->arena_used = 0;
	nlb_init(&b, buf, cap);
	nlb_genl(&b, f->fam->id, NLM_F_REQUEST | NLM_F_ACK |
		 (dump ? NLM_F_DUMP : 0), seq, (uint8_t)cmd,
		 (uint8_t)f->fam->version);
	if (op)
		nlf_gen_attrs(f, &b, dump ? op->dump_policy : op->do_policy, 0,
			      true);
	nlb_end(&b);
	return b.overflow ? 0 : b.len;
}

const char *nlf_how_name(enum nlf_how how)
{
	static const char *const names[NLF_N_HOW] = {
		[NLF_GEN] = "generated",
		[NLF_MUTATE] = "mutated seed",
		[NLF_ONESHOT] = "one-shot seed",
		[NLF_ONESHOT_FLIP] = "one-shot seed, mutated",
		[NLF_HAVOC] = "havoc",
		[NLF_BATCH] = "batch",
	};

	return how < NLF_N_HOW ? names[how] : "?";
}
