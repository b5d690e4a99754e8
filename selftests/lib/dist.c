// SPDX-License-Identifier: GPL-2.0
/* The VM tests' distributor and data owner: see dist.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netlink/msg.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "dist.h"
#include "vm.h"

long dist_stat(const char *name)
{
	char line[128], key[64];
	long v, found = -1;
	FILE *f = fopen("/sys/kernel/debug/keyferry/stats", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

void dist_policy(struct kf_policy *p, uint8_t type, uint16_t size)
{
	memset(p, 0, sizeof(*p));
	p->key_type = type;
	p->key_size = size;
}

int dist_entity(struct env *e, bool two_dkeys)
{
	uint8_t keys[2][KEYFERRY_KEY_SIZE];
	struct kf_owner_key owner = { .name = DIST_OWNER };
	struct kf_module_status st;
	struct kf_entity_request req = {
		.region = DIST_REGION, .name = DIST_ENTITY,
		.distributor_keys = (const uint8_t (*)[KEYFERRY_KEY_SIZE])keys,
		.n_distributor_keys = two_dkeys ? 2 : 1,
		.owners = &owner, .n_owners = 1,
	};
	int ret;

	memcpy(keys[0], e->kd.pub, KF_KEY_SIZE);
	memcpy(keys[1], e->kd2.pub, KF_KEY_SIZE);
	memcpy(owner.key, e->ko.pub, KF_KEY_SIZE);
	ret = kf_genl_get_status(&e->g, &st);
	if (ret)
		return ret;
	if (st.has_keys) {
		req.replace = true;
		req.confirm_kei = st.kei_pub;
	}
	return kf_genl_entity_create(&e->g, &req, e->kei_pub, e->kec_pub);
}

int dist_answer_enroll(struct env *e, const uint8_t *token, size_t token_len,
		       const uint8_t *nonce, const char *bound_name)
{
	uint8_t istatic[KF_KEY_SIZE], req_buf[8192];
	struct kf_request *rq;
	struct kf_noise st;
	size_t plen, len;
	int ret;

	ret = kf_noise_responder_read1(&st, req_buf, sizeof(req_buf), &plen,
				       istatic, e->kd.priv, e->m1->data, e->m1->len);
	if (ret)
		return ret;
	rq = calloc(1, sizeof(*rq));
	if (!rq)
		return -ENOMEM;
	ret = kf_request_decode(rq, req_buf, plen);
	if (!ret && (rq->kind != KF_KIND_ENROLL || strcmp(rq->region, DIST_REGION) ||
		     strcmp(rq->entity, DIST_ENTITY) || rq->token_len != token_len ||
		     memcmp(rq->token, token, token_len) ||
		     memcmp(rq->nonce, nonce, KF_NONCE_SIZE) ||
		     memcmp(rq->kec_pub, e->kec_pub, KF_KEY_SIZE) ||
		     memcmp(istatic, e->kei_pub, KF_KEY_SIZE)))
		ret = -EPROTO;
	free(rq);
	if (ret)
		return ret;
	memset(e->reply, 0, sizeof(*e->reply));
	snprintf(e->reply->entity, sizeof(e->reply->entity), "%s", bound_name);
	ret = kf_reply_encode(e->reply, e->payload, sizeof(e->payload), &len);
	if (!ret)
		ret = kf_noise_responder_write2(&st, e->m2, sizeof(e->m2),
						&e->m2_len, NULL, e->payload, len);
	kf_noise_wipe(&st);
	return ret;
}

int dist_enroll(struct env *e)
{
	static const uint8_t token[] = "one-time-token-dist";
	struct kf_transfer_begin req = { .kind = KEYFERRY_TRANSFER_ENROLL };
	struct kf_installed out;
	uint8_t nonce[KF_NONCE_SIZE];
	int ret;

	ret = kf_random(nonce, sizeof(nonce));
	if (ret)
		return ret;
	req.token = token;
	req.token_len = sizeof(token) - 1;
	req.nonce = nonce;
	ret = kf_genl_transfer_begin(&e->g, &req, e->m1);
	if (ret)
		return ret;
	e->id = e->m1->transfer_id;
	ret = dist_answer_enroll(e, token, sizeof(token) - 1, nonce, DIST_ENTITY);
	if (!ret)
		ret = dist_finish(e, 0, &out);
	if (!ret && !out.enrolled)
		ret = -EPROTO;
	return ret;
}

int dist_env_init(struct env *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	nlmsg_set_default_size(KF_MESSAGE_MAX + 4096);
	e->m1 = calloc(1, sizeof(*e->m1));
	e->reply = calloc(1, sizeof(*e->reply));
	if (!e->m1 || !e->reply)
		return -ENOMEM;
	ret = kf_vm_load();
	if (ret)
		return ret;
	ret = kf_genl_open(&e->g);
	if (ret)
		return ret;
	if (kf_x25519_keygen(e->kd.priv, e->kd.pub) ||
	    kf_x25519_keygen(e->kd2.priv, e->kd2.pub) ||
	    kf_x25519_keygen(e->ko.priv, e->ko.pub))
		return -EIO;
	ret = dist_entity(e, true);
	if (!ret)
		ret = dist_enroll(e);
	return ret;
}

void dist_env_fini(struct env *e)
{
	kf_genl_close(&e->g);
	free(e->m1);
	free(e->reply);
}

int dist_begin(struct env *e, const struct item_spec *items, unsigned int n)
{
	struct kf_transfer_begin req = { .kind = KEYFERRY_TRANSFER_FETCH };
	unsigned int i;
	int ret;

	req.n_items = n;
	for (i = 0; i < n; i++)
		req.items[i] = items[i].name;
	ret = kf_genl_transfer_begin(&e->g, &req, e->m1);
	if (!ret)
		e->id = e->m1->transfer_id;
	return ret;
}

/* The owner's side: seal one item as specified into reply item it. */
static int dist_seal(struct env *e, const struct item_spec *s, struct kf_reply_item *it)
{
	struct kf_binding b = { .region = DIST_REGION };
	uint64_t version = s->version ? s->version : 1;
	const struct dist_key *owner = s->owner ? s->owner : &e->ko;
	int ret;

	if (s->raw_policy) {
		memcpy(it->policy, s->raw_policy, s->raw_policy_len);
		it->policy_len = s->raw_policy_len;
	} else {
		ret = kf_policy_encode(&s->pol, it->policy, sizeof(it->policy),
				       &it->policy_len);
		if (ret)
			return ret;
	}
	if (s->sealed) {
		memcpy(it->sealed, s->sealed, s->sealed_len);
		it->sealed_len = s->sealed_len;
		return 0;
	}
	b.item = s->seal_name ? s->seal_name : s->name;
	b.policy = s->seal_policy ? s->seal_policy : it->policy;
	b.policy_len = s->seal_policy ? s->seal_policy_len : it->policy_len;
	if (s->kw)
		return kf_seal_to_unwrap_key(it->sealed, sizeof(it->sealed), &it->sealed_len,
					     s->kw, NULL, &b, version, s->key, s->key_len);
	return kf_seal_to_kec(it->sealed, sizeof(it->sealed), &it->sealed_len,
			      s->kec_pub ? s->kec_pub : e->kec_pub, owner->priv, NULL,
			      &b, version, s->key, s->key_len);
}

