// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection over every command's path (issue 11, item 5): failslab
 * and fail_page_alloc, one allocation at a time (fail-nth: the Nth
 * allocation the test's own thread reaches in the kernel fails, and only
 * that one), N = 1, 2, ... until the request runs through without reaching
 * the Nth.  The debug kernel has the knobs; Debian's kernels do not, and
 * the test skips there saying so.
 *
 * For each path a scenario makes the same state before every attempt (an
 * entity enrolled, transfers pending, keys installed, unwrapping keys held,
 * as the path needs) and the request.  A run without a fault gives the
 * request's effect on the module (its gauges, its entity, the keys in the
 * session and module keyrings); a request refused for an ordinary reason
 * gives a refusal's effect (TRANSFER_FINISH consumes its transfer whatever
 * happens).  Then, after each injected fault:
 *   - an error is an allocation failure's (ENOMEM, ENOBUFS), or the clean
 *     run's own refusal, and its effect is nothing or a refusal's: never a
 *     half state (a key installed, displaced or lost, an entity half made, a
 *     transfer left or lost);
 *   - a success (the fault was absorbed, like a lost event) has exactly the
 *     clean run's effect;
 *   - no answer at all (the answer itself could not be allocated) has one
 *     of those effects;
 * and the kernel stays up with KASAN, kmemleak and lockdep quiet.  After
 * each scenario the state is torn down and the gauges must be back where
 * they started.  Commands nobody wrote a scenario for (added later) get a
 * sweep too, with a request generated from their policy.
 *
 * make check sweeps a sample of each path (the first four faults, then
 * evenly spaced ones, 16 in all), and every fault of "replacing installed
 * keys" (a rollback must link back the keys the install displaced: about
 * 170 faults, 15 s on the debug kernel); make fuzz (kf.fuzz=long) sweeps
 * every allocation of every path.  kf.fault_path=N sweeps the Nth scenario below only (to
 * replay one finding: KEYFERRY_VM_APPEND="kf.fuzz=long kf.fault_path=7");
 * kf.fault_fresh=S makes ft_room's fresh identity every S seconds, not 30
 * (a slow sweep crossing many of them, as in CI: kf.fault_fresh=2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <keyutils.h>

#include <kselftest_harness.h>

#include "selftests/lib/faultinj.h"
#include "selftests/lib/genl_family.h"
#include "selftests/lib/kfdrive.h"
#include "selftests/lib/kfstats.h"
#include "selftests/lib/nlfuzz.h"
#include "selftests/lib/vm.h"
#include "userspace/lib/keyferry.h"

#define FT_KEYS		64
#define FT_SAMPLE	16	/* attempts per path in the short pass */
#define FT_COUNT_ARM	1000000	/* "never": to count a path's sites */

struct ft_state {
	struct kfs gauges;
	uint8_t entity_state;
	uint8_t kei[KEYFERRY_KEY_SIZE];
	unsigned int n_keys;
	struct {
		int32_t serial;
		char desc[96];
	} key[FT_KEYS];
};

/* What a request did to the module: gauges moved, keys added and removed. */
struct ft_effect {
	unsigned int n;
	char name[KFS_MAX][KFS_NAME_MAX];
	long delta[KFS_MAX];
	bool entity_changed;
	unsigned int added, removed;
};

enum ft_outcome { FT_OK, FT_ERROR, FT_NONE };

struct ft {
	struct gf_family fam;
	struct nlf *f;
	struct kfd *d;
	struct nlr_sock s;
	struct nlr_sock ev;
	uint8_t req[NLR_MSG_MAX];
	size_t req_len;
	bool long_run;
	uint64_t seed;
	unsigned int only;	/* kf.fault_path=N: the Nth scenario only */
	time_t fresh;		/* when ft_room last made a new entity */
	unsigned int fresh_secs;	/* and how often it does: kf.fault_fresh */
	unsigned long attempts, faults, findings, limitations;
	char finding[4][1024];
	char limitation[512];
	/* the identity and owner scenarios' state */
	uint8_t blob[KEYFERRY_IDENTITY_MAX];
	size_t blob_len;
	uint64_t epoch;
	uint8_t owner2[KEYFERRY_KEY_SIZE];	/* a second key of the owner */
	struct ft_saved {
		uint8_t buf[1024];
		size_t len;
	} export_first, export_tpm, owner_add, owner_retire;
};

struct ft_scenario {
	const char *name;
	/* the state and the request (t->req); 0 or -errno */
	int (*prepare)(struct ft *t);
	/* an ordinary refusal of the prepared request, or NULL: none consumes */
	void (*refuse)(struct ft *t);
	int clean_error;	/* what the clean run answers (0: success) */
	bool cleanup_after_ok;	/* tear down after a success (keys installed) */
	/*
	 * A half state is a documented limitation before this family version
	 * (reported, not failed): docs/kernel.md, "a rolled-back install
	 * cannot restore a key it displaced", which version 2 removes.
	 */
	uint32_t strict_from;
	/* every fault even in the short pass (a path whose rollback is subtle) */
	bool sweep_all;
};

/* ---- state and effects --------------------------------------------------- */

static void ft_key(key_serial_t ring, key_serial_t id, const char *desc,
		   void *arg)
{
	struct ft_state *s = arg;

	if (s->n_keys == FT_KEYS)
		return;
	s->key[s->n_keys].serial = id;
	snprintf(s->key[s->n_keys].desc, sizeof(s->key[0].desc), "%s", desc);
	s->n_keys++;
}

static void ft_state(struct ft *t, struct ft_state *s)
{
	struct kf_module_status st;

	memset(s, 0, sizeof(*s));
	kfs_read(&s->gauges);
	if (!kf_genl_get_status(kfd_genl(t->d), &st)) {
		s->entity_state = st.entity_state;
		memcpy(s->kei, st.kei_pub, sizeof(s->kei));
		kfd_keyring_keys(st.keyring, ft_key, s);
	}
	kfd_keyring_keys(KEY_SPEC_SESSION_KEYRING, ft_key, s);
}

static bool ft_has_key(const struct ft_state *s, int32_t serial)
{
	unsigned int i;

	for (i = 0; i < s->n_keys; i++)
		if (s->key[i].serial == serial)
			return true;
	return false;
}

static void ft_effect(const struct ft_state *a, const struct ft_state *b,
		      struct ft_effect *e)
{
	unsigned int i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < a->gauges.n; i++) {
		if (!kfs_is_gauge(a->gauges.name[i]))
			continue;
		snprintf(e->name[e->n], sizeof(e->name[0]), "%s", a->gauges.name[i]);
		e->delta[e->n++] = kfs_get(&b->gauges, a->gauges.name[i]) -
				   a->gauges.value[i];
	}
	e->entity_changed = a->entity_state != b->entity_state ||
			    memcmp(a->kei, b->kei, sizeof(a->kei));
	for (i = 0; i < b->n_keys; i++)
		e->added += !ft_has_key(a, b->key[i].serial);
	for (i = 0; i < a->n_keys; i++)
		e->removed += !ft_has_key(b, a->key[i].serial);
}

