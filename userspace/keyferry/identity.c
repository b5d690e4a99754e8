// SPDX-License-Identifier: MIT
/*
 * keyferry identity save|load: keep the host's identity across reboots.
 *
 * save: the module seals its state (IDENTITY_EXPORT) by the identity's
 * seat of trust; the helper writes the blob so that a crash leaves the old
 * file or the new one (identity_file.c), then, for a TPM blob, commits its
 * epoch (IDENTITY_COMMIT), which makes every older blob stale.
 * load: the module opens a blob (IDENTITY_IMPORT); for a passphrase blob
 * the helper first stretches the passphrase with the blob's parameters.
 *
 * Neither needs anything but the module and this program, so an initramfs
 * can run "keyferry identity load".  The helper never sees a private key:
 * the blob is sealed inside the module and opened there.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "identity_file.h"
#include "keyferry.h"

struct kf_identity_opts {
	const char *path;
	const char *passphrase_file;
	uint8_t seat;
	bool has_pcrs;
	uint32_t pcrs;
	unsigned int log2n;
	bool replace;
	bool if_none;
};

static void identity_usage(void)
{
	fprintf(stderr,
		"usage: keyferry identity save [--file PATH] [--seat tpm|passphrase] [--pcrs N,N...]\n"
		"                              [--passphrase-file FILE|-] [--scrypt-log2n N]\n"
		"       keyferry identity load [--file PATH] [--passphrase-file FILE|-]\n"
		"                              [--replace | --if-none]\n"
		"PATH defaults to " KF_IDENTITY_PATH "\n");
}

static int identity_parse(int argc, char **argv, struct kf_identity_opts *o)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "seat", required_argument, NULL, 's' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "scrypt-log2n", required_argument, NULL, 'n' },
		{ "pcrs", required_argument, NULL, 'P' },
		{ "replace", no_argument, NULL, 'R' },
		{ "if-none", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->path = KF_IDENTITY_PATH;
	o->log2n = KF_SCRYPT_LOG2N;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->path = optarg;
			break;
		case 's':
			if (!strcmp(optarg, "tpm")) {
				o->seat = KEYFERRY_SEAT_TPM;
			} else if (!strcmp(optarg, "passphrase")) {
				o->seat = KEYFERRY_SEAT_PASSPHRASE;
			} else {
				fprintf(stderr, "keyferry identity: --seat \"%s\": "
					"tpm or passphrase\n", optarg);
				return KF_EXIT_USAGE;
			}
			break;
		case 'p':
			o->passphrase_file = optarg;
			break;
		case 'n':
			o->log2n = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || o->log2n < 14 || o->log2n > 24) {
				fprintf(stderr, "keyferry identity: --scrypt-log2n \"%s\": "
					"14 to 24\n", optarg);
				return KF_EXIT_USAGE;
			}
			break;
		case 'P':
			if (kf_pcrs_parse(optarg, &o->pcrs)) {
				fprintf(stderr, "keyferry identity: --pcrs \"%s\": PCR numbers "
					"0 to 23, separated by commas\n", optarg);
				return KF_EXIT_USAGE;
			}
			o->has_pcrs = true;
			break;
		case 'R':
			o->replace = true;
			break;
		case 'N':
			o->if_none = true;
			break;
		default:
			identity_usage();
			return KF_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		identity_usage();
		return KF_EXIT_USAGE;
	}
	return 0;
}

/* The passphrase from o->passphrase_file, stretched with params. */
static int identity_seat_key(const struct kf_identity_opts *o, const uint8_t *params,
			     uint8_t key[KEYFERRY_SEAT_KEY_SIZE])
{
	char pass[1024];
	size_t len;
	int ret;

	if (!o->passphrase_file) {
		fprintf(stderr, "keyferry identity: a passphrase identity needs "
			"--passphrase-file\n");
		return KF_EXIT_USAGE;
	}
	ret = kf_passphrase_read(o->passphrase_file, pass, sizeof(pass), &len);
	if (ret) {
		fprintf(stderr, "keyferry identity: --passphrase-file %s: %s\n",
			o->passphrase_file, ret == -ENODATA ? "empty" : strerror(-ret));
		return KF_EXIT_USAGE;
	}
	ret = kf_passphrase_stretch(key, pass, len, params);
	kf_wipe(pass, sizeof(pass));
	if (ret) {
		fprintf(stderr, "keyferry identity: scrypt failed: %s\n", strerror(-ret));
		return KF_EXIT_LOCAL;
	}
	return 0;
}

