/* The store (DESIGN.md section 3): a directory of buckets, each held in two
 * SQLite databases. docs/store.md describes the layout, the schema and why
 * it is split this way.
 *
 *   DIR/w3sync-store               marker: "w3sync-store 1"
 *   DIR/buckets/ID/meta.db         commitment side, WAL mode: segments (MMR
 *                                  leaves), chunk lists, MMR nodes,
 *                                  checkpoints, deletion certificates, names,
 *                                  change log, trust, settings
 *   DIR/buckets/ID/chunks.db       chunk payloads, rollback journal
 *   DIR/buckets/ID/lock            the writer lock (flock), names its holder
 *   DIR/buckets/ID/readers         readers hold it shared while they read
 *
 * Reading: between w3s_bucket_read_begin and w3s_bucket_read_end every call
 * sees one snapshot of the commitment side, and every chunk that snapshot
 * references stays readable (a deletion defers freeing chunks while a reader
 * is registered). Readers never block writers: the chunk database is read in
 * one short transaction per chunk.
 *
 * Writing: open the bucket with W3S_STORE_WRITE (takes the per-bucket lock),
 * then w3s_bucket_write_begin, segments or a drop, a prepare, signatures,
 * and w3s_bucket_write_commit. Chunks are made durable before the commitment
 * side commits; leaves, MMR nodes, chunk lists, names, signatures, the new
 * commitment and its change log record commit in one transaction.
 *
 * Every call takes a non-NULL struct w3s_err. */
#ifndef W3S_STORE_H
#define W3S_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/buf.h>
#include <w3s/err.h>
#include <w3s/mmr.h>
#include <w3s/types.h>

/* Layout version of the store directory (the marker file). */
#define W3S_STORE_FORMAT 1
/* Schema version of a bucket's databases (PRAGMA user_version). */
#define W3S_BUCKET_FORMAT 1
/* PRAGMA application_id of meta.db ("W3SM") and chunks.db ("W3SC"). */
#define W3S_META_APP_ID 0x5733534d
#define W3S_CHUNKS_APP_ID 0x57335343

#define W3S_STORE_ENV "W3SYNC_STORE"
/* Sequence numbers and sizes are kept as SQLite integers: below 2^63. */
#define W3S_STORE_SEQ_MAX ((uint64_t)INT64_MAX)
#define W3S_STORE_NAME_MAX 1024

enum {
	W3S_STORE_CREATE = 1 << 0,	/* create the store / bucket if missing */
	W3S_STORE_WRITE = 1 << 1,	/* take the bucket's writer lock */
};

struct w3s_store;
struct w3s_bucket;
struct w3s_store_iter;

/* Opens the store directory DIR. Without W3S_STORE_CREATE a missing
 * directory or one without the marker is W3S_EUSAGE ("no store"): a
 * mistyped path never becomes a new store. With it, DIR (not its parents)
 * and the marker are created. A newer marker version is W3S_EMALFORMED. */
int w3s_store_open(const char *dir, int flags, struct w3s_store **out,
    struct w3s_err *err);
void w3s_store_close(struct w3s_store *s);
const char *w3s_store_dir(const struct w3s_store *s);
/* The ids of the buckets in the store, ascending; caller frees *ids. */
int w3s_store_buckets(struct w3s_store *s, uint64_t **ids, size_t *n,
    struct w3s_err *err);

struct w3s_bucket_opts {
	int flags;		/* W3S_STORE_CREATE, W3S_STORE_WRITE */
	unsigned wait;		/* seconds to wait for a busy writer lock */
	const char *holder;	/* program name recorded in the lock; or NULL */
};

/* Opens bucket id. A missing bucket is W3S_EUSAGE unless opts->flags has
 * W3S_STORE_CREATE and W3S_STORE_WRITE. With W3S_STORE_WRITE the writer
 * lock is taken first; if another process holds it after opts->wait
 * seconds, W3S_EBUSY names the holder (program, pid, since when). A newer
 * database format is W3S_EMALFORMED; a database of another bucket (a copied
 * directory) is W3S_ENOTAPPLY. opts may be NULL (read only, no wait). */
int w3s_bucket_open(struct w3s_store *s, uint64_t id,
    const struct w3s_bucket_opts *opts, struct w3s_bucket **out,
    struct w3s_err *err);