static bool ft_effect_equal(const struct ft_effect *a, const struct ft_effect *b)
{
	unsigned int i;

	if (a->n != b->n || a->entity_changed != b->entity_changed ||
	    a->added != b->added || a->removed != b->removed)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->name[i], b->name[i]) || a->delta[i] != b->delta[i])
			return false;
	return true;
}

static void ft_effect_format(const struct ft_effect *e, char *out, size_t cap)
{
	size_t used;
	unsigned int i;

	used = (size_t)snprintf(out, cap, "keys +%u -%u%s", e->added, e->removed,
				e->entity_changed ? ", entity changed" : "");
	for (i = 0; i < e->n && used < cap; i++)
		if (e->delta[i])
			used += (size_t)snprintf(out + used, cap - used, ", %s %+ld",
						 e->name[i], e->delta[i]);
}

/* ---- one attempt ------------------------------------------------------------ */

struct ft_attempt {
	enum ft_outcome outcome;
	int error;		/* FT_ERROR: the -errno */
	unsigned int left;	/* fail-nth's count after: 0 = the fault happened */
	struct ft_effect effect;
};

/* Send t->req with the Nth allocation failing (0: none), judge nothing. */
static void ft_attempt(struct ft *t, unsigned int nth, struct ft_attempt *at)
{
	struct ft_state before, after;
	struct nlr_answer a = { 0 };
	int ret;

	memset(at, 0, sizeof(*at));
	nlr_drain(&t->ev, NULL, NULL);
	ft_state(t, &before);
	if (nth)
		fi_nth_arm(nth);
	ret = nlr_send(&t->s, t->req, t->req_len);
	if (!ret)
		nlr_collect(&t->s, &a, NULL, NULL);
	at->left = nth ? fi_nth_disarm() : 1;
	ft_state(t, &after);
	ft_effect(&before, &after, &at->effect);
	if (ret || a.error < 0 || a.done_error < 0) {
		at->outcome = FT_ERROR;
		at->error = ret ? ret : a.error < 0 ? a.error : a.done_error;
	} else if (a.n_replies || a.n_acks) {
		at->outcome = FT_OK;
	} else {
		at->outcome = FT_NONE;
	}
	t->attempts++;
}

/*
 * A finding names the attempt's effect and the two it was judged against
 * (the clean run's, an ordinary refusal's), so the log alone says what
 * differed.
 */
