// SPDX-License-Identifier: MIT
/*
 * The repository's decision on a request (tools/repo/transfer.c), through
 * kf_repo_handle(), with a real store (fuzz/repo.h).  The input is the
 * request's plaintext: one byte of options, then the payload, which the
 * harness wraps in a valid Noise message 1, so the fuzzer works past the
 * handshake on what only a holder of a Kei can send: the decoding, the
 * look-ups, the data sets' policies, the enrollment, the audit.
 *
 * Options: bit 0 enroll (else transfer), bit 1 from a stranger's Kei
 * (else the enrolled host's), bit 2 with a fresh challenge nonce put into
 * an enroll request that decodes (else the nonce as given).
 * Every answer must be HTTP 200 with a message 2 the initiator reads and a
 * reply that decodes, but one: a transfer whose TIMESTAMP is not newer than
 * one the repository accepted from that Kei (inputs replay each other; the
 * stranger's Kei too, once an input enrolled it) is 409 with no message 2
 * (docs/protocol.md 3.3).
 */
#include "fuzz/repo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kf_repo *repo;
static uint8_t stranger_priv[KF_KEY_SIZE];

/* An enroll request with a nonce this repository just made. */
static size_t freshen(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	static struct kf_request rq;
	size_t len;

	if (kf_request_decode(&rq, p, n) || rq.kind != KF_KIND_ENROLL ||
	    kf_challenge_make(repo, rq.nonce, kf_now()) ||
	    kf_request_encode(&rq, out, cap, &len))
		return 0;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[KF_MESSAGE_MAX], resp[KF_MESSAGE_MAX],
		fresh[KF_MESSAGE_MAX], payload[KF_MESSAGE_MAX];
	static struct kf_reply rp;
	uint8_t kd_pub[KF_KEY_SIZE];
	struct kf_noise st;
	size_t mlen, rlen, plen, n;
	bool enroll;
	int http;

	if (!repo) {
		repo = repo_start();
		if (!repo || kf_random(stranger_priv, sizeof(stranger_priv)))
			abort();
	}
	if (size < 1 || size - 1 > KF_MESSAGE_MAX - KF_MSG1_MIN)
		return 0;
	enroll = data[0] & 1;
	n = (data[0] & 4) ? freshen(data + 1, size - 1, fresh, sizeof(fresh))
			  : 0;
	if (kf_x25519_public(fuzz_kd_priv, kd_pub) ||
	    kf_noise_initiator_write1(&st, msg, sizeof(msg), &mlen,
				      (data[0] & 2) ? stranger_priv :
				      fuzz_kei_priv, kd_pub, NULL,
				      n ? fresh : data + 1, n ? n : size - 1))
		fuzz_fail(FUZZ_WHERE);
	http = kf_repo_handle(repo, enroll, msg, mlen, resp, sizeof(resp),
			      &rlen);
	if (http == 409 && !enroll) {
		kf_noise_wipe(&st);
		return 0;
	}
	if (http != 200 ||
	    kf_noise_initiator_read2(&st, payload, sizeof(payload), &plen,
				     resp, rlen) ||
	    kf_reply_decode(&rp, payload, plen))
		fuzz_fail(FUZZ_WHERE);
	/* Strangers are never told more than a refusal. */
	if ((data[0] & 2) && !enroll && rp.status == KF_STATUS_OK)
		fuzz_fail(FUZZ_WHERE);
	kf_noise_wipe(&st);
	return 0;
}
