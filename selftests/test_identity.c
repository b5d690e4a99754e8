// SPDX-License-Identifier: GPL-2.0
/*
 * The identity blob, within one boot (the guest has a TPM 2.0: swtpm
 * behind tpm-tis, see selftests/qemu/run-vm): export by the TPM or a
 * passphrase, a module reload, import; and the hostile helper, which holds
 * the blob and CAP_NET_ADMIN and tries to alter, truncate, inflate, roll
 * back or downgrade it.  Every refusal leaves the entity as it was.
 * Across reboots (the same TPM, a fresh one): boot_identity.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kselftest_harness.h>
/* Transfers and programs, fixture included, on a loaded debug guest: > 30 s. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#include "selftests/lib/vm.h"
#include "userspace/keyferry/genl.h"

#define BLOB_CAP KEYFERRY_IDENTITY_MAX

static const uint8_t kdf_ok[KEYFERRY_KDF_PARAMS_SIZE] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,	/* salt */
	14,							/* log2 N */
	0, 0, 0, 8,						/* r */
	0, 0, 0, 1,						/* p */
};

FIXTURE(identity) {
	struct kf_genl g;
	uint8_t *blob;
	size_t len;
	uint64_t epoch;
	struct kf_module_status before;
};

/*
 * A fresh module with an entity made in it (no distributor needed), with
 * two owner keys pinned: the blob carries them (protocol version 2).
 */
static int fresh_entity(struct kf_genl *g, const char *name)
{
	uint8_t dkey[1][KEYFERRY_KEY_SIZE], kei[32], kec[32];
	struct kf_owner_key owners[2] = { { .name = "ops" }, { .name = "dev.team_2" } };
	struct kf_entity_request req = {
		.region = "lab", .name = name,
		.distributor_keys = (const uint8_t (*)[KEYFERRY_KEY_SIZE])dkey,
		.n_distributor_keys = 1, .owners = owners, .n_owners = 2,
	};

	memset(dkey, 0x5a, sizeof(dkey));
	memset(owners[0].key, 0x11, KEYFERRY_KEY_SIZE);
	memset(owners[1].key, 0x22, KEYFERRY_KEY_SIZE);
	kf_genl_close(g);
	if (kf_vm_unload() || kf_vm_load() || kf_genl_open(g))
		return -1;
	return kf_genl_entity_create(g, &req, kei, kec);
}

static bool same_owners(const struct kf_module_status *a,
			const struct kf_module_status *b)
{
	unsigned int i;

	if (a->n_owners != b->n_owners)
		return false;
	for (i = 0; i < a->n_owners; i++)
		if (strcmp(a->owners[i].name, b->owners[i].name) ||
		    memcmp(a->owners[i].key, b->owners[i].key, KEYFERRY_KEY_SIZE))
			return false;
	return true;
}

static int reload(struct kf_genl *g)
{
	kf_genl_close(g);
	if (kf_vm_unload() || kf_vm_load())
		return -1;
	return kf_genl_open(g);
}

/* The entity's public state: equal before and after a refusal. */
static bool same_entity(const struct kf_module_status *a,
			const struct kf_module_status *b)
{
	return a->entity_state == b->entity_state && a->seat == b->seat &&
	       a->epoch == b->epoch && !strcmp(a->region, b->region) &&
	       !strcmp(a->entity_name, b->entity_name) &&
	       !memcmp(a->kei_pub, b->kei_pub, 32) && !memcmp(a->kec_pub, b->kec_pub, 32) &&
	       a->n_distributor_keys == b->n_distributor_keys && same_owners(a, b);
}

FIXTURE_SETUP(identity)
{
	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	self->blob = malloc(BLOB_CAP + 16);
	ASSERT_NE(NULL, self->blob);
	ASSERT_EQ(0, kf_vm_load());
	ASSERT_EQ(0, kf_genl_open(&self->g));
	ASSERT_EQ(0, fresh_entity(&self->g, "host1"));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &self->before));
	EXPECT_EQ(KEYFERRY_SEAT_NONE, self->before.seat);
}

FIXTURE_TEARDOWN(identity)
{
	kf_genl_close(&self->g);
	free(self->blob);
}

