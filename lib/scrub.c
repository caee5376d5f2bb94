/* The store scrub: w3s_bucket_check_hooked walks the commitment side on
 * this thread and hands each chunk reference to a ring of jobs; worker
 * threads, each with its own chunk reader, read and hash the payloads.
 * Results are taken from the ring in the order the references were made,
 * so problems come out in the same order whatever the number of threads. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/proof.h>
#include <w3s/scrub.h>

#define RING 64
#define MAX_JOBS 256

enum { JOB_QUEUED = 1, JOB_DONE };

struct job {
	uint8_t hash[W3S_H256];
	uint64_t n;		/* the job's number: produced when queued */
	uint64_t seq;
	uint64_t index;
	uint64_t size;
	int state;
	int present;
	int corrupt;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work;	/* a job was queued, or stop */
	pthread_cond_t done;	/* a job is done */
	struct job ring[RING];
	uint64_t produced, taken, consumed;
	int stop;
	int failed;		/* a worker's read failed: fail_err */
	int waiting;		/* the caller waits for job number wait_for */
	uint64_t wait_for;
	struct w3s_err fail_err;

	/* The calling thread's side. */
	const struct w3s_scrub_opts *o;
	struct w3s_scrub_report *r;
	struct w3s_err *err;
	int worst;		/* W3S_EVERIFY over W3S_EINCOMPLETE over 0 */
	uint64_t verified;	/* chunk bytes of the results taken */
	uint64_t total;		/* for o->progress */
};

struct worker {
	struct pool *p;
	struct w3s_chunk_reader *reader;
	pthread_t thread;
	int started;
};

struct hashed {
	const struct job *j;
	int corrupt;
};

static int
hash_chunk(void *ctx, const uint8_t *data, size_t len)
{
	struct hashed *h = ctx;
	uint8_t got[W3S_H256];

	w3s_hash_blake2b(got, data, len);
	h->corrupt = len != h->j->size ||
	    memcmp(got, h->j->hash, W3S_H256) != 0;
	return 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;
	struct w3s_err err = { 0 };

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct hashed h;
		struct job *j;
		int present = 0, rc;

		while (!p->stop && p->taken == p->produced)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->taken == p->produced)
			break;
		j = &p->ring[p->taken++ % RING];
		pthread_mutex_unlock(&p->mu);
		h.j = j;
		h.corrupt = 0;
		rc = p->failed ? 0 : w3s_chunk_reader_with(w->reader, j->hash,
		    hash_chunk, &h, &present, &err);
		pthread_mutex_lock(&p->mu);
		if (rc != 0 && !p->failed) {
			p->failed = 1;
			p->fail_err = err;
		}
		j->present = present;
		j->corrupt = h.corrupt;
		j->state = JOB_DONE;
		/* Only the caller waits on done, and only for one job: a
		 * wakeup for any other is wasted. */
		if (p->waiting && j->n == p->wait_for)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Hands a problem to the caller and counts it. */
static void
report(struct pool *p, struct w3s_scrub_problem *pr)
{
	int code = pr->code;

	switch (pr->kind) {
	case W3S_SCRUB_CHUNK_CORRUPT:
		p->r->corrupt++;
		break;
	case W3S_SCRUB_CHUNK_MISSING:
		p->r->missing++;
		break;
	case W3S_SCRUB_SEGMENT:
		p->r->segment_problems++;
		break;
	case W3S_SCRUB_BUCKET:
		p->r->bucket_problems++;
		break;
	}
	if (p->worst == 0 || (code == W3S_EVERIFY && p->worst != W3S_EVERIFY))
		w3s_err_set(p->err, code, "%s", pr->msg);
	if (code == W3S_EVERIFY || p->worst == 0)
		p->worst = code;
	if (p->o->problem != NULL)
		p->o->problem(p->o->ctx, pr);
}

static void
report_chunk(struct pool *p, const struct job *j)
{
	struct w3s_scrub_problem pr;
	char hex[W3S_HEX32_LEN], msg[160];

	memset(&pr, 0, sizeof(pr));
	pr.seq = j->seq;
	pr.index = j->index;
	memcpy(pr.hash, j->hash, W3S_H256);
	w3s_hex32_format(hex, j->hash);
	if (!j->present) {
		pr.kind = W3S_SCRUB_CHUNK_MISSING;
		pr.code = W3S_EINCOMPLETE;
		snprintf(msg, sizeof(msg), "segment %" PRIu64 ": chunk %"
		    PRIu64 " (%s) is missing", j->seq, j->index, hex);
	} else {
		pr.kind = W3S_SCRUB_CHUNK_CORRUPT;
		pr.code = W3S_EVERIFY;
		snprintf(msg, sizeof(msg), "segment %" PRIu64 ": chunk %"
		    PRIu64 " (%s) is corrupt", j->seq, j->index, hex);
	}
	pr.msg = msg;
	report(p, &pr);
}

