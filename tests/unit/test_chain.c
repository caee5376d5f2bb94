/* Chain-side rules (SPEC.md sections 7 to 10): ranges, sequence numbers,
 * historical roots, root matching, the bucket model and the check of a
 * challenge answer, with the goldens inline. */
#include <stdlib.h>
#include <string.h>

#include <w3s/buf.h>
#include <w3s/chain.h>
#include <w3s/hash.h>
#include <w3s/merkle.h>
#include <w3s/scale.h>

#include "tap.h"

static void
fill(uint8_t out[32], uint8_t byte)
{
	memset(out, byte, 32);
}

static void
test_ranges(void)
{
	struct w3s_commitment c;

	memset(&c, 0, sizeof(c));
	c.start_seq = 10;
	c.leaf_count = 5;
	is_int((long long)w3s_chain_range_end(&c), 15, "(10, 5) ends at 15");
	ok(!w3s_chain_range_contains(&c, 9) && w3s_chain_range_contains(&c, 10)
	    && w3s_chain_range_contains(&c, 14) &&
	    !w3s_chain_range_contains(&c, 15), "  covers 10..14");
	c.start_seq = UINT64_MAX - 2;
	c.leaf_count = 10;
	ok(w3s_chain_range_end(&c) == UINT64_MAX, "the end saturates");
	ok(w3s_chain_range_contains(&c, UINT64_MAX - 2) &&
	    w3s_chain_range_contains(&c, UINT64_MAX - 1), "  and still "
	    "contains the sequence numbers below it");
	is_int((long long)w3s_chain_leaf_seq(1, 1), 2,
	    "challenged seq = start_seq + leaf_index");
	ok(w3s_chain_leaf_seq(UINT64_MAX, 1) == UINT64_MAX,
	    "  saturating");
}

static void
test_historical(void)
{
	static const struct {
		uint64_t block;
		uint8_t root;
	} seq[] = { { 3, 1 }, { 5, 2 }, { 7, 3 }, { 12, 4 }, { 50, 5 },
		{ 113, 6 }, { 114, 7 } };
	static const uint32_t want_q[6] = { 38, 16, 10, 4, 2, 1 };
	static const uint8_t want_root[6] = { 7, 6, 6, 6, 6, 6 };
	struct w3s_chain_hist h[W3S_CHAIN_HIST_SLOTS];
	uint8_t root[32], zero[32] = { 0 };
	int good = 1;

	w3s_chain_hist_init(h);
	fill(root, 0xab);
	w3s_chain_hist_update(h, 2, root);
	ok(h[0].quotient == 0 && memcmp(h[0].root, zero, 32) == 0,
	    "a checkpoint at block 2 records nothing (quotient 0 == 0)");
	w3s_chain_hist_update(h, 3, root);
	ok(h[0].quotient == 1 && memcmp(h[0].root, root, 32) == 0 &&
	    h[1].quotient == 0, "block 3 fills the prime-3 slot only");

	w3s_chain_hist_init(h);
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		fill(root, seq[i].root);
		w3s_chain_hist_update(h, seq[i].block, root);
	}
	for (int i = 0; i < 6; i++) {
		fill(root, want_root[i]);
		if (h[i].quotient != want_q[i] ||
		    memcmp(h[i].root, root, 32) != 0)
			good = 0;
	}
	ok(good, "checkpoints at 3, 5, 7, 12, 50, 113, 114: slots "
	    "(38,07) (16,06) (10,06) (4,06) (2,06) (1,06)");
	fill(root, 9);
	w3s_chain_hist_update(h, (uint64_t)1 << 32, root);
	ok(h[0].quotient == 0 && memcmp(h[0].root, root, 32) == 0,
	    "a block over u32 counts as block 0");
	ok(w3s_chain_hist_primes[0] == 3 && w3s_chain_hist_primes[5] == 113,
	    "primes 3 .. 113");
}

