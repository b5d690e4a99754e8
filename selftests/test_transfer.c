// SPDX-License-Identifier: GPL-2.0
/*
 * Secure transfer end to end (issue 3, "Done when", in protocol version
 * 2): the test is the distributor and the data owner (selftests/lib/dist.c
 * on userspace/lib, OpenSSL) and talks to keyferry.ko (kernel crypto API)
 * through the helper's netlink client.  The two implementations share no
 * code: every key that arrives proves they agree.
 *
 *   - a sealed key arrives through TRANSFER_BEGIN/FINISH, shows in
 *     `keyctl show` as keyferry:<owner>:<item>, and `keyctl read`/`print`
 *     fail on it (logon);
 *   - every single-bit flip of a sample reply is refused, nothing installed;
 *   - finished twice, another transfer's reply, sealed to another entity,
 *     another distributor key, truncated and oversized: distinct errnos;
 *   - policy refusals (not understood, version 1's DESCRIPTION, altered,
 *     outside its window);
 *   - the nested variant (unwrapping keys, nested two deep, in one reply
 *     and across transfers);
 *   - 1000 transfers leave the module's memory where it started;
 *   - a flood of TRANSFER_BEGIN stops at KEYFERRY_MAX_PENDING (EBUSY);
 *   - unload with pending transfers and held unwrapping keys frees all;
 *   - the KEYRING argument: not writable, not a keyring, another user's.
 * The hostile distributor is test_owner_items.c; lifetimes, leases and
 * revocation are test_lifetime.c.
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
/* Transfers and programs, fixture included, on a loaded debug guest: > 30 s. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#include "selftests/lib/dist.h"
#include "selftests/lib/vm.h"

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
	ASSERT_EQ(0, dist_env_init(self->e)) TH_LOG("ext: %s", self->e->g.ext_msg);
}

FIXTURE_TEARDOWN(transfer)
{
	if (self->e) {
		dist_env_fini(self->e);
		free(self->e);
	}
}

TEST_F(transfer, logon_key_arrives_and_cannot_be_read)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "disk-a", .key = key32, .key_len = 32 };
	struct kf_installed out;
	char buf[8192], cmd[128];

	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(1, out.n);
	EXPECT_GT(out.keys[0].serial, 0);
	EXPECT_EQ(KEYFERRY_KEY_TYPE_LOGON, out.keys[0].type);
	EXPECT_STREQ("keyferry:ops:disk-a", out.keys[0].description);
	EXPECT_STREQ("disk-a", out.keys[0].item);
	EXPECT_STREQ("ops", out.keys[0].owner);
	EXPECT_EQ(1, out.keys[0].version);

	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl show @s 2>&1"));
	TH_LOG("keyctl show @s:\n%s", buf);
	EXPECT_NE(NULL, strstr(buf, "logon: keyferry:ops:disk-a"));
	snprintf(cmd, sizeof(cmd), "keyctl read %d 2>&1", out.keys[0].serial);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "%s", cmd)) TH_LOG("%s", buf);
	snprintf(cmd, sizeof(cmd), "keyctl print %d 2>&1", out.keys[0].serial);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "%s", cmd)) TH_LOG("%s", buf);
	snprintf(cmd, sizeof(cmd), "keyctl pipe %d 2>&1", out.keys[0].serial);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "%s", cmd));
	/* dm-crypt finds it by the name the issue gives */
	EXPECT_EQ(0, kf_vm_run(buf, sizeof(buf),
			       "keyctl search @s logon keyferry:ops:disk-a 2>&1"))
		TH_LOG("%s", buf);
}

TEST_F(transfer, default_is_the_module_keyring)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "disk-b", .key = key32, .key_len = 32 };
	struct kf_module_status st;
	struct kf_installed out;
	char buf[8192];

	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, 0, &out)) TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	ASSERT_GT(st.keyring, 0);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl show %d 2>&1", st.keyring));
	TH_LOG("module keyring:\n%s", buf);
	EXPECT_NE(NULL, strstr(buf, "logon: keyferry:ops:disk-b"));
}

