// SPDX-License-Identifier: GPL-2.0
/*
 * Where delivered keys go: the module's own keyring "keyferry" (made at
 * load), the keyring the caller names, or, for unwrapping keys, the
 * module's memory only.
 *
 * Installing is a transaction (kf_keys_install): everything that can fail
 * is done before anything becomes visible (store entries preallocated, the
 * logon/user keys allocated and instantiated unlinked), then keys are
 * linked, and any failure unlinks and invalidates what this call made.
 * fscrypt-provisioning keys can only be made by key_create_or_update()
 * (their key_type is not exported), which links at once; they are made
 * last and rolled back the same way.  A link displaces a key of the same
 * type and description in that keyring (the keyring's own semantics); a
 * rolled back install cannot restore a key it displaced.  Last, the
 * infallible commit: unwrapping keys stored, tracking entries recorded.
 *
 * Locking: all lists here are under kf_lock.  Lifetimes: a tracking entry
 * holds a reference to its key, dropped when the entry goes (the key was
 * revoked, invalidated, expired or unlinked from everywhere, the table is
 * full, or unload).  Unwrapping keys are wiped (kf_free) when replaced,
 * expired, forgotten with their entity, or at unload.
 */
#include <linux/key.h>
#include <linux/key-type.h>
#include <linux/cred.h>
#include <linux/timekeeping.h>
#include <keys/user-type.h>
#include <uapi/linux/fscrypt.h>
#include "keyferry.h"

#define KF_DESC_PREFIX "keyferry:"

struct kf_unwrap {
	struct list_head node;
	char desc[KEYFERRY_DESCRIPTION_MAX + 1];
	u8 key[32];
	time64_t expiry;		/* 0 = none */
	char item[KEYFERRY_NAME_MAX + 1];
	u64 version;
};

struct kf_tracked {
	struct list_head node;
	struct key *k;			/* referenced */
	key_serial_t keyring;
	u8 type;
	char desc[KEYFERRY_DESCRIPTION_MAX + 1];
	char item[KEYFERRY_NAME_MAX + 1];
	u64 version;
	time64_t expiry;
};

static struct key *kf_keyring;
static LIST_HEAD(kf_unwraps);
static LIST_HEAD(kf_tracked_keys);
static unsigned int kf_n_unwraps;
static unsigned int kf_n_tracked;

int kf_keyring_init(void)
{
	struct key *k;

	k = keyring_alloc("keyferry", GLOBAL_ROOT_UID, GLOBAL_ROOT_GID,
			  current_cred(),
			  KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ |
			  KEY_USR_SEARCH | KEY_USR_LINK,
			  KEY_ALLOC_NOT_IN_QUOTA, NULL, NULL);
	if (IS_ERR(k))
		return PTR_ERR(k);
	kf_keyring = k;
	return 0;
}

static void kf_tracked_drop(struct kf_tracked *t)
{
	list_del(&t->node);
	kf_n_tracked--;
	key_put(t->k);
	kf_free(t);
}

static void kf_unwrap_drop(struct kf_unwrap *u)
{
	list_del(&u->node);
	kf_n_unwraps--;
	kf_free(u);
}

void kf_unwrap_flush(void)
{
	struct kf_unwrap *u, *tmp;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry_safe(u, tmp, &kf_unwraps, node)
		kf_unwrap_drop(u);
}

/* At unload, after netlink is gone: the keyring and its keys go too. */
void kf_keyring_exit(void)
{
	struct kf_tracked *t, *tmp;

	mutex_lock(&kf_lock);
	kf_unwrap_flush();
	list_for_each_entry_safe(t, tmp, &kf_tracked_keys, node)
		kf_tracked_drop(t);
	mutex_unlock(&kf_lock);
	if (kf_keyring) {
		keyring_clear(kf_keyring);
		key_invalidate(kf_keyring);
		key_put(kf_keyring);
		kf_keyring = NULL;
	}
}

key_serial_t kf_keyring_serial(void)
{
	return kf_keyring ? key_serial(kf_keyring) : 0;
}

