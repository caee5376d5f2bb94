#!/usr/bin/env bash
# Sync benchmark (DESIGN.md section 9): a snapshot of a bucket carried from
# one store to an empty one, verifying everything on the way, side by side
# with other ways of moving the same files, in one run.
#
#   bench/sync.sh
#   W3SYNC_BIN=/path/to/bin BENCH_TOOLS=/path/to/cache bench/sync.sh
#   BENCH_BIG=1 bench/sync.sh          also the 8 GiB memory check
#
# Writes FILES random files of SIZE_MIB MiB (default 64 x 16 MiB = 1 GiB),
# adds them with segment-add to bucket 1 of a primary store (one signed
# commit), then RUNS times (default 3), alternating the pipelines so that
# a noisy neighbour hits them alike:
#   w3sync    snapshot-export | snapshot-import into an empty store, with
#             --trust-key of the primary's key (chunks, data roots, MMR
#             root and signature all checked)
#   tar+zstd  tar -c | zstd -1 | zstd -d | tar -x       (verifies nothing)
#   ipfs-car  ipfs-car pack, then ipfs-car unpack        (verifies blocks)
#   casync    casync make, then casync extract           (verifies chunks)
# Every timed pipeline ends with sync(1), so that each one has its output
# on disk (snapshot-import fsyncs what it commits; tar does not). The
# script prints the median wall time of each, the ratios w3sync/peer and
# the peak memory (KiB, /usr/bin/time -f %M, the largest of the runs) of
# each side of the w3sync pipe.
#
# Then, once each, outside the timed runs:
#   resume    the stream cut at 90%, imported (exit 3 and a resume token),
#             then snapshot-export --resume TOKEN: the share of the stream's
#             bytes sent again (target: at most 11%)
#   delta     DELTA_K (default 100) new 4 KiB segments exported with --since
#             from the 1 GiB bucket and from a one-segment bucket: bytes of
#             each delta, and the wall time and memory of export | import
#             of each (targets: their bytes plus O(k) metadata; time and
#             memory grow with the data moved, not with the bucket)
#   big       only with BENCH_BIG=1: the bucket grown to BIG_GIB GiB
#             (default 8) with more random files, exported and imported
#             once more: peak memory of each side (target: under 64 MiB and
#             unchanged from 1 GiB, i.e. within 10% + 1 MiB)
#
# Peers: ipfs-car is the npm package, installed at the pinned version
# IPFS_CAR_VERSION into BENCH_TOOLS (default build/bench-tools of this tree)
# with npm when missing; casync is the Debian package, installed with
# apt-get when running as root, otherwise the script prints the command and
# skips that peer. A peer or a part that cannot run is reported on a SKIP
# line with the reason. Besides the human-readable lines, every figure is
# printed as a RESULT line (format in bench/README.md).
#
# Scratch data goes to a fresh directory under BENCH_DIR (default
# $TMPDIR or /tmp), removed at the end; the default run needs about
# 6 GiB free there, BENCH_BIG=1 about 3 x BIG_GIB GiB.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BIN=${W3SYNC_BIN:-$here/bin}
TOOLS=${BENCH_TOOLS:-$here/build/bench-tools}
FILES=${FILES:-64}
SIZE_MIB=${SIZE_MIB:-16}
RUNS=${RUNS:-3}
BIG=${BENCH_BIG:-0}
BIG_GIB=${BIG_GIB:-8}
DELTA_K=${DELTA_K:-100}
IPFS_CAR_VERSION=${IPFS_CAR_VERSION:-3.1.0}
# Which pipelines to time (a subset is handy while trying the script).
PIPES=${PIPES:-w3sync tar ipfs-car casync}

me=bench/sync.sh
say() { echo "$me: $*" >&2; }
skip() { # skip NAME REASON...
	local n=$1
	shift
	echo "SKIP name=$n reason=$*"
}

for tool in tar zstd awk /usr/bin/time openssl; do
	command -v "$tool" >/dev/null || { say "$tool is needed"; exit 2; }
