// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink fuzzer against keyferry.ko (issue 11, item 5).
 *
 * The family is learnt at run time (CTRL_CMD_GETFAMILY, the GETPOLICY
 * dump: selftests/lib/genl_family.c), so commands and attributes added
 * later are fuzzed without an edit.  The driver (selftests/lib/kfdrive.c)
 * keeps the module in its interesting states with the helper's netlink
 * client and libkeyferry: an entity made and enrolled, transfers pending,
 * keys of every type delivered, unwrapping keys held; every request it
 * sends is a seed, and the TRANSFER_FINISH requests it prepares (valid
 * replies, or what a hostile distributor could send under a valid session)
 * are sent once, as they are or mutated.  selftests/lib/nlfuzz.c makes
 * the messages.
 *
 * What must hold, message after message:
 *   - the kernel survives (a crash stops the guest: the run fails), and
 *     KASAN, UBSAN, lockdep and kmemleak stay quiet (selftests/qemu/init);
 *   - no kernel-internal errno (>= 512, like ENOTSUPP) reaches userspace;
 *   - a request the family's handlers or policies refuse says why: an
 *     extended ack (a message, the offending or the missing attribute),
 *     except for ENOMEM, ENOBUFS and EPERM;
 *   - the module keeps answering, its counters within their bounds;
 *   - once the state is torn down, the gauges (objects, bytes, transforms,
 *     pending, held keys) are back where they started;
 *   - a process with no capability gets nothing but EPERM (or a refusal of
 *     the header by the netlink core), and changes nothing;
 *   - from family version 2, a process with CAP_NET_ADMIN only changes
 *     nothing either (state-changing commands need CAP_SYS_ADMIN).
 *
 * The kernel command line sets the run (selftests/run-all passes it):
 * kf.fuzz=long for the long run (make fuzz), kf.fuzz_seed=N to replay a
 * seed, kf.fuzz_messages=N for the root pass's count, kf.fuzz_trace=N to
 * print every message from the Nth on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <kselftest_harness.h>

#include "selftests/lib/faultinj.h"
#include "selftests/lib/genl_family.h"
#include "selftests/lib/kfdrive.h"
#include "selftests/lib/kfstats.h"
#include "selftests/lib/nlfuzz.h"
#include "selftests/lib/vm.h"

#define FZ_ERRNO_MAX	160		/* errnos counted one by one */
#define FZ_STEP		25		/* messages between two driver steps */
#define FZ_CHUNK_SECS	20		/* a child's chunk: transfers live 60 s */

struct fz_cfg {
	uint64_t seed;
	bool long_run;
	unsigned long root, net_admin, nobody, faulted;	/* messages */
	unsigned long epoch;		/* messages between teardown checks */
	unsigned long trace_from;
};

struct fz_cmd {
	unsigned long sent, ok, refused, silent;
	unsigned long err[FZ_ERRNO_MAX];
};

/* Shared with the children of the privilege passes (MAP_SHARED). */
struct fz_run {
	struct fz_cmd cmd[257];		/* by command; 256: no header */
	unsigned long how[NLF_N_HOW];
	unsigned long messages, send_errors, findings;
	char finding[4][768];		/* the first few, with the message */
	double seconds;
};

enum fz_who { FZ_ROOT, FZ_NET_ADMIN, FZ_NOBODY };

struct fz {
	struct fz_cfg cfg;
	struct gf_family fam;
	struct nlf *f;
	struct kfd *d;
	struct nlr_sock s;		/* the fuzzer's own socket */
	struct nlr_sock ev;		/* the events group's listener */
	struct fz_run *run;
	struct nlf_case c;
	uint32_t seq;
	enum fz_who who;
	struct kfs baseline;
	long max_pending, max_unwrap, max_tracked;
	unsigned long chunks, collected_chunks;	/* privilege passes */
};

static double fz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The counts of the passes.  The short pass (make check) is a third as
 * long on the debug kernel, which fuzzes about 20 messages a second under
 * TCG where Debian's kernels fuzz about 250; the debug kernel is the one
 * with fault injection.
 */
