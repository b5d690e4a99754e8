// SPDX-License-Identifier: MIT
/*
 * keyferry-repo's command line: the repository server (see repo.h and
 * docs/operations.md).  Runs in the foreground until SIGTERM or SIGINT.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/mains.h"
#include "tools/common/repo.h"
#include "tools/common/util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keyferry-repo --db PATH --key FILE [--key OLDFILE]...\n"
		"         [--listen ADDR] [--port N] [--threads N]\n"
		"         [--timeout SECONDS] [--max-connections N]\n"
		"         [--per-ip-limit N] [-v]\n"
		"Serves POST /v1/transfer, /v1/enroll/challenge, /v1/enroll,\n"
		"GET /healthz, /metrics.  Defaults: 127.0.0.1:7370, one thread\n"
		"per core, 10 s idle timeout, 1024 connections, 256 from one\n"
		"address (0: no limit, for a proxy in front).\n");
}

static int parse(int argc, char **argv, struct kf_repo_config *c)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "per-ip-limit", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t v;
	int o;

	c->port = 7370;
	optind = 0;	/* 0: re-initialise getopt fully */
	while ((o = getopt_long(argc, argv, "d:k:l:p:t:T:m:P:vh", opts,
				NULL)) != -1) {
		switch (o) {
		case 'd': c->db_path = optarg; break;
		case 'k':
			if (c->n_keys == KF_REPO_MAX_KEYS) {
				kf_err("--key: at most %d keys",
				       KF_REPO_MAX_KEYS);
				return -1;
			}
			c->key_paths[c->n_keys++] = optarg;
			break;
		case 'l': c->bind_addr = optarg; break;
		case 'p':
			if (kf_parse_u64("--port", optarg, 0, 65535, &v))
				return -1;
			c->port = (uint16_t)v;
			break;
		case 't':
			if (kf_parse_u64("--threads", optarg, 1, 256, &v))
				return -1;
			c->threads = (unsigned int)v;
			break;
		case 'T':
			if (kf_parse_u64("--timeout", optarg, 1, 3600, &v))
				return -1;
			c->conn_timeout = (unsigned int)v;
			break;
		case 'm':
			if (kf_parse_u64("--max-connections", optarg, 1, 65536,
					 &v))
				return -1;
			c->conn_limit = (unsigned int)v;
			break;
		case 'P':
			if (kf_parse_u64("--per-ip-limit", optarg, 0, 65536,
					 &v))
				return -1;
			c->per_ip_limit = v ? (int)v : -1;
			break;
		case 'v': kf_verbose++; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!c->db_path || !c->n_keys || optind != argc) {
		kf_err("--db and --key are required, and nothing else");
		usage(stderr);
		return -1;
	}
	return 0;
}

int kf_repo_main(int argc, char **argv)
{
	struct kf_repo_config cfg = { 0 };
	struct kf_repo *r;
	sigset_t set;
	int sig;

	kf_set_progname(argv[0]);
	if (parse(argc, argv, &cfg))
		return 2;
	/* Blocked before the threads start, so only sigwait() sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (kf_repo_start(&r, &cfg))
		return 1;
	kf_info("serving on %s:%u", cfg.bind_addr ? cfg.bind_addr :
		"127.0.0.1", (unsigned int)kf_repo_port(r));
	fflush(stderr);
	do {
		if (sigwait(&set, &sig))
			break;
	} while (sig == SIGHUP);	/* nothing to reload yet */
	kf_info("signal %d: stopping", sig);
	kf_repo_stop(r);
	return 0;
}
