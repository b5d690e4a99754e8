// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "keyferry": the only way into the module.
 *
 * Privilege: every operation is GENL_ADMIN_PERM (CAP_NET_ADMIN, initial
 * network namespace only: netnsok is off because keys and entity are
 * global).  That is not enough for what changes state: CAP_NET_ADMIN is
 * routinely given to daemons that are not root, and such a daemon must not
 * be able to replace the host's identity, pin keys, or have keys installed.
 * So every state-changing operation carries KF_NEED_SYS_ADMIN, and
 * kf_pre_doit refuses it (EPERM) unless the caller has CAP_SYS_ADMIN in the
 * initial user namespace (netlink_capable: the sender, and the opener of
 * the socket).  The identity commands count as state-changing: EXPORT
 * fixes the seat and reserves a TPM epoch, IMPORT replaces the identity,
 * COMMIT makes older blobs stale.  GET_STATUS and KEY_LIST, which only read public values,
 * stay at CAP_NET_ADMIN, and so does the events group.  Keys go only into
 * the module's keyring or a keyring owned by root.
 *
 * The family leaves resv_start_op at zero, so the core validates the reserved
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

/* genl_ops.internal_flags: the operation changes state. */
#define KF_NEED_SYS_ADMIN	0x01

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

/* One owner key: OWNER_ADD's attributes, and an OWNER nest. */
static const struct nla_policy kf_owner_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_OWNER_NAME] = { .type = NLA_NUL_STRING,
				    .len = KEYFERRY_OWNER_NAME_MAX },
	[KEYFERRY_A_OWNER_KEY] = NLA_POLICY_EXACT_LEN(KEYFERRY_KEY_SIZE),
};

static const struct nla_policy kf_owners_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_OWNER] = NLA_POLICY_NESTED(kf_owner_policy),
};

static const struct nla_policy kf_retire_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_OWNER_KEY] = NLA_POLICY_EXACT_LEN(KEYFERRY_KEY_SIZE),
};

static const struct nla_policy kf_create_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_REGION] = { .type = NLA_NUL_STRING,
				.len = KEYFERRY_NAME_MAX },
	[KEYFERRY_A_ENTITY_NAME] = { .type = NLA_NUL_STRING,
				     .len = KEYFERRY_NAME_MAX },
	[KEYFERRY_A_DISTRIBUTOR_KEYS] = NLA_POLICY_NESTED(kf_dkeys_policy),
	[KEYFERRY_A_OWNER_KEYS] = NLA_POLICY_NESTED(kf_owners_policy),
	[KEYFERRY_A_REPLACE] = { .type = NLA_FLAG },
	[KEYFERRY_A_CONFIRM_KEI] = NLA_POLICY_EXACT_LEN(KEYFERRY_KEY_SIZE),
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

static const struct nla_policy kf_export_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_SEAT] = NLA_POLICY_RANGE(NLA_U8, KEYFERRY_SEAT_TPM,
					     KEYFERRY_SEAT_PASSPHRASE),
	[KEYFERRY_A_SEAT_KEY] = NLA_POLICY_EXACT_LEN(KEYFERRY_SEAT_KEY_SIZE),
	[KEYFERRY_A_KDF_PARAMS] = NLA_POLICY_EXACT_LEN(KEYFERRY_KDF_PARAMS_SIZE),
	[KEYFERRY_A_SEAT_PCRS] = { .type = NLA_U32 },
};

static const struct nla_policy kf_import_policy[KEYFERRY_A_MAX + 1] = {
	/* longer than the maximum: ERANGE from the core */
	[KEYFERRY_A_IDENTITY_BLOB] = { .type = NLA_BINARY,
				       .len = KEYFERRY_IDENTITY_MAX },
	[KEYFERRY_A_SEAT_KEY] = NLA_POLICY_EXACT_LEN(KEYFERRY_SEAT_KEY_SIZE),
	[KEYFERRY_A_REPLACE] = { .type = NLA_FLAG },
};

static const struct nla_policy kf_commit_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_IDENTITY_EPOCH] = { .type = NLA_U64 },
};

/* ---- replies ------------------------------------------------------------ */

