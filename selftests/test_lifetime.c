// SPDX-License-Identifier: GPL-2.0
/*
 * How long delivered keys live (issue 11 part 2, issue 13 parts 4 and 5):
 * the module ends a key at its policy's lifetime, min(TIMEOUT, NOT_AFTER -
 * now, LEASE + GRACE), counted on CLOCK_BOOTTIME, whatever userspace did
 * with it; and an authenticated "revoked" ends every key it installed.
 *
 *   - default permissions carry no SETATTR: `keyctl timeout KEY 0` and
 *     `keyctl setperm` are refused, to root as to anyone;
 *   - a key with NOT_AFTER and no TIMEOUT is revoked at NOT_AFTER (in every
 *     keyring it was linked into): a dm-crypt table naming it no longer
 *     loads, and an EXPIRED event says which key;
 *   - setting the wall clock back (root can) does not extend a key: the
 *     module counts on CLOCK_BOOTTIME;
 *   - a lease not renewed lapses (REVOKED event, reason LEASE); GRACE
 *     extends it; a renewal (the same item delivered again) restarts it;
 *     pending transfers and short keys are forgotten on time;
 *   - a revoked reply revokes every installed key, wipes every unwrapping
 *     key, refuses every transfer, emits REVOKED events naming each key and
 *     a last one with the count; only a replaced and re-enrolled identity
 *     installs again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
	0x6b, 0x65, 0x79, 0x66, 0x65, 0x72, 0x72, 0x79, 0x2d, 0x6c, 0x69, 0x66,
	0x65, 0x74, 0x69, 0x6d, 0x65, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2d, 0x6b,
	0x65, 0x79, 0x2d, 0x36, 0x34, 0x2d, 0x62, 0x79, 0x74, 0x65, 0x73, 0x2d,
	0x6c, 0x6f, 0x6e, 0x67, 0x2d, 0x66, 0x6f, 0x72, 0x2d, 0x61, 0x65, 0x73,
	0x2d, 0x78, 0x74, 0x73, 0x2d, 0x64, 0x6d, 0x2d, 0x63, 0x72, 0x79, 0x70,
	0x74, 0x21, 0x21, 0x21,
};

FIXTURE(life) {
	struct env *e;
	char dev[256];		/* a loop device for dm-crypt tables */
};

FIXTURE_SETUP(life)
{
	char out[256];

	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	self->e = calloc(1, sizeof(*self->e));
	ASSERT_NE(NULL, self->e);
	ASSERT_EQ(0, dist_env_init(self->e)) TH_LOG("ext: %s", self->e->g.ext_msg);
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out),
			       "(modprobe dm-crypt; modprobe loop) 2>/dev/null; "
			       "dd if=/dev/zero of=/tmp/life.img bs=64k count=1 2>/dev/null && "
			       "d=$(losetup -f) && losetup $d /tmp/life.img && printf %%s $d"));
	snprintf(self->dev, sizeof(self->dev), "%s", out);
	ASSERT_EQ(0, strncmp(self->dev, "/dev/loop", 9)) TH_LOG("%s", out);
	/* a first table with a key in clear loads the cipher modules now, so
	 * that the timed steps below do not wait for modprobe */
	ASSERT_EQ(0, kf_vm_run(out, sizeof(out),
			       "echo '0 64 crypt aes-xts-plain64 %0128d 0 %s 0' | "
			       "dmsetup create kf-life 2>&1 && dmsetup remove kf-life", 7, self->dev))
		TH_LOG("%s", out);
}

FIXTURE_TEARDOWN(life)
{
	if (self->dev[0])
		kf_vm_run(NULL, 0, "dmsetup remove kf-life 2>/dev/null; losetup -d %s", self->dev);
	if (self->e) {
		dist_env_fini(self->e);
		free(self->e);
	}
}

/* 0 when a dm-crypt table naming keyferry:<desc> loads (then removed). */
static int dm_load(const char *dev, const char *desc)
{
	char out[512];
	int rc;

	rc = kf_vm_run(out, sizeof(out),
		       "echo '0 64 crypt aes-xts-plain64 :64:logon:%s 0 %s 0' | "
		       "dmsetup create kf-life 2>&1 && dmsetup remove kf-life", desc, dev);
	if (rc)
		fprintf(stderr, "# dm-crypt table with %s: exit %d: %s", desc, rc, out);
	return rc;
}

