// SPDX-License-Identifier: MIT
/*
 * The region authority's objects (tools/authority/): Ed25519 against RFC
 * 8032, the encodings against the vectors of docs/protocol.md 8.9,
 * thresholds, strangers and forgeries refused, every malformed form
 * refused with a reason, key and authority files.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userspace/tests/test_util.h"
#include "tools/authority/authority.h"
#include "tools/authority/signer.h"
#include "tools/cli/cli.h"
#include "vectors/authority_vectors.h"

#define T0 1767225600ull	/* the vectors' 2026-01-01T00:00:00Z */

/* The vectors' authority: alice, bob, carol; 2 of 3; region eu. */
static void vec_authority(struct kf_authority *a)
{
	char why[128];

	memset(a, 0, sizeof(*a));
	snprintf(a->region, sizeof(a->region), "eu");
	a->threshold = 2;
	a->n = 3;
	strcpy(a->m[0].name, "carol");
	memcpy(a->m[0].pub, kf_vec_carol_pub, 32);
	strcpy(a->m[1].name, "alice");
	memcpy(a->m[1].pub, kf_vec_ed25519_1_pub, 32);
	strcpy(a->m[2].name, "bob");
	memcpy(a->m[2].pub, kf_vec_ed25519_2_pub, 32);
	if (kf_authority_check(a, why, sizeof(why)))
		abort();
}

static int sign_with(struct kf_signed *s, const uint8_t *seed)
{
	struct kf_signature sig;
	uint8_t *msg;
	size_t len;
	int ret = kf_signed_message(s, &msg, &len);

	if (ret)
		return ret;
	ret = kf_ed25519_public(seed, sig.signer);
	if (!ret)
		ret = kf_ed25519_sign(seed, msg, len, sig.value);
	free(msg);
	return ret ? ret : kf_signed_add(s, &sig);
}

/* The vector statement's body, built from its fields. */
static long vec_statement(uint8_t *buf, size_t cap)
{
	static struct kf_op op;
	struct kf_statement st = { .sequence = 1, .issued = T0,
				   .expires = T0 + 86400 };
	struct kf_tlv_writer w;
	char why[128];

	strcpy(st.region, "eu");
	kf_tlv_init(&w, buf, cap);
	kf_statement_begin(&w, &st);
	memset(&op, 0, sizeof(op));
	op.code = KF_OP_REGION_CREATE;
	op.present = 1u << KF_F_THRESHOLD;
	op.threshold = 2;
	op.n_members = 3;
	/* Out of order on purpose: the encoder sorts them. */
	strcpy(op.members[0].name, "carol");
	memcpy(op.members[0].pub, kf_vec_carol_pub, 32);
	strcpy(op.members[1].name, "bob");
	memcpy(op.members[1].pub, kf_vec_ed25519_2_pub, 32);
	strcpy(op.members[2].name, "alice");
	memcpy(op.members[2].pub, kf_vec_ed25519_1_pub, 32);
	if (kf_op_put(&w, &op, why, sizeof(why)))
		return -1;
	return kf_tlv_finish(&w);
}

TEST(ed25519_rfc8032)
{
	uint8_t pub[32], sig[64];

	ASSERT_EQ(0, kf_ed25519_public(kf_vec_ed25519_1_seed, pub));
	ASSERT_MEM(kf_vec_ed25519_1_pub, pub, 32);
	ASSERT_EQ(0, kf_ed25519_sign(kf_vec_ed25519_1_seed, NULL, 0, sig));
	ASSERT_MEM(kf_vec_ed25519_1_sig, sig, 64);
	ASSERT_EQ(0, kf_ed25519_verify(pub, NULL, 0, sig));
	ASSERT_EQ(0, kf_ed25519_public(kf_vec_ed25519_2_seed, pub));
	ASSERT_MEM(kf_vec_ed25519_2_pub, pub, 32);
	ASSERT_EQ(0, kf_ed25519_sign(kf_vec_ed25519_2_seed,
				     kf_vec_ed25519_2_msg, 1, sig));
	ASSERT_MEM(kf_vec_ed25519_2_sig, sig, 64);
	ASSERT_EQ(0, kf_ed25519_verify(pub, kf_vec_ed25519_2_msg, 1, sig));
	/* Another message, a flipped bit, another key: refused. */
	ASSERT_EQ(-EBADMSG, kf_ed25519_verify(pub, (const uint8_t *)"s", 1,
					      sig));
	sig[63] ^= 0x10;
	ASSERT_EQ(-EBADMSG, kf_ed25519_verify(pub, kf_vec_ed25519_2_msg, 1,
					      sig));
	sig[63] ^= 0x10;
	ASSERT_EQ(-EBADMSG, kf_ed25519_verify(kf_vec_ed25519_1_pub,
					      kf_vec_ed25519_2_msg, 1, sig));
}