TEST_F_TIMEOUT(identity, tpm_export_reload_import_gives_the_same_entity, 300)
{
	struct kf_identity_info info;
	struct kf_module_status st;

	ASSERT_EQ(0, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_TPM, NULL, NULL,
					     self->blob, BLOB_CAP, &self->len, &self->epoch));
	EXPECT_LT(0, self->epoch);
	ASSERT_EQ(0, kf_genl_identity_commit(&self->g, self->epoch));
	TH_LOG("blob %zu bytes, epoch %llu", self->len, (unsigned long long)self->epoch);
	/* The private keys are nowhere in it in clear: the state is sealed. */
	EXPECT_EQ(NULL, memmem(self->blob, self->len, "host1", 5));

	ASSERT_EQ(0, reload(&self->g));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	ASSERT_EQ(KEYFERRY_ENTITY_NONE, st.entity_state);
	ASSERT_EQ(0, kf_genl_identity_import(&self->g, self->blob, self->len, NULL, false,
					     &info));
	EXPECT_EQ(KEYFERRY_SEAT_TPM, info.seat);
	EXPECT_EQ(self->epoch, info.epoch);
	EXPECT_STREQ("host1", info.entity_name);
	EXPECT_STREQ("lab", info.region);
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_EQ(0, memcmp(self->before.kei_pub, st.kei_pub, 32));
	EXPECT_EQ(0, memcmp(self->before.kec_pub, st.kec_pub, 32));
	EXPECT_EQ(0, memcmp(self->before.distributor_keys[0], st.distributor_keys[0], 32));
	EXPECT_EQ(KEYFERRY_ENTITY_CREATED, st.entity_state);
	EXPECT_EQ(KEYFERRY_SEAT_TPM, st.seat);
	EXPECT_EQ(self->epoch, st.epoch);
	/* The pinned owner keys come back, names and keys, in their order. */
	ASSERT_EQ(2, st.n_owners);
	EXPECT_STREQ("ops", st.owners[0].name);
	EXPECT_STREQ("dev.team_2", st.owners[1].name);
	EXPECT_EQ(0x11, st.owners[0].key[0]);
	EXPECT_EQ(0x22, st.owners[1].key[31]);
	EXPECT_TRUE(same_owners(&self->before, &st));
}

/* Export with the TPM and commit: the blob the tests below attack. */
static void export_committed(struct __test_metadata *_metadata,
			     FIXTURE_DATA(identity) *self)
{
	ASSERT_EQ(0, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_TPM, NULL, NULL,
					     self->blob, BLOB_CAP, &self->len, &self->epoch));
	ASSERT_EQ(0, kf_genl_identity_commit(&self->g, self->epoch));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &self->before));
}

TEST_F_TIMEOUT(identity, tpm_blob_with_any_byte_changed_is_refused_and_changes_nothing, 900)
{
	struct kf_identity_info info;
	struct kf_module_status st;
	size_t i;
	int ret, refused = 0;

	export_committed(_metadata, self);
	for (i = 0; i < self->len; i++) {
		self->blob[i] ^= 0x01;
		ret = kf_genl_identity_import(&self->g, self->blob, self->len, NULL, true,
					      &info);
		self->blob[i] ^= 0x01;
		if (ret != -EBADMSG && ret != -EKEYREJECTED && ret != -EPROTO &&
		    ret != -EPROTONOSUPPORT && ret != -EMSGSIZE)
			TH_LOG("byte %zu: %d (%s)", i, ret, self->g.ext_msg);
		refused += ret < 0;
		if (i == 0 || i == 60 || i == self->len - 1)
			TH_LOG("byte %zu: %s", i, self->g.ext_msg);
		ASSERT_NE(0, strlen(self->g.ext_msg));
	}
	EXPECT_EQ(self->len, refused);
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_TRUE(same_entity(&self->before, &st));
	/* The unaltered blob still opens. */
	EXPECT_EQ(0, kf_genl_identity_import(&self->g, self->blob, self->len, NULL, true,
					     &info));
}

