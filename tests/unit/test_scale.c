/* SCALE encodings of the web3-storage types, with the goldens of SPEC.md
 * (sections 4, 6, 7, 8, 11) inline, and the decoders fed hostile input. */
#include <stdlib.h>
#include <string.h>

#include <w3s/buf.h>
#include <w3s/hex.h>
#include <w3s/scale.h>

#include "tap.h"

static void
unhex(uint8_t *out, size_t len, const char *hex)
{
	if (w3s_hex_decode(out, len, hex, strlen(hex), NULL) != 0)
		abort();
}

static void
fill(uint8_t out[W3S_H256], uint8_t byte)
{
	memset(out, byte, W3S_H256);
}

/* Decodes a MerkleProof from hex; returns the decoder's code. */
static int
decode_merkle_hex(const char *hex, struct w3s_merkle_proof *p, size_t *left)
{
	uint8_t *bytes;
	size_t len;
	struct w3s_rd r;
	int rc;

	if (w3s_hex_decode_alloc(hex, &bytes, &len, NULL) != 0)
		abort();
	w3s_rd_init(&r, bytes, len);
	rc = w3s_merkle_proof_decode(&r, p, NULL);
	*left = w3s_rd_left(&r);
	free(bytes);
	return rc;
}

static int
decode_compact_hex(const char *hex, uint64_t *v)
{
	uint8_t *bytes;
	size_t len;
	struct w3s_rd r;
	int rc;

	if (w3s_hex_decode_alloc(hex, &bytes, &len, NULL) != 0)
		abort();
	w3s_rd_init(&r, bytes, len);
	rc = w3s_scale_get_compact(&r, v, NULL);
	if (rc == 0 && w3s_rd_left(&r) != 0)
		rc = 1;
	free(bytes);
	return rc;
}

static void
test_compact(void)
{
	static const struct {
		uint64_t v;
		const char *hex;
	} golden[] = {
		{ 0, "00" }, { 1, "04" }, { 63, "fc" }, { 64, "0101" },
		{ 16383, "fdff" }, { 16384, "02000100" },
		{ 1073741823, "feffffff" }, { 1073741824, "0300000040" },
		{ 4294967295, "03ffffffff" }, { 4294967296, "070000000001" },
		{ UINT64_MAX, "13ffffffffffffffff" },
	};
	uint64_t edges[] = { 0, 1, 62, 63, 64, 65, 16382, 16383, 16384,
		(1u << 30) - 1, 1u << 30, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
		((uint64_t)1 << 40) - 1, (uint64_t)1 << 56, UINT64_MAX - 1,
		UINT64_MAX };
	uint64_t v;
	int all = 1;

	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		struct w3s_buf b;
		char name[64];

		w3s_buf_init(&b);
		w3s_scale_put_compact(&b, golden[i].v);
		snprintf(name, sizeof(name), "compact %llu is %s",
		    (unsigned long long)golden[i].v, golden[i].hex);
		is_hex(b.data, b.len, golden[i].hex, name);
		w3s_buf_release(&b);
	}
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		struct w3s_buf b;
		struct w3s_rd r;

		w3s_buf_init(&b);
		w3s_scale_put_compact(&b, edges[i]);
		w3s_rd_init(&r, b.data, b.len);
		if (w3s_scale_get_compact(&r, &v, NULL) != 0 || v != edges[i] ||
		    w3s_rd_left(&r) != 0)
			all = 0;
		w3s_buf_release(&b);
	}
	ok(all, "compact round-trips at every mode boundary");

	is_int(decode_compact_hex("0100", &v), W3S_EMALFORMED,
	    "compact: 0 in the 2-byte mode is not canonical");
	is_int(decode_compact_hex("02010000", &v), W3S_EMALFORMED,
	    "compact: 64 in the 4-byte mode is not canonical");
	is_int(decode_compact_hex("03ffffff3f", &v), W3S_EMALFORMED,
	    "compact: 2^30-1 in big mode is not canonical");
	is_int(decode_compact_hex("070000000000", &v), W3S_EMALFORMED,
	    "compact: big mode with a zero top byte is not canonical");
	is_int(decode_compact_hex("17000000000000000001", &v),
	    W3S_EMALFORMED, "compact: 9 bytes do not fit in 64 bits");
	is_int(decode_compact_hex("0300", &v), W3S_EMALFORMED,
	    "compact: truncated big mode");
	is_int(decode_compact_hex("01", &v), W3S_EMALFORMED,
	    "compact: truncated 2-byte mode");
	is_int(decode_compact_hex("", &v), W3S_EMALFORMED,
	    "compact: empty input");
}

