// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown of a key's consumers (userspace/keyferry/teardown*.c), inside
 * the test VM, on real dm-crypt and fscrypt: what the daemon runs when the
 * module revokes a key, run here by hand with `keyferry teardown`.  The
 * key is a logon key the test adds itself (the consumer never knows who
 * made it); the daemon's path, from a real revocation, is in test_e2e.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kselftest_harness.h>
/* Transfers and programs, fixture included, on a loaded debug guest: > 30 s. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#include "selftests/lib/fscrypt.h"
#include "selftests/lib/vm.h"

#define DIR "/tmp/td"
#define CONF DIR "/keyferry.conf"
#define MNT "/mnt/td"
#define KEY_DESC "keyferry:ops:disk-data"
#define TABLE "0 32768 crypt aes-xts-plain64 :64:logon:" KEY_DESC " 0 /dev/loop0 0"
/* The same, as the kernel shows it. */
#define TABLE_SHOWN "0 32768 crypt aes-xts-plain64 :64:logon:" KEY_DESC " 0 7:0 0\n"

FIXTURE(td) {
	char out[4096];
};

/*
 * A 16 MiB dm-crypt volume kf-td on /dev/loop0 whose key is the logon key
 * keyferry:ops:disk-data in this session, an ext4 in it holding a file,
 * and a configuration that names it for the item disk-data.
 */
FIXTURE_SETUP(td)
{
	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	/* Loop devices an earlier test may have left attached. */
	kf_vm_run(NULL, 0, "losetup -d /dev/loop0 2>/dev/null; losetup -d /dev/loop1 2>/dev/null; true");
	RUN_OK(self->out, "rm -rf " DIR " && mkdir -p " DIR " " MNT " && modprobe loop 2>/dev/null;"
	       " modprobe dm-crypt 2>/dev/null; head -c 64 /dev/urandom > " DIR "/key &&"
	       " keyctl padd logon " KEY_DESC " @s < " DIR "/key > /dev/null &&"
	       " dd if=/dev/zero of=" DIR "/disk.img bs=1M count=16 2>/dev/null &&"
	       " losetup /dev/loop0 " DIR "/disk.img && echo '" TABLE "' | dmsetup create kf-td &&"
	       " mkfs.ext4 -q /dev/mapper/kf-td && mount /dev/mapper/kf-td " MNT " &&"
	       " echo 'quarterly numbers: up' > " MNT "/report.txt && sync && umount " MNT " &&"
	       " printf 'item = disk-data\\nteardown = disk-data dm-crypt kf-td\\n' > " CONF " 2>&1");
}

FIXTURE_TEARDOWN(td)
{
	kf_vm_run(NULL, 0, "umount " MNT " 2>/dev/null; dmsetup remove_all 2>/dev/null;"
		  " losetup -d /dev/loop0 2>/dev/null; losetup -d /dev/loop1 2>/dev/null; true");
}

/* The device's table as dmsetup prints it, or its error. */
static int dm_table(char *out, size_t cap)
{
	return kf_vm_run(out, cap, "dmsetup table kf-td 2>&1");
}

TEST_F(td, closed_volume_goes_and_its_key_with_it)
{
	RUN_OK(self->out, "dmsetup table kf-td");
	EXPECT_STREQ(TABLE_SHOWN, self->out);
	RUN_OK(self->out, "keyferry teardown --config " CONF " disk-data 2>&1");
	EXPECT_STREQ("disk-data: dm-crypt kf-td: key wiped, crypt table destroyed, removed\n",
		     self->out);
	EXPECT_NE(0, dm_table(self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "No such device or address"));
	EXPECT_NE(0, access("/dev/mapper/kf-td", F_OK));
	/* Nothing was destroyed but the opening: the key reopens it. */
	RUN_OK(self->out, "echo '" TABLE "' | dmsetup create kf-td && mount /dev/mapper/kf-td "
	       MNT " && cat " MNT "/report.txt");
	EXPECT_STREQ("quarterly numbers: up\n", self->out);
}

/*
 * Mounted: the device cannot go while the filesystem holds it, but its key
 * and crypt table go at once, so the data is unreadable from then on
 * (cached pages dropped, every read an I/O error), and the name goes at
 * the last close.
 */
TEST_F(td, mounted_volume_becomes_unreadable_at_once)
{
	RUN_OK(self->out, "mount /dev/mapper/kf-td " MNT " && cat " MNT "/report.txt");
	EXPECT_STREQ("quarterly numbers: up\n", self->out);
	RUN_OK(self->out, "keyferry teardown --config " CONF " --all 2>&1");
	EXPECT_STREQ("disk-data: dm-crypt kf-td: key wiped, crypt table destroyed, still open:"
		     " removed at its last close\n", self->out);
	RUN_OK(self->out, "dmsetup table kf-td");
	EXPECT_STREQ("0 32768 error \n", self->out);
	EXPECT_NE(0, kf_vm_run(self->out, sizeof(self->out), "cat " MNT "/report.txt 2>&1"));
	EXPECT_NE(NULL, strstr(self->out, "error"));
	/* the deferred removal runs from a work item after the last close */
	RUN_OK(self->out, "umount " MNT " 2>&1");
	EXPECT_TRUE(KF_VM_WAIT(!kf_vm_run(self->out, sizeof(self->out),
					  "dmsetup info kf-td 2>&1; true") &&
			       strstr(self->out, "not exist"), 30)) TH_LOG("%s", self->out);
}

