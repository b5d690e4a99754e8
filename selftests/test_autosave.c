// SPDX-License-Identifier: GPL-2.0
/*
 * The helper saves the identity by itself when the module's saved state
 * changed (docs/operations.md, "Keep the identity across reboots"), and
 * the hostile repository that this closes out: after a reboot, one that
 * kept an item's older sealed version (rotated out because it leaked)
 * serves it again.  The blob on disk carries the version records only if
 * it was saved after the newer version was installed.
 *
 * The repository here is the test's own distributor (selftests/lib/dist.c
 * behind selftests/lib/httpd.c), which seals whatever version the file
 * DIR/version names: everything a repository holds (its own key, the
 * owner's stored sealed blobs), nothing more.  The real helper talks to it
 * as to any repository: keyferry daemon, keyferry fetch.  A reboot is a
 * module reload, then `keyferry identity load` of the file on disk, as the
 * boot unit runs it (the TPM, swtpm, keeps its counters).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <kselftest_harness.h>
/* Programs and several transfers per test, on a loaded emulator. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600

#include "selftests/lib/dist.h"
#include "selftests/lib/httpd.h"
#include "selftests/lib/vm.h"

#define DIR "/tmp/autosave"
#define PORT 7390
#define URL "http://127.0.0.1:7390"
#define ITEM "disk"
#define DESC "keyferry:" DIST_OWNER ":" ITEM

/* Item ITEM of owner "ops" at version v: a 32-byte logon key, 8 s timeout. */
static void item_at(struct item_spec *it, uint8_t *key, uint64_t v)
{
	memset(it, 0, sizeof(*it));
	memset(key, (int)v, 32);
	it->name = ITEM;
	dist_policy(&it->pol, KEYFERRY_KEY_TYPE_LOGON, 32);
	it->pol.timeout = 8;
	it->key = key;
	it->key_len = 32;
	it->version = v;
}

/* The repository's answer: ITEM at the version DIR/version names. */
static int serve_version(const uint8_t *req, size_t len, uint8_t *out, size_t cap,
			 size_t *out_len, void *arg)
{
	struct env *e = arg;
	struct item_spec it;
	uint8_t key[32];
	unsigned long v = 0;
	FILE *f = fopen(DIR "/version", "r");

	if (!f || fscanf(f, "%lu", &v) != 1 || !v || len > sizeof(e->m1->data)) {
		if (f)
			fclose(f);
		return 500;
	}
	fclose(f);
	item_at(&it, key, v);
	memcpy(e->m1->data, req, len);
	e->m1->len = len;
	if (dist_answer(e, &e->kd, &it, 1, 0) || e->m2_len > cap)
		return 500;
	memcpy(out, e->m2, e->m2_len);
	*out_len = e->m2_len;
	return 0;
}

static bool log_says(char *out, size_t cap, const char *what, int times, int secs)
{
	return kf_vm_file_says(DIR "/daemon.log", out, cap, what, times, secs);
}

FIXTURE(autosave) {
	struct env e;
	pid_t repo;
};

FIXTURE_SETUP(autosave)
{
	char out[4096];

	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	/* A fresh module: its enrolled entity, saved once by the operator. */
	ASSERT_EQ(0, kf_vm_unload());
	ASSERT_EQ(0, dist_env_init(&self->e));
	RUN_OK(out, "rm -rf " DIR " && mkdir -p " DIR " && echo 1 > " DIR "/version && "
	       "keyferry identity save --file " DIR "/identity 2>&1");
	self->repo = httpd_start(PORT, serve_version, &self->e);
	ASSERT_LT(0, self->repo);
}

FIXTURE_TEARDOWN(autosave)
{
	httpd_stop(self->repo);
	kf_vm_run(NULL, 0, "[ -f " DIR "/daemon.pid ] && kill $(cat " DIR "/daemon.pid); true");
	dist_env_fini(&self->e);
}

static void set_version(int v)
{
	kf_vm_run(NULL, 0, "echo %d > " DIR "/version", v);
}

