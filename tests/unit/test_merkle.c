/* The padded Merkle tree: SPEC.md section 3 goldens inline, the chain
 * verifier's quirks, the strict TS verifier, and the streaming builder
 * against the array version for n = 0..70 and some large n. */
#include <stdlib.h>
#include <string.h>

#include <w3s/hash.h>
#include <w3s/merkle.h>

#include "tap.h"

/* H(01) .. H(05): the leaves of the TS tests. */
static uint8_t byte_leaf[5][32];

/* Leaf i of the generated trees: H(u64 LE i). */
static void
gen_leaves(uint8_t (*out)[32], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t le[8];

		for (int b = 0; b < 8; b++)
			le[b] = (uint8_t)((uint64_t)i >> (8 * b));
		w3s_hash_blake2b(out[i], le, sizeof(le));
	}
}

static void
streamed_root(const uint8_t (*leaves)[32], size_t n, uint8_t root[32])
{
	struct w3s_merkle_builder mb;

	w3s_merkle_builder_init(&mb);
	for (size_t i = 0; i < n; i++)
		w3s_merkle_builder_push(&mb, leaves[i]);
	w3s_merkle_builder_finish(&mb, root);
}

static void
test_goldens(void)
{
	static const char *roots[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"ee155ace9c40292074cb6aff8c9ccdd273c81648ff1149ef36bcea6ebb8a3e25",
		"5a3746f7ad1bece55c75e3cd11d299fe5f3e4f4fb03035e3b8d87d182d705de7",
		"b00ba4725e9a6c357dfffcf32d0ea9f2b73418705bdab4ea5a602cac23fbc650",
		"114d5dc3c70125a2159b283e59b8ac4330014aa80cccdad51d5ee18f02c37a7e",
		"7446097a7e2bbb1beb0a1bb3d8cbf29b23cc06d74c745f18b201d23c2656e0dc",
	};
	uint8_t root[32];
	char name[64];

	for (int i = 0; i < 5; i++) {
		uint8_t b = (uint8_t)(i + 1);

		w3s_hash_blake2b(byte_leaf[i], &b, 1);
	}
	is_hex(byte_leaf[0], 32, roots[1], "H(01)");
	for (size_t n = 0; n <= 5; n++) {
		snprintf(name, sizeof(name), "root of H(01)..H(0%zu)", n);
		w3s_merkle_root((const uint8_t (*)[32])byte_leaf, n, root);
		is_hex(root, 32, roots[n], name);
		snprintf(name, sizeof(name), "streamed root of %zu leaves", n);
		streamed_root((const uint8_t (*)[32])byte_leaf, n, root);
		is_hex(root, 32, roots[n], name);
	}
}

static void
test_proofs(void)
{
	struct w3s_merkle_proof p;
	struct w3s_err err;
	uint8_t root[32], zero[32] = { 0 };

	ok(w3s_merkle_prove((const uint8_t (*)[32])byte_leaf, 5, 4, &p,
	    &err) == 0 && p.depth == 3, "5 leaves, index 4: depth 3");
	is_hex(p.siblings[0], 32, "0000000000000000000000000000000000000000"
	    "000000000000000000000000", "  sibling 0 is the padding leaf");
	is_hex(p.siblings[1], 32, "0eb923b0cbd24df54401d998531feead35a47a99f"
	    "4deed205de4af81120f9761", "  sibling 1 is H(0 || 0)");
	is_hex(p.siblings[2], 32, "114d5dc3c70125a2159b283e59b8ac4330014aa80"
	    "cccdad51d5ee18f02c37a7e", "  sibling 2 is the 4-leaf root");
	ok(p.path[0] == 0 && p.path[1] == 0 && p.path[2] == 1,
	    "  path false, false, true");
	is_int(w3s_merkle_prove((const uint8_t (*)[32])byte_leaf, 5, 5, &p,
	    &err), W3S_EUSAGE, "5 leaves, index 5: no proof");
	ok(w3s_merkle_prove((const uint8_t (*)[32])byte_leaf, 1, 0, &p,
	    &err) == 0 && p.depth == 0, "a single leaf has an empty proof");

	/* The chain's quirks, kept on purpose. */
	w3s_merkle_root((const uint8_t (*)[32])byte_leaf, 4, root);
	w3s_merkle_prove((const uint8_t (*)[32])byte_leaf, 4, 0, &p, &err);
	is_int(w3s_merkle_verify(byte_leaf[0], 0, &p, root), 0,
	    "chain verify: leaf 0 of 4");
	is_int(w3s_merkle_verify(byte_leaf[0], 4, &p, root), 0,
	    "chain verify QUIRK: index 4 passes with leaf 0's proof");
	is_int(w3s_merkle_verify_strict(byte_leaf[0], 4, 4, &p, root),
	    W3S_EVERIFY, "strict verify: index 4 of 4 fails");
	is_int(w3s_merkle_verify(byte_leaf[0], 1, &p, root), W3S_EVERIFY,
	    "chain verify: index 1 fails (path bit mismatch)");
	p.depth = 0;
	is_int(w3s_merkle_verify(byte_leaf[0], 7, &p, byte_leaf[0]), 0,
	    "chain verify QUIRK: an empty proof passes any index when "
	    "leaf == root");
	is_int(w3s_merkle_verify_strict(byte_leaf[0], 0, 1, &p, byte_leaf[0]),
	    0, "strict verify: single chunk");
	is_int(w3s_merkle_verify_strict(byte_leaf[0], 1, 1, &p, byte_leaf[0]),
	    W3S_EVERIFY, "strict verify: index 1 of 1 chunk fails");

	/* 3 leaves, index 2, presented with the wrong depth for 5 chunks. */
	w3s_merkle_root((const uint8_t (*)[32])byte_leaf, 3, root);
	w3s_merkle_prove((const uint8_t (*)[32])byte_leaf, 3, 2, &p, &err);
	is_int(w3s_merkle_verify_strict(byte_leaf[2], 2, 3, &p, root), 0,
	    "strict verify: 3 chunks, index 2");
	is_int(w3s_merkle_verify_strict(byte_leaf[2], 2, 5, &p, root),
	    W3S_EVERIFY, "strict verify: depth 2 is wrong for 5 chunks");
	{
		uint8_t bits[2] = { 0, 1 };

		is_int(w3s_merkle_verify_parts(byte_leaf[2], 2,
		    (const uint8_t (*)[32])p.siblings, 2, bits, 1, root),
		    W3S_EVERIFY, "verify_parts: 2 siblings, 1 path bit fails");
		is_int(w3s_merkle_verify_parts(byte_leaf[2], 2,
		    (const uint8_t (*)[32])p.siblings, 2, bits, 2, root), 0,
		    "verify_parts: matching lengths pass");
	}
	is_int(w3s_merkle_verify(zero, 2, &p, root), W3S_EVERIFY,
	    "a wrong leaf fails");
}