int kf_identity_save_to(struct kf_genl *g, const char *path, struct kf_identity_save *s)
{
	uint8_t *blob;
	int ret;

	s->stage = KF_SAVE_EXPORT;
	blob = malloc(KEYFERRY_IDENTITY_MAX);
	if (!blob)
		return -ENOMEM;
	ret = kf_genl_identity_export_gen(g, s->seat, s->pcrs, s->seat_key, s->kdf, blob,
					  KEYFERRY_IDENTITY_MAX, &s->len, &s->epoch,
					  &s->state_gen);
	if (ret < 0)
		goto out;
	s->stage = KF_SAVE_WRITE;
	ret = kf_identity_write(path, blob, s->len);
	if (ret)
		goto out;
	/* On disk: only now may the older blobs become stale. */
	s->stage = KF_SAVE_COMMIT;
	if (s->seat == KEYFERRY_SEAT_TPM)
		ret = kf_genl_identity_commit(g, s->epoch);
out:
	free(blob);
	return ret;
}

static int identity_save(struct kf_genl *g, const struct kf_identity_opts *o)
{
	uint8_t key[KEYFERRY_SEAT_KEY_SIZE], params[KEYFERRY_KDF_PARAMS_SIZE];
	struct kf_identity_save s = { .pcrs = o->has_pcrs ? &o->pcrs : NULL };
	struct kf_module_status st;
	int ret;

	ret = kf_genl_get_status(g, &st);
	if (ret < 0)
		return kf_report_kernel_error("identity save", g, ret);
	s.seat = o->seat ? o->seat : st.seat ? st.seat : KEYFERRY_SEAT_TPM;
	if (s.seat == KEYFERRY_SEAT_PASSPHRASE && st.seat != KEYFERRY_SEAT_PASSPHRASE) {
		if (kf_kdf_params_new(params, o->log2n))
			return KF_EXIT_LOCAL;
		ret = identity_seat_key(o, params, key);
		if (ret)
			return ret;
		s.seat_key = key;
		s.kdf = params;
	}
	ret = kf_identity_save_to(g, o->path, &s);
	kf_wipe(key, sizeof(key));
	if (ret && s.stage == KF_SAVE_WRITE) {
		fprintf(stderr, "keyferry identity save: %s: %s\n", o->path, strerror(-ret));
		return KF_EXIT_LOCAL;
	}
	if (ret == -ENOMEM && s.stage == KF_SAVE_EXPORT && !g->ext_msg[0])
		return KF_EXIT_LOCAL;
	if (ret)
		return kf_report_kernel_error(s.stage == KF_SAVE_COMMIT ? "identity save: commit" :
					      "identity save", g, ret);
	printf("identity saved to %s (seat %s, epoch %llu, %zu bytes)\n", o->path,
	       kf_seat_name(s.seat), (unsigned long long)s.epoch, s.len);
	return 0;
}

