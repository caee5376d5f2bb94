/* replay: --until parsing and the planner over manifests built in memory:
 * chains in any order with duplicates, what is already applied, gaps,
 * forks, diverged histories, drops, --until by sequence number, root and
 * time, other buckets, and a large shuffled chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/replay.h>

#include "tap.h"

#define BUCKET 7

/* A commitment of history `branch` covering [start, start + count): its
 * root is made up, the same for the same arguments. */
static struct w3s_commitment
C(unsigned branch, uint64_t start, uint64_t count)
{
	struct w3s_commitment c;

	memset(&c, 0, sizeof(c));
	c.start_seq = start;
	c.leaf_count = count;
	c.mmr_root[0] = (uint8_t)branch;
	memcpy(c.mmr_root + 8, &start, 8);
	memcpy(c.mmr_root + 16, &count, 8);
	c.mmr_root[31] = 0x5a;
	return c;
}

static struct w3s_manifest
delta(uint64_t bucket, struct w3s_commitment base, struct w3s_commitment
    target, uint64_t created)
{
	struct w3s_manifest m;

	memset(&m, 0, sizeof(m));
	m.kind = W3S_STREAM_DELTA;
	m.bucket = bucket;
	m.has_base = 1;
	m.base = base;
	m.target = target;
	m.created = created;
	if (target.start_seq + target.leaf_count >
	    base.start_seq + base.leaf_count)
		m.counts.segments = target.start_seq + target.leaf_count -
		    base.start_seq - base.leaf_count;
	else
		m.counts.deletions = 1;
	return m;
}

static int
same(const struct w3s_commitment *a, const struct w3s_commitment *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Adds the add-deltas (0, k) -> (0, k + 1) for k in [from, to), in the
 * order of a fixed shuffle, each twice when dup. Tags are k. */
static void
add_chain(struct w3s_replay *r, unsigned branch, uint64_t from, uint64_t to,
    int dup, uint64_t skip)
{
	size_t n = (size_t)(to - from), i;
	uint64_t *ks = malloc(n * sizeof(*ks));
	struct w3s_err err = { 0 };
	unsigned seed = 12345;

	for (i = 0; i < n; i++)
		ks[i] = from + i;
	for (i = n; i > 1; i--) {
		size_t j;
		uint64_t t;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 8) % i;
		t = ks[i - 1];
		ks[i - 1] = ks[j];
		ks[j] = t;
	}
	for (int copy = 0; copy <= dup; copy++) {
		for (i = 0; i < n; i++) {
			struct w3s_manifest m;

			if (ks[i] == skip)
				continue;
			m = delta(BUCKET, C(branch, 0, ks[i]),
			    C(branch, 0, ks[i] + 1), 1000 + ks[i] * 100);
			if (w3s_replay_add(r, &m, ks[i] + 1000000 * (uint64_t)
			    copy, NULL, &err) != 0)
				ok(0, "add: %s", err.msg);
		}
	}
	free(ks);
}

static int
steps_in_order(const struct w3s_replay_plan *p, uint64_t from)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		struct w3s_commitment b = C(0, 0, from + i);
		struct w3s_commitment t = C(0, 0, from + i + 1);

		if (!same(&p->steps[i]->base, &b) ||
		    !same(&p->steps[i]->target, &t))
			return 0;
	}
	return 1;
}

