/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * keyferry: the netlink contract between the in-kernel secure processor
 * (keyferry.ko) and the untrusted helper in userspace.  Protocol version 2
 * (docs/protocol.md).
 *
 * The module is reached through the generic netlink family "keyferry"
 * (KEYFERRY_GENL_NAME), version KEYFERRY_GENL_VERSION, in the initial
 * network namespace only.  Privilege:
 *   - every command needs CAP_NET_ADMIN (GENL_ADMIN_PERM), and so does
 *     joining the events group;
 *   - every command that changes state (ENTITY_CREATE, OWNER_ADD,
 *     OWNER_RETIRE, TRANSFER_BEGIN, TRANSFER_FINISH, IDENTITY_EXPORT,
 *     IDENTITY_IMPORT, IDENTITY_COMMIT) also needs CAP_SYS_ADMIN in the
 *     initial user namespace: EPERM and an extack message otherwise.
 *     GET_STATUS and KEY_LIST need CAP_NET_ADMIN only.
 * Numbering: the identity commands and attributes keep the numbers main
 * shipped them with; version 2's (OWNER_ADD.., OWNER_KEYS..) follow.
 * Every attribute is validated strictly: an attribute a command does not
 * take, an unknown attribute or one of the wrong size is refused with EINVAL
 * (ERANGE for a too-long binary) and an extended-ack message.  No command
 * ever returns a private key, a delivered key or an unwrapping key.
 *
 * KEYFERRY_CMD_GET_STATUS
 *   Request:  no attributes.
 *   Reply:    FAMILY_VERSION, MODULE_VERSION, ENTITY_STATE, ENROLLED,
 *             PENDING_TRANSFERS, INSTALLED_KEYS, VERSION_RECORDS, KEYRING
 *             (the module's own keyring), and when an entity exists:
 *             REGION, ENTITY_NAME, KEI_PUB, KEC_PUB, DISTRIBUTOR_KEYS,
 *             OWNER_KEYS (nested OWNER entries; the nest is empty when no
 *             owner key is pinned), SEAT (which seat of trust holds the
 *             identity), SEAT_PCRS, IDENTITY_EPOCH; always STATE_GEN,
 *             the state generation, and SEALED_GEN, the generation of the
 *             newest blob saved (a passphrase export, a TPM export once
 *             committed) or imported (0: none).
 *   The state generation is raised at every change of what an identity
 *   blob carries (a new or replaced entity, enrollment, revocation, an
 *   owner key pinned or retired, a version record added or raised; not
 *   a renewal of the same version) and never goes down while the module
 *   is loaded: STATE_GEN != SEALED_GEN means the saved blob is behind.
 *
 * KEYFERRY_CMD_ENTITY_CREATE
 *   Request:  REGION, ENTITY_NAME, DISTRIBUTOR_KEYS (nested, 1 to
 *             KEYFERRY_MAX_DISTRIBUTOR_KEYS DISTRIBUTOR_KEY), optional
 *             OWNER_KEYS (nested, 0 to KEYFERRY_MAX_OWNER_KEYS OWNER, each
 *             OWNER_NAME and OWNER_KEY), optional REPLACE (flag) with
 *             CONFIRM_KEI.
 *   Reply:    KEI_PUB, KEC_PUB.
 *   Generates the identity key Kei and the confidentiality key Kec inside
 *   the kernel and pins the distributor and owner keys.  When an entity
 *   exists: EEXIST without REPLACE; with REPLACE, CONFIRM_KEI must equal
 *   the current Kei-pub (EINVAL when missing, EACCES when it differs), so
 *   that an identity is never replaced by accident; the replacement is
 *   logged (old and new kid).  Replacing forgets the old Kei and Kec, the
 *   pinned keys, pending transfers, unwrapping keys and version records;
 *   keys already installed in keyrings keep their lifetimes.  It is also
 *   the only way out of REVOKED.  CONFIRM_KEI without REPLACE is EINVAL.
 *
 * KEYFERRY_CMD_OWNER_ADD
 *   Request:  OWNER_NAME (1 to KEYFERRY_OWNER_NAME_MAX bytes of
 *             [A-Za-z0-9._-]), OWNER_KEY (the owner's X25519 Ko-pub).
 *   Pins one more owner key for the entity's region; items sealed by it
 *   are accepted from now on.  Two keys may carry one owner name (a
 *   rotation: both are the same owner's).  Errors: ENOKEY no entity,
 *   EEXIST the key is already pinned, ENOSPC KEYFERRY_MAX_OWNER_KEYS
 *   pinned, EINVAL a bad name or an all-zero key.
 *
 * KEYFERRY_CMD_OWNER_RETIRE
 *   Request:  OWNER_KEY.
 *   Unpins it: items sealed by that key are refused (EKEYREJECTED) from
 *   now on; keys it already installed stay until their lifetime or a
 *   revocation ends them.  Errors: ENOKEY no entity, ENOENT not pinned.
 *
 * KEYFERRY_CMD_TRANSFER_BEGIN
 *   Request:  TRANSFER_KIND (default FETCH); for FETCH: ITEMS (nested,
 *             1 to KEYFERRY_MAX_ITEMS ITEM_NAME); for ENROLL: ENROLL_TOKEN,
 *             ENROLL_NONCE; optional DISTRIBUTOR_KEY (one of the pinned
 *             keys; default the first).
 *   Reply:    TRANSFER_ID, MESSAGE (handshake message 1, to be relayed to
 *             the distributor; its request carries a TIMESTAMP strictly
 *             greater than any the module wrote before).
 *   At most KEYFERRY_MAX_PENDING transfers are pending (EBUSY beyond);
 *   a pending transfer is forgotten after KEYFERRY_TRANSFER_TIMEOUT_SECS.
 *   Errors: ENOKEY no entity yet, or a FETCH before enrollment;
 *   EKEYREVOKED the entity is revoked (only ENTITY_CREATE with REPLACE
 *   leaves that state); EKEYREJECTED DISTRIBUTOR_KEY is not one of the
 *   pinned keys; EBUSY too many pending; EINVAL attributes that do not fit
 *   the kind (items for an enroll, no token for an enroll, ...).
 *
 * KEYFERRY_CMD_TRANSFER_FINISH
 *   Request:  TRANSFER_ID, MESSAGE (the distributor's handshake message 2),
 *             optional KEYRING (serial or special id such as
 *             KEY_SPEC_SESSION_KEYRING; default the module's keyring).
 *   Reply:    for FETCH: KEYS (nested KEY entries); for ENROLL: ENROLLED.
 *   The KEYRING is checked first, before the transfer is looked up: one the
 *   caller may not write to is refused with the keyring lookup's errno
 *   (EACCES, ENOKEY, ...), ENOTDIR when it is not a keyring, EACCES when
 *   it is owned by a user other than root; the transfer stays pending.
 *   After that, a transfer id is consumed by its first TRANSFER_FINISH,
 *   successful or not.  The whole reply is verified before anything is
 *   installed; on any error nothing is installed, replaced or unlinked.
 *   Errors, each with an extack message (see docs/protocol.md 3.4):
 *     ENOENT        unknown, expired or already finished transfer id
 *     ERANGE        MESSAGE longer than KEYFERRY_MESSAGE_MAX (policy)
 *     EMSGSIZE      MESSAGE truncated
 *     EPROTONOSUPPORT wrong message type or version
 *     ESRCH         the reply belongs to another transfer
 *     EREMCHG       the reply comes from another distributor key
 *     EBADMSG       the outer (session) layer failed authentication
 *     EPROTO        the decrypted reply or an item is malformed
 *     ENOKEY        an item is sealed to another entity or to an
 *                   unwrapping key this module does not hold
 *     EKEYREJECTED  an item is sealed by a key that is not a pinned owner
 *                   key of this region (never pinned, or retired)
 *     EOPNOTSUPP    a policy the module does not understand
 *     EBADE         an item's inner layer fails authentication: sealed
 *                   blob, its policy, name or version altered, or not
 *                   sealed by the owner key its header names
 *     ESTALE        an item's version is lower than the highest version of
 *                   that owner's item this host installed
 *     EKEYEXPIRED   the policy's validity window excludes now
 *     ENOSPC        the reply needs more than 64 unwrapping keys, more
 *                   than KEYFERRY_MAX_VERSION_RECORDS version records, or
 *                   more tracked keys than the module holds
 *     and the distributor's authenticated refusals: EACCES (unknown
 *     entity, or item not available), EKEYREVOKED (entity revoked: the
 *     module also revokes every key it installed, wipes its unwrapping
 *     keys, forgets its pending transfers, emits REVOKED events and moves
 *     to KEYFERRY_ENTITY_REVOKED), EAGAIN (rate limited), EPERM (bad or
 *     used enrollment token), EKEYEXPIRED (entity not valid now),
 *     EREMOTEIO (distributor internal error).
 *
 * KEYFERRY_CMD_KEY_LIST (dump)
 *   One KEY per message: what the module installed and still tracks,
 *   including the unwrapping keys it holds (KEY_TYPE_UNWRAP, serial 0).
 *
 * A KEY nest carries KEY_SERIAL, KEY_TYPE, KEY_DESCRIPTION (as in the
 * keyring: "keyferry:<owner>:<item>"; for an unwrapping key the name it is
 * held under, "<owner>:<item>"), OWNER_NAME, ITEM_NAME, ITEM_VERSION,
 * KEY_EXPIRY (when the module ends the key, in unix seconds as estimated at
 * installation; the module counts on CLOCK_BOOTTIME) and KEY_RENEW_BY (the
 * end of the owner's lease: fetch the item again before it).
 *
 * KEYFERRY_CMD_IDENTITY_EXPORT
 *   Request:  SEAT; for SEAT_PASSPHRASE the first time: SEAT_KEY (the
 *             passphrase stretched by scrypt in userspace) and KDF_PARAMS
 *             (the salt and cost it was stretched with); for SEAT_TPM,
 *             optional SEAT_PCRS the first time: the PCRs (SHA-256 bank)
 *             whose current values the TPM must see again to unseal.
 *   Reply:    IDENTITY_BLOB, IDENTITY_EPOCH, STATE_GEN (the generation
 *             of the state the blob holds).
 *   The entity's state (Kei, Kec, region, name, state, pinned keys) sealed
 *   by a seat of trust; the private keys never leave the module otherwise.
 *   An identity's seat is fixed by its first export or its import: another
 *   seat is refused (EPERM), and a passphrase identity re-exports under
 *   the passphrase it already has (SEAT_KEY again: EEXIST).  TPM exports
 *   reserve an epoch on the TPM's counter; the caller stores the blob
 *   durably, then sends IDENTITY_COMMIT with that epoch.
 *   Errors: ENOKEY no entity, ENODEV no TPM 2.0, EBUSY too many exports
 *   not committed, EIO the TPM failed.
 *
 * KEYFERRY_CMD_IDENTITY_IMPORT
 *   Request:  IDENTITY_BLOB, SEAT_KEY for a passphrase blob, optional
 *             REPLACE (flag).
 *   Reply:    SEAT, SEAT_PCRS, IDENTITY_EPOCH, ENTITY_STATE, REGION,
 *             ENTITY_NAME, KEI_PUB, KEC_PUB, STATE_GEN (the generation the
 *             imported state has now; SEALED_GEN becomes the same).
 *   Replaces nothing unless every check passed: EMSGSIZE truncated,
 *   EPROTO malformed, EPROTONOSUPPORT unknown format or seat, EKEYREJECTED
 *   the TPM refuses the sealed key (another TPM, or cleared, or a PCR it
 *   is bound to changed), EBADMSG the
 *   blob was altered (or, passphrase, the passphrase is wrong), ESTALE an
 *   older blob than the last one committed on this TPM, EEXIST an entity
 *   exists and REPLACE is not given, ENODEV no TPM.  A TPM import commits
 *   its epoch.
 *
 * KEYFERRY_CMD_IDENTITY_COMMIT
 *   Request:  IDENTITY_EPOCH (of a TPM blob exported on this TPM).
 *   Makes every TPM blob of an older epoch stale (ESTALE at import); an
 *   epoch already committed is a no-op.  Committing the newest export's
 *   epoch makes its STATE_GEN the SEALED_GEN.  Errors: EPERM the identity is not
 *   TPM-seated, ERANGE an epoch no export reserved, ENODEV, EIO.
 *
 * Multicast group KEYFERRY_MCGRP_EVENTS (CAP_NET_ADMIN to join) carries
 * KEYFERRY_CMD_EVENT messages, each with EVENT_TYPE:
 *   INSTALLED  ITEM_NAME, KEY: a key was installed (one event per key);
 *   EXPIRED    ITEM_NAME, KEY: the key reached the end of its lifetime
 *              (TIMEOUT or NOT_AFTER); the module revoked it;
 *   REFUSED    ERRNO, and ITEM_NAME when the refusal is about one item;
 *   REVOKED    REVOKE_REASON and, per key, ITEM_NAME and KEY: the module
 *              revoked that key (a keyring key) or wiped it (an unwrapping
 *              key) because its lease lapsed (REASON_LEASE) or the entity
 *              was revoked (REASON_ENTITY).  An entity revocation ends with
 *              one more REVOKED event without KEY, with REVOKED_KEYS (how
 *              many keys it ended).  Consumers that copied a key (dm-crypt
 *              tables, fscrypt) must be torn down on this event.
 */
#ifndef _UAPI_LINUX_KEYFERRY_H
#define _UAPI_LINUX_KEYFERRY_H

#define KEYFERRY_GENL_NAME	"keyferry"
#define KEYFERRY_GENL_VERSION	2
#define KEYFERRY_MCGRP_EVENTS	"events"

#define KEYFERRY_KEY_SIZE		32	/* X25519 public key */
#define KEYFERRY_NONCE_SIZE		32	/* enrollment nonce */
#define KEYFERRY_MAX_DISTRIBUTOR_KEYS	4
#define KEYFERRY_MAX_OWNER_KEYS		8
#define KEYFERRY_MAX_ITEMS		16
#define KEYFERRY_MAX_PENDING		64
#define KEYFERRY_MAX_VERSION_RECORDS	1024
#define KEYFERRY_TRANSFER_TIMEOUT_SECS	60
#define KEYFERRY_MESSAGE_MAX		32768
#define KEYFERRY_NAME_MAX		255	/* region, entity, item names */
#define KEYFERRY_OWNER_NAME_MAX		32	/* [A-Za-z0-9._-], no ':' */
/* "keyferry:" owner ":" item, the longest installed description */
#define KEYFERRY_DESCRIPTION_MAX	(9 + KEYFERRY_OWNER_NAME_MAX + 1 + \
					 KEYFERRY_NAME_MAX)
#define KEYFERRY_TOKEN_MAX		256
#define KEYFERRY_LEASE_MIN		60	/* seconds */
#define KEYFERRY_SEAT_KEY_SIZE		32	/* scrypt output */
/* scrypt salt (16), log2 N (1), r (4), p (4), reserved (3): docs/kernel.md */
#define KEYFERRY_KDF_PARAMS_SIZE	28
#define KEYFERRY_IDENTITY_MAX		65000	/* an identity blob's bytes */

enum keyferry_cmd {
	KEYFERRY_CMD_UNSPEC,
	KEYFERRY_CMD_GET_STATUS,
	KEYFERRY_CMD_ENTITY_CREATE,
	KEYFERRY_CMD_TRANSFER_BEGIN,
	KEYFERRY_CMD_TRANSFER_FINISH,
	KEYFERRY_CMD_KEY_LIST,
	KEYFERRY_CMD_EVENT,
	KEYFERRY_CMD_IDENTITY_EXPORT,
	KEYFERRY_CMD_IDENTITY_IMPORT,
	KEYFERRY_CMD_IDENTITY_COMMIT,
	KEYFERRY_CMD_OWNER_ADD,
	KEYFERRY_CMD_OWNER_RETIRE,
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
	KEYFERRY_A_ITEM_VERSION,	/* u64, from the owner's sealed header */
	KEYFERRY_A_KEY_EXPIRY,		/* u64, unix seconds, 0 = none */
	KEYFERRY_A_PENDING_TRANSFERS,	/* u32 */
	KEYFERRY_A_INSTALLED_KEYS,	/* u32 */
	KEYFERRY_A_EVENT_TYPE,		/* u8, enum keyferry_event_type */
	KEYFERRY_A_ERRNO,		/* u32, positive errno of a refusal */
	KEYFERRY_A_PAD,
	KEYFERRY_A_SEAT,		/* u8, enum keyferry_seat */
	KEYFERRY_A_SEAT_KEY,		/* binary, 32 bytes: stretched passphrase */
	KEYFERRY_A_KDF_PARAMS,		/* binary, KEYFERRY_KDF_PARAMS_SIZE */
	KEYFERRY_A_IDENTITY_BLOB,	/* binary, up to KEYFERRY_IDENTITY_MAX */
	KEYFERRY_A_IDENTITY_EPOCH,	/* u64 */
	KEYFERRY_A_SEAT_PCRS,		/* u32, mask of SHA-256 PCRs 0..23 */
	/* version 2 */
	KEYFERRY_A_OWNER_KEYS,		/* nested: OWNER... */
	KEYFERRY_A_OWNER,		/* nested: OWNER_NAME, OWNER_KEY */
	KEYFERRY_A_OWNER_NAME,		/* string, 1..KEYFERRY_OWNER_NAME_MAX */
	KEYFERRY_A_OWNER_KEY,		/* binary, 32 bytes (Ko-pub) */
	KEYFERRY_A_CONFIRM_KEI,		/* binary, 32 bytes: the current Kei-pub */
	KEYFERRY_A_KEY_RENEW_BY,	/* u64, unix seconds, 0 = no lease */
	KEYFERRY_A_REVOKE_REASON,	/* u8, enum keyferry_revoke_reason */
	KEYFERRY_A_REVOKED_KEYS,	/* u32, keys one revocation ended */
	KEYFERRY_A_VERSION_RECORDS,	/* u32, version records held */
	KEYFERRY_A_STATE_GEN,		/* u64, the state generation */
	KEYFERRY_A_SEALED_GEN,		/* u64, generation of the saved blob */
	__KEYFERRY_A_MAX
};

#define KEYFERRY_A_MAX (__KEYFERRY_A_MAX - 1)

enum keyferry_entity_state {
	KEYFERRY_ENTITY_NONE,		/* no entity keys yet */
	KEYFERRY_ENTITY_CREATED,	/* keys made, not confirmed by a distributor */
	KEYFERRY_ENTITY_ENROLLED,	/* a distributor confirmed enrollment */
	KEYFERRY_ENTITY_REVOKED,	/* a distributor said revoked: inert */
};

/* Who protects the exported identity (docs/kernel.md, "Seat of trust"). */
enum keyferry_seat {
	KEYFERRY_SEAT_NONE,		/* never exported nor imported */
	KEYFERRY_SEAT_TPM = 1,		/* a TPM 2.0 sealed object */
	KEYFERRY_SEAT_PASSPHRASE = 2,	/* a passphrase stretched by scrypt */
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
	KEYFERRY_EVENT_REVOKED = 4,
};

enum keyferry_revoke_reason {
	KEYFERRY_REVOKE_ENTITY = 1,	/* an authenticated "entity revoked" */
	KEYFERRY_REVOKE_LEASE = 2,	/* lease plus grace ran out */
};

#endif /* _UAPI_LINUX_KEYFERRY_H */
