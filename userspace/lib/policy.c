// SPDX-License-Identifier: MIT
/*
 * The owner's policy (docs/protocol.md section 6).  It travels as the AEAD
 * associated data of its item, so these bytes are what the owner signed off
 * on; the encoder only ever produces policies a host accepts, and the
 * decoder refuses what a host would refuse.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"

/* Type 2 (DESCRIPTION in version 1) is gone: descriptions are derived. */
enum {
	POL_KEY_TYPE = 1,
	POL_KEY_SIZE = 3,
	POL_PERM = 4,
	POL_TIMEOUT = 5,
	POL_NOT_BEFORE = 6,
	POL_NOT_AFTER = 7,
	POL_UNWRAP_KEY = 8,
	POL_LEASE = 9,
	POL_GRACE = 10,
};

/* KEY_POS_ALL | KEY_USR_ALL | KEY_GRP_ALL | KEY_OTH_ALL */
#define KF_PERM_MASK	0x3f3f3f3fu

/* Key sizes allowed per key type (section 6); 0 for an unknown type. */
static bool key_size_ok(uint8_t type, size_t size)
{
	switch (type) {
	case KF_KEY_LOGON:
	case KF_KEY_USER:
		return size >= 1 && size <= KF_ITEM_KEY_MAX;
	case KF_KEY_FSCRYPT:
		return size >= 16 && size <= 64;
	case KF_KEY_UNWRAP:
		return size == KF_KEY_SIZE;
	}
	return false;
}

static bool item_name_ok(const char *s)
{
	return kf_name_valid(s, strnlen(s, KF_NAME_MAX + 1), KF_NAME_MAX);
}

/*
 * LEASE 60 to 2^31 s; GRACE any 4-byte count of seconds, only with a
 * LEASE (the host adds them in 64 bits).
 */
static bool lease_ok(uint32_t lease, uint32_t grace)
{
	if (!lease)
		return !grace;
	return lease >= KF_LEASE_MIN && lease <= KF_LEASE_MAX;
}

static int policy_check(const struct kf_policy *p)
{
	if (p->key_type < KF_KEY_LOGON || p->key_type > KF_KEY_UNWRAP)
		return -EINVAL;
	if (!key_size_ok(p->key_type, p->key_size))
		return -EINVAL;
	if (p->has_perm && (p->perm & ~KF_PERM_MASK))
		return -EINVAL;
	/* A window that never opens is a mistake, not a policy. */
	if (p->not_before && p->not_after && p->not_after < p->not_before)
		return -EINVAL;
	if (p->unwrap_key[0] && !item_name_ok(p->unwrap_key))
		return -EINVAL;
	if (!lease_ok(p->lease, p->grace))
		return -EINVAL;
	return 0;
}

int kf_policy_encode(const struct kf_policy *p, uint8_t *buf, size_t cap,
		     size_t *len)
{
	struct kf_tlv_writer w;
	long n;
	int ret;

	if (!p || !buf || !len)
		return -EINVAL;
	ret = policy_check(p);
	if (ret)
		return ret;
	/* Optional records are left out when they say "none": canonical. */
	kf_tlv_init(&w, buf, cap < KF_POLICY_MAX ? cap : KF_POLICY_MAX);
	kf_tlv_put_u8(&w, POL_KEY_TYPE, p->key_type);
	kf_tlv_put_u16(&w, POL_KEY_SIZE, p->key_size);
	if (p->has_perm)
		kf_tlv_put_u32(&w, POL_PERM, p->perm);
	if (p->timeout)
		kf_tlv_put_u32(&w, POL_TIMEOUT, p->timeout);
	if (p->not_before)
		kf_tlv_put_u64(&w, POL_NOT_BEFORE, p->not_before);
	if (p->not_after)
		kf_tlv_put_u64(&w, POL_NOT_AFTER, p->not_after);
	if (p->unwrap_key[0])
		kf_tlv_put_str(&w, POL_UNWRAP_KEY, p->unwrap_key);
	if (p->lease)
		kf_tlv_put_u32(&w, POL_LEASE, p->lease);
	if (p->grace)
		kf_tlv_put_u32(&w, POL_GRACE, p->grace);
	n = kf_tlv_finish(&w);
	if (n < 0)
		return (int)n;
	*len = (size_t)n;
	return 0;
}

