// SPDX-License-Identifier: MIT
/*
 * libnl-genl client of the keyferry family.  The helper is untrusted: it
 * only relays opaque messages, so nothing here ever holds a key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "genl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* How the helper reads replies; the kernel validated what it sent. */
static struct nla_policy kf_reply_policy[KEYFERRY_A_MAX + 1] = {
	[KEYFERRY_A_FAMILY_VERSION] = { .type = NLA_U32 },
	[KEYFERRY_A_MODULE_VERSION] = { .type = NLA_STRING, .maxlen = 64 },
	[KEYFERRY_A_ENTITY_STATE] = { .type = NLA_U8 },
	[KEYFERRY_A_ENROLLED] = { .type = NLA_U8 },
	[KEYFERRY_A_REGION] = { .type = NLA_STRING, .maxlen = KEYFERRY_NAME_MAX + 1 },
	[KEYFERRY_A_ENTITY_NAME] = { .type = NLA_STRING, .maxlen = KEYFERRY_NAME_MAX + 1 },
	[KEYFERRY_A_DISTRIBUTOR_KEYS] = { .type = NLA_NESTED },
	[KEYFERRY_A_KEI_PUB] = { .minlen = KEYFERRY_KEY_SIZE, .maxlen = KEYFERRY_KEY_SIZE },
	[KEYFERRY_A_KEC_PUB] = { .minlen = KEYFERRY_KEY_SIZE, .maxlen = KEYFERRY_KEY_SIZE },
	[KEYFERRY_A_TRANSFER_ID] = { .type = NLA_U32 },
	[KEYFERRY_A_MESSAGE] = { .maxlen = KEYFERRY_MESSAGE_MAX },
	[KEYFERRY_A_KEYRING] = { .type = NLA_U32 },
	[KEYFERRY_A_KEYS] = { .type = NLA_NESTED },
	[KEYFERRY_A_KEY] = { .type = NLA_NESTED },
	[KEYFERRY_A_PENDING_TRANSFERS] = { .type = NLA_U32 },
	[KEYFERRY_A_INSTALLED_KEYS] = { .type = NLA_U32 },
	[KEYFERRY_A_KEY_SERIAL] = { .type = NLA_U32 },
	[KEYFERRY_A_KEY_TYPE] = { .type = NLA_U8 },
	[KEYFERRY_A_KEY_DESCRIPTION] = { .type = NLA_STRING,
					 .maxlen = KEYFERRY_DESCRIPTION_MAX + 16 },
	[KEYFERRY_A_ITEM_NAME] = { .type = NLA_STRING, .maxlen = KEYFERRY_NAME_MAX + 1 },
	[KEYFERRY_A_ITEM_VERSION] = { .type = NLA_U64 },
	[KEYFERRY_A_KEY_EXPIRY] = { .type = NLA_U64 },
	[KEYFERRY_A_EVENT_TYPE] = { .type = NLA_U8 },
	[KEYFERRY_A_ERRNO] = { .type = NLA_U32 },
};

const char *kf_genl_entity_state_name(uint8_t state)
{
	switch (state) {
	case KEYFERRY_ENTITY_NONE:
		return "none";
	case KEYFERRY_ENTITY_CREATED:
		return "created";
	case KEYFERRY_ENTITY_ENROLLED:
		return "enrolled";
	}
	return "unknown";
}

int kf_genl_open(struct kf_genl *g)
{
	int one = 1;
	int ret;

	memset(g, 0, sizeof(*g));
	g->sk = nl_socket_alloc();
	if (!g->sk)
		return -ENOMEM;
	ret = genl_connect(g->sk);
	if (ret < 0) {
		ret = -EIO;
		goto err_free;
	}
	/* Ask for extended acks: the kernel explains each refusal. */
	if (setsockopt(nl_socket_get_fd(g->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) < 0 ||
	    setsockopt(nl_socket_get_fd(g->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		       &one, sizeof(one)) < 0) {
		ret = -errno;
		goto err_free;
	}
	nl_socket_enable_msg_peek(g->sk);
	g->family = genl_ctrl_resolve(g->sk, KEYFERRY_GENL_NAME);
	if (g->family < 0) {
		ret = -ENOENT;
		goto err_free;
	}
	return 0;

err_free:
	nl_socket_free(g->sk);
	g->sk = NULL;
	return ret;
}

void kf_genl_close(struct kf_genl *g)
{
	if (g->sk)
		nl_socket_free(g->sk);
	g->sk = NULL;
}

struct nl_msg *kf_genl_request(struct kf_genl *g, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0, flags,
			 cmd, KEYFERRY_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct kf_exchange {
	struct kf_genl *g;
	kf_genl_reply_fn on_reply;
	void *arg;
	int error;
	bool done;
};

/* Pull the extended-ack message and offset out of an NLMSG_ERROR. */
static void kf_parse_ext_ack(struct kf_genl *g, struct nlmsgerr *err)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	struct nlattr *attr;
	size_t off, len;
	int rem;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_HDRLEN + sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off >= nlh->nlmsg_len)
		return;
	len = nlh->nlmsg_len - off;
	nla_for_each_attr(attr, (struct nlattr *)((char *)nlh + off), (int)len, rem) {
		if (nla_type(attr) == NLMSGERR_ATTR_MSG && nla_len(attr) > 0)
			snprintf(g->ext_msg, sizeof(g->ext_msg), "%.*s",
				 nla_len(attr), (const char *)nla_data(attr));
		else if (nla_type(attr) == NLMSGERR_ATTR_OFFS &&
			 nla_len(attr) == sizeof(uint32_t))
			g->ext_offset = nla_get_u32(attr);
	}
}

static int kf_on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct kf_exchange *x = arg;

	x->error = err->error;
	x->done = true;
	kf_parse_ext_ack(x->g, err);
	return NL_STOP;
}

