/* DAG-CBOR: known encodings, key order, the canonical-form rejections and
 * hostile inputs, typed getters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/buf.h>
#include <w3s/cbor.h>
#include <w3s/cid.h>
#include <w3s/hex.h>

#include "tap.h"

/* Encodes item (then frees it) and compares with hex. */
static void
enc_is(struct w3s_cbor *item, const char *want, const char *name)
{
	struct w3s_err err = { 0 };
	struct w3s_buf out;
	int rc;

	w3s_buf_init(&out);
	rc = w3s_cbor_encode(item, &out, &err);
	if (rc != 0) {
		ok(0, "%s: encode failed: %s", name, err.msg);
	} else {
		is_hex(out.data, out.len, want, name);
	}
	w3s_buf_release(&out);
	w3s_cbor_free(item);
}

/* Encoding item fails with code; the message contains frag. */
static void
enc_fails(struct w3s_cbor *item, int code, const char *frag, const char *name)
{
	struct w3s_err err = { 0 };
	struct w3s_buf out;
	int rc;

	w3s_buf_init(&out);
	rc = w3s_cbor_encode(item, &out, &err);
	ok(rc == code && strstr(err.msg, frag) != NULL, "%s", name);
	if (rc != code || strstr(err.msg, frag) == NULL)
		printf("#   rc %d, message: %s\n", rc, err.msg);
	w3s_buf_release(&out);
	w3s_cbor_free(item);
}

static int
decode_hex(const char *hex, const struct w3s_cbor_limits *lim,
    struct w3s_cbor **out, struct w3s_err *err)
{
	uint8_t *bin;
	size_t len;
	int rc;

	if (w3s_hex_decode_alloc(hex, &bin, &len, err) != 0) {
		printf("# bad hex in test: %s\n", hex);
		return -100;
	}
	rc = w3s_cbor_decode(bin, len, lim, out, err);
	free(bin);
	return rc;
}

/* Decodes hex, re-encodes, expects the same bytes. */
static void
round_trip(const char *hex, const char *name)
{
	struct w3s_err err = { 0 };
	struct w3s_cbor *item = NULL;
	struct w3s_buf out;

	if (decode_hex(hex, NULL, &item, &err) != 0) {
		ok(0, "%s: decode failed: %s", name, err.msg);
		return;
	}
	w3s_buf_init(&out);
	if (w3s_cbor_encode(item, &out, &err) != 0)
		ok(0, "%s: re-encode failed: %s", name, err.msg);
	else
		is_hex(out.data, out.len, hex, name);
	w3s_buf_release(&out);
	w3s_cbor_free(item);
}

/* Decoding hex is W3S_EMALFORMED, with frag in the message. */
static void
rejects(const char *hex, const char *frag, const char *name)
{
	struct w3s_err err = { 0 };
	struct w3s_cbor *item = NULL;
	int rc;

	rc = decode_hex(hex, NULL, &item, &err);
	ok(rc == W3S_EMALFORMED && item == NULL &&
	    strstr(err.msg, frag) != NULL, "rejects %s", name);
	if (rc != W3S_EMALFORMED || strstr(err.msg, frag) == NULL)
		printf("#   rc %d, message: %s (wanted \"%s\")\n", rc, err.msg,
		    frag);
	w3s_cbor_free(item);
}

