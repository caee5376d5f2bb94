/* Merkle Mountain Range (SPEC.md section 5): positions, peaks, bagging,
 * append through the store, proofs and the three verifiers, with the
 * goldens inline, and a counting store that shows appends and proofs touch
 * O(log n) nodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <w3s/hash.h>
#include <w3s/hex.h>
#include <w3s/mmr.h>
#include <w3s/scale.h>

#include "tap.h"

static void
unhex(uint8_t *out, size_t len, const char *hex)
{
	if (w3s_hex_decode(out, len, hex, strlen(hex), NULL) != 0)
		abort();
}

/* The leaf_i vectors: leaf hash i = H("leaf<i>"). */
static void
leaf_i(uint8_t out[32], unsigned i)
{
	char s[32];

	snprintf(s, sizeof(s), "leaf%u", i);
	w3s_hash_blake2b(out, s, strlen(s));
}

static void
test_positions(void)
{
	static const uint64_t pos[16] = { 0, 1, 3, 4, 7, 8, 10, 11, 15, 16,
		18, 19, 22, 23, 25, 26 };
	static const uint64_t count[16] = { 1, 3, 4, 7, 8, 10, 11, 15, 16, 18,
		19, 22, 23, 25, 26, 31 };
	uint64_t peaks[W3S_MMR_MAX_PEAKS];
	int pos_ok = 1, count_ok = 1;
	size_t k;

	for (unsigned i = 0; i < 16; i++) {
		if (w3s_mmr_leaf_pos(i) != pos[i])
			pos_ok = 0;
		if (w3s_mmr_node_count(i + 1) != count[i])
			count_ok = 0;
	}
	ok(pos_ok, "leaf positions 0..15");
	ok(count_ok, "node counts for 1..16 leaves");
	k = w3s_mmr_peak_positions(7, peaks);
	ok(k == 3 && peaks[0] == 6 && peaks[1] == 9 && peaks[2] == 10,
	    "7 leaves: peaks at 6, 9, 10");
	is_int((long long)w3s_mmr_peak_positions(0, peaks), 0,
	    "no leaves, no peaks");
	k = w3s_mmr_peak_positions(((uint64_t)1 << 40) - 1, peaks);
	ok(k == 40 && peaks[39] == w3s_mmr_node_count(((uint64_t)1 << 40) - 1)
	    - 1, "2^40 - 1 leaves: 40 peaks, the last at the last node");
}

