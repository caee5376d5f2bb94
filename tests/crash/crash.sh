#!/usr/bin/env bash
# Crash injection (issue 9): run the store's writers, kill them with
# SIGKILL at random moments and run them out of disk space, and after each
# check that
#   - the store opens and passes its scrub (the Python reference and the
#     C self-check recompute every chunk hash, data root and MMR root),
#   - the bucket is at the old commitment or the new one, never between,
#   - running the same command again ends at the commitment of an
#     uninterrupted run.
#
#   crash.sh [-k KILLS] [-s SEED] [SCENARIO...]
#
# KILLS (default 200) is the total over the scenarios, shared out evenly.
# Output is TAP, one test per kill and per out-of-space run. Needs
# W3SYNC_BIN (the programs) and the C self-check, tests/test_store, next
# to it ($W3SYNC_BIN/../tests/test_store) or at $W3SYNC_TEST_STORE.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
: "${W3SYNC_BIN:=$src/bin}"
PATH="$W3SYNC_BIN:$PATH"
export PATH
unset W3SYNC_STORE W3SYNC_KEY
checker=${W3SYNC_TEST_STORE:-$W3SYNC_BIN/../tests/test_store}
ref="$src/tests/cli/w3s_ref.py"

kills=200
seed=$$
while getopts k:s: opt; do
	case $opt in
	k) kills=$OPTARG ;;
	s) seed=$OPTARG ;;
	*) echo "usage: crash.sh [-k kills] [-s seed] [scenario...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
all_scenarios=(segment-add segment-drop snapshot-import delta-replay migrate-accept)
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=("${all_scenarios[@]}")
RANDOM=$seed

work=$(mktemp -d "${TMPDIR:-/tmp}/w3sync-crash.XXXXXX")
trap 'rm -rf "$work"' EXIT
tests=0
failed=0

tap() {	# tap OK|FAIL description
	tests=$((tests + 1))
	if [ "$1" = OK ]; then
		echo "ok $tests - $2"
	else
		failed=$((failed + 1))
		echo "not ok $tests - $2"
	fi
}

commitment() {	# commitment STORE BUCKET: three lines, or "none"
	python3 "$ref" commitment "$1" "$2" 2>/dev/null | tr '\n' ' ' || true
}

# The store opens and passes both scrubs; prints why not.
store_ok() {
	local out
	if ! out=$(python3 "$ref" check "$1" "$2" 2>&1); then
		echo "reference check: $out"
		return 1
	fi
	if ! out=$("$checker" check "$1" "$2" --payloads 2>&1); then
		echo "self-check: $(grep -m1 -v '^ok' <<<"$out")"
		return 1
	fi
}

# A random pause of up to $1 milliseconds: uniform, or with "early"
# skewed to the start (the cube of a uniform fraction), where a command
# that commits early and then cleans up has its window.
pause() {
	local r=$(((RANDOM * 32768 + RANDOM) % 1000)) ms
	if [ "${2:-}" = early ]; then
		ms=$(($1 * r * r * r / 1000000000))
	else
		ms=$(($1 * r / 999))
	fi
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}

# Milliseconds since the epoch.
now_ms() {
	date +%s%3N
}

key() {
	openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null
	chmod 600 "$1"
}

# ---- scenarios --------------------------------------------------------
# Each scenario_X_setup prepares $work/X/ (inputs and base/, the store
# before the command) and sets CMD (run in $work/X with the store at s/),
# BUCKET, RERUN (1 when running the command on a store it already changed
# is a no-op, as for importers; 0 when it would apply twice, as for
# segment-add) and OUT (a file the command must leave whole or not at all).
# STEPS lists the commitments between the old and the new one that the
# command may stop at: delta-replay applies each delta atomically and
# makes batches of them durable together, so each delta's target is a
# state it may be left at (the last of a batch, for a kill), and nothing
# else is.
STEPS=()
SAME=0

scenario_segment_add_setup() {
	key k.pem
	head -c 300000 /dev/urandom >a
	head -c 24000000 /dev/urandom >b
	head -c 5000000 /dev/urandom >c
	segment-add --store base --bucket 1 --create --key k.pem a >/dev/null
	CMD=(segment-add --store s --bucket 1 --key k.pem b c)
	BUCKET=1 RERUN=0 OUT=
}

scenario_segment_drop_setup() {
	local i
	key k.pem
	for i in $(seq 1 40); do
		head -c $((i * 60000)) /dev/urandom >"f$i"
	done
	segment-add --store base --bucket 1 --create --key k.pem f* >/dev/null
	CMD=(segment-drop --store s --bucket 1 --before 30 --admin-key k.pem)
	BUCKET=1 RERUN=0 OUT=
}

