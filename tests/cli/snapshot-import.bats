#!/usr/bin/env bats
# snapshot-import: round trips with snapshot-export (full, delta, several
# archives, a writer adding meanwhile), truncation at many points and the
# resume that follows, re-import after a failure, trust (root, keys,
# signers, remembered keys), every broken input of issue 4 with its exit
# code and the bucket unchanged afterwards, --status, usage errors.

bats_require_minimum_version 1.5.0
load helpers

SRC="$BATS_TEST_DIRNAME/../.."

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	make_key k.pem
	make_key other.pem
	openssl pkey -in k.pem -pubout -out k.pub 2>/dev/null
	openssl pkey -in other.pem -pubout -out other.pub 2>/dev/null
}

# The commitment and counts of bucket $2 in store $1 ("none" if absent).
state() {
	if [ -d "$1/buckets/$2" ]; then
		snapshot-export --store "$1" --bucket "$2" --dry-run
	else
		echo none
	fi
}

# A primary store p, bucket 7: segments of 0 bytes to several MiB.
make_primary() {
	local i
	: >e0
	printf x >e1
	head -c 262144 /dev/urandom >e2
	head -c 262145 /dev/urandom >e3
	head -c 3000000 /dev/urandom >e4
	head -c 100000 /dev/urandom >e5
	run -0 segment-add --store p --bucket 7 --create --key k.pem \
		--name zero --name big e0 e4 e1 e2 e3 e5 e1
	for i in 1 2 3; do
		head -c $((i * 70000)) /dev/urandom >m$i
	done
	run -0 segment-add --store p --bucket 7 --key k.pem m1 m2 m3
}

@test "round trip: many segments into an empty store give the same state and chunks" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	run -0 --separate-stderr snapshot-import --store r --create full.tar.zst
	assert_line 'kind full'
	assert_line 'segments 10'
	assert_line 'anchored no'
	[[ "$stderr" == *"unanchored"* ]]
	[ "$(state r 7)" = "$(state p 7)" ]
	store_check r 7
	[ "$(sqlite3 r/buckets/7/chunks.db 'SELECT count(*) FROM chunk')" = \
	  "$(sqlite3 p/buckets/7/chunks.db 'SELECT count(*) FROM chunk')" ]
	[ "$(sqlite3 r/buckets/7/meta.db 'SELECT name FROM name ORDER BY name' | tr '\n' ' ')" = "big zero " ]
}

@test "--json: one object per archive with the documented fields" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	run -0 --separate-stderr snapshot-import --store r --create --json --trust-key k.pub full.tar.zst
	python3 -c '
import json, sys
o = json.loads(sys.argv[1])
for k in ("bucket", "kind", "mmr_root", "start_seq", "leaf_count", "segments",
          "checkpoints", "deletions", "index", "chunks", "chunk_bytes",
          "written", "skipped", "already", "resumed", "anchored",
          "anchored_by", "trusted_signers"):
    assert k in o, k
assert o["bucket"] == 7 and o["kind"] == "full" and o["anchored"] is True
assert o["anchored_by"] == "keys" and o["trusted_signers"] == 1
' "$output"
	[ -z "$stderr" ]
}

@test "pipe from stdin, and two buckets' archives back to back" {
	make_primary
	run -0 segment-add --store p --bucket 9 --create --key k.pem e5
	run -0 bash -c 'set -o pipefail; snapshot-export --store p --all | snapshot-import --store r --create --quiet'
	[ "$(state r 7)" = "$(state p 7)" ]
	[ "$(state r 9)" = "$(state p 9)" ]
}

