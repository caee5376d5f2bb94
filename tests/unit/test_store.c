/* The store: directory and bucket opening, format versions, segments and
 * their roots against the SPEC goldens and the bucket_ops vectors, the
 * persisted MMR against the in-memory one, proofs, snapshots while a
 * writer commits, deletion and deferred freeing, the writer lock, abort,
 * names, the change log, signatures, trust, settings and the self-check.
 *
 * Also a helper for the BATS tests:
 *   test_store check STORE BUCKET [--payloads]
 * runs w3s_bucket_check and prints "ok ..." or the error (exit status as
 * the programs'). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <w3s/chain.h>
#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/merkle.h>
#include <w3s/mmr.h>
#include <w3s/scale.h>
#include <w3s/store.h>

#include "tap.h"

static char tmp[64];
static char keypath[128], key2path[128];
static struct w3s_key *key, *key2;

static void
die(const char *what)
{
	fprintf(stderr, "test_store: %s\n", what);
	exit(99);
}

static void
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command (sqlite3, openssl) the test needs for set-up. */
static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_store: failed: %s\n", cmd);
		exit(99);
	}
}

static void
unhex(uint8_t *out, size_t len, const char *hex)
{
	if (w3s_hex_decode(out, len, hex, strlen(hex), NULL) != 0)
		die("bad hex in test");
}

static struct w3s_store *
store_at(const char *name, int flags)
{
	struct w3s_store *s = NULL;
	struct w3s_err err = { 0 };
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
	if (w3s_store_open(dir, flags, &s, &err) != 0) {
		fprintf(stderr, "store_open: %s\n", err.msg);
		die("cannot open a store");
	}
	return s;
}

static struct w3s_bucket *
bucket(struct w3s_store *s, uint64_t id, int flags)
{
	struct w3s_bucket_opts o = { flags, 0, "test_store" };
	struct w3s_bucket *b = NULL;
	struct w3s_err err = { 0 };

	if (w3s_bucket_open(s, id, &o, &b, &err) != 0) {
		fprintf(stderr, "bucket_open: %s\n", err.msg);
		die("cannot open a bucket");
	}
	return b;
}

/* Appends data as one segment (chunked and hashed here). */
static int
add_bytes(struct w3s_bucket *b, const uint8_t *data, size_t len,
    struct w3s_segment *seg, struct w3s_err *err)
{
	uint64_t n = w3s_chunk_count(len);
	int rc;

	if ((rc = w3s_bucket_segment_begin(b, err)) != 0)
		return rc;
	for (uint64_t i = 0; i < n; i++) {
		size_t l = (size_t)w3s_chunk_len(len, i);
		const uint8_t *p = data + i * W3S_CHUNK_SIZE;
		uint8_t h[32];

		w3s_hash_blake2b(h, p, l);
		if ((rc = w3s_bucket_segment_chunk(b, h, p, l, err)) != 0)
			return rc;
	}
	return w3s_bucket_segment_end(b, NULL, seg, err);
}

/* prepare, sign with k, record the checkpoint, commit. */
static int
commit_add(struct w3s_bucket *b, struct w3s_key *k, struct w3s_commitment *c,
    struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN], sig[64], pub[32];
	int rc;

	if ((rc = w3s_bucket_write_prepare(b, c, err)) != 0)
		return rc;
	w3s_payload_v1_encode(w3s_bucket_id(b), c, payload);
	w3s_key_public(k, pub);
	if ((rc = w3s_key_sign(k, payload, sizeof(payload), sig, err)) != 0 ||
	    (rc = w3s_bucket_checkpoint_add(b, c, pub, sig, err)) != 0)
		return rc;
	return w3s_bucket_write_commit(b, NULL, err);
}

/* One session adding one blob. */
static int
add_one(struct w3s_bucket *b, const void *data, size_t len,
    struct w3s_segment *seg, struct w3s_commitment *c, struct w3s_err *err)
{
	int rc;

	if ((rc = w3s_bucket_write_begin(b, err)) != 0)
		return rc;
	if ((rc = add_bytes(b, data, len, seg, err)) != 0 ||
	    (rc = commit_add(b, key, c, err)) != 0)
		w3s_bucket_write_abort(b, 0);
	return rc;
}

static int
drop_before(struct w3s_bucket *b, uint64_t seq, struct w3s_commitment *c,
    struct w3s_commit_result *res, struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN], sig[64], pub[32];
	struct w3s_commitment cert;
	int rc;

	if ((rc = w3s_bucket_write_begin(b, err)) != 0)
		return rc;
	if ((rc = w3s_bucket_drop_prepare(b, seq, c, NULL, err)) != 0)
		goto abort;
	cert = *c;
	cert.leaf_count = 0;
	w3s_payload_v1_encode(w3s_bucket_id(b), &cert, payload);
	w3s_key_public(key, pub);
	if ((rc = w3s_key_sign(key, payload, sizeof(payload), sig, err)) != 0 ||
	    (rc = w3s_bucket_deletion_add(b, pub, sig, err)) != 0 ||
	    (rc = w3s_bucket_write_commit(b, res, err)) != 0)
		goto abort;
	return 0;
abort:
	w3s_bucket_write_abort(b, 0);
	return rc;
}

static void
commitment_of(struct w3s_bucket *b, struct w3s_commitment *c)
{
	struct w3s_err err = { 0 };

	if (w3s_bucket_commitment(b, c, &err) != 0)
		die(err.msg);
}

/* Whether the chunk of these bytes is stored in b. */
static int
stored(struct w3s_bucket *b, const char *bytes)
{
	struct w3s_err err = { 0 };
	uint8_t h[32];
	int present = 0;

	w3s_hash_blake2b(h, bytes, strlen(bytes));
	if (w3s_bucket_chunk_has(b, h, &present, &err) != 0)
		die(err.msg);
	return present;
}

static int
check_ok(struct w3s_bucket *b, int flags, const char *name)
{
	struct w3s_err err = { 0 };
	int rc = w3s_bucket_check(b, flags, NULL, &err);

	if (rc != 0)
		printf("# %s\n", err.msg);
	return ok(rc == 0, "%s", name);
}

