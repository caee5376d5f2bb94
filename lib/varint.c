/* Unsigned varints (LEB128) with the multiformats rules: seven bits per
 * byte, low group first, high bit set on every byte but the last; the
 * shortest form only, and at most nine bytes. */
#include <w3s/varint.h>

size_t
w3s_varint_encode(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	if (v >> 63 != 0)
		return 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v & 0x7f) | 0x80;
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

int
w3s_varint_decode(const uint8_t *buf, size_t len, uint64_t *v,
    struct w3s_err *err)
{
	uint64_t value = 0;

	for (size_t i = 0; i < W3S_VARINT_MAX; i++) {
		uint8_t b;

		if (i == len)
			return w3s_err_set(err, W3S_EINCOMPLETE,
			    "varint: input ends after %zu bytes", len);
		b = buf[i];
		value |= (uint64_t)(b & 0x7f) << (7 * i);
		if (b & 0x80)
			continue;
		if (b == 0 && i > 0)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "varint: not minimally encoded");
		*v = value;
		return (int)(i + 1);
	}
	return w3s_err_set(err, W3S_EMALFORMED,
	    "varint: longer than %d bytes", W3S_VARINT_MAX);
}
