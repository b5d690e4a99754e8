// SPDX-License-Identifier: GPL-2.0
/* The driver of keyferry.ko's states (kfdrive.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keyutils.h>
#include <netlink/genl/genl.h>

#include "kfdrive.h"
#include "kfstats.h"
#include "vm.h"
#include "userspace/lib/keyferry.h"

#define KFD_REGION	"fuzz/region"
#define KFD_ENTITY	"fuzz-host"
#define KFD_UNWRAPS	8	/* unwrapping keys the driver remembers */
#define KFD_NAMES	4	/* item names per key type */

struct kfd_unwrap {
	char desc[KFD_NAME_MAX];
	uint8_t kw[KF_KEY_SIZE];
};

struct kfd {
	struct kf_genl g;
	struct nlf *fuzz;
	uint8_t kd_priv[KF_KEY_SIZE];	/* the distributor's key */
	uint8_t kd_pub[KF_KEY_SIZE];
	uint8_t ko_priv[KF_KEY_SIZE];	/* the data owner's key */
	uint8_t ko_pub[KF_KEY_SIZE];
	uint64_t version;		/* the last one sealed: they only rise */
	uint8_t kei_pub[KF_KEY_SIZE];
	uint8_t kec_pub[KF_KEY_SIZE];
	struct kfd_unwrap unwrap[KFD_UNWRAPS];
	unsigned int n_unwrap;
	struct kf_message m1;
	struct kf_reply reply;
	uint8_t payload[KF_MESSAGE_MAX];
	uint8_t m2[KF_MESSAGE_MAX + 64];
	size_t m2_len;
	uint8_t last[NLR_MSG_MAX];	/* the last request sent */
	size_t last_len;
	struct kfd_counts counts;
	unsigned int steps;
};

/* Every request the helper's client sends: a seed, and remembered. */
static int kfd_on_out(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct kfd *d = arg;

	if (nlh->nlmsg_len <= sizeof(d->last)) {
		memcpy(d->last, nlh, nlh->nlmsg_len);
		d->last_len = nlh->nlmsg_len;
	}
	if (d->fuzz) {
		nlf_seed_add(d->fuzz, nlh, nlh->nlmsg_len, false);
		nlf_harvest(d->fuzz, nlh);
	}
	return NL_OK;
}

struct kfd *kfd_new(struct nlf *fuzz)
{
	struct kfd *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->fuzz = fuzz;
	/* Room for a whole handshake message in one request. */
	nlmsg_set_default_size(KF_MESSAGE_MAX + 4096);
	if (kf_genl_open(&d->g) ||
	    kf_x25519_keygen(d->kd_priv, d->kd_pub) ||
	    kf_x25519_keygen(d->ko_priv, d->ko_pub)) {
		kfd_free(d);
		return NULL;
	}
	nl_socket_modify_cb(d->g.sk, NL_CB_MSG_OUT, NL_CB_CUSTOM, kfd_on_out, d);
	return d;
}

void kfd_free(struct kfd *d)
{
	if (!d)
		return;
	kf_genl_close(&d->g);
	kf_wipe(d, sizeof(*d));
	free(d);
}

struct kf_genl *kfd_genl(struct kfd *d)
{
	return &d->g;
}

const uint8_t *kfd_kei(const struct kfd *d)
{
	return d->kei_pub;
}

const struct kfd_counts *kfd_counts(const struct kfd *d)
{
	return &d->counts;
}

/* Choices come from the fuzzer's generator: one seed replays them all. */
static uint32_t kfd_below(struct kfd *d, uint32_t n)
{
	if (d->fuzz)
		return nlf_below(d->fuzz, n);
	return n ? (uint32_t)rand() % n : 0;
}

static uint32_t kfd_rand32(struct kfd *d)
{
	return d->fuzz ? (uint32_t)nlf_rand(d->fuzz) : (uint32_t)rand();
}

/* ---- entity ------------------------------------------------------------ */