scenario_snapshot_import_setup() {
	key k.pem
	openssl pkey -in k.pem -pubout -out k.pub 2>/dev/null
	for i in $(seq 1 12); do
		head -c $((i * 700000)) /dev/urandom >"f$i"
	done
	segment-add --store primary --bucket 1 --create --key k.pem f* >/dev/null
	snapshot-export --store primary --bucket 1 -o full.tar.zst
	# The replica's store holds another bucket; bucket 1 is new to it.
	segment-add --store base --bucket 2 --create --key k.pem f1 >/dev/null
	CMD=(snapshot-import --store s --create --trust-key k.pub full.tar.zst)
	BUCKET=1 RERUN=1 OUT=
}

scenario_delta_replay_setup() {
	local i seq
	key k.pem
	openssl pkey -in k.pem -pubout -out k.pub 2>/dev/null
	for i in $(seq 1 8); do
		head -c $((i * 300000)) /dev/urandom >"f$i"
	done
	segment-add --store primary --bucket 1 --create --key k.pem f1 >/dev/null
	snapshot-export --store primary --bucket 1 -o full.tar.zst
	snapshot-import --store base --create --trust-key k.pub full.tar.zst \
		>/dev/null
	seq=$(snapshot-export --store primary --bucket 1 --dry-run --json |
		jq -r '.start_seq + .leaf_count')
	for i in $(seq 2 8); do
		segment-add --store primary --bucket 1 --key k.pem "f$i" >/dev/null
		STEPS+=("$(commitment primary 1)")
	done
	mkdir spool
	snapshot-export --store primary --bucket 1 --since "$seq" --split -o spool/
	# Batches of 3 of the 7 deltas: a kill may leave the bucket at the
	# third or the sixth delta's target.
	CMD=(delta-replay --store s --bucket 1 --batch 3 spool)
	BUCKET=1 RERUN=1 OUT=
}

scenario_migrate_accept_setup() {
	key old.pem
	key new.pem
	openssl pkey -in new.pem -pubout -out new.pub 2>/dev/null
	for i in $(seq 1 10); do
		head -c $((i * 3000000)) /dev/urandom >"f$i"
	done
	segment-add --store base --bucket 1 --create --key old.pem f* >/dev/null
	migrate-provider offer --store base --bucket 1 --to new.pub \
		--key old.pem -o offer.cbor >/dev/null
	# The new provider's store holds a full copy (as after an import).
	CMD=(migrate-provider accept --store s --offer offer.cbor --key new.pem
		--trust-root "$(commitment base 1 | cut -d' ' -f2)"
		-o acceptance.cbor)
	# Accepting changes no commitment; what it must leave whole or not at
	# all is the acceptance, and a rerun writes it when it is missing.
	BUCKET=1 RERUN=0 OUT=acceptance.cbor SAME=1
}

# The same output file of a run and of its rerun must be complete; an
# acceptance is checked with `migrate-provider verify`.
out_ok() {
	[ -z "$OUT" ] && return 0
	[ -e "$OUT" ] || return 0
	migrate-provider verify --offer offer.cbor --acceptance "$OUT" >/dev/null 2>&1
}

# ---- the harness ------------------------------------------------------

# Whether commitment $1 is a state the bucket may be in: the old one (for
# a bucket the command creates, also the empty bucket that holds chunks
# kept for a resume), the new one, or one of STEPS.
state_name() {
	if [ "$1" = "$want" ]; then echo new
	elif [ "$1" = "$old" ] || [ "$1" = "$empty" ]; then echo old
	else echo intermediate
	fi
}

is_state() {
	local c
	for c in "$old" "$want" "${STEPS[@]}"; do
		[ "$1" = "$c" ] && return 0
	done
	[ -z "$old" ] && [ "$1" = "$empty" ]
}
empty="mmr_root 0x$(printf '0%.0s' {1..64}) start_seq 0 leaf_count 0 "

