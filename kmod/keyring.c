// SPDX-License-Identifier: GPL-2.0
/*
 * Where delivered keys go, and how long they stay: the module's own
 * keyring "keyferry" (made at load) or the root-owned keyring the caller
 * names, or, for unwrapping keys, the module's memory only.
 *
 * Descriptions are derived (docs/protocol.md 4.1): an item of owner O named
 * N is installed as "keyferry:O:N" and an unwrapping key held as "O:N", so
 * an item can only ever install or replace the key of the same item of the
 * same owner.  One live key per (owner, item): a new delivery of it
 * supersedes the earlier one (a keyring key is revoked, an unwrapping key
 * wiped), which is also how a lease is renewed.
 *
 * Installing is a transaction (kf_keys_install): everything that can fail
 * is done before anything becomes visible (store entries and version
 * records preallocated, logon/user keys allocated and instantiated
 * unlinked), then keys are linked, and any failure unlinks and invalidates
 * what this call made.  fscrypt-provisioning keys can only be made by
 * key_create_or_update() (their key_type is not exported), which links at
 * once; they are made last and rolled back the same way.  A link displaces
 * a key of the same type and description in that keyring (the keyring's
 * own semantics): this item's own earlier key, which is noted before
 * anything is linked and linked back by a rollback (kf_note_displaced,
 * kf_unlink_or_restore).  Last, the infallible commit: version
 * records raised, earlier keys of the same items superseded, unwrapping
 * keys stored, tracking entries recorded.
 *
 * Lifetimes (kf_keyring_gc, run by the collector in transfer.c): a key
 * ends at the smallest of its policy's TIMEOUT, NOT_AFTER and LEASE +
 * GRACE, counted on CLOCK_BOOTTIME; then a keyring key is revoked
 * (key_revoke: in every keyring, whatever userspace did with it) and an
 * unwrapping key wiped.  key_set_timeout() is set too, so that `keyctl
 * show` displays the end (and so that a wall clock set forward ends it
 * sooner, never later).  An authenticated "revoked" ends at once every key
 * the revoked identity installed (kf_keys_revoke_all); keys an earlier,
 * replaced identity installed keep their own lifetimes.
 *
 * Locking: all lists here are under kf_lock.  Lifetimes of the entries: a
 * tracking entry holds a reference to its key, dropped when the entry goes
 * (the key ended, was superseded, was revoked or invalidated by someone
 * else, or is linked nowhere any more; or unload).  While the key lives,
 * its entry stays: a full table refuses installs (ENOSPC) rather than
 * forget a key it must end.  Unwrapping keys are wiped (kf_free) when
 * superseded, ended, forgotten with their entity, or at unload.
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
	char owner[KEYFERRY_OWNER_NAME_MAX + 1];
	char item[KEYFERRY_NAME_MAX + 1];
	u8 key[32];
	u64 version;
	struct kf_life life;
};

struct kf_tracked {
	struct list_head node;
	struct key *k;			/* referenced */
	u64 gen;			/* the identity that installed it */
	u8 type;
	char owner[KEYFERRY_OWNER_NAME_MAX + 1];
	char item[KEYFERRY_NAME_MAX + 1];
	u64 version;
	struct kf_life life;
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

static bool kf_same_item(const char *owner_a, const char *item_a,
			 const char *owner_b, const char *item_b)
{
	return !strcmp(owner_a, owner_b) && !strcmp(item_a, item_b);
}

static struct kf_unwrap *kf_unwrap_lookup(const char *owner, const char *item)
{
	struct kf_unwrap *u;

	list_for_each_entry(u, &kf_unwraps, node)
		if (kf_same_item(u->owner, u->item, owner, item))
			return u;
	return NULL;
}

static struct kf_tracked *kf_tracked_lookup(const char *owner,
					    const char *item)
{
	struct kf_tracked *t;

	list_for_each_entry(t, &kf_tracked_keys, node)
		if (kf_same_item(t->owner, t->item, owner, item))
			return t;
	return NULL;
}

static bool kf_life_over(const struct kf_life *l, time64_t now)
{
	return l->end && l->end <= now;
}

/*
 * Which owner's unwrapping key opens an alg 2 item is not in its header:
 * the policy names the item only.  Each candidate is tried; the AEAD of
 * the one that does not belong fails (-EBADMSG), since info binds the
 * region, name and version and each Kw is the owner's secret.  At most one
 * candidate per owner (held keys are unique per owner and item; the one
 * staged in this reply supersedes a held one of its owner).
 */
