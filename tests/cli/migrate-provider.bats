#!/usr/bin/env bats
# migrate-provider: offer, accept (full verification of the new store),
# verify, release; every documented exit code with its message; changed
# bytes in records; missing and altered chunks; the runbook end to end once
# snapshot-export, snapshot-import and delta-replay exist; agreement of
# --help, the man page and the completions.

bats_require_minimum_version 1.5.0
load helpers

SRC="$BATS_TEST_DIRNAME/../.."

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	make_key old.pem
	make_key new.pem
	make_key other.pem
	gen_file f1 600000
	printf 'two' >f2
	head -c 300000 /dev/urandom >f3
	run -0 segment-add --store old --bucket 7 --create --key old.pem f1 f2 f3
	ROOT=$(field mmr_root)
}

# offer of bucket 7 to new.pem, then NEW as a copy of OLD.
offer_and_copy() {
	run -0 migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem -o offer "$@"
	cp -a old new
}

accept() {
	migrate-provider accept --store new --offer offer --key new.pem --trust-root "$ROOT" "$@"
}

# Flips byte $2 (0-based) of file $1 into file $3.
flip() {
	python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[int(sys.argv[2])]^=1; open(sys.argv[3],"wb").write(d)' "$1" "$2" "$3"
}

# Offset of the first occurrence of hex bytes $2 in file $1.
offset_of() {
	python3 -c 'import sys; print(open(sys.argv[1],"rb").read().find(bytes.fromhex(sys.argv[2])))' "$1" "$2"
}

@test "offer, accept on a copied store, verify, release; then segment-add exits 5 unless --force" {
	run -0 --separate-stderr migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem -o offer
	[ -z "$stderr" ]
	assert_line 'type w3sync-migrate-offer'
	assert_line 'bucket 7'
	assert_line "mmr_root $ROOT"
	assert_line 'start_seq 0'
	assert_line 'leaf_count 3'
	assert_line 'segments 3'
	assert_line 'chunks 6'
	assert_line 'bytes 900003'
	assert_line "from $(pubkey old.pem)"
	assert_line "to $(pubkey new.pem)"
	[ $(($(field expires) - $(field created))) -eq 86400 ]
	[ "$(field digest)" = "0x$(b2sum -l 256 offer | cut -c1-64)" ]
	[ "$(field record)" = "0x$(xxd -p -c 100000 offer)" ]
	cp -a old new
	run -0 --separate-stderr accept -o acc
	[ -z "$stderr" ]
	assert_line 'type w3sync-migrate-acceptance'
	assert_line "mmr_root $ROOT"
	assert_line 'leaf_count 3'
	assert_line 'chunks 6'
	assert_line "offer 0x$(b2sum -l 256 offer | cut -c1-64)"
	[ "$(field payload)" = "$(python3 "$REF" payload 7 "$ROOT" 0 3)" ]
	refute_line --regexp '^from_signature '
	# The payload signature verifies with openssl: what the chain takes.
	field payload | cut -c3- | xxd -r -p >payload.bin
	field payload_signature | cut -c3- | xxd -r -p >sig.bin
	openssl pkey -in new.pem -pubout -out new.pub.pem
	run -0 openssl pkeyutl -verify -pubin -inkey new.pub.pem -rawin -in payload.bin -sigfile sig.bin
	run -0 --separate-stderr migrate-provider verify --offer offer --acceptance acc --trust-root "$ROOT"
	[ -z "$stderr" ]
	assert_line 'anchored yes'
	assert_line 'verified yes'
	assert_line "offer.mmr_root $ROOT"
	assert_line "acceptance.mmr_root $ROOT"
	run -0 --separate-stderr migrate-provider verify --offer offer --acceptance acc
	[ "$stderr" = "migrate-provider: warning: unanchored: the pair is consistent, but no --trust-root ties it to the chain" ]
	assert_line 'anchored no'
	run -0 --separate-stderr migrate-provider release --store old --acceptance acc --key old.pem
	[ -z "$stderr" ]
	assert_line 'handed_over yes'
	assert_line 'already no'
	assert_line "to $(pubkey new.pem)"
	run -0 migrate-provider release --store old --acceptance acc --key old.pem
	assert_line 'already yes'
	run -5 --separate-stderr segment-add --store old --bucket 7 --key old.pem f2
	[ "$stderr" = "segment-add: error: bucket 7 was handed over to $(pubkey new.pem) (migrate-provider release): give --force to add anyway" ]
	run -0 segment-add --store old --bucket 7 --key old.pem --force f2
	assert_line 'leaf_count 4'
	# The handed-over bucket is not offered again.
	run -5 --separate-stderr migrate-provider offer --store old --bucket 7 --to other.pem --key old.pem
	[ "$stderr" = "migrate-provider: error: bucket 7 was already handed over to $(pubkey new.pem)" ]
}

