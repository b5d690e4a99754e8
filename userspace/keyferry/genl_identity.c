// SPDX-License-Identifier: MIT
/*
 * IDENTITY_EXPORT, IDENTITY_IMPORT, IDENTITY_COMMIT: the entity's state
 * sealed by a seat of trust.  The blob is opaque here: only the module can
 * open it (with the TPM, or with the stretched passphrase it is given).
 */
#include <errno.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include "genl_internal.h"

const char *kf_seat_name(uint8_t seat)
{
	switch (seat) {
	case KEYFERRY_SEAT_NONE:
		return "none";
	case KEYFERRY_SEAT_TPM:
		return "tpm";
	case KEYFERRY_SEAT_PASSPHRASE:
		return "passphrase";
	}
	return "unknown";
}

struct kf_export_reply {
	uint8_t *blob;
	size_t cap;
	size_t *len;
	uint64_t *epoch;
	uint64_t *state_gen;		/* NULL: not wanted */
};

static int kf_export_reply(struct nlattr **tb, void *arg)
{
	struct kf_export_reply *r = arg;
	size_t n;

	if (!tb[KEYFERRY_A_IDENTITY_BLOB] || !tb[KEYFERRY_A_IDENTITY_EPOCH])
		return -EPROTO;
	n = nla_len(tb[KEYFERRY_A_IDENTITY_BLOB]);
	if (n > r->cap)
		return -EMSGSIZE;
	memcpy(r->blob, nla_data(tb[KEYFERRY_A_IDENTITY_BLOB]), n);
	*r->len = n;
	*r->epoch = nla_get_u64(tb[KEYFERRY_A_IDENTITY_EPOCH]);
	if (r->state_gen) {
		if (!tb[KEYFERRY_A_STATE_GEN])
			return -EPROTO;
		*r->state_gen = nla_get_u64(tb[KEYFERRY_A_STATE_GEN]);
	}
	return 0;
}

int kf_genl_identity_export(struct kf_genl *g, uint8_t seat,
			    const uint8_t *seat_key, const uint8_t *kdf_params,
			    uint8_t *blob, size_t cap, size_t *len,
			    uint64_t *epoch)
{
	return kf_genl_identity_export_pcrs(g, seat, NULL, seat_key, kdf_params, blob,
					    cap, len, epoch);
}

int kf_genl_identity_export_pcrs(struct kf_genl *g, uint8_t seat, const uint32_t *pcrs,
				 const uint8_t *seat_key, const uint8_t *kdf_params,
				 uint8_t *blob, size_t cap, size_t *len, uint64_t *epoch)
{
	return kf_genl_identity_export_gen(g, seat, pcrs, seat_key, kdf_params, blob, cap,
					   len, epoch, NULL);
}

int kf_genl_identity_export_gen(struct kf_genl *g, uint8_t seat, const uint32_t *pcrs,
				const uint8_t *seat_key, const uint8_t *kdf_params,
				uint8_t *blob, size_t cap, size_t *len, uint64_t *epoch,
				uint64_t *state_gen)
{
	struct kf_export_reply r = { blob, cap, len, epoch, state_gen };
	struct nl_msg *msg;

	msg = kf_genl_request(g, KEYFERRY_CMD_IDENTITY_EXPORT, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u8(msg, KEYFERRY_A_SEAT, seat) ||
	    (pcrs && nla_put_u32(msg, KEYFERRY_A_SEAT_PCRS, *pcrs)) ||
	    (seat_key && nla_put(msg, KEYFERRY_A_SEAT_KEY,
				 KEYFERRY_SEAT_KEY_SIZE, seat_key)) ||
	    (kdf_params && nla_put(msg, KEYFERRY_A_KDF_PARAMS,
				   KEYFERRY_KDF_PARAMS_SIZE, kdf_params))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return kf_genl_transact(g, msg, kf_export_reply, &r);
}

static int kf_import_reply(struct nlattr **tb, void *arg)
{
	struct kf_identity_info *info = arg;

	if (!tb[KEYFERRY_A_SEAT] || !tb[KEYFERRY_A_IDENTITY_EPOCH] ||
	    !tb[KEYFERRY_A_ENTITY_STATE] || !tb[KEYFERRY_A_REGION] ||
	    !tb[KEYFERRY_A_ENTITY_NAME] || !tb[KEYFERRY_A_KEI_PUB] ||
	    !tb[KEYFERRY_A_KEC_PUB])
		return -EPROTO;
	info->seat = nla_get_u8(tb[KEYFERRY_A_SEAT]);
	if (tb[KEYFERRY_A_SEAT_PCRS])
		info->pcrs = nla_get_u32(tb[KEYFERRY_A_SEAT_PCRS]);
	info->epoch = nla_get_u64(tb[KEYFERRY_A_IDENTITY_EPOCH]);
	if (tb[KEYFERRY_A_STATE_GEN])
		info->state_gen = nla_get_u64(tb[KEYFERRY_A_STATE_GEN]);
	info->entity_state = nla_get_u8(tb[KEYFERRY_A_ENTITY_STATE]);
	kf_genl_copy_string(info->region, sizeof(info->region),
			    tb[KEYFERRY_A_REGION]);
	kf_genl_copy_string(info->entity_name, sizeof(info->entity_name),
			    tb[KEYFERRY_A_ENTITY_NAME]);
	memcpy(info->kei_pub, nla_data(tb[KEYFERRY_A_KEI_PUB]), KEYFERRY_KEY_SIZE);
	memcpy(info->kec_pub, nla_data(tb[KEYFERRY_A_KEC_PUB]), KEYFERRY_KEY_SIZE);
	return 0;
}

int kf_genl_identity_import(struct kf_genl *g, const uint8_t *blob, size_t len,
			    const uint8_t *seat_key, bool replace,
			    struct kf_identity_info *info)
{
	struct nl_msg *msg;

	memset(info, 0, sizeof(*info));
	msg = nlmsg_alloc_size(len + 4096);
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0, 0,
			 KEYFERRY_CMD_IDENTITY_IMPORT, KEYFERRY_GENL_VERSION) ||
	    nla_put(msg, KEYFERRY_A_IDENTITY_BLOB, len, blob) ||
	    (seat_key && nla_put(msg, KEYFERRY_A_SEAT_KEY,
				 KEYFERRY_SEAT_KEY_SIZE, seat_key)) ||
	    (replace && nla_put_flag(msg, KEYFERRY_A_REPLACE))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return kf_genl_transact(g, msg, kf_import_reply, info);
}

int kf_genl_identity_commit(struct kf_genl *g, uint64_t epoch)
{
	struct nl_msg *msg;

	msg = kf_genl_request(g, KEYFERRY_CMD_IDENTITY_COMMIT, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, KEYFERRY_A_IDENTITY_EPOCH, epoch)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return kf_genl_transact(g, msg, NULL, NULL);
}