struct count_nodes {
	size_t n;
	uint8_t last[32];
	int saw_zero_pair;
};

static int
count_node(void *ctx, const uint8_t node[32], const uint8_t left[32],
    const uint8_t right[32])
{
	static const uint8_t zero[32];
	struct count_nodes *c = ctx;

	c->n++;
	memcpy(c->last, node, 32);
	if (memcmp(left, zero, 32) == 0 && memcmp(right, zero, 32) == 0)
		c->saw_zero_pair = 1;
	return 0;
}

static int
stop_at_two(void *ctx, const uint8_t node[32], const uint8_t left[32],
    const uint8_t right[32])
{
	size_t *n = ctx;

	return ++*n == 2 ? 42 : 0;
}

static void
test_nodes(void)
{
	struct count_nodes c = { 0 };
	struct w3s_err err;
	uint8_t root[32];
	size_t calls = 0;

	ok(w3s_merkle_nodes((const uint8_t (*)[32])byte_leaf, 5, count_node,
	    &c, &err) == 0 && c.n == 7,
	    "5 leaves give 7 internal nodes, padding hashed in full");
	ok(c.saw_zero_pair, "  one of them is H(0 || 0)");
	w3s_merkle_root((const uint8_t (*)[32])byte_leaf, 5, root);
	ok(memcmp(c.last, root, 32) == 0, "  the last one is the root");
	memset(&c, 0, sizeof(c));
	ok(w3s_merkle_nodes((const uint8_t (*)[32])byte_leaf, 1, count_node,
	    &c, &err) == 0 && c.n == 0, "1 leaf has no internal node");
	is_int(w3s_merkle_nodes((const uint8_t (*)[32])byte_leaf, 5,
	    stop_at_two, &calls, &err), 42, "the visitor's error stops it");
}

static void
test_builder_and_proofs_many(void)
{
	static const size_t large[] = { 127, 128, 129, 1000, 1023, 1024, 1025,
		4097, 65535, 65536, 65537, 100003 };
	uint8_t (*leaves)[32] = malloc(100003 * 32);
	int roots_ok = 1, proofs_ok = 1, strict_ok = 1, neighbour_ok = 1;
	struct w3s_merkle_proof p;
	uint8_t a[32], b[32];
	struct w3s_err err;
	char name[80];

	gen_leaves(leaves, 100003);
	for (size_t n = 0; n <= 70; n++) {
		w3s_merkle_root((const uint8_t (*)[32])leaves, n, a);
		streamed_root((const uint8_t (*)[32])leaves, n, b);
		if (memcmp(a, b, 32) != 0)
			roots_ok = 0;
		for (size_t i = 0; i < n; i++) {
			if (w3s_merkle_prove((const uint8_t (*)[32])leaves, n,
			    i, &p, &err) != 0 ||
			    w3s_merkle_verify(leaves[i], i, &p, a) != 0)
				proofs_ok = 0;
			if (w3s_merkle_verify_strict(leaves[i], i, n, &p, a)
			    != 0)
				strict_ok = 0;
			if (n > 1 && w3s_merkle_verify(leaves[i], i ^ 1, &p,
			    a) == 0)
				neighbour_ok = 0;
		}
	}
	ok(roots_ok, "builder root == array root for n = 0..70");
	ok(proofs_ok, "every proof of every leaf verifies, n = 1..70");
	ok(strict_ok, "  and passes the strict verifier");
	ok(neighbour_ok, "  and fails at the neighbouring index");
	for (size_t i = 0; i < sizeof(large) / sizeof(large[0]); i++) {
		size_t n = large[i], k = n / 3;

		w3s_merkle_root((const uint8_t (*)[32])leaves, n, a);
		streamed_root((const uint8_t (*)[32])leaves, n, b);
		snprintf(name, sizeof(name), "builder root == array root, "
		    "n = %zu", n);
		ok(memcmp(a, b, 32) == 0, "%s", name);
		ok(w3s_merkle_prove((const uint8_t (*)[32])leaves, n, k, &p,
		    &err) == 0 && w3s_merkle_verify_strict(leaves[k], k, n, &p,
		    a) == 0, "  proof of leaf %zu verifies", k);
	}
	free(leaves);
}

int
main(void)
{
	test_goldens();
	test_proofs();
	test_nodes();
	test_builder_and_proofs_many();
	return tap_done();
}