static void
test_encodings(void)
{
	struct w3s_cbor *m, *a;

	m = w3s_cbor_new_map();
	w3s_cbor_map_put(m, "a", w3s_cbor_new_uint(1));
	enc_is(m, "a1616101", "{\"a\":1}");

	m = w3s_cbor_new_map();
	w3s_cbor_map_put(m, "b", w3s_cbor_new_uint(1));
	w3s_cbor_map_put(m, "aa", w3s_cbor_new_uint(2));
	enc_is(m, "a2616201626161" "02", "keys: b before aa (length first)");

	m = w3s_cbor_new_map();
	w3s_cbor_map_put(m, "bb", w3s_cbor_new_null());
	w3s_cbor_map_put(m, "ab", w3s_cbor_new_bool(true));
	w3s_cbor_map_put(m, "c", w3s_cbor_new_bool(false));
	enc_is(m, "a36163f4626162f5626262f6", "keys: c, ab, bb");

	enc_is(w3s_cbor_new_uint(0), "00", "uint 0");
	enc_is(w3s_cbor_new_uint(23), "17", "uint 23");
	enc_is(w3s_cbor_new_uint(24), "1818", "uint 24");
	enc_is(w3s_cbor_new_uint(255), "18ff", "uint 255");
	enc_is(w3s_cbor_new_uint(256), "190100", "uint 256");
	enc_is(w3s_cbor_new_uint(65536), "1a00010000", "uint 65536");
	enc_is(w3s_cbor_new_uint(UINT64_C(4294967296)), "1b0000000100000000",
	    "uint 2^32");
	enc_is(w3s_cbor_new_uint(UINT64_MAX), "1bffffffffffffffff",
	    "uint 2^64-1");
	enc_is(w3s_cbor_new_int(-1), "20", "int -1");
	enc_is(w3s_cbor_new_int(-24), "37", "int -24");
	enc_is(w3s_cbor_new_int(-25), "3818", "int -25");
	enc_is(w3s_cbor_new_int(INT64_MIN), "3b7fffffffffffffff",
	    "int INT64_MIN");
	enc_is(w3s_cbor_new_negint(UINT64_MAX), "3bffffffffffffffff",
	    "negint -2^64");
	enc_is(w3s_cbor_new_float(1.0), "fb3ff0000000000000",
	    "float 1.0 stays 64-bit");
	enc_is(w3s_cbor_new_float(-1.5), "fbbff8000000000000", "float -1.5");
	enc_is(w3s_cbor_new_bytes("\x01\x02", 2), "420102", "bytes");
	enc_is(w3s_cbor_new_bytes(NULL, 0), "40", "empty bytes");
	enc_is(w3s_cbor_new_text(""), "60", "empty text");
	enc_is(w3s_cbor_new_text("IETF"), "6449455446", "text");
	enc_is(w3s_cbor_new_text("abcdefghijklmnopqrstuvwx"),
	    "7818" "6162636465666768696a6b6c6d6e6f707172737475767778",
	    "text of 24 bytes has a 2-byte head");
	enc_is(w3s_cbor_new_text("\xc3\xbc"), "62c3bc", "UTF-8 text");

	a = w3s_cbor_new_array();
	w3s_cbor_array_push(a, w3s_cbor_new_uint(1));
	m = w3s_cbor_new_array();
	w3s_cbor_array_push(m, w3s_cbor_new_uint(2));
	w3s_cbor_array_push(a, m);
	enc_is(a, "8201" "8102", "nested array");
	enc_is(w3s_cbor_new_array(), "80", "empty array");
	enc_is(w3s_cbor_new_map(), "a0", "empty map");
}

static void
test_link(void)
{
	struct w3s_err err = { 0 };
	struct w3s_cid cid, back;
	struct w3s_cbor *m, *item = NULL;
	struct w3s_buf out;
	char hex[200];

	if (w3s_cid_of(&cid, 1, W3S_CODEC_DAG_CBOR, W3S_HASH_SHA2_256, "", 0,
	    &err) != 0) {
		ok(0, "cid of empty input: %s", err.msg);
		return;
	}
	m = w3s_cbor_new_map();
	w3s_cbor_map_put(m, "root", w3s_cbor_new_link(&cid));
	w3s_buf_init(&out);
	ok(w3s_cbor_encode(m, &out, &err) == 0, "link encodes");
	w3s_cbor_free(m);
	tap_hex(hex, out.data, out.len < 15 ? out.len : 15);
	is_str(hex, "a164726f6f74d82a58250001711220",
	    "link is tag 42 over 0x00 + binary CID");
	ok(w3s_cbor_decode(out.data, out.len, NULL, &item, &err) == 0,
	    "link decodes");
	ok(w3s_cbor_get_link(item, "root", &back, &err) == 0 &&
	    w3s_cid_equal(&cid, &back), "get_link gives the same CID");
	w3s_cbor_free(item);
	w3s_buf_release(&out);

	rejects("d82a6161", "does not hold a byte string",
	    "tag 42 over text");
	rejects("d82a4101", "0x00", "tag 42 bytes without the 0x00 prefix");
	rejects("d82a40", "0x00", "tag 42 over empty bytes");
	rejects("d82a43000171", "bad CID", "tag 42 over a cut CID");
	rejects("d82ad82a4100", "does not hold a byte string",
	    "tag 42 over tag 42");
	rejects("d9002a4100", "non-minimal tag", "tag 42 with a long head");
	rejects("c11a514b67b0", "tag 1", "tag 1 (epoch time)");
	rejects("d82a", "input ends", "tag 42 with nothing under it");
}

