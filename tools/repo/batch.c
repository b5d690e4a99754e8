// SPDX-License-Identifier: MIT
/*
 * Group commit: the transfers of concurrent requests share write
 * transactions, and so commits.  Each transfer still does its look-ups
 * and appends its audit record inside a write transaction, and still
 * answers only after the commit that carries its record; only the commit
 * is shared.
 *
 * The first transfer to find no transaction open begins one.  Transfers
 * that arrive while it is open take their turn on the shared writer
 * connection (r->writer), one at a time under b->lock, each doing its
 * whole work in the open transaction.  When one finishes and nobody else
 * is queued for the lock (b->arriving is zero) it commits for everyone
 * in the batch and wakes them; the ones that arrive during the commit
 * make the next batch.  At low load every batch has one transfer and
 * nothing changes; under load the commits, and with PostgreSQL the
 * round trips and WAL flushes behind them, are shared.
 *
 * A failure of the store in any member's work dooms the transaction (a
 * backend may refuse every statement after an error): the batch rolls
 * back and every member answers "internal error", as each would have
 * without group commit.  Nothing of a rolled-back batch was answered.
 *
 * Locking: b->lock guards the batch fields and the writer connection
 * while a batch is open; a member waits on b->done without it.  The
 * store's own write lock (held from the batch's begin to its end) may be
 * released by a thread other than the one that took it: store.c allows
 * that.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "tools/cli/cli.h"
#include "tools/repo/internal.h"

/* Bounds a batch, so that its first member is not kept waiting long. */
#define BATCH_MAX 64
/* Results of the last batches, for members that wake up late. */
#define BATCH_RING 1024

struct kf_batch {
	pthread_mutex_t lock;
	pthread_cond_t done;
	unsigned int arriving;	/* queued for lock (atomic) */
	bool open;		/* a transaction is open */
	bool doomed;		/* a member's work failed: roll back */
	unsigned int members;	/* in the open batch */
	uint64_t gen;		/* number of the open (or last) batch */
	uint64_t finished;	/* number of the last batch ended */
	int result[BATCH_RING];	/* by batch number, mod BATCH_RING */
	/* Counters for /metrics: batches and the transfers in them. */
	uint64_t batches, batched;
};

struct kf_batch *kf_batch_new(void)
{
	struct kf_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->done, NULL);
	return b;
}

void kf_batch_free(struct kf_batch *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->done);
	free(b);
}

/* Commit (or roll back) the open batch; under b->lock. */
static void finish(struct kf_batch *b, struct kf_store *st)
{
	int ret = kf_store_write_end(st, b->doomed ? -EIO : 0);

	b->result[b->gen % BATCH_RING] = ret;
	b->finished = b->gen;
	b->open = false;
	b->batches++;
	b->batched += b->members;
	pthread_cond_broadcast(&b->done);
}

int kf_batch_run(struct kf_batch *b, struct kf_store *st,
		 int (*work)(void *ctx, struct kf_store *st), void *ctx)
{
	uint64_t mine;
	int ret;

	__atomic_add_fetch(&b->arriving, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&b->lock);
	__atomic_sub_fetch(&b->arriving, 1, __ATOMIC_SEQ_CST);
	if (!b->open) {
		ret = kf_store_write_begin(st);
		if (ret) {
			pthread_mutex_unlock(&b->lock);
			return ret;
		}
		b->open = true;
		b->doomed = false;
		b->members = 0;
		b->gen++;
	}
	mine = b->gen;
	b->members++;
	if (work(ctx, st))
		b->doomed = true;
	if (!__atomic_load_n(&b->arriving, __ATOMIC_SEQ_CST) ||
	    b->members >= BATCH_MAX)
		finish(b, st);
	while (b->finished < mine)
		pthread_cond_wait(&b->done, &b->lock);
	ret = b->result[mine % BATCH_RING];
	pthread_mutex_unlock(&b->lock);
	return ret;
}

void kf_batch_stats(struct kf_batch *b, uint64_t *batches, uint64_t *batched)
{
	pthread_mutex_lock(&b->lock);
	*batches = b->batches;
	*batched = b->batched;
	pthread_mutex_unlock(&b->lock);
}
