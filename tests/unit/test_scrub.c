/* Unit tests of the scrub (lib/scrub.c): a clean bucket, corrupt and
 * missing chunks found and reported in order whatever the number of
 * threads (also past the job ring, where the caller takes results half
 * a ring at a time), a wrong data root, the trusted root, progress, the
 * sample scrub and the catch probability. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/scrub.h>

#include "fixture_bucket.h"
#include "tap.h"

#define MAXP 16

struct seen {
	size_t n;
	enum w3s_scrub_kind kind[MAXP];
	uint64_t seq[MAXP], index[MAXP];
};

static void
collect(void *ctx, const struct w3s_scrub_problem *p)
{
	struct seen *s = ctx;

	if (s->n < MAXP) {
		s->kind[s->n] = p->kind;
		s->seq[s->n] = p->seq;
		s->index[s->n] = p->index;
	}
	s->n++;
}

/* What the progress callback saw. */
struct progress_seen {
	pthread_t caller;
	size_t calls;
	uint64_t done, total;
	int backwards;		/* done went down, or the total changed */
	int other_thread;
};

static void
on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress_seen *ps = ctx;

	if (ps->calls > 0 && (done < ps->done || total != ps->total))
		ps->backwards = 1;
	if (!pthread_equal(pthread_self(), ps->caller))
		ps->other_thread = 1;
	ps->calls++;
	ps->done = done;
	ps->total = total;
}

static int
scrub(struct w3s_bucket *b, unsigned jobs, const uint8_t *trust,
    struct seen *s, struct w3s_scrub_report *r)
{
	struct w3s_scrub_opts o = { jobs, trust, collect, s, NULL, NULL };
	struct w3s_err err = { 0 };

	memset(s, 0, sizeof(*s));
	return w3s_scrub_bucket(b, &o, r, &err);
}

/* 300 one-chunk segments, more than four rings of jobs: stored chunks
 * 37, 74, ... are corrupted and 53, 106, ... deleted (chunk id k is
 * segment k - 1's); every thread count reports the 13 in segment order. */
static void
many_chunks(struct w3s_store *st)
{
	size_t sizes[300];
	struct w3s_bucket *b = fx_bucket(st, 2, 1);
	struct w3s_scrub_report r;
	struct w3s_commitment c;
	struct seen s1, s;
	int rc, ordered = 1, expected = 1;

	for (size_t k = 0; k < 300; k++)
		sizes[k] = 1000 + k;
	fx_add(b, sizes, 300, &c);
	w3s_bucket_close(b);
	b = fx_bucket(st, 2, 0);
	rc = scrub(b, 2, NULL, &s1, &r);
	ok(rc == 0 && s1.n == 0 && r.chunk_refs == 300, "300 chunks scrub"
	    " clean");
	fx_sql(2, "chunks.db", "UPDATE chunk SET data = randomblob(size)"
	    " WHERE id % 37 = 0");
	fx_sql(2, "chunks.db", "DELETE FROM chunk WHERE id % 53 = 0");
	rc = scrub(b, 1, NULL, &s1, &r);
	for (size_t i = 0; i < s1.n && i < MAXP; i++) {
		uint64_t id = s1.seq[i] + 1;

		if (i > 0 && s1.seq[i] <= s1.seq[i - 1])
			ordered = 0;
		if (!(id % 37 == 0 && s1.kind[i] == W3S_SCRUB_CHUNK_CORRUPT) &&
		    !(id % 53 == 0 && s1.kind[i] == W3S_SCRUB_CHUNK_MISSING))
			expected = 0;
	}
	ok(rc == W3S_EVERIFY && s1.n == 13 && r.corrupt == 8 &&
	    r.missing == 5 && ordered && expected, "one thread: 8 corrupt"
	    " and 5 missing, in segment order");
	for (unsigned jobs = 2; jobs <= 8; jobs++) {
		rc = scrub(b, jobs, NULL, &s, &r);
		ok(rc == W3S_EVERIFY && s.n == s1.n && memcmp(s.kind, s1.kind,
		    sizeof(s.kind)) == 0 && memcmp(s.seq, s1.seq,
		    sizeof(s.seq)) == 0 && r.chunk_refs == 300,
		    "%u threads report the same 13", jobs);
	}
	w3s_bucket_close(b);
}

