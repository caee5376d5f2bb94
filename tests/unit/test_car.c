/* CAR reader: CARs built here (v1, v2 with both index formats), fed in
 * pieces of every size; truncation at every byte; hostile lengths and
 * varints; hash, index, header, dag-pb and dag-cbor failures; missing
 * roots and links; zero padding; and go-car's sample files from
 * vectors/car. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/buf.h>
#include <w3s/car.h>
#include <w3s/cbor.h>
#include <w3s/cid.h>
#include <w3s/varint.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tap.h"
#pragma GCC diagnostic pop

#define MAX_BLOCKS 16

struct blk {
	struct w3s_cid cid;
	uint8_t data[4096];
	size_t len;
};

/* An index record: multihash code, digest, offset in the data. */
struct rec {
	uint64_t code;
	uint8_t digest[W3S_MULTIHASH_DIGEST_MAX];
	size_t dlen;
	uint64_t offset;
};

/* A CARv1 being built: its bytes, the offsets where a cut leaves a
 * shorter valid CAR, and one index record per section. */
struct v1 {
	struct w3s_buf b;
	size_t cuts[MAX_BLOCKS + 1];
	size_t ncuts;
	struct rec recs[MAX_BLOCKS];
	size_t nrecs;
};

static void
put_varint(struct w3s_buf *b, uint64_t v)
{
	uint8_t tmp[W3S_VARINT_MAX];

	w3s_buf_put(b, tmp, w3s_varint_encode(tmp, v));
}

static void
make_block(struct blk *b, unsigned version, uint64_t codec,
    enum w3s_hash_alg alg, const void *data, size_t len)
{
	struct w3s_err err = { 0 };

	memcpy(b->data, data, len);
	b->len = len;
	if (w3s_cid_of(&b->cid, version, codec, alg, data, len, &err) != 0)
		printf("# make_block: %s\n", err.msg);
}

/* The DAG-CBOR header {roots: [...], version: v}. */
static void
put_header(struct w3s_buf *b, const struct w3s_cid *roots, size_t n,
    uint64_t version)
{
	struct w3s_cbor *map = w3s_cbor_new_map(), *arr = w3s_cbor_new_array();
	struct w3s_buf enc;
	struct w3s_err err = { 0 };

	for (size_t i = 0; i < n; i++)
		w3s_cbor_array_push(arr, w3s_cbor_new_link(&roots[i]));
	w3s_cbor_map_put(map, "roots", arr);
	w3s_cbor_map_put(map, "version", w3s_cbor_new_uint(version));
	w3s_buf_init(&enc);
	if (w3s_cbor_encode(map, &enc, &err) != 0)
		printf("# put_header: %s\n", err.msg);
	put_varint(b, enc.len);
	w3s_buf_put(b, enc.data, enc.len);
	w3s_buf_release(&enc);
	w3s_cbor_free(map);
}

static void
v1_begin(struct v1 *c, const struct w3s_cid *roots, size_t n)
{
	memset(c, 0, sizeof(*c));
	w3s_buf_init(&c->b);
	put_header(&c->b, roots, n, 1);
	c->cuts[c->ncuts++] = c->b.len;
}

static void
v1_add(struct v1 *c, const struct blk *blk)
{
	uint8_t cid[W3S_CID_BIN_MAX];
	size_t n = w3s_cid_to_bytes(&blk->cid, cid);
	struct rec *r = &c->recs[c->nrecs++];

	r->code = blk->cid.mh.code;
	r->dlen = blk->cid.mh.len;
	memcpy(r->digest, blk->cid.mh.digest, r->dlen);
	r->offset = c->b.len;
	put_varint(&c->b, n + blk->len);
	w3s_buf_put(&c->b, cid, n);
	w3s_buf_put(&c->b, blk->data, blk->len);
	c->cuts[c->ncuts++] = c->b.len;
}

/* A dag-pb PBNode: links (Hash, Name, Tsize), then Data. */
static size_t
pb_node(uint8_t *out, const struct w3s_cid *links, size_t n,
    const char *data)
{
	struct w3s_buf b, l;
	uint8_t cid[W3S_CID_BIN_MAX];
	size_t len;

	w3s_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		size_t cl = w3s_cid_to_bytes(&links[i], cid);

		w3s_buf_init(&l);
		w3s_buf_put_u8(&l, 0x0a);
		put_varint(&l, cl);
		w3s_buf_put(&l, cid, cl);
		w3s_buf_put_u8(&l, 0x12);
		put_varint(&l, 1);
		w3s_buf_put_u8(&l, (uint8_t)('a' + i));
		w3s_buf_put_u8(&l, 0x18);
		put_varint(&l, 1000 + i);
		w3s_buf_put_u8(&b, 0x12);
		put_varint(&b, l.len);
		w3s_buf_put(&b, l.data, l.len);
		w3s_buf_release(&l);
	}
	if (data != NULL) {
		w3s_buf_put_u8(&b, 0x0a);
		put_varint(&b, strlen(data));
		w3s_buf_put(&b, data, strlen(data));
	}
	memcpy(out, b.data, b.len);
	len = b.len;
	w3s_buf_release(&b);
	return len;
}

/* A dag-cbor block {"l": [links...], "t": "x"}. */
static size_t
cbor_node(uint8_t *out, const struct w3s_cid *links, size_t n)
{
	struct w3s_cbor *map = w3s_cbor_new_map(), *arr = w3s_cbor_new_array();
	struct w3s_err err = { 0 };
	struct w3s_buf b;
	size_t len;

	for (size_t i = 0; i < n; i++)
		w3s_cbor_array_push(arr, w3s_cbor_new_link(&links[i]));
	w3s_cbor_map_put(map, "l", arr);
	w3s_cbor_map_put(map, "t", w3s_cbor_new_text("x"));
	w3s_buf_init(&b);
	if (w3s_cbor_encode(map, &b, &err) != 0)
		printf("# cbor_node: %s\n", err.msg);
	memcpy(out, b.data, b.len);
	len = b.len;
	w3s_buf_release(&b);
	w3s_cbor_free(map);
	return len;
}

/* The test DAG: a dag-pb root linking two raw blocks and a dag-cbor node,
 * which links a raw block and an identity block held only in its CID;
 * and a raw identity section nobody links. Blocks use every hash function
 * the reader supports. */
