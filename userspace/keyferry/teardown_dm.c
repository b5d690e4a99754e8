// SPDX-License-Identifier: MIT
/*
 * dm-crypt teardown through the device-mapper ioctls (what dmsetup does,
 * without depending on it being installed, on udev, or on PATH): suspend,
 * "key wipe", an error table in place of the crypt one, resume, remove.
 *
 * Why each step: a suspended device takes no I/O, which is when dm-crypt
 * accepts "key wipe" (it zeroes its key and sets a random one into its
 * ciphers); a crypt target whose key was wiped refuses to resume, so an
 * error table goes in instead, and resuming into it destroys the crypt
 * target (kfree_sensitive of its key) and fails every later I/O cleanly
 * instead of leaving it blocked.  Removal is deferred to the last close
 * when the device is still open (a mounted filesystem): its name goes then.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/dm-ioctl.h>

#include "teardown.h"

#define KF_DM_BUF	16384
#define KF_DM_CONTROL	"/dev/mapper/control"

struct kf_dm {
	int fd;
	const char *name;
	union {
		struct dm_ioctl io;
		char buf[KF_DM_BUF];
	};
};

/* A fresh request for d->name with flags; its data area is empty. */
static struct dm_ioctl *kf_dm_req(struct kf_dm *d, uint32_t flags)
{
	struct dm_ioctl *io = &d->io;

	memset(d->buf, 0, sizeof(d->buf));
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = sizeof(d->buf);
	io->data_start = sizeof(*io);
	io->flags = flags;
	snprintf(io->name, sizeof(io->name), "%s", d->name);
	return io;
}

static int kf_dm_call(struct kf_dm *d, unsigned long cmd)
{
	if (ioctl(d->fd, cmd, &d->io) < 0)
		return -errno;
	if (d->io.flags & DM_BUFFER_FULL_FLAG)
		return -ENOSPC;
	return 0;
}

/*
 * The live table's targets: the total length in sectors, and whether every
 * target is crypt (to wipe) or error (a teardown that ran before).
 */
static int kf_dm_table(struct kf_dm *d, uint64_t *sectors, bool *has_crypt,
		       char *msg, size_t msglen)
{
	const char *data;
	uint32_t i;
	int ret;

	kf_dm_req(d, DM_STATUS_TABLE_FLAG);
	ret = kf_dm_call(d, DM_TABLE_STATUS);
	if (ret)
		return ret;
	data = d->buf + d->io.data_start;
	*sectors = 0;
	*has_crypt = false;
	for (i = 0; i < d->io.target_count; i++) {
		const struct dm_target_spec *t = (const void *)data;

		if (!strcmp(t->target_type, "crypt")) {
			*has_crypt = true;
		} else if (strcmp(t->target_type, "error")) {
			snprintf(msg, msglen, "%s has a %.16s target: not a dm-crypt device",
				 d->name, t->target_type);
			return -EMEDIUMTYPE;
		}
		*sectors = t->sector_start + t->length;
		data = d->buf + d->io.data_start + t->next;
	}
	return 0;
}

static int kf_dm_suspend(struct kf_dm *d, bool suspend)
{
	kf_dm_req(d, suspend ? DM_SUSPEND_FLAG : 0);
	return kf_dm_call(d, DM_DEV_SUSPEND);
}

static int kf_dm_message(struct kf_dm *d, const char *text)
{
	struct dm_ioctl *io = kf_dm_req(d, 0);
	struct dm_target_msg *m = (void *)(d->buf + io->data_start);

	m->sector = 0;
	snprintf(m->message, sizeof(d->buf) - io->data_start - sizeof(*m), "%s", text);
	return kf_dm_call(d, DM_TARGET_MSG);
}

/* Load (inactive) one error target as long as the device. */
static int kf_dm_load_error(struct kf_dm *d, uint64_t sectors)
{
	struct dm_ioctl *io = kf_dm_req(d, 0);
	struct dm_target_spec *t = (void *)(d->buf + io->data_start);

	io->target_count = 1;
	t->sector_start = 0;
	t->length = sectors;
	t->next = sizeof(*t) + 8;	/* the empty parameter string, aligned */
	snprintf(t->target_type, sizeof(t->target_type), "error");
	return kf_dm_call(d, DM_TABLE_LOAD);
}