TEST_F_TIMEOUT(identity, truncated_and_oversized_blobs_are_refused, 300)
{
	struct kf_identity_info info;
	struct kf_module_status st;
	size_t cut[] = { 0, 1, 49, 50, 51, 0, 0, 0, 0 };
	size_t i, hdr;

	export_committed(_metadata, self);
	/* The header and the TPM's part, then the sealed state (its tag last). */
	hdr = 50 + ((size_t)self->blob[48] << 8 | self->blob[49]);
	cut[5] = hdr;
	cut[6] = hdr + 15;
	cut[7] = hdr + 16;
	cut[8] = self->len - 1;
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		int ret = kf_genl_identity_import(&self->g, self->blob, cut[i], NULL, true,
						  &info);

		TH_LOG("%zu of %zu bytes: %d (%s)", cut[i], self->len, ret, self->g.ext_msg);
		EXPECT_EQ(cut[i] < hdr + 16 ? -EMSGSIZE : -EBADMSG, ret);
	}
	/* Longer than any blob: the netlink policy refuses it (ERANGE). */
	memset(self->blob + self->len, 0, BLOB_CAP + 16 - self->len);
	EXPECT_EQ(-ERANGE, kf_genl_identity_import(&self->g, self->blob, BLOB_CAP + 1, NULL,
						   true, &info));
	/* Bytes appended to a good blob: the AEAD refuses them. */
	EXPECT_EQ(-EBADMSG, kf_genl_identity_import(&self->g, self->blob, self->len + 1,
						    NULL, true, &info));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_TRUE(same_entity(&self->before, &st));
}

TEST_F_TIMEOUT(identity, rolled_back_tpm_blob_is_stale, 300)
{
	uint8_t *old = malloc(BLOB_CAP);
	struct kf_identity_info info;
	struct kf_module_status st;
	size_t old_len, mid_len;
	uint64_t old_epoch, mid_epoch;
	uint8_t *mid = malloc(BLOB_CAP);

	ASSERT_NE(NULL, old);
	ASSERT_NE(NULL, mid);
	export_committed(_metadata, self);
	memcpy(old, self->blob, self->len);
	old_len = self->len;
	old_epoch = self->epoch;
	/* A newer export, written and committed: the old one is stale now. */
	export_committed(_metadata, self);
	EXPECT_LT(old_epoch, self->epoch);
	EXPECT_EQ(-ESTALE, kf_genl_identity_import(&self->g, old, old_len, NULL, true, &info));
	TH_LOG("old blob: %s", self->g.ext_msg);
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_TRUE(same_entity(&self->before, &st));

	/* An export never committed (a crash before the rename) ... */
	ASSERT_EQ(0, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_TPM, NULL, NULL, mid,
					     BLOB_CAP, &mid_len, &mid_epoch));
	/* ... leaves the last committed blob usable ... */
	EXPECT_EQ(0, kf_genl_identity_import(&self->g, self->blob, self->len, NULL, true,
					     &info));
	/* ... and is usable itself, committing itself on import ... */
	EXPECT_EQ(0, kf_genl_identity_import(&self->g, mid, mid_len, NULL, true, &info));
	EXPECT_EQ(mid_epoch, info.epoch);
	/* ... after which the one before it is stale. */
	EXPECT_EQ(-ESTALE, kf_genl_identity_import(&self->g, self->blob, self->len, NULL,
						   true, &info));
	/* A commit of an epoch no export reserved is refused. */
	EXPECT_EQ(-ERANGE, kf_genl_identity_commit(&self->g, mid_epoch + 1000));
	free(old);
	free(mid);
}

TEST_F_TIMEOUT(identity, seat_is_fixed_so_a_tpm_identity_never_leaves_under_a_known_passphrase, 300)
{
	uint8_t key[32];
	struct kf_module_status st;

	export_committed(_metadata, self);
	/* The hostile helper picks a passphrase it knows: refused. */
	memset(key, 7, sizeof(key));
	EXPECT_EQ(-EPERM, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_PASSPHRASE, key,
						  kdf_ok, self->blob, BLOB_CAP, &self->len,
						  &self->epoch));
	TH_LOG("%s", self->g.ext_msg);
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_TRUE(same_entity(&self->before, &st));
}

/*
 * The blob carries the owner keys pinned when it was made: one retired and
 * one added since the first save come back as the newest blob has them,
 * and the older blob (where the retired key was still pinned) is stale.
 */
