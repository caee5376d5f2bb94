#!/usr/bin/env bats
# segment-drop: delete_before against an independent reference
# (w3s_ref.py) over sequences of adds and drops, the deletion certificate,
# freeing chunks (and deferring it while a reader reads), exit codes, and
# agreement of --help, the man page and the completions.

bats_require_minimum_version 1.5.0
load helpers

SRC="$BATS_TEST_DIRNAME/../.."

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	make_key k.pem
	make_key admin.pem
	printf 'zero' >f0
	printf 'one' >f1
	gen_file f2 600000
	head -c 300000 /dev/urandom >f3
	printf 'four' >f4
}

chunk_count() {
	sqlite3 "$1/buckets/$2/chunks.db" 'SELECT count(*) FROM chunk'
}

add() {
	run -0 segment-add --store s --bucket 1 --key k.pem "$@"
}

@test "any sequence of adds and drops gives the reference's commitment" {
	run -0 segment-add --store s --bucket 1 --create --key k.pem f0 f1 f2
	ops=(add:f0 add:f1 add:f2)
	run -0 --separate-stderr segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem
	[ -z "$stderr" ]
	ops+=(drop:1)
	[ "$(commitment_of_output)" = "$(ref state "${ops[@]}")" ]
	assert_line 'dropped 1'
	add f3 f4 f0
	ops+=(add:f3 add:f4 add:f0)
	[ "$(commitment_of_output)" = "$(ref state "${ops[@]}")" ]
	run -0 segment-drop --store s --bucket 1 --before 4 --admin-key admin.pem
	ops+=(drop:4)
	[ "$(commitment_of_output)" = "$(ref state "${ops[@]}")" ]
	assert_line 'dropped 3'
	assert_line 'start_seq 4'
	assert_line 'leaf_count 2'
	store_check s 1
	# Drop everything: the zero root; total_size restarts from 0.
	run -0 segment-drop --store s --bucket 1 --before 6 --admin-key admin.pem
	ops+=(drop:6)
	assert_line "mmr_root 0x$(printf '%064d' 0)"
	assert_line 'start_seq 6'
	assert_line 'leaf_count 0'
	[ "$(commitment_of_output)" = "$(ref state "${ops[@]}")" ]
	add f1 f2
	ops+=(add:f1 add:f2)
	assert_line "segment 6 $(ref root f1) 3 1"
	[ "$(commitment_of_output)" = "$(ref state "${ops[@]}")" ]
	run -0 sqlite3 s/buckets/1/meta.db 'SELECT group_concat(total_size) FROM leaf'
	assert_output '3,600003'
	store_check s 1
}

@test "the deletion certificate: the admin's signature over payload v1 of {root, start_seq, 0}" {
	run -0 segment-add --store s --bucket 9 --create --key k.pem f0 f1 f2
	run -0 segment-drop --store s --bucket 9 --before 2 --admin-key admin.pem
	root=$(field mmr_root)
	payload=$(field payload)
	[ "$payload" = "$(ref payload 9 "$root" 2 0)" ]
	assert_line 'leaf_count 1'
	[ "$(field public_key)" = "$(pubkey admin.pem)" ]
	printf '%s' "${payload#0x}" | xxd -r -p >payload.bin
	printf '%s' "$(field signature)" | cut -c3- | xxd -r -p >sig.bin
	[ "$(stat -c %s payload.bin)" -eq 57 ]
	openssl pkey -in admin.pem -pubout -out pub.pem
	run -0 openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in payload.bin -sigfile sig.bin
	assert_output --partial 'Signature Verified Successfully'
	# Kept in the bucket, and in the change log record of the drop.
	run -0 sqlite3 s/buckets/9/meta.db "SELECT '0x' || lower(hex(new_mmr_root)), new_start_seq, '0x' || lower(hex(admin)) FROM deletion"
	assert_output "$root|2|$(pubkey admin.pem)"
	run -0 sqlite3 s/buckets/9/meta.db 'SELECT kind, base_leaf_count, target_start_seq, target_leaf_count, deletion_id FROM change ORDER BY id'
	assert_output '1|0|0|3|
2|3|2|1|1'
	store_check s 9
}

