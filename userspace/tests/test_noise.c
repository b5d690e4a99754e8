// SPDX-License-Identifier: MIT
/*
 * Noise IK (userspace/lib/noise.c): the cacophony vector for both roles,
 * then keyferry's messages (docs/protocol.md sections 3.1 to 3.3) and every
 * way message 1 and message 2 must be refused.
 */
#include <errno.h>
#include <string.h>

#include "keyferry.h"
#include "vectors/keyferry_vectors.h"
#include "test_util.h"

/* ---- the cacophony vector ---------------------------------------------- */

TEST(vector_keys)
{
	uint8_t pub[32];

	ASSERT_EQ(0, kf_x25519_public(kf_vec_noise_ik_resp_static, pub));
	ASSERT_MEM(kf_vec_noise_ik_init_remote_static, pub, 32);
}

/* Run message 1 of the vector as initiator, checking its bytes. */
static int vector_write1(struct __test_metadata *_metadata,
			 struct kf_noise *ini)
{
	uint8_t out[KF_VEC_NOISE_IK_CIPHERTEXT1_LEN + 8];
	size_t len = 0;

	EXPECT_EQ(0, kf_noise_raw_write1(ini, out, sizeof(out), &len,
					 kf_vec_noise_ik_prologue,
					 KF_VEC_NOISE_IK_PROLOGUE_LEN,
					 kf_vec_noise_ik_init_static,
					 kf_vec_noise_ik_init_remote_static,
					 kf_vec_noise_ik_init_ephemeral,
					 kf_vec_noise_ik_payload1,
					 KF_VEC_NOISE_IK_PAYLOAD1_LEN));
	EXPECT_EQ((size_t)KF_VEC_NOISE_IK_CIPHERTEXT1_LEN, len);
	if (len != KF_VEC_NOISE_IK_CIPHERTEXT1_LEN)
		return -1;
	if (memcmp(kf_vec_noise_ik_ciphertext1, out, len)) {
		test_hex(_metadata->name, "msg1 expected",
			 kf_vec_noise_ik_ciphertext1, len);
		test_hex(_metadata->name, "msg1 seen    ", out, len);
		return -1;
	}
	return 0;
}

TEST(vector_initiator)
{
	uint8_t payload[64];
	struct kf_noise ini;
	size_t len;

	ASSERT_EQ(0, vector_write1(_metadata, &ini));
	ASSERT_EQ(0, kf_noise_raw_read2(&ini, payload, sizeof(payload), &len,
					kf_vec_noise_ik_ciphertext2,
					KF_VEC_NOISE_IK_CIPHERTEXT2_LEN));
	ASSERT_EQ((size_t)KF_VEC_NOISE_IK_PAYLOAD2_LEN, len);
	ASSERT_MEM(kf_vec_noise_ik_payload2, payload, len);
	/* the handshake is over: only h and public keys remain */
	ASSERT_TRUE(test_all_zero(ini.k, 32));
	ASSERT_TRUE(test_all_zero(ini.ck, 32));
	ASSERT_TRUE(test_all_zero(ini.e_priv, 32));
	ASSERT_TRUE(test_all_zero(ini.s_priv, 32));
	ASSERT_FALSE(ini.has_k);
	kf_noise_wipe(&ini);
	ASSERT_TRUE(test_all_zero(&ini, sizeof(ini)));
}

