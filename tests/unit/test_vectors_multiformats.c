/* Conformance with the multiformats test vectors in $W3SYNC_VECTORS
 * (default ../shared/vectors): every multibase CSV row, and every
 * multihash test case of a hash function this toolkit computes. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <w3s/cid.h>
#include <w3s/hash.h>
#include <w3s/multibase.h>

/* tap.h defines static helpers this file does not all use. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tap.h"
#pragma GCC diagnostic pop

struct tally {
	int passed;
	int failed;
	int unsupported;
};

static void
count(struct tally *t, int good)
{
	if (good)
		t->passed++;
	else
		t->failed++;
}

static void
chomp(char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Splits `name, "value"` in place. Returns 0, or -1 if the line has
 * another shape. */
static int
split_row(char *line, char **name, char **value)
{
	char *comma = strchr(line, ','), *open, *close;

	if (comma == NULL)
		return -1;
	*comma = '\0';
	open = strchr(comma + 1, '"');
	close = strrchr(comma + 1, '"');
	if (open == NULL || close == open)
		return -1;
	*close = '\0';
	*name = line;
	*value = open + 1;
	return 0;
}

/* The header's input: "\xHH" stands for the byte HH and "\\" for a
 * backslash (vectors/README.md); anything else is literal. Writes the
 * bytes over s and returns their number. */
static size_t
unescape(char *s)
{
	size_t o = 0;

	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\\' && s[i + 1] == 'x' &&
		    hex_value(s[i + 2]) >= 0 && hex_value(s[i + 3]) >= 0) {
			s[o++] = (char)(hex_value(s[i + 2]) << 4 |
			    hex_value(s[i + 3]));
			i += 3;
		} else if (s[i] == '\\' && s[i + 1] == '\\') {
			s[o++] = '\\';
			i++;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

static void
multibase_row(const char *file, int lineno, const char *name,
    const char *text, const uint8_t *input, size_t input_len,
    int decode_only, struct tally *t)
{
	struct w3s_err err = { 0 };
	enum w3s_base base, got_base = 0;
	uint8_t *bytes = NULL;
	char *enc = NULL;
	size_t len = 0;
	int good;

	if (w3s_base_from_name(name, &base, &err) != 0) {
		count(t, ok(0, "%s:%d %s: %s", file, lineno, name, err.msg));
		return;
	}
	if (!decode_only) {
		good = w3s_multibase_encode(base, input, input_len, &enc,
		    &err) == 0 && strcmp(enc, text) == 0;
		count(t, ok(good, "%s:%d %s encode", file, lineno, name));
		if (!good)
			printf("#   got:  %s\n#   want: %s\n",
			    enc != NULL ? enc : err.msg, text);
		free(enc);
	}
	good = w3s_multibase_decode(text, &bytes, &len, &got_base,
	    &err) == 0 && got_base == base && len == input_len &&
	    memcmp(bytes, input, len) == 0;
	count(t, ok(good, "%s:%d %s decode%s", file, lineno, name,
	    decode_only ? " (either case)" : ""));
	if (!good && bytes == NULL)
		printf("#   %s\n", err.msg);
	free(bytes);
}

/* One CSV: the header `encoding, "input"` (or, for decode-only files such
 * as case_insensitivity.csv, `non-canonical encoding, "input"`), then one
 * `base name, "text"` row per base. */
static void
multibase_file(const char *dir, const char *file, struct tally *t)
{
	char path[4096], *line = NULL, *name, *value, *input = NULL;
	size_t cap = 0, input_len = 0;
	int lineno = 0, decode_only = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "r")) == NULL) {
		count(t, ok(0, "open %s", path));
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		chomp(line);
		if (line[0] == '\0')
			continue;
		if (split_row(line, &name, &value) != 0) {
			count(t, ok(0, "%s:%d: not a CSV row", file, lineno));
			continue;
		}
		if (input == NULL) {
			decode_only = strcmp(name, "encoding") != 0;
			input = strdup(value);
			if (input == NULL)
				break;
			input_len = unescape(input);
			continue;
		}
		multibase_row(file, lineno, name, value, (uint8_t *)input,
		    input_len, decode_only, t);
	}
	if (input == NULL)
		count(t, ok(0, "%s: no header", file));
	free(input);
	free(line);
	fclose(f);
}

