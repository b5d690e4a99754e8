// SPDX-License-Identifier: MIT
/*
 * keyferry-bench: the load generator behind `make bench`.
 *
 * It enrolls its own hosts over HTTP (tokens straight from the store),
 * has the region's authority (one member, --authority-key) approve them,
 * stores one sealed item for each, then drives real transfers (a full
 * Noise handshake each, kept-alive HTTP connections, one per thread) for
 * a fixed time and prints deliveries/s, p50/p99 latency and the server's
 * CPU time per delivery (from /proc/PID/stat), its own CPU time per
 * delivery, and from /proc/stat the share of the machine's CPU left idle
 * and its context switches per delivery (machine_read()).  In the same
 * run it times the crypto alone: the responder's read of message 1 and
 * write of message 2, with the server's key, on one thread.
 *
 * Several repositories (--port and --server-pid repeated): thread i talks
 * to the i-th port, round robin, and the server CPU is theirs together.
 * With --db-pid (a PostgreSQL postmaster), the database's CPU (the
 * postmaster and every process it started) is reported apart.
 *
 * Through a secure provider (--port and --server-pid the provider's,
 * --fetch-key its key file): the hosts enroll through it (relayed to the
 * repository, under --key), pin its key and fetch under it; before the
 * measurement every host fetches once successfully, so that the
 * provider's copy holds them all (a warm cache).  --upstream-pid: the
 * repository behind it, whose CPU (the provider's exchanges and reports)
 * is reported apart.
 *
 * --metrics-port, repeated with --port (the servers' /metrics listeners,
 * which are not their transfer ports): the records of transfers per
 * commit, group commit's figure, from their counters.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/admin/admin.h"
#include "tools/bench/bench.h"
#include "tools/cli/cli.h"
#include "tools/client/client.h"
#include "tools/client/httpc.h"
#include "tools/formats/serverkey.h"
#include "tools/store/store.h"

#define MAX_THREADS 256
#define MAX_SAMPLES 2000000
#define MAX_SERVERS 8

struct bench {
	const char *db, *key, *authority_key;
	uint16_t ports[MAX_SERVERS];
	unsigned int n_ports;
	uint16_t metrics_ports[MAX_SERVERS];
	unsigned int n_metrics_ports;
	unsigned int conc, repeat;
	double duration;
	int server_pids[MAX_SERVERS];
	unsigned int n_pids;
	int db_pid, upstream_pid;
	/* The repository that takes the statements (a provider does not):
	 * --admin-port, else the first server. */
	uint16_t admin_port;
	const char *fetch_key;
	uint8_t kd_pub[KF_KEY_SIZE];	/* the repository's: enrollment */
	uint8_t fetch_pub[KF_KEY_SIZE];	/* whose fetches: it or a provider */
	struct kf_serverkey *sk;	/* the fetches' key, for the crypto */
	uint8_t ko[KF_KEY_SIZE];	/* the owner's key for every item */
	struct kf_client *hosts;
	volatile int stop;
	uint64_t *lat;			/* ns, per thread slices */
	size_t per_thread;
	size_t count[MAX_THREADS];
	unsigned long errors;
};

struct result {
	double rate, p50, p99, cpu, crypto, db_cpu, up_cpu, per_commit;
	double client_cpu, idle, switches;
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
	struct kf_binding bd;
	uint8_t key[32], ko_pub[KF_KEY_SIZE];
	char tok[80], name[32];
	int ret;

	snprintf(name, sizeof(name), "bench-%u-%d", i, (int)getpid());
	if (!i && kf_x25519_keygen(b->ko, ko_pub))
		return -1;
	if (kf_client_init(c, b->ports[i % b->n_ports], b->kd_pub) ||
	    kf_store_token_create(st, "bench", NULL, 600, tok, sizeof(tok)) ||
	    kf_client_enroll(c, "bench", name, tok, &rp) || rp.status) {
		kf_err("enrolling %s failed", name);
		return -1;
	}
	if (memcmp(b->fetch_pub, b->kd_pub, KF_KEY_SIZE) &&
	    (kf_client_pin(c, b->fetch_pub) ||
	     kf_client_use(c, b->fetch_pub, b->ports[i % b->n_ports])))
		return -1;
	memset(&it, 0, sizeof(it));
	snprintf(it.region, sizeof(it.region), "bench");
	snprintf(it.dataset, sizeof(it.dataset), "bench");
	snprintf(it.name, sizeof(it.name), "item-%s", name);
	snprintf(it.recipient, sizeof(it.recipient), "%s", name);
	kf_random(key, sizeof(key));
	ret = kf_policy_encode(&pol, it.policy, sizeof(it.policy),
			       &it.policy_len);
	bd = (struct kf_binding){ "bench", it.name, it.policy,
				  it.policy_len };
	if (!ret)
		ret = kf_seal_to_kec(it.sealed, sizeof(it.sealed),
				     &it.sealed_len, c->kec_pub, b->ko, NULL,
				     &bd, 1, key, sizeof(key));
	if (!ret)
		ret = kf_store_item_put(st, &it);
	kf_wipe(key, sizeof(key));
	return ret;
}

