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

/* ENTITY_CREATE: make Kei and Kec in the kernel; returns their public halves. */
int kf_genl_entity_create(struct kf_genl *g, const char *region, const char *name,
			  const uint8_t (*distributor_keys)[KEYFERRY_KEY_SIZE],
			  unsigned int n_keys, bool replace,
			  uint8_t kei_pub[KEYFERRY_KEY_SIZE],
			  uint8_t kec_pub[KEYFERRY_KEY_SIZE]);

/* TRANSFER_BEGIN: message 1 to relay, and the id to finish it with. */
struct kf_transfer_begin {
	uint8_t kind;				/* enum keyferry_transfer_kind */
	unsigned int n_items;			/* fetch */
	const char *items[KEYFERRY_MAX_ITEMS];
	const uint8_t *token;			/* enroll */
	size_t token_len;
	const uint8_t *nonce;			/* enroll, KEYFERRY_NONCE_SIZE bytes */
	const uint8_t *distributor_key;		/* NULL: the first pinned key */
};

struct kf_message {
	uint32_t transfer_id;
	size_t len;
	uint8_t data[KEYFERRY_MESSAGE_MAX];
};

int kf_genl_transfer_begin(struct kf_genl *g, const struct kf_transfer_begin *req,
			   struct kf_message *msg1);

/* What the module installed, as TRANSFER_FINISH and KEY_LIST report it. */
struct kf_installed_key {
	int32_t serial;				/* 0 for unwrapping keys */
	uint8_t type;				/* enum keyferry_key_type */
	char description[KEYFERRY_DESCRIPTION_MAX + 16];
	char item[KEYFERRY_NAME_MAX + 1];
	uint64_t version;
	uint64_t expiry;			/* unix seconds, 0 = none */
};

struct kf_installed {
	unsigned int n;
	bool enrolled;				/* an enroll transfer succeeded */
	struct kf_installed_key keys[KEYFERRY_MAX_ITEMS];
};

/*
 * TRANSFER_FINISH: hand the distributor's message 2 to the module.
 * keyring: 0 for the module's keyring, else a serial or KEY_SPEC_* id.
 */
int kf_genl_transfer_finish(struct kf_genl *g, uint32_t transfer_id,
			    const uint8_t *msg2, size_t len, int32_t keyring,
			    struct kf_installed *out);

/*
 * Give up a transfer whose reply never came, so it does not hold one of
 * the module's KEYFERRY_MAX_PENDING slots until it times out: a transfer
 * is consumed by its first TRANSFER_FINISH, and a one-byte message is
 * refused (EMSGSIZE) without any other effect.
 */
void kf_genl_transfer_abandon(struct kf_genl *g, uint32_t transfer_id);

/* KEY_LIST dump; calls fn for each key, stops at its negative return. */
int kf_genl_key_list(struct kf_genl *g,
		     int (*fn)(const struct kf_installed_key *key, void *arg),
		     void *arg);

const char *kf_key_type_name(uint8_t type);

const char *kf_genl_entity_state_name(uint8_t state);

#endif /* KEYFERRY_GENL_H */
