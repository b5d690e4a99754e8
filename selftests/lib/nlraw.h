/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw generic netlink socket and message builder, for tests that must
 * send what no library would build: any header, any flags, truncated or
 * concatenated messages, attributes of any length.
 *
 * Answers are collected without blocking.  A generic netlink doit runs in
 * the sender's own sendmsg(), so everything it answers is queued when
 * nlr_send() returns; a dump makes its next part in each recvmsg().  So
 * nlr_collect() reads until the queue is empty: no timeout, and a message
 * the kernel drops without a word (a broken netlink header, no
 * NLM_F_REQUEST) shows as no answer at all.
 */
#ifndef KEYFERRY_SELFTEST_NLRAW_H
#define KEYFERRY_SELFTEST_NLRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>

#define NLR_MSG_MAX	(96 * 1024)	/* the largest message we build */

struct nlr_sock {
	int fd;
	uint32_t seq;
};

/* What came back for one request. */
struct nlr_answer {
	unsigned int n_replies;	/* data messages (not NLMSG_ERROR/DONE) */
	unsigned int n_acks;	/* NLMSG_ERROR messages */
	int error;		/* the first NLMSG_ERROR's -errno; 0: ack */
	bool done;		/* NLMSG_DONE (a dump's end) */
	int done_error;		/* a dump's error carried by NLMSG_DONE */
	int recv_error;		/* -errno of a failed recvmsg (ENOBUFS: lost) */
	char ext_msg[256];	/* the extended ack's message, "" = none */
	uint32_t ext_offs;	/* the offending attribute's offset, 0 = none */
	uint32_t ext_miss;	/* the missing attribute's type, 0 = none */
};

typedef void (*nlr_reply_fn)(const struct nlmsghdr *nlh, void *arg);

int nlr_open(struct nlr_sock *s);
void nlr_close(struct nlr_sock *s);
int nlr_join(struct nlr_sock *s, uint32_t group);
/* 0, or the -errno of sendmsg (the kernel refused the datagram itself). */
int nlr_send(struct nlr_sock *s, const void *buf, size_t len);
/* Read every queued answer; fn (may be NULL) sees each data message. */
void nlr_collect(struct nlr_sock *s, struct nlr_answer *a, nlr_reply_fn fn,
		 void *arg);
/* Throw away whatever is queued (events). */
unsigned int nlr_drain(struct nlr_sock *s, nlr_reply_fn fn, void *arg);

/*
 * The builder: one message in a caller's buffer.  Running out of room sets
 * overflow and stops writing; every offset stays valid.
 */
struct nlb {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void nlb_init(struct nlb *b, uint8_t *buf, size_t cap);
/* nlmsghdr + genlmsghdr; nlb_end() fills in nlmsg_len. */
void nlb_genl(struct nlb *b, uint16_t type, uint16_t flags, uint32_t seq,
	      uint8_t cmd, uint8_t version);
/* An attribute; returns its offset.  type may carry NLA_F_* bits. */
size_t nlb_attr(struct nlb *b, uint16_t type, const void *data, size_t len);
size_t nlb_nest_start(struct nlb *b, uint16_t type);
void nlb_nest_end(struct nlb *b, size_t off);
void nlb_raw(struct nlb *b, const void *data, size_t len);
void nlb_end(struct nlb *b);

/*
 * Walk attributes over [p, p + len): NULL at the end or at the first
 * attribute that does not fit.  (Prefixed: libnl owns the nla_ names.)
 */
const struct nlattr *nlr_attr_first(const void *p, size_t len);
const struct nlattr *nlr_attr_next(const struct nlattr *a, const void *end);
#define nlr_each(a, p, len) \
	for (a = nlr_attr_first(p, len); a; \
	     a = nlr_attr_next(a, (const uint8_t *)(p) + (len)))

static inline const void *nlr_payload(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

static inline size_t nlr_payload_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline uint16_t nlr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

/* u8 to u64 attributes alike (a shorter payload is zero-extended) */
uint32_t nlr_u32(const struct nlattr *a);
uint64_t nlr_u64(const struct nlattr *a);

#endif /* KEYFERRY_SELFTEST_NLRAW_H */
