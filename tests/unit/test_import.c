/* The import engine: a bucket exported (lib/export) and imported into an
 * empty store reaches the same commitment; verification without a store
 * (w3s_import_verify_input) of one and of two archives; the trust policy
 * (root, keys, min_signers, unanchored); a full snapshot onto a non-empty
 * bucket and a delta onto another commitment (W3S_ENOTAPPLY, unchanged);
 * truncation at every 1/16 of the stream (W3S_EINCOMPLETE, a token, the
 * pending setting, the bucket unchanged); the event-by-event object. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/buf.h>
#include <w3s/export.h>
#include <w3s/import.h>
#include <w3s/key.h>
#include <w3s/scale.h>
#include <w3s/store.h>
#include <w3s/stream.h>

#include "tap.h"

static char tmp[64];
static struct w3s_key *key;
static uint8_t pub[W3S_PUBKEY_LEN];

static void
die(const char *what, const struct w3s_err *err)
{
	fprintf(stderr, "test_import: %s: %s\n", what, err ? err->msg : "");
	exit(99);
}

/* ---- a source bucket ---------------------------------------------------- */

static void
add_segments(struct w3s_bucket *b, size_t n, uint32_t seed)
{
	static uint8_t data[3 * 262144 + 17];
	struct w3s_commitment next;
	struct w3s_err err;
	uint8_t payload[W3S_PAYLOAD_V1_LEN], sig[W3S_SIGNATURE_LEN];

	if (w3s_bucket_write_begin(b, &err) != 0)
		die("write_begin", &err);
	for (size_t i = 0; i < n; i++) {
		size_t len = (i * 104729u + seed) % sizeof(data), off;

		if (i == 0)
			len = 0;
		for (size_t j = 0; j < len; j++)
			data[j] = (uint8_t)(j * 31 + i * 7 + seed);
		if (w3s_bucket_segment_begin(b, &err) != 0)
			die("segment_begin", &err);
		off = 0;
		do {
			size_t c = len - off < 262144 ? len - off : 262144;
			uint8_t h[32];

			w3s_hash_blake2b(h, data + off, c);
			if (w3s_bucket_segment_chunk(b, h, data + off, c,
			    &err) != 0)
				die("segment_chunk", &err);
			off += c;
		} while (off < len);
		if (w3s_bucket_segment_end(b, NULL, NULL, &err) != 0)
			die("segment_end", &err);
	}
	if (w3s_bucket_write_prepare(b, &next, &err) != 0)
		die("prepare", &err);
	w3s_payload_v1_encode(w3s_bucket_id(b), &next, payload);
	if (w3s_key_sign(key, payload, sizeof(payload), sig, &err) != 0 ||
	    w3s_bucket_checkpoint_add(b, &next, pub, sig, &err) != 0 ||
	    w3s_bucket_write_commit(b, NULL, &err) != 0)
		die("commit", &err);
}

static int
buf_out(void *ctx, const void *data, size_t len, struct w3s_err *err)
{
	w3s_buf_put(ctx, data, len);
	return 0;
}

/* Exports b (full, or a delta since seq when since != NULL) into out. */
static void
export_to(struct w3s_bucket *b, const struct w3s_export_since *since,
    struct w3s_buf *out)
{
	struct w3s_export_opts o = { since, 0, NULL, NULL, NULL };
	struct w3s_stream_writer *w;
	struct w3s_export_info info;
	struct w3s_export *x;
	struct w3s_err err;

	if ((w = w3s_stream_writer_new_cb(buf_out, out, 1, &err)) == NULL ||
	    w3s_export_begin(b, &o, &x, &err) != 0)
		die("export", &err);
	while (w3s_export_next(x, &info, &err) == 1)
		if (w3s_export_write(x, w, &err) != 0)
			die("export_write", &err);
	w3s_export_end(x);
	w3s_stream_writer_free(w);
}

/* ---- reading from memory ------------------------------------------------ */

struct mem {
	const uint8_t *p;
	size_t len, off;
};

static long
mem_read(void *ctx, void *buf, size_t cap, struct w3s_err *err)
{
	struct mem *m = ctx;
	size_t n = m->len - m->off < cap ? m->len - m->off : cap;

	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (long)n;
}

/* Imports every archive of data[0..len) into store dir; returns the first
 * failure, res the last archive's result. */
