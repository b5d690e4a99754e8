// SPDX-License-Identifier: GPL-2.0
/*
 * Pending transfers: TRANSFER_BEGIN writes Noise message 1 and keeps the
 * handshake state; TRANSFER_FINISH consumes it, checks message 2 in the
 * order of docs/protocol.md section 3.4 (first failure wins), opens every
 * item (item.c), runs every policy, and only then installs, all or nothing.
 * An authenticated "revoked" revokes the entity (entity.c).
 *
 * Bounds: at most KEYFERRY_MAX_PENDING transfers (EBUSY beyond), each
 * forgotten KEYFERRY_TRANSFER_TIMEOUT_SECS after it began (the garbage
 * collector, a delayed work, or lazily at the next command).  A transfer
 * id is removed from the list by the first TRANSFER_FINISH that names it,
 * whatever the outcome, so it can be finished once.
 *
 * The collector (a work, kf_gc_fn: it takes kf_lock, which sleeps)
 * forgets expired transfers and ends installed keys at their lifetimes
 * (keyring.c).  Every deadline is CLOCK_BOOTTIME, and an hrtimer on that
 * clock, armed for the nearest one, queues the work: it fires on time
 * even where jiffies lag (a periodic tick that loses interrupts) and right
 * after a resume, since suspend counts on CLOCK_BOOTTIME.  The work is also
 * queued after every begin and finish.
 *
 * Locking: the list, the counters and everything a transfer touches are
 * under kf_lock, held across the whole of begin and finish (they sleep in
 * crypto and keyring calls; that is why kf_lock is a mutex).  Lifetimes: a
 * transfer is kf_zalloc'ed at begin and wiped and freed (its ephemeral kpp
 * transform with it) when finished, expired, flushed by ENTITY_CREATE with
 * REPLACE or by a revocation, or at unload.
 */
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/workqueue.h>
#include <linux/hrtimer.h>
#include <linux/timekeeping.h>
#include <crypto/algapi.h>
#include "keyferry.h"

struct kf_transfer {
	struct list_head node;
	u32 id;
	u8 sender_index[4];
	u8 kind;
	u8 dkid[KF_KID_SIZE];
	ktime_t deadline;		/* CLOCK_BOOTTIME */
	struct kf_noise noise;
	unsigned int n_items;
	char items[KEYFERRY_MAX_ITEMS][KEYFERRY_NAME_MAX + 1];
};

enum {
	KF_Q_KIND = 1,
	KF_Q_ITEM_NAME = 2,
	KF_Q_REGION = 3,
	KF_Q_ENTITY_NAME = 4,
	KF_Q_TOKEN = 5,
	KF_Q_NONCE = 6,
	KF_Q_KEC_PUB = 7,
	KF_Q_TIMESTAMP = 8,
};

/* The largest request payload: KIND, 16 names or the enroll fields, TIMESTAMP */
#define KF_REQUEST_MAX (5 + KEYFERRY_MAX_ITEMS * (4 + KEYFERRY_NAME_MAX) + \
			2 * (4 + KEYFERRY_NAME_MAX) + 4 + KEYFERRY_TOKEN_MAX + \
			2 * (4 + 32) + 4 + KF_TAI64N_SIZE)

/* TAI64N: 2^62 + 10 + unix seconds, as WireGuard (and djb's libtai) write it */
#define KF_TAI64_BASE	(0x4000000000000000ULL + 10)

static LIST_HEAD(kf_transfers);
static unsigned int kf_n_pending;
static u32 kf_next_id;
/* The last TIMESTAMP written (kf_lock): the next is strictly greater. */
static u64 kf_last_ts_sec;
static u32 kf_last_ts_nsec;
static void kf_gc_fn(struct work_struct *work);
static DECLARE_WORK(kf_gc_work, kf_gc_fn);
static struct hrtimer kf_gc_timer;	/* CLOCK_BOOTTIME, absolute */
static bool kf_gc_stopping;		/* kf_lock: unload, never re-arm */

