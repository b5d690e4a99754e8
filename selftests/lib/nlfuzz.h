/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A generic netlink fuzzer that knows a family only by what it says about
 * itself (genl_family.h): every operation it lists, with the attributes of
 * its policy, is a target, so a command or attribute added later is fuzzed
 * without an edit here.
 *
 * Messages come from five strategies: generated from the policy (boundary
 * values, wrong lengths, missing or duplicated or unknown attributes, huge
 * and deep nests, odd flags); a reusable seed (a real message, as the
 * helper's client sent it) mutated attribute by attribute; a one-shot seed
 * (a message valid once, like TRANSFER_FINISH with a real reply) sent as it
 * is or with bits flipped; byte-level havoc on any of those, headers
 * included; and batches of several messages in one datagram.  Values seen
 * in seeds and replies (ids, serials, keys, names) fill a dictionary that
 * generation draws from, which is how a fuzzed TRANSFER_FINISH names a
 * transfer that really is pending.
 *
 * Everything is drawn from one seeded generator: the same seed makes the
 * same choices, so a failing run can be replayed.
 */
#ifndef KEYFERRY_SELFTEST_NLFUZZ_H
#define KEYFERRY_SELFTEST_NLFUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genl_family.h"
#include "nlraw.h"

enum nlf_how {
	NLF_GEN,		/* generated from the policy */
	NLF_MUTATE,		/* a reusable seed, mutated */
	NLF_ONESHOT,		/* a one-shot seed, as it is */
	NLF_ONESHOT_FLIP,	/* a one-shot seed, bits flipped or mutated */
	NLF_HAVOC,		/* bytes changed anywhere, headers included */
	NLF_BATCH,		/* several messages in one datagram */
	NLF_N_HOW
};

struct nlf_case {
	uint8_t buf[NLR_MSG_MAX];
	size_t len;
	enum nlf_how how;
	int cmd;		/* the header's command, -1: no header */
	bool dump;
	/*
	 * One whole message with NLM_F_REQUEST, for this family, a command it
	 * has (do or dump as asked) and a zero reserved field: the family's
	 * handlers or its policy decide what happens to it.
	 */
	bool well_formed;
};

struct nlf;

struct nlf *nlf_new(const struct gf_family *fam, uint64_t seed);
void nlf_free(struct nlf *f);
const struct gf_family *nlf_family(const struct nlf *f);

uint64_t nlf_rand(struct nlf *f);
uint32_t nlf_below(struct nlf *f, uint32_t n);	/* 0..n-1; 0 when n is 0 */
bool nlf_chance(struct nlf *f, unsigned int percent);
/* Jump to an unrelated point of the sequence (after a child used a copy). */
void nlf_reseed(struct nlf *f);

/* A real message (whole netlink message): a reusable or a one-shot seed. */
void nlf_seed_add(struct nlf *f, const void *msg, size_t len, bool oneshot);
unsigned int nlf_seed_count(const struct nlf *f, bool oneshot);
/* Every attribute of a message (nested ones too) into the dictionary. */
void nlf_harvest(struct nlf *f, const struct nlmsghdr *nlh);

/* The next message to send, numbered seq. */
void nlf_next(struct nlf *f, struct nlf_case *c, uint32_t seq);
const char *nlf_how_name(enum nlf_how how);

/*
 * A message for cmd generated from its policy with valid values only (a
 * first draft a handler may still refuse); returns its length.
 */
size_t nlf_generate_valid(struct nlf *f, uint8_t *buf, size_t cap,
			  uint32_t cmd, uint32_t seq);

/* Mutate bytes in place (for payloads a test encrypts); the new length. */
size_t nlf_mutate_bytes(struct nlf *f, uint8_t *buf, size_t len, size_t cap);

/* Whether a datagram is one well-formed request for the family. */
bool nlf_well_formed(const struct gf_family *fam, const uint8_t *buf,
		     size_t len, int *cmd, bool *dump);

#endif /* KEYFERRY_SELFTEST_NLFUZZ_H */