static int copy_name(char *dst, const uint8_t *v, size_t n)
{
	if (!kf_name_valid((const char *)v, n, KF_NAME_MAX))
		return -EPROTO;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* Fixed-size integer records: anything but the exact length is malformed. */
static int get_fixed(uint64_t *out, const uint8_t *v, size_t n, size_t want)
{
	if (n != want)
		return -EPROTO;
	*out = kf_get_be(v, n);
	return 0;
}

static int policy_record(struct kf_policy *p, uint16_t type,
			 const uint8_t *v, size_t n, uint32_t *seen)
{
	uint64_t x = 0;
	int ret = 0;

	switch (type) {
	case POL_KEY_TYPE:
		ret = get_fixed(&x, v, n, 1);
		p->key_type = (uint8_t)x;
		break;
	case POL_KEY_SIZE:
		ret = get_fixed(&x, v, n, 2);
		p->key_size = (uint16_t)x;
		break;
	case POL_PERM:
		ret = get_fixed(&x, v, n, 4);
		p->perm = (uint32_t)x;
		p->has_perm = true;
		if (!ret && (p->perm & ~KF_PERM_MASK))
			ret = -EPROTO;
		break;
	case POL_TIMEOUT:
		ret = get_fixed(&x, v, n, 4);
		p->timeout = (uint32_t)x;
		break;
	case POL_NOT_BEFORE:
		ret = get_fixed(&p->not_before, v, n, 8);
		break;
	case POL_NOT_AFTER:
		ret = get_fixed(&p->not_after, v, n, 8);
		break;
	case POL_UNWRAP_KEY:
		ret = copy_name(p->unwrap_key, v, n);
		break;
	case POL_LEASE:
		ret = get_fixed(&x, v, n, 4);
		p->lease = (uint32_t)x;
		if (!ret && (x < KF_LEASE_MIN || x > KF_LEASE_MAX))
			ret = -EPROTO;
		break;
	case POL_GRACE:
		ret = get_fixed(&x, v, n, 4);
		p->grace = (uint32_t)x;
		break;
	default:
		/*
		 * A rule the host does not understand (DESCRIPTION of
		 * version 1 included): it must not install the key under it
		 * (section 6).
		 */
		return -EOPNOTSUPP;
	}
	*seen |= 1u << type;
	return ret;
}

#define POL_REQUIRED	(1u << POL_KEY_TYPE | 1u << POL_KEY_SIZE)

/*
 * -EPROTO when malformed, -EOPNOTSUPP for a record type or key type this
 * version does not know.
 */
int kf_policy_decode(struct kf_policy *p, const uint8_t *buf, size_t len)
{
	struct kf_tlv_reader r;
	const uint8_t *v;
	uint32_t seen = 0;
	uint16_t type;
	size_t n;
	int ret;

	if (!p || (!buf && len))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	if (len < 1 || len > KF_POLICY_MAX)
		return -EPROTO;
	kf_tlv_reader_init(&r, buf, len, 0);
	while ((ret = kf_tlv_next(&r, &type, &v, &n)) > 0) {
		ret = policy_record(p, type, v, n, &seen);
		if (ret)
			goto fail;
	}
	if (ret)
		goto fail;
	ret = -EPROTO;
	if ((seen & POL_REQUIRED) != POL_REQUIRED)
		goto fail;
	if (p->key_type < KF_KEY_LOGON || p->key_type > KF_KEY_UNWRAP) {
		ret = -EOPNOTSUPP;
		goto fail;
	}
	if (!key_size_ok(p->key_type, p->key_size))
		goto fail;
	/* GRACE extends a LEASE; alone it means nothing. */
	if ((seen & 1u << POL_GRACE) && !(seen & 1u << POL_LEASE))
		goto fail;
	return 0;
fail:
	memset(p, 0, sizeof(*p));
	return ret;
}
