/* The export engine (see w3s/export.h): plans archives from one read view
 * of a bucket (exact counts first, since the manifest opens the archive),
 * then walks the same view again to write them. Every walk is a store
 * iterator in a fixed order, so memory stays a few buffers and the same
 * view gives the same bytes.
 *
 * What an archive carries (man/w3sync-stream.5):
 *   full   every deletion certificate, the held segments, every checkpoint
 *          (signatures grouped per commitment, 16 to a record), every
 *          index entry, each chunk of the held segments once;
 *   delta  for the commits of the change log from base to target: their
 *          deletion certificates, the held segments past the base, the
 *          checkpoints of each commitment they reached, the index entries
 *          they set or removed (in commit order), and the chunks of those
 *          segments that the base's surviving segments do not hold.
 * A split delta groups commits only where a later drop took segments of a
 * commit away: such a commit cannot be sent alone (its chunks are gone),
 * so it travels with the commits up to the drop that made its segments
 * unneeded (see w3s_export_next). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <w3s/chain.h>
#include <w3s/export.h>
#include <w3s/hex.h>
#include <w3s/store.h>

#define PIECE W3S_SEGMENT_PIECE_MAX

/* One planned archive. */
struct plan {
	struct w3s_export_info info;
	struct w3s_manifest m;
	uint64_t lo, hi;	/* its segments: lo <= seq < hi */
	uint64_t held_from;	/* the receiver holds [held_from, lo) */
	uint64_t resume_seq;	/* where the carried chunks start */
	uint64_t resume_idx;
};

struct w3s_export {
	struct w3s_bucket *b;
	uint64_t bucket;
	struct w3s_export_opts o;
	struct w3s_export_since since;
	int has_resume;
	struct w3s_resume_token resume;
	struct w3s_commitment cur;
	uint64_t after;		/* deltas start after this change id */
	int full;
	int done;		/* no archive left to plan */
	int planned;
	struct plan p;
	uint8_t (*piece)[W3S_H256];
};

static uint64_t
max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

int
w3s_export_since_parse(const char *s, struct w3s_export_since *since,
    struct w3s_err *err)
{
	unsigned long long v;
	char *end;

	memset(since, 0, sizeof(*since));
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (w3s_hex32_parse(since->root, s, NULL) != 0)
			return w3s_err_set(err, W3S_EUSAGE, "--since: '%s' is"
			    " not an MMR root (0x and 64 hex digits)", s);
		since->by_root = 1;
		return 0;
	}
	errno = 0;
	if (s[0] < '0' || s[0] > '9' || (v = strtoull(s, &end, 10), errno) ||
	    *end != '\0' || v > W3S_STORE_SEQ_MAX)
		return w3s_err_set(err, W3S_EUSAGE, "--since: '%s' is neither"
		    " a sequence number nor an MMR root (0x...)", s);
	since->seq = v;
	return 0;
}

static int
since_matches(const struct w3s_export_since *s, const struct w3s_commitment *c)
{
	if (s->by_root)
		return memcmp(s->root, c->mmr_root, W3S_H256) == 0;
	return w3s_chain_range_end(c) == s->seq;
}

/* Finds the --since commitment: the first base or target of the change
 * log that matches; x->after is then the change before it. */
static int
find_since(struct w3s_export *x, struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_change ch;
	char root[W3S_HEX32_LEN];
	int rc;

	if ((rc = w3s_bucket_changes(x->b, 0, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_change(it, &ch, err)) == 1) {
		if (since_matches(&x->since, &ch.base)) {
			x->after = ch.id - 1;
			break;
		}
		if (since_matches(&x->since, &ch.target)) {
			x->after = ch.id;
			break;
		}
	}
	w3s_store_iter_free(it);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return 0;
	if (x->since.by_root) {
		w3s_hex32_format(root, x->since.root);
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64 ": no"
		    " commitment with MMR root %s in its change log",
		    x->bucket, root);
	}
	return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64 ": no"
	    " commitment at sequence number %" PRIu64 " in its change log",
	    x->bucket, x->since.seq);
}