done
[ -x "$BIN/segment-add" ] || { say "no $BIN/segment-add (set W3SYNC_BIN)"; exit 2; }

mkdir -p "${BENCH_DIR:-${TMPDIR:-/tmp}}"
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/w3s-sync.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
mbps() { awk -v b="$1" -v t="$2" 'BEGIN {printf "%.0f", b / t / 1e6}'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b)}'; }
yesno() { if "$@"; then echo yes; else echo no; fi; }
want() { case " $PIPES " in *" $1 "*) return 0 ;; esac; return 1; }

# --- peers -------------------------------------------------------------
ipfs_car=$TOOLS/node_modules/.bin/ipfs-car
have_car=0
if want ipfs-car; then
	if [ -x "$ipfs_car" ] && [ "$("$ipfs_car" --version 2>/dev/null)" = "ipfs-car, $IPFS_CAR_VERSION" ]; then
		have_car=1
	elif command -v npm >/dev/null; then
		say "installing ipfs-car@$IPFS_CAR_VERSION into $TOOLS"
		if npm install --prefix "$TOOLS" --no-audit --no-fund \
			"ipfs-car@$IPFS_CAR_VERSION" >"$work/npm.log" 2>&1; then
			have_car=1
		else
			cat "$work/npm.log" >&2
		fi
	fi
	[ "$have_car" = 1 ] ||
		skip sync.wall.ipfs-car "ipfs-car $IPFS_CAR_VERSION not installed and npm failed or missing (npm install --prefix $TOOLS ipfs-car@$IPFS_CAR_VERSION)"
fi
have_casync=0
if want casync; then
	if command -v casync >/dev/null; then
		have_casync=1
	elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "installing casync with apt-get"
		if DEBIAN_FRONTEND=noninteractive apt-get install -y casync >"$work/apt.log" 2>&1; then
			have_casync=1
		else
			cat "$work/apt.log" >&2
		fi
	fi
	[ "$have_casync" = 1 ] ||
		skip sync.wall.casync "casync not installed and not root (run as root: apt-get install casync)"
fi
have_w3s=0
if want w3sync; then
	if [ -x "$BIN/snapshot-export" ] && [ -x "$BIN/snapshot-import" ]; then
		have_w3s=1
	else
		skip sync.wall "no $BIN/snapshot-export or snapshot-import (not built yet)"
	fi
fi

# --- data --------------------------------------------------------------
bytes=$((FILES * SIZE_MIB * 1048576))
src=$work/src
mkdir "$src"
say "$FILES files x $SIZE_MIB MiB = $((bytes / 1048576)) MiB of random data in $work"
for i in $(seq -w 1 "$FILES"); do
	head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$src/f$i"
done
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
chmod 600 "$work/key.pem"
primary=$work/primary
"$BIN/segment-add" --store "$primary" --bucket 1 --create \
	--key "$work/key.pem" "$src"/f* >"$work/add.out"
# The primary's public key, as a PEM file, for --trust-key.
pub=$work/pub.pem
openssl pkey -in "$work/key.pem" -pubout -out "$pub"
sync

# Same files, same names, same bytes.
same_tree() { # same_tree DIR: DIR holds exactly the source files
	local d=$1
	[ "$(cd "$d" && find . -type f | sort)" = "$(cd "$src" && find . -type f | sort)" ] &&
		(cd "$src" && for f in f*; do cmp -s "$f" "$d/$f" || exit 1; done)
}
# The commitment of bucket ID in STORE, as snapshot-export --dry-run says
# (lines "mmr_root 0x...", "start_seq N", "leaf_count N"); fails when
# there is none.
commitment() { # commitment STORE [ID]
	"$BIN/snapshot-export" --store "$1" --bucket "${2:-1}" --dry-run |
		grep -E '^(mmr_root|start_seq|leaf_count)\b'
}
same_commitment() { # same_commitment STORE1 STORE2 [ID]
	local a b
	a=$(commitment "$1" "${3:-1}") && b=$(commitment "$2" "${3:-1}") &&
		[ -n "$a" ] && [ "$a" = "$b" ]
}

