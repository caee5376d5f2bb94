/* The store's read side: lookups, iterators, the MMR node store and
 * proofs, trust and settings. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/mmr.h>

#include "store_impl.h"

enum iter_kind {
	IT_SEGMENT,
	IT_CHUNK,
	IT_SCAN,
	IT_CHECKPOINT,
	IT_DELETION,
	IT_NAME,
	IT_CHANGE,
	IT_CHANGE_NAME,
	IT_KEY,
};

struct w3s_store_iter {
	struct w3s_bucket *b;
	enum iter_kind kind;
	sqlite3_stmt *st;	/* NULL for IT_SCAN */
	int flags;
	int done;
	int64_t last_id;	/* IT_SCAN */
	struct w3s_buf data;	/* chunk bytes of the current row */
	char *name;		/* name of the current row */
};

static int
iter_new(struct w3s_bucket *b, enum iter_kind kind, enum store_q q,
    struct w3s_store_iter **out, struct w3s_err *err)
{
	struct w3s_store_iter *it = calloc(1, sizeof(*it));
	int rc;

	*out = NULL;
	if (it == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	it->b = b;
	it->kind = kind;
	w3s_buf_init(&it->data);
	if (q != Q_COUNT && (rc = store_prepare(b, q, &it->st, err)) != 0) {
		free(it);
		return rc;
	}
	*out = it;
	return 0;
}

void
w3s_store_iter_free(struct w3s_store_iter *it)
{
	if (it == NULL)
		return;
	sqlite3_finalize(it->st);
	w3s_buf_release(&it->data);
	free(it->name);
	free(it);
}

/* Steps the iterator's statement: 1 row, 0 end, or an error. */
static int
iter_step(struct w3s_store_iter *it, enum iter_kind kind, struct w3s_err *err)
{
	int rc;

	if (it->kind != kind)
		return w3s_err_set(err, W3S_EUSAGE, "wrong iterator kind");
	if (it->done)
		return 0;
	rc = sqlite3_step(it->st);
	if (rc == SQLITE_ROW)
		return 1;
	it->done = 1;
	sqlite3_reset(it->st);
	if (rc == SQLITE_DONE)
		return 0;
	return store_dberr(sqlite3_db_handle(it->st), rc, err,
	    "cannot read bucket %" PRIu64, it->b->id);
}

static int
leaf_row(sqlite3_stmt *st, struct w3s_segment *seg, struct w3s_err *err)
{
	seg->seq = store_col_u64(st, 0);
	seg->leaf.data_size = store_col_u64(st, 2);
	seg->leaf.total_size = store_col_u64(st, 3);
	seg->chunk_count = store_col_u64(st, 4);
	return store_col_hash(st, 1, seg->leaf.data_root, W3S_H256, err);
}

int
w3s_bucket_commitment(struct w3s_bucket *b, struct w3s_commitment *c,
    struct w3s_err *err)
{
	return store_commitment(b, c, err);
}

static int
segment_lookup(struct w3s_bucket *b, enum store_q q, uint64_t seq,
    const uint8_t *root, struct w3s_segment *seg, struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, q, err);
	int rc;

	if (st == NULL)
		return err->code;
	if (root != NULL)
		sqlite3_bind_blob(st, 1, root, W3S_H256, SQLITE_STATIC);
	else
		store_bind_u64(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = leaf_row(st, seg, err);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
	if (root != NULL)
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    " holds no segment with that data root", b->id);
	return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
	    " holds no segment %" PRIu64, b->id, seq);
}

int
w3s_bucket_segment(struct w3s_bucket *b, uint64_t seq,
    struct w3s_segment *seg, struct w3s_err *err)
{
	return segment_lookup(b, Q_LEAF_GET, seq, NULL, seg, err);
}

int
w3s_bucket_segment_by_root(struct w3s_bucket *b,
    const uint8_t data_root[W3S_H256], struct w3s_segment *seg,
    struct w3s_err *err)
{
	return segment_lookup(b, Q_LEAF_BY_ROOT, 0, data_root, seg, err);
}