struct key *kf_keyring_get(void)
{
	return key_get(kf_keyring);
}

unsigned int kf_unwrap_count(void)
{
	return kf_n_unwraps;
}

unsigned int kf_tracked_count(void)
{
	return kf_n_tracked;
}

static struct kf_unwrap *kf_unwrap_lookup(const char *desc)
{
	struct kf_unwrap *u;

	list_for_each_entry(u, &kf_unwraps, node)
		if (!strcmp(u->desc, desc))
			return u;
	return NULL;
}

/*
 * The 32 bytes of the unwrapping key named desc: one staged earlier in the
 * same reply (the latest such) wins over one held.  Valid while kf_lock is
 * held and the staged array lives.
 */
const u8 *kf_unwrap_find(const char *desc, const struct kf_staged *st,
			 unsigned int n_staged)
{
	struct kf_unwrap *u;
	time64_t now = ktime_get_real_seconds();

	lockdep_assert_held(&kf_lock);
	while (n_staged--)
		if (st[n_staged].pol.key_type == KEYFERRY_KEY_TYPE_UNWRAP &&
		    !strcmp(st[n_staged].pol.description, desc))
			return st[n_staged].key;
	u = kf_unwrap_lookup(desc);
	if (!u || (u->expiry && u->expiry <= now))
		return NULL;
	return u->key;
}

void kf_staged_release(struct kf_staged *st)
{
	kf_free(st->key);
	st->key = NULL;
	kf_free(st->spare);
	st->spare = NULL;
	if (st->k)
		key_put(st->k);
	st->k = NULL;
}

/* How many new store entries the staged unwrapping keys need. */
static unsigned int kf_unwrap_new_entries(const struct kf_staged *st,
					  unsigned int n)
{
	unsigned int i, j, count = 0;

	for (i = 0; i < n; i++) {
		if (st[i].pol.key_type != KEYFERRY_KEY_TYPE_UNWRAP)
			continue;
		if (kf_unwrap_lookup(st[i].pol.description))
			continue;
		for (j = i + 1; j < n; j++)
			if (st[j].pol.key_type == KEYFERRY_KEY_TYPE_UNWRAP &&
			    !strcmp(st[j].pol.description, st[i].pol.description))
				break;
		if (j == n)	/* count each description once, at its last */
			count++;
	}
	return count;
}

/* An unlinked, instantiated logon or user key. */
static struct key *kf_key_make(struct kf_staged *s, const char *desc)
{
	struct key_type *type = s->pol.key_type == KEYFERRY_KEY_TYPE_USER ?
				&key_type_user : &key_type_logon;
	struct key *k;
	int ret;

	k = key_alloc(type, desc, current_fsuid(), current_fsgid(),
		      current_cred(), kf_policy_perm(&s->pol),
		      KEY_ALLOC_NOT_IN_QUOTA, NULL);
	if (IS_ERR(k))
		return k;
	ret = key_instantiate_and_link(k, s->key, s->key_len, NULL, NULL);
	if (ret) {
		key_put(k);
		return ERR_PTR(ret);
	}
	if (s->pol.timeout)
		key_set_timeout(k, s->pol.timeout);
	return k;
}

/* A linked fscrypt-provisioning key, payload for FS_IOC_ADD_ENCRYPTION_KEY */
static struct key *kf_key_make_fscrypt(struct key *keyring,
				       struct kf_staged *s, const char *desc)
{
	struct fscrypt_provisioning_key_payload *pl;
	size_t plen = sizeof(*pl) + s->key_len;
	key_ref_t ref;
	struct key *k;

	pl = kf_zalloc(plen);
	if (!pl)
		return ERR_PTR(-ENOMEM);
	pl->type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	memcpy(pl->raw, s->key, s->key_len);
	ref = key_create_or_update(make_key_ref(keyring, true),
				   "fscrypt-provisioning", desc, pl, plen,
				   kf_policy_perm(&s->pol),
				   KEY_ALLOC_NOT_IN_QUOTA);
	kf_free(pl);
	if (IS_ERR(ref))
		return ERR_CAST(ref);
	k = key_ref_to_ptr(ref);
	if (s->pol.timeout)
		key_set_timeout(k, s->pol.timeout);
	return k;
}

