// SPDX-License-Identifier: MIT
/*
 * Requests per client address: a token bucket consulted before any
 * cryptography or database work, so that one address cannot make the
 * repository spend more than its share of either.
 *
 * The bucket is kept as GCRA, which is a token bucket stored as one
 * number: each address has a theoretical arrival time tat; a request at
 * now is allowed when tat - now <= tau (the burst tolerance), and then
 * tat = max(tat, now) + T, T being the time one token takes to come back.
 * burst requests at once, then one per T.
 *
 * Memory is fixed: a table of sets of 4 entries, indexed by a keyed hash
 * of the address (the key is random per process, so that nobody can aim
 * at one set).  An address not in its set takes the entry whose bucket is
 * full again (tat <= now: forgetting it loses nothing), else the one that
 * will be full soonest; so a flood of addresses can at worst make one
 * address's bucket start full again, never refuse one that has not asked.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tools/repo/internal.h"

#define AL_SETS		16384
#define AL_WAYS		4
#define AL_STRIPES	64

struct al_entry {
	uint8_t addr[16];	/* IPv6, or IPv4-mapped */
	uint64_t tat;		/* ns, CLOCK_MONOTONIC; 0: unused */
};

struct kf_addrlimit {
	uint64_t t_ns;		/* one token comes back in T */
	uint64_t tau_ns;	/* (burst - 1) * T */
	uint8_t hash_key[16];
	pthread_mutex_t lock[AL_STRIPES];
	struct al_entry set[AL_SETS][AL_WAYS];
};

struct kf_addrlimit *kf_addrlimit_new(unsigned int count, unsigned int period,
				      unsigned int burst)
{
	struct kf_addrlimit *al;
	unsigned int i;

	if (!count || !period || !burst)
		return NULL;
	al = calloc(1, sizeof(*al));
	if (!al)
		return NULL;
	al->t_ns = (uint64_t)period * 1000000000ull / count;
	al->tau_ns = (uint64_t)(burst - 1) * al->t_ns;
	if (kf_random(al->hash_key, sizeof(al->hash_key))) {
		free(al);
		return NULL;
	}
	for (i = 0; i < AL_STRIPES; i++)
		pthread_mutex_init(&al->lock[i], NULL);
	return al;
}

void kf_addrlimit_free(struct kf_addrlimit *al)
{
	unsigned int i;

	if (!al)
		return;
	for (i = 0; i < AL_STRIPES; i++)
		pthread_mutex_destroy(&al->lock[i]);
	free(al);
}

/* The address as 16 bytes; false for a family we do not serve. */
static bool addr_key(const struct sockaddr *sa, uint8_t out[16])
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &in4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

/* SipHash would do; a keyed BLAKE2s is what OpenSSL offers ready-made. */
static unsigned int set_of(const struct kf_addrlimit *al, const uint8_t a[16])
{
	uint8_t buf[32], h[32];
	unsigned int len = sizeof(h);

	memcpy(buf, al->hash_key, 16);
	memcpy(buf + 16, a, 16);
	if (EVP_Digest(buf, sizeof(buf), h, &len, EVP_blake2s256(), NULL) != 1)
		return 0;
	return ((unsigned int)h[0] << 16 | h[1] << 8 | h[2]) % AL_SETS;
}

static struct al_entry *find(struct al_entry *set, const uint8_t a[16],
			     uint64_t now)
{
	struct al_entry *e, *victim = &set[0];
	unsigned int i;

	for (i = 0; i < AL_WAYS; i++)
		if (set[i].tat && !memcmp(set[i].addr, a, 16))
			return &set[i];
	for (i = 0; i < AL_WAYS; i++) {
		e = &set[i];
		if (e->tat <= now) {
			victim = e;
			break;
		}
		if (e->tat < victim->tat)
			victim = e;
	}
	memcpy(victim->addr, a, 16);
	victim->tat = now;	/* a full bucket */
	return victim;
}

bool kf_addrlimit_take(struct kf_addrlimit *al, const struct sockaddr *sa,
		       uint64_t now, unsigned int *retry_after)
{
	uint8_t a[16];
	unsigned int s;
	struct al_entry *e;
	uint64_t tat, wait;
	bool ok;

	*retry_after = 0;
	if (!al || !addr_key(sa, a))
		return true;
	now += 1;	/* tat 0 means an unused entry */
	s = set_of(al, a);
	pthread_mutex_lock(&al->lock[s % AL_STRIPES]);
	e = find(al->set[s], a, now);
	tat = e->tat > now ? e->tat : now;
	ok = tat - now <= al->tau_ns;
	if (ok) {
		e->tat = tat + al->t_ns;
	} else {
		wait = tat - now - al->tau_ns;
		*retry_after = (unsigned int)((wait + 999999999ull) /
					      1000000000ull);
	}
	pthread_mutex_unlock(&al->lock[s % AL_STRIPES]);
	return ok;
}
