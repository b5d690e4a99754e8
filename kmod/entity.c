// SPDX-License-Identifier: GPL-2.0
/*
 * The host's entity: its state, region and name, its keys Kei (identity,
 * the Noise static key) and Kec (confidentiality, the HPKE recipient key),
 * the pinned distributor keys and owner keys (owner.c), and its two ends:
 * replacement (ENTITY_CREATE with REPLACE and CONFIRM_KEI, or
 * IDENTITY_IMPORT with REPLACE) and revocation (an authenticated "revoked"
 * from the distributor).
 *
 * Kei and Kec are generated here from the kernel's RNG.  Their private
 * scalars are kept in one kf_zalloc'ed block (struct kf_entity_secret,
 * wiped when freed) so that identity.c can seal them into an identity
 * blob, and are set into the two long-lived kpp transforms the protocol
 * code uses (whose contexts crypto_free_kpp() wipes).  They leave the
 * module only inside a blob sealed by a seat of trust (identity.c).
 *
 * States (docs/protocol.md section 7): NONE -> CREATED -> ENROLLED ->
 * REVOKED; ENTITY_CREATE with REPLACE leads from any state to CREATED.  A
 * REVOKED entity is inert: it begins no transfer, and only a replacement
 * (a new identity, then a new enrollment) leaves that state.
 *
 * Locking: kf_lock protects kf_entity and, through the functions called
 * with it held, every other piece of state (see keyferry.h).
 */
#include <linux/string.h>
#include <linux/netlink.h>
#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/random.h>
#include <crypto/kpp.h>
#include <crypto/algapi.h>
#include <crypto/curve25519.h>
#include "keyferry.h"

/* The module's one lock: see keyferry.h for what it covers. */
DEFINE_MUTEX(kf_lock);
struct kf_entity kf_entity = { .state = KEYFERRY_ENTITY_NONE };
/*
 * The state generation (kf_lock).  Module-wide rather than in kf_entity,
 * which a replacement wipes: a value then names one state for the module's
 * whole lifetime.  A u64 raised by one never wraps.
 */
static u64 kf_state_generation;

void kf_state_changed(void)
{
	lockdep_assert_held(&kf_lock);
	kf_state_generation++;
}

u64 kf_state_gen(void)
{
	lockdep_assert_held(&kf_lock);
	return kf_state_generation;
}

void kf_entity_get_status(struct kf_entity_status *st)
{
	memset(st, 0, sizeof(*st));
	mutex_lock(&kf_lock);
	st->state = kf_entity.state;
	st->pending_transfers = kf_transfer_pending();
	st->installed_keys = kf_tracked_count() + kf_unwrap_count();
	st->version_records = kf_version_count();
	st->keyring = kf_keyring_serial();
	if (kf_entity.state != KEYFERRY_ENTITY_NONE) {
		strscpy(st->region, kf_entity.region, sizeof(st->region));
		strscpy(st->name, kf_entity.name, sizeof(st->name));
		memcpy(st->kei_pub, kf_entity.kei_pub, KEYFERRY_KEY_SIZE);
		memcpy(st->kec_pub, kf_entity.kec_pub, KEYFERRY_KEY_SIZE);
		st->n_dkeys = kf_entity.n_dkeys;
		memcpy(st->dkeys, kf_entity.dkeys, sizeof(st->dkeys));
		st->n_owners = kf_entity.n_owners;
		memcpy(st->owners, kf_entity.owners, sizeof(st->owners));
		st->seat = kf_entity.seat;
		st->pcrs = kf_entity.pcrs;
		st->epoch = kf_entity.epoch;
		st->sealed_gen = kf_entity.sealed_gen;
	}
	st->state_gen = kf_state_generation;
	mutex_unlock(&kf_lock);
}

/* Forget the keys; kf_lock held (or unload, when nothing else runs). */
static void kf_entity_clear(void)
{
	kf_x25519_free(kf_entity.kei);
	kf_x25519_free(kf_entity.kec);
	kf_free(kf_entity.secret);
	memzero_explicit(&kf_entity, sizeof(kf_entity));
	kf_entity.state = KEYFERRY_ENTITY_NONE;
}

/* A transform holding priv (a scalar, clamped when used), and its public. */
static struct crypto_kpp *kf_keypair(const u8 priv[KEYFERRY_KEY_SIZE],
				     u8 pub[KEYFERRY_KEY_SIZE])
{
	struct crypto_kpp *tfm;
	int ret;

	tfm = kf_x25519_new(priv);
	if (IS_ERR(tfm))
		return tfm;
	ret = kf_x25519_public(tfm, pub);
	if (ret) {
		kf_x25519_free(tfm);
		return ERR_PTR(ret);
	}
	return tfm;
}

