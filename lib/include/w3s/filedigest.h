/* One pass over a file or stream: its size, its chunk count, the digest a
 * CID of the whole byte stream carries, and its data root (the padded
 * Merkle root of its 256 KiB chunk hashes), in memory that does not grow
 * with the input.
 *
 * The whole-stream digest and the chunk hashes are two hash passes over the
 * same bytes; they run on two threads over a small ring of shared read
 * buffers, so the wall time is about one pass. A stream that fits in one
 * buffer is done on the calling thread. */
#ifndef W3S_FILEDIGEST_H
#define W3S_FILEDIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/hash.h>
#include <w3s/types.h>

/* Longest digest kept: sha2-512, or the first bytes of an identity
 * "digest". */
#define W3S_FILEDIGEST_MAX 64

struct w3s_filedigest {
	uint64_t size;		/* bytes read */
	uint64_t chunks;	/* w3s_chunk_count(size) */
	enum w3s_hash_alg alg;
	/* Digest of the whole stream under alg, digest_len bytes. For
	 * identity it is the stream itself; digest_overflow is set when the
	 * stream is longer than W3S_FILEDIGEST_MAX (no identity CID can name
	 * it then) and digest holds only its first bytes. */
	size_t digest_len;
	int digest_overflow;
	uint8_t digest[W3S_FILEDIGEST_MAX];
	/* Padded Merkle root of the chunk hashes; H("") for an empty stream
	 * (one empty chunk). */
	uint8_t data_root[W3S_H256];
};

/* Reads fd to its end (fd is left open, at its end) and fills *out.
 * alg is any hash function w3s_hasher_new accepts, or identity; anything
 * else is W3S_EMALFORMED. A read error is W3S_ESYS ("read failed: ..."),
 * as is running out of memory or threads; *out is then unspecified. */
int w3s_filedigest_fd(int fd, enum w3s_hash_alg alg,
    struct w3s_filedigest *out, struct w3s_err *err);

#endif