# --- pipelines (each leaves its output in $dst) ---------------------------
dst=$work/dst
run_w3sync() {
	/usr/bin/time -f %M -o "$work/mem.exp" \
		"$BIN/snapshot-export" --store "$primary" --bucket 1 --quiet |
		/usr/bin/time -f %M -o "$work/mem.imp" \
			"$BIN/snapshot-import" --store "$dst" --create \
			--trust-key "$pub" --quiet - >/dev/null
}
run_tar() {
	mkdir "$dst"
	tar -C "$src" -cf - . | zstd -1 -q -c | zstd -d -q -c | tar -C "$dst" -xf -
}
run_ipfs_car() {
	"$ipfs_car" pack "$src" --output "$work/x.car" >/dev/null 2>&1 &&
		"$ipfs_car" unpack "$work/x.car" --output "$dst" >/dev/null
}
run_casync() {
	casync make --store="$work/castr" "$work/x.caidx" "$src" >/dev/null &&
		casync extract --store="$work/castr" "$work/x.caidx" "$dst"
}
check_w3sync() { same_commitment "$dst" "$primary"; }
check_tar() { same_tree "$dst"; }
check_ipfs_car() { same_tree "$dst"; }
check_casync() { same_tree "$dst"; }

pipes=()
[ "$have_w3s" = 1 ] && pipes+=(w3sync)
want tar && pipes+=(tar)
[ "$have_car" = 1 ] && pipes+=(ipfs-car)
[ "$have_casync" = 1 ] && pipes+=(casync)
# CPU seconds (user + sys) of every process a pipeline ran: the difference
# of the shell's children times before and after (bash's times builtin,
# run in this shell, not in a command substitution).
cpu_diff() { # cpu_diff FILE0 FILE1
	awk 'function sec(x, m) { m = x; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", x); sub(/s$/, "", x); return m * 60 + x }
	FNR == 2 { c[++n] = sec($1) + sec($2) } END { printf "%.2f", c[2] - c[1] }' "$1" "$2"
}
declare -A times=() cpus=()
mem_exp=() mem_imp=()
for r in $(seq 1 "$RUNS"); do
	line="run $r:"
	for p in "${pipes[@]}"; do
		rm -rf "$dst" "$work/x.car" "$work/x.caidx" "$work/castr"
		sync
		times >"$work/c0"
		t0=$(now)
		if ! "run_${p//-/_}" || ! sync; then
			say "$p failed"
			exit 1
		fi
		t1=$(now)
		times >"$work/c1"
		cpus[$p]="${cpus[$p]:-} $(cpu_diff "$work/c0" "$work/c1")"
		# Check the result once, outside the timing.
		if [ "$r" = 1 ] && ! "check_${p//-/_}"; then
			say "$p: the copy differs from the source"
			exit 1
		fi
		times[$p]="${times[$p]:-} $(sub "$t0" "$t1")"
		line="$line $p $(sub "$t0" "$t1") s,"
		if [ "$p" = w3sync ]; then
			mem_exp+=("$(cat "$work/mem.exp")")
			mem_imp+=("$(cat "$work/mem.imp")")
		fi
	done
	echo "${line%,}"
done
rm -rf "$work/x.car" "$work/x.caidx" "$work/castr"

declare -A med=() cmed=()
echo
printf '%-34s %8s %8s %8s %8s\n' "pipeline (median of $RUNS)" seconds MB/s "w3s/peer" "CPU s"
for p in "${pipes[@]}"; do
	# shellcheck disable=SC2086
	med[$p]=$(median ${times[$p]})
	# shellcheck disable=SC2086
	cmed[$p]=$(median ${cpus[$p]})
