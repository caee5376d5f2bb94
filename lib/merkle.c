/* The padded binary Merkle tree over chunk hashes (SPEC.md section 3).
 * Padding leaves are the zero hash, and a subtree made only of padding is
 * hashed in full: zeros[h] below is its root at height h. */
#include <stdlib.h>
#include <string.h>

#include <w3s/hash.h>
#include <w3s/merkle.h>

static const uint8_t zero_hash[W3S_H256];

/* Height of the padded tree: ceil(log2(n)), 0 for n <= 1. */
static unsigned
tree_depth(uint64_t n)
{
	unsigned d = 0;

	while (d < 64 && ((uint64_t)1 << d) < n)
		d++;
	return d;
}

/* zeros[h] = root of an all-padding subtree of height h, for h <= depth. */
static void
zero_roots(uint8_t zeros[][W3S_H256], unsigned depth)
{
	memset(zeros[0], 0, W3S_H256);
	for (unsigned h = 1; h <= depth; h++)
		w3s_hash_children(zeros[h], zeros[h - 1], zeros[h - 1]);
}

/* Root of the subtree of height h over leaves [lo, lo + 2^h). */
static void
subtree_root(const uint8_t (*leaves)[W3S_H256], size_t n, size_t lo,
    unsigned h, const uint8_t (*zeros)[W3S_H256], uint8_t out[W3S_H256])
{
	uint8_t left[W3S_H256], right[W3S_H256];
	size_t half;

	if (lo >= n) {
		memcpy(out, zeros[h], W3S_H256);
		return;
	}
	if (h == 0) {
		memcpy(out, leaves[lo], W3S_H256);
		return;
	}
	half = (size_t)1 << (h - 1);
	subtree_root(leaves, n, lo, h - 1, zeros, left);
	subtree_root(leaves, n, lo + half, h - 1, zeros, right);
	w3s_hash_children(out, left, right);
}

void
w3s_merkle_root(const uint8_t (*leaves)[W3S_H256], size_t n,
    uint8_t root[W3S_H256])
{
	uint8_t zeros[W3S_PROOF_MAX_DEPTH + 1][W3S_H256];
	unsigned depth;

	if (n == 0) {
		memset(root, 0, W3S_H256);
		return;
	}
	depth = tree_depth(n);
	zero_roots(zeros, depth);
	subtree_root(leaves, n, 0, depth,
	    (const uint8_t (*)[W3S_H256])zeros, root);
}

int
w3s_merkle_prove(const uint8_t (*leaves)[W3S_H256], size_t n, size_t idx,
    struct w3s_merkle_proof *proof, struct w3s_err *err)
{
	uint8_t zeros[W3S_PROOF_MAX_DEPTH + 1][W3S_H256];
	unsigned depth;

	if (idx >= n)
		return w3s_err_set(err, W3S_EUSAGE,
		    "chunk %zu is out of range (%zu chunks)", idx, n);
	depth = tree_depth(n);
	zero_roots(zeros, depth);
	for (unsigned i = 0; i < depth; i++) {
		size_t node = idx >> i;

		subtree_root(leaves, n, (node ^ 1) << i, i,
		    (const uint8_t (*)[W3S_H256])zeros, proof->siblings[i]);
		proof->path[i] = node & 1;
	}
	proof->depth = depth;
	return 0;
}

int
w3s_merkle_verify_parts(const uint8_t leaf[W3S_H256], uint64_t index,
    const uint8_t (*siblings)[W3S_H256], size_t nsib, const uint8_t *path,
    size_t npath, const uint8_t root[W3S_H256])
{
	uint8_t cur[W3S_H256];

	if (nsib != npath || nsib > W3S_PROOF_MAX_DEPTH)
		return W3S_EVERIFY;
	memcpy(cur, leaf, W3S_H256);
	for (size_t i = 0; i < nsib; i++) {
		int right = path[i] != 0;

		/* Only the low nsib bits of index are ever looked at. */
		if (right != (int)(index & 1))
			return W3S_EVERIFY;
		if (right)
			w3s_hash_children(cur, siblings[i], cur);
		else
			w3s_hash_children(cur, cur, siblings[i]);
		index >>= 1;
	}
	return memcmp(cur, root, W3S_H256) == 0 ? 0 : W3S_EVERIFY;
}

