#!/usr/bin/env bats
# cid-verify --store: the full scrub (clean, a changed chunk, a deleted
# chunk, a wrong trusted root, --jobs 1 against the default), --sample
# with its probabilities, --all, and the exit codes of the scrub.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	make_key k.pem
	gen_file f0 1000000
	head -c 600000 /dev/urandom >f1
	printf 'hello' >f2
	run -0 segment-add --store s --bucket 1 --create --key k.pem f0 f1 f2
	root=$(awk '$1 == "mmr_root" { print $2 }' <<<"$output")
}

# The chunk at (segment, index) of bucket 1, as hex of its hash.
chunk_hash() {
	sqlite3 s/buckets/1/meta.db "SELECT hex(hash) FROM segment_chunk WHERE seq = $1 AND idx = $2"
}

@test "a clean bucket scrubs: exit 0 and its commitment printed" {
	run -0 --separate-stderr cid-verify --store s --bucket 1
	[ "$(field mmr_root)" = "$root" ]
	[ "$(field leaf_count)" = 3 ]
	[ "$(field start_seq)" = 0 ]
	[ "$(field chunks)" = 8 ]
	[ "$(field bytes)" = 1600005 ]
	[ "$(field status)" = ok ]
	[[ $stderr == *"unanchored"* ]]
	run -0 --separate-stderr cid-verify --store s --bucket 1 --trust-root "$root" --json
	[ -z "$stderr" ]
	run -0 python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["status"]=="ok" and d["trust_root"] is True and d["problems"]==[] and d["segments"]==3, d' "$output"
}

@test "W3SYNC_STORE names the store" {
	W3SYNC_STORE=s run -0 cid-verify --bucket 1
	[ "$(field status)" = ok ]
}

@test "a chunk changed in chunks.db: exit 1 naming the segment and chunk" {
	h=$(chunk_hash 0 2)
	sqlite3 s/buckets/1/chunks.db "UPDATE chunk SET data = randomblob(size) WHERE hex(hash) = '$h'"
	run -1 --separate-stderr cid-verify --store s --bucket 1
	assert_line "corrupt 0 2 0x${h,,}"
	[ "$(field status)" = failed ]
	[ "$stderr" = "cid-verify: error: segment 0: chunk 2 (0x${h,,}) is corrupt" ]
}

@test "a single flipped bit in a chunk is found" {
	h=$(chunk_hash 1 0)
	sqlite3 s/buckets/1/chunks.db "UPDATE chunk SET data = substr(data, 1, 99) || x'ff' || substr(data, 101) WHERE hex(hash) = '$h'"
	run -1 --separate-stderr cid-verify --store s --bucket 1 --jobs 2
	assert_line "corrupt 1 0 0x${h,,}"
}

@test "a chunk row deleted: reported as missing, exit 3" {
	h=$(chunk_hash 1 1)
	sqlite3 s/buckets/1/chunks.db "DELETE FROM chunk WHERE hex(hash) = '$h'"
	run -3 --separate-stderr cid-verify --store s --bucket 1
	assert_line "missing 1 1 0x${h,,}"
	[ "$(field status)" = incomplete ]
	[ "$stderr" = "cid-verify: error: segment 1: chunk 1 (0x${h,,}) is missing" ]
}

@test "a corrupt and a missing chunk: both listed, in order, exit 1" {
	h1=$(chunk_hash 0 3)
	h2=$(chunk_hash 1 2)
	sqlite3 s/buckets/1/chunks.db "DELETE FROM chunk WHERE hex(hash) = '$h2'"
	sqlite3 s/buckets/1/chunks.db "UPDATE chunk SET data = randomblob(size) WHERE hex(hash) = '$h1'"
	run -1 --separate-stderr cid-verify --store s --bucket 1
	[ "${lines[1]}" = "corrupt 0 3 0x${h1,,}" ]
	[ "${lines[2]}" = "missing 1 2 0x${h2,,}" ]
}

@test "a segment whose data root does not match its chunk list: exit 1 naming it" {
	sqlite3 s/buckets/1/meta.db "UPDATE segment_chunk SET hash = (SELECT hash FROM segment_chunk WHERE seq = 0 AND idx = 0) WHERE seq = 1 AND idx = 0"
	run -1 --separate-stderr cid-verify --store s --bucket 1
	assert_line "bad-segment 1"
	[[ $stderr == *"segment 1: its chunk list does not give its data root and size"* ]]
}