done
desc() {
	case $1 in
	w3sync) echo "snapshot-export | snapshot-import" ;;
	tar) echo "tar | zstd -1 | zstd -d | tar -x" ;;
	ipfs-car) echo "ipfs-car $IPFS_CAR_VERSION pack + unpack" ;;
	casync) echo "casync $(casync --version 2>/dev/null | awk '{print $2}') make + extract" ;;
	esac
}
for p in "${pipes[@]}"; do
	rt=-
	[ "$have_w3s" = 1 ] && [ "$p" != w3sync ] && rt=$(ratio "${med[w3sync]}" "${med[$p]}")
	printf '%-34s %8.2f %8s %8s %8s\n' "$(desc "$p")" "${med[$p]}" "$(mbps "$bytes" "${med[$p]}")" "$rt" "${cmed[$p]}"
done

t_sync="no slower than the tar pipeline, verifying everything"
if [ "$have_w3s" = 1 ]; then
	for p in tar ipfs-car casync; do
		[ -n "${med[$p]:-}" ] || continue
		name=sync.wall.$p target="(for comparison)" met=-
		if [ "$p" = tar ]; then
			name=sync.wall target=$t_sync
			met=$(yesno le "${med[w3sync]}" "${med[tar]}")
		fi
		echo "RESULT name=$name value=${med[w3sync]} unit=s peer=$p peer_value=${med[$p]} ratio=$(ratio "${med[w3sync]}" "${med[$p]}") bytes=$bytes met=$met target=$target"
		echo "RESULT name=${name/wall/cpu} value=${cmed[w3sync]} unit=s peer=$p peer_value=${cmed[$p]} ratio=$(ratio "${cmed[w3sync]}" "${cmed[$p]}") met=- target=(for information: CPU seconds, user + sys, of all the pipeline's processes)"
	done
	# When a peer is missing, still report the w3sync figure for the chart.
	[ -n "${med[tar]:-}" ] ||
		echo "RESULT name=sync.wall value=${med[w3sync]} unit=s peer=- peer_value=- ratio=- bytes=$bytes met=- target=$t_sync"
else
	for p in tar ipfs-car casync; do
		[ -n "${med[$p]:-}" ] || continue
		echo "RESULT name=sync.peer.$p value=${med[$p]} unit=s peer=- peer_value=- ratio=- bytes=$bytes met=- target=(peer only: w3sync not built)"
	done
fi
if [ "$have_w3s" != 1 ]; then
	for n in sync.mem.export sync.mem.import sync.resume sync.delta.bytes \
		sync.delta.time sync.delta.mem sync.mem.export.big sync.mem.import.big; do
		skip "$n" "no $BIN/snapshot-export or snapshot-import (not built yet)"
	done
	exit 0
fi

me_max=$(maxof "${mem_exp[@]}")
mi_max=$(maxof "${mem_imp[@]}")
echo
echo "peak memory, largest of $RUNS runs: snapshot-export $me_max KiB, snapshot-import $mi_max KiB (target: under 65536 KiB each)"
t_mem="under 64 MiB (65536 KiB) whatever the bucket size"
echo "RESULT name=sync.mem.export value=$me_max unit=KiB peer=- peer_value=- ratio=- met=$(yesno le "$me_max" 65535) target=$t_mem"
echo "RESULT name=sync.mem.import value=$mi_max unit=KiB peer=- peer_value=- ratio=- met=$(yesno le "$mi_max" 65535) target=$t_mem"

# --- resume after 90% ---------------------------------------------------
# The replica of the last run is the primary's twin; a second, empty store
# takes the cut stream.
"$BIN/snapshot-export" --store "$primary" --bucket 1 --quiet >"$work/full.w3s"
full=$(stat -c %s "$work/full.w3s")
cut=$((full * 9 / 10))
rc=0
head -c "$cut" "$work/full.w3s" |
	"$BIN/snapshot-import" --store "$work/r2" --create --trust-key "$pub" \
		--quiet - >/dev/null 2>"$work/cut.err" || rc=$?