static int kf_on_done(struct nl_msg *msg, void *arg)
{
	struct kf_exchange *x = arg;

	x->done = true;
	return NL_STOP;
}

static int kf_on_valid(struct nl_msg *msg, void *arg)
{
	struct kf_exchange *x = arg;
	struct nlattr *tb[KEYFERRY_A_MAX + 1];
	int ret;

	if (!x->on_reply || x->error)
		return NL_OK;
	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, KEYFERRY_A_MAX, kf_reply_policy);
	if (ret < 0) {
		x->error = -EPROTO;
		return NL_OK;
	}
	ret = x->on_reply(tb, x->arg);
	if (ret < 0)
		x->error = ret;
	return NL_OK;
}

static int kf_send_and_receive(struct kf_genl *g, struct nl_msg *msg,
			       kf_genl_reply_fn on_reply, void *arg)
{
	struct kf_exchange x = { .g = g, .on_reply = on_reply, .arg = arg };
	struct nl_cb *cb;
	int ret;

	g->ext_msg[0] = '\0';
	g->ext_offset = 0;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, kf_on_error, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, kf_on_done, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, kf_on_done, &x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, kf_on_valid, &x);

	ret = nl_send_auto(g->sk, msg);
	if (ret < 0) {
		ret = -EIO;
		goto out;
	}
	while (!x.done) {
		ret = nl_recvmsgs(g->sk, cb);
		if (ret < 0 && !x.done) {
			ret = -EIO;
			goto out;
		}
	}
	ret = x.error;
out:
	nl_cb_put(cb);
	return ret;
}

int kf_genl_transact(struct kf_genl *g, struct nl_msg *msg,
		     kf_genl_reply_fn on_reply, void *arg)
{
	int ret = kf_send_and_receive(g, msg, on_reply, arg);

	nlmsg_free(msg);
	return ret;
}

