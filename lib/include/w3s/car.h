/* CAR files (Content Addressable aRchives), versions 1 and 2, verified
 * without a store.
 *
 * The reader is fed bytes in pieces of any size (w3s_car_put), in one
 * forward pass: it never seeks, so a pipe works as well as a file. It
 * checks, and stops at the first failure:
 *
 *   - the framing: minimal varints, a CARv1 header that is strict DAG-CBOR
 *     {roots: [CID...], version: 1} and at most W3S_CAR_HEADER_MAX bytes,
 *     sections of at most W3S_CAR_SECTION_MAX bytes that each start with a
 *     CID; for CARv2 the 11-byte pragma, the 40-byte header (characteristics,
 *     data offset, data size, index offset, u64 little-endian), the inner
 *     CARv1 ending exactly at data offset + data size, nothing after the
 *     index (or after the data when there is no index);
 *   - every block against its CID: sha2-256, sha2-512, blake2b-256 and
 *     identity (the data equals the digest); a CID with another hash
 *     function is unsupported input;
 *   - the links of every dag-pb block (PBNode.Links[].Hash; strict
 *     DAG-PB: known fields only, Links before Data, Hash required) and
 *     dag-cbor block (every tag 42, which must hold 0x00 and a CID; the
 *     rest may be any well-formed CBOR, not only strict DAG-CBOR, since
 *     real CARs carry blocks a strict decoder refuses, such as Filecoin
 *     chain data with text that is not UTF-8, and the hash already
 *     vouches for the bytes); blocks of other codecs are hash-checked
 *     only;
 *   - a CARv2 index, IndexSorted (0x0400) or MultihashIndexSorted (0x0401)
 *     as go-car writes them (a byte length, not an entry count, per width
 *     bucket), against the data: buckets sorted, entries sorted by digest,
 *     every entry's offset the start of a section whose multihash it
 *     names, no two entries for one section, and every block in the index
 *     except identity blocks (go-car leaves those out unless the header's
 *     fully-indexed characteristic is set, and then they must be in it).
 *
 * At the end (w3s_car_finish) every root and every link must name a block
 * of the file; identity links hold their block and are always present
 * (their own links are followed). Blocks match by multihash, as
 * blockstores do: the codec of a link does not have to equal the codec of
 * the section's CID.
 *
 * Decisions for inputs the specifications leave open:
 *   - A file that ends early (inside a varint, the header, a section, the
 *     CARv2 padding or index, or before data offset + data size) is
 *     W3S_EMALFORMED, not W3S_EINCOMPLETE: a CAR file has no resume, and
 *     the bytes at hand cannot be verified as a whole. A CARv1 cut at a
 *     section boundary cannot be told from a shorter CAR; its missing
 *     links show it (W3S_EINCOMPLETE).
 *   - A zero-length section ends the data when only zero bytes follow it
 *     to the end of the CARv1 data (the null padding Filecoin deals carry;
 *     go-car's ZeroLengthSectionAsEOF). Any non-zero byte after it is
 *     W3S_EMALFORMED, so no data hides behind the padding.
 *   - An empty roots array is accepted (shards of a large upload carry no
 *     root); a missing "roots" key, other keys, or other versions are not.
 *   - Padding between the CARv2 header and the data, and between the data
 *     and the index, is skipped unread.
 *
 * Memory: one section at a time (at most W3S_CAR_SECTION_MAX bytes; the
 * buffer grows with the bytes that arrive, not with a length claimed)
 * plus about 100 bytes per block and per distinct link not yet seen as a
 * block, which the root, link and index checks need. */
#ifndef W3S_CAR_H
#define W3S_CAR_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/cid.h>
#include <w3s/err.h>

/* go-car's limits: a header of at most 32 MiB, a section (CID and block)
 * of at most 8 MiB. */
#define W3S_CAR_HEADER_MAX (32u << 20)
#define W3S_CAR_SECTION_MAX (8u << 20)

/* CARv2: pragma and header sizes, and the index formats read. */
#define W3S_CAR_PRAGMA_LEN 11
#define W3S_CAR_V2_HEADER_LEN 40
#define W3S_CAR_INDEX_SORTED 0x0400
#define W3S_CAR_INDEX_MH_SORTED 0x0401

struct w3s_car;

/* What a finished (or failed) reader found. Pointers borrow from the
 * reader and stay valid until it is freed. */
struct w3s_car_summary {
	unsigned version;		/* 1 or 2; 0 before the header */
	size_t root_count;
	const struct w3s_cid *roots;
	uint64_t blocks;		/* sections read and verified */
	uint64_t padding;		/* zero bytes after a zero-length section */
	uint64_t index_codec;		/* 0 when there is no index */
	uint64_t index_entries;
	/* After w3s_car_finish: roots and links that name no block of the
	 * file, each once, roots first, then in the order first linked. */
	size_t missing_count;
	const struct w3s_cid *missing;
};

/* NULL with err set (W3S_ESYS) when memory runs out. */
struct w3s_car *w3s_car_new(struct w3s_err *err);
/* NULL is a no-op. */
void w3s_car_free(struct w3s_car *car);

/* Feeds the next len bytes of the file. Returns 0, or the first failure:
 *   W3S_EMALFORMED  bad framing, header, CID, varint, dag-pb or dag-cbor
 *                   block, index layout; a length over its limit; an
 *                   unsupported hash function, CAR version or index format
 *   W3S_EVERIFY     a block that does not hash to its CID (the message
 *                   names the CID and offset), an index entry that does
 *                   not match the section at its offset
 *   W3S_ESYS        memory ran out
 * After a failure every call returns it again. */
int w3s_car_put(struct w3s_car *car, const void *data, size_t len,
    struct w3s_err *err);

/* Ends the input. Returns 0 when the file is complete and every check
 * passed; W3S_EMALFORMED when it ended early; W3S_EVERIFY when a block is
 * not in the index; W3S_EINCOMPLETE when roots or linked blocks are
 * missing (the message counts them and names the first; the summary lists
 * them). A failure from w3s_car_put is returned again. */
int w3s_car_finish(struct w3s_car *car, struct w3s_err *err);

/* Reads fd to its end through w3s_car_put, then w3s_car_finish. A read
 * error is W3S_ESYS ("read failed: ..."). fd is left open. */
int w3s_car_read_fd(struct w3s_car *car, int fd, struct w3s_err *err);

void w3s_car_summary(const struct w3s_car *car, struct w3s_car_summary *out);

/* Name of an index format ("IndexSorted", "MultihashIndexSorted") or
 * NULL. */
const char *w3s_car_index_name(uint64_t codec);

#endif