@test "chunks no survivor references are freed; shared ones stay" {
	run -0 segment-add --store s --bucket 1 --create --key k.pem f2 f3 f2 f4
	[ "$(chunk_count s 1)" -eq 6 ]
	run -0 segment-drop --store s --bucket 1 --before 2 --admin-key admin.pem
	# f3's two chunks go; f2's three stay (segment 2 is f2 again).
	assert_line 'freed_chunks 2'
	assert_line 'deferred_chunks 0'
	[ "$(chunk_count s 1)" -eq 4 ]
	run -0 segment-drop --store s --bucket 1 --before 4 --admin-key admin.pem
	assert_line 'freed_chunks 4'
	[ "$(chunk_count s 1)" -eq 0 ]
	store_check s 1
}

@test "while a reader reads, freeing waits for a later writer" {
	run -0 segment-add --store s --bucket 1 --create --key k.pem f2 f3
	# A reader registered as the store's readers are: flock(2), shared.
	exec 9<s/buckets/1/readers
	flock -s 9
	run -0 segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem
	assert_line 'freed_chunks 0'
	assert_line 'deferred_chunks 3'
	[ "$(chunk_count s 1)" -eq 5 ]
	flock -u 9
	exec 9<&-
	run -0 segment-add --store s --bucket 1 --key k.pem f4
	[ "$(chunk_count s 1)" -eq 3 ]
	store_check s 1
}

@test "names whose data root no survivor holds are removed" {
	run -0 segment-add --store s --bucket 1 --create --key k.pem --name a --name b --name c f0 f1 f0
	run -0 segment-drop --store s --bucket 1 --before 2 --admin-key admin.pem
	run -0 sqlite3 s/buckets/1/meta.db 'SELECT name FROM name ORDER BY name'
	# "a" named f0's root, which segment 2 still holds.
	assert_output 'a
c'
}

@test "nothing to drop, before start_seq, or past the end: exit 5 and nothing changes" {
	run -0 segment-add --store s --bucket 1 --create --key k.pem f0 f1 f2
	run -0 segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem
	before=$(ref commitment s 1)
	log=$(sqlite3 s/buckets/1/meta.db 'SELECT count(*) FROM change')
	run -5 --separate-stderr segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: nothing to drop: sequence 1 is the bucket's start_seq" ]
	[ -z "$output" ]
	run -5 --separate-stderr segment-drop --store s --bucket 1 --before 0 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: sequence 0 is before the bucket's start_seq 1" ]
	run -5 --separate-stderr segment-drop --store s --bucket 1 --before 4 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: sequence 4 is past the end: the last segment is 2" ]
	run -5 segment-drop --store s --bucket 1 --before 18446744073709551615 --admin-key admin.pem
	[ "$(ref commitment s 1)" = "$before" ]
	[ "$(sqlite3 s/buckets/1/meta.db 'SELECT count(*) FROM change')" = "$log" ]
	# One past the last segment drops them all.
	run -0 segment-drop --store s --bucket 1 --before 3 --admin-key admin.pem
	assert_line 'leaf_count 0'
	run -5 --separate-stderr segment-drop --store s --bucket 1 --before 4 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: sequence 4 is past the end: bucket 1 holds no segment" ]
}

@test "--json gives the same as one object" {
	run -0 segment-add --store s --bucket 1 --create --key k.pem f0 f1 f2
	run -0 --separate-stderr segment-drop --store s --bucket 1 --before 2 --admin-key admin.pem --json
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r 'keys_unsorted | join(",")' <<<"$output")" = "segments,dropped,freed_chunks,deferred_chunks,mmr_root,start_seq,leaf_count,payload,signature,public_key" ]
	[ "$(jq -c '[.segments, .dropped, .start_seq, .leaf_count]' <<<"$output")" = '[[],2,2,1]' ]
	[ "$(jq -r .mmr_root <<<"$output")" = "$(ref state add:f0 add:f1 add:f2 drop:2 | awk '$1 == "mmr_root" {print $2}')" ]
	[ "$(jq -r .public_key <<<"$output")" = "$(pubkey admin.pem)" ]
}

