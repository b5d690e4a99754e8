// SPDX-License-Identifier: MIT
/*
 * Writes the seed corpora of the fuzz harnesses into fuzz/corpus/<target>/:
 * valid inputs of each decoder, made with the harnesses' fixed keys
 * (fuzz/fuzz.h) by the library's own encoders, so that the fuzzer starts
 * from deep inside each format.  `make fuzz-seeds` runs it; run it again
 * when a format changes, and commit what it writes.  Inputs that the
 * fuzzers found (regressions) live beside these, named regress-*.
 */
#include <sys/stat.h>

#include <stdarg.h>

#include "fuzz/fuzz.h"
#include "tools/admin/admin.h"
#include "tools/authority/objfile.h"
#include "tools/authority/signer.h"
#include "tools/cli/cli.h"

static const char *top = "fuzz/corpus";

static void put(const char *target, const char *name, const void *p, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%s", top, target, name);
	f = fopen(path, "w");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void put_str(const char *target, const char *name, const char *s)
{
	put(target, name, s, strlen(s));
}

static void need(int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "mkseeds: %s: %d\n", what, ret);
		exit(1);
	}
}

/* The policies the seeds use: plain, every field, and an alg 2 one. */
static size_t policy(int which, uint8_t *buf)
{
	struct kf_policy p = { .key_type = KF_KEY_LOGON, .key_size = 32 };
	size_t len;

	if (which == 1) {
		p.key_type = KF_KEY_FSCRYPT;
		p.key_size = 64;
		p.has_perm = true;
		p.perm = 0x3f010000;
		p.timeout = 3600;
		p.not_before = 1700000000;
		p.not_after = 1900000000;
		p.lease = 86400;
		p.grace = 3600;
	} else if (which == 2) {
		p.key_type = KF_KEY_USER;
		p.key_size = 16;
		strcpy(p.unwrap_key, "group-kw");
	}
	need(kf_policy_encode(&p, buf, KF_POLICY_MAX, &len), "policy");
	return len;
}

static void policies(void)
{
	uint8_t buf[KF_POLICY_MAX];
	int i;
	char name[16];

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "policy-%d", i);
		put("fuzz_policy", name, buf, policy(i, buf));
	}
}

static size_t request(int which, uint8_t *buf, size_t cap)
{
	static struct kf_request rq;
	uint8_t priv[KF_KEY_SIZE];
	unsigned int i;
	size_t len;

	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	rq.n_items = 1;
	strcpy(rq.items[0], FUZZ_ITEM);
	if (which == 1) {
		rq.n_items = KF_MAX_ITEMS;
		for (i = 0; i < KF_MAX_ITEMS; i++)
			snprintf(rq.items[i], sizeof(rq.items[i]), "item-%u", i);
	} else if (which == 2) {
		rq.kind = KF_KIND_ENROLL;
		rq.n_items = 0;
		strcpy(rq.region, FUZZ_REGION);
		strcpy(rq.entity, "host1");
		rq.token_len = 64;
		memset(rq.token, 'a', rq.token_len);
		memset(rq.nonce, 0x4e, sizeof(rq.nonce));
		memcpy(priv, fuzz_kec_priv, sizeof(priv));
		need(kf_x25519_public(priv, rq.kec_pub), "kec");
	}
	need(kf_request_encode(&rq, buf, cap, &len), "request");
	return len;
}

static void requests(void)
{
	uint8_t buf[4096];
	char name[16];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "request-%d", i);
		put("fuzz_request", name, buf, request(i, buf, sizeof(buf)));
	}
}

/* alg 1 to Kec or alg 2 under Kw, with the policy it binds. */
static size_t sealed(bool wrap, uint8_t *out, const uint8_t *pol, size_t plen)
{
	struct kf_binding b = { FUZZ_REGION, FUZZ_ITEM, pol, plen };
	uint8_t kec_pub[KF_KEY_SIZE], key[32];
	size_t len;

	memset(key, 0x6b, sizeof(key));
	need(kf_x25519_public(fuzz_kec_priv, kec_pub), "kec");
	if (wrap)
		need(kf_seal_to_unwrap_key(out, KF_SEALED_MAX, &len, fuzz_kw,
					   NULL, &b, 3, key, sizeof(key)),
		     "wrap");
	else
		need(kf_seal_to_kec(out, KF_SEALED_MAX, &len, kec_pub,
				    fuzz_ko_priv, fuzz_eph_priv, &b, 3, key,
				    sizeof(key)), "seal");
	return len;
}