run_scenario() {
	local name=$1 n=$2 dir="$work/$1" fn=${1//-/_}
	local old want ms t0 i now why rc limit

	mkdir -p "$dir" && cd "$dir" || return
	STEPS=() SAME=0
	if ! "scenario_${fn}_setup" >setup.log 2>&1; then
		tap FAIL "$name: set-up failed: $(tail -n 1 setup.log)"
		return
	fi
	old=$(commitment base "$BUCKET")

	# The uninterrupted run: its final commitment and its duration.
	rm -rf s "$OUT" && cp -a base s
	t0=$(now_ms)
	"${CMD[@]}" >/dev/null 2>run.err
	rc=$?
	ms=$(($(now_ms) - t0))
	want=$(commitment s "$BUCKET")
	if [ "$rc" -ne 0 ] || { [ "$want" = "$old" ] && [ "$SAME" = 0 ]; }; then
		tap FAIL "$name: uninterrupted run exited $rc: $(tail -n 1 run.err)"
		return
	fi
	echo "# $name: uninterrupted run ${ms} ms; $n kills"
	local at_old=0 at_mid=0 at_new=0

	for i in $(seq 1 "$n"); do
		rm -rf s "$OUT" && cp -a base s
		"${CMD[@]}" >/dev/null 2>&1 &
		# Every other kill comes early.
		pause $((ms + ms / 5)) "$([ $((i % 2)) = 0 ] && echo early)"
		kill -9 $! 2>/dev/null
		wait $! 2>/dev/null
		now=$(commitment s "$BUCKET")
		had=absent
		[ -n "$OUT" ] && [ -e "$OUT" ] && had=whole
		why=
		if ! is_state "$now"; then
			why="between commitments: $now"
		elif [ -n "$now" ] && ! why=$(store_ok s "$BUCKET"); then
			:
		elif ! out_ok; then
			why="$OUT left incomplete"
		elif [ "$now" != "$want" ] || [ "$RERUN" = 1 ] ||
			{ [ -n "$OUT" ] && [ ! -e "$OUT" ]; }; then
			if ! "${CMD[@]}" >/dev/null 2>run.err; then
				why="rerun failed: $(tail -n 1 run.err)"
			elif [ "$(commitment s "$BUCKET")" != "$want" ]; then
				why="rerun ended elsewhere"
			elif ! why=$(store_ok s "$BUCKET"); then
				why="after rerun: $why"
			elif ! out_ok || { [ -n "$OUT" ] && [ ! -e "$OUT" ]; }; then
				why="rerun left no whole $OUT"
			fi
		fi
		case $(state_name "$now") in
		old) at_old=$((at_old + 1)) ;;
		new) at_new=$((at_new + 1)) ;;
		*) at_mid=$((at_mid + 1)) ;;
		esac
		if [ -z "$why" ]; then
			if [ "$SAME" = 1 ]; then
				tap OK "$name: kill $i: $OUT $had after the kill, whole after the rerun"
			else
				tap OK "$name: kill $i at the $(state_name "$now") commitment"
			fi
		else
			tap FAIL "$name: kill $i: $why"
		fi
	done

	if [ "$SAME" = 1 ]; then
		echo "# $name: $n kills"
	else
		echo "# $name: $n kills: $at_old at the old commitment, $at_mid at a delta's own, $at_new at the new"
	fi

	# Out of space: a file size limit (SIGXFSZ ignored, so write(2) fails
	# with EFBIG) at a few sizes. Exit 7, the old commitment, a clean
	# store, and a rerun with room ends at the uninterrupted result.
	for limit in 64 1024 8192; do
		rm -rf s "$OUT" && cp -a base s
		bash -c 'trap "" XFSZ; ulimit -f "$1"; shift; exec "$@"' _ \
			"$limit" "${CMD[@]}" >/dev/null 2>run.err
		rc=$?
		now=$(commitment s "$BUCKET")
		why=
		if [ "$rc" -ne 7 ] && ! { [ "$rc" -eq 0 ] && [ "$now" = "$want" ]; }; then
			why="exit $rc, not 7: $(tail -n 1 run.err)"
		elif [ "$rc" -eq 7 ] && { [ "$now" = "$want" ] || ! is_state "$now"; }; then
			why="exit 7 but the commitment moved to $now"
		elif [ -n "$now" ] && ! why=$(store_ok s "$BUCKET"); then
			:
		elif ! "${CMD[@]}" >/dev/null 2>run.err && [ "$RERUN$rc" != 00 ]; then
			why="rerun with room failed: $(tail -n 1 run.err)"
		elif [ "$rc" -eq 7 ] && [ "$(commitment s "$BUCKET")" != "$want" ]; then
			why="rerun with room ended elsewhere"
		fi
		if [ -z "$why" ]; then
			tap OK "$name: file size limit $limit KiB: exit $rc, store intact"
		else
			tap FAIL "$name: file size limit $limit KiB: $why"
		fi
	done
	cd "$work" && rm -rf "$dir"
}

echo "# seed $seed"
per=$(((kills + ${#scenarios[@]} - 1) / ${#scenarios[@]}))
for sc in "${scenarios[@]}"; do
	run_scenario "$sc" "$per"
done
echo "1..$tests"
[ "$failed" -eq 0 ]
