// SPDX-License-Identifier: MIT
/*
 * Signed objects (protocol.md 8.1): a body and the signatures over
 * label || 0x00 || body, each label naming the kind of object, so that a
 * signature on a certificate can never pass for one on a statement.
 * Signatures are sorted by signer key and a signer appears once, which
 * makes the encoding canonical.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tools/authority/authority.h"

enum { E_BODY = 1, E_SIGNATURE = 2 };
enum { S_SIGNER = 1, S_VALUE = 2 };

const char *kf_object_label(uint8_t kind)
{
	switch (kind) {
	case KF_OBJ_STATEMENT: return "keyferry/2 statement";
	case KF_OBJ_CERTIFICATE: return "keyferry/2 certificate";
	case KF_OBJ_REVOCATIONS: return "keyferry/2 revocation list";
	case KF_OBJ_ITEM_REQUEST: return "keyferry/2 item request";
	default: return NULL;
	}
}

int kf_signed_message(const struct kf_signed *s, uint8_t **out,
			 size_t *len)
{
	const char *label = kf_object_label(s->kind);
	size_t n;

	if (!label || !s->body || !s->body_len)
		return -EINVAL;
	n = strlen(label) + 1;
	*out = malloc(n + s->body_len);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, label, n);		/* with its NUL: the 0x00 */
	memcpy(*out + n, s->body, s->body_len);
	*len = n + s->body_len;
	return 0;
}

int kf_signed_id(const struct kf_signed *s, uint8_t id[KF_ID_SIZE])
{
	unsigned int n = KF_ID_SIZE;
	uint8_t *msg;
	size_t len;
	int ret = kf_signed_message(s, &msg, &len);

	if (ret)
		return ret;
	if (EVP_Digest(msg, len, id, &n, EVP_sha256(), NULL) != 1)
		ret = -EIO;
	free(msg);
	return ret;
}

int kf_signed_encode(const struct kf_signed *s, uint8_t *buf, size_t cap,
		     size_t *len)
{
	uint8_t sig[2 * 4 + KF_KEY_SIZE + KF_SIG_SIZE];
	struct kf_tlv_writer w, sw;
	unsigned int i;
	long n;

	if (!s->body_len || s->body_len > KF_BODY_MAX)
		return -EINVAL;
	kf_tlv_init(&w, buf, cap);
	kf_tlv_put(&w, E_BODY, s->body, s->body_len);
	for (i = 0; i < s->n_sigs; i++) {
		kf_tlv_init(&sw, sig, sizeof(sig));
		kf_tlv_put(&sw, S_SIGNER, s->sigs[i].signer, KF_KEY_SIZE);
		kf_tlv_put(&sw, S_VALUE, s->sigs[i].value, KF_SIG_SIZE);
		kf_tlv_put(&w, E_SIGNATURE, sig, sizeof(sig));
	}
	n = kf_tlv_finish(&w);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

static int decode_sig(struct kf_signature *sig, const uint8_t *v, size_t len)
{
	struct kf_tlv_reader r;
	const uint8_t *val;
	unsigned int seen = 0;
	uint16_t t;
	size_t n;
	int rc;

	kf_tlv_reader_init(&r, v, len, 0);
	while ((rc = kf_tlv_next(&r, &t, &val, &n)) == 1) {
		if (t == S_SIGNER && n == KF_KEY_SIZE)
			memcpy(sig->signer, val, n);
		else if (t == S_VALUE && n == KF_SIG_SIZE)
			memcpy(sig->value, val, n);
		else
			return -EPROTO;
		seen |= 1u << t;
	}
	return rc == 0 && seen == (1u << S_SIGNER | 1u << S_VALUE) ? 0 : -EPROTO;
}

int kf_signed_decode(struct kf_signed *s, uint8_t kind, const uint8_t *buf,
		     size_t len)
{
	struct kf_tlv_reader r;
	const uint8_t *v;
	uint16_t t;
	size_t n;
	int rc;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	kf_tlv_reader_init(&r, buf, len, 1u << E_SIGNATURE);
	while ((rc = kf_tlv_next(&r, &t, &v, &n)) == 1) {
		if (t == E_BODY && n && n <= KF_BODY_MAX) {
			s->body = v;
			s->body_len = n;
		} else if (t == E_SIGNATURE && s->n_sigs < KF_MEMBERS_MAX) {
			if (decode_sig(&s->sigs[s->n_sigs], v, n))
				return -EPROTO;
			/* Ascending signers, each once: canonical. */
			if (s->n_sigs &&
			    memcmp(s->sigs[s->n_sigs - 1].signer,
				   s->sigs[s->n_sigs].signer, KF_KEY_SIZE) >= 0)
				return -EPROTO;
			s->n_sigs++;
		} else {
			return -EPROTO;
		}
	}
	return rc == 0 && s->body ? 0 : -EPROTO;
}

int kf_signed_add(struct kf_signed *s, const struct kf_signature *sig)
{
	unsigned int i;
	int c = 1;

	for (i = 0; i < s->n_sigs; i++) {
		c = memcmp(s->sigs[i].signer, sig->signer, KF_KEY_SIZE);
		if (c >= 0)
			break;
	}
	if (i < s->n_sigs && c == 0) {
		s->sigs[i] = *sig;	/* the same signer again: replace */
		return 0;
	}
	if (s->n_sigs == KF_MEMBERS_MAX)
		return -ENOSPC;
	memmove(&s->sigs[i + 1], &s->sigs[i],
		(s->n_sigs - i) * sizeof(s->sigs[0]));
	s->sigs[i] = *sig;
	s->n_sigs++;
	return 0;
}

void kf_signers_join(const struct kf_signers *w, char *out, size_t cap)
{
	size_t off = 0;
	unsigned int i;

	out[0] = 0;
	for (i = 0; i < w->n && off < cap; i++)
		off += (size_t)snprintf(out + off, cap - off, "%s%s",
					i ? "+" : "", w->names[i]);
}

int kf_signed_verify(const struct kf_signed *s, const struct kf_authority *a,
		     struct kf_signers *who, char *why, size_t cap)
{
	const struct kf_member *m;
	char b64[64];
	unsigned int i;
	uint8_t *msg;
	size_t len;
	int ret;

	who->n = 0;
	ret = kf_signed_message(s, &msg, &len);
	if (ret) {
		snprintf(why, cap, "%s: cannot be verified",
			 kf_object_label(s->kind) ?: "object");
		return ret;
	}
	for (i = 0; i < s->n_sigs; i++) {
		m = kf_authority_find(a, s->sigs[i].signer);
		if (!m) {
			kf_base64_encode(b64, sizeof(b64), s->sigs[i].signer,
					 KF_KEY_SIZE);
			snprintf(why, cap, "signed by %s, which is not a member "
				 "of the authority of %s", b64, a->region);
			ret = -EPERM;
			goto out;
		}
		if (kf_ed25519_verify(m->pub, msg, len, s->sigs[i].value)) {
			snprintf(why, cap, "the signature of %s does not "
				 "verify", m->name);
			ret = -EBADMSG;
			goto out;
		}
		snprintf(who->names[who->n++], sizeof(who->names[0]), "%s",
			 m->name);
	}
	if (s->n_sigs < a->threshold) {
		snprintf(why, cap, "%u signature%s of %u needed (authority of "
			 "%s: %u of %u members)", s->n_sigs,
			 s->n_sigs == 1 ? "" : "s", (unsigned int)a->threshold,
			 a->region, (unsigned int)a->threshold, a->n);
		ret = -EPERM;
	}
out:
	free(msg);
	return ret;
}