/* Ends any read, rolls back an unfinished write session or batch,
 * releases the lock. NULL is a no-op. */
void w3s_bucket_close(struct w3s_bucket *b);
uint64_t w3s_bucket_id(const struct w3s_bucket *b);

/* ---- Reading ---------------------------------------------------------- */

/* One snapshot for every read call until read_end (see the top). Nested
 * calls are counted. Inside a write session reads see the session's own
 * uncommitted state and need no read_begin. */
int w3s_bucket_read_begin(struct w3s_bucket *b, struct w3s_err *err);
void w3s_bucket_read_end(struct w3s_bucket *b);

/* A segment: its MMR leaf, its sequence number and its chunk count. */
struct w3s_segment {
	uint64_t seq;
	struct w3s_leaf leaf;
	uint64_t chunk_count;
};

int w3s_bucket_commitment(struct w3s_bucket *b, struct w3s_commitment *c,
    struct w3s_err *err);
/* W3S_ENOTAPPLY when seq is not held (never added, or dropped). */
int w3s_bucket_segment(struct w3s_bucket *b, uint64_t seq,
    struct w3s_segment *seg, struct w3s_err *err);
/* The first held segment with this data root; W3S_ENOTAPPLY if none. */
int w3s_bucket_segment_by_root(struct w3s_bucket *b,
    const uint8_t data_root[W3S_H256], struct w3s_segment *seg,
    struct w3s_err *err);

/* Iterators: each _next returns 1 with a row, 0 at the end, or a W3S_E*
 * code. Borrowed pointers in a row stay valid until the next call on the
 * iterator. Free with w3s_store_iter_free (NULL is a no-op). */
void w3s_store_iter_free(struct w3s_store_iter *it);

/* Segments with from <= seq < to, in order. */
int w3s_bucket_segments(struct w3s_bucket *b, uint64_t from, uint64_t to,
    struct w3s_store_iter **it, struct w3s_err *err);
int w3s_store_iter_segment(struct w3s_store_iter *it, struct w3s_segment *seg,
    struct w3s_err *err);

/* Chunk references of segments from <= seq < to, in segment order then
 * chunk order (the export order). */
enum {
	W3S_CHUNKS_PAYLOAD = 1 << 0,	/* also read each chunk's bytes */
	W3S_CHUNKS_FIRST = 1 << 1,	/* each hash once: its first use in
					 * the range */
};
struct w3s_chunk_ref {
	uint64_t seq;
	uint64_t index;		/* position in the segment's chunk list */
	uint8_t hash[W3S_H256];
	uint64_t size;
	int present;		/* with W3S_CHUNKS_PAYLOAD: the bytes exist */
	const uint8_t *data;	/* with W3S_CHUNKS_PAYLOAD and present */
};
int w3s_bucket_chunks(struct w3s_bucket *b, uint64_t from, uint64_t to,
    int flags, struct w3s_store_iter **it, struct w3s_err *err);
int w3s_store_iter_chunk(struct w3s_store_iter *it, struct w3s_chunk_ref *ref,
    struct w3s_err *err);
/* The same for a receiver that holds segments held_from <= seq < from
 * (held_from <= from): with W3S_CHUNKS_FIRST each hash comes once, at its
 * first use in [held_from, to), so hashes those segments use are left out
 * (the chunks a delta carries). w3s_bucket_chunks is held_from = from. */
int w3s_bucket_chunks_delta(struct w3s_bucket *b, uint64_t held_from,
    uint64_t from, uint64_t to, int flags, struct w3s_store_iter **it,
    struct w3s_err *err);
/* Every stored chunk payload, referenced or not, in storage order (a
 * scrub). ref->seq and ref->index are 0. */
int w3s_bucket_chunk_scan(struct w3s_bucket *b, struct w3s_store_iter **it,
    struct w3s_err *err);

/* A chunk's bytes, appended to out; W3S_EINCOMPLETE if it is not stored. */
int w3s_bucket_chunk_get(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    struct w3s_buf *out, struct w3s_err *err);
int w3s_bucket_chunk_has(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    int *present, struct w3s_err *err);

/* The get/put pair over the bucket's MMR node table (positions of the
 * current MMR, which restarts at 0 after a deletion). */