static void
test_bag_and_roots(void)
{
	static const struct {
		unsigned n;
		const char *root;
	} golden[] = {
		{ 1, "46677fa286ae83475967b8a79cbb0d5f3b3d2af015146bc9e0263f2a"
		    "063d8517" },
		{ 3, "93e2f7de7f02fdd524001cad9b634c2dee1976a53d7829df1a906124"
		    "584129a4" },
		{ 7, "8dc64681f08395381b8df567db2a98d8900c4570b75b3cd42a9957e3"
		    "00511c85" },
		{ 11, "23822692d400d9a1b76baf29d3be4653347d9173d96599167692cbf6"
		    "1f28bd41" },
		{ 16, "dc3df68e1432aa61b9fae4f3aefc77af23149d9f17f6a9f751b35339"
		    "988f3e65" },
	};
	uint8_t p[3][32], want[32], root[32];
	struct w3s_leaf hello, bye;
	struct w3s_mmr_mem m;
	struct w3s_err err;
	uint8_t h[32];
	unsigned added = 0;

	memset(p, 0, sizeof(p));
	p[0][0] = 1;
	p[1][0] = 2;
	p[2][0] = 3;
	w3s_hash_children(want, p[1], p[2]);
	w3s_hash_children(want, p[0], want);
	w3s_mmr_bag((const uint8_t (*)[32])p, 3, root);
	ok(memcmp(root, want, 32) == 0, "bag folds right to left: "
	    "H(P0 || H(P1 || P2))");
	w3s_mmr_bag((const uint8_t (*)[32])p, 1, root);
	ok(memcmp(root, p[0], 32) == 0, "one peak is the root");
	w3s_mmr_bag(NULL, 0, root);
	memset(want, 0, 32);
	ok(memcmp(root, want, 32) == 0, "no peaks: zero root");

	w3s_mmr_mem_init(&m);
	w3s_mmr_mem_root(&m, root);
	ok(memcmp(root, want, 32) == 0, "empty MMR: zero root");
	for (size_t g = 0; g < sizeof(golden) / sizeof(golden[0]); g++) {
		char name[64];

		while (added < golden[g].n) {
			leaf_i(h, added++);
			w3s_mmr_mem_append(&m, h, &err);
		}
		w3s_mmr_mem_root(&m, root);
		snprintf(name, sizeof(name), "root of leaf0..leaf%u",
		    golden[g].n - 1);
		is_hex(root, 32, golden[g].root, name);
	}
	w3s_mmr_mem_release(&m);

	unhex(hello.data_root, 32, "256c83b297114d201b30179f3f0ef0cace978362"
	    "2da5974326b436178aeef610");
	hello.data_size = 11;
	hello.total_size = 11;
	unhex(bye.data_root, 32, "13d4600c46791dbc2e53c45a21829d808ec8a5f44f"
	    "92e2aa905a28eaa89889b7");
	bye.data_size = 12;
	bye.total_size = 23;
	w3s_mmr_mem_init(&m);
	w3s_leaf_hash(&hello, h);
	w3s_mmr_mem_append(&m, h, &err);
	w3s_mmr_mem_root(&m, root);
	is_hex(root, 32, "ec89c4bb9c2abf33c7d090e64b3d53f3886518930c61cf9b9a"
	    "0b866eff2406c9", "\"hello world\" alone: root is its leaf hash");
	w3s_leaf_hash(&bye, h);
	w3s_mmr_mem_append(&m, h, &err);
	w3s_mmr_mem_root(&m, root);
	is_hex(root, 32, "051cfeb922130ffefe7a9f68875b61fe1fa057dd90ad33d6c8"
	    "c21592d9cc9c2b", "plus \"goodbye moon\"");
	w3s_mmr_mem_release(&m);
}

/* A store over a memory MMR that counts node accesses. */
struct counting {
	struct w3s_mmr_mem *m;
	struct w3s_mmr_store inner;
	unsigned long gets, puts;
};

static int
c_get(void *ctx, uint64_t pos, uint8_t out[32], struct w3s_err *err)
{
	struct counting *c = ctx;

	c->gets++;
	return c->inner.get(c->inner.ctx, pos, out, err);
}

static int
c_put(void *ctx, uint64_t pos, const uint8_t node[32], struct w3s_err *err)
{
	struct counting *c = ctx;

	c->puts++;
	return c->inner.put(c->inner.ctx, pos, node, err);
}

static unsigned
log2_ceil(uint64_t n)
{
	unsigned d = 0;

	while (((uint64_t)1 << d) < n)
		d++;
	return d;
}