TEST_F(td, running_it_twice_or_on_a_closed_volume_is_not_an_error)
{
	RUN_OK(self->out, "keyferry teardown --config " CONF " disk-data 2>&1");
	RUN_OK(self->out, "keyferry teardown --config " CONF " disk-data 2>&1");
	EXPECT_STREQ("disk-data: dm-crypt kf-td: not open\n", self->out);
}

/* A device that is not dm-crypt is refused and left exactly as it was. */
TEST_F(td, a_device_that_is_not_dm_crypt_is_left_alone)
{
	RUN_OK(self->out, "echo '0 2048 linear /dev/loop0 0' | dmsetup create kf-lin &&"
	       " printf 'teardown = disk-data dm-crypt kf-lin\\n' > " DIR "/lin.conf");
	EXPECT_EQ(5, kf_vm_run(self->out, sizeof(self->out),
			       "keyferry teardown --config " DIR "/lin.conf disk-data 2>&1"));
	EXPECT_STREQ("keyferry teardown: disk-data: kf-lin has a linear target: not a dm-crypt"
		     " device\n", self->out);
	RUN_OK(self->out, "dmsetup table kf-lin && dmsetup info -c --noheadings -o attr kf-lin");
	EXPECT_STREQ("0 2048 linear 7:0 0\nL--w\n", self->out);
}

TEST_F(td, bad_entries_are_refused_naming_the_field)
{
	static const struct { const char *line, *why; } bad[] = {
		{ "teardown = disk-data", "teardown \"disk-data\": expected ITEM dm-crypt NAME or"
		  " ITEM fscrypt DIR" },
		{ "teardown = disk-data luks kf-td", "teardown disk-data: \"luks\" is not dm-crypt"
		  " or fscrypt" },
		{ "teardown = disk-data dm-crypt /dev/mapper/kf-td", "teardown disk-data: dm-crypt"
		  " \"/dev/mapper/kf-td\" is not a device-mapper name (as in /dev/mapper/NAME)" },
		{ "teardown = disk-data fscrypt home", "teardown disk-data: fscrypt \"home\" is not"
		  " an absolute directory path" },
		{ "teardown = bad!name dm-crypt kf-td", "teardown: item \"bad!name\" is not a"
		  " valid name" },
		{ "teardown = disk-data dm-crypt kf-td extra", "teardown \"disk-data dm-crypt kf-td"
		  " extra\": expected ITEM dm-crypt NAME or ITEM fscrypt DIR" },
	};
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		RUN_OK(self->out, "echo '%s' > " DIR "/bad.conf", bad[i].line);
		EXPECT_EQ(1, kf_vm_run(self->out, sizeof(self->out),
				       "keyferry teardown --config " DIR "/bad.conf --all 2>&1"));
		snprintf(want, sizeof(want), "keyferry teardown: " DIR "/bad.conf:1: %s\n",
			 bad[i].why);
		EXPECT_STREQ(want, self->out);
	}
	/* And nothing was touched. */
	RUN_OK(self->out, "dmsetup table kf-td");
	EXPECT_STREQ(TABLE_SHOWN, self->out);
}

/*
 * fscrypt: the directory's policy names its key; teardown removes it for
 * every user, and names and contents are unreadable afterwards.
 */
TEST_F(td, fscrypt_directory_locks)
{
	uint8_t id[FSCRYPT_KEY_IDENTIFIER_SIZE], raw[64];
	FILE *f;

	memset(raw, 0x5a, sizeof(raw));
	RUN_OK(self->out, "mkfs.ext4 -q -O encrypt " DIR "/fs.img 32M && losetup /dev/loop1 "
	       DIR "/fs.img && mount -t ext4 /dev/loop1 " MNT " && mkdir " MNT "/vault &&"
	       " printf 'teardown = home fscrypt " MNT "/vault\\n' > " DIR "/fs.conf 2>&1");
	ASSERT_EQ(0, kf_fscrypt_add_raw_key(MNT, raw, sizeof(raw), id));
	ASSERT_EQ(0, kf_fscrypt_set_policy(MNT "/vault", id));
	f = fopen(MNT "/vault/plan.txt", "w");
	if (!f && errno == ENOPKG)
		SKIP(return, "this kernel lacks the ciphers fscrypt needs (ENOPKG)");
	ASSERT_NE(NULL, f);
	fputs("the secret plan\n", f);
	fclose(f);
	RUN_OK(self->out, "sync && cat " MNT "/vault/plan.txt");
	EXPECT_STREQ("the secret plan\n", self->out);
	RUN_OK(self->out, "keyferry teardown --config " DIR "/fs.conf home 2>&1");
	EXPECT_STREQ("home: fscrypt " MNT "/vault: key removed\n", self->out);
	RUN_OK(self->out, "ls " MNT "/vault");
	EXPECT_EQ(NULL, strstr(self->out, "plan.txt"));
	EXPECT_NE(0, kf_vm_run(self->out, sizeof(self->out), "cat " MNT "/vault/*"));
	/* Again: already removed is done. */
	RUN_OK(self->out, "keyferry teardown --config " DIR "/fs.conf home 2>&1");
	EXPECT_STREQ("home: fscrypt " MNT "/vault: key already removed\n", self->out);
}

TEST_HARNESS_MAIN