static void
test_until_parse(void)
{
	struct w3s_replay_until u;
	struct w3s_err err = { 0 };
	char buf[96];

	ok(w3s_replay_until_parse("150", &u, &err) == 0 &&
	    u.kind == W3S_UNTIL_SEQ && u.seq == 150, "until: sequence number");
	ok(w3s_replay_until_parse("0", &u, &err) == 0 && u.seq == 0,
	    "until: seq 0");
	ok(w3s_replay_until_parse("18446744073709551615", &u, &err) == 0 &&
	    u.seq == UINT64_MAX, "until: largest seq");
	ok(w3s_replay_until_parse("18446744073709551616", &u, &err) ==
	    W3S_EUSAGE, "until: seq past 2^64 refused");
	ok(w3s_replay_until_parse("0150", &u, &err) == W3S_EUSAGE,
	    "until: leading zero refused");
	ok(w3s_replay_until_parse("0x" "00112233445566778899aabbccddeeff"
	    "00112233445566778899AABBCCDDEEFF", &u, &err) == 0 &&
	    u.kind == W3S_UNTIL_ROOT && u.root[0] == 0 && u.root[31] == 0xff,
	    "until: root");
	ok(w3s_replay_until_parse("0x1234", &u, &err) == W3S_EUSAGE,
	    "until: short root refused");
	ok(w3s_replay_until_parse("@1764000000", &u, &err) == 0 &&
	    u.kind == W3S_UNTIL_TIME && u.time == 1764000000,
	    "until: @unix");
	ok(w3s_replay_until_parse("@", &u, &err) == W3S_EUSAGE &&
	    w3s_replay_until_parse("@-5", &u, &err) == W3S_EUSAGE,
	    "until: bad @unix refused");
	ok(w3s_replay_until_parse("2025-11-24T16:00:00Z", &u, &err) == 0 &&
	    u.kind == W3S_UNTIL_TIME && u.time == 1764000000,
	    "until: ISO 8601 UTC");
	ok(w3s_replay_until_parse("2025-11-24 16:00:00Z", &u, &err) == 0 &&
	    u.time == 1764000000, "until: ISO with a space");
	ok(w3s_replay_until_parse("2024-02-29T00:00:00Z", &u, &err) == 0,
	    "until: leap day");
	ok(w3s_replay_until_parse("2025-02-29T00:00:00Z", &u, &err) ==
	    W3S_EUSAGE, "until: no Feb 29 in 2025");
	ok(w3s_replay_until_parse("2025-11-24T16:00:00", &u, &err) ==
	    W3S_EUSAGE, "until: local time refused (no Z)");
	ok(w3s_replay_until_parse("2025-11-24T24:00:00Z", &u, &err) ==
	    W3S_EUSAGE, "until: hour 24 refused");
	ok(w3s_replay_until_parse("yesterday", &u, &err) == W3S_EUSAGE &&
	    strstr(err.msg, "YYYY-MM-DDTHH:MM:SSZ") != NULL,
	    "until: nonsense refused with the syntax");
	ok(w3s_replay_until_parse("", &u, &err) == W3S_EUSAGE,
	    "until: empty refused");
	w3s_replay_until_parse("@1764000000", &u, &err);
	w3s_replay_until_format(&u, buf, sizeof(buf));
	ok(strcmp(buf, "2025-11-24T16:00:00Z") == 0, "until: time formatted "
	    "(%s)", buf);
	w3s_replay_until_parse("42", &u, &err);
	w3s_replay_until_format(&u, buf, sizeof(buf));
	ok(strcmp(buf, "seq 42") == 0, "until: seq formatted");
}

static void
test_chain(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_err err = { 0 };
	struct w3s_commitment cur = C(0, 0, 10), end = C(0, 0, 30);
	uint64_t *ids;
	size_t n;

	add_chain(r, 0, 10, 30, 1, UINT64_MAX);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0,
	    "chain: planned");
	ok(p.nsteps == 20 && steps_in_order(&p, 10), "chain: 20 steps in "
	    "order from shuffled deltas");
	ok(p.duplicates == 20, "chain: 20 duplicates (%zu)", p.duplicates);
	ok(p.code == 0 && p.stop == W3S_REPLAY_DONE && p.held == 0,
	    "chain: complete");
	ok(same(&p.end, &end) && same(&p.start, &cur), "chain: start and end");
	ok(p.segments == 20, "chain: 20 segments");
	ok(p.steps[0]->tag % 1000000 == 10, "chain: tags kept");
	ok(w3s_replay_buckets(r, &ids, &n, &err) == 0 && n == 1 &&
	    ids[0] == BUCKET, "chain: one bucket");
	free(ids);
	w3s_replay_plan_free(&p);

	/* The same again once applied: the history holds every step. */
	for (uint64_t k = 10; k < 30; k++) {
		struct w3s_commitment b = C(0, 0, k), t = C(0, 0, k + 1);

		w3s_replay_history(r, &b, &t, &err);
	}
	ok(w3s_replay_plan(r, BUCKET, &end, NULL, &p, &err) == 0 &&
	    p.nsteps == 0 && p.code == 0 && p.applied == 20 &&
	    p.duplicates == 20, "applied: a no-op (%zu applied)", p.applied);
	w3s_replay_plan_free(&p);

	w3s_replay_free(r);

	/* From the middle: the first half is applied, the rest follows. */
	r = w3s_replay_new(NULL);
	add_chain(r, 0, 10, 30, 1, UINT64_MAX);
	for (uint64_t k = 10; k < 20; k++) {
		struct w3s_commitment b = C(0, 0, k), t = C(0, 0, k + 1);

		w3s_replay_history(r, &b, &t, &err);
	}
	cur = C(0, 0, 20);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
	    p.nsteps == 10 && steps_in_order(&p, 20) && p.applied == 10 &&
	    p.code == 0, "applied: half applied, half planned");
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);
}

