#!/usr/bin/env bats
# snapshot-export: full snapshots and deltas read back with the library's
# stream reader (tests/tools/streamcat), listed with tar, determinism,
# output files (atomic, never overwritten, sortable names), --all,
# --dry-run, --since, --split, --resume, a concurrent writer, every exit
# code, and agreement of --help, the man page and the completions.
# snapshot-import is not used: it is written at the same time.

bats_require_minimum_version 1.5.0
load helpers

SRC="$BATS_TEST_DIRNAME/../.."

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	SC="${W3SYNC_TOOLS:-$SRC/build/tools}/streamcat"
	[ -x "$SC" ] || {
		echo "no streamcat: build it (make BUILD=... .../tools/streamcat)" >&2
		return 1
	}
	make_key k.pem
	make_key admin.pem
	printf 'zero' >f0
	head -c 700000 /dev/urandom >f1
	: >f2
	head -c 300000 /dev/urandom >f3
}

# A bucket 1 of three segments (4, 700000 and 0 bytes) in one commit.
base_store() {
	run -0 segment-add --store s --bucket 1 --create --key k.pem \
		--name zero f0 f1 f2
}

add() { # add FILE...: one commit to bucket 1; sets $output
	run -0 segment-add --store s --bucket 1 --key k.pem "$@"
}

field() {
	awk -v k="$1" '$1 == k { print $2 }' <<<"$output"
}

# The manifest line of the first archive of a stream file.
manifest_of() {
	"$SC" "$1" | grep '^manifest' | head -n 1
}

chunk_entries() {
	tar --zstd -tf "$1" | grep -c '^chunks/'
}

@test "a full snapshot: tar lists it, the reader accepts it, counts are exact" {
	base_store
	run -0 --separate-stderr bash -c 'snapshot-export --store s --bucket 1 >full.tar.zst'
	[ -z "$stderr" ]
	run -0 tar --zstd -tvf full.tar.zst
	[ "${lines[0]:0:10}" = "-rw-r--r--" ]
	run -0 tar --zstd -tf full.tar.zst
	[ "${lines[0]}" = manifest.cbor ]
	[ "${lines[1]}" = meta/000000000000-segments.cbor ]
	[ "${lines[2]}" = meta/000000000001-checkpoints.cbor ]
	[ "${lines[3]}" = meta/000000000002-index.cbor ]
	[ "${lines[-1]}" = trailer.cbor ]
	[ "$(chunk_entries full.tar.zst)" = 5 ]
	run -0 "$SC" full.tar.zst
	[[ ${lines[0]} == "manifest full 1 "*" segments=3 chunk_refs=5 checkpoints=1 deletions=0 index=1 chunks=5 chunk_bytes=700004 resume=0:0 sigs=1 "* ]]
	[ "$(grep -c '^segment ' <<<"$output")" = 3 ]
	[ "${lines[-1]}" = "trailer 5 700004" ]
}

@test "the target commitment is the bucket's, with the signature segment-add stored" {
	base_store
	root=$(field mmr_root)
	snapshot-export --store s --bucket 1 >full.tar.zst
	run -0 manifest_of full.tar.zst
	[[ $output == "manifest full 1 $root:0:3 "*" sigs=1 "* ]]
	run -0 "$SC" full.tar.zst
	grep -q "^checkpoint $root:0:3 1\$" <<<"$output"
}

@test "two exports of the same commitment are byte-identical, at every level" {
	base_store
	snapshot-export --store s --bucket 1 >a.tar.zst
	sleep 1
	snapshot-export --store s --bucket 1 >b.tar.zst
	cmp a.tar.zst b.tar.zst
	run -0 snapshot-export --store s --bucket 1 -o c.tar.zst
	cmp a.tar.zst c.tar.zst
	for l in 0 3 19; do
		snapshot-export --store s --bucket 1 --level "$l" >"l$l.tar.zst"
		snapshot-export --store s --bucket 1 --level "$l" >"m$l.tar.zst"
		cmp "l$l.tar.zst" "m$l.tar.zst"
		run -0 "$SC" "l$l.tar.zst"
	done
	run -0 tar --zstd -tf l0.tar.zst
}

