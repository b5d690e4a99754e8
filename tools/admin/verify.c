// SPDX-License-Identifier: MIT
/*
 * What a relying party does, trusting the authority's public keys alone
 * (the authority file) and not the repository it fetches from:
 *   fetch certificate R NAME --out FILE, fetch revocations R --out FILE
 *   verify --authority AUTHFILE FILE...   (certificates, revocation lists)
 *   authority export FIRST-STATEMENT-FILE --out AUTHFILE
 *   authority update --authority AUTHFILE [--out NEWFILE]
 * The last one is chain.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/admin.h"
#include "tools/admin/prepare.h"
#include "tools/authority/describe.h"
#include "tools/authority/objfile.h"
#include "tools/cli/cli.h"

static char text[64 * 1024];

static int opts_out_auth(int argc, char **argv, const char **out,
			 const char **auth)
{
	static const struct option opts[] = {
		{ "out", 1, NULL, 'o' }, { "authority", 1, NULL, 'a' }, { 0 }
	};
	int c;

	*out = *auth = NULL;
	while ((c = getopt_long(argc, argv, "o:a:", opts, NULL)) != -1) {
		if (c == 'o')
			*out = optarg;
		else if (c == 'a')
			*auth = optarg;
		else
			return -EINVAL;
	}
	return 0;
}

static int describe_bytes(uint8_t kind, const uint8_t *b, size_t len,
			  const struct kf_authority *a, const char *prefix)
{
	struct kf_signed s;

	if (kf_signed_decode(&s, kind, b, len))
		return -EPROTO;
	kf_describe(&s, a, prefix, text, sizeof(text));
	return 0;
}

/* keyferry-admin fetch certificate R NAME | fetch revocations R, --out */
int kf_admin_fetch(int argc, char **argv)
{
	char path[2 * KF_NAME_MAX + 64];
	const char *out, *auth, *magic, *what = argv[0];
	struct kf_authority a;
	struct kf_reply_buf r;
	bool cert;
	int ret;

	/* argv[0] is what to fetch; getopt moves the rest behind optind. */
	if (opts_out_auth(argc, argv, &out, &auth))
		return 2;
	argc -= optind;
	argv += optind;
	cert = argc == 2 && !strcmp(what, "certificate");
	if (!out || !(cert || (argc == 1 && !strcmp(what, "revocations"))) ||
	    kf_parse_name("region", argv[0]) ||
	    (cert && kf_parse_name("entity", argv[1]))) {
		kf_err("fetch certificate R NAME --out FILE | fetch revocations "
		       "R --out FILE");
		return 2;
	}
	if (auth && kf_authority_read(auth, &a))
		return 1;
	if (cert)
		snprintf(path, sizeof(path), "/v1/regions/%s/entities/%s/"
			 "certificate", argv[0], argv[1]);
	else
		snprintf(path, sizeof(path), "/v1/regions/%s/revocations",
			 argv[0]);
	if (kf_admin_get(path, &r))
		return 1;
	if (r.status != 200) {
		kf_err("%s: %ld: %s", path, r.status, kf_reply_text(&r));
		kf_reply_buf_free(&r);
		return 1;
	}
	magic = cert ? KF_FILE_CERTIFICATE : KF_FILE_REVOCATIONS;
	ret = describe_bytes(cert ? KF_OBJ_CERTIFICATE : KF_OBJ_REVOCATIONS,
			     r.body, r.len, auth ? &a : NULL, "# ");
	if (ret)
		kf_err("%s: the repository's answer is malformed", path);
	else
		ret = kf_objfile_write(out, magic, text, r.body, r.len);
	kf_reply_buf_free(&r);
	return ret ? 1 : 0;
}

struct held {
	uint8_t *bytes;
	size_t len;
	bool is_list;
	struct kf_revocations list;
};

static int verify_list(const struct kf_authority *a, struct held *h,
		       const char *file)
{
	char why[256], t[32];
	int ret = kf_verify_revocations(a, h->bytes, h->len, kf_now(),
					&h->list, why, sizeof(why));

	if (ret) {
		kf_err("%s: %s", file, why);
		return ret;
	}
	if (!kf_admin_json)
		printf("%s: revocation list %s #%llu verifies, %u entr%s, next "
		       "by %s\n", file, h->list.region,
		       (unsigned long long)h->list.number, h->list.n,
		       h->list.n == 1 ? "y" : "ies",
		       kf_fmt_time(t, sizeof(t),
				   (int64_t)h->list.next_update));
	return 0;
}

