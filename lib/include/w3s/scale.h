/* SCALE encoding of the web3-storage types (vectors/w3s/SPEC.md 4, 6, 7,
 * 8 and 11). Encoders append to a w3s_buf; decoders read a w3s_rd and
 * check every length against the bytes that are there. */
#ifndef W3S_SCALE_H
#define W3S_SCALE_H

#include <stdint.h>

#include <w3s/buf.h>
#include <w3s/types.h>

#define W3S_LEAF_ENC_LEN 48
#define W3S_COMMITMENT_ENC_LEN 48
#define W3S_PAYLOAD_V1_LEN 57
#define W3S_PAYLOAD_V2_LEN 65
#define W3S_SYNC_ROOTS 7
#define W3S_SIG_LEN 64

/* A chunk is at most this long wherever SCALE carries one. */
#define W3S_SCALE_CHUNK_MAX 262144

void w3s_scale_put_compact(struct w3s_buf *b, uint64_t n);
/* Refuses non-canonical encodings (a value in a longer mode than it needs)
 * and values over 64 bits, as parity-scale-codec does: W3S_EMALFORMED. */
int w3s_scale_get_compact(struct w3s_rd *r, uint64_t *n, struct w3s_err *err);
/* c(len) || bytes */
void w3s_scale_put_bytes(struct w3s_buf *b, const uint8_t *data, size_t len);
/* Reads c(len) || bytes; *data borrows from the input. A length over max is
 * W3S_EMALFORMED before anything else is read. */
int w3s_scale_get_bytes(struct w3s_rd *r, const uint8_t **data, size_t *len,
    size_t max, struct w3s_err *err);
/* u64 is 8 bytes little-endian (the same as w3s_buf_put_u64le). */
void w3s_scale_put_u64(struct w3s_buf *b, uint64_t v);

void w3s_leaf_encode(const struct w3s_leaf *leaf,
    uint8_t out[W3S_LEAF_ENC_LEN]);
int w3s_leaf_decode(struct w3s_rd *r, struct w3s_leaf *leaf,
    struct w3s_err *err);
/* H(SCALE(leaf)) */
void w3s_leaf_hash(const struct w3s_leaf *leaf, uint8_t out[W3S_H256]);

void w3s_commitment_encode(const struct w3s_commitment *c,
    uint8_t out[W3S_COMMITMENT_ENC_LEN]);
int w3s_commitment_decode(struct w3s_rd *r, struct w3s_commitment *c,
    struct w3s_err *err);
/* CommitmentPayload v1: 0x01 || bucket u64 || commitment (57 bytes). */
void w3s_payload_v1_encode(uint64_t bucket, const struct w3s_commitment *c,
    uint8_t out[W3S_PAYLOAD_V1_LEN]);
/* v2 (nonce era, legacy): 0x02 || bucket || commitment || nonce. */
void w3s_payload_v2_encode(uint64_t bucket, const struct w3s_commitment *c,
    uint64_t nonce, uint8_t out[W3S_PAYLOAD_V2_LEN]);
/* Parses exactly 57 bytes of a v1 payload (version byte 0x01); anything
 * else is W3S_EMALFORMED. */
int w3s_payload_v1_decode(const uint8_t *in, size_t len, uint64_t *bucket,
    struct w3s_commitment *c, struct w3s_err *err);

void w3s_merkle_proof_encode(struct w3s_buf *b,
    const struct w3s_merkle_proof *p);
/* More than W3S_PROOF_MAX_DEPTH siblings or path bits, a path byte other
 * than 00/01, or sibling and path counts that differ (the struct holds one
 * depth; the chain's Merkle check rejects such a proof anyway) are
 * W3S_EMALFORMED. Nothing is allocated. */
int w3s_merkle_proof_decode(struct w3s_rd *r, struct w3s_merkle_proof *p,
    struct w3s_err *err);
