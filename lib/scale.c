/* SCALE encoding of the web3-storage types (SPEC.md sections 4, 6, 7, 8
 * and 11). Decoders never trust a count read from input: each is checked
 * against the fixed bounds of types.h and against the bytes left before
 * anything is copied. */
#include <string.h>

#include <w3s/hash.h>
#include <w3s/scale.h>

void
w3s_scale_put_compact(struct w3s_buf *b, uint64_t n)
{
	uint8_t out[9];
	size_t len = 0;

	if (n < 64) {
		w3s_buf_put_u8(b, (uint8_t)(n << 2));
		return;
	}
	if (n < (1u << 14)) {
		uint16_t v = (uint16_t)(n << 2 | 1);

		out[0] = (uint8_t)v;
		out[1] = (uint8_t)(v >> 8);
		w3s_buf_put(b, out, 2);
		return;
	}
	if (n < (1u << 30)) {
		w3s_buf_put_u32le(b, (uint32_t)(n << 2 | 2));
		return;
	}
	/* Big-integer mode: the minimal little-endian bytes, at least 4. */
	for (uint64_t v = n; v != 0; v >>= 8)
		out[1 + len++] = (uint8_t)v;
	out[0] = (uint8_t)((len - 4) << 2 | 3);
	w3s_buf_put(b, out, 1 + len);
}

int
w3s_scale_get_compact(struct w3s_rd *r, uint64_t *n, struct w3s_err *err)
{
	const uint8_t *p = NULL;
	uint8_t first;
	uint64_t v;
	size_t len;
	int rc;

	if ((rc = w3s_rd_u8(r, &first, err)) != 0)
		return rc;
	switch (first & 3) {
	case 0:
		*n = first >> 2;
		return 0;
	case 1:
		if ((rc = w3s_rd_view(r, &p, 1, err)) != 0)
			return rc;
		v = ((uint64_t)first | (uint64_t)p[0] << 8) >> 2;
		if (v < 64)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "compact integer %llu is not in its shortest form",
			    (unsigned long long)v);
		*n = v;
		return 0;
	case 2:
		if ((rc = w3s_rd_view(r, &p, 3, err)) != 0)
			return rc;
		v = ((uint64_t)first | (uint64_t)p[0] << 8 |
		    (uint64_t)p[1] << 16 | (uint64_t)p[2] << 24) >> 2;
		if (v < (1u << 14))
			return w3s_err_set(err, W3S_EMALFORMED,
			    "compact integer %llu is not in its shortest form",
			    (unsigned long long)v);
		*n = v;
		return 0;
	}
	len = (size_t)(first >> 2) + 4;
	if (len > 8)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "compact integer of %zu bytes does not fit in 64 bits",
		    len);
	if ((rc = w3s_rd_view(r, &p, len, err)) != 0)
		return rc;
	if (p[len - 1] == 0)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "compact integer is not in its shortest form");
	v = 0;
	for (size_t i = len; i-- > 0;)
		v = v << 8 | p[i];
	if (v < (1u << 30))
		return w3s_err_set(err, W3S_EMALFORMED,
		    "compact integer %llu is not in its shortest form",
		    (unsigned long long)v);
	*n = v;
	return 0;
}

void
w3s_scale_put_bytes(struct w3s_buf *b, const uint8_t *data, size_t len)
{
	w3s_scale_put_compact(b, len);
	w3s_buf_put(b, data, len);
}

int
w3s_scale_get_bytes(struct w3s_rd *r, const uint8_t **data, size_t *len,
    size_t max, struct w3s_err *err)
{
	uint64_t n = 0;
	int rc;

	if ((rc = w3s_scale_get_compact(r, &n, err)) != 0)
		return rc;
	if (n > max)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "byte string of %llu bytes is over the limit of %zu",
		    (unsigned long long)n, max);
	if ((rc = w3s_rd_view(r, data, (size_t)n, err)) != 0)
		return rc;
	*len = (size_t)n;
	return 0;
}

void
w3s_scale_put_u64(struct w3s_buf *b, uint64_t v)
{
	w3s_buf_put_u64le(b, v);
}

void
w3s_leaf_encode(const struct w3s_leaf *leaf, uint8_t out[W3S_LEAF_ENC_LEN])
{
	memcpy(out, leaf->data_root, W3S_H256);
	w3s_put_u64le(out + 32, leaf->data_size);
	w3s_put_u64le(out + 40, leaf->total_size);
}

