// SPDX-License-Identifier: MIT
/* keyferry-bench: nothing but the entry point, see load.c. */
#include "tools/bench/bench.h"

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kf_bench_main(argc, argv);
}
