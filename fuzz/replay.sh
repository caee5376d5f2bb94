#!/usr/bin/env bash
# Replays every committed regression input (fuzz/regress/TARGET/*) and a
# small sample of the seed corpus through each target's plain driver
# build, one process per input, as TAP (for tests/run-suite.sh).
#
#   fuzz/replay.sh BINDIR SEEDDIR
#
# BINDIR holds the driver builds (fuzz_NAME), SEEDDIR the corpus that
# fuzz/seeds.py wrote. FUZZ_SAMPLE seeds per target (default 4).
set -u
bindir=$1
seeddir=$2
sample=${FUZZ_SAMPLE:-4}
here=$(cd "$(dirname "$0")" && pwd)
inputs=$(mktemp)
trap 'rm -f "$inputs" "$inputs.err"' EXIT

for bin in "$bindir"/fuzz_*; do
	t=$(basename "$bin")
	if [ -d "$here/regress/$t" ]; then
		find "$here/regress/$t" -type f | LC_ALL=C sort |
			sed "s|^|$t |"
	fi
	if [ -d "$seeddir/$t" ]; then
		# Every k-th seed in name order: the same sample every run.
		n=$(find "$seeddir/$t" -type f | wc -l)
		k=$(( n > sample ? n / sample : 1 ))
		find "$seeddir/$t" -type f | LC_ALL=C sort |
			awk -v k="$k" -v s="$sample" \
			'(NR - 1) % k == 0 && c < s { print; c++ }' |
			sed "s|^|$t |"
	fi
done >"$inputs"

echo "1..$(wc -l <"$inputs")"
i=0
while read -r t f; do
	i=$((i + 1))
	name=${f#"$here"/}
	name=${name#"$seeddir"/}
	if timeout 120 "$bindir/$t" "$f" >/dev/null 2>"$inputs.err"; then
		echo "ok $i - $t $name"
	else
		echo "not ok $i - $t $name (exit $?)"
		sed 's/^/# /' "$inputs.err" | head -n 30
	fi
done <"$inputs"
