/* The web3-storage data model (vectors/w3s/SPEC.md sections 3 to 7). */
#ifndef W3S_TYPES_H
#define W3S_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define W3S_H256 32
/* Deepest tree either kind of proof can describe (2^64 leaves). */
#define W3S_PROOF_MAX_DEPTH 64
#define W3S_MMR_MAX_PEAKS 64

/* MmrLeaf: SCALE encoding is 48 bytes (root, data_size LE, total_size LE). */
struct w3s_leaf {
	uint8_t data_root[W3S_H256];
	uint64_t data_size;
	uint64_t total_size;
};

/* Commitment {mmr_root, start_seq, leaf_count}: covers sequence numbers
 * [start_seq, start_seq + leaf_count). */
struct w3s_commitment {
	uint8_t mmr_root[W3S_H256];
	uint64_t start_seq;
	uint64_t leaf_count;
};

/* MerkleProof, ordered leaf to root. path[i] != 0: the current node is the
 * right child at level i (its sibling is on the left). */
struct w3s_merkle_proof {
	size_t depth;
	uint8_t siblings[W3S_PROOF_MAX_DEPTH][W3S_H256];
	uint8_t path[W3S_PROOF_MAX_DEPTH];
};

/* MmrProof: peaks (left to right), the leaf, and its path up to its peak. */
struct w3s_mmr_proof {
	size_t npeaks;
	uint8_t peaks[W3S_MMR_MAX_PEAKS][W3S_H256];
	struct w3s_leaf leaf;
	struct w3s_merkle_proof leaf_proof;
};

#endif