int
main(void)
{
	static const size_t sizes[] = { 700000, 5, 262144 * 3 };
	struct w3s_store *st = fx_store(1);
	struct w3s_bucket *b = fx_bucket(st, 1, 1);
	struct w3s_scrub_report r, r1;
	struct w3s_scrub_opts so;
	struct w3s_commitment c;
	struct w3s_err err = { 0 };
	struct seen s, s1;
	uint8_t zero[32] = { 0 };
	int rc;

	fx_add(b, sizes, 3, &c);
	w3s_bucket_close(b);
	b = fx_bucket(st, 1, 0);

	rc = scrub(b, 0, NULL, &s, &r);
	ok(rc == 0 && s.n == 0, "a clean bucket scrubs");
	is_int((long long)r.segments, 3, "segments");
	is_int((long long)r.chunk_refs, 3 + 1 + 3, "chunk references");
	is_int((long long)r.bytes, 700000 + 5 + 262144 * 3, "bytes hashed");
	ok(memcmp(r.commitment.mmr_root, c.mmr_root, 32) == 0 &&
	    r.commitment.leaf_count == 3, "the commitment of the snapshot");
	for (unsigned jobs = 1; jobs <= 4; jobs *= 4) {
		struct progress_seen ps = { pthread_self(), 0, 0, 0, 0, 0 };
		struct w3s_scrub_opts po = { jobs, NULL, NULL, NULL,
		    on_progress, &ps };

		rc = w3s_scrub_bucket(b, &po, &r, &err);
		ok(rc == 0 && ps.calls >= 2 && !ps.backwards &&
		    !ps.other_thread, "%u threads: progress on the calling"
		    " thread, never backwards", jobs);
		ok(ps.total == 700000 + 5 + 262144 * 3 && ps.done == ps.total &&
		    ps.done == r.bytes, "%u threads: it ends at the exact"
		    " total of chunk bytes", jobs);
	}
	rc = scrub(b, 2, c.mmr_root, &s, &r);
	ok(rc == 0, "the trusted root matches");
	rc = scrub(b, 2, zero, &s, &r);
	ok(rc == W3S_EVERIFY && s.n == 1 && s.kind[0] == W3S_SCRUB_BUCKET,
	    "a wrong trusted root is a bucket problem");

	fx_sql(1, "chunks.db", "UPDATE chunk SET data = randomblob(size)"
	    " WHERE hash = (SELECT hash FROM chunk ORDER BY id LIMIT 1 OFFSET 1)");
	fx_sql(1, "chunks.db", "DELETE FROM chunk WHERE id = (SELECT max(id)"
	    " FROM chunk)");
	rc = scrub(b, 1, NULL, &s1, &r1);
	ok(rc == W3S_EVERIFY, "corrupt and missing: W3S_EVERIFY");
	/* Segment 0's first two chunks are the same bytes, and so are
	 * segment 2's three: the second stored chunk is segment 0's chunk
	 * 2, the last one is referenced three times, all missing. */
	ok(s1.n == 4 && s1.kind[0] == W3S_SCRUB_CHUNK_CORRUPT &&
	    s1.seq[0] == 0 && s1.index[0] == 2, "the corrupt chunk, first");
	ok(s1.n == 4 && s1.kind[1] == W3S_SCRUB_CHUNK_MISSING &&
	    s1.seq[1] == 2 && s1.index[1] == 0 && s1.index[3] == 2,
	    "then each reference of the missing chunk, in order");
	is_int((long long)r1.corrupt, 1, "one corrupt");
	is_int((long long)r1.missing, 3, "three missing references");
	for (unsigned jobs = 2; jobs <= 8; jobs *= 2) {
		rc = scrub(b, jobs, NULL, &s, &r);
		ok(rc == W3S_EVERIFY && s.n == s1.n && memcmp(s.kind, s1.kind,
		    sizeof(s.kind)) == 0 && memcmp(s.seq, s1.seq,
		    sizeof(s.seq)) == 0 && memcmp(s.index, s1.index,
		    sizeof(s.index)) == 0, "%u threads report the same", jobs);
	}

	/* Sample: every draw of a 7-reference population; with two bad
	 * references, 200 draws find at least one. */
	memset(&so, 0, sizeof(so));
	so.problem = collect;
	so.ctx = &s;
	memset(&s, 0, sizeof(s));
	rc = w3s_scrub_sample(b, 200, &so, &r, &err);
	ok(rc == W3S_EVERIFY || rc == W3S_EINCOMPLETE, "the sample finds a"
	    " bad chunk");
	is_int((long long)r.total_chunk_refs, 7, "the population");
	is_int((long long)r.chunk_refs, 200, "200 drawn");

	fx_sql(1, "meta.db", "UPDATE segment_chunk SET size = size + 1 WHERE"
	    " seq = 1");
	rc = scrub(b, 2, NULL, &s, &r);
	/* Its chunk is now the wrong size too: a corrupt reference, then the
	 * segment, then segment 2's. */
	ok(rc == W3S_EVERIFY && s.n == 6 && s.kind[1] ==
	    W3S_SCRUB_CHUNK_CORRUPT && s.seq[1] == 1 && s.kind[2] ==
	    W3S_SCRUB_SEGMENT && s.seq[2] == 1 && s.kind[3] ==
	    W3S_SCRUB_CHUNK_MISSING, "a segment whose chunk list does not"
	    " give its size is named, in segment order");

	ok(w3s_scrub_catch_probability(0, 0.5) == 0.0, "no draw catches"
	    " nothing");
	ok(w3s_scrub_catch_probability(10, 1.0) == 1.0, "total loss");
	ok(w3s_scrub_catch_probability(20, 0.1) > 0.8784 &&
	    w3s_scrub_catch_probability(20, 0.1) < 0.8785, "1 - 0.9^20");
	ok(w3s_scrub_catch_probability(1000000, 0.001) > 0.999999,
	    "many draws");

	w3s_bucket_close(b);
	many_chunks(st);
	w3s_store_close(st);
	fx_cleanup();
	return tap_done();
}