/* The request's bytes, with the flags the client adds when sending. */
static int kfd_msg_bytes(struct nl_msg *msg, uint8_t *buf, size_t cap,
			 size_t *len)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (nlh->nlmsg_len > cap)
		return -EMSGSIZE;
	memcpy(buf, nlh, nlh->nlmsg_len);
	*len = nlh->nlmsg_len;
	return 0;
}

int kfd_entity_msg(struct kfd *d, uint8_t *buf, size_t cap, size_t *len)
{
	struct kf_owner_key owner = { .name = KFD_OWNER_NAME };
	struct kf_entity_request req = {
		.region = KFD_REGION, .name = KFD_ENTITY,
		.distributor_keys = (const uint8_t (*)[KEYFERRY_KEY_SIZE])d->kd_pub,
		.n_distributor_keys = 1, .owners = &owner, .n_owners = 1,
	};
	struct kf_module_status st;
	struct nl_msg *msg;
	int ret;

	memcpy(owner.key, d->ko_pub, KF_KEY_SIZE);
	ret = kf_genl_get_status(&d->g, &st);
	if (ret)
		return ret;
	if (st.has_keys) {
		req.replace = true;
		req.confirm_kei = st.kei_pub;
	}
	msg = kf_genl_request(&d->g, KEYFERRY_CMD_ENTITY_CREATE, 0);
	if (!msg)
		return -ENOMEM;
	ret = kf_genl_entity_put(msg, &req);
	if (!ret)
		ret = kfd_msg_bytes(msg, buf, cap, len);
	nlmsg_free(msg);
	return ret;
}

int kfd_entity(struct kfd *d)
{
	struct kf_owner_key owner = { .name = KFD_OWNER_NAME };
	struct kf_entity_request req = {
		.region = KFD_REGION, .name = KFD_ENTITY,
		.distributor_keys = (const uint8_t (*)[KEYFERRY_KEY_SIZE])d->kd_pub,
		.n_distributor_keys = 1, .owners = &owner, .n_owners = 1,
	};
	struct kf_module_status st;
	int ret;

	memcpy(owner.key, d->ko_pub, KF_KEY_SIZE);
	ret = kf_genl_get_status(&d->g, &st);
	if (ret)
		return ret;
	/* version 2: replacing names the identity replaced */
	if (st.has_keys) {
		req.replace = true;
		req.confirm_kei = st.kei_pub;
	}
	ret = kf_genl_entity_create(&d->g, &req, d->kei_pub, d->kec_pub);
	if (!ret)
		d->counts.entities++;
	return ret;
}

int kfd_last_sent(struct kfd *d, uint8_t *buf, size_t cap, size_t *len)
{
	if (!d->last_len || d->last_len > cap)
		return -ENOENT;
	memcpy(buf, d->last, d->last_len);
	*len = d->last_len;
	return 0;
}

/* ---- the distributor ---------------------------------------------------- */

static int kfd_read1(struct kfd *d, struct kf_noise *st, struct kf_request *rq)
{
	uint8_t istatic[KF_KEY_SIZE], buf[8192];
	size_t plen;
	int ret;

	ret = kf_noise_responder_read1(st, buf, sizeof(buf), &plen, istatic,
				       d->kd_priv, d->m1.data, d->m1.len);
	if (ret)
		return ret;
	if (!kf_equal(istatic, d->kei_pub, KF_KEY_SIZE))
		return -EACCES;		/* not the entity the driver made */
	return kf_request_decode(rq, buf, plen);
}

static struct kfd_unwrap *kfd_unwrap_slot(struct kfd *d, const char *desc,
					  bool add)
{
	unsigned int i;

	for (i = 0; i < d->n_unwrap; i++)
		if (!strcmp(d->unwrap[i].desc, desc))
			return &d->unwrap[i];
	if (!add)
		return NULL;
	i = d->n_unwrap < KFD_UNWRAPS ? d->n_unwrap++ : kfd_below(d, KFD_UNWRAPS);
	snprintf(d->unwrap[i].desc, sizeof(d->unwrap[i].desc), "%s", desc);
	return &d->unwrap[i];
}

