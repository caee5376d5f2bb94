/* Multihash and CID: known CIDs (v0 and v1; sha2-256, blake2b-256,
 * identity; raw, dag-pb, dag-cbor), binary and text forms, and the inputs
 * a strict parser refuses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/cid.h>

#include "tap.h"

#define SHA256_EMPTY \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define B2_HELLO \
	"256c83b297114d201b30179f3f0ef0cace9783622da5974326b436178aeef610"

/* The same sha2-256 digest as CIDv0 and as CIDv1 (dag-pb, base32). */
static const char v0_text[] = "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n";
static const char v1_text[] =
    "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
/* "hello world" as raw CIDv1: sha2-256, then blake2b-256 (w3s chunks). */
static const char raw_sha_hello[] =
    "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
static const char raw_b2_hello[] =
    "bafk2bzaceaswza5ss4iu2ia3galz6pyo6dfm5f4dmiw2lf2de22dmf4k533ba";

static void
test_multihash(void)
{
	struct w3s_multihash mh = { 0 }, back;
	uint8_t buf[W3S_MULTIHASH_BIN_MAX];
	struct w3s_err err = { 0 };
	uint8_t big[80] = { 0x12, 0x41 };
	size_t n;

	mh.code = W3S_HASH_SHA2_256;
	mh.len = 32;
	w3s_hash_sha256(mh.digest, "", 0);
	n = w3s_multihash_encode(buf, &mh);
	is_hex(buf, n, "1220" SHA256_EMPTY, "multihash of sha2-256(\"\")");
	is_int(w3s_multihash_decode(buf, n, &back, &err), 34,
	    "decode consumes 34 bytes");
	ok(back.code == 0x12 && back.len == 32 &&
	    memcmp(back.digest, mh.digest, 32) == 0, "decode gives it back");
	is_int(w3s_multihash_decode(buf, 10, &back, &err), W3S_EINCOMPLETE,
	    "cut inside the digest: incomplete");
	is_int(w3s_multihash_decode(buf, 1, &back, &err), W3S_EINCOMPLETE,
	    "cut before the length: incomplete");
	is_int(w3s_multihash_decode(big, sizeof(big), &back, &err),
	    W3S_EMALFORMED, "65-byte digest is malformed");
	buf[1] = 10;
	is_int(w3s_multihash_decode(buf, 12, &back, &err), 12,
	    "truncated sha2-256 (80 bits) is a valid multihash");

	mh.code = W3S_HASH_BLAKE2B_256;
	w3s_hash_blake2b(mh.digest, "hello world", 11);
	n = w3s_multihash_encode(buf, &mh);
	is_hex(buf, n, "a0e40220" B2_HELLO, "blake2b-256 code is 3 bytes");
}

static void
test_v0_v1_pair(void)
{
	struct w3s_cid v0, v1;
	struct w3s_err err = { 0 };
	uint8_t bin[W3S_CID_BIN_MAX];
	char *s = NULL;
	size_t n;

	ok(w3s_cid_parse(&v0, v0_text, &err) == 0, "parse CIDv0 %s", v0_text);
	ok(v0.version == 0 && v0.codec == W3S_CODEC_DAG_PB &&
	    v0.mh.code == W3S_HASH_SHA2_256, "v0: dag-pb, sha2-256");
	is_hex(v0.mh.digest, v0.mh.len, SHA256_EMPTY, "v0 digest");
	ok(w3s_cid_parse(&v1, v1_text, &err) == 0, "parse CIDv1 %s", v1_text);
	ok(v1.version == 1 && v1.codec == W3S_CODEC_DAG_PB,
	    "v1: version 1, dag-pb");
	ok(v1.mh.len == v0.mh.len && memcmp(&v1.mh, &v0.mh,
	    sizeof(v0.mh)) == 0, "same multihash in both");
	ok(!w3s_cid_equal(&v0, &v1), "v0 and v1 are different CIDs");

	n = w3s_cid_to_bytes(&v0, bin);
	is_hex(bin, n, "1220" SHA256_EMPTY, "v0 binary is the bare multihash");
	n = w3s_cid_to_bytes(&v1, bin);
	is_hex(bin, n, "01701220" SHA256_EMPTY, "v1 binary");

	ok(w3s_cid_format(&v0, W3S_BASE58BTC, &s, &err) == 0, "format v0");
	is_str(s, v0_text, "v0 text has no multibase prefix");
	free(s);
	ok(w3s_cid_format(&v0, W3S_BASE32, &s, &err) == 0,
	    "format v0 asking for base32");
	is_str(s, v0_text, "v0 is base58btc whatever the base");
	free(s);
	ok(w3s_cid_format(&v1, W3S_BASE32, &s, &err) == 0, "format v1");
	is_str(s, v1_text, "v1 in base32");
	free(s);

	v1.version = 0;
	ok(w3s_cid_equal(&v0, &v1), "switching version gives the v0 CID");
}

