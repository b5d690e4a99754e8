// SPDX-License-Identifier: GPL-2.0
/*
 * One item of a fetch reply, opened: the item checks of docs/protocol.md
 * section 3.4 in their order, each with its errno and extack message, and
 * the opened key staged for installation.  Nothing here installs anything
 * or changes any state: a refusal leaves the module as it was.
 *
 *   sealed header well formed                         EPROTO
 *   alg 1: sealed to this entity's Kec                ENOKEY
 *   alg 1: its owner key is pinned (and not retired)  EKEYREJECTED
 *   policy understood / well formed                   EOPNOTSUPP / EPROTO
 *   UNWRAP_KEY exactly with alg 2 / that key held     EPROTO / ENOKEY
 *   inner layer opens (owner authentication)          EBADE
 *   version >= the one this host installed            ESTALE
 *   validity window, key size                         EKEYEXPIRED / EPROTO
 *
 * The owner: alg 1, the pinned key the header names (HPKE mode_auth proves
 * the owner sealed it); alg 2, the owner of the unwrapping key that opens
 * it.  The installed description derives from it and the item's name.
 *
 * kf_lock is held by the caller throughout (the entity, its owner keys,
 * the version records and the unwrapping keys are read here).
 */
#include <linux/string.h>
#include <linux/netlink.h>
#include <linux/timekeeping.h>
#include "keyferry.h"

static const char kf_item_label[] = "keyferry/2 item";
static const char kf_wrap_label[] = "keyferry/2 wrap";

/*
 * info = "keyferry/2 item" || 0 || region || 0 || name || 0 || u64(version);
 * out holds KF_ITEM_INFO_MAX bytes.
 */
size_t kf_item_info(u8 *out, const char *region, const char *item, u64 version)
{
	size_t pos = 0, n;

	memcpy(out, kf_item_label, sizeof(kf_item_label));	/* with its NUL */
	pos += sizeof(kf_item_label);
	n = strlen(region);
	memcpy(out + pos, region, n + 1);
	pos += n + 1;
	n = strlen(item);
	memcpy(out + pos, item, n + 1);
	pos += n + 1;
	put_unaligned_be64(version, out + pos);
	return pos + 8;
}

struct kf_open_ctx {
	struct kf_crypto *c;
	struct kf_staged *st;
	const struct kf_sealed *s;
	const u8 *info;
	size_t info_len;
	const u8 *aad;
	size_t aad_len;
};

/*
 * alg 2: prk = HKDF-Extract(salt, Kw), k = HKDF-Expand(prk, "keyferry/2
 * wrap" || 0 || info, 32), then ChaCha20-Poly1305 with a zero nonce (the
 * salt makes every k single-use).  out gets ct_len - 16 bytes.
 */
int kf_wrap_open(struct kf_crypto *c, u8 *out, const u8 kw[32],
		 const struct kf_sealed *s, const u8 *info, size_t info_len,
		 const u8 *aad, size_t aad_len)
{
	static const u8 zero_nonce[KF_AEAD_NONCE_SIZE];
	struct kf_buf ikm = { kw, 32 };
	struct kf_buf parts[2] = {
		{ kf_wrap_label, sizeof(kf_wrap_label) },	/* with its NUL */
		{ info, info_len },
	};
	u8 prk[KF_HASH_SIZE], k[32];
	int ret;

	ret = kf_hkdf_extract(c, prk, s->enc, 32, &ikm, 1);
	if (!ret)
		ret = kf_hkdf_expand(c, k, sizeof(k), prk, parts, 2);
	if (!ret)
		ret = kf_aead_open(c, out, k, zero_nonce, aad, aad_len, s->ct,
				   s->ct_len);
	memzero_explicit(prk, sizeof(prk));
	memzero_explicit(k, sizeof(k));
	return ret;
}

/* One candidate unwrapping key (kf_unwrap_try): the owner, if it opens. */
static int kf_unwrap_open(const char *owner, const u8 *kw, void *arg)
{
	struct kf_open_ctx *x = arg;
	int ret;

	ret = kf_wrap_open(x->c, x->st->key, kw, x->s, x->info, x->info_len,
			   x->aad, x->aad_len);
	if (!ret)
		strscpy(x->st->owner, owner, sizeof(x->st->owner));
	return ret;
}

/* alg 1: HPKE mode_auth from the owner's pinned key to Kec. */
static int kf_hpke_item_open(struct kf_open_ctx *x, const struct kf_owner *o)
{
	struct kf_buf info = { x->info, x->info_len };
	int ret;

	ret = kf_hpke_open(x->c, x->st->key, kf_entity.kec, kf_entity.kec_pub,
			   o->pub, x->s->enc, &info, 1, x->aad, x->aad_len,
			   x->s->ct, x->s->ct_len);
	if (!ret)
		strscpy(x->st->owner, o->name, sizeof(x->st->owner));
	return ret;
}

