// SPDX-License-Identifier: GPL-2.0
/*
 * Secure transfer end to end (issue 3, "Done when"): the test is the
 * distributor (userspace/lib, OpenSSL) and talks to keyferry.ko (kernel
 * crypto API) through the helper's netlink client.  The two
 * implementations share no code: every key that arrives proves they agree.
 *
 *   - a sealed key arrives through TRANSFER_BEGIN/FINISH, shows in
 *     `keyctl show`, and `keyctl read`/`print` fail on it (logon);
 *   - every single-bit flip of a sample reply is refused, nothing installed;
 *   - finished twice, another transfer's reply, sealed to another entity,
 *     another distributor key, truncated and oversized: distinct errnos;
 *   - policy refusals (not understood, altered, outside its window);
 *   - the nested variant (unwrapping keys, nested two deep, in one reply
 *     and across transfers);
 *   - 1000 transfers leave the module's memory where it started;
 *   - a flood of TRANSFER_BEGIN stops at KEYFERRY_MAX_PENDING (EBUSY);
 *   - unload with pending transfers and held unwrapping keys frees all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netlink/msg.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <kselftest_harness.h>

#include "selftests/lib/vm.h"
#include "userspace/keyferry/genl.h"
#include "userspace/lib/keyferry.h"

#define KEY_SPEC_SESSION_KEYRING	-3
#define REGION	"eu-west/rack7"
#define ENTITY	"host-0042"

struct dist {
	uint8_t priv[KF_KEY_SIZE];
	uint8_t pub[KF_KEY_SIZE];
};

struct item_spec {
	const char *name;
	struct kf_policy pol;
	const uint8_t *key;
	size_t key_len;
	const uint8_t *kw;		/* seal under this unwrapping key */
	const uint8_t *kec_pub;		/* NULL: the entity's own Kec */
	const uint8_t *raw_policy;	/* instead of encoding pol */
	size_t raw_policy_len;
	const uint8_t *seal_policy;	/* seal binding this, send pol */
	size_t seal_policy_len;
};

struct env {
	struct kf_genl g;
	struct dist kd;
	struct dist kd2;
	uint8_t kei_pub[KF_KEY_SIZE];
	uint8_t kec_pub[KF_KEY_SIZE];
	struct kf_message *m1;
	struct kf_reply *reply;
	uint8_t payload[KF_MESSAGE_MAX];
	uint8_t m2[KF_MESSAGE_MAX + 64];
	size_t m2_len;
	uint32_t id;
};

static long stat_get(const char *name)
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

static int env_entity(struct env *e, bool two_keys)
{
	uint8_t keys[2][KEYFERRY_KEY_SIZE];

	memcpy(keys[0], e->kd.pub, KF_KEY_SIZE);
	memcpy(keys[1], e->kd2.pub, KF_KEY_SIZE);
	return kf_genl_entity_create(&e->g, REGION, ENTITY,
				     (const uint8_t (*)[KEYFERRY_KEY_SIZE])keys,
				     two_keys ? 2 : 1, true, e->kei_pub,
				     e->kec_pub);
}

static int env_init(struct env *e)
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
	    kf_x25519_keygen(e->kd2.priv, e->kd2.pub))
		return -EIO;
	return env_entity(e, true);
}

static void env_fini(struct env *e)
{
	kf_genl_close(&e->g);
	free(e->m1);
	free(e->reply);
}

/* TRANSFER_BEGIN for the items' names. */
static int begin(struct env *e, const struct item_spec *items, unsigned int n)
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

/*
 * The distributor: read the pending message 1 with d, answer it with the
 * items sealed as specified and the given status.  Fills e->m2.
 */
static int answer(struct env *e, const struct dist *d,
		  const struct item_spec *items, unsigned int n,
		  uint32_t status)
{
	uint8_t istatic[KF_KEY_SIZE], req_buf[8192];
	struct kf_request *rq;
	struct kf_noise st;
	size_t plen, len;
	unsigned int i;
	int ret;

	ret = kf_noise_responder_read1(&st, req_buf, sizeof(req_buf), &plen,
				       istatic, d->priv, e->m1->data,
				       e->m1->len);
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
		const struct item_spec *s = &items[i];
		struct kf_reply_item *it = &e->reply->items[i];
		const uint8_t *bind;
		size_t bind_len;

		snprintf(it->name, sizeof(it->name), "%s", s->name);
		it->version = 7 + i;
		if (s->raw_policy) {
			memcpy(it->policy, s->raw_policy, s->raw_policy_len);
			it->policy_len = s->raw_policy_len;
		} else {
			ret = kf_policy_encode(&s->pol, it->policy,
					       sizeof(it->policy),
					       &it->policy_len);
			if (ret)
				return ret;
		}
		bind = s->seal_policy ? s->seal_policy : it->policy;
		bind_len = s->seal_policy ? s->seal_policy_len : it->policy_len;
		if (s->kw)
			ret = kf_seal_to_unwrap_key(it->sealed, sizeof(it->sealed),
						    &it->sealed_len, s->kw,
						    REGION, s->name, bind,
						    bind_len, s->key,
						    s->key_len);
		else
			ret = kf_seal_to_kec(it->sealed, sizeof(it->sealed),
					     &it->sealed_len,
					     s->kec_pub ? s->kec_pub : e->kec_pub,
					     REGION, s->name, bind, bind_len,
					     s->key, s->key_len);
		if (ret)
			return ret;
	}
	ret = kf_reply_encode(e->reply, e->payload, sizeof(e->payload), &len);
	if (ret)
		return ret;
	ret = kf_noise_responder_write2(&st, e->m2, sizeof(e->m2), &e->m2_len,
					NULL, e->payload, len);
	kf_noise_wipe(&st);
	return ret;
}