TEST(statement_vector)
{
	static uint8_t body[1024], enc[2048];
	struct kf_authority a;
	struct kf_statement st;
	struct kf_signers who;
	struct kf_signed s = { .kind = KF_OBJ_STATEMENT };
	static struct kf_op op;
	struct kf_op_iter it;
	uint8_t id[32];
	char why[160];
	size_t len;
	long n = vec_statement(body, sizeof(body));

	ASSERT_EQ(KF_VEC_STATEMENT_BODY_LEN, n);
	ASSERT_MEM(kf_vec_statement_body, body, (size_t)n);
	s.body = body;
	s.body_len = (size_t)n;
	ASSERT_EQ(0, kf_signed_id(&s, id));
	ASSERT_MEM(kf_vec_statement_id, id, 32);
	/* Signed in either order, encoded the same. */
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_2_seed));
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_1_seed));
	ASSERT_EQ(0, kf_signed_encode(&s, enc, sizeof(enc), &len));
	ASSERT_EQ(KF_VEC_STATEMENT_SIGNED_LEN, len);
	ASSERT_MEM(kf_vec_statement_signed, enc, len);

	ASSERT_EQ(0, kf_signed_decode(&s, KF_OBJ_STATEMENT, enc, len));
	vec_authority(&a);
	ASSERT_EQ(0, kf_signed_verify(&s, &a, &who, why, sizeof(why)));
	ASSERT_EQ(2, who.n);
	kf_signers_join(&who, why, sizeof(why));
	ASSERT_STREQ("bob+alice", why);		/* in signer-key order */
	ASSERT_EQ(0, kf_statement_decode(&st, s.body, s.body_len, why,
					 sizeof(why)));
	ASSERT_STREQ("eu", st.region);
	ASSERT_EQ(1, st.sequence);
	ASSERT_EQ(T0, st.issued);
	ASSERT_EQ(1, st.n_ops);
	kf_op_iter_init(&it, &st);
	ASSERT_EQ(1, kf_op_next(&it, &op));
	ASSERT_EQ(KF_OP_REGION_CREATE, op.code);
	ASSERT_EQ(2, op.threshold);
	ASSERT_EQ(3, op.n_members);
	ASSERT_STREQ("alice", op.members[0].name);
	ASSERT_STREQ("carol", op.members[2].name);
	ASSERT_EQ(0, kf_op_next(&it, &op));
}

TEST(certificate_vector)
{
	struct kf_certificate c = { .serial = 0x0123456789abcdefull,
				    .not_before = T0,
				    .not_after = T0 + 365 * 86400 };
	struct kf_signed s = { .kind = KF_OBJ_CERTIFICATE };
	static uint8_t body[512], enc[1024];
	struct kf_authority a;
	struct kf_certificate got;
	uint8_t id[32];
	char why[160];
	size_t len, elen;

	strcpy(c.region, "eu");
	strcpy(c.entity, "web-01");
	memset(c.kei_pub, 0x11, 32);
	memset(c.kec_pub, 0x22, 32);
	ASSERT_EQ(0, kf_certificate_encode(&c, body, sizeof(body), &len));
	ASSERT_EQ(KF_VEC_CERTIFICATE_BODY_LEN, len);
	ASSERT_MEM(kf_vec_certificate_body, body, len);
	s.body = body;
	s.body_len = len;
	ASSERT_EQ(0, kf_signed_id(&s, id));
	ASSERT_MEM(kf_vec_certificate_id, id, 32);
	ASSERT_EQ(0, sign_with(&s, kf_vec_carol_seed));
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_2_seed));
	ASSERT_EQ(0, kf_signed_encode(&s, enc, sizeof(enc), &elen));
	ASSERT_EQ(KF_VEC_CERTIFICATE_SIGNED_LEN, elen);
	ASSERT_MEM(kf_vec_certificate_signed, enc, elen);

	/* A relying party with the authority's keys alone. */
	vec_authority(&a);
	ASSERT_EQ(0, kf_verify_certificate(&a, enc, elen, T0 + 10, &got, why,
					   sizeof(why)));
	ASSERT_STREQ("web-01", got.entity);
	ASSERT_MEM(c.kec_pub, got.kec_pub, 32);
	ASSERT_EQ(-EKEYEXPIRED, kf_verify_certificate(&a, enc, elen,
						      T0 + 365 * 86400, &got,
						      why, sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "expired at 2027-01-01T00:00:00Z"));
	ASSERT_EQ(-EKEYEXPIRED, kf_verify_certificate(&a, enc, elen, T0 - 1,
						      &got, why, sizeof(why)));
	strcpy(a.region, "us");
	ASSERT_EQ(-EPERM, kf_verify_certificate(&a, enc, elen, T0 + 10, &got,
						why, sizeof(why)));
	ASSERT_STREQ("certificate: for region eu, not us", why);
	/* The certificate's signatures are not a statement's. */
	ASSERT_EQ(0, kf_signed_decode(&s, KF_OBJ_STATEMENT, enc, elen));
	vec_authority(&a);
	ASSERT_EQ(-EBADMSG, kf_signed_verify(&s, &a, &(struct kf_signers){ 0 },
					     why, sizeof(why)));
}

