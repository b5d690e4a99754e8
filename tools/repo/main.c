// SPDX-License-Identifier: MIT
/* keyferry-repo: nothing but the entry point, see cmdline.c. */
#include "tools/repo/repo.h"

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kf_repo_main(argc, argv);
}