static int finish(struct env *e, int32_t keyring, struct kf_installed *out)
{
	struct kf_installed tmp;

	return kf_genl_transfer_finish(&e->g, e->id, e->m2, e->m2_len, keyring,
				       out ? out : &tmp);
}

/* begin + answer + finish */
static int deliver(struct env *e, const struct item_spec *items,
		   unsigned int n, int32_t keyring, struct kf_installed *out)
{
	int ret = begin(e, items, n);

	if (!ret)
		ret = answer(e, &e->kd, items, n, 0);
	if (!ret)
		ret = finish(e, keyring, out);
	return ret;
}

static void policy(struct kf_policy *p, uint8_t type, const char *desc,
		   uint16_t size)
{
	memset(p, 0, sizeof(*p));
	p->key_type = type;
	snprintf(p->description, sizeof(p->description), "%s", desc);
	p->key_size = size;
}

static const uint8_t key32[32] = {
	0x6b, 0x65, 0x79, 0x66, 0x65, 0x72, 0x72, 0x79, 0x2d, 0x74, 0x65,
	0x73, 0x74, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x33, 0x32, 0x2d, 0x62,
	0x79, 0x74, 0x65, 0x73, 0x2d, 0x6c, 0x6f, 0x6e, 0x67, 0x21,
};

FIXTURE(transfer) {
	struct env *e;
};

FIXTURE_SETUP(transfer)
{
	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	self->e = calloc(1, sizeof(*self->e));
	ASSERT_NE(NULL, self->e);
	ASSERT_EQ(0, env_init(self->e)) TH_LOG("ext: %s", self->e->g.ext_msg);
}

FIXTURE_TEARDOWN(transfer)
{
	if (self->e) {
		env_fini(self->e);
		free(self->e);
	}
}

TEST_F(transfer, logon_key_arrives_and_cannot_be_read)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "disk-a", .key = key32, .key_len = 32 };
	struct kf_installed out;
	char buf[8192], cmd[128];

	policy(&it.pol, KF_KEY_LOGON, "disk-a", 32);
	ASSERT_EQ(0, deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(1, out.n);
	EXPECT_GT(out.keys[0].serial, 0);
	EXPECT_EQ(KEYFERRY_KEY_TYPE_LOGON, out.keys[0].type);
	EXPECT_STREQ("keyferry:disk-a", out.keys[0].description);
	EXPECT_STREQ("disk-a", out.keys[0].item);
	EXPECT_EQ(7, out.keys[0].version);

	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl show @s 2>&1"));
	TH_LOG("keyctl show @s:\n%s", buf);
	EXPECT_NE(NULL, strstr(buf, "logon: keyferry:disk-a"));
	snprintf(cmd, sizeof(cmd), "keyctl read %d 2>&1", out.keys[0].serial);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "%s", cmd)) TH_LOG("%s", buf);
	snprintf(cmd, sizeof(cmd), "keyctl print %d 2>&1", out.keys[0].serial);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "%s", cmd)) TH_LOG("%s", buf);
	snprintf(cmd, sizeof(cmd), "keyctl pipe %d 2>&1", out.keys[0].serial);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "%s", cmd));
	/* dm-crypt finds it by the name the issue gives */
	EXPECT_EQ(0, kf_vm_run(buf, sizeof(buf),
			       "keyctl search @s logon keyferry:disk-a 2>&1"))
		TH_LOG("%s", buf);
}

TEST_F(transfer, default_is_the_module_keyring)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "disk-b", .key = key32, .key_len = 32 };
	struct kf_module_status st;
	struct kf_installed out;
	char buf[8192];

	policy(&it.pol, KF_KEY_LOGON, "disk-b", 32);
	ASSERT_EQ(0, deliver(e, &it, 1, 0, &out)) TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	ASSERT_GT(st.keyring, 0);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl show %d 2>&1", st.keyring));
	TH_LOG("module keyring:\n%s", buf);
	EXPECT_NE(NULL, strstr(buf, "logon: keyferry:disk-b"));
}

