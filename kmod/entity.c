// SPDX-License-Identifier: GPL-2.0
/*
 * The host's entity: its state, region and name, its keys Kei (identity,
 * the Noise static key) and Kec (confidentiality, the HPKE recipient key),
 * and the pinned distributor keys.
 *
 * Kei and Kec are generated here from the kernel's RNG (curve25519 kpp,
 * set_secret of length 0).  Their private halves exist only inside their
 * kpp transforms' contexts and never leave the module; crypto_free_kpp()
 * wipes them (kfree_sensitive).
 *
 * Locking: kf_lock protects kf_entity and, through the functions called
 * with it held, every other piece of state (see keyferry.h).
 */
#include <linux/string.h>
#include <crypto/kpp.h>
#include <crypto/algapi.h>
#include "keyferry.h"

/* The module's one lock: see keyferry.h for what it covers. */
DEFINE_MUTEX(kf_lock);
struct kf_entity kf_entity = { .state = KEYFERRY_ENTITY_NONE };

void kf_entity_get_status(struct kf_entity_status *st)
{
	memset(st, 0, sizeof(*st));
	mutex_lock(&kf_lock);
	st->state = kf_entity.state;
	st->pending_transfers = kf_transfer_pending();
	st->installed_keys = kf_tracked_count() + kf_unwrap_count();
	st->keyring = kf_keyring_serial();
	if (kf_entity.state != KEYFERRY_ENTITY_NONE) {
		strscpy(st->region, kf_entity.region, sizeof(st->region));
		strscpy(st->name, kf_entity.name, sizeof(st->name));
		memcpy(st->kei_pub, kf_entity.kei_pub, KEYFERRY_KEY_SIZE);
		memcpy(st->kec_pub, kf_entity.kec_pub, KEYFERRY_KEY_SIZE);
		st->n_dkeys = kf_entity.n_dkeys;
		memcpy(st->dkeys, kf_entity.dkeys, sizeof(st->dkeys));
	}
	mutex_unlock(&kf_lock);
}

/* Forget the keys; kf_lock held (or unload, when nothing else runs). */
static void kf_entity_clear(void)
{
	kf_x25519_free(kf_entity.kei);
	kf_x25519_free(kf_entity.kec);
	memzero_explicit(&kf_entity, sizeof(kf_entity));
	kf_entity.state = KEYFERRY_ENTITY_NONE;
}

static struct crypto_kpp *kf_keypair(u8 pub[KEYFERRY_KEY_SIZE])
{
	struct crypto_kpp *tfm;
	int ret;

	tfm = kf_x25519_new(NULL);
	if (IS_ERR(tfm))
		return tfm;
	ret = kf_x25519_public(tfm, pub);
	if (ret) {
		kf_x25519_free(tfm);
		return ERR_PTR(ret);
	}
	return tfm;
}

/*
 * ENTITY_CREATE.  The caller (netlink.c) validated names and keys.  New keys
 * are made before the lock is taken and before anything changes, so a
 * failure, EEXIST included, leaves the old entity exactly as it was.
 */
int kf_entity_create(const struct kf_entity_params *p,
		     u8 kei_pub[KEYFERRY_KEY_SIZE],
		     u8 kec_pub[KEYFERRY_KEY_SIZE])
{
	struct crypto_kpp *kei, *kec;
	struct kf_crypto c;
	unsigned int i;
	u64 gen;
	int ret;

	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	kei = kf_keypair(kei_pub);
	if (IS_ERR(kei)) {
		ret = PTR_ERR(kei);
		goto out_crypto;
	}
	kec = kf_keypair(kec_pub);
	if (IS_ERR(kec)) {
		ret = PTR_ERR(kec);
		goto out_kei;
	}

	mutex_lock(&kf_lock);
	if (kf_entity.state != KEYFERRY_ENTITY_NONE && !p->replace) {
		ret = -EEXIST;
		goto out_unlock;
	}
	/* Replacing: what belonged to the old entity goes with it. */
	kf_transfer_flush();
	kf_unwrap_flush();
	gen = kf_entity.gen;
	kf_entity_clear();
	kf_entity.gen = gen + 1;
	kf_entity.state = KEYFERRY_ENTITY_CREATED;
	strscpy(kf_entity.region, p->region, sizeof(kf_entity.region));
	strscpy(kf_entity.name, p->name, sizeof(kf_entity.name));
	kf_entity.kei = kei;
	kf_entity.kec = kec;
	memcpy(kf_entity.kei_pub, kei_pub, KEYFERRY_KEY_SIZE);
	memcpy(kf_entity.kec_pub, kec_pub, KEYFERRY_KEY_SIZE);
	kf_kid(&c, kec_pub, kf_entity.kec_kid);
	kf_entity.n_dkeys = p->n_dkeys;
	for (i = 0; i < p->n_dkeys; i++) {
		memcpy(kf_entity.dkeys[i], p->dkeys[i], KEYFERRY_KEY_SIZE);
		kf_kid(&c, p->dkeys[i], kf_entity.dkids[i]);
	}
	mutex_unlock(&kf_lock);
	kf_crypto_free(&c);
	return 0;

out_unlock:
	mutex_unlock(&kf_lock);
	kf_x25519_free(kec);
out_kei:
	kf_x25519_free(kei);
out_crypto:
	kf_crypto_free(&c);
	return ret;
}

int kf_entity_init(void)
{
	return 0;
}

void kf_entity_exit(void)
{
	mutex_lock(&kf_lock);
	kf_entity_clear();
	mutex_unlock(&kf_lock);
}
