// SPDX-License-Identifier: MIT
/*
 * How the servers (keyferry-repo, keyferry-provider) run in the
 * foreground: the stopping signals are blocked before any thread starts,
 * so that every thread inherits the mask and only sigwait() sees them.
 */
#include <pthread.h>
#include <signal.h>

#include "tools/cli/cli.h"

void kf_signals_block(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int kf_signals_wait(const sigset_t *set)
{
	int sig = 0;

	do {
		if (sigwait(set, &sig))
			break;
	} while (sig == SIGHUP);	/* nothing to reload yet */
	kf_info("signal %d: stopping", sig);
	return sig;
}