/* What a new entity or an imported identity brings, made before the lock. */
struct kf_entity_new {
	struct kf_entity_secret *secret;
	struct crypto_kpp *kei;
	struct crypto_kpp *kec;
	u8 kei_pub[KEYFERRY_KEY_SIZE];
	u8 kec_pub[KEYFERRY_KEY_SIZE];
};

static void kf_entity_new_free(struct kf_entity_new *n)
{
	kf_x25519_free(n->kec);
	kf_x25519_free(n->kei);
	kf_free(n->secret);
}

/* The transforms for the scalars in n->secret (which n now owns). */
static int kf_entity_new_keys(struct kf_entity_new *n)
{
	n->kei = kf_keypair(n->secret->kei, n->kei_pub);
	if (IS_ERR(n->kei)) {
		int ret = PTR_ERR(n->kei);

		n->kei = NULL;
		return ret;
	}
	n->kec = kf_keypair(n->secret->kec, n->kec_pub);
	if (IS_ERR(n->kec)) {
		int ret = PTR_ERR(n->kec);

		n->kec = NULL;
		return ret;
	}
	return 0;
}

/*
 * Replace the entity by n and id's region, name and pinned keys (kf_lock
 * held).  What belonged to the old identity goes with it: pending
 * transfers, unwrapping keys, version records.  Keys it installed in
 * keyrings stay tracked: their lifetimes still end them.  Cannot fail; n's
 * keys now belong to kf_entity.
 */
static void kf_entity_swap(struct kf_entity_new *n, struct kf_crypto *c,
			   const struct kf_identity *id)
{
	struct kf_owner *o;
	unsigned int i;
	u64 gen;

	lockdep_assert_held(&kf_lock);
	kf_transfer_flush();
	kf_unwrap_flush();
	kf_versions_flush();
	gen = kf_entity.gen;
	kf_entity_clear();
	kf_entity.gen = gen + 1;
	kf_state_changed();
	kf_entity.state = KEYFERRY_ENTITY_CREATED;
	strscpy(kf_entity.region, id->region, sizeof(kf_entity.region));
	strscpy(kf_entity.name, id->name, sizeof(kf_entity.name));
	kf_entity.secret = n->secret;
	kf_entity.kei = n->kei;
	kf_entity.kec = n->kec;
	memcpy(kf_entity.kei_pub, n->kei_pub, KEYFERRY_KEY_SIZE);
	memcpy(kf_entity.kec_pub, n->kec_pub, KEYFERRY_KEY_SIZE);
	memset(n, 0, sizeof(*n));
	kf_kid(c, kf_entity.kec_pub, kf_entity.kec_kid);
	kf_entity.n_dkeys = id->n_dkeys;
	for (i = 0; i < id->n_dkeys; i++) {
		memcpy(kf_entity.dkeys[i], id->dkeys[i], KEYFERRY_KEY_SIZE);
		kf_kid(c, id->dkeys[i], kf_entity.dkids[i]);
	}
	kf_entity.n_owners = id->n_owners;
	for (i = 0; i < id->n_owners; i++) {
		o = &kf_entity.owners[i];
		strscpy(o->name, id->owners[i].name, sizeof(o->name));
		memcpy(o->pub, id->owners[i].pub, KEYFERRY_KEY_SIZE);
		kf_kid(c, o->pub, o->kid);
	}
}

/*
 * May this ENTITY_CREATE go ahead?  An existing identity is replaced only
 * on purpose: REPLACE, and CONFIRM_KEI naming the identity being replaced
 * (so that a script run twice, or on the wrong host, cannot destroy one).
 * kf_lock held.
 */
static int kf_entity_may_create(const struct kf_entity_params *p,
				struct netlink_ext_ack *extack)
{
	if (kf_entity.state == KEYFERRY_ENTITY_NONE)
		return 0;
	if (!p->replace) {
		NL_SET_ERR_MSG_MOD(extack,
				   "an entity exists; set REPLACE and CONFIRM_KEI to replace it");
		return -EEXIST;
	}
	if (!p->confirm_kei) {
		NL_SET_ERR_MSG_MOD(extack, "REPLACE needs CONFIRM_KEI, the current Kei-pub");
		return -EINVAL;
	}
	/* public keys: memcmp is fine */
	if (memcmp(p->confirm_kei, kf_entity.kei_pub, KEYFERRY_KEY_SIZE)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "CONFIRM_KEI is not this host's Kei-pub: nothing replaced");
		return -EACCES;
	}
	return 0;
}

