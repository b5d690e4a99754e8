/* SPDX-License-Identifier: MIT */
/*
 * keyferry-admin's commands, one file per concern (tools/admin/): the
 * members' keys (key.c), preparing statements (prepare.c and the
 * operations they build, ops.c, entity.c's approvals and revocations),
 * showing, signing and submitting them (sign.c), what relying parties
 * check (verify.c), the repository's admin endpoint (remote.c), and the
 * read-only look at a store (region.c, entity.c, item.c, audit.c).
 */
#ifndef KF_TOOLS_ADMIN_H
#define KF_TOOLS_ADMIN_H

#include <stdbool.h>

#include "tools/authority/authority.h"
#include "tools/store/store.h"

/* keyferry-admin's command line (cmdline.c); main.c only calls it. */
int kf_admin_main(int argc, char **argv);

/* report.c: --json was given. */
extern bool kf_admin_json;

/* Print why and return the exit status 1. */
int kf_admin_fail(const char *what, int ret);
/* 0 when argc == n, else a message saying what expects n - 1 arguments. */
int kf_admin_need(int argc, int n, const char *what);

/* remote.c: the repository (--repository, $KEYFERRY_REPOSITORY). */
extern const char *kf_admin_repository;
struct kf_reply_buf {
	long status;		/* HTTP */
	uint8_t *body;		/* NUL-terminated too */
	size_t len;
};
int kf_admin_get(const char *path, struct kf_reply_buf *r);
int kf_admin_post(const char *path, const uint8_t *body, size_t len,
		  struct kf_reply_buf *r);
void kf_reply_buf_free(struct kf_reply_buf *r);
const char *kf_reply_text(const struct kf_reply_buf *r);

/* Commands on nothing but their arguments and the repository. */
int kf_admin_key(int argc, char **argv);
int kf_admin_prepare(int argc, char **argv);
int kf_admin_show(int argc, char **argv);
int kf_admin_sign(int argc, char **argv);
int kf_admin_submit(int argc, char **argv);
int kf_admin_fetch(int argc, char **argv);
int kf_admin_verify(int argc, char **argv);
int kf_admin_authority(int argc, char **argv);
int kf_admin_serverkey(int argc, char **argv);
/* chain.c: the region's chain, followed from an authority file. */
int kf_admin_authority_update(const char *file, const char *out);
int kf_admin_members(int argc, char **argv);
int kf_admin_pending(int argc, char **argv);	/* entity.c */

/* Read-only commands on a store (--db). argv[0] is the sub-command. */
int kf_admin_region(struct kf_store *st, int argc, char **argv);
int kf_admin_token(struct kf_store *st, int argc, char **argv);
int kf_admin_entity(struct kf_store *st, int argc, char **argv);
int kf_admin_group(struct kf_store *st, int argc, char **argv);
int kf_admin_dataset(struct kf_store *st, int argc, char **argv);
int kf_admin_item(struct kf_store *st, int argc, char **argv);
int kf_admin_audit(struct kf_store *st, int argc, char **argv);
int kf_admin_provider(struct kf_store *st, int argc, char **argv);
/* anchor.c: the store against its region's statements and anchors. */
int kf_admin_audit_authority(struct kf_store *st, const char *authfile,
			     const char *const *anchors, unsigned int n,
			     uint64_t max_age);

#endif /* KF_TOOLS_ADMIN_H */
