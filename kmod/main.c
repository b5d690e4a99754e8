// SPDX-License-Identifier: GPL-2.0
/*
 * keyferry.ko: the in-host secure processor.  It holds the host's entity
 * keys, opens what the distributor sends, and installs delivered keys into
 * the kernel keyring where host userspace cannot read them.
 *
 * Load order: counters, entity, module keyring, transfers, the self-test
 * (debug builds: a failed known-answer test fails the load), and netlink
 * last, so no command arrives before the state exists.  Unload: netlink
 * first, so no command runs while the state is torn down, then the rest in
 * reverse.
 */
#include <linux/module.h>
#include <linux/init.h>
#include "keyferry.h"

static int __init kf_init(void)
{
	int ret;

	ret = kf_stats_init();
	if (ret)
		return ret;
	ret = kf_entity_init();
	if (ret)
		goto err_stats;
	ret = kf_keyring_init();
	if (ret)
		goto err_entity;
	ret = kf_transfer_init();
	if (ret)
		goto err_keyring;
	ret = kf_selftest();
	if (ret) {
		pr_err(KF_LOG_PREFIX "self-test failed (%d), not loading\n", ret);
		goto err_transfer;
	}
	ret = kf_netlink_init();
	if (ret)
		goto err_transfer;
	pr_info(KF_LOG_PREFIX "loaded, version %s\n", KEYFERRY_MODULE_VERSION);
	return 0;

err_transfer:
	kf_transfer_exit();
err_keyring:
	kf_keyring_exit();
err_entity:
	kf_entity_exit();
err_stats:
	kf_stats_exit();
	return ret;
}

static void __exit kf_exit(void)
{
	kf_netlink_exit();
	kf_transfer_exit();
	kf_keyring_exit();
	kf_entity_exit();
	kf_stats_exit();
	pr_info(KF_LOG_PREFIX "unloaded\n");
}

module_init(kf_init);
module_exit(kf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("keyferry: delivers keys from a distributor into the kernel keyring");
MODULE_AUTHOR("The keyferry developers");
MODULE_VERSION(KEYFERRY_MODULE_VERSION);
MODULE_ALIAS_GENL_FAMILY(KEYFERRY_GENL_NAME);
/* The crypto API loads these on demand; say so for initramfs builders. */
MODULE_SOFTDEP("pre: curve25519 chacha20poly1305");
