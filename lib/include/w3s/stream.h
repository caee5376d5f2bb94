/* The w3sync stream container (man/w3sync-stream.5): pax tar archives,
 * each in one zstd frame, carrying a manifest, metadata records, chunks
 * named by their CID, and a trailer. Several archives may follow each
 * other in one byte stream.
 *
 * The writer turns calls into bytes, the reader turns bytes into events.
 * Both stream in bounded memory (a few MiB) whatever the archive's size.
 * Entry names are never used as paths. The reader checks everything it
 * can without a store: entry names, order and sizes, every chunk against
 * its CID, every segment's chunk list against its data root, the counts
 * the manifest declares, every signature against its stated key, and the
 * trailer. Whether the signers are trusted is the caller's question. */
#ifndef W3S_STREAM_H
#define W3S_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/hash.h>
#include <w3s/key.h>
#include <w3s/manifest.h>

/* zstd levels: 1 (the default, fastest) to 19. W3S_STREAM_LEVEL_STORE
 * writes zstd frames of raw blocks: no compression, for payloads that are
 * already compressed; any zstd reader reads them. */
#define W3S_STREAM_LEVEL_DEFAULT 1
#define W3S_STREAM_LEVEL_STORE 0
#define W3S_STREAM_LEVEL_MAX 19

/* Length of a chunk's CID in base32 ("bafk2bza" + 54 more), without NUL. */
#define W3S_CHUNK_CID_LEN 62

/* Writes the CID of a chunk hash (raw, blake2b-256, CIDv1, base32) and a
 * NUL into out. */
void w3s_stream_chunk_cid(char out[W3S_CHUNK_CID_LEN + 1],
    const uint8_t hash[W3S_HASH_LEN]);
/* Parses exactly that form (lower case, 62 characters); 0 or
 * W3S_EMALFORMED. */
int w3s_stream_chunk_cid_parse(const char *s, size_t len,
    uint8_t hash[W3S_HASH_LEN], struct w3s_err *err);

/* ---- writer ---------------------------------------------------------- */

struct w3s_stream_writer;

/* Writes to fd (a blocking descriptor; it is not closed). level as above.
 * NULL with err set on failure. When fd is a pipe its buffer is enlarged
 * to 1 MiB where the system allows (twice the throughput of the default
 * 64 KiB between two processes); the reader does the same. */
struct w3s_stream_writer *w3s_stream_writer_new(int fd, int level,
    struct w3s_err *err);
/* Writes through fn, which must take all len bytes and return 0, or a
 * W3S_E* code with err set (the writer is then failed). */
struct w3s_stream_writer *w3s_stream_writer_new_cb(int (*fn)(void *ctx,
    const void *data, size_t len, struct w3s_err *err), void *ctx, int level,
    struct w3s_err *err);
void w3s_stream_writer_free(struct w3s_stream_writer *w);

/* Starts an archive with its manifest. The calls that follow must match
 * it exactly: its counts of records and of carried chunks and bytes (else
 * W3S_EUSAGE). Metadata goes in the order deletions, segments,
 * checkpoints, index entries; then the chunks; then finish. */
int w3s_stream_put_manifest(struct w3s_stream_writer *w,
    const struct w3s_manifest *m, struct w3s_err *err);
/* Segment seq, or more of its chunk list: s->first is the number of its
 * chunk hashes given so far (0 starts the segment), s->hashes the next
 * s->nhashes of them, in any number per call. Segments come in increasing
 * seq; a segment's chunk list is complete (w3s_chunk_count(data_size)
 * hashes) before the next one starts. */
int w3s_stream_put_segment(struct w3s_stream_writer *w,
    const struct w3s_segment_rec *s, struct w3s_err *err);
int w3s_stream_put_checkpoint(struct w3s_stream_writer *w,
    const struct w3s_checkpoint_rec *c, struct w3s_err *err);
int w3s_stream_put_deletion(struct w3s_stream_writer *w,
    const struct w3s_deletion_rec *d, struct w3s_err *err);
int w3s_stream_put_index(struct w3s_stream_writer *w,
    const struct w3s_index_entry *e, struct w3s_err *err);
/* A chunk of at most 262144 bytes whose BLAKE2b-256 is hash (trusted: the
 * writer does not hash it again). */
int w3s_stream_put_chunk(struct w3s_stream_writer *w,
    const uint8_t hash[W3S_HASH_LEN], const void *data, size_t len,
    struct w3s_err *err);
/* Writes the trailer, signed by key when the manifest names a producer
 * (key must be that producer's private key; NULL for an unsigned
 * manifest), and ends the archive and its zstd frame. Another archive may
 * follow with w3s_stream_put_manifest. */
int w3s_stream_finish(struct w3s_stream_writer *w, const struct w3s_key *key,
    struct w3s_err *err);
/* Compressed bytes written so far. */
uint64_t w3s_stream_writer_bytes(const struct w3s_stream_writer *w);

/* ---- reader ---------------------------------------------------------- */

/* Per archive: MANIFEST, its records (DELETION..., SEGMENT..., CHECKPOINT...,
 * INDEX...), CHUNK..., TRAILER. After a TRAILER comes the next archive's
 * MANIFEST or EOF. A caller commits an archive's contents at its TRAILER:
 * only then are the counts, the digests and the producer's signature
 * checked. */
