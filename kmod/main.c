// SPDX-License-Identifier: GPL-2.0
/*
 * keyferry.ko: the in-host secure processor.  It holds the host's entity
 * keys, opens what the distributor sends, and installs delivered keys into
 * the kernel keyring where host userspace cannot read them.
 */
#include <linux/module.h>
#include <linux/init.h>
#include "keyferry.h"

static int __init kf_init(void)
{
	int ret;

	ret = kf_entity_init();
	if (ret)
		return ret;
	ret = kf_netlink_init();
	if (ret)
		goto err_entity;
	pr_info(KF_LOG_PREFIX "loaded, version %s\n", KEYFERRY_MODULE_VERSION);
	return 0;

err_entity:
	kf_entity_exit();
	return ret;
}

static void __exit kf_exit(void)
{
	/* Unregister first: no command can run while state is torn down. */
	kf_netlink_exit();
	kf_entity_exit();
	pr_info(KF_LOG_PREFIX "unloaded\n");
}

module_init(kf_init);
module_exit(kf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("keyferry: delivers keys from a distributor into the kernel keyring");
MODULE_AUTHOR("The keyferry developers");
MODULE_VERSION(KEYFERRY_MODULE_VERSION);
MODULE_ALIAS_GENL_FAMILY(KEYFERRY_GENL_NAME);
