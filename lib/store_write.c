/* The store's write side: the write session, segments, delete_before,
 * signatures, the change log, and freeing chunks. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <w3s/chunk.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/mmr.h>
#include <w3s/scale.h>

#include "store_impl.h"

static int standalone(struct w3s_bucket *b, struct w3s_err *err);

static int
fail(struct w3s_bucket *b, int rc)
{
	if (rc < 0 && b->session)
		b->kind = -1;	/* the session can only be aborted now */
	return rc;
}

static int
need_session(struct w3s_bucket *b, struct w3s_err *err)
{
	if (!b->session)
		return w3s_err_set(err, W3S_EUSAGE, "no write session is open"
		    " on bucket %" PRIu64, b->id);
	if (b->kind < 0)
		return w3s_err_set(err, W3S_EUSAGE, "the write session on"
		    " bucket %" PRIu64 " failed; abort it", b->id);
	return 0;
}

/* Runs a one-off statement with up to two integer parameters. */
static int
run(struct w3s_bucket *b, sqlite3 *db, const char *sql, uint64_t p1,
    uint64_t p2, uint64_t *changes, struct w3s_err *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_dberr(db, rc, err, "cannot prepare a query");
	if (sqlite3_bind_parameter_count(st) >= 1)
		store_bind_u64(st, 1, p1);
	if (sqlite3_bind_parameter_count(st) >= 2)
		store_bind_u64(st, 2, p2);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_dberr(db, rc, err, "cannot update bucket %"
		    PRIu64, b->id);
	if (changes != NULL)
		*changes = (uint64_t)sqlite3_changes64(db);
	return 0;
}

/* Reads one integer from a cached query (0 when there is no row). */
static int
scalar(struct w3s_bucket *b, enum store_q q, int64_t *v, struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, q, err);
	sqlite3 *db;
	int rc;

	*v = 0;
	if (st == NULL)
		return err->code;
	db = sqlite3_db_handle(st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_dberr(db, rc, err, "cannot read bucket %" PRIu64,
		    b->id);
	return 0;
}

static void batch_rollback(struct w3s_bucket *b, int keep_chunks);

static void
reset_session(struct w3s_bucket *b)
{
	b->session = 0;
	b->kind = 0;
	b->prepared = 0;
	/* A batch's chunks commit with the batch. */
	if (!b->batch) {
		b->chunks_txn = 0;
		b->batch_bytes = 0;
	}
	b->added = 0;
	b->dropped = 0;
	b->have_deletion = 0;
	b->change_time = 0;
	b->appending = 0;
	b->seg_open = 0;
}

int
w3s_bucket_write_begin(struct w3s_bucket *b, struct w3s_err *err)
{
	sqlite3_stmt *st;
	int64_t v;
	int rc;

	if ((rc = store_need_write(b, err)) != 0)
		return rc;
	if (b->session || b->reading)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    " is already in a read or write session", b->id);
	/* In a batch, the session goes on in the batch's transaction. */
	if (!b->batch) {
		if ((rc = w3s_bucket_gc(b, NULL, NULL, err)) != 0)
			return rc;
		if ((rc = store_exec(b->meta, "BEGIN IMMEDIATE", err)) != 0)
			return w3s_err_wrap(err, "cannot write bucket %" PRIu64,
			    b->id);
	}
	b->session = 1;
	b->kind = 0;
	if ((rc = store_commitment(b, &b->base, err)) != 0)
		goto fail;
	b->start_seq = b->base.start_seq;
	b->leaf_count = b->base.leaf_count;
	b->first_seq = b->start_seq + b->leaf_count;
	b->prev_total = 0;
	if ((st = store_q(b, Q_LEAF_LAST, err)) == NULL) {
		rc = err->code;
		goto fail;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		b->prev_total = store_col_u64(st, 3);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
		goto fail;
	}
	if ((rc = scalar(b, Q_CHANGE_MAX, &v, err)) != 0)
		goto fail;
	b->change_id = (uint64_t)v + 1;
	if ((rc = scalar(b, Q_CHUNK_MAXID, &b->chunk_id_start, err)) != 0)
		goto fail;
	return 0;
fail:
	if (b->batch)
		batch_rollback(b, 0);
	else
		sqlite3_exec(b->meta, "ROLLBACK", NULL, NULL, NULL);
	reset_session(b);
	return rc;
}

/* ---- chunks ----------------------------------------------------------- */

int
store_chunks_commit(struct w3s_bucket *b, struct w3s_err *err)
{
	int rc;

	if (!b->chunks_txn)
		return 0;
	/* synchronous = FULL: durable when COMMIT returns. */
	rc = sqlite3_exec(b->chunks, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_dberr(b->chunks, rc, err, "cannot store chunks in bucket %"
		    PRIu64, b->id);
		sqlite3_exec(b->chunks, "ROLLBACK", NULL, NULL, NULL);
		b->chunks_txn = 0;
		return err->code;
	}
	b->chunks_txn = 0;
	b->batch_bytes = 0;
	return 0;
}

