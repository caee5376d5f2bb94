/* Challenge answers (SPEC.md 6.1 and 10) and Proof-of-Sync (DESIGN.md 7).
 *
 * A challenge names a commitment (root, start_seq, leaf_count), a leaf
 * index relative to its start_seq and a chunk index in that leaf. The
 * answer is ChallengeResponse::Proof: the chunk, the MMR proof of the leaf
 * against the commitment and the chunk's Merkle proof to the leaf's data
 * root, SCALE encoded as the chain takes it; for a leaf a deletion dropped,
 * ChallengeResponse::Deleted: the deletion's admin-signed certificate.
 *
 * A Proof-of-Sync is a DAG-CBOR map signed by the node (cid-verify(1)
 * lists its fields): bucket, commitment, node key, time, the verifier's
 * nonce, sample answers at positions derived from H(nonce || root || node
 * key), and the [Option<H256>; 7] roots with the node's signature over
 * their SCALE bytes, as confirm_replica_sync takes them. */
#ifndef W3S_PROOF_H
#define W3S_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include <w3s/buf.h>
#include <w3s/err.h>
#include <w3s/key.h>
#include <w3s/scale.h>
#include <w3s/store.h>
#include <w3s/types.h>

/* The commitment of b whose root is root: the current one, or one named by
 * the change log or a checkpoint. W3S_ENOTAPPLY when the bucket never had
 * it. Reads in one snapshot. */
int w3s_proof_find_commitment(struct w3s_bucket *b,
    const uint8_t root[W3S_H256], struct w3s_commitment *c,
    struct w3s_err *err);

/* Appends the SCALE answer to challenge (leaf_index, chunk_index) of
 * commitment c to out. A leaf a deletion dropped (its sequence number is
 * below the bucket's start_seq) is answered with ChallengeResponse::Deleted
 * and the first certificate that dropped it (the chunk index does not
 * matter then); any other with ChallengeResponse::Proof. An older commitment
 * with the current start_seq is proven over the stored MMR's prefix; one
 * with a later start_seq over an MMR rebuilt in memory from its window of
 * leaves. The proof is checked to reproduce c->mmr_root (W3S_EVERIFY if the
 * store's leaves do not). W3S_ENOTAPPLY when the leaf or chunk is out of
 * range or the window's leaves were dropped; W3S_EINCOMPLETE when the
 * chunk is not stored. The chunk's bytes are not checked here (the answer
 * carries them as stored); w3s_proof_check_answer does. */
int w3s_proof_answer(struct w3s_bucket *b, const struct w3s_commitment *c,
    uint64_t leaf_index, uint64_t chunk_index, struct w3s_buf *out,
    struct w3s_err *err);

/* Decodes a ChallengeResponse::Proof (anything else, or trailing bytes:
 * W3S_EMALFORMED) and checks it under the chain's rules for challenge
 * (leaf_index, chunk_index) of a commitment of leaf_count leaves with root:
 * the chunk hashes up its proof to the leaf's data root, and the MMR proof
 * binds leaf_index and leaf_count (SPEC.md 5.5(b)). 0 or W3S_EVERIFY. *leaf
 * (may be NULL) gets the proven leaf. */
int w3s_proof_check_answer(const uint8_t *scale, size_t len,
    const uint8_t root[W3S_H256], uint64_t leaf_index, uint64_t chunk_index,
    uint64_t leaf_count, struct w3s_leaf *leaf, struct w3s_err *err);

/* Checks a decoded ChallengeResponse::Deleted (w3s_challenge_deleted_decode)
 * under the chain's rules for the challenge of sequence number seq (the
 * challenged commitment's start_seq + leaf index) in bucket: seq is below
 * the certificate's new_start_seq, its admin is admin, and the admin's
 * signature verifies over CommitmentPayload v1 of (bucket, {new_mmr_root,
 * new_start_seq, 0}). 0 or W3S_EVERIFY; W3S_ENOTAPPLY for a signature
 * scheme other than Ed25519. */