static void
test_encode_errors(void)
{
	struct w3s_cbor *m, *a, *top;

	m = w3s_cbor_new_map();
	w3s_cbor_map_put(m, "foo", w3s_cbor_new_uint(1));
	w3s_cbor_map_put(m, "foo", w3s_cbor_new_uint(2));
	enc_fails(m, W3S_EUSAGE, "duplicate map key \"foo\"",
	    "encode refuses duplicate keys");
	enc_fails(w3s_cbor_new_float(NAN), W3S_EUSAGE, "NaN",
	    "encode refuses NaN");
	enc_fails(w3s_cbor_new_float(-INFINITY), W3S_EUSAGE, "infinity",
	    "encode refuses -infinity");
	enc_fails(w3s_cbor_new_textn("\xc3\x28", 2), W3S_EUSAGE, "UTF-8",
	    "encode refuses text that is not UTF-8");
	m = w3s_cbor_new_map();
	w3s_cbor_map_put(m, "\xff", w3s_cbor_new_null());
	enc_fails(m, W3S_EUSAGE, "not UTF-8", "encode refuses a non-UTF-8 key");

	a = w3s_cbor_new_array();
	ok(w3s_cbor_array_push(a, NULL) == W3S_ESYS,
	    "push of a failed constructor reports W3S_ESYS");
	m = w3s_cbor_new_map();
	w3s_cbor_map_put(m, "list", a);
	enc_fails(m, W3S_ESYS, "out of memory",
	    "a container that missed an item does not encode");
	enc_fails(NULL, W3S_ESYS, "out of memory", "encode of NULL");
	a = w3s_cbor_new_uint(1);
	ok(w3s_cbor_map_put(a, "k", w3s_cbor_new_null()) == W3S_EUSAGE,
	    "map_put on a uint is W3S_EUSAGE");
	ok(w3s_cbor_array_push(a, w3s_cbor_new_null()) == W3S_EUSAGE,
	    "array_push on a uint is W3S_EUSAGE");
	w3s_cbor_free(a);

	top = w3s_cbor_new_array();
	a = top;
	for (int i = 1; i < W3S_CBOR_DEPTH_MAX; i++) {
		struct w3s_cbor *in = w3s_cbor_new_array();

		w3s_cbor_array_push(a, in);
		a = in;
	}
	{
		struct w3s_err err = { 0 };
		struct w3s_cbor *back = NULL;
		struct w3s_buf out;

		w3s_buf_init(&out);
		ok(w3s_cbor_encode(top, &out, &err) == 0 &&
		    w3s_cbor_decode(out.data, out.len, NULL, &back, &err) == 0,
		    "%d nested arrays encode and decode", W3S_CBOR_DEPTH_MAX);
		w3s_cbor_free(back);
		w3s_buf_release(&out);
	}
	w3s_cbor_array_push(a, w3s_cbor_new_array());
	enc_fails(top, W3S_EUSAGE, "nested deeper",
	    "encode refuses nesting past the decoder's limit");
}

