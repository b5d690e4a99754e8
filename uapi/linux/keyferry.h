/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * keyferry: the netlink contract between the in-kernel secure processor
 * (keyferry.ko) and the untrusted helper in userspace.
 *
 * The module is reached through the generic netlink family "keyferry"
 * (KEYFERRY_GENL_NAME), version KEYFERRY_GENL_VERSION.  Every command needs
 * CAP_NET_ADMIN in the initial network namespace and every attribute is
 * validated strictly: an attribute a command does not take, an unknown
 * attribute or one of the wrong size is refused with EINVAL (ERANGE for a
 * too-long binary) and an extended-ack message.  No command ever returns a
 * private key, a delivered key or an unwrapping key.
 *
 * KEYFERRY_CMD_GET_STATUS
 *   Request:  no attributes.
 *   Reply:    FAMILY_VERSION, MODULE_VERSION, ENTITY_STATE, ENROLLED,
 *             PENDING_TRANSFERS, INSTALLED_KEYS, KEYRING (the module's own
 *             keyring), and when an entity exists: REGION, ENTITY_NAME,
 *             KEI_PUB, KEC_PUB, DISTRIBUTOR_KEYS.
 *
 * KEYFERRY_CMD_ENTITY_CREATE
 *   Request:  REGION, ENTITY_NAME, DISTRIBUTOR_KEYS (nested, 1 to
 *             KEYFERRY_MAX_DISTRIBUTOR_KEYS DISTRIBUTOR_KEY), optional
 *             REPLACE (flag).
 *   Reply:    KEI_PUB, KEC_PUB.
 *   Generates the identity key Kei and the confidentiality key Kec inside
 *   the kernel.  EEXIST when an entity exists and REPLACE is not given.
 *   Replacing forgets the old keys, pending transfers and unwrapping keys.
 *
 * KEYFERRY_CMD_TRANSFER_BEGIN
 *   Request:  TRANSFER_KIND (default FETCH); for FETCH: ITEMS (nested,
 *             1 to KEYFERRY_MAX_ITEMS ITEM_NAME); for ENROLL: ENROLL_TOKEN,
 *             ENROLL_NONCE; optional DISTRIBUTOR_KEY (one of the pinned
 *             keys; default the first).
 *   Reply:    TRANSFER_ID, MESSAGE (handshake message 1, to be relayed to
 *             the distributor).
 *   At most KEYFERRY_MAX_PENDING transfers are pending (EBUSY beyond);
 *   a pending transfer is forgotten after KEYFERRY_TRANSFER_TIMEOUT_SECS.
 *   Errors: ENOKEY no entity yet, EKEYREJECTED DISTRIBUTOR_KEY is not one
 *   of the pinned keys, EBUSY too many pending, EINVAL attributes that do
 *   not fit the kind (items for an enroll, no token for an enroll, ...).
 *
 * KEYFERRY_CMD_TRANSFER_FINISH
 *   Request:  TRANSFER_ID, MESSAGE (the distributor's handshake message 2),
 *             optional KEYRING (serial or special id such as
 *             KEY_SPEC_SESSION_KEYRING; the caller needs write permission;
 *             default the module's keyring).
 *   Reply:    for FETCH: KEYS (nested KEY entries); for ENROLL: ENROLLED.
 *   The KEYRING is checked first, before the transfer is looked up: one the
 *   caller may not write to is refused with the keyring lookup's errno
 *   (EACCES, ENOKEY, ...), or ENOTDIR when it is not a keyring, and the
 *   transfer stays pending.  After that, a transfer id is consumed by its
 *   first TRANSFER_FINISH, successful or not.  The whole reply is verified
 *   before anything is installed; on any error nothing is installed.
 *   Errors (see docs/protocol.md):
 *     ENOENT        unknown, expired or already finished transfer id
 *     ERANGE        MESSAGE longer than KEYFERRY_MESSAGE_MAX (policy)
 *     EMSGSIZE      MESSAGE truncated
 *     EPROTONOSUPPORT wrong message type or version
 *     ESRCH         the reply belongs to another transfer
 *     EKEYREJECTED  the reply comes from another distributor key
 *     EBADMSG       the outer (session) layer failed authentication
 *     EPROTO        the decrypted reply or an item is malformed
 *     ENOKEY        an item is sealed to another entity or to an
 *                   unwrapping key this module does not hold
 *     EBADE         an item's inner (confidentiality) layer fails
 *                   authentication: sealed blob or its policy altered
 *     EOPNOTSUPP    a policy the module does not understand
 *     EKEYEXPIRED   the policy's validity window excludes now
 *     ENOSPC        the reply needs more than 64 unwrapping keys held
 *     and the distributor's authenticated refusals: EACCES (forbidden),
 *     EKEYREVOKED (entity revoked), ENOENT (no such item), EAGAIN (rate
 *     limited), EPERM (bad or used enrollment token), EKEYEXPIRED (entity
 *     not valid now), EREMOTEIO (distributor internal error).
 *
 * KEYFERRY_CMD_KEY_LIST (dump)
 *   One KEY per message: what the module installed and still tracks,
 *   including the unwrapping keys it holds (KEY_TYPE_UNWRAP, serial 0).
 *
 * Multicast group KEYFERRY_MCGRP_EVENTS (CAP_NET_ADMIN to join) carries
 * KEYFERRY_CMD_EVENT messages: EVENT_TYPE, ITEM_NAME, and KEY or ERRNO.
 */
#ifndef _UAPI_LINUX_KEYFERRY_H
#define _UAPI_LINUX_KEYFERRY_H

#define KEYFERRY_GENL_NAME	"keyferry"
#define KEYFERRY_GENL_VERSION	1
#define KEYFERRY_MCGRP_EVENTS	"events"

#define KEYFERRY_KEY_SIZE		32	/* X25519 public key */
#define KEYFERRY_NONCE_SIZE		32	/* enrollment nonce */
#define KEYFERRY_MAX_DISTRIBUTOR_KEYS	4
#define KEYFERRY_MAX_ITEMS		16
#define KEYFERRY_MAX_PENDING		64
#define KEYFERRY_TRANSFER_TIMEOUT_SECS	60
#define KEYFERRY_MESSAGE_MAX		32768
#define KEYFERRY_NAME_MAX		255	/* region, entity, item names */
#define KEYFERRY_DESCRIPTION_MAX	128
#define KEYFERRY_TOKEN_MAX		256

enum keyferry_cmd {
	KEYFERRY_CMD_UNSPEC,
	KEYFERRY_CMD_GET_STATUS,
	KEYFERRY_CMD_ENTITY_CREATE,
	KEYFERRY_CMD_TRANSFER_BEGIN,
	KEYFERRY_CMD_TRANSFER_FINISH,
	KEYFERRY_CMD_KEY_LIST,
	KEYFERRY_CMD_EVENT,
	__KEYFERRY_CMD_MAX
};

#define KEYFERRY_CMD_MAX (__KEYFERRY_CMD_MAX - 1)

enum keyferry_attr {
	KEYFERRY_A_UNSPEC,
	KEYFERRY_A_FAMILY_VERSION,	/* u32 */
	KEYFERRY_A_MODULE_VERSION,	/* string */
	KEYFERRY_A_ENTITY_STATE,	/* u8, enum keyferry_entity_state */
	KEYFERRY_A_ENROLLED,		/* u8, 0 or 1 */
	KEYFERRY_A_REGION,		/* string */
	KEYFERRY_A_ENTITY_NAME,		/* string */
	KEYFERRY_A_DISTRIBUTOR_KEYS,	/* nested: DISTRIBUTOR_KEY... */
	KEYFERRY_A_DISTRIBUTOR_KEY,	/* binary, 32 bytes */
	KEYFERRY_A_REPLACE,		/* flag */
	KEYFERRY_A_KEI_PUB,		/* binary, 32 bytes */
	KEYFERRY_A_KEC_PUB,		/* binary, 32 bytes */
	KEYFERRY_A_TRANSFER_KIND,	/* u8, enum keyferry_transfer_kind */
	KEYFERRY_A_ITEMS,		/* nested: ITEM_NAME... */
	KEYFERRY_A_ITEM_NAME,		/* string */
	KEYFERRY_A_ENROLL_TOKEN,	/* binary, 1..KEYFERRY_TOKEN_MAX */
	KEYFERRY_A_ENROLL_NONCE,	/* binary, 32 bytes */
	KEYFERRY_A_TRANSFER_ID,		/* u32 */
	KEYFERRY_A_MESSAGE,		/* binary, handshake message */
	KEYFERRY_A_KEYRING,		/* s32, key serial or KEY_SPEC_* */
	KEYFERRY_A_KEYS,		/* nested: KEY... */
	KEYFERRY_A_KEY,			/* nested: KEY_* below */
	KEYFERRY_A_KEY_SERIAL,		/* s32 (0 for unwrapping keys) */
	KEYFERRY_A_KEY_TYPE,		/* u8, enum keyferry_key_type */
	KEYFERRY_A_KEY_DESCRIPTION,	/* string, as in the keyring */
	KEYFERRY_A_ITEM_VERSION,	/* u64 */
	KEYFERRY_A_KEY_EXPIRY,		/* u64, unix seconds, 0 = none */
	KEYFERRY_A_PENDING_TRANSFERS,	/* u32 */
	KEYFERRY_A_INSTALLED_KEYS,	/* u32 */
	KEYFERRY_A_EVENT_TYPE,		/* u8, enum keyferry_event_type */
	KEYFERRY_A_ERRNO,		/* u32, positive errno of a refusal */
	KEYFERRY_A_PAD,
	__KEYFERRY_A_MAX
};

#define KEYFERRY_A_MAX (__KEYFERRY_A_MAX - 1)

enum keyferry_entity_state {
	KEYFERRY_ENTITY_NONE,		/* no entity keys yet */
	KEYFERRY_ENTITY_CREATED,	/* keys made, not confirmed by a distributor */
	KEYFERRY_ENTITY_ENROLLED,	/* a distributor confirmed enrollment */
};

enum keyferry_transfer_kind {
	KEYFERRY_TRANSFER_FETCH = 1,
	KEYFERRY_TRANSFER_ENROLL = 2,
};

/* Values of the policy's key type; see docs/protocol.md. */
enum keyferry_key_type {
	KEYFERRY_KEY_TYPE_LOGON = 1,
	KEYFERRY_KEY_TYPE_USER = 2,
	KEYFERRY_KEY_TYPE_FSCRYPT = 3,	/* "fscrypt-provisioning" */
	KEYFERRY_KEY_TYPE_UNWRAP = 4,	/* kept inside the module */
};

enum keyferry_event_type {
	KEYFERRY_EVENT_INSTALLED = 1,
	KEYFERRY_EVENT_EXPIRED = 2,
	KEYFERRY_EVENT_REFUSED = 3,
};

#endif /* _UAPI_LINUX_KEYFERRY_H */