TEST_F(transfer, user_key_is_readable_by_policy)
{
	struct env *e = self->e;
	static const uint8_t lic[] = "licence=gold;seats=12";
	struct item_spec it = { .name = "licence", .key = lic,
				.key_len = sizeof(lic) - 1 };
	struct kf_installed out;
	char buf[4096];

	policy(&it.pol, KF_KEY_USER, "licence", sizeof(lic) - 1);
	it.pol.timeout = 3600;
	ASSERT_EQ(0, deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(1, out.n);
	EXPECT_NE(0, out.keys[0].expiry);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl print %d",
			       out.keys[0].serial));
	EXPECT_NE(NULL, strstr(buf, "licence=gold;seats=12"));
}

TEST_F_TIMEOUT(transfer, every_bit_flip_is_refused_and_installs_nothing, 900)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "flip", .key = key32, .key_len = 32 };
	struct kf_module_status st;
	long installed, refused;
	size_t len, bit, failures = 0;
	char buf[256];
	int ret;

	policy(&it.pol, KF_KEY_LOGON, "flip", 32);
	/* The sample's length; every reply to this request has it. */
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	len = e->m2_len;
	e->m2_len = 1;		/* consume it: truncated */
	ASSERT_EQ(-EMSGSIZE, finish(e, 0, NULL));
	installed = stat_get("keys_installed");
	refused = stat_get("refusals");
	ASSERT_GE(installed, 0);
	for (bit = 0; bit < len * 8; bit++) {
		ASSERT_EQ(0, begin(e, &it, 1));
		ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
		ASSERT_EQ(len, e->m2_len);
		e->m2[bit / 8] ^= 1u << (bit % 8);
		ret = finish(e, 0, NULL);
		if (ret >= 0) {
			failures++;
			TH_LOG("bit %zu accepted", bit);
		}
	}
	EXPECT_EQ(0, failures);
	EXPECT_EQ(installed, stat_get("keys_installed"));
	EXPECT_EQ(refused + (long)(len * 8), stat_get("refusals"));
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf),
			       "keyctl search %d logon keyferry:flip 2>&1",
			       st.keyring));
	TH_LOG("%zu bits of a %zu-byte reply flipped, all refused", len * 8, len);
	/* and the same reply unflipped is accepted: the test can pass */
	ASSERT_EQ(0, deliver(e, &it, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_EQ(installed + 1, stat_get("keys_installed"));
}

TEST_F(transfer, refusals_have_distinct_errnos)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "dist", .key = key32, .key_len = 32 };
	uint8_t other_priv[KF_KEY_SIZE], other_pub[KF_KEY_SIZE];
	uint8_t kid2[KF_KID_SIZE], *big;
	uint32_t id_a;
	int errs[6];
	unsigned int i, j;

	policy(&it.pol, KF_KEY_LOGON, "dist", 32);

	/* finished twice */
	ASSERT_EQ(0, deliver(e, &it, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	errs[0] = finish(e, 0, NULL);
	EXPECT_EQ(-ENOENT, errs[0]) TH_LOG("ext: %s", e->g.ext_msg);

	/* a reply for another transfer: B's reply handed to A */
	ASSERT_EQ(0, begin(e, &it, 1));
	id_a = e->id;
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	e->id = id_a;
	errs[1] = finish(e, 0, NULL);
	EXPECT_EQ(-ESRCH, errs[1]) TH_LOG("ext: %s", e->g.ext_msg);

	/* sealed to another entity */
	ASSERT_EQ(0, kf_x25519_keygen(other_priv, other_pub));
	it.kec_pub = other_pub;
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	errs[2] = finish(e, 0, NULL);
	EXPECT_EQ(-ENOKEY, errs[2]) TH_LOG("ext: %s", e->g.ext_msg);
	it.kec_pub = NULL;

	/* from another distributor key (pinned, but not the one asked) */
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	kf_kid(e->kd2.pub, kid2);
	memcpy(e->m2 + 8, kid2, KF_KID_SIZE);
	errs[3] = finish(e, 0, NULL);
	EXPECT_EQ(-EKEYREJECTED, errs[3]) TH_LOG("ext: %s", e->g.ext_msg);

	/* truncated */
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	e->m2_len = KF_MSG2_MIN - 1;
	errs[4] = finish(e, 0, NULL);
	EXPECT_EQ(-EMSGSIZE, errs[4]) TH_LOG("ext: %s", e->g.ext_msg);

	/* oversized: refused by the netlink policy, the transfer survives */
	ASSERT_EQ(0, begin(e, &it, 1));
	big = calloc(1, KF_MESSAGE_MAX + 1);
	ASSERT_NE(NULL, big);
	errs[5] = kf_genl_transfer_finish(&e->g, e->id, big, KF_MESSAGE_MAX + 1,
					  0, &(struct kf_installed){ 0 });
	free(big);
	EXPECT_EQ(-ERANGE, errs[5]) TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(0, finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);

	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			EXPECT_NE(errs[i], errs[j]);
}

TEST_F(transfer, outer_layer_refusals)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "outer", .key = key32, .key_len = 32 };

	policy(&it.pol, KF_KEY_LOGON, "outer", 32);
	/* wrong type */
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	e->m2[0] = 1;
	EXPECT_EQ(-EPROTONOSUPPORT, finish(e, 0, NULL));
	/* the session layer altered */
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	e->m2[e->m2_len - 1] ^= 0x80;
	EXPECT_EQ(-EBADMSG, finish(e, 0, NULL));
	/* a low-order ephemeral (all zero) */
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	memset(e->m2 + 16, 0, 32);
	EXPECT_EQ(-EBADMSG, finish(e, 0, NULL));
	/* an authenticated refusal: revoked */
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, KF_STATUS_REVOKED));
	EXPECT_EQ(-EKEYREVOKED, finish(e, 0, NULL));
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, KF_STATUS_FORBIDDEN));
	EXPECT_EQ(-EACCES, finish(e, 0, NULL));
	/* an unknown transfer id */
	e->id ^= 0x5a5a5a5a;
	EXPECT_EQ(-ENOENT, finish(e, 0, NULL));
}

