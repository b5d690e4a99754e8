/* SPDX-License-Identifier: MIT */
/* Shared by the helper's subcommands: exit codes and error reporting. */
#ifndef KEYFERRY_CLI_H
#define KEYFERRY_CLI_H

#include "genl.h"

enum kf_exit {
	KF_EXIT_OK = 0,
	KF_EXIT_USAGE = 1,
	KF_EXIT_NO_MODULE = 2,
	KF_EXIT_KERNEL = 3,
	KF_EXIT_DISTRIBUTOR = 4,
	KF_EXIT_LOCAL = 5,
};

/* Open the family; prints the reason and returns an exit code on failure. */
int kf_open_module(struct kf_genl *g);
/* Print "keyferry: what: strerror (extack)" and return the exit code. */
int kf_report_kernel_error(const char *what, const struct kf_genl *g, int err);

int kf_cmd_status(int argc, char **argv);
int kf_cmd_enroll(int argc, char **argv);
int kf_cmd_replace(int argc, char **argv);
int kf_cmd_owner(int argc, char **argv);
int kf_cmd_fetch(int argc, char **argv);
int kf_cmd_list(int argc, char **argv);
int kf_cmd_daemon(int argc, char **argv);
int kf_cmd_identity(int argc, char **argv);
int kf_cmd_teardown(int argc, char **argv);

#endif /* KEYFERRY_CLI_H */
