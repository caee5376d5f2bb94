/* Fixed 256 KiB chunking (SPEC.md section 2), newest rule: the empty blob
 * is one empty chunk. */
#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/merkle.h>

uint64_t
w3s_chunk_count(uint64_t size)
{
	if (size == 0)
		return 1;
	return size / W3S_CHUNK_SIZE + (size % W3S_CHUNK_SIZE != 0);
}

uint64_t
w3s_chunk_len(uint64_t size, uint64_t i)
{
	uint64_t off;

	if (i >= w3s_chunk_count(size))
		return 0;
	off = i * W3S_CHUNK_SIZE;
	return size - off < W3S_CHUNK_SIZE ? size - off : W3S_CHUNK_SIZE;
}

uint64_t
w3s_chunk_offset(uint64_t i)
{
	return i * W3S_CHUNK_SIZE;
}

void
w3s_chunk_data_root(const void *data, size_t len, uint8_t root[W3S_H256])
{
	struct w3s_merkle_builder mb;
	uint8_t h[W3S_H256];
	uint64_t n = w3s_chunk_count(len);

	if (len == 0) {
		/* One empty chunk, and a one-leaf tree is its leaf. */
		w3s_hash_blake2b(root, "", 0);
		return;
	}
	w3s_merkle_builder_init(&mb);
	for (uint64_t i = 0; i < n; i++) {
		w3s_hash_blake2b(h, (const uint8_t *)data + w3s_chunk_offset(i),
		    (size_t)w3s_chunk_len(len, i));
		w3s_merkle_builder_push(&mb, h);
	}
	w3s_merkle_builder_finish(&mb, root);
}