static struct blk blocks[6];
#define NBLOCKS 6

static void
make_dag(void)
{
	uint8_t big[300], buf[1024];
	struct w3s_cid links[3];
	struct blk inline_id;
	size_t n;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	make_block(&blocks[1], 1, W3S_CODEC_RAW, W3S_HASH_SHA2_256, "hello",
	    5);
	make_block(&blocks[3], 1, W3S_CODEC_RAW, W3S_HASH_BLAKE2B_256, big,
	    sizeof(big));
	make_block(&blocks[4], 1, W3S_CODEC_RAW, W3S_HASH_SHA2_512, "abc", 3);
	make_block(&blocks[5], 1, W3S_CODEC_RAW, W3S_HASH_IDENTITY, "tiny", 4);
	make_block(&inline_id, 1, W3S_CODEC_RAW, W3S_HASH_IDENTITY, "inline",
	    6);
	links[0] = blocks[3].cid;
	links[1] = inline_id.cid;
	n = cbor_node(buf, links, 2);
	make_block(&blocks[2], 1, W3S_CODEC_DAG_CBOR, W3S_HASH_BLAKE2B_256,
	    buf, n);
	links[0] = blocks[1].cid;
	links[1] = blocks[2].cid;
	links[2] = blocks[4].cid;
	n = pb_node(buf, links, 3, "\x08\x01");
	make_block(&blocks[0], 0, W3S_CODEC_DAG_PB, W3S_HASH_SHA2_256, buf, n);
}

static void
build_v1(struct v1 *c)
{
	v1_begin(c, &blocks[0].cid, 1);
	for (size_t i = 0; i < NBLOCKS; i++)
		v1_add(c, &blocks[i]);
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	if (x->dlen != y->dlen)
		return x->dlen < y->dlen ? -1 : 1;
	return memcmp(x->digest, y->digest, x->dlen);
}

/* An index as go-car writes it. mh: MultihashIndexSorted (identity
 * records left out unless with_identity), else IndexSorted (all records,
 * by digest length only). */
static void
build_index(struct w3s_buf *b, const struct rec *in, size_t n, int mh,
    int with_identity)
{
	struct rec recs[MAX_BLOCKS];
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (!mh || with_identity || in[i].code != W3S_HASH_IDENTITY) {
			recs[m] = in[i];
			if (!mh)
				recs[m].code = 0;
			m++;
		}
	qsort(recs, m, sizeof(recs[0]), rec_cmp);
	put_varint(b, mh ? W3S_CAR_INDEX_MH_SORTED : W3S_CAR_INDEX_SORTED);
	if (mh) {
		size_t codes = 0;

		for (size_t i = 0; i < m; i++)
			codes += i == 0 || recs[i].code != recs[i - 1].code;
		w3s_buf_put_u32le(b, (uint32_t)codes);
	}
	for (size_t i = 0; i < m;) {
		size_t j = i, widths = 0;

		while (j < m && recs[j].code == recs[i].code)
			j++;
		if (mh)
			w3s_buf_put_u64le(b, recs[i].code);
		for (size_t k = i; k < j; k++)
			widths += k == i || recs[k].dlen != recs[k - 1].dlen;
		w3s_buf_put_u32le(b, (uint32_t)widths);
		for (size_t k = i; k < j;) {
			size_t e = k;

			while (e < j && recs[e].dlen == recs[k].dlen)
				e++;
			w3s_buf_put_u32le(b, (uint32_t)(recs[k].dlen + 8));
			w3s_buf_put_u64le(b, (e - k) * (recs[k].dlen + 8));
			for (; k < e; k++) {
				w3s_buf_put(b, recs[k].digest, recs[k].dlen);
				w3s_buf_put_u64le(b, recs[k].offset);
			}
		}
		i = j;
	}
}

/* A CARv2 around data: pragma, header, pad bytes of padding, the data,
 * pad bytes of padding, the index (none when index is NULL). */
static void
build_v2(struct w3s_buf *b, const uint8_t *data, size_t len, size_t pad,
    const struct w3s_buf *index, uint8_t characteristics0)
{
	static const uint8_t pragma[] = { 0x0a, 0xa1, 0x67, 'v', 'e', 'r', 's',
	    'i', 'o', 'n', 0x02 };
	uint8_t zero[64] = { 0 };
	uint64_t data_offset = sizeof(pragma) + 40 + pad;

	w3s_buf_init(b);
	w3s_buf_put(b, pragma, sizeof(pragma));
	w3s_buf_put_u8(b, characteristics0);
	w3s_buf_put(b, zero, 15);
	w3s_buf_put_u64le(b, data_offset);
	w3s_buf_put_u64le(b, len);
	w3s_buf_put_u64le(b, index != NULL ? data_offset + len + pad : 0);
	w3s_buf_put(b, zero, pad);
	w3s_buf_put(b, data, len);
	if (index != NULL) {
		w3s_buf_put(b, zero, pad);
		w3s_buf_put(b, index->data, index->len);
	}
}

/* Feeds p in pieces of piece bytes (0: all at once), then finishes.
 * Returns the first failure or 0; *sum (may be NULL) gets the summary. */
static int
run(const uint8_t *p, size_t len, size_t piece, struct w3s_err *err,
    struct w3s_car_summary *sum, size_t *missing)
{
	struct w3s_car *car = w3s_car_new(err);
	int rc = 0;

	if (car == NULL)
		return W3S_ESYS;
	if (piece == 0)
		piece = len ? len : 1;
	for (size_t off = 0; off < len && rc == 0; off += piece)
		rc = w3s_car_put(car, p + off, len - off < piece ? len - off :
		    piece, err);
	if (rc == 0)
		rc = w3s_car_finish(car, err);
	if (sum != NULL) {
		w3s_car_summary(car, sum);
		sum->roots = NULL;	/* freed below */
		sum->missing = NULL;
	}
	if (missing != NULL) {
		struct w3s_car_summary s;

		w3s_car_summary(car, &s);
		*missing = s.missing_count;
	}
	w3s_car_free(car);
	return rc;
}

static int
rc_of(const uint8_t *p, size_t len)
{
	struct w3s_err err = { 0 };

	return run(p, len, 0, &err, NULL, NULL);
}

