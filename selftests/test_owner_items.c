// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile distributor (issue 10, "Done when"): it knows everything a
 * distributor knows, the host's Kec-pub, its own distributor key Kd (so
 * its replies pass the outer layer) and every sealed blob it ever stored,
 * and it tries to make the host install what the owner did not send.
 * Each attempt is refused with its own errno and extack message, and
 * changes nothing: no key installed, replaced or unlinked, the module's
 * counters as they were (but `refusals`).
 *
 *   - mint a key: sealed by a key of its own (EKEYREJECTED), by Kd
 *     (EKEYREJECTED), claiming a pinned owner's kid (EBADE), or under an
 *     unwrapping key it made up (EBADE);
 *   - install an item under another item's description: a stored blob
 *     presented under another name (EBADE), another item's policy (EBADE);
 *     descriptions derive from owner and name, so another owner's item of
 *     the same name installs beside it, never over it;
 *   - replace a held unwrapping key: another owner's of the same name is
 *     held beside it; an older version of it is refused (ESTALE); one it
 *     sealed itself is refused (EKEYREJECTED);
 *   - roll back: an older stored version of an installed item (ESTALE);
 *   - owner rotation: two keys under one owner name both accepted; after
 *     one is retired its items are refused (EKEYREJECTED);
 *   - the version records are bounded and never forgotten (ENOSPC).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kselftest_harness.h>
/*
 * Each test starts programs or runs several transfers, fixture included:
 * on the debug kernel (KASAN, TCG) of a loaded machine that takes longer
 * than the harness's default of 30 s.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#include "selftests/lib/dist.h"
#include "selftests/lib/vm.h"

static const uint8_t key64[64] = {
	0x64, 0x69, 0x73, 0x6b, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x6f, 0x66, 0x2d,
	0x74, 0x68, 0x65, 0x2d, 0x6f, 0x77, 0x6e, 0x65, 0x72, 0x2d, 0x6f, 0x70,
	0x73, 0x2c, 0x2d, 0x36, 0x34, 0x2d, 0x62, 0x79, 0x74, 0x65, 0x73, 0x2c,
	0x2d, 0x61, 0x65, 0x73, 0x2d, 0x78, 0x74, 0x73, 0x2d, 0x66, 0x6f, 0x72,
	0x2d, 0x64, 0x6d, 0x2d, 0x63, 0x72, 0x79, 0x70, 0x74, 0x2d, 0x74, 0x65,
	0x73, 0x74, 0x73, 0x21,
};
static const uint8_t evil64[64] = { 0xee, 0x76, 0x69, 0x6c };

/* What must not change on a refusal. */
struct snap {
	long counters[8];
	unsigned int n;
	struct kf_installed_key keys[64];
};

static const char *const snap_counters[8] = {
	"keys_installed", "tracked_keys", "unwrap_keys", "version_records",
	"keys_ended", "owner_keys", "objects", "bytes",
};

static int snap_key(const struct kf_installed_key *k, void *arg)
{
	struct snap *s = arg;

	if (s->n < sizeof(s->keys) / sizeof(s->keys[0]))
		s->keys[s->n++] = *k;
	return 0;
}

static int snap_take(struct kf_genl *g, struct snap *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < 8; i++)
		s->counters[i] = dist_stat(snap_counters[i]);
	return kf_genl_key_list(g, snap_key, s);
}

/* 0 when nothing changed; else says what did. */
static int snap_same(struct kf_genl *g, const struct snap *a)
{
	struct snap b;
	unsigned int i;

	if (snap_take(g, &b))
		return -1;
	for (i = 0; i < 8; i++)
		if (a->counters[i] != b.counters[i]) {
			fprintf(stderr, "# %s changed: %ld -> %ld\n", snap_counters[i],
				a->counters[i], b.counters[i]);
			return -1;
		}
	if (a->n != b.n || memcmp(a->keys, b.keys, a->n * sizeof(a->keys[0]))) {
		fprintf(stderr, "# the installed keys changed (%u -> %u)\n", a->n, b.n);
		return -1;
	}
	return 0;
}

