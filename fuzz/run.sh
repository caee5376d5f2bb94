#!/usr/bin/env bash
# Runs libFuzzer targets for a bounded time each and prints, per target,
# executions, exec/s, coverage (cov and ft from libFuzzer's last status
# line) and findings.
#
#   fuzz/run.sh LFDIR WORKDIR SECONDS JOBS TARGET...
#
# LFDIR holds the libFuzzer builds; WORKDIR gets seeds/ (built from
# ../shared/vectors and tests/fixtures by fuzz/seeds.py), corpus/ (what
# the runs add; kept between runs), artifacts/ and logs/. Up to JOBS
# targets run at a time. A crash, leak, timeout or out-of-memory input is
# left in artifacts/TARGET/ and fails the run; commit it, once fixed, as
# fuzz/regress/TARGET/<defect>.
set -u
lfdir=$1
work=$2
secs=$3
jobs=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$work/seeds" "$work/artifacts" "$work/logs"
mkdir -p "$work/seeds" "$work/artifacts" "$work/logs" "$work/corpus"
"$here/seeds.py" "$work/seeds" "$@" >/dev/null || exit 1

one() {
	local t=$1 extra=()
	mkdir -p "$work/corpus/$t" "$work/artifacts/$t" "$work/seeds/$t"
	[ -d "$here/regress/$t" ] && extra=("$here/regress/$t")
	"$lfdir/$t" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" \
		"$work/corpus/$t" "$work/seeds/$t" "${extra[@]}" \
		>"$work/logs/$t.log" 2>&1
	echo $? >"$work/logs/$t.rc"
}

echo "fuzz: $# targets, ${secs}s each, $jobs at a time; logs in $work/logs"
for t in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	one "$t" &
done
wait

fail=0
printf '%-18s %12s %8s %7s %7s  %s\n' target execs exec/s cov ft findings
for t in "$@"; do
	log=$work/logs/$t.log
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	found=$(find "$work/artifacts/$t" -type f -printf '%f ' 2>/dev/null)
	rc=$(cat "$work/logs/$t.rc" 2>/dev/null || echo '?')
	if [ -n "$found" ] || [ "$rc" != 0 ]; then
		fail=1
		what=$(grep -m 1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*property failed)' "$log")
		found="exit $rc: ${found:-no artifact} ${what}"
	else
		found=none
	fi
	printf '%-18s %12s %8s %7s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
		"${cov:-?}" "${ft:-?}" "$found"
done
exit $fail
