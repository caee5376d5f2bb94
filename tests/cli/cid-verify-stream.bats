#!/usr/bin/env bats
# cid-verify --stream: archives checked as snapshot-import checks them,
# with no store: a full snapshot and a delta, several archives in a row,
# the trusted root, truncation (3), a flipped chunk byte (1), garbage (4).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	make_key k.pem
	gen_file f0 700000
	printf 'hello' >f1
	run -0 segment-add --store s --bucket 5 --create --key k.pem f0
	root1=$(awk '$1 == "mmr_root" { print $2 }' <<<"$output")
	run -0 snapshot-export --store s --bucket 5 -o full.tar.zst
	run -0 segment-add --store s --bucket 5 --key k.pem f1
	root2=$(awk '$1 == "mmr_root" { print $2 }' <<<"$output")
	run -0 snapshot-export --store s --bucket 5 --since "$root1" -o delta.tar.zst
}

@test "a full snapshot checks, anchored by its root" {
	run -0 --separate-stderr cid-verify --stream --trust-root "$root1" full.tar.zst
	[ "$(field mmr_root)" = "$root1" ]
	[ "$(field kind)" = full ]
	[ "$(field anchored)" = yes ]
	[ "$(field segments)" = 1 ]
	[ -z "$stderr" ]
	run -0 --separate-stderr cid-verify --stream full.tar.zst
	[ "$(field anchored)" = no ]
	[[ $stderr == *unanchored* ]]
}

@test "a delta, and two archives in a row from standard input" {
	run -0 cid-verify --stream --json delta.tar.zst
	run -0 python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["kind"]=="delta" and d["mmr_root"]==sys.argv[2] and d["valid"]' "$output" "$root2"
	run -0 bash -c 'cat full.tar.zst delta.tar.zst | cid-verify --stream --json -'
	[ "${#lines[@]}" -eq 2 ]
}

@test "a wrong trusted root: exit 1" {
	run -1 --separate-stderr cid-verify --stream --trust-root "$root2" full.tar.zst
}

@test "a truncated archive: exit 3; a flipped chunk byte: exit 1; garbage: exit 4" {
	size=$(stat -c %s full.tar.zst)
	head -c $((size / 2)) full.tar.zst >half.tar.zst
	run -3 --separate-stderr cid-verify --stream half.tar.zst
	# A chunk byte flipped inside the (uncompressed) tar, then recompressed.
	zstd -dc full.tar.zst >full.tar
	python3 -c 'b=bytearray(open("full.tar","rb").read()); i=len(b)//2; b[i]^=1; open("bad.tar","wb").write(b)'
	zstd -q -c bad.tar >bad.tar.zst
	run -1 --separate-stderr cid-verify --stream bad.tar.zst
	head -c 1000 /dev/urandom >junk
	run -4 --separate-stderr cid-verify --stream junk
	run -7 cid-verify --stream nosuch
	run -2 cid-verify --stream
	run -2 cid-verify --stream --store s full.tar.zst
	run -4 cid-verify --stream --trust-root 0x12 full.tar.zst
}