int
w3s_export_begin(struct w3s_bucket *b, const struct w3s_export_opts *o,
    struct w3s_export **out, struct w3s_err *err)
{
	struct w3s_export *x;
	int rc;

	*out = NULL;
	if (o->split && o->since == NULL)
		return w3s_err_set(err, W3S_EUSAGE, "a split export needs a"
		    " commitment to start from (--since)");
	if (o->split && o->resume != NULL)
		return w3s_err_set(err, W3S_EUSAGE, "a split export cannot be"
		    " resumed");
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->piece = malloc(PIECE * sizeof(*x->piece))) == NULL) {
		free(x);
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	}
	x->b = b;
	x->bucket = w3s_bucket_id(b);
	x->o = *o;
	x->full = o->since == NULL;
	if (o->since != NULL)
		x->since = *o->since;
	if (o->resume != NULL) {
		x->has_resume = 1;
		x->resume = *o->resume;
	}
	x->o.since = NULL;
	x->o.resume = NULL;
	if ((rc = w3s_bucket_read_begin(b, err)) != 0) {
		free(x->piece);
		free(x);
		return rc;
	}
	if ((rc = w3s_bucket_commitment(b, &x->cur, err)) != 0 ||
	    (!x->full && (rc = find_since(x, err)) != 0)) {
		w3s_export_end(x);
		return rc;
	}
	*out = x;
	return 0;
}

void
w3s_export_end(struct w3s_export *x)
{
	if (x == NULL)
		return;
	w3s_bucket_read_end(x->b);
	free(x->piece);
	free(x);
}

/* ---- walks: each counts (w NULL) or writes -------------------------- */

/* Deletion certificates: all of them (full), or those of the drops in
 * (first_change, last_change]. Both lists are in id order. */
static int
walk_deletions(struct w3s_export *x, const struct plan *p,
    struct w3s_stream_writer *w, uint64_t *n, struct w3s_err *err)
{
	struct w3s_store_iter *ci = NULL, *di = NULL;
	struct w3s_deletion_rec rec;
	struct w3s_deletion d;
	struct w3s_change ch;
	int rc, rd = 1;

	*n = 0;
	if ((rc = w3s_bucket_deletions(x->b, &di, err)) != 0)
		return rc;
	if (!x->full && (rc = w3s_bucket_changes(x->b,
	    p->info.first_change - 1, &ci, err)) != 0)
		goto out;
	for (;;) {
		if (ci != NULL) {
			/* The next drop of the group. */
			do {
				rc = w3s_store_iter_change(ci, &ch, err);
			} while (rc == 1 && ch.id <= p->info.last_change &&
			    ch.deletion_id == 0);
			if (rc <= 0 || ch.id > p->info.last_change)
				break;
			while ((rd = w3s_store_iter_deletion(di, &d, err)) == 1 &&
			    d.id < ch.deletion_id)
				;
			if (rd < 0) {
				rc = rd;
				break;
			}
			if (rd == 0 || d.id != ch.deletion_id) {
				rc = w3s_err_set(err, W3S_EMALFORMED, "bucket %"
				    PRIu64 ": change %" PRIu64 " names deletion"
				    " certificate %" PRIu64 ", which is not"
				    " stored", x->bucket, ch.id,
				    ch.deletion_id);
				break;
			}
		} else if ((rc = w3s_store_iter_deletion(di, &d, err)) <= 0)
			break;
		++*n;
		if (w == NULL)
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.start_seq = d.new_start_seq;
		memcpy(rec.mmr_root, d.new_mmr_root, W3S_H256);
		memcpy(rec.admin, d.admin, sizeof(rec.admin));
		memcpy(rec.sig, d.signature, sizeof(rec.sig));
		if ((rc = w3s_stream_put_deletion(w, &rec, err)) != 0)
			break;
	}
out:
	w3s_store_iter_free(ci);
	w3s_store_iter_free(di);
	return rc < 0 ? rc : 0;
}