static uint64_t
clamp_seq(uint64_t v)
{
	return v > W3S_STORE_SEQ_MAX ? W3S_STORE_SEQ_MAX : v;
}

int
w3s_bucket_segments(struct w3s_bucket *b, uint64_t from, uint64_t to,
    struct w3s_store_iter **it, struct w3s_err *err)
{
	int rc = iter_new(b, IT_SEGMENT, Q_LEAF_RANGE, it, err);

	if (rc != 0)
		return rc;
	store_bind_u64((*it)->st, 1, clamp_seq(from));
	store_bind_u64((*it)->st, 2, clamp_seq(to));
	return 0;
}

int
w3s_store_iter_segment(struct w3s_store_iter *it, struct w3s_segment *seg,
    struct w3s_err *err)
{
	int rc = iter_step(it, IT_SEGMENT, err);

	if (rc <= 0)
		return rc;
	return (rc = leaf_row(it->st, seg, err)) != 0 ? rc : 1;
}

/* Reads a chunk's bytes into out (replacing its contents); *present 0
 * when it is not stored. One short read transaction on chunks.db. */
static int
chunk_read(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    struct w3s_buf *out, int *present, struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_CHUNK_GET, err);
	int rc;

	*present = 0;
	if (st == NULL)
		return err->code;
	sqlite3_bind_blob(st, 1, hash, W3S_H256, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->len = 0;
		w3s_buf_put(out, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
		*present = 1;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_dberr(b->chunks, rc, err, "cannot read a chunk of"
		    " bucket %" PRIu64, b->id);
	return w3s_buf_check(out, err);
}

int
w3s_bucket_chunks(struct w3s_bucket *b, uint64_t from, uint64_t to,
    int flags, struct w3s_store_iter **it, struct w3s_err *err)
{
	return w3s_bucket_chunks_delta(b, from, from, to, flags, it, err);
}

int
w3s_bucket_chunks_delta(struct w3s_bucket *b, uint64_t held_from,
    uint64_t from, uint64_t to, int flags, struct w3s_store_iter **it,
    struct w3s_err *err)
{
	enum store_q q = (flags & W3S_CHUNKS_FIRST) ? Q_SC_RANGE_FIRST :
	    Q_SC_RANGE;
	int rc;

	if (held_from > from)
		return w3s_err_set(err, W3S_EUSAGE, "chunks of segments from %"
		    PRIu64 ": held segments start after them (%" PRIu64 ")",
		    from, held_from);
	if ((rc = iter_new(b, IT_CHUNK, q, it, err)) != 0)
		return rc;
	(*it)->flags = flags;
	store_bind_u64((*it)->st, 1, clamp_seq(from));
	store_bind_u64((*it)->st, 2, clamp_seq(to));
	if (q == Q_SC_RANGE_FIRST)
		store_bind_u64((*it)->st, 3, clamp_seq(held_from));
	return 0;
}

int
w3s_store_iter_chunk(struct w3s_store_iter *it, struct w3s_chunk_ref *ref,
    struct w3s_err *err)
{
	int rc;

	if (it->kind == IT_SCAN) {
		sqlite3_stmt *st;

		if (it->done)
			return 0;
		if ((st = store_q(it->b, Q_CHUNK_NEXT, err)) == NULL)
			return err->code;
		sqlite3_bind_int64(st, 1, it->last_id);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(st);
			it->done = 1;
			if (rc == SQLITE_DONE)
				return 0;
			return store_dberr(it->b->chunks, rc, err,
			    "cannot read the chunks of bucket %" PRIu64,
			    it->b->id);
		}
		memset(ref, 0, sizeof(*ref));
		it->last_id = sqlite3_column_int64(st, 0);
		rc = store_col_hash(st, 1, ref->hash, W3S_H256, err);
		ref->size = store_col_u64(st, 2);
		it->data.len = 0;
		w3s_buf_put(&it->data, sqlite3_column_blob(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3));
		sqlite3_reset(st);
		if (rc != 0 || (rc = w3s_buf_check(&it->data, err)) != 0)
			return rc;
		ref->present = 1;
		ref->data = it->data.data;
		return 1;
	}
	if ((rc = iter_step(it, IT_CHUNK, err)) <= 0)
		return rc;
	memset(ref, 0, sizeof(*ref));
	ref->seq = store_col_u64(it->st, 0);
	ref->index = store_col_u64(it->st, 1);
	ref->size = store_col_u64(it->st, 3);
	if ((rc = store_col_hash(it->st, 2, ref->hash, W3S_H256, err)) != 0)
		return rc;
	if (it->flags & W3S_CHUNKS_PAYLOAD) {
		rc = chunk_read(it->b, ref->hash, &it->data, &ref->present,
		    err);
		if (rc != 0)
			return rc;
		ref->data = ref->present ? it->data.data : NULL;
	}
	return 1;
}