struct w3s_mmr_store w3s_bucket_mmr(struct w3s_bucket *b);
/* Proof of segment seq against the current commitment, O(log n). */
int w3s_bucket_prove(struct w3s_bucket *b, uint64_t seq,
    struct w3s_mmr_proof *proof, struct w3s_err *err);

/* A signature over CommitmentPayload v1 of (bucket, commitment). */
struct w3s_checkpoint {
	struct w3s_commitment commitment;
	uint8_t signer[32];
	uint8_t signature[64];
	int64_t created;	/* unix seconds */
};
/* Checkpoints, oldest first; only those of *c when c is not NULL. */
int w3s_bucket_checkpoints(struct w3s_bucket *b,
    const struct w3s_commitment *c, struct w3s_store_iter **it,
    struct w3s_err *err);
int w3s_store_iter_checkpoint(struct w3s_store_iter *it,
    struct w3s_checkpoint *cp, struct w3s_err *err);

/* A deletion certificate: the admin's signature over CommitmentPayload v1
 * of (bucket, {new_mmr_root, new_start_seq, 0}). */
struct w3s_deletion {
	uint64_t id;
	uint8_t new_mmr_root[W3S_H256];
	uint64_t new_start_seq;
	uint8_t admin[32];
	uint8_t signature[64];
	int64_t created;
};
int w3s_bucket_deletions(struct w3s_bucket *b, struct w3s_store_iter **it,
    struct w3s_err *err);
int w3s_store_iter_deletion(struct w3s_store_iter *it, struct w3s_deletion *d,
    struct w3s_err *err);
/* The newest certificate; W3S_ENOTAPPLY if the bucket has none. */
int w3s_bucket_deletion_last(struct w3s_bucket *b, struct w3s_deletion *d,
    struct w3s_err *err);

/* Index entries name -> data root. */
struct w3s_name_entry {
	const char *name;	/* borrowed */
	uint8_t data_root[W3S_H256];
};
int w3s_bucket_names(struct w3s_bucket *b, struct w3s_store_iter **it,
    struct w3s_err *err);
int w3s_store_iter_name(struct w3s_store_iter *it, struct w3s_name_entry *e,
    struct w3s_err *err);
/* W3S_ENOTAPPLY when the name is not set. */
int w3s_bucket_name_get(struct w3s_bucket *b, const char *name,
    uint8_t data_root[W3S_H256], struct w3s_err *err);

/* The change log: one record per commit, enough to rebuild the delta from
 * its base to its target: the segments [first_seq, first_seq + added)
 * (their leaves and chunk lists, while held), the checkpoints of the target
 * commitment, the deletion certificate, and the names it set (see
 * w3s_bucket_change_names). */
enum w3s_change_kind {
	W3S_CHANGE_ADD = 1,	/* segments appended */
	W3S_CHANGE_DROP = 2,	/* delete_before */
	W3S_CHANGE_IMPORT = 3,	/* reserved for snapshot-import/delta-replay */
};
struct w3s_change {
	uint64_t id;		/* 1, 2, ... in commit order */
	enum w3s_change_kind kind;
	struct w3s_commitment base;
	struct w3s_commitment target;
	uint64_t first_seq;
	uint64_t added;
	uint64_t deletion_id;	/* 0: none */
	int64_t created;
};
/* Changes with id > after, in order. */
int w3s_bucket_changes(struct w3s_bucket *b, uint64_t after,
    struct w3s_store_iter **it, struct w3s_err *err);
int w3s_store_iter_change(struct w3s_store_iter *it, struct w3s_change *ch,
    struct w3s_err *err);
/* Names set (data root) or removed (zero root, *removed = 1) by a change. */
int w3s_bucket_change_names(struct w3s_bucket *b, uint64_t change_id,
    struct w3s_store_iter **it, struct w3s_err *err);
int w3s_store_iter_change_name(struct w3s_store_iter *it,
    struct w3s_name_entry *e, int *removed, struct w3s_err *err);

/* Trust settings. */
enum w3s_key_role {
	W3S_ROLE_PRIMARY = 1,	/* may sign the bucket's commitments */
	W3S_ROLE_ADMIN = 2,	/* may sign deletion certificates */
};
struct w3s_trust {
	uint64_t min_signers;	/* 0: not set */
	int anchored;		/* anchor holds the last anchored commitment */
	struct w3s_commitment anchor;
};
int w3s_bucket_trust_get(struct w3s_bucket *b, struct w3s_trust *t,
    struct w3s_err *err);