static void fz_config(struct fz_cfg *cfg)
{
	unsigned long div = fi_unavailable() ? 1 : 3;

	cfg->long_run = kf_vm_cmdline_has("kf.fuzz=long");
	cfg->seed = kf_vm_cmdline("kf.fuzz_seed", 0);
	if (!cfg->seed)
		cfg->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	cfg->root = kf_vm_cmdline("kf.fuzz_messages",
				  cfg->long_run ? 100000 : 3000 / div);
	cfg->net_admin = cfg->long_run ? 20000 : 600 / div;
	cfg->nobody = cfg->long_run ? 5000 : 300 / div;
	cfg->faulted = cfg->long_run ? 20000 : 600 / div;
	cfg->epoch = cfg->long_run ? 10000 : cfg->root;
	cfg->trace_from = kf_vm_cmdline("kf.fuzz_trace", ~0ULL);
}

static void fz_hex(char *out, size_t cap, const uint8_t *p, size_t len)
{
	size_t i, used = 0;

	for (i = 0; i < len && used + 3 < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%02x", p[i]);
	if (i < len && used + 4 < cap)
		snprintf(out + used, cap - used, "...");
}

/* Something that must not happen, with the message that made it. */
static void fz_finding(struct fz *z, const char *what, int err)
{
	struct fz_run *r = z->run;
	char hex[400];

	if (r->findings < sizeof(r->finding) / sizeof(r->finding[0])) {
		fz_hex(hex, sizeof(hex), z->c.buf, z->c.len);
		snprintf(r->finding[r->findings], sizeof(r->finding[0]),
			 "%s (%d) at message %lu (%s): %s", what, err,
			 r->messages, nlf_how_name(z->c.how), hex);
	}
	r->findings++;
}

/* Replies feed the dictionary: ids, serials, keys, names. */
static void fz_on_reply(const struct nlmsghdr *nlh, void *arg)
{
	nlf_harvest(arg, nlh);
}

static bool fz_allowed_silently(int e)
{
	return e == ENOMEM || e == ENOBUFS || e == EPERM;
}

/*
 * EBUSY for a dump is the netlink core's, not the family's: this socket's
 * previous dump is still running, cut short by an allocation failure or a
 * full receive buffer (__netlink_dump_start()).  KEY_LIST never says it.
 */
static bool fz_core_dump_busy(const struct fz *z, int e)
{
	const struct nlmsghdr *nlh = (const void *)z->c.buf;

	return e == EBUSY && z->c.len >= sizeof(*nlh) &&
	       (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

/* What one answer must be. */
static void fz_check(struct fz *z, const struct nlr_answer *a)
{
	int e = a->error < 0 ? -a->error : 0;
	int de = a->done_error < 0 ? -a->done_error : 0;

	if (e >= 512 || de >= 512 || a->error > 0) {
		fz_finding(z, "a kernel-internal errno reached userspace", a->error ? a->error : a->done_error);
		return;
	}
	if (z->who == FZ_NOBODY) {
		/* data, a dump's end, or a well-formed request acknowledged */
		if (a->n_replies || a->done ||
		    (z->c.well_formed && a->n_acks && !a->error) ||
		    (e && e != EPERM && e != EINVAL && e != EOPNOTSUPP))
			fz_finding(z, "a process with no capability got an answer other than EPERM",
				   a->error);
		return;
	}
	if (z->c.well_formed && e && !fz_allowed_silently(e) &&
	    !fz_core_dump_busy(z, e) &&
	    !a->ext_msg[0] && !a->ext_offs && !a->ext_miss)
		fz_finding(z, "a refusal without an extended ack", a->error);
}

static void fz_count(struct fz *z, const struct nlr_answer *a, int send_err)
{
	struct fz_cmd *c = &z->run->cmd[z->c.cmd >= 0 ? z->c.cmd : 256];
	int e = send_err ? -send_err : a->error < 0 ? -a->error :
		a->done_error < 0 ? -a->done_error : 0;

	c->sent++;
	z->run->how[z->c.how]++;
	if (e) {
		c->refused++;
		c->err[e < FZ_ERRNO_MAX ? e : 0]++;
	} else if (a->n_replies || a->n_acks || a->done) {
		c->ok++;
	} else {
		c->silent++;
	}
}

static void fz_trace(struct fz *z)
{
	char hex[2 * 1024 + 4];

	if (z->run->messages < z->cfg.trace_from)
		return;
	fz_hex(hex, sizeof(hex), z->c.buf, z->c.len);
	printf("# msg %lu (%s, %zu bytes): %s\n", z->run->messages,
	       nlf_how_name(z->c.how), z->c.len, hex);
}

/* How deep the module's state went: the most of each gauge seen. */
static void fz_note_reached(struct fz *z, const struct kfs *s)
{
	long p = kfs_get(s, "pending"), u = kfs_get(s, "unwrap_keys");
	long t = kfs_get(s, "tracked_keys");

	z->max_pending = p > z->max_pending ? p : z->max_pending;
	z->max_unwrap = u > z->max_unwrap ? u : z->max_unwrap;
	z->max_tracked = t > z->max_tracked ? t : z->max_tracked;
}

/* The module answers and its gauges are within bounds. */
static void fz_alive(struct fz *z)
{
	struct kf_module_status st;
	struct kfs s;
	long p, u, t;

	if (kf_genl_get_status(kfd_genl(z->d), &st) || kfs_read(&s)) {
		fz_finding(z, "the module stopped answering GET_STATUS", 0);
		return;
	}
	p = kfs_get(&s, "pending");
	u = kfs_get(&s, "unwrap_keys");
	t = kfs_get(&s, "tracked_keys");
	if (kfs_get(&s, "objects") < 0 || kfs_get(&s, "bytes") < 0 ||
	    kfs_get(&s, "tfms") < 0 || p > KEYFERRY_MAX_PENDING || u > 64 ||
	    t > 1024)
		fz_finding(z, "a counter out of its bounds", 0);
	fz_note_reached(z, &s);
}

/* One message: made, sent, its answer read and judged. */
static void fz_one(struct fz *z)
{
	struct nlr_answer a = { 0 };
	int ret;

	nlf_next(z->f, &z->c, z->seq);
	z->seq += 8;
	fz_trace(z);
	ret = nlr_send(&z->s, z->c.buf, z->c.len);
	if (ret)
		z->run->send_errors++;
	else
		nlr_collect(&z->s, &a, fz_on_reply, z->f);
	fz_count(z, &a, ret);
	if (!ret)
		fz_check(z, &a);
	z->run->messages++;
}

/* n messages, or until max_secs; as root the driver steps in between. */
static void fz_loop(struct fz *z, unsigned long n, double max_secs)
{
	double t0 = fz_now();
	unsigned long i;

	for (i = 0; i < n && fz_now() - t0 < max_secs; i++) {
		if (z->d && i % FZ_STEP == 0) {
			struct kfs s;

			kfd_step(z->d);
			nlr_drain(&z->ev, fz_on_reply, z->f);
			/* what the driver built, before the fuzzer's
			 * messages can take it down again */
			if (!kfs_read(&s))
				fz_note_reached(z, &s);
		}
		fz_one(z);
		if (z->d && i % 250 == 249)
			fz_alive(z);
		/* marks to replay from (kf.fuzz_trace) if the guest dies */
		if (z->run->messages % 5000 == 0)
			printf("# %lu messages, %lu findings\n", z->run->messages,
			       z->run->findings);
	}
	z->run->seconds += fz_now() - t0;
}

/* Torn down, the gauges must be the baseline's. */
static void fz_epoch_check(struct fz *z, const char *when)
{
	char why[128], msg[256];
	struct kfs now;

	if (kfd_teardown(z->d) || kfs_read(&now)) {
		snprintf(msg, sizeof(msg), "teardown failed %s", when);
		fz_finding(z, msg, 0);
		return;
	}
	if (!kfs_gauges_equal(&z->baseline, &now, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "gauges not back %s: %s", when, why);
		fz_finding(z, msg, 0);
	}
}

static void fz_report(struct fz *z, const char *pass)
{
	const struct fz_run *r = z->run;
	unsigned int i, e;
	char line[1024];

	printf("# %s: %lu messages in %.1f s (%.0f/s), seed %llu, %lu findings\n",
	       pass, r->messages, r->seconds,
	       r->seconds > 0 ? r->messages / r->seconds : 0.0,
	       (unsigned long long)z->cfg.seed, r->findings);
	for (i = 0; i < NLF_N_HOW; i++)
		printf("#   %-24s %lu\n", nlf_how_name(i), r->how[i]);
	for (i = 0; i <= 256; i++) {
		const struct fz_cmd *c = &r->cmd[i];
		size_t used;

		if (!c->sent)
			continue;
		used = (size_t)snprintf(line, sizeof(line),
					"#   cmd %3d%s: sent %lu, ok %lu, refused %lu, silent %lu:",
					i == 256 ? -1 : (int)i,
					i < 256 && gf_op_find(&z->fam, i) ? "" : "?",
					c->sent, c->ok, c->refused, c->silent);
		for (e = 0; e < FZ_ERRNO_MAX && used < sizeof(line) - 32; e++)
			if (c->err[e])
				used += (size_t)snprintf(line + used, sizeof(line) - used,
							 " %s %lu", e ? strerrorname_np(e) ?: "?" : "other",
							 c->err[e]);
		printf("%s\n", line);
	}
	for (i = 0; i < r->findings && i < 4; i++)
		printf("# finding: %s\n", r->finding[i]);
	fflush(stdout);
}

FIXTURE(fuzz) {
	struct fz *z;
};

/* Every test starts with FZ_READY: the harness runs it after a SKIP here. */
#define FZ_READY() do {							\
		if (!self->z)						\
			SKIP(return, "not inside the test VM");		\
	} while (0)

FIXTURE_SETUP(fuzz)
{
	struct fz *z;

	if (!kf_vm_inside())
		return;
	z = calloc(1, sizeof(*z));
	ASSERT_NE(NULL, z);
	self->z = z;
	z->run = mmap(NULL, sizeof(*z->run), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, z->run);
	fz_config(&z->cfg);
	ASSERT_EQ(0, kf_vm_load());
	ASSERT_EQ(0, nlr_open(&z->s));
	ASSERT_EQ(0, nlr_open(&z->ev));
	ASSERT_EQ(0, gf_discover(&z->s, KEYFERRY_GENL_NAME, &z->fam));
	ASSERT_NE(0, gf_group(&z->fam, KEYFERRY_MCGRP_EVENTS));
	/* a listener, so the module makes its events */
	ASSERT_EQ(0, nlr_join(&z->ev, gf_group(&z->fam, KEYFERRY_MCGRP_EVENTS)));
	z->f = nlf_new(&z->fam, z->cfg.seed);
	ASSERT_NE(NULL, z->f);
	z->d = kfd_new(z->f);
	ASSERT_NE(NULL, z->d);
	ASSERT_EQ(0, kfd_ensure(z->d));
	ASSERT_EQ(0, kfd_teardown(z->d));
	ASSERT_EQ(0, kfs_read(&z->baseline));
	printf("# seed %llu (replay: KEYFERRY_FUZZ_SEED=%llu make fuzz), family %u version %u, %u operations, %u policies\n",
	       (unsigned long long)z->cfg.seed, (unsigned long long)z->cfg.seed,
	       z->fam.id, z->fam.version, z->fam.n_ops, z->fam.n_policies);
}

FIXTURE_TEARDOWN(fuzz)
{
	struct fz *z = self->z;

	if (!z)
		return;
	fi_reset();
	kfd_free(z->d);
	nlf_free(z->f);
	nlr_close(&z->s);
	nlr_close(&z->ev);
	if (z->run && z->run != MAP_FAILED)
		munmap(z->run, sizeof(*z->run));
	free(z);
}

/* The discovery found the contract of uapi/linux/keyferry.h. */
TEST_F(fuzz, family_is_discovered)
{
	const struct gf_op *fin, *list, *begin, *status;
	const struct gf_family *fam;
	const struct gf_attr *msg, *items;
	unsigned int i;

	FZ_READY();
	fam = &self->z->fam;
	fin = gf_op_find(fam, KEYFERRY_CMD_TRANSFER_FINISH);
	list = gf_op_find(fam, KEYFERRY_CMD_KEY_LIST);
	begin = gf_op_find(fam, KEYFERRY_CMD_TRANSFER_BEGIN);

	EXPECT_EQ(KEYFERRY_GENL_VERSION, fam->version);
	ASSERT_NE(NULL, fin);
	ASSERT_NE(NULL, list);
	ASSERT_NE(NULL, begin);
	for (i = 0; i < fam->n_ops; i++)
		EXPECT_TRUE(fam->op[i].flags & GENL_ADMIN_PERM);
	EXPECT_TRUE(fin->flags & GENL_CMD_CAP_DO);
	EXPECT_FALSE(fin->flags & GENL_CMD_CAP_DUMP);
	EXPECT_TRUE(list->flags & GENL_CMD_CAP_DUMP);
	msg = gf_attr_find(fam, fin->do_policy, KEYFERRY_A_MESSAGE);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(NL_ATTR_TYPE_BINARY, msg->kind);
	EXPECT_EQ(KEYFERRY_MESSAGE_MAX, msg->max_len);
	items = gf_attr_find(fam, begin->do_policy, KEYFERRY_A_ITEMS);
	ASSERT_NE(NULL, items);
	EXPECT_EQ(NL_ATTR_TYPE_NESTED, items->kind);
	ASSERT_GE(items->nested, 0);
	msg = gf_attr_find(fam, items->nested, KEYFERRY_A_ITEM_NAME);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(NL_ATTR_TYPE_NUL_STRING, msg->kind);
	EXPECT_EQ(KEYFERRY_NAME_MAX, msg->max_len);
	/* GET_STATUS takes no attribute: its policy is empty */
	status = gf_op_find(fam, KEYFERRY_CMD_GET_STATUS);
	ASSERT_NE(NULL, status);
	EXPECT_EQ(NULL, gf_attr_find(fam, status->do_policy, KEYFERRY_A_REGION));
}

/*
 * Found by this fuzzer (seed 547256928032): a distributor key of low order
 * other than all zero (here 1) was pinned, and every TRANSFER_BEGIN then
 * failed with EBADMSG and no word why.
 */
TEST_F(fuzz, low_order_distributor_key_refused)
{
	static const uint8_t one[KEYFERRY_KEY_SIZE] = { 1 };
	static const uint8_t good[KEYFERRY_KEY_SIZE] = { 9 };	/* the base point */
	struct kf_owner_key owner = { .name = "lo" };
	struct kf_module_status before, after;
	uint8_t kei[KEYFERRY_KEY_SIZE], kec[KEYFERRY_KEY_SIZE];
	struct kf_entity_request req = {
		.region = "r", .name = "e", .n_distributor_keys = 1,
		.replace = true,
	};
	struct kf_genl *g;

	FZ_READY();
	g = kfd_genl(self->z->d);
	ASSERT_EQ(0, kfd_ensure(self->z->d));
	ASSERT_EQ(0, kf_genl_get_status(g, &before));
	req.confirm_kei = before.kei_pub;
	req.distributor_keys = (const uint8_t (*)[KEYFERRY_KEY_SIZE])one;
	EXPECT_EQ(-EINVAL, kf_genl_entity_create(g, &req, kei, kec));
	EXPECT_NE(NULL, strstr(g->ext_msg, "a distributor key is a low-order point"))
		TH_LOG("%s", g->ext_msg);
	/* version 2: an owner key of low order (DH with Kec), at create... */
	memcpy(owner.key, one, KEYFERRY_KEY_SIZE);
	req.distributor_keys = (const uint8_t (*)[KEYFERRY_KEY_SIZE])good;
	req.owners = &owner;
	req.n_owners = 1;
	EXPECT_EQ(-EINVAL, kf_genl_entity_create(g, &req, kei, kec));
	EXPECT_NE(NULL, strstr(g->ext_msg, "an owner key is a low-order point"))
		TH_LOG("%s", g->ext_msg);
	/* ...and pinned later */
	EXPECT_EQ(-EINVAL, kf_genl_owner_add(g, "lo", one));
	EXPECT_NE(NULL, strstr(g->ext_msg, "the owner key is a low-order point"))
		TH_LOG("%s", g->ext_msg);
	/* and nothing changed */
	ASSERT_EQ(0, kf_genl_get_status(g, &after));
	EXPECT_EQ(0, memcmp(before.kei_pub, after.kei_pub, KEYFERRY_KEY_SIZE));
	EXPECT_EQ(before.n_owners, after.n_owners);
	EXPECT_EQ(KEYFERRY_ENTITY_ENROLLED, after.entity_state);
}

TEST_F_TIMEOUT(fuzz, as_root, 6 * 3600)
{
	const struct kfd_counts *dc;
	unsigned long done = 0, n;
	struct fz *z = self->z;
	long installed0;
	struct kfs end;
	unsigned int i;

	FZ_READY();
	dc = kfd_counts(z->d);
	installed0 = kfs_get(&z->baseline, "keys_installed");
	z->who = FZ_ROOT;
	while (done < z->cfg.root) {
		n = z->cfg.root - done < z->cfg.epoch ? z->cfg.root - done :
							 z->cfg.epoch;
		fz_loop(z, n, 1e9);
		done += n;
		fz_epoch_check(z, "after an epoch");
	}
	ASSERT_EQ(0, kfs_read(&end));
	fz_report(z, "root");
	printf("# driver: %lu entities, %lu enrolments, %lu deliveries (%lu keys), %lu one-shot requests, %lu times the slots were full\n",
	       dc->entities, dc->enrolls, dc->deliveries, dc->delivered_keys,
	       dc->oneshots, dc->busy);
	printf("# reached: pending %ld, unwrapping keys %ld, tracked keys %ld at most; %ld keys installed\n",
	       z->max_pending, z->max_unwrap, z->max_tracked,
	       kfs_get(&end, "keys_installed") - installed0);
	EXPECT_EQ(0, z->run->findings);
	EXPECT_EQ(z->cfg.root, z->run->messages);
	/* every operation was a target, and the fuzzer's own requests got deep */
	for (i = 0; i < z->fam.n_ops; i++)
		EXPECT_GT(z->run->cmd[z->fam.op[i].cmd].sent, 0)
			TH_LOG("operation %u never fuzzed", z->fam.op[i].cmd);
	EXPECT_GT(z->run->cmd[KEYFERRY_CMD_TRANSFER_FINISH].ok, 0);
	EXPECT_GT(z->max_pending, 0);
	EXPECT_GT(z->max_unwrap, 0);
	EXPECT_GT(z->max_tracked, 0);
	/* and it unloads with nothing left */
	EXPECT_EQ(0, kfs_unload_clean());
}

struct fz_child {
	struct fz *z;
	unsigned long n;
};

/* In a child that dropped privilege: its own socket, its own loop. */
static int fz_child_loop(void *arg)
{
	struct fz_child *ch = arg;
	struct fz *z = ch->z;

	nlr_close(&z->s);
	if (nlr_open(&z->s))
		return 2;
	z->d = NULL;		/* the driver is root's; this process only fuzzes */
	fz_loop(z, ch->n, FZ_CHUNK_SECS);
	return 0;
}

struct fz_state {
	struct kfs gauges;
	struct kf_module_status st;
};

static void fz_state(struct fz *z, struct fz_state *s)
{
	kfs_read(&s->gauges);
	kf_genl_get_status(kfd_genl(z->d), &s->st);
}

/* The same entity (state and Kei) before and after. */
static bool fz_entity_same(const struct fz_state *a, const struct fz_state *b,
			   char *why, size_t cap)
{
	if (a->st.entity_state != b->st.entity_state ||
	    memcmp(a->st.kei_pub, b->st.kei_pub, sizeof(a->st.kei_pub))) {
		snprintf(why, cap, "the entity changed");
		return false;
	}
	return true;
}

static bool fz_state_equal(const struct fz_state *a, const struct fz_state *b,
			   char *why, size_t cap)
{
	if (!kfs_gauges_equal(&a->gauges, &b->gauges, why, cap))
		return false;
	return fz_entity_same(a, b, why, cap);
}

/*
 * The module's collector ends keys (TIMEOUT, NOT_AFTER, a lease) and
 * expired transfers by itself, whoever is fuzzing: the driver installs a
 * few keys that live 3 to 10 s.  When it ran during a chunk (its counters
 * moved), what it frees may differ; everything else must not, and what it
 * counts may only have gone down.
 */
static bool fz_collector_ran(const struct fz_state *a, const struct fz_state *b)
{
	return kfs_get(&a->gauges, "keys_ended") != kfs_get(&b->gauges, "keys_ended") ||
	       kfs_get(&a->gauges, "transfers_expired") !=
	       kfs_get(&b->gauges, "transfers_expired");
}

static bool fz_state_equal_but_collected(const struct fz_state *a,
					 const struct fz_state *b,
					 char *why, size_t cap)
{
	static const char *const freed[] = { "bytes", "objects", "tfms" };
	static const char *const fewer[] = { "pending", "tracked_keys", "unwrap_keys" };
	const char *name;
	unsigned int i, j;
	bool skip;

	for (i = 0; i < a->gauges.n; i++) {
		name = a->gauges.name[i];
		if (!kfs_is_gauge(name))
			continue;
		skip = false;
		for (j = 0; j < sizeof(freed) / sizeof(freed[0]); j++)
			skip |= !strcmp(name, freed[j]);
		for (j = 0; j < sizeof(fewer) / sizeof(fewer[0]); j++)
			if (!strcmp(name, fewer[j])) {
				skip = true;
				if (kfs_get(&b->gauges, name) > a->gauges.value[i]) {
					snprintf(why, cap, "%s rose with the collector running",
						 name);
					return false;
				}
			}
		if (!skip && kfs_get(&b->gauges, name) != a->gauges.value[i]) {
			snprintf(why, cap, "%s %ld -> %ld (the collector ran too)", name,
				 a->gauges.value[i], kfs_get(&b->gauges, name));
			return false;
		}
	}
	return fz_entity_same(a, b, why, cap);
}

/*
 * Chunks of fuzzing by an unprivileged child, each on a fresh state with
 * one-shot requests ready (a valid reply for a pending transfer among
 * them); state_must_hold: the module's state must not move.
 */
static void fz_privilege_pass(struct fz *z, enum fz_who who, unsigned long total,
			      bool state_must_hold)
{
	struct fz_child ch = { .z = z };
	struct fz_state before, after;
	char why[160], msg[256];
	unsigned long chunk = z->cfg.long_run ? 2000 : 300;
	int i, rc;

	z->who = who;
	while (z->run->messages < total) {
		kfd_ensure(z->d);
		for (i = 0; i < 3; i++)
			kfd_step(z->d);
		nlr_drain(&z->ev, NULL, NULL);
		fz_state(z, &before);
		ch.n = total - z->run->messages < chunk ? total - z->run->messages : chunk;
		rc = who == FZ_NOBODY ? kf_vm_as_nobody(fz_child_loop, &ch) :
					kf_vm_as_net_admin(fz_child_loop, &ch);
		if (rc) {
			fz_finding(z, "the unprivileged child failed", rc);
			break;
		}
		/* the child drew from a copy of the generator: move on from it */
		nlf_reseed(z->f);
		fz_state(z, &after);
		z->chunks++;
		if (fz_collector_ran(&before, &after))
			z->collected_chunks++;
		if (state_must_hold &&
		    !(fz_collector_ran(&before, &after) ?
		      fz_state_equal_but_collected(&before, &after, why, sizeof(why)) :
		      fz_state_equal(&before, &after, why, sizeof(why)))) {
			snprintf(msg, sizeof(msg), "an unprivileged process changed the module's state: %s", why);
			fz_finding(z, msg, 0);
		}
	}
	printf("# %lu chunks, in %lu of them the collector ended keys or transfers (judged without what it frees)\n",
	       z->chunks, z->collected_chunks);
	fz_epoch_check(z, "after the unprivileged pass");
}

TEST_F_TIMEOUT(fuzz, without_capabilities_changes_nothing, 3 * 3600)
{
	struct fz *z = self->z;

	FZ_READY();
	fz_privilege_pass(z, FZ_NOBODY, z->cfg.nobody, true);
	fz_report(z, "no capability");
	EXPECT_EQ(0, z->run->findings);
	EXPECT_EQ(z->cfg.nobody, z->run->messages);
	/* refused by the core's privilege check: EPERM for every operation */
	EXPECT_GT(z->run->cmd[KEYFERRY_CMD_TRANSFER_FINISH].err[EPERM], 0);
}

TEST_F_TIMEOUT(fuzz, with_cap_net_admin_only, 3 * 3600)
{
	struct fz *z = self->z;
	bool v2;

	FZ_READY();
	v2 = z->fam.version >= 2;
	fz_privilege_pass(z, FZ_NET_ADMIN, z->cfg.net_admin, v2);
	fz_report(z, "CAP_NET_ADMIN only");
	if (!v2)
		printf("# family version %u: CAP_NET_ADMIN may change state (version 2 requires CAP_SYS_ADMIN for that); only robustness was checked\n",
		       z->fam.version);
	EXPECT_EQ(0, z->run->findings);
	EXPECT_EQ(z->cfg.net_admin, z->run->messages);
}

/*
 * Fuzzing with random allocation failures in the fuzzer's own requests
 * (failslab and fail_page_alloc, task-filter): every error path the faults
 * reach must free what it took.
 */
TEST_F_TIMEOUT(fuzz, under_random_allocation_failures, 3 * 3600)
{
	static const unsigned int rates[] = { 2, 10, 40 };
	const char *why = fi_unavailable();
	struct fz *z = self->z;
	unsigned long i, n;
	double t0;

	FZ_READY();
	if (why)
		SKIP(return, "%s", why);
	n = z->cfg.faulted;
	ASSERT_EQ(0, fi_setup());
	t0 = fz_now();
	z->who = FZ_ROOT;
	for (i = 0; i < n; i++) {
		struct nlr_answer a = { 0 };
		int ret;

		if (i % FZ_STEP == 0) {
			kfd_step(z->d);
			nlr_drain(&z->ev, NULL, NULL);
			ASSERT_EQ(0, fi_probability(rates[(i / FZ_STEP) % 3]));
		}
		nlf_next(z->f, &z->c, z->seq);
		z->seq += 8;
		fz_trace(z);
		/* only this thread's requests fail, only while it sends and reads */
		fi_task(true);
		ret = nlr_send(&z->s, z->c.buf, z->c.len);
		if (!ret)
			nlr_collect(&z->s, &a, NULL, NULL);
		fi_task(false);
		fz_count(z, &a, ret);
		if (!ret)
			fz_check(z, &a);
		z->run->messages++;
	}
	fi_reset();
	z->run->seconds = fz_now() - t0;
	fz_epoch_check(z, "after the faulted pass");
	fz_report(z, "under allocation failures");
	EXPECT_EQ(0, z->run->findings);
	EXPECT_GT(z->run->cmd[KEYFERRY_CMD_TRANSFER_FINISH].err[ENOMEM], 0);
}

TEST_HARNESS_MAIN
