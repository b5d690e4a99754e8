// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family: it resolves, answers GET_STATUS, refuses the
 * unprivileged, refuses unknown attributes and malformed messages with
 * EINVAL and an extack message, and leaves nothing behind on unload.
 */
#include <errno.h>
#include <string.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <kselftest_harness.h>

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
	EXPECT_NE(NULL, strstr(out, "enrolled             no"));
	EXPECT_NE(NULL, strstr(out, "module version       0.1.0"));
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
