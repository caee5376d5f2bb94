/* Conformance: the DAG-CBOR fixtures of vectors/dag-cbor. Every
 * fixtures/<name>/<cid>.dag-cbor decodes, re-encodes to the same bytes and
 * hashes to the CID it is named after (v1, dag-cbor, sha2-256, base32);
 * every case of the .json files under negative/decode (lists of {name,
 * hex, error}) is refused. One TAP line per file or case. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include <w3s/buf.h>
#include <w3s/cbor.h>
#include <w3s/cid.h>
#include <w3s/hash.h>
#include <w3s/hex.h>

#include "tap.h"

#define SUFFIX ".dag-cbor"

static char why[1024];

static uint8_t *
slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, got;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			uint8_t *p = realloc(buf, cap ? 2 * cap : 4096);

			if (p == NULL)
				break;
			buf = p;
			cap = cap ? 2 * cap : 4096;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* One fixture file: 1 when it passes, else 0 with why set. */
static int
check_fixture(const char *path, const char *stem)
{
	struct w3s_err err = { 0 };
	struct w3s_cbor *item = NULL;
	struct w3s_cid cid;
	struct w3s_buf out;
	uint8_t *data;
	char *text = NULL;
	size_t len;
	int good = 0;

	if ((data = slurp(path, &len)) == NULL) {
		snprintf(why, sizeof(why), "cannot read: %s", strerror(errno));
		return 0;
	}
	w3s_buf_init(&out);
	if (w3s_cbor_decode(data, len, NULL, &item, &err) != 0) {
		snprintf(why, sizeof(why), "decode: %s", err.msg);
		goto out;
	}
	if (w3s_cbor_encode(item, &out, &err) != 0) {
		snprintf(why, sizeof(why), "encode: %s", err.msg);
		goto out;
	}
	if (out.len != len || memcmp(out.data, data, len) != 0) {
		snprintf(why, sizeof(why), "re-encoding differs (%zu bytes, "
		    "file has %zu)", out.len, len);
		goto out;
	}
	if (w3s_cid_of(&cid, 1, W3S_CODEC_DAG_CBOR, W3S_HASH_SHA2_256, out.data,
	    out.len, &err) != 0 ||
	    w3s_cid_format(&cid, W3S_BASE32, &text, &err) != 0) {
		snprintf(why, sizeof(why), "cid: %s", err.msg);
		goto out;
	}
	if (strcmp(text, stem) != 0) {
		snprintf(why, sizeof(why), "cid %s", text);
		goto out;
	}
	good = 1;
out:
	free(text);
	w3s_buf_release(&out);
	w3s_cbor_free(item);
	free(data);
	return good;
}

static int
run_fixtures(const char *dir, int *passed, int *failed)
{
	struct dirent **names, **files;
	char sub[4096], path[4096];
	int n, m;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		ok(0, "list %s: %s", dir, strerror(errno));
		(*failed)++;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] == '.')
			goto next;
		snprintf(sub, sizeof(sub), "%s/%s", dir, names[i]->d_name);
		if ((m = scandir(sub, &files, NULL, alphasort)) < 0)
			goto next;
		for (int k = 0; k < m; k++) {
			const char *f = files[k]->d_name;
			size_t flen = strlen(f), slen = strlen(SUFFIX);
			char stem[1024];
			int good;

			if (flen <= slen || strcmp(f + flen - slen, SUFFIX) != 0
			    || flen - slen >= sizeof(stem)) {
				free(files[k]);
				continue;
			}
			memcpy(stem, f, flen - slen);
			stem[flen - slen] = '\0';
			snprintf(path, sizeof(path), "%s/%s", sub, f);
			good = check_fixture(path, stem);
			ok(good, "fixture %s", names[i]->d_name);
			if (good)
				(*passed)++;
			else {
				(*failed)++;
				printf("#   %s\n", why);
			}
			free(files[k]);
		}
		free(files);
next:
		free(names[i]);
	}
	free(names);
	return 0;
}

/* One .json file of negative/decode: each case's hex must be refused. */
static void
run_negative_file(const char *path, const char *file, int *passed,
    int *failed)
{
	json_error_t jerr;
	json_t *all, *c;
	size_t i;

	if ((all = json_load_file(path, 0, &jerr)) == NULL ||
	    !json_is_array(all)) {
		ok(0, "negative %s: %s", file, all ? "not a list" : jerr.text);
		(*failed)++;
		json_decref(all);
		return;
	}
	json_array_foreach(all, i, c) {
		const char *name = json_string_value(json_object_get(c,
		    "name"));
		const char *hex = json_string_value(json_object_get(c, "hex"));
		const char *want = json_string_value(json_object_get(c,
		    "error"));
		struct w3s_err err = { 0 };
		struct w3s_cbor *item = NULL;
		uint8_t *bin = NULL;
		size_t len;
		int rc, good;

		if (name == NULL)
			name = "(unnamed)";
		if (hex == NULL ||
		    w3s_hex_decode_alloc(hex, &bin, &len, &err) != 0) {
			ok(0, "negative %s: %s: no usable hex", file, name);
			(*failed)++;
			continue;
		}
		rc = w3s_cbor_decode(bin, len, NULL, &item, &err);
		good = rc == W3S_EMALFORMED && item == NULL;
		ok(good, "negative %s: %s: refused", file, name);
		if (good) {
			(*passed)++;
			if (want != NULL && strstr(err.msg, want) == NULL)
				printf("#   note: message \"%s\" does not "
				    "mention \"%s\"\n", err.msg, want);
		} else {
			(*failed)++;
			printf("#   rc %d%s%s\n", rc, rc ? ": " : "",
			    rc ? err.msg : "");
		}
		w3s_cbor_free(item);
		free(bin);
	}
	json_decref(all);
}

static void
run_negative(const char *dir, int *passed, int *failed)
{
	struct dirent **names;
	char path[4096];
	int n;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		ok(0, "list %s: %s", dir, strerror(errno));
		(*failed)++;
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *f = names[i]->d_name;
		size_t flen = strlen(f);

		if (f[0] != '.' && flen > 5 && strcmp(f + flen - 5, ".json")
		    == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, f);
			run_negative_file(path, f, passed, failed);
		}
		free(names[i]);
	}
	free(names);
}

int
main(void)
{
	const char *dir = getenv("W3SYNC_VECTORS");
	int passed = 0, failed = 0, npassed = 0, nfailed = 0;
	char path[4096];
	struct stat st;

	(void)is_hex;
	(void)is_int;
	(void)is_str;
	if (dir == NULL || *dir == '\0')
		dir = "../shared/vectors";
	snprintf(path, sizeof(path), "%s/dag-cbor/fixtures", dir);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("# vectors not found at %s; skipping dag-cbor suite\n",
		    path);
		printf("ok 1 # SKIP vectors not found\n1..1\n");
		return 0;
	}
	run_fixtures(path, &passed, &failed);
	if (passed + failed == 0) {
		ok(0, "no fixtures under %s", path);
		failed++;
	}
	snprintf(path, sizeof(path), "%s/dag-cbor/negative/decode", dir);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		run_negative(path, &npassed, &nfailed);
	else
		printf("# no negative cases at %s\n", path);
	printf("# dag-cbor: %d passed, %d failed\n", passed, failed);
	printf("# dag-cbor negative: %d passed, %d failed\n", npassed,
	    nfailed);
	return tap_done();
}