static void
test_matching(void)
{
	struct w3s_chain_hist h[W3S_CHAIN_HIST_SLOTS];
	uint8_t roots[7][32], snap[32];
	int present[7] = { 0 }, pos = -1;
	struct w3s_err err;

	w3s_chain_hist_init(h);
	h[0].quotient = 4;
	fill(h[0].root, 4);
	h[1].quotient = 1;
	fill(h[1].root, 3);
	h[2].quotient = 1;
	fill(h[2].root, 4);
	fill(snap, 4);
	memset(roots, 0, sizeof(roots));

	fill(roots[0], 4);
	present[0] = 1;
	ok(w3s_chain_find_matching_root(snap, h, (const uint8_t (*)[32])roots,
	    present, NULL, &pos, &err) == 0 && pos == 0,
	    "roots[0] == snapshot root: position 0");
	fill(roots[0], 0xff);
	fill(roots[2], 3);
	present[2] = 1;
	ok(w3s_chain_find_matching_root(snap, h, (const uint8_t (*)[32])roots,
	    present, NULL, &pos, &err) == 0 && pos == 2,
	    "roots[2] == historical slot 1: position 2");
	present[2] = 0;
	is_int(w3s_chain_find_matching_root(snap, h,
	    (const uint8_t (*)[32])roots, present, NULL, &pos, &err),
	    W3S_EVERIFY, "nothing matches: InvalidSyncRoot");
	for (int i = 0; i < 7; i++) {
		fill(roots[i], 4);
		present[i] = 1;
	}
	ok(w3s_chain_find_matching_root(NULL, h, (const uint8_t (*)[32])roots,
	    present, NULL, &pos, &err) == 0 && pos == 1,
	    "no snapshot: the first historical match (position 1)");
	is_int(w3s_chain_find_matching_root(snap, h,
	    (const uint8_t (*)[32])roots, present, snap, &pos, &err),
	    W3S_ENOTAPPLY, "the matched root is the one already synced");
}

static void
commit_one(struct w3s_chain_bucket *b, uint64_t i, uint64_t size)
{
	uint8_t bytes[8], root[1][32];
	struct w3s_err err;

	/* The bucket_ops vectors' data roots: H(8 bytes of value i). */
	memset(bytes, (int)i, sizeof(bytes));
	w3s_hash_blake2b(root[0], bytes, sizeof(bytes));
	if (w3s_chain_bucket_commit(b, (const uint8_t (*)[32])root, &size, 1,
	    &err) != 0)
		abort();
}

static void
test_bucket(void)
{
	struct w3s_chain_bucket b;
	struct w3s_commitment c;
	struct w3s_err err;
	uint8_t zero[32] = { 0 };

	w3s_chain_bucket_init(&b);
	commit_one(&b, 0, 8);
	w3s_chain_bucket_commitment(&b, &c);
	is_hex(c.mmr_root, 32, "dfefc11d6c414c3974ed12eef333ddc6bb28ebd16027"
	    "8580bf37eef5101d8b85", "commit 1 leaf");
	commit_one(&b, 1, 8);
	commit_one(&b, 2, 8);
	w3s_chain_bucket_commitment(&b, &c);
	is_hex(c.mmr_root, 32, "c6e1f43417aac7f2a6a7b8056936f21240d798470ee8"
	    "53c7e66574fa2aa00797", "commit 3 leaves");
	ok(c.start_seq == 0 && c.leaf_count == 3 &&
	    b.leaves[2].total_size == 24, "  (root, 0, 3), total_size 24");
	ok(w3s_chain_bucket_delete_before(&b, 0, &err) == 0 &&
	    b.nleaves == 3, "delete_before(start_seq): no change");
	ok(w3s_chain_bucket_delete_before(&b, 4, &err) == 0 &&
	    b.nleaves == 3, "delete_before past the end: no change");
	ok(w3s_chain_bucket_delete_before(&b, 1, &err) == 0, "delete_before(1)");
	w3s_chain_bucket_commitment(&b, &c);
	is_hex(c.mmr_root, 32, "904ce0d6ca6fd596ee3270f3b912b520cdfeccb8ecf8"
	    "aad3f9de281ca557ab19", "  rebuilt from scratch over 2 leaves");
	ok(c.start_seq == 1 && c.leaf_count == 2 &&
	    b.leaves[0].total_size == 16 && b.leaves[1].total_size == 24,
	    "  start_seq 1; survivors keep total_size 16, 24");
	ok(w3s_chain_bucket_delete_before(&b, 0, &err) == 0 &&
	    b.nleaves == 2 && b.start_seq == 1,
	    "delete_before below start_seq wraps on chain: no change");
	w3s_chain_bucket_release(&b);

	w3s_chain_bucket_init(&b);
	commit_one(&b, 0, 8);
	commit_one(&b, 1, 8);
	ok(w3s_chain_bucket_delete_before(&b, 2, &err) == 0, "delete all");
	w3s_chain_bucket_commitment(&b, &c);
	ok(memcmp(c.mmr_root, zero, 32) == 0 && c.start_seq == 2 &&
	    c.leaf_count == 0, "  zero root, (zero, 2, 0)");
	commit_one(&b, 2, 8);
	w3s_chain_bucket_commitment(&b, &c);
	is_hex(c.mmr_root, 32, "d4c42b6372c1ecfed6b9e5bc1e582fd805219fdb0ce4"
	    "224cb77138a6d8293e2d", "  a new commit restarts total_size at 0");
	ok(b.leaves[0].total_size == 8, "  total_size 8");
	w3s_chain_bucket_release(&b);
}