TEST_F(transfer, user_key_is_readable_by_policy)
{
	struct env *e = self->e;
	static const uint8_t lic[] = "licence=gold;seats=12";
	struct item_spec it = { .name = "licence", .key = lic,
				.key_len = sizeof(lic) - 1 };
	struct kf_installed out;
	char buf[4096];

	dist_policy(&it.pol, KF_KEY_USER, sizeof(lic) - 1);
	it.pol.timeout = 3600;
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
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

	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	/* The sample's length; every reply to this request has it. */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	len = e->m2_len;
	e->m2_len = 1;		/* consume it: truncated */
	ASSERT_EQ(-EMSGSIZE, dist_finish(e, 0, NULL));
	installed = dist_stat("keys_installed");
	refused = dist_stat("refusals");
	ASSERT_GE(installed, 0);
	for (bit = 0; bit < len * 8; bit++) {
		ASSERT_EQ(0, dist_begin(e, &it, 1));
		ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
		ASSERT_EQ(len, e->m2_len);
		e->m2[bit / 8] ^= 1u << (bit % 8);
		ret = dist_finish(e, 0, NULL);
		if (ret >= 0) {
			failures++;
			TH_LOG("bit %zu accepted", bit);
		}
	}
	EXPECT_EQ(0, failures);
	EXPECT_EQ(installed, dist_stat("keys_installed"));
	EXPECT_EQ(refused + (long)(len * 8), dist_stat("refusals"));
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf),
			       "keyctl search %d logon keyferry:ops:flip 2>&1",
			       st.keyring));
	TH_LOG("%zu bits of a %zu-byte reply flipped, all refused", len * 8, len);
	/* and the same reply unflipped is accepted: the test can pass */
	ASSERT_EQ(0, dist_deliver(e, &it, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_EQ(installed + 1, dist_stat("keys_installed"));
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

	dist_policy(&it.pol, KF_KEY_LOGON, 32);

	/* finished twice */
	ASSERT_EQ(0, dist_deliver(e, &it, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	errs[0] = dist_finish(e, 0, NULL);
	EXPECT_EQ(-ENOENT, errs[0]) TH_LOG("ext: %s", e->g.ext_msg);

	/* a reply for another transfer: B's reply handed to A */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	id_a = e->id;
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	e->id = id_a;
	errs[1] = dist_finish(e, 0, NULL);
	EXPECT_EQ(-ESRCH, errs[1]) TH_LOG("ext: %s", e->g.ext_msg);

	/* sealed to another entity */
	ASSERT_EQ(0, kf_x25519_keygen(other_priv, other_pub));
	it.kec_pub = other_pub;
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	errs[2] = dist_finish(e, 0, NULL);
	EXPECT_EQ(-ENOKEY, errs[2]) TH_LOG("ext: %s", e->g.ext_msg);
	it.kec_pub = NULL;

	/* from another distributor key (pinned, but not the one asked) */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	kf_kid(e->kd2.pub, kid2);
	memcpy(e->m2 + 8, kid2, KF_KID_SIZE);
	errs[3] = dist_finish(e, 0, NULL);
	EXPECT_EQ(-EREMCHG, errs[3]) TH_LOG("ext: %s", e->g.ext_msg);

	/* truncated */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	e->m2_len = KF_MSG2_MIN - 1;
	errs[4] = dist_finish(e, 0, NULL);
	EXPECT_EQ(-EMSGSIZE, errs[4]) TH_LOG("ext: %s", e->g.ext_msg);

	/* oversized: refused by the netlink policy, the transfer survives */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	big = calloc(1, KF_MESSAGE_MAX + 1);
	ASSERT_NE(NULL, big);
	errs[5] = kf_genl_transfer_finish(&e->g, e->id, big, KF_MESSAGE_MAX + 1,
					  0, &(struct kf_installed){ 0 });
	free(big);
	EXPECT_EQ(-ERANGE, errs[5]) TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(0, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);

	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			EXPECT_NE(errs[i], errs[j]);
}

TEST_F(transfer, outer_layer_refusals)
{
	/* a reply payload: STATUS (type 1, length 4) = 5 */
	static const uint8_t status5[] = { 0, 1, 0, 4, 0, 0, 0, 5 };
	struct env *e = self->e;
	struct item_spec it = { .name = "outer", .key = key32, .key_len = 32 };

	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	/* wrong type */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	e->m2[0] = 1;
	EXPECT_EQ(-EPROTONOSUPPORT, dist_finish(e, 0, NULL));
	/* the session layer altered */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	e->m2[e->m2_len - 1] ^= 0x80;
	EXPECT_EQ(-EBADMSG, dist_finish(e, 0, NULL));
	/* a low-order ephemeral (all zero) */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	memset(e->m2 + 16, 0, 32);
	EXPECT_EQ(-EBADMSG, dist_finish(e, 0, NULL));
	/* authenticated refusals (revoked: test_lifetime.c) */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, KF_STATUS_NOT_AVAILABLE));
	EXPECT_EQ(-EACCES, dist_finish(e, 0, NULL));
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, KF_STATUS_RATE_LIMITED));
	EXPECT_EQ(-EAGAIN, dist_finish(e, 0, NULL));
	/* version 1's "no such item" is no status any more: malformed */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer_raw(e, status5, sizeof(status5)));
	EXPECT_EQ(-EPROTO, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	/* an unknown transfer id */
	e->id ^= 0x5a5a5a5a;
	EXPECT_EQ(-ENOENT, dist_finish(e, 0, NULL));
}