TEST_F_TIMEOUT(identity, owner_keys_follow_the_newest_blob, 300)
{
	uint8_t *old = malloc(BLOB_CAP), retired[32], added[32];
	struct kf_identity_info info;
	struct kf_module_status st;
	size_t old_len;
	uint64_t old_epoch;

	ASSERT_NE(NULL, old);
	memset(retired, 0x22, sizeof(retired));
	memset(added, 0x33, sizeof(added));
	ASSERT_EQ(0, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_TPM, NULL, NULL, old,
					     BLOB_CAP, &old_len, &old_epoch));
	ASSERT_EQ(0, kf_genl_identity_commit(&self->g, old_epoch));
	ASSERT_EQ(0, kf_genl_owner_retire(&self->g, retired));
	ASSERT_EQ(0, kf_genl_owner_add(&self->g, "qa", added));
	export_committed(_metadata, self);

	ASSERT_EQ(0, reload(&self->g));
	EXPECT_EQ(-ESTALE, kf_genl_identity_import(&self->g, old, old_len, NULL, false,
						   &info));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_EQ(KEYFERRY_ENTITY_NONE, st.entity_state);
	ASSERT_EQ(0, kf_genl_identity_import(&self->g, self->blob, self->len, NULL, false,
					     &info));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	ASSERT_EQ(2, st.n_owners);
	EXPECT_STREQ("ops", st.owners[0].name);
	EXPECT_EQ(0x11, st.owners[0].key[0]);
	EXPECT_STREQ("qa", st.owners[1].name);
	EXPECT_EQ(0, memcmp(added, st.owners[1].key, 32));
	/* The keys are pinned again, kids and all: the retired one is not. */
	EXPECT_EQ(-ENOENT, kf_genl_owner_retire(&self->g, retired));
	EXPECT_EQ(-EEXIST, kf_genl_owner_add(&self->g, "qa", added));
	free(old);
}

TEST_F_TIMEOUT(identity, passphrase_export_reload_import, 300)
{
	uint8_t key[32], wrong[32];
	struct kf_identity_info info;
	struct kf_module_status st;
	uint8_t weak[KEYFERRY_KDF_PARAMS_SIZE];

	memset(key, 0x11, sizeof(key));
	memset(wrong, 0x12, sizeof(wrong));
	/* A cost below the floor is refused. */
	memcpy(weak, kdf_ok, sizeof(weak));
	weak[16] = 10;
	EXPECT_EQ(-EINVAL, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_PASSPHRASE, key,
						   weak, self->blob, BLOB_CAP, &self->len,
						   &self->epoch));
	ASSERT_EQ(0, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_PASSPHRASE, key, kdf_ok,
					     self->blob, BLOB_CAP, &self->len, &self->epoch));
	EXPECT_EQ(0, self->epoch);
	/* Once set, the passphrase is not given again, nor replaced. */
	EXPECT_EQ(-EEXIST, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_PASSPHRASE, wrong,
						   kdf_ok, self->blob, BLOB_CAP, &self->len,
						   &self->epoch));
	/* A re-export needs none (the daemon saves without a person). */
	ASSERT_EQ(0, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_PASSPHRASE, NULL, NULL,
					     self->blob, BLOB_CAP, &self->len, &self->epoch));
	EXPECT_EQ(-EPERM, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_TPM, NULL, NULL,
						  self->blob, BLOB_CAP, &self->len,
						  &self->epoch));

	ASSERT_EQ(0, reload(&self->g));
	EXPECT_EQ(-EBADMSG, kf_genl_identity_import(&self->g, self->blob, self->len, wrong,
						    false, &info));
	TH_LOG("wrong passphrase: %s", self->g.ext_msg);
	EXPECT_EQ(-EINVAL, kf_genl_identity_import(&self->g, self->blob, self->len, NULL,
						   false, &info));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_EQ(KEYFERRY_ENTITY_NONE, st.entity_state);
	ASSERT_EQ(0, kf_genl_identity_import(&self->g, self->blob, self->len, key, false,
					     &info));
	EXPECT_EQ(KEYFERRY_SEAT_PASSPHRASE, info.seat);
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_EQ(0, memcmp(self->before.kei_pub, st.kei_pub, 32));
	EXPECT_EQ(0, memcmp(self->before.kec_pub, st.kec_pub, 32));
	EXPECT_EQ(KEYFERRY_SEAT_PASSPHRASE, st.seat);
	/* The imported identity re-exports under the same passphrase. */
	ASSERT_EQ(0, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_PASSPHRASE, NULL, NULL,
					     self->blob, BLOB_CAP, &self->len, &self->epoch));
	ASSERT_EQ(0, kf_genl_identity_import(&self->g, self->blob, self->len, key, true,
					     &info));
}