static void
test_cid_of(void)
{
	struct w3s_err err = { 0 };
	struct w3s_cid c, p;
	uint8_t bin[W3S_CID_BIN_MAX];
	char *s = NULL;
	size_t n;

	ok(w3s_cid_of(&c, 1, W3S_CODEC_RAW, W3S_HASH_SHA2_256, "hello world",
	    11, &err) == 0, "raw sha2-256 CID of \"hello world\"");
	ok(w3s_cid_format(&c, W3S_BASE32, &s, &err) == 0, "format it");
	is_str(s, raw_sha_hello, "bafkrei...");
	free(s);

	ok(w3s_cid_of(&c, 1, W3S_CODEC_RAW, W3S_HASH_BLAKE2B_256,
	    "hello world", 11, &err) == 0, "raw blake2b-256 CID");
	n = w3s_cid_to_bytes(&c, bin);
	is_hex(bin, n, "0155a0e40220" B2_HELLO, "its binary form");
	ok(w3s_cid_format(&c, W3S_BASE32, &s, &err) == 0, "format it");
	is_str(s, raw_b2_hello, "bafk2bza...");
	ok(s != NULL && strncmp(s, "bafk2bza", 8) == 0,
	    "a w3s chunk CID starts with bafk2bza");
	free(s);
	ok(w3s_cid_parse(&p, "0x" B2_HELLO, &err) == 0,
	    "parse 0x + 64 hex digits");
	ok(w3s_cid_equal(&p, &c), "0x form is the blake2b-256 raw CIDv1");
	ok(w3s_cid_parse(&p, "0X256C83B297114D201B30179F3F0EF0CACE9783622DA59"
	    "74326B436178AEEF610", &err) == 0 && w3s_cid_equal(&p, &c),
	    "upper-case hex is accepted too");
	ok(w3s_cid_parse(&p, raw_b2_hello, &err) == 0 &&
	    w3s_cid_equal(&p, &c), "bafk2bza... parses to the same CID");

	ok(w3s_cid_of(&c, 0, W3S_CODEC_DAG_PB, W3S_HASH_SHA2_256,
	    "hello world", 11, &err) == 0, "v0 of \"hello world\"");
	ok(w3s_cid_format(&c, W3S_BASE58BTC, &s, &err) == 0, "format it");
	is_str(s, "QmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4", "Qmaoz...");
	free(s);

	ok(w3s_cid_of(&c, 1, W3S_CODEC_DAG_CBOR, W3S_HASH_SHA2_256,
	    "hello world", 11, &err) == 0, "dag-cbor CID");
	ok(w3s_cid_format(&c, W3S_BASE32, &s, &err) == 0, "format it");
	is_str(s, "bafyreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
	    "bafyrei...");
	free(s);

	ok(w3s_cid_of(&c, 1, W3S_CODEC_RAW, W3S_HASH_IDENTITY, "hello", 5,
	    &err) == 0, "identity CID");
	n = w3s_cid_to_bytes(&c, bin);
	is_hex(bin, n, "01550005" "68656c6c6f", "identity carries the bytes");
	ok(w3s_cid_format(&c, W3S_BASE32, &s, &err) == 0 &&
	    w3s_cid_parse(&p, s, &err) == 0 && w3s_cid_equal(&p, &c),
	    "identity CID text round trip");
	free(s);

	is_int(w3s_cid_of(&c, 0, W3S_CODEC_RAW, W3S_HASH_SHA2_256, "", 0,
	    &err), W3S_EUSAGE, "v0 cannot be raw");
	is_int(w3s_cid_of(&c, 0, W3S_CODEC_DAG_PB, W3S_HASH_BLAKE2B_256, "",
	    0, &err), W3S_EUSAGE, "v0 cannot be blake2b-256");
	is_int(w3s_cid_of(&c, 2, W3S_CODEC_RAW, W3S_HASH_SHA2_256, "", 0,
	    &err), W3S_EUSAGE, "there is no CIDv2");
}

