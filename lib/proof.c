/* Challenge answers and Proof-of-Sync (proof.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/cbor.h>
#include <w3s/chain.h>
#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/merkle.h>
#include <w3s/mmr.h>
#include <w3s/proof.h>

int
w3s_proof_find_commitment(struct w3s_bucket *b,
    const uint8_t root[W3S_H256], struct w3s_commitment *c,
    struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_checkpoint cp;
	struct w3s_change ch;
	char hex[W3S_HEX32_LEN];
	int rc, found = 0;

	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	if ((rc = w3s_bucket_commitment(b, c, err)) != 0)
		goto out;
	if (memcmp(c->mmr_root, root, W3S_H256) == 0) {
		found = 1;
		goto out;
	}
	if ((rc = w3s_bucket_changes(b, 0, &it, err)) != 0)
		goto out;
	while (!found && (rc = w3s_store_iter_change(it, &ch, err)) == 1) {
		if (memcmp(ch.target.mmr_root, root, W3S_H256) == 0) {
			*c = ch.target;
			found = 1;
		} else if (memcmp(ch.base.mmr_root, root, W3S_H256) == 0) {
			*c = ch.base;
			found = 1;
		}
	}
	w3s_store_iter_free(it);
	it = NULL;
	if (rc < 0 || found)
		goto out;
	if ((rc = w3s_bucket_checkpoints(b, NULL, &it, err)) != 0)
		goto out;
	while (!found && (rc = w3s_store_iter_checkpoint(it, &cp, err)) == 1)
		if (memcmp(cp.commitment.mmr_root, root, W3S_H256) == 0) {
			*c = cp.commitment;
			found = 1;
		}
out:
	w3s_store_iter_free(it);
	w3s_bucket_read_end(b);
	if (rc < 0)
		return rc;
	if (!found) {
		w3s_hex32_format(hex, root);
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    " never had a commitment with root %s", w3s_bucket_id(b),
		    hex);
	}
	return 0;
}

/* The MMR proof of leaf_index of c, over the stored MMR when c has the
 * current start_seq (its nodes are a prefix of the stored ones), else over
 * the window of c's leaves rebuilt in memory. */
static int
prove_leaf(struct w3s_bucket *b, const struct w3s_commitment *c,
    uint64_t leaf_index, const struct w3s_leaf *leaf,
    struct w3s_mmr_proof *mp, struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_commitment cur;
	struct w3s_mmr_store ms;
	struct w3s_mmr_mem mm;
	struct w3s_segment seg;
	uint8_t h[W3S_H256];
	int rc;

	if ((rc = w3s_bucket_commitment(b, &cur, err)) != 0)
		return rc;
	if (c->start_seq == cur.start_seq && c->leaf_count <= cur.leaf_count) {
		ms = w3s_bucket_mmr(b);
		return w3s_mmr_prove(&ms, c->leaf_count, leaf_index, leaf, mp,
		    err);
	}
	if (c->start_seq < cur.start_seq || w3s_chain_range_end(c) >
	    w3s_chain_range_end(&cur))
		return w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64
		    " no longer holds the leaves of that commitment (it holds"
		    " %" PRIu64 " from %" PRIu64 ")", w3s_bucket_id(b),
		    cur.leaf_count, cur.start_seq);
	w3s_mmr_mem_init(&mm);
	if ((rc = w3s_bucket_segments(b, c->start_seq, w3s_chain_range_end(c),
	    &it, err)) != 0)
		goto out;
	while ((rc = w3s_store_iter_segment(it, &seg, err)) == 1) {
		w3s_leaf_hash(&seg.leaf, h);
		if ((rc = w3s_mmr_mem_append(&mm, h, err)) != 0)
			goto out;
	}
	if (rc < 0)
		goto out;
	ms = w3s_mmr_mem_store(&mm);
	rc = w3s_mmr_prove(&ms, mm.leaves, leaf_index, leaf, mp, err);
out:
	w3s_store_iter_free(it);
	w3s_mmr_mem_release(&mm);
	return rc;
}