token=$(grep -oE 'w3s1-[0-9]+-[0-9a-f]+-[0-9]+-[0-9]+' "$work/cut.err" | head -n 1 || true)
rm -f "$work/full.w3s"
if [ "$rc" != 3 ] || [ -z "$token" ]; then
	say "resume: the cut import gave exit $rc and no token:"
	cat "$work/cut.err" >&2
	skip sync.resume "the import of a stream cut at 90% gave exit $rc, token '${token:-none}'"
else
	"$BIN/snapshot-export" --store "$primary" --bucket 1 --resume "$token" \
		--quiet >"$work/rest.w3s"
	resent=$(stat -c %s "$work/rest.w3s")
	"$BIN/snapshot-import" --store "$work/r2" --create --trust-key "$pub" \
		--quiet "$work/rest.w3s" >/dev/null
	rm -f "$work/rest.w3s"
	if ! same_commitment "$work/r2" "$primary"; then
		say "resume: the resumed import does not reach the primary's commitment"
		exit 1
	fi
	pct=$(awk -v a="$resent" -v b="$full" 'BEGIN {printf "%.2f", 100 * a / b}')
	echo "resume after 90%: $resent of $full bytes sent again ($pct%; target at most 11%)"
	echo "RESULT name=sync.resume value=$pct unit=% peer=- peer_value=- ratio=- met=$(yesno le "$pct" 11) target=a resume after 90% re-sends at most 11% of the bytes"
fi
rm -rf "$work/r2"

# --- delta of k segments: big bucket against a one-segment bucket ----------
# A fresh replica of bucket 1; bucket 2 gets one segment, is exported in
# full and imported; then both buckets get the same k new segments and each
# delta is exported with --since the previous commitment and imported.
rm -rf "$dst"
run_w3sync
seq_of() { # seq_of STORE ID: start_seq + leaf_count
	"$BIN/snapshot-export" --store "$1" --bucket "$2" --dry-run |
		awk '{sub(/:$/, "", $1)} $1 == "start_seq" {s = $2} $1 == "leaf_count" {l = $2} END {print s + l}'
}
mkdir "$work/delta"
head -c 4096 /dev/urandom >"$work/one"
"$BIN/segment-add" --store "$primary" --bucket 2 --create --key "$work/key.pem" "$work/one" >/dev/null
"$BIN/snapshot-export" --store "$primary" --bucket 2 --quiet |
	"$BIN/snapshot-import" --store "$dst" --create --trust-key "$pub" --quiet - >/dev/null
for i in $(seq -w 1 "$DELTA_K"); do
	head -c 4096 /dev/urandom >"$work/delta/d$i"
done
declare -A dbytes=() dtime=() dmem=()
for b in 1 2; do
	since=$(seq_of "$primary" "$b")
	"$BIN/segment-add" --store "$primary" --bucket "$b" --key "$work/key.pem" "$work"/delta/d* >/dev/null
	sync
	t0=$(now)
	"$BIN/snapshot-export" --store "$primary" --bucket "$b" --since "$since" --quiet |
		tee "$work/delta.w3s" |
		/usr/bin/time -f %M -o "$work/mem.delta" \
			"$BIN/snapshot-import" --store "$dst" --trust-key "$pub" --quiet - >/dev/null
	sync
	t1=$(now)
	dbytes[$b]=$(stat -c %s "$work/delta.w3s")
	dtime[$b]=$(sub "$t0" "$t1")
	dmem[$b]=$(cat "$work/mem.delta")
	if ! same_commitment "$dst" "$primary" "$b"; then
		say "delta: the replica of bucket $b does not reach the primary's commitment"
		exit 1
	fi
