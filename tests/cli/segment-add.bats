#!/usr/bin/env bats
# segment-add: segments, commitments and signatures against an independent
# reference (w3s_ref.py), the store's guarantees (no bucket by accident,
# format versions, the writer lock, kill -9, a full disk), exit codes, and
# agreement of --help, the man page and the completions.

bats_require_minimum_version 1.5.0
load helpers

SRC="$BATS_TEST_DIRNAME/../.."

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	make_key k.pem
}

teardown() {
	if mountpoint -q "$BATS_TEST_TMPDIR/m" 2>/dev/null; then
		umount "$BATS_TEST_TMPDIR/m"
	fi
}

@test "segments, commitment, payload and signature match the reference" {
	printf 'hello world' >hello
	printf 'goodbye moon' >goodbye
	gen_file big 786532
	: >empty
	run -0 --separate-stderr segment-add --store s --bucket 7 --create --key k.pem hello
	[ -z "$stderr" ]
	assert_line "segment 0 0x256c83b297114d201b30179f3f0ef0cace9783622da5974326b436178aeef610 11 1"
	# web3-storage's pinned root for one leaf.
	assert_line "mmr_root 0xec89c4bb9c2abf33c7d090e64b3d53f3886518930c61cf9b9a0b866eff2406c9"
	[ "$(commitment_of_output)" = "$(ref state add:hello)" ]

	run -0 segment-add --store s --bucket 7 --key k.pem goodbye big empty
	assert_line "segment 1 $(ref root goodbye) 12 1"
	assert_line "segment 2 $(ref root big) 786532 4"
	assert_line "segment 3 0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8 0 1"
	[ "$(commitment_of_output)" = "$(ref state add:hello add:goodbye add:big add:empty)" ]
	# The payload is CommitmentPayload v1 of bucket 7 and the commitment.
	[ "$(field payload)" = "$(ref payload 7 "$(field mmr_root)" 0 4)" ]
	[ "$(field public_key)" = "$(pubkey k.pem)" ]
	[ "${#lines[@]}" -eq 9 ]
	store_check s 7
}

@test "the signature verifies with openssl over the 57 payload bytes" {
	printf 'some bytes' >a
	run -0 segment-add --store s --bucket 1 --create --key k.pem a
	payload=$(field payload)
	sig=$(field signature)
	[ "${#payload}" -eq $((2 + 2 * 57)) ]
	[ "${#sig}" -eq $((2 + 2 * 64)) ]
	printf '%s' "${payload#0x}" | xxd -r -p >payload.bin
	printf '%s' "${sig#0x}" | xxd -r -p >sig.bin
	openssl pkey -in k.pem -pubout -out pub.pem
	run -0 openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in payload.bin -sigfile sig.bin
	assert_output --partial 'Signature Verified Successfully'
	# A different payload does not verify.
	printf '\002' | dd of=payload.bin bs=1 count=1 conv=notrunc status=none
	run -1 openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in payload.bin -sigfile sig.bin
}

@test "--json gives the same as one object" {
	printf 'one' >a
	printf 'two' >b
	run -0 segment-add --store s --bucket 3 --create --key k.pem a
	run -0 segment-add --store s --bucket 3 --key k.pem --name docs/b.txt b a
	text=$output
	run -0 segment-add --store s2 --bucket 3 --create --key k.pem --json a
	run -0 --separate-stderr segment-add --store s2 --bucket 3 --key k.pem --json --name docs/b.txt b a
	[ "${#lines[@]}" -eq 1 ]
	json=$output
	[ "$(jq -r 'keys_unsorted | join(",")' <<<"$json")" = "segments,mmr_root,start_seq,leaf_count,payload,signature,public_key" ]
	[ "$(jq -r '.mmr_root' <<<"$json")" = "$(output=$text field mmr_root)" ]
	[ "$(jq -r '.start_seq' <<<"$json")" = 0 ]
	[ "$(jq -r '.leaf_count' <<<"$json")" = 3 ]
	[ "$(jq -r '.public_key' <<<"$json")" = "$(pubkey k.pem)" ]
	[ "$(jq -r '.payload' <<<"$json")" = "$(output=$text field payload)" ]
	[ "$(jq -c '.segments[0]' <<<"$json")" = "{\"seq\":1,\"data_root\":\"$(ref root b)\",\"size\":3,\"chunks\":1,\"file\":\"b\",\"name\":\"docs/b.txt\"}" ]
	[ "$(jq -c '.segments[1] | [.seq, .file, has("name")]' <<<"$json")" = '[2,"a",false]' ]
}