static void
test_bytes_and_ints(void)
{
	static const uint8_t abc[] = { 1, 2, 3 };
	const uint8_t *view = NULL;
	struct w3s_err err;
	struct w3s_buf b;
	struct w3s_rd r;
	size_t len = 0;

	w3s_buf_init(&b);
	w3s_scale_put_bytes(&b, abc, 3);
	is_hex(b.data, b.len, "0c010203", "bytes 010203 is 0c010203");
	w3s_rd_init(&r, b.data, b.len);
	ok(w3s_scale_get_bytes(&r, &view, &len, 3, &err) == 0 && len == 3 &&
	    memcmp(view, abc, 3) == 0, "get_bytes gives them back");
	w3s_rd_init(&r, b.data, b.len);
	is_int(w3s_scale_get_bytes(&r, &view, &len, 2, &err), W3S_EMALFORMED,
	    "get_bytes refuses a length over its limit");
	w3s_rd_init(&r, b.data, 3);
	is_int(w3s_scale_get_bytes(&r, &view, &len, 3, &err), W3S_EMALFORMED,
	    "get_bytes refuses a length past the input");
	w3s_buf_release(&b);

	w3s_buf_init(&b);
	w3s_buf_put_u8(&b, 1);
	w3s_buf_put_u32le(&b, 16909060);
	w3s_scale_put_u64(&b, 72623859790382856ull);
	is_hex(b.data, b.len, "01040302010807060504030201",
	    "u8, u32, u64 little-endian");
	w3s_buf_release(&b);
}

static void
test_leaf_and_commitment(void)
{
	uint8_t enc[W3S_LEAF_ENC_LEN], h[W3S_H256];
	uint8_t c_enc[W3S_COMMITMENT_ENC_LEN];
	uint8_t p1[W3S_PAYLOAD_V1_LEN], p2[W3S_PAYLOAD_V2_LEN];
	struct w3s_commitment c, back;
	struct w3s_leaf leaf, out;
	struct w3s_err err;
	struct w3s_rd r;
	uint64_t bucket;

	fill(leaf.data_root, 0xcd);
	leaf.data_size = 111;
	leaf.total_size = 222;
	w3s_leaf_encode(&leaf, enc);
	is_hex(enc, sizeof(enc), "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	    "cdcdcdcdcdcdcdcdcdcd6f00000000000000de00000000000000",
	    "MmrLeaf golden (cd x32, 111, 222)");
	w3s_leaf_hash(&leaf, h);
	is_hex(h, sizeof(h), "d65d322a52a15389d85cafe9019b00e3b712eb7e4bf508"
	    "04fe9c28b38dcc7573", "MmrLeaf golden hash");
	w3s_rd_init(&r, enc, sizeof(enc));
	ok(w3s_leaf_decode(&r, &out, &err) == 0 &&
	    memcmp(&out.data_root, leaf.data_root, 32) == 0 &&
	    out.data_size == 111 && out.total_size == 222,
	    "MmrLeaf decodes back");
	w3s_rd_init(&r, enc, 47);
	is_int(w3s_leaf_decode(&r, &out, &err), W3S_EMALFORMED,
	    "MmrLeaf of 47 bytes is refused");

	unhex(leaf.data_root, 32, "256c83b297114d201b30179f3f0ef0cace9783622da"
	    "5974326b436178aeef610");
	leaf.data_size = 11;
	leaf.total_size = 11;
	w3s_leaf_hash(&leaf, h);
	is_hex(h, sizeof(h), "ec89c4bb9c2abf33c7d090e64b3d53f3886518930c61cf"
	    "9b9a0b866eff2406c9", "hello world leaf hash");

	memset(&c, 0, sizeof(c));
	c.start_seq = 10;
	c.leaf_count = 5;
	w3s_commitment_encode(&c, c_enc);
	is_hex(c_enc, sizeof(c_enc), "000000000000000000000000000000000000000"
	    "00000000000000000000000000a000000000000000500000000000000",
	    "Commitment (zero, 10, 5)");
	w3s_payload_v1_encode(1, &c, p1);
	is_hex(p1, sizeof(p1),
	    "010100000000000000000000000000000000000000000000000000000000"
	    "00000000000000000000000a000000000000000500000000000000",
	    "CommitmentPayload v1 golden (57 bytes)");
	w3s_payload_v2_encode(1, &c, 42, p2);
	is_hex(p2, sizeof(p2),
	    "020100000000000000000000000000000000000000000000000000000000"
	    "00000000000000000000000a0000000000000005000000000000002a0000"
	    "0000000000",
	    "CommitmentPayload v2 golden (65 bytes)");
	ok(w3s_payload_v1_decode(p1, sizeof(p1), &bucket, &back, &err) == 0 &&
	    bucket == 1 && back.start_seq == 10 && back.leaf_count == 5,
	    "payload v1 decodes back");
	is_int(w3s_payload_v1_decode(p2, sizeof(p2), &bucket, &back, &err),
	    W3S_EMALFORMED, "payload v1 decoder refuses 65 bytes");
	p1[0] = 2;
	is_int(w3s_payload_v1_decode(p1, sizeof(p1), &bucket, &back, &err),
	    W3S_EMALFORMED, "payload v1 decoder refuses version 2");
}

