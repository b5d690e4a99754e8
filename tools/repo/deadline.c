// SPDX-License-Identifier: MIT
/*
 * An absolute deadline per request.  libmicrohttpd's timeout only counts
 * idleness, so a client that sends one byte just before each timeout keeps
 * its connection, and its slot, for ever.  Here every connection is given
 * `deadline' seconds from its accept, or from its previous response, to
 * have its next request read and answered; a thread looks every 100 ms and
 * shuts the socket of a connection past it down, whatever its pace, which
 * libmicrohttpd then sees as a closed connection and frees.
 *
 * Lifetimes and locking: a struct conn lives from libmicrohttpd's
 * "connection started" notification to its "closed" one, which comes
 * before it closes the socket (daemon.c, MHD_cleanup_connections in
 * 0.9.75); the list, and each shutdown(), are under dl->lock, so a socket
 * is never shut down after it was closed (and its number reused).
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "tools/cli/cli.h"
#include "tools/repo/internal.h"

#define DL_TICK_NS	100000000ull

struct conn {
	struct conn *prev, *next;
	int fd;
	uint64_t since;		/* ns: accepted, or previous response sent */
	bool cut;
};

struct kf_deadline {
	uint64_t limit_ns;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct conn head;	/* circular list of live connections */
	pthread_t thread;
	bool running, stopping;
};

static void *watch(void *arg)
{
	struct kf_deadline *dl = arg;
	struct timespec ts;
	struct conn *c;
	uint64_t now;

	pthread_mutex_lock(&dl->lock);
	while (!dl->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += DL_TICK_NS;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&dl->cond, &dl->lock, &ts);
		now = kf_now_ns();
		for (c = dl->head.next; c != &dl->head; c = c->next) {
			if (c->cut || now - c->since < dl->limit_ns)
				continue;
			/* Read and write both end: libmicrohttpd sees the
			 * connection closed and frees it in its own thread. */
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
			kf_metrics_refusal(KF_REFUSE_DEADLINE);
		}
	}
	pthread_mutex_unlock(&dl->lock);
	return NULL;
}

struct kf_deadline *kf_deadline_new(unsigned int seconds)
{
	struct kf_deadline *dl = calloc(1, sizeof(*dl));

	if (!dl)
		return NULL;
	dl->limit_ns = (uint64_t)seconds * 1000000000ull;
	dl->head.next = dl->head.prev = &dl->head;
	pthread_mutex_init(&dl->lock, NULL);
	pthread_cond_init(&dl->cond, NULL);
	if (pthread_create(&dl->thread, NULL, watch, dl)) {
		kf_deadline_free(dl);
		return NULL;
	}
	dl->running = true;
	return dl;
}

void kf_deadline_free(struct kf_deadline *dl)
{
	struct conn *c, *next;

	if (!dl)
		return;
	if (dl->running) {
		pthread_mutex_lock(&dl->lock);
		dl->stopping = true;
		pthread_cond_signal(&dl->cond);
		pthread_mutex_unlock(&dl->lock);
		pthread_join(dl->thread, NULL);
	}
	/* Connections closed before this (the daemons stop first). */
	for (c = dl->head.next; c != &dl->head; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&dl->cond);
	pthread_mutex_destroy(&dl->lock);
	free(dl);
}

/* MHD_OPTION_NOTIFY_CONNECTION: a connection starts or is closed. */
void kf_deadline_notify(void *cls, struct MHD_Connection *mc,
			void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct kf_deadline *dl = cls;
	const union MHD_ConnectionInfo *info;
	struct conn *c = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(mc,
					       MHD_CONNECTION_INFO_CONNECTION_FD);
		c = info ? calloc(1, sizeof(*c)) : NULL;
		*socket_context = c;
		if (!c)
			return;	/* no deadline for it: the idle timeout stays */
		c->fd = info->connect_fd;
		c->since = kf_now_ns();
		pthread_mutex_lock(&dl->lock);
		c->next = &dl->head;
		c->prev = dl->head.prev;
		dl->head.prev->next = c;
		dl->head.prev = c;
		pthread_mutex_unlock(&dl->lock);
		return;
	}
	if (!c)
		return;
	pthread_mutex_lock(&dl->lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	pthread_mutex_unlock(&dl->lock);
	free(c);
	*socket_context = NULL;
}

/* A response was sent: the next request's time starts now. */
void kf_deadline_restart(struct kf_deadline *dl, struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *info;
	struct conn *c;

	info = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	c = info ? info->socket_context : NULL;
	if (!c)
		return;
	pthread_mutex_lock(&dl->lock);
	c->since = kf_now_ns();
	pthread_mutex_unlock(&dl->lock);
}
