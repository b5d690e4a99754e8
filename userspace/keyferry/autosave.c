// SPDX-License-Identifier: MIT
/*
 * The helper saves the identity by itself when the module's saved state
 * changed (docs/operations.md, "Keep the identity across reboots").
 *
 * The blob carries the version records, so a blob saved before the newest
 * delivery would let a hostile repository serve an older version again
 * after a reboot.  The module counts changes of what a blob carries (its
 * state generation, GET_STATUS STATE_GEN) and says which generation the
 * blob last saved or loaded holds (SEALED_GEN); after a fetch, keyferry
 * fetch and keyferry daemon save when the two differ.  Only then: a lease
 * renewal of the same version changes nothing, and a TPM save writes the
 * TPM's NV memory, which wears.
 *
 * The helper never chooses a seat nor asks for a passphrase here: an
 * identity that was never saved (seat "none") is left to the operator's
 * `keyferry identity save`.  A passphrase identity re-exports under the
 * passphrase the module already holds.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "genl.h"
#include "identity_file.h"

/*
 * Whether the blob's directory can take it, checked before the export: a
 * TPM export reserves an epoch that only a written blob commits, and the
 * module allows 16 such reservations (docs/kernel.md), so a save that
 * would fail for a missing or read-only directory is not begun.
 */
static int kf_autosave_dir_ok(const char *path)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	dirname(dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return access(dir, W_OK) ? -errno : 0;
}

static void kf_autosave_failed(const struct kf_genl *g, const char *path,
			       const struct kf_identity_save *s, int err, char *msg, size_t cap)
{
	const char *step = s->stage == KF_SAVE_EXPORT ? "export" :
			   s->stage == KF_SAVE_COMMIT ? "commit" : "write";
	bool kernel = s->stage != KF_SAVE_WRITE && g->ext_msg[0];

	snprintf(msg, cap, "identity save to %s failed (%s): %s%s%s%s", path, step,
		 strerror(-err), kernel ? " (" : "", kernel ? g->ext_msg : "", kernel ? ")" : "");
}

int kf_identity_autosave(struct kf_genl *g, const struct kf_config *cfg, uint64_t *known,
			 char *msg, size_t cap)
{
	struct kf_identity_save s = { 0 };
	struct kf_module_status st;
	uint64_t saved;
	int ret;

	msg[0] = '\0';
	if (!cfg->identity[0] || !cfg->identity_autosave)
		return 0;
	ret = kf_genl_get_status(g, &st);
	if (ret < 0) {
		snprintf(msg, cap, "identity save to %s: the module's status: %s", cfg->identity,
			 strerror(-ret));
		return ret;
	}
	/* No seat yet: the operator's first `keyferry identity save` picks it. */
	if (st.entity_state == KEYFERRY_ENTITY_NONE || st.seat == KEYFERRY_SEAT_NONE)
		return 0;
	saved = known && *known ? *known : st.sealed_gen;
	if (st.state_gen == saved)
		return 0;
	s.seat = st.seat;
	s.stage = KF_SAVE_WRITE;
	ret = kf_autosave_dir_ok(cfg->identity);
	if (!ret)
		ret = kf_identity_save_to(g, cfg->identity, &s);
	if (ret) {
		kf_autosave_failed(g, cfg->identity, &s, ret, msg, cap);
		return ret;
	}
	if (known)
		*known = s.state_gen;
	snprintf(msg, cap, "identity saved to %s (seat %s, epoch %llu, generation %llu)",
		 cfg->identity, kf_seat_name(s.seat), (unsigned long long)s.epoch,
		 (unsigned long long)s.state_gen);
	return 1;
}