/* The chunk hashes of segment seg, in order; caller frees *hashes. */
static int
chunk_list(struct w3s_bucket *b, const struct w3s_segment *seg,
    uint8_t (**hashes)[W3S_H256], size_t *n, struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	struct w3s_chunk_ref ref;
	int rc;

	*n = 0;
	*hashes = NULL;
	if (seg->chunk_count > SIZE_MAX / W3S_H256 ||
	    (*hashes = malloc((seg->chunk_count ? seg->chunk_count : 1) *
	    W3S_H256)) == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	if ((rc = w3s_bucket_chunks(b, seg->seq, seg->seq + 1, 0, &it,
	    err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_chunk(it, &ref, err)) == 1) {
		if (ref.index != *n || *n >= seg->chunk_count) {
			rc = w3s_err_set(err, W3S_EVERIFY, "segment %" PRIu64
			    ": its chunk list is broken at %zu", seg->seq, *n);
			break;
		}
		memcpy((*hashes)[(*n)++], ref.hash, W3S_H256);
	}
	w3s_store_iter_free(it);
	if (rc == 0 && *n != seg->chunk_count)
		rc = w3s_err_set(err, W3S_EVERIFY, "segment %" PRIu64 ": its"
		    " chunk list has %zu chunks, not %" PRIu64, seg->seq, *n,
		    seg->chunk_count);
	return rc < 0 ? rc : 0;
}

/* The first deletion certificate that dropped sequence number seq (its
 * new_start_seq is past seq): 1 with *d, 0 when none did, or an error. */
static int
deletion_of(struct w3s_bucket *b, uint64_t seq, struct w3s_deletion *d,
    struct w3s_err *err)
{
	struct w3s_store_iter *it = NULL;
	int rc;

	if ((rc = w3s_bucket_deletions(b, &it, err)) != 0)
		return rc;
	while ((rc = w3s_store_iter_deletion(it, d, err)) == 1 &&
	    d->new_start_seq <= seq)
		;
	w3s_store_iter_free(it);
	return rc;
}

/* ChallengeResponse::Deleted for a leaf of c that a deletion dropped: 1
 * with the answer in out, 0 when the leaf is still held (or no
 * certificate covers it), or an error. */
static int
answer_deleted(struct w3s_bucket *b, const struct w3s_commitment *c,
    uint64_t leaf_index, struct w3s_buf *out, struct w3s_err *err)
{
	uint64_t seq = c->start_seq + leaf_index;
	struct w3s_commitment now;
	struct w3s_deletion d;
	int rc;

	if ((rc = w3s_bucket_commitment(b, &now, err)) != 0)
		return rc;
	if (seq >= now.start_seq || (rc = deletion_of(b, seq, &d, err)) != 1)
		return rc;
	w3s_challenge_deleted_encode(out, d.new_mmr_root, d.new_start_seq,
	    d.admin, d.signature);
	return (rc = w3s_buf_check(out, err)) != 0 ? rc : 1;
}

int
w3s_proof_answer(struct w3s_bucket *b, const struct w3s_commitment *c,
    uint64_t leaf_index, uint64_t chunk_index, struct w3s_buf *out,
    struct w3s_err *err)
{
	uint8_t (*hashes)[W3S_H256] = NULL;
	struct w3s_merkle_proof *cp = NULL;
	struct w3s_mmr_proof *mp = NULL;
	char hex[W3S_HEX32_LEN];
	struct w3s_segment seg;
	struct w3s_buf data;
	size_t n = 0;
	int rc;

	w3s_buf_init(&data);
	if (leaf_index >= c->leaf_count)
		return w3s_err_set(err, W3S_ENOTAPPLY, "leaf %" PRIu64 " is"
		    " past the commitment's %" PRIu64 " leaves", leaf_index,
		    c->leaf_count);
	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	if ((rc = answer_deleted(b, c, leaf_index, out, err)) != 0) {
		rc = rc == 1 ? 0 : rc;
		goto out;
	}
	mp = malloc(sizeof(*mp));
	cp = malloc(sizeof(*cp));
	if (mp == NULL || cp == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto out;
	}
	if ((rc = w3s_bucket_segment(b, c->start_seq + leaf_index, &seg,
	    err)) != 0)
		goto out;
	if (chunk_index >= seg.chunk_count) {
		rc = w3s_err_set(err, W3S_ENOTAPPLY, "segment %" PRIu64 " has"
		    " %" PRIu64 " chunks: there is no chunk %" PRIu64, seg.seq,
		    seg.chunk_count, chunk_index);
		goto out;
	}
	if ((rc = prove_leaf(b, c, leaf_index, &seg.leaf, mp, err)) != 0)
		goto out;
	if (w3s_mmr_verify_bound(mp, leaf_index, c->leaf_count,
	    c->mmr_root) != 0) {
		rc = w3s_err_set(err, W3S_EVERIFY, "bucket %" PRIu64 ": its"
		    " leaves do not give the root of that commitment",
		    w3s_bucket_id(b));
		goto out;
	}
	if ((rc = chunk_list(b, &seg, &hashes, &n, err)) != 0 ||
	    (rc = w3s_merkle_prove((const uint8_t (*)[W3S_H256])hashes, n,
	    chunk_index, cp, err)) != 0)
		goto out;
	if ((rc = w3s_bucket_chunk_get(b, hashes[chunk_index], &data,
	    err)) != 0) {
		w3s_hex32_format(hex, hashes[chunk_index]);
		if (rc == W3S_EINCOMPLETE)
			rc = w3s_err_set(err, rc, "segment %" PRIu64 ": chunk %"
			    PRIu64 " (%s) is missing", seg.seq, chunk_index,
			    hex);
		goto out;
	}
	if (data.len > W3S_SCALE_CHUNK_MAX) {
		rc = w3s_err_set(err, W3S_EVERIFY, "segment %" PRIu64 ": chunk"
		    " %" PRIu64 " is longer than a chunk can be", seg.seq,
		    chunk_index);
		goto out;
	}
	w3s_challenge_proof_encode(out, data.data, data.len, mp, cp);
	rc = w3s_buf_check(out, err);
out:
	free(hashes);
	free(mp);
	free(cp);
	w3s_buf_release(&data);
	w3s_bucket_read_end(b);
	return rc;
}

int
w3s_proof_check_answer(const uint8_t *scale, size_t len,
    const uint8_t root[W3S_H256], uint64_t leaf_index, uint64_t chunk_index,
    uint64_t leaf_count, struct w3s_leaf *leaf, struct w3s_err *err)
{
	struct w3s_merkle_proof *cp = malloc(sizeof(*cp));
	struct w3s_mmr_proof *mp = malloc(sizeof(*mp));
	const uint8_t *chunk = NULL;
	uint8_t h[W3S_H256];
	size_t clen = 0;
	struct w3s_rd r;
	int rc;

	if (cp == NULL || mp == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto out;
	}
	w3s_rd_init(&r, scale, len);
	if ((rc = w3s_challenge_proof_decode(&r, &chunk, &clen, mp, cp,
	    err)) != 0) {
		rc = w3s_err_wrap(err, "not a ChallengeResponse::Proof");
		goto out;
	}
	if (leaf != NULL)
		*leaf = mp->leaf;
	if (w3s_chain_verify_proof_response(chunk, clen, chunk_index, cp, mp,
	    W3S_CHAIN_MMR_BOUND, leaf_index, leaf_count, root) == 0)
		goto out;
	w3s_hash_blake2b(h, clen ? chunk : (const uint8_t *)"", clen);
	if (w3s_merkle_verify(h, chunk_index, cp, mp->leaf.data_root) != 0)
		rc = w3s_err_set(err, W3S_EVERIFY, "the chunk does not hash up"
		    " its proof to the leaf's data root at chunk %" PRIu64,
		    chunk_index);
	else
		rc = w3s_err_set(err, W3S_EVERIFY, "the mmr proof does not"
		    " bind leaf %" PRIu64 " of %" PRIu64 " to the root",
		    leaf_index, leaf_count);
out:
	free(cp);
	free(mp);
	return rc;
}

int
w3s_proof_check_deleted(const struct w3s_challenge_deleted *d,
    uint64_t bucket, uint64_t seq, const uint8_t admin[W3S_PUBKEY_LEN],
    struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN];
	struct w3s_commitment c;
	char hex[W3S_HEX32_LEN];

	if (d->sig_kind != W3S_MULTISIG_ED25519)
		return w3s_err_set(err, W3S_ENOTAPPLY, "the admin's signature"
		    " is %s: only Ed25519 is checked here",
		    d->sig_kind == W3S_MULTISIG_SR25519 ? "Sr25519" : "ECDSA");
	if (seq >= d->new_start_seq)
		return w3s_err_set(err, W3S_EVERIFY, "sequence number %" PRIu64
		    " is not below the deletion's new start %" PRIu64, seq,
		    d->new_start_seq);
	if (memcmp(d->admin, admin, W3S_PUBKEY_LEN) != 0) {
		w3s_hex32_format(hex, d->admin);
		return w3s_err_set(err, W3S_EVERIFY, "the deletion's admin %s"
		    " is not the bucket admin given", hex);
	}
	memcpy(c.mmr_root, d->new_mmr_root, W3S_H256);
	c.start_seq = d->new_start_seq;
	c.leaf_count = 0;
	w3s_payload_v1_encode(bucket, &c, payload);
	if (w3s_key_verify(d->admin, payload, sizeof(payload), d->sig) != 0)
		return w3s_err_set(err, W3S_EVERIFY, "the admin's signature"
		    " does not verify over bucket %" PRIu64 "'s deletion"
		    " payload", bucket);
	return 0;
}

/* ---- Proof-of-Sync ---------------------------------------------------- */

void
w3s_pos_seed(const uint8_t *nonce, size_t nonce_len,
    const uint8_t root[W3S_H256], const uint8_t node_key[W3S_PUBKEY_LEN],
    uint8_t seed[W3S_H256])
{
	uint8_t in[W3S_POS_NONCE_MAX + W3S_H256 + W3S_PUBKEY_LEN];

	if (nonce_len > W3S_POS_NONCE_MAX)
		nonce_len = W3S_POS_NONCE_MAX;
	if (nonce_len > 0)
		memcpy(in, nonce, nonce_len);
	memcpy(in + nonce_len, root, W3S_H256);
	memcpy(in + nonce_len + W3S_H256, node_key, W3S_PUBKEY_LEN);
	w3s_hash_blake2b(seed, in, nonce_len + W3S_H256 + W3S_PUBKEY_LEN);
}

static void
pos_draw(const uint8_t seed[W3S_H256], uint64_t i, uint8_t r[W3S_H256])
{
	uint8_t in[W3S_H256 + 8];

	memcpy(in, seed, W3S_H256);
	w3s_put_u64le(in + W3S_H256, i);
	w3s_hash_blake2b(r, in, sizeof(in));
}

uint64_t
w3s_pos_leaf(const uint8_t seed[W3S_H256], uint64_t i, uint64_t leaf_count)
{
	uint8_t r[W3S_H256];

	if (leaf_count == 0)
		return 0;
	pos_draw(seed, i, r);
	return w3s_get_u64le(r) % leaf_count;
}

uint64_t
w3s_pos_chunk(const uint8_t seed[W3S_H256], uint64_t i, uint64_t chunk_count)
{
	uint8_t r[W3S_H256];

	if (chunk_count == 0)
		return 0;
	pos_draw(seed, i, r);
	return w3s_get_u64le(r + 8) % chunk_count;
}

int
w3s_pos_anchored(struct w3s_bucket *b, const uint8_t node_key[W3S_PUBKEY_LEN],
    struct w3s_err *err)
{
	uint8_t payload[W3S_PAYLOAD_V1_LEN], pub[W3S_PUBKEY_LEN];
	struct w3s_store_iter *it = NULL;
	struct w3s_checkpoint cp;
	struct w3s_commitment c;
	struct w3s_trust t;
	uint64_t nkeys = 0, trusted = 0, min;
	int rc, own = 0;

	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	if ((rc = w3s_bucket_commitment(b, &c, err)) != 0 ||
	    (rc = w3s_bucket_trust_get(b, &t, err)) != 0)
		goto out;
	if (t.anchored && w3s_chain_commitment_eq(&t.anchor, &c))
		goto out;
	if ((rc = w3s_bucket_keys(b, W3S_ROLE_PRIMARY, &it, err)) != 0)
		goto out;
	while ((rc = w3s_store_iter_key(it, pub, err)) == 1)
		nkeys++;
	w3s_store_iter_free(it);
	it = NULL;
	if (rc < 0 || (rc = w3s_bucket_checkpoints(b, &c, &it, err)) != 0)
		goto out;
	w3s_payload_v1_encode(w3s_bucket_id(b), &c, payload);
	while ((rc = w3s_store_iter_checkpoint(it, &cp, err)) == 1) {
		struct w3s_err e;

		if (w3s_key_verify(cp.signer, payload, sizeof(payload),
		    cp.signature) != 0)
			continue;
		if (nkeys > 0 && w3s_bucket_key_allowed(b, W3S_ROLE_PRIMARY,
		    cp.signer, &e) == 0)
			trusted++;
		if (memcmp(cp.signer, node_key, W3S_PUBKEY_LEN) == 0)
			own = 1;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	min = t.min_signers ? t.min_signers : 1;
	if (nkeys > 0 && trusted < min)
		rc = w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64 " is"
		    " unanchored: its commitment is not the anchored one and"
		    " carries %" PRIu64 " of the %" PRIu64 " signatures of"
		    " trusted primaries it needs", w3s_bucket_id(b), trusted,
		    min);
	else if (nkeys == 0 && !own)
		rc = w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64 " is"
		    " unanchored: no trusted root or keys, and its commitment"
		    " is not signed by this node's key", w3s_bucket_id(b));
out:
	w3s_store_iter_free(it);
	w3s_bucket_read_end(b);
	return rc;
}