int dist_answer(struct env *e, const struct dist_key *d,
		const struct item_spec *items, unsigned int n, uint32_t status)
{
	uint8_t istatic[KF_KEY_SIZE], req_buf[8192];
	struct kf_request *rq;
	struct kf_noise st;
	size_t plen, len;
	unsigned int i;
	int ret;

	ret = kf_noise_responder_read1(&st, req_buf, sizeof(req_buf), &plen,
				       istatic, d->priv, e->m1->data, e->m1->len);
	if (ret)
		return ret;
	if (!kf_equal(istatic, e->kei_pub, KF_KEY_SIZE))
		return -EACCES;
	rq = calloc(1, sizeof(*rq));
	if (!rq)
		return -ENOMEM;
	ret = kf_request_decode(rq, req_buf, plen);
	if (!ret && (rq->kind != KF_KIND_FETCH || rq->n_items != n))
		ret = -EPROTO;
	free(rq);
	if (ret)
		return ret;

	memset(e->reply, 0, sizeof(*e->reply));
	e->reply->status = status;
	e->reply->n_items = status ? 0 : n;
	for (i = 0; !status && i < n; i++) {
		snprintf(e->reply->items[i].name, sizeof(e->reply->items[i].name), "%s",
			 items[i].name);
		ret = dist_seal(e, &items[i], &e->reply->items[i]);
		if (ret)
			return ret;
	}
	ret = kf_reply_encode(e->reply, e->payload, sizeof(e->payload), &len);
	if (!ret)
		ret = kf_noise_responder_write2(&st, e->m2, sizeof(e->m2), &e->m2_len,
						NULL, e->payload, len);
	kf_noise_wipe(&st);
	return ret;
}

int dist_answer_raw(struct env *e, const uint8_t *payload, size_t len)
{
	uint8_t istatic[KF_KEY_SIZE], req_buf[8192];
	struct kf_noise st;
	size_t plen;
	int ret;

	ret = kf_noise_responder_read1(&st, req_buf, sizeof(req_buf), &plen,
				       istatic, e->kd.priv, e->m1->data, e->m1->len);
	if (!ret)
		ret = kf_noise_responder_write2(&st, e->m2, sizeof(e->m2), &e->m2_len,
						NULL, payload, len);
	kf_noise_wipe(&st);
	return ret;
}

