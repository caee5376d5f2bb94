/* The DAG-CBOR records of a w3sync stream (man/w3sync-stream.5): the
 * manifest that opens an archive, the metadata records (segments,
 * checkpoints, deletion certificates, index entries) and the trailer that
 * closes it. Each record is a struct here and a map in DAG-CBOR; decoders
 * are strict (unknown keys, missing keys, wrong types, out-of-range values
 * and an unknown format version are W3S_EMALFORMED) and check every value
 * the stream layer relies on, so a decoded record is internally consistent.
 * Encoders refuse what the decoders would refuse (W3S_EUSAGE). */
#ifndef W3S_MANIFEST_H
#define W3S_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/buf.h>
#include <w3s/cbor.h>
#include <w3s/err.h>
#include <w3s/hash.h>
#include <w3s/key.h>
#include <w3s/types.h>

#define W3S_STREAM_FORMAT "w3sync-stream"
#define W3S_STREAM_VERSION 1

/* Entry size limits (bytes of the entry's data in the tar archive). */
#define W3S_MANIFEST_MAX (1u << 20)
#define W3S_META_ENTRY_MAX (1u << 18)
#define W3S_TRAILER_MAX 4096u
#define W3S_STREAM_CHUNK_MAX 262144u

/* Record limits. */
#define W3S_SIGS_MAX 16			/* signatures on one commitment */
#define W3S_SEGMENT_PIECE_MAX 4096	/* chunk hashes in one segment record */
#define W3S_INDEX_NAME_MAX 1024		/* bytes of an index name */

enum w3s_stream_kind {
	W3S_STREAM_FULL = 1,
	W3S_STREAM_DELTA = 2,
};

/* An Ed25519 signature by key over CommitmentPayload v1 (57 bytes). */
struct w3s_commit_sig {
	uint8_t key[W3S_PUBKEY_LEN];
	uint8_t sig[W3S_SIGNATURE_LEN];
};

/* Exact numbers of what follows the manifest in its archive. The counts
 * of records are of the whole stream; chunks and chunk_bytes are of the
 * whole snapshot or delta, of which a resumed archive carries the part
 * from resume_chunk on. */
struct w3s_stream_counts {
	uint64_t segments;	/* distinct segments */
	uint64_t chunk_refs;	/* chunk hashes over all segment records */
	uint64_t checkpoints;
	uint64_t deletions;
	uint64_t index;		/* index entries */
	uint64_t chunks;	/* chunk entries of the unresumed stream */
	uint64_t chunk_bytes;
};

struct w3s_manifest {
	enum w3s_stream_kind kind;
	uint64_t bucket;
	int has_base;			/* 1 exactly for a delta */
	struct w3s_commitment base;
	struct w3s_commitment target;
	size_t nsigs;
	struct w3s_commit_sig sigs[W3S_SIGS_MAX];
	struct w3s_stream_counts counts;
	uint64_t resume_chunk;		/* first chunk carried; 0: not resumed */
	uint64_t resume_byte;		/* bytes of the chunks before it */
	int has_producer;		/* 0: the stream is unsigned */
	uint8_t producer[W3S_PUBKEY_LEN];
	uint64_t created;		/* Unix seconds */
};

/* Chunk entries and bytes this archive carries (from resume_chunk on). */
uint64_t w3s_manifest_carried_chunks(const struct w3s_manifest *m);
uint64_t w3s_manifest_carried_bytes(const struct w3s_manifest *m);

/* Checks the rules of man/w3sync-stream.5 (kind and base, counts that fit
 * together, resume position inside the totals); returns 0 or code with a
 * message. */
int w3s_manifest_check(const struct w3s_manifest *m, int code,
    struct w3s_err *err);
int w3s_manifest_encode(const struct w3s_manifest *m, struct w3s_buf *out,
    struct w3s_err *err);
/* Decodes exactly len bytes. A format name other than "w3sync-stream" or a
 * version other than 1 is W3S_EMALFORMED. */
int w3s_manifest_decode(const uint8_t *buf, size_t len,
    struct w3s_manifest *m, struct w3s_err *err);
/* Checks every signature of the target commitment against its key over
 * CommitmentPayload v1 (bucket, target): 0 or W3S_EVERIFY naming the key.
 * Whether the keys are trusted is the caller's question. */
int w3s_manifest_verify_sigs(const struct w3s_manifest *m,
    struct w3s_err *err);
/* The snapshot id: H(encoding of m with resume_chunk = resume_byte = 0),
 * equal to the manifest digest of the unresumed archive. A resume token is
 * bound to it. */
int w3s_manifest_snapshot_id(const struct w3s_manifest *m,
    uint8_t id[W3S_HASH_LEN], struct w3s_err *err);

/* Metadata records. Metadata entries hold records of one kind, and come in
 * this order of kinds. */
enum w3s_meta_kind {
	W3S_META_DELETIONS = 0,
	W3S_META_SEGMENTS = 1,
	W3S_META_CHECKPOINTS = 2,
	W3S_META_INDEX = 3,
};
#define W3S_META_KINDS 4