/* Serial of the key `keyctl search @s TYPE DESC` finds, or -1. */
static int find_in_session(const char *type, const char *desc)
{
	char out[64];

	if (kf_vm_run(out, sizeof(out), "keyctl search @s %s %s 2>/dev/null", type, desc))
		return -1;
	return atoi(out);
}

FIXTURE(hostile_distributor) {
	struct env *e;
	struct dist_key dev;	/* a second owner, pinned as "dev" */
	struct dist_key evil;	/* the distributor's own key pair */
};

FIXTURE_SETUP(hostile_distributor)
{
	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	self->e = calloc(1, sizeof(*self->e));
	ASSERT_NE(NULL, self->e);
	ASSERT_EQ(0, dist_env_init(self->e)) TH_LOG("ext: %s", self->e->g.ext_msg);
	ASSERT_EQ(0, kf_x25519_keygen(self->dev.priv, self->dev.pub));
	ASSERT_EQ(0, kf_x25519_keygen(self->evil.priv, self->evil.pub));
	ASSERT_EQ(0, kf_genl_owner_add(&self->e->g, "dev", self->dev.pub));
	kf_vm_run(NULL, 0, "keyctl clear @s");
}

FIXTURE_TEARDOWN(hostile_distributor)
{
	if (self->e) {
		dist_env_fini(self->e);
		free(self->e);
	}
}

static void logon64(struct item_spec *it, const char *name, uint64_t version)
{
	memset(it, 0, sizeof(*it));
	it->name = name;
	it->key = key64;
	it->key_len = sizeof(key64);
	it->version = version;
	dist_policy(&it->pol, KF_KEY_LOGON, sizeof(key64));
}

/* The distributor answers a fetch of it with it (as it likes); the errno. */
static int attempt(struct env *e, const struct item_spec *it)
{
	int ret = dist_begin(e, it, 1);

	if (!ret)
		ret = dist_answer(e, &e->kd, it, 1, 0);
	if (!ret)
		ret = dist_finish(e, KEY_SPEC_SESSION_KEYRING, NULL);
	return ret;
}

TEST_F(hostile_distributor, cannot_mint_a_key)
{
	struct env *e = self->e;
	struct item_spec it, grp;
	struct kf_installed out;
	struct snap s;
	uint8_t kw[32], made_up[32], kid[KF_KID_SIZE], blob[KF_SEALED_MAX];
	struct dist_key kd_as_owner;
	size_t blob_len;
	int32_t real;

	/* the owner's real disk key, and a held unwrapping key */
	logon64(&it, "disk-data", 1);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	real = out.keys[0].serial;
	ASSERT_EQ(0, kf_random(kw, sizeof(kw)));
	grp = (struct item_spec){ .name = "grp", .key = kw, .key_len = 32 };
	dist_policy(&grp.pol, KF_KEY_UNWRAP, 32);
	ASSERT_EQ(0, dist_deliver(e, &grp, 1, 0, NULL));
	ASSERT_EQ(0, snap_take(&e->g, &s));

	/* sealed to the (public) Kec-pub with a key of its own */
	logon64(&it, "disk-data", 2);
	it.key = evil64;
	it.owner = &self->evil;
	EXPECT_EQ(-EKEYREJECTED, attempt(e, &it));
	TH_LOG("its own key: %s", e->g.ext_msg);
	EXPECT_NE(NULL, strstr(e->g.ext_msg, "not a pinned owner key"));
	EXPECT_EQ(0, snap_same(&e->g, &s));
	/* with Kd, the one key the host does trust it with */
	memcpy(&kd_as_owner, &e->kd, sizeof(kd_as_owner));
	it.owner = &kd_as_owner;
	EXPECT_EQ(-EKEYREJECTED, attempt(e, &it));
	EXPECT_EQ(0, snap_same(&e->g, &s));
	/* its own key, the header claiming the pinned owner's kid */
	it.owner = &self->evil;
	EXPECT_EQ(-EKEYREJECTED, attempt(e, &it));	/* gives us its blob */
	blob_len = e->reply->items[0].sealed_len;
	memcpy(blob, e->reply->items[0].sealed, blob_len);
	kf_kid(e->ko.pub, kid);
	memcpy(blob + 16, kid, KF_KID_SIZE);
	it.sealed = blob;
	it.sealed_len = blob_len;
	EXPECT_EQ(-EBADE, attempt(e, &it));
	TH_LOG("claiming the owner's kid: %s", e->g.ext_msg);
	EXPECT_EQ(0, snap_same(&e->g, &s));
	/* alg 2 under an unwrapping key it made up, naming the held one */
	ASSERT_EQ(0, kf_random(made_up, sizeof(made_up)));
	logon64(&it, "disk-data", 2);
	it.key = evil64;
	it.kw = made_up;
	snprintf(it.pol.unwrap_key, sizeof(it.pol.unwrap_key), "grp");
	EXPECT_EQ(-EBADE, attempt(e, &it));
	EXPECT_EQ(0, snap_same(&e->g, &s));
	/* and the real key is where it was, unchanged */
	EXPECT_EQ(real, find_in_session("logon", "keyferry:ops:disk-data"));
}