/* rc of the input and whether the message holds want. */
static void
expect(const uint8_t *p, size_t len, int want_rc, const char *want_msg,
    const char *name)
{
	struct w3s_err err = { 0 };
	int rc = run(p, len, 0, &err, NULL, NULL);

	ok(rc == want_rc && (want_msg == NULL || strstr(err.msg, want_msg)
	    != NULL), "%s: rc %d (%s)", name, rc, rc ? err.msg : "ok");
	if (rc != want_rc)
		printf("#   want rc %d\n", want_rc);
	else if (want_msg != NULL && strstr(err.msg, want_msg) == NULL)
		printf("#   want message with: %s\n", want_msg);
}

static void
test_good_v1(void)
{
	struct w3s_car_summary sum;
	struct w3s_err err = { 0 };
	struct v1 c;
	int rc, same = 1;

	build_v1(&c);
	rc = run(c.b.data, c.b.len, 0, &err, &sum, NULL);
	ok(rc == 0, "v1 dag of every hash function and codec: %s",
	    rc ? err.msg : "ok");
	is_int(sum.version, 1, "version 1");
	is_int(sum.blocks, NBLOCKS, "all sections counted");
	is_int(sum.root_count, 1, "one root");
	is_int(sum.missing_count, 0, "nothing missing");
	is_int(sum.index_codec, 0, "no index");
	for (size_t piece = 1; piece < 64; piece++)
		if (run(c.b.data, c.b.len, piece, &err, NULL, NULL) != 0)
			same = 0;
	ok(same, "the same in pieces of 1 to 63 bytes");
	w3s_buf_release(&c.b);
}

static void
test_truncation_v1(void)
{
	struct v1 c;
	size_t bad = 0, k;

	build_v1(&c);
	for (k = 0; k < c.b.len; k++) {
		int want = W3S_EMALFORMED, rc = rc_of(c.b.data, k);

		/* A cut between sections is a shorter CAR: links go
		 * missing, except when only the last block (an identity
		 * block no one links) is cut off. */
		for (size_t i = 0; i < c.ncuts; i++)
			if (c.cuts[i] == k)
				want = i + 2 >= c.ncuts ? 0 : W3S_EINCOMPLETE;
		if (rc != want) {
			if (bad++ == 0)
				printf("# cut at %zu: rc %d, want %d\n", k, rc,
				    want);
		}
	}
	ok(bad == 0, "v1 cut at each of %zu bytes: malformed inside a "
	    "structure, missing links between sections", k);
	w3s_buf_release(&c.b);
}

static void
test_good_v2(void)
{
	struct w3s_car_summary sum;
	struct w3s_err err = { 0 };
	struct w3s_buf idx, car;
	struct v1 c;
	int rc;

	build_v1(&c);
	for (int mh = 0; mh <= 1; mh++) {
		w3s_buf_init(&idx);
		build_index(&idx, c.recs, c.nrecs, mh, 0);
		build_v2(&car, c.b.data, c.b.len, 8, &idx, 0);
		rc = run(car.data, car.len, 0, &err, &sum, NULL);
		ok(rc == 0, "v2 with %s: %s", mh ? "MultihashIndexSorted" :
		    "IndexSorted", rc ? err.msg : "ok");
		is_int(sum.version, 2, "version 2");
		is_int(sum.blocks, NBLOCKS, "all sections counted");
		is_int(sum.index_codec, mh ? W3S_CAR_INDEX_MH_SORTED :
		    W3S_CAR_INDEX_SORTED, "index format");
		is_int(sum.index_entries, mh ? NBLOCKS - 1 : NBLOCKS,
		    "index entries (identity left out of MultihashIndexSorted)");
		if (mh) {
			size_t bad = 0, k;

			for (k = 0; k < car.len; k++)
				if (rc_of(car.data, k) != W3S_EMALFORMED)
					bad++;
			ok(bad == 0, "v2 cut at each of %zu bytes: malformed",
			    k);
			bad = 0;
			for (size_t piece = 1; piece < 40; piece++)
				if (run(car.data, car.len, piece, &err, NULL,
				    NULL) != 0)
					bad++;
			ok(bad == 0, "v2 in pieces of 1 to 39 bytes");
		}
		w3s_buf_release(&car);
		w3s_buf_release(&idx);
	}
	build_v2(&car, c.b.data, c.b.len, 0, NULL, 0);
	expect(car.data, car.len, 0, NULL, "v2 without index, no padding");
	w3s_buf_release(&car);
	w3s_buf_release(&c.b);
}

static void
test_hostile_lengths(void)
{
	static const uint8_t huge_header[] = { 0xe0, 0xe0, 0xe0, 0xe0, 0xa7,
	    0x06 };
	static const uint8_t header_32m[] = { 0x80, 0x80, 0x80, 0x10, 0xa2 };
	static const uint8_t header_32m1[] = { 0x81, 0x80, 0x80, 0x10 };
	static const uint8_t ten_bytes[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	    0x80, 0x80, 0x80, 0x01 };
	struct w3s_err err = { 0 };
	struct w3s_car *car;
	struct w3s_buf b;
	struct v1 c;
	int rc;

	car = w3s_car_new(&err);
	rc = w3s_car_put(car, huge_header, sizeof(huge_header), &err);
	ok(rc == W3S_EMALFORMED && strstr(err.msg, "header length") != NULL,
	    "header length of 2^37: refused at once (%s)", err.msg);
	ok(w3s_car_put(car, "x", 1, &err) == W3S_EMALFORMED,
	    "and again on the next call");
	ok(w3s_car_finish(car, &err) == W3S_EMALFORMED, "and at the end");
	w3s_car_free(car);

	car = w3s_car_new(&err);
	rc = w3s_car_put(car, header_32m, sizeof(header_32m), &err);
	ok(rc == 0, "a 32 MiB header is allowed while it comes");
	rc = w3s_car_finish(car, &err);
	ok(rc == W3S_EMALFORMED && strstr(err.msg, "ends inside the header"),
	    "and is malformed when the file ends (%s)", err.msg);
	w3s_car_free(car);
	expect(header_32m1, sizeof(header_32m1), W3S_EMALFORMED, "more than",
	    "header length 32 MiB + 1");
	expect(ten_bytes, sizeof(ten_bytes), W3S_EMALFORMED, "varint",
	    "a 10-byte varint");

	/* Section lengths after a good header. */
	v1_begin(&c, &blocks[0].cid, 1);
	w3s_buf_init(&b);
	w3s_buf_put(&b, c.b.data, c.b.len);
	put_varint(&b, W3S_CAR_SECTION_MAX + 1);
	expect(b.data, b.len, W3S_EMALFORMED, "more than 8388608",
	    "section length 8 MiB + 1");
	b.len = c.b.len;
	put_varint(&b, W3S_CAR_SECTION_MAX);
	w3s_buf_put(&b, "\x01\x55", 2);
	expect(b.data, b.len, W3S_EMALFORMED, "ends inside a section",
	    "section of 8 MiB claimed, 2 bytes there");
	b.len = c.b.len;
	put_varint(&b, 1ull << 62);
	expect(b.data, b.len, W3S_EMALFORMED, "more than",
	    "section length 2^62");
	b.len = c.b.len;
	put_varint(&b, 3);
	w3s_buf_put(&b, "\x01\x55\x12", 3);
	expect(b.data, b.len, W3S_EMALFORMED, "runs past the section",
	    "a section shorter than its cid");
	w3s_buf_release(&b);
	w3s_buf_release(&c.b);
}