TEST(vector_responder)
{
	uint8_t payload[64], out[KF_VEC_NOISE_IK_CIPHERTEXT2_LEN + 8];
	uint8_t init_pub[32];
	struct kf_noise rsp;
	size_t len;

	ASSERT_EQ(0, kf_noise_raw_read1(&rsp, payload, sizeof(payload), &len,
					kf_vec_noise_ik_prologue,
					KF_VEC_NOISE_IK_PROLOGUE_LEN,
					kf_vec_noise_ik_resp_static,
					kf_vec_noise_ik_ciphertext1,
					KF_VEC_NOISE_IK_CIPHERTEXT1_LEN));
	ASSERT_EQ((size_t)KF_VEC_NOISE_IK_PAYLOAD1_LEN, len);
	ASSERT_MEM(kf_vec_noise_ik_payload1, payload, len);
	ASSERT_EQ(0, kf_x25519_public(kf_vec_noise_ik_init_static, init_pub));
	ASSERT_MEM(init_pub, rsp.rs, 32);
	ASSERT_EQ(0, kf_noise_raw_write2(&rsp, out, sizeof(out), &len,
					 kf_vec_noise_ik_resp_ephemeral,
					 kf_vec_noise_ik_payload2,
					 KF_VEC_NOISE_IK_PAYLOAD2_LEN));
	ASSERT_EQ((size_t)KF_VEC_NOISE_IK_CIPHERTEXT2_LEN, len);
	ASSERT_MEM(kf_vec_noise_ik_ciphertext2, out, len);
	ASSERT_TRUE(test_all_zero(rsp.k, 32));
	ASSERT_TRUE(test_all_zero(rsp.e_priv, 32));
	ASSERT_TRUE(test_all_zero(rsp.s_priv, 32));
	kf_noise_wipe(&rsp);
}

/* Both roles run together end with the same handshake hash. */
TEST(vector_both_roles)
{
	uint8_t payload[64], m1[KF_VEC_NOISE_IK_CIPHERTEXT1_LEN];
	uint8_t m2[KF_VEC_NOISE_IK_CIPHERTEXT2_LEN];
	struct kf_noise ini, rsp;
	size_t len;

	ASSERT_EQ(0, kf_noise_raw_write1(&ini, m1, sizeof(m1), &len,
					 kf_vec_noise_ik_prologue,
					 KF_VEC_NOISE_IK_PROLOGUE_LEN,
					 kf_vec_noise_ik_init_static,
					 kf_vec_noise_ik_init_remote_static,
					 kf_vec_noise_ik_init_ephemeral,
					 kf_vec_noise_ik_payload1,
					 KF_VEC_NOISE_IK_PAYLOAD1_LEN));
	ASSERT_EQ(0, kf_noise_raw_read1(&rsp, payload, sizeof(payload), &len,
					kf_vec_noise_ik_prologue,
					KF_VEC_NOISE_IK_PROLOGUE_LEN,
					kf_vec_noise_ik_resp_static, m1,
					sizeof(m1)));
	ASSERT_MEM(ini.h, rsp.h, 32);
	ASSERT_MEM(ini.ck, rsp.ck, 32);
	ASSERT_EQ(0, kf_noise_raw_write2(&rsp, m2, sizeof(m2), &len,
					 kf_vec_noise_ik_resp_ephemeral,
					 kf_vec_noise_ik_payload2,
					 KF_VEC_NOISE_IK_PAYLOAD2_LEN));
	ASSERT_MEM(kf_vec_noise_ik_ciphertext2, m2, sizeof(m2));
	ASSERT_EQ(0, kf_noise_raw_read2(&ini, payload, sizeof(payload), &len,
					m2, sizeof(m2)));
	ASSERT_MEM(ini.h, rsp.h, 32);
	kf_noise_wipe(&ini);
	kf_noise_wipe(&rsp);
}

TEST(vector_wrong_prologue)
{
	uint8_t payload[64];
	struct kf_noise rsp;
	size_t len;

	ASSERT_EQ(-EBADMSG, kf_noise_raw_read1(&rsp, payload, sizeof(payload),
					       &len,
					       (const uint8_t *)"keyferry/1",
					       10, kf_vec_noise_ik_resp_static,
					       kf_vec_noise_ik_ciphertext1,
					       KF_VEC_NOISE_IK_CIPHERTEXT1_LEN));
	/* a failed read leaves nothing behind */
	ASSERT_TRUE(test_all_zero(&rsp, sizeof(rsp)));
}

/* ---- keyferry messages ---------------------------------------------------- */

FIXTURE(ik)
{
	uint8_t kei[32], kei_pub[32];	/* host's identity key */
	uint8_t kd[32], kd_pub[32];	/* distributor's key */
	uint8_t req[100], rep[200];
	uint8_t msg1[KF_MSG1_MIN + 100];
	size_t msg1_len;
	struct kf_noise ini;		/* after message 1 */
	struct kf_noise rsp;		/* after reading message 1 */
	uint8_t msg2[KF_MSG2_MIN + 200];
	size_t msg2_len;
};