int
w3s_bucket_chunk_scan(struct w3s_bucket *b, struct w3s_store_iter **it,
    struct w3s_err *err)
{
	return iter_new(b, IT_SCAN, Q_COUNT, it, err);
}

int
w3s_bucket_chunk_get(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    struct w3s_buf *out, struct w3s_err *err)
{
	struct w3s_buf tmp;
	int present, rc;

	w3s_buf_init(&tmp);
	rc = chunk_read(b, hash, &tmp, &present, err);
	if (rc == 0 && !present)
		rc = w3s_err_set(err, W3S_EINCOMPLETE, "bucket %" PRIu64
		    ": chunk is not stored", b->id);
	if (rc == 0) {
		w3s_buf_put(out, tmp.data, tmp.len);
		rc = w3s_buf_check(out, err);
	}
	w3s_buf_release(&tmp);
	return rc;
}

int
store_chunk_size(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    uint64_t *size, int *present, struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_CHUNK_SIZE, err);
	int rc;

	*present = 0;
	if (st == NULL)
		return err->code;
	/* Inside a write session the lookups share one transaction on
	 * chunks.db, the batch's (the next chunk stored joins it): alone,
	 * each lookup would be a transaction of its own, with its locks,
	 * journal check and header read (7 fcntl, 3 stat and 2 pread per
	 * lookup under strace; 150 us per segment of a metadata-only
	 * replay). This writer holds the bucket's lock, so it is the only
	 * one to write chunks.db: the snapshot never goes stale, and the
	 * shared lock held until the batch commits blocks no reader. */
	if (b->session && !b->chunks_txn) {
		rc = sqlite3_exec(b->chunks, "BEGIN", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return store_dberr(b->chunks, rc, err, "cannot read the"
			    " chunks of bucket %" PRIu64, b->id);
		b->chunks_txn = 1;
		b->batch_bytes = 0;
	}
	sqlite3_bind_blob(st, 1, hash, W3S_H256, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*size = store_col_u64(st, 0);
		*present = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_dberr(b->chunks, rc, err, "cannot read a chunk of"
		    " bucket %" PRIu64, b->id);
	return 0;
}

int
w3s_bucket_chunk_has(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    int *present, struct w3s_err *err)
{
	uint64_t size;

	return store_chunk_size(b, hash, &size, present, err);
}

/* ---- MMR nodes -------------------------------------------------------- */

static int
mmr_get(void *ctx, uint64_t pos, uint8_t out[W3S_H256], struct w3s_err *err)
{
	struct w3s_bucket *b = ctx;
	sqlite3_stmt *st = store_q(b, Q_MMR_GET, err);
	int rc;

	if (st == NULL)
		return err->code;
	store_bind_u64(st, 1, pos);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = store_col_hash(st, 0, out, W3S_H256, err);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return w3s_err_set(err, W3S_EMALFORMED, "bucket %" PRIu64
		    ": mmr node %" PRIu64 " is missing", b->id, pos);
	return store_dberr(b->meta, rc, err, "cannot read the mmr of bucket %"
	    PRIu64, b->id);
}

static int
mmr_put(void *ctx, uint64_t pos, const uint8_t node[W3S_H256],
    struct w3s_err *err)
{
	struct w3s_bucket *b = ctx;
	sqlite3_stmt *st = store_q(b, Q_MMR_PUT, err);

	if (st == NULL)
		return err->code;
	store_bind_u64(st, 1, pos);
	sqlite3_bind_blob(st, 2, node, W3S_H256, SQLITE_STATIC);
	return store_step_done(b, b->meta, st, err,
	    "cannot store an mmr node");
}

struct w3s_mmr_store
w3s_bucket_mmr(struct w3s_bucket *b)
{
	struct w3s_mmr_store s = { b, mmr_get, mmr_put };

	return s;
}

int
w3s_bucket_prove(struct w3s_bucket *b, uint64_t seq,
    struct w3s_mmr_proof *proof, struct w3s_err *err)
{
	struct w3s_mmr_store ms = w3s_bucket_mmr(b);
	struct w3s_commitment c;
	struct w3s_segment seg;
	int rc;

	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	if ((rc = store_commitment(b, &c, err)) != 0)
		goto out;
	if (seq < c.start_seq || seq - c.start_seq >= c.leaf_count) {
		rc = w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    " holds no segment %" PRIu64 " (it holds %" PRIu64
		    " from %" PRIu64 ")", b->id, seq, c.leaf_count,
		    c.start_seq);
		goto out;
	}
	if ((rc = w3s_bucket_segment(b, seq, &seg, err)) != 0)
		goto out;
	rc = w3s_mmr_prove(&ms, c.leaf_count, seq - c.start_seq, &seg.leaf,
	    proof, err);
out:
	w3s_bucket_read_end(b);
	return rc;
}