TEST(threshold_and_strangers)
{
	static uint8_t body[1024];
	struct kf_signed s = { .kind = KF_OBJ_STATEMENT };
	struct kf_authority a;
	struct kf_signers who;
	uint8_t stranger[32];
	char why[200];
	long n = vec_statement(body, sizeof(body));

	ASSERT_LT(0, n);
	vec_authority(&a);
	s.body = body;
	s.body_len = (size_t)n;
	/* None, then one: short of 2. */
	ASSERT_EQ(-EPERM, kf_signed_verify(&s, &a, &who, why, sizeof(why)));
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_1_seed));
	ASSERT_EQ(-EPERM, kf_signed_verify(&s, &a, &who, why, sizeof(why)));
	ASSERT_STREQ("1 signature of 2 needed (authority of eu: 2 of 3 "
		     "members)", why);
	/* The same member twice is one signature. */
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_1_seed));
	ASSERT_EQ(1, s.n_sigs);
	/* A stranger's valid signature refuses the whole object. */
	memset(stranger, 0x44, sizeof(stranger));
	ASSERT_EQ(0, sign_with(&s, stranger));
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_2_seed));
	ASSERT_EQ(3, s.n_sigs);
	ASSERT_EQ(-EPERM, kf_signed_verify(&s, &a, &who, why, sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "which is not a member of the authority "
			       "of eu"));
	/* A member's signature over other bytes. */
	s.n_sigs = 0;
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_1_seed));
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_2_seed));
	ASSERT_EQ(0, kf_signed_verify(&s, &a, &who, why, sizeof(why)));
	body[n - 1] ^= 1;
	ASSERT_EQ(-EBADMSG, kf_signed_verify(&s, &a, &who, why, sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "does not verify"));
}

/* A body with one record patched: the decoder must say it is malformed. */
static int decode_patched(const uint8_t *body, size_t len, size_t off,
			  uint8_t val, char *why, size_t cap)
{
	static uint8_t copy[1024];
	struct kf_statement st;

	memcpy(copy, body, len);
	copy[off] = val;
	return kf_statement_decode(&st, copy, len, why, cap);
}