@test "--name sets index entries, one per file in order" {
	printf 'alpha' >a
	printf 'beta' >b
	run -0 segment-add --store s --bucket 1 --create --key k.pem --name x/a --name 'b c' a b
	run -0 sqlite3 s/buckets/1/meta.db "SELECT name || ' 0x' || lower(hex(data_root)) FROM name ORDER BY name"
	assert_output "b c $(ref root b)
x/a $(ref root a)"
	run -2 --separate-stderr segment-add --store s --bucket 1 --key k.pem --name 1 --name 2 a
	[ "$stderr" = "segment-add: error: usage: 2 names for 1 files (see segment-add --help)" ]
	run -2 --separate-stderr segment-add --store s --bucket 1 --key k.pem --name "$(printf 'a\tb')" a
	[ "$stderr" = "segment-add: error: a: a name may not hold control characters" ]
	run -0 ref check s 1
}

@test "standard input is a segment; a chunk already stored is not written again" {
	head -c 600000 /dev/urandom >r
	run -0 bash -c 'segment-add --store s --bucket 1 --create --key k.pem - <r'
	assert_line "segment 0 $(ref root r) 600000 3"
	run -0 segment-add --store s --bucket 1 --key k.pem r r
	[ "$(commitment_of_output)" = "$(ref state add:r add:r add:r)" ]
	run -0 sqlite3 s/buckets/1/chunks.db 'SELECT count(*) FROM chunk'
	assert_output 3
	store_check s 1
}

@test "W3SYNC_STORE and W3SYNC_KEY give the defaults" {
	printf 'x' >a
	W3SYNC_STORE=$PWD/s W3SYNC_KEY=$PWD/k.pem run -0 segment-add --bucket 1 --create a
	assert_line --partial 'leaf_count 1'
	run -0 segment-add --store s --bucket 1 --key k.pem a
	assert_line 'leaf_count 2'
}

@test "a missing store or bucket is an error without --create, and nothing is created" {
	printf 'x' >a
	run -2 --separate-stderr segment-add --store nowhere --bucket 1 --key k.pem a
	[ "$stderr" = "segment-add: error: no store at nowhere (give --create to create one)" ]
	[ ! -e nowhere ]
	mkdir plain
	run -2 --separate-stderr segment-add --store plain --bucket 1 --key k.pem a
	[ "$stderr" = "segment-add: error: plain is not a w3sync store (no w3sync-store file; give --create to make it one)" ]
	[ -z "$(ls plain)" ]
	run -0 segment-add --store s --bucket 1 --create --key k.pem a
	run -2 --separate-stderr segment-add --store s --bucket 2 --key k.pem a
	[ "$stderr" = "segment-add: error: no bucket 2 in store s (give --create to create it)" ]
	[ ! -e s/buckets/2 ]
}

@test "usage errors exit 2" {
	printf 'x' >a
	run -2 --separate-stderr segment-add --store s --bucket 1 a
	[ "$stderr" = "segment-add: error: usage: no signing key: give --key or set W3SYNC_KEY (see segment-add --help)" ]
	run -2 --separate-stderr segment-add --bucket 1 --key k.pem a
	[ "$stderr" = "segment-add: error: usage: no store: give --store or set W3SYNC_STORE (see segment-add --help)" ]
	run -2 --separate-stderr segment-add --store s --key k.pem a
	[ "$stderr" = "segment-add: error: usage: no bucket: give --bucket (see segment-add --help)" ]
	run -2 --separate-stderr segment-add --store s --bucket 1 --key k.pem
	[ "$stderr" = "segment-add: error: usage: no file given (use - for standard input) (see segment-add --help)" ]
	run -2 --separate-stderr segment-add --store s --bucket -1 --key k.pem a
	[ "$stderr" = "segment-add: error: usage: --bucket: '-1' is not a decimal bucket id (see segment-add --help)" ]
	run -2 segment-add --store s --bucket 18446744073709551616 --key k.pem a
	run -2 segment-add --store s --bucket 1x --key k.pem a
	run -2 segment-add --store s --bucket 1 --key k.pem --wait soon a
	run -2 segment-add --store s --bucket 1 --key k.pem - -
	run -2 --separate-stderr segment-add --frob
	[ "$stderr" = "segment-add: error: usage: unknown or ambiguous option --frob (see segment-add --help)" ]
	run -2 --separate-stderr segment-add --store
	[ "$stderr" = "segment-add: error: usage: option --store needs a value (see segment-add --help)" ]
	run -2 segment-add --json=yes a
	[ ! -e s ]
}