int
store_chunk_put(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    const uint8_t *data, size_t len, int *stored, struct w3s_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (stored != NULL)
		*stored = 0;
	if (!b->chunks_txn) {
		rc = sqlite3_exec(b->chunks, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL);
		if (rc != SQLITE_OK)
			return store_dberr(b->chunks, rc, err, "cannot store"
			    " chunks in bucket %" PRIu64, b->id);
		b->chunks_txn = 1;
		b->batch_bytes = 0;
	}
	if ((st = store_q(b, Q_CHUNK_SIZE, err)) == NULL)
		return err->code;
	sqlite3_bind_blob(st, 1, hash, W3S_H256, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_dberr(b->chunks, rc, err, "cannot read the chunks"
		    " of bucket %" PRIu64, b->id);
	if ((st = store_q(b, Q_CHUNK_PUT, err)) == NULL)
		return err->code;
	sqlite3_bind_blob(st, 1, hash, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 2, len);
	/* A zero-length blob, not NULL, for the empty chunk. */
	sqlite3_bind_blob(st, 3, len ? (const void *)data : "", (int)len,
	    SQLITE_STATIC);
	if ((rc = store_step_done(b, b->chunks, st, err,
	    "cannot store a chunk")) != 0)
		return w3s_err_wrap(err, "bucket %" PRIu64, b->id);
	if (stored != NULL)
		*stored = 1;
	b->batch_bytes += len + 64;
	if (b->batch_bytes >= STORE_BATCH_BYTES)
		return store_chunks_commit(b, err);
	return 0;
}

static int
check_chunk_len(size_t len, struct w3s_err *err)
{
	if (len > W3S_CHUNK_SIZE)
		return w3s_err_set(err, W3S_EUSAGE, "a chunk of %zu bytes is"
		    " longer than %u", len, W3S_CHUNK_SIZE);
	return 0;
}

int
w3s_bucket_chunk_put(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    const uint8_t *data, size_t len, int *stored, struct w3s_err *err)
{
	int rc;

	if ((rc = need_session(b, err)) != 0 ||
	    (rc = check_chunk_len(len, err)) != 0)
		return rc;
	if (b->prepared)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    ": the session is already prepared", b->id);
	return fail(b, store_chunk_put(b, hash, data, len, stored, err));
}

/* ---- segments --------------------------------------------------------- */

int
w3s_bucket_segment_begin(struct w3s_bucket *b, struct w3s_err *err)
{
	int rc;

	if ((rc = need_session(b, err)) != 0)
		return rc;
	/* Segments may follow a drop (an importer applying a delta that
	 * drops and adds). */
	if (b->kind == W3S_CHANGE_DROP && b->prepared && !b->seg_open) {
		b->prepared = 0;
		b->appending = 1;
	}
	if ((b->kind == W3S_CHANGE_DROP && !b->appending) || b->prepared ||
	    b->seg_open)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    ": cannot start a segment now", b->id);
	if (b->start_seq + b->leaf_count >= W3S_STORE_SEQ_MAX)
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    " has no sequence numbers left", b->id);
	if (!b->appending)
		b->kind = W3S_CHANGE_ADD;
	b->seg_open = 1;
	b->seg_chunks = 0;
	b->seg_size = 0;
	w3s_merkle_builder_init(&b->mb);
	return 0;
}

/* Appends chunk hash of len bytes (stored already) to the open segment. */
static int
segment_append(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    uint64_t len, struct w3s_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (b->seg_size > UINT64_MAX - len || b->seg_size + len >
	    W3S_STORE_SEQ_MAX)
		return fail(b, w3s_err_set(err, W3S_EUSAGE,
		    "segment is too large"));
	if ((st = store_q(b, Q_SC_PUT, err)) == NULL)
		return fail(b, err->code);
	store_bind_u64(st, 1, b->start_seq + b->leaf_count);
	store_bind_u64(st, 2, b->seg_chunks);
	sqlite3_bind_blob(st, 3, hash, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 4, len);
	if ((rc = store_step_done(b, b->meta, st, err,
	    "cannot record a chunk list")) != 0)
		return fail(b, rc);
	w3s_merkle_builder_push(&b->mb, hash);
	b->seg_size += len;
	b->seg_chunks++;
	return 0;
}

int
w3s_bucket_segment_chunk_held(struct w3s_bucket *b,
    const uint8_t hash[W3S_H256], int *present, struct w3s_err *err)
{
	uint64_t len = 0;
	int rc;

	*present = 0;
	if ((rc = need_session(b, err)) != 0)
		return rc;
	if (!b->seg_open)
		return w3s_err_set(err, W3S_EUSAGE, "no segment is open");
	if ((rc = store_chunk_size(b, hash, &len, present, err)) != 0)
		return fail(b, rc);
	if (!*present)
		return 0;
	if (len > W3S_CHUNK_SIZE)
		return fail(b, w3s_err_set(err, W3S_EMALFORMED,
		    "bucket %" PRIu64 ": a stored chunk is too long", b->id));
	return segment_append(b, hash, len, err);
}

int
w3s_bucket_segment_chunk(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    const uint8_t *data, size_t len, struct w3s_err *err)
{
	char hex[W3S_HEX32_LEN];
	int rc, present;

	if (data == NULL) {
		if ((rc = w3s_bucket_segment_chunk_held(b, hash, &present,
		    err)) != 0 || present)
			return rc;
		w3s_hex32_format(hex, hash);
		return fail(b, w3s_err_set(err, W3S_EINCOMPLETE, "bucket %"
		    PRIu64 ": chunk %s is not stored", b->id, hex));
	}
	if ((rc = need_session(b, err)) != 0)
		return rc;
	if (!b->seg_open)
		return w3s_err_set(err, W3S_EUSAGE, "no segment is open");
	if ((rc = check_chunk_len(len, err)) != 0 ||
	    (rc = store_chunk_put(b, hash, data, len, NULL, err)) != 0)
		return fail(b, rc);
	return segment_append(b, hash, len, err);
}