static void
test_merkle_proof(void)
{
	struct w3s_merkle_proof p, back;
	struct w3s_buf b;
	size_t left;
	char *hex;

	memset(&p, 0, sizeof(p));
	p.depth = 2;
	unhex(p.siblings[1], 32, "5a3746f7ad1bece55c75e3cd11d299fe5f3e4f4fb03"
	    "035e3b8d87d182d705de7");
	p.path[1] = 1;
	w3s_buf_init(&b);
	w3s_merkle_proof_encode(&b, &p);
	is_hex(b.data, b.len, "08000000000000000000000000000000000000000000"
	    "00000000000000000000005a3746f7ad1bece55c75e3cd11d299fe5f3e4f4fb030"
	    "35e3b8d87d182d705de7080001", "MerkleProof (3 leaves, index 2)");
	hex = malloc(2 * b.len + 1);
	w3s_hex_encode(hex, b.data, b.len);
	ok(decode_merkle_hex(hex, &back, &left) == 0 && left == 0 &&
	    back.depth == 2 && back.path[0] == 0 && back.path[1] == 1 &&
	    memcmp(back.siblings, p.siblings, 64) == 0,
	    "MerkleProof decodes back");
	free(hex);
	w3s_buf_release(&b);

	p.depth = 0;
	w3s_buf_init(&b);
	w3s_merkle_proof_encode(&b, &p);
	is_hex(b.data, b.len, "0000", "empty MerkleProof is 0000");
	w3s_buf_release(&b);

	/* 65 siblings claimed: refused before any sibling is read. */
	is_int(decode_merkle_hex("0501", &back, &left), W3S_EMALFORMED,
	    "65 siblings is over the depth bound");
	is_int(decode_merkle_hex("03000000ff", &back, &left), W3S_EMALFORMED,
	    "a sibling count near 2^32 is refused without reading on");
	is_int(decode_merkle_hex("04" "11111111111111111111111111111111111111"
	    "11111111111111111111111111" "0801", &back, &left), W3S_EMALFORMED,
	    "sibling and path counts that differ are refused");
	is_int(decode_merkle_hex("04" "11111111111111111111111111111111111111"
	    "11111111111111111111111111" "0402", &back, &left), W3S_EMALFORMED,
	    "a path byte of 02 is not a bool");
	is_int(decode_merkle_hex("08" "11111111111111111111111111111111111111"
	    "11111111111111111111111111", &back, &left), W3S_EMALFORMED,
	    "a missing sibling is refused");
	is_int(decode_merkle_hex("04" "11111111111111111111111111111111111111"
	    "11111111111111111111111111" "04", &back, &left), W3S_EMALFORMED,
	    "a missing path byte is refused");
}

