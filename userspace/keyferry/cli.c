// SPDX-License-Identifier: MIT
/* Error reporting shared by the helper's subcommands. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int kf_report_kernel_error(const char *what, const struct kf_genl *g, int err)
{
	if (g->ext_msg[0])
		fprintf(stderr, "keyferry: %s: %s (%s)\n", what, strerror(-err), g->ext_msg);
	else
		fprintf(stderr, "keyferry: %s: %s\n", what, strerror(-err));
	return KF_EXIT_KERNEL;
}

int kf_open_module(struct kf_genl *g)
{
	int ret = kf_genl_open(g);

	if (ret == -ENOENT) {
		fprintf(stderr, "keyferry: the keyferry module is not loaded "
			"(generic netlink family \"%s\" not found): modprobe keyferry\n",
			KEYFERRY_GENL_NAME);
		return KF_EXIT_NO_MODULE;
	}
	if (ret < 0) {
		fprintf(stderr, "keyferry: cannot open a generic netlink socket: %s\n",
			strerror(-ret));
		return KF_EXIT_LOCAL;
	}
	return 0;
}
