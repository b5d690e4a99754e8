// SPDX-License-Identifier: MIT
/* keyferry-provider: nothing but the entry point, see cmdline.c. */
#include "tools/provider/provider.h"

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kf_provider_main(argc, argv);
}