TEST_F(hostile_distributor, cannot_install_an_item_under_another_items_description)
{
	struct env *e = self->e;
	static const uint8_t lic[] = "licence=gold";
	struct item_spec disk, licence, it;
	uint8_t disk_blob[KF_SEALED_MAX], lic_blob[KF_SEALED_MAX];
	uint8_t lic_pol[KF_POLICY_MAX], raw[64];
	size_t disk_len, lic_len, lic_pol_len;
	struct kf_tlv_writer w;
	struct kf_installed out;
	struct snap s;
	int32_t real;

	logon64(&disk, "disk-data", 1);
	ASSERT_EQ(0, dist_deliver(e, &disk, 1, KEY_SPEC_SESSION_KEYRING, &out));
	real = out.keys[0].serial;
	EXPECT_STREQ("keyferry:ops:disk-data", out.keys[0].description);
	disk_len = e->reply->items[0].sealed_len;
	memcpy(disk_blob, e->reply->items[0].sealed, disk_len);
	licence = (struct item_spec){ .name = "licence", .key = lic, .key_len = sizeof(lic) - 1,
				      .version = 1 };
	dist_policy(&licence.pol, KF_KEY_USER, sizeof(lic) - 1);
	ASSERT_EQ(0, dist_deliver(e, &licence, 1, KEY_SPEC_SESSION_KEYRING, &out));
	/* an item named licence can only ever be keyferry:ops:licence */
	EXPECT_STREQ("keyferry:ops:licence", out.keys[0].description);
	lic_len = e->reply->items[0].sealed_len;
	memcpy(lic_blob, e->reply->items[0].sealed, lic_len);
	lic_pol_len = e->reply->items[0].policy_len;
	memcpy(lic_pol, e->reply->items[0].policy, lic_pol_len);
	ASSERT_EQ(0, snap_take(&e->g, &s));

	/* the licence's stored blob and policy, presented as disk-data */
	memset(&it, 0, sizeof(it));
	it.name = "disk-data";
	it.raw_policy = lic_pol;
	it.raw_policy_len = lic_pol_len;
	it.sealed = lic_blob;
	it.sealed_len = lic_len;
	EXPECT_EQ(-EBADE, attempt(e, &it));
	TH_LOG("licence's blob as disk-data: %s", e->g.ext_msg);
	EXPECT_EQ(0, snap_same(&e->g, &s));
	/* disk-data's blob with the licence's (readable) policy */
	it.sealed = disk_blob;
	it.sealed_len = disk_len;
	EXPECT_EQ(-EBADE, attempt(e, &it));
	EXPECT_EQ(0, snap_same(&e->g, &s));
	EXPECT_EQ(real, find_in_session("logon", "keyferry:ops:disk-data"));
	/* version 1's DESCRIPTION, even sealed by the owner: not understood */
	kf_tlv_init(&w, raw, sizeof(raw));
	kf_tlv_put_u8(&w, 1, KF_KEY_USER);
	kf_tlv_put_str(&w, 2, "ops:disk-data");
	kf_tlv_put_u16(&w, 3, sizeof(lic) - 1);
	licence.raw_policy = raw;
	licence.raw_policy_len = (size_t)kf_tlv_finish(&w);
	licence.version = 2;
	EXPECT_EQ(-EOPNOTSUPP, attempt(e, &licence));
	EXPECT_EQ(0, snap_same(&e->g, &s));

	/* another owner's item of the same name installs beside it */
	logon64(&it, "disk-data", 1);
	it.key = evil64;
	it.owner = &self->dev;
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_STREQ("keyferry:dev:disk-data", out.keys[0].description);
	EXPECT_STREQ("dev", out.keys[0].owner);
	EXPECT_NE(real, out.keys[0].serial);
	EXPECT_EQ(real, find_in_session("logon", "keyferry:ops:disk-data"));
	EXPECT_EQ(out.keys[0].serial, find_in_session("logon", "keyferry:dev:disk-data"));
}