TEST_F_TIMEOUT(identity, import_over_an_entity_needs_replace, 300)
{
	struct kf_identity_info info;
	struct kf_module_status st;

	export_committed(_metadata, self);
	ASSERT_EQ(0, fresh_entity(&self->g, "other"));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &self->before));
	EXPECT_EQ(-EEXIST, kf_genl_identity_import(&self->g, self->blob, self->len, NULL,
						   false, &info));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_TRUE(same_entity(&self->before, &st));
	EXPECT_STREQ("other", st.entity_name);
	ASSERT_EQ(0, kf_genl_identity_import(&self->g, self->blob, self->len, NULL, true,
					     &info));
	EXPECT_STREQ("host1", info.entity_name);
}

TEST_F_TIMEOUT(identity, no_entity_nothing_to_export, 300)
{
	ASSERT_EQ(0, reload(&self->g));
	EXPECT_EQ(-ENOKEY, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_TPM, NULL, NULL,
						   self->blob, BLOB_CAP, &self->len,
						   &self->epoch));
	EXPECT_NE(0, strlen(self->g.ext_msg));
}

static int export_as_nobody(void *arg)
{
	uint8_t blob[256];
	struct kf_genl g;
	size_t len;
	uint64_t epoch;
	int ret;

	if (kf_genl_open(&g))
		return 200;
	ret = kf_genl_identity_export(&g, KEYFERRY_SEAT_TPM, NULL, NULL, blob, sizeof(blob),
				      &len, &epoch);
	kf_genl_close(&g);
	return ret == -EPERM ? 0 : 100;
}

TEST_F_TIMEOUT(identity, unprivileged_cannot_export, 300)
{
	EXPECT_EQ(0, kf_vm_as_nobody(export_as_nobody, NULL));
}

TEST_F_TIMEOUT(identity, cli_save_and_load_with_tpm_and_passphrase, 600)
{
	char out[4096];

	/* TPM: save, reload the module, load; status names the seat. */
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out),
			       "keyferry identity save --file /tmp/id/tpm 2>&1"));
	EXPECT_NE(NULL, strstr(out, "seat tpm"));
	ASSERT_EQ(0, reload(&self->g));
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out),
			       "keyferry identity load --file /tmp/id/tpm 2>&1 && keyferry status"));
	EXPECT_NE(NULL, strstr(out, "entity host1 in region lab"));
	EXPECT_NE(NULL, strstr(out, "seat of trust          tpm (epoch"));
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out), "ls -l /tmp/id; stat -c %%a /tmp/id/tpm"));
	EXPECT_NE(NULL, strstr(out, "\n600\n"));
	EXPECT_EQ(NULL, strstr(out, "tpm.new"));

	/* Passphrase: scrypt in the helper, the module never sees the text. */
	ASSERT_EQ(0, fresh_entity(&self->g, "host2"));
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out),
			       "echo 'correct horse' | keyferry identity save --seat passphrase"
			       " --passphrase-file - --scrypt-log2n 14 --file /tmp/id/pass 2>&1"));
	EXPECT_NE(NULL, strstr(out, "seat passphrase"));
	ASSERT_EQ(0, reload(&self->g));
	EXPECT_EQ(3, kf_vm_run(out, sizeof(out),
			       "echo 'wrong horse' | keyferry identity load --passphrase-file -"
			       " --file /tmp/id/pass 2>&1"));
	EXPECT_NE(NULL, strstr(out, "wrong passphrase"));
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out),
			       "echo 'correct horse' | keyferry identity load --passphrase-file -"
			       " --file /tmp/id/pass 2>&1 && keyferry status"));
	EXPECT_NE(NULL, strstr(out, "entity host2 in region lab"));
	EXPECT_NE(NULL, strstr(out, "seat of trust          passphrase"));
	/* The daemon's re-save asks for nothing. */
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out),
			       "keyferry identity save --file /tmp/id/pass 2>&1"));
	EXPECT_NE(0, kf_vm_run(out, sizeof(out),
			       "keyferry identity load --file /tmp/id/missing 2>&1"));
	EXPECT_NE(NULL, strstr(out, "No such file"));
}

