#!/usr/bin/env bash
# One full pipeline under valgrind memcheck (`make valgrind`; not part of
# make check): segment-add -> snapshot-export | snapshot-import ->
# cid-verify scrub -> delta-replay (one delta damaged, then all), each
# program run under
#   valgrind --error-exitcode=99 --leak-check=full
# so any invalid access, use of uninitialised memory or leak fails the
# run with status 99. A program that does not exist yet is reported and
# its steps skipped (exit 77 when nothing after segment-add could run).
#
#   W3SYNC_BIN=bin tests/valgrind.sh
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
bin=${W3SYNC_BIN:-$src/bin}
work=$(mktemp -d "${TMPDIR:-/tmp}/w3sync-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
unset W3SYNC_STORE W3SYNC_KEY

vg() {
	local prog=$1 log
	shift
	log="$work/vg-$prog-$RANDOM.log"
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--log-file="$log" "$bin/$prog" "$@" || {
		local rc=$?
		echo "valgrind: $prog exited $rc" >&2
		cat "$log" >&2
		return "$rc"
	}
	if [ -s "$log" ]; then
		cat "$log" >&2
	fi
}
have() {
	[ -x "$bin/$1" ] || { echo "valgrind: $1 not built yet: skipped" >&2; return 1; }
}
step() {
	printf '== %s\n' "$*"
}

openssl genpkey -algorithm ed25519 -out k.pem 2>/dev/null
chmod 600 k.pem
openssl pkey -in k.pem -pubout -out k.pub 2>/dev/null
mkdir data
for i in 1 2 3 4 5 6; do
	head -c $((i * 70000)) /dev/urandom >"data/$i"
done
: >data/empty

step "segment-add: 7 segments into a new bucket"
vg segment-add --store primary --bucket 1 --create --key k.pem data/* >/dev/null
step "segment-drop: delete_before 2, then one more segment-add (signed)"
if have segment-drop; then
	vg segment-drop --store primary --bucket 1 --before 2 \
		--admin-key k.pem >/dev/null
fi
head -c 1000 /dev/urandom >late
vg segment-add --store primary --bucket 1 --key k.pem late >/dev/null

if ! have snapshot-export || ! have snapshot-import; then
	echo "valgrind: the pipeline needs snapshot-export and snapshot-import" >&2
	exit 77
fi
step "snapshot-export | snapshot-import"
vg snapshot-export --store primary --bucket 1 |
	vg snapshot-import --store replica --create --trust-key k.pub >/dev/null
root=$(vg snapshot-export --store primary --bucket 1 --dry-run --json |
	jq -r .mmr_root)

step "cid-verify: scrub of the replica against the primary's root"
if have cid-verify; then
	vg cid-verify --store replica --bucket 1 --trust-root "$root" >/dev/null
fi
step "delta-replay: three split deltas into the replica, the second damaged (exit 1), then whole"
if have delta-replay; then
	since=$(vg snapshot-export --store primary --bucket 1 --dry-run --json |
		jq -r '.start_seq + .leaf_count')
	for i in 1 2 3; do
		head -c 5000 /dev/urandom >"d$i"
		vg segment-add --store primary --bucket 1 --key k.pem "d$i" >/dev/null
	done
	mkdir deltas damaged
	vg snapshot-export --store primary --bucket 1 --since "$since" --split \
		-o deltas/ >/dev/null
	cp deltas/* damaged/
	names=(deltas/*)
	second=damaged/$(basename "${names[1]}")
	# One byte of d2's chunk changed: the manifest still plans it, the
	# import refuses it, after the first delta of the same batch.
	zstd -dcq "$second" | python3 -c '
import sys
tar = bytearray(sys.stdin.buffer.read())
tar[tar.index(open("d2", "rb").read(64)) + 10] ^= 1
sys.stdout.buffer.write(tar)' | zstd -qf -o damaged.tmp
	mv damaged.tmp "$second"
	rc=0
	vg delta-replay --store replica --quiet damaged >/dev/null \
		2>replay.err || rc=$?
	if [ "$rc" != 1 ]; then
		cat replay.err >&2
		echo "valgrind: delta-replay of a damaged delta exited $rc, not 1" >&2
		exit 1
	fi
	vg delta-replay --store replica --quiet deltas >/dev/null
	want=$(vg snapshot-export --store primary --bucket 1 --dry-run --json |
		jq -r .mmr_root)
	got=$(vg snapshot-export --store replica --bucket 1 --dry-run --json |
		jq -r .mmr_root)
	if [ "$got" != "$want" ]; then
		echo "valgrind: the replica is at $got, not the primary's $want" >&2
		exit 1
	fi
fi
echo "valgrind: clean"
