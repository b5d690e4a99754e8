// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "keyferry": the only way into the module.
 *
 * Every operation is GENL_ADMIN_PERM (CAP_NET_ADMIN, initial network
 * namespace only: netnsok is off because keys and entity are global).  The
 * family leaves resv_start_op at zero, so the core validates the reserved
 * header bytes and every operation has its own policy, parsed strictly: an
 * attribute the command does not take is refused with EINVAL and an extack
 * message before our code runs.  Nested lists are validated by their own
 * policies (every element, NL_VALIDATE_STRICT).  The family is not
 * parallel_ops: the core's genl_mutex serialises our handlers; the module's
 * state is under kf_lock (see keyferry.h) because of the garbage collector
 * and unload.
 *
 * No handler ever puts a private key, a delivered key or an unwrapping key
 * into a message.
 */
#include <net/genetlink.h>
#include <linux/key.h>
#include <linux/key-type.h>
#include <linux/timekeeping.h>
#include "keyferry.h"

static struct genl_family kf_family;
static bool kf_events_on;	/* kf_lock */

/* GET_STATUS and KEY_LIST take no attribute: an empty policy refuses any. */
static const struct nla_policy kf_empty_policy[KEYFERRY_A_MAX + 1] = {
};

static const struct nla_policy kf_dkeys_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_DISTRIBUTOR_KEY] = NLA_POLICY_EXACT_LEN(KEYFERRY_KEY_SIZE),
};

static const struct nla_policy kf_items_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_ITEM_NAME] = { .type = NLA_NUL_STRING,
				   .len = KEYFERRY_NAME_MAX },
};

static const struct nla_policy kf_create_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_REGION] = { .type = NLA_NUL_STRING,
				.len = KEYFERRY_NAME_MAX },
	[KEYFERRY_A_ENTITY_NAME] = { .type = NLA_NUL_STRING,
				     .len = KEYFERRY_NAME_MAX },
	[KEYFERRY_A_DISTRIBUTOR_KEYS] = NLA_POLICY_NESTED(kf_dkeys_policy),
	[KEYFERRY_A_REPLACE] = { .type = NLA_FLAG },
};

static const struct nla_policy kf_begin_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_TRANSFER_KIND] = NLA_POLICY_RANGE(NLA_U8,
						      KEYFERRY_TRANSFER_FETCH,
						      KEYFERRY_TRANSFER_ENROLL),
	[KEYFERRY_A_ITEMS] = NLA_POLICY_NESTED(kf_items_policy),
	[KEYFERRY_A_ENROLL_TOKEN] = NLA_POLICY_RANGE(NLA_BINARY, 1,
						     KEYFERRY_TOKEN_MAX),
	[KEYFERRY_A_ENROLL_NONCE] = NLA_POLICY_EXACT_LEN(KEYFERRY_NONCE_SIZE),
	[KEYFERRY_A_DISTRIBUTOR_KEY] = NLA_POLICY_EXACT_LEN(KEYFERRY_KEY_SIZE),
};

static const struct nla_policy kf_finish_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_TRANSFER_ID] = { .type = NLA_U32 },
	/* longer than the maximum: ERANGE from the core */
	[KEYFERRY_A_MESSAGE] = { .type = NLA_BINARY,
				 .len = KEYFERRY_MESSAGE_MAX },
	[KEYFERRY_A_KEYRING] = { .type = NLA_S32 },
};

/* ---- replies ------------------------------------------------------------ */

