/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Drives keyferry.ko into the states worth fuzzing, through the helper's
 * netlink client (userspace/keyferry/genl.h) and libkeyferry, as
 * test_transfer.c does: the driver plays the distributor (its key Kd is
 * pinned in the entity it makes) and the data owner (it seals the items).
 *
 * It makes an entity and enrolls it, delivers keys of every type (logon,
 * user, fscrypt-provisioning, unwrapping keys and items sealed under
 * them), and prepares TRANSFER_FINISH requests for transfers it leaves
 * pending, answered with a valid reply or with what a hostile distributor
 * could send under a valid session: a mutated payload, an item whose
 * policy or sealed blob was altered, any status.  Every message the
 * helper's client sends is recorded as a reusable fuzzing seed; prepared
 * requests become one-shot seeds.  The fuzzer may replace the entity or
 * fill the pending slots at any time: the driver notices and makes its
 * state again.
 */
#ifndef KEYFERRY_SELFTEST_KFDRIVE_H
#define KEYFERRY_SELFTEST_KFDRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keyutils.h>

#include "nlfuzz.h"
#include "userspace/keyferry/genl.h"

enum kfd_reply {
	KFD_VALID,
	KFD_STATUS,		/* an authenticated refusal, any status value */
	KFD_BAD_PAYLOAD,	/* the reply's plaintext mutated, then sealed */
	KFD_BAD_POLICY,		/* an item's policy mutated (and bound so) */
	KFD_BAD_SEALED,		/* an item's sealed blob mutated */
	KFD_FORBIDDEN,		/* the authenticated refusal "forbidden" */
	KFD_N_REPLY
};

#define KFD_NAME_MAX	48
#define KFD_OWNER_NAME	"fz"	/* the data owner whose key Ko the entity pins */

struct kfd_item {
	char name[KFD_NAME_MAX];
	uint8_t type;			/* enum kf_key_type */
	char desc[KFD_NAME_MAX];
	uint16_t size;
	uint32_t timeout;		/* seconds, 0 = none */
	char unwrap[KFD_NAME_MAX];	/* "": sealed to Kec; else this unwrapping key */
};

struct kfd;

/* The helper's client opened; seeds go to fuzz (which also draws choices). */
struct kfd *kfd_new(struct nlf *fuzz);
void kfd_free(struct kfd *d);
struct kf_genl *kfd_genl(struct kfd *d);
const uint8_t *kfd_kei(const struct kfd *d);

/* ENTITY_CREATE with REPLACE: a new entity pinning the driver's Kd. */
int kfd_entity(struct kfd *d);
/*
 * The ENTITY_CREATE request kfd_entity would send now (REPLACE with
 * CONFIRM_KEI naming the current identity, version 2), not sent.
 */
int kfd_entity_msg(struct kfd *d, uint8_t *buf, size_t cap, size_t *len);
int kfd_enroll(struct kfd *d);
/* The entity is the driver's and enrolled; made so when it is not. */
int kfd_ensure(struct kfd *d);
/* begin, answer (valid), finish: the keys installed. */
int kfd_deliver(struct kfd *d, const struct kfd_item *it, unsigned int n,
		int32_t keyring);
/*
 * TRANSFER_BEGIN now, and the TRANSFER_FINISH request answering it (not
 * sent) in buf; keyring 0 names none (the module's).
 */
int kfd_finish_msg(struct kfd *d, const struct kfd_item *it, unsigned int n,
		   enum kfd_reply kind, int32_t keyring, uint8_t *buf,
		   size_t cap, size_t *len);
/* The same for an enroll transfer; bad: the reply binds another name. */
int kfd_enroll_finish_msg(struct kfd *d, bool bad, uint8_t *buf, size_t cap,
			  size_t *len);
/* The last request the helper's client sent. */
int kfd_last_sent(struct kfd *d, uint8_t *buf, size_t cap, size_t *len);

/* 1 to max random items, names from a small set so keys replace keys. */
unsigned int kfd_random_items(struct kfd *d, struct kfd_item *it,
			      unsigned int max);
/* While fuzzing: state checked, one-shot seeds made, sometimes a delivery. */
int kfd_step(struct kfd *d);

/*
 * Everything undone: every key the module installed (wherever it went)
 * invalidated and unlinked, the collector run until the module tracks
 * nothing, the entity replaced (no pending transfer, no unwrapping key).
 * 0 when the module's gauges say so, -EBUSY otherwise.
 */
int kfd_teardown(struct kfd *d);

/*
 * fn for every key linked in ring whose description starts "keyferry:"
 * (valid keys only); how many, or the -errno of reading the keyring.
 */
typedef void (*kfd_key_fn)(key_serial_t ring, key_serial_t id,
			   const char *desc, void *arg);
int kfd_keyring_keys(key_serial_t ring, kfd_key_fn fn, void *arg);

struct kfd_counts {
	unsigned long deliveries, delivered_keys, oneshots, entities, enrolls;
	unsigned long busy;		/* TRANSFER_BEGIN refused: slots full */
};
const struct kfd_counts *kfd_counts(const struct kfd *d);

#endif /* KEYFERRY_SELFTEST_KFDRIVE_H */
