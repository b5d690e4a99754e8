// SPDX-License-Identifier: MIT
/*
 * keyferry-provider's command line (provider.h, docs/operations.md
 * section 11).  Runs in the foreground until SIGTERM or SIGINT.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli.h"
#include "tools/provider/provider.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keyferry-provider --relay --repository URL...\n"
		"         [--listen ADDR] [--port N] [server options]\n"
		"       keyferry-provider --repository URL... --repository-key KEY\n"
		"         --store PATH|URL --key FILE [--key OLDFILE]...\n"
		"         [--poll SECONDS] [--max-stale SECONDS]\n"
		"         [--listen ADDR] [--port N] [server options]\n"
		"A relay forwards /v1/transfer, /v1/enroll/challenge and\n"
		"/v1/enroll to the repositories, in turn until one answers; it\n"
		"holds no key and no store.  A secure provider answers the\n"
		"transfers addressed to its key itself, from a copy of its\n"
		"regions it keeps in --store (a store of its own), refreshed\n"
		"every --poll seconds (5), and refuses every transfer once the\n"
		"copy is older than --max-stale seconds (60); enrollments go to\n"
		"the repository.  --repository-key: the repository's public key\n"
		"(base64), which the provider authenticates it by.\n"
		"Server options, as keyferry-repo's: --threads N, --timeout S,\n"
		"--max-connections N, --per-ip-limit N, --per-ip-rate N/PERIOD|0,\n"
		"--per-ip-burst N, --request-deadline S, --metrics-listen\n"
		"ADDR:PORT|off, --upstream-timeout S (seconds per request to a\n"
		"repository, 10), -v.\n"
		"Defaults: 127.0.0.1:7370, metrics on 127.0.0.1:7372 (7371 is\n"
		"a repository's on the same machine).\n");
}

static int add_upstream(struct kf_provider_config *c, const char *url)
{
	if (c->n_upstreams == KF_PROVIDER_MAX_UPSTREAMS) {
		kf_err("--repository: at most %d", KF_PROVIDER_MAX_UPSTREAMS);
		return -1;
	}
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		kf_err("--repository: '%s' is not an http:// or https:// URL",
		       url);
		return -1;
	}
	c->upstreams[c->n_upstreams++] = url;
	return 0;
}

static int add_key(struct kf_repo_config *c, const char *path)
{
	if (c->n_keys == KF_REPO_MAX_KEYS) {
		kf_err("--key: at most %d keys", KF_REPO_MAX_KEYS);
		return -1;
	}
	c->key_paths[c->n_keys++] = path;
	return 0;
}

static int number(const char *opt, const char *s, uint64_t min, uint64_t max,
		  unsigned int *out)
{
	uint64_t v;

	if (kf_parse_u64(opt, s, min, max, &v))
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int server_option(int o, const char *arg, struct kf_repo_config *s)
{
	unsigned int v;

	switch (o) {
	case 'l': s->bind_addr = arg; return 0;
	case 'p':
		if (number("--port", arg, 0, 65535, &v))
			return -1;
		s->port = (uint16_t)v;
		return 0;
	case 't': return number("--threads", arg, 1, 256, &s->threads);
	case 'T': return number("--timeout", arg, 1, 3600, &s->conn_timeout);
	case 'm':
		return number("--max-connections", arg, 1, 65536,
			      &s->conn_limit);
	case 'P':
		if (number("--per-ip-limit", arg, 0, 65536, &v))
			return -1;
		s->per_ip_limit = v ? (int)v : -1;
		return 0;
	case 'E': return kf_repo_parse_rate(arg, s);
	case 'B':
		return number("--per-ip-burst", arg, 1, 1000000, &s->rate_burst);
	case 'D':
		return number("--request-deadline", arg, 1, 3600,
			      &s->request_deadline);
	case 'M': s->metrics_listen = arg; return 0;
	default: return 1;
	}
}

static int parse(int argc, char **argv, struct kf_provider_config *c)
{
	static const struct option opts[] = {
		{ "relay", no_argument, NULL, 'R' },
		{ "repository", required_argument, NULL, 'r' },
		{ "repository-key", required_argument, NULL, 'K' },
		{ "store", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "poll", required_argument, NULL, 'o' },
		{ "max-stale", required_argument, NULL, 'S' },
		{ "upstream-timeout", required_argument, NULL, 'U' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "per-ip-limit", required_argument, NULL, 'P' },
		{ "per-ip-rate", required_argument, NULL, 'E' },
		{ "per-ip-burst", required_argument, NULL, 'B' },
		{ "request-deadline", required_argument, NULL, 'D' },
		{ "metrics-listen", required_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int o, ret;

	c->server.port = 7370;
	c->server.metrics_listen = "127.0.0.1:7372";
	optind = 0;	/* 0: re-initialise getopt fully */
	while ((o = getopt_long(argc, argv, "Rr:K:d:k:o:S:U:l:p:t:T:m:P:E:B:D:M:vh",
				opts, NULL)) != -1) {
		ret = 0;
		switch (o) {
		case 'R': c->relay = true; break;
		case 'r': ret = add_upstream(c, optarg); break;
		case 'K':
			if (kf_key_from_base64(c->repository_key, optarg)) {
				kf_err("--repository-key: not a base64 public "
				       "key");
				ret = -1;
			}
			break;
		case 'd': c->server.db_path = optarg; break;
		case 'k': ret = add_key(&c->server, optarg); break;
		case 'o': ret = number("--poll", optarg, 1, 3600, &c->poll);
			break;
		case 'S':
			ret = number("--max-stale", optarg, 2, 86400,
				     &c->max_stale);
			break;
		case 'U':
			ret = number("--upstream-timeout", optarg, 1, 600,
				     &c->upstream_timeout);
			break;
		case 'v': kf_verbose++; break;
		case 'h': usage(stdout); exit(0);
		default:
			ret = server_option(o, optarg, &c->server);
			if (ret > 0) {
				usage(stderr);
				return -1;
			}
		}
		if (ret)
			return -1;
	}
	if (optind != argc) {
		kf_err("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

int kf_provider_main(int argc, char **argv)
{
	struct kf_provider_config cfg = { 0 };
	struct kf_provider *p;
	sigset_t set;

	kf_set_progname(argv[0]);
	if (parse(argc, argv, &cfg))
		return 2;
	kf_heap_for_server();
	kf_signals_block(&set);
	if (kf_provider_start(&p, &cfg))
		return 1;
	kf_info("%s serving on %s:%u", cfg.relay ? "relay" : "secure provider",
		cfg.server.bind_addr ? cfg.server.bind_addr : "127.0.0.1",
		(unsigned int)kf_provider_port(p));
	if (kf_provider_metrics_port(p))
		kf_info("metrics on port %u",
			(unsigned int)kf_provider_metrics_port(p));
	fflush(stderr);
	kf_signals_wait(&set);
	kf_provider_stop(p);
	return 0;
}