static int verify_cert(const struct kf_authority *a, struct held *h,
		       const char *file, const struct held *list)
{
	struct kf_certificate c;
	char why[256], kec[64], t[32];
	int ret = kf_verify_certificate(a, h->bytes, h->len, kf_now(), &c,
					why, sizeof(why));

	if (ret) {
		kf_err("%s: %s", file, why);
		return ret;
	}
	if (list && kf_revocations_lists(&list->list, &c)) {
		kf_err("%s: %s/%s is revoked (revocation list #%llu)", file,
		       c.region, c.entity, (unsigned long long)list->list.number);
		return -EKEYREVOKED;
	}
	kf_base64_encode(kec, sizeof(kec), c.kec_pub, KF_KEY_SIZE);
	kf_fmt_time(t, sizeof(t), (int64_t)c.not_after);
	if (kf_admin_json)
		printf("{\"region\":\"%s\",\"entity\":\"%s\",\"serial\":%llu,"
		       "\"kec_pub\":\"%s\",\"not_after\":%llu,\"revocations_"
		       "checked\":%s}\n", c.region, c.entity,
		       (unsigned long long)c.serial, kec,
		       (unsigned long long)c.not_after, list ? "true" : "false");
	else
		printf("%s: certificate of %s/%s verifies (serial %llu, "
		       "Kec-pub %s, until %s)%s\n", file, c.region, c.entity,
		       (unsigned long long)c.serial, kec, t,
		       list ? ", not revoked" : "; no revocation list given");
	return 0;
}

/* keyferry-admin verify --authority AUTHFILE FILE...: exit 0 when every
 * certificate verifies and none is revoked by a list given. */
int kf_admin_verify(int argc, char **argv)
{
	static struct held held[32];
	const char *out, *auth;
	const struct held *list = NULL;
	struct kf_authority a;
	char kind[64];
	int i, n, ret = 0;

	if (opts_out_auth(argc, argv, &out, &auth) || !auth || out ||
	    argc - optind < 1 || argc - optind > 32) {
		kf_err("verify --authority AUTHORITY-FILE FILE... (certificate "
		       "and revocation list files, at most 32)");
		return 2;
	}
	if (kf_authority_read(auth, &a))
		return 1;
	n = argc - optind;
	memset(held, 0, sizeof(held));
	for (i = 0; !ret && i < n; i++) {
		if (kf_objfile_kind(argv[optind + i], kind, sizeof(kind)))
			kind[0] = 0;
		held[i].is_list = !strcmp(kind, KF_FILE_REVOCATIONS);
		ret = kf_objfile_read(argv[optind + i], held[i].is_list ?
				      KF_FILE_REVOCATIONS : KF_FILE_CERTIFICATE,
				      &held[i].bytes, &held[i].len);
		if (!ret && held[i].is_list) {
			ret = verify_list(&a, &held[i], argv[optind + i]);
			list = &held[i];
		}
	}
	for (i = 0; !ret && i < n; i++)
		if (!held[i].is_list)
			ret = verify_cert(&a, &held[i], argv[optind + i], list);
	for (i = 0; i < n; i++)
		free(held[i].bytes);
	return ret ? 1 : 0;
}

/* The first statement of a region, signed: its authority, checked. */
static int export_first(const char *file, const char *out)
{
	static struct kf_submission s;
	static struct kf_op op;
	struct kf_authority a = { 0 };
	struct kf_statement st;
	struct kf_signers who;
	struct kf_op_iter it;
	char why[256];
	uint8_t *raw = NULL;
	int ret = kf_admin_load_statement(file, &s, &raw, &st, a.statement);

	if (ret) {
		free(raw);
		return 1;
	}
	kf_op_iter_init(&it, &st);
	if (st.sequence != 1 || kf_op_next(&it, &op) != 1 ||
	    op.code != KF_OP_REGION_CREATE) {
		snprintf(why, sizeof(why), "not a region's first statement");
		ret = -EINVAL;
	}
	if (!ret) {
		snprintf(a.region, sizeof(a.region), "%s", st.region);
		a.threshold = op.threshold;
		a.n = op.n_members;
		memcpy(a.m, op.members, sizeof(a.m));
		a.sequence = 1;
		ret = kf_authority_check(&a, why, sizeof(why));
	}
	if (!ret)
		ret = kf_signed_verify(&s.statement, &a, &who, why,
				       sizeof(why));
	if (ret)
		kf_err("%s: %s", file, why);
	else
		ret = kf_authority_write(out, &a);
	free(raw);
	return ret ? 1 : 0;
}

/* keyferry-admin authority export FILE --out AUTHFILE | update ... */
int kf_admin_authority(int argc, char **argv)
{
	const char *out, *auth;

	if (opts_out_auth(argc, argv, &out, &auth))
		return 2;
	if (!strcmp(argv[0], "export") && argc - optind == 1 && out)
		return export_first(argv[optind], out);
	if (!strcmp(argv[0], "update") && argc == optind && auth)
		return kf_admin_authority_update(auth, out);
	kf_err("authority export FIRST-STATEMENT-FILE --out AUTHORITY-FILE | "
	       "authority update --authority AUTHORITY-FILE [--out FILE]");
	return 2;
}