/* OWNER_KEYS: one OWNER nest (name, key) per pinned owner key. */
static int kf_owners_fill(struct sk_buff *msg, const struct kf_owner *owners,
			  unsigned int n)
{
	struct nlattr *list, *one;
	unsigned int i;

	list = nla_nest_start(msg, KEYFERRY_A_OWNER_KEYS);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		one = nla_nest_start(msg, KEYFERRY_A_OWNER);
		if (!one ||
		    nla_put_string(msg, KEYFERRY_A_OWNER_NAME, owners[i].name) ||
		    nla_put(msg, KEYFERRY_A_OWNER_KEY, KEYFERRY_KEY_SIZE,
			    owners[i].pub))
			return -EMSGSIZE;
		nla_nest_end(msg, one);
	}
	nla_nest_end(msg, list);
	return 0;
}

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
	    nla_put_u32(msg, KEYFERRY_A_VERSION_RECORDS, st->version_records) ||
	    nla_put_s32(msg, KEYFERRY_A_KEYRING, st->keyring) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_STATE_GEN, st->state_gen,
			      KEYFERRY_A_PAD) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_SEALED_GEN, st->sealed_gen,
			      KEYFERRY_A_PAD))
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
	if (nla_put_u8(msg, KEYFERRY_A_SEAT, st->seat) ||
	    nla_put_u32(msg, KEYFERRY_A_SEAT_PCRS, st->pcrs) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_IDENTITY_EPOCH, st->epoch,
			      KEYFERRY_A_PAD))
		return -EMSGSIZE;
	return kf_owners_fill(msg, st->owners, st->n_owners);
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

/* One KEY nest: what the module says about an installed key. */
static int kf_key_fill(struct sk_buff *msg, int attr,
		       const struct kf_key_info *ki)
{
	struct nlattr *nest;

	nest = nla_nest_start(msg, attr);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_s32(msg, KEYFERRY_A_KEY_SERIAL, ki->serial) ||
	    nla_put_u8(msg, KEYFERRY_A_KEY_TYPE, ki->type) ||
	    nla_put_string(msg, KEYFERRY_A_KEY_DESCRIPTION, ki->description) ||
	    nla_put_string(msg, KEYFERRY_A_OWNER_NAME, ki->owner) ||
	    nla_put_string(msg, KEYFERRY_A_ITEM_NAME, ki->item) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_ITEM_VERSION, ki->version,
			      KEYFERRY_A_PAD) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_KEY_EXPIRY, max_t(time64_t, ki->expiry, 0),
			      KEYFERRY_A_PAD) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_KEY_RENEW_BY,
			      max_t(time64_t, ki->renew_by, 0), KEYFERRY_A_PAD)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * A KEY nest for a staged install; ki is the caller's scratch, allocated
 * before anything was installed: once keys are installed, nothing on the
 * way to the reply may fail.
 */
static int kf_staged_fill(struct sk_buff *msg, int attr,
			  const struct kf_staged *s, struct kf_key_info *ki)
{
	kf_staged_info(s, ki);
	return kf_key_fill(msg, attr, ki);
}

/* ---- privilege ---------------------------------------------------------- */

/*
 * Before every doit: a state-changing operation needs CAP_SYS_ADMIN in the
 * initial user namespace, in the sender and in the socket's opener (the
 * core already checked CAP_NET_ADMIN the same way).
 */
static int kf_pre_doit(const struct KF_GENL_SPLIT_OPS *ops,
		       struct sk_buff *skb, struct genl_info *info)
{
	if (!(ops->internal_flags & KF_NEED_SYS_ADMIN))
		return 0;
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG_MOD(info->extack,
			   "this command changes the module's state: it needs CAP_SYS_ADMIN");
	return -EPERM;
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

static const u8 kf_zero_key[KEYFERRY_KEY_SIZE];

/* An owner's name and key, valid (the policy checked the lengths). */
static int kf_owner_attrs(struct nlattr **tb, struct nlattr *where,
			  const char **name, const u8 **key,
			  struct netlink_ext_ack *extack)
{
	if (!tb[KEYFERRY_A_OWNER_NAME] || !tb[KEYFERRY_A_OWNER_KEY]) {
		NL_SET_ERR_MSG_ATTR(extack, where, "an owner needs OWNER_NAME and OWNER_KEY");
		return -EINVAL;
	}
	*name = nla_data(tb[KEYFERRY_A_OWNER_NAME]);
	*key = nla_data(tb[KEYFERRY_A_OWNER_KEY]);
	if (!kf_owner_name_valid((const u8 *)*name, strlen(*name))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KEYFERRY_A_OWNER_NAME],
				    "owner name must be 1 to 32 bytes of [A-Za-z0-9._-]");
		return -EINVAL;
	}
	if (!memcmp(*key, kf_zero_key, KEYFERRY_KEY_SIZE)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KEYFERRY_A_OWNER_KEY],
				    "owner key is all zero");
		return -EINVAL;
	}
	return 0;
}

