/* The DAG-CBOR records of a w3sync stream: struct <-> tree <-> bytes, with
 * the consistency rules of man/w3sync-stream.5. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/buf.h>
#include <w3s/cbor.h>
#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/key.h>
#include <w3s/manifest.h>
#include <w3s/scale.h>

/* ---- building trees -------------------------------------------------- */

static struct w3s_cbor *
commitment_tree(const struct w3s_commitment *c)
{
	struct w3s_cbor *m = w3s_cbor_new_map();

	w3s_cbor_map_put(m, "mmr_root", w3s_cbor_new_bytes(c->mmr_root,
	    W3S_H256));
	w3s_cbor_map_put(m, "start_seq", w3s_cbor_new_uint(c->start_seq));
	w3s_cbor_map_put(m, "leaf_count", w3s_cbor_new_uint(c->leaf_count));
	return m;
}

static struct w3s_cbor *
sigs_tree(const struct w3s_commit_sig *sigs, size_t n)
{
	struct w3s_cbor *arr = w3s_cbor_new_array();

	for (size_t i = 0; i < n; i++) {
		struct w3s_cbor *s = w3s_cbor_new_map();

		w3s_cbor_map_put(s, "key", w3s_cbor_new_bytes(sigs[i].key,
		    W3S_PUBKEY_LEN));
		w3s_cbor_map_put(s, "sig", w3s_cbor_new_bytes(sigs[i].sig,
		    W3S_SIGNATURE_LEN));
		w3s_cbor_array_push(arr, s);
	}
	return arr;
}

/* ---- reading trees --------------------------------------------------- */

static int
check_keys(const struct w3s_cbor *map, const char *what,
    const char *const *allowed, struct w3s_err *err)
{
	int rc;

	if (w3s_cbor_type(map) != W3S_CBOR_MAP)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%s: expected map, got %s", what,
		    w3s_cbor_type_name(w3s_cbor_type(map)));
	if ((rc = w3s_cbor_map_check_keys(map, allowed, err)) != 0)
		return w3s_err_wrap(err, "%s", what);
	return 0;
}

static int
commitment_from(const struct w3s_cbor *m, const char *what,
    struct w3s_commitment *c, struct w3s_err *err)
{
	static const char *const keys[] = { "mmr_root", "start_seq",
	    "leaf_count", NULL };
	int rc;

	if ((rc = check_keys(m, what, keys, err)) != 0)
		return rc;
	if ((rc = w3s_cbor_get_bytes_fixed(m, "mmr_root", c->mmr_root,
	    W3S_H256, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "start_seq", &c->start_seq,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "leaf_count", &c->leaf_count,
	    err)) != 0)
		return w3s_err_wrap(err, "%s", what);
	return 0;
}

static int
sigs_from(const struct w3s_cbor *map, const char *key,
    struct w3s_commit_sig *sigs, size_t *n, struct w3s_err *err)
{
	static const char *const keys[] = { "key", "sig", NULL };
	const struct w3s_cbor *arr = NULL;
	size_t count = 0;
	int rc;

	if ((rc = w3s_cbor_get_array(map, key, &arr, &count, err)) != 0)
		return rc;
	if (count > W3S_SIGS_MAX)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%s: %zu signatures, at most %d allowed", key, count,
		    W3S_SIGS_MAX);
	for (size_t i = 0; i < count; i++) {
		const struct w3s_cbor *s = w3s_cbor_array_at(arr, i);

		if ((rc = check_keys(s, key, keys, err)) != 0 ||
		    (rc = w3s_cbor_get_bytes_fixed(s, "key", sigs[i].key,
		    W3S_PUBKEY_LEN, err)) != 0 ||
		    (rc = w3s_cbor_get_bytes_fixed(s, "sig", sigs[i].sig,
		    W3S_SIGNATURE_LEN, err)) != 0)
			return w3s_err_wrap(err, "%s[%zu]", key, i);
	}
	*n = count;
	return 0;
}

