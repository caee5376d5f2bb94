/* The stream container: round trips, determinism, concatenation, resume,
 * and every kind of bad input (truncation at every entry boundary and
 * inside entries, flipped bytes, bad names, misplaced and oversized
 * entries, decompression bombs).
 *
 *   test_stream                     the TAP suite (also checks the
 *                                   committed fixtures when run from the
 *                                   top of the tree)
 *   test_stream --write-fixtures D  writes the bad streams into D
 *   test_stream --bench [MiB]       writer and reader throughput
 *
 * Bad streams are made at the tar level: the writer's store-mode output
 * (zstd frames of raw blocks) is unwrapped into tar entries, changed, and
 * wrapped again, so no test needs a zstd library of its own. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <w3s/buf.h>
#include <w3s/chunk.h>
#include <w3s/cid.h>
#include <w3s/hash.h>
#include <w3s/key.h>
#include <w3s/manifest.h>
#include <w3s/merkle.h>
#include <w3s/scale.h>
#include <w3s/stream.h>

#include "tap.h"

static const char producer_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n"
    "-----END PRIVATE KEY-----\n";
static const char primary_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOE\n"
    "-----END PRIVATE KEY-----\n";

static struct w3s_key *producer, *primary;

static void
bail(const char *what)
{
	printf("Bail out! %s\n", what);
	exit(1);
}

static struct w3s_key *
load_key(const char *pem)
{
	char path[] = "/tmp/w3s-test-key-XXXXXX";
	struct w3s_key *key = NULL;
	struct w3s_err err;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, pem, strlen(pem)) != (ssize_t)strlen(pem))
		bail("cannot write a key file");
	close(fd);
	if (w3s_key_load_private(path, &key, &err) != 0)
		bail(err.msg);
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
	if (w3s_key_sign(key, payload, sizeof(payload), out->sig, &err) != 0)
		bail(err.msg);
}

/* ---- sample content -------------------------------------------------- */

static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			rng();
		p[i] = (uint8_t)(rng_state >> (8 * (i % 8)));
	}
}

#define SEG_MAX 8
#define CHUNK_MAX 32

struct seg {
	uint64_t seq;
	struct w3s_leaf leaf;
	uint64_t nchunks;
	uint8_t (*hashes)[32];
};

struct sample {
	struct w3s_manifest m;
	size_t nseg;
	struct seg seg[SEG_MAX];
	/* chunks carried, in stream order (before resume) */
	size_t nchunks;
	uint8_t chash[CHUNK_MAX][32];
	uint8_t *cdata[CHUNK_MAX];
	size_t clen[CHUNK_MAX];
	struct w3s_deletion_rec del;
	struct w3s_checkpoint_rec cp;
	struct w3s_index_entry idx[2];
};

static void
add_segment(struct sample *s, uint64_t seq, uint64_t size, int carried,
    int dup_of)
{
	struct seg *g = &s->seg[s->nseg++];
	uint64_t n = w3s_chunk_count(size);
	uint64_t total = s->nseg > 1 ? s->seg[s->nseg - 2].leaf.total_size : 0;

	g->seq = seq;
	g->nchunks = n;
	g->hashes = calloc(n, 32);
	if (g->hashes == NULL)
		bail("out of memory");
	g->leaf.data_size = size;
	g->leaf.total_size = total + size;
	if (dup_of >= 0) {
		/* The same bytes as an earlier segment: its chunks are in the
		 * stream already and are not sent again. */
		memcpy(g->hashes, s->seg[dup_of].hashes, n * 32);
	} else {
		for (uint64_t i = 0; i < n; i++) {
			size_t len = (size_t)w3s_chunk_len(size, i);

			if (!carried) {
				fill(g->hashes[i], 32);
				continue;
			}
			if (s->nchunks == CHUNK_MAX)
				bail("sample too large");
			s->cdata[s->nchunks] = malloc(len ? len : 1);
			fill(s->cdata[s->nchunks], len);
			s->clen[s->nchunks] = len;
			w3s_hash_blake2b(g->hashes[i], s->cdata[s->nchunks],
			    len);
			memcpy(s->chash[s->nchunks], g->hashes[i], 32);
			s->nchunks++;
			s->m.counts.chunk_bytes += len;
		}
	}
	w3s_merkle_root((const uint8_t (*)[32])g->hashes, n, g->leaf.data_root);
	s->m.counts.segments++;
	s->m.counts.chunk_refs += n;
}

/* small: tiny chunks, every record kind, cheap to truncate everywhere.
 * big: full 256 KiB chunks, and a 5000-chunk segment whose chunks the
 * receiver is taken to hold already (its chunk list takes two records). */
static void
make_sample(struct sample *s, int big, int delta, int signed_stream)
{
	struct w3s_commitment dc;
	struct w3s_commit_sig sig;

	memset(s, 0, sizeof(*s));
	rng_state = big ? 0x9e3779b97f4a7c15ull : 0x123456789abcdefull;
	s->m.kind = delta ? W3S_STREAM_DELTA : W3S_STREAM_FULL;
	s->m.bucket = 7;
	s->m.created = 1764000000;
	if (big) {
		add_segment(s, 10, 0, 1, -1);
		add_segment(s, 11, 2 * 262144 + 5, 1, -1);
		add_segment(s, 12, 5000ull * 262144 - 1, 0, -1);
		add_segment(s, 14, 2 * 262144 + 5, 1, 1);
		add_segment(s, 15, 262144, 1, -1);
	} else {
		add_segment(s, 3, 0, 1, -1);
		add_segment(s, 4, 700, 1, -1);
		add_segment(s, 5, 1, 1, -1);
		add_segment(s, 6, 700, 1, 1);
	}
	s->m.counts.chunks = s->nchunks;
	memset(s->m.target.mmr_root, 0x77, 32);
	s->m.target.start_seq = s->seg[0].seq;
	s->m.target.leaf_count = s->nseg;
	if (delta) {
		s->m.has_base = 1;
		memset(s->m.base.mmr_root, 0x66, 32);
		s->m.base.start_seq = 1;
		s->m.base.leaf_count = 2;
	}
	sign_commitment(primary, s->m.bucket, &s->m.target, &s->m.sigs[0]);
	s->m.nsigs = 1;
	if (signed_stream) {
		s->m.has_producer = 1;
		w3s_key_public(producer, s->m.producer);
	}

	s->del.start_seq = s->seg[0].seq;
	memset(s->del.mmr_root, 0x44, 32);
	memcpy(dc.mmr_root, s->del.mmr_root, 32);
	dc.start_seq = s->del.start_seq;
	dc.leaf_count = 0;
	sign_commitment(primary, s->m.bucket, &dc, &sig);
	memcpy(s->del.admin, sig.key, 32);
	memcpy(s->del.sig, sig.sig, 64);
	s->m.counts.deletions = 1;

	s->cp.commitment = s->m.target;
	s->cp.block = 99;
	s->cp.nsigs = 1;
	s->cp.sigs[0] = s->m.sigs[0];
	s->m.counts.checkpoints = 1;

	s->idx[0].name = "a.txt";
	s->idx[0].name_len = 5;
	memcpy(s->idx[0].data_root, s->seg[1].leaf.data_root, 32);
	s->idx[1].name = "old.txt";
	s->idx[1].name_len = 7;
	s->idx[1].removed = 1;
	s->m.counts.index = 2;
}

static void
free_sample(struct sample *s)
{
	for (size_t i = 0; i < s->nseg; i++)
		free(s->seg[i].hashes);
	for (size_t i = 0; i < s->nchunks; i++)
		free(s->cdata[i]);
}

/* Resume after the first k chunks. */
static void
resume_sample(struct sample *s, size_t k)
{
	s->m.resume_chunk = k;
	s->m.resume_byte = 0;
	for (size_t i = 0; i < k; i++)
		s->m.resume_byte += s->clen[i];
}

/* ---- writing --------------------------------------------------------- */

static int
buf_sink(void *ctx, const void *data, size_t len, struct w3s_err *err)
{
	w3s_buf_put(ctx, data, len);
	return w3s_buf_check(ctx, err);
}

/* Writes the sample's archive; slice says how many chunk hashes to give
 * per call (0: all at once). */
static int
put_sample(struct w3s_stream_writer *w, const struct sample *s, size_t slice,
    struct w3s_err *err)
{
	int rc;

	if ((rc = w3s_stream_put_manifest(w, &s->m, err)) != 0 ||
	    (rc = w3s_stream_put_deletion(w, &s->del, err)) != 0)
		return rc;
	for (size_t i = 0; i < s->nseg; i++) {
		const struct seg *g = &s->seg[i];
		struct w3s_segment_rec rec;
		uint64_t off = 0;

		do {
			uint64_t n = slice ? slice : g->nchunks;

			if (n > g->nchunks - off)
				n = g->nchunks - off;
			rec.seq = g->seq;
			rec.leaf = g->leaf;
			rec.first = off;
			rec.nhashes = (size_t)n;
			rec.hashes = (const uint8_t (*)[32])g->hashes[off];
			if ((rc = w3s_stream_put_segment(w, &rec, err)) != 0)
				return rc;
			off += n;
		} while (off < g->nchunks);
	}
	if ((rc = w3s_stream_put_checkpoint(w, &s->cp, err)) != 0 ||
	    (rc = w3s_stream_put_index(w, &s->idx[0], err)) != 0 ||
	    (rc = w3s_stream_put_index(w, &s->idx[1], err)) != 0)
		return rc;
	for (size_t i = (size_t)s->m.resume_chunk; i < s->nchunks; i++)
		if ((rc = w3s_stream_put_chunk(w, s->chash[i], s->cdata[i],
		    s->clen[i], err)) != 0)
			return rc;
	return w3s_stream_finish(w, s->m.has_producer ? producer : NULL, err);
}