struct pos_sample {
	uint64_t leaf;
	uint64_t chunk;
	const uint8_t *answer;
	size_t len;
};

static struct w3s_cbor *
bytes(const void *p, size_t n)
{
	return w3s_cbor_new_bytes(p, n);
}

/* The statement: every field but the signature. */
static struct w3s_cbor *
statement(const struct w3s_pos_info *in, const struct pos_sample *s)
{
	struct w3s_cbor *m = w3s_cbor_new_map(), *arr = w3s_cbor_new_array();

	for (uint64_t i = 0; i < in->samples; i++) {
		struct w3s_cbor *e = w3s_cbor_new_map();

		w3s_cbor_map_put(e, "leaf", w3s_cbor_new_uint(s[i].leaf));
		w3s_cbor_map_put(e, "chunk", w3s_cbor_new_uint(s[i].chunk));
		w3s_cbor_map_put(e, "answer", bytes(s[i].answer, s[i].len));
		w3s_cbor_array_push(arr, e);
	}
	w3s_cbor_map_put(m, "format", w3s_cbor_new_text(W3S_POS_FORMAT));
	w3s_cbor_map_put(m, "version", w3s_cbor_new_uint(W3S_POS_VERSION));
	w3s_cbor_map_put(m, "bucket", w3s_cbor_new_uint(in->bucket));
	w3s_cbor_map_put(m, "mmr_root", bytes(in->commitment.mmr_root,
	    W3S_H256));
	w3s_cbor_map_put(m, "start_seq",
	    w3s_cbor_new_uint(in->commitment.start_seq));
	w3s_cbor_map_put(m, "leaf_count",
	    w3s_cbor_new_uint(in->commitment.leaf_count));
	w3s_cbor_map_put(m, "node_key", bytes(in->node_key, W3S_PUBKEY_LEN));
	w3s_cbor_map_put(m, "time", w3s_cbor_new_uint(in->time));
	w3s_cbor_map_put(m, "nonce", bytes(in->nonce, in->nonce_len));
	w3s_cbor_map_put(m, "samples", arr);
	w3s_cbor_map_put(m, "sync_roots", bytes(in->sync_roots_scale.data,
	    in->sync_roots_scale.len));
	w3s_cbor_map_put(m, "sync_signature", bytes(in->sync_signature,
	    W3S_SIGNATURE_LEN));
	return m;
}

