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

void w3s_scale_put_compact(struct w3s_buf *b, uint64_t n);
int w3s_scale_get_compact(struct w3s_rd *r, uint64_t *n, struct w3s_err *err);
/* c(len) || bytes */
void w3s_scale_put_bytes(struct w3s_buf *b, const uint8_t *data, size_t len);

void w3s_leaf_encode(const struct w3s_leaf *leaf,
    uint8_t out[W3S_LEAF_ENC_LEN]);
int w3s_leaf_decode(struct w3s_rd *r, struct w3s_leaf *leaf,
    struct w3s_err *err);
/* H(SCALE(leaf)) */
void w3s_leaf_hash(const struct w3s_leaf *leaf, uint8_t out[W3S_H256]);

void w3s_commitment_encode(const struct w3s_commitment *c,
    uint8_t out[W3S_COMMITMENT_ENC_LEN]);
/* CommitmentPayload v1: 0x01 || bucket u64 || commitment (57 bytes). */
void w3s_payload_v1_encode(uint64_t bucket, const struct w3s_commitment *c,
    uint8_t out[W3S_PAYLOAD_V1_LEN]);
/* v2 (nonce era, legacy): 0x02 || bucket || commitment || nonce. */
void w3s_payload_v2_encode(uint64_t bucket, const struct w3s_commitment *c,
    uint64_t nonce, uint8_t out[W3S_PAYLOAD_V2_LEN]);

void w3s_merkle_proof_encode(struct w3s_buf *b,
    const struct w3s_merkle_proof *p);
int w3s_merkle_proof_decode(struct w3s_rd *r, struct w3s_merkle_proof *p,
    struct w3s_err *err);
void w3s_mmr_proof_encode(struct w3s_buf *b, const struct w3s_mmr_proof *p);
int w3s_mmr_proof_decode(struct w3s_rd *r, struct w3s_mmr_proof *p,
    struct w3s_err *err);

/* [Option<H256>; 7]: present[i] says whether roots[i] is Some. */
void w3s_sync_roots_encode(struct w3s_buf *b,
    const uint8_t roots[W3S_SYNC_ROOTS][W3S_H256],
    const int present[W3S_SYNC_ROOTS]);

/* ChallengeResponse::Proof = 00 || c(len) chunk || MmrProof || MerkleProof.
 * A chunk longer than 262144 bytes is refused by the decoder. */
void w3s_challenge_proof_encode(struct w3s_buf *b, const uint8_t *chunk,
    size_t chunk_len, const struct w3s_mmr_proof *mmr,
    const struct w3s_merkle_proof *chunk_proof);
/* Decodes a Proof answer; *chunk borrows from the reader's input. The whole
 * input must be consumed (trailing bytes are W3S_EMALFORMED). */
int w3s_challenge_proof_decode(struct w3s_rd *r, const uint8_t **chunk,
    size_t *chunk_len, struct w3s_mmr_proof *mmr,
    struct w3s_merkle_proof *chunk_proof, struct w3s_err *err);
/* ChallengeResponse::Deleted with an Ed25519 MultiSignature. */
void w3s_challenge_deleted_encode(struct w3s_buf *b,
    const uint8_t new_mmr_root[W3S_H256], uint64_t new_start_seq,
    const uint8_t admin[32], const uint8_t sig[W3S_SIG_LEN]);

#endif