static void
write_sample(const struct sample *s, int level, size_t slice,
    struct w3s_buf *out)
{
	struct w3s_stream_writer *w;
	struct w3s_err err;

	w = w3s_stream_writer_new_cb(buf_sink, out, level, &err);
	if (w == NULL)
		bail(err.msg);
	if (put_sample(w, s, slice, &err) != 0)
		bail(err.msg);
	w3s_stream_writer_free(w);
	if (out->failed)
		bail("out of memory");
}

/* ---- reading --------------------------------------------------------- */

struct mem {
	const uint8_t *p;
	size_t len, off, step;
};

static long
mem_source(void *ctx, void *buf, size_t cap, struct w3s_err *err)
{
	struct mem *m = ctx;
	size_t n = m->len - m->off;

	(void)err;
	if (n > cap)
		n = cap;
	if (m->step != 0 && n > m->step)
		n = m->step;
	if (n > 0)
		memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (long)n;
}

struct result {
	int rc;			/* the first error, or 0 after EOF */
	struct w3s_err err;
	size_t events[W3S_STREAM_EV_TRAILER + 1];
	size_t nchunks;
	uint8_t chash[64][32];
	uint64_t cindex[64];
	int data_ok;		/* every chunk's bytes match the sample */
	int meta_ok;		/* every record matches the sample */
	struct w3s_stream_pos pos;
	uint8_t digest[32];	/* manifest digest of the first archive */
};

/* Checks a segment record against the sample. */
static int
segment_matches(const struct sample *s, const struct w3s_segment_rec *r)
{
	for (size_t i = 0; i < s->nseg; i++) {
		const struct seg *g = &s->seg[i];

		if (g->seq != r->seq)
			continue;
		return memcmp(&g->leaf, &r->leaf, sizeof(g->leaf)) == 0 &&
		    r->first + r->nhashes <= g->nchunks &&
		    memcmp(g->hashes[r->first], r->hashes,
		    r->nhashes * 32) == 0;
	}
	return 0;
}

/* Reads everything; s (may be NULL) is what the archives should hold. */
static void
read_all(const uint8_t *p, size_t len, size_t step, const struct sample *s,
    struct result *res)
{
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct mem m = { p, len, 0, step };

	memset(res, 0, sizeof(*res));
	res->data_ok = res->meta_ok = 1;
	r = w3s_stream_reader_new_cb(mem_source, &m, &res->err);
	if (r == NULL)
		bail(res->err.msg);
	for (;;) {
		res->rc = w3s_stream_next(r, &ev, &res->err);
		if (res->rc != 0 || ev.type == W3S_STREAM_EV_EOF)
			break;
		res->events[ev.type]++;
		switch (ev.type) {
		case W3S_STREAM_EV_MANIFEST:
			if (res->events[ev.type] == 1)
				w3s_stream_reader_pos(r, &res->pos),
				memcpy(res->digest, res->pos.manifest_digest,
				    32);
			if (s != NULL && memcmp(ev.u.manifest, &s->m,
			    sizeof(s->m)) != 0)
				res->meta_ok = 0;
			break;
		case W3S_STREAM_EV_SEGMENT:
			if (s != NULL && !segment_matches(s, ev.u.segment))
				res->meta_ok = 0;
			break;
		case W3S_STREAM_EV_DELETION:
			if (s != NULL && memcmp(ev.u.deletion, &s->del,
			    sizeof(s->del)) != 0)
				res->meta_ok = 0;
			break;
		case W3S_STREAM_EV_CHECKPOINT:
			if (s != NULL && memcmp(ev.u.checkpoint, &s->cp,
			    sizeof(s->cp)) != 0)
				res->meta_ok = 0;
			break;
		case W3S_STREAM_EV_INDEX: {
			const struct w3s_index_entry *e = ev.u.index;
			size_t k = res->events[ev.type] - 1;

			if (s != NULL && (k > 1 || e->name_len !=
			    s->idx[k].name_len || memcmp(e->name,
			    s->idx[k].name, e->name_len) != 0 ||
			    e->removed != s->idx[k].removed ||
			    (!e->removed && memcmp(e->data_root,
			    s->idx[k].data_root, 32) != 0)))
				res->meta_ok = 0;
			break;
		}
		case W3S_STREAM_EV_CHUNK: {
			const struct w3s_stream_chunk *c = ev.u.chunk;
			uint64_t i = c->index;

			if (res->nchunks < 64) {
				memcpy(res->chash[res->nchunks], c->hash, 32);
				res->cindex[res->nchunks] = i;
			}
			res->nchunks++;
			if (s != NULL && (i >= s->nchunks ||
			    c->len != s->clen[i] || memcmp(c->data,
			    s->cdata[i], c->len) != 0 || memcmp(c->hash,
			    s->chash[i], 32) != 0))
				res->data_ok = 0;
			break;
		}
		default:
			break;
		}
	}
	w3s_stream_reader_pos(r, &res->pos);
	w3s_stream_reader_free(r);
}

/* ---- tar and zstd by hand -------------------------------------------- */

struct tent {
	char name[256];
	char type;
	uint8_t *data;
	size_t len;
};

#define TENT_MAX 64

struct tar {
	size_t n;
	struct tent e[TENT_MAX];
};

static void
tar_free(struct tar *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].data);
	t->n = 0;
}

/* The tar bytes inside zstd frames of raw blocks (what store mode
 * writes). */
static void
unwrap_store(const uint8_t *z, size_t len, struct w3s_buf *tar)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < 6 || z[off] != 0x28 || z[off + 1] != 0xb5 ||
		    z[off + 4] != 0x00 || z[off + 5] != 0x38)
			bail("not a store-mode frame");
		off += 6;
		for (;;) {
			uint32_t h = z[off] | z[off + 1] << 8 |
			    (uint32_t)z[off + 2] << 16;
			size_t n = h >> 3;

			if ((h >> 1 & 3) == 1) {
				for (size_t i = 0; i < n; i++)
					w3s_buf_put_u8(tar, z[off + 3]);
				off += 4;
			} else if ((h >> 1 & 3) == 0) {
				w3s_buf_put(tar, z + off + 3, n);
				off += 3 + n;
			} else {
				bail("not a raw or RLE block");
			}
			if (h & 1)
				break;
		}
	}
}

static size_t
run_len(const uint8_t *p, size_t len, size_t i, size_t max)
{
	size_t n = 1;

	while (i + n < len && n < max && p[i + n] == p[i])
		n++;
	return n;
}

static void
block(struct w3s_buf *z, int type, const uint8_t *data, size_t n, int last)
{
	uint32_t h = (uint32_t)n << 3 | (uint32_t)type << 1 | (last ? 1 : 0);
	uint8_t bh[3] = { (uint8_t)h, (uint8_t)(h >> 8), (uint8_t)(h >> 16) };

	w3s_buf_put(z, bh, 3);
	w3s_buf_put(z, data, type == 1 ? 1 : n);
}

/* Wraps tar bytes in one zstd frame of raw blocks, with RLE blocks for
 * runs of one byte (tar padding, zero-filled test entries), so the
 * committed fixtures stay small. */
static void
wrap_store(const uint8_t *tar, size_t len, struct w3s_buf *z)
{
	static const uint8_t head[6] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38 };
	size_t off = 0;

	w3s_buf_put(z, head, sizeof(head));
	if (len == 0)
		block(z, 0, NULL, 0, 1);
	while (off < len) {
		size_t n = run_len(tar, len, off, 131072), end;

		if (n >= 64) {
			block(z, 1, tar + off, n, off + n == len);
			off += n;
			continue;
		}
		for (end = off + n; end < len && end - off < 131072; end++)
			if (run_len(tar, len, end, 64) >= 64)
				break;
		if (end - off > 131072)
			end = off + 131072;
		block(z, 0, tar + off, end - off, end == len);
		off = end;
	}
}

/* A zstd frame of n zero bytes in RLE blocks: a few bytes per 128 KiB. */
static void
zero_frame(uint64_t n, struct w3s_buf *z)
{
	static const uint8_t head[6] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38 };

	w3s_buf_put(z, head, sizeof(head));
	while (n > 0) {
		uint32_t k = n > 131072 ? 131072 : (uint32_t)n;
		uint32_t h = k << 3 | 1u << 1 | (n == k);
		uint8_t b[4] = { (uint8_t)h, (uint8_t)(h >> 8),
		    (uint8_t)(h >> 16), 0 };

		w3s_buf_put(z, b, 4);
		n -= k;
	}
}

static uint64_t
octal(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	return v;
}

