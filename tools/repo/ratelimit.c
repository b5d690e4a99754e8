// SPDX-License-Identifier: MIT
/*
 * Data sets' rate limits: at most count deliveries per entity in each
 * fixed window of period seconds.  Kept in memory: a restart forgives the
 * current window, which is acceptable for a limit meant to slow down a
 * misbehaving host, not to count money.  Striped locks keep the threads
 * from queueing on one mutex; entries are recycled once their window has
 * passed, so memory stays bounded by the active entities.
 */
#include <pthread.h>
#include <stdlib.h>

#include "tools/repo/internal.h"

#define RL_BUCKETS	4096
#define RL_STRIPES	64

struct rl_entry {
	struct rl_entry *next;
	int64_t entity, ds;
	int64_t window;		/* start of the current window */
	uint32_t period;	/* its own data set's, not the caller's */
	uint32_t used;
};

struct kf_ratelimit {
	pthread_mutex_t lock[RL_STRIPES];
	struct rl_entry *bucket[RL_BUCKETS];
};

struct kf_ratelimit *kf_ratelimit_new(void)
{
	struct kf_ratelimit *rl = calloc(1, sizeof(*rl));
	unsigned int i;

	if (!rl)
		return NULL;
	for (i = 0; i < RL_STRIPES; i++)
		pthread_mutex_init(&rl->lock[i], NULL);
	return rl;
}

void kf_ratelimit_free(struct kf_ratelimit *rl)
{
	struct rl_entry *e, *next;
	unsigned int i;

	if (!rl)
		return;
	for (i = 0; i < RL_BUCKETS; i++)
		for (e = rl->bucket[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	for (i = 0; i < RL_STRIPES; i++)
		pthread_mutex_destroy(&rl->lock[i]);
	free(rl);
}

static unsigned int hash(int64_t entity, int64_t ds)
{
	uint64_t h = (uint64_t)entity * 0x9e3779b97f4a7c15ull ^
		     (uint64_t)ds * 0xc2b2ae3d27d4eb4full;

	return (unsigned int)(h >> 40) % RL_BUCKETS;
}

/*
 * An entry can be recycled once its own window has passed: judged by its
 * own data set's period, never by the caller's, or a short-period data set
 * would reset the windows of long-period ones sharing the bucket.
 */
static bool ended(const struct rl_entry *e, int64_t now)
{
	return now - e->window >= (int64_t)e->period;
}

static struct rl_entry *find(struct kf_ratelimit *rl, unsigned int b,
			     int64_t entity, int64_t ds, int64_t now,
			     uint32_t period)
{
	struct rl_entry *e, *stale = NULL;

	for (e = rl->bucket[b]; e; e = e->next) {
		if (e->entity == entity && e->ds == ds) {
			e->period = period;	/* the data set may change */
			return e;
		}
		if (!stale && ended(e, now))
			stale = e;
	}
	e = stale;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->next = rl->bucket[b];
		rl->bucket[b] = e;
	}
	/* Windows end: reuse rather than grow. */
	e->entity = entity;
	e->ds = ds;
	e->period = period;
	e->used = 0;
	e->window = now;
	return e;
}

bool kf_ratelimit_take(struct kf_ratelimit *rl, int64_t entity, int64_t ds,
		       uint32_t count, uint32_t period, int64_t now)
{
	unsigned int b = hash(entity, ds);
	pthread_mutex_t *lock = &rl->lock[b % RL_STRIPES];
	struct rl_entry *e;
	bool ok = false;

	if (!period)
		period = 1;
	pthread_mutex_lock(lock);
	e = find(rl, b, entity, ds, now, period);
	if (e) {
		if (now - e->window >= (int64_t)period) {
			e->window = now - (now - e->window) % period;
			e->used = 0;
		}
		if (e->used < count) {
			e->used++;
			ok = true;
		}
	}
	/* Out of memory: refuse, the safe side for a limit. */
	pthread_mutex_unlock(lock);
	return ok;
}
