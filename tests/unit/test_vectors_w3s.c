/* Conformance: every vector of vectors/w3s/vectors.json against the
 * library function its kind names (SPEC.md section 13). One TAP line per
 * vector; a kind this file does not map is a failure, never a skip. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include <w3s/buf.h>
#include <w3s/chain.h>
#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/merkle.h>
#include <w3s/mmr.h>
#include <w3s/scale.h>

#include "tap.h"

/* Why the current vector failed, printed under its TAP line. */
static char why[8192];

static __attribute__((format(printf, 1, 2))) int
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- reading the JSON inputs ---- */

/* jansson refuses integers over INT64_MAX, and the vectors hold u64 values
 * up to 2^64 - 1: quote such literals (outside strings) before parsing,
 * and read integers through get_u64, which takes both forms. */
static char *
quote_big_ints(const char *text, size_t len)
{
	char *out = malloc(len * 2 + 1);
	size_t o = 0;
	int in_str = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		char c = text[i];

		if (in_str) {
			out[o++] = c;
			i++;
			if (c == '\\' && i < len)
				out[o++] = text[i++];
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			out[o++] = text[i++];
			continue;
		}
		if (c >= '0' && c <= '9') {
			size_t j = i;
			int plain, big;

			while (j < len && strchr("0123456789.eE+-", text[j]))
				j++;
			plain = strspn(text + i, "0123456789") == j - i;
			big = j - i > 19 || (j - i == 19 && strncmp(text + i,
			    "9223372036854775807", 19) > 0);
			if (plain && big) {
				out[o++] = '"';
				memcpy(out + o, text + i, j - i);
				o += j - i;
				out[o++] = '"';
			} else {
				memcpy(out + o, text + i, j - i);
				o += j - i;
			}
			i = j;
			continue;
		}
		out[o++] = text[i++];
	}
	out[o] = '\0';
	return out;
}

