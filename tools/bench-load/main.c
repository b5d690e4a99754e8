// SPDX-License-Identifier: MIT
/*
 * keyferry-bench-load: see tools/common/bench_main.c.  Nothing but the
 * entry point here, so that this file builds with no include path at all.
 */
int kf_bench_main(int argc, char **argv);
int main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kf_bench_main(argc, argv);
}
