// SPDX-License-Identifier: MIT
/*
 * How keyferry-admin's commands report: JSON or text (--json), a wrong
 * argument count, a failure's message and exit status.
 */
#include <errno.h>
#include <string.h>

#include "tools/admin/admin.h"
#include "tools/cli/cli.h"

bool kf_admin_json;

int kf_admin_fail(const char *what, int ret)
{
	switch (ret) {
	case -ENOENT: kf_err("%s: not found", what); break;
	case -EEXIST: kf_err("%s: already exists", what); break;
	case -EBUSY: kf_err("%s: the database is busy, try again", what); break;
	default: kf_err("%s: %s", what, strerror(-ret)); break;
	}
	return 1;
}

int kf_admin_need(int argc, int n, const char *what)
{
	if (argc == n)
		return 0;
	kf_err("%s: expects %d argument%s", what, n - 1, n == 2 ? "" : "s");
	return -EINVAL;
}