static int status_of(struct env *e, struct kf_module_status *st)
{
	return kf_genl_get_status(&e->g, st);
}

/* A reboot: a fresh module, then the identity file loaded as at boot. */
static int reboot_and_load(struct env *e, const char *file)
{
	char out[4096];

	kf_genl_close(&e->g);
	if (kf_vm_unload() || kf_vm_load() || kf_genl_open(&e->g))
		return -1;
	if (kf_vm_run(out, sizeof(out), "keyferry identity load --file %s 2>&1", file)) {
		fprintf(stderr, "# identity load: %s\n", out);
		return -1;
	}
	return 0;
}

/* The hostile repository after the reboot: version v, straight to the module. */
static int serve_after_reboot(struct env *e, uint64_t v)
{
	struct kf_installed out;
	struct item_spec it;
	uint8_t key[32];

	item_at(&it, key, v);
	return dist_deliver(e, &it, 1, 0, &out);
}

static void start_daemon(const char *extra)
{
	kf_vm_run(NULL, 0, "printf 'repository = " URL "\\nitem = " ITEM "\\nrenew_margin = 5\\n"
		  "retry_min = 1\\nidentity = " DIR "/identity\\n%s' > " DIR "/kf.conf && "
		  "(keyferry daemon --config " DIR "/kf.conf > " DIR "/daemon.log 2>&1 & "
		  "echo $! > " DIR "/daemon.pid)", extra);
}

/*
 * The module's state generation moves exactly when what a blob carries
 * changes, and SEALED_GEN follows what was saved: the helper's whole
 * decision rests on these two numbers.
 */
TEST_F(autosave, state_generation_moves_only_when_the_blob_would_change)
{
	struct kf_module_status a, b;
	struct kf_identity_info info;
	struct kf_owner_key extra = { .name = "dev" };
	uint8_t *blob = malloc(KEYFERRY_IDENTITY_MAX);
	uint64_t epoch, gen;
	size_t len;

	ASSERT_NE(NULL, blob);
	ASSERT_EQ(0, status_of(&self->e, &a));
	EXPECT_NE(0, a.state_gen);
	EXPECT_EQ(a.state_gen, a.sealed_gen);	/* the fixture's save */
	/* a new record */
	ASSERT_EQ(0, serve_after_reboot(&self->e, 1));
	ASSERT_EQ(0, status_of(&self->e, &b));
	EXPECT_EQ(a.state_gen + 1, b.state_gen);
	EXPECT_EQ(a.sealed_gen, b.sealed_gen);
	/* the same version again: a renewal, nothing to save */
	ASSERT_EQ(0, serve_after_reboot(&self->e, 1));
	ASSERT_EQ(0, status_of(&self->e, &a));
	EXPECT_EQ(b.state_gen, a.state_gen);
	/* a raised record, an owner key pinned, then retired */
	ASSERT_EQ(0, serve_after_reboot(&self->e, 2));
	memset(extra.key, 0x33, sizeof(extra.key));
	ASSERT_EQ(0, kf_genl_owner_add(&self->e.g, extra.name, extra.key));
	ASSERT_EQ(0, kf_genl_owner_retire(&self->e.g, extra.key));
	ASSERT_EQ(0, status_of(&self->e, &b));
	EXPECT_EQ(a.state_gen + 3, b.state_gen);
	/* refused rollbacks change nothing */
	EXPECT_EQ(-ESTALE, serve_after_reboot(&self->e, 1));
	ASSERT_EQ(0, status_of(&self->e, &a));
	EXPECT_EQ(b.state_gen, a.state_gen);
	/* a TPM export holds this generation; it counts as saved once committed */
	ASSERT_EQ(0, kf_genl_identity_export_gen(&self->e.g, KEYFERRY_SEAT_TPM, NULL, NULL, NULL,
						 blob, KEYFERRY_IDENTITY_MAX, &len, &epoch, &gen));
	EXPECT_EQ(a.state_gen, gen);
	ASSERT_EQ(0, status_of(&self->e, &b));
	EXPECT_EQ(a.sealed_gen, b.sealed_gen);
	EXPECT_NE(b.state_gen, b.sealed_gen);
	ASSERT_EQ(0, kf_genl_identity_commit(&self->e.g, epoch));
	ASSERT_EQ(0, status_of(&self->e, &b));
	EXPECT_EQ(gen, b.sealed_gen);
	EXPECT_EQ(gen, b.state_gen);
	/* an import is a new state, and the blob it came from holds it */
	ASSERT_EQ(0, kf_genl_identity_import(&self->e.g, blob, len, NULL, true, &info));
	ASSERT_EQ(0, status_of(&self->e, &a));
	EXPECT_EQ(gen + 1, a.state_gen);
	EXPECT_EQ(a.state_gen, info.state_gen);
	EXPECT_EQ(a.state_gen, a.sealed_gen);
	free(blob);
}