TEST_F(transfer, policy_refusals)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "pol", .key = key32, .key_len = 32 };
	struct item_spec two[2];
	uint8_t raw[256], bound[256];
	struct kf_tlv_writer w;
	size_t bound_len;
	long installed = stat_get("keys_installed");

	/* a policy with a record type the module does not know */
	kf_tlv_init(&w, raw, sizeof(raw));
	kf_tlv_put_u8(&w, 1, KF_KEY_LOGON);
	kf_tlv_put_str(&w, 2, "pol");
	kf_tlv_put_u16(&w, 3, 32);
	kf_tlv_put_u8(&w, 9, 1);
	it.raw_policy = raw;
	it.raw_policy_len = (size_t)kf_tlv_finish(&w);
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EOPNOTSUPP, finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	it.raw_policy = NULL;

	/* the distributor turns an owner's logon key into a readable one */
	policy(&it.pol, KF_KEY_LOGON, "pol", 32);
	ASSERT_EQ(0, kf_policy_encode(&it.pol, bound, sizeof(bound), &bound_len));
	it.seal_policy = bound;
	it.seal_policy_len = bound_len;
	policy(&it.pol, KF_KEY_USER, "pol", 32);
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EBADE, finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	it.seal_policy = NULL;

	/* outside the owner's window */
	policy(&it.pol, KF_KEY_LOGON, "pol", 32);
	it.pol.not_after = (uint64_t)time(NULL) - 10;
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EKEYEXPIRED, finish(e, 0, NULL));
	it.pol.not_after = 0;
	it.pol.not_before = (uint64_t)time(NULL) + 3600;
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EKEYEXPIRED, finish(e, 0, NULL));

	/* one bad item refuses the whole reply: the good one is not installed */
	memset(two, 0, sizeof(two));
	two[0] = (struct item_spec){ .name = "good", .key = key32, .key_len = 32 };
	policy(&two[0].pol, KF_KEY_LOGON, "good", 32);
	two[1] = (struct item_spec){ .name = "bad", .key = key32, .key_len = 32 };
	policy(&two[1].pol, KF_KEY_LOGON, "bad", 32);
	two[1].pol.not_after = (uint64_t)time(NULL) - 10;
	ASSERT_EQ(0, begin(e, two, 2));
	ASSERT_EQ(0, answer(e, &e->kd, two, 2, 0));
	EXPECT_EQ(-EKEYEXPIRED, finish(e, 0, NULL));
	EXPECT_EQ(installed, stat_get("keys_installed"));
}

static int count_key(const struct kf_installed_key *k, void *arg)
{
	struct kf_installed *acc = arg;

	if (acc->n < KEYFERRY_MAX_ITEMS)
		acc->keys[acc->n++] = *k;
	return 0;
}

