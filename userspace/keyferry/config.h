/* SPDX-License-Identifier: MIT */
/*
 * /etc/keyferry/keyferry.conf: what the helper fetches and from where.
 * Lines are "key = value"; '#' starts a comment.  See keyferry(8).
 */
#ifndef KEYFERRY_CONFIG_H
#define KEYFERRY_CONFIG_H

#include <stdint.h>

#include "uapi/linux/keyferry.h"

#define KF_CONFIG_PATH		"/etc/keyferry/keyferry.conf"
#define KF_MAX_REPOSITORIES	8
#define KF_MAX_CONFIG_ITEMS	64
#define KF_URL_MAX		512

struct kf_config {
	unsigned int n_repositories;
	char repositories[KF_MAX_REPOSITORIES][KF_URL_MAX];
	unsigned int n_items;
	char items[KF_MAX_CONFIG_ITEMS][KEYFERRY_NAME_MAX + 1];
	int32_t keyring;		/* 0 = the module's own keyring */
	unsigned int renew_margin;	/* seconds before expiry */
	unsigned int retry_min;		/* backoff bounds, seconds */
	unsigned int retry_max;
	unsigned int timeout;		/* per request, seconds */
};

void kf_config_defaults(struct kf_config *c);
/*
 * Parse path into c (defaults first).  On error, returns -EINVAL (or the
 * errno of opening the file) and puts "path:line: why" into err.
 */
int kf_config_load(struct kf_config *c, const char *path, char *err, size_t errlen);
/* "session", "user", "process", "thread", "module" or a serial. */
int kf_parse_keyring(const char *s, int32_t *keyring);

#endif /* KEYFERRY_CONFIG_H */
