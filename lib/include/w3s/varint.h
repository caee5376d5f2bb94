/* Unsigned LEB128 varints as multiformats uses them: minimal encoding
 * required, at most 9 bytes (values below 2^63). */
#ifndef W3S_VARINT_H
#define W3S_VARINT_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>

#define W3S_VARINT_MAX 9

/* Writes v into out (at least W3S_VARINT_MAX bytes); returns the length
 * (1 to 9). v must be below 2^63: for larger values nothing is written and
 * 0 is returned. */
size_t w3s_varint_encode(uint8_t *out, uint64_t v);

/* Reads one varint from buf[0..len). Returns the bytes consumed (> 0), or
 * W3S_EINCOMPLETE if buf ends inside it, or W3S_EMALFORMED if it is not
 * minimal or longer than 9 bytes. *v is set only on success. */
int w3s_varint_decode(const uint8_t *buf, size_t len, uint64_t *v,
    struct w3s_err *err);

#endif