@test "delta: onto a copy at its base reaches the current state; elsewhere exit 5, unchanged" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	run -0 snapshot-import --store r --create full.tar.zst
	base=$(state p 7 | awk '$1 == "start_seq" {s=$2} $1 == "leaf_count" {print s + $2}')
	head -c 400000 /dev/urandom >n1
	run -0 segment-add --store p --bucket 7 --key k.pem n1 e1
	run -0 snapshot-export --store p --bucket 7 --since "$base" -o delta.tar.zst
	run -0 snapshot-import --store r --json delta.tar.zst
	# Only the new chunks travel: n1's two (e1's is at the base already).
	[[ "$output" == *'"kind":"delta"'* && "$output" == *'"chunks":2,'* ]]
	[ "$(state r 7)" = "$(state p 7)" ]
	store_check r 7
	# Onto a store that is not at the base.
	run -0 segment-add --store o --bucket 7 --create --key k.pem e5
	before=$(state o 7)
	run -5 --separate-stderr snapshot-import --store o delta.tar.zst
	[[ "$stderr" == *"the delta's base is"* ]]
	[ "$(state o 7)" = "$before" ]
	# A full snapshot onto a non-empty bucket.
	run -5 snapshot-import --store o full.tar.zst
	[ "$(state o 7)" = "$before" ]
}

@test "export while a writer adds 100 segments: the import matches a signed commitment" {
	make_primary
	(for i in $(seq 1 100); do printf 'w%d' "$i" >"w$i"; segment-add --store p --bucket 7 --key k.pem "w$i" >/dev/null || exit 1; done) &
	writer=$!
	sleep 0.2
	run -0 snapshot-export --store p --bucket 7 -o during.tar.zst
	wait "$writer"
	# Signed by the primary: --trust-key accepts it.
	run -0 snapshot-import --store r --create --trust-key k.pub during.tar.zst
	assert_line 'anchored keys'
	root=$(awk '$1 == "mmr_root" { print $2 }' <<<"$output")
	store_check r 7
	run -0 snapshot-export --store r --bucket 7 --dry-run
	assert_line "mmr_root $root"
}

@test "truncation at many points: exit 3 and a token that resumes to the same state" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	run -0 snapshot-import --store ref --create full.tar.zst
	size=$(stat -c %s full.tar.zst)
	for cut in 0 10 5000 140000 300000 1000000 2500000 $((size - 40)) $((size - 1)); do
		rm -rf r
		head -c "$cut" full.tar.zst >cut.tar.zst
		run -3 --separate-stderr snapshot-import --store r --create cut.tar.zst
		tok=$(sed -n 's/^snapshot-import: resume token: //p' <<<"$stderr")
		if [ -z "$tok" ]; then
			# Cut before the first manifest could be read: nothing to
			# resume, the whole stream again. Or cut after the trailer
			# (in the tar end blocks): the archive is applied.
			if [ "$cut" -lt 300000 ]; then
				[ "$(state r 7)" = none ]
				run -0 snapshot-import --store r --create --quiet full.tar.zst
			else
				[[ "$stderr" == *"1 complete archives"* ]]
			fi
		else
			[ "$(state r 7 | awk '$1 == "leaf_count"')" = "leaf_count 0" ]
			run -0 snapshot-import --store r --status
			assert_output --partial "$tok"
			run -0 bash -c "set -o pipefail; snapshot-export --store p --bucket 7 --resume '$tok' | snapshot-import --store r --quiet"
			run -0 snapshot-import --store r --status
			assert_output 'no pending import'
		fi
		[ "$(state r 7)" = "$(state ref 7)" ]
		store_check r 7
	done
}

@test "importing the same file again after a failure skips the chunks already stored" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	head -c 2500000 full.tar.zst >cut.tar.zst
	run -3 snapshot-import --store r --create cut.tar.zst
	run -0 --separate-stderr snapshot-import --store r --json full.tar.zst
	python3 -c 'import json,sys; o=json.loads(sys.argv[1]); assert o["skipped"] > 0 and o["written"] + o["skipped"] == o["chunks"], o' "$output"
	[ "$(state r 7)" = "$(state p 7)" ]
}

