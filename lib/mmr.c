/* Merkle Mountain Range (SPEC.md section 5). Every function here reads or
 * writes O(log n) nodes through the caller's store: the peaks, one leaf's
 * path, or the parents an append creates. */
#include <stdlib.h>
#include <string.h>

#include <w3s/hash.h>
#include <w3s/mmr.h>
#include <w3s/scale.h>

static unsigned
popcount64(uint64_t v)
{
	return (unsigned)__builtin_popcountll(v);
}

/* Nodes in a perfect subtree of height h: 2^(h+1) - 1. */
static uint64_t
subtree_size(unsigned h)
{
	return ((uint64_t)2 << h) - 1;
}

uint64_t
w3s_mmr_leaf_pos(uint64_t k)
{
	return 2 * k - popcount64(k);
}

uint64_t
w3s_mmr_node_count(uint64_t n)
{
	return 2 * n - popcount64(n);
}

size_t
w3s_mmr_peak_positions(uint64_t n, uint64_t pos[W3S_MMR_MAX_PEAKS])
{
	uint64_t base = 0;
	size_t k = 0;

	for (int h = 63; h >= 0; h--) {
		if (!(n >> h & 1))
			continue;
		pos[k++] = base + subtree_size((unsigned)h) - 1;
		base += subtree_size((unsigned)h);
	}
	return k;
}

void
w3s_mmr_bag(const uint8_t (*peaks)[W3S_H256], size_t n,
    uint8_t root[W3S_H256])
{
	uint8_t acc[W3S_H256];

	if (n == 0) {
		memset(root, 0, W3S_H256);
		return;
	}
	memcpy(acc, peaks[n - 1], W3S_H256);
	for (size_t i = n - 1; i-- > 0;)
		w3s_hash_children(acc, peaks[i], acc);
	memcpy(root, acc, W3S_H256);
}

int
w3s_mmr_append(const struct w3s_mmr_store *s, uint64_t n,
    const uint8_t leaf_hash[W3S_H256], struct w3s_err *err)
{
	uint8_t cur[W3S_H256], left[W3S_H256];
	uint64_t pos = w3s_mmr_node_count(n);
	unsigned merges = (unsigned)__builtin_ctzll(n + 1);
	int rc;

	memcpy(cur, leaf_hash, W3S_H256);
	if ((rc = s->put(s->ctx, pos, cur, err)) != 0)
		return rc;
	for (unsigned h = 0; h < merges; h++) {
		rc = s->get(s->ctx, pos - subtree_size(h), left, err);
		if (rc != 0)
			return rc;
		w3s_hash_children(cur, left, cur);
		pos++;
		if ((rc = s->put(s->ctx, pos, cur, err)) != 0)
			return rc;
	}
	return 0;
}

static int
get_peaks(const struct w3s_mmr_store *s, uint64_t n,
    uint8_t peaks[W3S_MMR_MAX_PEAKS][W3S_H256], size_t *npeaks,
    struct w3s_err *err)
{
	uint64_t pos[W3S_MMR_MAX_PEAKS];
	size_t k = w3s_mmr_peak_positions(n, pos);
	int rc;

	for (size_t i = 0; i < k; i++)
		if ((rc = s->get(s->ctx, pos[i], peaks[i], err)) != 0)
			return rc;
	*npeaks = k;
	return 0;
}

int
w3s_mmr_root(const struct w3s_mmr_store *s, uint64_t n,
    uint8_t root[W3S_H256], struct w3s_err *err)
{
	uint8_t peaks[W3S_MMR_MAX_PEAKS][W3S_H256];
	size_t k;
	int rc;

	if ((rc = get_peaks(s, n, peaks, &k, err)) != 0)
		return rc;
	w3s_mmr_bag((const uint8_t (*)[W3S_H256])peaks, k, root);
	return 0;
}

/* Which peak of an MMR of n leaves holds leaf k: its index among the
 * peaks, its height, and k's index inside it. k < n. */
