#!/usr/bin/env bats
# cid-verify: challenge answers (every leaf and several chunks, a flipped
# byte, an older commitment, Deleted answers for dropped leaves, the w3s
# vectors' challenge_proof_response cases) and Proof-of-Sync (made and checked, tampered, another nonce or
# root or key, an unanchored bucket, a store that lacks a sampled chunk),
# with their exit codes.

bats_require_minimum_version 1.5.0
load helpers

VECTORS="${W3SYNC_VECTORS:-$BATS_TEST_DIRNAME/../../../shared/vectors}"

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	make_key k.pem
	make_key other.pem
	gen_file f0 700000
	head -c 300000 /dev/urandom >f1
	printf 'hello' >f2
	run -0 segment-add --store s --bucket 1 --create --key k.pem f0 f1 f2
	root=$(awk '$1 == "mmr_root" { print $2 }' <<<"$output")
}

# Flips the byte at offset $2 of the hex string $1 (offsets count bytes
# after the 0x); the hex comes on standard input when $1 is -.
flip_hex() {
	if [ "$1" = - ]; then cat; else printf '%s' "$1"; fi |
		python3 -c 'import sys; h=sys.stdin.read().strip()[2:]; i=int(sys.argv[1]); b=bytearray.fromhex(h); b[i]^=1; print("0x"+b.hex())' "$2"
}

@test "answers for every leaf and several chunks verify under the chain's rules" {
	for leaf in 0 1 2; do
		n=$(sqlite3 s/buckets/1/meta.db "SELECT chunk_count FROM leaf WHERE seq = $leaf")
		for ((chunk = 0; chunk < n; chunk++)); do
			cid-verify --store s --bucket 1 --challenge "$leaf:$chunk" >a.hex
			run -0 cid-verify --check-challenge @a.hex --root "$root" --leaf "$leaf" --chunk "$chunk" --leaf-count 3
			assert_output valid
		done
	done
	# The answer presented for another leaf, chunk or count fails.
	cid-verify --store s --bucket 1 --challenge 0:1 >a.hex
	run -1 --separate-stderr cid-verify --check-challenge @a.hex --root "$root" --leaf 1 --chunk 1 --leaf-count 3
	assert_output invalid
	run -1 cid-verify --check-challenge @a.hex --root "$root" --leaf 0 --chunk 2 --leaf-count 3
	run -1 cid-verify --check-challenge @a.hex --root "$root" --leaf 0 --chunk 1 --leaf-count 4
}

@test "the answer is ChallengeResponse::Proof: variant 0, the chunk, the proofs" {
	run -0 cid-verify --store s --bucket 1 --challenge 2:0 --json
	run -0 python3 -c '
import json,sys
d=json.loads(sys.argv[1]); b=bytes.fromhex(d["response"][2:])
assert b[0]==0 and b[1]==5<<2 and b[2:7]==b"hello", b[:8]
assert d["seq"]==2 and d["leaf_count"]==3' "$output"
}

@test "an answer with one flipped byte fails (exit 1)" {
	h=$(cid-verify --store s --bucket 1 --challenge 2:0)
	run -0 cid-verify --check-challenge "$h" --root "$root" --leaf 2 --chunk 0 --leaf-count 3
	# In the chunk, a peak, the leaf, a sibling of the mmr proof.
	for off in 3 10 45 80; do
		run -1 --separate-stderr cid-verify --check-challenge "$(flip_hex "$h" "$off")" --root "$root" --leaf 2 --chunk 0 --leaf-count 3
	done
	cid-verify --store s --bucket 1 --challenge 0:1 | flip_hex - 20000 >bad.hex
	run -1 --separate-stderr cid-verify --check-challenge - --root "$root" --leaf 0 --chunk 1 --leaf-count 3 <bad.hex
	[[ $stderr == *"does not hash up its proof"* ]]
}