/* The owner seals (version 2: with Ko, a version that never goes down). */
static int kfd_seal(struct kfd *d, const struct kfd_item *it,
		    struct kf_reply_item *ri)
{
	uint8_t key[KF_ITEM_KEY_MAX], kw_any[KF_KEY_SIZE];
	struct kf_binding b = {
		.region = KFD_REGION, .item = it->name,
		.policy = ri->policy, .policy_len = ri->policy_len,
	};
	const struct kfd_unwrap *u;
	const uint8_t *kw = kw_any;
	int ret;

	ret = kf_random(key, it->size);
	if (ret)
		return ret;
	if (it->type == KF_KEY_UNWRAP)	/* the driver must know it to use it */
		memcpy(kfd_unwrap_slot(d, it->desc, true)->kw, key, KF_KEY_SIZE);
	if (it->unwrap[0]) {
		/* one the driver does not know: a key nobody holds */
		u = kfd_unwrap_slot(d, it->unwrap, false);
		if (u)
			kw = u->kw;
		else
			kf_random(kw_any, sizeof(kw_any));
		ret = kf_seal_to_unwrap_key(ri->sealed, sizeof(ri->sealed),
					    &ri->sealed_len, kw, NULL, &b,
					    ++d->version, key, it->size);
	} else {
		ret = kf_seal_to_kec(ri->sealed, sizeof(ri->sealed),
				     &ri->sealed_len, d->kec_pub, d->ko_priv,
				     NULL, &b, ++d->version, key, it->size);
	}
	kf_wipe(key, sizeof(key));
	return ret;
}

static int kfd_item(struct kfd *d, const struct kfd_item *it,
		    struct kf_reply_item *ri, enum kfd_reply kind)
{
	struct kf_policy pol = { .key_type = it->type, .key_size = it->size,
				 .timeout = it->timeout };
	int ret;

	/* version 2: the host derives the description from owner and name */
	snprintf(pol.unwrap_key, sizeof(pol.unwrap_key), "%s", it->unwrap);
	snprintf(ri->name, sizeof(ri->name), "%s", it->name);
	ret = kf_policy_encode(&pol, ri->policy, sizeof(ri->policy),
			       &ri->policy_len);
	if (ret)
		return ret;
	/* The owner's policy as a hostile distributor could bind it. */
	if (kind == KFD_BAD_POLICY && d->fuzz && kfd_below(d, 2)) {
		ri->policy_len = nlf_mutate_bytes(d->fuzz, ri->policy,
						  ri->policy_len, KF_POLICY_MAX);
		if (!ri->policy_len)
			ri->policy[ri->policy_len++] = 0;
	}
	ret = kfd_seal(d, it, ri);
	if (ret)
		return ret;
	if (kind == KFD_BAD_SEALED && d->fuzz && kfd_below(d, 2)) {
		size_t bit = kfd_below(d, (uint32_t)ri->sealed_len * 8);

		ri->sealed[bit / 8] ^= 1u << (bit % 8);
	}
	return 0;
}