static void kf_rollback(struct key *keyring, struct kf_staged *st,
			unsigned int n, const bool *linked)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!st[i].k)
			continue;
		if (linked[i])
			key_unlink(keyring, st[i].k);
		key_invalidate(st[i].k);
		key_put(st[i].k);
		st[i].k = NULL;
	}
}

static void kf_commit_unwrap(struct kf_staged *s, time64_t now)
{
	struct kf_unwrap *u = kf_unwrap_lookup(s->pol.description);

	if (u) {
		/* replaced by the newer delivery; the spare is not needed */
		kf_unwrap_drop(u);
	}
	u = s->spare;
	s->spare = NULL;
	strscpy(u->desc, s->pol.description, sizeof(u->desc));
	memcpy(u->key, s->key, 32);
	u->expiry = s->pol.timeout ? now + s->pol.timeout : 0;
	strscpy(u->item, s->item, sizeof(u->item));
	u->version = s->version;
	list_add_tail(&u->node, &kf_unwraps);
	kf_n_unwraps++;
	s->serial = 0;
	s->expiry = u->expiry;
}

static void kf_commit_tracked(struct key *keyring, struct kf_staged *s,
			      time64_t now)
{
	struct kf_tracked *t, *tmp;

	list_for_each_entry_safe(t, tmp, &kf_tracked_keys, node)
		if (t->keyring == key_serial(keyring) &&
		    t->type == s->pol.key_type && !strcmp(t->desc, s->pol.description))
			kf_tracked_drop(t);
	if (kf_n_tracked >= KF_MAX_TRACKED_KEYS)
		kf_tracked_drop(list_first_entry(&kf_tracked_keys,
						 struct kf_tracked, node));
	t = s->spare;
	s->spare = NULL;
	t->k = key_get(s->k);
	t->keyring = key_serial(keyring);
	t->type = s->pol.key_type;
	strscpy(t->desc, s->pol.description, sizeof(t->desc));
	strscpy(t->item, s->item, sizeof(t->item));
	t->version = s->version;
	t->expiry = s->pol.timeout ? now + s->pol.timeout : 0;
	list_add_tail(&t->node, &kf_tracked_keys);
	kf_n_tracked++;
	s->serial = key_serial(s->k);
	s->expiry = t->expiry;
}

/*
 * Install every staged key, or none.  keyring: where keyring keys go
 * (referenced by the caller, write permission already checked).  kf_lock
 * held.  On success each st[i].serial/expiry is set and st[i].k references
 * the key (released by kf_staged_release).
 */