int w3s_bucket_keys(struct w3s_bucket *b, enum w3s_key_role role,
    struct w3s_store_iter **it, struct w3s_err *err);
int w3s_store_iter_key(struct w3s_store_iter *it, uint8_t pub[32],
    struct w3s_err *err);
/* 0 if the bucket records no key of this role (open), or pub is one of
 * them; W3S_EVERIFY naming the key otherwise. */
int w3s_bucket_key_allowed(struct w3s_bucket *b, enum w3s_key_role role,
    const uint8_t pub[32], struct w3s_err *err);

/* Generic settings (later issues: a "handed over" flag, a resume token).
 * *found is 0 and out untouched when key is not set. */
int w3s_bucket_setting_get(struct w3s_bucket *b, const char *key,
    struct w3s_buf *out, int *found, struct w3s_err *err);

/* Self-check: recomputes every data root from the chunk lists, every MMR
 * node and the root from the leaves, compares them with the stored nodes
 * and commitment, checks the total_size chain, that every referenced chunk
 * is stored, and every checkpoint and deletion signature. With
 * W3S_CHECK_PAYLOADS it also hashes every referenced chunk's bytes.
 * 0, or W3S_EVERIFY (mismatch) / W3S_EINCOMPLETE (missing chunk) with the
 * first problem. Memory is O(log n). */
enum { W3S_CHECK_PAYLOADS = 1 << 0 };
struct w3s_check_report {
	uint64_t segments;
	uint64_t chunk_refs;
	uint64_t mmr_nodes;
	uint64_t checkpoints;
	uint64_t deletions;
	uint64_t bytes;		/* sum of data_size */
};
int w3s_bucket_check(struct w3s_bucket *b, int flags,
    struct w3s_check_report *r, struct w3s_err *err);

/* The same check, going on past problems (a scrub lists them all):
 * problem is called for each one, in the order found (has_seq: it is
 * segment seq's); a non-zero return stops the check with that code. With
 * chunk set, each chunk reference is handed to it in order instead of
 * being looked up here (the caller checks presence and payloads, e.g. on
 * other threads; W3S_CHECK_PAYLOADS is then ignored). Returns 0 when the
 * check ran to its end (problems or not), else the error that stopped it. */
struct w3s_check_hooks {
	void *ctx;
	int (*problem)(void *ctx, int code, int has_seq, uint64_t seq,
	    const char *msg);
	int (*chunk)(void *ctx, uint64_t seq, uint64_t index,
	    const uint8_t hash[W3S_H256], uint64_t size, struct w3s_err *err);
};
int w3s_bucket_check_hooked(struct w3s_bucket *b, int flags,
    const struct w3s_check_hooks *hooks, struct w3s_check_report *r,
    struct w3s_err *err);

/* A reader of chunk payloads on a database connection of its own, for
 * another thread than the one using b (one reader per thread; b itself is
 * not touched after the reader is made). Each read is one short read
 * transaction on chunks.db; a chunk is guaranteed present only while b is
 * between w3s_bucket_read_begin and w3s_bucket_read_end. */
struct w3s_chunk_reader;
int w3s_bucket_chunk_reader(struct w3s_bucket *b,
    struct w3s_chunk_reader **out, struct w3s_err *err);
/* Calls fn with the stored bytes of hash (borrowed for the call only);
 * *present 0 and fn not called when the chunk is not stored. Returns 0,
 * fn's non-zero return, or a W3S_E* code. */
int w3s_chunk_reader_with(struct w3s_chunk_reader *r,
    const uint8_t hash[W3S_H256],
    int (*fn)(void *ctx, const uint8_t *data, size_t len), void *ctx,
    int *present, struct w3s_err *err);
void w3s_chunk_reader_free(struct w3s_chunk_reader *r);

/* ---- Writing (bucket opened with W3S_STORE_WRITE) --------------------- */

/* Starts a write session. Finishes any chunk freeing a deletion left
 * pending (see w3s_bucket_gc). */
int w3s_bucket_write_begin(struct w3s_bucket *b, struct w3s_err *err);

/* Stores a chunk without referencing it (an importer receiving chunks
 * before the metadata that uses them). A chunk already stored is not
 * written again; *stored (may be NULL) says whether it was written. The
 * caller has checked hash == H(data). */