/* ---- checkpoints, deletions, names, changes --------------------------- */

int
w3s_bucket_checkpoints(struct w3s_bucket *b, const struct w3s_commitment *c,
    struct w3s_store_iter **it, struct w3s_err *err)
{
	int rc = iter_new(b, IT_CHECKPOINT, c ? Q_CP_OF : Q_CP_ALL, it, err);

	if (rc != 0 || c == NULL)
		return rc;
	sqlite3_bind_blob((*it)->st, 1, c->mmr_root, W3S_H256,
	    SQLITE_TRANSIENT);
	store_bind_u64((*it)->st, 2, c->start_seq);
	store_bind_u64((*it)->st, 3, c->leaf_count);
	return 0;
}

int
w3s_store_iter_checkpoint(struct w3s_store_iter *it, struct w3s_checkpoint *cp,
    struct w3s_err *err)
{
	int rc = iter_step(it, IT_CHECKPOINT, err);

	if (rc <= 0)
		return rc;
	cp->commitment.start_seq = store_col_u64(it->st, 1);
	cp->commitment.leaf_count = store_col_u64(it->st, 2);
	cp->created = sqlite3_column_int64(it->st, 5);
	if ((rc = store_col_hash(it->st, 0, cp->commitment.mmr_root, W3S_H256,
	    err)) != 0 ||
	    (rc = store_col_hash(it->st, 3, cp->signer, 32, err)) != 0 ||
	    (rc = store_col_hash(it->st, 4, cp->signature, 64, err)) != 0)
		return rc;
	return 1;
}

static int
deletion_row(sqlite3_stmt *st, struct w3s_deletion *d, struct w3s_err *err)
{
	int rc;

	d->id = store_col_u64(st, 0);
	d->new_start_seq = store_col_u64(st, 2);
	d->created = sqlite3_column_int64(st, 5);
	if ((rc = store_col_hash(st, 1, d->new_mmr_root, W3S_H256, err)) != 0 ||
	    (rc = store_col_hash(st, 3, d->admin, 32, err)) != 0 ||
	    (rc = store_col_hash(st, 4, d->signature, 64, err)) != 0)
		return rc;
	return 0;
}