int kf_unwrap_try(const char *item, const struct kf_staged *st,
		  unsigned int n_staged,
		  int (*try)(const char *owner, const u8 *kw, void *arg),
		  void *arg)
{
	const char *staged_owner = NULL;
	time64_t now = ktime_get_boottime_seconds();
	struct kf_unwrap *u;
	unsigned int i;
	int ret = -ENOKEY;

	lockdep_assert_held(&kf_lock);
	/* item names are unique within a reply: at most one is staged */
	for (i = 0; i < n_staged; i++) {
		if (st[i].pol.key_type != KEYFERRY_KEY_TYPE_UNWRAP ||
		    strcmp(st[i].item, item))
			continue;
		staged_owner = st[i].owner;
		ret = try(st[i].owner, st[i].key, arg);
		if (ret != -EBADMSG)
			return ret;
	}
	list_for_each_entry(u, &kf_unwraps, node) {
		if (strcmp(u->item, item) || kf_life_over(&u->life, now) ||
		    (staged_owner && !strcmp(u->owner, staged_owner)))
			continue;
		ret = try(u->owner, u->key, arg);
		if (ret != -EBADMSG)
			return ret;
	}
	return ret;
}

void kf_staged_release(struct kf_staged *st)
{
	kf_free(st->key);
	st->key = NULL;
	kf_free(st->spare);
	st->spare = NULL;
	kf_version_spare_free(&st->vspare);
	if (st->k)
		key_put(st->k);
	st->k = NULL;
}

static void kf_describe(char *out, size_t cap, u8 type, const char *owner,
			const char *item)
{
	if (type == KEYFERRY_KEY_TYPE_UNWRAP)
		snprintf(out, cap, "%s:%s", owner, item);
	else
		snprintf(out, cap, KF_DESC_PREFIX "%s:%s", owner, item);
}

void kf_staged_info(const struct kf_staged *st, struct kf_key_info *ki)
{
	memset(ki, 0, sizeof(*ki));
	ki->serial = st->serial;
	ki->type = st->pol.key_type;
	kf_describe(ki->description, sizeof(ki->description), ki->type,
		    st->owner, st->item);
	strscpy(ki->owner, st->owner, sizeof(ki->owner));
	strscpy(ki->item, st->item, sizeof(ki->item));
	ki->version = st->version;
	ki->expiry = st->life.expiry;
	ki->renew_by = st->life.renew_by;
}

static void kf_tracked_info(const struct kf_tracked *t, struct kf_key_info *ki)
{
	memset(ki, 0, sizeof(*ki));
	ki->serial = key_serial(t->k);
	ki->type = t->type;
	kf_describe(ki->description, sizeof(ki->description), t->type,
		    t->owner, t->item);
	strscpy(ki->owner, t->owner, sizeof(ki->owner));
	strscpy(ki->item, t->item, sizeof(ki->item));
	ki->version = t->version;
	ki->expiry = t->life.expiry;
	ki->renew_by = t->life.renew_by;
}

static void kf_unwrap_info(const struct kf_unwrap *u, struct kf_key_info *ki)
{
	memset(ki, 0, sizeof(*ki));
	ki->type = KEYFERRY_KEY_TYPE_UNWRAP;
	kf_describe(ki->description, sizeof(ki->description), ki->type,
		    u->owner, u->item);
	strscpy(ki->owner, u->owner, sizeof(ki->owner));
	strscpy(ki->item, u->item, sizeof(ki->item));
	ki->version = u->version;
	ki->expiry = u->life.expiry;
	ki->renew_by = u->life.renew_by;
}

/* The deadlines of a key installed now, from its policy. */
static void kf_life_set(struct kf_life *l, const struct kf_policy *p,
			time64_t now_boot, time64_t now_real)
{
	struct kf_lifetime lt;

	memset(l, 0, sizeof(*l));
	kf_policy_lifetime(p, now_real, &lt);
	if (lt.secs) {
		l->end = now_boot + lt.secs;
		l->expiry = now_real + lt.secs;
		l->by_lease = lt.by_lease;
	}
	if (lt.lease)
		l->renew_by = now_real + lt.lease;
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
	return k;
}

/* A linked fscrypt-provisioning key, payload for FS_IOC_ADD_ENCRYPTION_KEY */
static struct key *kf_key_make_fscrypt(struct key *keyring,
				       struct kf_staged *s, const char *desc)
{
	struct fscrypt_provisioning_key_payload *pl;
	size_t plen = sizeof(*pl) + s->key_len;
	key_ref_t ref;

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
	return key_ref_to_ptr(ref);
}