/* Segments [lo, hi) with their chunk lists. */
static int
walk_segments(struct w3s_export *x, const struct plan *p,
    struct w3s_stream_writer *w, uint64_t *n, uint64_t *refs,
    struct w3s_err *err)
{
	struct w3s_store_iter *si = NULL, *ci = NULL;
	struct w3s_segment_rec rec;
	struct w3s_chunk_ref ref;
	struct w3s_segment seg;
	size_t k;
	int rc;

	*n = *refs = 0;
	if ((rc = w3s_bucket_segments(x->b, p->lo, p->hi, &si, err)) != 0)
		return rc;
	if (w != NULL && (rc = w3s_bucket_chunks(x->b, p->lo, p->hi, 0, &ci,
	    err)) != 0)
		goto out;
	while ((rc = w3s_store_iter_segment(si, &seg, err)) == 1) {
		if (seg.seq != p->lo + *n) {
			rc = w3s_err_set(err, W3S_EINCOMPLETE, "bucket %"
			    PRIu64 ": segment %" PRIu64 " is no longer held",
			    x->bucket, p->lo + *n);
			break;
		}
		++*n;
		*refs += seg.chunk_count;
		if (w == NULL)
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.seq = seg.seq;
		rec.leaf = seg.leaf;
		rec.hashes = (const uint8_t (*)[W3S_H256])x->piece;
		for (uint64_t i = 0; i < seg.chunk_count; i += k) {
			for (k = 0; k < PIECE && i + k < seg.chunk_count; k++) {
				if ((rc = w3s_store_iter_chunk(ci, &ref,
				    err)) < 0)
					goto out;
				if (rc == 0 || ref.seq != seg.seq ||
				    ref.index != i + k) {
					rc = w3s_err_set(err, W3S_EMALFORMED,
					    "bucket %" PRIu64 ": the chunk list"
					    " of segment %" PRIu64 " is not"
					    " complete", x->bucket, seg.seq);
					goto out;
				}
				memcpy(x->piece[k], ref.hash, W3S_H256);
			}
			rec.first = i;
			rec.nhashes = k;
			if ((rc = w3s_stream_put_segment(w, &rec, err)) != 0)
				goto out;
		}
	}
	if (rc == 0 && *n != p->hi - p->lo)
		rc = w3s_err_set(err, W3S_EINCOMPLETE, "bucket %" PRIu64
		    ": segment %" PRIu64 " is no longer held", x->bucket,
		    p->lo + *n);
out:
	w3s_store_iter_free(si);
	w3s_store_iter_free(ci);
	return rc < 0 ? rc : 0;
}

/* Checkpoint rows grouped into records: consecutive rows of one
 * commitment, at most W3S_SIGS_MAX to a record. */
static int
emit_checkpoint(struct w3s_stream_writer *w, struct w3s_checkpoint_rec *rec,
    uint64_t *n, struct w3s_err *err)
{
	if (rec->nsigs == 0)
		return 0;
	++*n;
	if (w != NULL)
		return w3s_stream_put_checkpoint(w, rec, err);
	return 0;
}

static int
walk_checkpoint_rows(struct w3s_store_iter *it, struct w3s_stream_writer *w,
    uint64_t *n, struct w3s_err *err)
{
	struct w3s_checkpoint_rec rec;
	struct w3s_checkpoint cp;
	int rc;

	memset(&rec, 0, sizeof(rec));
	while ((rc = w3s_store_iter_checkpoint(it, &cp, err)) == 1) {
		if (rec.nsigs == W3S_SIGS_MAX || (rec.nsigs > 0 &&
		    !w3s_chain_commitment_eq(&rec.commitment,
		    &cp.commitment))) {
			if ((rc = emit_checkpoint(w, &rec, n, err)) != 0)
				return rc;
			rec.nsigs = 0;
		}
		rec.commitment = cp.commitment;
		memcpy(rec.sigs[rec.nsigs].key, cp.signer, W3S_PUBKEY_LEN);
		memcpy(rec.sigs[rec.nsigs].sig, cp.signature,
		    W3S_SIGNATURE_LEN);
		rec.nsigs++;
	}
	if (rc < 0)
		return rc;
	return emit_checkpoint(w, &rec, n, err);
}

