// SPDX-License-Identifier: MIT
/*
 * The strict TLV reader (docs/protocol.md section 5).  The first 8 input
 * bytes are the `repeatable' mask, the rest the container.  Whatever it
 * accepts must obey the rules it promises: records inside the container,
 * types strictly ascending except repeatable ones, no trailing bytes.
 */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_tlv_reader rd;
	uint64_t repeatable = 0;
	const uint8_t *v, *end;
	uint16_t type, last = 0;
	size_t n, total = 0;
	int ret, i;

	if (size < 8)
		return 0;
	for (i = 0; i < 8; i++)
		repeatable = repeatable << 8 | data[i];
	data += 8;
	size -= 8;
	end = data + size;
	kf_tlv_reader_init(&rd, data, size, repeatable);
	while ((ret = kf_tlv_next(&rd, &type, &v, &n)) > 0) {
		if (!type || type < last || v < data + 4 || v + n > end ||
		    (type == last && (type >= 64 || !(repeatable >> type & 1))))
			fuzz_fail(FUZZ_WHERE);
		last = type;
		total += 4 + n;
	}
	if (ret == 0 && total != size)
		fuzz_fail(FUZZ_WHERE);
	if (ret < 0 && ret != -EPROTO)
		fuzz_fail(FUZZ_WHERE);
	/* Sticky: a reader that failed keeps failing. */
	if (ret < 0 && kf_tlv_next(&rd, &type, &v, &n) != ret)
		fuzz_fail(FUZZ_WHERE);
	return 0;
}
