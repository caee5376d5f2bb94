/* The export engine (snapshot-export(1)): full snapshots and deltas of one
 * bucket as w3sync streams (man/w3sync-stream.5), read from one consistent
 * view of the store while writers go on.
 *
 *   struct w3s_export *x;
 *   struct w3s_export_info info;
 *   w3s_export_begin(b, &opts, &x, &err);      one read snapshot of b
 *   while ((rc = w3s_export_next(x, &info, &err)) == 1)
 *           w3s_export_write(x, writer, &err); that archive, to a writer
 *   w3s_export_end(x);
 *
 * A full snapshot or a delta is one archive; a split delta (opts.split) is
 * one archive per commit of the change log (or per group of commits where
 * a later deletion took a commit's segments away). w3s_export_next plans
 * an archive (its exact counts, what --dry-run prints) without reading a
 * chunk; w3s_export_write sends it. The same commitment always gives the
 * same bytes: the order is fixed by the contents, and the manifest's
 * creation time is the time of the commit that reached the target.
 *
 * Memory does not depend on the size of the bucket or of the change log:
 * one chunk, one segment record piece (128 KiB) and the stream writer's
 * buffers. Library calls never print; progress goes through a callback. */
#ifndef W3S_EXPORT_H
#define W3S_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/manifest.h>
#include <w3s/resume.h>
#include <w3s/stream.h>
#include <w3s/types.h>

struct w3s_bucket;

/* Where a delta starts (--since SPEC): a commitment recorded in the
 * bucket's change log, named by its sequence number start_seq +
 * leaf_count (the first commitment of the log at that number: a drop
 * keeps the number, so "since 20" includes a drop made at 20) or by its
 * MMR root. */
struct w3s_export_since {
	int by_root;
	uint64_t seq;
	uint8_t root[W3S_H256];
};

/* "123" or "0x" + 64 hex digits; W3S_EUSAGE with a message otherwise. */
int w3s_export_since_parse(const char *s, struct w3s_export_since *since,
    struct w3s_err *err);

struct w3s_export_opts {
	const struct w3s_export_since *since;	/* NULL: a full snapshot */
	int split;		/* with since: one delta per commit */
	/* NULL, or the receiver's position: the archive carries the chunks
	 * from token->chunk on (one archive; not with split). */
	const struct w3s_resume_token *resume;
	/* Called after each chunk is written: chunk bytes done (from the
	 * start of the unresumed stream) of the archive's total. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

/* What one archive carries. */
struct w3s_export_info {
	uint64_t bucket;
	enum w3s_stream_kind kind;
	int has_base;			/* a delta */
	struct w3s_commitment base;
	struct w3s_commitment target;
	struct w3s_stream_counts counts;	/* of the unresumed archive */
	uint64_t resume_chunk;		/* first chunk carried */
	uint64_t resume_byte;		/* bytes of the chunks before it */
	uint64_t chunks;		/* chunk entries carried */
	uint64_t chunk_bytes;		/* and their bytes */
	uint64_t created;		/* the manifest's creation time */
	uint64_t first_change;		/* change log ids covered; 0 for a */
	uint64_t last_change;		/* full snapshot */
	uint8_t snapshot_id[W3S_HASH_LEN];
};

struct w3s_export;

/* Starts one read view of b (w3s_bucket_read_begin), finds the --since
 * commitment in the change log (W3S_ENOTAPPLY when it is not there) and
 * checks the options (W3S_EUSAGE). */
int w3s_export_begin(struct w3s_bucket *b, const struct w3s_export_opts *o,
    struct w3s_export **out, struct w3s_err *err);
/* Plans the next archive: 1 with *info filled, 0 when there is none left,
 * or an error. A delta from the current commitment is W3S_ENOTAPPLY
 * (nothing to export), unless split (then there is no archive). A resume
 * token of another bucket or snapshot is W3S_ENOTAPPLY, one whose
 * position does not fit the snapshot W3S_EMALFORMED. */
int w3s_export_next(struct w3s_export *x, struct w3s_export_info *info,
    struct w3s_err *err);
/* Writes the archive the last w3s_export_next planned to w (an archive
 * from its manifest to its trailer; the stream is unsigned: trust comes
 * from the target commitment's signatures). A chunk missing from the
 * store is W3S_EINCOMPLETE, one whose size differs from its chunk list's
 * W3S_EVERIFY; the writer's errors are passed on. */
int w3s_export_write(struct w3s_export *x, struct w3s_stream_writer *w,
    struct w3s_err *err);
/* Ends the read view and frees x (NULL is a no-op). */
void w3s_export_end(struct w3s_export *x);

/* Every archive of o for bucket b to fd as one stream, at zstd level
 * level; *bytes (may be NULL) the compressed bytes written. */
int w3s_export_fd(struct w3s_bucket *b, const struct w3s_export_opts *o,
    int fd, int level, uint64_t *bytes, struct w3s_err *err);

/* The file name -o DIR/ gives an archive, so that ls order is bucket
 * order, then commitment order (replay order for deltas):
 *   bucket-B-SEQ-START-full-ROOT.tar.zst
 *   bucket-B-SEQ-START-delta-ROOT-BASEROOT.tar.zst
 * B, SEQ (start_seq + leaf_count) and START (start_seq) of the target in
 * 20 decimal digits, ROOT and BASEROOT the first 16 hex digits of the
 * target's and the base's MMR roots; a resumed archive ends in
 * -resume-CHUNK before the suffix. */
#define W3S_EXPORT_NAME_MAX 192
void w3s_export_name(const struct w3s_export_info *info,
    char out[W3S_EXPORT_NAME_MAX]);

/* An output file written atomically: a temporary name in the same
 * directory (.NAME.PID-N.tmp), fsync, a rename that never replaces, fsync
 * of the directory. open fails with W3S_ENOTAPPLY when path exists, and
 * so does commit when it appeared meanwhile; abort (and a failed commit)
 * removes the temporary file. A directory that does not exist is
 * W3S_EUSAGE. */
struct w3s_export_file;
int w3s_export_file_open(const char *path, struct w3s_export_file **out,
    struct w3s_err *err);
int w3s_export_file_fd(const struct w3s_export_file *f);
int w3s_export_file_commit(struct w3s_export_file *f, struct w3s_err *err);
void w3s_export_file_abort(struct w3s_export_file *f);

#endif