static int
import_mem(const char *dir, const uint8_t *data, size_t len,
    const struct w3s_import_trust *t, struct w3s_import_result *res,
    struct w3s_err *err)
{
	struct w3s_bucket_opts bo = { W3S_STORE_CREATE | W3S_STORE_WRITE, 0,
	    "test_import" };
	struct mem m = { data, len, 0 };
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct w3s_store *s;
	int rc;

	memset(res, 0, sizeof(*res));
	if (w3s_store_open(dir, W3S_STORE_CREATE, &s, err) != 0)
		die("store_open", err);
	if ((r = w3s_stream_reader_new_cb(mem_read, &m, err)) == NULL)
		die("reader", err);
	while ((rc = w3s_stream_next(r, &ev, err)) == 0 &&
	    ev.type == W3S_STREAM_EV_MANIFEST) {
		struct w3s_bucket *b;

		if ((rc = w3s_bucket_open(s, ev.u.manifest->bucket, &bo, &b,
		    err)) != 0)
			break;
		rc = w3s_import_archive(r, b, ev.u.manifest, t, NULL, res, err);
		w3s_bucket_close(b);
		if (rc != 0)
			break;
	}
	w3s_stream_reader_free(r);
	w3s_store_close(s);
	return rc;
}

static void
commitment_of(const char *dir, uint64_t id, struct w3s_commitment *c)
{
	struct w3s_store *s;
	struct w3s_bucket *b;
	struct w3s_err err;

	memset(c, 0, sizeof(*c));
	if (w3s_store_open(dir, 0, &s, &err) != 0)
		return;
	if (w3s_bucket_open(s, id, NULL, &b, &err) == 0) {
		w3s_bucket_commitment(b, c, &err);
		w3s_bucket_close(b);
	}
	w3s_store_close(s);
}