FIXTURE_SETUP(ik)
{
	uint8_t payload[200], from[32];
	size_t len;

	ASSERT_EQ(0, kf_x25519_keygen(self->kei, self->kei_pub));
	ASSERT_EQ(0, kf_x25519_keygen(self->kd, self->kd_pub));
	ASSERT_EQ(0, kf_random(self->req, sizeof(self->req)));
	ASSERT_EQ(0, kf_random(self->rep, sizeof(self->rep)));
	ASSERT_EQ(0, kf_noise_initiator_write1(&self->ini, self->msg1,
					       sizeof(self->msg1),
					       &self->msg1_len, self->kei,
					       self->kd_pub, NULL, self->req,
					       sizeof(self->req)));
	ASSERT_EQ(0, kf_noise_responder_read1(&self->rsp, payload,
					      sizeof(payload), &len, from,
					      self->kd, self->msg1,
					      self->msg1_len));
	ASSERT_EQ(sizeof(self->req), len);
	ASSERT_MEM(self->req, payload, len);
	ASSERT_MEM(self->kei_pub, from, 32);
	ASSERT_EQ(0, kf_noise_responder_write2(&self->rsp, self->msg2,
					       sizeof(self->msg2),
					       &self->msg2_len, NULL,
					       self->rep, sizeof(self->rep)));
}

FIXTURE_TEARDOWN(ik)
{
	kf_noise_wipe(&self->ini);
	kf_noise_wipe(&self->rsp);
	kf_wipe(self->kei, 32);
	kf_wipe(self->kd, 32);
}

/* Host side: read message 2 with a fresh copy of the state after msg 1. */
static int read2(const struct kf_noise *after1, const uint8_t *msg,
		 size_t len, uint8_t *payload, size_t cap, size_t *plen)
{
	struct kf_noise st = *after1;
	int ret;

	ret = kf_noise_initiator_read2(&st, payload, cap, plen, msg, len);
	kf_noise_wipe(&st);
	return ret;
}

static int read1(const uint8_t *kd, const uint8_t *msg, size_t len)
{
	uint8_t payload[KF_MESSAGE_MAX], from[32];
	struct kf_noise st;
	size_t plen;
	int ret;

	ret = kf_noise_responder_read1(&st, payload, sizeof(payload), &plen,
				       from, kd, msg, len);
	kf_noise_wipe(&st);
	return ret;
}

TEST_F(ik, headers)
{
	uint8_t kid[8];

	kf_kid(self->kd_pub, kid);
	ASSERT_EQ(KF_MSG1_MIN + sizeof(self->req), self->msg1_len);
	ASSERT_EQ(1, self->msg1[0]);
	ASSERT_EQ(2, self->msg1[1]);	/* version 2 */
	ASSERT_EQ(0, self->msg1[2]);
	ASSERT_EQ(0, self->msg1[3]);
	ASSERT_MEM(kid, self->msg1 + 8, 8);
	ASSERT_MEM(kid, self->ini.kid, 8);
	ASSERT_MEM(self->ini.e_pub, self->msg1 + 16, 32);
	ASSERT_EQ(self->ini.index, (uint32_t)self->msg1[4] << 24 |
		  (uint32_t)self->msg1[5] << 16 | (uint32_t)self->msg1[6] << 8 |
		  self->msg1[7]);

	ASSERT_EQ(KF_MSG2_MIN + sizeof(self->rep), self->msg2_len);
	ASSERT_EQ(2, self->msg2[0]);
	ASSERT_EQ(2, self->msg2[1]);
	ASSERT_EQ(0, self->msg2[2]);
	ASSERT_EQ(0, self->msg2[3]);
	ASSERT_MEM(self->msg1 + 4, self->msg2 + 4, 4);	/* receiver index */
	ASSERT_MEM(kid, self->msg2 + 8, 8);
	ASSERT_MEM(self->rsp.e_pub, self->msg2 + 16, 32);
}

