// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, inside the test VM: a repository (keyferry-repo on loopback,
 * SQLite store), its region authority (three members, two of whom sign each
 * statement), the owner's sealing tool (with its owner key Ko, which the
 * authority allows in the region and the host pins as owner "ops", and the
 * host's Kec fingerprint checked), the keyferry helper, the module, and real
 * consumers of the delivered keys: dm-crypt, fscrypt on ext4, keyctl.  Every
 * step is the command an operator types.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <kselftest_harness.h>
/*
 * Each test starts programs or runs several transfers, fixture included:
 * on the debug kernel (KASAN, TCG) of a loaded machine that takes longer
 * than the harness's default of 30 s.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#include "selftests/lib/fscrypt.h"
#include "selftests/lib/httpd.h"
#include "selftests/lib/vm.h"
#include "userspace/keyferry/genl.h"
#include "userspace/keyferry/http.h"
#include "userspace/keyferry/relay.h"

#define DIR "/tmp/e2e"
#define PORT 7370
#define URL "http://127.0.0.1:7370"
#define ADMIN "keyferry-admin --db " DIR "/r.db --repository " URL " "
/* Two of the region's three authority members sign (k = 2). */
#define SIGN2 " --sign " DIR "/alice.key --sign " DIR "/bob.key "
#define MEMBER(m) " --member " m "=$(" ADMIN "key show " DIR "/" m ".key)"
/*
 * The test's own requests to the repository: a transfer on a loaded debug
 * guest takes seconds; a timeout is no refusal (it would pass for one).
 */
#define HTTP_SECS 60