/* ---- tests ------------------------------------------------------------ */

static void
test_open(void)
{
	struct w3s_bucket_opts ro = { 0, 0, NULL };
	struct w3s_bucket_opts cr = { W3S_STORE_CREATE, 0, NULL };
	struct w3s_store *s = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_err err = { 0 };
	struct w3s_commitment c;
	uint64_t *ids;
	size_t n;
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/nostore", tmp);
	is_int(w3s_store_open(dir, 0, &s, &err), W3S_EUSAGE,
	    "a missing store is a usage error without create");
	ok(strstr(err.msg, "--create") != NULL, "and the message says how");
	ok(access(dir, F_OK) != 0, "and nothing was created");
	snprintf(dir, sizeof(dir), "%s/plain", tmp);
	mkdir(dir, 0755);
	is_int(w3s_store_open(dir, 0, &s, &err), W3S_EUSAGE,
	    "a directory without the marker is not a store");
	sh("printf 'w3sync-store 2\\n' > %s/w3sync-store", dir);
	is_int(w3s_store_open(dir, 0, &s, &err), W3S_EMALFORMED,
	    "a newer store format is refused");
	ok(strstr(err.msg, "newer") != NULL, "with a clear message: %s",
	    err.msg);

	s = store_at("s1", W3S_STORE_CREATE);
	is_int(w3s_bucket_open(s, 5, &ro, &b, &err), W3S_EUSAGE,
	    "a missing bucket is a usage error");
	ok(strstr(err.msg, "no bucket 5") != NULL, "named: %s", err.msg);
	is_int(w3s_bucket_open(s, 5, &cr, &b, &err), W3S_EUSAGE,
	    "create without write does not create");
	snprintf(dir, sizeof(dir), "%s/s1/buckets/5", tmp);
	ok(access(dir, F_OK) != 0, "no directory left behind");
	b = bucket(s, 5, W3S_STORE_CREATE | W3S_STORE_WRITE);
	commitment_of(b, &c);
	ok(c.start_seq == 0 && c.leaf_count == 0 && c.mmr_root[0] == 0 &&
	    memcmp(c.mmr_root, c.mmr_root + 1, 31) == 0,
	    "a new bucket commits to the empty MMR");
	w3s_bucket_close(b);
	b = bucket(s, 5, 0);
	is_int((long long)w3s_bucket_id(b), 5, "it opens for reading");
	w3s_bucket_close(b);
	b = bucket(s, 12, W3S_STORE_CREATE | W3S_STORE_WRITE);
	w3s_bucket_close(b);
	ok(w3s_store_buckets(s, &ids, &n, &err) == 0 && n == 2 &&
	    ids[0] == 5 && ids[1] == 12, "the store lists its buckets");
	free(ids);

	/* Format versions and foreign databases. */
	sh("sqlite3 %s/s1/buckets/12/meta.db 'PRAGMA user_version = 2'", tmp);
	is_int(w3s_bucket_open(s, 12, &ro, &b, &err), W3S_EMALFORMED,
	    "a newer bucket format is refused");
	ok(strstr(err.msg, "newer than this program supports") != NULL,
	    "clearly: %s", err.msg);
	sh("sqlite3 %s/s1/buckets/12/meta.db 'PRAGMA user_version = 1;"
	    " PRAGMA application_id = 7'", tmp);
	is_int(w3s_bucket_open(s, 12, &ro, &b, &err), W3S_EMALFORMED,
	    "another application's database is refused");
	sh("cp -r %s/s1/buckets/5 %s/s1/buckets/6", tmp, tmp);
	is_int(w3s_bucket_open(s, 6, &ro, &b, &err), W3S_ENOTAPPLY,
	    "a copied bucket directory is another bucket");
	ok(strstr(err.msg, "holds bucket 5") != NULL, "named: %s", err.msg);
	w3s_store_close(s);
}