static void
test_old_without_history(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_err err = { 0 };
	struct w3s_commitment cur = C(0, 0, 20);

	/* A replica imported a snapshot at 20: no history before it. */
	add_chain(r, 0, 5, 30, 0, UINT64_MAX);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
	    p.nsteps == 10 && steps_in_order(&p, 20) && p.old == 14 &&
	    p.applied == 1 && p.code == 0,
	    "old: deltas before the snapshot skipped (%zu old, %zu applied)",
	    p.old, p.applied);
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);
}

static void
test_gap(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_err err = { 0 };
	struct w3s_commitment cur = C(0, 0, 10), at = C(0, 0, 15);
	struct w3s_commitment to = C(0, 0, 16);

	add_chain(r, 0, 10, 30, 1, 15);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0, "gap: "
	    "planned");
	ok(p.nsteps == 5 && steps_in_order(&p, 10) && same(&p.end, &at),
	    "gap: stops just before the missing delta");
	ok(p.stop == W3S_REPLAY_GAP && p.code == W3S_EINCOMPLETE &&
	    p.has_gap_to && same(&p.gap_to, &to) && p.held == 14,
	    "gap: exit 3, range 15 to 16, 14 held (%zu)", p.held);
	ok(strstr(p.why.msg, "from 0x") != NULL &&
	    strstr(p.why.msg, "(seq 15, start_seq 0) to 0x") != NULL &&
	    strstr(p.why.msg, "(seq 16, start_seq 0)") != NULL,
	    "gap: the message names the range: %s", p.why.msg);
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);

	/* Nothing from the bucket's commitment at all. */
	r = w3s_replay_new(NULL);
	add_chain(r, 0, 12, 14, 0, UINT64_MAX);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
	    p.nsteps == 0 && p.code == W3S_EINCOMPLETE && p.held == 2,
	    "gap: at the start");
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);
}

static void
test_fork(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_err err = { 0 };
	struct w3s_commitment cur = C(0, 0, 10), at = C(0, 0, 20);
	struct w3s_commitment a = C(0, 0, 21), b = C(1, 0, 21);
	struct w3s_manifest m = delta(BUCKET, at, b, 5);

	add_chain(r, 0, 10, 30, 0, UINT64_MAX);
	w3s_replay_add(r, &m, 99, NULL, &err);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
	    p.nsteps == 10 && steps_in_order(&p, 10) && same(&p.end, &at),
	    "fork: applies up to the fork");
	ok(p.stop == W3S_REPLAY_FORK && p.code == W3S_ENOTAPPLY &&
	    ((same(&p.fork_a, &a) && same(&p.fork_b, &b)) ||
	    (same(&p.fork_a, &b) && same(&p.fork_b, &a))),
	    "fork: exit 5 naming both targets: %s", p.why.msg);
	ok(p.held == 9, "fork: the rest held (%zu)", p.held);
	w3s_replay_plan_free(&p);

	/* --until before the fork: no fork to see. */
	{
		struct w3s_replay_until u = { W3S_UNTIL_SEQ, 15, { 0 }, 0 };

		ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
		    p.nsteps == 5 && p.code == 0 &&
		    p.stop == W3S_REPLAY_UNTIL, "fork: not reached by --until");
		w3s_replay_plan_free(&p);
	}
	w3s_replay_free(r);
}