static void
test_binary(void)
{
	uint8_t bin[W3S_CID_BIN_MAX + 4];
	struct w3s_err err = { 0 };
	struct w3s_cid c, d;
	size_t n;

	w3s_cid_of(&c, 1, W3S_CODEC_RAW, W3S_HASH_BLAKE2B_256, "x", 1, NULL);
	n = w3s_cid_to_bytes(&c, bin);
	is_int(n, 38, "blake2b-256 raw CID is 38 bytes");
	ok(w3s_cid_from_bytes(&d, bin, n, &err) == 0 && w3s_cid_equal(&c, &d),
	    "from_bytes gives it back");
	bin[n] = 0xaa;
	is_int(w3s_cid_read(&d, bin, n + 1, &err), (long long)n,
	    "read stops at the end of the CID");
	is_int(w3s_cid_from_bytes(&d, bin, n + 1, &err), W3S_EMALFORMED,
	    "from_bytes refuses a trailing byte");
	is_int(w3s_cid_read(&d, bin, n - 1, &err), W3S_EINCOMPLETE,
	    "read of a cut CID is incomplete");
	is_int(w3s_cid_from_bytes(&d, bin, n - 1, &err), W3S_EMALFORMED,
	    "from_bytes of a cut CID is malformed");
	is_int(w3s_cid_from_bytes(&d, bin, 0, &err), W3S_EMALFORMED,
	    "from_bytes of nothing is malformed");
}

/* Builds bytes from hex for the reject table (test input only). */
static size_t
unhex(uint8_t *out, const char *hex)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;

		sscanf(hex, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void
test_binary_rejects(void)
{
	static const struct {
		const char *hex;
		const char *what;
	} bad[] = {
		{ "00551220" SHA256_EMPTY, "explicit version 0" },
		{ "02551220" SHA256_EMPTY, "version 2 (reserved)" },
		{ "03551220" SHA256_EMPTY, "version 3 (reserved)" },
		{ "8001551220" SHA256_EMPTY, "non-minimal version varint" },
		{ "1214e3b0c44298fc1c149afbf4c8996fb92427ae41e4",
		    "v0 with a 20-byte digest" },
		{ "01551214e3b0c44298fc1c149afbf4c8996fb92427ae41e4",
		    "sha2-256 digest of 20 bytes" },
		{ "0155a0e4021f" SHA256_EMPTY,
		    "blake2b-256 digest of 31 bytes (one left over)" },
		{ "01551340" SHA256_EMPTY SHA256_EMPTY "00",
		    "sha2-512 with a trailing byte" },
		{ "01551330" SHA256_EMPTY, "sha2-512 digest of 48 bytes" },
		{ "0155004100", "identity digest of 65 bytes" },
	};
	struct w3s_err err = { 0 };
	uint8_t bin[256];
	struct w3s_cid c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = unhex(bin, bad[i].hex);

		is_int(w3s_cid_from_bytes(&c, bin, n, &err), W3S_EMALFORMED,
		    bad[i].what);
	}
	/* Functions this toolkit does not compute keep any length. */
	ok(w3s_cid_from_bytes(&c, bin, unhex(bin, "01551e05" "0102030405"),
	    &err) == 0 && c.mh.code == 0x1e && c.mh.len == 5,
	    "unknown hash function: length not checked");
	ok(w3s_cid_from_bytes(&c, bin, unhex(bin, "01550000"), &err) == 0 &&
	    c.mh.len == 0, "empty identity digest is fine");
}