void w3s_mmr_proof_encode(struct w3s_buf *b, const struct w3s_mmr_proof *p);
/* More than W3S_MMR_MAX_PEAKS peaks is W3S_EMALFORMED; the leaf proof as
 * w3s_merkle_proof_decode. */
int w3s_mmr_proof_decode(struct w3s_rd *r, struct w3s_mmr_proof *p,
    struct w3s_err *err);

/* [Option<H256>; 7]: present[i] says whether roots[i] is Some. */
void w3s_sync_roots_encode(struct w3s_buf *b,
    const uint8_t roots[W3S_SYNC_ROOTS][W3S_H256],
    const int present[W3S_SYNC_ROOTS]);
/* Reads the 7 options (a tag other than 00/01 is W3S_EMALFORMED); absent
 * roots are zeroed. */
int w3s_sync_roots_decode(struct w3s_rd *r,
    uint8_t roots[W3S_SYNC_ROOTS][W3S_H256], int present[W3S_SYNC_ROOTS],
    struct w3s_err *err);

/* ChallengeResponse::Proof = 00 || c(len) chunk || MmrProof || MerkleProof.
 * A chunk longer than 262144 bytes is refused by the decoder; the encoder
 * writes what it is given, so callers keep chunk_len <= W3S_SCALE_CHUNK_MAX
 * (the chain would reject more). */
void w3s_challenge_proof_encode(struct w3s_buf *b, const uint8_t *chunk,
    size_t chunk_len, const struct w3s_mmr_proof *mmr,
    const struct w3s_merkle_proof *chunk_proof);
/* Decodes a Proof answer; *chunk borrows from the reader's input. The whole
 * input must be consumed (trailing bytes are W3S_EMALFORMED). */
int w3s_challenge_proof_decode(struct w3s_rd *r, const uint8_t **chunk,
    size_t *chunk_len, struct w3s_mmr_proof *mmr,
    struct w3s_merkle_proof *chunk_proof, struct w3s_err *err);
/* ChallengeResponse::Deleted = 01 || new_mmr_root || new_start_seq u64 ||
 * admin (32) || MultiSignature; the encoder writes an Ed25519 one. */
void w3s_challenge_deleted_encode(struct w3s_buf *b,
    const uint8_t new_mmr_root[W3S_H256], uint64_t new_start_seq,
    const uint8_t admin[32], const uint8_t sig[W3S_SIG_LEN]);

/* MultiSignature variants (sp_runtime). */
enum w3s_multisig { W3S_MULTISIG_ED25519, W3S_MULTISIG_SR25519,
	W3S_MULTISIG_ECDSA };

struct w3s_challenge_deleted {
	uint8_t new_mmr_root[W3S_H256];
	uint64_t new_start_seq;
	uint8_t admin[32];
	enum w3s_multisig sig_kind;
	uint8_t sig[W3S_SIG_LEN + 1];	/* 64 bytes, 65 for ECDSA */
};
/* Decodes a Deleted answer, any MultiSignature variant. Another response
 * variant, another signature tag, a short input or trailing bytes are
 * W3S_EMALFORMED. */
int w3s_challenge_deleted_decode(struct w3s_rd *r,
    struct w3s_challenge_deleted *d, struct w3s_err *err);

/* Provider records (SPEC.md 11). ChunkTreeNode::Chunk = 00 || c(len) ||
 * bytes; ChunkTreeNode::Internal = 01 || left || right. */
void w3s_chunk_tree_node_encode_chunk(struct w3s_buf *b, const uint8_t *data,
    size_t len);
void w3s_chunk_tree_node_encode_internal(struct w3s_buf *b,
    const uint8_t left[W3S_H256], const uint8_t right[W3S_H256]);
/* BucketState = mmr_root || start_seq || Vec<MmrLeaf> || used_bytes ||
 * max_bytes. */
void w3s_bucket_state_encode(struct w3s_buf *b,
    const uint8_t mmr_root[W3S_H256], uint64_t start_seq,
    const struct w3s_leaf *leaves, size_t nleaves, uint64_t used_bytes,
    uint64_t max_bytes);

#endif
