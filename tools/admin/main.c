// SPDX-License-Identifier: MIT
/* keyferry-admin: nothing but the entry point, see cmdline.c. */
#include "tools/admin/admin.h"

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kf_admin_main(argc, argv);
}