int
w3s_bucket_segment_end(struct w3s_bucket *b, const struct w3s_leaf *expect,
    struct w3s_segment *out, struct w3s_err *err)
{
	struct w3s_mmr_store ms = w3s_bucket_mmr(b);
	struct w3s_segment seg;
	uint8_t leaf_hash[W3S_H256];
	sqlite3_stmt *st;
	int rc;

	if ((rc = need_session(b, err)) != 0)
		return rc;
	if (!b->seg_open)
		return w3s_err_set(err, W3S_EUSAGE, "no segment is open");
	if (b->seg_chunks == 0)
		return fail(b, w3s_err_set(err, W3S_EUSAGE, "a segment needs"
		    " at least one chunk (the empty blob is one empty chunk)"));
	memset(&seg, 0, sizeof(seg));
	seg.seq = b->start_seq + b->leaf_count;
	seg.chunk_count = b->seg_chunks;
	w3s_merkle_builder_finish(&b->mb, seg.leaf.data_root);
	seg.leaf.data_size = b->seg_size;
	if (expect != NULL) {
		if (memcmp(expect->data_root, seg.leaf.data_root,
		    W3S_H256) != 0 || expect->data_size != seg.leaf.data_size)
			return fail(b, w3s_err_set(err, W3S_EVERIFY,
			    "segment %" PRIu64 ": its chunks do not give the"
			    " expected data root and size", seg.seq));
		seg.leaf.total_size = expect->total_size;
	} else {
		if (b->prev_total > W3S_STORE_SEQ_MAX - seg.leaf.data_size)
			return fail(b, w3s_err_set(err, W3S_ENOTAPPLY,
			    "bucket %" PRIu64 ": total_size would overflow",
			    b->id));
		seg.leaf.total_size = b->prev_total + seg.leaf.data_size;
	}
	if (seg.leaf.total_size > W3S_STORE_SEQ_MAX)
		return fail(b, w3s_err_set(err, W3S_EMALFORMED,
		    "segment %" PRIu64 ": total_size is too large", seg.seq));
	if ((st = store_q(b, Q_LEAF_PUT, err)) == NULL)
		return fail(b, err->code);
	store_bind_u64(st, 1, seg.seq);
	sqlite3_bind_blob(st, 2, seg.leaf.data_root, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 3, seg.leaf.data_size);
	store_bind_u64(st, 4, seg.leaf.total_size);
	store_bind_u64(st, 5, seg.chunk_count);
	store_bind_u64(st, 6, b->change_id);
	if ((rc = store_step_done(b, b->meta, st, err,
	    "cannot record a segment")) != 0)
		return fail(b, rc);
	w3s_leaf_hash(&seg.leaf, leaf_hash);
	if ((rc = w3s_mmr_append(&ms, b->leaf_count, leaf_hash, err)) != 0)
		return fail(b, rc);
	b->leaf_count++;
	b->prev_total = seg.leaf.total_size;
	b->added++;
	b->seg_open = 0;
	if (out != NULL)
		*out = seg;
	return 0;
}

int
w3s_bucket_name_set(struct w3s_bucket *b, const char *name,
    const uint8_t data_root[W3S_H256], struct w3s_err *err)
{
	size_t len = strlen(name);
	sqlite3_stmt *st;
	int rc;

	if ((rc = need_session(b, err)) != 0)
		return rc;
	if (len == 0 || len > W3S_STORE_NAME_MAX)
		return w3s_err_set(err, W3S_EUSAGE, "a name is 1 to %d bytes",
		    W3S_STORE_NAME_MAX);
	for (size_t i = 0; i < len; i++)
		if (iscntrl((unsigned char)name[i]))
			return w3s_err_set(err, W3S_EUSAGE, "a name may not"
			    " hold control characters");
	if ((st = store_q(b, Q_NAME_PUT, err)) == NULL)
		return fail(b, err->code);
	sqlite3_bind_text(st, 1, name, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, data_root, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 3, b->change_id);
	if ((rc = store_step_done(b, b->meta, st, err,
	    "cannot record a name")) != 0)
		return fail(b, rc);
	if ((st = store_q(b, Q_CN_PUT, err)) == NULL)
		return fail(b, err->code);
	store_bind_u64(st, 1, b->change_id);
	sqlite3_bind_text(st, 2, name, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, data_root, W3S_H256, SQLITE_STATIC);
	return fail(b, store_step_done(b, b->meta, st, err,
	    "cannot record a name"));
}

int
w3s_bucket_name_remove(struct w3s_bucket *b, const char *name,
    struct w3s_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = need_session(b, err)) != 0)
		return rc;
	rc = sqlite3_prepare_v2(b->meta, "DELETE FROM name WHERE name = ?1",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(b, store_dberr(b->meta, rc, err, "cannot prepare"
		    " a query"));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = store_step_done(b, b->meta, st, err, "cannot remove a name");
	sqlite3_finalize(st);
	if (rc != 0)
		return fail(b, rc);
	if ((st = store_q(b, Q_CN_PUT, err)) == NULL)
		return fail(b, err->code);
	store_bind_u64(st, 1, b->change_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_null(st, 3);
	return fail(b, store_step_done(b, b->meta, st, err,
	    "cannot record a name"));
}

int
w3s_bucket_write_set_start(struct w3s_bucket *b, uint64_t start_seq,
    struct w3s_err *err)
{
	int rc;

	if ((rc = need_session(b, err)) != 0)
		return rc;
	if (b->leaf_count != 0 || b->added != 0 || b->seg_open ||
	    b->kind == W3S_CHANGE_DROP || b->prepared)
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    " is not empty: start_seq stays %" PRIu64, b->id,
		    b->start_seq);
	if (start_seq >= W3S_STORE_SEQ_MAX)
		return w3s_err_set(err, W3S_EUSAGE, "start_seq %" PRIu64
		    " is too large", start_seq);
	b->start_seq = start_seq;
	b->first_seq = start_seq;
	b->prev_total = 0;
	return 0;
}

