/* Store scrub (cid-verify --store, migrate-provider accept): everything a
 * bucket holds checked against what it claims, in one read snapshot.
 *
 * The full scrub hashes every referenced chunk (on `jobs` threads, each
 * with its own connection to chunks.db), recomputes every segment's data
 * root from its chunk list, every MMR node and the root from the leaves,
 * and compares the root with the stored commitment and, if given, a
 * trusted root; it also checks the checkpoint and deletion signatures
 * (w3s_bucket_check_hooked does the commitment side). Memory does not
 * grow with the bucket. The sample scrub answers n random challenges
 * instead (chunk, chunk proof, MMR proof) and checks each answer under the
 * chain's rules. Library calls: nothing is printed. */
#ifndef W3S_SCRUB_H
#define W3S_SCRUB_H

#include <stdint.h>

#include <w3s/err.h>
#include <w3s/store.h>
#include <w3s/types.h>

enum w3s_scrub_kind {
	W3S_SCRUB_CHUNK_CORRUPT = 1,	/* stored bytes do not hash to the
					 * chunk's hash, or the size differs */
	W3S_SCRUB_CHUNK_MISSING,	/* the chunk is not stored */
	W3S_SCRUB_SEGMENT,	/* chunk list, data root, size, total_size,
				 * place, or (sampled) its proof */
	W3S_SCRUB_BUCKET,	/* MMR nodes, root, leaf count, signatures,
				 * the trusted root */
};

struct w3s_scrub_problem {
	enum w3s_scrub_kind kind;
	int code;		/* W3S_EVERIFY; W3S_EINCOMPLETE when missing */
	uint64_t seq;		/* the segment (not for W3S_SCRUB_BUCKET) */
	uint64_t index;		/* the chunk's place in the segment (chunks) */
	uint8_t hash[W3S_H256];	/* the chunk's hash (chunks) */
	const char *msg;	/* one line, borrowed for the call */
};

struct w3s_scrub_opts {
	unsigned jobs;			/* hashing threads; 0: online cores */
	const uint8_t *trust_root;	/* the root must be this; or NULL */
	/* Called on the calling thread for each problem, in a fixed order:
	 * segments in order, each one's chunks by index before the segment
	 * itself, then the bucket's. May be NULL. */
	void (*problem)(void *ctx, const struct w3s_scrub_problem *p);
	void *ctx;
	/* Full scrub only: called on the calling thread as chunks are
	 * verified, with the chunk bytes verified so far and the exact total
	 * (the sum of the segments' data sizes in the snapshot), and once
	 * more at the end. May be NULL. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct w3s_scrub_report {
	struct w3s_commitment commitment;	/* of the snapshot read */
	uint64_t segments;
	uint64_t chunk_refs;		/* chunk references checked */
	uint64_t bytes;			/* bytes hashed */
	uint64_t corrupt;		/* chunk references found corrupt */
	uint64_t missing;		/* chunk references not stored */
	uint64_t segment_problems;
	uint64_t bucket_problems;
	unsigned jobs;			/* threads used */
	uint64_t total_chunk_refs;	/* sample: the population drawn from */
};

/* Full scrub of b in one snapshot. Returns 0 when everything holds,
 * W3S_EVERIFY when anything is wrong (a corrupt chunk, a segment, the
 * bucket, the trusted root), W3S_EINCOMPLETE when the only problems are
 * missing chunks; err then holds the first problem. Any other code (I/O,
 * memory) ended the scrub early. r is filled either way. */
int w3s_scrub_bucket(struct w3s_bucket *b, const struct w3s_scrub_opts *o,
    struct w3s_scrub_report *r, struct w3s_err *err);

/* Sample scrub: n chunk references drawn uniformly (with replacement) from
 * all of the bucket's, each answered as a challenge against the current
 * commitment and checked as the chain checks it (o->jobs is not used).
 * Returns as w3s_scrub_bucket; r->chunk_refs is n, r->total_chunk_refs
 * the population. */
int w3s_scrub_sample(struct w3s_bucket *b, uint64_t n,
    const struct w3s_scrub_opts *o, struct w3s_scrub_report *r,
    struct w3s_err *err);

/* 1 - (1 - f)^n: the chance that n uniform draws hit at least one of a
 * fraction f of lost or corrupt chunks. */
double w3s_scrub_catch_probability(uint64_t n, double f);

#endif