/* Every checkpoint (full), or those of each commitment the group reached. */
static int
walk_checkpoints(struct w3s_export *x, const struct plan *p,
    struct w3s_stream_writer *w, uint64_t *n, struct w3s_err *err)
{
	struct w3s_store_iter *ci = NULL, *it = NULL;
	struct w3s_change ch;
	int rc;

	*n = 0;
	if (x->full) {
		if ((rc = w3s_bucket_checkpoints(x->b, NULL, &it, err)) == 0)
			rc = walk_checkpoint_rows(it, w, n, err);
		w3s_store_iter_free(it);
		return rc;
	}
	if ((rc = w3s_bucket_changes(x->b, p->info.first_change - 1, &ci,
	    err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_change(ci, &ch, err)) == 1 &&
	    ch.id <= p->info.last_change) {
		if ((rc = w3s_bucket_checkpoints(x->b, &ch.target, &it,
		    err)) == 0)
			rc = walk_checkpoint_rows(it, w, n, err);
		w3s_store_iter_free(it);
		it = NULL;
		if (rc != 0)
			break;
	}
	w3s_store_iter_free(ci);
	return rc < 0 ? rc : 0;
}

static int
emit_name(struct w3s_stream_writer *w, const struct w3s_name_entry *e,
    int removed, uint64_t *n, struct w3s_err *err)
{
	struct w3s_index_entry rec;

	++*n;
	if (w == NULL)
		return 0;
	memset(&rec, 0, sizeof(rec));
	rec.name = e->name;
	rec.name_len = strlen(e->name);
	rec.removed = removed;
	if (!removed)
		memcpy(rec.data_root, e->data_root, W3S_H256);
	return w3s_stream_put_index(w, &rec, err);
}

/* Every index entry in name order (full), or the names each commit of
 * the group set or removed, in commit order. */
static int
walk_index(struct w3s_export *x, const struct plan *p,
    struct w3s_stream_writer *w, uint64_t *n, struct w3s_err *err)
{
	struct w3s_store_iter *ci = NULL, *it = NULL;
	struct w3s_name_entry e;
	struct w3s_change ch;
	int rc, removed;

