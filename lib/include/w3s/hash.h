/* Hash functions: BLAKE2b-256 (libsodium) and SHA-256 (OpenSSL), one-shot
 * and streaming. */
#ifndef W3S_HASH_H
#define W3S_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>

#define W3S_HASH_LEN 32

/* Multihash codes of the functions this module computes. */
enum w3s_hash_alg {
	W3S_HASH_IDENTITY = 0x00,
	W3S_HASH_SHA2_256 = 0x12,
	W3S_HASH_SHA2_512 = 0x13,
	W3S_HASH_BLAKE2B_256 = 0xb220,
};

/* Sets libsodium up, once, whatever the thread: it then picks the fastest
 * code for this CPU. The functions here call it; so does any other module
 * that uses libsodium, before its first call. */
void w3s_hash_init(void);

/* H(x): BLAKE2b with a 32-byte digest, no key. */
void w3s_hash_blake2b(uint8_t out[W3S_HASH_LEN], const void *data, size_t len);

/* hash_children(L, R) = H(L || R). */
void w3s_hash_children(uint8_t out[W3S_HASH_LEN],
    const uint8_t left[W3S_HASH_LEN], const uint8_t right[W3S_HASH_LEN]);

void w3s_hash_sha256(uint8_t out[32], const void *data, size_t len);

/* Digest length of alg, 0 for identity (variable), -1 if unsupported. */
int w3s_hash_digest_len(enum w3s_hash_alg alg);

/* Canonical name ("blake2b-256", "sha2-256", ...) or NULL. */
const char *w3s_hash_name(enum w3s_hash_alg alg);

/* Parses a name; returns 0 and sets *alg, or W3S_EUSAGE. */
int w3s_hash_from_name(const char *name, enum w3s_hash_alg *alg,
    struct w3s_err *err);

/* Streaming hasher for sha2-256, sha2-512 and blake2b-256. */
struct w3s_hasher;

struct w3s_hasher *w3s_hasher_new(enum w3s_hash_alg alg, struct w3s_err *err);
void w3s_hasher_update(struct w3s_hasher *h, const void *data, size_t len);
/* Writes the digest (w3s_hash_digest_len bytes) and resets the hasher. */
void w3s_hasher_final(struct w3s_hasher *h, uint8_t *out);
void w3s_hasher_free(struct w3s_hasher *h);

/* One-shot digest of any supported alg; identity copies the bytes (out must
 * hold len bytes then). Returns the digest length or a W3S_E* code. */
int w3s_hash_digest(enum w3s_hash_alg alg, const void *data, size_t len,
    uint8_t *out, size_t out_cap, struct w3s_err *err);

#endif
