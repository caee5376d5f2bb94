/* replay: planning the replay of deltas (see replay.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <w3s/buf.h>
#include <w3s/chain.h>
#include <w3s/hex.h>
#include <w3s/replay.h>
#include <w3s/store.h>

/* Where a delta stands against the bucket (replay.h). */
enum cls {
	CLS_NONE = 0,
	CLS_DUPLICATE,
	CLS_APPLIED,
	CLS_DIVERGED,
	CLS_NEXT,
	CLS_BEHIND,
	CLS_OLD,
	CLS_FUTURE,
	CLS_SPANS,
	CLS_OTHER_BUCKET,
};

struct entry {
	struct w3s_replay_delta d;
	size_t order;		/* order of addition */
	enum cls cls;
	int used;		/* a step of the plan */
};

struct w3s_replay {
	struct entry *e;
	size_t n, cap;
	/* History commitments at the position of a delta's base or target. */
	struct w3s_commitment *known;
	size_t nknown, capknown;
	/* The deltas' bases and targets, sorted, for w3s_replay_history. */
	struct w3s_commitment *ends;
	size_t nends;
	int ends_ready;
	/* Entries sorted by base (then target, then order): the chain. */
	struct entry **by_base;
};

/* ---- commitments ---------------------------------------------------- */

/* Position order: start_seq, then leaf_count. */
static int
cmp_pos(const struct w3s_commitment *a, const struct w3s_commitment *b)
{
	if (a->start_seq != b->start_seq)
		return a->start_seq < b->start_seq ? -1 : 1;
	if (a->leaf_count != b->leaf_count)
		return a->leaf_count < b->leaf_count ? -1 : 1;
	return 0;
}

static int
cmp_commit(const struct w3s_commitment *a, const struct w3s_commitment *b)
{
	int c = cmp_pos(a, b);

	return c != 0 ? c : memcmp(a->mmr_root, b->mmr_root, W3S_H256);
}

/* a at or before b on any one history: neither start_seq nor the
 * sequence number of b is smaller. */
static int
at_or_before(const struct w3s_commitment *a, const struct w3s_commitment *b)
{
	return a->start_seq <= b->start_seq &&
	    w3s_chain_range_end(a) <= w3s_chain_range_end(b);
}

static int
qcmp_commit(const void *a, const void *b)
{
	return cmp_commit(a, b);
}

void
w3s_replay_commit_text(const struct w3s_commitment *c, char *out)
{
	char root[W3S_HEX32_LEN];

	w3s_hex32_format(root, c->mmr_root);
	snprintf(out, W3S_REPLAY_COMMIT_TEXT, "%s (seq %llu, start_seq %llu)",
	    root, (unsigned long long)w3s_chain_range_end(c),
	    (unsigned long long)c->start_seq);
}

/* ---- --until -------------------------------------------------------- */

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int
parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!all_digits(s) || (s[0] == '0' && s[1] != '\0'))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

/* YYYY-MM-DDTHH:MM:SSZ (or a space for the T), checked field by field. */
static int
parse_iso(const char *s, int64_t *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int year, mon, day, hour, min, sec;
	struct tm tm;
	time_t v;

	if (strlen(s) != sizeof(shape) - 1)
		return -1;
	for (size_t i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    shape[i] == 'T' ? (s[i] != 'T' && s[i] != ' ') :
		    s[i] != shape[i])
			return -1;
	}
#define NUM2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
	year = NUM2(s) * 100 + NUM2(s + 2);
	mon = NUM2(s + 5);
	day = NUM2(s + 8);
	hour = NUM2(s + 11);
	min = NUM2(s + 14);
	sec = NUM2(s + 17);
#undef NUM2
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 ||
	    day > mdays[mon - 1] || hour > 23 || min > 59 || sec > 60)
		return -1;
	if (mon == 2 && day == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	v = timegm(&tm);
	if (v == (time_t)-1)
		return -1;
	*t = (int64_t)v;
	return 0;
}

int
w3s_replay_until_parse(const char *s, struct w3s_replay_until *u,
    struct w3s_err *err)
{
	uint64_t v;