@test "a changed mmr node or commitment: exit 1" {
	cp -r s t
	sqlite3 s/buckets/1/meta.db "UPDATE mmr_node SET hash = zeroblob(32) WHERE pos = 1"
	run -1 --separate-stderr cid-verify --store s --bucket 1
	assert_line bad-bucket
	[[ $stderr == *"mmr node 1"* ]]
	sqlite3 t/buckets/1/meta.db "UPDATE bucket SET mmr_root = zeroblob(32)"
	run -1 --separate-stderr cid-verify --store t --bucket 1
	[[ $stderr == *"the mmr root of its segments is not its commitment's"* ]]
}

@test "a wrong --trust-root: exit 1" {
	run -1 --separate-stderr cid-verify --store s --bucket 1 --trust-root 0x$(printf '%064d' 0)
	[[ $stderr == *"is not the trusted root 0x0000"* ]]
	run -1 --separate-stderr cid-verify --store s --bucket 1 --trust-root 0x$(printf '%064d' 0) --json
	run -0 python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["trust_root"] is False and d["status"]=="failed"' "$output"
}

@test "--jobs 1 and the default give the same result" {
	h=$(chunk_hash 0 1)
	sqlite3 s/buckets/1/chunks.db "UPDATE chunk SET data = randomblob(size) WHERE hex(hash) = '$h'"
	h=$(chunk_hash 1 2)
	sqlite3 s/buckets/1/chunks.db "DELETE FROM chunk WHERE hex(hash) = '$h'"
	run -1 cid-verify --store s --bucket 1 --jobs 1 --json
	one=$(sed 's/"jobs":[0-9]*//' <<<"$output")
	run -1 cid-verify --store s --bucket 1 --json
	[ "$(sed 's/"jobs":[0-9]*//' <<<"$output")" = "$one" ]
	run -1 cid-verify --store s --bucket 1 --jobs 7 --json
	[ "$(sed 's/"jobs":[0-9]*//' <<<"$output")" = "$one" ]
}

@test "--sample prints the chance of catching a loss, in text and json" {
	run -0 --separate-stderr cid-verify --store s --bucket 1 --sample 20
	[ "$(field population)" = 8 ]
	assert_line "catch 0.01 0.182093"
	assert_line "catch 0.1 0.878423"
	run -0 cid-verify --store s --bucket 1 --sample 20 --json
	run -0 python3 -c '
import json,sys
d=json.loads(sys.argv[1]); s=d["sample"]
assert s["chunks"]==20 and s["population"]==8, s
for c in s["catch"]:
    assert abs(c["probability"]-(1-(1-c["loss"])**20))<1e-6, c
assert [c["loss"] for c in s["catch"]]==[0.001,0.01,0.05,0.1]' "$output"
}

@test "--sample finds a missing chunk when it is drawn" {
	for i in 0 1 2 3 4 5 6; do
		h=$(sqlite3 s/buckets/1/meta.db "SELECT hex(hash) FROM segment_chunk WHERE NOT (seq = 2)" | sed -n "$((i + 1))p")
		sqlite3 s/buckets/1/chunks.db "DELETE FROM chunk WHERE hex(hash) = '$h'"
	done
	# 7 of 8 references missing: 50 draws miss them with chance 8^-50.
	run -3 --separate-stderr cid-verify --store s --bucket 1 --sample 50
	[ "$(field status)" = incomplete ]
	assert_line --regexp '^missing [01] [0-9]+ 0x'
}

@test "--sample finds a corrupt chunk when it is drawn" {
	sqlite3 s/buckets/1/chunks.db "UPDATE chunk SET data = randomblob(size) WHERE size > 5"
	run -1 --separate-stderr cid-verify --store s --bucket 1 --sample 30
	assert_line --regexp '^corrupt [01] [0-9]+ 0x'
}

@test "--all scrubs every bucket; the worst result decides" {
	run -0 segment-add --store s --bucket 2 --create --key k.pem f2
	run -0 cid-verify --store s --all --json
	[ "${#lines[@]}" -eq 2 ]
	h=$(sqlite3 s/buckets/2/meta.db "SELECT hex(hash) FROM segment_chunk LIMIT 1")
	sqlite3 s/buckets/2/chunks.db "DELETE FROM chunk WHERE hex(hash) = '$h'"
	run -3 cid-verify --store s --all
	assert_line "bucket 1"
	assert_line "bucket 2"
}