/* Remove now, or at the last close when open: *deferred says which. */
static int kf_dm_remove(struct kf_dm *d, bool *deferred)
{
	int ret;

	*deferred = false;
	kf_dm_req(d, 0);
	ret = kf_dm_call(d, DM_DEV_REMOVE);
	if (ret != -EBUSY)
		return ret;
	*deferred = true;
	kf_dm_req(d, DM_DEFERRED_REMOVE);
	return kf_dm_call(d, DM_DEV_REMOVE);
}

/*
 * Without udev nobody removes /dev/mapper/NAME: do it when it is still
 * the node of the device just removed.
 */
static void kf_dm_unlink_node(const char *name, dev_t dev)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	if (!stat(path, &st) && S_ISBLK(st.st_mode) && st.st_rdev == dev)
		unlink(path);
}

/* Clean cached pages of the filesystem that was on the device go too. */
static bool kf_drop_page_cache(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "1\n", 2) == 2;
	close(fd);
	return ok;
}

static int kf_dm_close(struct kf_dm *d, char *msg, size_t msglen)
{
	bool has_crypt, deferred, wiped = false, dropped;
	uint64_t sectors;
	dev_t dev;
	int ret;

	ret = kf_dm_table(d, &sectors, &has_crypt, msg, msglen);
	if (ret == -ENXIO) {
		snprintf(msg, msglen, "dm-crypt %s: not open", d->name);
		return 0;
	}
	if (ret) {
		if (ret != -EMEDIUMTYPE)
			snprintf(msg, msglen, "dm-crypt %s: table: %s", d->name, strerror(-ret));
		return ret;
	}
	dev = (dev_t)d->io.dev;
	if (has_crypt) {
		ret = kf_dm_suspend(d, true);
		if (ret) {
			snprintf(msg, msglen, "dm-crypt %s: suspend: %s", d->name, strerror(-ret));
			return ret;
		}
		/* Best effort: the error table below destroys the key anyway. */
		wiped = !kf_dm_message(d, "key wipe");
		ret = kf_dm_load_error(d, sectors);
		if (!ret)
			ret = kf_dm_suspend(d, false);
		if (ret) {
			snprintf(msg, msglen, "dm-crypt %s: replacing the crypt table: %s "
				 "(the device stays suspended%s)", d->name, strerror(-ret),
				 wiped ? ", its key wiped" : "");
			return ret;
		}
	}
	dropped = kf_drop_page_cache();
	ret = kf_dm_remove(d, &deferred);
	if (ret) {
		snprintf(msg, msglen, "dm-crypt %s: key %s, crypt table destroyed; remove: %s",
			 d->name, wiped ? "wiped" : "gone", strerror(-ret));
		return ret;
	}
	if (!deferred)
		kf_dm_unlink_node(d->name, dev);
	snprintf(msg, msglen, "dm-crypt %s: %s, crypt table destroyed, %s%s", d->name,
		 !has_crypt ? "already torn down" : wiped ? "key wiped" : "key gone",
		 deferred ? "still open: removed at its last close" : "removed",
		 dropped ? "" : " (page cache not dropped)");
	return 0;
}

int kf_teardown_dm_crypt(const char *name, char *msg, size_t msglen)
{
	struct kf_dm *d;
	int ret;

	if (!*name || strlen(name) >= DM_NAME_LEN || strchr(name, '/')) {
		snprintf(msg, msglen, "dm-crypt \"%s\": not a device-mapper name", name);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(msg, msglen, "dm-crypt %s: out of memory", name);
		return -ENOMEM;
	}
	d->name = name;
	d->fd = open(KF_DM_CONTROL, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		ret = -errno;
		if (ret == -ENOENT) {
			/* No device-mapper at all: nothing can be open. */
			snprintf(msg, msglen, "dm-crypt %s: not open (no %s)", name,
				 KF_DM_CONTROL);
			ret = 0;
		} else {
			snprintf(msg, msglen, "dm-crypt %s: %s: %s", name, KF_DM_CONTROL,
				 strerror(-ret));
		}
		free(d);
		return ret;
	}
	ret = kf_dm_close(d, msg, msglen);
	close(d->fd);
	free(d);
	return ret;
}