/* Replacing is logged: who replaced which identity by which. */
static void kf_entity_log_replace(struct kf_crypto *c, const u8 *new_kei)
{
	u8 old_kid[KF_KID_SIZE], new_kid[KF_KID_SIZE];

	kf_kid(c, kf_entity.kei_pub, old_kid);
	kf_kid(c, new_kei, new_kid);
	pr_warn(KF_LOG_PREFIX "entity %s in region %s (Kei kid %8phN, %s) replaced by a new identity (Kei kid %8phN), by pid %d uid %u\n",
		kf_entity.name, kf_entity.region, old_kid,
		kf_entity.state == KEYFERRY_ENTITY_REVOKED ? "revoked" :
		kf_entity.state == KEYFERRY_ENTITY_ENROLLED ? "enrolled" :
		"not enrolled", new_kid, task_pid_nr(current),
		from_kuid(&init_user_ns, current_uid()));
}

/* ENTITY_CREATE's names and public keys, as an identity without secrets. */
static void kf_entity_params_copy(const struct kf_entity_params *p,
				  struct kf_identity *id)
{
	unsigned int i;

	strscpy(id->region, p->region, sizeof(id->region));
	strscpy(id->name, p->name, sizeof(id->name));
	id->n_dkeys = p->n_dkeys;
	for (i = 0; i < p->n_dkeys; i++)
		memcpy(id->dkeys[i], p->dkeys[i], KEYFERRY_KEY_SIZE);
	id->n_owners = p->n_owners;
	for (i = 0; i < p->n_owners; i++) {
		strscpy(id->owners[i].name, p->owner_names[i],
			sizeof(id->owners[i].name));
		memcpy(id->owners[i].pub, p->owner_keys[i], KEYFERRY_KEY_SIZE);
	}
}

/*
 * No pinned key may be a low-order point: its DH output is all zero, so
 * every handshake with such a distributor key (DH with Kei), or every item
 * of such an owner key (HPKE mode_auth's DH with Kec), would fail.  The
 * caller's check for all zero bytes does not catch the others (1, p - 1,
 * the points of order 8...), so run the DH that will be run, with the new
 * keys, before anything changes.  -EINVAL with the reason.
 */
static int kf_pins_check(const struct kf_entity_new *n,
			 const struct kf_entity_params *p,
			 struct netlink_ext_ack *extack)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < p->n_dkeys; i++)
		ret = kf_x25519_check(n->kei, p->dkeys[i]);
	if (ret == -EKEYREJECTED) {
		NL_SET_ERR_MSG_MOD(extack, "a distributor key is a low-order point");
		return -EINVAL;
	}
	for (i = 0; !ret && i < p->n_owners; i++)
		ret = kf_x25519_check(n->kec, p->owner_keys[i]);
	if (ret == -EKEYREJECTED) {
		NL_SET_ERR_MSG_MOD(extack, "an owner key is a low-order point");
		return -EINVAL;
	}
	return ret;
}

/*
 * ENTITY_CREATE.  The caller (netlink.c) validated names and keys.  New keys
 * are made before the lock is taken and before anything changes, so a
 * refusal (EEXIST, EINVAL: a low-order key, EACCES) or a failure leaves
 * the old entity exactly as it was.
 */
int kf_entity_create(const struct kf_entity_params *p,
		     u8 kei_pub[KEYFERRY_KEY_SIZE],
		     u8 kec_pub[KEYFERRY_KEY_SIZE],
		     struct netlink_ext_ack *extack)
{
	struct kf_identity *id = NULL;
	struct kf_entity_new n = { };
	struct kf_crypto c;
	int ret;

	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	ret = -ENOMEM;
	n.secret = kf_zalloc(sizeof(*n.secret));
	id = kf_zalloc(sizeof(*id));
	if (!n.secret || !id)
		goto out;
	curve25519_generate_secret(n.secret->kei);
	curve25519_generate_secret(n.secret->kec);
	ret = kf_entity_new_keys(&n);
	if (ret)
		goto out;
	ret = kf_pins_check(&n, p, extack);
	if (ret)
		goto out;
	kf_entity_params_copy(p, id);
	memcpy(kei_pub, n.kei_pub, KEYFERRY_KEY_SIZE);
	memcpy(kec_pub, n.kec_pub, KEYFERRY_KEY_SIZE);