static void sealed_items(void)
{
	static uint8_t buf[3 + KF_POLICY_MAX + KF_SEALED_MAX];
	size_t plen, slen;
	int wrap;

	for (wrap = 0; wrap < 2; wrap++) {
		plen = policy(wrap ? 2 : 0, buf + 3);
		slen = sealed(wrap, buf + 3 + plen, buf + 3, plen);
		buf[0] = (uint8_t)wrap;
		buf[1] = (uint8_t)(plen >> 8);
		buf[2] = (uint8_t)plen;
		put("fuzz_sealed", wrap ? "wrap" : "kec", buf, 3 + plen + slen);
	}
}

static size_t reply(int which, uint8_t *buf, size_t cap)
{
	static struct kf_reply rp;
	struct kf_reply_item *it = &rp.items[0];
	size_t len;

	memset(&rp, 0, sizeof(rp));
	if (which == 0) {
		rp.n_items = 1;
		strcpy(it->name, FUZZ_ITEM);
		it->policy_len = policy(0, it->policy);
		it->sealed_len = sealed(false, it->sealed, it->policy,
					it->policy_len);
	} else if (which == 1) {
		rp.status = KF_STATUS_NOT_AVAILABLE;
		strcpy(rp.message, "item disk1 is not available \xc3\xa9\xe2\x82\xac");
	} else {
		strcpy(rp.entity, "host1");
	}
	need(kf_reply_encode(&rp, buf, cap, &len), "reply");
	return len;
}

static void replies(void)
{
	static uint8_t buf[KF_MESSAGE_MAX];
	char name[16];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "reply-%d", i);
		put("fuzz_reply", name, buf, reply(i, buf, sizeof(buf)));
	}
}

static void noise(void)
{
	static uint8_t msg[KF_MESSAGE_MAX], payload[KF_MESSAGE_MAX];
	static const uint8_t req[] = { 0, 1, 0, 1, 1, 0, 2, 0, 1, 'x' };
	uint8_t kd_pub[KF_KEY_SIZE], kei[KF_KEY_SIZE];
	struct kf_noise st, rs;
	size_t mlen, plen;
	char name[16];
	int i;

	need(kf_x25519_public(fuzz_kd_priv, kd_pub), "kd");
	for (i = 0; i < 3; i++) {
		plen = request(i, payload, sizeof(payload));
		need(kf_noise_initiator_write1(&st, msg, sizeof(msg), &mlen,
					       fuzz_kei_priv, kd_pub,
					       fuzz_eph_priv, payload, plen),
		     "write1");
		kf_noise_wipe(&st);
		snprintf(name, sizeof(name), "msg1-%d", i);
		put("fuzz_noise1", name, msg, mlen);
	}
	/* fuzz_noise2's fixed message 1, answered with each reply. */
	for (i = 0; i < 3; i++) {
		need(kf_noise_initiator_write1(&st, msg, sizeof(msg), &mlen,
					       fuzz_kei_priv, kd_pub,
					       fuzz_eph_priv, req, sizeof(req)),
		     "write1");
		need(kf_noise_responder_read1(&rs, payload, sizeof(payload),
					      &plen, kei, fuzz_kd_priv, msg,
					      mlen), "read1");
		plen = reply(i, payload, sizeof(payload));
		need(kf_noise_responder_write2(&rs, msg, sizeof(msg), &mlen,
					       NULL, payload, plen), "write2");
		kf_noise_wipe(&st);
		kf_noise_wipe(&rs);
		snprintf(name, sizeof(name), "msg2-%d", i);
		put("fuzz_noise2", name, msg, mlen);
	}
}

