/* Multibase: every base against the multibase specification's vectors for
 * "yes mani !" (with and without leading zero bytes), RFC 4648 vectors,
 * round trips, case rules, and the texts a strict decoder refuses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/multibase.h>

/* tap.h defines static helpers this file does not all use. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tap.h"
#pragma GCC diagnostic pop

struct vec {
	const char *name;
	const char *text;
};

/* "yes mani !" (multibase tests/basic.csv). */
static const struct vec yes_mani[] = {
	{ "base2", "00111100101100101011100110010000001101101011000010110111"
	    "0011010010010000000100001" },
	{ "base8", "7362625631006654133464440102" },
	{ "base10", "9573277761329450583662625" },
	{ "base16", "f796573206d616e692021" },
	{ "base16upper", "F796573206D616E692021" },
	{ "base32", "bpfsxgidnmfxgsibb" },
	{ "base32upper", "BPFSXGIDNMFXGSIBB" },
	{ "base32hex", "vf5in683dc5n6i811" },
	{ "base32hexupper", "VF5IN683DC5N6I811" },
	{ "base32pad", "cpfsxgidnmfxgsibb" },
	{ "base32padupper", "CPFSXGIDNMFXGSIBB" },
	{ "base32hexpad", "tf5in683dc5n6i811" },
	{ "base32hexpadupper", "TF5IN683DC5N6I811" },
	{ "base32z", "hxf1zgedpcfzg1ebb" },
	{ "base36", "k2lcpzo5yikidynfl" },
	{ "base36upper", "K2LCPZO5YIKIDYNFL" },
	{ "base58flickr", "Z7Pznk19XTTzBtx" },
	{ "base58btc", "z7paNL19xttacUY" },
	{ "base64", "meWVzIG1hbmkgIQ" },
	{ "base64pad", "MeWVzIG1hbmkgIQ==" },
	{ "base64url", "ueWVzIG1hbmkgIQ" },
	{ "base64urlpad", "UeWVzIG1hbmkgIQ==" },
	{ "base256emoji", "\xf0\x9f\x9a\x80\xf0\x9f\x8f\x83\xe2\x9c\x8b\xf0\x9f"
	    "\x8c\x88\xf0\x9f\x98\x85\xf0\x9f\x8c\xb7\xf0\x9f\xa4\xa4\xf0\x9f"
	    "\x98\xbb\xf0\x9f\x8c\x9f\xf0\x9f\x98\x85\xf0\x9f\x91\x8f" },
};

/* "\0\0yes mani !" (multibase tests/two_leading_zeros.csv), the radix
 * bases, where leading zero bytes need their own rule. */
static const struct vec two_zeros[] = {
	{ "base10", "900573277761329450583662625" },
	{ "base36", "k002lcpzo5yikidynfl" },
	{ "base36upper", "K002LCPZO5YIKIDYNFL" },
	{ "base58flickr", "Z117Pznk19XTTzBtx" },
	{ "base58btc", "z117paNL19xttacUY" },
	{ "base8", "700000171312714403326055632220041" },
	{ "base32", "baaahszltebwwc3tjeaqq" },
	{ "base64pad", "MAAB5ZXMgbWFuaSAh" },
};

/* RFC 4648 section 10, "foobar" and its prefixes. */
static const struct vec rfc4648[] = {
	{ "base32padupper", "CMY======" },
	{ "base32padupper", "CMZXQ====" },
	{ "base32padupper", "CMZXW6===" },
	{ "base32padupper", "CMZXW6YQ=" },
	{ "base32padupper", "CMZXW6YTB" },
	{ "base32padupper", "CMZXW6YTBOI======" },
	{ "base32hexpadupper", "TCPNMUOJ1E8======" },
	{ "base64pad", "MZg==" },
	{ "base64pad", "MZm8=" },
	{ "base64pad", "MZm9v" },
	{ "base64pad", "MZm9vYg==" },
	{ "base64pad", "MZm9vYmE=" },
	{ "base64pad", "MZm9vYmFy" },
};