unsigned int kf_transfer_pending(void)
{
	return READ_ONCE(kf_n_pending);
}

static void kf_transfer_free(struct kf_transfer *t)
{
	list_del(&t->node);
	WRITE_ONCE(kf_n_pending, kf_n_pending - 1);
	kf_noise_wipe(&t->noise);
	kf_free(t);
}

void kf_transfer_flush(void)
{
	struct kf_transfer *t, *tmp;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry_safe(t, tmp, &kf_transfers, node)
		kf_transfer_free(t);
}

/*
 * Forget expired transfers (now: CLOCK_BOOTTIME); returns the earliest
 * remaining deadline, 0 when none.  kf_lock held.
 */
static ktime_t kf_transfer_expire(ktime_t now)
{
	struct kf_transfer *t, *tmp;
	ktime_t next = 0;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry_safe(t, tmp, &kf_transfers, node) {
		if (ktime_compare(now, t->deadline) >= 0) {
			kf_stat_count(&kf_counters.transfers_expired);
			kf_transfer_free(t);
		} else if (!next || ktime_before(t->deadline, next)) {
			next = t->deadline;
		}
	}
	return next;
}

/* The timer's part: queue the work (hard interrupt context, no lock). */
static enum hrtimer_restart kf_gc_timer_fn(struct hrtimer *timer)
{
	queue_work(system_wq, &kf_gc_work);
	return HRTIMER_NORESTART;
}

static void kf_gc_fn(struct work_struct *work)
{
	ktime_t now = ktime_get_boottime(), next;
	time64_t end;

	mutex_lock(&kf_lock);
	next = kf_transfer_expire(now);
	/* keys end on whole seconds: the timer at the second they end */
	end = kf_keyring_gc(ktime_divns(now, NSEC_PER_SEC));
	if (end && (!next || ktime_before(ktime_set(end, 0), next)))
		next = ktime_set(end, 0);
	if (next && !kf_gc_stopping)
		hrtimer_start(&kf_gc_timer, next, HRTIMER_MODE_ABS);
	mutex_unlock(&kf_lock);
}

/* Run the collector now; it re-arms its timer for the next deadline. */
void kf_gc_kick(void)
{
	queue_work(system_wq, &kf_gc_work);
}

static struct kf_transfer *kf_transfer_find(u32 id)
{
	struct kf_transfer *t;

	list_for_each_entry(t, &kf_transfers, node)
		if (t->id == id)
			return t;
	return NULL;
}

static u32 kf_transfer_new_id(void)
{
	do {
		kf_next_id++;
	} while (!kf_next_id || kf_transfer_find(kf_next_id));
	return kf_next_id;
}

/*
 * TAI64N of now, strictly greater than every one written before (one
 * nanosecond more when the clock has not moved, or went back): the
 * distributor refuses a request whose timestamp does not increase, which
 * makes a recorded message 1 useless to replay.  kf_lock held.
 */
static void kf_timestamp(u8 out[KF_TAI64N_SIZE])
{
	struct timespec64 ts;
	u64 sec;
	u32 nsec;

	lockdep_assert_held(&kf_lock);
	ktime_get_real_ts64(&ts);
	sec = KF_TAI64_BASE + (u64)max_t(time64_t, ts.tv_sec, 0);
	nsec = ts.tv_nsec;
	if (sec < kf_last_ts_sec ||
	    (sec == kf_last_ts_sec && nsec <= kf_last_ts_nsec)) {
		sec = kf_last_ts_sec;
		nsec = kf_last_ts_nsec + 1;
		if (nsec >= NSEC_PER_SEC) {
			sec++;
			nsec = 0;
		}
	}
	kf_last_ts_sec = sec;
	kf_last_ts_nsec = nsec;
	put_unaligned_be64(sec, out);
	put_unaligned_be32(nsec, out + 8);
}

