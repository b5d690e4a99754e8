// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, inside the test VM: a repository (keyferry-repo on loopback,
 * SQLite store), its admin and the owner's sealing tool, the keyferry
 * helper, the module, and real consumers of the delivered keys: dm-crypt,
 * fscrypt on ext4, keyctl.  Every step is the command an operator types.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <kselftest_harness.h>

#include "selftests/lib/fscrypt.h"
#include "selftests/lib/vm.h"
#include "userspace/keyferry/genl.h"
#include "userspace/keyferry/http.h"

#define DIR "/tmp/e2e"
#define PORT 7370
#define URL "http://127.0.0.1:7370"
#define ADMIN "keyferry-admin --db " DIR "/r.db "

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

/* Start keyferry-repo as an operator would; wait until it listens. */
static pid_t start_repo(void)
{
	pid_t pid = fork();
	int i, fd;

	if (pid == 0) {
		fd = open(DIR "/repo.log", O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("keyferry-repo", "keyferry-repo", "--db", DIR "/r.db", "--key",
		       DIR "/srv.key", "--port", "7370", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 300 && pid > 0; i++) {
		if (port_open(PORT))
			return pid;
		usleep(50 * 1000);
	}
	return -1;
}

static void stop_repo(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Run a command; fail the test (with its output) unless it exits 0. */
#define RUN_OK(out, ...) do { \
	int __rc = kf_vm_run(out, sizeof(out), __VA_ARGS__); \
	if (__rc) \
		TH_LOG("exit %d: %s", __rc, out); \
	ASSERT_EQ(0, __rc); \
} while (0)

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
	RUN_OK(out, "rm -rf " DIR " && mkdir -p " DIR " && " ADMIN "region add lab && "
	       ADMIN "serverkey generate " DIR "/srv.key && "
	       ADMIN "dataset add lab disks --allow entity:host1 2>&1");
	self->repo = start_repo();
	ASSERT_LT(0, self->repo);
	RUN_OK(self->token, ADMIN "--json token create --region lab --key " DIR "/srv.key"
	       " | sed -n 's/.*\"token\":\"\\([0-9a-f]*\\)\".*/\\1/p' | tr -d '\\n'");
	RUN_OK(self->pub, ADMIN "serverkey show-public " DIR "/srv.key"
	       " | sed -n 's/.*pin it on the host): //p' | tr -d '\\n'");
	ASSERT_EQ(64, strlen(self->token));
	ASSERT_EQ(44, strlen(self->pub));
	RUN_OK(out, "keyferry enroll --repository " URL " --region lab --name host1"
	       " --token %s --distributor-key %s 2>&1", self->token, self->pub);
	ASSERT_NE(NULL, strstr(out, "enrolled \"host1\" in region \"lab\""));
	/* Expired keys leave keyrings after 1 s rather than 5 minutes. */
	kf_vm_run(NULL, 0, "echo 1 > /proc/sys/kernel/keys/gc_delay");
}

FIXTURE_TEARDOWN(e2e)
{
	stop_repo(self->repo);
	kf_vm_run(NULL, 0, "dmsetup remove_all 2>/dev/null; umount /mnt/e2e 2>/dev/null;"
		  " losetup -d /dev/loop0 /dev/loop1 2>/dev/null; true");
}

/*
 * The owner seals a fresh key of `size` bytes to host1's Kec (read from the
 * host's status, as an owner would read it from `keyferry-admin entity
 * show`), keeps the clear copy in DIR/<item>.clear, and the admin stores it.
 */
static int seal_and_store(const char *item, const char *type, int size, const char *extra)
{
	char out[4096];
	int rc;

	rc = kf_vm_run(out, sizeof(out),
		       "kec=$(keyferry status --json | sed -n 's/.*\"kec_pub\":\"\\([^\"]*\\)\".*/\\1/p')"
		       " && keyferry-seal --region lab --item %s --to-kec \"$kec\" --generate %d"
		       " --with-key-out " DIR "/%s.clear --type %s --description %s %s"
		       " --out " DIR "/%s.kfs && " ADMIN "item put " DIR "/%s.kfs --dataset disks"
		       " --entity host1 2>&1", item, size, item, type, item, extra, item, item);
	if (rc)
		fprintf(stderr, "# seal %s: %s\n", item, out);
	return rc;
}

TEST_F(e2e, status_shows_enrolled)
{
	char out[4096];

	RUN_OK(out, "keyferry status");
	EXPECT_NE(NULL, strstr(out, "enrolled             yes"));
	EXPECT_NE(NULL, strstr(out, "entity               host1"));
	EXPECT_NE(NULL, strstr(out, "region               lab"));
}

TEST_F(e2e, fetch_installs_a_logon_key_userspace_cannot_read)
{
	char out[4096];

	ASSERT_EQ(0, seal_and_store("disk-root", "logon", 64, ""));
	RUN_OK(out, "keyferry fetch --repository " URL " --keyring session disk-root 2>&1");
	EXPECT_NE(NULL, strstr(out, "logon keyferry:disk-root item=disk-root"));
	RUN_OK(out, "keyctl show @s");
	EXPECT_NE(NULL, strstr(out, "logon: keyferry:disk-root"));
	/* print and read both fail: a logon key has no read operation. */
	EXPECT_NE(0, kf_vm_run(out, sizeof(out),
			       "keyctl print $(keyctl search @s logon keyferry:disk-root) 2>&1"));
	EXPECT_NE(NULL, strstr(out, "Operation not supported"));
	EXPECT_NE(0, kf_vm_run(out, sizeof(out),
			       "keyctl pipe $(keyctl search @s logon keyferry:disk-root) 2>&1"));
	RUN_OK(out, "keyferry list");
	EXPECT_NE(NULL, strstr(out, "logon keyferry:disk-root item=disk-root"));
}

TEST_F_TIMEOUT(e2e, dm_crypt_opens_with_the_delivered_key, 600)
{
	char out[8192];

	ASSERT_EQ(0, seal_and_store("disk-data", "logon", 64, ""));
	RUN_OK(out, "keyferry fetch --repository " URL " --keyring session disk-data 2>&1");
	/* Write through a mapping that names the delivered key... */
	RUN_OK(out, "(modprobe dm-crypt; modprobe loop) 2>/dev/null; dd if=/dev/zero of=" DIR "/disk"
	       " bs=1M count=8 2>/dev/null && losetup /dev/loop0 " DIR "/disk &&"
	       " echo '0 16384 crypt aes-xts-plain64 :64:logon:keyferry:disk-data 0 /dev/loop0 0'"
	       " | dmsetup create kf-named && head -c 65536 /dev/urandom > " DIR "/plain &&"
	       " dd if=" DIR "/plain of=/dev/mapper/kf-named bs=64k count=1 conv=fsync 2>/dev/null &&"
	       " dmsetup table kf-named && dmsetup remove kf-named 2>&1");
	EXPECT_NE(NULL, strstr(out, ":64:logon:keyferry:disk-data"));
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
	       " :64:logon:keyferry:disk-data 0 /dev/loop0 0' | dmsetup create kf-named &&"
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
	ASSERT_NE(NULL, strstr(out, "fscrypt-provisioning keyferry:home"));
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

TEST_F(e2e, revoked_host_is_refused)
{
	char out[4096];

	ASSERT_EQ(0, seal_and_store("disk-root", "logon", 64, ""));
	RUN_OK(out, "keyferry fetch --repository " URL " disk-root 2>&1");
	RUN_OK(out, ADMIN "entity revoke lab host1 --reason stolen 2>&1");
	EXPECT_EQ(3, kf_vm_run(out, sizeof(out),
			       "keyferry fetch --repository " URL " disk-root 2>&1"));
	TH_LOG("refusal: %s", out);
	EXPECT_NE(NULL, strstr(out, "revoked"));
}

TEST_F_TIMEOUT(e2e, expired_key_leaves_the_keyring, 600)
{
	char out[4096];

	ASSERT_EQ(0, seal_and_store("short", "logon", 32, "--timeout 3"));
	RUN_OK(out, "keyferry fetch --repository " URL " --keyring session short 2>&1");
	RUN_OK(out, "keyctl show @s");
	ASSERT_NE(NULL, strstr(out, "keyferry:short"));
	sleep(6);
	EXPECT_NE(0, kf_vm_run(out, sizeof(out), "keyctl search @s logon keyferry:short 2>&1"));
	RUN_OK(out, "keyctl show @s");
	EXPECT_EQ(NULL, strstr(out, "keyferry:short"));
}

TEST_F_TIMEOUT(e2e, repository_down_is_a_clear_error_and_the_daemon_recovers, 600)
{
	char out[8192];
	int i;

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
	sleep(3);
	RUN_OK(out, "cat " DIR "/daemon.log");
	EXPECT_NE(NULL, strstr(out, "no repository reachable"));
	self->repo = start_repo();
	ASSERT_LT(0, self->repo);
	for (i = 0; i < 40; i++) {
		kf_vm_run(out, sizeof(out), "cat " DIR "/daemon.log");
		if (strstr(out, "installed disk-root"))
			break;
		usleep(250 * 1000);
	}
	kf_vm_run(NULL, 0, "kill $(cat " DIR "/daemon.pid)");
	TH_LOG("daemon log: %s", out);
	EXPECT_NE(NULL, strstr(out, "installed disk-root"));
}

static int count_in(const char *hay, const char *needle)
{
	int n = 0;

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

/* Wait up to secs for the daemon's log to say `what` at least `times` times. */
static bool log_says(char *out, size_t cap, const char *what, int times, int secs)
{
	int i;

	for (i = 0; i < secs * 4; i++) {
		kf_vm_run(out, cap, "cat " DIR "/daemon.log");
		if (count_in(out, what) >= times)
			return true;
		usleep(250 * 1000);
	}
	return false;
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
	ASSERT_TRUE(log_says(out, sizeof(out), "installed rotating", 1, 20));
	EXPECT_TRUE(log_says(out, sizeof(out), "installed rotating", 2, 20));
	TH_LOG("daemon log: %s", out);
	/* SIGHUP: a new item in the file is fetched... */
	RUN_OK(out, "printf 'repository = " URL "\nitem = rotating\nitem = later\n"
	       "renew_margin = 5\nretry_min = 1\n' > " DIR "/kf.conf && kill -HUP $(cat "
	       DIR "/daemon.pid)");
	EXPECT_TRUE(log_says(out, sizeof(out), "installed later", 1, 20));
	EXPECT_NE(NULL, strstr(out, "configuration reloaded: 2 items"));
	/* ...and a broken file is refused, the running configuration kept. */
	RUN_OK(out, "echo 'item = bad*name' >> " DIR "/kf.conf && kill -HUP $(cat "
	       DIR "/daemon.pid)");
	EXPECT_TRUE(log_says(out, sizeof(out), "reload refused", 1, 20));
	EXPECT_NE(NULL, strstr(out, "kf.conf:6:"));
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
	for (i = 0; i < 40; i++) {
		kf_vm_run(out, sizeof(out), "cat " DIR "/daemon.log");
		if (strstr(out, "installed disk-root"))
			break;
		usleep(250 * 1000);
	}
	ASSERT_NE(NULL, strstr(out, "installed disk-root"));
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
	ASSERT_EQ(0, kf_http_post(URL, "/v1/transfer", m1->data, m1->len, 65536, 10, &reply));
	len1 = m1->len;
	len2 = reply.len;
	ASSERT_EQ(0, kf_genl_transfer_finish(&g, m1->transfer_id, reply.body, reply.len, 0, &out));
	kf_http_reply_free(&reply);
	before = installed(&g);

	for (pos = 0; pos < len1 + len2; pos++) {
		ASSERT_EQ(0, kf_genl_transfer_begin(&g, &begin, m1));
		if (pos < len1)
			m1->data[pos] ^= 1u << (pos % 8);
		ret = kf_http_post(URL, "/v1/transfer", m1->data, m1->len, 65536, 10, &reply);
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

TEST_HARNESS_MAIN