/* `keyctl describe`: 0 and its line when the key is usable, else non-zero. */
static int describe(int32_t serial, char *out, size_t cap)
{
	return kf_vm_run(out, cap, "keyctl describe %d 2>&1", serial);
}

/*
 * Whether the module ended the key: revoked, or already collected after
 * its revocation (test_e2e sets the kernel's gc_delay to 1 s), but not
 * merely expired, which is the kernel's own wall-clock expiry.
 */
static bool revoked(int32_t serial, char *out, size_t cap)
{
	return describe(serial, out, cap) &&
	       (strstr(out, "revoked") || strstr(out, "Required key not available"));
}

/*
 * Wait (by the clock, secs) until the module ended the key; the seconds
 * since t0 when that was first seen, or -1.  The collector is a work item
 * its timer queues: on a loaded guest it runs late, never early, so the
 * figure is an upper bound on when the key ended and a lower bound a test
 * can hold strictly.
 */
static double ended_after(int32_t serial, double t0, char *out, size_t cap, double secs)
{
	return KF_VM_WAIT(revoked(serial, out, cap), secs) ? kf_vm_now() - t0 : -1;
}

/* Sleep until CLOCK_MONOTONIC reaches t (kf_vm_now()). */
static void sleep_until(double t)
{
	double left;

	while ((left = t - kf_vm_now()) > 0)
		usleep(left > 1 ? 1000 * 1000 : (useconds_t)(left * 1e6) + 1);
}

static void logon64(struct item_spec *it, const char *name)
{
	memset(it, 0, sizeof(*it));
	it->name = name;
	it->key = key64;
	it->key_len = sizeof(key64);
	dist_policy(&it->pol, KF_KEY_LOGON, sizeof(key64));
}

TEST_F(life, no_setattr_by_default_so_nobody_changes_a_lifetime)
{
	struct env *e = self->e;
	struct item_spec it;
	struct kf_installed out;
	char buf[512];
	int32_t k;

	logon64(&it, "perm");
	it.pol.timeout = 3600;
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	k = out.keys[0].serial;
	/* possessor view, search, link (0x19); user view, search (0x09) */
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl rdescribe %d 2>&1", k));
	EXPECT_NE(NULL, strstr(buf, ";19090000;keyferry:ops:perm")) TH_LOG("%s", buf);
	/* root possesses it (session keyring), and still may not */
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "keyctl timeout %d 0 2>&1", k));
	TH_LOG("keyctl timeout KEY 0: %s", buf);
	EXPECT_NE(NULL, strstr(buf, "Permission denied"));
	EXPECT_NE(0, kf_vm_run(buf, sizeof(buf), "keyctl setperm %d 0x3f3f0000 2>&1", k));
	TH_LOG("keyctl setperm KEY 0x3f3f0000: %s", buf);
	EXPECT_NE(NULL, strstr(buf, "Permission denied"));
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl rdescribe %d 2>&1", k));
	EXPECT_NE(NULL, strstr(buf, ";19090000;")) TH_LOG("%s", buf);
	/* the owner can grant SETATTR in PERM, and then it is there */
	logon64(&it, "perm2");
	it.pol.has_perm = true;
	it.pol.perm = 0x3f090000;
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl timeout %d 600 2>&1",
			       out.keys[0].serial)) TH_LOG("%s", buf);
}

/*
 * Lifetimes are whole seconds (NOT_AFTER on the wall clock, TIMEOUT from
 * the install), so a key of 20 s ends at least 19 s after its transfer
 * began, and NOT_AFTER (now + 20, now truncated and converted to the boot
 * clock) at least 18 s after the test read the clock; the collector may
 * end them late on a loaded guest, so the upper bound is 60 s past.
 */
