// SPDX-License-Identifier: MIT
/*
 * keyferry status: the module's state and the host's entity; never a
 * secret.  It shows the fingerprints of Kei and Kec (docs/protocol.md): the
 * data owner compares the Kec fingerprint read here, on the host, with the
 * one keyferry-seal --expect-kec checks, so that no distributor can make
 * it seal to another key; keyferry replace asks for the Kei fingerprint.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "genl.h"
#include "identity_file.h"
#include "keyferry.h"

static void print_key(const char *label, const uint8_t key[KEYFERRY_KEY_SIZE])
{
	char b64[64];

	if (kf_base64_encode(b64, sizeof(b64), key, KEYFERRY_KEY_SIZE) < 0)
		snprintf(b64, sizeof(b64), "(unprintable)");
	printf("%-22s %s\n", label, b64);
}

static void print_status_json(const struct kf_module_status *st)
{
	char kei[64] = "", kec[64] = "", b64[64];
	char kei_fpr[KF_FINGERPRINT_LEN + 1] = "", kec_fpr[KF_FINGERPRINT_LEN + 1] = "";
	unsigned int i;

	if (st->has_keys) {
		kf_base64_encode(kei, sizeof(kei), st->kei_pub, KEYFERRY_KEY_SIZE);
		kf_base64_encode(kec, sizeof(kec), st->kec_pub, KEYFERRY_KEY_SIZE);
		kf_kei_fingerprint(kei_fpr, st->kei_pub);
		kf_kec_fingerprint(kec_fpr, st->kec_pub);
	}
	/* Names are restricted to [A-Za-z0-9._:@/-]: nothing to escape. */
	printf("{\"family_version\":%u,\"module_version\":\"%s\","
	       "\"entity_state\":\"%s\",\"enrolled\":%s,"
	       "\"pending_transfers\":%u,\"installed_keys\":%u,\"version_records\":%u,"
	       "\"region\":\"%s\",\"entity\":\"%s\",\"kei_pub\":\"%s\",\"kec_pub\":\"%s\","
	       "\"kei_fingerprint\":\"%s\",\"kec_fingerprint\":\"%s\","
	       "\"seat\":\"%s\",\"seat_pcrs\":\"%s\",\"identity_epoch\":%llu,"
	       "\"state_generation\":%llu,\"saved_generation\":%llu,\"unsaved_changes\":%s,"
	       "\"owners\":[",
	       st->family_version, st->module_version,
	       kf_genl_entity_state_name(st->entity_state),
	       st->enrolled ? "true" : "false", st->pending_transfers,
	       st->installed_keys, st->version_records, st->region, st->entity_name,
	       kei, kec, kei_fpr, kec_fpr, kf_seat_name(st->seat),
	       kf_pcrs_format(st->seat_pcrs), (unsigned long long)st->epoch,
	       (unsigned long long)st->state_gen, (unsigned long long)st->sealed_gen,
	       st->entity_state != KEYFERRY_ENTITY_NONE &&
	       st->state_gen != st->sealed_gen ? "true" : "false");
	for (i = 0; i < st->n_owners; i++) {
		kf_base64_encode(b64, sizeof(b64), st->owners[i].key, KEYFERRY_KEY_SIZE);
		printf("%s{\"owner\":\"%s\",\"key\":\"%s\"}", i ? "," : "",
		       st->owners[i].name, b64);
	}
	printf("]}\n");
}

static void print_status(const struct kf_module_status *st)
{
	char fpr[KF_FINGERPRINT_LEN + 1], label[64];
	unsigned int i;

	printf("%-22s %u\n", "family version", st->family_version);
	printf("%-22s %s\n", "module version", st->module_version);
	printf("%-22s %s\n", "enrolled", st->enrolled ? "yes" : "no");
	printf("%-22s %s\n", "entity state", kf_genl_entity_state_name(st->entity_state));
	if (st->region[0])
		printf("%-22s %s\n", "region", st->region);
	if (st->entity_name[0])
		printf("%-22s %s\n", "entity", st->entity_name);
	if (st->has_keys) {
		kf_kei_fingerprint(fpr, st->kei_pub);
		printf("%-22s %s\n", "identity (Kei)", fpr);
		kf_kec_fingerprint(fpr, st->kec_pub);
		printf("%-22s %s\n", "confidentiality (Kec)", fpr);
		print_key("Kei public key", st->kei_pub);
		print_key("Kec public key", st->kec_pub);
	}
	for (i = 0; i < st->n_distributor_keys; i++)
		print_key("pinned distributor", st->distributor_keys[i]);
	for (i = 0; i < st->n_owners; i++) {
		snprintf(label, sizeof(label), "owner %s", st->owners[i].name);
		print_key(label, st->owners[i].key);
	}
	if (st->entity_state != KEYFERRY_ENTITY_NONE) {
		if (st->seat == KEYFERRY_SEAT_TPM)
			printf("%-22s tpm (epoch %llu%s%s)\n", "seat of trust",
			       (unsigned long long)st->epoch, st->seat_pcrs ? ", PCRs " : "",
			       st->seat_pcrs ? kf_pcrs_format(st->seat_pcrs) : "");
		else if (st->seat == KEYFERRY_SEAT_PASSPHRASE)
			printf("%-22s passphrase\n", "seat of trust");
		else
			printf("%-22s none (never saved: lost at reboot)\n", "seat of trust");
		/* what a reboot would lose: see docs/operations.md */
		if (st->seat != KEYFERRY_SEAT_NONE && st->state_gen == st->sealed_gen)
			printf("%-22s no (generation %llu)\n", "unsaved changes",
			       (unsigned long long)st->state_gen);
		else if (st->seat != KEYFERRY_SEAT_NONE)
			printf("%-22s yes (generation %llu, saved %llu: keyferry identity save)\n",
			       "unsaved changes", (unsigned long long)st->state_gen,
			       (unsigned long long)st->sealed_gen);
	}
	printf("%-22s %u\n", "pending transfers", st->pending_transfers);
	printf("%-22s %u\n", "installed keys", st->installed_keys);
	printf("%-22s %u\n", "version records", st->version_records);
}

int kf_cmd_status(int argc, char **argv)
{
	struct kf_module_status st;
	struct kf_genl g;
	bool json = false;
	int ret;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json"))) {
		fprintf(stderr, "usage: keyferry status [--json]\n");
		return KF_EXIT_USAGE;
	}
	json = argc == 2;
	ret = kf_open_module(&g);
	if (ret)
		return ret;
	ret = kf_genl_get_status(&g, &st);
	if (ret < 0) {
		ret = kf_report_kernel_error("status", &g, ret);
		goto out;
	}
	if (json)
		print_status_json(&st);
	else
		print_status(&st);
out:
	kf_genl_close(&g);
	return ret;
}