static void
parse_tar(const uint8_t *p, size_t len, struct tar *t)
{
	size_t off = 0;

	t->n = 0;
	while (off + 512 <= len) {
		const uint8_t *h = p + off;
		struct tent *e;
		int zero = 1;

		for (int i = 0; i < 512; i++)
			zero &= h[i] == 0;
		if (zero)
			break;
		if (t->n == TENT_MAX)
			bail("too many tar entries");
		e = &t->e[t->n++];
		memset(e, 0, sizeof(*e));
		memcpy(e->name, h, 100);
		e->type = (char)h[156];
		e->len = (size_t)octal(h + 124, 12);
		e->data = malloc(e->len ? e->len : 1);
		memcpy(e->data, h + 512, e->len);
		off += 512 + (e->len + 511) / 512 * 512;
	}
}

static void
tar_header(uint8_t h[512], const struct tent *e)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	memcpy(h, e->name, strlen(e->name) > 100 ? 100 : strlen(e->name));
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)e->len);
	snprintf((char *)h + 136, 12, "%011o", 1764000000u);
	memset(h + 148, ' ', 8);
	h[156] = (uint8_t)(e->type ? e->type : '0');
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* Tar bytes of the entries, with the end-of-archive blocks when end. */
static void
build_tar(const struct tar *t, int end, struct w3s_buf *out)
{
	static const uint8_t zero[1024];
	uint8_t h[512];

	for (size_t i = 0; i < t->n; i++) {
		const struct tent *e = &t->e[i];

		tar_header(h, e);
		w3s_buf_put(out, h, 512);
		w3s_buf_put(out, e->data, e->len);
		w3s_buf_put(out, zero, (512 - e->len % 512) % 512);
	}
	if (end)
		w3s_buf_put(out, zero, sizeof(zero));
}

/* The sample's archive as tar entries. */
static void
sample_tar(const struct sample *s, struct tar *t)
{
	struct w3s_buf z, tar;

	w3s_buf_init(&z);
	w3s_buf_init(&tar);
	write_sample(s, W3S_STREAM_LEVEL_STORE, 0, &z);
	unwrap_store(z.data, z.len, &tar);
	parse_tar(tar.data, tar.len, t);
	w3s_buf_release(&z);
	w3s_buf_release(&tar);
}

static size_t
find_entry(const struct tar *t, const char *prefix)
{
	for (size_t i = 0; i < t->n; i++)
		if (strncmp(t->e[i].name, prefix, strlen(prefix)) == 0)
			return i;
	bail("no such entry");
	return 0;
}

static void
move_entry(struct tar *t, size_t from, size_t to)
{
	struct tent e = t->e[from];

	if (from < to)
		memmove(&t->e[from], &t->e[from + 1], (to - from) * sizeof(e));
	else
		memmove(&t->e[to + 1], &t->e[to], (from - to) * sizeof(e));
	t->e[to] = e;
}

static void
insert_entry(struct tar *t, size_t at, const char *name, const void *data,
    size_t len, char type)
{
	struct tent *e;

	if (t->n == TENT_MAX)
		bail("too many tar entries");
	memmove(&t->e[at + 1], &t->e[at], (t->n - at) * sizeof(t->e[0]));
	t->n++;
	e = &t->e[at];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->type = type;
	e->data = malloc(len ? len : 1);
	if (len)
		memcpy(e->data, data, len);
	e->len = len;
}

static void
remove_entry(struct tar *t, size_t at)
{
	free(t->e[at].data);
	memmove(&t->e[at], &t->e[at + 1], (t->n - at - 1) * sizeof(t->e[0]));
	t->n--;
}

static void
set_data(struct tent *e, const void *data, size_t len)
{
	free(e->data);
	e->data = malloc(len ? len : 1);
	if (len)
		memcpy(e->data, data, len);
	e->len = len;
}

/* Re-signs a trailer changed by f. */
static void
edit_trailer(struct tar *t, void (*f)(struct w3s_trailer *))
{
	size_t i = find_entry(t, "trailer.cbor");
	struct w3s_trailer tr;
	struct w3s_buf b;
	struct w3s_err err;

	if (w3s_trailer_decode(t->e[i].data, t->e[i].len, &tr, &err) != 0)
		bail(err.msg);
	f(&tr);
	w3s_buf_init(&b);
	if (w3s_trailer_encode(&tr, &b, &err) != 0)
		bail(err.msg);
	set_data(&t->e[i], b.data, b.len);
	w3s_buf_release(&b);
}

/* ---- the bad streams ------------------------------------------------- */

struct bad {
	const char *name;	/* the fixture's name: its defect */
	int code;
	void (*make)(struct tar *t, struct w3s_buf *z);
};

static void
wrap(struct tar *t, struct w3s_buf *z)
{
	struct w3s_buf tar;

	w3s_buf_init(&tar);
	build_tar(t, 1, &tar);
	wrap_store(tar.data, tar.len, z);
	w3s_buf_release(&tar);
}

static void
bad_chunk_bitflip(struct tar *t, struct w3s_buf *z)
{
	size_t i = find_entry(t, "chunks/");

	t->e[i + 1].data[t->e[i + 1].len / 2] ^= 0x10;
	wrap(t, z);
}

static void
rename_chunk(struct tar *t, struct w3s_buf *z, const char *prefix)
{
	size_t i = find_entry(t, "chunks/");
	char cid[128];

	snprintf(cid, sizeof(cid), "%s", t->e[i].name + 7);
	snprintf(t->e[i].name, sizeof(t->e[i].name), "%s%s", prefix, cid);
	wrap(t, z);
}

static void
bad_name_dotdot(struct tar *t, struct w3s_buf *z)
{
	rename_chunk(t, z, "chunks/../../");
}

static void
bad_name_absolute(struct tar *t, struct w3s_buf *z)
{
	rename_chunk(t, z, "/chunks/");
}

static void
bad_name_dotdot_only(struct tar *t, struct w3s_buf *z)
{
	snprintf(t->e[find_entry(t, "chunks/")].name, 256, "../etc/passwd");
	wrap(t, z);
}

