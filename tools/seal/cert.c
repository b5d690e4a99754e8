// SPDX-License-Identifier: MIT
/*
 * keyferry-seal --cert FILE --authority FILE [--revocations FILE]: seal
 * only to a Kec-pub the region's authority certified.  The certificate
 * must verify against the authority file (k signatures of its members),
 * be for the region sealed to and valid now; with a revocation list
 * (itself verified and not stale) the entity must not be listed.  The
 * owner then needs to trust neither the repository that handed out the
 * certificate nor whoever carried it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/authority/objfile.h"
#include "tools/cli/cli.h"
#include "tools/seal/seal.h"

static int read_list(const struct kf_authority *a, const char *path,
		     uint8_t **buf, struct kf_revocations *l)
{
	char why[256];
	size_t len;
	int ret = kf_objfile_read(path, KF_FILE_REVOCATIONS, buf, &len);

	if (ret)
		return ret;
	ret = kf_verify_revocations(a, *buf, len, kf_now(), l, why,
				    sizeof(why));
	if (ret)
		kf_err("--revocations: %s: %s", path, why);
	return ret;
}

int kf_seal_certified_kec(const char *cert, const char *authority,
			  const char *revocations, const char *region,
			  const char *entity, uint8_t kec[KF_KEY_SIZE])
{
	uint8_t *cbuf = NULL, *lbuf = NULL;
	struct kf_revocations l;
	struct kf_certificate c;
	struct kf_authority a;
	char why[256];
	size_t len;
	int ret = kf_authority_read(authority, &a);

	if (!ret && strcmp(a.region, region)) {
		kf_err("--authority: %s is the authority of region %s, not %s",
		       authority, a.region, region);
		ret = -EINVAL;
	}
	if (!ret)
		ret = kf_objfile_read(cert, KF_FILE_CERTIFICATE, &cbuf, &len);
	if (!ret) {
		ret = kf_verify_certificate(&a, cbuf, len, kf_now(), &c, why,
					    sizeof(why));
		if (ret)
			kf_err("--cert: %s: %s: refusing to seal to it", cert,
			       why);
	}
	if (!ret && entity && strcmp(entity, c.entity)) {
		kf_err("--cert: %s certifies %s/%s, not %s: refusing to seal to "
		       "it", cert, c.region, c.entity, entity);
		ret = -EPERM;
	}
	if (!ret && revocations)
		ret = read_list(&a, revocations, &lbuf, &l);
	if (!ret && revocations && kf_revocations_lists(&l, &c)) {
		kf_err("--cert: %s/%s is revoked (revocation list %llu): "
		       "refusing to seal to it", c.region, c.entity,
		       (unsigned long long)l.number);
		ret = -EKEYREVOKED;
	}
	if (!ret) {
		memcpy(kec, c.kec_pub, KF_KEY_SIZE);
		kf_info("sealing to %s/%s, certified by the authority of %s "
			"(serial %llu)%s", c.region, c.entity, a.region,
			(unsigned long long)c.serial, revocations ? ", not "
			"revoked" : "; no revocation list given");
	}
	free(cbuf);
	free(lbuf);
	return ret;
}
