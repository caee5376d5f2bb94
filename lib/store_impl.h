/* Internals shared by the store's files (store.c: opening, schema,
 * statements, errors; store_read.c; store_write.c; store_ingest.c;
 * store_check.c). The only header that includes <sqlite3.h>. */
#ifndef W3S_STORE_IMPL_H
#define W3S_STORE_IMPL_H

#include <sqlite3.h>

#include <w3s/lock.h>
#include <w3s/merkle.h>
#include <w3s/store.h>

/* Statements, prepared once per bucket on first use. */
enum store_q {
	Q_BUCKET_GET,
	Q_BUCKET_SET,
	Q_LEAF_GET,
	Q_LEAF_BY_ROOT,
	Q_LEAF_RANGE,
	Q_LEAF_LAST,
	Q_LEAF_PUT,
	Q_SC_PUT,
	Q_SC_RANGE,
	Q_SC_RANGE_FIRST,
	Q_SC_SEGMENT,
	Q_MMR_GET,
	Q_MMR_PUT,
	Q_MMR_ALL,
	Q_CP_PUT,
	Q_CP_ALL,
	Q_CP_OF,
	Q_DEL_PUT,
	Q_DEL_ALL,
	Q_DEL_LAST,
	Q_NAME_PUT,
	Q_NAME_GET,
	Q_NAME_ALL,
	Q_CHANGE_PUT,
	Q_CHANGE_AFTER,
	Q_CHANGE_MAX,
	Q_CN_PUT,
	Q_CN_OF,
	Q_KEY_PUT,
	Q_KEY_ROLE,
	Q_KEY_HAS,
	Q_KEY_ANY,
	Q_SET_GET,
	Q_SET_PUT,
	Q_SET_DEL,
	Q_GARBAGE_COUNT,
	Q_GARBAGE_ALL,
	Q_CHUNK_HAS,
	Q_CHUNK_SIZE,
	Q_CHUNK_GET,
	Q_CHUNK_PUT,
	Q_CHUNK_DEL,
	Q_CHUNK_MAXID,
	Q_CHUNK_NEXT,
	Q_COUNT
};

struct w3s_store {
	char *dir;
};

struct w3s_bucket {
	struct w3s_store *store;	/* borrowed */
	uint64_t id;
	char *dir;			/* DIR/buckets/ID */
	int flags;
	sqlite3 *meta;
	sqlite3 *chunks;
	sqlite3_stmt *q[Q_COUNT];
	struct w3s_lock *lock;
	int readers_fd;
	int reading;			/* read_begin nesting */

	/* A batch of write sessions (w3s_bucket_batch_begin): meta.db's
	 * transaction, and the chunks.db one once opened, last until the
	 * batch commits; its sessions run inside them, with no savepoint of
	 * their own (a session's abort rolls the batch back). */
	int batch;
	int64_t batch_chunk_id;		/* largest chunk rowid at its begin */

	/* The write session. */
	int session;
	int kind;			/* 0, W3S_CHANGE_ADD or W3S_CHANGE_DROP */
	int prepared;
	int chunks_txn;			/* a chunk batch transaction is open */
	uint64_t batch_bytes;
	int64_t chunk_id_start;		/* largest chunk rowid at begin */
	uint64_t change_id;		/* id this session's record gets */
	int64_t change_time;		/* its time; 0: the commit's */
	struct w3s_commitment base;	/* at begin */
	struct w3s_commitment next;	/* prepared */
	uint64_t start_seq;		/* current, inside the session */
	uint64_t leaf_count;
	uint64_t prev_total;		/* total_size of the last held leaf */
	uint64_t first_seq;		/* first segment the session added */
	uint64_t added;
	uint64_t dropped;
	int have_deletion;
	uint8_t del_admin[32];
	uint8_t del_sig[64];
	struct w3s_commitment del_next;	/* what the drop gave */
	int appending;			/* segments after this session's drop */

	/* The segment being appended. */
	int seg_open;
	uint64_t seg_chunks;
	uint64_t seg_size;
	struct w3s_merkle_builder mb;
};

/* A chunk batch transaction is committed once it holds this much. */
#define STORE_BATCH_BYTES (32u << 20)

/* Returns the cached statement id, reset and unbound, or NULL with err
 * set. Not for iterators, which keep a statement across calls. */
sqlite3_stmt *store_q(struct w3s_bucket *b, enum store_q id,
    struct w3s_err *err);
/* A new statement of its own (an iterator's); finalize it. */
int store_prepare(struct w3s_bucket *b, enum store_q id, sqlite3_stmt **st,
    struct w3s_err *err);
/* Maps a SQLite result to a W3S_E* code and message "what: why". */
int store_dberr(sqlite3 *db, int rc, struct w3s_err *err, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
/* Runs SQL without results. */
int store_exec(sqlite3 *db, const char *sql, struct w3s_err *err);
/* Runs a prepared statement that returns no row; resets it. */
int store_step_done(struct w3s_bucket *b, sqlite3 *db, sqlite3_stmt *st,
    struct w3s_err *err, const char *what);

int store_bind_u64(sqlite3_stmt *st, int col, uint64_t v);
uint64_t store_col_u64(sqlite3_stmt *st, int col);
/* Copies a 32-byte (or len-byte) blob column; W3S_EMALFORMED otherwise. */
int store_col_hash(sqlite3_stmt *st, int col, uint8_t *out, size_t len,
    struct w3s_err *err);

/* The commitment row. */
int store_commitment(struct w3s_bucket *b, struct w3s_commitment *c,
    struct w3s_err *err);
int store_commitment_set(struct w3s_bucket *b, const struct w3s_commitment *c,
    struct w3s_err *err);

/* Makes the open chunk batch durable (commit with fsync). */
int store_chunks_commit(struct w3s_bucket *b, struct w3s_err *err);
/* The size of stored chunk hash: 0 with *present set, and *size when it
 * is, or a store error. Inside a write session the lookup joins the
 * session's chunks.db transaction (see w3s_bucket_chunk_has). */
int store_chunk_size(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    uint64_t *size, int *present, struct w3s_err *err);
/* Stores a chunk if absent (inside the write session's batch). */
int store_chunk_put(struct w3s_bucket *b, const uint8_t hash[W3S_H256],
    const uint8_t *data, size_t len, int *stored, struct w3s_err *err);

/* Reader registration on the readers file. */
int store_readers_lock(struct w3s_bucket *b, int exclusive, int nowait,
    int *got, struct w3s_err *err);
void store_readers_unlock(struct w3s_bucket *b);

/* Writer-only guard: W3S_EUSAGE unless the bucket has the lock. */
int store_need_write(struct w3s_bucket *b, struct w3s_err *err);

#endif