static void
bad_name_uppercase_cid(struct tar *t, struct w3s_buf *z)
{
	size_t i = find_entry(t, "chunks/");

	for (char *p = t->e[i].name + 7; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	wrap(t, z);
}

static void
bad_manifest_absolute(struct tar *t, struct w3s_buf *z)
{
	snprintf(t->e[0].name, 256, "/manifest.cbor");
	wrap(t, z);
}

static void
bad_unknown_entry(struct tar *t, struct w3s_buf *z)
{
	insert_entry(t, 2, "README", "hello\n", 6, '0');
	wrap(t, z);
}

static void
bad_directory_entry(struct tar *t, struct w3s_buf *z)
{
	insert_entry(t, 1, "chunks/", NULL, 0, '5');
	wrap(t, z);
}

static void
bad_symlink_chunk(struct tar *t, struct w3s_buf *z)
{
	size_t i = find_entry(t, "chunks/");

	t->e[i].type = '2';
	set_data(&t->e[i], NULL, 0);
	wrap(t, z);
}

static void
bad_meta_after_chunk(struct tar *t, struct w3s_buf *z)
{
	size_t m = find_entry(t, "meta/");
	size_t c = find_entry(t, "chunks/");

	move_entry(t, c, m);
	wrap(t, z);
}

static void
bad_chunk_before_manifest(struct tar *t, struct w3s_buf *z)
{
	move_entry(t, find_entry(t, "chunks/"), 0);
	wrap(t, z);
}

static void
bad_second_manifest(struct tar *t, struct w3s_buf *z)
{
	insert_entry(t, find_entry(t, "chunks/"), "manifest.cbor",
	    t->e[0].data, t->e[0].len, '0');
	wrap(t, z);
}

static void
bad_entry_after_trailer(struct tar *t, struct w3s_buf *z)
{
	size_t c = find_entry(t, "chunks/");

	insert_entry(t, t->n, t->e[c].name, t->e[c].data, t->e[c].len, '0');
	wrap(t, z);
}

static void
bad_missing_trailer(struct tar *t, struct w3s_buf *z)
{
	remove_entry(t, find_entry(t, "trailer.cbor"));
	wrap(t, z);
}

static void
bad_missing_chunk(struct tar *t, struct w3s_buf *z)
{
	remove_entry(t, find_entry(t, "chunks/"));
	wrap(t, z);
}

static void
bad_meta_out_of_order(struct tar *t, struct w3s_buf *z)
{
	/* The index entry (last metadata) before the segments. */
	size_t c = find_entry(t, "chunks/");

	move_entry(t, c - 1, 1);
	wrap(t, z);
}

static void
bad_meta_misnumbered(struct tar *t, struct w3s_buf *z)
{
	size_t m = find_entry(t, "meta/");

	t->e[m].name[5 + 11] = '7';
	wrap(t, z);
}

static void
bad_oversize_manifest(struct tar *t, struct w3s_buf *z)
{
	uint8_t *big = calloc(1, W3S_MANIFEST_MAX + 1);

	set_data(&t->e[0], big, W3S_MANIFEST_MAX + 1);
	free(big);
	wrap(t, z);
}

static void
bad_oversize_chunk(struct tar *t, struct w3s_buf *z)
{
	size_t c = find_entry(t, "chunks/");
	uint8_t *big = calloc(1, W3S_STREAM_CHUNK_MAX + 1);
	uint8_t h[32];
	char name[128];

	w3s_hash_blake2b(h, big, W3S_STREAM_CHUNK_MAX + 1);
	memcpy(name, "chunks/", 7);
	w3s_stream_chunk_cid(name + 7, h);
	snprintf(t->e[c].name, 256, "%s", name);
	set_data(&t->e[c], big, W3S_STREAM_CHUNK_MAX + 1);
	free(big);
	wrap(t, z);
}

static void
bad_oversize_meta(struct tar *t, struct w3s_buf *z)
{
	size_t m = find_entry(t, "meta/");
	uint8_t *big = calloc(1, W3S_META_ENTRY_MAX + 1);

	set_data(&t->e[m], big, W3S_META_ENTRY_MAX + 1);
	free(big);
	wrap(t, z);
}

static void
bad_oversize_trailer(struct tar *t, struct w3s_buf *z)
{
	size_t i = find_entry(t, "trailer.cbor");
	uint8_t big[W3S_TRAILER_MAX + 1] = { 0 };

	set_data(&t->e[i], big, sizeof(big));
	wrap(t, z);
}

static void
bad_bomb_extra_chunk(struct tar *t, struct w3s_buf *z)
{
	/* One chunk more than the manifest declares, named by its CID. */
	uint8_t data[1000], h[32];
	char name[128];

	memset(data, 'x', sizeof(data));
	w3s_hash_blake2b(h, data, sizeof(data));
	memcpy(name, "chunks/", 7);
	w3s_stream_chunk_cid(name + 7, h);
	insert_entry(t, find_entry(t, "trailer.cbor"), name, data,
	    sizeof(data), '0');
	wrap(t, z);
}

static void
bad_bomb_zeros(struct tar *t, struct w3s_buf *z)
{
	/* The manifest, then 256 MiB of zero blocks that libarchive would
	 * skip: a few KiB compressed. */
	struct w3s_buf tar;

	w3s_buf_init(&tar);
	while (t->n > 1)
		remove_entry(t, t->n - 1);
	build_tar(t, 0, &tar);
	wrap_store(tar.data, tar.len, z);
	w3s_buf_release(&tar);
	zero_frame(1ull << 28, z);
}

static void
bad_meta_bitflip(struct tar *t, struct w3s_buf *z)
{
	/* A byte of the first index entry's data root: the CBOR stays
	 * valid, only the trailer's digest can tell. */
	size_t c = find_entry(t, "chunks/");
	uint8_t *p = memmem(t->e[c - 1].data, t->e[c - 1].len, "\x58\x20", 2);

	if (p == NULL)
		bail("no data root in the index entry");
	p[2 + 7] ^= 1;
	wrap(t, z);
}

static void
bad_segment_hash_bitflip(struct tar *t, struct w3s_buf *z)
{
	size_t m = find_entry(t, "meta/");

	m++;	/* the segments entry follows the deletions */
	t->e[m].data[t->e[m].len - 1] ^= 1;
	wrap(t, z);
}

static void
flip_signature(struct w3s_trailer *tr)
{
	tr->signature[0] ^= 1;
}

static void
bad_trailer_signature(struct tar *t, struct w3s_buf *z)
{
	edit_trailer(t, flip_signature);
	wrap(t, z);
}

static void
flip_manifest_digest(struct w3s_trailer *tr)
{
	tr->manifest_digest[3] ^= 1;
}

static void
bad_trailer_manifest_digest(struct tar *t, struct w3s_buf *z)
{
	edit_trailer(t, flip_manifest_digest);
	wrap(t, z);
}

static void
wrong_count(struct w3s_trailer *tr)
{
	tr->chunks++;
}

static void
bad_trailer_count(struct tar *t, struct w3s_buf *z)
{
	edit_trailer(t, wrong_count);
	wrap(t, z);
}

/* Re-encodes the manifest after f changed it. */
static void
edit_manifest(struct tar *t, void (*f)(struct w3s_manifest *))
{
	struct w3s_manifest m;
	struct w3s_buf b;
	struct w3s_err err;

	if (w3s_manifest_decode(t->e[0].data, t->e[0].len, &m, &err) != 0)
		bail(err.msg);
	f(&m);
	w3s_buf_init(&b);
	if (w3s_manifest_encode(&m, &b, &err) != 0)
		bail(err.msg);
	set_data(&t->e[0], b.data, b.len);
	w3s_buf_release(&b);
}

static void
flip_target_sig(struct w3s_manifest *m)
{
	m->sigs[0].sig[9] ^= 1;
}

static void
bad_commitment_signature(struct tar *t, struct w3s_buf *z)
{
	edit_manifest(t, flip_target_sig);
	wrap(t, z);
}

static void
fewer_chunks(struct w3s_manifest *m)
{
	/* The last chunk is one byte; declare it away. */
	m->counts.chunks--;
	m->counts.chunk_bytes -= 1;
}

static void
bad_bomb_undeclared(struct tar *t, struct w3s_buf *z)
{
	edit_manifest(t, fewer_chunks);
	wrap(t, z);
}

static void
version_two(struct tar *t, struct w3s_buf *z)
{
	/* "version" then 1: patched to 2. */
	uint8_t *p = memmem(t->e[0].data, t->e[0].len, "gversion\x01", 9);

	if (p == NULL)
		bail("no version in the manifest");
	p[8] = 0x02;
	wrap(t, z);
}

static void
bad_not_zstd(struct tar *t, struct w3s_buf *z)
{
	build_tar(t, 1, z);	/* a plain tar */
}

static void
bad_garbage_after_stream(struct tar *t, struct w3s_buf *z)
{
	wrap(t, z);
	w3s_buf_put(z, "garbage!", 8);
}

static void
bad_empty(struct tar *t, struct w3s_buf *z)
{
	(void)t;
	(void)z;
}

static void
bad_tar_garbage_header(struct tar *t, struct w3s_buf *z)
{
	struct w3s_buf tar;
	size_t c = find_entry(t, "chunks/");
	size_t off = 0;

	w3s_buf_init(&tar);
	build_tar(t, 1, &tar);
	for (size_t i = 0; i < c; i++)
		off += 512 + (t->e[i].len + 511) / 512 * 512;
	memset(tar.data + off, 'Z', 512);	/* the chunk's header */
	wrap_store(tar.data, tar.len, z);
	w3s_buf_release(&tar);
}

static void
bad_bomb_pax_header(struct tar *t, struct w3s_buf *z)
{
	/* A pax extended header of 64 MiB after the manifest: libarchive
	 * reads those itself, so only the cap on decompressed bytes can
	 * stop it. */
	uint8_t *big = calloc(1, 64u << 20);

	insert_entry(t, 1, "PaxHeader/x", big, 64u << 20, 'x');
	free(big);
	wrap(t, z);
}

static void
bad_zstd_checksum(struct tar *t, struct w3s_buf *z)
{
	struct sample s;

	(void)t;
	make_sample(&s, 0, 0, 1);
	write_sample(&s, 1, 0, z);
	z->data[z->len - 1] ^= 1;	/* the frame's content checksum */
	free_sample(&s);
}

static void
huge_counts(struct w3s_manifest *m)
{
	m->counts.chunk_refs = 1ull << 40;
	m->counts.chunks = 1ull << 40;
	m->counts.chunk_bytes = 1ull << 50;
}

static void
bad_bomb_zeros_huge_manifest(struct tar *t, struct w3s_buf *z)
{
	/* Counts that allow a petabyte do not let zero blocks through. */
	edit_manifest(t, huge_counts);
	bad_bomb_zeros(t, z);
}

static const struct bad bads[] = {
	{ "chunk-bitflip", W3S_EVERIFY, bad_chunk_bitflip },
	{ "name-dotdot", W3S_EMALFORMED, bad_name_dotdot },
	{ "name-absolute", W3S_EMALFORMED, bad_name_absolute },
	{ "name-parent-path", W3S_EMALFORMED, bad_name_dotdot_only },
	{ "name-uppercase-cid", W3S_EMALFORMED, bad_name_uppercase_cid },
	{ "manifest-absolute-name", W3S_EMALFORMED, bad_manifest_absolute },
	{ "unknown-entry", W3S_EMALFORMED, bad_unknown_entry },
	{ "directory-entry", W3S_EMALFORMED, bad_directory_entry },
	{ "symlink-chunk", W3S_EMALFORMED, bad_symlink_chunk },
	{ "meta-after-chunk", W3S_EMALFORMED, bad_meta_after_chunk },
	{ "chunk-before-manifest", W3S_EMALFORMED, bad_chunk_before_manifest },
	{ "second-manifest", W3S_EMALFORMED, bad_second_manifest },
	{ "entry-after-trailer", W3S_EMALFORMED, bad_entry_after_trailer },
	{ "meta-out-of-order", W3S_EMALFORMED, bad_meta_out_of_order },
	{ "meta-misnumbered", W3S_EMALFORMED, bad_meta_misnumbered },
	{ "oversize-manifest", W3S_EMALFORMED, bad_oversize_manifest },
	{ "oversize-chunk", W3S_EMALFORMED, bad_oversize_chunk },
	{ "oversize-meta", W3S_EMALFORMED, bad_oversize_meta },
	{ "oversize-trailer", W3S_EMALFORMED, bad_oversize_trailer },
	{ "bomb-extra-chunk", W3S_EMALFORMED, bad_bomb_extra_chunk },
	{ "bomb-undeclared-bytes", W3S_EMALFORMED, bad_bomb_undeclared },
	{ "bomb-zero-blocks", W3S_EMALFORMED, bad_bomb_zeros },
	{ "bomb-pax-header", W3S_EMALFORMED, bad_bomb_pax_header },
	{ "bomb-zero-blocks-huge-counts", W3S_EMALFORMED,
	    bad_bomb_zeros_huge_manifest },
	{ "zstd-checksum", W3S_EVERIFY, bad_zstd_checksum },
	{ "meta-bitflip", W3S_EVERIFY, bad_meta_bitflip },
	{ "segment-hash-bitflip", W3S_EVERIFY, bad_segment_hash_bitflip },
	{ "trailer-signature", W3S_EVERIFY, bad_trailer_signature },
	{ "trailer-manifest-digest", W3S_EVERIFY, bad_trailer_manifest_digest },
	{ "trailer-count", W3S_EMALFORMED, bad_trailer_count },
	{ "commitment-signature", W3S_EVERIFY, bad_commitment_signature },
	{ "manifest-version-2", W3S_EMALFORMED, version_two },
	{ "missing-trailer", W3S_EINCOMPLETE, bad_missing_trailer },
	{ "missing-chunk", W3S_EMALFORMED, bad_missing_chunk },
	{ "not-zstd", W3S_EMALFORMED, bad_not_zstd },
	{ "garbage-after-stream", W3S_EMALFORMED, bad_garbage_after_stream },
	{ "tar-garbage-header", W3S_EMALFORMED, bad_tar_garbage_header },
	{ "empty", W3S_EINCOMPLETE, bad_empty },
};
#define NBADS (sizeof(bads) / sizeof(bads[0]))

static void
make_bad(const struct bad *b, struct w3s_buf *z)
{
	struct sample s;
	struct tar t;

	make_sample(&s, 0, 0, 1);
	sample_tar(&s, &t);
	b->make(&t, z);
	tar_free(&t);
	free_sample(&s);
}

static void
test_bad_streams(void)
{
	for (size_t i = 0; i < NBADS; i++) {
		struct w3s_buf z;
		struct result res;

		w3s_buf_init(&z);
		make_bad(&bads[i], &z);
		read_all(z.data, z.len, 0, NULL, &res);
		is_int(res.rc, bads[i].code, bads[i].name);
		printf("#   %s\n", res.err.msg);
		if (strcmp(bads[i].name, "chunk-bitflip") == 0)
			ok(strstr(res.err.msg, "chunk bafk2bza") != NULL,
			    "the message names the chunk's CID");
		if (strncmp(bads[i].name, "bomb-zero-blocks", 16) == 0)
			ok(res.pos.bytes_out < (8u << 20), "the bomb was "
			    "stopped after %llu of 256 MiB",
			    (unsigned long long)res.pos.bytes_out);
		if (strcmp(bads[i].name, "missing-trailer") == 0)
			is_int((long long)res.pos.chunks, 3,
			    "all 3 chunks arrived before the end");
		w3s_buf_release(&z);
	}
}

/* The committed fixtures still give their codes. */
static void
test_fixtures(void)
{
	const char *dir = getenv("W3S_STREAM_FIXTURES");
	char path[512];
	size_t found = 0;

	if (dir == NULL)
		dir = "tests/fixtures/stream";
	for (size_t i = 0; i < NBADS; i++) {
		struct result res;
		struct stat st;
		uint8_t *data;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.tar.zst", dir,
		    bads[i].name);
		if (stat(path, &st) != 0)
			continue;
		found++;
		data = malloc((size_t)st.st_size + 1);
		f = fopen(path, "rb");
		if (f == NULL || fread(data, 1, (size_t)st.st_size, f) !=
		    (size_t)st.st_size)
			bail("cannot read a fixture");
		fclose(f);
		read_all(data, (size_t)st.st_size, 0, NULL, &res);
		is_int(res.rc, bads[i].code, path);
		free(data);
	}
	if (found == 0)
		ok(1, "# SKIP no fixtures in %s", dir);
}