TEST(statement_refusals)
{
	static uint8_t body[1024], b2[1024];
	struct kf_statement st;
	struct kf_tlv_writer w;
	static struct kf_op op;
	char why[200];
	long n = vec_statement(body, sizeof(body));

	ASSERT_LT(0, n);
	ASSERT_EQ(0, kf_statement_decode(&st, body, (size_t)n, why,
					 sizeof(why)));
	/* Version 2; trailing byte; truncated; sequence 1 with a previous. */
	ASSERT_EQ(-EPROTO, decode_patched(body, (size_t)n, 4, 2, why,
					  sizeof(why)));
	ASSERT_STREQ("statement: field 1 is malformed", why);
	ASSERT_EQ(-EPROTO, kf_statement_decode(&st, body, (size_t)n - 1, why,
					       sizeof(why)));
	ASSERT_EQ(-EPROTO, decode_patched(body, (size_t)n, 30, 1, why,
					  sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "previous id is zero"));
	/* The threshold above the members: the operation's byte. */
	memcpy(b2, body, (size_t)n);
	ASSERT_EQ(0x04, b2[94]);		/* THRESHOLD's type, low byte */
	ASSERT_EQ(2, b2[97]);			/* its value */
	ASSERT_EQ(-EPROTO, decode_patched(body, (size_t)n, 97, 4, why,
					  sizeof(why)));
	ASSERT_STREQ("region.create: threshold 4 does not fit 3 members", why);
	/* An unknown operation code. */
	ASSERT_EQ(KF_OP_REGION_CREATE, b2[92]);	/* CODE's value, low byte */
	ASSERT_EQ(-EPROTO, decode_patched(body, (size_t)n, 92, 99, why,
					  sizeof(why)));
	/* Expiry: before issue, or more than 30 days after. */
	memset(&st, 0, sizeof(st));
	strcpy(st.region, "eu");
	st.sequence = 2;
	memset(st.previous, 7, 32);
	st.issued = T0;
	st.expires = T0 + 31 * 86400;
	kf_tlv_init(&w, b2, sizeof(b2));
	kf_statement_begin(&w, &st);
	memset(&op, 0, sizeof(op));
	op.code = KF_OP_GROUP_CREATE;
	op.present = 1u << KF_F_NAME;
	strcpy(op.name, "web");
	ASSERT_EQ(0, kf_op_put(&w, &op, why, sizeof(why)));
	n = kf_tlv_finish(&w);
	ASSERT_EQ(-EPROTO, kf_statement_decode(&st, b2, (size_t)n, why,
					       sizeof(why)));
	ASSERT_STREQ("statement: it must expire after it is issued, within "
		     "30 days", why);
	/* An operation missing a field it needs, or with one it may not. */
	op.code = KF_OP_GROUP_ADD;
	ASSERT_EQ(-EINVAL, kf_op_put(&w, &op, why, sizeof(why)));
	ASSERT_STREQ("operation group.add: fields missing or not allowed",
		     why);
	op.code = KF_OP_GROUP_CREATE;
	op.present |= 1u << KF_F_REASON;
	strcpy(op.reason, "x");
	ASSERT_EQ(-EINVAL, kf_op_put(&w, &op, why, sizeof(why)));
	/* Names: not a name; readers listed twice. */
	memset(&op, 0, sizeof(op));
	op.code = KF_OP_DATASET_CREATE;
	op.present = 1u << KF_F_NAME;
	strcpy(op.name, "bad name");
	ASSERT_EQ(-EINVAL, kf_op_put(&w, &op, why, sizeof(why)));
	strcpy(op.name, "disks");
	op.n_read_groups = 2;
	strcpy(op.read_groups[0], "web");
	strcpy(op.read_groups[1], "web");
	ASSERT_EQ(-EINVAL, kf_op_put(&w, &op, why, sizeof(why)));
	strcpy(op.read_groups[0], "db");
	op.present |= 1u << KF_F_RATE_COUNT;
	op.rate_count = 3;
	ASSERT_EQ(-EINVAL, kf_op_put(&w, &op, why, sizeof(why)));
	ASSERT_STREQ("dataset.create: a rate is a count and a period, both at "
		     "least 1", why);
	op.present |= 1u << KF_F_RATE_PERIOD;
	op.rate_period = 3600;
	ASSERT_EQ(0, kf_op_put(&w, &op, why, sizeof(why)));
}

TEST(envelope_is_canonical)
{
	static uint8_t body[1024], enc[2048];
	struct kf_signed s = { .kind = KF_OBJ_STATEMENT }, d;
	size_t len;
	long n = vec_statement(body, sizeof(body));

	s.body = body;
	s.body_len = (size_t)n;
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_1_seed));
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_2_seed));
	ASSERT_EQ(0, kf_signed_encode(&s, enc, sizeof(enc), &len));
	ASSERT_EQ(0, kf_signed_decode(&d, KF_OBJ_STATEMENT, enc, len));
	ASSERT_EQ(2, d.n_sigs);
	/* Signers out of order, or one twice: refused. */
	memcpy(&s.sigs[0], &d.sigs[1], sizeof(s.sigs[0]));
	memcpy(&s.sigs[1], &d.sigs[0], sizeof(s.sigs[0]));
	ASSERT_EQ(0, kf_signed_encode(&s, enc, sizeof(enc), &len));
	ASSERT_EQ(-EPROTO, kf_signed_decode(&d, KF_OBJ_STATEMENT, enc, len));
	memcpy(&s.sigs[0], &s.sigs[1], sizeof(s.sigs[0]));
	ASSERT_EQ(0, kf_signed_encode(&s, enc, sizeof(enc), &len));
	ASSERT_EQ(-EPROTO, kf_signed_decode(&d, KF_OBJ_STATEMENT, enc, len));
	/* No body. */
	ASSERT_EQ(-EPROTO, kf_signed_decode(&d, KF_OBJ_STATEMENT, enc, 0));
}

