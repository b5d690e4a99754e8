// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family: it resolves, answers GET_STATUS, refuses the
 * unprivileged, refuses every state-changing command to a process holding
 * CAP_NET_ADMIN but not CAP_SYS_ADMIN, refuses unknown attributes, bad
 * names (Latin-1 bytes included) and malformed messages with EINVAL and an
 * extack message, pins and retires owner keys within their bounds, and
 * leaves nothing behind on unload.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <kselftest_harness.h>
/* Transfers and programs, fixture included, on a loaded debug guest: > 30 s. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#include "selftests/lib/vm.h"
#include "userspace/keyferry/genl.h"

FIXTURE(family) {
	struct kf_genl g;
};

FIXTURE_SETUP(family)
{
	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	ASSERT_EQ(0, kf_vm_load());
	ASSERT_EQ(0, kf_genl_open(&self->g));
}

FIXTURE_TEARDOWN(family)
{
	kf_genl_close(&self->g);
}

TEST_F(family, resolves)
{
	EXPECT_GT(self->g.family, 0);
}

TEST_F(family, status_answers)
{
	struct kf_module_status st;

	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_EQ(KEYFERRY_GENL_VERSION, st.family_version);
	EXPECT_STREQ("0.1.0", st.module_version);
	EXPECT_FALSE(st.enrolled);
}

TEST_F(family, cli_status_prints_it)
{
	char out[4096];

	ASSERT_EQ(0, kf_vm_run(out, sizeof(out), "keyferry status 2>&1"));
	EXPECT_NE(NULL, strstr(out, "enrolled               no"));
	EXPECT_NE(NULL, strstr(out, "module version         0.1.0"));
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out), "keyferry status --json 2>&1"));
	EXPECT_NE(NULL, strstr(out, "\"enrolled\":false"));
}

static int status_as_nobody(void *arg)
{
	struct kf_module_status st;
	struct kf_genl g;
	int ret;

	if (kf_genl_open(&g))
		return 200;
	ret = kf_genl_get_status(&g, &st);
	kf_genl_close(&g);
	return ret == -EPERM ? 0 : 100;
}

TEST_F(family, unprivileged_refused_with_eperm)
{
	EXPECT_EQ(0, kf_vm_as_nobody(status_as_nobody, NULL));
}

static int cli_as_nobody(void *arg)
{
	char out[1024];
	int rc = kf_vm_run(out, sizeof(out), "keyferry status 2>&1");

	if (rc == 3 && strstr(out, "Operation not permitted"))
		return 0;
	fprintf(stderr, "# keyferry status as nobody: exit %d: %s\n", rc, out);
	return 100;
}

TEST_F(family, unprivileged_cli_says_why)
{
	EXPECT_EQ(0, kf_vm_as_nobody(cli_as_nobody, NULL));
}

TEST_F(family, unknown_attribute_refused)
{
	struct nl_msg *msg = kf_genl_request(&self->g, KEYFERRY_CMD_GET_STATUS, 0);

	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put_u32(msg, KEYFERRY_A_MAX + 10, 1));
	EXPECT_EQ(-EINVAL, kf_genl_transact(&self->g, msg, NULL, NULL));
	EXPECT_NE(0, strlen(self->g.ext_msg));
	TH_LOG("extack: %s", self->g.ext_msg);
}

TEST_F(family, attribute_the_command_does_not_take_refused)
{
	struct nl_msg *msg = kf_genl_request(&self->g, KEYFERRY_CMD_GET_STATUS, 0);

	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put_u32(msg, KEYFERRY_A_TRANSFER_ID, 1));
	EXPECT_EQ(-EINVAL, kf_genl_transact(&self->g, msg, NULL, NULL));
	EXPECT_NE(0, strlen(self->g.ext_msg));
}

TEST_F(family, malformed_attribute_refused)
{
	/* An attribute header claiming 64 bytes followed by only 4. */
	const unsigned char bad[] = { 64, 0, KEYFERRY_A_TRANSFER_ID, 0, 1, 0, 0, 0 };

	EXPECT_EQ(-EINVAL, kf_genl_transact_raw(&self->g, KEYFERRY_CMD_GET_STATUS,
						bad, sizeof(bad), NULL, NULL));
	EXPECT_NE(0, strlen(self->g.ext_msg));
	TH_LOG("extack: %s", self->g.ext_msg);
}

TEST_F(family, unknown_command_refused)
{
	struct nl_msg *msg = kf_genl_request(&self->g, KEYFERRY_CMD_MAX + 5, 0);

	ASSERT_NE(NULL, msg);
	EXPECT_EQ(-EOPNOTSUPP, kf_genl_transact(&self->g, msg, NULL, NULL));
}