/*
 * The Noise body of message 1 is bound to the prologue "keyferry/2": a
 * peer of version 1 ("keyferry/1") cannot read it, even past the header.
 */
TEST_F(ik, prologue_is_version_2)
{
	uint8_t payload[200];
	struct kf_noise rsp;
	size_t len;

	ASSERT_EQ(-EBADMSG, kf_noise_raw_read1(&rsp, payload, sizeof(payload),
					       &len,
					       (const uint8_t *)"keyferry/1",
					       10, self->kd, self->msg1 + 16,
					       self->msg1_len - 16));
	ASSERT_EQ(0, kf_noise_raw_read1(&rsp, payload, sizeof(payload), &len,
					(const uint8_t *)"keyferry/2", 10,
					self->kd, self->msg1 + 16,
					self->msg1_len - 16));
	ASSERT_EQ(sizeof(self->req), len);
	kf_noise_wipe(&rsp);
	/* and a version 1 header is refused before any cryptography */
	self->msg1[1] = 1;
	ASSERT_EQ(-EPROTONOSUPPORT, read1(self->kd, self->msg1,
					  self->msg1_len));
}

TEST_F(ik, round_trip)
{
	uint8_t payload[200];
	struct kf_noise st = self->ini;
	size_t len;

	ASSERT_EQ(0, kf_noise_initiator_read2(&st, payload, sizeof(payload),
					      &len, self->msg2,
					      self->msg2_len));
	ASSERT_EQ(sizeof(self->rep), len);
	ASSERT_MEM(self->rep, payload, len);
	ASSERT_MEM(self->rsp.h, st.h, 32);
	/* the state is spent: a second reply is not read */
	ASSERT_EQ(-EINVAL, kf_noise_initiator_read2(&st, payload,
						    sizeof(payload), &len,
						    self->msg2,
						    self->msg2_len));
	kf_noise_wipe(&st);
}

TEST_F(ik, every_bit_flip_of_message2_refused)
{
	uint8_t payload[200];
	size_t i, byte, len;
	int want;

	for (i = 0; i < 8 * self->msg2_len; i++) {
		byte = i / 8;
		if (byte < 4)
			want = -EPROTONOSUPPORT;
		else if (byte < 8)
			want = -ESRCH;
		else if (byte < 16)
			want = -EREMCHG;
		else
			want = -EBADMSG;
		self->msg2[byte] ^= 1 << (i % 8);
		ASSERT_EQ(want, read2(&self->ini, self->msg2, self->msg2_len,
				      payload, sizeof(payload), &len));
		self->msg2[byte] ^= 1 << (i % 8);
	}
	ASSERT_EQ(0, read2(&self->ini, self->msg2, self->msg2_len, payload,
			   sizeof(payload), &len));
}

TEST_F(ik, truncated_or_extended_message2_refused)
{
	uint8_t payload[256], longer[sizeof(self->msg2) + 1];
	size_t n, len;

	for (n = 0; n < self->msg2_len; n++)
		ASSERT_EQ(n < KF_MSG2_MIN ? -EMSGSIZE : -EBADMSG,
			  read2(&self->ini, self->msg2, n, payload,
				sizeof(payload), &len));
	memcpy(longer, self->msg2, self->msg2_len);
	longer[self->msg2_len] = 0;
	/* one byte more of payload than the buffer holds */
	ASSERT_EQ(-EMSGSIZE, read2(&self->ini, longer, self->msg2_len + 1,
				   payload, sizeof(self->rep), &len));
	ASSERT_EQ(-EBADMSG, read2(&self->ini, longer, self->msg2_len + 1,
				  payload, sizeof(payload), &len));
}

TEST_F(ik, oversized_message2_refused)
{
	static uint8_t big[KF_MESSAGE_MAX + 1];
	uint8_t payload[16];
	size_t len;

	memcpy(big, self->msg2, self->msg2_len);
	ASSERT_EQ(-EMSGSIZE, read2(&self->ini, big, sizeof(big), payload,
				   sizeof(payload), &len));
}

