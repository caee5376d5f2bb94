/* The store's self-check: recompute everything the commitment side
 * claims from what it holds, in one snapshot, with O(log n) memory. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/mmr.h>
#include <w3s/scale.h>

#include "store_impl.h"

struct peak {
	uint8_t hash[W3S_H256];
	unsigned height;
};

struct walk {
	struct w3s_bucket *b;
	const struct w3s_check_hooks *h;
	int off;		/* a node was wrong: stop comparing */
	sqlite3_stmt *nodes;	/* mmr_node in position order */
	uint64_t pos;
	struct peak stack[W3S_MMR_MAX_PEAKS + 1];
	size_t npeaks;
};

/* A problem (W3S_EVERIFY or W3S_EINCOMPLETE, message in err): without
 * hooks it ends the check; with them it is reported and the check goes on
 * (0), unless the hook says stop. Other codes always end the check. */
static int
problem(const struct w3s_check_hooks *h, int rc, int has_seq, uint64_t seq,
    struct w3s_err *err)
{
	if (h == NULL || h->problem == NULL ||
	    (rc != W3S_EVERIFY && rc != W3S_EINCOMPLETE))
		return rc;
	return h->problem(h->ctx, rc, has_seq, seq, err->msg);
}

/* The stored node at the next position must equal node. With hooks the
 * first wrong node is reported and the rest are not compared. */
static int
expect_node(struct walk *w, const uint8_t node[W3S_H256], struct w3s_err *err)
{
	uint8_t held[W3S_H256];
	int rc;

	if (w->off) {
		w->pos++;
		return 0;
	}
	rc = sqlite3_step(w->nodes);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_dberr(w->b->meta, rc, err, "cannot read the mmr of"
		    " bucket %" PRIu64, w->b->id);
	if (rc == SQLITE_DONE || store_col_u64(w->nodes, 0) != w->pos)
		rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
		    ": mmr node %" PRIu64 " is missing", w->b->id, w->pos);
	else if ((rc = store_col_hash(w->nodes, 1, held, W3S_H256, err)) != 0)
		return rc;
	else if (memcmp(held, node, W3S_H256) != 0)
		rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
		    ": mmr node %" PRIu64 " does not match its children",
		    w->b->id, w->pos);
	if (rc != 0) {
		if ((rc = problem(w->h, rc, 0, 0, err)) != 0)
			return rc;
		w->off = 1;
	}
	w->pos++;
	return 0;
}

/* Appends a leaf hash the way SPEC.md 5.1 does, checking every node. */
static int
walk_leaf(struct walk *w, const uint8_t leaf[W3S_H256], struct w3s_err *err)
{
	int rc;

	if ((rc = expect_node(w, leaf, err)) != 0)
		return rc;
	memcpy(w->stack[w->npeaks].hash, leaf, W3S_H256);
	w->stack[w->npeaks].height = 0;
	w->npeaks++;
	while (w->npeaks >= 2 && w->stack[w->npeaks - 2].height ==
	    w->stack[w->npeaks - 1].height) {
		struct peak *l = &w->stack[w->npeaks - 2];
		struct peak *r = &w->stack[w->npeaks - 1];
		uint8_t parent[W3S_H256];

		w3s_hash_children(parent, l->hash, r->hash);
		if ((rc = expect_node(w, parent, err)) != 0)
			return rc;
		memcpy(l->hash, parent, W3S_H256);
		l->height++;
		w->npeaks--;
	}
	return 0;
}

static int
check_chunks(struct w3s_bucket *b, sqlite3_stmt *sc,
    const struct w3s_segment *seg, int flags,
    const struct w3s_check_hooks *h, struct w3s_check_report *r,
    struct w3s_buf *buf, struct w3s_err *err)
{
	struct w3s_merkle_builder mb;
	uint8_t hash[W3S_H256], root[W3S_H256], got[W3S_H256];
	char hex[W3S_HEX32_LEN];
	uint64_t n = 0, size = 0, len;
	int rc, present;

