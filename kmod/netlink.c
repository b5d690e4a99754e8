// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "keyferry": the only way into the module.
 *
 * Every operation is GENL_ADMIN_PERM (CAP_NET_ADMIN, initial network
 * namespace only: netnsok is off because keys and entity are global).  The
 * family leaves resv_start_op at zero, so the core validates the reserved
 * header bytes and every operation has its own policy, parsed strictly: an
 * attribute the command does not take is refused with EINVAL and an extack
 * message before our code runs.  The family is not parallel_ops: the core's
 * genl_mutex serialises our doit handlers.
 */
#include <net/genetlink.h>
#include "keyferry.h"

/* GET_STATUS takes no attribute: an all-NLA_UNSPEC policy refuses any. */
static const struct nla_policy kf_status_policy[KEYFERRY_A_MAX + 1] = {
};

static struct genl_family kf_family;

static int kf_status_fill(struct sk_buff *msg, const struct kf_entity_status *st)
{
	if (nla_put_u32(msg, KEYFERRY_A_FAMILY_VERSION, KEYFERRY_GENL_VERSION) ||
	    nla_put_string(msg, KEYFERRY_A_MODULE_VERSION, KEYFERRY_MODULE_VERSION) ||
	    nla_put_u8(msg, KEYFERRY_A_ENTITY_STATE, st->state) ||
	    nla_put_u8(msg, KEYFERRY_A_ENROLLED,
		       st->state == KEYFERRY_ENTITY_ENROLLED) ||
	    nla_put_u32(msg, KEYFERRY_A_PENDING_TRANSFERS, st->pending_transfers) ||
	    nla_put_u32(msg, KEYFERRY_A_INSTALLED_KEYS, st->installed_keys))
		return -EMSGSIZE;
	return 0;
}

static int kf_get_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kf_entity_status st;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kf_family, 0, KEYFERRY_CMD_GET_STATUS);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err_free;
	}
	kf_entity_get_status(&st);
	ret = kf_status_fill(msg, &st);
	if (ret)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return ret;
}

static const struct genl_ops kf_ops[] = {
	{
		.cmd = KEYFERRY_CMD_GET_STATUS,
		.doit = kf_get_status_doit,
		.policy = kf_status_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group kf_mcgrps[] = {
	{ .name = KEYFERRY_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family kf_family __ro_after_init = {
	.name = KEYFERRY_GENL_NAME,
	.version = KEYFERRY_GENL_VERSION,
	.maxattr = KEYFERRY_A_MAX,
	.netnsok = false,
	.parallel_ops = false,
	.module = THIS_MODULE,
	.ops = kf_ops,
	.n_ops = ARRAY_SIZE(kf_ops),
	.mcgrps = kf_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kf_mcgrps),
};

int __init kf_netlink_init(void)
{
	return genl_register_family(&kf_family);
}

void kf_netlink_exit(void)
{
	genl_unregister_family(&kf_family);
}