TEST_F(transfer, nested_unwrap_keys)
{
	struct env *e = self->e;
	uint8_t kw_group[32], kw_kek[32], data[48];
	struct item_spec grp = { .name = "group-key", .key = kw_group,
				 .key_len = 32 };
	struct item_spec kek = { .name = "kek", .key = kw_kek, .key_len = 32,
				 .kw = kw_group };
	struct item_spec dat = { .name = "data", .key = data,
				 .key_len = sizeof(data), .kw = kw_kek };
	struct item_spec both[2];
	struct kf_installed out, list = { 0 };
	char buf[4096];
	unsigned int i;
	bool seen = false;

	ASSERT_EQ(0, kf_random(kw_group, 32));
	ASSERT_EQ(0, kf_random(kw_kek, 32));
	for (i = 0; i < sizeof(data); i++)
		data[i] = 'a' + i % 26;

	/* before the unwrapping key is held, data sealed under it is refused */
	policy(&dat.pol, KF_KEY_USER, "data", sizeof(data));
	snprintf(dat.pol.unwrap_key, sizeof(dat.pol.unwrap_key), "kek");
	ASSERT_EQ(0, begin(e, &dat, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &dat, 1, 0));
	EXPECT_EQ(-ENOKEY, finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);

	/* 1: the group key, to Kec; kept in the module, never in a keyring */
	policy(&grp.pol, KF_KEY_UNWRAP, "group-key", 32);
	ASSERT_EQ(0, deliver(e, &grp, 1, 0, &out)) TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(1, out.n);
	EXPECT_EQ(0, out.keys[0].serial);
	EXPECT_EQ(KEYFERRY_KEY_TYPE_UNWRAP, out.keys[0].type);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf),
			       "grep -q 'keyferry:group-key' /proc/keys"));
	ASSERT_EQ(0, kf_genl_key_list(&e->g, count_key, &list));
	for (i = 0; i < list.n; i++)
		if (!strcmp(list.keys[i].description, "keyferry:group-key") &&
		    list.keys[i].type == KEYFERRY_KEY_TYPE_UNWRAP)
			seen = true;
	EXPECT_TRUE(seen);

	/* 2: a key-encryption key under the group key, then data under it,
	 * in one reply: the second item opens with the first */
	policy(&kek.pol, KF_KEY_UNWRAP, "kek", 32);
	snprintf(kek.pol.unwrap_key, sizeof(kek.pol.unwrap_key), "group-key");
	both[0] = kek;
	both[1] = dat;
	ASSERT_EQ(0, deliver(e, both, 2, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(2, out.n);
	ASSERT_GT(out.keys[1].serial, 0);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl print %d",
			       out.keys[1].serial));
	EXPECT_EQ(0, strncmp(buf, (const char *)data, sizeof(data)));

	/* 3: later data under the held kek, in a transfer of its own */
	ASSERT_EQ(0, kf_vm_run(NULL, 0, "keyctl unlink %d @s", out.keys[1].serial));
	ASSERT_EQ(0, deliver(e, &dat, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl print %d",
			       out.keys[0].serial));
	EXPECT_EQ(0, strncmp(buf, (const char *)data, sizeof(data)));

	/* under the wrong unwrapping key: the inner layer does not open */
	dat.kw = kw_group;
	ASSERT_EQ(0, begin(e, &dat, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &dat, 1, 0));
	EXPECT_EQ(-EBADE, finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
}

TEST_F_TIMEOUT(transfer, thousand_transfers_leave_memory_as_it_was, 900)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "loop", .key = key32, .key_len = 32 };
	long bytes0, objects0, tfms0, slab0, bytes1, objects1, tfms1, slab1;
	int i;

	policy(&it.pol, KF_KEY_LOGON, "loop", 32);
	/* one first, so the tracking entry for "loop" exists before and after */
	ASSERT_EQ(0, deliver(e, &it, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	bytes0 = stat_get("bytes");
	objects0 = stat_get("objects");
	tfms0 = stat_get("tfms");
	slab0 = kf_vm_slab_unreclaimable_kb();
	ASSERT_GE(bytes0, 0);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, deliver(e, &it, 1, 0, NULL))
			TH_LOG("transfer %d: %s", i, e->g.ext_msg);
	bytes1 = stat_get("bytes");
	objects1 = stat_get("objects");
	tfms1 = stat_get("tfms");
	slab1 = kf_vm_slab_unreclaimable_kb();
	TH_LOG("module memory before: %ld bytes in %ld blocks, %ld tfms",
	       bytes0, objects0, tfms0);
	TH_LOG("module memory after 1000 transfers: %ld bytes in %ld blocks, %ld tfms",
	       bytes1, objects1, tfms1);
	TH_LOG("kernel unreclaimable slab: %ld kB before, %ld kB after",
	       slab0, slab1);
	EXPECT_EQ(bytes0, bytes1);
	EXPECT_EQ(objects0, objects1);
	EXPECT_EQ(tfms0, tfms1);
	EXPECT_EQ(0, stat_get("pending"));
	/* a generous bound on the whole kernel's slab: no per-transfer leak */
	EXPECT_LT(slab1 - slab0, 2048);
}