/* Takes the results of the jobs before number upto, in order, waiting
 * for each that is not done; called with the lock held, which it drops
 * while reporting. The caller waits for a whole half ring at a time, not
 * job by job: a wakeup per chunk was 2.7 context switches per chunk and
 * kept taking a core from the hashing threads. */
static void
consume_until(struct pool *p, uint64_t upto)
{
	while (p->consumed < upto) {
		struct job *j = &p->ring[p->consumed % RING];
		struct job copy;

		if (j->state != JOB_DONE) {
			/* The last job asked for is likely the last to be
			 * done; if one before it is still under way, the
			 * next turn waits for that one. */
			const struct job *last = &p->ring[(upto - 1) % RING];

			p->wait_for = last->state == JOB_DONE ? j->n : last->n;
			p->waiting = 1;
			pthread_cond_wait(&p->done, &p->mu);
			p->waiting = 0;
			continue;
		}
		copy = *j;
		j->state = 0;
		p->consumed++;
		p->verified += copy.size;
		if (copy.present && !copy.corrupt)
			continue;
		pthread_mutex_unlock(&p->mu);
		report_chunk(p, &copy);
		pthread_mutex_lock(&p->mu);
	}
}

static int
drain(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	consume_until(p, p->produced);
	pthread_mutex_unlock(&p->mu);
	if (p->failed) {
		*p->err = p->fail_err;
		return p->fail_err.code ? p->fail_err.code : W3S_ESYS;
	}
	return 0;
}

static int
on_chunk(void *ctx, uint64_t seq, uint64_t index,
    const uint8_t hash[W3S_H256], uint64_t size, struct w3s_err *err)
{
	struct pool *p = ctx;
	struct job *j;

	pthread_mutex_lock(&p->mu);
	if (p->failed) {
		*err = p->fail_err;
		pthread_mutex_unlock(&p->mu);
		return err->code ? err->code : W3S_ESYS;
	}
	if (p->produced - p->consumed >= RING)
		consume_until(p, p->produced - RING / 2);
	j = &p->ring[p->produced % RING];
	memcpy(j->hash, hash, W3S_H256);
	j->n = p->produced;
	j->seq = seq;
	j->index = index;
	j->size = size;
	j->state = JOB_QUEUED;
	p->produced++;
	p->r->chunk_refs++;
	p->r->bytes += size;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	/* verified is only written on this thread (consume_until). */
	if (p->o->progress != NULL)
		p->o->progress(p->o->progress_ctx, p->verified, p->total);
	return 0;
}

/* The exact total for the progress callback: the chunk bytes of every
 * segment in the snapshot (each segment's data size is the sum of its
 * chunks' sizes, as the check verifies). */
static int
progress_total(struct w3s_bucket *b, uint64_t *total, struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_segment seg;
	int rc;

	*total = 0;
	if ((rc = w3s_bucket_segments(b, 0, UINT64_MAX, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_segment(it, &seg, err)) == 1)
		*total += seg.leaf.data_size;
	w3s_store_iter_free(it);
	return rc < 0 ? rc : 0;
}

/* A problem of the commitment side: the chunks checked so far are
 * reported first, so a segment's chunks come before the segment. */
static int
on_problem(void *ctx, int code, int has_seq, uint64_t seq, const char *msg)
{
	struct pool *p = ctx;
	struct w3s_scrub_problem pr;
	char copy[W3S_ERR_MSG_MAX];
	int rc;

	snprintf(copy, sizeof(copy), "%s", msg);
	if ((rc = drain(p)) != 0)
		return rc;
	memset(&pr, 0, sizeof(pr));
	pr.kind = has_seq ? W3S_SCRUB_SEGMENT : W3S_SCRUB_BUCKET;
	pr.code = code == W3S_EINCOMPLETE ? W3S_EINCOMPLETE : W3S_EVERIFY;
	pr.seq = seq;
	pr.msg = copy;
	report(p, &pr);
	return 0;
}

static unsigned
default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : (unsigned)n;
}

static void
bucket_problem(struct pool *p, const char *msg)
{
	struct w3s_scrub_problem pr;

	memset(&pr, 0, sizeof(pr));
	pr.kind = W3S_SCRUB_BUCKET;
	pr.code = W3S_EVERIFY;
	pr.msg = msg;
	report(p, &pr);
}

/* The trusted root, when given, must be the commitment's. */
static void
check_trust_root(struct pool *p, uint64_t id)
{
	char want[W3S_HEX32_LEN], msg[256];

	if (p->o->trust_root == NULL || memcmp(p->o->trust_root,
	    p->r->commitment.mmr_root, W3S_H256) == 0)
		return;
	w3s_hex32_format(want, p->o->trust_root);
	snprintf(msg, sizeof(msg), "bucket %" PRIu64 ": its commitment's"
	    " root is not the trusted root %s", id, want);
	bucket_problem(p, msg);
}