static int kf_status_fill(struct sk_buff *msg, const struct kf_entity_status *st)
{
	struct nlattr *nest;
	unsigned int i;

	if (nla_put_u32(msg, KEYFERRY_A_FAMILY_VERSION, KEYFERRY_GENL_VERSION) ||
	    nla_put_string(msg, KEYFERRY_A_MODULE_VERSION, KEYFERRY_MODULE_VERSION) ||
	    nla_put_u8(msg, KEYFERRY_A_ENTITY_STATE, st->state) ||
	    nla_put_u8(msg, KEYFERRY_A_ENROLLED,
		       st->state == KEYFERRY_ENTITY_ENROLLED) ||
	    nla_put_u32(msg, KEYFERRY_A_PENDING_TRANSFERS, st->pending_transfers) ||
	    nla_put_u32(msg, KEYFERRY_A_INSTALLED_KEYS, st->installed_keys) ||
	    nla_put_s32(msg, KEYFERRY_A_KEYRING, st->keyring))
		return -EMSGSIZE;
	if (st->state == KEYFERRY_ENTITY_NONE)
		return 0;
	if (nla_put_string(msg, KEYFERRY_A_REGION, st->region) ||
	    nla_put_string(msg, KEYFERRY_A_ENTITY_NAME, st->name) ||
	    nla_put(msg, KEYFERRY_A_KEI_PUB, KEYFERRY_KEY_SIZE, st->kei_pub) ||
	    nla_put(msg, KEYFERRY_A_KEC_PUB, KEYFERRY_KEY_SIZE, st->kec_pub))
		return -EMSGSIZE;
	nest = nla_nest_start(msg, KEYFERRY_A_DISTRIBUTOR_KEYS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < st->n_dkeys; i++)
		if (nla_put(msg, KEYFERRY_A_DISTRIBUTOR_KEY, KEYFERRY_KEY_SIZE,
			    st->dkeys[i]))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int kf_get_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kf_entity_status *st;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	st = kf_zalloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	ret = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	ret = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &kf_family, 0, KEYFERRY_CMD_GET_STATUS);
	if (!hdr)
		goto err_free;
	kf_entity_get_status(st);
	ret = kf_status_fill(msg, st);
	if (ret)
		goto err_free;
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
	goto out;

err_free:
	nlmsg_free(msg);
out:
	kf_free(st);
	return ret;
}

/* One KEY nest: serial, type, description, item, version, expiry. */
static int kf_key_fill(struct sk_buff *msg, int attr, key_serial_t serial,
		       u8 type, const char *desc, const char *item, u64 version,
		       time64_t expiry)
{
	struct nlattr *nest;

	nest = nla_nest_start(msg, attr);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_s32(msg, KEYFERRY_A_KEY_SERIAL, serial) ||
	    nla_put_u8(msg, KEYFERRY_A_KEY_TYPE, type) ||
	    nla_put_string(msg, KEYFERRY_A_KEY_DESCRIPTION, desc) ||
	    nla_put_string(msg, KEYFERRY_A_ITEM_NAME, item) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_ITEM_VERSION, version,
			      KEYFERRY_A_PAD) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_KEY_EXPIRY, expiry > 0 ? expiry : 0,
			      KEYFERRY_A_PAD)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int kf_staged_fill(struct sk_buff *msg, int attr,
			  const struct kf_staged *s)
{
	char desc[KEYFERRY_DESCRIPTION_MAX + 10];

	snprintf(desc, sizeof(desc), "keyferry:%s", s->pol.description);
	return kf_key_fill(msg, attr, s->serial, s->pol.key_type, desc,
			   s->item, s->version, s->expiry);
}

/* ---- ENTITY_CREATE ------------------------------------------------------ */

static bool kf_name_attr_ok(struct genl_info *info, int attr)
{
	const char *s = nla_data(info->attrs[attr]);

	if (kf_name_valid((const u8 *)s, strlen(s), KEYFERRY_NAME_MAX))
		return true;
	NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[attr],
			    "name must be 1 to 255 bytes of [A-Za-z0-9._:@/-]");
	return false;
}