static bool port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void stop_repo(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Listening, or -1 when the child has exited. */
static int repo_ready(pid_t pid)
{
	if (waitpid(pid, NULL, WNOHANG) == pid)
		return -1;
	return port_open(PORT);
}

/*
 * Start keyferry-repo as an operator would; wait until it listens (60 s by
 * the clock: a loaded debug guest starts programs slowly), or fail at once
 * if it exited.  The port must be free first: a listener there would pass
 * for this one.  The repository dies with this process, so a test the
 * harness kills for its timeout leaves no listener to the next test.
 */
static pid_t start_repo(void)
{
	int fd, ready = 0;
	pid_t pid;

	if (port_open(PORT)) {
		fprintf(stderr, "# port %d is taken before the repository starts\n", PORT);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(DIR "/repo.log", O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("keyferry-repo", "keyferry-repo", "--db", DIR "/r.db", "--key",
		       DIR "/srv.key", "--port", "7370", "--authority",
		       DIR "/lab.authority", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || !KF_VM_WAIT((ready = repo_ready(pid)) != 0, 60) || ready < 0) {
		stop_repo(ready < 0 ? -1 : pid);
		return -1;
	}
	return pid;
}

FIXTURE(e2e) {
	pid_t repo;
	char token[128];
	char pub[64];
};

FIXTURE_SETUP(e2e)
{
	char out[4096];

	if (!kf_vm_inside())
		SKIP(return, "not inside the test VM");
	/* A fresh module: no entity, nothing installed. */
	ASSERT_EQ(0, kf_vm_unload());
	ASSERT_EQ(0, kf_vm_load());
	/* The region's authority: three members' keys, its first statement
	 * signed by two, the authority file the repository is started with. */
	RUN_OK(out, "rm -rf " DIR " && mkdir -p " DIR " && "
	       ADMIN "serverkey generate " DIR "/srv.key && for m in alice bob carol;"
	       " do " ADMIN "key generate " DIR "/$m.key || exit 1; done && "
	       ADMIN "prepare region lab --threshold 2" MEMBER("alice") MEMBER("bob")
	       MEMBER("carol") SIGN2 "--out " DIR "/lab.sub && "
	       ADMIN "authority export " DIR "/lab.sub --out " DIR "/lab.authority && "
	       "keyferry-seal owner-key generate " DIR "/owner.key 2>&1");
	self->repo = start_repo();
	ASSERT_LT(0, self->repo);
	RUN_OK(out, ADMIN "submit " DIR "/lab.sub && "
	       ADMIN "prepare dataset create lab disks --read entity:host1" SIGN2
	       "--submit && " ADMIN "prepare owner allow lab ops $(keyferry-seal owner-key"
	       " show " DIR "/owner.key)" SIGN2 "--submit && "
	       ADMIN "prepare token lab --token-out " DIR "/token" SIGN2 "--submit 2>&1");
	RUN_OK(self->token, "cat " DIR "/token");
	RUN_OK(self->pub, ADMIN "serverkey show-public " DIR "/srv.key"
	       " | sed -n 's/.*pin it on the host): //p' | tr -d '\\n'");
	ASSERT_EQ(64, strlen(self->token));
	ASSERT_EQ(44, strlen(self->pub));
	/* the host pins the owner's public key, as owner "ops" */
	RUN_OK(out, "keyferry enroll --repository " URL " --region lab --name host1"
	       " --token %s --distributor-key %s --owner ops=$(keyferry-seal owner-key show "
	       DIR "/owner.key) 2>&1", self->token, self->pub);
	ASSERT_NE(NULL, strstr(out, "enrolled \"host1\" in region \"lab\""));
	ASSERT_NE(NULL, strstr(out, "owner keys pinned: 1"));
	/* Enrolled is not yet approved: two members sign its certificate. */
	RUN_OK(out, ADMIN "prepare approve lab host1" SIGN2 "--submit 2>&1");
	ASSERT_NE(NULL, strstr(out, "signed by"));
	/* Expired keys leave keyrings after 1 s rather than 5 minutes. */
	kf_vm_run(NULL, 0, "echo 1 > /proc/sys/kernel/keys/gc_delay");
}

FIXTURE_TEARDOWN(e2e)
{
	stop_repo(self->repo);
	kf_vm_run(NULL, 0, "dmsetup remove_all 2>/dev/null; umount /mnt/e2e 2>/dev/null;"
		  " losetup -d /dev/loop0 2>/dev/null; losetup -d /dev/loop1 2>/dev/null; true");
}

/*
 * The owner seals a fresh key of `size` bytes (version 1) to host1's Kec,
 * with its owner key (which the authority allowed in the region), checking
 * the Kec fingerprint it read on the host (`keyferry status`); keeps the
 * clear copy in DIR/<item>.clear, and two authority members store it.
 */
static int seal_and_store(const char *item, const char *type, int size, const char *extra)
{
	char out[4096];
	int rc;

	rc = kf_vm_run(out, sizeof(out),
		       "kec=$(keyferry status --json | sed -n 's/.*\"kec_pub\":\"\\([^\"]*\\)\".*/\\1/p')"
		       " && fpr=$(keyferry status --json | sed -n 's/.*\"kec_fingerprint\":\"\\([^\"]*\\)\".*/\\1/p')"
		       " && keyferry-seal --region lab --item %s --version 1 --to-kec \"$kec\""
		       " --owner-key " DIR "/owner.key --expect-kec \"$fpr\" --generate %d"
		       " --with-key-out " DIR "/%s.clear --type %s %s"
		       " --out " DIR "/%s.kfs && " ADMIN "prepare item put " DIR "/%s.kfs"
		       " --dataset disks --entity host1" SIGN2 "--submit 2>&1", item, size,
		       item, type, extra, item, item);
	if (rc)
		fprintf(stderr, "# seal %s: %s\n", item, out);
	return rc;
}

TEST_F(e2e, status_shows_enrolled)
{
	char out[4096];

	RUN_OK(out, "keyferry status");
	EXPECT_NE(NULL, strstr(out, "enrolled               yes"));
	EXPECT_NE(NULL, strstr(out, "entity                 host1"));
	EXPECT_NE(NULL, strstr(out, "region                 lab"));
	EXPECT_NE(NULL, strstr(out, "owner ops "));
	EXPECT_NE(NULL, strstr(out, "confidentiality (Kec)  "));
}

TEST_F(e2e, fetch_installs_a_logon_key_userspace_cannot_read)
{
	char out[4096];

	ASSERT_EQ(0, seal_and_store("disk-root", "logon", 64, ""));
	RUN_OK(out, "keyferry fetch --repository " URL " --keyring session disk-root 2>&1");
	EXPECT_NE(NULL, strstr(out, "logon keyferry:ops:disk-root item=disk-root"));
	RUN_OK(out, "keyctl show @s");
	EXPECT_NE(NULL, strstr(out, "logon: keyferry:ops:disk-root"));
	/* print and read both fail: a logon key has no read operation. */
	EXPECT_NE(0, kf_vm_run(out, sizeof(out),
			       "keyctl print $(keyctl search @s logon keyferry:ops:disk-root) 2>&1"));
	EXPECT_NE(NULL, strstr(out, "Operation not supported"));
	EXPECT_NE(0, kf_vm_run(out, sizeof(out),
			       "keyctl pipe $(keyctl search @s logon keyferry:ops:disk-root) 2>&1"));
	RUN_OK(out, "keyferry list");
	EXPECT_NE(NULL, strstr(out, "logon keyferry:ops:disk-root item=disk-root"));
}

TEST_F_TIMEOUT(e2e, dm_crypt_opens_with_the_delivered_key, 600)
{
	char out[8192];

	ASSERT_EQ(0, seal_and_store("disk-data", "logon", 64, ""));
	RUN_OK(out, "keyferry fetch --repository " URL " --keyring session disk-data 2>&1");
	/* Write through a mapping that names the delivered key... */
	RUN_OK(out, "(modprobe dm-crypt; modprobe loop) 2>/dev/null; dd if=/dev/zero of=" DIR "/disk"
	       " bs=1M count=8 2>/dev/null && losetup /dev/loop0 " DIR "/disk &&"
	       " echo '0 16384 crypt aes-xts-plain64 :64:logon:keyferry:ops:disk-data 0 /dev/loop0 0'"
	       " | dmsetup create kf-named && head -c 65536 /dev/urandom > " DIR "/plain &&"
	       " dd if=" DIR "/plain of=/dev/mapper/kf-named bs=64k count=1 conv=fsync 2>/dev/null &&"
	       " dmsetup table kf-named && dmsetup remove kf-named 2>&1");
	EXPECT_NE(NULL, strstr(out, ":64:logon:keyferry:ops:disk-data"));
	/* ...the disk itself holds ciphertext... */
	EXPECT_NE(0, kf_vm_run(out, sizeof(out), "cmp -n 65536 " DIR "/plain /dev/loop0"));
	/* ...and reads back through a mapping made with the owner's clear key. */
	RUN_OK(out, "hex=$(od -An -v -tx1 " DIR "/disk-data.clear | tr -d ' \\n') &&"
	       " echo \"0 16384 crypt aes-xts-plain64 $hex 0 /dev/loop0 0\" | dmsetup create kf-clear"
	       " && cmp -n 65536 " DIR "/plain /dev/mapper/kf-clear 2>&1");
	/* And the other way: what the clear key writes, the named key reads. */
	RUN_OK(out, "head -c 65536 /dev/urandom > " DIR "/plain2 && dd if=" DIR "/plain2"
	       " of=/dev/mapper/kf-clear bs=64k seek=1 count=1 conv=fsync 2>/dev/null &&"
	       " dmsetup remove kf-clear && echo '0 16384 crypt aes-xts-plain64"
	       " :64:logon:keyferry:ops:disk-data 0 /dev/loop0 0' | dmsetup create kf-named &&"
	       " dd if=/dev/mapper/kf-named bs=64k skip=1 count=1 2>/dev/null | cmp - " DIR "/plain2"
	       " && dmsetup remove kf-named 2>&1");
}

static int create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int add_owner_copy(const char *mnt, const char *path,
			  uint8_t id[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
	uint8_t raw[64];
	FILE *f = fopen(path, "r");
	int ret = -EIO;

	if (!f)
		return -errno;
	if (fread(raw, 1, sizeof(raw), f) == sizeof(raw))
		ret = kf_fscrypt_add_raw_key(mnt, raw, sizeof(raw), id);
	fclose(f);
	explicit_bzero(raw, sizeof(raw));
	return ret;
}

TEST_F_TIMEOUT(e2e, fscrypt_unlocks_and_locks_a_directory, 600)
{
	uint8_t id[FSCRYPT_KEY_IDENTIFIER_SIZE], id2[FSCRYPT_KEY_IDENTIFIER_SIZE];
	char out[4096];
	int serial;

	ASSERT_EQ(0, seal_and_store("home", "fscrypt", 64, ""));
	RUN_OK(out, "keyferry fetch --repository " URL " --keyring session home 2>&1");
	ASSERT_NE(NULL, strstr(out, "fscrypt-provisioning keyferry:ops:home"));
	serial = atoi(out);
	ASSERT_LT(0, serial);
	RUN_OK(out, "modprobe loop 2>/dev/null; mkdir -p /mnt/e2e && mkfs.ext4 -q -O encrypt " DIR
	       "/fs.img 32M && losetup /dev/loop1 " DIR "/fs.img && mount -t ext4 /dev/loop1"
	       " /mnt/e2e && mkdir /mnt/e2e/vault 2>&1");
	ASSERT_EQ(0, kf_fscrypt_add_key_by_serial("/mnt/e2e", serial, id));
	ASSERT_EQ(0, kf_fscrypt_set_policy("/mnt/e2e/vault", id));
	/* The debug kernel has no cts(cbc(aes)), which fscrypt's names need. */
	if (create_file("/mnt/e2e/vault/plan.txt") == -ENOPKG)
		SKIP(return, "this kernel lacks the ciphers fscrypt needs (ENOPKG)");
	RUN_OK(out, "echo 'the secret plan' > /mnt/e2e/vault/plan.txt && sync && cat /mnt/e2e/vault/plan.txt");
	EXPECT_STREQ("the secret plan\n", out);
	/* Removing the key locks the directory: names and contents are gone. */
	ASSERT_EQ(0, kf_fscrypt_remove_key("/mnt/e2e", id));
	RUN_OK(out, "ls /mnt/e2e/vault");
	EXPECT_EQ(NULL, strstr(out, "plan.txt"));
	EXPECT_NE(0, kf_vm_run(out, sizeof(out), "cat /mnt/e2e/vault/plan.txt 2>&1"));
	/* The owner's clear copy is the same key: it unlocks it again. */
	ASSERT_EQ(0, add_owner_copy("/mnt/e2e", DIR "/home.clear", id2));
	EXPECT_EQ(0, memcmp(id, id2, sizeof(id)));
	RUN_OK(out, "cat /mnt/e2e/vault/plan.txt");
	EXPECT_STREQ("the secret plan\n", out);
}

/* Wait up to secs for the daemon's log to say `what` at least `times` times. */
static bool log_says(char *out, size_t cap, const char *what, int times, int secs)
{
	return kf_vm_file_says(DIR "/daemon.log", out, cap, what, times, secs);
}

TEST_F(e2e, revoked_host_is_refused_and_loses_its_keys)
{
	char out[4096];

	ASSERT_EQ(0, seal_and_store("disk-root", "logon", 64, ""));
	RUN_OK(out, "keyferry fetch --repository " URL " --keyring session disk-root 2>&1");
	RUN_OK(out, "keyctl search @s logon keyferry:ops:disk-root");
	RUN_OK(out, ADMIN "prepare revoke lab host1 --reason stolen" SIGN2 "--submit 2>&1");
	EXPECT_EQ(3, kf_vm_run(out, sizeof(out),
			       "keyferry fetch --repository " URL " disk-root 2>&1"));
	TH_LOG("refusal: %s", out);
	EXPECT_NE(NULL, strstr(out, "revoked"));
	/* revocation reached the key the host held, and the host is inert */
	EXPECT_NE(0, kf_vm_run(out, sizeof(out),
			       "keyctl describe $(keyctl search @s logon keyferry:ops:disk-root) 2>&1"));
	RUN_OK(out, "keyferry status");
	EXPECT_NE(NULL, strstr(out, "entity state           revoked"));
	EXPECT_EQ(3, kf_vm_run(out, sizeof(out),
			       "keyferry fetch --repository " URL " disk-root 2>&1"));
	EXPECT_NE(NULL, strstr(out, "replace it")) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(e2e, daemon_reports_each_key_revoked_for_teardown, 600)
{
	char out[16384];
	int serial;

	/* a key the daemon keeps fetching (renewal due within a second) */
	ASSERT_EQ(0, seal_and_store("disk-root", "logon", 64, "--timeout 30"));
	RUN_OK(out, "printf 'repository = " URL "\nitem = disk-root\nkeyring = session\n"
	       "renew_margin = 300\nretry_min = 1\n' > " DIR "/kf.conf && (keyferry daemon"
	       " --config " DIR "/kf.conf > " DIR "/daemon.log 2>&1 & echo $! > " DIR
	       "/daemon.pid)");
	ASSERT_TRUE(log_says(out, sizeof(out), "installed disk-root", 1, 60));
	RUN_OK(out, ADMIN "prepare revoke lab host1 --reason stolen" SIGN2 "--submit 2>&1");
	EXPECT_TRUE(log_says(out, sizeof(out), "this entity is revoked by its distributor", 1, 60));
	TH_LOG("daemon log: %s", out);
	/* each key the module revoked, with what a teardown runner needs */
	EXPECT_NE(NULL, strstr(out, "teardown: logon keyferry:ops:disk-root (serial "));
	EXPECT_NE(NULL, strstr(out, "was revoked: this entity is revoked"));
	EXPECT_NE(NULL, strstr(out, "the module revoked 1 keys"));
	RUN_OK(out, "kill $(cat " DIR "/daemon.pid); keyctl search @s logon keyferry:ops:disk-root"
	       " 2>/dev/null || echo none");
	serial = atoi(out);
	if (serial > 0)
		EXPECT_NE(0, kf_vm_run(out, sizeof(out), "keyctl describe %d 2>&1", serial));
}

/* `keyctl show @s` no longer lists the key (out: its output). */
static bool session_lacks(char *out, size_t cap, const char *desc)
{
	return !kf_vm_run(out, cap, "keyctl show @s") && !strstr(out, desc);
}

/*
 * A 3 s key: usable until its end (whole seconds: at least 2 s after the
 * fetch began), unusable after, then gone from the keyring once the
 * kernel's collector ran (gc_delay 1 s).  Both waits by the clock, with a
 * loaded guest's slack; the measured lifetime is logged.
 */
TEST_F_TIMEOUT(e2e, expired_key_leaves_the_keyring, 600)
{
	char out[4096];
	double t0, lived;

	ASSERT_EQ(0, seal_and_store("short", "logon", 32, "--timeout 3"));
	t0 = kf_vm_now();
	RUN_OK(out, "keyferry fetch --repository " URL " --keyring session short 2>&1");
	RUN_OK(out, "keyctl show @s");
	ASSERT_NE(NULL, strstr(out, "keyferry:ops:short"));
	EXPECT_TRUE(KF_VM_WAIT(kf_vm_run(out, sizeof(out),
					 "keyctl search @s logon keyferry:ops:short 2>&1"), 60));
	lived = kf_vm_now() - t0;
	TH_LOG("the 3 s key was found until %.1f s after the fetch began", lived);
	EXPECT_LE(2.0, lived);
	EXPECT_TRUE(KF_VM_WAIT(session_lacks(out, sizeof(out), "keyferry:ops:short"), 60))
		TH_LOG("%s", out);
}

TEST_F_TIMEOUT(e2e, repository_down_is_a_clear_error_and_the_daemon_recovers, 600)
{
	char out[8192];

	ASSERT_EQ(0, seal_and_store("disk-root", "logon", 64, ""));
	stop_repo(self->repo);
	self->repo = -1;
	EXPECT_EQ(4, kf_vm_run(out, sizeof(out),
			       "keyferry fetch --repository " URL " disk-root 2>&1"));
	TH_LOG("repository down: %s", out);
	EXPECT_NE(NULL, strstr(out, "127.0.0.1:7370"));
	EXPECT_NE(NULL, strstr(out, "connect"));
	/* The daemon, started while the repository is down, keeps trying. */
	RUN_OK(out, "printf 'repository = " URL "\\nitem = disk-root\\nretry_min = 1\\n"
	       "retry_max = 2\\n' > " DIR "/kf.conf && (keyferry daemon --config " DIR
	       "/kf.conf > " DIR "/daemon.log 2>&1 & echo $! > " DIR "/daemon.pid)");
	/* (waits, not sleeps: a loaded debug guest starts programs slowly) */
	EXPECT_TRUE(log_says(out, sizeof(out), "no repository reachable", 1, 60));
	self->repo = start_repo();
	ASSERT_LT(0, self->repo);
	EXPECT_TRUE(log_says(out, sizeof(out), "installed disk-root", 1, 60));
	kf_vm_run(NULL, 0, "kill $(cat " DIR "/daemon.pid)");
	TH_LOG("daemon log: %s", out);
}

TEST_F_TIMEOUT(e2e, daemon_renews_before_expiry_and_reloads_on_sighup, 600)
{
	char out[16384];

	/* A key that lives 8 s, renewed 5 s before it expires. */
	ASSERT_EQ(0, seal_and_store("rotating", "logon", 32, "--timeout 8"));
	ASSERT_EQ(0, seal_and_store("later", "logon", 32, ""));
	RUN_OK(out, "printf 'repository = " URL "\nitem = rotating\nrenew_margin = 5\n"
	       "retry_min = 1\n' > " DIR "/kf.conf && (keyferry daemon --config " DIR
	       "/kf.conf > " DIR "/daemon.log 2>&1 & echo $! > " DIR "/daemon.pid)");
	ASSERT_TRUE(log_says(out, sizeof(out), "installed rotating", 1, 60));
	EXPECT_TRUE(log_says(out, sizeof(out), "installed rotating", 2, 60));
	TH_LOG("daemon log: %s", out);
	/* SIGHUP: a new item in the file is fetched... */
	RUN_OK(out, "printf 'repository = " URL "\nitem = rotating\nitem = later\n"
	       "renew_margin = 5\nretry_min = 1\n' > " DIR "/kf.conf && kill -HUP $(cat "
	       DIR "/daemon.pid)");
	EXPECT_TRUE(log_says(out, sizeof(out), "installed later", 1, 60));
	EXPECT_NE(NULL, strstr(out, "configuration reloaded: 2 items"));
	/* ...and a broken file is refused, the running configuration kept. */
	RUN_OK(out, "echo 'item = bad*name' >> " DIR "/kf.conf && kill -HUP $(cat "
	       DIR "/daemon.pid)");
	EXPECT_TRUE(log_says(out, sizeof(out), "reload refused", 1, 60));
	EXPECT_NE(NULL, strstr(out, "kf.conf:6:"));
	RUN_OK(out, "kill -0 $(cat " DIR "/daemon.pid) && kill $(cat " DIR "/daemon.pid)");
}

/*
 * Revocation reaches the consumer: the host's dm-crypt volume, mounted,
 * with the daemon renewing its key every 5 s (a 15 s key, renewed 10 s
 * before it ends).  The authority revokes the host (two members sign the
 * statement); at the daemon's next renewal the distributor answers
 * "revoked", and the daemon runs the configured teardown: within one
 * renewal period (plus slack for a loaded emulator) the crypt table and
 * its key are gone and the data unreadable.
 */
TEST_F_TIMEOUT(e2e, revoked_host_volume_closes_within_one_renewal_period, 600)
{
	char out[16384];
	struct timespec t0, t1;
	int i, renewed;
	double took;

	ASSERT_EQ(0, seal_and_store("disk-data", "logon", 64, "--timeout 15"));
	RUN_OK(out, "printf 'repository = " URL "\nitem = disk-data\nkeyring = session\n"
	       "renew_margin = 10\nretry_min = 1\nteardown = disk-data dm-crypt kf-rv\n' > "
	       DIR "/kf.conf && (keyferry daemon --config " DIR "/kf.conf > " DIR
	       "/daemon.log 2>&1 & echo $! > " DIR "/daemon.pid)");
	ASSERT_TRUE(log_says(out, sizeof(out), "installed disk-data", 1, 60));
	RUN_OK(out, "modprobe loop 2>/dev/null; modprobe dm-crypt 2>/dev/null;"
	       " dd if=/dev/zero of=" DIR "/rv.img bs=1M count=16 2>/dev/null &&"
	       " losetup /dev/loop0 " DIR "/rv.img && echo '0 32768 crypt aes-xts-plain64"
	       " :64:logon:keyferry:ops:disk-data 0 /dev/loop0 0' | dmsetup create kf-rv &&"
	       " mkfs.ext4 -q /dev/mapper/kf-rv && mkdir -p /mnt/e2e && mount /dev/mapper/kf-rv"
	       " /mnt/e2e && echo 'quarterly numbers: up' > /mnt/e2e/report.txt && sync &&"
	       " cat /mnt/e2e/report.txt 2>&1");
	EXPECT_STREQ("quarterly numbers: up\n", out);
	/* Renewals go on while the host is valid. */
	ASSERT_TRUE(log_says(out, sizeof(out), "installed disk-data", 2, 60));
	RUN_OK(out, "cat " DIR "/daemon.log");
	renewed = kf_vm_count_in(out, "installed disk-data");
	RUN_OK(out, ADMIN "prepare revoke lab host1 --reason stolen" SIGN2 "--submit 2>&1");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/*
	 * The daemon logs the teardown after the error table, the dropped
	 * page cache and the deferred remove, then "nothing more is fetched":
	 * wait for that last line, not for an earlier sign of the teardown.
	 */
	ASSERT_TRUE(log_says(out, sizeof(out), "nothing more is fetched", 1, 90));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	TH_LOG("volume closed %.1f s after the revocation (renewal period 5 s)", took);
	EXPECT_NE(NULL, strstr(out, "teardown disk-data (this entity is revoked): dm-crypt kf-rv:"
			       " key wiped, crypt table destroyed, still open: removed at its last"
			       " close"));
	/*
	 * Within one renewal period: no renewal succeeded after the one that
	 * may have been under way when the revocation was submitted.  The
	 * order is the property; the clock only says that a slow machine did
	 * not wait for anything like the key's own end.
	 */
	EXPECT_GE(renewed + 1, kf_vm_count_in(out, "installed disk-data")) TH_LOG("%s", out);
	EXPECT_GT(60.0, took);
	RUN_OK(out, "dmsetup table kf-rv 2>&1");
	EXPECT_STREQ("0 32768 error \n", out);
	EXPECT_NE(0, kf_vm_run(out, sizeof(out), "cat /mnt/e2e/report.txt 2>&1"));
	EXPECT_NE(NULL, strstr(out, "error"));
	/* The name goes with the last user (dm's deferred remove is a work item). */
	RUN_OK(out, "umount /mnt/e2e");
	for (i = 0; i < 120; i++) {
		kf_vm_run(out, sizeof(out), "dmsetup info kf-rv 2>&1");
		if (strstr(out, "not exist"))
			break;
		usleep(250 * 1000);
	}
	EXPECT_NE(NULL, strstr(out, "not exist"));
	/* The daemon stays, fetching nothing. */
	RUN_OK(out, "kill -0 $(cat " DIR "/daemon.pid) && kill $(cat " DIR "/daemon.pid)");
}

/*
 * Count occurrences of needle in the readable memory of process pid, by
 * reading /proc/pid/maps and /proc/pid/mem (root may, with ptrace rights).
 */
static int scan_process(pid_t pid, const uint8_t *needle, size_t n)
{
	char path[64], line[512];
	int hits = 0, fd;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY);
	if (!maps || fd < 0)
		return -1;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		char perms[8];
		uint8_t *buf;
		ssize_t got;

		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[0] != 'r' ||
		    strstr(line, "[vvar]") || end - start > (64ul << 20))
			continue;
		buf = malloc(end - start);
		if (!buf)
			continue;
		got = pread(fd, buf, end - start, (off_t)start);
		for (ssize_t i = 0; got > 0 && i + (ssize_t)n <= got; i++)
			if (!memcmp(buf + i, needle, n))
				hits++;
		free(buf);
	}
	fclose(maps);
	close(fd);
	return hits;
}

/* Count occurrences of needle in a file. */
static int scan_file(const char *path, const uint8_t *needle, size_t n)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t got, i;
	int hits = 0;

	if (!f)
		return 0;
	got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (i = 0; i + n <= got; i++)
		if (!memcmp(buf + i, needle, n))
			hits++;
	return hits;
}

TEST_F_TIMEOUT(e2e, helper_memory_logs_and_files_hold_no_key, 600)
{
	uint8_t key[64], hex[129];
	char out[8192];
	pid_t daemon;
	FILE *f;
	int i;

	ASSERT_EQ(0, seal_and_store("disk-root", "logon", 64, ""));
	f = fopen(DIR "/disk-root.clear", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(64, fread(key, 1, sizeof(key), f));
	fclose(f);
	for (i = 0; i < 64; i++)
		sprintf((char *)hex + 2 * i, "%02x", key[i]);
	/* The checks see a key where there is one: the owner's copy, this process. */
	ASSERT_EQ(1, scan_file(DIR "/disk-root.clear", key, 16));
	ASSERT_LT(0, scan_process(getpid(), key, 16));

	RUN_OK(out, "printf 'repository = " URL "\nitem = disk-root\nkeyring = user\n' > "
	       DIR "/kf.conf && (keyferry daemon --config " DIR "/kf.conf > " DIR
	       "/daemon.log 2>&1 & echo $! > " DIR "/daemon.pid)");
	ASSERT_TRUE(log_says(out, sizeof(out), "installed disk-root", 1, 60)) TH_LOG("%s", out);
	RUN_OK(out, "cat " DIR "/daemon.pid");
	daemon = atoi(out);
	ASSERT_LT(0, daemon);
	/* Any 16 bytes of the key, raw or in hex, anywhere in the helper. */
	for (i = 0; i + 16 <= 64; i += 16) {
		EXPECT_EQ(0, scan_process(daemon, key + i, 16));
		EXPECT_EQ(0, scan_process(daemon, hex + 2 * i, 32));
		EXPECT_EQ(0, scan_file(DIR "/daemon.log", key + i, 16));
		EXPECT_EQ(0, scan_file(DIR "/daemon.log", hex + 2 * i, 32));
		EXPECT_EQ(0, scan_file(DIR "/repo.log", key + i, 16));
		EXPECT_EQ(0, scan_file(DIR "/r.db", key + i, 16));
		EXPECT_EQ(0, scan_file(DIR "/r.db-wal", key + i, 16));
	}
	kill(daemon, SIGTERM);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(hex, sizeof(hex));
}

/* What the module has installed so far. */
static unsigned int installed(struct kf_genl *g)
{
	struct kf_module_status st;

	return kf_genl_get_status(g, &st) ? 9999 : st.installed_keys;
}

/*
 * POST message 1 to the repository, again while it answers 429 (its
 * per-address rate, 20 a second: this test sends hundreds), for up to
 * HTTP_SECS by the clock.  A 429 is no refusal of the message: the
 * repository never read it.
 */
static int post_m1(const struct kf_message *m1, struct kf_http_reply *reply)
{
	double end = kf_vm_now() + HTTP_SECS;
	int ret;

	for (;;) {
		ret = kf_http_post(URL, "/v1/transfer", m1->data, m1->len, 65536, HTTP_SECS,
				   reply);
		if (!ret || reply->status != 429 || kf_vm_now() > end)
			return ret;
		usleep(100 * 1000);
	}
}

/*
 * A man in the middle flips one bit in any byte of either message: the
 * module refuses and installs nothing.  Message 1 altered: the repository
 * cannot open it, or its reply no longer matches the transfer.  Message 2
 * altered: the module's checks refuse it.
 */
TEST_F_TIMEOUT(e2e, man_in_the_middle_altering_any_byte_installs_nothing, 600)
{
	struct kf_transfer_begin begin = {
		.kind = KEYFERRY_TRANSFER_FETCH, .n_items = 1, .items = { "disk-root" },
	};
	struct kf_message *m1 = malloc(sizeof(*m1));
	struct kf_http_reply reply;
	struct kf_installed out;
	size_t len1 = 0, len2 = 0, pos;
	unsigned int before, refused = 0;
	struct kf_genl g;
	int ret;

	ASSERT_NE(NULL, m1);
	ASSERT_EQ(0, seal_and_store("disk-root", "logon", 64, ""));
	ASSERT_EQ(0, kf_http_global_init());
	ASSERT_EQ(0, kf_genl_open(&g));
	before = installed(&g);
	/* The untouched exchange works, and gives the two lengths. */
	ASSERT_EQ(0, kf_genl_transfer_begin(&g, &begin, m1));
	ASSERT_EQ(0, post_m1(m1, &reply)) TH_LOG("%s", reply.error);
	len1 = m1->len;
	len2 = reply.len;
	ASSERT_EQ(0, kf_genl_transfer_finish(&g, m1->transfer_id, reply.body, reply.len, 0, &out));
	kf_http_reply_free(&reply);
	before = installed(&g);

	for (pos = 0; pos < len1 + len2; pos++) {
		ASSERT_EQ(0, kf_genl_transfer_begin(&g, &begin, m1));
		if (pos < len1)
			m1->data[pos] ^= 1u << (pos % 8);
		ret = post_m1(m1, &reply);
		/* message 1 intact must be answered, or byte pos of message 2 went untested */
		if (pos >= len1)
			ASSERT_EQ(0, ret) TH_LOG("byte %zu: %s", pos, reply.error);
		if (ret) {
			refused++;	/* the repository could not open message 1 */
			kf_genl_transfer_abandon(&g, m1->transfer_id);
			ASSERT_EQ(before, installed(&g));
			continue;
		}
		if (pos >= len1)
			reply.body[pos - len1] ^= 1u << (pos % 8);
		ret = kf_genl_transfer_finish(&g, m1->transfer_id, reply.body, reply.len, 0, &out);
		kf_http_reply_free(&reply);
		if (ret == 0)
			TH_LOG("byte %zu altered was accepted", pos);
		ASSERT_NE(0, ret);
		refused++;
		ASSERT_EQ(before, installed(&g));
	}
	EXPECT_EQ(len1 + len2, refused);
	TH_LOG("%zu bytes of message 1 and %zu of message 2 altered one at a time: all refused",
	       len1, len2);
	kf_genl_close(&g);
	free(m1);
}

/*
 * The hostile network between helper and repository, on 127.0.0.1:7380: it
 * relays each message 1 to the repository, but the first `replays` times
 * (all of them when negative) sends instead an old message 1 it recorded,
 * which the repository accepted before and now refuses as replayed (409).
 * Serves one request per connection, until killed.
 */
#define REPLAY_PORT 7380

struct replayer {
	const uint8_t *old;
	size_t old_len;
	int replays;
};

/* The forked server's answer: the recorded message 1, or the one sent. */
static int replay_answer(const uint8_t *req, size_t len, uint8_t *out, size_t cap,
			 size_t *out_len, void *arg)
{
	struct replayer *r = arg;
	struct kf_http_reply reply;
	int ret, status = 0;

	if (r->replays)
		ret = kf_http_post(URL, "/v1/transfer", r->old, r->old_len, 65536, HTTP_SECS,
				   &reply);
	else
		ret = kf_http_post(URL, "/v1/transfer", req, len, 65536, HTTP_SECS, &reply);
	r->replays -= r->replays > 0;
	if (ret)
		status = reply.status ? (int)reply.status : 502;
	else if (reply.len > cap)
		status = 502;
	else
		memcpy(out, reply.body, *out_len = reply.len);
	kf_http_reply_free(&reply);
	return status;
}

static pid_t start_replayer(const uint8_t *old, size_t old_len, int replays)
{
	static struct replayer r;

	r.old = old;
	r.old_len = old_len;
	r.replays = replays;
	return httpd_start(REPLAY_PORT, replay_answer, &r);
}

/* A fetch through the replayer: its relay, what it installed, its errno. */
static int fetch_through_replayer(struct kf_genl *g, int replays, struct kf_relay *relay,
				  struct kf_installed *out)
{
	static const char *const repos[] = { "http://127.0.0.1:7380" };
	struct kf_transfer_begin begin = {
		.kind = KEYFERRY_TRANSFER_FETCH, .n_items = 1, .items = { "disk-root" },
	};
	struct kf_message *m1 = malloc(sizeof(*m1));
	struct kf_http_reply reply;
	pid_t proxy;
	int ret = -ENOMEM;

	memset(relay, 0, sizeof(*relay));
	relay->repositories = repos;
	relay->n_repositories = 1;
	relay->timeout = 2 * HTTP_SECS;	/* the replayer's own request inside */
	/* The message 1 the network records: accepted once, then stale. */
	if (!m1 || kf_genl_transfer_begin(g, &begin, m1) ||
	    kf_http_post(URL, "/v1/transfer", m1->data, m1->len, 65536, HTTP_SECS, &reply))
		goto out;
	kf_genl_transfer_abandon(g, m1->transfer_id);
	kf_http_reply_free(&reply);
	proxy = start_replayer(m1->data, m1->len, replays);
	if (proxy < 0)
		goto out;
	ret = kf_relay_transfer(g, relay, &begin, "/v1/transfer", out);
	httpd_stop(proxy);
out:
	free(m1);
	return ret;
}

/*
 * The repository answers a replayed or reordered message 1 with 409 and no
 * message 2 (docs/protocol.md 3.3); the helper then begins a new transfer,
 * whose newer timestamp goes through.  A network that replays every time
 * gets three 409s and nothing installed, and the error says why.
 */
TEST_F_TIMEOUT(e2e, a_replayed_message_1_makes_the_helper_begin_anew, 600)
{
	struct kf_installed out = { 0 };
	struct kf_relay relay;
	unsigned int before;
	struct kf_genl g;

	ASSERT_EQ(0, seal_and_store("disk-root", "logon", 64, ""));
	ASSERT_EQ(0, kf_http_global_init());
	ASSERT_EQ(0, kf_genl_open(&g));
	EXPECT_EQ(0, fetch_through_replayer(&g, 1, &relay, &out)) TH_LOG("%s", relay.error);
	EXPECT_EQ(1, relay.reordered);
	ASSERT_EQ(1, out.n);
	EXPECT_STREQ("keyferry:ops:disk-root", out.keys[0].description);

	before = installed(&g);
	memset(&out, 0, sizeof(out));
	EXPECT_EQ(-EREMOTEIO, fetch_through_replayer(&g, -1, &relay, &out));
	EXPECT_EQ(3, relay.reordered);
	EXPECT_NE(NULL, strstr(relay.error, "HTTP 409")) TH_LOG("%s", relay.error);
	EXPECT_EQ(0, out.n);
	EXPECT_EQ(before, installed(&g));
	kf_genl_close(&g);
}

TEST_HARNESS_MAIN