/* Send one raw command to /dev/tpm0 (as any root process can); its rc. */
static long tpm_raw(const uint8_t *cmd, size_t len)
{
	uint8_t rsp[4096];
	ssize_t n;
	int fd = open("/dev/tpm0", O_RDWR);

	if (fd < 0)
		return -errno;
	n = write(fd, cmd, len);
	if (n == (ssize_t)len)
		n = read(fd, rsp, sizeof(rsp));
	close(fd);
	if (n < 10)
		return -EIO;
	return (long)rsp[6] << 24 | rsp[7] << 16 | rsp[8] << 8 | rsp[9];
}

/* TPM2_PCR_Extend of PCR 16 (the debug PCR, resettable) with SHA-256. */
static long pcr16_extend(void)
{
	uint8_t cmd[65] = {
		0x80, 0x02, 0, 0, 0, 65, 0, 0, 0x01, 0x82,	/* header */
		0, 0, 0, 16,					/* PCR 16 */
		0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0,	/* TPM_RS_PW */
		0, 0, 0, 1, 0, 0x0b,				/* 1 digest, SHA-256 */
	};

	memset(cmd + 33, 0xab, 32);
	return tpm_raw(cmd, sizeof(cmd));
}

static long pcr16_reset(void)
{
	static const uint8_t cmd[27] = {
		0x80, 0x02, 0, 0, 0, 27, 0, 0, 0x01, 0x3d,	/* TPM2_PCR_Reset */
		0, 0, 0, 16,
		0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0,
	};

	return tpm_raw(cmd, sizeof(cmd));
}

TEST_F_TIMEOUT(identity, pcr_bound_blob_refused_once_the_pcr_changes, 300)
{
	struct kf_identity_info info;
	struct kf_module_status st;
	uint32_t pcrs = 1u << 16, other = 1u << 7;

	ASSERT_EQ(0, pcr16_reset());
	ASSERT_EQ(0, kf_genl_identity_export_pcrs(&self->g, KEYFERRY_SEAT_TPM, &pcrs, NULL, NULL,
						  self->blob, BLOB_CAP, &self->len,
						  &self->epoch));
	ASSERT_EQ(0, kf_genl_identity_commit(&self->g, self->epoch));
	/* The PCRs are fixed with the seat. */
	EXPECT_EQ(-EEXIST, kf_genl_identity_export_pcrs(&self->g, KEYFERRY_SEAT_TPM, &other,
							NULL, NULL, self->blob, BLOB_CAP,
							&self->len, &self->epoch));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_EQ(pcrs, st.seat_pcrs);

	/* Something else was measured into PCR 16: the TPM refuses. */
	ASSERT_EQ(0, reload(&self->g));
	ASSERT_EQ(0, pcr16_extend());
	EXPECT_EQ(-EKEYREJECTED, kf_genl_identity_import(&self->g, self->blob, self->len, NULL,
							 false, &info));
	TH_LOG("PCR 16 extended: %s", self->g.ext_msg);
	EXPECT_NE(NULL, strstr(self->g.ext_msg, "PCR"));
	ASSERT_EQ(0, kf_genl_get_status(&self->g, &st));
	EXPECT_EQ(KEYFERRY_ENTITY_NONE, st.entity_state);
	/* Back to the value it had at the export: it opens again. */
	ASSERT_EQ(0, pcr16_reset());
	ASSERT_EQ(0, kf_genl_identity_import(&self->g, self->blob, self->len, NULL, false,
					     &info));
	EXPECT_EQ(pcrs, info.pcrs);
	/* Re-exports keep the binding without being told. */
	ASSERT_EQ(0, kf_genl_identity_export(&self->g, KEYFERRY_SEAT_TPM, NULL, NULL, self->blob,
					     BLOB_CAP, &self->len, &self->epoch));
	ASSERT_EQ(0, kf_genl_identity_commit(&self->g, self->epoch));
	ASSERT_EQ(0, pcr16_extend());
	EXPECT_EQ(-EKEYREJECTED, kf_genl_identity_import(&self->g, self->blob, self->len, NULL,
							 true, &info));
	ASSERT_EQ(0, pcr16_reset());
}

TEST_HARNESS_MAIN
