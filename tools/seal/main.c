// SPDX-License-Identifier: MIT
/*
 * keyferry-seal: see tools/common/seal_main.c.  Nothing but the entry point
 * here, so that this file builds with no include path at all.
 */
int kf_seal_main(int argc, char **argv);
int main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kf_seal_main(argc, argv);
}