int
w3s_leaf_decode(struct w3s_rd *r, struct w3s_leaf *leaf, struct w3s_err *err)
{
	const uint8_t *p = NULL;
	int rc;

	if ((rc = w3s_rd_view(r, &p, W3S_LEAF_ENC_LEN, err)) != 0)
		return rc;
	memcpy(leaf->data_root, p, W3S_H256);
	leaf->data_size = w3s_get_u64le(p + 32);
	leaf->total_size = w3s_get_u64le(p + 40);
	return 0;
}

void
w3s_leaf_hash(const struct w3s_leaf *leaf, uint8_t out[W3S_H256])
{
	uint8_t enc[W3S_LEAF_ENC_LEN];

	w3s_leaf_encode(leaf, enc);
	w3s_hash_blake2b(out, enc, sizeof(enc));
}

void
w3s_commitment_encode(const struct w3s_commitment *c,
    uint8_t out[W3S_COMMITMENT_ENC_LEN])
{
	memcpy(out, c->mmr_root, W3S_H256);
	w3s_put_u64le(out + 32, c->start_seq);
	w3s_put_u64le(out + 40, c->leaf_count);
}

int
w3s_commitment_decode(struct w3s_rd *r, struct w3s_commitment *c,
    struct w3s_err *err)
{
	const uint8_t *p = NULL;
	int rc;

	if ((rc = w3s_rd_view(r, &p, W3S_COMMITMENT_ENC_LEN, err)) != 0)
		return rc;
	memcpy(c->mmr_root, p, W3S_H256);
	c->start_seq = w3s_get_u64le(p + 32);
	c->leaf_count = w3s_get_u64le(p + 40);
	return 0;
}

void
w3s_payload_v1_encode(uint64_t bucket, const struct w3s_commitment *c,
    uint8_t out[W3S_PAYLOAD_V1_LEN])
{
	out[0] = 0x01;
	w3s_put_u64le(out + 1, bucket);
	w3s_commitment_encode(c, out + 9);
}

void
w3s_payload_v2_encode(uint64_t bucket, const struct w3s_commitment *c,
    uint64_t nonce, uint8_t out[W3S_PAYLOAD_V2_LEN])
{
	out[0] = 0x02;
	w3s_put_u64le(out + 1, bucket);
	w3s_commitment_encode(c, out + 9);
	w3s_put_u64le(out + 57, nonce);
}

int
w3s_payload_v1_decode(const uint8_t *in, size_t len, uint64_t *bucket,
    struct w3s_commitment *c, struct w3s_err *err)
{
	struct w3s_rd r;

	if (len != W3S_PAYLOAD_V1_LEN)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "commitment payload is %zu bytes, not %d", len,
		    W3S_PAYLOAD_V1_LEN);
	if (in[0] != 0x01)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "commitment payload version %u is not 1", in[0]);
	*bucket = w3s_get_u64le(in + 1);
	w3s_rd_init(&r, in + 9, W3S_COMMITMENT_ENC_LEN);
	return w3s_commitment_decode(&r, c, err);
}

void
w3s_merkle_proof_encode(struct w3s_buf *b, const struct w3s_merkle_proof *p)
{
	w3s_scale_put_compact(b, p->depth);
	for (size_t i = 0; i < p->depth; i++)
		w3s_buf_put(b, p->siblings[i], W3S_H256);
	w3s_scale_put_compact(b, p->depth);
	for (size_t i = 0; i < p->depth; i++)
		w3s_buf_put_u8(b, p->path[i] ? 1 : 0);
}

/* A Vec count, refused above max before any element is read. */
static int
get_count(struct w3s_rd *r, size_t max, const char *what, size_t *n,
    struct w3s_err *err)
{
	uint64_t v = 0;
	int rc;

	if ((rc = w3s_scale_get_compact(r, &v, err)) != 0)
		return rc;
	if (v > max)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%llu %s, at most %zu allowed", (unsigned long long)v,
		    what, max);
	*n = (size_t)v;
	return 0;
}

int
w3s_merkle_proof_decode(struct w3s_rd *r, struct w3s_merkle_proof *p,
    struct w3s_err *err)
{
	const uint8_t *bytes = NULL;
	size_t nsib = 0, npath = 0;
	int rc;

