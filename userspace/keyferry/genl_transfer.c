// SPDX-License-Identifier: MIT
/*
 * TRANSFER_BEGIN and TRANSFER_FINISH: the module makes message 1 and opens
 * message 2; the helper only carries them.
 */
#include <errno.h>
#include <string.h>

#include "genl_internal.h"

static int kf_begin_reply(struct nlattr **tb, void *arg)
{
	struct kf_message *m = arg;
	size_t len;

	if (!tb[KEYFERRY_A_TRANSFER_ID] || !tb[KEYFERRY_A_MESSAGE])
		return -EPROTO;
	len = nla_len(tb[KEYFERRY_A_MESSAGE]);
	if (len > sizeof(m->data))
		return -EMSGSIZE;
	m->transfer_id = nla_get_u32(tb[KEYFERRY_A_TRANSFER_ID]);
	memcpy(m->data, nla_data(tb[KEYFERRY_A_MESSAGE]), len);
	m->len = len;
	return 0;
}

static int kf_put_begin(struct nl_msg *msg, const struct kf_transfer_begin *req)
{
	struct nlattr *nest;
	unsigned int i;

	if (nla_put_u8(msg, KEYFERRY_A_TRANSFER_KIND, req->kind))
		return -EMSGSIZE;
	if (req->n_items) {
		nest = nla_nest_start(msg, KEYFERRY_A_ITEMS);
		if (!nest)
			return -EMSGSIZE;
		for (i = 0; i < req->n_items; i++)
			if (nla_put_string(msg, KEYFERRY_A_ITEM_NAME, req->items[i]))
				return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	if (req->token && nla_put(msg, KEYFERRY_A_ENROLL_TOKEN, req->token_len, req->token))
		return -EMSGSIZE;
	if (req->nonce && nla_put(msg, KEYFERRY_A_ENROLL_NONCE, KEYFERRY_NONCE_SIZE, req->nonce))
		return -EMSGSIZE;
	if (req->distributor_key &&
	    nla_put(msg, KEYFERRY_A_DISTRIBUTOR_KEY, KEYFERRY_KEY_SIZE, req->distributor_key))
		return -EMSGSIZE;
	return 0;
}

int kf_genl_transfer_begin(struct kf_genl *g, const struct kf_transfer_begin *req,
			   struct kf_message *msg1)
{
	struct nl_msg *msg;
	int ret;

	msg1->len = 0;
	msg = kf_genl_request(g, KEYFERRY_CMD_TRANSFER_BEGIN, 0);
	if (!msg)
		return -ENOMEM;
	ret = kf_put_begin(msg, req);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return kf_genl_transact(g, msg, kf_begin_reply, msg1);
}

static int kf_finish_reply(struct nlattr **tb, void *arg)
{
	struct kf_installed *out = arg;
	struct nlattr *key;
	int rem, ret;

	if (tb[KEYFERRY_A_ENROLLED])
		out->enrolled = nla_get_u8(tb[KEYFERRY_A_ENROLLED]);
	if (!tb[KEYFERRY_A_KEYS])
		return 0;
	nla_for_each_nested(key, tb[KEYFERRY_A_KEYS], rem) {
		if (nla_type(key) != KEYFERRY_A_KEY || out->n >= KEYFERRY_MAX_ITEMS)
			return -EPROTO;
		ret = kf_genl_parse_key(key, &out->keys[out->n]);
		if (ret)
			return ret;
		out->n++;
	}
	return 0;
}

int kf_genl_transfer_finish(struct kf_genl *g, uint32_t transfer_id,
			    const uint8_t *msg2, size_t len, int32_t keyring,
			    struct kf_installed *out)
{
	struct nl_msg *msg;

	memset(out, 0, sizeof(*out));
	msg = kf_genl_request(g, KEYFERRY_CMD_TRANSFER_FINISH, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, KEYFERRY_A_TRANSFER_ID, transfer_id) ||
	    nla_put(msg, KEYFERRY_A_MESSAGE, len, msg2) ||
	    (keyring && nla_put_u32(msg, KEYFERRY_A_KEYRING, (uint32_t)keyring))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return kf_genl_transact(g, msg, kf_finish_reply, out);
}

void kf_genl_transfer_abandon(struct kf_genl *g, uint32_t transfer_id)
{
	static const uint8_t nothing[1];
	struct kf_installed out;
	char ext[KF_GENL_EXT_MSG_MAX];

	/* Keep the caller's view of the real error. */
	memcpy(ext, g->ext_msg, sizeof(ext));
	kf_genl_transfer_finish(g, transfer_id, nothing, sizeof(nothing), 0, &out);
	memcpy(g->ext_msg, ext, sizeof(ext));
}