static void
test_store_costs(void)
{
	enum { N = 5000 };
	struct w3s_mmr_store s = { 0 };
	struct w3s_mmr_proof p;
	struct counting c;
	struct w3s_mmr_mem m;
	struct w3s_err err;
	struct w3s_leaf leaf;
	uint8_t h[32], root[32];
	int append_ok = 1, prove_ok = 1, verify_ok = 1;

	w3s_mmr_mem_init(&m);
	c.m = &m;
	c.inner = w3s_mmr_mem_store(&m);
	s.ctx = &c;
	s.get = c_get;
	s.put = c_put;
	memset(&leaf, 0, sizeof(leaf));
	for (uint64_t n = 0; n < N; n++) {
		leaf.data_size = n;
		leaf.total_size = n * (n + 1) / 2;
		w3s_leaf_hash(&leaf, h);
		c.gets = c.puts = 0;
		if (w3s_mmr_append(&s, n, h, &err) != 0)
			append_ok = 0;
		m.leaves = n + 1;
		/* One leaf, one parent per merge, one read per merge. */
		if (c.puts > 1 + log2_ceil(N) || c.gets > log2_ceil(N) ||
		    m.len != w3s_mmr_node_count(n + 1))
			append_ok = 0;
	}
	ok(append_ok, "append writes the leaf and its parents only "
	    "(<= log2 n + 1 writes)");
	w3s_mmr_root(&s, N, root, &err);
	for (uint64_t k = 0; k < N; k += 37) {
		leaf.data_size = k;
		leaf.total_size = k * (k + 1) / 2;
		c.gets = c.puts = 0;
		if (w3s_mmr_prove(&s, N, k, &leaf, &p, &err) != 0 ||
		    c.puts != 0 || c.gets > 1 + log2_ceil(N) + 64)
			prove_ok = 0;
		if (w3s_mmr_verify_bound(&p, k, N, root) != 0 ||
		    w3s_mmr_verify(&p, root) != 0)
			verify_ok = 0;
	}
	ok(prove_ok, "a proof reads one path and the peaks only");
	ok(verify_ok, "proofs of 5000-leaf MMR verify (2- and 4-argument)");
	w3s_mmr_mem_release(&m);
}

static void
test_proofs(void)
{
	struct w3s_leaf leaves[40];
	struct w3s_mmr_store s;
	struct w3s_mmr_proof p;
	struct w3s_mmr_mem m;
	struct w3s_err err;
	uint8_t h[32], root[32];
	int two = 1, bound = 1, others = 1, last = 1, count = 1;

	w3s_mmr_mem_init(&m);
	s = w3s_mmr_mem_store(&m);
	for (unsigned i = 0; i < 40; i++) {
		memset(&leaves[i], 0, sizeof(leaves[i]));
		leaf_i(leaves[i].data_root, i);
		leaves[i].data_size = i + 1;
		leaves[i].total_size = (uint64_t)(i + 1) * (i + 2) / 2;
	}
	for (uint64_t n = 1; n <= 40; n++) {
		w3s_leaf_hash(&leaves[n - 1], h);
		w3s_mmr_mem_append(&m, h, &err);
		w3s_mmr_mem_root(&m, root);
		for (uint64_t k = 0; k < n; k++) {
			if (w3s_mmr_prove(&s, n, k, &leaves[k], &p, &err) != 0)
				two = 0;
			if (w3s_mmr_verify(&p, root) != 0)
				two = 0;
			if (w3s_mmr_verify_bound(&p, k, n, root) != 0)
				bound = 0;
			for (uint64_t j = 0; j < n + 2; j++)
				if (j != k &&
				    w3s_mmr_verify_bound(&p, j, n, root) == 0)
					others = 0;
			/* The root does not commit to the count: a wrong
			 * count is caught only where it moves the leaf's
			 * peak or the peak count, which it always does for
			 * the last leaf. */
			if (k == n - 1 &&
			    w3s_mmr_verify_bound(&p, k, n + 1, root) == 0)
				count = 0;
			if ((w3s_mmr_verify_last(&p, root, n) == 0) !=
			    (k == n - 1))
				last = 0;
		}
	}
	ok(two, "every leaf of MMRs of 1..40 leaves: 2-argument verify");
	ok(bound, "  4-argument verify at its own index");
	ok(others, "  4-argument verify fails at every other index");
	ok(count, "  4-argument verify of the last leaf fails with leaf_count + 1");
	ok(last, "  last-leaf verify passes for the last leaf only");

	/* A proof reused for an older commitment of the same MMR (a prefix
	 * of it): the nodes below node_count(n_old) do not change. */
	{
		uint8_t old_root[32];
		struct w3s_mmr_mem m2;

		w3s_mmr_mem_init(&m2);
		for (unsigned i = 0; i < 21; i++) {
			w3s_leaf_hash(&leaves[i], h);
			w3s_mmr_mem_append(&m2, h, &err);
		}
		w3s_mmr_mem_root(&m2, old_root);
		w3s_mmr_mem_release(&m2);
		ok(w3s_mmr_prove(&s, 21, 5, &leaves[5], &p, &err) == 0 &&
		    w3s_mmr_verify_bound(&p, 5, 21, old_root) == 0,
		    "a proof against an older leaf count of the same MMR");
	}

	is_int(w3s_mmr_prove(&s, 40, 40, &leaves[0], &p, &err), W3S_EUSAGE,
	    "prove: leaf 40 of 40 is out of range");
	is_int(w3s_mmr_prove(&s, 40, 3, &leaves[4], &p, &err), W3S_EVERIFY,
	    "prove: a leaf that is not the stored one is refused");
	ok(w3s_mmr_prove(&s, 40, 3, NULL, &p, &err) == 0,
	    "prove: without a leaf value (hash-only MMR)");
	p.npeaks = W3S_MMR_MAX_PEAKS + 1;
	is_int(w3s_mmr_verify(&p, root), W3S_EVERIFY,
	    "verify: a peak count over the bound fails, not overflows");
	w3s_mmr_prove(&s, 40, 3, &leaves[3], &p, &err);
	p.leaf.total_size++;
	is_int(w3s_mmr_verify(&p, root), W3S_EVERIFY,
	    "verify: a changed leaf fails");
	is_int(w3s_mmr_verify_last(&p, root, 0), W3S_EVERIFY,
	    "last-leaf verify with n = 0 fails");
	memset(h, 0, 32);
	is_int(s.get(s.ctx, w3s_mmr_node_count(40), h, &err), W3S_EINCOMPLETE,
	    "memory store: reading past the end");
	is_int(s.put(s.ctx, 3, h, &err), W3S_EUSAGE,
	    "memory store: writing out of order");
	w3s_mmr_mem_release(&m);
}