	w3s_merkle_builder_init(&mb);
	sqlite3_reset(sc);
	store_bind_u64(sc, 1, seg->seq);
	while ((rc = sqlite3_step(sc)) == SQLITE_ROW) {
		if (store_col_u64(sc, 1) != n)
			return w3s_err_set(err, W3S_EVERIFY, "segment %" PRIu64
			    ": chunk list has a gap at %" PRIu64, seg->seq, n);
		if ((rc = store_col_hash(sc, 2, hash, W3S_H256, err)) != 0)
			return rc;
		len = store_col_u64(sc, 3);
		w3s_merkle_builder_push(&mb, hash);
		size += len;
		w3s_hex32_format(hex, hash);
		if (h != NULL && h->chunk != NULL) {
			if ((rc = h->chunk(h->ctx, seg->seq, n, hash, len,
			    err)) != 0)
				return rc;
			present = 1;
		} else if (flags & W3S_CHECK_PAYLOADS) {
			buf->len = 0;
			rc = w3s_bucket_chunk_get(b, hash, buf, err);
			if (rc == W3S_EINCOMPLETE)
				present = 0;
			else if (rc != 0)
				return rc;
			else
				present = 1;
			if (present) {
				w3s_hash_blake2b(got, buf->data, buf->len);
				if (buf->len != len || memcmp(got, hash,
				    W3S_H256) != 0)
					return w3s_err_set(err, W3S_EVERIFY,
					    "segment %" PRIu64 ": chunk %"
					    PRIu64 " (%s) is corrupt",
					    seg->seq, n, hex);
			}
		} else if ((rc = w3s_bucket_chunk_has(b, hash, &present,
		    err)) != 0) {
			return rc;
		}
		if (!present)
			return w3s_err_set(err, W3S_EINCOMPLETE, "segment %"
			    PRIu64 ": chunk %" PRIu64 " (%s) is not stored",
			    seg->seq, n, hex);
		n++;
	}
	if (rc != SQLITE_DONE)
		return store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
	sqlite3_reset(sc);
	r->chunk_refs += n;
	w3s_merkle_builder_finish(&mb, root);
	if (n != seg->chunk_count || size != seg->leaf.data_size ||
	    memcmp(root, seg->leaf.data_root, W3S_H256) != 0)
		return w3s_err_set(err, W3S_EVERIFY, "segment %" PRIu64
		    ": its chunk list does not give its data root and size",
		    seg->seq);
	return 0;
}

static int
check_signatures(struct w3s_bucket *b, const struct w3s_check_hooks *h,
    struct w3s_check_report *r, struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	struct w3s_store_iter *it = NULL;
	struct w3s_checkpoint cp;
	struct w3s_deletion d;
	int rc;

	if ((rc = w3s_bucket_checkpoints(b, NULL, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_checkpoint(it, &cp, err)) == 1) {
		w3s_payload_v1_encode(b->id, &cp.commitment, payload);
		if (w3s_key_verify(cp.signer, payload, sizeof(payload),
		    cp.signature) != 0) {
			rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
			    ": a checkpoint signature does not verify", b->id);
			if ((rc = problem(h, rc, 0, 0, err)) != 0)
				break;
			continue;
		}
		r->checkpoints++;
	}
	w3s_store_iter_free(it);
	if (rc < 0)
		return rc;
	if ((rc = w3s_bucket_deletions(b, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_deletion(it, &d, err)) == 1) {
		struct w3s_commitment c;

		memcpy(c.mmr_root, d.new_mmr_root, W3S_H256);
		c.start_seq = d.new_start_seq;
		c.leaf_count = 0;
		w3s_payload_v1_encode(b->id, &c, payload);
		if (w3s_key_verify(d.admin, payload, sizeof(payload),
		    d.signature) != 0) {
			rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
			    ": deletion certificate %" PRIu64 " does not"
			    " verify", b->id, d.id);
			if ((rc = problem(h, rc, 0, 0, err)) != 0)
				break;
			continue;
		}
		r->deletions++;
	}
	w3s_store_iter_free(it);
	return rc < 0 ? rc : 0;
}

int
w3s_bucket_check(struct w3s_bucket *b, int flags, struct w3s_check_report *r,
    struct w3s_err *err)
{
	return w3s_bucket_check_hooked(b, flags, NULL, r, err);
}

int
w3s_bucket_check_hooked(struct w3s_bucket *b, int flags,
    const struct w3s_check_hooks *h, struct w3s_check_report *r,
    struct w3s_err *err)
{
	struct w3s_check_report none;
	struct w3s_store_iter *it = NULL;
	sqlite3_stmt *sc = NULL, *cnt = NULL;
	uint8_t (*peaks)[W3S_H256] = NULL;
	uint8_t leaf_hash[W3S_H256], root[W3S_H256];
	struct w3s_commitment c;
	struct w3s_segment seg;
	struct w3s_buf buf;
	struct walk w;
	uint64_t prev_total = 0;
	int rc;

