/* Fixed 256 KiB chunking of blobs (SPEC.md section 2). */
#ifndef W3S_CHUNK_H
#define W3S_CHUNK_H

#include <stdint.h>

#define W3S_CHUNK_SIZE 262144u

/* 1 for an empty blob (one empty chunk), else ceil(size / 262144). */
uint64_t w3s_chunk_count(uint64_t size);

/* Length of chunk i of a blob of size bytes. */
uint64_t w3s_chunk_len(uint64_t size, uint64_t i);

#endif