@test "malformed answers exit 4" {
	run -4 cid-verify --check-challenge 0xzz --root "$root" --leaf 0 --chunk 0 --leaf-count 3
	run -4 cid-verify --check-challenge 0x01 --root "$root" --leaf 0 --chunk 0 --leaf-count 3
	h=$(cid-verify --store s --bucket 1 --challenge 2:0)
	run -4 cid-verify --check-challenge "${h}00" --root "$root" --leaf 2 --chunk 0 --leaf-count 3
	run -4 cid-verify --check-challenge "${h:0:100}" --root "$root" --leaf 2 --chunk 0 --leaf-count 3
	run -4 cid-verify --check-challenge "$h" --root 0x12 --leaf 2 --chunk 0 --leaf-count 3
	run -2 cid-verify --check-challenge "$h" --root "$root" --leaf 2 --chunk 0
	run -2 cid-verify --check-challenge "$h" --root "$root" --leaf 2 --chunk 0 --leaf-count 3 --store s
}

@test "against an older commitment the proof is over that commitment's window" {
	old=$root
	run -0 segment-add --store s --bucket 1 --key k.pem f1 f2
	new=$(field mmr_root)
	[ "$new" != "$old" ]
	cid-verify --store s --bucket 1 --challenge 1:0 --commitment "$old" >a.hex
	run -0 cid-verify --check-challenge @a.hex --root "$old" --leaf 1 --chunk 0 --leaf-count 3
	run -1 cid-verify --check-challenge @a.hex --root "$new" --leaf 1 --chunk 0 --leaf-count 5
	cid-verify --store s --bucket 1 --challenge 4:0 >b.hex
	run -0 cid-verify --check-challenge @b.hex --root "$new" --leaf 4 --chunk 0 --leaf-count 5
	# Past the old commitment's leaves, an unknown root: exit 5.
	run -5 cid-verify --store s --bucket 1 --challenge 3:0 --commitment "$old"
	run -5 cid-verify --store s --bucket 1 --challenge 0:9
	run -5 cid-verify --store s --bucket 1 --challenge 0:0 --commitment 0x$(printf '%064d' 7)
	# After a drop, the commitment between: a later start_seq, its window
	# rebuilt in memory.
	run -0 segment-drop --store s --bucket 1 --before 1 --admin-key k.pem
	dropped=$(field mmr_root)
	run -0 segment-add --store s --bucket 1 --key k.pem f2
	cid-verify --store s --bucket 1 --challenge 0:0 --commitment "$dropped" >c.hex
	run -0 cid-verify --check-challenge @c.hex --root "$dropped" --leaf 0 --chunk 0 --leaf-count 4
	# The first old commitment's leaf 0 was dropped: a Deleted answer.
	# Its leaf 1 is still held, but the window it was proven in lost leaf
	# 0: exit 5.
	run -0 cid-verify --store s --bucket 1 --challenge 0:0 --commitment "$old"
	[ "${output:0:4}" = 0x01 ]
	run -5 cid-verify --store s --bucket 1 --challenge 1:0 --commitment "$old"
}

# The payload v1 a deletion's admin signs, {root, start, 0} of bucket $1,
# from a Deleted answer's hex $2; the signature into $3.sig.
deleted_payload() {
	python3 -c '
import struct,sys
b=bytes.fromhex(sys.argv[2][2:]); assert b[0]==1 and b[73]==0 and len(b)==138
open(sys.argv[3]+".bin","wb").write(bytes([1])+struct.pack("<Q",int(sys.argv[1]))+b[1:41]+bytes(8))
open(sys.argv[3]+".sig","wb").write(b[74:])' "$1" "$2" "$3"
}