static int
check_vec(const struct vec *v, const uint8_t *in, size_t in_len)
{
	struct w3s_err err = { 0 };
	enum w3s_base base, got_base = 0;
	uint8_t *bytes = NULL;
	char *text = NULL;
	size_t len = 0;
	int good;

	if (w3s_base_from_name(v->name, &base, &err) != 0)
		return ok(0, "%s: %s", v->name, err.msg);
	good = w3s_multibase_encode(base, in, in_len, &text, &err) == 0 &&
	    strcmp(text, v->text) == 0;
	if (!good)
		printf("#   got:  %s\n#   want: %s\n", text ? text : err.msg,
		    v->text);
	ok(good, "%s: encode %zu bytes", v->name, in_len);
	good = w3s_multibase_decode(v->text, &bytes, &len, &got_base,
	    &err) == 0 && len == in_len && memcmp(bytes, in, len) == 0 &&
	    got_base == base;
	if (!good && bytes == NULL)
		printf("#   %s\n", err.msg);
	ok(good, "%s: decode %s", v->name, v->text);
	free(text);
	free(bytes);
	return good;
}

static void
test_vectors(void)
{
	static const char mani[] = "yes mani !";
	static const char zz_mani[] = "\0\0yes mani !";
	static const char foobar[] = "foobar";
	static const size_t rfc_len[] = { 1, 2, 3, 4, 5, 6, 6, 1, 2, 3, 4, 5,
	    6 };

	for (size_t i = 0; i < sizeof(yes_mani) / sizeof(yes_mani[0]); i++)
		check_vec(&yes_mani[i], (const uint8_t *)mani, strlen(mani));
	for (size_t i = 0; i < sizeof(two_zeros) / sizeof(two_zeros[0]); i++)
		check_vec(&two_zeros[i], (const uint8_t *)zz_mani,
		    sizeof(zz_mani) - 1);
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++)
		check_vec(&rfc4648[i], (const uint8_t *)foobar, rfc_len[i]);
}

static const enum w3s_base all_bases[] = {
	W3S_BASE2, W3S_BASE8, W3S_BASE10, W3S_BASE16, W3S_BASE16UPPER,
	W3S_BASE32, W3S_BASE32UPPER, W3S_BASE32HEX, W3S_BASE32HEXUPPER,
	W3S_BASE32PAD, W3S_BASE32PADUPPER, W3S_BASE32HEXPAD,
	W3S_BASE32HEXPADUPPER, W3S_BASE32Z, W3S_BASE36, W3S_BASE36UPPER,
	W3S_BASE58FLICKR, W3S_BASE58BTC, W3S_BASE64, W3S_BASE64PAD,
	W3S_BASE64URL, W3S_BASE64URLPAD, W3S_BASE256EMOJI,
};

#define NALL (sizeof(all_bases) / sizeof(all_bases[0]))

static void
test_names(void)
{
	struct w3s_err err = { 0 };
	enum w3s_base b;
	int good = 1;

	for (size_t i = 0; i < NALL; i++) {
		const char *name = w3s_base_name(all_bases[i]);

		if (name == NULL || w3s_base_from_name(name, &b, NULL) != 0 ||
		    b != all_bases[i]) {
			printf("# base 0x%x\n", (unsigned)all_bases[i]);
			good = 0;
		}
	}
	ok(good, "every base has a name that maps back to it");
	is_str(w3s_base_name(W3S_BASE58BTC), "base58btc", "name of 'z'");
	is_int(w3s_base_from_name("base45", &b, &err), W3S_EUSAGE,
	    "unknown base name is a usage error");
	ok(w3s_base_name((enum w3s_base)'p') == NULL, "no name for 'p'");
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint8_t
rng_byte(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint8_t)((rng_state * 0x2545f4914f6cdd1dull) >> 56);
}