static void ft_finding(struct ft *t, const struct ft_scenario *sc,
		       unsigned int nth, const char *what,
		       const struct ft_attempt *at,
		       const struct ft_effect *ok, const struct ft_effect *refused)
{
	char eff[256], eff_ok[256], eff_refused[256];

	ft_effect_format(&at->effect, eff, sizeof(eff));
	ft_effect_format(ok, eff_ok, sizeof(eff_ok));
	ft_effect_format(refused, eff_refused, sizeof(eff_refused));
	if (t->fam.version < sc->strict_from) {
		if (!t->limitations++)
			snprintf(t->limitation, sizeof(t->limitation),
				 "%s, fault %u: %s (error %d; %s)", sc->name,
				 nth, what, at->error, eff);
		return;
	}
	if (t->findings < sizeof(t->finding) / sizeof(t->finding[0]))
		snprintf(t->finding[t->findings], sizeof(t->finding[0]),
			 "%s, fault %u: %s (error %d; %s; the clean run: %s; a refusal: %s)",
			 sc->name, nth, what, at->error, eff, eff_ok, eff_refused);
	t->findings++;
}

/* The rules of the header comment, for an attempt whose fault happened. */
static void ft_judge(struct ft *t, const struct ft_scenario *sc,
		     unsigned int nth, const struct ft_attempt *at,
		     const struct ft_effect *ok, const struct ft_effect *refused)
{
	const struct ft_effect *e = &at->effect;
	struct ft_effect none = { 0 };
	int err = -at->error;

	memcpy(none.name, e->name, sizeof(none.name));
	none.n = e->n;
	switch (at->outcome) {
	case FT_ERROR:
		if (err != ENOMEM && err != ENOBUFS && err != -sc->clean_error)
			ft_finding(t, sc, nth, "an error that is not an allocation failure's", at, ok, refused);
		if (!ft_effect_equal(e, &none) && !ft_effect_equal(e, refused))
			ft_finding(t, sc, nth, "refused, but the state moved (a half state)", at, ok, refused);
		break;
	case FT_OK:
		if (sc->clean_error)
			ft_finding(t, sc, nth, "succeeded where the clean run is refused", at, ok, refused);
		else if (!ft_effect_equal(e, ok))
			ft_finding(t, sc, nth, "succeeded, but not with the clean run's effect", at, ok, refused);
		break;
	case FT_NONE:
		if (!ft_effect_equal(e, &none) && !ft_effect_equal(e, refused) &&
		    !ft_effect_equal(e, ok))
			ft_finding(t, sc, nth, "no answer, and a state that is none of the possible ones", at, ok, refused);
		break;
	}
}

/* The attempts of a sweep: all of 1..sites, or a sample of them. */
static bool ft_pick(struct ft *t, const struct ft_scenario *sc,
		    unsigned int nth, unsigned int sites)
{
	unsigned int stride;

	if (t->long_run || (sc && sc->sweep_all) || sites <= FT_SAMPLE ||
	    nth <= 4)
		return true;
	stride = (sites + FT_SAMPLE - 5) / (FT_SAMPLE - 4);
	return nth % stride == 0;
}

static int ft_sweep(struct ft *t, const struct ft_scenario *sc,
		    struct __test_metadata *_metadata)
{
	struct ft_effect ok, refused;
	struct ft_attempt at;
	unsigned int nth, sites, tried = 0;
	char eff[256];

	/* the clean run, and how many allocation sites it reaches */
	if (sc->prepare(t))
		return -EIO;
	ft_attempt(t, FT_COUNT_ARM, &at);
	sites = FT_COUNT_ARM - at.left;
	if (at.outcome != (sc->clean_error ? FT_ERROR : FT_OK) ||
	    at.error != sc->clean_error) {
		TH_LOG("%s: the clean run answered %d (outcome %d), not %d",
		       sc->name, at.error, at.outcome, sc->clean_error);
		return -EPROTO;
	}
	ok = at.effect;
	if (sc->cleanup_after_ok)
		kfd_teardown(t->d);
	/* an ordinary refusal's effect */
	memset(&refused, 0, sizeof(refused));
	if (sc->refuse) {
		struct ft_state before, after;

		if (sc->prepare(t))
			return -EIO;
		ft_state(t, &before);
		sc->refuse(t);
		ft_state(t, &after);
		ft_effect(&before, &after, &refused);
	}
	for (nth = 1; nth <= sites + 1; nth++) {
		if (nth <= sites && !ft_pick(t, sc, nth, sites))
			continue;
		if (sc->prepare(t))
			return -EIO;
		ft_attempt(t, nth, &at);
		tried++;
		if (at.left) {
			/* ran through without reaching the Nth: the clean effect */
			if (at.outcome != (sc->clean_error ? FT_ERROR : FT_OK) ||
			    (!sc->clean_error && !ft_effect_equal(&at.effect, &ok)))
				ft_finding(t, sc, nth, "the run past the last fault is not the clean run",
					   &at, &ok, &refused);
			break;
		}
		t->faults++;
		ft_judge(t, sc, nth, &at, &ok, &refused);
		if (at.outcome == FT_OK && sc->cleanup_after_ok)
			kfd_teardown(t->d);
	}
	ft_effect_format(&ok, eff, sizeof(eff));
	printf("# %-58s %4u sites, %3u attempts (clean: %s)\n", sc->name,
	       sites, tried, eff);
	fflush(stdout);
	kfd_teardown(t->d);
	return 0;
}