/* Manifests and trailers are small maps: a few hundred items at most. */
static const struct w3s_cbor_limits small_limits = { 8, 4096 };

static int
decode_map(const uint8_t *buf, size_t len, const char *what,
    struct w3s_cbor **out, struct w3s_err *err)
{
	int rc;

	if ((rc = w3s_cbor_decode(buf, len, &small_limits, out, err)) != 0)
		return w3s_err_wrap(err, "%s", what);
	if (w3s_cbor_type(*out) != W3S_CBOR_MAP) {
		rc = w3s_err_set(err, W3S_EMALFORMED, "%s: expected map, got %s",
		    what, w3s_cbor_type_name(w3s_cbor_type(*out)));
		w3s_cbor_free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- the manifest ---------------------------------------------------- */

uint64_t
w3s_manifest_carried_chunks(const struct w3s_manifest *m)
{
	return m->counts.chunks - m->resume_chunk;
}

uint64_t
w3s_manifest_carried_bytes(const struct w3s_manifest *m)
{
	return m->counts.chunk_bytes - m->resume_byte;
}

/* 1 if bytes can be spread over chunks chunks of at most 262144 bytes. */
static int
bytes_fit(uint64_t bytes, uint64_t chunks)
{
	if (chunks > UINT64_MAX / W3S_STREAM_CHUNK_MAX)
		return 1;
	return bytes <= chunks * W3S_STREAM_CHUNK_MAX;
}

int
w3s_manifest_check(const struct w3s_manifest *m, int code,
    struct w3s_err *err)
{
	const struct w3s_stream_counts *c = &m->counts;

	if (m->kind != W3S_STREAM_FULL && m->kind != W3S_STREAM_DELTA)
		return w3s_err_set(err, code, "manifest: unknown kind %d",
		    (int)m->kind);
	if (m->kind == W3S_STREAM_DELTA && !m->has_base)
		return w3s_err_set(err, code,
		    "manifest: a delta needs a base commitment");
	if (m->kind == W3S_STREAM_FULL && m->has_base)
		return w3s_err_set(err, code,
		    "manifest: a full snapshot has no base commitment");
	if (m->nsigs > W3S_SIGS_MAX)
		return w3s_err_set(err, code,
		    "manifest: %zu signatures, at most %d allowed", m->nsigs,
		    W3S_SIGS_MAX);
	if (c->segments > c->chunk_refs || (c->segments == 0) !=
	    (c->chunk_refs == 0))
		return w3s_err_set(err, code, "manifest: %llu segments cannot "
		    "hold %llu chunk hashes", (unsigned long long)c->segments,
		    (unsigned long long)c->chunk_refs);
	if (c->chunks > c->chunk_refs)
		return w3s_err_set(err, code, "manifest: %llu chunks but only "
		    "%llu chunk hashes in the segments",
		    (unsigned long long)c->chunks,
		    (unsigned long long)c->chunk_refs);
	if (!bytes_fit(c->chunk_bytes, c->chunks))
		return w3s_err_set(err, code,
		    "manifest: %llu bytes do not fit in %llu chunks",
		    (unsigned long long)c->chunk_bytes,
		    (unsigned long long)c->chunks);
	if (m->resume_chunk > c->chunks || m->resume_byte > c->chunk_bytes ||
	    (m->resume_chunk == 0 && m->resume_byte != 0) ||
	    (m->resume_chunk == c->chunks && m->resume_byte != c->chunk_bytes) ||
	    !bytes_fit(m->resume_byte, m->resume_chunk) ||
	    !bytes_fit(c->chunk_bytes - m->resume_byte,
	    c->chunks - m->resume_chunk))
		return w3s_err_set(err, code, "manifest: resume position "
		    "(chunk %llu, byte %llu) is outside the totals (%llu "
		    "chunks, %llu bytes)", (unsigned long long)m->resume_chunk,
		    (unsigned long long)m->resume_byte,
		    (unsigned long long)c->chunks,
		    (unsigned long long)c->chunk_bytes);
	return 0;
}

static struct w3s_cbor *
manifest_tree(const struct w3s_manifest *m, int resumed)
{
	struct w3s_cbor *t = w3s_cbor_new_map();
	struct w3s_cbor *c = w3s_cbor_new_map();
	struct w3s_cbor *r = w3s_cbor_new_map();

	w3s_cbor_map_put(t, "format", w3s_cbor_new_text(W3S_STREAM_FORMAT));
	w3s_cbor_map_put(t, "version", w3s_cbor_new_uint(W3S_STREAM_VERSION));
	w3s_cbor_map_put(t, "kind", w3s_cbor_new_text(
	    m->kind == W3S_STREAM_FULL ? "full" : "delta"));
	w3s_cbor_map_put(t, "bucket", w3s_cbor_new_uint(m->bucket));
	if (m->has_base)
		w3s_cbor_map_put(t, "base", commitment_tree(&m->base));
	w3s_cbor_map_put(t, "target", commitment_tree(&m->target));
	w3s_cbor_map_put(t, "signatures", sigs_tree(m->sigs, m->nsigs));

	w3s_cbor_map_put(c, "segments", w3s_cbor_new_uint(m->counts.segments));
	w3s_cbor_map_put(c, "chunk_refs",
	    w3s_cbor_new_uint(m->counts.chunk_refs));
	w3s_cbor_map_put(c, "checkpoints",
	    w3s_cbor_new_uint(m->counts.checkpoints));
	w3s_cbor_map_put(c, "deletions",
	    w3s_cbor_new_uint(m->counts.deletions));
	w3s_cbor_map_put(c, "index", w3s_cbor_new_uint(m->counts.index));
	w3s_cbor_map_put(c, "chunks", w3s_cbor_new_uint(m->counts.chunks));
	w3s_cbor_map_put(c, "chunk_bytes",
	    w3s_cbor_new_uint(m->counts.chunk_bytes));
	w3s_cbor_map_put(t, "counts", c);

	w3s_cbor_map_put(r, "chunk", w3s_cbor_new_uint(resumed ?
	    m->resume_chunk : 0));
	w3s_cbor_map_put(r, "byte", w3s_cbor_new_uint(resumed ?
	    m->resume_byte : 0));
	w3s_cbor_map_put(t, "resume", r);

	if (m->has_producer)
		w3s_cbor_map_put(t, "producer", w3s_cbor_new_bytes(m->producer,
		    W3S_PUBKEY_LEN));
	w3s_cbor_map_put(t, "created", w3s_cbor_new_uint(m->created));
	return t;
}

int
w3s_manifest_encode(const struct w3s_manifest *m, struct w3s_buf *out,
    struct w3s_err *err)
{
	int rc;

	if ((rc = w3s_manifest_check(m, W3S_EUSAGE, err)) != 0)
		return rc;
	return w3s_cbor_encode_free(manifest_tree(m, 1), out, err);
}

int
w3s_manifest_snapshot_id(const struct w3s_manifest *m,
    uint8_t id[W3S_HASH_LEN], struct w3s_err *err)
{
	struct w3s_buf b;
	int rc;

	if ((rc = w3s_manifest_check(m, W3S_EUSAGE, err)) != 0)
		return rc;
	w3s_buf_init(&b);
	if ((rc = w3s_cbor_encode_free(manifest_tree(m, 0), &b, err)) == 0)
		w3s_hash_blake2b(id, b.data, b.len);
	w3s_buf_release(&b);
	return rc;
}

static int
counts_from(const struct w3s_cbor *t, struct w3s_stream_counts *c,
    struct w3s_err *err)
{
	static const char *const keys[] = { "segments", "chunk_refs",
	    "checkpoints", "deletions", "index", "chunks", "chunk_bytes",
	    NULL };
	const struct w3s_cbor *m = NULL;
	int rc;

	if ((rc = w3s_cbor_get_map(t, "counts", &m, err)) != 0 ||
	    (rc = check_keys(m, "counts", keys, err)) != 0)
		return rc;
	if ((rc = w3s_cbor_get_uint(m, "segments", &c->segments, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "chunk_refs", &c->chunk_refs,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "checkpoints", &c->checkpoints,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "deletions", &c->deletions,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "index", &c->index, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "chunks", &c->chunks, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "chunk_bytes", &c->chunk_bytes,
	    err)) != 0)
		return w3s_err_wrap(err, "counts");
	return 0;
}

static int
manifest_from(const struct w3s_cbor *t, struct w3s_manifest *m,
    struct w3s_err *err)
{
	static const char *const keys[] = { "format", "version", "kind",
	    "bucket", "base", "target", "signatures", "counts", "resume",
	    "producer", "created", NULL };
	static const char *const rkeys[] = { "chunk", "byte", NULL };
	const struct w3s_cbor *sub = NULL;
	const char *s = NULL;
	uint64_t version = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	/* Format and version first: a newer stream is refused as such, not
	 * for the fields it added. */
	if ((rc = w3s_cbor_get_text(t, "format", &s, NULL, err)) != 0)
		return rc;
	if (strcmp(s, W3S_STREAM_FORMAT) != 0)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "format \"%.64s\" is not \"%s\"", s, W3S_STREAM_FORMAT);
	if ((rc = w3s_cbor_get_uint(t, "version", &version, err)) != 0)
		return rc;
	if (version != W3S_STREAM_VERSION)
		return w3s_err_set(err, W3S_EMALFORMED, "stream version %llu "
		    "is not supported (this build reads version %d)",
		    (unsigned long long)version, W3S_STREAM_VERSION);
	if ((rc = check_keys(t, "manifest", keys, err)) != 0)
		return rc;
	if ((rc = w3s_cbor_get_text(t, "kind", &s, NULL, err)) != 0)
		return rc;
	if (strcmp(s, "full") == 0)
		m->kind = W3S_STREAM_FULL;
	else if (strcmp(s, "delta") == 0)
		m->kind = W3S_STREAM_DELTA;
	else
		return w3s_err_set(err, W3S_EMALFORMED,
		    "kind \"%.64s\" is neither \"full\" nor \"delta\"", s);
	if ((rc = w3s_cbor_get_uint(t, "bucket", &m->bucket, err)) != 0)
		return rc;
	if ((sub = w3s_cbor_map_get(t, "base")) != NULL) {
		if ((rc = commitment_from(sub, "base", &m->base, err)) != 0)
			return rc;
		m->has_base = 1;
	}
	if ((rc = w3s_cbor_get_map(t, "target", &sub, err)) != 0 ||
	    (rc = commitment_from(sub, "target", &m->target, err)) != 0 ||
	    (rc = sigs_from(t, "signatures", m->sigs, &m->nsigs, err)) != 0 ||
	    (rc = counts_from(t, &m->counts, err)) != 0)
		return rc;
	if ((rc = w3s_cbor_get_map(t, "resume", &sub, err)) != 0 ||
	    (rc = check_keys(sub, "resume", rkeys, err)) != 0)
		return rc;
	if ((rc = w3s_cbor_get_uint(sub, "chunk", &m->resume_chunk,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(sub, "byte", &m->resume_byte, err)) != 0)
		return w3s_err_wrap(err, "resume");
	if (w3s_cbor_map_get(t, "producer") != NULL) {
		if ((rc = w3s_cbor_get_bytes_fixed(t, "producer", m->producer,
		    W3S_PUBKEY_LEN, err)) != 0)
			return rc;
		m->has_producer = 1;
	}
	if ((rc = w3s_cbor_get_uint(t, "created", &m->created, err)) != 0)
		return rc;
	return w3s_manifest_check(m, W3S_EMALFORMED, err);
}

int
w3s_manifest_decode(const uint8_t *buf, size_t len, struct w3s_manifest *m,
    struct w3s_err *err)
{
	struct w3s_cbor *t = NULL;
	int rc;

	if ((rc = decode_map(buf, len, "manifest", &t, err)) != 0)
		return rc;
	rc = manifest_from(t, m, err);
	w3s_cbor_free(t);
	if (rc != 0 && rc != W3S_ESYS)
		w3s_err_wrap(err, "manifest");
	return rc;
}

/* Checks one Ed25519 signature over CommitmentPayload v1. */
static int
verify_payload(uint64_t bucket, const struct w3s_commitment *c,
    const uint8_t key[W3S_PUBKEY_LEN], const uint8_t sig[W3S_SIGNATURE_LEN],
    const char *what, struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	char hex[W3S_HEX32_LEN];

	w3s_payload_v1_encode(bucket, c, payload);
	if (w3s_key_verify(key, payload, sizeof(payload), sig) == 0)
		return 0;
	w3s_hex32_format(hex, key);
	return w3s_err_set(err, W3S_EVERIFY, "%s: signature by %s over the "
	    "commitment payload does not verify", what, hex);
}

int
w3s_manifest_verify_sigs(const struct w3s_manifest *m, struct w3s_err *err)
{
	int rc;

	for (size_t i = 0; i < m->nsigs; i++)
		if ((rc = verify_payload(m->bucket, &m->target, m->sigs[i].key,
		    m->sigs[i].sig, "manifest target", err)) != 0)
			return rc;
	return 0;
}

/* ---- metadata records ------------------------------------------------ */

static const char *const kind_names[W3S_META_KINDS] = {
	"deletions", "segments", "checkpoints", "index",
};

const char *
w3s_meta_kind_name(enum w3s_meta_kind kind)
{
	if ((unsigned)kind >= W3S_META_KINDS)
		return NULL;
	return kind_names[kind];
}

int
w3s_meta_kind_from_name(const char *name, size_t len,
    enum w3s_meta_kind *kind)
{
	for (int i = 0; i < W3S_META_KINDS; i++)
		if (strlen(kind_names[i]) == len &&
		    memcmp(kind_names[i], name, len) == 0) {
			*kind = (enum w3s_meta_kind)i;
			return 0;
		}
	return -1;
}

/* The canonical split of a segment's chunk list: records start at
 * multiples of W3S_SEGMENT_PIECE_MAX and are full but for the last. */
static int
segment_check(const struct w3s_segment_rec *s, int code, struct w3s_err *err)
{
	uint64_t count = w3s_chunk_count(s->leaf.data_size);
	uint64_t want;

	if (s->first >= count || s->first % W3S_SEGMENT_PIECE_MAX != 0)
		return w3s_err_set(err, code, "segment %llu: chunk list piece "
		    "at %llu (the segment has %llu chunks, pieces start at "
		    "multiples of %d)", (unsigned long long)s->seq,
		    (unsigned long long)s->first, (unsigned long long)count,
		    W3S_SEGMENT_PIECE_MAX);
	want = count - s->first;
	if (want > W3S_SEGMENT_PIECE_MAX)
		want = W3S_SEGMENT_PIECE_MAX;
	if (s->nhashes != want)
		return w3s_err_set(err, code, "segment %llu: piece at %llu "
		    "holds %zu chunk hashes, %llu expected",
		    (unsigned long long)s->seq, (unsigned long long)s->first,
		    s->nhashes, (unsigned long long)want);
	return 0;
}

int
w3s_segment_encode(const struct w3s_segment_rec *s, struct w3s_buf *out,
    struct w3s_err *err)
{
	struct w3s_cbor *t;
	int rc;

	if ((rc = segment_check(s, W3S_EUSAGE, err)) != 0)
		return rc;
	t = w3s_cbor_new_map();
	w3s_cbor_map_put(t, "seq", w3s_cbor_new_uint(s->seq));
	w3s_cbor_map_put(t, "data_root", w3s_cbor_new_bytes(s->leaf.data_root,
	    W3S_H256));
	w3s_cbor_map_put(t, "data_size", w3s_cbor_new_uint(s->leaf.data_size));
	w3s_cbor_map_put(t, "total_size",
	    w3s_cbor_new_uint(s->leaf.total_size));
	w3s_cbor_map_put(t, "first", w3s_cbor_new_uint(s->first));
	w3s_cbor_map_put(t, "chunks", w3s_cbor_new_bytes(s->hashes,
	    s->nhashes * W3S_H256));
	return w3s_cbor_encode_free(t, out, err);
}

int
w3s_segment_from_cbor(const struct w3s_cbor *t, struct w3s_segment_rec *s,
    struct w3s_err *err)
{
	static const char *const keys[] = { "seq", "data_root", "data_size",
	    "total_size", "first", "chunks", NULL };
	const uint8_t *hashes = NULL;
	size_t len = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = check_keys(t, "segment", keys, err)) != 0)
		return rc;
	if ((rc = w3s_cbor_get_uint(t, "seq", &s->seq, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "data_root", s->leaf.data_root,
	    W3S_H256, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(t, "data_size", &s->leaf.data_size,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(t, "total_size", &s->leaf.total_size,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(t, "first", &s->first, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes(t, "chunks", &hashes, &len, err)) != 0)
		return w3s_err_wrap(err, "segment");
	if (len % W3S_H256 != 0)
		return w3s_err_set(err, W3S_EMALFORMED, "segment %llu: chunk "
		    "list of %zu bytes is not a list of 32-byte hashes",
		    (unsigned long long)s->seq, len);
	s->hashes = (const uint8_t (*)[W3S_H256])hashes;
	s->nhashes = len / W3S_H256;
	return segment_check(s, W3S_EMALFORMED, err);
}

int
w3s_checkpoint_encode(const struct w3s_checkpoint_rec *c, struct w3s_buf *out,
    struct w3s_err *err)
{
	struct w3s_cbor *t;

	if (c->nsigs > W3S_SIGS_MAX)
		return w3s_err_set(err, W3S_EUSAGE,
		    "checkpoint: %zu signatures, at most %d allowed", c->nsigs,
		    W3S_SIGS_MAX);
	t = w3s_cbor_new_map();
	w3s_cbor_map_put(t, "commitment", commitment_tree(&c->commitment));
	w3s_cbor_map_put(t, "block", w3s_cbor_new_uint(c->block));
	w3s_cbor_map_put(t, "signatures", sigs_tree(c->sigs, c->nsigs));
	return w3s_cbor_encode_free(t, out, err);
}

int
w3s_checkpoint_from_cbor(const struct w3s_cbor *t, struct w3s_checkpoint_rec *c,
    struct w3s_err *err)
{
	static const char *const keys[] = { "commitment", "block",
	    "signatures", NULL };
	const struct w3s_cbor *sub = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = check_keys(t, "checkpoint", keys, err)) != 0)
		return rc;
	if ((rc = w3s_cbor_get_map(t, "commitment", &sub, err)) != 0 ||
	    (rc = commitment_from(sub, "commitment", &c->commitment,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(t, "block", &c->block, err)) != 0 ||
	    (rc = sigs_from(t, "signatures", c->sigs, &c->nsigs, err)) != 0)
		return w3s_err_wrap(err, "checkpoint");
	return 0;
}

int
w3s_checkpoint_verify_sigs(uint64_t bucket, const struct w3s_checkpoint_rec *c,
    struct w3s_err *err)
{
	int rc;

	for (size_t i = 0; i < c->nsigs; i++)
		if ((rc = verify_payload(bucket, &c->commitment, c->sigs[i].key,
		    c->sigs[i].sig, "checkpoint", err)) != 0)
			return rc;
	return 0;
}

int
w3s_deletion_encode(const struct w3s_deletion_rec *d, struct w3s_buf *out,
    struct w3s_err *err)
{
	struct w3s_cbor *t = w3s_cbor_new_map();

	w3s_cbor_map_put(t, "start_seq", w3s_cbor_new_uint(d->start_seq));
	w3s_cbor_map_put(t, "mmr_root", w3s_cbor_new_bytes(d->mmr_root,
	    W3S_H256));
	w3s_cbor_map_put(t, "admin", w3s_cbor_new_bytes(d->admin,
	    W3S_PUBKEY_LEN));
	w3s_cbor_map_put(t, "sig", w3s_cbor_new_bytes(d->sig,
	    W3S_SIGNATURE_LEN));
	return w3s_cbor_encode_free(t, out, err);
}

int
w3s_deletion_from_cbor(const struct w3s_cbor *t, struct w3s_deletion_rec *d,
    struct w3s_err *err)
{
	static const char *const keys[] = { "start_seq", "mmr_root", "admin",
	    "sig", NULL };
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = check_keys(t, "deletion", keys, err)) != 0)
		return rc;
	if ((rc = w3s_cbor_get_uint(t, "start_seq", &d->start_seq,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "mmr_root", d->mmr_root,
	    W3S_H256, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "admin", d->admin,
	    W3S_PUBKEY_LEN, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(t, "sig", d->sig,
	    W3S_SIGNATURE_LEN, err)) != 0)
		return w3s_err_wrap(err, "deletion");
	return 0;
}

int
w3s_deletion_verify(uint64_t bucket, const struct w3s_deletion_rec *d,
    struct w3s_err *err)
{
	struct w3s_commitment c;

	memcpy(c.mmr_root, d->mmr_root, W3S_H256);
	c.start_seq = d->start_seq;
	c.leaf_count = 0;
	return verify_payload(bucket, &c, d->admin, d->sig,
	    "deletion certificate", err);
}

static int
index_name_check(const char *name, size_t len, int code, struct w3s_err *err)
{
	if (len == 0 || len > W3S_INDEX_NAME_MAX)
		return w3s_err_set(err, code, "index entry: name of %zu bytes "
		    "(1 to %d allowed)", len, W3S_INDEX_NAME_MAX);
	if (memchr(name, '\0', len) != NULL)
		return w3s_err_set(err, code, "index entry: name holds a NUL");
	return 0;
}

int
w3s_index_entry_encode(const struct w3s_index_entry *e, struct w3s_buf *out,
    struct w3s_err *err)
{
	struct w3s_cbor *t;
	int rc;

	if ((rc = index_name_check(e->name, e->name_len, W3S_EUSAGE, err)) != 0)
		return rc;
	t = w3s_cbor_new_map();
	w3s_cbor_map_put(t, "name", w3s_cbor_new_textn(e->name, e->name_len));
	w3s_cbor_map_put(t, "data_root", e->removed ? w3s_cbor_new_null() :
	    w3s_cbor_new_bytes(e->data_root, W3S_H256));
	return w3s_cbor_encode_free(t, out, err);
}

int
w3s_index_entry_from_cbor(const struct w3s_cbor *t, struct w3s_index_entry *e,
    struct w3s_err *err)
{
	static const char *const keys[] = { "name", "data_root", NULL };
	const struct w3s_cbor *root;
	int rc;

	memset(e, 0, sizeof(*e));
	if ((rc = check_keys(t, "index entry", keys, err)) != 0)
		return rc;
	if ((rc = w3s_cbor_get_text(t, "name", &e->name, &e->name_len,
	    err)) != 0)
		return w3s_err_wrap(err, "index entry");
	if ((rc = index_name_check(e->name, e->name_len, W3S_EMALFORMED,
	    err)) != 0)
		return rc;
	root = w3s_cbor_map_get(t, "data_root");
	if (root != NULL && w3s_cbor_type(root) == W3S_CBOR_NULL) {
		e->removed = 1;
		return 0;
	}
	if ((rc = w3s_cbor_get_bytes_fixed(t, "data_root", e->data_root,
	    W3S_H256, err)) != 0)
		return w3s_err_wrap(err, "index entry");
	return 0;
}

size_t
w3s_meta_array_head(uint8_t out[9], uint64_t count)
{
	/* Major type 4 with the shortest head, as DAG-CBOR requires. */
	if (count < 24) {
		out[0] = 0x80 | (uint8_t)count;
		return 1;
	}
	if (count <= 0xff) {
		out[0] = 0x98;
		out[1] = (uint8_t)count;
		return 2;
	}
	if (count <= 0xffff) {
		out[0] = 0x99;
		out[1] = (uint8_t)(count >> 8);
		out[2] = (uint8_t)count;
		return 3;
	}
	if (count <= 0xffffffffu) {
		out[0] = 0x9a;
		for (int i = 0; i < 4; i++)
			out[1 + i] = (uint8_t)(count >> (24 - 8 * i));
		return 5;
	}
	out[0] = 0x9b;
	for (int i = 0; i < 8; i++)
		out[1 + i] = (uint8_t)(count >> (56 - 8 * i));
	return 9;
}

/* ---- the trailer ----------------------------------------------------- */

int
w3s_trailer_encode(const struct w3s_trailer *t, struct w3s_buf *out,
    struct w3s_err *err)
{
	struct w3s_cbor *m = w3s_cbor_new_map();

	w3s_cbor_map_put(m, "chunks", w3s_cbor_new_uint(t->chunks));
	w3s_cbor_map_put(m, "chunk_bytes", w3s_cbor_new_uint(t->chunk_bytes));
	w3s_cbor_map_put(m, "meta_entries",
	    w3s_cbor_new_uint(t->meta_entries));
	w3s_cbor_map_put(m, "manifest_digest",
	    w3s_cbor_new_bytes(t->manifest_digest, W3S_HASH_LEN));
	w3s_cbor_map_put(m, "meta_digest", w3s_cbor_new_bytes(t->meta_digest,
	    W3S_HASH_LEN));
	if (t->has_signature)
		w3s_cbor_map_put(m, "signature",
		    w3s_cbor_new_bytes(t->signature, W3S_SIGNATURE_LEN));
	return w3s_cbor_encode_free(m, out, err);
}

int
w3s_trailer_decode(const uint8_t *buf, size_t len, struct w3s_trailer *t,
    struct w3s_err *err)
{
	static const char *const keys[] = { "chunks", "chunk_bytes",
	    "meta_entries", "manifest_digest", "meta_digest", "signature",
	    NULL };
	struct w3s_cbor *m = NULL;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = decode_map(buf, len, "trailer", &m, err)) != 0)
		return rc;
	if ((rc = check_keys(m, "trailer", keys, err)) != 0)
		goto out;
	if ((rc = w3s_cbor_get_uint(m, "chunks", &t->chunks, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "chunk_bytes", &t->chunk_bytes,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "meta_entries", &t->meta_entries,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(m, "manifest_digest",
	    t->manifest_digest, W3S_HASH_LEN, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(m, "meta_digest", t->meta_digest,
	    W3S_HASH_LEN, err)) != 0) {
		w3s_err_wrap(err, "trailer");
		goto out;
	}
	if (w3s_cbor_map_get(m, "signature") != NULL) {
		if ((rc = w3s_cbor_get_bytes_fixed(m, "signature",
		    t->signature, W3S_SIGNATURE_LEN, err)) != 0) {
			w3s_err_wrap(err, "trailer");
			goto out;
		}
		t->has_signature = 1;
	}
out:
	w3s_cbor_free(m);
	return rc;
}

void
w3s_trailer_message(const struct w3s_trailer *t,
    uint8_t msg[W3S_TRAILER_MSG_LEN])
{
	size_t off = sizeof(W3S_TRAILER_CONTEXT) - 1;

	memcpy(msg, W3S_TRAILER_CONTEXT, off);
	memcpy(msg + off, t->manifest_digest, W3S_HASH_LEN);
	off += W3S_HASH_LEN;
	memcpy(msg + off, t->meta_digest, W3S_HASH_LEN);
	off += W3S_HASH_LEN;
	w3s_put_u64le(msg + off, t->chunks);
	w3s_put_u64le(msg + off + 8, t->chunk_bytes);
}