TEST_F_TIMEOUT(life, not_after_and_timeout_end_keys_whatever_userspace_did, 300)
{
	struct env *e = self->e;
	struct item_spec na, to;
	struct kf_installed out;
	struct dist_events ev;
	const struct dist_event *x;
	time_t now = time(NULL);
	double t0 = kf_vm_now(), t_to, took_na, took_to;
	long ended = dist_stat("keys_ended");
	int32_t k_na, k_to;
	char buf[512];

	ASSERT_EQ(0, dist_events_open(&ev));
	/* no TIMEOUT, NOT_AFTER in 20 s: version 1 let such a key live on */
	logon64(&na, "not-after");
	na.pol.not_after = (uint64_t)now + 20;
	ASSERT_EQ(0, dist_deliver(e, &na, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	k_na = out.keys[0].serial;
	EXPECT_LE(out.keys[0].expiry, (uint64_t)now + 21);
	EXPECT_GE(out.keys[0].expiry, (uint64_t)now + 15);
	logon64(&to, "time-out");
	to.pol.timeout = 20;
	t_to = kf_vm_now();
	ASSERT_EQ(0, dist_deliver(e, &to, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	k_to = out.keys[0].serial;
	/* userspace links them elsewhere too: root's user keyring */
	ASSERT_EQ(0, kf_vm_run(buf, sizeof(buf), "keyctl link %d @u && keyctl link %d @u 2>&1",
			       k_na, k_to)) TH_LOG("%s", buf);
	/* usable now (describe: quicker than a table, on a slow guest) */
	EXPECT_EQ(0, describe(k_na, buf, sizeof(buf))) TH_LOG("%s", buf);
	EXPECT_EQ(0, describe(k_to, buf, sizeof(buf))) TH_LOG("%s", buf);
	EXPECT_EQ(0, dm_load(self->dev, "keyferry:ops:not-after"));

	/* revoked (not merely expired), wherever it is linked; not before its end */
	took_na = ended_after(k_na, t0, buf, sizeof(buf), 20 + 60 - (kf_vm_now() - t0));
	TH_LOG("NOT_AFTER now + 20: ended %.1f s after the test began", took_na);
	EXPECT_LE(18.0, took_na) TH_LOG("%s", buf);
	took_to = ended_after(k_to, t_to, buf, sizeof(buf), 20 + 60 - (kf_vm_now() - t_to));
	TH_LOG("TIMEOUT 20: ended %.1f s after its transfer began", took_to);
	EXPECT_LE(19.0, took_to) TH_LOG("%s", buf);
	EXPECT_NE(0, dm_load(self->dev, "keyferry:ops:not-after"));
	EXPECT_NE(0, dm_load(self->dev, "keyferry:ops:time-out"));
	EXPECT_EQ(0, dist_listed(&e->g, "keyferry:ops:not-after"));
	/* the counter moves after the revocation: wait for it, then count exactly */
	KF_VM_WAIT(dist_stat("keys_ended") >= ended + 2, 30);
	EXPECT_EQ(ended + 2, dist_stat("keys_ended"));
	/* the events name each key: what a daemon tears consumers down by */
	x = dist_events_wait(&ev, KEYFERRY_EVENT_EXPIRED, 0, k_na, 30);
	ASSERT_NE(NULL, x);
	EXPECT_STREQ("keyferry:ops:not-after", x->key.description);
	EXPECT_STREQ("not-after", x->item);
	EXPECT_NE(NULL, dist_events_wait(&ev, KEYFERRY_EVENT_EXPIRED, 0, k_to, 30));
	dist_events_close(&ev);
	kf_vm_run(NULL, 0, "keyctl clear @u");
}

static void clock_shift(time_t by)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += by;
	clock_settime(CLOCK_REALTIME, &ts);
}

/*
 * An 8 s key ends 7 to 60 s after its transfer began (whole seconds; a
 * loaded guest's collector runs late), never an hour later.
 */
TEST_F_TIMEOUT(life, wall_clock_set_back_does_not_extend_a_key, 300)
{
	struct env *e = self->e;
	struct item_spec it;
	struct kf_installed out;
	double t0, took;
	char buf[512];
	int32_t k;

	logon64(&it, "clock");
	it.pol.timeout = 8;
	t0 = kf_vm_now();
	ASSERT_EQ(0, dist_deliver(e, &it, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	k = out.keys[0].serial;
	/* root sets the wall clock an hour back: the kernel's own expiry of
	 * the key (wall clock) is an hour away again, the module's is not */
	clock_shift(-3600);
	took = ended_after(k, t0, buf, sizeof(buf), 60);	/* CLOCK_MONOTONIC: not shifted */
	clock_shift(3600);
	TH_LOG("TIMEOUT 8, the wall clock an hour back: ended %.1f s after its transfer began",
	       took);
	EXPECT_LE(7.0, took) TH_LOG("%s", buf);
	EXPECT_NE(0, dm_load(self->dev, "keyferry:ops:clock"));
}

/*
 * What must still live is checked first, as soon as every deadline set
 * before the pending transfer began has passed (the renewed lease then has
 * about 28 s left); what must have ended is then waited for, by the clock.
 */
TEST_F_TIMEOUT(life, transfers_keys_and_leases_end_on_time, 480)
{
	struct env *e = self->e;
	uint8_t kw[32];
	struct item_spec it = { .name = "late", .key = key64, .key_len = 64 };
	struct item_spec uw = { .name = "short-kw", .key = kw, .key_len = 32 };
	struct item_spec lg, la, lgr, lr;
	struct kf_installed out;
	struct dist_events ev;
	const struct dist_event *x;
	int32_t k_short, k_la, k_lgr, k_lr_old, k_lr;
	double t_begun, t_renew;
	time_t now;
	long expired;
	uint32_t id;
	char buf[1024];
	uint8_t *late_m2 = malloc(sizeof(e->m2));
	size_t late_len;

	ASSERT_EQ(0, kf_random(kw, sizeof(kw)));
	ASSERT_EQ(0, dist_events_open(&ev));
	dist_policy(&it.pol, KF_KEY_LOGON, 64);
	/* an unwrapping key and a logon key with a 2 s TIMEOUT */
	dist_policy(&uw.pol, KF_KEY_UNWRAP, 32);
	uw.pol.timeout = 2;
	ASSERT_EQ(0, dist_deliver(e, &uw, 1, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	logon64(&lg, "short-logon");
	lg.pol.timeout = 2;
	ASSERT_EQ(0, dist_deliver(e, &lg, 1, KEY_SPEC_SESSION_KEYRING, &out));
	k_short = out.keys[0].serial;
	EXPECT_EQ(1, dist_listed(&e->g, "ops:short-kw"));
	EXPECT_EQ(1, dist_listed(&e->g, "keyferry:ops:short-logon"));

	/* leases of 60 s: one left to lapse, one with an hour's grace, one renewed */
	now = time(NULL);
	logon64(&la, "lease-lapses");
	la.pol.lease = 60;
	ASSERT_EQ(0, dist_deliver(e, &la, 1, KEY_SPEC_SESSION_KEYRING, &out));
	k_la = out.keys[0].serial;
	EXPECT_GE(out.keys[0].renew_by, (uint64_t)now + 59);
	EXPECT_LE(out.keys[0].renew_by, (uint64_t)now + 62);
	EXPECT_LE(out.keys[0].expiry, (uint64_t)now + 62);
	logon64(&lgr, "lease-grace");
	lgr.pol.lease = 60;
	lgr.pol.grace = 3600;
	ASSERT_EQ(0, dist_deliver(e, &lgr, 1, KEY_SPEC_SESSION_KEYRING, &out));
	k_lgr = out.keys[0].serial;
	EXPECT_GE(out.keys[0].expiry, (uint64_t)now + 3659);
	logon64(&lr, "lease-renewed");
	lr.pol.lease = 60;
	ASSERT_EQ(0, dist_deliver(e, &lr, 1, KEY_SPEC_SESSION_KEYRING, &out));
	k_lr_old = out.keys[0].serial;

	/* a transfer left pending for longer than 60 s */
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	t_begun = kf_vm_now();
	id = e->id;
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	ASSERT_NE(NULL, late_m2);
	memcpy(late_m2, e->m2, e->m2_len);
	late_len = e->m2_len;
	expired = dist_stat("transfers_expired");

	sleep_until(t_begun + 30);
	/* the renewal: the same item again restarts its lease (a new key) */
	t_renew = kf_vm_now();
	ASSERT_EQ(0, dist_deliver(e, &lr, 1, KEY_SPEC_SESSION_KEYRING, &out))
		TH_LOG("ext: %s", e->g.ext_msg);
	k_lr = out.keys[0].serial;
	EXPECT_NE(k_lr_old, k_lr);
	EXPECT_NE(0, describe(k_lr_old, buf, sizeof(buf)));	/* superseded */
	/* past the pending transfer's deadline, and the leases begun before it */
	sleep_until(t_begun + KEYFERRY_TRANSFER_TIMEOUT_SECS + 1);

	/* grace kept one, renewal the other (its lease ends 59 s after t_renew at the soonest) */
	EXPECT_EQ(0, describe(k_lgr, buf, sizeof(buf))) TH_LOG("%s", buf);
	EXPECT_EQ(0, describe(k_lr, buf, sizeof(buf))) TH_LOG("%s", buf);
	EXPECT_EQ(0, dm_load(self->dev, "keyferry:ops:lease-renewed"));
	TH_LOG("the renewed key was live at least %.1f s after the old one's lease ended,"
	       " %.1f s before its own could end",
	       kf_vm_now() - t_begun - KEYFERRY_TRANSFER_TIMEOUT_SECS, t_renew + 59 - kf_vm_now());
	dist_events_poll(&ev, 1000);
	EXPECT_EQ(NULL, dist_event_find(&ev, KEYFERRY_EVENT_REVOKED, 0, k_lr));

	/* the collector ran on its own (late, on a loaded guest): nothing pending */
	EXPECT_TRUE(KF_VM_WAIT(dist_stat("pending") == 0 &&
			       dist_stat("transfers_expired") >= expired + 1, 60));
	EXPECT_EQ(0, dist_stat("pending"));
	EXPECT_EQ(expired + 1, dist_stat("transfers_expired"));
	e->id = id;
	memcpy(e->m2, late_m2, late_len);
	e->m2_len = late_len;
	free(late_m2);
	EXPECT_EQ(-ENOENT, dist_finish(e, 0, NULL)) TH_LOG("ext: %s", e->g.ext_msg);
	/* the short keys (2 s) are gone */
	EXPECT_EQ(0, dist_listed(&e->g, "ops:short-kw"));
	EXPECT_EQ(0, dist_listed(&e->g, "keyferry:ops:short-logon"));
	EXPECT_NE(0, describe(k_short, buf, sizeof(buf)));
	/* the lease not renewed lapsed: revoked, and a REVOKED event says so */
	EXPECT_TRUE(KF_VM_WAIT(revoked(k_la, buf, sizeof(buf)), 60)) TH_LOG("%s", buf);
	EXPECT_NE(0, dm_load(self->dev, "keyferry:ops:lease-lapses"));
	x = dist_events_wait(&ev, KEYFERRY_EVENT_REVOKED, KEYFERRY_REVOKE_LEASE, k_la, 30);
	ASSERT_NE(NULL, x);
	EXPECT_STREQ("keyferry:ops:lease-lapses", x->key.description);
	EXPECT_EQ(NULL, dist_event_find(&ev, KEYFERRY_EVENT_REVOKED, 0, k_lgr));
	dist_events_close(&ev);
	/* data under the ended unwrapping key is refused */
	it.kw = kw;
	snprintf(it.pol.unwrap_key, sizeof(it.pol.unwrap_key), "short-kw");
	ASSERT_EQ(0, dist_begin(e, &it, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &it, 1, 0));
	EXPECT_EQ(-ENOKEY, dist_finish(e, 0, NULL));
}

TEST_F(life, revoked_reply_ends_every_key_and_the_entity)
{
	struct env *e = self->e;
	uint8_t kw[32], fs[64];
	struct item_spec disk, lic, grp, fsk;
	struct kf_transfer_begin enroll = { .kind = KEYFERRY_TRANSFER_ENROLL };
	struct kf_installed out;
	struct kf_module_status st;
	struct dist_events ev;
	const struct dist_event *x;
	int32_t serial[3];
	char buf[512];
	unsigned int i, last = 0, before;
	int ret;

	ASSERT_EQ(0, kf_random(kw, sizeof(kw)));
	ASSERT_EQ(0, kf_random(fs, sizeof(fs)));
	logon64(&disk, "r-disk");
	ASSERT_EQ(0, dist_deliver(e, &disk, 1, KEY_SPEC_SESSION_KEYRING, &out));
	serial[0] = out.keys[0].serial;
	memset(&lic, 0, sizeof(lic));
	lic = (struct item_spec){ .name = "r-licence", .key = key64, .key_len = 16 };
	dist_policy(&lic.pol, KF_KEY_USER, 16);
	ASSERT_EQ(0, dist_deliver(e, &lic, 1, 0, &out));
	serial[1] = out.keys[0].serial;
	fsk = (struct item_spec){ .name = "r-fs", .key = fs, .key_len = 64 };
	dist_policy(&fsk.pol, KF_KEY_FSCRYPT, 64);
	ASSERT_EQ(0, dist_deliver(e, &fsk, 1, KEY_SPEC_SESSION_KEYRING, &out));
	serial[2] = out.keys[0].serial;
	grp = (struct item_spec){ .name = "r-group", .key = kw, .key_len = 32 };
	dist_policy(&grp.pol, KF_KEY_UNWRAP, 32);
	ASSERT_EQ(0, dist_deliver(e, &grp, 1, 0, &out));
	EXPECT_EQ(1, dist_stat("unwrap_keys"));
	EXPECT_EQ(0, dm_load(self->dev, "keyferry:ops:r-disk"));

	/* this identity's 4 keys, and any earlier identity's (earlier tests) */
	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	before = st.installed_keys;
	ASSERT_EQ(0, dist_events_open(&ev));
	ASSERT_EQ(0, dist_begin(e, &disk, 1));
	ASSERT_EQ(0, dist_answer(e, &e->kd, &disk, 1, KF_STATUS_REVOKED));
	EXPECT_EQ(-EKEYREVOKED, dist_finish(e, 0, NULL));
	TH_LOG("revoked: %s", e->g.ext_msg);

	ASSERT_EQ(0, kf_genl_get_status(&e->g, &st));
	EXPECT_EQ(KEYFERRY_ENTITY_REVOKED, st.entity_state);
	/* keys of earlier identities keep their own lifetimes */
	EXPECT_EQ(before - 4, st.installed_keys);
	EXPECT_EQ(0, dist_stat("unwrap_keys"));
	for (i = 0; i < 3; i++) {
		EXPECT_TRUE(revoked(serial[i], buf, sizeof(buf)))
			TH_LOG("key %d: %s", serial[i], buf);
	}
	EXPECT_NE(0, dm_load(self->dev, "keyferry:ops:r-disk"));
	/* one REVOKED event per key, naming it, then one with the count */
	dist_events_poll(&ev, 1000);
	for (i = 0; i < 3; i++) {
		x = dist_event_find(&ev, KEYFERRY_EVENT_REVOKED, KEYFERRY_REVOKE_ENTITY,
				    serial[i]);
		EXPECT_NE(NULL, x) TH_LOG("no REVOKED event for key %d", serial[i]);
	}
	x = dist_event_find(&ev, KEYFERRY_EVENT_REVOKED, KEYFERRY_REVOKE_ENTITY, 0);
	ASSERT_NE(NULL, x);
	EXPECT_STREQ("ops:r-group", x->key.description);
	for (i = 0; i < ev.n; i++)
		if (ev.ev[i].type == KEYFERRY_EVENT_REVOKED && !ev.ev[i].has_key)
			last = ev.ev[i].revoked_keys;
	EXPECT_EQ(4, last);
	dist_events_close(&ev);

	/* inert: no transfer of any kind begins */
	EXPECT_EQ(-EKEYREVOKED, dist_begin(e, &disk, 1));
	enroll.token = (const uint8_t *)"t";
	enroll.token_len = 1;
	enroll.nonce = kw;
	EXPECT_EQ(-EKEYREVOKED, kf_genl_transfer_begin(&e->g, &enroll, e->m1));
	/* until a new identity (REPLACE + CONFIRM_KEI) is enrolled */
	ASSERT_EQ(0, dist_entity(e, true));
	EXPECT_EQ(-ENOKEY, dist_begin(e, &disk, 1));
	ASSERT_EQ(0, dist_enroll(e));
	ret = dist_deliver(e, &disk, 1, KEY_SPEC_SESSION_KEYRING, &out);
	EXPECT_EQ(0, ret) TH_LOG("ext: %s", e->g.ext_msg);
	EXPECT_EQ(0, dm_load(self->dev, "keyferry:ops:r-disk"));
}

TEST_HARNESS_MAIN
