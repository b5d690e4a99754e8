// SPDX-License-Identifier: GPL-2.0
/*
 * Accounted allocations and counters.
 *
 * Every block the module allocates for its own state (transfers, staged
 * keys, unwrapping keys, tracking entries, work buffers) goes through
 * kf_zalloc()/kf_free(), which keep the number of live blocks and bytes;
 * crypto transforms are counted by crypto.c.  The counters are shown in
 * /sys/kernel/debug/keyferry/stats (root only), so a test can prove that a
 * thousand transfers leave the module's memory where it started.  They are
 * atomics: no lock is needed to update or read them.
 */
#include <linux/slab.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "keyferry.h"

struct kf_stats kf_counters;
static atomic_long_t kf_bytes = ATOMIC_LONG_INIT(0);
static atomic_long_t kf_objects = ATOMIC_LONG_INIT(0);
static atomic_long_t kf_tfms = ATOMIC_LONG_INIT(0);
static struct dentry *kf_debugfs_dir;

/* The header keeps the size for accounting and 16-byte alignment. */
struct kf_block {
	size_t size;
	size_t pad;
	u8 data[];
};

void *kf_zalloc(size_t size)
{
	struct kf_block *b;

	b = kzalloc(sizeof(*b) + size, GFP_KERNEL);
	if (!b)
		return NULL;
	b->size = size;
	atomic_long_add(size, &kf_bytes);
	atomic_long_inc(&kf_objects);
	return b->data;
}

void kf_free(void *p)
{
	struct kf_block *b;

	if (!p)
		return;
	b = container_of(p, struct kf_block, data[0]);
	atomic_long_sub(b->size, &kf_bytes);
	atomic_long_dec(&kf_objects);
	kfree_sensitive(b);
}

void kf_stat_tfm(int delta)
{
	atomic_long_add(delta, &kf_tfms);
}

/* Event counters are only ever incremented, under kf_lock. */
void kf_stat_count(long *counter)
{
	WRITE_ONCE(*counter, READ_ONCE(*counter) + 1);
}

void kf_stats_get(struct kf_stats *st)
{
	st->bytes = atomic_long_read(&kf_bytes);
	st->objects = atomic_long_read(&kf_objects);
	st->tfms = atomic_long_read(&kf_tfms);
	st->transfers_begun = READ_ONCE(kf_counters.transfers_begun);
	st->transfers_finished = READ_ONCE(kf_counters.transfers_finished);
	st->transfers_expired = READ_ONCE(kf_counters.transfers_expired);
	st->keys_installed = READ_ONCE(kf_counters.keys_installed);
	st->keys_ended = READ_ONCE(kf_counters.keys_ended);
	st->refusals = READ_ONCE(kf_counters.refusals);
}

static int kf_stats_show(struct seq_file *m, void *v)
{
	struct kf_stats st;

	kf_stats_get(&st);
	seq_printf(m, "bytes %ld\n", st.bytes);
	seq_printf(m, "objects %ld\n", st.objects);
	seq_printf(m, "tfms %ld\n", st.tfms);
	seq_printf(m, "pending %u\n", kf_transfer_pending());
	mutex_lock(&kf_lock);
	seq_printf(m, "unwrap_keys %u\n", kf_unwrap_count());
	seq_printf(m, "tracked_keys %u\n", kf_tracked_count());
	seq_printf(m, "version_records %u\n", kf_version_count());
	seq_printf(m, "owner_keys %u\n", kf_entity.n_owners);
	seq_printf(m, "entity_state %u\n", kf_entity.state);
	mutex_unlock(&kf_lock);
	seq_printf(m, "transfers_begun %ld\n", st.transfers_begun);
	seq_printf(m, "transfers_finished %ld\n", st.transfers_finished);
	seq_printf(m, "transfers_expired %ld\n", st.transfers_expired);
	seq_printf(m, "keys_installed %ld\n", st.keys_installed);
	seq_printf(m, "keys_ended %ld\n", st.keys_ended);
	seq_printf(m, "refusals %ld\n", st.refusals);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kf_stats);

int kf_stats_init(void)
{
	/* debugfs is optional: its failure never stops the module. */
	kf_debugfs_dir = debugfs_create_dir("keyferry", NULL);
	debugfs_create_file("stats", 0400, kf_debugfs_dir, NULL,
			    &kf_stats_fops);
	return 0;
}

void kf_stats_exit(void)
{
	debugfs_remove_recursive(kf_debugfs_dir);
	if (atomic_long_read(&kf_objects) || atomic_long_read(&kf_tfms))
		pr_warn(KF_LOG_PREFIX "leak at unload: %ld blocks (%ld bytes), %ld tfms\n",
			atomic_long_read(&kf_objects),
			atomic_long_read(&kf_bytes),
			atomic_long_read(&kf_tfms));
}