/*
 * The daemon saves after the fetch that installed version 2 (and after the
 * one that installed version 1), not after the renewals of version 2; after
 * the reboot, the repository serving version 1 again is refused.
 */
TEST_F(autosave, daemon_saves_new_versions_so_a_rollback_after_reboot_is_refused)
{
	struct kf_module_status st;
	char out[16384];

	start_daemon("");
	ASSERT_TRUE(log_says(out, sizeof(out), "identity saved to " DIR "/identity", 1, 60))
		TH_LOG("%s", out);
	set_version(2);
	ASSERT_TRUE(log_says(out, sizeof(out), "version 2", 1, 60)) TH_LOG("%s", out);
	ASSERT_TRUE(log_says(out, sizeof(out), "identity saved to " DIR "/identity", 2, 60))
		TH_LOG("%s", out);
	RUN_OK(out, "cp " DIR "/identity " DIR "/after-v2 && stat -c '%%i %%Y' " DIR
	       "/identity > " DIR "/after-v2.stat");
	/* Renewals of version 2 (every ~3 s): nothing to save. */
	ASSERT_TRUE(log_says(out, sizeof(out), "version 2", 3, 60)) TH_LOG("%s", out);
	EXPECT_EQ(2, kf_vm_count_in(out, "identity saved to")) TH_LOG("%s", out);
	RUN_OK(out, "cmp " DIR "/identity " DIR "/after-v2 && stat -c '%%i %%Y' " DIR
	       "/identity | cmp - " DIR "/after-v2.stat");
	ASSERT_EQ(0, status_of(&self->e, &st));
	EXPECT_EQ(st.state_gen, st.sealed_gen);
	RUN_OK(out, "keyferry status");
	EXPECT_NE(NULL, strstr(out, "unsaved changes        no")) TH_LOG("%s", out);
	RUN_OK(out, "kill $(cat " DIR "/daemon.pid) && rm " DIR "/daemon.pid");

	ASSERT_EQ(0, reboot_and_load(&self->e, DIR "/identity"));
	EXPECT_EQ(-ESTALE, serve_after_reboot(&self->e, 1));
	EXPECT_EQ(0, dist_listed(&self->e.g, DESC));
	/* the version the blob knows is still delivered */
	EXPECT_EQ(0, serve_after_reboot(&self->e, 2));
	EXPECT_EQ(1, dist_listed(&self->e.g, DESC));
}

/*
 * identity-autosave = no: the daemon leaves the file as the operator saved
 * it, status says so, and after the reboot version 1 is installed again:
 * the hole the switch leaves to operators who save by other means.
 */
