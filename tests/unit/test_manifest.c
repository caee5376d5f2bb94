/* The DAG-CBOR records of a w3sync stream: round trips, strictness, the
 * consistency rules, signatures. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <w3s/buf.h>
#include <w3s/cbor.h>
#include <w3s/hash.h>
#include <w3s/key.h>
#include <w3s/manifest.h>
#include <w3s/merkle.h>
#include <w3s/scale.h>

#include "tap.h"

/* Ed25519 keys from fixed seeds (01..20 and 65..84), PKCS#8 PEM. */
static const char producer_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n"
    "-----END PRIVATE KEY-----\n";
static const char primary_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOE\n"
    "-----END PRIVATE KEY-----\n";

static struct w3s_key *
load_key(const char *pem)
{
	char path[] = "/tmp/w3s-test-key-XXXXXX";
	struct w3s_key *key = NULL;
	struct w3s_err err;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, pem, strlen(pem)) != (ssize_t)strlen(pem)) {
		printf("Bail out! cannot write a key file\n");
		exit(1);
	}
	close(fd);
	if (w3s_key_load_private(path, &key, &err) != 0) {
		printf("Bail out! %s\n", err.msg);
		exit(1);
	}
	unlink(path);
	return key;
}

static void
sign_commitment(const struct w3s_key *key, uint64_t bucket,
    const struct w3s_commitment *c, struct w3s_commit_sig *out)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	struct w3s_err err;

	w3s_payload_v1_encode(bucket, c, payload);
	w3s_key_public(key, out->key);
	if (w3s_key_sign(key, payload, sizeof(payload), out->sig, &err) != 0) {
		printf("Bail out! %s\n", err.msg);
		exit(1);
	}
}

static void
sample_manifest(struct w3s_manifest *m, const struct w3s_key *producer,
    const struct w3s_key *primary)
{
	memset(m, 0, sizeof(*m));
	m->kind = W3S_STREAM_DELTA;
	m->bucket = 7;
	m->has_base = 1;
	memset(m->base.mmr_root, 0xaa, 32);
	m->base.start_seq = 3;
	m->base.leaf_count = 10;
	memset(m->target.mmr_root, 0xbb, 32);
	m->target.start_seq = 5;
	m->target.leaf_count = 12;
	m->counts.segments = 4;
	m->counts.chunk_refs = 9000;
	m->counts.checkpoints = 1;
	m->counts.deletions = 1;
	m->counts.index = 2;
	m->counts.chunks = 5;
	m->counts.chunk_bytes = 5 * 262144 - 7;
	m->created = 1764000000;
	if (producer != NULL) {
		m->has_producer = 1;
		w3s_key_public(producer, m->producer);
	}
	if (primary != NULL) {
		m->nsigs = 1;
		sign_commitment(primary, m->bucket, &m->target, &m->sigs[0]);
	}
}