struct held {
	char desc[64];
	uint64_t version;
	int n;
};

static int find_held(const struct kf_installed_key *k, void *arg)
{
	struct held *h = arg;

	if (!strcmp(k->description, h->desc)) {
		h->version = k->version;
		h->n++;
	}
	return 0;
}

static uint64_t held_version(struct kf_genl *g, const char *desc)
{
	struct held h = { .n = 0 };

	snprintf(h.desc, sizeof(h.desc), "%s", desc);
	if (kf_genl_key_list(g, find_held, &h) || h.n != 1)
		return 0;
	return h.version;
}

TEST_F(hostile_distributor, cannot_replace_a_held_unwrapping_key)
{
	struct env *e = self->e;
	uint8_t kw1[32], kw2[32], kw_dev[32], v1_blob[KF_SEALED_MAX];
	uint8_t v1_pol[KF_POLICY_MAX];
	static const uint8_t secret[] = "ops data under its group key";
	struct item_spec grp, data, it;
	struct kf_installed out;
	size_t v1_len, v1_pol_len;
	struct snap s;
	char buf[256];

	ASSERT_EQ(0, kf_random(kw1, 32));
	ASSERT_EQ(0, kf_random(kw2, 32));
	ASSERT_EQ(0, kf_random(kw_dev, 32));
	grp = (struct item_spec){ .name = "grp", .key = kw1, .key_len = 32, .version = 1 };
	dist_policy(&grp.pol, KF_KEY_UNWRAP, 32);
	ASSERT_EQ(0, dist_deliver(e, &grp, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	v1_len = e->reply->items[0].sealed_len;
	memcpy(v1_blob, e->reply->items[0].sealed, v1_len);
	v1_pol_len = e->reply->items[0].policy_len;
	memcpy(v1_pol, e->reply->items[0].policy, v1_pol_len);
	grp.key = kw2;
	grp.version = 2;
	ASSERT_EQ(0, dist_deliver(e, &grp, 1, 0, &out));
	EXPECT_STREQ("ops:grp", out.keys[0].description);
	/* another owner's unwrapping key of the same name is held beside it */
	grp.key = kw_dev;
	grp.version = 1;
	grp.owner = &self->dev;
	ASSERT_EQ(0, dist_deliver(e, &grp, 1, 0, &out));
	EXPECT_STREQ("dev:grp", out.keys[0].description);
	EXPECT_EQ(2, held_version(&e->g, "ops:grp"));
	EXPECT_EQ(1, held_version(&e->g, "dev:grp"));
	ASSERT_EQ(0, snap_take(&e->g, &s));

	/* the older version of ops:grp, as stored: a rollback */
	memset(&it, 0, sizeof(it));
	it.name = "grp";
	it.raw_policy = v1_pol;
	it.raw_policy_len = v1_pol_len;
	it.sealed = v1_blob;
	it.sealed_len = v1_len;
	EXPECT_EQ(-ESTALE, attempt(e, &it));
	TH_LOG("ops:grp version 1 after 2: %s", e->g.ext_msg);
	EXPECT_EQ(0, snap_same(&e->g, &s));
	/* one it sealed itself, as version 3 */
	it = (struct item_spec){ .name = "grp", .key = kw_dev, .key_len = 32, .version = 3,
				 .owner = &self->evil };
	dist_policy(&it.pol, KF_KEY_UNWRAP, 32);
	EXPECT_EQ(-EKEYREJECTED, attempt(e, &it));
	EXPECT_EQ(0, snap_same(&e->g, &s));
	EXPECT_EQ(2, held_version(&e->g, "ops:grp"));

	/* ops's data under the real ops:grp (version 2) opens, as ops's */
	data = (struct item_spec){ .name = "d1", .key = secret, .key_len = sizeof(secret) - 1,
				   .kw = kw2, .version = 1 };
	dist_policy(&data.pol, KF_KEY_USER, sizeof(secret) - 1);
	snprintf(data.pol.unwrap_key, sizeof(data.pol.unwrap_key), "grp");
	ASSERT_EQ(0, dist_deliver(e, &data, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_STREQ("keyferry:ops:d1", out.keys[0].description);
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl print %d", out.keys[0].serial));
	EXPECT_EQ(0, strncmp(buf, (const char *)secret, sizeof(secret) - 1));
	/* dev's under dev:grp, as dev's */
	data.name = "d2";
	data.kw = kw_dev;
	ASSERT_EQ(0, dist_deliver(e, &data, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_STREQ("keyferry:dev:d2", out.keys[0].description);
	/* under version 1's key, which the host no longer holds: refused */
	data.name = "d3";
	data.kw = kw1;
	EXPECT_EQ(-EBADE, attempt(e, &data));
}

/*
 * The version records live in the identity blob: after the host saves its
 * identity (sealed by the TPM), the module is reloaded (a reboot, as far as
 * the module knows) and the identity loaded again, the distributor that
 * kept version 7 still cannot bring it back over version 8.
 */
TEST_F_TIMEOUT(hostile_distributor, cannot_roll_back_across_a_reload, 600)
{
	struct env *e = self->e;
	uint8_t v7_blob[KF_SEALED_MAX], v7_pol[KF_POLICY_MAX];
	uint8_t *blob = malloc(KEYFERRY_IDENTITY_MAX);
	struct kf_identity_info info;
	struct item_spec it, old;
	struct kf_installed out;
	size_t v7_len, v7_pol_len, len;
	uint64_t epoch;

	ASSERT_NE(NULL, blob);
	logon64(&it, "disk-data", 7);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out));
	v7_len = e->reply->items[0].sealed_len;
	memcpy(v7_blob, e->reply->items[0].sealed, v7_len);
	v7_pol_len = e->reply->items[0].policy_len;
	memcpy(v7_pol, e->reply->items[0].policy, v7_pol_len);
	logon64(&it, "disk-data", 8);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out));
	ASSERT_EQ(0, kf_genl_identity_export(&e->g, KEYFERRY_SEAT_TPM, NULL, NULL, blob,
					     KEYFERRY_IDENTITY_MAX, &len, &epoch))
		TH_LOG("ext: %s", e->g.ext_msg);
	ASSERT_EQ(0, kf_genl_identity_commit(&e->g, epoch));

	kf_genl_close(&e->g);
	ASSERT_EQ(0, kf_vm_unload());
	ASSERT_EQ(0, kf_vm_load());
	ASSERT_EQ(0, kf_genl_open(&e->g));
	EXPECT_EQ(0, dist_stat("version_records"));
	ASSERT_EQ(0, kf_genl_identity_import(&e->g, blob, len, NULL, false, &info))
		TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_EQ(1, dist_stat("version_records"));
	memset(&old, 0, sizeof(old));
	old.name = "disk-data";
	old.raw_policy = v7_pol;
	old.raw_policy_len = v7_pol_len;
	old.sealed = v7_blob;
	old.sealed_len = v7_len;
	EXPECT_EQ(-ESTALE, attempt(e, &old));
	TH_LOG("version 7 after 8 and a reload: %s", e->g.ext_msg);
	/* version 8 is still the one installed, and still delivers */
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out));
	EXPECT_EQ(8, out.keys[0].version);
	free(blob);
}

