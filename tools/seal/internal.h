/* SPDX-License-Identifier: MIT */
/* Internals of keyferry-seal, shared by the files of tools/seal/. */
#ifndef KF_TOOLS_SEAL_INTERNAL_H
#define KF_TOOLS_SEAL_INTERNAL_H

/* `keyferry-seal owner-key generate|show FILE` (ownerkey.c); argv[0] is
 * "owner-key".  Returns the exit status. */
int kf_seal_owner_key(int argc, char **argv);

#endif /* KF_TOOLS_SEAL_INTERNAL_H */