static void
test_diverged(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_err err = { 0 };
	struct w3s_commitment cur = C(0, 0, 20), theirs = C(1, 0, 20);
	struct w3s_manifest m;

	/* Another history through the bucket's position. */
	m = delta(BUCKET, C(1, 0, 19), theirs, 1);
	w3s_replay_add(r, &m, 1, NULL, &err);
	m = delta(BUCKET, theirs, C(1, 0, 21), 1);
	w3s_replay_add(r, &m, 2, NULL, &err);
	m = delta(BUCKET, cur, C(0, 0, 21), 1);
	w3s_replay_add(r, &m, 3, NULL, &err);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
	    p.stop == W3S_REPLAY_DIVERGED && p.code == W3S_ENOTAPPLY &&
	    p.nsteps == 0 && same(&p.ours, &cur) && same(&p.theirs, &theirs),
	    "diverged: same position, other root: exit 5, nothing applied");
	ok(strstr(p.why.msg, "diverged") != NULL, "diverged: %s", p.why.msg);
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);

	/* Against the history: the bucket went 10 -> 11, a delta 10 -> 11'. */
	r = w3s_replay_new(NULL);
	cur = C(0, 0, 12);
	m = delta(BUCKET, C(0, 0, 10), C(2, 0, 11), 1);
	w3s_replay_add(r, &m, 1, NULL, &err);
	{
		struct w3s_commitment h0 = C(0, 0, 10), h1 = C(0, 0, 11);
		struct w3s_commitment h2 = C(0, 0, 12);

		w3s_replay_history(r, &h0, &h1, &err);
		w3s_replay_history(r, &h1, &h2, &err);
		ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
		    p.code == W3S_ENOTAPPLY && same(&p.ours, &h1),
		    "diverged: against the change log: %s", p.why.msg);
	}
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);

	/* A delta that jumps over the bucket's commitment, and nothing else:
	 * its history does not contain it. */
	r = w3s_replay_new(NULL);
	cur = C(0, 0, 20);
	m = delta(BUCKET, C(3, 0, 15), C(3, 0, 25), 1);
	w3s_replay_add(r, &m, 1, NULL, &err);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
	    p.spans == 1 && p.code == W3S_ENOTAPPLY &&
	    p.stop == W3S_REPLAY_DIVERGED && p.nsteps == 0,
	    "spans: exit 5: %s", p.why.msg);
	w3s_replay_plan_free(&p);
	/* ... but harmless beside a chain that moves the bucket. */
	m = delta(BUCKET, cur, C(0, 0, 21), 1);
	w3s_replay_add(r, &m, 2, NULL, &err);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
	    p.spans == 1 && p.code == 0 && p.nsteps == 1,
	    "spans: skipped beside a usable chain");
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);
}

static void
test_behind(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_err err = { 0 };
	struct w3s_commitment h0 = C(0, 0, 10), h1 = C(0, 0, 11);
	struct w3s_commitment h2 = C(0, 0, 12);
	struct w3s_manifest m;

	/* A delta 10 -> 13 (several commits at once) when the bucket is at
	 * 12: not usable, not an error. */
	m = delta(BUCKET, h0, C(0, 0, 13), 1);
	w3s_replay_add(r, &m, 1, NULL, &err);
	m = delta(BUCKET, h2, C(0, 0, 13), 1);
	w3s_replay_add(r, &m, 2, NULL, &err);
	w3s_replay_history(r, &h0, &h1, &err);
	w3s_replay_history(r, &h1, &h2, &err);
	ok(w3s_replay_plan(r, BUCKET, &h2, NULL, &p, &err) == 0 &&
	    p.behind == 1 && p.nsteps == 1 && p.steps[0]->tag == 2 &&
	    p.code == 0, "behind: a delta from an older commitment skipped");
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);
}