static int identity_load(struct kf_genl *g, const struct kf_identity_opts *o)
{
	uint8_t key[KEYFERRY_SEAT_KEY_SIZE];
	const uint8_t *seat_key = NULL, *kdf;
	struct kf_identity_info info;
	struct kf_module_status st;
	uint8_t *blob;
	size_t len;
	int ret;

	/* --if-none: at boot, whether or not this host has saved one yet. */
	if (o->if_none) {
		ret = kf_genl_get_status(g, &st);
		if (ret < 0)
			return kf_report_kernel_error("identity load", g, ret);
		if (st.entity_state != KEYFERRY_ENTITY_NONE || access(o->path, F_OK)) {
			printf("identity load: nothing to do (%s)\n",
			       st.entity_state != KEYFERRY_ENTITY_NONE ?
			       "the module holds an entity" : "no saved identity");
			return 0;
		}
	}
	blob = malloc(KEYFERRY_IDENTITY_MAX);
	if (!blob)
		return KF_EXIT_LOCAL;
	ret = kf_identity_read(o->path, blob, KEYFERRY_IDENTITY_MAX, &len);
	if (ret) {
		fprintf(stderr, "keyferry identity load: %s: %s\n", o->path,
			ret == -EFBIG ? "larger than any identity blob" : strerror(-ret));
		ret = KF_EXIT_LOCAL;
		goto out;
	}
	kdf = kf_identity_blob_kdf(blob, len);
	if (kdf) {
		ret = identity_seat_key(o, kdf, key);
		if (ret)
			goto out;
		seat_key = key;
	}
	/* Anything else, the module judges (and says why it refuses). */
	ret = kf_genl_identity_import(g, blob, len, seat_key, o->replace, &info);
	kf_wipe(key, sizeof(key));
	if (ret < 0) {
		ret = kf_report_kernel_error("identity load", g, ret);
		goto out;
	}
	printf("identity loaded from %s: entity %s in region %s, %s (seat %s, epoch %llu)\n",
	       o->path, info.entity_name, info.region,
	       kf_genl_entity_state_name(info.entity_state), kf_seat_name(info.seat),
	       (unsigned long long)info.epoch);
	ret = 0;
out:
	free(blob);
	return ret;
}

int kf_cmd_identity(int argc, char **argv)
{
	struct kf_identity_opts o;
	struct kf_genl g;
	int ret;

	if (argc < 2 || (strcmp(argv[1], "save") && strcmp(argv[1], "load"))) {
		identity_usage();
		return KF_EXIT_USAGE;
	}
	ret = identity_parse(argc - 1, argv + 1, &o);
	if (ret)
		return ret;
	if (!strcmp(argv[1], "load") && (o.seat || o.has_pcrs)) {
		fprintf(stderr, "keyferry identity load: --seat, --pcrs: the blob says them\n");
		return KF_EXIT_USAGE;
	}
	if (o.replace && o.if_none) {
		fprintf(stderr, "keyferry identity load: --replace and --if-none exclude each other\n");
		return KF_EXIT_USAGE;
	}
	ret = kf_open_module(&g);
	if (ret)
		return ret;
	if (!strcmp(argv[1], "save"))
		ret = identity_save(&g, &o);
	else
		ret = identity_load(&g, &o);
	kf_genl_close(&g);
	return ret;
}

int kf_identity_restore(struct kf_genl *g, const char *path, char *msg, size_t cap)
{
	struct kf_identity_info info;
	struct kf_module_status st;
	uint8_t *blob;
	size_t len;
	int ret;

	msg[0] = '\0';
	if (!path[0] || kf_genl_get_status(g, &st) || st.entity_state != KEYFERRY_ENTITY_NONE)
		return 0;
	blob = malloc(KEYFERRY_IDENTITY_MAX);
	if (!blob)
		return -ENOMEM;
	ret = kf_identity_read(path, blob, KEYFERRY_IDENTITY_MAX, &len);
	if (ret == -ENOENT) {
		ret = 0;
	} else if (ret) {
		snprintf(msg, cap, "%s: %s", path, strerror(-ret));
	} else if (kf_identity_blob_seat(blob, len) == KEYFERRY_SEAT_PASSPHRASE) {
		snprintf(msg, cap, "%s is sealed by a passphrase: run keyferry identity load"
			 " --passphrase-file -", path);
		ret = -EKEYREJECTED;
	} else {
		ret = kf_genl_identity_import(g, blob, len, NULL, false, &info);
		if (ret)
			snprintf(msg, cap, "%s: %s (%s)", path, strerror(-ret), g->ext_msg);
		else
			snprintf(msg, cap, "identity loaded from %s: entity %s in region %s",
				 path, info.entity_name, info.region);
	}
	free(blob);
	return ret;
}