static void
test_minimality(void)
{
	rejects("1817", "non-minimal integer", "23 in a 1-byte argument");
	rejects("190017", "non-minimal integer", "23 in a 2-byte argument");
	rejects("1900ff", "non-minimal integer", "255 in a 2-byte argument");
	rejects("1a0000ffff", "non-minimal integer",
	    "65535 in a 4-byte argument");
	rejects("1b00000000ffffffff", "non-minimal integer",
	    "2^32-1 in an 8-byte argument");
	rejects("3800", "non-minimal integer", "-1 in a 1-byte argument");
	rejects("3b00000000ffffffff", "non-minimal integer",
	    "negint in an 8-byte argument");
	rejects("5800", "non-minimal length", "empty bytes, long head");
	rejects("780161", "non-minimal length", "text of 1, long head");
	rejects("59000161", "non-minimal length", "bytes of 1, 2-byte head");
	rejects("980100", "non-minimal length", "array of 1, long head");
	rejects("b8016161" "00", "non-minimal length", "map of 1, long head");
	round_trip("1818", "24 in a 1-byte argument is minimal");
	round_trip("190100", "256 in a 2-byte argument is minimal");
	round_trip("1a00010000", "65536 in a 4-byte argument is minimal");
	round_trip("1b0000000100000000", "2^32 in an 8-byte argument");
	round_trip("3bffffffffffffffff", "-2^64");
}

static void
test_rejections(void)
{
	rejects("", "empty input", "empty input");
	rejects("0000", "trailing", "trailing bytes");
	rejects("a0ff", "trailing", "trailing break");
	rejects("1901", "input ends", "truncated integer");
	rejects("8201", "declares 2 elements but 1 bytes follow",
	    "truncated array");
	rejects("8301" "8102", "input ends", "truncated nested array");
	rejects("a16161", "input ends", "map missing a value");
	rejects("43010203" "04", "trailing", "bytes then one byte more");
	rejects("44010203", "input ends", "bytes cut short");
	rejects("9fff", "indefinite-length array", "indefinite array");
	rejects("bfff", "indefinite-length map", "indefinite map");
	rejects("5f4100ff", "indefinite-length byte string",
	    "indefinite bytes");
	rejects("7f6161ff", "indefinite-length text string",
	    "indefinite text");
	rejects("ff", "break", "lone break");
	rejects("f7", "undefined", "undefined");
	rejects("e0", "unsupported initial byte 0xe0", "simple value 0");
	rejects("f0", "0xf0", "simple value 16");
	rejects("f820", "0xf8", "simple value 32 (1-byte form)");
	rejects("f814", "0xf8", "false in the 1-byte simple form");
	rejects("1c", "0x1c", "reserved additional information 28");
	rejects("f93c00", "16-bit float", "half float");
	rejects("fa3fc00000", "32-bit float", "single float");
	rejects("fb7ff8000000000000", "NaN", "NaN");
	rejects("fb7ff0000000000001", "NaN", "signalling NaN");
	rejects("fb7ff0000000000000", "infinity", "+infinity");
	rejects("fbfff0000000000000", "infinity", "-infinity");
	rejects("a1016161", "not a text string", "integer map key");
	rejects("a1416161" "00", "not a text string", "bytes map key");
	rejects("a1d82a6161" "00", "not a text string", "tagged map key");
	rejects("a1816161" "00", "not a text string", "array map key");
	rejects("a2616101616102", "duplicate map key \"a\"", "duplicate keys");
	rejects("a3636261720363666f6f0163666f6f02", "map key \"foo\"",
	    "duplicate keys after others");
	rejects("a2616201616102", "out of canonical order",
	    "keys in bytewise disorder");
	rejects("a262616101616202", "out of canonical order",
	    "aa before b (not length-first)");
	rejects("62c328", "not UTF-8", "invalid UTF-8 text");
	rejects("63eda080", "not UTF-8", "surrogate in text");
	rejects("62c0af", "not UTF-8", "overlong UTF-8");
	rejects("a162c32800", "not UTF-8", "invalid UTF-8 key");
	rejects("a16100f7", "undefined", "undefined as a map value");

	round_trip("fb8000000000000000", "-0.0");
	round_trip("fb0000000000000001", "smallest subnormal");
	round_trip("fb7fefffffffffffff", "largest double");
	round_trip("a3616101616202626161f6", "sorted map");
	round_trip("83f4f5f6", "false, true, null");
	round_trip("a0", "empty map");
	round_trip("6449455446", "text");
}

