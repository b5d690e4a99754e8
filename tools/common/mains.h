/* SPDX-License-Identifier: MIT */
/*
 * The tools' entry points.  Each tools/<name>/main.c only calls its own:
 * the code lives here in tools/common so that the tests can run a tool in
 * their own process, and so that a tool's main.c needs no include path.
 */
#ifndef KF_TOOLS_MAINS_H
#define KF_TOOLS_MAINS_H

int kf_repo_main(int argc, char **argv);
int kf_admin_main(int argc, char **argv);
int kf_seal_main(int argc, char **argv);
int kf_bench_main(int argc, char **argv);

#endif /* KF_TOOLS_MAINS_H */
