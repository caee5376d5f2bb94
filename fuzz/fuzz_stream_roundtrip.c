/* Writer against reader (lib/stream_write.c, lib/stream_read.c): the
 * input describes an archive (kind, commitments, deletions, segments of
 * pseudo-random data cut into chunk-list pieces, checkpoints, index
 * names, signatures, compression level, a resume position, one or two
 * archives); the writer writes it, and what the writer accepts the reader
 * must accept, with the same records and chunks. The writer may refuse
 * (W3S_EUSAGE) what the format does not allow; that ends the input. */
#include <string.h>

#include <w3s/buf.h>
#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/key.h>
#include <w3s/manifest.h>
#include <w3s/merkle.h>
#include <w3s/scale.h>
#include <w3s/stream.h>

#include "fuzz.h"
#include "stream_feed.h"
#include "../tests/testbytes.h"

#define MAX_SEGS 3
#define MAX_SEG_BYTES (2 * W3S_CHUNK_SIZE + 1000)
#define MAX_INDEX 3
#define MAX_CHUNKS (MAX_SEGS * 3)

/* Bytes of the input, then zeros. */
struct in {
	const uint8_t *p;
	size_t len, off;
};

static uint8_t
u8(struct in *in)
{
	return in->off < in->len ? in->p[in->off++] : 0;
}

static uint64_t
u16(struct in *in)
{
	return u8(in) | (uint64_t)u8(in) << 8;
}

static void
commitment(struct in *in, struct w3s_commitment *c)
{
	memset(c->mmr_root, u8(in), sizeof(c->mmr_root));
	c->start_seq = u8(in);
	c->leaf_count = u8(in);
}

static void
sign_commitment(const struct w3s_key *key, uint64_t bucket,
    const struct w3s_commitment *c, struct w3s_commit_sig *s)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	struct w3s_err err;

	w3s_payload_v1_encode(bucket, c, payload);
	w3s_key_public(key, s->key);
	FUZZ_ASSERT(w3s_key_sign(key, payload, sizeof(payload), s->sig,
	    &err) == 0);
}

static int
sink(void *ctx, const void *data, size_t len, struct w3s_err *err)
{
	struct w3s_buf *b = ctx;

	w3s_buf_put(b, data, len);
	return w3s_buf_check(b, err);
}

struct seg {
	uint8_t *data;
	struct w3s_segment_rec rec;
	uint8_t (*hashes)[W3S_H256];
	size_t nchunks;
	size_t pieces[4];	/* chunk-list pieces: lengths */
	size_t npieces;
};

struct archive {
	struct w3s_manifest m;
	struct w3s_deletion_rec del;
	int has_del;
	struct seg segs[MAX_SEGS];
	size_t nsegs;
	struct w3s_checkpoint_rec cp;
	int has_cp;
	char names[MAX_INDEX][24];
	struct w3s_index_entry index[MAX_INDEX];
	size_t nindex;
	/* Distinct chunks in first-reference order: segment, position. */
	size_t chunk_seg[MAX_CHUNKS], chunk_pos[MAX_CHUNKS];
	size_t nchunks;
	int sign;
	int level;
	int twice;		/* the archive again, after the first */
};

static struct w3s_key *
fixed_key(uint8_t b)
{
	uint8_t secret[32];
	struct w3s_key *key = NULL;
	struct w3s_err err;

	memset(secret, b, sizeof(secret));
	FUZZ_ASSERT(w3s_key_from_raw_private(secret, &key, &err) == 0);
	return key;
}