/* ---- the tests ------------------------------------------------------- */

static void
test_cid(void)
{
	char cid[W3S_CHUNK_CID_LEN + 1], *ref = NULL;
	uint8_t h[32], back[32];
	struct w3s_cid c;
	struct w3s_err err;

	w3s_hash_blake2b(h, "", 0);
	w3s_stream_chunk_cid(cid, h);
	w3s_cid_from_digest(&c, 1, W3S_CODEC_RAW, W3S_HASH_BLAKE2B_256, h, 32);
	if (w3s_cid_format(&c, W3S_BASE32, &ref, &err) != 0)
		bail(err.msg);
	is_str(cid, ref, "chunk CID agrees with the cid module");
	ok(strncmp(cid, "bafk2bza", 8) == 0 && strlen(cid) == 62,
	    "bafk2bza..., 62 characters");
	is_int(w3s_stream_chunk_cid_parse(cid, strlen(cid), back, &err), 0,
	    "parses back");
	ok(memcmp(h, back, 32) == 0, "to the same hash");
	cid[10] = 'A';
	is_int(w3s_stream_chunk_cid_parse(cid, strlen(cid), back, &err),
	    W3S_EMALFORMED, "upper case is not the canonical form");
	is_int(w3s_stream_chunk_cid_parse(ref, 61, back, &err),
	    W3S_EMALFORMED, "a short CID is refused");
	{
		const char *digits = "abcdefghijklmnopqrstuvwxyz234567";
		int v = (int)(strchr(digits, ref[61]) - digits);

		ref[61] = digits[v ^ 1];	/* the one spare bit */
	}
	is_int(w3s_stream_chunk_cid_parse(ref, 62, back, &err),
	    W3S_EMALFORMED, "spare bits set are refused");
	free(ref);
}

static void
test_round_trip(int big, int delta, int signed_stream, int level,
    size_t step)
{
	struct sample s;
	struct w3s_buf z;
	struct result res;

	make_sample(&s, big, delta, signed_stream);
	w3s_buf_init(&z);
	write_sample(&s, level, 0, &z);
	read_all(z.data, z.len, step, &s, &res);
	is_int(res.rc, 0, "round trip reads to the end");
	if (res.rc != 0)
		printf("#   %s\n", res.err.msg);
	ok(res.events[W3S_STREAM_EV_MANIFEST] == 1 &&
	    res.events[W3S_STREAM_EV_TRAILER] == 1, "one archive");
	ok(res.events[W3S_STREAM_EV_DELETION] == 1 &&
	    res.events[W3S_STREAM_EV_CHECKPOINT] == 1 &&
	    res.events[W3S_STREAM_EV_INDEX] == 2, "every record came");
	is_int((long long)res.events[W3S_STREAM_EV_SEGMENT],
	    big ? 6 : 4, "segment records (a 5000-chunk list takes two)");
	is_int((long long)res.nchunks, (long long)s.nchunks, "every chunk");
	ok(res.meta_ok, "metadata as written");
	ok(res.data_ok, "chunk bytes as written");
	free_sample(&s);
	w3s_buf_release(&z);
}

static void
test_determinism(void)
{
	struct sample s;
	struct w3s_buf a, b, c, d;

	make_sample(&s, 1, 0, 1);
	w3s_buf_init(&a);
	w3s_buf_init(&b);
	w3s_buf_init(&c);
	w3s_buf_init(&d);
	write_sample(&s, W3S_STREAM_LEVEL_DEFAULT, 0, &a);
	write_sample(&s, W3S_STREAM_LEVEL_DEFAULT, 0, &b);
	write_sample(&s, W3S_STREAM_LEVEL_DEFAULT, 7, &c);
	ok(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	    "two writes of the same inputs are byte-identical");
	ok(a.len == c.len && memcmp(a.data, c.data, a.len) == 0,
	    "however the chunk lists are handed over");
	w3s_buf_release(&b);
	w3s_buf_init(&b);
	write_sample(&s, 3, 0, &b);
	write_sample(&s, 3, 1000, &d);
	ok(b.len == d.len && memcmp(b.data, d.data, b.len) == 0,
	    "level 3 too");
	w3s_buf_release(&b);
	w3s_buf_release(&d);
	w3s_buf_init(&b);
	w3s_buf_init(&d);
	write_sample(&s, W3S_STREAM_LEVEL_STORE, 0, &b);
	write_sample(&s, W3S_STREAM_LEVEL_STORE, 4096, &d);
	ok(b.len == d.len && memcmp(b.data, d.data, b.len) == 0,
	    "store mode too");

	/* The tar inside: fixed owners, modes and times, no extras. */
	{
		struct w3s_buf tar;
		int fixed = 1;

		w3s_buf_init(&tar);
		unwrap_store(b.data, b.len, &tar);
		for (size_t off = 0; off + 512 <= tar.len; ) {
			const uint8_t *h = tar.data + off;
			uint64_t size = octal(h + 124, 12);

			if (h[0] == 0)
				break;
			fixed &= octal(h + 100, 8) == 0644 &&
			    octal(h + 108, 8) == 0 && octal(h + 116, 8) == 0 &&
			    octal(h + 136, 12) == 1764000000 &&
			    h[156] == '0' && h[265] == 0 && h[297] == 0;
			off += 512 + (size + 511) / 512 * 512;
		}
		ok(fixed, "every entry: a plain file, mode 0644, uid/gid 0, "
		    "no owner names, mtime = created");
		ok(tar.len % 512 == 0 && tar.len >= 1024 &&
		    memcmp(tar.data + tar.len - 1024, (uint8_t[1024]){ 0 },
		    1024) == 0, "the tar ends with two zero blocks, unpadded");
		w3s_buf_release(&tar);
	}
	free_sample(&s);
	w3s_buf_release(&a);
	w3s_buf_release(&b);
	w3s_buf_release(&c);
	w3s_buf_release(&d);
}