static int kf_entity_create_doit(struct sk_buff *skb, struct genl_info *info)
{
	static const u8 zero[KEYFERRY_KEY_SIZE];
	struct kf_entity_params p = { };
	u8 kei_pub[KEYFERRY_KEY_SIZE], kec_pub[KEYFERRY_KEY_SIZE];
	struct nlattr *a;
	struct sk_buff *msg;
	unsigned int i;
	void *hdr;
	int rem, ret;

	if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_REGION) ||
	    GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_ENTITY_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_DISTRIBUTOR_KEYS))
		return -EINVAL;
	if (!kf_name_attr_ok(info, KEYFERRY_A_REGION) ||
	    !kf_name_attr_ok(info, KEYFERRY_A_ENTITY_NAME))
		return -EINVAL;
	p.region = nla_data(info->attrs[KEYFERRY_A_REGION]);
	p.name = nla_data(info->attrs[KEYFERRY_A_ENTITY_NAME]);
	p.replace = nla_get_flag(info->attrs[KEYFERRY_A_REPLACE]);
	nla_for_each_nested(a, info->attrs[KEYFERRY_A_DISTRIBUTOR_KEYS], rem) {
		if (p.n_dkeys == KEYFERRY_MAX_DISTRIBUTOR_KEYS) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "too many distributor keys");
			return -EINVAL;
		}
		if (!memcmp(nla_data(a), zero, KEYFERRY_KEY_SIZE)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "distributor key is all zero");
			return -EINVAL;
		}
		for (i = 0; i < p.n_dkeys; i++)
			if (!memcmp(p.dkeys[i], nla_data(a), KEYFERRY_KEY_SIZE)) {
				NL_SET_ERR_MSG_ATTR(info->extack, a,
						    "distributor key given twice");
				return -EINVAL;
			}
		p.dkeys[p.n_dkeys++] = nla_data(a);
	}
	if (!p.n_dkeys) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[KEYFERRY_A_DISTRIBUTOR_KEYS],
				    "at least one distributor key is needed");
		return -EINVAL;
	}

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = kf_entity_create(&p, kei_pub, kec_pub);
	if (ret) {
		if (ret == -EEXIST)
			NL_SET_ERR_MSG_MOD(info->extack,
					   "an entity exists; set REPLACE to replace it");
		else
			NL_SET_ERR_MSG_MOD(info->extack,
					   "generating the entity keys failed");
		goto err_free;
	}
	ret = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &kf_family, 0,
				KEYFERRY_CMD_ENTITY_CREATE);
	if (!hdr ||
	    nla_put(msg, KEYFERRY_A_KEI_PUB, KEYFERRY_KEY_SIZE, kei_pub) ||
	    nla_put(msg, KEYFERRY_A_KEC_PUB, KEYFERRY_KEY_SIZE, kec_pub))
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return ret;
}

/* ---- TRANSFER_BEGIN -------------------------------------------------- */

static int kf_begin_items(struct genl_info *info, struct kf_begin_params *p)
{
	struct nlattr *a;
	unsigned int i;
	int rem;

	if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_ITEMS))
		return -EINVAL;
	if (info->attrs[KEYFERRY_A_ENROLL_TOKEN] ||
	    info->attrs[KEYFERRY_A_ENROLL_NONCE]) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "ENROLL_TOKEN and ENROLL_NONCE are for ENROLL only");
		return -EINVAL;
	}
	nla_for_each_nested(a, info->attrs[KEYFERRY_A_ITEMS], rem) {
		const char *s = nla_data(a);

		if (p->n_items == KEYFERRY_MAX_ITEMS) {
			NL_SET_ERR_MSG_ATTR(info->extack, a, "too many items");
			return -EINVAL;
		}
		if (!kf_name_valid((const u8 *)s, strlen(s), KEYFERRY_NAME_MAX)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "item name must be 1 to 255 bytes of [A-Za-z0-9._:@/-]");
			return -EINVAL;
		}
		for (i = 0; i < p->n_items; i++)
			if (!strcmp(p->items[i], s)) {
				NL_SET_ERR_MSG_ATTR(info->extack, a,
						    "item requested twice");
				return -EINVAL;
			}
		p->items[p->n_items++] = s;
	}
	if (!p->n_items) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KEYFERRY_A_ITEMS],
				    "at least one item is needed");
		return -EINVAL;
	}
	return 0;
}

