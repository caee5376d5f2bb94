/* Chain-side rules (SPEC.md sections 7 to 10). */
#include <stdlib.h>
#include <string.h>

#include <w3s/chain.h>
#include <w3s/hash.h>
#include <w3s/merkle.h>
#include <w3s/scale.h>

const uint32_t w3s_chain_hist_primes[W3S_CHAIN_HIST_SLOTS] = {
	3, 7, 11, 23, 47, 113,
};

uint64_t
w3s_chain_range_end(const struct w3s_commitment *c)
{
	if (c->leaf_count > UINT64_MAX - c->start_seq)
		return UINT64_MAX;
	return c->start_seq + c->leaf_count;
}

int
w3s_chain_commitment_eq(const struct w3s_commitment *a,
    const struct w3s_commitment *b)
{
	return a->start_seq == b->start_seq && a->leaf_count == b->leaf_count &&
	    memcmp(a->mmr_root, b->mmr_root, W3S_H256) == 0;
}

int
w3s_chain_range_contains(const struct w3s_commitment *c, uint64_t seq)
{
	return seq >= c->start_seq && seq < w3s_chain_range_end(c);
}

uint64_t
w3s_chain_leaf_seq(uint64_t start_seq, uint64_t leaf_index)
{
	if (leaf_index > UINT64_MAX - start_seq)
		return UINT64_MAX;
	return start_seq + leaf_index;
}

int
w3s_chain_verify_proof_response(const uint8_t *chunk, size_t chunk_len,
    uint64_t chunk_index, const struct w3s_merkle_proof *chunk_proof,
    const struct w3s_mmr_proof *mmr, enum w3s_chain_mmr_check check,
    uint64_t leaf_index, uint64_t leaf_count, const uint8_t root[W3S_H256])
{
	uint8_t h[W3S_H256];

	if (chunk_len > W3S_SCALE_CHUNK_MAX)
		return W3S_EVERIFY;
	w3s_hash_blake2b(h, chunk_len ? chunk : (const uint8_t *)"", chunk_len);
	if (w3s_merkle_verify(h, chunk_index, chunk_proof,
	    mmr->leaf.data_root) != 0)
		return W3S_EVERIFY;
	if (check == W3S_CHAIN_MMR_BOUND)
		return w3s_mmr_verify_bound(mmr, leaf_index, leaf_count, root);
	return w3s_mmr_verify(mmr, root);
}

void
w3s_chain_hist_init(struct w3s_chain_hist hist[W3S_CHAIN_HIST_SLOTS])
{
	memset(hist, 0, W3S_CHAIN_HIST_SLOTS * sizeof(hist[0]));
}

void
w3s_chain_hist_update(struct w3s_chain_hist hist[W3S_CHAIN_HIST_SLOTS],
    uint64_t block, const uint8_t mmr_root[W3S_H256])
{
	uint32_t b = block > UINT32_MAX ? 0 : (uint32_t)block;

	for (int i = 0; i < W3S_CHAIN_HIST_SLOTS; i++) {
		uint32_t q = b / w3s_chain_hist_primes[i];

		if (q == hist[i].quotient)
			continue;
		hist[i].quotient = q;
		memcpy(hist[i].root, mmr_root, W3S_H256);
	}
}

int
w3s_chain_find_matching_root(const uint8_t *snapshot_root,
    const struct w3s_chain_hist hist[W3S_CHAIN_HIST_SLOTS],
    const uint8_t roots[7][W3S_H256], const int present[7],
    const uint8_t *last_synced, int *pos, struct w3s_err *err)
{
	int found = -1;

	if (snapshot_root != NULL && present[0] &&
	    memcmp(roots[0], snapshot_root, W3S_H256) == 0)
		found = 0;
	for (int i = 1; found < 0 && i < 7; i++)
		if (present[i] &&
		    memcmp(roots[i], hist[i - 1].root, W3S_H256) == 0)
			found = i;
	if (found < 0)
		return w3s_err_set(err, W3S_EVERIFY,
		    "no sync root matches the bucket's current or historical "
		    "roots");
	if (last_synced != NULL &&
	    memcmp(roots[found], last_synced, W3S_H256) == 0)
		return w3s_err_set(err, W3S_ENOTAPPLY,
		    "sync root %d is the root already synced", found);
	*pos = found;
	return 0;
}