static void
test_entry_order(void)
{
	struct sample s;
	struct tar t;
	int good = 1;

	make_sample(&s, 1, 1, 1);
	sample_tar(&s, &t);
	is_str(t.e[0].name, "manifest.cbor", "first entry: the manifest");
	is_str(t.e[1].name, "meta/000000000000-deletions.cbor",
	    "then the deletions");
	is_str(t.e[2].name, "meta/000000000001-segments.cbor",
	    "then the segments");
	ok(strncmp(t.e[t.n - 1].name, "trailer.cbor", 12) == 0,
	    "last entry: the trailer");
	for (size_t i = 0, k = 0; i < t.n; i++) {
		char want[128];

		if (strncmp(t.e[i].name, "chunks/", 7) != 0)
			continue;
		memcpy(want, "chunks/", 7);
		w3s_stream_chunk_cid(want + 7, s.chash[k++]);
		good &= strcmp(t.e[i].name, want) == 0;
	}
	ok(good, "chunks named by their CID, in segment then chunk order");
	for (size_t i = 0; i < t.n; i++)
		good &= t.e[i].len <= (strncmp(t.e[i].name, "meta/", 5) == 0 ?
		    W3S_META_ENTRY_MAX : W3S_MANIFEST_MAX);
	ok(good, "metadata entries within their bound");
	tar_free(&t);
	free_sample(&s);
}

static void
test_concatenated(void)
{
	struct sample a, b;
	struct w3s_buf z, z2, both;
	struct w3s_stream_writer *w;
	struct w3s_err err;
	struct result res;

	make_sample(&a, 0, 0, 1);
	make_sample(&b, 0, 1, 0);
	w3s_buf_init(&z);
	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	is_int(put_sample(w, &a, 0, &err), 0, "first archive written");
	is_int(put_sample(w, &b, 0, &err), 0,
	    "second archive through the same writer");
	w3s_stream_writer_free(w);
	read_all(z.data, z.len, 0, NULL, &res);
	is_int(res.rc, 0, "two archives read");
	ok(res.events[W3S_STREAM_EV_MANIFEST] == 2 &&
	    res.events[W3S_STREAM_EV_TRAILER] == 2 && res.pos.archives == 2,
	    "two manifests, two trailers");
	is_int((long long)res.nchunks, (long long)(a.nchunks + b.nchunks),
	    "all chunks of both");

	/* Two files written apart, concatenated, compressed and not. */
	w3s_buf_init(&z2);
	w3s_buf_init(&both);
	write_sample(&a, W3S_STREAM_LEVEL_STORE, 0, &z2);
	w3s_buf_put(&both, z.data, z.len);
	w3s_buf_put(&both, z2.data, z2.len);
	read_all(both.data, both.len, 0, NULL, &res);
	is_int(res.rc, 0, "three archives from two files");
	is_int((long long)res.pos.archives, 3, "three trailers");

	/* Cut inside the third archive: two complete ones stay. */
	read_all(both.data, both.len - z2.len / 2, 0, NULL, &res);
	is_int(res.rc, W3S_EINCOMPLETE, "cut inside the third archive");
	is_int((long long)res.pos.archives, 2, "after two complete archives");
	ok(res.pos.in_archive, "inside the third");
	free_sample(&a);
	free_sample(&b);
	w3s_buf_release(&z);
	w3s_buf_release(&z2);
	w3s_buf_release(&both);
}

static void
test_resume(void)
{
	struct sample s;
	struct w3s_buf full, part;
	struct result r1, r2;
	uint8_t id[32];
	struct w3s_err err;

	make_sample(&s, 1, 0, 1);
	w3s_buf_init(&full);
	w3s_buf_init(&part);
	write_sample(&s, 1, 0, &full);
	read_all(full.data, full.len, 0, &s, &r1);
	resume_sample(&s, 2);
	write_sample(&s, 1, 0, &part);
	read_all(part.data, part.len, 0, &s, &r2);
	is_int(r2.rc, 0, "resumed archive reads");
	is_int((long long)r2.nchunks, (long long)s.nchunks - 2,
	    "it carries the chunks after the resume position");
	is_int((long long)r2.cindex[0], 2, "the first is chunk 2");
	ok(r2.data_ok && r2.meta_ok, "the same chunks and metadata");
	is_int((long long)r2.pos.next_chunk, (long long)s.nchunks,
	    "next chunk position at the end");
	is_int(w3s_manifest_snapshot_id(&s.m, id, &err), 0, "snapshot id");
	ok(memcmp(id, r1.digest, 32) == 0,
	    "the resumed archive's snapshot id is the full one's digest");
	ok(memcmp(r2.digest, r1.digest, 32) != 0,
	    "while its own manifest digest differs");

	/* Truncated mid-way, the position says where to resume. */
	read_all(full.data, full.len * 3 / 4, 0, &s, &r1);
	is_int(r1.rc, W3S_EINCOMPLETE, "a cut stream is incomplete");
	is_int((long long)r1.pos.next_chunk, (long long)r1.nchunks,
	    "resume position = chunks received");
	free_sample(&s);
	w3s_buf_release(&full);
	w3s_buf_release(&part);
}

/* Cuts the compressed stream at every byte. */
static void
test_truncation_compressed(void)
{
	struct sample s;
	struct w3s_buf z;
	struct result res;
	size_t bad = 0, first_bad = 0;

	make_sample(&s, 0, 0, 1);
	w3s_buf_init(&z);
	write_sample(&s, 1, 0, &z);
	for (size_t k = 0; k < z.len; k++) {
		read_all(z.data, k, 0, NULL, &res);
		if (res.rc != W3S_EINCOMPLETE && bad++ == 0)
			first_bad = k;
	}
	ok(bad == 0, "every cut of the %zu compressed bytes is "
	    "W3S_EINCOMPLETE (%zu not, first at %zu)", z.len, bad, first_bad);
	read_all(z.data, z.len, 0, NULL, &res);
	is_int(res.rc, 0, "the whole stream is fine");
	free_sample(&s);
	w3s_buf_release(&z);
}

/* Cuts the tar (in a complete zstd frame) at every entry boundary and
 * inside every header and every entry's data. */
static void
test_truncation_tar(void)
{
	struct sample s;
	struct w3s_buf z, tar;
	struct tar t;
	size_t off = 0, trailer_end = 0, bad = 0, cuts = 0;
	size_t chunks_seen = 0, bad_pos = 0;

	make_sample(&s, 0, 0, 1);
	w3s_buf_init(&z);
	w3s_buf_init(&tar);
	write_sample(&s, W3S_STREAM_LEVEL_STORE, 0, &z);
	unwrap_store(z.data, z.len, &tar);
	parse_tar(tar.data, tar.len, &t);
	for (size_t i = 0; i < t.n; i++)
		trailer_end += 512 + (t.e[i].len + 511) / 512 * 512;
	for (size_t i = 0; i <= t.n; i++) {
		size_t cut[4], n = 0;

		cut[n++] = off;				/* boundary */
		if (i < t.n) {
			cut[n++] = off + 100;		/* in the header */
			if (t.e[i].len > 1)
				cut[n++] = off + 512 + t.e[i].len / 2;
			cut[n++] = off + 512 + t.e[i].len; /* in padding */
		}
		for (size_t j = 0; j < n; j++) {
			struct w3s_buf w;
			struct result res;
			int want = cut[j] >= trailer_end ? 0 : W3S_EINCOMPLETE;

			if (cut[j] > tar.len)
				continue;
			w3s_buf_init(&w);
			wrap_store(tar.data, cut[j], &w);
			read_all(w.data, w.len, 0, NULL, &res);
			cuts++;
			if (res.rc != want)
				printf("#   cut at %zu of %zu: %d %s\n", cut[j],
				    tar.len, res.rc, res.err.msg), bad++;
			/* The chunks whose data precedes the cut arrived. */
			chunks_seen = 0;
			for (size_t e = 0, o = 0; e < t.n; e++) {
				if (strncmp(t.e[e].name, "chunks/", 7) == 0 &&
				    o + 512 + t.e[e].len <= cut[j])
					chunks_seen++;
				o += 512 + (t.e[e].len + 511) / 512 * 512;
			}
			if (want != 0 && res.pos.chunks != chunks_seen)
				bad_pos++;
			w3s_buf_release(&w);
		}
		if (i < t.n)
			off += 512 + (t.e[i].len + 511) / 512 * 512;
	}
	ok(bad == 0, "%zu tar cuts: incomplete before the trailer, whole "
	    "after it (%zu wrong)", cuts, bad);
	ok(bad_pos == 0, "every cut reports the chunks that arrived (%zu "
	    "wrong)", bad_pos);
	tar_free(&t);
	free_sample(&s);
	w3s_buf_release(&z);
	w3s_buf_release(&tar);
}