/* Inputs written to exhaust memory or the stack fail fast and cleanly. */
static void
test_hostile(void)
{
	struct w3s_cbor_limits lim = { 0 };
	struct w3s_err err = { 0 };
	struct w3s_cbor *item = NULL;
	uint8_t *bomb;
	size_t n;
	int rc;

	rejects("9b1000000000000000", "declares", "array of 2^60 elements");
	rejects("9b100000000000000000", "declares",
	    "array of 2^60 elements, one given");
	rejects("bbffffffffffffffff", "declares", "map of 2^64-1 entries");
	rejects("9affffffff00000000", "declares", "array of 2^32-1 elements");
	rejects("5bffffffffffffffff", "input ends", "bytes of 2^64-1");
	rejects("5b7fffffffffffffff00", "input ends", "bytes of 2^63-1");
	rejects("7b0000000100000000", "input ends", "text of 2^32");
	rejects("8282828282", "declares", "nested arrays claiming more");

	/* [[[...[0]...]]]: 64 levels pass, 65 and 100000 do not. */
	n = 100000;
	bomb = malloc(n + 1);
	memset(bomb, 0x81, n);
	bomb[64] = 0x00;
	rc = w3s_cbor_decode(bomb, 65, NULL, &item, &err);
	ok(rc == 0, "64 nested arrays decode");
	w3s_cbor_free(item);
	item = NULL;
	bomb[64] = 0x81;
	bomb[65] = 0x00;
	rc = w3s_cbor_decode(bomb, 66, NULL, &item, &err);
	ok(rc == W3S_EMALFORMED && strstr(err.msg, "nested deeper than 64"),
	    "65 nested arrays are refused (%s)", err.msg);
	bomb[65] = 0x81;
	bomb[n] = 0x00;
	rc = w3s_cbor_decode(bomb, n + 1, NULL, &item, &err);
	ok(rc == W3S_EMALFORMED && item == NULL, "depth bomb of %zu levels",
	    n);
	memset(bomb, 0xa1, n);
	for (size_t i = 0; i + 2 < n; i += 3) {
		bomb[i] = 0xa1;
		bomb[i + 1] = 0x61;
		bomb[i + 2] = 0x61;
	}
	rc = w3s_cbor_decode(bomb, n, NULL, &item, &err);
	ok(rc == W3S_EMALFORMED, "map depth bomb (%s)", err.msg);
	lim.max_depth = 3;
	rc = w3s_cbor_decode((const uint8_t *)"\x81\x81\x81\x00", 4, &lim,
	    &item, &err);
	ok(rc == 0, "depth 3 within a limit of 3");
	w3s_cbor_free(item);
	item = NULL;
	rc = w3s_cbor_decode((const uint8_t *)"\x81\x81\x81\x81\x00", 5, &lim,
	    &item, &err);
	ok(rc == W3S_EMALFORMED, "depth 4 over a limit of 3");

	/* 100000 nulls in one array: fine by default, not under a limit. */
	free(bomb);
	n = 100000;
	bomb = malloc(n + 5);
	bomb[0] = 0x9a;
	bomb[1] = (uint8_t)(n >> 24);
	bomb[2] = (uint8_t)(n >> 16);
	bomb[3] = (uint8_t)(n >> 8);
	bomb[4] = (uint8_t)n;
	memset(bomb + 5, 0xf6, n);
	rc = w3s_cbor_decode(bomb, n + 5, NULL, &item, &err);
	ok(rc == 0, "array of %zu nulls decodes", n);
	is_int((long long)w3s_cbor_len(item), (long long)n,
	    "and holds every one");
	w3s_cbor_free(item);
	item = NULL;
	lim.max_depth = 0;
	lim.max_items = 1000;
	rc = w3s_cbor_decode(bomb, n + 5, &lim, &item, &err);
	ok(rc == W3S_EMALFORMED && strstr(err.msg, "more than 1000 items"),
	    "item limit (%s)", err.msg);
	free(bomb);
}