/*
 * Enrolled hosts are pending until the region's authority approves them:
 * the bench's region has one member (its key given with --authority-key),
 * who approves this run's hosts, up to 32 a statement, before measuring.
 */
static int approve(struct bench *b, unsigned int first, unsigned int n)
{
	char url[64], names[32][32], *argv[48];
	int argc = 0, out, null, ret;
	unsigned int i;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u",
		 (unsigned int)(b->admin_port ? b->admin_port : b->ports[0]));
	argv[argc++] = "keyferry-admin";
	argv[argc++] = "--repository";
	argv[argc++] = url;
	argv[argc++] = "prepare";
	argv[argc++] = "approve";
	argv[argc++] = "bench";
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "bench-%u-%d", first + i,
			 (int)getpid());
		argv[argc++] = names[i];
	}
	argv[argc++] = "--sign";
	argv[argc++] = (char *)b->authority_key;
	argv[argc++] = "--submit";
	argv[argc] = NULL;
	/* keyferry-admin reports on stdout: keep the bench's lines clean. */
	fflush(stdout);
	out = dup(1);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	close(null);
	ret = kf_admin_main(argc, argv);
	fflush(stdout);
	dup2(out, 1);
	close(out);
	return ret ? -1 : 0;
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

/*
 * Every host fetched once: through a provider, its copy holds them all
 * (it learns of new hosts and items at its next round, within a second
 * or two).  Up to 60 s.
 */
static int warm_up(struct bench *b)
{
	static struct kf_reply rp;
	uint64_t until = kf_now_ns() + 60000000000ull;
	unsigned int i;
	char item[64];

	for (i = 0; i < b->conc; i++) {
		snprintf(item, sizeof(item), "item-bench-%u-%d", i,
			 (int)getpid());
		while (kf_client_fetch(&b->hosts[i], item, &rp) || rp.status ||
		       rp.n_items != 1) {
			if (kf_now_ns() > until) {
				kf_err("host %u: no delivery after 60 s (%s)",
				       i, rp.message);
				return -1;
			}
			usleep(50000);
		}
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * utime + stime of a process, in seconds; with reaped, also the CPU of
 * the children it has waited for (cutime + cstime).
 */
static double proc_cpu_of(int pid, bool reaped)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	long cut = 0, cst = 0;
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
			 "%lu %lu %ld %ld", &ut, &st, &cut, &cst) != 4)
		return -1;
	if (!reaped)
		cut = cst = 0;
	return (double)(ut + st + (unsigned long)cut + (unsigned long)cst) /
	       (double)sysconf(_SC_CLK_TCK);
}

static double proc_cpu(int pid)
{
	return proc_cpu_of(pid, false);
}

/* The servers' CPU together, in seconds. */
static double servers_cpu(const struct bench *b)
{
	double t = 0, c;
	unsigned int i;

	for (i = 0; i < b->n_pids; i++) {
		c = proc_cpu(b->server_pids[i]);
		if (c < 0)
			return -1;
		t += c;
	}
	return t;
}

/*
 * A PostgreSQL cluster's CPU: its postmaster, its children, and those of
 * its children that have exited (their time moves to the postmaster's
 * cutime and cstime when it reaps them).  Without the last, a backend or
 * autovacuum worker that ends within a window takes all its CPU, earlier
 * windows' included, out of the sum: the figure could go below zero.
 */
static double cluster_cpu(int postmaster)
{
	char path[64], buf[512], *p;
	struct dirent *d;
	double t = 0;
	DIR *dir;
	FILE *f;
	int ppid;

	if (!postmaster)
		return 0;
	dir = opendir("/proc");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", atoi(d->d_name));
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1)
			continue;
		if (atoi(d->d_name) == postmaster)
			t += proc_cpu_of(postmaster, true);
		else if (ppid == postmaster)
			t += proc_cpu(atoi(d->d_name));
	}
	closedir(dir);
	return t;
}

/* A counter of a server's /metrics; 0 when it cannot be read. */
static double metric(uint16_t port, const char *name)
{
	static char out[16384];
	char needle[128], *at;
	struct kf_httpc h;
	size_t len;
	int status;

	kf_httpc_init(&h, port, 5000);
	if (kf_httpc_request(&h, "GET", "/metrics", NULL, 0, &status,
			     (uint8_t *)out, sizeof(out) - 1, &len) ||
	    status != 200)
		len = 0;
	kf_httpc_close(&h);
	out[len] = 0;
	snprintf(needle, sizeof(needle), "\n%s ", name);
	at = strstr(out, needle);
	return at ? strtod(at + strlen(needle), NULL) : 0;
}

