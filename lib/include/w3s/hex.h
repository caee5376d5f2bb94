/* Hex, and the chain's `0x` + 64 hex digits form of a 32-byte hash. */
#ifndef W3S_HEX_H
#define W3S_HEX_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>

/* Writes 2*len lower-case hex digits and a NUL into out (2*len+1 bytes). */
void w3s_hex_encode(char *out, const uint8_t *data, size_t len);

/* Decodes exactly 2*out_len hex digits (either case, no prefix) into out.
 * Returns 0, or W3S_EMALFORMED on a bad digit or length. */
int w3s_hex_decode(uint8_t *out, size_t out_len, const char *hex,
    size_t hex_len, struct w3s_err *err);

/* Decodes any even-length hex string into a new buffer (*out, *out_len);
 * an optional "0x" prefix is skipped. Caller frees *out. */
int w3s_hex_decode_alloc(const char *hex, uint8_t **out, size_t *out_len,
    struct w3s_err *err);

/* "0x" + 64 lower-case hex digits + NUL: 67 bytes. */
#define W3S_HEX32_LEN 67
void w3s_hex32_format(char out[W3S_HEX32_LEN], const uint8_t h[32]);
/* Accepts exactly "0x" (or "0X") + 64 hex digits. */
int w3s_hex32_parse(uint8_t out[32], const char *s, struct w3s_err *err);

#endif