	memset(u, 0, sizeof(*u));
	if (all_digits(s)) {
		if (parse_u64(s, &v) != 0)
			return w3s_err_set(err, W3S_EUSAGE, "--until: '%s' is "
			    "not a sequence number (decimal, no leading "
			    "zeros, below 2^64)", s);
		u->kind = W3S_UNTIL_SEQ;
		u->seq = v;
		return 0;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (w3s_hex32_parse(u->root, s, NULL) != 0)
			return w3s_err_set(err, W3S_EUSAGE, "--until: '%s' is "
			    "not an MMR root (0x and 64 hex digits)", s);
		u->kind = W3S_UNTIL_ROOT;
		return 0;
	}
	if (s[0] == '@') {
		if (parse_u64(s + 1, &v) != 0 || v > (uint64_t)INT64_MAX)
			return w3s_err_set(err, W3S_EUSAGE, "--until: '%s' is "
			    "not a time (@ and decimal Unix seconds)", s);
		u->kind = W3S_UNTIL_TIME;
		u->time = (int64_t)v;
		return 0;
	}
	if (parse_iso(s, &u->time) == 0) {
		u->kind = W3S_UNTIL_TIME;
		return 0;
	}
	return w3s_err_set(err, W3S_EUSAGE, "--until: '%s' is not a sequence "
	    "number, an MMR root (0x...), @unix-seconds or a UTC time "
	    "YYYY-MM-DDTHH:MM:SSZ", s);
}

void
w3s_replay_until_format(const struct w3s_replay_until *u, char *out,
    size_t len)
{
	char root[W3S_HEX32_LEN];
	struct tm tm;
	time_t t;

	switch (u->kind) {
	case W3S_UNTIL_SEQ:
		snprintf(out, len, "seq %llu", (unsigned long long)u->seq);
		break;
	case W3S_UNTIL_ROOT:
		w3s_hex32_format(root, u->root);
		snprintf(out, len, "root %s", root);
		break;
	case W3S_UNTIL_TIME:
		t = (time_t)u->time;
		if (gmtime_r(&t, &tm) != NULL)
			strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
		else
			snprintf(out, len, "@%lld", (long long)u->time);
		break;
	default:
		snprintf(out, len, "the end");
		break;
	}
}

/* ---- the planner ---------------------------------------------------- */

struct w3s_replay *
w3s_replay_new(struct w3s_err *err)
{
	struct w3s_replay *r = calloc(1, sizeof(*r));

	if (r == NULL)
		w3s_err_set(err, W3S_ESYS, "out of memory");
	return r;
}

void
w3s_replay_free(struct w3s_replay *r)
{
	if (r == NULL)
		return;
	free(r->e);
	free(r->known);
	free(r->ends);
	free(r->by_base);
	free(r);
}

int
w3s_replay_add(struct w3s_replay *r, const struct w3s_manifest *m,
    uint64_t tag, int *taken, struct w3s_err *err)
{
	struct entry *e;
	char b[W3S_REPLAY_COMMIT_TEXT], t[W3S_REPLAY_COMMIT_TEXT];

	if (taken != NULL)
		*taken = 0;
	if (m->kind != W3S_STREAM_DELTA || !m->has_base)
		return 0;
	if (!at_or_before(&m->base, &m->target) ||
	    cmp_pos(&m->base, &m->target) == 0) {
		w3s_replay_commit_text(&m->base, b);
		w3s_replay_commit_text(&m->target, t);
		return w3s_err_set(err, W3S_EMALFORMED, "a delta of bucket "
		    "%llu goes from %s back or nowhere to %s",
		    (unsigned long long)m->bucket, b, t);
	}
	if (w3s_array_grow(&r->e, &r->cap, r->n, sizeof(*r->e)) != 0)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	e = &r->e[r->n];
	memset(e, 0, sizeof(*e));
	e->d.tag = tag;
	e->d.bucket = m->bucket;
	e->d.base = m->base;
	e->d.target = m->target;
	e->d.created = m->created;
	e->d.counts = m->counts;
	e->d.nsigs = m->nsigs;
	e->order = r->n++;
	r->ends_ready = 0;
	if (taken != NULL)
		*taken = 1;
	return 0;
}