done
payload=$((DELTA_K * 4096))
per=$(awk -v d="${dbytes[1]}" -v p="$payload" -v k="$DELTA_K" 'BEGIN {printf "%.0f", (d - p) / k}')
echo "delta of $DELTA_K x 4 KiB segments ($payload bytes): $((bytes / 1048576)) MiB bucket ${dbytes[1]} bytes ($per bytes/segment over the data), one-segment bucket ${dbytes[2]} bytes"
echo "  export | import: ${dtime[1]} s, import peak ${dmem[1]} KiB (big bucket); ${dtime[2]} s, ${dmem[2]} KiB (one-segment bucket)"
# O(k): the same delta from a big bucket may carry a few more MMR peaks
# (log of the bucket size), nothing in proportion to the bucket.
dr=$(ratio "${dbytes[1]}" "${dbytes[2]}")
echo "RESULT name=sync.delta.bytes value=${dbytes[1]} unit=B peer=one-segment-bucket peer_value=${dbytes[2]} ratio=$dr per_segment_overhead=$per met=$(yesno le "$dr" 1.02) target=a delta of k new segments costs their bytes plus O(k) metadata"
tr=$(ratio "${dtime[1]}" "${dtime[2]}")
mr=$(ratio "${dmem[1]}" "${dmem[2]}")
echo "RESULT name=sync.delta.time value=${dtime[1]} unit=s peer=one-segment-bucket peer_value=${dtime[2]} ratio=$tr met=$(yesno le "$tr" 1.5) target=time grows with the data moved, not with the size of the bucket (same delta, ratio at most 1.5)"
echo "RESULT name=sync.delta.mem value=${dmem[1]} unit=KiB peer=one-segment-bucket peer_value=${dmem[2]} ratio=$mr met=$(yesno le "$mr" 1.1) target=memory grows with the data moved, not with the size of the bucket (same delta, ratio at most 1.1)"
rm -rf "$work/delta"

# --- the 8 GiB bucket ---------------------------------------------------------
base_mib=$((bytes / 1048576))
t_big="under 64 MiB and unchanged at $BIG_GIB GiB (within 10% + 1 MiB of the figure at $base_mib MiB)"
if [ "$BIG" != 1 ]; then
	skip sync.mem.export.big "BENCH_BIG=1 not set (the $BIG_GIB GiB memory check takes several minutes and $((3 * BIG_GIB)) GiB of disk)"
	skip sync.mem.import.big "BENCH_BIG=1 not set"
	exit 0
fi
rm -rf "$dst" "$src"
have=$((bytes / 1048576))
n=0
say "growing bucket 1 to $BIG_GIB GiB"
while [ "$have" -lt $((BIG_GIB * 1024)) ]; do
	mkdir "$work/more"
	for i in $(seq -w 1 "$FILES"); do
		head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$work/more/g$n-$i"
	done
	"$BIN/segment-add" --store "$primary" --bucket 1 --key "$work/key.pem" "$work"/more/* >/dev/null
	rm -rf "$work/more"
	have=$((have + FILES * SIZE_MIB))
	n=$((n + 1))
done
sync
t0=$(now)
run_w3sync
sync
t1=$(now)
check_w3sync || { say "big: the replica differs from the primary"; exit 1; }
bt=$(sub "$t0" "$t1")
be=$(cat "$work/mem.exp")
bi=$(cat "$work/mem.imp")
echo "$have MiB bucket, one run: $bt s ($(mbps $((have * 1048576)) "$bt") MB/s), peak snapshot-export $be KiB, snapshot-import $bi KiB"
unchanged() { le "$1" 65535 && awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b * 1.1 + 1024)}'; }
echo "RESULT name=sync.mem.export.big value=$be unit=KiB peer=${base_mib}MiB-bucket peer_value=$me_max ratio=$(ratio "$be" "$me_max") bucket_mib=$have met=$(yesno unchanged "$be" "$me_max") target=$t_big"
echo "RESULT name=sync.mem.import.big value=$bi unit=KiB peer=${base_mib}MiB-bucket peer_value=$mi_max ratio=$(ratio "$bi" "$mi_max") bucket_mib=$have met=$(yesno unchanged "$bi" "$mi_max") target=$t_big"
echo "RESULT name=sync.big.wall value=$bt unit=s peer=- peer_value=- ratio=- bytes=$((have * 1048576)) met=- target=(for information: one run on the big bucket)"