int w3s_bucket_chunk_put(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    const uint8_t *data, size_t len, int *stored, struct w3s_err *err);

/* Appends one segment: begin, its chunks in order, end. With data, a
 * chunk is stored (once) as by w3s_bucket_chunk_put; with data NULL it
 * must already be stored (W3S_EINCOMPLETE if not) and len is ignored.
 * end computes data_root and data_size; total_size is the previous held
 * leaf's plus data_size (0 plus data_size when none is held). With expect
 * (an importer's leaf), data_root and data_size must match (W3S_EVERIFY)
 * and expect->total_size is kept. A segment has at least one chunk (the
 * empty blob is one empty chunk). out may be NULL. */
int w3s_bucket_segment_begin(struct w3s_bucket *b, struct w3s_err *err);
int w3s_bucket_segment_chunk(struct w3s_bucket *b,
    const uint8_t hash[W3S_H256], const uint8_t *data, size_t len,
    struct w3s_err *err);
int w3s_bucket_segment_end(struct w3s_bucket *b,
    const struct w3s_leaf *expect, struct w3s_segment *out,
    struct w3s_err *err);
/* An importer's form of w3s_bucket_segment_chunk with data NULL: one
 * lookup appends a stored chunk (*present 1), and a chunk not stored is
 * only reported (*present 0, 0 returned, the session stays usable for
 * an abort that keeps the chunks received). */
int w3s_bucket_segment_chunk_held(struct w3s_bucket *b,
    const uint8_t hash[W3S_H256], int *present, struct w3s_err *err);

/* Reads fd to its end as one segment: 256 KiB chunks, hashed on a second
 * thread while this one stores them. Memory does not depend on the size.
 * A read error is W3S_ESYS. */
int w3s_bucket_segment_add_fd(struct w3s_bucket *b, int fd,
    struct w3s_segment *out, struct w3s_err *err);
/* The same, calling progress (on this thread) after each chunk is stored
 * with the bytes of fd stored so far. */
int w3s_bucket_segment_add_fd_progress(struct w3s_bucket *b, int fd,
    void (*progress)(void *ctx, uint64_t done), void *ctx,
    struct w3s_segment *out, struct w3s_err *err);

/* Sets index entry name -> data_root in this session's commit. A name is 1
 * to W3S_STORE_NAME_MAX bytes without control characters (W3S_EUSAGE). */
int w3s_bucket_name_set(struct w3s_bucket *b, const char *name,
    const uint8_t data_root[W3S_H256], struct w3s_err *err);

/* Removes index entry name in this session's commit (recorded in the
 * change log as removed); a name not set is no error. */
int w3s_bucket_name_remove(struct w3s_bucket *b, const char *name,
    struct w3s_err *err);

/* An import into an empty bucket (no leaf held, none added yet) may move
 * start_seq first. W3S_ENOTAPPLY otherwise. */
int w3s_bucket_write_set_start(struct w3s_bucket *b, uint64_t start_seq,
    struct w3s_err *err);

/* The time the session's change record gets (Unix seconds), instead of
 * the time it commits: an importer keeps the producer's commit time, so
 * the deltas it exports again carry the same manifest. */
int w3s_bucket_write_set_time(struct w3s_bucket *b, int64_t created,
    struct w3s_err *err);

/* Ends the segments of the session: makes the stored chunks durable and
 * computes the new commitment *next, to be signed. W3S_EUSAGE when no
 * segment was added. */
int w3s_bucket_write_prepare(struct w3s_bucket *b,
    struct w3s_commitment *next, struct w3s_err *err);

/* delete_before(new_start_seq), SPEC.md section 10: drops the leaves before
 * new_start_seq and their chunk lists, rebuilds the MMR over the survivors
 * (which keep their total_size), removes names whose data root no survivor
 * holds, and marks chunks no survivor references for freeing. *next is the
 * new commitment; *dropped (may be NULL) the number of leaves dropped.
 * new_start_seq <= start_seq (nothing to drop) or past the last leaf is
 * W3S_ENOTAPPLY. A session holds segments, or one drop, or (an importer)
 * one drop then segments, appended after the survivors and prepared with
 * w3s_bucket_write_prepare, the drop's certificate added (by
 * w3s_bucket_deletion_add) at the state it names; all of it commits as
 * one change of kind W3S_CHANGE_DROP. */
