/* Multibase: a one-character prefix naming the base, then the text. */
#ifndef W3S_MULTIBASE_H
#define W3S_MULTIBASE_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>

/* Every base of the multibase test vectors. The value is the prefix
 * character, except base256emoji (whose prefix is U+1F680). */
enum w3s_base {
	W3S_BASE2 = '0',
	W3S_BASE8 = '7',
	W3S_BASE10 = '9',
	W3S_BASE16 = 'f',
	W3S_BASE16UPPER = 'F',
	W3S_BASE32 = 'b',
	W3S_BASE32UPPER = 'B',
	W3S_BASE32HEX = 'v',
	W3S_BASE32HEXUPPER = 'V',
	W3S_BASE32PAD = 'c',
	W3S_BASE32PADUPPER = 'C',
	W3S_BASE32HEXPAD = 't',
	W3S_BASE32HEXPADUPPER = 'T',
	W3S_BASE32Z = 'h',
	W3S_BASE36 = 'k',
	W3S_BASE36UPPER = 'K',
	W3S_BASE58FLICKR = 'Z',
	W3S_BASE58BTC = 'z',
	W3S_BASE64 = 'm',
	W3S_BASE64PAD = 'M',
	W3S_BASE64URL = 'u',
	W3S_BASE64URLPAD = 'U',
	W3S_BASE256EMOJI = 0x1f680,
};

/* Name as in the multibase table ("base32", "base58btc", ...) <-> base. */
int w3s_base_from_name(const char *name, enum w3s_base *base,
    struct w3s_err *err);
const char *w3s_base_name(enum w3s_base base);

/* Encodes data with its prefix into a new NUL-terminated string (caller
 * frees). W3S_EUSAGE for an unknown base. */
int w3s_multibase_encode(enum w3s_base base, const uint8_t *data, size_t len,
    char **out, struct w3s_err *err);

/* Decodes a prefixed string into a new buffer (caller frees; never NULL on
 * success, even for zero bytes); *base_out (may be NULL) gets the base
 * named by the prefix. Upper and lower case are both accepted for the
 * case-insensitive bases: base16, base32, base32hex, base32pad,
 * base32hexpad and base36, each under either prefix (base32z is lower case
 * only). Decoding is strict: W3S_EMALFORMED for an unknown prefix, a
 * character outside the alphabet, missing, extra or misplaced padding, a
 * length no encoder writes, or non-zero bits after the last byte. */
int w3s_multibase_decode(const char *text, uint8_t **out, size_t *out_len,
    enum w3s_base *base_out, struct w3s_err *err);

#endif
