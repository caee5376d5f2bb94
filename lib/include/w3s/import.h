/* Import: verify stream archives (man/w3sync-stream.5) and apply them to a
 * bucket (DESIGN.md sections 4 to 6). Used by snapshot-import(1) (archives
 * of any buckets, full or delta, resumable), delta-replay(1) (one delta at
 * a time, in the order its planner chose) and cid-verify --stream (no
 * store at all).
 *
 * The stream reader already checks what a stream proves by itself: entry
 * names, order and sizes, every chunk against its CID, every chunk list
 * against its data root, every signature against the key it names, the
 * trailer. On top of that an import checks, per archive:
 *   - the leaves: sequence numbers in order from the right start, the
 *     total_size chain, and the MMR root recomputed from the leaves equal
 *     to the target commitment (with a store: over the bucket's own MMR;
 *     without one: a full snapshot's leaves, in O(log n) memory; a delta
 *     without its base cannot be checked this way, see root_checked);
 *   - the trust policy below: trusted signers of the target commitment
 *     and the trusted root (W3S_EVERIFY when the archive fails it);
 *   - that every chunk the segments reference is there: carried, or with
 *     a store already stored (a delta's base, a resume);
 *   - with a store: that the archive applies (its bucket; a full snapshot
 *     onto an empty bucket, a delta onto its base commitment exactly:
 *     W3S_ENOTAPPLY otherwise, before anything is written).
 *
 * Applying is one write session on a bucket opened with W3S_STORE_WRITE:
 * chunks are stored as they arrive (a chunk already stored is not written
 * again), the metadata waits in a temporary spool until the trailer, and
 * the leaves, checkpoints, deletion, names, trust and the new commitment
 * commit together. Until then the bucket shows its old commitment; on any
 * failure it keeps it (received chunks stay stored, unreferenced, for a
 * resume).
 *
 * Resume. When the input stops inside an archive (W3S_EINCOMPLETE), the
 * result carries a resume token (w3s/resume.h) and, with a store, the
 * token is kept in the bucket's setting W3S_IMPORT_PENDING_SETTING until
 * an import of that bucket succeeds. A resumed archive (manifest
 * resume_chunk > 0) is accepted only when its snapshot id is the pending
 * token's (W3S_ENOTAPPLY otherwise); the chunks before resume_chunk must
 * then be stored already (W3S_EINCOMPLETE naming the missing ones, with a
 * token that starts early enough).
 *
 * Memory: a few hundred KiB per import besides the reader's, whatever the
 * archive's size, with a store. Without one (verification only) the set
 * of chunk hashes carried is kept to check that every reference is
 * carried: about 48 bytes per distinct chunk.
 *
 * Library code: nothing here prints or exits. */
#ifndef W3S_IMPORT_H
#define W3S_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/hash.h>
#include <w3s/key.h>
#include <w3s/manifest.h>
#include <w3s/resume.h>
#include <w3s/stream.h>
#include <w3s/types.h>

struct w3s_bucket;

/* The bucket setting that holds the pending resume token (its text form),
 * set when an import stops early and removed by the next successful import
 * of the bucket. */
#define W3S_IMPORT_PENDING_SETTING "import.resume"

/* ---- trust policy ------------------------------------------------------ */

/* What anchors an archive's target commitment (DESIGN.md section 5).
 *   keys        trusted primary keys (borrowed; nkeys may be 0)
 *   min_signers distinct trusted keys whose signatures on the target are
 *               needed; 0 means 1
 *   root        when has_root, the target's mmr_root must be this (the
 *               root read from the chain)
 *   use_bucket  with a store: the bucket's stored primary keys join keys,
 *               and its stored min_signers applies when min_signers is 0
 *   remember    with a store: the keys given, min_signers (when not 0) and,
 *               when the archive is anchored, the target as the last
 *               anchored commitment are stored in the bucket with the
 *               commit, for later imports and replays
 * An archive fails (W3S_EVERIFY) when has_root and the root differs, or
 * when there are trusted keys (given or from the bucket) and fewer than
 * min_signers of them signed the target. It is anchored when the root
 * matched or enough trusted keys signed. With neither root nor keys it is
 * accepted unanchored: everything else is still verified, and the result
 * says so. */
struct w3s_import_trust {
	const uint8_t (*keys)[W3S_PUBKEY_LEN];
	size_t nkeys;
	uint64_t min_signers;
	int has_root;
	uint8_t root[W3S_H256];
	int use_bucket;
	int remember;
};

/* ---- result ------------------------------------------------------------ */