static void
pool_init(struct pool *p, const struct w3s_scrub_opts *o,
    struct w3s_scrub_report *r, struct w3s_err *err)
{
	static const pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static const pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

	memset(p, 0, sizeof(*p));
	p->mu = mu;
	p->work = cond;
	p->done = cond;
	p->o = o;
	p->r = r;
	p->err = err;
	memset(r, 0, sizeof(*r));
}

int
w3s_scrub_bucket(struct w3s_bucket *b, const struct w3s_scrub_opts *o,
    struct w3s_scrub_report *r, struct w3s_err *err)
{
	struct w3s_check_hooks hooks;
	struct w3s_check_report cr;
	struct worker *w = NULL;
	struct pool p;
	unsigned n;
	int rc;

	pool_init(&p, o, r, err);
	n = o->jobs ? (o->jobs > MAX_JOBS ? MAX_JOBS : o->jobs) :
	    default_jobs();
	r->jobs = n;
	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	if ((rc = w3s_bucket_commitment(b, &r->commitment, err)) != 0)
		goto out_read;
	if (o->progress != NULL &&
	    (rc = progress_total(b, &p.total, err)) != 0)
		goto out_read;
	if ((w = calloc(n, sizeof(*w))) == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto out_threads;
	}
	for (unsigned i = 0; i < n; i++) {
		w[i].p = &p;
		if ((rc = w3s_bucket_chunk_reader(b, &w[i].reader, err)) != 0)
			goto out_threads;
		if (pthread_create(&w[i].thread, NULL, worker_main,
		    &w[i]) != 0) {
			rc = w3s_err_set(err, W3S_ESYS, "cannot start the"
			    " scrub's threads");
			goto out_threads;
		}
		w[i].started = 1;
	}
	hooks.ctx = &p;
	hooks.problem = on_problem;
	hooks.chunk = on_chunk;
	rc = w3s_bucket_check_hooked(b, 0, &hooks, &cr, err);
	if (rc == 0)
		rc = drain(&p);
	if (rc == 0 && o->progress != NULL)
		o->progress(o->progress_ctx, p.verified, p.total);
	if (rc == 0) {
		r->segments = cr.segments;
		check_trust_root(&p, w3s_bucket_id(b));
		rc = p.worst;
	}
out_threads:
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	p.failed = 1;	/* what is still queued is not read */
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (unsigned i = 0; w != NULL && i < n; i++) {
		if (w[i].started)
			pthread_join(w[i].thread, NULL);
		w3s_chunk_reader_free(w[i].reader);
	}
	free(w);
out_read:
	w3s_bucket_read_end(b);
	return rc;
}

/* ---- sampling ------------------------------------------------------- */

/* A uniform random number below n (n > 0), by rejection. */
static int
random_below(uint64_t n, uint64_t *v, struct w3s_err *err)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;

	do {
		if (getrandom(&x, sizeof(x), 0) != sizeof(x))
			return w3s_err_sys(err, errno ? errno : EIO,
			    "cannot get"
			    " random numbers");
	} while (x >= limit);
	*v = x % n;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The hash of chunk index of segment seq, from its chunk list. */