/* The TS 3-leaf MMR: leaves {H(0i), 1, i} for i = 1..3. */
static void
test_ts_vectors(void)
{
	struct w3s_leaf l[3];
	struct w3s_mmr_proof p;
	struct w3s_mmr_store s;
	struct w3s_mmr_mem m;
	struct w3s_err err;
	uint8_t h[32], root[32], zero[32] = { 0 };

	w3s_mmr_mem_init(&m);
	s = w3s_mmr_mem_store(&m);
	for (int i = 0; i < 3; i++) {
		uint8_t b = (uint8_t)(i + 1);

		w3s_hash_blake2b(l[i].data_root, &b, 1);
		l[i].data_size = 1;
		l[i].total_size = (uint64_t)i + 1;
		w3s_leaf_hash(&l[i], h);
		w3s_mmr_mem_append(&m, h, &err);
	}
	w3s_mmr_mem_root(&m, root);
	is_hex(root, 32, "76a984573af03c1324d1ffbc64966852657ae4482feff12cdd"
	    "a7dfe2c451d5bb", "TS 3 leaves: root H(H(h0 || h1) || h2)");
	w3s_mmr_prove(&s, 3, 1, &l[1], &p, &err);
	is_hex(p.peaks[0], 32, "5bdc1f3b744d4a53805d8454d197a241e6b86b11d955"
	    "0fa5b6713ef07c5981e7", "  first peak");
	ok(p.leaf_proof.depth == 1 && p.leaf_proof.path[0] == 1,
	    "  leaf 1: one sibling, on the left");
	is_int(w3s_mmr_verify(&p, zero), W3S_EVERIFY,
	    "  a zero root fails");
	is_int(w3s_mmr_verify_last(&p, root, 3), W3S_EVERIFY,
	    "  leaf 1 is not the last");
	w3s_mmr_prove(&s, 3, 2, &l[2], &p, &err);
	is_int(w3s_mmr_verify_last(&p, root, 3), 0, "  leaf 2 is the last");
	is_int(w3s_mmr_verify_last(&p, root, 4), W3S_EVERIFY,
	    "  but not with a count of 4");
	w3s_mmr_mem_release(&m);
}

int
main(void)
{
	test_positions();
	test_bag_and_roots();
	test_store_costs();
	test_proofs();
	test_ts_vectors();
	return tap_done();
}
