// SPDX-License-Identifier: MIT
/*
 * The owner's key Ko (docs/protocol.md section 2): `owner-key generate
 * FILE` makes it (a key file, mode 0600, keyfile.h) and prints its public
 * half; `owner-key show FILE` prints the public half again.  That public
 * half is what the region's hosts pin, under the owner's name, so that
 * they install only items this key sealed.  The private half never
 * leaves the owner's machine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "keyferry.h"
#include "tools/cli/cli.h"
#include "tools/formats/keyfile.h"
#include "tools/seal/internal.h"

static void print_public(const uint8_t pub[KF_KEY_SIZE])
{
	char b64[64];

	kf_base64_encode(b64, sizeof(b64), pub, KF_KEY_SIZE);
	printf("%s\n", b64);
}

static int show(const char *path)
{
	/* The private half in a locked, undumpable page (keyfile.h). */
	uint8_t *priv = kf_keypage_alloc(KF_KEY_SIZE);
	uint8_t pub[KF_KEY_SIZE];
	int ret = priv ? kf_keyfile_read(path, priv) : -ENOMEM;

	if (!ret)
		ret = kf_x25519_public(priv, pub);
	if (ret == -ENOMEM && !priv)
		kf_err("owner-key show: cannot lock a page for the key");
	kf_keypage_free(priv, KF_KEY_SIZE);
	if (ret)
		return 1;
	print_public(pub);
	return 0;
}

int kf_seal_owner_key(int argc, char **argv)
{
	uint8_t pub[KF_KEY_SIZE];

	if (argc != 3 || (strcmp(argv[1], "generate") &&
			  strcmp(argv[1], "show"))) {
		kf_err("owner-key: expects generate FILE or show FILE");
		return 2;
	}
	if (!strcmp(argv[1], "show"))
		return show(argv[2]);
	if (kf_keyfile_generate(argv[2], pub))
		return 1;
	/* The public half, to pin on the hosts; the file stays here. */
	print_public(pub);
	return 0;
}
