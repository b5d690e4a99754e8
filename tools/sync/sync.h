/* SPDX-License-Identifier: MIT */
/*
 * The payloads of the provider's channel to the repository
 * (docs/protocol.md section 11), shared by the repository, which serves
 * it (tools/repo/sync.c), and the provider, which drives it
 * (tools/provider/upstream.c).  The two Noise messages around them are
 * libkeyferry's kf_noise_sync_*().
 *
 * A provider sends its request timestamp, the state of its copy, where
 * it is in gathering a new one, and its audit records not yet reported;
 * the repository answers with its state, how far it holds the
 * provider's records, and a page of rows when the copy is not current.
 *
 * Same rules as the host's payloads: TLV in ascending type order,
 * decoders strict (-EPROTO), encoders refusing what a decoder would.
 */
#ifndef KF_TOOLS_SYNC_H
#define KF_TOOLS_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyferry.h"
#include "tools/store/store.h"

#define KF_SYNC_PATH		"/v1/provider/sync"
/* A payload's room in a message (section 3). */
#define KF_SYNC_REQUEST_MAX	(KF_MESSAGE_MAX - KF_MSG1_MIN)
#define KF_SYNC_REPLY_MAX	(KF_MESSAGE_MAX - KF_MSG2_MIN)
#define KF_SYNC_RECORDS_MAX	128
/* An audit record's op, subject and result at most ("region/entity"). */
#define KF_SYNC_FIELD_MAX	(2 * KF_NAME_MAX + 1)

/* Status of a reply: the host protocol's codes, the entity being the
 * provider (section 5.3). */
enum kf_sync_status {
	KF_SYNC_OK = KF_STATUS_OK,
	KF_SYNC_UNKNOWN = KF_STATUS_UNKNOWN_ENTITY,	/* no such provider */
	KF_SYNC_RETIRED = KF_STATUS_REVOKED,
	KF_SYNC_BAD_REQUEST = KF_STATUS_BAD_REQUEST,
	KF_SYNC_INTERNAL = KF_STATUS_INTERNAL,
};

/* "unknown provider", "provider retired", ... */
const char *kf_sync_status_name(uint32_t status);

struct kf_sync_request {
	uint8_t timestamp[KF_TIMESTAMP_SIZE];
	bool has_held;			/* the copy it holds, complete */
	struct kf_generation held;
	bool gathering;			/* the pages it has of another */
	struct kf_generation gather;
	struct kf_cursor cursor;
	unsigned int n_records;		/* its records, in order */
	struct kf_audit_rec records[KF_SYNC_RECORDS_MAX];
	/* The records' strings, NUL-terminated (decoded requests). */
	char arena[KF_SYNC_REQUEST_MAX + 4 * KF_SYNC_RECORDS_MAX];
};

/*
 * Encode req's fixed fields, then as many records from next_record() as
 * fit (it returns 1 with the next one, 0 at the end, a negative errno);
 * *taken says how many went in.  A record that did not fit is the
 * caller's to give again next time.
 */
int kf_sync_request_encode(const struct kf_sync_request *req,
			   int (*next_record)(void *ctx,
					      struct kf_audit_rec *rec),
			   void *ctx, uint8_t *buf, size_t cap, size_t *len,
			   unsigned int *taken);
int kf_sync_request_decode(struct kf_sync_request *req, const uint8_t *buf,
			   size_t len);

/* The reply, written in order: its head, rows while they fit, the end. */
struct kf_sync_reply_writer {
	struct kf_tlv_writer w;
	size_t room;		/* the rows' share of the buffer */
	unsigned int rows;
};

void kf_sync_reply_begin(struct kf_sync_reply_writer *rw, uint8_t *buf,
			 size_t cap, uint32_t status, const char *message,
			 const struct kf_generation *gen, int64_t reported);
/* 0 with the row added; 1 when it does not fit (nothing added). */
int kf_sync_reply_row(struct kf_sync_reply_writer *rw,
		      const struct kf_row *row);
/* next NULL: the rows are complete.  The length, or a negative errno. */
long kf_sync_reply_end(struct kf_sync_reply_writer *rw,
		       const struct kf_cursor *next);

struct kf_sync_reply {
	uint32_t status;
	char message[KF_STATUS_TEXT_MAX + 1];
	bool has_gen;
	struct kf_generation gen;
	int64_t reported;
	unsigned int n_rows;
	const uint8_t *rows;		/* the ROW records, in the buffer */
	size_t rows_len;
	bool has_next;
	struct kf_cursor next;
};

/* Checks every row too; rp->rows points into buf. */
int kf_sync_reply_decode(struct kf_sync_reply *rp, const uint8_t *buf,
			 size_t len);

/*
 * The rows of a decoded reply, one at a time: 1 with a row (its text
 * values NUL-terminated in it->scratch), 0 at the end.
 */
struct kf_sync_rows {
	struct kf_tlv_reader r;
	uint8_t scratch[KF_SYNC_REPLY_MAX + KF_REPLICA_COLS];
};
void kf_sync_rows_init(struct kf_sync_rows *it, const uint8_t *rows,
		       size_t len);
int kf_sync_rows_next(struct kf_sync_rows *it, struct kf_row *row);

#endif /* KF_TOOLS_SYNC_H */