static void
test_until(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_replay_until u;
	struct w3s_err err = { 0 };
	struct w3s_commitment cur = C(0, 0, 10), at = C(0, 0, 25);

	add_chain(r, 0, 10, 30, 1, UINT64_MAX);
	w3s_replay_until_parse("25", &u, &err);
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 15 && same(&p.end, &at) &&
	    p.stop == W3S_REPLAY_UNTIL && p.code == 0 && p.held == 5,
	    "until seq: stops exactly at seq 25");
	w3s_replay_plan_free(&p);
	w3s_replay_until_parse("10", &u, &err);
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 0 && p.code == 0, "until seq: already there");
	w3s_replay_plan_free(&p);
	w3s_replay_until_parse("9", &u, &err);
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 0 && p.code == W3S_ENOTAPPLY &&
	    p.stop == W3S_REPLAY_PAST, "until seq: already past: %s",
	    p.why.msg);
	w3s_replay_plan_free(&p);
	w3s_replay_until_parse("40", &u, &err);
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 20 && p.code == W3S_EINCOMPLETE &&
	    strstr(p.why.msg, "to seq 40") != NULL,
	    "until seq: not reached: exit 3: %s", p.why.msg);
	w3s_replay_plan_free(&p);

	memcpy(u.root, at.mmr_root, W3S_H256);
	u.kind = W3S_UNTIL_ROOT;
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 15 && same(&p.end, &at) && p.code == 0,
	    "until root: stops at the root");
	w3s_replay_plan_free(&p);
	u.root[0] ^= 0xff;
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 20 && p.code == W3S_EINCOMPLETE,
	    "until root: an unknown root is not reached: exit 3");
	w3s_replay_plan_free(&p);

	/* created = 1000 + 100 * base seq. */
	u.kind = W3S_UNTIL_TIME;
	u.time = 1000 + 100 * 19 + 50;
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 10 && p.end.leaf_count == 20 && p.code == 0 &&
	    p.stop == W3S_REPLAY_UNTIL, "until time: the last delta made by "
	    "then");
	w3s_replay_plan_free(&p);
	u.time = 0;
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 0 && p.code == 0, "until time: before everything");
	w3s_replay_plan_free(&p);
	u.time = INT64_MAX;
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 20 && p.code == 0 && p.stop == W3S_REPLAY_DONE,
	    "until time: after everything");
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);

	/* A delta of several commits jumps over seq 13: nothing, exit 5. */
	r = w3s_replay_new(NULL);
	{
		struct w3s_manifest m = delta(BUCKET, cur, C(0, 0, 12), 1);

		w3s_replay_add(r, &m, 1, NULL, &err);
		m = delta(BUCKET, C(0, 0, 12), C(0, 0, 14), 1);
		w3s_replay_add(r, &m, 2, NULL, &err);
	}
	w3s_replay_until_parse("13", &u, &err);
	ok(w3s_replay_plan(r, BUCKET, &cur, &u, &p, &err) == 0 &&
	    p.nsteps == 0 && p.code == W3S_ENOTAPPLY &&
	    same(&p.end, &cur) && strstr(p.why.msg, "no commitment at seq "
	    "13") != NULL, "until seq: jumped over: nothing, exit 5: %s",
	    p.why.msg);
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);
}

static void
test_drops(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_replay_until u;
	struct w3s_err err = { 0 };
	struct w3s_commitment c0 = C(0, 0, 10), c1 = C(0, 0, 20);
	struct w3s_commitment c2 = C(0, 5, 15), c3 = C(0, 8, 12);
	struct w3s_commitment c4 = C(0, 8, 20);
	struct w3s_manifest m;

	/* add, drop, drop, add; given backwards. */
	m = delta(BUCKET, c3, c4, 4);
	w3s_replay_add(r, &m, 4, NULL, &err);
	m = delta(BUCKET, c2, c3, 3);
	w3s_replay_add(r, &m, 3, NULL, &err);
	m = delta(BUCKET, c1, c2, 2);
	w3s_replay_add(r, &m, 2, NULL, &err);
	m = delta(BUCKET, c0, c1, 1);
	w3s_replay_add(r, &m, 1, NULL, &err);
	ok(w3s_replay_plan(r, BUCKET, &c0, NULL, &p, &err) == 0 &&
	    p.nsteps == 4 && p.steps[0]->tag == 1 && p.steps[1]->tag == 2 &&
	    p.steps[2]->tag == 3 && p.steps[3]->tag == 4 && same(&p.end, &c4) &&
	    p.deletions == 2 && p.segments == 18 && p.code == 0,
	    "drops: add, drop, drop, add in order");
	w3s_replay_plan_free(&p);
	w3s_replay_until_parse("20", &u, &err);
	ok(w3s_replay_plan(r, BUCKET, &c0, &u, &p, &err) == 0 &&
	    p.nsteps == 1 && same(&p.end, &c1) && p.code == 0,
	    "drops: until seq 20 is the first commitment at seq 20");
	w3s_replay_plan_free(&p);
	memcpy(u.root, c3.mmr_root, W3S_H256);
	u.kind = W3S_UNTIL_ROOT;
	ok(w3s_replay_plan(r, BUCKET, &c0, &u, &p, &err) == 0 &&
	    p.nsteps == 3 && same(&p.end, &c3) && p.code == 0,
	    "drops: until the root after the second drop");
	w3s_replay_plan_free(&p);
	/* The bucket is after the first drop: the first two are old. */
	ok(w3s_replay_plan(r, BUCKET, &c2, NULL, &p, &err) == 0 &&
	    p.nsteps == 2 && p.old == 1 && p.applied == 1 && same(&p.end, &c4),
	    "drops: from after a drop (%zu old, %zu applied)", p.old,
	    p.applied);
	w3s_replay_plan_free(&p);
	/* A missing drop is a gap, not a fork. */
	w3s_replay_free(r);
	r = w3s_replay_new(NULL);
	m = delta(BUCKET, c0, c1, 1);
	w3s_replay_add(r, &m, 1, NULL, &err);
	m = delta(BUCKET, c2, c3, 3);
	w3s_replay_add(r, &m, 3, NULL, &err);
	ok(w3s_replay_plan(r, BUCKET, &c0, NULL, &p, &err) == 0 &&
	    p.nsteps == 1 && p.code == W3S_EINCOMPLETE && same(&p.gap_to, &c2),
	    "drops: a missing drop is a gap: %s", p.why.msg);
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);
}