static int
listed_hash(struct w3s_bucket *b, uint64_t seq, uint64_t index,
    uint8_t hash[W3S_H256], uint64_t *size, struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_chunk_ref ref;
	int rc;

	if ((rc = w3s_bucket_chunks(b, seq, seq + 1, 0, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_chunk(it, &ref, err)) == 1)
		if (ref.index == index)
			break;
	w3s_store_iter_free(it);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return w3s_err_set(err, W3S_EVERIFY, "segment %" PRIu64
		    ": its chunk list has no chunk %" PRIu64, seq, index);
	memcpy(hash, ref.hash, W3S_H256);
	*size = ref.size;
	return 0;
}

/* One sampled chunk reference: its bytes against its hash, then the
 * whole answer under the chain's rules. */
static int
sample_one(struct pool *p, struct w3s_bucket *b, uint64_t seq,
    uint64_t index, struct w3s_buf *ans, struct w3s_buf *data)
{
	const struct w3s_commitment *c = &p->r->commitment;
	struct w3s_scrub_problem pr;
	struct w3s_err e = { 0 };
	uint8_t got[W3S_H256];
	char hex[W3S_HEX32_LEN], msg[W3S_ERR_MSG_MAX + 64];
	uint64_t size;
	int rc;

	memset(&pr, 0, sizeof(pr));
	pr.seq = seq;
	pr.index = index;
	pr.msg = msg;
	pr.code = W3S_EVERIFY;
	pr.kind = W3S_SCRUB_SEGMENT;
	if ((rc = listed_hash(b, seq, index, pr.hash, &size, &e)) != 0)
		goto problem;
	p->r->chunk_refs++;
	w3s_hex32_format(hex, pr.hash);
	data->len = 0;
	rc = w3s_bucket_chunk_get(b, pr.hash, data, &e);
	if (rc == W3S_EINCOMPLETE) {
		pr.kind = W3S_SCRUB_CHUNK_MISSING;
		pr.code = W3S_EINCOMPLETE;
		snprintf(msg, sizeof(msg), "segment %" PRIu64 ": chunk %"
		    PRIu64 " (%s) is missing", seq, index, hex);
		report(p, &pr);
		return 0;
	}
	if (rc != 0)
		return w3s_err_set(p->err, rc, "%s", e.msg);
	p->r->bytes += data->len;
	w3s_hash_blake2b(got, data->data, data->len);
	if (memcmp(got, pr.hash, W3S_H256) != 0) {
		pr.kind = W3S_SCRUB_CHUNK_CORRUPT;
		snprintf(msg, sizeof(msg), "segment %" PRIu64 ": chunk %"
		    PRIu64 " (%s) is corrupt", seq, index, hex);
		report(p, &pr);
		return 0;
	}
	ans->len = 0;
	if ((rc = w3s_proof_answer(b, c, seq - c->start_seq, index, ans,
	    &e)) == 0)
		rc = w3s_proof_check_answer(ans->data, ans->len, c->mmr_root,
		    seq - c->start_seq, index, c->leaf_count, NULL, &e);
problem:
	if (rc == 0)
		return 0;
	if (rc != W3S_EVERIFY)
		return w3s_err_set(p->err, rc, "%s", e.msg);
	snprintf(msg, sizeof(msg), "segment %" PRIu64 ": chunk %" PRIu64
	    " has no valid proof up to the root: %s", seq, index, e.msg);
	report(p, &pr);
	return 0;
}

int
w3s_scrub_sample(struct w3s_bucket *b, uint64_t n,
    const struct w3s_scrub_opts *o, struct w3s_scrub_report *r,
    struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_buf ans, data;
	struct w3s_segment seg;
	uint64_t *draws = NULL, total = 0, base = 0, k = 0;
	struct pool p;
	int rc;

	pool_init(&p, o, r, err);
	r->jobs = 1;
	w3s_buf_init(&ans);
	w3s_buf_init(&data);
	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	if ((rc = w3s_bucket_commitment(b, &r->commitment, err)) != 0 ||
	    (rc = w3s_bucket_segments(b, 0, UINT64_MAX, &it, err)) != 0)
		goto out;
	while ((rc = w3s_store_iter_segment(it, &seg, err)) == 1) {
		total += seg.chunk_count;
		r->segments++;
	}
	w3s_store_iter_free(it);
	it = NULL;
	if (rc < 0)
		goto out;
	r->total_chunk_refs = total;
	if (total > 0 && n > 0) {
		if (n > SIZE_MAX / sizeof(*draws) ||
		    (draws = malloc(n * sizeof(*draws))) == NULL) {
			rc = w3s_err_set(err, W3S_ESYS, "out of memory");
			goto out;
		}
		for (uint64_t i = 0; i < n; i++)
			if ((rc = random_below(total, &draws[i], err)) != 0)
				goto out;
		qsort(draws, n, sizeof(*draws), cmp_u64);
		if ((rc = w3s_bucket_segments(b, 0, UINT64_MAX, &it,
		    err)) != 0)
			goto out;
		while (k < n && (rc = w3s_store_iter_segment(it, &seg,
		    err)) == 1) {
			for (; k < n && draws[k] < base + seg.chunk_count; k++)
				if ((rc = sample_one(&p, b, seg.seq,
				    draws[k] - base, &ans, &data)) != 0)
					goto out;
			base += seg.chunk_count;
		}
		if (rc < 0)
			goto out;
	}
	check_trust_root(&p, w3s_bucket_id(b));
	rc = p.worst;
out:
	free(draws);
	w3s_store_iter_free(it);
	w3s_buf_release(&ans);
	w3s_buf_release(&data);
	w3s_bucket_read_end(b);
	return rc;
}

double
w3s_scrub_catch_probability(uint64_t n, double f)
{
	double miss = 1.0, base = 1.0 - f;

	if (f <= 0.0)
		return 0.0;
	if (f >= 1.0)
		return n > 0 ? 1.0 : 0.0;
	for (; n > 0; n >>= 1) {
		if (n & 1)
			miss *= base;
		base *= base;
	}
	return 1.0 - miss;
}