static size_t make_list(uint8_t *body, size_t cap, uint64_t number,
			unsigned int n, const char *const *names)
{
	struct kf_revocations l = { .number = number, .this_update = T0,
				    .next_update = T0 + 7 * 86400 };
	struct kf_revocation e = { .revoked = T0 - 60,
				   .not_after = T0 + 86400 };
	struct kf_tlv_writer w;
	unsigned int i;

	strcpy(l.region, "eu");
	kf_tlv_init(&w, body, cap);
	kf_revocations_begin(&w, &l);
	for (i = 0; i < n; i++) {
		snprintf(e.entity, sizeof(e.entity), "%s", names[i]);
		memset(e.kei_pub, 0x30 + i, 32);
		kf_revocation_put(&w, &e);
	}
	return (size_t)kf_tlv_finish(&w);
}

TEST(revocation_list)
{
	static const char *const names[] = { "db-01", "web-02" };
	static const char *const wrong[] = { "web-02", "db-01" };
	static uint8_t body[1024], enc[2048];
	struct kf_signed s = { .kind = KF_OBJ_REVOCATIONS };
	struct kf_certificate c = { 0 };
	struct kf_revocations l;
	struct kf_authority a;
	char why[160];
	size_t len;

	vec_authority(&a);
	s.body = body;
	s.body_len = make_list(body, sizeof(body), 3, 2, names);
	ASSERT_EQ(0, sign_with(&s, kf_vec_ed25519_1_seed));
	ASSERT_EQ(0, sign_with(&s, kf_vec_carol_seed));
	ASSERT_EQ(0, kf_signed_encode(&s, enc, sizeof(enc), &len));
	ASSERT_EQ(0, kf_verify_revocations(&a, enc, len, T0 + 5, &l, why,
					   sizeof(why)));
	ASSERT_EQ(3, l.number);
	ASSERT_EQ(2, l.n);
	strcpy(c.entity, "web-02");
	ASSERT_TRUE(kf_revocations_lists(&l, &c));
	strcpy(c.entity, "web-03");
	ASSERT_FALSE(kf_revocations_lists(&l, &c));
	memset(c.kei_pub, 0x30, 32);		/* db-01's Kei, another name */
	ASSERT_TRUE(kf_revocations_lists(&l, &c));
	/* Past its next update: stale. */
	ASSERT_EQ(-EKEYEXPIRED, kf_verify_revocations(&a, enc, len,
						      T0 + 8 * 86400, &l, why,
						      sizeof(why)));
	ASSERT_STREQ("revocation list 3 is stale: the next was due at "
		     "2026-01-08T00:00:00Z", why);
	/* One signature is not the authority's list. */
	s.n_sigs = 1;
	ASSERT_EQ(0, kf_signed_encode(&s, enc, sizeof(enc), &len));
	ASSERT_EQ(-EPERM, kf_verify_revocations(&a, enc, len, T0, &l, why,
						sizeof(why)));
	/* Entries out of order. */
	len = make_list(body, sizeof(body), 3, 2, wrong);
	ASSERT_EQ(-EPROTO, kf_revocations_decode(&l, body, len, why,
						 sizeof(why)));
}

