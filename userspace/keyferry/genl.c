// SPDX-License-Identifier: MIT
/*
 * libnl-genl client of the keyferry family: the socket, the family, and
 * one request's exchange with its extended ack.  The commands are in
 * genl_entity.c, genl_transfer.c and genl_keys.c.  The helper is
 * untrusted: it only relays opaque messages, so nothing here ever holds a
 * key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "genl_internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* How the helper reads replies; the kernel validated what it sent. */
struct nla_policy kf_genl_reply_policy[KEYFERRY_A_MAX + 1] = {
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
					 .maxlen = KEYFERRY_DESCRIPTION_MAX + 1 },
	[KEYFERRY_A_ITEM_NAME] = { .type = NLA_STRING, .maxlen = KEYFERRY_NAME_MAX + 1 },
	[KEYFERRY_A_ITEM_VERSION] = { .type = NLA_U64 },
	[KEYFERRY_A_KEY_EXPIRY] = { .type = NLA_U64 },
	[KEYFERRY_A_EVENT_TYPE] = { .type = NLA_U8 },
	[KEYFERRY_A_ERRNO] = { .type = NLA_U32 },
	[KEYFERRY_A_OWNER_KEYS] = { .type = NLA_NESTED },
	[KEYFERRY_A_OWNER] = { .type = NLA_NESTED },
	[KEYFERRY_A_OWNER_NAME] = { .type = NLA_STRING,
				    .maxlen = KEYFERRY_OWNER_NAME_MAX + 1 },
	[KEYFERRY_A_OWNER_KEY] = { .minlen = KEYFERRY_KEY_SIZE, .maxlen = KEYFERRY_KEY_SIZE },
	[KEYFERRY_A_KEY_RENEW_BY] = { .type = NLA_U64 },
	[KEYFERRY_A_REVOKE_REASON] = { .type = NLA_U8 },
	[KEYFERRY_A_REVOKED_KEYS] = { .type = NLA_U32 },
	[KEYFERRY_A_VERSION_RECORDS] = { .type = NLA_U32 },
	[KEYFERRY_A_SEAT] = { .type = NLA_U8 },
	[KEYFERRY_A_IDENTITY_BLOB] = { .maxlen = KEYFERRY_IDENTITY_MAX },
	[KEYFERRY_A_IDENTITY_EPOCH] = { .type = NLA_U64 },
	[KEYFERRY_A_SEAT_PCRS] = { .type = NLA_U32 },
	[KEYFERRY_A_STATE_GEN] = { .type = NLA_U64 },
	[KEYFERRY_A_SEALED_GEN] = { .type = NLA_U64 },
};

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
	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, KEYFERRY_A_MAX, kf_genl_reply_policy);
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

void kf_genl_copy_string(char *dst, size_t cap, const struct nlattr *attr)
{
	if (attr)
		snprintf(dst, cap, "%s", nla_get_string((struct nlattr *)attr));
}