TEST_F(transfer, policy_refusals)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "pol", .key = key32, .key_len = 32 };
	struct item_spec two[2];
	uint8_t raw[256], bound[256];
	struct kf_tlv_writer w;
	size_t bound_len;
	long installed = dist_stat("keys_installed");

	/* a policy with a record type the module does not know (11), and
	 * version 1's DESCRIPTION (2), which a version 2 host does not know
	 * either: the owner cannot choose a description any more */
	kf_tlv_init(&w, raw, sizeof(raw));
	kf_tlv_put_u8(&w, 1, KF_KEY_LOGON);
	kf_tlv_put_u16(&w, 3, 32);
	kf_tlv_put_u8(&w, 11, 1);
	it.raw_policy = raw;
	it.raw_policy_len = (size_t)kf_tlv_finish(&w);
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EOPNOTSUPP, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	kf_tlv_init(&w, raw, sizeof(raw));
	kf_tlv_put_u8(&w, 1, KF_KEY_LOGON);
	kf_tlv_put_str(&w, 2, "disk-data");
	kf_tlv_put_u16(&w, 3, 32);
	it.raw_policy_len = (size_t)kf_tlv_finish(&w);
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EOPNOTSUPP, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	/* a LEASE below 60 s, and a GRACE without a LEASE: malformed */
	kf_tlv_init(&w, raw, sizeof(raw));
	kf_tlv_put_u8(&w, 1, KF_KEY_LOGON);
	kf_tlv_put_u16(&w, 3, 32);
	kf_tlv_put_u32(&w, 9, 59);
	it.raw_policy_len = (size_t)kf_tlv_finish(&w);
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EPROTO, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	kf_tlv_init(&w, raw, sizeof(raw));
	kf_tlv_put_u8(&w, 1, KF_KEY_LOGON);
	kf_tlv_put_u16(&w, 3, 32);
	kf_tlv_put_u32(&w, 10, 600);
	it.raw_policy_len = (size_t)kf_tlv_finish(&w);
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EPROTO, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	it.raw_policy = NULL;

	/* the distributor turns an owner's logon key into a readable one */
	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	ASSERT_EQ(0, kf_policy_encode(&it.pol, bound, sizeof(bound), &bound_len));
	it.seal_policy = bound;
	it.seal_policy_len = bound_len;
	dist_policy(&it.pol, KF_KEY_USER, 32);
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EBADE, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	it.seal_policy = NULL;

	/* outside the owner's window */
	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	it.pol.not_after = (uint64_t)time(NULL) - 10;
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EKEYEXPIRED, dist_finish(e, 0, NULL));
	it.pol.not_after = 0;
	it.pol.not_before = (uint64_t)time(NULL) + 3600;
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EKEYEXPIRED, dist_finish(e, 0, NULL));

	/* one bad item refuses the whole reply: the good one is not installed */
	memset(two, 0, sizeof(two));
	two[0] = (struct item_spec){ .name = "good", .key = key32, .key_len = 32 };
	dist_policy(&two[0].pol, KF_KEY_LOGON, 32);
	two[1] = (struct item_spec){ .name = "bad", .key = key32, .key_len = 32 };
	dist_policy(&two[1].pol, KF_KEY_LOGON, 32);
	two[1].pol.not_after = (uint64_t)time(NULL) - 10;
	ASSERT_EQ(0, dist_begin(e, two, 2));
	ASSERT_EQ(0, dist_answer(e, &e->kd, two, 2, 0));
	EXPECT_EQ(-EKEYEXPIRED, dist_finish(e, 0, NULL));
	EXPECT_EQ(installed, dist_stat("keys_installed"));
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
	dist_policy(&dat.pol, KF_KEY_USER, sizeof(data));
	snprintf(dat.pol.unwrap_key, sizeof(dat.pol.unwrap_key), "kek");
	ASSERT_EQ(0, dist_begin(e, &dat, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &dat, 1, 0));
	EXPECT_EQ(-ENOKEY, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);

	/* 1: the group key, to Kec; kept in the module, never in a keyring */
	dist_policy(&grp.pol, KF_KEY_UNWRAP, 32);
	ASSERT_EQ(0, dist_deliver(e, &grp, 1, 0, &out)) TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(1, out.n);
	EXPECT_EQ(0, out.keys[0].serial);
	EXPECT_EQ(KEYFERRY_KEY_TYPE_UNWRAP, out.keys[0].type);
	EXPECT_STREQ("ops:group-key", out.keys[0].description);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "grep -q 'group-key' /proc/keys"));
	ASSERT_EQ(0, kf_genl_key_list(&e->g, count_key, &list));
	for (i = 0; i < list.n; i++)
		if (!strcmp(list.keys[i].description, "ops:group-key") &&
		    list.keys[i].type == KEYFERRY_KEY_TYPE_UNWRAP)
			seen = true;
	EXPECT_TRUE(seen);

	/* 2: a key-encryption key under the group key, then data under it,
	 * in one reply: the second item opens with the first */
	dist_policy(&kek.pol, KF_KEY_UNWRAP, 32);
	snprintf(kek.pol.unwrap_key, sizeof(kek.pol.unwrap_key), "group-key");
	both[0] = kek;
	both[1] = dat;
	ASSERT_EQ(0, dist_deliver(e, both, 2, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(2, out.n);
	ASSERT_GT(out.keys[1].serial, 0);
	/* alg 2: the item belongs to its unwrapping key's owner */
	EXPECT_STREQ("ops", out.keys[1].owner);
	EXPECT_STREQ("keyferry:ops:data", out.keys[1].description);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl print %d",
			       out.keys[1].serial));
	EXPECT_EQ(0, strncmp(buf, (const char *)data, sizeof(data)));

	/* 3: later data under the held kek, in a transfer of its own */
	ASSERT_EQ(0, kf_vm_run(NULL, 0, "keyctl unlink %d @s", out.keys[1].serial));
	ASSERT_EQ(0, dist_deliver(e, &dat, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl print %d",
			       out.keys[0].serial));
	EXPECT_EQ(0, strncmp(buf, (const char *)data, sizeof(data)));

	/* under the wrong unwrapping key: the inner layer does not open */
	dat.kw = kw_group;
	ASSERT_EQ(0, dist_begin(e, &dat, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &dat, 1, 0));
	EXPECT_EQ(-EBADE, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
}