@test "a dropped leaf is answered with ChallengeResponse::Deleted, checked as the pallet does" {
	old=$root
	run -0 segment-drop --store s --bucket 1 --before 2 --admin-key k.pem
	first=$(field mmr_root)
	pub=$(openssl pkey -in k.pem -pubout -outform DER 2>/dev/null | tail -c 32 | od -An -tx1 | tr -d ' \n')
	for leaf in 0 1; do
		run -0 cid-verify --store s --bucket 1 --challenge "$leaf:7" --commitment "$old" --json
		run -0 python3 -c '
import json,sys
d=json.loads(sys.argv[1]); b=bytes.fromhex(d["response"][2:])
assert d["answer"]=="deleted" and d["seq"]==int(sys.argv[4])
assert b[0]==1 and "0x"+b[1:33].hex()==sys.argv[2] and b[33:41]==(2).to_bytes(8,"little")
assert b[41:73].hex()==sys.argv[3] and b[73]==0 and len(b)==138' "$output" "$first" "$pub" "$leaf"
	done
	h=$(cid-verify --store s --bucket 1 --challenge 1:0 --commitment "$old")
	# The admin's signature, checked by openssl over the payload bytes.
	deleted_payload 1 "$h" del
	openssl pkey -in k.pem -pubout -out k.pub 2>/dev/null
	run -0 openssl pkeyutl -verify -pubin -inkey k.pub -rawin -in del.bin -sigfile del.sig
	check() {
		cid-verify --check-challenge "$1" --root "$old" --chunk 0 --leaf-count 3 "${@:2}"
	}
	run -0 check "$h" --leaf 1 --bucket 1 --key k.pem
	assert_output valid
	run -0 check "$h" --leaf 0 --bucket 1 --key "0x$pub" --json
	assert_output '{"valid":true,"answer":"deleted"}'
	# Not below the new start (the leaf, or the commitment's start_seq).
	run -1 --separate-stderr check "$h" --leaf 2 --bucket 1 --key k.pem
	assert_output invalid
	[[ $stderr == *"sequence number 2 is not below the deletion's new start 2"* ]]
	run -1 check "$h" --leaf 0 --start-seq 2 --bucket 1 --key k.pem
	# Another bucket, another admin, a flipped byte of the root or the
	# signature.
	run -1 --separate-stderr check "$h" --leaf 0 --bucket 2 --key k.pem
	[[ $stderr == *"does not verify over bucket 2's deletion payload"* ]]
	run -1 --separate-stderr check "$h" --leaf 0 --bucket 1 --key other.pem
	[[ $stderr == *"is not the bucket admin given"* ]]
	run -1 check "$(flip_hex "$h" 5)" --leaf 0 --bucket 1 --key k.pem
	run -1 check "$(flip_hex "$h" 100)" --leaf 0 --bucket 1 --key k.pem
	# Without --bucket and --key: a usage error; an Sr25519 signature
	# cannot be checked here; a short or long answer is malformed.
	run -2 --separate-stderr check "$h" --leaf 0 --bucket 1
	[[ $stderr == *"a Deleted answer is checked against --bucket and --key"* ]]
	run -2 check "$h" --leaf 0 --key k.pem
	sr="${h:0:148}01${h:150}"
	run -5 --separate-stderr check "$sr" --leaf 0 --bucket 1 --key k.pem
	[[ $stderr == *"only Ed25519 is checked here"* ]]
	run -4 check "${h:0:200}" --leaf 0 --bucket 1 --key k.pem
	run -4 check "${h}00" --leaf 0 --bucket 1 --key k.pem
	# A second drop: leaf 2 of the old commitment is answered with it,
	# leaves 0 and 1 still with the first.
	run -0 segment-add --store s --bucket 1 --key k.pem f2
	run -0 segment-drop --store s --bucket 1 --before 3 --admin-key k.pem
	second=$(field mmr_root)
	h2=$(cid-verify --store s --bucket 1 --challenge 2:0 --commitment "$old")
	[ "${h2:4:64}" = "${second:2}" ] && [ "${h2:68:16}" = 0300000000000000 ]
	run -0 check "$h2" --leaf 2 --bucket 1 --key k.pem
	run -0 cid-verify --store s --bucket 1 --challenge 0:0 --commitment "$old"
	[ "$output" = "$h" ]
	# The current commitment's leaves are proven, never Deleted.
	run -0 cid-verify --store s --bucket 1 --challenge 0:0
	[ "${output:0:4}" = 0x00 ]
}