/* The checks that need no secret: header, recipient, owner, policy. */
static int kf_item_precheck(const struct kf_reply_item *it,
			    struct kf_sealed *s, struct kf_staged *st,
			    const struct kf_owner **owner,
			    struct netlink_ext_ack *extack)
{
	bool wrapped;
	int ret;

	if (kf_sealed_parse(it->sealed, it->sealed_len, s)) {
		NL_SET_ERR_MSG_MOD(extack, "sealed item header malformed");
		return -EPROTO;
	}
	if (s->alg == KF_SEAL_HPKE) {
		if (memcmp(s->kid, kf_entity.kec_kid, KF_KID_SIZE)) {
			NL_SET_ERR_MSG_MOD(extack, "item sealed to another entity");
			return -ENOKEY;
		}
		*owner = kf_owner_find_kid(s->owner_kid);
		if (!*owner) {
			NL_SET_ERR_MSG_MOD(extack,
					   "item sealed by a key that is not a pinned owner key");
			return -EKEYREJECTED;
		}
	}
	ret = kf_policy_parse(it->policy, it->policy_len, &st->pol);
	if (ret) {
		if (ret == -EOPNOTSUPP)
			NL_SET_ERR_MSG_MOD(extack, "item policy not understood");
		else
			NL_SET_ERR_MSG_MOD(extack, "item policy malformed");
		return ret;
	}
	wrapped = s->alg == KF_SEAL_WRAP;
	if (wrapped != !!st->pol.unwrap_key[0]) {
		NL_SET_ERR_MSG_MOD(extack, "UNWRAP_KEY and the sealing algorithm disagree");
		return -EPROTO;
	}
	return 0;
}

/* Opened: the version only goes up, then the owner's window and size. */
static int kf_item_postcheck(struct kf_staged *st,
			     struct netlink_ext_ack *extack)
{
	u64 held = kf_version_get(st->owner, st->item);
	int ret;

	if (st->version < held) {
		pr_warn_ratelimited(KF_LOG_PREFIX "item %s of owner %s: version %llu refused, %llu installed\n",
				    st->item, st->owner, st->version, held);
		NL_SET_ERR_MSG_MOD(extack,
				   "item version is lower than one this host installed (rollback)");
		return -ESTALE;
	}
	ret = kf_policy_check(&st->pol, st->key_len, ktime_get_real_seconds());
	if (ret == -EKEYEXPIRED)
		NL_SET_ERR_MSG_MOD(extack, "item policy validity window excludes now");
	else if (ret)
		NL_SET_ERR_MSG_MOD(extack, "item key size does not match its policy");
	return ret;
}

/*
 * Open staged[idx] from reply item it (its name already checked against
 * the request and copied into staged[idx].item).  Earlier staged items
 * may hold the unwrapping key this one needs.
 */
int kf_item_open(struct kf_crypto *c, const struct kf_reply_item *it,
		 struct kf_staged *staged, unsigned int idx,
		 struct netlink_ext_ack *extack)
{
	struct kf_staged *st = &staged[idx];
	const struct kf_owner *owner = NULL;
	struct kf_open_ctx x = { .c = c, .st = st, .aad = it->policy,
				 .aad_len = it->policy_len };
	struct kf_sealed s;
	u8 *info;
	int ret;

	ret = kf_item_precheck(it, &s, st, &owner, extack);
	if (ret)
		return ret;
	st->version = s.version;
	x.s = &s;
	info = kf_zalloc(KF_ITEM_INFO_MAX);
	st->key_len = s.ct_len - KF_TAG_SIZE;
	st->key = kf_zalloc(st->key_len);
	if (!info || !st->key) {
		ret = -ENOMEM;
		goto out;
	}
	x.info = info;
	x.info_len = kf_item_info(info, kf_entity.region, st->item, s.version);
	if (s.alg == KF_SEAL_HPKE)
		ret = kf_hpke_item_open(&x, owner);
	else
		ret = kf_unwrap_try(st->pol.unwrap_key, staged, idx,
				    kf_unwrap_open, &x);
	if (ret == -ENOKEY) {
		NL_SET_ERR_MSG_MOD(extack, "item sealed to an unwrapping key not held");
		goto out;
	}
	if (ret == -EBADMSG) {
		NL_SET_ERR_MSG_MOD(extack,
				   "item inner layer failed authentication (not sealed by its owner, or altered)");
		ret = -EBADE;
		goto out;
	}
	if (!ret)
		ret = kf_item_postcheck(st, extack);
out:
	kf_free(info);
	return ret;
}