	if (r == NULL)
		r = &none;
	memset(r, 0, sizeof(*r));
	memset(&w, 0, sizeof(w));
	w.b = b;
	w.h = h;
	w3s_buf_init(&buf);
	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	if ((rc = store_commitment(b, &c, err)) != 0 ||
	    (rc = store_prepare(b, Q_MMR_ALL, &w.nodes, err)) != 0 ||
	    (rc = store_prepare(b, Q_SC_SEGMENT, &sc, err)) != 0 ||
	    (rc = w3s_bucket_segments(b, 0, W3S_STORE_SEQ_MAX, &it, err)) != 0)
		goto out;
	while ((rc = w3s_store_iter_segment(it, &seg, err)) == 1) {
		if (seg.seq != c.start_seq + r->segments) {
			rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
			    ": segment %" PRIu64 " is out of place (expected %"
			    PRIu64 ")", b->id, seg.seq,
			    c.start_seq + r->segments);
			if ((rc = problem(h, rc, 1, seg.seq, err)) != 0)
				goto out;
		}
		if ((rc = check_chunks(b, sc, &seg, flags, h, r, &buf,
		    err)) != 0 && (rc = problem(h, rc, 1, seg.seq, err)) != 0)
			goto out;
		if (r->segments == 0 ? seg.leaf.total_size < seg.leaf.data_size
		    : seg.leaf.total_size != prev_total + seg.leaf.data_size) {
			rc = w3s_err_set(err, W3S_EVERIFY, "segment %" PRIu64
			    ": total_size %" PRIu64 " breaks the chain",
			    seg.seq, seg.leaf.total_size);
			if ((rc = problem(h, rc, 1, seg.seq, err)) != 0)
				goto out;
		}
		prev_total = seg.leaf.total_size;
		w3s_leaf_hash(&seg.leaf, leaf_hash);
		if ((rc = walk_leaf(&w, leaf_hash, err)) != 0)
			goto out;
		r->segments++;
		r->bytes += seg.leaf.data_size;
	}
	if (rc < 0)
		goto out;
	if (r->segments != c.leaf_count) {
		rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64 " holds %"
		    PRIu64 " segments, its commitment says %" PRIu64, b->id,
		    r->segments, c.leaf_count);
		if ((rc = problem(h, rc, 0, 0, err)) != 0)
			goto out;
	}
	if (!w.off && (rc = sqlite3_step(w.nodes)) != SQLITE_DONE) {
		rc = rc == SQLITE_ROW ? w3s_err_set(err, W3S_EVERIFY, "bucket %"
		    PRIu64 ": mmr nodes past position %" PRIu64, b->id, w.pos) :
		    store_dberr(b->meta, rc, err, "cannot read bucket %" PRIu64,
		    b->id);
		if ((rc = problem(h, rc, 0, 0, err)) != 0)
			goto out;
	}
	r->mmr_nodes = w.pos;
	peaks = calloc(w.npeaks ? w.npeaks : 1, sizeof(*peaks));
	if (peaks == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < w.npeaks; i++)
		memcpy(peaks[i], w.stack[i].hash, W3S_H256);
	w3s_mmr_bag((const uint8_t (*)[W3S_H256])peaks, w.npeaks, root);
	if (memcmp(root, c.mmr_root, W3S_H256) != 0) {
		rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
		    ": the mmr root of its segments is not its commitment's",
		    b->id);
		if ((rc = problem(h, rc, 0, 0, err)) != 0)
			goto out;
	}
	/* No chunk list outside the held segments. */
	rc = sqlite3_prepare_v2(b->meta, "SELECT count(*) FROM segment_chunk",
	    -1, &cnt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(cnt)) == SQLITE_ROW) {
		rc = 0;
		if (store_col_u64(cnt, 0) != r->chunk_refs)
			rc = problem(h, w3s_err_set(err, W3S_EVERIFY,
			    "bucket %" PRIu64 ": chunk lists of segments it"
			    " does not hold", b->id), 0, 0, err);
	} else {
		rc = store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
	}
	if (rc == 0)
		rc = check_signatures(b, h, r, err);
out:
	free(peaks);
	sqlite3_finalize(cnt);
	sqlite3_finalize(sc);
	sqlite3_finalize(w.nodes);
	w3s_store_iter_free(it);
	w3s_buf_release(&buf);
	w3s_bucket_read_end(b);
	return rc;
}