static void
locate(uint64_t n, uint64_t k, size_t *peak, unsigned *height,
    uint64_t *local)
{
	uint64_t first = 0;
	size_t j = 0;

	*peak = 0;
	*height = 0;
	*local = 0;
	for (int h = 63; h >= 0; h--) {
		if (!(n >> h & 1))
			continue;
		if (k - first < ((uint64_t)1 << h)) {
			*peak = j;
			*height = (unsigned)h;
			*local = k - first;
			return;
		}
		first += (uint64_t)1 << h;
		j++;
	}
}

int
w3s_mmr_prove(const struct w3s_mmr_store *s, uint64_t n, uint64_t k,
    const struct w3s_leaf *leaf, struct w3s_mmr_proof *proof,
    struct w3s_err *err)
{
	uint8_t node[W3S_H256], want[W3S_H256];
	uint64_t pos, local;
	unsigned height;
	size_t peak;
	int rc;

	if (k >= n)
		return w3s_err_set(err, W3S_EUSAGE,
		    "leaf %llu is out of range (%llu leaves)",
		    (unsigned long long)k, (unsigned long long)n);
	pos = w3s_mmr_leaf_pos(k);
	if (leaf != NULL) {
		if ((rc = s->get(s->ctx, pos, node, err)) != 0)
			return rc;
		w3s_leaf_hash(leaf, want);
		if (memcmp(node, want, W3S_H256) != 0)
			return w3s_err_set(err, W3S_EVERIFY,
			    "leaf %llu does not match its MMR node",
			    (unsigned long long)k);
		proof->leaf = *leaf;
	} else {
		memset(&proof->leaf, 0, sizeof(proof->leaf));
	}
	locate(n, k, &peak, &height, &local);
	for (unsigned h = 0; h < height; h++) {
		uint64_t size = subtree_size(h);
		int right = local >> h & 1;

		if ((rc = s->get(s->ctx, right ? pos - size : pos + size,
		    proof->leaf_proof.siblings[h], err)) != 0)
			return rc;
		proof->leaf_proof.path[h] = (uint8_t)right;
		pos = right ? pos + 1 : pos + size + 1;
	}
	proof->leaf_proof.depth = height;
	return get_peaks(s, n, proof->peaks, &proof->npeaks, err);
}

/* Leaf hash walked up the proof's path; 5.5(a) semantics for the bits. */
static int
walk(const struct w3s_mmr_proof *p, uint8_t out[W3S_H256])
{
	const struct w3s_merkle_proof *mp = &p->leaf_proof;

	if (mp->depth > W3S_PROOF_MAX_DEPTH || p->npeaks > W3S_MMR_MAX_PEAKS)
		return W3S_EVERIFY;
	w3s_leaf_hash(&p->leaf, out);
	for (size_t i = 0; i < mp->depth; i++) {
		if (mp->path[i])
			w3s_hash_children(out, mp->siblings[i], out);
		else
			w3s_hash_children(out, out, mp->siblings[i]);
	}
	return 0;
}

static int
bags_to(const struct w3s_mmr_proof *p, const uint8_t root[W3S_H256])
{
	uint8_t bagged[W3S_H256];

	w3s_mmr_bag((const uint8_t (*)[W3S_H256])p->peaks, p->npeaks, bagged);
	return memcmp(bagged, root, W3S_H256) == 0;
}

int
w3s_mmr_verify(const struct w3s_mmr_proof *p, const uint8_t root[W3S_H256])
{
	uint8_t top[W3S_H256];
	int found = 0;

	if (walk(p, top) != 0)
		return W3S_EVERIFY;
	for (size_t i = 0; i < p->npeaks && !found; i++)
		found = memcmp(top, p->peaks[i], W3S_H256) == 0;
	if (!found || !bags_to(p, root))
		return W3S_EVERIFY;
	return 0;
}

