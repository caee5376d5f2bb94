/* The one module that includes libsodium's and OpenSSL's digest headers
 * (key.c includes libsodium's too, for Ed25519 verification). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include <w3s/hash.h>

struct w3s_hasher {
	enum w3s_hash_alg alg;
	crypto_generichash_state b2;
	EVP_MD_CTX *md;
};

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

/* sodium_init picks the fastest BLAKE2b for this CPU (AVX2 where there is
 * one); without it libsodium runs its portable code, 30% slower here. */
static void
sodium_setup(void)
{
	if (sodium_init() < 0)
		abort();
}

void
w3s_hash_init(void)
{
	pthread_once(&sodium_once, sodium_setup);
}

void
w3s_hash_blake2b(uint8_t out[W3S_HASH_LEN], const void *data, size_t len)
{
	w3s_hash_init();
	crypto_generichash(out, W3S_HASH_LEN, data, len, NULL, 0);
}

void
w3s_hash_children(uint8_t out[W3S_HASH_LEN], const uint8_t left[W3S_HASH_LEN],
    const uint8_t right[W3S_HASH_LEN])
{
	uint8_t pre[2 * W3S_HASH_LEN];

	w3s_hash_init();
	memcpy(pre, left, W3S_HASH_LEN);
	memcpy(pre + W3S_HASH_LEN, right, W3S_HASH_LEN);
	crypto_generichash(out, W3S_HASH_LEN, pre, sizeof(pre), NULL, 0);
}

void
w3s_hash_sha256(uint8_t out[32], const void *data, size_t len)
{
	EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
}

int
w3s_hash_digest_len(enum w3s_hash_alg alg)
{
	switch (alg) {
	case W3S_HASH_IDENTITY:
		return 0;
	case W3S_HASH_SHA2_256:
	case W3S_HASH_BLAKE2B_256:
		return 32;
	case W3S_HASH_SHA2_512:
		return 64;
	}
	return -1;
}

static const struct {
	const char *name;
	enum w3s_hash_alg alg;
} names[] = {
	{ "identity", W3S_HASH_IDENTITY },
	{ "sha2-256", W3S_HASH_SHA2_256 },
	{ "sha2-512", W3S_HASH_SHA2_512 },
	{ "blake2b-256", W3S_HASH_BLAKE2B_256 },
};

const char *
w3s_hash_name(enum w3s_hash_alg alg)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].alg == alg)
			return names[i].name;
	return NULL;
}

int
w3s_hash_from_name(const char *name, enum w3s_hash_alg *alg,
    struct w3s_err *err)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0) {
			*alg = names[i].alg;
			return 0;
		}
	return w3s_err_set(err, W3S_EUSAGE, "unknown hash function '%s'",
	    name);
}

static const EVP_MD *
evp_of(enum w3s_hash_alg alg)
{
	switch (alg) {
	case W3S_HASH_SHA2_256:
		return EVP_sha256();
	case W3S_HASH_SHA2_512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

struct w3s_hasher *
w3s_hasher_new(enum w3s_hash_alg alg, struct w3s_err *err)
{
	struct w3s_hasher *h;

	w3s_hash_init();
	if (alg != W3S_HASH_BLAKE2B_256 && evp_of(alg) == NULL) {
		w3s_err_set(err, W3S_EMALFORMED,
		    "hash function 0x%x is not supported", (unsigned)alg);
		return NULL;
	}
	/* crypto_generichash_state wants 64-byte alignment. */
	h = aligned_alloc(64, (sizeof(*h) + 63) / 64 * 64);
	if (h == NULL) {
		w3s_err_set(err, W3S_ESYS, "out of memory");
		return NULL;
	}
	memset(h, 0, sizeof(*h));
	h->alg = alg;
	if (alg == W3S_HASH_BLAKE2B_256) {
		crypto_generichash_init(&h->b2, NULL, 0, W3S_HASH_LEN);
		return h;
	}
	h->md = EVP_MD_CTX_new();
	if (h->md == NULL || !EVP_DigestInit_ex(h->md, evp_of(alg), NULL)) {
		w3s_hasher_free(h);
		w3s_err_set(err, W3S_ESYS, "cannot start a digest");
		return NULL;
	}
	return h;
}

void
w3s_hasher_update(struct w3s_hasher *h, const void *data, size_t len)
{
	if (h->alg == W3S_HASH_BLAKE2B_256)
		crypto_generichash_update(&h->b2, data, len);
	else
		EVP_DigestUpdate(h->md, data, len);
}

void
w3s_hasher_final(struct w3s_hasher *h, uint8_t *out)
{
	if (h->alg == W3S_HASH_BLAKE2B_256) {
		crypto_generichash_final(&h->b2, out, W3S_HASH_LEN);
		crypto_generichash_init(&h->b2, NULL, 0, W3S_HASH_LEN);
		return;
	}
	EVP_DigestFinal_ex(h->md, out, NULL);
	EVP_DigestInit_ex(h->md, evp_of(h->alg), NULL);
}

void
w3s_hasher_free(struct w3s_hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

int
w3s_hash_digest(enum w3s_hash_alg alg, const void *data, size_t len,
    uint8_t *out, size_t out_cap, struct w3s_err *err)
{
	int dlen = w3s_hash_digest_len(alg);

	if (dlen < 0)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "hash function 0x%x is not supported", (unsigned)alg);
	if (alg == W3S_HASH_IDENTITY) {
		if (len > out_cap)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "identity digest of %zu bytes is too long", len);
		memcpy(out, data, len);
		return (int)len;
	}
	if ((size_t)dlen > out_cap)
		return w3s_err_set(err, W3S_EUSAGE, "digest buffer too small");
	if (alg == W3S_HASH_BLAKE2B_256)
		w3s_hash_blake2b(out, data, len);
	else
		EVP_Digest(data, len, out, NULL, evp_of(alg), NULL);
	return dlen;
}
