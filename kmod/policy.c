// SPDX-License-Identifier: GPL-2.0
/*
 * The owner's policy (docs/protocol.md section 6): parsed strictly, run by
 * the host.  It is the AEAD associated data of its item, so only the owner
 * sets it; a policy this module does not fully understand (an unknown
 * record type, key type or permission bit) refuses its item with
 * -EOPNOTSUPP, never installs it under rules it does not know.  Version 1's
 * DESCRIPTION (type 2) is such an unknown type now: the description is
 * derived from the owner and the item name.  Structural malformation
 * (order, lengths, names, a LEASE out of range, GRACE without LEASE) is
 * -EPROTO like the rest of the reply.
 */
#include <linux/string.h>
#include <linux/key.h>
#include "keyferry.h"

enum {
	KF_P_KEY_TYPE = 1,
	KF_P_KEY_SIZE = 3,
	KF_P_PERM = 4,
	KF_P_TIMEOUT = 5,
	KF_P_NOT_BEFORE = 6,
	KF_P_NOT_AFTER = 7,
	KF_P_UNWRAP_KEY = 8,
	KF_P_LEASE = 9,
	KF_P_GRACE = 10,
	KF_P_MAX = KF_P_GRACE,
};

static const struct kf_tlv_rule kf_policy_rules[KF_P_MAX + 1] = {
	[KF_P_KEY_TYPE] = { 1, 1, KF_TLV_REQUIRED },
	[KF_P_KEY_SIZE] = { 2, 2, KF_TLV_REQUIRED },
	[KF_P_PERM] = { 4, 4, 0 },
	[KF_P_TIMEOUT] = { 4, 4, 0 },
	[KF_P_NOT_BEFORE] = { 8, 8, 0 },
	[KF_P_NOT_AFTER] = { 8, 8, 0 },
	[KF_P_UNWRAP_KEY] = { 1, KEYFERRY_NAME_MAX, KF_TLV_NAME },
	[KF_P_LEASE] = { 4, 4, 0 },
	[KF_P_GRACE] = { 4, 4, 0 },
};

#define KF_PERM_ALLOWED (KEY_POS_ALL | KEY_USR_ALL | KEY_GRP_ALL | KEY_OTH_ALL)
#define KF_LEASE_MAX	BIT(31)

static int kf_policy_lease(const struct kf_tlv_field *f, struct kf_policy *p)
{
	if (f[KF_P_GRACE].count && !f[KF_P_LEASE].count)
		return -EPROTO;
	if (!f[KF_P_LEASE].count)
		return 0;
	p->lease = get_unaligned_be32(f[KF_P_LEASE].val);
	if (p->lease < KEYFERRY_LEASE_MIN || p->lease > KF_LEASE_MAX)
		return -EPROTO;
	if (f[KF_P_GRACE].count)
		p->grace = get_unaligned_be32(f[KF_P_GRACE].val);
	return 0;
}

int kf_policy_parse(const u8 *buf, size_t len, struct kf_policy *p)
{
	struct kf_tlv_field f[KF_P_MAX + 1];
	int ret;

	memset(p, 0, sizeof(*p));
	if (!len || len > KF_POLICY_MAX)
		return -EPROTO;
	ret = kf_tlv_parse(buf, len, kf_policy_rules, KF_P_MAX, f, -EOPNOTSUPP);
	if (ret)
		return ret;
	p->key_type = f[KF_P_KEY_TYPE].val[0];
	if (p->key_type < KEYFERRY_KEY_TYPE_LOGON ||
	    p->key_type > KEYFERRY_KEY_TYPE_UNWRAP)
		return -EOPNOTSUPP;
	p->key_size = get_unaligned_be16(f[KF_P_KEY_SIZE].val);
	if (f[KF_P_PERM].count) {
		p->has_perm = true;
		p->perm = get_unaligned_be32(f[KF_P_PERM].val);
		if (p->perm & ~KF_PERM_ALLOWED)
			return -EOPNOTSUPP;
	}
	if (f[KF_P_TIMEOUT].count)
		p->timeout = get_unaligned_be32(f[KF_P_TIMEOUT].val);
	if (f[KF_P_NOT_BEFORE].count)
		p->not_before = get_unaligned_be64(f[KF_P_NOT_BEFORE].val);
	if (f[KF_P_NOT_AFTER].count)
		p->not_after = get_unaligned_be64(f[KF_P_NOT_AFTER].val);
	if (f[KF_P_UNWRAP_KEY].count)
		memcpy(p->unwrap_key, f[KF_P_UNWRAP_KEY].val,
		       f[KF_P_UNWRAP_KEY].len);
	return kf_policy_lease(f, p);
}

/* After the inner layer opened: validity window, then the key's size. */
int kf_policy_check(const struct kf_policy *p, size_t key_len, time64_t now)
{
	size_t min, max;

	if (p->not_before && now < (time64_t)min_t(u64, p->not_before, S64_MAX))
		return -EKEYEXPIRED;
	if (p->not_after && now > (time64_t)min_t(u64, p->not_after, S64_MAX))
		return -EKEYEXPIRED;
	switch (p->key_type) {
	case KEYFERRY_KEY_TYPE_FSCRYPT:
		min = 16;
		max = 64;
		break;
	case KEYFERRY_KEY_TYPE_UNWRAP:
		min = 32;
		max = 32;
		break;
	default:
		min = 1;
		max = KF_ITEM_KEY_MAX;
		break;
	}
	if (key_len != p->key_size || key_len < min || key_len > max)
		return -EPROTO;
	return 0;
}

/*
 * Default permissions: possessor view, search, link; user view, search; a
 * user key adds possessor and user read.  Never SETATTR unless the owner
 * says so in PERM: with it, any possessor could `keyctl timeout KEY 0` or
 * `keyctl setperm`, and the owner's rules would be the holder's to change.
 */
key_perm_t kf_policy_perm(const struct kf_policy *p)
{
	key_perm_t perm;

	if (p->has_perm)
		return p->perm;
	perm = KEY_POS_VIEW | KEY_POS_SEARCH | KEY_POS_LINK |
	       KEY_USR_VIEW | KEY_USR_SEARCH;
	if (p->key_type == KEYFERRY_KEY_TYPE_USER)
		perm |= KEY_POS_READ | KEY_USR_READ;
	return perm;
}

/*
 * The key's lifetime from its installation at wall-clock time now: the
 * smallest of TIMEOUT, NOT_AFTER - now and LEASE + GRACE (each when
 * given), at least one second (a window that closes as the key arrives
 * still ends it at once).  kf_policy_check() already refused now > NOT_AFTER.
 */
void kf_policy_lifetime(const struct kf_policy *p, time64_t now,
			struct kf_lifetime *lt)
{
	u64 secs = U64_MAX;	/* none yet */

	memset(lt, 0, sizeof(*lt));
	if (p->timeout)
		secs = p->timeout;
	if (p->not_after)
		secs = min_t(u64, secs, p->not_after > (u64)now ?
				       p->not_after - now : 0);
	if (p->lease) {
		u64 leased = (u64)p->lease + p->grace;

		lt->lease = p->lease;
		if (leased <= secs) {
			secs = leased;
			lt->by_lease = true;
		}
	}
	if (secs == U64_MAX)
		return;
	lt->secs = max_t(u64, secs, 1);
}
