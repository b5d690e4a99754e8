/* SPDX-License-Identifier: MIT */
/* keyferry-seal, the data owner's sealing tool (seal.c). */
#ifndef KF_TOOLS_SEAL_H
#define KF_TOOLS_SEAL_H

#include <stdint.h>

#include "tools/authority/authority.h"

/* keyferry-seal's command line; main.c only calls it. */
int kf_seal_main(int argc, char **argv);

/*
 * cert.c: the Kec-pub of a certificate file that verifies against the
 * authority file, for region (and entity, when not NULL), valid now, and
 * (revocations not NULL) not in that revocation list; every refusal
 * reported.
 */
int kf_seal_certified_kec(const char *cert, const char *authority,
			  const char *revocations, const char *region,
			  const char *entity, uint8_t kec[KF_KEY_SIZE]);

#endif /* KF_TOOLS_SEAL_H */
