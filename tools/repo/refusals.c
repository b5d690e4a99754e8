// SPDX-License-Identifier: MIT
/*
 * Refusals of strangers, aggregated.  Anyone can complete a handshake with
 * a fresh Kei, so a refusal that concerns nobody the repository knows (an
 * unknown entity, a request that does not decode, an enrollment with a
 * bad nonce or an unknown token) is not written to the audit log one row
 * at a time, which would let strangers make the repository write under
 * its single writer as fast as they can send.  They are counted here, in
 * memory, and written as one audit record per kind every interval (and
 * when the server stops): op "transfer" or "enroll", subject "*", the
 * result as a single refusal's would be, and a detail
 * "aggregated count=N first=T0 last=T1 why=... kei=KID,KID,...(+M)".  Each
 * is also counted in keyferry_transfers_total at once.  Refusals about a
 * known entity or a known token are still audited one by one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/repo/internal.h"

#define AGG_KIDS 8

struct agg {
	uint64_t count;
	int64_t first, last;
	unsigned int n_kids;
	uint64_t more;		/* distinct kids beyond AGG_KIDS, about */
	char kids[AGG_KIDS][2 * KF_KID_SIZE + 1];
};

struct kf_refusals {
	pthread_mutex_t lock;
	struct agg agg[KF_AGG_MAX];
};

static const struct {
	const char *op, *result, *why;
} kinds[KF_AGG_MAX] = {
	[KF_AGG_UNKNOWN_ENTITY] = { "transfer", "unknown_entity",
				    "unknown entity" },
	[KF_AGG_MALFORMED] = { "transfer", "bad_request",
			       "request refused before any look-up" },
	[KF_AGG_BAD_NONCE] = { "enroll", "bad_token",
			       "nonce unknown or expired" },
	[KF_AGG_USED_NONCE] = { "enroll", "bad_token", "nonce already used" },
	[KF_AGG_UNKNOWN_TOKEN] = { "enroll", "bad_token", "unknown token" },
};

struct kf_refusals *kf_refusals_new(void)
{
	struct kf_refusals *rf = calloc(1, sizeof(*rf));

	if (rf)
		pthread_mutex_init(&rf->lock, NULL);
	return rf;
}

void kf_refusals_free(struct kf_refusals *rf)
{
	if (!rf)
		return;
	pthread_mutex_destroy(&rf->lock);
	free(rf);
}

void kf_refusals_note(struct kf_refusals *rf, enum kf_agg kind,
		      const uint8_t kei[KF_KEY_SIZE])
{
	uint8_t k[KF_KID_SIZE];
	char kid[2 * KF_KID_SIZE + 1];
	struct agg *a = &rf->agg[kind];
	int64_t now = kf_now();
	unsigned int i;

	kf_kid(kei, k);
	kf_hex(kid, k, sizeof(k));
	pthread_mutex_lock(&rf->lock);
	if (!a->count++)
		a->first = now;
	a->last = now;
	for (i = 0; i < a->n_kids && strcmp(a->kids[i], kid); i++)
		;
	if (i == a->n_kids) {
		if (a->n_kids < AGG_KIDS)
			memcpy(a->kids[a->n_kids++], kid, sizeof(kid));
		else
			a->more++;
	}
	pthread_mutex_unlock(&rf->lock);
}

static void detail_of(const struct agg *a, const char *why, char *out,
		      size_t cap)
{
	size_t off;
	unsigned int i;

	off = (size_t)snprintf(out, cap, "aggregated count=%llu first=%lld "
			       "last=%lld why=%s kei=",
			       (unsigned long long)a->count,
			       (long long)a->first, (long long)a->last, why);
	for (i = 0; i < a->n_kids && off < cap; i++)
		off += (size_t)snprintf(out + off, cap - off, "%s%s",
					i ? "," : "", a->kids[i]);
	if (a->more && off < cap)
		snprintf(out + off, cap - off, "(+%llu)",
			 (unsigned long long)a->more);
}

/*
 * Write one record per kind seen since the last flush, each in its own
 * transaction; what could not be written is kept for the next flush.
 */
int kf_refusals_flush(struct kf_refusals *rf, struct kf_store *st)
{
	struct agg snap;
	char detail[512];
	unsigned int k;
	int ret = 0, r;

	for (k = 0; k < KF_AGG_MAX; k++) {
		pthread_mutex_lock(&rf->lock);
		snap = rf->agg[k];
		memset(&rf->agg[k], 0, sizeof(rf->agg[k]));
		pthread_mutex_unlock(&rf->lock);
		if (!snap.count)
			continue;
		detail_of(&snap, kinds[k].why, detail, sizeof(detail));
		r = kf_store_audit(st, kinds[k].op, "*", kinds[k].result,
				   detail);
		if (!r)
			continue;
		ret = r;
		/* Put the counts back, merged with what came meanwhile. */
		pthread_mutex_lock(&rf->lock);
		rf->agg[k].count += snap.count;
		rf->agg[k].first = snap.first;
		if (!rf->agg[k].last)
			rf->agg[k].last = snap.last;
		pthread_mutex_unlock(&rf->lock);
	}
	return ret;
}