static void
test_text_rejects(void)
{
	static const struct {
		const char *text;
		const char *what;
	} bad[] = {
		{ "", "empty" },
		{ "zQmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n",
		    "CIDv0 with a multibase prefix" },
		{ "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1",
		    "Qm... of 45 characters" },
		{ "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1nn",
		    "Qm... of 47 characters" },
		{ "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR10",
		    "Qm... with a character outside base58" },
		{ "QmfZy5bvk7a3DQAjCbGNtmrPXWkyVvPrdnZMyBZ5q5ieKH",
		    "Qm... that decodes to length 0x21" },
		{ "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
		    "aa",
		    "base32 CID with a trailing byte" },
		{ "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5",
		    "base32 CID one character short" },
		{ "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36",
		    "base32 CID cut short" },
		{ "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5!",
		    "base32 CID with a bad character" },
		{ "0x" B2_HELLO "0", "0x with 65 hex digits" },
		{ "0x256c83b297114d201b30179f3f0ef0cace9783622da5974326b436178"
		    "aeef61", "0x with 63 hex digits" },
		{ "0xz56c83b297114d201b30179f3f0ef0cace9783622da5974326b436178"
		    "aeef610", "0x with a non-hex digit" },
		{ "bajkqaaa", "CIDv2 in base32" },
		{ "Xafkrei", "unknown multibase prefix" },
	};
	struct w3s_err err = { 0 };
	struct w3s_cid c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = w3s_cid_parse(&c, bad[i].text, &err);

		is_int(rc, W3S_EMALFORMED, bad[i].what);
		if (rc != 0 && err.msg[0] == '\0')
			ok(0, "... with a message");
	}
}

static void
test_all_bases(void)
{
	static const enum w3s_base bases[] = {
		W3S_BASE2, W3S_BASE8, W3S_BASE10, W3S_BASE16, W3S_BASE16UPPER,
		W3S_BASE32, W3S_BASE32UPPER, W3S_BASE32HEX, W3S_BASE32PAD,
		W3S_BASE32Z, W3S_BASE36, W3S_BASE36UPPER, W3S_BASE58FLICKR,
		W3S_BASE58BTC, W3S_BASE64, W3S_BASE64PAD, W3S_BASE64URL,
		W3S_BASE64URLPAD, W3S_BASE256EMOJI,
	};
	struct w3s_err err = { 0 };
	struct w3s_cid c, p;
	int good = 1;

	w3s_cid_of(&c, 1, W3S_CODEC_DAG_CBOR, W3S_HASH_SHA2_512, "abc", 3,
	    NULL);
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		char *s = NULL;

		if (w3s_cid_format(&c, bases[i], &s, &err) != 0 ||
		    w3s_cid_parse(&p, s, &err) != 0 || !w3s_cid_equal(&c, &p)) {
			printf("# %s: %s\n", w3s_base_name(bases[i]), err.msg);
			good = 0;
		}
		free(s);
	}
	ok(good, "sha2-512 dag-cbor CIDv1 round trips through every base");
}

static void
test_format_rejects(void)
{
	struct w3s_err err = { 0 };
	struct w3s_cid c;
	char *s = NULL;

	w3s_cid_of(&c, 1, W3S_CODEC_RAW, W3S_HASH_SHA2_256, "", 0, NULL);
	c.version = 0;
	is_int(w3s_cid_format(&c, W3S_BASE58BTC, &s, &err), W3S_EUSAGE,
	    "a raw CIDv0 cannot be formatted");
	c.version = 2;
	is_int(w3s_cid_format(&c, W3S_BASE32, &s, &err), W3S_EUSAGE,
	    "nor a CIDv2");
	ok(s == NULL, "nothing allocated");
}

static void
test_codecs(void)
{
	struct w3s_err err = { 0 };
	uint64_t codec = 0;

	ok(w3s_codec_from_name("dag-cbor", &codec, &err) == 0 && codec == 0x71,
	    "dag-cbor is 0x71");
	ok(w3s_codec_from_name("raw", &codec, &err) == 0 && codec == 0x55,
	    "raw is 0x55");
	is_str(w3s_codec_name(0x70), "dag-pb", "0x70 is dag-pb");
	ok(w3s_codec_name(0x0129) == NULL, "dag-json is not known here");
	is_int(w3s_codec_from_name("dag-json", &codec, &err), W3S_EUSAGE,
	    "unknown codec name is a usage error");
}

int
main(void)
{
	test_multihash();
	test_v0_v1_pair();
	test_cid_of();
	test_binary();
	test_binary_rejects();
	test_text_rejects();
	test_all_bases();
	test_format_rejects();
	test_codecs();
	return tap_done();
}