@test "the w3s vectors' challenge_proof_response cases through --check-challenge" {
	[ -f "$VECTORS/w3s/vectors.json" ] || { echo "no vectors at $VECTORS"; false; }
	python3 - "$VECTORS/w3s/vectors.json" >cases <<'EOF'
import json, sys
def c(n):
    if n < 64: return bytes([n << 2])
    if n < 1 << 14: return ((n << 2) | 1).to_bytes(2, "little")
    return ((n << 2) | 2).to_bytes(4, "little")
def blob(b):
    if "ascii" in b: return b["ascii"].encode()
    if "hex" in b: return bytes.fromhex(b["hex"])
    raise SystemExit("blob kind")
def merkle(sib, path):
    return c(len(sib)) + b"".join(bytes.fromhex(s) for s in sib) + c(len(path)) + bytes(1 if p else 0 for p in path)
for v in json.load(open(sys.argv[1])):
    if v["kind"] != "challenge_proof_response": continue
    i = v["input"]; m = i["mmr_proof"]; l = m["leaf"]
    chunk = blob(i["chunk"])
    mmr = c(len(m["peaks"])) + b"".join(bytes.fromhex(p) for p in m["peaks"]) \
        + bytes.fromhex(l["data_root"]) + l["data_size"].to_bytes(8, "little") \
        + l["total_size"].to_bytes(8, "little") + merkle(m["siblings"], m["path"])
    cp = i["chunk_proof"]
    enc = b"\0" + c(len(chunk)) + chunk + mmr + merkle(cp["siblings"], cp["path"])
    # The newest rule binds the leaf: the one case that passes only the
    # older unbound check fails here.
    want = 0 if v["expected"] and i["verifier"] == "bound" else 1
    print(v["name"], "0x" + enc.hex(), i["root"], i["leaf_index"], i["chunk_index"], i["leaf_count"], want)
EOF
	[ "$(wc -l <cases)" -eq 39 ]
	while read -r name hex vroot leaf chunk count want; do
		run -"$want" cid-verify --check-challenge "$hex" --root "0x$vroot" --leaf "$leaf" --chunk "$chunk" --leaf-count "$count"
	done <cases
}

@test "a Proof-of-Sync made and checked (exit 0), in text and json" {
	run -0 --separate-stderr cid-verify --store s --bucket 1 --prove --key k.pem --nonce 0x5be1f00d8c3a77e2 --samples 8 --output p.cbor
	[ "$(field status)" = valid ]
	[ "$(field samples)" = 8 ]
	key=$(field node_key)
	run -0 --separate-stderr cid-verify --check-proof p.cbor --root "$root"
	[ "$(field mmr_root)" = "$root" ]
	[ "$(field bucket)" = 1 ]
	[ "$(field nonce)" = 0x5be1f00d8c3a77e2 ]
	run -0 cid-verify --check-proof p.cbor --trust-root "$root" --key "$key" --nonce 5be1f00d8c3a77e2
	run -0 cid-verify --check-proof - --root "$root" --key k.pem <p.cbor
	run -0 cid-verify --check-proof p.cbor --root "$root" --json
	run -0 python3 -c '
import json,sys
d=json.loads(sys.argv[1])
assert d["valid"] is True and len(d["samples"])==8 and d["leaf_count"]==3
r=bytes.fromhex(d["sync_roots"][2:]); root=bytes.fromhex(sys.argv[2][2:])
assert r==(b"\x01"+root)*7, r.hex()
assert len(bytes.fromhex(d["sync_signature"][2:]))==64' "$output" "$root"
	# The proof on standard output is the same kind of document.
	cid-verify --store s --bucket 1 --prove --key k.pem --nonce 00 --samples 2 >q.cbor
	run -0 cid-verify --check-proof q.cbor --root "$root" --nonce 00
}

@test "the statement signature and sync signature verify with openssl" {
	run -0 cid-verify --store s --bucket 1 --prove --key k.pem --nonce 01 --samples 1 --output p.cbor --json
	python3 -c '
import json,sys
d=json.loads(sys.argv[1])
open("roots.bin","wb").write(bytes.fromhex(d["sync_roots"][2:]))
open("roots.sig","wb").write(bytes.fromhex(d["sync_signature"][2:]))' "$output"
	openssl pkey -in k.pem -pubout -out k.pub 2>/dev/null
	run -0 openssl pkeyutl -verify -pubin -inkey k.pub -rawin -in roots.bin -sigfile roots.sig
}