static void
test_minimal_varints(void)
{
	struct w3s_buf b, good;
	struct v1 c;

	build_v1(&c);
	/* Header length (small) written in two bytes. */
	w3s_buf_init(&b);
	w3s_buf_put_u8(&b, (uint8_t)(c.b.data[0] | 0x80));
	w3s_buf_put_u8(&b, 0x00);
	w3s_buf_put(&b, c.b.data + 1, c.b.len - 1);
	expect(b.data, b.len, W3S_EMALFORMED, "not minimally encoded",
	    "non-minimal header length");
	w3s_buf_release(&b);

	/* First section length in one byte more than needed. */
	w3s_buf_init(&good);
	w3s_buf_put(&good, c.b.data, c.cuts[0]);
	{
		const uint8_t *s = c.b.data + c.cuts[0];
		uint64_t v;
		int n = w3s_varint_decode(s, 9, &v, NULL);

		for (int i = 0; i < n - 1; i++)
			w3s_buf_put_u8(&good, s[i]);
		w3s_buf_put_u8(&good, (uint8_t)(s[n - 1] | 0x80));
		w3s_buf_put_u8(&good, 0x00);
		w3s_buf_put(&good, s + n, c.b.len - c.cuts[0] - (size_t)n);
	}
	expect(good.data, good.len, W3S_EMALFORMED, "not minimally encoded",
	    "non-minimal section length");
	w3s_buf_release(&good);
	w3s_buf_release(&c.b);
}

/* Changes one byte of a copy of a good v1 and expects rc. */
static void
flip(const struct v1 *c, size_t at, uint8_t x, int want, const char *msg,
    const char *name)
{
	uint8_t *p = malloc(c->b.len);

	memcpy(p, c->b.data, c->b.len);
	p[at] ^= x;
	expect(p, c->b.len, want, msg, name);
	free(p);
}

static void
test_hashes(void)
{
	struct blk sha3;
	struct v1 c;
	char *text = NULL;

	build_v1(&c);
	w3s_cid_format(&blocks[3].cid, W3S_BASE32, &text, NULL);
	/* The last byte of block 3 (blake2b-256). */
	flip(&c, c.cuts[4] - 1, 0x01, W3S_EVERIFY, text,
	    "a changed byte of a blake2b-256 block: mismatch naming its cid");
	free(text);
	flip(&c, c.cuts[2] - 1, 0x01, W3S_EVERIFY, "hash mismatch",
	    "a changed byte of a sha2-256 block");
	flip(&c, c.cuts[5] - 1, 0x01, W3S_EVERIFY, "hash mismatch",
	    "a changed byte of a sha2-512 block");
	flip(&c, c.cuts[6] - 1, 0x01, W3S_EVERIFY, "hash mismatch",
	    "a changed byte of an identity block");
	w3s_buf_release(&c.b);

	/* sha3-256 (0x16): a CID it can parse, a hash it cannot check. */
	memset(&sha3, 0, sizeof(sha3));
	w3s_cid_from_digest(&sha3.cid, 1, W3S_CODEC_RAW, 0x16,
	    (const uint8_t *)"0123456789abcdef0123456789abcdef", 32);
	memcpy(sha3.data, "x", 1);
	sha3.len = 1;
	v1_begin(&c, &sha3.cid, 1);
	v1_add(&c, &sha3);
	expect(c.b.data, c.b.len, W3S_EMALFORMED, "hash function 0x16 is not "
	    "supported", "an unsupported hash function is named");
	w3s_buf_release(&c.b);
}

