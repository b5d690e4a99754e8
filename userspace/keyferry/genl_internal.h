/* SPDX-License-Identifier: MIT */
/*
 * Shared by the helper's netlink client files only (genl*.c): how replies
 * are read (genl.c) and how an installed key is decoded (genl_keys.c).
 */
#ifndef KEYFERRY_GENL_INTERNAL_H
#define KEYFERRY_GENL_INTERNAL_H

#include "genl.h"

/* How the helper reads replies; the kernel validated what it sent. */
extern struct nla_policy kf_genl_reply_policy[KEYFERRY_A_MAX + 1];

/* Copy a string attribute into dst, when there is one. */
void kf_genl_copy_string(char *dst, size_t cap, const struct nlattr *attr);

#endif /* KEYFERRY_GENL_INTERNAL_H */