/* ---- the scenarios ------------------------------------------------------------ */

static const struct kfd_item ft_items[] = {
	{ .name = "ft-logon", .type = 1, .desc = "ft-logon", .size = 32 },
	{ .name = "ft-user", .type = 2, .desc = "ft-user", .size = 24 },
	{ .name = "ft-fs", .type = 3, .desc = "ft-fs", .size = 64 },
	{ .name = "ft-kw", .type = 4, .desc = "ft-kw", .size = 32 },
	{ .name = "ft-wrapped", .type = 1, .desc = "ft-wrapped", .size = 32,
	  .unwrap = "ft-kw" },
};

static int ft_recorded(struct ft *t, int ret)
{
	if (ret)
		return ret;
	return kfd_last_sent(t->d, t->req, sizeof(t->req), &t->req_len);
}

static int ft_status(struct ft *t)
{
	struct kf_module_status st;
	int ret = kfd_ensure(t->d);

	if (!ret)
		ret = kf_genl_get_status(kfd_genl(t->d), &st);
	return ft_recorded(t, ret);
}

static int ft_noop(const struct kf_installed_key *k, void *arg)
{
	return 0;
}

/* KEY_LIST with keys of every type installed, an unwrapping key held. */
static int ft_key_list(struct ft *t)
{
	struct kf_module_status st;
	int ret = kfd_ensure(t->d);

	if (!ret)
		ret = kf_genl_get_status(kfd_genl(t->d), &st);
	if (!ret && st.installed_keys < 5)
		ret = kfd_deliver(t->d, ft_items, 5, 0);
	if (!ret)
		ret = kf_genl_key_list(kfd_genl(t->d), ft_noop, NULL);
	return ft_recorded(t, ret);
}

/*
 * Replacing an entity that has transfers pending and a key held: the
 * request is the helper's own ENTITY_CREATE with REPLACE, recorded as it
 * made the entity the state starts from.
 */
static int ft_replace(struct ft *t)
{
	struct kf_transfer_begin req = { .kind = KEYFERRY_TRANSFER_FETCH,
					 .n_items = 1,
					 .items = { "ft-logon" } };
	struct kf_message *m1 = malloc(sizeof(*m1));
	int ret, i;

	if (!m1)
		return -ENOMEM;
	ret = kfd_entity(t->d);
	if (!ret)
		ret = kfd_enroll(t->d);
	if (!ret)
		ret = kfd_deliver(t->d, &ft_items[3], 1, 0);
	for (i = 0; !ret && i < 2; i++)
		ret = kf_genl_transfer_begin(kfd_genl(t->d), &req, m1);
	free(m1);
	/*
	 * The request replacing this very identity: version 2's REPLACE
	 * names the Kei it replaces (CONFIRM_KEI), so it is made now, not
	 * recorded from the kfd_entity above (which named the one before).
	 */
	if (!ret)
		ret = kfd_entity_msg(t->d, t->req, sizeof(t->req), &t->req_len);
	return ret;
}

/*
 * A fresh entity when the transfers begun so far fill half the slots or
 * may be near their 60 s expiry: the collector forgetting one during an
 * attempt would look like the request's doing.
 */
static int ft_room(struct ft *t)
{
	struct kfs s;
	int ret = kfd_ensure(t->d);

	if (ret || kfs_read(&s))
		return ret ? ret : -EIO;
	if (kfs_get(&s, "pending") > KEYFERRY_MAX_PENDING / 2 ||
	    time(NULL) - t->fresh > t->fresh_secs) {
		ret = kfd_entity(t->d);
		if (!ret)
			ret = kfd_enroll(t->d);
		t->fresh = time(NULL);
	}
	return ret;
}

static int ft_begin(struct ft *t, const struct kf_transfer_begin *req)
{
	struct kf_message *m1 = malloc(sizeof(*m1));
	int ret = ft_room(t);

	if (!m1)
		return -ENOMEM;
	if (!ret)
		ret = kf_genl_transfer_begin(kfd_genl(t->d), req, m1);
	free(m1);
	return ft_recorded(t, ret);
}