int w3s_proof_check_deleted(const struct w3s_challenge_deleted *d,
    uint64_t bucket, uint64_t seq, const uint8_t admin[W3S_PUBKEY_LEN],
    struct w3s_err *err);

/* ---- Proof-of-Sync ---------------------------------------------------- */

#define W3S_POS_FORMAT "w3sync-proof-of-sync"
#define W3S_POS_VERSION 1
#define W3S_POS_NONCE_MAX 256
#define W3S_POS_SAMPLES_MAX 1024

/* The seed of the sample positions: H(nonce || mmr_root || node_key). */
void w3s_pos_seed(const uint8_t *nonce, size_t nonce_len,
    const uint8_t root[W3S_H256], const uint8_t node_key[W3S_PUBKEY_LEN],
    uint8_t seed[W3S_H256]);
/* Sample i's leaf: r = H(seed || u64le(i)), leaf = u64le(r[0..8]) mod
 * leaf_count. Its chunk: u64le(r[8..16]) mod chunk_count, where
 * chunk_count is that leaf's (w3s_chunk_count of its data_size). */
uint64_t w3s_pos_leaf(const uint8_t seed[W3S_H256], uint64_t i,
    uint64_t leaf_count);
uint64_t w3s_pos_chunk(const uint8_t seed[W3S_H256], uint64_t i,
    uint64_t chunk_count);

/* Whether b's current commitment is anchored (DESIGN.md 5): it is the
 * bucket's anchored commitment (imported under a trusted root), or it
 * carries checkpoints by at least min_signers (at least 1) of the bucket's
 * trusted primary keys, or, with no trusted keys recorded, a checkpoint by
 * node_key itself (a primary's own bucket). 0, or W3S_ENOTAPPLY saying why
 * not. */
int w3s_pos_anchored(struct w3s_bucket *b,
    const uint8_t node_key[W3S_PUBKEY_LEN], struct w3s_err *err);

/* Makes a Proof-of-Sync of b's current commitment (refused, as
 * w3s_pos_anchored, when unanchored) with n samples, signed by key at time
 * now; appends its DAG-CBOR to out. A sampled chunk that is not stored is
 * W3S_EINCOMPLETE. */
int w3s_pos_make(struct w3s_bucket *b, const struct w3s_key *key,
    const uint8_t *nonce, size_t nonce_len, uint64_t n, uint64_t now,
    struct w3s_buf *out, struct w3s_err *err);

/* What a Proof-of-Sync says. */
struct w3s_pos_info {
	uint64_t bucket;
	struct w3s_commitment commitment;
	uint8_t node_key[W3S_PUBKEY_LEN];
	uint64_t time;
	uint8_t nonce[W3S_POS_NONCE_MAX];
	size_t nonce_len;
	uint64_t samples;
	uint64_t (*positions)[2];	/* leaf, chunk of each sample; owned */
	uint8_t sync_roots[W3S_SYNC_ROOTS][W3S_H256];
	int sync_present[W3S_SYNC_ROOTS];
	struct w3s_buf sync_roots_scale;	/* the signed bytes */
	uint8_t sync_signature[W3S_SIGNATURE_LEN];
	uint8_t signature[W3S_SIGNATURE_LEN];
};
void w3s_pos_info_release(struct w3s_pos_info *info);

/* Checks a Proof-of-Sync against the trusted root: the format, the node's
 * signature over the statement and over the roots array, the commitment's
 * root, the roots array naming it, every sample position and every answer.
 * With node_key (may be NULL) the node must be that key; with nonce (may
 * be NULL) the nonce must be that one. 0, W3S_EVERIFY, or W3S_EMALFORMED
 * for what does not decode. info (may be NULL; release it) is filled as far
 * as the proof decoded. */
int w3s_pos_check(const uint8_t *data, size_t len,
    const uint8_t root[W3S_H256], const uint8_t *node_key,
    const uint8_t *nonce, size_t nonce_len, struct w3s_pos_info *info,
    struct w3s_err *err);

#endif