static void
describe(struct in *in, struct archive *a, struct w3s_key *key)
{
	struct w3s_manifest *m = &a->m;
	uint8_t flags = u8(in);
	uint64_t total = 0;

	m->kind = flags & 1 ? W3S_STREAM_DELTA : W3S_STREAM_FULL;
	m->has_base = m->kind == W3S_STREAM_DELTA;
	m->bucket = u8(in);
	if (m->has_base)
		commitment(in, &m->base);
	commitment(in, &m->target);
	m->created = u16(in);
	a->sign = (flags >> 1) & 1;
	a->level = flags & 4 ? W3S_STREAM_LEVEL_STORE :
	    W3S_STREAM_LEVEL_DEFAULT;
	if (flags & 8) {
		m->nsigs = 1;
		sign_commitment(key, m->bucket, &m->target, &m->sigs[0]);
	}
	if (a->sign) {
		m->has_producer = 1;
		w3s_key_public(key, m->producer);
	}
	if (flags & 16) {
		uint8_t payload[W3S_PAYLOAD_V1_LEN];
		struct w3s_commitment c = { { 0 }, 0, 0 };
		struct w3s_err err;

		a->has_del = 1;
		a->del.start_seq = u8(in);
		memset(a->del.mmr_root, u8(in), W3S_H256);
		memcpy(c.mmr_root, a->del.mmr_root, W3S_H256);
		c.start_seq = a->del.start_seq;
		w3s_payload_v1_encode(m->bucket, &c, payload);
		w3s_key_public(key, a->del.admin);
		FUZZ_ASSERT(w3s_key_sign(key, payload, sizeof(payload),
		    a->del.sig, &err) == 0);
	}
	a->nsegs = u8(in) % (MAX_SEGS + 1);
	for (size_t i = 0; i < a->nsegs; i++) {
		struct seg *s = &a->segs[i];
		uint64_t size = u16(in);
		size_t left;

		if (u8(in) & 1)
			size = size * 5 % MAX_SEG_BYTES;
		s->data = malloc(size ? size : 1);
		s->nchunks = (size_t)w3s_chunk_count(size);
		s->hashes = calloc(s->nchunks ? s->nchunks : 1, W3S_H256);
		FUZZ_ASSERT(s->data != NULL && s->hashes != NULL);
		test_fill(s->data, size, u8(in) % 4);	/* equal seeds share */
		for (size_t k = 0; k < s->nchunks; k++)
			w3s_hash_blake2b(s->hashes[k],
			    s->data + w3s_chunk_offset(k),
			    (size_t)w3s_chunk_len(size, k));
		s->rec.seq = m->target.start_seq + u8(in) % 3 + i;
		w3s_merkle_root((const uint8_t (*)[W3S_H256])s->hashes,
		    s->nchunks, s->rec.leaf.data_root);
		s->rec.leaf.data_size = size;
		total += size;
		s->rec.leaf.total_size = total;
		/* The chunk list in one to four pieces. */
		left = s->nchunks;
		s->npieces = 0;
		while (s->npieces < 3 && left > 1 && (u8(in) & 1)) {
			s->pieces[s->npieces++] = 1;
			left--;
		}
		s->pieces[s->npieces++] = left;
		for (size_t k = 0; k < s->nchunks; k++) {
			size_t j;

			for (j = 0; j < a->nchunks; j++)
				if (memcmp(a->segs[a->chunk_seg[j]].hashes[
				    a->chunk_pos[j]], s->hashes[k],
				    W3S_H256) == 0)
					break;
			if (j == a->nchunks && a->nchunks < MAX_CHUNKS) {
				a->chunk_seg[a->nchunks] = i;
				a->chunk_pos[a->nchunks++] = k;
			}
		}
	}
	if (u8(in) & 1) {
		a->has_cp = 1;
		commitment(in, &a->cp.commitment);
		a->cp.block = u8(in);
		a->cp.nsigs = u8(in) % 3;
		for (size_t k = 0; k < a->cp.nsigs; k++)
			sign_commitment(key, m->bucket, &a->cp.commitment,
			    &a->cp.sigs[k]);
	}
	a->nindex = u8(in) % (MAX_INDEX + 1);
	for (size_t i = 0; i < a->nindex; i++) {
		struct w3s_index_entry *e = &a->index[i];
		size_t len = u8(in) % sizeof(a->names[i]);

		for (size_t k = 0; k < len; k++)
			a->names[i][k] = (char)u8(in);
		e->name = a->names[i];
		e->name_len = len;
		e->removed = u8(in) & 1;
		memset(e->data_root, u8(in), W3S_H256);
	}
	m->counts.deletions = a->has_del;
	m->counts.segments = a->nsegs;
	for (size_t i = 0; i < a->nsegs; i++) {
		m->counts.chunk_refs += a->segs[i].nchunks;
	}
	m->counts.checkpoints = a->has_cp;
	m->counts.index = a->nindex;
	m->counts.chunks = a->nchunks;
	for (size_t j = 0; j < a->nchunks; j++)
		m->counts.chunk_bytes += w3s_chunk_len(
		    a->segs[a->chunk_seg[j]].rec.leaf.data_size,
		    a->chunk_pos[j]);
	/* Resumed: the chunks from resume_chunk on. */
	if (flags & 32 && a->nchunks > 0) {
		m->resume_chunk = u8(in) % (a->nchunks + 1);
		for (size_t j = 0; j < m->resume_chunk; j++)
			m->resume_byte += w3s_chunk_len(
			    a->segs[a->chunk_seg[j]].rec.leaf.data_size,
			    a->chunk_pos[j]);
	}
	a->twice = (flags >> 6) & 1;
}