void
w3s_pos_info_release(struct w3s_pos_info *info)
{
	if (info == NULL)
		return;
	free(info->positions);
	info->positions = NULL;
	w3s_buf_release(&info->sync_roots_scale);
}

/* Builds the statement, signs its DAG-CBOR, and appends the signed map. */
static int
sign_statement(const struct w3s_key *key, struct w3s_pos_info *in,
    const struct pos_sample *s, struct w3s_buf *out, struct w3s_err *err)
{
	struct w3s_cbor *m = statement(in, s);
	struct w3s_buf unsigned_bytes;
	int rc;

	w3s_buf_init(&unsigned_bytes);
	if ((rc = w3s_cbor_encode(m, &unsigned_bytes, err)) == 0 &&
	    (rc = w3s_key_sign(key, unsigned_bytes.data, unsigned_bytes.len,
	    in->signature, err)) == 0) {
		w3s_cbor_map_put(m, "signature", bytes(in->signature,
		    W3S_SIGNATURE_LEN));
		rc = w3s_cbor_encode(m, out, err);
	}
	w3s_buf_release(&unsigned_bytes);
	w3s_cbor_free(m);
	return rc;
}

int
w3s_pos_make(struct w3s_bucket *b, const struct w3s_key *key,
    const uint8_t *nonce, size_t nonce_len, uint64_t n, uint64_t now,
    struct w3s_buf *out, struct w3s_err *err)
{
	struct w3s_pos_info in;
	struct pos_sample *s = NULL;
	struct w3s_buf *ans = NULL;
	struct w3s_segment seg;
	uint8_t seed[W3S_H256];
	int rc;

