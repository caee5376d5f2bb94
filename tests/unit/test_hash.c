/* Hash functions: known digests of BLAKE2b-256, SHA-256 and SHA-512,
 * streaming equals one-shot, names and digest lengths. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/hash.h>

#include "tap.h"

static const struct {
	enum w3s_hash_alg alg;
	const char *input;
	const char *hex;
} known[] = {
	{ W3S_HASH_BLAKE2B_256, "",
	    "0e5751c026e543b2e8ab2eb06099daa1"
	    "d1e5df47778f7787faab45cdf12fe3a8" },
	{ W3S_HASH_BLAKE2B_256, "abc",
	    "bddd813c634239723171ef3fee98579b"
	    "94964e3bb1cb3e427262c8c068d52319" },
	{ W3S_HASH_BLAKE2B_256, "hello world",
	    "256c83b297114d201b30179f3f0ef0ca"
	    "ce9783622da5974326b436178aeef610" },
	{ W3S_HASH_SHA2_256, "",
	    "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855" },
	{ W3S_HASH_SHA2_256, "abc",
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad" },
	{ W3S_HASH_SHA2_512, "",
	    "cf83e1357eefb8bdf1542850d66d8007"
	    "d620e4050b5715dc83f4a921d36ce9ce"
	    "47d0d13c5d85f2b0ff8318d2877eec2f"
	    "63b931bd47417a81a538327af927da3e" },
	{ W3S_HASH_SHA2_512, "abc",
	    "ddaf35a193617abacc417349ae204131"
	    "12e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd"
	    "454d4423643ce80e2a9ac94fa54ca49f" },
};

static void
test_one_shot(void)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		uint8_t out[64];
		struct w3s_err err = { 0 };
		char name[64];
		int n;

		snprintf(name, sizeof(name), "%s(\"%s\")",
		    w3s_hash_name(known[i].alg), known[i].input);
		n = w3s_hash_digest(known[i].alg, known[i].input,
		    strlen(known[i].input), out, sizeof(out), &err);
		is_int(n, (long long)strlen(known[i].hex) / 2, name);
		if (n > 0)
			is_hex(out, (size_t)n, known[i].hex, name);
	}
}

static void
test_direct(void)
{
	uint8_t out[32], l[32], r[32], pre[64];

	w3s_hash_blake2b(out, "hello world", 11);
	is_hex(out, 32, known[2].hex, "w3s_hash_blake2b(\"hello world\")");
	w3s_hash_sha256(out, "abc", 3);
	is_hex(out, 32, known[4].hex, "w3s_hash_sha256(\"abc\")");

	for (int i = 0; i < 32; i++) {
		l[i] = (uint8_t)i;
		r[i] = (uint8_t)(32 + i);
	}
	memcpy(pre, l, 32);
	memcpy(pre + 32, r, 32);
	w3s_hash_children(out, l, r);
	is_hex(out, 32,
	    "10d8e6d534b00939843fe9dcc4dae48cdf008f6b8b2b82b156f5404d874887f5",
	    "hash_children(00..1f, 20..3f) = H(00..3f)");
}

static void
test_streaming(void)
{
	static const enum w3s_hash_alg algs[] = { W3S_HASH_BLAKE2B_256,
	    W3S_HASH_SHA2_256, W3S_HASH_SHA2_512 };
	size_t big_len = 1000000;
	uint8_t *big = malloc(big_len);

	if (big == NULL) {
		ok(0, "out of memory");
		return;
	}
	memset(big, 'a', big_len);
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		uint8_t one[64], two[64], again[64];
		struct w3s_err err = { 0 };
		struct w3s_hasher *h = w3s_hasher_new(algs[a], &err);
		int n = w3s_hash_digest_len(algs[a]);

		if (!ok(h != NULL, "%s: new hasher", w3s_hash_name(algs[a])))
			continue;
		/* Uneven pieces, including empty ones. */
		for (size_t off = 0, step = 0; off < big_len; step++) {
			size_t piece = (step * 7919) % 65537;

			if (piece > big_len - off)
				piece = big_len - off;
			w3s_hasher_update(h, big + off, piece);
			off += piece;
		}
		w3s_hasher_final(h, one);
		w3s_hash_digest(algs[a], big, big_len, two, sizeof(two), &err);
		ok(memcmp(one, two, (size_t)n) == 0,
		    "%s: streaming 1 MB in pieces equals one-shot",
		    w3s_hash_name(algs[a]));
		/* final resets the hasher. */
		w3s_hasher_update(h, "abc", 3);
		w3s_hasher_final(h, again);
		w3s_hash_digest(algs[a], "abc", 3, two, sizeof(two), &err);
		ok(memcmp(again, two, (size_t)n) == 0,
		    "%s: the hasher starts afresh after final",
		    w3s_hash_name(algs[a]));
		if (algs[a] == W3S_HASH_SHA2_256)
			is_hex(one, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a"
			    "48a497200e046d39ccc7112cd0", "sha2-256 of a "
			    "million 'a' (FIPS 180-2)");
		w3s_hasher_free(h);
	}
	w3s_hasher_free(NULL);
	ok(1, "w3s_hasher_free(NULL) is a no-op");
	free(big);
}

static void
test_names_and_lengths(void)
{
	struct w3s_err err = { 0 };
	enum w3s_hash_alg alg;
	uint8_t out[64];

	is_int(w3s_hash_digest_len(W3S_HASH_BLAKE2B_256), 32,
	    "blake2b-256 len");
	is_int(w3s_hash_digest_len(W3S_HASH_SHA2_256), 32, "sha2-256 len");
	is_int(w3s_hash_digest_len(W3S_HASH_SHA2_512), 64, "sha2-512 len");
	is_int(w3s_hash_digest_len(W3S_HASH_IDENTITY), 0, "identity: variable");
	is_int(w3s_hash_digest_len((enum w3s_hash_alg)0x11), -1,
	    "sha1 is not supported");
	is_str(w3s_hash_name(W3S_HASH_BLAKE2B_256), "blake2b-256", "name");
	ok(w3s_hash_from_name("sha2-512", &alg, &err) == 0 &&
	    alg == W3S_HASH_SHA2_512, "sha2-512 by name");
	is_int(w3s_hash_from_name("md5", &alg, &err), W3S_EUSAGE,
	    "unknown name is a usage error");
	ok(w3s_hasher_new((enum w3s_hash_alg)0x11, &err) == NULL &&
	    err.code == W3S_EMALFORMED, "no hasher for sha1");
	is_int(w3s_hash_digest(W3S_HASH_IDENTITY, "abc", 3, out, sizeof(out),
	    &err), 3, "identity digest is the input");
	ok(memcmp(out, "abc", 3) == 0, "... byte for byte");
	is_int(w3s_hash_digest(W3S_HASH_SHA2_512, "abc", 3, out, 32, &err),
	    W3S_EUSAGE, "a 32-byte buffer is too small for sha2-512");
	is_int(w3s_hash_digest((enum w3s_hash_alg)0x11, "abc", 3, out,
	    sizeof(out), &err), W3S_EMALFORMED, "one-shot sha1: unsupported");
}

int
main(void)
{
	test_one_shot();
	test_direct();
	test_streaming();
	test_names_and_lengths();
	return tap_done();
}