/* Writes a; 0, or the writer's refusal. */
static int
write_archive(struct archive *a, struct w3s_key *key, struct w3s_buf *out)
{
	struct w3s_stream_writer *w;
	struct w3s_err err;
	int rc;

	if ((w = w3s_stream_writer_new_cb(sink, out, a->level, &err)) == NULL)
		return err.code;
again:
	if ((rc = w3s_stream_put_manifest(w, &a->m, &err)) != 0)
		goto out;
	if (a->has_del && (rc = w3s_stream_put_deletion(w, &a->del,
	    &err)) != 0)
		goto out;
	for (size_t i = 0; i < a->nsegs; i++) {
		struct seg *s = &a->segs[i];
		struct w3s_segment_rec piece = s->rec;

		piece.first = 0;
		for (size_t p = 0; p < s->npieces; p++) {
			piece.nhashes = s->pieces[p];
			piece.hashes = (const uint8_t (*)[W3S_H256])
			    s->hashes + piece.first;
			if ((rc = w3s_stream_put_segment(w, &piece,
			    &err)) != 0)
				goto out;
			piece.first += piece.nhashes;
		}
	}
	if (a->has_cp && (rc = w3s_stream_put_checkpoint(w, &a->cp,
	    &err)) != 0)
		goto out;
	for (size_t i = 0; i < a->nindex; i++)
		if ((rc = w3s_stream_put_index(w, &a->index[i], &err)) != 0)
			goto out;
	for (size_t j = (size_t)a->m.resume_chunk; j < a->nchunks; j++) {
		struct seg *s = &a->segs[a->chunk_seg[j]];
		size_t k = a->chunk_pos[j];

		if ((rc = w3s_stream_put_chunk(w, s->hashes[k],
		    s->data + w3s_chunk_offset(k),
		    (size_t)w3s_chunk_len(s->rec.leaf.data_size, k),
		    &err)) != 0)
			goto out;
	}
	if ((rc = w3s_stream_finish(w, a->sign ? key : NULL, &err)) == 0 &&
	    a->twice-- > 0)
		goto again;
out:
	/* The writer refuses only what the format forbids. */
	FUZZ_ASSERT(rc == 0 || rc == W3S_EUSAGE);
	w3s_stream_writer_free(w);
	return rc;
}

