// SPDX-License-Identifier: MIT
/* The keys the module installed: their attributes, KEY_LIST, type names. */
#include <errno.h>
#include <string.h>

#include "genl_internal.h"

const char *kf_key_type_name(uint8_t type)
{
	switch (type) {
	case KEYFERRY_KEY_TYPE_LOGON:
		return "logon";
	case KEYFERRY_KEY_TYPE_USER:
		return "user";
	case KEYFERRY_KEY_TYPE_FSCRYPT:
		return "fscrypt-provisioning";
	case KEYFERRY_KEY_TYPE_UNWRAP:
		return "unwrap";
	}
	return "unknown";
}

int kf_genl_parse_key(struct nlattr *attr, struct kf_installed_key *k)
{
	struct nlattr *tb[KEYFERRY_A_MAX + 1];

	if (nla_parse_nested(tb, KEYFERRY_A_MAX, attr, kf_genl_reply_policy) < 0 ||
	    !tb[KEYFERRY_A_KEY_TYPE] || !tb[KEYFERRY_A_KEY_DESCRIPTION])
		return -EPROTO;
	memset(k, 0, sizeof(*k));
	if (tb[KEYFERRY_A_KEY_SERIAL])
		k->serial = (int32_t)nla_get_u32(tb[KEYFERRY_A_KEY_SERIAL]);
	k->type = nla_get_u8(tb[KEYFERRY_A_KEY_TYPE]);
	kf_genl_copy_string(k->description, sizeof(k->description),
		       tb[KEYFERRY_A_KEY_DESCRIPTION]);
	kf_genl_copy_string(k->owner, sizeof(k->owner), tb[KEYFERRY_A_OWNER_NAME]);
	kf_genl_copy_string(k->item, sizeof(k->item), tb[KEYFERRY_A_ITEM_NAME]);
	if (tb[KEYFERRY_A_ITEM_VERSION])
		k->version = nla_get_u64(tb[KEYFERRY_A_ITEM_VERSION]);
	if (tb[KEYFERRY_A_KEY_EXPIRY])
		k->expiry = nla_get_u64(tb[KEYFERRY_A_KEY_EXPIRY]);
	if (tb[KEYFERRY_A_KEY_RENEW_BY])
		k->renew_by = nla_get_u64(tb[KEYFERRY_A_KEY_RENEW_BY]);
	return 0;
}

struct kf_list_ctx {
	int (*fn)(const struct kf_installed_key *key, void *arg);
	void *arg;
};

static int kf_list_reply(struct nlattr **tb, void *arg)
{
	struct kf_list_ctx *ctx = arg;
	struct kf_installed_key k;
	int ret;

	if (!tb[KEYFERRY_A_KEY])
		return -EPROTO;
	ret = kf_genl_parse_key(tb[KEYFERRY_A_KEY], &k);
	if (ret)
		return ret;
	return ctx->fn(&k, ctx->arg);
}

int kf_genl_key_list(struct kf_genl *g,
		     int (*fn)(const struct kf_installed_key *key, void *arg),
		     void *arg)
{
	struct kf_list_ctx ctx = { .fn = fn, .arg = arg };
	struct nl_msg *msg = kf_genl_request(g, KEYFERRY_CMD_KEY_LIST, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	return kf_genl_transact(g, msg, kf_list_reply, &ctx);
}