int
w3s_bucket_write_set_time(struct w3s_bucket *b, int64_t created,
    struct w3s_err *err)
{
	int rc;

	if ((rc = need_session(b, err)) != 0)
		return rc;
	if (created <= 0)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    ": a commit time must be after 1970", b->id);
	b->change_time = created;
	return 0;
}

int
w3s_bucket_write_prepare(struct w3s_bucket *b, struct w3s_commitment *next,
    struct w3s_err *err)
{
	struct w3s_mmr_store ms = w3s_bucket_mmr(b);
	int rc;

	if ((rc = need_session(b, err)) != 0)
		return rc;
	if ((b->kind != W3S_CHANGE_ADD && !b->appending) || b->added == 0 ||
	    b->seg_open || b->prepared)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    ": no finished segment to commit", b->id);
	memset(&b->next, 0, sizeof(b->next));
	if ((rc = w3s_mmr_root(&ms, b->leaf_count, b->next.mmr_root, err)) != 0)
		return fail(b, rc);
	b->next.start_seq = b->start_seq;
	b->next.leaf_count = b->leaf_count;
	/* Chunks become durable before anything that references them (in a
	 * batch, when the batch commits). */
	if (!b->batch && (rc = store_chunks_commit(b, err)) != 0)
		return fail(b, rc);
	b->prepared = 1;
	*next = b->next;
	return 0;
}

/* ---- delete_before ---------------------------------------------------- */

/* delete_before; past_end: new_start_seq past the last segment drops them
 * all and moves start_seq there. */
static int
drop_prepare(struct w3s_bucket *b, uint64_t new_start_seq, int past_end,
    struct w3s_commitment *next, uint64_t *dropped, struct w3s_err *err)
{
	static const char *const sql[] = {
		/* Chunks of dropped segments become garbage... */
		"INSERT OR IGNORE INTO garbage (hash) SELECT hash"
		    " FROM segment_chunk WHERE seq < ?1",
		"DELETE FROM segment_chunk WHERE seq < ?1",
		/* ...unless a survivor still uses them. */
		"DELETE FROM garbage WHERE EXISTS (SELECT 1 FROM"
		    " segment_chunk s WHERE s.hash = garbage.hash)",
		"DELETE FROM leaf WHERE seq < ?1",
		/* Names whose data root no survivor holds go too. */
		"INSERT OR REPLACE INTO change_name (change_id, name,"
		    " data_root) SELECT ?2, name, NULL FROM name WHERE NOT"
		    " EXISTS (SELECT 1 FROM leaf WHERE leaf.data_root ="
		    " name.data_root)",
		"DELETE FROM name WHERE NOT EXISTS (SELECT 1 FROM leaf"
		    " WHERE leaf.data_root = name.data_root)",
		"DELETE FROM mmr_node",
	};
	struct w3s_mmr_store ms = w3s_bucket_mmr(b);
	uint64_t end = b->start_seq + b->leaf_count, n = 0;
	struct w3s_store_iter *it = NULL;
	struct w3s_segment seg;
	uint8_t h[W3S_H256];
	int rc;

	if ((rc = need_session(b, err)) != 0)
		return rc;
	if (b->kind != 0 || b->prepared)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    ": a drop needs a session of its own", b->id);
	if (new_start_seq < b->start_seq)
		return w3s_err_set(err, W3S_ENOTAPPLY, "sequence %" PRIu64
		    " is before the bucket's start_seq %" PRIu64,
		    new_start_seq, b->start_seq);
	if (new_start_seq == b->start_seq)
		return w3s_err_set(err, W3S_ENOTAPPLY, "nothing to drop:"
		    " sequence %" PRIu64 " is the bucket's start_seq",
		    new_start_seq);
	if (new_start_seq >= W3S_STORE_SEQ_MAX)
		return w3s_err_set(err, W3S_ENOTAPPLY, "sequence %" PRIu64
		    " is too large", new_start_seq);
	if (new_start_seq > end && !past_end) {
		if (b->leaf_count == 0)
			return w3s_err_set(err, W3S_ENOTAPPLY, "sequence %"
			    PRIu64 " is past the end: bucket %" PRIu64
			    " holds no segment", new_start_seq, b->id);
		return w3s_err_set(err, W3S_ENOTAPPLY, "sequence %" PRIu64
		    " is past the end: the last segment is %" PRIu64,
		    new_start_seq, end - 1);
	}
	b->kind = W3S_CHANGE_DROP;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if ((rc = run(b, b->meta, sql[i], new_start_seq, b->change_id,
		    NULL, err)) != 0)
			return fail(b, rc);
	/* The one rebuild: survivors from position 0, as the provider does. */
	if ((rc = w3s_bucket_segments(b, new_start_seq, end, &it, err)) != 0)
		return fail(b, rc);
	while ((rc = w3s_store_iter_segment(it, &seg, err)) == 1) {
		if (seg.seq != new_start_seq + n) {
			rc = w3s_err_set(err, W3S_EMALFORMED, "bucket %"
			    PRIu64 ": segment %" PRIu64 " is missing", b->id,
			    new_start_seq + n);
			break;
		}
		w3s_leaf_hash(&seg.leaf, h);
		if ((rc = w3s_mmr_append(&ms, n, h, err)) != 0)
			break;
		n++;
	}
	w3s_store_iter_free(it);
	if (rc < 0)
		return fail(b, rc);
	if (n != (new_start_seq < end ? end - new_start_seq : 0))
		return fail(b, w3s_err_set(err, W3S_EMALFORMED, "bucket %"
		    PRIu64 ": %" PRIu64 " segments expected, %" PRIu64
		    " found", b->id, end - new_start_seq, n));
	memset(&b->next, 0, sizeof(b->next));
	if ((rc = w3s_mmr_root(&ms, n, b->next.mmr_root, err)) != 0)
		return fail(b, rc);
	b->next.start_seq = new_start_seq;
	b->next.leaf_count = n;
	b->dropped = b->leaf_count - n;
	b->start_seq = new_start_seq;
	b->leaf_count = n;
	if (n == 0)
		b->prev_total = 0;
	b->first_seq = new_start_seq + n;
	b->prepared = 1;
	*next = b->next;
	if (dropped != NULL)
		*dropped = b->dropped;
	return 0;
}