static void
test_manifest_round_trip(const struct w3s_key *producer,
    const struct w3s_key *primary)
{
	struct w3s_manifest m, d;
	struct w3s_buf b, b2;
	struct w3s_err err;
	uint8_t id[32], digest[32];

	sample_manifest(&m, producer, primary);
	w3s_buf_init(&b);
	w3s_buf_init(&b2);
	is_int(w3s_manifest_encode(&m, &b, &err), 0, "manifest encodes");
	is_int(w3s_manifest_decode(b.data, b.len, &d, &err), 0,
	    "manifest decodes");
	ok(memcmp(&m, &d, sizeof(m)) == 0, "manifest round trip is exact");
	is_int(w3s_manifest_encode(&d, &b2, &err), 0, "re-encodes");
	ok(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0,
	    "re-encoding gives the same bytes");
	is_int(w3s_manifest_verify_sigs(&d, &err), 0,
	    "target signature verifies");
	d.sigs[0].sig[5] ^= 1;
	is_int(w3s_manifest_verify_sigs(&d, &err), W3S_EVERIFY,
	    "a flipped target signature is W3S_EVERIFY");
	ok(strstr(err.msg, "0x") != NULL, "the message names the key: %s",
	    err.msg);

	/* The snapshot id is the digest of the unresumed manifest. */
	w3s_hash_blake2b(digest, b.data, b.len);
	is_int(w3s_manifest_snapshot_id(&m, id, &err), 0, "snapshot id");
	ok(memcmp(id, digest, 32) == 0,
	    "unresumed: snapshot id == manifest digest");
	m.resume_chunk = 2;
	m.resume_byte = 2 * 262144;
	b2.len = 0;
	is_int(w3s_manifest_encode(&m, &b2, &err), 0, "resumed encodes");
	w3s_hash_blake2b(digest, b2.data, b2.len);
	is_int(w3s_manifest_snapshot_id(&m, id, &err), 0,
	    "resumed snapshot id");
	ok(memcmp(id, digest, 32) != 0 && memcmp(id, digest, 32) != 0,
	    "resumed: the manifest digest differs, the snapshot id does not");
	is_int(w3s_manifest_decode(b2.data, b2.len, &d, &err), 0,
	    "resumed decodes");
	is_int((long long)w3s_manifest_carried_chunks(&d), 3,
	    "3 chunks carried");
	is_int((long long)w3s_manifest_carried_bytes(&d), 3 * 262144 - 7,
	    "their bytes");
	w3s_buf_release(&b);
	w3s_buf_release(&b2);
}

/* A manifest map built by hand, with knobs for the strictness tests. */
struct knobs {
	const char *format;
	uint64_t version;
	const char *kind;
	const char *extra;	/* an extra top-level key */
	const char *drop;	/* a top-level key left out */
	int base;
	uint64_t chunks, chunk_bytes, resume_chunk;
	int bucket_text;	/* bucket as text, not uint */
	int short_root;		/* a 31-byte target root */
};

static struct w3s_cbor *
commitment(int short_root)
{
	static const uint8_t root[32];
	struct w3s_cbor *c = w3s_cbor_new_map();

	w3s_cbor_map_put(c, "mmr_root", w3s_cbor_new_bytes(root,
	    short_root ? 31 : 32));
	w3s_cbor_map_put(c, "start_seq", w3s_cbor_new_uint(0));
	w3s_cbor_map_put(c, "leaf_count", w3s_cbor_new_uint(1));
	return c;
}

static void
put(struct w3s_cbor *m, const struct knobs *k, const char *key,
    struct w3s_cbor *v)
{
	if (k->drop != NULL && strcmp(k->drop, key) == 0)
		w3s_cbor_free(v);
	else
		w3s_cbor_map_put(m, key, v);
}

static int
decode_knobs(const struct knobs *k, struct w3s_err *err)
{
	struct w3s_cbor *m = w3s_cbor_new_map(), *c = w3s_cbor_new_map();
	struct w3s_cbor *r = w3s_cbor_new_map();
	struct w3s_manifest out;
	struct w3s_buf b;
	int rc;

	put(m, k, "format", w3s_cbor_new_text(k->format));
	put(m, k, "version", w3s_cbor_new_uint(k->version));
	put(m, k, "kind", w3s_cbor_new_text(k->kind));
	put(m, k, "bucket", k->bucket_text ? w3s_cbor_new_text("7") :
	    w3s_cbor_new_uint(7));
	if (k->base)
		put(m, k, "base", commitment(0));
	put(m, k, "target", commitment(k->short_root));
	put(m, k, "signatures", w3s_cbor_new_array());
	w3s_cbor_map_put(c, "segments", w3s_cbor_new_uint(1));
	w3s_cbor_map_put(c, "chunk_refs", w3s_cbor_new_uint(2));
	w3s_cbor_map_put(c, "checkpoints", w3s_cbor_new_uint(0));
	w3s_cbor_map_put(c, "deletions", w3s_cbor_new_uint(0));
	w3s_cbor_map_put(c, "index", w3s_cbor_new_uint(0));
	w3s_cbor_map_put(c, "chunks", w3s_cbor_new_uint(k->chunks));
	w3s_cbor_map_put(c, "chunk_bytes", w3s_cbor_new_uint(k->chunk_bytes));
	put(m, k, "counts", c);
	w3s_cbor_map_put(r, "chunk", w3s_cbor_new_uint(k->resume_chunk));
	w3s_cbor_map_put(r, "byte", w3s_cbor_new_uint(0));
	put(m, k, "resume", r);
	put(m, k, "created", w3s_cbor_new_uint(0));
	if (k->extra != NULL)
		w3s_cbor_map_put(m, k->extra, w3s_cbor_new_uint(0));
	w3s_buf_init(&b);
	if (w3s_cbor_encode(m, &b, err) != 0) {
		printf("Bail out! %s\n", err->msg);
		exit(1);
	}
	w3s_cbor_free(m);
	rc = w3s_manifest_decode(b.data, b.len, &out, err);
	w3s_buf_release(&b);
	return rc;
}

