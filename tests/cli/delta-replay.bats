#!/usr/bin/env bats
# delta-replay: a primary makes 200 commits after a snapshot (two of them
# segment-drops, the second taking segments added after the snapshot); a
# replica imports the snapshot and replays the split deltas shuffled,
# duplicated, over two spools; gaps, forged signatures, --until, forks,
# every exit code, and agreement of --help, the man page and the
# completions.

bats_require_minimum_version 1.5.0
load helpers

SRC="$BATS_TEST_DIRNAME/../.."
N=200
# Commits 5 and 10 drop: 5 the segments before 10, 10 those before 35,
# which takes the segments of commits 1 to 4 and 6 (added after the
# snapshot) and keeps those of 7 to 9. Commits 1 to 10 cannot be sent
# apart, so the split export groups them: one delta that drops and adds,
# then one delta per commit. Delta K is the one that reaches commit K + G.
G=9
ND=$((N - G))

# The primary P (bucket 7): 30 segments, the snapshot, then N commits of
# one small segment each, except the drops. Its split deltas go to
# $F/deltas, and the commitment after each commit to $F/commit.K
# ("mmr_root start_seq leaf_count").
setup_file() {
	local F=$BATS_FILE_TMPDIR i
	cd "$F" || exit 1
	make_key k.pem
	make_key admin.pem
	make_key other.pem
	for i in $(seq 1 30); do printf 'base %d' "$i" >"b$i"; done
	segment-add --store P --create --bucket 7 --key k.pem b* >/dev/null
	snapshot-export --store P --bucket 7 -o snap.tar.zst >/dev/null
	for i in $(seq 1 $N); do
		case $i in
		5) segment-drop --store P --bucket 7 --before 10 \
			--admin-key admin.pem >out ;;
		10) segment-drop --store P --bucket 7 --before 35 \
			--admin-key admin.pem >out ;;
		*) printf 'commit %d' "$i" >c
		   segment-add --store P --bucket 7 --key k.pem c >out ;;
		esac
		awk '$1 == "mmr_root" { r = $2 } $1 == "start_seq" { s = $2 }
		    $1 == "leaf_count" { print r, s, $2 }' out >"commit.$i"
		[ $i = 99 ] && cp -a P P99
	done
	mkdir deltas
	snapshot-export --store P --bucket 7 --since 30 --split -o deltas/ >/dev/null
	ls deltas >names
}

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	F=$BATS_FILE_TMPDIR
	cp "$F"/*.pem .
}

# A replica R with the snapshot imported, trusting the primary's key and
# the admin's (whose deletion certificates anchor what a drop leaves).
replica() {
	snapshot-import --store R --create --trust-key k.pem \
		--trust-key admin.pem --quiet \
		"$F/snap.tar.zst" >/dev/null
}

# The K-th delta file (1-based, replay order).
delta() {
	echo "$F/deltas/$(sed -n "$1p" "$F/names")"
}

# The replica's commitment, as "mmr_root start_seq leaf_count".
commitment_of() {
	snapshot-export --store "$1" --bucket 7 --dry-run |
		awk '$1 == "mmr_root" { r = $2 } $1 == "start_seq" { s = $2 }
		    $1 == "leaf_count" { print r, s, $2; exit }'
}

# Rewrites delta archive $1 with the Python code $2, which changes tar, a
# bytearray of its uncompressed bytes.
edit_delta() {
	python3 - "$1" "$2" <<'EOF'
import subprocess, sys
p = sys.argv[1]
tar = bytearray(subprocess.run(["zstd", "-dc", p], check=True, capture_output=True).stdout)
exec(sys.argv[2])
open(p, "wb").write(subprocess.run(["zstd", "-c", "-q"], input=bytes(tar), check=True, capture_output=True).stdout)
EOF
}

# Spools a and b: every delta shuffled between them, some twice.
spools() {
	local f
	mkdir -p a b
	for f in $(ls "$F/deltas" | shuf); do
		if ((RANDOM % 2)); then cp "$F/deltas/$f" a/; else cp "$F/deltas/$f" b/; fi
		((RANDOM % 4 == 0)) && cp "$F/deltas/$f" "b/dup-$f"
	done
	true
}

@test "the primary's split deltas: one per commit, the first ten grouped with their drops" {
	[ "$(wc -l <"$F/names")" -eq $ND ]
	run -0 delta-replay --store "$F/P" --dry-run "$F/deltas"
	assert_line "planned 0"
	assert_line "skipped $ND"
}

@test "a replica replays 200 shuffled, duplicated deltas from two spools to the primary's commitment; again changes nothing" {
	replica
	spools
	run -0 --separate-stderr delta-replay --store R --bucket 7 a b
	assert_line "applied $ND"
	assert_line "held 0"
	assert_line "anchored yes"
	[ "$(commitment_of R)" = "$(cat "$F/commit.$N")" ]
	[ "$(commitment_of R)" = "$(commitment_of "$F/P")" ]
	# In order: the applied lines follow the commitments of the primary.
	[ "$(grep -c '^applied seq' <<<"$output")" -eq $ND ]
	run -0 delta-replay --store R a b
	assert_line "applied 0"
	assert_line "held 0"
	[ "$(commitment_of R)" = "$(cat "$F/commit.$N")" ]
	store_check R 7
}

@test "replicas serve the primary's messages: a replica's split deltas (but the one that groups the drops) and its full snapshot are the primary's, byte for byte" {
	replica
	run -0 delta-replay --store R --quiet "$F/deltas"
	assert_line "applied $ND"
	mkdir out
	run -0 snapshot-export --store R --bucket 7 --since 30 --split -o out/
	[ "$(ls out)" = "$(cat "$F/names")" ]
	# All but the first, which groups commits 1 to 10 and their two drops:
	# the replica keeps one change for it, with its last certificate.
	for f in $(tail -n +2 "$F/names"); do
		cmp "out/$f" "$F/deltas/$f"
	done
	snapshot-export --store R --bucket 7 -o r.tar.zst >/dev/null
	snapshot-export --store "$F/P" --bucket 7 -o p.tar.zst >/dev/null
	cmp r.tar.zst p.tar.zst
}

@test "--dry-run prints the plan in order and changes nothing" {
	replica
	spools
	before=$(commitment_of R)
	run -0 delta-replay --store R --dry-run a b
	assert_line "planned $ND"
	[ "$(grep -c '^plan seq' <<<"$output")" -eq $ND ]
	# The plan's sequence numbers go up (drops keep them).
	grep '^plan seq' <<<"$output" | awk '{ if ($5 < last) exit 1; last = $5 }'
	# The first delta drops twice and adds the segments of commits 7 to 9.
	[ "$(grep -c '^plan seq .* segments 3 deletions 2 ' <<<"$output")" -eq 1 ]
	[ "$(commitment_of R)" = "$before" ]
	run -0 delta-replay --store R --dry-run --json a b
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["stop"]=="done" and len(d["steps"])==191 and d["exit"]==0 and d["dry_run"]' "$output"
}

@test "one delta missing: stops just before it with exit 3 naming the range; with it, completes" {
	replica
	mkdir s
	cp "$F"/deltas/* s/
	missing=$(delta 120)
	rm "s/$(basename "$missing")"
	run -3 --separate-stderr delta-replay --store R s
	assert_line "applied 119"
	read -r root119 _ <"$F/commit.$((119 + G))"
	read -r root120 _ <"$F/commit.$((120 + G))"
	[[ $stderr == *"missing deltas from $root119 "*" to $root120 "* ]]
	[ "$(commitment_of R)" = "$(cat "$F/commit.$((119 + G))")" ]
	cp "$missing" s/
	run -0 delta-replay --store R s
	assert_line "applied $((ND - 119))"
	[ "$(commitment_of R)" = "$(cat "$F/commit.$N")" ]
}

@test "a forged signature: exit 1, everything before it applied, nothing after" {
	replica
	mkdir s
	cp "$F"/deltas/* s/
	bad=s/$(basename "$(delta 50)")
	# Flip a bit of the primary's signature on commit 50's target: the
	# manifest's "signatures", then an array of {key, sig}.
	edit_delta "$bad" 'j = tar.index(b"sig", tar.index(b"signatures") + 10) + 5
tar[j + 10] ^= 1'
	run -1 --separate-stderr delta-replay --store R s
	assert_line "applied 49"
	[ "$(commitment_of R)" = "$(cat "$F/commit.$((49 + G))")" ]
}

@test "a damaged chunk in the middle of a batch: exit 1 naming it, the deltas before it applied, the bucket sound" {
	replica
	mkdir s
	cp "$F"/deltas/* s/
	bad=s/$(basename "$(delta 50)")
	# Delta 50 carries commit 59's segment, "commit 59": one byte of it
	# changed, so the chunk no longer matches its CID. The manifest is
	# intact: the plan takes the delta, the import finds the damage.
	edit_delta "$bad" 'assert tar.count(b"commit 59") == 1
tar[tar.index(b"commit 59") + 8] = ord("X")'
	run -1 --separate-stderr delta-replay --store R s
	assert_line "applied 49"
	[[ $stderr == *"$(basename "$bad")"*"chunk bafk"* ]]
	[ "$(commitment_of R)" = "$(cat "$F/commit.$((49 + G))")" ]
	run -0 cid-verify --store R --bucket 7
	# The rest in batches of 7: 20 full ones and a last of two.
	cp "$(delta 50)" s/
	run -0 delta-replay --store R --batch 7 s
	assert_line "applied $((ND - 49))"
	[ "$(commitment_of R)" = "$(cat "$F/commit.$N")" ]
	store_check R 7
}

@test "a delta signed by an untrusted key: exit 1, the ones before applied" {
	replica
	# Commit 100 made again by another key: same target, other signer.
	cp -a "$F/P99" P2
	printf 'commit 100' >c
	segment-add --store P2 --bucket 7 --key other.pem c >/dev/null
	mkdir s o
	snapshot-export --store P2 --bucket 7 --since "$(awk '{print $2 + $3}' "$F/commit.99")" --split -o o/ >/dev/null
	cp "$F"/deltas/* s/
	rm "s/$(basename "$(delta $((100 - G)))")"
	cp o/* s/
	run -1 --separate-stderr delta-replay --store R s
	assert_line "applied $((99 - G))"
	[[ $stderr == *"not trusted"* ]]
	[ "$(commitment_of R)" = "$(cat "$F/commit.99")" ]
}

@test "--until a sequence number in the middle stops exactly at that commitment" {
	replica
	read -r _ s l <"$F/commit.110"
	run -0 delta-replay --store R --until $((s + l)) "$F/deltas"
	[ "$(commitment_of R)" = "$(cat "$F/commit.110")" ]
	# Already there: nothing to do; before it: exit 5.
	run -0 delta-replay --store R --until $((s + l)) "$F/deltas"
	assert_line "applied 0"
	run -5 delta-replay --store R --until 31 "$F/deltas"
	# --until a root, then to the end.
	read -r r _ <"$F/commit.150"
	run -0 delta-replay --store R --until "$r" "$F/deltas"
	[ "$(commitment_of R)" = "$(cat "$F/commit.150")" ]
	run -0 delta-replay --store R "$F/deltas"
	[ "$(commitment_of R)" = "$(cat "$F/commit.$N")" ]
}

@test "a fork: two deltas from one base: exit 5 naming both, nothing past the fork" {
	replica
	cp -a "$F/P99" P2
	printf 'something else' >c
	segment-add --store P2 --bucket 7 --key k.pem c >/dev/null
	mkdir s o
	snapshot-export --store P2 --bucket 7 --since "$(awk '{print $2 + $3}' "$F/commit.99")" --split -o o/ >/dev/null
	cp "$F"/deltas/* o/* s/
	theirs=$(commitment_of P2 | cut -d' ' -f1)
	read -r ours _ <"$F/commit.100"
	run -5 --separate-stderr delta-replay --store R s
	assert_line "applied $((99 - G))"
	[[ $stderr == *forked*"$ours"* && $stderr == *"$theirs"* ]] ||
		[[ $stderr == *forked*"$theirs"* && $stderr == *"$ours"* ]]
	[ "$(commitment_of R)" = "$(cat "$F/commit.99")" ]
}

@test "stdin: concatenated archives, spooled in the store" {
	replica
	run -0 bash -c "set -o pipefail; ls '$F/deltas' | shuf | sed 's,^,$F/deltas/,' | xargs cat | delta-replay --store R -"
	assert_line "applied $ND"
	[ "$(commitment_of R)" = "$(cat "$F/commit.$N")" ]
	[ -z "$(ls R/tmp)" ]
}

@test "exit 2: usage errors" {
	replica
	run -2 delta-replay "$F/deltas"
	run -2 delta-replay --store R
	run -2 delta-replay --store R --until yesterday "$F/deltas"
	run -2 delta-replay --store R --bucket x "$F/deltas"
	run -2 delta-replay --store R --min-signers 0 "$F/deltas"
	run -2 delta-replay --store R --trust-root 0x12 "$F/deltas"
	run -2 --separate-stderr delta-replay --store R --batch 0 "$F/deltas"
	[[ $stderr == *"--batch: '0' is not a number from 1 to 1000000"* ]]
	run -2 delta-replay --store R --batch many "$F/deltas"
	run -2 delta-replay --store R --batch 1000001 "$F/deltas"
	run -2 delta-replay --store R --frobnicate "$F/deltas"
	run -2 delta-replay --store R - - </dev/null
	run -2 delta-replay --store nowhere "$F/deltas"
	run -2 delta-replay --store R --bucket 8 "$F/deltas"
}

@test "exit 4: a file that is not a delta archive; exit 7: one that cannot be read" {
	replica
	echo garbage >junk.tar.zst
	run -4 --separate-stderr delta-replay --store R junk.tar.zst
	[[ $stderr == *"junk.tar.zst: not a delta archive"* ]]
	run -7 delta-replay --store R no-such-file.tar.zst
}

@test "exit 5: only another bucket's deltas; exit 6: another writer holds the bucket" {
	replica
	mkdir -p X
	segment-add --store R --bucket 9 --create --key k.pem "$F/c" >/dev/null 2>&1 ||
		segment-add --store R --create --bucket 9 --key k.pem k.pem >/dev/null
	run -5 delta-replay --store R --bucket 9 "$F/deltas"
	flock R/buckets/7/lock sleep 5 &
	sleep 0.5
	run -6 delta-replay --store R "$F/deltas"
	wait
}

@test "--help, the man page SYNOPSIS and both completions list the same options" {
	options_agree delta-replay \
		"--batch --bucket --dry-run --help --json --min-signers --progress --quiet --store --trust-key --trust-root --until --version --wait " \
		"-B -V -b -h -j -k -m -n -p -q -r -s -u -w "
}

@test "--help and --version print to stdout and exit 0" {
	run -0 --separate-stderr delta-replay --help
	assert_line --partial "usage: delta-replay"
	[ -z "$stderr" ]
	run -0 delta-replay --version
	assert_output --partial "delta-replay (w3sync)"
}

@test "a drop's target anchors only by a trusted certificate: without the admin key exit 1, nothing applied" {
	snapshot-import --store R --create --trust-key k.pem --quiet \
		"$F/snap.tar.zst" >/dev/null
	before=$(commitment_of R)
	run -1 --separate-stderr delta-replay --store R "$F/deltas"
	assert_line "applied 0"
	[[ $stderr == *"no deletion certificate by a trusted key"* ]]
	[ "$(commitment_of R)" = "$before" ]
	run -0 delta-replay --store R --trust-key admin.pem "$F/deltas"
	assert_line "applied $ND"
	[ "$(commitment_of R)" = "$(cat "$F/commit.$N")" ]
}

@test "state parity: B catches up with A while A keeps writing; B's CommitmentPayload for A's commitment is A's, byte for byte, and B's signature over it verifies" {
	make_key a.pem
	make_key b.pem
	openssl pkey -in a.pem -pubout -out a.pub 2>/dev/null
	openssl pkey -in b.pem -pubout -out b.pub 2>/dev/null
	for i in $(seq 1 40); do head -c $((i * 5000)) /dev/urandom >"w$i"; done
	run -0 segment-add --store A --bucket 3 --create --key a.pem w1 w2
	# The writer: 38 commits, one every 50 ms; each prints its payload.
	( for i in $(seq 3 40); do
		segment-add --store A --bucket 3 --key a.pem "w$i" >"out.$i" || exit 1
		sleep 0.05
	done ) &
	writer=$!
	run -0 bash -c 'set -o pipefail; snapshot-export --store A --bucket 3 | snapshot-import --store B --create --trust-key a.pub --quiet >/dev/null'
	# Catch up while A writes: each round replays the deltas since B's
	# commitment.
	rounds=0
	while :; do
		seq=$(snapshot-export --store B --bucket 3 --dry-run --json | jq -r '.start_seq + .leaf_count')
		rm -rf spool && mkdir spool
		run -0 snapshot-export --store A --bucket 3 --since "$seq" --split -o spool/
		run -0 delta-replay --store B --bucket 3 --quiet spool
		rounds=$((rounds + 1))
		kill -0 "$writer" 2>/dev/null || [ "$(snapshot-export --store B --bucket 3 --dry-run)" != "$(snapshot-export --store A --bucket 3 --dry-run)" ] || break
		[ "$rounds" -lt 200 ]
	done
	wait "$writer"
	echo "# $rounds rounds" >&3
	[ "$(snapshot-export --store B --bucket 3 --dry-run)" = "$(snapshot-export --store A --bucket 3 --dry-run)" ]
	# A's payload for its last commitment, as segment-add printed it.
	a_payload=$(awk '$1 == "payload" { print $2 }' out.40)
	[ -n "$a_payload" ]
	# B, the new primary, signs the same commitment: its acceptance of
	# A's offer carries B's CommitmentPayload and B's signature.
	run -0 migrate-provider offer --store A --bucket 3 --to b.pub --key a.pem -o offer.cbor
	run -0 migrate-provider accept --store B --offer offer.cbor --key b.pem --json -o acc.cbor
	b_payload=$(jq -r .payload <<<"$output")
	b_sig=$(jq -r .payload_signature <<<"$output")
	[ "$b_payload" = "$a_payload" ]
	xxd -r -p <<<"${b_payload#0x}" >payload.bin
	xxd -r -p <<<"${b_sig#0x}" >sig.bin
	run -0 openssl pkeyutl -verify -pubin -inkey b.pub -rawin -in payload.bin -sigfile sig.bin
	[[ $output == *"Signature Verified Successfully"* ]]
	# And a signature by A's key over B's payload does not pass as B's.
	run -1 openssl pkeyutl -verify -pubin -inkey a.pub -rawin -in payload.bin -sigfile sig.bin
}