/* "deletions", "segments", "checkpoints", "index" */
const char *w3s_meta_kind_name(enum w3s_meta_kind kind);
int w3s_meta_kind_from_name(const char *name, size_t len,
    enum w3s_meta_kind *kind);

/* A segment record: the leaf of segment seq and a piece of its ordered
 * chunk list, hashes[0..nhashes) being chunks first.. of the segment. A
 * segment's chunk list comes in consecutive records of at most
 * W3S_SEGMENT_PIECE_MAX hashes; its length is w3s_chunk_count(data_size).
 * hashes borrows (from the decoded tree, or from the caller). */
struct w3s_segment_rec {
	uint64_t seq;
	struct w3s_leaf leaf;
	uint64_t first;
	size_t nhashes;
	const uint8_t (*hashes)[W3S_H256];
};

/* A checkpoint: a commitment, the signatures it gathered, and the chain
 * block where it was recorded (0: not known). */
struct w3s_checkpoint_rec {
	struct w3s_commitment commitment;
	uint64_t block;
	size_t nsigs;
	struct w3s_commit_sig sigs[W3S_SIGS_MAX];
};

/* A deletion certificate: delete_before(start_seq) gave mmr_root; admin
 * signed CommitmentPayload v1 (bucket, {mmr_root, start_seq, 0}). */
struct w3s_deletion_rec {
	uint64_t start_seq;
	uint8_t mmr_root[W3S_H256];
	uint8_t admin[W3S_PUBKEY_LEN];
	uint8_t sig[W3S_SIGNATURE_LEN];
};

/* An index entry: name -> data root, or removed (in a delta: the name is
 * gone). name is UTF-8 without NUL, 1..W3S_INDEX_NAME_MAX bytes, and
 * borrows. */
struct w3s_index_entry {
	const char *name;
	size_t name_len;
	int removed;
	uint8_t data_root[W3S_H256];
};

/* Each record encodes to one DAG-CBOR map appended to out, and decodes
 * from one item of a decoded metadata entry (borrowing from it). */
int w3s_segment_encode(const struct w3s_segment_rec *s, struct w3s_buf *out,
    struct w3s_err *err);
int w3s_segment_from_cbor(const struct w3s_cbor *item, struct w3s_segment_rec *s,
    struct w3s_err *err);
int w3s_checkpoint_encode(const struct w3s_checkpoint_rec *c,
    struct w3s_buf *out, struct w3s_err *err);
int w3s_checkpoint_from_cbor(const struct w3s_cbor *item,
    struct w3s_checkpoint_rec *c, struct w3s_err *err);
int w3s_deletion_encode(const struct w3s_deletion_rec *d, struct w3s_buf *out,
    struct w3s_err *err);
int w3s_deletion_from_cbor(const struct w3s_cbor *item,
    struct w3s_deletion_rec *d, struct w3s_err *err);
int w3s_index_entry_encode(const struct w3s_index_entry *e,
    struct w3s_buf *out, struct w3s_err *err);
int w3s_index_entry_from_cbor(const struct w3s_cbor *item,
    struct w3s_index_entry *e, struct w3s_err *err);

/* Signature checks of the signed records, as w3s_manifest_verify_sigs. */
int w3s_checkpoint_verify_sigs(uint64_t bucket,
    const struct w3s_checkpoint_rec *c, struct w3s_err *err);
int w3s_deletion_verify(uint64_t bucket, const struct w3s_deletion_rec *d,
    struct w3s_err *err);

/* A metadata entry is a DAG-CBOR array of records: this writes the array
 * head for count records into out (at most 9 bytes) and returns its
 * length; the records' encodings follow it unchanged. */
size_t w3s_meta_array_head(uint8_t out[9], uint64_t count);

/* The trailer closes an archive. */
struct w3s_trailer {
	uint64_t chunks;	/* chunk entries in this archive */
	uint64_t chunk_bytes;	/* their bytes */
	uint64_t meta_entries;	/* metadata entries in this archive */
	uint8_t manifest_digest[W3S_HASH_LEN];	/* H(manifest entry data) */
	uint8_t meta_digest[W3S_HASH_LEN];	/* see w3sync-stream(5) */
	int has_signature;
	uint8_t signature[W3S_SIGNATURE_LEN];
};

int w3s_trailer_encode(const struct w3s_trailer *t, struct w3s_buf *out,
    struct w3s_err *err);
int w3s_trailer_decode(const uint8_t *buf, size_t len, struct w3s_trailer *t,
    struct w3s_err *err);

/* What the producer signs: "w3sync-stream-trailer-v1" || manifest_digest ||
 * meta_digest || chunks u64le || chunk_bytes u64le. */
#define W3S_TRAILER_CONTEXT "w3sync-stream-trailer-v1"
#define W3S_TRAILER_MSG_LEN (24 + 2 * W3S_HASH_LEN + 16)
void w3s_trailer_message(const struct w3s_trailer *t,
    uint8_t msg[W3S_TRAILER_MSG_LEN]);

#endif