@test "an empty bucket scrubs clean" {
	sqlite3 s/buckets/1/meta.db 'SELECT 1' >/dev/null
	run -0 segment-add --store s --bucket 3 --create --key k.pem f2
	run -0 segment-drop --store s --bucket 3 --before 1 --admin-key k.pem
	run -0 cid-verify --store s --bucket 3
	[ "$(field leaf_count)" = 0 ]
	run -0 cid-verify --store s --bucket 3 --sample 5
	[ "$(field population)" = 0 ]
}

@test "--progress shows the chunk bytes verified of the total on stderr; --quiet and a pipe show nothing" {
	run -0 --separate-stderr cid-verify --store s --bucket 1 --trust-root "$root"
	plain=$output
	[ -z "$stderr" ]
	run -0 --separate-stderr cid-verify --store s --bucket 1 --trust-root "$root" --progress
	[ "$stderr" != "" ]
	[[ $stderr == "cid-verify: bucket 1: 1.5 MiB of 1.5 MiB (100%), "*"/s in "* ]]
	[ "$output" = "$plain" ]
	run -0 --separate-stderr cid-verify --store s --bucket 1 --trust-root "$root" -p -q
	[ -z "$stderr" ]
	[ "$output" = "$plain" ]
	run -0 --separate-stderr bash -c 'cid-verify --store s --bucket 1 --trust-root "$0" 2>&1 >/dev/null | cat >&2' "$root"
	[ -z "$stderr" ]
	# --sample has no progress (asked for before a chunk is damaged: a
	# sample may pick any chunk).
	run -0 --separate-stderr cid-verify --store s --bucket 1 --sample 2 --progress
	[[ $stderr != *"MiB of"* ]]
	# A corrupt chunk: the problem and the final line, exit 1.
	h=$(chunk_hash 0 2)
	sqlite3 s/buckets/1/chunks.db "UPDATE chunk SET data = randomblob(size) WHERE hex(hash) = '$h'"
	run -1 --separate-stderr cid-verify --store s --bucket 1 --trust-root "$root" --progress
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = "cid-verify: error: segment 0: chunk 2 (0x${h,,}) is corrupt" ]
	[[ ${stderr_lines[1]} == "cid-verify: bucket 1: 1.5 MiB of 1.5 MiB (100%), "* ]]
	# Files mode takes no --progress.
	run -2 --separate-stderr cid-verify --progress f2
	[ "$stderr" = "cid-verify: error: usage: --progress does not go with checking files (see cid-verify --help)" ]
}

@test "usage errors exit 2" {
	run -2 --separate-stderr cid-verify --store s
	[ "$stderr" = "cid-verify: error: usage: no bucket: give --bucket or --all (see cid-verify --help)" ]
	run -2 cid-verify --bucket 1
	run -2 cid-verify --store s --bucket 1 --all
	run -2 cid-verify --store s --all --trust-root "$root"
	run -2 cid-verify --store s --bucket 1 --jobs 0
	run -2 cid-verify --store s --bucket 1 --sample 0
	run -2 cid-verify --store s --bucket 1 --sample x
	run -2 --separate-stderr cid-verify --store s --bucket 1 --hash sha2-256
	[ "$stderr" = "cid-verify: error: usage: --hash does not go with checking files (see cid-verify --help)" ] || [[ $stderr == *"--hash does not go"* ]]
	run -2 cid-verify --store s --bucket 1 extra
	run -2 cid-verify --store s --bucket 1 --car
	run -2 --separate-stderr cid-verify --store nosuch --bucket 1
	run -2 cid-verify --store s --bucket 99
}

@test "a malformed --trust-root exits 4; a newer bucket format exits 4" {
	run -4 cid-verify --store s --bucket 1 --trust-root 0x12
	sqlite3 s/buckets/1/meta.db 'PRAGMA user_version = 9'
	run -4 --separate-stderr cid-verify --store s --bucket 1
	[[ $stderr == *"newer than this program supports"* ]]
}

@test "a bucket database that cannot be opened exits 7" {
	rm s/buckets/1/chunks.db
	mkdir s/buckets/1/chunks.db
	run -7 --separate-stderr cid-verify --store s --bucket 1
	[[ $stderr == *"cannot open bucket 1"* ]]
}
