/* SPDX-License-Identifier: MIT */
/*
 * The helper's side of the netlink contract (uapi/linux/keyferry.h), on
 * libnl-genl.  Each call sends one request and collects the reply; errors
 * are negative errnos, and the kernel's extended-ack message, when it sent
 * one, is kept in kf_genl.ext_msg for the caller to show.
 *
 * genl.c: the socket and the exchange; genl_entity.c: GET_STATUS,
 * ENTITY_CREATE, OWNER_ADD and OWNER_RETIRE; genl_transfer.c:
 * TRANSFER_BEGIN and TRANSFER_FINISH; genl_keys.c: the installed keys and
 * KEY_LIST; genl_identity.c: the identity blob (IDENTITY_EXPORT, IMPORT,
 * COMMIT).  Privilege: GET_STATUS and KEY_LIST need CAP_NET_ADMIN, every
 * other command CAP_SYS_ADMIN too (-EPERM otherwise).
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

/* An owner key pinned in the module: Ko-pub under the owner's name. */
struct kf_owner_key {
	char name[KEYFERRY_OWNER_NAME_MAX + 1];
	uint8_t key[KEYFERRY_KEY_SIZE];
};

struct kf_module_status {
	uint32_t family_version;
	char module_version[64];
	uint8_t entity_state;
	bool enrolled;
	uint32_t pending_transfers;
	uint32_t installed_keys;
	uint32_t version_records;
	int32_t keyring;			/* module keyring serial, 0 = unknown */
	char region[KEYFERRY_NAME_MAX + 1];	/* "" = no entity */
	char entity_name[KEYFERRY_NAME_MAX + 1];
	bool has_keys;
	uint8_t kei_pub[KEYFERRY_KEY_SIZE];
	uint8_t kec_pub[KEYFERRY_KEY_SIZE];
	unsigned int n_distributor_keys;
	uint8_t distributor_keys[KEYFERRY_MAX_DISTRIBUTOR_KEYS][KEYFERRY_KEY_SIZE];
	unsigned int n_owners;
	struct kf_owner_key owners[KEYFERRY_MAX_OWNER_KEYS];
	uint8_t seat;				/* enum keyferry_seat */
	uint32_t seat_pcrs;			/* TPM: the PCRs it is bound to */
	uint64_t epoch;				/* of the last TPM blob */
	uint64_t state_gen;			/* the module's state generation */
	uint64_t sealed_gen;			/* ...of the blob last saved or loaded */
};

int kf_genl_get_status(struct kf_genl *g, struct kf_module_status *st);

/* ENTITY_CREATE's request. */
struct kf_entity_request {
	const char *region;
	const char *name;
	const uint8_t (*distributor_keys)[KEYFERRY_KEY_SIZE];
	unsigned int n_distributor_keys;
	const struct kf_owner_key *owners;	/* pinned with the identity */
	unsigned int n_owners;
	bool replace;				/* replace an existing identity... */
	const uint8_t *confirm_kei;		/* ...whose Kei-pub this is */
};

/* ENTITY_CREATE's attributes into msg (a request not sent yet). */
int kf_genl_entity_put(struct nl_msg *msg, const struct kf_entity_request *req);
/* ENTITY_CREATE: make Kei and Kec in the kernel; returns their public halves. */
int kf_genl_entity_create(struct kf_genl *g, const struct kf_entity_request *req,
			  uint8_t kei_pub[KEYFERRY_KEY_SIZE],
			  uint8_t kec_pub[KEYFERRY_KEY_SIZE]);

/* OWNER_ADD and OWNER_RETIRE: pin or unpin an owner's key (Ko-pub). */
int kf_genl_owner_add(struct kf_genl *g, const char *name,
		      const uint8_t key[KEYFERRY_KEY_SIZE]);
int kf_genl_owner_retire(struct kf_genl *g, const uint8_t key[KEYFERRY_KEY_SIZE]);

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
	char description[KEYFERRY_DESCRIPTION_MAX + 1];
	char owner[KEYFERRY_OWNER_NAME_MAX + 1];
	char item[KEYFERRY_NAME_MAX + 1];
	uint64_t version;
	uint64_t expiry;			/* unix seconds, 0 = none */
	uint64_t renew_by;			/* unix seconds, 0 = no lease */
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

/* One KEYFERRY_A_KEY nest, as TRANSFER_FINISH, KEY_LIST and events carry it. */
int kf_genl_parse_key(struct nlattr *attr, struct kf_installed_key *k);

const char *kf_key_type_name(uint8_t type);

const char *kf_genl_entity_state_name(uint8_t state);

/*
 * The identity blob (genl_identity.c).  EXPORT: seat_key and kdf_params
 * only for a passphrase identity's first export; the blob (at most cap
 * bytes) and the epoch to commit once it is on disk (TPM).
 */
int kf_genl_identity_export(struct kf_genl *g, uint8_t seat,
			    const uint8_t *seat_key, const uint8_t *kdf_params,
			    uint8_t *blob, size_t cap, size_t *len,
			    uint64_t *epoch);
/* The same, with SEAT_PCRS when pcrs is given (a TPM identity's first). */
int kf_genl_identity_export_pcrs(struct kf_genl *g, uint8_t seat, const uint32_t *pcrs,
				 const uint8_t *seat_key, const uint8_t *kdf_params,
				 uint8_t *blob, size_t cap, size_t *len, uint64_t *epoch);
/* The same, and the state generation the blob holds into *state_gen. */
int kf_genl_identity_export_gen(struct kf_genl *g, uint8_t seat, const uint32_t *pcrs,
				const uint8_t *seat_key, const uint8_t *kdf_params,
				uint8_t *blob, size_t cap, size_t *len, uint64_t *epoch,
				uint64_t *state_gen);

struct kf_identity_info {
	uint8_t seat;
	uint32_t pcrs;
	uint64_t epoch;
	uint64_t state_gen;			/* the imported state's generation */
	uint8_t entity_state;
	char region[KEYFERRY_NAME_MAX + 1];
	char entity_name[KEYFERRY_NAME_MAX + 1];
	uint8_t kei_pub[KEYFERRY_KEY_SIZE];
	uint8_t kec_pub[KEYFERRY_KEY_SIZE];
};

int kf_genl_identity_import(struct kf_genl *g, const uint8_t *blob, size_t len,
			    const uint8_t *seat_key, bool replace,
			    struct kf_identity_info *info);
int kf_genl_identity_commit(struct kf_genl *g, uint64_t epoch);
const char *kf_seat_name(uint8_t seat);

#endif /* KEYFERRY_GENL_H */
