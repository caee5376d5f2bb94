#include <stdlib.h>
#include <string.h>

#include <w3s/hex.h>

static const char digits[] = "0123456789abcdef";

void
w3s_hex_encode(char *out, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
w3s_hex_decode(uint8_t *out, size_t out_len, const char *hex, size_t hex_len,
    struct w3s_err *err)
{
	if (hex_len != 2 * out_len)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "expected %zu hex digits, got %zu", 2 * out_len, hex_len);
	for (size_t i = 0; i < out_len; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "not a hex digit at offset %zu", 2 * i + (hi >= 0));
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
w3s_hex_decode_alloc(const char *hex, uint8_t **out, size_t *out_len,
    struct w3s_err *err)
{
	size_t n;
	uint8_t *p;
	int rc;

	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	n = strlen(hex);
	if (n % 2 != 0)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "odd number of hex digits (%zu)", n);
	p = malloc(n / 2 + 1);
	if (p == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	if ((rc = w3s_hex_decode(p, n / 2, hex, n, err)) != 0) {
		free(p);
		return rc;
	}
	*out = p;
	*out_len = n / 2;
	return 0;
}

void
w3s_hex32_format(char out[W3S_HEX32_LEN], const uint8_t h[32])
{
	out[0] = '0';
	out[1] = 'x';
	w3s_hex_encode(out + 2, h, 32);
}

int
w3s_hex32_parse(uint8_t out[32], const char *s, struct w3s_err *err)
{
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return w3s_err_set(err, W3S_EMALFORMED,
		    "'%.80s' is not 0x followed by 64 hex digits", s);
	if (w3s_hex_decode(out, 32, s + 2, strlen(s + 2), NULL) != 0)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "'%.80s' is not 0x followed by 64 hex digits", s);
	return 0;
}