/* Transfers' records and the commits that carried them, all servers. */
static void commits(const struct bench *b, double *records, double *n)
{
	unsigned int i;

	*records = *n = 0;
	for (i = 0; i < b->n_metrics_ports; i++) {
		*records += metric(b->metrics_ports[i],
				   "keyferry_transfer_records_total");
		*n += metric(b->metrics_ports[i],
			     "keyferry_transfer_commits_total");
	}
}

static double cpu_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu(void)
{
	return cpu_clock(CLOCK_THREAD_CPUTIME_ID);
}

/*
 * The machine's CPU time so far, all cores, in clock ticks (idle: the
 * part spent idle or waiting for I/O; all: everything, with the time the
 * hypervisor gave to others, steal), and its context switches.  A
 * window's idle share says whether the cores were the limit: a set-up
 * that leaves them idle is held back by something it waits for, not by
 * what it computes; every wait is a switch, and on a virtual machine
 * each switch and wake-up costs the CPU of the processes that make them.
 */
struct machine {
	unsigned long long idle, all, switches;
};

static void machine_read(struct machine *m)
{
	unsigned long long v[8] = { 0 };
	char line[256];
	FILE *f = fopen("/proc/stat", "r");
	int i;

	memset(m, 0, sizeof(*m));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7]) == 8) {
			for (i = 0; i < 8; i++)
				m->all += v[i];
			m->idle = v[3] + v[4];
		}
		sscanf(line, "ctxt %llu", &m->switches);
	}
	fclose(f);
}

/*
 * The share of the cores' time left idle from a to b, in percent.  Idle
 * includes iowait, a count the kernel lets go back ("will decrease in
 * certain conditions", Documentation/filesystems/proc.rst): differences
 * are taken signed and the share kept within 0 to 100, never an unsigned
 * difference wrapping round to an absurd figure.
 */
static double idle_share(const struct machine *a, const struct machine *b)
{
	double all = (double)b->all - (double)a->all;
	double idle = (double)b->idle - (double)a->idle;

	if (all <= 0)
		return 0;
	idle = idle < 0 ? 0 : idle > all ? all : idle;
	return 100.0 * idle / all;
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
				      b->hosts[0].kei_priv, b->fetch_pub,
				      NULL, pl, 40))
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

static void print(const struct bench *b, const char *label,
		  const struct result *r, unsigned long errors)
{
	printf("%-6s concurrency %3u: %8.0f deliveries/s  p50 %7.3f ms  "
	       "p99 %7.3f ms  server CPU %6.1f us/delivery  crypto-only "
	       "%6.1f us (ratio %.2f)", label, b->conc, r->rate, r->p50,
	       r->p99, r->cpu, r->crypto, r->cpu / r->crypto);
	if (b->db_pid)
		printf("  db CPU %6.1f us/delivery", r->db_cpu);
	if (b->upstream_pid)
		printf("  repo CPU %6.1f us/delivery", r->up_cpu);
	if (b->n_metrics_ports)
		printf("  records/commit %.1f", r->per_commit);
	printf("  client CPU %6.1f us/delivery  idle %4.1f%%  switches %5.1f/delivery",
	       r->client_cpu, r->idle, r->switches);
	printf("  errors %lu\n", errors);
	fflush(stdout);
}

static int run(struct bench *b, struct result *res)
{
	static struct worker ws[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	uint64_t *all, total = 0, t0, t1;
	double cpu0, cpu1, db0, db1, up0 = 0, up1 = 0, secs;
	double rec0, rec1, com0, com1, self0, self1;
	struct machine m0, m1;
	unsigned int i;

	b->stop = 0;
	commits(b, &rec0, &com0);
	for (i = 0; i < b->conc; i++) {
		ws[i].b = b;
		ws[i].id = i;
		pthread_create(&th[i], NULL, worker, &ws[i]);
	}
	cpu0 = servers_cpu(b);
	db0 = cluster_cpu(b->db_pid);
	if (b->upstream_pid)
		up0 = proc_cpu(b->upstream_pid);
	self0 = cpu_clock(CLOCK_PROCESS_CPUTIME_ID);
	machine_read(&m0);
	t0 = kf_now_ns();
	usleep((useconds_t)(b->duration * 1e6));
	b->stop = 1;
	machine_read(&m1);
	self1 = cpu_clock(CLOCK_PROCESS_CPUTIME_ID);
	cpu1 = servers_cpu(b);
	db1 = cluster_cpu(b->db_pid);
	if (b->upstream_pid)
		up1 = proc_cpu(b->upstream_pid);
	t1 = kf_now_ns();
	for (i = 0; i < b->conc; i++)
		pthread_join(th[i], NULL);
	commits(b, &rec1, &com1);
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
	res->db_cpu = (db1 - db0) / (double)total * 1e6;
	res->up_cpu = (up1 - up0) / (double)total * 1e6;
	res->per_commit = com1 > com0 ? (rec1 - rec0) / (com1 - com0) : 0;
	res->client_cpu = (self1 - self0) / (double)total * 1e6;
	res->idle = idle_share(&m0, &m1);
	res->switches = (double)(m1.switches - m0.switches) / (double)total;
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
			print(b, "run", &r[i], b->errors);
	}
	median(r, b->repeat, &m);
	print(b, b->repeat > 1 ? "median" : "", &m, b->errors);
	return 0;
}