static void
test_unsigned(void)
{
	struct sample s;
	struct w3s_buf z;
	struct w3s_stream_writer *w;
	struct w3s_err err;
	struct result res;

	make_sample(&s, 0, 0, 0);
	w3s_buf_init(&z);
	write_sample(&s, 1, 0, &z);
	read_all(z.data, z.len, 0, &s, &res);
	is_int(res.rc, 0, "an unsigned stream reads");
	ok(res.meta_ok && res.data_ok, "as written");
	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	s.m.has_producer = 0;
	w3s_stream_put_manifest(w, &s.m, &err);
	w3s_stream_writer_free(w);
	free_sample(&s);
	make_sample(&s, 0, 0, 1);
	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	ok(put_sample(w, &s, 0, &err) == 0, "signed stream written");
	w3s_stream_writer_free(w);
	free_sample(&s);
	w3s_buf_release(&z);
}

static int
failing_sink(void *ctx, const void *data, size_t len, struct w3s_err *err)
{
	(void)ctx;
	(void)data;
	(void)len;
	return w3s_err_set(err, W3S_ESYS, "disk full");
}

static void
test_writer_misuse(void)
{
	struct sample s;
	struct w3s_buf z;
	struct w3s_stream_writer *w;
	struct w3s_err err;
	uint8_t h[32] = { 0 };
	struct w3s_segment_rec seg;

	make_sample(&s, 0, 0, 1);
	w3s_buf_init(&z);

	ok(w3s_stream_writer_new_cb(buf_sink, &z, 20, &err) == NULL &&
	    err.code == W3S_EUSAGE, "level 20 is refused");

	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	is_int(w3s_stream_put_chunk(w, h, "", 0, &err), W3S_EUSAGE,
	    "a chunk before the manifest");
	is_int(w3s_stream_finish(w, NULL, &err), W3S_EUSAGE,
	    "errors are sticky");
	w3s_stream_writer_free(w);

	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	w3s_stream_put_manifest(w, &s.m, &err);
	is_int(w3s_stream_put_index(w, &s.idx[0], &err), 0, "an index entry");
	is_int(w3s_stream_put_deletion(w, &s.del, &err), W3S_EUSAGE,
	    "a deletion after the index is out of order");
	w3s_stream_writer_free(w);

	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	w3s_stream_put_manifest(w, &s.m, &err);
	seg.seq = s.seg[1].seq;
	seg.leaf = s.seg[1].leaf;
	seg.first = 0;
	seg.nhashes = 1;
	seg.hashes = (const uint8_t (*)[32])s.seg[1].hashes;
	is_int(w3s_stream_put_segment(w, &seg, &err), 0, "a segment");
	seg.seq = s.seg[0].seq;
	seg.leaf = s.seg[0].leaf;
	is_int(w3s_stream_put_segment(w, &seg, &err), W3S_EUSAGE,
	    "a lower seq after it is refused");
	w3s_stream_writer_free(w);

	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	w3s_stream_put_manifest(w, &s.m, &err);
	is_int(w3s_stream_put_chunk(w, h, "", 0, &err), W3S_EUSAGE,
	    "chunks before the declared metadata came");
	ok(strstr(err.msg, "does not match the manifest") != NULL,
	    "says so: %s", err.msg);
	w3s_stream_writer_free(w);

	/* Through the metadata, then too much. */
	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	s.m.counts.chunks = 0;
	s.m.counts.chunk_bytes = 0;
	{
		size_t n = s.nchunks;

		s.nchunks = 0;
		is_int(put_sample(w, &s, 0, &err), 0,
		    "a metadata-only archive");
		s.nchunks = n;
	}
	w3s_stream_writer_free(w);
	free_sample(&s);
	make_sample(&s, 0, 0, 1);
	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	s.m.counts.chunks--;
	s.m.counts.chunk_bytes -= s.clen[s.nchunks - 1];
	is_int(put_sample(w, &s, 0, &err), W3S_EUSAGE,
	    "more chunks than declared");
	w3s_stream_writer_free(w);
	s.m.counts.chunks++;
	s.m.counts.chunk_bytes += s.clen[s.nchunks - 1];

	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	{
		size_t n = s.nchunks;

		s.nchunks--;
		is_int(put_sample(w, &s, 0, &err), W3S_EUSAGE,
		    "fewer chunks than declared");
		s.nchunks = n;
	}
	w3s_stream_writer_free(w);

	w = w3s_stream_writer_new_cb(buf_sink, &z, 1, &err);
	s.m.has_producer = 1;
	w3s_stream_put_manifest(w, &s.m, &err);
	is_int(w3s_stream_finish(w, primary, &err), W3S_EUSAGE,
	    "a key that is not the producer's");
	w3s_stream_writer_free(w);

	w = w3s_stream_writer_new_cb(failing_sink, NULL, 1, &err);
	is_int(put_sample(w, &s, 0, &err), W3S_ESYS,
	    "a failing sink is W3S_ESYS");
	ok(strstr(err.msg, "disk full") != NULL, "with its message: %s",
	    err.msg);
	w3s_stream_writer_free(w);
	free_sample(&s);
	w3s_buf_release(&z);
}