struct w3s_import_result {
	uint64_t bucket;
	enum w3s_stream_kind kind;
	int has_base;
	struct w3s_commitment base;
	struct w3s_commitment target;	/* the commitment reached on success */
	uint8_t snapshot_id[W3S_HASH_LEN];
	uint64_t resume_chunk;		/* the manifest's; 0: not resumed */
	int already;		/* the bucket was at the target already:
				 * verified, nothing written */
	int anchored;		/* by the root or by enough trusted keys */
	int anchored_by_root;
	uint64_t trusted_signers;	/* distinct trusted keys that signed */
	uint64_t min_signers;		/* the number needed (0: no keys) */
	int root_checked;	/* the MMR root was recomputed and matched */
	uint64_t segments;
	uint64_t chunk_refs;
	uint64_t checkpoints;
	uint64_t deletions;
	uint64_t index;
	uint64_t chunks;		/* chunk entries received */
	uint64_t chunk_bytes;
	uint64_t chunks_written;	/* newly stored */
	uint64_t chunks_skipped;	/* received but stored already */
	uint64_t missing;	/* W3S_EINCOMPLETE: referenced chunks absent */
	/* W3S_EINCOMPLETE with a manifest seen: where to resume. */
	int has_token;
	struct w3s_resume_token token;
	char token_text[W3S_RESUME_TOKEN_MAX];
};

/* ---- one archive, event by event ---------------------------------------- */

struct w3s_import;

/* Starts the import of the archive whose MANIFEST event gave m. b is the
 * archive's bucket opened with W3S_STORE_WRITE (m->bucket must be its id),
 * or NULL to verify only. Checks the trust policy (t may be NULL: no
 * anchor) and, with b, that the archive applies and that a resumed
 * archive is the pending one; then opens the write session. *out is set
 * even on an error (then only w3s_import_result and w3s_import_free are
 * useful); free it with w3s_import_free. */
int w3s_import_begin(struct w3s_bucket *b, const struct w3s_manifest *m,
    const struct w3s_import_trust *t, struct w3s_import **out,
    struct w3s_err *err);
/* Feeds the next event of the same reader: DELETION, SEGMENT, CHECKPOINT,
 * INDEX, CHUNK, and last TRAILER, which finishes the archive: the leaves,
 * root and references are checked and, with b, everything commits. 0, or
 * a W3S_E* code; after an error the import is failed (free it). */
int w3s_import_event(struct w3s_import *im, const struct w3s_stream_event *ev,
    struct w3s_err *err);
/* 1 once the TRAILER was applied, else 0. */
int w3s_import_done(const struct w3s_import *im);
/* Records that the input failed before the trailer with code (the
 * reader's error), pos being w3s_stream_reader_pos: rolls the session back
 * keeping the chunks, and for W3S_EINCOMPLETE makes the resume token and
 * (with b) keeps it in the bucket. Returns code, or a W3S_ESYS that
 * happened while keeping the token. */
int w3s_import_fail(struct w3s_import *im, int code,
    const struct w3s_stream_pos *pos, struct w3s_err *err);
/* The counts so far, or the final result; valid at any time. */
void w3s_import_result(const struct w3s_import *im,
    struct w3s_import_result *res);
/* Rolls back an unfinished session (keeping the chunks); NULL is a no-op. */
void w3s_import_free(struct w3s_import *im);

/* ---- whole archives from a reader --------------------------------------- */

/* Called after each chunk stored and at each archive's end (pos from the
 * reader); a non-zero return stops the import with that code. */
struct w3s_import_hooks {
	void *ctx;
	int (*progress)(void *ctx, const struct w3s_stream_pos *pos);
	/* w3s_import_input: each archive's result when it ends, code 0 or
	 * the failure; a non-zero return stops. */
	int (*archive)(void *ctx, const struct w3s_import_result *res,
	    int code, const struct w3s_err *why);
};

/* Reads one archive from r, whose MANIFEST event the caller has just taken
 * (m is its manifest), to its trailer, and imports it as above: begin,
 * events, then commit, or w3s_import_fail on a reader error. res is
 * filled in every case (token included). hooks may be NULL. This is the
 * step delta-replay takes for each delta of its plan. */
int w3s_import_archive(struct w3s_stream_reader *r, struct w3s_bucket *b,
    const struct w3s_manifest *m, const struct w3s_import_trust *t,
    const struct w3s_import_hooks *hooks, struct w3s_import_result *res,
    struct w3s_err *err);

/* Verifies a whole input (one or several archives, to EOF) with no store:
 * each archive as w3s_import_archive with b NULL, its result handed to
 * hooks->archive. Stops at the first failure and returns its code;
 * W3S_EINCOMPLETE also for an empty input. *narchives (may be NULL) counts
 * the archives verified. */
int w3s_import_verify_input(struct w3s_stream_reader *r,
    const struct w3s_import_trust *t, const struct w3s_import_hooks *hooks,
    uint64_t *narchives, struct w3s_err *err);

/* ---- pending imports ---------------------------------------------------- */

/* The bucket's pending resume token: *found 0 when there is none. A
 * setting that does not parse is W3S_EMALFORMED. */
int w3s_import_pending(struct w3s_bucket *b, struct w3s_resume_token *tok,
    int *found, struct w3s_err *err);

#endif