/*
 * The serials of the keys linked in keyring, kvmalloc'ed (NULL and 0 when
 * it is empty).  The keyring's own read method, as keyctl_read_key() calls
 * it (under the keyring's semaphore, so the count cannot change between
 * the two calls): unlike keyring_search() it sees every key, whatever its
 * permissions or state.
 */
static int kf_keyring_serials(struct key *keyring, key_serial_t **out,
			      unsigned int *n)
{
	key_serial_t *s = NULL;
	long len;
	int ret = 0;

	*out = NULL;
	*n = 0;
	down_read(&keyring->sem);
	len = key_type_keyring.read(keyring, NULL, 0);
	if (len > 0) {
		s = kvmalloc(len, GFP_KERNEL);
		if (s)
			len = key_type_keyring.read(keyring, (char *)s, len);
		else
			ret = -ENOMEM;
	}
	up_read(&keyring->sem);
	if (ret)
		return ret;
	if (len < 0) {
		kvfree(s);
		return len;
	}
	*out = s;
	*n = len / sizeof(*s);
	return 0;
}

/*
 * The key each link of this install will displace, noted before anything
 * is linked so that a rollback can link it back: this item's tracked
 * earlier key, if it is of the same key type (so the same key type and
 * description) and linked in this keyring.  Not referenced: its tracking
 * entry holds it until the commit supersedes it.  A key someone else
 * linked there under a keyferry description is displaced without being
 * noted (docs/kernel.md).  kf_lock held.
 */
static int kf_note_displaced(struct key *keyring, struct kf_staged *st,
			     unsigned int n)
{
	key_serial_t *serials = NULL;
	unsigned int i, j, count = 0;
	bool listed = false;
	struct kf_tracked *t;
	int ret;

	for (i = 0; i < n; i++) {
		st[i].displaced = NULL;
		t = kf_tracked_lookup(st[i].owner, st[i].item);
		if (!t || t->type != st[i].pol.key_type)
			continue;
		if (!listed) {
			ret = kf_keyring_serials(keyring, &serials, &count);
			if (ret)
				return ret;
			listed = true;
		}
		for (j = 0; j < count; j++)
			if (serials[j] == key_serial(t->k))
				st[i].displaced = t->k;
	}
	kvfree(serials);
	return 0;
}

/*
 * Undo one link of a failed install: the key it displaced linked back
 * (displacing this one in its turn), or else this one unlinked.  Linking
 * back needs an allocation too; should that fail as well, the earlier key
 * stays valid and tracked but unlinked from this keyring, and the kernel
 * log says so.
 */
static void kf_unlink_or_restore(struct key *keyring, struct kf_staged *s)
{
	int ret;

	if (s->displaced) {
		ret = key_link(keyring, s->displaced);
		if (!ret)
			return;
		pr_warn_ratelimited(KF_LOG_PREFIX "%s:%s: the earlier key could not be linked back after a failed install (%d)\n",
				    s->owner, s->item, ret);
	}
	key_unlink(keyring, s->k);
}

static void kf_rollback(struct key *keyring, struct kf_staged *st,
			unsigned int n, const bool *linked)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!st[i].k)
			continue;
		if (linked[i])
			kf_unlink_or_restore(keyring, &st[i]);
		key_invalidate(st[i].k);
		key_put(st[i].k);
		st[i].k = NULL;
	}
}

/*
 * Would the tables hold what this reply brings?  Each staged item
 * supersedes at most one entry (its own earlier key) in either table.
 */
static int kf_room_check(const struct kf_staged *st, unsigned int n)
{
	unsigned int i, tracked = kf_n_tracked, unwraps = kf_n_unwraps;

	for (i = 0; i < n; i++) {
		if (kf_tracked_lookup(st[i].owner, st[i].item))
			tracked--;
		if (kf_unwrap_lookup(st[i].owner, st[i].item))
			unwraps--;
		if (st[i].pol.key_type == KEYFERRY_KEY_TYPE_UNWRAP)
			unwraps++;
		else
			tracked++;
	}
	if (unwraps > KF_MAX_UNWRAP_KEYS || tracked > KF_MAX_TRACKED_KEYS)
		return -ENOSPC;
	return 0;
}

