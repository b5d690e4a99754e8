// SPDX-License-Identifier: MIT
/*
 * keyferry-seal, the owner's tool: seal a key to an entity's (or group's)
 * Kec public key, or under an unwrapping key, with the owner-bound policy
 * (docs/protocol.md sections 4 and 6).  The output is a sealed-item file
 * (sealfile.h) for the repository's administrator; the repository never
 * sees the key in clear.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tools/common/mains.h"
#include "tools/common/sealfile.h"
#include "tools/common/util.h"

struct seal_args {
	const char *region, *item, *out, *key_file, *key_out;
	const char *to_kec, *unwrap_file;
	uint64_t generate;
	struct kf_policy pol;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: keyferry-seal --region R --item NAME\n"
"         (--to-kec BASE64 | --unwrap-key-file FILE --unwrap-key DESC)\n"
"         (--key FILE | --key - | --generate N) [--with-key-out FILE]\n"
"         --type logon|user|fscrypt|unwrap --description DESC\n"
"         [--timeout DURATION] [--not-before TIME] [--not-after TIME]\n"
"         [--perm 0xPERM] [--out FILE]\n"
"--to-kec: the recipient's Kec public key (keyferry-admin entity show).\n"
"--unwrap-key-file: base64 of a 32-byte unwrapping key the hosts hold\n"
"  under description DESC (delivered before as an item of type unwrap).\n"
"TIME: unix seconds, +DURATION from now, or YYYY-MM-DDTHH:MM:SSZ.\n"
"Writes the sealed-item file to --out (default stdout).\n");
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

static int description(const char *field, const char *s, char *out)
{
	if (!kf_name_valid(s, strlen(s), KF_DESCRIPTION_MAX)) {
		kf_err("%s: '%s' is not a description (1 to 128 of "
		       "[A-Za-z0-9._:@/-])", field, s);
		return -EINVAL;
	}
	snprintf(out, KF_DESCRIPTION_MAX + 1, "%s", s);
	return 0;
}

static int parse_opt(int o, struct seal_args *a)
{
	uint64_t v;
	int64_t t;
	char *end;

	switch (o) {
	case 'r': a->region = optarg; return kf_parse_name("--region", optarg);
	case 'i': a->item = optarg; return kf_parse_name("--item", optarg);
	case 'o': a->out = optarg; return 0;
	case 'k': a->key_file = optarg; return 0;
	case 'K': a->key_out = optarg; return 0;
	case 'c': a->to_kec = optarg; return 0;
	case 'u': a->unwrap_file = optarg; return 0;
	case 'U': return description("--unwrap-key", optarg, a->pol.unwrap_key);
	case 'g':
		return kf_parse_u64("--generate", optarg, 1, KF_ITEM_KEY_MAX,
				    &a->generate);
	case 't': return key_type(optarg, &a->pol.key_type);
	case 'd': return description("--description", optarg,
				     a->pol.description);
	case 'T':
		if (kf_parse_duration("--timeout", optarg, &v))
			return -EINVAL;
		if (v > UINT32_MAX) {
			kf_err("--timeout: at most %u seconds", UINT32_MAX);
			return -EINVAL;
		}
		a->pol.timeout = (uint32_t)v;
		return 0;
	case 'b': case 'a':
		if (kf_parse_time(o == 'b' ? "--not-before" : "--not-after",
				  optarg, &t))
			return -EINVAL;
		*(o == 'b' ? &a->pol.not_before : &a->pol.not_after) =
			(uint64_t)t;
		return 0;
	case 'p':
		errno = 0;
		v = strtoull(optarg, &end, 0);
		if (errno || *end || v > UINT32_MAX) {
			kf_err("--perm: '%s' is not a 32-bit key_perm_t",
			       optarg);
			return -EINVAL;
		}
		a->pol.has_perm = true;
		a->pol.perm = (uint32_t)v;
		return 0;
	case 'h': usage(stdout); exit(0);
	default: usage(stderr); return -EINVAL;
	}
}

static int parse(int argc, char **argv, struct seal_args *a)
{
	static const struct option opts[] = {
		{ "region", 1, NULL, 'r' }, { "item", 1, NULL, 'i' },
		{ "out", 1, NULL, 'o' }, { "key", 1, NULL, 'k' },
		{ "with-key-out", 1, NULL, 'K' }, { "to-kec", 1, NULL, 'c' },
		{ "unwrap-key-file", 1, NULL, 'u' },
		{ "unwrap-key", 1, NULL, 'U' }, { "generate", 1, NULL, 'g' },
		{ "type", 1, NULL, 't' }, { "description", 1, NULL, 'd' },
		{ "timeout", 1, NULL, 'T' }, { "not-before", 1, NULL, 'b' },
		{ "not-after", 1, NULL, 'a' }, { "perm", 1, NULL, 'p' },
		{ "help", 0, NULL, 'h' }, { 0 }
	};
	int o;

	a->out = "-";
	optind = 0;	/* 0: re-initialise getopt fully */
	while ((o = getopt_long(argc, argv, "r:i:o:k:K:c:u:U:g:t:d:T:b:a:p:h",
				opts, NULL)) != -1)
		if (parse_opt(o, a))
			return -EINVAL;
	if (optind != argc || !a->region || !a->item || !a->pol.key_type ||
	    !a->pol.description[0]) {
		kf_err("--region, --item, --type and --description are "
		       "required");
		return -EINVAL;
	}
	if (!a->to_kec == !a->unwrap_file ||
	    !a->unwrap_file != !a->pol.unwrap_key[0]) {
		kf_err("give either --to-kec, or --unwrap-key-file with "
		       "--unwrap-key");
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

/* The clear key, in locked memory. */
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

static int seal(const struct seal_args *a, struct kf_sealfile *sf,
		const uint8_t *key, size_t len)
{
	uint8_t kw[KF_KEY_SIZE], kec[KF_KEY_SIZE];
	int ret;

	if (a->unwrap_file) {
		ret = read_unwrap_key(a->unwrap_file, kw);
		if (!ret)
			ret = kf_seal_to_unwrap_key(sf->sealed,
					sizeof(sf->sealed), &sf->sealed_len,
					kw, a->region, a->item, sf->policy,
					sf->policy_len, key, len);
		kf_wipe(kw, sizeof(kw));
		return ret;
	}
	if (kf_key_from_base64(kec, a->to_kec)) {
		kf_err("--to-kec: '%s' is not the base64 of a 32-byte key",
		       a->to_kec);
		return -EINVAL;
	}
	return kf_seal_to_kec(sf->sealed, sizeof(sf->sealed), &sf->sealed_len,
			      kec, a->region, a->item, sf->policy,
			      sf->policy_len, key, len);
}

static int run(struct seal_args *a, uint8_t *key)
{
	static struct kf_sealfile sf;
	size_t len;
	int ret = get_key(a, key, &len);

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
	ret = seal(a, &sf, key, len);
	if (ret) {
		kf_err("sealing failed: %s", strerror(-ret));
		return ret;
	}
	ret = kf_sealfile_write(a->out, &sf);
	if (ret) {
		kf_err("--out: %s: %s", a->out, strerror(-ret));
		return ret;
	}
	if (a->key_out) {
		ret = kf_write_file(a->key_out, key, len, 0600);
		if (ret)
			kf_err("--with-key-out: %s: %s", a->key_out,
			       strerror(-ret));
	}
	return ret;
}

int kf_seal_main(int argc, char **argv)
{
	struct seal_args a;
	uint8_t *key;
	int ret;

	kf_set_progname(argv[0]);
	memset(&a, 0, sizeof(a));
	if (parse(argc, argv, &a))
		return 2;
	key = mmap(NULL, KF_ITEM_KEY_MAX, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (key == MAP_FAILED)
		return 1;
	mlock(key, KF_ITEM_KEY_MAX);
	madvise(key, KF_ITEM_KEY_MAX, MADV_DONTDUMP);
	ret = run(&a, key);
	kf_wipe(key, KF_ITEM_KEY_MAX);
	munmap(key, KF_ITEM_KEY_MAX);
	return ret ? 1 : 0;
}