TEST_F(autosave, without_autosave_the_reboot_takes_the_old_version_back)
{
	char out[16384];

	RUN_OK(out, "cp " DIR "/identity " DIR "/saved");
	set_version(2);
	start_daemon("identity-autosave = no\\n");
	ASSERT_TRUE(log_says(out, sizeof(out), "version 2", 2, 60)) TH_LOG("%s", out);
	EXPECT_EQ(0, kf_vm_count_in(out, "identity save")) TH_LOG("%s", out);
	RUN_OK(out, "cmp " DIR "/identity " DIR "/saved");
	RUN_OK(out, "keyferry status");
	EXPECT_NE(NULL, strstr(out, "unsaved changes        yes")) TH_LOG("%s", out);
	RUN_OK(out, "keyferry status --json");
	EXPECT_NE(NULL, strstr(out, "\"unsaved_changes\":true")) TH_LOG("%s", out);
	RUN_OK(out, "kill $(cat " DIR "/daemon.pid) && rm " DIR "/daemon.pid");

	ASSERT_EQ(0, reboot_and_load(&self->e, DIR "/identity"));
	EXPECT_EQ(0, serve_after_reboot(&self->e, 1));
	EXPECT_EQ(1, dist_listed(&self->e.g, DESC));
}

/*
 * keyferry fetch (the boot unit's) saves after a fetch that changed the
 * state, not after one that renewed; a save that fails names the file and
 * leaves the fetch a success, and the next fetch saves.
 */
TEST_F(autosave, fetch_saves_once_per_change_and_survives_a_failed_save)
{
	struct kf_module_status st;
	char out[8192];
	uint64_t gen;

	set_version(2);
	RUN_OK(out, "printf 'repository = " URL "\\nitem = " ITEM "\\nidentity = " DIR
	       "/identity\\n' > " DIR "/a.conf && keyferry fetch --config " DIR
	       "/a.conf --all 2>&1");
	EXPECT_NE(NULL, strstr(out, "version=2")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "identity saved to " DIR "/identity (seat tpm"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, status_of(&self->e, &st));
	EXPECT_EQ(st.state_gen, st.sealed_gen);
	gen = st.state_gen;
	RUN_OK(out, "cp " DIR "/identity " DIR "/after-v2 && stat -c '%%i %%Y' " DIR
	       "/identity > " DIR "/after-v2.stat");
	sleep(1);	/* a rewrite would show in the mtime */
	RUN_OK(out, "keyferry fetch --config " DIR "/a.conf --all 2>&1");
	EXPECT_EQ(NULL, strstr(out, "identity save")) TH_LOG("%s", out);
	RUN_OK(out, "cmp " DIR "/identity " DIR "/after-v2 && stat -c '%%i %%Y' " DIR
	       "/identity | cmp - " DIR "/after-v2.stat");
	ASSERT_EQ(0, status_of(&self->e, &st));
	EXPECT_EQ(gen, st.state_gen);

	/* a directory that is not there: the keys are installed all the same */
	set_version(3);
	RUN_OK(out, "printf 'repository = " URL "\\nitem = " ITEM "\\nidentity = " DIR
	       "/no/such/identity\\n' > " DIR "/b.conf && keyferry fetch --config " DIR
	       "/b.conf --all 2>&1");
	EXPECT_NE(NULL, strstr(out, "version=3")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "identity save to " DIR "/no/such/identity failed"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "No such file or directory")) TH_LOG("%s", out);
	RUN_OK(out, "keyferry status");
	EXPECT_NE(NULL, strstr(out, "unsaved changes        yes")) TH_LOG("%s", out);
	/* ...and the next fetch (a renewal) saves what the failed one did not */
	RUN_OK(out, "mkdir -p " DIR "/no/such && keyferry fetch --config " DIR
	       "/b.conf --all 2>&1");
	EXPECT_NE(NULL, strstr(out, "identity saved to " DIR "/no/such/identity"))
		TH_LOG("%s", out);

	ASSERT_EQ(0, reboot_and_load(&self->e, DIR "/no/such/identity"));
	EXPECT_EQ(-ESTALE, serve_after_reboot(&self->e, 2));
	EXPECT_EQ(-ESTALE, serve_after_reboot(&self->e, 1));
	EXPECT_EQ(0, dist_listed(&self->e.g, DESC));
}

TEST_HARNESS_MAIN