void
w3s_chain_bucket_init(struct w3s_chain_bucket *b)
{
	memset(b, 0, sizeof(*b));
	w3s_mmr_mem_init(&b->mmr);
}

void
w3s_chain_bucket_release(struct w3s_chain_bucket *b)
{
	free(b->leaves);
	w3s_mmr_mem_release(&b->mmr);
	w3s_chain_bucket_init(b);
}

static int
reserve_leaves(struct w3s_chain_bucket *b, size_t extra, struct w3s_err *err)
{
	size_t cap;
	void *p;

	if (extra <= b->cap - b->nleaves)
		return 0;
	if (extra > SIZE_MAX / sizeof(b->leaves[0]) / 2 - b->nleaves)
		return w3s_err_set(err, W3S_ESYS, "too many leaves");
	cap = b->cap ? b->cap : 16;
	while (cap - b->nleaves < extra)
		cap *= 2;
	p = realloc(b->leaves, cap * sizeof(b->leaves[0]));
	if (p == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	b->leaves = p;
	b->cap = cap;
	return 0;
}

int
w3s_chain_bucket_commit(struct w3s_chain_bucket *b,
    const uint8_t (*data_roots)[W3S_H256], const uint64_t *data_sizes,
    size_t n, struct w3s_err *err)
{
	uint64_t mmr_len = b->mmr.len, mmr_leaves = b->mmr.leaves;
	size_t nleaves = b->nleaves;
	uint8_t h[W3S_H256];
	int rc;

	if ((rc = reserve_leaves(b, n, err)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct w3s_leaf *leaf = &b->leaves[b->nleaves];
		uint64_t prev = b->nleaves ?
		    b->leaves[b->nleaves - 1].total_size : 0;

		memcpy(leaf->data_root, data_roots[i], W3S_H256);
		leaf->data_size = data_sizes[i];
		leaf->total_size = prev + data_sizes[i];
		w3s_leaf_hash(leaf, h);
		if ((rc = w3s_mmr_mem_append(&b->mmr, h, err)) != 0) {
			b->nleaves = nleaves;
			b->mmr.len = mmr_len;
			b->mmr.leaves = mmr_leaves;
			return rc;
		}
		b->nleaves++;
	}
	return w3s_mmr_mem_root(&b->mmr, b->mmr_root);
}

int
w3s_chain_bucket_delete_before(struct w3s_chain_bucket *b,
    uint64_t new_start_seq, struct w3s_err *err)
{
	uint64_t k = new_start_seq - b->start_seq;	/* wraps, as on chain */
	struct w3s_mmr_mem fresh;
	uint8_t h[W3S_H256];
	int rc;

	if (k == 0 || k > b->nleaves)
		return 0;
	w3s_mmr_mem_init(&fresh);
	for (size_t i = (size_t)k; i < b->nleaves; i++) {
		w3s_leaf_hash(&b->leaves[i], h);
		if ((rc = w3s_mmr_mem_append(&fresh, h, err)) != 0) {
			w3s_mmr_mem_release(&fresh);
			return rc;
		}
	}
	memmove(b->leaves, b->leaves + k,
	    (b->nleaves - (size_t)k) * sizeof(b->leaves[0]));
	b->nleaves -= (size_t)k;
	b->start_seq = new_start_seq;
	w3s_mmr_mem_release(&b->mmr);
	b->mmr = fresh;
	return w3s_mmr_mem_root(&b->mmr, b->mmr_root);
}

void
w3s_chain_bucket_commitment(const struct w3s_chain_bucket *b,
    struct w3s_commitment *c)
{
	memcpy(c->mmr_root, b->mmr_root, W3S_H256);
	c->start_seq = b->start_seq;
	c->leaf_count = b->nleaves;
}