static void
test_manifest_strict(void)
{
	const struct knobs good = { "w3sync-stream", 1, "full", NULL, NULL, 0,
	    2, 1000, 0, 0, 0 };
	struct knobs k;
	struct w3s_err err;

	k = good;
	is_int(decode_knobs(&k, &err), 0, "hand-built manifest decodes");
	k = good;
	k.version = 2;
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "version 2 is refused");
	ok(strstr(err.msg, "version 2 is not supported") != NULL,
	    "and says so: %s", err.msg);
	k = good;
	k.version = 2;
	k.extra = "future";
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "version 2 with new fields is refused");
	ok(strstr(err.msg, "version 2") != NULL,
	    "for its version, not its fields: %s", err.msg);
	k = good;
	k.version = 0;
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED, "version 0 refused");
	k = good;
	k.format = "w3sync-strea";
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "another format name is refused");
	k = good;
	k.extra = "colour";
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "an unknown key is refused");
	ok(strstr(err.msg, "colour") != NULL, "naming it: %s", err.msg);
	k = good;
	k.drop = "created";
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "a missing key is refused");
	k = good;
	k.drop = "format";
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "a manifest without a format is refused");
	k = good;
	k.kind = "partial";
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "an unknown kind is refused");
	k = good;
	k.kind = "delta";
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "a delta without a base is refused");
	k = good;
	k.base = 1;
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "a full snapshot with a base is refused");
	k = good;
	k.bucket_text = 1;
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "a bucket id as text is refused");
	k = good;
	k.short_root = 1;
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "a 31-byte root is refused");
	k = good;
	k.chunks = 3;
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "more chunks than chunk hashes is refused");
	k = good;
	k.chunk_bytes = 2 * 262144 + 1;
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "more bytes than the chunks can hold is refused");
	k = good;
	k.resume_chunk = 3;
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "a resume position past the end is refused");
	k = good;
	k.resume_chunk = 1;
	is_int(decode_knobs(&k, &err), 0,
	    "resume after 1 of 2 chunks, 0 of 1000 bytes, is fine");
	k.chunk_bytes = 262145;
	is_int(decode_knobs(&k, &err), W3S_EMALFORMED,
	    "resume after 1 of 2 chunks, 0 of 262145 bytes, is refused "
	    "(one chunk cannot hold the rest)");

	{
		static const uint8_t not_map[] = { 0x80 };
		static const uint8_t trailing[] = { 0xa0, 0x00 };
		struct w3s_manifest m;

		is_int(w3s_manifest_decode(not_map, 1, &m, &err),
		    W3S_EMALFORMED, "an array is not a manifest");
		is_int(w3s_manifest_decode(trailing, 2, &m, &err),
		    W3S_EMALFORMED, "trailing bytes are refused");
		is_int(w3s_manifest_decode(NULL, 0, &m, &err),
		    W3S_EMALFORMED, "empty input is refused");
	}
}

