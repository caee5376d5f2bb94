/* Merkle Mountain Range (SPEC.md section 5). Nodes sit at 0-based
 * post-order positions; storage is the caller's, reached through a get/put
 * pair, so an append or a proof costs O(log n) node accesses whether the
 * nodes live in memory or in a database. */
#ifndef W3S_MMR_H
#define W3S_MMR_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/types.h>

/* Position of leaf k: 2k - popcount(k). */
uint64_t w3s_mmr_leaf_pos(uint64_t k);
/* Nodes after n leaves: 2n - popcount(n). */
uint64_t w3s_mmr_node_count(uint64_t n);
/* Peak positions after n leaves, left to right; returns how many. */
size_t w3s_mmr_peak_positions(uint64_t n, uint64_t pos[W3S_MMR_MAX_PEAKS]);
/* Right-to-left fold H(P0 || H(P1 || ... )); zero hash for no peaks. */
void w3s_mmr_bag(const uint8_t (*peaks)[W3S_H256], size_t n,
    uint8_t root[W3S_H256]);

struct w3s_mmr_store {
	void *ctx;
	/* Reads the node at pos; returns 0 or a W3S_E* code. */
	int (*get)(void *ctx, uint64_t pos, uint8_t out[W3S_H256],
	    struct w3s_err *err);
	/* Writes the node at pos (always the next free position). */
	int (*put)(void *ctx, uint64_t pos, const uint8_t node[W3S_H256],
	    struct w3s_err *err);
};

/* Appends a leaf hash to an MMR of n leaves (its nodes at positions
 * [0, node_count(n))): writes the leaf and trailing_zeros(n+1) parents,
 * reading one left sibling per parent. On an error the store may hold some
 * of the new nodes; the caller's transaction drops them. */
int w3s_mmr_append(const struct w3s_mmr_store *s, uint64_t n,
    const uint8_t leaf_hash[W3S_H256], struct w3s_err *err);
int w3s_mmr_root(const struct w3s_mmr_store *s, uint64_t n,
    uint8_t root[W3S_H256], struct w3s_err *err);
/* Proof of leaf k (whose value the caller supplies) in an MMR of n leaves;
 * W3S_EUSAGE when k >= n. The stored leaf node must be H(SCALE(leaf)),
 * else W3S_EVERIFY; leaf may be NULL for a hash-only MMR (proof->leaf is
 * then zeroed). n may be below the store's leaf count: the first
 * node_count(n) nodes never change, so this proves against an older
 * commitment with the same start_seq. */
int w3s_mmr_prove(const struct w3s_mmr_store *s, uint64_t n, uint64_t k,
    const struct w3s_leaf *leaf, struct w3s_mmr_proof *proof,
    struct w3s_err *err);

/* Verification. Each returns 0 if the proof holds, W3S_EVERIFY if not. */
/* 5.5(a): the walk ends at some peak and the peaks bag to root. */
int w3s_mmr_verify(const struct w3s_mmr_proof *p, const uint8_t root[W3S_H256]);
/* 5.5(b): also binds leaf_index and leaf_count. */
int w3s_mmr_verify_bound(const struct w3s_mmr_proof *p, uint64_t leaf_index,
    uint64_t leaf_count, const uint8_t root[W3S_H256]);
/* 5.5(c): the proof is of the last leaf of an MMR of n leaves. */
int w3s_mmr_verify_last(const struct w3s_mmr_proof *p,
    const uint8_t root[W3S_H256], uint64_t n);

/* An MMR held in memory (tests, rebuilds after deletion, proofs over an
 * older commitment's window). */
struct w3s_mmr_mem {
	uint8_t (*nodes)[W3S_H256];
	uint64_t len;
	uint64_t cap;
	uint64_t leaves;
};

void w3s_mmr_mem_init(struct w3s_mmr_mem *m);
void w3s_mmr_mem_release(struct w3s_mmr_mem *m);
/* The get/put pair over m. */
struct w3s_mmr_store w3s_mmr_mem_store(struct w3s_mmr_mem *m);
int w3s_mmr_mem_append(struct w3s_mmr_mem *m,
    const uint8_t leaf_hash[W3S_H256], struct w3s_err *err);
int w3s_mmr_mem_root(struct w3s_mmr_mem *m, uint8_t root[W3S_H256]);

#endif