static int ft_begin_fetch(struct ft *t)
{
	struct kf_transfer_begin req = { .kind = KEYFERRY_TRANSFER_FETCH,
					 .n_items = 3,
					 .items = { "ft-a", "ft-b", "ft-c" } };

	return ft_begin(t, &req);
}

static int ft_begin_enroll(struct ft *t)
{
	static const uint8_t token[] = "ft-token", nonce[32] = { 7 };
	struct kf_transfer_begin req = { .kind = KEYFERRY_TRANSFER_ENROLL,
					 .token = token,
					 .token_len = sizeof(token) - 1,
					 .nonce = nonce };

	return ft_begin(t, &req);
}

/* Every key type, and an item sealed under an unwrapping key of the same reply. */
static int ft_finish_all_types(struct ft *t)
{
	int ret = ft_room(t);

	if (!ret)
		ret = kfd_finish_msg(t->d, ft_items, 5, KFD_VALID,
				     KEY_SPEC_SESSION_KEYRING, t->req,
				     sizeof(t->req), &t->req_len);
	return ret;
}

/*
 * Keys already installed, replaced by a delivery of the same items plus a
 * new fscrypt-provisioning key made after they are linked.
 *
 * Every attempt starts from the same state: the two items installed by
 * this identity, with their two version records.  A refused attempt leaves
 * that state; a success is torn down; but ft_room's fresh identity (every
 * 30 s) keeps the earlier identity's keys installed and forgets their
 * records (kf_entity_swap), and the install that follows then adds three
 * records, not one: a different request, not a different effect (seen in
 * CI, where the sweep is slow enough to cross a freshening).  So anything
 * but that state is torn down and delivered again.
 */
static int ft_finish_replacing(struct ft *t)
{
	struct kf_module_status st;
	int ret = ft_room(t);

	if (!ret)
		ret = kf_genl_get_status(kfd_genl(t->d), &st);
	if (!ret && st.installed_keys &&
	    (st.installed_keys != 2 || st.version_records != 2)) {
		ret = kfd_teardown(t->d);
		if (!ret)
			ret = ft_room(t);
		if (!ret)
			ret = kf_genl_get_status(kfd_genl(t->d), &st);
	}
	if (!ret && !st.installed_keys)
		ret = kfd_deliver(t->d, ft_items, 2, KEY_SPEC_SESSION_KEYRING);
	if (!ret)
		ret = kfd_finish_msg(t->d, ft_items, 3, KFD_VALID,
				     KEY_SPEC_SESSION_KEYRING, t->req,
				     sizeof(t->req), &t->req_len);
	return ret;
}

static int ft_finish_enroll(struct ft *t)
{
	int ret = ft_room(t);

	if (!ret)
		ret = kfd_enroll_finish_msg(t->d, false, t->req, sizeof(t->req),
					    &t->req_len);
	return ret;
}

static int ft_finish_forbidden(struct ft *t)
{
	int ret = ft_room(t);

	if (!ret)
		ret = kfd_finish_msg(t->d, ft_items, 1, KFD_FORBIDDEN, 0, t->req,
				     sizeof(t->req), &t->req_len);
	return ret;
}

/* The prepared TRANSFER_FINISH's transfer, finished with a 1-byte reply. */
static void ft_abandon(struct ft *t)
{
	const struct nlattr *a;
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	nlr_each(a, t->req + hdr, t->req_len - hdr)
		if (nlr_type(a) == KEYFERRY_A_TRANSFER_ID)
			kf_genl_transfer_abandon(kfd_genl(t->d), nlr_u32(a));
}

/* ---- the identity's and the owner keys' commands ----------------------------- */

static const uint8_t ft_seat_key[KEYFERRY_SEAT_KEY_SIZE] = {
	0x5e, 0xa7, 0x6b, 0x65, 0x79, 0x20, 0x66, 0x6f, 0x72, 0x20, 0x74, 0x68,
	0x65, 0x20, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x20, 0x73, 0x77, 0x65, 0x65,
	0x70, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x21,
};

static const uint8_t ft_kdf[KEYFERRY_KDF_PARAMS_SIZE] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,	/* salt */
	14,							/* log2 N */
	0, 0, 0, 8,						/* r */
	0, 0, 0, 1,						/* p */
};

/* The request the helper's client sent last, kept for later attempts. */
static int ft_save(struct ft *t, int ret, struct ft_saved *sv)
{
	if (ret)
		return ret;
	return kfd_last_sent(t->d, sv->buf, sizeof(sv->buf), &sv->len);
}

static int ft_use(struct ft *t, const struct ft_saved *sv)
{
	memcpy(t->req, sv->buf, sv->len);
	t->req_len = sv->len;
	return 0;
}

