/* Chain-side rules the provider must mirror (SPEC.md sections 7 to 10):
 * commitment ranges, sequence numbers, the historical roots kept for
 * replica sync, root matching, and the provider's bucket model (commit and
 * delete_before) that fixes which leaves a commitment covers. */
#ifndef W3S_CHAIN_H
#define W3S_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/err.h>
#include <w3s/mmr.h>
#include <w3s/types.h>

/* End of [start_seq, start_seq + leaf_count), with saturating addition. */
uint64_t w3s_chain_range_end(const struct w3s_commitment *c);
/* 1 when a and b are the same commitment (root, start_seq, leaf_count). */
int w3s_chain_commitment_eq(const struct w3s_commitment *a,
    const struct w3s_commitment *b);
/* 1 if seq is in start_seq <= seq < range_end, else 0. */
int w3s_chain_range_contains(const struct w3s_commitment *c, uint64_t seq);
/* Sequence number of a commitment's leaf_index (saturating). */
uint64_t w3s_chain_leaf_seq(uint64_t start_seq, uint64_t leaf_index);

/* Which MMR check a challenge answer faces: SPEC 5.5(a), the older
 * 2-argument one that does not bind the leaf, or 5.5(b). */
enum w3s_chain_mmr_check {
	W3S_CHAIN_MMR_UNBOUND,
	W3S_CHAIN_MMR_BOUND,
};

/* The chain's check of a ChallengeResponse::Proof for leaf leaf_index of
 * the commitment (root, leaf_count): the chunk (at most 262144 bytes)
 * hashes up chunk_proof at chunk_index to the proven leaf's data_root
 * (w3s_merkle_verify), and the MMR proof holds under check. 0 or
 * W3S_EVERIFY. */
int w3s_chain_verify_proof_response(const uint8_t *chunk, size_t chunk_len,
    uint64_t chunk_index, const struct w3s_merkle_proof *chunk_proof,
    const struct w3s_mmr_proof *mmr, enum w3s_chain_mmr_check check,
    uint64_t leaf_index, uint64_t leaf_count, const uint8_t root[W3S_H256]);

/* Historical roots: one slot per prime, (quotient, root). */
#define W3S_CHAIN_HIST_SLOTS 6
extern const uint32_t w3s_chain_hist_primes[W3S_CHAIN_HIST_SLOTS];

struct w3s_chain_hist {
	uint32_t quotient;
	uint8_t root[W3S_H256];
};

/* Every slot (0, zero root), as a new bucket has them. */
void w3s_chain_hist_init(struct w3s_chain_hist hist[W3S_CHAIN_HIST_SLOTS]);
/* A successful checkpoint of mmr_root at block: block is taken as u32 (0
 * when it does not fit); slot i becomes (block / p_i, mmr_root) when that
 * quotient differs from the stored one. */
void w3s_chain_hist_update(struct w3s_chain_hist hist[W3S_CHAIN_HIST_SLOTS],
    uint64_t block, const uint8_t mmr_root[W3S_H256]);

/* find_matching_root over a replica's [Option<H256>; 7]: position 0 if a
 * snapshot exists (snapshot_root != NULL) and roots[0] is Some and equals
 * it, else the first i in 1..6 with roots[i] Some and equal to
 * hist[i-1].root. The matched root must differ from last_synced (NULL: no
 * earlier sync). Sets *pos and returns 0, or W3S_EVERIFY when nothing
 * matches (InvalidSyncRoot) and W3S_ENOTAPPLY when the match is the root
 * already synced. */
int w3s_chain_find_matching_root(const uint8_t *snapshot_root,
    const struct w3s_chain_hist hist[W3S_CHAIN_HIST_SLOTS],
    const uint8_t roots[7][W3S_H256], const int present[7],
    const uint8_t *last_synced, int *pos, struct w3s_err *err);

/* The provider's bucket: start_seq, the retained leaves (local leaf i has
 * sequence number start_seq + i) and their MMR. */
struct w3s_chain_bucket {
	uint64_t start_seq;
	struct w3s_leaf *leaves;
	size_t nleaves;
	size_t cap;
	struct w3s_mmr_mem mmr;
	uint8_t mmr_root[W3S_H256];	/* kept current by every change */
};

void w3s_chain_bucket_init(struct w3s_chain_bucket *b);
void w3s_chain_bucket_release(struct w3s_chain_bucket *b);
/* commit: appends one leaf per (data_root, data_size), in order, with
 * total_size = previous retained total_size (0 if none) + data_size. All
 * or nothing: on an error the bucket is as it was. */
int w3s_chain_bucket_commit(struct w3s_chain_bucket *b,
    const uint8_t (*data_roots)[W3S_H256], const uint64_t *data_sizes,
    size_t n, struct w3s_err *err);
/* delete_before(new_start_seq): k = new_start_seq - start_seq (u64,
 * wrapping as on chain); when 0 < k <= #leaves the first k leaves go,
 * start_seq becomes new_start_seq and the MMR is rebuilt from scratch over
 * the survivors (which keep their total_size). k == 0 or k > #leaves
 * (which includes new_start_seq < start_seq) changes nothing; that is not
 * an error. On an error the bucket is as it was. */
int w3s_chain_bucket_delete_before(struct w3s_chain_bucket *b,
    uint64_t new_start_seq, struct w3s_err *err);
/* The current (root, start_seq, leaf_count). */
void w3s_chain_bucket_commitment(const struct w3s_chain_bucket *b,
    struct w3s_commitment *c);

#endif