TEST_F(transfer, flood_of_begin_stops_at_the_bound)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "flood", .key = key32, .key_len = 32 };
	struct kf_module_status st;
	uint32_t first = 0;
	int i;

	/* a new entity forgets whatever is pending */
	ASSERT_EQ(0, env_entity(e, true));
	for (i = 0; i < KEYFERRY_MAX_PENDING; i++) {
		ASSERT_EQ(0, begin(e, &it, 1)) TH_LOG("begin %d: %s", i, e->g.ext_msg);
		if (!i)
			first = e->id;
	}
	EXPECT_EQ(-EBUSY, begin(e, &it, 1));
	EXPECT_EQ(-EBUSY, begin(e, &it, 1));
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_EQ(KEYFERRY_MAX_PENDING, st.pending_transfers);
	/* finishing one (here: refused) frees a slot */
	e->id = first;
	e->m2_len = 1;
	EXPECT_EQ(-EMSGSIZE, finish(e, 0, NULL));
	EXPECT_EQ(0, begin(e, &it, 1));
	EXPECT_EQ(-EBUSY, begin(e, &it, 1));
	/* ENTITY_CREATE with REPLACE forgets them all */
	ASSERT_EQ(0, env_entity(e, true));
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_EQ(0, st.pending_transfers);
}

TEST_F(transfer, unload_with_pending_transfers_frees_everything)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "pending", .key = key32, .key_len = 32 };
	uint8_t kw[32];
	struct item_spec grp = { .name = "g2", .key = kw, .key_len = 32 };
	char buf[4096];
	int i;

	ASSERT_EQ(0, kf_random(kw, 32));
	policy(&grp.pol, KF_KEY_UNWRAP, "g2", 32);
	ASSERT_EQ(0, deliver(e, &grp, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, begin(e, &it, 1));
	EXPECT_EQ(20, stat_get("pending"));
	EXPECT_GT(stat_get("objects"), 20);
	kf_genl_close(&e->g);
	kf_vm_run(NULL, 0, "dmesg -c >/dev/null 2>&1");
	ASSERT_EQ(0, kf_vm_unload());
	EXPECT_FALSE(kf_vm_loaded());
	/* the module reports any block or transform left at unload */
	kf_vm_run(buf, sizeof(buf), "dmesg 2>&1 | grep -i 'keyferry' || true");
	TH_LOG("kernel log at unload:\n%s", buf);
	EXPECT_EQ(NULL, strstr(buf, "leak at unload"));
	EXPECT_NE(NULL, strstr(buf, "unloaded"));
	/* and it comes back clean */
	ASSERT_EQ(0, kf_vm_load());
	EXPECT_EQ(0, stat_get("pending"));
	EXPECT_EQ(0, stat_get("objects"));
	EXPECT_EQ(0, stat_get("tfms"));
	ASSERT_EQ(0, kf_genl_open(&e->g));
}

TEST_F(transfer, fscrypt_provisioning_key)
{
	struct env *e = self->e;
	uint8_t raw[64], raw_pol[64];
	struct item_spec it = { .name = "fs-home", .key = raw, .key_len = 64 };
	struct kf_tlv_writer w;
	struct kf_installed out;
	char buf[4096];

	ASSERT_EQ(0, kf_random(raw, sizeof(raw)));
	policy(&it.pol, KF_KEY_FSCRYPT, "fs-home", 64);
	ASSERT_EQ(0, deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(1, out.n);
	EXPECT_EQ(KEYFERRY_KEY_TYPE_FSCRYPT, out.keys[0].type);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl show @s 2>&1"));
	EXPECT_NE(NULL, strstr(buf, "fscrypt-provisioning: keyferry:fs-home"))
		TH_LOG("%s", buf);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "keyctl read %d 2>&1",
			       out.keys[0].serial));
	/* a size fscrypt cannot take is refused by the policy check (the
	 * library would not encode such a policy: written by hand) */
	kf_tlv_init(&w, raw_pol, sizeof(raw_pol));
	kf_tlv_put_u8(&w, 1, KF_KEY_FSCRYPT);
	kf_tlv_put_str(&w, 2, "fs-home");
	kf_tlv_put_u16(&w, 3, 8);
	it.raw_policy = raw_pol;
	it.raw_policy_len = (size_t)kf_tlv_finish(&w);
	it.key_len = 8;
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EPROTO, finish(e, 0, NULL));
}

