// SPDX-License-Identifier: MIT
/*
 * The helper's configuration file (userspace/keyferry/config.c): owner keys
 * ("owner = NAME KEY", pinned at enrollment) and providers ("provider = URL
 * KEY") parsed exactly, and each bad line refused with a message naming the
 * file, the line and the reason.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "userspace/keyferry/config.h"

#define KEY_A	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="	/* bytes 1..32 */
#define KEY_B	"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="	/* bytes 32..63 */

/* Write text to a fresh file, load it; the errno, with err filled. */
static int load(const char *text, struct kf_config *c, char *err, size_t errlen)
{
	char path[] = "/tmp/kf-config-XXXXXX";
	int fd = mkstemp(path), ret;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	err[0] = '\0';
	ret = kf_config_load(c, path, err, errlen);
	unlink(path);
	return ret;
}

TEST(owner_lines)
{
	struct kf_config c;
	char err[600];
	uint8_t a[32];
	int i;

	for (i = 0; i < 32; i++)
		a[i] = (uint8_t)(i + 1);
	ASSERT_EQ(0, load("owner = ops " KEY_A "\nowner = dev-2.x_y=" KEY_B "\n", &c, err,
			  sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(2, c.n_owners);
	EXPECT_STREQ("ops", c.owners[0].name);
	EXPECT_EQ(0, memcmp(a, c.owners[0].key, 32));
	EXPECT_STREQ("dev-2.x_y", c.owners[1].name);
	EXPECT_EQ(32, c.owners[1].key[0]);
}

TEST(identity_autosave_is_on_unless_the_file_says_no)
{
	struct kf_config c;
	char err[600];

	ASSERT_EQ(0, load("item = a\n", &c, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_TRUE(c.identity_autosave);
	EXPECT_STREQ("/var/lib/keyferry/identity", c.identity);
	ASSERT_EQ(0, load("identity-autosave = no\n", &c, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_FALSE(c.identity_autosave);
	ASSERT_EQ(0, load("identity_autosave = no\nidentity-autosave = yes\n", &c, err,
			  sizeof(err))) TH_LOG("%s", err);
	EXPECT_TRUE(c.identity_autosave);
	EXPECT_EQ(-EINVAL, load("item = a\nidentity-autosave = off\n", &c, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":2: identity-autosave must be yes or no")) TH_LOG("%s", err);
}

TEST(bad_owner_lines_refused_with_the_reason)
{
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
		{ "owner = ops:x " KEY_A, "[A-Za-z0-9._-]" },		/* ':' splits descriptions */
		{ "owner = d\xe9v " KEY_A, "[A-Za-z0-9._-]" },		/* Latin-1 */
		{ "owner = 0123456789012345678901234567890123 " KEY_A, "1 to 32 bytes" },
		{ "owner = ops AQID", "not a base64 32-byte public key" },
		{ "owner = ops", "not a base64 32-byte public key" },
		{ "owner = ops " KEY_A "\nowner = dev " KEY_A, "given twice" },
	};
	struct kf_config c;
	char err[600];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, load(bad[i].line, &c, err, sizeof(err)));
		EXPECT_NE(NULL, strstr(err, bad[i].why)) TH_LOG("line %zu: %s", i, err);
		EXPECT_NE(NULL, strstr(err, "/tmp/kf-config-")) TH_LOG("%s", err);
	}
}

TEST(provider_lines)
{
	struct kf_config c;
	char err[600];

	ASSERT_EQ(0, load("provider = http://p1:7370 " KEY_A "\n"
			  "provider =  https://p2.example.net:7370/\t" KEY_B "\n", &c, err,
			  sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(2, c.n_providers);
	EXPECT_STREQ("http://p1:7370", c.providers[0].url);
	EXPECT_EQ(1, c.providers[0].key[0]);
	EXPECT_EQ(32, c.providers[0].key[31]);
	EXPECT_STREQ("https://p2.example.net:7370/", c.providers[1].url);
	EXPECT_EQ(32, c.providers[1].key[0]);
	EXPECT_EQ(0, c.n_repositories);
}

TEST(bad_provider_lines_refused_with_the_reason)
{
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
		{ "provider = p1:7370 " KEY_A, "not an http:// or https:// URL" },
		{ "provider = http://p1:7370", "not a base64 32-byte public key" },
		{ "provider = http://p1:7370 AQID", "not a base64 32-byte public key" },
		{ "provider = http://a " KEY_A "\nprovider = http://b " KEY_A "\n"
		  "provider = http://c " KEY_A "\nprovider = http://d " KEY_A "\n"
		  "provider = http://e " KEY_A, "more than 4 providers" },
	};
	struct kf_config c;
	char err[600];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, load(bad[i].line, &c, err, sizeof(err)));
		EXPECT_NE(NULL, strstr(err, bad[i].why)) TH_LOG("line %zu: %s", i, err);
	}
}

TEST(at_most_eight_owner_keys)
{
	struct kf_config c;
	char text[4096] = "", err[600], b64[64];
	size_t eight = 0;
	uint8_t key[32];
	int i;

	for (i = 0; i < 9; i++) {
		if (i == 8)
			eight = strlen(text);
		memset(key, i + 1, sizeof(key));
		kf_base64_encode(b64, sizeof(b64), key, sizeof(key));
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "owner = o%d %s\n", i, b64);
	}
	EXPECT_EQ(-EINVAL, load(text, &c, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":9: more than 8 owner keys")) TH_LOG("%s", err);
	text[eight] = '\0';
	EXPECT_EQ(0, load(text, &c, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(8, c.n_owners);
}

TEST_HARNESS_MAIN