/* ENTITY_CREATE's OWNER_KEYS: 0 to 8 owners, no key twice. */
static int kf_create_owners(struct genl_info *info, struct kf_entity_params *p)
{
	struct nlattr *tb[KEYFERRY_A_MAX + 1];
	struct nlattr *a;
	unsigned int i;
	int rem, ret;

	if (!info->attrs[KEYFERRY_A_OWNER_KEYS])
		return 0;
	nla_for_each_nested(a, info->attrs[KEYFERRY_A_OWNER_KEYS], rem) {
		if (p->n_owners == KEYFERRY_MAX_OWNER_KEYS) {
			NL_SET_ERR_MSG_ATTR(info->extack, a, "more than 8 owner keys");
			return -EINVAL;
		}
		ret = nla_parse_nested(tb, KEYFERRY_A_MAX, a, kf_owner_policy,
				       info->extack);
		if (!ret)
			ret = kf_owner_attrs(tb, a, &p->owner_names[p->n_owners],
					     &p->owner_keys[p->n_owners],
					     info->extack);
		if (ret)
			return ret;
		for (i = 0; i < p->n_owners; i++)
			if (!memcmp(p->owner_keys[i], p->owner_keys[p->n_owners],
				    KEYFERRY_KEY_SIZE)) {
				NL_SET_ERR_MSG_ATTR(info->extack, a,
						    "owner key given twice");
				return -EINVAL;
			}
		p->n_owners++;
	}
	return 0;
}

/* ENTITY_CREATE's DISTRIBUTOR_KEYS: 1 to 4, not zero, no key twice. */
static int kf_create_dkeys(struct genl_info *info, struct kf_entity_params *p)
{
	struct nlattr *a;
	unsigned int i;
	int rem;

	nla_for_each_nested(a, info->attrs[KEYFERRY_A_DISTRIBUTOR_KEYS], rem) {
		if (p->n_dkeys == KEYFERRY_MAX_DISTRIBUTOR_KEYS) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "too many distributor keys");
			return -EINVAL;
		}
		if (!memcmp(nla_data(a), kf_zero_key, KEYFERRY_KEY_SIZE)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "distributor key is all zero");
			return -EINVAL;
		}
		for (i = 0; i < p->n_dkeys; i++)
			if (!memcmp(p->dkeys[i], nla_data(a), KEYFERRY_KEY_SIZE)) {
				NL_SET_ERR_MSG_ATTR(info->extack, a,
						    "distributor key given twice");
				return -EINVAL;
			}
		p->dkeys[p->n_dkeys++] = nla_data(a);
	}
	if (!p->n_dkeys) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[KEYFERRY_A_DISTRIBUTOR_KEYS],
				    "at least one distributor key is needed");
		return -EINVAL;
	}
	return 0;
}