int
w3s_bucket_drop_prepare(struct w3s_bucket *b, uint64_t new_start_seq,
    struct w3s_commitment *next, uint64_t *dropped, struct w3s_err *err)
{
	return drop_prepare(b, new_start_seq, 0, next, dropped, err);
}

int
w3s_bucket_drop_replayed(struct w3s_bucket *b, uint64_t new_start_seq,
    struct w3s_commitment *next, uint64_t *dropped, struct w3s_err *err)
{
	return drop_prepare(b, new_start_seq, 1, next, dropped, err);
}

/* ---- signatures ------------------------------------------------------- */

/* Is this exact signature already recorded for the commitment? Every row
 * was verified when it was added, so the same bytes need no second
 * Ed25519 verification (an importer adds a delta's target signature once
 * from the manifest and once from its checkpoint record). */
static int
checkpoint_known(struct w3s_bucket *b, const struct w3s_commitment *c,
    const uint8_t signer[32], const uint8_t sig[64], int *known,
    struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_CP_OF, err);
	int rc;

	*known = 0;
	if (st == NULL)
		return err->code;
	sqlite3_bind_blob(st, 1, c->mmr_root, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 2, c->start_seq);
	store_bind_u64(st, 3, c->leaf_count);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 3) == 32 &&
		    sqlite3_column_bytes(st, 4) == 64 &&
		    memcmp(sqlite3_column_blob(st, 3), signer, 32) == 0 &&
		    memcmp(sqlite3_column_blob(st, 4), sig, 64) == 0) {
			*known = 1;
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_dberr(b->meta, rc, err, "cannot read the"
		    " checkpoints of bucket %" PRIu64, b->id);
	return 0;
}

int
w3s_bucket_checkpoint_add(struct w3s_bucket *b,
    const struct w3s_commitment *c, const uint8_t signer[32],
    const uint8_t sig[64], struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	char hex[W3S_HEX32_LEN];
	sqlite3_stmt *st;
	int known, rc;

	if ((rc = store_need_write(b, err)) != 0)
		return rc;
	if (b->session && (rc = need_session(b, err)) != 0)
		return rc;
	if ((rc = checkpoint_known(b, c, signer, sig, &known, err)) != 0)
		return fail(b, rc);
	if (known)
		return 0;
	w3s_payload_v1_encode(b->id, c, payload);
	if (w3s_key_verify(signer, payload, sizeof(payload), sig) != 0) {
		w3s_hex32_format(hex, signer);
		return w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64
		    ": the signature of key %s over the commitment does not"
		    " verify", b->id, hex);
	}
	if ((st = store_q(b, Q_CP_PUT, err)) == NULL)
		return fail(b, err->code);
	sqlite3_bind_blob(st, 1, c->mmr_root, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 2, c->start_seq);
	store_bind_u64(st, 3, c->leaf_count);
	sqlite3_bind_blob(st, 4, signer, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, sig, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	return fail(b, store_step_done(b, b->meta, st, err,
	    "cannot record a checkpoint"));
}

/* admin's signature over payload v1 of {root, start_seq, 0}. */
static int
deletion_verify(struct w3s_bucket *b, const uint8_t root[W3S_H256],
    uint64_t start_seq, const uint8_t admin[32], const uint8_t sig[64],
    struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	struct w3s_commitment c;
	char hex[W3S_HEX32_LEN];

	memcpy(c.mmr_root, root, W3S_H256);
	c.start_seq = start_seq;
	c.leaf_count = 0;
	w3s_payload_v1_encode(b->id, &c, payload);
	if (w3s_key_verify(admin, payload, sizeof(payload), sig) == 0)
		return 0;
	w3s_hex32_format(hex, admin);
	return w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64 ": the"
	    " deletion signature of key %s does not verify", b->id, hex);
}