@test "an unreadable file exits 7 and leaves the bucket as it was" {
	printf 'x' >a
	run -0 segment-add --store s --bucket 1 --create --key k.pem a
	before=$(ref commitment s 1)
	run -7 --separate-stderr segment-add --store s --bucket 1 --key k.pem a missing
	[ "$stderr" = "segment-add: error: cannot open missing: no such file or directory" ]
	mkdir d
	run -7 --separate-stderr segment-add --store s --bucket 1 --key k.pem a d
	[ "$stderr" = "segment-add: error: cannot read d: is a directory" ]
	# Without read permission: as nobody when run as root, who reads all.
	chmod 000 a
	if [ "$(id -u)" -eq 0 ]; then
		cp k.pem kn.pem
		chown 65534 kn.pem
		chown -R 65534 s
		chmod 755 .
		run -7 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$(command -v segment-add)" --store s --bucket 1 --key kn.pem a
		chown -R 0 s
	else
		run -7 --separate-stderr segment-add --store s --bucket 1 --key k.pem a
	fi
	[ "$stderr" = "segment-add: error: cannot open a: permission denied" ]
	[ "$(ref commitment s 1)" = "$before" ]
	store_check s 1
}

@test "a key file readable by others exits 7 and changes nothing" {
	printf 'x' >a
	run -0 segment-add --store s --bucket 1 --create --key k.pem a
	before=$(ref commitment s 1)
	chmod 644 k.pem
	run -7 --separate-stderr segment-add --store s --bucket 1 --key k.pem a
	[[ $stderr == "segment-add: error: private key file k.pem has permissions 0644, open to group or others: run chmod 600 k.pem" ]]
	[ "$(ref commitment s 1)" = "$before" ]
	chmod 600 k.pem
	run -7 --separate-stderr segment-add --store s --bucket 1 --key nokey.pem a
	[ "$stderr" = "segment-add: error: cannot open key file nokey.pem: no such file or directory" ]
	# A file that holds no key is malformed input.
	printf 'not a key\n' >bad.pem
	chmod 600 bad.pem
	run -4 --separate-stderr segment-add --store s --bucket 1 --key bad.pem a
	[ "$stderr" = "segment-add: error: key file bad.pem does not hold a PEM key" ]
	[ "$(ref commitment s 1)" = "$before" ]
}

@test "a key the bucket does not trust as a primary exits 1" {
	printf 'x' >a
	run -0 segment-add --store s --bucket 1 --create --key k.pem a
	before=$(ref commitment s 1)
	make_key other.pem
	other=$(pubkey other.pem)
	sqlite3 s/buckets/1/meta.db "INSERT INTO trust_key VALUES (1, X'${other#0x}', 0)"
	run -1 --separate-stderr segment-add --store s --bucket 1 --key k.pem a
	[ "$stderr" = "segment-add: error: key $(pubkey k.pem) is not a trusted primary key of bucket 1" ]
	[ "$(ref commitment s 1)" = "$before" ]
	run -0 segment-add --store s --bucket 1 --key other.pem a
	assert_line 'leaf_count 2'
}

@test "a newer store or bucket format is refused with exit 4" {
	printf 'x' >a
	run -0 segment-add --store s --bucket 1 --create --key k.pem a
	sqlite3 s/buckets/1/meta.db 'PRAGMA user_version = 2'
	run -4 --separate-stderr segment-add --store s --bucket 1 --key k.pem a
	[ "$stderr" = "segment-add: error: bucket 1: meta.db has format 2, newer than this program supports (1): upgrade w3sync" ]
	sqlite3 s/buckets/1/meta.db 'PRAGMA user_version = 1'
	printf 'w3sync-store 9\n' >s/w3sync-store
	run -4 --separate-stderr segment-add --store s --bucket 1 --key k.pem a
	[ "$stderr" = "segment-add: error: store s has format 9, newer than this program supports (1): upgrade w3sync" ]
}

@test "a bucket directory copied under another id exits 5" {
	printf 'x' >a
	run -0 segment-add --store s --bucket 1 --create --key k.pem a
	cp -r s/buckets/1 s/buckets/2
	run -5 --separate-stderr segment-add --store s --bucket 2 --key k.pem a
	[ "$stderr" = "segment-add: error: s/buckets/2 holds bucket 1, not bucket 2 (a copied directory?)" ]
}