@test "a missing store or bucket exits 2; usage errors exit 2" {
	run -2 --separate-stderr segment-drop --store nowhere --bucket 1 --before 1 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: no store at nowhere (give --create to create one)" ]
	run -0 segment-add --store s --bucket 1 --create --key k.pem f0
	run -2 --separate-stderr segment-drop --store s --bucket 2 --before 1 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: no bucket 2 in store s (give --create to create it)" ]
	[ ! -e s/buckets/2 ]
	run -2 --separate-stderr segment-drop --store s --bucket 1 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: usage: no sequence number: give --before (see segment-drop --help)" ]
	run -2 --separate-stderr segment-drop --store s --bucket 1 --before 1
	[ "$stderr" = "segment-drop: error: usage: no admin key: give --admin-key (see segment-drop --help)" ]
	run -2 --separate-stderr segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem extra
	[ "$stderr" = "segment-drop: error: usage: unexpected operand 'extra' (see segment-drop --help)" ]
	run -2 --separate-stderr segment-drop --store s --bucket 1 --before -1 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: usage: --before: '-1' is not a decimal sequence number (see segment-drop --help)" ]
	run -2 segment-drop --store s --bucket 1 --before 18446744073709551616 --admin-key admin.pem
	run -2 segment-drop --bucket 1 --before 1 --admin-key admin.pem
	run -2 segment-drop --store s --before 1 --admin-key admin.pem
	run -2 segment-drop --create
	W3SYNC_STORE=$PWD/s run -0 segment-drop --bucket 1 --before 1 --admin-key admin.pem
}

@test "a key the bucket does not record as an admin exits 1" {
	run -0 segment-add --store s --bucket 1 --create --key k.pem f0 f1
	before=$(ref commitment s 1)
	admin=$(pubkey admin.pem)
	sqlite3 s/buckets/1/meta.db "INSERT INTO trust_key VALUES (2, X'${admin#0x}', 0)"
	run -1 --separate-stderr segment-drop --store s --bucket 1 --before 1 --admin-key k.pem
	[ "$stderr" = "segment-drop: error: key $(pubkey k.pem) is not an admin key of bucket 1" ]
	[ "$(ref commitment s 1)" = "$before" ]
	run -0 segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem
}

@test "another writer: exit 6 naming it, or --wait" {
	run -0 segment-add --store s --bucket 1 --create --key k.pem f0 f1
	{ sleep 2; cat f4; } | segment-add --store s --bucket 1 --key k.pem - >out1 2>err1 &
	holder=$!
	for _ in $(seq 100); do
		grep -q "^segment-add $holder " s/buckets/1/lock 2>/dev/null && break
		sleep 0.05
	done
	run -6 --separate-stderr segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem
	[[ $stderr == "segment-drop: error: bucket 1 is busy: held by segment-add (pid $holder) since "* ]]
	run -0 segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem --wait 30
	wait "$holder"
	assert_line 'leaf_count 2'
	[ "$(ref commitment s 1)" = "$(ref state add:f0 add:f1 add:f4 drop:1)" ]
}

@test "a newer format exits 4; a copied bucket directory exits 5; an open key file exits 7" {
	run -0 segment-add --store s --bucket 1 --create --key k.pem f0 f1
	cp -r s/buckets/1 s/buckets/2
	run -5 --separate-stderr segment-drop --store s --bucket 2 --before 1 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: s/buckets/2 holds bucket 1, not bucket 2 (a copied directory?)" ]
	sqlite3 s/buckets/1/chunks.db 'PRAGMA user_version = 3'
	run -4 --separate-stderr segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: bucket 1: chunks.db has format 3, newer than this program supports (1): upgrade w3sync" ]
	sqlite3 s/buckets/1/chunks.db 'PRAGMA user_version = 1'
	chmod 640 admin.pem
	run -7 --separate-stderr segment-drop --store s --bucket 1 --before 1 --admin-key admin.pem
	[ "$stderr" = "segment-drop: error: private key file admin.pem has permissions 0640, open to group or others: run chmod 600 admin.pem" ]
	chmod 600 admin.pem
	[ "$(ref commitment s 1)" = "$(ref state add:f0 add:f1)" ]
	store_check s 1
}

@test "--help and --version print to stdout and exit 0" {
	run -0 --separate-stderr segment-drop --help
	assert_line --index 0 'usage: segment-drop --store dir --bucket id --before seq --admin-key pem'
	[ -z "$stderr" ]
	run -0 segment-drop -h
	run -0 --separate-stderr segment-drop --version
	assert_output --regexp '^segment-drop \(w3sync\) [0-9]'
	run -0 segment-drop -V
}

@test "--help, the man page SYNOPSIS and both completions list the same options" {
	options_agree segment-drop \
	    "--admin-key --before --bucket --help --json --store --version --wait " \
	    "-B -V -a -b -h -j -s -w "
}