@test "a resumed archive needs the pending import of the same snapshot" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	head -c 2500000 full.tar.zst >cut.tar.zst
	run -3 --separate-stderr snapshot-import --store r --create cut.tar.zst
	tok=$(sed -n 's/^snapshot-import: resume token: //p' <<<"$stderr")
	run -0 snapshot-export --store p --bucket 7 --resume "$tok" -o resumed.tar.zst
	# No pending import in another store: does not apply.
	run -5 --separate-stderr snapshot-import --store o --create resumed.tar.zst
	[[ "$stderr" == *"no import of this bucket is pending"* ]]
	# Pending, but the chunks before the resume point were lost.
	sqlite3 r/buckets/7/chunks.db 'DELETE FROM chunk'
	run -3 --separate-stderr snapshot-import --store r resumed.tar.zst
	[[ "$stderr" == *"missing: bafk2bza"* ]]
	[[ "$stderr" == *"resume token: w3s1-7-"*"-0-0"* ]]
	[ "$(state r 7 | awk '$1 == "leaf_count"')" = "leaf_count 0" ]
}

@test "a flipped bit in a chunk: exit 1 naming its CID, bucket unchanged" {
	make_primary
	# Level 0 stores the tar bytes as they are: a flip lands in a chunk.
	run -0 snapshot-export --store p --bucket 7 --level 0 -o raw.tar.zst
	python3 -c '
import sys
b = bytearray(open("raw.tar.zst", "rb").read())
b[len(b) // 2] ^= 0x10
open("flip.tar.zst", "wb").write(b)'
	run -1 --separate-stderr snapshot-import --store r --create flip.tar.zst
	[[ "$stderr" =~ bafk2bza[a-z2-7]{54} ]]
	[ "$(state r 7 | awk '$1 == "leaf_count"')" = "leaf_count 0" ]
}

@test "every broken stream of the fixtures: its exit code, bucket unchanged" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	n=0
	while read -r name code; do
		case "$name" in '#'*|good-*|garbage-after-stream|entry-after-trailer) continue ;; esac
		rm -rf r
		run --separate-stderr snapshot-import --store r --create --quiet "$FIXTURES/stream/$name.tar.zst"
		[ "$status" -eq "$code" ] || { echo "$name: exit $status, expected $code: $stderr"; return 1; }
		[[ "$stderr" == "snapshot-import: error: "* ]]
		[[ "$(state r 7)" == none || "$(state r 7)" == *"leaf_count 0"* ]]
		n=$((n + 1))
	done <"$FIXTURES/stream/EXPECTED"
	[ "$n" -ge 30 ]
}

@test "trust: wrong root 1, untrusted key 1, too few signers 1, right root and key anchor" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	root=$(state p 7 | awk '$1 == "mmr_root" { print $2 }')
	run -1 --separate-stderr snapshot-import --store r --create --trust-root 0x$(printf '%064d' 1) full.tar.zst
	[[ "$stderr" == *"is not the trusted root"* ]]
	run -1 --separate-stderr snapshot-import --store r --create --trust-key other.pub full.tar.zst
	[[ "$stderr" == *"is not trusted"* ]]
	run -1 snapshot-import --store r --create --trust-key k.pub --trust-key other.pub --min-signers 2 full.tar.zst
	[ "$(state r 7 | awk '$1 == "leaf_count"')" = "leaf_count 0" ]
	run -0 --separate-stderr snapshot-import --store r --create --trust-root "$root" full.tar.zst
	assert_line 'anchored root'
	[ -z "$stderr" ]
}

@test "trust settings are remembered: later imports check the stored keys" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	base=$(state p 7 | awk '$1 == "start_seq" {s=$2} $1 == "leaf_count" {print s + $2}')
	run -0 snapshot-import --store r --create --trust-key k.pub full.tar.zst
	cp -r r r2
	# A delta signed by the remembered key: anchored without --trust-key.
	run -0 segment-add --store p --bucket 7 --key k.pem e5
	run -0 snapshot-export --store p --bucket 7 --since "$base" -o d1.tar.zst
	run -0 snapshot-import --store r d1.tar.zst
	assert_line 'anchored keys'
	# A delta signed by another key: refused, nothing changes.
	cp -r p p2
	run -0 segment-add --store p2 --bucket 7 --key other.pem e1
	run -0 snapshot-export --store p2 --bucket 7 --since "$((base + 1))" -o d2.tar.zst
	before=$(state r 7)
	run -1 snapshot-import --store r d2.tar.zst
	[ "$(state r 7)" = "$before" ]
	[ "$(sqlite3 r/buckets/7/meta.db 'SELECT min_signers FROM bucket')" -ge 0 ]
}