static int kf_transfer_begin_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kf_begin_params p = { .kind = KEYFERRY_TRANSFER_FETCH };
	struct sk_buff *msg;
	size_t mlen = 0;
	u8 *m1 = NULL;
	void *hdr;
	u32 id;
	int ret;

	if (info->attrs[KEYFERRY_A_TRANSFER_KIND])
		p.kind = nla_get_u8(info->attrs[KEYFERRY_A_TRANSFER_KIND]);
	if (p.kind == KEYFERRY_TRANSFER_FETCH) {
		ret = kf_begin_items(info, &p);
		if (ret)
			return ret;
	} else {
		if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_ENROLL_TOKEN) ||
		    GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_ENROLL_NONCE))
			return -EINVAL;
		if (info->attrs[KEYFERRY_A_ITEMS]) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[KEYFERRY_A_ITEMS],
					    "ENROLL takes no items");
			return -EINVAL;
		}
		p.token = nla_data(info->attrs[KEYFERRY_A_ENROLL_TOKEN]);
		p.token_len = nla_len(info->attrs[KEYFERRY_A_ENROLL_TOKEN]);
		p.nonce = nla_data(info->attrs[KEYFERRY_A_ENROLL_NONCE]);
	}
	if (info->attrs[KEYFERRY_A_DISTRIBUTOR_KEY])
		p.dkey = nla_data(info->attrs[KEYFERRY_A_DISTRIBUTOR_KEY]);

	ret = kf_transfer_begin(&p, &id, &m1, &mlen, info->extack);
	if (ret)
		return ret;
	ret = -ENOMEM;
	msg = genlmsg_new(nla_total_size(mlen) + 64, GFP_KERNEL);
	if (!msg)
		goto out;
	ret = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &kf_family, 0,
				KEYFERRY_CMD_TRANSFER_BEGIN);
	if (!hdr || nla_put_u32(msg, KEYFERRY_A_TRANSFER_ID, id) ||
	    nla_put(msg, KEYFERRY_A_MESSAGE, mlen, m1)) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
out:
	/* A transfer whose message 1 was not delivered simply expires. */
	kf_free(m1);
	return ret;
}

/* ---- TRANSFER_FINISH ---------------------------------------------------- */

/* The keyring named by KEYRING (write permission needed), or ours. */
static struct key *kf_target_keyring(struct genl_info *info)
{
	struct nlattr *a = info->attrs[KEYFERRY_A_KEYRING];
	key_ref_t ref;
	struct key *k;

	if (!a)
		return kf_keyring_get();
	/* The doit runs in the caller's context: its keyrings, its creds. */
	ref = lookup_user_key(nla_get_s32(a), KEY_LOOKUP_CREATE,
			      KEY_NEED_WRITE);
	if (IS_ERR(ref)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "KEYRING not found or not writable by the caller");
		return ERR_CAST(ref);
	}
	k = key_ref_to_ptr(ref);
	if (k->type != &key_type_keyring) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "KEYRING is not a keyring");
		key_put(k);
		return ERR_PTR(-ENOTDIR);
	}
	return k;
}

static int kf_finish_reply(struct sk_buff *msg, struct genl_info *info,
			   const struct kf_finish_result *res)
{
	struct nlattr *nest;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &kf_family, 0,
				KEYFERRY_CMD_TRANSFER_FINISH);
	if (!hdr)
		return -EMSGSIZE;
	if (res->kind == KEYFERRY_TRANSFER_ENROLL) {
		if (nla_put_u8(msg, KEYFERRY_A_ENROLLED, 1))
			return -EMSGSIZE;
	} else {
		nest = nla_nest_start(msg, KEYFERRY_A_KEYS);
		if (!nest)
			return -EMSGSIZE;
		for (i = 0; i < res->n_keys; i++)
			if (kf_staged_fill(msg, KEYFERRY_A_KEY, &res->keys[i]))
				return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/* Room for KEYFERRY_MAX_ITEMS keys: the reply cannot fail once installed. */
#define KF_FINISH_REPLY_SIZE (KEYFERRY_MAX_ITEMS * 512 + 512)

static int kf_transfer_finish_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kf_finish_result res;
	struct nlattr *m;
	struct sk_buff *msg;
	struct key *keyring;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_TRANSFER_ID) ||
	    GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_MESSAGE))
		return -EINVAL;
	m = info->attrs[KEYFERRY_A_MESSAGE];
	keyring = kf_target_keyring(info);
	if (IS_ERR(keyring))
		return PTR_ERR(keyring);
	ret = -ENOMEM;
	msg = genlmsg_new(KF_FINISH_REPLY_SIZE, GFP_KERNEL);
	if (!msg)
		goto out_keyring;
	ret = kf_transfer_finish(nla_get_u32(info->attrs[KEYFERRY_A_TRANSFER_ID]),
				 nla_data(m), nla_len(m), keyring, &res,
				 info->extack);
	if (ret) {
		nlmsg_free(msg);
		goto out_keyring;
	}
	ret = kf_finish_reply(msg, info, &res);
	kf_finish_result_release(&res);
	if (ret) {
		/* cannot happen: the reply was sized for the maximum */
		WARN_ON_ONCE(1);
		nlmsg_free(msg);
		goto out_keyring;
	}
	ret = genlmsg_reply(msg, info);