TEST_F_TIMEOUT(transfer, thousand_transfers_leave_memory_as_it_was, 900)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "loop", .key = key32, .key_len = 32 };
	long bytes0, objects0, tfms0, slab0, bytes1, objects1, tfms1, slab1;
	int i;

	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	/* one first, so the tracking entry for "loop" exists before and after */
	ASSERT_EQ(0, dist_deliver(e, &it, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	bytes0 = dist_stat("bytes");
	objects0 = dist_stat("objects");
	tfms0 = dist_stat("tfms");
	slab0 = kf_vm_slab_unreclaimable_kb();
	ASSERT_GE(bytes0, 0);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, dist_deliver(e, &it, 1, 0, NULL))
			TH_LOG("transfer %d: %s", i, e->g.ext_msg);
	bytes1 = dist_stat("bytes");
	objects1 = dist_stat("objects");
	tfms1 = dist_stat("tfms");
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
	EXPECT_EQ(0, dist_stat("pending"));
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
	ASSERT_EQ(0, dist_entity(e, true));
	ASSERT_EQ(0, dist_enroll(e));
	for (i = 0; i < KEYFERRY_MAX_PENDING; i++) {
		ASSERT_EQ(0, dist_begin(e, &it, 1)) TH_LOG("begin %d: %s", i, e->g.ext_msg);
		if (!i)
			first = e->id;
	}
	EXPECT_EQ(-EBUSY, dist_begin(e, &it, 1));
	EXPECT_EQ(-EBUSY, dist_begin(e, &it, 1));
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_EQ(KEYFERRY_MAX_PENDING, st.pending_transfers);
	/* finishing one (here: refused) frees a slot */
	e->id = first;
	e->m2_len = 1;
	EXPECT_EQ(-EMSGSIZE, dist_finish(e, 0, NULL));
	EXPECT_EQ(0, dist_begin(e, &it, 1));
	EXPECT_EQ(-EBUSY, dist_begin(e, &it, 1));
	/* ENTITY_CREATE with REPLACE forgets them all */
	ASSERT_EQ(0, dist_entity(e, true));
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
	dist_policy(&grp.pol, KF_KEY_UNWRAP, 32);
	ASSERT_EQ(0, dist_deliver(e, &grp, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, dist_begin(e, &it, 1));
	EXPECT_EQ(20, dist_stat("pending"));
	EXPECT_GT(dist_stat("objects"), 20);
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
	EXPECT_EQ(0, dist_stat("pending"));
	EXPECT_EQ(0, dist_stat("objects"));
	EXPECT_EQ(0, dist_stat("tfms"));
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
	dist_policy(&it.pol, KF_KEY_FSCRYPT, 64);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(1, out.n);
	EXPECT_EQ(KEYFERRY_KEY_TYPE_FSCRYPT, out.keys[0].type);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl show @s 2>&1"));
	EXPECT_NE(NULL, strstr(buf, "fscrypt-provisioning: keyferry:ops:fs-home"))
		TH_LOG("%s", buf);
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "keyctl read %d 2>&1",
			       out.keys[0].serial));
	/* a size fscrypt cannot take is refused by the policy check (the
	 * library would not encode such a policy: written by hand) */
	kf_tlv_init(&w, raw_pol, sizeof(raw_pol));
	kf_tlv_put_u8(&w, 1, KF_KEY_FSCRYPT);
	kf_tlv_put_u16(&w, 3, 8);
	it.raw_policy = raw_pol;
	it.raw_policy_len = (size_t)kf_tlv_finish(&w);
	it.key_len = 8;
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EPROTO, dist_finish(e, 0, NULL));
}