static void
test_manifest_encode_refuses(void)
{
	struct w3s_manifest m;
	struct w3s_buf b;
	struct w3s_err err;

	w3s_buf_init(&b);
	sample_manifest(&m, NULL, NULL);
	m.has_base = 0;
	is_int(w3s_manifest_encode(&m, &b, &err), W3S_EUSAGE,
	    "encoder refuses a delta without base");
	sample_manifest(&m, NULL, NULL);
	m.resume_chunk = 6;
	is_int(w3s_manifest_encode(&m, &b, &err), W3S_EUSAGE,
	    "encoder refuses a resume position past the end");
	sample_manifest(&m, NULL, NULL);
	m.nsigs = W3S_SIGS_MAX + 1;
	is_int(w3s_manifest_encode(&m, &b, &err), W3S_EUSAGE,
	    "encoder refuses too many signatures");
	w3s_buf_release(&b);
}

static int
decode_one(struct w3s_buf *b, struct w3s_cbor **tree)
{
	struct w3s_err err;

	return w3s_cbor_decode(b->data, b->len, NULL, tree, &err);
}

static void
test_segment(void)
{
	static uint8_t hashes[5000][32];
	struct w3s_segment_rec s, d;
	struct w3s_cbor *t = NULL;
	struct w3s_buf b;
	struct w3s_err err;

	for (int i = 0; i < 5000; i++)
		memset(hashes[i], i & 0xff, 32);
	memset(&s, 0, sizeof(s));
	s.seq = 42;
	memset(s.leaf.data_root, 0x11, 32);
	s.leaf.data_size = 5000ull * 262144 - 3;
	s.leaf.total_size = s.leaf.data_size + 100;
	s.first = 4096;
	s.nhashes = 5000 - 4096;
	s.hashes = (const uint8_t (*)[32])hashes[4096];
	w3s_buf_init(&b);
	is_int(w3s_segment_encode(&s, &b, &err), 0, "last piece encodes");
	is_int(decode_one(&b, &t), 0, "is DAG-CBOR");
	is_int(w3s_segment_from_cbor(t, &d, &err), 0, "decodes");
	ok(d.seq == 42 && d.first == 4096 && d.nhashes == 904 &&
	    memcmp(&d.leaf, &s.leaf, sizeof(s.leaf)) == 0 &&
	    memcmp(d.hashes, hashes[4096], 904 * 32) == 0,
	    "segment piece round trip");
	w3s_cbor_free(t);

	s.first = 0;
	s.nhashes = 4096;
	s.hashes = (const uint8_t (*)[32])hashes[0];
	b.len = 0;
	is_int(w3s_segment_encode(&s, &b, &err), 0, "first piece encodes");
	s.nhashes = 4095;
	is_int(w3s_segment_encode(&s, &b, &err), W3S_EUSAGE,
	    "a short piece that is not the last is refused");
	s.first = 100;
	s.nhashes = 4096;
	is_int(w3s_segment_encode(&s, &b, &err), W3S_EUSAGE,
	    "a piece not at a multiple of 4096 is refused");
	s.first = 8192;
	s.nhashes = 1;
	is_int(w3s_segment_encode(&s, &b, &err), W3S_EUSAGE,
	    "a piece past the chunk count is refused");

	/* An empty segment has one (empty) chunk. */
	s.leaf.data_size = 0;
	s.first = 0;
	s.nhashes = 1;
	b.len = 0;
	is_int(w3s_segment_encode(&s, &b, &err), 0,
	    "empty segment: one chunk hash");
	s.nhashes = 0;
	is_int(w3s_segment_encode(&s, &b, &err), W3S_EUSAGE,
	    "empty segment: no hash is refused");

	/* The decoder holds the same rules. */
	{
		struct w3s_cbor *m = w3s_cbor_new_map();
		uint8_t root[32] = { 0 };

		w3s_cbor_map_put(m, "seq", w3s_cbor_new_uint(1));
		w3s_cbor_map_put(m, "data_root", w3s_cbor_new_bytes(root, 32));
		w3s_cbor_map_put(m, "data_size", w3s_cbor_new_uint(10));
		w3s_cbor_map_put(m, "total_size", w3s_cbor_new_uint(10));
		w3s_cbor_map_put(m, "first", w3s_cbor_new_uint(0));
		w3s_cbor_map_put(m, "chunks", w3s_cbor_new_bytes(hashes, 33));
		b.len = 0;
		w3s_cbor_encode(m, &b, &err);
		w3s_cbor_free(m);
		decode_one(&b, &t);
		is_int(w3s_segment_from_cbor(t, &d, &err), W3S_EMALFORMED,
		    "a chunk list of 33 bytes is refused");
		w3s_cbor_free(t);
	}
	w3s_buf_release(&b);
}