	memset(&in, 0, sizeof(in));
	w3s_buf_init(&in.sync_roots_scale);
	if (nonce_len > W3S_POS_NONCE_MAX || n > W3S_POS_SAMPLES_MAX)
		return w3s_err_set(err, W3S_EUSAGE, "a nonce of at most %d"
		    " bytes and at most %d samples", W3S_POS_NONCE_MAX,
		    W3S_POS_SAMPLES_MAX);
	w3s_key_public(key, in.node_key);
	if ((rc = w3s_bucket_read_begin(b, err)) != 0)
		return rc;
	if ((rc = w3s_pos_anchored(b, in.node_key, err)) != 0 ||
	    (rc = w3s_bucket_commitment(b, &in.commitment, err)) != 0)
		goto out;
	if (in.commitment.leaf_count == 0 && n > 0) {
		rc = w3s_err_set(err, W3S_ENOTAPPLY, "bucket %" PRIu64 " holds"
		    " no segment to sample", w3s_bucket_id(b));
		goto out;
	}
	in.bucket = w3s_bucket_id(b);
	in.time = now;
	memcpy(in.nonce, nonce, nonce_len);
	in.nonce_len = nonce_len;
	in.samples = n;
	s = calloc(n ? n : 1, sizeof(*s));
	ans = calloc(n ? n : 1, sizeof(*ans));
	if (s == NULL || ans == NULL) {
		rc = w3s_err_set(err, W3S_ESYS, "out of memory");
		goto out;
	}
	w3s_pos_seed(nonce, nonce_len, in.commitment.mmr_root, in.node_key,
	    seed);
	for (uint64_t i = 0; i < n; i++) {
		const struct w3s_commitment *c = &in.commitment;

		w3s_buf_init(&ans[i]);
		s[i].leaf = w3s_pos_leaf(seed, i, c->leaf_count);
		if ((rc = w3s_bucket_segment(b, c->start_seq + s[i].leaf, &seg,
		    err)) != 0)
			goto out;
		s[i].chunk = w3s_pos_chunk(seed, i,
		    w3s_chunk_count(seg.leaf.data_size));
		if ((rc = w3s_proof_answer(b, c, s[i].leaf, s[i].chunk,
		    &ans[i], err)) != 0 ||
		    (rc = w3s_proof_check_answer(ans[i].data, ans[i].len,
		    c->mmr_root, s[i].leaf, s[i].chunk, c->leaf_count, NULL,
		    err)) != 0) {
			rc = w3s_err_wrap(err, "sample %" PRIu64 " (leaf %"
			    PRIu64 ", chunk %" PRIu64 ")", i, s[i].leaf,
			    s[i].chunk);
			goto out;
		}
		s[i].answer = ans[i].data;
		s[i].len = ans[i].len;
	}
	/* Some(root) in every slot: whichever slot the chain holds this
	 * root in (0, the snapshot, or a historical one) matches. */
	for (int i = 0; i < W3S_SYNC_ROOTS; i++) {
		memcpy(in.sync_roots[i], in.commitment.mmr_root, W3S_H256);
		in.sync_present[i] = 1;
	}
	w3s_sync_roots_encode(&in.sync_roots_scale,
	    (const uint8_t (*)[W3S_H256])in.sync_roots, in.sync_present);
	if ((rc = w3s_buf_check(&in.sync_roots_scale, err)) != 0 ||
	    (rc = w3s_key_sign(key, in.sync_roots_scale.data,
	    in.sync_roots_scale.len, in.sync_signature, err)) != 0)
		goto out;
	rc = sign_statement(key, &in, s, out, err);
out:
	for (uint64_t i = 0; ans != NULL && i < n; i++)
		w3s_buf_release(&ans[i]);
	free(ans);
	free(s);
	w3s_pos_info_release(&in);
	w3s_bucket_read_end(b);
	return rc;
}

