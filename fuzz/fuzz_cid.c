/* CID and multihash parsing (lib/cid.c), binary and text, and the other
 * small text forms an operator or a peer hands in: chunk CIDs of stream
 * entry names, resume tokens, --since values, 0x hashes, varints.
 * Whatever parses must format back to something that parses to the same
 * value. */
#include <string.h>

#include <w3s/cid.h>
#include <w3s/export.h>
#include <w3s/hex.h>
#include <w3s/resume.h>
#include <w3s/stream.h>
#include <w3s/varint.h>

#include "fuzz.h"

static void
binary(const uint8_t *data, size_t size)
{
	uint8_t bin[W3S_CID_BIN_MAX], mhbin[W3S_MULTIHASH_BIN_MAX];
	struct w3s_multihash mh;
	struct w3s_cid cid, again;
	struct w3s_err err;
	uint64_t v;
	size_t n;
	int rc;

	if ((rc = w3s_varint_decode(data, size, &v, &err)) > 0) {
		FUZZ_ASSERT(w3s_varint_encode(bin, v) == (size_t)rc);
		FUZZ_ASSERT(memcmp(bin, data, (size_t)rc) == 0);
	}
	if ((rc = w3s_multihash_decode(data, size, &mh, &err)) > 0) {
		FUZZ_ASSERT(mh.len <= W3S_MULTIHASH_DIGEST_MAX);
		n = w3s_multihash_encode(mhbin, &mh);
		FUZZ_ASSERT(n == (size_t)rc && memcmp(mhbin, data, n) == 0);
	}
	if ((rc = w3s_cid_read(&cid, data, size, &err)) > 0) {
		n = w3s_cid_to_bytes(&cid, bin);
		FUZZ_ASSERT(n == (size_t)rc && memcmp(bin, data, n) == 0);
		FUZZ_ASSERT(w3s_cid_from_bytes(&again, data, n, &err) == 0);
		FUZZ_ASSERT(w3s_cid_equal(&cid, &again));
	}
	if (w3s_cid_from_bytes(&cid, data, size, &err) == 0) {
		n = w3s_cid_to_bytes(&cid, bin);
		FUZZ_ASSERT(n == size && memcmp(bin, data, n) == 0);
	}
}

static void
text(const char *s, size_t len)
{
	struct w3s_resume_token tok, tok2;
	struct w3s_export_since since;
	char cidtext[W3S_CHUNK_CID_LEN + 1], tokbuf[W3S_RESUME_TOKEN_MAX];
	uint8_t h[32], h2[32];
	struct w3s_cid cid, again;
	struct w3s_err err;
	char *out = NULL;

	if (w3s_cid_parse(&cid, s, &err) == 0) {
		FUZZ_ASSERT(w3s_cid_format(&cid, W3S_BASE32, &out, &err) == 0);
		FUZZ_ASSERT(w3s_cid_parse(&again, out, &err) == 0);
		FUZZ_ASSERT(w3s_cid_equal(&cid, &again));
		free(out);
		out = NULL;
		FUZZ_ASSERT(w3s_cid_format(&cid, W3S_BASE58BTC, &out,
		    &err) == 0);
		FUZZ_ASSERT(w3s_cid_parse(&again, out, &err) == 0);
		FUZZ_ASSERT(w3s_cid_equal(&cid, &again));
		free(out);
	}
	if (w3s_stream_chunk_cid_parse(s, len, h, &err) == 0) {
		w3s_stream_chunk_cid(cidtext, h);
		FUZZ_ASSERT(strlen(cidtext) == len &&
		    memcmp(cidtext, s, len) == 0);
	}
	if (w3s_resume_token_parse(s, &tok, &err) == 0) {
		w3s_resume_token_format(&tok, tokbuf);
		FUZZ_ASSERT(strcmp(tokbuf, s) == 0);
		FUZZ_ASSERT(w3s_resume_token_parse(tokbuf, &tok2, &err) == 0);
		FUZZ_ASSERT(memcmp(&tok, &tok2, sizeof(tok)) == 0);
	}
	if (w3s_export_since_parse(s, &since, &err) == 0 && since.by_root)
		FUZZ_ASSERT(w3s_hex32_parse(h2, s, &err) == 0 &&
		    memcmp(h2, since.root, 32) == 0);
	if (w3s_hex32_parse(h, s, &err) == 0) {
		char hex[W3S_HEX32_LEN];

		w3s_hex32_format(hex, h);
		FUZZ_ASSERT(w3s_hex32_parse(h2, hex, &err) == 0);
		FUZZ_ASSERT(memcmp(h, h2, 32) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	binary(data, size);
	/* The text parsers take C strings: stop at the first NUL. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	text(s, strlen(s));
	free(s);
	return 0;
}