out_keyring:
	key_put(keyring);
	return ret;
}

/* ---- KEY_LIST (dump) -------------------------------------------------- */

static int kf_key_list_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kf_key_info *ki;
	unsigned long idx = cb->args[0];
	void *hdr;
	int ret = 0;

	ki = kf_zalloc(sizeof(*ki));
	if (!ki)
		return -ENOMEM;
	for (;; idx++) {
		mutex_lock(&kf_lock);
		ret = kf_key_info_get(idx, ki);
		mutex_unlock(&kf_lock);
		if (ret) {
			ret = 0;	/* past the end */
			break;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &kf_family, NLM_F_MULTI,
				  KEYFERRY_CMD_KEY_LIST);
		if (!hdr)
			break;
		if (kf_key_fill(skb, KEYFERRY_A_KEY, ki->serial, ki->type,
				ki->description, ki->item, ki->version,
				ki->expiry)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = idx;
	kf_free(ki);
	return ret ? ret : skb->len;
}

/* ---- events ----------------------------------------------------------- */

static void kf_event_send(u8 type, const char *item, const struct kf_staged *ks,
			  const struct kf_key_info *ki, int err)
{
	struct sk_buff *msg;
	void *hdr;

	lockdep_assert_held(&kf_lock);
	if (!kf_events_on || !genl_has_listeners(&kf_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &kf_family, 0, KEYFERRY_CMD_EVENT);
	if (!hdr || nla_put_u8(msg, KEYFERRY_A_EVENT_TYPE, type) ||
	    (item && nla_put_string(msg, KEYFERRY_A_ITEM_NAME, item)) ||
	    (ks && kf_staged_fill(msg, KEYFERRY_A_KEY, ks)) ||
	    (ki && kf_key_fill(msg, KEYFERRY_A_KEY, 0, ki->type,
			       ki->description, ki->item, 0, 0)) ||
	    (err && nla_put_u32(msg, KEYFERRY_A_ERRNO, -err))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&kf_family, msg, 0, 0, GFP_KERNEL);
}

/* INSTALLED (ks) or REFUSED (err); kf_lock held. */
void kf_event(u8 type, const char *item, const struct kf_staged *ks, int err)
{
	kf_event_send(type, item, ks, NULL, err);
}

/* EXPIRED; kf_lock held. */
void kf_event_expired(const char *item, const char *desc, u8 key_type)
{
	struct kf_key_info *ki;

	lockdep_assert_held(&kf_lock);
	if (!kf_events_on)
		return;
	ki = kf_zalloc(sizeof(*ki));
	if (!ki)
		return;
	ki->type = key_type;
	snprintf(ki->description, sizeof(ki->description), "keyferry:%s", desc);
	strscpy(ki->item, item, sizeof(ki->item));
	kf_event_send(KEYFERRY_EVENT_EXPIRED, item, NULL, ki, 0);
	kf_free(ki);
}

/* ---- the family ---------------------------------------------------------- */

static const struct genl_ops kf_ops[] = {
	{
		.cmd = KEYFERRY_CMD_GET_STATUS,
		.doit = kf_get_status_doit,
		.policy = kf_empty_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KEYFERRY_CMD_ENTITY_CREATE,
		.doit = kf_entity_create_doit,
		.policy = kf_create_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KEYFERRY_CMD_TRANSFER_BEGIN,
		.doit = kf_transfer_begin_doit,
		.policy = kf_begin_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KEYFERRY_CMD_TRANSFER_FINISH,
		.doit = kf_transfer_finish_doit,
		.policy = kf_finish_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KEYFERRY_CMD_KEY_LIST,
		.dumpit = kf_key_list_dumpit,
		.policy = kf_empty_policy,
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
	int ret;

	ret = genl_register_family(&kf_family);
	if (ret)
		return ret;
	mutex_lock(&kf_lock);
	kf_events_on = true;
	mutex_unlock(&kf_lock);
	return 0;
}

void kf_netlink_exit(void)
{
	mutex_lock(&kf_lock);
	kf_events_on = false;
	mutex_unlock(&kf_lock);
	genl_unregister_family(&kf_family);
}