@test "a second importer on the same bucket: exit 6, names the holder" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	head -c 2500000 full.tar.zst >cut.tar.zst
	run -3 snapshot-import --store r --create cut.tar.zst
	exec 9>r/buckets/7/lock
	flock -x 9
	run -6 --separate-stderr snapshot-import --store r full.tar.zst
	[[ "$stderr" == *"busy"* ]]
	flock -u 9
	exec 9>&-
	run -0 snapshot-import --store r full.tar.zst
}

@test "a full disk: exit 7, the bucket unchanged, and a later import completes" {
	make_primary
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	run -3 snapshot-import --store r --create "$FIXTURES/stream/empty.tar.zst"
	# A file size limit stands in for the full disk (SIGXFSZ ignored, so
	# write(2) fails with EFBIG).
	run -7 --separate-stderr bash -c "trap '' XFSZ; ulimit -f 2048; exec snapshot-import --store r --create full.tar.zst"
	[[ "$stderr" == "snapshot-import: error: "* ]]
	[ "$(state r 7 | awk '$1 == "leaf_count"')" = "leaf_count 0" ]
	run -0 snapshot-import --store r --create full.tar.zst
	[ "$(state r 7)" = "$(state p 7)" ]
}

@test "--status: nothing pending, JSON form" {
	make_primary
	run -0 snapshot-import --store p --status
	assert_output 'no pending import'
	run -0 snapshot-import --store p --status --json
	assert_output '{"pending":[]}'
}

@test "usage errors: exit 2; an empty input: exit 3" {
	run -2 snapshot-import
	run -2 snapshot-import --store s --status x.tar.zst
	run -2 snapshot-import --store s --min-signers 1 x.tar.zst
	run -2 snapshot-import --store s --trust-root 0x12 x.tar.zst
	run -2 snapshot-import --store s --bogus
	run -3 --separate-stderr snapshot-import --store s --create </dev/null
	[[ "$stderr" == *"no archive"* ]]
	run -0 snapshot-import --help
	assert_line --partial 'usage: snapshot-import'
}

@test "resume after 90% of a 256 MiB stream sends at most 11% of the bytes" {
	head -c $((256 * 1024 * 1024)) /dev/urandom >big
	run -0 segment-add --store p --bucket 7 --create --key k.pem big
	rm -f big
	run -0 snapshot-export --store p --bucket 7 --level 0 -o full.tar.zst
	size=$(stat -c %s full.tar.zst)
	head -c $((size * 9 / 10)) full.tar.zst >cut.tar.zst
	run -3 --separate-stderr snapshot-import --store r --create --quiet cut.tar.zst
	rm -f cut.tar.zst
	tok=$(sed -n 's/^snapshot-import: resume token: //p' <<<"$stderr")
	sent=$(snapshot-export --store p --bucket 7 --level 0 --resume "$tok" | tee resumed.tar.zst | wc -c)
	[ "$sent" -le $((size * 11 / 100)) ]
	run -0 snapshot-import --store r --quiet resumed.tar.zst
	[ "$(state r 7)" = "$(state p 7)" ]
}

# Deletions (segment-drop, SPEC.md section 10) across every sync path.

@test "after a drop (the last commit): a full snapshot imports with --trust-key, and the replica's own export chains to a third store" {
	make_primary
	run -0 segment-drop --store p --bucket 7 --before 3 --admin-key k.pem
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	run -0 snapshot-import --store r --create --trust-key k.pub full.tar.zst
	assert_line 'anchored keys'
	[ "$(sqlite3 r/buckets/7/meta.db 'SELECT count(*) FROM deletion')" = 1 ]
	[ "$(state r 7)" = "$(state p 7)" ]
	store_check r 7
	# The replica keeps the certificate: its own snapshot anchors the same way.
	run -0 snapshot-export --store r --bucket 7 -o r.tar.zst
	run -0 snapshot-import --store t --create --trust-key k.pub r.tar.zst
	assert_line 'anchored keys'
	[ "$(state t 7)" = "$(state p 7)" ]
	store_check t 7
}

