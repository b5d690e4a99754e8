// SPDX-License-Identifier: MIT
/*
 * The secure provider's synchroniser: a thread that keeps the provider's
 * copy of its regions current and reports its audit records to the
 * repository, over the provider channel (docs/protocol.md section 11).
 *
 * It works in rounds, one every poll seconds (and at once after an
 * enrollment went through, so that a new host need not wait).  A round
 * is exchanges with the repository until both hold: the repository said
 * the copy is of its current generation (or the last page of a new copy
 * came and the copy was replaced with it), and every audit record the
 * provider had written when the round began is in the repository's log.
 *
 * Why that bounds revocation: a round that succeeds makes the copy at
 * least as recent as the moment it began (every exchange of the round,
 * the last included, came after), and the transfer path refuses everyone
 * once the last successful round began more than max_stale seconds ago
 * (kf_syncer_usable()).  So a revocation committed at the repository at
 * time t either came before the beginning of a round the provider still
 * relies on, and is in its copy, or came less than max_stale seconds
 * ago.  When the repository is unreachable the copy is served until
 * then, never after.  A repository that says the provider is unknown or
 * retired stops it at once.
 *
 * The copy is gathered page by page into memory and replaces the old one
 * in one transaction when complete; pages of two generations are never
 * mixed (a page of another generation begins the gathering again).  The
 * thread holds no store transaction while it talks to the repository.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/cli/cli.h"
#include "tools/provider/internal.h"

/* Exchanges in one round at most: a copy that keeps changing under a
 * long gathering ends the round as failed rather than never. */
#define ROUND_MAX_EXCHANGES	100000
/* The largest copy gathered in memory. */
#define STAGE_MAX		((size_t)1 << 31)
/* Room for the strings of a batch of records read from the copy. */
#define ARENA_SIZE	(KF_SYNC_RECORDS_MAX * (3 * (KF_SYNC_FIELD_MAX + 1) + \
					      8192 + 1))

/* One exchange's buffers, and the records read for reporting. */
struct round {
	uint8_t payload[KF_MESSAGE_MAX];
	uint8_t msg[KF_MESSAGE_MAX];	/* message 1 ... */
	uint8_t resp[KF_MESSAGE_MAX];	/* ... and 2 */
	struct kf_sync_request rq;
	struct kf_sync_reply rp;
	struct kf_audit_rec recs[KF_SYNC_RECORDS_MAX];
	unsigned int n_recs, next;
	char *arena;
	size_t arena_len;
	int64_t head;		/* the last record when the round began */
};

static uint64_t load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* ---- the provider's own audit records, to report ------------------------ */

static int copy_str(struct round *r, const char **dst, const char *src)
{
	size_t n = strlen(src ? src : "") + 1;

	if (r->arena_len + n > ARENA_SIZE)
		return 1;
	memcpy(r->arena + r->arena_len, src ? src : "", n);
	*dst = r->arena + r->arena_len;
	r->arena_len += n;
	return 0;
}

static int keep_record(void *ctx, const struct kf_audit_rec *rec)
{
	struct round *r = ctx;
	struct kf_audit_rec *k = &r->recs[r->n_recs];

	if (r->n_recs == KF_SYNC_RECORDS_MAX)
		return 1;
	*k = *rec;
	if (copy_str(r, &k->actor, rec->actor) ||
	    copy_str(r, &k->op, rec->op) ||
	    copy_str(r, &k->subject, rec->subject) ||
	    copy_str(r, &k->result, rec->result) ||
	    copy_str(r, &k->detail, rec->detail))
		return 1;
	r->n_recs++;
	return 0;
}

/* The records after the last one the repository holds, a batch of them. */
static int read_records(struct kf_syncer *s, struct round *r)
{
	r->n_recs = r->next = 0;
	r->arena_len = 0;
	return kf_store_audit_list(s->st, s->state.reported_seq + 1,
				   KF_SYNC_RECORDS_MAX, keep_record, r);
}

static int next_record(void *ctx, struct kf_audit_rec *rec)
{
	struct round *r = ctx;

	if (r->next == r->n_recs)
		return 0;
	*rec = r->recs[r->next++];
	return 1;
}

/* ---- one exchange --------------------------------------------------------- */

/*
 * Send the request (timestamp, the copy's state, a batch of records),
 * read the authenticated reply into r->rp (its rows point into
 * r->payload).  *taken: the records that went.
 */