enum w3s_stream_event_type {
	W3S_STREAM_EV_EOF = 0,		/* the input ended after a trailer */
	W3S_STREAM_EV_MANIFEST,		/* an archive begins */
	W3S_STREAM_EV_DELETION,		/* admin signature checked */
	W3S_STREAM_EV_SEGMENT,		/* a piece of a chunk list; the last
					 * piece's list gave the data root */
	W3S_STREAM_EV_CHECKPOINT,	/* signatures checked */
	W3S_STREAM_EV_INDEX,
	W3S_STREAM_EV_CHUNK,		/* hashed, equal to its CID */
	W3S_STREAM_EV_TRAILER,		/* the archive is complete and checked */
};

struct w3s_stream_chunk {
	uint64_t index;		/* position in the unresumed chunk order */
	uint8_t hash[W3S_HASH_LEN];
	const char *cid;	/* its CID, as the entry is named */
	const uint8_t *data;
	size_t len;
};

/* Everything an event points to is borrowed from the reader and valid
 * until the next call on it. */
struct w3s_stream_event {
	enum w3s_stream_event_type type;
	union {
		const struct w3s_manifest *manifest;
		const struct w3s_deletion_rec *deletion;
		const struct w3s_segment_rec *segment;
		const struct w3s_checkpoint_rec *checkpoint;
		const struct w3s_index_entry *index;
		const struct w3s_stream_chunk *chunk;
		const struct w3s_trailer *trailer;
	} u;
};

struct w3s_stream_reader;

/* Reads from fd (blocking; not closed). */
struct w3s_stream_reader *w3s_stream_reader_new(int fd, struct w3s_err *err);
/* Reads through fn: it fills up to cap bytes of buf and returns how many
 * (0 at the end of the input), or a negative W3S_E* code with err set. */
struct w3s_stream_reader *w3s_stream_reader_new_cb(long (*fn)(void *ctx,
    void *buf, size_t cap, struct w3s_err *err), void *ctx,
    struct w3s_err *err);
void w3s_stream_reader_free(struct w3s_stream_reader *r);

/* The next event: 0 and *ev filled, or a negative code:
 *   W3S_EINCOMPLETE  the input ended early (inside a zstd frame, inside a
 *                    tar entry, or before an archive's trailer), or is
 *                    empty; w3s_stream_reader_pos says how far it got
 *   W3S_EMALFORMED   not a stream of this format, a bad or misplaced or
 *                    unknown entry, an entry over its size limit, more
 *                    data than the manifest declares, a bad record
 *   W3S_EVERIFY      a chunk that does not hash to its CID (the message
 *                    names the CID), a chunk list that does not give its
 *                    segment's data root, a signature that does not
 *                    verify, a trailer that does not match what came
 *   W3S_ESYS         reading failed, or memory ran out
 * After an error every call returns it again. After EOF, EOF again. */
int w3s_stream_next(struct w3s_stream_reader *r, struct w3s_stream_event *ev,
    struct w3s_err *err);

struct w3s_stream_pos {
	uint64_t archives;	/* archives completed (trailer checked) */
	int in_archive;		/* a manifest came, its trailer not yet */
	uint8_t manifest_digest[W3S_HASH_LEN];	/* of the current/last one */
	uint64_t chunks;	/* chunks received in this archive */
	uint64_t chunk_bytes;	/* and their bytes */
	uint64_t next_chunk;	/* resume position: resume_chunk + chunks */
	uint64_t next_byte;	/* resume_byte + chunk_bytes */
	uint64_t bytes_in;	/* compressed bytes read from the input */
	uint64_t bytes_out;	/* tar bytes decompressed from them */
};

void w3s_stream_reader_pos(const struct w3s_stream_reader *r,
    struct w3s_stream_pos *pos);
/* The current (or last) archive's manifest, NULL before the first. */
const struct w3s_manifest *w3s_stream_reader_manifest(
    const struct w3s_stream_reader *r);

/* ---- scanning stream files -------------------------------------------- */

/* Bytes [off, end) of a file, read with pread (the descriptor's offset is
 * not used): give w3s_stream_range_read and a pointer to one to
 * w3s_stream_reader_new_cb to read an archive found by w3s_stream_scan. */
struct w3s_stream_range {
	int fd;
	uint64_t off;
	uint64_t end;
};
long w3s_stream_range_read(void *ctx, void *buf, size_t cap,
    struct w3s_err *err);

/* An archive of a stream file: its bytes [offset, end) and its manifest. */
struct w3s_stream_archive {
	uint64_t offset;
	uint64_t end;
	struct w3s_manifest manifest;
};
typedef int (*w3s_stream_scan_fn)(void *ctx,
    const struct w3s_stream_archive *a, struct w3s_err *err);

/* Finds the archives of the first size bytes of fd and reads their
 * manifests, never their chunks: the first archive at byte 0, the others
 * where a zstd frame starts one (an archive is one frame as w3sync writes
 * it; frames that start no archive belong to the archive before them, and
 * are probed up to a budget that grows with the file: past it *gave_up is
 * set and the rest belongs to the last archive found). Calls fn for each
 * archive in order (the last one ends at size); a non-zero return stops
 * the walk and is returned. When the first manifest cannot be read, its
 * reader's code (the file is not a stream; W3S_ESYS when reading failed)
 * without calling fn. */
int w3s_stream_scan(int fd, uint64_t size, w3s_stream_scan_fn fn, void *ctx,
    int *gave_up, struct w3s_err *err);

#endif