@test "after a drop by another admin key: trusting only the primary is exit 1; trusting both anchors it" {
	make_key admin.pem
	openssl pkey -in admin.pem -pubout -out admin.pub 2>/dev/null
	make_primary
	run -0 segment-drop --store p --bucket 7 --before 3 --admin-key admin.pem
	run -0 snapshot-export --store p --bucket 7 -o full.tar.zst
	run -1 --separate-stderr snapshot-import --store r --create \
		--trust-key k.pub full.tar.zst
	[[ $stderr == *"no deletion certificate by a trusted key"* ]]
	[ "$(state r 7)" != "$(state p 7)" ]
	run -0 snapshot-import --store r --create --trust-key k.pub \
		--trust-key admin.pub full.tar.zst
	assert_line 'anchored keys'
	[ "$(state r 7)" = "$(state p 7)" ]
	store_check r 7
}

@test "--since across a drop followed by adds (segments added after it dropped too, or not, or all): one delta applies" {
	make_key admin.pem
	make_primary
	printf 'n1' >n1
	printf 'n2' >n2
	printf 'n3' >n3
	# Segments 0-9 held; S = 10. Variants: the drop takes segment 10
	# (added after S), only base segments, or everything.
	for before in 11 5 12; do
		rm -rf q c d.tar.zst
		cp -a p q
		cp -a p c
		run -0 segment-add --store q --bucket 7 --key k.pem --name gone n1
		run -0 segment-add --store q --bucket 7 --key k.pem n2
		run -0 segment-drop --store q --bucket 7 --before $before \
			--admin-key admin.pem
		run -0 segment-add --store q --bucket 7 --key k.pem --name kept n3
		run -0 snapshot-export --store q --bucket 7 --since 10 -o d.tar.zst
		run -0 --separate-stderr snapshot-import --store c \
			--trust-key k.pub d.tar.zst
		assert_line 'anchored keys'
		[ "$(state c 7)" = "$(state q 7)" ]
		[ "$(sqlite3 c/buckets/7/meta.db 'SELECT name FROM name ORDER BY name' | tr '\n' ' ')" = \
		  "$(sqlite3 q/buckets/7/meta.db 'SELECT name FROM name ORDER BY name' | tr '\n' ' ')" ]
		store_check c 7
	done
	# The name set on segment 10 and removed by the drop is gone.
	[ -z "$(sqlite3 c/buckets/7/meta.db "SELECT name FROM name WHERE name = 'gone'")" ]
}

@test "a drop delta whose certificate signature is forged: exit 1, bucket unchanged" {
	make_key admin.pem
	openssl pkey -in admin.pem -pubout -out admin.pub 2>/dev/null
	make_primary
	cp -a p c
	run -0 segment-drop --store p --bucket 7 --before 3 --admin-key admin.pem
	run -0 snapshot-export --store p --bucket 7 --since 10 -o d.tar.zst
	python3 - d.tar.zst <<'PY'
import subprocess, sys
p = sys.argv[1]
tar = bytearray(subprocess.run(["zstd", "-dc", p], check=True, capture_output=True).stdout)
# The deletion record's "sig": text(3) "sig", bytes(64).
i = tar.index(b"\x63sig\x58\x40") + 6
tar[i + 10] ^= 1
open(p, "wb").write(subprocess.run(["zstd", "-c", "-q"], input=bytes(tar), check=True, capture_output=True).stdout)
PY
	before=$(state c 7)
	run -1 --separate-stderr snapshot-import --store c --trust-key k.pub \
		--trust-key admin.pub d.tar.zst
	[ "$(state c 7)" = "$before" ]
	# The untouched delta anchors by its certificate.
	rm d.tar.zst
	run -0 snapshot-export --store p --bucket 7 --since 10 -o d.tar.zst
	run -0 snapshot-import --store c --trust-key k.pub --trust-key admin.pub \
		d.tar.zst
	assert_line 'anchored keys'
	[ "$(state c 7)" = "$(state p 7)" ]
}
