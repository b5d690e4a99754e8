// SPDX-License-Identifier: MIT
/*
 * keyferry-seal, the owner's tool: seal a key to an entity's (or group's)
 * Kec public key, authenticated by the owner's key Ko, or under an
 * unwrapping key, with the owner-bound policy and the version the owner
 * chooses (docs/protocol.md sections 4 and 6).  The output is a
 * sealed-item file (sealfile.h) for the repository's administrator; the
 * repository never sees the key in clear, and cannot make an item the
 * hosts accept.  `keyferry-seal owner-key` makes and shows Ko
 * (ownerkey.c).
 *
 * The Kec-pub comes from somewhere the owner does not control (usually
 * the repository's own database), so the tool seals only to a key it can
 * check: one a certificate of the region's authority binds (--cert, cert.c),
 * or one whose fingerprint the operator read on the host (--expect-kec);
 * it says loudly when it can check neither.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tools/cli/cli.h"
#include "tools/formats/keyfile.h"
#include "tools/formats/sealfile.h"
#include "tools/seal/internal.h"
#include "tools/seal/seal.h"

struct seal_args {
	const char *region, *item, *out, *key_file, *key_out;
	const char *to_kec, *owner_key, *expect_kec, *unwrap_file;
	const char *cert, *authority, *revocations, *entity;	/* cert.c */
	bool require_verified;
	uint64_t generate, version;
	struct kf_policy pol;
};

/* The clear key and the owner's and unwrapping keys, in locked memory. */
struct secrets {
	uint8_t key[KF_ITEM_KEY_MAX];
	uint8_t ko[KF_KEY_SIZE];
	uint8_t kw[KF_KEY_SIZE];
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: keyferry-seal --region R --item NAME --version N\n"
"         (--owner-key FILE\n"
"           (--cert FILE --authority FILE [--revocations FILE] [--entity E]\n"
"            | --to-kec BASE64) [--expect-kec FINGERPRINT]\n"
"          | --unwrap-key-file FILE --unwrap-key ITEM)\n"
"         (--key FILE | --key - | --generate N) [--with-key-out FILE]\n"
"         --type logon|user|fscrypt|unwrap [--lease DURATION]\n"
"         [--grace DURATION] [--timeout DURATION] [--not-before TIME]\n"
"         [--not-after TIME] [--perm 0xPERM] [--require-verified]\n"
"         [--out FILE]\n"
"       keyferry-seal owner-key generate FILE\n"
"       keyferry-seal owner-key show FILE\n"
"\n"
"--version N: the item's version, 1 to 2^63-1, bound into the sealed\n"
"  item.  Hosts refuse a version lower than one they installed, and the\n"
"  repository refuses to store one not higher than it holds.  There is\n"
"  no default: only you know which version is the newest, and a default\n"
"  taken from what the repository says would let it choose for you.\n"
"--cert: the recipient's certificate (keyferry-admin fetch certificate):\n"
"  sealed to its Kec-pub only if it verifies against the region's\n"
"  --authority file, is valid now, is not in --revocations, and (with\n"
"  --entity) certifies that entity.\n"
"--to-kec: the recipient's Kec public key (with --cert: must match it).\n"
"--owner-key: your key Ko (keyferry-seal owner-key generate); hosts pin\n"
"  its public half (owner-key show) and install only items it sealed.\n"
"--expect-kec: the Kec fingerprint `keyferry status` shows on the host;\n"
"  sealing is refused when the Kec-pub does not have it.  Without it or\n"
"  --cert the tool warns that it cannot know whose key it seals to, and\n"
"  --require-verified makes that a refusal.\n"
"--unwrap-key-file: base64 of a 32-byte unwrapping key the hosts hold as\n"
"  item ITEM of the same owner (delivered before, of type unwrap).\n"
"--lease: the host must fetch the item again within DURATION (60 s to\n"
"  2^31 s) or the key ends; --grace adds to it.\n"
"--timeout: the key ends DURATION after it is installed.\n"
"TIME: unix seconds, +DURATION from now, or YYYY-MM-DDTHH:MM:SSZ.\n"
"The host installs the key as keyferry:OWNER:ITEM (OWNER: the name it\n"
"pinned your key under).  Writes the sealed-item file to --out (default\n"
"stdout).\n");
}