int kf_keys_install(struct key *keyring, struct kf_staged *st, unsigned int n)
{
	bool linked[KEYFERRY_MAX_ITEMS] = { };
	char desc[sizeof(KF_DESC_PREFIX) + KEYFERRY_DESCRIPTION_MAX];
	time64_t now = ktime_get_real_seconds();
	unsigned int i;
	int ret;

	lockdep_assert_held(&kf_lock);
	if (n > KEYFERRY_MAX_ITEMS)
		return -EINVAL;
	if (kf_n_unwraps + kf_unwrap_new_entries(st, n) > KF_MAX_UNWRAP_KEYS)
		return -ENOSPC;
	/* 1: everything that can fail, nothing visible yet */
	for (i = 0; i < n; i++) {
		bool unwrap = st[i].pol.key_type == KEYFERRY_KEY_TYPE_UNWRAP;

		st[i].spare = kf_zalloc(unwrap ? sizeof(struct kf_unwrap) :
					sizeof(struct kf_tracked));
		if (!st[i].spare) {
			ret = -ENOMEM;
			goto err;
		}
		if (unwrap || st[i].pol.key_type == KEYFERRY_KEY_TYPE_FSCRYPT)
			continue;
		snprintf(desc, sizeof(desc), KF_DESC_PREFIX "%s",
			 st[i].pol.description);
		st[i].k = kf_key_make(&st[i], desc);
		if (IS_ERR(st[i].k)) {
			ret = PTR_ERR(st[i].k);
			st[i].k = NULL;
			goto err;
		}
	}
	/* 2: link, then make the fscrypt keys (linked as they are made) */
	for (i = 0; i < n; i++) {
		if (!st[i].k)
			continue;
		ret = key_link(keyring, st[i].k);
		if (ret)
			goto err;
		linked[i] = true;
	}
	for (i = 0; i < n; i++) {
		if (st[i].pol.key_type != KEYFERRY_KEY_TYPE_FSCRYPT)
			continue;
		snprintf(desc, sizeof(desc), KF_DESC_PREFIX "%s",
			 st[i].pol.description);
		st[i].k = kf_key_make_fscrypt(keyring, &st[i], desc);
		if (IS_ERR(st[i].k)) {
			ret = PTR_ERR(st[i].k);
			st[i].k = NULL;
			goto err;
		}
		linked[i] = true;
	}
	/* 3: commit, cannot fail */
	for (i = 0; i < n; i++) {
		if (st[i].pol.key_type == KEYFERRY_KEY_TYPE_UNWRAP)
			kf_commit_unwrap(&st[i], now);
		else
			kf_commit_tracked(keyring, &st[i], now);
	}
	return 0;

err:
	kf_rollback(keyring, st, n, linked);
	for (i = 0; i < n; i++) {
		kf_free(st[i].spare);
		st[i].spare = NULL;
	}
	return ret;
}

/*
 * Forget what expired or went away; report expiries.  kf_lock held.
 * Returns the earliest future deadline (0: none) for the next run.
 */
time64_t kf_keyring_gc(time64_t now)
{
	struct kf_tracked *t, *tmp;
	struct kf_unwrap *u, *utmp;
	time64_t next = 0;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry_safe(u, utmp, &kf_unwraps, node) {
		if (u->expiry && u->expiry <= now) {
			kf_event_expired(u->item, u->desc,
					 KEYFERRY_KEY_TYPE_UNWRAP);
			kf_unwrap_drop(u);
		} else if (u->expiry && (!next || u->expiry < next)) {
			next = u->expiry;
		}
	}
	list_for_each_entry_safe(t, tmp, &kf_tracked_keys, node) {
		int v = key_validate(t->k);

		if (v == -EKEYEXPIRED || (t->expiry && t->expiry <= now)) {
			kf_event_expired(t->item, t->desc, t->type);
			kf_tracked_drop(t);
		} else if (v || refcount_read(&t->k->usage) == 1) {
			/* revoked, invalidated, or linked nowhere: gone */
			kf_tracked_drop(t);
		} else if (t->expiry && (!next || t->expiry < next)) {
			next = t->expiry;
		}
	}
	return next;
}

int kf_key_info_get(unsigned long idx, struct kf_key_info *ki)
{
	struct kf_tracked *t;
	struct kf_unwrap *u;

	lockdep_assert_held(&kf_lock);
	memset(ki, 0, sizeof(*ki));
	list_for_each_entry(t, &kf_tracked_keys, node) {
		if (idx--)
			continue;
		ki->serial = key_serial(t->k);
		ki->type = t->type;
		snprintf(ki->description, sizeof(ki->description),
			 KF_DESC_PREFIX "%s", t->desc);
		strscpy(ki->item, t->item, sizeof(ki->item));
		ki->version = t->version;
		ki->expiry = t->expiry;
		return 0;
	}
	list_for_each_entry(u, &kf_unwraps, node) {
		if (idx--)
			continue;
		ki->serial = 0;
		ki->type = KEYFERRY_KEY_TYPE_UNWRAP;
		snprintf(ki->description, sizeof(ki->description),
			 KF_DESC_PREFIX "%s", u->desc);
		strscpy(ki->item, u->item, sizeof(ki->item));
		ki->version = u->version;
		ki->expiry = u->expiry;
		return 0;
	}
	return -ENOENT;
}
