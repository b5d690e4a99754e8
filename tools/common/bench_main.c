// SPDX-License-Identifier: MIT
/*
 * keyferry-bench-load: the load generator behind `make bench`.
 *
 * It enrolls its own hosts over HTTP (tokens straight from the store),
 * stores one sealed item for each, then drives real transfers (a full
 * Noise handshake each, kept-alive HTTP connections, one per thread) for
 * a fixed time and prints deliveries/s, p50/p99 latency and the server's
 * CPU time per delivery (from /proc/PID/stat).  In the same run it times
 * the crypto alone: the responder's read of message 1 and write of
 * message 2, with the server's key, on one thread.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/common/client.h"
#include "tools/common/mains.h"
#include "tools/common/serverkey.h"
#include "tools/common/store.h"
#include "tools/common/util.h"

#define MAX_THREADS 256
#define MAX_SAMPLES 2000000

struct bench {
	const char *db, *key;
	uint16_t port;
	unsigned int conc, repeat;
	double duration;
	int server_pid;
	uint8_t kd_pub[KF_KEY_SIZE];
	struct kf_serverkey *sk;
	struct kf_client *hosts;
	volatile int stop;
	uint64_t *lat;			/* ns, per thread slices */
	size_t per_thread;
	size_t count[MAX_THREADS];
	unsigned long errors;
};

struct result {
	double rate, p50, p99, cpu, crypto;
};

struct worker {
	struct bench *b;
	unsigned int id;
};

static int setup_host(struct bench *b, struct kf_store *st, unsigned int i)
{
	static struct kf_reply rp;
	static struct kf_item it;
	struct kf_client *c = &b->hosts[i];
	struct kf_policy pol = { .key_type = KF_KEY_LOGON, .key_size = 32 };
	uint8_t key[32];
	char tok[80], name[32];
	int ret;

	snprintf(name, sizeof(name), "bench-%u-%d", i, (int)getpid());
	snprintf(pol.description, sizeof(pol.description), "bench");
	if (kf_client_init(c, b->port, b->kd_pub) ||
	    kf_store_token_create(st, "bench", NULL, 600, tok, sizeof(tok)) ||
	    kf_client_enroll(c, "bench", name, tok, &rp) || rp.status) {
		kf_err("enrolling %s failed", name);
		return -1;
	}
	memset(&it, 0, sizeof(it));
	snprintf(it.region, sizeof(it.region), "bench");
	snprintf(it.dataset, sizeof(it.dataset), "bench");
	snprintf(it.name, sizeof(it.name), "item-%s", name);
	snprintf(it.recipient, sizeof(it.recipient), "%s", name);
	kf_random(key, sizeof(key));
	ret = kf_policy_encode(&pol, it.policy, sizeof(it.policy),
			       &it.policy_len);
	if (!ret)
		ret = kf_seal_to_kec(it.sealed, sizeof(it.sealed),
				     &it.sealed_len, c->kec_pub, "bench",
				     it.name, it.policy, it.policy_len, key,
				     sizeof(key));
	if (!ret)
		ret = kf_store_item_put(st, &it);
	kf_wipe(key, sizeof(key));
	return ret;
}