/* Supersede the earlier key of this item, if any (commit: cannot fail). */
static void kf_supersede(const struct kf_staged *s)
{
	struct kf_tracked *t = kf_tracked_lookup(s->owner, s->item);
	struct kf_unwrap *u = kf_unwrap_lookup(s->owner, s->item);

	if (t) {
		if (t->k != s->k)
			key_revoke(t->k);
		kf_tracked_drop(t);
	}
	if (u)
		kf_unwrap_drop(u);
}

static void kf_commit_one(struct kf_staged *s, time64_t now_boot,
			  time64_t now_real)
{
	struct kf_tracked *t;
	struct kf_unwrap *u;

	kf_version_commit(s->owner, s->item, s->version, &s->vspare);
	kf_supersede(s);
	kf_life_set(&s->life, &s->pol, now_boot, now_real);
	if (s->pol.key_type == KEYFERRY_KEY_TYPE_UNWRAP) {
		u = s->spare;
		s->spare = NULL;
		strscpy(u->owner, s->owner, sizeof(u->owner));
		strscpy(u->item, s->item, sizeof(u->item));
		memcpy(u->key, s->key, 32);
		u->version = s->version;
		u->life = s->life;
		list_add_tail(&u->node, &kf_unwraps);
		kf_n_unwraps++;
		s->serial = 0;
		return;
	}
	t = s->spare;
	s->spare = NULL;
	t->k = key_get(s->k);
	t->gen = kf_entity.gen;
	t->type = s->pol.key_type;
	strscpy(t->owner, s->owner, sizeof(t->owner));
	strscpy(t->item, s->item, sizeof(t->item));
	t->version = s->version;
	t->life = s->life;
	list_add_tail(&t->node, &kf_tracked_keys);
	kf_n_tracked++;
	s->serial = key_serial(s->k);
	/* for display; the collector ends it on CLOCK_BOOTTIME */
	if (s->life.end)
		key_set_timeout(s->k, s->life.end - now_boot);
}

/* Step 1 for one item: preallocate, and make a logon/user key unlinked. */
static int kf_prepare_one(struct kf_staged *s)
{
	char desc[KEYFERRY_DESCRIPTION_MAX + 1];
	bool unwrap = s->pol.key_type == KEYFERRY_KEY_TYPE_UNWRAP;
	int ret;

	ret = kf_version_reserve(s->owner, s->item, &s->vspare);
	if (ret)
		return ret;
	s->spare = kf_zalloc(unwrap ? sizeof(struct kf_unwrap) :
			     sizeof(struct kf_tracked));
	if (!s->spare)
		return -ENOMEM;
	if (unwrap || s->pol.key_type == KEYFERRY_KEY_TYPE_FSCRYPT)
		return 0;
	kf_describe(desc, sizeof(desc), s->pol.key_type, s->owner, s->item);
	s->k = kf_key_make(s, desc);
	if (IS_ERR(s->k)) {
		ret = PTR_ERR(s->k);
		s->k = NULL;
		return ret;
	}
	return 0;
}

/*
 * Install every staged key, or none.  keyring: where keyring keys go
 * (referenced by the caller, write permission and owner already checked).
 * kf_lock held.  On success each st[i].serial/life is set and st[i].k
 * references the key (released by kf_staged_release).
 */
int kf_keys_install(struct key *keyring, struct kf_staged *st, unsigned int n)
{
	bool linked[KEYFERRY_MAX_ITEMS] = { };
	char desc[KEYFERRY_DESCRIPTION_MAX + 1];
	time64_t now_boot, now_real;
	unsigned int i;
	int ret;

	lockdep_assert_held(&kf_lock);
	if (n > KEYFERRY_MAX_ITEMS)
		return -EINVAL;
	ret = kf_room_check(st, n);
	if (ret)
		return ret;
	/* 1: everything that can fail, nothing visible yet */
	for (i = 0; i < n; i++) {
		ret = kf_prepare_one(&st[i]);
		if (ret)
			goto err;
	}
	ret = kf_note_displaced(keyring, st, n);
	if (ret)
		goto err;
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
		kf_describe(desc, sizeof(desc), st[i].pol.key_type,
			    st[i].owner, st[i].item);
		st[i].k = kf_key_make_fscrypt(keyring, &st[i], desc);
		if (IS_ERR(st[i].k)) {
			ret = PTR_ERR(st[i].k);
			st[i].k = NULL;
			goto err;
		}
		linked[i] = true;
	}
	/* 3: commit, cannot fail */
	now_boot = ktime_get_boottime_seconds();
	now_real = ktime_get_real_seconds();
	for (i = 0; i < n; i++)
		kf_commit_one(&st[i], now_boot, now_real);
	return 0;

