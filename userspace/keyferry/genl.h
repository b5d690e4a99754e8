/* SPDX-License-Identifier: MIT */
/*
 * The helper's side of the netlink contract (uapi/linux/keyferry.h), on
 * libnl-genl.  Each call sends one request and collects the reply; errors
 * are negative errnos, and the kernel's extended-ack message, when it sent
 * one, is kept in kf_genl.ext_msg for the caller to show.
 */
#ifndef KEYFERRY_GENL_H
#define KEYFERRY_GENL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "uapi/linux/keyferry.h"

#define KF_GENL_EXT_MSG_MAX 256

struct kf_genl {
	struct nl_sock *sk;
	int family;
	char ext_msg[KF_GENL_EXT_MSG_MAX];	/* "" when none */
	uint32_t ext_offset;			/* offending attribute offset, 0 = none */
};

/* -ENOENT when the family is missing (module not loaded). */
int kf_genl_open(struct kf_genl *g);
void kf_genl_close(struct kf_genl *g);

/* A new request for cmd; NULL on allocation failure. */
struct nl_msg *kf_genl_request(struct kf_genl *g, uint8_t cmd, int flags);

/*
 * Send msg (consumed) and receive until the final ack or the end of a dump.
 * on_reply, when given, sees each reply's attributes, parsed with the
 * family's policy (tb indexed by KEYFERRY_A_*); a negative return from it
 * stops the exchange and is returned.
 */
typedef int (*kf_genl_reply_fn)(struct nlattr **tb, void *arg);
int kf_genl_transact(struct kf_genl *g, struct nl_msg *msg,
		     kf_genl_reply_fn on_reply, void *arg);

/* Send len raw bytes as the payload after the genl header (for tests). */
int kf_genl_transact_raw(struct kf_genl *g, uint8_t cmd, const void *payload,
			 size_t len, kf_genl_reply_fn on_reply, void *arg);

struct kf_module_status {
	uint32_t family_version;
	char module_version[64];
	uint8_t entity_state;
	bool enrolled;
	uint32_t pending_transfers;
	uint32_t installed_keys;
	int32_t keyring;			/* module keyring serial, 0 = unknown */
	char region[KEYFERRY_NAME_MAX + 1];	/* "" = no entity */
	char entity_name[KEYFERRY_NAME_MAX + 1];
	bool has_keys;
	uint8_t kei_pub[KEYFERRY_KEY_SIZE];
	uint8_t kec_pub[KEYFERRY_KEY_SIZE];
	unsigned int n_distributor_keys;
	uint8_t distributor_keys[KEYFERRY_MAX_DISTRIBUTOR_KEYS][KEYFERRY_KEY_SIZE];
};

int kf_genl_get_status(struct kf_genl *g, struct kf_module_status *st);

const char *kf_entity_state_name(uint8_t state);

#endif /* KEYFERRY_GENL_H */
