// SPDX-License-Identifier: GPL-2.0
/*
 * The host's identity across reboots, with a real TPM 2.0 (swtpm) and one
 * disk kept across boots (selftests/boot_identity.boots, run by
 * selftests/run-all).  The guest runs this program once per boot; KF_BOOT
 * says which, KF_DISK is the persistent disk.  Every step is the command an
 * operator types; the output is TAP, one line a step, and a boot stops at
 * its first failed step.
 *
 *   1 (TPM a): enroll, fetch a disk key, write a dm-crypt volume with it,
 *     save the identity sealed by the TPM;
 *   2 (TPM a): load it, fetch without enrolling again, read the volume; a
 *     newer save makes the boot-1 blob stale; an altered blob is refused;
 *   3 (TPM b, a fresh one: a cleared TPM, another host): refused;
 *   4 (TPM a): saving again and again until the VM is killed (power cut);
 *   5 (TPM a): the daemon starts, loads the blob on disk and fetches; the
 *     volume reads back.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "selftests/lib/vm.h"

#define D "/mnt/disk"
#define URL "http://127.0.0.1:7370"
#define ADMIN "keyferry-admin --db " D "/r.db --repository " URL " "
/* Two of the region's three authority members sign (k = 2). */
#define SIGN2 " --sign " D "/alice.key --sign " D "/bob.key "
#define MEMBER(m) " --member " m "=$(" ADMIN "key show " D "/" m ".key)"
#define VOLUME_OPEN "(modprobe loop; modprobe dm-crypt) 2>/dev/null; " \
	"l=$(losetup -f) && losetup $l " D "/volume && echo $l > /tmp/kfvol.loop &&" \
	" echo \"0 2048 crypt aes-xts-plain64 :64:logon:keyferry:ops:vol 0 $l 0\" | dmsetup create kfvol"
#define VOLUME_CLOSE "dmsetup remove kfvol && losetup -d $(cat /tmp/kfvol.loop)"

static int n_steps;
static bool failed;
static char out[16384];

/* One TAP line; once a step failed, the rest of the boot is not run. */
static bool step(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool step(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d ", ok ? "ok" : "not ok", ++n_steps);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok) {
		printf("# output: %s\n", out);
		failed = true;
	}
	fflush(stdout);
	return ok;
}

/* Run a shell command into out; true when it exits with want. */
static bool sh(int want, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = kf_vm_run(out, sizeof(out), "%s", cmd);
	if (rc != want)
		printf("# `%s`: exit %d, wanted %d\n", cmd, rc, want);
	return rc == want;
}

static bool has(const char *s)
{
	return strstr(out, s) != NULL;
}

static pid_t repo = -1;

/* The repository answers /healthz, or (-1) its process has exited. */
static int repo_healthy(void)
{
	if (waitpid(repo, NULL, WNOHANG) == repo) {
		repo = -1;
		return -1;
	}
	return !kf_vm_run(NULL, 0, "printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' |"
			  " nc 127.0.0.1 7370 2>/dev/null | grep -q ok");
}