/* A blob of this identity in t->blob; a TPM one committed at once. */
static int ft_export(struct ft *t, uint8_t seat, bool first)
{
	bool pass = seat == KEYFERRY_SEAT_PASSPHRASE && first;
	int ret;

	ret = kf_genl_identity_export(kfd_genl(t->d), seat,
				      pass ? ft_seat_key : NULL,
				      pass ? ft_kdf : NULL, t->blob,
				      sizeof(t->blob), &t->blob_len, &t->epoch);
	if (!ret && seat == KEYFERRY_SEAT_TPM)
		ret = kf_genl_identity_commit(kfd_genl(t->d), t->epoch);
	return ret;
}

/* An entity whose identity has this seat: a new one if it has another. */
static int ft_seated(struct ft *t, uint8_t seat)
{
	struct kf_module_status st;
	int ret = kfd_ensure(t->d);

	if (!ret)
		ret = kf_genl_get_status(kfd_genl(t->d), &st);
	if (ret || st.seat == seat)
		return ret;
	if (st.seat != KEYFERRY_SEAT_NONE) {
		ret = kfd_entity(t->d);
		if (!ret)
			ret = kfd_enroll(t->d);
		if (ret)
			return ret;
	}
	return ft_export(t, seat, true);
}

/* The first export chooses the seat: a new identity, with none, each time. */
static int ft_export_first(struct ft *t)
{
	int ret = kfd_entity(t->d);

	if (!ret && !t->export_first.len) {
		ret = ft_save(t, ft_export(t, KEYFERRY_SEAT_PASSPHRASE, true),
			      &t->export_first);
		if (!ret)
			ret = kfd_entity(t->d);
	}
	return ret ? ret : ft_use(t, &t->export_first);
}

/* A later export under the passphrase the identity has (what a save does). */
static int ft_export_again(struct ft *t)
{
	int ret = ft_seated(t, KEYFERRY_SEAT_PASSPHRASE);

	if (!ret)
		ret = ft_export(t, KEYFERRY_SEAT_PASSPHRASE, false);
	return ft_recorded(t, ret);
}

/*
 * A TPM export reserves an epoch on the TPM's counter: the state before
 * each attempt has none outstanding (an export committed), so that the
 * attempts' own reservations never reach KF_MAX_UNCOMMITTED.
 */
static int ft_export_tpm(struct ft *t)
{
	int ret = ft_seated(t, KEYFERRY_SEAT_TPM);

	if (!ret && !t->export_tpm.len) {
		ret = kf_genl_identity_export(kfd_genl(t->d), KEYFERRY_SEAT_TPM,
					      NULL, NULL, t->blob,
					      sizeof(t->blob), &t->blob_len,
					      &t->epoch);
		ret = ft_save(t, ret, &t->export_tpm);
	}
	if (!ret)
		ret = ft_export(t, KEYFERRY_SEAT_TPM, false);
	return ret ? ret : ft_use(t, &t->export_tpm);
}

/* IMPORT with REPLACE of a blob of this very identity (a restart's load). */
static int ft_import(struct ft *t, uint8_t seat)
{
	bool pass = seat == KEYFERRY_SEAT_PASSPHRASE;
	struct kf_identity_info info;
	int ret = ft_seated(t, seat);

	if (!ret)
		ret = ft_export(t, seat, false);
	if (!ret)
		ret = kf_genl_identity_import(kfd_genl(t->d), t->blob,
					      t->blob_len,
					      pass ? ft_seat_key : NULL, true,
					      &info);
	return ft_recorded(t, ret);
}

static int ft_import_passphrase(struct ft *t)
{
	return ft_import(t, KEYFERRY_SEAT_PASSPHRASE);
}

static int ft_import_tpm(struct ft *t)
{
	return ft_import(t, KEYFERRY_SEAT_TPM);
}

/* COMMIT of an epoch an export reserved and nobody committed yet. */
static int ft_commit(struct ft *t)
{
	struct nlb b;
	int ret = ft_seated(t, KEYFERRY_SEAT_TPM);

	if (!ret)
		ret = kf_genl_identity_export(kfd_genl(t->d), KEYFERRY_SEAT_TPM,
					      NULL, NULL, t->blob,
					      sizeof(t->blob), &t->blob_len,
					      &t->epoch);
	if (ret)
		return ret;
	nlb_init(&b, t->req, sizeof(t->req));
	nlb_genl(&b, t->fam.id, NLM_F_REQUEST | NLM_F_ACK, 1,
		 KEYFERRY_CMD_IDENTITY_COMMIT, t->fam.version);
	nlb_attr(&b, KEYFERRY_A_IDENTITY_EPOCH, &t->epoch, sizeof(t->epoch));
	nlb_end(&b);
	t->req_len = b.len;
	return b.overflow ? -ENOBUFS : 0;
}

