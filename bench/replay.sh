#!/usr/bin/env bash
# Replay benchmark (DESIGN.md section 9: delta-replay of metadata-only
# deltas at 50,000 segments/s or more).
#
#   bench/replay.sh
#   W3SYNC_BIN=/path/to/bin SEGMENTS=100000 COMMITS=1000 bench/replay.sh
#
# A metadata-only delta is one whose segments carry next to no data, so the
# replay's cost is all per segment: the leaf, the MMR update, the index
# rows and the verification of the delta's commitment. The script builds
# one like issue 5 says: a primary bucket with one segment, exported in
# full and imported into a replica; then COMMITS (default 1,000) commits of
# SEGMENTS / COMMITS one-byte segments each (default 100 per commit,
# 100,000 in all) with segment-add; snapshot-export --since the replica's
# commitment --split writes one delta archive per commit. Then RUNS times
# (default 3), on a fresh copy of the replica each time:
#   delta-replay --store REPLICA --trust-key KEY DIR
# and it prints the median segments per second and the peak memory (KiB,
# /usr/bin/time -f %M, largest of the runs), and checks that the replica
# reaches the primary's commitment. There is no peer tool for this.
#
# Scratch data goes to a fresh directory under BENCH_DIR (default $TMPDIR
# or /tmp), removed at the end. Every figure is also printed as a RESULT
# line (format in bench/README.md).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BIN=${W3SYNC_BIN:-$here/bin}
SEGMENTS=${SEGMENTS:-100000}
COMMITS=${COMMITS:-1000}
RUNS=${RUNS:-3}
me=bench/replay.sh
say() { echo "$me: $*" >&2; }
target="delta-replay of metadata-only deltas: 50,000 segments/s or more"

for p in segment-add snapshot-export snapshot-import delta-replay; do
	if ! [ -x "$BIN/$p" ]; then
		echo "SKIP name=replay.speed reason=no $BIN/$p (not built yet)"
		echo "SKIP name=replay.mem reason=no $BIN/$p (not built yet)"
		exit 0
	fi
done
for tool in awk split /usr/bin/time openssl; do
	command -v "$tool" >/dev/null || { say "$tool is needed"; exit 2; }
done
per=$((SEGMENTS / COMMITS))
[ "$per" -ge 1 ] || { say "SEGMENTS must be at least COMMITS"; exit 2; }
segments=$((per * COMMITS))

mkdir -p "${BENCH_DIR:-${TMPDIR:-/tmp}}"
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/w3s-replay.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }
# The commitment of bucket 1 in STORE, as snapshot-export --dry-run says.
commitment() {
	"$BIN/snapshot-export" --store "$1" --bucket 1 --dry-run |
		grep -E '^(mmr_root|start_seq|leaf_count)\b'
}
same_commitment() {
	local a b
	a=$(commitment "$1") && b=$(commitment "$2") && [ -n "$a" ] && [ "$a" = "$b" ]
}

openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
chmod 600 "$work/key.pem"
primary=$work/primary
head -c 1 /dev/urandom >"$work/first"
"$BIN/segment-add" --store "$primary" --bucket 1 --create \
	--key "$work/key.pem" "$work/first" >"$work/add.out"
pub=$work/pub.pem
openssl pkey -in "$work/key.pem" -pubout -out "$pub"
since=$(awk '$1 == "start_seq" {s = $2} $1 == "leaf_count" {l = $2} END {print s + l}' "$work/add.out")
"$BIN/snapshot-export" --store "$primary" --bucket 1 --quiet |
	"$BIN/snapshot-import" --store "$work/replica0" --create \
		--trust-key "$pub" --quiet - >/dev/null

say "$COMMITS commits of $per one-byte segments ($segments segments)"
t0=$(now)
for ((c = 0; c < COMMITS; c++)); do
	rm -rf "$work/seg"
	mkdir "$work/seg"
	head -c "$per" /dev/urandom | split -b 1 -a 4 - "$work/seg/s"
	"$BIN/segment-add" --store "$primary" --bucket 1 \
		--key "$work/key.pem" "$work"/seg/s* >/dev/null
done
rm -rf "$work/seg"
say "segment-add took $(sub "$t0" "$(now)") s"
mkdir "$work/deltas"
"$BIN/snapshot-export" --store "$primary" --bucket 1 --since "$since" \
	--split -o "$work/deltas/" --quiet >/dev/null
n=$(find "$work/deltas" -type f | wc -l)
say "$n delta archives, $(du -sk "$work/deltas" | cut -f1) KiB"
[ "$n" = "$COMMITS" ] || { say "expected $COMMITS delta archives, got $n"; exit 1; }

times=() mems=()
for r in $(seq 1 "$RUNS"); do
	rm -rf "$work/replica"
	cp -a "$work/replica0" "$work/replica"
	sync
	t0=$(now)
	/usr/bin/time -f %M -o "$work/mem" \
		"$BIN/delta-replay" --store "$work/replica" --trust-key "$pub" \
		--quiet "$work/deltas" >/dev/null
	t1=$(now)
	if [ "$r" = 1 ] && ! same_commitment "$work/replica" "$primary"; then
		say "the replica does not reach the primary's commitment"
		exit 1
	fi
	times+=("$(sub "$t0" "$t1")")
	mems+=("$(cat "$work/mem")")
	echo "run $r: ${times[-1]} s, $(awk -v s="$segments" -v t="${times[-1]}" 'BEGIN {printf "%.0f", s / t}') segments/s, peak ${mems[-1]} KiB"
done
t=$(median "${times[@]}")
sps=$(awk -v s="$segments" -v t="$t" 'BEGIN {printf "%.0f", s / t}')
mem=$(maxof "${mems[@]}")
met=no
[ "$sps" -ge 50000 ] && met=yes
echo "median of $RUNS: $segments segments in $COMMITS deltas replayed in $t s: $sps segments/s (target: 50,000 or more); peak memory $mem KiB"
echo "RESULT name=replay.speed value=$sps unit=segments/s peer=- peer_value=- ratio=- seconds=$t met=$met target=$target"
echo "RESULT name=replay.mem value=$mem unit=KiB peer=- peer_value=- ratio=- met=- target=(for information: peak memory of delta-replay)"