/* The reply's plaintext for a fetch, by kind. */
static int kfd_fetch_payload(struct kfd *d, const struct kfd_item *it,
			     unsigned int n, enum kfd_reply kind, size_t *len)
{
	struct kf_reply *r = &d->reply;
	unsigned int i;
	int ret;

	memset(r, 0, sizeof(*r));
	if (kind == KFD_FORBIDDEN) {
		r->status = KF_STATUS_NOT_AVAILABLE;	/* v2's "forbidden" */
	} else if (kind == KFD_STATUS) {
		r->status = KF_STATUS_BAD_REQUEST;
		snprintf(r->message, sizeof(r->message), "refused %u",
			 kfd_below(d, 1000));
	} else {
		r->n_items = n;
		for (i = 0; i < n; i++) {
			ret = kfd_item(d, &it[i], &r->items[i], kind);
			if (ret)
				return ret;
		}
	}
	ret = kf_reply_encode(r, d->payload, sizeof(d->payload), len);
	if (ret)
		return ret;
	if (kind == KFD_STATUS) {
		/* any status, known or not: the first record's 4 bytes */
		uint32_t s = kfd_below(d, 3) ? kfd_below(d, 12) : kfd_rand32(d);

		d->payload[4] = s >> 24;
		d->payload[5] = s >> 16;
		d->payload[6] = s >> 8;
		d->payload[7] = (uint8_t)s;
	}
	if (kind == KFD_BAD_PAYLOAD && d->fuzz)
		*len = nlf_mutate_bytes(d->fuzz, d->payload, *len,
					sizeof(d->payload) - 1024);
	return 0;
}

/* Answer the pending message 1 in d->m1: d->m2. */
static int kfd_answer(struct kfd *d, const struct kfd_item *it, unsigned int n,
		      enum kfd_reply kind, bool bad_enroll)
{
	struct kf_request *rq = calloc(1, sizeof(*rq));
	struct kf_noise st;
	size_t len = 0;
	int ret;

	if (!rq)
		return -ENOMEM;
	ret = kfd_read1(d, &st, rq);
	if (ret)
		goto out;
	if (rq->kind == KF_KIND_ENROLL) {
		memset(&d->reply, 0, sizeof(d->reply));
		snprintf(d->reply.entity, sizeof(d->reply.entity), "%s",
			 bad_enroll ? "someone-else" : rq->entity);
		ret = kf_reply_encode(&d->reply, d->payload, sizeof(d->payload),
				      &len);
	} else {
		ret = kfd_fetch_payload(d, it, n, kind, &len);
	}
	if (!ret)
		ret = kf_noise_responder_write2(&st, d->m2, sizeof(d->m2),
						&d->m2_len, NULL, d->payload,
						len);
out:
	kf_noise_wipe(&st);
	free(rq);
	return ret;
}

static int kfd_begin_fetch(struct kfd *d, const struct kfd_item *it,
			   unsigned int n)
{
	struct kf_transfer_begin req = { .kind = KEYFERRY_TRANSFER_FETCH };
	unsigned int i;
	int ret;

	req.n_items = n;
	for (i = 0; i < n; i++)
		req.items[i] = it[i].name;
	ret = kf_genl_transfer_begin(&d->g, &req, &d->m1);
	if (ret == -EBUSY) {
		/* the fuzzer filled the slots: a new entity frees them */
		d->counts.busy++;
		ret = kfd_entity(d);
		if (!ret)
			ret = kfd_enroll(d);
		if (!ret)
			ret = kf_genl_transfer_begin(&d->g, &req, &d->m1);
	}
	return ret;
}

static int kfd_begin_enroll(struct kfd *d)
{
	static const uint8_t token[] = "fuzz-token";
	struct kf_transfer_begin req = {
		.kind = KEYFERRY_TRANSFER_ENROLL,
		.token = token,
		.token_len = sizeof(token) - 1,
	};
	uint8_t nonce[KF_NONCE_SIZE];

	kf_random(nonce, sizeof(nonce));
	req.nonce = nonce;
	return kf_genl_transfer_begin(&d->g, &req, &d->m1);
}

int kfd_enroll(struct kfd *d)
{
	struct kf_installed out;
	int ret;

	ret = kfd_begin_enroll(d);
	if (!ret)
		ret = kfd_answer(d, NULL, 0, KFD_VALID, false);
	if (!ret)
		ret = kf_genl_transfer_finish(&d->g, d->m1.transfer_id, d->m2,
					      d->m2_len, 0, &out);
	if (!ret)
		d->counts.enrolls++;
	return ret;
}