static void
test_round_trips(void)
{
	uint8_t data[300];

	for (size_t b = 0; b < NALL; b++) {
		int good = 1;

		for (size_t len = 0; len <= sizeof(data) && good;
		    len += len < 40 ? 1 : 37) {
			struct w3s_err err = { 0 };
			uint8_t *back = NULL;
			char *text = NULL;
			size_t back_len = 0;
			size_t zeros = len % 4;	/* leading zero bytes */

			for (size_t i = 0; i < len; i++)
				data[i] = i < zeros ? 0 : rng_byte();
			if (w3s_multibase_encode(all_bases[b], data, len,
			    &text, &err) != 0 ||
			    w3s_multibase_decode(text, &back, &back_len,
			    NULL, &err) != 0 || back_len != len ||
			    (len > 0 && memcmp(back, data, len) != 0)) {
				printf("# %s, %zu bytes: %s\n",
				    w3s_base_name(all_bases[b]), len,
				    err.msg);
				good = 0;
			}
			free(text);
			free(back);
		}
		ok(good, "%s: round trips of 0..300 bytes",
		    w3s_base_name(all_bases[b]));
	}
}

static void
test_emoji_table(void)
{
	uint8_t all[256], *back = NULL;
	struct w3s_err err = { 0 };
	char *text = NULL;
	size_t len = 0;

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	ok(w3s_multibase_encode(W3S_BASE256EMOJI, all, sizeof(all), &text,
	    &err) == 0, "base256emoji: encode all 256 byte values");
	ok(w3s_multibase_decode(text, &back, &len, NULL, &err) == 0 &&
	    len == 256 && memcmp(back, all, 256) == 0,
	    "base256emoji: every emoji decodes to its own byte");
	/* Byte 0 is the rocket, byte 255 U+1F942 (clinking glasses). */
	ok(text != NULL && strncmp(text, "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80",
	    8) == 0, "base256emoji: prefix and byte 0 are both U+1F680");
	ok(text != NULL && strcmp(text + strlen(text) - 4,
	    "\xf0\x9f\xa5\x82") == 0, "base256emoji: byte 255 is U+1F942");
	free(text);
	free(back);
}

static void
test_case(void)
{
	static const struct {
		const char *text;
		int accept;
		const char *what;
	} cases[] = {
		{ "bNBSWY3DPEB3W64TMMQ", 1, "base32 prefix, upper-case text" },
		{ "BnbswY3dpeb3w64tmmq", 1, "base32upper prefix, mixed case" },
		{ "F68656C6c6f20776f726c64", 1, "base16upper, mixed case" },
		{ "KfUvrsIvVnfRbjWaJo", 1, "base36upper, mixed case" },
		{ "Td1imor3f41RMUSJCCG======", 1, "base32hexpadupper, mixed" },
		{ "hPB1SA5DXRB3W5WTMC", 0, "base32z is lower case only" },
	};
	static const char hello[] = "hello world";
	uint8_t *other = NULL;
	size_t other_len = 0;

	/* Case is part of a base58 digit: upper-casing changes the value. */
	ok(w3s_multibase_decode("z7PANL19XTTACUY", &other, &other_len, NULL,
	    NULL) == 0 && (other_len != 10 ||
	    memcmp(other, "yes mani !", 10) != 0),
	    "base58btc is case-sensitive");
	free(other);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct w3s_err err = { 0 };
		uint8_t *out = NULL;
		size_t len = 0;
		int rc = w3s_multibase_decode(cases[i].text, &out, &len, NULL,
		    &err);

		if (cases[i].accept)
			ok(rc == 0 && len == strlen(hello) &&
			    memcmp(out, hello, len) == 0, "%s", cases[i].what);
		else
			is_int(rc, W3S_EMALFORMED, cases[i].what);
		free(out);
	}
}