static void tlv(void)
{
	static uint8_t buf[KF_MESSAGE_MAX];
	size_t len;

	/* The request's mask (ITEM_NAME repeats) and the reply's (ITEM). */
	memset(buf, 0, 8);
	buf[7] = 1 << 2;
	len = request(1, buf + 8, sizeof(buf) - 8);
	put("fuzz_tlv", "request", buf, 8 + len);
	buf[7] = 1 << 3;
	len = reply(0, buf + 8, sizeof(buf) - 8);
	put("fuzz_tlv", "reply", buf, 8 + len);
}

/* fuzz_parse: a byte choosing the parser, then the text. */
static void parse_seed(uint8_t parser, const char *name, const char *text)
{
	char buf[256];
	size_t n = strlen(text);

	buf[0] = (char)parser;
	memcpy(buf + 1, text, n);
	put("fuzz_parse", name, buf, n + 1);
}

static void files(void)
{
	static const char conf[] =
		"# a helper's configuration\n"
		"repository = http://repo.example.net:7370\n"
		"repository = https://repo-backup.example.net:7370/\n"
		"item = disk-data\nitem = tls-web\n"
		"keyring = user\nrenew_margin = 300\nretry_min = 5\n"
		"retry_max = 300\ntimeout = 30\n";
	static char text[16384], pol[2048], blob[8192], key[64];
	static uint8_t p[KF_POLICY_MAX], s[KF_SEALED_MAX];
	size_t plen, slen;

	put_str("fuzz_config", "example", conf);
	put_str("fuzz_config", "keyring-serial", "keyring = 123456\n");
	plen = policy(0, p);
	slen = sealed(false, s, p, plen);
	need(kf_base64_encode(pol, sizeof(pol), p, plen) < 0, "b64");
	need(kf_base64_encode(blob, sizeof(blob), s, slen) < 0, "b64");
	snprintf(text, sizeof(text), "keyferry-sealed-item 2\nregion: %s\n"
		 "item: %s\npolicy: %s\nsealed: %s\n", FUZZ_REGION, FUZZ_ITEM,
		 pol, blob);
	put_str("fuzz_sealfile", "kec", text);
	need(kf_base64_encode(key, sizeof(key), fuzz_kd_priv, KF_KEY_SIZE) < 0,
	     "b64");
	snprintf(text, sizeof(text), "%s\n", key);
	put_str("fuzz_serverkey", "key", text);
	parse_seed(0, "u64", "1000");
	parse_seed(1, "duration", "15m");
	parse_seed(2, "time", "2026-11-24T01:00:00Z");
	parse_seed(2, "time-relative", "+7d");
	parse_seed(3, "name", "eu/web-01.example:a@b");
	parse_seed(4, "base64", key);
	parse_seed(5, "key", key);
}

/* fuzz_repo_request: an options byte, then a request payload. */
static void repo_request_seed(const char *name, uint8_t opts,
			      const struct kf_request *rq)
{
	static uint8_t buf[KF_MESSAGE_MAX];
	size_t len;

	buf[0] = opts;
	need(kf_request_encode(rq, buf + 1, sizeof(buf) - 1, &len), name);
	put("fuzz_repo_request", name, buf, len + 1);
}

static void repo_requests(void)
{
	static const char *const items[] = { "disk1", "slow1", "shared",
					     "old1", "nosuch" };
	static struct kf_request rq;
	unsigned int i;

	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_FETCH;
	rq.n_items = 1;
	strcpy(rq.items[0], "disk1");
	repo_request_seed("fetch", 0, &rq);
	repo_request_seed("fetch-stranger", 2, &rq);
	rq.n_items = sizeof(items) / sizeof(items[0]);
	for (i = 0; i < rq.n_items; i++)
		strcpy(rq.items[i], items[i]);
	repo_request_seed("fetch-several", 0, &rq);
	memset(&rq, 0, sizeof(rq));
	rq.kind = KF_KIND_ENROLL;
	strcpy(rq.region, FUZZ_REGION);
	strcpy(rq.entity, "new-host");
	rq.token_len = strlen(FUZZ_TOKEN);
	memcpy(rq.token, FUZZ_TOKEN, rq.token_len);
	need(kf_x25519_public(fuzz_kec_priv, rq.kec_pub), "kec");
	repo_request_seed("enroll-fresh-nonce", 1 | 2 | 4, &rq);
	repo_request_seed("enroll-stale-nonce", 1 | 2, &rq);
	repo_request_seed("enroll-as-fetch", 0, &rq);
}