static int key_type(const char *s, uint8_t *t)
{
	static const char *const names[] = { "logon", "user", "fscrypt",
					     "unwrap" };
	unsigned int i;

	for (i = 0; i < KF_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*t = (uint8_t)(i + 1);
			return 0;
		}
	kf_err("--type: '%s' is not logon, user, fscrypt or unwrap", s);
	return -EINVAL;
}

/* A duration of at most max seconds, for a 4-byte policy field. */
static int duration32(const char *field, const char *s, uint64_t min,
		      uint64_t max, uint32_t *out)
{
	uint64_t v;

	if (kf_parse_duration(field, s, &v))
		return -EINVAL;
	if (v < min || v > max) {
		kf_err("%s: %llu s is not within %llu s to %llu s", field,
		       (unsigned long long)v, (unsigned long long)min,
		       (unsigned long long)max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_perm(const char *s, struct kf_policy *p)
{
	uint64_t v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > UINT32_MAX) {
		kf_err("--perm: '%s' is not a 32-bit key_perm_t", s);
		return -EINVAL;
	}
	p->has_perm = true;
	p->perm = (uint32_t)v;
	return 0;
}

static int parse_policy_opt(int o, struct seal_args *a)
{
	int64_t t;

	switch (o) {
	case 't': return key_type(optarg, &a->pol.key_type);
	case 'T':
		return duration32("--timeout", optarg, 0, UINT32_MAX,
				  &a->pol.timeout);
	case 'l':
		return duration32("--lease", optarg, KF_LEASE_MIN,
				  KF_LEASE_MAX, &a->pol.lease);
	case 'G':
		return duration32("--grace", optarg, 0, UINT32_MAX,
				  &a->pol.grace);
	case 'b': case 'a':
		if (kf_parse_time(o == 'b' ? "--not-before" : "--not-after",
				  optarg, &t))
			return -EINVAL;
		*(o == 'b' ? &a->pol.not_before : &a->pol.not_after) =
			(uint64_t)t;
		return 0;
	case 'p': return parse_perm(optarg, &a->pol);
	case 'U':
		if (kf_parse_name("--unwrap-key", optarg))
			return -EINVAL;
		snprintf(a->pol.unwrap_key, sizeof(a->pol.unwrap_key), "%s",
			 optarg);
		return 0;
	case 'd':
		kf_err("--description: gone with protocol version 2: hosts "
		       "install the key as keyferry:OWNER:ITEM");
		return -EINVAL;
	}
	usage(stderr);
	return -EINVAL;
}

static int parse_opt(int o, struct seal_args *a)
{
	switch (o) {
	case 'r': a->region = optarg; return kf_parse_name("--region", optarg);
	case 'i': a->item = optarg; return kf_parse_name("--item", optarg);
	case 'v':
		return kf_parse_u64("--version", optarg, 1, KF_VERSION_MAX,
				    &a->version);
	case 'o': a->out = optarg; return 0;
	case 'k': a->key_file = optarg; return 0;
	case 'K': a->key_out = optarg; return 0;
	case 'c': a->to_kec = optarg; return 0;
	case 'C': a->cert = optarg; return 0;
	case 'A': a->authority = optarg; return 0;
	case 'L': a->revocations = optarg; return 0;
	case 'N': a->entity = optarg; return kf_parse_name("--entity", optarg);
	case 'O': a->owner_key = optarg; return 0;
	case 'E': a->expect_kec = optarg; return 0;
	case 'R': a->require_verified = true; return 0;
	case 'u': a->unwrap_file = optarg; return 0;
	case 'g':
		return kf_parse_u64("--generate", optarg, 1, KF_ITEM_KEY_MAX,
				    &a->generate);
	case 'h': usage(stdout); exit(0);
	}
	return parse_policy_opt(o, a);
}

/* Which options go together; each refusal says what is missing. */
static int check_args(const struct seal_args *a)
{
	if (!a->region || !a->item || !a->pol.key_type) {
		kf_err("--region, --item and --type are required");
		return -EINVAL;
	}
	if (!a->version) {
		kf_err("--version is required: you choose the item's version "
		       "(see --help)");
		return -EINVAL;
	}
	if ((!a->to_kec && !a->cert) == !a->unwrap_file ||
	    !a->unwrap_file != !a->pol.unwrap_key[0]) {
		kf_err("give either --cert (or --to-kec), or --unwrap-key-file "
		       "with --unwrap-key");
		return -EINVAL;
	}
	if (!a->cert != !a->authority) {
		kf_err("--cert and --authority go together: a certificate is "
		       "checked against the region's authority file");
		return -EINVAL;
	}
	if ((a->revocations || a->entity) && !a->cert) {
		kf_err("--revocations and --entity go with --cert");
		return -EINVAL;
	}
	if (!a->unwrap_file && !a->owner_key) {
		kf_err("--owner-key is required with --cert or --to-kec: hosts "
		       "install only items their pinned owner key sealed");
		return -EINVAL;
	}
	if (a->unwrap_file && (a->owner_key || a->expect_kec)) {
		kf_err("--owner-key and --expect-kec go with --cert or --to-kec: "
		       "an item under an unwrapping key is the owner's of that key");
		return -EINVAL;
	}
	if (a->pol.grace && !a->pol.lease) {
		kf_err("--grace: only with --lease");
		return -EINVAL;
	}
	if (!a->key_file == !a->generate) {
		kf_err("give either --key FILE (- for stdin) or --generate N");
		return -EINVAL;
	}
	if (a->key_out && !a->generate) {
		kf_err("--with-key-out: only with --generate");
		return -EINVAL;
	}
	return 0;
}

static int parse(int argc, char **argv, struct seal_args *a)
{
	static const struct option opts[] = {
		{ "region", 1, NULL, 'r' }, { "item", 1, NULL, 'i' },
		{ "version", 1, NULL, 'v' },
		{ "out", 1, NULL, 'o' }, { "key", 1, NULL, 'k' },
		{ "with-key-out", 1, NULL, 'K' }, { "to-kec", 1, NULL, 'c' },
		{ "cert", 1, NULL, 'C' }, { "authority", 1, NULL, 'A' },
		{ "revocations", 1, NULL, 'L' }, { "entity", 1, NULL, 'N' },
		{ "owner-key", 1, NULL, 'O' }, { "expect-kec", 1, NULL, 'E' },
		{ "require-verified", 0, NULL, 'R' },
		{ "unwrap-key-file", 1, NULL, 'u' },
		{ "unwrap-key", 1, NULL, 'U' }, { "generate", 1, NULL, 'g' },
		{ "type", 1, NULL, 't' }, { "description", 1, NULL, 'd' },
		{ "timeout", 1, NULL, 'T' }, { "lease", 1, NULL, 'l' },
		{ "grace", 1, NULL, 'G' }, { "not-before", 1, NULL, 'b' },
		{ "not-after", 1, NULL, 'a' }, { "perm", 1, NULL, 'p' },
		{ "help", 0, NULL, 'h' }, { 0 }
	};
	int o;

	a->out = "-";
	optind = 0;	/* 0: re-initialise getopt fully */
	while ((o = getopt_long(argc, argv,
				"r:i:v:o:k:K:c:C:A:L:N:O:E:Ru:U:g:t:d:T:l:G:b:a:p:h",
				opts, NULL)) != -1)
		if (parse_opt(o, a))
			return -EINVAL;
	if (optind != argc) {
		kf_err("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return check_args(a);
}

/* The clear key, into locked memory. */
static int get_key(const struct seal_args *a, uint8_t *key, size_t *len)
{
	uint8_t *buf;
	size_t n;
	int ret;

	if (a->generate) {
		*len = (size_t)a->generate;
		return kf_random(key, *len);
	}
	ret = kf_read_file(a->key_file, KF_ITEM_KEY_MAX, &buf, &n);
	if (ret == -EFBIG) {
		kf_err("--key: %s: longer than %d bytes", a->key_file,
		       KF_ITEM_KEY_MAX);
		return ret;
	}
	if (ret || !n) {
		kf_err("--key: %s: %s", a->key_file,
		       ret ? strerror(-ret) : "empty");
		if (!ret)
			free(buf);
		return ret ? ret : -EINVAL;
	}
	memcpy(key, buf, n);
	*len = n;
	kf_wipe(buf, n);
	free(buf);
	return 0;
}

static int read_unwrap_key(const char *path, uint8_t kw[KF_KEY_SIZE])
{
	uint8_t *buf;
	size_t n;
	int ret = kf_read_file(path, 256, &buf, &n);

	if (ret) {
		kf_err("--unwrap-key-file: %s: %s", path, strerror(-ret));
		return ret;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	if (n == KF_KEY_SIZE)
		memcpy(kw, buf, KF_KEY_SIZE);	/* raw */
	else if (kf_key_from_base64(kw, (char *)buf))
		ret = -EINVAL;
	kf_wipe(buf, n);
	free(buf);
	if (ret)
		kf_err("--unwrap-key-file: %s: not 32 bytes nor their base64",
		       path);
	return ret;
}

/*
 * Whose key is this?  A certificate of the region's authority says (it
 * was checked, with --cert), and so does the fingerprint the operator read
 * on the host; with neither, the tool says it cannot know.
 */
static int verify_kec(const struct seal_args *a,
		      const uint8_t kec[KF_KEY_SIZE])
{
	char fp[KF_FINGERPRINT_LEN + 1];
	uint8_t want[32];

	kf_kec_fingerprint(fp, kec);
	if (a->expect_kec) {
		if (kf_fingerprint_parse(want, a->expect_kec)) {
			kf_err("--expect-kec: '%s' is not a fingerprint (64 "
			       "hex digits, as `keyferry status` shows)",
			       a->expect_kec);
			return -EINVAL;
		}
		if (!kf_kec_fingerprint_matches(kec, a->expect_kec)) {
			kf_err("--expect-kec: the Kec-pub given has "
			       "fingerprint %s, not %s: it is not the host's "
			       "key; refusing to seal to it", fp,
			       a->expect_kec);
			return -EKEYREJECTED;
		}
		return 0;
	}
	if (a->cert)
		return 0;
	if (a->require_verified) {
		kf_err("--require-verified: nothing verifies this Kec-pub "
		       "(fingerprint %s); give --expect-kec with the "
		       "fingerprint `keyferry status` shows on the host", fp);
		return -EKEYREJECTED;
	}
	/* Louder than kf_warn(): this is the mistake issue 10 is about. */
	kf_info("WARNING: sealing to a Kec-pub nobody verified (fingerprint "
		"%s). Whoever handed it to you, the repository's database "
		"included, may hold its private half and read this key. "
		"Compare it with `keyferry status` on the host and pass "
		"--expect-kec, or refuse such keys with --require-verified.",
		fp);
	return 0;
}

/* The recipient's Kec-pub: from --to-kec, or --cert (checked, matching). */
static int recipient_kec(const struct seal_args *a, uint8_t kec[KF_KEY_SIZE])
{
	uint8_t certified[KF_KEY_SIZE];
	int ret;

	if (a->to_kec && kf_key_from_base64(kec, a->to_kec)) {
		kf_err("--to-kec: '%s' is not the base64 of a 32-byte key",
		       a->to_kec);
		return -EINVAL;
	}
	if (!a->cert)
		return 0;
	ret = kf_seal_certified_kec(a->cert, a->authority, a->revocations,
				    a->region, a->entity, certified);
	if (ret)
		return ret;
	if (a->to_kec && !kf_equal(kec, certified, KF_KEY_SIZE)) {
		kf_err("--to-kec: not the Kec-pub the certificate binds: "
		       "refusing to seal");
		return -EPERM;
	}
	memcpy(kec, certified, KF_KEY_SIZE);
	return 0;
}

static int seal_to_kec(const struct seal_args *a, struct kf_sealfile *sf,
		       struct secrets *s, const struct kf_binding *b,
		       size_t len)
{
	uint8_t kec[KF_KEY_SIZE];
	int ret;

	ret = recipient_kec(a, kec);
	if (!ret)
		ret = verify_kec(a, kec);
	if (!ret)
		ret = kf_keyfile_read(a->owner_key, s->ko);
	if (ret)
		return ret;
	ret = kf_seal_to_kec(sf->sealed, sizeof(sf->sealed), &sf->sealed_len,
			     kec, s->ko, NULL, b, a->version, s->key, len);
	if (ret == -EINVAL)
		kf_err("the recipient's Kec-pub is not a key anything can be "
		       "sealed to");
	else if (ret)
		kf_err("sealing failed: %s", strerror(-ret));
	return ret;
}

static int seal(const struct seal_args *a, struct kf_sealfile *sf,
		struct secrets *s, size_t len)
{
	struct kf_binding b = { a->region, a->item, sf->policy,
				sf->policy_len };
	int ret;

	if (!a->unwrap_file)
		return seal_to_kec(a, sf, s, &b, len);
	ret = read_unwrap_key(a->unwrap_file, s->kw);
	if (!ret)
		ret = kf_seal_to_unwrap_key(sf->sealed, sizeof(sf->sealed),
					    &sf->sealed_len, s->kw, NULL, &b,
					    a->version, s->key, len);
	if (ret && ret != -EINVAL)
		kf_err("sealing failed: %s", strerror(-ret));
	return ret;
}

static int run(struct seal_args *a, struct secrets *s)
{
	static struct kf_sealfile sf;
	size_t len;
	int ret = get_key(a, s->key, &len);

	if (ret)
		return ret;
	a->pol.key_size = (uint16_t)len;
	ret = kf_policy_encode(&a->pol, sf.policy, sizeof(sf.policy),
			       &sf.policy_len);
	if (ret) {
		kf_err("policy: refused for this key (%zu bytes, type %u): %s",
		       len, a->pol.key_type, strerror(-ret));
		return ret;
	}
	snprintf(sf.region, sizeof(sf.region), "%s", a->region);
	snprintf(sf.item, sizeof(sf.item), "%s", a->item);
	ret = seal(a, &sf, s, len);
	if (ret)
		return ret;
	ret = kf_sealfile_write(a->out, &sf);
	if (ret) {
		kf_err("--out: %s: %s", a->out, strerror(-ret));
		return ret;
	}
	if (a->key_out) {
		ret = kf_write_file(a->key_out, s->key, len, 0600);
		if (ret)
			kf_err("--with-key-out: %s: %s", a->key_out,
			       strerror(-ret));
	}
	return ret;
}

int kf_seal_main(int argc, char **argv)
{
	struct seal_args a;
	struct secrets *s;
	int ret;

	kf_set_progname(argv[0]);
	if (argc > 1 && !strcmp(argv[1], "owner-key"))
		return kf_seal_owner_key(argc - 1, argv + 1);
	memset(&a, 0, sizeof(a));
	if (parse(argc, argv, &a))
		return 2;
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return 1;
	mlock(s, sizeof(*s));
	madvise(s, sizeof(*s), MADV_DONTDUMP);
	ret = run(&a, s);
	kf_wipe(s, sizeof(*s));
	munmap(s, sizeof(*s));
	return ret ? 1 : 0;
}
