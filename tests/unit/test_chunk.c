/* Fixed 256 KiB chunking and blob data roots (SPEC.md section 2), with
 * the goldens inline. */
#include <stdlib.h>
#include <string.h>

#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/merkle.h>

#include "tap.h"

static uint8_t *
gen_mod251(size_t len)
{
	uint8_t *p = malloc(len + 1);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i % 251);
	return p;
}

static uint8_t *
gen_fill(int byte, size_t len)
{
	uint8_t *p = malloc(len + 1);

	memset(p, byte, len);
	return p;
}

/* data_root the long way: hash each chunk, then the array root. */
static void
root_by_chunks(const uint8_t *data, size_t len, uint8_t root[32])
{
	uint64_t n = w3s_chunk_count(len);
	uint8_t (*h)[32] = malloc(n * 32);

	for (uint64_t i = 0; i < n; i++)
		w3s_hash_blake2b(h[i], data + w3s_chunk_offset(i),
		    w3s_chunk_len(len, i));
	w3s_merkle_root((const uint8_t (*)[32])h, n, root);
	free(h);
}

int
main(void)
{
	static const struct {
		uint64_t size, count;
	} counts[] = {
		{ 0, 1 }, { 1, 1 }, { 262143, 1 }, { 262144, 1 },
		{ 262145, 2 }, { 524288, 2 }, { 524289, 3 }, { 786532, 4 },
		{ 1048581, 5 },
	};
	static const size_t sizes[] = { 0, 1, 262143, 262144, 262145,
		524288, 524289, 786532, 1048576, 1048581, 2097153 };
	uint8_t root[32], other[32], *data;
	int all = 1;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "chunk count of %llu bytes",
		    (unsigned long long)counts[i].size);
		is_int((long long)w3s_chunk_count(counts[i].size),
		    (long long)counts[i].count, name);
	}
	is_int((long long)w3s_chunk_len(0, 0), 0,
	    "the empty blob's one chunk is empty");
	is_int((long long)w3s_chunk_len(524289, 0), 262144, "524289: chunk 0");
	is_int((long long)w3s_chunk_len(524289, 1), 262144, "524289: chunk 1");
	is_int((long long)w3s_chunk_len(524289, 2), 1, "524289: chunk 2");
	is_int((long long)w3s_chunk_len(524289, 3), 0, "524289: no chunk 3");
	is_int((long long)w3s_chunk_offset(2), 524288, "chunk 2 starts at "
	    "524288");

	w3s_chunk_data_root("", 0, root);
	is_hex(root, 32, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787fa"
	    "ab45cdf12fe3a8", "empty blob: data_root = H(\"\")");
	w3s_chunk_data_root(NULL, 0, root);
	is_hex(root, 32, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787fa"
	    "ab45cdf12fe3a8", "empty blob from NULL: the same");
	w3s_chunk_data_root("hello world", 11, root);
	is_hex(root, 32, "256c83b297114d201b30179f3f0ef0cace9783622da5974326"
	    "b436178aeef610", "\"hello world\": one chunk, its hash");

	data = gen_fill(1, 262144);
	w3s_chunk_data_root(data, 262144, root);
	is_hex(root, 32, "d39a3e1a5418e2892b443802726df9bf99510aebe541b6ebed"
	    "1194c6b22b67af", "exactly 256 KiB of 01");
	free(data);
	data = gen_fill(7, 262244);
	w3s_chunk_data_root(data, 262244, root);
	is_hex(root, 32, "b18fa8cdaeab5698eaa25e7a7f38b3547c891470ed2c554bcc"
	    "6086a08da323f6", "256 KiB + 100 of 07");
	free(data);
	data = gen_mod251(786532);
	w3s_chunk_data_root(data, 786532, root);
	is_hex(root, 32, "d952c74797a9ba541356b20068cc3a94f8885d17959951e40c"
	    "dfbb912637f508", "big.bin (i mod 251, 786532 bytes, 4 chunks)");
	w3s_hash_blake2b(other, data, 786532);
	is_hex(other, 32, "2cf7e282c04bd48da05c772f0b78855542b0c0a34a6d8369fe"
	    "de10fbdfd6d310", "big.bin whole-blob hash is not its data_root");
	free(data);
	data = gen_mod251(1048581);
	w3s_chunk_data_root(data, 1048581, root);
	is_hex(root, 32, "4b7bd17ad4017f5449832a5abe87d8d4d90445c6d1ea633c4f"
	    "112a9bad1d134a", "5 chunks padded to 8");
	free(data);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		data = gen_mod251(sizes[i]);
		w3s_chunk_data_root(data, sizes[i], root);
		root_by_chunks(data, sizes[i], other);
		if (memcmp(root, other, 32) != 0)
			all = 0;
		free(data);
	}
	ok(all, "streamed data_root == array root over the chunk hashes");
	return tap_done();
}