TEST_F(ik, failed_read2_wipes_state)
{
	uint8_t payload[200];
	struct kf_noise st = self->ini;
	size_t len;

	self->msg2[self->msg2_len - 1] ^= 1;
	ASSERT_EQ(-EBADMSG, kf_noise_initiator_read2(&st, payload,
						     sizeof(payload), &len,
						     self->msg2,
						     self->msg2_len));
	ASSERT_TRUE(test_all_zero(&st, sizeof(st)));
	ASSERT_TRUE(test_all_zero(payload, sizeof(self->rep)));
}

TEST_F(ik, low_order_ephemeral_in_message2_refused)
{
	uint8_t payload[200];
	size_t i, len;

	for (i = 0; i < TEST_N_LOW_ORDER; i++) {
		memcpy(self->msg2 + 16, test_low_order[i], 32);
		ASSERT_EQ(-EBADMSG, read2(&self->ini, self->msg2,
					  self->msg2_len, payload,
					  sizeof(payload), &len));
	}
}

TEST_F(ik, low_order_ephemeral_in_message1_refused)
{
	size_t i;

	for (i = 0; i < TEST_N_LOW_ORDER; i++) {
		memcpy(self->msg1 + 16, test_low_order[i], 32);
		ASSERT_EQ(-EBADMSG, read1(self->kd, self->msg1,
					  self->msg1_len));
	}
}

TEST_F(ik, every_bit_flip_of_message1)
{
	size_t i, byte;
	int want;

	for (i = 0; i < 8 * self->msg1_len; i++) {
		byte = i / 8;
		/*
		 * The sender index only routes the reply (it is not in the
		 * transcript): a changed one is caught by the host as ESRCH,
		 * tested with message 2.
		 */
		if (byte >= 4 && byte < 8)
			continue;
		if (byte < 4)
			want = -EPROTONOSUPPORT;
		else if (byte < 16)
			want = -EREMCHG;
		else
			want = -EBADMSG;
		self->msg1[byte] ^= 1 << (i % 8);
		ASSERT_EQ(want, read1(self->kd, self->msg1, self->msg1_len));
		self->msg1[byte] ^= 1 << (i % 8);
	}
	ASSERT_EQ(0, read1(self->kd, self->msg1, self->msg1_len));
}

TEST_F(ik, truncated_message1_refused)
{
	size_t n;

	for (n = 0; n < self->msg1_len; n++)
		ASSERT_EQ(n < KF_MSG1_MIN ? -EMSGSIZE : -EBADMSG,
			  read1(self->kd, self->msg1, n));
}

TEST_F(ik, changed_index_gets_no_reply_through)
{
	uint8_t msg1[sizeof(self->msg1)], msg2[sizeof(self->msg2)];
	uint8_t payload[200], from[32];
	struct kf_noise rsp;
	size_t len, msg2_len;

	memcpy(msg1, self->msg1, self->msg1_len);
	msg1[7] ^= 1;
	ASSERT_EQ(0, kf_noise_responder_read1(&rsp, payload, sizeof(payload),
					      &len, from, self->kd, msg1,
					      self->msg1_len));
	ASSERT_EQ(0, kf_noise_responder_write2(&rsp, msg2, sizeof(msg2),
					       &msg2_len, NULL, self->rep,
					       sizeof(self->rep)));
	ASSERT_EQ(-ESRCH, read2(&self->ini, msg2, msg2_len, payload,
				sizeof(payload), &len));
	kf_noise_wipe(&rsp);
}

TEST_F(ik, wrong_distributor_key)
{
	uint8_t other[32], other_pub[32], kid[8];

	/* addressed to another key: refused by its kid */
	ASSERT_EQ(0, kf_x25519_keygen(other, other_pub));
	ASSERT_EQ(-EREMCHG, read1(other, self->msg1, self->msg1_len));
	/* even with the kid rewritten, the Noise transcript does not match */
	kf_kid(other_pub, kid);
	memcpy(self->msg1 + 8, kid, 8);
	ASSERT_EQ(-EBADMSG, read1(other, self->msg1, self->msg1_len));
	kf_wipe(other, 32);
}

