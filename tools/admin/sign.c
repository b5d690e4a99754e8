// SPDX-License-Identifier: MIT
/*
 * keyferry-admin show, sign, submit: what a submission file holds, a
 * member's signature added to it (offline: nothing here needs the
 * network), and the file sent to the repository.  Several members may
 * sign copies of one file in parallel: submit merges their signatures.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/prepare.h"
#include "tools/authority/describe.h"
#include "tools/authority/objfile.h"
#include "tools/authority/signer.h"
#include "tools/cli/cli.h"

static char notes[256 * 1024];

int kf_admin_sign_all(struct kf_submission *s, const char *const *keys,
		      unsigned int n)
{
	struct kf_signed *objs[KF_OPS_MAX + 3];
	unsigned int n_objs = kf_submission_objects(s, objs, KF_OPS_MAX + 3);
	struct kf_signer *k;
	unsigned int i, j;
	int ret = 0;

	for (i = 0; !ret && i < n; i++) {
		ret = kf_signer_load(&k, keys[i]);
		for (j = 0; !ret && j < n_objs; j++)
			ret = kf_signer_sign_object(k, objs[j]);
		kf_signer_free(k);
		if (ret && ret != -EPERM && ret != -ENOENT && ret != -EINVAL)
			kf_err("%s: cannot sign: %s", keys[i], strerror(-ret));
	}
	return ret;
}

int kf_admin_write(const char *path, struct kf_submission *s)
{
	static uint8_t buf[KF_SUBMISSION_MAX];
	size_t len;
	int ret = kf_submission_encode(s, buf, sizeof(buf), &len);

	if (ret) {
		kf_err("%s: the submission is larger than %d bytes", path,
		       KF_SUBMISSION_MAX);
		return ret;
	}
	kf_describe_submission(s, NULL, "# ", notes, sizeof(notes));
	ret = kf_objfile_write(path, KF_FILE_SUBMISSION, notes, buf, len);
	if (ret)
		kf_err("%s: %s", path, strerror(-ret));
	return ret;
}

int kf_admin_send(struct kf_submission *s)
{
	static uint8_t buf[KF_SUBMISSION_MAX];
	struct kf_reply_buf r;
	size_t len;
	int ret = kf_submission_encode(s, buf, sizeof(buf), &len);

	if (!ret)
		ret = kf_admin_post("/v1/admin/submit", buf, len, &r);
	if (ret)
		return 1;
	if (r.status != 200)
		kf_err("refused (%ld): %s", r.status, kf_reply_text(&r));
	else if (kf_admin_json)
		printf("{\"applied\":true,\"reply\":\"%s\"}\n",
		       kf_reply_text(&r));
	else
		printf("%s\n", kf_reply_text(&r));
	ret = r.status == 200 ? 0 : 1;
	kf_reply_buf_free(&r);
	return ret;
}

int kf_admin_load(const char *path, struct kf_submission *s, uint8_t **raw)
{
	char why[256];
	size_t len;
	int ret = kf_objfile_read(path, KF_FILE_SUBMISSION, raw, &len);

	if (ret)
		return ret;
	ret = kf_submission_decode(s, *raw, len, why, sizeof(why));
	if (ret)
		kf_err("%s: %s", path, why);
	return ret;
}

int kf_admin_load_statement(const char *path, struct kf_submission *s,
			    uint8_t **raw, struct kf_statement *st,
			    uint8_t id[KF_ID_SIZE])
{
	char why[256];
	int ret = kf_admin_load(path, s, raw);

	if (ret)
		return ret;
	if (!s->has_statement) {
		kf_err("%s: holds no statement", path);
		return -EINVAL;
	}
	ret = kf_statement_decode(st, s->statement.body, s->statement.body_len,
				  why, sizeof(why));
	if (!ret)
		ret = kf_signed_id(&s->statement, id);
	if (ret)
		kf_err("%s: %s", path, why);
	return ret;
}

/* keyferry-admin show FILE [--authority AUTHFILE] */
int kf_admin_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "authority", 1, NULL, 'a' }, { 0 }
	};
	static struct kf_submission s;
	struct kf_authority a;
	const char *afile = NULL;
	uint8_t *raw = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "a:", opts, NULL)) != -1) {
		if (c != 'a')
			return 2;
		afile = optarg;
	}
	if (argc - optind != 1) {
		kf_err("show FILE [--authority AUTHORITY-FILE]");
		return 2;
	}
	if ((afile && kf_authority_read(afile, &a)) ||
	    kf_admin_load(argv[optind], &s, &raw)) {
		free(raw);
		return 1;
	}
	kf_describe_submission(&s, afile ? &a : NULL, "", notes,
			       sizeof(notes));
	fputs(notes, stdout);
	free(raw);
	return 0;
}

