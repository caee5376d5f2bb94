#!/usr/bin/env bash
# The benchmark report (`make bench`): runs every bench/*.sh but this one,
# one after the other, collects their RESULT and SKIP lines (format in
# bench/README.md) and writes bench/results/REPORT.md and
# bench/results/sync.png.
#
#   W3SYNC_BIN=bin BENCH_LOG=build/bench bench/report.sh [SCRIPT...]
#
# SCRIPT names bench scripts to run (default: all); REPORT_ONLY=1 runs none
# and rebuilds the report from the logs already in BENCH_LOG; BENCH_COMMIT
# names the commit measured when this is not a git checkout, BENCH_SHARED
# says in the report how the machine was shared. The
# environment (W3SYNC_BIN, BENCH_TOOLS, BENCH_DIR, BENCH_BIG, RUNS, ...) is
# passed on to the scripts. Every DESIGN.md section 9 target has a row,
# "not measured" with the reason when no script printed its figure. Exits
# 1 when a script failed (the report is still written).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
LOG=${BENCH_LOG:-$here/build/bench}
OUT=${BENCH_RESULTS:-$here/bench/results}
mkdir -p "$LOG" "$OUT"
me=bench/report.sh
say() { echo "$me: $*" >&2; }

if [ $# -gt 0 ]; then
	scripts=("$@")
else
	scripts=()
	for s in bench/*.sh; do
		[ "$s" = bench/report.sh ] || scripts+=("$s")
	done
fi

machine_load() { awk '{print $1 ", " $2 ", " $3}' /proc/loadavg; }
others() { # processes of other users' work, busy right now (rough)
	ps -eo pcpu=,comm= | awk '$1 > 20 {n++} END {print n + 0}'
}

if [ "${REPORT_ONLY:-0}" != 1 ]; then
	{
		echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "load_before=$(machine_load)"
		echo "busy_before=$(others)"
		echo "users_before=$(ps -eo user= | sort -u | wc -l)"
	} >"$LOG/run.info"
	: >"$LOG/status"
	for s in "${scripts[@]}"; do
		n=$(basename "$s" .sh)
		[ -f "$s" ] || { say "no $s"; continue; }
		say "running $s (log: $LOG/$n.log)"
		t0=$(date +%s)
		rc=0
		bash "$s" >"$LOG/$n.log" 2>&1 || rc=$?
		echo "$n $rc $(($(date +%s) - t0)) $(machine_load | tr -d ' ')" >>"$LOG/status"
		grep -E '^(RESULT|SKIP) ' "$LOG/$n.log" >&2 || true
		[ "$rc" = 0 ] || say "$s failed with exit $rc; see $LOG/$n.log"
	done
	echo "load_after=$(machine_load)" >>"$LOG/run.info"
fi
[ -f "$LOG/run.info" ] || { say "no $LOG/run.info: run without REPORT_ONLY first"; exit 2; }
info() { sed -n "s/^$1=//p" "$LOG/run.info"; }

# All RESULT lines as tab-separated fields:
# script name value unit peer peer_value ratio met target extra
all=$LOG/results.tsv
: >"$all"
for f in "$LOG"/*.log; do
	n=$(basename "$f" .log)
	awk -v script="$n" '
	/^RESULT / {
		line = substr($0, 8)
		target = ""
		i = index(line, " target=")
		if (i) { target = substr(line, i + 8); line = substr(line, 1, i - 1) }
		delete kv; extra = ""
		m = split(line, f, " ")
		for (j = 1; j <= m; j++) {
			e = index(f[j], "=")
			k = substr(f[j], 1, e - 1); v = substr(f[j], e + 1)
			kv[k] = v
			if (k !~ /^(name|value|unit|peer|peer_value|ratio|met)$/)
				extra = extra (extra == "" ? "" : " ") f[j]
		}
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", script, kv["name"],
		    kv["value"], kv["unit"], kv["peer"], kv["peer_value"], kv["ratio"],
		    kv["met"], target, extra
	}' "$f" >>"$all"
done
# SKIP lines: name<TAB>reason
skips=$LOG/skips.tsv
cat "$LOG"/*.log 2>/dev/null | awk '/^SKIP name=/ {
	s = substr($0, 11); i = index(s, " reason=")
	print substr(s, 1, i - 1) "\t" substr(s, i + 8) }' >"$skips"

status_of() { awk -v n="$1" '$1 == n {print $2}' "$LOG/status" 2>/dev/null | tail -n 1; }

# The targets of DESIGN.md section 9, in its order: name, script, target.
# A name may list other names the figure is printed under (a|b).
sec9=$(
	cat <<'EOF'
sync.wall	sync	snapshot-export | snapshot-import of 1 GiB, verifying everything, at least as fast as tar | zstd -1 | zstd -d | tar -x
sync.mem.export	sync	peak memory of snapshot-export under 64 MiB (1 GiB bucket)
sync.mem.import	sync	peak memory of snapshot-import under 64 MiB (1 GiB bucket)
sync.mem.export.big	sync	... whatever the bucket size: snapshot-export under 64 MiB and unchanged at 8 GiB
sync.mem.import.big	sync	... whatever the bucket size: snapshot-import under 64 MiB and unchanged at 8 GiB
scrub.cid-verify|scrub.speed	scrub	cid-verify store scrub within 90% of BLAKE2b speed × cores
ingest.speed	ingest	segment-add ingest at 300 MB/s or more
replay.speed	replay	delta-replay of metadata-only deltas: 50,000 segments/s or more
sync.resume	sync	a resume after 90% re-sends at most 11% of the bytes
sync.delta.bytes	sync	a delta of k new segments costs their bytes plus O(k) metadata
sync.delta.time	sync	time grows with the data moved, not with the size of the bucket
sync.delta.mem	sync	memory grows with the data moved, not with the size of the bucket
EOF
)

# Markdown cell: escape the pipe.
cell() { printf '%s' "$1" | sed 's/|/\\|/g'; }
fmt_value() { # value unit
	[ -n "$1" ] && [ "$1" != - ] && printf '%s %s' "$1" "$2" || printf -- '-'
}
not_measured() { # name script
	local r
	r=$(awk -F'\t' -v n="$1" 'BEGIN {split(n, a, "|"); for (i in a) want[a[i]] = 1} $1 in want {print $2}' "$skips" | tail -n 1)
	if [ -n "$r" ]; then
		echo "$r"
	elif ! [ -f "bench/$2.sh" ]; then
		echo "bench/$2.sh does not exist yet"
	elif [ -z "$(status_of "$2")" ]; then
		echo "bench/$2.sh was not run"
	elif [ "$(status_of "$2")" != 0 ]; then
		echo "bench/$2.sh failed (exit $(status_of "$2"); see its log)"
	else
		echo "bench/$2.sh printed no figure for it"
	fi
}
row() { # TSV fields of a result -> table row
	local script=$1 name=$2 value=$3 unit=$4 peer=$5 pv=$6 ratio=$7 met=$8 target=$9
	local m=$met
	case $met in yes) m="**yes**" ;; no) m="**no**" ;; esac
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "\`$name\`" \
		"$(fmt_value "$value" "$unit")" "$(cell "$peer")" \
		"$(fmt_value "$pv" "$unit")" "${ratio:--}" "$(cell "$target")" "$m"
}

# --- the chart: sync throughput in MB/s ---------------------------------
dat=$LOG/sync.dat
awk -F'\t' '
function mbs(b, t) { return b / t / 1e6 }
$2 ~ /^sync\.(wall|peer)/ {
	split($10, x, " "); b = 0
	for (i in x) if (x[i] ~ /^bytes=/) b = substr(x[i], 7)
	if (b == 0) next
	if ($2 ~ /^sync\.wall/) {
		w = $3
		if ($5 != "-") p[$5] = $6
	} else {
		sub(/^sync\.peer\./, "", $2); p[$2] = $3
	}
	bytes = b
}
END {
	# label, MB/s, bar colour (w3sync stands out)
	if (w != "") printf "\"w3sync\" %.0f %d\n", mbs(bytes, w), 14245634
	if ("tar" in p) printf "\"tar+zstd\" %.0f %d\n", mbs(bytes, p["tar"]), 3502757
	if ("ipfs-car" in p) printf "\"ipfs-car\" %.0f %d\n", mbs(bytes, p["ipfs-car"]), 3502757
	if ("casync" in p) printf "\"casync\" %.0f %d\n", mbs(bytes, p["casync"]), 3502757
}' "$all" >"$dat"
# "N of M targets met, K not met, J not measured"
summary() {
	local names yes=0 no=0 none=0 total=0 line m
	while IFS=$'\t' read -r names _; do
		total=$((total + 1))
		line=$(awk -F'\t' -v n="$names" 'BEGIN {split(n, a, "|"); for (i in a) want[a[i]] = 1} $2 in want' "$all" | tail -n 1)
		m=$(printf '%s' "$line" | cut -f8)
		case $m in yes) yes=$((yes + 1)) ;; no) no=$((no + 1)) ;; *) none=$((none + 1)) ;; esac
	done <<<"$sec9"
	echo "Of the $total figures behind the section 9 targets: $yes met, $no not met, $none not measured."
}

cores=$(nproc)
mem_gib=$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
[ -n "$cpu" ] || cpu=$(uname -m)
report=$OUT/REPORT.md
{
	echo "# w3sync benchmark report"
	echo
	echo "Written by \`make bench\` (bench/report.sh) from one run of every bench/*.sh;"
	echo "each figure is the median of several runs (\`RUNS\`, default 3) unless the"
	echo "row says otherwise, and each peer's figure comes from the same run."
	echo
	echo "- date: $(info date)"
	echo "- machine: $cores cores, $mem_gib GiB memory, $cpu, Linux $(uname -r)"
	echo "- commit: ${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
	echo "- load average (1, 5, 15 min) before: $(info load_before); after: $(info load_after)"
	if [ -n "${BENCH_SHARED:-}" ]; then
		echo "- **shared machine**: $BENCH_SHARED"
	fi
	echo "- scripts (exit code, seconds, load average at the end):"
	while read -r n rc secs load; do
		echo "  - bench/$n.sh: exit $rc, $secs s, load $load"
	done <"$LOG/status"
	echo
	echo "Ratio = w3sync's figure / the peer's figure (below 1 is better for times"
	echo "and memory, above 1 for speeds)."
	echo
	echo "## DESIGN.md section 9 targets"
	echo
	summary
	echo
	echo "| figure | w3sync | peer | peer's figure | ratio | target | met |"
	echo "|---|---|---|---|---|---|---|"
	while IFS=$'\t' read -r names script target; do
		name=${names%%|*}
		line=$(awk -F'\t' -v n="$names" 'BEGIN {split(n, a, "|"); for (i in a) want[a[i]] = 1} $2 in want' "$all" | tail -n 1)
		if [ -n "$line" ]; then
			IFS=$'\t' read -r s n v u p pv r m _t _x <<<"$line"
			row "$s" "$n" "$v" "$u" "$p" "$pv" "$r" "$m" "$target"
		else
			printf '| %s | not measured: %s | | | | %s | not measured |\n' \
				"\`$name\`" "$(cell "$(not_measured "$names" "$script")")" "$(cell "$target")"
		fi
	done <<<"$sec9"
	echo
	echo "## Other figures"
	echo
	echo "| figure | w3sync | peer | peer's figure | ratio | target | met |"
	echo "|---|---|---|---|---|---|---|"
	while IFS=$'\t' read -r s n v u p pv r m t _x; do
		if ! printf '%s\n' "$sec9" | cut -f1 | tr '|' '\n' | grep -qxF "$n"; then
			row "$s" "$n" "$v" "$u" "$p" "$pv" "$r" "$m" "$t"
		fi
	done <"$all"
	while IFS=$'\t' read -r n reason; do
		if ! printf '%s\n' "$sec9" | cut -f1 | tr '|' '\n' | grep -qxF "$n"; then
			printf '| %s | not measured: %s | | | | | |\n' "\`$n\`" "$(cell "$reason")"
		fi
	done <"$skips"
	echo
	echo "## Sync throughput"
	echo
	echo "![sync throughput](sync.png)"
	echo
	if [ -s "$dat" ]; then
		echo "| pipeline | MB/s |"
		echo "|---|---|"
		awk '{gsub(/"/, "", $1); printf "| %s | %s |\n", $1, $2}' "$dat"
		echo
		echo "MB/s = 10^6 bytes of payload per second of wall time, end to end"
		echo "(both ends on this machine, output synced to disk)."
		echo
	fi
	echo "The logs of this run are in the build directory (\`$(basename "$LOG")/*.log\`);"
	echo "bench/README.md says what each script measures and how."
} >"$report"
say "wrote $report"

if ! [ -s "$dat" ]; then
	say "no sync figures: no chart"
elif ! command -v gnuplot >/dev/null && ! { [ "$(id -u)" = 0 ] &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y gnuplot-nox >"$LOG/apt.log" 2>&1; }; then
	say "gnuplot missing: no chart (as root: apt-get install gnuplot-nox)"
	echo "No chart: gnuplot is not installed (apt-get install gnuplot-nox)." >>"$report"
else
	ymax=$(awk '$2 > m {m = $2} END {print m * 1.15}' "$dat")
	gnuplot <<EOF
set terminal pngcairo size 800,480 font "sans,11" noenhanced
set output "$OUT/sync.png"
set title "Sync of 1 GiB (64 x 16 MiB random files), $(info date), $cores cores, median of ${RUNS:-3}"
set ylabel "MB/s (10^6 bytes/s, higher is better)"
set style fill solid 0.8 border -1
set boxwidth 0.5
set yrange [0:$ymax]
set offsets 0.6, 0.6, 0, 0
set grid ytics
unset key
plot "$dat" using 0:2:3:xtic(1) with boxes lc rgb variable, \\
	"" using 0:2:(sprintf("%d MB/s", \$2)) with labels offset 0,0.8 notitle
EOF
	say "wrote $OUT/sync.png"
fi

if awk '$2 != 0 {bad = 1} END {exit !bad}' "$LOG/status"; then
	exit 1
fi