TEST(submission_roundtrip)
{
	static uint8_t body[1024], cbody[512], enc[8192];
	static struct kf_submission sub, got;
	struct kf_certificate c = { .serial = 9, .not_before = 1,
				    .not_after = 2 };
	struct kf_item_request ir = { .issued = T0, .expires = T0 + 60,
				      .action = KF_ITEM_PUT };
	char why[200];
	size_t len, clen;
	long n = vec_statement(body, sizeof(body));

	strcpy(c.region, "eu");
	strcpy(c.entity, "a");
	ASSERT_EQ(0, kf_certificate_encode(&c, cbody, sizeof(cbody), &clen));
	memset(&sub, 0, sizeof(sub));
	sub.has_statement = true;
	sub.statement = (struct kf_signed){ .kind = KF_OBJ_STATEMENT,
					    .body = body,
					    .body_len = (size_t)n };
	sub.n_certs = 1;
	sub.certs[0] = (struct kf_signed){ .kind = KF_OBJ_CERTIFICATE,
					   .body = cbody, .body_len = clen };
	ASSERT_EQ(0, sign_with(&sub.certs[0], kf_vec_carol_seed));
	ASSERT_EQ(0, kf_submission_encode(&sub, enc, sizeof(enc), &len));
	ASSERT_EQ(0, kf_submission_decode(&got, enc, len, why, sizeof(why)));
	ASSERT_TRUE(got.has_statement);
	ASSERT_EQ(1, got.n_certs);
	ASSERT_EQ(1, got.certs[0].n_sigs);
	ASSERT_EQ(clen, got.certs[0].body_len);
	/* An item request beside a statement: refused. */
	strcpy(ir.region, "eu");
	strcpy(ir.dataset, "d");
	strcpy(ir.item, "i");
	strcpy(ir.entity, "e");
	ir.policy = (const uint8_t *)"p";
	ir.policy_len = 1;
	ir.sealed = (const uint8_t *)"s";
	ir.sealed_len = 1;
	ASSERT_EQ(0, kf_item_request_encode(&ir, cbody, sizeof(cbody), &clen));
	sub.has_item = true;
	sub.item = (struct kf_signed){ .kind = KF_OBJ_ITEM_REQUEST,
				       .body = cbody, .body_len = clen };
	ASSERT_EQ(0, kf_submission_encode(&sub, enc, sizeof(enc), &len));
	ASSERT_EQ(-EPROTO, kf_submission_decode(&got, enc, len, why,
						sizeof(why)));
	memset(&sub, 0, sizeof(sub));
	sub.has_item = true;
	sub.item = (struct kf_signed){ .kind = KF_OBJ_ITEM_REQUEST,
				       .body = cbody, .body_len = clen };
	ASSERT_EQ(0, kf_submission_encode(&sub, enc, sizeof(enc), &len));
	ASSERT_EQ(0, kf_submission_decode(&got, enc, len, why, sizeof(why)));
	ASSERT_EQ(0, kf_item_request_decode(&ir, got.item.body,
					    got.item.body_len, why,
					    sizeof(why)));
	ASSERT_STREQ("e", ir.entity);
	ASSERT_EQ(1, ir.sealed_len);
	/* A put without its sealed item. */
	ir.sealed_len = 0;
	ASSERT_EQ(0, kf_item_request_encode(&ir, cbody, sizeof(cbody), &clen));
	ASSERT_EQ(-EPROTO, kf_item_request_decode(&ir, cbody, clen, why,
						  sizeof(why)));
	ASSERT_STREQ("item request: a put names a data set, a recipient, a "
		     "policy and a sealed item", why);
}

TEST(key_and_authority_files)
{
	char dir[] = "/tmp/kfauth.XXXXXX", path[64], apath[64];
	struct kf_authority a, b;
	struct kf_signer *k;
	struct stat sb;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/alice.key", dir);
	ASSERT_EQ(0, kf_signer_generate(path));
	ASSERT_EQ(0, stat(path, &sb));
	ASSERT_EQ(0600, sb.st_mode & 0777);
	ASSERT_EQ(-EEXIST, kf_signer_generate(path));	/* never overwrites */
	ASSERT_EQ(0, kf_signer_load(&k, path));
	kf_signer_free(k);
	ASSERT_EQ(0, chmod(path, 0640));
	ASSERT_EQ(-EPERM, kf_signer_load(&k, path));
	ASSERT_EQ(NULL, k);

	vec_authority(&a);
	a.sequence = 1;
	memcpy(a.statement, kf_vec_statement_id, 32);
	snprintf(apath, sizeof(apath), "%s/eu.authority", dir);
	ASSERT_EQ(0, kf_authority_write(apath, &a));
	ASSERT_EQ(0, kf_authority_read(apath, &b));
	ASSERT_TRUE(kf_authority_equal(&a, &b));
	ASSERT_EQ(1, b.sequence);
	ASSERT_MEM(kf_vec_statement_id, b.statement, 32);
	ASSERT_EQ(0, kf_write_file(apath, "keyferry-authority 1\nregion: eu\n"
				   "threshold: 3\nmember: alice "
				   "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
				   "\nestablished: 1 00\n", 110, 0644));
	ASSERT_EQ(-EINVAL, kf_authority_read(apath, &b));
	unlink(path);
	unlink(apath);
	rmdir(dir);
}

TEST_HARNESS_MAIN
