/* SPDX-License-Identifier: MIT */
/* keyferry-admin's commands, one file per object (admin_*.c). */
#ifndef KF_TOOLS_ADMIN_H
#define KF_TOOLS_ADMIN_H

#include <stdbool.h>

#include "tools/common/store.h"

extern bool kf_admin_json;

/* Print why and return the exit status 1. */
int kf_admin_fail(const char *what, int ret);
/* 0 when argc == n, else a message saying what expects n - 1 arguments. */
int kf_admin_need(int argc, int n, const char *what);

/* argv[0] is the sub-command ("add", "list", ...). Return exit status. */
int kf_admin_region(struct kf_store *st, int argc, char **argv);
int kf_admin_token(struct kf_store *st, int argc, char **argv);
int kf_admin_entity(struct kf_store *st, int argc, char **argv);
int kf_admin_group(struct kf_store *st, int argc, char **argv);
int kf_admin_dataset(struct kf_store *st, int argc, char **argv);
int kf_admin_item(struct kf_store *st, int argc, char **argv);
int kf_admin_audit(struct kf_store *st, int argc, char **argv);
int kf_admin_serverkey(int argc, char **argv);

#endif /* KF_TOOLS_ADMIN_H */
