// SPDX-License-Identifier: MIT
/*
 * Base64 (RFC 4648, with padding) for keys in files and on command lines,
 * on OpenSSL's EVP_EncodeBlock and EVP_DecodeBlock; the decoder is strict,
 * so that a key has exactly one text form.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

#include "keyferry.h"

int kf_base64_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
	size_t need;

	if (!out || (!in && len) || len > INT_MAX / 4 * 3 - 3)
		return -EINVAL;
	need = (len + 2) / 3 * 4 + 1;
	if (cap < need)
		return -EMSGSIZE;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	out[need - 1] = '\0';
	return 0;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * The shape RFC 4648 allows and nothing else: groups of four, '=' only as
 * the last one or two characters.  EVP_DecodeBlock alone would skip
 * whitespace and count padding as data.
 */
static int b64_check(const char *in, size_t n, size_t *pad)
{
	size_t i;

	if (n % 4)
		return -EINVAL;
	*pad = 0;
	if (n && in[n - 1] == '=')
		*pad = (n >= 2 && in[n - 2] == '=') ? 2 : 1;
	for (i = 0; i < n - *pad; i++)
		if (!b64_char(in[i]))
			return -EINVAL;
	return 0;
}

int kf_base64_decode(uint8_t *out, size_t cap, size_t *len, const char *in)
{
	size_t n, pad, raw, dec_len;
	uint8_t *tmp = NULL;
	char *again = NULL;
	int ret;

	if (!out || !len || !in)
		return -EINVAL;
	n = strlen(in);
	if (n > INT_MAX)
		return -EINVAL;
	ret = b64_check(in, n, &pad);
	if (ret || !n) {
		*len = 0;
		return ret;
	}
	raw = n / 4 * 3;
	dec_len = raw - pad;
	if (cap < dec_len)
		return -EMSGSIZE;
	ret = -ENOMEM;
	tmp = OPENSSL_malloc(raw);
	again = OPENSSL_malloc(n + 1);
	if (!tmp || !again)
		goto out;
	ret = -EINVAL;
	if (EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n) != (int)raw)
		goto out;
	/*
	 * Canonical only: the bits under the padding must be zero, which is
	 * the same as the encoding of the result giving back the input.
	 */
	EVP_EncodeBlock((unsigned char *)again, tmp, (int)dec_len);
	if (memcmp(again, in, n))
		goto out;
	memcpy(out, tmp, dec_len);
	*len = dec_len;
	ret = 0;
out:
	OPENSSL_clear_free(tmp, raw);
	OPENSSL_clear_free(again, n + 1);
	return ret;
}

int kf_key_from_base64(uint8_t key[KF_KEY_SIZE], const char *in)
{
	uint8_t tmp[KF_KEY_SIZE + 3];
	size_t len;
	int ret;

	if (!key || !in)
		return -EINVAL;
	ret = kf_base64_decode(tmp, sizeof(tmp), &len, in);
	if (ret == -EMSGSIZE || (!ret && len != KF_KEY_SIZE))
		ret = -EINVAL;
	if (!ret)
		memcpy(key, tmp, KF_KEY_SIZE);
	kf_wipe(tmp, sizeof(tmp));
	return ret;
}