static int
get_u64(json_t *j, uint64_t *v)
{
	const char *s;
	char *end;

	if (json_is_integer(j) && json_integer_value(j) >= 0) {
		*v = (uint64_t)json_integer_value(j);
		return 1;
	}
	if (!json_is_string(j))
		return 0;
	s = json_string_value(j);
	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static int
field_u64(json_t *obj, const char *key, uint64_t *v)
{
	if (!get_u64(json_object_get(obj, key), v))
		return fail("input field '%s' is not a u64", key);
	return 1;
}

static int
get_h256(json_t *j, uint8_t out[W3S_H256])
{
	const char *s = json_string_value(j);

	return s != NULL && w3s_hex_decode(out, W3S_H256, s, strlen(s),
	    NULL) == 0;
}

static int
field_h256(json_t *obj, const char *key, uint8_t out[W3S_H256])
{
	if (!get_h256(json_object_get(obj, key), out))
		return fail("input field '%s' is not a 32-byte hex hash", key);
	return 1;
}

/* Hex string to a new buffer (never NULL on success, even when empty). */
static int
get_hex(json_t *j, uint8_t **out, size_t *len)
{
	const char *s = json_string_value(j);
	size_t n;

	if (s == NULL || (n = strlen(s)) % 2 != 0)
		return 0;
	*out = malloc(n / 2 + 1);
	if (*out == NULL)
		return 0;
	if (w3s_hex_decode(*out, n / 2, s, n, NULL) != 0) {
		free(*out);
		return 0;
	}
	*len = n / 2;
	return 1;
}

/* A list of hashes into a new array of n entries. */
static int
get_h256_list(json_t *j, uint8_t (**out)[W3S_H256], size_t *n)
{
	size_t i;
	json_t *v;

	if (!json_is_array(j))
		return 0;
	*n = json_array_size(j);
	*out = malloc((*n + 1) * W3S_H256);
	if (*out == NULL)
		return 0;
	json_array_foreach(j, i, v) {
		if (!get_h256(v, (*out)[i])) {
			free(*out);
			return 0;
		}
	}
	return 1;
}

/* Blob data: {"hex"}, {"ascii"}, {"gen": "i_mod_251", "len"} or
 * {"gen": "fill", "byte", "len"}. */
static int
get_blob(json_t *j, uint8_t **out, size_t *len)
{
	json_t *v;
	uint64_t n, byte;
	const char *gen;

	if ((v = json_object_get(j, "hex")) != NULL)
		return get_hex(v, out, len) ? 1 : fail("bad hex blob");
	if ((v = json_object_get(j, "ascii")) != NULL) {
		const char *s = json_string_value(v);

		if (s == NULL)
			return fail("bad ascii blob");
		*len = strlen(s);
		*out = malloc(*len + 1);
		if (*out == NULL)
			return fail("out of memory");
		memcpy(*out, s, *len + 1);
		return 1;
	}
	gen = json_string_value(json_object_get(j, "gen"));
	if (gen == NULL || !get_u64(json_object_get(j, "len"), &n) ||
	    n > ((uint64_t)1 << 30))
		return fail("blob has no known encoding");
	*out = malloc((size_t)n + 1);
	if (*out == NULL)
		return fail("out of memory");
	*len = (size_t)n;
	if (strcmp(gen, "i_mod_251") == 0) {
		for (size_t i = 0; i < *len; i++)
			(*out)[i] = (uint8_t)(i % 251);
		return 1;
	}
	if (strcmp(gen, "fill") == 0 &&
	    get_u64(json_object_get(j, "byte"), &byte) && byte < 256) {
		memset(*out, (int)byte, *len);
		return 1;
	}
	free(*out);
	return fail("unknown blob generator '%s'", gen);
}

static int
get_leaf(json_t *j, struct w3s_leaf *leaf)
{
	if (!get_h256(json_object_get(j, "data_root"), leaf->data_root) ||
	    !get_u64(json_object_get(j, "data_size"), &leaf->data_size) ||
	    !get_u64(json_object_get(j, "total_size"), &leaf->total_size))
		return fail("bad MmrLeaf");
	return 1;
}

/* siblings + path into a MerkleProof; their lengths must agree. */
static int
get_merkle_proof(json_t *j, struct w3s_merkle_proof *p)
{
	json_t *sib = json_object_get(j, "siblings");
	json_t *path = json_object_get(j, "path");
	size_t i;
	json_t *v;

	if (!json_is_array(sib) || !json_is_array(path) ||
	    json_array_size(sib) != json_array_size(path) ||
	    json_array_size(sib) > W3S_PROOF_MAX_DEPTH)
		return fail("bad MerkleProof");
	p->depth = json_array_size(sib);
	json_array_foreach(sib, i, v)
		if (!get_h256(v, p->siblings[i]))
			return fail("bad proof sibling %zu", i);
	json_array_foreach(path, i, v) {
		if (!json_is_boolean(v))
			return fail("bad proof path bit %zu", i);
		p->path[i] = json_is_true(v);
	}
	return 1;
}

/* {peaks, leaf, siblings, path} */
static int
get_mmr_proof(json_t *j, struct w3s_mmr_proof *p)
{
	json_t *peaks = json_object_get(j, "peaks");
	size_t i;
	json_t *v;

	memset(p, 0, sizeof(*p));
	if (!json_is_array(peaks) || json_array_size(peaks) > W3S_MMR_MAX_PEAKS)
		return fail("bad MmrProof peaks");
	p->npeaks = json_array_size(peaks);
	json_array_foreach(peaks, i, v)
		if (!get_h256(v, p->peaks[i]))
			return fail("bad MmrProof peak %zu", i);
	if (!get_leaf(json_object_get(j, "leaf"), &p->leaf))
		return 0;
	return get_merkle_proof(j, &p->leaf_proof);
}

/* ---- comparing results ---- */

static int
same_hex(const uint8_t *got, size_t len, json_t *want, const char *what)
{
	const char *w = json_string_value(want);
	char *g;
	int good;

	if (w == NULL)
		return fail("expected %s is not a hex string", what);
	g = malloc(2 * len + 1);
	if (g == NULL)
		return fail("out of memory");
	w3s_hex_encode(g, got, len);
	good = strcmp(g, w) == 0;
	if (!good)
		fail("%s\n#   got:  %.2000s\n#   want: %.2000s", what, g, w);
	free(g);
	return good;
}

static int
same_u64(uint64_t got, json_t *want, const char *what)
{
	uint64_t w;

	if (!get_u64(want, &w))
		return fail("expected %s is not a u64", what);
	if (got != w)
		return fail("%s: got %" PRIu64 ", want %" PRIu64, what, got, w);
	return 1;
}

static int
same_bool(int got, json_t *want, const char *what)
{
	if (!json_is_boolean(want))
		return fail("expected %s is not a bool", what);
	if ((got != 0) != json_is_true(want))
		return fail("%s: got %s, want %s", what, got ? "true" : "false",
		    json_is_true(want) ? "true" : "false");
	return 1;
}

static int
same_buf(struct w3s_buf *b, json_t *want, const char *what)
{
	int good;

	if (b->failed) {
		w3s_buf_release(b);
		return fail("out of memory");
	}
	good = same_hex(b->data, b->len, want, what);
	w3s_buf_release(b);
	return good;
}

static int
same_hash_list(const uint8_t (*got)[W3S_H256], size_t n, json_t *want,
    const char *what)
{
	char name[64];
	size_t i;
	json_t *v;

	if (!json_is_array(want))
		return fail("expected %s is not a list", what);
	if (json_array_size(want) != n)
		return fail("%s: got %zu entries, want %zu", what, n,
		    json_array_size(want));
	json_array_foreach(want, i, v) {
		snprintf(name, sizeof(name), "%s[%zu]", what, i);
		if (!same_hex(got[i], W3S_H256, v, name))
			return 0;
	}
	return 1;
}

static int
same_merkle_proof(const struct w3s_merkle_proof *p, json_t *want)
{
	json_t *path = json_object_get(want, "path");
	size_t i;
	json_t *v;

	if (!same_hash_list((const uint8_t (*)[W3S_H256])p->siblings,
	    p->depth, json_object_get(want, "siblings"), "siblings"))
		return 0;
	if (!json_is_array(path) || json_array_size(path) != p->depth)
		return fail("path: got %zu bits, want %zu", p->depth,
		    json_array_size(path));
	json_array_foreach(path, i, v)
		if (!same_bool(p->path[i], v, "path bit"))
			return 0;
	return 1;
}

/* ---- one handler per kind ---- */

static int
k_blake2_256(json_t *in, json_t *exp)
{
	uint8_t *data, h[W3S_H256];
	size_t len;

	if (!get_blob(json_object_get(in, "data"), &data, &len))
		return 0;
	w3s_hash_blake2b(h, data, len);
	free(data);
	return same_hex(h, W3S_H256, exp, "hash");
}

static int
k_hash_children(json_t *in, json_t *exp)
{
	uint8_t l[W3S_H256], r[W3S_H256], h[W3S_H256];

	if (!field_h256(in, "left", l) || !field_h256(in, "right", r))
		return 0;
	w3s_hash_children(h, l, r);
	return same_hex(h, W3S_H256, exp, "node");
}

static int
k_chunk_hashes(json_t *in, json_t *exp)
{
	uint8_t *data, (*hashes)[W3S_H256];
	uint64_t chunk_size, n;
	size_t len;
	int good;

	if (!field_u64(in, "chunk_size", &chunk_size))
		return 0;
	if (chunk_size != W3S_CHUNK_SIZE)
		return fail("chunk size %" PRIu64 " is not the fixed 262144",
		    chunk_size);
	if (!get_blob(json_object_get(in, "data"), &data, &len))
		return 0;
	n = w3s_chunk_count(len);
	hashes = malloc(n * W3S_H256);
	if (hashes == NULL) {
		free(data);
		return fail("out of memory");
	}
	for (uint64_t i = 0; i < n; i++)
		w3s_hash_blake2b(hashes[i], data + w3s_chunk_offset(i),
		    (size_t)w3s_chunk_len(len, i));
	good = same_hash_list((const uint8_t (*)[W3S_H256])hashes, n, exp,
	    "chunk hashes");
	free(hashes);
	free(data);
	return good;
}

static int
k_data_root(json_t *in, json_t *exp)
{
	uint8_t *data, root[W3S_H256];
	size_t len;

	if (!get_blob(json_object_get(in, "data"), &data, &len))
		return 0;
	w3s_chunk_data_root(data, len, root);
	free(data);
	return same_hex(root, W3S_H256, exp, "data_root");
}

static int
k_chunk_lengths(json_t *in, json_t *exp)
{
	uint8_t *data;
	size_t len, i;
	json_t *v;

	if (!get_blob(json_object_get(in, "data"), &data, &len))
		return 0;
	free(data);
	if (!json_is_array(exp) || json_array_size(exp) != w3s_chunk_count(len))
		return fail("got %" PRIu64 " chunks, want %zu",
		    w3s_chunk_count(len), json_array_size(exp));
	json_array_foreach(exp, i, v)
		if (!same_u64(w3s_chunk_len(len, i), v, "chunk length"))
			return 0;
	return 1;
}

static int
k_chunk_count(json_t *in, json_t *exp)
{
	uint64_t size;

	if (!field_u64(in, "size", &size))
		return 0;
	return same_u64(w3s_chunk_count(size), exp, "chunk count");
}

static int
k_padded_merkle_root(json_t *in, json_t *exp)
{
	struct w3s_merkle_builder mb;
	uint8_t (*leaves)[W3S_H256], root[W3S_H256], streamed[W3S_H256];
	size_t n;

	if (!get_h256_list(json_object_get(in, "leaves"), &leaves, &n))
		return fail("bad leaves");
	w3s_merkle_root((const uint8_t (*)[W3S_H256])leaves, n, root);
	w3s_merkle_builder_init(&mb);
	for (size_t i = 0; i < n; i++)
		w3s_merkle_builder_push(&mb, leaves[i]);
	w3s_merkle_builder_finish(&mb, streamed);
	free(leaves);
	return same_hex(root, W3S_H256, exp, "root") &&
	    same_hex(streamed, W3S_H256, exp, "streamed root");
}

struct node_check {
	json_t *want;
	size_t seen;
};

static int
check_node(void *ctx, const uint8_t node[W3S_H256],
    const uint8_t left[W3S_H256], const uint8_t right[W3S_H256])
{
	struct node_check *nc = ctx;
	json_t *w = json_array_get(nc->want, nc->seen++);

	if (!json_is_array(w) || json_array_size(w) != 3)
		return fail("more internal nodes than expected (%zu)",
		    nc->seen) - 1;
	if (!same_hex(node, W3S_H256, json_array_get(w, 0), "node") ||
	    !same_hex(left, W3S_H256, json_array_get(w, 1), "left") ||
	    !same_hex(right, W3S_H256, json_array_get(w, 2), "right"))
		return -1;
	return 0;
}

static int
k_padded_merkle_nodes(json_t *in, json_t *exp)
{
	struct node_check nc = { exp, 0 };
	uint8_t (*leaves)[W3S_H256];
	struct w3s_err err;
	size_t n;
	int rc;

	if (!get_h256_list(json_object_get(in, "leaves"), &leaves, &n))
		return fail("bad leaves");
	rc = w3s_merkle_nodes((const uint8_t (*)[W3S_H256])leaves, n,
	    check_node, &nc, &err);
	free(leaves);
	if (rc != 0)
		return rc == -1 ? 0 : fail("w3s_merkle_nodes: %s", err.msg);
	if (nc.seen != json_array_size(exp))
		return fail("got %zu internal nodes, want %zu", nc.seen,
		    json_array_size(exp));
	return 1;
}

static int
k_padded_merkle_proof(json_t *in, json_t *exp)
{
	struct w3s_merkle_proof p;
	uint8_t (*leaves)[W3S_H256];
	struct w3s_err err;
	uint64_t idx;
	size_t n;
	int rc;

	if (!field_u64(in, "index", &idx))
		return 0;
	if (!get_h256_list(json_object_get(in, "leaves"), &leaves, &n))
		return fail("bad leaves");
	rc = w3s_merkle_prove((const uint8_t (*)[W3S_H256])leaves, n,
	    (size_t)idx, &p, &err);
	free(leaves);
	if (json_is_null(exp))
		return rc == W3S_EUSAGE ? 1 :
		    fail("want no proof (W3S_EUSAGE), got %d", rc);
	if (rc != 0)
		return fail("w3s_merkle_prove: %s", err.msg);
	return same_merkle_proof(&p, exp);
}

static int
k_verify_chunk_proof_ts(json_t *in, json_t *exp)
{
	json_t *sib = json_object_get(in, "siblings");
	uint8_t leaf[W3S_H256], root[W3S_H256];
	struct w3s_merkle_proof p;
	uint64_t index, chunks;
	size_t i;
	json_t *v;

	if (!field_h256(in, "chunk_hash", leaf) ||
	    !field_h256(in, "data_root", root) ||
	    !field_u64(in, "index", &index) ||
	    !field_u64(in, "chunks", &chunks))
		return 0;
	if (!json_is_array(sib) || json_array_size(sib) > W3S_PROOF_MAX_DEPTH)
		return fail("bad siblings");
	/* TS proofs carry no path: the direction at level i is bit i of the
	 * index, which is what the path bits say for a proof of index. */
	p.depth = json_array_size(sib);
	json_array_foreach(sib, i, v) {
		if (!get_h256(v, p.siblings[i]))
			return fail("bad sibling %zu", i);
		p.path[i] = i < 64 ? (uint8_t)(index >> i & 1) : 0;
	}
	return same_bool(w3s_merkle_verify_strict(leaf, index, chunks, &p,
	    root) == 0, exp, "verifyChunkProof");
}

static int
k_verify_merkle_proof(json_t *in, json_t *exp)
{
	json_t *sib = json_object_get(in, "siblings");
	json_t *path = json_object_get(in, "path");
	uint8_t leaf[W3S_H256], root[W3S_H256];
	uint8_t sibs[W3S_PROOF_MAX_DEPTH][W3S_H256];
	uint8_t bits[W3S_PROOF_MAX_DEPTH];
	uint64_t index;
	size_t i;
	json_t *v;

	if (!field_h256(in, "leaf_hash", leaf) || !field_h256(in, "root", root)
	    || !field_u64(in, "index", &index))
		return 0;
	if (!json_is_array(sib) || !json_is_array(path) ||
	    json_array_size(sib) > W3S_PROOF_MAX_DEPTH ||
	    json_array_size(path) > W3S_PROOF_MAX_DEPTH)
		return fail("bad siblings or path");
	json_array_foreach(sib, i, v)
		if (!get_h256(v, sibs[i]))
			return fail("bad sibling %zu", i);
	json_array_foreach(path, i, v)
		bits[i] = json_is_true(v);
	return same_bool(w3s_merkle_verify_parts(leaf, index,
	    (const uint8_t (*)[W3S_H256])sibs, json_array_size(sib), bits,
	    json_array_size(path), root) == 0, exp, "verify_merkle_proof");
}

static int
k_mmr_leaf_encode(json_t *in, json_t *exp)
{
	uint8_t enc[W3S_LEAF_ENC_LEN];
	struct w3s_leaf leaf, back;
	struct w3s_rd r;

	if (!get_leaf(json_object_get(in, "leaf"), &leaf))
		return 0;
	w3s_leaf_encode(&leaf, enc);
	w3s_rd_init(&r, enc, sizeof(enc));
	if (w3s_leaf_decode(&r, &back, NULL) != 0 ||
	    memcmp(&back.data_root, leaf.data_root, W3S_H256) != 0 ||
	    back.data_size != leaf.data_size ||
	    back.total_size != leaf.total_size)
		return fail("w3s_leaf_decode does not give the leaf back");
	return same_hex(enc, sizeof(enc), exp, "encoding");
}

static int
k_mmr_leaf_hash(json_t *in, json_t *exp)
{
	struct w3s_leaf leaf;
	uint8_t h[W3S_H256];

	if (!get_leaf(json_object_get(in, "leaf"), &leaf))
		return 0;
	w3s_leaf_hash(&leaf, h);
	return same_hex(h, W3S_H256, exp, "leaf hash");
}

static int
k_mmr_leaf_positions(json_t *in, json_t *exp)
{
	json_t *ks = json_object_get(in, "leaf_indices");
	uint64_t k;
	size_t i;
	json_t *v;

	if (!json_is_array(ks) || !json_is_array(exp) ||
	    json_array_size(ks) != json_array_size(exp))
		return fail("bad leaf_indices");
	json_array_foreach(ks, i, v) {
		if (!get_u64(v, &k))
			return fail("bad leaf index");
		if (!same_u64(w3s_mmr_leaf_pos(k), json_array_get(exp, i),
		    "position"))
			return 0;
	}
	return 1;
}

static int
k_mmr_node_count(json_t *in, json_t *exp)
{
	json_t *ns = json_object_get(in, "leaf_counts");
	uint64_t n;
	size_t i;
	json_t *v;

	if (!json_is_array(ns) || !json_is_array(exp) ||
	    json_array_size(ns) != json_array_size(exp))
		return fail("bad leaf_counts");
	json_array_foreach(ns, i, v) {
		if (!get_u64(v, &n))
			return fail("bad leaf count");
		if (!same_u64(w3s_mmr_node_count(n), json_array_get(exp, i),
		    "node count"))
			return 0;
	}
	return 1;
}

/* Builds an in-memory MMR from "leaf_hashes" or "leaves"; keeps the leaves
 * (when given) for proofs. */
static int
build_mmr(json_t *in, struct w3s_mmr_mem *m, struct w3s_leaf **leaves)
{
	json_t *list = json_object_get(in, "leaf_hashes");
	uint8_t h[W3S_H256];
	struct w3s_err err;
	size_t i;
	json_t *v;

	w3s_mmr_mem_init(m);
	*leaves = NULL;
	if (list != NULL) {
		json_array_foreach(list, i, v) {
			if (!get_h256(v, h))
				return fail("bad leaf hash %zu", i);
			if (w3s_mmr_mem_append(m, h, &err) != 0)
				return fail("append: %s", err.msg);
		}
		return json_is_array(list) ? 1 : fail("bad leaf_hashes");
	}
	list = json_object_get(in, "leaves");
	if (!json_is_array(list))
		return fail("neither leaf_hashes nor leaves");
	*leaves = calloc(json_array_size(list) + 1, sizeof(**leaves));
	if (*leaves == NULL)
		return fail("out of memory");
	json_array_foreach(list, i, v) {
		if (!get_leaf(v, &(*leaves)[i]))
			return 0;
		w3s_leaf_hash(&(*leaves)[i], h);
		if (w3s_mmr_mem_append(m, h, &err) != 0)
			return fail("append: %s", err.msg);
	}
	return 1;
}

static int
k_mmr_node_array(json_t *in, json_t *exp)
{
	struct w3s_leaf *leaves;
	struct w3s_mmr_mem m;
	int good;

	good = build_mmr(in, &m, &leaves);
	if (good)
		good = same_hash_list((const uint8_t (*)[W3S_H256])m.nodes,
		    m.len, exp, "nodes");
	free(leaves);
	w3s_mmr_mem_release(&m);
	return good;
}

static int
k_mmr_peaks(json_t *in, json_t *exp)
{
	uint8_t peaks[W3S_MMR_MAX_PEAKS][W3S_H256];
	uint64_t pos[W3S_MMR_MAX_PEAKS];
	json_t *wpos = json_object_get(exp, "positions");
	struct w3s_leaf *leaves;
	struct w3s_mmr_mem m;
	struct w3s_mmr_store s;
	size_t k = 0, i;
	json_t *v;
	int good;

	good = build_mmr(in, &m, &leaves);
	if (good) {
		s = w3s_mmr_mem_store(&m);
		k = w3s_mmr_peak_positions(m.leaves, pos);
		for (i = 0; i < k && good; i++)
			if (s.get(s.ctx, pos[i], peaks[i], NULL) != 0)
				good = fail("peak %zu at %" PRIu64 " missing",
				    i, pos[i]);
	}
	if (good && (!json_is_array(wpos) || json_array_size(wpos) != k))
		good = fail("got %zu peaks, want %zu", k,
		    json_array_size(wpos));
	if (good)
		json_array_foreach(wpos, i, v)
			if (!(good = same_u64(pos[i], v, "peak position")))
				break;
	if (good)
		good = same_hash_list((const uint8_t (*)[W3S_H256])peaks, k,
		    json_object_get(exp, "peaks"), "peaks");
	free(leaves);
	w3s_mmr_mem_release(&m);
	return good;
}

static int
k_mmr_root(json_t *in, json_t *exp)
{
	uint8_t root[W3S_H256], via_store[W3S_H256];
	struct w3s_leaf *leaves;
	struct w3s_mmr_store s;
	struct w3s_mmr_mem m;
	struct w3s_err err;
	int good;

	good = build_mmr(in, &m, &leaves);
	if (good && w3s_mmr_mem_root(&m, root) != 0)
		good = fail("w3s_mmr_mem_root failed");
	if (good) {
		s = w3s_mmr_mem_store(&m);
		if (w3s_mmr_root(&s, m.leaves, via_store, &err) != 0)
			good = fail("w3s_mmr_root: %s", err.msg);
	}
	if (good)
		good = same_hex(root, W3S_H256, exp, "root") &&
		    same_hex(via_store, W3S_H256, exp, "root via the store");
	free(leaves);
	w3s_mmr_mem_release(&m);
	return good;
}

static int
k_bag_peaks(json_t *in, json_t *exp)
{
	uint8_t (*peaks)[W3S_H256], root[W3S_H256];
	size_t n;

	if (!get_h256_list(json_object_get(in, "peaks"), &peaks, &n))
		return fail("bad peaks");
	w3s_mmr_bag((const uint8_t (*)[W3S_H256])peaks, n, root);
	free(peaks);
	return same_hex(root, W3S_H256, exp, "bagged root");
}

static int
k_mmr_proof(json_t *in, json_t *exp)
{
	struct w3s_mmr_proof p;
	struct w3s_leaf *leaves;
	struct w3s_mmr_store s;
	struct w3s_mmr_mem m;
	struct w3s_err err;
	uint64_t k;
	int good;

	if (!field_u64(in, "leaf_index", &k))
		return 0;
	good = build_mmr(in, &m, &leaves);
	if (good) {
		s = w3s_mmr_mem_store(&m);
		if (w3s_mmr_prove(&s, m.leaves, k,
		    leaves != NULL && k < m.leaves ? &leaves[k] : NULL, &p,
		    &err) != 0)
			good = fail("w3s_mmr_prove: %s", err.msg);
	}
	if (good)
		good = same_merkle_proof(&p.leaf_proof, exp) &&
		    same_hash_list((const uint8_t (*)[W3S_H256])p.peaks,
		    p.npeaks, json_object_get(exp, "peaks"), "peaks");
	free(leaves);
	w3s_mmr_mem_release(&m);
	return good;
}

static int
k_verify_mmr_proof(json_t *in, json_t *exp)
{
	struct w3s_mmr_proof p;
	uint8_t root[W3S_H256];

	if (!get_mmr_proof(json_object_get(in, "proof"), &p) ||
	    !field_h256(in, "root", root))
		return 0;
	return same_bool(w3s_mmr_verify(&p, root) == 0, exp,
	    "verify_mmr_proof");
}

static int
k_verify_last_mmr_leaf(json_t *in, json_t *exp)
{
	struct w3s_mmr_proof p;
	uint8_t root[W3S_H256];
	uint64_t n;

	if (!get_mmr_proof(json_object_get(in, "proof"), &p) ||
	    !field_h256(in, "root", root) || !field_u64(in, "leaf_count", &n))
		return 0;
	return same_bool(w3s_mmr_verify_last(&p, root, n) == 0, exp,
	    "verify_last_mmr_leaf");
}

static int
k_verify_mmr_proof_bound(json_t *in, json_t *exp)
{
	struct w3s_mmr_proof p;
	uint8_t root[W3S_H256];
	uint64_t index, count;

	if (!get_mmr_proof(json_object_get(in, "proof"), &p) ||
	    !field_h256(in, "root", root) ||
	    !field_u64(in, "leaf_index", &index) ||
	    !field_u64(in, "leaf_count", &count))
		return 0;
	return same_bool(w3s_mmr_verify_bound(&p, index, count, root) == 0,
	    exp, "verify_mmr_proof (4 arguments)");
}

/* The answer goes through its SCALE form (ChallengeResponse::Proof) and
 * the chain's check runs on what was decoded. */
static int
k_challenge_proof_response(json_t *in, json_t *exp)
{
	struct w3s_merkle_proof cp, cp2;
	struct w3s_mmr_proof mp, mp2;
	enum w3s_chain_mmr_check check;
	uint64_t chunk_index, index, count;
	const uint8_t *chunk2 = NULL;
	const char *verifier;
	uint8_t root[W3S_H256], *chunk;
	struct w3s_err err;
	struct w3s_buf b;
	struct w3s_rd r;
	size_t len, len2;
	int good;

	verifier = json_string_value(json_object_get(in, "verifier"));
	if (verifier == NULL || (strcmp(verifier, "bound") != 0 &&
	    strcmp(verifier, "unbound") != 0))
		return fail("unknown verifier");
	check = strcmp(verifier, "bound") == 0 ? W3S_CHAIN_MMR_BOUND :
	    W3S_CHAIN_MMR_UNBOUND;
	if (!get_merkle_proof(json_object_get(in, "chunk_proof"), &cp) ||
	    !get_mmr_proof(json_object_get(in, "mmr_proof"), &mp) ||
	    !field_h256(in, "root", root) ||
	    !field_u64(in, "chunk_index", &chunk_index) ||
	    !field_u64(in, "leaf_index", &index) ||
	    !field_u64(in, "leaf_count", &count))
		return 0;
	if (!get_blob(json_object_get(in, "chunk"), &chunk, &len))
		return 0;
	w3s_buf_init(&b);
	w3s_challenge_proof_encode(&b, chunk, len, &mp, &cp);
	free(chunk);
	if (b.failed) {
		w3s_buf_release(&b);
		return fail("out of memory");
	}
	w3s_rd_init(&r, b.data, b.len);
	if (w3s_challenge_proof_decode(&r, &chunk2, &len2, &mp2, &cp2,
	    &err) != 0) {
		w3s_buf_release(&b);
		return fail("w3s_challenge_proof_decode: %s", err.msg);
	}
	good = same_bool(w3s_chain_verify_proof_response(chunk2, len2,
	    chunk_index, &cp2, &mp2, check, index, count, root) == 0, exp,
	    "challenge response accepted");
	w3s_buf_release(&b);
	return good;
}

static int
k_merkle_proof_encode(json_t *in, json_t *exp)
{
	struct w3s_merkle_proof p, back;
	struct w3s_err err;
	struct w3s_buf b;
	struct w3s_rd r;

	if (!get_merkle_proof(in, &p))
		return 0;
	w3s_buf_init(&b);
	w3s_merkle_proof_encode(&b, &p);
	w3s_rd_init(&r, b.data, b.len);
	if (!b.failed && (w3s_merkle_proof_decode(&r, &back, &err) != 0 ||
	    w3s_rd_left(&r) != 0 || back.depth != p.depth ||
	    memcmp(back.siblings, p.siblings, p.depth * W3S_H256) != 0 ||
	    memcmp(back.path, p.path, p.depth) != 0)) {
		w3s_buf_release(&b);
		return fail("decoding the encoding does not give the proof");
	}
	return same_buf(&b, exp, "encoding");
}

static int
k_mmr_proof_encode(json_t *in, json_t *exp)
{
	struct w3s_mmr_proof p, back;
	struct w3s_buf b, again;
	struct w3s_err err;
	struct w3s_rd r;
	int same;

	if (!get_mmr_proof(json_object_get(in, "proof"), &p))
		return 0;
	w3s_buf_init(&b);
	w3s_buf_init(&again);
	w3s_mmr_proof_encode(&b, &p);
	w3s_rd_init(&r, b.data, b.len);
	if (!b.failed && w3s_mmr_proof_decode(&r, &back, &err) == 0 &&
	    w3s_rd_left(&r) == 0)
		w3s_mmr_proof_encode(&again, &back);
	same = again.len == b.len && !again.failed &&
	    memcmp(again.data, b.data, b.len) == 0;
	w3s_buf_release(&again);
	if (!same) {
		w3s_buf_release(&b);
		return fail("decode then encode does not give the bytes back");
	}
	return same_buf(&b, exp, "encoding");
}

static int
get_commitment(json_t *j, struct w3s_commitment *c)
{
	return field_h256(j, "mmr_root", c->mmr_root) &&
	    field_u64(j, "start_seq", &c->start_seq) &&
	    field_u64(j, "leaf_count", &c->leaf_count);
}

static int
k_commitment_payload_v1_encode(json_t *in, json_t *exp)
{
	uint8_t out[W3S_PAYLOAD_V1_LEN];
	struct w3s_commitment c, back;
	uint64_t bucket, bucket2;

	if (!field_u64(in, "bucket_id", &bucket) ||
	    !get_commitment(json_object_get(in, "commitment"), &c))
		return 0;
	w3s_payload_v1_encode(bucket, &c, out);
	if (w3s_payload_v1_decode(out, sizeof(out), &bucket2, &back,
	    NULL) != 0 || bucket2 != bucket ||
	    memcmp(back.mmr_root, c.mmr_root, W3S_H256) != 0 ||
	    back.start_seq != c.start_seq || back.leaf_count != c.leaf_count)
		return fail("w3s_payload_v1_decode does not give it back");
	return same_hex(out, sizeof(out), exp, "payload v1");
}

static int
k_commitment_payload_v2_encode(json_t *in, json_t *exp)
{
	uint8_t out[W3S_PAYLOAD_V2_LEN];
	struct w3s_commitment c;
	uint64_t bucket, nonce;

	if (!field_u64(in, "bucket_id", &bucket) ||
	    !field_u64(in, "nonce", &nonce) ||
	    !get_commitment(json_object_get(in, "commitment"), &c))
		return 0;
	w3s_payload_v2_encode(bucket, &c, nonce, out);
	return same_hex(out, sizeof(out), exp, "payload v2");
}

static int
k_commitment_encode(json_t *in, json_t *exp)
{
	uint8_t out[W3S_COMMITMENT_ENC_LEN];
	struct w3s_commitment c;

	if (!get_commitment(in, &c))
		return 0;
	w3s_commitment_encode(&c, out);
	return same_hex(out, sizeof(out), exp, "commitment");
}

static int
k_ecdsa_message_digest(json_t *in, json_t *exp)
{
	uint8_t *msg, h[W3S_H256];
	size_t len;

	if (!get_hex(json_object_get(in, "message"), &msg, &len))
		return fail("bad message");
	/* ECDSA signs H(bytes) (SPEC.md section 7). */
	w3s_hash_blake2b(h, msg, len);
	free(msg);
	return same_hex(h, W3S_H256, exp, "digest");
}

static int
k_commitment_range(json_t *in, json_t *exp)
{
	json_t *seqs = json_object_get(in, "seqs");
	json_t *want = json_object_get(exp, "contains");
	struct w3s_commitment c;
	uint64_t seq;
	size_t i;
	json_t *v;

	memset(&c, 0, sizeof(c));
	if (!field_u64(in, "start_seq", &c.start_seq) ||
	    !field_u64(in, "leaf_count", &c.leaf_count))
		return 0;
	if (!same_u64(w3s_chain_range_end(&c), json_object_get(exp,
	    "range_end"), "range end"))
		return 0;
	if (!json_is_array(seqs) || !json_is_array(want) ||
	    json_array_size(seqs) != json_array_size(want))
		return fail("bad seqs");
	json_array_foreach(seqs, i, v) {
		if (!get_u64(v, &seq))
			return fail("bad seq");
		if (!same_bool(w3s_chain_range_contains(&c, seq),
		    json_array_get(want, i), "contains"))
			return 0;
	}
	return 1;
}

static int
k_leaf_seq(json_t *in, json_t *exp)
{
	uint64_t start, index;

	if (!field_u64(in, "start_seq", &start) ||
	    !field_u64(in, "leaf_index", &index))
		return 0;
	return same_u64(w3s_chain_leaf_seq(start, index), exp, "sequence");
}

static int
get_sync_roots(json_t *list, uint8_t roots[W3S_SYNC_ROOTS][W3S_H256],
    int present[W3S_SYNC_ROOTS])
{
	if (!json_is_array(list) || json_array_size(list) != W3S_SYNC_ROOTS)
		return fail("roots is not a list of 7");
	for (size_t i = 0; i < W3S_SYNC_ROOTS; i++) {
		json_t *v = json_array_get(list, i);

		memset(roots[i], 0, W3S_H256);
		present[i] = !json_is_null(v);
		if (present[i] && !get_h256(v, roots[i]))
			return fail("bad root %zu", i);
	}
	return 1;
}

static int
k_sync_roots_encode(json_t *in, json_t *exp)
{
	uint8_t roots[W3S_SYNC_ROOTS][W3S_H256], back[W3S_SYNC_ROOTS][W3S_H256];
	int present[W3S_SYNC_ROOTS], back_present[W3S_SYNC_ROOTS];
	struct w3s_buf b;
	struct w3s_rd r;

	if (!get_sync_roots(json_object_get(in, "roots"), roots, present))
		return 0;
	w3s_buf_init(&b);
	w3s_sync_roots_encode(&b, (const uint8_t (*)[W3S_H256])roots, present);
	w3s_rd_init(&r, b.data, b.len);
	if (!b.failed && (w3s_sync_roots_decode(&r, back, back_present,
	    NULL) != 0 || w3s_rd_left(&r) != 0 ||
	    memcmp(back, roots, sizeof(roots)) != 0 ||
	    memcmp(back_present, present, sizeof(present)) != 0)) {
		w3s_buf_release(&b);
		return fail("w3s_sync_roots_decode does not give them back");
	}
	return same_buf(&b, exp, "roots encoding");
}

static int
same_hist(const struct w3s_chain_hist *hist, json_t *exp)
{
	if (!json_is_array(exp) || json_array_size(exp) != W3S_CHAIN_HIST_SLOTS)
		return fail("expected 6 historical slots");
	for (size_t i = 0; i < W3S_CHAIN_HIST_SLOTS; i++) {
		json_t *w = json_array_get(exp, i);

		if (!same_u64(hist[i].quotient, json_array_get(w, 0),
		    "quotient") ||
		    !same_hex(hist[i].root, W3S_H256, json_array_get(w, 1),
		    "slot root"))
			return fail("slot %zu: %.4000s", i, why);
	}
	return 1;
}

static int
k_historical_roots(json_t *in, json_t *exp)
{
	struct w3s_chain_hist hist[W3S_CHAIN_HIST_SLOTS];
	json_t *cps = json_object_get(in, "checkpoints");
	uint8_t root[W3S_H256];
	uint64_t block;
	size_t i;
	json_t *v;

	if (!json_is_array(cps))
		return fail("bad checkpoints");
	w3s_chain_hist_init(hist);
	json_array_foreach(cps, i, v) {
		if (!field_u64(v, "block", &block) ||
		    !field_h256(v, "mmr_root", root))
			return 0;
		w3s_chain_hist_update(hist, block, root);
	}
	return same_hist(hist, exp);
}

static int
k_find_matching_root(json_t *in, json_t *exp)
{
	struct w3s_chain_hist hist[W3S_CHAIN_HIST_SLOTS];
	uint8_t roots[W3S_SYNC_ROOTS][W3S_H256], snap[W3S_H256];
	json_t *hl = json_object_get(in, "historical_roots");
	json_t *sr = json_object_get(in, "snapshot_root");
	int present[W3S_SYNC_ROOTS], pos = -1, rc;
	struct w3s_err err;
	uint64_t q;

	if (!json_is_array(hl) || json_array_size(hl) != W3S_CHAIN_HIST_SLOTS)
		return fail("bad historical_roots");
	for (size_t i = 0; i < W3S_CHAIN_HIST_SLOTS; i++) {
		json_t *slot = json_array_get(hl, i);

		if (!get_u64(json_array_get(slot, 0), &q) || q > UINT32_MAX ||
		    !get_h256(json_array_get(slot, 1), hist[i].root))
			return fail("bad historical slot %zu", i);
		hist[i].quotient = (uint32_t)q;
	}
	if (!json_is_null(sr) && !get_h256(sr, snap))
		return fail("bad snapshot_root");
	if (!get_sync_roots(json_object_get(in, "roots"), roots, present))
		return 0;
	rc = w3s_chain_find_matching_root(json_is_null(sr) ? NULL : snap,
	    hist, (const uint8_t (*)[W3S_H256])roots, present, NULL, &pos,
	    &err);
	if (json_is_null(exp))
		return rc == W3S_EVERIFY ? 1 :
		    fail("want no match (InvalidSyncRoot), got %d", rc);
	if (rc != 0)
		return fail("w3s_chain_find_matching_root: %s", err.msg);
	return same_u64((uint64_t)pos, json_array_get(exp, 0), "position") &&
	    same_hex(roots[pos], W3S_H256, json_array_get(exp, 1),
	    "matched root");
}

static int
same_bucket(const struct w3s_chain_bucket *b, json_t *want)
{
	json_t *sizes = json_object_get(want, "total_sizes");
	struct w3s_commitment c;
	size_t i;
	json_t *v;

	w3s_chain_bucket_commitment(b, &c);
	if (!same_hex(c.mmr_root, W3S_H256, json_object_get(want, "mmr_root"),
	    "mmr_root") ||
	    !same_u64(c.start_seq, json_object_get(want, "start_seq"),
	    "start_seq") ||
	    !same_u64(c.leaf_count, json_object_get(want, "leaf_count"),
	    "leaf_count"))
		return 0;
	if (!json_is_array(sizes) || json_array_size(sizes) != b->nleaves)
		return fail("got %zu total sizes, want %zu", b->nleaves,
		    json_array_size(sizes));
	json_array_foreach(sizes, i, v)
		if (!same_u64(b->leaves[i].total_size, v, "total_size"))
			return 0;
	return 1;
}

static int
bucket_op(struct w3s_chain_bucket *b, json_t *op)
{
	const char *name = json_string_value(json_object_get(op, "op"));
	json_t *items = json_object_get(op, "items");
	uint8_t (*roots)[W3S_H256];
	struct w3s_err err;
	uint64_t *sizes, seq;
	size_t i;
	json_t *v;
	int rc;

	if (name != NULL && strcmp(name, "delete_before") == 0) {
		if (!field_u64(op, "new_start_seq", &seq))
			return 0;
		if (w3s_chain_bucket_delete_before(b, seq, &err) != 0)
			return fail("delete_before: %s", err.msg);
		return 1;
	}
	if (name == NULL || strcmp(name, "commit") != 0 ||
	    !json_is_array(items))
		return fail("unknown bucket op");
	roots = malloc((json_array_size(items) + 1) * W3S_H256);
	sizes = malloc((json_array_size(items) + 1) * sizeof(*sizes));
	rc = roots != NULL && sizes != NULL ? 1 : fail("out of memory");
	json_array_foreach(items, i, v) {
		if (!rc)
			break;
		rc = field_h256(v, "data_root", roots[i]) &&
		    field_u64(v, "data_size", &sizes[i]);
	}
	if (rc && w3s_chain_bucket_commit(b, (const uint8_t (*)[W3S_H256])roots,
	    sizes, json_array_size(items), &err) != 0)
		rc = fail("commit: %s", err.msg);
	free(roots);
	free(sizes);
	return rc;
}

static int
k_bucket_ops(json_t *in, json_t *exp)
{
	json_t *ops = json_object_get(in, "ops");
	struct w3s_chain_bucket b;
	int good = 1;
	size_t i;
	json_t *v;

	if (!json_is_array(ops) || !json_is_array(exp) ||
	    json_array_size(ops) != json_array_size(exp))
		return fail("ops and expected states differ in number");
	w3s_chain_bucket_init(&b);
	json_array_foreach(ops, i, v) {
		if (!(good = bucket_op(&b, v)))
			break;
		if (!(good = same_bucket(&b, json_array_get(exp, i)))) {
			fail("after op %zu: %.4000s", i, why);
			break;
		}
	}
	w3s_chain_bucket_release(&b);
	return good;
}

static int
k_scale_compact(json_t *in, json_t *exp)
{
	struct w3s_err err;
	struct w3s_buf b;
	struct w3s_rd r;
	uint64_t v, back = 0;

	if (!field_u64(in, "value", &v))
		return 0;
	w3s_buf_init(&b);
	w3s_scale_put_compact(&b, v);
	w3s_rd_init(&r, b.data, b.len);
	if (!b.failed && (w3s_scale_get_compact(&r, &back, &err) != 0 ||
	    back != v || w3s_rd_left(&r) != 0)) {
		w3s_buf_release(&b);
		return fail("w3s_scale_get_compact does not give it back");
	}
	return same_buf(&b, exp, "compact");
}

static int
k_scale_fixed_mix(json_t *in, json_t *exp)
{
	uint64_t u8, u32, u64;
	struct w3s_buf b;

	if (!field_u64(in, "u8", &u8) || !field_u64(in, "u32", &u32) ||
	    !field_u64(in, "u64", &u64) || u8 > UINT8_MAX || u32 > UINT32_MAX)
		return fail("bad fixed-width values");
	w3s_buf_init(&b);
	w3s_buf_put_u8(&b, (uint8_t)u8);
	w3s_buf_put_u32le(&b, (uint32_t)u32);
	w3s_scale_put_u64(&b, u64);
	return same_buf(&b, exp, "encoding");
}

static int
k_scale_bytes(json_t *in, json_t *exp)
{
	const uint8_t *view = NULL;
	struct w3s_buf b;
	struct w3s_rd r;
	uint8_t *data;
	size_t len, len2 = 0;

	if (!get_hex(json_object_get(in, "bytes"), &data, &len))
		return fail("bad bytes");
	w3s_buf_init(&b);
	w3s_scale_put_bytes(&b, data, len);
	w3s_rd_init(&r, b.data, b.len);
	if (!b.failed && (w3s_scale_get_bytes(&r, &view, &len2, len, NULL) != 0
	    || len2 != len || memcmp(view, data, len) != 0)) {
		free(data);
		w3s_buf_release(&b);
		return fail("w3s_scale_get_bytes does not give them back");
	}
	free(data);
	return same_buf(&b, exp, "encoding");
}

static int
k_scale_u64(json_t *in, json_t *exp)
{
	struct w3s_buf b;
	uint64_t v;

	if (!field_u64(in, "value", &v))
		return 0;
	w3s_buf_init(&b);
	w3s_scale_put_u64(&b, v);
	return same_buf(&b, exp, "u64");
}

static int
k_bucket_state_encode(json_t *in, json_t *exp)
{
	json_t *list = json_object_get(in, "leaves");
	uint64_t start, used, max;
	struct w3s_leaf *leaves;
	uint8_t root[W3S_H256];
	struct w3s_buf b;
	size_t i;
	json_t *v;

	if (!field_h256(in, "mmr_root", root) ||
	    !field_u64(in, "start_seq", &start) ||
	    !field_u64(in, "used_bytes", &used) ||
	    !field_u64(in, "max_bytes", &max))
		return 0;
	if (!json_is_array(list))
		return fail("bad leaves");
	leaves = calloc(json_array_size(list) + 1, sizeof(*leaves));
	if (leaves == NULL)
		return fail("out of memory");
	json_array_foreach(list, i, v) {
		if (!get_leaf(v, &leaves[i])) {
			free(leaves);
			return 0;
		}
	}
	w3s_buf_init(&b);
	w3s_bucket_state_encode(&b, root, start, leaves, json_array_size(list),
	    used, max);
	free(leaves);
	return same_buf(&b, exp, "BucketState");
}

static int
k_chunk_tree_node_encode(json_t *in, json_t *exp)
{
	const char *variant = json_string_value(json_object_get(in, "variant"));
	uint8_t l[W3S_H256], r[W3S_H256], *data;
	struct w3s_buf b;
	size_t len;

	w3s_buf_init(&b);
	if (variant != NULL && strcmp(variant, "Chunk") == 0) {
		if (!get_hex(json_object_get(in, "data"), &data, &len))
			return fail("bad chunk data");
		w3s_chunk_tree_node_encode_chunk(&b, data, len);
		free(data);
	} else if (variant != NULL && strcmp(variant, "Internal") == 0) {
		if (!field_h256(in, "left", l) || !field_h256(in, "right", r))
			return 0;
		w3s_chunk_tree_node_encode_internal(&b, l, r);
	} else {
		return fail("unknown ChunkTreeNode variant");
	}
	return same_buf(&b, exp, "ChunkTreeNode");
}

static const struct {
	const char *kind;
	int (*run)(json_t *in, json_t *exp);
} kinds[] = {
	{ "blake2_256", k_blake2_256 },
	{ "hash_children", k_hash_children },
	{ "chunk_hashes", k_chunk_hashes },
	{ "data_root", k_data_root },
	{ "chunk_lengths", k_chunk_lengths },
	{ "chunk_count", k_chunk_count },
	{ "padded_merkle_root", k_padded_merkle_root },
	{ "padded_merkle_nodes", k_padded_merkle_nodes },
	{ "padded_merkle_proof", k_padded_merkle_proof },
	{ "verify_chunk_proof_ts", k_verify_chunk_proof_ts },
	{ "verify_merkle_proof", k_verify_merkle_proof },
	{ "mmr_leaf_encode", k_mmr_leaf_encode },
	{ "mmr_leaf_hash", k_mmr_leaf_hash },
	{ "mmr_leaf_positions", k_mmr_leaf_positions },
	{ "mmr_node_count", k_mmr_node_count },
	{ "mmr_node_array", k_mmr_node_array },
	{ "mmr_peaks", k_mmr_peaks },
	{ "mmr_root", k_mmr_root },
	{ "bag_peaks", k_bag_peaks },
	{ "mmr_proof", k_mmr_proof },
	{ "verify_mmr_proof", k_verify_mmr_proof },
	{ "verify_last_mmr_leaf", k_verify_last_mmr_leaf },
	{ "verify_mmr_proof_bound", k_verify_mmr_proof_bound },
	{ "challenge_proof_response", k_challenge_proof_response },
	{ "merkle_proof_encode", k_merkle_proof_encode },
	{ "mmr_proof_encode", k_mmr_proof_encode },
	{ "commitment_payload_v1_encode", k_commitment_payload_v1_encode },
	{ "commitment_payload_v2_encode", k_commitment_payload_v2_encode },
	{ "commitment_encode", k_commitment_encode },
	{ "ecdsa_message_digest", k_ecdsa_message_digest },
	{ "commitment_range", k_commitment_range },
	{ "leaf_seq", k_leaf_seq },
	{ "sync_roots_encode", k_sync_roots_encode },
	{ "historical_roots", k_historical_roots },
	{ "find_matching_root", k_find_matching_root },
	{ "bucket_ops", k_bucket_ops },
	{ "scale_compact", k_scale_compact },
	{ "scale_fixed_mix", k_scale_fixed_mix },
	{ "scale_bytes", k_scale_bytes },
	{ "scale_u64", k_scale_u64 },
	{ "bucket_state_encode", k_bucket_state_encode },
	{ "chunk_tree_node_encode", k_chunk_tree_node_encode },
};

static int
run_vector(json_t *vec)
{
	const char *kind = json_string_value(json_object_get(vec, "kind"));
	json_t *in = json_object_get(vec, "input");
	json_t *exp = json_object_get(vec, "expected");

	why[0] = '\0';
	if (kind == NULL || !json_is_object(in) || exp == NULL)
		return fail("vector has no kind, input or expected");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].run(in, exp);
	return fail("kind '%s' maps to no library function", kind);
}

