// SPDX-License-Identifier: GPL-2.0
/*
 * The owner keys pinned for the entity's region (docs/protocol.md 4.1):
 * Ko-pub of each data owner whose items this host accepts, under the
 * owner's name.  An item sealed with alg 1 names its owner's key by kid;
 * only a pinned key opens it (HPKE mode_auth), and the owner's name makes
 * the key's description, "keyferry:<owner>:<item>".  Two keys may carry one
 * name: a rotation, both the same owner's.  Retiring a key unpins it: its
 * items are refused from then on, and the keys it installed stay until
 * their lifetime or a revocation ends them.
 *
 * The keys live in kf_entity (entity.c), under kf_lock, and go with it
 * (ENTITY_CREATE with REPLACE pins a new set).  Root pins them: the
 * netlink commands need CAP_SYS_ADMIN.
 */
#include <linux/string.h>
#include <linux/netlink.h>
#include "keyferry.h"

const struct kf_owner *kf_owner_find_kid(const u8 kid[KF_KID_SIZE])
{
	unsigned int i;

	lockdep_assert_held(&kf_lock);
	/* kids are public: memcmp is fine */
	for (i = 0; i < kf_entity.n_owners; i++)
		if (!memcmp(kf_entity.owners[i].kid, kid, KF_KID_SIZE))
			return &kf_entity.owners[i];
	return NULL;
}

static int kf_owner_index(const u8 pub[KEYFERRY_KEY_SIZE])
{
	unsigned int i;

	for (i = 0; i < kf_entity.n_owners; i++)
		if (!memcmp(kf_entity.owners[i].pub, pub, KEYFERRY_KEY_SIZE))
			return i;
	return -ENOENT;
}

int kf_owner_add(const char *name, const u8 pub[KEYFERRY_KEY_SIZE],
		 struct netlink_ext_ack *extack)
{
	struct kf_owner *o;
	struct kf_crypto c;
	int ret;

	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	mutex_lock(&kf_lock);
	if (kf_entity.state == KEYFERRY_ENTITY_NONE) {
		NL_SET_ERR_MSG_MOD(extack, "no entity: ENTITY_CREATE first");
		ret = -ENOKEY;
	} else if (kf_owner_index(pub) >= 0) {
		NL_SET_ERR_MSG_MOD(extack, "this owner key is already pinned");
		ret = -EEXIST;
	} else if (kf_entity.n_owners == KEYFERRY_MAX_OWNER_KEYS) {
		NL_SET_ERR_MSG_MOD(extack, "8 owner keys are pinned: retire one first");
		ret = -ENOSPC;
	} else {
		ret = kf_x25519_check(kf_entity.kec, pub);
	}
	if (ret == -EKEYREJECTED) {
		/* mode_auth's DH(Kec, Ko) would be all zero: no item opens */
		NL_SET_ERR_MSG_MOD(extack, "the owner key is a low-order point");
		ret = -EINVAL;
	}
	/* (any other error of the check is its own: ENOMEM is no verdict) */
	if (!ret) {
		o = &kf_entity.owners[kf_entity.n_owners++];
		strscpy(o->name, name, sizeof(o->name));
		memcpy(o->pub, pub, KEYFERRY_KEY_SIZE);
		kf_kid(&c, pub, o->kid);
		kf_state_changed();
		pr_info(KF_LOG_PREFIX "owner key %8phN pinned for owner %s\n",
			o->kid, o->name);
	}
	mutex_unlock(&kf_lock);
	kf_crypto_free(&c);
	return ret;
}

int kf_owner_retire(const u8 pub[KEYFERRY_KEY_SIZE],
		    struct netlink_ext_ack *extack)
{
	struct kf_owner *o;
	int i, ret = 0;

	mutex_lock(&kf_lock);
	i = kf_owner_index(pub);
	if (kf_entity.state == KEYFERRY_ENTITY_NONE) {
		NL_SET_ERR_MSG_MOD(extack, "no entity: ENTITY_CREATE first");
		ret = -ENOKEY;
	} else if (i < 0) {
		NL_SET_ERR_MSG_MOD(extack, "this owner key is not pinned");
		ret = -ENOENT;
	} else {
		o = &kf_entity.owners[i];
		pr_info(KF_LOG_PREFIX "owner key %8phN of owner %s retired\n",
			o->kid, o->name);
		/* keep the array dense: the last one moves into the hole */
		kf_entity.n_owners--;
		*o = kf_entity.owners[kf_entity.n_owners];
		memzero_explicit(&kf_entity.owners[kf_entity.n_owners],
				 sizeof(*o));
		kf_state_changed();
	}
	mutex_unlock(&kf_lock);
	return ret;
}