int
w3s_bucket_deletions(struct w3s_bucket *b, struct w3s_store_iter **it,
    struct w3s_err *err)
{
	return iter_new(b, IT_DELETION, Q_DEL_ALL, it, err);
}

int
w3s_store_iter_deletion(struct w3s_store_iter *it, struct w3s_deletion *d,
    struct w3s_err *err)
{
	int rc = iter_step(it, IT_DELETION, err);

	if (rc <= 0)
		return rc;
	return (rc = deletion_row(it->st, d, err)) != 0 ? rc : 1;
}

int
w3s_bucket_deletion_last(struct w3s_bucket *b, struct w3s_deletion *d,
    struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_DEL_LAST, err);
	int rc;

	if (st == NULL)
		return err->code;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = deletion_row(st, d, err);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
	return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
	    " has no deletion certificate", b->id);
}

int
w3s_bucket_names(struct w3s_bucket *b, struct w3s_store_iter **it,
    struct w3s_err *err)
{
	return iter_new(b, IT_NAME, Q_NAME_ALL, it, err);
}

/* Copies the name column and the root column (NULL root: zero). */
static int
name_row(struct w3s_store_iter *it, struct w3s_name_entry *e, int *removed,
    struct w3s_err *err)
{
	const char *name = (const char *)sqlite3_column_text(it->st, 0);

	free(it->name);
	it->name = strdup(name ? name : "");
	if (it->name == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	e->name = it->name;
	if (sqlite3_column_type(it->st, 1) == SQLITE_NULL) {
		memset(e->data_root, 0, W3S_H256);
		if (removed)
			*removed = 1;
		return 0;
	}
	if (removed)
		*removed = 0;
	return store_col_hash(it->st, 1, e->data_root, W3S_H256, err);
}

int
w3s_store_iter_name(struct w3s_store_iter *it, struct w3s_name_entry *e,
    struct w3s_err *err)
{
	int rc = iter_step(it, IT_NAME, err);

	if (rc <= 0)
		return rc;
	return (rc = name_row(it, e, NULL, err)) != 0 ? rc : 1;
}

int
w3s_bucket_name_get(struct w3s_bucket *b, const char *name,
    uint8_t data_root[W3S_H256], struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_NAME_GET, err);
	int rc;

	if (st == NULL)
		return err->code;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = store_col_hash(st, 0, data_root, W3S_H256, err);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
	return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
	    " has no name '%s'", b->id, name);
}

int
w3s_bucket_changes(struct w3s_bucket *b, uint64_t after,
    struct w3s_store_iter **it, struct w3s_err *err)
{
	int rc = iter_new(b, IT_CHANGE, Q_CHANGE_AFTER, it, err);

	if (rc == 0)
		store_bind_u64((*it)->st, 1, clamp_seq(after));
	return rc;
}

int
w3s_store_iter_change(struct w3s_store_iter *it, struct w3s_change *ch,
    struct w3s_err *err)
{
	sqlite3_stmt *st = it->st;
	int rc = iter_step(it, IT_CHANGE, err);

	if (rc <= 0)
		return rc;
	ch->id = store_col_u64(st, 0);
	ch->kind = (enum w3s_change_kind)sqlite3_column_int(st, 1);
	ch->base.start_seq = store_col_u64(st, 3);
	ch->base.leaf_count = store_col_u64(st, 4);
	ch->target.start_seq = store_col_u64(st, 6);
	ch->target.leaf_count = store_col_u64(st, 7);
	ch->first_seq = store_col_u64(st, 8);
	ch->added = store_col_u64(st, 9);
	ch->deletion_id = store_col_u64(st, 10);
	ch->created = sqlite3_column_int64(st, 11);
	if ((rc = store_col_hash(st, 2, ch->base.mmr_root, W3S_H256, err)) ||
	    (rc = store_col_hash(st, 5, ch->target.mmr_root, W3S_H256, err)))
		return rc;
	return 1;
}