	mutex_lock(&kf_lock);
	ret = kf_entity_may_create(p, extack);
	if (!ret) {
		if (kf_entity.state != KEYFERRY_ENTITY_NONE)
			kf_entity_log_replace(&c, kei_pub);
		kf_entity_swap(&n, &c, id);
	}
	mutex_unlock(&kf_lock);
out:
	kf_entity_new_free(&n);
	kf_free(id);
	kf_crypto_free(&c);
	return ret;
}

int kf_entity_snapshot(struct kf_identity *id)
{
	lockdep_assert_held(&kf_lock);
	if (kf_entity.state == KEYFERRY_ENTITY_NONE)
		return -ENOKEY;
	id->state = kf_entity.state;
	strscpy(id->region, kf_entity.region, sizeof(id->region));
	strscpy(id->name, kf_entity.name, sizeof(id->name));
	id->n_dkeys = kf_entity.n_dkeys;
	memcpy(id->dkeys, kf_entity.dkeys, sizeof(id->dkeys));
	id->n_owners = kf_entity.n_owners;
	memcpy(id->owners, kf_entity.owners, sizeof(id->owners));
	id->secret = *kf_entity.secret;
	id->seat = kf_entity.seat;
	id->pcrs = kf_entity.pcrs;
	id->epoch = kf_entity.epoch;
	memcpy(id->kdf, kf_entity.kdf, sizeof(id->kdf));
	id->gen = kf_entity.gen;
	id->state_gen = kf_state_generation;
	return 0;
}

/*
 * IDENTITY_IMPORT's last step: id was opened and checked by identity.c.
 * As for ENTITY_CREATE, everything that can fail happens before the lock;
 * the version records, already allocated in id->versions, move into the
 * module (the set is left empty).
 */
int kf_entity_install(struct kf_identity *id, bool replace,
		      u8 kei_pub[KEYFERRY_KEY_SIZE],
		      u8 kec_pub[KEYFERRY_KEY_SIZE])
{
	struct kf_entity_new n = { };
	struct kf_crypto c;
	int ret;

	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	ret = -ENOMEM;
	n.secret = kf_zalloc(sizeof(*n.secret));
	if (!n.secret)
		goto out;
	*n.secret = id->secret;
	ret = kf_entity_new_keys(&n);
	if (ret)
		goto out;
	memcpy(kei_pub, n.kei_pub, KEYFERRY_KEY_SIZE);
	memcpy(kec_pub, n.kec_pub, KEYFERRY_KEY_SIZE);

	mutex_lock(&kf_lock);
	if (kf_entity.state != KEYFERRY_ENTITY_NONE && !replace) {
		ret = -EEXIST;
	} else {
		if (kf_entity.state != KEYFERRY_ENTITY_NONE)
			kf_entity_log_replace(&c, kei_pub);
		kf_entity_swap(&n, &c, id);
		kf_versions_install(&id->versions);
		kf_entity.state = id->state;
		kf_entity.seat = id->seat;
		kf_entity.pcrs = id->pcrs;
		kf_entity.epoch = id->epoch;
		memcpy(kf_entity.kdf, id->kdf, sizeof(kf_entity.kdf));
		/* the blob just imported holds exactly this state */
		kf_entity.export_gen = kf_state_generation;
		kf_entity.sealed_gen = kf_state_generation;
		id->state_gen = kf_state_generation;
		ret = 0;
	}
	mutex_unlock(&kf_lock);
out:
	kf_entity_new_free(&n);
	kf_crypto_free(&c);
	return ret;
}

/*
 * The distributor said, in a reply authenticated with a pinned Kd, that
 * this entity is revoked.  Revocation reaches the keys: every key this
 * identity installed is revoked, every unwrapping key wiped, every pending
 * transfer forgotten, and nothing is installed again until the identity is
 * replaced and enrolled anew.  (Keys of an earlier identity, replaced
 * before, belong to a Kei this distributor's answer is not about; they
 * keep their own lifetimes.)  kf_lock held.
 */
void kf_entity_revoke(void)
{
	unsigned int n;

	lockdep_assert_held(&kf_lock);
	kf_entity.state = KEYFERRY_ENTITY_REVOKED;
	kf_state_changed();
	kf_transfer_flush();
	n = kf_keys_revoke_all(kf_entity.gen);
	pr_warn(KF_LOG_PREFIX "entity %s in region %s revoked by its distributor: %u keys ended\n",
		kf_entity.name, kf_entity.region, n);
	kf_event_entity_revoked(n);
}

int kf_entity_init(void)
{
	return 0;
}

void kf_entity_exit(void)
{
	mutex_lock(&kf_lock);
	kf_versions_flush();
	kf_entity_clear();
	mutex_unlock(&kf_lock);
}