static void *worker(void *arg)
{
	static __thread struct kf_reply rp;
	struct worker *w = arg;
	struct bench *b = w->b;
	struct kf_client *c = &b->hosts[w->id];
	uint64_t *lat = b->lat + (size_t)w->id * b->per_thread;
	char item[64];
	size_t n = 0;
	uint64_t t0;

	snprintf(item, sizeof(item), "item-bench-%u-%d", w->id, (int)getpid());
	while (!b->stop && n < b->per_thread) {
		t0 = kf_now_ns();
		if (kf_client_fetch(c, item, &rp) || rp.status ||
		    rp.n_items != 1) {
			__atomic_fetch_add(&b->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		lat[n++] = kf_now_ns() - t0;
	}
	b->count[w->id] = n;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* utime + stime of a process, in seconds. */
static double proc_cpu(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The responder's crypto alone, per delivery: kf_noise_responder_read1()
 * and kf_noise_responder_write2() on real messages of the benchmark's
 * sizes (payloads as the server decodes and encodes them).
 */
static double crypto_cost(struct bench *b)
{
	static uint8_t msg1[1024], out[4096], pl[4096], reply_pl[1024];
	struct kf_noise ini, st;
	uint8_t kei[KF_KEY_SIZE];
	const int rounds = 300, batches = 7;
	double t0, t, best = 1e9;
	size_t m1, plen, olen;
	int i, j;

	memset(pl, 1, 40);
	memset(reply_pl, 2, 200);	/* about one item's reply */
	if (kf_noise_initiator_write1(&ini, msg1, sizeof(msg1), &m1,
				      b->hosts[0].kei_priv, b->kd_pub, NULL,
				      pl, 40))
		return -1;
	kf_noise_wipe(&ini);
	/* The best of several batches: the machine is shared (VM steal,
	 * the server finishing its last requests), the crypto is not. */
	for (j = 0; j < batches; j++) {
		t0 = thread_cpu();
		for (i = 0; i < rounds; i++) {
			if (kf_serverkey_read1(b->sk, &st, pl, sizeof(pl),
					       &plen, kei, msg1, m1) ||
			    kf_noise_responder_write2(&st, out, sizeof(out),
						      &olen, NULL, reply_pl,
						      200))
				return -1;
			kf_noise_wipe(&st);
		}
		t = (thread_cpu() - t0) / rounds;
		if (t < best)
			best = t;
	}
	return best;
}

static void print(const char *label, unsigned int conc,
		  const struct result *r, unsigned long errors)
{
	printf("%-6s concurrency %3u: %8.0f deliveries/s  p50 %7.3f ms  "
	       "p99 %7.3f ms  server CPU %6.1f us/delivery  crypto-only "
	       "%6.1f us (ratio %.2f)  errors %lu\n", label, conc, r->rate,
	       r->p50, r->p99, r->cpu, r->crypto, r->cpu / r->crypto, errors);
	fflush(stdout);
}

static int run(struct bench *b, struct result *res)
{
	static struct worker ws[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	uint64_t *all, total = 0, t0, t1;
	double cpu0, cpu1, secs;
	unsigned int i;

	b->stop = 0;
	for (i = 0; i < b->conc; i++) {
		ws[i].b = b;
		ws[i].id = i;
		pthread_create(&th[i], NULL, worker, &ws[i]);
	}
	cpu0 = proc_cpu(b->server_pid);
	t0 = kf_now_ns();
	usleep((useconds_t)(b->duration * 1e6));
	b->stop = 1;
	cpu1 = proc_cpu(b->server_pid);
	t1 = kf_now_ns();
	for (i = 0; i < b->conc; i++)
		pthread_join(th[i], NULL);
	secs = (double)(t1 - t0) / 1e9;
	all = malloc(sizeof(*all) * b->per_thread * b->conc);
	if (!all)
		return -1;
	for (i = 0; i < b->conc; i++) {
		memcpy(all + total, b->lat + (size_t)i * b->per_thread,
		       b->count[i] * sizeof(*all));
		total += b->count[i];
	}
	if (!total) {
		kf_err("no delivery succeeded (%lu errors)", b->errors);
		free(all);
		return -1;
	}
	qsort(all, total, sizeof(*all), cmp_u64);
	res->rate = (double)total / secs;
	res->p50 = (double)all[total / 2] / 1e6;
	res->p99 = (double)all[total * 99 / 100] / 1e6;
	res->cpu = (cpu1 - cpu0) / (double)total * 1e6;
	res->crypto = crypto_cost(b) * 1e6;
	free(all);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Field by field: the machine is shared, a median resists its noise. */
static void median(const struct result *r, unsigned int n, struct result *m)
{
	double v[64];
	unsigned int f, i;

	for (f = 0; f < sizeof(*m) / sizeof(double); f++) {
		for (i = 0; i < n; i++)
			v[i] = ((const double *)&r[i])[f];
		qsort(v, n, sizeof(double), cmp_double);
		((double *)m)[f] = v[n / 2];
	}
}

static int run_all(struct bench *b)
{
	struct result r[64], m;
	unsigned int i;

	for (i = 0; i < b->repeat; i++) {
		if (run(b, &r[i]))
			return -1;
		if (b->repeat > 1)
			print("run", b->conc, &r[i], b->errors);
	}
	median(r, b->repeat, &m);
	print(b->repeat > 1 ? "median" : "", b->conc, &m, b->errors);
	return 0;
}

static int parse(int argc, char **argv, struct bench *b)
{
	static const struct option opts[] = {
		{ "db", 1, NULL, 'd' }, { "key", 1, NULL, 'k' },
		{ "port", 1, NULL, 'p' }, { "concurrency", 1, NULL, 'c' },
		{ "duration", 1, NULL, 't' }, { "server-pid", 1, NULL, 's' },
		{ "repeat", 1, NULL, 'r' },
		{ 0 }
	};
	uint64_t v;
	int o;

	optind = 0;
	b->conc = 4;
	b->duration = 5;
	b->repeat = 1;
	while ((o = getopt_long(argc, argv, "d:k:p:c:t:s:r:", opts,
				NULL)) != -1) {
		switch (o) {
		case 'd': b->db = optarg; break;
		case 'k': b->key = optarg; break;
		case 'p':
			if (kf_parse_u64("--port", optarg, 1, 65535, &v))
				return -1;
			b->port = (uint16_t)v;
			break;
		case 'c':
			if (kf_parse_u64("--concurrency", optarg, 1,
					 MAX_THREADS, &v))
				return -1;
			b->conc = (unsigned int)v;
			break;
		case 't':
			if (kf_parse_u64("--duration", optarg, 1, 600, &v))
				return -1;
			b->duration = (double)v;
			break;
		case 'r':
			if (kf_parse_u64("--repeat", optarg, 1, 63, &v))
				return -1;
			b->repeat = (unsigned int)v;
			break;
		case 's':
			if (kf_parse_u64("--server-pid", optarg, 1, INT32_MAX,
					 &v))
				return -1;
			b->server_pid = (int)v;
			break;
		default: return -1;
		}
	}
	if (!b->db || !b->key || !b->port || !b->server_pid) {
		kf_err("usage: keyferry-bench-load --db PATH --key FILE --port N"
		       " --server-pid PID [--concurrency N] [--duration S]"
		       " [--repeat N]");
		return -1;
	}
	return 0;
}

int kf_bench_main(int argc, char **argv)
{
	static struct bench b;
	struct kf_store *st;
	unsigned int i;
	int ret = 1;

	kf_set_progname(argv[0]);
	if (parse(argc, argv, &b))
		return 2;
	if (kf_serverkey_load(&b.sk, b.key))
		return 1;
	memcpy(b.kd_pub, kf_serverkey_public(b.sk), KF_KEY_SIZE);
	if (kf_store_open(&st, b.db, 0))
		return 1;
	kf_store_set_actor(st, "bench");
	b.hosts = calloc(b.conc, sizeof(*b.hosts));
	b.per_thread = MAX_SAMPLES / b.conc;
	b.lat = malloc(sizeof(*b.lat) * b.per_thread * b.conc);
	if (!b.hosts || !b.lat)
		goto out;
	for (i = 0; i < b.conc; i++)
		if (setup_host(&b, st, i))
			goto out;
	ret = run_all(&b) ? 1 : 0;
out:
	kf_store_close(st);
	for (i = 0; b.hosts && i < b.conc; i++)
		kf_client_wipe(&b.hosts[i]);
	kf_serverkey_free(b.sk);
	return ret;
}
