// SPDX-License-Identifier: GPL-2.0
/*
 * TPM 2.0 command marshalling and response parsing, and the one call into
 * the kernel's TPM driver (tpm_transmit_cmd).
 *
 * Our own small marshalling rather than the kernel's tpm_buf helpers: they
 * are inline in 6.1's <linux/tpm.h> and exported functions in 6.12, with a
 * different struct tpm_buf, and they do not parse responses.  What both
 * kernels share is tpm_transmit_cmd(chip, buf, ...), which reads and writes
 * buf->data only, as one page: the command in, the response back, its
 * header's length checked by the driver.  So a command is built in a
 * kf_zalloc'ed page (wiped when freed: a response may carry the unsealed
 * blob key), and every field of a response is read through a bounds check
 * against the length the TPM returned (-EPROTO past the end).
 *
 * Writes past the page set an overflow flag, checked once before the
 * command is sent (-E2BIG), as the kernel's tpm_buf does.
 */
#include <linux/tpm.h>
#include <linux/string.h>
#include "keyferry.h"

int kf_tpm_cmd_init(struct kf_tpm_cmd *c, u16 tag, u32 cc)
{
	memset(c, 0, sizeof(*c));
	c->data = kf_zalloc(PAGE_SIZE);
	if (!c->data)
		return -ENOMEM;
	kf_tpm_cmd_reset(c, tag, cc);
	return 0;
}

/* Reuse the page for the next command of a sequence. */
void kf_tpm_cmd_reset(struct kf_tpm_cmd *c, u16 tag, u32 cc)
{
	memzero_explicit(c->data, PAGE_SIZE);
	c->len = 0;
	c->pos = 0;
	c->end = 0;
	c->overflow = false;
	kf_tpm_put_u16(c, tag);
	kf_tpm_put_u32(c, 0);		/* size, set by kf_tpm_transmit */
	kf_tpm_put_u32(c, cc);
}

void kf_tpm_cmd_free(struct kf_tpm_cmd *c)
{
	kf_free(c->data);
	c->data = NULL;
}

void kf_tpm_put(struct kf_tpm_cmd *c, const void *p, size_t n)
{
	if (c->overflow || n > PAGE_SIZE - c->len) {
		c->overflow = true;
		return;
	}
	memcpy(c->data + c->len, p, n);
	c->len += n;
}

void kf_tpm_put_u16(struct kf_tpm_cmd *c, u16 v)
{
	__be16 b = cpu_to_be16(v);

	kf_tpm_put(c, &b, sizeof(b));
}

void kf_tpm_put_u32(struct kf_tpm_cmd *c, u32 v)
{
	__be32 b = cpu_to_be32(v);

	kf_tpm_put(c, &b, sizeof(b));
}

/* A TPM2B: a 16-bit size, then the bytes. */
void kf_tpm_put_2b(struct kf_tpm_cmd *c, const void *p, u16 n)
{
	kf_tpm_put_u16(c, n);
	kf_tpm_put(c, p, n);
}

/*
 * A sized structure (TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, ...): remember
 * where its size goes, write the contents, then kf_tpm_size_end().
 */
size_t kf_tpm_size_begin(struct kf_tpm_cmd *c)
{
	size_t at = c->len;

	kf_tpm_put_u16(c, 0);
	return at;
}

void kf_tpm_size_end(struct kf_tpm_cmd *c, size_t at)
{
	if (c->overflow)
		return;
	put_unaligned_be16(c->len - at - 2, c->data + at);
}

/*
 * The authorization area of a command with one session: the password
 * session TPM_RS_PW with an empty password (our objects and NV indexes
 * have an empty authValue; what protects them is that only this TPM can
 * load them, see docs/kernel.md), or a policy session handle.
 */
void kf_tpm_put_auth(struct kf_tpm_cmd *c, u32 session)
{
	kf_tpm_put_u32(c, 9);		/* authorizationSize */
	kf_tpm_put_u32(c, session);
	kf_tpm_put_u16(c, 0);		/* nonceCaller */
	/* continueSession: a policy session is flushed by the caller */
	kf_tpm_put_u8(c, session == TPM2_RS_PW ? 0 : TPM2_SA_CONTINUE_SESSION);
	kf_tpm_put_u16(c, 0);		/* hmac (the password) */
}

void kf_tpm_put_u8(struct kf_tpm_cmd *c, u8 v)
{
	kf_tpm_put(c, &v, 1);
}

/* ---- responses ---------------------------------------------------------- */

int kf_tpm_get(struct kf_tpm_cmd *c, const u8 **p, size_t n)
{
	if (n > c->end - c->pos)
		return -EPROTO;
	*p = c->data + c->pos;
	c->pos += n;
	return 0;
}

int kf_tpm_get_u16(struct kf_tpm_cmd *c, u16 *v)
{
	const u8 *p;
	int ret = kf_tpm_get(c, &p, 2);

	if (!ret)
		*v = get_unaligned_be16(p);
	return ret;
}

int kf_tpm_get_u32(struct kf_tpm_cmd *c, u32 *v)
{
	const u8 *p;
	int ret = kf_tpm_get(c, &p, 4);

	if (!ret)
		*v = get_unaligned_be32(p);
	return ret;
}

/* A TPM2B: *p points at its bytes, *n is their count. */
int kf_tpm_get_2b(struct kf_tpm_cmd *c, const u8 **p, u16 *n)
{
	int ret = kf_tpm_get_u16(c, n);

	if (ret)
		return ret;
	return kf_tpm_get(c, p, *n);
}

/* A TPM2B with its size prefix, as one opaque string (to store it). */
int kf_tpm_get_2b_whole(struct kf_tpm_cmd *c, const u8 **p, size_t *n)
{
	const u8 *body;
	u16 len;
	int ret;

	*p = c->data + c->pos;
	ret = kf_tpm_get_2b(c, &body, &len);
	if (!ret)
		*n = 2 + len;
	return ret;
}

/*
 * Send the command; on success the response is ready to be parsed after
 * its header (and, for the caller, after the handles the command returns).
 * Returns 0, a negative errno from the driver, or the TPM's response code
 * (positive) for the caller to map: see kf_tpm_rc().
 */
int kf_tpm_transmit(struct tpm_chip *chip, struct kf_tpm_cmd *c)
{
	struct tpm_buf buf = { .data = c->data };
	ssize_t rc;

	if (c->overflow)
		return -E2BIG;
	put_unaligned_be32(c->len, c->data + 2);
	/* No description: a refusal is ours to report, not the driver's. */
	rc = tpm_transmit_cmd(chip, &buf, 0, NULL);
	if (rc)
		return rc;
	/* The driver checked the header's length against what it received. */
	c->end = get_unaligned_be32(c->data + 2);
	if (c->end < TPM_HEADER_SIZE || c->end > PAGE_SIZE)
		return -EPROTO;
	c->pos = TPM_HEADER_SIZE;
	return 0;
}

/* Skip a sessions response's parameterSize (tag TPM2_ST_SESSIONS). */
int kf_tpm_get_param_size(struct kf_tpm_cmd *c)
{
	u32 size;
	int ret = kf_tpm_get_u32(c, &size);

	if (ret)
		return ret;
	if (size > c->end - c->pos)
		return -EPROTO;
	return 0;
}
