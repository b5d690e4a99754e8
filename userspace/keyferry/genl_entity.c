// SPDX-License-Identifier: MIT
/*
 * GET_STATUS, ENTITY_CREATE, OWNER_ADD and OWNER_RETIRE: the module's
 * state, the host's entity and the owner keys it pins.
 */
#include <errno.h>
#include <string.h>

#include "genl_internal.h"

const char *kf_genl_entity_state_name(uint8_t state)
{
	switch (state) {
	case KEYFERRY_ENTITY_NONE:
		return "none";
	case KEYFERRY_ENTITY_CREATED:
		return "created";
	case KEYFERRY_ENTITY_ENROLLED:
		return "enrolled";
	case KEYFERRY_ENTITY_REVOKED:
		return "revoked";
	}
	return "unknown";
}

static int kf_status_dkeys(struct nlattr *list, struct kf_module_status *st)
{
	struct nlattr *key;
	int rem;

	nla_for_each_nested(key, list, rem) {
		if (nla_len(key) != KEYFERRY_KEY_SIZE ||
		    st->n_distributor_keys >= KEYFERRY_MAX_DISTRIBUTOR_KEYS)
			return -EPROTO;
		memcpy(st->distributor_keys[st->n_distributor_keys++],
		       nla_data(key), KEYFERRY_KEY_SIZE);
	}
	return 0;
}

static int kf_status_owners(struct nlattr *list, struct kf_module_status *st)
{
	struct nlattr *tb[KEYFERRY_A_MAX + 1];
	struct kf_owner_key *o;
	struct nlattr *one;
	int rem;

	nla_for_each_nested(one, list, rem) {
		if (st->n_owners >= KEYFERRY_MAX_OWNER_KEYS ||
		    nla_parse_nested(tb, KEYFERRY_A_MAX, one, kf_genl_reply_policy) < 0 ||
		    !tb[KEYFERRY_A_OWNER_NAME] || !tb[KEYFERRY_A_OWNER_KEY])
			return -EPROTO;
		o = &st->owners[st->n_owners++];
		kf_genl_copy_string(o->name, sizeof(o->name), tb[KEYFERRY_A_OWNER_NAME]);
		memcpy(o->key, nla_data(tb[KEYFERRY_A_OWNER_KEY]), KEYFERRY_KEY_SIZE);
	}
	return 0;
}