int
w3s_mmr_verify_bound(const struct w3s_mmr_proof *p, uint64_t leaf_index,
    uint64_t leaf_count, const uint8_t root[W3S_H256])
{
	uint8_t top[W3S_H256];
	uint64_t local;
	unsigned height;
	size_t peak;

	if (leaf_index >= leaf_count || p->npeaks != popcount64(leaf_count))
		return W3S_EVERIFY;
	locate(leaf_count, leaf_index, &peak, &height, &local);
	if (p->leaf_proof.depth != height)
		return W3S_EVERIFY;
	for (unsigned h = 0; h < height; h++)
		if ((p->leaf_proof.path[h] != 0) != (int)(local >> h & 1))
			return W3S_EVERIFY;
	if (walk(p, top) != 0 || memcmp(top, p->peaks[peak], W3S_H256) != 0)
		return W3S_EVERIFY;
	return bags_to(p, root) ? 0 : W3S_EVERIFY;
}

int
w3s_mmr_verify_last(const struct w3s_mmr_proof *p,
    const uint8_t root[W3S_H256], uint64_t n)
{
	uint8_t top[W3S_H256];

	if (n == 0 || w3s_mmr_verify(p, root) != 0)
		return W3S_EVERIFY;
	if (p->npeaks != popcount64(n) ||
	    p->leaf_proof.depth != (size_t)__builtin_ctzll(n))
		return W3S_EVERIFY;
	for (size_t i = 0; i < p->leaf_proof.depth; i++)
		if (!p->leaf_proof.path[i])
			return W3S_EVERIFY;
	if (walk(p, top) != 0 ||
	    memcmp(top, p->peaks[p->npeaks - 1], W3S_H256) != 0)
		return W3S_EVERIFY;
	return 0;
}

void
w3s_mmr_mem_init(struct w3s_mmr_mem *m)
{
	memset(m, 0, sizeof(*m));
}

void
w3s_mmr_mem_release(struct w3s_mmr_mem *m)
{
	free(m->nodes);
	w3s_mmr_mem_init(m);
}

static int
mem_get(void *ctx, uint64_t pos, uint8_t out[W3S_H256], struct w3s_err *err)
{
	struct w3s_mmr_mem *m = ctx;

	if (pos >= m->len)
		return w3s_err_set(err, W3S_EINCOMPLETE,
		    "MMR node %llu is missing (%llu nodes)",
		    (unsigned long long)pos, (unsigned long long)m->len);
	memcpy(out, m->nodes[pos], W3S_H256);
	return 0;
}

static int
mem_put(void *ctx, uint64_t pos, const uint8_t node[W3S_H256],
    struct w3s_err *err)
{
	struct w3s_mmr_mem *m = ctx;

	if (pos != m->len)
		return w3s_err_set(err, W3S_EUSAGE,
		    "MMR node %llu written out of order (%llu nodes)",
		    (unsigned long long)pos, (unsigned long long)m->len);
	if (m->len == m->cap) {
		uint64_t cap = m->cap ? 2 * m->cap : 64;
		void *p;

		if (cap > SIZE_MAX / W3S_H256)
			return w3s_err_set(err, W3S_ESYS, "MMR is too large");
		p = realloc(m->nodes, (size_t)cap * W3S_H256);
		if (p == NULL)
			return w3s_err_set(err, W3S_ESYS, "out of memory");
		m->nodes = p;
		m->cap = cap;
	}
	memcpy(m->nodes[m->len++], node, W3S_H256);
	return 0;
}

struct w3s_mmr_store
w3s_mmr_mem_store(struct w3s_mmr_mem *m)
{
	struct w3s_mmr_store s = { m, mem_get, mem_put };

	return s;
}

int
w3s_mmr_mem_append(struct w3s_mmr_mem *m, const uint8_t leaf_hash[W3S_H256],
    struct w3s_err *err)
{
	struct w3s_mmr_store s = w3s_mmr_mem_store(m);
	uint64_t len = m->len;
	int rc;

	if ((rc = w3s_mmr_append(&s, m->leaves, leaf_hash, err)) != 0) {
		m->len = len;	/* no half-appended leaf */
		return rc;
	}
	m->leaves++;
	return 0;
}

int
w3s_mmr_mem_root(struct w3s_mmr_mem *m, uint8_t root[W3S_H256])
{
	struct w3s_mmr_store s = w3s_mmr_mem_store(m);

	return w3s_mmr_root(&s, m->leaves, root, NULL);
}
