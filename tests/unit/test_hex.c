/* Hex, and the chain's 0x + 64 hex digits form of a 32-byte hash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/hex.h>

#include "tap.h"

static const char h32[] =
    "0x256c83b297114d201b30179f3f0ef0cace9783622da5974326b436178aeef610";

static void
test_encode_decode(void)
{
	static const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	struct w3s_err err = { 0 };
	uint8_t out[6];
	char text[13];

	w3s_hex_encode(text, bytes, sizeof(bytes));
	is_str(text, "00017f80abff", "encode is lower case");
	w3s_hex_encode(text, bytes, 0);
	is_str(text, "", "encode of nothing is the empty string");
	ok(w3s_hex_decode(out, 6, "00017F80ABff", 12, &err) == 0 &&
	    memcmp(out, bytes, 6) == 0, "decode accepts either case");
	is_int(w3s_hex_decode(out, 6, "00017f80abf", 11, &err), W3S_EMALFORMED,
	    "decode wants exactly 2*len digits");
	is_int(w3s_hex_decode(out, 3, "0g0000", 6, &err), W3S_EMALFORMED,
	    "'g' is not a digit");
	is_int(w3s_hex_decode(out, 3, "00 000", 6, &err), W3S_EMALFORMED,
	    "a space is not a digit");
	is_int(w3s_hex_decode(out, 0, "", 0, &err), 0, "zero digits decode");
}

static void
test_alloc(void)
{
	struct w3s_err err = { 0 };
	uint8_t *out = NULL;
	size_t len = 0;

	ok(w3s_hex_decode_alloc("0xdeadBEEF", &out, &len, &err) == 0 &&
	    len == 4, "decode_alloc skips 0x");
	if (out != NULL)
		is_hex(out, len, "deadbeef", "... and gives the bytes");
	free(out);
	out = NULL;
	ok(w3s_hex_decode_alloc("", &out, &len, &err) == 0 && len == 0,
	    "decode_alloc of nothing");
	free(out);
	out = NULL;
	is_int(w3s_hex_decode_alloc("abc", &out, &len, &err), W3S_EMALFORMED,
	    "odd number of digits");
	is_int(w3s_hex_decode_alloc("0xzz", &out, &len, &err), W3S_EMALFORMED,
	    "bad digit");
	ok(out == NULL, "nothing allocated on error");
}

static void
test_hex32(void)
{
	struct w3s_err err = { 0 };
	char text[W3S_HEX32_LEN];
	uint8_t h[32];

	ok(w3s_hex32_parse(h, h32, &err) == 0, "parse 0x + 64 digits");
	w3s_hex32_format(text, h);
	is_str(text, h32, "format gives it back");
	is_int((long long)strlen(text), W3S_HEX32_LEN - 1, "67 bytes with NUL");
	ok(w3s_hex32_parse(h, "0X256C83B297114D201B30179F3F0EF0CACE9783622DA59"
	    "74326B436178AEEF610", &err) == 0, "0X and upper case accepted");
	is_int(w3s_hex32_parse(h, h32 + 2, &err), W3S_EMALFORMED,
	    "no prefix: refused");
	is_int(w3s_hex32_parse(h, "0x256c", &err), W3S_EMALFORMED,
	    "too short");
	is_int(w3s_hex32_parse(h, "0x256c83b297114d201b30179f3f0ef0cace978362"
	    "2da5974326b436178aeef6100", &err), W3S_EMALFORMED, "too long");
	is_int(w3s_hex32_parse(h, "", &err), W3S_EMALFORMED, "empty");
	is_int(w3s_hex32_parse(h, "0", &err), W3S_EMALFORMED, "just 0");
	ok(err.msg[0] != '\0', "message: %s", err.msg);
}

int
main(void)
{
	test_encode_decode();
	test_alloc();
	test_hex32();
	return tap_done();
}
