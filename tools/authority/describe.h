/* SPDX-License-Identifier: MIT */
/* What signed objects say, in words (describe.c). */
#ifndef KF_TOOLS_DESCRIBE_H
#define KF_TOOLS_DESCRIBE_H

#include <stddef.h>

#include "tools/authority/authority.h"

/*
 * Lines, each starting with prefix ("# " for a file's comments), into
 * buf: what the object says and who signed it (by name when a is given,
 * strangers marked).  Returns the length written.
 */
size_t kf_describe(const struct kf_signed *s, const struct kf_authority *a,
		   const char *prefix, char *buf, size_t cap);
size_t kf_describe_submission(struct kf_submission *sub,
			      const struct kf_authority *a, const char *prefix,
			      char *buf, size_t cap);

#endif /* KF_TOOLS_DESCRIBE_H */