static void
test_mmr_proof(void)
{
	static const char golden[] = "085bdc1f3b744d4a53805d8454d197a241e6b86b"
	    "11d9550fa5b6713ef07c5981e7169f2125869230a40fd2f4079d7edd4ae934954"
	    "82744d6c30b7f40c321032485bb30a42c1e62f0afda5f0a4e8a562f7a13a24cea"
	    "00ee81917b86b89e801314aa01000000000000000200000000000000043"
	    "2d571b64987ea3c9283e9e58400bb3bf069ceab72a0406ab2abc1f4b9d1a7f004"
	    "01";
	struct w3s_mmr_proof p, back;
	struct w3s_buf b, again;
	struct w3s_err err;
	uint8_t *bytes;
	struct w3s_rd r;
	size_t len;
	int all;

	memset(&p, 0, sizeof(p));
	p.npeaks = 2;
	unhex(p.peaks[0], 32, "5bdc1f3b744d4a53805d8454d197a241e6b86b11d9550f"
	    "a5b6713ef07c5981e7");
	unhex(p.peaks[1], 32, "169f2125869230a40fd2f4079d7edd4ae93495482744d6"
	    "c30b7f40c321032485");
	unhex(p.leaf.data_root, 32, "bb30a42c1e62f0afda5f0a4e8a562f7a13a24cea"
	    "00ee81917b86b89e801314aa");
	p.leaf.data_size = 1;
	p.leaf.total_size = 2;
	p.leaf_proof.depth = 1;
	unhex(p.leaf_proof.siblings[0], 32, "32d571b64987ea3c9283e9e58400bb3b"
	    "f069ceab72a0406ab2abc1f4b9d1a7f0");
	p.leaf_proof.path[0] = 1;
	w3s_buf_init(&b);
	w3s_mmr_proof_encode(&b, &p);
	is_hex(b.data, b.len, golden, "MmrProof (TS 3 leaves, index 1)");
	w3s_rd_init(&r, b.data, b.len);
	w3s_buf_init(&again);
	ok(w3s_mmr_proof_decode(&r, &back, &err) == 0 && w3s_rd_left(&r) == 0,
	    "MmrProof decodes");
	w3s_mmr_proof_encode(&again, &back);
	ok(again.len == b.len && memcmp(again.data, b.data, b.len) == 0,
	    "MmrProof decode then encode gives the bytes back");
	all = 1;
	for (size_t cut = 0; cut < b.len; cut++) {
		w3s_rd_init(&r, b.data, cut);
		if (w3s_mmr_proof_decode(&r, &back, &err) != W3S_EMALFORMED)
			all = 0;
	}
	ok(all, "every truncation of an MmrProof is refused");
	w3s_buf_release(&b);
	w3s_buf_release(&again);

	if (w3s_hex_decode_alloc("0501", &bytes, &len, NULL) != 0)
		abort();
	w3s_rd_init(&r, bytes, len);
	is_int(w3s_mmr_proof_decode(&r, &back, &err), W3S_EMALFORMED,
	    "65 peaks is over the peak bound");
	free(bytes);
}

static void
test_sync_roots(void)
{
	uint8_t roots[W3S_SYNC_ROOTS][W3S_H256], back[W3S_SYNC_ROOTS][W3S_H256];
	int present[W3S_SYNC_ROOTS] = { 0 }, got[W3S_SYNC_ROOTS];
	uint8_t bad[] = { 0, 0, 2, 0, 0, 0, 0 };
	struct w3s_err err;
	struct w3s_buf b;
	struct w3s_rd r;

	memset(roots, 0, sizeof(roots));
	w3s_buf_init(&b);
	w3s_sync_roots_encode(&b, (const uint8_t (*)[W3S_H256])roots, present);
	is_hex(b.data, b.len, "00000000000000", "sync roots: all None");
	w3s_buf_release(&b);

	fill(roots[0], 0xab);
	present[0] = 1;
	w3s_buf_init(&b);
	w3s_sync_roots_encode(&b, (const uint8_t (*)[W3S_H256])roots, present);
	is_hex(b.data, b.len,
	    "01ababababababababababababababababababababababababababababab"
	    "ababab000000000000",
	    "sync roots: current only");
	w3s_rd_init(&r, b.data, b.len);
	ok(w3s_sync_roots_decode(&r, back, got, &err) == 0 && got[0] == 1 &&
	    got[1] == 0 && memcmp(back[0], roots[0], 32) == 0 &&
	    w3s_rd_left(&r) == 0, "sync roots decode back");
	w3s_buf_release(&b);
	w3s_rd_init(&r, bad, sizeof(bad));
	is_int(w3s_sync_roots_decode(&r, back, got, &err), W3S_EMALFORMED,
	    "an option tag of 02 is refused");
}