@test "--to takes 0x hex; W3SYNC_KEY and W3SYNC_STORE give the defaults" {
	W3SYNC_STORE=old W3SYNC_KEY=old.pem run -0 migrate-provider offer --bucket 7 --to "$(pubkey new.pem)"
	assert_line "to $(pubkey new.pem)"
	[ ! -e offer ]
	# Without -o the record is the hex on the record line.
	field record | cut -c3- | xxd -r -p >offer
	cp -a old new
	W3SYNC_KEY=new.pem run -0 migrate-provider accept --store new --offer offer --trust-root "$ROOT"
}

@test "a changed byte in the offer or the acceptance: verify exits 1; no byte change passes" {
	offer_and_copy
	run -0 accept -o acc
	# A byte inside the offer's signature, and inside the offered root.
	flip offer "$(($(offset_of offer "$(xxd -p -c 1000 offer | grep -o '697369676e61747572655840')") + 14))" bad
	run -1 --separate-stderr migrate-provider verify --offer bad --acceptance acc
	[ "$stderr" = "migrate-provider: error: the acceptance names another offer" ] ||
		[ "$stderr" = "migrate-provider: error: offer: the signature by $(pubkey old.pem) does not verify" ]
	flip offer "$(($(offset_of offer "${ROOT#0x}") + 5))" bad
	run -1 --separate-stderr migrate-provider verify --offer bad --acceptance acc
	[ "$stderr" = "migrate-provider: error: offer: the signature by $(pubkey old.pem) does not verify" ]
	flip acc "$(($(offset_of acc "686d6d725f726f6f745820${ROOT#0x}") + 16))" bad
	run -1 --separate-stderr migrate-provider verify --offer offer --acceptance bad
	[ "$stderr" = "migrate-provider: error: acceptance: the signature by $(pubkey new.pem) does not verify" ]
	# The payload is inside the signed record too.
	flip acc "$(($(offset_of acc "${ROOT#0x}") + 5))" bad
	run -1 --separate-stderr migrate-provider verify --offer offer --acceptance bad
	[ "$stderr" = "migrate-provider: error: acceptance: the signature by $(pubkey new.pem) does not verify" ]
	# Every single byte of either file: 1 (verification) or 4 (malformed), never 0.
	for f in offer acc; do
		n=$(stat -c %s $f)
		for ((i = 0; i < n; i++)); do
			flip $f $i bad
			if [ $f = offer ]; then
				migrate-provider verify --offer bad --acceptance acc 2>/dev/null >/dev/null && s=0 || s=$?
			else
				migrate-provider verify --offer offer --acceptance bad 2>/dev/null >/dev/null && s=0 || s=$?
			fi
			if [ "$s" != 1 ] && [ "$s" != 4 ]; then
				echo "$f byte $i: exit $s"
				false
			fi
		done
	done
}

@test "an expired offer: accept exits 1 and writes nothing" {
	offer_and_copy --expires 1s
	sleep 2
	run -1 --separate-stderr accept -o acc
	[[ $stderr == "migrate-provider: error: the offer expired at "*" UTC" ]]
	[ -z "$output" ]
	[ ! -e acc ]
}

@test "a key that is not the offer's recipient: accept exits 1" {
	offer_and_copy
	run -1 --separate-stderr migrate-provider accept --store new --offer offer --key other.pem --trust-root "$ROOT" -o acc
	[ "$stderr" = "migrate-provider: error: key $(pubkey other.pem) is not the offer's recipient $(pubkey new.pem)" ]
	[ ! -e acc ]
}

@test "a chunk missing from the new store: exit 3 listing it, and no acceptance file" {
	offer_and_copy
	hash=$(sqlite3 new/buckets/7/chunks.db "SELECT lower(hex(hash)) FROM chunk WHERE size = 3")
	cid=$(cid-verify --hash blake2b-256 f2 | awk '{print $1}')
	sqlite3 new/buckets/7/chunks.db "DELETE FROM chunk WHERE size = 3"
	run -3 --separate-stderr accept -o acc
	[ "$stderr" = "migrate-provider: error: bucket 7 is incomplete: 1 of its 6 chunks are missing" ]
	[ "$output" = "missing 1 0 $cid" ]
	[ -n "$hash" ]
	[ ! -e acc ]
	[ -z "$(ls -A | grep tmp)" ]
	run -3 accept -o acc --json
	[ "$(jq -c . <<<"$output")" = "{\"incomplete\":true,\"missing\":[{\"seq\":1,\"index\":0,\"chunk\":\"$cid\"}]}" ]
	[ ! -e acc ]
}

@test "a chunk altered in the new store: accept exits 1" {
	offer_and_copy
	sqlite3 new/buckets/7/chunks.db "UPDATE chunk SET data = X'74776e' WHERE size = 3"
	run -1 --separate-stderr accept -o acc
	[[ $stderr == "migrate-provider: error: segment 1: chunk 0 (0x"*") is corrupt" ]]
	[ ! -e acc ]
}

@test "the new store behind the offer exits 3; ahead of it, accept takes the later commitment" {
	run -0 segment-add --store early --bucket 7 --create --key old.pem f1 f2
	offer_and_copy
	rm -rf new
	cp -a early new
	run -3 --separate-stderr accept -o acc
	[ "$stderr" = "migrate-provider: error: bucket 7 is missing segments 2 to 2 (it holds 2 of the offered 3)" ]
	[ ! -e acc ]
	rm -rf new
	cp -a old new
	run -0 segment-add --store new --bucket 7 --key old.pem f2
	later=$(field mmr_root)
	run -0 accept -o acc
	assert_line "mmr_root $later"
	assert_line 'leaf_count 4'
	assert_line --regexp '^from_signature 0x[0-9a-f]{128}$'
	run -0 migrate-provider verify --offer offer --acceptance acc --trust-root "$later"
	run -0 migrate-provider verify --offer offer --acceptance acc --trust-root "$ROOT"
	# The old store never held the later commitment.
	run -5 --separate-stderr migrate-provider release --store old --acceptance acc --key old.pem
	[[ $stderr == "migrate-provider: error: bucket 7 never held the accepted commitment (leaf_count 4, root $later)" ]]
	# A later commitment signed by another key is not the old provider's.
	rm -rf new acc
	cp -a old new
	run -0 segment-add --store new --bucket 7 --key other.pem f2
	run -1 --separate-stderr accept -o acc
	[[ $stderr == "migrate-provider: error: bucket 7: the commitment reached (leaf_count 4, root 0x"*") has no checkpoint signed by the offer's key" ]]
	[ ! -e acc ]
}

@test "a different history in the new store exits 1; a deletion since the offer exits 5" {
	offer_and_copy
	run -0 segment-add --store diff --bucket 7 --create --key old.pem f1 f2 f2
	rm -rf new
	cp -a diff new
	run -1 --separate-stderr accept -o acc
	[[ $stderr == "migrate-provider: error: bucket 7: its root at leaf_count 3 is 0x"*", the offer's $ROOT: a different history" ]]
	rm -rf new
	cp -a old new
	make_key admin.pem
	run -0 segment-drop --store new --bucket 7 --before 1 --admin-key admin.pem
	run -5 --separate-stderr accept -o acc
	[ "$stderr" = "migrate-provider: error: bucket 7: its start_seq 1 is past the offered 0 (segments dropped since the offer): ask for a new offer" ]
	[ ! -e acc ]
}

@test "no bucket in the new store exits 3; no store exits 2" {
	run -0 migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem -o offer
	mkdir new
	run -0 segment-add --store new --bucket 8 --create --key new.pem f2
	run -3 --separate-stderr accept -o acc
	[ "$stderr" = "migrate-provider: error: bucket 7 is not in store new: none of it has arrived" ]
	run -2 --separate-stderr migrate-provider accept --store nowhere --offer offer --key new.pem
	[ "$stderr" = "migrate-provider: error: no store at nowhere (give --create to create one)" ]
	run -2 --separate-stderr migrate-provider offer --store old --bucket 9 --to new.pem --key old.pem
	[ "$stderr" = "migrate-provider: error: no bucket 9 in store old (give --create to create it)" ]
}

@test "anchoring: unanchored exits 2, a wrong --trust-root exits 1, a trusted primary key anchors" {
	offer_and_copy
	run -2 --separate-stderr migrate-provider accept --store new --offer offer --key new.pem -o acc
	[ "$stderr" = "migrate-provider: error: bucket 7 is unanchored: it does not record the offer's key $(pubkey old.pem) as a trusted primary; give --trust-root (the bucket's root on chain)" ]
	[ ! -e acc ]
	wrong=0x$(printf '%064d' 1)
	run -1 --separate-stderr migrate-provider accept --store new --offer offer --key new.pem --trust-root "$wrong" -o acc
	[ "$stderr" = "migrate-provider: error: the trusted root $wrong is neither the offered root nor the root reached" ]
	[ ! -e acc ]
	old=$(pubkey old.pem)
	sqlite3 new/buckets/7/meta.db "INSERT INTO trust_key VALUES (1, X'${old#0x}', 0)"
	run -0 migrate-provider accept --store new --offer offer --key new.pem -o acc
	run -0 migrate-provider verify --offer offer --acceptance acc
	run -1 --separate-stderr migrate-provider verify --offer offer --acceptance acc --trust-root "$wrong"
	[ "$stderr" = "migrate-provider: error: the trusted root $wrong is neither the offered nor the accepted root" ]
}

@test "malformed records exit 4; a record of the other kind exits 4" {
	offer_and_copy
	run -0 accept -o acc
	head -c 40 offer >trunc
	run -4 --separate-stderr migrate-provider verify --offer trunc --acceptance acc
	[[ $stderr == "migrate-provider: error: trunc: offer: "* ]]
	printf 'not cbor' >junk
	run -4 migrate-provider verify --offer offer --acceptance junk
	run -4 --separate-stderr migrate-provider verify --offer acc --acceptance acc
	[ "$stderr" = "migrate-provider: error: acc: offer: type is \"w3sync-migrate-acceptance\", not \"w3sync-migrate-offer\"" ]
	run -4 migrate-provider accept --store new --offer acc --key new.pem
	head -c 5000 /dev/zero >big
	run -4 --separate-stderr migrate-provider verify --offer big --acceptance acc
	[ "$stderr" = "migrate-provider: error: big: larger than 4096 bytes: not a migration record" ]
	run -4 migrate-provider release --store old --acceptance offer --key old.pem
	# The other pair's acceptance does not belong to this offer.
	run -0 migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem --expires 2h -o offer2
	run -1 --separate-stderr migrate-provider verify --offer offer2 --acceptance acc
	[ "$stderr" = "migrate-provider: error: the acceptance names another offer" ]
}

@test "-o never overwrites: exit 5 and the file is unchanged" {
	offer_and_copy
	printf 'keep' >taken
	run -5 --separate-stderr migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem -o taken
	[ "$stderr" = "migrate-provider: error: taken exists: not overwritten" ]
	run -5 accept -o taken
	[ "$(cat taken)" = keep ]
	run -0 accept -o acc
	[ "$(ls -A | grep -c tmp)" = 0 ]
}

@test "release: wrong key 1, another acceptance 5, busy 6, open key file 7, missing file 7" {
	offer_and_copy
	run -0 accept -o acc
	run -1 --separate-stderr migrate-provider release --store old --acceptance acc --key other.pem
	[ "$stderr" = "migrate-provider: error: key $(pubkey other.pem) is not the old provider the acceptance names" ]
	# A second acceptance for a bucket already handed over.
	run -0 migrate-provider release --store old --acceptance acc --key old.pem
	run -0 migrate-provider offer --store new --bucket 7 --to new.pem --key old.pem --expires 2h -o offer2
	run -0 migrate-provider accept --store new --offer offer2 --key new.pem --trust-root "$ROOT" -o acc2
	run -5 --separate-stderr migrate-provider release --store old --acceptance acc2 --key old.pem
	[ "$stderr" = "migrate-provider: error: bucket 7 was already handed over to $(pubkey new.pem) by another acceptance" ]
	# Busy: a writer holds bucket 7 of the copy.
	{ sleep 2; cat f2; } | segment-add --store new --bucket 7 --key old.pem - >out1 2>err1 &
	holder=$!
	for _ in $(seq 100); do
		grep -q "^segment-add $holder " new/buckets/7/lock 2>/dev/null && break
		sleep 0.05
	done
	run -6 --separate-stderr migrate-provider release --store new --acceptance acc2 --key old.pem
	[[ $stderr == "migrate-provider: error: bucket 7 is busy: held by segment-add (pid $holder) since "* ]]
	wait "$holder"
	run -0 migrate-provider release --store new --acceptance acc2 --key old.pem --wait 30
	chmod 640 old.pem
	run -7 --separate-stderr migrate-provider release --store old --acceptance acc --key old.pem
	[ "$stderr" = "migrate-provider: error: private key file old.pem has permissions 0640, open to group or others: run chmod 600 old.pem" ]
	chmod 600 old.pem
	run -7 --separate-stderr migrate-provider verify --offer nofile --acceptance acc
	[ "$stderr" = "migrate-provider: error: cannot open nofile: no such file or directory" ]
}

@test "release into a bucket directory copied from another bucket exits 5" {
	run -0 segment-add --store old --bucket 8 --create --key old.pem f2
	root8=$(field mmr_root)
	run -0 migrate-provider offer --store old --bucket 8 --to new.pem --key old.pem -o offer8
	cp -a old new
	run -0 migrate-provider accept --store new --offer offer8 --key new.pem --trust-root "$root8" -o acc8
	# Release opens the bucket the acceptance names; a directory holding
	# another bucket is refused by the store.
	run -0 migrate-provider release --store old --acceptance acc8 --key old.pem
	run -0 segment-add --store old --bucket 7 --key old.pem f2
	rm -rf old/buckets/8 && cp -a old/buckets/7 old/buckets/8
	run -5 --separate-stderr migrate-provider release --store old --acceptance acc8 --key old.pem
	[ "$stderr" = "migrate-provider: error: old/buckets/8 holds bucket 7, not bucket 8 (a copied directory?)" ]
}

@test "offer: to one's own key exits 5; a key the bucket does not trust exits 1" {
	run -5 --separate-stderr migrate-provider offer --store old --bucket 7 --to old.pem --key old.pem
	[ "$stderr" = "migrate-provider: error: the offer's recipient is the signing key itself" ]
	old=$(pubkey old.pem)
	sqlite3 old/buckets/7/meta.db "INSERT INTO trust_key VALUES (1, X'${old#0x}', 0)"
	run -1 --separate-stderr migrate-provider offer --store old --bucket 7 --to new.pem --key other.pem
	[ "$stderr" = "migrate-provider: error: key $(pubkey other.pem) is not a trusted primary key of bucket 7" ]
	run -0 migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem
}

@test "usage errors exit 2" {
	run -2 --separate-stderr migrate-provider
	[ "$stderr" = "migrate-provider: error: usage: no subcommand: give offer, accept, verify or release (see migrate-provider --help)" ]
	run -2 --separate-stderr migrate-provider hand --store old
	[ "$stderr" = "migrate-provider: error: usage: unknown subcommand 'hand' (offer, accept, verify or release) (see migrate-provider --help)" ]
	run -2 --separate-stderr migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem --expires 2w
	[ "$stderr" = "migrate-provider: error: usage: --expires: '2w' is not a duration from 1s to 366d (a number and s, m, h or d) (see migrate-provider --help)" ]
	run -2 migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem --expires 0s
	run -2 migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem --expires 367d
	run -2 --separate-stderr migrate-provider verify --offer o --acceptance a --store old
	[ "$stderr" = "migrate-provider: error: usage: verify takes no --store (see migrate-provider --help)" ]
	run -2 --separate-stderr migrate-provider offer --store old --bucket 7 --key old.pem
	[ "$stderr" = "migrate-provider: error: usage: no recipient: give --to (see migrate-provider --help)" ]
	run -2 --separate-stderr migrate-provider offer --store old --to new.pem --key old.pem
	[ "$stderr" = "migrate-provider: error: usage: no bucket: give --bucket (see migrate-provider --help)" ]
	run -2 --separate-stderr migrate-provider offer --bucket 7 --to new.pem --key old.pem
	[ "$stderr" = "migrate-provider: error: usage: no store: give --store or set W3SYNC_STORE (see migrate-provider --help)" ]
	run -2 --separate-stderr migrate-provider accept --store new --key new.pem
	[ "$stderr" = "migrate-provider: error: usage: no offer: give --offer (see migrate-provider --help)" ]
	run -2 --separate-stderr migrate-provider release --store old --key old.pem
	[ "$stderr" = "migrate-provider: error: usage: no acceptance: give --acceptance (see migrate-provider --help)" ]
	run -2 --separate-stderr migrate-provider release --store old --acceptance a
	[ "$stderr" = "migrate-provider: error: usage: no signing key: give --key or set W3SYNC_KEY (see migrate-provider --help)" ]
	run -2 --separate-stderr migrate-provider verify --offer o --acceptance a --trust-root 0x12
	[ "$stderr" = "migrate-provider: error: usage: --trust-root: '0x12' is not 0x and 64 hex digits (see migrate-provider --help)" ]
	run -2 migrate-provider verify --offer o --acceptance a extra
	run -2 migrate-provider verify --offer
	run -2 migrate-provider release --store old --acceptance a --key old.pem --wait soon
}

@test "--json: one object per subcommand with the record's fields" {
	run -0 migrate-provider offer --store old --bucket 7 --to new.pem --key old.pem -o offer --json
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r 'keys_unsorted | join(",")' <<<"$output")" = "type,bucket,mmr_root,start_seq,leaf_count,segments,chunks,bytes,from,to,created,expires,signature,digest,record" ]
	[ "$(jq -r .mmr_root <<<"$output")" = "$ROOT" ]
	cp -a old new
	run -0 accept -o acc --json
	[ "$(jq -r 'keys_unsorted | join(",")' <<<"$output")" = "type,bucket,offer,from,to,mmr_root,start_seq,leaf_count,segments,chunks,bytes,created,payload,payload_signature,signature,digest,record" ]
	run -0 migrate-provider verify --offer offer --acceptance acc --json --trust-root "$ROOT"
	[ "$(jq -c '[.anchored, .verified, .offer.leaf_count, .acceptance.leaf_count]' <<<"$output")" = '[true,true,3,3]' ]
	run -0 migrate-provider release --store old --acceptance acc --key old.pem --json
	[ "$(jq -c . <<<"$output")" = "{\"bucket\":7,\"to\":\"$(pubkey new.pem)\",\"acceptance\":\"0x$(b2sum -l 256 acc | cut -c1-64)\",\"handed_over\":true,\"already\":false}" ]
}

@test "exports still work after release" {
	offer_and_copy
	run -0 accept -o acc
	run -0 migrate-provider release --store old --acceptance acc --key old.pem
	run -0 snapshot-export --store old --bucket 7 --dry-run
	assert_line "mmr_root $ROOT"
}

commitment_of() {
	snapshot-export --store "$1" --bucket 7 --dry-run | grep -E '^(mmr_root|start_seq|leaf_count) '
}

@test "the runbook: a writer adds segments until release; the new store ends at the old one's final commitment" {
	(
		i=0
		while [ ! -e stop ]; do
			head -c $((i * 7919 % 200000 + 1)) /dev/urandom >w$i
			segment-add --store old --bucket 7 --key old.pem --wait 30 w$i >/dev/null 2>writer.err ||
				{ echo $? >writer.status; break; }
			i=$((i + 1))
		done
	) &
	writer=$!
	sleep 1
	run -0 --separate-stderr "$SRC/examples/migrate-provider.sh" old new 7 old.pem new.pem
	touch stop
	wait "$writer"
	[[ $stderr == *"done: bucket 7 is at"* ]]
	[ "$(cat writer.status)" = 5 ]
	[ "$(commitment_of new)" = "$(commitment_of old)" ]
	[ "$(commitment_of old | awk '$1 == "leaf_count" {print $2}')" -gt 3 ]
	run -0 migrate-provider verify --offer migrate-7.work/offer --acceptance migrate-7.work/acceptance
	run -5 segment-add --store old --bucket 7 --key old.pem f2
	# Run again: everything is done already.
	run -0 "$SRC/examples/migrate-provider.sh" old new 7 old.pem new.pem
}

@test "the runbook through ssh (SSH_TARGET): the new side's commands run remotely, the records travel over it" {
	# An ssh stand-in: logs the target, then, as sshd does, starts in the
	# remote user's home (here remote/, a place of its own) and hands the
	# command string to the shell. NEW_STORE and NEW_KEY are remote paths.
	mkdir sshbin remote
	cp new.pem remote/
	cat >sshbin/ssh <<'SSH'
#!/bin/sh
echo "$1" >>"$SSH_LOG"
shift
cd "$SSH_HOME" || exit 255
exec sh -c "$*"
SSH
	chmod +x sshbin/ssh
	export SSH_LOG=$PWD/ssh.log SSH_HOME=$PWD/remote
	PATH="$PWD/sshbin:$PATH" SSH_TARGET=replica@example run -0 --separate-stderr \
		"$SRC/examples/migrate-provider.sh" old new 7 old.pem new.pem
	[[ $stderr == *"done: bucket 7 is at"* ]]
	[ ! -e new ]
	[ "$(commitment_of remote/new)" = "$(commitment_of old)" ]
	# The import, the replays, accept and the record copies went through
	# ssh; the acceptance came back.
	[ "$(sort -u ssh.log)" = replica@example ]
	[ "$(wc -l <ssh.log)" -ge 5 ]
	cmp migrate-7.work/acceptance remote/migrate-7.work/acceptance
	run -0 migrate-provider verify --offer migrate-7.work/offer --acceptance migrate-7.work/acceptance
	run -5 segment-add --store old --bucket 7 --key old.pem f2
}

@test "the runbook stops with the failing program's status and resumes after a kill" {
	# A failure: the new key is open to others; offer (reading its public
	# half) exits 7, and the runbook with it.
	chmod 644 new.pem
	run -7 --separate-stderr "$SRC/examples/migrate-provider.sh" old new 7 old.pem new.pem
	[[ $stderr == *"migrate-provider.sh: error: offer failed with exit status 7 (run again to resume)" ]]
	chmod 600 new.pem
	run -0 "$SRC/examples/migrate-provider.sh" old new 7 old.pem new.pem
	[ "$(commitment_of new)" = "$(commitment_of old)" ]
	# Killed at random moments of a fresh run, then run again: it completes.
	for t in 0.2 0.5 1 1.5; do
		rm -rf new2 mig2 old2
		cp -a old old2
		sqlite3 old2/buckets/7/meta.db "DELETE FROM setting WHERE key = 'migrate.handed_over'"
		WORK_DIR=mig2 timeout -s KILL "$t" "$SRC/examples/migrate-provider.sh" old2 new2 7 old.pem new.pem >/dev/null 2>&1 || true
		WORK_DIR=mig2 run -0 "$SRC/examples/migrate-provider.sh" old2 new2 7 old.pem new.pem
		[ "$(commitment_of new2)" = "$(commitment_of old2)" ]
	done
}

@test "accept --progress shows the scrub's bytes of the total on stderr; --quiet and a pipe show nothing" {
	offer_and_copy
	run -0 --separate-stderr accept --progress -o acc
	[[ $stderr == "migrate-provider: bucket 7: 878.9 KiB of 878.9 KiB (100%), "*"/s in "* ]]
	with=$(grep -v -e '^signature ' -e '^payload_signature ' -e '^record ' -e '^created ' -e '^digest ' <<<"$output")
	run -0 --separate-stderr accept --progress --quiet -o acc2
	[ -z "$stderr" ]
	[ "$(grep -v -e '^signature ' -e '^payload_signature ' -e '^record ' -e '^created ' -e '^digest ' <<<"$output")" = "$with" ]
	run -0 --separate-stderr bash -c 'migrate-provider accept --store new --offer offer --key new.pem --trust-root "$0" -o acc3 2>&1 >/dev/null | cat >&2' "$ROOT"
	[ -z "$stderr" ]
	run -2 --separate-stderr migrate-provider verify --offer offer --acceptance acc --progress
	[ "$stderr" = "migrate-provider: error: usage: verify takes no --progress (see migrate-provider --help)" ]
}

@test "--help and --version print to stdout and exit 0" {
	run -0 --separate-stderr migrate-provider --help
	assert_line --index 0 'usage: migrate-provider offer --store dir --bucket id --to pubkey --key pem'
	[ -z "$stderr" ]
	run -0 migrate-provider offer -h
	run -0 --separate-stderr migrate-provider --version
	assert_output --regexp '^migrate-provider \(w3sync\) [0-9]'
	run -0 migrate-provider -V
}

@test "--help, the man page SYNOPSIS and both completions list the same options" {
	help=$(migrate-provider --help)
	usage=$(sed -n '1,/^$/p' <<<"$help")
	optlist=$(sed -n '/^options:/,/^$/p' <<<"$help")
	man=$(mandoc -Tascii "$SRC/man/migrate-provider.1" | col -bx)
	synopsis=$(sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' <<<"$man")
	manopts=$(sed -n '/^OPTIONS/,/^RECORDS/p' <<<"$man" | grep -E '^     -')
	bash_fn=$(sed -n '/^_w3sync_migrate_provider()/,/^}/p' "$SRC/completions/bash/w3sync")
	zsh_fn=$(sed -n '/^_w3sync_migrate_provider()/,/^}/p' "$SRC/completions/zsh/_w3sync")

	want=$(long_opts <<<"$usage")
	echo "usage: $want"
	[ "$want" = "--acceptance --bucket --expires --help --json --key --offer --output --progress --quiet --store --to --trust-root --version --wait " ]
	[ "$(long_opts <<<"$optlist")" = "$want" ]
	[ "$(long_opts <<<"$synopsis")" = "$want" ]
	[ "$(long_opts <<<"$manopts")" = "$want" ]
	[ "$(long_opts <<<"$bash_fn")" = "$want" ]
	[ "$(long_opts <<<"$zsh_fn")" = "$want" ]

	short=$(short_opts <<<"$optlist")
	echo "short: $short"
	[ "$short" = "-O -V -a -b -e -h -j -k -o -p -q -r -s -t -w " ]
	[ "$(short_opts <<<"$manopts")" = "$short" ]
	[ "$(grep -oE -- "-[a-zA-Z] \| --|-[a-zA-Z] --[a-z]" <<<"$bash_fn" | grep -oE -- '^-[a-zA-Z]' | sort -u | tr '\n' ' ')" = "$short" ]
	[ "$(grep -oE -- "\{-[a-zA-Z]" <<<"$zsh_fn" | tr -d '{' | sort -u | tr '\n' ' ')" = "$short" ]
	# Each subcommand's usage lines and its completion list the same options.
	for sub in offer accept verify release; do
		u=$(awk -v s="migrate-provider $sub " 'index($0, s) { on = 1; print; next } /migrate-provider/ { on = 0 } on' <<<"$usage" | long_opts)
		c=$(sed -n "/^	$sub)/,/;;/p" <<<"$bash_fn" | long_opts)
		[ "$u" = "$c" ] || { echo "$sub: usage '$u', bash '$c'"; false; }
	done
	run -0 mandoc -Tlint -Wwarning "$SRC/man/migrate-provider.1"
	[ -z "$output" ]
}
