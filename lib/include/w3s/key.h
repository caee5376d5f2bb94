/* Ed25519 keys (OpenSSL): PEM files made by
 * `openssl genpkey -algorithm ed25519`, or 0x hex public keys. */
#ifndef W3S_KEY_H
#define W3S_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>

#define W3S_PUBKEY_LEN 32
#define W3S_SIGNATURE_LEN 64

struct w3s_key;

/* Loads a private key. A file readable by group or others is refused, as
 * ssh does, with W3S_ESYS (exit 7: fix the permissions, then retry). */
int w3s_key_load_private(const char *path, struct w3s_key **out,
    struct w3s_err *err);
/* Loads a public key: a PEM public key file, a PEM private key file (its
 * public half; the permission rule above applies to it too), or "0x" + 64
 * hex digits. A missing file is W3S_ESYS; anything that is not an Ed25519
 * key is W3S_EMALFORMED. */
int w3s_key_load_public(const char *spec, struct w3s_key **out,
    struct w3s_err *err);
/* Builds a key from the raw 32-byte Ed25519 secret (RFC 8032's "private
 * key", the seed); the caller's copy is not kept, wipe it when done. */
int w3s_key_from_raw_private(const uint8_t secret[32], struct w3s_key **out,
    struct w3s_err *err);
/* Builds a public-only key from its 32 raw bytes. */
int w3s_key_from_raw_public(const uint8_t pub[W3S_PUBKEY_LEN],
    struct w3s_key **out, struct w3s_err *err);
/* Frees the key (OpenSSL wipes the secret); NULL is a no-op. */
void w3s_key_free(struct w3s_key *key);

void w3s_key_public(const struct w3s_key *key, uint8_t pub[W3S_PUBKEY_LEN]);
int w3s_key_has_private(const struct w3s_key *key);

/* W3S_EUSAGE when key has no private half. */
int w3s_key_sign(const struct w3s_key *key, const uint8_t *msg, size_t len,
    uint8_t sig[W3S_SIGNATURE_LEN], struct w3s_err *err);
/* 0 if sig is pub's signature over msg, W3S_EVERIFY if not. */
int w3s_key_verify(const uint8_t pub[W3S_PUBKEY_LEN], const uint8_t *msg,
    size_t len, const uint8_t sig[W3S_SIGNATURE_LEN]);

#endif
