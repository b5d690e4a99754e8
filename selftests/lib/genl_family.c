// SPDX-License-Identifier: GPL-2.0
/* Discovery of a generic netlink family's operations and policies. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "genl_family.h"

static uint8_t gf_buf[4096];

/* Send one nlctrl request and read its answer; fn sees each reply. */
static int gf_ctrl(struct nlr_sock *s, uint8_t cmd, uint16_t flags,
		   uint16_t attr, const void *val, size_t len,
		   nlr_reply_fn fn, void *arg)
{
	struct nlr_answer a;
	struct nlb b;
	int ret;

	nlb_init(&b, gf_buf, sizeof(gf_buf));
	nlb_genl(&b, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK | flags,
		 s->seq++, cmd, 2);
	nlb_attr(&b, attr, val, len);
	nlb_end(&b);
	ret = nlr_send(s, b.buf, b.len);
	if (ret)
		return ret;
	nlr_collect(s, &a, fn, arg);
	if (a.error)
		return a.error;
	if (a.done_error < 0)
		return a.done_error;
	return a.n_replies ? 0 : -EPROTO;
}

static const struct nlattr *gf_attrs(const struct nlmsghdr *nlh, size_t *len)
{
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	if (nlh->nlmsg_len < hdr) {
		*len = 0;
		return NULL;
	}
	*len = nlh->nlmsg_len - hdr;
	return (const struct nlattr *)((const uint8_t *)nlh + hdr);
}

static void gf_parse_ops(struct gf_family *f, const struct nlattr *ops)
{
	const struct nlattr *op, *a;

	nlr_each(op, nlr_payload(ops), nlr_payload_len(ops)) {
		struct gf_op *o;

		if (f->n_ops == GF_MAX_OPS)
			return;
		o = &f->op[f->n_ops++];
		o->do_policy = -1;
		o->dump_policy = -1;
		nlr_each(a, nlr_payload(op), nlr_payload_len(op)) {
			if (nlr_type(a) == CTRL_ATTR_OP_ID)
				o->cmd = nlr_u32(a);
			else if (nlr_type(a) == CTRL_ATTR_OP_FLAGS)
				o->flags = nlr_u32(a);
		}
	}
}

