// SPDX-License-Identifier: MIT
/*
 * keyferry-repo: see tools/common/repo_main.c.  Nothing but the entry point
 * here, so that this file builds with no include path at all.
 */
int kf_repo_main(int argc, char **argv);
int main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kf_repo_main(argc, argv);
}
