// SPDX-License-Identifier: GPL-2.0
/*
 * Pending transfers: TRANSFER_BEGIN writes Noise message 1 and keeps the
 * handshake state; TRANSFER_FINISH consumes it, checks message 2 in the
 * order of docs/protocol.md section 3.3 (first failure wins), opens every
 * item, runs every policy, and only then installs, all or nothing.
 *
 * Bounds: at most KEYFERRY_MAX_PENDING transfers (EBUSY beyond), each
 * forgotten KEYFERRY_TRANSFER_TIMEOUT_SECS after it began (the garbage
 * collector, a delayed work, or lazily at the next command).  A transfer
 * id is removed from the list by the first TRANSFER_FINISH that names it,
 * whatever the outcome, so it can be finished once.
 *
 * Locking: the list, the counters and everything a transfer touches are
 * under kf_lock, held across the whole of begin and finish (they sleep in
 * crypto and keyring calls; that is why kf_lock is a mutex).  Lifetimes: a
 * transfer is kf_zalloc'ed at begin and wiped and freed (its ephemeral kpp
 * transform with it) when finished, expired, flushed by ENTITY_CREATE with
 * REPLACE, or at unload.
 */
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/workqueue.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>
#include <crypto/algapi.h>
#include "keyferry.h"

struct kf_transfer {
	struct list_head node;
	u32 id;
	u8 sender_index[4];
	u8 kind;
	u8 dkid[KF_KID_SIZE];
	unsigned long deadline;		/* jiffies */
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
};

/* The largest request payload: KIND, 16 names, or the enroll fields. */
#define KF_REQUEST_MAX (5 + KEYFERRY_MAX_ITEMS * (4 + KEYFERRY_NAME_MAX) + \
			2 * (4 + KEYFERRY_NAME_MAX) + 4 + KEYFERRY_TOKEN_MAX + \
			2 * (4 + 32))

static LIST_HEAD(kf_transfers);
static unsigned int kf_n_pending;
static u32 kf_next_id;
static void kf_gc_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(kf_gc_work, kf_gc_fn);

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

/* Forget expired transfers; returns the earliest remaining deadline. */
static bool kf_transfer_expire(unsigned long *next)
{
	struct kf_transfer *t, *tmp;
	bool any = false;

	lockdep_assert_held(&kf_lock);
	list_for_each_entry_safe(t, tmp, &kf_transfers, node) {
		if (time_after_eq(jiffies, t->deadline)) {
			kf_stat_count(&kf_counters.transfers_expired);
			kf_transfer_free(t);
		} else if (!any || time_before(t->deadline, *next)) {
			*next = t->deadline;
			any = true;
		}
	}
	return any;
}

static void kf_gc_fn(struct work_struct *work)
{
	time64_t now = ktime_get_real_seconds(), wall;
	unsigned long next = 0, delay = 0;
	bool any;

	mutex_lock(&kf_lock);
	any = kf_transfer_expire(&next);
	wall = kf_keyring_gc(now);
	mutex_unlock(&kf_lock);
	if (any)
		delay = time_after(next, jiffies) ? next - jiffies : 1;
	if (wall) {
		unsigned long d = (wall > now ? wall - now : 1) * HZ;

		if (!delay || d < delay)
			delay = d;
	}
	if (delay)
		schedule_delayed_work(&kf_gc_work, delay);
}