TEST_F(ik, reply_from_another_transfer_refused)
{
	uint8_t payload[200], msg1[sizeof(self->msg1)];
	struct kf_noise ini2;
	size_t len, msg1_len;

	/* a second transfer to the same distributor */
	ASSERT_EQ(0, kf_noise_initiator_write1(&ini2, msg1, sizeof(msg1),
					       &msg1_len, self->kei,
					       self->kd_pub, NULL, self->req,
					       sizeof(self->req)));
	/* the first transfer's reply, readdressed to the second */
	memcpy(self->msg2 + 4, msg1 + 4, 4);
	ASSERT_EQ(-EBADMSG, read2(&ini2, self->msg2, self->msg2_len, payload,
				  sizeof(payload), &len));
	kf_noise_wipe(&ini2);
}

TEST_F(ik, payload_capacity)
{
	uint8_t payload[200];
	size_t len;

	ASSERT_EQ(-EMSGSIZE, read2(&self->ini, self->msg2, self->msg2_len,
				   payload, sizeof(self->rep) - 1, &len));
}

TEST(order_enforced)
{
	uint8_t buf[KF_MSG2_MIN + 16], payload[16] = { 0 };
	struct kf_noise st;
	size_t len;

	memset(&st, 0, sizeof(st));
	ASSERT_EQ(-EINVAL, kf_noise_responder_write2(&st, buf, sizeof(buf),
						     &len, NULL, payload, 16));
	memset(&st, 0, sizeof(st));
	memset(buf, 0, sizeof(buf));
	buf[0] = 2;
	buf[1] = 1;
	ASSERT_EQ(-EINVAL, kf_noise_raw_read2(&st, payload, sizeof(payload),
					      &len, buf, sizeof(buf)));
}

TEST(message_size_limits)
{
	static uint8_t payload[KF_MESSAGE_MAX], msg[KF_MESSAGE_MAX + 1];
	uint8_t kei[32], kei_pub[32], kd[32], kd_pub[32], from[32];
	static uint8_t out[KF_MESSAGE_MAX];
	struct kf_noise ini, rsp, tmp;
	size_t len, plen;

	ASSERT_EQ(0, kf_x25519_keygen(kei, kei_pub));
	ASSERT_EQ(0, kf_x25519_keygen(kd, kd_pub));
	ASSERT_EQ(-EMSGSIZE, kf_noise_initiator_write1(&ini, msg, sizeof(msg),
						       &len, kei, kd_pub, NULL,
						       payload,
						       KF_MESSAGE_MAX -
						       KF_MSG1_MIN + 1));
	ASSERT_EQ(0, kf_noise_initiator_write1(&ini, msg, sizeof(msg), &len,
					       kei, kd_pub, NULL, payload,
					       KF_MESSAGE_MAX - KF_MSG1_MIN));
	ASSERT_EQ((size_t)KF_MESSAGE_MAX, len);
	ASSERT_EQ(0, kf_noise_responder_read1(&rsp, out, sizeof(out), &plen,
					      from, kd, msg, len));
	ASSERT_EQ((size_t)(KF_MESSAGE_MAX - KF_MSG1_MIN), plen);
	/* a failure spends the state, so try the oversize on a copy */
	tmp = rsp;
	ASSERT_EQ(-EMSGSIZE, kf_noise_responder_write2(&tmp, msg, sizeof(msg),
						       &len, NULL, payload,
						       KF_MESSAGE_MAX -
						       KF_MSG2_MIN + 1));
	ASSERT_TRUE(test_all_zero(&tmp, sizeof(tmp)));
	ASSERT_EQ(0, kf_noise_responder_write2(&rsp, msg, sizeof(msg), &len,
					       NULL, payload,
					       KF_MESSAGE_MAX - KF_MSG2_MIN));
	ASSERT_EQ(0, kf_noise_initiator_read2(&ini, out, sizeof(out), &plen,
					      msg, len));
	ASSERT_EQ((size_t)(KF_MESSAGE_MAX - KF_MSG2_MIN), plen);
	kf_noise_wipe(&ini);
	kf_noise_wipe(&rsp);
}