/* The distributor's side of enrollment: check the request, bind the name. */
static int answer_enroll(struct env *e, const uint8_t *token, size_t token_len,
			 const uint8_t *nonce, const char *bound_name)
{
	uint8_t istatic[KF_KEY_SIZE], req_buf[8192];
	struct kf_request *rq;
	struct kf_noise st;
	size_t plen, len;
	int ret;

	ret = kf_noise_responder_read1(&st, req_buf, sizeof(req_buf), &plen,
				       istatic, e->kd.priv, e->m1->data,
				       e->m1->len);
	if (ret)
		return ret;
	rq = calloc(1, sizeof(*rq));
	if (!rq)
		return -ENOMEM;
	ret = kf_request_decode(rq, req_buf, plen);
	if (!ret && (rq->kind != KF_KIND_ENROLL || strcmp(rq->region, REGION) ||
		     strcmp(rq->entity, ENTITY) || rq->token_len != token_len ||
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

TEST_F(transfer, enroll_binds_kec_to_kei)
{
	struct env *e = self->e;
	static const uint8_t token[] = "one-time-token-1234";
	struct kf_transfer_begin req = { .kind = KEYFERRY_TRANSFER_ENROLL };
	struct kf_module_status st;
	struct kf_installed out;
	uint8_t nonce[KF_NONCE_SIZE];
	uint8_t keys[1][KEYFERRY_KEY_SIZE], a[32], b[32];

	ASSERT_EQ(0, kf_random(nonce, sizeof(nonce)));
	req.token = token;
	req.token_len = sizeof(token) - 1;
	req.nonce = nonce;
	/* a reply binding another name is refused */
	ASSERT_EQ(0, kf_genl_transfer_begin(&e->g, &req, e->m1));
	e->id = e->m1->transfer_id;
	ASSERT_EQ(0, answer_enroll(e, token, sizeof(token) - 1, nonce, "host-9"));
	EXPECT_EQ(-EPROTO, finish(e, 0, NULL));
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_FALSE(st.enrolled);
	/* the right one enrolls */
	ASSERT_EQ(0, kf_genl_transfer_begin(&e->g, &req, e->m1));
	e->id = e->m1->transfer_id;
	ASSERT_EQ(0, answer_enroll(e, token, sizeof(token) - 1, nonce, ENTITY));
	ASSERT_EQ(0, finish(e, 0, &out)) TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_TRUE(out.enrolled);
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_TRUE(st.enrolled);
	EXPECT_EQ(KEYFERRY_ENTITY_ENROLLED, st.entity_state);
	EXPECT_EQ(0, memcmp(st.kei_pub, e->kei_pub, KF_KEY_SIZE));
	EXPECT_EQ(0, memcmp(st.kec_pub, e->kec_pub, KF_KEY_SIZE));
	/* an entity exists: ENTITY_CREATE without REPLACE is refused */
	memcpy(keys[0], e->kd.pub, KF_KEY_SIZE);
	EXPECT_EQ(-EEXIST, kf_genl_entity_create(&e->g, REGION, ENTITY,
		  (const uint8_t (*)[KEYFERRY_KEY_SIZE])keys, 1, false, a, b));
	EXPECT_NE(0, e->g.ext_msg[0]);
}

struct events {
	int installed, refused;
	uint32_t last_errno;
	char item[KEYFERRY_NAME_MAX + 1];
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KEYFERRY_A_MAX + 1];
	struct events *ev = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KEYFERRY_A_MAX, NULL) ||
	    !tb[KEYFERRY_A_EVENT_TYPE])
		return NL_SKIP;
	switch (nla_get_u8(tb[KEYFERRY_A_EVENT_TYPE])) {
	case KEYFERRY_EVENT_INSTALLED:
		ev->installed++;
		if (tb[KEYFERRY_A_ITEM_NAME])
			snprintf(ev->item, sizeof(ev->item), "%s",
				 nla_get_string(tb[KEYFERRY_A_ITEM_NAME]));
		break;
	case KEYFERRY_EVENT_REFUSED:
		ev->refused++;
		if (tb[KEYFERRY_A_ERRNO])
			ev->last_errno = nla_get_u32(tb[KEYFERRY_A_ERRNO]);
		break;
	}
	return NL_OK;
}

TEST_F(transfer, events_on_the_multicast_group)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "evt", .key = key32, .key_len = 32 };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
	struct events ev = { 0 };
	struct nl_sock *sk;
	int grp, i;

	sk = nl_socket_alloc();
	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	grp = genl_ctrl_resolve_grp(sk, KEYFERRY_GENL_NAME, KEYFERRY_MCGRP_EVENTS);
	ASSERT_GT(grp, 0);
	nl_socket_disable_seq_check(sk);
	ASSERT_EQ(0, nl_socket_add_membership(sk, grp));
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &ev);
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	policy(&it.pol, KF_KEY_LOGON, "evt", 32);
	ASSERT_EQ(0, deliver(e, &it, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, KF_STATUS_REVOKED));
	EXPECT_EQ(-EKEYREVOKED, finish(e, 0, NULL));
	for (i = 0; i < 10 && (ev.installed < 1 || ev.refused < 1); i++)
		nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	EXPECT_EQ(1, ev.installed);
	EXPECT_STREQ("evt", ev.item);
	EXPECT_EQ(1, ev.refused);
	EXPECT_EQ(EKEYREVOKED, ev.last_errno);
}

