/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Between the fuzzer's files: nlfuzz.c (state, seeds, dictionary, the
 * choice of strategy), nlfuzz_gen.c (generation from a policy),
 * nlfuzz_mut.c (mutation of messages and of bytes).
 */
#ifndef KEYFERRY_SELFTEST_NLFUZZ_INTERNAL_H
#define KEYFERRY_SELFTEST_NLFUZZ_INTERNAL_H

#include "nlfuzz.h"

#define NLF_SEEDS		256	/* reusable seeds kept */
#define NLF_ONESHOTS		64	/* one-shot seeds waiting */
#define NLF_DICT_TYPES		256	/* attribute numbers with a dictionary */
#define NLF_DICT_WAYS		8	/* values kept per attribute number */
#define NLF_DICT_VALUE_MAX	(40 * 1024)
#define NLF_MAX_ATTRS		1024	/* attributes of one level kept */
#define NLF_DEPTH_MAX		4	/* nests generated inside nests */

struct nlf_blob {
	size_t len;
	uint8_t *data;
};

struct nlf {
	const struct gf_family *fam;
	uint64_t rng;
	struct nlf_blob seed[NLF_SEEDS];
	uint64_t seed_hash[NLF_SEEDS];
	unsigned int n_seeds;
	struct nlf_blob oneshot[NLF_ONESHOTS];	/* a FIFO */
	unsigned int oneshot_head, n_oneshots;
	struct nlf_blob dict[NLF_DICT_TYPES][NLF_DICT_WAYS];
	unsigned int dict_next[NLF_DICT_TYPES];
	/* scratch for mutations: attribute payloads are copied here */
	uint8_t *arena;
	size_t arena_used;
};

/* One level of attributes, payloads in the arena. */
struct nlf_attr {
	uint16_t type;		/* with its NLA_F_* bits */
	uint8_t *p;
	size_t len;
};

struct nlf_attrs {
	unsigned int n;
	struct nlf_attr a[NLF_MAX_ATTRS];
};

#define NLF_ARENA_SIZE	(8 * NLR_MSG_MAX)

uint8_t *nlf_arena(struct nlf *f, size_t len);	/* NULL when full */
const struct nlf_blob *nlf_dict_pick(struct nlf *f, uint16_t type);
void nlf_fill_random(struct nlf *f, uint8_t *p, size_t len);

/* nlfuzz_gen.c */
void nlf_gen_attrs(struct nlf *f, struct nlb *b, int policy, int depth,
		   bool valid);
void nlf_gen_attr(struct nlf *f, struct nlb *b, const struct gf_attr *at,
		  int depth, bool valid);
void nlf_gen_message(struct nlf *f, struct nlb *b, uint32_t seq);

/* nlfuzz_mut.c */
bool nlf_mutate_message(struct nlf *f, struct nlb *b, const struct nlf_blob *seed,
			uint32_t seq);
void nlf_flip_message(struct nlf *f, struct nlb *b, const struct nlf_blob *seed,
		      uint32_t seq);
void nlf_havoc(struct nlf *f, struct nlb *b);

#endif /* KEYFERRY_SELFTEST_NLFUZZ_INTERNAL_H */