static char *
slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int
main(void)
{
	const char *dir = getenv("W3SYNC_VECTORS");
	char path[4096], *text, *quoted;
	int passed = 0, failed = 0;
	json_error_t jerr;
	struct stat st;
	json_t *all, *vec;
	size_t len, i;

	if (dir == NULL || *dir == '\0')
		dir = "../shared/vectors";
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("# vectors not found at %s; skipping w3s suite\n", dir);
		printf("ok 1 # SKIP vectors not found\n1..1\n");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/w3s/vectors.json", dir);
	if ((text = slurp(path, &len)) == NULL) {
		ok(0, "read %s: %s", path, strerror(errno));
		return tap_done();
	}
	quoted = quote_big_ints(text, len);
	free(text);
	all = quoted ? json_loads(quoted, 0, &jerr) : NULL;
	free(quoted);
	if (!json_is_array(all)) {
		ok(0, "parse %s: %s", path, all ? "not a list" : jerr.text);
		json_decref(all);
		return tap_done();
	}
	json_array_foreach(all, i, vec) {
		const char *name = json_string_value(json_object_get(vec,
		    "name"));
		int good = run_vector(vec);

		ok(good, "%s", name ? name : "(unnamed vector)");
		if (!good) {
			printf("# %s\n", why);
			failed++;
		} else {
			passed++;
		}
	}
	json_decref(all);
	tap_done();
	printf("# w3s: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