static int kf_request_build(const struct kf_begin_params *p, u8 *buf,
			    size_t *len)
{
	u8 ts[KF_TAI64N_SIZE];
	size_t pos = 0;
	unsigned int i;
	int ret;

	ret = kf_tlv_put(buf, KF_REQUEST_MAX, &pos, KF_Q_KIND, &p->kind, 1);
	for (i = 0; !ret && i < p->n_items; i++)
		ret = kf_tlv_put(buf, KF_REQUEST_MAX, &pos, KF_Q_ITEM_NAME,
				 p->items[i], strlen(p->items[i]));
	if (!ret && p->kind == KEYFERRY_TRANSFER_ENROLL) {
		ret = kf_tlv_put(buf, KF_REQUEST_MAX, &pos, KF_Q_REGION,
				 kf_entity.region, strlen(kf_entity.region));
		if (!ret)
			ret = kf_tlv_put(buf, KF_REQUEST_MAX, &pos,
					 KF_Q_ENTITY_NAME, kf_entity.name,
					 strlen(kf_entity.name));
		if (!ret)
			ret = kf_tlv_put(buf, KF_REQUEST_MAX, &pos, KF_Q_TOKEN,
					 p->token, p->token_len);
		if (!ret)
			ret = kf_tlv_put(buf, KF_REQUEST_MAX, &pos, KF_Q_NONCE,
					 p->nonce, KEYFERRY_NONCE_SIZE);
		if (!ret)
			ret = kf_tlv_put(buf, KF_REQUEST_MAX, &pos, KF_Q_KEC_PUB,
					 kf_entity.kec_pub, KEYFERRY_KEY_SIZE);
	}
	if (!ret) {
		kf_timestamp(ts);
		ret = kf_tlv_put(buf, KF_REQUEST_MAX, &pos, KF_Q_TIMESTAMP, ts,
				 sizeof(ts));
	}
	*len = pos;
	return ret;
}

