// SPDX-License-Identifier: MIT
/*
 * The tools' option values (tools/cli/parse.c: numbers, durations, times,
 * names) and base64 (keys on command lines and in files).  Input: one byte
 * choosing the parser, then the text.  Base64 that decodes must encode
 * back to the same text (RFC 4648 with padding is canonical here).
 */
#include "fuzz/fuzz.h"
#include "tools/cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void base64(const char *s)
{
	static uint8_t bin[4096];
	static char back[8192];
	size_t len;

	if (kf_base64_decode(bin, sizeof(bin), &len, s) < 0)
		return;
	if (kf_base64_encode(back, sizeof(back), bin, len) < 0 ||
	    strcmp(back, s))
		fuzz_fail(FUZZ_WHERE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char s[8192];
	uint8_t key[KF_KEY_SIZE];
	uint64_t v;
	int64_t t;

	if (size < 1 || size > sizeof(s))
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	switch (data[0] % 6) {
	case 0:
		if (!kf_parse_u64("n", s, 3, 1000, &v) && (v < 3 || v > 1000))
			fuzz_fail(FUZZ_WHERE);
		break;
	case 1:
		kf_parse_duration("d", s, &v);
		break;
	case 2:
		kf_parse_time("t", s, &t);
		break;
	case 3:
		if (!kf_parse_name("name", s) &&
		    !kf_name_valid(s, strlen(s), KF_NAME_MAX))
			fuzz_fail(FUZZ_WHERE);
		break;
	case 4:
		base64(s);
		break;
	case 5:
		kf_key_from_base64(key, s);
		break;
	}
	return 0;
}
