/* SPDX-License-Identifier: MIT */
/*
 * /etc/keyferry/keyferry.conf: what the helper fetches and from where.
 * Lines are "key = value"; '#' starts a comment.  See keyferry(8).
 */
#ifndef KEYFERRY_CONFIG_H
#define KEYFERRY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "genl.h"
#include "teardown.h"
#include "uapi/linux/keyferry.h"

#define KF_CONFIG_PATH		"/etc/keyferry/keyferry.conf"
#define KF_MAX_REPOSITORIES	8
#define KF_MAX_CONFIG_ITEMS	64
#define KF_URL_MAX		512
#define KF_MAX_PROVIDERS	4

/*
 * A secure provider the host fetches from first (docs/operations.md
 * section 11): its URL, and its distributor key, which the host pinned at
 * enrollment and addresses its transfers to.
 */
struct kf_provider_conf {
	char url[KF_URL_MAX];
	uint8_t key[KEYFERRY_KEY_SIZE];
};

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
	unsigned int n_owners;		/* owner keys pinned at enrollment */
	struct kf_owner_key owners[KEYFERRY_MAX_OWNER_KEYS];
	unsigned int n_providers;	/* tried before the repositories */
	struct kf_provider_conf providers[KF_MAX_PROVIDERS];
	char identity[KF_URL_MAX];	/* the identity blob's file, "" = none */
	bool identity_autosave;		/* save it after a fetch changed it */
	unsigned int n_teardowns;	/* consumers to close when a key is revoked */
	struct kf_teardown teardowns[KF_MAX_TEARDOWNS];
};

void kf_config_defaults(struct kf_config *c);
/*
 * Parse path into c (defaults first).  On error, returns -EINVAL (or the
 * errno of opening the file) and puts "path:line: why" into err.
 */
int kf_config_load(struct kf_config *c, const char *path, char *err, size_t errlen);
/* "session", "user", "process", "thread", "module" or a serial. */
int kf_parse_keyring(const char *s, int32_t *keyring);
/*
 * An owner key as the operator writes it: "NAME KEY" or "NAME=KEY", KEY
 * the owner's public key in base64 (keyferry-seal owner-key show).
 * -EINVAL with the reason in why.
 */
int kf_parse_owner(const char *s, struct kf_owner_key *o, char *why, size_t whylen);

#endif /* KEYFERRY_CONFIG_H */
