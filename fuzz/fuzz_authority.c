// SPDX-License-Identifier: MIT
/*
 * The region authority's objects (tools/authority/), which the repository
 * decodes from anyone who posts to /v1/admin/submit, and relying parties
 * from files: submissions, signed envelopes, statements and their
 * operations, certificates, revocation lists, item requests, and the
 * files that carry them (object files, authority files).  Input: one byte
 * choosing the decoder, then its bytes.  What an encoder exists for must
 * encode back to the bytes that were decoded.
 */
#include "fuzz/fuzz.h"
#include "tools/authority/objfile.h"
#include "tools/cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[KF_SUBMISSION_MAX];

static void statement(const uint8_t *b, size_t n)
{
	struct kf_statement st;
	struct kf_op_iter it;
	static struct kf_op op;
	char why[256];
	unsigned int ops = 0;
	int r;

	if (kf_statement_decode(&st, b, n, why, sizeof(why)))
		return;
	kf_op_iter_init(&it, &st);
	while ((r = kf_op_next(&it, &op)) > 0)
		ops++;
	/* It decoded every operation already: walking them cannot fail. */
	if (r < 0 || ops != st.n_ops)
		fuzz_fail(FUZZ_WHERE);
}

static void certificate(const uint8_t *b, size_t n)
{
	struct kf_certificate c;
	char why[256];
	size_t len;

	if (kf_certificate_decode(&c, b, n, why, sizeof(why)))
		return;
	if (kf_certificate_encode(&c, out, sizeof(out), &len))
		fuzz_fail(FUZZ_WHERE);
	fuzz_same(b, n, out, len, "certificate");
}

static void revocations(const uint8_t *b, size_t n)
{
	struct kf_revocations l;
	struct kf_revocation_iter it;
	struct kf_revocation e;
	char why[256];
	unsigned int k = 0;
	int r;

	if (kf_revocations_decode(&l, b, n, why, sizeof(why)))
		return;
	kf_revocation_iter_init(&it, &l);
	while ((r = kf_revocation_next(&it, &e)) > 0)
		k++;
	if (r < 0 || k != l.n)
		fuzz_fail(FUZZ_WHERE);
}

static void item_request(const uint8_t *b, size_t n)
{
	static struct kf_item_request rq;
	char why[256];
	size_t len;

	if (kf_item_request_decode(&rq, b, n, why, sizeof(why)))
		return;
	if (kf_item_request_encode(&rq, out, sizeof(out), &len))
		fuzz_fail(FUZZ_WHERE);
	fuzz_same(b, n, out, len, "item request");
}

static void submission(const uint8_t *b, size_t n)
{
	static struct kf_submission s;
	char why[256];
	unsigned int i;
	size_t len;

	if (kf_submission_decode(&s, b, n, why, sizeof(why)))
		return;
	if (kf_submission_encode(&s, out, sizeof(out), &len))
		fuzz_fail(FUZZ_WHERE);
	fuzz_same(b, n, out, len, "submission");
	if (s.has_statement)
		statement(s.statement.body, s.statement.body_len);
	for (i = 0; i < s.n_certs; i++)
		certificate(s.certs[i].body, s.certs[i].body_len);
	if (s.has_revocations)
		revocations(s.revocations.body, s.revocations.body_len);
	if (s.has_item)
		item_request(s.item.body, s.item.body_len);
}

static void envelope(uint8_t kind, const uint8_t *b, size_t n)
{
	static struct kf_signed s;
	size_t len;

	if (kf_signed_decode(&s, kind, b, n))
		return;
	if (kf_signed_encode(&s, out, sizeof(out), &len))
		fuzz_fail(FUZZ_WHERE);
	fuzz_same(b, n, out, len, "signed object");
}

static void files(const uint8_t *b, size_t n)
{
	static const char *const magic[] = {
		KF_FILE_SUBMISSION, KF_FILE_CERTIFICATE, KF_FILE_REVOCATIONS,
	};
	const char *path = fuzz_file(b, n);
	struct kf_authority a;
	uint8_t *bytes;
	unsigned int i;
	size_t len;

	if (!kf_authority_read(path, &a) && kf_authority_check(&a, NULL, 0))
		fuzz_fail(FUZZ_WHERE);
	for (i = 0; i < KF_ARRAY_SIZE(magic); i++) {
		if (kf_objfile_read(path, magic[i], &bytes, &len))
			continue;
		free(bytes);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > KF_SUBMISSION_MAX)
		return 0;
	switch (data[0] % 7) {
	case 0: submission(data + 1, size - 1); break;
	case 1: envelope(data[1] % 5, data + 2, size - 2); break;
	case 2: statement(data + 1, size - 1); break;
	case 3: certificate(data + 1, size - 1); break;
	case 4: revocations(data + 1, size - 1); break;
	case 5: item_request(data + 1, size - 1); break;
	case 6: files(data + 1, size - 1); break;
	}
	return 0;
}