@test "a bucket handed over by migrate-provider release exits 5 unless --force" {
	printf 'x' >a
	make_key new.pem
	run -0 segment-add --store s --bucket 3 --create --key k.pem a
	root=$(field mmr_root)
	run -0 migrate-provider offer --store s --bucket 3 --to new.pem --key k.pem -o offer
	cp -a s s2
	run -0 migrate-provider accept --store s2 --offer offer --key new.pem --trust-root "$root" -o acc
	run -0 migrate-provider release --store s --acceptance acc --key k.pem
	before=$(ref commitment s 3)
	run -5 --separate-stderr segment-add --store s --bucket 3 --key k.pem a
	[ "$stderr" = "segment-add: error: bucket 3 was handed over to $(pubkey new.pem) (migrate-provider release): give --force to add anyway" ]
	[ -z "$output" ]
	[ "$(ref commitment s 3)" = "$before" ]
	run -0 --separate-stderr segment-add --store s --bucket 3 --key k.pem --force a
	assert_line 'leaf_count 2'
	[ -z "$stderr" ]
	run -0 segment-add --store s --bucket 3 --key k.pem -f a
	assert_line 'leaf_count 3'
	# Other buckets of the store are not affected.
	run -0 segment-add --store s --bucket 4 --create --key k.pem a
}

