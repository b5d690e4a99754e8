/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the files of keyferry.ko.  One file per
 * responsibility: main.c (load/unload), netlink.c (the generic netlink
 * family), entity.c (the host's entity keys and state).
 */
#ifndef _KEYFERRY_H
#define _KEYFERRY_H

#include <linux/types.h>
#include <linux/mutex.h>
#include "../uapi/linux/keyferry.h"

#define KF_LOG_PREFIX "keyferry: "

/* entity.c: the host's identity.  All fields under kf_entity_lock. */
struct kf_entity_status {
	u8 state;			/* enum keyferry_entity_state */
	u32 pending_transfers;
	u32 installed_keys;
};

int kf_entity_init(void);
void kf_entity_exit(void);
void kf_entity_get_status(struct kf_entity_status *st);

/* netlink.c */
int kf_netlink_init(void);
void kf_netlink_exit(void);

#endif /* _KEYFERRY_H */