/* Six one-chunk files "file <i> contents", committed; each answer is
 * accepted at its own index only (challenge_binds_leaf_index). */
static void
test_challenge(void)
{
	struct w3s_merkle_proof cp, cp2;
	struct w3s_mmr_proof mp, mp2;
	struct w3s_chain_bucket b;
	struct w3s_commitment c;
	struct w3s_mmr_store s;
	const uint8_t *chunk;
	uint8_t roots[6][32], big_root[32];
	uint64_t sizes[6];
	char text[6][16];
	struct w3s_err err;
	struct w3s_buf buf;
	struct w3s_rd r;
	int own = 1, others = 1, unbound = 1;
	size_t len;
	uint8_t *big;

	w3s_chain_bucket_init(&b);
	for (int i = 0; i < 6; i++) {
		snprintf(text[i], sizeof(text[i]), "file %d contents", i);
		w3s_hash_blake2b(roots[i], text[i], 15);
		sizes[i] = 15;
	}
	if (w3s_chain_bucket_commit(&b, (const uint8_t (*)[32])roots, sizes,
	    6, &err) != 0)
		abort();
	w3s_chain_bucket_commitment(&b, &c);
	is_hex(c.mmr_root, 32, "2526a0acbf82dd982b3f4345d3dd5c218b156c5655be"
	    "cd0d1ce3c618204c2863", "six files: root");
	s = w3s_mmr_mem_store(&b.mmr);
	memset(&cp, 0, sizeof(cp));
	for (uint64_t k = 0; k < 6; k++) {
		if (w3s_mmr_prove(&s, 6, k, &b.leaves[k], &mp, &err) != 0)
			abort();
		w3s_buf_init(&buf);
		w3s_challenge_proof_encode(&buf, (const uint8_t *)text[k], 15,
		    &mp, &cp);
		w3s_rd_init(&r, buf.data, buf.len);
		if (w3s_challenge_proof_decode(&r, &chunk, &len, &mp2, &cp2,
		    &err) != 0)
			abort();
		for (uint64_t j = 0; j < 7; j++) {
			int rc = w3s_chain_verify_proof_response(chunk, len, 0,
			    &cp2, &mp2, W3S_CHAIN_MMR_BOUND, j, 6,
			    c.mmr_root);

			if (j == k && rc != 0)
				own = 0;
			if (j != k && rc != W3S_EVERIFY)
				others = 0;
			if (w3s_chain_verify_proof_response(chunk, len, 0,
			    &cp2, &mp2, W3S_CHAIN_MMR_UNBOUND, j, 6,
			    c.mmr_root) != 0)
				unbound = 0;
		}
		w3s_buf_release(&buf);
	}
	ok(own, "each answer passes the bound check at its own index");
	ok(others, "  and fails at every other index, 6 included");
	ok(unbound, "the older 2-argument check accepts any index");
	w3s_mmr_prove(&s, 6, 5, &b.leaves[5], &mp, &err);
	is_int(w3s_chain_verify_proof_response((const uint8_t *)"forged bytes",
	    12, 0, &cp, &mp, W3S_CHAIN_MMR_BOUND, 5, 6, c.mmr_root),
	    W3S_EVERIFY, "forged chunk bytes fail");

	/* A chunk over 262144 bytes never passes, even if it hashes up. */
	big = calloc(1, 262145);
	w3s_hash_blake2b(big_root, big, 262145);
	memcpy(mp.leaf.data_root, big_root, 32);
	is_int(w3s_chain_verify_proof_response(big, 262145, 0, &cp, &mp,
	    W3S_CHAIN_MMR_UNBOUND, 5, 6, c.mmr_root), W3S_EVERIFY,
	    "a chunk of 262145 bytes fails");
	free(big);
	w3s_chain_bucket_release(&b);
}

int
main(void)
{
	test_ranges();
	test_historical();
	test_matching();
	test_bucket();
	test_challenge();
	return tap_done();
}