static void
test_inputs(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_err err = { 0 };
	struct w3s_commitment cur = C(0, 0, 10);
	struct w3s_manifest m;
	uint64_t *ids;
	size_t n;
	int taken = -1;

	m = delta(9, cur, C(0, 0, 11), 1);
	ok(w3s_replay_add(r, &m, 1, &taken, &err) == 0 && taken == 1,
	    "inputs: another bucket's delta taken");
	m = delta(BUCKET, cur, C(0, 0, 11), 1);
	w3s_replay_add(r, &m, 2, NULL, &err);
	m.kind = W3S_STREAM_FULL;
	m.has_base = 0;
	ok(w3s_replay_add(r, &m, 3, &taken, &err) == 0 && taken == 0,
	    "inputs: a full snapshot is not a delta");
	m = delta(BUCKET, C(0, 0, 11), cur, 1);
	ok(w3s_replay_add(r, &m, 4, &taken, &err) == W3S_EMALFORMED &&
	    taken == 0, "inputs: a backwards delta is malformed");
	m = delta(BUCKET, cur, C(1, 0, 10), 1);
	ok(w3s_replay_add(r, &m, 4, &taken, &err) == W3S_EMALFORMED,
	    "inputs: a delta that goes nowhere is malformed");
	ok(w3s_replay_buckets(r, &ids, &n, &err) == 0 && n == 2 &&
	    ids[0] == BUCKET && ids[1] == 9, "inputs: buckets 7 and 9");
	free(ids);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
	    p.nsteps == 1 && p.steps[0]->tag == 2 && p.other_buckets == 1,
	    "inputs: the other bucket's delta left alone");
	w3s_replay_plan_free(&p);
	ok(w3s_replay_plan(r, 8, &cur, NULL, &p, &err) == 0 &&
	    p.nsteps == 0 && p.other_buckets == 2 && p.code == 0,
	    "inputs: no delta of the bucket");
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);
	w3s_replay_free(NULL);
	w3s_replay_plan_free(NULL);
}

static void
test_large(void)
{
	struct w3s_replay *r = w3s_replay_new(NULL);
	struct w3s_replay_plan p;
	struct w3s_err err = { 0 };
	struct w3s_commitment cur = C(0, 0, 0);

	add_chain(r, 0, 0, 50000, 1, UINT64_MAX);
	ok(w3s_replay_plan(r, BUCKET, &cur, NULL, &p, &err) == 0 &&
	    p.nsteps == 50000 && steps_in_order(&p, 0) &&
	    p.duplicates == 50000 && p.code == 0,
	    "large: 100,000 shuffled deltas, 50,000 steps in order");
	w3s_replay_plan_free(&p);
	w3s_replay_free(r);
}

int
main(void)
{
	test_until_parse();
	test_chain();
	test_old_without_history();
	test_gap();
	test_fork();
	test_diverged();
	test_behind();
	test_until();
	test_drops();
	test_inputs();
	test_large();
	return tap_done();
}