static void
test_missing(void)
{
	struct w3s_car_summary sum;
	struct w3s_err err = { 0 };
	struct v1 c;
	size_t missing = 0;
	int rc;

	/* Everything but the raw sha2-256 block. */
	v1_begin(&c, &blocks[0].cid, 1);
	for (size_t i = 0; i < NBLOCKS; i++)
		if (i != 1)
			v1_add(&c, &blocks[i]);
	rc = run(c.b.data, c.b.len, 0, &err, NULL, &missing);
	ok(rc == W3S_EINCOMPLETE && missing == 1 &&
	    strstr(err.msg, "linked block") != NULL,
	    "a dag-pb link without its block: incomplete (%s)", err.msg);
	w3s_buf_release(&c.b);

	/* Without the dag-cbor node: it and nothing under it is missing
	 * (its own links cannot be known). */
	v1_begin(&c, &blocks[0].cid, 1);
	for (size_t i = 0; i < NBLOCKS; i++)
		if (i != 2 && i != 3)
			v1_add(&c, &blocks[i]);
	rc = run(c.b.data, c.b.len, 0, &err, NULL, &missing);
	ok(rc == W3S_EINCOMPLETE && missing == 1, "a subtree without its top: "
	    "only the top is missing (%zu)", missing);
	w3s_buf_release(&c.b);

	/* Without the root, and a second root that is identity. */
	{
		struct w3s_cid roots[3] = { blocks[0].cid, blocks[5].cid,
		    blocks[0].cid };

		v1_begin(&c, roots, 3);
		for (size_t i = 1; i < NBLOCKS; i++)
			v1_add(&c, &blocks[i]);
		rc = run(c.b.data, c.b.len, 0, &err, &sum, &missing);
		ok(rc == W3S_EINCOMPLETE && missing == 1 &&
		    strstr(err.msg, "root") != NULL,
		    "a missing root (named twice) is listed once: %s",
		    err.msg);
		is_int(sum.root_count, 3, "three roots read");
		w3s_buf_release(&c.b);
	}

	/* No roots: accepted. */
	v1_begin(&c, NULL, 0);
	v1_add(&c, &blocks[1]);
	rc = run(c.b.data, c.b.len, 0, &err, &sum, NULL);
	ok(rc == 0 && sum.root_count == 0, "an empty roots array is accepted");
	w3s_buf_release(&c.b);

	/* Blocks in any order: a link before and after its block. */
	v1_begin(&c, &blocks[0].cid, 1);
	for (size_t i = NBLOCKS; i-- > 0;)
		v1_add(&c, &blocks[i]);
	expect(c.b.data, c.b.len, 0, NULL, "blocks in reverse order");
	w3s_buf_release(&c.b);

	/* Links match by multihash: the raw block stored under another
	 * codec (dag-json, hash-checked only) is the block the raw link
	 * names. */
	{
		struct blk other = blocks[1];

		other.cid.codec = 0x0129;
		v1_begin(&c, &blocks[0].cid, 1);
		for (size_t i = 0; i < NBLOCKS; i++)
			v1_add(&c, i == 1 ? &other : &blocks[i]);
		expect(c.b.data, c.b.len, 0, NULL,
		    "a link matches a block of the same multihash, any codec");
		w3s_buf_release(&c.b);
	}
}

static void
test_zero_padding(void)
{
	struct w3s_car_summary sum;
	struct w3s_err err = { 0 };
	uint8_t zeros[100] = { 0 };
	struct w3s_buf b, car;
	struct v1 c;
	int rc;

	build_v1(&c);
	w3s_buf_init(&b);
	w3s_buf_put(&b, c.b.data, c.b.len);
	w3s_buf_put(&b, zeros, sizeof(zeros));
	rc = run(b.data, b.len, 0, &err, &sum, NULL);
	ok(rc == 0 && sum.blocks == NBLOCKS && sum.padding == sizeof(zeros),
	    "v1: zero-length section then zeros: the end of the data (%s)",
	    rc ? err.msg : "ok");
	rc = run(b.data, b.len, 7, &err, NULL, NULL);
	ok(rc == 0, "the same in pieces");
	build_v2(&car, b.data, b.len, 0, NULL, 0);
	expect(car.data, car.len, 0, NULL, "v2: zero padding inside the data");
	w3s_buf_release(&car);
	b.data[b.len - 1] = 1;
	expect(b.data, b.len, W3S_EMALFORMED, "is not zero",
	    "a non-zero byte after a zero-length section");
	b.len = c.b.len + 1;	/* only the zero-length section */
	expect(b.data, b.len, 0, NULL, "a zero-length section at the end");
	w3s_buf_release(&b);
	w3s_buf_release(&c.b);
}

static void
test_headers(void)
{
	static const uint8_t bad_map[] = { 0x11, 0xa2, 0x67, 'v', 'e', 'r',
	    's', 'i', 'o', 'n', 0x01, 0x65, 'r', 'o', 'o', 't', 's', 0x80 };
	static const uint8_t no_roots[] = { 0x0a, 0xa1, 0x67, 'v', 'e', 'r', 's',
	    'i', 'o', 'n', 0x01 };
	static const uint8_t not_links[] = { 0x12, 0xa2, 0x65, 'r', 'o', 'o',
	    't', 's', 0x81, 0x01, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n',
	    0x01 };
	static const uint8_t v2_roots[] = { 0x11, 0xa2, 0x65, 'r', 'o', 'o',
	    't', 's', 0x80, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x02 };
	static const uint8_t extra[] = { 0x14, 0xa3, 0x61, 'x', 0x00, 0x65,
	    'r', 'o', 'o', 't', 's', 0x80, 0x67, 'v', 'e', 'r', 's', 'i', 'o',
	    'n', 0x01 };
	struct w3s_buf b;

	w3s_buf_init(&b);
	put_header(&b, &blocks[0].cid, 1, 3);
	expect(b.data, b.len, W3S_EMALFORMED, "version 3 is not supported",
	    "CAR version 3");
	w3s_buf_release(&b);
	expect(bad_map, sizeof(bad_map), W3S_EMALFORMED, "header",
	    "header keys out of canonical order");
	expect(no_roots, sizeof(no_roots), W3S_EMALFORMED, "roots",
	    "header without roots");
	expect(not_links, sizeof(not_links), W3S_EMALFORMED, "root 0",
	    "a root that is not a link");
	expect(v2_roots, sizeof(v2_roots), W3S_EMALFORMED, "pragma",
	    "version 2 with roots is not the pragma");
	expect(extra, sizeof(extra), W3S_EMALFORMED, "\"x\"",
	    "a header with another key");
	expect((const uint8_t *)"", 0, W3S_EMALFORMED, "empty", "an empty file");
	expect((const uint8_t *)"\x00", 1, W3S_EMALFORMED, "zero",
	    "a zero header length");
}