static int kf_entity_create_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 kei_pub[KEYFERRY_KEY_SIZE], kec_pub[KEYFERRY_KEY_SIZE];
	struct kf_entity_params p = { };
	struct nlattr *confirm = info->attrs[KEYFERRY_A_CONFIRM_KEI];
	struct sk_buff *msg;
	void *hdr;
	int ret;

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
	if (confirm && !p.replace) {
		NL_SET_ERR_MSG_ATTR(info->extack, confirm,
				    "CONFIRM_KEI goes with REPLACE only");
		return -EINVAL;
	}
	p.confirm_kei = confirm ? nla_data(confirm) : NULL;
	ret = kf_create_dkeys(info, &p);
	if (!ret)
		ret = kf_create_owners(info, &p);
	if (ret)
		return ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = kf_entity_create(&p, kei_pub, kec_pub, info->extack);
	if (ret) {
		/* entity.c says why for EEXIST, EINVAL and EACCES */
		if (ret != -EEXIST && ret != -EINVAL && ret != -EACCES)
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

/* ---- OWNER_ADD, OWNER_RETIRE -------------------------------------------- */

static int kf_owner_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *name;
	const u8 *key;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_OWNER_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_OWNER_KEY))
		return -EINVAL;
	ret = kf_owner_attrs(info->attrs, NULL, &name, &key, info->extack);
	if (ret)
		return ret;
	return kf_owner_add(name, key, info->extack);
}

static int kf_owner_retire_doit(struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_OWNER_KEY))
		return -EINVAL;
	return kf_owner_retire(nla_data(info->attrs[KEYFERRY_A_OWNER_KEY]),
			       info->extack);
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
		goto err_cancel;
	ret = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &kf_family, 0,
				KEYFERRY_CMD_TRANSFER_BEGIN);
	if (!hdr || nla_put_u32(msg, KEYFERRY_A_TRANSFER_ID, id) ||
	    nla_put(msg, KEYFERRY_A_MESSAGE, mlen, m1)) {
		nlmsg_free(msg);
		goto err_cancel;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
	if (ret)
		goto err_cancel;
	kf_free(m1);
	return 0;

err_cancel:
	/* The caller never got message 1: the begin did not happen. */
	kf_transfer_cancel(id);
	kf_free(m1);
	return ret;
}

/* ---- TRANSFER_FINISH ---------------------------------------------------- */

/*
 * The keyring named by KEYRING, or ours.  The caller needs write permission
 * to it, and it must be owned by root: a keyring of another user is that
 * user's to search, and a key in it would be theirs to use (fscrypt's
 * FS_IOC_ADD_ENCRYPTION_KEY with key_id needs only search permission).
 */
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
	if (!uid_eq(k->uid, GLOBAL_ROOT_UID)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "KEYRING is not owned by root: keys go only into root's keyrings");
		key_put(k);
		return ERR_PTR(-EACCES);
	}
	return k;
}

static int kf_finish_reply(struct sk_buff *msg, struct genl_info *info,
			   const struct kf_finish_result *res,
			   struct kf_key_info *ki)
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
			if (kf_staged_fill(msg, KEYFERRY_A_KEY, &res->keys[i], ki))
				return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/* Room for KEYFERRY_MAX_ITEMS keys: the reply cannot fail once installed. */
#define KF_FINISH_REPLY_SIZE (KEYFERRY_MAX_ITEMS * 768 + 512)

static int kf_transfer_finish_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kf_finish_result res;
	struct kf_key_info *ki = NULL;
	struct sk_buff *msg = NULL;
	struct key *keyring;
	struct nlattr *m;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_TRANSFER_ID) ||
	    GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_MESSAGE))
		return -EINVAL;
	m = info->attrs[KEYFERRY_A_MESSAGE];
	keyring = kf_target_keyring(info);
	if (IS_ERR(keyring))
		return PTR_ERR(keyring);
	/* Everything the reply needs, before anything can be installed. */
	ret = -ENOMEM;
	ki = kf_zalloc(sizeof(*ki));
	msg = genlmsg_new(KF_FINISH_REPLY_SIZE, GFP_KERNEL);
	if (!ki || !msg)
		goto out;
	ret = kf_transfer_finish(nla_get_u32(info->attrs[KEYFERRY_A_TRANSFER_ID]),
				 nla_data(m), nla_len(m), keyring, &res,
				 info->extack);
	if (ret)
		goto out;
	ret = kf_finish_reply(msg, info, &res, ki);
	kf_finish_result_release(&res);
	if (ret) {
		/* cannot happen: the reply was sized for the maximum */
		WARN_ON_ONCE(1);
		goto out;
	}
	ret = genlmsg_reply(msg, info);
	msg = NULL;