static int exchange(struct kf_syncer *s, struct round *r, unsigned int *taken)
{
	struct kf_noise noise;
	size_t plen, mlen;
	int ret, http;

	kf_tai64n_next(r->rq.timestamp, s->last_ts);
	r->rq.has_held = s->state.gen.value > 0;
	r->rq.held = s->state.gen;
	r->rq.gathering = s->gathering;
	r->rq.gather = s->gather;
	r->rq.cursor = s->cursor;
	r->next = 0;
	ret = kf_sync_request_encode(&r->rq, next_record, r, r->payload,
				     sizeof(r->payload), &plen, taken);
	if (!ret)
		ret = kf_serverkey_sync_write1(s->key, &noise, r->msg,
					       sizeof(r->msg), &mlen,
					       s->cfg->repository_key,
					       r->payload, plen);
	if (ret)
		return ret;
	http = kf_upstream_post(s->up, KF_SYNC_PATH, r->msg, mlen, r->resp,
				sizeof(r->resp), &mlen);
	if (http != 200) {
		if (http > 0)
			kf_warn("sync: the repository answered %d: %.*s", http,
				(int)(mlen < 200 ? mlen : 200), r->resp);
		else
			kf_warn("sync: no repository reachable");
		kf_noise_wipe(&noise);
		return http > 0 ? -EPROTO : http;
	}
	ret = kf_noise_sync_read2(&noise, r->payload, sizeof(r->payload),
				  &plen, r->resp, mlen);
	kf_noise_wipe(&noise);
	if (!ret)
		ret = kf_sync_reply_decode(&r->rp, r->payload, plen);
	if (ret)
		kf_warn("sync: the repository's answer does not read (%s)",
			strerror(-ret));
	return ret;
}

/* ---- gathering and replacing the copy ------------------------------------ */

static bool same_gen(const struct kf_generation *a,
		     const struct kf_generation *b)
{
	return !memcmp(a->store, b->store, sizeof(a->store)) &&
	       a->value == b->value;
}

static int stage(struct kf_syncer *s, const uint8_t *rows, size_t len)
{
	size_t cap = s->stage_cap ? s->stage_cap : 1 << 16;
	uint8_t *grown;

	while (cap < s->stage_len + len)
		cap *= 2;
	if (cap > STAGE_MAX)
		return -EFBIG;
	if (cap != s->stage_cap) {
		grown = realloc(s->stage, cap);
		if (!grown)
			return -ENOMEM;
		s->stage = grown;
		s->stage_cap = cap;
	}
	if (len)
		memcpy(s->stage + s->stage_len, rows, len);
	s->stage_len += len;
	return 0;
}

static int next_row(void *ctx, struct kf_row *row)
{
	return kf_sync_rows_next(ctx, row);
}

static int apply(struct kf_syncer *s, int64_t began)
{
	static struct kf_sync_rows it;	/* large; this thread only */
	int ret;

	kf_sync_rows_init(&it, s->stage, s->stage_len);
	ret = kf_store_replica_apply(s->st, next_row, &it, &s->gather, began);
	s->gathering = false;
	s->stage_len = 0;
	if (ret) {
		kf_err("sync: the copy of generation %lld was refused by the "
		       "store (%s); the one before stays",
		       (long long)s->gather.value, strerror(-ret));
		return ret;
	}
	s->state.gen = s->gather;
	count(&s->applied);
	if (kf_verbose)
		kf_info("sync: copy of generation %lld in place",
			(long long)s->gather.value);
	return 0;
}

/*
 * The rows of a reply: the next page of the copy being gathered, or the
 * first of a new one.  1 when the copy is current (the reply said so, or
 * this was the last page and the copy is replaced), 0 when more pages
 * are to come.
 */
static int take_rows(struct kf_syncer *s, struct round *r, int64_t began)
{
	const struct kf_sync_reply *rp = &r->rp;
	int ret;

	if (s->state.gen.value && same_gen(&rp->gen, &s->state.gen) &&
	    !rp->n_rows && !rp->has_next)
		return 1;
	if (!s->gathering || !same_gen(&rp->gen, &s->gather)) {
		s->gathering = true;	/* from the beginning */
		s->gather = rp->gen;
		s->stage_len = 0;
	}
	ret = stage(s, rp->rows, rp->rows_len);
	if (ret)
		return ret;
	if (rp->has_next) {
		s->cursor = rp->next;
		return 0;
	}
	ret = apply(s, began);
	return ret ? ret : 1;
}

/* ---- a round ---------------------------------------------------------------- */