TEST_F(hostile_distributor, cannot_roll_back)
{
	struct env *e = self->e;
	uint8_t v7_blob[KF_SEALED_MAX], v7_pol[KF_POLICY_MAX];
	struct item_spec it, old;
	struct kf_installed out;
	size_t v7_len, v7_pol_len;
	struct snap s;
	int32_t v8;

	logon64(&it, "disk-data", 7);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out));
	EXPECT_EQ(7, out.keys[0].version);
	v7_len = e->reply->items[0].sealed_len;
	memcpy(v7_blob, e->reply->items[0].sealed, v7_len);
	v7_pol_len = e->reply->items[0].policy_len;
	memcpy(v7_pol, e->reply->items[0].policy, v7_pol_len);
	logon64(&it, "disk-data", 8);
	it.key = evil64;	/* the owner rotated the key with version 8 */
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out));
	v8 = out.keys[0].serial;
	EXPECT_EQ(8, out.keys[0].version);
	ASSERT_EQ(0, snap_take(&e->g, &s));

	/* the distributor serves the version 7 it kept */
	memset(&old, 0, sizeof(old));
	old.name = "disk-data";
	old.raw_policy = v7_pol;
	old.raw_policy_len = v7_pol_len;
	old.sealed = v7_blob;
	old.sealed_len = v7_len;
	kf_vm_run(NULL, 0, "dmesg -c >/dev/null 2>&1");
	EXPECT_EQ(-ESTALE, attempt(e, &old));
	TH_LOG("version 7 after 8: %s", e->g.ext_msg);
	EXPECT_NE(NULL, strstr(e->g.ext_msg, "rollback"));
	EXPECT_EQ(0, kf_vm_run(NULL, 0,
			       "dmesg | grep -q 'item disk-data of owner ops: version 7 refused, 8 installed'"));
	EXPECT_EQ(0, snap_same(&e->g, &s));
	EXPECT_EQ(v8, find_in_session("logon", "keyferry:ops:disk-data"));
	/* the same version again is a renewal: accepted */
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out));
	EXPECT_EQ(8, out.keys[0].version);
	EXPECT_EQ(1, dist_stat("version_records"));
}

