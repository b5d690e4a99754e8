// SPDX-License-Identifier: GPL-2.0
/*
 * The host's entity: its state and, once created, its keys.
 *
 * Locking: kf_entity_lock protects everything here.  Generic netlink
 * already serialises our commands (the family is not parallel_ops), but
 * the lock also orders them against module unload and timers.
 */
#include "keyferry.h"

static DEFINE_MUTEX(kf_entity_lock);
static u8 kf_entity_state = KEYFERRY_ENTITY_NONE;

void kf_entity_get_status(struct kf_entity_status *st)
{
	mutex_lock(&kf_entity_lock);
	st->state = kf_entity_state;
	st->pending_transfers = 0;
	st->installed_keys = 0;
	mutex_unlock(&kf_entity_lock);
}

int kf_entity_init(void)
{
	return 0;
}

void kf_entity_exit(void)
{
	mutex_lock(&kf_entity_lock);
	kf_entity_state = KEYFERRY_ENTITY_NONE;
	mutex_unlock(&kf_entity_lock);
}