/* The fd paths, and what tar(1) makes of a stream. */
static void
test_files(void)
{
	char dir[] = "/tmp/w3s-stream-XXXXXX";
	char path[256], cmd[1024], cid[W3S_CHUNK_CID_LEN + 1];
	struct w3s_stream_writer *w;
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct w3s_err err;
	struct sample s;
	int fd, rc, n = 0;
	FILE *p;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	snprintf(path, sizeof(path), "%s/s.tar.zst", dir);
	make_sample(&s, 1, 0, 1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	w = w3s_stream_writer_new(fd, 1, &err);
	is_int(put_sample(w, &s, 0, &err), 0, "written to a file");
	ok(w3s_stream_writer_bytes(w) > 0, "bytes counted");
	w3s_stream_writer_free(w);
	close(fd);

	fd = open(path, O_RDONLY);
	r = w3s_stream_reader_new(fd, &err);
	while ((rc = w3s_stream_next(r, &ev, &err)) == 0 &&
	    ev.type != W3S_STREAM_EV_EOF)
		n++;
	is_int(rc, 0, "read from a file");
	ok(w3s_stream_reader_manifest(r) != NULL &&
	    w3s_stream_reader_manifest(r)->bucket == 7, "its manifest");
	w3s_stream_reader_free(r);
	close(fd);

	snprintf(cmd, sizeof(cmd), "tar --zstd -tvf %s 2>&1", path);
	if ((p = popen(cmd, "r")) != NULL) {
		char line[512];
		int lines = 0, manifest = 0, owner = 0;

		while (fgets(line, sizeof(line), p) != NULL) {
			lines++;
			manifest |= strstr(line, " manifest.cbor") != NULL;
			owner += strncmp(line, "-rw-r--r-- 0/0", 14) == 0;
		}
		if (pclose(p) == 0) {
			ok(manifest && lines == (int)(s.nchunks + 6),
			    "tar --zstd -tvf lists the %d entries", lines);
			ok(owner == lines, "as 0644 files of 0/0");
			w3s_stream_chunk_cid(cid, s.chash[2]);
			snprintf(cmd, sizeof(cmd), "tar --zstd -xOf %s "
			    "chunks/%s | cmp -s - %s/c; echo $?", path, cid,
			    dir);
			snprintf(path, sizeof(path), "%s/c", dir);
			{
				FILE *f = fopen(path, "wb");

				fwrite(s.cdata[2], 1, s.clen[2], f);
				fclose(f);
			}
			p = popen(cmd, "r");
			ok(p != NULL && fgets(line, sizeof(line), p) != NULL &&
			    strcmp(line, "0\n") == 0,
			    "tar --zstd -xOf pulls a chunk out by its CID");
			if (p != NULL)
				pclose(p);
		} else {
			ok(1, "# SKIP tar --zstd not available");
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		bail("rm");
	free_sample(&s);
}

static void
test_short_reads(void)
{
	test_round_trip(0, 1, 1, 1, 7);
}

/* ---- fixtures and benchmark ------------------------------------------ */

static int
write_fixtures(const char *dir)
{
	char path[512];

	for (size_t i = 0; i < NBADS; i++) {
		struct w3s_buf z;
		FILE *f;

		w3s_buf_init(&z);
		make_bad(&bads[i], &z);
		snprintf(path, sizeof(path), "%s/%s.tar.zst", dir,
		    bads[i].name);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(z.data, 1, z.len, f) != z.len || fclose(f) != 0) {
			fprintf(stderr, "cannot write %s\n", path);
			return 1;
		}
		w3s_buf_release(&z);
		printf("%s %d\n", bads[i].name, -bads[i].code);
	}
	{
		struct sample s;
		struct w3s_buf z;
		FILE *f;

		make_sample(&s, 0, 0, 1);
		w3s_buf_init(&z);
		write_sample(&s, 1, 0, &z);
		snprintf(path, sizeof(path), "%s/good-small.tar.zst", dir);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(z.data, 1, z.len, f) != z.len || fclose(f) != 0)
			return 1;
		printf("good-small 0\n");
		w3s_buf_release(&z);
		free_sample(&s);
	}
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench {
	size_t n;
	uint8_t *data;
	uint8_t (*hashes)[32];
	int level;
	int fd;
	struct w3s_manifest m;
};

static int
bench_write(struct bench *b, struct w3s_stream_writer *w)
{
	struct w3s_err err;
	struct w3s_segment_rec seg;

	if (w3s_stream_put_manifest(w, &b->m, &err) != 0)
		bail(err.msg);
	for (size_t i = 0; i < b->n / 64; i++) {
		seg.seq = i;
		w3s_merkle_root((const uint8_t (*)[32])b->hashes[i * 64], 64,
		    seg.leaf.data_root);
		seg.leaf.data_size = 64ull * 262144;
		seg.leaf.total_size = (i + 1) * 64ull * 262144;
		seg.first = 0;
		seg.nhashes = 64;
		seg.hashes = (const uint8_t (*)[32])b->hashes[i * 64];
		if (w3s_stream_put_segment(w, &seg, &err) != 0)
			bail(err.msg);
	}
	for (size_t i = 0; i < b->n; i++)
		if (w3s_stream_put_chunk(w, b->hashes[i],
		    b->data + (i % 256) * 262144, 262144, &err) != 0)
			bail(err.msg);
	if (w3s_stream_finish(w, NULL, &err) != 0)
		bail(err.msg);
	return 0;
}

static void *
bench_writer_thread(void *arg)
{
	struct bench *b = arg;
	struct w3s_err err;
	struct w3s_stream_writer *w = w3s_stream_writer_new(b->fd, b->level,
	    &err);

	bench_write(b, w);
	w3s_stream_writer_free(w);
	close(b->fd);
	return NULL;
}

static uint64_t
bench_read(struct w3s_stream_reader *r)
{
	struct w3s_stream_event ev;
	struct w3s_err err;
	uint64_t bytes = 0;

	for (;;) {
		if (w3s_stream_next(r, &ev, &err) != 0)
			bail(err.msg);
		if (ev.type == W3S_STREAM_EV_EOF)
			break;
		if (ev.type == W3S_STREAM_EV_CHUNK)
			bytes += ev.u.chunk->len;
	}
	return bytes;
}

/* Highly compressible chunks: a few KiB of input become many MiB of tar,
 * so the decompressor has output left to hand over when the input ends. */
static void
test_compressible(void)
{
	struct bench b;
	struct w3s_buf z;
	struct w3s_stream_writer *w;
	struct w3s_stream_reader *r;
	struct w3s_stream_event ev;
	struct w3s_err err;
	struct mem m;
	uint64_t bytes = 0;
	int rc;

	memset(&b, 0, sizeof(b));
	b.n = 64;
	b.data = calloc(256, 262144);
	b.hashes = malloc(b.n * 32);
	for (size_t i = 0; i < 256; i++)
		memcpy(b.data + i * 262144, &i, sizeof(i));
	for (size_t i = 0; i < b.n; i++)
		w3s_hash_blake2b(b.hashes[i], b.data + i * 262144, 262144);
	b.m.kind = W3S_STREAM_FULL;
	b.m.bucket = 1;
	b.m.counts.segments = 1;
	b.m.counts.chunk_refs = 64;
	b.m.counts.chunks = 64;
	b.m.counts.chunk_bytes = 64ull * 262144;
	w3s_buf_init(&z);
	w = w3s_stream_writer_new_cb(buf_sink, &z, 19, &err);
	bench_write(&b, w);
	w3s_stream_writer_free(w);
	ok(z.len < 64 * 1024, "16 MiB of compressible chunks in %zu bytes",
	    z.len);
	m.p = z.data;
	m.len = z.len;
	m.off = 0;
	m.step = 0;
	r = w3s_stream_reader_new_cb(mem_source, &m, &err);
	while ((rc = w3s_stream_next(r, &ev, &err)) == 0 &&
	    ev.type != W3S_STREAM_EV_EOF)
		if (ev.type == W3S_STREAM_EV_CHUNK)
			bytes += ev.u.chunk->len;
	is_int(rc, 0, "they read back");
	if (rc != 0)
		printf("#   %s\n", err.msg);
	is_int((long long)bytes, 64ll * 262144, "all of them");
	w3s_stream_reader_free(r);
	w3s_buf_release(&z);
	free(b.data);
	free(b.hashes);
}

/* 256 random chunks, cycled: the data stays in memory, and a chunk
 * repeats only 64 MiB later, far outside any zstd window used here. */
static void
bench_setup(struct bench *b, size_t mib, int level)
{
	memset(b, 0, sizeof(*b));
	b->n = mib * 4 / 64 * 64;
	b->level = level;
	b->data = malloc(256 * 262144);
	b->hashes = malloc(b->n * 32);
	if (b->data == NULL || b->hashes == NULL)
		bail("out of memory");
	rng_state = 42;
	fill(b->data, 256 * 262144);
	for (size_t i = 0; i < b->n; i++) {
		if (i < 256)
			w3s_hash_blake2b(b->hashes[i], b->data + i * 262144,
			    262144);
		else
			memcpy(b->hashes[i], b->hashes[i % 256], 32);
	}
	b->m.kind = W3S_STREAM_FULL;
	b->m.bucket = 1;
	b->m.target.leaf_count = b->n / 64;
	b->m.counts.segments = b->n / 64;
	b->m.counts.chunk_refs = b->n;
	b->m.counts.chunks = b->n;
	b->m.counts.chunk_bytes = (uint64_t)b->n * 262144;
}

/* Writer and reader throughput at three levels: in memory, and through a
 * pipe between two threads. */
static int
run_bench(size_t mib)
{
	int levels[] = { W3S_STREAM_LEVEL_STORE, 1, 3 };

	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		struct bench b;
		struct w3s_buf z;
		struct w3s_stream_writer *w;
		struct w3s_stream_reader *r;
		struct w3s_err err;
		struct mem m;
		double t0, t1, t2, t3;
		int pfd[2];
		pthread_t th;

		bench_setup(&b, mib, levels[l]);
		w3s_buf_init(&z);
		t0 = now();
		w = w3s_stream_writer_new_cb(buf_sink, &z, b.level, &err);
		bench_write(&b, w);
		w3s_stream_writer_free(w);
		t1 = now();
		m.p = z.data;
		m.len = z.len;
		m.off = 0;
		m.step = 0;
		r = w3s_stream_reader_new_cb(mem_source, &m, &err);
		bench_read(r);
		w3s_stream_reader_free(r);
		t2 = now();
		if (pipe(pfd) != 0)
			bail("pipe");
		b.fd = pfd[1];
		pthread_create(&th, NULL, bench_writer_thread, &b);
		r = w3s_stream_reader_new(pfd[0], &err);
		bench_read(r);
		w3s_stream_reader_free(r);
		pthread_join(th, NULL);
		close(pfd[0]);
		t3 = now();
		printf("level %d: %zu MiB -> %zu bytes; write %.0f MB/s, read "
		    "%.0f MB/s, write|read through a pipe %.2f s (%.0f MB/s)\n",
		    b.level, mib, z.len, b.n * 262144.0 / (t1 - t0) / 1e6,
		    b.n * 262144.0 / (t2 - t1) / 1e6, t3 - t2,
		    b.n * 262144.0 / (t3 - t2) / 1e6);
		w3s_buf_release(&z);
		free(b.data);
		free(b.hashes);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int rc;

	producer = load_key(producer_pem);
	primary = load_key(primary_pem);
	if (argc == 3 && strcmp(argv[1], "--write-fixtures") == 0) {
		rc = write_fixtures(argv[2]);
		goto out;
	}
	if (argc >= 2 && strcmp(argv[1], "--bench") == 0) {
		rc = run_bench(argc == 3 ? strtoul(argv[2], NULL, 10) : 256);
		goto out;
	}
	if (argc == 4 && strcmp(argv[1], "--bench-write") == 0) {
		/* test_stream --bench-write MIB LEVEL | test_stream
		 * --bench-read: two processes, as export | import. */
		struct bench b;
		struct w3s_err err;
		struct w3s_stream_writer *w;

		bench_setup(&b, strtoul(argv[2], NULL, 10), atoi(argv[3]));
		w = w3s_stream_writer_new(1, b.level, &err);
		rc = w == NULL || bench_write(&b, w) != 0;
		w3s_stream_writer_free(w);
		free(b.data);
		free(b.hashes);
		goto out;
	}
	if (argc == 2 && strcmp(argv[1], "--bench-read") == 0) {
		struct w3s_err err;
		struct w3s_stream_reader *r = w3s_stream_reader_new(0, &err);

		fprintf(stderr, "%llu chunk bytes verified\n",
		    (unsigned long long)bench_read(r));
		w3s_stream_reader_free(r);
		rc = 0;
		goto out;
	}
	test_cid();
	test_round_trip(0, 0, 1, W3S_STREAM_LEVEL_DEFAULT, 0);
	test_round_trip(1, 1, 1, W3S_STREAM_LEVEL_DEFAULT, 0);
	test_round_trip(1, 0, 0, W3S_STREAM_LEVEL_STORE, 0);
	test_round_trip(1, 0, 1, 9, 0);
	test_short_reads();
	test_compressible();
	test_determinism();
	test_entry_order();
	test_concatenated();
	test_resume();
	test_truncation_compressed();
	test_truncation_tar();
	test_bad_streams();
	test_fixtures();
	test_unsigned();
	test_writer_misuse();
	test_files();
	rc = tap_done();
out:
	w3s_key_free(producer);
	w3s_key_free(primary);
	return rc;
}