static void
test_records(const struct w3s_key *primary)
{
	struct w3s_checkpoint_rec c, cd;
	struct w3s_deletion_rec del, dd;
	struct w3s_index_entry e, ed;
	struct w3s_cbor *t = NULL;
	struct w3s_commitment dc;
	struct w3s_buf b;
	struct w3s_err err;
	char longname[W3S_INDEX_NAME_MAX + 2];

	w3s_buf_init(&b);
	memset(&c, 0, sizeof(c));
	memset(c.commitment.mmr_root, 0x33, 32);
	c.commitment.start_seq = 1;
	c.commitment.leaf_count = 9;
	c.block = 123456;
	c.nsigs = 1;
	sign_commitment(primary, 7, &c.commitment, &c.sigs[0]);
	is_int(w3s_checkpoint_encode(&c, &b, &err), 0, "checkpoint encodes");
	decode_one(&b, &t);
	is_int(w3s_checkpoint_from_cbor(t, &cd, &err), 0,
	    "checkpoint decodes");
	ok(memcmp(&c, &cd, sizeof(c)) == 0, "checkpoint round trip");
	is_int(w3s_checkpoint_verify_sigs(7, &cd, &err), 0,
	    "checkpoint signature verifies");
	is_int(w3s_checkpoint_verify_sigs(8, &cd, &err), W3S_EVERIFY,
	    "not for another bucket");
	w3s_cbor_free(t);

	memset(&del, 0, sizeof(del));
	del.start_seq = 4;
	memset(del.mmr_root, 0x44, 32);
	memcpy(dc.mmr_root, del.mmr_root, 32);
	dc.start_seq = 4;
	dc.leaf_count = 0;
	{
		struct w3s_commit_sig s;

		sign_commitment(primary, 7, &dc, &s);
		memcpy(del.admin, s.key, 32);
		memcpy(del.sig, s.sig, 64);
	}
	b.len = 0;
	is_int(w3s_deletion_encode(&del, &b, &err), 0, "deletion encodes");
	decode_one(&b, &t);
	is_int(w3s_deletion_from_cbor(t, &dd, &err), 0, "deletion decodes");
	ok(memcmp(&del, &dd, sizeof(del)) == 0, "deletion round trip");
	is_int(w3s_deletion_verify(7, &dd, &err), 0,
	    "admin signature over {root, start_seq, 0} verifies");
	dd.start_seq = 5;
	is_int(w3s_deletion_verify(7, &dd, &err), W3S_EVERIFY,
	    "not for another start_seq");
	w3s_cbor_free(t);

	memset(&e, 0, sizeof(e));
	e.name = "photos/2026/cat.jpg";
	e.name_len = strlen(e.name);
	memset(e.data_root, 0x55, 32);
	b.len = 0;
	is_int(w3s_index_entry_encode(&e, &b, &err), 0, "index entry encodes");
	decode_one(&b, &t);
	is_int(w3s_index_entry_from_cbor(t, &ed, &err), 0,
	    "index entry decodes");
	ok(ed.name_len == e.name_len && memcmp(ed.name, e.name,
	    e.name_len) == 0 && !ed.removed && memcmp(ed.data_root,
	    e.data_root, 32) == 0, "index entry round trip");
	w3s_cbor_free(t);
	e.removed = 1;
	b.len = 0;
	is_int(w3s_index_entry_encode(&e, &b, &err), 0,
	    "index removal encodes");
	decode_one(&b, &t);
	is_int(w3s_index_entry_from_cbor(t, &ed, &err), 0,
	    "index removal decodes");
	ok(ed.removed, "as a removal (data_root null)");
	w3s_cbor_free(t);
	memset(longname, 'a', sizeof(longname));
	e.name = longname;
	e.name_len = W3S_INDEX_NAME_MAX + 1;
	is_int(w3s_index_entry_encode(&e, &b, &err), W3S_EUSAGE,
	    "a name over the limit is refused");
	e.name_len = 0;
	is_int(w3s_index_entry_encode(&e, &b, &err), W3S_EUSAGE,
	    "an empty name is refused");
	w3s_buf_release(&b);
}

