/* Challenge answers and Proof-of-Sync (lib/proof.c), the checks a
 * verifier makes of what a node sends, without a store.
 *
 * Input: a selector byte. Even: leaf index, chunk index and leaf count
 * (one byte each) and a SCALE ChallengeResponse, checked against the root
 * its own peaks bag to (so good answers get past the root) and against a
 * zero root. Odd: a Proof-of-Sync (DAG-CBOR), checked once against a zero
 * root and again against the root it names. */
#include <string.h>

#include <w3s/mmr.h>
#include <w3s/proof.h>
#include <w3s/scale.h>

#include "fuzz.h"

static void
answer(const uint8_t *data, size_t size)
{
	static const uint8_t zero[W3S_H256];
	struct w3s_merkle_proof *cp = malloc(sizeof(*cp));
	struct w3s_mmr_proof *mmr = malloc(sizeof(*mmr));
	uint8_t root[W3S_H256];
	uint64_t leaf_index, chunk_index, leaf_count;
	const uint8_t *chunk;
	struct w3s_leaf leaf;
	struct w3s_err err;
	struct w3s_rd r;
	size_t chunk_len;
	int rc;

	if (cp == NULL || mmr == NULL || size < 3)
		goto done;
	leaf_index = data[0];
	chunk_index = data[1];
	leaf_count = data[2];
	data += 3;
	size -= 3;
	memcpy(root, zero, sizeof(root));
	w3s_rd_init(&r, data, size);
	if (w3s_challenge_proof_decode(&r, &chunk, &chunk_len, mmr, cp,
	    &err) == 0)
		w3s_mmr_bag((const uint8_t (*)[W3S_H256])mmr->peaks,
		    mmr->npeaks, root);
	rc = w3s_proof_check_answer(data, size, root, leaf_index, chunk_index,
	    leaf_count, &leaf, &err);
	FUZZ_ASSERT(rc == 0 || rc == W3S_EVERIFY || rc == W3S_EMALFORMED ||
	    rc == W3S_ESYS);
	rc = w3s_proof_check_answer(data, size, zero, leaf_index, chunk_index,
	    leaf_count, NULL, &err);
	FUZZ_ASSERT(rc == 0 || rc == W3S_EVERIFY || rc == W3S_EMALFORMED ||
	    rc == W3S_ESYS);
done:
	free(cp);
	free(mmr);
}

static void
proof_of_sync(const uint8_t *data, size_t size)
{
	static const uint8_t zero[W3S_H256];
	struct w3s_pos_info *info = calloc(1, sizeof(*info));
	uint8_t root[W3S_H256];
	struct w3s_err err;
	int rc;

	if (info == NULL)
		return;
	rc = w3s_pos_check(data, size, zero, NULL, NULL, 0, info, &err);
	FUZZ_ASSERT(rc == 0 || rc == W3S_EVERIFY || rc == W3S_EMALFORMED ||
	    rc == W3S_ESYS);
	memcpy(root, info->commitment.mmr_root, sizeof(root));
	w3s_pos_info_release(info);
	memset(info, 0, sizeof(*info));
	rc = w3s_pos_check(data, size, root, NULL, NULL, 0, info, &err);
	FUZZ_ASSERT(rc == 0 || rc == W3S_EVERIFY || rc == W3S_EMALFORMED ||
	    rc == W3S_ESYS);
	if (rc == 0)
		FUZZ_ASSERT(info->samples == 0 || info->positions != NULL);
	w3s_pos_info_release(info);
	free(info);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		proof_of_sync(data + 1, size - 1);
	else
		answer(data + 1, size - 1);
	return 0;
}
