// SPDX-License-Identifier: GPL-2.0
/*
 * The version records (docs/protocol.md 4.1): for each (owner name, item
 * name) this identity installed, the highest version it installed.  A
 * lower version is refused (ESTALE), the same one accepted (a renewal), so
 * a distributor that kept old sealed blobs cannot roll a host back.
 *
 * A record raised or added raises the state generation (entity.c), so
 * that the helper saves the identity again; a renewal of the same version
 * does not.
 *
 * A record is never forgotten while the identity lives: forgetting it
 * would re-open the rollback.  Hence a bound (KEYFERRY_MAX_VERSION_RECORDS)
 * and ENOSPC for an item that would need one more, rather than eviction.
 * ENTITY_CREATE with REPLACE starts a new identity, and flushes them.
 *
 * The records are self-contained so that the host identity's export can
 * save them (kf_versions_for_each) and its import restore them along with
 * Kei and Kec (a kf_version_set, made outside the lock and installed with
 * the identity): they must survive a module reload exactly when the
 * identity does.
 *
 * Locking: every function runs with kf_lock held.  Lifetimes: a record is
 * kf_zalloc'ed when an install that needs it is prepared (so that the
 * install's commit cannot fail), and freed by kf_versions_flush (REPLACE,
 * restore, unload).  A list is enough: at most 1024 entries, looked up a
 * few times per delivered item.
 */
#include <linux/string.h>
#include "keyferry.h"

struct kf_vrec {
	struct list_head node;
	struct kf_version_record r;
};

static LIST_HEAD(kf_vrecs);
static unsigned int kf_n_vrecs;

static struct kf_vrec *kf_vrec_find(const char *owner, const char *item)
{
	struct kf_vrec *v;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry(v, &kf_vrecs, node)
		if (!strcmp(v->r.owner, owner) && !strcmp(v->r.item, item))
			return v;
	return NULL;
}

u64 kf_version_get(const char *owner, const char *item)
{
	struct kf_vrec *v = kf_vrec_find(owner, item);

	return v ? v->r.version : 0;
}

unsigned int kf_version_count(void)
{
	return kf_n_vrecs;
}

/*
 * A staged install of (owner, item): nothing to do when its record exists;
 * else one more record is preallocated, unless the table is full (-ENOSPC;
 * *spare counts toward the bound until committed or freed).
 */
int kf_version_reserve(const char *owner, const char *item, void **spare)
{
	lockdep_assert_held(&kf_lock);
	*spare = NULL;
	if (kf_vrec_find(owner, item))
		return 0;
	if (kf_n_vrecs >= KEYFERRY_MAX_VERSION_RECORDS)
		return -ENOSPC;
	*spare = kf_zalloc(sizeof(struct kf_vrec));
	if (!*spare)
		return -ENOMEM;
	kf_n_vrecs++;		/* reserved */
	return 0;
}

void kf_version_spare_free(void **spare)
{
	if (!*spare)
		return;
	kf_n_vrecs--;
	kf_free(*spare);
	*spare = NULL;
}

void kf_version_commit(const char *owner, const char *item, u64 version,
		       void **spare)
{
	struct kf_vrec *v = kf_vrec_find(owner, item);

	if (v) {
		/* the same version again (a renewal) changes nothing saved */
		if (version > v->r.version) {
			v->r.version = version;
			kf_state_changed();
		}
		kf_version_spare_free(spare);
		return;
	}
	v = *spare;
	*spare = NULL;
	strscpy(v->r.owner, owner, sizeof(v->r.owner));
	strscpy(v->r.item, item, sizeof(v->r.item));
	v->r.version = version;
	list_add_tail(&v->node, &kf_vrecs);	/* counted when reserved */
	kf_state_changed();
}

/* Calls fn on each record in a stable order; stops at its non-zero return. */
int kf_versions_for_each(int (*fn)(const struct kf_version_record *r,
				   void *arg), void *arg)
{
	struct kf_vrec *v;
	int ret;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry(v, &kf_vrecs, node) {
		ret = fn(&v->r, arg);
		if (ret)
			return ret;
	}
	return 0;
}

void kf_versions_flush(void)
{
	struct kf_vrec *v, *tmp;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry_safe(v, tmp, &kf_vrecs, node) {
		list_del(&v->node);
		kf_free(v);
	}
	kf_n_vrecs = 0;
}

static bool kf_record_valid(const struct kf_version_record *r)
{
	return kf_owner_name_valid((const u8 *)r->owner,
				   strnlen(r->owner, sizeof(r->owner))) &&
	       kf_name_valid((const u8 *)r->item,
			     strnlen(r->item, sizeof(r->item)),
			     KEYFERRY_NAME_MAX) &&
	       r->version && r->version <= S64_MAX;
}

void kf_version_set_init(struct kf_version_set *set)
{
	INIT_LIST_HEAD(&set->list);
	set->n = 0;
}

/*
 * One more record for an identity being imported: -EINVAL for a bad name
 * or version or a pair already in the set, -ENOSPC beyond the bound,
 * -ENOMEM.  The set is its maker's alone: no lock.
 */
int kf_version_set_add(struct kf_version_set *set,
		       const struct kf_version_record *r)
{
	struct kf_vrec *v;

	if (!kf_record_valid(r))
		return -EINVAL;
	if (set->n == KEYFERRY_MAX_VERSION_RECORDS)
		return -ENOSPC;
	list_for_each_entry(v, &set->list, node)
		if (!strcmp(v->r.owner, r->owner) && !strcmp(v->r.item, r->item))
			return -EINVAL;
	v = kf_zalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->r = *r;
	list_add_tail(&v->node, &set->list);
	set->n++;
	return 0;
}

void kf_version_set_free(struct kf_version_set *set)
{
	struct kf_vrec *v, *tmp;

	list_for_each_entry_safe(v, tmp, &set->list, node) {
		list_del(&v->node);
		kf_free(v);
	}
	set->n = 0;
}

/* Every record replaced by the set's, which is left empty; cannot fail. */
void kf_versions_install(struct kf_version_set *set)
{
	lockdep_assert_held(&kf_lock);
	kf_versions_flush();
	list_splice_init(&set->list, &kf_vrecs);
	kf_n_vrecs = set->n;
	set->n = 0;
}