static void
test_goldens(void)
{
	struct w3s_store *s = store_at("g", W3S_STORE_CREATE);
	struct w3s_bucket *b = bucket(s, 1, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_err err = { 0 };
	struct w3s_segment seg;
	struct w3s_commitment c;
	struct w3s_store_iter *it;
	struct w3s_checkpoint cp;
	int n = 0;

	ok(add_one(b, "hello world", 11, &seg, &c, &err) == 0,
	    "add hello world");
	is_hex(seg.leaf.data_root, 32, "256c83b297114d201b30179f3f0ef0cace97"
	    "83622da5974326b436178aeef610", "its data root is H(bytes)");
	is_hex(c.mmr_root, 32, "ec89c4bb9c2abf33c7d090e64b3d53f3886518930c61"
	    "cf9b9a0b866eff2406c9", "one leaf: the root is the leaf hash");
	ok(add_one(b, "goodbye moon", 12, &seg, &c, &err) == 0,
	    "add goodbye moon");
	is_int((long long)seg.leaf.total_size, 23, "total_size accumulates");
	is_hex(c.mmr_root, 32, "051cfeb922130ffefe7a9f68875b61fe1fa057dd90ad"
	    "33d6c8c21592d9cc9c2b", "two leaves: the pinned root");
	is_int((long long)c.leaf_count, 2, "leaf_count 2");
	ok(w3s_bucket_checkpoints(b, &c, &it, &err) == 0, "checkpoints of c");
	while (w3s_store_iter_checkpoint(it, &cp, &err) == 1)
		n++;
	w3s_store_iter_free(it);
	is_int(n, 1, "one signature on the new commitment");
	check_ok(b, W3S_CHECK_PAYLOADS, "self-check passes");
	w3s_bucket_close(b);
	w3s_store_close(s);
}

/* The vectors' items are [i; 8]: find i from the data root. */
static int
item_bytes(const char *root_hex, uint8_t out[8])
{
	uint8_t want[32], h[32];

	unhex(want, 32, root_hex);
	for (int i = 0; i < 256; i++) {
		memset(out, i, 8);
		w3s_hash_blake2b(h, out, 8);
		if (memcmp(h, want, 32) == 0)
			return 0;
	}
	return -1;
}

static void
test_bucket_ops(void)
{
	const char *dir = getenv("W3SYNC_VECTORS");
	char path[512];
	json_error_t jerr;
	json_t *all, *v;
	size_t i;
	int nvec = 0, id = 100;

	snprintf(path, sizeof(path), "%s/w3s/vectors.json",
	    dir ? dir : "../shared/vectors");
	all = json_load_file(path, JSON_DECODE_INT_AS_REAL, &jerr);
	if (!ok(all != NULL, "vectors.json loads (%s)", path))
		return;
	json_array_foreach(all, i, v) {
		struct w3s_store *s;
		struct w3s_bucket *b;
		json_t *ops, *exp, *op;
		size_t j;
		int good = 1;
		char why[256] = "";

		if (strcmp(json_string_value(json_object_get(v, "kind")),
		    "bucket_ops") != 0)
			continue;
		nvec++;
		s = store_at("ops", W3S_STORE_CREATE);
		b = bucket(s, (uint64_t)id++, W3S_STORE_CREATE |
		    W3S_STORE_WRITE);
		ops = json_object_get(json_object_get(v, "input"), "ops");
		exp = json_object_get(v, "expected");
		json_array_foreach(ops, j, op) {
			const char *name = json_string_value(json_object_get(op,
			    "op"));
			json_t *want = json_array_get(exp, j), *sizes, *item;
			struct w3s_commitment c, before;
			struct w3s_err err = { 0 };
			uint8_t root[32];
			size_t k;
			int rc;

			commitment_of(b, &before);
			if (strcmp(name, "commit") == 0) {
				rc = w3s_bucket_write_begin(b, &err);
				json_array_foreach(json_object_get(op, "items"),
				    k, item) {
					uint8_t bytes[8];
					struct w3s_segment seg;

					if (item_bytes(json_string_value(
					    json_object_get(item, "data_root")),
					    bytes) != 0)
						die("unknown bucket_ops item");
					if (rc == 0)
						rc = add_bytes(b, bytes, 8, &seg,
						    &err);
				}
				if (rc == 0)
					rc = commit_add(b, key, &c, &err);
			} else {
				uint64_t seq = (uint64_t)json_number_value(
				    json_object_get(op, "new_start_seq"));

				rc = drop_before(b, seq, &c, NULL, &err);
				if (rc == W3S_ENOTAPPLY) {
					/* k == 0 or k > count: no change. */
					rc = 0;
					commitment_of(b, &c);
					if (memcmp(&c, &before,
					    sizeof(c)) != 0)
						good = 0;
				}
			}
			if (rc != 0) {
				snprintf(why, sizeof(why), "op %zu: %s", j,
				    err.msg);
				good = 0;
				break;
			}
			unhex(root, 32, json_string_value(json_object_get(want,
			    "mmr_root")));
			if (memcmp(root, c.mmr_root, 32) != 0 ||
			    c.start_seq != (uint64_t)json_number_value(
			    json_object_get(want, "start_seq")) ||
			    c.leaf_count != (uint64_t)json_number_value(
			    json_object_get(want, "leaf_count"))) {
				snprintf(why, sizeof(why), "op %zu: commitment"
				    " differs", j);
				good = 0;
			}
			sizes = json_object_get(want, "total_sizes");
			json_array_foreach(sizes, k, item) {
				struct w3s_segment seg;

				if (w3s_bucket_segment(b, c.start_seq + k, &seg,
				    &err) != 0 || seg.leaf.total_size !=
				    (uint64_t)json_number_value(item)) {
					snprintf(why, sizeof(why), "op %zu:"
					    " total_size of leaf %zu", j, k);
					good = 0;
				}
			}
		}
		ok(good, "%s", json_string_value(json_object_get(v, "name")));
		if (!good)
			printf("# %s\n", why);
		check_ok(b, W3S_CHECK_PAYLOADS, "self-check after the vector");
		w3s_bucket_close(b);
		w3s_store_close(s);
	}
	ok(nvec >= 3, "%d bucket_ops vectors run", nvec);
	json_decref(all);
}

/* The persisted MMR equals the in-memory one; proofs verify. */
static void
test_mmr(void)
{
	struct w3s_store *s = store_at("m", W3S_STORE_CREATE);
	struct w3s_bucket *b = bucket(s, 1, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_err err = { 0 };
	struct w3s_mmr_mem mem;
	struct w3s_mmr_proof proof;
	struct w3s_segment seg;
	struct w3s_commitment c;
	uint8_t root[32], h[32], data[64];
	int roots_ok = 1, proofs_ok = 1, bound_ok = 1;

	w3s_mmr_mem_init(&mem);
	for (unsigned n = 1; n <= 40; n++) {
		memset(data, 0, sizeof(data));
		snprintf((char *)data, sizeof(data), "segment %u", n);
		if (add_one(b, data, 10 + n, &seg, &c, &err) != 0) {
			printf("# %s\n", err.msg);
			roots_ok = 0;
			break;
		}
		w3s_leaf_hash(&seg.leaf, h);
		w3s_mmr_mem_append(&mem, h, &err);
		w3s_mmr_mem_root(&mem, root);
		if (memcmp(root, c.mmr_root, 32) != 0)
			roots_ok = 0;
		for (uint64_t k = 0; k < n; k += 1 + n / 5) {
			if (w3s_bucket_prove(b, k, &proof, &err) != 0 ||
			    w3s_mmr_verify_bound(&proof, k, n, c.mmr_root) != 0)
				proofs_ok = 0;
			if (n > 1 && w3s_mmr_verify_bound(&proof, (k + 1) % n,
			    n, c.mmr_root) == 0)
				bound_ok = 0;
		}
	}
	ok(roots_ok, "stored MMR root equals the in-memory MMR for 1..40");
	ok(proofs_ok, "proofs from the stored nodes verify (bound check)");
	ok(bound_ok, "and not at another index");
	is_int(w3s_bucket_prove(b, 40, &proof, &err), W3S_ENOTAPPLY,
	    "no proof past the last leaf");
	check_ok(b, 0, "self-check passes");
	w3s_mmr_mem_release(&mem);
	w3s_bucket_close(b);
	w3s_store_close(s);
}

static void
test_fd_and_dedup(void)
{
	struct w3s_store *s = store_at("f", W3S_STORE_CREATE);
	struct w3s_bucket *b = bucket(s, 1, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_err err = { 0 };
	struct w3s_segment seg, seg2, seg3;
	struct w3s_commitment c;
	struct w3s_store_iter *it;
	struct w3s_chunk_ref ref;
	size_t len = 4 * W3S_CHUNK_SIZE + 5;
	uint8_t *data = malloc(len), (*hashes)[32] = malloc(5 * 32);
	uint8_t root[32];
	char path[128];
	int fd, n, firsts, payload_ok;

	if (data == NULL || hashes == NULL)
		die("out of memory");
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i % 251);
	for (int i = 0; i < 5; i++)
		w3s_hash_blake2b(hashes[i], data + (size_t)i * W3S_CHUNK_SIZE,
		    (size_t)w3s_chunk_len(len, (uint64_t)i));
	w3s_merkle_root((const uint8_t (*)[32])hashes, 5, root);
	snprintf(path, sizeof(path), "%s/blob", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		die("cannot write a test file");
	close(fd);

	w3s_bucket_write_begin(b, &err);
	fd = open(path, O_RDONLY);
	ok(w3s_bucket_segment_add_fd(b, fd, &seg, &err) == 0,
	    "a 5-chunk file through the ingest thread");
	close(fd);
	fd = open(path, O_RDONLY);
	ok(w3s_bucket_segment_add_fd(b, fd, &seg2, &err) == 0,
	    "the same file again");
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	ok(w3s_bucket_segment_add_fd(b, fd, &seg3, &err) == 0,
	    "an empty file");
	close(fd);
	ok(commit_add(b, key, &c, &err) == 0, "committed");
	ok(memcmp(seg.leaf.data_root, root, 32) == 0 &&
	    seg.leaf.data_size == len && seg.chunk_count == 5,
	    "data root, size and chunk count as w3s_merkle_root gives");
	is_hex(seg3.leaf.data_root, 32, "0e5751c026e543b2e8ab2eb06099daa1d1e5"
	    "df47778f7787faab45cdf12fe3a8", "the empty file is one empty chunk");
	is_int((long long)seg3.chunk_count, 1, "one chunk");

	n = 0;
	w3s_bucket_chunk_scan(b, &it, &err);
	while (w3s_store_iter_chunk(it, &ref, &err) == 1)
		n++;
	w3s_store_iter_free(it);
	is_int(n, 6, "a chunk already present is not stored again");

	n = firsts = 0;
	payload_ok = 1;
	w3s_bucket_chunks(b, 0, 3, W3S_CHUNKS_PAYLOAD, &it, &err);
	while (w3s_store_iter_chunk(it, &ref, &err) == 1) {
		uint8_t h[32];

		w3s_hash_blake2b(h, ref.data, (size_t)ref.size);
		if (!ref.present || memcmp(h, ref.hash, 32) != 0)
			payload_ok = 0;
		n++;
	}
	w3s_store_iter_free(it);
	is_int(n, 11, "11 chunk references in export order");
	ok(payload_ok, "each with its bytes");
	w3s_bucket_chunks(b, 0, 3, W3S_CHUNKS_FIRST, &it, &err);
	while (w3s_store_iter_chunk(it, &ref, &err) == 1)
		firsts++;
	w3s_store_iter_free(it);
	is_int(firsts, 6, "W3S_CHUNKS_FIRST gives each chunk once");
	check_ok(b, W3S_CHECK_PAYLOADS, "self-check with payloads");
	free(data);
	free(hashes);
	w3s_bucket_close(b);
	w3s_store_close(s);
}

/* A reader that began before a commit keeps its snapshot. */
static void
test_snapshot(void)
{
	struct w3s_store *s = store_at("r", W3S_STORE_CREATE);
	struct w3s_bucket *w = bucket(s, 1, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_bucket *r;
	struct w3s_err err = { 0 };
	struct w3s_commitment c0, c1, seen;
	struct w3s_commit_result res;
	struct w3s_segment seg;
	struct w3s_store_iter *it;
	struct w3s_chunk_ref ref;
	struct w3s_buf buf;
	uint8_t h[32];
	int n, present;

	add_one(w, "first", 5, &seg, &c0, &err);
	r = bucket(s, 1, 0);
	ok(w3s_bucket_read_begin(r, &err) == 0, "reader begins");
	commitment_of(r, &seen);
	ok(memcmp(&seen, &c0, sizeof(c0)) == 0, "it sees the first commitment");
	ok(add_one(w, "second", 6, &seg, &c1, &err) == 0,
	    "a writer commits meanwhile");
	commitment_of(r, &seen);
	ok(memcmp(&seen, &c0, sizeof(c0)) == 0,
	    "the reader still sees the old commitment");
	is_int(w3s_bucket_segment(r, 1, &seg, &err), W3S_ENOTAPPLY,
	    "and not the new segment");
	w3s_bucket_read_end(r);
	commitment_of(r, &seen);
	ok(memcmp(&seen, &c1, sizeof(c1)) == 0, "after read_end: the new one");

	/* A deletion while a reader is registered keeps the chunks. */
	ok(w3s_bucket_read_begin(r, &err) == 0, "reader begins again");
	ok(drop_before(w, 2, &c1, &res, &err) == 0, "writer drops everything");
	ok(res.freed_chunks == 0 && res.deferred_chunks == 2,
	    "freeing is deferred while the reader reads (%llu deferred)",
	    (unsigned long long)res.deferred_chunks);
	n = 0;
	present = 1;
	w3s_bucket_chunks(r, 0, 2, W3S_CHUNKS_PAYLOAD, &it, &err);
	while (w3s_store_iter_chunk(it, &ref, &err) == 1) {
		n++;
		present &= ref.present;
	}
	w3s_store_iter_free(it);
	ok(n == 2 && present, "the reader still reads every chunk it sees");
	w3s_bucket_read_end(r);
	ok(w3s_bucket_gc(w, &res.freed_chunks, &res.deferred_chunks, &err) ==
	    0 && res.freed_chunks == 2, "then the next writer frees them");
	w3s_hash_blake2b(h, "first", 5);
	w3s_buf_init(&buf);
	is_int(w3s_bucket_chunk_get(r, h, &buf, &err), W3S_EINCOMPLETE,
	    "the chunk is gone");
	w3s_buf_release(&buf);
	commitment_of(r, &seen);
	ok(seen.start_seq == 2 && seen.leaf_count == 0, "start_seq 2, empty");
	check_ok(w, 0, "self-check after deleting everything");
	w3s_bucket_close(r);
	w3s_bucket_close(w);
	w3s_store_close(s);
}

static void
test_lock(void)
{
	struct w3s_store *s = store_at("l", W3S_STORE_CREATE);
	struct w3s_bucket *w = bucket(s, 1, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_bucket_opts o = { W3S_STORE_WRITE, 0, "other" };
	struct w3s_bucket *w2 = NULL;
	struct w3s_err err = { 0 };
	char pid[32];

	is_int(w3s_bucket_open(s, 1, &o, &w2, &err), W3S_EBUSY,
	    "a second writer is busy");
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	ok(strstr(err.msg, "test_store") != NULL && strstr(err.msg, pid) !=
	    NULL && strstr(err.msg, "since") != NULL,
	    "named with program, pid and time: %s", err.msg);
	o.wait = 1;
	is_int(w3s_bucket_open(s, 1, &o, &w2, &err), W3S_EBUSY,
	    "still busy after --wait 1");
	ok(strstr(err.msg, "waited 1 s") != NULL, "and says so: %s", err.msg);
	w3s_bucket_close(w);
	ok(w3s_bucket_open(s, 1, &o, &w2, &err) == 0,
	    "free once the first closes");
	w3s_bucket_close(w2);
	w3s_store_close(s);
}

static void
test_abort_and_import(void)
{
	struct w3s_store *s = store_at("a", W3S_STORE_CREATE);
	struct w3s_bucket *b = bucket(s, 1, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_err err = { 0 };
	struct w3s_commitment c0, c;
	struct w3s_segment seg;
	struct w3s_leaf leaf;
	uint8_t h[32], h2[32];
	int present;

	add_one(b, "kept", 4, &seg, &c0, &err);
	w3s_bucket_write_begin(b, &err);
	add_bytes(b, (const uint8_t *)"dropped", 7, &seg, &err);
	w3s_bucket_write_abort(b, 0);
	commitment_of(b, &c);
	ok(memcmp(&c, &c0, sizeof(c)) == 0, "abort leaves the commitment");
	w3s_hash_blake2b(h, "dropped", 7);
	w3s_bucket_chunk_has(b, h, &present, &err);
	ok(!present, "and removes the chunks it stored");
	check_ok(b, 0, "self-check after abort");

	/* An importer: chunks first, then the segment by reference. */
	w3s_bucket_write_begin(b, &err);
	w3s_hash_blake2b(h2, "imported", 8);
	ok(w3s_bucket_chunk_put(b, h2, (const uint8_t *)"imported", 8, &present,
	    &err) == 0 && present, "chunk_put stores an unreferenced chunk");
	ok(w3s_bucket_segment_begin(b, &err) == 0 &&
	    w3s_bucket_segment_chunk(b, h, NULL, 0, &err) == W3S_EINCOMPLETE,
	    "a segment cannot reference a chunk that is not stored");
	w3s_bucket_write_abort(b, 1);
	w3s_bucket_chunk_has(b, h2, &present, &err);
	ok(present, "abort with keep_chunks keeps them for a resume");
	w3s_bucket_write_begin(b, &err);
	memcpy(leaf.data_root, h2, 32);
	leaf.data_size = 8;
	leaf.total_size = 1000;
	ok(w3s_bucket_segment_begin(b, &err) == 0 &&
	    w3s_bucket_segment_chunk(b, h2, NULL, 0, &err) == 0 &&
	    w3s_bucket_segment_end(b, &leaf, &seg, &err) == 0 &&
	    seg.leaf.total_size == 1000, "an imported leaf keeps its total_size");
	leaf.data_size = 9;
	ok(w3s_bucket_segment_begin(b, &err) == 0 &&
	    w3s_bucket_segment_chunk(b, h2, NULL, 0, &err) == 0 &&
	    w3s_bucket_segment_end(b, &leaf, &seg, &err) == W3S_EVERIFY,
	    "a leaf its chunks do not give is refused");
	is_int(w3s_bucket_write_prepare(b, &c, &err), W3S_EUSAGE,
	    "and the session can only be aborted");
	w3s_bucket_write_abort(b, 1);

	/* set_start on an empty bucket. */
	w3s_bucket_close(b);
	b = bucket(s, 2, W3S_STORE_CREATE | W3S_STORE_WRITE);
	w3s_bucket_write_begin(b, &err);
	ok(w3s_bucket_write_set_start(b, 100, &err) == 0,
	    "an empty bucket may start at 100");
	add_bytes(b, (const uint8_t *)"x", 1, &seg, &err);
	ok(commit_add(b, key, &c, &err) == 0 && c.start_seq == 100 &&
	    c.leaf_count == 1 && seg.seq == 100, "its first segment is 100");
	w3s_bucket_write_begin(b, &err);
	is_int(w3s_bucket_write_set_start(b, 5, &err), W3S_ENOTAPPLY,
	    "not once it holds a segment");
	w3s_bucket_write_abort(b, 0);
	check_ok(b, 0, "self-check");
	w3s_bucket_close(b);
	w3s_store_close(s);
}

/* Batches: sessions in one transaction, durable together; a session's
 * abort or the batch's rolls all of it back; a drop's chunks are freed
 * after the batch commits. */
static void
test_batch(void)
{
	struct w3s_store *s = store_at("batch", W3S_STORE_CREATE);
	struct w3s_bucket *b = bucket(s, 1, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_bucket *r = bucket(s, 1, 0);
	struct w3s_err err = { 0 };
	struct w3s_commitment c0, c1, c2, c, dropped;
	struct w3s_change ch[4];
	struct w3s_store_iter *it = NULL;
	struct w3s_segment seg;
	size_t n = 0;

	add_one(b, "base", 4, &seg, &c0, &err);
	ok(w3s_bucket_batch_begin(b, &err) == 0, "a batch begins");
	is_int(w3s_bucket_batch_begin(b, &err), W3S_EUSAGE,
	    "not inside another");
	ok(add_one(b, "one", 3, &seg, &c1, &err) == 0 &&
	    add_one(b, "two", 3, &seg, &c2, &err) == 0 && seg.seq == 2,
	    "two sessions commit into it, the second after the first");
	commitment_of(b, &c);
	ok(w3s_chain_commitment_eq(&c, &c2), "the writer sees the batch");
	commitment_of(r, &c);
	ok(w3s_chain_commitment_eq(&c, &c0),
	    "another connection sees the bucket as it was");
	ok(w3s_bucket_batch_commit(b, &err) == 0, "the batch commits");
	commitment_of(r, &c);
	ok(w3s_chain_commitment_eq(&c, &c2), "and then the other sees it");
	w3s_bucket_changes(b, 1, &it, &err);
	while (n < 4 && w3s_store_iter_change(it, &ch[n], &err) == 1)
		n++;
	w3s_store_iter_free(it);
	ok(n == 2 && w3s_chain_commitment_eq(&ch[0].base, &c0) &&
	    w3s_chain_commitment_eq(&ch[0].target, &c1) &&
	    w3s_chain_commitment_eq(&ch[1].base, &c1) &&
	    w3s_chain_commitment_eq(&ch[1].target, &c2),
	    "each session has its own change record");

	/* A session's abort takes the whole batch, keeping its chunks if
	 * asked. */
	w3s_bucket_batch_begin(b, &err);
	add_one(b, "three", 5, &seg, &c, &err);
	w3s_bucket_write_begin(b, &err);
	add_bytes(b, (const uint8_t *)"four", 4, &seg, &err);
	w3s_bucket_write_abort(b, 1);
	commitment_of(b, &c);
	ok(w3s_chain_commitment_eq(&c, &c2),
	    "a session's abort rolls the whole batch back");
	is_int(w3s_bucket_batch_commit(b, &err), W3S_EUSAGE,
	    "and ends it: nothing is left to commit");
	ok(stored(b, "three"), "keep_chunks keeps the chunks of the whole"
	    " batch");

	w3s_bucket_batch_begin(b, &err);
	add_one(b, "five", 4, &seg, &c, &err);
	w3s_bucket_batch_abort(b);
	commitment_of(b, &c);
	ok(w3s_chain_commitment_eq(&c, &c2) && !stored(b, "five"),
	    "batch_abort: the bucket as it was, the batch's chunks gone");

	w3s_bucket_batch_begin(b, &err);
	add_one(b, "six", 3, &seg, &c, &err);
	w3s_bucket_close(b);
	b = bucket(s, 1, W3S_STORE_WRITE);
	commitment_of(b, &c);
	ok(w3s_chain_commitment_eq(&c, &c2) && !stored(b, "six"),
	    "closing with a batch open rolls it back");

	/* A drop in a batch: its chunks are freed once the batch commits. */
	w3s_bucket_batch_begin(b, &err);
	ok(drop_before(b, 2, &dropped, NULL, &err) == 0 &&
	    add_one(b, "seven", 5, &seg, &c, &err) == 0 && seg.seq == 3,
	    "a drop, then an add, in one batch");
	ok(stored(b, "one"), "the dropped chunks stay while the batch is open");
	ok(w3s_bucket_batch_commit(b, &err) == 0, "the batch commits");
	ok(!stored(b, "one"), "then they are freed");
	commitment_of(r, &c2);
	ok(w3s_chain_commitment_eq(&c, &c2) && c.start_seq == 2 &&
	    c.leaf_count == 2, "at the add's commitment");
	check_ok(b, W3S_CHECK_PAYLOADS, "self-check after the batches");
	w3s_bucket_close(r);
	w3s_bucket_close(b);
	w3s_store_close(s);
}

/* An importer's change record keeps the producer's commit time. */
static void
test_change_time(void)
{
	struct w3s_store *s = store_at("time", W3S_STORE_CREATE);
	struct w3s_bucket *b = bucket(s, 1, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_err err = { 0 };
	struct w3s_store_iter *it = NULL;
	struct w3s_commitment c;
	struct w3s_segment seg;
	struct w3s_change ch[2];
	size_t n = 0;

	is_int(w3s_bucket_write_set_time(b, 1700000000, &err), W3S_EUSAGE,
	    "set_time needs a session");
	w3s_bucket_write_begin(b, &err);
	is_int(w3s_bucket_write_set_time(b, 0, &err), W3S_EUSAGE,
	    "and a time after 1970");
	ok(add_bytes(b, (const uint8_t *)"t", 1, &seg, &err) == 0 &&
	    w3s_bucket_write_set_time(b, 1700000000, &err) == 0 &&
	    commit_add(b, key, &c, &err) == 0, "a commit with a set time");
	add_one(b, "u", 1, &seg, &c, &err);
	w3s_bucket_changes(b, 0, &it, &err);
	while (n < 2 && w3s_store_iter_change(it, &ch[n], &err) == 1)
		n++;
	w3s_store_iter_free(it);
	ok(n == 2 && ch[0].created == 1700000000,
	    "its change record has that time");
	ok(n == 2 && ch[1].created > 1700000000,
	    "the next session's has its own commit time again");
	w3s_bucket_close(b);
	w3s_store_close(s);
}

static void
test_names_changes_trust(void)
{
	struct w3s_store *s = store_at("n", W3S_STORE_CREATE);
	struct w3s_bucket *b = bucket(s, 3, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_err err = { 0 };
	struct w3s_commitment c, c1;
	struct w3s_segment a, z;
	struct w3s_store_iter *it;
	struct w3s_change ch[3];
	struct w3s_name_entry e;
	struct w3s_deletion d;
	struct w3s_trust t;
	struct w3s_buf val;
	uint8_t root[32], pub[32], pub2[32], sig[64] = { 0 };
	int n, removed, found;

	w3s_bucket_write_begin(b, &err);
	add_bytes(b, (const uint8_t *)"alpha", 5, &a, &err);
	ok(w3s_bucket_name_set(b, "docs/alpha.txt", a.leaf.data_root,
	    &err) == 0, "name set");
	is_int(w3s_bucket_name_set(b, "bad\nname", a.leaf.data_root, &err),
	    W3S_EUSAGE, "a name with a control character is refused");
	add_bytes(b, (const uint8_t *)"zeta", 4, &z, &err);
	w3s_bucket_name_set(b, "zeta", z.leaf.data_root, &err);
	commit_add(b, key, &c1, &err);
	ok(w3s_bucket_name_get(b, "docs/alpha.txt", root, &err) == 0 &&
	    memcmp(root, a.leaf.data_root, 32) == 0, "name -> data root");
	ok(drop_before(b, 1, &c, NULL, &err) == 0, "drop the first segment");
	is_int(w3s_bucket_name_get(b, "docs/alpha.txt", root, &err),
	    W3S_ENOTAPPLY, "its name goes with it");
	ok(w3s_bucket_name_get(b, "zeta", root, &err) == 0, "the other stays");
	ok(w3s_bucket_deletion_last(b, &d, &err) == 0 &&
	    d.new_start_seq == 1 && memcmp(d.new_mmr_root, c.mmr_root, 32) ==
	    0, "the deletion certificate is kept");

	n = 0;
	w3s_bucket_changes(b, 0, &it, &err);
	while (n < 3 && w3s_store_iter_change(it, &ch[n], &err) == 1)
		n++;
	w3s_store_iter_free(it);
	ok(n == 2 && ch[0].kind == W3S_CHANGE_ADD && ch[0].first_seq == 0 &&
	    ch[0].added == 2 && ch[0].base.leaf_count == 0 &&
	    memcmp(&ch[0].target, &c1, sizeof(c1)) == 0,
	    "change 1: two segments added, base and target");
	ok(n == 2 && ch[1].kind == W3S_CHANGE_DROP && ch[1].added == 0 &&
	    ch[1].deletion_id == d.id && memcmp(&ch[1].base, &c1,
	    sizeof(c1)) == 0 && memcmp(&ch[1].target, &c, sizeof(c)) == 0,
	    "change 2: the drop with its certificate");
	n = 0;
	w3s_bucket_change_names(b, 2, &it, &err);
	while (w3s_store_iter_change_name(it, &e, &removed, &err) == 1)
		n += removed && strcmp(e.name, "docs/alpha.txt") == 0;
	w3s_store_iter_free(it);
	is_int(n, 1, "the drop records the name it removed");
	n = 0;
	w3s_bucket_names(b, &it, &err);
	while (w3s_store_iter_name(it, &e, &err) == 1)
		n++;
	w3s_store_iter_free(it);
	is_int(n, 1, "one name left");

	/* Signatures are checked before they are kept. */
	w3s_key_public(key, pub);
	is_int(w3s_bucket_checkpoint_add(b, &c, pub, sig, &err), W3S_EVERIFY,
	    "a bad checkpoint signature is refused");

	/* Trust settings and keys. */
	w3s_key_public(key2, pub2);
	ok(w3s_bucket_key_allowed(b, W3S_ROLE_ADMIN, pub2, &err) == 0,
	    "no admin keys recorded: any admin key is accepted");
	ok(w3s_bucket_key_add(b, W3S_ROLE_ADMIN, pub, &err) == 0,
	    "admin key recorded");
	is_int(w3s_bucket_key_allowed(b, W3S_ROLE_ADMIN, pub2, &err),
	    W3S_EVERIFY, "another key is no admin");
	ok(w3s_bucket_key_allowed(b, W3S_ROLE_ADMIN, pub, &err) == 0,
	    "the recorded one is");
	ok(w3s_bucket_key_allowed(b, W3S_ROLE_PRIMARY, pub2, &err) == 0,
	    "roles are separate");
	memset(&t, 0, sizeof(t));
	t.min_signers = 2;
	t.anchored = 1;
	t.anchor = c1;
	ok(w3s_bucket_trust_set(b, &t, &err) == 0, "trust settings set");
	memset(&t, 0, sizeof(t));
	ok(w3s_bucket_trust_get(b, &t, &err) == 0 && t.min_signers == 2 &&
	    t.anchored && memcmp(&t.anchor, &c1, sizeof(c1)) == 0,
	    "and read back");
	w3s_buf_init(&val);
	ok(w3s_bucket_setting_set(b, "handed-over", "yes", 3, &err) == 0 &&
	    w3s_bucket_setting_get(b, "handed-over", &val, &found, &err) ==
	    0 && found && val.len == 3 && memcmp(val.data, "yes", 3) == 0,
	    "a setting round-trips");
	val.len = 0;
	ok(w3s_bucket_setting_set(b, "handed-over", NULL, 0, &err) == 0 &&
	    w3s_bucket_setting_get(b, "handed-over", &val, &found, &err) ==
	    0 && !found, "and is removed");
	w3s_buf_release(&val);
	check_ok(b, W3S_CHECK_PAYLOADS, "self-check");
	w3s_bucket_close(b);

	b = bucket(s, 3, 0);
	is_int(w3s_bucket_write_begin(b, &err), W3S_EUSAGE,
	    "a bucket opened for reading cannot write");
	w3s_bucket_close(b);
	w3s_store_close(s);
}

/* The self-check finds what it should. */
static void
test_check(void)
{
	struct w3s_store *s = store_at("c", W3S_STORE_CREATE);
	struct w3s_bucket *b = bucket(s, 1, W3S_STORE_CREATE | W3S_STORE_WRITE);
	struct w3s_err err = { 0 };
	struct w3s_commitment c;
	struct w3s_segment seg;
	const char *db;
	char meta[160], chunks[160];

	add_one(b, "one", 3, &seg, &c, &err);
	add_one(b, "two", 3, &seg, &c, &err);
	add_one(b, "three", 5, &seg, &c, &err);
	w3s_bucket_close(b);
	snprintf(meta, sizeof(meta), "%s/c/buckets/1/meta.db", tmp);
	snprintf(chunks, sizeof(chunks), "%s/c/buckets/1/chunks.db", tmp);
	db = meta;
	b = bucket(s, 1, 0);
	check_ok(b, W3S_CHECK_PAYLOADS, "a sound bucket passes");

	sh("sqlite3 %s 'UPDATE leaf SET data_size = 4 WHERE seq = 1'", db);
	is_int(w3s_bucket_check(b, 0, NULL, &err), W3S_EVERIFY,
	    "a changed leaf is found");
	sh("sqlite3 %s 'UPDATE leaf SET data_size = 3 WHERE seq = 1'", db);
	sh("sqlite3 %s 'CREATE TABLE saved AS SELECT * FROM mmr_node;"
	    " UPDATE mmr_node SET hash = zeroblob(32) WHERE pos = 2'", db);
	is_int(w3s_bucket_check(b, 0, NULL, &err), W3S_EVERIFY,
	    "a changed mmr node is found");
	ok(strstr(err.msg, "mmr node 2") != NULL, "named: %s", err.msg);
	sh("sqlite3 %s 'UPDATE mmr_node SET hash = (SELECT hash FROM saved"
	    " WHERE saved.pos = mmr_node.pos); DROP TABLE saved'", db);
	check_ok(b, 0, "restored, it passes again");
	sh("sqlite3 %s 'UPDATE bucket SET leaf_count = 2'", db);
	is_int(w3s_bucket_check(b, 0, NULL, &err), W3S_EVERIFY,
	    "a commitment that does not match its leaves is found");
	sh("sqlite3 %s 'UPDATE bucket SET leaf_count = 3'", db);
	sh("sqlite3 %s \"UPDATE chunk SET data = X'0000' WHERE size = 5\"",
	    chunks);
	is_int(w3s_bucket_check(b, 0, NULL, &err), 0,
	    "without payloads a corrupt chunk is not looked at...");
	is_int(w3s_bucket_check(b, W3S_CHECK_PAYLOADS, NULL, &err),
	    W3S_EVERIFY, "...with them it is found");
	sh("sqlite3 %s 'DELETE FROM chunk WHERE size = 5'", chunks);
	is_int(w3s_bucket_check(b, 0, NULL, &err), W3S_EINCOMPLETE,
	    "a missing chunk is found");
	w3s_bucket_close(b);
	w3s_store_close(s);
}

/* ---- the helper mode for the BATS tests -------------------------------- */

static int
check_main(int argc, char **argv)
{
	struct w3s_store *s = NULL;
	struct w3s_bucket *b = NULL;
	struct w3s_check_report r;
	struct w3s_err err = { 0 };
	unsigned long long id;
	int flags = 0, rc;

	if (argc < 4) {
		fprintf(stderr, "usage: test_store check STORE BUCKET"
		    " [--payloads]\n");
		return 2;
	}
	id = strtoull(argv[3], NULL, 10);
	if (argc > 4 && strcmp(argv[4], "--payloads") == 0)
		flags = W3S_CHECK_PAYLOADS;
	if ((rc = w3s_store_open(argv[2], 0, &s, &err)) == 0 &&
	    (rc = w3s_bucket_open(s, id, NULL, &b, &err)) == 0)
		rc = w3s_bucket_check(b, flags, &r, &err);
	w3s_bucket_close(b);
	w3s_store_close(s);
	if (rc != 0) {
		fprintf(stderr, "test_store: check: %s\n", err.msg);
		return w3s_err_exit_status(rc);
	}
	printf("ok segments %llu chunk_refs %llu mmr_nodes %llu"
	    " checkpoints %llu deletions %llu\n",
	    (unsigned long long)r.segments, (unsigned long long)r.chunk_refs,
	    (unsigned long long)r.mmr_nodes,
	    (unsigned long long)r.checkpoints,
	    (unsigned long long)r.deletions);
	return 0;
}

int
main(int argc, char **argv)
{
	struct w3s_err err = { 0 };

	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return check_main(argc, argv);
	snprintf(tmp, sizeof(tmp), "/tmp/test_store.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		die("cannot make a temporary directory");
	snprintf(keypath, sizeof(keypath), "%s/k.pem", tmp);
	snprintf(key2path, sizeof(key2path), "%s/k2.pem", tmp);
	sh("openssl genpkey -algorithm ed25519 -out %s 2>/dev/null &&"
	    " openssl genpkey -algorithm ed25519 -out %s 2>/dev/null &&"
	    " chmod 600 %s %s", keypath, key2path, keypath, key2path);
	if (w3s_key_load_private(keypath, &key, &err) != 0 ||
	    w3s_key_load_private(key2path, &key2, &err) != 0)
		die(err.msg);

	test_open();
	test_goldens();
	test_bucket_ops();
	test_mmr();
	test_fd_and_dedup();
	test_snapshot();
	test_lock();
	test_abort_and_import();
	test_batch();
	test_change_time();
	test_names_changes_trust();
	test_check();

	w3s_key_free(key);
	w3s_key_free(key2);
	if (tap_failed == 0)
		sh("rm -rf %s", tmp);
	else
		printf("# kept %s\n", tmp);
	return tap_done();
}