static bool ft_owner2_pinned(struct ft *t, int *ret)
{
	struct kf_module_status st;
	unsigned int i;

	*ret = kf_genl_get_status(kfd_genl(t->d), &st);
	for (i = 0; !*ret && i < st.n_owners; i++)
		if (!memcmp(st.owners[i].key, t->owner2, sizeof(t->owner2)))
			return true;
	return false;
}

static int ft_owner2_add(struct ft *t)
{
	return kf_genl_owner_add(kfd_genl(t->d), KFD_OWNER_NAME, t->owner2);
}

static int ft_owner2_retire(struct ft *t)
{
	return kf_genl_owner_retire(kfd_genl(t->d), t->owner2);
}

/* Both requests, recorded once: the second key pinned, then retired. */
static int ft_owner_requests(struct ft *t)
{
	uint8_t priv[KEYFERRY_KEY_SIZE];
	bool pinned;
	int ret = kfd_ensure(t->d);

	if (ret || t->owner_add.len)
		return ret;
	ret = kf_x25519_keygen(priv, t->owner2);
	memset(priv, 0, sizeof(priv));
	if (!ret)
		ret = ft_save(t, ft_owner2_add(t), &t->owner_add);
	if (!ret)
		ret = ft_save(t, ft_owner2_retire(t), &t->owner_retire);
	pinned = !ret && ft_owner2_pinned(t, &ret);
	return ret ? ret : pinned ? -EPROTO : 0;
}

/* OWNER_ADD: a second key under the owner's name (a rotation's start). */
static int ft_owner_add(struct ft *t)
{
	int ret = ft_owner_requests(t);

	if (!ret && ft_owner2_pinned(t, &ret))
		ret = ft_owner2_retire(t);
	return ret ? ret : ft_use(t, &t->owner_add);
}

/* OWNER_RETIRE of that second key (a rotation's end). */
static int ft_owner_retire(struct ft *t)
{
	int ret = ft_owner_requests(t);

	if (!ret && !ft_owner2_pinned(t, &ret) && !ret)
		ret = ft_owner2_add(t);
	return ret ? ret : ft_use(t, &t->owner_retire);
}

static const struct ft_scenario ft_scenarios[] = {
	{ .name = "GET_STATUS", .prepare = ft_status },
	{ .name = "KEY_LIST, keys of every type installed",
	  .prepare = ft_key_list },
	{ .name = "ENTITY_CREATE replacing, transfers pending, a key held",
	  .prepare = ft_replace },
	{ .name = "TRANSFER_BEGIN fetch", .prepare = ft_begin_fetch },
	{ .name = "TRANSFER_BEGIN enroll", .prepare = ft_begin_enroll },
	{ .name = "TRANSFER_FINISH, every key type, nested",
	  .prepare = ft_finish_all_types, .refuse = ft_abandon,
	  .cleanup_after_ok = true },
	{ .name = "TRANSFER_FINISH replacing installed keys",
	  .prepare = ft_finish_replacing, .refuse = ft_abandon,
	  .cleanup_after_ok = true, .strict_from = 2, .sweep_all = true },
	{ .name = "TRANSFER_FINISH enroll", .prepare = ft_finish_enroll,
	  .refuse = ft_abandon },
	{ .name = "TRANSFER_FINISH refused by the distributor",
	  .prepare = ft_finish_forbidden, .refuse = ft_abandon,
	  .clean_error = -EACCES },
	{ .name = "IDENTITY_EXPORT, passphrase, the first",
	  .prepare = ft_export_first },
	{ .name = "IDENTITY_EXPORT, passphrase, again",
	  .prepare = ft_export_again },
	{ .name = "IDENTITY_IMPORT, passphrase, replacing itself",
	  .prepare = ft_import_passphrase },
	{ .name = "IDENTITY_EXPORT, TPM", .prepare = ft_export_tpm },
	{ .name = "IDENTITY_COMMIT", .prepare = ft_commit },
	{ .name = "IDENTITY_IMPORT, TPM, replacing itself",
	  .prepare = ft_import_tpm },
	{ .name = "OWNER_ADD, a second key", .prepare = ft_owner_add,
	  .cleanup_after_ok = true },
	{ .name = "OWNER_RETIRE of it", .prepare = ft_owner_retire },
};

#define FT_N_SCENARIOS (sizeof(ft_scenarios) / sizeof(ft_scenarios[0]))

static bool ft_covered(uint32_t cmd)
{
	return cmd >= KEYFERRY_CMD_GET_STATUS && cmd <= KEYFERRY_CMD_OWNER_RETIRE &&
	       cmd != KEYFERRY_CMD_EVENT;
}

/*
 * A command added after this file: a request generated from its policy
 * (valid values only), swept whatever it answers; the teardown after it
 * checks the gauges.
 */