/* Run the collector now; it re-arms itself for the next deadline. */
void kf_gc_kick(void)
{
	mod_delayed_work(system_wq, &kf_gc_work, 0);
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

static int kf_request_build(const struct kf_begin_params *p, u8 *buf,
			    size_t *len)
{
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
	*len = pos;
	return ret;
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
	unsigned long next;
	unsigned int d = 0, i;
	size_t plen, olen;
	struct kf_crypto c;
	int ret;

	ret = kf_crypto_alloc(&c);
	if (ret)
		return ret;
	mutex_lock(&kf_lock);
	kf_transfer_expire(&next);
	if (kf_entity.state == KEYFERRY_ENTITY_NONE) {
		NL_SET_ERR_MSG_MOD(extack, "no entity: ENTITY_CREATE first");
		ret = -ENOKEY;
		goto out;
	}
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
	out[1] = 1;	/* version */
	memcpy(out + 4, t->sender_index, 4);
	memcpy(out + 8, t->dkid, KF_KID_SIZE);
	ret = kf_noise_write1(&c, &t->noise, KF_PROLOGUE,
			      sizeof(KF_PROLOGUE) - 1, kf_entity.kei,
			      kf_entity.kei_pub, kf_entity.dkeys[d], NULL,
			      payload, plen, out + KF_MSG1_HEADER);
	if (ret)
		goto out;
	t->kind = p->kind;
	t->n_items = p->n_items;
	for (i = 0; i < p->n_items; i++)
		strscpy(t->items[i], p->items[i], sizeof(t->items[i]));
	t->id = kf_transfer_new_id();
	t->deadline = jiffies + KEYFERRY_TRANSFER_TIMEOUT_SECS * HZ;
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

static const char kf_item_label[] = "keyferry/1 item";
static const char kf_wrap_label[] = "keyferry/1 wrap";
static const u8 kf_nul;

/* alg 2: k = HKDF-Expand(HKDF-Extract(salt, Kw), "keyferry/1 wrap" || 0 || info) */
static int kf_unwrap_open(struct kf_crypto *c, u8 *out, const u8 kw[32],
			  const struct kf_sealed *s, const struct kf_buf *info,
			  const u8 *aad, size_t aad_len)
{
	static const u8 zero_nonce[KF_AEAD_NONCE_SIZE];
	struct kf_buf ikm = { kw, 32 };
	struct kf_buf parts[7] = {
		{ kf_wrap_label, sizeof(kf_wrap_label) - 1 },
		{ &kf_nul, 1 },
	};
	u8 prk[KF_HASH_SIZE], k[32];
	unsigned int i;
	int ret;

	for (i = 0; i < 5; i++)
		parts[2 + i] = info[i];
	ret = kf_hkdf_extract(c, prk, s->enc, 32, &ikm, 1);
	if (!ret)
		ret = kf_hkdf_expand(c, k, sizeof(k), prk, parts, 7);
	if (!ret)
		ret = kf_aead_open(c, out, k, zero_nonce, aad, aad_len, s->ct,
				   s->ct_len);
	memzero_explicit(prk, sizeof(prk));
	memzero_explicit(k, sizeof(k));
	return ret;
}

/*
 * One item of a fetch reply: every check of section 3.3 for items, in
 * order, then the opened key staged in *st.  used[] marks the requested
 * names already delivered.  kf_lock held.
 */
static int kf_item_open(struct kf_crypto *c, struct kf_transfer *t,
			const struct kf_reply_item *it, bool *used,
			struct kf_staged *staged, unsigned int idx,
			struct netlink_ext_ack *extack)
{
	struct kf_staged *st = &staged[idx];
	struct kf_sealed s;
	struct kf_buf info[5];
	const u8 *kw = NULL;
	unsigned int j;
	bool wrapped;
	int ret;

	memcpy(st->item, it->name, it->name_len);
	st->item[it->name_len] = '\0';
	st->version = it->version;
	for (j = 0; j < t->n_items; j++)
		if (!used[j] && !strcmp(t->items[j], st->item))
			break;
	if (j == t->n_items) {
		NL_SET_ERR_MSG_MOD(extack, "reply item was not requested, or is repeated");
		return -EPROTO;
	}
	used[j] = true;
	ret = kf_sealed_parse(it->sealed, it->sealed_len, &s);
	if (ret) {
		NL_SET_ERR_MSG_MOD(extack, "sealed item header malformed");
		return ret;
	}
	if (s.alg == KF_SEAL_HPKE &&
	    memcmp(s.kid, kf_entity.kec_kid, KF_KID_SIZE)) {
		NL_SET_ERR_MSG_MOD(extack, "item sealed to another entity");
		return -ENOKEY;
	}
	ret = kf_policy_parse(it->policy, it->policy_len, &st->pol);
	if (ret) {
		if (ret == -EOPNOTSUPP)
			NL_SET_ERR_MSG_MOD(extack, "item policy not understood");
		else
			NL_SET_ERR_MSG_MOD(extack, "item policy malformed");
		return ret;
	}
	wrapped = s.alg == KF_SEAL_WRAP;
	if (wrapped != !!st->pol.unwrap_key[0]) {
		NL_SET_ERR_MSG_MOD(extack, "UNWRAP_KEY and the sealing algorithm disagree");
		return -EPROTO;
	}
	if (wrapped) {
		kw = kf_unwrap_find(st->pol.unwrap_key, staged, idx);
		if (!kw) {
			NL_SET_ERR_MSG_MOD(extack, "item sealed to an unwrapping key not held");
			return -ENOKEY;
		}
	}
	info[0] = (struct kf_buf){ kf_item_label, sizeof(kf_item_label) - 1 };
	info[1] = (struct kf_buf){ &kf_nul, 1 };
	info[2] = (struct kf_buf){ kf_entity.region, strlen(kf_entity.region) };
	info[3] = (struct kf_buf){ &kf_nul, 1 };
	info[4] = (struct kf_buf){ st->item, it->name_len };
	st->key_len = s.ct_len - KF_TAG_SIZE;
	st->key = kf_zalloc(st->key_len);
	if (!st->key)
		return -ENOMEM;
	if (s.alg == KF_SEAL_HPKE)
		ret = kf_hpke_open(c, st->key, kf_entity.kec, kf_entity.kec_pub,
				   s.enc, info, 5, it->policy, it->policy_len,
				   s.ct, s.ct_len);
	else
		ret = kf_unwrap_open(c, st->key, kw, &s, info, it->policy,
				     it->policy_len);
	if (ret == -EBADMSG) {
		NL_SET_ERR_MSG_MOD(extack, "item inner layer failed authentication");
		return -EBADE;
	}
	if (ret)
		return ret;
	ret = kf_policy_check(&st->pol, st->key_len, ktime_get_real_seconds());
	if (ret == -EKEYEXPIRED)
		NL_SET_ERR_MSG_MOD(extack, "item policy validity window excludes now");
	else if (ret)
		NL_SET_ERR_MSG_MOD(extack, "item key size does not match its policy");
	return ret;
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
		ret = kf_item_open(c, t, &r->items[i], used, st, i, extack);
		if (ret) {
			strscpy(res->err_item, st[i].item, sizeof(res->err_item));
			goto err;
		}
	}
	ret = kf_keys_install(keyring, st, r->n_items);
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
	kf_entity.state = KEYFERRY_ENTITY_ENROLLED;
	return 0;
}

/* Section 3.3, in order; kf_lock held, the transfer already unlisted. */
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
	if (msg[0] != 2 || msg[1] != 1 || msg[2] || msg[3]) {
		NL_SET_ERR_MSG_MOD(extack, "reply type, version or reserved bytes wrong");
		return -EPROTONOSUPPORT;
	}
	if (memcmp(msg + 4, t->sender_index, 4)) {
		NL_SET_ERR_MSG_MOD(extack, "reply answers another transfer");
		return -ESRCH;
	}
	if (memcmp(msg + 8, t->dkid, KF_KID_SIZE)) {
		NL_SET_ERR_MSG_MOD(extack, "reply comes from another distributor key");
		return -EKEYREJECTED;
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
	unsigned long next;
	int ret;

	memset(res, 0, sizeof(*res));
	mutex_lock(&kf_lock);
	kf_transfer_expire(&next);
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
	return 0;
}

/* Unload, after netlink is gone: nothing can begin or finish any more. */
void kf_transfer_exit(void)
{
	cancel_delayed_work_sync(&kf_gc_work);
	mutex_lock(&kf_lock);
	kf_transfer_flush();
	mutex_unlock(&kf_lock);
}