static int kf_status_reply(struct nlattr **tb, void *arg)
{
	struct kf_module_status *st = arg;
	int ret = 0;

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
	if (tb[KEYFERRY_A_VERSION_RECORDS])
		st->version_records = nla_get_u32(tb[KEYFERRY_A_VERSION_RECORDS]);
	if (tb[KEYFERRY_A_KEYRING])
		st->keyring = (int32_t)nla_get_u32(tb[KEYFERRY_A_KEYRING]);
	kf_genl_copy_string(st->module_version, sizeof(st->module_version),
			    tb[KEYFERRY_A_MODULE_VERSION]);
	kf_genl_copy_string(st->region, sizeof(st->region), tb[KEYFERRY_A_REGION]);
	kf_genl_copy_string(st->entity_name, sizeof(st->entity_name),
			    tb[KEYFERRY_A_ENTITY_NAME]);
	if (tb[KEYFERRY_A_KEI_PUB] && tb[KEYFERRY_A_KEC_PUB]) {
		memcpy(st->kei_pub, nla_data(tb[KEYFERRY_A_KEI_PUB]), KEYFERRY_KEY_SIZE);
		memcpy(st->kec_pub, nla_data(tb[KEYFERRY_A_KEC_PUB]), KEYFERRY_KEY_SIZE);
		st->has_keys = true;
	}
	if (tb[KEYFERRY_A_SEAT])
		st->seat = nla_get_u8(tb[KEYFERRY_A_SEAT]);
	if (tb[KEYFERRY_A_SEAT_PCRS])
		st->seat_pcrs = nla_get_u32(tb[KEYFERRY_A_SEAT_PCRS]);
	if (tb[KEYFERRY_A_IDENTITY_EPOCH])
		st->epoch = nla_get_u64(tb[KEYFERRY_A_IDENTITY_EPOCH]);
	if (tb[KEYFERRY_A_STATE_GEN])
		st->state_gen = nla_get_u64(tb[KEYFERRY_A_STATE_GEN]);
	if (tb[KEYFERRY_A_SEALED_GEN])
		st->sealed_gen = nla_get_u64(tb[KEYFERRY_A_SEALED_GEN]);
	if (tb[KEYFERRY_A_DISTRIBUTOR_KEYS])
		ret = kf_status_dkeys(tb[KEYFERRY_A_DISTRIBUTOR_KEYS], st);
	if (!ret && tb[KEYFERRY_A_OWNER_KEYS])
		ret = kf_status_owners(tb[KEYFERRY_A_OWNER_KEYS], st);
	return ret;
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

static int kf_entity_reply(struct nlattr **tb, void *arg)
{
	uint8_t **pubs = arg;

	if (!tb[KEYFERRY_A_KEI_PUB] || !tb[KEYFERRY_A_KEC_PUB])
		return -EPROTO;
	memcpy(pubs[0], nla_data(tb[KEYFERRY_A_KEI_PUB]), KEYFERRY_KEY_SIZE);
	memcpy(pubs[1], nla_data(tb[KEYFERRY_A_KEC_PUB]), KEYFERRY_KEY_SIZE);
	return 0;
}

static int kf_put_owner(struct nl_msg *msg, int attr, const struct kf_owner_key *o)
{
	struct nlattr *nest = nla_nest_start(msg, attr);

	if (!nest || nla_put_string(msg, KEYFERRY_A_OWNER_NAME, o->name) ||
	    nla_put(msg, KEYFERRY_A_OWNER_KEY, KEYFERRY_KEY_SIZE, o->key))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int kf_genl_entity_put(struct nl_msg *msg, const struct kf_entity_request *req)
{
	struct nlattr *nest;
	unsigned int i;

	if (nla_put_string(msg, KEYFERRY_A_REGION, req->region) ||
	    nla_put_string(msg, KEYFERRY_A_ENTITY_NAME, req->name))
		return -EMSGSIZE;
	nest = nla_nest_start(msg, KEYFERRY_A_DISTRIBUTOR_KEYS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < req->n_distributor_keys; i++)
		if (nla_put(msg, KEYFERRY_A_DISTRIBUTOR_KEY, KEYFERRY_KEY_SIZE,
			    req->distributor_keys[i]))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	if (req->n_owners) {
		nest = nla_nest_start(msg, KEYFERRY_A_OWNER_KEYS);
		if (!nest)
			return -EMSGSIZE;
		for (i = 0; i < req->n_owners; i++)
			if (kf_put_owner(msg, KEYFERRY_A_OWNER, &req->owners[i]))
				return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	if (req->replace && nla_put_flag(msg, KEYFERRY_A_REPLACE))
		return -EMSGSIZE;
	if (req->confirm_kei &&
	    nla_put(msg, KEYFERRY_A_CONFIRM_KEI, KEYFERRY_KEY_SIZE, req->confirm_kei))
		return -EMSGSIZE;
	return 0;
}

int kf_genl_entity_create(struct kf_genl *g, const struct kf_entity_request *req,
			  uint8_t kei_pub[KEYFERRY_KEY_SIZE],
			  uint8_t kec_pub[KEYFERRY_KEY_SIZE])
{
	uint8_t *pubs[2] = { kei_pub, kec_pub };
	struct nl_msg *msg;
	int ret;

	msg = kf_genl_request(g, KEYFERRY_CMD_ENTITY_CREATE, 0);
	if (!msg)
		return -ENOMEM;
	ret = kf_genl_entity_put(msg, req);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return kf_genl_transact(g, msg, kf_entity_reply, pubs);
}

int kf_genl_owner_add(struct kf_genl *g, const char *name,
		      const uint8_t key[KEYFERRY_KEY_SIZE])
{
	struct nl_msg *msg = kf_genl_request(g, KEYFERRY_CMD_OWNER_ADD, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, KEYFERRY_A_OWNER_NAME, name) ||
	    nla_put(msg, KEYFERRY_A_OWNER_KEY, KEYFERRY_KEY_SIZE, key)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return kf_genl_transact(g, msg, NULL, NULL);
}

int kf_genl_owner_retire(struct kf_genl *g, const uint8_t key[KEYFERRY_KEY_SIZE])
{
	struct nl_msg *msg = kf_genl_request(g, KEYFERRY_CMD_OWNER_RETIRE, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, KEYFERRY_A_OWNER_KEY, KEYFERRY_KEY_SIZE, key)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return kf_genl_transact(g, msg, NULL, NULL);
}