static int parse(int argc, char **argv, struct bench *b)
{
	static const struct option opts[] = {
		{ "store", 1, NULL, 'd' }, { "db", 1, NULL, 'd' },
		{ "key", 1, NULL, 'k' },
		{ "port", 1, NULL, 'p' }, { "concurrency", 1, NULL, 'c' },
		{ "duration", 1, NULL, 't' }, { "server-pid", 1, NULL, 's' },
		{ "repeat", 1, NULL, 'r' }, { "db-pid", 1, NULL, 'D' },
		{ "fetch-key", 1, NULL, 'f' }, { "upstream-pid", 1, NULL, 'u' },
		{ "admin-port", 1, NULL, 'A' },
		{ "metrics-port", 1, NULL, 'm' },
		{ "authority-key", 1, NULL, 'a' },
		{ 0 }
	};
	uint64_t v;
	int o;

	optind = 0;
	b->conc = 4;
	b->duration = 5;
	b->repeat = 1;
	while ((o = getopt_long(argc, argv, "d:k:p:c:t:s:r:D:f:u:a:A:m:", opts,
				NULL)) != -1) {
		switch (o) {
		case 'd': b->db = optarg; break;
		case 'k': b->key = optarg; break;
		case 'a': b->authority_key = optarg; break;
		case 'p':
			if (b->n_ports == MAX_SERVERS ||
			    kf_parse_u64("--port", optarg, 1, 65535, &v))
				return -1;
			b->ports[b->n_ports++] = (uint16_t)v;
			break;
		case 'm':
			if (b->n_metrics_ports == MAX_SERVERS ||
			    kf_parse_u64("--metrics-port", optarg, 1, 65535,
					 &v))
				return -1;
			b->metrics_ports[b->n_metrics_ports++] = (uint16_t)v;
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
			if (b->n_pids == MAX_SERVERS ||
			    kf_parse_u64("--server-pid", optarg, 1, INT32_MAX,
					 &v))
				return -1;
			b->server_pids[b->n_pids++] = (int)v;
			break;
		case 'D':
			if (kf_parse_u64("--db-pid", optarg, 1, INT32_MAX, &v))
				return -1;
			b->db_pid = (int)v;
			break;
		case 'A':
			if (kf_parse_u64("--admin-port", optarg, 1, 65535, &v))
				return -1;
			b->admin_port = (uint16_t)v;
			break;
		case 'u':
			if (kf_parse_u64("--upstream-pid", optarg, 1, INT32_MAX,
					 &v))
				return -1;
			b->upstream_pid = (int)v;
			break;
		case 'f': b->fetch_key = optarg; break;
		default: return -1;
		}
	}
	if (!b->db || !b->key || !b->n_ports || !b->n_pids ||
	    !b->authority_key) {
		kf_err("usage: keyferry-bench --store PATH|URL --key FILE"
		       " --port N... --server-pid PID... --authority-key FILE"
		       " [--db-pid PID] [--fetch-key FILE --upstream-pid PID"
		       " --admin-port N] [--metrics-port N...]"
		       " [--concurrency N] [--duration S] [--repeat N]");
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
	if (b.fetch_key) {
		kf_serverkey_free(b.sk);
		if (kf_serverkey_load(&b.sk, b.fetch_key))
			return 1;
	}
	memcpy(b.fetch_pub, kf_serverkey_public(b.sk), KF_KEY_SIZE);
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
	for (i = 0; i < b.conc; i += 32)
		if (approve(&b, i, b.conc - i < 32 ? b.conc - i : 32))
			goto out;
	if (b.fetch_key && warm_up(&b))
		goto out;
	ret = run_all(&b) ? 1 : 0;
out:
	kf_store_close(st);
	for (i = 0; b.hosts && i < b.conc; i++)
		kf_client_wipe(&b.hosts[i]);
	kf_serverkey_free(b.sk);
	kf_wipe(b.ko, sizeof(b.ko));
	return ret;
}
