// SPDX-License-Identifier: MIT
/*
 * Freshness of message 1, in memory (docs/protocol.md section 3.3): the
 * greatest request timestamp this process has accepted per Kei-pub, so
 * that a replay is refused without touching the database.  The durable
 * copy is the entity's last_timestamp, compared and updated inside the
 * transfer's transaction; this table only ever lags it (an entry is
 * written after that transaction commits), so refusing on it is never
 * wrong, and forgetting an entry costs one database look-up, not
 * safety.  An entry also holds the entity's id, which spares a known
 * entity's fetch the read before its transaction (transfer.c); the
 * transaction reads the row by id and Kei-pub together, so an entry that
 * outlived its entity finds nothing.
 *
 * Bounded: FR_SETS sets of FR_WAYS entries (65536 entries, 3 MiB), a set
 * chosen by a keyed hash of Kei-pub so that nobody can aim many keys at
 * one set; a full set forgets its entries in turn.  Striped locks keep
 * the threads from queueing on one mutex.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tools/repo/internal.h"

#define FR_SETS		16384
#define FR_WAYS		4
#define FR_STRIPES	64

struct fr_entry {
	uint8_t kei[KF_KEY_SIZE];
	uint8_t ts[KF_TIMESTAMP_SIZE];
	int64_t entity_id;
	bool used;
};

struct fr_set {
	struct fr_entry way[FR_WAYS];
	unsigned int next;	/* the way to forget when the set is full */
};

struct kf_freshness {
	pthread_mutex_t lock[FR_STRIPES];
	uint8_t seed[32];
	struct fr_set set[FR_SETS];
};

struct kf_freshness *kf_freshness_new(void)
{
	struct kf_freshness *f = calloc(1, sizeof(*f));
	unsigned int i;

	if (!f)
		return NULL;
	if (kf_random(f->seed, sizeof(f->seed))) {
		free(f);
		return NULL;
	}
	for (i = 0; i < FR_STRIPES; i++)
		pthread_mutex_init(&f->lock[i], NULL);
	return f;
}

void kf_freshness_free(struct kf_freshness *f)
{
	unsigned int i;

	if (!f)
		return;
	for (i = 0; i < FR_STRIPES; i++)
		pthread_mutex_destroy(&f->lock[i]);
	free(f);
}

static unsigned int set_of(const struct kf_freshness *f,
			   const uint8_t kei[KF_KEY_SIZE])
{
	uint8_t h[32];

	if (kf_sha256(h, f->seed, sizeof(f->seed), kei, KF_KEY_SIZE))
		memset(h, 0, sizeof(h));	/* still correct, just slower */
	return ((unsigned int)h[0] << 8 | h[1]) % FR_SETS;
}

static struct fr_entry *find(struct fr_set *s, const uint8_t kei[KF_KEY_SIZE])
{
	unsigned int i;

	for (i = 0; i < FR_WAYS; i++)
		if (s->way[i].used &&
		    !memcmp(s->way[i].kei, kei, KF_KEY_SIZE))
			return &s->way[i];
	return NULL;
}

bool kf_freshness_replayed(struct kf_freshness *f,
			   const uint8_t kei[KF_KEY_SIZE],
			   const uint8_t ts[KF_TIMESTAMP_SIZE],
			   int64_t *entity_id)
{
	unsigned int n = set_of(f, kei);
	pthread_mutex_t *lock = &f->lock[n % FR_STRIPES];
	struct fr_entry *e;
	bool replayed;

	pthread_mutex_lock(lock);
	e = find(&f->set[n], kei);
	replayed = e && kf_tai64n_compare(ts, e->ts) <= 0;
	*entity_id = e ? e->entity_id : 0;
	pthread_mutex_unlock(lock);
	return replayed;
}

void kf_freshness_accepted(struct kf_freshness *f,
			   const uint8_t kei[KF_KEY_SIZE],
			   const uint8_t ts[KF_TIMESTAMP_SIZE],
			   int64_t entity_id)
{
	unsigned int n = set_of(f, kei);
	pthread_mutex_t *lock = &f->lock[n % FR_STRIPES];
	struct fr_set *s = &f->set[n];
	struct fr_entry *e;

	pthread_mutex_lock(lock);
	e = find(s, kei);
	if (!e) {
		e = &s->way[s->next];
		s->next = (s->next + 1) % FR_WAYS;
		memcpy(e->kei, kei, KF_KEY_SIZE);
		memset(e->ts, 0, KF_TIMESTAMP_SIZE);
		e->used = true;
	}
	e->entity_id = entity_id;
	/* Two transfers of one entity may commit in either order. */
	if (kf_tai64n_compare(ts, e->ts) > 0)
		memcpy(e->ts, ts, KF_TIMESTAMP_SIZE);
	pthread_mutex_unlock(lock);
}