	*n = 0;
	if (x->full) {
		if ((rc = w3s_bucket_names(x->b, &it, err)) != 0)
			return rc;
		while ((rc = w3s_store_iter_name(it, &e, err)) == 1)
			if ((rc = emit_name(w, &e, 0, n, err)) != 0)
				break;
		w3s_store_iter_free(it);
		return rc < 0 ? rc : 0;
	}
	if ((rc = w3s_bucket_changes(x->b, p->info.first_change - 1, &ci,
	    err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_change(ci, &ch, err)) == 1 &&
	    ch.id <= p->info.last_change) {
		if ((rc = w3s_bucket_change_names(x->b, ch.id, &it, err)) != 0)
			break;
		while ((rc = w3s_store_iter_change_name(it, &e, &removed,
		    err)) == 1)
			if ((rc = emit_name(w, &e, removed, n, err)) != 0)
				break;
		w3s_store_iter_free(it);
		it = NULL;
		if (rc != 0)
			break;
	}
	w3s_store_iter_free(ci);
	return rc < 0 ? rc : 0;
}

/* Counts the chunks the archive carries in order and finds the resume
 * position. */
static int
count_chunks(struct w3s_export *x, struct plan *p, int resume,
    struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_chunk_ref ref;
	uint64_t n = 0, bytes = 0;
	int rc, found = 0;

	/* Without a resume the chunks start at the first segment; with one
	 * at its chunk, or past the end when it is the last. */
	p->resume_seq = resume ? p->hi : p->lo;
	p->resume_idx = 0;
	if ((rc = w3s_bucket_chunks_delta(x->b, p->held_from, p->lo, p->hi,
	    W3S_CHUNKS_FIRST, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_chunk(it, &ref, err)) == 1) {
		if (resume && n == x->resume.chunk) {
			p->resume_seq = ref.seq;
			p->resume_idx = ref.index;
			p->m.resume_byte = bytes;
			found = 1;
		}
		n++;
		bytes += ref.size;
	}
	w3s_store_iter_free(it);
	if (rc < 0)
		return rc;
	p->m.counts.chunks = n;
	p->m.counts.chunk_bytes = bytes;
	if (resume && !found) {
		if (x->resume.chunk != n)
			return w3s_err_set(err, W3S_EMALFORMED, "resume token:"
			    " chunk %" PRIu64 " is past the end of the"
			    " snapshot (%" PRIu64 " chunks)", x->resume.chunk,
			    n);
		p->m.resume_byte = bytes;
	}
	if (resume)
		p->m.resume_chunk = x->resume.chunk;
	return 0;
}

/* The signatures of the target commitment, for the manifest. */
static int
target_sigs(struct w3s_export *x, struct w3s_manifest *m, struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_checkpoint cp;
	int rc;

	m->nsigs = 0;
	if ((rc = w3s_bucket_checkpoints(x->b, &m->target, &it, err)) != 0)
		return rc;
	while (m->nsigs < W3S_SIGS_MAX &&
	    (rc = w3s_store_iter_checkpoint(it, &cp, err)) == 1) {
		memcpy(m->sigs[m->nsigs].key, cp.signer, W3S_PUBKEY_LEN);
		memcpy(m->sigs[m->nsigs].sig, cp.signature,
		    W3S_SIGNATURE_LEN);
		m->nsigs++;
	}
	w3s_store_iter_free(it);
	return rc < 0 ? rc : 0;
}

/* The time of the newest commit (full snapshot): the manifest's creation
 * time, so the same commitment gives the same bytes. */
static int
last_commit_time(struct w3s_export *x, uint64_t *created,
    struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_change ch;
	int rc;

	*created = 0;
	if ((rc = w3s_bucket_changes(x->b, 0, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_change(it, &ch, err)) == 1)
		*created = ch.created > 0 ? (uint64_t)ch.created : 0;
	w3s_store_iter_free(it);
	return rc;
}

/* A delta from base to target can be sent when the segments it adds that
 * the target still covers are held: those from the base's end (or the
 * target's start_seq, when a drop went past it) on, all at or after the
 * current start_seq. */
static int
delta_sendable(const struct w3s_export *x, const struct w3s_commitment *base,
    const struct w3s_commitment *target)
{
	uint64_t lo = max64(w3s_chain_range_end(base), target->start_seq);

	return lo >= x->cur.start_seq || lo >= w3s_chain_range_end(target);
}

/* The commits of the next delta: all the rest, or (split) the next one,
 * extended up to the first commit from whose target the delta can be
 * sent. 0 with p filled, 1 when there is none. */
static int
plan_group(struct w3s_export *x, struct plan *p, struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_change ch;
	int rc, any = 0;

	if ((rc = w3s_bucket_changes(x->b, x->after, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_change(it, &ch, err)) == 1) {
		if (!any) {
			p->info.base = ch.base;
			p->info.first_change = ch.id;
			any = 1;
		}
		p->info.target = ch.target;
		p->info.last_change = ch.id;
		p->info.created = ch.created > 0 ? (uint64_t)ch.created : 0;
		if (x->o.split && delta_sendable(x, &p->info.base, &ch.target))
			break;
	}
	w3s_store_iter_free(it);
	if (rc < 0)
		return rc;
	return any ? 0 : 1;
}

static int
plan_next(struct w3s_export *x, struct plan *p, struct w3s_err *err)
{
	int rc, resume = x->has_resume;
	struct w3s_manifest *m = &p->m;
	char id[W3S_HEX32_LEN];

	memset(p, 0, sizeof(*p));
	p->info.bucket = x->bucket;
	if (x->full) {
		p->info.kind = W3S_STREAM_FULL;
		p->info.target = x->cur;
		p->lo = p->held_from = x->cur.start_seq;
		p->hi = w3s_chain_range_end(&x->cur);
		if ((rc = last_commit_time(x, &p->info.created, err)) != 0)
			return rc;
		x->done = 1;
	} else {
		if ((rc = plan_group(x, p, err)) < 0)
			return rc;
		if (rc == 1) {
			x->done = 1;
			if (x->o.split)
				return 1;
			return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %"
			    PRIu64 " is at that commitment: no delta to"
			    " export", x->bucket);
		}
		p->info.kind = W3S_STREAM_DELTA;
		p->info.has_base = 1;
		/* The segments the target covers past the base. */
		p->lo = max64(w3s_chain_range_end(&p->info.base),
		    p->info.target.start_seq);
		p->hi = max64(p->lo, w3s_chain_range_end(&p->info.target));
		/* The base's segments the target keeps: their chunks the
		 * receiver holds already. */
		p->held_from = max64(p->info.base.start_seq,
		    p->info.target.start_seq);
		if (p->held_from > p->lo)
			p->held_from = p->lo;
		x->after = p->info.last_change;
		if (!x->o.split)
			x->done = 1;
	}
	m->kind = p->info.kind;
	m->bucket = x->bucket;
	m->has_base = p->info.has_base;
	m->base = p->info.base;
	m->target = p->info.target;
	m->created = p->info.created;
	if ((rc = target_sigs(x, m, err)) != 0 ||
	    (rc = walk_deletions(x, p, NULL, &m->counts.deletions, err)) != 0 ||
	    (rc = walk_segments(x, p, NULL, &m->counts.segments,
	    &m->counts.chunk_refs, err)) != 0 ||
	    (rc = walk_checkpoints(x, p, NULL, &m->counts.checkpoints,
	    err)) != 0 ||
	    (rc = walk_index(x, p, NULL, &m->counts.index, err)) != 0 ||
	    (rc = count_chunks(x, p, resume, err)) != 0)
		return rc;
	if ((rc = w3s_manifest_snapshot_id(m, p->info.snapshot_id, err)) != 0)
		return rc;
	if (resume) {
		if (x->resume.bucket != x->bucket)
			return w3s_err_set(err, W3S_ENOTAPPLY, "the resume token"
			    " is for bucket %" PRIu64 ", not bucket %" PRIu64,
			    x->resume.bucket, x->bucket);
		if (memcmp(x->resume.snapshot_id, p->info.snapshot_id,
		    W3S_HASH_LEN) != 0) {
			w3s_hex32_format(id, p->info.snapshot_id);
			return w3s_err_set(err, W3S_ENOTAPPLY, "the resume token"
			    " is for another snapshot of bucket %" PRIu64
			    " (the bucket moved on, or another --since):"
			    " this one is %s", x->bucket, id);
		}
		if (m->resume_byte != x->resume.byte)
			return w3s_err_set(err, W3S_EMALFORMED, "resume token:"
			    " the chunks before chunk %" PRIu64 " hold %"
			    PRIu64 " bytes, not %" PRIu64, x->resume.chunk,
			    m->resume_byte, x->resume.byte);
	}
	if ((rc = w3s_manifest_check(m, W3S_EMALFORMED, err)) != 0)
		return rc;
	p->info.counts = m->counts;
	p->info.resume_chunk = m->resume_chunk;
	p->info.resume_byte = m->resume_byte;
	p->info.chunks = w3s_manifest_carried_chunks(m);
	p->info.chunk_bytes = w3s_manifest_carried_bytes(m);
	return 0;
}

int
w3s_export_next(struct w3s_export *x, struct w3s_export_info *info,
    struct w3s_err *err)
{
	int rc;

	x->planned = 0;
	if (x->done)
		return 0;
	if ((rc = plan_next(x, &x->p, err)) != 0) {
		x->done = 1;
		return rc > 0 ? 0 : rc;
	}
	x->planned = 1;
	*info = x->p.info;
	return 1;
}

static int
write_chunks(struct w3s_export *x, const struct plan *p,
    struct w3s_stream_writer *w, struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_chunk_ref ref;
	char cid[W3S_CHUNK_CID_LEN + 1];
	uint64_t done = p->m.resume_byte, total = p->m.counts.chunk_bytes;
	int rc;

	if ((rc = w3s_bucket_chunks_delta(x->b, p->held_from, p->resume_seq,
	    p->hi, W3S_CHUNKS_FIRST | W3S_CHUNKS_PAYLOAD, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_chunk(it, &ref, err)) == 1) {
		if (ref.seq == p->resume_seq && ref.index < p->resume_idx)
			continue;
		if (!ref.present || ref.size > W3S_STREAM_CHUNK_MAX) {
			w3s_stream_chunk_cid(cid, ref.hash);
			rc = w3s_err_set(err, ref.present ? W3S_EVERIFY :
			    W3S_EINCOMPLETE, "bucket %" PRIu64 ": chunk %s"
			    " of segment %" PRIu64 " is %s", x->bucket, cid,
			    ref.seq, ref.present ? "too large" :
			    "not stored");
			break;
		}
		if ((rc = w3s_stream_put_chunk(w, ref.hash, ref.data,
		    (size_t)ref.size, err)) != 0)
			break;
		done += ref.size;
		if (x->o.progress != NULL)
			x->o.progress(x->o.progress_ctx, done, total);
	}
	w3s_store_iter_free(it);
	return rc < 0 ? rc : 0;
}

int
w3s_export_write(struct w3s_export *x, struct w3s_stream_writer *w,
    struct w3s_err *err)
{
	const struct plan *p = &x->p;
	uint64_t n, refs;
	int rc;

	if (!x->planned)
		return w3s_err_set(err, W3S_EUSAGE, "no archive planned");
	x->planned = 0;
	if (x->o.progress != NULL)
		x->o.progress(x->o.progress_ctx, p->m.resume_byte,
		    p->m.counts.chunk_bytes);
	if ((rc = w3s_stream_put_manifest(w, &p->m, err)) != 0 ||
	    (rc = walk_deletions(x, p, w, &n, err)) != 0 ||
	    (rc = walk_segments(x, p, w, &n, &refs, err)) != 0 ||
	    (rc = walk_checkpoints(x, p, w, &n, err)) != 0 ||
	    (rc = walk_index(x, p, w, &n, err)) != 0 ||
	    (rc = write_chunks(x, p, w, err)) != 0)
		return rc;
	return w3s_stream_finish(w, NULL, err);
}

int
w3s_export_fd(struct w3s_bucket *b, const struct w3s_export_opts *o,
    int fd, int level, uint64_t *bytes, struct w3s_err *err)
{
	struct w3s_stream_writer *w = NULL;
	struct w3s_export_info info;
	struct w3s_export *x = NULL;
	int rc;

	if (bytes != NULL)
		*bytes = 0;
	if ((rc = w3s_export_begin(b, o, &x, err)) != 0)
		return rc;
	if ((w = w3s_stream_writer_new(fd, level, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	while ((rc = w3s_export_next(x, &info, err)) == 1)
		if ((rc = w3s_export_write(x, w, err)) != 0)
			break;
	if (bytes != NULL)
		*bytes = w3s_stream_writer_bytes(w);
out:
	w3s_stream_writer_free(w);
	w3s_export_end(x);
	return rc;
}

/* ---- names and files ------------------------------------------------ */

void
w3s_export_name(const struct w3s_export_info *info,
    char out[W3S_EXPORT_NAME_MAX])
{
	char root[W3S_HEX32_LEN], base[W3S_HEX32_LEN], resume[40] = "";

	w3s_hex32_format(root, info->target.mmr_root);
	w3s_hex32_format(base, info->base.mmr_root);
	if (info->resume_chunk > 0)
		snprintf(resume, sizeof(resume), "-resume-%" PRIu64,
		    info->resume_chunk);
	snprintf(out, W3S_EXPORT_NAME_MAX, "bucket-%020" PRIu64 "-%020" PRIu64
	    "-%020" PRIu64 "-%s-%.16s%s%.*s%s.tar.zst", info->bucket,
	    w3s_chain_range_end(&info->target), info->target.start_seq,
	    info->has_base ? "delta" : "full", root + 2,
	    info->has_base ? "-" : "", info->has_base ? 16 : 0, base + 2,
	    resume);
}

struct w3s_export_file {
	char *path;
	char *tmp;
	char *dir;
	int fd;
};

static void
file_free(struct w3s_export_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->tmp);
	free(f->dir);
	free(f);
}

int
w3s_export_file_open(const char *path, struct w3s_export_file **out,
    struct w3s_err *err)
{
	struct w3s_export_file *f;
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	struct stat st;
	size_t n;

	*out = NULL;
	if (*name == '\0')
		return w3s_err_set(err, W3S_EUSAGE, "%s: not a file name", path);
	if (lstat(path, &st) == 0)
		return w3s_err_set(err, W3S_ENOTAPPLY, "%s exists: not"
		    " overwritten", path);
	if (errno != ENOENT)
		return w3s_err_sys(err, errno, "cannot write %s", path);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	f->fd = -1;
	n = slash ? (size_t)(slash - path) : 1;
	f->path = strdup(path);
	f->dir = slash ? strndup(path, n == 0 ? 1 : n) : strdup(".");
	f->tmp = malloc(strlen(path) + 48);
	if (f->path == NULL || f->dir == NULL || f->tmp == NULL) {
		file_free(f);
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	}
	if (stat(f->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		int e = errno, rc, isdir = 0;

		if (stat(f->dir, &st) == 0)
			isdir = S_ISDIR(st.st_mode);
		if (!isdir || e == ENOENT || e == ENOTDIR)
			rc = w3s_err_set(err, W3S_EUSAGE, "cannot write %s: no"
			    " directory %s", path, f->dir);
		else
			rc = w3s_err_sys(err, e, "cannot write %s", path);
		file_free(f);
		return rc;
	}
	/* ".NAME.PID-N.tmp": hidden, next to the final name. */
	for (unsigned i = 0; f->fd < 0; i++) {
		snprintf(f->tmp, strlen(path) + 48, "%.*s.%s.%ld-%u.tmp",
		    (int)(name - path), path, name, (long)getpid(), i);
		f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0666);
		if (f->fd < 0 && (errno != EEXIST || i > 1000)) {
			int e = errno;

			file_free(f);
			return w3s_err_sys(err, e, "cannot create a temporary"
			    " file for %s", path);
		}
	}
	*out = f;
	return 0;
}

int
w3s_export_file_fd(const struct w3s_export_file *f)
{
	return f->fd;
}

static int
sync_dir(const char *dir, struct w3s_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return w3s_err_sys(err, errno, "cannot open %s", dir);
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = w3s_err_sys(err, errno, "cannot sync %s", dir);
	close(fd);
	return rc;
}

int
w3s_export_file_commit(struct w3s_export_file *f, struct w3s_err *err)
{
	int rc = 0, e;

	if (fsync(f->fd) != 0) {
		rc = w3s_err_sys(err, errno, "cannot write %s", f->path);
		goto fail;
	}
	e = close(f->fd);
	f->fd = -1;
	if (e != 0) {
		rc = w3s_err_sys(err, errno, "cannot write %s", f->path);
		goto fail;
	}
	/* Never replaces: renameat2 with RENAME_NOREPLACE, or where the
	 * file system lacks it, link (which fails on an existing name). */
	if (renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->path,
	    RENAME_NOREPLACE) != 0) {
		e = errno;
		if (e == EINVAL || e == ENOSYS || e == ENOTSUP) {
			if (link(f->tmp, f->path) == 0) {
				unlink(f->tmp);
				e = 0;
			} else
				e = errno;
		}
		if (e == EEXIST) {
			rc = w3s_err_set(err, W3S_ENOTAPPLY, "%s exists: not"
			    " overwritten", f->path);
			goto fail;
		}
		if (e != 0) {
			rc = w3s_err_sys(err, e, "cannot create %s", f->path);
			goto fail;
		}
	}
	rc = sync_dir(f->dir, err);
	file_free(f);
	return rc;
fail:
	unlink(f->tmp);
	file_free(f);
	return rc;
}

void
w3s_export_file_abort(struct w3s_export_file *f)
{
	if (f == NULL)
		return;
	unlink(f->tmp);
	file_free(f);
}