int dist_finish(struct env *e, int32_t keyring, struct kf_installed *out)
{
	struct kf_installed tmp;

	return kf_genl_transfer_finish(&e->g, e->id, e->m2, e->m2_len, keyring,
				       out ? out : &tmp);
}

int dist_deliver(struct env *e, const struct item_spec *items, unsigned int n,
		 int32_t keyring, struct kf_installed *out)
{
	int ret = dist_begin(e, items, n);

	if (!ret)
		ret = dist_answer(e, &e->kd, items, n, 0);
	if (!ret)
		ret = dist_finish(e, keyring, out);
	return ret;
}

struct dist_finder {
	const char *desc;
	bool found;
};

static int dist_find_fn(const struct kf_installed_key *k, void *arg)
{
	struct dist_finder *f = arg;

	if (!strcmp(k->description, f->desc))
		f->found = true;
	return 0;
}

int dist_listed(struct kf_genl *g, const char *desc)
{
	struct dist_finder f = { desc, false };
	int ret = kf_genl_key_list(g, dist_find_fn, &f);

	return ret ? ret : f.found;
}

static int dist_on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KEYFERRY_A_MAX + 1];
	struct dist_events *ev = arg;
	struct dist_event *e;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KEYFERRY_A_MAX, NULL) ||
	    !tb[KEYFERRY_A_EVENT_TYPE] || ev->n >= sizeof(ev->ev) / sizeof(ev->ev[0]))
		return NL_SKIP;
	e = &ev->ev[ev->n++];
	memset(e, 0, sizeof(*e));
	e->type = nla_get_u8(tb[KEYFERRY_A_EVENT_TYPE]);
	if (tb[KEYFERRY_A_REVOKE_REASON])
		e->reason = nla_get_u8(tb[KEYFERRY_A_REVOKE_REASON]);
	if (tb[KEYFERRY_A_ERRNO])
		e->err = nla_get_u32(tb[KEYFERRY_A_ERRNO]);
	if (tb[KEYFERRY_A_REVOKED_KEYS])
		e->revoked_keys = nla_get_u32(tb[KEYFERRY_A_REVOKED_KEYS]);
	if (tb[KEYFERRY_A_ITEM_NAME])
		snprintf(e->item, sizeof(e->item), "%s", nla_get_string(tb[KEYFERRY_A_ITEM_NAME]));
	if (tb[KEYFERRY_A_KEY] && !kf_genl_parse_key(tb[KEYFERRY_A_KEY], &e->key))
		e->has_key = true;
	return NL_OK;
}

int dist_events_open(struct dist_events *ev)
{
	int grp;

	memset(ev, 0, sizeof(*ev));
	ev->sk = nl_socket_alloc();
	if (!ev->sk)
		return -ENOMEM;
	if (genl_connect(ev->sk))
		goto err;
	grp = genl_ctrl_resolve_grp(ev->sk, KEYFERRY_GENL_NAME, KEYFERRY_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(ev->sk, grp))
		goto err;
	nl_socket_disable_seq_check(ev->sk);
	nl_socket_modify_cb(ev->sk, NL_CB_VALID, NL_CB_CUSTOM, dist_on_event, ev);
	nl_socket_set_nonblocking(ev->sk);
	return 0;
err:
	nl_socket_free(ev->sk);
	ev->sk = NULL;
	return -EIO;
}

void dist_events_poll(struct dist_events *ev, int ms)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(ev->sk), .events = POLLIN };
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return;
		if (poll(&pfd, 1, 300) <= 0)
			return;
		nl_recvmsgs_default(ev->sk);
	}
}

const struct dist_event *dist_events_wait(struct dist_events *ev, uint8_t type,
					  uint8_t reason, int32_t serial, int secs)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(ev->sk), .events = POLLIN };
	double end = kf_vm_now() + secs;
	const struct dist_event *x;

	while (!(x = dist_event_find(ev, type, reason, serial)) && kf_vm_now() < end)
		if (poll(&pfd, 1, 200) > 0)
			nl_recvmsgs_default(ev->sk);
	return x;
}

void dist_events_close(struct dist_events *ev)
{
	if (ev->sk)
		nl_socket_free(ev->sk);
	ev->sk = NULL;
}

const struct dist_event *dist_event_find(const struct dist_events *ev, uint8_t type,
					 uint8_t reason, int32_t serial)
{
	unsigned int i;

	for (i = 0; i < ev->n; i++)
		if (ev->ev[i].type == type && (!reason || ev->ev[i].reason == reason) &&
		    ev->ev[i].has_key && ev->ev[i].key.serial == serial)
			return &ev->ev[i];
	return NULL;
}