static void
test_v2_layout(void)
{
	struct w3s_buf car, idx;
	struct v1 c;
	uint8_t *p;

	build_v1(&c);
	w3s_buf_init(&idx);
	build_index(&idx, c.recs, c.nrecs, 1, 0);
	build_v2(&car, c.b.data, c.b.len, 0, &idx, 0);
	p = car.data;
	/* data offset inside the header */
	w3s_put_u64le(p + 27, 50);
	expect(p, car.len, W3S_EMALFORMED, "inside the header",
	    "data offset 50");
	/* offsets past 2^63 */
	w3s_put_u64le(p + 27, 1ull << 63);
	expect(p, car.len, W3S_EMALFORMED, "2^63", "data offset 2^63");
	w3s_put_u64le(p + 27, 51);
	/* index inside the data */
	w3s_put_u64le(p + 43, 51 + c.b.len - 1);
	expect(p, car.len, W3S_EMALFORMED, "before the end of the data",
	    "index offset inside the data");
	w3s_put_u64le(p + 43, 51 + c.b.len);
	/* data size cutting the last section */
	w3s_put_u64le(p + 35, c.b.len - 1);
	w3s_put_u64le(p + 43, 51 + c.b.len - 1);
	expect(p, car.len, W3S_EMALFORMED, "past the end of the data",
	    "data size one short");
	/* no index but bytes after the data */
	w3s_put_u64le(p + 35, c.b.len);
	w3s_put_u64le(p + 43, 0);
	expect(p, car.len, W3S_EMALFORMED, "after the data",
	    "no index offset, yet bytes after the data");
	/* data size past the end of the file */
	w3s_buf_release(&car);
	build_v2(&car, c.b.data, c.b.len, 0, NULL, 0);
	w3s_put_u64le(car.data + 35, c.b.len + 1000);
	expect(car.data, car.len, W3S_EMALFORMED, "before the end of the data",
	    "data size past the end of the file");
	/* inner header of another version */
	{
		struct w3s_buf inner;

		w3s_buf_init(&inner);
		put_header(&inner, &blocks[1].cid, 1, 2);
		w3s_buf_release(&car);
		build_v2(&car, inner.data, inner.len, 0, NULL, 0);
		expect(car.data, car.len, W3S_EMALFORMED, "inner header",
		    "inner header of version 2");
		w3s_buf_release(&inner);
	}
	w3s_buf_release(&car);
	w3s_buf_release(&idx);
	w3s_buf_release(&c.b);
}

/* A v2 of the test DAG whose index is changed by fn. */
static void
index_case(void (*fn)(struct rec *recs, size_t *n), int mh, uint8_t ch0,
    int want, const char *msg, const char *name)
{
	struct rec recs[MAX_BLOCKS + 1];
	struct w3s_buf car, idx;
	struct v1 c;
	size_t n;

	build_v1(&c);
	n = c.nrecs;
	memcpy(recs, c.recs, sizeof(c.recs));
	if (fn != NULL)
		fn(recs, &n);
	w3s_buf_init(&idx);
	build_index(&idx, recs, n, mh, ch0 != 0);
	build_v2(&car, c.b.data, c.b.len, 0, &idx, ch0);
	expect(car.data, car.len, want, msg, name);
	w3s_buf_release(&car);
	w3s_buf_release(&idx);
	w3s_buf_release(&c.b);
}

static void
drop_first(struct rec *r, size_t *n)
{
	memmove(r, r + 1, (*n - 1) * sizeof(*r));
	(*n)--;
}

static void
bad_offset(struct rec *r, size_t *n)
{
	r[1].offset += 1;
}

static void
swap_offsets(struct rec *r, size_t *n)
{
	uint64_t o = r[1].offset;

	r[1].offset = r[3].offset;
	r[3].offset = o;
}

static void
wrong_code(struct rec *r, size_t *n)
{
	r[3].code = W3S_HASH_SHA2_256;	/* blake2b-256 digest, sha2-256 */
}

static void
duplicate(struct rec *r, size_t *n)
{
	r[*n] = r[1];
	(*n)++;
}

static void
test_index(void)
{
	index_case(NULL, 1, 0, 0, NULL, "a good MultihashIndexSorted");
	index_case(NULL, 0, 0, 0, NULL, "a good IndexSorted");
	index_case(drop_first, 1, 0, W3S_EVERIFY, "not in it",
	    "a block missing from the index");
	index_case(bad_offset, 1, 0, W3S_EVERIFY, "no section starts",
	    "an entry pointing inside a section");
	index_case(swap_offsets, 1, 0, W3S_EVERIFY, "which holds",
	    "two entries with swapped offsets");
	index_case(wrong_code, 1, 0, W3S_EVERIFY, "which holds",
	    "an entry under the wrong hash code");
	index_case(duplicate, 1, 0, W3S_EVERIFY, "two entries",
	    "two entries for one section");
	index_case(NULL, 1, 0x80, 0, NULL,
	    "fully indexed, identity blocks included");
	index_case(NULL, 0, 0x80, 0, NULL, "fully indexed IndexSorted");
}

/* Index bytes written by hand after a v2 header. */
static void
raw_index(const uint8_t *ix, size_t len, int want, const char *msg,
    const char *name)
{
	struct w3s_buf car, idx;
	struct v1 c;

	build_v1(&c);
	w3s_buf_init(&idx);
	w3s_buf_put(&idx, ix, len);
	build_v2(&car, c.b.data, c.b.len, 0, &idx, 0);
	expect(car.data, car.len, want, msg, name);
	w3s_buf_release(&car);
	w3s_buf_release(&idx);
	w3s_buf_release(&c.b);
}

