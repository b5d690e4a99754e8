/* SPDX-License-Identifier: MIT */
/*
 * The sealed-item file: what keyferry-seal writes and keyferry-admin item
 * put reads.  Text, one "field: value" per line, so that an owner can
 * look at it before handing it over (it holds nothing secret):
 *
 *   keyferry-sealed-item 2
 *   region: <region name>
 *   item: <item name>
 *   policy: <base64 of the policy bytes, docs/protocol.md section 6>
 *   sealed: <base64 of the sealed blob, section 4>
 *
 * Format 2 holds protocol version 2's items (KFS2: the owner's version
 * and kid are in the blob's header).  Unknown fields, and a format 1
 * file, are refused, so that no format is half-read.
 */
#ifndef KF_TOOLS_SEALFILE_H
#define KF_TOOLS_SEALFILE_H

#include <stddef.h>
#include <stdint.h>

#include "keyferry.h"

#define KF_SEALFILE_MAGIC "keyferry-sealed-item 2"

struct kf_sealfile {
	char region[KF_NAME_MAX + 1];
	char item[KF_NAME_MAX + 1];
	uint8_t policy[KF_POLICY_MAX];
	size_t policy_len;
	uint8_t sealed[KF_SEALED_MAX];
	size_t sealed_len;
};

int kf_sealfile_write(const char *path, const struct kf_sealfile *f);
/*
 * Checks the names, that the policy decodes and the blob's header, and
 * that they agree (alg 2 exactly when the policy names an unwrapping key).
 */
int kf_sealfile_read(const char *path, struct kf_sealfile *f);

#endif /* KF_TOOLS_SEALFILE_H */
