/* The padded binary Merkle tree over chunk hashes (SPEC.md section 3). */
#ifndef W3S_MERKLE_H
#define W3S_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/types.h>

/* Root of leaves[0..n): 0 leaves -> zero hash, 1 leaf -> the leaf, else
 * padded with zero hashes to the next power of two. */
void w3s_merkle_root(const uint8_t (*leaves)[W3S_H256], size_t n,
    uint8_t root[W3S_H256]);

/* Proof for leaf idx; W3S_EUSAGE when idx >= n. */
int w3s_merkle_prove(const uint8_t (*leaves)[W3S_H256], size_t n, size_t idx,
    struct w3s_merkle_proof *proof, struct w3s_err *err);

/* The chain's verify_merkle_proof: 0 if it holds, W3S_EVERIFY if not. Only
 * the low depth bits of index are checked, as on chain. */
int w3s_merkle_verify(const uint8_t leaf[W3S_H256], uint64_t index,
    const struct w3s_merkle_proof *proof, const uint8_t root[W3S_H256]);

/* The same check over separate sibling and path arrays, as the chain sees
 * them before decoding into one depth: nsib != npath fails. */
int w3s_merkle_verify_parts(const uint8_t leaf[W3S_H256], uint64_t index,
    const uint8_t (*siblings)[W3S_H256], size_t nsib, const uint8_t *path,
    size_t npath, const uint8_t root[W3S_H256]);

/* The stricter TS verifier: index < chunks and depth ==
 * log2(next_pow2(chunks)). TS proofs carry no path (each level's side is
 * the index's bit); here the path bits must equal those bits, as in
 * w3s_merkle_verify. 0 or W3S_EVERIFY. */
int w3s_merkle_verify_strict(const uint8_t leaf[W3S_H256], uint64_t index,
    uint64_t chunks, const struct w3s_merkle_proof *proof,
    const uint8_t root[W3S_H256]);

/* Calls fn for every internal node of the padded tree (padding included),
 * bottom-up and left to right, as padded_merkle_tree lists them; none for 0
 * or 1 leaves. Uses O(n) memory. Stops at and returns fn's first non-zero
 * return; W3S_ESYS if memory runs out. */
int w3s_merkle_nodes(const uint8_t (*leaves)[W3S_H256], size_t n,
    int (*fn)(void *ctx, const uint8_t node[W3S_H256],
    const uint8_t left[W3S_H256], const uint8_t right[W3S_H256]),
    void *ctx, struct w3s_err *err);

/* Streaming root in O(log n) memory: push chunk hashes in order, then
 * finish. Gives the same root as w3s_merkle_root over the same list. */
struct w3s_merkle_builder {
	uint64_t count;
	/* level[h] holds a pending left subtree of 2^h leaves when bit h of
	 * count is set. */
	uint8_t level[W3S_PROOF_MAX_DEPTH][W3S_H256];
};

void w3s_merkle_builder_init(struct w3s_merkle_builder *mb);
void w3s_merkle_builder_push(struct w3s_merkle_builder *mb,
    const uint8_t leaf[W3S_H256]);
void w3s_merkle_builder_finish(const struct w3s_merkle_builder *mb,
    uint8_t root[W3S_H256]);

#endif