/* Reads the fields of a decoded proof into in and s (borrowing). */
static int
pos_read(const struct w3s_cbor *m, struct w3s_pos_info *in,
    struct pos_sample **sp, int *recognized, struct w3s_err *err)
{
	static const char *const keys[] = { "format", "version", "bucket",
	    "mmr_root", "start_seq", "leaf_count", "node_key", "time",
	    "nonce", "samples", "sync_roots", "sync_signature", "signature",
	    NULL };
	static const char *const skeys[] = { "leaf", "chunk", "answer", NULL };
	const struct w3s_cbor *arr;
	const uint8_t *p;
	const char *fmt;
	uint64_t version;
	struct w3s_rd r;
	size_t len, count;
	int rc;

	/* A map that carries a node key and a signature is taken for a
	 * proof: from here on what does not fit is a damaged or forged one
	 * (W3S_EVERIFY from the caller), also a changed format or version. */
	*recognized = w3s_cbor_map_get(m, "node_key") != NULL &&
	    w3s_cbor_map_get(m, "signature") != NULL;
	if ((rc = w3s_cbor_get_text(m, "format", &fmt, NULL, err)) != 0)
		return rc;
	if (strcmp(fmt, W3S_POS_FORMAT) != 0)
		return w3s_err_set(err, W3S_EMALFORMED, "not a Proof-of-Sync"
		    " (format \"%.40s\")", fmt);
	if ((rc = w3s_cbor_get_uint(m, "version", &version, err)) != 0)
		return rc;
	if (version != W3S_POS_VERSION)
		return w3s_err_set(err, W3S_EMALFORMED, "Proof-of-Sync version"
		    " %" PRIu64 " is not supported", version);
	*recognized = 1;
	if ((rc = w3s_cbor_map_check_keys(m, keys, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "bucket", &in->bucket, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(m, "mmr_root",
	    in->commitment.mmr_root, W3S_H256, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "start_seq", &in->commitment.start_seq,
	    err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "leaf_count",
	    &in->commitment.leaf_count, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(m, "node_key", in->node_key,
	    W3S_PUBKEY_LEN, err)) != 0 ||
	    (rc = w3s_cbor_get_uint(m, "time", &in->time, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes(m, "nonce", &p, &len, err)) != 0)
		return rc;
	if (len > W3S_POS_NONCE_MAX)
		return w3s_err_set(err, W3S_EMALFORMED, "the nonce is longer"
		    " than %d bytes", W3S_POS_NONCE_MAX);
	memcpy(in->nonce, p, len);
	in->nonce_len = len;
	if ((rc = w3s_cbor_get_bytes_fixed(m, "sync_signature",
	    in->sync_signature, W3S_SIGNATURE_LEN, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes_fixed(m, "signature", in->signature,
	    W3S_SIGNATURE_LEN, err)) != 0 ||
	    (rc = w3s_cbor_get_bytes(m, "sync_roots", &p, &len, err)) != 0)
		return rc;
	w3s_rd_init(&r, p, len);
	if ((rc = w3s_sync_roots_decode(&r, in->sync_roots, in->sync_present,
	    err)) != 0)
		return w3s_err_wrap(err, "sync_roots");
	if (w3s_rd_left(&r) != 0)
		return w3s_err_set(err, W3S_EMALFORMED, "sync_roots: trailing"
		    " bytes");
	w3s_buf_put(&in->sync_roots_scale, p, len);
	if ((rc = w3s_buf_check(&in->sync_roots_scale, err)) != 0 ||
	    (rc = w3s_cbor_get_array(m, "samples", &arr, &count, err)) != 0)
		return rc;
	if (count > W3S_POS_SAMPLES_MAX)
		return w3s_err_set(err, W3S_EMALFORMED, "more than %d samples",
		    W3S_POS_SAMPLES_MAX);
	in->samples = count;
	*sp = calloc(count ? count : 1, sizeof(**sp));
	in->positions = calloc(count ? count : 1, sizeof(*in->positions));
	if (*sp == NULL || in->positions == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const struct w3s_cbor *e = w3s_cbor_array_at(arr, i);
		struct pos_sample *s = &(*sp)[i];

		if ((rc = w3s_cbor_map_check_keys(e, skeys, err)) != 0 ||
		    (rc = w3s_cbor_get_uint(e, "leaf", &s->leaf, err)) != 0 ||
		    (rc = w3s_cbor_get_uint(e, "chunk", &s->chunk, err)) != 0 ||
		    (rc = w3s_cbor_get_bytes(e, "answer", &s->answer, &s->len,
		    err)) != 0)
			return w3s_err_wrap(err, "sample %zu", i);
		in->positions[i][0] = s->leaf;
		in->positions[i][1] = s->chunk;
	}
	return 0;
}

/* The checks of a decoded proof; W3S_EVERIFY with the first failure. */
static int
pos_verify(const struct w3s_pos_info *in, const struct pos_sample *s,
    const uint8_t root[W3S_H256], const uint8_t *node_key,
    const uint8_t *nonce, size_t nonce_len, struct w3s_err *err)
{
	const struct w3s_commitment *c = &in->commitment;
	struct w3s_cbor *m = statement(in, s);
	struct w3s_buf st;
	struct w3s_leaf leaf;
	uint8_t seed[W3S_H256];
	char hex[W3S_HEX32_LEN];
	int rc, named = 0;

	w3s_buf_init(&st);
	rc = w3s_cbor_encode(m, &st, err);
	w3s_cbor_free(m);
	if (rc != 0)
		goto out;
	rc = W3S_EVERIFY;
	if (w3s_key_verify(in->node_key, st.data, st.len,
	    in->signature) != 0) {
		w3s_err_set(err, rc, "the node's signature does not verify");
		goto out;
	}
	if (node_key != NULL && memcmp(node_key, in->node_key,
	    W3S_PUBKEY_LEN) != 0) {
		w3s_hex32_format(hex, in->node_key);
		w3s_err_set(err, rc, "made by node key %s, not the one given",
		    hex);
		goto out;
	}
	if (nonce != NULL && (nonce_len != in->nonce_len ||
	    memcmp(nonce, in->nonce, nonce_len) != 0)) {
		w3s_err_set(err, rc, "made for another nonce");
		goto out;
	}
	if (memcmp(root, c->mmr_root, W3S_H256) != 0) {
		w3s_hex32_format(hex, c->mmr_root);
		w3s_err_set(err, rc, "it proves root %s, not the trusted root",
		    hex);
		goto out;
	}
	for (int i = 0; i < W3S_SYNC_ROOTS; i++) {
		if (!in->sync_present[i])
			continue;
		if (memcmp(in->sync_roots[i], root, W3S_H256) != 0) {
			w3s_err_set(err, rc, "sync_roots[%d] is not the"
			    " trusted root", i);
			goto out;
		}
		named = 1;
	}
	if (!named) {
		w3s_err_set(err, rc, "sync_roots names no root");
		goto out;
	}
	if (w3s_key_verify(in->node_key, in->sync_roots_scale.data,
	    in->sync_roots_scale.len, in->sync_signature) != 0) {
		w3s_err_set(err, rc, "the signature over sync_roots does not"
		    " verify");
		goto out;
	}
	if (in->samples == 0 && c->leaf_count > 0) {
		w3s_err_set(err, rc, "it carries no sample");
		goto out;
	}
	w3s_pos_seed(in->nonce, in->nonce_len, c->mmr_root, in->node_key,
	    seed);
	for (uint64_t i = 0; i < in->samples; i++) {
		if (s[i].leaf != w3s_pos_leaf(seed, i, c->leaf_count)) {
			w3s_err_set(err, rc, "sample %" PRIu64 ": leaf %" PRIu64
			    " is not the derived position", i, s[i].leaf);
			goto out;
		}
		if (w3s_proof_check_answer(s[i].answer, s[i].len, root,
		    s[i].leaf, s[i].chunk, c->leaf_count, &leaf, err) != 0) {
			w3s_err_wrap(err, "sample %" PRIu64, i);
			err->code = rc;
			goto out;
		}
		if (s[i].chunk != w3s_pos_chunk(seed, i,
		    w3s_chunk_count(leaf.data_size))) {
			w3s_err_set(err, rc, "sample %" PRIu64 ": chunk %"
			    PRIu64 " is not the derived position", i,
			    s[i].chunk);
			goto out;
		}
	}
	rc = 0;
out:
	w3s_buf_release(&st);
	return rc;
}

int
w3s_pos_check(const uint8_t *data, size_t len, const uint8_t root[W3S_H256],
    const uint8_t *node_key, const uint8_t *nonce, size_t nonce_len,
    struct w3s_pos_info *info, struct w3s_err *err)
{
	struct w3s_pos_info local;
	struct pos_sample *s = NULL;
	struct w3s_cbor *m = NULL;
	int rc, recognized = 0;

	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	w3s_buf_init(&info->sync_roots_scale);
	/* A proof that does not decode proves nothing: a damaged or forged
	 * one fails (W3S_EVERIFY). W3S_EMALFORMED is kept for a document of
	 * another format or version. */
	if ((rc = w3s_cbor_decode(data, len, NULL, &m, err)) != 0) {
		if (rc == W3S_EMALFORMED)
			rc = err->code = W3S_EVERIFY;
		w3s_err_wrap(err, "the proof does not decode");
		goto out;
	}
	if (w3s_cbor_type(m) != W3S_CBOR_MAP) {
		rc = w3s_err_set(err, W3S_EMALFORMED, "not a Proof-of-Sync"
		    " (not a map)");
		goto out;
	}
	if ((rc = pos_read(m, info, &s, &recognized, err)) == 0)
		rc = pos_verify(info, s, root, node_key, nonce, nonce_len,
		    err);
	else if (rc == W3S_EMALFORMED && recognized)
		rc = err->code = W3S_EVERIFY;
out:
	free(s);
	w3s_cbor_free(m);
	if (info == &local)
		w3s_pos_info_release(info);
	return rc;
}