/* May a transfer of this kind begin in the entity's state?  kf_lock held. */
static int kf_begin_allowed(u8 kind, struct netlink_ext_ack *extack)
{
	switch (kf_entity.state) {
	case KEYFERRY_ENTITY_NONE:
		NL_SET_ERR_MSG_MOD(extack, "no entity: ENTITY_CREATE first");
		return -ENOKEY;
	case KEYFERRY_ENTITY_REVOKED:
		NL_SET_ERR_MSG_MOD(extack,
				   "this entity was revoked: replace it (ENTITY_CREATE with REPLACE) and enroll again");
		return -EKEYREVOKED;
	case KEYFERRY_ENTITY_CREATED:
		if (kind == KEYFERRY_TRANSFER_FETCH) {
			NL_SET_ERR_MSG_MOD(extack, "not enrolled: enroll before fetching");
			return -ENOKEY;
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * TRANSFER_BEGIN.  The caller validated the attributes (names, counts,
 * sizes).  On success *msg is a kf_zalloc'ed message 1 the caller frees.
 */
int kf_transfer_begin(const struct kf_begin_params *p, u32 *id, u8 **msg,
		      size_t *msg_len, struct netlink_ext_ack *extack)
{
	struct kf_transfer *t = NULL;
	u8 *payload = NULL, *out = NULL;
	unsigned int d = 0, i;
	size_t plen, olen;
	struct kf_crypto c;
	int ret;

	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	mutex_lock(&kf_lock);
	kf_transfer_expire(ktime_get_boottime());
	ret = kf_begin_allowed(p->kind, extack);
	if (ret)
		goto out;
	if (p->dkey) {
		for (d = 0; d < kf_entity.n_dkeys; d++)
			if (!memcmp(kf_entity.dkeys[d], p->dkey,
				    KEYFERRY_KEY_SIZE))
				break;
		if (d == kf_entity.n_dkeys) {
			NL_SET_ERR_MSG_MOD(extack,
					   "DISTRIBUTOR_KEY is not a pinned key");
			ret = -EKEYREJECTED;
			goto out;
		}
	}
	if (kf_n_pending >= KEYFERRY_MAX_PENDING) {
		NL_SET_ERR_MSG_MOD(extack, "too many pending transfers");
		ret = -EBUSY;
		goto out;
	}
	ret = -ENOMEM;
	t = kf_zalloc(sizeof(*t));
	payload = kf_zalloc(KF_REQUEST_MAX);
	if (!t || !payload)
		goto out;
	ret = kf_request_build(p, payload, &plen);
	if (ret)
		goto out;
	olen = KF_MSG1_HEADER + KF_NOISE_MSG1_LEN(plen);
	out = kf_zalloc(olen);
	if (!out) {
		ret = -ENOMEM;
		goto out;
	}
	get_random_bytes(t->sender_index, sizeof(t->sender_index));
	memcpy(t->dkid, kf_entity.dkids[d], KF_KID_SIZE);
	out[0] = 1;	/* type: message 1 */
	out[1] = KF_PROTOCOL_VERSION;
	memcpy(out + 4, t->sender_index, 4);
	memcpy(out + 8, t->dkid, KF_KID_SIZE);
	ret = kf_noise_write1(&c, &t->noise, KF_PROLOGUE,
			      sizeof(KF_PROLOGUE) - 1, kf_entity.kei,
			      kf_entity.kei_pub, kf_entity.dkeys[d], NULL,
			      payload, plen, out + KF_MSG1_HEADER);
	if (ret) {
		NL_SET_ERR_MSG_MOD(extack, "making message 1 failed");
		goto out;
	}
	t->kind = p->kind;
	t->n_items = p->n_items;
	for (i = 0; i < p->n_items; i++)
		strscpy(t->items[i], p->items[i], sizeof(t->items[i]));
	t->id = kf_transfer_new_id();
	t->deadline = ktime_add(ktime_get_boottime(),
				ktime_set(KEYFERRY_TRANSFER_TIMEOUT_SECS, 0));
	list_add_tail(&t->node, &kf_transfers);
	WRITE_ONCE(kf_n_pending, kf_n_pending + 1);
	kf_stat_count(&kf_counters.transfers_begun);
	*id = t->id;
	*msg = out;
	*msg_len = olen;
	t = NULL;
	out = NULL;
	kf_gc_kick();
out:
	mutex_unlock(&kf_lock);
	if (t) {
		kf_noise_wipe(&t->noise);
		kf_free(t);
	}
	kf_free(out);
	kf_free(payload);
	kf_crypto_free(&c);
	return ret;
}

/*
 * Forget a transfer just begun whose message 1 never reached the caller
 * (its reply could not be made or sent): the caller was told the begin
 * failed, so it must not hold a slot until it expires.
 */
void kf_transfer_cancel(u32 id)
{
	struct kf_transfer *t;

	mutex_lock(&kf_lock);
	t = kf_transfer_find(id);
	if (t)
		kf_transfer_free(t);
	mutex_unlock(&kf_lock);
}

/*
 * Item i of a fetch reply: it must name a requested item not delivered yet
 * in this reply (used[] marks those), then item.c runs its other checks
 * and opens it.  kf_lock held.
 */
static int kf_fetch_item(struct kf_crypto *c, struct kf_transfer *t,
			 const struct kf_reply_item *it, bool *used,
			 struct kf_staged *st, unsigned int i,
			 struct netlink_ext_ack *extack)
{
	unsigned int j;

	memcpy(st[i].item, it->name, it->name_len);
	st[i].item[it->name_len] = '\0';
	for (j = 0; j < t->n_items; j++)
		if (!used[j] && !strcmp(t->items[j], st[i].item))
			break;
	if (j == t->n_items) {
		NL_SET_ERR_MSG_MOD(extack, "reply item was not requested, or is repeated");
		return -EPROTO;
	}
	used[j] = true;
	return kf_item_open(c, it, st, i, extack);
}

static int kf_finish_fetch(struct kf_crypto *c, struct kf_transfer *t,
			   const struct kf_reply *r, struct key *keyring,
			   struct kf_finish_result *res,
			   struct netlink_ext_ack *extack)
{
	bool used[KEYFERRY_MAX_ITEMS] = { };
	struct kf_staged *st;
	unsigned int i;
	int ret;

	if (r->entity || r->n_items != t->n_items) {
		NL_SET_ERR_MSG_MOD(extack, "reply does not answer the request");
		return -EPROTO;
	}
	st = kf_zalloc(r->n_items * sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (i = 0; i < r->n_items; i++) {
		ret = kf_fetch_item(c, t, &r->items[i], used, st, i, extack);
		if (ret) {
			strscpy(res->err_item, st[i].item, sizeof(res->err_item));
			goto err;
		}
	}
	ret = kf_keys_install(keyring, st, r->n_items);
	if (ret == -ENOSPC) {
		NL_SET_ERR_MSG_MOD(extack,
				   "no room for these keys (unwrapping keys, version records or tracked keys); none installed");
		goto err;
	}
	if (ret) {
		NL_SET_ERR_MSG_MOD(extack, "installing the keys failed; none installed");
		goto err;
	}
	res->keys = st;
	res->n_keys = r->n_items;
	for (i = 0; i < r->n_items; i++) {
		kf_stat_count(&kf_counters.keys_installed);
		kf_event(KEYFERRY_EVENT_INSTALLED, st[i].item, &st[i], 0);
	}
	return 0;

err:
	for (i = 0; i < r->n_items; i++)
		kf_staged_release(&st[i]);
	kf_free(st);
	return ret;
}

static int kf_finish_enroll(const struct kf_reply *r,
			    struct netlink_ext_ack *extack)
{
	if (r->n_items || !r->entity ||
	    r->entity_len != strlen(kf_entity.name) ||
	    memcmp(r->entity, kf_entity.name, r->entity_len)) {
		NL_SET_ERR_MSG_MOD(extack, "enroll reply does not bind this entity's name");
		return -EPROTO;
	}
	if (kf_entity.state != KEYFERRY_ENTITY_ENROLLED) {
		kf_entity.state = KEYFERRY_ENTITY_ENROLLED;
		kf_state_changed();
	}
	return 0;
}

/* Section 3.4, in order; kf_lock held, the transfer already unlisted. */
static int kf_finish_locked(struct kf_transfer *t, const u8 *msg, size_t len,
			    struct key *keyring, struct kf_finish_result *res,
			    struct netlink_ext_ack *extack)
{
	struct kf_reply *r = NULL;
	u8 *payload = NULL;
	struct kf_crypto c;
	int ret;

	if (len < KF_MSG2_MIN) {
		NL_SET_ERR_MSG_MOD(extack, "reply truncated");
		return -EMSGSIZE;
	}
	if (msg[0] != 2 || msg[1] != KF_PROTOCOL_VERSION || msg[2] || msg[3]) {
		NL_SET_ERR_MSG_MOD(extack, "reply type, version or reserved bytes wrong");
		return -EPROTONOSUPPORT;
	}
	if (memcmp(msg + 4, t->sender_index, 4)) {
		NL_SET_ERR_MSG_MOD(extack, "reply answers another transfer");
		return -ESRCH;
	}
	if (memcmp(msg + 8, t->dkid, KF_KID_SIZE)) {
		NL_SET_ERR_MSG_MOD(extack, "reply comes from another distributor key");
		return -EREMCHG;
	}
	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	ret = -ENOMEM;
	payload = kf_zalloc(len);
	r = kf_zalloc(sizeof(*r));
	if (!payload || !r)
		goto out;
	ret = kf_noise_read2(&c, &t->noise, kf_entity.kei, msg + KF_MSG1_HEADER,
			     len - KF_MSG1_HEADER, payload);
	if (ret) {
		if (ret != -ENOMEM)
			ret = -EBADMSG;
		NL_SET_ERR_MSG_MOD(extack, "reply failed session authentication");
		goto out;
	}
	ret = kf_reply_parse(payload, len - KF_MSG2_MIN, r);
	if (ret) {
		NL_SET_ERR_MSG_MOD(extack, "reply payload malformed");
		goto out;
	}
	ret = kf_status_errno(r->status);
	if (r->status == KF_STATUS_REVOKED) {
		/* authenticated by a pinned Kd: revocation reaches the keys */
		kf_entity_revoke();
		NL_SET_ERR_MSG_MOD(extack,
				   "the distributor says this entity is revoked: every key it installed is revoked");
		goto out;
	}
	if (ret) {
		NL_SET_ERR_MSG_MOD(extack, "the distributor refused (authenticated status)");
		goto out;
	}
	if (t->kind == KEYFERRY_TRANSFER_ENROLL)
		ret = kf_finish_enroll(r, extack);
	else
		ret = kf_finish_fetch(&c, t, r, keyring, res, extack);
out:
	kf_free(r);
	kf_free(payload);
	kf_crypto_free(&c);
	return ret;
}

/*
 * TRANSFER_FINISH.  keyring: the referenced keyring keys go to.  On
 * success res->keys lists what was installed; the caller releases res.
 */
int kf_transfer_finish(u32 id, const u8 *msg, size_t len, struct key *keyring,
		       struct kf_finish_result *res,
		       struct netlink_ext_ack *extack)
{
	struct kf_transfer *t;
	int ret;

	memset(res, 0, sizeof(*res));
	mutex_lock(&kf_lock);
	kf_transfer_expire(ktime_get_boottime());
	t = kf_transfer_find(id);
	if (!t) {
		NL_SET_ERR_MSG_MOD(extack, "unknown, expired or finished transfer id");
		ret = -ENOENT;
		goto out;
	}
	/* Consumed now, whatever follows. */
	list_del_init(&t->node);
	res->kind = t->kind;
	ret = kf_finish_locked(t, msg, len, keyring, res, extack);
	kf_noise_wipe(&t->noise);
	kf_free(t);
	WRITE_ONCE(kf_n_pending, kf_n_pending - 1);
	kf_stat_count(&kf_counters.transfers_finished);
out:
	if (ret) {
		kf_stat_count(&kf_counters.refusals);
		kf_event(KEYFERRY_EVENT_REFUSED, res->err_item[0] ?
			 res->err_item : NULL, NULL, ret);
	}
	mutex_unlock(&kf_lock);
	kf_gc_kick();
	return ret;
}

void kf_finish_result_release(struct kf_finish_result *res)
{
	unsigned int i;

	for (i = 0; i < res->n_keys; i++)
		kf_staged_release(&res->keys[i]);
	kf_free(res->keys);
	res->keys = NULL;
	res->n_keys = 0;
}

int kf_transfer_init(void)
{
	kf_next_id = get_random_u32();
	hrtimer_init(&kf_gc_timer, CLOCK_BOOTTIME, HRTIMER_MODE_ABS);
	kf_gc_timer.function = kf_gc_timer_fn;
	return 0;
}

/*
 * Unload, after netlink is gone: nothing can begin or finish any more.
 * The work re-arms the timer and the timer queues the work: once
 * kf_gc_stopping is set (under kf_lock, which the work holds while it
 * re-arms) neither comes back, whatever order they were in.
 */
void kf_transfer_exit(void)
{
	mutex_lock(&kf_lock);
	kf_gc_stopping = true;
	mutex_unlock(&kf_lock);
	hrtimer_cancel(&kf_gc_timer);
	cancel_work_sync(&kf_gc_work);
	hrtimer_cancel(&kf_gc_timer);
	mutex_lock(&kf_lock);
	kf_transfer_flush();
	mutex_unlock(&kf_lock);
}