out:
	nlmsg_free(msg);
	kf_free(ki);
	key_put(keyring);
	return ret;
}

/* ---- IDENTITY_EXPORT, IMPORT, COMMIT ---------------------------------- */

static int kf_identity_export_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kf_export_params p = { };
	struct sk_buff *msg;
	u8 *blob = NULL;
	size_t len = 0;
	u64 epoch = 0, state_gen = 0;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_SEAT))
		return -EINVAL;
	p.seat = nla_get_u8(info->attrs[KEYFERRY_A_SEAT]);
	if (info->attrs[KEYFERRY_A_SEAT_KEY])
		p.seat_key = nla_data(info->attrs[KEYFERRY_A_SEAT_KEY]);
	if (info->attrs[KEYFERRY_A_KDF_PARAMS])
		p.kdf = nla_data(info->attrs[KEYFERRY_A_KDF_PARAMS]);
	if (info->attrs[KEYFERRY_A_SEAT_PCRS]) {
		p.has_pcrs = true;
		p.pcrs = nla_get_u32(info->attrs[KEYFERRY_A_SEAT_PCRS]);
	}
	ret = kf_identity_export(&p, &blob, &len, &epoch, &state_gen,
				 info->extack);
	if (ret)
		return ret;
	ret = -ENOMEM;
	msg = genlmsg_new(nla_total_size(len) + 96, GFP_KERNEL);
	if (!msg)
		goto out;
	ret = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &kf_family, 0,
				KEYFERRY_CMD_IDENTITY_EXPORT);
	if (!hdr || nla_put(msg, KEYFERRY_A_IDENTITY_BLOB, len, blob) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_IDENTITY_EPOCH, epoch,
			      KEYFERRY_A_PAD) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_STATE_GEN, state_gen,
			      KEYFERRY_A_PAD)) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
out:
	kf_free(blob);
	return ret;
}

static int kf_identity_import_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kf_entity_status *st;
	const u8 *seat_key = NULL;
	struct nlattr *b;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_IDENTITY_BLOB))
		return -EINVAL;
	b = info->attrs[KEYFERRY_A_IDENTITY_BLOB];
	if (info->attrs[KEYFERRY_A_SEAT_KEY])
		seat_key = nla_data(info->attrs[KEYFERRY_A_SEAT_KEY]);
	st = kf_zalloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	ret = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	ret = kf_identity_import(nla_data(b), nla_len(b), seat_key,
				 nla_get_flag(info->attrs[KEYFERRY_A_REPLACE]),
				 st, info->extack);
	if (ret)
		goto err_free;
	ret = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &kf_family, 0,
				KEYFERRY_CMD_IDENTITY_IMPORT);
	if (!hdr || nla_put_u8(msg, KEYFERRY_A_SEAT, st->seat) ||
	    nla_put_u32(msg, KEYFERRY_A_SEAT_PCRS, st->pcrs) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_IDENTITY_EPOCH, st->epoch,
			      KEYFERRY_A_PAD) ||
	    nla_put_u8(msg, KEYFERRY_A_ENTITY_STATE, st->state) ||
	    nla_put_string(msg, KEYFERRY_A_REGION, st->region) ||
	    nla_put_string(msg, KEYFERRY_A_ENTITY_NAME, st->name) ||
	    nla_put(msg, KEYFERRY_A_KEI_PUB, KEYFERRY_KEY_SIZE, st->kei_pub) ||
	    nla_put(msg, KEYFERRY_A_KEC_PUB, KEYFERRY_KEY_SIZE, st->kec_pub) ||
	    nla_put_u64_64bit(msg, KEYFERRY_A_STATE_GEN, st->state_gen,
			      KEYFERRY_A_PAD))
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

