// SPDX-License-Identifier: MIT
/* keyferry-seal: nothing but the entry point, see seal.c. */
#include "tools/seal/seal.h"

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kf_seal_main(argc, argv);
}