static void
read_back(const struct archive *a, const struct w3s_buf *out,
    unsigned long archives)
{
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct fuzz_src src;
	struct w3s_err err;
	unsigned long n[W3S_STREAM_EV_TRAILER + 1] = { 0 };
	size_t seg = 0, seen = 0;
	int rc;

	FUZZ_ASSERT((r = fuzz_stream_reader(&src, out->data, out->len,
	    0)) != NULL);
	for (;;) {
		rc = w3s_stream_next(r, &ev, &err);
		if (rc != 0)
			fprintf(stderr, "reader: %s\n", err.msg);
		FUZZ_ASSERT(rc == 0);
		if (ev.type == W3S_STREAM_EV_EOF)
			break;
		n[ev.type]++;
		if (ev.type == W3S_STREAM_EV_MANIFEST) {
			seg = seen = 0;
			memset(n + W3S_STREAM_EV_DELETION, 0,
			    (W3S_STREAM_EV_CHUNK - W3S_STREAM_EV_DELETION + 1) *
			    sizeof(n[0]));
			FUZZ_ASSERT(ev.u.manifest->resume_chunk ==
			    a->m.resume_chunk);
		}
		if (ev.type == W3S_STREAM_EV_TRAILER) {
			/* Every archive the same. */
			FUZZ_ASSERT(n[W3S_STREAM_EV_DELETION] ==
			    (unsigned long)a->has_del);
			FUZZ_ASSERT(seg == a->nsegs);
			FUZZ_ASSERT(n[W3S_STREAM_EV_CHECKPOINT] ==
			    (unsigned long)a->has_cp);
			FUZZ_ASSERT(n[W3S_STREAM_EV_INDEX] == a->nindex);
			FUZZ_ASSERT(n[W3S_STREAM_EV_CHUNK] ==
			    a->nchunks - a->m.resume_chunk);
		}
		if (ev.type == W3S_STREAM_EV_CHUNK)
			FUZZ_ASSERT(ev.u.chunk->index == a->m.resume_chunk +
			    n[ev.type] - 1);
		if (ev.type == W3S_STREAM_EV_SEGMENT) {
			const struct w3s_segment_rec *s = ev.u.segment;
			const struct seg *want;

			/* The writer may cut the chunk list differently. */
			FUZZ_ASSERT(seg < a->nsegs);
			want = &a->segs[seg];
			FUZZ_ASSERT(s->seq == want->rec.seq);
			FUZZ_ASSERT(memcmp(&s->leaf, &want->rec.leaf,
			    sizeof(s->leaf)) == 0);
			FUZZ_ASSERT(s->first == seen);
			FUZZ_ASSERT(s->nhashes <= want->nchunks - seen);
			FUZZ_ASSERT(s->nhashes == 0 || memcmp(s->hashes,
			    want->hashes[seen], s->nhashes * W3S_H256) == 0);
			seen += s->nhashes;
			if (seen == want->nchunks) {
				seg++;
				seen = 0;
			}
		}
		if (ev.type == W3S_STREAM_EV_INDEX) {
			const struct w3s_index_entry *e = ev.u.index;
			size_t i = n[ev.type] - 1;

			FUZZ_ASSERT(e->name_len == a->index[i].name_len &&
			    memcmp(e->name, a->index[i].name,
			    e->name_len) == 0);
			FUZZ_ASSERT(e->removed == a->index[i].removed);
		}
	}
	FUZZ_ASSERT(n[W3S_STREAM_EV_MANIFEST] == archives);
	FUZZ_ASSERT(n[W3S_STREAM_EV_TRAILER] == archives);
	w3s_stream_reader_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct w3s_key *key;
	struct in in = { data, size, 0 };
	struct archive *a = calloc(1, sizeof(*a));
	struct w3s_buf out;
	unsigned long archives;

	if (key == NULL)
		key = fixed_key(0x42);	/* kept for the process's life */
	if (a == NULL)
		return 0;
	describe(&in, a, key);
	w3s_buf_init(&out);
	archives = 1 + (unsigned long)a->twice;
	if (write_archive(a, key, &out) == 0)
		read_back(a, &out, archives);
	w3s_buf_release(&out);
	for (size_t i = 0; i < a->nsegs; i++) {
		free(a->segs[i].data);
		free(a->segs[i].hashes);
	}
	free(a);
	return 0;
}