	if ((rc = get_count(r, W3S_PROOF_MAX_DEPTH, "proof siblings", &nsib,
	    err)) != 0)
		return rc;
	if ((rc = w3s_rd_view(r, &bytes, nsib * W3S_H256, err)) != 0)
		return rc;
	memcpy(p->siblings, bytes, nsib * W3S_H256);
	if ((rc = get_count(r, W3S_PROOF_MAX_DEPTH, "proof path bits", &npath,
	    err)) != 0)
		return rc;
	if (npath != nsib)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "proof has %zu siblings but %zu path bits", nsib, npath);
	if ((rc = w3s_rd_view(r, &bytes, npath, err)) != 0)
		return rc;
	for (size_t i = 0; i < npath; i++) {
		if (bytes[i] > 1)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "proof path bit %zu is 0x%02x, not a bool", i,
			    bytes[i]);
		p->path[i] = bytes[i];
	}
	p->depth = nsib;
	return 0;
}

void
w3s_mmr_proof_encode(struct w3s_buf *b, const struct w3s_mmr_proof *p)
{
	uint8_t leaf[W3S_LEAF_ENC_LEN];

	w3s_scale_put_compact(b, p->npeaks);
	for (size_t i = 0; i < p->npeaks; i++)
		w3s_buf_put(b, p->peaks[i], W3S_H256);
	w3s_leaf_encode(&p->leaf, leaf);
	w3s_buf_put(b, leaf, sizeof(leaf));
	w3s_merkle_proof_encode(b, &p->leaf_proof);
}

int
w3s_mmr_proof_decode(struct w3s_rd *r, struct w3s_mmr_proof *p,
    struct w3s_err *err)
{
	const uint8_t *bytes = NULL;
	size_t n = 0;
	int rc;

	if ((rc = get_count(r, W3S_MMR_MAX_PEAKS, "MMR peaks", &n, err)) != 0)
		return rc;
	if ((rc = w3s_rd_view(r, &bytes, n * W3S_H256, err)) != 0)
		return rc;
	memcpy(p->peaks, bytes, n * W3S_H256);
	p->npeaks = n;
	if ((rc = w3s_leaf_decode(r, &p->leaf, err)) != 0)
		return rc;
	return w3s_merkle_proof_decode(r, &p->leaf_proof, err);
}

void
w3s_sync_roots_encode(struct w3s_buf *b,
    const uint8_t roots[W3S_SYNC_ROOTS][W3S_H256],
    const int present[W3S_SYNC_ROOTS])
{
	for (int i = 0; i < W3S_SYNC_ROOTS; i++) {
		if (!present[i]) {
			w3s_buf_put_u8(b, 0);
			continue;
		}
		w3s_buf_put_u8(b, 1);
		w3s_buf_put(b, roots[i], W3S_H256);
	}
}

int
w3s_sync_roots_decode(struct w3s_rd *r,
    uint8_t roots[W3S_SYNC_ROOTS][W3S_H256], int present[W3S_SYNC_ROOTS],
    struct w3s_err *err)
{
	uint8_t tag;
	int rc;

	for (int i = 0; i < W3S_SYNC_ROOTS; i++) {
		if ((rc = w3s_rd_u8(r, &tag, err)) != 0)
			return rc;
		if (tag > 1)
			return w3s_err_set(err, W3S_EMALFORMED,
			    "sync root %d has option tag 0x%02x", i, tag);
		present[i] = tag;
		if (!tag) {
			memset(roots[i], 0, W3S_H256);
			continue;
		}
		if ((rc = w3s_rd_get(r, roots[i], W3S_H256, err)) != 0)
			return rc;
	}
	return 0;
}

void
w3s_challenge_proof_encode(struct w3s_buf *b, const uint8_t *chunk,
    size_t chunk_len, const struct w3s_mmr_proof *mmr,
    const struct w3s_merkle_proof *chunk_proof)
{
	w3s_buf_put_u8(b, 0x00);
	w3s_scale_put_bytes(b, chunk, chunk_len);
	w3s_mmr_proof_encode(b, mmr);
	w3s_merkle_proof_encode(b, chunk_proof);
}

/* A challenge response is the whole input: W3S_EMALFORMED for bytes after
 * it. */
static int
response_end(const struct w3s_rd *r, struct w3s_err *err)
{
	if (w3s_rd_left(r) != 0)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "%zu bytes after the challenge response", w3s_rd_left(r));
	return 0;
}

int
w3s_challenge_proof_decode(struct w3s_rd *r, const uint8_t **chunk,
    size_t *chunk_len, struct w3s_mmr_proof *mmr,
    struct w3s_merkle_proof *chunk_proof, struct w3s_err *err)
{
	uint8_t variant;
	int rc;

