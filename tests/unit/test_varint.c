/* Unsigned varints: encodings of known values, the 9-byte limit, and the
 * inputs a strict decoder must refuse. */
#include <stdint.h>
#include <stdio.h>

#include <w3s/varint.h>

/* tap.h defines static helpers this file does not all use. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tap.h"
#pragma GCC diagnostic pop

static const struct {
	uint64_t value;
	const char *hex;
} known[] = {
	{ 0, "00" },
	{ 1, "01" },
	{ 127, "7f" },
	{ 128, "8001" },
	{ 255, "ff01" },
	{ 300, "ac02" },
	{ 16383, "ff7f" },
	{ 16384, "808001" },
	{ 0x55, "55" },
	{ 0x70, "70" },
	{ 0xb220, "a0e402" },
	{ (1ull << 56) - 1, "ffffffffffffff7f" },
	{ 1ull << 56, "8080808080808080" "01" },
	{ (1ull << 63) - 1, "ffffffffffffffff7f" },
};

static void
test_known(void)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		uint8_t buf[W3S_VARINT_MAX + 1];
		struct w3s_err err = { 0 };
		uint64_t back = 0;
		size_t n;
		int rc;

		n = w3s_varint_encode(buf, known[i].value);
		is_hex(buf, n, known[i].hex, known[i].hex);
		rc = w3s_varint_decode(buf, n, &back, &err);
		ok(rc == (int)n && back == known[i].value,
		    "decode %s gives %llu, %zu bytes", known[i].hex,
		    (unsigned long long)known[i].value, n);
	}
}

static void
test_limits(void)
{
	uint8_t buf[16] = { 0 };
	uint8_t ten[10] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0x01 };
	uint8_t nine_cont[9] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	    0x80, 0x80 };
	struct w3s_err err = { 0 };
	uint64_t v = 42;

	is_int((long long)w3s_varint_encode(buf, 1ull << 63), 0,
	    "2^63 cannot be encoded (0 returned)");
	is_int((long long)w3s_varint_encode(buf, UINT64_MAX), 0,
	    "2^64-1 cannot be encoded");
	is_int(w3s_varint_decode(ten, sizeof(ten), &v, &err), W3S_EMALFORMED,
	    "10-byte varint is malformed");
	is_int(w3s_varint_decode(nine_cont, sizeof(nine_cont), &v, &err),
	    W3S_EMALFORMED, "continuation bit on the 9th byte is malformed");
	is_int(v, 42, "failed decode leaves the value alone");
	ok(err.msg[0] != '\0', "error message set: %s", err.msg);
}

static void
test_non_minimal(void)
{
	static const struct {
		uint8_t bytes[4];
		size_t len;
		const char *what;
	} bad[] = {
		{ { 0x80, 0x00 }, 2, "0x80 0x00 (zero in two bytes)" },
		{ { 0x81, 0x00 }, 2, "0x81 0x00 (one in two bytes)" },
		{ { 0xff, 0x80, 0x00 }, 3, "0xff 0x80 0x00" },
		{ { 0xac, 0x82, 0x80, 0x00 }, 4, "300 padded to four bytes" },
	};
	struct w3s_err err = { 0 };
	uint64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(w3s_varint_decode(bad[i].bytes, bad[i].len, &v, &err),
		    W3S_EMALFORMED, bad[i].what);
}

static void
test_truncated(void)
{
	uint8_t b[3] = { 0x80, 0x80, 0x01 };
	struct w3s_err err = { 0 };
	uint64_t v = 0;

	is_int(w3s_varint_decode(b, 0, &v, &err), W3S_EINCOMPLETE,
	    "empty input is incomplete");
	is_int(w3s_varint_decode(b, 1, &v, &err), W3S_EINCOMPLETE,
	    "0x80 alone is incomplete");
	is_int(w3s_varint_decode(b, 2, &v, &err), W3S_EINCOMPLETE,
	    "0x80 0x80 is incomplete");
	is_int(w3s_varint_decode(b, 3, &v, &err), 3,
	    "0x80 0x80 0x01 is 3 bytes");
	is_int((long long)v, 16384, "... and means 16384");
	is_int(w3s_varint_decode(b + 2, 2, &v, NULL), 1,
	    "trailing bytes are left to the caller (NULL err is fine)");
}

/* Bytes a minimal varint of x takes: one per 7 significant bits. */
static size_t
expected_len(uint64_t x)
{
	size_t n = 1;

	while (x >= 0x80) {
		x >>= 7;
		n++;
	}
	return n;
}

static void
test_round_trip(void)
{
	int good = 1;

	/* Every bit length, and the values either side of each boundary. */
	for (int s = 1; s < 63 && good; s++)
		for (int d = -1; d <= 1; d++) {
			uint64_t x = (1ull << s) + (uint64_t)(int64_t)d, y = 0;
			uint8_t buf[W3S_VARINT_MAX];
			size_t n = w3s_varint_encode(buf, x);

			if (n != expected_len(x) || w3s_varint_decode(buf, n,
			    &y, NULL) != (int)n || y != x) {
				printf("# failed at 2^%d%+d\n", s, d);
				good = 0;
				break;
			}
		}
	ok(good, "round trip and length of 2^s-1, 2^s, 2^s+1 for s < 63");
}

int
main(void)
{
	test_known();
	test_limits();
	test_non_minimal();
	test_truncated();
	test_round_trip();
	return tap_done();
}