static void
test_index_layout(void)
{
	struct w3s_buf b, car;
	struct v1 c;
	uint8_t *p;
	size_t start;

	raw_index((const uint8_t *)"\x82\x08", 2, W3S_EMALFORMED, "0x402",
	    "index format 0x0402 is not supported");
	raw_index((const uint8_t *)"\x81\x08\xff\xff\xff\xff", 6,
	    W3S_EMALFORMED, "negative", "a negative count of codes");
	raw_index((const uint8_t *)"\x80\x08\x00\x00\x00\x00", 6, W3S_EVERIFY,
	    "not in it", "an empty index: every block unindexed");
	raw_index((const uint8_t *)"\x80\x08\x01\x00\x00\x00"
	    "\x08\x00\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x00", 18,
	    W3S_EMALFORMED, "width 8", "width 8 (no digest)");
	raw_index((const uint8_t *)"\x80\x08\x01\x00\x00\x00"
	    "\x28\x00\x00\x00" "\x29\x00\x00\x00\x00\x00\x00\x00", 18,
	    W3S_EMALFORMED, "whole number", "41 bytes of 40-byte entries");
	raw_index((const uint8_t *)"\x80\x08\x01\x00\x00\x00"
	    "\x28\x00\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x28", 18,
	    W3S_EMALFORMED, "inside the index",
	    "40 * 2^56 bytes of entries claimed, none there");

	/* Hand edits of a good MultihashIndexSorted. */
	build_v1(&c);
	w3s_buf_init(&b);
	build_index(&b, c.recs, c.nrecs, 1, 0);
	build_v2(&car, c.b.data, c.b.len, 0, &b, 0);
	start = car.len - b.len;
	p = car.data + start;
	/* Three codes (sha2-256, sha2-512, blake2b-256; identity is left
	 * out), one width each. Swap the two entries of the sha2-256
	 * bucket. */
	{
		size_t e = 2 + 4 + 8 + 4 + 4 + 8;	/* first entry */
		uint8_t tmp[40];

		if (memcmp(p + 6, "\x12\x00\x00\x00\x00\x00\x00\x00", 8) == 0 &&
		    p[e - 8] == 80) {
			memcpy(tmp, p + e, 40);
			memcpy(p + e, p + e + 40, 40);
			memcpy(p + e + 40, tmp, 40);
			expect(car.data, car.len, W3S_EMALFORMED, "not sorted",
			    "entries out of digest order");
			memcpy(p + e + 40, p + e, 40);
			memcpy(p + e, tmp, 40);
		} else {
			ok(0, "unexpected index layout in the test");
		}
		/* codes out of order: the second (sha2-512, after the two
		 * 40-byte entries of sha2-256) made 0x11 */
		if (p[e + 80] == 0x13) {
			p[e + 80] = 0x11;
			expect(car.data, car.len, W3S_EMALFORMED,
			    "increasing order", "hash codes out of order");
			p[e + 80] = 0x13;
		} else {
			ok(0, "unexpected index layout in the test");
		}
	}
	w3s_buf_put_u8(&car, 0);
	expect(car.data, car.len, W3S_EMALFORMED, "after the index",
	    "a byte after the index");
	w3s_buf_release(&car);
	w3s_buf_release(&b);

	/* IndexSorted with widths out of order: two buckets, 40 then 16. */
	{
		struct rec r[2];

		memset(r, 0, sizeof(r));
		w3s_buf_init(&b);
		put_varint(&b, W3S_CAR_INDEX_SORTED);
		w3s_buf_put_u32le(&b, 2);
		w3s_buf_put_u32le(&b, 40);
		w3s_buf_put_u64le(&b, 0);
		w3s_buf_put_u32le(&b, 16);
		w3s_buf_put_u64le(&b, 0);
		raw_index(b.data, b.len, W3S_EMALFORMED, "widths not in "
		    "increasing order", "bucket widths out of order");
		w3s_buf_release(&b);
	}
	w3s_buf_release(&c.b);
}