static void
test_challenge(void)
{
	static const uint8_t chunk[] = "file 5 contents";
	struct w3s_merkle_proof cp, cp2;
	struct w3s_mmr_proof mp, mp2;
	const uint8_t *got = NULL;
	uint8_t root[32], admin[32], sig[64];
	struct w3s_err err;
	struct w3s_buf b;
	struct w3s_rd r;
	uint8_t *big;
	size_t len = 0;

	memset(&cp, 0, sizeof(cp));
	memset(&mp, 0, sizeof(mp));
	mp.npeaks = 2;
	fill(mp.peaks[0], 0xd6);
	fill(mp.peaks[1], 0x76);
	mp.leaf.data_size = 15;
	mp.leaf.total_size = 90;
	mp.leaf_proof.depth = 1;
	mp.leaf_proof.path[0] = 1;
	w3s_buf_init(&b);
	w3s_challenge_proof_encode(&b, chunk, 15, &mp, &cp);
	ok(b.len == 1 + 1 + 15 + (1 + 64 + 48 + 1 + 32 + 1 + 1) + 2 &&
	    b.data[0] == 0 && b.data[1] == 15 << 2,
	    "ChallengeResponse::Proof layout");
	w3s_rd_init(&r, b.data, b.len);
	ok(w3s_challenge_proof_decode(&r, &got, &len, &mp2, &cp2, &err) == 0 &&
	    len == 15 && memcmp(got, chunk, 15) == 0 && mp2.npeaks == 2 &&
	    mp2.leaf.total_size == 90 && cp2.depth == 0,
	    "ChallengeResponse::Proof decodes back");
	w3s_buf_put_u8(&b, 0);
	w3s_rd_init(&r, b.data, b.len);
	is_int(w3s_challenge_proof_decode(&r, &got, &len, &mp2, &cp2, &err),
	    W3S_EMALFORMED, "a trailing byte is refused");
	b.data[0] = 1;
	w3s_rd_init(&r, b.data, b.len - 1);
	is_int(w3s_challenge_proof_decode(&r, &got, &len, &mp2, &cp2, &err),
	    W3S_EMALFORMED, "variant Deleted is not a Proof");
	w3s_buf_release(&b);

	big = calloc(1, 262145);
	w3s_buf_init(&b);
	w3s_challenge_proof_encode(&b, big, 262144, &mp, &cp);
	w3s_rd_init(&r, b.data, b.len);
	ok(w3s_challenge_proof_decode(&r, &got, &len, &mp2, &cp2, &err) == 0 &&
	    len == 262144, "a chunk of exactly 262144 bytes is accepted");
	w3s_buf_release(&b);
	w3s_buf_init(&b);
	w3s_challenge_proof_encode(&b, big, 262145, &mp, &cp);
	w3s_rd_init(&r, b.data, b.len);
	is_int(w3s_challenge_proof_decode(&r, &got, &len, &mp2, &cp2, &err),
	    W3S_EMALFORMED, "a chunk of 262145 bytes is refused");
	w3s_rd_init(&r, b.data, b.len);
	is_int(w3s_challenge_proof_decode(&r, &got, &len, &mp2, &cp2, NULL),
	    W3S_EMALFORMED, "  with a NULL err too");
	w3s_buf_release(&b);
	free(big);
	/* 00, a chunk length of 200000, and 3 bytes: refused, not read. */
	{
		uint8_t liar[] = { 0, 0x02, 0x35, 0x0c, 0x00, 1, 2, 3 };

		w3s_rd_init(&r, liar, sizeof(liar));
		is_int(w3s_challenge_proof_decode(&r, &got, &len, &mp2, &cp2,
		    &err), W3S_EMALFORMED,
		    "a chunk length past the input is refused");
	}

	fill(root, 0x11);
	fill(admin, 0x22);
	memset(sig, 0x33, sizeof(sig));
	w3s_buf_init(&b);
	w3s_challenge_deleted_encode(&b, root, 7, admin, sig);
	ok(b.len == 1 + 32 + 8 + 32 + 1 + 64 && b.data[0] == 1 &&
	    b.data[1] == 0x11 && b.data[33] == 7 && b.data[41] == 0x22 &&
	    b.data[73] == 0 && b.data[74] == 0x33,
	    "ChallengeResponse::Deleted layout (Ed25519 MultiSignature)");
	{
		struct w3s_challenge_deleted d;
		uint8_t *m;

		w3s_rd_init(&r, b.data, b.len);
		ok(w3s_challenge_deleted_decode(&r, &d, &err) == 0 &&
		    memcmp(d.new_mmr_root, root, 32) == 0 &&
		    d.new_start_seq == 7 && memcmp(d.admin, admin, 32) == 0 &&
		    d.sig_kind == W3S_MULTISIG_ED25519 &&
		    memcmp(d.sig, sig, 64) == 0, "Deleted decodes back");
		w3s_rd_init(&r, b.data, b.len - 1);
		is_int(w3s_challenge_deleted_decode(&r, &d, &err),
		    W3S_EMALFORMED, "a Deleted answer one byte short");
		w3s_buf_put_u8(&b, 0);
		w3s_rd_init(&r, b.data, b.len);
		is_int(w3s_challenge_deleted_decode(&r, &d, &err),
		    W3S_EMALFORMED, "a byte after a Deleted answer");
		m = b.data;
		m[73] = 2;	/* ECDSA: 65 bytes, the extra one included */
		w3s_rd_init(&r, b.data, b.len);
		ok(w3s_challenge_deleted_decode(&r, &d, &err) == 0 &&
		    d.sig_kind == W3S_MULTISIG_ECDSA && d.sig[64] == 0,
		    "an ECDSA MultiSignature is 65 bytes");
		m[73] = 3;
		w3s_rd_init(&r, b.data, b.len);
		is_int(w3s_challenge_deleted_decode(&r, &d, &err),
		    W3S_EMALFORMED, "MultiSignature variant 3 is refused");
		m[0] = 0;
		w3s_rd_init(&r, b.data, b.len);
		is_int(w3s_challenge_deleted_decode(&r, &d, &err),
		    W3S_EMALFORMED, "a Proof is not a Deleted answer");
	}
	w3s_buf_release(&b);
}

