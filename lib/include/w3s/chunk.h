/* Fixed 256 KiB chunking of blobs (SPEC.md section 2). */
#ifndef W3S_CHUNK_H
#define W3S_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/types.h>

#define W3S_CHUNK_SIZE 262144u

/* 1 for an empty blob (one empty chunk), else ceil(size / 262144). */
uint64_t w3s_chunk_count(uint64_t size);

/* Length of chunk i of a blob of size bytes (0 when i is past the end;
 * the empty blob's one chunk is 0 bytes too). */
uint64_t w3s_chunk_len(uint64_t size, uint64_t i);

/* Offset of chunk i in its blob. */
uint64_t w3s_chunk_offset(uint64_t i);

/* data_root of a blob held in memory: the padded Merkle root of its chunk
 * hashes (H("") for the empty blob). */
void w3s_chunk_data_root(const void *data, size_t len,
    uint8_t root[W3S_H256]);

#endif