static int
same(const struct w3s_commitment *a, const struct w3s_commitment *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static int
verify_mem(const uint8_t *data, size_t len, const struct w3s_import_trust *t,
    uint64_t *n, struct w3s_err *err)
{
	struct mem m = { data, len, 0 };
	struct w3s_stream_reader *r;
	int rc;

	if ((r = w3s_stream_reader_new_cb(mem_read, &m, err)) == NULL)
		die("reader", err);
	rc = w3s_import_verify_input(r, t, NULL, n, err);
	w3s_stream_reader_free(r);
	return rc;
}

int
main(void)
{
	struct w3s_bucket_opts bo = { W3S_STORE_CREATE | W3S_STORE_WRITE, 0,
	    "test_import" };
	struct w3s_commitment src, c, mid;
	struct w3s_import_result res;
	struct w3s_import_trust t;
	struct w3s_buf full, full9, both, delta;
	struct w3s_export_since since;
	struct w3s_store *s;
	struct w3s_bucket *b7, *b9;
	struct w3s_err err;
	char dir[128], cmd[200];
	uint8_t seed[32] = { 1, 2, 3 };
	uint64_t n;
	int rc;

	snprintf(tmp, sizeof(tmp), "/tmp/test_import.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		die("mkdtemp", NULL);
	if (w3s_key_from_raw_private(seed, &key, &err) != 0)
		die("key", &err);
	w3s_key_public(key, pub);

	/* Source: bucket 7 with 12 segments, then 3 more; bucket 9. */
	snprintf(dir, sizeof(dir), "%s/src", tmp);
	if (w3s_store_open(dir, W3S_STORE_CREATE, &s, &err) != 0 ||
	    w3s_bucket_open(s, 7, &bo, &b7, &err) != 0 ||
	    w3s_bucket_open(s, 9, &bo, &b9, &err) != 0)
		die("source", &err);
	add_segments(b7, 12, 5);
	add_segments(b9, 2, 9);
	w3s_buf_init(&full);
	w3s_buf_init(&full9);
	w3s_buf_init(&both);
	w3s_buf_init(&delta);
	export_to(b7, NULL, &full);
	export_to(b9, NULL, &full9);
	w3s_bucket_commitment(b7, &mid, &err);
	add_segments(b7, 3, 77);
	memset(&since, 0, sizeof(since));
	since.seq = mid.start_seq + mid.leaf_count;
	export_to(b7, &since, &delta);
	w3s_bucket_commitment(b7, &src, &err);
	w3s_bucket_close(b7);
	w3s_bucket_close(b9);
	w3s_store_close(s);
	w3s_buf_put(&both, full.data, full.len);
	w3s_buf_put(&both, full9.data, full9.len);

	/* Verification without a store. */
	rc = verify_mem(full.data, full.len, NULL, &n, &err);
	ok(rc == 0 && n == 1, "verify: one full archive (%s)", err.msg);
	rc = verify_mem(both.data, both.len, NULL, &n, &err);
	ok(rc == 0 && n == 2, "verify: two archives back to back");
	rc = verify_mem(delta.data, delta.len, NULL, &n, &err);
	ok(rc == 0 && n == 1, "verify: a delta (root not checkable)");
	rc = verify_mem(full.data, full.len / 2, NULL, &n, &err);
	ok(rc == W3S_EINCOMPLETE, "verify: half a stream is incomplete");
	memset(&t, 0, sizeof(t));
	t.has_root = 1;
	rc = verify_mem(full.data, full.len, &t, &n, &err);
	ok(rc == W3S_EVERIFY, "verify: a wrong trusted root fails");

	/* Import into an empty store, with the key trusted. */
	memset(&t, 0, sizeof(t));
	t.keys = (const uint8_t (*)[W3S_PUBKEY_LEN])&pub;
	t.nkeys = 1;
	t.remember = 1;
	t.use_bucket = 1;
	snprintf(dir, sizeof(dir), "%s/dst", tmp);
	rc = import_mem(dir, full.data, full.len, &t, &res, &err);
	commitment_of(dir, 7, &c);
	ok(rc == 0 && same(&c, &mid), "full import reaches the source's"
	    " commitment (%s)", rc ? err.msg : "ok");
	ok(res.anchored && !res.anchored_by_root && res.trusted_signers == 1 &&
	    res.root_checked && res.segments == 12, "result: anchored by"
	    " keys, root checked, 12 segments");
	rc = import_mem(dir, full.data, full.len, NULL, &res, &err);
	ok(rc == 0 && res.already, "the same archive again: already there");
	/* The delta, trusting the remembered key only. */
	memset(&t, 0, sizeof(t));
	t.use_bucket = 1;
	rc = import_mem(dir, delta.data, delta.len, &t, &res, &err);
	commitment_of(dir, 7, &c);
	ok(rc == 0 && same(&c, &src) && res.anchored, "delta onto its base"
	    " reaches the source, anchored by the remembered key");
	/* Full snapshot onto a non-empty bucket; the delta again elsewhere. */
	rc = import_mem(dir, full9.data, full9.len, NULL, &res, &err);
	ok(rc == 0, "bucket 9 imported");
	snprintf(dir, sizeof(dir), "%s/other", tmp);
	rc = import_mem(dir, full9.data, full9.len, NULL, &res, &err);
	rc = import_mem(dir, delta.data, delta.len, NULL, &res, &err);
	commitment_of(dir, 7, &c);
	ok(rc == W3S_ENOTAPPLY && c.leaf_count == 0, "a delta onto another"
	    " commitment does not apply, nothing changes");

	/* Truncation at every 1/16. */
	for (int i = 1; i < 16; i++) {
		size_t cut = full.len * (size_t)i / 16;

		snprintf(dir, sizeof(dir), "%s/cut%d", tmp, i);
		rc = import_mem(dir, full.data, cut, NULL, &res, &err);
		commitment_of(dir, 7, &c);
		ok(rc == W3S_EINCOMPLETE && c.leaf_count == 0 &&
		    (res.has_token || res.bucket == 0), "cut at %zu: incomplete,"
		    " unchanged%s", cut, res.has_token ? ", token" : "");
		if (res.has_token) {
			rc = import_mem(dir, full.data, full.len, NULL, &res,
			    &err);
			commitment_of(dir, 7, &c);
			ok(rc == 0 && same(&c, &mid) &&
			    res.chunks_skipped > 0, "cut at %zu: the whole"
			    " file again completes, skipping stored chunks",
			    cut);
		}
	}

	w3s_buf_release(&full);
	w3s_buf_release(&full9);
	w3s_buf_release(&both);
	w3s_buf_release(&delta);
	w3s_key_free(key);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "test_import: could not remove %s\n", tmp);
	return tap_done();
}