	if ((rc = w3s_rd_u8(r, &variant, err)) != 0)
		return rc;
	if (variant != 0x00)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "challenge response variant %u is not Proof (0)", variant);
	/* w3s_err_wrap needs a non-NULL err to know the code: keep rc. */
	if ((rc = w3s_scale_get_bytes(r, chunk, chunk_len,
	    W3S_SCALE_CHUNK_MAX, err)) != 0) {
		w3s_err_wrap(err, "challenge chunk");
		return rc;
	}
	if ((rc = w3s_mmr_proof_decode(r, mmr, err)) != 0) {
		w3s_err_wrap(err, "challenge MMR proof");
		return rc;
	}
	if ((rc = w3s_merkle_proof_decode(r, chunk_proof, err)) != 0) {
		w3s_err_wrap(err, "challenge chunk proof");
		return rc;
	}
	return response_end(r, err);
}

void
w3s_challenge_deleted_encode(struct w3s_buf *b,
    const uint8_t new_mmr_root[W3S_H256], uint64_t new_start_seq,
    const uint8_t admin[32], const uint8_t sig[W3S_SIG_LEN])
{
	w3s_buf_put_u8(b, 0x01);
	w3s_buf_put(b, new_mmr_root, W3S_H256);
	w3s_buf_put_u64le(b, new_start_seq);
	w3s_buf_put(b, admin, 32);
	w3s_buf_put_u8(b, 0x00);	/* MultiSignature::Ed25519 */
	w3s_buf_put(b, sig, W3S_SIG_LEN);
}

int
w3s_challenge_deleted_decode(struct w3s_rd *r,
    struct w3s_challenge_deleted *d, struct w3s_err *err)
{
	uint8_t variant, tag;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = w3s_rd_u8(r, &variant, err)) != 0)
		return rc;
	if (variant != 0x01)
		return w3s_err_set(err, W3S_EMALFORMED,
		    "challenge response variant %u is not Deleted (1)",
		    variant);
	if ((rc = w3s_rd_get(r, d->new_mmr_root, W3S_H256, err)) != 0 ||
	    (rc = w3s_rd_u64le(r, &d->new_start_seq, err)) != 0 ||
	    (rc = w3s_rd_get(r, d->admin, sizeof(d->admin), err)) != 0 ||
	    (rc = w3s_rd_u8(r, &tag, err)) != 0) {
		w3s_err_wrap(err, "Deleted answer");
		return rc;
	}
	if (tag > W3S_MULTISIG_ECDSA)
		return w3s_err_set(err, W3S_EMALFORMED, "MultiSignature"
		    " variant %u is not Ed25519, Sr25519 or ECDSA (0 to 2)",
		    tag);
	d->sig_kind = (enum w3s_multisig)tag;
	if ((rc = w3s_rd_get(r, d->sig, tag == W3S_MULTISIG_ECDSA ?
	    W3S_SIG_LEN + 1 : W3S_SIG_LEN, err)) != 0) {
		w3s_err_wrap(err, "Deleted answer's signature");
		return rc;
	}
	return response_end(r, err);
}

void
w3s_chunk_tree_node_encode_chunk(struct w3s_buf *b, const uint8_t *data,
    size_t len)
{
	w3s_buf_put_u8(b, 0x00);
	w3s_scale_put_bytes(b, data, len);
}

void
w3s_chunk_tree_node_encode_internal(struct w3s_buf *b,
    const uint8_t left[W3S_H256], const uint8_t right[W3S_H256])
{
	w3s_buf_put_u8(b, 0x01);
	w3s_buf_put(b, left, W3S_H256);
	w3s_buf_put(b, right, W3S_H256);
}

void
w3s_bucket_state_encode(struct w3s_buf *b, const uint8_t mmr_root[W3S_H256],
    uint64_t start_seq, const struct w3s_leaf *leaves, size_t nleaves,
    uint64_t used_bytes, uint64_t max_bytes)
{
	uint8_t enc[W3S_LEAF_ENC_LEN];

	w3s_buf_put(b, mmr_root, W3S_H256);
	w3s_buf_put_u64le(b, start_seq);
	w3s_scale_put_compact(b, nleaves);
	for (size_t i = 0; i < nleaves; i++) {
		w3s_leaf_encode(&leaves[i], enc);
		w3s_buf_put(b, enc, sizeof(enc));
	}
	w3s_buf_put_u64le(b, used_bytes);
	w3s_buf_put_u64le(b, max_bytes);
}