static void gf_parse_groups(struct gf_family *f, const struct nlattr *grps)
{
	const struct nlattr *g, *a;

	nlr_each(g, nlr_payload(grps), nlr_payload_len(grps)) {
		unsigned int i = f->n_groups;

		if (i == GF_MAX_GROUPS)
			return;
		f->n_groups++;
		nlr_each(a, nlr_payload(g), nlr_payload_len(g)) {
			if (nlr_type(a) == CTRL_ATTR_MCAST_GRP_ID)
				f->group[i].id = nlr_u32(a);
			else if (nlr_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
				snprintf(f->group[i].name,
					 sizeof(f->group[i].name), "%.*s",
					 (int)nlr_payload_len(a),
					 (const char *)nlr_payload(a));
		}
	}
}

static void gf_on_family(const struct nlmsghdr *nlh, void *arg)
{
	struct gf_family *f = arg;
	const struct nlattr *a, *attrs;
	size_t len;

	attrs = gf_attrs(nlh, &len);
	nlr_each(a, attrs, len) {
		switch (nlr_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			f->id = (uint16_t)nlr_u32(a);
			break;
		case CTRL_ATTR_VERSION:
			f->version = nlr_u32(a);
			break;
		case CTRL_ATTR_HDRSIZE:
			f->hdrsize = nlr_u32(a);
			break;
		case CTRL_ATTR_MAXATTR:
			f->maxattr = nlr_u32(a);
			break;
		case CTRL_ATTR_OPS:
			gf_parse_ops(f, a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			gf_parse_groups(f, a);
			break;
		}
	}
}

/* CTRL_ATTR_OP_POLICY: { cmd: { POLICY_DO, POLICY_DUMP } } */
static void gf_parse_op_policy(struct gf_family *f, const struct nlattr *opp)
{
	const struct nlattr *cmd, *a;
	unsigned int i;

	nlr_each(cmd, nlr_payload(opp), nlr_payload_len(opp)) {
		for (i = 0; i < f->n_ops; i++)
			if (f->op[i].cmd == nlr_type(cmd))
				break;
		if (i == f->n_ops)
			continue;
		nlr_each(a, nlr_payload(cmd), nlr_payload_len(cmd)) {
			if (nlr_type(a) == CTRL_ATTR_POLICY_DO)
				f->op[i].do_policy = (int)nlr_u32(a);
			else if (nlr_type(a) == CTRL_ATTR_POLICY_DUMP)
				f->op[i].dump_policy = (int)nlr_u32(a);
		}
	}
}

static void gf_parse_attr(struct gf_attr *at, const struct nlattr *desc)
{
	const struct nlattr *a;

	nlr_each(a, nlr_payload(desc), nlr_payload_len(desc)) {
		switch (nlr_type(a)) {
		case NL_POLICY_TYPE_ATTR_TYPE:
			at->kind = (uint8_t)nlr_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_MIN_VALUE_S:
			at->smin = (int64_t)nlr_u64(a);
			at->has_range = true;
			break;
		case NL_POLICY_TYPE_ATTR_MAX_VALUE_S:
			at->smax = (int64_t)nlr_u64(a);
			at->has_range = true;
			break;
		case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
			at->umin = nlr_u64(a);
			at->has_range = true;
			break;
		case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
			at->umax = nlr_u64(a);
			at->has_range = true;
			break;
		case NL_POLICY_TYPE_ATTR_MIN_LENGTH:
			at->min_len = nlr_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_MAX_LENGTH:
			at->max_len = nlr_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_POLICY_IDX:
			at->nested = (int)nlr_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE:
			at->nested_max = nlr_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_MASK:
			at->mask = nlr_u64(a);
			at->has_mask = true;
			break;
		case NL_POLICY_TYPE_ATTR_BITFIELD32_MASK:
			at->mask = nlr_u32(a);
			at->has_mask = true;
			break;
		}
	}
}

/* CTRL_ATTR_POLICY: { policy index: { attribute: { NL_POLICY_TYPE_ATTR_* } } } */
static void gf_parse_policy(struct gf_family *f, const struct nlattr *pol)
{
	const struct nlattr *idx, *attr;

	nlr_each(idx, nlr_payload(pol), nlr_payload_len(pol)) {
		struct gf_policy *p;

		if (nlr_type(idx) >= GF_MAX_POLICIES)
			continue;
		p = &f->policy[nlr_type(idx)];
		if (nlr_type(idx) >= f->n_policies)
			f->n_policies = nlr_type(idx) + 1;
		nlr_each(attr, nlr_payload(idx), nlr_payload_len(idx)) {
			struct gf_attr *at;

			if (p->n == GF_MAX_POLICY_ATTRS)
				break;
			at = &p->attr[p->n++];
			memset(at, 0, sizeof(*at));
			at->type = nlr_type(attr);
			at->nested = -1;
			gf_parse_attr(at, attr);
		}
	}
}

static void gf_on_policy(const struct nlmsghdr *nlh, void *arg)
{
	struct gf_family *f = arg;
	const struct nlattr *a, *attrs;
	size_t len;

	attrs = gf_attrs(nlh, &len);
	nlr_each(a, attrs, len) {
		if (nlr_type(a) == CTRL_ATTR_OP_POLICY)
			gf_parse_op_policy(f, a);
		else if (nlr_type(a) == CTRL_ATTR_POLICY)
			gf_parse_policy(f, a);
	}
}

int gf_discover(struct nlr_sock *s, const char *name, struct gf_family *f)
{
	int ret;

	memset(f, 0, sizeof(*f));
	ret = gf_ctrl(s, CTRL_CMD_GETFAMILY, 0, CTRL_ATTR_FAMILY_NAME, name,
		      strlen(name) + 1, gf_on_family, f);
	if (ret)
		return ret;
	if (!f->id || !f->n_ops)
		return -EPROTO;
	/* A family without any policy answers ENODATA: nothing to learn. */
	ret = gf_ctrl(s, CTRL_CMD_GETPOLICY, NLM_F_DUMP, CTRL_ATTR_FAMILY_ID,
		      &f->id, sizeof(f->id), gf_on_policy, f);
	return ret == -ENODATA ? 0 : ret;
}

const struct gf_op *gf_op_find(const struct gf_family *f, uint32_t cmd)
{
	unsigned int i;

	for (i = 0; i < f->n_ops; i++)
		if (f->op[i].cmd == cmd)
			return &f->op[i];
	return NULL;
}

const struct gf_attr *gf_attr_find(const struct gf_family *f, int policy,
				   uint16_t type)
{
	const struct gf_policy *p;
	unsigned int i;

	if (policy < 0 || policy >= (int)f->n_policies)
		return NULL;
	p = &f->policy[policy];
	for (i = 0; i < p->n; i++)
		if (p->attr[i].type == type)
			return &p->attr[i];
	return NULL;
}

uint32_t gf_group(const struct gf_family *f, const char *name)
{
	unsigned int i;

	for (i = 0; i < f->n_groups; i++)
		if (!strcmp(f->group[i].name, name))
			return f->group[i].id;
	return 0;
}

const char *gf_kind_name(uint8_t kind)
{
	static const char *const names[] = {
		[NL_ATTR_TYPE_FLAG] = "flag",
		[NL_ATTR_TYPE_U8] = "u8",
		[NL_ATTR_TYPE_U16] = "u16",
		[NL_ATTR_TYPE_U32] = "u32",
		[NL_ATTR_TYPE_U64] = "u64",
		[NL_ATTR_TYPE_S8] = "s8",
		[NL_ATTR_TYPE_S16] = "s16",
		[NL_ATTR_TYPE_S32] = "s32",
		[NL_ATTR_TYPE_S64] = "s64",
		[NL_ATTR_TYPE_BINARY] = "binary",
		[NL_ATTR_TYPE_STRING] = "string",
		[NL_ATTR_TYPE_NUL_STRING] = "nul-string",
		[NL_ATTR_TYPE_NESTED] = "nested",
		[NL_ATTR_TYPE_NESTED_ARRAY] = "nested-array",
		[NL_ATTR_TYPE_BITFIELD32] = "bitfield32",
	};

	if (kind < sizeof(names) / sizeof(names[0]) && names[kind])
		return names[kind];
	return "?";
}