TEST_F(hostile_distributor, owner_key_rotation)
{
	struct env *e = self->e;
	struct dist_key ko2;
	struct item_spec it;
	struct kf_installed out;
	struct kf_module_status st;
	int32_t before_retire;
	char buf[256];

	ASSERT_EQ(0, kf_x25519_keygen(ko2.priv, ko2.pub));
	/* a second key for the owner ops: a rotation, not a new owner */
	ASSERT_EQ(0, kf_genl_owner_add(&e->g, DIST_OWNER, ko2.pub));
	logon64(&it, "kept", 1);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	before_retire = out.keys[0].serial;
	logon64(&it, "old-key-item", 1);
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	logon64(&it, "new-key-item", 1);
	it.owner = &ko2;
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_STREQ("keyferry:ops:new-key-item", out.keys[0].description);
	/* one owner: versions carry over from one key to the other */
	logon64(&it, "old-key-item", 2);
	it.owner = &ko2;
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out));
	logon64(&it, "old-key-item", 1);
	EXPECT_EQ(-ESTALE, attempt(e, &it));

	/* the old key retired: its items are refused, its keys stay */
	ASSERT_EQ(0, kf_genl_owner_retire(&e->g, e->ko.pub));
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_EQ(2, st.n_owners);	/* ops (the new key) and dev */
	logon64(&it, "after-retire", 1);
	EXPECT_EQ(-EKEYREJECTED, attempt(e, &it));
	TH_LOG("item of the retired key: %s", e->g.ext_msg);
	it.owner = &ko2;
	EXPECT_EQ(0, attempt(e, &it)) TH_LOG("ext: %s", e->g.ext_msg);
	logon64(&it, "new-key-item", 1);
	it.owner = &ko2;
	EXPECT_EQ(0, attempt(e, &it));
	/* what the retired key installed before stays */
	EXPECT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl describe %d 2>&1", before_retire))
		TH_LOG("%s", buf);
	EXPECT_EQ(before_retire, find_in_session("logon", "keyferry:ops:kept"));
}

