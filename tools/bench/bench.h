/* SPDX-License-Identifier: MIT */
/* keyferry-bench, the load generator behind `make bench` (load.c). */
#ifndef KF_TOOLS_BENCH_H
#define KF_TOOLS_BENCH_H

/* keyferry-bench's command line; main.c only calls it. */
int kf_bench_main(int argc, char **argv);

#endif /* KF_TOOLS_BENCH_H */