TEST(low_order_remote_static_refused)
{
	uint8_t kei[32], kei_pub[32], msg[KF_MSG1_MIN];
	struct kf_noise st;
	size_t i, len;

	ASSERT_EQ(0, kf_x25519_keygen(kei, kei_pub));
	for (i = 0; i < TEST_N_LOW_ORDER; i++)
		ASSERT_EQ(-EBADMSG, kf_noise_initiator_write1(&st, msg,
							      sizeof(msg),
							      &len, kei,
							      test_low_order[i],
							      NULL, NULL, 0));
}

/* ---- the provider's channel to the repository (section 11) --------------- */

/*
 * Its messages are types 3 and 4 under the prologue "keyferry/2
 * provider": a round trip works, and neither channel accepts the other's
 * messages, by the header first and by the handshake when the header is
 * rewritten.
 */
TEST(sync_channel)
{
	uint8_t kp[32], kp_pub[32], kd[32], kd_pub[32], from[32];
	uint8_t req[40], rep[60], msg1[256], msg2[256], payload[256];
	struct kf_noise ini, rsp, tmp;
	size_t len1, len2, plen;

	memset(req, 0x11, sizeof(req));
	memset(rep, 0x22, sizeof(rep));
	ASSERT_EQ(0, kf_x25519_keygen(kp, kp_pub));
	ASSERT_EQ(0, kf_x25519_keygen(kd, kd_pub));
	ASSERT_EQ(0, kf_noise_sync_write1(&ini, msg1, sizeof(msg1), &len1, kp,
					  kd_pub, req, sizeof(req)));
	ASSERT_EQ(3, msg1[0]);
	ASSERT_EQ(2, msg1[1]);
	/* a host's responder refuses it by its type... */
	ASSERT_EQ(-EPROTONOSUPPORT, read1(kd, msg1, len1));
	/* ...and by its prologue when the type is rewritten */
	msg1[0] = 1;
	ASSERT_EQ(-EBADMSG, read1(kd, msg1, len1));
	msg1[0] = 3;
	ASSERT_EQ(0, kf_noise_sync_read1(&rsp, payload, sizeof(payload), &plen,
					 from, kd, kd_pub, msg1, len1));
	ASSERT_EQ(sizeof(req), plen);
	ASSERT_MEM(req, payload, plen);
	ASSERT_MEM(kp_pub, from, 32);	/* the provider, by its key */
	ASSERT_EQ(0, kf_noise_sync_write2(&rsp, msg2, sizeof(msg2), &len2, rep,
					  sizeof(rep)));
	ASSERT_EQ(4, msg2[0]);
	ASSERT_MEM(msg1 + 4, msg2 + 4, 4);
	/* a host's initiator state does not take it */
	tmp = ini;
	ASSERT_EQ(-EPROTONOSUPPORT, kf_noise_initiator_read2(&tmp, payload,
							     sizeof(payload),
							     &plen, msg2,
							     len2));
	tmp = ini;
	msg2[0] = 2;
	ASSERT_EQ(-EPROTONOSUPPORT, kf_noise_sync_read2(&tmp, payload,
							sizeof(payload), &plen,
							msg2, len2));
	msg2[0] = 4;
	ASSERT_EQ(0, kf_noise_sync_read2(&ini, payload, sizeof(payload), &plen,
					 msg2, len2));
	ASSERT_EQ(sizeof(rep), plen);
	ASSERT_MEM(rep, payload, plen);
	/* and a host's message 1 is not a provider's */
	ASSERT_EQ(0, kf_noise_initiator_write1(&tmp, msg1, sizeof(msg1), &len1,
					       kp, kd_pub, NULL, req,
					       sizeof(req)));
	ASSERT_EQ(-EPROTONOSUPPORT, kf_noise_sync_read1(&rsp, payload,
							sizeof(payload), &plen,
							from, kd, kd_pub, msg1,
							len1));
	msg1[0] = 3;
	ASSERT_EQ(-EBADMSG, kf_noise_sync_read1(&rsp, payload, sizeof(payload),
						&plen, from, kd, kd_pub, msg1,
						len1));
	kf_noise_wipe(&tmp);
	kf_noise_wipe(&ini);
	kf_wipe(kp, 32);
	kf_wipe(kd, 32);
}

TEST_HARNESS_MAIN
