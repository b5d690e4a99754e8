// SPDX-License-Identifier: MIT
/*
 * The helper's configuration file (userspace/keyferry/config.c): what it
 * accepts, and that a bad file is refused with the file and line named.
 */
#include <stdlib.h>
#include <unistd.h>

#include "test_util.h"
#include "userspace/keyferry/config.h"

static char path[64];

static int load(const char *text, struct kf_config *c, char *err, size_t cap)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/kfconf.%d", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	err[0] = 0;
	return kf_config_load(c, path, err, cap);
}

TEST(config_is_read)
{
	struct kf_config c;
	char err[256];

	ASSERT_EQ(0, load("# comment\nrepository = http://a:7370\n"
			  "repository=https://b\n  item = disk-1  # why\n"
			  "keyring = session\nrenew_margin = 60\n", &c, err,
			  sizeof(err)));
	ASSERT_EQ(2, c.n_repositories);
	ASSERT_STREQ("https://b", c.repositories[1]);
	ASSERT_EQ(1, c.n_items);
	ASSERT_STREQ("disk-1", c.items[0]);
	ASSERT_EQ(60, c.renew_margin);
	ASSERT_EQ(30, c.timeout);
	unlink(path);
}

TEST(bad_lines_are_refused_with_file_and_line)
{
	static char text[4096];
	struct kf_config c;
	char err[256], want[128];

	ASSERT_EQ(-EINVAL, load("item = a\nnonsense\n", &c, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: ", path);
	ASSERT_EQ(0, strncmp(err, want, strlen(want)));
	ASSERT_EQ(-EINVAL, load("timeout = 0\n", &c, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "timeout"));
	/*
	 * A comment longer than the line buffer: its tail must not be read
	 * as a setting of its own (it was, before: seen while writing
	 * fuzz_config).
	 */
	memset(text, 0, sizeof(text));
	text[0] = '#';
	memset(text + 1, 'x', 1100);
	strcat(text, " repository = http://evil\n");
	ASSERT_EQ(-EINVAL, load(text, &c, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, ":1: line longer than"));
	unlink(path);
}

TEST_HARNESS_MAIN
