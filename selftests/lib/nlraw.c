// SPDX-License-Identifier: GPL-2.0
/* The raw generic netlink socket and builder of nlraw.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "nlraw.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Room for a dump's part and a whole batch of acks. */
#define NLR_RECV_BUF	(256 * 1024)
/* A dump of a few thousand messages ends well before this many reads. */
#define NLR_MAX_READS	100000

int nlr_open(struct nlr_sock *s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, size = 4 << 20;

	s->seq = 1;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	/* Extended acks, and errors that do not echo the whole request. */
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    bind(s->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int ret = -errno;

		close(s->fd);
		s->fd = -1;
		return ret;
	}
	/* Best effort: a larger queue loses fewer events. */
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return 0;
}

void nlr_close(struct nlr_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int nlr_join(struct nlr_sock *s, uint32_t group)
{
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)))
		return -errno;
	return 0;
}

int nlr_send(struct nlr_sock *s, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n;

	n = sendto(s->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (n < 0)
		return -errno;
	return 0;
}

/* The extended ack after an NLMSG_ERROR (the request is capped). */
static void nlr_ext_ack(const struct nlmsghdr *nlh, struct nlr_answer *a)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (off >= nlh->nlmsg_len)
		return;
	nlr_each(attr, (const uint8_t *)nlh + off, nlh->nlmsg_len - off) {
		if (nlr_type(attr) == NLMSGERR_ATTR_MSG && nlr_payload_len(attr))
			snprintf(a->ext_msg, sizeof(a->ext_msg), "%.*s",
				 (int)nlr_payload_len(attr),
				 (const char *)nlr_payload(attr));
		else if (nlr_type(attr) == NLMSGERR_ATTR_OFFS)
			a->ext_offs = nlr_u32(attr);
		else if (nlr_type(attr) == NLMSGERR_ATTR_MISS_TYPE)
			a->ext_miss = nlr_u32(attr);
	}
}

/* One datagram's messages, into the answer. */
static void nlr_parse(const uint8_t *buf, size_t len, struct nlr_answer *a,
		      nlr_reply_fn fn, void *arg)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int n = (int)len;

	for (; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		if (nlh->nlmsg_type == NLMSG_ERROR &&
		    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			if (!a->n_acks++) {
				a->error = e->error;
				nlr_ext_ack(nlh, a);
			}
		} else if (nlh->nlmsg_type == NLMSG_DONE) {
			a->done = true;
			if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
				memcpy(&a->done_error, NLMSG_DATA(nlh),
				       sizeof(int));
		} else if (nlh->nlmsg_type != NLMSG_NOOP) {
			a->n_replies++;
			if (fn)
				fn(nlh, arg);
		}
	}
}

void nlr_collect(struct nlr_sock *s, struct nlr_answer *a, nlr_reply_fn fn,
		 void *arg)
{
	static uint8_t buf[NLR_RECV_BUF];
	unsigned int reads;
	ssize_t n;

	memset(a, 0, sizeof(*a));
	for (reads = 0; reads < NLR_MAX_READS; reads++) {
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			/* ENOBUFS: something queued for us was lost; more may follow */
			if (!a->recv_error)
				a->recv_error = -errno;
			continue;
		}
		nlr_parse(buf, (size_t)n, a, fn, arg);
	}
}

unsigned int nlr_drain(struct nlr_sock *s, nlr_reply_fn fn, void *arg)
{
	struct nlr_answer a;

	nlr_collect(s, &a, fn, arg);
	return a.n_replies;
}

/* ---- the builder ------------------------------------------------------ */

void nlb_init(struct nlb *b, uint8_t *buf, size_t cap)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
}

static void *nlb_reserve(struct nlb *b, size_t len)
{
	size_t aligned = NLA_ALIGN(len);
	void *p;

	if (b->overflow || b->len + aligned > b->cap) {
		b->overflow = true;
		return NULL;
	}
	p = b->buf + b->len;
	memset(p, 0, aligned);
	b->len += aligned;
	return p;
}

void nlb_genl(struct nlb *b, uint16_t type, uint16_t flags, uint32_t seq,
	      uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = nlb_reserve(b, NLMSG_HDRLEN);
	struct genlmsghdr *g = nlb_reserve(b, GENL_HDRLEN);

	if (!nlh || !g)
		return;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = version;
}

size_t nlb_attr(struct nlb *b, uint16_t type, const void *data, size_t len)
{
	size_t off = b->len;
	struct nlattr *a;

	if (len > 0xffff - NLA_HDRLEN) {
		b->overflow = true;
		return off;
	}
	a = nlb_reserve(b, NLA_HDRLEN + len);
	if (!a)
		return off;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	return off;
}

size_t nlb_nest_start(struct nlb *b, uint16_t type)
{
	return nlb_attr(b, type, NULL, 0);
}

void nlb_nest_end(struct nlb *b, size_t off)
{
	struct nlattr *a = (struct nlattr *)(b->buf + off);
	size_t len = b->len - off;

	if (b->overflow || len > 0xffff) {
		b->overflow = true;
		return;
	}
	a->nla_len = len;
}

void nlb_raw(struct nlb *b, const void *data, size_t len)
{
	if (b->overflow || b->len + len > b->cap) {
		b->overflow = true;
		return;
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
}

void nlb_end(struct nlb *b)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)b->buf;

	if (b->len >= NLMSG_HDRLEN)
		nlh->nlmsg_len = b->len;
}

/* ---- walking attributes ------------------------------------------------ */

const struct nlattr *nlr_attr_first(const void *p, size_t len)
{
	const struct nlattr *a = p;

	if (len < NLA_HDRLEN || a->nla_len < NLA_HDRLEN || a->nla_len > len)
		return NULL;
	return a;
}

const struct nlattr *nlr_attr_next(const struct nlattr *a, const void *end)
{
	const uint8_t *next = (const uint8_t *)a + NLA_ALIGN(a->nla_len);

	if (next >= (const uint8_t *)end)
		return NULL;
	return nlr_attr_first(next, (const uint8_t *)end - next);
}

/* An integer of any width up to the type's (host order, little-endian). */
uint32_t nlr_u32(const struct nlattr *a)
{
	return (uint32_t)nlr_u64(a);
}

uint64_t nlr_u64(const struct nlattr *a)
{
	size_t n = nlr_payload_len(a);
	uint64_t v = 0;

	memcpy(&v, nlr_payload(a), n < sizeof(v) ? n : sizeof(v));
	return v;
}