@test "two writers at once: the second exits 6 naming the holder, or waits with --wait" {
	printf 'first' >a
	printf 'second' >b
	run -0 segment-add --store s --bucket 1 --create --key k.pem a
	# The first writer holds the lock while its standard input trickles in.
	{ sleep 3; cat a; } | segment-add --store s --bucket 1 --key k.pem - >out1 2>err1 &
	holder=$!
	for _ in $(seq 100); do
		grep -q "^segment-add $holder " s/buckets/1/lock 2>/dev/null && break
		sleep 0.05
	done
	run -6 --separate-stderr segment-add --store s --bucket 1 --key k.pem b
	[[ $stderr == "segment-add: error: bucket 1 is busy: held by segment-add (pid $holder) since "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run -6 --separate-stderr segment-add --store s --bucket 1 --key k.pem --wait 1 b
	[[ $stderr == *"(waited 1 s)" ]]
	run -0 segment-add --store s --bucket 1 --key k.pem --wait 30 b
	wait "$holder"
	# No leaf is lost: the first run's, the holder's and this one's.
	assert_line 'leaf_count 3'
	[ "$(ref commitment s 1)" = "$(ref state add:a add:a add:b)" ]
	store_check s 1
}

@test "kill -9 at any moment: the bucket opens at the old or the new commitment, and a rerun succeeds" {
	head -c 1000000 /dev/urandom >a
	head -c 40000000 /dev/urandom >b
	head -c 9000000 /dev/urandom >c
	run -0 segment-add --store s --bucket 1 --create --key k.pem a
	ops=(add:a)
	old=0 new=0
	for i in 1 2 3 4 5 6 7 8; do
		before=$(ref commitment s 1)
		after=$(ref state "${ops[@]}" add:b add:c)
		segment-add --store s --bucket 1 --key k.pem b c >/dev/null 2>&1 &
		pid=$!
		sleep "0.$(printf '%03d' $((RANDOM % 120)))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		now=$(ref commitment s 1)
		if [ "$now" = "$after" ]; then
			ops+=(add:b add:c)
			new=$((new + 1))
		else
			[ "$now" = "$before" ]
			old=$((old + 1))
		fi
		store_check s 1
		run -0 segment-add --store s --bucket 1 --key k.pem b c
		ops+=(add:b add:c)
		[ "$(commitment_of_output)" = "$(ref state "${ops[@]}")" ]
	done
	echo "# killed runs: $old left the old commitment, $new the new one" >&3
	store_check s 1
}

@test "a full disk exits 7, leaves the bucket as it was, and a rerun succeeds once there is room" {
	printf 'x' >a
	head -c 12000000 /dev/urandom >big
	mkdir m
	if mount -t tmpfs -o size=6m tmpfs m 2>/dev/null; then
		run -0 segment-add --store m/s --bucket 1 --create --key k.pem a
		before=$(ref commitment m/s 1)
		run -7 --separate-stderr segment-add --store m/s --bucket 1 --key k.pem a big
		[[ $stderr == "segment-add: error: "*": disk full" ]]
		[ "$(ref commitment m/s 1)" = "$before" ]
		store_check m/s 1
		mount -o remount,size=64m m
		run -0 segment-add --store m/s --bucket 1 --key k.pem a big
		[ "$(commitment_of_output)" = "$(ref state add:a add:a add:big)" ]
		store_check m/s 1
	else
		# No mount here: a file size limit makes the writes fail the
		# same way (SIGXFSZ ignored, so write(2) returns EFBIG).
		run -0 segment-add --store s --bucket 1 --create --key k.pem a
		before=$(ref commitment s 1)
		run -7 --separate-stderr bash -c "trap '' XFSZ; ulimit -f 4096; exec segment-add --store s --bucket 1 --key k.pem a big"
		[[ $stderr == "segment-add: error: "*"file too large" ]]
		[ "$(ref commitment s 1)" = "$before" ]
		store_check s 1
		run -0 segment-add --store s --bucket 1 --key k.pem a big
	fi
}

@test "memory does not grow with the file size" {
	# Random data, so that every chunk is stored: the page cache and the
	# chunk batch reach their caps with the first file already.
	head -c 64000000 /dev/urandom >medium
	head -c 256000000 /dev/urandom >large
	# Under AddressSanitizer freed memory sits in a quarantine that grows
	# with the allocations made; keep it small, and allow for the shadow.
	limit=65536
	if ldd "$(command -v segment-add)" 2>/dev/null | grep -q libasan; then
		export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1:thread_local_quarantine_size_kb=64
		limit=131072
	fi
	run -0 /usr/bin/time -f '%M' -o rss1 segment-add --store s --bucket 1 --create --key k.pem medium
	run -0 /usr/bin/time -f '%M' -o rss2 segment-add --store s --bucket 1 --key k.pem large
	assert_line "segment 1 $(ref root large) 256000000 977"
	echo "# max rss: $(cat rss1) KiB for 64 MB, $(cat rss2) KiB for 256 MB" >&3
	[ "$(cat rss2)" -lt $(($(cat rss1) + 8192)) ]
	[ "$(cat rss2)" -lt "$limit" ]
}

@test "--help and --version print to stdout and exit 0" {
	run -0 --separate-stderr segment-add --help
	assert_line --index 0 'usage: segment-add --store dir --bucket id [--create] [--key pem]'
	[ -z "$stderr" ]
	run -0 segment-add -h
	run -0 --separate-stderr segment-add --version
	assert_output --regexp '^segment-add \(w3sync\) [0-9]'
	[ -z "$stderr" ]
	run -0 segment-add -V
}

@test "--progress shows bytes of the files' total on stderr; stdin has no total; --quiet and a pipe show nothing" {
	printf 'hello world' >hello
	gen_file big 786532
	run -0 --separate-stderr bash -c 'segment-add --store s --bucket 1 --create --key k.pem --progress hello big'
	[[ $stderr == "segment-add: bucket 1: 768.1 KiB of 768.1 KiB (100%), "*"/s in "* ]]
	[ "${#lines[@]}" -eq 8 ]
	quiet=$(segment-add --store q --bucket 1 --create --key k.pem --quiet hello big 2>err)
	[ ! -s err ]
	# The same lines on stdout, the signature aside.
	[ "$(grep -v '^signature ' <<<"$output" | sed 's/^public_key .*//')" = "$(grep -v '^signature ' <<<"$quiet" | sed 's/^public_key .*//')" ]
	run -0 --separate-stderr bash -c 'printf abc | segment-add --store s --bucket 1 --key k.pem --progress -'
	[[ $stderr == "segment-add: bucket 1: 3 B, "*"/s in "* ]]
	[[ $stderr != *" of "* ]]
	run -0 --separate-stderr bash -c 'segment-add --store s --bucket 1 --key k.pem --progress --quiet hello'
	[ -z "$stderr" ]
	run -0 --separate-stderr bash -c 'segment-add --store s --bucket 1 --key k.pem hello 2>&1 >/dev/null | cat >&2'
	[ -z "$stderr" ]
	run -0 --separate-stderr segment-add --store s --bucket 1 --key k.pem hello
	[ -z "$stderr" ]
}

@test "--help, the man page SYNOPSIS and both completions list the same options" {
	options_agree segment-add \
	    "--bucket --create --force --help --json --key --name --progress --quiet --store --version --wait " \
	    "-V -b -c -f -h -j -k -n -p -q -s -w "
}