int w3s_bucket_drop_prepare(struct w3s_bucket *b, uint64_t new_start_seq,
    struct w3s_commitment *next, uint64_t *dropped, struct w3s_err *err);
/* The same for an importer replaying a producer's drop: new_start_seq
 * past the last segment drops every held segment and moves start_seq
 * there (the producer added and dropped the ones in between). */
int w3s_bucket_drop_replayed(struct w3s_bucket *b, uint64_t new_start_seq,
    struct w3s_commitment *next, uint64_t *dropped, struct w3s_err *err);

/* Records signer's signature over CommitmentPayload v1 of (bucket, *c).
 * Inside a session it commits with it; W3S_EVERIFY if it does not verify. */
int w3s_bucket_checkpoint_add(struct w3s_bucket *b,
    const struct w3s_commitment *c, const uint8_t signer[32],
    const uint8_t sig[64], struct w3s_err *err);
/* The deletion certificate of the prepared drop (required before commit):
 * admin's signature over payload v1 of {new_mmr_root, new_start_seq, 0}
 * of the state now: right after the drop, or, in a session that appends
 * after its drop, after the segments appended so far (a producer that
 * dropped after adding them). W3S_EVERIFY if it does not verify. */
int w3s_bucket_deletion_add(struct w3s_bucket *b, const uint8_t admin[32],
    const uint8_t sig[64], struct w3s_err *err);

/* Records a deletion certificate that is not this session's drop (those
 * a snapshot or a delta carries besides the drop it applies): d's id is
 * ignored, created 0 means now. W3S_EVERIFY if the signature does not
 * verify. Inside a session it commits with it. */
int w3s_bucket_deletion_record(struct w3s_bucket *b,
    const struct w3s_deletion *d, struct w3s_err *err);

struct w3s_commit_result {
	uint64_t change_id;
	uint64_t freed_chunks;		/* chunks freed after the commit */
	uint64_t deferred_chunks;	/* left for later: a reader is active */
};
/* Commits the prepared session: the change log record, then the new
 * commitment, durably (fsync). res may be NULL. */
int w3s_bucket_write_commit(struct w3s_bucket *b,
    struct w3s_commit_result *res, struct w3s_err *err);
/* Rolls the session back; the commitment side is untouched. Chunks this
 * session stored are removed unless keep_chunks (an import keeps them for a
 * resume). */
void w3s_bucket_write_abort(struct w3s_bucket *b, int keep_chunks);

/* A batch of write sessions that becomes durable at once (delta-replay's
 * many small deltas: one fsync, and one write of each page touched, for
 * the batch instead of for every delta). Inside a batch, sessions go on in
 * one transaction: each sees the ones before it, and its commit only adds
 * it to the batch; w3s_bucket_batch_commit makes them all durable (chunks
 * first), then frees what their drops left. A session's abort rolls the
 * whole batch back and ends it (keep_chunks keeps all its chunks, as an
 * import's abort keeps its own). Until the commit other connections see
 * the bucket as it was when the batch began; so does the bucket after a
 * crash, or after w3s_bucket_batch_abort, which also removes the chunks
 * the batch stored and is what w3s_bucket_close does with an open batch
 * (a no-op when none is). */
int w3s_bucket_batch_begin(struct w3s_bucket *b, struct w3s_err *err);
int w3s_bucket_batch_commit(struct w3s_bucket *b, struct w3s_err *err);
void w3s_bucket_batch_abort(struct w3s_bucket *b);

/* Frees chunks a deletion left unreferenced, unless a reader is registered
 * (then they stay until a later writer finds none). Writers call it; it
 * runs outside a session. freed and deferred may be NULL. */
int w3s_bucket_gc(struct w3s_bucket *b, uint64_t *freed, uint64_t *deferred,
    struct w3s_err *err);

/* Trust and settings writes: inside a session they commit with it,
 * otherwise each commits at once. */
int w3s_bucket_trust_set(struct w3s_bucket *b, const struct w3s_trust *t,
    struct w3s_err *err);
int w3s_bucket_key_add(struct w3s_bucket *b, enum w3s_key_role role,
    const uint8_t pub[32], struct w3s_err *err);
/* value NULL removes the setting. */
int w3s_bucket_setting_set(struct w3s_bucket *b, const char *key,
    const void *value, size_t len, struct w3s_err *err);

#endif