int kf_genl_transact_raw(struct kf_genl *g, uint8_t cmd, const void *payload,
			 size_t len, kf_genl_reply_fn on_reply, void *arg)
{
	struct nl_msg *msg = kf_genl_request(g, cmd, 0);

	if (!msg)
		return -ENOMEM;
	if (len && nlmsg_append(msg, (void *)payload, len, 0) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return kf_genl_transact(g, msg, on_reply, arg);
}

static void kf_copy_string(char *dst, size_t cap, const struct nlattr *attr)
{
	if (attr)
		snprintf(dst, cap, "%s", nla_get_string((struct nlattr *)attr));
}

static int kf_status_reply(struct nlattr **tb, void *arg)
{
	struct kf_module_status *st = arg;
	struct nlattr *key;
	int rem;

	if (!tb[KEYFERRY_A_FAMILY_VERSION] || !tb[KEYFERRY_A_ENTITY_STATE])
		return -EPROTO;
	st->family_version = nla_get_u32(tb[KEYFERRY_A_FAMILY_VERSION]);
	st->entity_state = nla_get_u8(tb[KEYFERRY_A_ENTITY_STATE]);
	if (tb[KEYFERRY_A_ENROLLED])
		st->enrolled = nla_get_u8(tb[KEYFERRY_A_ENROLLED]);
	if (tb[KEYFERRY_A_PENDING_TRANSFERS])
		st->pending_transfers = nla_get_u32(tb[KEYFERRY_A_PENDING_TRANSFERS]);
	if (tb[KEYFERRY_A_INSTALLED_KEYS])
		st->installed_keys = nla_get_u32(tb[KEYFERRY_A_INSTALLED_KEYS]);
	if (tb[KEYFERRY_A_KEYRING])
		st->keyring = (int32_t)nla_get_u32(tb[KEYFERRY_A_KEYRING]);
	kf_copy_string(st->module_version, sizeof(st->module_version),
		       tb[KEYFERRY_A_MODULE_VERSION]);
	kf_copy_string(st->region, sizeof(st->region), tb[KEYFERRY_A_REGION]);
	kf_copy_string(st->entity_name, sizeof(st->entity_name),
		       tb[KEYFERRY_A_ENTITY_NAME]);
	if (tb[KEYFERRY_A_KEI_PUB] && tb[KEYFERRY_A_KEC_PUB]) {
		memcpy(st->kei_pub, nla_data(tb[KEYFERRY_A_KEI_PUB]), KEYFERRY_KEY_SIZE);
		memcpy(st->kec_pub, nla_data(tb[KEYFERRY_A_KEC_PUB]), KEYFERRY_KEY_SIZE);
		st->has_keys = true;
	}
	if (tb[KEYFERRY_A_DISTRIBUTOR_KEYS]) {
		nla_for_each_nested(key, tb[KEYFERRY_A_DISTRIBUTOR_KEYS], rem) {
			if (nla_len(key) != KEYFERRY_KEY_SIZE ||
			    st->n_distributor_keys >= KEYFERRY_MAX_DISTRIBUTOR_KEYS)
				return -EPROTO;
			memcpy(st->distributor_keys[st->n_distributor_keys++],
			       nla_data(key), KEYFERRY_KEY_SIZE);
		}
	}
	return 0;
}

int kf_genl_get_status(struct kf_genl *g, struct kf_module_status *st)
{
	struct nl_msg *msg;

	memset(st, 0, sizeof(*st));
	msg = kf_genl_request(g, KEYFERRY_CMD_GET_STATUS, 0);
	if (!msg)
		return -ENOMEM;
	return kf_genl_transact(g, msg, kf_status_reply, st);
}

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

static int kf_entity_reply(struct nlattr **tb, void *arg)
{
	uint8_t **pubs = arg;

	if (!tb[KEYFERRY_A_KEI_PUB] || !tb[KEYFERRY_A_KEC_PUB])
		return -EPROTO;
	memcpy(pubs[0], nla_data(tb[KEYFERRY_A_KEI_PUB]), KEYFERRY_KEY_SIZE);
	memcpy(pubs[1], nla_data(tb[KEYFERRY_A_KEC_PUB]), KEYFERRY_KEY_SIZE);
	return 0;
}

int kf_genl_entity_create(struct kf_genl *g, const char *region, const char *name,
			  const uint8_t (*distributor_keys)[KEYFERRY_KEY_SIZE],
			  unsigned int n_keys, bool replace,
			  uint8_t kei_pub[KEYFERRY_KEY_SIZE],
			  uint8_t kec_pub[KEYFERRY_KEY_SIZE])
{
	uint8_t *pubs[2] = { kei_pub, kec_pub };
	struct nlattr *nest;
	struct nl_msg *msg;
	unsigned int i;

	msg = kf_genl_request(g, KEYFERRY_CMD_ENTITY_CREATE, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, KEYFERRY_A_REGION, region) ||
	    nla_put_string(msg, KEYFERRY_A_ENTITY_NAME, name))
		goto too_big;
	nest = nla_nest_start(msg, KEYFERRY_A_DISTRIBUTOR_KEYS);
	if (!nest)
		goto too_big;
	for (i = 0; i < n_keys; i++)
		if (nla_put(msg, KEYFERRY_A_DISTRIBUTOR_KEY, KEYFERRY_KEY_SIZE,
			    distributor_keys[i]))
			goto too_big;
	nla_nest_end(msg, nest);
	if (replace && nla_put_flag(msg, KEYFERRY_A_REPLACE))
		goto too_big;
	return kf_genl_transact(g, msg, kf_entity_reply, pubs);

too_big:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

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

static int kf_parse_key(struct nlattr *attr, struct kf_installed_key *k)
{
	struct nlattr *tb[KEYFERRY_A_MAX + 1];

	if (nla_parse_nested(tb, KEYFERRY_A_MAX, attr, kf_reply_policy) < 0 ||
	    !tb[KEYFERRY_A_KEY_TYPE] || !tb[KEYFERRY_A_KEY_DESCRIPTION])
		return -EPROTO;
	memset(k, 0, sizeof(*k));
	if (tb[KEYFERRY_A_KEY_SERIAL])
		k->serial = (int32_t)nla_get_u32(tb[KEYFERRY_A_KEY_SERIAL]);
	k->type = nla_get_u8(tb[KEYFERRY_A_KEY_TYPE]);
	kf_copy_string(k->description, sizeof(k->description),
		       tb[KEYFERRY_A_KEY_DESCRIPTION]);
	kf_copy_string(k->item, sizeof(k->item), tb[KEYFERRY_A_ITEM_NAME]);
	if (tb[KEYFERRY_A_ITEM_VERSION])
		k->version = nla_get_u64(tb[KEYFERRY_A_ITEM_VERSION]);
	if (tb[KEYFERRY_A_KEY_EXPIRY])
		k->expiry = nla_get_u64(tb[KEYFERRY_A_KEY_EXPIRY]);
	return 0;
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
		ret = kf_parse_key(key, &out->keys[out->n]);
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
	ret = kf_parse_key(tb[KEYFERRY_A_KEY], &k);
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
