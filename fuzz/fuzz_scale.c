/* SCALE decoding (lib/scale.c) of everything that arrives from outside:
 * compact integers, byte strings, leaves, commitments, payloads, Merkle
 * and MMR proofs, sync roots and challenge responses. Each decoder runs
 * on the whole input; what decodes must encode back to the bytes it
 * consumed. Decoded proofs then go through the chain's checks with
 * parameters taken from the proof itself (lib/chain.c, lib/mmr.c,
 * lib/merkle.c), which must not crash whatever the numbers. */
#include <string.h>

#include <w3s/chain.h>
#include <w3s/merkle.h>
#include <w3s/mmr.h>
#include <w3s/scale.h>

#include "fuzz.h"

/* The bytes r consumed since off equal what b holds. */
static void
same(const struct w3s_rd *r, size_t off, const struct w3s_buf *b)
{
	FUZZ_ASSERT(!b->failed);
	FUZZ_ASSERT(b->len == r->off - off);
	FUZZ_ASSERT(b->len == 0 || memcmp(b->data, r->p + off, b->len) == 0);
}

static void
check_proofs(const uint8_t *chunk, size_t chunk_len,
    const struct w3s_mmr_proof *mmr, const struct w3s_merkle_proof *cp)
{
	static const uint8_t zero[W3S_H256];
	uint8_t root[W3S_H256], leaf_hash[W3S_H256];
	uint64_t a = mmr->leaf.data_size, b = mmr->leaf.total_size;

	/* The root the proof claims, so the walks go all the way. */
	w3s_mmr_bag((const uint8_t (*)[W3S_H256])mmr->peaks, mmr->npeaks,
	    root);
	(void)w3s_mmr_verify(mmr, root);
	(void)w3s_mmr_verify_bound(mmr, a, b, root);
	(void)w3s_mmr_verify_bound(mmr, b, a, zero);
	(void)w3s_mmr_verify_last(mmr, root, b);
	w3s_leaf_hash(&mmr->leaf, leaf_hash);
	(void)w3s_merkle_verify(leaf_hash, a, cp, mmr->leaf.data_root);
	(void)w3s_merkle_verify_strict(leaf_hash, a, b, cp,
	    mmr->leaf.data_root);
	(void)w3s_merkle_verify_strict(leaf_hash, b, a, &mmr->leaf_proof,
	    root);
	(void)w3s_chain_verify_proof_response(chunk, chunk_len, a ^ b, cp,
	    mmr, W3S_CHAIN_MMR_UNBOUND, a, b, root);
	(void)w3s_chain_verify_proof_response(chunk, chunk_len, a, cp, mmr,
	    W3S_CHAIN_MMR_BOUND, a, b, root);
	(void)w3s_chain_verify_proof_response(chunk, chunk_len, b, cp, mmr,
	    W3S_CHAIN_MMR_BOUND, b, a, zero);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct w3s_merkle_proof *mp = malloc(sizeof(*mp));
	struct w3s_merkle_proof *cp = malloc(sizeof(*cp));
	struct w3s_mmr_proof *mmr = malloc(sizeof(*mmr));
	uint8_t roots[W3S_SYNC_ROOTS][W3S_H256], enc[W3S_PAYLOAD_V1_LEN];
	int present[W3S_SYNC_ROOTS];
	struct w3s_commitment c;
	struct w3s_leaf leaf;
	const uint8_t *bytes;
	struct w3s_err err;
	struct w3s_buf b;
	struct w3s_rd r;
	uint64_t n, bucket;
	size_t len;

	if (mp == NULL || cp == NULL || mmr == NULL)
		goto done;

	w3s_rd_init(&r, data, size);
	if (w3s_scale_get_compact(&r, &n, &err) == 0) {
		w3s_buf_init(&b);
		w3s_scale_put_compact(&b, n);
		same(&r, 0, &b);
		w3s_buf_release(&b);
	}
	w3s_rd_init(&r, data, size);
	if (w3s_scale_get_bytes(&r, &bytes, &len, SIZE_MAX, &err) == 0) {
		FUZZ_ASSERT(bytes + len <= data + size);
		w3s_buf_init(&b);
		w3s_scale_put_bytes(&b, bytes, len);
		same(&r, 0, &b);
		w3s_buf_release(&b);
	}
	w3s_rd_init(&r, data, size);
	if (w3s_leaf_decode(&r, &leaf, &err) == 0) {
		w3s_leaf_encode(&leaf, enc);
		FUZZ_ASSERT(r.off == W3S_LEAF_ENC_LEN &&
		    memcmp(enc, data, W3S_LEAF_ENC_LEN) == 0);
	}
	w3s_rd_init(&r, data, size);
	if (w3s_commitment_decode(&r, &c, &err) == 0) {
		w3s_commitment_encode(&c, enc);
		FUZZ_ASSERT(r.off == W3S_COMMITMENT_ENC_LEN &&
		    memcmp(enc, data, W3S_COMMITMENT_ENC_LEN) == 0);
	}
	if (w3s_payload_v1_decode(data, size, &bucket, &c, &err) == 0) {
		w3s_payload_v1_encode(bucket, &c, enc);
		FUZZ_ASSERT(memcmp(enc, data, W3S_PAYLOAD_V1_LEN) == 0);
	}
	w3s_rd_init(&r, data, size);
	if (w3s_sync_roots_decode(&r, roots, present, &err) == 0) {
		w3s_buf_init(&b);
		w3s_sync_roots_encode(&b, (const uint8_t (*)[W3S_H256])roots,
		    present);
		same(&r, 0, &b);
		w3s_buf_release(&b);
	}
	w3s_rd_init(&r, data, size);
	if (w3s_merkle_proof_decode(&r, mp, &err) == 0) {
		FUZZ_ASSERT(mp->depth <= W3S_PROOF_MAX_DEPTH);
		w3s_buf_init(&b);
		w3s_merkle_proof_encode(&b, mp);
		same(&r, 0, &b);
		w3s_buf_release(&b);
	}
	w3s_rd_init(&r, data, size);
	if (w3s_mmr_proof_decode(&r, mmr, &err) == 0) {
		FUZZ_ASSERT(mmr->npeaks <= W3S_MMR_MAX_PEAKS);
		w3s_buf_init(&b);
		w3s_mmr_proof_encode(&b, mmr);
		same(&r, 0, &b);
		w3s_buf_release(&b);
		check_proofs(NULL, 0, mmr, &mmr->leaf_proof);
	}
	w3s_rd_init(&r, data, size);
	if (w3s_challenge_proof_decode(&r, &bytes, &len, mmr, cp,
	    &err) == 0) {
		FUZZ_ASSERT(len <= W3S_SCALE_CHUNK_MAX);
		FUZZ_ASSERT(r.off == size);
		w3s_buf_init(&b);
		w3s_challenge_proof_encode(&b, bytes, len, mmr, cp);
		same(&r, 0, &b);
		w3s_buf_release(&b);
		check_proofs(bytes, len, mmr, cp);
	}
	{
		struct w3s_challenge_deleted d;

		/* A Deleted answer decodes whole, and an Ed25519 one
		 * encodes back to the same bytes. */
		w3s_rd_init(&r, data, size);
		if (w3s_challenge_deleted_decode(&r, &d, &err) == 0) {
			FUZZ_ASSERT(r.off == size);
			FUZZ_ASSERT(size == 74 + (d.sig_kind ==
			    W3S_MULTISIG_ECDSA ? 65 : 64));
			if (d.sig_kind == W3S_MULTISIG_ED25519) {
				w3s_buf_init(&b);
				w3s_challenge_deleted_encode(&b, d.new_mmr_root,
				    d.new_start_seq, d.admin, d.sig);
				same(&r, 0, &b);
				w3s_buf_release(&b);
			}
		}
	}
done:
	free(mp);
	free(cp);
	free(mmr);
	return 0;
}