static void
test_rejects(void)
{
	static const struct {
		const char *text;
		const char *what;
	} bad[] = {
		{ "", "empty text" },
		{ "X1234", "unknown prefix" },
		{ "\x80z", "prefix is not UTF-8" },
		{ "\xf0\x9f\x98\x80", "an emoji that is not a base prefix" },
		{ "f0g", "base16: 'g'" },
		{ "f123", "base16: odd number of digits" },
		{ "b!!", "base32: '!'" },
		{ "bm", "base32: one character cannot end a byte" },
		{ "bmzx", "base32: four characters cannot end bytes" },
		{ "bmz", "base32: non-zero bits after the last byte" },
		{ "bmy======", "base32: padding on the unpadded base" },
		{ "cmy", "base32pad: padding missing" },
		{ "cmy==", "base32pad: padding too short" },
		{ "cmzxq=====", "base32pad: padding too long" },
		{ "cmy=a====", "base32pad: '=' inside the text" },
		{ "c========", "base32pad: a block of padding only" },
		{ "mZg==", "base64: padding on the unpadded base" },
		{ "mZh", "base64: non-zero bits after the last byte" },
		{ "mZ", "base64: one character cannot end a byte" },
		{ "m-_8", "base64: url alphabet" },
		{ "u+/8", "base64url: standard alphabet" },
		{ "MZg=", "base64pad: wrong padding" },
		{ "MZg", "base64pad: padding missing" },
		{ "MZg===", "base64pad: padding too long" },
		{ "0101", "base2: not a whole byte" },
		{ "0000000002", "base2: '2'" },
		{ "70000", "base8: bits left over that make a character" },
		{ "7001", "base8: non-zero bits after the last byte" },
		{ "78", "base8: '8'" },
		{ "9123a", "base10: 'a'" },
		{ "z0OIl", "base58btc: 0, O, I and l are not in the alphabet" },
		{ "Z0", "base58flickr: '0'" },
		{ "k-1", "base36: '-'" },
		{ "z1\xc3\xa9", "base58btc: non-ASCII" },
		{ "\xf0\x9f\x9a\x80" "a", "base256emoji: ASCII letter" },
		{ "\xf0\x9f\x9a\x80\xf0\x9f\x9a", "base256emoji: cut UTF-8" },
		{ "\xf0\x9f\x9a\x80\xf0\x82\x98\x80", "base256emoji: overlong "
		    "U+2600" },
		{ "\xf0\x9f\x9a\x80\xed\xa0\x80", "base256emoji: surrogate" },
		{ "\xf0\x9f\x9a\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x88"
		    "\xe2\x98\x83",
		    "base256emoji: U+2603 (snowman) is not in the alphabet" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct w3s_err err = { 0 };
		uint8_t *out = NULL;
		size_t len = 0;
		int rc;

		rc = w3s_multibase_decode(bad[i].text, &out, &len, NULL, &err);
		is_int(rc, W3S_EMALFORMED, bad[i].what);
		if (rc == W3S_EMALFORMED && err.msg[0] == '\0')
			ok(0, "... with a message");
		free(out);
	}
}

static void
test_empty(void)
{
	struct w3s_err err = { 0 };
	enum w3s_base base = 0;
	uint8_t *out = NULL;
	char *text = NULL;
	size_t len = 1;

	ok(w3s_multibase_encode(W3S_BASE32, (const uint8_t *)"", 0, &text,
	    &err) == 0, "encode zero bytes");
	is_str(text, "b", "zero bytes are the prefix alone");
	ok(w3s_multibase_decode("z", &out, &len, &base, &err) == 0 &&
	    len == 0 && out != NULL && base == W3S_BASE58BTC,
	    "prefix alone decodes to zero bytes");
	free(text);
	free(out);
	out = NULL;
	ok(w3s_multibase_decode("z111", &out, &len, NULL, &err) == 0 &&
	    len == 3 && out[0] == 0 && out[1] == 0 && out[2] == 0,
	    "base58btc '111' is three zero bytes");
	free(out);
	is_int(w3s_multibase_encode((enum w3s_base)'p', (const uint8_t *)"",
	    0, &text, &err), W3S_EUSAGE, "encoding to an unknown base");
}

int
main(void)
{
	test_vectors();
	test_names();
	test_round_trips();
	test_emoji_table();
	test_case();
	test_rejects();
	test_empty();
	return tap_done();
}
