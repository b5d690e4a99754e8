// SPDX-License-Identifier: MIT
/*
 * What a relying party does with the authority's public keys alone:
 * verify an entity certificate and a revocation list, and look the one up
 * in the other.  keyferry-seal uses exactly this before it seals to a
 * Kec-pub; so does keyferry-admin verify.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools/authority/authority.h"
#include "tools/cli/cli.h"

int kf_verify_certificate(const struct kf_authority *a, const uint8_t *buf,
			  size_t len, int64_t now, struct kf_certificate *c,
			  char *why, size_t cap)
{
	struct kf_signers who;
	struct kf_signed s;
	char t[32];
	int ret;

	if (kf_signed_decode(&s, KF_OBJ_CERTIFICATE, buf, len)) {
		snprintf(why, cap, "certificate: not a signed certificate");
		return -EPROTO;
	}
	ret = kf_certificate_decode(c, s.body, s.body_len, why, cap);
	if (ret)
		return ret;
	if (strcmp(c->region, a->region)) {
		snprintf(why, cap, "certificate: for region %s, not %s",
			 c->region, a->region);
		return -EPERM;
	}
	ret = kf_signed_verify(&s, a, &who, why, cap);
	if (ret)
		return ret;
	if (now < (int64_t)c->not_before || now >= (int64_t)c->not_after) {
		kf_fmt_time(t, sizeof(t), now < (int64_t)c->not_before ?
			    (int64_t)c->not_before : (int64_t)c->not_after);
		snprintf(why, cap, "certificate of %s: %s %s", c->entity,
			 now < (int64_t)c->not_before ? "not valid before" :
			 "expired at", t);
		return -EKEYEXPIRED;
	}
	return 0;
}

int kf_verify_revocations(const struct kf_authority *a, const uint8_t *buf,
			  size_t len, int64_t now, struct kf_revocations *l,
			  char *why, size_t cap)
{
	struct kf_signers who;
	struct kf_signed s;
	char t[32];
	int ret;

	if (kf_signed_decode(&s, KF_OBJ_REVOCATIONS, buf, len)) {
		snprintf(why, cap, "revocation list: not a signed list");
		return -EPROTO;
	}
	ret = kf_revocations_decode(l, s.body, s.body_len, why, cap);
	if (ret)
		return ret;
	if (strcmp(l->region, a->region)) {
		snprintf(why, cap, "revocation list: for region %s, not %s",
			 l->region, a->region);
		return -EPERM;
	}
	ret = kf_signed_verify(&s, a, &who, why, cap);
	if (ret)
		return ret;
	if (now > (int64_t)l->next_update) {
		kf_fmt_time(t, sizeof(t), (int64_t)l->next_update);
		snprintf(why, cap, "revocation list %llu is stale: the next "
			 "was due at %s", (unsigned long long)l->number, t);
		return -EKEYEXPIRED;
	}
	return 0;
}

bool kf_revocations_lists(const struct kf_revocations *l,
			  const struct kf_certificate *c)
{
	struct kf_revocation_iter it;
	struct kf_revocation e;

	kf_revocation_iter_init(&it, l);
	while (kf_revocation_next(&it, &e) == 1)
		if (!strcmp(e.entity, c->entity) ||
		    !memcmp(e.kei_pub, c->kei_pub, KF_KEY_SIZE))
			return true;
	return false;
}
