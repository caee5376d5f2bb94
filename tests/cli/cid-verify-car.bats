#!/usr/bin/env bats
# cid-verify --car: CARv1 and CARv2 files, verified without a store.
#
# Two sets of inputs:
#   - tests/fixtures/car/: small CARs made by make-cars.py (Python's hashlib
#     and the specifications, not this project's library), each named after
#     its one defect, with EXPECTED giving exit status, block count, roots
#     and missing blocks; and two CARs made by ipfs-car (IPFS-CAR);
#   - vectors/car: go-car's test data, one test per file. The CI has the
#     vectors; without them those tests fail and say where they looked.

bats_require_minimum_version 1.5.0
load helpers

CARS="$FIXTURES/car"
V="${W3SYNC_VECTORS:-$BATS_TEST_DIRNAME/../../../shared/vectors}/car"
SAMPLE_ROOT=bafy2bzaced4ueelaegfs5fqu4tzsh6ywbbpfk3cxppupmxfdhbpbhzawfw5oy

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
}

# Fails the test when the vectors are not there.
vectors() {
	[ -d "$V" ] || {
		echo "vectors not found at $V" >&2
		return 1
	}
}

# Sets st, blocks, roots and missing from the EXPECTED line of fixture $1
# (roots and missing space-separated, empty for none).
expected() {
	local name
	read -r name st blocks roots missing < <(grep "^$1 " "$CARS/EXPECTED")
	[ "$name" = "$1" ]
	[ "$roots" = - ] && roots=
	[ "$missing" = - ] && missing=
	roots=${roots//,/ }
	missing=${missing//,/ }
}

# The CIDs of the sections of a CARv1, one per line, read with Python (v0
# in base58btc, v1 in base32): an independent list to compare with.
car_cids() {
	python3 - "$1" <<'EOF'
import base64, sys
b = open(sys.argv[1], "rb").read()
def uv(o):
    x = s = 0
    while True:
        c = b[o]; o += 1; x |= (c & 0x7f) << s; s += 7
        if c < 0x80: return x, o
def b58(d):
    a = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n = int.from_bytes(d, "big"); s = ""
    while n: n, r = divmod(n, 58); s = a[r] + s
    return s
n, o = uv(0); o += n
while o < len(b):
    n, p = uv(o); o = p + n
    if b[p] == 0x12:
        print(b58(b[p:p + 34]))
        continue
    q = p
    for _ in range(3): _, q = uv(q)
    dl, q = uv(q)
    print("b" + base64.b32encode(b[p:q + dl]).decode().lower().rstrip("="))
EOF
}

# ---- the fixtures ---------------------------------------------------------

@test "fixtures: every file gives the exit status, blocks, roots and missing of EXPECTED" {
	local n=0
	while read -r name _; do
		[[ $name == \#* ]] && continue
		expected "$name"
		run --separate-stderr cid-verify --car --json "$CARS/$name"
		if [ "$status" -ne "$st" ]; then
			echo "$name: exit $status, want $st: $stderr"
			return 1
		fi
		if [ "$st" -eq 0 ] || [ "$st" -eq 3 ]; then
			[ "$(jq -r .blocks <<<"$output")" = "$blocks" ]
			[ "$(jq -r '.roots | join(" ")' <<<"$output")" = "$roots" ]
			[ "$(jq -r '.missing | join(" ")' <<<"$output")" = "$missing" ]
		else
			[ -z "$output" ]
		fi
		[ "$st" -eq 0 ] && [ -z "$stderr" ]
		[ "$st" -eq 0 ] || [ "${#stderr_lines[@]}" -eq 1 ]
		n=$((n + 1))
	done <"$CARS/EXPECTED"
	[ "$n" -ge 30 ]
}

@test "fixtures: make-cars.py makes exactly the committed files" {
	mkdir out
	run -0 env CAR_FIXTURES_OUT="$PWD/out" python3 "$CARS/make-cars.py"
	for f in out/*; do
		cmp "$f" "$CARS/$(basename "$f")"
	done
	[ "$(ls out | wc -l)" -eq "$(ls "$CARS" | grep -cvE '^(make-cars.py|IPFS-CAR|ipfs-car-.*)$')" ]
}

@test "good-v1.car: version, roots and blocks, exit 0" {
	expected good-v1.car
	run -0 --separate-stderr cid-verify --car "$CARS/good-v1.car"
	[ "$output" = "file: $CARS/good-v1.car
version: 1
roots: $roots
blocks: 6" ]
	[ -z "$stderr" ]
}

@test "good-v2.car: a CARv2 with a MultihashIndexSorted index, exit 0" {
	expected good-v2.car
	run -0 --separate-stderr cid-verify --car --json "$CARS/good-v2.car"
	[ "$(jq -c 'keys_unsorted' <<<"$output")" = '["file","version","roots","blocks","missing"]' ]
	[ "$(jq -r .version <<<"$output")" = 2 ]
	[ "$(jq -r '.roots[0]' <<<"$output")" = "$roots" ]
	[ "$(jq -r .blocks <<<"$output")" = 6 ]
	[ "$(jq -c .missing <<<"$output")" = '[]' ]
}

@test "good-v2-indexsorted, -indexless and -fully-indexed: exit 0" {
	run -0 cid-verify --car "$CARS/good-v2-indexsorted.car" \
	    "$CARS/good-v2-indexless.car" "$CARS/good-v2-fully-indexed.car"
	[ "$(grep -c '^version: 2$' <<<"$output")" -eq 3 ]
}

@test "- reads a CAR from standard input, from a file or a pipe" {
	expected good-v2.car
	run -0 cid-verify --car - <"$CARS/good-v2.car"
	assert_line --index 0 'file: -'
	assert_line --index 2 "roots: $roots"
	run -0 bash -c "set -o pipefail; cat '$CARS/good-v2.car' | cid-verify --car --json -"
	[ "$(jq -r .blocks <<<"$output")" = 6 ]
}

@test "missing-links.car: exit 3, the missing CIDs listed in link order" {
	expected missing-links.car
	run -3 --separate-stderr cid-verify --car "$CARS/missing-links.car"
	assert_line --index 3 'blocks: 3'
	assert_line --index 4 "missing: $missing"
	first=${missing%% *}
	[ "$stderr" = "cid-verify: error: $CARS/missing-links.car: 3 linked blocks are missing, the first $first" ]
}

@test "missing-root.car and missing-cbor-link.car: exit 3 naming the block" {
	expected missing-root.car
	run -3 --separate-stderr cid-verify --car "$CARS/missing-root.car"
	[ "$stderr" = "cid-verify: error: $CARS/missing-root.car: root $missing is missing" ]
	expected missing-cbor-link.car
	run -3 --separate-stderr cid-verify --car --json "$CARS/missing-cbor-link.car"
	[ "$(jq -r '.missing[0]' <<<"$output")" = "$missing" ]
	[[ $stderr == *"linked block $missing is missing" ]]
}

@test "bad-hash.car: exit 1 naming the block's CID" {
	# The changed block is the dag-cbor node's blake2b-256 leaf, the one
	# missing-cbor-link.car lacks.
	expected missing-cbor-link.car
	run -1 --separate-stderr cid-verify --car "$CARS/bad-hash.car"
	[ -z "$output" ]
	[[ $stderr == "cid-verify: error: $CARS/bad-hash.car: block $missing at byte "*": hash mismatch: its data hashes to bafk2bza"* ]]
	run -1 --separate-stderr cid-verify --car "$CARS/bad-identity.car"
	[[ $stderr == *"hash mismatch"* ]]
}

@test "an index that does not match the data: exit 1" {
	run -1 --separate-stderr cid-verify --car "$CARS/bad-index-offset.car"
	[[ $stderr == *": index: the entry for digest "*"where no section starts" ]]
	run -1 --separate-stderr cid-verify --car "$CARS/bad-index-missing-entry.car"
	[[ $stderr == *": index: block bafkrgq"*" is not in it" ]]
	run -1 --separate-stderr cid-verify --car "$CARS/bad-index-swapped.car"
	[[ $stderr == *": index: the entry for digest "*"which holds bafkr"* ]]
}

@test "truncated CARs are malformed: exit 4 naming where they end" {
	for f in truncated-section truncated-header truncated-v2-index truncated-v2-data; do
		run -4 --separate-stderr cid-verify --car "$CARS/$f.car"
		[[ $stderr == "cid-verify: error: $CARS/$f.car: the file ends "*" (truncated at byte "*")" ]]
		[ -z "$output" ]
	done
}

@test "zero-length section: zero padding ends the data; anything else is malformed" {
	run -0 cid-verify --car "$CARS/good-zero-padding.car"
	assert_line --index 3 'blocks: 6'
	run -4 --separate-stderr cid-verify --car "$CARS/nonzero-after-zero-section.car"
	[[ $stderr == *"is not zero, after a zero-length section at byte "* ]]
}

@test "hostile lengths and non-minimal varints: exit 4" {
	run -4 --separate-stderr cid-verify --car "$CARS/header-too-long.car"
	[[ $stderr == *": header length 33554433 is more than 33554432" ]]
	run -4 --separate-stderr cid-verify --car "$CARS/section-too-long.car"
	[[ $stderr == *": length 8388609 is more than 8388608" ]]
	run -4 --separate-stderr cid-verify --car "$CARS/non-minimal-varint.car"
	[[ $stderr == *"not minimally encoded" ]]
	run -4 --separate-stderr cid-verify --car "$CARS/bad-v2-offsets.car"
	[[ $stderr == *"CARv2 header: offsets beyond 2^63"* ]]
}

@test "unsupported hash function, CAR version and index format: exit 4 naming them" {
	run -4 --separate-stderr cid-verify --car "$CARS/unsupported-hash.car"
	[[ $stderr == *"hash function 0x16 is not supported" ]]
	run -4 --separate-stderr cid-verify --car "$CARS/unsupported-version.car"
	[[ $stderr == *"CAR version 3 is not supported" ]]
	run -4 --separate-stderr cid-verify --car "$CARS/unsupported-index.car"
	[[ $stderr == *"index format 0x402 is not supported"* ]]
}

@test "malformed dag-pb and dag-cbor blocks, empty file, bytes after the end: exit 4" {
	run -4 --separate-stderr cid-verify --car "$CARS/bad-dag-pb.car"
	[[ $stderr == *": dag-pb: Links after Data" ]]
	run -4 --separate-stderr cid-verify --car "$CARS/bad-dag-cbor.car"
	[[ $stderr == *": dag-cbor: tag 42 not on a byte string"* ]]
	run -4 --separate-stderr cid-verify --car "$CARS/empty.car"
	[ "$stderr" = "cid-verify: error: $CARS/empty.car: the file is empty" ]
	run -4 --separate-stderr cid-verify --car "$CARS/trailing-after-index.car"
	[[ $stderr == *"after the index" ]]
	run -4 --separate-stderr cid-verify --car "$CARS/trailing-after-v2-data.car"
	[[ $stderr == *"after the data" ]]
}

@test "no roots and two roots" {
	run -0 cid-verify --car "$CARS/good-no-roots.car"
	assert_line --index 2 'roots:'
	run -0 cid-verify --car --json "$CARS/good-no-roots.car"
	[ "$(jq -c .roots <<<"$output")" = '[]' ]
	expected good-two-roots.car
	run -0 cid-verify --car "$CARS/good-two-roots.car"
	assert_line --index 2 "roots: $roots"
}

@test "--cid: the CID must be a root; CIDv0 and CIDv1 of one dag-pb root match" {
	expected good-v1.car
	run -0 --separate-stderr cid-verify --car --cid "$roots" "$CARS/good-v1.car"
	[ -z "$stderr" ]
	run -0 cid-verify --car --json --cid "$roots" "$CARS/good-v1.car"
	[ "$(jq -r .match <<<"$output")" = true ]
	# The CIDv1 of the same root: 01 70 then the multihash.
	v1=$(python3 -c '
import base64, sys
a = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
n = 0
for c in sys.argv[1]: n = n * 58 + a.index(c)
mh = n.to_bytes(34, "big")
print("b" + base64.b32encode(b"\x01\x70" + mh).decode().lower().rstrip("="))' "$roots")
	run -0 cid-verify --car --cid "$v1" "$CARS/good-v1.car"
	# A CID that is not a root.
	expected good-two-roots.car
	other=${roots%% *}
	run -1 --separate-stderr cid-verify --car --cid "$other" "$CARS/good-v1.car"
	[ "$stderr" = "cid-verify: error: $CARS/good-v1.car: root mismatch: expected $other, got $(expected good-v1.car; echo "$roots")" ]
	assert_line --index 3 'blocks: 6'
	run -1 --separate-stderr cid-verify --car --json --cid "$other" "$CARS/good-v1.car"
	[ "$(jq -r .match <<<"$output")" = false ]
	run -1 --separate-stderr cid-verify --car --cid "$SAMPLE_ROOT" "$CARS/good-two-roots.car"
	[[ $stderr == *"root mismatch: $SAMPLE_ROOT is not among the 2 roots" ]]
}

@test "--base prints CIDv1s in that base; CIDv0s stay base58btc" {
	expected good-two-roots.car
	first=${roots%% *}
	hex=$(python3 -c '
import base64, sys
s = sys.argv[1][1:].upper()
print("f" + base64.b32decode(s + "=" * (-len(s) % 8)).hex())' "$first")
	run -0 cid-verify --car --base base16 "$CARS/good-two-roots.car"
	assert_line --index 2 --regexp "^roots: $hex f"
	expected good-v1.car
	run -0 cid-verify --car --base base16 "$CARS/good-v1.car"
	assert_line --index 2 "roots: $roots"
}

@test "several files: each is done, the worst exit status wins" {
	run -4 --separate-stderr cid-verify --car "$CARS/good-v1.car" \
	    "$CARS/missing-links.car" "$CARS/empty.car" "$CARS/bad-hash.car"
	[ "$(grep -c '^file: ' <<<"$output")" -eq 2 ]
	[ "${#stderr_lines[@]}" -eq 3 ]
	run -3 cid-verify --car "$CARS/bad-hash.car" "$CARS/missing-links.car"
	run -7 cid-verify --car "$CARS/good-v1.car" nonexistent.car
	assert_line --index 0 "file: $CARS/good-v1.car"
}

@test "unreadable files and a failed write exit 7" {
	run -7 --separate-stderr cid-verify --car missing.car
	[ "$stderr" = "cid-verify: error: missing.car: cannot open: no such file or directory" ]
	mkdir d
	run -7 --separate-stderr cid-verify --car d
	[ "$stderr" = "cid-verify: error: d: read failed: is a directory" ]
	run -7 --separate-stderr bash -c "cid-verify --car '$CARS/good-v1.car' >/dev/full"
	[[ $stderr == "cid-verify: error: standard output: write failed"* ]]
}

@test "--car with options that compute CIDs is a usage error (exit 2)" {
	for opt in "--hash sha2-256" "--codec raw" "--cid-version 1" \
	    "--root 0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr cid-verify --car $opt "$CARS/good-v1.car"
		[[ $stderr == "cid-verify: error: usage: --car checks the cids the car names; drop ${opt%% *}"* ]]
	done
	run -2 cid-verify --car
	run -2 cid-verify --car=x "$CARS/good-v1.car"
}

@test "ipfs-car pack output (--output and standard output) verifies" {
	root=$(awk '$1 == "root" { print $2 }' "$CARS/IPFS-CAR")
	run -0 --separate-stderr cid-verify --car --cid "$root" "$CARS/ipfs-car-dir.car"
	assert_line --index 2 "roots: $root"
	assert_line --index 3 "blocks: $(grep -c '^block ' "$CARS/IPFS-CAR")"
	[ -z "$stderr" ]
	# The same blocks as ipfs-car lists, read independently.
	[ "$(car_cids "$CARS/ipfs-car-dir.car" | sort)" = "$(awk '$1 == "block" { print $2 }' "$CARS/IPFS-CAR" | sort)" ]
	# Packed to a pipe, ipfs-car cannot write the root back: no roots.
	run -0 cid-verify --car --json "$CARS/ipfs-car-stdout.car"
	[ "$(jq -c .roots <<<"$output")" = '[]' ]
	[ "$(jq -r .blocks <<<"$output")" = 5 ]
}

# ---- go-car's test data ---------------------------------------------------

@test "vectors: sample-v1.car: exit 0, 1049 blocks, one root" {
	vectors
	run -0 --separate-stderr cid-verify --car "$V/sample-v1.car"
	[ "$output" = "file: $V/sample-v1.car
version: 1
roots: $SAMPLE_ROOT
blocks: 1049" ]
	[ -z "$stderr" ]
	# 1043 dag-cbor blake2b-256 blocks and 6 identity blocks.
	[ "$(car_cids "$V/sample-v1.car" | grep -c '^bafy2bza')" -eq 1043 ]
	[ "$(car_cids "$V/sample-v1.car" | grep -c '^bafkqa')" -eq 6 ]
}

@test "vectors: sample-v1-noidentity.car: exit 0, 1043 blocks" {
	vectors
	run -0 cid-verify --car --json "$V/sample-v1-noidentity.car"
	[ "$(jq -r .blocks <<<"$output")" = 1043 ]
	[ "$(jq -r '.roots[0]' <<<"$output")" = "$SAMPLE_ROOT" ]
}

@test "vectors: sample-wrapped-v2.car: the same data as CARv2 with its index, exit 0" {
	vectors
	run -0 --separate-stderr cid-verify --car "$V/sample-wrapped-v2.car"
	[ "$output" = "file: $V/sample-wrapped-v2.car
version: 2
roots: $SAMPLE_ROOT
blocks: 1049" ]
	run -0 bash -c "set -o pipefail; cat '$V/sample-wrapped-v2.car' | cid-verify --car --json -"
	[ "$(jq -r .blocks <<<"$output")" = 1049 ]
}

@test "vectors: sample-v2-indexless.car: exit 0, version 2, 1049 blocks" {
	vectors
	run -0 cid-verify --car --json "$V/sample-v2-indexless.car"
	[ "$(jq -r .version <<<"$output")" = 2 ]
	[ "$(jq -r .blocks <<<"$output")" = 1049 ]
}

@test "vectors: sample-rw-bs-v2.car: exit 0, 3 roots, 3 blocks, data after header padding" {
	vectors
	run -0 cid-verify --car --json "$V/sample-rw-bs-v2.car"
	[ "$(jq -r .version <<<"$output")" = 2 ]
	[ "$(jq -r '.roots | length' <<<"$output")" = 3 ]
	[ "$(jq -r .blocks <<<"$output")" = 3 ]
}

@test "vectors: sample-unixfs-v2.car: exit 0, dag-pb root, 3 blocks" {
	vectors
	run -0 cid-verify --car "$V/sample-unixfs-v2.car"
	assert_line --index 1 'version: 2'
	assert_line --index 2 'roots: bafybeiakgrehdxxgy5kca72znt6jllrj2sqkehtqeojfuxlbeuqg3vfkwq'
	assert_line --index 3 'blocks: 3'
}

@test "vectors: simple-unixfs.car: exit 0, CIDv0 root, 22 dag-pb blocks" {
	vectors
	run -0 cid-verify --car "$V/simple-unixfs.car"
	assert_line --index 2 'roots: QmPLPpnptHc1DMhJAWNYMTqBTqqRQNy5WsY7F9pZgsBfMT'
	assert_line --index 3 'blocks: 22'
	[ "$(car_cids "$V/simple-unixfs.car" | grep -c '^Qm')" -eq 22 ]
}

@test "vectors: simple-unixfs-missing-blocks.car: exit 3, the 3 findable of its 5 missing blocks listed" {
	vectors
	run -3 --separate-stderr cid-verify --car "$V/simple-unixfs-missing-blocks.car"
	assert_line --index 2 'roots: QmPLPpnptHc1DMhJAWNYMTqBTqqRQNy5WsY7F9pZgsBfMT'
	assert_line --index 3 'blocks: 17'
	assert_line --index 4 'missing: QmVKt1VVkgfYcbSZqLD9sxZAkDpbH3L7RM6mJ6LHbkj5Bm QmQVogEgzv2B7p1FPVueiaTvpVQazboakY8EwEKNPZ1KGM QmabQNoyptSoGBrQes6Pq44q7E4pkzXR2soPrLQH8tcmM7'
	[ "$stderr" = "cid-verify: error: $V/simple-unixfs-missing-blocks.car: 3 linked blocks are missing, the first QmVKt1VVkgfYcbSZqLD9sxZAkDpbH3L7RM6mJ6LHbkj5Bm" ]
	# Five blocks of simple-unixfs.car are not in this file; the other
	# two hang only under missing blocks, so nothing in the file names
	# them. Each one listed is one of the five.
	car_cids "$V/simple-unixfs.car" | sort >full
	car_cids "$V/simple-unixfs-missing-blocks.car" | sort >part
	comm -23 full part >gone
	[ "$(wc -l <gone)" -eq 5 ]
	for c in ${lines[4]#missing: }; do
		grep -qx "$c" gone
	done
}

@test "vectors: sample-v1-with-zero-len-section.car: zero padding after the data, exit 0" {
	vectors
	run -0 cid-verify --car --json "$V/sample-v1-with-zero-len-section.car"
	[ "$(jq -r .blocks <<<"$output")" = 1049 ]
	[ "$(jq -r '.roots[0]' <<<"$output")" = "$SAMPLE_ROOT" ]
}

@test "vectors: sample-v1-with-zero-len-section2.car: zero padding after the data, exit 0" {
	vectors
	run -0 cid-verify --car "$V/sample-v1-with-zero-len-section2.car"
	assert_line --index 2 'roots: bafykbzaceapvx4wxbe3bfc5neit43wl22pruy2ysk7wv763iuyyxcffj3te56'
	assert_line --index 3 'blocks: 20'
}

@test "vectors: sample-v1-tailing-corrupt-section.car: a cut last section, exit 4" {
	vectors
	run -4 --separate-stderr cid-verify --car "$V/sample-v1-tailing-corrupt-section.car"
	[ "$stderr" = "cid-verify: error: $V/sample-v1-tailing-corrupt-section.car: the file ends inside a section (truncated at byte 479894)" ]
	[ -z "$output" ]
}

@test "vectors: sample-v2-corrupt-data-and-index.car: a data offset past 2^63, exit 4" {
	vectors
	run -4 --separate-stderr cid-verify --car "$V/sample-v2-corrupt-data-and-index.car"
	[[ $stderr == *": CARv2 header: offsets beyond 2^63 (data offset 18446744073709550254, "* ]]
}

@test "vectors: sample-corrupt-pragma.car: a header cut short, exit 4" {
	vectors
	run -4 --separate-stderr cid-verify --car "$V/sample-corrupt-pragma.car"
	[ "$stderr" = "cid-verify: error: $V/sample-corrupt-pragma.car: the file ends inside the header (truncated at byte 16)" ]
}

@test "vectors: sample-rootless-v42.car: version 42, exit 4" {
	vectors
	run -4 --separate-stderr cid-verify --car "$V/sample-rootless-v42.car"
	[ "$stderr" = "cid-verify: error: $V/sample-rootless-v42.car: header: CAR version 42 is not supported" ]
}

@test "vectors: badheaderlength.car: exit 4 before reading the header" {
	vectors
	run -4 --separate-stderr cid-verify --car "$V/badheaderlength.car"
	[ "$stderr" = "cid-verify: error: $V/badheaderlength.car: header length 216830324832 is more than 33554432" ]
}

@test "vectors: badsectionlength.car: exit 4 before reading the section" {
	vectors
	run -4 --separate-stderr cid-verify --car "$V/badsectionlength.car"
	[ "$stderr" = "cid-verify: error: $V/badsectionlength.car: section at byte 18: length 216830324832 is more than 8388608" ]
}

@test "vectors: wikipedia-cryptographic-hash-function.car: a path of a larger DAG, exit 3" {
	vectors
	run -3 --separate-stderr cid-verify --car --json "$V/wikipedia-cryptographic-hash-function.car"
	[ "$(jq -r '.roots[0]' <<<"$output")" = bafybeiaysi4s6lnjev27ln5icwm6tueaw2vdykrtjkwiphwekaywqhcjze ]
	[ "$(jq -r .blocks <<<"$output")" = 5 ]
	[ "$(jq -r '.missing | length' <<<"$output")" = 680 ]
	[[ $stderr == *": 680 linked blocks are missing, the first "* ]]
}

@test "vectors: the detached indexes (.carindex) are not CAR files, exit 4" {
	vectors
	run -4 --separate-stderr cid-verify --car "$V/sample-index.carindex" \
	    "$V/sample-multihash-index-sorted.carindex"
	[ "${#stderr_lines[@]}" -eq 2 ]
	[[ ${stderr_lines[0]} == *"sample-index.carindex: header: "* ]]
}

@test "vectors: every file in one run: one summary per readable file, exit 4" {
	vectors
	run -4 --separate-stderr cid-verify --car --json "$V"/*.car
	# 9 complete + 2 with missing blocks.
	[ "${#lines[@]}" -eq 11 ]
	[ "${#stderr_lines[@]}" -eq 8 ]
}