TEST_F(transfer, enroll_binds_kec_to_kei)
{
	struct env *e = self->e;
	static const uint8_t token[] = "one-time-token-1234";
	struct kf_transfer_begin req = { .kind = KEYFERRY_TRANSFER_ENROLL };
	struct item_spec it = { .name = "early", .key = key32, .key_len = 32 };
	struct kf_module_status st;
	struct kf_installed out;
	uint8_t nonce[KF_NONCE_SIZE], a[32], b[32], wrong[32];
	struct kf_entity_request cr = {
		.region = DIST_REGION, .name = DIST_ENTITY,
		.distributor_keys = (const uint8_t (*)[KEYFERRY_KEY_SIZE])e->kd.pub,
		.n_distributor_keys = 1,
	};

	/* a new identity: not enrolled, so it fetches nothing */
	ASSERT_EQ(0, dist_entity(e, true));
	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	EXPECT_EQ(-ENOKEY, dist_begin(e, &it, 1));
	EXPECT_NE(0, e->g.ext_msg[0]);
	ASSERT_EQ(0, kf_random(nonce, sizeof(nonce)));
	req.token = token;
	req.token_len = sizeof(token) - 1;
	req.nonce = nonce;
	/* a reply binding another name is refused */
	ASSERT_EQ(0, kf_genl_transfer_begin(&e->g, &req, e->m1));
	e->id = e->m1->transfer_id;
	ASSERT_EQ(0, dist_answer_enroll(e, token, sizeof(token) - 1, nonce, "host-9"));
	EXPECT_EQ(-EPROTO, dist_finish(e, 0, NULL));
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_FALSE(st.enrolled);
	/* the right one enrolls */
	ASSERT_EQ(0, kf_genl_transfer_begin(&e->g, &req, e->m1));
	e->id = e->m1->transfer_id;
	ASSERT_EQ(0, dist_answer_enroll(e, token, sizeof(token) - 1, nonce, DIST_ENTITY));
	ASSERT_EQ(0, dist_finish(e, 0, &out)) TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_TRUE(out.enrolled);
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_TRUE(st.enrolled);
	EXPECT_EQ(KEYFERRY_ENTITY_ENROLLED, st.entity_state);
	EXPECT_EQ(0, memcmp(st.kei_pub, e->kei_pub, KF_KEY_SIZE));
	EXPECT_EQ(0, memcmp(st.kec_pub, e->kec_pub, KF_KEY_SIZE));
	/* an entity exists: without REPLACE, EEXIST; REPLACE without
	 * CONFIRM_KEI, EINVAL; with another key than this Kei-pub, EACCES;
	 * CONFIRM_KEI alone, EINVAL.  Each leaves the identity as it was. */
	EXPECT_EQ(-EEXIST, kf_genl_entity_create(&e->g, &cr, a, b));
	EXPECT_NE(0, e->g.ext_msg[0]);
	cr.replace = true;
	EXPECT_EQ(-EINVAL, kf_genl_entity_create(&e->g, &cr, a, b));
	TH_LOG("REPLACE without CONFIRM_KEI: %s", e->g.ext_msg);
	memcpy(wrong, e->kei_pub, sizeof(wrong));
	wrong[31] ^= 1;
	cr.confirm_kei = wrong;
	EXPECT_EQ(-EACCES, kf_genl_entity_create(&e->g, &cr, a, b));
	TH_LOG("REPLACE with a wrong CONFIRM_KEI: %s", e->g.ext_msg);
	cr.replace = false;
	cr.confirm_kei = e->kei_pub;
	EXPECT_EQ(-EINVAL, kf_genl_entity_create(&e->g, &cr, a, b));
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_EQ(KEYFERRY_ENTITY_ENROLLED, st.entity_state);
	EXPECT_EQ(0, memcmp(st.kei_pub, e->kei_pub, KF_KEY_SIZE));
	EXPECT_EQ(1, st.n_owners);
	/* and the right one replaces it, logged with both kids */
	kf_vm_run(NULL, 0, "dmesg -c >/dev/null 2>&1");
	cr.replace = true;
	EXPECT_EQ(0, kf_genl_entity_create(&e->g, &cr, a, b)) TH_LOG("%s", e->g.ext_msg);
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_EQ(KEYFERRY_ENTITY_CREATED, st.entity_state);
	EXPECT_EQ(0, memcmp(st.kei_pub, a, KF_KEY_SIZE));
	EXPECT_EQ(0, st.n_owners);
	EXPECT_EQ(0, kf_vm_run(NULL, 0, "dmesg | grep -q 'replaced by a new identity (Kei kid'"));
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

/* Read what came (SO_RCVTIMEO bounds the wait); true once both events did. */
static bool got_both(struct nl_sock *sk, struct events *ev)
{
	if (ev->installed < 1 || ev->refused < 1)
		nl_recvmsgs_default(sk);
	return ev->installed >= 1 && ev->refused >= 1;
}

TEST_F(transfer, events_on_the_multicast_group)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "evt", .key = key32, .key_len = 32 };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
	struct events ev = { 0 };
	struct nl_sock *sk;
	int grp;

	sk = nl_socket_alloc();
	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	grp = genl_ctrl_resolve_grp(sk, KEYFERRY_GENL_NAME, KEYFERRY_MCGRP_EVENTS);
	ASSERT_GT(grp, 0);
	nl_socket_disable_seq_check(sk);
	ASSERT_EQ(0, nl_socket_add_membership(sk, grp));
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &ev);
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, KF_STATUS_NOT_AVAILABLE));
	EXPECT_EQ(-EACCES, dist_finish(e, 0, NULL));
	/* both were sent before finish returned: read them, 30 s by the clock */
	KF_VM_WAIT(got_both(sk, &ev), 30);
	nl_socket_free(sk);
	EXPECT_EQ(1, ev.installed);
	EXPECT_STREQ("evt", ev.item);
	EXPECT_EQ(1, ev.refused);
	EXPECT_EQ(EACCES, ev.last_errno);
}