int
w3s_bucket_change_names(struct w3s_bucket *b, uint64_t change_id,
    struct w3s_store_iter **it, struct w3s_err *err)
{
	int rc = iter_new(b, IT_CHANGE_NAME, Q_CN_OF, it, err);

	if (rc == 0)
		store_bind_u64((*it)->st, 1, change_id);
	return rc;
}

int
w3s_store_iter_change_name(struct w3s_store_iter *it,
    struct w3s_name_entry *e, int *removed, struct w3s_err *err)
{
	int rc = iter_step(it, IT_CHANGE_NAME, err);

	if (rc <= 0)
		return rc;
	return (rc = name_row(it, e, removed, err)) != 0 ? rc : 1;
}

/* ---- trust and settings ----------------------------------------------- */

int
w3s_bucket_trust_get(struct w3s_bucket *b, struct w3s_trust *t,
    struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_BUCKET_GET, err);
	int rc;

	memset(t, 0, sizeof(*t));
	if (st == NULL)
		return err->code;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_dberr(b->meta, rc == SQLITE_DONE ? SQLITE_CORRUPT :
		    rc, err, "cannot read bucket %" PRIu64, b->id);
	}
	t->min_signers = store_col_u64(st, 4);
	rc = 0;
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		t->anchored = 1;
		rc = store_col_hash(st, 5, t->anchor.mmr_root, W3S_H256, err);
		t->anchor.start_seq = store_col_u64(st, 6);
		t->anchor.leaf_count = store_col_u64(st, 7);
	}
	sqlite3_reset(st);
	return rc;
}

int
w3s_bucket_keys(struct w3s_bucket *b, enum w3s_key_role role,
    struct w3s_store_iter **it, struct w3s_err *err)
{
	int rc = iter_new(b, IT_KEY, Q_KEY_ROLE, it, err);

	if (rc == 0)
		sqlite3_bind_int((*it)->st, 1, (int)role);
	return rc;
}

int
w3s_store_iter_key(struct w3s_store_iter *it, uint8_t pub[32],
    struct w3s_err *err)
{
	int rc = iter_step(it, IT_KEY, err);

	if (rc <= 0)
		return rc;
	return (rc = store_col_hash(it->st, 0, pub, 32, err)) != 0 ? rc : 1;
}

static int
exists(struct w3s_bucket *b, enum store_q q, int role, const uint8_t *pub,
    int *yes, struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, q, err);
	int rc;

	*yes = 0;
	if (st == NULL)
		return err->code;
	sqlite3_bind_int(st, 1, role);
	if (pub != NULL)
		sqlite3_bind_blob(st, 2, pub, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		*yes = 1;
	else if (rc != SQLITE_DONE)
		return store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
	return 0;
}

int
w3s_bucket_key_allowed(struct w3s_bucket *b, enum w3s_key_role role,
    const uint8_t pub[32], struct w3s_err *err)
{
	static const char digits[] = "0123456789abcdef";
	char hex[2 * 32 + 1];
	int any, listed, rc;

	if ((rc = exists(b, Q_KEY_ANY, role, NULL, &any, err)) != 0)
		return rc;
	if (!any)
		return 0;
	if ((rc = exists(b, Q_KEY_HAS, role, pub, &listed, err)) != 0)
		return rc;
	if (listed)
		return 0;
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[pub[i] >> 4];
		hex[2 * i + 1] = digits[pub[i] & 15];
	}
	hex[64] = '\0';
	return w3s_err_set(err, W3S_EVERIFY, "key 0x%s is not %s key of bucket"
	    " %" PRIu64, hex, role == W3S_ROLE_ADMIN ? "an admin" :
	    "a trusted primary", b->id);
}

int
w3s_bucket_setting_get(struct w3s_bucket *b, const char *key,
    struct w3s_buf *out, int *found, struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_SET_GET, err);
	int rc;

	*found = 0;
	if (st == NULL)
		return err->code;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		w3s_buf_put(out, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
		*found = 1;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
	return w3s_buf_check(out, err);
}