static void ft_sweep_generic(struct ft *t, uint32_t cmd)
{
	struct ft_attempt at;
	unsigned int nth, sites;

	kfd_ensure(t->d);
	t->req_len = nlf_generate_valid(t->f, t->req, sizeof(t->req), cmd, 1);
	if (!t->req_len)
		return;
	ft_attempt(t, FT_COUNT_ARM, &at);
	sites = FT_COUNT_ARM - at.left;
	for (nth = 1; nth <= sites; nth++) {
		if (!ft_pick(t, NULL, nth, sites))
			continue;
		kfd_ensure(t->d);
		ft_attempt(t, nth, &at);
		t->faults += !at.left;
	}
	printf("# command %-50u %4u sites (generated request, answered %d)\n",
	       cmd, sites, at.error);
	kfd_teardown(t->d);
}

FIXTURE(faults) {
	struct ft *t;
	struct kfs baseline;
	const char *skip;	/* why the test cannot run here */
};

/* (The harness runs the test after a SKIP in the setup: the test skips.) */
FIXTURE_SETUP(faults)
{
	struct ft *t;

	self->skip = kf_vm_inside() ? fi_unavailable() : "not inside the test VM";
	if (self->skip)
		return;
	t = calloc(1, sizeof(*t));
	ASSERT_NE(NULL, t);
	self->t = t;
	t->long_run = kf_vm_cmdline_has("kf.fuzz=long");
	t->seed = kf_vm_cmdline("kf.fuzz_seed", 1);
	t->only = (unsigned int)kf_vm_cmdline("kf.fault_path", 0);
	t->fresh_secs = (unsigned int)kf_vm_cmdline("kf.fault_fresh",
						    KEYFERRY_TRANSFER_TIMEOUT_SECS / 2);
	ASSERT_EQ(0, kf_vm_load());
	ASSERT_EQ(0, nlr_open(&t->s));
	ASSERT_EQ(0, nlr_open(&t->ev));
	ASSERT_EQ(0, gf_discover(&t->s, KEYFERRY_GENL_NAME, &t->fam));
	/* a listener: the event paths allocate too */
	ASSERT_EQ(0, nlr_join(&t->ev, gf_group(&t->fam, KEYFERRY_MCGRP_EVENTS)));
	t->f = nlf_new(&t->fam, t->seed);
	ASSERT_NE(NULL, t->f);
	t->d = kfd_new(t->f);
	ASSERT_NE(NULL, t->d);
	ASSERT_EQ(0, kfd_ensure(t->d));
	ASSERT_EQ(0, kfd_teardown(t->d));
	ASSERT_EQ(0, kfs_read(&self->baseline));
	ASSERT_EQ(0, fi_setup());
}

FIXTURE_TEARDOWN(faults)
{
	fi_reset();
	if (!self->t)
		return;
	kfd_free(self->t->d);
	nlf_free(self->t->f);
	nlr_close(&self->t->s);
	nlr_close(&self->t->ev);
	free(self->t);
}

TEST_F_TIMEOUT(faults, every_allocation_of_every_command, 6 * 3600)
{
	struct ft *t = self->t;
	unsigned int i, swept = 0;
	struct timespec t0, t1;
	char why[128];
	struct kfs end;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < FT_N_SCENARIOS; i++) {
		if (t->only && t->only != i + 1)
			continue;
		EXPECT_EQ(0, ft_sweep(t, &ft_scenarios[i], _metadata))
			TH_LOG("scenario %s could not run", ft_scenarios[i].name);
		swept++;
	}
	for (i = 0; i < t->fam.n_ops && !t->only; i++)
		if (!ft_covered(t->fam.op[i].cmd)) {
			ft_sweep_generic(t, t->fam.op[i].cmd);
			swept++;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %u paths, %lu attempts, %lu faults injected, %.0f s, %lu findings\n",
	       swept, t->attempts, t->faults,
	       (double)(t1.tv_sec - t0.tv_sec), t->findings);
	for (i = 0; i < t->findings && i < 4; i++)
		printf("# finding: %s\n", t->finding[i]);
	if (t->limitations)
		printf("# %lu times a documented limitation of family version %u, first: %s\n",
		       t->limitations, t->fam.version, t->limitation);
	EXPECT_EQ(0, t->findings);
	EXPECT_GT(t->faults, 0);
	/* torn down, the module is where it started */
	ASSERT_EQ(0, kfd_teardown(t->d));
	ASSERT_EQ(0, kfs_read(&end));
	EXPECT_TRUE(kfs_gauges_equal(&self->baseline, &end, why, sizeof(why)))
		TH_LOG("gauges not back: %s", why);
	EXPECT_EQ(0, kfs_unload_clean());
}

TEST_HARNESS_MAIN