/* An entity with no owner key, region r, replacing any (CONFIRM_KEI). */
static int make_entity(struct kf_genl *g, const char *region, uint8_t kei[32])
{
	static const uint8_t dkey[1][KEYFERRY_KEY_SIZE] = { { 9, 9, 9 } };
	struct kf_module_status st;
	uint8_t kec[32];
	struct kf_entity_request req = {
		.region = region, .name = "host-nl", .distributor_keys = dkey,
		.n_distributor_keys = 1,
	};
	int ret = kf_genl_get_status(g, &st);

	if (ret)
		return ret;
	if (st.has_keys) {
		req.replace = true;
		req.confirm_kei = st.kei_pub;
	}
	return kf_genl_entity_create(g, &req, kei, kec);
}

TEST_F(family, latin1_names_refused)
{
	/* u = 9, the base point: u = 1 would be of low order (refused) */
	uint8_t kei[32], key[32] = { 9 };
	struct kf_transfer_begin begin = { .kind = KEYFERRY_TRANSFER_FETCH, .n_items = 1 };
	struct kf_message *m1 = calloc(1, sizeof(*m1));

	ASSERT_NE(NULL, m1);
	/* 0xe9 is a letter to the kernel's isalnum() (Latin-1), not to us */
	EXPECT_EQ(-EINVAL, make_entity(&self->g, "r\xe9gion", kei));
	TH_LOG("region with a Latin-1 byte: %s", self->g.ext_msg);
	EXPECT_NE(NULL, strstr(self->g.ext_msg, "[A-Za-z0-9._:@/-]"));
	ASSERT_EQ(0, make_entity(&self->g, "region", kei)) TH_LOG("%s", self->g.ext_msg);
	begin.items[0] = "caf\xe9";
	EXPECT_EQ(-EINVAL, kf_genl_transfer_begin(&self->g, &begin, m1));
	TH_LOG("item with a Latin-1 byte: %s", self->g.ext_msg);
	EXPECT_EQ(-EINVAL, kf_genl_owner_add(&self->g, "d\xe9v", key));
	/* and ':' is not an owner name byte: descriptions split at it */
	EXPECT_EQ(-EINVAL, kf_genl_owner_add(&self->g, "ops:x", key));
	TH_LOG("owner name with ':': %s", self->g.ext_msg);
	EXPECT_EQ(0, kf_genl_owner_add(&self->g, "ops.x-1_2", key)) TH_LOG("%s", self->g.ext_msg);
	free(m1);
}

TEST_F(family, owner_keys_pinned_and_retired_within_bounds)
{
	struct kf_module_status st;
	uint8_t kei[32], key[9][32];
	char name[16], out[4096];
	int i;

	ASSERT_EQ(0, make_entity(&self->g, "region", kei)) TH_LOG("%s", self->g.ext_msg);
	memset(key, 0, sizeof(key));
	/* u = 2 to 10: none of low order (u = 0 and u = 1 are) */
	for (i = 0; i < 9; i++)
		key[i][0] = (uint8_t)(i + 2);
	for (i = 0; i < KEYFERRY_MAX_OWNER_KEYS; i++) {
		snprintf(name, sizeof(name), "owner%d", i % 3);
		ASSERT_EQ(0, kf_genl_owner_add(&self->g, name, key[i])) TH_LOG("%s", self->g.ext_msg);
	}
	EXPECT_EQ(-ENOSPC, kf_genl_owner_add(&self->g, "one-more", key[8]));
	TH_LOG("a ninth owner key: %s", self->g.ext_msg);
	EXPECT_EQ(-EEXIST, kf_genl_owner_add(&self->g, "again", key[0]));
	EXPECT_EQ(-ENOENT, kf_genl_owner_retire(&self->g, key[8]));
	EXPECT_EQ(-EINVAL, kf_genl_owner_add(&self->g, "zero", (uint8_t[32]){ 0 }));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_EQ(KEYFERRY_MAX_OWNER_KEYS, st.n_owners);
	EXPECT_STREQ("owner0", st.owners[0].name);
	EXPECT_EQ(0, memcmp(st.owners[0].key, key[0], 32));
	ASSERT_EQ(0, kf_genl_owner_retire(&self->g, key[0]));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_EQ(KEYFERRY_MAX_OWNER_KEYS - 1, st.n_owners);
	for (i = 0; i < (int)st.n_owners; i++)
		EXPECT_NE(0, memcmp(st.owners[i].key, key[0], 32));
	EXPECT_EQ(0, kf_genl_owner_add(&self->g, "one-more", key[8]));
	/* the CLI lists them as the module has them */
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out), "keyferry owner list 2>&1"));
	EXPECT_NE(NULL, strstr(out, "one-more ")) TH_LOG("%s", out);
}