@test "an empty bucket exports as a snapshot with no segment" {
	base_store
	run -0 segment-drop --store s --bucket 1 --before 3 --admin-key admin.pem
	run -0 snapshot-export --store s --bucket 1 --dry-run
	[ "$(field segments)" = 0 ]
	[ "$(field chunks)" = 0 ]
	snapshot-export --store s --bucket 1 >e.tar.zst
	run -0 "$SC" e.tar.zst
	[[ ${lines[0]} == *" segments=0 "*" deletions=1 "* ]]
}

@test "--dry-run prints the commitment and the exact counts; --json as one object" {
	base_store
	root=$(field mmr_root)
	run -0 --separate-stderr snapshot-export --store s --bucket 1 --dry-run
	[ "$output" = "bucket 1
mmr_root $root
start_seq 0
leaf_count 3
segments 3
chunks 5
bytes 700004" ]
	[ -z "$stderr" ]
	before=$(ls -A | wc -l)
	run -0 snapshot-export --store s --bucket 1 --dry-run --json
	[ "${#lines[@]}" = 1 ]
	[ "$(jq -c 'keys' <<<"$output")" = '["bucket","bytes","chunks","leaf_count","mmr_root","segments","start_seq"]' ]
	[ "$(jq -r '[.bucket, .mmr_root, .start_seq, .leaf_count, .segments, .chunks, .bytes] | @tsv' <<<"$output")" = "1	$root	0	3	3	5	700004" ]
	# Nothing was written, and the counts are the stream's.
	[ "$(ls -A | wc -l)" = "$before" ]
	snapshot-export --store s --bucket 1 >full.tar.zst
	[ "$(tar --zstd -tvf full.tar.zst | awk '$6 ~ /^chunks\// { n += $3 } END { print n }')" = 700004 ]
}

@test "--dry-run depends only on the commitment and contents" {
	base_store
	run -0 segment-add --store t --bucket 1 --create --key admin.pem \
		--name zero f0 f1 f2
	a=$(snapshot-export --store s --bucket 1 --dry-run)
	b=$(snapshot-export --store t --bucket 1 --dry-run)
	# Another signer signs another payload, the same commitment.
	[ "$a" = "$b" ]
}

@test "-o FILE writes atomically and never overwrites (exit 5)" {
	base_store
	run -0 --separate-stderr snapshot-export --store s --bucket 1 -o out.tar.zst
	[ "$(sed -n 's/^file //p' <<<"$output")" = out.tar.zst ]
	[ "$(awk '$1 == "stream_bytes" { print $2 }' <<<"$output")" = "$(stat -c %s out.tar.zst)" ]
	cp out.tar.zst keep.tar.zst
	add f3
	run -5 --separate-stderr snapshot-export --store s --bucket 1 -o out.tar.zst
	[ "$stderr" = "snapshot-export: error: out.tar.zst exists: not overwritten" ]
	cmp out.tar.zst keep.tar.zst
	[ -z "$(ls -A | grep '\.tmp$')" ]
	# A missing directory is a usage error.
	run -2 --separate-stderr snapshot-export --store s --bucket 1 -o nodir/x.tar.zst
	[[ $stderr == *"no directory nodir"* ]]
}

@test "-o FILE: a failed write leaves neither the file nor a temporary" {
	base_store
	mkdir o
	# SIGXFSZ ignored: the write fails with EFBIG at 64 KiB.
	run -7 --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 64; exec snapshot-export --store s --bucket 1 -o o/x.tar.zst'
	[[ $stderr == "snapshot-export: error: cannot write the stream: "* ]]
	[ -z "$(ls -A o)" ]
}

@test "-o DIR/ picks a sortable name; an existing name is left alone" {
	base_store
	root=$(field mmr_root)
	mkdir d
	run -0 --separate-stderr snapshot-export --store s --bucket 1 -o d/ --json
	f=$(jq -r .file <<<"$output")
	[ "$f" = "d/bucket-00000000000000000001-00000000000000000003-00000000000000000000-full-${root:2:16}.tar.zst" ]
	[ -f "$f" ]
	[ "$(jq .stream_bytes <<<"$output")" = "$(stat -c %s "$f")" ]
	cp "$f" keep
	# An existing directory without the slash is a directory too.
	run -0 --separate-stderr snapshot-export --store s --bucket 1 -o d
	[ "$stderr" = "snapshot-export: warning: bucket 1: d/$(basename "$f") exists: not overwritten" ]
	cmp "$f" keep
	add f3
	run -0 snapshot-export --store s --bucket 1 -o d/
	[ "$(ls d | wc -l)" = 2 ]
	[ "$(ls d | tail -n 1)" = "$(basename "$(sed -n 's/^file //p' <<<"$output")")" ]
	[ -z "$(ls -A d | grep '\.tmp$')" ]
}

@test "without -o the stream goes to stdout, never to a terminal (exit 2)" {
	base_store
	run -2 script -qec "snapshot-export --store s --bucket 1" /dev/null
	[[ $output == *"snapshot-export: error: usage: refusing to write a stream to a terminal"* ]]
	# --dry-run writes no stream: fine on a terminal.
	run -0 script -qec "snapshot-export --store s --bucket 1 --dry-run" /dev/null
}

@test "--all: one archive per bucket in id order, on stdout or one file each" {
	base_store
	run -0 segment-add --store s --bucket 12 --create --key k.pem f3
	run -0 segment-add --store s --bucket 3 --create --key k.pem f0
	snapshot-export --store s --all >all.tar.zst
	run -0 "$SC" all.tar.zst
	[ "$(grep '^manifest' <<<"$output" | cut -d' ' -f3 | tr '\n' ' ')" = "1 3 12 " ]
	# It is the concatenation of the single exports.
	for b in 1 3 12; do snapshot-export --store s --bucket "$b"; done >cat.tar.zst
	cmp all.tar.zst cat.tar.zst
	run -0 snapshot-export --store s --all -o d/ --json
	[ "${#lines[@]}" = 3 ]
	[ "$(jq -r .bucket <<<"$output" | tr '\n' ' ')" = "1 3 12 " ]
	[ "$(ls d | cut -d- -f2 | tr '\n' ' ')" = "00000000000000000001 00000000000000000003 00000000000000000012 " ]
	run -0 snapshot-export --store s --all --dry-run
	[ "$(grep -c '^bucket ' <<<"$output")" = 3 ]
}

@test "--since a sequence number or an MMR root: a delta with only the new chunks" {
	base_store
	seq=$(( $(field start_seq) + $(field leaf_count) ))
	root=$(field mmr_root)
	head -c 600000 /dev/urandom >n1
	printf 'new' >n2
	add --name n1 n1 n2
	# A chunk the base holds already (f1) is not sent again.
	add f1
	target=$(field mmr_root)
	snapshot-export --store s --bucket 1 --since "$seq" >d1.tar.zst
	snapshot-export --store s --bucket 1 --since "$root" >d2.tar.zst
	cmp d1.tar.zst d2.tar.zst
	run -0 manifest_of d1.tar.zst
	[[ $output == "manifest delta 1 $target:0:6 $root:0:3 segments=3 chunk_refs=7 checkpoints=2 deletions=0 index=1 chunks=4 chunk_bytes=600003 "* ]]
	[ "$(chunk_entries d1.tar.zst)" = 4 ]
	run -0 "$SC" d1.tar.zst
	[ "$(grep '^segment' <<<"$output" | cut -d' ' -f2 | tr '\n' ' ')" = "3 4 5 " ]
	grep -q '^index n1 0x' <<<"$output"
	run -0 snapshot-export --store s --bucket 1 --since "$seq" --dry-run --json
	[ "$(jq -r '[.segments, .chunks, .bytes, .base_mmr_root, .base_start_seq, .base_leaf_count] | @tsv' <<<"$output")" = "3	4	600003	$root	0	3" ]
}

@test "--since a commitment before a drop carries the deletion certificate" {
	base_store
	seq=$(( $(field start_seq) + $(field leaf_count) ))
	add f3
	run -0 segment-drop --store s --bucket 1 --before 2 --admin-key admin.pem
	snapshot-export --store s --bucket 1 --since "$seq" >d.tar.zst
	run -0 "$SC" d.tar.zst
	[[ ${lines[0]} == "manifest delta 1 "*":2:2 "*":0:3 segments=1 "*" deletions=1 "* ]]
	grep -q '^deletion 2 ' <<<"$output"
	grep -q '^index zero removed$' <<<"$output"
}

@test "--since: no such commitment, or the current one (exit 5)" {
	base_store
	seq=$(( $(field start_seq) + $(field leaf_count) ))
	run -5 --separate-stderr snapshot-export --store s --bucket 1 --since 99
	[ "$stderr" = "snapshot-export: error: bucket 1: no commitment at sequence number 99 in its change log" ]
	run -5 --separate-stderr snapshot-export --store s --bucket 1 --since 0x$(printf '%064d' 7)
	[[ $stderr == "snapshot-export: error: bucket 1: no commitment with MMR root 0x"*" in its change log" ]]
	run -5 --separate-stderr snapshot-export --store s --bucket 1 --since "$seq"
	[ "$stderr" = "snapshot-export: error: bucket 1 is at that commitment: no delta to export" ]
	run -2 --separate-stderr snapshot-export --store s --bucket 1 --since 0xabc
	[[ $stderr == *"--since: '0xabc' is not an MMR root"* ]]
	run -2 --separate-stderr snapshot-export --store s --bucket 1 --since -3
	[[ $stderr == *"neither a sequence number nor an MMR root"* ]]
	# --since 0: everything since the empty bucket.
	run -0 snapshot-export --store s --bucket 1 --since 0 --dry-run
	[ "$(field segments)" = 3 ]
}

@test "--split: one delta per commit, named in replay order, each a valid delta" {
	base_store
	seq=$(( $(field start_seq) + $(field leaf_count) ))
	prev=$(field mmr_root):0:3
	for i in 1 2 3 4 5; do
		printf 'seg %s' "$i" >"g$i"
		add "g$i"
	done
	mkdir sp
	run -0 snapshot-export --store s --bucket 1 --since "$seq" --split -o sp/
	[ "$(ls sp | wc -l)" = 5 ]
	[ "$(ls sp)" = "$(ls sp | LC_ALL=C sort)" ]
	for f in sp/*; do
		run -0 manifest_of "$f"
		set -- $output
		[ "$5" = "$prev" ]
		[ "$6" = "segments=1" ]
		prev=$4
		[ "$(chunk_entries "$f")" = 1 ]
	done
	[ "${prev%%:*}" = "$(snapshot-export --store s --bucket 1 --dry-run | awk '$1 == "mmr_root" {print $2}')" ]
	# Again: nothing new, every name exists.
	run -0 --separate-stderr snapshot-export --store s --bucket 1 --since "$seq" --split -o sp/
	[ "$(grep -c 'exists: not overwritten' <<<"$stderr")" = 5 ]
	# To stdout: the same archives, concatenated.
	snapshot-export --store s --bucket 1 --since "$seq" --split >all.tar.zst
	cat sp/* | cmp - all.tar.zst
	# Nothing after the current commitment: no archive, success.
	cur=$(snapshot-export --store s --bucket 1 --dry-run | awk '$1 == "mmr_root" {print $2}')
	run -0 snapshot-export --store s --bucket 1 --since "$cur" --split -o sp2/ --json
	[ -z "$output" ]
}

@test "--split across a drop: the commits whose segments it removed travel with it" {
	base_store
	seq=$(( $(field start_seq) + $(field leaf_count) ))
	add f3                         # seq 3
	printf a >a; add a             # seq 4
	run -0 segment-drop --store s --bucket 1 --before 4 --admin-key admin.pem
	printf b >b; add b             # seq 5
	run -0 snapshot-export --store s --bucket 1 --since "$seq" --split -o sp/ --json
	[ "${#lines[@]}" = 2 ]
	# The first: from {0,3} over the add of seq 3 and 4 and the drop.
	[ "$(jq -r '[.base_start_seq, .base_leaf_count, .start_seq, .leaf_count, .segments] | @tsv' <<<"${lines[0]}")" = "0	3	4	1	1" ]
	[ "$(jq -r '[.base_start_seq, .base_leaf_count, .start_seq, .leaf_count, .segments] | @tsv' <<<"${lines[1]}")" = "4	1	4	2	1" ]
	run -0 "$SC" "$(jq -r .file <<<"${lines[0]}")"
	grep -q '^deletion 4 ' <<<"$output"
	# The two adds were signed; segment-drop signs no commitment.
	[ "$(grep -c '^checkpoint' <<<"$output")" = 2 ]
}

@test "--resume at 90%: the rest of the chunks, at most 11% of the bytes" {
	head -c 10485760 /dev/urandom >big
	run -0 segment-add --store s --bucket 1 --create --key k.pem big f0
	snapshot-export --store s --bucket 1 >full.tar.zst
	# 41 chunks; the receiver holds 37 (90%).
	tok=$("$SC" -t 37 full.tar.zst)
	[[ $tok == w3s1-1-* ]]
	snapshot-export --store s --bucket 1 --resume "$tok" >rest.tar.zst
	full=$(stat -c %s full.tar.zst) rest=$(stat -c %s rest.tar.zst)
	echo "full $full rest $rest"
	[ $((rest * 100)) -le $((full * 11)) ]
	run -0 "$SC" rest.tar.zst
	[[ ${lines[0]} == *" chunks=41 chunk_bytes=10485764 resume=37:9699328 "* ]]
	[ "$(grep -c '^chunk ' <<<"$output")" = 4 ]
	# The chunks are the last four of the full stream, at the same indexes.
	diff <("$SC" full.tar.zst | grep '^chunk ' | tail -n 4) <(grep '^chunk ' <<<"$output")
	run -0 snapshot-export --store s --bucket 1 --resume "$tok" --dry-run
	[ "$(field chunks)" = 4 ]
	[ "$(field bytes)" = 786436 ]
	# Resumed at the end: metadata only.
	tok41=$("$SC" -t 41 full.tar.zst)
	snapshot-export --store s --bucket 1 --resume "$tok41" >end.tar.zst
	[ "$(chunk_entries end.tar.zst)" = 0 ]
	run -0 "$SC" end.tar.zst
}

@test "--resume: a token of another snapshot or bucket (5), a bad position (4), not a token (2)" {
	base_store
	run -0 segment-add --store s --bucket 2 --create --key k.pem f3
	snapshot-export --store s --bucket 1 >full.tar.zst
	tok=$("$SC" -t 2 full.tar.zst)
	run -5 --separate-stderr snapshot-export --store s --bucket 2 --resume "$tok"
	[ "$stderr" = "snapshot-export: error: the resume token is for bucket 1, not bucket 2" ]
	run -5 --separate-stderr snapshot-export --store s --bucket 1 --since 0 --resume "$tok"
	[[ $stderr == "snapshot-export: error: the resume token is for another snapshot of bucket 1 "* ]]
	run -4 --separate-stderr snapshot-export --store s --bucket 1 --resume "${tok%-*}-5"
	[ "$stderr" = "snapshot-export: error: resume token: the chunks before chunk 2 hold 262148 bytes, not 5" ]
	run -4 --separate-stderr snapshot-export --store s --bucket 1 --resume "${tok%-*-*}-9-5"
	[[ $stderr == *"chunk 9 is past the end of the snapshot (5 chunks)" ]]
	# The bucket moved on: the token is stale.
	add f3
	run -5 --separate-stderr snapshot-export --store s --bucket 1 --resume "$tok"
	[[ $stderr == *"another snapshot of bucket 1 (the bucket moved on"* ]]
	run -2 --separate-stderr snapshot-export --store s --bucket 1 --resume w3s1-x
	[[ $stderr == "snapshot-export: error: usage: --resume: "* ]]
	run -2 snapshot-export --store s --bucket 1 --since 3 --split --resume "$tok"
}

@test "an export while segment-add adds 100 segments: a commitment segment-add printed" {
	base_store
	field mmr_root >roots
	mkdir segs
	for i in $(seq 1 100); do printf 'segment %s' "$i" >"segs/$i"; done
	(
		for i in $(seq 1 100); do
			segment-add --store s --bucket 1 --key k.pem --wait 30 "segs/$i" |
				awk '$1 == "mmr_root" { print $2 }' >>roots
		done
	) &
	writer=$!
	n=0
	while kill -0 "$writer" 2>/dev/null && [ $n -lt 20 ]; do
		snapshot-export --store s --bucket 1 >"x$n.tar.zst"
		n=$((n + 1))
	done
	wait "$writer"
	[ "$(wc -l <roots)" = 101 ]
	for i in $(seq 0 $((n - 1))); do
		run -0 "$SC" "x$i.tar.zst"
		root=$(cut -d' ' -f4 <<<"${lines[0]}" | cut -d: -f1)
		grep -qx "$root" roots
		[[ ${lines[0]} == *" sigs=1 "* ]]
	done
	echo "$n exports"
}

@test "--progress shows bytes on stderr; --quiet and a pipe show nothing" {
	base_store
	run -0 --separate-stderr bash -c 'snapshot-export --store s --bucket 1 --progress >/dev/null'
	[[ $stderr == "snapshot-export: bucket 1: 683.6 KiB of 683.6 KiB (100%), "*"/s in "* ]]
	run -0 --separate-stderr bash -c 'snapshot-export --store s --bucket 1 --progress --quiet >/dev/null'
	[ -z "$stderr" ]
	run -0 --separate-stderr bash -c 'snapshot-export --store s --bucket 1 >/dev/null'
	[ -z "$stderr" ]
}

@test "the store from W3SYNC_STORE" {
	base_store
	W3SYNC_STORE=s run -0 snapshot-export --bucket 1 --dry-run
	[ "$(field leaf_count)" = 3 ]
}

@test "usage errors (exit 2)" {
	base_store
	run -2 --separate-stderr snapshot-export --bucket 1 --dry-run
	[ "$stderr" = "snapshot-export: error: usage: no store: give --store or set W3SYNC_STORE (see snapshot-export --help)" ]
	run -2 --separate-stderr snapshot-export --store s --dry-run
	[[ $stderr == *"no bucket: give --bucket or --all"* ]]
	run -2 --separate-stderr snapshot-export --store s --bucket 1 --all --dry-run
	[[ $stderr == *"--bucket and --all exclude each other"* ]]
	run -2 --separate-stderr snapshot-export --store s --all --since 3 --dry-run
	[[ $stderr == *"--since names one bucket's commitment: not with --all"* ]]
	run -2 --separate-stderr snapshot-export --store s --bucket 1 --split --dry-run
	[[ $stderr == *"--split needs --since"* ]]
	run -2 --separate-stderr snapshot-export --store s --bucket 1 --json
	[[ $stderr == *"--json needs -o or --dry-run"* ]]
	run -2 --separate-stderr snapshot-export --store s --bucket 1 --level 20 --dry-run
	[[ $stderr == *"--level: '20' is not a level from 0 to 19"* ]]
	run -2 --separate-stderr snapshot-export --store s --bucket x --dry-run
	run -2 --separate-stderr snapshot-export --store s --bucket 1 --dry-run extra
	[[ $stderr == *"unexpected operand 'extra'"* ]]
	run -2 --separate-stderr snapshot-export --store s --bucket 1 --bogus
	run -2 --separate-stderr snapshot-export --store s --bucket 9 --dry-run
	[[ $stderr == *"no bucket 9"* ]]
	run -2 --separate-stderr snapshot-export --store nostore --bucket 1 --dry-run
	run -0 snapshot-export --version
	[[ $output == "snapshot-export (w3sync) "* ]]
}

@test "a store of a newer format (exit 4); a chunk missing from the store (exit 3)" {
	base_store
	cp -r s s2
	sqlite3 s2/buckets/1/meta.db 'PRAGMA user_version = 99'
	run -4 --separate-stderr snapshot-export --store s2 --bucket 1 --dry-run
	[[ $stderr == *"newer"* ]]
	sqlite3 s/buckets/1/chunks.db 'DELETE FROM chunk WHERE size = 4'
	run -3 --separate-stderr bash -c 'snapshot-export --store s --bucket 1 >x.tar.zst'
	[[ $stderr == "snapshot-export: error: bucket 1: chunk bafk2bza"*" of segment 0 is not stored" ]]
	run -3 --separate-stderr snapshot-export --store s --bucket 1 -o y.tar.zst
	[ ! -e y.tar.zst ]
	[ -z "$(ls -A | grep '\.tmp$')" ]
}

@test "--help, the man page SYNOPSIS and both completions list the same options" {
	options_agree snapshot-export \
		"--all --bucket --dry-run --help --json --level --output --progress --quiet --resume --since --split --store --version " \
		"-S -V -a -b -h -j -l -n -o -p -q -r -s -x "
}