static void
test_dag_pb(void)
{
	static const struct {
		const char *hex;
		int want;
		const char *msg, *name;
	} cases[] = {
		{ "0a0101", 0, NULL, "Data only" },
		{ "", 0, NULL, "an empty PBNode" },
		{ "0a01011200", W3S_EMALFORMED, "Links after Data",
		    "Links after Data" },
		{ "0a01010a0101", W3S_EMALFORMED, "two Data", "two Data" },
		{ "1a0101", W3S_EMALFORMED, "unknown field", "field 3" },
		{ "0801", W3S_EMALFORMED, "unknown field", "Data as a varint" },
		{ "1200", W3S_EMALFORMED, "without Hash", "a link without Hash" },
		{ "0a05", W3S_EMALFORMED, "runs past", "Data past the end" },
		{ "1203120161", W3S_EMALFORMED, "without Hash",
		    "a link with only a Name" },
		{ "12020a00", W3S_EMALFORMED, "cid", "an empty Hash" },
		{ "12028001", W3S_EMALFORMED, "unknown field",
		    "a link field 16" },
		{ "ff", W3S_EMALFORMED, "bad varint", "a cut key varint" },
		{ "0aff", W3S_EMALFORMED, "runs past", "a cut length varint" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blk b;
		struct v1 c;
		uint8_t raw[64];
		size_t n = strlen(cases[i].hex) / 2;

		for (size_t j = 0; j < n; j++) {
			unsigned v;

			sscanf(cases[i].hex + 2 * j, "%2x", &v);
			raw[j] = (uint8_t)v;
		}
		make_block(&b, 1, W3S_CODEC_DAG_PB, W3S_HASH_SHA2_256, raw, n);
		v1_begin(&c, &b.cid, 1);
		v1_add(&c, &b);
		expect(c.b.data, c.b.len, cases[i].want, cases[i].msg,
		    cases[i].name);
		w3s_buf_release(&c.b);
	}
	{
		/* Link fields out of order: Name before Hash. */
		uint8_t cid[W3S_CID_BIN_MAX], raw[128];
		size_t cl = w3s_cid_to_bytes(&blocks[1].cid, cid), n = 0;
		struct blk b;
		struct v1 c;

		raw[n++] = 0x12;
		raw[n++] = (uint8_t)(cl + 5);
		raw[n++] = 0x12;
		raw[n++] = 0x01;
		raw[n++] = 'a';
		raw[n++] = 0x0a;
		raw[n++] = (uint8_t)cl;
		memcpy(raw + n, cid, cl);
		n += cl;
		make_block(&b, 1, W3S_CODEC_DAG_PB, W3S_HASH_SHA2_256, raw, n);
		v1_begin(&c, &b.cid, 1);
		v1_add(&c, &b);
		v1_add(&c, &blocks[1]);
		expect(c.b.data, c.b.len, W3S_EMALFORMED, "out of order",
		    "PBLink Name before Hash");
		w3s_buf_release(&c.b);
	}
}

static void
test_dag_cbor(void)
{
	uint8_t cid[W3S_CID_BIN_MAX], raw[256];
	size_t cl = w3s_cid_to_bytes(&blocks[1].cid, cid), n;
	struct blk b;
	struct v1 c;

	/* Not strict DAG-CBOR, still scanned: a map with a text key that is
	 * not UTF-8, an indefinite array, a float16, another tag; the link
	 * inside is found. */
	n = 0;
	raw[n++] = 0xa1;
	raw[n++] = 0x62;
	raw[n++] = 0xff;
	raw[n++] = 0xfe;
	raw[n++] = 0x9f;
	raw[n++] = 0xf9;
	raw[n++] = 0x3c;
	raw[n++] = 0x00;
	raw[n++] = 0xc1;
	raw[n++] = 0x01;
	raw[n++] = 0xd8;
	raw[n++] = 0x2a;
	raw[n++] = 0x58;
	raw[n++] = (uint8_t)(cl + 1);
	raw[n++] = 0x00;
	memcpy(raw + n, cid, cl);
	n += cl;
	raw[n++] = 0xff;
	make_block(&b, 1, W3S_CODEC_DAG_CBOR, W3S_HASH_SHA2_256, raw, n);
	v1_begin(&c, &b.cid, 1);
	v1_add(&c, &b);
	expect(c.b.data, c.b.len, W3S_EINCOMPLETE, "linked block",
	    "loose CBOR: the link is found, and missing");
	v1_add(&c, &blocks[1]);
	expect(c.b.data, c.b.len, 0, NULL, "loose CBOR with its linked block");
	w3s_buf_release(&c.b);

	{
		static const struct {
			const char *hex, *msg, *name;
		} bad[] = {
			{ "d82a01", "tag 42", "tag 42 on an integer" },
			{ "d82a4101", "tag 42", "tag 42 without the 0x00" },
			{ "d82a420001", "cid", "tag 42 on a bad cid" },
			{ "0101", "bytes after", "two items" },
			{ "82", "ends inside", "a cut array" },
			{ "5a00000010", "runs past", "a string past the block" },
			{ "ff", "break", "a lone break" },
			{ "1c", "not well-formed", "additional info 28" },
			{ "bf01ff", "no value", "an odd indefinite map" },
			{ "5f01ff", "another type", "a chunk of another type" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			n = strlen(bad[i].hex) / 2;
			for (size_t j = 0; j < n; j++) {
				unsigned v;

				sscanf(bad[i].hex + 2 * j, "%2x", &v);
				raw[j] = (uint8_t)v;
			}
			make_block(&b, 1, W3S_CODEC_DAG_CBOR,
			    W3S_HASH_SHA2_256, raw, n);
			v1_begin(&c, &b.cid, 1);
			v1_add(&c, &b);
			expect(c.b.data, c.b.len, W3S_EMALFORMED, bad[i].msg,
			    bad[i].name);
			w3s_buf_release(&c.b);
		}
	}
	{
		/* 600 nested arrays: deeper than the scan goes. */
		uint8_t deep[601];

		memset(deep, 0x81, 600);
		deep[600] = 0x00;
		make_block(&b, 1, W3S_CODEC_DAG_CBOR, W3S_HASH_SHA2_256, deep,
		    sizeof(deep));
		v1_begin(&c, &b.cid, 1);
		v1_add(&c, &b);
		expect(c.b.data, c.b.len, W3S_EMALFORMED, "too deep",
		    "arrays nested 600 deep");
		w3s_buf_release(&c.b);
	}
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL &&
	    fread(p, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

/* go-car's sample: 1049 blocks; its two detached indexes (IndexSorted
 * with identity entries, MultihashIndexSorted without) wrapped with it
 * into CARv2s. */
static void
test_vectors(void)
{
	const char *dir = getenv("W3SYNC_VECTORS");
	uint8_t *v1, *ix;
	size_t v1len, ixlen;
	struct w3s_car_summary sum;
	struct w3s_err err = { 0 };
	struct w3s_buf b, car;
	char path[4096];
	int rc;

	if (dir == NULL || *dir == '\0')
		dir = "../shared/vectors";
	snprintf(path, sizeof(path), "%s/car/sample-v1.car", dir);
	if ((v1 = slurp(path, &v1len)) == NULL) {
		ok(0, "vectors not found at %s", path);
		return;
	}
	rc = run(v1, v1len, 0, &err, &sum, NULL);
	ok(rc == 0 && sum.blocks == 1049, "sample-v1.car: 1049 blocks (%s)",
	    rc ? err.msg : "ok");
	rc = run(v1, v1len, 4093, &err, &sum, NULL);
	ok(rc == 0 && sum.blocks == 1049, "sample-v1.car in 4093-byte pieces");

	snprintf(path, sizeof(path), "%s/car/sample-index.carindex", dir);
	if ((ix = slurp(path, &ixlen)) != NULL) {
		w3s_buf_init(&b);
		w3s_buf_put(&b, ix, ixlen);
		build_v2(&car, v1, v1len, 0, &b, 0);
		rc = run(car.data, car.len, 0, &err, &sum, NULL);
		ok(rc == 0 && sum.index_entries == 1049 &&
		    sum.index_codec == W3S_CAR_INDEX_SORTED,
		    "go-car's IndexSorted of the sample checks: %s",
		    rc ? err.msg : "ok");
		w3s_buf_release(&car);
		w3s_buf_release(&b);
		free(ix);
	} else {
		ok(0, "%s not found", path);
	}
	snprintf(path, sizeof(path), "%s/car/sample-multihash-index-sorted."
	    "carindex", dir);
	if ((ix = slurp(path, &ixlen)) != NULL) {
		w3s_buf_init(&b);
		w3s_buf_put(&b, ix, ixlen);
		build_v2(&car, v1, v1len, 0, &b, 0);
		rc = run(car.data, car.len, 0, &err, &sum, NULL);
		ok(rc == 0 && sum.index_entries == 1043,
		    "go-car's MultihashIndexSorted of the sample: 1043 "
		    "entries, identity left out: %s", rc ? err.msg : "ok");
		w3s_buf_release(&car);
		build_v2(&car, v1, v1len, 0, &b, 0x80);
		rc = run(car.data, car.len, 0, &err, NULL, NULL);
		ok(rc == W3S_EVERIFY && strstr(err.msg, "6 blocks") != NULL,
		    "the same claimed fully indexed: the 6 identity blocks are "
		    "not in it (%s)", err.msg);
		w3s_buf_release(&car);
		w3s_buf_release(&b);
		free(ix);
	} else {
		ok(0, "%s not found", path);
	}
	free(v1);
}

int
main(void)
{
	make_dag();
	test_good_v1();
	test_truncation_v1();
	test_good_v2();
	test_hostile_lengths();
	test_minimal_varints();
	test_hashes();
	test_missing();
	test_zero_padding();
	test_headers();
	test_v2_layout();
	test_index();
	test_index_layout();
	test_dag_pb();
	test_dag_cbor();
	test_vectors();
	return tap_done();
}