/* Start it and wait until it answers: 60 s by the clock (a loaded TCG guest). */
static bool start_repo(void)
{
	int ready = 0;

	repo = fork();
	if (repo == 0) {
		int fd = open("/tmp/repo.log", O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execlp("keyferry-repo", "keyferry-repo", "--db", D "/r.db", "--key",
		       D "/srv.key", "--port", "7370", "--authority", D "/lab.authority",
		       (char *)NULL);
		_exit(127);
	}
	return repo > 0 && KF_VM_WAIT((ready = repo_healthy()) != 0, 60) && ready > 0;
}

static void stop_repo(void)
{
	if (repo > 0) {
		kill(repo, SIGTERM);
		waitpid(repo, NULL, 0);
	}
	repo = -1;
}

static bool mount_disk(void)
{
	return step(sh(0, "mkdir -p " D " && mount -t ext4 $KF_DISK " D " 2>&1"),
		    "the disk mounts");
}

static void unmount_disk(void)
{
	stop_repo();
	sync();
	step(sh(0, "umount " D " 2>&1"), "the disk unmounts");
}

/* The volume holds what boot 1 wrote (its hash is on the disk). */
static bool volume_reads_back(void)
{
	return step(sh(0, VOLUME_OPEN " && dd if=/dev/mapper/kfvol bs=64k count=1 2>/dev/null"
		       " | sha256sum | cmp - " D "/plain.sha256 && " VOLUME_CLOSE " 2>&1"),
		    "the dm-crypt volume opens with the fetched key and reads what boot 1 wrote");
}

static bool fetch_vol(const char *what)
{
	return step(sh(0, "keyferry fetch --repository " URL " --keyring session vol 2>&1") &&
		    has("logon keyferry:ops:vol item=vol"), "%s", what);
}

static void boot1(void)
{
	char token[128], pub[64];

	if (!step(sh(0, "mkfs.ext4 -q -F $KF_DISK 2>&1"), "a new disk is formatted") ||
	    !mount_disk())
		return;
	/* The region's authority (three members, two sign), as in test_e2e. */
	if (!step(sh(0, ADMIN "serverkey generate " D "/srv.key && for m in alice bob carol;"
		     " do " ADMIN "key generate " D "/$m.key || exit 1; done && "
		     ADMIN "prepare region lab --threshold 2" MEMBER("alice") MEMBER("bob")
		     MEMBER("carol") SIGN2 "--out " D "/lab.sub && "
		     ADMIN "authority export " D "/lab.sub --out " D "/lab.authority 2>&1") &&
		  start_repo() &&
		  sh(0, ADMIN "submit " D "/lab.sub && "
		     ADMIN "prepare dataset create lab disks --read entity:host1" SIGN2
		     "--submit && " ADMIN "prepare token lab --token-out " D "/token"
		     SIGN2 "--submit 2>&1"),
		  "the repository runs, its store on the disk"))
		return;
	sh(0, "cat " D "/token");
	snprintf(token, sizeof(token), "%.127s", out);
	sh(0, ADMIN "serverkey show-public " D "/srv.key"
	   " | sed -n 's/.*pin it on the host): //p' | tr -d '\\n'");
	snprintf(pub, sizeof(pub), "%.63s", out);
	/*
	 * The data owner's key Ko (protocol version 2): the authority allows it
	 * in the region, the host pins it as ops.
	 */
	if (!step(sh(0, "keyferry-seal owner-key generate " D "/owner.key && "
		     ADMIN "prepare owner allow lab ops $(keyferry-seal owner-key show " D
		     "/owner.key)" SIGN2 "--submit 2>&1"),
		  "the data owner makes its owner key, the authority allows it"))
		return;
	if (!step(sh(0, "keyferry enroll --repository " URL " --region lab --name host1"
		     " --token %s --distributor-key %s"
		     " --owner ops=$(keyferry-seal owner-key show " D "/owner.key) 2>&1",
		     token, pub) &&
		  sh(0, ADMIN "prepare approve lab host1" SIGN2 "--submit 2>&1"),
		  "the host enrolls, two members approve it"))
		return;
	if (!step(sh(0, "kec=$(keyferry status --json | sed -n 's/.*\"kec_pub\":\"\\([^\"]*\\)\".*/\\1/p')"
		     " && keyferry-seal --region lab --item vol --version 1 --owner-key " D
		     "/owner.key --to-kec \"$kec\" --generate 64"
		     " --type logon --out " D "/vol.kfs && "
		     ADMIN "prepare item put " D "/vol.kfs --dataset disks --entity host1" SIGN2
		     "--submit 2>&1"),
		  "the owner seals a disk key to the host") ||
	    !fetch_vol("the host fetches its disk key"))
		return;
	if (!step(sh(0, "dd if=/dev/zero of=" D "/volume bs=1M count=1 2>/dev/null && "
		     VOLUME_OPEN " && head -c 65536 /dev/urandom > /tmp/plain &&"
		     " dd if=/tmp/plain of=/dev/mapper/kfvol bs=64k count=1 conv=fsync 2>/dev/null"
		     " && sha256sum < /tmp/plain > " D "/plain.sha256 && " VOLUME_CLOSE " 2>&1"),
		  "a dm-crypt volume on the disk is written with the delivered key"))
		return;
	if (!step(sh(0, "keyferry status --json | sed -n 's/.*\"kei_pub\":\"\\([^\"]*\\)\".*/\\1/p'"
		     " > " D "/kei.pub && keyferry identity save --file " D "/identity 2>&1") &&
		  has("seat tpm"), "the identity is saved, sealed by the TPM"))
		return;
	step(sh(0, "cp " D "/identity " D "/identity.boot1 && keyferry status") &&
	     has("seat of trust          tpm (epoch"), "status names the seat of trust");
	unmount_disk();
}

/* Flip one bit of a copy of the blob, at offset at. */
static bool altered_copy(const char *from, const char *to, long at)
{
	return sh(0, "cp %s %s && b=$(od -An -tu1 -j%ld -N1 %s | tr -d ' ') &&"
		  " printf \"$(printf '\\\\%%03o' $((b ^ 1)))\" |"
		  " dd of=%s bs=1 seek=%ld conv=notrunc 2>/dev/null && ! cmp -s %s %s",
		  from, to, at, to, to, at, from, to);
}

static void boot2(void)
{
	if (!mount_disk() || !step(start_repo(), "the repository runs again"))
		return;
	if (!step(sh(0, "keyferry identity load --file " D "/identity 2>&1") &&
		  has("entity host1 in region lab, enrolled (seat tpm"),
		  "after a reboot, the same TPM opens the identity: host1, enrolled"))
		return;
	if (!step(sh(0, "keyferry status --json | sed -n 's/.*\"kei_pub\":\"\\([^\"]*\\)\".*/\\1/p'"
		     " | cmp - " D "/kei.pub"), "it has the same identity key Kei") ||
	    !fetch_vol("the host fetches its disk key without enrolling again") ||
	    !volume_reads_back())
		return;
	if (!step(sh(0, "keyferry identity save --file " D "/identity 2>&1"),
		  "a newer blob is saved and committed"))
		return;
	if (!step(sh(3, "keyferry identity load --replace --file " D "/identity.boot1 2>&1") &&
		  has("stale"), "the boot-1 blob (a rolled-back file) is refused: stale"))
		return;
	if (!step(altered_copy(D "/identity", "/tmp/altered", 100) &&
		  sh(3, "keyferry identity load --replace --file /tmp/altered 2>&1") &&
		  altered_copy(D "/identity", "/tmp/altered", 300) &&
		  sh(3, "keyferry identity load --replace --file /tmp/altered 2>&1"),
		  "a blob with a bit changed (in the TPM's part, in the sealed state) is refused"))
		return;
	step(sh(0, "keyferry status") && has("enrolled               yes") &&
	     has("entity                 host1"), "the refusals left the identity as it was");
	unmount_disk();
}

static void boot3(void)
{
	if (!mount_disk())
		return;
	if (!step(sh(3, "keyferry identity load --file " D "/identity 2>&1") &&
		  has("the TPM refuses the blob's sealed key"),
		  "a fresh TPM (cleared, or another host's) refuses the blob, and says why"))
		return;
	step(sh(0, "keyferry status") && has("entity state           none"),
	     "no identity was installed");
	unmount_disk();
}

static void boot4(void)
{
	if (!mount_disk() ||
	    !step(sh(0, "keyferry identity load --file " D "/identity 2>&1"), "the identity loads"))
		return;
	/* Save in a loop; the host kills the VM somewhere in the middle. */
	sh(0, "i=0; while keyferry identity save --file " D "/identity > /dev/null 2>&1; do"
	   " i=$((i + 1)); [ $i -eq 3 ] && echo KF-KILL-ME > /dev/ttyS1; done; echo save failed");
	step(false, "the VM was still running when the power was cut");
}

static void boot5(void)
{
	if (!mount_disk() || !step(start_repo(), "the repository runs again"))
		return;
	/* As after a real reboot: the daemon starts, with nothing loaded. */
	if (!step(sh(0, "printf 'repository = " URL "\\nitem = vol\\nkeyring = session\\n"
		     "identity = " D "/identity\\n' > /tmp/kf.conf && (keyferry daemon --config"
		     " /tmp/kf.conf > /tmp/daemon.log 2>&1 & echo $! > /tmp/daemon.pid) &&"
		     " end=$(($(date +%%s) + 120)) && until keyferry list 2>/dev/null |"
		     " grep -q keyferry:ops:vol; do [ $(date +%%s) -lt $end ] || exit 1;"
		     " sleep 0.1; done; cat /tmp/daemon.log") &&
		  has("identity loaded from " D "/identity: entity host1 in region lab"),
		  "after the power cut, the daemon loads the blob on disk and fetches the disk key"))
		return;
	if (!volume_reads_back())
		return;
	sh(0, "kill $(cat /tmp/daemon.pid)");
	unmount_disk();
}

int main(void)
{
	const char *b = getenv("KF_BOOT");
	int boot = b ? atoi(b) : 0;

	printf("TAP version 13\n");
	if (!kf_vm_inside() || !getenv("KF_DISK") || boot < 1 || boot > 5) {
		printf("1..1\nok 1 # SKIP not a boot of selftests/boot_identity.boots\n");
		return 4;
	}
	setenv("KEYFERRY_DB", D "/r.db", 1);
	if (!step(kf_vm_load() == 0, "the module loads"))
		goto out;
	switch (boot) {
	case 1:
		boot1();
		break;
	case 2:
		boot2();
		break;
	case 3:
		boot3();
		break;
	case 4:
		boot4();
		break;
	case 5:
		boot5();
		break;
	}
out:
	stop_repo();
	kf_vm_run(NULL, 0, "dmsetup remove_all; umount " D "; true");
	printf("1..%d\n", n_steps);
	return failed;
}