@test "a tampered Proof-of-Sync fails (exit 1): any byte, nonce, root, key" {
	cid-verify --store s --bucket 1 --prove --key k.pem --nonce aabbcc --samples 3 --output p.cbor >/dev/null
	size=$(stat -c %s p.cbor)
	for off in 0 1 5 40 100 200 300 $((size / 2)) $((size - 70)) $((size - 1)); do
		python3 -c 'import sys; b=bytearray(open("p.cbor","rb").read()); b[int(sys.argv[1])]^=0x04; open("t.cbor","wb").write(b)' "$off"
		run -1 --separate-stderr cid-verify --check-proof t.cbor --root "$root"
	done
	run -1 --separate-stderr cid-verify --check-proof p.cbor --root "$root" --nonce aabbcd
	[[ $stderr == *"another nonce"* ]]
	run -1 --separate-stderr cid-verify --check-proof p.cbor --root 0x$(printf '%064d' 3)
	[[ $stderr == *"not the trusted root"* ]]
	run -1 --separate-stderr cid-verify --check-proof p.cbor --root "$root" --key other.pem
	[[ $stderr == *"made by node key"* ]]
	head -c 100 p.cbor >t.cbor
	run -1 cid-verify --check-proof t.cbor --root "$root"
}

@test "a proof for an old nonce, re-signed positions: the positions must be derived" {
	# Same store, two nonces: the positions differ and neither proof
	# checks under the other nonce.
	cid-verify --store s --bucket 1 --prove --key k.pem --nonce 01 --samples 4 --output a.cbor >/dev/null
	cid-verify --store s --bucket 1 --prove --key k.pem --nonce 02 --samples 4 --output b.cbor >/dev/null
	run -1 cid-verify --check-proof a.cbor --root "$root" --nonce 02
	run -0 cid-verify --check-proof b.cbor --root "$root" --nonce 02
}

@test "an unanchored bucket is refused (exit 5)" {
	# Another node's key: the bucket records no trusted key and its
	# commitment is not signed by this node.
	run -5 --separate-stderr cid-verify --store s --bucket 1 --prove --key other.pem --nonce 01 --output p.cbor
	[[ $stderr == *"unanchored"* ]]
	[ ! -s p.cbor ]
}

@test "a store that lacks a sampled chunk cannot make a proof (exit 3)" {
	sqlite3 s/buckets/1/chunks.db "DELETE FROM chunk"
	run -3 --separate-stderr cid-verify --store s --bucket 1 --prove --key k.pem --nonce 01 --samples 1 --output p.cbor
	[[ $stderr == *"is missing"* ]]
}

@test "proof usage errors (2), malformed arguments (4), unreadable files (7)" {
	run -2 cid-verify --store s --bucket 1 --prove --nonce 01 --output p.cbor
	run -2 cid-verify --store s --bucket 1 --prove --key k.pem --output p.cbor
	run -2 cid-verify --store s --bucket 1 --prove --key k.pem --nonce 01 --samples 0
	run -2 cid-verify --store s --bucket 1 --prove --challenge 0:0 --key k.pem --nonce 01
	run -2 cid-verify --check-proof p.cbor
	run -2 cid-verify --store s --bucket 1 --challenge 0
	run -4 cid-verify --store s --bucket 1 --prove --key k.pem --nonce xyz --output p.cbor
	run -4 cid-verify --store s --bucket 1 --prove --key k.pem --nonce "$(printf '%0514d' 0)" --output p.cbor
	printf '\xa1\x66format\x63abc' >other.cbor
	run -4 cid-verify --check-proof other.cbor --root "$root"
	run -7 cid-verify --check-proof nosuch --root "$root"
	chmod 644 k.pem
	run -7 cid-verify --store s --bucket 1 --prove --key k.pem --nonce 01 --output p.cbor
}

@test "--help, the man page SYNOPSIS and both completions agree (see cid-verify.bats)" {
	run -0 cid-verify --help
	for opt in --store --bucket --all --trust-root --sample --jobs --challenge --commitment --check-challenge --leaf --chunk --leaf-count --prove --key --nonce --samples --output --check-proof; do
		assert_output --partial -- "$opt"
	done
	run -0 bash -c ". '$BATS_TEST_DIRNAME/../../completions/bash/w3sync'; mkdir -p st/buckets/4 st/buckets/12; COMP_WORDS=(cid-verify --store st --bucket ''); COMP_CWORD=4; _w3sync_cid_verify; echo \"\${COMPREPLY[*]}\""
	assert_output '12 4'
	run -0 bash -c ". '$BATS_TEST_DIRNAME/../../completions/bash/w3sync'; W3SYNC_STORE=st; COMP_WORDS=(cid-verify --bucket ''); COMP_CWORD=2; _w3sync_cid_verify; echo \"\${COMPREPLY[*]}\""
	assert_output '12 4'
}
