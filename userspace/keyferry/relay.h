/* SPDX-License-Identifier: MIT */
/*
 * One transfer, relayed: TRANSFER_BEGIN in the kernel, message 1 to a
 * repository (the next one when a repository cannot be reached), message 2
 * back to the kernel with TRANSFER_FINISH.  The helper sees only opaque
 * messages.  A repository's 409 (message 1 replayed or reordered) begins
 * the transfer anew, up to three times.
 */
#ifndef KEYFERRY_RELAY_H
#define KEYFERRY_RELAY_H

#include "genl.h"

enum kf_relay_stage {
	KF_RELAY_OK,
	KF_RELAY_BEGIN,		/* the module refused to begin */
	KF_RELAY_NETWORK,	/* no repository answered usefully */
	KF_RELAY_FINISH,	/* the module refused the reply (or the distributor refused) */
};

struct kf_relay {
	const char *const *repositories;
	unsigned int n_repositories;
	long timeout;			/* seconds per request */
	int32_t keyring;
	/* out */
	enum kf_relay_stage stage;
	const char *repository;		/* the one that answered */
	unsigned int reordered;		/* 409s answered (each began anew) */
	char error[512];
};

/* Returns 0 or a negative errno; relay->stage and ->error say where and why. */
int kf_relay_transfer(struct kf_genl *g, struct kf_relay *relay,
		      const struct kf_transfer_begin *begin, const char *path,
		      struct kf_installed *out);
/* The 32-byte enrollment nonce from the first repository that answers. */
int kf_relay_challenge(struct kf_relay *relay, uint8_t nonce[KEYFERRY_NONCE_SIZE]);

#endif /* KEYFERRY_RELAY_H */