static int
qcmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
w3s_replay_buckets(const struct w3s_replay *r, uint64_t **ids, size_t *n,
    struct w3s_err *err)
{
	uint64_t *v;
	size_t k = 0;

	*ids = NULL;
	*n = 0;
	if (r->n == 0)
		return 0;
	if ((v = malloc(r->n * sizeof(*v))) == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	for (size_t i = 0; i < r->n; i++)
		v[i] = r->e[i].d.bucket;
	qsort(v, r->n, sizeof(*v), qcmp_u64);
	for (size_t i = 0; i < r->n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	*ids = v;
	*n = k;
	return 0;
}

/* The sorted bases and targets of every delta added. */
static int
ends_build(struct w3s_replay *r, struct w3s_err *err)
{
	struct w3s_commitment *v;

	if (r->ends_ready)
		return 0;
	if (r->n > SIZE_MAX / 2 / sizeof(*v) ||
	    (v = realloc(r->ends, (2 * r->n + 1) * sizeof(*v))) == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		v[2 * i] = r->e[i].d.base;
		v[2 * i + 1] = r->e[i].d.target;
	}
	if (r->n > 0)
		qsort(v, 2 * r->n, sizeof(*v), qcmp_commit);
	r->ends = v;
	r->nends = 2 * r->n;
	r->ends_ready = 1;
	return 0;
}

/* Index of the first commitment of v[0..n) not before c by cmp. */
static size_t
lower_bound(const struct w3s_commitment *v, size_t n,
    const struct w3s_commitment *c, int (*cmp)(const struct w3s_commitment *,
    const struct w3s_commitment *))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(&v[mid], c) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
has_pos(const struct w3s_commitment *v, size_t n,
    const struct w3s_commitment *c)
{
	size_t i = lower_bound(v, n, c, cmp_pos);

	return i < n && cmp_pos(&v[i], c) == 0;
}

static int
add_known(struct w3s_replay *r, const struct w3s_commitment *c,
    struct w3s_err *err)
{
	if (!has_pos(r->ends, r->nends, c))
		return 0;
	if (w3s_array_grow(&r->known, &r->capknown,
	    r->nknown, sizeof(*r->known)) != 0)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	r->known[r->nknown++] = *c;
	return 0;
}

int
w3s_replay_history(struct w3s_replay *r, const struct w3s_commitment *base,
    const struct w3s_commitment *target, struct w3s_err *err)
{
	int rc;

	if ((rc = ends_build(r, err)) != 0)
		return rc;
	if (base != NULL && (rc = add_known(r, base, err)) != 0)
		return rc;
	return add_known(r, target, err);
}

int
w3s_replay_load_history(struct w3s_replay *r, struct w3s_bucket *b,
    struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_change ch;
	int rc;

	if ((rc = w3s_bucket_changes(b, 0, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_change(it, &ch, err)) == 1) {
		/* An import's base is not a commitment this bucket held. */
		rc = w3s_replay_history(r, ch.kind == W3S_CHANGE_IMPORT ?
		    NULL : &ch.base, &ch.target, err);
		if (rc != 0)
			break;
	}
	w3s_store_iter_free(it);
	return rc < 0 ? rc : 0;
}

/* ---- planning ------------------------------------------------------- */

static int
qcmp_base(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;
	int c;

	if (x->d.bucket != y->d.bucket)
		return x->d.bucket < y->d.bucket ? -1 : 1;
	if ((c = cmp_commit(&x->d.base, &y->d.base)) != 0)
		return c;
	if ((c = cmp_commit(&x->d.target, &y->d.target)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Known commitments (sorted, with cur merged in by the caller's checks). */
static int
is_known(const struct w3s_replay *r, const struct w3s_commitment *cur,
    const struct w3s_commitment *c)
{
	size_t i;

	if (w3s_chain_commitment_eq(c, cur))
		return 1;
	i = lower_bound(r->known, r->nknown, c, cmp_commit);
	return i < r->nknown && w3s_chain_commitment_eq(&r->known[i], c);
}

/* A known commitment (or cur) at c's position with another root: 1 and
 * *ours set. */
static int
conflicts(const struct w3s_replay *r, const struct w3s_commitment *cur,
    const struct w3s_commitment *c, struct w3s_commitment *ours)
{
	size_t i;

	if (cmp_pos(c, cur) == 0 && !w3s_chain_commitment_eq(c, cur)) {
		*ours = *cur;
		return 1;
	}
	for (i = lower_bound(r->known, r->nknown, c, cmp_pos);
	    i < r->nknown && cmp_pos(&r->known[i], c) == 0; i++) {
		if (!w3s_chain_commitment_eq(&r->known[i], c)) {
			*ours = r->known[i];
			return 1;
		}
	}
	return 0;
}

static enum cls
classify(const struct w3s_replay *r, const struct w3s_commitment *cur,
    const struct entry *e, struct w3s_replay_plan *p)
{
	struct w3s_commitment ours;

	if (is_known(r, cur, &e->d.target))
		return CLS_APPLIED;
	if (conflicts(r, cur, &e->d.base, &ours) ||
	    conflicts(r, cur, &e->d.target, &ours)) {
		if (p->diverged++ == 0) {
			p->ours = ours;
			p->theirs = cmp_pos(&ours, &e->d.base) == 0 ?
			    e->d.base : e->d.target;
		}
		return CLS_DIVERGED;
	}
	if (w3s_chain_commitment_eq(&e->d.base, cur))
		return CLS_NEXT;
	if (is_known(r, cur, &e->d.base))
		return CLS_BEHIND;
	if (at_or_before(&e->d.target, cur))
		return CLS_OLD;
	if (at_or_before(cur, &e->d.base))
		return CLS_FUTURE;
	return CLS_SPANS;
}

/* The usable deltas (next, future) with this base: [*first, *end) of
 * by_base. */
static void
from_base(const struct w3s_replay *r, size_t nusable,
    const struct w3s_commitment *base, size_t *first, size_t *end)
{
	size_t lo = 0, hi = nusable;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_commit(&r->by_base[mid]->d.base, base) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo < nusable &&
	    w3s_chain_commitment_eq(&r->by_base[lo]->d.base, base))
		lo++;
	*end = lo;
}

static void
stop_msg(struct w3s_replay_plan *p, enum w3s_replay_stop stop, int code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
stop_msg(struct w3s_replay_plan *p, enum w3s_replay_stop stop, int code,
    const char *fmt, ...)
{
	va_list ap;

	p->stop = stop;
	p->code = code;
	p->why.code = code;
	va_start(ap, fmt);
	vsnprintf(p->why.msg, sizeof(p->why.msg), fmt, ap);
	va_end(ap);
}

/* Whether --until is reached at commitment pos (before taking step next,
 * NULL at the end of the chain). */
static int
until_reached(const struct w3s_replay_until *u,
    const struct w3s_commitment *pos, const struct entry *next)
{
	switch (u == NULL ? W3S_UNTIL_NONE : u->kind) {
	case W3S_UNTIL_SEQ:
		return w3s_chain_range_end(pos) >= u->seq;
	case W3S_UNTIL_ROOT:
		return memcmp(pos->mmr_root, u->root, W3S_H256) == 0;
	case W3S_UNTIL_TIME:
		return next != NULL && next->d.created > (uint64_t)u->time;
	default:
		return 0;
	}
}

void
w3s_replay_plan_free(struct w3s_replay_plan *p)
{
	if (p == NULL)
		return;
	free((void *)p->steps);
	p->steps = NULL;
	p->nsteps = 0;
}

/* Walks the chain from cur; fills the steps and the stop. */
static int
walk(struct w3s_replay *r, size_t nusable, const struct w3s_commitment *cur,
    const struct w3s_replay_until *until, struct w3s_replay_plan *p,
    struct w3s_err *err)
{
	const struct w3s_replay_delta **steps = NULL;
	char a[W3S_REPLAY_COMMIT_TEXT], b[W3S_REPLAY_COMMIT_TEXT];
	char c[W3S_REPLAY_COMMIT_TEXT], u[96];
	struct w3s_commitment pos = *cur;
	size_t cap = 0, first, end;
	struct entry *next;

	if (until != NULL && until->kind == W3S_UNTIL_SEQ &&
	    w3s_chain_range_end(cur) > until->seq) {
		w3s_replay_commit_text(cur, a);
		stop_msg(p, W3S_REPLAY_PAST, W3S_ENOTAPPLY, "bucket %llu is "
		    "already past seq %llu: it is at %s",
		    (unsigned long long)p->bucket,
		    (unsigned long long)until->seq, a);
	}
	if (until != NULL && until->kind == W3S_UNTIL_ROOT &&
	    memcmp(cur->mmr_root, until->root, W3S_H256) != 0) {
		for (size_t i = 0; i < r->nknown; i++) {
			if (memcmp(r->known[i].mmr_root, until->root,
			    W3S_H256) != 0)
				continue;
			w3s_replay_commit_text(&r->known[i], a);
			w3s_replay_commit_text(cur, b);
			stop_msg(p, W3S_REPLAY_PAST, W3S_ENOTAPPLY, "bucket "
			    "%llu is already past %s: it is at %s",
			    (unsigned long long)p->bucket, a, b);
			break;
		}
	}
	while (p->stop == W3S_REPLAY_DONE) {
		from_base(r, nusable, &pos, &first, &end);
		/* Duplicates were classified away: each target once. */
		next = first < end ? r->by_base[first] : NULL;
		if (until_reached(until, &pos, next)) {
			stop_msg(p, W3S_REPLAY_UNTIL, 0, "reached --until");
			break;
		}
		if (next == NULL)
			break;
		if (end - first > 1) {
			p->fork_a = r->by_base[first]->d.target;
			p->fork_b = r->by_base[first + 1]->d.target;
			w3s_replay_commit_text(&pos, a);
			w3s_replay_commit_text(&p->fork_a, b);
			w3s_replay_commit_text(&p->fork_b, c);
			stop_msg(p, W3S_REPLAY_FORK, W3S_ENOTAPPLY, "forked "
			    "history: two deltas from %s, to %s and to %s",
			    a, b, c);
			break;
		}
		if (until != NULL && until->kind == W3S_UNTIL_SEQ &&
		    w3s_chain_range_end(&next->d.target) > until->seq) {
			w3s_replay_commit_text(&pos, a);
			w3s_replay_commit_text(&next->d.target, b);
			stop_msg(p, W3S_REPLAY_PAST, W3S_ENOTAPPLY, "no "
			    "commitment at seq %llu: a delta goes from %s to "
			    "%s", (unsigned long long)until->seq, a, b);
			break;
		}
		if (w3s_array_grow(&steps, &cap,
		    p->nsteps, sizeof(*steps)) != 0) {
			free(steps);
			return w3s_err_set(err, W3S_ESYS, "out of memory");
		}
		next->used = 1;
		steps[p->nsteps++] = &next->d;
		p->end = next->d.target;
		pos = next->d.target;
	}
	p->steps = (const struct w3s_replay_delta *const *)steps;
	if (p->stop == W3S_REPLAY_PAST) {
		/* Nothing, rather than a state that was not asked for. */
		/* d is the first member of its entry. */
		for (size_t i = 0; i < p->nsteps; i++)
			((struct entry *)(void *)steps[i])->used = 0;
		p->nsteps = 0;
		p->end = p->start;
	}
	for (size_t i = 0; i < p->nsteps; i++) {
		p->segments += steps[i]->counts.segments;
		p->deletions += steps[i]->counts.deletions;
		p->chunks += steps[i]->counts.chunks;
		p->chunk_bytes += steps[i]->counts.chunk_bytes;
	}
	/* Held: usable deltas the chain did not reach. The nearest base
	 * names the end of the gap. */
	for (size_t i = 0; i < nusable; i++) {
		const struct entry *e = r->by_base[i];

		if (e->used)
			continue;
		if (p->stop == W3S_REPLAY_FORK &&
		    w3s_chain_commitment_eq(&e->d.base, &p->end))
			continue;
		if (p->held++ == 0 || cmp_pos(&e->d.base, &p->gap_to) < 0)
			p->gap_to = e->d.base;
	}
	if (p->stop != W3S_REPLAY_DONE)
		return 0;
	w3s_replay_commit_text(&p->end, a);
	if (p->held > 0) {
		p->has_gap_to = 1;
		w3s_replay_commit_text(&p->gap_to, b);
		stop_msg(p, W3S_REPLAY_GAP, W3S_EINCOMPLETE, "missing deltas "
		    "from %s to %s (%zu held)", a, b, p->held);
	} else if (until != NULL && (until->kind == W3S_UNTIL_SEQ ||
	    until->kind == W3S_UNTIL_ROOT)) {
		w3s_replay_until_format(until, u, sizeof(u));
		stop_msg(p, W3S_REPLAY_GAP, W3S_EINCOMPLETE, "missing deltas "
		    "from %s to %s", a, u);
	} else if (p->nsteps == 0 && p->spans > 0) {
		w3s_replay_commit_text(&p->start, a);
		w3s_replay_commit_text(&p->ours, b);
		w3s_replay_commit_text(&p->theirs, c);
		stop_msg(p, W3S_REPLAY_DIVERGED, W3S_ENOTAPPLY, "the deltas do "
		    "not pass through the bucket's commitment %s: one goes "
		    "from %s to %s", a, b, c);
	}
	return 0;
}

int
w3s_replay_plan(struct w3s_replay *r, uint64_t bucket,
    const struct w3s_commitment *cur, const struct w3s_replay_until *until,
    struct w3s_replay_plan *p, struct w3s_err *err)
{
	char a[W3S_REPLAY_COMMIT_TEXT], b[W3S_REPLAY_COMMIT_TEXT];
	size_t nusable = 0, i;
	struct entry **v;
	int rc;

	memset(p, 0, sizeof(*p));
	p->bucket = bucket;
	p->start = *cur;
	p->end = *cur;
	if ((rc = ends_build(r, err)) != 0)
		return rc;
	if (r->nknown > 0)
		qsort(r->known, r->nknown, sizeof(*r->known), qcmp_commit);
	free(r->by_base);
	r->by_base = NULL;
	if ((v = malloc((r->n + 1) * sizeof(*v))) == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	r->by_base = v;
	for (i = 0; i < r->n; i++) {
		r->e[i].cls = r->e[i].d.bucket == bucket ? CLS_NONE :
		    CLS_OTHER_BUCKET;
		r->e[i].used = 0;
		v[i] = &r->e[i];
	}
	if (r->n > 0)
		qsort(v, r->n, sizeof(*v), qcmp_base);
	/* Duplicates: the same base and target as the entry before (sorted
	 * by base, target, then order: the first added comes first). */
	for (i = 0; i < r->n; i++) {
		struct entry *e = v[i];

		if (e->cls == CLS_OTHER_BUCKET) {
			p->other_buckets++;
			continue;
		}
		if (i > 0 && v[i - 1]->d.bucket == bucket &&
		    w3s_chain_commitment_eq(&v[i - 1]->d.base, &e->d.base) &&
		    w3s_chain_commitment_eq(&v[i - 1]->d.target,
		    &e->d.target)) {
			e->cls = CLS_DUPLICATE;
			p->duplicates++;
			continue;
		}
		e->cls = classify(r, cur, e, p);
		switch (e->cls) {
		case CLS_APPLIED: p->applied++; break;
		case CLS_BEHIND: p->behind++; break;
		case CLS_OLD: p->old++; break;
		case CLS_SPANS:
			if (p->spans++ == 0 && p->diverged == 0) {
				p->ours = e->d.base;
				p->theirs = e->d.target;
			}
			break;
		default: break;
		}
	}
	/* The usable ones first, still sorted by base. */
	for (i = 0; i < r->n; i++)
		if (v[i]->cls == CLS_NEXT || v[i]->cls == CLS_FUTURE)
			v[nusable++] = v[i];
	if (p->diverged > 0) {
		w3s_replay_commit_text(&p->ours, a);
		w3s_replay_commit_text(&p->theirs, b);
		stop_msg(p, W3S_REPLAY_DIVERGED, W3S_ENOTAPPLY, "diverged "
		    "history: the bucket has %s where a delta has %s", a, b);
		p->held = nusable;
		return 0;
	}
	return walk(r, nusable, cur, until, p, err);
}