TEST_F(transfer, keyring_argument_checked_before_the_transfer_is_used)
{
	struct env *e = self->e;
	struct item_spec it = { .name = "ring", .key = key32, .key_len = 32 };
	struct kf_installed out;
	char buf[256];
	int ro, notring, other;

	dist_policy(&it.pol, KF_KEY_LOGON, 32);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl newring kf-ro @s"));
	ro = atoi(buf);
	ASSERT_GT(ro, 0);
	/* possessor: view, read, search, link, setattr; no write */
	ASSERT_EQ(0, kf_vm_run(NULL, 0, "keyctl setperm %d 0x3b010000", ro));
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl add user kf-not-a-ring x @s"));
	notring = atoi(buf);
	ASSERT_GT(notring, 0);
	/* root may write to it, but it belongs to uid 1000 */
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl newring kf-other @s"));
	other = atoi(buf);
	ASSERT_GT(other, 0);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl chown %d 1000 2>&1", other))
		TH_LOG("%s", buf);

	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-EACCES, dist_finish(e, ro, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_NE(0, e->g.ext_msg[0]);
	EXPECT_EQ(-ENOTDIR, dist_finish(e, notring, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_EQ(-EACCES, dist_finish(e, other, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_NE(NULL, strstr(e->g.ext_msg, "owned by root"));
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl show %d 2>&1", other));
	EXPECT_EQ(NULL, strstr(buf, "keyferry:")) TH_LOG("%s", buf);
	/* the transfer was not consumed: it still finishes */
	ASSERT_EQ(0, dist_finish(e, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_EQ(1, out.n);
	kf_vm_run(NULL, 0, "keyctl unlink %d @s; keyctl unlink %d @s; keyctl unlink %d @s",
		  ro, notring, other);
}

TEST_HARNESS_MAIN