err:
	kf_rollback(keyring, st, n, linked);
	for (i = 0; i < n; i++) {
		kf_free(st[i].spare);
		st[i].spare = NULL;
		kf_version_spare_free(&st[i].vspare);
	}
	return ret;
}

/* End a tracked key: revoked, reported, forgotten.  kf_lock held. */
static void kf_tracked_end(struct kf_tracked *t, u8 event, u8 reason)
{
	struct kf_key_info *ki = kf_zalloc(sizeof(*ki));

	key_revoke(t->k);
	kf_stat_count(&kf_counters.keys_ended);
	if (ki) {
		kf_tracked_info(t, ki);
		kf_event_key(event, reason, ki);
		kf_free(ki);
	}
	kf_tracked_drop(t);
}

static void kf_unwrap_end(struct kf_unwrap *u, u8 event, u8 reason)
{
	struct kf_key_info *ki = kf_zalloc(sizeof(*ki));

	kf_stat_count(&kf_counters.keys_ended);
	if (ki) {
		kf_unwrap_info(u, ki);
		kf_event_key(event, reason, ki);
		kf_free(ki);
	}
	kf_unwrap_drop(u);
}

static void kf_life_event(const struct kf_life *l, u8 *event, u8 *reason)
{
	*event = l->by_lease ? KEYFERRY_EVENT_REVOKED : KEYFERRY_EVENT_EXPIRED;
	*reason = l->by_lease ? KEYFERRY_REVOKE_LEASE : 0;
}

/*
 * The entity was revoked: every key this identity (generation gen)
 * installed is revoked (in every keyring), every unwrapping key wiped (all
 * are this identity's: REPLACE forgets them), each with a REVOKED event.
 * kf_lock held.  Returns how many keys it ended.
 */
unsigned int kf_keys_revoke_all(u64 gen)
{
	struct kf_tracked *t, *tmp;
	struct kf_unwrap *u, *utmp;
	unsigned int n = 0;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry_safe(t, tmp, &kf_tracked_keys, node) {
		if (t->gen != gen)
			continue;
		kf_tracked_end(t, KEYFERRY_EVENT_REVOKED, KEYFERRY_REVOKE_ENTITY);
		n++;
	}
	list_for_each_entry_safe(u, utmp, &kf_unwraps, node) {
		kf_unwrap_end(u, KEYFERRY_EVENT_REVOKED, KEYFERRY_REVOKE_ENTITY);
		n++;
	}
	return n;
}

static void kf_next_deadline(time64_t *next, const struct kf_life *l)
{
	if (l->end && (!*next || l->end < *next))
		*next = l->end;
}

/*
 * The collector's part here: end what reached its lifetime (now is
 * CLOCK_BOOTTIME seconds), forget entries of keys gone otherwise.
 * kf_lock held.  Returns the earliest future deadline (0: none).
 */
time64_t kf_keyring_gc(time64_t now)
{
	struct kf_tracked *t, *tmp;
	struct kf_unwrap *u, *utmp;
	time64_t next = 0;
	u8 event, reason;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry_safe(u, utmp, &kf_unwraps, node) {
		if (kf_life_over(&u->life, now)) {
			kf_life_event(&u->life, &event, &reason);
			kf_unwrap_end(u, event, reason);
		} else {
			kf_next_deadline(&next, &u->life);
		}
	}
	list_for_each_entry_safe(t, tmp, &kf_tracked_keys, node) {
		int v = key_validate(t->k);

		if (kf_life_over(&t->life, now) || v == -EKEYEXPIRED) {
			/* the kernel's wall-clock expiry may come first */
			kf_life_event(&t->life, &event, &reason);
			kf_tracked_end(t, event, reason);
		} else if (v || refcount_read(&t->k->usage) == 1) {
			/*
			 * revoked or invalidated by someone, or linked
			 * nowhere: nobody can use it any more
			 */
			kf_tracked_drop(t);
		} else {
			kf_next_deadline(&next, &t->life);
		}
	}
	return next;
}

int kf_key_info_get(unsigned long idx, struct kf_key_info *ki)
{
	struct kf_tracked *t;
	struct kf_unwrap *u;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry(t, &kf_tracked_keys, node) {
		if (idx--)
			continue;
		kf_tracked_info(t, ki);
		return 0;
	}
	list_for_each_entry(u, &kf_unwraps, node) {
		if (idx--)
			continue;
		kf_unwrap_info(u, ki);
		return 0;
	}
	return -ENOENT;
}
