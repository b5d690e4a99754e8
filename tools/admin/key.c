// SPDX-License-Identifier: MIT
/*
 * keyferry-admin key generate|show FILE: a member's (or a group
 * administrator's) Ed25519 signing key.  Made on the member's own
 * machine; only its public half ever leaves it, in the authority's
 * statements.
 */
#include <stdio.h>
#include <string.h>

#include "tools/admin/admin.h"
#include "tools/authority/signer.h"
#include "tools/cli/cli.h"

int kf_admin_key(int argc, char **argv)
{
	struct kf_signer *k;
	char b64[64];

	if (argc != 2 || (strcmp(argv[0], "generate") &&
			  strcmp(argv[0], "show"))) {
		kf_err("key generate FILE | key show FILE");
		return 2;
	}
	if (!strcmp(argv[0], "generate") && kf_signer_generate(argv[1]))
		return 1;
	if (kf_signer_load(&k, argv[1]))
		return 1;
	kf_base64_encode(b64, sizeof(b64), kf_signer_public(k), KF_KEY_SIZE);
	kf_signer_free(k);
	if (kf_admin_json)
		printf("{\"public_key\":\"%s\"}\n", b64);
	else
		printf("%s\n", b64);
	return 0;
}
