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

#include "tools/cli/cli.h"
#include "tools/repo/repo.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keyferry-repo --store PATH|URL --key FILE [--key OLDFILE]...\n"
		"         [--listen ADDR] [--port N] [--threads N]\n"
		"         [--timeout SECONDS] [--request-deadline SECONDS]\n"
		"         [--max-connections N] [--per-ip-limit N]\n"
		"         [--per-ip-rate N/PERIOD|0] [--per-ip-burst N]\n"
		"         [--metrics-listen ADDR:PORT|off]\n"
		"         [--refusal-interval SECONDS] [--authority FILE]... [-v]\n"
		"Serves POST /v1/transfer, /v1/enroll/challenge, /v1/enroll,\n"
		"/v1/admin/submit, GET /v1/regions/..., /healthz; GET /metrics\n"
		"on its own listener.  --authority: a region this repository\n"
		"may create, with the authority it must be created with (its\n"
		"authority file).  Defaults: 127.0.0.1:7370, one thread per\n"
		"core (eight on PostgreSQL), 10 s idle timeout, 10 s per\n"
		"request, 1024 connections, 32 from one address, 20 requests/s\n"
		"from one address (burst 40), metrics on 127.0.0.1:7371.\n"
		"Behind a proxy that makes every client one address:\n"
		"--per-ip-limit 0 --per-ip-rate 0.  --store: an SQLite file, or\n"
		"postgresql://... (--db is the same option).\n");
}

int kf_repo_parse_rate(const char *s, struct kf_repo_config *c)
{
	uint32_t n, p;

	if (!strcmp(s, "0")) {
		c->rate_count = -1;
		return 0;
	}
	if (kf_parse_rate("--per-ip-rate", s, &n, &p))
		return -1;
	if (n > INT32_MAX) {
		kf_err("--per-ip-rate: at most %d per period", INT32_MAX);
		return -1;
	}
	c->rate_count = (int)n;
	c->rate_period = p;
	return 0;
}

static int parse(int argc, char **argv, struct kf_repo_config *c)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 'd' },
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "per-ip-limit", required_argument, NULL, 'P' },
		{ "per-ip-rate", required_argument, NULL, 'R' },
		{ "per-ip-burst", required_argument, NULL, 'B' },
		{ "request-deadline", required_argument, NULL, 'D' },
		{ "metrics-listen", required_argument, NULL, 'M' },
		{ "refusal-interval", required_argument, NULL, 'I' },
		{ "authority", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t v;
	int o;

	c->port = 7370;
	optind = 0;	/* 0: re-initialise getopt fully */
	while ((o = getopt_long(argc, argv, "d:k:l:p:t:T:m:P:R:B:D:M:I:a:vh",
				opts, NULL)) != -1) {
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
		case 'a':
			if (c->n_authorities == KF_REPO_MAX_AUTHORITIES) {
				kf_err("--authority: at most %d files",
				       KF_REPO_MAX_AUTHORITIES);
				return -1;
			}
			c->authority_paths[c->n_authorities++] = optarg;
			break;
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
		case 'R':
			if (kf_repo_parse_rate(optarg, c))
				return -1;
			break;
		case 'B':
			if (kf_parse_u64("--per-ip-burst", optarg, 1, 1000000,
					 &v))
				return -1;
			c->rate_burst = (unsigned int)v;
			break;
		case 'D':
			if (kf_parse_u64("--request-deadline", optarg, 1, 3600,
					 &v))
				return -1;
			c->request_deadline = (unsigned int)v;
			break;
		case 'M': c->metrics_listen = optarg; break;
		case 'I':
			if (kf_parse_u64("--refusal-interval", optarg, 1, 86400,
					 &v))
				return -1;
			c->refusal_interval = (unsigned int)v;
			break;
		case 'v': kf_verbose++; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!c->db_path || !c->n_keys || optind != argc) {
		kf_err("--store and --key are required, and nothing else");
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

	kf_set_progname(argv[0]);
	if (parse(argc, argv, &cfg))
		return 2;
	kf_heap_for_server();
	kf_signals_block(&set);
	if (kf_repo_start(&r, &cfg))
		return 1;
	kf_info("serving on %s:%u", cfg.bind_addr ? cfg.bind_addr :
		"127.0.0.1", (unsigned int)kf_repo_port(r));
	if (kf_repo_metrics_port(r))
		kf_info("metrics on port %u", (unsigned int)kf_repo_metrics_port(r));
	fflush(stderr);
	kf_signals_wait(&set);
	kf_repo_stop(r);
	return 0;
}