static int
deletion_put(struct w3s_bucket *b, const uint8_t root[W3S_H256],
    uint64_t start_seq, const uint8_t admin[32], const uint8_t sig[64],
    int64_t created, struct w3s_err *err)
{
	sqlite3_stmt *st;

	if ((st = store_q(b, Q_DEL_PUT, err)) == NULL)
		return fail(b, err->code);
	sqlite3_bind_blob(st, 1, root, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 2, start_seq);
	sqlite3_bind_blob(st, 3, admin, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sig, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, created ? (sqlite3_int64)created :
	    (sqlite3_int64)time(NULL));
	return fail(b, store_step_done(b, b->meta, st, err,
	    "cannot record a deletion certificate"));
}

int
w3s_bucket_deletion_add(struct w3s_bucket *b, const uint8_t admin[32],
    const uint8_t sig[64], struct w3s_err *err)
{
	struct w3s_commitment c;
	int rc;

	if ((rc = need_session(b, err)) != 0)
		return rc;
	if (b->kind != W3S_CHANGE_DROP || b->have_deletion || b->seg_open ||
	    !(b->prepared || b->appending))
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    ": no drop is prepared", b->id);
	c = b->next;
	if (b->appending) {
		/* The producer dropped after some of the segments appended
		 * since: the state now is the one it certified. */
		struct w3s_mmr_store ms = w3s_bucket_mmr(b);

		if ((rc = w3s_mmr_root(&ms, b->leaf_count, c.mmr_root,
		    err)) != 0)
			return fail(b, rc);
		c.start_seq = b->start_seq;
		c.leaf_count = b->leaf_count;
	}
	if ((rc = deletion_verify(b, c.mmr_root, c.start_seq, admin, sig,
	    err)) != 0)
		return rc;
	b->del_next = c;
	memcpy(b->del_admin, admin, 32);
	memcpy(b->del_sig, sig, 64);
	b->have_deletion = 1;
	return 0;
}

int
w3s_bucket_deletion_record(struct w3s_bucket *b,
    const struct w3s_deletion *d, struct w3s_err *err)
{
	int rc;

	if ((rc = standalone(b, err)) != 0)
		return rc;
	if (d->new_start_seq > W3S_STORE_SEQ_MAX)
		return w3s_err_set(err, W3S_EUSAGE, "start_seq %" PRIu64
		    " is too large", d->new_start_seq);
	if ((rc = deletion_verify(b, d->new_mmr_root, d->new_start_seq,
	    d->admin, d->signature, err)) != 0)
		return rc;
	return deletion_put(b, d->new_mmr_root, d->new_start_seq, d->admin,
	    d->signature, d->created, err);
}

/* ---- commit and abort ------------------------------------------------- */

static int
record_change(struct w3s_bucket *b, uint64_t deletion_id, struct w3s_err *err)
{
	sqlite3_stmt *st = store_q(b, Q_CHANGE_PUT, err);

	if (st == NULL)
		return err->code;
	store_bind_u64(st, 1, b->change_id);
	sqlite3_bind_int(st, 2, b->kind);
	sqlite3_bind_blob(st, 3, b->base.mmr_root, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 4, b->base.start_seq);
	store_bind_u64(st, 5, b->base.leaf_count);
	sqlite3_bind_blob(st, 6, b->next.mmr_root, W3S_H256, SQLITE_STATIC);
	store_bind_u64(st, 7, b->next.start_seq);
	store_bind_u64(st, 8, b->next.leaf_count);
	store_bind_u64(st, 9, b->first_seq);
	store_bind_u64(st, 10, b->added);
	if (deletion_id != 0)
		store_bind_u64(st, 11, deletion_id);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_int64(st, 12, b->change_time > 0 ?
	    (sqlite3_int64)b->change_time : (sqlite3_int64)time(NULL));
	return store_step_done(b, b->meta, st, err,
	    "cannot record the change");
}

int
w3s_bucket_write_commit(struct w3s_bucket *b, struct w3s_commit_result *res,
    struct w3s_err *err)
{
	struct w3s_commit_result none;
	struct w3s_err gc_err;
	uint64_t deletion_id = 0;
	int rc;

	if (res == NULL)
		res = &none;
	memset(res, 0, sizeof(*res));
	if ((rc = need_session(b, err)) != 0)
		return rc;
	if (!b->prepared)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    ": nothing is prepared to commit", b->id);
	if (b->kind == W3S_CHANGE_DROP) {
		if (!b->have_deletion)
			return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
			    ": a drop needs its deletion certificate", b->id);
		if ((rc = deletion_put(b, b->del_next.mmr_root,
		    b->del_next.start_seq, b->del_admin, b->del_sig, 0,
		    err)) != 0)
			return rc;
		deletion_id = (uint64_t)sqlite3_last_insert_rowid(b->meta);
	}
	if ((rc = record_change(b, deletion_id, err)) != 0 ||
	    (rc = store_commitment_set(b, &b->next, err)) != 0 ||
	    (!b->batch && (rc = store_chunks_commit(b, err)) != 0))
		return fail(b, rc);
	res->change_id = b->change_id;
	if (b->batch) {
		/* Committed with the batch, chunks freed after it. */
		reset_session(b);
		return 0;
	}
	/* synchronous = FULL in WAL mode: durable when COMMIT returns. */
	rc = sqlite3_exec(b->meta, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail(b, store_dberr(b->meta, rc, err, "cannot commit"
		    " bucket %" PRIu64, b->id));
	reset_session(b);
	/* Freeing is not part of the commit: a failure leaves the chunks
	 * marked for the next writer. */
	if (w3s_bucket_gc(b, &res->freed_chunks, &res->deferred_chunks,
	    &gc_err) != 0) {
		int64_t left = 0;

		scalar(b, Q_GARBAGE_COUNT, &left, &gc_err);
		res->deferred_chunks = (uint64_t)left;
	}
	return 0;
}

