/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, force-included into every file of the module
 * (see Kbuild), so that the rest of the code is written once, to the 6.1
 * API.  Everything newer kernels renamed or removed is bridged here.
 */
#ifndef _KEYFERRY_COMPAT_H
#define _KEYFERRY_COMPAT_H

#include <linux/version.h>

/*
 * 6.1 Debian kernels carry the GENL_MCAST_CAP_* backport; older 6.1 trees
 * do not.  Without it, joining our events group is not restricted by the
 * core, so the module would refuse to build rather than leak events.
 */
#include <net/genetlink.h>
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "this kernel lacks GENL_MCAST_CAP_NET_ADMIN (multicast group permissions)"
#endif

/* 6.12 moved <asm/unaligned.h> to <linux/unaligned.h>. */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* 6.2 renamed genl_info_dump()/genl_dumpit_info(): the 6.1 name is used. */

/*
 * 6.2 split the operations the core hands to pre_doit/post_doit into
 * struct genl_split_ops; 6.1 passes the struct genl_ops itself.  Both carry
 * internal_flags, which is all kf_pre_doit reads.
 */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#define KF_GENL_SPLIT_OPS genl_split_ops
#else
#define KF_GENL_SPLIT_OPS genl_ops
#endif

#endif /* _KEYFERRY_COMPAT_H */