struct finder {
	const char *desc;
	bool found;
};

static int find_key_fn(const struct kf_installed_key *k, void *arg)
{
	struct finder *f = arg;

	if (!strcmp(k->description, f->desc))
		f->found = true;
	return 0;
}

/* -EEXIST when KEY_LIST lists desc, 0 when not, or the dump's error. */
static int find_key_listed(struct kf_genl *g, const char *desc)
{
	struct finder f = { desc, false };
	int ret = kf_genl_key_list(g, find_key_fn, &f);

	return ret ? ret : f.found ? -EEXIST : 0;
}

TEST_F_TIMEOUT(transfer, transfers_and_keys_expire, 180)
{
	struct env *e = self->e;
	uint8_t kw[32];
	struct item_spec it = { .name = "late", .key = key32, .key_len = 32 };
	struct item_spec uw = { .name = "short-kw", .key = kw, .key_len = 32 };
	struct item_spec lg = { .name = "short-logon", .key = key32,
				.key_len = 32 };
	struct kf_installed out;
	long expired;
	uint32_t id;
	char buf[1024];

	ASSERT_EQ(0, kf_random(kw, sizeof(kw)));
	/* an unwrapping key and a logon key with a 2 s TIMEOUT */
	policy(&uw.pol, KF_KEY_UNWRAP, "short-kw", 32);
	uw.pol.timeout = 2;
	ASSERT_EQ(0, deliver(e, &uw, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	policy(&lg.pol, KF_KEY_LOGON, "short-logon", 32);
	lg.pol.timeout = 2;
	ASSERT_EQ(0, deliver(e, &lg, 1, KEY_SPEC_SESSION_KEYRING, &out));
	EXPECT_EQ(-EEXIST, find_key_listed(&e->g, "keyferry:short-kw"));
	EXPECT_EQ(-EEXIST, find_key_listed(&e->g, "keyferry:short-logon"));

	/* a transfer left pending for longer than 60 s */
	policy(&it.pol, KF_KEY_LOGON, "late", 32);
	ASSERT_EQ(0, begin(e, &it, 1));
	id = e->id;
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	expired = stat_get("transfers_expired");
	sleep(KEYFERRY_TRANSFER_TIMEOUT_SECS + 2);
	/* the collector ran on its own: nothing pending any more */
	EXPECT_EQ(0, stat_get("pending"));
	EXPECT_EQ(expired + 1, stat_get("transfers_expired"));
	e->id = id;
	EXPECT_EQ(-ENOENT, finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);

	/* the short keys are forgotten */
	EXPECT_EQ(0, find_key_listed(&e->g, "keyferry:short-kw"));
	EXPECT_EQ(0, find_key_listed(&e->g, "keyferry:short-logon"));
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "keyctl read %d 2>&1",
			       out.keys[0].serial));
	/* data under the expired unwrapping key is refused */
	it.kw = kw;
	snprintf(it.pol.unwrap_key, sizeof(it.pol.unwrap_key), "short-kw");
	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-ENOKEY, finish(e, 0, NULL));
}

TEST_F(transfer, keyring_argument_checked_before_the_transfer_is_used)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "ring", .key = key32, .key_len = 32 };
	struct kf_installed out;
	char buf[256];
	int ro, notring;

	policy(&it.pol, KF_KEY_LOGON, "ring", 32);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl newring kf-ro @s"));
	ro = atoi(buf);
	ASSERT_GT(ro, 0);
	/* possessor: view, read, search, link, setattr; no write */
	ASSERT_EQ(0, kf_vm_run(NULL, 0, "keyctl setperm %d 0x3b010000", ro));
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl add user kf-not-a-ring x @s"));
	notring = atoi(buf);
	ASSERT_GT(notring, 0);

	ASSERT_EQ(0, begin(e, &it, 1));
	ASSERT_EQ(0, answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EACCES, finish(e, ro, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_NE(0, e->g.ext_msg[0]);
	EXPECT_EQ(-ENOTDIR, finish(e, notring, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	/* the transfer was not consumed: it still finishes */
	ASSERT_EQ(0, finish(e, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_EQ(1, out.n);
	kf_vm_run(NULL, 0, "keyctl unlink %d @s; keyctl unlink %d @s", ro, notring);
}

TEST_HARNESS_MAIN