/*
 * keyferry-admin sign FILE --key KEYFILE [--authority FILE]: read what the
 * file says (it is printed, with the signers' names when the authority
 * file is given), add this member's signature to every object in it,
 * write it back.  Offline.
 */
int kf_admin_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", 1, NULL, 'k' }, { "authority", 1, NULL, 'a' }, { 0 }
	};
	static struct kf_submission s;
	const char *keys[KF_SIGN_KEYS_MAX], *afile = NULL;
	struct kf_authority a;
	unsigned int n = 0;
	uint8_t *raw = NULL;
	int c, ret;

	while ((c = getopt_long(argc, argv, "k:a:", opts, NULL)) != -1) {
		if (c == 'a')
			afile = optarg;
		else if (c != 'k' || n == KF_SIGN_KEYS_MAX)
			return 2;
		else
			keys[n++] = optarg;
	}
	if (argc - optind != 1 || !n) {
		kf_err("sign FILE --key KEYFILE [--authority AUTHORITY-FILE]");
		return 2;
	}
	if (afile && kf_authority_read(afile, &a))
		return 1;
	ret = kf_admin_load(argv[optind], &s, &raw);
	if (!ret) {
		kf_describe_submission(&s, afile ? &a : NULL, "", notes,
				       sizeof(notes));
		if (!kf_admin_json)
			printf("signing:\n%s", notes);
		ret = kf_admin_sign_all(&s, keys, n);
	}
	if (!ret)
		ret = kf_admin_write(argv[optind], &s);
	free(raw);
	return ret ? 1 : 0;
}

/* Add b's signatures to a's, when both hold the same objects. */
static int merge(struct kf_submission *a, struct kf_submission *b)
{
	struct kf_signed *oa[KF_OPS_MAX + 3], *ob[KF_OPS_MAX + 3];
	unsigned int na = kf_submission_objects(a, oa, KF_OPS_MAX + 3);
	unsigned int nb = kf_submission_objects(b, ob, KF_OPS_MAX + 3);
	unsigned int i, j;
	int ret = 0;

	if (na != nb)
		return -EINVAL;
	for (i = 0; i < na; i++)
		if (oa[i]->kind != ob[i]->kind ||
		    oa[i]->body_len != ob[i]->body_len ||
		    memcmp(oa[i]->body, ob[i]->body, oa[i]->body_len))
			return -EINVAL;
	for (i = 0; !ret && i < na; i++)
		for (j = 0; !ret && j < ob[i]->n_sigs; j++)
			ret = kf_signed_add(oa[i], &ob[i]->sigs[j]);
	return ret;
}

/* keyferry-admin submit FILE... (copies of one submission) */
int kf_admin_submit(int argc, char **argv)
{
	static struct kf_submission s, t;
	uint8_t *raw[16] = { NULL };
	int i, ret = 0;

	if (argc < 2 || argc > 17) {
		kf_err("submit FILE... (at most 16 signed copies of one file)");
		return 2;
	}
	ret = kf_admin_load(argv[1], &s, &raw[0]);
	for (i = 2; !ret && i < argc; i++) {
		ret = kf_admin_load(argv[i], &t, &raw[i - 1]);
		if (!ret && merge(&s, &t)) {
			kf_err("%s: not a copy of %s", argv[i], argv[1]);
			ret = -EINVAL;
		}
	}
	if (!ret)
		ret = kf_admin_send(&s) ? -EPERM : 0;
	for (i = 0; i < 16; i++)
		free(raw[i]);
	return ret ? 1 : 0;
}