static void
test_getters(void)
{
	struct w3s_err err = { 0 };
	struct w3s_cbor *m, *seg, *doc = NULL;
	const struct w3s_cbor *arr, *sub;
	struct w3s_buf out;
	const uint8_t *bytes;
	const char *text;
	uint8_t hash[4];
	uint64_t u;
	int64_t i64;
	size_t len, count;
	double f;
	bool b;
	static const char *const allowed[] = { "count", "delta", "hash",
	    "kind", "name", "neg", "ratio", "segments", NULL };

	m = w3s_cbor_new_map();
	w3s_cbor_map_put(m, "kind", w3s_cbor_new_text("full"));
	w3s_cbor_map_put(m, "count", w3s_cbor_new_uint(7));
	w3s_cbor_map_put(m, "neg", w3s_cbor_new_int(-5));
	w3s_cbor_map_put(m, "hash", w3s_cbor_new_bytes("\x01\x02\x03", 3));
	w3s_cbor_map_put(m, "delta", w3s_cbor_new_bool(false));
	w3s_cbor_map_put(m, "ratio", w3s_cbor_new_float(0.25));
	w3s_cbor_map_put(m, "name", w3s_cbor_new_textn("a\0b", 3));
	seg = w3s_cbor_new_map();
	w3s_cbor_map_put(seg, "size", w3s_cbor_new_text("big"));
	arr = NULL;
	{
		struct w3s_cbor *a = w3s_cbor_new_array();

		w3s_cbor_array_push(a, seg);
		w3s_cbor_map_put(m, "segments", a);
	}
	ok(w3s_cbor_get_uint(m, "count", &u, &err) == 0 && u == 7,
	    "get_uint on a built map");
	w3s_buf_init(&out);
	ok(w3s_cbor_encode(m, &out, &err) == 0, "manifest-like map encodes");
	w3s_cbor_free(m);
	ok(w3s_cbor_decode(out.data, out.len, NULL, &doc, &err) == 0,
	    "and decodes");
	w3s_buf_release(&out);

	ok(w3s_cbor_get_text(doc, "kind", &text, &len, &err) == 0 &&
	    strcmp(text, "full") == 0 && len == 4, "get_text");
	ok(w3s_cbor_get_uint(doc, "count", &u, &err) == 0 && u == 7,
	    "get_uint");
	ok(w3s_cbor_get_int(doc, "neg", &i64, &err) == 0 && i64 == -5,
	    "get_int of a negint");
	ok(w3s_cbor_get_int(doc, "count", &i64, &err) == 0 && i64 == 7,
	    "get_int of a uint");
	ok(w3s_cbor_get_bytes(doc, "hash", &bytes, &len, &err) == 0 &&
	    len == 3 && memcmp(bytes, "\x01\x02\x03", 3) == 0, "get_bytes");
	ok(w3s_cbor_get_bool(doc, "delta", &b, &err) == 0 && !b, "get_bool");
	ok(w3s_cbor_get_float(doc, "ratio", &f, &err) == 0 && f == 0.25,
	    "get_float");
	ok(w3s_cbor_get_array(doc, "segments", &arr, &count, &err) == 0 &&
	    count == 1, "get_array");
	ok(w3s_cbor_as_map(w3s_cbor_array_at(arr, 0), &sub, &err) == 0,
	    "as_map of an element");
	ok(w3s_cbor_map_check_keys(doc, allowed, &err) == 0,
	    "check_keys with every key allowed");

	ok(w3s_cbor_get_uint(doc, "kind", &u, &err) == W3S_EMALFORMED,
	    "get_uint of text fails");
	is_str(err.msg, "key \"kind\": expected uint, got text",
	    "and names the key and both types");
	ok(w3s_cbor_get_uint(doc, "size", &u, &err) == W3S_EMALFORMED,
	    "get_uint of an absent key fails");
	is_str(err.msg, "missing key \"size\"", "and names the key");
	ok(w3s_cbor_get_bytes_fixed(doc, "hash", hash, 4, &err) ==
	    W3S_EMALFORMED, "get_bytes_fixed of the wrong length fails");
	is_str(err.msg, "key \"hash\": expected 4 bytes, got 3",
	    "and says the lengths");
	ok(w3s_cbor_get_bytes_fixed(doc, "hash", hash, 3, &err) == 0 &&
	    memcmp(hash, "\x01\x02\x03", 3) == 0, "get_bytes_fixed");
	ok(w3s_cbor_get_text(doc, "name", &text, NULL, &err) ==
	    W3S_EMALFORMED && strstr(err.msg, "NUL") != NULL,
	    "get_text refuses text holding a NUL");
	ok(w3s_cbor_get_uint(sub, "size", &u, &err) == W3S_EMALFORMED,
	    "nested wrong type fails");
	is_str(err.msg, "key \"size\": expected uint, got text",
	    "nested message names the inner key");
	ok(w3s_cbor_get_uint(arr, "size", &u, &err) == W3S_EMALFORMED &&
	    strstr(err.msg, "got array") != NULL,
	    "getter on an array says so (%s)", err.msg);
	ok(w3s_cbor_get_uint(NULL, "size", &u, &err) == W3S_EMALFORMED,
	    "getter on NULL fails cleanly");
	ok(w3s_cbor_get_link(doc, "hash", NULL, &err) == W3S_EMALFORMED,
	    "get_link of bytes fails");
	ok(w3s_cbor_as_uint(w3s_cbor_array_at(arr, 5), &u, &err) ==
	    W3S_EMALFORMED, "as_uint of an element out of range");
	ok(w3s_cbor_map_check_keys(doc, allowed + 1, &err) ==
	    W3S_EMALFORMED, "check_keys finds an unknown key");
	is_str(err.msg, "unknown key \"count\"", "and names it");
	ok(w3s_cbor_map_get(doc, "zzz") == NULL &&
	    w3s_cbor_map_get(doc, "") == NULL &&
	    w3s_cbor_map_get(doc, "segments") != NULL, "map_get");
	ok(w3s_cbor_len(doc) == 8 && strcmp(w3s_cbor_map_key_at(doc, 0, &len),
	    "neg") == 0 && len == 3, "decoded keys in canonical order");
	w3s_cbor_free(doc);

	doc = NULL;
	ok(decode_hex("a1636b657902", NULL, &doc, &err) == 0 &&
	    w3s_cbor_get_int(doc, "key", &i64, &err) == 0 && i64 == 2,
	    "get_int of a decoded small uint");
	w3s_cbor_free(doc);
	doc = NULL;
	ok(decode_hex("a1636b65793b8000000000000000", NULL, &doc, &err) == 0 &&
	    w3s_cbor_get_int(doc, "key", &i64, &err) == W3S_EMALFORMED,
	    "get_int below INT64_MIN fails");
	w3s_cbor_free(doc);
	doc = NULL;
	ok(decode_hex("a1636b65793b7fffffffffffffff", NULL, &doc, &err) == 0 &&
	    w3s_cbor_get_int(doc, "key", &i64, &err) == 0 &&
	    i64 == INT64_MIN, "get_int of INT64_MIN");
	w3s_cbor_free(doc);
}

int
main(void)
{
	test_encodings();
	test_link();
	test_encode_errors();
	test_minimality();
	test_rejections();
	test_hostile();
	test_getters();
	return tap_done();
}
