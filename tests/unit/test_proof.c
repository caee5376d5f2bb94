/* Unit tests of lib/proof.c: challenge answers against the current and an
 * older commitment and their check under the chain's rules, the sample
 * position derivation, Proof-of-Sync made, checked and tampered with, and
 * the anchoring rule. */
#include <stdlib.h>
#include <string.h>

#include <w3s/chunk.h>
#include <w3s/hash.h>
#include <w3s/proof.h>

#include "fixture_bucket.h"
#include "tap.h"

static int
answer_ok(struct w3s_bucket *b, const struct w3s_commitment *c, uint64_t leaf,
    uint64_t chunk)
{
	struct w3s_err err = { 0 };
	struct w3s_buf a;
	int rc;

	w3s_buf_init(&a);
	rc = w3s_proof_answer(b, c, leaf, chunk, &a, &err);
	if (rc == 0)
		rc = w3s_proof_check_answer(a.data, a.len, c->mmr_root, leaf,
		    chunk, c->leaf_count, NULL, &err);
	if (rc != 0)
		printf("# %s\n", err.msg);
	w3s_buf_release(&a);
	return rc;
}

int
main(void)
{
	static const size_t first[] = { 600000, 1, 0 }, later[] = { 300000 };
	struct w3s_store *st = fx_store(7);
	struct w3s_bucket *b = fx_bucket(st, 3, 1);
	struct w3s_commitment c1, c2, found;
	struct w3s_err err = { 0 };
	struct w3s_pos_info info;
	struct w3s_key *other = NULL;
	uint8_t seed[32], pub[32], nonce[4] = { 1, 2, 3, 4 }, secret[32];
	struct w3s_buf a, proof, bad;
	int all = 1, rc;

	w3s_buf_init(&a);
	w3s_buf_init(&proof);
	w3s_buf_init(&bad);
	fx_add(b, first, 3, &c1);
	fx_add(b, later, 1, &c2);

	for (uint64_t leaf = 0; leaf < 4; leaf++) {
		struct w3s_segment seg;

		if (w3s_bucket_segment(b, leaf, &seg, &err) != 0)
			fx_die("segment", &err);
		for (uint64_t k = 0; k < seg.chunk_count; k++)
			all &= answer_ok(b, &c2, leaf, k) == 0;
	}
	ok(all, "every chunk of every leaf answers and verifies");
	ok(answer_ok(b, &c1, 2, 0) == 0, "an older commitment: its prefix");
	ok(w3s_proof_find_commitment(b, c1.mmr_root, &found, &err) == 0 &&
	    found.leaf_count == 3, "the older commitment is found by its root");
	ok(w3s_proof_answer(b, &c1, 3, 0, &a, &err) == W3S_ENOTAPPLY,
	    "a leaf past the commitment does not apply");
	ok(w3s_proof_answer(b, &c2, 1, 1, &a, &err) == W3S_ENOTAPPLY,
	    "a chunk past the segment does not apply");
	a.len = 0;
	ok(w3s_proof_answer(b, &c2, 0, 1, &a, &err) == 0, "an answer");
	ok(w3s_proof_check_answer(a.data, a.len, c2.mmr_root, 1, 1, 4, NULL,
	    &err) == W3S_EVERIFY, "presented for another leaf it fails");
	ok(w3s_proof_check_answer(a.data, a.len, c2.mmr_root, 0, 1, 3, NULL,
	    &err) == W3S_EVERIFY, "with another leaf count it fails");
	a.data[10] ^= 1;
	ok(w3s_proof_check_answer(a.data, a.len, c2.mmr_root, 0, 1, 4, NULL,
	    &err) == W3S_EVERIFY, "a flipped chunk byte fails");
	ok(w3s_proof_check_answer(a.data, a.len - 1, c2.mmr_root, 0, 1, 4,
	    NULL, &err) == W3S_EMALFORMED, "a truncated answer is malformed");

	/* Positions: the seed is H(nonce || root || key). */
	{
		uint8_t in[4 + 32 + 32], want[32];

		w3s_key_public(fx_key, pub);
		memcpy(in, nonce, 4);
		memcpy(in + 4, c2.mmr_root, 32);
		memcpy(in + 36, pub, 32);
		w3s_hash_blake2b(want, in, sizeof(in));
		w3s_pos_seed(nonce, 4, c2.mmr_root, pub, seed);
		ok(memcmp(seed, want, 32) == 0, "the seed");
		memcpy(in, seed, 32);
		w3s_put_u64le(in + 32, 5);
		w3s_hash_blake2b(want, in, 40);
		is_int((long long)w3s_pos_leaf(seed, 5, 4),
		    (long long)(w3s_get_u64le(want) % 4), "leaf of sample 5");
		is_int((long long)w3s_pos_chunk(seed, 5, 3),
		    (long long)(w3s_get_u64le(want + 8) % 3),
		    "chunk of sample 5");
	}

	rc = w3s_pos_make(b, fx_key, nonce, 4, 16, 1700000000, &proof, &err);
	ok(rc == 0, "a Proof-of-Sync of the signer's own bucket");
	memset(&info, 0, sizeof(info));
	rc = w3s_pos_check(proof.data, proof.len, c2.mmr_root, pub, nonce, 4,
	    &info, &err);
	ok(rc == 0 && info.samples == 16 && info.time == 1700000000 &&
	    info.bucket == 3, "it checks");
	w3s_pos_info_release(&info);
	ok(w3s_pos_check(proof.data, proof.len, c1.mmr_root, NULL, NULL, 0,
	    NULL, &err) == W3S_EVERIFY, "not under another root");
	nonce[0] ^= 1;
	ok(w3s_pos_check(proof.data, proof.len, c2.mmr_root, NULL, nonce, 4,
	    NULL, &err) == W3S_EVERIFY, "not for another nonce");
	all = 1;
	for (size_t i = 0; i < proof.len; i += proof.len / 97 + 1) {
		bad.len = 0;
		w3s_buf_put(&bad, proof.data, proof.len);
		bad.data[i] ^= 0x10;
		all &= w3s_pos_check(bad.data, bad.len, c2.mmr_root, NULL, NULL,
		    0, NULL, &err) == W3S_EVERIFY;
	}
	ok(all, "a changed byte anywhere fails");

	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)(200 - i);
	if (w3s_key_from_raw_private(secret, &other, &err) != 0)
		fx_die("key", &err);
	proof.len = 0;
	ok(w3s_pos_make(b, other, nonce, 4, 4, 0, &proof, &err) ==
	    W3S_ENOTAPPLY, "another node's key: unanchored, refused");
	w3s_key_public(other, pub);
	ok(w3s_bucket_key_add(b, W3S_ROLE_PRIMARY, pub, &err) == 0,
	    "trust another primary");
	w3s_key_public(fx_key, pub);
	ok(w3s_pos_anchored(b, pub, &err) == W3S_ENOTAPPLY, "then the"
	    " checkpoint by the node's key alone does not anchor it");

	w3s_key_free(other);
	w3s_buf_release(&a);
	w3s_buf_release(&proof);
	w3s_buf_release(&bad);
	w3s_bucket_close(b);
	w3s_store_close(st);
	fx_cleanup();
	return tap_done();
}
