#!/usr/bin/env bash
# Ingest benchmark (DESIGN.md section 9: segment-add at 300 MB/s or more).
#
# Writes FILES random files of SIZE_MIB MiB (default 64 x 16 MiB = 1 GiB),
# then, RUNS times (default 3), in the same run and on the same disk:
#   cp + sync       copy the files into a fresh directory and sync
#   segment-add     add them to a fresh bucket as one commit (signed), and
#                   sync (segment-add already fsyncs what it commits)
# and prints the median MB/s (10^6 bytes per second) of each and the ratio.
# With EACH=1 it also times one segment-add per file (64 commits).
#
#   W3SYNC_BIN=/path/to/bin BENCH_DIR=/srv/scratch bench/ingest.sh
#
# BENCH_DIR must be on the disk under test; it is created if missing and
# the files it writes there are removed at the end.
set -euo pipefail

BIN=${W3SYNC_BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin}
FILES=${FILES:-64}
SIZE_MIB=${SIZE_MIB:-16}
RUNS=${RUNS:-3}
EACH=${EACH:-0}
created=0
if [ -z "${BENCH_DIR:-}" ]; then
	BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/w3s-ingest.XXXXXX")
	created=1
fi
mkdir -p "$BENCH_DIR"
work=$BENCH_DIR/w3s-ingest.$$
mkdir "$work"
cleanup() {
	rm -rf "$work"
	[ "$created" = 1 ] && rmdir "$BENCH_DIR" 2>/dev/null
	return 0
}
trap cleanup EXIT

[ -x "$BIN/segment-add" ] ||
	{ echo "ingest.sh: no $BIN/segment-add (set W3SYNC_BIN)" >&2; exit 2; }

now() { date +%s.%N; }
# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
mbps() { awk -v b="$1" -v t="$2" 'BEGIN {printf "%.0f", b / t / 1e6}'; }

bytes=$((FILES * SIZE_MIB * 1048576))
mkdir "$work/in"
for i in $(seq -w 1 "$FILES"); do
	head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$work/in/f$i"
done
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
chmod 600 "$work/key.pem"
sync

echo "ingest: $FILES files x $SIZE_MIB MiB = $((bytes / 1048576)) MiB in $BENCH_DIR, $RUNS runs"
cp_t=() add_t=() each_t=()
for r in $(seq 1 "$RUNS"); do
	rm -rf "$work/cp" "$work/store"
	mkdir "$work/cp"
	sync
	t0=$(now)
	cp "$work"/in/f* "$work/cp/"
	sync
	t1=$(now)
	cp_t+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
	rm -rf "$work/cp"
	sync

	t0=$(now)
	"$BIN/segment-add" --store "$work/store" --bucket 1 --create \
		--key "$work/key.pem" "$work"/in/f* >"$work/out"
	sync
	t1=$(now)
	add_t+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
	grep -q "^leaf_count $FILES\$" "$work/out" ||
		{ echo "ingest.sh: unexpected output:" >&2; cat "$work/out" >&2; exit 1; }

	if [ "$EACH" = 1 ]; then
		rm -rf "$work/store"
		sync
		t0=$(now)
		for f in "$work"/in/f*; do
			"$BIN/segment-add" --store "$work/store" --bucket 1 \
				--create --key "$work/key.pem" "$f" >/dev/null
		done
		sync
		t1=$(now)
		each_t+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
	fi
	printf 'run %d: cp+sync %s MB/s, segment-add %s MB/s\n' "$r" \
		"$(mbps "$bytes" "${cp_t[-1]}")" "$(mbps "$bytes" "${add_t[-1]}")"
done

cp_m=$(median "${cp_t[@]}")
add_m=$(median "${add_t[@]}")
printf 'median cp+sync:     %6s MB/s  (%.2f s)\n' "$(mbps "$bytes" "$cp_m")" "$cp_m"
printf 'median segment-add: %6s MB/s  (%.2f s)\n' "$(mbps "$bytes" "$add_m")" "$add_m"
if [ "$EACH" = 1 ]; then
	each_m=$(median "${each_t[@]}")
	printf 'median segment-add, one per file: %s MB/s  (%.2f s)\n' \
		"$(mbps "$bytes" "$each_m")" "$each_m"
fi
awk -v a="$add_m" -v c="$cp_m" 'BEGIN {printf "segment-add / cp+sync: %.2f (target: 300 MB/s or more)\n", c / a}'
# Result lines (bench/README.md). Speeds in MB/s; ratio = segment-add / cp.
add_mb=$(mbps "$bytes" "$add_m")
met=no
[ "$add_mb" -ge 300 ] && met=yes
echo "RESULT name=ingest.speed value=$add_mb unit=MB/s peer=cp+sync peer_value=$(mbps "$bytes" "$cp_m") ratio=$(awk -v a="$add_m" -v c="$cp_m" 'BEGIN {printf "%.2f", c / a}') met=$met target=segment-add ingest at 300 MB/s or more"
if [ "$EACH" = 1 ]; then
	echo "RESULT name=ingest.speed.each value=$(mbps "$bytes" "$each_m") unit=MB/s peer=cp+sync peer_value=$(mbps "$bytes" "$cp_m") ratio=$(awk -v a="$each_m" -v c="$cp_m" 'BEGIN {printf "%.2f", c / a}') met=- target=(for information: one segment-add per file)"
fi