/* A transfer begun and abandoned runs the collector; true once it tracks no key. */
static bool collected(struct env *e, const struct item_spec *item)
{
	if (!dist_begin(e, item, 1))
		kf_genl_transfer_abandon(&e->g, e->id);
	return dist_stat("tracked_keys") == 0;
}

TEST_F_TIMEOUT(hostile_distributor, version_records_are_bounded_not_forgotten, 900)
{
	struct env *e = self->e;
	struct item_spec items[KEYFERRY_MAX_ITEMS];
	char names[KEYFERRY_MAX_ITEMS][16];
	struct snap s;
	unsigned int t, i;

	for (t = 0; t < KEYFERRY_MAX_VERSION_RECORDS / KEYFERRY_MAX_ITEMS; t++) {
		for (i = 0; i < KEYFERRY_MAX_ITEMS; i++) {
			snprintf(names[i], sizeof(names[i]), "v%u-%u", t, i);
			logon64(&items[i], names[i], 1);
		}
		ASSERT_EQ(0, dist_deliver(e, items, KEYFERRY_MAX_ITEMS,
					  KEY_SPEC_SESSION_KEYRING, NULL))
			TH_LOG("transfer %u: %s", t, e->g.ext_msg);
		/* the keys go; their version records stay */
		kf_vm_run(NULL, 0, "keyctl clear @s");
	}
	EXPECT_EQ(KEYFERRY_MAX_VERSION_RECORDS, dist_stat("version_records"));
	/*
	 * Let the collector forget the cleared keys before the snapshot: the
	 * keyring drops its references after an RCU grace period, and the
	 * collector runs when a transfer begins or ends.  60 s by the clock:
	 * each begin is a handshake, slow on a loaded debug guest.
	 */
	EXPECT_TRUE(KF_VM_WAIT(collected(e, items), 60));
	EXPECT_EQ(0, dist_stat("tracked_keys"));
	ASSERT_EQ(0, snap_take(&e->g, &s));
	logon64(&items[0], "one-too-many", 1);
	EXPECT_EQ(-ENOSPC, attempt(e, &items[0]));
	TH_LOG("one more item: %s", e->g.ext_msg);
	EXPECT_EQ(0, snap_same(&e->g, &s));
	/* an item with a record is still welcome */
	logon64(&items[0], "v3-4", 1);
	EXPECT_EQ(0, attempt(e, &items[0])) TH_LOG("%s", e->g.ext_msg);
}

TEST_HARNESS_MAIN