static void
test_provider_records(void)
{
	static const uint8_t five[] = { 1, 2, 3, 4, 5 };
	uint8_t l[32], r[32], root[32];
	struct w3s_leaf leaf;
	struct w3s_buf b;

	w3s_buf_init(&b);
	w3s_chunk_tree_node_encode_chunk(&b, five, 5);
	is_hex(b.data, b.len, "00140102030405", "ChunkTreeNode::Chunk");
	w3s_buf_release(&b);
	w3s_buf_init(&b);
	w3s_chunk_tree_node_encode_chunk(&b, NULL, 0);
	is_hex(b.data, b.len, "0000", "ChunkTreeNode::Chunk, empty");
	w3s_buf_release(&b);
	fill(l, 0x11);
	fill(r, 0x22);
	w3s_buf_init(&b);
	w3s_chunk_tree_node_encode_internal(&b, l, r);
	ok(b.len == 65 && b.data[0] == 1 && b.data[1] == 0x11 &&
	    b.data[33] == 0x22, "ChunkTreeNode::Internal");
	w3s_buf_release(&b);

	fill(root, 0xab);
	fill(leaf.data_root, 0xcd);
	leaf.data_size = 111;
	leaf.total_size = 222;
	w3s_buf_init(&b);
	w3s_bucket_state_encode(&b, root, 7, &leaf, 1, 999, 1000000);
	is_hex(b.data, b.len,
	    "abababababababababababababababababababababababababababababab"
	    "abab070000000000000004cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	    "cdcdcdcdcdcdcdcdcdcdcdcdcd6f00000000000000de00000000000000e7"
	    "0300000000000040420f0000000000",
	    "BucketState golden");
	w3s_buf_release(&b);
}

int
main(void)
{
	test_compact();
	test_bytes_and_ints();
	test_leaf_and_commitment();
	test_merkle_proof();
	test_mmr_proof();
	test_sync_roots();
	test_challenge();
	test_provider_records();
	return tap_done();
}
