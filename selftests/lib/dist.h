/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM tests' distributor and data owner: libkeyferry (OpenSSL) on one
 * side, keyferry.ko (kernel crypto API) on the other, through the helper's
 * netlink client.  The two implementations share no code, so every key
 * that arrives proves they agree on docs/protocol.md.
 *
 * A test gets an enrolled entity (dist_env_init) whose region pins one
 * owner key, "ops"; it seals items as that owner (or any other key it
 * likes, playing a hostile party), answers the module's message 1 with
 * them, and hands message 2 back.  Everything the test sent is kept in
 * env->reply, so a test can replay stored blobs the way a distributor
 * that kept them would.
 */
#ifndef KEYFERRY_SELFTEST_DIST_H
#define KEYFERRY_SELFTEST_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/keyferry/genl.h"
#include "userspace/lib/keyferry.h"

#define DIST_REGION	"eu-west/rack7"
#define DIST_ENTITY	"host-0042"
#define DIST_OWNER	"ops"
#define KEY_SPEC_SESSION_KEYRING	-3

struct dist_key {
	uint8_t priv[KF_KEY_SIZE];
	uint8_t pub[KF_KEY_SIZE];
};

/* One item of a reply, as the distributor sends it and the owner sealed it. */
struct item_spec {
	const char *name;		/* in the reply */
	const char *seal_name;		/* bound in the seal; NULL: name */
	struct kf_policy pol;
	const uint8_t *key;
	size_t key_len;
	uint64_t version;		/* 0: 1 */
	const uint8_t *kw;		/* alg 2: sealed under this unwrapping key */
	const struct dist_key *owner;	/* alg 1: sealed by this; NULL: ops */
	const uint8_t *kec_pub;		/* NULL: the entity's own Kec */
	const uint8_t *raw_policy;	/* instead of encoding pol */
	size_t raw_policy_len;
	const uint8_t *seal_policy;	/* seal binding this, send pol */
	size_t seal_policy_len;
	const uint8_t *sealed;		/* send this stored blob as it is */
	size_t sealed_len;
};

struct env {
	struct kf_genl g;
	struct dist_key kd;		/* the distributor's keys, both pinned */
	struct dist_key kd2;
	struct dist_key ko;		/* the owner "ops", pinned */
	uint8_t kei_pub[KF_KEY_SIZE];
	uint8_t kec_pub[KF_KEY_SIZE];
	struct kf_message *m1;
	struct kf_reply *reply;		/* the last reply made, items included */
	uint8_t payload[KF_MESSAGE_MAX];
	uint8_t m2[KF_MESSAGE_MAX + 64];
	size_t m2_len;
	uint32_t id;
};

/*
 * Load the module, make fresh distributor and owner keys, and give the
 * module a new identity (replacing any) pinning them, enrolled.
 */
int dist_env_init(struct env *e);
void dist_env_fini(struct env *e);
/* A new identity (REPLACE with CONFIRM_KEI when one exists), not enrolled. */
int dist_entity(struct env *e, bool two_dkeys);
/* Enroll the current identity (the distributor's side included). */
int dist_enroll(struct env *e);
/* The distributor's side of an enroll: check the request, bind a name. */
int dist_answer_enroll(struct env *e, const uint8_t *token, size_t token_len,
		       const uint8_t *nonce, const char *bound_name);

/* TRANSFER_BEGIN for the items' names. */
int dist_begin(struct env *e, const struct item_spec *items, unsigned int n);
/* Read the pending message 1 with d; answer with the items, or a status. */
int dist_answer(struct env *e, const struct dist_key *d,
		const struct item_spec *items, unsigned int n, uint32_t status);
/*
 * Answer the pending message 1 with a reply payload written by hand (one
 * the library would refuse to encode, such as a status it no longer sends).
 */
int dist_answer_raw(struct env *e, const uint8_t *payload, size_t len);
/* TRANSFER_FINISH with e->m2; keyring 0 is the module's. */
int dist_finish(struct env *e, int32_t keyring, struct kf_installed *out);
/* begin + answer (with kd) + finish */
int dist_deliver(struct env *e, const struct item_spec *items, unsigned int n,
		 int32_t keyring, struct kf_installed *out);

/* The module's events, as a listener on its multicast group sees them. */
struct dist_event {
	uint8_t type;
	uint8_t reason;
	uint32_t err;
	uint32_t revoked_keys;
	char item[KEYFERRY_NAME_MAX + 1];
	bool has_key;
	struct kf_installed_key key;
};

struct dist_events {
	struct nl_sock *sk;
	unsigned int n;
	struct dist_event ev[128];
};

int dist_events_open(struct dist_events *ev);
/* Receive for up to ms milliseconds (or until nothing comes for 300 ms). */
void dist_events_poll(struct dist_events *ev, int ms);
void dist_events_close(struct dist_events *ev);
/* The first event of that type (and reason, unless 0) about serial; NULL. */
const struct dist_event *dist_event_find(const struct dist_events *ev, uint8_t type,
					 uint8_t reason, int32_t serial);
/*
 * Receive until that event (dist_event_find) has come, for up to secs by
 * the clock: the collector sends it from a work item, after it revoked the
 * key, so seeing the key revoked does not mean the event is queued yet.
 */
const struct dist_event *dist_events_wait(struct dist_events *ev, uint8_t type,
					  uint8_t reason, int32_t serial, int secs);

void dist_policy(struct kf_policy *p, uint8_t type, uint16_t size);
/* A counter of /sys/kernel/debug/keyferry/stats, or -1. */
long dist_stat(const char *name);
/* Whether KEY_LIST lists a key of that description: 1, 0, or -errno. */
int dist_listed(struct kf_genl *g, const char *desc);

#endif /* KEYFERRY_SELFTEST_DIST_H */
