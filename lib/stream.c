/* The stream module's shared parts: the CID a chunk entry is named by. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <w3s/buf.h>
#include <w3s/hash.h>
#include <w3s/stream.h>

#include "stream_int.h"

/* CIDv1, codec raw (0x55), multihash blake2b-256 (0xb220 as a varint:
 * a0 e4 02) of 32 bytes: 38 bytes, 61 base32 digits after the 'b'. */
static const uint8_t cid_prefix[6] = { 0x01, 0x55, 0xa0, 0xe4, 0x02, 0x20 };
static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
#define CID_BIN_LEN (sizeof(cid_prefix) + W3S_HASH_LEN)

void
w3s_stream_chunk_cid(char out[W3S_CHUNK_CID_LEN + 1],
    const uint8_t hash[W3S_HASH_LEN])
{
	uint8_t bin[CID_BIN_LEN];
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	memcpy(bin, cid_prefix, sizeof(cid_prefix));
	memcpy(bin + sizeof(cid_prefix), hash, W3S_HASH_LEN);
	out[o++] = 'b';
	for (size_t i = 0; i < CID_BIN_LEN; i++) {
		acc = (acc << 8 | bin[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

int
w3s_stream_chunk_cid_parse(const char *s, size_t len,
    uint8_t hash[W3S_HASH_LEN], struct w3s_err *err)
{
	uint8_t bin[CID_BIN_LEN];
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (len != W3S_CHUNK_CID_LEN || s[0] != 'b')
		goto bad;
	for (size_t i = 1; i < len; i++) {
		const char *p = s[i] != '\0' ? strchr(b32, s[i]) : NULL;

		if (p == NULL)
			goto bad;
		acc = (acc << 5 | (uint32_t)(p - b32)) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			bin[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* 61 digits carry 305 bits: the one left over must be zero. */
	if (o != CID_BIN_LEN || (acc & ((1u << bits) - 1)) != 0 ||
	    memcmp(bin, cid_prefix, sizeof(cid_prefix)) != 0)
		goto bad;
	memcpy(hash, bin + sizeof(cid_prefix), W3S_HASH_LEN);
	return 0;
bad:
	return w3s_err_set(err, W3S_EMALFORMED, "\"%.*s\" is not the base32 "
	    "CIDv1 of a raw blake2b-256 chunk", (int)(len > 80 ? 80 : len), s);
}

void
stream_meta_digest_entry(struct w3s_hasher *h, const char *name,
    uint64_t size)
{
	uint8_t le[8];

	w3s_hasher_update(h, name, strlen(name) + 1);
	w3s_put_u64le(le, size);
	w3s_hasher_update(h, le, sizeof(le));
}

void
stream_grow_pipe(int fd)
{
	struct stat st;
	int size;

	if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
		return;
	size = fcntl(fd, F_GETPIPE_SZ);
	/* Best effort: an unprivileged process may go up to
	 * /proc/sys/fs/pipe-max-size (1 MiB by default). */
	for (int want = STREAM_PIPE_SIZE; want > size && want >= 65536;
	    want /= 2)
		if (fcntl(fd, F_SETPIPE_SZ, want) >= 0)
			break;
}
