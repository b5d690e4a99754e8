// SPDX-License-Identifier: MIT
/*
 * The values the signed objects' TLV fields share (protocol.md 8.1): a
 * name as section 3 allows it, and a 64-bit big-endian integer.  Each
 * decoder refuses a field whose value is not exactly that, so one object
 * has one encoding.
 */
#include <errno.h>
#include <string.h>

#include "tools/authority/authority.h"

/* out holds KF_NAME_MAX + 1 bytes. */
int kf_field_name(char *out, const uint8_t *v, size_t n)
{
	if (!kf_name_valid((const char *)v, n, KF_NAME_MAX))
		return -EPROTO;
	memcpy(out, v, n);
	out[n] = 0;
	return 0;
}

int kf_field_u64(uint64_t *out, const uint8_t *v, size_t n)
{
	if (n != 8)
		return -EPROTO;
	*out = kf_be(v, 8);
	return 0;
}