/* The repository answered, but not with ok: why, and whether it is final. */
static int refused(struct kf_syncer *s, const struct kf_sync_reply *rp)
{
	kf_err("sync: the repository refused this provider: %s%s%s",
	       kf_sync_status_name(rp->status), rp->message[0] ? ": " : "",
	       rp->message);
	if (rp->status == KF_SYNC_UNKNOWN || rp->status == KF_SYNC_RETIRED) {
		/* the message is cut where the protocol cuts it */
		snprintf(s->refusal, sizeof(s->refusal), "refused by the "
			 "repository: %.200s", rp->message[0] ? rp->message :
			 kf_sync_status_name(rp->status));
		__atomic_store_n(&s->refused, 1, __ATOMIC_RELEASE);
	}
	return -EACCES;
}

/* How far the repository holds our records: from there on, next time. */
static int reported(struct kf_syncer *s, const struct round *r)
{
	int64_t got = r->rp.reported;

	if (got == s->state.reported_seq)
		return 0;
	if (got < s->state.reported_seq)
		kf_warn("sync: the repository holds this provider's audit "
			"records up to %lld only (was %lld): sending them again",
			(long long)got, (long long)s->state.reported_seq);
	s->state.reported_seq = got;
	return kf_store_replica_set(s->st, s->state.synced, got);
}

static int round_once(struct kf_syncer *s, struct round *r)
{
	int64_t began = kf_now();
	uint64_t began_ns = kf_now_ns();
	unsigned int i, taken;
	uint8_t hash[32];
	bool current = false;
	int ret;

	ret = kf_store_audit_head(s->st, &r->head, hash);
	for (i = 0; !ret && i < ROUND_MAX_EXCHANGES; i++) {
		if (current && s->state.reported_seq >= r->head)
			break;
		ret = read_records(s, r);
		if (!ret)
			ret = exchange(s, r, &taken);
		if (!ret && r->rp.status != KF_SYNC_OK)
			ret = refused(s, &r->rp);
		if (!ret)
			ret = reported(s, r);
		if (ret)
			break;
		ret = take_rows(s, r, began);
		if (ret < 0)
			break;
		current = ret == 1;
		ret = 0;
	}
	if (!ret && !(current && s->state.reported_seq >= r->head))
		ret = -ETIMEDOUT;
	if (ret)
		return ret;
	s->state.synced = began;
	__atomic_store_n(&s->refused, 0, __ATOMIC_RELEASE);
	store64(&s->fresh_ns, began_ns);
	/* What was written during the round waits for the next one. */
	if (!kf_store_audit_head(s->st, &r->head, hash))
		__atomic_store_n(&s->backlog, r->head - s->state.reported_seq,
				 __ATOMIC_RELAXED);
	return kf_store_replica_set(s->st, began, s->state.reported_seq);
}

static void *run(void *arg)
{
	struct kf_syncer *s = arg;
	struct round *r = calloc(1, sizeof(*r));
	struct timespec ts;
	uint64_t mine;
	int ret;

	if (r)
		r->arena = malloc(ARENA_SIZE);
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		s->kick = false;
		mine = ++s->begun;
		pthread_mutex_unlock(&s->lock);
		ret = r && r->arena ? round_once(s, r) : -ENOMEM;
		count(ret ? &s->rounds_failed : &s->rounds_ok);
		pthread_mutex_lock(&s->lock);
		s->ended = mine;
		s->last_ret = ret;
		pthread_cond_broadcast(&s->done);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += s->cfg->poll;
		while (!s->stopping && !s->kick)
			if (pthread_cond_timedwait(&s->wake, &s->lock, &ts))
				break;
	}
	pthread_mutex_unlock(&s->lock);
	if (r)
		free(r->arena);
	free(r);
	return NULL;
}

/* ---- its life, and what the server asks of it ------------------------------ */

/*
 * A copy that survived a restart is good for what is left of its
 * max_stale: the wall clock says when its round began.
 */
static void resume(struct kf_syncer *s)
{
	int64_t age = kf_now() - s->state.synced;
	uint64_t now = kf_now_ns();

	if (!s->state.synced || !s->state.gen.value || age < 0 ||
	    (uint64_t)age >= s->cfg->max_stale)
		return;
	if (now > (uint64_t)age * 1000000000ull)
		store64(&s->fresh_ns, now - (uint64_t)age * 1000000000ull);
}