int kfd_ensure(struct kfd *d)
{
	struct kf_module_status st;
	int ret;

	ret = kf_genl_get_status(&d->g, &st);
	if (ret)
		return ret;
	if (st.entity_state == KEYFERRY_ENTITY_NONE ||
	    st.entity_state == KEYFERRY_ENTITY_REVOKED || !st.has_keys ||
	    !st.n_distributor_keys ||
	    memcmp(st.distributor_keys[0], d->kd_pub, KF_KEY_SIZE) ||
	    !st.n_owners || memcmp(st.owners[0].key, d->ko_pub, KF_KEY_SIZE)) {
		ret = kfd_entity(d);
		if (ret)
			return ret;
		st.entity_state = KEYFERRY_ENTITY_CREATED;
	} else {
		/* ours, perhaps made again by a replayed request: adopt it */
		memcpy(d->kei_pub, st.kei_pub, KF_KEY_SIZE);
		memcpy(d->kec_pub, st.kec_pub, KF_KEY_SIZE);
	}
	if (st.entity_state != KEYFERRY_ENTITY_ENROLLED)
		ret = kfd_enroll(d);
	return ret;
}

int kfd_deliver(struct kfd *d, const struct kfd_item *it, unsigned int n,
		int32_t keyring)
{
	struct kf_installed out;
	int ret;

	ret = kfd_begin_fetch(d, it, n);
	if (!ret)
		ret = kfd_answer(d, it, n, KFD_VALID, false);
	if (!ret)
		ret = kf_genl_transfer_finish(&d->g, d->m1.transfer_id, d->m2,
					      d->m2_len, keyring, &out);
	if (!ret) {
		d->counts.deliveries++;
		d->counts.delivered_keys += out.n;
	}
	return ret;
}

/*
 * The TRANSFER_FINISH request for d->m1's transfer with d->m2, made with
 * the helper's client but not sent: the flags it would add when sending.
 */
static int kfd_finish_request(struct kfd *d, int32_t keyring, uint8_t *buf,
			      size_t cap, size_t *len)
{
	struct nl_msg *msg = kf_genl_request(&d->g, KEYFERRY_CMD_TRANSFER_FINISH, 0);
	struct nlmsghdr *nlh;
	int ret = -EMSGSIZE;

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, KEYFERRY_A_TRANSFER_ID, d->m1.transfer_id) ||
	    nla_put(msg, KEYFERRY_A_MESSAGE, (int)d->m2_len, d->m2) ||
	    (keyring && nla_put_u32(msg, KEYFERRY_A_KEYRING, (uint32_t)keyring)))
		goto out;
	nlh = nlmsg_hdr(msg);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (nlh->nlmsg_len <= cap) {
		memcpy(buf, nlh, nlh->nlmsg_len);
		*len = nlh->nlmsg_len;
		ret = 0;
	}
out:
	nlmsg_free(msg);
	return ret;
}

int kfd_finish_msg(struct kfd *d, const struct kfd_item *it, unsigned int n,
		   enum kfd_reply kind, int32_t keyring, uint8_t *buf,
		   size_t cap, size_t *len)
{
	int ret = kfd_begin_fetch(d, it, n);

	if (!ret)
		ret = kfd_answer(d, it, n, kind, false);
	if (!ret)
		ret = kfd_finish_request(d, keyring, buf, cap, len);
	return ret;
}

int kfd_enroll_finish_msg(struct kfd *d, bool bad, uint8_t *buf, size_t cap,
			  size_t *len)
{
	int ret = kfd_begin_enroll(d);

	if (!ret)
		ret = kfd_answer(d, NULL, 0, KFD_VALID, bad);
	if (!ret)
		ret = kfd_finish_request(d, 0, buf, cap, len);
	return ret;
}

/* ---- what to deliver ------------------------------------------------------ */

static bool kfd_name_used(const struct kfd_item *it, unsigned int n,
			  const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(it[i].name, name))
			return true;
	return false;
}