/* Rolls meta.db back. Kept chunks are committed: they are content-addressed
 * and unreferenced, harmless until a resume references them. Others go,
 * with those of chunk transactions committed on the way (one commits when
 * full): rows past chunk_id, the largest id before (a chunk already stored
 * is never rewritten). */
static void
roll_back(struct w3s_bucket *b, int keep_chunks, int64_t chunk_id)
{
	struct w3s_err ignored;

	sqlite3_exec(b->meta, "ROLLBACK", NULL, NULL, NULL);
	if (b->chunks_txn && (!keep_chunks ||
	    sqlite3_exec(b->chunks, "COMMIT", NULL, NULL, NULL) != SQLITE_OK))
		sqlite3_exec(b->chunks, "ROLLBACK", NULL, NULL, NULL);
	if (!keep_chunks)
		run(b, b->chunks, "DELETE FROM chunk WHERE id > ?1",
		    (uint64_t)chunk_id, 0, NULL, &ignored);
}

void
w3s_bucket_write_abort(struct w3s_bucket *b, int keep_chunks)
{
	if (!b->session)
		return;
	if (b->batch)
		batch_rollback(b, keep_chunks);
	else
		roll_back(b, keep_chunks, b->chunk_id_start);
	reset_session(b);
}

/* ---- batches ---------------------------------------------------------- */

/* A batch holds the meta.db pages its sessions touch in an 8 MiB cache:
 * with SQLite's default 2 MiB, dirty pages spill to the WAL and a page is
 * written again each time a later session of the batch touches it.
 * Measured with bench/replay.sh's deltas (1,000 of 100 one-byte
 * segments, batches of 256): 1.52-1.57 s with 2 MiB, 1.33 s with 8 MiB. */
#define BATCH_CACHE "PRAGMA cache_size = -8192"
#define DEFAULT_CACHE "PRAGMA cache_size = -2000"

int
w3s_bucket_batch_begin(struct w3s_bucket *b, struct w3s_err *err)
{
	int rc;

	if ((rc = store_need_write(b, err)) != 0)
		return rc;
	if (b->batch || b->session || b->reading)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    " is already in a batch or a session", b->id);
	if ((rc = w3s_bucket_gc(b, NULL, NULL, err)) != 0)
		return rc;
	if ((rc = scalar(b, Q_CHUNK_MAXID, &b->batch_chunk_id, err)) != 0)
		return rc;
	if ((rc = store_exec(b->meta, BATCH_CACHE, err)) != 0)
		return rc;
	if ((rc = store_exec(b->meta, "BEGIN IMMEDIATE", err)) != 0)
		return w3s_err_wrap(err, "cannot write bucket %" PRIu64, b->id);
	b->batch = 1;
	b->chunks_txn = 0;
	b->batch_bytes = 0;
	return 0;
}

/* Ends the batch; the caller has committed or rolled back meta.db. */
static void
batch_end(struct w3s_bucket *b)
{
	sqlite3_exec(b->meta, DEFAULT_CACHE, NULL, NULL, NULL);
	b->batch = 0;
	b->chunks_txn = 0;
	b->batch_bytes = 0;
}

/* Rolls the whole batch back (its chunks kept or removed, as a session's
 * abort does with its own) and ends it. */
static void
batch_rollback(struct w3s_bucket *b, int keep_chunks)
{
	roll_back(b, keep_chunks, b->batch_chunk_id);
	batch_end(b);
}

int
w3s_bucket_batch_commit(struct w3s_bucket *b, struct w3s_err *err)
{
	struct w3s_err gc_err;
	int rc;

	if (!b->batch)
		return w3s_err_set(err, W3S_EUSAGE, "no batch is open on"
		    " bucket %" PRIu64, b->id);
	if (b->session)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64 ": a"
		    " write session is still open in the batch", b->id);
	/* Chunks first, as a session commits them. */
	if ((rc = store_chunks_commit(b, err)) != 0) {
		w3s_bucket_batch_abort(b);
		return rc;
	}
	rc = sqlite3_exec(b->meta, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = store_dberr(b->meta, rc, err, "cannot commit bucket %"
		    PRIu64, b->id);
		w3s_bucket_batch_abort(b);
		return rc;
	}
	batch_end(b);
	/* Freeing is not part of the commit (see w3s_bucket_write_commit). */
	w3s_bucket_gc(b, NULL, NULL, &gc_err);
	return 0;
}

void
w3s_bucket_batch_abort(struct w3s_bucket *b)
{
	if (b->session)
		w3s_bucket_write_abort(b, 0);	/* ends the batch */
	else if (b->batch)
		batch_rollback(b, 0);
}

/* ---- freeing chunks --------------------------------------------------- */

int
w3s_bucket_gc(struct w3s_bucket *b, uint64_t *freed, uint64_t *deferred,
    struct w3s_err *err)
{
	sqlite3_stmt *gs = NULL, *st;
	uint64_t n = 0, count;
	int64_t pending;
	int got, rc;

