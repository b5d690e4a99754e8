/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a generic netlink family says about itself, asked at run time:
 * CTRL_CMD_GETFAMILY gives its id, version, operations (with their flags)
 * and multicast groups; the CTRL_CMD_GETPOLICY dump gives, per operation,
 * the index of its do and dump policies and, per policy, every attribute
 * with its type, valid range or length and, for a nest, the policy of what
 * it holds.  A fuzzer built on this covers commands and attributes added
 * later without an edit.  Both exist since Linux 5.10 (so on 6.1 and 6.12).
 */
#ifndef KEYFERRY_SELFTEST_GENL_FAMILY_H
#define KEYFERRY_SELFTEST_GENL_FAMILY_H

#include <stdbool.h>
#include <stdint.h>

#include "nlraw.h"

#define GF_MAX_OPS		64
#define GF_MAX_GROUPS		8
#define GF_MAX_POLICIES		32
#define GF_MAX_POLICY_ATTRS	128

/* One attribute of one policy. */
struct gf_attr {
	uint16_t type;		/* the attribute's number */
	uint8_t kind;		/* NL_ATTR_TYPE_* */
	int nested;		/* policy index of a nest's contents, or -1 */
	uint32_t nested_max;	/* that policy's highest attribute */
	bool has_range;		/* integers: the valid range */
	uint64_t umin, umax;
	int64_t smin, smax;
	bool has_mask;		/* integers: the valid bits instead */
	uint64_t mask;
	uint32_t min_len;	/* binaries, strings: 0 = none */
	uint32_t max_len;	/* 0 = none */
};

struct gf_policy {
	unsigned int n;
	struct gf_attr attr[GF_MAX_POLICY_ATTRS];
};

struct gf_op {
	uint32_t cmd;
	uint32_t flags;		/* GENL_ADMIN_PERM, GENL_CMD_CAP_DO/DUMP... */
	int do_policy;		/* policy index, -1 = none */
	int dump_policy;
};

struct gf_family {
	uint16_t id;
	uint32_t version;
	uint32_t hdrsize;
	uint32_t maxattr;
	unsigned int n_ops;
	struct gf_op op[GF_MAX_OPS];
	unsigned int n_groups;
	struct {
		uint32_t id;
		char name[GENL_NAMSIZ];
	} group[GF_MAX_GROUPS];
	unsigned int n_policies;
	struct gf_policy policy[GF_MAX_POLICIES];
};

/* 0, -ENOENT when the family is not registered, or another -errno. */
int gf_discover(struct nlr_sock *s, const char *name, struct gf_family *f);
const struct gf_op *gf_op_find(const struct gf_family *f, uint32_t cmd);
const struct gf_attr *gf_attr_find(const struct gf_family *f, int policy,
				   uint16_t type);
/* The multicast group's id, or 0. */
uint32_t gf_group(const struct gf_family *f, const char *name);
const char *gf_kind_name(uint8_t kind);

#endif /* KEYFERRY_SELFTEST_GENL_FAMILY_H */