static void kfd_pick_type(struct kfd *d, struct kfd_item *x)
{
	static const char *const tag[] = { "", "logon", "user", "fs", "kw" };
	unsigned int r = kfd_below(d, 100);

	x->type = r < 35 ? KF_KEY_LOGON : r < 55 ? KF_KEY_USER :
		  r < 75 ? KF_KEY_FSCRYPT : KF_KEY_UNWRAP;
	snprintf(x->name, sizeof(x->name), "fz-%s-%u", tag[x->type],
		 kfd_below(d, KFD_NAMES));
	snprintf(x->desc, sizeof(x->desc), "%s", x->name);
	switch (x->type) {
	case KF_KEY_FSCRYPT:
		x->size = kfd_below(d, 2) ? 32 : 64;
		break;
	case KF_KEY_UNWRAP:
		x->size = KF_KEY_SIZE;
		break;
	default:
		x->size = 1 + kfd_below(d, 64);
		break;
	}
}

unsigned int kfd_random_items(struct kfd *d, struct kfd_item *it,
			      unsigned int max)
{
	unsigned int n = 1 + kfd_below(d, max), i, tries;

	for (i = 0; i < n; i++) {
		struct kfd_item *x = &it[i];

		memset(x, 0, sizeof(*x));
		for (tries = 0; tries < 8; tries++) {
			kfd_pick_type(d, x);
			if (!kfd_name_used(it, i, x->name))
				break;
		}
		if (tries == 8)
			return i;
		if (kfd_below(d, 100) < 8)
			x->timeout = 3 + kfd_below(d, 8);
		/* sealed under an unwrapping key the driver knows */
		if (x->type != KF_KEY_UNWRAP && d->n_unwrap && kfd_below(d, 100) < 30)
			snprintf(x->unwrap, sizeof(x->unwrap), "%s",
				 d->unwrap[kfd_below(d, d->n_unwrap)].desc);
	}
	return n;
}

/*
 * Until the driver knows an unwrapping key (none since its last
 * teardown), its deliveries bring one, without a timeout: the nested
 * unwrap path is reached in every epoch, not with the odds of a draw
 * (one debug-kernel run of 1,000 messages delivered 13 keys and none
 * of them an unwrapping key).
 */
static void kfd_bring_unwrap(struct kfd *d, struct kfd_item *it,
			     unsigned int n)
{
	struct kfd_item *x = &it[0];
	unsigned int i;

	if (d->n_unwrap)
		return;
	for (i = 0; i < n; i++)
		if (it[i].type == KF_KEY_UNWRAP && !it[i].timeout)
			return;
	memset(x, 0, sizeof(*x));
	x->type = KF_KEY_UNWRAP;
	x->size = KF_KEY_SIZE;
	/* A name no draw makes, so it cannot clash with it[1..n-1]. */
	snprintf(x->name, sizeof(x->name), "fz-kw-first");
	snprintf(x->desc, sizeof(x->desc), "%s", x->name);
}

int kfd_step(struct kfd *d)
{
	struct kfd_item it[4];
	uint8_t *buf = malloc(NLR_MSG_MAX);
	unsigned int i, n, shots = 1 + kfd_below(d, 2);
	size_t len;
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = kfd_ensure(d);
	for (i = 0; !ret && i < shots; i++) {
		unsigned int r = kfd_below(d, 100);
		enum kfd_reply kind = r < 35 ? KFD_VALID : r < 55 ? KFD_BAD_PAYLOAD :
				      r < 75 ? KFD_BAD_POLICY : r < 85 ?
				      KFD_BAD_SEALED : KFD_STATUS;

		if (kfd_below(d, 100) < 8) {
			ret = kfd_enroll_finish_msg(d, kfd_below(d, 2), buf,
						    NLR_MSG_MAX, &len);
		} else {
			n = kfd_random_items(d, it, 4);
			ret = kfd_finish_msg(d, it, n, kind,
					     kfd_below(d, 2) ? 0 :
					     KEY_SPEC_SESSION_KEYRING, buf,
					     NLR_MSG_MAX, &len);
		}
		if (!ret && d->fuzz) {
			nlf_seed_add(d->fuzz, buf, len, true);
			d->counts.oneshots++;
		}
	}
	if (!ret && d->steps++ % 3 == 0) {
		n = kfd_random_items(d, it, 4);
		kfd_bring_unwrap(d, it, n);
		ret = kfd_deliver(d, it, n, kfd_below(d, 2) ? 0 :
				  KEY_SPEC_SESSION_KEYRING);
	}
	free(buf);
	return ret;
}