	if (freed != NULL)
		*freed = 0;
	if (deferred != NULL)
		*deferred = 0;
	if ((rc = store_need_write(b, err)) != 0)
		return rc;
	if (b->session || b->reading)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    ": chunks are freed outside sessions", b->id);
	if ((rc = scalar(b, Q_GARBAGE_COUNT, &pending, err)) != 0)
		return rc;
	if (pending == 0)
		return 0;
	/* A registered reader may still need these chunks: leave them. */
	if ((rc = store_readers_lock(b, 1, 1, &got, err)) != 0)
		return rc;
	if (!got) {
		if (deferred != NULL)
			*deferred = (uint64_t)pending;
		return 0;
	}
	if ((rc = store_exec(b->meta, "BEGIN IMMEDIATE", err)) != 0)
		goto out;
	if ((rc = run(b, b->meta, "DELETE FROM garbage WHERE EXISTS (SELECT 1"
	    " FROM segment_chunk s WHERE s.hash = garbage.hash)", 0, 0, NULL,
	    err)) != 0)
		goto rollback;
	if ((rc = store_exec(b->chunks, "BEGIN IMMEDIATE", err)) != 0)
		goto rollback;
	if ((rc = store_prepare(b, Q_GARBAGE_ALL, &gs, err)) != 0)
		goto rollback_chunks;
	while ((rc = sqlite3_step(gs)) == SQLITE_ROW) {
		if ((st = store_q(b, Q_CHUNK_DEL, err)) == NULL) {
			rc = err->code;
			goto rollback_chunks;
		}
		sqlite3_bind_blob(st, 1, sqlite3_column_blob(gs, 0),
		    sqlite3_column_bytes(gs, 0), SQLITE_TRANSIENT);
		if ((rc = store_step_done(b, b->chunks, st, err,
		    "cannot free a chunk")) != 0)
			goto rollback_chunks;
		n += (uint64_t)sqlite3_changes64(b->chunks);
	}
	if (rc != SQLITE_DONE) {
		rc = store_dberr(b->meta, rc, err, "cannot read bucket %"
		    PRIu64, b->id);
		goto rollback_chunks;
	}
	sqlite3_finalize(gs);
	gs = NULL;
	/* Freed for good first; the marks go after (a crash in between only
	 * repeats a harmless delete). */
	if ((rc = store_exec(b->chunks, "COMMIT", err)) != 0)
		goto rollback_chunks;
	if ((rc = run(b, b->meta, "DELETE FROM garbage", 0, 0, &count,
	    err)) != 0 || (rc = store_exec(b->meta, "COMMIT", err)) != 0)
		goto rollback;
	if (freed != NULL)
		*freed = n;
	goto out;
rollback_chunks:
	sqlite3_finalize(gs);
	sqlite3_exec(b->chunks, "ROLLBACK", NULL, NULL, NULL);
rollback:
	sqlite3_exec(b->meta, "ROLLBACK", NULL, NULL, NULL);
out:
	store_readers_unlock(b);
	return rc;
}

/* ---- trust and settings ----------------------------------------------- */

static int
standalone(struct w3s_bucket *b, struct w3s_err *err)
{
	int rc;

	if ((rc = store_need_write(b, err)) != 0)
		return rc;
	if (b->session)
		return need_session(b, err);
	if (b->reading)
		return w3s_err_set(err, W3S_EUSAGE, "bucket %" PRIu64
		    " is in a read session", b->id);
	return 0;
}

int
w3s_bucket_trust_set(struct w3s_bucket *b, const struct w3s_trust *t,
    struct w3s_err *err)
{
	sqlite3_stmt *st;
	int rc = standalone(b, err);

	if (rc != 0)
		return rc;
	rc = sqlite3_prepare_v2(b->meta, "UPDATE bucket SET min_signers = ?1,"
	    " anchor_root = ?2, anchor_start_seq = ?3, anchor_leaf_count = ?4"
	    " WHERE one = 1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_dberr(b->meta, rc, err, "cannot prepare a query");
	store_bind_u64(st, 1, t->min_signers);
	if (t->anchored) {
		sqlite3_bind_blob(st, 2, t->anchor.mmr_root, W3S_H256,
		    SQLITE_STATIC);
		store_bind_u64(st, 3, t->anchor.start_seq);
		store_bind_u64(st, 4, t->anchor.leaf_count);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(b, store_dberr(b->meta, rc, err, "cannot record the"
		    " trust settings of bucket %" PRIu64, b->id));
	return 0;
}

int
w3s_bucket_key_add(struct w3s_bucket *b, enum w3s_key_role role,
    const uint8_t pub[32], struct w3s_err *err)
{
	sqlite3_stmt *st;
	int rc = standalone(b, err);

	if (rc != 0)
		return rc;
	if (role != W3S_ROLE_PRIMARY && role != W3S_ROLE_ADMIN)
		return w3s_err_set(err, W3S_EUSAGE, "unknown key role %d",
		    (int)role);
	if ((st = store_q(b, Q_KEY_PUT, err)) == NULL)
		return err->code;
	sqlite3_bind_int(st, 1, (int)role);
	sqlite3_bind_blob(st, 2, pub, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	return fail(b, store_step_done(b, b->meta, st, err,
	    "cannot record a trusted key"));
}

int
w3s_bucket_setting_set(struct w3s_bucket *b, const char *key,
    const void *value, size_t len, struct w3s_err *err)
{
	sqlite3_stmt *st;
	int rc = standalone(b, err);

	if (rc != 0)
		return rc;
	if ((st = store_q(b, value ? Q_SET_PUT : Q_SET_DEL, err)) == NULL)
		return err->code;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (value != NULL)
		sqlite3_bind_blob(st, 2, len ? value : "", (int)len,
		    SQLITE_STATIC);
	return fail(b, store_step_done(b, b->meta, st, err,
	    "cannot record a setting"));
}