static int
is_csv(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 4 && strcmp(e->d_name + n - 4, ".csv") == 0;
}

static void
multibase_suite(const char *root)
{
	struct tally t = { 0 };
	struct dirent **files;
	char dir[4096];
	int n;

	snprintf(dir, sizeof(dir), "%s/multibase", root);
	n = scandir(dir, &files, is_csv, alphasort);
	if (n <= 0) {
		count(&t, ok(0, "multibase: no CSV files in %s", dir));
	} else {
		for (int i = 0; i < n; i++) {
			multibase_file(dir, files[i]->d_name, &t);
			free(files[i]);
		}
		free(files);
	}
	printf("# multibase: %d passed, %d failed\n", t.passed, t.failed);
}

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; hex[0] != '\0' && hex[1] != '\0' && n < cap; hex += 2) {
		int hi = hex_value(hex[0]), lo = hex_value(hex[1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

/* A row `algorithm,bits,input,multihash`: the digest of the input's ASCII
 * text (not the bytes it spells), cut to bits/8 bytes, as a multihash. */
static void
multihash_row(int lineno, char *line, struct tally *t)
{
	char *alg_name = strtok(line, ","), *bits_s = strtok(NULL, ","),
	    *input = strtok(NULL, ","), *want = strtok(NULL, ",");
	uint8_t digest[64], bin[W3S_MULTIHASH_BIN_MAX], want_bin[256];
	struct w3s_multihash mh = { 0 }, back;
	struct w3s_err err = { 0 };
	enum w3s_hash_alg alg;
	unsigned long bits;
	size_t n, want_len;
	char *end;
	int dlen, good;

	if (want == NULL) {
		count(t, ok(0, "multihash:%d: not 4 fields", lineno));
		return;
	}
	if (w3s_hash_from_name(alg_name, &alg, NULL) != 0 ||
	    w3s_hash_digest_len(alg) <= 0) {
		t->unsupported++;
		return;
	}
	bits = strtoul(bits_s, &end, 10);
	dlen = w3s_hash_digest(alg, input, strlen(input), digest,
	    sizeof(digest), &err);
	if (*end != '\0' || bits % 8 != 0 || dlen < 0 ||
	    bits / 8 > (unsigned long)dlen) {
		count(t, ok(0, "multihash:%d: %s, %s bits: %s", lineno,
		    alg_name, bits_s, dlen < 0 ? err.msg : "bad bit count"));
		return;
	}
	mh.code = alg;
	mh.len = bits / 8;
	memcpy(mh.digest, digest, mh.len);
	n = w3s_multihash_encode(bin, &mh);
	want_len = unhex(want, want_bin, sizeof(want_bin));
	good = want_len == n && memcmp(bin, want_bin, n) == 0;
	/* And the expected bytes decode to the same code and digest. */
	good = good && w3s_multihash_decode(want_bin, want_len, &back,
	    &err) == (int)want_len && back.code == mh.code &&
	    back.len == mh.len && memcmp(back.digest, mh.digest, mh.len) == 0;
	count(t, ok(good, "multihash:%d %s %lu bits", lineno, alg_name, bits));
}

static void
multihash_suite(const char *root)
{
	struct tally t = { 0 };
	char path[4096], *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/multihash/test_cases.csv", root);
	if ((f = fopen(path, "r")) == NULL) {
		count(&t, ok(0, "open %s", path));
	} else {
		while (getline(&line, &cap, f) > 0) {
			lineno++;
			chomp(line);
			if (lineno == 1 || line[0] == '\0')
				continue;	/* header */
			multihash_row(lineno, line, &t);
		}
		free(line);
		fclose(f);
	}
	printf("# multihash: %d passed, %d failed, %d unsupported\n",
	    t.passed, t.failed, t.unsupported);
}

int
main(void)
{
	const char *root = getenv("W3SYNC_VECTORS");
	struct stat st;

	if (root == NULL || root[0] == '\0')
		root = "../shared/vectors";
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("# vectors not found at %s; skipping multiformats "
		    "suites\n", root);
		printf("ok 1 # SKIP vectors not found\n");
		printf("1..1\n");
		return 0;
	}
	multibase_suite(root);
	multihash_suite(root);
	return tap_done();
}