/* ---- teardown ---------------------------------------------------------- */

int kfd_keyring_keys(key_serial_t ring, kfd_key_fn fn, void *arg)
{
	key_serial_t *ids;
	void *p;
	int n, i, found = 0;

	n = keyctl_read_alloc(ring, &p);
	if (n < 0)
		return n;
	ids = p;
	for (i = 0; i < n / (int)sizeof(*ids); i++) {
		char *desc = NULL;
		const char *name;

		/* an invalidated key is no key any more, linked or not */
		if (keyctl_describe_alloc(ids[i], &desc) < 0)
			continue;
		/* "type;uid;gid;perm;description" */
		name = strrchr(desc, ';');
		if (name && !strncmp(name + 1, "keyferry:", 9)) {
			fn(ring, ids[i], name + 1, arg);
			found++;
		}
		free(desc);
	}
	free(p);
	return found;
}

static void kfd_purge_one(key_serial_t ring, key_serial_t id, const char *desc,
			  void *arg)
{
	keyctl_invalidate(id);
	keyctl_unlink(id, ring);
}

static int kfd_invalidate_listed(const struct kf_installed_key *k, void *arg)
{
	if (k->serial > 0)
		keyctl_invalidate(k->serial);
	return 0;
}

/* Nothing tracked, pending or held (a transfer begun and abandoned runs the collector). */
static bool kfd_idle(struct kfd *d)
{
	struct kfs s;

	if (!kfd_begin_enroll(d))
		kf_genl_transfer_abandon(&d->g, d->m1.transfer_id);
	return !kfs_read(&s) && !kfs_get(&s, "tracked_keys") &&
	       !kfs_get(&s, "pending") && !kfs_get(&s, "unwrap_keys");
}

/*
 * Until the collector has dropped every tracked key: the keyring lets go
 * of an invalidated key after an RCU grace period, which a loaded TCG
 * guest (each begin here a Noise handshake under KASAN) may take seconds
 * to reach; 60 s by the clock.
 */
static int kfd_wait_idle(struct kfd *d)
{
	return KF_VM_WAIT(kfd_idle(d), 60) ? 0 : -EBUSY;
}

int kfd_teardown(struct kfd *d)
{
	static const key_serial_t rings[] = {
		KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING,
		KEY_SPEC_USER_SESSION_KEYRING, KEY_SPEC_PROCESS_KEYRING,
		KEY_SPEC_THREAD_KEYRING,
	};
	struct kf_module_status st;
	unsigned int i;
	int ret;

	ret = kf_genl_get_status(&d->g, &st);
	if (ret)
		return ret;
	/* Possessed through the session keyring, the module's is ours to clear. */
	if (st.keyring > 0 && !keyctl_link(st.keyring, KEY_SPEC_SESSION_KEYRING))
		kfd_keyring_keys(st.keyring, kfd_purge_one, NULL);
	for (i = 0; i < sizeof(rings) / sizeof(rings[0]); i++)
		kfd_keyring_keys(rings[i], kfd_purge_one, NULL);
	kf_genl_key_list(&d->g, kfd_invalidate_listed, NULL);
	ret = kfd_entity(d);		/* pending transfers, unwrapping keys */
	if (!ret)
		ret = kfd_wait_idle(d);
	if (st.keyring > 0)
		keyctl_unlink(st.keyring, KEY_SPEC_SESSION_KEYRING);
	d->n_unwrap = 0;
	return ret;
}