static void
test_trailer(void)
{
	struct w3s_trailer t, d;
	uint8_t msg[W3S_TRAILER_MSG_LEN];
	struct w3s_buf b;
	struct w3s_err err;

	memset(&t, 0, sizeof(t));
	t.chunks = 3;
	t.chunk_bytes = 300;
	t.meta_entries = 2;
	memset(t.manifest_digest, 1, 32);
	memset(t.meta_digest, 2, 32);
	t.has_signature = 1;
	memset(t.signature, 3, 64);
	w3s_buf_init(&b);
	is_int(w3s_trailer_encode(&t, &b, &err), 0, "trailer encodes");
	is_int(w3s_trailer_decode(b.data, b.len, &d, &err), 0,
	    "trailer decodes");
	ok(memcmp(&t, &d, sizeof(t)) == 0, "trailer round trip");
	w3s_trailer_message(&t, msg);
	ok(memcmp(msg, "w3sync-stream-trailer-v1", 24) == 0 &&
	    msg[24] == 1 && msg[56] == 2 && msg[88] == 3 && msg[96] == 44 &&
	    msg[97] == 1, "signed message layout");
	t.has_signature = 0;
	b.len = 0;
	is_int(w3s_trailer_encode(&t, &b, &err), 0, "unsigned trailer");
	is_int(w3s_trailer_decode(b.data, b.len, &d, &err), 0,
	    "decodes");
	ok(!d.has_signature, "without signature");
	w3s_buf_release(&b);
}

static void
test_array_head(void)
{
	static const uint64_t counts[] = { 0, 23, 24, 255, 256, 65535, 65536,
	    70000 };
	struct w3s_err err;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct w3s_cbor *arr = w3s_cbor_new_array();
		struct w3s_buf b;
		uint8_t head[9];
		size_t n;

		for (uint64_t j = 0; j < counts[i]; j++)
			w3s_cbor_array_push(arr, w3s_cbor_new_null());
		w3s_buf_init(&b);
		w3s_cbor_encode(arr, &b, &err);
		n = w3s_meta_array_head(head, counts[i]);
		ok(b.len == n + counts[i] && memcmp(b.data, head, n) == 0,
		    "array head for %llu items is canonical",
		    (unsigned long long)counts[i]);
		w3s_buf_release(&b);
		w3s_cbor_free(arr);
	}
}

static void
test_kind_names(void)
{
	enum w3s_meta_kind k;

	ok(strcmp(w3s_meta_kind_name(W3S_META_SEGMENTS), "segments") == 0,
	    "kind name");
	is_int(w3s_meta_kind_from_name("index", 5, &k), 0, "kind from name");
	is_int(k, W3S_META_INDEX, "index");
	is_int(w3s_meta_kind_from_name("indexes", 7, &k), -1,
	    "unknown kind");
	ok(w3s_meta_kind_name((enum w3s_meta_kind)9) == NULL,
	    "no name for an unknown kind");
}

int
main(void)
{
	struct w3s_key *producer = load_key(producer_pem);
	struct w3s_key *primary = load_key(primary_pem);

	test_manifest_round_trip(producer, primary);
	test_manifest_strict();
	test_manifest_encode_refuses();
	test_segment();
	test_records(primary);
	test_trailer();
	test_array_head();
	test_kind_names();
	w3s_key_free(producer);
	w3s_key_free(primary);
	return tap_done();
}