static int kf_identity_commit_doit(struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, KEYFERRY_A_IDENTITY_EPOCH))
		return -EINVAL;
	return kf_identity_commit(nla_get_u64(info->attrs[KEYFERRY_A_IDENTITY_EPOCH]),
				  info->extack);
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
		if (kf_key_fill(skb, KEYFERRY_A_KEY, ki)) {
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

/*
 * One event on the multicast group, if anyone listens.  kf_lock held (and
 * kf_events_on is cleared under it before the family goes).  A KEY nest
 * comes from a staged install (ks) or from a key the module ended (ki).
 */
static void kf_event_send(u8 type, const char *item, const struct kf_staged *ks,
			  const struct kf_key_info *ki, int err, u8 reason,
			  unsigned int revoked)
{
	struct kf_key_info *scratch = NULL;
	struct sk_buff *msg;
	void *hdr;

	lockdep_assert_held(&kf_lock);
	if (!kf_events_on || !genl_has_listeners(&kf_family, &init_net, 0))
		return;
	/* Events are best effort: one that cannot be made is dropped. */
	if (ks) {
		scratch = kf_zalloc(sizeof(*scratch));
		if (!scratch)
			return;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_put(msg, 0, 0, &kf_family, 0, KEYFERRY_CMD_EVENT);
	if (!hdr || nla_put_u8(msg, KEYFERRY_A_EVENT_TYPE, type) ||
	    (item && nla_put_string(msg, KEYFERRY_A_ITEM_NAME, item)) ||
	    (ks && kf_staged_fill(msg, KEYFERRY_A_KEY, ks, scratch)) ||
	    (ki && kf_key_fill(msg, KEYFERRY_A_KEY, ki)) ||
	    (err && nla_put_u32(msg, KEYFERRY_A_ERRNO, -err)) ||
	    (reason && nla_put_u8(msg, KEYFERRY_A_REVOKE_REASON, reason)) ||
	    (type == KEYFERRY_EVENT_REVOKED && !ki &&
	     nla_put_u32(msg, KEYFERRY_A_REVOKED_KEYS, revoked))) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&kf_family, msg, 0, 0, GFP_KERNEL);
out:
	kf_free(scratch);
}

void kf_event(u8 type, const char *item, const struct kf_staged *ks, int err)
{
	kf_event_send(type, item, ks, NULL, err, 0, 0);
}

void kf_event_key(u8 type, u8 reason, const struct kf_key_info *ki)
{
	kf_event_send(type, ki->item, NULL, ki, 0, reason, 0);
}

void kf_event_entity_revoked(unsigned int n_keys)
{
	kf_event_send(KEYFERRY_EVENT_REVOKED, NULL, NULL, NULL, 0,
		      KEYFERRY_REVOKE_ENTITY, n_keys);
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
		.internal_flags = KF_NEED_SYS_ADMIN,
	},
	{
		.cmd = KEYFERRY_CMD_OWNER_ADD,
		.doit = kf_owner_add_doit,
		.policy = kf_owner_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = KF_NEED_SYS_ADMIN,
	},
	{
		.cmd = KEYFERRY_CMD_OWNER_RETIRE,
		.doit = kf_owner_retire_doit,
		.policy = kf_retire_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = KF_NEED_SYS_ADMIN,
	},
	{
		.cmd = KEYFERRY_CMD_TRANSFER_BEGIN,
		.doit = kf_transfer_begin_doit,
		.policy = kf_begin_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = KF_NEED_SYS_ADMIN,
	},
	{
		.cmd = KEYFERRY_CMD_TRANSFER_FINISH,
		.doit = kf_transfer_finish_doit,
		.policy = kf_finish_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = KF_NEED_SYS_ADMIN,
	},
	{
		.cmd = KEYFERRY_CMD_KEY_LIST,
		.dumpit = kf_key_list_dumpit,
		.policy = kf_empty_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KEYFERRY_CMD_IDENTITY_EXPORT,
		.doit = kf_identity_export_doit,
		.policy = kf_export_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = KF_NEED_SYS_ADMIN,
	},
	{
		.cmd = KEYFERRY_CMD_IDENTITY_IMPORT,
		.doit = kf_identity_import_doit,
		.policy = kf_import_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = KF_NEED_SYS_ADMIN,
	},
	{
		.cmd = KEYFERRY_CMD_IDENTITY_COMMIT,
		.doit = kf_identity_commit_doit,
		.policy = kf_commit_policy,
		.maxattr = KEYFERRY_A_MAX,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = KF_NEED_SYS_ADMIN,
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
	.pre_doit = kf_pre_doit,
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
