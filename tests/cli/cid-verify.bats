#!/usr/bin/env bats
# cid-verify: identifiers of files, checks against --cid and --root, exit
# codes, and agreement of --help, the man page and the completions.
#
# Expected values are computed here with other tools (b2sum, sha256sum,
# xxd, basenc) from the rules in vectors/w3s/SPEC.md, and pinned to
# web3-storage's own values where it publishes them.

bats_require_minimum_version 1.5.0
load helpers

ROOT_786532=0xd952c74797a9ba541356b20068cc3a94f8885d17959951e40cdfbb912637f508
ROOT_1048581=0x4b7bd17ad4017f5449832a5abe87d8d4d90445c6d1ea633c4f112a9bad1d134a
ROOT_EMPTY=0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8
SRC="$BATS_TEST_DIRNAME/../.."

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
}

# BLAKE2b-256 of stdin, hex.
b2() {
	b2sum -l 256 | cut -c1-64
}

# hex -> bytes, bytes -> hex.
unhex() {
	xxd -r -p
}

# data_root of FILE, by SPEC.md section 3: chunk hashes, zero-padded to a
# power of two, hashed pairwise up to one.
data_root() {
	local f=$1 size n i level next
	size=$(stat -c %s "$f")
	n=$(((size + 262143) / 262144))
	((n == 0)) && n=1
	level=()
	for ((i = 0; i < n; i++)); do
		level+=("$(dd if="$f" bs=262144 skip="$i" count=1 status=none | b2)")
	done
	while ((${#level[@]} > 1)); do
		while ((${#level[@]} & (${#level[@]} - 1))); do
			level+=("$(printf '%064d' 0)")
		done
		next=()
		for ((i = 0; i < ${#level[@]}; i += 2)); do
			next+=("$(printf '%s%s' "${level[i]}" "${level[i + 1]}" | unhex | b2)")
		done
		level=("${next[@]}")
	done
	echo "0x${level[0]}"
}

# "b" + base32 (lower case, no padding) of the given hex bytes.
b32cid() {
	echo "b$(unhex | basenc --base32 -w0 | tr -d = | tr A-Z a-z)"
}

# CIDv1 raw sha2-256 of FILE: 01 55 12 20 || sha256.
sha256_cid() {
	{ printf 01551220; sha256sum "$1" | cut -c1-64; } | b32cid
}

# CIDv1 raw blake2b-256 of FILE: 01 55, varint 0xb220 = a0 e4 02, 20.
blake2b_cid() {
	{ printf 0155a0e40220; b2 <"$1"; } | b32cid
}

@test "data roots and CIDs of 0, 1, 262144, 262145 bytes and several chunks" {
	for size in 0 1 262144 262145 786532 1048581; do
		gen_file "f$size" "$size"
		root=$(data_root "f$size")
		run -0 cid-verify "f$size"
		assert_output "$(blake2b_cid "f$size")  $root  $size  f$size"
		run -0 cid-verify --hash sha2-256 "f$size"
		assert_output "$(sha256_cid "f$size")  $root  $size  f$size"
	done
}

@test "data roots equal web3-storage's published values" {
	: >empty
	gen_file big 786532
	gen_file five 1048581
	run -0 cid-verify empty big five
	assert_line --index 0 --regexp "^bafk2bza[a-z2-7]+  $ROOT_EMPTY  0  empty\$"
	assert_line --index 1 --regexp "^bafk2bza[a-z2-7]+  $ROOT_786532  786532  big\$"
	assert_line --index 2 --regexp "^bafk2bza[a-z2-7]+  $ROOT_1048581  1048581  five\$"
	# Up to one chunk the data root is the hash of the bytes; above, not.
	[ "$(data_root big)" = "$ROOT_786532" ]
	[ "0x$(b2 <big)" != "$ROOT_786532" ]
}

@test "a file of random bytes crossing read blocks matches the independent root" {
	head -c 9437189 /dev/urandom >rand
	run -0 cid-verify --hash sha2-256 rand
	assert_output "$(sha256_cid rand)  $(data_root rand)  9437189  rand"
}

@test "--json: one object per file, parsed with jq" {
	gen_file a 262145
	: >b
	run -0 --separate-stderr cid-verify --json a b
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .file <<<"${lines[0]}")" = a ]
	[ "$(jq -r .size <<<"${lines[0]}")" = 262145 ]
	[ "$(jq -r .chunks <<<"${lines[0]}")" = 2 ]
	[ "$(jq -r .cid <<<"${lines[0]}")" = "$(blake2b_cid a)" ]
	[ "$(jq -r .data_root <<<"${lines[0]}")" = "$(data_root a)" ]
	[ "$(jq -r .chunks <<<"${lines[1]}")" = 1 ]
	[ "$(jq -r .data_root <<<"${lines[1]}")" = "$ROOT_EMPTY" ]
	[ "$(jq -c 'keys_unsorted' <<<"${lines[0]}")" = '["file","size","chunks","cid","data_root"]' ]
	[ "$(jq -r 'has("match")' <<<"${lines[0]}")" = false ]
}

@test "--json escapes file names; text output escapes them as sha256sum does" {
	name=$'q"uo\\te\nnl\ttab'
	printf 'x' >"$name"
	run -0 cid-verify --json "$name"
	[ "$(jq -r .file <<<"$output" | od -c)" = "$(printf '%s\n' "$name" | od -c)" ]
	run -0 cid-verify "$name"
	[ "${output:0:1}" = '\' ]
	[[ $output == *'  q"uo\\te\nnl'$'\t''tab' ]]
	printf 'x' >"$(printf 'bad\377')"
	run -0 cid-verify --json "$(printf 'bad\377')"
	[ "$(jq -r .file <<<"$output")" = "bad"$'\xef\xbf\xbd' ]
}

@test "- reads standard input, from a file or a pipe" {
	gen_file a 786532
	run -0 cid-verify - <a
	assert_output "$(blake2b_cid a)  $ROOT_786532  786532  -"
	run -0 bash -c 'set -o pipefail; cat a | cid-verify --hash sha2-256 -'
	assert_output "$(sha256_cid a)  $ROOT_786532  786532  -"
}

@test "--cid: a match exits 0" {
	gen_file a 262145
	cid=$(sha256_cid a)
	run -0 --separate-stderr cid-verify --cid "$cid" a
	assert_output "$cid  $(data_root a)  262145  a"
	[ -z "$stderr" ]
	run -0 cid-verify --cid "$(blake2b_cid a)" a
	run -0 cid-verify --json --cid "$cid" a
	[ "$(jq -r .match <<<"$output")" = true ]
}

@test "--cid: a mismatch exits 1 with one line naming expected and actual" {
	gen_file a 1000
	gen_file b 1001
	want=$(sha256_cid b)
	got=$(sha256_cid a)
	run -1 --separate-stderr cid-verify --cid "$want" a
	[ "$stderr" = "cid-verify: error: a: cid mismatch: expected $want, got $got" ]
	run -1 --separate-stderr cid-verify --json --cid "$want" a
	[ "$(jq -r .match <<<"$output")" = false ]
}

@test "--cid takes hash function, codec and version from the CID" {
	printf 'hello' >h
	# CIDv0: base58btc of 12 20 || sha256, computed by hand.
	v0=$(python3 -c '
import hashlib, sys
a = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
b = b"\x12\x20" + hashlib.sha256(open(sys.argv[1], "rb").read()).digest()
n = int.from_bytes(b, "big"); s = ""
while n: n, r = divmod(n, 58); s = a[r] + s
print(s)' h)
	run -0 cid-verify --cid-version 0 h
	assert_output --regexp "^$v0  0x"
	run -0 cid-verify --cid "$v0" h
	# dag-cbor, sha2-256: 01 71 12 20 || sha256.
	cbor=$({ printf 01711220; sha256sum h | cut -c1-64; } | b32cid)
	run -0 cid-verify --cid "$cbor" h
	run -0 cid-verify --codec dag-cbor --hash sha2-256 h
	assert_output --regexp "^$cbor  "
	# The same CID in base16 and base58btc.
	hex=$({ printf 01711220; sha256sum h | cut -c1-64; })
	run -0 cid-verify --cid "f$hex" h
	assert_output --regexp "^f$hex  "
	run -0 cid-verify --base base16 --codec dag-cbor --hash sha2-256 h
	assert_output --regexp "^f$hex  "
	run -0 cid-verify --base base58btc h
	assert_output --regexp '^z[1-9A-HJ-NP-Za-km-z]+  '
	# identity: the bytes themselves (01 55 00 05 "hello").
	run -0 cid-verify --cid "$(printf 0155000568656c6c6f | b32cid)" h
	gen_file long 65
	run -1 --separate-stderr cid-verify --cid "$(printf 0155000568656c6c6f | b32cid)" long
	assert_output --regexp '^-  0x[0-9a-f]{64}  65  long$'
	# 0x + 64 hex: a blake2b-256 raw CID.
	run -0 cid-verify --cid "0x$(b2 <h)" h
}

@test "--root: match exits 0, mismatch exits 1 with the message" {
	gen_file a 786532
	run -0 --separate-stderr cid-verify --root "$ROOT_786532" a
	[ -z "$stderr" ]
	run -0 cid-verify --root "${ROOT_786532^^}" a
	gen_file b 786533
	got=$(data_root b)
	run -1 --separate-stderr cid-verify --root "$ROOT_786532" b
	[ "$stderr" = "cid-verify: error: b: data root mismatch: expected $ROOT_786532, got $got" ]
	# Both checks at once; a flipped byte fails both.
	run -0 cid-verify --root "$ROOT_786532" --cid "$(blake2b_cid a)" a
	printf '\377' | dd of=a bs=1 seek=300000 conv=notrunc status=none
	run -1 --separate-stderr cid-verify --root "$ROOT_786532" --cid "$(blake2b_cid b)" a
	[ "${#stderr_lines[@]}" -eq 2 ]
}

@test "malformed CID exits 4" {
	printf 'x' >a
	for bad in bogus bafy Qm123 'b!!!!' '0x1234' "$(printf 0155a0e40210 | b32cid)"; do
		run -4 --separate-stderr cid-verify --cid "$bad" a
		[[ $stderr == "cid-verify: error: --cid "* ]]
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	# A well-formed CID with a hash function cid-verify does not compute
	# (sha3-256, 0x16) is unsupported input: 4 as well.
	run -4 --separate-stderr cid-verify --cid "$({ printf 01551620; printf '%064d' 0; } | b32cid)" a
	[[ $stderr == *"not supported"* ]]
}

@test "malformed root exits 4" {
	printf 'x' >a
	for bad in 0x1234 d952c74797a9ba541356b20068cc3a94f8885d17959951e40cdfbb912637f508 \
	    0xg952c74797a9ba541356b20068cc3a94f8885d17959951e40cdfbb912637f508 ''; do
		run -4 --separate-stderr cid-verify --root "$bad" a
		[[ $stderr == "cid-verify: error: --root: "* ]]
	done
}

@test "missing or unreadable file exits 7; the other files are still done" {
	printf 'x' >a
	run -7 --separate-stderr cid-verify missing
	[ "$stderr" = "cid-verify: error: missing: cannot open: no such file or directory" ]
	mkdir d
	run -7 --separate-stderr cid-verify d
	[ "$stderr" = "cid-verify: error: d: read failed: is a directory" ]
	run -7 --separate-stderr cid-verify missing a
	assert_output --regexp '  1  a$'
	# A mismatch and an unreadable file: the higher code wins.
	run -7 --separate-stderr cid-verify --root "$ROOT_EMPTY" a missing
	[ "${#stderr_lines[@]}" -eq 2 ]
}

@test "a file without read permission exits 7" {
	printf 'x' >a
	chmod 000 a
	# Root reads any file, so as root the test drops to nobody.
	as=()
	[ "$(id -u)" -ne 0 ] || as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	run -7 --separate-stderr "${as[@]}" "$(command -v cid-verify)" "$PWD/a"
	[ "$stderr" = "cid-verify: error: $PWD/a: cannot open: permission denied" ]
}

@test "a write error on standard output exits 7" {
	printf 'x' >a
	run -7 --separate-stderr bash -c 'cid-verify a >/dev/full'
	[[ $stderr == "cid-verify: error: standard output: write failed"* ]]
}

@test "usage errors exit 2" {
	printf 'x' >a
	run -2 --separate-stderr cid-verify --frob a
	[ "$stderr" = "cid-verify: error: usage: unknown or ambiguous option --frob (see cid-verify --help)" ]
	run -2 --separate-stderr cid-verify -Z a
	[ "${#stderr_lines[@]}" -eq 1 ]
	run -2 --separate-stderr cid-verify --hash md5 a
	[[ $stderr == *"--hash: 'md5'"* ]]
	run -2 cid-verify --codec dag-json a
	run -2 cid-verify --base base2 a
	run -2 cid-verify --cid-version 2 a
	run -2 cid-verify --cid-version ' 1' a
	run -2 cid-verify --cid-version 18446744073709551617 a
	run -2 --separate-stderr cid-verify --hash
	[ "$stderr" = "cid-verify: error: usage: option --hash needs a value (see cid-verify --help)" ]
	run -2 cid-verify --json=yes a
}

@test "no file operand exits 2" {
	run -2 --separate-stderr cid-verify
	[ "$stderr" = "cid-verify: error: usage: no file given (use - for standard input) (see cid-verify --help)" ]
	[ -z "$output" ]
	run -2 cid-verify --json --root "$ROOT_EMPTY"
}

@test "conflicting options exit 2" {
	printf 'x' >a
	cid=$(sha256_cid a)
	run -2 --separate-stderr cid-verify --cid "$cid" --hash sha2-256 a
	[[ $stderr == *"--cid takes the hash function"* ]]
	run -2 cid-verify --cid "$cid" --codec raw a
	run -2 cid-verify --cid "$cid" --cid-version 1 a
	run -2 --separate-stderr cid-verify --cid-version 0 --hash blake2b-256 a
	[[ $stderr == *"--cid-version 0 needs --hash sha2-256"* ]]
	run -2 cid-verify --cid-version 0 --codec raw a
	run -2 cid-verify --cid-version 0 --base base32 a
	run -0 cid-verify --cid-version 0 --hash sha2-256 --codec dag-pb --base base58btc a
	# Usage errors come before malformed values.
	run -2 cid-verify --cid bogus --hash sha2-256 a
}

@test "--help and --version print to stdout and exit 0" {
	run -0 --separate-stderr cid-verify --help
	assert_line --index 0 --partial 'usage: cid-verify'
	[ -z "$stderr" ]
	run -0 cid-verify -h
	run -0 --separate-stderr cid-verify --version
	assert_output --regexp '^cid-verify \(w3sync\) [0-9]'
	run -0 cid-verify -V
}

@test "--help, the man page SYNOPSIS and both completions list the same options" {
	options_agree cid-verify \
	    "--all --base --bucket --car --challenge --check-challenge --check-proof --chunk --cid --cid-version --codec --commitment --hash --help --jobs --json --key --leaf --leaf-count --nonce --output --progress --prove --quiet --root --sample --samples --start-seq --store --stream --trust-root --version " \
	    "-V -a -b -c -h -j -k -o -p -q -r -s "
}

@test "the completions are valid and list every program" {
	run -0 bash -n "$SRC/completions/bash/w3sync"
	run -0 bash -c ". '$SRC/completions/bash/w3sync'; complete -p cid-verify segment-add segment-drop snapshot-export snapshot-import delta-replay migrate-provider snapshot-prune"
	[ "${#lines[@]}" -eq 8 ]
	run -0 bash -c ". '$SRC/completions/bash/w3sync'; COMP_WORDS=(cid-verify --hash ''); COMP_CWORD=2; _w3sync_cid_verify; echo \"\${COMPREPLY[*]}\""
	assert_output 'blake2b-256 sha2-256'
	run -0 bash -c ". '$SRC/completions/bash/w3sync'; COMP_WORDS=(cid-verify --ba); COMP_CWORD=1; _w3sync_cid_verify; echo \"\${COMPREPLY[*]}\""
	assert_output '--base'
	head -n 1 "$SRC/completions/zsh/_w3sync" | grep -qx '#compdef cid-verify segment-add segment-drop snapshot-export snapshot-import delta-replay migrate-provider snapshot-prune'
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$SRC/completions/zsh/_w3sync"
	fi
}