int
w3s_merkle_verify(const uint8_t leaf[W3S_H256], uint64_t index,
    const struct w3s_merkle_proof *proof, const uint8_t root[W3S_H256])
{
	return w3s_merkle_verify_parts(leaf, index,
	    (const uint8_t (*)[W3S_H256])proof->siblings, proof->depth,
	    proof->path, proof->depth, root);
}

int
w3s_merkle_verify_strict(const uint8_t leaf[W3S_H256], uint64_t index,
    uint64_t chunks, const struct w3s_merkle_proof *proof,
    const uint8_t root[W3S_H256])
{
	if (index >= chunks || proof->depth != tree_depth(chunks))
		return W3S_EVERIFY;
	return w3s_merkle_verify(leaf, index, proof, root);
}

int
w3s_merkle_nodes(const uint8_t (*leaves)[W3S_H256], size_t n,
    int (*fn)(void *ctx, const uint8_t node[W3S_H256],
    const uint8_t left[W3S_H256], const uint8_t right[W3S_H256]),
    void *ctx, struct w3s_err *err)
{
	uint8_t (*level)[W3S_H256];
	uint8_t node[W3S_H256];
	size_t width;
	int rc = 0;

	if (n <= 1)
		return 0;
	if (n > (SIZE_MAX / W3S_H256) / 2)
		return w3s_err_set(err, W3S_ESYS, "%zu chunks is too many", n);
	width = (size_t)1 << tree_depth(n);
	level = malloc(width * W3S_H256);
	if (level == NULL)
		return w3s_err_set(err, W3S_ESYS, "out of memory");
	memcpy(level, leaves, n * W3S_H256);
	memset(level + n, 0, (width - n) * W3S_H256);
	for (; width > 1; width /= 2) {
		for (size_t i = 0; i < width / 2; i++) {
			w3s_hash_children(node, level[2 * i], level[2 * i + 1]);
			if ((rc = fn(ctx, node, level[2 * i],
			    level[2 * i + 1])) != 0)
				goto out;
			/* i <= 2i: nothing still to be read is overwritten. */
			memcpy(level[i], node, W3S_H256);
		}
	}
out:
	free(level);
	return rc;
}

void
w3s_merkle_builder_init(struct w3s_merkle_builder *mb)
{
	memset(mb, 0, sizeof(*mb));
}

void
w3s_merkle_builder_push(struct w3s_merkle_builder *mb,
    const uint8_t leaf[W3S_H256])
{
	uint8_t cur[W3S_H256];
	unsigned h = 0;

	memcpy(cur, leaf, W3S_H256);
	/* A binary counter: each carry joins two complete subtrees. */
	while (h < W3S_PROOF_MAX_DEPTH - 1 && (mb->count >> h & 1)) {
		w3s_hash_children(cur, mb->level[h], cur);
		h++;
	}
	memcpy(mb->level[h], cur, W3S_H256);
	mb->count++;
}

void
w3s_merkle_builder_finish(const struct w3s_merkle_builder *mb,
    uint8_t root[W3S_H256])
{
	uint8_t acc[W3S_H256], zero[W3S_H256];
	unsigned depth;
	int have = 0;

	if (mb->count == 0) {
		memset(root, 0, W3S_H256);
		return;
	}
	depth = tree_depth(mb->count);
	if ((mb->count & (mb->count - 1)) == 0) {
		/* A power of two: one complete subtree is the whole tree. */
		memcpy(root, mb->level[depth], W3S_H256);
		return;
	}
	/* Fold the pending subtrees from the lowest up; where nothing real
	 * is to the right, the right sibling is a padding subtree. */
	memcpy(zero, zero_hash, W3S_H256);
	for (unsigned h = 0; h < depth; h++) {
		if (mb->count >> h & 1) {
			w3s_hash_children(acc, mb->level[h], have ? acc : zero);
			have = 1;
		} else if (have) {
			w3s_hash_children(acc, acc, zero);
		}
		w3s_hash_children(zero, zero, zero);
	}
	memcpy(root, acc, W3S_H256);
}
