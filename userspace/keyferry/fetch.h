/* SPDX-License-Identifier: MIT */
#ifndef KEYFERRY_FETCH_H
#define KEYFERRY_FETCH_H

#include "config.h"
#include "genl.h"
#include "relay.h"

/*
 * One fetch transfer of n_items (at most KEYFERRY_MAX_ITEMS) from the
 * configured repositories.  -EHOSTUNREACH when no repository answered;
 * another negative errno when the module or the distributor refused.
 */
int kf_fetch_items(struct kf_genl *g, const struct kf_config *cfg,
		   const char *const *items, unsigned int n_items,
		   struct kf_installed *out, char *err, size_t errlen);
void kf_print_installed(const struct kf_installed_key *k);

#endif /* KEYFERRY_FETCH_H */