int kf_syncer_start(struct kf_syncer *s)
{
	int ret = kf_store_open(&s->st, s->cfg->server.db_path,
				KF_STORE_CREATE);

	if (ret)
		return ret;
	kf_store_set_actor(s->st, "provider");
	ret = kf_store_replica_init(s->st);
	if (ret == -EEXIST)
		kf_err("%s holds regions of its own: a provider keeps its "
		       "copy in a store of its own", "--store");
	if (!ret)
		ret = kf_store_replica_state(s->st, &s->state);
	if (ret)
		goto fail;
	resume(s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->done, NULL);
	if (pthread_create(&s->thread, NULL, run, s)) {
		ret = -ENOMEM;
		goto fail;
	}
	s->running = true;
	return 0;
fail:
	kf_store_close(s->st);
	s->st = NULL;
	return ret;
}

void kf_syncer_kick(struct kf_syncer *s)
{
	if (!s->running)
		return;
	pthread_mutex_lock(&s->lock);
	s->kick = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

int kf_syncer_round(struct kf_syncer *s, unsigned int timeout_ms)
{
	struct timespec ts;
	uint64_t target;
	int ret = 0;

	if (!s->running)
		return -ENOTCONN;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	/* One in progress began before the call: the one after it. */
	target = s->begun + 1;
	s->kick = true;
	pthread_cond_signal(&s->wake);
	while (!ret && s->ended < target)
		ret = pthread_cond_timedwait(&s->done, &s->lock, &ts);
	ret = s->ended >= target ? s->last_ret : -ETIME;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void kf_syncer_stop(struct kf_syncer *s)
{
	if (s->running) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		s->running = false;
	}
	kf_store_close(s->st);
	s->st = NULL;
	free(s->stage);
	s->stage = NULL;
	kf_wipe(s->last_ts, sizeof(s->last_ts));
}

uint64_t kf_syncer_age_ns(struct kf_syncer *s)
{
	uint64_t fresh = load64(&s->fresh_ns), now = kf_now_ns();

	if (!fresh)
		return UINT64_MAX;
	return now > fresh ? now - fresh : 0;
}

bool kf_syncer_usable(struct kf_syncer *s, char *why, size_t cap)
{
	uint64_t age = kf_syncer_age_ns(s);

	if (__atomic_load_n(&s->refused, __ATOMIC_ACQUIRE)) {
		snprintf(why, cap, "%s", s->refusal);
		return false;
	}
	if (age == UINT64_MAX) {
		snprintf(why, cap, "this provider has no copy of the "
			 "repository's entities yet");
		return false;
	}
	if (age > (uint64_t)s->cfg->max_stale * 1000000000ull) {
		snprintf(why, cap, "this provider's copy of the repository's "
			 "entities is %llu s old, more than its bound of %u s",
			 (unsigned long long)(age / 1000000000ull),
			 s->cfg->max_stale);
		return false;
	}
	return true;
}

#define OUT(...) do { \
	int n_ = snprintf(buf + off, cap > off ? cap - off : 0, __VA_ARGS__); \
	if (n_ > 0) \
		off += (size_t)n_; \
} while (0)

size_t kf_syncer_metrics(struct kf_syncer *s, char *buf, size_t cap,
			 size_t off)
{
	uint64_t age = kf_syncer_age_ns(s);

	OUT("# HELP keyferry_provider_copy_age_seconds Seconds since this "
	    "provider's copy was last confirmed current (-1: never).\n"
	    "# TYPE keyferry_provider_copy_age_seconds gauge\n"
	    "keyferry_provider_copy_age_seconds %.3f\n"
	    "# HELP keyferry_provider_rounds_total Synchronisation rounds, by "
	    "result.\n# TYPE keyferry_provider_rounds_total counter\n"
	    "keyferry_provider_rounds_total{result=\"ok\"} %llu\n"
	    "keyferry_provider_rounds_total{result=\"failed\"} %llu\n"
	    "# HELP keyferry_provider_copies_total Copies put in place.\n"
	    "# TYPE keyferry_provider_copies_total counter\n"
	    "keyferry_provider_copies_total %llu\n"
	    "# HELP keyferry_provider_report_backlog Audit records not yet in "
	    "the repository's log at the end of the last round.\n"
	    "# TYPE keyferry_provider_report_backlog gauge\n"
	    "keyferry_provider_report_backlog %lld\n",
	    age == UINT64_MAX ? -1.0 : (double)age / 1e9,
	    (unsigned long long)load64(&s->rounds_ok),
	    (unsigned long long)load64(&s->rounds_failed),
	    (unsigned long long)load64(&s->applied),
	    (long long)__atomic_load_n(&s->backlog, __ATOMIC_RELAXED));
	return off;
}