/* fuzz_repo_http: what a client sends on one connection. */
static void repo_http(void)
{
	static uint8_t buf[KF_MESSAGE_MAX + 512], msg[KF_MESSAGE_MAX];
	uint8_t kd_pub[KF_KEY_SIZE], payload[512];
	struct kf_noise st;
	size_t mlen, plen, n;

	put_str("fuzz_repo_http", "healthz",
		"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	put_str("fuzz_repo_http", "metrics-not-here",
		"GET /metrics HTTP/1.0\r\n\r\n");
	put_str("fuzz_repo_http", "challenge-twice",
		"POST /v1/enroll/challenge HTTP/1.1\r\nHost: x\r\n"
		"Content-Length: 0\r\n\r\nPOST /v1/enroll/challenge HTTP/1.1"
		"\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
	put_str("fuzz_repo_http", "put", "PUT /v1/transfer HTTP/1.1\r\n"
		"Host: x\r\nContent-Length: 1\r\n\r\nx");
	put_str("fuzz_repo_http", "too-large", "POST /v1/transfer HTTP/1.1\r\n"
		"Host: x\r\nContent-Length: 99999\r\n\r\n");
	put_str("fuzz_repo_http", "chunked", "POST /v1/enroll HTTP/1.1\r\n"
		"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"4\r\nabcd\r\n0\r\n\r\n");
	/* A real fetch of disk1 by the fixture's host. */
	need(kf_x25519_public(fuzz_kd_priv, kd_pub), "kd");
	plen = request(0, payload, sizeof(payload));
	need(kf_noise_initiator_write1(&st, msg, sizeof(msg), &mlen,
				       fuzz_kei_priv, kd_pub, fuzz_eph_priv,
				       payload, plen), "write1");
	kf_noise_wipe(&st);
	n = (size_t)snprintf((char *)buf, sizeof(buf),
			     "POST /v1/transfer HTTP/1.1\r\nHost: x\r\n"
			     "Content-Length: %zu\r\n\r\n", mlen);
	memcpy(buf + n, msg, mlen);
	put("fuzz_repo_http", "transfer", buf, n + mlen);
}

/* Run keyferry-admin in this process, quiet. */
static void admin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void admin(const char *fmt, ...)
{
	char line[2048], *argv[32], *save, *t;
	int argc = 0, saved, null;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (t = strtok_r(line, " ", &save); t && argc < 31;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	fflush(stdout);
	saved = dup(1);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	close(null);
	need(kf_admin_main(argc, argv), "keyferry-admin");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
}

static void put_sel(const char *name, uint8_t sel, const uint8_t *p, size_t n)
{
	static uint8_t buf[KF_SUBMISSION_MAX + 2];

	buf[0] = sel;
	memcpy(buf + 1, p, n);
	put("fuzz_authority", name, buf, n + 1);
}

/* fuzz_repo_http: the admin endpoint, a submission and what it publishes. */
static void admin_submit(const uint8_t *sub, size_t n)
{
	static uint8_t buf[KF_SUBMISSION_MAX + 512];
	size_t h;

	h = (size_t)snprintf((char *)buf, sizeof(buf),
			     "POST /v1/admin/submit HTTP/1.1\r\nHost: x\r\n"
			     "Content-Length: %zu\r\n\r\n", n);
	memcpy(buf + h, sub, n);
	put("fuzz_repo_http", "admin-submit", buf, h + n);
	put_str("fuzz_repo_http", "admin-reads",
		"GET /v1/regions/eu/head HTTP/1.1\r\nHost: x\r\n\r\n"
		"GET /v1/regions/eu/statements?after=0 HTTP/1.1\r\nHost: x\r\n\r\n"
		"GET /v1/regions/eu/pending HTTP/1.1\r\nHost: x\r\n\r\n"
		"GET /v1/regions/eu/entities/host HTTP/1.1\r\nHost: x\r\n\r\n"
		"GET /v1/regions/eu/entities/host/certificate HTTP/1.1\r\n"
		"Host: x\r\n\r\n"
		"GET /v1/regions/eu/revocations HTTP/1.1\r\nHost: x\r\n\r\n");
}

/* fuzz_authority: a region's first statement made as its members would,
 * its authority file, and a certificate, a revocation list and an item
 * request made by the encoders. */
static void authority(void)
{
	static struct kf_item_request rq;
	static struct kf_revocations l;
	static uint8_t body[8192];
	struct kf_certificate c = { .version = 1 };
	struct kf_revocation e = { .revoked = 1700000000 };
	struct kf_tlv_writer w;
	char dir[] = "/tmp/kfseeds.XXXXXX", path[2][128], gen[128], auth[128];
	char pub[2][64];
	struct kf_signer *k;
	uint8_t *bytes, *text;
	size_t len;
	long n;
	int i;

	need(!mkdtemp(dir), "mkdtemp");
	for (i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/m%d.key", dir, i);
		need(kf_signer_generate(path[i]) ||
		     kf_signer_load(&k, path[i]), "member key");
		need(kf_base64_encode(pub[i], sizeof(pub[i]),
				      kf_signer_public(k), KF_KEY_SIZE) < 0,
		     "b64");
		kf_signer_free(k);
	}
	snprintf(gen, sizeof(gen), "%s/genesis.sub", dir);
	snprintf(auth, sizeof(auth), "%s/eu.authority", dir);
	admin("keyferry-admin prepare region eu --threshold 2 --member "
	      "alice=%s --member bob=%s --sign %s --sign %s --out %s",
	      pub[0], pub[1], path[0], path[1], gen);
	admin("keyferry-admin authority export %s --out %s", gen, auth);
	need(kf_objfile_read(gen, KF_FILE_SUBMISSION, &bytes, &len), "read");
	put_sel("genesis", 0, bytes, len);
	admin_submit(bytes, len);
	free(bytes);
	need(kf_read_file(gen, 1 << 20, &text, &len), "read");
	put_sel("genesis-file", 6, text, len);
	free(text);
	need(kf_read_file(auth, 1 << 20, &text, &len), "read");
	put_sel("authority-file", 6, text, len);
	free(text);

	strcpy(c.region, FUZZ_REGION);
	strcpy(c.entity, "host1");
	memset(c.kei_pub, 1, sizeof(c.kei_pub));
	memset(c.kec_pub, 2, sizeof(c.kec_pub));
	c.serial = 7;
	c.not_before = 1700000000;
	c.not_after = 1900000000;
	need(kf_certificate_encode(&c, body, sizeof(body), &len), "cert");
	put_sel("certificate", 3, body, len);

	l.version = 1;
	strcpy(l.region, FUZZ_REGION);
	l.number = 2;
	l.this_update = 1700000000;
	l.next_update = 1700086400;
	kf_tlv_init(&w, body, sizeof(body));
	kf_revocations_begin(&w, &l);
	strcpy(e.entity, "host2");
	memset(e.kei_pub, 3, sizeof(e.kei_pub));
	e.not_after = 1900000000;
	kf_revocation_put(&w, &e);
	n = kf_tlv_finish(&w);
	need(n < 0, "revocations");
	put_sel("revocations", 4, body, (size_t)n);

	rq.version = 1;
	strcpy(rq.region, FUZZ_REGION);
	rq.issued = 1700000000;
	rq.expires = 1700003600;
	rq.action = KF_ITEM_PUT;
	strcpy(rq.dataset, "disks");
	strcpy(rq.item, FUZZ_ITEM);
	strcpy(rq.entity, "host1");
	rq.policy_len = policy(0, body + 4096);
	rq.policy = body + 4096;
	rq.sealed = body + 5120;
	rq.sealed_len = sealed(false, body + 5120, rq.policy, rq.policy_len);
	need(kf_item_request_encode(&rq, body, 4096, &len), "item request");
	put_sel("item-request", 5, body, len);

	snprintf((char *)body, sizeof(body), "rm -rf '%s'", dir);
	if (system((char *)body))
		fprintf(stderr, "mkseeds: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		top = argv[1];
	mkdir(top, 0755);
	policies();
	requests();
	sealed_items();
	replies();
	noise();
	tlv();
	files();
	repo_requests();
	repo_http();
	authority();
	return 0;
}