static int count_keys(const struct kf_installed_key *k, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* Every command, as a process with CAP_NET_ADMIN but not CAP_SYS_ADMIN. */
static int net_admin_only(void *arg)
{
	static const uint8_t dkey[1][KEYFERRY_KEY_SIZE] = { { 7 } };
	struct kf_transfer_begin begin = { .kind = KEYFERRY_TRANSFER_FETCH, .n_items = 1,
					   .items = { "disk" } };
	struct kf_entity_request req = {
		.region = "evil", .name = "evil", .distributor_keys = dkey,
		.n_distributor_keys = 1, .replace = true, .confirm_kei = arg,
	};
	static struct kf_message m1;
	struct kf_module_status st;
	struct kf_installed out;
	uint8_t a[32], b[32], key[32] = { 5 };
	struct kf_genl g;
	int fails = 0, n = 0;

	if (kf_genl_open(&g))
		return 200;
#define EXPECT_REFUSED(call, what) do { \
	int __r = (call); \
	if (__r != -EPERM || !strstr(g.ext_msg, "CAP_SYS_ADMIN")) { \
		fprintf(stderr, "# %s as CAP_NET_ADMIN only: %d (%s)\n", what, __r, g.ext_msg); \
		fails++; \
	} \
} while (0)
	EXPECT_REFUSED(kf_genl_entity_create(&g, &req, a, b), "ENTITY_CREATE");
	EXPECT_REFUSED(kf_genl_owner_add(&g, "evil", key), "OWNER_ADD");
	EXPECT_REFUSED(kf_genl_owner_retire(&g, key), "OWNER_RETIRE");
	EXPECT_REFUSED(kf_genl_transfer_begin(&g, &begin, &m1), "TRANSFER_BEGIN");
	EXPECT_REFUSED(kf_genl_transfer_finish(&g, 1, key, sizeof(key), 0, &out),
		       "TRANSFER_FINISH");
#undef EXPECT_REFUSED
	/* reading stays open to it */
	if (kf_genl_get_status(&g, &st) || !st.has_keys) {
		fprintf(stderr, "# GET_STATUS as CAP_NET_ADMIN only refused\n");
		fails++;
	}
	if (kf_genl_key_list(&g, count_keys, &n)) {
		fprintf(stderr, "# KEY_LIST as CAP_NET_ADMIN only refused\n");
		fails++;
	}
	kf_genl_close(&g);
	return fails;
}

TEST_F(family, cap_net_admin_alone_changes_nothing)
{
	struct kf_module_status before, after;
	uint8_t kei[32];
	int n = 0;

	ASSERT_EQ(0, make_entity(&self->g, "region", kei));
	ASSERT_EQ(0, kf_genl_owner_add(&self->g, "ops", (uint8_t[32]){ 5 }));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &before));
	EXPECT_EQ(0, kf_vm_without_sys_admin(net_admin_only, before.kei_pub));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &after));
	EXPECT_EQ(0, memcmp(before.kei_pub, after.kei_pub, 32));
	EXPECT_STREQ("region", after.region);
	EXPECT_EQ(1, after.n_owners);
	EXPECT_EQ(0, after.pending_transfers);
	/* and KEY_LIST answers a CAP_NET_ADMIN-only process */
	EXPECT_EQ(0, kf_genl_key_list(&self->g, count_keys, &n));
}

/* The helper as such a process: it reads, and says why it may not write. */
static int cli_net_admin_only(void *arg)
{
	char out[1024];
	int rc;

	rc = kf_vm_run(out, sizeof(out), "keyferry status 2>&1");
	if (rc) {
		fprintf(stderr, "# keyferry status as CAP_NET_ADMIN only: exit %d: %s\n", rc, out);
		return 100;
	}
	rc = kf_vm_run(out, sizeof(out),
		       "keyferry owner add evil AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA= 2>&1");
	if (rc != 3 || !strstr(out, "Operation not permitted") || !strstr(out, "CAP_SYS_ADMIN")) {
		fprintf(stderr, "# keyferry owner add as CAP_NET_ADMIN only: exit %d: %s\n", rc, out);
		return 101;
	}
	return 0;
}

TEST_F(family, cli_with_cap_net_admin_only_reads_and_is_told_why_not_more)
{
	uint8_t kei[32];

	ASSERT_EQ(0, make_entity(&self->g, "region", kei));
	EXPECT_EQ(0, kf_vm_without_sys_admin(cli_net_admin_only, NULL));
}

/* The VM tests load the debug build: its known-answer tests ran, and passed. */
TEST(self_test_checks_the_vectors_at_load)
{
	char out[4096];

	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	ASSERT_EQ(0, kf_vm_unload());
	kf_vm_run(NULL, 0, "dmesg -c >/dev/null 2>&1");
	ASSERT_EQ(0, kf_vm_load());
	kf_vm_run(out, sizeof(out), "dmesg | grep 'keyferry: self-test' || true");
	TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "self-test: HPKE (A.2.1, A.2.3), Noise IK and sealed item v2 "
				    "vectors pass"));
}

TEST(load_unload_50_times_leaves_no_family)
{
	struct kf_genl g;
	int i;

	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, kf_vm_load());
		ASSERT_EQ(0, kf_genl_open(&g));
		kf_genl_close(&g);
		ASSERT_EQ(0, kf_vm_unload());
		ASSERT_FALSE(kf_vm_loaded());
		ASSERT_EQ(-ENOENT, kf_genl_open(&g));
	}
	/* And it comes back working. */
	ASSERT_EQ(0, kf_vm_load());
	ASSERT_EQ(0, kf_genl_open(&g));
	kf_genl_close(&g);
}

TEST_HARNESS_MAIN
