// SPDX-License-Identifier: MIT
/*
 * keyferry-admin: see tools/common/admin_main.c.  Nothing but the entry point
 * here, so that this file builds with no include path at all.
 */
int kf_admin_main(int argc, char **argv);
int main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kf_admin_main(argc, argv);
}
